//! LWT outcomes built from synthetic rows shaped like ScyllaDB's answers (every compared column, with the
//! pre-statement values) and like Cassandra's (only `[applied]` on success).

use super::*;
use store::StoreError;

const T0: i64 = 1_750_000_000_000;

fn owner(node: &str, incarnation: u64) -> OwnerId {
    OwnerId::new(node, incarnation)
}

/// The columns ScyllaDB returns for the append guard / release / retire / claims on `auction_log`:
/// `[applied]`, the primary key, then the compared static columns.
fn log_row(
    applied: bool,
    owner: Option<(&str, i64)>,
    epoch: Option<i64>,
    released_at: Option<i64>,
    retired: Option<bool>,
    last_seq: Option<i64>,
) -> LwtOutcome {
    LwtOutcome::from_columns(vec![
        (APPLIED.to_owned(), Some(CqlValue::Boolean(applied))),
        (
            "auction".to_owned(),
            Some(CqlValue::Text("auction-1".to_owned())),
        ),
        ("seq".to_owned(), None),
        ("owner_epoch".to_owned(), epoch.map(CqlValue::BigInt)),
        (
            "owner_node".to_owned(),
            owner.map(|(node, _)| CqlValue::Text(node.to_owned())),
        ),
        (
            "owner_incarnation".to_owned(),
            owner.map(|(_, incarnation)| CqlValue::BigInt(incarnation)),
        ),
        ("released_at".to_owned(), released_at.map(CqlValue::BigInt)),
        ("retired".to_owned(), retired.map(CqlValue::Boolean)),
        ("last_seq".to_owned(), last_seq.map(CqlValue::BigInt)),
    ])
    .expect("well-formed outcome")
}

fn live(epoch: i64, last_seq: i64) -> LwtOutcome {
    log_row(
        false,
        Some(("node-a", 1)),
        Some(epoch),
        None,
        Some(false),
        Some(last_seq),
    )
}

#[test]
fn applied_is_required_and_boolean() {
    assert!(LwtOutcome::from_columns(vec![]).is_err());
    assert!(LwtOutcome::from_columns(vec![(APPLIED.to_owned(), Some(CqlValue::Int(1)))]).is_err());
    assert!(LwtOutcome::from_columns(vec![(APPLIED.to_owned(), None)]).is_err());
    let cassandra_success =
        LwtOutcome::from_columns(vec![(APPLIED.to_owned(), Some(CqlValue::Boolean(true)))])
            .expect("outcome");
    assert!(cassandra_success.applied);
    assert_eq!(cassandra_success.statics(), Ok(None));
}

#[test]
fn columns_are_read_by_name_with_types_checked() {
    let outcome = live(3, 9);
    assert_eq!(outcome.bigint("owner_epoch"), Ok(Some(3)));
    assert_eq!(outcome.text("owner_node"), Ok(Some("node-a".to_owned())));
    assert_eq!(outcome.boolean("retired"), Ok(Some(false)));
    assert_eq!(outcome.bigint("released_at"), Ok(None), "null");
    assert_eq!(outcome.bigint("not_returned"), Ok(None), "missing");
    assert!(outcome.bigint("owner_node").is_err(), "wrong type");
    assert!(outcome.text("owner_epoch").is_err());
    assert!(outcome.boolean("last_seq").is_err());
}

#[test]
fn append_applied() {
    let applied = log_row(
        true,
        Some(("node-a", 1)),
        Some(1),
        None,
        Some(false),
        Some(4),
    );
    assert_eq!(applied.append_result(&owner("node-a", 1), 1, 5), Ok(()));
}

#[test]
fn append_on_a_never_claimed_auction_is_fenced_at_epoch_zero() {
    let nothing = log_row(false, None, None, None, None, None);
    assert_eq!(
        nothing.append_result(&owner("node-a", 1), 1, 1),
        Err(AppendError::Fenced { current_epoch: 0 })
    );
}

#[test]
fn append_losing_the_slot_is_a_seq_conflict() {
    // Two appenders raced for seq 6: the winner moved last_seq to 6.
    assert_eq!(
        live(1, 6).append_result(&owner("node-a", 1), 1, 6),
        Err(AppendError::SeqConflict { last_seq: 6 })
    );
    // A gap.
    assert_eq!(
        live(1, 5).append_result(&owner("node-a", 1), 1, 9),
        Err(AppendError::SeqConflict { last_seq: 5 })
    );
}

#[test]
fn append_by_a_stale_owner_is_fenced_even_if_the_slot_also_moved() {
    let taken_over = log_row(
        false,
        Some(("node-b", 1)),
        Some(2),
        None,
        Some(false),
        Some(8),
    );
    assert_eq!(
        taken_over.append_result(&owner("node-a", 1), 1, 6),
        Err(AppendError::Fenced { current_epoch: 2 })
    );
    let released = log_row(
        false,
        Some(("node-a", 1)),
        Some(1),
        Some(T0),
        Some(false),
        Some(5),
    );
    assert_eq!(
        released.append_result(&owner("node-a", 1), 1, 6),
        Err(AppendError::Fenced { current_epoch: 1 })
    );
    let retired = log_row(
        false,
        Some(("node-a", 1)),
        Some(1),
        None,
        Some(true),
        Some(5),
    );
    assert_eq!(
        retired.append_result(&owner("node-a", 1), 1, 6),
        Err(AppendError::Fenced { current_epoch: 1 })
    );
    // Incarnations are compared bit-for-bit.
    let big = log_row(
        false,
        Some(("node-a", -1)),
        Some(1),
        None,
        Some(false),
        Some(5),
    );
    assert_eq!(
        big.append_result(&owner("node-a", 1), 1, 6),
        Err(AppendError::Fenced { current_epoch: 1 })
    );
    assert!(matches!(
        big.append_result(&owner("node-a", u64::MAX), 1, 6),
        Err(AppendError::Store(StoreError::Backend(_)))
    ));
}

#[test]
fn undecodable_append_answer_is_outcome_unknown() {
    let garbage = LwtOutcome::from_columns(vec![
        (APPLIED.to_owned(), Some(CqlValue::Boolean(false))),
        (
            "owner_epoch".to_owned(),
            Some(CqlValue::Text("x".to_owned())),
        ),
    ])
    .expect("outcome");
    assert!(matches!(
        garbage.append_result(&owner("node-a", 1), 1, 1),
        Err(AppendError::Store(StoreError::Unavailable(_)))
    ));
}

#[test]
fn release_outcomes() {
    let a = owner("node-a", 1);
    assert_eq!(
        log_row(true, None, None, None, None, None).release_result(&a, 1),
        Ok(())
    );
    let released = log_row(
        false,
        Some(("node-a", 1)),
        Some(1),
        Some(T0),
        Some(false),
        Some(2),
    );
    assert_eq!(released.release_result(&a, 1), Ok(()), "idempotent");
    assert_eq!(
        released.release_result(&owner("node-b", 1), 1),
        Err(AppendError::Fenced { current_epoch: 1 })
    );
    assert_eq!(
        log_row(false, None, None, None, None, None).release_result(&a, 1),
        Err(AppendError::Fenced { current_epoch: 0 })
    );
    assert_eq!(
        live(2, 0).release_result(&a, 1),
        Err(AppendError::Fenced { current_epoch: 2 })
    );
}

#[test]
fn retire_outcomes() {
    let a = owner("node-a", 1);
    let retired = log_row(
        false,
        Some(("node-a", 1)),
        Some(1),
        None,
        Some(true),
        Some(2),
    );
    assert_eq!(retired.retire_result(&a, 1), Ok(()), "idempotent");
    assert_eq!(
        retired.retire_result(&a, 2),
        Err(AppendError::Fenced { current_epoch: 1 })
    );
    let released = log_row(
        false,
        Some(("node-a", 1)),
        Some(1),
        Some(T0),
        Some(false),
        Some(2),
    );
    assert_eq!(
        released.retire_result(&a, 1),
        Err(AppendError::Fenced { current_epoch: 1 }),
        "retire after release"
    );
}

#[test]
fn lease_and_record_versions() {
    let lease = LwtOutcome::from_columns(vec![
        (APPLIED.to_owned(), Some(CqlValue::Boolean(false))),
        ("node".to_owned(), Some(CqlValue::Text("node-a".to_owned()))),
        ("incarnation".to_owned(), Some(CqlValue::BigInt(2))),
        ("renewed_at".to_owned(), Some(CqlValue::BigInt(T0))),
    ])
    .expect("outcome");
    assert_eq!(
        lease.lease_version(),
        Ok(Some(LeaseVersion {
            incarnation: 2,
            renewed_at: Some(T0)
        }))
    );
    let no_lease = LwtOutcome::from_columns(vec![
        (APPLIED.to_owned(), Some(CqlValue::Boolean(false))),
        ("incarnation".to_owned(), None),
    ])
    .expect("outcome");
    assert_eq!(no_lease.lease_version(), Ok(None));

    let record = LwtOutcome::from_columns(vec![
        (APPLIED.to_owned(), Some(CqlValue::Boolean(false))),
        (
            "table_name".to_owned(),
            Some(CqlValue::Text("users".to_owned())),
        ),
        (
            "record_key".to_owned(),
            Some(CqlValue::Text("u1".to_owned())),
        ),
        ("version".to_owned(), Some(CqlValue::BigInt(3))),
    ])
    .expect("outcome");
    assert_eq!(record.record_version(), Ok(Some(3)));
    let absent = LwtOutcome::from_columns(vec![
        (APPLIED.to_owned(), Some(CqlValue::Boolean(false))),
        ("version".to_owned(), None),
    ])
    .expect("outcome");
    assert_eq!(absent.record_version(), Ok(None));
}

/// A claimant that lost the first-claim race decides again on what the failed LWT returned: the winner, whose
/// live lease makes the loser's answer `Owned` without another read of the auction.
#[test]
fn a_lost_first_claim_returns_the_winner() {
    use crate::decide::{ClaimStep, decide_claim, lease_needed};
    use store::{ClaimError, NodeLease};
    let lost = log_row(
        false,
        Some(("node-07", 1)),
        Some(1),
        None,
        Some(false),
        None,
    );
    let current = lost
        .statics()
        .expect("decodable")
        .map(|statics| statics.ownership);
    let loser = owner("node-03", 1);
    let winner = owner("node-07", 1);
    assert_eq!(lease_needed(current.as_ref(), &loser), Some(&winner));
    let lease = NodeLease {
        node: "node-07".to_owned(),
        incarnation: 1,
        addr: "127.0.0.1:7007".to_owned(),
        renewed_at: T0,
        expires_at: T0 + 10_000,
        draining: false,
    };
    assert_eq!(
        decide_claim(
            "auction-1",
            current.as_ref(),
            Some(&lease),
            &loser,
            T0 + 1,
            false
        ),
        ClaimStep::Done(Err(ClaimError::Owned {
            owner: winner,
            lease_expires_at: T0 + 10_000
        }))
    );
}
