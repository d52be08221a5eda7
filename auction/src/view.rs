//! Read models: what clients are shown, computed from the state on demand. All are serde types and
//! compare with `==`, so a replayed auction can be checked against the live one.
//!
//! - [`AuctionView`]: everything public — phase and clock, the open lot, every manager's budget, max
//!   bid and roster, the sold board, the unsold list, what is coming.
//! - [`LotView`]: the open lot, its bids and its clock.
//! - [`ManagerView`]: one manager's budget, max bid (with the reason), roster and slots.
//! - [`PrivateView`]: what only that manager may see (their sealed proxy maximum).
//! - [`Results`]: rosters with prices, every lot's outcome and the full bid history, for export.

use serde::{Deserialize, Serialize};

use crate::event::EndReason;
use crate::ids::{AssetId, AuctionId, LotNumber, UserId};
use crate::money::{CurrencyFormat, Money};
use crate::settings::LeagueSettings;
use crate::setup::Asset;
use crate::state::{AssetStatus, Auction, Clock, Phase, Stage};
use crate::time::{DurationMs, Timestamp};

/// What the paused clock will resume into.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "into", rename_all = "snake_case")]
pub enum ResumesInto {
    /// The open lot's clock.
    LotOpen,
    /// The gap before the next lot.
    BetweenLots,
    /// A manager's nomination turn.
    Nominating {
        /// Whose turn.
        nominator: UserId,
    },
}

/// Where the auction is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PhaseView {
    /// In the waiting room.
    Waiting,
    /// Rotation: `nominator` is choosing the next asset until `deadline`.
    Nominating {
        /// Whose turn.
        nominator: UserId,
        /// When the turn times out.
        deadline: Timestamp,
    },
    /// A lot is open (see [`LotView`] for its clock).
    LotOpen,
    /// Between lots; the next opens at `next_lot_at`.
    BetweenLots {
        /// When the next lot or nomination is due.
        next_lot_at: Timestamp,
    },
    /// Paused with `remaining` on the clock.
    Paused {
        /// Time left on the paused clock.
        remaining: DurationMs,
        /// Which clock.
        resumes_into: ResumesInto,
    },
    /// Over.
    Ended {
        /// Why.
        reason: EndReason,
    },
}

/// One accepted bid on the open lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BidView {
    /// Who.
    pub bidder: UserId,
    /// How much.
    pub amount: Money,
    /// Placed automatically from a proxy.
    pub by_proxy: bool,
    /// When.
    pub at: Timestamp,
}

/// The open lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotView {
    /// Its number.
    pub lot: LotNumber,
    /// What is offered.
    pub asset: AssetId,
    /// The least first bid.
    pub opening_bid: Money,
    /// The leading bid, if any.
    pub price: Option<Money>,
    /// The leader, if any.
    pub leader: Option<UserId>,
    /// When the lot closes (`None` while paused).
    pub deadline: Option<Timestamp>,
    /// Time left while paused.
    pub remaining_when_paused: Option<DurationMs>,
    /// The least acceptable next bid.
    pub min_next_bid: Money,
    /// Bids on this lot, oldest first.
    pub bids: Vec<BidView>,
    /// Managers who passed on this lot.
    pub passed: Vec<UserId>,
    /// 1 for the first offer, 2 for the first re-offer, …
    pub offer: u8,
    /// Who nominated it (rotation).
    pub nominated_by: Option<UserId>,
}

/// Why a manager's max bid is what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaxBidReason {
    /// Kept back per other empty slot (the minimum opening bid).
    pub reserve_per_slot: Money,
    /// Empty slots besides the one the next purchase fills.
    pub other_empty_slots: u8,
}

/// An asset on a roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterEntry {
    /// The asset.
    pub asset: AssetId,
    /// What it cost.
    pub price: Money,
    /// The lot it was bought in (`None` for a keeper).
    pub lot: Option<LotNumber>,
    /// Whether it is a keeper.
    pub keeper: bool,
}

/// One manager, as everyone sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagerView {
    /// Their id.
    pub id: UserId,
    /// Display name.
    pub name: String,
    /// Initial budget.
    pub budget: Money,
    /// Spent, keepers included.
    pub spent: Money,
    /// `budget − spent`.
    pub remaining: Money,
    /// The most they may bid now.
    pub max_bid: Money,
    /// Why the max bid is below `remaining`.
    pub max_bid_reason: MaxBidReason,
    /// Roster slots.
    pub slots: u8,
    /// Empty slots.
    pub slots_left: u8,
    /// Keepers first, then purchases in lot order.
    pub roster: Vec<RosterEntry>,
    /// Whether auto-pass is on.
    pub auto_pass: bool,
    /// Whether they could place a valid bid on the open lot right now (ignoring the clock).
    pub can_bid: bool,
    /// Whether they can still buy anything in this auction (a free slot and the opening bid).
    pub can_buy: bool,
}

/// What only one manager may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivateView {
    /// Their sealed maximum on the open lot.
    pub proxy_max: Option<Money>,
    /// Whether they passed on the open lot.
    pub passed: bool,
}

/// A sale on the sold board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoldEntry {
    /// The lot.
    pub lot: LotNumber,
    /// What sold.
    pub asset: AssetId,
    /// To whom.
    pub buyer: UserId,
    /// For how much.
    pub price: Money,
    /// When.
    pub at: Timestamp,
}

/// Everything public about an auction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuctionView {
    /// The auction.
    pub auction_id: AuctionId,
    /// The league's name.
    pub league_name: String,
    /// The rules.
    pub settings: LeagueSettings,
    /// The commissioner.
    pub commissioner: UserId,
    /// Where the auction is.
    pub phase: PhaseView,
    /// The open lot.
    pub lot: Option<LotView>,
    /// Every manager, in setup order.
    pub managers: Vec<ManagerView>,
    /// The asset pool, in setup order.
    pub assets: Vec<Asset>,
    /// Sales (net of undone ones), in order.
    pub sold: Vec<SoldEntry>,
    /// Assets offered and not sold (waiting for a re-offer or out of offers), in setup order.
    pub unsold: Vec<AssetId>,
    /// What will be offered, in order: undone sales, first offers, then re-offers.
    pub upcoming: Vec<AssetId>,
    /// Lots opened so far (the latest lot's number).
    pub lots_opened: u32,
}

/// What became of a bid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BidOutcome {
    /// Leads the open lot.
    Leading,
    /// Beaten by a later bid.
    Outbid,
    /// Won the lot.
    Won,
    /// Won the lot, but the sale was undone.
    SaleUndone,
    /// Led the lot when the auction was ended, so nothing was sold.
    Withdrawn,
}

/// What became of a lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum LotOutcome {
    /// Still open.
    Open,
    /// Sold.
    Sold {
        /// To whom.
        buyer: UserId,
        /// For how much.
        price: Money,
    },
    /// Closed without a bid.
    Unsold {
        /// Whether it was to be offered again.
        will_reoffer: bool,
    },
    /// Sold, then the sale was undone.
    SaleUndone {
        /// Who had bought it.
        buyer: UserId,
        /// What they paid (refunded).
        price: Money,
        /// The commissioner.
        by: UserId,
        /// When it was undone.
        at: Timestamp,
    },
    /// Open when the auction was ended: nothing sold.
    Withdrawn,
}

/// One bid in the full history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryRow {
    /// The lot.
    pub lot: LotNumber,
    /// What was offered.
    pub asset: AssetId,
    /// Who bid.
    pub bidder: UserId,
    /// How much.
    pub amount: Money,
    /// Placed automatically from a proxy.
    pub by_proxy: bool,
    /// When.
    pub at: Timestamp,
    /// What became of it.
    pub outcome: BidOutcome,
}

/// One lot in the results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotResult {
    /// The lot.
    pub lot: LotNumber,
    /// What was offered.
    pub asset: AssetId,
    /// Which offer of the asset.
    pub offer: u8,
    /// Who nominated it (rotation).
    pub nominated_by: Option<UserId>,
    /// When it opened.
    pub opened_at: Timestamp,
    /// When it closed.
    pub closed_at: Option<Timestamp>,
    /// What became of it.
    pub outcome: LotOutcome,
    /// How many bids it drew.
    pub bids: u32,
}

/// How the auction ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndedView {
    /// Why.
    pub reason: EndReason,
    /// The commissioner, when they ended it.
    pub by: Option<UserId>,
    /// When.
    pub at: Timestamp,
}

/// The auction's results: rosters with prices, every lot, every bid. Complete at any time (a
/// running auction's results are its results so far).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Results {
    /// The auction.
    pub auction_id: AuctionId,
    /// The league's name.
    pub league_name: String,
    /// How money is shown.
    pub currency: CurrencyFormat,
    /// When the auction was created.
    pub created_at: Timestamp,
    /// When it began.
    pub began_at: Option<Timestamp>,
    /// How it ended, if it has.
    pub ended: Option<EndedView>,
    /// Every manager with their roster and prices.
    pub managers: Vec<ManagerView>,
    /// Every lot opened, in order.
    pub lots: Vec<LotResult>,
    /// Every accepted bid, in order.
    pub history: Vec<HistoryRow>,
}

impl Auction {
    /// Everything public.
    pub fn view(&self) -> AuctionView {
        let setup = &self.book.setup;
        let core = &self.core;
        let sold = core
            .sales
            .iter()
            .filter(|sale| !sale.undone)
            .map(|sale| SoldEntry {
                lot: sale.lot,
                asset: self.book.asset_id(sale.asset).clone(),
                buyer: self.book.manager_id(sale.buyer).clone(),
                price: sale.price,
                at: sale.at,
            })
            .collect();
        let unsold = core
            .assets
            .iter()
            .enumerate()
            .filter(|(_, state)| {
                state.status == AssetStatus::Unsold
                    || (state.status == AssetStatus::Available && state.offers > 0)
            })
            .map(|(index, _)| self.book.asset_id(index).clone())
            .collect();
        let upcoming = core
            .front
            .iter()
            .chain(core.queue.iter())
            .chain(core.reoffer.iter())
            .map(|&index| self.book.asset_id(index).clone())
            .collect();
        AuctionView {
            auction_id: setup.auction_id.clone(),
            league_name: setup.league_name.clone(),
            settings: setup.settings.clone(),
            commissioner: setup.commissioner.clone(),
            phase: self.phase_view(),
            lot: self.lot_view(),
            managers: self.manager_views(),
            assets: setup.assets.clone(),
            sold,
            unsold,
            upcoming,
            lots_opened: core.lots_opened,
        }
    }

    /// Where the auction is.
    pub fn phase_view(&self) -> PhaseView {
        match self.core.phase {
            Phase::Waiting => PhaseView::Waiting,
            Phase::Ended { reason } => PhaseView::Ended { reason },
            Phase::Active {
                stage,
                clock: Clock::Paused { remaining },
            } => PhaseView::Paused {
                remaining,
                resumes_into: match stage {
                    Stage::Lot => ResumesInto::LotOpen,
                    Stage::Gap => ResumesInto::BetweenLots,
                    Stage::Nominating { nominator } => ResumesInto::Nominating {
                        nominator: self.book.manager_id(nominator).clone(),
                    },
                },
            },
            Phase::Active {
                stage,
                clock: Clock::Running { deadline },
            } => match stage {
                Stage::Lot => PhaseView::LotOpen,
                Stage::Gap => PhaseView::BetweenLots {
                    next_lot_at: deadline,
                },
                Stage::Nominating { nominator } => PhaseView::Nominating {
                    nominator: self.book.manager_id(nominator).clone(),
                    deadline,
                },
            },
        }
    }

    /// The open lot (running or paused).
    pub fn lot_view(&self) -> Option<LotView> {
        let lot = self.core.lot.as_ref()?;
        let (deadline, remaining_when_paused) = match self.core.phase {
            Phase::Active {
                clock: Clock::Running { deadline },
                ..
            } => (Some(deadline), None),
            Phase::Active {
                clock: Clock::Paused { remaining },
                ..
            } => (None, Some(remaining)),
            Phase::Waiting | Phase::Ended { .. } => (None, None),
        };
        let bids = self.journal.bids[self.journal.lot_first_bid..]
            .iter()
            .map(|row| BidView {
                bidder: row.bidder.clone(),
                amount: row.amount,
                by_proxy: row.by_proxy,
                at: row.at,
            })
            .collect();
        let passed = (0..self.core.wallets.len())
            .filter(|&manager| lot.has_passed(manager))
            .map(|manager| self.book.manager_id(manager).clone())
            .collect();
        let nominated_by = self
            .journal
            .lots
            .last()
            .and_then(|result| result.nominated_by.clone());
        Some(LotView {
            lot: lot.number,
            asset: self.book.asset_id(lot.asset).clone(),
            opening_bid: lot.opening_bid,
            price: lot.price,
            leader: lot
                .leader
                .map(|leader| self.book.manager_id(leader).clone()),
            deadline,
            remaining_when_paused,
            min_next_bid: self.core.min_next(&self.book, lot),
            bids,
            passed,
            offer: lot.offer,
            nominated_by,
        })
    }

    /// Every manager, in setup order.
    pub fn manager_views(&self) -> Vec<ManagerView> {
        let mut rosters: Vec<Vec<RosterEntry>> = vec![Vec::new(); self.core.wallets.len()];
        for &(manager, asset, cost) in &self.book.keepers {
            rosters[manager].push(RosterEntry {
                asset: self.book.asset_id(asset).clone(),
                price: cost,
                lot: None,
                keeper: true,
            });
        }
        for sale in self.core.sales.iter().filter(|sale| !sale.undone) {
            rosters[sale.buyer].push(RosterEntry {
                asset: self.book.asset_id(sale.asset).clone(),
                price: sale.price,
                lot: Some(sale.lot),
                keeper: false,
            });
        }
        rosters
            .into_iter()
            .enumerate()
            .map(|(manager, roster)| self.manager_view_at(manager, roster))
            .collect()
    }

    /// One manager, if `user` is a manager.
    pub fn manager_view(&self, user: &UserId) -> Option<ManagerView> {
        let manager = self.book.manager(user)?;
        self.manager_views().into_iter().nth(manager)
    }

    fn manager_view_at(&self, manager: usize, roster: Vec<RosterEntry>) -> ManagerView {
        let (book, core) = (&self.book, &self.core);
        let settings = book.settings();
        let wallet = core.wallets[manager];
        let slots_left = core.empty_slots(book, manager);
        let max_bid = core.max_bid(book, manager);
        let can_bid = match (&core.phase, &core.lot) {
            (
                Phase::Active {
                    stage: Stage::Lot,
                    clock: Clock::Running { .. },
                },
                Some(lot),
            ) => {
                lot.leader != Some(manager)
                    && core.can_afford(book, manager, core.min_next(book, lot))
            }
            _ => false,
        };
        let can_buy = !matches!(core.phase, Phase::Ended { .. })
            && core.can_afford(book, manager, settings.min_opening_bid);
        ManagerView {
            id: book.manager_id(manager).clone(),
            name: book.setup.managers[manager].name.clone(),
            budget: settings.budget,
            spent: wallet.spent,
            remaining: core.remaining(book, manager),
            max_bid,
            max_bid_reason: MaxBidReason {
                reserve_per_slot: settings.min_opening_bid,
                other_empty_slots: slots_left.saturating_sub(1),
            },
            slots: settings.roster_slots,
            slots_left,
            roster,
            auto_pass: wallet.auto_pass,
            can_bid,
            can_buy,
        }
    }

    /// What only `user` may see, if they are a manager.
    pub fn private_view(&self, user: &UserId) -> Option<PrivateView> {
        let manager = self.book.manager(user)?;
        let lot = self.core.lot.as_ref();
        Some(PrivateView {
            proxy_max: lot
                .and_then(|lot| lot.proxy_of(manager))
                .map(|proxy| proxy.max),
            passed: lot.is_some_and(|lot| lot.has_passed(manager)),
        })
    }

    /// Rosters with prices, every lot and every bid.
    pub fn results(&self) -> Results {
        let setup = &self.book.setup;
        Results {
            auction_id: setup.auction_id.clone(),
            league_name: setup.league_name.clone(),
            currency: setup.settings.currency.clone(),
            created_at: self.journal.created_at,
            began_at: self.journal.began_at,
            ended: self.journal.ended.clone(),
            managers: self.manager_views(),
            lots: self.journal.lots.clone(),
            history: self.journal.bids.clone(),
        }
    }
}
