//! The node's router: the one remotable actor of a node. It activates auctions on demand, forwards
//! commands and subscriptions to them, supervises them (restart from the log within a budget), and
//! drives drains and fences.
//!
//! The router never waits on an auction: it forwards the caller's reply port with the message, so a
//! slow auction never slows another one.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use auction::AuctionId;
use protocol::cluster::{
    ActivateRequest, DrainReport, ExecuteReply, NodeStatus, PingRequest, ROUTERS_GROUP,
    RouterMessage, SubscribeReply, Wire, router_name,
};
use ractor::{Actor, ActorId, ActorProcessingErr, ActorRef, MessagingErr, SupervisionEvent};
use tokio::time::Instant;

use crate::auction_actor::{AuctionActor, AuctionActorArgs, AuctionMessage, HandoffOutcome};
use crate::context::NodeContext;
use crate::metrics as m;

/// The router's behaviour.
#[derive(Debug, Default)]
pub struct Router;

/// The router's state: which auctions run here and who subscribed to them.
#[derive(Debug)]
pub struct RouterState {
    ctx: Arc<NodeContext>,
    auctions: HashMap<AuctionId, ActorRef<AuctionMessage>>,
    by_actor: HashMap<ActorId, AuctionId>,
    /// Gateways subscribed per auction, kept here so a restarted auction actor keeps pushing.
    subscriptions: HashMap<AuctionId, BTreeSet<String>>,
    restarts: HashMap<AuctionId, VecDeque<Instant>>,
    /// Actor names are unique per spawn: a retiring actor may linger while its successor starts.
    spawned: u64,
}

impl Router {
    /// Spawn the router of this node under its well-known name and join the routers group.
    pub async fn start(ctx: Arc<NodeContext>) -> Result<ActorRef<RouterMessage>, ractor::SpawnErr> {
        let name = router_name(&ctx.node_id);
        let (router, _) = Actor::spawn(Some(name), Router, ctx).await?;
        Ok(router)
    }
}

impl Actor for Router {
    type Msg = RouterMessage;
    type State = RouterState;
    type Arguments = Arc<NodeContext>;

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        ctx: Self::Arguments,
    ) -> Result<Self::State, ActorProcessingErr> {
        ractor::pg::join(ROUTERS_GROUP.to_string(), vec![myself.get_cell()]);
        Ok(RouterState {
            ctx,
            auctions: HashMap::new(),
            by_actor: HashMap::new(),
            subscriptions: HashMap::new(),
            restarts: HashMap::new(),
            spawned: 0,
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            RouterMessage::Ping(_request, reply) => {
                let status = NodeStatus {
                    node_id: state.ctx.node_id.clone(),
                    incarnation: state.ctx.incarnation,
                    draining: state.ctx.is_draining(),
                    live_auctions: u32::try_from(state.auctions.len()).unwrap_or(u32::MAX),
                    server_time: state.ctx.clock.now_ms(),
                };
                let _ = reply.send(Wire::new(status));
            }
            RouterMessage::Execute(request, reply) => match request.into_inner() {
                Err(error) => {
                    let _ = reply.send(Wire::new(ExecuteReply::Unavailable {
                        message: error.to_string(),
                    }));
                }
                Ok(request) => {
                    let auction_id = request.auction_id.clone();
                    let message = AuctionMessage::Execute(Box::new(request), reply);
                    forward(&myself, state, &auction_id, message).await;
                }
            },
            RouterMessage::Subscribe(request, reply) => match request.into_inner() {
                Err(error) => {
                    let _ = reply.send(Wire::new(SubscribeReply::Unavailable {
                        message: error.to_string(),
                    }));
                }
                Ok(request) => {
                    let auction_id = request.auction_id.clone();
                    state
                        .subscriptions
                        .entry(auction_id.clone())
                        .or_default()
                        .insert(request.gateway.clone());
                    forward(
                        &myself,
                        state,
                        &auction_id,
                        AuctionMessage::Subscribe(request, reply),
                    )
                    .await;
                }
            },
            RouterMessage::Unsubscribe(request) => {
                if let Ok(request) = request.into_inner() {
                    if let Some(gateways) = state.subscriptions.get_mut(&request.auction_id) {
                        gateways.remove(&request.gateway);
                        if gateways.is_empty() {
                            state.subscriptions.remove(&request.auction_id);
                        }
                    }
                    if let Some(actor) = state.auctions.get(&request.auction_id) {
                        let _ = actor.cast(AuctionMessage::Unsubscribe(request.gateway));
                    }
                }
            }
            RouterMessage::Create(request, reply) => match request.into_inner() {
                Err(error) => {
                    let _ = reply.send(Wire::new(ExecuteReply::Unavailable {
                        message: error.to_string(),
                    }));
                }
                Ok(request) => {
                    let auction_id = request.setup.auction_id.clone();
                    if state.ctx.is_draining() {
                        let _ = reply.send(Wire::new(ExecuteReply::NotOwner { owner: None }));
                    } else if state.auctions.contains_key(&auction_id) {
                        let _ = reply.send(Wire::new(ExecuteReply::Refused {
                            code: "already_exists".into(),
                            message: format!("auction {auction_id} already exists"),
                        }));
                    } else if let Err(error) = spawn_actor_default(
                        &myself,
                        state,
                        &auction_id,
                        Some((Box::new(request.setup), reply)),
                    )
                    .await
                    {
                        tracing::warn!(%auction_id, %error, "could not start an auction actor to create it");
                    }
                }
            },
            RouterMessage::Activate(request) => {
                if let Ok(request) = request.into_inner()
                    && !state.ctx.is_draining()
                    && !state.auctions.contains_key(&request.auction_id)
                {
                    let force = request.force;
                    if let Err(error) =
                        spawn_actor(&myself, state, &request.auction_id, None, force).await
                    {
                        tracing::warn!(auction_id = %request.auction_id, %error, "takeover activation failed");
                    }
                }
            }
            RouterMessage::Takeover(request, reply) => match request.into_inner() {
                Err(error) => {
                    let _ = reply.send(Wire::new(ExecuteReply::Unavailable {
                        message: error.to_string(),
                    }));
                }
                Ok(request) if state.ctx.is_draining() => {
                    let _ = request;
                    let _ = reply.send(Wire::new(ExecuteReply::NotOwner { owner: None }));
                }
                Ok(request) if state.auctions.contains_key(&request.auction_id) => {
                    // Already served (or being activated) here.
                    let _ = reply.send(Wire::new(ExecuteReply::Accepted { seq: 0 }));
                }
                Ok(request) => {
                    // Verify from here, off the router's mailbox, that the owner is unreachable.
                    let me = myself.clone();
                    let from = state.ctx.node_id.clone();
                    tokio::spawn(async move {
                        if router_answers(&request.unreachable_owner, &from).await {
                            let owner = Some(request.unreachable_owner);
                            let _ = reply.send(Wire::new(ExecuteReply::NotOwner { owner }));
                            return;
                        }
                        tracing::warn!(
                            auction_id = %request.auction_id, owner = %request.unreachable_owner,
                            "owner unreachable from the gateway and from here: forcing a takeover"
                        );
                        metrics::counter!(m::FORCED_TAKEOVERS).increment(1);
                        let activate = ActivateRequest {
                            auction_id: request.auction_id,
                            force: true,
                        };
                        let _ = me.cast(RouterMessage::Activate(Wire::new(activate)));
                        let _ = reply.send(Wire::new(ExecuteReply::Accepted { seq: 0 }));
                    });
                }
            },
            RouterMessage::Fence(request) => {
                let reason = request.into_inner().map(|r| r.reason).unwrap_or_default();
                tracing::warn!(%reason, auctions = state.auctions.len(), "fencing: every local auction stops serving");
                // New requests go to fresh actors, which claim again before serving anything.
                for (_, actor) in state.auctions.drain() {
                    let _ = actor.cast(AuctionMessage::Fence);
                }
            }
            RouterMessage::Forget(request) => {
                if let Ok(request) = request.into_inner()
                    && state
                        .auctions
                        .get(&request.auction_id)
                        .and_then(|actor| actor.get_name())
                        .as_deref()
                        == Some(request.actor_name.as_str())
                {
                    state.auctions.remove(&request.auction_id);
                }
            }
            RouterMessage::Drain(request, reply) => {
                let timeout = request.into_inner().map(|r| r.timeout_ms).unwrap_or(10_000);
                state.ctx.draining.store(true, Ordering::SeqCst);
                let actors: Vec<_> = state.auctions.values().cloned().collect();
                tracing::info!(
                    auctions = actors.len(),
                    "draining: handing every auction over"
                );
                tokio::spawn(async move {
                    let report = drain(actors, Duration::from_millis(timeout)).await;
                    tracing::info!(?report, "drain finished");
                    let _ = reply.send(Wire::new(report));
                });
            }
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<Self::Msg>,
        event: SupervisionEvent,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match event {
            SupervisionEvent::ActorFailed(cell, error) => {
                let Some(auction_id) = forget(state, cell.get_id()) else {
                    return Ok(());
                };
                metrics::counter!(m::ACTOR_FAILURES).increment(1);
                if state.ctx.is_draining() {
                    return Ok(());
                }
                if within_restart_budget(state, &auction_id) {
                    tracing::warn!(%auction_id, %error, "auction actor failed; restarting it from the log");
                    metrics::counter!(m::ACTOR_RESTARTS).increment(1);
                    if let Err(spawn_error) =
                        spawn_actor_default(&myself, state, &auction_id, None).await
                    {
                        tracing::error!(%auction_id, %spawn_error, "could not restart auction actor");
                    }
                } else {
                    tracing::error!(%auction_id, %error, "auction actor keeps failing; not restarting until the next request");
                }
            }
            SupervisionEvent::ActorTerminated(cell, _, reason) => {
                if let Some(auction_id) = forget(state, cell.get_id()) {
                    tracing::debug!(%auction_id, ?reason, "auction actor stopped");
                }
            }
            _ => {}
        }
        Ok(())
    }
}

impl NodeContext {
    /// Whether this node is handing its auctions over.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }
}

fn forget(state: &mut RouterState, actor: ActorId) -> Option<AuctionId> {
    let auction_id = state.by_actor.remove(&actor)?;
    if state
        .auctions
        .get(&auction_id)
        .is_some_and(|current| current.get_id() == actor)
    {
        state.auctions.remove(&auction_id);
    }
    Some(auction_id)
}

fn within_restart_budget(state: &mut RouterState, auction_id: &AuctionId) -> bool {
    let window = state.ctx.tuning.restart_window;
    let history = state.restarts.entry(auction_id.clone()).or_default();
    let now = Instant::now();
    while history
        .front()
        .is_some_and(|at| now.duration_since(*at) > window)
    {
        history.pop_front();
    }
    if history.len() >= state.ctx.tuning.restart_limit as usize {
        return false;
    }
    history.push_back(now);
    true
}

/// Send `message` to the auction's actor, starting it when needed. If the actor died in between,
/// start a fresh one and try once more; if that fails too, answer "unavailable".
async fn forward(
    myself: &ActorRef<RouterMessage>,
    state: &mut RouterState,
    auction_id: &AuctionId,
    message: AuctionMessage,
) {
    let mut message = message;
    for _attempt in 0..2 {
        let actor = match state.auctions.get(auction_id) {
            Some(actor) => actor.clone(),
            None if state.ctx.is_draining() => {
                refuse(message, RefuseAs::NotOwner);
                return;
            }
            None => match spawn_actor_default(myself, state, auction_id, None).await {
                Ok(actor) => actor,
                Err(error) => {
                    tracing::warn!(%auction_id, %error, "could not start auction actor");
                    refuse(
                        message,
                        RefuseAs::Unavailable(format!("could not start the auction: {error}")),
                    );
                    return;
                }
            },
        };
        match actor.cast(message) {
            Ok(()) => return,
            Err(MessagingErr::SendErr(returned)) => {
                forget(state, actor.get_id());
                message = returned;
            }
            Err(_) => return,
        }
    }
    refuse(
        message,
        RefuseAs::Unavailable("the auction restarted; try again".into()),
    );
}

enum RefuseAs {
    NotOwner,
    Unavailable(String),
}

fn refuse(message: AuctionMessage, how: RefuseAs) {
    let (execute, subscribe) = match how {
        RefuseAs::NotOwner => (
            ExecuteReply::NotOwner { owner: None },
            SubscribeReply::NotOwner { owner: None },
        ),
        RefuseAs::Unavailable(message) => (
            ExecuteReply::Unavailable {
                message: message.clone(),
            },
            SubscribeReply::Unavailable { message },
        ),
    };
    match message {
        AuctionMessage::Execute(_, reply) => {
            let _ = reply.send(Wire::new(execute));
        }
        AuctionMessage::Subscribe(_, reply) => {
            let _ = reply.send(Wire::new(subscribe));
        }
        _ => {}
    }
}

/// The reply port of a `Create` call, carried to the actor that creates the auction.
type CreateReply = (
    Box<auction::AuctionSetup>,
    ractor::RpcReplyPort<Wire<ExecuteReply>>,
);

/// Start an actor for `auction_id`, claiming normally.
async fn spawn_actor_default(
    myself: &ActorRef<RouterMessage>,
    state: &mut RouterState,
    auction_id: &AuctionId,
    create: Option<CreateReply>,
) -> Result<ActorRef<AuctionMessage>, ractor::SpawnErr> {
    spawn_actor(myself, state, auction_id, create, false).await
}

/// Start an actor for `auction_id`; `force_claim` takes the auction from a live-leased owner that
/// is unreachable.
async fn spawn_actor(
    myself: &ActorRef<RouterMessage>,
    state: &mut RouterState,
    auction_id: &AuctionId,
    create: Option<CreateReply>,
    force_claim: bool,
) -> Result<ActorRef<AuctionMessage>, ractor::SpawnErr> {
    let args = AuctionActorArgs {
        auction_id: auction_id.clone(),
        ctx: state.ctx.clone(),
        subscribers: state
            .subscriptions
            .get(auction_id)
            .cloned()
            .unwrap_or_default(),
        create,
        force_claim,
    };
    state.spawned += 1;
    let name = format!(
        "auction:{}:{auction_id}#{}",
        state.ctx.node_id, state.spawned
    );
    let (actor, _) = Actor::spawn_linked(Some(name), AuctionActor, args, myself.get_cell()).await?;
    state.by_actor.insert(actor.get_id(), auction_id.clone());
    state.auctions.insert(auction_id.clone(), actor.clone());
    Ok(actor)
}

async fn drain(actors: Vec<ActorRef<AuctionMessage>>, timeout: Duration) -> DrainReport {
    let handoffs = actors.into_iter().map(|actor| async move {
        ractor::call_t!(actor, AuctionMessage::Handoff, timeout.as_millis() as u64)
    });
    let mut report = DrainReport {
        released: 0,
        failed: 0,
    };
    for outcome in futures_util::future::join_all(handoffs).await {
        match outcome {
            Ok(HandoffOutcome::Released { .. }) => report.released += 1,
            Ok(HandoffOutcome::NotServing) => {}
            _ => report.failed += 1,
        }
    }
    report
}

/// Whether `node`'s router answers a ping from here (two tries, 400 ms each).
async fn router_answers(node: &str, from: &str) -> bool {
    let name = router_name(node);
    let Some(cell) = ractor::pg::get_members(&ROUTERS_GROUP.to_string())
        .into_iter()
        .find(|cell| cell.get_name().as_deref() == Some(name.as_str()))
    else {
        return false;
    };
    let router: ActorRef<RouterMessage> = cell.into();
    for _ in 0..2 {
        let request = PingRequest {
            from: from.to_string(),
        };
        let answer = router
            .call(
                |reply| RouterMessage::Ping(Wire::new(request), reply),
                Some(Duration::from_millis(400)),
            )
            .await;
        if matches!(answer, Ok(ractor::rpc::CallResult::Success(_))) {
            return true;
        }
    }
    false
}
