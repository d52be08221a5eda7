//! Commands: what people (and the hosting node) ask an auction to do. A command is decided by
//! [`Auction::decide`](crate::Auction::decide) into events or a [`Refusal`](crate::Refusal); it
//! changes nothing by itself.
//!
//! The acting user (`by`) is the authenticated user, filled in by the server, never by a client.

use serde::{Deserialize, Serialize};

use crate::ids::{AssetId, IdempotencyKey, LotNumber, UserId};
use crate::money::Money;
use crate::time::{DurationMs, Timestamp};

/// Something asked of an auction.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    /// Commissioner: start the auction from the waiting room. `seed` draws the random lot order (or
    /// the rotation's turn order); the drawn order is recorded, so the seed is never needed again.
    Begin {
        /// The commissioner.
        by: UserId,
        /// Seed for the one random draw.
        seed: u64,
    },
    /// Rotation mode: the manager whose turn it is opens a lot for `asset`, leading it at
    /// `opening_bid` (default: the league's minimum opening bid).
    Nominate {
        /// The nominating manager.
        by: UserId,
        /// The asset to offer.
        asset: AssetId,
        /// Their opening bid.
        #[serde(default)]
        opening_bid: Option<Money>,
    },
    /// A manager bids `amount` on lot `lot`. Retrying with the same `key` is safe.
    PlaceBid {
        /// The bidder.
        by: UserId,
        /// The lot the bidder saw when bidding.
        lot: LotNumber,
        /// The bid.
        amount: Money,
        /// Idempotency key chosen by the client.
        key: IdempotencyKey,
    },
    /// A manager sets (or changes) their sealed maximum for lot `lot`; the auction bids for them up to
    /// it. Retrying with the same `key` is safe.
    SetProxy {
        /// The manager.
        by: UserId,
        /// The lot.
        lot: LotNumber,
        /// Their maximum.
        max: Money,
        /// Idempotency key chosen by the client.
        key: IdempotencyKey,
    },
    /// A manager has no further interest in lot `lot`.
    Pass {
        /// The manager.
        by: UserId,
        /// The lot.
        lot: LotNumber,
    },
    /// Auto-pass on or off for `manager`: while on, they count as having passed every lot. A manager
    /// may set their own; the commissioner may set anyone's (an absent manager).
    SetAutoPass {
        /// Who asks: the manager themself or the commissioner.
        by: UserId,
        /// Whose auto-pass changes.
        manager: UserId,
        /// On or off.
        on: bool,
    },
    /// Commissioner: stop every clock, keeping the exact time left.
    Pause {
        /// The commissioner.
        by: UserId,
    },
    /// Commissioner: restart the clock with exactly the time that was left.
    Resume {
        /// The commissioner.
        by: UserId,
    },
    /// Commissioner "skip": close the open lot now, sold to the leader if there is one.
    CloseLot {
        /// The commissioner.
        by: UserId,
    },
    /// Like [`Command::CloseLot`], but only if lot `lot` is still the open lot. A skip pressed on
    /// lot 7 can then never close lot 8 if lot 7 closed by itself while the request was in flight.
    CloseLotIfOpen {
        /// The commissioner.
        by: UserId,
        /// The lot the commissioner saw.
        lot: LotNumber,
    },
    /// Commissioner: reverse the most recent sale (refund, roster entry removed); the asset is offered
    /// again next.
    UndoLastSale {
        /// The commissioner.
        by: UserId,
    },
    /// Like [`Command::UndoLastSale`], but only if the most recent sale is still the sale of lot
    /// `lot`, so a repeated or late undo never reverses a different sale.
    UndoSaleOf {
        /// The commissioner.
        by: UserId,
        /// The lot whose sale to reverse.
        lot: LotNumber,
    },
    /// Commissioner: end the auction now. An open lot is withdrawn, not sold (skip it first to sell).
    End {
        /// The commissioner.
        by: UserId,
    },
    /// System (never from a client): this node took the auction over from an owner last known alive
    /// at `alive_until`. Running clocks get back the time they had then, at least `min_remaining`.
    Recover {
        /// When the previous owner was last known alive.
        alive_until: Timestamp,
        /// The least time a restored clock gets.
        min_remaining: DurationMs,
    },
}

impl Command {
    /// The acting user, if the command has one (`Recover` has none).
    pub fn by(&self) -> Option<&UserId> {
        match self {
            Command::Begin { by, .. }
            | Command::Nominate { by, .. }
            | Command::PlaceBid { by, .. }
            | Command::SetProxy { by, .. }
            | Command::Pass { by, .. }
            | Command::SetAutoPass { by, .. }
            | Command::Pause { by }
            | Command::Resume { by }
            | Command::CloseLot { by }
            | Command::CloseLotIfOpen { by, .. }
            | Command::UndoLastSale { by }
            | Command::UndoSaleOf { by, .. }
            | Command::End { by } => Some(by),
            Command::Recover { .. } => None,
        }
    }

    /// Stable snake_case name of the command (its serde tag).
    pub fn kind(&self) -> &'static str {
        match self {
            Command::Begin { .. } => "begin",
            Command::Nominate { .. } => "nominate",
            Command::PlaceBid { .. } => "place_bid",
            Command::SetProxy { .. } => "set_proxy",
            Command::Pass { .. } => "pass",
            Command::SetAutoPass { .. } => "set_auto_pass",
            Command::Pause { .. } => "pause",
            Command::Resume { .. } => "resume",
            Command::CloseLot { .. } => "close_lot",
            Command::CloseLotIfOpen { .. } => "close_lot_if_open",
            Command::UndoLastSale { .. } => "undo_last_sale",
            Command::UndoSaleOf { .. } => "undo_sale_of",
            Command::End { .. } => "end",
            Command::Recover { .. } => "recover",
        }
    }

    /// Whether only the commissioner may send this command.
    pub fn is_commissioner_only(&self) -> bool {
        matches!(
            self,
            Command::Begin { .. }
                | Command::Pause { .. }
                | Command::Resume { .. }
                | Command::CloseLot { .. }
                | Command::CloseLotIfOpen { .. }
                | Command::UndoLastSale { .. }
                | Command::UndoSaleOf { .. }
                | Command::End { .. }
        )
    }
}
