//! Measures the time from a node's death (SIGKILL) or freeze (SIGSTOP) to its auction accepting
//! bids again, over repeated rounds, and prints the distribution. It asserts recovery and the
//! history's consistency, never a duration: the figures are published in docs/RESILIENCE.md from
//! a longer run (`FAILOVER_ROUNDS=40 make failover-timing`).

use std::time::Instant;

use auction::{AuctionId, Money};
use e2e::checker::{self, AckedBid};
use e2e::participant::{Participant, acked_seq};
use e2e::{Harness, auction_id_preferring, football_setup};
use nix::sys::signal::Signal;
use protocol::client::AuctionCommand;
use protocol::codec::Encoding;
use store::EventLog;

fn percentile(sorted: &[u128], p: f64) -> u128 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_from_a_node_failure_to_bids_accepted_again() {
    let rounds: usize = std::env::var("FAILOVER_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let mut harness = Harness::start().await.expect("store starts");
    let nodes = ["node-1", "node-2", "node-3"];
    for node in nodes {
        harness.start_node(node).await.expect("node starts");
    }
    harness.start_gateway("gw-1").await.expect("gateway");
    harness
        .wait_gateway_sees("gw-1", 3)
        .await
        .expect("gateway sees the nodes");
    let url = harness.ws_url("gw-1");
    let mut kills = Vec::new();
    let mut freezes = Vec::new();
    for round in 0..rounds {
        let victim = nodes[round % nodes.len()];
        let raw = auction_id_preferring(&format!("timing-{round}"), victim, &nodes);
        let auction = AuctionId::try_new(raw.clone()).expect("id");
        let node = harness
            .create_auction("gw-1", &football_setup(&raw, &["alice", "bob"], 120_000, 0))
            .await
            .expect("created");
        assert_eq!(node, victim);
        let mut commissioner = Participant::join(&url, "commish", Encoding::Json, &auction)
            .await
            .expect("joins");
        assert!(
            acked_seq(
                &commissioner
                    .command(AuctionCommand::Begin)
                    .await
                    .expect("answer")
            )
            .is_some()
        );
        let mut alice = Participant::join(&url, "alice", Encoding::MessagePack, &auction)
            .await
            .expect("joins");
        let mut bob = Participant::join(&url, "bob", Encoding::MessagePack, &auction)
            .await
            .expect("joins");
        alice
            .wait_until("the first lot to open", |seen| seen.open_lot().is_some())
            .await
            .expect("lot opens");
        bob.wait_until("the first lot to open", |seen| seen.open_lot().is_some())
            .await
            .expect("lot opens");
        let (lot, _) = alice.seen.open_lot().expect("lot open");
        assert!(
            acked_seq(
                &alice
                    .bid(lot, Money(1_000_000), "before")
                    .await
                    .expect("answer")
            )
            .is_some()
        );

        let freeze = round % 2 == 1;
        let failed_at = Instant::now();
        if freeze {
            harness
                .process(victim)
                .expect("victim")
                .signal(Signal::SIGSTOP)
                .expect("SIGSTOP");
        } else {
            harness.process(victim).expect("victim").kill();
        }
        // Bob bids at once: the gateway holds the command until the auction accepts bids again.
        let answer = bob
            .bid(lot, Money(2_000_000), "after")
            .await
            .expect("answer");
        let recovered = failed_at.elapsed().as_millis();
        assert!(
            acked_seq(&answer).is_some(),
            "round {round}: the auction accepts bids again: {answer:?}"
        );
        if freeze {
            freezes.push(recovered);
            harness
                .process(victim)
                .expect("victim")
                .signal(Signal::SIGCONT)
                .expect("SIGCONT");
        } else {
            kills.push(recovered);
            harness.restart_node(victim).await.expect("victim restarts");
        }
        harness
            .wait_gateway_sees("gw-1", 3)
            .await
            .expect("all nodes back");

        let store = store::RemoteStore::connect(format!("127.0.0.1:{}", harness.store_port))
            .await
            .expect("store");
        let log = store.read(&raw, 1, 10_000).await.expect("log");
        let acked = [("alice", "before", 1_000_000), ("bob", "after", 2_000_000)].map(
            |(bidder, key, amount)| AckedBid {
                bidder: bidder.into(),
                key: key.into(),
                amount,
                lot: lot.0,
            },
        );
        let report = checker::check(&log, &acked);
        assert_eq!(
            report.violations,
            Vec::<String>::new(),
            "round {round} history"
        );
    }
    let mut all: Vec<u128> = kills.iter().chain(freezes.iter()).copied().collect();
    all.sort_unstable();
    kills.sort_unstable();
    freezes.sort_unstable();
    let summary = format!(
        "{{\"rounds\":{rounds},\"sigkill_ms\":{kills:?},\"sigstop_ms\":{freezes:?},\"p50_ms\":{},\"p99_ms\":{},\"max_ms\":{}}}",
        percentile(&all, 50.0),
        percentile(&all, 99.0),
        all.last().copied().unwrap_or(0)
    );
    println!("failover timing: {summary}");
    if let Ok(path) = std::env::var("FAILOVER_TIMING_OUT") {
        std::fs::write(path, summary).expect("write the timing summary");
    }
}
