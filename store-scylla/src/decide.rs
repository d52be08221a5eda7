//! The decisions of the store, as pure functions: the embedded backend's rules (`store/src/embedded/writer.rs`)
//! restated over what ScyllaDB returns, so that they can be tested without a server.
//!
//! Writes go to ScyllaDB as conditional statements (LWT). When one is not applied, ScyllaDB returns the
//! current values of the columns it compared (the whole old row on ScyllaDB, the condition columns on
//! Cassandra), read inside the same Paxos round. The `*_refused` functions turn those values into the refusal
//! the embedded backend would have given for the same state. Claims, lease renewals and record writes whose
//! outcome depends on more than one comparison are decided here first and then written with a compare-and-set
//! of exactly the state they were decided on.
//!
//! Integer columns are CQL `bigint` (signed). Epochs, incarnations and record versions are only ever compared
//! for equality by ScyllaDB, so they are stored as the two's-complement reinterpretation of the `u64`
//! ([`u64_to_cql`]/[`u64_from_cql`]), which is lossless. Seqs are clustering keys whose *order* matters, so they
//! must stay within `0..=i64::MAX` ([`append_seqs`]).

use store::{
    AppendError, Claim, ClaimError, Epoch, Expect, NodeLease, OwnerId, Ownership, PreviousOwner,
    PutError, Seq, StoreError,
};

/// A `u64` stored in a `bigint` column (bit-for-bit; values above `i64::MAX` become negative).
pub(crate) fn u64_to_cql(value: u64) -> i64 {
    value.cast_signed()
}

/// The `u64` a `bigint` column stores (inverse of [`u64_to_cql`]).
pub(crate) fn u64_from_cql(value: i64) -> u64 {
    value.cast_unsigned()
}

/// The seqs `first_seq..first_seq + count` as `bigint`s (first, last), or `InvalidInput` when they leave the
/// range a clustering key can order (`i64::MAX`). `count ≥ 1` and `first_seq + count` not overflowing are
/// checked before by `store::limits::append`.
pub(crate) fn append_seqs(first_seq: Seq, count: usize) -> Result<(i64, i64), StoreError> {
    let count = u64::try_from(count).unwrap_or(u64::MAX);
    let last = first_seq.saturating_add(count.saturating_sub(1));
    match (i64::try_from(first_seq), i64::try_from(last)) {
        (Ok(first), Ok(last)) => Ok((first, last)),
        _ => Err(StoreError::InvalidInput(format!(
            "an append of {count} events from first_seq {first_seq} ends beyond seq {} (the ScyllaDB backend \
             keeps seqs in a bigint clustering column)",
            i64::MAX
        ))),
    }
}

/// The auction partition's static columns as ScyllaDB returns them (any may be null).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RawStatics {
    pub(crate) owner_node: Option<String>,
    pub(crate) owner_incarnation: Option<i64>,
    pub(crate) owner_epoch: Option<i64>,
    pub(crate) released_at: Option<i64>,
    pub(crate) retired: Option<bool>,
    pub(crate) last_seq: Option<i64>,
}

/// The decoded static columns of a claimed auction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Statics {
    /// Ownership as the ports report it.
    pub(crate) ownership: Ownership,
    /// Seq of the last event (0 for an empty log).
    pub(crate) last_seq: Seq,
}

impl RawStatics {
    /// `None` when the auction was never claimed (`owner_epoch` is null).
    pub(crate) fn decode(self) -> Result<Option<Statics>, String> {
        let Some(epoch) = self.owner_epoch else {
            return Ok(None);
        };
        let owner = match (self.owner_node, self.owner_incarnation) {
            (Some(node), Some(incarnation)) => Some(OwnerId {
                node,
                incarnation: u64_from_cql(incarnation),
            }),
            (None, None) => None,
            (node, incarnation) => {
                return Err(format!(
                    "corrupt ownership columns: owner_node {node:?} with owner_incarnation {incarnation:?}"
                ));
            }
        };
        let last_seq = match self.last_seq {
            None => 0,
            Some(last_seq) => u64::try_from(last_seq)
                .map_err(|_| format!("corrupt last_seq column: {last_seq}"))?,
        };
        Ok(Some(Statics {
            ownership: Ownership {
                owner,
                epoch: u64_from_cql(epoch),
                released_at: self.released_at,
                retired: self.retired.unwrap_or(false),
            },
            last_seq,
        }))
    }
}

/// Whether `ownership` lets `owner` write at `epoch` (the embedded backend's `is_writer`).
pub(crate) fn is_writer(ownership: &Ownership, owner: &OwnerId, epoch: Epoch) -> bool {
    !ownership.retired
        && ownership.released_at.is_none()
        && ownership.epoch == epoch
        && ownership.owner.as_ref() == Some(owner)
}

fn not_applied_although_allowed(what: &str) -> StoreError {
    StoreError::Backend(format!(
        "the conditional {what} was not applied although the state ScyllaDB returned satisfies its conditions"
    ))
}

/// The refusal of an append whose guard was not applied, from the statics the guard saw. Fencing wins over the
/// sequence, as in the embedded backend.
pub(crate) fn append_refused(
    current: Option<&Statics>,
    owner: &OwnerId,
    epoch: Epoch,
    first_seq: Seq,
) -> AppendError {
    let Some(current) = current else {
        return AppendError::Fenced { current_epoch: 0 };
    };
    if !is_writer(&current.ownership, owner, epoch) {
        return AppendError::Fenced {
            current_epoch: current.ownership.epoch,
        };
    }
    if current.last_seq.checked_add(1) != Some(first_seq) {
        return AppendError::SeqConflict {
            last_seq: current.last_seq,
        };
    }
    AppendError::Store(not_applied_although_allowed("append"))
}

/// The outcome of a release that was not applied: a repeated release by the owner is a no-op (`Ok`), anything
/// else is fenced.
pub(crate) fn release_refused(
    current: Option<&Ownership>,
    owner: &OwnerId,
    epoch: Epoch,
) -> Result<(), AppendError> {
    let Some(current) = current else {
        return Err(AppendError::Fenced { current_epoch: 0 });
    };
    if current.epoch != epoch || current.owner.as_ref() != Some(owner) {
        return Err(AppendError::Fenced {
            current_epoch: current.epoch,
        });
    }
    if current.released_at.is_some() {
        return Ok(());
    }
    Err(AppendError::Store(not_applied_although_allowed("release")))
}

/// The outcome of a retire that was not applied: a repeated retire by the owner is a no-op (`Ok`), anything
/// else (a released owner included) is fenced.
pub(crate) fn retire_refused(
    current: Option<&Ownership>,
    owner: &OwnerId,
    epoch: Epoch,
) -> Result<(), AppendError> {
    let Some(current) = current else {
        return Err(AppendError::Fenced { current_epoch: 0 });
    };
    if current.retired && current.epoch == epoch && current.owner.as_ref() == Some(owner) {
        return Ok(());
    }
    if !is_writer(current, owner, epoch) {
        return Err(AppendError::Fenced {
            current_epoch: current.epoch,
        });
    }
    Err(AppendError::Store(not_applied_although_allowed("retire")))
}

/// What a claim does once it has read the auction's ownership (and, if needed, the owner's lease).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ClaimStep {
    /// Answer without writing: an idempotent re-claim, or a refusal.
    Done(Result<Claim, ClaimError>),
    /// Write the claim, conditional on the ownership it was decided on.
    Write(ClaimWrite),
}

/// A claim to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClaimWrite {
    /// The claimant's new epoch.
    pub(crate) epoch: Epoch,
    /// The owner it replaces.
    pub(crate) previous: Option<PreviousOwner>,
    /// The ownership the decision was based on; `None` for a first claim (`IF owner_epoch = null`).
    pub(crate) expected: Option<Ownership>,
}

/// The owner whose node lease the claim decision needs (a live, unreleased owner other than the claimant),
/// if any.
pub(crate) fn lease_needed<'a>(
    current: Option<&'a Ownership>,
    claimant: &OwnerId,
) -> Option<&'a OwnerId> {
    let current = current?;
    if current.retired || current.released_at.is_some() {
        return None;
    }
    current.owner.as_ref().filter(|owner| *owner != claimant)
}

/// The embedded backend's `apply_claim`, given the current ownership and the lease of the owner's node (any
/// incarnation; `None` if the node has none). The lease only matters when [`lease_needed`] names an owner.
pub(crate) fn decide_claim(
    auction: &str,
    current: Option<&Ownership>,
    owner_lease: Option<&NodeLease>,
    claimant: &OwnerId,
    now_ms: i64,
    force: bool,
) -> ClaimStep {
    let Some(current) = current else {
        return ClaimStep::Write(ClaimWrite {
            epoch: 1,
            previous: None,
            expected: None,
        });
    };
    if current.retired {
        return ClaimStep::Done(Err(ClaimError::Retired));
    }
    let Some(next_epoch) = current.epoch.checked_add(1) else {
        return ClaimStep::Done(Err(ClaimError::Store(StoreError::Backend(format!(
            "auction {auction:?} has exhausted its epochs"
        )))));
    };
    let previous = match &current.owner {
        None => None,
        Some(owner) if owner == claimant && current.released_at.is_none() => {
            // Idempotent re-claim by the live owner: same epoch, nothing changes.
            return ClaimStep::Done(Ok(Claim {
                epoch: current.epoch,
                previous: None,
            }));
        }
        Some(owner) => {
            if let Some(released_at) = current.released_at {
                Some(PreviousOwner {
                    owner: owner.clone(),
                    epoch: current.epoch,
                    alive_until: Some(released_at),
                    released: true,
                })
            } else {
                // The owner is alive while its node holds an unexpired lease of the same incarnation.
                let lease = owner_lease.filter(|lease| {
                    lease.node == owner.node && lease.incarnation == owner.incarnation
                });
                if let Some(lease) = lease
                    && lease.expires_at > now_ms
                    && !force
                {
                    return ClaimStep::Done(Err(ClaimError::Owned {
                        owner: owner.clone(),
                        lease_expires_at: lease.expires_at,
                    }));
                }
                Some(PreviousOwner {
                    owner: owner.clone(),
                    epoch: current.epoch,
                    alive_until: lease.map(|lease| lease.renewed_at),
                    released: false,
                })
            }
        }
    };
    ClaimStep::Write(ClaimWrite {
        epoch: next_epoch,
        previous,
        expected: Some(current.clone()),
    })
}

/// The version of a stored lease that a replacement is conditioned on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LeaseVersion {
    /// Stored incarnation.
    pub(crate) incarnation: u64,
    /// Stored renewal time (never null in practice; kept optional so a damaged row can still be replaced).
    pub(crate) renewed_at: Option<i64>,
}

impl LeaseVersion {
    /// The version of a lease the store holds.
    pub(crate) fn of(lease: &NodeLease) -> Self {
        Self {
            incarnation: lease.incarnation,
            renewed_at: Some(lease.renewed_at),
        }
    }

    /// From the `incarnation` and `renewed_at` columns; `None` when there is no lease.
    pub(crate) fn from_columns(incarnation: Option<i64>, renewed_at: Option<i64>) -> Option<Self> {
        incarnation.map(|incarnation| Self {
            incarnation: u64_from_cql(incarnation),
            renewed_at,
        })
    }
}

/// What a lease renewal does given the stored lease's version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LeaseStep {
    /// A newer incarnation holds the lease.
    Superseded,
    /// Same incarnation, older renewal: accepted and ignored.
    Ignore,
    /// Write the lease, conditional on the stored version (`None`: no lease yet).
    Write { expected: Option<LeaseVersion> },
}

/// The embedded backend's `apply_renew_lease` decision.
pub(crate) fn decide_lease(existing: Option<LeaseVersion>, lease: &NodeLease) -> LeaseStep {
    match existing {
        None => LeaseStep::Write { expected: None },
        Some(existing) if existing.incarnation > lease.incarnation => LeaseStep::Superseded,
        Some(existing)
            if existing.incarnation == lease.incarnation
                && existing
                    .renewed_at
                    .is_some_and(|renewed_at| renewed_at > lease.renewed_at) =>
        {
            LeaseStep::Ignore
        }
        Some(existing) => LeaseStep::Write {
            expected: Some(existing),
        },
    }
}

/// The record's current version if `expect` holds, else the conflict (the embedded backend's rule).
pub(crate) fn check_expect(current: Option<u64>, expect: Expect) -> Result<Option<u64>, PutError> {
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

/// The refusal of a conditional record write (`Absent` or `Version`) that was not applied, from the version
/// its LWT saw: the conflict, or a backend error if that version satisfies the expectation.
pub(crate) fn record_refused(actual: Option<u64>, expect: Expect, what: &str) -> PutError {
    match check_expect(actual, expect) {
        Err(conflict) => conflict,
        Ok(_) => PutError::Store(not_applied_although_allowed(what)),
    }
}

/// The version a write over `current` creates: 1 for a new record, else `current + 1`.
pub(crate) fn next_version(table: &str, key: &str, current: Option<u64>) -> Result<u64, PutError> {
    match current {
        None => Ok(1),
        Some(version) => version.checked_add(1).ok_or_else(|| {
            PutError::Store(StoreError::Backend(format!(
                "record {table}/{key} has exhausted its versions"
            )))
        }),
    }
}

/// The lower end of a scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lower {
    /// `record_key >= …`
    From(String),
    /// `record_key > …`
    After(String),
}

/// The key range of a scan within one table's partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScanRange {
    pub(crate) lower: Lower,
    /// `record_key < …`; `None` when the prefix has no successor (empty, or only `char::MAX`s).
    pub(crate) upper: Option<String>,
}

/// The key range holding the keys that start with `prefix` and come after `start_after`; `None` when it is
/// empty. Keys compare as UTF-8 bytes, which is code point order, which is `str`'s `Ord`, which is the order of
/// a CQL `text` clustering column.
pub(crate) fn scan_range(prefix: &str, start_after: Option<&str>) -> Option<ScanRange> {
    let upper = prefix_successor(prefix);
    let lower = match start_after {
        Some(cursor) if cursor >= prefix => Lower::After(cursor.to_owned()),
        _ => Lower::From(prefix.to_owned()),
    };
    if let (Lower::After(cursor), Some(upper)) = (&lower, &upper)
        && cursor.as_str() >= upper.as_str()
    {
        return None;
    }
    Some(ScanRange { lower, upper })
}

/// The smallest string greater than every string that starts with `prefix` (`None` if there is none).
pub(crate) fn prefix_successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = next_char(last) {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

fn next_char(c: char) -> Option<char> {
    match c {
        // Surrogates are not chars: the next scalar value after U+D7FF is U+E000.
        '\u{D7FF}' => Some('\u{E000}'),
        char::MAX => None,
        _ => char::from_u32(u32::from(c) + 1),
    }
}

/// Whether a key a scan returned belongs in the answer (a guard against server-side range mistakes).
pub(crate) fn scan_keeps(key: &str, prefix: &str, start_after: Option<&str>) -> bool {
    key.starts_with(prefix) && start_after.is_none_or(|cursor| key > cursor)
}

#[cfg(test)]
mod tests;
