//! Football scoring: clubs earn points from finished fixtures.
//!
//! A fixture counts only once its status is [`FixtureStatus::Finished`] and it has a score.
//! Each side that is an asset of the league earns `win`/`draw`/`loss`, plus `goal_scored` per goal
//! it scored, `goal_conceded` per goal it conceded and `clean_sheet` when it conceded none.
//! Teams are matched by asset id, never by a fuzzy name (the predecessor matched substrings of
//! names and double counted).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{AssetScore, AssetStats, points};
use auction::ids::AssetId;
use auction::time::Timestamp;

/// Points per football event. Absent fields deserialise to the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FootballRules {
    /// Points for a win (default 3).
    pub win: i32,
    /// Points for a draw (default 1).
    pub draw: i32,
    /// Points for a loss (default 0).
    pub loss: i32,
    /// Points per goal scored (default 1).
    pub goal_scored: i32,
    /// Points per goal conceded (default 0; a negative value penalises).
    pub goal_conceded: i32,
    /// Points for conceding no goal (default 0).
    pub clean_sheet: i32,
}

impl Default for FootballRules {
    fn default() -> Self {
        FootballRules {
            win: 3,
            draw: 1,
            loss: 0,
            goal_scored: 1,
            goal_conceded: 0,
            clean_sheet: 0,
        }
    }
}

impl FootballRules {
    pub(super) fn named_values(&self) -> Vec<(&'static str, i32)> {
        vec![
            ("a win", self.win),
            ("a draw", self.draw),
            ("a loss", self.loss),
            ("a goal scored", self.goal_scored),
            ("a goal conceded", self.goal_conceded),
            ("a clean sheet", self.clean_sheet),
        ]
    }
}

/// Where a fixture is in its life. Only `Finished` fixtures score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FixtureStatus {
    /// Not started.
    Scheduled,
    /// In play; any score is provisional.
    Live,
    /// Full time; the score is final.
    Finished,
    /// Moved to a later date.
    Postponed,
    /// Will not be played.
    Cancelled,
}

impl FixtureStatus {
    /// The canonical lowercase name, as written in CSV files.
    pub fn as_str(&self) -> &'static str {
        match self {
            FixtureStatus::Scheduled => "scheduled",
            FixtureStatus::Live => "live",
            FixtureStatus::Finished => "finished",
            FixtureStatus::Postponed => "postponed",
            FixtureStatus::Cancelled => "cancelled",
        }
    }

    /// Reads a status, case-insensitively, accepting the common abbreviations used by results
    /// feeds (`ft`, `ns`, `pst`, ...).
    pub fn parse(text: &str) -> Option<FixtureStatus> {
        match text.trim().to_ascii_lowercase().as_str() {
            "scheduled" | "ns" | "not started" | "timed" => Some(FixtureStatus::Scheduled),
            "live" | "in_play" | "in play" | "ht" | "half time" | "paused" => {
                Some(FixtureStatus::Live)
            }
            "finished" | "ft" | "full time" | "fulltime" | "completed" => {
                Some(FixtureStatus::Finished)
            }
            "postponed" | "pst" => Some(FixtureStatus::Postponed),
            "cancelled" | "canceled" | "canc" => Some(FixtureStatus::Cancelled),
            _ => None,
        }
    }
}

/// One team of a fixture: its name as given, and the league asset it is, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Side {
    /// The team's name as it appears in the fixture list (or the asset's name).
    pub name: String,
    /// The league asset this team is, if it is one.
    pub asset: Option<AssetId>,
}

/// Goals scored by each side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score {
    /// Goals of the home side.
    pub home: u8,
    /// Goals of the away side.
    pub away: u8,
}

/// A football match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fixture {
    /// The match id from the fixture list; unique within a league.
    pub match_id: String,
    /// Kick-off.
    pub starts_at: Timestamp,
    /// The home side.
    pub home: Side,
    /// The away side.
    pub away: Side,
    /// Where the match is in its life.
    pub status: FixtureStatus,
    /// The score (final once `status` is `Finished`).
    pub score: Option<Score>,
}

/// A club's record from finished fixtures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FootballStats {
    /// Finished fixtures played.
    pub played: u32,
    /// Wins.
    pub won: u32,
    /// Draws.
    pub drawn: u32,
    /// Losses.
    pub lost: u32,
    /// Goals scored.
    pub goals_for: u32,
    /// Goals conceded.
    pub goals_against: u32,
    /// Finished fixtures without conceding.
    pub clean_sheets: u32,
}

impl FootballStats {
    pub(super) fn accumulate(&mut self, other: &FootballStats) {
        self.played = self.played.saturating_add(other.played);
        self.won = self.won.saturating_add(other.won);
        self.drawn = self.drawn.saturating_add(other.drawn);
        self.lost = self.lost.saturating_add(other.lost);
        self.goals_for = self.goals_for.saturating_add(other.goals_for);
        self.goals_against = self.goals_against.saturating_add(other.goals_against);
        self.clean_sheets = self.clean_sheets.saturating_add(other.clean_sheets);
    }

    /// Points of this record under `rules`.
    pub fn points(&self, rules: &FootballRules) -> i64 {
        [
            points(rules.win, self.won),
            points(rules.draw, self.drawn),
            points(rules.loss, self.lost),
            points(rules.goal_scored, self.goals_for),
            points(rules.goal_conceded, self.goals_against),
            points(rules.clean_sheet, self.clean_sheets),
        ]
        .into_iter()
        .fold(0_i64, i64::saturating_add)
    }
}

/// Scores every asset that appears in a finished fixture.
///
/// When several fixtures share a `match_id` (a corrected result imported after the original),
/// only the last one counts, so re-importing never double counts. Assets without a finished
/// fixture are absent from the result (they have 0 points).
pub fn football_scores(
    rules: &FootballRules,
    fixtures: &[Fixture],
) -> BTreeMap<AssetId, AssetScore> {
    let mut latest: BTreeMap<&str, &Fixture> = BTreeMap::new();
    for fixture in fixtures {
        latest.insert(fixture.match_id.as_str(), fixture);
    }
    let mut records: BTreeMap<AssetId, FootballStats> = BTreeMap::new();
    for fixture in latest.values() {
        let (FixtureStatus::Finished, Some(score)) = (fixture.status, fixture.score) else {
            continue;
        };
        let sides = [
            (&fixture.home, score.home, score.away),
            (&fixture.away, score.away, score.home),
        ];
        for (side, scored, conceded) in sides {
            let Some(asset) = &side.asset else { continue };
            let record = records.entry(asset.clone()).or_default();
            record.accumulate(&FootballStats {
                played: 1,
                won: u32::from(scored > conceded),
                drawn: u32::from(scored == conceded),
                lost: u32::from(scored < conceded),
                goals_for: u32::from(scored),
                goals_against: u32::from(conceded),
                clean_sheets: u32::from(conceded == 0),
            });
        }
    }
    records
        .into_iter()
        .map(|(asset, stats)| {
            let score = AssetScore {
                asset: asset.clone(),
                points: stats.points(rules),
                stats: AssetStats::Football(stats),
            };
            (asset, score)
        })
        .collect()
}
