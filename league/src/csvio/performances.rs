//! Import of cricket performances: `match_id,player_id,runs,wickets,catches,stumpings,run_outs`.
//!
//! `player_id` is an asset id or an exact player name (ignoring case) of the league's pool. Each
//! (match, player) pair may appear once. Counts are whole numbers within what a single match
//! allows (at most [`MAX_RUNS`] runs and [`MAX_DISMISSALS`] of each dismissal kind). Re-importing
//! a corrected file is safe: performances are keyed by (match, player).

use super::{
    AssetResolver, FirstSeen, ImportError, Limits, Resolved, RowError, RowProblem, Schema, quote,
    read_table,
};
use crate::model::MAX_NAME_CHARS;
use crate::scoring::Performance;
use auction::setup::Asset;

const SCHEMA: Schema = Schema {
    required: &[
        "match_id",
        "player_id",
        "runs",
        "wickets",
        "catches",
        "stumpings",
        "run_outs",
    ],
    optional: &[],
};

/// Most runs one player can be recorded with in one match.
pub const MAX_RUNS: u32 = 1_000;
/// Most wickets, catches, stumpings or run-outs one player can be recorded with in one match
/// (a two-innings match has 20 wickets).
pub const MAX_DISMISSALS: u32 = 20;

/// Parses and validates a performances file against the league's asset `pool`.
pub fn import_performances(
    input: &[u8],
    pool: &[Asset],
    limits: Limits,
) -> Result<Vec<Performance>, ImportError> {
    let table = read_table(input, SCHEMA, limits)?;
    let resolver = AssetResolver::new(pool);
    let mut errors: Vec<RowError> = Vec::new();
    let mut performances = Vec::new();
    let mut seen = FirstSeen::new();

    for cells in table.rows() {
        if cells.check_shape(&mut errors).is_err() {
            continue;
        }
        let match_id = cells.required_text(&mut errors, "match_id", 64);
        let player = cells
            .required_text(&mut errors, "player_id", MAX_NAME_CHARS)
            .and_then(|text| match resolver.resolve(&text) {
                Resolved::Found(asset) => Ok(asset.id.clone()),
                Resolved::Unknown => Err(cells.report(
                    &mut errors,
                    Some("player_id"),
                    RowProblem::UnknownAsset {
                        value: quote(&text),
                    },
                )),
                Resolved::Ambiguous => Err(cells.report(
                    &mut errors,
                    Some("player_id"),
                    RowProblem::AmbiguousAsset {
                        value: quote(&text),
                    },
                )),
            });
        let runs = cells.required_number(&mut errors, "runs", 0, MAX_RUNS);
        let wickets = cells.required_number(&mut errors, "wickets", 0, MAX_DISMISSALS);
        let catches = cells.required_number(&mut errors, "catches", 0, MAX_DISMISSALS);
        let stumpings = cells.required_number(&mut errors, "stumpings", 0, MAX_DISMISSALS);
        let run_outs = cells.required_number(&mut errors, "run_outs", 0, MAX_DISMISSALS);
        let (
            Ok(match_id),
            Ok(player),
            Ok(runs),
            Ok(wickets),
            Ok(catches),
            Ok(stumpings),
            Ok(run_outs),
        ) = (
            match_id, player, runs, wickets, catches, stumpings, run_outs,
        )
        else {
            continue;
        };
        if let Some(first_line) = seen.check((match_id.clone(), player.clone()), cells.line()) {
            cells.report(
                &mut errors,
                Some("player_id"),
                RowProblem::Duplicate {
                    value: format!(
                        "player {} in match {}",
                        quote(player.as_str()),
                        quote(&match_id)
                    ),
                    first_line,
                },
            );
            continue;
        }
        performances.push(Performance {
            match_id,
            player,
            runs,
            wickets,
            catches,
            stumpings,
            run_outs,
        });
    }
    if errors.is_empty() {
        Ok(performances)
    } else {
        Err(ImportError::Rows(errors))
    }
}
