//! Redis shared by two gateways (a real redis-server): one rate limit per user across gateways,
//! presence across gateways, and graceful degradation to local limits while Redis is down (shown
//! in metrics), then recovery when it comes back.

use std::time::Duration;

use auction::{AuctionId, LotNumber, Money};
use e2e::participant::Participant;
use e2e::{Harness, football_setup};
use protocol::client::{ErrorCode, ServerFrame};
use protocol::codec::Encoding;

async fn degraded(harness: &Harness, gateway: &str) -> Option<bool> {
    let text = harness.metrics(harness.gateways[gateway]).await.ok()?;
    text.lines()
        .find(|line| line.starts_with("gateway_ratelimit_degraded "))
        .and_then(|line| line.split_whitespace().nth(1))
        .map(|value| value != "0")
}

async fn wait_degraded(harness: &Harness, gateway: &str, wanted: bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while degraded(harness, gateway).await != Some(wanted) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{gateway} never reported degraded={wanted}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn is_rate_limited(frame: &ServerFrame) -> bool {
    matches!(
        frame,
        ServerFrame::Error {
            code: ErrorCode::RateLimited,
            retry_after_ms: Some(_),
            ..
        }
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateways_share_rate_limits_and_presence_and_fall_back_to_local_limits() {
    let mut harness = Harness::start().await.expect("store starts");
    harness.start_redis().await.expect("redis starts");
    harness.gateway_flags = vec![
        "--commands-per-minute".into(),
        "6".into(),
        "--command-burst".into(),
        "6".into(),
    ];
    harness.start_node("node-1").await.expect("node");
    harness.start_gateway("gw-1").await.expect("gateway 1");
    harness.start_gateway("gw-2").await.expect("gateway 2");
    wait_degraded(&harness, "gw-1", false).await;
    wait_degraded(&harness, "gw-2", false).await;
    let raw = "shared-limits";
    let auction = AuctionId::try_new(raw.to_string()).expect("id");
    harness
        .create_auction("gw-1", &football_setup(raw, &["alice", "bob"], 30_000, 0))
        .await
        .expect("created");

    let mut alice_one =
        Participant::join(&harness.ws_url("gw-1"), "alice", Encoding::Json, &auction)
            .await
            .expect("joins");
    let mut alice_two = Participant::join(
        &harness.ws_url("gw-2"),
        "alice",
        Encoding::MessagePack,
        &auction,
    )
    .await
    .expect("joins");
    let mut bob = Participant::join(&harness.ws_url("gw-2"), "bob", Encoding::Json, &auction)
        .await
        .expect("joins");

    // Presence is cluster-wide: alice, on gw-1, sees bob, who is on gw-2.
    alice_one
        .wait_until("bob in alice's presence list", |seen| {
            seen.online.contains(&"bob".to_string())
        })
        .await
        .expect("presence crosses gateways");

    // The auction has not begun: bids are refused by the rules, but each one counts as a command.
    let mut answers = Vec::new();
    for i in 0..3 {
        answers.push(
            alice_one
                .bid(LotNumber(1), Money(1_000_000), &format!("one-{i}"))
                .await
                .expect("answer"),
        );
        answers.push(
            alice_two
                .bid(LotNumber(1), Money(1_000_000), &format!("two-{i}"))
                .await
                .expect("answer"),
        );
    }
    assert!(
        answers
            .iter()
            .all(|frame| matches!(frame, ServerFrame::Refused { .. })),
        "{answers:?}"
    );
    let over = alice_two
        .bid(LotNumber(1), Money(1_000_000), "over")
        .await
        .expect("answer");
    assert!(
        is_rate_limited(&over),
        "the 7th command across both gateways is over the shared limit: {over:?}"
    );
    // Bob has his own allowance.
    assert!(matches!(
        bob.bid(LotNumber(1), Money(1_000_000), "bob-0")
            .await
            .expect("answer"),
        ServerFrame::Refused { .. }
    ));

    // Redis goes away: the gateway keeps serving on its own limits and says so.
    harness.process("redis").expect("redis").kill();
    wait_degraded(&harness, "gw-2", true).await;
    let during = alice_two
        .bid(LotNumber(1), Money(1_000_000), "during")
        .await
        .expect("answer");
    assert!(
        matches!(during, ServerFrame::Refused { .. }),
        "with Redis down, gw-2's local bucket (3 of 6 used) still admits alice: {during:?}"
    );

    // Redis comes back (empty): the gateways notice and share limits again.
    harness.start_redis().await.expect("redis restarts");
    wait_degraded(&harness, "gw-1", false).await;
    wait_degraded(&harness, "gw-2", false).await;
    let after = alice_one
        .bid(LotNumber(1), Money(1_000_000), "after")
        .await
        .expect("answer");
    assert!(
        matches!(after, ServerFrame::Refused { .. }),
        "commands flow again: {after:?}"
    );
}
