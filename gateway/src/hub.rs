//! Per-auction fan-out hubs: one subscription at the owning node per auction per gateway, shared by
//! every local connection watching it.
//!
//! A hub holds a *cache* (the last snapshot from the node plus the events after it), never the
//! auction's truth: killing the gateway loses nothing, and a restarted gateway rebuilds every hub
//! from the node. Each event is encoded once per encoding (and once more for the owner of a private
//! event) and the same bytes are queued to every connection.
//!
//! Ordering: events are accepted strictly by sequence number. A duplicate is dropped; a gap makes
//! the hub catch up from the node (`after_seq` = the last event it has), which answers with exactly
//! the missing events or a snapshot. Because the store gives every sequence number exactly one
//! event, an event with the next number is correct whichever node delivered it.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use auction::{AuctionId, UserId};
use protocol::client::{AuctionStatus, ErrorCode, ServerFrame};
use protocol::cluster::{Delivery, SubscribeReply};
use protocol::envelope::{ClientEvent, EventEnvelope, Snapshot};
use tokio::time::Instant;

use crate::metrics as m;
use crate::outbox::{Outbox, server_time};
use crate::routing::{NodeChange, Routing};

/// The presence frame last broadcast for an auction, for a connection that just joined.
fn presence_frame(auction_id: &AuctionId, state: &HubState) -> Option<ServerFrame> {
    let online = state.presence_online.as_ref()?;
    Some(ServerFrame::Presence {
        server_time: server_time(),
        auction_id: auction_id.clone(),
        online: online.iter().cloned().collect(),
        watchers: state.presence_watchers,
    })
}

/// Shortest interval between two presence broadcasts of one auction.
const PRESENCE_EVERY: Duration = Duration::from_secs(1);

/// Events kept after the cached snapshot before a fresh snapshot is requested.
const MAX_TAIL_EVENTS: usize = 2_048;

/// Identifies a connection.
pub type ConnId = u64;

/// Every hub of this gateway.
#[derive(Debug)]
pub struct Hubs {
    hubs: Mutex<HashMap<AuctionId, Arc<Hub>>>,
    routing: Arc<Routing>,
    linger: Duration,
}

/// One auction's hub.
#[derive(Debug)]
pub struct Hub {
    auction_id: AuctionId,
    hubs: Weak<Hubs>,
    state: Mutex<HubState>,
}

#[derive(Debug)]
struct HubState {
    status: Status,
    owner: Option<String>,
    snapshot: Option<Arc<Snapshot>>,
    /// Events after `snapshot.seq`, contiguous.
    tail: VecDeque<EventEnvelope>,
    head: u64,
    members: HashMap<ConnId, Member>,
    syncing: bool,
    empty_since: Option<Instant>,
    gone: bool,
    presence_online: Option<BTreeSet<UserId>>,
    presence_watchers: u32,
    presence_sent_at: Option<Instant>,
    /// Users watching through any gateway, as last read from Redis.
    remote_online: BTreeSet<UserId>,
    /// Events pushed before the first snapshot was installed.
    early: Vec<EventEnvelope>,
    /// Presence changed since the last broadcast, which was too recent to send another.
    presence_dirty: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    /// Waiting for the first answer from the node.
    Starting,
    Live,
    Recovering,
}

#[derive(Debug)]
struct Member {
    outbox: Outbox,
    /// Last sequence number this connection has been sent; `None` until its first frame.
    sent: Option<u64>,
    /// Asked-for resume point, used when the hub is not ready yet.
    after_seq: Option<u64>,
}

impl Hubs {
    /// No hubs yet.
    pub fn new(routing: Arc<Routing>, linger: Duration) -> Arc<Hubs> {
        Arc::new(Hubs {
            hubs: Mutex::new(HashMap::new()),
            routing,
            linger,
        })
    }

    fn hub(self: &Arc<Self>, auction_id: &AuctionId) -> Arc<Hub> {
        let mut hubs = self.hubs.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(hub) = hubs.get(auction_id) {
            return hub.clone();
        }
        let hub = Arc::new(Hub {
            auction_id: auction_id.clone(),
            hubs: Arc::downgrade(self),
            state: Mutex::new(HubState {
                status: Status::Starting,
                owner: None,
                snapshot: None,
                tail: VecDeque::new(),
                head: 0,
                members: HashMap::new(),
                syncing: false,
                empty_since: None,
                gone: false,
                presence_online: None,
                presence_watchers: 0,
                presence_sent_at: None,
                remote_online: BTreeSet::new(),
                early: Vec::new(),
                presence_dirty: false,
            }),
        });
        hubs.insert(auction_id.clone(), hub.clone());
        metrics::gauge!(m::HUBS).set(hubs.len() as f64);
        hub
    }

    /// Start sending `auction_id`'s events to a connection, resuming after `after_seq`.
    pub fn join(
        self: &Arc<Self>,
        auction_id: &AuctionId,
        conn: ConnId,
        outbox: Outbox,
        after_seq: Option<u64>,
    ) {
        let hub = self.hub(auction_id);
        let needs_sync = {
            let mut state = hub.lock();
            state.empty_since = None;
            let mut member = Member {
                outbox,
                sent: None,
                after_seq,
            };
            if state.status != Status::Starting {
                hub.bring_up_to_date(&state, &mut member);
            }
            state.members.insert(conn, member);
            hub.send_presence(&mut state);
            let needs = state.snapshot.is_none() && !state.syncing;
            if needs {
                state.syncing = true;
            }
            needs
        };
        if needs_sync {
            tokio::spawn(hub.clone().sync());
        }
    }

    /// Stop sending `auction_id`'s events to a connection.
    pub fn leave(&self, auction_id: &AuctionId, conn: ConnId) {
        let hub = self
            .hubs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(auction_id)
            .cloned();
        if let Some(hub) = hub {
            let mut state = hub.lock();
            if state.members.remove(&conn).is_some() {
                hub.send_presence(&mut state);
            }
            if state.members.is_empty() {
                state.empty_since = Some(Instant::now());
            }
        }
    }

    /// Events pushed by a node.
    pub fn deliver(self: &Arc<Self>, delivery: Delivery) {
        let hub = self
            .hubs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&delivery.auction_id)
            .cloned();
        match hub {
            Some(hub) => hub.accept(delivery.events, Some(delivery.node)),
            None => {
                // Nobody here watches it any more (e.g. we restarted): stop the pushes.
                self.routing
                    .unsubscribe(&delivery.node, &delivery.auction_id);
            }
        }
    }

    /// The node serving `auction_id` stopped serving it.
    pub fn moved(self: &Arc<Self>, auction_id: &AuctionId, node: &str) {
        let hub = self
            .hubs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(auction_id)
            .cloned();
        if let Some(hub) = hub {
            let owned_by_node = hub.lock().owner.as_deref() == Some(node);
            if owned_by_node {
                hub.resync(Status::Recovering);
            }
        }
    }

    /// React to a node going down or draining: its hubs look for the new owner.
    pub fn node_changed(self: &Arc<Self>, change: &NodeChange) {
        let hubs: Vec<Arc<Hub>> = self
            .hubs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        for hub in hubs {
            let (owner, status) = {
                let state = hub.lock();
                (state.owner.clone(), state.status)
            };
            match change {
                NodeChange::Down(node) if owner.as_deref() == Some(node.as_str()) => {
                    hub.resync(Status::Recovering)
                }
                NodeChange::Draining(node) if owner.as_deref() == Some(node.as_str()) => {
                    hub.resync(Status::Live)
                }
                NodeChange::Up(_) if status == Status::Recovering => hub.resync(Status::Recovering),
                _ => {}
            }
        }
    }

    /// Forget hubs nobody watched for `linger`, unsubscribing at their node.
    pub fn sweep(&self) {
        let mut hubs = self.hubs.lock().unwrap_or_else(|p| p.into_inner());
        let linger = self.linger;
        hubs.retain(|auction_id, hub| {
            let mut state = hub.lock();
            let expired = state.members.is_empty()
                && state
                    .empty_since
                    .is_some_and(|since| since.elapsed() >= linger);
            if expired {
                state.gone = true;
                if let Some(owner) = &state.owner {
                    self.routing.unsubscribe(owner, auction_id);
                }
            }
            !expired
        });
        metrics::gauge!(m::HUBS).set(hubs.len() as f64);
    }

    /// Number of hubs (tests, status).
    pub fn len(&self) -> usize {
        self.hubs.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether there are no hubs.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every 2 s, publish who watches each auction here and learn who watches it through other
    /// gateways (through Redis), so presence is cluster-wide. Without Redis, presence is this
    /// gateway's own view.
    pub async fn run_presence(self: Arc<Self>, shared: Arc<crate::shared::Shared>) {
        loop {
            tokio::time::sleep(Duration::from_secs(2)).await;
            if !shared.is_healthy() {
                continue;
            }
            let hubs: Vec<Arc<Hub>> = self
                .hubs
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .values()
                .cloned()
                .collect();
            for hub in hubs {
                let here = {
                    let state = hub.lock();
                    if state.members.is_empty() {
                        continue;
                    }
                    state
                        .members
                        .values()
                        .filter_map(|m| m.outbox.user().cloned())
                        .collect::<BTreeSet<UserId>>()
                };
                if let Some(everywhere) = shared.presence(&hub.auction_id, &here).await {
                    let mut state = hub.lock();
                    state.remote_online = everywhere;
                    hub.send_presence(&mut state);
                }
            }
        }
    }

    /// Send the presence changes held back by the once-a-second limit.
    fn flush_presence(&self) {
        let hubs: Vec<Arc<Hub>> = self
            .hubs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        for hub in hubs {
            let mut state = hub.lock();
            if state.presence_dirty {
                hub.send_presence(&mut state);
            }
        }
    }

    /// Run the sweeper, the presence flusher and the node-change listener until the process ends.
    pub async fn run_maintenance(self: Arc<Self>) {
        let mut changes = self.routing.subscribe_changes();
        let mut sweep = tokio::time::interval(Duration::from_secs(5));
        let mut presence = tokio::time::interval(PRESENCE_EVERY);
        loop {
            tokio::select! {
                _ = sweep.tick() => self.sweep(),
                _ = presence.tick() => self.flush_presence(),
                change = changes.recv() => match change {
                    Ok(change) => self.node_changed(&change),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                },
            }
        }
    }
}

impl Hub {
    fn lock(&self) -> std::sync::MutexGuard<'_, HubState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Start a catch-up from the node unless one is running.
    fn resync(self: &Arc<Self>, status: Status) {
        let start = {
            let mut state = self.lock();
            if state.gone {
                return;
            }
            if status == Status::Recovering && state.status == Status::Live {
                state.status = Status::Recovering;
                self.broadcast_status(&state, AuctionStatus::Recovering);
            }
            let start = !state.syncing;
            state.syncing = true;
            start
        };
        if start {
            tokio::spawn(self.clone().sync());
        }
    }

    /// Subscribe (or catch up) at the owner, retrying through a failover, until served or nobody
    /// is watching any more.
    async fn sync(self: Arc<Self>) {
        let Some(hubs) = self.hubs.upgrade() else {
            return;
        };
        let mut backoff = Duration::from_millis(50);
        loop {
            let after = {
                let state = self.lock();
                if state.members.is_empty() && state.snapshot.is_some() {
                    drop(state);
                    self.lock().syncing = false;
                    return;
                }
                state.snapshot.as_ref().map(|_| state.head)
            };
            match hubs.routing.subscribe(&self.auction_id, after).await {
                Ok((SubscribeReply::CatchUp { events }, node)) => {
                    self.lock().owner = Some(node.clone());
                    self.accept(events, Some(node.clone()));
                    self.finish_sync();
                    self.accept_early(node);
                    return;
                }
                Ok((SubscribeReply::Snapshot { snapshot }, node)) => {
                    self.install_snapshot(*snapshot, node.clone());
                    self.finish_sync();
                    self.accept_early(node);
                    return;
                }
                Ok((SubscribeReply::NotFound, _)) => {
                    self.close_all(ErrorCode::UnknownAuction, "There is no such auction.");
                    return;
                }
                Ok((other, _)) => {
                    tracing::debug!(auction_id = %self.auction_id, ?other, "unexpected subscribe answer")
                }
                Err(error) => {
                    let mut state = self.lock();
                    if state.status == Status::Live {
                        state.status = Status::Recovering;
                        self.broadcast_status(&state, AuctionStatus::Recovering);
                    }
                    tracing::debug!(auction_id = %self.auction_id, %error, "subscribe failed; retrying");
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_millis(500));
        }
    }

    /// Apply the events that arrived while a sync was running (a remaining gap starts a new sync).
    fn accept_early(self: &Arc<Self>, node: String) {
        let early = std::mem::take(&mut self.lock().early);
        if !early.is_empty() {
            self.accept(early, Some(node));
        }
    }

    fn finish_sync(&self) {
        let mut state = self.lock();
        state.syncing = false;
        if state.status != Status::Live {
            let was_recovering = state.status == Status::Recovering;
            state.status = Status::Live;
            if was_recovering {
                self.broadcast_status(&state, AuctionStatus::Live);
            }
        }
        // Members that joined before the hub had anything.
        let ids: Vec<ConnId> = state
            .members
            .iter()
            .filter(|(_, m)| m.sent.is_none())
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            if let Some(mut member) = state.members.remove(&id) {
                self.bring_up_to_date(&state, &mut member);
                state.members.insert(id, member);
            }
        }
        self.send_presence(&mut state);
    }

    fn install_snapshot(&self, snapshot: Snapshot, node: String) {
        let mut state = self.lock();
        state.owner = Some(node);
        if state.snapshot.is_some() && snapshot.seq < state.head {
            // Never go backwards: keep what we have and the events after it.
            tracing::warn!(auction_id = %self.auction_id, snapshot = snapshot.seq, head = state.head, "older snapshot ignored");
            return;
        }
        let seq = snapshot.seq;
        let previous_head = state.head;
        state.tail.retain(|event| event.seq > seq);
        state.snapshot = Some(Arc::new(snapshot));
        state.head = state.head.max(seq);
        // Connections that had everything up to the previous head but are now behind a jump get
        // the snapshot (they cannot be given the missing events).
        if seq > previous_head {
            let ids: Vec<ConnId> = state.members.keys().copied().collect();
            for id in ids {
                if let Some(mut member) = state.members.remove(&id) {
                    if member.sent.is_some_and(|sent| sent < seq) {
                        member.sent = None;
                        member.after_seq = None;
                    }
                    if member.sent.is_none() {
                        self.bring_up_to_date(&state, &mut member);
                    }
                    state.members.insert(id, member);
                }
            }
        }
    }

    /// Send a connection what it needs to be at `head`: the events after its resume point when
    /// the hub has them, else the snapshot plus the events after it.
    fn bring_up_to_date(&self, state: &HubState, member: &mut Member) {
        let Some(snapshot) = &state.snapshot else {
            return;
        };
        let base = snapshot.seq;
        let now = server_time();
        let up_to = match member.after_seq {
            Some(after) if after > state.head => {
                // The client is ahead of this hub (it saw events through another gateway): send
                // nothing until the hub passes it.
                member.sent = Some(after);
                after
            }
            Some(after) if after >= base => {
                let events: Vec<&EventEnvelope> =
                    state.tail.iter().filter(|e| e.seq > after).collect();
                if !events.is_empty() {
                    member.outbox.send_events(&self.auction_id, &events, now);
                }
                member.sent = Some(state.head);
                state.head
            }
            _ => {
                let frame = ServerFrame::Snapshot {
                    server_time: now,
                    auction_id: self.auction_id.clone(),
                    seq: base,
                    view: Box::new(snapshot.view.clone()),
                    mine: snapshot.private_for(member.outbox.user()),
                };
                member.outbox.send_frame(&frame);
                let events: Vec<&EventEnvelope> = state.tail.iter().collect();
                if !events.is_empty() {
                    member.outbox.send_events(&self.auction_id, &events, now);
                }
                member.sent = Some(state.head);
                state.head
            }
        };
        member.outbox.send_frame(&ServerFrame::Subscribed {
            server_time: now,
            auction_id: self.auction_id.clone(),
            seq: up_to,
        });
        if state.status == Status::Recovering {
            member.outbox.send_frame(&ServerFrame::AuctionStatus {
                server_time: now,
                auction_id: self.auction_id.clone(),
                status: AuctionStatus::Recovering,
            });
        }
        if let Some(frame) = presence_frame(&self.auction_id, state) {
            member.outbox.send_frame(&frame);
        }
    }

    /// Accept events from a node (a push or a catch-up), in order, dropping duplicates, and fan
    /// them out. A gap triggers a catch-up.
    fn accept(self: &Arc<Self>, events: Vec<EventEnvelope>, node: Option<String>) {
        let mut gap = false;
        let mut too_long = false;
        {
            let mut state = self.lock();
            if state.snapshot.is_none() {
                // The node registered this gateway and pushed before its answer to the subscription
                // was processed here: keep the events until the snapshot is installed (they are
                // the events right after it).
                if state.early.len() + events.len() <= MAX_TAIL_EVENTS {
                    state.early.extend(events);
                }
                return;
            }
            let mut fresh = Vec::new();
            let mut events = events.into_iter();
            for event in events.by_ref() {
                if event.seq <= state.head {
                    continue;
                }
                if event.seq != state.head + 1 {
                    // Keep what arrived past the gap: the catch-up brings the missing events, and
                    // these follow them (they may be the last events for a while).
                    gap = true;
                    if state.early.len() < MAX_TAIL_EVENTS {
                        state.early.push(event);
                        state.early.extend(events.by_ref().take(MAX_TAIL_EVENTS));
                    }
                    break;
                }
                state.head = event.seq;
                fresh.push(event);
            }
            if let Some(node) = node.filter(|_| !fresh.is_empty()) {
                state.owner = Some(node);
            }
            if !fresh.is_empty() {
                self.fan_out(&mut state, &fresh);
                state.tail.extend(fresh);
                too_long = state.tail.len() > MAX_TAIL_EVENTS;
            }
        }
        if gap {
            metrics::counter!(m::GAPS).increment(1);
            self.resync(Status::Live);
        } else if too_long {
            self.refresh_snapshot();
        }
    }

    /// Replace the cached snapshot with a fresh one so the tail stays short.
    fn refresh_snapshot(self: &Arc<Self>) {
        let hub = self.clone();
        tokio::spawn(async move {
            let Some(hubs) = hub.hubs.upgrade() else {
                return;
            };
            if let Ok((SubscribeReply::Snapshot { snapshot }, node)) =
                hubs.routing.subscribe(&hub.auction_id, None).await
            {
                hub.install_snapshot(*snapshot, node);
            }
        });
    }

    fn fan_out(&self, state: &mut HubState, fresh: &[EventEnvelope]) {
        let now = server_time();
        let started = std::time::Instant::now();
        let public: Vec<ClientEvent> = fresh.iter().map(|event| event.for_viewer(None)).collect();
        let has_private = fresh.iter().any(|event| event.private_to().is_some());
        let frame = ServerFrame::Events {
            server_time: now,
            auction_id: self.auction_id.clone(),
            events: public,
        };
        let mut encoded = crate::outbox::EncodedOnce::new(&frame);
        let mut slow = Vec::new();
        let head = state.head;
        for (id, member) in state.members.iter_mut() {
            let Some(sent) = member.sent else { continue };
            if sent >= head {
                continue;
            }
            let ok = if sent >= fresh[0].seq || (has_private && member.outbox.user().is_some()) {
                // Partly seen already, or may see a private event: build this member's own frame.
                let events: Vec<&EventEnvelope> = fresh.iter().filter(|e| e.seq > sent).collect();
                member.outbox.send_events(&self.auction_id, &events, now)
            } else {
                member
                    .outbox
                    .send_message(encoded.get(member.outbox.encoding()))
            };
            if ok {
                member.sent = Some(head);
            } else {
                slow.push(*id);
            }
        }
        for id in slow {
            if let Some(member) = state.members.remove(&id) {
                metrics::counter!(m::SLOW_CONSUMERS).increment(1);
                member.outbox.close_slow();
            }
        }
        metrics::histogram!(m::FANOUT_SECONDS).record(started.elapsed().as_secs_f64());
        metrics::histogram!(m::FANOUT_WIDTH).record(state.members.len() as f64);
    }

    fn broadcast_status(&self, state: &HubState, status: AuctionStatus) {
        let frame = ServerFrame::AuctionStatus {
            server_time: server_time(),
            auction_id: self.auction_id.clone(),
            status,
        };
        let mut encoded = crate::outbox::EncodedOnce::new(&frame);
        for member in state.members.values() {
            member
                .outbox
                .send_message(encoded.get(member.outbox.encoding()));
        }
    }

    /// Broadcast who is present when the set of present managers (and the commissioner) changed.
    /// Spectators only count towards `watchers`, refreshed with the next change or every few
    /// seconds, so thousands of spectators joining never cause a broadcast storm.
    fn send_presence(&self, state: &mut HubState) {
        let Some(snapshot) = &state.snapshot else {
            return;
        };
        let view = &snapshot.view;
        let principals: BTreeSet<&UserId> = view
            .managers
            .iter()
            .map(|manager| &manager.id)
            .chain(std::iter::once(&view.commissioner))
            .collect();
        let online: BTreeSet<UserId> = state
            .members
            .values()
            .filter_map(|m| m.outbox.user())
            .chain(state.remote_online.iter())
            .filter(|user| principals.contains(user))
            .cloned()
            .collect();
        let watchers = u32::try_from(state.members.len()).unwrap_or(u32::MAX);
        let stale_count = state
            .presence_sent_at
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(3))
            && state.presence_watchers != watchers;
        if state.presence_online.as_ref() == Some(&online) && !stale_count {
            return;
        }
        // At most one broadcast a second per auction: managers dropping and coming back on bad
        // networks must not turn into a stream of frames to thousands of spectators. The change is
        // sent by the next maintenance tick.
        if state
            .presence_sent_at
            .is_some_and(|at| at.elapsed() < PRESENCE_EVERY)
        {
            state.presence_dirty = true;
            return;
        }
        state.presence_dirty = false;
        state.presence_online = Some(online.clone());
        state.presence_watchers = watchers;
        state.presence_sent_at = Some(Instant::now());
        let frame = ServerFrame::Presence {
            server_time: server_time(),
            auction_id: self.auction_id.clone(),
            online: online.into_iter().collect(),
            watchers,
        };
        let mut encoded = crate::outbox::EncodedOnce::new(&frame);
        for member in state.members.values() {
            member
                .outbox
                .send_message(encoded.get(member.outbox.encoding()));
        }
    }

    fn close_all(&self, code: ErrorCode, message: &str) {
        let mut state = self.lock();
        state.syncing = false;
        state.gone = true;
        let frame = ServerFrame::Error {
            server_time: server_time(),
            request_id: None,
            code,
            message: message.to_string(),
            retry_after_ms: None,
        };
        for (_, member) in state.members.drain() {
            member.outbox.send_frame(&frame);
        }
        if let Some(hubs) = self.hubs.upgrade() {
            hubs.hubs
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&self.auction_id);
        }
    }
}
