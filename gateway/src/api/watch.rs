//! Who may subscribe to an auction's events: the websocket's [`Authorizer`], backed by leagues.
//!
//! An auction drafting a league may be watched by that league's commissioner, managers and
//! spectators, and by nobody else. An auction created directly from a setup (`POST
//! /api/auctions`: tools, tests and the load test, whose spectators are arbitrary signed-in
//! users) has no league and so no membership to check: any signed-in user may watch it.
//!
//! Answers come from a per-auction watch list cached for [`WATCH_LIST_TTL`]: the league's members
//! and *all* its spectators, read once (one scan of the league's spectators) however many
//! thousands subscribe at the same moment — concurrent subscribers wait for the one load in
//! flight. A spectator who joined after the list was read is found by a single lookup and added
//! to it; refusals are remembered briefly too, so a client retrying a forbidden subscription does
//! not reach the store each time. An auction that does not exist (yet) is refused and not
//! remembered.
//!
//! The cache only ever delays the effect of a change by [`WATCH_LIST_TTL`]: a removed spectator
//! may keep subscribing for that long. Commands are authorized by the rules on the owning node,
//! never here.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use auction::{AuctionId, UserId};
use league::model::LeagueId;
use league_service::Records;
use league_service::auctions::{self, Watchers};
use league_service::leagues;
use tokio::time::Instant;

use crate::auth::Authorizer;

/// How long a watch list is trusted.
pub const WATCH_LIST_TTL: Duration = Duration::from_secs(10);
/// How long a refusal is remembered.
const REFUSAL_TTL: Duration = Duration::from_secs(5);
/// Auctions whose lists are kept before old ones are dropped.
const MAX_LISTS: usize = 10_000;
/// Refusals remembered per list.
const MAX_REFUSALS: usize = 10_000;

/// The league-backed authorizer.
#[derive(Debug)]
pub struct LeagueAuthorizer {
    records: Records,
    /// Auction → its list slot. A std mutex: held only to find or insert a slot.
    lists: Mutex<HashMap<AuctionId, Arc<Slot>>>,
}

/// One auction's watch list, loaded at most once at a time.
#[derive(Debug, Default)]
struct Slot {
    /// The list and when it was loaded. An async mutex: concurrent subscribers wait on the one
    /// load in flight instead of each reading the store.
    list: tokio::sync::Mutex<Option<(Instant, Arc<WatchList>)>>,
}

#[derive(Debug)]
struct WatchList {
    /// Whether the auction exists.
    known: bool,
    /// A direct auction (no league): open to every signed-in user.
    open: bool,
    /// The league, for auctions that draft one.
    league: Option<LeagueId>,
    /// Allowed without a lookup: members, spectators read with the list, and spectators found
    /// since.
    allowed: Mutex<HashSet<UserId>>,
    /// Recently refused users and when.
    refused: Mutex<HashMap<UserId, Instant>>,
}

impl LeagueAuthorizer {
    /// An authorizer reading `records`.
    pub fn new(records: Records) -> LeagueAuthorizer {
        LeagueAuthorizer {
            records,
            lists: Mutex::new(HashMap::new()),
        }
    }

    async fn list(&self, auction: &AuctionId) -> Option<Arc<WatchList>> {
        let slot = {
            let mut lists = self.lists.lock().unwrap_or_else(|p| p.into_inner());
            if lists.len() >= MAX_LISTS && !lists.contains_key(auction) {
                lists.retain(|_, slot| Arc::strong_count(slot) > 1);
                if lists.len() >= MAX_LISTS {
                    lists.clear();
                }
            }
            lists.entry(auction.clone()).or_default().clone()
        };
        let mut cached = slot.list.lock().await;
        if let Some((loaded, list)) = cached.as_ref()
            && loaded.elapsed() < WATCH_LIST_TTL
        {
            return Some(list.clone());
        }
        match self.load(auction).await {
            Ok(list) => {
                let list = Arc::new(list);
                // An auction that does not exist yet (a league's is being created) is asked
                // about again next time, not remembered as nobody's.
                if list.known {
                    *cached = Some((Instant::now(), list.clone()));
                }
                Some(list)
            }
            Err(error) => {
                tracing::warn!(%auction, %error, "could not load who may watch this auction");
                // Serve the last list while the store is unreachable rather than lock everyone out.
                cached.as_ref().map(|(_, list)| list.clone())
            }
        }
    }

    async fn load(&self, auction: &AuctionId) -> Result<WatchList, league_service::ServiceError> {
        let list = match auctions::watchers(&self.records, auction).await? {
            Watchers::League { league, members } => {
                let spectators = leagues::all_spectators(&self.records, &league).await?;
                WatchList {
                    known: true,
                    open: false,
                    allowed: Mutex::new(members.into_iter().chain(spectators).collect()),
                    league: Some(league),
                    refused: Mutex::new(HashMap::new()),
                }
            }
            Watchers::Participants(_) => WatchList {
                known: true,
                open: true,
                league: None,
                allowed: Mutex::new(HashSet::new()),
                refused: Mutex::new(HashMap::new()),
            },
            Watchers::Unknown => WatchList {
                known: false,
                open: false,
                league: None,
                allowed: Mutex::new(HashSet::new()),
                refused: Mutex::new(HashMap::new()),
            },
        };
        Ok(list)
    }
}

#[async_trait]
impl Authorizer for LeagueAuthorizer {
    async fn can_view(&self, user: &UserId, auction: &AuctionId) -> bool {
        let Some(list) = self.list(auction).await else {
            return false;
        };
        if list.open {
            return true;
        }
        if list
            .allowed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(user)
        {
            return true;
        }
        let Some(league) = &list.league else {
            return false;
        };
        {
            let refused = list.refused.lock().unwrap_or_else(|p| p.into_inner());
            if refused
                .get(user)
                .is_some_and(|at| at.elapsed() < REFUSAL_TTL)
            {
                return false;
            }
        }
        // Not in the list: a spectator who joined since it was read?
        match leagues::is_spectator(&self.records, league, user).await {
            Ok(true) => {
                list.allowed
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(user.clone());
                true
            }
            Ok(false) => {
                let mut refused = list.refused.lock().unwrap_or_else(|p| p.into_inner());
                if refused.len() >= MAX_REFUSALS {
                    refused.retain(|_, at| at.elapsed() < REFUSAL_TTL);
                }
                refused.insert(user.clone(), Instant::now());
                false
            }
            Err(error) => {
                tracing::warn!(%auction, %error, "could not check a spectator");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests;
