//! Multi-process test of the cluster core: a store server, two node processes and a gateway
//! process on loopback; an auction owned by the second node; two clients (JSON and MessagePack)
//! bidding through the gateway with every acknowledgement and broadcast checked; then the owning
//! node is killed with SIGKILL and started again, and the auction must come back from the log with
//! every acknowledged bid present, the clock never shortened, and the sequence gap-free.

use auction::{AuctionId, Event, LotNumber, Money};
use e2e::participant::{Participant, acked_seq};
use e2e::{Harness, auction_id_preferring, football_setup};
use nix::sys::signal::Signal;
use protocol::client::{AuctionCommand, ServerFrame};
use protocol::codec::Encoding;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_killed_and_restarted_keeps_every_acknowledged_bid() {
    let mut harness = Harness::start().await.expect("store server starts");
    harness.start_node("node-1").await.expect("node-1 starts");
    harness.start_node("node-2").await.expect("node-2 starts");
    harness.start_gateway("gw-1").await.expect("gateway starts");
    let url = harness.ws_url("gw-1");

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

    let mut alice = Participant::join(&url, "alice", Encoding::Json, &auction)
        .await
        .expect("alice joins");
    let mut bob = Participant::join(&url, "bob", Encoding::MessagePack, &auction)
        .await
        .expect("bob joins");
    let mut commish = Participant::join(&url, "commish", Encoding::Json, &auction)
        .await
        .expect("commissioner joins");
    assert_eq!(
        alice.seen.snapshot_seq,
        Some(1),
        "a new auction's log holds only its creation"
    );

    let begin = commish
        .command(AuctionCommand::Begin)
        .await
        .expect("answer");
    let begin_seq = acked_seq(&begin).unwrap_or_else(|| panic!("begin is acknowledged: {begin:?}"));
    alice
        .catch_up_to(begin_seq)
        .await
        .expect("alice sees the beginning");
    bob.catch_up_to(begin_seq)
        .await
        .expect("bob sees the beginning");
    let (lot, deadline_before) = alice.seen.open_lot().expect("beginning opens lot 1");
    assert_eq!(lot, LotNumber(1));

    // Alternate bids; every one is acknowledged and broadcast to both bidders with its sequence.
    let mut expected: Vec<(String, Money)> = Vec::new();
    let mut last_acknowledged = 0;
    for round in 0..10u64 {
        let (bidder, name) = if round % 2 == 0 {
            (&mut alice, "alice")
        } else {
            (&mut bob, "bob")
        };
        let amount = Money((round + 1) * 1_000_000);
        let answer = bidder
            .bid(lot, amount, &format!("{name}-{round}"))
            .await
            .expect("answer");
        let ServerFrame::Ack {
            seq,
            duplicate_of: None,
            ..
        } = answer
        else {
            panic!("bid {round} accepted: {answer:?}")
        };
        expected.push((name.to_string(), amount));
        last_acknowledged = seq;
        alice.catch_up_to(seq).await.expect("alice sees it");
        bob.catch_up_to(seq).await.expect("bob sees it");
    }
    assert_eq!(
        alice.seen.bids(),
        expected,
        "alice saw every acknowledged bid, in order"
    );
    assert_eq!(
        bob.seen.bids(),
        expected,
        "bob saw every acknowledged bid, in order"
    );

    // A repeated key is the same bid, never a second one.
    let repeat = bob
        .bid(lot, Money(10_000_000), "bob-9")
        .await
        .expect("answer");
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
    let next = alice
        .bid(lot, Money(20_000_000), "alice-after")
        .await
        .expect("answer");
    let after_seq = acked_seq(&next)
        .unwrap_or_else(|| panic!("the first bid after the failover is accepted: {next:?}"));
    assert!(after_seq > last_acknowledged);
    alice
        .catch_up_to(after_seq)
        .await
        .expect("alice catches up");
    bob.catch_up_to(after_seq).await.expect("bob catches up");

    // A newcomer starts from a snapshot: every acknowledged bid is in the lot's history.
    let mut all = expected.clone();
    all.push(("alice".into(), Money(20_000_000)));
    let mut newcomer = Participant::join(&url, "commish", Encoding::MessagePack, &auction)
        .await
        .expect("joins");
    newcomer
        .catch_up_to(after_seq)
        .await
        .expect("newcomer catches up");
    assert_eq!(
        newcomer.seen.bids(),
        all,
        "a newcomer sees every acknowledged bid"
    );
    assert_eq!(
        alice.seen.bids(),
        all,
        "every acknowledged bid survived the SIGKILL"
    );
    assert_eq!(bob.seen.bids(), all);

    // The clock was held during the failover, never shortened.
    let (_, deadline_after) = alice.seen.open_lot().expect("lot 1 is still open");
    assert!(
        deadline_after >= deadline_before,
        "deadline {deadline_after:?} is not earlier than {deadline_before:?}"
    );
    assert!(
        alice
            .seen
            .events
            .values()
            .any(|event| matches!(event, Some(Event::ClockRestored { .. }))),
        "the new owner restored the clock from the moment the old one was last alive"
    );
}
