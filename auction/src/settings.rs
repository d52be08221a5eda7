//! League settings: everything a commissioner chooses before the draft, with the pilot's defaults
//! and validation that explains itself.
//!
//! [`LeagueSettings::default`] is the pilot (football, £500m budget, 3 roster slots, £1m opening bid
//! and increment, 30 s bid clock, 10 s anti-snipe, 3 s gap, random lot order). Every value has a
//! documented range; [`LeagueSettings::validate`] returns a [`SettingsError`] that names the value,
//! the range and what was given, as a sentence.

use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

use crate::money::{CurrencyFormat, Money};
use crate::time::DurationMs;

/// Allowed roster slots per manager.
pub const ROSTER_SLOTS: RangeInclusive<u8> = 1..=40;
/// Allowed number of managers in one auction (both `min_managers` and `max_managers`).
pub const MANAGERS: RangeInclusive<u8> = 2..=30;
/// Allowed bid clock, in milliseconds (5 s to 120 s).
pub const BID_CLOCK_MS: RangeInclusive<u64> = 5_000..=120_000;
/// Allowed gap between lots, in milliseconds (0 s to 60 s).
pub const GAP_MS: RangeInclusive<u64> = 0..=60_000;
/// Allowed nomination clock in rotation mode, in milliseconds (5 s to 120 s).
pub const NOMINATION_CLOCK_MS: RangeInclusive<u64> = 5_000..=120_000;
/// Allowed number of extra offers for an unsold asset.
pub const REOFFER_ROUNDS: RangeInclusive<u8> = 0..=5;

/// The sport being drafted (affects scoring elsewhere, not the auction rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sport {
    /// Clubs or players in football; the pilot.
    #[default]
    Football,
    /// Cricket players or teams.
    Cricket,
}

/// One row of a tiered increment table: while the current price is below `below`, the next bid must
/// be at least `step` higher. The last tier has `below: None` and applies to every higher price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IncrementTier {
    /// Upper bound (exclusive) of the prices this tier covers; `None` for the last tier.
    pub below: Option<Money>,
    /// The minimum raise while the price is in this tier.
    pub step: Money,
}

/// How much a bid must beat the current price by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncrementRule {
    /// The same raise at every price (the pilot: £1m).
    Flat(Money),
    /// A raise that depends on the current price, like the IPL's table.
    Tiered(Vec<IncrementTier>),
}

impl Default for IncrementRule {
    fn default() -> Self {
        IncrementRule::Flat(Money::millions(1))
    }
}

impl IncrementRule {
    /// The IPL table (amounts in rupees): +5 lakh below 1 crore, +10 lakh up to 2 crore, +20 lakh up
    /// to 5 crore, +25 lakh above.
    pub fn ipl() -> Self {
        IncrementRule::Tiered(vec![
            IncrementTier {
                below: Some(Money::crore(1)),
                step: Money::lakh(5),
            },
            IncrementTier {
                below: Some(Money::crore(2)),
                step: Money::lakh(10),
            },
            IncrementTier {
                below: Some(Money::crore(5)),
                step: Money::lakh(20),
            },
            IncrementTier {
                below: None,
                step: Money::lakh(25),
            },
        ])
    }

    /// The minimum raise when the current price is `current`.
    pub fn step_at(&self, current: Money) -> Money {
        match self {
            IncrementRule::Flat(step) => *step,
            IncrementRule::Tiered(tiers) => tiers
                .iter()
                .find(|tier| tier.below.is_none_or(|below| current < below))
                .or(tiers.last())
                .map_or(Money(1), |tier| tier.step),
        }
    }

    /// The smallest valid bid after a bid of `current`: `current + step_at(current)`.
    pub fn min_next(&self, current: Money) -> Money {
        current.saturating_add(self.step_at(current))
    }

    /// The highest amount `b ≤ cap` that can still be answered by a bid of at most `limit`, i.e.
    /// with `b + step_at(b) ≤ limit`. Used by proxy bidding to show a losing maximum as a real bid
    /// that the winner's maximum can still beat.
    pub fn highest_answerable(&self, cap: Money, limit: Money) -> Option<Money> {
        match self {
            IncrementRule::Flat(step) => limit.checked_sub(*step).map(|most| most.min(cap)),
            IncrementRule::Tiered(tiers) => {
                let mut best: Option<Money> = None;
                let mut low = Money::ZERO;
                for tier in tiers {
                    let Some(mut candidate) = limit.checked_sub(tier.step) else {
                        low = tier.below.unwrap_or(low);
                        continue;
                    };
                    candidate = candidate.min(cap);
                    if let Some(below) = tier.below {
                        candidate = candidate.min(below.saturating_sub(Money(1)));
                    }
                    if candidate >= low && best.is_none_or(|b| candidate > b) {
                        best = Some(candidate);
                    }
                    match tier.below {
                        Some(below) => low = below,
                        None => break,
                    }
                }
                best
            }
        }
    }

    fn validate(&self) -> Result<(), SettingsError> {
        match self {
            IncrementRule::Flat(step) => {
                if step.0 == 0 || !step.is_within_limit() {
                    return Err(SettingsError::IncrementOutOfRange { got: *step });
                }
            }
            IncrementRule::Tiered(tiers) => {
                if tiers.is_empty() {
                    return Err(SettingsError::NoIncrementTiers);
                }
                let mut previous: Option<IncrementTier> = None;
                for (index, tier) in tiers.iter().enumerate() {
                    let number = index + 1;
                    if tier.step.0 == 0 || !tier.step.is_within_limit() {
                        return Err(SettingsError::TierStepOutOfRange {
                            tier: number,
                            got: tier.step,
                        });
                    }
                    let is_last = index + 1 == tiers.len();
                    match (tier.below, is_last) {
                        (None, false) => {
                            return Err(SettingsError::UnboundedTierNotLast { tier: number });
                        }
                        (Some(_), true) => return Err(SettingsError::LastTierBounded),
                        _ => {}
                    }
                    if let Some(below) = tier.below
                        && !below.is_within_limit()
                    {
                        return Err(SettingsError::TierBoundOutOfRange {
                            tier: number,
                            got: below,
                        });
                    }
                    if let Some(previous) = previous {
                        if let (Some(before), Some(now)) = (previous.below, tier.below)
                            && now <= before
                        {
                            return Err(SettingsError::TierBoundsNotIncreasing { tier: number });
                        }
                        if tier.step < previous.step {
                            return Err(SettingsError::TierStepDecreasing {
                                tier: number,
                                step: tier.step,
                                previous: previous.step,
                            });
                        }
                    }
                    previous = Some(*tier);
                }
            }
        }
        Ok(())
    }
}

/// Who decides which asset is offered next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum NominationMode {
    /// Lots run in a random order drawn once at `Begin` from its seed (the pilot default). The drawn
    /// order is recorded in the `AuctionBegan` event, so replay never draws again.
    #[default]
    RandomOrder,
    /// Lots run in the order the assets were listed in the setup.
    FixedOrder,
    /// Managers take turns (turn order drawn at `Begin`) to nominate an asset and open its lot with
    /// their own opening bid. A manager who does not nominate within `nomination_clock` is skipped
    /// and the next asset in setup order is auto-nominated with no bid on it.
    Rotation {
        /// How long a nominator has to choose.
        nomination_clock: DurationMs,
    },
}

/// Every rule a commissioner can set. `Default` is the pilot's football league.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct LeagueSettings {
    /// Football or cricket. Default football.
    pub sport: Sport,
    /// How money is shown. Default `£48m` style.
    pub currency: CurrencyFormat,
    /// Budget per manager. Default £500m.
    pub budget: Money,
    /// Roster slots per manager, 1 to 40. Default 3.
    pub roster_slots: u8,
    /// Fewest managers needed to begin, 2 to 30. Default 2.
    pub min_managers: u8,
    /// Most managers allowed, 2 to 30. Default 8.
    pub max_managers: u8,
    /// Minimum opening bid, also the reserve kept per other empty slot. Default £1m.
    pub min_opening_bid: Money,
    /// Minimum raise. Default flat £1m.
    pub increment: IncrementRule,
    /// Time on the clock when a lot opens, 5 s to 120 s. Default 30 s.
    pub bid_clock: DurationMs,
    /// A bid accepted with less than this left resets the clock to this; 0 disables; must be
    /// shorter than the bid clock. Default 10 s.
    pub anti_snipe: DurationMs,
    /// Pause between a lot closing and the next opening, 0 s to 60 s. Default 3 s.
    pub gap_between_lots: DurationMs,
    /// Random order, fixed order or rotation. Default random order.
    pub nomination: NominationMode,
    /// How many extra times an unsold asset is offered, 0 to 5. Default 1.
    pub reoffer_rounds: u8,
    /// Whether managers may set sealed proxy maximums. Default on.
    pub proxy_bidding: bool,
}

impl Default for LeagueSettings {
    fn default() -> Self {
        LeagueSettings {
            sport: Sport::Football,
            currency: CurrencyFormat::pounds(),
            budget: Money::millions(500),
            roster_slots: 3,
            min_managers: 2,
            max_managers: 8,
            min_opening_bid: Money::millions(1),
            increment: IncrementRule::Flat(Money::millions(1)),
            bid_clock: DurationMs::from_secs(30),
            anti_snipe: DurationMs::from_secs(10),
            gap_between_lots: DurationMs::from_secs(3),
            nomination: NominationMode::RandomOrder,
            reoffer_rounds: 1,
            proxy_bidding: true,
        }
    }
}

impl LeagueSettings {
    /// Checks every value against its range; the first problem found is returned.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.budget.0 == 0 || !self.budget.is_within_limit() {
            return Err(SettingsError::BudgetOutOfRange { got: self.budget });
        }
        if !ROSTER_SLOTS.contains(&self.roster_slots) {
            return Err(SettingsError::RosterSlotsOutOfRange {
                got: self.roster_slots,
            });
        }
        if !MANAGERS.contains(&self.min_managers) {
            return Err(SettingsError::MinManagersOutOfRange {
                got: self.min_managers,
            });
        }
        if !MANAGERS.contains(&self.max_managers) {
            return Err(SettingsError::MaxManagersOutOfRange {
                got: self.max_managers,
            });
        }
        if self.min_managers > self.max_managers {
            return Err(SettingsError::MinManagersAboveMax {
                min: self.min_managers,
                max: self.max_managers,
            });
        }
        if self.min_opening_bid.0 == 0 || self.min_opening_bid > self.budget {
            return Err(SettingsError::MinOpeningBidOutOfRange {
                got: self.min_opening_bid,
                budget: self.budget,
            });
        }
        let roster_cost = self
            .min_opening_bid
            .saturating_mul(u64::from(self.roster_slots));
        if roster_cost > self.budget {
            return Err(SettingsError::BudgetBelowRosterCost {
                budget: self.budget,
                min_opening_bid: self.min_opening_bid,
                roster_slots: self.roster_slots,
            });
        }
        self.increment.validate()?;
        if !BID_CLOCK_MS.contains(&self.bid_clock.0) {
            return Err(SettingsError::BidClockOutOfRange {
                got: self.bid_clock,
            });
        }
        if self.anti_snipe >= self.bid_clock {
            return Err(SettingsError::AntiSnipeTooLong {
                anti_snipe: self.anti_snipe,
                bid_clock: self.bid_clock,
            });
        }
        if !GAP_MS.contains(&self.gap_between_lots.0) {
            return Err(SettingsError::GapOutOfRange {
                got: self.gap_between_lots,
            });
        }
        if let NominationMode::Rotation { nomination_clock } = self.nomination
            && !NOMINATION_CLOCK_MS.contains(&nomination_clock.0)
        {
            return Err(SettingsError::NominationClockOutOfRange {
                got: nomination_clock,
            });
        }
        if !REOFFER_ROUNDS.contains(&self.reoffer_rounds) {
            return Err(SettingsError::ReofferRoundsOutOfRange {
                got: self.reoffer_rounds,
            });
        }
        Ok(())
    }

    /// The most a manager may bid: `remaining − min_opening_bid × (empty_slots − 1)`, so that every
    /// other empty slot can still be filled at the opening bid. Zero with no empty slot.
    pub fn max_bid(&self, remaining: Money, empty_slots: u8) -> Money {
        if empty_slots == 0 {
            return Money::ZERO;
        }
        remaining.saturating_sub(
            self.min_opening_bid
                .saturating_mul(u64::from(empty_slots - 1)),
        )
    }

    /// The nomination clock in rotation mode.
    pub fn nomination_clock(&self) -> Option<DurationMs> {
        match self.nomination {
            NominationMode::Rotation { nomination_clock } => Some(nomination_clock),
            NominationMode::RandomOrder | NominationMode::FixedOrder => None,
        }
    }
}

/// A setting outside its allowed range. Amounts are in base units; durations in seconds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// Budget is zero or above 10^15.
    #[error("budget must be between 1 and 1,000,000,000,000,000 (got {got})")]
    BudgetOutOfRange {
        /// The budget given.
        got: Money,
    },
    /// Roster slots outside 1..=40.
    #[error("roster slots must be between 1 and 40 (got {got})")]
    RosterSlotsOutOfRange {
        /// The slots given.
        got: u8,
    },
    /// Minimum managers outside 2..=30.
    #[error("minimum managers must be between 2 and 30 (got {got})")]
    MinManagersOutOfRange {
        /// The value given.
        got: u8,
    },
    /// Maximum managers outside 2..=30.
    #[error("maximum managers must be between 2 and 30 (got {got})")]
    MaxManagersOutOfRange {
        /// The value given.
        got: u8,
    },
    /// Minimum managers above the maximum.
    #[error("minimum managers ({min}) must not be more than maximum managers ({max})")]
    MinManagersAboveMax {
        /// The minimum given.
        min: u8,
        /// The maximum given.
        max: u8,
    },
    /// Opening bid zero or above the budget.
    #[error("minimum opening bid must be between 1 and the budget {budget} (got {got})")]
    MinOpeningBidOutOfRange {
        /// The opening bid given.
        got: Money,
        /// The budget.
        budget: Money,
    },
    /// The budget cannot fill a roster at the opening bid.
    #[error(
        "budget ({budget}) must cover the minimum opening bid ({min_opening_bid}) for each of the {roster_slots} roster slots"
    )]
    BudgetBelowRosterCost {
        /// The budget.
        budget: Money,
        /// The opening bid.
        min_opening_bid: Money,
        /// The roster slots.
        roster_slots: u8,
    },
    /// A flat increment of zero or above 10^15.
    #[error("bid increment must be between 1 and 1,000,000,000,000,000 (got {got})")]
    IncrementOutOfRange {
        /// The increment given.
        got: Money,
    },
    /// A tiered increment with no tiers.
    #[error("a tiered increment needs at least one tier")]
    NoIncrementTiers,
    /// A tier's step is zero or above 10^15.
    #[error("increment tier {tier}: step must be between 1 and 1,000,000,000,000,000 (got {got})")]
    TierStepOutOfRange {
        /// Tier number, from 1.
        tier: usize,
        /// The step given.
        got: Money,
    },
    /// A tier's bound is above 10^15.
    #[error("increment tier {tier}: bound must be at most 1,000,000,000,000,000 (got {got})")]
    TierBoundOutOfRange {
        /// Tier number, from 1.
        tier: usize,
        /// The bound given.
        got: Money,
    },
    /// A tier other than the last has no upper bound.
    #[error("increment tier {tier} has no upper bound but is not the last tier")]
    UnboundedTierNotLast {
        /// Tier number, from 1.
        tier: usize,
    },
    /// The last tier has an upper bound, leaving higher prices uncovered.
    #[error("the last increment tier must have no upper bound (it covers every higher price)")]
    LastTierBounded,
    /// Tier bounds do not increase.
    #[error("increment tier {tier}: its bound must be higher than the previous tier's")]
    TierBoundsNotIncreasing {
        /// Tier number, from 1.
        tier: usize,
    },
    /// A tier's step is smaller than the previous tier's.
    #[error(
        "increment tier {tier}: step {step} must not be smaller than the previous tier's {previous}"
    )]
    TierStepDecreasing {
        /// Tier number, from 1.
        tier: usize,
        /// Its step.
        step: Money,
        /// The previous tier's step.
        previous: Money,
    },
    /// Bid clock outside 5 s..=120 s.
    #[error("bid clock must be between 5 s and 120 s (got {got})")]
    BidClockOutOfRange {
        /// The clock given.
        got: DurationMs,
    },
    /// Anti-snipe window not shorter than the bid clock.
    #[error(
        "anti-snipe window ({anti_snipe}) must be shorter than the bid clock ({bid_clock}); use 0 s to disable it"
    )]
    AntiSnipeTooLong {
        /// The window given.
        anti_snipe: DurationMs,
        /// The bid clock.
        bid_clock: DurationMs,
    },
    /// Gap outside 0 s..=60 s.
    #[error("gap between lots must be between 0 s and 60 s (got {got})")]
    GapOutOfRange {
        /// The gap given.
        got: DurationMs,
    },
    /// Nomination clock outside 5 s..=120 s.
    #[error("nomination clock must be between 5 s and 120 s (got {got})")]
    NominationClockOutOfRange {
        /// The clock given.
        got: DurationMs,
    },
    /// Re-offer rounds above 5.
    #[error("re-offer rounds must be between 0 and 5 (got {got})")]
    ReofferRoundsOutOfRange {
        /// The rounds given.
        got: u8,
    },
}

#[cfg(test)]
mod tests;
