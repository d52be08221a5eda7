//! Append benchmark: throughput and latency of `append` with 1 and 64 concurrent appenders, on the embedded
//! file backend (group commit, fsync per commit) and on the remote store over loopback (serving the same kind
//! of file store).
//!
//! Each appender owns its own auction and appends one 200-byte event at a time, waiting for each
//! acknowledgement (durable) before the next, which is what an auction actor does. Run with
//! `cargo bench -p store --bench append`; `STORE_BENCH_SECONDS` (default 5) sets the duration of each scenario.

use std::sync::Arc;
use std::time::{Duration, Instant};
use store::conformance::fixtures::TestServer;
use store::{EmbeddedStore, OwnerId, RemoteConfig, RemoteStore, Store};

const PAYLOAD_BYTES: usize = 200;

struct Outcome {
    appends: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// `appenders` tasks append for `duration` to their own auctions.
async fn run(store: Arc<dyn Store>, appenders: usize, duration: Duration, tag: &str) -> Outcome {
    let owner = OwnerId::new("bench-node", 1);
    let mut auctions = Vec::new();
    for index in 0..appenders {
        let auction = format!("{tag}-{index}");
        let claim = store
            .claim(&auction, &owner, 0, false)
            .await
            .expect("claim");
        auctions.push((auction, claim.epoch));
    }
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = auctions
        .into_iter()
        .map(|(auction, epoch)| {
            let store = Arc::clone(&store);
            let owner = owner.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut seq = 1u64;
                while Instant::now() < deadline {
                    let payload = vec![0xA5u8; PAYLOAD_BYTES];
                    let begun = Instant::now();
                    store
                        .append(&auction, &owner, epoch, seq, vec![payload])
                        .await
                        .expect("append");
                    latencies.push(begun.elapsed());
                    seq += 1;
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("appender"));
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    Outcome {
        appends: latencies.len(),
        elapsed,
        latencies,
    }
}

fn report(name: &str, appenders: usize, outcome: &Outcome) {
    let rate = outcome.appends as f64 / outcome.elapsed.as_secs_f64();
    let ms = |duration: Duration| duration.as_secs_f64() * 1000.0;
    println!(
        "{name:<28} {appenders:>3} appenders  {rate:>9.0} appends/s  p50 {:>7.3} ms  p99 {:>7.3} ms  max {:>8.3} ms  ({} appends)",
        ms(percentile(&outcome.latencies, 0.50)),
        ms(percentile(&outcome.latencies, 0.99)),
        ms(outcome.latencies.last().copied().unwrap_or_default()),
        outcome.appends,
    );
}

fn main() {
    let seconds: u64 = std::env::var("STORE_BENCH_SECONDS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(5);
    let duration = Duration::from_secs(seconds);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("temporary directory");
        println!(
            "append benchmark: one {PAYLOAD_BYTES}-byte event per append, {seconds} s per scenario"
        );

        let file: Arc<dyn Store> =
            Arc::new(EmbeddedStore::open(dir.path().join("embedded.redb")).expect("open"));
        for appenders in [1, 64] {
            let outcome = run(
                Arc::clone(&file),
                appenders,
                duration,
                &format!("file-{appenders}"),
            )
            .await;
            report("embedded file (fsync)", appenders, &outcome);
        }
        drop(file);

        let backing: Arc<dyn Store> =
            Arc::new(EmbeddedStore::open(dir.path().join("remote.redb")).expect("open"));
        let server = TestServer::start(backing).await;
        let remote: Arc<dyn Store> = Arc::new(
            RemoteStore::connect(RemoteConfig::new(server.addr().to_string()))
                .await
                .expect("connect"),
        );
        for appenders in [1, 64] {
            let outcome = run(
                Arc::clone(&remote),
                appenders,
                duration,
                &format!("remote-{appenders}"),
            )
            .await;
            report("remote over loopback (fsync)", appenders, &outcome);
        }
        drop(remote);
        server.stop().await;

        let memory: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory().expect("in-memory store"));
        for appenders in [1, 64] {
            let outcome = run(
                Arc::clone(&memory),
                appenders,
                duration,
                &format!("memory-{appenders}"),
            )
            .await;
            report("embedded in-memory", appenders, &outcome);
        }
    });
}
