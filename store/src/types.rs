//! Plain data types shared by every backend and by the wire protocol.
//!
//! These are the nouns of the store contract: sequence numbers and epochs of an auction's log, who owns an auction
//! ([`OwnerId`], [`Ownership`]), what a takeover learns about the owner it replaced ([`Claim`], [`PreviousOwner`]),
//! the liveness lease each node keeps renewing ([`NodeLease`]), and the versioned records of the record store
//! ([`Record`], [`Expect`]). All of them are serde types because the remote backend ships them over the wire and
//! the embedded backend persists some of them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Position of an event in an auction's log. The first event has seq 1; seqs are gap-free.
pub type Seq = u64;

/// Ownership epoch of an auction: 1 on the first claim, +1 on every takeover. Every write an owner makes carries
/// its epoch, and the store refuses writes whose epoch is not the current one (fencing).
pub type Epoch = u64;

/// One running incarnation of a node: its stable name plus a number that is different (and, by convention,
/// larger) every time the node process starts. Two processes with the same `node` but different `incarnation`s
/// are different owners: a restarted node does not inherit the auctions of its previous life.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OwnerId {
    /// Stable node name, e.g. the StatefulSet pod name.
    pub node: String,
    /// Distinguishes successive runs of the same node.
    pub incarnation: u64,
}

impl OwnerId {
    /// Convenience constructor.
    pub fn new(node: impl Into<String>, incarnation: u64) -> Self {
        Self {
            node: node.into(),
            incarnation,
        }
    }
}

impl fmt::Display for OwnerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.node, self.incarnation)
    }
}

/// One event of an auction's log, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredEvent {
    /// Position in the log (1-based, gap-free).
    pub seq: Seq,
    /// Epoch of the owner that appended it.
    pub epoch: Epoch,
    /// The event itself, opaque to the store.
    #[serde(with = "serde_bytes")]
    pub payload: Vec<u8>,
}

/// Who owns an auction's log, as recorded by the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ownership {
    /// The owner that made the last successful claim. The embedded and remote backends always set it (an auction
    /// only gets an ownership row by being claimed) and keep it after a release, so that the next claimant learns
    /// who it replaces.
    pub owner: Option<OwnerId>,
    /// Current epoch (≥ 1).
    pub epoch: Epoch,
    /// Set when the owner released the auction (drain or passivation); cleared by the next claim. A released
    /// auction accepts no appends until it is claimed again.
    pub released_at: Option<i64>,
    /// Ended for good: no more claims or appends, still readable.
    pub retired: bool,
}

/// A node's liveness lease. Owners are considered alive while their node's lease (for their incarnation) has
/// not expired; a claim may take an auction over from an owner whose lease is missing, expired or superseded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeLease {
    /// Stable node name.
    pub node: String,
    /// The node process this lease belongs to.
    pub incarnation: u64,
    /// Where the node can be reached (its cluster address), for placement hints.
    pub addr: String,
    /// Milliseconds since the Unix epoch at which the node renewed the lease.
    pub renewed_at: i64,
    /// The lease is valid while `now_ms < expires_at`.
    pub expires_at: i64,
    /// The node is handing its auctions over and takes no new ones.
    pub draining: bool,
}

/// Result of a successful [`claim`](crate::EventLog::claim).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// The epoch the claimant must put on every write.
    pub epoch: Epoch,
    /// The owner this claim replaced; `None` on a first claim and on an idempotent re-claim.
    pub previous: Option<PreviousOwner>,
}

/// What a takeover knows about the owner it replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviousOwner {
    /// The replaced owner.
    pub owner: OwnerId,
    /// The replaced owner's epoch (now fenced).
    pub epoch: Epoch,
    /// Last moment the previous owner is known to have been alive: its release time, else its node lease's
    /// `renewed_at` (None if unknown: no lease, or only a lease of another incarnation).
    pub alive_until: Option<i64>,
    /// The previous owner released the auction (as opposed to being taken over).
    pub released: bool,
}

/// A versioned value of the record store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// 1 on creation, +1 on every write. A record deleted and created again starts at 1 again.
    pub version: u64,
    /// The value, opaque to the store.
    #[serde(with = "serde_bytes")]
    pub value: Vec<u8>,
}

/// Condition of a conditional record write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Expect {
    /// Unconditional.
    Any,
    /// Only if the key holds no record.
    Absent,
    /// Only if the key holds a record at exactly this version (≥ 1).
    Version(u64),
}
