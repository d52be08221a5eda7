//! The auction state machine: [`Auction`].
//!
//! - [`Auction::decide`] turns a command and `now` into a [`Decision`] (events to append, or the
//!   original receipt of a repeated bid) or a [`Refusal`]. It never mutates.
//! - [`Auction::advance`] returns the time-driven events due at `now` (lot closes at their deadline,
//!   next lot after the gap, auto-nomination, the end); [`Auction::next_deadline`] says when to call
//!   it next.
//! - [`Auction::apply`] folds one event into the state. The state is exactly the fold of its events:
//!   [`Auction::replay`] of the log gives an identical auction on any node.
//!
//! The caller (the auction actor) persists the events of a decision before applying and
//! acknowledging them. `now` never runs backwards here: a `now` earlier than the latest event is
//! taken as the time of that event.

mod decide;
mod fold;
mod journal;
mod proxy;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::command::Command;
use crate::event::Event;
use crate::ids::{AssetId, IdempotencyKey, LotNumber, UserId};
use crate::money::Money;
use crate::refusal::Refusal;
use crate::settings::LeagueSettings;
use crate::setup::{AuctionSetup, SetupError};
use crate::time::Timestamp;

pub(crate) use fold::{AssetStatus, Clock, Core, Phase, Stage};
pub(crate) use journal::Journal;

use decide::Sim;

/// What a command decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", content = "value", rename_all = "snake_case")]
pub enum Decision {
    /// Append these events (in order), then apply them. May be empty (a command that changes
    /// nothing, such as setting auto-pass to its current value, or `Recover` with no clock to restore).
    Apply(Vec<Event>),
    /// The `(manager, key)` of this `PlaceBid`/`SetProxy` was already accepted: this is the original
    /// outcome. Nothing is appended; no second bid exists.
    Duplicate(BidReceipt),
}

/// The outcome of an accepted bid or proxy, returned again when its key is repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BidReceipt {
    /// The lot.
    pub lot: LotNumber,
    /// The bid amount (for a proxy: the maximum set).
    pub amount: Money,
    /// When it was accepted.
    pub at: Timestamp,
    /// `true` for a `SetProxy` receipt.
    pub by_proxy: bool,
}

/// Why an event could not be applied to the state (a corrupt or foreign log).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    /// `AuctionCreated` may only be the first event.
    #[error("auction_created may only be the first event")]
    AlreadyCreated,
    /// The event names a user who is not a manager.
    #[error("{manager} is not a manager of this auction")]
    UnknownManager {
        /// The user.
        manager: UserId,
    },
    /// The event names an asset outside the pool.
    #[error("{asset} is not in this auction's pool")]
    UnknownAsset {
        /// The asset.
        asset: AssetId,
    },
    /// The event does not fit the state it is applied to.
    #[error("{event} does not fit the auction's state: {reason}")]
    Unfit {
        /// The event's kind.
        event: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
}

/// Why a log could not be replayed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// No events at all.
    #[error("the event log is empty")]
    Empty,
    /// The first event is not `AuctionCreated`.
    #[error("the first event must be auction_created (got {kind})")]
    FirstNotCreated {
        /// The first event's kind.
        kind: &'static str,
    },
    /// The recorded setup is not valid.
    #[error("the recorded setup is not valid: {0}")]
    InvalidSetup(#[source] SetupError),
    /// Event number `index` (0-based, in the log) does not fit.
    #[error("event {index} does not fit: {source}")]
    Unfit {
        /// Position in the log (the first event is 0).
        index: usize,
        /// Why.
        #[source]
        source: ApplyError,
    },
}

/// The setup, indexed: what never changes after creation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Book {
    pub setup: AuctionSetup,
    managers: HashMap<UserId, usize>,
    assets: HashMap<AssetId, usize>,
    /// `(manager, asset, cost)` for each keeper.
    pub keepers: Vec<(usize, usize, Money)>,
    /// For each asset, the keeper entry index if it is kept.
    pub keeper_of: Vec<Option<usize>>,
}

impl Book {
    /// Indexes a setup that has passed validation.
    fn new(setup: AuctionSetup) -> Book {
        let managers: HashMap<UserId, usize> = setup
            .managers
            .iter()
            .enumerate()
            .map(|(index, manager)| (manager.id.clone(), index))
            .collect();
        let assets: HashMap<AssetId, usize> = setup
            .assets
            .iter()
            .enumerate()
            .map(|(index, asset)| (asset.id.clone(), index))
            .collect();
        let mut keeper_of = vec![None; setup.assets.len()];
        let mut keepers = Vec::with_capacity(setup.keepers.len());
        for keeper in &setup.keepers {
            if let (Some(&manager), Some(&asset)) =
                (managers.get(&keeper.manager), assets.get(&keeper.asset))
            {
                keeper_of[asset] = Some(keepers.len());
                keepers.push((manager, asset, keeper.cost));
            }
        }
        Book {
            setup,
            managers,
            assets,
            keepers,
            keeper_of,
        }
    }

    pub fn settings(&self) -> &LeagueSettings {
        &self.setup.settings
    }

    pub fn manager(&self, id: &UserId) -> Option<usize> {
        self.managers.get(id).copied()
    }

    pub fn asset(&self, id: &AssetId) -> Option<usize> {
        self.assets.get(id).copied()
    }

    pub fn manager_index(&self, id: &UserId) -> Result<usize, ApplyError> {
        self.manager(id).ok_or_else(|| ApplyError::UnknownManager {
            manager: id.clone(),
        })
    }

    pub fn asset_index(&self, id: &AssetId) -> Result<usize, ApplyError> {
        self.asset(id)
            .ok_or_else(|| ApplyError::UnknownAsset { asset: id.clone() })
    }

    pub fn manager_id(&self, index: usize) -> &UserId {
        &self.setup.managers[index].id
    }

    pub fn asset_id(&self, index: usize) -> &AssetId {
        &self.setup.assets[index].id
    }

    pub fn is_commissioner(&self, user: &UserId) -> bool {
        &self.setup.commissioner == user
    }
}

/// The decision for a request repeating an accepted key: the original receipt if it asks for the
/// same thing (`lot`, `amount`, bid or proxy), else `key_reused`.
fn repeat(
    original: &BidReceipt,
    lot: LotNumber,
    amount: Money,
    by_proxy: bool,
) -> Result<Decision, Refusal> {
    if (original.lot, original.amount, original.by_proxy) == (lot, amount, by_proxy) {
        Ok(Decision::Duplicate(*original))
    } else {
        Err(Refusal::KeyReused)
    }
}

/// One auction: its setup, its state, and its history, all folded from its events.
#[derive(Debug, Clone)]
pub struct Auction {
    pub(crate) book: Book,
    pub(crate) core: Core,
    pub(crate) journal: Journal,
    /// Accepted idempotency keys, per manager.
    receipts: Vec<HashMap<IdempotencyKey, BidReceipt>>,
}

impl Auction {
    /// Creates an auction in the waiting room from a valid setup. Returns it with the
    /// `AuctionCreated` event to persist as the log's first event.
    pub fn create(setup: AuctionSetup, now: Timestamp) -> Result<(Auction, Event), SetupError> {
        setup.validate()?;
        let event = Event::AuctionCreated {
            setup: setup.clone(),
            at: now,
        };
        Ok((Auction::from_valid_setup(setup, now), event))
    }

    fn from_valid_setup(setup: AuctionSetup, at: Timestamp) -> Auction {
        let managers = setup.managers.len();
        let book = Book::new(setup);
        let core = Core::new(&book, at);
        Auction {
            book,
            core,
            journal: Journal::new(at),
            receipts: vec![HashMap::new(); managers],
        }
    }

    /// Rebuilds an auction from its event log. The first event must be `AuctionCreated`.
    pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> Result<Auction, ReplayError> {
        let mut events = events.into_iter();
        let first = events.next().ok_or(ReplayError::Empty)?;
        let Event::AuctionCreated { setup, at } = first else {
            return Err(ReplayError::FirstNotCreated { kind: first.kind() });
        };
        setup.validate().map_err(ReplayError::InvalidSetup)?;
        let mut auction = Auction::from_valid_setup(setup.clone(), *at);
        for (offset, event) in events.enumerate() {
            auction
                .try_apply(event)
                .map_err(|source| ReplayError::Unfit {
                    index: offset + 1,
                    source,
                })?;
        }
        Ok(auction)
    }

    /// Decides `command` at `now`. Pure: the auction is unchanged; apply the returned events (after
    /// persisting them) to make them happen.
    ///
    /// Commands aimed at a lot (bids, proxies, passes, skip) are judged against the lot's own
    /// deadline, so a bid at or after the deadline is refused with `lot_closed` even if `advance` has
    /// not closed the lot yet. Commands that are not (pause, auto-pass, undo, end) first catch up on
    /// any overdue clock: their decision starts with the events `advance(now)` would return.
    pub fn decide(&self, command: &Command, now: Timestamp) -> Result<Decision, Refusal> {
        let now = now.max(self.core.last_at);
        let (book, core) = (&self.book, &self.core);
        let events = match command {
            Command::PlaceBid {
                by,
                lot,
                amount,
                key,
            } => {
                let manager = book.manager(by).ok_or(Refusal::NotAManager)?;
                if let Some(receipt) = self.receipts[manager].get(key) {
                    return repeat(receipt, *lot, *amount, false);
                }
                decide::place_bid(book, core, manager, *lot, *amount, key, now)?
            }
            Command::SetProxy { by, lot, max, key } => {
                let manager = book.manager(by).ok_or(Refusal::NotAManager)?;
                if let Some(receipt) = self.receipts[manager].get(key) {
                    return repeat(receipt, *lot, *max, true);
                }
                decide::set_proxy(book, core, manager, *lot, *max, key, now)?
            }
            Command::Pass { by, lot } => {
                let manager = book.manager(by).ok_or(Refusal::NotAManager)?;
                decide::pass(book, core, manager, *lot, now)?
            }
            Command::Nominate {
                by,
                asset,
                opening_bid,
            } => {
                let manager = book.manager(by).ok_or(Refusal::NotAManager)?;
                decide::nominate(book, core, manager, asset, *opening_bid, now)?
            }
            Command::SetAutoPass { by, manager, on } => {
                if by != manager && !book.is_commissioner(by) {
                    return Err(Refusal::NotCommissioner);
                }
                let target = book.manager(manager).ok_or(Refusal::NotAManager)?;
                let mut sim = self.caught_up(now);
                decide::set_auto_pass(&mut sim, by, target, *on, now)?;
                sim.events
            }
            Command::Begin { by, seed } => {
                self.commissioner(by)?;
                decide::begin(book, core, by, *seed, now)?
            }
            Command::Pause { by } => {
                self.commissioner(by)?;
                let mut sim = self.caught_up(now);
                decide::pause(&mut sim, by, now)?;
                sim.events
            }
            Command::Resume { by } => {
                self.commissioner(by)?;
                decide::resume(book, core, by, now)?
            }
            Command::CloseLot { by } => {
                self.commissioner(by)?;
                decide::close_lot(book, core, None, now)?
            }
            Command::CloseLotIfOpen { by, lot } => {
                self.commissioner(by)?;
                decide::close_lot(book, core, Some(*lot), now)?
            }
            Command::UndoLastSale { by } => {
                self.commissioner(by)?;
                let mut sim = self.caught_up(now);
                decide::undo(&mut sim, by, None, now)?;
                sim.events
            }
            Command::UndoSaleOf { by, lot } => {
                self.commissioner(by)?;
                let mut sim = self.caught_up(now);
                decide::undo(&mut sim, by, Some(*lot), now)?;
                sim.events
            }
            Command::End { by } => {
                self.commissioner(by)?;
                let mut sim = self.caught_up(now);
                decide::end(&mut sim, by, now)?;
                sim.events
            }
            Command::Recover {
                alive_until,
                min_remaining,
            } => decide::recover(core, *alive_until, *min_remaining, now),
        };
        Ok(Decision::Apply(events))
    }

    /// Decides `command`, then applies what was decided. For tests and single-process use; a
    /// durable caller persists the events between the two steps.
    pub fn execute(&mut self, command: &Command, now: Timestamp) -> Result<Decision, Refusal> {
        let decision = self.decide(command, now)?;
        if let Decision::Apply(events) = &decision {
            for event in events {
                self.apply(event);
            }
        }
        Ok(decision)
    }

    /// Every time-driven event due at or before `now`, in order. Applying them and calling
    /// `advance(now)` again yields nothing.
    pub fn advance(&self, now: Timestamp) -> Vec<Event> {
        let now = now.max(self.core.last_at);
        if self.next_deadline().is_none_or(|deadline| deadline > now) {
            return Vec::new();
        }
        let mut sim = Sim::new(&self.book, self.core.clone());
        sim.run_clock(now);
        sim.events
    }

    /// When `advance` will next have something to do: the running clock's deadline (lot close, next
    /// lot, nomination timeout). `None` while waiting, paused or ended.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        self.core.running_deadline()
    }

    /// Folds one event into the state. Events produced by `decide`/`advance` on this state always
    /// fit; an event that does not fit is ignored (use [`Auction::try_apply`] to learn why).
    pub fn apply(&mut self, event: &Event) {
        let _ignored_when_unfit = self.try_apply(event);
    }

    /// Folds one event into the state, or explains why it does not fit (the state is then unchanged).
    pub fn try_apply(&mut self, event: &Event) -> Result<(), ApplyError> {
        self.core.apply(&self.book, event)?;
        self.journal.apply(event);
        match event {
            Event::BidAccepted {
                lot,
                bidder,
                amount,
                key: Some(key),
                by_proxy,
                at,
                ..
            } => {
                if let Some(manager) = self.book.manager(bidder) {
                    let receipt = BidReceipt {
                        lot: *lot,
                        amount: *amount,
                        at: *at,
                        by_proxy: *by_proxy,
                    };
                    self.receipts[manager].insert(key.clone(), receipt);
                }
            }
            Event::ProxySet {
                lot,
                manager,
                max,
                key,
                at,
            } => {
                if let Some(manager) = self.book.manager(manager) {
                    let receipt = BidReceipt {
                        lot: *lot,
                        amount: *max,
                        at: *at,
                        by_proxy: true,
                    };
                    self.receipts[manager].insert(key.clone(), receipt);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The auction's id.
    pub fn auction_id(&self) -> &crate::ids::AuctionId {
        &self.book.setup.auction_id
    }

    /// What the auction was created from.
    pub fn setup(&self) -> &AuctionSetup {
        &self.book.setup
    }

    /// The league's rules.
    pub fn settings(&self) -> &LeagueSettings {
        self.book.settings()
    }

    /// Whether the auction has ended (nothing more will be accepted).
    pub fn is_ended(&self) -> bool {
        matches!(self.core.phase, Phase::Ended { .. })
    }

    /// The open lot's number (running or paused), if a lot is open.
    pub fn current_lot(&self) -> Option<LotNumber> {
        self.core.lot.as_ref().map(|lot| lot.number)
    }

    /// How many events have been applied, `AuctionCreated` included (the log's last sequence number
    /// when the log starts at 1).
    pub fn events_applied(&self) -> u64 {
        self.core.seq
    }

    /// Time of the latest event applied.
    pub fn last_event_at(&self) -> Timestamp {
        self.core.last_at
    }

    fn commissioner(&self, by: &UserId) -> Result<(), Refusal> {
        if self.book.is_commissioner(by) {
            Ok(())
        } else {
            Err(Refusal::NotCommissioner)
        }
    }

    /// A simulation starting from this state with every overdue clock event already emitted.
    fn caught_up(&self, now: Timestamp) -> Sim<'_> {
        let mut sim = Sim::new(&self.book, self.core.clone());
        sim.run_clock(now);
        sim
    }
}

#[cfg(test)]
mod tests;
