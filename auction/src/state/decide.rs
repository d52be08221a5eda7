//! Decisions: from a command (or the passage of time) and the current [`Core`], the events that
//! follow, or a [`Refusal`]. Nothing here mutates the auction.
//!
//! Simple outcomes (a bid that triggers nothing else, a refusal) are computed straight from the
//! state without allocation beyond the event itself. Outcomes that chain several events (a bid that
//! triggers proxies or closes the lot, a lot close that ends the auction, a catch-up on overdue
//! clocks) are built by a [`Sim`]: a scratch copy of the core to which each event is applied as it
//! is emitted, so every later event is decided against the state the earlier ones produced — exactly
//! as the fold will see them.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

use crate::event::{EndReason, Event};
use crate::ids::{AssetId, IdempotencyKey, LotNumber, UserId};
use crate::money::Money;
use crate::refusal::Refusal;
use crate::settings::NominationMode;
use crate::time::{DurationMs, Timestamp};

use super::Book;
use super::fold::{Clock, Core, Lot, Phase, Stage};
use super::proxy;

/// A scratch copy of the core plus the events emitted so far.
pub(crate) struct Sim<'a> {
    book: &'a Book,
    pub core: Core,
    pub events: Vec<Event>,
}

impl<'a> Sim<'a> {
    pub fn new(book: &'a Book, core: Core) -> Self {
        Sim {
            book,
            core,
            events: Vec::new(),
        }
    }

    /// Applies `event` to the scratch state and records it.
    fn emit(&mut self, event: Event) {
        let applied = self.core.apply(self.book, &event);
        debug_assert!(
            applied.is_ok(),
            "decided event does not fit: {applied:?} {event:?}"
        );
        self.events.push(event);
    }

    /// Every time-driven event due at or before `now`: lots close at their deadline, the next lot
    /// or nomination opens at `now` once the gap has run, a timed-out nomination auto-nominates, and
    /// the auction ends when nothing more can happen.
    pub fn run_clock(&mut self, now: Timestamp) {
        // Each step consumes an offer, opens a lot or ends the auction, so this bound is never
        // reached; it only guarantees termination should an invariant ever break.
        let mut steps_left = 8 * (self.book.setup.assets.len() * 8 + 8);
        while let Phase::Active {
            stage,
            clock: Clock::Running { deadline },
        } = self.core.phase
        {
            if deadline > now || steps_left == 0 {
                break;
            }
            steps_left -= 1;
            match stage {
                Stage::Lot => self.close_lot(deadline),
                Stage::Gap => self.open_next(now),
                Stage::Nominating { .. } => self.auto_nominate(now),
            }
        }
    }

    /// Closes the open lot at `at`: sold to the leader, or unsold; then ends the auction if nothing
    /// more can happen.
    pub fn close_lot(&mut self, at: Timestamp) {
        let Some(lot) = &self.core.lot else { return };
        let lot_number = lot.number;
        let asset = self.book.asset_id(lot.asset).clone();
        let event = match (lot.leader, lot.price) {
            (Some(buyer), Some(price)) => Event::LotSold {
                lot: lot_number,
                asset,
                buyer: self.book.manager_id(buyer).clone(),
                price,
                at,
            },
            _ => Event::LotUnsold {
                lot: lot_number,
                asset,
                will_reoffer: lot.offer <= self.book.settings().reoffer_rounds,
                at,
            },
        };
        self.emit(event);
        if let Some(reason) = self.core.end_reason(self.book) {
            self.emit(Event::AuctionEnded {
                reason,
                by: None,
                at,
            });
        }
    }

    /// Opens what comes next at `now`: an undone sale's asset, else (rotation) a nomination, else
    /// the next asset in order; or ends the auction.
    fn open_next(&mut self, now: Timestamp) {
        if let Some(reason) = self.core.end_reason(self.book) {
            self.emit(Event::AuctionEnded {
                reason,
                by: None,
                at: now,
            });
            return;
        }
        if let Some(&asset) = self.core.front.front() {
            self.open_lot(asset, now);
            return;
        }
        if let Some(clock) = self.book.settings().nomination_clock()
            && let Some(nominator) = self.next_nominator()
        {
            self.emit(Event::NominationOpened {
                nominator: self.book.manager_id(nominator).clone(),
                deadline: now.plus(clock),
                at: now,
            });
            return;
        }
        match self.core.next_ordered_asset() {
            Some(asset) => self.open_lot(asset, now),
            None => self.emit(Event::AuctionEnded {
                reason: EndReason::NoLotsLeft,
                by: None,
                at: now,
            }),
        }
    }

    /// Rotation: the nominator's time ran out; the next asset in order opens with no bid.
    fn auto_nominate(&mut self, now: Timestamp) {
        if let Some(reason) = self.core.end_reason(self.book) {
            self.emit(Event::AuctionEnded {
                reason,
                by: None,
                at: now,
            });
            return;
        }
        match self.core.next_ordered_asset() {
            Some(asset) => self.open_lot(asset, now),
            None => self.emit(Event::AuctionEnded {
                reason: EndReason::NoLotsLeft,
                by: None,
                at: now,
            }),
        }
    }

    /// Opens a lot for `asset` with no bid and a full clock.
    fn open_lot(&mut self, asset: usize, now: Timestamp) {
        let settings = self.book.settings();
        self.emit(Event::LotOpened {
            lot: LotNumber(self.core.lots_opened + 1),
            asset: self.book.asset_id(asset).clone(),
            opening_bid: settings.min_opening_bid,
            deadline: now.plus(settings.bid_clock),
            nominated_by: None,
            offer: self.core.assets[asset].offers.saturating_add(1),
            at: now,
        });
        self.close_if_everyone_out(now);
    }

    /// The next manager in turn order who can nominate: a free slot, can afford the opening bid, and
    /// not on auto-pass (an absent manager's turn is skipped rather than timed out).
    fn next_nominator(&self) -> Option<usize> {
        let turns = self.core.nominators.len();
        let opening = self.book.settings().min_opening_bid;
        (0..turns)
            .map(|k| self.core.nominators[(self.core.next_turn + k) % turns])
            .find(|&manager| {
                self.core.can_afford(self.book, manager, opening)
                    && !self.core.wallets[manager].auto_pass
            })
    }

    /// Closes the open, running lot at `now` when nobody but the leader can still take part.
    pub fn close_if_everyone_out(&mut self, now: Timestamp) {
        let running = matches!(
            self.core.phase,
            Phase::Active {
                stage: Stage::Lot,
                clock: Clock::Running { .. }
            }
        );
        if running
            && self
                .core
                .lot
                .as_ref()
                .is_some_and(|lot| everyone_else_out(self.book, &self.core, lot, None))
        {
            self.close_lot(now);
        }
    }

    /// Places the automatic bids that proxies call for, each a valid bid.
    pub fn resolve_proxies(&mut self, now: Timestamp) {
        for _ in 0..4 {
            let Some(lot) = &self.core.lot else { return };
            let bids = proxy::plan(self.book, &self.core, lot);
            if bids.is_empty() {
                return;
            }
            for (manager, amount) in bids {
                let Some(lot) = &self.core.lot else { return };
                let Some(deadline) = self.core.running_deadline() else {
                    return;
                };
                if check_automatic_bid(self.book, &self.core, lot, manager, amount).is_err() {
                    debug_assert!(false, "planned proxy bid is not valid");
                    return;
                }
                let event = Event::BidAccepted {
                    lot: lot.number,
                    bidder: self.book.manager_id(manager).clone(),
                    amount,
                    key: None,
                    by_proxy: true,
                    deadline: deadline_after_bid(self.book, deadline, now),
                    at: now,
                };
                self.emit(event);
            }
        }
    }

    /// Turns a manager's auto-pass off because they just acted.
    fn wake(&mut self, manager: usize, now: Timestamp) {
        if self.core.wallets[manager].auto_pass {
            let id = self.book.manager_id(manager).clone();
            self.emit(Event::AutoPassChanged {
                manager: id.clone(),
                on: false,
                by: id,
                at: now,
            });
        }
    }
}

/// Whether every manager other than the leader is out of the lot: passed, on auto-pass, without a
/// free slot, or unable to afford the next bid. With `assume`, as if `(manager, amount)` had just
/// become the leading bid.
fn everyone_else_out(book: &Book, core: &Core, lot: &Lot, assume: Option<(usize, Money)>) -> bool {
    let (leader, min_next) = match assume {
        Some((manager, amount)) => (Some(manager), book.settings().increment.min_next(amount)),
        None => (lot.leader, core.min_next(book, lot)),
    };
    (0..core.wallets.len()).all(|manager| {
        Some(manager) == leader
            || lot.has_passed(manager)
            || core.wallets[manager].auto_pass
            || !core.can_afford(book, manager, min_next)
    })
}

/// The lot's deadline after a bid accepted at `now`: reset to `now + anti_snipe` when less than the
/// window is left (0 disables), unchanged otherwise.
pub(crate) fn deadline_after_bid(book: &Book, deadline: Timestamp, now: Timestamp) -> Timestamp {
    let window = book.settings().anti_snipe;
    if !window.is_zero() && deadline.saturating_sub(now) < window {
        now.plus(window)
    } else {
        deadline
    }
}

/// The open lot a bid, proxy or pass for lot `sent` at `now` may act on, or why there is none.
pub(crate) fn open_lot_for<'c>(
    book: &Book,
    core: &'c Core,
    sent: LotNumber,
    now: Timestamp,
) -> Result<&'c Lot, Refusal> {
    match core.phase {
        Phase::Waiting => Err(Refusal::NotStarted),
        Phase::Ended { .. } => Err(Refusal::Ended),
        Phase::Active {
            clock: Clock::Paused { .. },
            ..
        } => Err(Refusal::Paused),
        Phase::Active {
            stage: Stage::Gap,
            clock: Clock::Running { deadline },
        } => Err(Refusal::BetweenLots {
            next_lot_at: deadline,
        }),
        Phase::Active {
            stage: Stage::Nominating { nominator },
            ..
        } => Err(Refusal::AwaitingNomination {
            nominator: book.manager_id(nominator).clone(),
        }),
        Phase::Active {
            stage: Stage::Lot,
            clock: Clock::Running { deadline },
        } => {
            let Some(lot) = &core.lot else {
                return Err(Refusal::NoOpenLot);
            };
            if lot.number != sent {
                return Err(Refusal::WrongLot {
                    sent,
                    current: Some(lot.number),
                });
            }
            if now >= deadline {
                return Err(Refusal::LotClosed { lot: sent });
            }
            Ok(lot)
        }
    }
}

/// The bid rules that do not depend on the phase: a free slot, not already leading, at least the
/// opening bid and at least the price plus the increment, at most the max bid.
pub(crate) fn check_bid(
    book: &Book,
    core: &Core,
    lot: &Lot,
    manager: usize,
    amount: Money,
) -> Result<(), Refusal> {
    let settings = book.settings();
    if core.wallets[manager].filled >= settings.roster_slots {
        return Err(Refusal::RosterFull {
            slots: settings.roster_slots,
        });
    }
    if lot.leader == Some(manager) {
        return Err(Refusal::AlreadyLeading);
    }
    match lot.price {
        None if amount < lot.opening_bid => {
            return Err(Refusal::BelowOpeningBid {
                amount,
                opening_bid: lot.opening_bid,
            });
        }
        Some(price) => {
            let min_next = settings.increment.min_next(price);
            if amount < min_next {
                return Err(Refusal::BelowMinimumNext { amount, min_next });
            }
        }
        None => {}
    }
    check_max_bid(book, core, manager, amount)
}

/// [`check_bid`] for an automatic bid: a proxy's answer at exactly its own maximum only has to
/// beat the price, not beat it by a full increment.
fn check_automatic_bid(
    book: &Book,
    core: &Core,
    lot: &Lot,
    manager: usize,
    amount: Money,
) -> Result<(), Refusal> {
    match check_bid(book, core, lot, manager, amount) {
        Err(Refusal::BelowMinimumNext { .. })
            if lot.price.is_some_and(|price| amount > price)
                && lot
                    .proxy_of(manager)
                    .is_some_and(|proxy| proxy.max == amount) =>
        {
            check_max_bid(book, core, manager, amount)
        }
        outcome => outcome,
    }
}

fn check_max_bid(book: &Book, core: &Core, manager: usize, amount: Money) -> Result<(), Refusal> {
    let max_bid = core.max_bid(book, manager);
    if amount > max_bid {
        return Err(Refusal::AboveMaxBid {
            amount,
            max_bid,
            reserve_per_slot: book.settings().min_opening_bid,
            other_empty_slots: core.empty_slots(book, manager).saturating_sub(1),
        });
    }
    Ok(())
}

/// `PlaceBid` after the idempotency check.
pub(crate) fn place_bid(
    book: &Book,
    core: &Core,
    manager: usize,
    sent: LotNumber,
    amount: Money,
    key: &IdempotencyKey,
    now: Timestamp,
) -> Result<Vec<Event>, Refusal> {
    if !amount.is_within_limit() {
        return Err(Refusal::AmountTooLarge);
    }
    let lot = open_lot_for(book, core, sent, now)?;
    check_bid(book, core, lot, manager, amount)?;
    let Some(deadline) = core.running_deadline() else {
        return Err(Refusal::NoOpenLot);
    };
    let bid = Event::BidAccepted {
        lot: sent,
        bidder: book.manager_id(manager).clone(),
        amount,
        key: Some(key.clone()),
        by_proxy: false,
        deadline: deadline_after_bid(book, deadline, now),
        at: now,
    };
    let min_next = book.settings().increment.min_next(amount);
    let proxies_answer = lot
        .proxies
        .iter()
        .any(|proxy| proxy.manager != manager && proxy.max >= min_next);
    let follow_up = core.wallets[manager].auto_pass
        || proxies_answer
        || everyone_else_out(book, core, lot, Some((manager, amount)));
    if !follow_up {
        return Ok(vec![bid]);
    }
    let mut sim = Sim::new(book, core.clone());
    sim.wake(manager, now);
    sim.emit(bid);
    sim.resolve_proxies(now);
    sim.close_if_everyone_out(now);
    Ok(sim.events)
}

/// `SetProxy` after the idempotency check.
pub(crate) fn set_proxy(
    book: &Book,
    core: &Core,
    manager: usize,
    sent: LotNumber,
    max: Money,
    key: &IdempotencyKey,
    now: Timestamp,
) -> Result<Vec<Event>, Refusal> {
    let settings = book.settings();
    if !settings.proxy_bidding {
        return Err(Refusal::ProxyDisabled);
    }
    if !max.is_within_limit() {
        return Err(Refusal::AmountTooLarge);
    }
    let lot = open_lot_for(book, core, sent, now)?;
    if core.wallets[manager].filled >= settings.roster_slots {
        return Err(Refusal::RosterFull {
            slots: settings.roster_slots,
        });
    }
    match (lot.price, lot.leader == Some(manager)) {
        (Some(price), true) if max < price => return Err(Refusal::ProxyBelowPrice { max, price }),
        (None, _) if max < lot.opening_bid => {
            return Err(Refusal::BelowOpeningBid {
                amount: max,
                opening_bid: lot.opening_bid,
            });
        }
        (Some(price), false) => {
            let min_next = settings.increment.min_next(price);
            if max < min_next {
                return Err(Refusal::BelowMinimumNext {
                    amount: max,
                    min_next,
                });
            }
        }
        _ => {}
    }
    check_max_bid(book, core, manager, max)?;
    let mut sim = Sim::new(book, core.clone());
    sim.wake(manager, now);
    sim.emit(Event::ProxySet {
        lot: sent,
        manager: book.manager_id(manager).clone(),
        max,
        key: key.clone(),
        at: now,
    });
    sim.resolve_proxies(now);
    sim.close_if_everyone_out(now);
    Ok(sim.events)
}

/// `Pass`.
pub(crate) fn pass(
    book: &Book,
    core: &Core,
    manager: usize,
    sent: LotNumber,
    now: Timestamp,
) -> Result<Vec<Event>, Refusal> {
    let lot = open_lot_for(book, core, sent, now)?;
    if lot.leader == Some(manager) {
        return Err(Refusal::LeaderCannotPass);
    }
    if lot.has_passed(manager) {
        return Err(Refusal::AlreadyPassed);
    }
    let mut sim = Sim::new(book, core.clone());
    sim.emit(Event::Passed {
        lot: sent,
        manager: book.manager_id(manager).clone(),
        at: now,
    });
    sim.close_if_everyone_out(now);
    Ok(sim.events)
}

/// `Nominate`.
pub(crate) fn nominate(
    book: &Book,
    core: &Core,
    manager: usize,
    asset: &AssetId,
    opening_bid: Option<Money>,
    now: Timestamp,
) -> Result<Vec<Event>, Refusal> {
    let settings = book.settings();
    if !matches!(settings.nomination, NominationMode::Rotation { .. }) {
        return Err(Refusal::NotRotationMode);
    }
    match core.phase {
        Phase::Waiting => return Err(Refusal::NotStarted),
        Phase::Ended { .. } => return Err(Refusal::Ended),
        Phase::Active {
            clock: Clock::Paused { .. },
            ..
        } => return Err(Refusal::Paused),
        Phase::Active {
            stage: Stage::Nominating { nominator },
            clock: Clock::Running { deadline },
        } => {
            if nominator != manager {
                return Err(Refusal::NotYourTurn {
                    nominator: book.manager_id(nominator).clone(),
                });
            }
            if now >= deadline {
                return Err(Refusal::NominationExpired { deadline });
            }
        }
        Phase::Active { .. } => return Err(Refusal::NoNominationOpen),
    }
    let Some(asset_index) = book.asset(asset) else {
        return Err(Refusal::UnknownAsset {
            asset: asset.clone(),
        });
    };
    if !core.is_nominatable(asset_index) {
        return Err(Refusal::AssetNotAvailable {
            asset: asset.clone(),
        });
    }
    let opening = opening_bid.unwrap_or(settings.min_opening_bid);
    if !opening.is_within_limit() {
        return Err(Refusal::AmountTooLarge);
    }
    if opening < settings.min_opening_bid {
        return Err(Refusal::BelowOpeningBid {
            amount: opening,
            opening_bid: settings.min_opening_bid,
        });
    }
    if core.wallets[manager].filled >= settings.roster_slots {
        return Err(Refusal::RosterFull {
            slots: settings.roster_slots,
        });
    }
    check_max_bid(book, core, manager, opening)?;
    let lot = LotNumber(core.lots_opened + 1);
    let deadline = now.plus(settings.bid_clock);
    let nominator = book.manager_id(manager).clone();
    let mut sim = Sim::new(book, core.clone());
    sim.wake(manager, now);
    sim.emit(Event::LotOpened {
        lot,
        asset: asset.clone(),
        opening_bid: opening,
        deadline,
        nominated_by: Some(nominator.clone()),
        offer: core.assets[asset_index].offers.saturating_add(1),
        at: now,
    });
    sim.emit(Event::BidAccepted {
        lot,
        bidder: nominator,
        amount: opening,
        key: None,
        by_proxy: false,
        deadline,
        at: now,
    });
    sim.close_if_everyone_out(now);
    Ok(sim.events)
}

/// `Begin`.
pub(crate) fn begin(
    book: &Book,
    core: &Core,
    by: &UserId,
    seed: u64,
    now: Timestamp,
) -> Result<Vec<Event>, Refusal> {
    match core.phase {
        Phase::Waiting => {}
        Phase::Ended { .. } => return Err(Refusal::Ended),
        Phase::Active { .. } => return Err(Refusal::AlreadyBegun),
    }
    let settings = book.settings();
    let have = book.setup.managers.len();
    if have < usize::from(settings.min_managers) {
        return Err(Refusal::TooFewManagers {
            have,
            need: settings.min_managers,
        });
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut order: Vec<AssetId> = book
        .setup
        .assets
        .iter()
        .enumerate()
        .filter(|(index, _)| book.keeper_of[*index].is_none())
        .map(|(_, asset)| asset.id.clone())
        .collect();
    let mut nominators = Vec::new();
    match settings.nomination {
        NominationMode::RandomOrder => shuffle(&mut order, &mut rng),
        NominationMode::FixedOrder => {}
        NominationMode::Rotation { .. } => {
            nominators = book
                .setup
                .managers
                .iter()
                .map(|manager| manager.id.clone())
                .collect();
            shuffle(&mut nominators, &mut rng);
        }
    }
    let mut sim = Sim::new(book, core.clone());
    sim.emit(Event::AuctionBegan {
        by: by.clone(),
        order,
        nominators,
        at: now,
    });
    sim.run_clock(now);
    Ok(sim.events)
}

/// `Pause`, on a state already caught up to `now`.
pub(crate) fn pause(sim: &mut Sim<'_>, by: &UserId, now: Timestamp) -> Result<(), Refusal> {
    match sim.core.phase {
        Phase::Waiting => Err(Refusal::NotStarted),
        Phase::Ended { .. } => Err(Refusal::Ended),
        Phase::Active {
            clock: Clock::Paused { .. },
            ..
        } => Err(Refusal::AlreadyPaused),
        Phase::Active {
            clock: Clock::Running { deadline },
            ..
        } => {
            sim.emit(Event::Paused {
                by: by.clone(),
                remaining: deadline.saturating_sub(now),
                at: now,
            });
            Ok(())
        }
    }
}

/// `Resume`.
pub(crate) fn resume(
    book: &Book,
    core: &Core,
    by: &UserId,
    now: Timestamp,
) -> Result<Vec<Event>, Refusal> {
    match core.phase {
        Phase::Waiting => Err(Refusal::NotStarted),
        Phase::Ended { .. } => Err(Refusal::Ended),
        Phase::Active {
            clock: Clock::Running { .. },
            ..
        } => Err(Refusal::NotPaused),
        Phase::Active {
            clock: Clock::Paused { remaining },
            ..
        } => {
            let mut sim = Sim::new(book, core.clone());
            sim.emit(Event::Resumed {
                by: by.clone(),
                deadline: now.plus(remaining),
                at: now,
            });
            sim.close_if_everyone_out(now);
            Ok(sim.events)
        }
    }
}

/// `CloseLot` / `CloseLotIfOpen`: the commissioner's skip.
pub(crate) fn close_lot(
    book: &Book,
    core: &Core,
    expected: Option<LotNumber>,
    now: Timestamp,
) -> Result<Vec<Event>, Refusal> {
    match core.phase {
        Phase::Waiting => Err(Refusal::NotStarted),
        Phase::Ended { .. } => Err(Refusal::Ended),
        Phase::Active {
            stage: Stage::Lot,
            clock,
        } => {
            let Some(lot) = &core.lot else {
                return Err(Refusal::NoOpenLot);
            };
            if let Some(sent) = expected.filter(|sent| *sent != lot.number) {
                return Err(Refusal::WrongLot {
                    sent,
                    current: Some(lot.number),
                });
            }
            if let Clock::Running { deadline } = clock
                && now >= deadline
            {
                // The clock already decided this lot; `advance` closes it at its deadline.
                return Err(Refusal::LotClosed { lot: lot.number });
            }
            let mut sim = Sim::new(book, core.clone());
            sim.close_lot(now);
            Ok(sim.events)
        }
        Phase::Active { .. } => match expected {
            Some(sent) if sent.0 <= core.lots_opened => Err(Refusal::LotClosed { lot: sent }),
            _ => Err(Refusal::NoOpenLot),
        },
    }
}

/// `UndoLastSale` / `UndoSaleOf`, on a state already caught up to `now`.
pub(crate) fn undo(
    sim: &mut Sim<'_>,
    by: &UserId,
    expected: Option<LotNumber>,
    now: Timestamp,
) -> Result<(), Refusal> {
    match sim.core.phase {
        Phase::Waiting => return Err(Refusal::NotStarted),
        Phase::Ended { .. } => return Err(Refusal::Ended),
        Phase::Active { .. } => {}
    }
    let Some(sale) = sim.core.last_sale().copied() else {
        return Err(Refusal::NothingToUndo);
    };
    if let Some(sent) = expected.filter(|sent| *sent != sale.lot) {
        return Err(Refusal::NotLastSale {
            lot: sent,
            last: Some(sale.lot),
        });
    }
    let event = Event::SaleUndone {
        lot: sale.lot,
        asset: sim.book.asset_id(sale.asset).clone(),
        buyer: sim.book.manager_id(sale.buyer).clone(),
        price: sale.price,
        by: by.clone(),
        at: now,
    };
    sim.emit(event);
    Ok(())
}

/// `End`, on a state already caught up to `now`.
pub(crate) fn end(sim: &mut Sim<'_>, by: &UserId, now: Timestamp) -> Result<(), Refusal> {
    if matches!(sim.core.phase, Phase::Ended { .. }) {
        return Err(Refusal::Ended);
    }
    sim.emit(Event::AuctionEnded {
        reason: EndReason::Commissioner,
        by: Some(by.clone()),
        at: now,
    });
    Ok(())
}

/// `SetAutoPass`, on a state already caught up to `now` (authorisation already checked).
pub(crate) fn set_auto_pass(
    sim: &mut Sim<'_>,
    by: &UserId,
    manager: usize,
    on: bool,
    now: Timestamp,
) -> Result<(), Refusal> {
    if matches!(sim.core.phase, Phase::Ended { .. }) {
        return Err(Refusal::Ended);
    }
    if sim.core.wallets[manager].auto_pass == on {
        return Ok(());
    }
    let id = sim.book.manager_id(manager).clone();
    sim.emit(Event::AutoPassChanged {
        manager: id,
        on,
        by: by.clone(),
        at: now,
    });
    if on {
        sim.close_if_everyone_out(now);
    }
    Ok(())
}

/// `Recover`: restore the running clock after a takeover, never shortening it.
pub(crate) fn recover(
    core: &Core,
    alive_until: Timestamp,
    min_remaining: DurationMs,
    now: Timestamp,
) -> Vec<Event> {
    let Some(deadline) = core.running_deadline() else {
        return Vec::new();
    };
    if deadline <= alive_until {
        return Vec::new();
    }
    let remaining = deadline.saturating_sub(alive_until).max(min_remaining);
    let restored = deadline.max(now.plus(remaining));
    if restored == deadline {
        return Vec::new();
    }
    vec![Event::ClockRestored {
        deadline: restored,
        remaining: restored.saturating_sub(now),
        at: now,
    }]
}

/// Fisher–Yates with an unbiased bounded draw, written out so the draw never changes with a library
/// upgrade (the result is recorded in `AuctionBegan` anyway).
pub(crate) fn shuffle<T>(items: &mut [T], rng: &mut ChaCha8Rng) {
    for upper in (1..items.len()).rev() {
        let bound = upper as u64 + 1;
        let zone = u64::MAX - (u64::MAX % bound);
        let draw = loop {
            let value = rng.next_u64();
            if value < zone {
                break value % bound;
            }
        };
        items.swap(upper, draw as usize);
    }
}
