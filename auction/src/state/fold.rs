//! The decision state and the fold: [`Core`] holds exactly what the rules need to decide (phase,
//! clock, open lot, wallets, queues, sales), indexed by position, and [`Core::apply`] is the only code
//! that changes it. History that decisions never read (bid rows, lot results) lives in the journal,
//! so a decision that must simulate several events clones only this small struct.

use std::collections::VecDeque;

use crate::event::{EndReason, Event};
use crate::ids::LotNumber;
use crate::money::Money;
use crate::time::{DurationMs, Timestamp};

use super::{ApplyError, Book};

/// Where the auction is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Created, not begun.
    Waiting,
    /// Begun and not ended: one of the stages, with its clock.
    Active { stage: Stage, clock: Clock },
    /// Over.
    Ended { reason: EndReason },
}

/// What the running (or paused) clock is counting down to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// A lot is open; the clock is its deadline.
    Lot,
    /// Between lots; the clock is when the next lot (or nomination) is due.
    Gap,
    /// Rotation: `nominator` is choosing; the clock is when the turn times out.
    Nominating { nominator: usize },
}

/// The one clock of an active auction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Clock {
    Running { deadline: Timestamp },
    Paused { remaining: DurationMs },
}

/// A manager's money and roster count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Wallet {
    /// Spent so far, keepers included.
    pub spent: Money,
    /// Roster entries, keepers included.
    pub filled: u8,
    pub auto_pass: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AssetStatus {
    /// A keeper: never offered.
    Kept,
    /// Waiting to be offered (first offer, re-offer, or offered again after an undo).
    Available,
    /// On offer in the open lot.
    InLot,
    Sold,
    /// Offered, not sold, and not to be offered again.
    Unsold,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AssetState {
    pub status: AssetStatus,
    /// Times offered so far (an undone sale's offer does not count).
    pub offers: u8,
}

/// A sale, kept for undo and the sold board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sale {
    pub lot: LotNumber,
    pub asset: usize,
    pub buyer: usize,
    pub price: Money,
    pub at: Timestamp,
    /// Which offer of the asset this lot was.
    pub offer: u8,
    pub undone: bool,
}

/// A sealed maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Proxy {
    pub manager: usize,
    pub max: Money,
    /// Event sequence number when set: the earlier of two equal maximums wins.
    pub seq: u64,
}

/// The open lot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lot {
    pub number: LotNumber,
    pub asset: usize,
    pub opening_bid: Money,
    pub offer: u8,
    pub price: Option<Money>,
    pub leader: Option<usize>,
    /// Event sequence number of the leading bid.
    pub leader_seq: u64,
    pub proxies: Vec<Proxy>,
    /// Bit `i` set: manager `i` passed on this lot (at most 30 managers).
    pub passed: u32,
}

impl Lot {
    pub fn has_passed(&self, manager: usize) -> bool {
        self.passed & (1 << manager) != 0
    }

    pub fn proxy_of(&self, manager: usize) -> Option<&Proxy> {
        self.proxies.iter().find(|proxy| proxy.manager == manager)
    }
}

/// Everything decisions read. Cloned (cheaply) when a decision simulates several events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Core {
    /// Events applied so far, `AuctionCreated` included.
    pub seq: u64,
    /// Time of the latest event; decisions never use an earlier `now`.
    pub last_at: Timestamp,
    pub phase: Phase,
    pub lot: Option<Lot>,
    pub wallets: Vec<Wallet>,
    pub assets: Vec<AssetState>,
    /// Assets whose sale was undone, offered before anything else (most recent undo first).
    pub front: VecDeque<usize>,
    /// First offers, in lot order (rotation: the auto-nomination fallback order).
    pub queue: VecDeque<usize>,
    /// Unsold assets waiting for their re-offer, in the order they went unsold.
    pub reoffer: VecDeque<usize>,
    /// Rotation turn order (manager indices) and whose turn is next.
    pub nominators: Vec<usize>,
    pub next_turn: usize,
    pub sales: Vec<Sale>,
    pub lots_opened: u32,
}

impl Core {
    /// The state right after `AuctionCreated`: keepers on rosters, everything else available.
    pub fn new(book: &Book, at: Timestamp) -> Core {
        let mut wallets = vec![
            Wallet {
                spent: Money::ZERO,
                filled: 0,
                auto_pass: false
            };
            book.setup.managers.len()
        ];
        let mut assets = vec![
            AssetState {
                status: AssetStatus::Available,
                offers: 0
            };
            book.setup.assets.len()
        ];
        for &(manager, asset, cost) in &book.keepers {
            wallets[manager].spent = wallets[manager].spent.saturating_add(cost);
            wallets[manager].filled += 1;
            assets[asset].status = AssetStatus::Kept;
        }
        Core {
            seq: 1,
            last_at: at,
            phase: Phase::Waiting,
            lot: None,
            wallets,
            assets,
            front: VecDeque::new(),
            queue: VecDeque::new(),
            reoffer: VecDeque::new(),
            nominators: Vec::new(),
            next_turn: 0,
            sales: Vec::new(),
            lots_opened: 0,
        }
    }

    /// The running clock's deadline, if a clock is running.
    pub fn running_deadline(&self) -> Option<Timestamp> {
        match self.phase {
            Phase::Active {
                clock: Clock::Running { deadline },
                ..
            } => Some(deadline),
            _ => None,
        }
    }

    pub fn remaining(&self, book: &Book, manager: usize) -> Money {
        book.settings()
            .budget
            .saturating_sub(self.wallets[manager].spent)
    }

    pub fn empty_slots(&self, book: &Book, manager: usize) -> u8 {
        book.settings()
            .roster_slots
            .saturating_sub(self.wallets[manager].filled)
    }

    pub fn max_bid(&self, book: &Book, manager: usize) -> Money {
        book.settings().max_bid(
            self.remaining(book, manager),
            self.empty_slots(book, manager),
        )
    }

    /// Has a free slot and can afford `amount`.
    pub fn can_afford(&self, book: &Book, manager: usize, amount: Money) -> bool {
        self.empty_slots(book, manager) > 0 && self.max_bid(book, manager) >= amount
    }

    /// The least acceptable bid on the open lot.
    pub fn min_next(&self, book: &Book, lot: &Lot) -> Money {
        match lot.price {
            None => lot.opening_bid,
            Some(price) => book.settings().increment.min_next(price),
        }
    }

    /// Why the auction must end now, if it must. Checked after every lot closes and before a lot
    /// or nomination opens.
    pub fn end_reason(&self, book: &Book) -> Option<EndReason> {
        let slots = book.settings().roster_slots;
        if self.wallets.iter().all(|wallet| wallet.filled >= slots) {
            return Some(EndReason::AllRostersFull);
        }
        let opening = book.settings().min_opening_bid;
        if !(0..self.wallets.len()).any(|manager| self.can_afford(book, manager, opening)) {
            return Some(EndReason::NobodyCanAfford);
        }
        if self.lot.is_none()
            && self.front.is_empty()
            && self.queue.is_empty()
            && self.reoffer.is_empty()
        {
            return Some(EndReason::NoLotsLeft);
        }
        None
    }

    /// The next asset offered without a nomination: undone sales first, then first offers, then
    /// re-offers.
    pub fn next_ordered_asset(&self) -> Option<usize> {
        self.front
            .front()
            .or_else(|| self.queue.front())
            .or_else(|| self.reoffer.front())
            .copied()
    }

    /// Whether a nominator may pick `asset` now: an undone sale, a first offer, or (once every first
    /// offer has been made) a re-offer.
    pub fn is_nominatable(&self, asset: usize) -> bool {
        self.assets[asset].status == AssetStatus::Available
            && (self.front.contains(&asset)
                || self.queue.contains(&asset)
                || (self.queue.is_empty() && self.reoffer.contains(&asset)))
    }

    /// The most recent sale that has not been undone.
    pub fn last_sale(&self) -> Option<&Sale> {
        self.sales.iter().rev().find(|sale| !sale.undone)
    }

    /// Applies one event. Checks that the event fits the state before changing anything, so an
    /// `Err` leaves the state untouched.
    pub fn apply(&mut self, book: &Book, event: &Event) -> Result<(), ApplyError> {
        let kind = event.kind();
        let unfit = |reason: &'static str| ApplyError::Unfit {
            event: kind,
            reason,
        };
        match event {
            Event::AuctionCreated { .. } => return Err(ApplyError::AlreadyCreated),
            Event::AuctionBegan {
                order,
                nominators,
                at,
                ..
            } => {
                if self.phase != Phase::Waiting {
                    return Err(unfit("the auction is not in the waiting room"));
                }
                let mut seen = vec![false; self.assets.len()];
                let mut queue = VecDeque::with_capacity(order.len());
                for asset in order {
                    let index = book.asset_index(asset)?;
                    if seen[index] || self.assets[index].status != AssetStatus::Available {
                        return Err(unfit("the order repeats an asset or lists a keeper"));
                    }
                    seen[index] = true;
                    queue.push_back(index);
                }
                let mut turn_order = Vec::with_capacity(nominators.len());
                for nominator in nominators {
                    let index = book.manager_index(nominator)?;
                    if turn_order.contains(&index) {
                        return Err(unfit("the turn order repeats a manager"));
                    }
                    turn_order.push(index);
                }
                self.queue = queue;
                self.nominators = turn_order;
                self.next_turn = 0;
                self.phase = Phase::Active {
                    stage: Stage::Gap,
                    clock: Clock::Running { deadline: *at },
                };
            }
            Event::NominationOpened {
                nominator,
                deadline,
                ..
            } => {
                let index = book.manager_index(nominator)?;
                if !matches!(
                    self.phase,
                    Phase::Active {
                        stage: Stage::Gap,
                        clock: Clock::Running { .. }
                    }
                ) {
                    return Err(unfit(
                        "a nomination opens only between lots, on a running clock",
                    ));
                }
                if let Some(position) = self.nominators.iter().position(|&m| m == index) {
                    self.next_turn = (position + 1) % self.nominators.len();
                }
                self.phase = Phase::Active {
                    stage: Stage::Nominating { nominator: index },
                    clock: Clock::Running {
                        deadline: *deadline,
                    },
                };
            }
            Event::LotOpened {
                lot,
                asset,
                opening_bid,
                deadline,
                offer,
                ..
            } => {
                let index = book.asset_index(asset)?;
                let ready = matches!(
                    self.phase,
                    Phase::Active {
                        stage: Stage::Gap | Stage::Nominating { .. },
                        clock: Clock::Running { .. }
                    }
                );
                if !ready {
                    return Err(unfit(
                        "a lot opens only between lots or from a nomination, on a running clock",
                    ));
                }
                if lot.0 != self.lots_opened.wrapping_add(1) {
                    return Err(unfit("lot numbers must follow each other"));
                }
                if self.assets[index].status != AssetStatus::Available {
                    return Err(unfit("the asset is not available to offer"));
                }
                for list in [&mut self.front, &mut self.queue, &mut self.reoffer] {
                    if let Some(position) = list.iter().position(|&a| a == index) {
                        list.remove(position);
                        break;
                    }
                }
                self.assets[index] = AssetState {
                    status: AssetStatus::InLot,
                    offers: *offer,
                };
                self.lots_opened = lot.0;
                self.lot = Some(Lot {
                    number: *lot,
                    asset: index,
                    opening_bid: *opening_bid,
                    offer: *offer,
                    price: None,
                    leader: None,
                    leader_seq: 0,
                    proxies: Vec::new(),
                    passed: 0,
                });
                self.phase = Phase::Active {
                    stage: Stage::Lot,
                    clock: Clock::Running {
                        deadline: *deadline,
                    },
                };
            }
            Event::BidAccepted {
                lot,
                bidder,
                amount,
                deadline,
                ..
            } => {
                let index = book.manager_index(bidder)?;
                self.require_running_lot()
                    .ok_or(unfit("bids are accepted only on a running lot"))?;
                let seq = self.seq;
                let Some(open) = self.lot.as_mut().filter(|open| open.number == *lot) else {
                    return Err(unfit("the bid is not for the open lot"));
                };
                if open.price.is_some_and(|price| *amount <= price) {
                    return Err(unfit("a bid must raise the price"));
                }
                open.price = Some(*amount);
                open.leader = Some(index);
                open.leader_seq = seq;
                open.passed &= !(1 << index);
                if let Phase::Active {
                    clock: clock @ Clock::Running { .. },
                    ..
                } = &mut self.phase
                {
                    *clock = Clock::Running {
                        deadline: *deadline,
                    };
                }
            }
            Event::ProxySet {
                lot, manager, max, ..
            } => {
                let index = book.manager_index(manager)?;
                self.require_running_lot()
                    .ok_or(unfit("proxies are set only on a running lot"))?;
                let seq = self.seq;
                let Some(open) = self.lot.as_mut().filter(|open| open.number == *lot) else {
                    return Err(unfit("the proxy is not for the open lot"));
                };
                open.proxies.retain(|proxy| proxy.manager != index);
                open.proxies.push(Proxy {
                    manager: index,
                    max: *max,
                    seq,
                });
                open.passed &= !(1 << index);
            }
            Event::Passed { lot, manager, .. } => {
                let index = book.manager_index(manager)?;
                self.require_running_lot()
                    .ok_or(unfit("passes are accepted only on a running lot"))?;
                let Some(open) = self.lot.as_mut().filter(|open| open.number == *lot) else {
                    return Err(unfit("the pass is not for the open lot"));
                };
                open.passed |= 1 << index;
                open.proxies.retain(|proxy| proxy.manager != index);
            }
            Event::AutoPassChanged { manager, on, .. } => {
                let index = book.manager_index(manager)?;
                self.wallets[index].auto_pass = *on;
            }
            Event::LotSold {
                lot,
                asset,
                buyer,
                price,
                at,
            } => {
                let asset_index = book.asset_index(asset)?;
                let buyer_index = book.manager_index(buyer)?;
                let offer = self
                    .closing_offer(*lot, asset_index)
                    .ok_or(unfit("the sale is not of the open lot"))?;
                let wallet = self.wallets[buyer_index];
                let spent = wallet
                    .spent
                    .checked_add(*price)
                    .filter(|spent| *spent <= book.settings().budget);
                let Some(spent) = spent.filter(|_| wallet.filled < book.settings().roster_slots)
                else {
                    return Err(unfit(
                        "the buyer cannot afford the price or has no free slot",
                    ));
                };
                self.lot = None;
                self.wallets[buyer_index].spent = spent;
                self.wallets[buyer_index].filled += 1;
                self.assets[asset_index].status = AssetStatus::Sold;
                self.sales.push(Sale {
                    lot: *lot,
                    asset: asset_index,
                    buyer: buyer_index,
                    price: *price,
                    at: *at,
                    offer,
                    undone: false,
                });
                self.start_gap(book, *at);
            }
            Event::LotUnsold {
                lot,
                asset,
                will_reoffer,
                at,
            } => {
                let asset_index = book.asset_index(asset)?;
                self.closing_offer(*lot, asset_index)
                    .ok_or(unfit("the close is not of the open lot"))?;
                self.lot = None;
                if *will_reoffer {
                    self.assets[asset_index].status = AssetStatus::Available;
                    self.reoffer.push_back(asset_index);
                } else {
                    self.assets[asset_index].status = AssetStatus::Unsold;
                }
                self.start_gap(book, *at);
            }
            Event::Paused { remaining, .. } => {
                let Phase::Active {
                    clock: clock @ Clock::Running { .. },
                    ..
                } = &mut self.phase
                else {
                    return Err(unfit("only a running clock can be paused"));
                };
                *clock = Clock::Paused {
                    remaining: *remaining,
                };
            }
            Event::Resumed { deadline, .. } => {
                let Phase::Active {
                    clock: clock @ Clock::Paused { .. },
                    ..
                } = &mut self.phase
                else {
                    return Err(unfit("only a paused clock can be resumed"));
                };
                *clock = Clock::Running {
                    deadline: *deadline,
                };
            }
            Event::ClockRestored { deadline, .. } => {
                let Phase::Active {
                    clock: clock @ Clock::Running { .. },
                    ..
                } = &mut self.phase
                else {
                    return Err(unfit("only a running clock can be restored"));
                };
                *clock = Clock::Running {
                    deadline: *deadline,
                };
            }
            Event::SaleUndone {
                lot,
                asset,
                buyer,
                price,
                ..
            } => {
                let asset_index = book.asset_index(asset)?;
                let buyer_index = book.manager_index(buyer)?;
                if !matches!(self.phase, Phase::Active { .. }) {
                    return Err(unfit(
                        "a sale can be undone only while the auction is running",
                    ));
                }
                let Some(position) = self.sales.iter().rposition(|sale| !sale.undone) else {
                    return Err(unfit("there is no sale to undo"));
                };
                let sale = self.sales[position];
                if (sale.lot, sale.asset, sale.buyer, sale.price)
                    != (*lot, asset_index, buyer_index, *price)
                {
                    return Err(unfit("the undone sale is not the most recent sale"));
                }
                let wallet = &mut self.wallets[buyer_index];
                wallet.spent = wallet.spent.saturating_sub(*price);
                wallet.filled = wallet.filled.saturating_sub(1);
                self.sales[position].undone = true;
                self.assets[asset_index] = AssetState {
                    status: AssetStatus::Available,
                    offers: sale.offer.saturating_sub(1),
                };
                self.front.push_front(asset_index);
            }
            Event::AuctionEnded { reason, .. } => {
                if matches!(self.phase, Phase::Ended { .. }) {
                    return Err(unfit("the auction has already ended"));
                }
                if let Some(open) = self.lot.take() {
                    self.assets[open.asset].status = AssetStatus::Unsold;
                }
                self.phase = Phase::Ended { reason: *reason };
            }
        }
        self.seq += 1;
        self.last_at = self.last_at.max(event.at());
        Ok(())
    }

    /// `Some(())` when a lot is open and its clock running.
    fn require_running_lot(&self) -> Option<()> {
        matches!(
            self.phase,
            Phase::Active {
                stage: Stage::Lot,
                clock: Clock::Running { .. }
            }
        )
        .then_some(())
    }

    /// The offer number of the open lot, if it is lot `lot` of asset `asset` (checked before a close
    /// changes anything).
    fn closing_offer(&self, lot: LotNumber, asset: usize) -> Option<u8> {
        if !matches!(
            self.phase,
            Phase::Active {
                stage: Stage::Lot,
                ..
            }
        ) {
            return None;
        }
        self.lot
            .as_ref()
            .filter(|open| open.number == lot && open.asset == asset)
            .map(|open| open.offer)
    }

    /// After a close at `at`: the gap runs (or, when paused, waits with the full gap left).
    fn start_gap(&mut self, book: &Book, at: Timestamp) {
        let gap = book.settings().gap_between_lots;
        let clock = match self.phase {
            Phase::Active {
                clock: Clock::Paused { .. },
                ..
            } => Clock::Paused { remaining: gap },
            _ => Clock::Running {
                deadline: at.plus(gap),
            },
        };
        self.phase = Phase::Active {
            stage: Stage::Gap,
            clock,
        };
    }
}
