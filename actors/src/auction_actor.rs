//! One live auction: the actor that owns its state, decides every command with the rules crate,
//! makes the resulting events durable *before* answering, runs the lot clock and pushes events to
//! the gateways subscribed to it.
//!
//! ## Pipeline
//!
//! Decisions are taken against a *speculative* state that already includes events still being
//! written; the write path sends one batch at a time (everything decided while the previous batch
//! was in flight), so a burst of bids in the last second of a lot costs a few appends, not one per
//! bid. Every answer waits until the events it depends on are durable: an `Accepted` waits for its
//! own events, a refusal or duplicate waits for the events it was decided against. Subscribers and
//! snapshots only ever see the *durable* state.
//!
//! ## Ownership
//!
//! Activation claims the auction's epoch in the store, replays its log and, after a takeover,
//! restores the lot clock from the moment the previous owner was last known alive
//! (`Command::Recover`): the clock is held during failover, never shortened. Every append is fenced
//! by the epoch: if another node took the auction over, the append is refused and this actor stops
//! without answering anything it could not make durable.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use auction::{Auction, AuctionId, AuctionSetup, Command, Decision, Event, Timestamp, UserId};
use protocol::client::AuctionCommand;
use protocol::cluster::{
    Delivery, ExecuteReply, ExecuteRequest, ForgetRequest, GATEWAYS_GROUP, GatewayMessage, Moved,
    RouterMessage, SubscribeReply, SubscribeRequest, Wire, gateway_name,
};
use protocol::codec;
use protocol::envelope::{Board, EventEnvelope, Snapshot};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use ractor_cluster::RactorMessage;
use store::{AppendError, ClaimError};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::context::NodeContext;
use crate::metrics as m;

/// The auction actor's behaviour (configuration lives in its arguments; state in
/// [`AuctionActorState`]).
#[derive(Debug, Default)]
pub struct AuctionActor;

/// What an auction actor is started with.
#[derive(Debug)]
pub struct AuctionActorArgs {
    /// The auction to host.
    pub auction_id: AuctionId,
    /// The node's shared context.
    pub ctx: Arc<NodeContext>,
    /// Gateways already subscribed (kept by the router across restarts).
    pub subscribers: BTreeSet<String>,
    /// Set when the actor is spawned to create the auction.
    pub create: Option<(Box<AuctionSetup>, RpcReplyPort<Wire<ExecuteReply>>)>,
    /// Claim even from an owner whose lease is live (it is unreachable from gateways and from this
    /// node); its writes are fenced from then on.
    pub force_claim: bool,
}

/// Messages of an auction actor (local only: auctions are never remotable, see `protocol::cluster`).
#[derive(Debug, RactorMessage)]
pub enum AuctionMessage {
    /// First message of every actor: claim, replay, recover.
    Activate,
    /// A command from a gateway.
    Execute(Box<ExecuteRequest>, RpcReplyPort<Wire<ExecuteReply>>),
    /// A gateway wants events from `after_seq` on.
    Subscribe(SubscribeRequest, RpcReplyPort<Wire<SubscribeReply>>),
    /// A gateway no longer wants events.
    Unsubscribe(String),
    /// The lot clock (or gap, or nomination clock) may have run out.
    Tick,
    /// A batch append finished.
    Appended(Result<(), AppendError>),
    /// Drain: finish what is in flight, give ownership up, stop.
    Handoff(RpcReplyPort<HandoffOutcome>),
    /// Passivation check: stop if idle for long enough.
    IdleCheck,
    /// Stop serving: this node may have lost the auction (its lease lapsed).
    Fence,
    /// Stop now (after answering what was queued before this message).
    Stop,
    /// Report internals (tests, status pages).
    Inspect(RpcReplyPort<AuctionReport>),
}

/// How a handoff ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandoffOutcome {
    /// Ownership released at `released_at` with every answered command durable.
    Released {
        /// When ownership was given up (the clock is restored from here by the next owner).
        released_at: i64,
    },
    /// Nothing to hand over (the actor was not serving the auction).
    NotServing,
    /// The release could not be written; the next owner will take over when the lease expires.
    Failed(String),
}

/// Internals, for tests and status pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuctionReport {
    /// `serving`, `read_only`, `activating` or `gone`.
    pub mode: &'static str,
    /// Ownership epoch held.
    pub epoch: u64,
    /// Last durable sequence number.
    pub durable_seq: u64,
    /// Last decided sequence number (durable or in flight).
    pub decided_seq: u64,
    /// Subscribed gateways.
    pub subscribers: Vec<String>,
    /// When the clock next needs attention.
    pub next_deadline: Option<Timestamp>,
}

/// The actor's state.
pub struct AuctionActorState {
    auction_id: AuctionId,
    ctx: Arc<NodeContext>,
    subscribers: BTreeMap<String, Option<ActorRef<GatewayMessage>>>,
    mode: Mode,
    create: Option<(Box<AuctionSetup>, RpcReplyPort<Wire<ExecuteReply>>)>,
    force_claim: bool,
    last_activity: Instant,
    idle_timer: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for AuctionActorState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuctionActorState")
            .field("auction_id", &self.auction_id)
            .field("mode", &self.mode.name())
            .field("subscribers", &self.subscribers.keys().collect::<Vec<_>>())
            .finish()
    }
}

enum Mode {
    Activating,
    Serving(Box<Live>),
    /// Not serving: every message is answered with this and the actor stops.
    Gone(GoneReason),
}

impl Mode {
    fn name(&self) -> &'static str {
        match self {
            Mode::Activating => "activating",
            Mode::Serving(live) if live.read_only => "read_only",
            Mode::Serving(_) => "serving",
            Mode::Gone(_) => "gone",
        }
    }
}

#[derive(Debug, Clone)]
enum GoneReason {
    NotOwner(Option<String>),
    NotFound,
    Unavailable(String),
}

impl GoneReason {
    fn execute_reply(&self) -> ExecuteReply {
        match self {
            GoneReason::NotOwner(owner) => ExecuteReply::NotOwner {
                owner: owner.clone(),
            },
            GoneReason::NotFound => ExecuteReply::NotFound,
            GoneReason::Unavailable(message) => ExecuteReply::Unavailable {
                message: message.clone(),
            },
        }
    }

    fn subscribe_reply(&self) -> SubscribeReply {
        match self {
            GoneReason::NotOwner(owner) => SubscribeReply::NotOwner {
                owner: owner.clone(),
            },
            GoneReason::NotFound => SubscribeReply::NotFound,
            GoneReason::Unavailable(message) => SubscribeReply::Unavailable {
                message: message.clone(),
            },
        }
    }
}

/// A scheduled `Tick`.
type TimerHandle = JoinHandle<Result<(), ractor::MessagingErr<AuctionMessage>>>;

/// A serving auction.
struct Live {
    epoch: u64,
    /// Ended and retired: answers reads, changes nothing.
    read_only: bool,
    /// State including every durable event (what subscribers and snapshots see).
    durable: Auction,
    durable_seq: u64,
    /// State including decided events not yet durable (what decisions are taken against).
    speculative: Auction,
    decided_seq: u64,
    /// Decided events not yet sent to the store.
    staged: Vec<Event>,
    /// Events being written now (starting at `durable_seq + 1`).
    in_flight: Option<Vec<Event>>,
    /// Answers waiting for durability, in decision order.
    deferred: VecDeque<Deferred>,
    /// The most recent durable events, for exact catch-up.
    recent: VecDeque<EventEnvelope>,
    timer: Option<(Timestamp, TimerHandle)>,
    handoff: Option<RpcReplyPort<HandoffOutcome>>,
}

struct Deferred {
    /// Sent once `durable_seq >= needs_seq`.
    needs_seq: u64,
    answer: DeferredAnswer,
    kind: &'static str,
    started: Instant,
}

enum DeferredAnswer {
    /// A command's answer, decided already.
    Execute(RpcReplyPort<Wire<ExecuteReply>>, ExecuteReply),
    /// A subscription: answered from the durable state once everything decided before it is
    /// durable, so a snapshot never shows a state that the next event immediately corrects.
    Subscribe(RpcReplyPort<Wire<SubscribeReply>>, SubscribeRequest),
}

impl Deferred {
    fn fail(self, execute: ExecuteReply, subscribe: SubscribeReply) {
        match self.answer {
            DeferredAnswer::Execute(reply, _) => {
                let _ = reply.send(Wire::new(execute));
            }
            DeferredAnswer::Subscribe(reply, _) => {
                let _ = reply.send(Wire::new(subscribe));
            }
        }
    }
}

impl Actor for AuctionActor {
    type Msg = AuctionMessage;
    type State = AuctionActorState;
    type Arguments = AuctionActorArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        args: Self::Arguments,
    ) -> Result<Self::State, ActorProcessingErr> {
        // Activation does I/O; it runs as the first message so the router never waits on it and
        // commands queue behind it in order.
        myself.cast(AuctionMessage::Activate)?;
        let passivate_check = args.ctx.tuning.passivate_after / 4;
        let idle_timer = myself.send_interval(passivate_check.max(Duration::from_secs(1)), || {
            AuctionMessage::IdleCheck
        });
        Ok(AuctionActorState {
            auction_id: args.auction_id,
            ctx: args.ctx,
            subscribers: args
                .subscribers
                .into_iter()
                .map(|gateway| (gateway, None))
                .collect(),
            mode: Mode::Activating,
            create: args.create,
            force_claim: args.force_claim,
            last_activity: Instant::now(),
            idle_timer: Some(idle_timer),
        })
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<Self::Msg>,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        if let Some(timer) = state.idle_timer.take() {
            timer.abort();
        }
        if let Mode::Serving(live) = &mut state.mode
            && let Some((_, timer)) = live.timer.take()
        {
            timer.abort();
        }
        metrics::gauge!(m::LIVE_AUCTIONS).decrement(1.0);
        Ok(())
    }

    async fn post_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        _state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        metrics::gauge!(m::LIVE_AUCTIONS).increment(1.0);
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            AuctionMessage::Activate => activate(&myself, state).await,
            AuctionMessage::Execute(request, reply) => {
                state.last_activity = Instant::now();
                execute(&myself, state, *request, reply);
                Ok(())
            }
            AuctionMessage::Subscribe(request, reply) => {
                state.last_activity = Instant::now();
                subscribe(&myself, state, request, reply);
                Ok(())
            }
            AuctionMessage::Unsubscribe(gateway) => {
                state.subscribers.remove(&gateway);
                Ok(())
            }
            AuctionMessage::Tick => {
                tick(&myself, state);
                Ok(())
            }
            AuctionMessage::Appended(result) => appended(&myself, state, result),
            AuctionMessage::Handoff(reply) => {
                handoff(&myself, state, reply);
                Ok(())
            }
            AuctionMessage::IdleCheck => {
                idle_check(&myself, state);
                Ok(())
            }
            AuctionMessage::Fence => {
                if !matches!(state.mode, Mode::Gone(_)) {
                    go(&myself, state, GoneReason::NotOwner(None))?;
                }
                Ok(())
            }
            AuctionMessage::Stop => {
                myself.stop(Some("stopped".into()));
                Ok(())
            }
            AuctionMessage::Inspect(reply) => {
                let _ = reply.send(report(state));
                Ok(())
            }
        }
    }
}

fn report(state: &AuctionActorState) -> AuctionReport {
    let subscribers = state.subscribers.keys().cloned().collect();
    match &state.mode {
        Mode::Serving(live) => AuctionReport {
            mode: state.mode.name(),
            epoch: live.epoch,
            durable_seq: live.durable_seq,
            decided_seq: live.decided_seq,
            subscribers,
            next_deadline: live.speculative.next_deadline(),
        },
        _ => AuctionReport {
            mode: state.mode.name(),
            epoch: 0,
            durable_seq: 0,
            decided_seq: 0,
            subscribers,
            next_deadline: None,
        },
    }
}

/// Claim, replay, recover. Never returns `Err` for a refusal to serve: it switches to `Gone` and
/// answers whatever is queued.
async fn activate(
    myself: &ActorRef<AuctionMessage>,
    state: &mut AuctionActorState,
) -> Result<(), ActorProcessingErr> {
    let started = Instant::now();
    let ctx = state.ctx.clone();
    let auction_id = state.auction_id.clone();
    let store = ctx.store.clone();
    let owner = ctx.owner_id();

    let last_seq = match store.last_seq(auction_id.as_str()).await {
        Ok(seq) => seq,
        Err(error) => {
            return go(
                myself,
                state,
                GoneReason::Unavailable(format!("store unavailable: {error}")),
            );
        }
    };

    if let Some((setup, reply)) = state.create.take() {
        return create(myself, state, *setup, reply, last_seq).await;
    }
    if last_seq == 0 {
        return go(myself, state, GoneReason::NotFound);
    }

    let now_ms = ctx.clock.now_ms();
    let (epoch, previous, read_only) = match store
        .claim(auction_id.as_str(), &owner, now_ms, state.force_claim)
        .await
    {
        Ok(claim) => (claim.epoch, claim.previous, false),
        Err(ClaimError::Retired) => (0, None, true),
        Err(ClaimError::Owned { owner, .. }) => {
            return go(myself, state, GoneReason::NotOwner(Some(owner.node)));
        }
        Err(error) => {
            return go(
                myself,
                state,
                GoneReason::Unavailable(format!("claim failed: {error}")),
            );
        }
    };

    let events = match read_all(&ctx, &auction_id).await {
        Ok(events) => events,
        Err(message) => return go(myself, state, GoneReason::Unavailable(message)),
    };
    let (durable, recent) = match replay_with_recent(&events, ctx.tuning.retained_events) {
        Ok(replayed) => replayed,
        Err(message) => {
            tracing::error!(%auction_id, %message, "auction log does not replay");
            return go(myself, state, GoneReason::Unavailable(message));
        }
    };
    let durable_seq = events.len() as u64;
    let speculative = match Auction::replay(events.iter()) {
        Ok(auction) => auction,
        Err(error) => {
            return go(myself, state, GoneReason::Unavailable(error.to_string()));
        }
    };
    let mut live = Box::new(Live {
        epoch,
        read_only,
        durable,
        durable_seq,
        speculative,
        decided_seq: durable_seq,
        staged: Vec::new(),
        in_flight: None,
        deferred: VecDeque::new(),
        recent,
        timer: None,
        handoff: None,
    });

    let takeover = previous.as_ref().filter(|p| p.owner != owner);
    if !read_only {
        let now = ctx.clock.now();
        // The last moment the previous owner is known to have been alive: its release or its
        // lease; failing both (its node restarted and replaced the lease), its last event.
        let alive_until = takeover.and_then(|previous| {
            previous
                .alive_until
                .or_else(|| events.last().map(|e| e.at().0))
        });
        if let Some(alive_until) = alive_until {
            let recover = Command::Recover {
                alive_until: Timestamp(alive_until),
                min_remaining: auction::DurationMs(ctx.tuning.recovery_min_remaining_ms),
            };
            if let Ok(Decision::Apply(events)) = live.speculative.decide(&recover, now) {
                stage_all(&mut live, events);
            }
        }
        let due = live.speculative.advance(now);
        stage_all(&mut live, due);
    }
    tracing::info!(
        %auction_id, epoch, seq = durable_seq, read_only,
        previous = ?takeover.map(|p| p.owner.node.clone()),
        replay_ms = started.elapsed().as_millis() as u64,
        "auction activated"
    );
    metrics::counter!(m::ACTIVATIONS, "kind" => if takeover.is_some() { "takeover" } else { "local" }).increment(1);
    metrics::histogram!(m::ACTIVATION_SECONDS).record(started.elapsed().as_secs_f64());
    state.mode = Mode::Serving(live);
    pump(myself, state);
    Ok(())
}

async fn create(
    myself: &ActorRef<AuctionMessage>,
    state: &mut AuctionActorState,
    setup: AuctionSetup,
    reply: RpcReplyPort<Wire<ExecuteReply>>,
    last_seq: u64,
) -> Result<(), ActorProcessingErr> {
    let ctx = state.ctx.clone();
    let auction_id = state.auction_id.clone();
    let refuse = |code: &str, message: String| ExecuteReply::Refused {
        code: code.into(),
        message,
    };
    if last_seq > 0 {
        let _ = reply.send(Wire::new(refuse(
            "already_exists",
            format!("auction {auction_id} already exists"),
        )));
        return go(myself, state, GoneReason::NotFound);
    }
    let now = ctx.clock.now();
    let (auction, created) = match Auction::create(setup, now) {
        Ok(created) => created,
        Err(error) => {
            let _ = reply.send(Wire::new(refuse("invalid_setup", error.to_string())));
            return go(myself, state, GoneReason::NotFound);
        }
    };
    let owner = ctx.owner_id();
    let claim = match ctx
        .store
        .claim(auction_id.as_str(), &owner, now.0, false)
        .await
    {
        Ok(claim) => claim,
        Err(ClaimError::Owned { owner, .. }) => {
            let _ = reply.send(Wire::new(ExecuteReply::NotOwner {
                owner: Some(owner.node.clone()),
            }));
            return go(myself, state, GoneReason::NotOwner(Some(owner.node)));
        }
        Err(error) => {
            let message = format!("claim failed: {error}");
            let _ = reply.send(Wire::new(ExecuteReply::Unavailable {
                message: message.clone(),
            }));
            return go(myself, state, GoneReason::Unavailable(message));
        }
    };
    let payload = codec::to_msgpack(&created)?;
    if let Err(error) = ctx
        .store
        .append(auction_id.as_str(), &owner, claim.epoch, 1, vec![payload])
        .await
    {
        let message = format!("could not write the new auction: {error}");
        let _ = reply.send(Wire::new(ExecuteReply::Unavailable {
            message: message.clone(),
        }));
        return go(myself, state, GoneReason::Unavailable(message));
    }
    let envelope = make_envelope(1, created, &auction);
    let live = Box::new(Live {
        epoch: claim.epoch,
        read_only: false,
        speculative: Auction::replay(std::iter::once(&envelope.event))?,
        durable: auction,
        durable_seq: 1,
        decided_seq: 1,
        staged: Vec::new(),
        in_flight: None,
        deferred: VecDeque::new(),
        recent: VecDeque::from([envelope]),
        timer: None,
        handoff: None,
    });
    tracing::info!(%auction_id, epoch = claim.epoch, "auction created");
    let _ = reply.send(Wire::new(ExecuteReply::Accepted { seq: 1 }));
    state.mode = Mode::Serving(live);
    pump(myself, state);
    Ok(())
}

/// Switch to `Gone`: queued messages are answered with `reason`, then the actor stops.
fn go(
    myself: &ActorRef<AuctionMessage>,
    state: &mut AuctionActorState,
    reason: GoneReason,
) -> Result<(), ActorProcessingErr> {
    tracing::debug!(auction_id = %state.auction_id, ?reason, "auction actor not serving");
    if let Some((_, reply)) = state.create.take() {
        let _ = reply.send(Wire::new(reason.execute_reply()));
    }
    if let Mode::Serving(live) = &mut state.mode {
        for deferred in live.deferred.drain(..) {
            deferred.fail(reason.execute_reply(), reason.subscribe_reply());
        }
        if let Some(port) = live.handoff.take() {
            let _ = port.send(HandoffOutcome::NotServing);
        }
        if let Some((_, timer)) = live.timer.take() {
            timer.abort();
        }
    }
    if matches!(reason, GoneReason::NotOwner(_)) && matches!(state.mode, Mode::Serving(_)) {
        notify_moved(&state.ctx, &state.auction_id, &mut state.subscribers);
    }
    state.mode = Mode::Gone(reason);
    forget_and_linger(myself, state);
    Ok(())
}

/// Tell the router to send new requests to a fresh actor, then linger a moment answering stragglers
/// (requests already on their way here) before stopping, so none of them is dropped unanswered.
fn forget_and_linger(myself: &ActorRef<AuctionMessage>, state: &AuctionActorState) {
    if let (Some(router), Some(actor_name)) = (myself.try_get_supervisor(), myself.get_name()) {
        let request = ForgetRequest {
            auction_id: state.auction_id.clone(),
            actor_name,
        };
        let _ = router.send_message::<RouterMessage>(RouterMessage::Forget(Wire::new(request)));
    }
    myself.send_after(GONE_LINGER, || AuctionMessage::Stop);
}

/// How long a retired actor keeps answering stragglers.
const GONE_LINGER: Duration = Duration::from_secs(2);

/// Tell subscribed gateways that this node no longer serves the auction, so they look for its new
/// owner now rather than at their next heartbeat.
fn notify_moved(
    ctx: &NodeContext,
    auction_id: &AuctionId,
    subscribers: &mut BTreeMap<String, Option<ActorRef<GatewayMessage>>>,
) {
    let notice = Moved {
        auction_id: auction_id.clone(),
        node: ctx.node_id.clone(),
    };
    for (gateway, sink) in subscribers.iter_mut() {
        if sink.is_none() {
            *sink = resolve_gateway(gateway);
        }
        if let Some(target) = sink {
            let _ = target.cast(GatewayMessage::Moved(Wire::new(notice.clone())));
        }
    }
}

async fn read_all(ctx: &NodeContext, auction_id: &AuctionId) -> Result<Vec<Event>, String> {
    let mut events = Vec::new();
    let mut next = 1u64;
    loop {
        let page = ctx
            .store
            .read(auction_id.as_str(), next, ctx.tuning.replay_page)
            .await
            .map_err(|error| format!("could not read the auction log: {error}"))?;
        let fetched = page.len();
        for stored in page {
            if stored.seq != next {
                return Err(format!(
                    "auction log has a gap: expected seq {next}, found {}",
                    stored.seq
                ));
            }
            let event: Event = codec::from_msgpack(&stored.payload)
                .map_err(|error| format!("event {} does not decode: {error}", stored.seq))?;
            events.push(event);
            next += 1;
        }
        if fetched < ctx.tuning.replay_page {
            return Ok(events);
        }
    }
}

/// Fold the log, keeping envelopes for the last `retained` events so resuming subscribers can
/// catch up exactly even right after a takeover.
fn replay_with_recent(
    events: &[Event],
    retained: usize,
) -> Result<(Auction, VecDeque<EventEnvelope>), String> {
    let Some(first) = events.first() else {
        return Err("empty auction log".into());
    };
    let mut auction = Auction::replay(std::iter::once(first)).map_err(|error| error.to_string())?;
    let keep_from = events.len().saturating_sub(retained);
    let mut recent = VecDeque::with_capacity(retained.min(events.len()));
    if keep_from == 0 {
        recent.push_back(make_envelope(1, first.clone(), &auction));
    }
    for (index, event) in events.iter().enumerate().skip(1) {
        auction.try_apply(event).map_err(|error| {
            format!(
                "event {} does not fit the auction's state: {error}",
                index + 1
            )
        })?;
        if index >= keep_from {
            recent.push_back(make_envelope(index as u64 + 1, event.clone(), &auction));
        }
    }
    Ok((auction, recent))
}

/// The envelope for `event` at `seq`, given the state right after applying it.
pub fn make_envelope(seq: u64, event: Event, after: &Auction) -> EventEnvelope {
    // Only the rows this event changed (clients merge them by id): a sale changes its buyer's
    // budget and roster, nobody else's. With thousands of spectators, every byte here is copied
    // once per connection.
    let managers = match &event {
        Event::LotSold { buyer, .. } | Event::SaleUndone { buyer, .. } => {
            after.manager_view(buyer).map(|row| vec![row])
        }
        Event::AutoPassChanged { manager, .. } => after.manager_view(manager).map(|row| vec![row]),
        Event::AuctionCreated { .. } | Event::AuctionBegan { .. } | Event::AuctionEnded { .. } => {
            Some(after.manager_views())
        }
        _ => None,
    };
    let board_changed = matches!(
        event,
        Event::AuctionCreated { .. }
            | Event::AuctionBegan { .. }
            | Event::LotOpened { .. }
            | Event::LotSold { .. }
            | Event::LotUnsold { .. }
            | Event::SaleUndone { .. }
            | Event::AuctionEnded { .. }
    );
    let mut lot = after.lot_view();
    if let Some(lot) = lot.as_mut() {
        lot.bids.clear();
    }
    EventEnvelope {
        seq,
        phase: after.phase_view(),
        lot,
        managers,
        board: board_changed.then(|| Board::of(&after.view())),
        event,
    }
}

fn stage_all(live: &mut Live, events: Vec<Event>) {
    for event in events {
        live.speculative.apply(&event);
        live.decided_seq += 1;
        live.staged.push(event);
    }
}

fn to_rules_command(user: &UserId, command: &AuctionCommand) -> Command {
    let by = user.clone();
    match command {
        AuctionCommand::Bid { lot, amount, key } => Command::PlaceBid {
            by,
            lot: *lot,
            amount: *amount,
            key: key.clone(),
        },
        AuctionCommand::Proxy { lot, max, key } => Command::SetProxy {
            by,
            lot: *lot,
            max: *max,
            key: key.clone(),
        },
        AuctionCommand::Pass { lot } => Command::Pass { by, lot: *lot },
        AuctionCommand::AutoPass { on, manager } => Command::SetAutoPass {
            manager: manager.clone().unwrap_or_else(|| by.clone()),
            by,
            on: *on,
        },
        AuctionCommand::Nominate { asset, opening_bid } => Command::Nominate {
            by,
            asset: asset.clone(),
            opening_bid: *opening_bid,
        },
        AuctionCommand::Begin => Command::Begin {
            by,
            seed: rand::random(),
        },
        AuctionCommand::Pause => Command::Pause { by },
        AuctionCommand::Resume => Command::Resume { by },
        AuctionCommand::Skip { lot: Some(lot) } => Command::CloseLotIfOpen { by, lot: *lot },
        AuctionCommand::Skip { lot: None } => Command::CloseLot { by },
        AuctionCommand::Undo { lot: Some(lot) } => Command::UndoSaleOf { by, lot: *lot },
        AuctionCommand::Undo { lot: None } => Command::UndoLastSale { by },
        AuctionCommand::End => Command::End { by },
    }
}

fn execute(
    myself: &ActorRef<AuctionMessage>,
    state: &mut AuctionActorState,
    request: ExecuteRequest,
    reply: RpcReplyPort<Wire<ExecuteReply>>,
) {
    let started = Instant::now();
    let kind = request.command.kind();
    let live = match &mut state.mode {
        Mode::Serving(live) => live,
        Mode::Gone(reason) => {
            let _ = reply.send(Wire::new(reason.execute_reply()));
            return;
        }
        Mode::Activating => {
            // Unreachable: activation runs to completion before the next message.
            let _ = reply.send(Wire::new(ExecuteReply::Unavailable {
                message: "auction is starting".into(),
            }));
            return;
        }
    };
    if live.handoff.is_some() {
        let _ = reply.send(Wire::new(ExecuteReply::NotOwner { owner: None }));
        return;
    }
    let now = state.ctx.clock.now();
    let command = to_rules_command(&request.user, &request.command);
    let answer = match live.speculative.decide(&command, now) {
        Err(refusal) => {
            let currency = &live.speculative_settings_currency();
            ExecuteReply::Refused {
                code: refusal.code().to_string(),
                message: refusal.message(currency),
            }
        }
        Ok(Decision::Duplicate(receipt)) => ExecuteReply::Duplicate {
            receipt,
            seq: live.decided_seq,
        },
        Ok(Decision::Apply(events)) => {
            if live.read_only && !events.is_empty() {
                ExecuteReply::Unavailable {
                    message: "this auction has ended and is read-only".into(),
                }
            } else {
                stage_all(live, events);
                ExecuteReply::Accepted {
                    seq: live.decided_seq,
                }
            }
        }
    };
    let outcome = match &answer {
        ExecuteReply::Accepted { .. } => "accepted",
        ExecuteReply::Duplicate { .. } => "duplicate",
        ExecuteReply::Refused { .. } => "refused",
        _ => "unavailable",
    };
    metrics::counter!(m::COMMANDS, "command" => kind, "outcome" => outcome).increment(1);
    live.deferred.push_back(Deferred {
        needs_seq: live.decided_seq,
        answer: DeferredAnswer::Execute(reply, answer),
        kind,
        started,
    });
    pump(myself, state);
}

impl Live {
    fn speculative_settings_currency(&self) -> auction::CurrencyFormat {
        self.speculative.settings().currency.clone()
    }
}

fn subscribe(
    myself: &ActorRef<AuctionMessage>,
    state: &mut AuctionActorState,
    request: SubscribeRequest,
    reply: RpcReplyPort<Wire<SubscribeReply>>,
) {
    let answer = match &mut state.mode {
        Mode::Serving(live) => {
            let needs_seq = live.decided_seq;
            live.deferred.push_back(Deferred {
                needs_seq,
                answer: DeferredAnswer::Subscribe(reply, request),
                kind: "subscribe",
                started: Instant::now(),
            });
            pump(myself, state);
            return;
        }
        Mode::Gone(reason) => reason.subscribe_reply(),
        Mode::Activating => SubscribeReply::Unavailable {
            message: "auction is starting".into(),
        },
    };
    let _ = reply.send(Wire::new(answer));
}

/// Exactly the durable events after `after_seq` when they are retained, else a snapshot.
fn catch_up(live: &Live, after_seq: Option<u64>) -> SubscribeReply {
    if let Some(after) = after_seq
        && after <= live.durable_seq
    {
        let oldest = live
            .recent
            .front()
            .map(|envelope| envelope.seq)
            .unwrap_or(live.durable_seq + 1);
        if after + 1 >= oldest {
            let events = live
                .recent
                .iter()
                .filter(|envelope| envelope.seq > after)
                .cloned()
                .collect();
            return SubscribeReply::CatchUp { events };
        }
    }
    SubscribeReply::Snapshot {
        snapshot: Box::new(snapshot(live)),
    }
}

fn snapshot(live: &Live) -> Snapshot {
    let view = live.durable.view();
    let private = view
        .managers
        .iter()
        .filter_map(|manager| Some((manager.id.clone(), live.durable.private_view(&manager.id)?)))
        .collect();
    Snapshot {
        seq: live.durable_seq,
        view,
        private,
    }
}

fn tick(myself: &ActorRef<AuctionMessage>, state: &mut AuctionActorState) {
    let now = state.ctx.clock.now();
    if let Mode::Serving(live) = &mut state.mode {
        live.timer = None;
        if !live.read_only && live.handoff.is_none() {
            let due = live.speculative.advance(now);
            stage_all(live, due);
        }
    }
    pump(myself, state);
}

/// Move the pipeline forward: answer what is durable, start the next write, arm the clock.
fn pump(myself: &ActorRef<AuctionMessage>, state: &mut AuctionActorState) {
    let Mode::Serving(live) = &mut state.mode else {
        return;
    };
    answer_durable(live, &mut state.subscribers);
    if live.in_flight.is_none() && !live.staged.is_empty() {
        let take = live.staged.len().min(state.ctx.tuning.max_batch_events);
        let batch: Vec<Event> = live.staged.drain(..take).collect();
        let payloads: Result<Vec<Vec<u8>>, _> = batch.iter().map(codec::to_msgpack).collect();
        match payloads {
            Ok(payloads) => {
                let store = state.ctx.store.clone();
                let owner = state.ctx.owner_id();
                let auction_id = state.auction_id.clone();
                let epoch = live.epoch;
                let first_seq = live.durable_seq + 1;
                let reply_to = myself.clone();
                metrics::histogram!(m::BATCH_EVENTS).record(batch.len() as f64);
                tokio::spawn(async move {
                    let result = store
                        .append(auction_id.as_str(), &owner, epoch, first_seq, payloads)
                        .await;
                    let _ = reply_to.cast(AuctionMessage::Appended(result));
                });
                live.in_flight = Some(batch);
            }
            Err(error) => {
                // Our own events always encode; if one does not, nothing of it was acknowledged.
                tracing::error!(auction_id = %state.auction_id, %error, "event does not encode");
                myself.stop(Some(format!("event does not encode: {error}")));
                return;
            }
        }
    }
    if live.handoff.is_some() && live.in_flight.is_none() && live.staged.is_empty() {
        finish_handoff(myself, state);
        return;
    }
    arm_clock(myself, &state.ctx, live);
}

fn answer_durable(
    live: &mut Live,
    subscribers: &mut BTreeMap<String, Option<ActorRef<GatewayMessage>>>,
) {
    while live
        .deferred
        .front()
        .is_some_and(|deferred| deferred.needs_seq <= live.durable_seq)
    {
        let Some(deferred) = live.deferred.pop_front() else {
            break;
        };
        match deferred.answer {
            DeferredAnswer::Execute(reply, answer) => {
                metrics::histogram!(m::COMMAND_SECONDS, "command" => deferred.kind)
                    .record(deferred.started.elapsed().as_secs_f64());
                let _ = reply.send(Wire::new(answer));
            }
            DeferredAnswer::Subscribe(reply, request) => {
                // Registered at exactly the point the answer describes: the next push is the next
                // durable event.
                let answer = catch_up(live, request.after_seq);
                subscribers.entry(request.gateway).or_insert(None);
                let _ = reply.send(Wire::new(answer));
            }
        }
    }
}

fn arm_clock(myself: &ActorRef<AuctionMessage>, ctx: &NodeContext, live: &mut Live) {
    let next = if live.read_only || live.handoff.is_some() {
        None
    } else {
        live.speculative.next_deadline()
    };
    if live.timer.as_ref().map(|(at, _)| *at) == next {
        return;
    }
    if let Some((_, handle)) = live.timer.take() {
        handle.abort();
    }
    if let Some(at) = next {
        // One millisecond late on purpose: the rules close a lot at `now >= deadline`.
        let delay = ctx.clock.until(at) + Duration::from_millis(1);
        live.timer = Some((at, myself.send_after(delay, || AuctionMessage::Tick)));
    }
}

fn appended(
    myself: &ActorRef<AuctionMessage>,
    state: &mut AuctionActorState,
    result: Result<(), AppendError>,
) -> Result<(), ActorProcessingErr> {
    let Mode::Serving(live) = &mut state.mode else {
        return Ok(());
    };
    let Some(batch) = live.in_flight.take() else {
        return Ok(());
    };
    match result {
        Ok(()) => {
            let mut envelopes = Vec::with_capacity(batch.len());
            let mut ended = false;
            for event in batch {
                live.durable.apply(&event);
                live.durable_seq += 1;
                ended |= matches!(event, Event::AuctionEnded { .. });
                let envelope = make_envelope(live.durable_seq, event, &live.durable);
                live.recent.push_back(envelope.clone());
                envelopes.push(envelope);
            }
            while live.recent.len() > state.ctx.tuning.retained_events {
                live.recent.pop_front();
            }
            if ended {
                retire(state.ctx.clone(), state.auction_id.clone(), live.epoch);
            }
            publish(
                &state.ctx,
                &state.auction_id,
                &mut state.subscribers,
                envelopes,
            );
            pump(myself, state);
            Ok(())
        }
        Err(AppendError::Fenced { .. }) | Err(AppendError::SeqConflict { .. }) => {
            // Another node owns the auction now. Nothing decided here since the last durable
            // event was acknowledged; stop and let the gateway find the new owner.
            tracing::warn!(auction_id = %state.auction_id, epoch = live.epoch, "fenced: another node owns this auction");
            metrics::counter!(m::FENCED).increment(1);
            go(myself, state, GoneReason::NotOwner(None))
        }
        Err(error) => {
            // Outcome unknown: the batch may or may not be durable. Our state can no longer be
            // trusted; the supervisor restarts us from the log, which settles it (retries with
            // the same idempotency keys get the original outcome).
            let message = format!("outcome unknown, store error: {error}");
            for deferred in live.deferred.drain(..) {
                deferred.fail(
                    ExecuteReply::Unavailable {
                        message: message.clone(),
                    },
                    SubscribeReply::Unavailable {
                        message: message.clone(),
                    },
                );
            }
            Err(message.into())
        }
    }
}

fn retire(ctx: Arc<NodeContext>, auction_id: AuctionId, epoch: u64) {
    tokio::spawn(async move {
        if let Err(error) = ctx
            .store
            .retire(auction_id.as_str(), &ctx.owner_id(), epoch)
            .await
        {
            tracing::warn!(%auction_id, %error, "could not retire an ended auction");
        }
    });
}

/// Push durable events to every subscribed gateway's sink.
fn publish(
    ctx: &NodeContext,
    auction_id: &AuctionId,
    subscribers: &mut BTreeMap<String, Option<ActorRef<GatewayMessage>>>,
    envelopes: Vec<EventEnvelope>,
) {
    if envelopes.is_empty() || subscribers.is_empty() {
        return;
    }
    let delivery = Delivery {
        auction_id: auction_id.clone(),
        node: ctx.node_id.clone(),
        events: envelopes,
    };
    for (gateway, sink) in subscribers.iter_mut() {
        if sink.is_none() {
            *sink = resolve_gateway(gateway);
        }
        let Some(target) = sink else {
            // The gateway is not connected right now; it notices the gap and resubscribes.
            metrics::counter!(m::DELIVERIES_DROPPED).increment(1);
            continue;
        };
        if target
            .cast(GatewayMessage::Deliver(Wire::new(delivery.clone())))
            .is_err()
        {
            *sink = None;
            metrics::counter!(m::DELIVERIES_DROPPED).increment(1);
        }
    }
}

fn resolve_gateway(gateway: &str) -> Option<ActorRef<GatewayMessage>> {
    let wanted = gateway_name(gateway);
    ractor::pg::get_members(&GATEWAYS_GROUP.to_string())
        .into_iter()
        .find(|cell| cell.get_name().as_deref() == Some(wanted.as_str()))
        .map(ActorRef::from)
}

fn handoff(
    myself: &ActorRef<AuctionMessage>,
    state: &mut AuctionActorState,
    reply: RpcReplyPort<HandoffOutcome>,
) {
    match &mut state.mode {
        Mode::Serving(live) if !live.read_only => {
            live.handoff = Some(reply);
            pump(myself, state);
        }
        _ => {
            let _ = reply.send(HandoffOutcome::NotServing);
            let _ = myself.cast(AuctionMessage::Stop);
        }
    }
}

/// Everything answered is durable: give ownership up so another node restores the clock from now.
fn finish_handoff(myself: &ActorRef<AuctionMessage>, state: &mut AuctionActorState) {
    let Mode::Serving(live) = &mut state.mode else {
        return;
    };
    let Some(reply) = live.handoff.take() else {
        return;
    };
    if let Some((_, timer)) = live.timer.take() {
        timer.abort();
    }
    let ctx = state.ctx.clone();
    let auction_id = state.auction_id.clone();
    let epoch = live.epoch;
    let me = myself.clone();
    // Commands arriving from now on are redirected; the release itself is written off-actor.
    state.mode = Mode::Gone(GoneReason::NotOwner(None));
    if let (Some(router), Some(actor_name)) = (myself.try_get_supervisor(), myself.get_name()) {
        let request = ForgetRequest {
            auction_id: state.auction_id.clone(),
            actor_name,
        };
        let _ = router.send_message::<RouterMessage>(RouterMessage::Forget(Wire::new(request)));
    }
    let sinks: Vec<ActorRef<GatewayMessage>> = state
        .subscribers
        .iter_mut()
        .filter_map(|(gateway, sink)| {
            if sink.is_none() {
                *sink = resolve_gateway(gateway);
            }
            sink.clone()
        })
        .collect();
    tokio::spawn(async move {
        let released_at = ctx.clock.now_ms();
        let outcome = match ctx
            .store
            .release(auction_id.as_str(), &ctx.owner_id(), epoch, released_at)
            .await
        {
            Ok(()) => HandoffOutcome::Released { released_at },
            Err(error) => HandoffOutcome::Failed(error.to_string()),
        };
        tracing::info!(%auction_id, ?outcome, "auction handed off");
        let notice = Moved {
            auction_id: auction_id.clone(),
            node: ctx.node_id.clone(),
        };
        for sink in sinks {
            let _ = sink.cast(GatewayMessage::Moved(Wire::new(notice.clone())));
        }
        let _ = reply.send(outcome);
        me.send_after(GONE_LINGER, || AuctionMessage::Stop);
    });
}

/// Passivate an idle auction: no subscribers, nothing in flight, and no clock running. Ownership is
/// kept (not released), so the auction simply reactivates here on the next request.
fn idle_check(myself: &ActorRef<AuctionMessage>, state: &mut AuctionActorState) {
    let Mode::Serving(live) = &state.mode else {
        return;
    };
    let idle = state.last_activity.elapsed() >= state.ctx.tuning.passivate_after;
    let quiet = live.in_flight.is_none() && live.staged.is_empty() && live.deferred.is_empty();
    let clock_running = !live.read_only && live.speculative.next_deadline().is_some();
    if idle && quiet && !clock_running && state.subscribers.is_empty() {
        tracing::info!(auction_id = %state.auction_id, "passivating idle auction");
        myself.stop(Some("passivated".into()));
    }
}

#[cfg(test)]
mod tests;
