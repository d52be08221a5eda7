//! The redb tables of the embedded backend, their encodings, and the read helpers shared by read transactions
//! and the writer's write transaction.
//!
//! Layout (schema version [`SCHEMA_VERSION`], checked on open):
//! - `events`: `(auction, seq) -> (epoch, payload)`; one auction's log is a contiguous key range, so the last
//!   seq is one B-tree descent.
//! - `ownership`: `auction -> Ownership` (MessagePack, named fields).
//! - `leases`: `node -> NodeLease` (MessagePack, named fields).
//! - `records`: `(table, key) -> (version, value)`; tuple keys order by table, then key bytes, which gives scans
//!   their lexicographic order.
//! - `meta`: `"schema_version" -> u64`.

use crate::error::StoreError;
use crate::types::{NodeLease, Ownership, Record, Seq, StoredEvent};
use redb::{ReadableTable, TableDefinition};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::ops::Bound;

/// Key of the `events` table: (auction, seq).
pub(crate) type EventKey = (&'static str, u64);
/// Value of the `events` table: (epoch, payload).
pub(crate) type EventValue = (u64, &'static [u8]);
/// Key of the `records` table: (table, key).
pub(crate) type RecordKey = (&'static str, &'static str);
/// Value of the `records` table: (version, value).
pub(crate) type RecordValue = (u64, &'static [u8]);

pub(crate) const EVENTS: TableDefinition<EventKey, EventValue> = TableDefinition::new("events");
pub(crate) const OWNERSHIP: TableDefinition<&str, &[u8]> = TableDefinition::new("ownership");
pub(crate) const LEASES: TableDefinition<&str, &[u8]> = TableDefinition::new("leases");
pub(crate) const RECORDS: TableDefinition<RecordKey, RecordValue> = TableDefinition::new("records");
pub(crate) const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// Version of the layout above. Bump it (and migrate) on any incompatible change.
pub(crate) const SCHEMA_VERSION: u64 = 1;
pub(crate) const SCHEMA_VERSION_KEY: &str = "schema_version";

/// Any redb failure, as a store error: `Io` when the operating system refused, else `Backend`.
pub(crate) fn backend(error: impl Into<redb::Error>) -> StoreError {
    match error.into() {
        redb::Error::Io(error) => StoreError::Io(format!("redb: {error}")),
        other => StoreError::Backend(format!("redb: {other}")),
    }
}

pub(crate) fn encode<T: Serialize>(what: &str, value: &T) -> Result<Vec<u8>, StoreError> {
    rmp_serde::to_vec_named(value)
        .map_err(|error| StoreError::Backend(format!("encode {what}: {error}")))
}

pub(crate) fn decode<T: DeserializeOwned>(
    what: &str,
    key: &str,
    bytes: &[u8],
) -> Result<T, StoreError> {
    rmp_serde::from_slice(bytes)
        .map_err(|error| StoreError::Backend(format!("corrupt {what} row for {key:?}: {error}")))
}

/// Seq of the auction's last event (0 if none).
pub(crate) fn last_seq<T>(events: &T, auction: &str) -> Result<Seq, StoreError>
where
    T: ReadableTable<EventKey, EventValue>,
{
    let mut range = events
        .range((auction, 0u64)..=(auction, u64::MAX))
        .map_err(backend)?;
    match range.next_back() {
        Some(entry) => {
            let (key, _) = entry.map_err(backend)?;
            Ok(key.value().1)
        }
        None => Ok(0),
    }
}

/// Up to `max` events from `from_seq` on, in seq order.
pub(crate) fn read_events<T>(
    events: &T,
    auction: &str,
    from_seq: Seq,
    max: usize,
) -> Result<Vec<StoredEvent>, StoreError>
where
    T: ReadableTable<EventKey, EventValue>,
{
    let range = events
        .range((auction, from_seq)..=(auction, u64::MAX))
        .map_err(backend)?;
    let mut out = Vec::new();
    for entry in range.take(max) {
        let (key, value) = entry.map_err(backend)?;
        let (epoch, payload) = value.value();
        out.push(StoredEvent {
            seq: key.value().1,
            epoch,
            payload: payload.to_vec(),
        });
    }
    Ok(out)
}

pub(crate) fn load_ownership<T>(table: &T, auction: &str) -> Result<Option<Ownership>, StoreError>
where
    T: ReadableTable<&'static str, &'static [u8]>,
{
    match table.get(auction).map_err(backend)? {
        Some(guard) => decode("ownership", auction, guard.value()).map(Some),
        None => Ok(None),
    }
}

pub(crate) fn all_active<T>(table: &T) -> Result<Vec<(String, Ownership)>, StoreError>
where
    T: ReadableTable<&'static str, &'static [u8]>,
{
    let mut out = Vec::new();
    for entry in table.iter().map_err(backend)? {
        let (key, value) = entry.map_err(backend)?;
        let auction = key.value();
        let ownership: Ownership = decode("ownership", auction, value.value())?;
        if !ownership.retired {
            out.push((auction.to_owned(), ownership));
        }
    }
    Ok(out)
}

pub(crate) fn load_lease<T>(table: &T, node: &str) -> Result<Option<NodeLease>, StoreError>
where
    T: ReadableTable<&'static str, &'static [u8]>,
{
    match table.get(node).map_err(backend)? {
        Some(guard) => decode("lease", node, guard.value()).map(Some),
        None => Ok(None),
    }
}

pub(crate) fn all_leases<T>(table: &T) -> Result<Vec<NodeLease>, StoreError>
where
    T: ReadableTable<&'static str, &'static [u8]>,
{
    let mut out = Vec::new();
    for entry in table.iter().map_err(backend)? {
        let (key, value) = entry.map_err(backend)?;
        out.push(decode("lease", key.value(), value.value())?);
    }
    Ok(out)
}

pub(crate) fn load_record<T>(
    table: &T,
    record_table: &str,
    key: &str,
) -> Result<Option<Record>, StoreError>
where
    T: ReadableTable<RecordKey, RecordValue>,
{
    Ok(table
        .get((record_table, key))
        .map_err(backend)?
        .map(|guard| {
            let (version, value) = guard.value();
            Record {
                version,
                value: value.to_vec(),
            }
        }))
}

/// Version of the record at `record_table`/`key`, if any (without copying its value).
pub(crate) fn record_version<T>(
    table: &T,
    record_table: &str,
    key: &str,
) -> Result<Option<u64>, StoreError>
where
    T: ReadableTable<RecordKey, RecordValue>,
{
    Ok(table
        .get((record_table, key))
        .map_err(backend)?
        .map(|guard| guard.value().0))
}

/// Records of `record_table` whose key starts with `prefix` and sorts after `start_after`, up to `limit`, in key
/// order.
pub(crate) fn scan_records<T>(
    table: &T,
    record_table: &str,
    prefix: &str,
    start_after: Option<&str>,
    limit: usize,
) -> Result<Vec<(String, Record)>, StoreError>
where
    T: ReadableTable<RecordKey, RecordValue>,
{
    // Start at whichever lower bound is higher: the prefix itself (inclusive) or the cursor (exclusive).
    let lower = match start_after {
        Some(cursor) if cursor >= prefix => Bound::Excluded((record_table, cursor)),
        _ => Bound::Included((record_table, prefix)),
    };
    let range = table
        .range::<(&str, &str)>((lower, Bound::Unbounded))
        .map_err(backend)?;
    let mut out = Vec::new();
    for entry in range {
        if out.len() >= limit {
            break;
        }
        let (key, value) = entry.map_err(backend)?;
        let (entry_table, entry_key) = key.value();
        if entry_table != record_table || !entry_key.starts_with(prefix) {
            break;
        }
        let (version, value) = value.value();
        out.push((
            entry_key.to_owned(),
            Record {
                version,
                value: value.to_vec(),
            },
        ));
    }
    Ok(out)
}
