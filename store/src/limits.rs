//! Input limits and the validation every backend applies before touching storage.
//!
//! Limits keep every request and every reply well inside one wire frame ([`MAX_FRAME_BYTES`]) and make bad
//! input fail early with a message that names the offending field and the limit. Backends call these functions
//! first; the remote client calls them too, so a bad request fails without a round trip and can never produce
//! an oversized frame.

use crate::error::StoreError;
use crate::types::{Epoch, Expect, NodeLease, OwnerId, Seq};

/// Longest auction id, in bytes.
pub const MAX_AUCTION_ID_BYTES: usize = 128;
/// Longest node name, in bytes.
pub const MAX_NODE_BYTES: usize = 128;
/// Longest node address in a lease, in bytes.
pub const MAX_ADDR_BYTES: usize = 256;
/// Longest record table name, in bytes.
pub const MAX_TABLE_BYTES: usize = 128;
/// Longest record key (and scan prefix / cursor), in bytes.
pub const MAX_KEY_BYTES: usize = 512;
/// Largest record value, in bytes (1 MiB).
pub const MAX_VALUE_BYTES: usize = 1024 * 1024;
/// Largest single event payload, in bytes (1 MiB).
pub const MAX_PAYLOAD_BYTES: usize = 1024 * 1024;
/// Most events in one append.
pub const MAX_APPEND_EVENTS: usize = 10_000;
/// Largest total payload size of one append, in bytes (8 MiB).
pub const MAX_APPEND_BYTES: usize = 8 * 1024 * 1024;
/// Largest wire frame of the remote protocol, in bytes (16 MiB).
pub const MAX_FRAME_BYTES: usize = 16 * 1024 * 1024;

fn invalid(message: String) -> StoreError {
    StoreError::InvalidInput(message)
}

fn check_name(what: &str, value: &str, max: usize) -> Result<(), StoreError> {
    if value.is_empty() {
        return Err(invalid(format!("{what} must not be empty")));
    }
    if value.len() > max {
        return Err(invalid(format!(
            "{what} is {} bytes, the limit is {max} bytes",
            value.len()
        )));
    }
    Ok(())
}

/// An auction id: 1..=[`MAX_AUCTION_ID_BYTES`] bytes.
pub fn auction_id(auction: &str) -> Result<(), StoreError> {
    check_name("auction id", auction, MAX_AUCTION_ID_BYTES)
}

/// An owner: node name 1..=[`MAX_NODE_BYTES`] bytes.
pub fn owner(owner: &OwnerId) -> Result<(), StoreError> {
    check_name("owner node name", &owner.node, MAX_NODE_BYTES)
}

/// An epoch presented by an owner: ≥ 1.
pub fn epoch(epoch: Epoch) -> Result<(), StoreError> {
    if epoch == 0 {
        return Err(invalid(
            "epoch must be at least 1 (epochs start at 1 on the first claim)".to_owned(),
        ));
    }
    Ok(())
}

/// Everything about an append request.
pub fn append(
    auction: &str,
    owner_id: &OwnerId,
    epoch_value: Epoch,
    first_seq: Seq,
    payloads: &[Vec<u8>],
) -> Result<(), StoreError> {
    auction_id(auction)?;
    owner(owner_id)?;
    epoch(epoch_value)?;
    if first_seq == 0 {
        return Err(invalid(
            "first_seq must be at least 1 (an auction's first event has seq 1)".to_owned(),
        ));
    }
    if payloads.is_empty() {
        return Err(invalid("an append needs at least one payload".to_owned()));
    }
    if payloads.len() > MAX_APPEND_EVENTS {
        return Err(invalid(format!(
            "an append of {} events exceeds the limit of {MAX_APPEND_EVENTS} events",
            payloads.len()
        )));
    }
    let mut total: usize = 0;
    for (index, payload) in payloads.iter().enumerate() {
        if payload.len() > MAX_PAYLOAD_BYTES {
            return Err(invalid(format!(
                "payload {index} is {} bytes, the limit is {MAX_PAYLOAD_BYTES} bytes",
                payload.len()
            )));
        }
        total = total.saturating_add(payload.len());
    }
    if total > MAX_APPEND_BYTES {
        return Err(invalid(format!(
            "an append of {total} payload bytes exceeds the limit of {MAX_APPEND_BYTES} bytes"
        )));
    }
    let count = u64::try_from(payloads.len()).unwrap_or(u64::MAX);
    if first_seq.checked_add(count).is_none() {
        return Err(invalid(format!(
            "first_seq {first_seq} plus {count} events overflows the sequence space"
        )));
    }
    Ok(())
}

/// A read request.
pub fn read(auction: &str, from_seq: Seq, max: usize) -> Result<(), StoreError> {
    auction_id(auction)?;
    if from_seq == 0 {
        return Err(invalid(
            "from_seq must be at least 1 (an auction's first event has seq 1)".to_owned(),
        ));
    }
    if max == 0 {
        return Err(invalid("max must be at least 1".to_owned()));
    }
    Ok(())
}

/// A lease to store.
pub fn lease(lease: &NodeLease) -> Result<(), StoreError> {
    check_name("lease node name", &lease.node, MAX_NODE_BYTES)?;
    if lease.addr.len() > MAX_ADDR_BYTES {
        return Err(invalid(format!(
            "lease address is {} bytes, the limit is {MAX_ADDR_BYTES} bytes",
            lease.addr.len()
        )));
    }
    if lease.expires_at < lease.renewed_at {
        return Err(invalid(format!(
            "lease expires_at ({}) is before renewed_at ({})",
            lease.expires_at, lease.renewed_at
        )));
    }
    Ok(())
}

/// A record table and key.
pub fn record_key(table: &str, key: &str) -> Result<(), StoreError> {
    check_name("table name", table, MAX_TABLE_BYTES)?;
    check_name("record key", key, MAX_KEY_BYTES)
}

/// A record write condition.
pub fn expect(expect: Expect) -> Result<(), StoreError> {
    if expect == Expect::Version(0) {
        return Err(invalid(
            "Expect::Version(0) can never match (versions start at 1); use Expect::Absent"
                .to_owned(),
        ));
    }
    Ok(())
}

/// A record value.
pub fn value(value: &[u8]) -> Result<(), StoreError> {
    if value.len() > MAX_VALUE_BYTES {
        return Err(invalid(format!(
            "value is {} bytes, the limit is {MAX_VALUE_BYTES} bytes",
            value.len()
        )));
    }
    Ok(())
}

/// A scan request.
pub fn scan(
    table: &str,
    prefix: &str,
    start_after: Option<&str>,
    limit: usize,
) -> Result<(), StoreError> {
    check_name("table name", table, MAX_TABLE_BYTES)?;
    if prefix.len() > MAX_KEY_BYTES {
        return Err(invalid(format!(
            "scan prefix is {} bytes, the limit is {MAX_KEY_BYTES} bytes",
            prefix.len()
        )));
    }
    if let Some(cursor) = start_after
        && cursor.len() > MAX_KEY_BYTES
    {
        return Err(invalid(format!(
            "scan start_after is {} bytes, the limit is {MAX_KEY_BYTES} bytes",
            cursor.len()
        )));
    }
    if limit == 0 {
        return Err(invalid("scan limit must be at least 1".to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
