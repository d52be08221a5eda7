//! The real `/metrics` exposition of a node, a gateway and the store server passes `promtool check
//! metrics` (names, suffixes, HELP text), after traffic has produced every kind of sample.

use std::io::Write;
use std::process::{Command, Stdio};

use auction::{AuctionId, Money};
use e2e::participant::{Participant, acked_seq};
use e2e::{Harness, football_setup, which};
use protocol::client::AuctionCommand;
use protocol::codec::Encoding;

fn promtool_check(exposition: &str) -> (bool, String) {
    let promtool = which("promtool")
        .expect("promtool is installed by scripts/install-test-deps.sh (package prometheus)");
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(exposition.as_bytes())
        .expect("write exposition");
    let output = child.wait_with_output().expect("promtool finishes");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_process_exposes_lint_clean_prometheus_metrics() {
    let mut harness = Harness::start().await.expect("store starts");
    harness.start_node("node-1").await.expect("node");
    harness.start_gateway("gw-1").await.expect("gateway");
    let raw = "metrics-lint";
    let auction = AuctionId::try_new(raw.to_string()).expect("id");
    harness
        .create_auction("gw-1", &football_setup(raw, &["alice", "bob"], 30_000, 0))
        .await
        .expect("created");
    let url = harness.ws_url("gw-1");
    let mut commish = Participant::join(&url, "commish", Encoding::Json, &auction)
        .await
        .expect("joins");
    assert!(
        acked_seq(
            &commish
                .command(AuctionCommand::Begin)
                .await
                .expect("answer")
        )
        .is_some()
    );
    let mut alice = Participant::join(&url, "alice", Encoding::Json, &auction)
        .await
        .expect("joins");
    alice
        .wait_until("lot 1", |seen| seen.open_lot().is_some())
        .await
        .expect("lot opens");
    let (lot, _) = alice.seen.open_lot().expect("open");
    assert!(
        acked_seq(
            &alice
                .bid(lot, Money(1_000_000), "m1")
                .await
                .expect("answer")
        )
        .is_some()
    );
    let refused = alice
        .bid(lot, Money(1_000_000), "m2")
        .await
        .expect("answer");
    assert!(
        acked_seq(&refused).is_none(),
        "a refusal too, so every outcome label exists"
    );

    let node = harness
        .metrics(harness.nodes["node-1"].http)
        .await
        .expect("node metrics");
    let gateway = harness
        .metrics(harness.gateways["gw-1"])
        .await
        .expect("gateway metrics");
    for (who, text, must) in [
        (
            "node",
            &node,
            [
                "auction_commands_total",
                "auction_command_seconds_bucket",
                "auction_live_actors",
            ],
        ),
        (
            "gateway",
            &gateway,
            [
                "gateway_commands_total",
                "gateway_command_seconds_bucket",
                "gateway_connections",
            ],
        ),
    ] {
        for name in must {
            assert!(text.contains(name), "{who} exposes {name}");
        }
        let (ok, report) = promtool_check(text);
        assert!(ok, "promtool rejects the {who}'s metrics:\n{report}");
    }
}
