//! Cricket scoring: players earn points from their performances in matches.
//!
//! `points = run × runs + wicket × wickets + catch × catches + stumping × stumpings +
//! run_out × run_outs`, plus the milestone bonuses of each match: `half_century` for 50 or more
//! runs, `century` for 100 or more (the two stack, as in the predecessor: a century earns both),
//! and `five_wickets` for 5 or more wickets. Milestones are per match, and off (0) by default.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{AssetScore, AssetStats, points};
use auction::ids::AssetId;

/// Points per cricket event. Absent fields deserialise to the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CricketRules {
    /// Points per run (default 1).
    pub run: i32,
    /// Points per wicket (default 20).
    pub wicket: i32,
    /// Points per catch (default 10).
    pub catch: i32,
    /// Points per stumping (default 25).
    pub stumping: i32,
    /// Points per run-out (default 20).
    pub run_out: i32,
    /// Bonus for 50 or more runs in a match (default 0: off).
    pub half_century: i32,
    /// Bonus for 100 or more runs in a match, on top of the half-century bonus (default 0: off).
    pub century: i32,
    /// Bonus for 5 or more wickets in a match (default 0: off).
    pub five_wickets: i32,
}

impl Default for CricketRules {
    fn default() -> Self {
        CricketRules {
            run: 1,
            wicket: 20,
            catch: 10,
            stumping: 25,
            run_out: 20,
            half_century: 0,
            century: 0,
            five_wickets: 0,
        }
    }
}

impl CricketRules {
    pub(super) fn named_values(&self) -> Vec<(&'static str, i32)> {
        vec![
            ("a run", self.run),
            ("a wicket", self.wicket),
            ("a catch", self.catch),
            ("a stumping", self.stumping),
            ("a run-out", self.run_out),
            ("a half-century", self.half_century),
            ("a century", self.century),
            ("a five-wicket haul", self.five_wickets),
        ]
    }
}

/// What one player did in one match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Performance {
    /// The match id; a player has at most one performance per match.
    pub match_id: String,
    /// The player (a league asset).
    pub player: AssetId,
    /// Runs scored.
    pub runs: u32,
    /// Wickets taken.
    pub wickets: u32,
    /// Catches taken.
    pub catches: u32,
    /// Stumpings made.
    pub stumpings: u32,
    /// Run-outs effected.
    pub run_outs: u32,
}

impl Performance {
    /// Points of this one performance under `rules`, milestone bonuses included.
    pub fn points(&self, rules: &CricketRules) -> i64 {
        let bonuses = [
            (self.runs >= 50, rules.half_century),
            (self.runs >= 100, rules.century),
            (self.wickets >= 5, rules.five_wickets),
        ];
        let base = [
            points(rules.run, self.runs),
            points(rules.wicket, self.wickets),
            points(rules.catch, self.catches),
            points(rules.stumping, self.stumpings),
            points(rules.run_out, self.run_outs),
        ];
        base.into_iter()
            .chain(
                bonuses
                    .into_iter()
                    .filter(|(earned, _)| *earned)
                    .map(|(_, bonus)| i64::from(bonus)),
            )
            .fold(0_i64, i64::saturating_add)
    }
}

/// A player's totals over their matches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CricketStats {
    /// Matches with a performance.
    pub matches: u32,
    /// Runs.
    pub runs: u32,
    /// Wickets.
    pub wickets: u32,
    /// Catches.
    pub catches: u32,
    /// Stumpings.
    pub stumpings: u32,
    /// Run-outs.
    pub run_outs: u32,
}

impl CricketStats {
    pub(super) fn accumulate(&mut self, other: &CricketStats) {
        self.matches = self.matches.saturating_add(other.matches);
        self.runs = self.runs.saturating_add(other.runs);
        self.wickets = self.wickets.saturating_add(other.wickets);
        self.catches = self.catches.saturating_add(other.catches);
        self.stumpings = self.stumpings.saturating_add(other.stumpings);
        self.run_outs = self.run_outs.saturating_add(other.run_outs);
    }
}

/// Scores every player with at least one performance.
///
/// When the same `(match_id, player)` appears more than once (a corrected scorecard imported
/// after the original), only the last one counts, so re-importing never double counts.
pub fn cricket_scores(
    rules: &CricketRules,
    performances: &[Performance],
) -> BTreeMap<AssetId, AssetScore> {
    let mut latest: BTreeMap<(&str, &AssetId), &Performance> = BTreeMap::new();
    for performance in performances {
        latest.insert(
            (performance.match_id.as_str(), &performance.player),
            performance,
        );
    }
    let mut scores: BTreeMap<AssetId, (i64, CricketStats)> = BTreeMap::new();
    for performance in latest.values() {
        let (total, stats) = scores.entry(performance.player.clone()).or_default();
        *total = total.saturating_add(performance.points(rules));
        stats.accumulate(&CricketStats {
            matches: 1,
            runs: performance.runs,
            wickets: performance.wickets,
            catches: performance.catches,
            stumpings: performance.stumpings,
            run_outs: performance.run_outs,
        });
    }
    scores
        .into_iter()
        .map(|(asset, (points, stats))| {
            let score = AssetScore {
                asset: asset.clone(),
                points,
                stats: AssetStats::Cricket(stats),
            };
            (asset, score)
        })
        .collect()
}
