//! The CQL of the store: the schema (keyspace and tables, all `IF NOT EXISTS`), every statement the store
//! prepares, and the bucket function of the `active_auctions` index.
//!
//! Everything here is plain text built from the keyspace name, so it is checked by golden tests without a
//! server. The keyspace name is validated by [`crate::config::validate_keyspace`] (lowercase identifier), so it
//! is spliced in unquoted.

use crate::config::{Replication, Tablets};

/// Version of the table layout below, recorded in `store_meta` and checked on connect.
pub const SCHEMA_VERSION: i64 = 1;

/// Buckets of the `active_auctions` index. Part of the schema: changing it re-buckets every auction, which
/// needs a migration (a new schema version).
pub const ACTIVE_BUCKETS: i32 = 16;

/// `CREATE KEYSPACE IF NOT EXISTS …` with the given replication.
pub fn create_keyspace(keyspace: &str, replication: &Replication, tablets: Tablets) -> String {
    let tablets = match tablets {
        Tablets::Disabled => " AND tablets = {'enabled': false}",
        Tablets::ServerDefault => "",
    };
    format!(
        "CREATE KEYSPACE IF NOT EXISTS {keyspace} WITH replication = {} AND durable_writes = true{tablets}",
        replication.cql()
    )
}

/// `CREATE TABLE IF NOT EXISTS …` for every table of the store, in creation order.
pub fn create_tables(keyspace: &str) -> Vec<String> {
    vec![
        format!(
            "CREATE TABLE IF NOT EXISTS {keyspace}.auction_log (\
             auction text, \
             seq bigint, \
             epoch bigint, \
             payload blob, \
             owner_node text STATIC, \
             owner_incarnation bigint STATIC, \
             owner_epoch bigint STATIC, \
             released_at bigint STATIC, \
             retired boolean STATIC, \
             last_seq bigint STATIC, \
             PRIMARY KEY ((auction), seq)\
             ) WITH CLUSTERING ORDER BY (seq ASC)"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {keyspace}.active_auctions (\
             bucket int, \
             auction text, \
             PRIMARY KEY ((bucket), auction)\
             )"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {keyspace}.node_leases (\
             node text PRIMARY KEY, \
             incarnation bigint, \
             addr text, \
             renewed_at bigint, \
             expires_at bigint, \
             draining boolean\
             )"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {keyspace}.records (\
             table_name text, \
             record_key text, \
             version bigint, \
             value blob, \
             PRIMARY KEY ((table_name), record_key)\
             )"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {keyspace}.store_meta (\
             name text PRIMARY KEY, \
             value bigint\
             )"
        ),
    ]
}

/// The whole schema, keyspace first: what an operator applies by hand when the store runs with
/// `create_schema = false`.
pub fn create_statements(
    keyspace: &str,
    replication: &Replication,
    tablets: Tablets,
) -> Vec<String> {
    let mut statements = vec![create_keyspace(keyspace, replication, tablets)];
    statements.extend(create_tables(keyspace));
    statements.push(init_schema_version(keyspace));
    statements
}

/// Records [`SCHEMA_VERSION`] once (`IF NOT EXISTS`: a store never overwrites another version).
pub fn init_schema_version(keyspace: &str) -> String {
    format!(
        "INSERT INTO {keyspace}.store_meta (name, value) VALUES ('schema_version', {SCHEMA_VERSION}) IF NOT EXISTS"
    )
}

/// Reads the recorded schema version.
pub fn read_schema_version(keyspace: &str) -> String {
    format!("SELECT value FROM {keyspace}.store_meta WHERE name = 'schema_version'")
}

/// `DROP KEYSPACE IF EXISTS …` (tests only).
pub fn drop_keyspace(keyspace: &str) -> String {
    format!("DROP KEYSPACE IF EXISTS {keyspace}")
}

/// Every statement the store prepares, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statements {
    /// The auction's static (ownership) columns and `last_seq`; at most one row.
    pub read_statics: String,
    /// Events from a seq on, up to a limit.
    pub read_events: String,
    /// The fencing guard of an append, first statement of its batch: sets `last_seq` iff the caller is the
    /// live owner at its epoch and the slot follows `last_seq`.
    pub append_guard: String,
    /// One event row of an append batch.
    pub insert_event: String,
    /// The first claim of an auction (nobody ever owned it). Every ownership column is compared (all null) so
    /// that a lost race returns the whole ownership the winner wrote, on Cassandra as on ScyllaDB.
    pub claim_first: String,
    /// Every later claim: compare-and-set of the whole ownership the claimant decided on.
    pub claim_takeover: String,
    /// Release by the live owner.
    pub release: String,
    /// Retire by the live owner.
    pub retire: String,
    /// Add an auction to the `active_auctions` index.
    pub index_insert: String,
    /// Remove an auction from the index.
    pub index_delete: String,
    /// One bucket of the index.
    pub index_list: String,
    /// One node's lease.
    pub lease_read: String,
    /// Every lease (a full scan of a small table).
    pub lease_list: String,
    /// First lease of a node.
    pub lease_create: String,
    /// Replace a lease the store has seen (incarnation and renewal compared exactly).
    pub lease_replace: String,
    /// A record's version and value.
    pub record_get: String,
    /// A record's version only.
    pub record_version: String,
    /// Create a record at version 1 iff it is absent.
    pub record_create: String,
    /// Overwrite a record iff it is at the expected version.
    pub record_update: String,
    /// Delete a record iff it is at the expected version.
    pub record_delete: String,
    /// Scan: `record_key >= lower AND record_key < upper`.
    pub scan_from_until: String,
    /// Scan: `record_key > lower AND record_key < upper`.
    pub scan_after_until: String,
    /// Scan: `record_key >= lower`.
    pub scan_from: String,
    /// Scan: `record_key > lower`.
    pub scan_after: String,
}

const STATICS: &str = "owner_node, owner_incarnation, owner_epoch, released_at, retired, last_seq";
const LEASE_COLUMNS: &str = "node, incarnation, addr, renewed_at, expires_at, draining";
const OWNER_IS_LIVE_WRITER: &str = "owner_epoch = ? AND owner_node = ? AND owner_incarnation = ? \
                                    AND released_at = null AND retired = false";

impl Statements {
    /// The statements for tables in `keyspace`.
    pub fn new(keyspace: &str) -> Self {
        let log = format!("{keyspace}.auction_log");
        let index = format!("{keyspace}.active_auctions");
        let leases = format!("{keyspace}.node_leases");
        let records = format!("{keyspace}.records");
        let scan = |condition: &str| {
            format!(
                "SELECT record_key, version, value FROM {records} \
                 WHERE table_name = ? AND {condition} LIMIT ?"
            )
        };
        Self {
            read_statics: format!("SELECT {STATICS} FROM {log} WHERE auction = ? LIMIT 1"),
            read_events: format!(
                "SELECT seq, epoch, payload FROM {log} WHERE auction = ? AND seq >= ? LIMIT ?"
            ),
            append_guard: format!(
                "UPDATE {log} SET last_seq = ? WHERE auction = ? \
                 IF {OWNER_IS_LIVE_WRITER} AND last_seq = ?"
            ),
            insert_event: format!(
                "INSERT INTO {log} (auction, seq, epoch, payload) VALUES (?, ?, ?, ?)"
            ),
            claim_first: format!(
                "UPDATE {log} SET owner_node = ?, owner_incarnation = ?, owner_epoch = ?, \
                 released_at = null, retired = false, last_seq = 0 \
                 WHERE auction = ? IF owner_epoch = null AND owner_node = null \
                 AND owner_incarnation = null AND released_at = null AND retired = null"
            ),
            claim_takeover: format!(
                "UPDATE {log} SET owner_node = ?, owner_incarnation = ?, owner_epoch = ?, \
                 released_at = null, retired = false \
                 WHERE auction = ? IF owner_epoch = ? AND owner_node = ? AND owner_incarnation = ? \
                 AND released_at = ? AND retired = false"
            ),
            release: format!(
                "UPDATE {log} SET released_at = ? WHERE auction = ? \
                 IF owner_epoch = ? AND owner_node = ? AND owner_incarnation = ? AND released_at = null"
            ),
            retire: format!(
                "UPDATE {log} SET retired = true WHERE auction = ? IF {OWNER_IS_LIVE_WRITER}"
            ),
            index_insert: format!("INSERT INTO {index} (bucket, auction) VALUES (?, ?)"),
            index_delete: format!("DELETE FROM {index} WHERE bucket = ? AND auction = ?"),
            index_list: format!("SELECT auction FROM {index} WHERE bucket = ?"),
            lease_read: format!("SELECT {LEASE_COLUMNS} FROM {leases} WHERE node = ?"),
            lease_list: format!("SELECT {LEASE_COLUMNS} FROM {leases}"),
            lease_create: format!(
                "UPDATE {leases} SET incarnation = ?, addr = ?, renewed_at = ?, expires_at = ?, \
                 draining = ? WHERE node = ? IF incarnation = null"
            ),
            lease_replace: format!(
                "UPDATE {leases} SET incarnation = ?, addr = ?, renewed_at = ?, expires_at = ?, \
                 draining = ? WHERE node = ? IF incarnation = ? AND renewed_at = ?"
            ),
            record_get: format!(
                "SELECT version, value FROM {records} WHERE table_name = ? AND record_key = ?"
            ),
            record_version: format!(
                "SELECT version FROM {records} WHERE table_name = ? AND record_key = ?"
            ),
            record_create: format!(
                "UPDATE {records} SET version = 1, value = ? \
                 WHERE table_name = ? AND record_key = ? IF version = null"
            ),
            record_update: format!(
                "UPDATE {records} SET version = ?, value = ? \
                 WHERE table_name = ? AND record_key = ? IF version = ?"
            ),
            record_delete: format!(
                "DELETE FROM {records} WHERE table_name = ? AND record_key = ? IF version = ?"
            ),
            scan_from_until: scan("record_key >= ? AND record_key < ?"),
            scan_after_until: scan("record_key > ? AND record_key < ?"),
            scan_from: scan("record_key >= ?"),
            scan_after: scan("record_key > ?"),
        }
    }
}

/// The `active_auctions` bucket of an auction: FNV-1a (64-bit) of its id, modulo [`ACTIVE_BUCKETS`].
/// Stable across processes, platforms and releases (it is part of the stored data).
pub fn bucket_of(auction: &str) -> i32 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let hash = auction.bytes().fold(OFFSET, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    });
    // The remainder is below ACTIVE_BUCKETS (16), so it fits an i32.
    i32::try_from(hash % u64::from(ACTIVE_BUCKETS.unsigned_abs())).unwrap_or(0)
}

#[cfg(test)]
mod tests;
