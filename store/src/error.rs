//! Error types of the store ports.
//!
//! [`StoreError`] is the infrastructure failure every operation can return. The other enums add the *refusals*
//! of one operation (a stale owner, a taken slot, a version mismatch...). Refusals are normal outcomes that the
//! caller handles; a [`StoreError`] means the operation could not be carried out. All of them are serde types so
//! that the remote backend returns exactly the error the server-side store produced.

use crate::types::{Epoch, OwnerId, Seq};
use serde::{Deserialize, Serialize};

/// The operation could not be carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum StoreError {
    /// The request itself is invalid (empty id, value too large, seq 0...); retrying it cannot help.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The store could not be reached or did not answer in time. For a write this means **outcome unknown**:
    /// the write may or may not have been applied, and may still be applied later. Find out by reading (for an
    /// append: `last_seq`/`read`), never by assuming either way.
    #[error("store unavailable (outcome unknown): {0}")]
    Unavailable(String),
    /// The operating system refused an I/O operation (missing or read-only directory, disk full, failing
    /// disk...). The request was not applied.
    #[error("store i/o error: {0}")]
    Io(String),
    /// The storage engine failed otherwise (corrupt data, file locked by another process, unsupported
    /// schema, bug). The request was not applied.
    #[error("store backend failure: {0}")]
    Backend(String),
}

impl StoreError {
    /// Whether a write that failed with this error may nevertheless have been applied.
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

/// Refusal or failure of [`append`](crate::EventLog::append), [`release`](crate::EventLog::release) and
/// [`retire`](crate::EventLog::retire).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum AppendError {
    /// The caller is not the current owner at the current epoch (it was taken over, it released the auction,
    /// the auction is retired, or it was never claimed: then `current_epoch` is 0). The caller must stop
    /// writing this auction.
    #[error("fenced: the caller no longer owns the auction (current epoch {current_epoch})")]
    Fenced {
        /// The auction's current epoch (0 if it was never claimed).
        current_epoch: Epoch,
    },
    /// `first_seq` is not `last_seq + 1`: the slot is taken (or the append would leave a gap).
    #[error("sequence conflict: the log's last seq is {last_seq}")]
    SeqConflict {
        /// The log's current last seq.
        last_seq: Seq,
    },
    /// The store failed; see [`StoreError`] (an `Unavailable` append has an unknown outcome).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Refusal or failure of [`claim`](crate::EventLog::claim).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ClaimError {
    /// Another live owner holds the auction.
    #[error("auction owned by {owner} whose lease expires at {lease_expires_at}")]
    Owned {
        /// The current owner.
        owner: OwnerId,
        /// When the owner's node lease expires (ms since the Unix epoch) unless renewed.
        lease_expires_at: i64,
    },
    /// The auction is retired and can no longer be claimed.
    #[error("auction is retired")]
    Retired,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Refusal or failure of [`renew_lease`](crate::EventLog::renew_lease).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum LeaseError {
    /// A lease of a newer incarnation of the node exists: this process is a stale incarnation and must stop.
    #[error("lease superseded by a newer incarnation of the node")]
    Superseded,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Refusal or failure of a conditional record write ([`put`](crate::RecordStore::put),
/// [`delete`](crate::RecordStore::delete)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum PutError {
    /// The condition did not hold.
    #[error("conflict: the record's current version is {}", match current { Some(v) => v.to_string(), None => "absent".to_owned() })]
    Conflict {
        /// The record's current version, `None` if there is no record.
        current: Option<u64>,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}
