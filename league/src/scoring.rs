//! Scoring: turning real-world results into points for owned assets, and a league table of
//! managers.
//!
//! - Football ([`football`]): clubs score from finished fixtures. Defaults: win 3, draw 1, loss 0,
//!   1 per goal scored, nothing for goals conceded or clean sheets.
//! - Cricket ([`cricket`]): players score from match performances. Defaults: run 1, wicket 20,
//!   catch 10, stumping 25, run-out 20; milestone bonuses (50 runs, 100 runs, 5 wickets) are off.
//! - The table ([`table`]): a manager's points are the sum of their assets' points.
//!
//! Every league holds its own [`ScoringRules`], so any default can be overridden per league. The
//! rules deserialise with defaults for absent fields, so an override names only what it changes:
//! `{"sport": "football", "win": 2}`. Everything is recomputed from the full list of results, so
//! a corrected result or a changed rule never double counts.

pub mod cricket;
pub mod football;
pub mod table;

use serde::{Deserialize, Serialize};

use auction::ids::AssetId;
use auction::settings::Sport;

pub use cricket::{CricketRules, CricketStats, Performance, cricket_scores};
pub use football::{
    Fixture, FixtureStatus, FootballRules, FootballStats, Score, Side, football_scores,
};
pub use table::{Roster, TableRow, league_table};

/// Smallest points value a single rule may have.
pub const MIN_RULE_POINTS: i32 = -1_000;
/// Largest points value a single rule may have.
pub const MAX_RULE_POINTS: i32 = 1_000;

/// A league's scoring rules: one sport's rule set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "sport", rename_all = "snake_case")]
pub enum ScoringRules {
    /// Clubs scored from fixtures.
    Football(FootballRules),
    /// Players scored from performances.
    Cricket(CricketRules),
}

/// A scoring rule outside [`MIN_RULE_POINTS`]..=[`MAX_RULE_POINTS`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the points for {rule} must be between {MIN_RULE_POINTS} and {MAX_RULE_POINTS} (got {value})"
)]
pub struct ScoringRulesError {
    /// Which rule, in words ("a win", "a stumping").
    pub rule: &'static str,
    /// The value given.
    pub value: i32,
}

impl ScoringRules {
    /// The default rules of `sport`.
    pub fn default_for(sport: Sport) -> ScoringRules {
        match sport {
            Sport::Football => ScoringRules::Football(FootballRules::default()),
            Sport::Cricket => ScoringRules::Cricket(CricketRules::default()),
        }
    }

    /// The sport these rules are for.
    pub fn sport(&self) -> Sport {
        match self {
            ScoringRules::Football(_) => Sport::Football,
            ScoringRules::Cricket(_) => Sport::Cricket,
        }
    }

    /// Checks every rule is within range.
    pub fn validate(&self) -> Result<(), ScoringRulesError> {
        let rules = match self {
            ScoringRules::Football(rules) => rules.named_values(),
            ScoringRules::Cricket(rules) => rules.named_values(),
        };
        match rules
            .into_iter()
            .find(|(_, value)| !(MIN_RULE_POINTS..=MAX_RULE_POINTS).contains(value))
        {
            Some((rule, value)) => Err(ScoringRulesError { rule, value }),
            None => Ok(()),
        }
    }
}

/// What one asset has scored so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetScore {
    /// The asset.
    pub asset: AssetId,
    /// Its points under the league's rules.
    pub points: i64,
    /// The counts the points came from (also the table's tiebreakers).
    pub stats: AssetStats,
}

/// The counts behind an asset's points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "sport", rename_all = "snake_case")]
pub enum AssetStats {
    /// A club's record.
    Football(FootballStats),
    /// A player's totals.
    Cricket(CricketStats),
}

impl AssetStats {
    /// All-zero stats for `sport`.
    pub fn zero(sport: Sport) -> AssetStats {
        match sport {
            Sport::Football => AssetStats::Football(FootballStats::default()),
            Sport::Cricket => AssetStats::Cricket(CricketStats::default()),
        }
    }

    /// Adds `other` into `self` (stats of another sport are ignored).
    pub fn accumulate(&mut self, other: &AssetStats) {
        match (self, other) {
            (AssetStats::Football(total), AssetStats::Football(more)) => total.accumulate(more),
            (AssetStats::Cricket(total), AssetStats::Cricket(more)) => total.accumulate(more),
            _ => {}
        }
    }

    /// The table's tiebreakers after points, most important first: goals scored then wins for
    /// football, runs then wickets for cricket.
    pub fn tiebreakers(&self) -> [u32; 2] {
        match self {
            AssetStats::Football(stats) => [stats.goals_for, stats.won],
            AssetStats::Cricket(stats) => [stats.runs, stats.wickets],
        }
    }
}

/// Points from `count` events worth `rule` each, saturating instead of overflowing.
fn points(rule: i32, count: u32) -> i64 {
    i64::from(rule).saturating_mul(i64::from(count))
}

#[cfg(test)]
mod tests;
