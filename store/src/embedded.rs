//! [`EmbeddedStore`]: the store in one redb file (or in memory), for a single machine and for tests.
//!
//! Writes go through the group-commit writer thread ([`writer`]): every write request queued while the previous
//! commit was running is applied in one transaction and made durable with one fsync, so 64 concurrent appenders
//! cost about one fsync per round instead of 64. Reads open their own redb read transaction (MVCC snapshot) on
//! the caller's side and never wait for the writer. A write is acknowledged only after its commit returned, so a
//! crash (even SIGKILL or power loss, given an honest fsync) never loses an acknowledged write, and a reader
//! that starts after an acknowledgement sees the write.
//!
//! Opening a file that a crashed process left behind runs redb's recovery, which restores the last committed
//! state.
//!
//! A write whose future is dropped after it was queued is still applied (like a remote write that timed out).
//! Dropping the last handle closes the queue and waits for the writer to finish the batch in progress.

mod schema;
#[cfg(test)]
mod tests;
mod writer;

use crate::error::{AppendError, ClaimError, LeaseError, PutError, StoreError};
use crate::limits;
use crate::metrics::{self, Outcome};
use crate::ports::{EventLog, RecordStore};
use crate::types::{Claim, Epoch, Expect, NodeLease, OwnerId, Ownership, Record, Seq, StoredEvent};
use async_trait::async_trait;
use redb::{Database, ReadTransaction, ReadableDatabase, ReadableTable};
use schema::backend;
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;
use writer::Job;

/// Page cache of an embedded database, in bytes.
const CACHE_BYTES: usize = 256 * 1024 * 1024;

/// Metric label of the file backend.
const BACKEND_FILE: &str = "embedded_file";
/// Metric label of the in-memory backend.
const BACKEND_MEMORY: &str = "embedded_memory";

/// The embedded store: a redb database with a group-commit writer thread.
///
/// Cheap to clone (all clones share the database and the writer). The database file is closed, and the writer
/// thread joined, when the last clone is dropped.
#[derive(Clone)]
pub struct EmbeddedStore {
    inner: Arc<Inner>,
}

struct Inner {
    db: Arc<Database>,
    /// Queue of the writer thread. `Option` only so that `Drop` can close it before joining the thread.
    jobs: Option<mpsc::Sender<Job>>,
    /// The writer thread, joined on drop so that the file is closed when the store is gone.
    writer: Option<std::thread::JoinHandle<()>>,
    /// Commit counters of the writer thread.
    stats: Arc<writer::WriterStats>,
    backend: &'static str,
    location: String,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the queue makes the writer finish what is queued and exit.
        self.jobs.take();
        if let Some(handle) = self.writer.take()
            && handle.join().is_err()
        {
            tracing::error!(location = %self.location, "store writer thread panicked");
        }
        tracing::debug!(
            location = %self.location,
            commits = self.stats.commits.load(std::sync::atomic::Ordering::Relaxed),
            requests = self.stats.requests.load(std::sync::atomic::Ordering::Relaxed),
            "embedded store closed"
        );
    }
}

impl fmt::Debug for EmbeddedStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmbeddedStore")
            .field("backend", &self.inner.backend)
            .field("location", &self.inner.location)
            .finish()
    }
}

impl EmbeddedStore {
    /// Open (or create) the database file at `path`. Its directory must exist. Only one process may have the
    /// file open.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        let db = redb::Builder::new()
            .set_cache_size(CACHE_BYTES)
            .create(path)
            .map_err(|error| match backend(error) {
                StoreError::Io(message) => {
                    StoreError::Io(format!("open {}: {message}", path.display()))
                }
                StoreError::Backend(message) => {
                    StoreError::Backend(format!("open {}: {message}", path.display()))
                }
                other => other,
            })?;
        Self::start(db, BACKEND_FILE, path.display().to_string())
    }

    /// A fresh database in memory (redb's in-memory backend), with exactly the semantics of the file backend
    /// except durability. For tests.
    pub fn in_memory() -> Result<Self, StoreError> {
        let db = redb::Builder::new()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .map_err(|error| {
                StoreError::Backend(format!("create in-memory database: redb: {error}"))
            })?;
        Self::start(db, BACKEND_MEMORY, ":memory:".to_owned())
    }

    fn start(
        db: Database,
        backend_label: &'static str,
        location: String,
    ) -> Result<Self, StoreError> {
        init_schema(&db)?;
        let db = Arc::new(db);
        let stats = Arc::new(writer::WriterStats::default());
        let (jobs, writer) = writer::spawn(Arc::clone(&db), Arc::clone(&stats))?;
        Ok(Self {
            inner: Arc::new(Inner {
                db,
                jobs: Some(jobs),
                writer: Some(writer),
                stats,
                backend: backend_label,
                location,
            }),
        })
    }

    /// Submit a write to the writer thread and wait for its durable outcome.
    async fn write<T, E, F>(&self, weight: usize, apply: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: for<'a, 'txn> FnOnce(
                &'a mut writer::WriteTables<'txn>,
            ) -> Result<Result<T, E>, StoreError>
            + Send
            + 'static,
    {
        let (job, reply) = Job::new(weight, apply);
        let stopped =
            || StoreError::Unavailable("the embedded store's writer has stopped".to_owned());
        let Some(jobs) = &self.inner.jobs else {
            return Err(E::from(stopped()));
        };
        jobs.send(job).await.map_err(|_| E::from(stopped()))?;
        // The writer answers every job it took; a dropped reply means it died mid-batch.
        reply.await.map_err(|_| E::from(stopped()))?
    }

    fn begin_read(&self) -> Result<ReadTransaction, StoreError> {
        self.inner.db.begin_read().map_err(backend)
    }

    /// Run a read that may take a while (many rows) on the blocking pool.
    async fn read_blocking<T, F>(&self, read: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(ReadTransaction) -> Result<T, StoreError> + Send + 'static,
    {
        let txn = self.begin_read()?;
        tokio::task::spawn_blocking(move || read(txn))
            .await
            .map_err(|error| StoreError::Backend(format!("read task failed: {error}")))?
    }

    fn observe<R: Outcome>(&self, op: &'static str, result: R) -> R {
        metrics::record_request(self.inner.backend, op, &result);
        result
    }
}

/// Create the tables (so read transactions always find them) and check the schema version.
fn init_schema(db: &Database) -> Result<(), StoreError> {
    let txn = db.begin_write().map_err(backend)?;
    {
        txn.open_table(schema::EVENTS).map_err(backend)?;
        txn.open_table(schema::OWNERSHIP).map_err(backend)?;
        txn.open_table(schema::LEASES).map_err(backend)?;
        txn.open_table(schema::RECORDS).map_err(backend)?;
        let mut meta = txn.open_table(schema::META).map_err(backend)?;
        let stored = meta
            .get(schema::SCHEMA_VERSION_KEY)
            .map_err(backend)?
            .map(|guard| guard.value());
        match stored {
            Some(version) if version == schema::SCHEMA_VERSION => {}
            Some(version) => {
                return Err(StoreError::Backend(format!(
                    "database schema version {version} is not supported (this build reads version {})",
                    schema::SCHEMA_VERSION
                )));
            }
            None => {
                meta.insert(schema::SCHEMA_VERSION_KEY, schema::SCHEMA_VERSION)
                    .map_err(backend)?;
            }
        }
    }
    txn.commit().map_err(backend)
}

/// Bytes a write adds to a group commit, for the batch budget.
fn weight(bytes: usize) -> usize {
    bytes.saturating_add(128)
}

#[async_trait]
impl EventLog for EmbeddedStore {
    async fn append(
        &self,
        auction: &str,
        owner: &OwnerId,
        epoch: Epoch,
        first_seq: Seq,
        payloads: Vec<Vec<u8>>,
    ) -> Result<(), AppendError> {
        let started = Instant::now();
        let result = async {
            limits::append(auction, owner, epoch, first_seq, &payloads)?;
            let bytes = payloads.iter().map(Vec::len).sum();
            let auction = auction.to_owned();
            let owner = owner.clone();
            self.write(weight(bytes), move |tables| {
                writer::apply_append(tables, &auction, &owner, epoch, first_seq, &payloads)
            })
            .await
        }
        .await;
        metrics::record_append_latency(self.inner.backend, started.elapsed());
        self.observe("append", result)
    }

    async fn read(
        &self,
        auction: &str,
        from_seq: Seq,
        max: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let result = match limits::read(auction, from_seq, max) {
            Ok(()) => {
                let auction = auction.to_owned();
                self.read_blocking(move |txn| {
                    let events = txn.open_table(schema::EVENTS).map_err(backend)?;
                    schema::read_events(&events, &auction, from_seq, max)
                })
                .await
            }
            Err(error) => Err(error),
        };
        self.observe("read", result)
    }

    async fn last_seq(&self, auction: &str) -> Result<Seq, StoreError> {
        let result = limits::auction_id(auction).and_then(|()| {
            let txn = self.begin_read()?;
            let events = txn.open_table(schema::EVENTS).map_err(backend)?;
            schema::last_seq(&events, auction)
        });
        self.observe("last_seq", result)
    }

    async fn claim(
        &self,
        auction: &str,
        claimant: &OwnerId,
        now_ms: i64,
        force: bool,
    ) -> Result<Claim, ClaimError> {
        let result = async {
            limits::auction_id(auction)?;
            limits::owner(claimant)?;
            let auction = auction.to_owned();
            let claimant = claimant.clone();
            self.write(weight(0), move |tables| {
                writer::apply_claim(tables, &auction, &claimant, now_ms, force)
            })
            .await
        }
        .await;
        self.observe("claim", result)
    }

    async fn release(
        &self,
        auction: &str,
        owner: &OwnerId,
        epoch: Epoch,
        now_ms: i64,
    ) -> Result<(), AppendError> {
        let result = async {
            limits::auction_id(auction)?;
            limits::owner(owner)?;
            limits::epoch(epoch)?;
            let auction = auction.to_owned();
            let owner = owner.clone();
            self.write(weight(0), move |tables| {
                writer::apply_release(tables, &auction, &owner, epoch, now_ms)
            })
            .await
        }
        .await;
        self.observe("release", result)
    }

    async fn retire(
        &self,
        auction: &str,
        owner: &OwnerId,
        epoch: Epoch,
    ) -> Result<(), AppendError> {
        let result = async {
            limits::auction_id(auction)?;
            limits::owner(owner)?;
            limits::epoch(epoch)?;
            let auction = auction.to_owned();
            let owner = owner.clone();
            self.write(weight(0), move |tables| {
                writer::apply_retire(tables, &auction, &owner, epoch)
            })
            .await
        }
        .await;
        self.observe("retire", result)
    }

    async fn ownership(&self, auction: &str) -> Result<Option<Ownership>, StoreError> {
        let result = limits::auction_id(auction).and_then(|()| {
            let txn = self.begin_read()?;
            let table = txn.open_table(schema::OWNERSHIP).map_err(backend)?;
            schema::load_ownership(&table, auction)
        });
        self.observe("ownership", result)
    }

    async fn active_auctions(&self) -> Result<Vec<(String, Ownership)>, StoreError> {
        let result = self
            .read_blocking(|txn| {
                let table = txn.open_table(schema::OWNERSHIP).map_err(backend)?;
                schema::all_active(&table)
            })
            .await;
        self.observe("active_auctions", result)
    }

    async fn renew_lease(&self, lease: NodeLease) -> Result<(), LeaseError> {
        let result = async {
            limits::lease(&lease)?;
            self.write(weight(0), move |tables| {
                writer::apply_renew_lease(tables, &lease)
            })
            .await
        }
        .await;
        self.observe("renew_lease", result)
    }

    async fn leases(&self) -> Result<Vec<NodeLease>, StoreError> {
        let result = self
            .read_blocking(|txn| {
                let table = txn.open_table(schema::LEASES).map_err(backend)?;
                schema::all_leases(&table)
            })
            .await;
        self.observe("leases", result)
    }
}

#[async_trait]
impl RecordStore for EmbeddedStore {
    async fn get(&self, table: &str, key: &str) -> Result<Option<Record>, StoreError> {
        let result = limits::record_key(table, key).and_then(|()| {
            let txn = self.begin_read()?;
            let records = txn.open_table(schema::RECORDS).map_err(backend)?;
            schema::load_record(&records, table, key)
        });
        self.observe("get", result)
    }

    async fn put(
        &self,
        table: &str,
        key: &str,
        value: Vec<u8>,
        expect: Expect,
    ) -> Result<u64, PutError> {
        let result = async {
            limits::record_key(table, key)?;
            limits::value(&value)?;
            limits::expect(expect)?;
            let table = table.to_owned();
            let key = key.to_owned();
            self.write(weight(value.len()), move |tables| {
                writer::apply_put(tables, &table, &key, &value, expect)
            })
            .await
        }
        .await;
        self.observe("put", result)
    }

    async fn delete(&self, table: &str, key: &str, expect: Expect) -> Result<(), PutError> {
        let result = async {
            limits::record_key(table, key)?;
            limits::expect(expect)?;
            let table = table.to_owned();
            let key = key.to_owned();
            self.write(weight(0), move |tables| {
                writer::apply_delete(tables, &table, &key, expect)
            })
            .await
        }
        .await;
        self.observe("delete", result)
    }

    async fn scan(
        &self,
        table: &str,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Record)>, StoreError> {
        let result = match limits::scan(table, prefix, start_after, limit) {
            Ok(()) => {
                let table = table.to_owned();
                let prefix = prefix.to_owned();
                let start_after = start_after.map(str::to_owned);
                self.read_blocking(move |txn| {
                    let records = txn.open_table(schema::RECORDS).map_err(backend)?;
                    schema::scan_records(&records, &table, &prefix, start_after.as_deref(), limit)
                })
                .await
            }
            Err(error) => Err(error),
        };
        self.observe("scan", result)
    }
}
