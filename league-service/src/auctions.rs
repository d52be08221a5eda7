//! A league's auction: starting it through the cluster, knowing which league an auction drafts
//! and who may watch it, and reading its results back from the event log.
//!
//! Starting is made safe to repeat and to race:
//! 1. the commissioner's request is authorized and the setup is built from the league
//!    ([`league::model::League::auction_setup`], which runs the auction crate's own validation);
//! 2. the `auction_leagues` index is written, then the league is moved to `AuctionLive` with a
//!    fresh, unguessable auction id by compare-and-set — from here on the league is frozen, so the
//!    setup cannot go stale, and a concurrent start sees the id instead of inventing another;
//! 3. the cluster is asked to create the auction. "Already exists" is accepted only if the log's
//!    setup is this league's (so nobody can squat an auction id). A definitive refusal moves the
//!    league back to `Open`; an unknown outcome or an unreachable cluster leaves it `AuctionLive`,
//!    and starting again re-sends the same creation, which the cluster never applies twice.
//!
//! Results are a fold of the auction's events ([`auction::Auction::replay`]): rosters with prices
//! and every bid, as JSON and as CSV. Once the log says the auction ended, the league is marked
//! `Completed`.

use std::collections::HashSet;

use auction::{Auction, AuctionId, AuctionSetup, Event, Results, UserId};
use league::csvio::{self, BidLine, RosterLine};
use league::model::{Action, League, LeagueId, LeagueStatus, User};
use serde::{Deserialize, Serialize};

use crate::error::{Result, ServiceError};
use crate::launcher::{LaunchError, Launched};
use crate::leagues::auction_of;
use crate::metrics as m;
use crate::records::{Change, Records, tables};
use crate::{Service, new_id};

/// Events read from the log per request.
const LOG_PAGE: usize = 1_000;

/// A league's auction after a start request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StartedAuction {
    /// The league.
    pub league_id: LeagueId,
    /// Its auction.
    pub auction_id: AuctionId,
    /// Whether this request created it (`false`: it already existed).
    pub created: bool,
}

/// The results of a league's auction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResultsView {
    /// The league.
    pub league_id: LeagueId,
    /// Whether the auction has ended (results are final).
    pub ended: bool,
    /// Rosters with prices, every lot and every bid (so far, while it runs).
    pub results: Results,
    /// Every roster entry with names, manager by manager.
    pub rosters: Vec<RosterLine>,
    /// Every accepted bid with names, in order.
    pub bids: Vec<BidLine>,
}

/// Who may watch an auction, as far as records say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Watchers {
    /// An auction drafting a league: its commissioner and managers (spectators are looked up in
    /// the spectators table).
    League {
        /// The league.
        league: LeagueId,
        /// Its commissioner and managers.
        members: HashSet<UserId>,
    },
    /// An auction created directly from a setup (`POST /api/auctions`): its commissioner and
    /// managers.
    Participants(HashSet<UserId>),
    /// No such auction.
    Unknown,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct AuctionLeague {
    league: LeagueId,
}

impl Service {
    /// Starts the league's auction (commissioner only; safe to repeat).
    pub async fn start_auction(&self, league_id: &str, user: &UserId) -> Result<StartedAuction> {
        let outcome = self.start_inner(league_id, user).await;
        let label = match &outcome {
            Ok(started) if started.created => "created",
            Ok(_) => "already_exists",
            Err(error) => error.code(),
        };
        metrics::counter!(m::AUCTIONS_STARTED, "outcome" => label).increment(1);
        outcome
    }

    async fn start_inner(&self, league_id: &str, user: &UserId) -> Result<StartedAuction> {
        let (_, league) = self.league_record(league_id).await?;
        self.authorize(&league, Some(user), Action::StartAuction)
            .await?;
        let (league, auction_id) = match league.status() {
            LeagueStatus::Completed { .. } => {
                return Err(ServiceError::conflict(
                    "auction_ended",
                    "this league's auction has already ended",
                ));
            }
            LeagueStatus::AuctionLive { auction_id } => (league.clone(), auction_id.clone()),
            LeagueStatus::Open => {
                let auction_id = AuctionId::try_new(new_id("au", 16))
                    .map_err(|error| ServiceError::Corrupt(error.to_string()))?;
                self.records()
                    .put_any(
                        tables::AUCTION_LEAGUES,
                        auction_id.as_str(),
                        &AuctionLeague {
                            league: league.id().clone(),
                        },
                    )
                    .await?;
                // Validate before freezing the league: a league that cannot start changes nothing.
                league.clone().start_auction(auction_id.clone())?;
                self.setup_for(&league, &auction_id).await?;
                let frozen = self
                    .change_league(league_id, user, Action::StartAuction, |league| {
                        if let LeagueStatus::AuctionLive { auction_id } = league.status() {
                            // A concurrent start won: use its auction.
                            return Ok(auction_id.clone());
                        }
                        league.start_auction(auction_id.clone())?;
                        Ok(auction_id.clone())
                    })
                    .await?;
                let (_, league) = self.league_record(league_id).await?;
                (league, frozen)
            }
        };
        let setup = self.setup_for(&league, &auction_id).await?;
        match self.inner.launcher.create(setup.clone()).await {
            Ok(Launched::Created { node }) => {
                tracing::info!(league = %league.id(), auction = %auction_id, %node, "league auction created");
                Ok(StartedAuction {
                    league_id: league.id().clone(),
                    auction_id,
                    created: true,
                })
            }
            Ok(Launched::AlreadyExists) => match self.logged_setup(&auction_id).await? {
                Some(logged) if same_auction(&logged, &setup) => Ok(StartedAuction {
                    league_id: league.id().clone(),
                    auction_id,
                    created: false,
                }),
                _ => Err(ServiceError::conflict(
                    "auction_id_taken",
                    format!(
                        "another auction already uses the id {auction_id}; this league's auction was not created"
                    ),
                )),
            },
            Err(LaunchError::Refused { code, message }) => {
                self.reopen(league.id(), &auction_id).await?;
                Err(LaunchError::Refused { code, message }.into())
            }
            Err(error) => Err(error.into()),
        }
    }

    /// The setup of the league's auction, with every manager's current name.
    async fn setup_for(&self, league: &League, auction_id: &AuctionId) -> Result<AuctionSetup> {
        let managers = league.manager_ids();
        let users: Vec<User> = self
            .users_of(managers.iter())
            .await?
            .into_iter()
            .flatten()
            .collect();
        Ok(league.auction_setup(auction_id.clone(), &users)?)
    }

    /// After a definitive refusal: back to `Open`, if the league still waits for this auction.
    async fn reopen(&self, league: &LeagueId, auction_id: &AuctionId) -> Result<()> {
        self.records()
            .update(
                tables::LEAGUES,
                league.as_str(),
                "this league",
                |current: Option<League>| {
                    let Some(league) = current else {
                        return Ok(Change::Keep(()));
                    };
                    match league.status() {
                        LeagueStatus::AuctionLive { auction_id: live } if live == auction_id => {
                            // The domain has no transition back from a start (it never needs one:
                            // the setup it validated is the one refused here only across versions),
                            // so the record is restored through its persisted form, changing only
                            // the status that `start_auction` set.
                            let mut json = serde_json::to_value(&league)
                                .map_err(|error| ServiceError::Corrupt(error.to_string()))?;
                            json["status"] = serde_json::json!({ "state": "open" });
                            let reopened: League = serde_json::from_value(json)
                                .map_err(|error| ServiceError::Corrupt(error.to_string()))?;
                            Ok(Change::Put(reopened, ()))
                        }
                        _ => Ok(Change::Keep(())),
                    }
                },
            )
            .await
    }

    /// The league an auction drafts, if it drafts one.
    pub async fn league_of_auction(&self, auction: &AuctionId) -> Result<Option<LeagueId>> {
        league_of_auction(self.records(), auction).await
    }

    /// Who may watch `auction` (see [`Watchers`]).
    pub async fn watchers(&self, auction: &AuctionId) -> Result<Watchers> {
        watchers(self.records(), auction).await
    }

    /// The setup recorded in the auction's first event, if the auction exists.
    pub async fn logged_setup(&self, auction: &AuctionId) -> Result<Option<AuctionSetup>> {
        logged_setup(self.records(), auction).await
    }

    /// The results of the league's auction, for `action` (`ViewResults` or `ExportResults`).
    pub async fn results(
        &self,
        league_id: &str,
        user: &UserId,
        action: Action,
    ) -> Result<ResultsView> {
        let (league, _) = self.league_for(league_id, Some(user), action).await?;
        let Some(auction_id) = auction_of(&league) else {
            return Err(ServiceError::conflict(
                "no_auction",
                "this league's auction has not started yet, so there are no results",
            ));
        };
        let results = self.auction_results(&auction_id).await?;
        let ended = results.ended.is_some();
        if ended && matches!(league.status(), LeagueStatus::AuctionLive { .. }) {
            self.mark_completed(league.id(), &auction_id).await?;
        }
        let rosters = RosterLine::from_results(&results, league.asset_pool());
        let bids = BidLine::from_results(&results, league.asset_pool());
        Ok(ResultsView {
            league_id: league.id().clone(),
            ended,
            results,
            rosters,
            bids,
        })
    }

    /// Rosters with prices as CSV.
    pub async fn rosters_csv(&self, league_id: &str, user: &UserId) -> Result<String> {
        let view = self.results(league_id, user, Action::ExportResults).await?;
        Ok(csvio::export_rosters_csv(
            &view.rosters,
            &view.results.currency,
        ))
    }

    /// The full bid history as CSV.
    pub async fn bids_csv(&self, league_id: &str, user: &UserId) -> Result<String> {
        let view = self.results(league_id, user, Action::ExportResults).await?;
        Ok(csvio::export_bid_history_csv(
            &view.bids,
            &view.results.currency,
        ))
    }

    /// An auction's results, folded from its log.
    pub async fn auction_results(&self, auction: &AuctionId) -> Result<Results> {
        let events = self.read_events(auction).await?;
        if events.is_empty() {
            return Err(ServiceError::AuctionNotFound(auction.to_string()));
        }
        let replayed = Auction::replay(events.iter())
            .map_err(|error| ServiceError::Corrupt(format!("auction {auction}: {error}")))?;
        Ok(replayed.results())
    }

    async fn read_events(&self, auction: &AuctionId) -> Result<Vec<Event>> {
        let mut events = Vec::new();
        let mut from = 1;
        loop {
            let page = self
                .records()
                .store()
                .read(auction.as_str(), from, LOG_PAGE)
                .await?;
            let full = page.len() == LOG_PAGE;
            for stored in &page {
                events.push(decode_event(auction, &stored.payload)?);
            }
            match page.last() {
                Some(last) if full => from = last.seq + 1,
                _ => return Ok(events),
            }
        }
    }

    async fn mark_completed(&self, league: &LeagueId, auction_id: &AuctionId) -> Result<()> {
        self.records()
            .update(
                tables::LEAGUES,
                league.as_str(),
                "this league",
                |current: Option<League>| {
                    let Some(mut league) = current else {
                        return Ok(Change::Keep(()));
                    };
                    match league.complete_auction(auction_id) {
                        Ok(()) => Ok(Change::Put(league, ())),
                        Err(_) => Ok(Change::Keep(())),
                    }
                },
            )
            .await?;
        tracing::info!(league = %league, auction = %auction_id, "league auction completed");
        Ok(())
    }
}

/// The league an auction drafts, if it drafts one.
pub async fn league_of_auction(records: &Records, auction: &AuctionId) -> Result<Option<LeagueId>> {
    Ok(records
        .value::<AuctionLeague>(tables::AUCTION_LEAGUES, auction.as_str())
        .await?
        .map(|index| index.league))
}

/// Who may watch `auction`, from the records and the auction's log (see [`Watchers`]).
pub async fn watchers(records: &Records, auction: &AuctionId) -> Result<Watchers> {
    if let Some(league_id) = league_of_auction(records, auction).await? {
        let league: Option<League> = records.value(tables::LEAGUES, league_id.as_str()).await?;
        if let Some(league) = league.filter(|league| auction_of(league).as_ref() == Some(auction)) {
            return Ok(Watchers::League {
                league: league_id,
                members: league.members().iter().map(|m| m.user.clone()).collect(),
            });
        }
    }
    Ok(match logged_setup(records, auction).await? {
        Some(setup) => Watchers::Participants(
            setup
                .managers
                .iter()
                .map(|manager| manager.id.clone())
                .chain([setup.commissioner.clone()])
                .collect(),
        ),
        None => Watchers::Unknown,
    })
}

/// The setup recorded in the auction's first event, if the auction exists.
pub async fn logged_setup(records: &Records, auction: &AuctionId) -> Result<Option<AuctionSetup>> {
    let first = records.store().read(auction.as_str(), 1, 1).await?;
    let Some(first) = first.first() else {
        return Ok(None);
    };
    match decode_event(auction, &first.payload)? {
        Event::AuctionCreated { setup, .. } => Ok(Some(setup)),
        other => Err(ServiceError::Corrupt(format!(
            "auction {auction}: the first event is {} instead of its creation",
            other.kind()
        ))),
    }
}

/// Whether a logged setup is the one this league would create (names may have changed since).
fn same_auction(logged: &AuctionSetup, ours: &AuctionSetup) -> bool {
    let ids = |setup: &AuctionSetup| -> Vec<UserId> {
        setup
            .managers
            .iter()
            .map(|manager| manager.id.clone())
            .collect()
    };
    logged.auction_id == ours.auction_id
        && logged.commissioner == ours.commissioner
        && ids(logged) == ids(ours)
        && logged.settings == ours.settings
        && logged.assets == ours.assets
        && logged.keepers == ours.keepers
}

fn decode_event(auction: &AuctionId, payload: &[u8]) -> Result<Event> {
    protocol::codec::from_msgpack(payload)
        .map_err(|error| ServiceError::Corrupt(format!("auction {auction}: event: {error}")))
}
