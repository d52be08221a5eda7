//! The league table: managers ranked by the points of the assets on their rosters.
//!
//! Order and ties, documented for managers:
//! 1. more points ranks higher;
//! 2. on equal points, the first tiebreaker: more goals scored (football) or more runs (cricket);
//! 3. then the second: more wins (football) or more wickets (cricket);
//! 4. managers still level share a rank (standard competition ranking: 1, 2, 2, 4) and are listed
//!    by name, case-insensitively, then by user id.
//!
//! Only owned assets count; an owned asset with no result yet contributes 0 points. Every manager
//! appears, so the table before the first result is all zeros, ordered by name.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{AssetScore, AssetStats};
use auction::ids::{AssetId, UserId};
use auction::settings::Sport;
use auction::view::Results;

/// A manager's roster: what they own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roster {
    /// The manager.
    pub user: UserId,
    /// Their display name.
    pub name: String,
    /// The assets they own, in the order they were bought (keepers first).
    pub assets: Vec<AssetId>,
}

impl Roster {
    /// Every manager's roster from an auction's results.
    pub fn from_results(results: &Results) -> Vec<Roster> {
        results
            .managers
            .iter()
            .map(|manager| Roster {
                user: manager.id.clone(),
                name: manager.name.clone(),
                assets: manager
                    .roster
                    .iter()
                    .map(|entry| entry.asset.clone())
                    .collect(),
            })
            .collect()
    }
}

/// One line of the league table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableRow {
    /// Position, 1 for the leader; managers level on points and tiebreakers share a rank.
    pub rank: u32,
    /// The manager.
    pub user: UserId,
    /// Their display name.
    pub name: String,
    /// Total points.
    pub points: i64,
    /// Each owned asset with its points, in roster order.
    pub assets: Vec<(AssetId, i64)>,
    /// The owned assets' stats added up (source of the tiebreakers).
    pub stats: AssetStats,
}

/// Computes the league table of `rosters` from per-asset `scores` (see the module docs for the
/// order and ties).
pub fn league_table(
    sport: Sport,
    rosters: &[Roster],
    scores: &BTreeMap<AssetId, AssetScore>,
) -> Vec<TableRow> {
    let mut rows: Vec<TableRow> = rosters
        .iter()
        .map(|roster| {
            let mut stats = AssetStats::zero(sport);
            let mut total = 0_i64;
            let assets = roster
                .assets
                .iter()
                .map(|asset| {
                    let points = match scores.get(asset) {
                        Some(score) => {
                            stats.accumulate(&score.stats);
                            score.points
                        }
                        None => 0,
                    };
                    total = total.saturating_add(points);
                    (asset.clone(), points)
                })
                .collect();
            TableRow {
                rank: 0,
                user: roster.user.clone(),
                name: roster.name.clone(),
                points: total,
                assets,
                stats,
            }
        })
        .collect();

    rows.sort_by(|left, right| {
        standing_key(right)
            .cmp(&standing_key(left))
            .then_with(|| left.name.to_lowercase().cmp(&right.name.to_lowercase()))
            .then_with(|| left.user.cmp(&right.user))
    });

    let mut previous: Option<((i64, [u32; 2]), u32)> = None;
    for (index, row) in rows.iter_mut().enumerate() {
        let key = standing_key(row);
        let position = u32::try_from(index + 1).unwrap_or(u32::MAX);
        row.rank = match previous {
            Some((previous_key, previous_rank)) if previous_key == key => previous_rank,
            _ => position,
        };
        previous = Some((key, row.rank));
    }
    rows
}

/// What decides a position: points, then the two tiebreakers.
fn standing_key(row: &TableRow) -> (i64, [u32; 2]) {
    (row.points, row.stats.tiebreakers())
}
