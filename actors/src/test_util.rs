//! Test kit: a store that completes every operation inside the calling task.
//!
//! Actor tests run on paused tokio time (`start_paused = true`), where tokio advances the clock to
//! the next timer as soon as no task can run. A store that answers from another thread (the embedded
//! store's group-commit writer) would let time jump to the next lot deadline while a write is in
//! flight. [`MemoryStore`] answers synchronously, so "now" moves only when the test moves it. Its
//! semantics are the store contract's; the store crate's conformance checks run against it in this
//! crate's tests.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use store::{
    AppendError, Claim, ClaimError, Epoch, EventLog, Expect, LeaseError, NodeLease, OwnerId,
    Ownership, PreviousOwner, PutError, Record, RecordStore, Seq, StoreError, StoredEvent,
};

#[derive(Debug, Default)]
struct Inner {
    events: HashMap<String, Vec<StoredEvent>>,
    ownership: BTreeMap<String, Ownership>,
    leases: BTreeMap<String, NodeLease>,
    records: BTreeMap<(String, String), Record>,
    /// When set, every operation fails as if the store were unreachable.
    unavailable: bool,
}

/// An in-memory store with synchronous completion (see the module docs).
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Make every following operation fail with `Unavailable` (or work again).
    pub fn set_unavailable(&self, unavailable: bool) {
        self.lock().unavailable = unavailable;
    }

    fn check(&self) -> Result<std::sync::MutexGuard<'_, Inner>, StoreError> {
        let inner = self.lock();
        if inner.unavailable {
            return Err(StoreError::Unavailable(
                "memory store switched off by the test".into(),
            ));
        }
        Ok(inner)
    }
}

use store::limits as validate;

/// Whether a record at `current` version satisfies `expect`.
fn satisfies(current: Option<u64>, expect: Expect) -> Result<(), PutError> {
    let holds = match expect {
        Expect::Any => true,
        Expect::Absent => current.is_none(),
        Expect::Version(version) => current == Some(version),
    };
    if holds {
        Ok(())
    } else {
        Err(PutError::Conflict { current })
    }
}

fn is_writer(ownership: &Ownership, owner: &OwnerId, epoch: Epoch) -> bool {
    !ownership.retired
        && ownership.released_at.is_none()
        && ownership.epoch == epoch
        && ownership.owner.as_ref() == Some(owner)
}

#[async_trait]
impl EventLog for MemoryStore {
    async fn append(
        &self,
        auction: &str,
        owner: &OwnerId,
        epoch: Epoch,
        first_seq: Seq,
        payloads: Vec<Vec<u8>>,
    ) -> Result<(), AppendError> {
        validate::append(auction, owner, epoch, first_seq, &payloads)?;
        let mut inner = self.check()?;
        match inner.ownership.get(auction) {
            Some(current) if is_writer(current, owner, epoch) => {}
            current => {
                return Err(AppendError::Fenced {
                    current_epoch: current.map_or(0, |c| c.epoch),
                });
            }
        }
        let log = inner.events.entry(auction.to_string()).or_default();
        let last_seq = log.len() as u64;
        if first_seq != last_seq + 1 {
            return Err(AppendError::SeqConflict { last_seq });
        }
        for (offset, payload) in payloads.into_iter().enumerate() {
            log.push(StoredEvent {
                seq: first_seq + offset as u64,
                epoch,
                payload,
            });
        }
        Ok(())
    }

    async fn read(
        &self,
        auction: &str,
        from_seq: Seq,
        max: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        validate::read(auction, from_seq, max)?;
        let inner = self.check()?;
        let start = usize::try_from(from_seq - 1).unwrap_or(usize::MAX);
        Ok(inner
            .events
            .get(auction)
            .map(|log| log.iter().skip(start).take(max).cloned().collect())
            .unwrap_or_default())
    }

    async fn last_seq(&self, auction: &str) -> Result<Seq, StoreError> {
        validate::auction_id(auction)?;
        Ok(self
            .check()?
            .events
            .get(auction)
            .map_or(0, |log| log.len() as u64))
    }

    async fn claim(
        &self,
        auction: &str,
        claimant: &OwnerId,
        now_ms: i64,
        force: bool,
    ) -> Result<Claim, ClaimError> {
        validate::auction_id(auction)
            .and_then(|()| validate::owner(claimant))
            .map_err(ClaimError::Store)?;
        let mut inner = self.check().map_err(ClaimError::Store)?;
        let (epoch, previous) = match inner.ownership.get(auction).cloned() {
            None => (1, None),
            Some(current) if current.retired => return Err(ClaimError::Retired),
            Some(current) => match current.owner {
                None => (current.epoch + 1, None),
                Some(owner) if owner == *claimant && current.released_at.is_none() => {
                    return Ok(Claim {
                        epoch: current.epoch,
                        previous: None,
                    });
                }
                Some(owner) => match current.released_at {
                    Some(released_at) => (
                        current.epoch + 1,
                        Some(PreviousOwner {
                            owner,
                            epoch: current.epoch,
                            alive_until: Some(released_at),
                            released: true,
                        }),
                    ),
                    None => {
                        let lease = inner
                            .leases
                            .get(&owner.node)
                            .filter(|lease| lease.incarnation == owner.incarnation)
                            .cloned();
                        if let Some(lease) = &lease
                            && lease.expires_at > now_ms
                            && !force
                        {
                            return Err(ClaimError::Owned {
                                owner,
                                lease_expires_at: lease.expires_at,
                            });
                        }
                        (
                            current.epoch + 1,
                            Some(PreviousOwner {
                                owner,
                                epoch: current.epoch,
                                alive_until: lease.map(|lease| lease.renewed_at),
                                released: false,
                            }),
                        )
                    }
                },
            },
        };
        inner.ownership.insert(
            auction.to_string(),
            Ownership {
                owner: Some(claimant.clone()),
                epoch,
                released_at: None,
                retired: false,
            },
        );
        Ok(Claim { epoch, previous })
    }

    async fn release(
        &self,
        auction: &str,
        owner: &OwnerId,
        epoch: Epoch,
        now_ms: i64,
    ) -> Result<(), AppendError> {
        validate::auction_id(auction)?;
        validate::owner(owner)?;
        validate::epoch(epoch)?;
        let mut inner = self.check()?;
        let Some(ownership) = inner.ownership.get_mut(auction) else {
            return Err(AppendError::Fenced { current_epoch: 0 });
        };
        if ownership.epoch != epoch || ownership.owner.as_ref() != Some(owner) {
            return Err(AppendError::Fenced {
                current_epoch: ownership.epoch,
            });
        }
        ownership.released_at.get_or_insert(now_ms);
        Ok(())
    }

    async fn retire(
        &self,
        auction: &str,
        owner: &OwnerId,
        epoch: Epoch,
    ) -> Result<(), AppendError> {
        validate::auction_id(auction)?;
        validate::owner(owner)?;
        validate::epoch(epoch)?;
        let mut inner = self.check()?;
        let Some(ownership) = inner.ownership.get_mut(auction) else {
            return Err(AppendError::Fenced { current_epoch: 0 });
        };
        if ownership.retired && ownership.epoch == epoch && ownership.owner.as_ref() == Some(owner)
        {
            return Ok(());
        }
        if !is_writer(ownership, owner, epoch) {
            return Err(AppendError::Fenced {
                current_epoch: ownership.epoch,
            });
        }
        ownership.retired = true;
        Ok(())
    }

    async fn ownership(&self, auction: &str) -> Result<Option<Ownership>, StoreError> {
        validate::auction_id(auction)?;
        Ok(self.check()?.ownership.get(auction).cloned())
    }

    async fn active_auctions(&self) -> Result<Vec<(String, Ownership)>, StoreError> {
        Ok(self
            .check()?
            .ownership
            .iter()
            .filter(|(_, ownership)| !ownership.retired)
            .map(|(auction, ownership)| (auction.clone(), ownership.clone()))
            .collect())
    }

    async fn renew_lease(&self, lease: NodeLease) -> Result<(), LeaseError> {
        validate::lease(&lease)?;
        let mut inner = self.check()?;
        if let Some(existing) = inner.leases.get(&lease.node) {
            if existing.incarnation > lease.incarnation {
                return Err(LeaseError::Superseded);
            }
            if existing.incarnation == lease.incarnation && existing.renewed_at > lease.renewed_at {
                return Ok(());
            }
        }
        inner.leases.insert(lease.node.clone(), lease);
        Ok(())
    }

    async fn leases(&self) -> Result<Vec<NodeLease>, StoreError> {
        Ok(self.check()?.leases.values().cloned().collect())
    }
}

#[async_trait]
impl RecordStore for MemoryStore {
    async fn get(&self, table: &str, key: &str) -> Result<Option<Record>, StoreError> {
        validate::record_key(table, key)?;
        Ok(self
            .check()?
            .records
            .get(&(table.to_string(), key.to_string()))
            .cloned())
    }

    async fn put(
        &self,
        table: &str,
        key: &str,
        value: Vec<u8>,
        expect: Expect,
    ) -> Result<u64, PutError> {
        validate::record_key(table, key)?;
        validate::value(&value)?;
        validate::expect(expect)?;
        let mut inner = self.check()?;
        let slot = (table.to_string(), key.to_string());
        let current = inner.records.get(&slot).map(|record| record.version);
        satisfies(current, expect)?;
        let version = current.map_or(1, |version| version + 1);
        inner.records.insert(slot, Record { version, value });
        Ok(version)
    }

    async fn delete(&self, table: &str, key: &str, expect: Expect) -> Result<(), PutError> {
        validate::record_key(table, key)?;
        validate::expect(expect)?;
        let mut inner = self.check()?;
        let slot = (table.to_string(), key.to_string());
        let current = inner.records.get(&slot).map(|record| record.version);
        satisfies(current, expect)?;
        inner.records.remove(&slot);
        Ok(())
    }

    async fn scan(
        &self,
        table: &str,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Record)>, StoreError> {
        validate::scan(table, prefix, start_after, limit)?;
        let inner = self.check()?;
        Ok(inner
            .records
            .iter()
            .filter(|((t, key), _)| {
                t == table
                    && key.starts_with(prefix)
                    && start_after.is_none_or(|after| key.as_str() > after)
            })
            .take(limit)
            .map(|((_, key), record)| (key.clone(), record.clone()))
            .collect())
    }
}
