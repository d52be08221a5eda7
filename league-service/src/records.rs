//! The storage layout, and typed access to it: JSON values in [`store::RecordStore`] tables,
//! changed by compare-and-set with bounded retries.
//!
//! | table | key | value | notes |
//! |---|---|---|---|
//! | `users` | user id | [`league::model::User`] | |
//! | `users_by_email` | normalised email | `{user}` | written first (`Absent`): it is what makes an email unique |
//! | `session_versions` | user id | `{version, changed_at}` | absent = 0; bumped by sign-out-everywhere |
//! | `revoked_tokens` | session `jti` | `{user, exp}` | deleted once the token has expired anyway |
//! | `magic_links` | SHA-256 of the token | `{link, name}` | single use, 15 minutes |
//! | `magic_link_requests` | normalised email | `{times}` | the per-email rate limit window |
//! | `outbox` | `<ms, 13 digits>-<random>` | [`crate::mailer::Mail`] | what the outbox mailer "sent" |
//! | `leagues` | league id | [`league::model::League`] | commissioner and managers only (≤ 31 members) |
//! | `spectators` | `<league>/<user>` | `{joined_at}` | kept out of the league record: there can be thousands |
//! | `memberships` | `<user>/<league>` | `{role}` | "my leagues" index; the league record is the truth |
//! | `invites` | SHA-256 of the code | [`league::invite::Invite`] | the code itself is never stored |
//! | `league_invites` | `<league>/<code hash>` | `{}` | lists a league's invites |
//! | `auction_leagues` | auction id | `{league}` | which league an auction drafts |
//! | `fixtures` | `<league>/<match id>` | [`league::scoring::Fixture`] | keyed by match: re-imports replace |
//! | `performances` | `<league>/<match id>/<player>` | [`league::scoring::Performance`] | keyed likewise |
//!
//! Key parts that are free text (match ids) are escaped by [`key_part`] so that `/` always
//! separates parts. Every value is JSON (through `protocol::codec`), readable with any store tool.
//!
//! Compare-and-set: [`Records::update`] reads a record, lets a pure closure decide the change,
//! and writes it with `Expect::Version` (or `Expect::Absent` for a new record), retrying on a
//! conflict with jittered backoff up to [`MAX_ATTEMPTS`] times. Within one process, updates of
//! the same key also queue on a local lock first, so a burst of joins to one league conflicts
//! only across processes. A record deleted and created again restarts at version 1, so nothing
//! here relies on delete-then-create for exclusion.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;
use serde::Serialize;
use serde::de::DeserializeOwned;
use store::{Expect, PutError, Store};

use crate::error::{Result, ServiceError};

/// Table names.
pub mod tables {
    /// Users by id.
    pub const USERS: &str = "users";
    /// User ids by normalised email.
    pub const USERS_BY_EMAIL: &str = "users_by_email";
    /// Session version per user.
    pub const SESSION_VERSIONS: &str = "session_versions";
    /// Revoked session ids.
    pub const REVOKED_TOKENS: &str = "revoked_tokens";
    /// Magic links by token hash.
    pub const MAGIC_LINKS: &str = "magic_links";
    /// Magic-link requests per email (rate limit).
    pub const MAGIC_LINK_REQUESTS: &str = "magic_link_requests";
    /// Mail recorded by the outbox mailer.
    pub const OUTBOX: &str = "outbox";
    /// Leagues by id.
    pub const LEAGUES: &str = "leagues";
    /// Spectators by league.
    pub const SPECTATORS: &str = "spectators";
    /// Leagues by user.
    pub const MEMBERSHIPS: &str = "memberships";
    /// Invites by code hash.
    pub const INVITES: &str = "invites";
    /// Invites by league.
    pub const LEAGUE_INVITES: &str = "league_invites";
    /// League by auction.
    pub const AUCTION_LEAGUES: &str = "auction_leagues";
    /// Football fixtures by league and match.
    pub const FIXTURES: &str = "fixtures";
    /// Cricket performances by league, match and player.
    pub const PERFORMANCES: &str = "performances";
}

/// Attempts of one compare-and-set update before giving up with [`ServiceError::Busy`].
pub const MAX_ATTEMPTS: u32 = 16;
/// Records read per page when scanning.
const SCAN_PAGE: usize = 500;

/// Escapes a free-text key part: `%` and `/` become `%25` and `%2F`, so `/` only ever separates
/// the parts of a key.
pub fn key_part(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '%' => escaped.push_str("%25"),
            '/' => escaped.push_str("%2F"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// What an update closure decided.
#[derive(Debug)]
pub enum Change<T, R> {
    /// Write this value, then return `R`.
    Put(T, R),
    /// Delete the record, then return `R`.
    Delete(R),
    /// Change nothing and return `R`.
    Keep(R),
}

/// Typed, JSON-encoded access to the record tables.
#[derive(Debug, Clone)]
pub struct Records {
    store: Arc<dyn Store>,
    locks: Arc<KeyedLocks>,
}

impl Records {
    /// Records in `store`.
    pub fn new(store: Arc<dyn Store>) -> Records {
        Records {
            store,
            locks: Arc::new(KeyedLocks::default()),
        }
    }

    /// The underlying store (event logs are read through it too).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The record at `table`/`key` with its version.
    pub async fn get<T: DeserializeOwned>(
        &self,
        table: &str,
        key: &str,
    ) -> Result<Option<(u64, T)>> {
        match self.store.get(table, key).await? {
            None => Ok(None),
            Some(record) => Ok(Some((record.version, decode(table, key, &record.value)?))),
        }
    }

    /// The value at `table`/`key`, without its version.
    pub async fn value<T: DeserializeOwned>(&self, table: &str, key: &str) -> Result<Option<T>> {
        Ok(self.get(table, key).await?.map(|(_, value)| value))
    }

    /// A conditional write; `Ok(None)` when the condition did not hold.
    pub async fn put<T: Serialize>(
        &self,
        table: &str,
        key: &str,
        value: &T,
        expect: Expect,
    ) -> Result<Option<u64>> {
        let bytes = encode(value)?;
        match self.store.put(table, key, bytes, expect).await {
            Ok(version) => Ok(Some(version)),
            Err(PutError::Conflict { .. }) => Ok(None),
            Err(PutError::Store(error)) => Err(error.into()),
        }
    }

    /// An unconditional write.
    pub async fn put_any<T: Serialize>(&self, table: &str, key: &str, value: &T) -> Result<u64> {
        let bytes = encode(value)?;
        Ok(self.store.put(table, key, bytes, Expect::Any).await?)
    }

    /// A conditional delete; `Ok(false)` when the condition did not hold.
    pub async fn delete(&self, table: &str, key: &str, expect: Expect) -> Result<bool> {
        match self.store.delete(table, key, expect).await {
            Ok(()) => Ok(true),
            Err(PutError::Conflict { .. }) => Ok(false),
            Err(PutError::Store(error)) => Err(error.into()),
        }
    }

    /// Read-decide-write with compare-and-set, retried on conflict. `decide` sees the current
    /// value (or `None`) and must be free of side effects: it runs again after a conflict.
    /// `what` names the record for the [`ServiceError::Busy`] message.
    pub async fn update<T, R>(
        &self,
        table: &str,
        key: &str,
        what: &'static str,
        mut decide: impl FnMut(Option<T>) -> Result<Change<T, R>>,
    ) -> Result<R>
    where
        T: Serialize + DeserializeOwned,
    {
        let lock = self.locks.lock_for(table, key);
        let _local = lock.lock().await;
        for attempt in 0..MAX_ATTEMPTS {
            let current: Option<(u64, T)> = self.get(table, key).await?;
            let (expect, current) = match current {
                Some((version, value)) => (Expect::Version(version), Some(value)),
                None => (Expect::Absent, None),
            };
            let done = match decide(current)? {
                Change::Keep(result) => return Ok(result),
                Change::Put(value, result) => {
                    self.put(table, key, &value, expect).await?.map(|_| result)
                }
                Change::Delete(result) => match expect {
                    // Deleting what is not there is already done.
                    Expect::Absent => Some(result),
                    expect => self.delete(table, key, expect).await?.then_some(result),
                },
            };
            if let Some(result) = done {
                return Ok(result);
            }
            metrics::counter!(crate::metrics::CAS_CONFLICTS, "table" => table.to_owned())
                .increment(1);
            backoff(attempt).await;
        }
        Err(ServiceError::Busy(what))
    }

    /// Every record of `table` whose key starts with `prefix`, in key order.
    pub async fn scan_all<T: DeserializeOwned>(
        &self,
        table: &str,
        prefix: &str,
    ) -> Result<Vec<(String, u64, T)>> {
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self
                .store
                .scan(table, prefix, after.as_deref(), SCAN_PAGE)
                .await?;
            let full = page.len() == SCAN_PAGE;
            after = page.last().map(|(key, _)| key.clone());
            for (key, record) in page {
                let value = decode(table, &key, &record.value)?;
                all.push((key, record.version, value));
            }
            if !full {
                return Ok(all);
            }
        }
    }

    /// One page of `table` under `prefix`, after `after`.
    pub async fn scan_page<T: DeserializeOwned>(
        &self,
        table: &str,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, T)>> {
        let page = self.store.scan(table, prefix, after, limit.max(1)).await?;
        page.into_iter()
            .map(|(key, record)| {
                let value = decode(table, &key, &record.value)?;
                Ok((key, value))
            })
            .collect()
    }
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    protocol::codec::to_json(value)
        .map(String::into_bytes)
        .map_err(|error| ServiceError::Corrupt(error.to_string()))
}

fn decode<T: DeserializeOwned>(table: &str, key: &str, bytes: &[u8]) -> Result<T> {
    protocol::codec::from_json(bytes)
        .map_err(|error| ServiceError::Corrupt(format!("record {table}/{key}: {error}")))
}

/// Jittered exponential backoff: up to 1, 2, 4 ... 64 ms.
async fn backoff(attempt: u32) {
    let ceiling_ms = 1_u64 << attempt.min(6);
    let wait_ms = rand::rng().random_range(0..=ceiling_ms);
    tokio::time::sleep(Duration::from_millis(wait_ms)).await;
}

/// One async lock per record key, so that updates of one key from this process queue instead of
/// conflicting. Entries are dropped when nobody holds or waits for them.
#[derive(Debug, Default)]
struct KeyedLocks {
    /// Key → lock. A std mutex: held only to find or create an entry, never across an await.
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl KeyedLocks {
    fn lock_for(&self, table: &str, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .locks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Forget locks that nobody holds or waits for (only the map refers to them).
        if locks.len() > 1_024 {
            locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        }
        locks
            .entry(format!("{table}\u{0}{key}"))
            .or_default()
            .clone()
    }
}
