//! The group-commit writer: the only code that writes the embedded database.
//!
//! One OS thread owns the write path. Callers send it [`Job`]s over a bounded channel (backpressure) and await a
//! oneshot reply. The thread blocks for the first job, drains everything else already queued (up to
//! [`MAX_BATCH_JOBS`] jobs or [`MAX_BATCH_WEIGHT`] bytes), applies all of them in ONE write transaction —
//! each job checks its own conditions against the state left by the jobs before it, and a refused job changes
//! nothing and does not disturb the others — commits once with `Durability::Immediate` (one fsync for the whole
//! batch), and only then answers every job. Nothing is acknowledged before the commit returned.
//!
//! If the storage engine fails while applying a batch, the transaction is aborted and every job of the batch
//! gets the error (their refusals may have depended on jobs that are now rolled back). If the commit itself
//! fails, every job gets `Unavailable` (outcome unknown), because a failed fsync says nothing reliable about
//! what reached the disk.
//!
//! The `apply_*` functions are the write-side semantics of the ports (fencing, claims, leases, CAS). They
//! return `Ok(refusal or success)` for a decision and `Err(StoreError)` only for a storage failure that must
//! abort the batch.

use super::schema::{
    self, EVENTS, EventKey, EventValue, LEASES, OWNERSHIP, RECORDS, RecordKey, RecordValue, backend,
};
use crate::error::{AppendError, ClaimError, LeaseError, PutError, StoreError};
use crate::metrics;
use crate::types::{Claim, Epoch, Expect, NodeLease, OwnerId, Ownership, PreviousOwner, Seq};
use redb::{Database, Durability, Table, WriteTransaction};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{mpsc, oneshot};

/// Most jobs applied by one transaction.
pub(crate) const MAX_BATCH_JOBS: usize = 4096;
/// Most payload bytes applied by one transaction (a batch always takes at least one job).
pub(crate) const MAX_BATCH_WEIGHT: usize = 64 * 1024 * 1024;
/// Capacity of the job channel; senders wait when it is full.
pub(crate) const QUEUE_CAPACITY: usize = 16 * 1024;

/// Counters of the writer thread (for tests and diagnostics).
#[derive(Debug, Default)]
pub(crate) struct WriterStats {
    /// Successful commits (each one fsync).
    pub(crate) commits: AtomicU64,
    /// Requests made durable by those commits.
    pub(crate) requests: AtomicU64,
}

/// The tables of one write transaction, opened once per batch.
pub(crate) struct WriteTables<'txn> {
    pub(crate) events: Table<'txn, EventKey, EventValue>,
    pub(crate) ownership: Table<'txn, &'static str, &'static [u8]>,
    pub(crate) leases: Table<'txn, &'static str, &'static [u8]>,
    pub(crate) records: Table<'txn, RecordKey, RecordValue>,
}

impl<'txn> WriteTables<'txn> {
    fn open(txn: &'txn WriteTransaction) -> Result<Self, StoreError> {
        Ok(Self {
            events: txn.open_table(EVENTS).map_err(backend)?,
            ownership: txn.open_table(OWNERSHIP).map_err(backend)?,
            leases: txn.open_table(LEASES).map_err(backend)?,
            records: txn.open_table(RECORDS).map_err(backend)?,
        })
    }
}

/// A reply waiting for the batch's commit.
trait PendingReply: Send {
    /// Deliver the decision if the commit succeeded, else the commit's error.
    fn complete(self: Box<Self>, commit: Result<(), &StoreError>);
}

struct Reply<T, E> {
    sender: oneshot::Sender<Result<T, E>>,
    decision: Result<T, E>,
}

impl<T: Send, E: From<StoreError> + Send> PendingReply for Reply<T, E> {
    fn complete(self: Box<Self>, commit: Result<(), &StoreError>) {
        let result = match commit {
            Ok(()) => self.decision,
            Err(error) => Err(E::from(error.clone())),
        };
        // The caller may have gone away (cancelled future); its result is simply dropped.
        let _ = self.sender.send(result);
    }
}

/// What applying one job produced.
struct Applied {
    reply: Box<dyn PendingReply>,
    /// A storage failure: the whole batch must be aborted.
    fatal: Option<StoreError>,
}

type ApplyFn = Box<
    dyn for<'a, 'txn> FnOnce(Result<&'a mut WriteTables<'txn>, &'a StoreError>) -> Applied + Send,
>;

/// One write request for the writer thread.
pub(crate) struct Job {
    /// Bytes it will write (for the batch budget).
    weight: usize,
    /// Applies the request to the batch's tables, or, when no transaction could be opened, fails it.
    apply: ApplyFn,
}

impl Job {
    /// A job applying `apply` and answering on the returned receiver.
    pub(crate) fn new<T, E, F>(weight: usize, apply: F) -> (Self, oneshot::Receiver<Result<T, E>>)
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: for<'a, 'txn> FnOnce(&'a mut WriteTables<'txn>) -> Result<Result<T, E>, StoreError>
            + Send
            + 'static,
    {
        let (sender, receiver) = oneshot::channel();
        let job = Job {
            weight,
            apply: Box::new(move |tables| {
                let (decision, fatal) = match tables {
                    Ok(tables) => match apply(tables) {
                        Ok(decision) => (decision, None),
                        Err(error) => (Err(E::from(error.clone())), Some(error)),
                    },
                    Err(error) => (Err(E::from(error.clone())), Some(error.clone())),
                };
                Applied {
                    reply: Box::new(Reply { sender, decision }),
                    fatal,
                }
            }),
        };
        (job, receiver)
    }
}

/// Start the writer thread; it stops when every sender is dropped and the queue is drained.
pub(crate) fn spawn(
    db: Arc<Database>,
    stats: Arc<WriterStats>,
) -> Result<(mpsc::Sender<Job>, std::thread::JoinHandle<()>), StoreError> {
    let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
    let handle = std::thread::Builder::new()
        .name("store-writer".to_owned())
        .spawn(move || run(&db, &stats, receiver))
        .map_err(|error| StoreError::Backend(format!("spawn the store writer thread: {error}")))?;
    Ok((sender, handle))
}

fn run(db: &Database, stats: &WriterStats, mut receiver: mpsc::Receiver<Job>) {
    while let Some(first) = receiver.blocking_recv() {
        let mut weight = first.weight;
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH_JOBS && weight < MAX_BATCH_WEIGHT {
            match receiver.try_recv() {
                Ok(job) => {
                    weight = weight.saturating_add(job.weight);
                    batch.push(job);
                }
                Err(_) => break,
            }
        }
        commit_batch(db, stats, batch);
    }
    tracing::debug!("store writer stopped");
}

fn commit_batch(db: &Database, stats: &WriterStats, batch: Vec<Job>) {
    let size = batch.len();
    metrics::record_batch_size(size);
    let txn = db.begin_write().map_err(backend).and_then(|mut txn| {
        txn.set_durability(Durability::Immediate).map_err(backend)?;
        Ok(txn)
    });
    let txn = match txn {
        Ok(txn) => txn,
        Err(error) => {
            tracing::error!(%error, "store writer could not begin a write transaction");
            fail_all(batch, &error);
            return;
        }
    };
    let mut replies = Vec::with_capacity(batch.len());
    let mut fatal: Option<StoreError> = None;
    match WriteTables::open(&txn) {
        Ok(mut tables) => {
            for job in batch {
                let applied = (job.apply)(Ok(&mut tables));
                if fatal.is_none() {
                    fatal = applied.fatal;
                }
                replies.push(applied.reply);
            }
        }
        Err(error) => {
            fail_all(batch, &error);
            fatal = Some(error);
        }
    }
    if let Some(error) = fatal {
        tracing::error!(%error, "store write batch failed; aborting it");
        if let Err(abort_error) = txn.abort() {
            tracing::error!(error = %backend(abort_error), "aborting the failed write transaction failed");
        }
        for reply in replies {
            reply.complete(Err(&error));
        }
        return;
    }
    match txn.commit() {
        Ok(()) => {
            stats.commits.fetch_add(1, Ordering::Relaxed);
            stats
                .requests
                .fetch_add(u64::try_from(size).unwrap_or(u64::MAX), Ordering::Relaxed);
            for reply in replies {
                reply.complete(Ok(()));
            }
        }
        Err(commit_error) => {
            let error = StoreError::Unavailable(format!(
                "commit failed, outcome unknown: redb: {commit_error}"
            ));
            tracing::error!(%error, "store commit failed");
            for reply in replies {
                reply.complete(Err(&error));
            }
        }
    }
}

fn fail_all(batch: Vec<Job>, error: &StoreError) {
    for job in batch {
        let applied = (job.apply)(Err(error));
        applied.reply.complete(Err(error));
    }
}

fn store_ownership(
    tables: &mut WriteTables<'_>,
    auction: &str,
    ownership: &Ownership,
) -> Result<(), StoreError> {
    let bytes = schema::encode("ownership", ownership)?;
    tables
        .ownership
        .insert(auction, bytes.as_slice())
        .map_err(backend)?;
    Ok(())
}

/// Whether `ownership` lets `owner` write at `epoch`.
fn is_writer(ownership: &Ownership, owner: &OwnerId, epoch: Epoch) -> bool {
    !ownership.retired
        && ownership.released_at.is_none()
        && ownership.epoch == epoch
        && ownership.owner.as_ref() == Some(owner)
}

pub(crate) fn apply_append(
    tables: &mut WriteTables<'_>,
    auction: &str,
    owner: &OwnerId,
    epoch: Epoch,
    first_seq: Seq,
    payloads: &[Vec<u8>],
) -> Result<Result<(), AppendError>, StoreError> {
    let ownership = schema::load_ownership(&tables.ownership, auction)?;
    match &ownership {
        Some(current) if is_writer(current, owner, epoch) => {}
        _ => {
            return Ok(Err(AppendError::Fenced {
                current_epoch: ownership.map_or(0, |current| current.epoch),
            }));
        }
    }
    let last_seq = schema::last_seq(&tables.events, auction)?;
    if Some(first_seq) != last_seq.checked_add(1) {
        return Ok(Err(AppendError::SeqConflict { last_seq }));
    }
    let mut seq = first_seq;
    for payload in payloads {
        tables
            .events
            .insert((auction, seq), (epoch, payload.as_slice()))
            .map_err(backend)?;
        seq = seq.saturating_add(1);
    }
    Ok(Ok(()))
}

pub(crate) fn apply_claim(
    tables: &mut WriteTables<'_>,
    auction: &str,
    claimant: &OwnerId,
    now_ms: i64,
    force: bool,
) -> Result<Result<Claim, ClaimError>, StoreError> {
    let current = schema::load_ownership(&tables.ownership, auction)?;
    let (epoch, previous) = match current {
        None => (1, None),
        Some(current) if current.retired => return Ok(Err(ClaimError::Retired)),
        Some(current) => {
            let Some(next_epoch) = current.epoch.checked_add(1) else {
                return Ok(Err(ClaimError::Store(StoreError::Backend(format!(
                    "auction {auction:?} has exhausted its epochs"
                )))));
            };
            match current.owner {
                None => (next_epoch, None),
                Some(owner) if owner == *claimant && current.released_at.is_none() => {
                    // Idempotent re-claim by the live owner: same epoch, nothing changes.
                    return Ok(Ok(Claim {
                        epoch: current.epoch,
                        previous: None,
                    }));
                }
                Some(owner) => {
                    if let Some(released_at) = current.released_at {
                        let previous = PreviousOwner {
                            owner,
                            epoch: current.epoch,
                            alive_until: Some(released_at),
                            released: true,
                        };
                        (next_epoch, Some(previous))
                    } else {
                        // The owner is alive while its node holds an unexpired lease of the same incarnation.
                        let lease = schema::load_lease(&tables.leases, &owner.node)?
                            .filter(|lease| lease.incarnation == owner.incarnation);
                        if let Some(lease) = &lease
                            && lease.expires_at > now_ms
                            && !force
                        {
                            return Ok(Err(ClaimError::Owned {
                                owner,
                                lease_expires_at: lease.expires_at,
                            }));
                        }
                        let previous = PreviousOwner {
                            owner,
                            epoch: current.epoch,
                            alive_until: lease.map(|lease| lease.renewed_at),
                            released: false,
                        };
                        (next_epoch, Some(previous))
                    }
                }
            }
        }
    };
    let ownership = Ownership {
        owner: Some(claimant.clone()),
        epoch,
        released_at: None,
        retired: false,
    };
    store_ownership(tables, auction, &ownership)?;
    Ok(Ok(Claim { epoch, previous }))
}

pub(crate) fn apply_release(
    tables: &mut WriteTables<'_>,
    auction: &str,
    owner: &OwnerId,
    epoch: Epoch,
    now_ms: i64,
) -> Result<Result<(), AppendError>, StoreError> {
    let Some(mut ownership) = schema::load_ownership(&tables.ownership, auction)? else {
        return Ok(Err(AppendError::Fenced { current_epoch: 0 }));
    };
    if ownership.epoch != epoch || ownership.owner.as_ref() != Some(owner) {
        return Ok(Err(AppendError::Fenced {
            current_epoch: ownership.epoch,
        }));
    }
    if ownership.released_at.is_none() {
        ownership.released_at = Some(now_ms);
        store_ownership(tables, auction, &ownership)?;
    }
    Ok(Ok(()))
}

pub(crate) fn apply_retire(
    tables: &mut WriteTables<'_>,
    auction: &str,
    owner: &OwnerId,
    epoch: Epoch,
) -> Result<Result<(), AppendError>, StoreError> {
    let Some(mut ownership) = schema::load_ownership(&tables.ownership, auction)? else {
        return Ok(Err(AppendError::Fenced { current_epoch: 0 }));
    };
    if ownership.retired && ownership.epoch == epoch && ownership.owner.as_ref() == Some(owner) {
        return Ok(Ok(()));
    }
    if !is_writer(&ownership, owner, epoch) {
        return Ok(Err(AppendError::Fenced {
            current_epoch: ownership.epoch,
        }));
    }
    ownership.retired = true;
    store_ownership(tables, auction, &ownership)?;
    Ok(Ok(()))
}

pub(crate) fn apply_renew_lease(
    tables: &mut WriteTables<'_>,
    lease: &NodeLease,
) -> Result<Result<(), LeaseError>, StoreError> {
    if let Some(existing) = schema::load_lease(&tables.leases, &lease.node)? {
        if existing.incarnation > lease.incarnation {
            return Ok(Err(LeaseError::Superseded));
        }
        if existing.incarnation == lease.incarnation && existing.renewed_at > lease.renewed_at {
            // A delayed, older renewal: keep the newer lease.
            return Ok(Ok(()));
        }
    }
    let bytes = schema::encode("lease", lease)?;
    tables
        .leases
        .insert(lease.node.as_str(), bytes.as_slice())
        .map_err(backend)?;
    Ok(Ok(()))
}

/// The record's current version if `expect` holds, else the conflict.
fn check_expect(current: Option<u64>, expect: Expect) -> Result<Option<u64>, PutError> {
    let holds = match expect {
        Expect::Any => true,
        Expect::Absent => current.is_none(),
        Expect::Version(version) => current == Some(version),
    };
    if holds {
        Ok(current)
    } else {
        Err(PutError::Conflict { current })
    }
}

pub(crate) fn apply_put(
    tables: &mut WriteTables<'_>,
    table: &str,
    key: &str,
    value: &[u8],
    expect: Expect,
) -> Result<Result<u64, PutError>, StoreError> {
    let current = schema::record_version(&tables.records, table, key)?;
    let current = match check_expect(current, expect) {
        Ok(current) => current,
        Err(conflict) => return Ok(Err(conflict)),
    };
    let version = match current {
        None => 1,
        Some(version) => match version.checked_add(1) {
            Some(next) => next,
            None => {
                return Ok(Err(PutError::Store(StoreError::Backend(format!(
                    "record {table}/{key} has exhausted its versions"
                )))));
            }
        },
    };
    tables
        .records
        .insert((table, key), (version, value))
        .map_err(backend)?;
    Ok(Ok(version))
}

pub(crate) fn apply_delete(
    tables: &mut WriteTables<'_>,
    table: &str,
    key: &str,
    expect: Expect,
) -> Result<Result<(), PutError>, StoreError> {
    let current = schema::record_version(&tables.records, table, key)?;
    match check_expect(current, expect) {
        Err(conflict) => Ok(Err(conflict)),
        Ok(None) => Ok(Ok(())),
        Ok(Some(_)) => {
            tables.records.remove((table, key)).map_err(backend)?;
            Ok(Ok(()))
        }
    }
}
