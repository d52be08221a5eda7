//! Unit tests of `schema`.

use super::*;

#[test]
fn keyspace_statement_is_golden() {
    assert_eq!(
        create_keyspace("ks", &Replication::simple(1), Tablets::Disabled),
        "CREATE KEYSPACE IF NOT EXISTS ks WITH replication = {'class': 'SimpleStrategy', \
         'replication_factor': 1} AND durable_writes = true AND tablets = {'enabled': false}"
    );
    assert_eq!(
        create_keyspace(
            "prod",
            &Replication::network_topology([("eu-west", 3), ("us-east", 3)]),
            Tablets::ServerDefault
        ),
        "CREATE KEYSPACE IF NOT EXISTS prod WITH replication = {'class': 'NetworkTopologyStrategy', \
         'eu-west': 3, 'us-east': 3} AND durable_writes = true"
    );
}

#[test]
fn table_statements_are_golden() {
    assert_eq!(
        create_tables("ks"),
        vec![
            "CREATE TABLE IF NOT EXISTS ks.auction_log (auction text, seq bigint, epoch bigint, payload blob, \
             owner_node text STATIC, owner_incarnation bigint STATIC, owner_epoch bigint STATIC, \
             released_at bigint STATIC, retired boolean STATIC, last_seq bigint STATIC, \
             PRIMARY KEY ((auction), seq)) WITH CLUSTERING ORDER BY (seq ASC)"
                .to_owned(),
            "CREATE TABLE IF NOT EXISTS ks.active_auctions (bucket int, auction text, \
             PRIMARY KEY ((bucket), auction))"
                .to_owned(),
            "CREATE TABLE IF NOT EXISTS ks.node_leases (node text PRIMARY KEY, incarnation bigint, addr text, \
             renewed_at bigint, expires_at bigint, draining boolean)"
                .to_owned(),
            "CREATE TABLE IF NOT EXISTS ks.records (table_name text, record_key text, version bigint, \
             value blob, PRIMARY KEY ((table_name), record_key))"
                .to_owned(),
            "CREATE TABLE IF NOT EXISTS ks.store_meta (name text PRIMARY KEY, value bigint)".to_owned(),
        ]
    );
}

#[test]
fn every_schema_statement_is_idempotent() {
    let statements = create_statements("ks", &Replication::simple(3), Tablets::Disabled);
    assert_eq!(statements.len(), 7, "keyspace, five tables, schema version");
    for statement in &statements {
        assert!(
            statement.contains("IF NOT EXISTS"),
            "{statement} must be safe to run again"
        );
    }
    assert!(statements[0].starts_with("CREATE KEYSPACE"));
    assert_eq!(
        statements[6],
        "INSERT INTO ks.store_meta (name, value) VALUES ('schema_version', 1) IF NOT EXISTS"
    );
    assert_eq!(
        read_schema_version("ks"),
        "SELECT value FROM ks.store_meta WHERE name = 'schema_version'"
    );
    assert_eq!(drop_keyspace("ks"), "DROP KEYSPACE IF EXISTS ks");
}

#[test]
fn fenced_write_statements_are_golden() {
    let s = Statements::new("ks");
    assert_eq!(
        s.append_guard,
        "UPDATE ks.auction_log SET last_seq = ? WHERE auction = ? IF owner_epoch = ? AND owner_node = ? \
         AND owner_incarnation = ? AND released_at = null AND retired = false AND last_seq = ?"
    );
    assert_eq!(
        s.insert_event,
        "INSERT INTO ks.auction_log (auction, seq, epoch, payload) VALUES (?, ?, ?, ?)"
    );
    assert_eq!(
        s.claim_first,
        "UPDATE ks.auction_log SET owner_node = ?, owner_incarnation = ?, owner_epoch = ?, \
         released_at = null, retired = false, last_seq = 0 WHERE auction = ? IF owner_epoch = null \
         AND owner_node = null AND owner_incarnation = null AND released_at = null AND retired = null"
    );
    assert_eq!(
        s.claim_takeover,
        "UPDATE ks.auction_log SET owner_node = ?, owner_incarnation = ?, owner_epoch = ?, \
         released_at = null, retired = false WHERE auction = ? IF owner_epoch = ? AND owner_node = ? \
         AND owner_incarnation = ? AND released_at = ? AND retired = false"
    );
    assert_eq!(
        s.release,
        "UPDATE ks.auction_log SET released_at = ? WHERE auction = ? IF owner_epoch = ? AND owner_node = ? \
         AND owner_incarnation = ? AND released_at = null"
    );
    assert_eq!(
        s.retire,
        "UPDATE ks.auction_log SET retired = true WHERE auction = ? IF owner_epoch = ? AND owner_node = ? \
         AND owner_incarnation = ? AND released_at = null AND retired = false"
    );
    assert_eq!(
        s.lease_create,
        "UPDATE ks.node_leases SET incarnation = ?, addr = ?, renewed_at = ?, expires_at = ?, draining = ? \
         WHERE node = ? IF incarnation = null"
    );
    assert_eq!(
        s.lease_replace,
        "UPDATE ks.node_leases SET incarnation = ?, addr = ?, renewed_at = ?, expires_at = ?, draining = ? \
         WHERE node = ? IF incarnation = ? AND renewed_at = ?"
    );
    assert_eq!(
        s.record_create,
        "UPDATE ks.records SET version = 1, value = ? WHERE table_name = ? AND record_key = ? \
         IF version = null"
    );
    assert_eq!(
        s.record_update,
        "UPDATE ks.records SET version = ?, value = ? WHERE table_name = ? AND record_key = ? \
         IF version = ?"
    );
    assert_eq!(
        s.record_delete,
        "DELETE FROM ks.records WHERE table_name = ? AND record_key = ? IF version = ?"
    );
}

#[test]
fn read_statements_are_golden() {
    let s = Statements::new("ks");
    assert_eq!(
        s.read_statics,
        "SELECT owner_node, owner_incarnation, owner_epoch, released_at, retired, last_seq \
         FROM ks.auction_log WHERE auction = ? LIMIT 1"
    );
    assert_eq!(
        s.read_events,
        "SELECT seq, epoch, payload FROM ks.auction_log WHERE auction = ? AND seq >= ? LIMIT ?"
    );
    assert_eq!(
        s.index_list,
        "SELECT auction FROM ks.active_auctions WHERE bucket = ?"
    );
    assert_eq!(
        s.lease_list,
        "SELECT node, incarnation, addr, renewed_at, expires_at, draining FROM ks.node_leases"
    );
    assert_eq!(
        s.scan_from_until,
        "SELECT record_key, version, value FROM ks.records WHERE table_name = ? \
         AND record_key >= ? AND record_key < ? LIMIT ?"
    );
    assert_eq!(
        s.scan_after,
        "SELECT record_key, version, value FROM ks.records WHERE table_name = ? AND record_key > ? LIMIT ?"
    );
}

/// The number of bind markers of each statement is the number of values `backend.rs` binds to it.
#[test]
fn bind_marker_counts_match_the_bound_values() {
    let s = Statements::new("ks");
    let markers = |text: &str| text.matches('?').count();
    let expected = [
        (&s.read_statics, 1),
        (&s.read_events, 3),
        (&s.append_guard, 6),
        (&s.insert_event, 4),
        (&s.claim_first, 4),
        (&s.claim_takeover, 8),
        (&s.release, 5),
        (&s.retire, 4),
        (&s.index_insert, 2),
        (&s.index_delete, 2),
        (&s.index_list, 1),
        (&s.lease_read, 1),
        (&s.lease_list, 0),
        (&s.lease_create, 6),
        (&s.lease_replace, 8),
        (&s.record_get, 2),
        (&s.record_version, 2),
        (&s.record_create, 3),
        (&s.record_update, 5),
        (&s.record_delete, 3),
        (&s.scan_from_until, 4),
        (&s.scan_after_until, 4),
        (&s.scan_from, 3),
        (&s.scan_after, 3),
    ];
    for (statement, count) in expected {
        assert_eq!(markers(statement), count, "{statement}");
    }
}

/// Every write to the auction partition is conditional (an LWT), and all of them compare owner, epoch and
/// liveness, except the first claim which requires that nobody ever owned the auction.
#[test]
fn every_auction_write_is_fenced() {
    let s = Statements::new("ks");
    for statement in [&s.append_guard, &s.claim_takeover, &s.release, &s.retire] {
        assert!(
            statement.contains("IF owner_epoch = ? AND owner_node = ? AND owner_incarnation = ?"),
            "{statement}"
        );
    }
    assert!(s.claim_first.contains("IF owner_epoch = null AND"));
    // Only the guard carries conditions in an append batch; the event inserts ride on it.
    assert!(!s.insert_event.contains(" IF "));
}

#[test]
fn statements_use_the_keyspace() {
    let s = Statements::new("auction_store");
    let all = [
        &s.read_statics,
        &s.read_events,
        &s.append_guard,
        &s.insert_event,
        &s.claim_first,
        &s.claim_takeover,
        &s.release,
        &s.retire,
        &s.index_insert,
        &s.index_delete,
        &s.index_list,
        &s.lease_read,
        &s.lease_list,
        &s.lease_create,
        &s.lease_replace,
        &s.record_get,
        &s.record_version,
        &s.record_create,
        &s.record_update,
        &s.record_delete,
        &s.scan_from_until,
        &s.scan_after_until,
        &s.scan_from,
        &s.scan_after,
    ];
    for statement in all {
        assert!(statement.contains("auction_store."), "{statement}");
    }
}

#[test]
fn buckets_are_stable_fnv1a() {
    // Golden values: FNV-1a 64 of the UTF-8 bytes, modulo 16 (stored data depends on them).
    assert_eq!(bucket_of(""), 5);
    assert_eq!(bucket_of("a"), 12);
    assert_eq!(bucket_of("auction-1"), 4);
    assert_eq!(bucket_of("auction-10"), 12);
    assert_eq!(bucket_of("league-42/lot-7"), 1);
    assert_eq!(bucket_of("é"), 1);
}

#[test]
fn buckets_cover_the_range_evenly_enough() {
    let mut counts = [0usize; 16];
    for index in 0..16_000 {
        let bucket = bucket_of(&format!("auction-{index}"));
        assert!((0..ACTIVE_BUCKETS).contains(&bucket));
        counts[usize::try_from(bucket).expect("small bucket")] += 1;
    }
    for (bucket, count) in counts.iter().enumerate() {
        assert!(
            (800..1200).contains(count),
            "bucket {bucket} got {count} of 16,000 ids"
        );
    }
}
