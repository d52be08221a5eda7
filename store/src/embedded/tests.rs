//! Tests of the embedded backend's own machinery: group commit, batch isolation, batch abort, reopening.
//!
//! Batches are made deterministic by parking the writer thread inside a job (a "gate") until the requests under
//! test are all queued behind it.

use super::*;
use crate::types::OwnerId;
use std::sync::atomic::Ordering;
use std::time::Duration;

fn owner() -> OwnerId {
    OwnerId::new("node-a", 1)
}

/// Jobs queued and not yet taken by the writer.
fn queued(store: &EmbeddedStore) -> usize {
    let jobs = store.inner.jobs.as_ref().expect("writer queue");
    jobs.max_capacity() - jobs.capacity()
}

/// Park the writer inside a job until the returned sender is used (or dropped).
async fn park_writer(
    store: &EmbeddedStore,
) -> (std::sync::mpsc::Sender<()>, tokio::task::JoinHandle<()>) {
    let (open_gate, gate) = std::sync::mpsc::channel::<()>();
    let (parked_tx, parked) = tokio::sync::oneshot::channel::<()>();
    let gated = store.clone();
    let job = tokio::spawn(async move {
        gated
            .write::<(), StoreError, _>(0, move |_tables| {
                let _ = parked_tx.send(());
                let _ = gate.recv();
                Ok(Ok(()))
            })
            .await
            .expect("gate job");
    });
    parked.await.expect("the writer reached the gate");
    (open_gate, job)
}

/// Poll (with a deadline) until `count` jobs wait in the queue.
async fn wait_until_queued(store: &EmbeddedStore, count: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while queued(store) < count {
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of {count} jobs were queued",
            queued(store)
        );
        tokio::task::yield_now().await;
    }
}

fn commits(store: &EmbeddedStore) -> (u64, u64) {
    (
        store.inner.stats.commits.load(Ordering::Relaxed),
        store.inner.stats.requests.load(Ordering::Relaxed),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_writes_share_one_commit() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = EmbeddedStore::open(dir.path().join("db.redb")).expect("open");
    const AUCTIONS: usize = 50;
    for index in 0..AUCTIONS {
        store
            .claim(&format!("auction-{index}"), &owner(), 0, false)
            .await
            .expect("claim");
    }
    let before = commits(&store);
    let (open_gate, gate_job) = park_writer(&store).await;
    let appends: Vec<_> = (0..AUCTIONS)
        .map(|index| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .append(
                        &format!("auction-{index}"),
                        &owner(),
                        1,
                        1,
                        vec![b"bid".to_vec()],
                    )
                    .await
            })
        })
        .collect();
    wait_until_queued(&store, AUCTIONS).await;
    open_gate.send(()).expect("open the gate");
    for append in appends {
        append.await.expect("append task").expect("append");
    }
    gate_job.await.expect("gate job");
    let after = commits(&store);
    assert_eq!(
        after.0 - before.0,
        2,
        "one commit for the gate, ONE commit for all {AUCTIONS} appends"
    );
    assert_eq!(after.1 - before.1, 1 + AUCTIONS as u64);
    for index in 0..AUCTIONS {
        assert_eq!(store.last_seq(&format!("auction-{index}")).await, Ok(1));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_request_does_not_disturb_its_batch() {
    let store = EmbeddedStore::in_memory().expect("store");
    store
        .claim("auction-1", &owner(), 0, false)
        .await
        .expect("claim");
    let (open_gate, gate_job) = park_writer(&store).await;
    // Queued in this order behind the gate, hence applied in this order in one transaction.
    let mut tasks = Vec::new();
    let requests: [(u64, &[u8], &str); 4] = [
        (1, b"first", "auction-1"),
        (1, b"same slot", "auction-1"),
        (2, b"second", "auction-1"),
        (1, b"not owned", "auction-2"),
    ];
    for (position, (seq, body, auction)) in requests.into_iter().enumerate() {
        let appender = store.clone();
        tasks.push(tokio::spawn(async move {
            appender
                .append(auction, &owner(), 1, seq, vec![body.to_vec()])
                .await
        }));
        wait_until_queued(&store, position + 1).await;
    }
    open_gate.send(()).expect("open the gate");
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("append task"));
    }
    gate_job.await.expect("gate job");
    assert_eq!(
        results,
        vec![
            Ok(()),
            Err(AppendError::SeqConflict { last_seq: 1 }),
            Ok(()),
            Err(AppendError::Fenced { current_epoch: 0 }),
        ],
        "each request is decided on its own, seeing the requests before it in the batch"
    );
    let events = store.read("auction-1", 1, 10).await.expect("read");
    let bodies: Vec<&[u8]> = events
        .iter()
        .map(|event| event.payload.as_slice())
        .collect();
    assert_eq!(bodies, vec![b"first".as_slice(), b"second".as_slice()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storage_failure_aborts_the_whole_batch() {
    let store = EmbeddedStore::in_memory().expect("store");
    store
        .claim("auction-1", &owner(), 0, false)
        .await
        .expect("claim");
    let (open_gate, gate_job) = park_writer(&store).await;
    let append = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .append("auction-1", &owner(), 1, 1, vec![b"bid".to_vec()])
                .await
        })
    };
    wait_until_queued(&store, 1).await;
    let failing = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .write::<(), StoreError, _>(0, |_tables| {
                    Err(StoreError::Backend("injected failure".to_owned()))
                })
                .await
        })
    };
    wait_until_queued(&store, 2).await;
    open_gate.send(()).expect("open the gate");
    gate_job.await.expect("gate job");
    let injected = StoreError::Backend("injected failure".to_owned());
    assert_eq!(failing.await.expect("failing task"), Err(injected.clone()));
    assert_eq!(
        append.await.expect("append task"),
        Err(AppendError::Store(injected)),
        "the append shared the failed transaction, so it fails too"
    );
    assert_eq!(
        store.last_seq("auction-1").await,
        Ok(0),
        "and nothing of the batch was committed"
    );
    // The writer carries on with the next batch.
    store
        .append("auction-1", &owner(), 1, 1, vec![b"bid".to_vec()])
        .await
        .expect("append after the failure");
}

#[tokio::test]
async fn reopening_a_file_keeps_everything() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("db.redb");
    {
        let store = EmbeddedStore::open(&path).expect("open");
        store
            .claim("auction-1", &owner(), 0, false)
            .await
            .expect("claim");
        store
            .append(
                "auction-1",
                &owner(),
                1,
                1,
                vec![b"a".to_vec(), b"b".to_vec()],
            )
            .await
            .expect("append");
        store
            .put(
                "users",
                "u1",
                b"alice".to_vec(),
                crate::types::Expect::Absent,
            )
            .await
            .expect("put");
        let second = EmbeddedStore::open(&path);
        match second {
            Err(StoreError::Backend(message)) => assert!(message.contains("db.redb"), "{message}"),
            other => panic!("a second open of the same file must fail clearly, got {other:?}"),
        }
    }
    // Dropping the last handle closed the file: it can be opened again at once.
    let store = EmbeddedStore::open(&path).expect("reopen");
    assert_eq!(store.last_seq("auction-1").await, Ok(2));
    assert_eq!(
        store
            .get("users", "u1")
            .await
            .expect("get")
            .expect("record")
            .version,
        1
    );
    let ownership = store
        .ownership("auction-1")
        .await
        .expect("ownership")
        .expect("claimed");
    assert_eq!((ownership.owner, ownership.epoch), (Some(owner()), 1));
}

#[tokio::test]
async fn a_missing_directory_is_an_io_error() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("missing").join("db.redb");
    match EmbeddedStore::open(&path) {
        Err(StoreError::Io(message)) => assert!(message.contains("missing"), "{message}"),
        other => panic!("expected an i/o error naming the path, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unknown_schema_version_is_refused() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("db.redb");
    drop(EmbeddedStore::open(&path).expect("create"));
    {
        let db = redb::Database::open(&path).expect("raw open");
        let txn = db.begin_write().expect("write");
        {
            let mut meta = txn.open_table(schema::META).expect("meta");
            meta.insert(schema::SCHEMA_VERSION_KEY, 99).expect("insert");
        }
        txn.commit().expect("commit");
    }
    match EmbeddedStore::open(&path) {
        Err(StoreError::Backend(message)) => {
            assert!(message.contains("schema version 99"), "{message}")
        }
        other => panic!("expected a schema version error, got {other:?}"),
    }
}
