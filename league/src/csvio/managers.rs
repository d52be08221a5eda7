//! Bulk import of managers: `name,email,league`, for setting up a pilot's leagues in one go.
//!
//! The `league` cell is a league id or a league's exact name (ignoring case) among the leagues the
//! importer is allowed to fill. Each (email, league) pair may appear once, each league must still
//! be open, and the rows for a league must fit in its free manager places.

use std::collections::BTreeMap;

use super::{FirstSeen, ImportError, Limits, RowError, RowProblem, Schema, quote, read_table};
use crate::model::{Email, League, LeagueId, LeagueStatus, MAX_EMAIL_LEN, MAX_NAME_CHARS};

const SCHEMA: Schema = Schema {
    required: &["name", "email", "league"],
    optional: &[],
};

/// One manager to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagerRow {
    /// The line of the file it came from.
    pub line: u64,
    /// Display name (for a new account; an existing account keeps its name).
    pub name: String,
    /// Email address, normalised.
    pub email: Email,
    /// The league to join as a manager.
    pub league: LeagueId,
}

/// Parses and validates a managers file against `leagues` (the leagues the caller may import
/// into). Returns every row, or every problem.
pub fn import_managers(
    input: &[u8],
    leagues: &[&League],
    limits: Limits,
) -> Result<Vec<ManagerRow>, ImportError> {
    let table = read_table(input, SCHEMA, limits)?;
    let mut errors: Vec<RowError> = Vec::new();
    let mut rows = Vec::new();
    let mut seen = FirstSeen::new();
    let mut added: BTreeMap<&LeagueId, usize> = BTreeMap::new();

    for cells in table.rows() {
        if cells.check_shape(&mut errors).is_err() {
            continue;
        }
        let name = cells.required_text(&mut errors, "name", MAX_NAME_CHARS);
        let email = cells
            .required_text(&mut errors, "email", MAX_EMAIL_LEN)
            .and_then(|text| {
                Email::parse(&text).map_err(|problem| {
                    cells.report(
                        &mut errors,
                        Some("email"),
                        RowProblem::Email {
                            value: quote(&text),
                            problem,
                        },
                    )
                })
            });
        let league = cells
            .required_text(&mut errors, "league", 64)
            .and_then(|text| {
                find_league(leagues, &text)
                    .map_err(|problem| cells.report(&mut errors, Some("league"), problem))
            });
        let (Ok(name), Ok(email), Ok(league)) = (name, email, league) else {
            continue;
        };
        if let Some(first_line) = seen.check((email.clone(), league.id().clone()), cells.line()) {
            cells.report(
                &mut errors,
                Some("email"),
                RowProblem::Duplicate {
                    value: format!(
                        "{} in league {}",
                        quote(email.as_str()),
                        quote(league.name())
                    ),
                    first_line,
                },
            );
            continue;
        }
        if league.status() != &LeagueStatus::Open {
            cells.report(
                &mut errors,
                Some("league"),
                RowProblem::LeagueNotOpen {
                    league: quote(league.name()),
                },
            );
            continue;
        }
        let count = added.entry(league.id()).or_insert(0);
        *count += 1;
        let free = league.free_manager_places();
        if *count > free {
            cells.report(
                &mut errors,
                Some("league"),
                RowProblem::LeagueFull {
                    league: quote(league.name()),
                    max_managers: league.settings().max_managers,
                    existing: league.manager_count(),
                    free,
                },
            );
            continue;
        }
        rows.push(ManagerRow {
            line: cells.line(),
            name,
            email,
            league: league.id().clone(),
        });
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(ImportError::Rows(errors))
    }
}

fn find_league<'l>(leagues: &[&'l League], text: &str) -> Result<&'l League, RowProblem> {
    if let Some(league) = leagues.iter().find(|league| league.id().as_str() == text) {
        return Ok(league);
    }
    let wanted = text.to_lowercase();
    let mut by_name = leagues
        .iter()
        .filter(|league| league.name().to_lowercase() == wanted);
    match (by_name.next(), by_name.next()) {
        (Some(league), None) => Ok(league),
        (Some(_), Some(_)) => Err(RowProblem::AmbiguousLeague { value: quote(text) }),
        (None, _) => Err(RowProblem::UnknownLeague { value: quote(text) }),
    }
}
