//! Finding the node that owns an auction, and calling it.
//!
//! The gateway knows the routers of the cluster from pg (`auction.routers`) and checks each with an
//! application heartbeat (ractor_cluster never notices a frozen peer). An auction's preferred node is
//! the rendezvous hash over the live, non-draining routers; the node's answer is authoritative
//! (`NotOwner { owner }` redirects, and the redirect is remembered as a hint). A call that times out
//! or loses its node has an unknown outcome: commands that carry an idempotency key are retried with
//! the same key (the owner returns the original outcome), others are reported as unknown.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auction::{AuctionId, UserId};
use protocol::client::AuctionCommand;
use protocol::cluster::{
    CreateRequest, ExecuteReply, ExecuteRequest, NodeStatus, PingRequest, ROUTERS_GROUP,
    RouterMessage, SubscribeReply, SubscribeRequest, TakeoverRequest, UnsubscribeRequest, Wire,
    node_of_router,
};
use protocol::placement::preference_order;
use ractor::rpc::CallResult;
use ractor::{ActorCell, ActorRef};
use tokio::sync::broadcast;
use tokio::time::Instant;

use crate::metrics as m;

/// Routing knobs.
#[derive(Debug, Clone)]
pub struct RoutingConfig {
    /// This gateway's id (for logs at the node).
    pub gateway_id: String,
    /// Timeout of one call to a node.
    pub call_timeout: Duration,
    /// How long a command may keep retrying (covers a failover).
    pub command_deadline: Duration,
    /// Heartbeat period.
    pub ping_every: Duration,
    /// Heartbeat timeout.
    pub ping_timeout: Duration,
    /// Consecutive missed heartbeats before a node is considered down.
    pub ping_misses: u32,
}

impl Default for RoutingConfig {
    fn default() -> Self {
        RoutingConfig {
            gateway_id: "gateway".into(),
            call_timeout: Duration::from_millis(1_500),
            command_deadline: Duration::from_secs(10),
            ping_every: Duration::from_millis(300),
            ping_timeout: Duration::from_millis(300),
            ping_misses: 2,
        }
    }
}

/// A node became unreachable or started draining: hubs it owned must find the new owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeChange {
    /// The node stopped answering (or its session closed).
    Down(String),
    /// The node is handing its auctions over.
    Draining(String),
    /// A node became reachable (a good moment to retry waiting hubs).
    Up(String),
}

#[derive(Debug, Default)]
struct NodeHealth {
    misses: u32,
    down: bool,
    draining: bool,
    seen: bool,
}

/// The gateway's view of the cluster, shared by every connection.
#[derive(Debug)]
pub struct Routing {
    config: RoutingConfig,
    health: Mutex<HashMap<String, NodeHealth>>,
    hints: Mutex<HashMap<AuctionId, String>>,
    changes: broadcast::Sender<NodeChange>,
    /// The placement directory shared with other gateways (Redis), when configured.
    shared: std::sync::OnceLock<Arc<crate::shared::Shared>>,
}

/// Why a command could not be answered by a node.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// No node is reachable.
    #[error("no auction node is reachable right now")]
    NoNodes,
    /// The command may or may not have been applied.
    #[error("the outcome is unknown: {0}")]
    OutcomeUnknown(String),
    /// Retried until the deadline without an answer.
    #[error("the auction is not available right now: {0}")]
    Unavailable(String),
}

enum Attempt<T> {
    Done(T),
    Redirect(Option<String>),
    Retry(String),
    Unknown(String),
}

impl Routing {
    /// A routing table for this gateway.
    pub fn new(config: RoutingConfig) -> Arc<Routing> {
        let (changes, _) = broadcast::channel(256);
        Arc::new(Routing {
            config,
            health: Mutex::new(HashMap::new()),
            hints: Mutex::new(HashMap::new()),
            changes,
            shared: std::sync::OnceLock::new(),
        })
    }

    /// Read and write placement hints through the shared directory too.
    pub fn use_shared(&self, shared: Arc<crate::shared::Shared>) {
        let _ = self.shared.set(shared);
    }

    /// Learn the owner from the shared directory when this gateway has no hint of its own.
    async fn consult_directory(&self, auction_id: &AuctionId) {
        if self.owner_hint(auction_id).is_some() {
            return;
        }
        let Some(shared) = self.shared.get() else {
            return;
        };
        if let Some(node) = shared
            .placement(auction_id)
            .await
            .filter(|node| self.is_reachable(node))
        {
            self.remember(auction_id, Some(node));
        }
    }

    /// Record a confirmed owner in this gateway's hints and, when it changed, in the shared
    /// directory.
    fn confirm(&self, auction_id: &AuctionId, node: &str) {
        let changed = self.owner_hint(auction_id).as_deref() != Some(node);
        self.remember(auction_id, Some(node.to_string()));
        if changed && let Some(shared) = self.shared.get() {
            let shared = shared.clone();
            let auction_id = auction_id.clone();
            let node = node.to_string();
            tokio::spawn(async move { shared.set_placement(&auction_id, &node).await });
        }
    }

    /// Node up/down/draining notifications.
    pub fn subscribe_changes(&self) -> broadcast::Receiver<NodeChange> {
        self.changes.subscribe()
    }

    /// Routers currently in pg, by node id.
    fn members() -> HashMap<String, ActorCell> {
        ractor::pg::get_members(&ROUTERS_GROUP.to_string())
            .into_iter()
            .filter_map(|cell| {
                let node = cell
                    .get_name()
                    .and_then(|name| node_of_router(&name).map(str::to_string))?;
                Some((node, cell))
            })
            .collect()
    }

    /// Node ids that may take new placements: in pg, answering heartbeats, not draining.
    pub fn live_nodes(&self) -> Vec<String> {
        let members = Self::members();
        let health = self
            .health
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        members
            .into_keys()
            .filter(|node| health.get(node).is_none_or(|h| !h.down && !h.draining))
            .collect()
    }

    /// Whether `node` is believed reachable.
    pub fn is_reachable(&self, node: &str) -> bool {
        let members = Self::members();
        let health = self
            .health
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        members.contains_key(node) && health.get(node).is_none_or(|h| !h.down)
    }

    fn router(node: &str) -> Option<ActorRef<RouterMessage>> {
        Self::members().remove(node).map(ActorRef::from)
    }

    /// The node to try first for `auction_id`: a remembered owner if reachable, else the
    /// rendezvous choice among live nodes.
    pub fn target(&self, auction_id: &AuctionId) -> Option<String> {
        let hint = self
            .hints
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(auction_id)
            .cloned();
        if let Some(node) = hint.filter(|node| self.is_reachable(node)) {
            return Some(node);
        }
        let live = self.live_nodes();
        preference_order(auction_id.as_str(), live.iter().map(String::as_str))
            .first()
            .map(|node| node.to_string())
    }

    fn remember(&self, auction_id: &AuctionId, node: Option<String>) {
        let mut hints = self.hints.lock().unwrap_or_else(|p| p.into_inner());
        match node {
            Some(node) => {
                hints.insert(auction_id.clone(), node);
            }
            None => {
                hints.remove(auction_id);
            }
        }
    }

    /// The node currently believed to own `auction_id`, if one answered for it.
    pub fn owner_hint(&self, auction_id: &AuctionId) -> Option<String> {
        self.hints
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(auction_id)
            .cloned()
    }

    /// Run a command, following redirects and retrying through a failover until the deadline.
    pub async fn execute(
        &self,
        auction_id: &AuctionId,
        user: &UserId,
        command: &AuctionCommand,
    ) -> Result<(ExecuteReply, String), RouteError> {
        let request = ExecuteRequest {
            auction_id: auction_id.clone(),
            user: user.clone(),
            command: command.clone(),
            gateway: self.config.gateway_id.clone(),
        };
        let retry_unknown = command.is_idempotent();
        self.with_owner(auction_id, retry_unknown, |router| {
            let request = request.clone();
            async move {
                let result = router
                    .call(
                        |reply| RouterMessage::Execute(Wire::new(request), reply),
                        Some(self.config.call_timeout),
                    )
                    .await;
                classify_execute(result)
            }
        })
        .await
    }

    /// Create an auction on its preferred node.
    pub async fn create(
        &self,
        request: CreateRequest,
    ) -> Result<(ExecuteReply, String), RouteError> {
        let auction_id = request.setup.auction_id.clone();
        self.with_owner(&auction_id, false, |router| {
            let request = request.clone();
            async move {
                let result = router
                    .call(
                        |reply| RouterMessage::Create(Wire::new(request), reply),
                        Some(self.config.call_timeout),
                    )
                    .await;
                classify_execute(result)
            }
        })
        .await
    }

    /// Subscribe this gateway to an auction's events at its owner.
    pub async fn subscribe(
        &self,
        auction_id: &AuctionId,
        after_seq: Option<u64>,
    ) -> Result<(SubscribeReply, String), RouteError> {
        let request = SubscribeRequest {
            auction_id: auction_id.clone(),
            gateway: self.config.gateway_id.clone(),
            after_seq,
        };
        self.with_owner(auction_id, true, |router| {
            let request = request.clone();
            async move {
                let result = router
                    .call(
                        |reply| RouterMessage::Subscribe(Wire::new(request), reply),
                        Some(self.config.call_timeout),
                    )
                    .await;
                match result {
                    Ok(CallResult::Success(wire)) => match wire.into_inner() {
                        Ok(SubscribeReply::NotOwner { owner }) => Attempt::Redirect(owner),
                        Ok(SubscribeReply::Unavailable { message }) => Attempt::Retry(message),
                        Ok(reply) => Attempt::Done(reply),
                        Err(error) => Attempt::Retry(error.to_string()),
                    },
                    Ok(CallResult::Timeout) => {
                        Attempt::Unknown("the node did not answer in time".into())
                    }
                    Ok(CallResult::SenderError) => {
                        Attempt::Unknown("the node dropped the request".into())
                    }
                    Err(error) => Attempt::Unknown(format!("the node is unreachable: {error}")),
                }
            }
        })
        .await
    }

    /// Ask `node` to take `auction_id` over from `owner`, which this gateway cannot reach. `true`
    /// when the node started the takeover.
    async fn request_takeover(&self, node: &str, auction_id: &AuctionId, owner: &str) -> bool {
        let Some(router) = Self::router(node) else {
            return false;
        };
        let request = TakeoverRequest {
            auction_id: auction_id.clone(),
            unreachable_owner: owner.to_string(),
        };
        let answer = router
            .call(
                |reply| RouterMessage::Takeover(Wire::new(request), reply),
                Some(self.config.call_timeout),
            )
            .await;
        let started = matches!(
            answer,
            Ok(CallResult::Success(ref wire)) if matches!(wire.0, Ok(ExecuteReply::Accepted { .. }))
        );
        if started {
            tracing::warn!(%auction_id, %owner, %node, "owner unreachable: takeover requested");
            metrics::counter!(m::TAKEOVERS_REQUESTED).increment(1);
        }
        started
    }

    /// Tell `node` this gateway no longer wants an auction's events.
    pub fn unsubscribe(&self, node: &str, auction_id: &AuctionId) {
        if let Some(router) = Self::router(node) {
            let request = UnsubscribeRequest {
                auction_id: auction_id.clone(),
                gateway: self.config.gateway_id.clone(),
            };
            let _ = router.cast(RouterMessage::Unsubscribe(Wire::new(request)));
        }
    }

    async fn with_owner<T, F, Fut>(
        &self,
        auction_id: &AuctionId,
        retry_unknown: bool,
        call: F,
    ) -> Result<(T, String), RouteError>
    where
        F: Fn(ActorRef<RouterMessage>) -> Fut,
        Fut: std::future::Future<Output = Attempt<T>>,
    {
        let deadline = Instant::now() + self.config.command_deadline;
        self.consult_directory(auction_id).await;
        let mut redirect: Option<String> = None;
        let mut backoff = Duration::from_millis(25);
        let mut last_problem;
        loop {
            let node = match redirect.take().filter(|node| self.is_reachable(node)) {
                Some(node) => Some(node),
                None => self.target(auction_id),
            };
            let router = node.as_deref().and_then(Self::router);
            match (node, router) {
                (Some(node), Some(router)) => match self.unless_down(&node, call(router)).await {
                    Attempt::Done(value) => {
                        self.confirm(auction_id, &node);
                        return Ok((value, node));
                    }
                    Attempt::Redirect(owner) => {
                        metrics::counter!(m::REDIRECTS).increment(1);
                        if owner.as_deref() == Some(node.as_str()) || owner.is_none() {
                            // The node itself is giving the auction up (or does not know yet):
                            // back off and ask placement again.
                            self.remember(auction_id, None);
                            last_problem = format!("node {node} is handing the auction over");
                        } else if let Some(owner) =
                            owner.as_ref().filter(|owner| !self.is_reachable(owner))
                        {
                            // The owner's lease is live but we cannot reach it (a partition):
                            // ask the node that answered to take the auction over if it cannot
                            // reach the owner either, then retry there.
                            last_problem =
                                format!("the owner {owner} of the auction is unreachable");
                            if self.request_takeover(&node, auction_id, owner).await {
                                redirect = Some(node.clone());
                                self.remember(auction_id, Some(node.clone()));
                                continue;
                            }
                        } else {
                            self.remember(auction_id, owner.clone());
                            redirect = owner;
                            continue;
                        }
                    }
                    Attempt::Retry(problem) => last_problem = problem,
                    Attempt::Unknown(problem) => {
                        self.remember(auction_id, None);
                        if !retry_unknown {
                            return Err(RouteError::OutcomeUnknown(problem));
                        }
                        last_problem = problem;
                    }
                },
                _ => last_problem = RouteError::NoNodes.to_string(),
            }
            if Instant::now() + backoff >= deadline {
                return Err(RouteError::Unavailable(last_problem));
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_millis(400));
        }
    }

    /// Await a call to `node`, giving up as soon as heartbeats declare the node down (a frozen node
    /// would otherwise hold the call for its whole timeout). Giving up is an unknown outcome.
    async fn unless_down<T>(
        &self,
        node: &str,
        call: impl std::future::Future<Output = Attempt<T>>,
    ) -> Attempt<T> {
        let mut changes = self.changes.subscribe();
        tokio::pin!(call);
        loop {
            tokio::select! {
                attempt = &mut call => return attempt,
                change = changes.recv() => match change {
                    Ok(NodeChange::Down(down)) if down == node => {
                        return Attempt::Unknown(format!("node {node} stopped answering"));
                    }
                    Err(broadcast::error::RecvError::Closed) => return call.await,
                    _ => {}
                },
            }
        }
    }

    /// Heartbeat every router until the process exits; publishes [`NodeChange`]s. Each node is
    /// probed by its own task, so a frozen node (whose pings time out) never delays the detection
    /// of another.
    pub async fn run_heartbeats(self: Arc<Self>) {
        let probing: Arc<Mutex<std::collections::HashSet<String>>> = Arc::default();
        loop {
            let members = Self::members();
            {
                let mut health = self.health.lock().unwrap_or_else(|p| p.into_inner());
                health.retain(|node, _| members.contains_key(node));
            }
            for node in members.into_keys() {
                let newly = probing
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(node.clone());
                if newly {
                    tokio::spawn(self.clone().probe(node, probing.clone()));
                }
            }
            self.publish_live_count();
            tokio::time::sleep(self.config.ping_every).await;
        }
    }

    /// Ping one node's router until it leaves pg.
    async fn probe(
        self: Arc<Self>,
        node: String,
        probing: Arc<Mutex<std::collections::HashSet<String>>>,
    ) {
        let request = PingRequest {
            from: self.config.gateway_id.clone(),
        };
        loop {
            let Some(router) = Self::router(&node) else {
                probing
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&node);
                return;
            };
            let started = Instant::now();
            let result = router
                .call(
                    |reply| RouterMessage::Ping(Wire::new(request.clone()), reply),
                    Some(self.config.ping_timeout),
                )
                .await;
            let status: Option<NodeStatus> = match result {
                Ok(CallResult::Success(wire)) => wire.into_inner().ok(),
                _ => None,
            };
            self.record(&node, status);
            tokio::time::sleep(self.config.ping_every.saturating_sub(started.elapsed())).await;
        }
    }

    fn record(&self, node: &str, status: Option<NodeStatus>) {
        let mut changes = Vec::new();
        {
            let mut health = self.health.lock().unwrap_or_else(|p| p.into_inner());
            let entry = health.entry(node.to_string()).or_default();
            match status {
                Some(status) => {
                    if entry.down || !entry.seen {
                        changes.push(NodeChange::Up(node.to_string()));
                    }
                    if status.draining && !entry.draining {
                        changes.push(NodeChange::Draining(node.to_string()));
                    }
                    entry.misses = 0;
                    entry.down = false;
                    entry.seen = true;
                    entry.draining = status.draining;
                }
                None => {
                    entry.misses += 1;
                    if entry.misses >= self.config.ping_misses && !entry.down {
                        entry.down = true;
                        changes.push(NodeChange::Down(node.to_string()));
                    }
                }
            }
        }
        if !changes.is_empty() {
            self.publish_live_count();
        }
        for change in changes {
            tracing::info!(?change, "node health changed");
            let _ = self.changes.send(change);
        }
    }

    fn publish_live_count(&self) {
        let health = self.health.lock().unwrap_or_else(|p| p.into_inner());
        metrics::gauge!(m::LIVE_NODES)
            .set(health.values().filter(|h| !h.down && h.seen).count() as f64);
    }

    /// A cluster session to `node` closed: mark it down at once (a process that died).
    pub fn session_closed(&self, node: &str) {
        let newly_down = {
            let mut health = self.health.lock().unwrap_or_else(|p| p.into_inner());
            let entry = health.entry(node.to_string()).or_default();
            let was_down = entry.down;
            entry.down = true;
            entry.misses = self.config.ping_misses;
            !was_down
        };
        if newly_down {
            tracing::info!(%node, "cluster session to node closed");
            let _ = self.changes.send(NodeChange::Down(node.to_string()));
        }
    }
}

fn classify_execute(
    result: Result<CallResult<Wire<ExecuteReply>>, ractor::MessagingErr<RouterMessage>>,
) -> Attempt<ExecuteReply> {
    match result {
        Ok(CallResult::Success(wire)) => match wire.into_inner() {
            Ok(ExecuteReply::NotOwner { owner }) => Attempt::Redirect(owner),
            Ok(ExecuteReply::Unavailable { message }) if message.starts_with("outcome unknown") => {
                Attempt::Unknown(message)
            }
            Ok(ExecuteReply::Unavailable { message }) => Attempt::Retry(message),
            Ok(reply) => Attempt::Done(reply),
            Err(error) => Attempt::Retry(error.to_string()),
        },
        Ok(CallResult::Timeout) => Attempt::Unknown("the node did not answer in time".into()),
        Ok(CallResult::SenderError) => {
            Attempt::Unknown("the node dropped the request (it restarted or failed)".into())
        }
        // The message never left this process: nothing was applied.
        Err(error) => Attempt::Retry(format!("the node is unreachable: {error}")),
    }
}
