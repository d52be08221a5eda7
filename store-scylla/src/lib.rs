//! The production store: [`ScyllaStore`] implements `store::EventLog` and `store::RecordStore` (hence
//! `store::Store`) on ScyllaDB, with the semantics of the embedded backend (`store::EmbeddedStore`, the
//! reference), checked by the same conformance suite.
//!
//! # Use
//!
//! ```no_run
//! # async fn example() -> Result<(), store::StoreError> {
//! use std::sync::Arc;
//! use store_scylla::{Replication, ScyllaConfig, ScyllaStore};
//!
//! let mut config = ScyllaConfig::new(["scylla-0.scylla:9042", "scylla-1.scylla:9042"], "auction_store");
//! config.replication = Replication::network_topology([("dc1", 3)]);
//! let store: Arc<dyn store::Store> = Arc::new(ScyllaStore::connect(config).await?);
//! # Ok(()) }
//! ```
//!
//! The same config as a store location: `scylla:scylla-0.scylla:9042,scylla-1.scylla:9042/auction_store?replication=nts:dc1=3`
//! ([`ScyllaConfig::parse`] reads the part after `scylla:`).
//!
//! `connect` connects eagerly (the driver has no lazy session): with no reachable node it fails at once with
//! `StoreError::Unavailable`, and the caller retries. TLS is not compiled in; a cluster reached over an
//! untrusted network needs the driver's `rustls-023` feature and a session built with `tls_context`, passed to
//! [`ScyllaStore::with_session`] (which is also the way to add authentication).
//!
//! # Schema
//!
//! Created by `connect` when `create_schema` is set (every statement `IF NOT EXISTS`, so it is idempotent), or
//! by an operator from [`schema::create_statements`]. `store_meta` records [`schema::SCHEMA_VERSION`], which
//! `connect` checks.
//!
//! ```text
//! CREATE KEYSPACE IF NOT EXISTS ks WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3}
//!     AND durable_writes = true AND tablets = {'enabled': false};
//!
//! -- One partition per auction: the events (clustering by seq) plus, as STATIC columns, who owns the log
//! -- and its last seq. Appends, claims, releases and retires are all LWTs on this single partition.
//! CREATE TABLE IF NOT EXISTS ks.auction_log (
//!     auction text, seq bigint, epoch bigint, payload blob,
//!     owner_node text STATIC, owner_incarnation bigint STATIC, owner_epoch bigint STATIC,
//!     released_at bigint STATIC, retired boolean STATIC, last_seq bigint STATIC,
//!     PRIMARY KEY ((auction), seq)
//! ) WITH CLUSTERING ORDER BY (seq ASC);
//!
//! -- Claimed auctions (retired ones are removed), spread over 16 buckets by FNV-1a(auction) % 16 so that
//! -- listing is 16 bounded partition reads.
//! CREATE TABLE IF NOT EXISTS ks.active_auctions (bucket int, auction text, PRIMARY KEY ((bucket), auction));
//!
//! CREATE TABLE IF NOT EXISTS ks.node_leases (
//!     node text PRIMARY KEY, incarnation bigint, addr text, renewed_at bigint, expires_at bigint,
//!     draining boolean);
//!
//! -- One partition per record table, clustering by key (text sorts by UTF-8 bytes = the ports' order).
//! CREATE TABLE IF NOT EXISTS ks.records (
//!     table_name text, record_key text, version bigint, value blob,
//!     PRIMARY KEY ((table_name), record_key));
//!
//! CREATE TABLE IF NOT EXISTS ks.store_meta (name text PRIMARY KEY, value bigint);
//! ```
//!
//! Epochs, incarnations and record versions are `u64`s stored bit-for-bit in `bigint`s (ScyllaDB only compares
//! them for equality); seqs are ordered clustering keys and so must stay ≤ `i64::MAX` (an append beyond that is
//! `InvalidInput`; that is the only input this backend refuses and the embedded one accepts).
//!
//! # Operations
//!
//! Every call validates with `store::limits` first, exactly like the other backends. "LWT" is a conditional
//! statement (Paxos); when it is not applied, ScyllaDB returns the current values of the compared columns,
//! read in the same Paxos round, and the crate's `decide` module turns them into the refusal the embedded backend gives.
//!
//! - **append**: one conditional batch on the auction's partition (an LWT requires a single partition), the
//!   guard first:
//!   `UPDATE auction_log SET last_seq = <last> WHERE auction = ? IF owner_epoch = ? AND owner_node = ? AND
//!   owner_incarnation = ? AND released_at = null AND retired = false AND last_seq = <first_seq - 1>`, then one
//!   `INSERT INTO auction_log (auction, seq, epoch, payload)` per event. All or nothing. Not applied →
//!   never claimed: `Fenced { 0 }`; not the live owner at that epoch: `Fenced { owner_epoch }` (fencing wins);
//!   else `SeqConflict { last_seq }`.
//!   *Size*: `store::limits` caps an append at 10,000 events and 8 MiB of payload. ScyllaDB's
//!   `batch_size_warn_threshold_in_kb` (128 KiB) and `batch_size_fail_threshold_in_kb` (1 MiB) apply only to
//!   batches spanning several partitions (and the conditional path does not check them at all), so this batch
//!   is neither warned about nor refused. What does bound it: one mutation must fit in half a commitlog segment
//!   (`commitlog_segment_size_in_mb`, 32 → 16 MiB), and an LWT's mutation is also written to the Paxos state
//!   table, so a maximal append costs about twice 8 MiB of writes; payloads ≥ 1 MiB also show up as large-cell
//!   warnings (`compaction_large_cell_warning_threshold_mb`). ScyllaDB answers a conditional batch with one row
//!   per statement, so a 10,000-event append returns ~10,000 small rows. Typical appends (1–3 events of
//!   ~200 bytes) are far from all of this.
//! - **read**: `SELECT seq, epoch, payload … WHERE auction = ? AND seq >= ? LIMIT ?`, paged, at `QUORUM`.
//! - **last_seq**: the `last_seq` static at `SERIAL` (0 if absent).
//! - **claim**: read the statics at `SERIAL`; if the owner is live, unreleased and not the claimant, read its
//!   node's lease at `SERIAL`; decide exactly like the embedded `apply_claim`: no owner → epoch 1;
//!   retired → `Retired`; the claimant itself, unreleased → the same epoch, nothing written; released → take
//!   over with `alive_until = released_at`; lease of the owner's incarnation unexpired and not `force` →
//!   `Owned`; else take over with `alive_until` = that lease's `renewed_at` (`None` without one). A takeover
//!   first inserts the auction into `active_auctions`, then writes
//!   `UPDATE … SET owner_node, owner_incarnation, owner_epoch = <next>, released_at = null, retired = false
//!   IF owner_epoch = ? AND owner_node = ? AND owner_incarnation = ? AND released_at = ? AND retired = false`
//!   (every input of the decision; the first claim compares every ownership column with `null` and also sets
//!   `last_seq = 0`). Not applied → someone changed the ownership meanwhile: decide again on the ownership the
//!   failed LWT returned (read in its Paxos round, so no extra read), at most [`MAX_CAS_ATTEMPTS`] times (then
//!   `Unavailable`, nothing written). Concurrent claimants therefore get exactly one winner and the others see
//!   it as `Owned`.
//! - **release**: `UPDATE … SET released_at = ? IF owner_epoch = ? AND owner_node = ? AND owner_incarnation = ?
//!   AND released_at = null`. Not applied → the owner at that epoch with `released_at` set: `Ok` (the first
//!   release time is kept); else `Fenced`. Retired auctions can still be released, as in the embedded backend.
//! - **retire**: `UPDATE … SET retired = true IF <live owner at epoch>`. Not applied → already retired by that
//!   owner and epoch: `Ok`; else `Fenced`. Then the auction is removed from `active_auctions` (best effort).
//! - **ownership**: the statics at `QUORUM`. **active_auctions**: the 16 index buckets (paged, concurrently),
//!   then the ownership of each listed auction (32 reads in flight), keeping claimed, unretired ones, by id.
//! - **renew_lease**: decide like the embedded backend (a higher stored incarnation → `Superseded`; the same
//!   incarnation with a newer `renewed_at` → `Ok`, ignored; else write) against the last version this process
//!   saw, then write `UPDATE node_leases SET … IF incarnation = <seen> AND renewed_at = <seen>` (or
//!   `IF incarnation = null` for a node without lease). Not applied → the LWT returns the stored version:
//!   decide again on it. Refusals decided on a hint are confirmed with a `SERIAL` read first. (A plain
//!   `IF incarnation <= ?` cannot express "same incarnation and not older", and under LWT null rules
//!   `null <= x` is an error, not false.) Steady state: one LWT per renewal.
//! - **leases**: a paged scan of `node_leases` (one row per node), sorted by node.
//! - **get**: `QUORUM` read. **put**: `Absent` → `UPDATE records SET version = 1, value = ? … IF version =
//!   null`; `Version(v)` → `SET version = v + 1 … IF version = v`; `Any` → the same two statements against the
//!   version read at `QUORUM`, retried with the version each failed LWT returns. Not applied →
//!   `Conflict { current }` from the returned version. **delete**: `Version(v)` → `DELETE … IF version = v`;
//!   `Any` → the same against the current version (absent: `Ok`, nothing written); `Absent` → a `SERIAL` read
//!   (absent: `Ok`; present: `Conflict`). `IF version = null` instead of `IF NOT EXISTS`/`IF EXISTS` keeps the
//!   LWT answer small: ScyllaDB returns every column (up to 1 MiB of value) for `EXISTS` conditions.
//! - **scan**: `SELECT record_key, version, value … WHERE table_name = ? AND record_key >= <prefix> AND
//!   record_key < <successor of prefix> LIMIT ?` (`> start_after` when the cursor is past the prefix), paged.
//!
//! # Consistency
//!
//! - LWTs run their Paxos phase at `SERIAL` and their commit at `QUORUM`, so a successful LWT is durable on a
//!   quorum and visible to any later `QUORUM` read. `SERIAL` (not `LOCAL_SERIAL`) because single ownership
//!   must hold across datacenters: with `LOCAL_SERIAL`, owners in two datacenters could both win their local
//!   Paxos. The price is a cross-datacenter round trip per append in multi-DC deployments.
//! - Reads that decide a write (claim's ownership and lease reads, the `Absent` delete) and `last_seq` are
//!   `SERIAL`: a `SERIAL` read runs a Paxos round of its own, which completes a proposal left unfinished (for
//!   instance by an append that timed out) or, by a quorum accepting its newer ballot, ensures that a proposal
//!   accepted only by a minority can no longer complete (ScyllaDB runs `SERIAL` reads through its CAS path;
//!   Cassandra does the same since CASSANDRA-12126). What it returns is therefore the linearizable state, and
//!   that is what makes "after `Unavailable`, call `last_seq` and decide" sound. ScyllaDB also writes LWT
//!   mutations with the commitlog in synchronous mode, so an acknowledged append is on disk on a quorum.
//! - Other reads (`read`, `ownership`, `active_auctions`, `leases`, `get`, `scan`) are `QUORUM`: they see every
//!   acknowledged write (`QUORUM` + `QUORUM` overlap). A write whose outcome is still unknown may be missing
//!   from them; anything that acts on them goes through an LWT that re-checks.
//! - `active_auctions` index writes are plain `QUORUM` writes. The only invariant that matters (a claimed,
//!   unretired auction is listed) holds because the entry is written before the claim's LWT and removed only
//!   after a successful retire, which is final.
//!
//! # Errors and outcome unknown
//!
//! Unreachable, overloaded or timed-out requests are `StoreError::Unavailable`. **An LWT that
//! timed out (`WriteTimeout` of type `CAS`, or the client-side `request_timeout`) has an unknown outcome**: its
//! proposal may have been accepted and will then be completed by the next Paxos round on the partition (any
//! later LWT or `SERIAL` read). The driver never retries these requests (they are not idempotent). Server
//! refusals (invalid statement, missing table, tablets without LWT support...) are `StoreError::Backend`;
//! driver-side refusals of the request are `StoreError::InvalidInput`.
//!
//! # Deviations from the embedded backend
//!
//! - The claim's lease check is not atomic with its compare-and-set (the lease is another partition, and an
//!   LWT spans one): if the owner renews an expired lease between the claimant's read and its write, the
//!   takeover still happens. Safety is unaffected — the epoch fences the old owner's every later write — and
//!   the claimant had decided on a lease that was expired at its `now_ms`; `alive_until` is then the renewal
//!   the claimant read.
//! - Seqs above `i64::MAX` are refused (see above).
//! - Under heavy contention an operation may give up after [`MAX_CAS_ATTEMPTS`] rounds with `Unavailable`
//!   (nothing written), where the embedded backend would queue.
//! - A claim that failed with `Unavailable` may have been applied. Claiming again is the way to find out (the
//!   idempotent re-claim returns the same epoch), but then `Claim::previous` is `None`: what the lost answer
//!   said about the previous owner is gone.
//!
//! # Operating
//!
//! - Production keyspaces use `NetworkTopologyStrategy` with RF 3 per datacenter; create the schema once from
//!   a job (or by hand from [`schema::create_statements`]) and run nodes with `create_schema = false`, so that
//!   a fleet starting at once does not race schema changes.
//! - Tablets: LWT on tablet keyspaces only works on recent ScyllaDB releases, and new keyspaces get tablets by
//!   default where they exist, so the store creates its keyspace with `tablets = {'enabled': false}`;
//!   [`Tablets::ServerDefault`] omits the option (ScyllaDB releases without tablets reject it).
//! - `active_auctions` costs 16 index reads plus one partition read per active auction. The actors' takeover
//!   scan calls it on every node every 500 ms; with thousands of auctions, raise that interval for this
//!   backend.
//! - Metrics: `store_requests_total{backend="scylla",op,outcome}` and `store_append_seconds{backend="scylla"}`
//!   (names from `store::metrics`).
//!
//! # Tests
//!
//! The unit tests run anywhere (schema text, LWT outcome mapping on synthetic rows, claim/lease/record
//! decisions, scan ranges, error classes, config parsing). The conformance suite of the `store` crate runs
//! against a real server in the separate test target `scylla_conformance`, built only with the `scylla-tests`
//! feature: `SCYLLA_URI=127.0.0.1:9042 cargo nextest run -p store-scylla --features scylla-tests`. Each check
//! gets a fresh keyspace (SimpleStrategy, RF 1) that is dropped afterwards; without `SCYLLA_URI` every check
//! fails with a message saying so.

mod backend;
pub mod config;
mod decide;
mod errors;
mod lwt;
pub mod schema;

pub use backend::{BACKEND, MAX_CAS_ATTEMPTS, ScyllaStore};
pub use config::{Replication, ScyllaConfig, Tablets};
