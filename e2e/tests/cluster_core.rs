//! Multi-process test of the cluster core: a store server, two node processes and a gateway
//! process on loopback; an auction owned by the second node; two clients (JSON and MessagePack)
//! bidding through the gateway with every acknowledgement and broadcast checked; then the owning
//! node is killed with SIGKILL and started again, and the auction must come back from the log with
//! every acknowledged bid present, the clock never shortened, and the sequence gap-free.

use std::collections::BTreeMap;
use std::time::Duration;

use auction::{AuctionId, Event, IdempotencyKey, LotNumber, Money, PhaseView};
use e2e::{Harness, auction_id_preferring, football_setup, token_for, user};
use loadtest::client::{Client, answers};
use nix::sys::signal::Signal;
use protocol::client::{AuctionCommand, AuctionStatus, ClientFrame, ServerFrame};
use protocol::codec::Encoding;

const WAIT: Duration = Duration::from_secs(20);

/// What one client has seen of an auction: the sequence numbers and the events.
#[derive(Debug, Default)]
struct Seen {
    snapshot_seq: Option<u64>,
    /// The current lot's bids as of the snapshot.
    snapshot_bids: Vec<(String, Money)>,
    events: BTreeMap<u64, Option<Event>>,
    last_phase: Option<PhaseView>,
    statuses: Vec<AuctionStatus>,
}

impl Seen {
    fn absorb(&mut self, frame: ServerFrame) {
        match frame {
            ServerFrame::Snapshot { seq, view, .. } => {
                self.snapshot_seq = Some(seq);
                self.snapshot_bids = view
                    .lot
                    .as_ref()
                    .map(|lot| {
                        lot.bids
                            .iter()
                            .map(|bid| (bid.bidder.as_str().to_string(), bid.amount))
                            .collect()
                    })
                    .unwrap_or_default();
                self.last_phase = Some(view.phase.clone());
            }
            ServerFrame::Events { events, .. } => {
                for event in events {
                    let expected = self.head() + 1;
                    assert_eq!(
                        event.seq, expected,
                        "events must arrive gap-free and in order"
                    );
                    self.last_phase = Some(event.phase.clone());
                    self.events.insert(event.seq, event.event);
                }
            }
            ServerFrame::AuctionStatus { status, .. } => self.statuses.push(status),
            _ => {}
        }
    }

    fn head(&self) -> u64 {
        self.events
            .keys()
            .next_back()
            .copied()
            .or(self.snapshot_seq)
            .unwrap_or(0)
    }

    fn bids(&self) -> Vec<(String, Money)> {
        self.events
            .values()
            .filter_map(|event| match event {
                Some(Event::BidAccepted { bidder, amount, .. }) => {
                    Some((bidder.as_str().to_string(), *amount))
                }
                _ => None,
            })
            .collect()
    }
}

async fn connect(
    harness: &Harness,
    who: &str,
    encoding: Encoding,
    auction: &AuctionId,
) -> (Client, Seen) {
    let mut client = Client::connect(&harness.ws_url("gw-1"), encoding)
        .await
        .expect("connect to the gateway");
    client
        .hello(&token_for(&user(who), who), WAIT)
        .await
        .expect("hello is welcomed");
    client
        .send(&ClientFrame::Subscribe {
            auction_id: auction.clone(),
            after_seq: None,
        })
        .await
        .expect("subscribe");
    let mut seen = Seen::default();
    let frame = client
        .recv_until(
            WAIT,
            "a snapshot",
            |frame| matches!(frame, ServerFrame::Snapshot { .. }).then(|| frame.clone()),
            |_| {},
        )
        .await
        .expect("a snapshot after subscribing");
    seen.absorb(frame);
    (client, seen)
}

/// Send a command and wait for its answer, absorbing every other frame on the way.
async fn command(
    client: &mut Client,
    seen: &mut Seen,
    auction: &AuctionId,
    command: AuctionCommand,
) -> ServerFrame {
    let request_id = client
        .command(auction, command)
        .await
        .expect("send command");
    client
        .recv_until(
            WAIT,
            "the command's answer",
            |frame| (answers(frame) == Some(request_id)).then(|| frame.clone()),
            |frame| seen.absorb(frame),
        )
        .await
        .expect("an answer to every command")
}

/// Absorb frames until `seen` reaches `seq`.
async fn catch_up_to(client: &mut Client, seen: &mut Seen, seq: u64) {
    while seen.head() < seq {
        let frame = client.recv(WAIT).await.expect("events keep coming");
        seen.absorb(frame);
    }
}

fn open_lot(seen: &Seen) -> Option<(LotNumber, Option<auction::Timestamp>)> {
    seen.events.values().rev().find_map(|event| match event {
        Some(Event::LotOpened { lot, deadline, .. }) => Some((*lot, Some(*deadline))),
        _ => None,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_killed_and_restarted_keeps_every_acknowledged_bid() {
    let mut harness = Harness::start().await.expect("store server starts");
    harness.start_node("node-1").await.expect("node-1 starts");
    harness.start_node("node-2").await.expect("node-2 starts");
    harness.start_gateway("gw-1").await.expect("gateway starts");

    let auction_raw = auction_id_preferring("core", "node-2", &["node-1", "node-2"]);
    let auction = AuctionId::try_new(auction_raw.clone()).expect("valid id");
    // A long clock so the lot stays open across the failover; anti-snipe off to keep deadlines simple.
    let setup = football_setup(&auction_raw, &["alice", "bob"], 120_000, 0);
    let creator = harness
        .create_auction("gw-1", &setup)
        .await
        .expect("auction is created");
    assert_eq!(
        creator, "node-2",
        "the auction is placed on its preferred node"
    );

    let (mut alice, mut alice_seen) = connect(&harness, "alice", Encoding::Json, &auction).await;
    let (mut bob, mut bob_seen) = connect(&harness, "bob", Encoding::MessagePack, &auction).await;
    let (mut commish, mut commish_seen) =
        connect(&harness, "commish", Encoding::Json, &auction).await;
    assert_eq!(
        alice_seen.snapshot_seq,
        Some(1),
        "a new auction's log holds only its creation"
    );

    let begin = command(
        &mut commish,
        &mut commish_seen,
        &auction,
        AuctionCommand::Begin,
    )
    .await;
    let ServerFrame::Ack { seq: begin_seq, .. } = begin else {
        panic!("begin is acknowledged: {begin:?}")
    };
    catch_up_to(&mut alice, &mut alice_seen, begin_seq).await;
    catch_up_to(&mut bob, &mut bob_seen, begin_seq).await;
    let (lot, deadline_before) = open_lot(&alice_seen).expect("beginning opens lot 1");
    assert_eq!(lot, LotNumber(1));

    // Alternate bids; every one is acknowledged and broadcast to both bidders with its sequence.
    let mut acknowledged: Vec<(String, Money, u64)> = Vec::new();
    for round in 0..10u64 {
        let (client, seen, name) = if round % 2 == 0 {
            (&mut alice, &mut alice_seen, "alice")
        } else {
            (&mut bob, &mut bob_seen, "bob")
        };
        let amount = Money((round + 1) * 1_000_000);
        let key = IdempotencyKey::try_new(format!("{name}-{round}")).expect("valid key");
        let answer = command(
            client,
            seen,
            &auction,
            AuctionCommand::Bid { lot, amount, key },
        )
        .await;
        let ServerFrame::Ack {
            seq,
            duplicate_of: None,
            ..
        } = answer
        else {
            panic!("bid {round} accepted: {answer:?}")
        };
        acknowledged.push((name.to_string(), amount, seq));
        catch_up_to(&mut alice, &mut alice_seen, seq).await;
        catch_up_to(&mut bob, &mut bob_seen, seq).await;
    }
    let expected: Vec<(String, Money)> = acknowledged
        .iter()
        .map(|(who, amount, _)| (who.clone(), *amount))
        .collect();
    assert_eq!(
        alice_seen.bids(),
        expected,
        "alice saw every acknowledged bid, in order"
    );
    assert_eq!(
        bob_seen.bids(),
        expected,
        "bob saw every acknowledged bid, in order"
    );

    // A repeated key is the same bid, never a second one.
    let repeat = command(
        &mut bob,
        &mut bob_seen,
        &auction,
        AuctionCommand::Bid {
            lot,
            amount: Money(10_000_000),
            key: IdempotencyKey::try_new("bob-9".to_string()).expect("key"),
        },
    )
    .await;
    assert!(
        matches!(
            repeat,
            ServerFrame::Ack {
                duplicate_of: Some(_),
                ..
            }
        ),
        "a retried key is a duplicate: {repeat:?}"
    );

    // Kill the owner outright, then start it again.
    let last_acknowledged = acknowledged
        .last()
        .map(|(_, _, seq)| *seq)
        .expect("bids were made");
    harness
        .process("node-2")
        .expect("node-2")
        .signal(Signal::SIGKILL)
        .expect("SIGKILL");
    harness.process("node-2").expect("node-2").kill();
    harness
        .restart_node("node-2")
        .await
        .expect("node-2 restarts");

    // The auction is served again (by whichever node took it over) and accepts the next bid.
    let next = command(
        &mut alice,
        &mut alice_seen,
        &auction,
        AuctionCommand::Bid {
            lot,
            amount: Money(20_000_000),
            key: IdempotencyKey::try_new("alice-after".to_string()).expect("key"),
        },
    )
    .await;
    let ServerFrame::Ack { seq: after_seq, .. } = next else {
        panic!("the first bid after the failover is accepted: {next:?}")
    };
    assert!(after_seq > last_acknowledged);
    catch_up_to(&mut alice, &mut alice_seen, after_seq).await;
    catch_up_to(&mut bob, &mut bob_seen, after_seq).await;

    // A newcomer starts from a snapshot: every acknowledged bid is in the lot's history.
    let (mut carol, mut carol_seen) =
        connect(&harness, "commish", Encoding::MessagePack, &auction).await;
    catch_up_to(&mut carol, &mut carol_seen, after_seq).await;
    let mut all = expected.clone();
    all.push(("alice".into(), Money(20_000_000)));
    assert_eq!(
        carol_seen.bids(),
        all,
        "a newcomer sees every acknowledged bid"
    );
    assert_eq!(
        alice_seen.bids(),
        all,
        "every acknowledged bid survived the SIGKILL"
    );
    assert_eq!(bob_seen.bids(), all);

    // The clock was held during the failover, never shortened.
    let deadline_after = alice_seen
        .events
        .values()
        .rev()
        .find_map(|event| match event {
            Some(Event::ClockRestored { deadline, .. }) => Some(*deadline),
            Some(Event::BidAccepted { deadline, .. }) => Some(*deadline),
            _ => None,
        })
        .expect("the lot has a deadline");
    let before = deadline_before.expect("lot 1 had a deadline");
    assert!(
        deadline_after >= before,
        "deadline {deadline_after:?} is not earlier than {before:?}"
    );
    assert!(
        alice_seen
            .events
            .values()
            .any(|event| matches!(event, Some(Event::ClockRestored { .. }))),
        "the new owner restored the clock from the moment the old one was last alive"
    );

    alice.close().await;
    bob.close().await;
    commish.close().await;
    carol.close().await;
}
