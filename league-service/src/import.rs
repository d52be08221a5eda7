//! Bulk import of managers from CSV (`name,email,league`), for setting up a pilot's leagues in one
//! go: a dry run that reports what would happen, then the same file committed.
//!
//! Every row is validated — by the domain's importer (columns, encoding, size, emails, names,
//! formula cells, duplicates, league open and not over its manager limit) and then against stored
//! state (the person is already in that league) — and every bad row is reported with its line.
//! If any row is bad, nothing is imported.
//!
//! The leagues a file may name are the caller's own: those they are commissioner of. A commit
//! creates the accounts that do not exist yet, then adds each league's managers in one
//! compare-and-set of that league (all of them or none). Should a league change in between so
//! that its managers no longer fit (someone joined meanwhile), the leagues already updated by
//! this import are rolled back, so the import still adds nothing; the accounts created stay
//! (unused accounts are harmless, and the next attempt reuses them).

use std::collections::BTreeMap;

use auction::UserId;
use futures_util::StreamExt;
use league::csvio::{self, Limits, ManagerRow};
use league::model::{Action, Audience, Email, JoinRole, League, LeagueId, Role, User};
use serde::Serialize;

use crate::Service;
use crate::error::{ImportFailure, Result, RowProblem, ServiceError};
use crate::leagues::MembershipRecord;
use crate::records::{Change, tables};

/// Accounts looked up or created at once.
const CONCURRENCY: usize = 16;

/// One row of an import, as it was (or would be) applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedManager {
    /// The line of the file.
    pub line: u64,
    /// The name given (an existing account keeps its own).
    pub name: String,
    /// The email address.
    pub email: Email,
    /// The league joined.
    pub league_id: LeagueId,
    /// Its name.
    pub league_name: String,
    /// Whether the account is new (`true`) or already existed.
    pub new_account: bool,
}

/// Per league: how many managers the import adds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeagueImport {
    /// The league.
    pub league_id: LeagueId,
    /// Its name.
    pub league_name: String,
    /// Managers added by this file.
    pub added: usize,
    /// Managers it has after the import.
    pub managers: usize,
    /// Its limit.
    pub max_managers: u8,
}

/// What an import did (or, for a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Whether this was a dry run (nothing changed).
    pub dry_run: bool,
    /// Every row.
    pub rows: Vec<ImportedManager>,
    /// Every league named.
    pub leagues: Vec<LeagueImport>,
    /// Accounts created (or that would be).
    pub new_accounts: usize,
}

impl Service {
    /// Validates a managers file against every league the caller is commissioner of (the
    /// `league` column picks one per row) and, unless `dry_run`, applies it.
    pub async fn import_managers(
        &self,
        user: &UserId,
        csv: &[u8],
        dry_run: bool,
    ) -> Result<ImportReport> {
        let leagues = self.commissioned_leagues(user).await?;
        if leagues.is_empty() {
            return Err(ServiceError::invalid(
                "no_leagues",
                "you are not the commissioner of any league, so there is no league to import managers into",
            ));
        }
        self.import_into(user, leagues, csv, dry_run).await
    }

    /// Validates a managers file for one league (every row's `league` must name it) and,
    /// unless `dry_run`, applies it.
    pub async fn import_managers_into(
        &self,
        league_id: &str,
        user: &UserId,
        csv: &[u8],
        dry_run: bool,
    ) -> Result<ImportReport> {
        let (league, _) = self
            .league_for(league_id, Some(user), Action::ImportManagers)
            .await?;
        self.import_into(user, vec![league], csv, dry_run).await
    }

    async fn import_into(
        &self,
        user: &UserId,
        leagues: Vec<League>,
        csv: &[u8],
        dry_run: bool,
    ) -> Result<ImportReport> {
        let refs: Vec<&League> = leagues.iter().collect();
        let rows = csvio::import_managers(csv, &refs, Limits::default())
            .map_err(|error| ServiceError::Import(ImportFailure::File(error)))?;
        let existing = self.accounts_of(&rows).await?;
        let problems = self.membership_problems(&rows, &existing, &leagues).await?;
        if !problems.is_empty() {
            return Err(ServiceError::Import(ImportFailure::Rows(problems)));
        }
        let by_id: BTreeMap<&LeagueId, &League> =
            leagues.iter().map(|league| (league.id(), league)).collect();
        let mut report = plan(&rows, &existing, &by_id, dry_run);
        if dry_run {
            return Ok(report);
        }
        let users = self.create_accounts(&rows).await?;
        // The "my leagues" index first: an entry for a join that then fails is ignored on read
        // (the league record is the truth), while a missing one would hide a league.
        for (row, user) in rows.iter().zip(&users) {
            self.index_membership(&user.id, &row.league).await?;
        }
        let mut applied: Vec<(LeagueId, Vec<UserId>)> = Vec::new();
        for league in &mut report.leagues {
            let joining: Vec<UserId> = rows
                .iter()
                .zip(&users)
                .filter(|(row, _)| row.league == league.league_id)
                .map(|(_, user)| user.id.clone())
                .collect();
            match self.join_all(user, &league.league_id, &joining).await {
                Ok(managers) => {
                    league.managers = managers;
                    applied.push((league.league_id.clone(), joining));
                }
                Err(error) => {
                    for (league_id, users) in &applied {
                        self.undo_import(league_id, users).await?;
                    }
                    return Err(error);
                }
            }
        }
        tracing::info!(
            by = %user,
            rows = report.rows.len(),
            new_accounts = report.new_accounts,
            "managers imported"
        );
        Ok(report)
    }

    /// Leagues whose commissioner is `user`.
    async fn commissioned_leagues(&self, user: &UserId) -> Result<Vec<League>> {
        let prefix = format!("{user}/");
        let entries: Vec<(String, u64, MembershipRecord)> = self
            .records()
            .scan_all(tables::MEMBERSHIPS, &prefix)
            .await?;
        let mut leagues = Vec::new();
        for (key, _, _) in entries {
            let league: Option<League> = self
                .records()
                .value(tables::LEAGUES, &key[prefix.len()..])
                .await?;
            if let Some(league) = league
                && league.commissioner() == user
                && league.can(Some(user), Action::ImportManagers)
            {
                leagues.push(league);
            }
        }
        Ok(leagues)
    }

    /// The existing account of each row's email (`None`: it would be created).
    async fn accounts_of(&self, rows: &[ManagerRow]) -> Result<Vec<Option<User>>> {
        let emails: Vec<Email> = rows.iter().map(|row| row.email.clone()).collect();
        let service = self.clone();
        futures_util::stream::iter(emails)
            .map(move |email| {
                let service = service.clone();
                async move { service.user_by_email(&email).await }
            })
            .buffered(CONCURRENCY)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect()
    }

    /// Rows whose person is already in the league they name.
    async fn membership_problems(
        &self,
        rows: &[ManagerRow],
        existing: &[Option<User>],
        leagues: &[League],
    ) -> Result<Vec<RowProblem>> {
        let mut problems = Vec::new();
        for (row, user) in rows.iter().zip(existing) {
            let (Some(user), Some(league)) = (
                user,
                leagues.iter().find(|league| league.id() == &row.league),
            ) else {
                continue;
            };
            let role = match self.audience(league, Some(&user.id)).await? {
                Audience::Commissioner { .. } => Some(Role::Commissioner),
                Audience::Manager => Some(Role::Manager),
                Audience::Spectator => Some(Role::Spectator),
                Audience::Outsider | Audience::Anonymous => None,
            };
            if let Some(role) = role {
                problems.push(RowProblem {
                    line: row.line,
                    column: Some("email"),
                    message: format!(
                        "{} is already a member of league {} (as {role})",
                        csvio_quote(row.email.as_str()),
                        csvio_quote(league.name())
                    ),
                });
            }
        }
        Ok(problems)
    }

    async fn create_accounts(&self, rows: &[ManagerRow]) -> Result<Vec<User>> {
        let people: Vec<(Email, String)> = rows
            .iter()
            .map(|row| (row.email.clone(), row.name.clone()))
            .collect();
        let service = self.clone();
        futures_util::stream::iter(people)
            .map(move |(email, name)| {
                let service = service.clone();
                async move {
                    service
                        .find_or_create_user(&email, Some(&name))
                        .await
                        .map(|(user, _)| user)
                }
            })
            .buffered(CONCURRENCY)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect()
    }

    /// Adds `users` as managers of `league` in one compare-and-set; returns its manager count.
    async fn join_all(&self, by: &UserId, league_id: &LeagueId, users: &[UserId]) -> Result<usize> {
        let now = self.now();
        self.change_league(league_id.as_str(), by, Action::ImportManagers, |league| {
            league
                .join_all(users, JoinRole::Manager, now)
                .map_err(|(user, error)| {
                    ServiceError::conflict(
                        "league_changed",
                        format!(
                            "league {} changed while importing ({user}: {error}), so nothing was imported: check the league and import again",
                            csvio_quote(league.name())
                        ),
                    )
                })?;
            Ok(league.manager_count())
        })
        .await
    }

    async fn undo_import(&self, league: &LeagueId, users: &[UserId]) -> Result<()> {
        self.records()
            .update(
                tables::LEAGUES,
                league.as_str(),
                "this league",
                |current: Option<League>| {
                    let Some(mut league) = current else {
                        return Ok(Change::Keep(()));
                    };
                    for user in users {
                        // Members added by this import; one who left meanwhile is simply gone.
                        let _ = league.leave(user);
                    }
                    Ok(Change::Put(league, ()))
                },
            )
            .await
    }
}

fn plan(
    rows: &[ManagerRow],
    existing: &[Option<User>],
    leagues: &BTreeMap<&LeagueId, &League>,
    dry_run: bool,
) -> ImportReport {
    let mut counts: Vec<LeagueImport> = Vec::new();
    let imported: Vec<ImportedManager> = rows
        .iter()
        .zip(existing)
        .map(|(row, user)| {
            let league = leagues[&row.league];
            match counts
                .iter_mut()
                .find(|count| count.league_id == row.league)
            {
                Some(count) => {
                    count.added += 1;
                    count.managers += 1;
                }
                None => counts.push(LeagueImport {
                    league_id: row.league.clone(),
                    league_name: league.name().to_owned(),
                    added: 1,
                    managers: league.manager_count() + 1,
                    max_managers: league.settings().max_managers,
                }),
            }
            ImportedManager {
                line: row.line,
                name: row.name.clone(),
                email: row.email.clone(),
                league_id: row.league.clone(),
                league_name: league.name().to_owned(),
                new_account: user.is_none(),
            }
        })
        .collect();
    let mut new_emails: Vec<&Email> = rows
        .iter()
        .zip(existing)
        .filter(|(_, user)| user.is_none())
        .map(|(row, _)| &row.email)
        .collect();
    new_emails.sort();
    new_emails.dedup();
    ImportReport {
        dry_run,
        rows: imported,
        leagues: counts,
        new_accounts: new_emails.len(),
    }
}

/// Quotes a value the way the importer's messages do.
fn csvio_quote(value: &str) -> String {
    let shown: String = value.chars().take(40).collect();
    if value.chars().count() > 40 {
        format!("'{shown}…'")
    } else {
        format!("'{shown}'")
    }
}
