//! The conformance suite: the store contract as executable checks, run identically against every backend.
//!
//! Each check is a public `async fn(Arc<dyn Store>)` that panics (with a message saying what broke) when the
//! store under test deviates from the contract of [`EventLog`](crate::EventLog) and [`RecordStore`](crate::RecordStore). The checks assume a fresh,
//! empty store. [`conformance_tests!`](crate::conformance_tests) turns a fixture factory into one
//! `#[tokio::test]` per check, so a backend crate runs the whole suite with one line:
//!
//! ```text
//! store::conformance_tests!(store::conformance::fixtures::in_memory);
//! ```
//!
//! The factory is anything callable with no argument that returns a future of a [`Fixture`]: an
//! `Arc<dyn Store>`, or `(Arc<dyn Store>, guard)` where the guard (a temporary directory, a server handle...)
//! lives until the check ends. The calling crate needs `tokio` with the `macros` and `rt-multi-thread`
//! features (checks run on a multi-threaded runtime so that races are real races).
//!
//! Only available with the `conformance` cargo feature.

pub mod fixtures;

use crate::error::{AppendError, ClaimError, LeaseError, PutError, StoreError};
use crate::limits::{
    MAX_AUCTION_ID_BYTES, MAX_KEY_BYTES, MAX_PAYLOAD_BYTES, MAX_TABLE_BYTES, MAX_VALUE_BYTES,
};
use crate::ports::Store;
use crate::types::{Claim, Expect, NodeLease, OwnerId, PreviousOwner, StoredEvent};
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Barrier;

/// What a fixture factory produces: the store under test, plus whatever must live as long as the check.
pub trait Fixture: Send + 'static {
    /// The store under test.
    fn store(&self) -> Arc<dyn Store>;
}

impl Fixture for Arc<dyn Store> {
    fn store(&self) -> Arc<dyn Store> {
        Arc::clone(self)
    }
}

impl<G: Send + 'static> Fixture for (Arc<dyn Store>, G) {
    fn store(&self) -> Arc<dyn Store> {
        Arc::clone(&self.0)
    }
}

/// Longest a single check may run before it is reported as hung.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(90);

/// Expands to one `#[tokio::test]` per conformance check, each on a fresh fixture from `$factory`.
#[macro_export]
macro_rules! conformance_tests {
    ($factory:expr) => {
        $crate::__conformance_checks!(
            $factory;
            append_assigns_gap_free_seqs,
            append_refuses_a_taken_slot_or_a_gap,
            append_is_all_or_nothing,
            append_requires_the_owner_and_its_epoch,
            takeover_fences_the_stale_owner,
            claim_is_idempotent_for_the_same_incarnation,
            claim_respects_a_live_lease,
            claim_takes_over_when_the_lease_is_missing,
            claim_takes_over_from_another_incarnation,
            force_claim_takes_over_a_live_owner,
            release_hands_over_with_alive_until,
            owner_reclaiming_after_release_gets_a_new_epoch,
            retired_auction_cannot_be_claimed_or_written,
            active_auctions_lists_claimed_unretired_auctions,
            leases_are_upserted_and_fenced_by_incarnation,
            concurrent_claimants_exactly_one_wins,
            concurrent_appenders_on_one_slot_exactly_one_wins,
            stale_owner_racing_a_takeover_never_lands_after_it,
            many_auctions_interleaved_keep_separate_logs,
            read_honours_ranges_and_limits,
            large_reads_return_every_event,
            records_compare_and_set,
            records_scan_in_key_order_with_prefix_and_cursor,
            concurrent_record_writers_never_lose_an_update,
            invalid_input_is_refused_with_clear_errors,
        );
    };
}

/// Implementation detail of [`conformance_tests!`](crate::conformance_tests).
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_checks {
    ($factory:expr; $($check:ident),* $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $check() {
                let fixture = ($factory)().await;
                let store = $crate::conformance::Fixture::store(&fixture);
                let outcome = ::tokio::time::timeout(
                    $crate::conformance::CHECK_TIMEOUT,
                    $crate::conformance::$check(store),
                )
                .await;
                assert!(outcome.is_ok(), "conformance check {} hung", stringify!($check));
                drop(fixture);
            }
        )*
    };
}

/// An arbitrary "now" for the checks, in ms since the Unix epoch.
const T0: i64 = 1_750_000_000_000;
/// Lease duration used by the checks.
const TTL: i64 = 10_000;

fn owner(node: &str, incarnation: u64) -> OwnerId {
    OwnerId::new(node, incarnation)
}

fn lease(owner: &OwnerId, renewed_at: i64, expires_at: i64) -> NodeLease {
    NodeLease {
        node: owner.node.clone(),
        incarnation: owner.incarnation,
        addr: format!("127.0.0.1:{}", 7000 + owner.incarnation),
        renewed_at,
        expires_at,
        draining: false,
    }
}

fn payload(auction: &str, seq: u64) -> Vec<u8> {
    format!("{auction}/{seq}").into_bytes()
}

async fn renew(store: &dyn Store, owner: &OwnerId, renewed_at: i64) {
    store
        .renew_lease(lease(owner, renewed_at, renewed_at + TTL))
        .await
        .unwrap_or_else(|error| panic!("renew_lease for {owner}: {error}"));
}

async fn claim_ok(
    store: &dyn Store,
    auction: &str,
    claimant: &OwnerId,
    now_ms: i64,
    force: bool,
) -> Claim {
    store
        .claim(auction, claimant, now_ms, force)
        .await
        .unwrap_or_else(|error| {
            panic!("claim of {auction} by {claimant} at {now_ms} (force {force}): {error}")
        })
}

async fn append_ok(
    store: &dyn Store,
    auction: &str,
    owner: &OwnerId,
    epoch: u64,
    first_seq: u64,
    count: u64,
) {
    let payloads = (first_seq..first_seq + count)
        .map(|seq| payload(auction, seq))
        .collect();
    store
        .append(auction, owner, epoch, first_seq, payloads)
        .await
        .unwrap_or_else(|error| {
            panic!("append to {auction} at {first_seq} by {owner}@{epoch}: {error}")
        });
}

async fn read_all(store: &dyn Store, auction: &str) -> Vec<StoredEvent> {
    store
        .read(auction, 1, usize::MAX)
        .await
        .unwrap_or_else(|error| panic!("read {auction}: {error}"))
}

/// The events must be exactly seqs 1..=n, in order.
fn assert_gap_free(auction: &str, events: &[StoredEvent]) {
    for (index, event) in events.iter().enumerate() {
        assert_eq!(
            event.seq,
            index as u64 + 1,
            "{auction}: log is not gap-free at position {index}"
        );
    }
}

/// The store error inside any port error.
trait InnerStoreError {
    fn store_error(&self) -> Option<&StoreError>;
}

impl InnerStoreError for StoreError {
    fn store_error(&self) -> Option<&StoreError> {
        Some(self)
    }
}

impl InnerStoreError for AppendError {
    fn store_error(&self) -> Option<&StoreError> {
        match self {
            AppendError::Store(error) => Some(error),
            _ => None,
        }
    }
}

impl InnerStoreError for ClaimError {
    fn store_error(&self) -> Option<&StoreError> {
        match self {
            ClaimError::Store(error) => Some(error),
            _ => None,
        }
    }
}

impl InnerStoreError for LeaseError {
    fn store_error(&self) -> Option<&StoreError> {
        match self {
            LeaseError::Store(error) => Some(error),
            LeaseError::Superseded => None,
        }
    }
}

impl InnerStoreError for PutError {
    fn store_error(&self) -> Option<&StoreError> {
        match self {
            PutError::Store(error) => Some(error),
            PutError::Conflict { .. } => None,
        }
    }
}

/// `result` must be `InvalidInput` whose message mentions every one of `needles`.
fn assert_invalid<T: Debug, E: InnerStoreError + Debug>(
    what: &str,
    result: Result<T, E>,
    needles: &[&str],
) {
    match &result {
        Err(error) => match error.store_error() {
            Some(StoreError::InvalidInput(message)) => {
                for needle in needles {
                    assert!(
                        message.contains(needle),
                        "{what}: the error message {message:?} should mention {needle:?}"
                    );
                }
            }
            _ => panic!("{what}: expected InvalidInput, got {result:?}"),
        },
        Ok(_) => panic!("{what}: expected InvalidInput, got {result:?}"),
    }
}

/// Seqs are 1, 2, 3... without gaps, batches included, each event keeps its payload and epoch.
pub async fn append_assigns_gap_free_seqs(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let a = owner("node-a", 1);
    assert_eq!(
        store.last_seq("auction-1").await.expect("last_seq"),
        0,
        "empty log has last_seq 0"
    );
    assert!(
        read_all(store, "auction-1").await.is_empty(),
        "empty log reads empty"
    );
    let claim = claim_ok(store, "auction-1", &a, T0, false).await;
    assert_eq!(
        claim,
        Claim {
            epoch: 1,
            previous: None
        },
        "first claim gets epoch 1"
    );

    append_ok(store, "auction-1", &a, 1, 1, 1).await;
    append_ok(store, "auction-1", &a, 1, 2, 3).await;
    append_ok(store, "auction-1", &a, 1, 5, 1).await;
    assert_eq!(store.last_seq("auction-1").await.expect("last_seq"), 5);
    let events = read_all(store, "auction-1").await;
    assert_eq!(events.len(), 5);
    assert_gap_free("auction-1", &events);
    for event in &events {
        assert_eq!(event.epoch, 1, "event {} keeps its epoch", event.seq);
        assert_eq!(
            event.payload,
            payload("auction-1", event.seq),
            "event {} keeps its payload",
            event.seq
        );
    }
    // An empty payload is a valid event.
    store
        .append("auction-1", &a, 1, 6, vec![Vec::new()])
        .await
        .expect("append an empty payload");
    let events = store.read("auction-1", 6, 10).await.expect("read");
    assert_eq!(events.len(), 1);
    assert!(events[0].payload.is_empty());
}

/// `first_seq` must be exactly last_seq + 1: a taken slot or a gap is a `SeqConflict` reporting the last seq.
pub async fn append_refuses_a_taken_slot_or_a_gap(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let a = owner("node-a", 1);
    claim_ok(store, "auction-1", &a, T0, false).await;
    append_ok(store, "auction-1", &a, 1, 1, 5).await;
    for first_seq in [1, 3, 5, 7, 100] {
        let result = store
            .append("auction-1", &a, 1, first_seq, vec![b"intruder".to_vec()])
            .await;
        assert_eq!(
            result,
            Err(AppendError::SeqConflict { last_seq: 5 }),
            "append at {first_seq} with last_seq 5"
        );
    }
    let events = read_all(store, "auction-1").await;
    assert_eq!(events.len(), 5, "refused appends wrote nothing");
    for event in &events {
        assert_eq!(
            event.payload,
            payload("auction-1", event.seq),
            "slot {} was not overwritten",
            event.seq
        );
    }
}

/// A refused or invalid batch writes none of its events.
pub async fn append_is_all_or_nothing(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let a = owner("node-a", 1);
    claim_ok(store, "auction-1", &a, T0, false).await;
    append_ok(store, "auction-1", &a, 1, 1, 2).await;
    let batch = vec![b"x".to_vec(), b"y".to_vec(), b"z".to_vec()];
    assert_eq!(
        store.append("auction-1", &a, 1, 2, batch.clone()).await,
        Err(AppendError::SeqConflict { last_seq: 2 })
    );
    let mut with_oversized = batch;
    with_oversized.push(vec![0u8; MAX_PAYLOAD_BYTES + 1]);
    assert_invalid(
        "a batch with an oversized payload",
        store.append("auction-1", &a, 1, 3, with_oversized).await,
        &["payload 3", &MAX_PAYLOAD_BYTES.to_string()],
    );
    assert_eq!(
        store.last_seq("auction-1").await.expect("last_seq"),
        2,
        "nothing of either batch was written"
    );
    append_ok(store, "auction-1", &a, 1, 3, 3).await;
    assert_eq!(read_all(store, "auction-1").await.len(), 5);
}

/// Only the owner (same node AND incarnation) at the current epoch may append.
pub async fn append_requires_the_owner_and_its_epoch(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let a = owner("node-a", 1);
    assert_eq!(
        store
            .append("auction-1", &a, 1, 1, vec![b"e".to_vec()])
            .await,
        Err(AppendError::Fenced { current_epoch: 0 }),
        "an unclaimed auction is fenced with epoch 0"
    );
    claim_ok(store, "auction-1", &a, T0, false).await;
    let intruders = [
        (owner("node-b", 1), 1, "another node"),
        (
            owner("node-a", 2),
            1,
            "another incarnation of the owner's node",
        ),
        (owner("node-a", 1), 2, "the owner with a future epoch"),
    ];
    for (intruder, epoch, who) in &intruders {
        assert_eq!(
            store
                .append("auction-1", intruder, *epoch, 1, vec![b"e".to_vec()])
                .await,
            Err(AppendError::Fenced { current_epoch: 1 }),
            "append by {who}"
        );
        assert_eq!(
            store.release("auction-1", intruder, *epoch, T0).await,
            Err(AppendError::Fenced { current_epoch: 1 }),
            "release by {who}"
        );
        assert_eq!(
            store.retire("auction-1", intruder, *epoch).await,
            Err(AppendError::Fenced { current_epoch: 1 }),
            "retire by {who}"
        );
    }
    assert_eq!(store.last_seq("auction-1").await.expect("last_seq"), 0);
    append_ok(store, "auction-1", &a, 1, 1, 1).await;
}

/// After a takeover the previous owner can no longer append, release or retire; the new owner continues the
/// same gap-free log.
pub async fn takeover_fences_the_stale_owner(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let a = owner("node-a", 1);
    let b = owner("node-b", 1);
    renew(store, &a, T0).await;
    claim_ok(store, "auction-1", &a, T0, false).await;
    append_ok(store, "auction-1", &a, 1, 1, 3).await;

    let now = T0 + TTL; // A's lease expires exactly now (expires_at <= now)
    renew(store, &b, now).await;
    let claim = claim_ok(store, "auction-1", &b, now, false).await;
    assert_eq!(
        claim,
        Claim {
            epoch: 2,
            previous: Some(PreviousOwner {
                owner: a.clone(),
                epoch: 1,
                alive_until: Some(T0),
                released: false,
            }),
        },
        "takeover after lease expiry"
    );
    let fenced = Err(AppendError::Fenced { current_epoch: 2 });
    assert_eq!(
        store
            .append("auction-1", &a, 1, 4, vec![b"late".to_vec()])
            .await,
        fenced,
        "stale append"
    );
    assert_eq!(
        store
            .append("auction-1", &a, 2, 4, vec![b"late".to_vec()])
            .await,
        fenced,
        "stale owner, new epoch"
    );
    assert_eq!(
        store.release("auction-1", &a, 1, now).await,
        fenced,
        "stale release"
    );
    assert_eq!(
        store.retire("auction-1", &a, 1).await,
        fenced,
        "stale retire"
    );

    append_ok(store, "auction-1", &b, 2, 4, 2).await;
    let events = read_all(store, "auction-1").await;
    assert_gap_free("auction-1", &events);
    let epochs: Vec<u64> = events.iter().map(|event| event.epoch).collect();
    assert_eq!(epochs, vec![1, 1, 1, 2, 2]);
    let ownership = store
        .ownership("auction-1")
        .await
        .expect("ownership")
        .expect("claimed");
    assert_eq!(ownership.owner, Some(b));
    assert_eq!(ownership.epoch, 2);
    assert_eq!(ownership.released_at, None);
    assert!(!ownership.retired);
}

/// The live owner claiming again gets the same epoch and no previous owner, with or without `force`.
pub async fn claim_is_idempotent_for_the_same_incarnation(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let a = owner("node-a", 1);
    renew(store, &a, T0).await;
    claim_ok(store, "auction-1", &a, T0, false).await;
    append_ok(store, "auction-1", &a, 1, 1, 1).await;
    for (now, force) in [(T0 + 1, false), (T0 + 2, true), (T0 + 10 * TTL, false)] {
        let claim = claim_ok(store, "auction-1", &a, now, force).await;
        assert_eq!(
            claim,
            Claim {
                epoch: 1,
                previous: None
            },
            "re-claim at {now} (force {force})"
        );
    }
    assert_eq!(
        store
            .ownership("auction-1")
            .await
            .expect("ownership")
            .expect("claimed")
            .epoch,
        1
    );
    append_ok(store, "auction-1", &a, 1, 2, 1).await;
}

/// While the owner's lease is live (`now < expires_at`) others are refused with `Owned`; at `expires_at` they
/// may take over.
pub async fn claim_respects_a_live_lease(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let a = owner("node-a", 1);
    let b = owner("node-b", 1);
    renew(store, &a, T0).await;
    renew(store, &b, T0).await;
    claim_ok(store, "auction-1", &a, T0, false).await;
    for now in [T0, T0 + 1, T0 + TTL - 1] {
        assert_eq!(
            store.claim("auction-1", &b, now, false).await,
            Err(ClaimError::Owned {
                owner: a.clone(),
                lease_expires_at: T0 + TTL,
            }),
            "claim at {now} while the owner's lease runs until {}",
            T0 + TTL
        );
    }
    // A renewal extends the protection.
    renew(store, &a, T0 + TTL - 1).await;
    assert!(
        matches!(
            store.claim("auction-1", &b, T0 + TTL, false).await,
            Err(ClaimError::Owned { .. })
        ),
        "the owner renewed its lease"
    );
    let claim = claim_ok(store, "auction-1", &b, T0 + 2 * TTL - 1, false).await;
    assert_eq!(claim.epoch, 2, "takeover exactly at expires_at");
    assert_eq!(
        claim.previous,
        Some(PreviousOwner {
            owner: a,
            epoch: 1,
            alive_until: Some(T0 + TTL - 1),
            released: false,
        })
    );
}

/// An owner whose node has no lease at all can be taken over; nothing is known about when it was alive.
pub async fn claim_takes_over_when_the_lease_is_missing(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let a = owner("node-a", 1);
    let b = owner("node-b", 1);
    claim_ok(store, "auction-1", &a, T0, false).await;
    let claim = claim_ok(store, "auction-1", &b, T0 + 1, false).await;
    assert_eq!(
        claim,
        Claim {
            epoch: 2,
            previous: Some(PreviousOwner {
                owner: a,
                epoch: 1,
                alive_until: None,
                released: false,
            }),
        }
    );
}

/// A restarted node (new incarnation) takes its auctions back once its new lease replaced the old one; until
/// then the old incarnation's live lease protects them.
pub async fn claim_takes_over_from_another_incarnation(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let old = owner("node-a", 1);
    let new = owner("node-a", 2);
    renew(store, &old, T0).await;
    claim_ok(store, "auction-1", &old, T0, false).await;
    append_ok(store, "auction-1", &old, 1, 1, 2).await;
    assert_eq!(
        store.claim("auction-1", &new, T0 + 1, false).await,
        Err(ClaimError::Owned {
            owner: old.clone(),
            lease_expires_at: T0 + TTL,
        }),
        "the old incarnation's lease is still the node's lease"
    );
    renew(store, &new, T0 + 2).await;
    let claim = claim_ok(store, "auction-1", &new, T0 + 3, false).await;
    assert_eq!(
        claim,
        Claim {
            epoch: 2,
            previous: Some(PreviousOwner {
                owner: old.clone(),
                epoch: 1,
                alive_until: None,
                released: false,
            }),
        },
        "the node's lease belongs to another incarnation"
    );
    assert_eq!(
        store
            .append("auction-1", &old, 1, 3, vec![b"zombie".to_vec()])
            .await,
        Err(AppendError::Fenced { current_epoch: 2 })
    );
    append_ok(store, "auction-1", &new, 2, 3, 1).await;
}

/// `force` takes over even from a live owner, bumping the epoch and reporting the owner's last renewal.
pub async fn force_claim_takes_over_a_live_owner(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let a = owner("node-a", 1);
    let b = owner("node-b", 1);
    renew(store, &a, T0).await;
    claim_ok(store, "auction-1", &a, T0, false).await;
    let claim = claim_ok(store, "auction-1", &b, T0 + 1, true).await;
    assert_eq!(
        claim,
        Claim {
            epoch: 2,
            previous: Some(PreviousOwner {
                owner: a.clone(),
                epoch: 1,
                alive_until: Some(T0),
                released: false,
            }),
        }
    );
    assert_eq!(
        store
            .append("auction-1", &a, 1, 1, vec![b"e".to_vec()])
            .await,
        Err(AppendError::Fenced { current_epoch: 2 })
    );
}

/// Release records `released_at`, keeps the epoch, stops the owner's writes, and lets anyone claim, even while
/// the releasing node's lease is live; the claimant learns `alive_until = released_at`.
pub async fn release_hands_over_with_alive_until(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let a = owner("node-a", 1);
    let b = owner("node-b", 1);
    renew(store, &a, T0).await;
    claim_ok(store, "auction-1", &a, T0, false).await;
    append_ok(store, "auction-1", &a, 1, 1, 2).await;
    let released_at = T0 + 500;
    store
        .release("auction-1", &a, 1, released_at)
        .await
        .expect("release by the owner");
    store
        .release("auction-1", &a, 1, released_at + 100)
        .await
        .expect("releasing again is a no-op");
    let ownership = store
        .ownership("auction-1")
        .await
        .expect("ownership")
        .expect("claimed");
    assert_eq!(
        ownership.owner,
        Some(a.clone()),
        "the releasing owner stays recorded"
    );
    assert_eq!(ownership.epoch, 1, "release keeps the epoch");
    assert_eq!(
        ownership.released_at,
        Some(released_at),
        "the first release time is kept"
    );
    assert!(!ownership.retired);
    let active = store.active_auctions().await.expect("active_auctions");
    assert_eq!(
        active.len(),
        1,
        "a released auction is still active (it needs a new owner)"
    );

    let fenced = Err(AppendError::Fenced { current_epoch: 1 });
    assert_eq!(
        store
            .append("auction-1", &a, 1, 3, vec![b"e".to_vec()])
            .await,
        fenced,
        "append after release"
    );
    assert_eq!(
        store.retire("auction-1", &a, 1).await,
        fenced,
        "retire after release"
    );

    let claim = claim_ok(store, "auction-1", &b, T0 + 600, false).await;
    assert_eq!(
        claim,
        Claim {
            epoch: 2,
            previous: Some(PreviousOwner {
                owner: a,
                epoch: 1,
                alive_until: Some(released_at),
                released: true,
            }),
        }
    );
    let ownership = store
        .ownership("auction-1")
        .await
        .expect("ownership")
        .expect("claimed");
    assert_eq!(ownership.released_at, None, "a claim clears released_at");
    append_ok(store, "auction-1", &b, 2, 3, 1).await;
}

/// An owner that released and claims again is a new activation: new epoch, its old epoch stays fenced.
pub async fn owner_reclaiming_after_release_gets_a_new_epoch(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let a = owner("node-a", 1);
    claim_ok(store, "auction-1", &a, T0, false).await;
    store
        .release("auction-1", &a, 1, T0 + 1)
        .await
        .expect("release");
    let claim = claim_ok(store, "auction-1", &a, T0 + 2, false).await;
    assert_eq!(claim.epoch, 2);
    assert_eq!(
        claim.previous,
        Some(PreviousOwner {
            owner: a.clone(),
            epoch: 1,
            alive_until: Some(T0 + 1),
            released: true,
        })
    );
    assert_eq!(
        store
            .append("auction-1", &a, 1, 1, vec![b"e".to_vec()])
            .await,
        Err(AppendError::Fenced { current_epoch: 2 })
    );
    append_ok(store, "auction-1", &a, 2, 1, 1).await;
}

/// A retired auction stays readable but can never be claimed (even with force) or written again.
pub async fn retired_auction_cannot_be_claimed_or_written(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let a = owner("node-a", 1);
    let b = owner("node-b", 1);
    claim_ok(store, "auction-1", &a, T0, false).await;
    append_ok(store, "auction-1", &a, 1, 1, 2).await;
    store
        .retire("auction-1", &a, 1)
        .await
        .expect("retire by the owner");
    store
        .retire("auction-1", &a, 1)
        .await
        .expect("retiring again is a no-op");
    for (claimant, force) in [(&b, false), (&b, true), (&a, false), (&a, true)] {
        assert_eq!(
            store.claim("auction-1", claimant, T0 + 1, force).await,
            Err(ClaimError::Retired),
            "claim of a retired auction by {claimant} (force {force})"
        );
    }
    assert_eq!(
        store
            .append("auction-1", &a, 1, 3, vec![b"e".to_vec()])
            .await,
        Err(AppendError::Fenced { current_epoch: 1 }),
        "append to a retired auction"
    );
    let events = read_all(store, "auction-1").await;
    assert_eq!(events.len(), 2, "a retired auction stays readable");
    assert_eq!(store.last_seq("auction-1").await.expect("last_seq"), 2);
    let ownership = store
        .ownership("auction-1")
        .await
        .expect("ownership")
        .expect("claimed");
    assert!(ownership.retired);
    assert_eq!(ownership.epoch, 1);
    assert!(
        store
            .active_auctions()
            .await
            .expect("active_auctions")
            .is_empty()
    );
}

/// `active_auctions` lists claimed (live or released) auctions, not retired or unclaimed ones, by id.
pub async fn active_auctions_lists_claimed_unretired_auctions(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let a = owner("node-a", 1);
    assert!(
        store
            .active_auctions()
            .await
            .expect("active_auctions")
            .is_empty()
    );
    for auction in ["c-live", "a-released", "b-retired"] {
        claim_ok(store, auction, &a, T0, false).await;
    }
    store
        .release("a-released", &a, 1, T0 + 1)
        .await
        .expect("release");
    store.retire("b-retired", &a, 1).await.expect("retire");
    store.last_seq("d-never-claimed").await.expect("last_seq");
    let active = store.active_auctions().await.expect("active_auctions");
    let ids: Vec<&str> = active.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, vec!["a-released", "c-live"]);
    assert_eq!(active[0].1.released_at, Some(T0 + 1));
    assert_eq!(active[1].1.owner, Some(a));
    assert_eq!(
        store.ownership("d-never-claimed").await.expect("ownership"),
        None
    );
}

/// Leases are upserted per node; a lower incarnation is `Superseded`; an older renewal never moves a lease back.
pub async fn leases_are_upserted_and_fenced_by_incarnation(store: Arc<dyn Store>) {
    let store = store.as_ref();
    assert!(store.leases().await.expect("leases").is_empty());
    let a1 = owner("node-a", 1);
    let a2 = owner("node-a", 2);
    let b1 = owner("node-b", 1);
    renew(store, &b1, T0).await;
    renew(store, &a1, T0).await;
    let mut draining = lease(&a1, T0 + 100, T0 + 100 + TTL);
    draining.draining = true;
    store.renew_lease(draining.clone()).await.expect("renewal");
    store
        .renew_lease(lease(&a1, T0 + 50, T0 + 50 + TTL))
        .await
        .expect("an older renewal is accepted and ignored");
    let leases = store.leases().await.expect("leases");
    assert_eq!(
        leases,
        vec![draining, lease(&b1, T0, T0 + TTL)],
        "leases by node name; newest renewal kept"
    );

    renew(store, &a2, T0 + 200).await;
    assert_eq!(
        store
            .renew_lease(lease(&a1, T0 + 300, T0 + 300 + TTL))
            .await,
        Err(LeaseError::Superseded),
        "the old incarnation is superseded"
    );
    let leases = store.leases().await.expect("leases");
    assert_eq!(leases[0], lease(&a2, T0 + 200, T0 + 200 + TTL));
    // A node shortening its own lease (graceful exit) is allowed.
    store
        .renew_lease(lease(&a2, T0 + 400, T0 + 400))
        .await
        .expect("expire now");
    assert_eq!(
        store.leases().await.expect("leases")[0].expires_at,
        T0 + 400
    );
}

/// Many nodes claiming one unowned auction at once: exactly one wins with epoch 1; all others see it as owner.
pub async fn concurrent_claimants_exactly_one_wins(store: Arc<dyn Store>) {
    const CLAIMANTS: usize = 16;
    for node in 0..CLAIMANTS {
        renew(store.as_ref(), &owner(&format!("node-{node:02}"), 1), T0).await;
    }
    for round in 0..5 {
        let auction = format!("auction-{round}");
        let barrier = Arc::new(Barrier::new(CLAIMANTS));
        let mut tasks = Vec::new();
        for node in 0..CLAIMANTS {
            let store = Arc::clone(&store);
            let barrier = Arc::clone(&barrier);
            let auction = auction.clone();
            tasks.push(tokio::spawn(async move {
                let claimant = owner(&format!("node-{node:02}"), 1);
                barrier.wait().await;
                (
                    claimant.clone(),
                    store.claim(&auction, &claimant, T0 + 1, false).await,
                )
            }));
        }
        let mut winners = Vec::new();
        let mut refused = Vec::new();
        for task in tasks {
            let (claimant, result) = task.await.expect("claim task");
            match result {
                Ok(claim) => {
                    assert_eq!(
                        claim,
                        Claim {
                            epoch: 1,
                            previous: None
                        },
                        "{auction}: winning claim"
                    );
                    winners.push(claimant);
                }
                Err(ClaimError::Owned { owner, .. }) => refused.push(owner),
                Err(error) => panic!("{auction}: unexpected claim error {error}"),
            }
        }
        assert_eq!(
            winners.len(),
            1,
            "{auction}: exactly one claimant must win, got {winners:?}"
        );
        assert!(
            refused.iter().all(|owner| *owner == winners[0]),
            "{auction}: the losers must see the winner"
        );
        let ownership = store
            .ownership(&auction)
            .await
            .expect("ownership")
            .expect("claimed");
        assert_eq!(ownership.owner.as_ref(), Some(&winners[0]));
        assert_eq!(ownership.epoch, 1);
    }
}

/// Many appends racing for the same slot: exactly one lands, the others get `SeqConflict`.
pub async fn concurrent_appenders_on_one_slot_exactly_one_wins(store: Arc<dyn Store>) {
    const APPENDERS: usize = 8;
    const ROUNDS: u64 = 20;
    let a = owner("node-a", 1);
    claim_ok(store.as_ref(), "auction-1", &a, T0, false).await;
    let mut winners = Vec::new();
    for seq in 1..=ROUNDS {
        let barrier = Arc::new(Barrier::new(APPENDERS));
        let mut tasks = Vec::new();
        for appender in 0..APPENDERS {
            let store = Arc::clone(&store);
            let barrier = Arc::clone(&barrier);
            let a = a.clone();
            tasks.push(tokio::spawn(async move {
                let body = format!("seq {seq} by appender {appender}").into_bytes();
                barrier.wait().await;
                (
                    body.clone(),
                    store.append("auction-1", &a, 1, seq, vec![body]).await,
                )
            }));
        }
        let mut landed = Vec::new();
        for task in tasks {
            let (body, result) = task.await.expect("append task");
            match result {
                Ok(()) => landed.push(body),
                Err(AppendError::SeqConflict { last_seq }) => {
                    assert_eq!(last_seq, seq, "a loser sees the winner's slot");
                }
                Err(error) => panic!("seq {seq}: unexpected append error {error}"),
            }
        }
        assert_eq!(landed.len(), 1, "seq {seq}: exactly one appender must win");
        winners.push(landed.remove(0));
    }
    let events = read_all(store.as_ref(), "auction-1").await;
    assert_gap_free("auction-1", &events);
    let bodies: Vec<Vec<u8>> = events.into_iter().map(|event| event.payload).collect();
    assert_eq!(bodies, winners, "the log holds exactly the winning appends");
}

/// A stale owner appending as fast as it can while another node takes over: every acknowledged append of the
/// old owner is in the log, none lands after the takeover, and the old owner learns it is fenced.
pub async fn stale_owner_racing_a_takeover_never_lands_after_it(store: Arc<dyn Store>) {
    let a = owner("node-a", 1);
    let b = owner("node-b", 1);
    renew(store.as_ref(), &a, T0).await;
    claim_ok(store.as_ref(), "auction-1", &a, T0, false).await;
    let old_owner = {
        let store = Arc::clone(&store);
        let a = a.clone();
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            let mut seq = 1u64;
            loop {
                let body = format!("a-{seq}").into_bytes();
                match store
                    .append("auction-1", &a, 1, seq, vec![body.clone()])
                    .await
                {
                    Ok(()) => {
                        acknowledged.push((seq, body));
                        seq += 1;
                    }
                    Err(error) => return (acknowledged, error),
                }
            }
        })
    };
    // Take over once the old owner is well under way.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while store.last_seq("auction-1").await.expect("last_seq") < 5 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the old owner made no progress"
        );
        tokio::task::yield_now().await;
    }
    let claim = claim_ok(store.as_ref(), "auction-1", &b, T0 + 1, true).await;
    assert_eq!(claim.epoch, 2);
    let mut next = store.last_seq("auction-1").await.expect("last_seq") + 1;
    for _ in 0..5 {
        match store
            .append("auction-1", &b, 2, next, vec![b"b".to_vec()])
            .await
        {
            Ok(()) => next += 1,
            // The old owner's last in-flight append may have landed just before the claim committed.
            Err(AppendError::SeqConflict { last_seq }) => next = last_seq + 1,
            Err(error) => panic!("new owner append: {error}"),
        }
    }
    let (acknowledged, error) = old_owner.await.expect("old owner task");
    assert_eq!(
        error,
        AppendError::Fenced { current_epoch: 2 },
        "the old owner is stopped by fencing"
    );
    let events = read_all(store.as_ref(), "auction-1").await;
    assert_gap_free("auction-1", &events);
    let first_new = events
        .iter()
        .position(|event| event.epoch == 2)
        .expect("the new owner appended");
    assert!(
        events[first_new..].iter().all(|event| event.epoch == 2),
        "no event of the stale epoch after the takeover"
    );
    for (seq, body) in &acknowledged {
        let event = &events[usize::try_from(*seq).expect("seq fits usize") - 1];
        assert_eq!(
            (event.epoch, &event.payload),
            (1, body),
            "acknowledged append {seq} of the old owner"
        );
    }
    assert_eq!(
        acknowledged.len(),
        first_new,
        "exactly the old owner's acknowledged appends precede the takeover"
    );
}

/// Owners of many auctions appending concurrently (batches of varying size) each get their own gap-free log.
pub async fn many_auctions_interleaved_keep_separate_logs(store: Arc<dyn Store>) {
    const AUCTIONS: usize = 24;
    const EVENTS: u64 = 30;
    let mut tasks = Vec::new();
    for index in 0..AUCTIONS {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let auction = format!("auction-{index:03}");
            let node = owner(&format!("node-{}", index % 3), 1);
            let claim = claim_ok(store.as_ref(), &auction, &node, T0, false).await;
            let mut seq = 1;
            let mut batch = 1 + (index as u64 % 3);
            while seq <= EVENTS {
                let count = batch.min(EVENTS - seq + 1);
                append_ok(store.as_ref(), &auction, &node, claim.epoch, seq, count).await;
                seq += count;
                batch = batch % 4 + 1;
            }
            auction
        }));
    }
    for task in tasks {
        let auction = task.await.expect("owner task");
        let events = read_all(store.as_ref(), &auction).await;
        assert_eq!(events.len() as u64, EVENTS, "{auction}: event count");
        assert_gap_free(&auction, &events);
        for event in &events {
            assert_eq!(
                event.payload,
                payload(&auction, event.seq),
                "{auction}: event {} is its own",
                event.seq
            );
        }
        assert_eq!(store.last_seq(&auction).await.expect("last_seq"), EVENTS);
    }
    assert_eq!(
        store
            .active_auctions()
            .await
            .expect("active_auctions")
            .len(),
        AUCTIONS
    );
}

/// `read(from_seq, max)` returns the `max` events from `from_seq` on; past the end it returns fewer or none.
pub async fn read_honours_ranges_and_limits(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let a = owner("node-a", 1);
    claim_ok(store, "auction-1", &a, T0, false).await;
    claim_ok(store, "auction-10", &a, T0, false).await;
    append_ok(store, "auction-1", &a, 1, 1, 30).await;
    append_ok(store, "auction-10", &a, 1, 1, 3).await;
    let seqs = |events: Vec<StoredEvent>| {
        events
            .into_iter()
            .map(|event| event.seq)
            .collect::<Vec<_>>()
    };
    let cases: [(u64, usize, Vec<u64>); 6] = [
        (1, 10, (1..=10).collect()),
        (25, 10, (25..=30).collect()),
        (10, 1, vec![10]),
        (30, 5, vec![30]),
        (31, 10, vec![]),
        (1, usize::MAX, (1..=30).collect()),
    ];
    for (from_seq, max, expected) in cases {
        let events = store.read("auction-1", from_seq, max).await.expect("read");
        assert_eq!(seqs(events), expected, "read(from {from_seq}, max {max})");
    }
    // The prefix-sharing auction id must not bleed into the other log.
    assert_eq!(
        seqs(store.read("auction-10", 1, 100).await.expect("read")),
        vec![1, 2, 3]
    );
    assert!(store.read("unknown", 1, 10).await.expect("read").is_empty());
    assert_eq!(store.last_seq("unknown").await.expect("last_seq"), 0);
    assert_invalid(
        "read from seq 0",
        store.read("auction-1", 0, 10).await,
        &["from_seq"],
    );
    assert_invalid(
        "read of 0 events",
        store.read("auction-1", 1, 0).await,
        &["max"],
    );
}

/// Reads larger than any single reply (12 events of 1 MiB) still return every event, in order.
pub async fn large_reads_return_every_event(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let a = owner("node-a", 1);
    claim_ok(store, "auction-1", &a, T0, false).await;
    let big = |seq: u64| vec![u8::try_from(seq).expect("small seq"); MAX_PAYLOAD_BYTES];
    for first in [1u64, 7] {
        let payloads = (first..first + 6).map(big).collect();
        store
            .append("auction-1", &a, 1, first, payloads)
            .await
            .expect("append 6 MiB");
    }
    let events = store.read("auction-1", 1, 100).await.expect("read 12 MiB");
    assert_eq!(events.len(), 12);
    assert_gap_free("auction-1", &events);
    for event in &events {
        assert!(
            event.payload == big(event.seq),
            "payload of event {} intact",
            event.seq
        );
    }
    let events = store.read("auction-1", 3, 4).await.expect("read 4 MiB");
    assert_eq!(
        events.iter().map(|event| event.seq).collect::<Vec<_>>(),
        vec![3, 4, 5, 6]
    );
}

/// Conditional writes: `Absent`, `Version` and `Any`, for put and delete, with the current version on conflict.
pub async fn records_compare_and_set(store: Arc<dyn Store>) {
    let store = store.as_ref();
    assert_eq!(store.get("users", "u1").await.expect("get"), None);
    assert_eq!(
        store
            .put("users", "u1", b"v1".to_vec(), Expect::Absent)
            .await,
        Ok(1),
        "create"
    );
    assert_eq!(
        store
            .put("users", "u1", b"again".to_vec(), Expect::Absent)
            .await,
        Err(PutError::Conflict { current: Some(1) }),
        "create over an existing record"
    );
    assert_eq!(
        store
            .put("users", "u1", b"v2".to_vec(), Expect::Version(1))
            .await,
        Ok(2),
        "update at version 1"
    );
    assert_eq!(
        store
            .put("users", "u1", b"stale".to_vec(), Expect::Version(1))
            .await,
        Err(PutError::Conflict { current: Some(2) }),
        "update at a stale version"
    );
    assert_eq!(
        store.put("users", "u1", b"v3".to_vec(), Expect::Any).await,
        Ok(3),
        "unconditional update"
    );
    let record = store
        .get("users", "u1")
        .await
        .expect("get")
        .expect("present");
    assert_eq!((record.version, record.value), (3, b"v3".to_vec()));
    assert_eq!(
        store
            .put("users", "u2", b"x".to_vec(), Expect::Version(5))
            .await,
        Err(PutError::Conflict { current: None }),
        "update of an absent record"
    );
    assert_eq!(
        store.put("users", "u2", b"x".to_vec(), Expect::Any).await,
        Ok(1),
        "unconditional create"
    );
    // The same key in another table is another record.
    assert_eq!(store.get("leagues", "u1").await.expect("get"), None);

    assert_eq!(
        store.delete("users", "u1", Expect::Version(2)).await,
        Err(PutError::Conflict { current: Some(3) }),
        "delete at a stale version"
    );
    assert_eq!(
        store.delete("users", "u1", Expect::Absent).await,
        Err(PutError::Conflict { current: Some(3) }),
        "delete expecting absence"
    );
    assert_eq!(
        store.delete("users", "u1", Expect::Version(3)).await,
        Ok(())
    );
    assert_eq!(store.get("users", "u1").await.expect("get"), None);
    assert_eq!(
        store.delete("users", "u1", Expect::Any).await,
        Ok(()),
        "deleting an absent record"
    );
    assert_eq!(
        store.delete("users", "u1", Expect::Absent).await,
        Ok(()),
        "deleting an absent record"
    );
    assert_eq!(
        store.delete("users", "u1", Expect::Version(3)).await,
        Err(PutError::Conflict { current: None }),
        "delete of an absent record at a version"
    );
    assert_eq!(
        store
            .put("users", "u1", b"new".to_vec(), Expect::Absent)
            .await,
        Ok(1),
        "re-created from 1"
    );
    assert_eq!(store.delete("users", "u2", Expect::Any).await, Ok(()));
    assert_eq!(store.get("users", "u2").await.expect("get"), None);
    // Empty values are values.
    assert_eq!(
        store
            .put("users", "empty", Vec::new(), Expect::Absent)
            .await,
        Ok(1)
    );
    assert_eq!(
        store
            .get("users", "empty")
            .await
            .expect("get")
            .expect("present")
            .value,
        Vec::<u8>::new()
    );
}

/// Scans return keys of one table in byte order, filtered by prefix, after the cursor, up to the limit.
pub async fn records_scan_in_key_order_with_prefix_and_cursor(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let keys = ["b", "a/2", "a", "a/10", "ab", "a/1", "é", "Z", "a/1/x"];
    for key in keys {
        store
            .put("t", key, key.as_bytes().to_vec(), Expect::Absent)
            .await
            .expect("put");
    }
    store
        .put("t2", "a/0", b"other table".to_vec(), Expect::Absent)
        .await
        .expect("put");
    store
        .put("s", "a/0", b"other table".to_vec(), Expect::Absent)
        .await
        .expect("put");
    let scan = |prefix: &'static str, start_after: Option<&'static str>, limit: usize| async move {
        store
            .scan("t", prefix, start_after, limit)
            .await
            .expect("scan")
            .into_iter()
            .map(|(key, record)| {
                assert_eq!(
                    record.value,
                    key.as_bytes(),
                    "scan returns the record of {key}"
                );
                key
            })
            .collect::<Vec<_>>()
    };
    let mut sorted: Vec<String> = keys.iter().map(|key| (*key).to_owned()).collect();
    sorted.sort();
    assert_eq!(
        scan("", None, 100).await,
        sorted,
        "whole table in byte order"
    );
    assert_eq!(
        scan("a/", None, 100).await,
        vec!["a/1", "a/1/x", "a/10", "a/2"]
    );
    assert_eq!(scan("a/", None, 2).await, vec!["a/1", "a/1/x"]);
    assert_eq!(scan("a/", Some("a/1/x"), 2).await, vec!["a/10", "a/2"]);
    assert_eq!(scan("a/", Some("a/2"), 2).await, Vec::<String>::new());
    assert_eq!(
        scan("a/", Some("0"), 1).await,
        vec!["a/1"],
        "a cursor before the prefix"
    );
    assert_eq!(
        scan("a/", Some("zzz"), 10).await,
        Vec::<String>::new(),
        "a cursor after the prefix"
    );
    assert_eq!(scan("", Some("a/2"), 3).await, vec!["ab", "b", "é"]);
    assert_eq!(scan("x", None, 10).await, Vec::<String>::new());
    // Paging through the whole table with the cursor visits every key once.
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = store
            .scan("t", "", cursor.as_deref(), 2)
            .await
            .expect("scan page");
        let done = page.len() < 2;
        paged.extend(page.into_iter().map(|(key, _)| key));
        cursor = paged.last().cloned();
        if done {
            break;
        }
    }
    assert_eq!(paged, sorted, "paging visits every key once");
    assert!(
        store
            .scan("empty-table", "", None, 10)
            .await
            .expect("scan")
            .is_empty()
    );
    assert_invalid(
        "scan limit 0",
        store.scan("t", "", None, 0).await,
        &["limit"],
    );
}

/// Concurrent read-modify-write loops with `Expect::Version` never lose an increment.
pub async fn concurrent_record_writers_never_lose_an_update(store: Arc<dyn Store>) {
    const WRITERS: usize = 8;
    const INCREMENTS: usize = 10;
    let mut tasks = Vec::new();
    for _ in 0..WRITERS {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let mut conflicts = 0usize;
            for _ in 0..INCREMENTS {
                loop {
                    let current = store.get("counters", "c").await.expect("get");
                    let (value, expect) = match &current {
                        Some(record) => {
                            let bytes: [u8; 8] =
                                record.value.as_slice().try_into().expect("8-byte counter");
                            (u64::from_be_bytes(bytes), Expect::Version(record.version))
                        }
                        None => (0, Expect::Absent),
                    };
                    match store
                        .put("counters", "c", (value + 1).to_be_bytes().to_vec(), expect)
                        .await
                    {
                        Ok(_) => break,
                        Err(PutError::Conflict { .. }) => conflicts += 1,
                        Err(error) => panic!("put: {error}"),
                    }
                }
            }
            conflicts
        }));
    }
    for task in tasks {
        task.await.expect("writer task");
    }
    let record = store
        .get("counters", "c")
        .await
        .expect("get")
        .expect("present");
    let bytes: [u8; 8] = record.value.as_slice().try_into().expect("8-byte counter");
    assert_eq!(
        u64::from_be_bytes(bytes),
        (WRITERS * INCREMENTS) as u64,
        "no increment lost"
    );
    assert_eq!(
        record.version,
        (WRITERS * INCREMENTS) as u64,
        "one version per successful write"
    );
}

/// Bad input fails with `InvalidInput` naming the problem; inputs exactly at the limits are accepted.
pub async fn invalid_input_is_refused_with_clear_errors(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let a = owner("node-a", 1);
    let long_id = "x".repeat(MAX_AUCTION_ID_BYTES + 1);
    let max_id = "x".repeat(MAX_AUCTION_ID_BYTES);
    let limit = MAX_AUCTION_ID_BYTES.to_string();
    claim_ok(store, "auction-1", &a, T0, false).await;

    assert_invalid(
        "empty auction id",
        store.append("", &a, 1, 1, vec![b"e".to_vec()]).await,
        &["auction id"],
    );
    assert_invalid(
        "long auction id",
        store.append(&long_id, &a, 1, 1, vec![b"e".to_vec()]).await,
        &["auction id", &limit],
    );
    assert_invalid(
        "seq 0",
        store
            .append("auction-1", &a, 1, 0, vec![b"e".to_vec()])
            .await,
        &["first_seq"],
    );
    assert_invalid(
        "epoch 0",
        store
            .append("auction-1", &a, 0, 1, vec![b"e".to_vec()])
            .await,
        &["epoch"],
    );
    assert_invalid(
        "no payloads",
        store.append("auction-1", &a, 1, 1, Vec::new()).await,
        &["payload"],
    );
    assert_invalid(
        "oversized payload",
        store
            .append("auction-1", &a, 1, 1, vec![vec![0; MAX_PAYLOAD_BYTES + 1]])
            .await,
        &["payload 0", &MAX_PAYLOAD_BYTES.to_string()],
    );
    assert_invalid(
        "empty owner node",
        store
            .append("auction-1", &owner("", 1), 1, 1, vec![b"e".to_vec()])
            .await,
        &["node"],
    );
    assert_invalid(
        "empty auction id",
        store.claim("", &a, T0, false).await,
        &["auction id"],
    );
    assert_invalid(
        "empty claimant node",
        store.claim("auction-1", &owner("", 1), T0, false).await,
        &["node"],
    );
    assert_invalid(
        "release at epoch 0",
        store.release("auction-1", &a, 0, T0).await,
        &["epoch"],
    );
    assert_invalid(
        "retire of a long id",
        store.retire(&long_id, &a, 1).await,
        &["auction id"],
    );
    assert_invalid(
        "last_seq of an empty id",
        store.last_seq("").await,
        &["auction id"],
    );
    assert_invalid(
        "ownership of an empty id",
        store.ownership("").await,
        &["auction id"],
    );
    assert_invalid(
        "read of an empty id",
        store.read("", 1, 1).await,
        &["auction id"],
    );
    let mut backwards = lease(&a, T0, T0 - 1);
    assert_invalid(
        "lease expiring before renewal",
        store.renew_lease(backwards.clone()).await,
        &["expires_at"],
    );
    backwards.node = String::new();
    backwards.expires_at = T0;
    assert_invalid(
        "lease without node",
        store.renew_lease(backwards).await,
        &["node"],
    );

    assert_invalid(
        "empty table",
        store.put("", "k", Vec::new(), Expect::Any).await,
        &["table"],
    );
    assert_invalid(
        "long table",
        store
            .put(
                &"t".repeat(MAX_TABLE_BYTES + 1),
                "k",
                Vec::new(),
                Expect::Any,
            )
            .await,
        &["table", &MAX_TABLE_BYTES.to_string()],
    );
    assert_invalid(
        "empty key",
        store.put("t", "", Vec::new(), Expect::Any).await,
        &["key"],
    );
    assert_invalid(
        "long key",
        store.get("t", &"k".repeat(MAX_KEY_BYTES + 1)).await,
        &["key", &MAX_KEY_BYTES.to_string()],
    );
    assert_invalid(
        "oversized value",
        store
            .put("t", "k", vec![0; MAX_VALUE_BYTES + 1], Expect::Any)
            .await,
        &["value", &MAX_VALUE_BYTES.to_string()],
    );
    assert_invalid(
        "version 0",
        store.put("t", "k", Vec::new(), Expect::Version(0)).await,
        &["Version(0)"],
    );
    assert_invalid(
        "delete at version 0",
        store.delete("t", "k", Expect::Version(0)).await,
        &["Version(0)"],
    );
    assert_invalid(
        "scan of an empty table name",
        store.scan("", "", None, 1).await,
        &["table"],
    );
    assert_invalid(
        "scan with a long prefix",
        store
            .scan("t", &"p".repeat(MAX_KEY_BYTES + 1), None, 1)
            .await,
        &["prefix"],
    );
    assert_eq!(
        store.last_seq("auction-1").await.expect("last_seq"),
        0,
        "nothing invalid was written"
    );
    assert!(
        store.get("t", "k").await.expect("get").is_none(),
        "nothing invalid was written"
    );

    // Exactly at the limits is fine.
    claim_ok(store, &max_id, &a, T0, false).await;
    store
        .append(&max_id, &a, 1, 1, vec![vec![7; MAX_PAYLOAD_BYTES]])
        .await
        .expect("1 MiB payload");
    let key = "k".repeat(MAX_KEY_BYTES);
    let table = "t".repeat(MAX_TABLE_BYTES);
    assert_eq!(
        store
            .put(&table, &key, vec![1; MAX_VALUE_BYTES], Expect::Absent)
            .await,
        Ok(1),
        "1 MiB value"
    );
    let record = store
        .get(&table, &key)
        .await
        .expect("get")
        .expect("present");
    assert_eq!(record.value.len(), MAX_VALUE_BYTES);
    let mut by_seq = BTreeMap::new();
    for event in read_all(store, &max_id).await {
        by_seq.insert(event.seq, event.payload.len());
    }
    assert_eq!(by_seq, BTreeMap::from([(1, MAX_PAYLOAD_BYTES)]));
}
