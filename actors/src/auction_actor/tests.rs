//! Actor tests with controlled time: paused tokio time drives both the actors' timers and their
//! clock, and the store answers synchronously ([`MemoryStore`]), so "now" only moves when a test
//! waits for something that needs time to pass.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use auction::{
    Asset, AssetId, AuctionId, AuctionSetup, DurationMs, Event, IdempotencyKey, LeagueSettings,
    LotNumber, Manager, Money, PhaseView, Timestamp, UserId,
};
use protocol::client::AuctionCommand;
use protocol::cluster::{
    CreateRequest, Delivery, DrainRequest, ExecuteReply, ExecuteRequest, FenceRequest,
    GATEWAYS_GROUP, GatewayMessage, RouterMessage, SubscribeReply, SubscribeRequest, Wire,
    gateway_name,
};
use protocol::envelope::EventEnvelope;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use store::{EventLog, NodeLease, Store};
use tokio::sync::mpsc;

use crate::test_util::MemoryStore;
use crate::{Clock, NodeContext, Router, Tuning};

const T0: i64 = 1_800_000_000_000;

/// A gateway sink that forwards what it receives to the test.
struct TestSink;

impl Actor for TestSink {
    type Msg = GatewayMessage;
    type State = mpsc::UnboundedSender<GatewayMessage>;
    type Arguments = mpsc::UnboundedSender<GatewayMessage>;

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        tx: Self::Arguments,
    ) -> Result<Self::State, ActorProcessingErr> {
        ractor::pg::join(GATEWAYS_GROUP.to_string(), vec![myself.get_cell()]);
        Ok(tx)
    }

    async fn handle(
        &self,
        _: ActorRef<Self::Msg>,
        message: Self::Msg,
        tx: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        let _ = tx.send(message);
        Ok(())
    }
}

struct Gateway {
    id: String,
    rx: mpsc::UnboundedReceiver<GatewayMessage>,
    seen: Vec<EventEnvelope>,
    sink: ActorRef<GatewayMessage>,
}

impl Gateway {
    async fn start(id: &str) -> Gateway {
        let (tx, rx) = mpsc::unbounded_channel();
        let (sink, _) = Actor::spawn(Some(gateway_name(id)), TestSink, tx)
            .await
            .expect("sink starts");
        Gateway {
            id: id.to_string(),
            rx,
            seen: Vec::new(),
            sink,
        }
    }

    /// Receive deliveries until one contains an event matching `pred`; returns that envelope.
    async fn until(&mut self, what: &str, pred: impl Fn(&Event) -> bool) -> EventEnvelope {
        if let Some(found) = self.seen.iter().find(|e| pred(&e.event)) {
            return found.clone();
        }
        loop {
            let message = tokio::time::timeout(Duration::from_secs(600), self.rx.recv())
                .await
                .unwrap_or_else(|_| panic!("no {what} within 10 simulated minutes"))
                .expect("sink alive");
            if let GatewayMessage::Deliver(wire) = message {
                let Delivery { events, .. } = wire.into_inner().expect("local deliveries decode");
                for envelope in events {
                    if let Some(last) = self.seen.last() {
                        assert_eq!(envelope.seq, last.seq + 1, "deliveries are gap-free");
                    }
                    self.seen.push(envelope.clone());
                    if pred(&envelope.event) {
                        return envelope;
                    }
                }
            }
        }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.sink.stop(None);
    }
}

fn user(id: &str) -> UserId {
    UserId::try_new(id.to_string()).expect("valid id")
}

fn key(raw: &str) -> IdempotencyKey {
    IdempotencyKey::try_new(raw.to_string()).expect("valid key")
}

fn setup(auction_id: &str) -> AuctionSetup {
    AuctionSetup {
        auction_id: AuctionId::try_new(auction_id.to_string()).expect("valid id"),
        league_name: "Actor test league".into(),
        settings: LeagueSettings::default(),
        commissioner: user("commish"),
        managers: ["alice", "bob", "carol"]
            .iter()
            .map(|id| Manager {
                id: user(id),
                name: id.to_string(),
            })
            .collect(),
        assets: (1..=9)
            .map(|i| Asset {
                id: AssetId::try_new(format!("club-{i}")).expect("valid"),
                name: format!("Club {i}"),
                group: None,
            })
            .collect(),
        keepers: Vec::new(),
    }
}

fn context(node: &str, store: Arc<MemoryStore>, incarnation: u64) -> Arc<NodeContext> {
    let store: Arc<dyn Store> = store;
    Arc::new(NodeContext {
        node_id: node.to_string(),
        incarnation,
        store,
        clock: Clock::anchored_at(T0),
        tuning: Tuning::default(),
        draining: Arc::new(AtomicBool::new(false)),
    })
}

async fn renew(ctx: &NodeContext) {
    let now = ctx.clock.now_ms();
    ctx.store
        .renew_lease(NodeLease {
            node: ctx.node_id.clone(),
            incarnation: ctx.incarnation,
            addr: "127.0.0.1:1".into(),
            renewed_at: now,
            expires_at: now + 2_000,
            draining: false,
        })
        .await
        .expect("lease renews");
}

async fn create(router: &ActorRef<RouterMessage>, setup: AuctionSetup) -> ExecuteReply {
    let reply = ractor::call!(
        router,
        RouterMessage::Create,
        Wire::new(CreateRequest { setup })
    )
    .expect("router answers");
    reply.into_inner().expect("decodes")
}

async fn execute(
    router: &ActorRef<RouterMessage>,
    auction: &str,
    who: &str,
    command: AuctionCommand,
) -> ExecuteReply {
    let request = ExecuteRequest {
        auction_id: AuctionId::try_new(auction.to_string()).expect("valid"),
        user: user(who),
        command,
        gateway: "test".into(),
    };
    ractor::call!(router, RouterMessage::Execute, Wire::new(request))
        .expect("router answers")
        .into_inner()
        .expect("decodes")
}

async fn subscribe(
    router: &ActorRef<RouterMessage>,
    auction: &str,
    gateway: &str,
    after_seq: Option<u64>,
) -> SubscribeReply {
    let request = SubscribeRequest {
        auction_id: AuctionId::try_new(auction.to_string()).expect("valid"),
        gateway: gateway.to_string(),
        after_seq,
    };
    ractor::call!(router, RouterMessage::Subscribe, Wire::new(request))
        .expect("router answers")
        .into_inner()
        .expect("decodes")
}

fn bid(lot: u32, millions: u64, raw_key: &str) -> AuctionCommand {
    AuctionCommand::Bid {
        lot: LotNumber(lot),
        amount: Money(millions * 1_000_000),
        key: key(raw_key),
    }
}

fn accepted_seq(reply: &ExecuteReply) -> u64 {
    match reply {
        ExecuteReply::Accepted { seq } => *seq,
        other => panic!("expected an acceptance, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn commands_are_answered_after_they_are_durable_and_pushed_in_order() {
    let store = Arc::new(MemoryStore::new());
    let ctx = context("node-order", store.clone(), 1);
    renew(&ctx).await;
    let router = Router::start(ctx.clone()).await.expect("router starts");
    let mut gateway = Gateway::start("gw-order").await;

    assert_eq!(accepted_seq(&create(&router, setup("order")).await), 1);
    let SubscribeReply::Snapshot { snapshot } =
        subscribe(&router, "order", &gateway.id, None).await
    else {
        panic!("a first subscription gets a snapshot");
    };
    assert_eq!(snapshot.seq, 1);
    assert!(matches!(snapshot.view.phase, PhaseView::Waiting));

    let begun = accepted_seq(&execute(&router, "order", "commish", AuctionCommand::Begin).await);
    assert_eq!(
        store.last_seq("order").await.expect("readable"),
        begun,
        "acknowledged only once durable"
    );
    let opened = gateway
        .until("lot 1 opening", |e| matches!(e, Event::LotOpened { .. }))
        .await;
    assert!(opened.seq <= begun);

    let first = accepted_seq(&execute(&router, "order", "alice", bid(1, 1, "a1")).await);
    assert_eq!(store.last_seq("order").await.expect("readable"), first);
    let second = accepted_seq(&execute(&router, "order", "bob", bid(1, 2, "b1")).await);
    assert_eq!(second, first + 1);
    let pushed = gateway
        .until(
            "bob's bid",
            |e| matches!(e, Event::BidAccepted { amount, .. } if *amount == Money(2_000_000)),
        )
        .await;
    assert_eq!(pushed.seq, second);
    let lot = pushed.lot.expect("the envelope carries the lot");
    assert_eq!(lot.price, Some(Money(2_000_000)));
    assert_eq!(lot.leader, Some(user("bob")));
    assert!(
        lot.bids.is_empty(),
        "envelopes carry no bid list; clients append bids from events"
    );

    // The log holds exactly what was pushed, in the same order.
    let stored = store.read("order", 1, 100).await.expect("readable");
    assert_eq!(stored.len() as u64, second);
    router.stop(None);
}

#[tokio::test(start_paused = true)]
async fn refusals_carry_the_rules_reason_and_change_nothing() {
    let store = Arc::new(MemoryStore::new());
    let ctx = context("node-refuse", store.clone(), 1);
    renew(&ctx).await;
    let router = Router::start(ctx).await.expect("router starts");
    create(&router, setup("refuse")).await;

    // Before Begin, bidding is refused with a sentence.
    match execute(&router, "refuse", "alice", bid(1, 1, "early")).await {
        ExecuteReply::Refused { code, message } => {
            assert_eq!(code, "not_started");
            assert!(!message.is_empty());
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // A manager may not begin.
    assert!(matches!(
        execute(&router, "refuse", "alice", AuctionCommand::Begin).await,
        ExecuteReply::Refused { code, .. } if code == "not_commissioner"
    ));
    accepted_seq(&execute(&router, "refuse", "commish", AuctionCommand::Begin).await);
    let before = store.last_seq("refuse").await.expect("readable");
    // Below the opening bid, and for the wrong lot.
    assert!(matches!(
        execute(
            &router,
            "refuse",
            "alice",
            AuctionCommand::Bid {
                lot: LotNumber(1),
                amount: Money(1),
                key: key("low")
            }
        )
        .await,
        ExecuteReply::Refused { .. }
    ));
    assert!(matches!(
        execute(&router, "refuse", "alice", bid(2, 5, "wrong-lot")).await,
        ExecuteReply::Refused { code, .. } if code == "wrong_lot"
    ));
    assert_eq!(
        store.last_seq("refuse").await.expect("readable"),
        before,
        "refusals write nothing"
    );

    // An unknown auction is reported as such and leaves no trace in the store.
    assert_eq!(
        execute(&router, "nope", "alice", bid(1, 1, "x")).await,
        ExecuteReply::NotFound
    );
    assert_eq!(store.ownership("nope").await.expect("readable"), None);
    router.stop(None);
}

#[tokio::test(start_paused = true)]
async fn a_repeated_key_returns_the_original_bid_and_never_a_second_one() {
    let store = Arc::new(MemoryStore::new());
    let ctx = context("node-dup", store.clone(), 1);
    renew(&ctx).await;
    let router = Router::start(ctx).await.expect("router starts");
    create(&router, setup("dup")).await;
    execute(&router, "dup", "commish", AuctionCommand::Begin).await;
    let seq = accepted_seq(&execute(&router, "dup", "alice", bid(1, 3, "same")).await);
    // The retry returns the original receipt.
    match execute(&router, "dup", "alice", bid(1, 3, "same")).await {
        ExecuteReply::Duplicate { receipt, .. } => assert_eq!(receipt.amount, Money(3_000_000)),
        other => panic!("expected a duplicate, got {other:?}"),
    }
    // The same key for a different request is refused, never applied.
    assert!(matches!(
        execute(&router, "dup", "alice", bid(1, 9, "same")).await,
        ExecuteReply::Refused { code, .. } if code == "key_reused"
    ));
    assert_eq!(
        store.last_seq("dup").await.expect("readable"),
        seq,
        "nothing new was written"
    );
    router.stop(None);
}

#[tokio::test(start_paused = true)]
async fn the_lot_closes_at_its_deadline_and_the_next_opens_after_the_gap() {
    let store = Arc::new(MemoryStore::new());
    let ctx = context("node-clock", store.clone(), 1);
    renew(&ctx).await;
    let router = Router::start(ctx.clone()).await.expect("router starts");
    let mut gateway = Gateway::start("gw-clock").await;
    create(&router, setup("clock")).await;
    subscribe(&router, "clock", &gateway.id, None).await;
    execute(&router, "clock", "commish", AuctionCommand::Begin).await;
    let opened = gateway
        .until(
            "lot 1",
            |e| matches!(e, Event::LotOpened { lot, .. } if *lot == LotNumber(1)),
        )
        .await;
    let Event::LotOpened { deadline, .. } = opened.event else {
        unreachable!()
    };
    execute(&router, "clock", "alice", bid(1, 4, "a")).await;

    // Nothing but waiting: the actor's own timer closes the lot exactly at its deadline.
    let sold = gateway
        .until("the sale", |e| matches!(e, Event::LotSold { .. }))
        .await;
    let Event::LotSold {
        buyer, price, at, ..
    } = &sold.event
    else {
        unreachable!()
    };
    assert_eq!(buyer, &user("alice"));
    assert_eq!(*price, Money(4_000_000));
    assert_eq!(
        *at, deadline,
        "sold at the deadline, not when the timer happened to run"
    );
    let managers = sold.managers.expect("a sale carries the managers' rows");
    let alice = managers
        .iter()
        .find(|m| m.id == user("alice"))
        .expect("alice");
    assert_eq!(alice.spent, Money(4_000_000));

    let next = gateway
        .until(
            "lot 2",
            |e| matches!(e, Event::LotOpened { lot, .. } if *lot == LotNumber(2)),
        )
        .await;
    let Event::LotOpened { at: opened_at, .. } = next.event else {
        unreachable!()
    };
    assert!(
        opened_at.0 >= deadline.0 + LeagueSettings::default().gap_between_lots.0 as i64,
        "the gap is honoured"
    );
    // A bid for the sold lot, even in flight across the change, is refused.
    assert!(matches!(
        execute(&router, "clock", "bob", bid(1, 9, "late")).await,
        ExecuteReply::Refused { .. }
    ));
    router.stop(None);
}

#[tokio::test(start_paused = true)]
async fn a_fenced_actor_restarts_from_the_log_with_every_bid() {
    let store = Arc::new(MemoryStore::new());
    let ctx = context("node-replay", store.clone(), 1);
    renew(&ctx).await;
    let router = Router::start(ctx.clone()).await.expect("router starts");
    create(&router, setup("replay")).await;
    execute(&router, "replay", "commish", AuctionCommand::Begin).await;
    execute(&router, "replay", "alice", bid(1, 2, "a")).await;
    let last = accepted_seq(&execute(&router, "replay", "bob", bid(1, 3, "b")).await);

    // Stop every local auction actor; the next request reactivates from the log.
    router
        .cast(RouterMessage::Fence(Wire::new(FenceRequest {
            reason: "test".into(),
        })))
        .expect("router alive");
    let SubscribeReply::Snapshot { snapshot } =
        subscribe(&router, "replay", "gw-replay", None).await
    else {
        panic!("snapshot expected");
    };
    assert_eq!(snapshot.seq, last);
    let lot = snapshot.view.lot.expect("lot 1 is open");
    assert_eq!(lot.price, Some(Money(3_000_000)));
    assert_eq!(lot.bids.len(), 2, "both acknowledged bids are back");
    // And the idempotency keys survived too.
    assert!(matches!(
        execute(&router, "replay", "alice", bid(1, 2, "a")).await,
        ExecuteReply::Duplicate { .. }
    ));
    router.stop(None);
}

#[tokio::test(start_paused = true)]
async fn a_stale_owner_cannot_write_after_a_takeover() {
    let store = Arc::new(MemoryStore::new());
    let old = context("node-stale-a", store.clone(), 1);
    let new = context("node-stale-b", store.clone(), 1);
    renew(&old).await;
    let old_router = Router::start(old.clone()).await.expect("router a");
    let new_router = Router::start(new.clone()).await.expect("router b");
    create(&old_router, setup("stale")).await;
    execute(&old_router, "stale", "commish", AuctionCommand::Begin).await;
    execute(&old_router, "stale", "alice", bid(1, 2, "a")).await;

    // The old owner's lease lapses (it froze); the new node takes over.
    tokio::time::advance(Duration::from_secs(5)).await;
    renew(&new).await;
    let taken = accepted_seq(&execute(&new_router, "stale", "bob", bid(1, 3, "b")).await);

    // The old owner wakes up with its stale state: its write is refused and it redirects.
    let reply = execute(&old_router, "stale", "carol", bid(1, 4, "c")).await;
    assert!(
        matches!(reply, ExecuteReply::NotOwner { .. }),
        "a fenced owner redirects: {reply:?}"
    );
    assert_eq!(
        store.last_seq("stale").await.expect("readable"),
        taken,
        "the stale write never landed"
    );
    let epochs: Vec<u64> = store
        .read("stale", 1, 100)
        .await
        .expect("readable")
        .iter()
        .map(|e| e.epoch)
        .collect();
    assert!(
        epochs.windows(2).all(|pair| pair[0] <= pair[1]),
        "one writer per epoch, epochs only grow: {epochs:?}"
    );
    old_router.stop(None);
    new_router.stop(None);
}

#[tokio::test(start_paused = true)]
async fn a_takeover_restores_the_remaining_time_never_shortening_it() {
    let store = Arc::new(MemoryStore::new());
    let old = context("node-restore-a", store.clone(), 1);
    let new = context("node-restore-b", store.clone(), 1);
    let old_router = Router::start(old.clone()).await.expect("router a");
    let new_router = Router::start(new.clone()).await.expect("router b");
    let mut gateway = Gateway::start("gw-restore").await;
    renew(&old).await;
    create(&old_router, setup("restore")).await;
    execute(&old_router, "restore", "commish", AuctionCommand::Begin).await;
    let SubscribeReply::Snapshot { snapshot } =
        subscribe(&old_router, "restore", &gateway.id, None).await
    else {
        panic!("snapshot expected");
    };
    let deadline = snapshot
        .view
        .lot
        .and_then(|lot| lot.deadline)
        .expect("lot 1 runs");
    // The old owner renews its lease 10 s into the lot, then dies.
    tokio::time::advance(Duration::from_secs(10)).await;
    renew(&old).await;
    let alive_until = old.clock.now_ms();
    old_router.stop(None);
    let remaining_at_death = deadline.0 - alive_until;

    // Failover takes 8 s: well past the deadline the lot would have had without a hold.
    tokio::time::advance(Duration::from_secs(8)).await;
    renew(&new).await;
    let resumed_at = new.clock.now_ms();
    let SubscribeReply::Snapshot { snapshot } =
        subscribe(&new_router, "restore", &gateway.id, None).await
    else {
        panic!("the new owner serves a snapshot");
    };
    let restored = snapshot
        .view
        .lot
        .and_then(|lot| lot.deadline)
        .expect("lot 1 still runs");
    assert_eq!(
        restored.0 - resumed_at,
        remaining_at_death,
        "exactly the remaining time is restored"
    );
    let event = gateway
        .until("the clock restoration", |e| {
            matches!(e, Event::ClockRestored { .. })
        })
        .await;
    assert!(
        matches!(event.event, Event::ClockRestored { remaining, .. } if remaining == DurationMs(remaining_at_death as u64))
    );
    new_router.stop(None);
}

#[tokio::test(start_paused = true)]
async fn draining_hands_over_with_the_clock_held() {
    let store = Arc::new(MemoryStore::new());
    let old = context("node-drain-a", store.clone(), 1);
    let new = context("node-drain-b", store.clone(), 1);
    renew(&old).await;
    renew(&new).await;
    let old_router = Router::start(old.clone()).await.expect("router a");
    let new_router = Router::start(new.clone()).await.expect("router b");
    let mut gateway = Gateway::start("gw-drain").await;
    create(&old_router, setup("drain")).await;
    subscribe(&old_router, "drain", &gateway.id, None).await;
    execute(&old_router, "drain", "commish", AuctionCommand::Begin).await;
    execute(&old_router, "drain", "alice", bid(1, 5, "a")).await;
    tokio::time::advance(Duration::from_secs(4)).await;
    let SubscribeReply::CatchUp { .. } =
        subscribe(&old_router, "drain", &gateway.id, Some(1)).await
    else {
        panic!("catch-up expected");
    };

    let report = ractor::call!(
        old_router,
        RouterMessage::Drain,
        Wire::new(DrainRequest { timeout_ms: 5_000 })
    )
    .expect("drain answers")
    .into_inner()
    .expect("decodes");
    assert_eq!(report.released, 1);
    let moved = loop {
        match gateway.rx.recv().await.expect("sink alive") {
            GatewayMessage::Moved(moved) => break moved.into_inner().expect("decodes"),
            GatewayMessage::Deliver(_) => continue,
        }
    };
    assert_eq!(moved.node, "node-drain-a");
    let ownership = store
        .ownership("drain")
        .await
        .expect("readable")
        .expect("owned");
    let released_at = ownership.released_at.expect("released");

    // Commands to the draining node are redirected; the new node continues from the log.
    assert!(matches!(
        execute(&old_router, "drain", "bob", bid(1, 6, "b")).await,
        ExecuteReply::NotOwner { .. }
    ));
    tokio::time::advance(Duration::from_millis(1_500)).await;
    let reply = subscribe(&new_router, "drain", &gateway.id, None).await;
    let SubscribeReply::Snapshot { snapshot } = reply else {
        panic!("snapshot expected, got {reply:?}");
    };
    let lot = snapshot.view.lot.expect("lot 1 still open");
    assert_eq!(
        lot.leader,
        Some(user("alice")),
        "the sale in progress is intact"
    );
    let restored = lot.deadline.expect("running");
    let at_release = Timestamp(T0 + 30_000);
    assert!(
        restored.0 - new.clock.now_ms() >= at_release.0 - released_at - 1,
        "the clock was held during the move"
    );
    accepted_seq(&execute(&new_router, "drain", "bob", bid(1, 6, "b")).await);
    old_router.stop(None);
    new_router.stop(None);
}

#[tokio::test(start_paused = true)]
async fn a_write_with_an_unknown_outcome_restarts_the_actor_and_the_key_settles_it() {
    let store = Arc::new(MemoryStore::new());
    let ctx = context("node-unknown", store.clone(), 1);
    renew(&ctx).await;
    let router = Router::start(ctx.clone()).await.expect("router starts");
    create(&router, setup("unknown")).await;
    execute(&router, "unknown", "commish", AuctionCommand::Begin).await;
    store.set_unavailable(true);
    let reply = execute(&router, "unknown", "alice", bid(1, 2, "k")).await;
    assert!(
        matches!(reply, ExecuteReply::Unavailable { .. }),
        "{reply:?}"
    );
    store.set_unavailable(false);
    // The retry with the same key is applied exactly once.
    let seq = accepted_seq(&execute(&router, "unknown", "alice", bid(1, 2, "k")).await);
    assert!(matches!(
        execute(&router, "unknown", "alice", bid(1, 2, "k")).await,
        ExecuteReply::Duplicate { .. }
    ));
    assert_eq!(store.last_seq("unknown").await.expect("readable"), seq);
    router.stop(None);
}
