//! [`ScyllaStore`]: the ports over a ScyllaDB session.
//!
//! Every method validates its input with `store::limits` first (same errors as every backend), then runs the
//! statements described in the crate docs. Decisions live in [`crate::decide`]; this module only moves values
//! between the driver and those functions, and records metrics.

use crate::config::ScyllaConfig;
use crate::decide::{
    self, ClaimStep, LeaseStep, LeaseVersion, Lower, RawStatics, Statics, u64_from_cql, u64_to_cql,
};
use crate::errors::{
    execution_error, new_session_kind, next_row_kind, pager_kind, prepare_kind, undecodable_lwt,
    undecodable_read,
};
use crate::lwt::LwtOutcome;
use crate::schema::{self, ACTIVE_BUCKETS, SCHEMA_VERSION, Statements};
use async_trait::async_trait;
use futures_util::{StreamExt, TryStreamExt};
use scylla::client::execution_profile::ExecutionProfile;
use scylla::client::pager::QueryPager;
use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use scylla::deserialize::row::DeserializeRow;
use scylla::errors::PagerExecutionError;
use scylla::serialize::SerializationError;
use scylla::serialize::row::{RowSerializationContext, SerializeRow};
use scylla::serialize::writers::RowWriter;
use scylla::statement::batch::{Batch, BatchType};
use scylla::statement::prepared::PreparedStatement;
use scylla::statement::{Consistency, SerialConsistency, Statement};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use store::metrics::{Outcome, STORE_APPEND_SECONDS, STORE_REQUESTS_TOTAL};
use store::{
    AppendError, Claim, ClaimError, Epoch, EventLog, Expect, LeaseError, NodeLease, OwnerId,
    Ownership, PutError, Record, RecordStore, Seq, StoreError, StoredEvent, limits,
};

/// `backend` label of this store's metrics.
pub const BACKEND: &str = "scylla";

/// Read-decide-compare-and-set rounds an operation tries before giving up under contention.
pub const MAX_CAS_ATTEMPTS: usize = 8;

/// Rows per page of paged reads. ScyllaDB also cuts pages at about 1 MiB of data.
const PAGE_ROWS: i32 = 256;
/// Rows per page when listing the index or the leases (small rows).
const LIST_PAGE_ROWS: i32 = 1_000;
/// Ownership reads `active_auctions` runs at once.
const OWNERSHIP_READS_IN_FLIGHT: usize = 32;
/// Client-side timeout of schema statements (they wait for schema agreement).
const SCHEMA_TIMEOUT: Duration = Duration::from_secs(60);

/// The store on a ScyllaDB cluster. Cheap to clone (clones share the session and prepared statements).
#[derive(Clone)]
pub struct ScyllaStore {
    inner: Arc<Inner>,
}

struct Inner {
    session: Arc<Session>,
    keyspace: String,
    nodes: Vec<String>,
    prepared: Prepared,
    /// Last lease version this process saw per node: the expected value of the next renewal's
    /// compare-and-set. Only a hint; a wrong hint costs one more round trip.
    lease_hints: Mutex<HashMap<String, Option<LeaseVersion>>>,
}

impl fmt::Debug for ScyllaStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScyllaStore")
            .field("nodes", &self.inner.nodes)
            .field("keyspace", &self.inner.keyspace)
            .finish()
    }
}

/// Every statement, prepared, with its consistency set.
struct Prepared {
    read_statics_serial: PreparedStatement,
    read_statics_quorum: PreparedStatement,
    read_events: PreparedStatement,
    append_guard: PreparedStatement,
    insert_event: PreparedStatement,
    claim_first: PreparedStatement,
    claim_takeover: PreparedStatement,
    release: PreparedStatement,
    retire: PreparedStatement,
    index_insert: PreparedStatement,
    index_delete: PreparedStatement,
    index_list: PreparedStatement,
    lease_read_serial: PreparedStatement,
    lease_read_quorum: PreparedStatement,
    lease_list: PreparedStatement,
    lease_create: PreparedStatement,
    lease_replace: PreparedStatement,
    record_get: PreparedStatement,
    record_version_serial: PreparedStatement,
    record_version_quorum: PreparedStatement,
    record_create: PreparedStatement,
    record_update: PreparedStatement,
    record_delete: PreparedStatement,
    scan_from_until: PreparedStatement,
    scan_after_until: PreparedStatement,
    scan_from: PreparedStatement,
    scan_after: PreparedStatement,
    request_timeout: Duration,
}

/// How a statement is executed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A lightweight transaction: Paxos at `SERIAL`, commit at `QUORUM`. Never retried by the driver.
    Lwt,
    /// A linearizable read (`SERIAL`): completes any unfinished Paxos round on the partition first.
    SerialRead,
    /// A read at `QUORUM` (sees every acknowledged write); retried by the driver on a broken connection.
    QuorumRead,
    /// A plain idempotent write at `QUORUM` (the `active_auctions` index).
    QuorumWrite,
}

impl Prepared {
    async fn new(
        session: &Session,
        statements: &Statements,
        request_timeout: Duration,
    ) -> Result<Self, StoreError> {
        let prepare = |text: &str, mode: Mode, page_rows: Option<i32>| {
            let text = text.to_owned();
            async move {
                let mut statement = session.prepare(text.as_str()).await.map_err(|error| {
                    prepare_kind(&error).error(&format!("prepare `{text}`"), &error)
                })?;
                configure(&mut statement, mode, request_timeout);
                if let Some(rows) = page_rows {
                    statement.set_page_size(rows);
                }
                Ok::<_, StoreError>(statement)
            }
        };
        let s = statements;
        Ok(Self {
            read_statics_serial: prepare(&s.read_statics, Mode::SerialRead, None).await?,
            read_statics_quorum: prepare(&s.read_statics, Mode::QuorumRead, None).await?,
            read_events: prepare(&s.read_events, Mode::QuorumRead, Some(PAGE_ROWS)).await?,
            append_guard: prepare(&s.append_guard, Mode::Lwt, None).await?,
            insert_event: prepare(&s.insert_event, Mode::Lwt, None).await?,
            claim_first: prepare(&s.claim_first, Mode::Lwt, None).await?,
            claim_takeover: prepare(&s.claim_takeover, Mode::Lwt, None).await?,
            release: prepare(&s.release, Mode::Lwt, None).await?,
            retire: prepare(&s.retire, Mode::Lwt, None).await?,
            index_insert: prepare(&s.index_insert, Mode::QuorumWrite, None).await?,
            index_delete: prepare(&s.index_delete, Mode::QuorumWrite, None).await?,
            index_list: prepare(&s.index_list, Mode::QuorumRead, Some(LIST_PAGE_ROWS)).await?,
            lease_read_serial: prepare(&s.lease_read, Mode::SerialRead, None).await?,
            lease_read_quorum: prepare(&s.lease_read, Mode::QuorumRead, None).await?,
            lease_list: prepare(&s.lease_list, Mode::QuorumRead, Some(LIST_PAGE_ROWS)).await?,
            lease_create: prepare(&s.lease_create, Mode::Lwt, None).await?,
            lease_replace: prepare(&s.lease_replace, Mode::Lwt, None).await?,
            record_get: prepare(&s.record_get, Mode::QuorumRead, None).await?,
            record_version_serial: prepare(&s.record_version, Mode::SerialRead, None).await?,
            record_version_quorum: prepare(&s.record_version, Mode::QuorumRead, None).await?,
            record_create: prepare(&s.record_create, Mode::Lwt, None).await?,
            record_update: prepare(&s.record_update, Mode::Lwt, None).await?,
            record_delete: prepare(&s.record_delete, Mode::Lwt, None).await?,
            scan_from_until: prepare(&s.scan_from_until, Mode::QuorumRead, Some(PAGE_ROWS)).await?,
            scan_after_until: prepare(&s.scan_after_until, Mode::QuorumRead, Some(PAGE_ROWS))
                .await?,
            scan_from: prepare(&s.scan_from, Mode::QuorumRead, Some(PAGE_ROWS)).await?,
            scan_after: prepare(&s.scan_after, Mode::QuorumRead, Some(PAGE_ROWS)).await?,
            request_timeout,
        })
    }
}

fn configure(statement: &mut PreparedStatement, mode: Mode, request_timeout: Duration) {
    statement.set_request_timeout(Some(request_timeout));
    match mode {
        Mode::Lwt => {
            statement.set_consistency(Consistency::Quorum);
            statement.set_serial_consistency(Some(SerialConsistency::Serial));
            statement.set_is_idempotent(false);
        }
        Mode::SerialRead => {
            statement.set_consistency(Consistency::Serial);
            statement.set_is_idempotent(true);
        }
        Mode::QuorumRead | Mode::QuorumWrite => {
            statement.set_consistency(Consistency::Quorum);
            statement.set_is_idempotent(true);
        }
    }
}

/// The bound values of one statement of an append batch.
enum AppendRow<'a> {
    /// `append_guard`: new last_seq, auction, epoch, owner node, owner incarnation, expected last_seq.
    Guard(i64, &'a str, i64, &'a str, i64, i64),
    /// `insert_event`: auction, seq, epoch, payload.
    Event(&'a str, i64, i64, &'a [u8]),
}

impl SerializeRow for AppendRow<'_> {
    fn serialize(
        &self,
        ctx: &RowSerializationContext<'_>,
        writer: &mut RowWriter,
    ) -> Result<(), SerializationError> {
        match self {
            AppendRow::Guard(last_seq, auction, epoch, node, incarnation, expected) => {
                (*last_seq, *auction, *epoch, *node, *incarnation, *expected).serialize(ctx, writer)
            }
            AppendRow::Event(auction, seq, epoch, payload) => {
                (*auction, *seq, *epoch, *payload).serialize(ctx, writer)
            }
        }
    }

    fn is_empty(&self) -> bool {
        false
    }
}

type StaticsRow = (
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<bool>,
    Option<i64>,
);
type LeaseRow = (
    String,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<bool>,
);

fn lease_from_row(row: LeaseRow) -> Option<NodeLease> {
    let (node, incarnation, addr, renewed_at, expires_at, draining) = row;
    Some(NodeLease {
        node,
        incarnation: u64_from_cql(incarnation?),
        addr: addr.unwrap_or_default(),
        renewed_at: renewed_at.unwrap_or(0),
        expires_at: expires_at.unwrap_or(0),
        draining: draining.unwrap_or(false),
    })
}

fn observe<R: Outcome>(op: &'static str, result: R) -> R {
    metrics::counter!(
        STORE_REQUESTS_TOTAL,
        "backend" => BACKEND,
        "op" => op,
        "outcome" => result.label()
    )
    .increment(1);
    result
}

fn contention(what: &str) -> StoreError {
    StoreError::Unavailable(format!(
        "scylla: {what}: lost {MAX_CAS_ATTEMPTS} compare-and-set rounds to concurrent writers; nothing of this \
         call was written, retry"
    ))
}

impl ScyllaStore {
    /// Connect to the cluster (the driver connects eagerly: this fails at once when no node answers), create
    /// the schema if `config.create_schema`, check the schema version and prepare every statement.
    ///
    /// Errors: [`StoreError::InvalidInput`] for a bad config, [`StoreError::Unavailable`] when the cluster
    /// cannot be reached (retry later), [`StoreError::Backend`] for a missing or incompatible schema.
    pub async fn connect(config: ScyllaConfig) -> Result<Self, StoreError> {
        config.validate()?;
        let profile = ExecutionProfile::builder()
            .consistency(Consistency::Quorum)
            .serial_consistency(Some(SerialConsistency::Serial))
            .request_timeout(Some(config.request_timeout))
            .build();
        let mut builder = SessionBuilder::new()
            .known_nodes(&config.nodes)
            .connection_timeout(config.connect_timeout)
            .default_execution_profile_handle(profile.into_handle());
        if let Some(datacenter) = &config.local_datacenter {
            builder = builder.prefer_datacenter(datacenter.clone());
        }
        let session = builder.build().await.map_err(|error| {
            new_session_kind(&error)
                .error(&format!("connect to {}", config.nodes.join(",")), &error)
        })?;
        Self::with_session(Arc::new(session), &config).await
    }

    /// Use an existing session (shared with other code, or built with options [`ScyllaConfig`] does not
    /// cover, such as TLS or authentication). `config.nodes` is only used in messages; every statement carries
    /// its own consistency and `config.request_timeout`.
    pub async fn with_session(
        session: Arc<Session>,
        config: &ScyllaConfig,
    ) -> Result<Self, StoreError> {
        config.validate()?;
        if config.create_schema {
            create_schema(&session, config).await?;
        }
        check_schema_version(&session, &config.keyspace, config.request_timeout).await?;
        let prepared = Prepared::new(
            &session,
            &Statements::new(&config.keyspace),
            config.request_timeout,
        )
        .await?;
        tracing::info!(keyspace = %config.keyspace, nodes = %config.nodes.join(","), "scylla store ready");
        Ok(Self {
            inner: Arc::new(Inner {
                session,
                keyspace: config.keyspace.clone(),
                nodes: config.nodes.clone(),
                prepared,
                lease_hints: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The keyspace holding the store's tables.
    pub fn keyspace(&self) -> &str {
        &self.inner.keyspace
    }

    fn session(&self) -> &Session {
        &self.inner.session
    }

    fn prepared(&self) -> &Prepared {
        &self.inner.prepared
    }

    /// Run a conditional statement and read its outcome.
    async fn lwt(
        &self,
        what: &str,
        statement: &PreparedStatement,
        values: impl SerializeRow,
    ) -> Result<LwtOutcome, StoreError> {
        let result = self
            .session()
            .execute_unpaged(statement, values)
            .await
            .map_err(|error| execution_error(what, &error, true))?;
        LwtOutcome::from_result(result).map_err(|problem| undecodable_lwt(what, &problem))
    }

    /// Start a paged read.
    async fn pager(
        &self,
        what: &str,
        statement: &PreparedStatement,
        values: impl SerializeRow,
    ) -> Result<QueryPager, StoreError> {
        self.session()
            .execute_iter(statement.clone(), values)
            .await
            .map_err(|error: PagerExecutionError| pager_kind(&error).error(what, &error))
    }

    /// Execute a read and decode its first row (`None`: no row), with errors naming `what`.
    async fn first_row<R>(
        &self,
        what: &str,
        statement: &PreparedStatement,
        values: impl SerializeRow,
    ) -> Result<Option<R>, StoreError>
    where
        R: for<'frame> DeserializeRow<'frame, 'frame>,
    {
        let result = self
            .session()
            .execute_unpaged(statement, values)
            .await
            .map_err(|error| execution_error(what, &error, false))?;
        result
            .into_rows_result()
            .map_err(|error| undecodable_read(what, &error))?
            .maybe_first_row::<R>()
            .map_err(|error| undecodable_read(what, &error))
    }

    /// The auction's statics (`None`: never claimed), `SERIAL` or `QUORUM`.
    async fn read_statics(
        &self,
        auction: &str,
        serial: bool,
    ) -> Result<Option<Statics>, StoreError> {
        let what = "read ownership";
        let statement = if serial {
            &self.prepared().read_statics_serial
        } else {
            &self.prepared().read_statics_quorum
        };
        let row: Option<StaticsRow> = self.first_row(what, statement, (auction,)).await?;
        let Some((owner_node, owner_incarnation, owner_epoch, released_at, retired, last_seq)) =
            row
        else {
            return Ok(None);
        };
        RawStatics {
            owner_node,
            owner_incarnation,
            owner_epoch,
            released_at,
            retired,
            last_seq,
        }
        .decode()
        .map_err(|problem| undecodable_read(what, &problem))
    }

    /// One node's lease, `SERIAL` or `QUORUM`.
    async fn read_lease(&self, node: &str, serial: bool) -> Result<Option<NodeLease>, StoreError> {
        let what = "read lease";
        let statement = if serial {
            &self.prepared().lease_read_serial
        } else {
            &self.prepared().lease_read_quorum
        };
        let row: Option<LeaseRow> = self.first_row(what, statement, (node,)).await?;
        Ok(row.and_then(lease_from_row))
    }

    /// A record's version (`None`: absent), `SERIAL` or `QUORUM`.
    async fn record_version(
        &self,
        table: &str,
        key: &str,
        serial: bool,
    ) -> Result<Option<u64>, StoreError> {
        let what = "read record version";
        let statement = if serial {
            &self.prepared().record_version_serial
        } else {
            &self.prepared().record_version_quorum
        };
        let row: Option<(Option<i64>,)> = self.first_row(what, statement, (table, key)).await?;
        Ok(row.and_then(|(version,)| version).map(u64_from_cql))
    }

    async fn index_insert(&self, auction: &str) -> Result<(), StoreError> {
        self.session()
            .execute_unpaged(
                &self.prepared().index_insert,
                (schema::bucket_of(auction), auction),
            )
            .await
            .map(|_| ())
            .map_err(|error| {
                execution_error(
                    "index the auction as active (the claim itself was not attempted)",
                    &error,
                    false,
                )
            })
    }

    async fn index_delete(&self, auction: &str) {
        let result = self
            .session()
            .execute_unpaged(
                &self.prepared().index_delete,
                (schema::bucket_of(auction), auction),
            )
            .await;
        if let Err(error) = result {
            // Harmless: listings skip retired auctions; the entry is only wasted space.
            tracing::warn!(%auction, %error, "could not remove a retired auction from the active index");
        }
    }

    fn lease_hint(&self, node: &str) -> Option<Option<LeaseVersion>> {
        self.inner
            .lease_hints
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(node)
            .copied()
    }

    fn set_lease_hint(&self, node: &str, version: Option<LeaseVersion>) {
        self.inner
            .lease_hints
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(node.to_owned(), version);
    }

    async fn do_append(
        &self,
        auction: &str,
        owner: &OwnerId,
        epoch: Epoch,
        first_seq: Seq,
        payloads: Vec<Vec<u8>>,
    ) -> Result<(), AppendError> {
        let what = "append";
        limits::append(auction, owner, epoch, first_seq, &payloads)?;
        let (first, last) = decide::append_seqs(first_seq, payloads.len())?;
        let epoch_cql = u64_to_cql(epoch);
        let prepared = self.prepared();
        // One conditional batch on the auction's partition: the guard first (its result row is the first),
        // then one insert per event. All or nothing, and ScyllaDB exempts single-partition batches from the
        // batch size thresholds.
        let mut batch = Batch::new(BatchType::Unlogged);
        batch.set_consistency(Consistency::Quorum);
        batch.set_serial_consistency(Some(SerialConsistency::Serial));
        batch.set_is_idempotent(false);
        batch.set_request_timeout(Some(prepared.request_timeout));
        batch.append_statement(prepared.append_guard.clone());
        let mut values = Vec::with_capacity(payloads.len() + 1);
        values.push(AppendRow::Guard(
            last,
            auction,
            epoch_cql,
            &owner.node,
            u64_to_cql(owner.incarnation),
            first - 1,
        ));
        for (seq, payload) in (first..=last).zip(&payloads) {
            batch.append_statement(prepared.insert_event.clone());
            values.push(AppendRow::Event(auction, seq, epoch_cql, payload));
        }
        let result = self
            .session()
            .batch(&batch, &values)
            .await
            .map_err(|error| execution_error(what, &error, true))?;
        LwtOutcome::from_result(result)
            .map_err(|problem| undecodable_lwt(what, &problem))?
            .append_result(owner, epoch, first_seq)
    }

    async fn do_read(
        &self,
        auction: &str,
        from_seq: Seq,
        max: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let what = "read events";
        limits::read(auction, from_seq, max)?;
        let Ok(from) = i64::try_from(from_seq) else {
            // No event can have a seq beyond i64::MAX (appends refuse them).
            return Ok(Vec::new());
        };
        let cql_limit = i32::try_from(max).unwrap_or(i32::MAX);
        let mut rows = self
            .pager(
                what,
                &self.prepared().read_events,
                (auction, from, cql_limit),
            )
            .await?
            .rows_stream::<(Option<i64>, Option<i64>, Option<Vec<u8>>)>()
            .map_err(|error| undecodable_read(what, &error))?;
        let mut events = Vec::new();
        while events.len() < max {
            let Some(row) = rows.next().await else {
                break;
            };
            let (seq, epoch, payload) =
                row.map_err(|error| next_row_kind(&error).error(what, &error))?;
            let Some(seq) = seq else {
                continue; // a static-only row: not an event
            };
            let seq = u64::try_from(seq)
                .map_err(|_| undecodable_read(what, &format!("negative seq {seq}")))?;
            events.push(StoredEvent {
                seq,
                epoch: epoch.map(u64_from_cql).unwrap_or(0),
                payload: payload.unwrap_or_default(),
            });
        }
        Ok(events)
    }

    async fn do_claim(
        &self,
        auction: &str,
        claimant: &OwnerId,
        now_ms: i64,
        force: bool,
    ) -> Result<Claim, ClaimError> {
        let what = "claim";
        limits::auction_id(auction)?;
        limits::owner(claimant)?;
        let mut indexed = false;
        // The ownership a lost compare-and-set returned (read in its Paxos round, so as authoritative as a
        // SERIAL read): the next round decides on it without reading again.
        let mut known: Option<Option<Ownership>> = None;
        for attempt in 1..=MAX_CAS_ATTEMPTS {
            let current = match known.take() {
                Some(current) => current,
                // SERIAL: the decision must rest on the linearizable state, unfinished Paxos rounds included.
                None => self
                    .read_statics(auction, true)
                    .await?
                    .map(|statics| statics.ownership),
            };
            let lease = match decide::lease_needed(current.as_ref(), claimant) {
                Some(owner) => self.read_lease(&owner.node, true).await?,
                None => None,
            };
            let write = match decide::decide_claim(
                auction,
                current.as_ref(),
                lease.as_ref(),
                claimant,
                now_ms,
                force,
            ) {
                ClaimStep::Done(result) => return result,
                ClaimStep::Write(write) => write,
            };
            if !indexed {
                // Index before claiming: a claimed auction is always listed by `active_auctions`.
                self.index_insert(auction).await?;
                indexed = true;
            }
            let node = claimant.node.as_str();
            let incarnation = u64_to_cql(claimant.incarnation);
            let epoch = u64_to_cql(write.epoch);
            let outcome = match &write.expected {
                None => {
                    self.lwt(
                        what,
                        &self.prepared().claim_first,
                        (node, incarnation, epoch, auction),
                    )
                    .await?
                }
                Some(expected) => {
                    let expected_owner = expected.owner.as_ref();
                    self.lwt(
                        what,
                        &self.prepared().claim_takeover,
                        (
                            node,
                            incarnation,
                            epoch,
                            auction,
                            u64_to_cql(expected.epoch),
                            expected_owner.map(|owner| owner.node.as_str()),
                            expected_owner.map(|owner| u64_to_cql(owner.incarnation)),
                            expected.released_at,
                        ),
                    )
                    .await?
                }
            };
            if outcome.applied {
                return Ok(Claim {
                    epoch: write.epoch,
                    previous: write.previous,
                });
            }
            known = Some(
                outcome
                    .statics()
                    .map_err(|problem| undecodable_lwt(what, &problem))?
                    .map(|statics| statics.ownership),
            );
            tracing::debug!(%auction, %claimant, attempt, "claim lost a compare-and-set race; deciding again");
        }
        Err(ClaimError::Store(contention(&format!(
            "claim of {auction}"
        ))))
    }

    async fn do_release(
        &self,
        auction: &str,
        owner: &OwnerId,
        epoch: Epoch,
        now_ms: i64,
    ) -> Result<(), AppendError> {
        let what = "release";
        limits::auction_id(auction)?;
        limits::owner(owner)?;
        limits::epoch(epoch)?;
        let outcome = self
            .lwt(
                what,
                &self.prepared().release,
                (
                    now_ms,
                    auction,
                    u64_to_cql(epoch),
                    owner.node.as_str(),
                    u64_to_cql(owner.incarnation),
                ),
            )
            .await?;
        outcome.release_result(owner, epoch)
    }

    async fn do_retire(
        &self,
        auction: &str,
        owner: &OwnerId,
        epoch: Epoch,
    ) -> Result<(), AppendError> {
        let what = "retire";
        limits::auction_id(auction)?;
        limits::owner(owner)?;
        limits::epoch(epoch)?;
        let outcome = self
            .lwt(
                what,
                &self.prepared().retire,
                (
                    auction,
                    u64_to_cql(epoch),
                    owner.node.as_str(),
                    u64_to_cql(owner.incarnation),
                ),
            )
            .await?;
        let result = outcome.retire_result(owner, epoch);
        if result.is_ok() {
            self.index_delete(auction).await;
        }
        result
    }

    async fn do_active_auctions(&self) -> Result<Vec<(String, Ownership)>, StoreError> {
        let what = "list active auctions";
        let buckets = (0..ACTIVE_BUCKETS).map(|bucket| async move {
            let mut rows = self
                .pager(what, &self.prepared().index_list, (bucket,))
                .await?
                .rows_stream::<(String,)>()
                .map_err(|error| undecodable_read(what, &error))?;
            let mut ids = Vec::new();
            while let Some(row) = rows.next().await {
                let (auction,) = row.map_err(|error| next_row_kind(&error).error(what, &error))?;
                ids.push(auction);
            }
            Ok::<_, StoreError>(ids)
        });
        let mut ids: Vec<String> = futures_util::future::try_join_all(buckets)
            .await?
            .into_iter()
            .flatten()
            .collect();
        ids.sort();
        ids.dedup();
        // The index may hold auctions whose first claim never committed and retired auctions whose removal
        // failed: the ownership read decides.
        let owned: Vec<(String, Option<Statics>)> = futures_util::stream::iter(ids)
            .map(|auction| async move {
                let statics = self.read_statics(&auction, false).await?;
                Ok::<_, StoreError>((auction, statics))
            })
            .buffered(OWNERSHIP_READS_IN_FLIGHT)
            .try_collect()
            .await?;
        Ok(owned
            .into_iter()
            .filter_map(|(auction, statics)| {
                statics
                    .map(|statics| statics.ownership)
                    .filter(|ownership| !ownership.retired)
                    .map(|ownership| (auction, ownership))
            })
            .collect())
    }

    async fn do_renew_lease(&self, lease: &NodeLease) -> Result<(), LeaseError> {
        let what = "renew lease";
        limits::lease(lease)?;
        let node = lease.node.as_str();
        // Start from what this process last saw (normally its own previous renewal), else a QUORUM read;
        // neither is authoritative, so refusals are confirmed with a SERIAL read or by the CAS itself.
        let (mut existing, mut authoritative) = match self.lease_hint(node) {
            Some(hint) => (hint, false),
            None => (
                self.read_lease(node, false)
                    .await?
                    .map(|stored| LeaseVersion::of(&stored)),
                false,
            ),
        };
        for _ in 0..MAX_CAS_ATTEMPTS {
            match decide::decide_lease(existing, lease) {
                LeaseStep::Superseded | LeaseStep::Ignore if !authoritative => {
                    existing = self
                        .read_lease(node, true)
                        .await?
                        .map(|stored| LeaseVersion::of(&stored));
                    authoritative = true;
                    self.set_lease_hint(node, existing);
                }
                LeaseStep::Superseded => return Err(LeaseError::Superseded),
                LeaseStep::Ignore => return Ok(()),
                LeaseStep::Write { expected } => {
                    let incarnation = u64_to_cql(lease.incarnation);
                    let values = (
                        incarnation,
                        lease.addr.as_str(),
                        lease.renewed_at,
                        lease.expires_at,
                        lease.draining,
                        node,
                    );
                    let outcome = match expected {
                        None => {
                            self.lwt(what, &self.prepared().lease_create, values)
                                .await?
                        }
                        Some(expected) => {
                            let (a, b, c, d, e, f) = values;
                            self.lwt(
                                what,
                                &self.prepared().lease_replace,
                                (
                                    a,
                                    b,
                                    c,
                                    d,
                                    e,
                                    f,
                                    u64_to_cql(expected.incarnation),
                                    expected.renewed_at,
                                ),
                            )
                            .await?
                        }
                    };
                    if outcome.applied {
                        self.set_lease_hint(node, Some(LeaseVersion::of(lease)));
                        return Ok(());
                    }
                    // Read in the same Paxos round as the failed comparison: authoritative.
                    existing = outcome
                        .lease_version()
                        .map_err(|problem| undecodable_lwt(what, &problem))?;
                    authoritative = true;
                    self.set_lease_hint(node, existing);
                }
            }
        }
        Err(LeaseError::Store(contention(&format!(
            "lease renewal of {node}"
        ))))
    }

    async fn do_leases(&self) -> Result<Vec<NodeLease>, StoreError> {
        let what = "list leases";
        let mut rows = self
            .pager(what, &self.prepared().lease_list, ())
            .await?
            .rows_stream::<LeaseRow>()
            .map_err(|error| undecodable_read(what, &error))?;
        let mut leases = Vec::new();
        while let Some(row) = rows.next().await {
            let row = row.map_err(|error| next_row_kind(&error).error(what, &error))?;
            leases.extend(lease_from_row(row));
        }
        leases.sort_by(|a, b| a.node.cmp(&b.node));
        Ok(leases)
    }

    async fn do_get(&self, table: &str, key: &str) -> Result<Option<Record>, StoreError> {
        let what = "get record";
        limits::record_key(table, key)?;
        let row: Option<(Option<i64>, Option<Vec<u8>>)> = self
            .first_row(what, &self.prepared().record_get, (table, key))
            .await?;
        Ok(row.and_then(|(version, value)| {
            version.map(|version| Record {
                version: u64_from_cql(version),
                value: value.unwrap_or_default(),
            })
        }))
    }

    /// `UPDATE … IF version = null` (create) or `IF version = <current>` (update) with `next`.
    async fn write_record(
        &self,
        table: &str,
        key: &str,
        value: &[u8],
        current: Option<u64>,
        next: u64,
    ) -> Result<LwtOutcome, StoreError> {
        let what = "put record";
        match current {
            None => {
                self.lwt(what, &self.prepared().record_create, (value, table, key))
                    .await
            }
            Some(current) => {
                self.lwt(
                    what,
                    &self.prepared().record_update,
                    (u64_to_cql(next), value, table, key, u64_to_cql(current)),
                )
                .await
            }
        }
    }

    async fn do_put(
        &self,
        table: &str,
        key: &str,
        value: Vec<u8>,
        expect: Expect,
    ) -> Result<u64, PutError> {
        let what = "put record";
        limits::record_key(table, key)?;
        limits::value(&value)?;
        limits::expect(expect)?;
        let mut current = match expect {
            Expect::Absent => None,
            Expect::Version(version) => Some(version),
            // A hint; the compare-and-set below verifies it.
            Expect::Any => self.record_version(table, key, false).await?,
        };
        for _ in 0..MAX_CAS_ATTEMPTS {
            let next = match decide::next_version(table, key, current) {
                Ok(next) => next,
                Err(exhausted) if expect == Expect::Any => return Err(exhausted),
                Err(exhausted) => {
                    // Only `Version(u64::MAX)` gets here: it conflicts unless the record really is there.
                    let actual = self.record_version(table, key, true).await?;
                    decide::check_expect(actual, expect)?;
                    return Err(exhausted);
                }
            };
            let outcome = self.write_record(table, key, &value, current, next).await?;
            if outcome.applied {
                return Ok(next);
            }
            let actual = outcome
                .record_version()
                .map_err(|problem| undecodable_lwt(what, &problem))?;
            if expect != Expect::Any {
                return Err(decide::record_refused(actual, expect, what));
            }
            current = actual;
        }
        Err(PutError::Store(contention(&format!(
            "put of {table}/{key}"
        ))))
    }

    async fn do_delete(&self, table: &str, key: &str, expect: Expect) -> Result<(), PutError> {
        let what = "delete record";
        limits::record_key(table, key)?;
        limits::expect(expect)?;
        let mut current = match expect {
            // Nothing to write either way: a linearizable read decides.
            Expect::Absent => {
                let current = self.record_version(table, key, true).await?;
                decide::check_expect(current, expect)?;
                return Ok(());
            }
            Expect::Version(version) => Some(version),
            Expect::Any => self.record_version(table, key, false).await?,
        };
        for _ in 0..MAX_CAS_ATTEMPTS {
            let Some(version) = current else {
                // Deleting an absent record with `Any` succeeds without writing.
                return Ok(());
            };
            let outcome = self
                .lwt(
                    what,
                    &self.prepared().record_delete,
                    (table, key, u64_to_cql(version)),
                )
                .await?;
            if outcome.applied {
                return Ok(());
            }
            let actual = outcome
                .record_version()
                .map_err(|problem| undecodable_lwt(what, &problem))?;
            if expect != Expect::Any {
                return Err(decide::record_refused(actual, expect, what));
            }
            current = actual;
        }
        Err(PutError::Store(contention(&format!(
            "delete of {table}/{key}"
        ))))
    }

    async fn do_scan(
        &self,
        table: &str,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Record)>, StoreError> {
        let what = "scan records";
        limits::scan(table, prefix, start_after, limit)?;
        let Some(range) = decide::scan_range(prefix, start_after) else {
            return Ok(Vec::new());
        };
        let cql_limit = i32::try_from(limit).unwrap_or(i32::MAX);
        let prepared = self.prepared();
        let pager = match (&range.lower, &range.upper) {
            (Lower::From(lower), Some(upper)) => {
                self.pager(
                    what,
                    &prepared.scan_from_until,
                    (table, lower.as_str(), upper.as_str(), cql_limit),
                )
                .await?
            }
            (Lower::After(lower), Some(upper)) => {
                self.pager(
                    what,
                    &prepared.scan_after_until,
                    (table, lower.as_str(), upper.as_str(), cql_limit),
                )
                .await?
            }
            (Lower::From(lower), None) => {
                self.pager(
                    what,
                    &prepared.scan_from,
                    (table, lower.as_str(), cql_limit),
                )
                .await?
            }
            (Lower::After(lower), None) => {
                self.pager(
                    what,
                    &prepared.scan_after,
                    (table, lower.as_str(), cql_limit),
                )
                .await?
            }
        };
        let mut rows = pager
            .rows_stream::<(String, Option<i64>, Option<Vec<u8>>)>()
            .map_err(|error| undecodable_read(what, &error))?;
        let mut records = Vec::new();
        while records.len() < limit {
            let Some(row) = rows.next().await else {
                break;
            };
            let (key, version, value) =
                row.map_err(|error| next_row_kind(&error).error(what, &error))?;
            let Some(version) = version else {
                continue;
            };
            if !decide::scan_keeps(&key, prefix, start_after) {
                continue;
            }
            records.push((
                key,
                Record {
                    version: u64_from_cql(version),
                    value: value.unwrap_or_default(),
                },
            ));
        }
        Ok(records)
    }
}

/// Create the keyspace and tables (`IF NOT EXISTS`) and record the schema version once.
async fn create_schema(session: &Session, config: &ScyllaConfig) -> Result<(), StoreError> {
    let keyspace = &config.keyspace;
    let mut statements = vec![schema::create_keyspace(
        keyspace,
        &config.replication,
        config.tablets,
    )];
    statements.extend(schema::create_tables(keyspace));
    for text in statements {
        let mut statement = Statement::new(text.as_str());
        statement.set_request_timeout(Some(SCHEMA_TIMEOUT.max(config.request_timeout)));
        session
            .query_unpaged(statement, ())
            .await
            .map_err(|error| execution_error(&format!("create schema: `{text}`"), &error, false))?;
    }
    let mut init = Statement::new(schema::init_schema_version(keyspace));
    init.set_consistency(Consistency::Quorum);
    init.set_serial_consistency(Some(SerialConsistency::Serial));
    init.set_request_timeout(Some(config.request_timeout));
    session
        .query_unpaged(init, ())
        .await
        .map_err(|error| execution_error("record the schema version", &error, true))?;
    Ok(())
}

/// Refuse a keyspace whose tables are not (or not yet) this store's layout.
async fn check_schema_version(
    session: &Session,
    keyspace: &str,
    request_timeout: Duration,
) -> Result<(), StoreError> {
    let what = format!("read the schema version of keyspace {keyspace}");
    let mut statement = Statement::new(schema::read_schema_version(keyspace));
    statement.set_consistency(Consistency::Quorum);
    statement.set_request_timeout(Some(request_timeout));
    let result = session.query_unpaged(statement, ()).await.map_err(|error| {
        let error = execution_error(&what, &error, false);
        match error {
            StoreError::Backend(message) => StoreError::Backend(format!(
                "{message} (does the schema exist? connect once with create_schema = true, or apply \
                 store_scylla::schema::create_statements)"
            )),
            other => other,
        }
    })?;
    let rows = result
        .into_rows_result()
        .map_err(|error| undecodable_read(&what, &error))?;
    let version = rows
        .maybe_first_row::<(Option<i64>,)>()
        .map_err(|error| undecodable_read(&what, &error))?
        .and_then(|(version,)| version);
    match version {
        Some(SCHEMA_VERSION) => Ok(()),
        Some(other) => Err(StoreError::Backend(format!(
            "keyspace {keyspace} holds store schema version {other}; this build uses version {SCHEMA_VERSION}"
        ))),
        None => Err(StoreError::Backend(format!(
            "keyspace {keyspace} has no store schema version: connect once with create_schema = true, or \
             apply store_scylla::schema::create_statements"
        ))),
    }
}

#[async_trait]
impl EventLog for ScyllaStore {
    /// One conditional batch on the auction's partition. **`Err(AppendError::Store(StoreError::Unavailable))`
    /// means outcome unknown** (an LWT that timed out may still be completed by the next Paxos round on the
    /// partition): call `last_seq` (a `SERIAL` read, which completes such a round) before deciding anything.
    async fn append(
        &self,
        auction: &str,
        owner: &OwnerId,
        epoch: Epoch,
        first_seq: Seq,
        payloads: Vec<Vec<u8>>,
    ) -> Result<(), AppendError> {
        let started = Instant::now();
        let result = self
            .do_append(auction, owner, epoch, first_seq, payloads)
            .await;
        metrics::histogram!(STORE_APPEND_SECONDS, "backend" => BACKEND)
            .record(started.elapsed().as_secs_f64());
        observe("append", result)
    }

    async fn read(
        &self,
        auction: &str,
        from_seq: Seq,
        max: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        observe("read", self.do_read(auction, from_seq, max).await)
    }

    async fn last_seq(&self, auction: &str) -> Result<Seq, StoreError> {
        let result = async {
            limits::auction_id(auction)?;
            Ok(self
                .read_statics(auction, true)
                .await?
                .map_or(0, |statics| statics.last_seq))
        }
        .await;
        observe("last_seq", result)
    }

    async fn claim(
        &self,
        auction: &str,
        claimant: &OwnerId,
        now_ms: i64,
        force: bool,
    ) -> Result<Claim, ClaimError> {
        observe(
            "claim",
            self.do_claim(auction, claimant, now_ms, force).await,
        )
    }

    async fn release(
        &self,
        auction: &str,
        owner: &OwnerId,
        epoch: Epoch,
        now_ms: i64,
    ) -> Result<(), AppendError> {
        observe(
            "release",
            self.do_release(auction, owner, epoch, now_ms).await,
        )
    }

    async fn retire(
        &self,
        auction: &str,
        owner: &OwnerId,
        epoch: Epoch,
    ) -> Result<(), AppendError> {
        observe("retire", self.do_retire(auction, owner, epoch).await)
    }

    async fn ownership(&self, auction: &str) -> Result<Option<Ownership>, StoreError> {
        let result = async {
            limits::auction_id(auction)?;
            Ok(self
                .read_statics(auction, false)
                .await?
                .map(|statics| statics.ownership))
        }
        .await;
        observe("ownership", result)
    }

    async fn active_auctions(&self) -> Result<Vec<(String, Ownership)>, StoreError> {
        observe("active_auctions", self.do_active_auctions().await)
    }

    async fn renew_lease(&self, lease: NodeLease) -> Result<(), LeaseError> {
        observe("renew_lease", self.do_renew_lease(&lease).await)
    }

    async fn leases(&self) -> Result<Vec<NodeLease>, StoreError> {
        observe("leases", self.do_leases().await)
    }
}

#[async_trait]
impl RecordStore for ScyllaStore {
    async fn get(&self, table: &str, key: &str) -> Result<Option<Record>, StoreError> {
        observe("get", self.do_get(table, key).await)
    }

    async fn put(
        &self,
        table: &str,
        key: &str,
        value: Vec<u8>,
        expect: Expect,
    ) -> Result<u64, PutError> {
        observe("put", self.do_put(table, key, value, expect).await)
    }

    async fn delete(&self, table: &str, key: &str, expect: Expect) -> Result<(), PutError> {
        observe("delete", self.do_delete(table, key, expect).await)
    }

    async fn scan(
        &self,
        table: &str,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Record)>, StoreError> {
        observe(
            "scan",
            self.do_scan(table, prefix, start_after, limit).await,
        )
    }
}
