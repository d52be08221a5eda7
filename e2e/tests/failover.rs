//! Fault tolerance with real processes on loopback: a frozen owner (SIGSTOP) is replaced and
//! cannot write when it wakes; a draining node (SIGTERM) hands its auctions over with the clock
//! held; a killed gateway loses nothing and clients resume on another gateway by sequence number;
//! a node that joins takes its share of new auctions. Every history is then re-verified by the
//! independent checker.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use auction::{AuctionId, LotNumber, Money};
use e2e::checker::{self, AckedBid};
use e2e::participant::{Participant, acked_seq};
use e2e::{Harness, auction_id_preferring, football_setup};
use nix::sys::signal::Signal;
use protocol::client::{AuctionCommand, AuctionStatus};
use protocol::codec::Encoding;
use store::EventLog;

async fn check_log(harness: &Harness, auction: &str, acked: &[AckedBid]) -> checker::Report {
    let store = store::RemoteStore::connect(format!("127.0.0.1:{}", harness.store_port))
        .await
        .expect("store reachable");
    let log = store.read(auction, 1, 100_000).await.expect("log readable");
    let report = checker::check(&log, acked);
    assert_eq!(
        report.violations,
        Vec::<String>::new(),
        "the history of {auction} is consistent"
    );
    report
}

fn acked(bidder: &str, key: &str, amount: Money, lot: LotNumber) -> AckedBid {
    AckedBid {
        bidder: bidder.into(),
        key: key.into(),
        amount: amount.0,
        lot: lot.0,
    }
}

async fn begun(
    url: &str,
    auction: &AuctionId,
    managers: &[&str],
) -> (Participant, Vec<Participant>, LotNumber) {
    let mut commish = Participant::join(url, "commish", Encoding::Json, auction)
        .await
        .expect("commissioner joins");
    let mut people = Vec::new();
    for who in managers {
        people.push(
            Participant::join(url, who, Encoding::MessagePack, auction)
                .await
                .expect("manager joins"),
        );
    }
    let begin = commish
        .command(AuctionCommand::Begin)
        .await
        .expect("answer");
    let seq = acked_seq(&begin).unwrap_or_else(|| panic!("begin is acknowledged: {begin:?}"));
    for person in &mut people {
        person.catch_up_to(seq).await.expect("sees the beginning");
    }
    let (lot, _) = people[0].seen.open_lot().expect("lot 1 opens");
    (commish, people, lot)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_owner_is_replaced_and_cannot_write_when_it_wakes() {
    let mut harness = Harness::start().await.expect("store starts");
    harness.start_node("node-1").await.expect("node-1");
    harness.start_node("node-2").await.expect("node-2");
    harness.start_gateway("gw-1").await.expect("gateway");
    let url = harness.ws_url("gw-1");
    let raw = auction_id_preferring("freeze", "node-2", &["node-1", "node-2"]);
    let auction = AuctionId::try_new(raw.clone()).expect("id");
    harness
        .create_auction("gw-1", &football_setup(&raw, &["alice", "bob"], 60_000, 0))
        .await
        .expect("created");
    let (_commish, mut people, lot) = begun(&url, &auction, &["alice", "bob"]).await;
    let mut acks = Vec::new();
    let answer = people[0]
        .bid(lot, Money(1_000_000), "a1")
        .await
        .expect("answer");
    assert!(acked_seq(&answer).is_some(), "{answer:?}");
    acks.push(acked("alice", "a1", Money(1_000_000), lot));
    let (_, deadline_before) = people[0].seen.open_lot().expect("open");

    // Freeze the owner. ractor_cluster never notices; heartbeats and the lease do.
    harness
        .process("node-2")
        .expect("node-2")
        .signal(Signal::SIGSTOP)
        .expect("SIGSTOP");
    let frozen_at = Instant::now();
    let answer = people[1]
        .bid(lot, Money(2_000_000), "b1")
        .await
        .expect("answer");
    let recovered_after = frozen_at.elapsed();
    let seq = acked_seq(&answer)
        .unwrap_or_else(|| panic!("the bid is accepted by the new owner: {answer:?}"));
    acks.push(acked("bob", "b1", Money(2_000_000), lot));
    println!(
        "frozen owner replaced: first bid acknowledged {} ms after SIGSTOP",
        recovered_after.as_millis()
    );
    assert!(
        recovered_after < Duration::from_secs(10),
        "failover completes within the command deadline"
    );
    people[0].catch_up_to(seq).await.expect("alice follows");
    assert!(
        people[0].seen.statuses.contains(&AuctionStatus::Recovering),
        "clients were told it was recovering"
    );

    // Wake the old owner: it must not write anything, and the auction carries on.
    harness
        .process("node-2")
        .expect("node-2")
        .signal(Signal::SIGCONT)
        .expect("SIGCONT");
    let answer = people[0]
        .bid(lot, Money(3_000_000), "a2")
        .await
        .expect("answer");
    let seq = acked_seq(&answer)
        .unwrap_or_else(|| panic!("bidding continues after the old owner wakes: {answer:?}"));
    acks.push(acked("alice", "a2", Money(3_000_000), lot));
    people[1].catch_up_to(seq).await.expect("bob follows");
    let (_, deadline_after) = people[1].seen.open_lot().expect("still open");
    assert!(
        deadline_after >= deadline_before,
        "the freeze never shortened the clock"
    );

    let report = check_log(&harness, &raw, &acks).await;
    assert!(report.epochs >= 2, "a second epoch took over");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draining_node_hands_its_auction_over_with_the_clock_held() {
    let mut harness = Harness::start().await.expect("store starts");
    harness.start_node("node-1").await.expect("node-1");
    harness.start_node("node-2").await.expect("node-2");
    harness.start_gateway("gw-1").await.expect("gateway");
    let url = harness.ws_url("gw-1");
    let raw = auction_id_preferring("drain", "node-2", &["node-1", "node-2"]);
    let auction = AuctionId::try_new(raw.clone()).expect("id");
    harness
        .create_auction("gw-1", &football_setup(&raw, &["alice", "bob"], 60_000, 0))
        .await
        .expect("created");
    let (_commish, mut people, lot) = begun(&url, &auction, &["alice", "bob"]).await;
    let answer = people[0]
        .bid(lot, Money(4_000_000), "a1")
        .await
        .expect("answer");
    assert!(acked_seq(&answer).is_some());
    let (_, deadline_before) = people[0].seen.open_lot().expect("open");

    let code = harness
        .process("node-2")
        .expect("node-2")
        .terminate(Duration::from_secs(25))
        .await
        .expect("drains");
    assert_eq!(code, Some(0), "a drained node exits cleanly");
    let answer = people[1]
        .bid(lot, Money(5_000_000), "b1")
        .await
        .expect("answer");
    let seq = acked_seq(&answer)
        .unwrap_or_else(|| panic!("the auction carries on elsewhere: {answer:?}"));
    people[0].catch_up_to(seq).await.expect("alice follows");
    let bids = people[0].seen.bids();
    assert_eq!(
        bids,
        vec![
            ("alice".to_string(), Money(4_000_000)),
            ("bob".to_string(), Money(5_000_000))
        ]
    );
    let (open, deadline_after) = people[0]
        .seen
        .open_lot()
        .expect("the same lot is still open");
    assert_eq!(
        open, lot,
        "moving the auction did not close or skip the lot"
    );
    assert!(
        deadline_after >= deadline_before,
        "the clock was held during the move"
    );
    check_log(
        &harness,
        &raw,
        &[
            acked("alice", "a1", Money(4_000_000), lot),
            acked("bob", "b1", Money(5_000_000), lot),
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_gateway_loses_nothing_and_clients_resume_on_another() {
    let mut harness = Harness::start().await.expect("store starts");
    harness.start_node("node-1").await.expect("node-1");
    harness.start_gateway("gw-1").await.expect("gateway 1");
    harness.start_gateway("gw-2").await.expect("gateway 2");
    let raw = "gateway-kill";
    let auction = AuctionId::try_new(raw.to_string()).expect("id");
    harness
        .create_auction("gw-1", &football_setup(raw, &["alice", "bob"], 60_000, 0))
        .await
        .expect("created");
    let (_commish, mut people, lot) = begun(&harness.ws_url("gw-1"), &auction, &["alice"]).await;
    let mut bob = Participant::join(&harness.ws_url("gw-2"), "bob", Encoding::Json, &auction)
        .await
        .expect("bob on gw-2");
    let mut alice = people.remove(0);
    assert!(
        acked_seq(
            &alice
                .bid(lot, Money(1_000_000), "a1")
                .await
                .expect("answer")
        )
        .is_some()
    );

    // The gateway alice is on dies; bob bids through the other one meanwhile.
    harness.process("gw-1").expect("gw-1").kill();
    let answer = bob.bid(lot, Money(2_000_000), "b0").await.expect("answer");
    let last = acked_seq(&answer).unwrap_or_else(|| panic!("bob's bid is accepted: {answer:?}"));
    // Alice resumes on the other gateway from the last sequence number she saw.
    let before = alice.seen.head();
    alice
        .resume(&harness.ws_url("gw-2"), Encoding::Json)
        .await
        .expect("alice reconnects");
    alice
        .catch_up_to(last)
        .await
        .expect("alice gets exactly what she missed");
    assert!(
        alice.seen.snapshot_seq.is_none_or(|seq| seq <= before),
        "resumed by sequence, not by a fresh snapshot"
    );
    assert_eq!(
        alice.seen.bids(),
        vec![
            ("alice".to_string(), Money(1_000_000)),
            ("bob".to_string(), Money(2_000_000))
        ]
    );
    let answer = alice
        .bid(lot, Money(3_000_000), "a2")
        .await
        .expect("answer");
    assert!(
        acked_seq(&answer).is_some(),
        "alice bids through the other gateway: {answer:?}"
    );
    check_log(
        &harness,
        raw,
        &[
            acked("alice", "a1", Money(1_000_000), lot),
            acked("bob", "b0", Money(2_000_000), lot),
            acked("alice", "a2", Money(3_000_000), lot),
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_joining_node_takes_its_share_of_new_auctions() {
    let mut harness = Harness::start().await.expect("store starts");
    harness.start_node("node-1").await.expect("node-1");
    harness.start_node("node-2").await.expect("node-2");
    harness.start_gateway("gw-1").await.expect("gateway");
    let mut placed: BTreeMap<String, usize> = BTreeMap::new();
    for i in 0..12 {
        let node = harness
            .create_auction(
                "gw-1",
                &football_setup(&format!("before-{i}"), &["alice", "bob"], 30_000, 0),
            )
            .await
            .expect("created");
        *placed.entry(node).or_default() += 1;
    }
    assert_eq!(
        placed.keys().cloned().collect::<Vec<_>>(),
        vec!["node-1".to_string(), "node-2".to_string()]
    );

    harness.start_node("node-3").await.expect("node-3 joins");
    // The gateway finds the new node through its lease in the store, without configuration.
    harness
        .wait_gateway_sees("gw-1", 3)
        .await
        .expect("the gateway finds node-3");
    let mut landed = 0;
    for i in 0..6 {
        let raw = auction_id_preferring(
            &format!("after-{i}"),
            "node-3",
            &["node-1", "node-2", "node-3"],
        );
        let node = harness
            .create_auction("gw-1", &football_setup(&raw, &["alice", "bob"], 30_000, 0))
            .await
            .expect("created");
        if node == "node-3" {
            landed += 1;
        }
    }
    assert_eq!(landed, 6, "new auctions preferring the new node land on it");
    // Existing auctions stayed where they were: nothing moved because a node joined.
    let store = store::RemoteStore::connect(format!("127.0.0.1:{}", harness.store_port))
        .await
        .expect("store");
    for i in 0..12 {
        let ownership = store
            .ownership(&format!("before-{i}"))
            .await
            .expect("readable")
            .expect("owned");
        assert_ne!(
            ownership.owner.expect("owner").node,
            "node-3",
            "before-{i} was not moved"
        );
    }
}
