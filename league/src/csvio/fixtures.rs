//! Import of football fixtures and results:
//! `external_match_id,starts_at,home,away,home_goals,away_goals,status`.
//!
//! - `external_match_id`: the match's id in the source fixture list; unique in the file.
//! - `starts_at`: kick-off with its offset, e.g. `2025-08-16T15:00:00Z` or `2025-08-16 16:00+01:00`.
//! - `home`, `away`: asset ids or exact asset names (ignoring case) of the league's pool.
//! - `home_goals`, `away_goals`: 0 to 99, both or neither.
//! - `status`: scheduled, live, finished, postponed or cancelled (also `ft`, `ns`, `pst`, ...).
//!   When empty, a row with both goals is finished and a row without is scheduled.
//!
//! Re-importing a corrected file is safe: results are keyed by `external_match_id`.

use super::{
    AssetResolver, FirstSeen, ImportError, Limits, Resolved, RowError, RowProblem, Schema, quote,
    read_table,
};
use crate::model::MAX_NAME_CHARS;
use crate::scoring::{Fixture, FixtureStatus, Score, Side};
use crate::timefmt;
use auction::setup::Asset;

const SCHEMA: Schema = Schema {
    required: &[
        "external_match_id",
        "starts_at",
        "home",
        "away",
        "home_goals",
        "away_goals",
        "status",
    ],
    optional: &[],
};

/// Most goals one side can be recorded with.
pub const MAX_GOALS: u32 = 99;

/// What to do with a team that is not an asset of the league.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownTeams {
    /// Refuse the row: every team must be in the pool (the default; catches misspelt names).
    Reject,
    /// Keep the fixture with that side unmatched (for a pool that holds only some of a
    /// competition's clubs, imported with the full fixture list). Such a side scores nothing.
    Keep,
}

/// Parses and validates a fixtures file against the league's asset `pool`.
pub fn import_fixtures(
    input: &[u8],
    pool: &[Asset],
    unknown_teams: UnknownTeams,
    limits: Limits,
) -> Result<Vec<Fixture>, ImportError> {
    let table = read_table(input, SCHEMA, limits)?;
    let resolver = AssetResolver::new(pool);
    let mut errors: Vec<RowError> = Vec::new();
    let mut fixtures = Vec::new();
    let mut seen = FirstSeen::new();

    for cells in table.rows() {
        if cells.check_shape(&mut errors).is_err() {
            continue;
        }
        let match_id = cells.required_text(&mut errors, "external_match_id", 64);
        let starts_at = cells
            .required_text(&mut errors, "starts_at", 40)
            .and_then(|text| {
                timefmt::parse_datetime(&text).map_err(|problem| {
                    cells.report(
                        &mut errors,
                        Some("starts_at"),
                        RowProblem::DateTime {
                            value: quote(&text),
                            problem,
                        },
                    )
                })
            });
        let side = |column: &'static str, errors: &mut Vec<RowError>| {
            cells
                .required_text(errors, column, MAX_NAME_CHARS)
                .and_then(|text| match resolver.resolve(&text) {
                    Resolved::Found(asset) => Ok(Side {
                        name: asset.name.clone(),
                        asset: Some(asset.id.clone()),
                    }),
                    Resolved::Unknown if unknown_teams == UnknownTeams::Keep => Ok(Side {
                        name: text,
                        asset: None,
                    }),
                    Resolved::Unknown => Err(cells.report(
                        errors,
                        Some(column),
                        RowProblem::UnknownAsset {
                            value: quote(&text),
                        },
                    )),
                    Resolved::Ambiguous => Err(cells.report(
                        errors,
                        Some(column),
                        RowProblem::AmbiguousAsset {
                            value: quote(&text),
                        },
                    )),
                })
        };
        let home = side("home", &mut errors);
        let away = side("away", &mut errors);
        let home_goals = cells.optional_number(&mut errors, "home_goals", 0, MAX_GOALS);
        let away_goals = cells.optional_number(&mut errors, "away_goals", 0, MAX_GOALS);
        let status = cells
            .optional_text(&mut errors, "status", 40)
            .and_then(|text| match text {
                None => Ok(None),
                Some(text) => FixtureStatus::parse(&text).map(Some).ok_or_else(|| {
                    cells.report(
                        &mut errors,
                        Some("status"),
                        RowProblem::Status {
                            value: quote(&text),
                        },
                    )
                }),
            });
        let (
            Ok(match_id),
            Ok(starts_at),
            Ok(home),
            Ok(away),
            Ok(home_goals),
            Ok(away_goals),
            Ok(status),
        ) = (
            match_id, starts_at, home, away, home_goals, away_goals, status,
        )
        else {
            continue;
        };

        let same_team = match (&home.asset, &away.asset) {
            (Some(home_asset), Some(away_asset)) => home_asset == away_asset,
            _ => home.name.to_lowercase() == away.name.to_lowercase(),
        };
        if same_team {
            cells.report(&mut errors, Some("away"), RowProblem::SameTeam);
            continue;
        }
        let score = match (home_goals, away_goals) {
            (Some(home), Some(away)) => Some(Score {
                home: u8::try_from(home).expect("goals are checked to be at most 99"),
                away: u8::try_from(away).expect("goals are checked to be at most 99"),
            }),
            (None, None) => None,
            _ => {
                cells.report(&mut errors, Some("home_goals"), RowProblem::HalfScore);
                continue;
            }
        };
        let status = status.unwrap_or(if score.is_some() {
            FixtureStatus::Finished
        } else {
            FixtureStatus::Scheduled
        });
        match (status, score) {
            (FixtureStatus::Finished, None) => {
                cells.report(&mut errors, Some("status"), RowProblem::ScoreRequired);
                continue;
            }
            (
                FixtureStatus::Scheduled | FixtureStatus::Postponed | FixtureStatus::Cancelled,
                Some(_),
            ) => {
                cells.report(
                    &mut errors,
                    Some("status"),
                    RowProblem::ScoreNotAllowed {
                        status: status.as_str(),
                    },
                );
                continue;
            }
            _ => {}
        }
        if let Some(first_line) = seen.check(match_id.clone(), cells.line()) {
            cells.report(
                &mut errors,
                Some("external_match_id"),
                RowProblem::Duplicate {
                    value: format!("match {}", quote(&match_id)),
                    first_line,
                },
            );
            continue;
        }
        fixtures.push(Fixture {
            match_id,
            starts_at,
            home,
            away,
            status,
            score,
        });
    }
    if errors.is_empty() {
        Ok(fixtures)
    } else {
        Err(ImportError::Rows(errors))
    }
}
