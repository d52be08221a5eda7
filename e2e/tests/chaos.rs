//! Chaos: real auctions with concurrent bidders while nodes are killed, frozen and partitioned,
//! gateways are killed and Redis restarts; then every auction's complete history is checked by
//! the independent checker against everything the bidders saw acknowledged.
//!
//! The whole test runs inside its own network namespace (`unshare -n`): it re-executes itself there
//! when started normally. Partitions are iptables rules inside that namespace, on loopback only:
//! every node and gateway runs under its own user id, and a rule drops a node's packets to
//! everything except the store (an `owner` match), which cuts it off from gateways and nodes while
//! it keeps renewing its lease — the case only a gateway-requested takeover resolves.
//!
//! `CHAOS_SECONDS` sets how long faults are injected (default 40; `make chaos-long` uses 300).

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use auction::{AuctionId, AuctionSetup, DurationMs, LeagueSettings, Manager};
use e2e::bot::{self, BotReport};
use e2e::checker::{self, AckedBid};
use e2e::{Harness, user};
use nix::sys::signal::Signal;
use rand::seq::IndexedRandom;
use store::EventLog;
use tokio::sync::Mutex;
use tokio::time::Instant;

const INSIDE: &str = "CHAOS_INSIDE_NETNS";

#[test]
fn chaos_in_a_private_network_namespace() {
    if std::env::var_os(INSIDE).is_some() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(chaos());
        return;
    }
    let exe = std::env::current_exe().expect("test binary path");
    let status = Command::new("unshare")
        .args([
            "--net",
            "--",
            "sh",
            "-c",
            r#"ip link set lo up && exec "$0" "$@""#,
        ])
        .arg(exe)
        .args([
            "chaos_in_a_private_network_namespace",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(INSIDE, "1")
        .status()
        .expect("unshare runs (the chaos test needs root to create a network namespace)");
    assert!(
        status.success(),
        "the chaos run inside its network namespace failed: {status}"
    );
}

fn fast_setup(auction_id: &str, managers: &[&str]) -> AuctionSetup {
    AuctionSetup {
        auction_id: AuctionId::try_new(auction_id.to_string()).expect("valid id"),
        league_name: format!("Chaos {auction_id}"),
        settings: LeagueSettings {
            bid_clock: DurationMs(6_000),
            anti_snipe: DurationMs(2_000),
            gap_between_lots: DurationMs(1_000),
            roster_slots: 2,
            ..LeagueSettings::default()
        },
        commissioner: user("commish"),
        managers: managers
            .iter()
            .map(|id| Manager {
                id: user(id),
                name: id.to_string(),
            })
            .collect(),
        assets: league::catalogue::Catalogue::premier_league_2025_26().assets(),
        keepers: Vec::new(),
    }
}

fn iptables(args: &[&str]) {
    let status = Command::new("iptables")
        .args(args)
        .status()
        .expect("iptables runs (install it with scripts/install-test-deps.sh)");
    assert!(status.success(), "iptables {args:?} failed");
}

/// Cut `uid`'s traffic to everything but the store port (or restore it).
fn partition(uid: u32, store_port: u16, on: bool) {
    let uid = uid.to_string();
    let store = store_port.to_string();
    let rule = [
        "OUTPUT",
        "-m",
        "owner",
        "--uid-owner",
        uid.as_str(),
        "-p",
        "tcp",
        "!",
        "--dport",
        store.as_str(),
        "-j",
        "DROP",
    ];
    let mut args = vec![if on { "-A" } else { "-D" }];
    args.extend(rule);
    iptables(&args);
}

/// Create an auction through whichever gateway is up (one may be down for a fault).
async fn create_anywhere(harness: &Harness, setup: &AuctionSetup) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        for gateway in ["gw-1", "gw-2"] {
            if harness.create_auction(gateway, setup).await.is_ok() {
                return;
            }
        }
        assert!(
            Instant::now() < deadline,
            "{} could not be created",
            setup.auction_id
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn chaos() {
    let seconds: u64 = std::env::var("CHAOS_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let mut harness = Harness::start().await.expect("store starts");
    harness.distinct_uids = true;
    harness.start_redis().await.expect("redis starts");
    for node in ["node-1", "node-2", "node-3"] {
        harness.start_node(node).await.expect("node starts");
    }
    harness.start_gateway("gw-1").await.expect("gateway 1");
    harness.start_gateway("gw-2").await.expect("gateway 2");
    harness
        .wait_gateway_sees("gw-1", 3)
        .await
        .expect("gw-1 sees the nodes");
    harness
        .wait_gateway_sees("gw-2", 3)
        .await
        .expect("gw-2 sees the nodes");
    let urls = vec![harness.ws_url("gw-1"), harness.ws_url("gw-2")];
    let gateways = Arc::new(Mutex::new(urls.clone()));

    let managers = ["m1", "m2", "m3"];
    // Auctions run in waves (a wave of three every 30 s while faults are injected), so faults keep
    // landing on auctions in progress however long the run is.
    let until = Instant::now() + Duration::from_secs(seconds + 240);
    let mut auctions: Vec<String> = Vec::new();
    let mut bots = Vec::new();
    let mut wave = 0usize;
    let mut next_wave = Instant::now();
    // Faults, one at a time, for `seconds`.
    let chaos_until = Instant::now() + Duration::from_secs(seconds);
    let mut faults: Vec<String> = Vec::new();
    let mut round = 0usize;
    while Instant::now() < chaos_until {
        if Instant::now() >= next_wave {
            wave += 1;
            next_wave = Instant::now() + Duration::from_secs(30);
            for i in 1..=3 {
                let auction = format!("chaos-{wave}-{i}");
                create_anywhere(&harness, &fast_setup(&auction, &managers)).await;
                let id = AuctionId::try_new(auction.clone()).expect("id");
                assert!(bot::begin(&id, &urls, until).await, "{auction} begins");
                for who in managers {
                    let task = tokio::spawn(bot::run(
                        who.to_string(),
                        id.clone(),
                        gateways.clone(),
                        until,
                        (150, 1_200),
                    ));
                    bots.push((auction.clone(), task));
                }
                auctions.push(auction);
            }
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
        let node = ["node-1", "node-2", "node-3"]
            .choose(&mut rand::rng())
            .copied()
            .unwrap_or("node-1");
        match round % 5 {
            0 => {
                faults.push(format!("SIGKILL {node}, restart after 2 s"));
                harness.process(node).expect("node").kill();
                tokio::time::sleep(Duration::from_secs(2)).await;
                harness.restart_node(node).await.expect("node restarts");
            }
            1 => {
                faults.push(format!("SIGSTOP {node} for 4 s"));
                harness
                    .process(node)
                    .expect("node")
                    .signal(Signal::SIGSTOP)
                    .expect("SIGSTOP");
                tokio::time::sleep(Duration::from_secs(4)).await;
                harness
                    .process(node)
                    .expect("node")
                    .signal(Signal::SIGCONT)
                    .expect("SIGCONT");
            }
            2 => {
                let gateway = ["gw-1", "gw-2"][round / 5 % 2];
                faults.push(format!("SIGKILL {gateway}, restart after 1 s"));
                harness.process(gateway).expect("gateway").kill();
                tokio::time::sleep(Duration::from_secs(1)).await;
                harness
                    .restart_gateway(gateway)
                    .await
                    .expect("gateway restarts");
            }
            3 => {
                faults.push("restart redis".into());
                harness.process("redis").expect("redis").kill();
                tokio::time::sleep(Duration::from_secs(1)).await;
                harness.start_redis().await.expect("redis restarts");
            }
            _ => {
                let uid = harness.uids[node];
                faults.push(format!("partition {node} from gateways and nodes for 5 s"));
                partition(uid, harness.store_port, true);
                tokio::time::sleep(Duration::from_secs(5)).await;
                partition(uid, harness.store_port, false);
            }
        }
        round += 1;
    }
    println!("faults injected: {faults:#?}");

    // Let every auction run to its end, then check every history.
    let mut reports: BTreeMap<String, Vec<BotReport>> = BTreeMap::new();
    for (auction, task) in bots {
        let report = task.await.expect("bot task completes");
        reports.entry(auction).or_default().push(report);
    }
    let store = store::RemoteStore::connect(format!("127.0.0.1:{}", harness.store_port))
        .await
        .expect("store reachable");
    let mut total_acked = 0;
    for auction in &auctions {
        let bots = &reports[auction];
        let acked: Vec<AckedBid> = bots.iter().flat_map(|b| b.acked.clone()).collect();
        total_acked += acked.len();
        let log = store.read(auction, 1, 100_000).await.expect("log readable");
        let report = checker::check(&log, &acked);
        println!(
            "{auction}: {} events, {} bids ({} acknowledged to bots), {} sold, {} unsold, {} epochs, ended: {}, reconnects: {}, unsettled: {}",
            report.events,
            report.bids,
            acked.len(),
            report.sold,
            report.unsold,
            report.epochs,
            report.ended,
            bots.iter().map(|b| b.reconnects).sum::<usize>(),
            bots.iter().map(|b| b.unsettled).sum::<usize>(),
        );
        assert_eq!(
            report.violations,
            Vec::<String>::new(),
            "{auction}'s history holds every invariant"
        );
        assert!(report.ended, "{auction} ran to its end despite the faults");
    }
    assert!(total_acked > 0, "bids were acknowledged during the run");
}
