//! Fixtures, results and performances from CSV, and the league table.
//!
//! Football leagues import fixtures and results (`external_match_id,starts_at,home,away,
//! home_goals,away_goals,status`); cricket leagues import player performances
//! (`match_id,player_id,runs,wickets,catches,stumpings,run_outs`). Each file is validated whole
//! by the domain's importer before anything is written. Records are keyed by match (and player),
//! so importing a corrected file replaces what it corrects and never double counts.
//!
//! The table ranks the managers by the points of the assets on their rosters — the auction's
//! results — under the league's own scoring rules (defaults: football win 3, draw 1, 1 per goal;
//! cricket run 1, wicket 20, catch 10, stumping 25, run-out 20), with the domain's documented
//! tiebreaks. Before the auction every manager is listed with no assets and 0 points.

use std::collections::BTreeMap;

use auction::{AssetId, Sport, UserId};
use futures_util::StreamExt;
use league::csvio::{self, Limits, UnknownTeams};
use league::model::{Action, League};
use league::scoring::{self, AssetScore, Fixture, Performance, Roster, ScoringRules, TableRow};
use serde::Serialize;
use store::Expect;

use crate::Service;
use crate::error::{ImportFailure, Result, ServiceError};
use crate::leagues::{auction_of, sport_name};
use crate::records::{key_part, tables};

/// Records written at once.
const CONCURRENCY: usize = 32;

/// What an import wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Imported {
    /// Rows written (new or replacing an earlier import of the same key).
    pub imported: usize,
}

/// The league table with the scores behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableView {
    /// The sport.
    pub sport: Sport,
    /// The rules the points were computed with.
    pub scoring: ScoringRules,
    /// Managers in order (ties share a rank).
    pub rows: Vec<TableRow>,
    /// Every asset that has scored, with its stats.
    pub assets: BTreeMap<AssetId, AssetScore>,
    /// Whether the rosters are final (the auction has ended).
    pub final_rosters: bool,
}

impl Service {
    /// Imports fixtures and results (football leagues).
    pub async fn import_fixtures(
        &self,
        league_id: &str,
        user: &UserId,
        csv: &[u8],
        unknown_teams: UnknownTeams,
    ) -> Result<Imported> {
        let (league, _) = self
            .league_for(league_id, Some(user), Action::ImportFixtures)
            .await?;
        require_sport(
            &league,
            Sport::Football,
            "fixtures and results",
            "player performances",
        )?;
        let fixtures =
            csvio::import_fixtures(csv, league.asset_pool(), unknown_teams, Limits::default())
                .map_err(|error| ServiceError::Import(ImportFailure::File(error)))?;
        let prefix = format!("{}/", league.id());
        self.write_all(
            tables::FIXTURES,
            fixtures
                .iter()
                .map(|fixture| (format!("{prefix}{}", key_part(&fixture.match_id)), fixture)),
        )
        .await?;
        tracing::info!(league = %league.id(), rows = fixtures.len(), "fixtures imported");
        Ok(Imported {
            imported: fixtures.len(),
        })
    }

    /// The league's fixtures, by kick-off.
    pub async fn fixtures(&self, league_id: &str, user: &UserId) -> Result<Vec<Fixture>> {
        let (league, _) = self
            .league_for(league_id, Some(user), Action::ViewFixtures)
            .await?;
        let mut fixtures = self.stored_fixtures(&league).await?;
        fixtures.sort_by(|a, b| {
            a.starts_at
                .cmp(&b.starts_at)
                .then_with(|| a.match_id.cmp(&b.match_id))
        });
        Ok(fixtures)
    }

    /// The league's fixtures as CSV (re-importable).
    pub async fn fixtures_csv(&self, league_id: &str, user: &UserId) -> Result<String> {
        Ok(csvio::export_fixtures_csv(
            &self.fixtures(league_id, user).await?,
        ))
    }

    /// Deletes every fixture of the league.
    pub async fn clear_fixtures(&self, league_id: &str, user: &UserId) -> Result<usize> {
        let (league, _) = self
            .league_for(league_id, Some(user), Action::ImportFixtures)
            .await?;
        self.delete_all(tables::FIXTURES, &format!("{}/", league.id()))
            .await
    }

    /// Imports player performances (cricket leagues).
    pub async fn import_performances(
        &self,
        league_id: &str,
        user: &UserId,
        csv: &[u8],
    ) -> Result<Imported> {
        let (league, _) = self
            .league_for(league_id, Some(user), Action::ImportPerformances)
            .await?;
        require_sport(
            &league,
            Sport::Cricket,
            "player performances",
            "fixtures and results",
        )?;
        let performances = csvio::import_performances(csv, league.asset_pool(), Limits::default())
            .map_err(|error| ServiceError::Import(ImportFailure::File(error)))?;
        let prefix = format!("{}/", league.id());
        self.write_all(
            tables::PERFORMANCES,
            performances.iter().map(|performance| {
                (
                    format!(
                        "{prefix}{}/{}",
                        key_part(&performance.match_id),
                        performance.player
                    ),
                    performance,
                )
            }),
        )
        .await?;
        tracing::info!(league = %league.id(), rows = performances.len(), "performances imported");
        Ok(Imported {
            imported: performances.len(),
        })
    }

    /// The league's performances, by match then player.
    pub async fn performances(&self, league_id: &str, user: &UserId) -> Result<Vec<Performance>> {
        let (league, _) = self
            .league_for(league_id, Some(user), Action::ViewFixtures)
            .await?;
        self.stored_performances(&league).await
    }

    /// The league's performances as CSV (re-importable).
    pub async fn performances_csv(&self, league_id: &str, user: &UserId) -> Result<String> {
        Ok(csvio::export_performances_csv(
            &self.performances(league_id, user).await?,
        ))
    }

    /// Deletes every performance of the league.
    pub async fn clear_performances(&self, league_id: &str, user: &UserId) -> Result<usize> {
        let (league, _) = self
            .league_for(league_id, Some(user), Action::ImportPerformances)
            .await?;
        self.delete_all(tables::PERFORMANCES, &format!("{}/", league.id()))
            .await
    }

    /// The league table.
    pub async fn table(&self, league_id: &str, user: &UserId) -> Result<TableView> {
        let (league, _) = self
            .league_for(league_id, Some(user), Action::ViewTable)
            .await?;
        let (rosters, final_rosters) = self.rosters(&league).await?;
        let assets = match league.scoring() {
            ScoringRules::Football(rules) => {
                scoring::football_scores(rules, &self.stored_fixtures(&league).await?)
            }
            ScoringRules::Cricket(rules) => {
                scoring::cricket_scores(rules, &self.stored_performances(&league).await?)
            }
        };
        let rows = scoring::league_table(league.sport(), &rosters, &assets);
        Ok(TableView {
            sport: league.sport(),
            scoring: league.scoring().clone(),
            rows,
            assets,
            final_rosters,
        })
    }

    /// The table as CSV.
    pub async fn table_csv(&self, league_id: &str, user: &UserId) -> Result<String> {
        let view = self.table(league_id, user).await?;
        let (_, league) = self.league_record(league_id).await?;
        Ok(csvio::export_table_csv(&view.rows, league.asset_pool()))
    }

    /// Every manager's roster: from the auction once it exists, else empty rosters.
    async fn rosters(&self, league: &League) -> Result<(Vec<Roster>, bool)> {
        if let Some(auction_id) = auction_of(league) {
            match self.auction_results(&auction_id).await {
                Ok(results) => {
                    let ended = results.ended.is_some();
                    return Ok((Roster::from_results(&results), ended));
                }
                // Started but not created yet (the cluster was unreachable): no rosters yet.
                Err(ServiceError::AuctionNotFound(_)) => {}
                Err(error) => return Err(error),
            }
        }
        let managers = league.manager_ids();
        let users = self.users_of(managers.iter()).await?;
        let rosters = managers
            .into_iter()
            .zip(users)
            .map(|(id, user)| Roster {
                name: user.map_or_else(|| id.to_string(), |user| user.name),
                user: id,
                assets: Vec::new(),
            })
            .collect();
        Ok((rosters, false))
    }

    async fn stored_fixtures(&self, league: &League) -> Result<Vec<Fixture>> {
        let all: Vec<(String, u64, Fixture)> = self
            .records()
            .scan_all(tables::FIXTURES, &format!("{}/", league.id()))
            .await?;
        Ok(all.into_iter().map(|(_, _, fixture)| fixture).collect())
    }

    async fn stored_performances(&self, league: &League) -> Result<Vec<Performance>> {
        let all: Vec<(String, u64, Performance)> = self
            .records()
            .scan_all(tables::PERFORMANCES, &format!("{}/", league.id()))
            .await?;
        Ok(all
            .into_iter()
            .map(|(_, _, performance)| performance)
            .collect())
    }

    async fn write_all<'a, T: Serialize + 'a>(
        &self,
        table: &'static str,
        rows: impl Iterator<Item = (String, &'a T)>,
    ) -> Result<()> {
        let encoded: Vec<(String, serde_json::Value)> = rows
            .map(|(key, value)| {
                serde_json::to_value(value)
                    .map(|value| (key, value))
                    .map_err(|error| ServiceError::Corrupt(error.to_string()))
            })
            .collect::<Result<_>>()?;
        let records = self.records().clone();
        let results: Vec<Result<u64>> = futures_util::stream::iter(encoded)
            .map(move |(key, value)| {
                let records = records.clone();
                async move { records.put_any(table, &key, &value).await }
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        results
            .into_iter()
            .try_for_each(|result| result.map(|_| ()))
    }

    async fn delete_all(&self, table: &'static str, prefix: &str) -> Result<usize> {
        let all: Vec<(String, u64, serde_json::Value)> =
            self.records().scan_all(table, prefix).await?;
        let count = all.len();
        let records = self.records().clone();
        let results: Vec<Result<bool>> = futures_util::stream::iter(all)
            .map(move |(key, version, _)| {
                let records = records.clone();
                async move { records.delete(table, &key, Expect::Version(version)).await }
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        results
            .into_iter()
            .try_for_each(|result| result.map(|_| ()))?;
        Ok(count)
    }
}

fn require_sport(league: &League, sport: Sport, what: &str, instead: &str) -> Result<()> {
    if league.sport() == sport {
        return Ok(());
    }
    Err(ServiceError::invalid(
        "wrong_sport",
        format!(
            "{} are for {} leagues; this is a {} league: import {instead} instead",
            what,
            sport_name(sport),
            sport_name(league.sport())
        ),
    ))
}
