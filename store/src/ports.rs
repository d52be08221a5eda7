//! The ports: what the rest of the system may ask of a store.
//!
//! [`EventLog`] holds every auction's event log and decides who owns an auction (claims, epochs, node leases):
//! ownership is fenced *by the log itself*, so a frozen or partitioned owner that wakes up, or a write that timed
//! out and is applied late, can never land after a takeover. [`RecordStore`] holds small versioned records with
//! compare-and-set (users, leagues, invites...). [`Store`] is both, used as `Arc<dyn Store>`.
//!
//! Every backend ([`EmbeddedStore`](crate::EmbeddedStore), [`RemoteStore`](crate::RemoteStore), later Scylla)
//! implements exactly these semantics, which `store::conformance` checks.

use crate::error::{AppendError, ClaimError, LeaseError, PutError, StoreError};
use crate::types::{Claim, Epoch, Expect, NodeLease, OwnerId, Ownership, Record, Seq, StoredEvent};
use async_trait::async_trait;

/// Per-auction event logs with fenced single ownership.
#[async_trait]
pub trait EventLog: Send + Sync {
    /// Atomically append `payloads` at seqs `first_seq..` iff the auction's current epoch == `epoch`, the caller
    /// is its owner (same node and incarnation, not released, not retired), and `first_seq` == last_seq + 1.
    /// Durable (fsynced) before `Ok`. All or nothing.
    ///
    /// Fencing is checked before the sequence: a stale owner gets [`AppendError::Fenced`], an owner racing
    /// itself gets [`AppendError::SeqConflict`].
    ///
    /// **`Err(AppendError::Store(StoreError::Unavailable(_)))` means OUTCOME UNKNOWN**: the events may or may not
    /// have been appended (the request may even still be applied later, though never after a takeover, thanks
    /// to the epoch). Read the log (`last_seq`, `read`) to find out before deciding anything.
    async fn append(
        &self,
        auction: &str,
        owner: &OwnerId,
        epoch: Epoch,
        first_seq: Seq,
        payloads: Vec<Vec<u8>>,
    ) -> Result<(), AppendError>;

    /// Up to `max` events with seq ≥ `from_seq`, in seq order. Fewer than `max` means the end of the log was
    /// reached. `from_seq` ≥ 1 and `max` ≥ 1.
    async fn read(
        &self,
        auction: &str,
        from_seq: Seq,
        max: usize,
    ) -> Result<Vec<StoredEvent>, StoreError>;

    /// Seq of the auction's last event; 0 when the log is empty or unknown.
    async fn last_seq(&self, auction: &str) -> Result<Seq, StoreError>;

    /// Take ownership. Succeeds when: no owner; or the owner is `claimant` (same node AND incarnation: returns
    /// the SAME epoch, no bump); or the owner released it; or the owner's node lease is missing, expired
    /// (`expires_at <= now_ms`) or belongs to another incarnation; or `force`. Every success other than the
    /// idempotent re-claim bumps the epoch (fencing the previous owner) and reports it in
    /// [`Claim::previous`].
    /// Otherwise `Err(ClaimError::Owned { owner, lease_expires_at })`. A retired auction can't be claimed
    /// (`Err(ClaimError::Retired)`, even with `force`).
    ///
    /// `now_ms` is the claimant's clock; the store keeps none. A node must have renewed its own lease (for its
    /// current incarnation) before claiming: an owner without a live lease can be taken over at once.
    async fn claim(
        &self,
        auction: &str,
        claimant: &OwnerId,
        now_ms: i64,
        force: bool,
    ) -> Result<Claim, ClaimError>;

    /// Give ownership up (drain/passivation): records `released_at = now_ms`; epoch unchanged; only the current
    /// owner with the current epoch may release (else Fenced). Releasing again is a no-op. After a release the
    /// owner can no longer append or retire; the next claim (by anyone, including the same owner) bumps the epoch.
    async fn release(
        &self,
        auction: &str,
        owner: &OwnerId,
        epoch: Epoch,
        now_ms: i64,
    ) -> Result<(), AppendError>;

    /// Mark an ended auction retired (no more claims or appends; stays readable). Owner + epoch checked (a
    /// released owner is fenced). Retiring again is a no-op.
    async fn retire(&self, auction: &str, owner: &OwnerId, epoch: Epoch)
    -> Result<(), AppendError>;

    /// The auction's ownership record; `None` if it was never claimed.
    async fn ownership(&self, auction: &str) -> Result<Option<Ownership>, StoreError>;

    /// Every auction that has been claimed and is not retired (for takeover scans), in auction id order.
    /// Released auctions are included.
    async fn active_auctions(&self) -> Result<Vec<(String, Ownership)>, StoreError>;

    /// Upsert a node lease; refused (`LeaseError::Superseded`) if a lease with a higher incarnation exists.
    /// For the same incarnation, a renewal older than the stored one (smaller `renewed_at`, e.g. a delayed
    /// retry) is ignored, so leases never move backwards. `expires_at` must be ≥ `renewed_at`.
    async fn renew_lease(&self, lease: NodeLease) -> Result<(), LeaseError>;

    /// Every stored node lease (expired ones included), in node name order.
    async fn leases(&self) -> Result<Vec<NodeLease>, StoreError>;
}

/// Small versioned records with compare-and-set, grouped in free-form tables.
///
/// Table names are 1..=128 bytes, keys 1..=512 bytes, values at most 1 MiB
/// (see [`limits`](crate::limits)).
#[async_trait]
pub trait RecordStore: Send + Sync {
    /// The record at `table`/`key`, if any.
    async fn get(&self, table: &str, key: &str) -> Result<Option<Record>, StoreError>;

    /// Conditional write; returns the new version (1 for a new record). `Err(PutError::Conflict { current })`
    /// when `expect` does not hold. `Expect::Version(0)` is invalid (versions start at 1).
    async fn put(
        &self,
        table: &str,
        key: &str,
        value: Vec<u8>,
        expect: Expect,
    ) -> Result<u64, PutError>;

    /// Conditional delete. Deleting an absent key succeeds with `Expect::Any` and `Expect::Absent` (nothing to
    /// do) and conflicts with `Expect::Version(_)`.
    async fn delete(&self, table: &str, key: &str, expect: Expect) -> Result<(), PutError>;

    /// Keys in lexicographic (byte) order starting with `prefix`, after `start_after` (exclusive), up to `limit`
    /// (≥ 1). Fewer than `limit` means there are no more. Pages are not a snapshot: records written between two
    /// pages may or may not appear.
    async fn scan(
        &self,
        table: &str,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Record)>, StoreError>;
}

/// A complete store, as the rest of the system uses it: `Arc<dyn Store>`.
pub trait Store: EventLog + RecordStore + std::fmt::Debug {}

impl<T> Store for T where T: EventLog + RecordStore + std::fmt::Debug + ?Sized {}
