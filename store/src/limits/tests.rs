//! Edge cases of the validation functions that the conformance suite does not reach through a store.

use super::*;

fn owner_id() -> OwnerId {
    OwnerId::new("node", 1)
}

fn message(result: Result<(), StoreError>) -> String {
    match result {
        Err(StoreError::InvalidInput(message)) => message,
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

#[test]
fn append_batches_are_bounded_in_count_and_bytes() {
    let too_many = vec![Vec::new(); MAX_APPEND_EVENTS + 1];
    assert!(
        message(append("a", &owner_id(), 1, 1, &too_many)).contains(&MAX_APPEND_EVENTS.to_string())
    );
    assert_eq!(
        append("a", &owner_id(), 1, 1, &vec![Vec::new(); MAX_APPEND_EVENTS]),
        Ok(())
    );
    let too_big = vec![vec![0u8; MAX_PAYLOAD_BYTES]; MAX_APPEND_BYTES / MAX_PAYLOAD_BYTES + 1];
    assert!(
        message(append("a", &owner_id(), 1, 1, &too_big)).contains(&MAX_APPEND_BYTES.to_string())
    );
    let just_fits = vec![vec![0u8; MAX_PAYLOAD_BYTES]; MAX_APPEND_BYTES / MAX_PAYLOAD_BYTES];
    assert_eq!(append("a", &owner_id(), 1, 1, &just_fits), Ok(()));
}

#[test]
fn sequence_overflow_is_refused() {
    let two = vec![Vec::new(), Vec::new()];
    assert!(message(append("a", &owner_id(), 1, u64::MAX - 1, &two)).contains("overflows"));
    assert_eq!(append("a", &owner_id(), 1, u64::MAX - 2, &two), Ok(()));
}

#[test]
fn a_full_append_fits_in_one_frame() {
    // The worst case the limits allow must stay well inside the frame limit, with room for the envelope.
    let per_event_overhead = 8;
    let worst = MAX_APPEND_BYTES
        + MAX_APPEND_EVENTS * per_event_overhead
        + MAX_AUCTION_ID_BYTES
        + MAX_NODE_BYTES;
    assert!(worst + 1024 < MAX_FRAME_BYTES);
}

#[test]
fn lease_address_is_bounded() {
    let lease = NodeLease {
        node: "n".to_owned(),
        incarnation: 1,
        addr: "x".repeat(MAX_ADDR_BYTES + 1),
        renewed_at: 0,
        expires_at: 0,
        draining: false,
    };
    assert!(message(super::lease(&lease)).contains("address"));
}

#[test]
fn scan_cursor_is_bounded() {
    let cursor = "c".repeat(MAX_KEY_BYTES + 1);
    assert!(message(scan("t", "", Some(&cursor), 1)).contains("start_after"));
    assert_eq!(scan("t", "", Some(&"c".repeat(MAX_KEY_BYTES)), 1), Ok(()));
}
