//! Events: facts that happened, in order. An auction's state is a fold of its events
//! ([`Auction::apply`](crate::Auction::apply)), so the event log is the only thing persisted.
//!
//! Every event carries the server time `at` it happened, and events record outcomes in full
//! (deadlines after anti-snipe, prices, the drawn lot order, the chosen nominator), so the fold never
//! recomputes a decision and replay on another node, or another version, gives the same state.

use serde::{Deserialize, Serialize};

use crate::ids::{AssetId, IdempotencyKey, LotNumber, UserId};
use crate::money::Money;
use crate::setup::AuctionSetup;
use crate::time::{DurationMs, Timestamp};

/// Why an auction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// Every manager's roster is full.
    AllRostersFull,
    /// No manager with an empty slot can afford the minimum opening bid.
    NobodyCanAfford,
    /// Nothing is left to offer (everything sold, kept, or out of re-offers).
    NoLotsLeft,
    /// The commissioner ended it.
    Commissioner,
}

impl EndReason {
    /// A sentence for people.
    pub fn describe(self) -> &'static str {
        match self {
            EndReason::AllRostersFull => "Every roster is full",
            EndReason::NobodyCanAfford => "Nobody with an empty slot can afford the opening bid",
            EndReason::NoLotsLeft => "There is nothing left to offer",
            EndReason::Commissioner => "The commissioner ended the auction",
        }
    }
}

/// Something that happened in an auction.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The auction exists, in the waiting room. Always the first event.
    AuctionCreated {
        /// Everything it was created from.
        setup: AuctionSetup,
        /// When.
        at: Timestamp,
    },
    /// The commissioner began the auction.
    AuctionBegan {
        /// The commissioner.
        by: UserId,
        /// Random/fixed order: the lot order. Rotation: the auto-nomination fallback order.
        order: Vec<AssetId>,
        /// Rotation: the nominators' turn order (empty otherwise).
        nominators: Vec<UserId>,
        /// When.
        at: Timestamp,
    },
    /// Rotation: it is `nominator`'s turn to open the next lot, until `deadline`.
    NominationOpened {
        /// Whose turn it is.
        nominator: UserId,
        /// When their turn times out and the next asset is auto-nominated.
        deadline: Timestamp,
        /// When.
        at: Timestamp,
    },
    /// A lot opened for bidding.
    LotOpened {
        /// Its number.
        lot: LotNumber,
        /// What is offered.
        asset: AssetId,
        /// The least first bid.
        opening_bid: Money,
        /// When it closes unless a bid moves the clock.
        deadline: Timestamp,
        /// The manager who nominated it (rotation), `None` for ordered lots and auto-nominations.
        nominated_by: Option<UserId>,
        /// 1 for the first offer, 2 for the first re-offer, …
        offer: u8,
        /// When.
        at: Timestamp,
    },
    /// A bid was accepted and leads the lot.
    BidAccepted {
        /// The lot.
        lot: LotNumber,
        /// The bidder, now leading.
        bidder: UserId,
        /// The amount, now the price.
        amount: Money,
        /// The bidder's idempotency key (`None` for automatic and nomination bids).
        key: Option<IdempotencyKey>,
        /// Whether the auction placed it from a proxy maximum.
        by_proxy: bool,
        /// The lot's deadline after this bid (anti-snipe applied).
        deadline: Timestamp,
        /// When.
        at: Timestamp,
    },
    /// A manager set their sealed maximum. Private to that manager.
    ProxySet {
        /// The lot.
        lot: LotNumber,
        /// The manager.
        manager: UserId,
        /// Their maximum.
        max: Money,
        /// Their idempotency key.
        key: IdempotencyKey,
        /// When.
        at: Timestamp,
    },
    /// A manager passed on a lot.
    Passed {
        /// The lot.
        lot: LotNumber,
        /// The manager.
        manager: UserId,
        /// When.
        at: Timestamp,
    },
    /// A manager's auto-pass changed.
    AutoPassChanged {
        /// Whose.
        manager: UserId,
        /// Now on or off.
        on: bool,
        /// Who changed it (the manager, or the commissioner).
        by: UserId,
        /// When.
        at: Timestamp,
    },
    /// The lot was sold to its leader.
    LotSold {
        /// The lot.
        lot: LotNumber,
        /// What was sold.
        asset: AssetId,
        /// Who bought it.
        buyer: UserId,
        /// For how much.
        price: Money,
        /// When (the deadline, for a lot closed by its clock).
        at: Timestamp,
    },
    /// The lot closed without a bid.
    LotUnsold {
        /// The lot.
        lot: LotNumber,
        /// What went unsold.
        asset: AssetId,
        /// Whether it will be offered again (it has re-offers left).
        will_reoffer: bool,
        /// When.
        at: Timestamp,
    },
    /// The commissioner paused; `remaining` is what was left on the running clock.
    Paused {
        /// The commissioner.
        by: UserId,
        /// Time left on the lot, gap or nomination clock.
        remaining: DurationMs,
        /// When.
        at: Timestamp,
    },
    /// The commissioner resumed; the clock runs again until `deadline` (= `at` + the time left).
    Resumed {
        /// The commissioner.
        by: UserId,
        /// The running clock's new deadline.
        deadline: Timestamp,
        /// When.
        at: Timestamp,
    },
    /// A new owner restored the running clock after a takeover.
    ClockRestored {
        /// The running clock's new deadline.
        deadline: Timestamp,
        /// Time left from `at`.
        remaining: DurationMs,
        /// When.
        at: Timestamp,
    },
    /// The commissioner reversed a sale: `price` refunded to `buyer`, `asset` offered again next.
    SaleUndone {
        /// The lot that sold.
        lot: LotNumber,
        /// What was sold.
        asset: AssetId,
        /// Who had bought it.
        buyer: UserId,
        /// What they paid (refunded).
        price: Money,
        /// The commissioner.
        by: UserId,
        /// When.
        at: Timestamp,
    },
    /// The auction is over; nothing is accepted after this.
    AuctionEnded {
        /// Why.
        reason: EndReason,
        /// The commissioner, when they ended it.
        by: Option<UserId>,
        /// When.
        at: Timestamp,
    },
}

impl Event {
    /// When it happened.
    pub fn at(&self) -> Timestamp {
        match self {
            Event::AuctionCreated { at, .. }
            | Event::AuctionBegan { at, .. }
            | Event::NominationOpened { at, .. }
            | Event::LotOpened { at, .. }
            | Event::BidAccepted { at, .. }
            | Event::ProxySet { at, .. }
            | Event::Passed { at, .. }
            | Event::AutoPassChanged { at, .. }
            | Event::LotSold { at, .. }
            | Event::LotUnsold { at, .. }
            | Event::Paused { at, .. }
            | Event::Resumed { at, .. }
            | Event::ClockRestored { at, .. }
            | Event::SaleUndone { at, .. }
            | Event::AuctionEnded { at, .. } => *at,
        }
    }

    /// The only user allowed to see this event, for private events (a proxy maximum is sealed).
    pub fn is_private_to(&self) -> Option<&UserId> {
        match self {
            Event::ProxySet { manager, .. } => Some(manager),
            _ => None,
        }
    }

    /// Stable snake_case name of the event (its serde tag).
    pub fn kind(&self) -> &'static str {
        match self {
            Event::AuctionCreated { .. } => "auction_created",
            Event::AuctionBegan { .. } => "auction_began",
            Event::NominationOpened { .. } => "nomination_opened",
            Event::LotOpened { .. } => "lot_opened",
            Event::BidAccepted { .. } => "bid_accepted",
            Event::ProxySet { .. } => "proxy_set",
            Event::Passed { .. } => "passed",
            Event::AutoPassChanged { .. } => "auto_pass_changed",
            Event::LotSold { .. } => "lot_sold",
            Event::LotUnsold { .. } => "lot_unsold",
            Event::Paused { .. } => "paused",
            Event::Resumed { .. } => "resumed",
            Event::ClockRestored { .. } => "clock_restored",
            Event::SaleUndone { .. } => "sale_undone",
            Event::AuctionEnded { .. } => "auction_ended",
        }
    }
}
