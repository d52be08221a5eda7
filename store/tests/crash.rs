//! Crash safety of the embedded file backend, with a real SIGKILL.
//!
//! The test re-invokes its own binary as a child process (selected by [`CHILD_ENV`]) that appends to several
//! auctions concurrently (so group commits hold several requests) and prints every acknowledged append. The
//! parent kills it with SIGKILL while appends are in flight, reopens the file, and checks that every
//! acknowledged event is there with its exact payload and that every log is gap-free. Three rounds run on the
//! same file; each round's child is a new incarnation that force-claims the auctions and continues the logs.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use store::{EmbeddedStore, EventLog, OwnerId, Seq};

/// Set (to the database path) in the child process.
const CHILD_ENV: &str = "STORE_CRASH_TEST_DB";
/// Set (to the round number, used as the incarnation) in the child process.
const ROUND_ENV: &str = "STORE_CRASH_TEST_ROUND";
/// Auctions written concurrently by the child.
const AUCTIONS: usize = 8;
/// Acknowledgements to wait for before killing the child, per round.
const ACKS_BEFORE_KILL: usize = 300;
const ROUNDS: u64 = 3;

fn auction(index: usize) -> String {
    format!("crash-auction-{index}")
}

fn payload(auction: &str, seq: Seq) -> Vec<u8> {
    format!("{auction}:{seq}:payload").into_bytes()
}

/// Child side: append forever, printing `ack <auction> <last seq of the batch>` after each acknowledgement.
/// Without the environment variable (a normal test run) this does nothing.
#[test]
fn child_process_appends_until_killed() {
    let (Ok(path), Ok(round)) = (std::env::var(CHILD_ENV), std::env::var(ROUND_ENV)) else {
        return;
    };
    let incarnation: u64 = round.parse().expect("round number");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let store = EmbeddedStore::open(&path).expect("open the store in the child");
        let me = OwnerId::new("crash-node", incarnation);
        let mut writers = Vec::new();
        for index in 0..AUCTIONS {
            let store = store.clone();
            let me = me.clone();
            writers.push(tokio::spawn(async move {
                let auction = auction(index);
                let claim = store.claim(&auction, &me, 0, true).await.expect("claim");
                let mut next = store.last_seq(&auction).await.expect("last_seq") + 1;
                let mut batch = 1 + index as u64 % 3;
                loop {
                    let payloads = (next..next + batch)
                        .map(|seq| payload(&auction, seq))
                        .collect();
                    store
                        .append(&auction, &me, claim.epoch, next, payloads)
                        .await
                        .expect("append");
                    next += batch;
                    // One write per line, so a line is never torn by the kill.
                    println!("ack {auction} {}", next - 1);
                    batch = batch % 3 + 1;
                }
            }));
        }
        // The writers run until the process is killed; a panicking writer ends the child early (and the
        // parent then reports missing acknowledgements).
        let (ended, _, _) = futures_util::future::select_all(writers).await;
        ended.expect("writer task");
    });
}

/// Run one child until it acknowledged enough appends, SIGKILL it, and return the highest acknowledged seq per
/// auction.
fn run_and_kill_child(db: &Path, round: u64) -> BTreeMap<String, Seq> {
    let exe = std::env::current_exe().expect("current test binary");
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "child_process_appends_until_killed",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, db)
        .env(ROUND_ENV, round.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn the child");
    let stdout = child.stdout.take().expect("child stdout");
    let (lines_tx, lines) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut acked: BTreeMap<String, Seq> = BTreeMap::new();
    let mut count = 0usize;
    let record = |line: &str, acked: &mut BTreeMap<String, Seq>| -> bool {
        let mut parts = line.split_whitespace();
        if parts.next() != Some("ack") {
            return false;
        }
        let auction = parts.next().expect("ack auction").to_owned();
        let seq: Seq = parts
            .next()
            .expect("ack seq")
            .parse()
            .expect("ack seq number");
        let entry = acked.entry(auction).or_insert(0);
        assert!(seq > *entry, "acks of one auction increase");
        *entry = seq;
        true
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    while count < ACKS_BEFORE_KILL {
        let remaining = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(remaining) {
            Ok(line) => {
                if record(&line, &mut acked) {
                    count += 1;
                }
            }
            Err(error) => {
                let _ = child.kill();
                panic!(
                    "round {round}: the child stopped acknowledging after {count} appends: {error}"
                );
            }
        }
    }
    child.kill().expect("SIGKILL the child");
    let status = child.wait().expect("wait for the child");
    assert_eq!(
        status.signal(),
        Some(9),
        "round {round}: the child died of SIGKILL, mid-stream"
    );
    reader.join().expect("stdout reader");
    // Acks printed before the kill but not read yet count too.
    for line in lines.try_iter() {
        record(&line, &mut acked);
    }
    assert_eq!(
        acked.len(),
        AUCTIONS,
        "round {round}: every auction acknowledged appends"
    );
    acked
}

#[test]
fn sigkill_mid_stream_loses_no_acknowledged_append() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = dir.path().join("crash.redb");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut previous: BTreeMap<String, Seq> = BTreeMap::new();
    for round in 1..=ROUNDS {
        let acked = run_and_kill_child(&db, round);
        runtime.block_on(async {
            let store = EmbeddedStore::open(&db).expect("reopen after SIGKILL");
            for (auction, acked_seq) in &acked {
                let events = store.read(auction, 1, usize::MAX).await.expect("read");
                let last_seq = store.last_seq(auction).await.expect("last_seq");
                assert!(
                    last_seq >= *acked_seq,
                    "round {round}: {auction} lost acknowledged appends: last seq {last_seq} < acked {acked_seq}"
                );
                assert_eq!(events.len() as u64, last_seq, "round {round}: {auction} has every event up to its last");
                for (index, event) in events.iter().enumerate() {
                    assert_eq!(event.seq, index as u64 + 1, "round {round}: {auction} is gap-free");
                    assert_eq!(event.payload, payload(auction, event.seq), "round {round}: {auction} event intact");
                    assert!(event.epoch <= round, "round {round}: {auction} event has a plausible epoch");
                }
                let before = previous.get(auction).copied().unwrap_or(0);
                assert!(*acked_seq > before, "round {round}: {auction} continued its log");
                let ownership = store.ownership(auction).await.expect("ownership").expect("claimed");
                assert_eq!(ownership.owner, Some(OwnerId::new("crash-node", round)));
                assert_eq!(ownership.epoch, round, "each round's force-claim bumped the epoch");
            }
            // The store is dropped here: the file is closed before the next child opens it.
        });
        previous = acked;
    }
}
