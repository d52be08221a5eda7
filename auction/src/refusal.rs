//! Refusals: why a command was not accepted. Each is a typed reason carrying the numbers involved,
//! with a stable snake_case [`Refusal::code`] (documented in RULES.md) and a sentence for people,
//! [`Refusal::message`], rendered in the league's currency style: "Max bid is £48m: keep £1m for each
//! of your 2 other empty slots".
//!
//! A refusal is a normal outcome, not an error of the system: nothing changed, and the same command
//! may succeed later (for a bid or proxy, the idempotency key is not consumed by a refusal).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::{AssetId, LotNumber, UserId};
use crate::money::{CurrencyFormat, Money};
use crate::time::Timestamp;

/// Why a command was refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Refusal {
    /// The auction is still in the waiting room.
    NotStarted,
    /// The auction is paused.
    Paused,
    /// A lot just closed and the next has not opened yet.
    BetweenLots {
        /// When the next lot (or nomination) is due.
        next_lot_at: Timestamp,
    },
    /// The auction is over.
    Ended,
    /// No lot is open.
    NoOpenLot,
    /// Rotation mode: no lot is open while a manager chooses what to nominate.
    AwaitingNomination {
        /// Whose turn it is.
        nominator: UserId,
    },
    /// The bid names a lot other than the open one (for example a bid in flight when the lot
    /// changed).
    WrongLot {
        /// The lot the command named.
        sent: LotNumber,
        /// The lot open now, if any.
        current: Option<LotNumber>,
    },
    /// The lot's clock has run out, even if its close has not been processed yet.
    LotClosed {
        /// The lot.
        lot: LotNumber,
    },
    /// The user is not a manager of this league.
    NotAManager,
    /// Only the commissioner may do this.
    NotCommissioner,
    /// The bidder already leads this lot.
    AlreadyLeading,
    /// A first bid (or proxy maximum, or nomination) below the opening bid.
    BelowOpeningBid {
        /// The amount given.
        amount: Money,
        /// The opening bid.
        opening_bid: Money,
    },
    /// A bid (or proxy maximum) below the current price plus the increment.
    BelowMinimumNext {
        /// The amount given.
        amount: Money,
        /// The least acceptable amount.
        min_next: Money,
    },
    /// A bid (or proxy maximum, or nomination) above the bidder's max bid.
    AboveMaxBid {
        /// The amount given.
        amount: Money,
        /// The bidder's max bid: remaining − reserve_per_slot × other_empty_slots.
        max_bid: Money,
        /// The minimum opening bid, kept back for each other empty slot.
        reserve_per_slot: Money,
        /// The bidder's empty slots besides the one this bid would fill.
        other_empty_slots: u8,
    },
    /// The bidder's roster is full.
    RosterFull {
        /// Roster slots per manager.
        slots: u8,
    },
    /// The amount is above [`Money::MAX_AMOUNT`].
    AmountTooLarge,
    /// Rotation mode: it is someone else's turn to nominate.
    NotYourTurn {
        /// Whose turn it is.
        nominator: UserId,
    },
    /// The asset cannot be nominated now (sold, kept, on offer, or waiting for the re-offer round).
    AssetNotAvailable {
        /// The asset.
        asset: AssetId,
    },
    /// The asset is not in this auction's pool.
    UnknownAsset {
        /// The asset.
        asset: AssetId,
    },
    /// There is no sale to undo.
    NothingToUndo,
    /// An undo names a lot whose sale is not the most recent one.
    NotLastSale {
        /// The lot named.
        lot: LotNumber,
        /// The lot of the most recent sale, if any.
        last: Option<LotNumber>,
    },
    /// Fewer managers than the league's minimum.
    TooFewManagers {
        /// Managers in the auction.
        have: usize,
        /// The league's minimum.
        need: u8,
    },
    /// The auction has already begun.
    AlreadyBegun,
    /// Resume while not paused.
    NotPaused,
    /// Pause while paused.
    AlreadyPaused,
    /// Proxy bidding is off in this league.
    ProxyDisabled,
    /// Nominate in a league that does not nominate in rotation.
    NotRotationMode,
    /// Nominate while nobody is nominating.
    NoNominationOpen,
    /// Nominate after the nominator's time ran out (an asset is being auto-nominated).
    NominationExpired {
        /// When the nomination clock ran out.
        deadline: Timestamp,
    },
    /// The leader set a proxy maximum below the price they already bid.
    ProxyBelowPrice {
        /// The maximum given.
        max: Money,
        /// The current price.
        price: Money,
    },
    /// The leader tried to pass.
    LeaderCannotPass,
    /// The manager already passed on this lot.
    AlreadyPassed,
    /// The idempotency key was already used for a different request by this manager.
    KeyReused,
}

impl Refusal {
    /// Stable snake_case identifier (the serde tag), listed in RULES.md.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NotStarted => "not_started",
            Refusal::Paused => "paused",
            Refusal::BetweenLots { .. } => "between_lots",
            Refusal::Ended => "ended",
            Refusal::NoOpenLot => "no_open_lot",
            Refusal::AwaitingNomination { .. } => "awaiting_nomination",
            Refusal::WrongLot { .. } => "wrong_lot",
            Refusal::LotClosed { .. } => "lot_closed",
            Refusal::NotAManager => "not_a_manager",
            Refusal::NotCommissioner => "not_commissioner",
            Refusal::AlreadyLeading => "already_leading",
            Refusal::BelowOpeningBid { .. } => "below_opening_bid",
            Refusal::BelowMinimumNext { .. } => "below_minimum_next",
            Refusal::AboveMaxBid { .. } => "above_max_bid",
            Refusal::RosterFull { .. } => "roster_full",
            Refusal::AmountTooLarge => "amount_too_large",
            Refusal::NotYourTurn { .. } => "not_your_turn",
            Refusal::AssetNotAvailable { .. } => "asset_not_available",
            Refusal::UnknownAsset { .. } => "unknown_asset",
            Refusal::NothingToUndo => "nothing_to_undo",
            Refusal::NotLastSale { .. } => "not_last_sale",
            Refusal::TooFewManagers { .. } => "too_few_managers",
            Refusal::AlreadyBegun => "already_begun",
            Refusal::NotPaused => "not_paused",
            Refusal::AlreadyPaused => "already_paused",
            Refusal::ProxyDisabled => "proxy_disabled",
            Refusal::NotRotationMode => "not_rotation_mode",
            Refusal::NoNominationOpen => "no_nomination_open",
            Refusal::NominationExpired { .. } => "nomination_expired",
            Refusal::ProxyBelowPrice { .. } => "proxy_below_price",
            Refusal::LeaderCannotPass => "leader_cannot_pass",
            Refusal::AlreadyPassed => "already_passed",
            Refusal::KeyReused => "key_reused",
        }
    }

    /// A sentence for people, with the numbers, money in the league's `currency` style.
    pub fn message(&self, currency: &CurrencyFormat) -> String {
        let money = |amount: &Money| currency.format(*amount);
        match self {
            Refusal::NotStarted => "The auction has not started yet".to_owned(),
            Refusal::Paused => "The auction is paused".to_owned(),
            Refusal::BetweenLots { .. } => {
                "Bidding is closed between lots: wait for the next lot to open".to_owned()
            }
            Refusal::Ended => "The auction has ended".to_owned(),
            Refusal::NoOpenLot => "No lot is open".to_owned(),
            Refusal::AwaitingNomination { nominator } => {
                format!("No lot is open: waiting for {nominator} to nominate")
            }
            Refusal::WrongLot {
                sent,
                current: Some(current),
            } => {
                format!("That was for lot {sent}, but lot {current} is open now")
            }
            Refusal::WrongLot {
                sent,
                current: None,
            } => format!("That was for lot {sent}, which is not open"),
            Refusal::LotClosed { lot } => format!("Lot {lot} has closed"),
            Refusal::NotAManager => "Only managers in this auction can do that".to_owned(),
            Refusal::NotCommissioner => "Only the commissioner can do that".to_owned(),
            Refusal::AlreadyLeading => "You are already the highest bidder".to_owned(),
            Refusal::BelowOpeningBid {
                amount,
                opening_bid,
            } => {
                format!(
                    "The opening bid is {}: {} is too low",
                    money(opening_bid),
                    money(amount)
                )
            }
            Refusal::BelowMinimumNext { amount, min_next } => {
                format!(
                    "The next bid must be at least {}: {} is too low",
                    money(min_next),
                    money(amount)
                )
            }
            Refusal::AboveMaxBid {
                max_bid,
                reserve_per_slot,
                other_empty_slots,
                ..
            } => match other_empty_slots {
                0 => format!(
                    "Max bid is {}: that is all of your remaining budget",
                    money(max_bid)
                ),
                1 => format!(
                    "Max bid is {}: keep {} for your 1 other empty slot",
                    money(max_bid),
                    money(reserve_per_slot)
                ),
                n => format!(
                    "Max bid is {}: keep {} for each of your {n} other empty slots",
                    money(max_bid),
                    money(reserve_per_slot)
                ),
            },
            Refusal::RosterFull { slots } => {
                format!("Your roster is full ({slots} of {slots} slots)")
            }
            Refusal::AmountTooLarge => {
                format!(
                    "That amount is above the largest allowed, {}",
                    money(&Money::MAX_AMOUNT)
                )
            }
            Refusal::NotYourTurn { nominator } => format!("It is {nominator}'s turn to nominate"),
            Refusal::AssetNotAvailable { asset } => format!("{asset} cannot be nominated now"),
            Refusal::UnknownAsset { asset } => format!("{asset} is not in this auction"),
            Refusal::NothingToUndo => "There is no sale to undo".to_owned(),
            Refusal::NotLastSale {
                lot,
                last: Some(last),
            } => {
                format!("Lot {lot} is not the most recent sale (lot {last} is)")
            }
            Refusal::NotLastSale { lot, last: None } => {
                format!("Lot {lot} is not the most recent sale (there is none)")
            }
            Refusal::TooFewManagers { have, need } => {
                format!("At least {need} managers are needed to begin (there are {have})")
            }
            Refusal::AlreadyBegun => "The auction has already begun".to_owned(),
            Refusal::NotPaused => "The auction is not paused".to_owned(),
            Refusal::AlreadyPaused => "The auction is already paused".to_owned(),
            Refusal::ProxyDisabled => "Proxy bidding is turned off in this league".to_owned(),
            Refusal::NotRotationMode => {
                "Managers do not nominate in this league: lots run in order".to_owned()
            }
            Refusal::NoNominationOpen => "Nobody is nominating right now".to_owned(),
            Refusal::NominationExpired { .. } => {
                "Your time to nominate ran out: the next asset is being offered".to_owned()
            }
            Refusal::ProxyBelowPrice { max, price } => format!(
                "Your maximum must be at least your current bid of {}: {} is too low",
                money(price),
                money(max)
            ),
            Refusal::LeaderCannotPass => "You are the highest bidder: you cannot pass".to_owned(),
            Refusal::AlreadyPassed => "You have already passed on this lot".to_owned(),
            Refusal::KeyReused => {
                "This request id was already used for a different request".to_owned()
            }
        }
    }
}

/// The message in the pilot's `£48m` style, for logs.
impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(&CurrencyFormat::pounds()))
    }
}

impl std::error::Error for Refusal {}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_refusal() -> Vec<Refusal> {
        let who = UserId::try_new("ann").unwrap();
        let what = AssetId::try_new("arsenal").unwrap();
        vec![
            Refusal::NotStarted,
            Refusal::Paused,
            Refusal::BetweenLots {
                next_lot_at: Timestamp(5),
            },
            Refusal::Ended,
            Refusal::NoOpenLot,
            Refusal::AwaitingNomination {
                nominator: who.clone(),
            },
            Refusal::WrongLot {
                sent: LotNumber(3),
                current: Some(LotNumber(4)),
            },
            Refusal::WrongLot {
                sent: LotNumber(3),
                current: None,
            },
            Refusal::LotClosed { lot: LotNumber(3) },
            Refusal::NotAManager,
            Refusal::NotCommissioner,
            Refusal::AlreadyLeading,
            Refusal::BelowOpeningBid {
                amount: Money(500_000),
                opening_bid: Money::millions(1),
            },
            Refusal::BelowMinimumNext {
                amount: Money::millions(5),
                min_next: Money::millions(6),
            },
            Refusal::AboveMaxBid {
                amount: Money::millions(50),
                max_bid: Money::millions(48),
                reserve_per_slot: Money::millions(1),
                other_empty_slots: 2,
            },
            Refusal::RosterFull { slots: 3 },
            Refusal::AmountTooLarge,
            Refusal::NotYourTurn { nominator: who },
            Refusal::AssetNotAvailable {
                asset: what.clone(),
            },
            Refusal::UnknownAsset { asset: what },
            Refusal::NothingToUndo,
            Refusal::NotLastSale {
                lot: LotNumber(1),
                last: Some(LotNumber(2)),
            },
            Refusal::NotLastSale {
                lot: LotNumber(1),
                last: None,
            },
            Refusal::TooFewManagers { have: 1, need: 2 },
            Refusal::AlreadyBegun,
            Refusal::NotPaused,
            Refusal::AlreadyPaused,
            Refusal::ProxyDisabled,
            Refusal::NotRotationMode,
            Refusal::NoNominationOpen,
            Refusal::NominationExpired {
                deadline: Timestamp(9),
            },
            Refusal::ProxyBelowPrice {
                max: Money::millions(8),
                price: Money::millions(10),
            },
            Refusal::LeaderCannotPass,
            Refusal::AlreadyPassed,
            Refusal::KeyReused,
        ]
    }

    #[test]
    fn codes_are_the_serde_tags_and_unique() {
        let mut codes = std::collections::BTreeSet::new();
        for refusal in every_refusal() {
            let json = serde_json::to_value(&refusal).unwrap();
            assert_eq!(json["code"], refusal.code());
            let back: Refusal = serde_json::from_value(json).unwrap();
            assert_eq!(back, refusal);
            codes.insert(refusal.code());
        }
        assert_eq!(codes.len(), 33, "one code per variant");
    }

    #[test]
    fn messages_are_sentences_with_the_numbers() {
        for refusal in every_refusal() {
            let message = refusal.message(&CurrencyFormat::pounds());
            assert_eq!(refusal.to_string(), message, "Display uses the £m style");
            assert!(
                message.starts_with(|c: char| c.is_uppercase() || c.is_ascii_lowercase()),
                "{message}"
            );
            assert!(!message.ends_with('.'), "{message}");
        }
        let above = &every_refusal()[14];
        assert_eq!(
            above.message(&CurrencyFormat::rupees()),
            "Max bid is ₹4.8 cr: keep ₹10 lakh for each of your 2 other empty slots"
        );
        assert_eq!(
            above.message(&CurrencyFormat::pounds()),
            "Max bid is £48m: keep £1m for each of your 2 other empty slots"
        );
    }
}
