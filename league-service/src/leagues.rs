//! Leagues: creation, the view a member sees, settings, the asset pool, keepers, scoring rules,
//! members and spectators — every call authorized by the domain's table.
//!
//! The league record holds the commissioner and the managers (at most 31 members), the pool and
//! the rules; spectators live in their own table (there can be thousands), and
//! [`Service::audience`] puts the two together when it asks [`league::model::access`] who the
//! caller is. Every change is a compare-and-set of the league record around the domain method
//! that enforces the rule, so a rule checked is a rule kept.

use std::collections::HashSet;

use auction::setup::Asset;
use auction::{AuctionId, Keeper, LeagueSettings, Sport, Timestamp, UserId};
use futures_util::future::join_all;
use league::catalogue;
use league::csvio::{self, Limits};
use league::model::access::allowed;
use league::model::{
    Action, Audience, League, LeagueId, LeagueStatus, Member, NewLeague, PoolWarning, Role, User,
};
use league::scoring::ScoringRules;
use serde::{Deserialize, Serialize};
use store::Expect;

use crate::error::{ImportFailure, Result, ServiceError};
use crate::records::{Change, Records, tables};
use crate::{Service, new_id};

/// What a new league is made from.
#[derive(Debug, Clone)]
pub struct LeagueDraft {
    /// Its name.
    pub name: String,
    /// Its auction settings (the sport is `settings.sport`).
    pub settings: LeagueSettings,
    /// Whether the commissioner also manages a team.
    pub commissioner_plays: bool,
    /// A shipped catalogue to load as the pool (`premier-league-2025-26`, ...).
    pub catalogue: Option<String>,
    /// A fixed id (seeding); a random one otherwise.
    pub id: Option<LeagueId>,
}

/// A member as others see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberView {
    /// Their user id.
    pub user: UserId,
    /// Their display name.
    pub name: String,
    /// Their role.
    pub role: Role,
    /// Whether they bid (managers, and the commissioner when they play).
    pub bids: bool,
    /// When they joined.
    pub joined_at: Timestamp,
}

/// A league as its members see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeagueView {
    /// Its id.
    pub id: LeagueId,
    /// Its name.
    pub name: String,
    /// The sport.
    pub sport: Sport,
    /// Open, auction live, or completed.
    pub status: LeagueStatus,
    /// The auction drafting it, once started.
    pub auction_id: Option<AuctionId>,
    /// The auction settings.
    pub settings: LeagueSettings,
    /// The commissioner's user id.
    pub commissioner: UserId,
    /// Whether the commissioner also manages a team.
    pub commissioner_plays: bool,
    /// Commissioner and managers, in joining order.
    pub members: Vec<MemberView>,
    /// Managers now (bidders).
    pub managers: usize,
    /// The asset pool.
    pub asset_pool: Vec<Asset>,
    /// Keepers assigned before the draft.
    pub keepers: Vec<Keeper>,
    /// The scoring rules in force.
    pub scoring: ScoringRules,
    /// Problems that do not block the auction (fewer assets than roster places).
    pub warnings: Vec<PoolWarning>,
    /// When it was created.
    pub created_at: Timestamp,
    /// The caller's role (`spectator` for spectators).
    pub your_role: Option<Role>,
    /// Every action the caller may perform on this league (for showing the right buttons).
    pub allowed: Vec<Action>,
}

/// A league in someone's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeagueSummary {
    /// Its id.
    pub id: LeagueId,
    /// Its name.
    pub name: String,
    /// The sport.
    pub sport: Sport,
    /// Where it is in its life.
    pub status: LeagueStatus,
    /// The auction drafting it, once started.
    pub auction_id: Option<AuctionId>,
    /// The person's role in it.
    pub role: Role,
}

/// One spectator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpectatorView {
    /// Their user id.
    pub user: UserId,
    /// Their display name.
    pub name: String,
    /// When they joined.
    pub joined_at: Timestamp,
}

/// A page of spectators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpectatorPage {
    /// This page.
    pub spectators: Vec<SpectatorView>,
    /// Pass as `after` for the next page; `None` on the last page.
    pub next: Option<String>,
}

/// A pool that was loaded, with its warnings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PoolLoaded {
    /// The assets now in the pool.
    pub assets: usize,
    /// Problems that do not block the auction.
    pub warnings: Vec<PoolWarning>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SpectatorRecord {
    pub(crate) joined_at: Timestamp,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct MembershipRecord {}

impl Service {
    // === loading and authorization ===

    /// The league `id` and its record version, or [`ServiceError::LeagueNotFound`].
    pub async fn league_record(&self, id: &str) -> Result<(u64, League)> {
        if LeagueId::try_new(id).is_err() {
            return Err(ServiceError::LeagueNotFound(id.to_owned()));
        }
        self.records()
            .get(tables::LEAGUES, id)
            .await?
            .ok_or_else(|| ServiceError::LeagueNotFound(id.to_owned()))
    }

    /// Whether `user` is a spectator of `league`.
    pub async fn is_spectator(&self, league: &LeagueId, user: &UserId) -> Result<bool> {
        is_spectator(self.records(), league, user).await
    }

    /// Who `user` is to `league`: its own members first, then the spectators table.
    pub async fn audience(&self, league: &League, user: Option<&UserId>) -> Result<Audience> {
        Ok(match (league.audience_of(user), user) {
            (Audience::Outsider, Some(user)) if self.is_spectator(league.id(), user).await? => {
                Audience::Spectator
            }
            (audience, _) => audience,
        })
    }

    /// Checks the authorization table; returns who the caller is.
    pub async fn authorize(
        &self,
        league: &League,
        user: Option<&UserId>,
        action: Action,
    ) -> Result<Audience> {
        let audience = self.audience(league, user).await?;
        if allowed(action, audience) {
            Ok(audience)
        } else {
            Err(ServiceError::Forbidden { action, audience })
        }
    }

    /// Loads a league and authorizes `action` for `user` on it.
    pub async fn league_for(
        &self,
        id: &str,
        user: Option<&UserId>,
        action: Action,
    ) -> Result<(League, Audience)> {
        let (_, league) = self.league_record(id).await?;
        let audience = self.authorize(&league, user, action).await?;
        Ok((league, audience))
    }

    /// Changes a league with compare-and-set: `change` runs on the current record (again after
    /// a conflict) once `action` is authorized for `user`.
    pub(crate) async fn change_league<R>(
        &self,
        id: &str,
        user: &UserId,
        action: Action,
        mut change: impl FnMut(&mut League) -> Result<R>,
    ) -> Result<R> {
        let (_, league) = self.league_record(id).await?;
        // Spectators are not in the record; look them up once (spectators may change nothing
        // but themselves, which never goes through here).
        let spectator =
            league.role_of(user).is_none() && self.is_spectator(league.id(), user).await?;
        self.records()
            .update(
                tables::LEAGUES,
                id,
                "this league",
                |current: Option<League>| {
                    let Some(mut league) = current else {
                        return Err(ServiceError::LeagueNotFound(id.to_owned()));
                    };
                    let audience = match league.audience_of(Some(user)) {
                        Audience::Outsider if spectator => Audience::Spectator,
                        audience => audience,
                    };
                    if !allowed(action, audience) {
                        return Err(ServiceError::Forbidden { action, audience });
                    }
                    let result = change(&mut league)?;
                    Ok(Change::Put(league, result))
                },
            )
            .await
    }

    // === creating and viewing ===

    /// Creates a league whose commissioner is `commissioner` (any signed-in user may).
    pub async fn create_league(
        &self,
        commissioner: &User,
        draft: LeagueDraft,
    ) -> Result<LeagueView> {
        let id = match draft.id {
            Some(id) => id,
            None => LeagueId::try_new(new_id("lg", 10))
                .map_err(|error| ServiceError::Corrupt(error.to_string()))?,
        };
        let now = self.now();
        let mut league = League::create(
            NewLeague {
                id: id.clone(),
                name: draft.name,
                settings: draft.settings,
                commissioner: commissioner.id.clone(),
                commissioner_plays: draft.commissioner_plays,
            },
            now,
        )?;
        if let Some(key) = &draft.catalogue {
            let assets = catalogue_assets(key, league.sport())?;
            league.set_asset_pool(assets)?;
        }
        self.index_membership(&commissioner.id, &id).await?;
        let created = self
            .records()
            .put(tables::LEAGUES, id.as_str(), &league, Expect::Absent)
            .await?;
        if created.is_none() {
            return Err(ServiceError::conflict(
                "league_exists",
                format!("a league with the id {id} already exists"),
            ));
        }
        tracing::info!(league = %id, commissioner = %commissioner.id, "league created");
        self.view(&league, Some(&commissioner.id)).await
    }

    /// The league as `user` may see it.
    pub async fn league_view(&self, id: &str, user: Option<&UserId>) -> Result<LeagueView> {
        let (league, _) = self.league_for(id, user, Action::ViewLeague).await?;
        self.view(&league, user).await
    }

    pub(crate) async fn view(&self, league: &League, user: Option<&UserId>) -> Result<LeagueView> {
        let audience = self.audience(league, user).await?;
        let members = self.member_views(league).await?;
        let your_role = match audience {
            Audience::Commissioner { .. } => Some(Role::Commissioner),
            Audience::Manager => Some(Role::Manager),
            Audience::Spectator => Some(Role::Spectator),
            Audience::Outsider | Audience::Anonymous => None,
        };
        Ok(LeagueView {
            id: league.id().clone(),
            name: league.name().to_owned(),
            sport: league.sport(),
            status: league.status().clone(),
            auction_id: auction_of(league),
            settings: league.settings().clone(),
            commissioner: league.commissioner().clone(),
            commissioner_plays: league.commissioner_plays(),
            members,
            managers: league.manager_count(),
            asset_pool: league.asset_pool().to_vec(),
            keepers: league.keepers().to_vec(),
            scoring: league.scoring().clone(),
            warnings: league.pool_warnings(),
            created_at: league.created_at(),
            your_role,
            allowed: Action::ALL
                .into_iter()
                .filter(|action| allowed(*action, audience))
                .collect(),
        })
    }

    /// Members with their names (an account that vanished shows its id).
    pub(crate) async fn member_views(&self, league: &League) -> Result<Vec<MemberView>> {
        let users = self
            .users_of(league.members().iter().map(|m| &m.user))
            .await?;
        Ok(league
            .members()
            .iter()
            .zip(users)
            .map(|(member, user): (&Member, Option<User>)| MemberView {
                user: member.user.clone(),
                name: user.map_or_else(|| member.user.to_string(), |user| user.name),
                role: member.role,
                bids: league.is_manager(&member.user),
                joined_at: member.joined_at,
            })
            .collect())
    }

    /// User records for `ids`, in order, read concurrently.
    pub(crate) async fn users_of<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a UserId>,
    ) -> Result<Vec<Option<User>>> {
        join_all(ids.into_iter().map(|id| self.user(id)))
            .await
            .into_iter()
            .collect()
    }

    /// The leagues `user` belongs to (any role), newest first.
    pub async fn my_leagues(&self, user: &UserId) -> Result<Vec<LeagueSummary>> {
        let prefix = format!("{}/", user.as_str());
        let entries: Vec<(String, u64, MembershipRecord)> = self
            .records()
            .scan_all(tables::MEMBERSHIPS, &prefix)
            .await?;
        let prefix_len = prefix.len();
        let leagues = join_all(entries.iter().map(|(key, _, _)| async move {
            let league_id = &key[prefix_len..];
            let league: Option<League> = self.records().value(tables::LEAGUES, league_id).await?;
            let Some(league) = league else {
                return Ok(None);
            };
            let role = match self.audience(&league, Some(user)).await? {
                Audience::Commissioner { .. } => Role::Commissioner,
                Audience::Manager => Role::Manager,
                Audience::Spectator => Role::Spectator,
                Audience::Outsider | Audience::Anonymous => return Ok(None),
            };
            Ok::<_, ServiceError>(Some((league, role)))
        }))
        .await;
        let mut summaries = Vec::new();
        for entry in leagues {
            if let Some((league, role)) = entry? {
                summaries.push((league.created_at(), summary(&league, role)));
            }
        }
        summaries.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.id.cmp(&b.1.id)));
        Ok(summaries.into_iter().map(|(_, summary)| summary).collect())
    }

    // === settings ===

    /// Renames the league and/or changes its settings. `settings_patch` is a JSON merge patch
    /// (RFC 7396) of [`LeagueSettings`]: only the fields it names change.
    pub async fn update_league(
        &self,
        id: &str,
        user: &UserId,
        name: Option<&str>,
        settings_patch: Option<&serde_json::Value>,
    ) -> Result<LeagueView> {
        let league = self
            .change_league(id, user, Action::EditSettings, |league| {
                if let Some(name) = name {
                    league.rename(name)?;
                }
                if let Some(patch) = settings_patch {
                    let settings = patched_settings(league.settings(), patch)?;
                    league.update_settings(settings)?;
                }
                Ok(league.clone())
            })
            .await?;
        self.view(&league, Some(user)).await
    }

    /// Deletes a league that has no auction.
    pub async fn delete_league(&self, id: &str, user: &UserId) -> Result<()> {
        let (version, league) = self.league_record(id).await?;
        self.authorize(&league, Some(user), Action::DeleteLeague)
            .await?;
        if league.status() != &LeagueStatus::Open {
            return Err(ServiceError::conflict(
                "league_not_open",
                "a league whose auction has started cannot be deleted",
            ));
        }
        if !self
            .records()
            .delete(tables::LEAGUES, id, Expect::Version(version))
            .await?
        {
            return Err(ServiceError::conflict(
                "league_changed",
                "the league changed while it was being deleted: look at it again and retry",
            ));
        }
        for member in league.members() {
            self.unindex_membership(&member.user, league.id()).await?;
        }
        tracing::info!(league = %id, by = %user, "league deleted");
        Ok(())
    }

    // === the draft setup ===

    /// Replaces the pool with a shipped catalogue.
    pub async fn load_catalogue(&self, id: &str, user: &UserId, key: &str) -> Result<PoolLoaded> {
        self.change_league(id, user, Action::LoadAssetPool, |league| {
            let assets = catalogue_assets(key, league.sport())?;
            set_pool(league, assets)
        })
        .await
    }

    /// Replaces the pool with a custom one from CSV (`id,name,group`).
    pub async fn load_pool_csv(&self, id: &str, user: &UserId, csv: &[u8]) -> Result<PoolLoaded> {
        // Authorize before parsing: an outsider learns nothing about the file.
        self.league_for(id, Some(user), Action::LoadAssetPool)
            .await?;
        let assets = csvio::import_pool(csv, Limits::default())
            .map_err(|error| ServiceError::Import(ImportFailure::File(error)))?;
        self.change_league(id, user, Action::LoadAssetPool, |league| {
            set_pool(league, assets.clone())
        })
        .await
    }

    /// The pool and its warnings.
    pub async fn pool(
        &self,
        id: &str,
        user: Option<&UserId>,
    ) -> Result<(Vec<Asset>, Vec<PoolWarning>)> {
        let (league, _) = self.league_for(id, user, Action::ViewAssetPool).await?;
        Ok((league.asset_pool().to_vec(), league.pool_warnings()))
    }

    /// The pool as CSV (re-importable).
    pub async fn pool_csv(&self, id: &str, user: Option<&UserId>) -> Result<String> {
        let (league, _) = self.league_for(id, user, Action::ViewAssetPool).await?;
        Ok(csvio::export_pool_csv(league.asset_pool()))
    }

    /// Replaces the keepers.
    pub async fn set_keepers(
        &self,
        id: &str,
        user: &UserId,
        keepers: Vec<Keeper>,
    ) -> Result<Vec<Keeper>> {
        self.change_league(id, user, Action::SetKeepers, |league| {
            league.set_keepers(keepers.clone())?;
            Ok(league.keepers().to_vec())
        })
        .await
    }

    /// Replaces the scoring rules.
    pub async fn set_scoring(
        &self,
        id: &str,
        user: &UserId,
        rules: ScoringRules,
    ) -> Result<ScoringRules> {
        self.change_league(id, user, Action::EditScoring, |league| {
            league.set_scoring(rules.clone())?;
            Ok(league.scoring().clone())
        })
        .await
    }

    // === members ===

    /// The caller leaves the league (managers only while it is open; spectators any time).
    pub async fn leave_league(&self, id: &str, user: &UserId) -> Result<()> {
        let (_, league) = self.league_record(id).await?;
        match self
            .authorize(&league, Some(user), Action::LeaveLeague)
            .await?
        {
            Audience::Spectator => self.remove_spectator(league.id(), user).await?,
            _ => {
                self.change_league(id, user, Action::LeaveLeague, |league| {
                    league.leave(user)?;
                    Ok(())
                })
                .await?;
                self.unindex_membership(user, league.id()).await?;
            }
        }
        tracing::info!(league = %id, %user, "member left");
        Ok(())
    }

    /// The commissioner removes a member or spectator.
    pub async fn remove_member(&self, id: &str, by: &UserId, member: &str) -> Result<()> {
        let (_, league) = self.league_record(id).await?;
        self.authorize(&league, Some(by), Action::RemoveMember)
            .await?;
        let member_id = UserId::try_new(member.to_owned())
            .map_err(|_| ServiceError::MemberNotFound(member.to_owned()))?;
        if league.role_of(&member_id).is_some() {
            self.change_league(id, by, Action::RemoveMember, |league| {
                league.leave(&member_id)?;
                Ok(())
            })
            .await?;
            self.unindex_membership(&member_id, league.id()).await?;
        } else if self.is_spectator(league.id(), &member_id).await? {
            self.remove_spectator(league.id(), &member_id).await?;
        } else {
            return Err(ServiceError::MemberNotFound(member.to_owned()));
        }
        tracing::info!(league = %id, %by, member = %member_id, "member removed");
        Ok(())
    }

    /// A page of the league's spectators, in user id order.
    pub async fn spectators(
        &self,
        id: &str,
        user: &UserId,
        after: Option<&str>,
        limit: usize,
    ) -> Result<SpectatorPage> {
        let (league, _) = self.league_for(id, Some(user), Action::ViewMembers).await?;
        let prefix = format!("{}/", league.id());
        let limit = limit.clamp(1, 500);
        if let Some(after) = after
            && UserId::try_new(after).is_err()
        {
            return Err(ServiceError::invalid(
                "invalid_cursor",
                "`after` must be the `next` of a previous page",
            ));
        }
        let after_key = after.map(|after| format!("{prefix}{after}"));
        let page: Vec<(String, SpectatorRecord)> = self
            .records()
            .scan_page(tables::SPECTATORS, &prefix, after_key.as_deref(), limit)
            .await?;
        let ids: Vec<UserId> = page
            .iter()
            .filter_map(|(key, _)| UserId::try_new(key[prefix.len()..].to_owned()).ok())
            .collect();
        let users = self.users_of(ids.iter()).await?;
        let next = (page.len() == limit)
            .then(|| ids.last().map(|id| id.to_string()))
            .flatten();
        let spectators = ids
            .into_iter()
            .zip(users)
            .zip(page)
            .map(|((id, user), (_, record))| SpectatorView {
                name: user.map_or_else(|| id.to_string(), |user| user.name),
                user: id,
                joined_at: record.joined_at,
            })
            .collect();
        Ok(SpectatorPage { spectators, next })
    }

    /// Every spectator of a league.
    pub async fn all_spectators(&self, league: &LeagueId) -> Result<HashSet<UserId>> {
        all_spectators(self.records(), league).await
    }

    /// Adds a spectator record; `false` if they already were one.
    pub(crate) async fn add_spectator(&self, league: &LeagueId, user: &UserId) -> Result<bool> {
        let record = SpectatorRecord {
            joined_at: self.now(),
        };
        Ok(self
            .records()
            .put(
                tables::SPECTATORS,
                &spectator_key(league, user),
                &record,
                Expect::Absent,
            )
            .await?
            .is_some())
    }

    pub(crate) async fn remove_spectator(&self, league: &LeagueId, user: &UserId) -> Result<()> {
        self.records()
            .delete(
                tables::SPECTATORS,
                &spectator_key(league, user),
                Expect::Any,
            )
            .await?;
        self.unindex_membership(user, league).await
    }

    pub(crate) async fn index_membership(&self, user: &UserId, league: &LeagueId) -> Result<()> {
        self.records()
            .put_any(
                tables::MEMBERSHIPS,
                &membership_key(user, league),
                &MembershipRecord::default(),
            )
            .await?;
        Ok(())
    }

    pub(crate) async fn unindex_membership(&self, user: &UserId, league: &LeagueId) -> Result<()> {
        self.records()
            .delete(
                tables::MEMBERSHIPS,
                &membership_key(user, league),
                Expect::Any,
            )
            .await?;
        Ok(())
    }
}

/// Whether `user` is a spectator of `league` (a read of the spectators table).
pub async fn is_spectator(records: &Records, league: &LeagueId, user: &UserId) -> Result<bool> {
    Ok(records
        .get::<SpectatorRecord>(tables::SPECTATORS, &spectator_key(league, user))
        .await?
        .is_some())
}

/// Every spectator of `league` (for the websocket authorizer's cache: one scan serves thousands
/// of subscriptions).
pub async fn all_spectators(records: &Records, league: &LeagueId) -> Result<HashSet<UserId>> {
    let prefix = format!("{league}/");
    let all: Vec<(String, u64, SpectatorRecord)> =
        records.scan_all(tables::SPECTATORS, &prefix).await?;
    Ok(all
        .into_iter()
        .filter_map(|(key, _, _)| UserId::try_new(key[prefix.len()..].to_owned()).ok())
        .collect())
}

pub(crate) fn spectator_key(league: &LeagueId, user: &UserId) -> String {
    format!("{league}/{user}")
}

pub(crate) fn membership_key(user: &UserId, league: &LeagueId) -> String {
    format!("{user}/{league}")
}

/// The auction of a league that has one.
pub fn auction_of(league: &League) -> Option<AuctionId> {
    match league.status() {
        LeagueStatus::Open => None,
        LeagueStatus::AuctionLive { auction_id } | LeagueStatus::Completed { auction_id } => {
            Some(auction_id.clone())
        }
    }
}

fn summary(league: &League, role: Role) -> LeagueSummary {
    LeagueSummary {
        id: league.id().clone(),
        name: league.name().to_owned(),
        sport: league.sport(),
        status: league.status().clone(),
        auction_id: auction_of(league),
        role,
    }
}

fn set_pool(league: &mut League, assets: Vec<Asset>) -> Result<PoolLoaded> {
    let warnings = league.set_asset_pool(assets)?;
    Ok(PoolLoaded {
        assets: league.asset_pool().len(),
        warnings,
    })
}

/// The assets of a shipped catalogue, for a league of `sport`.
pub(crate) fn catalogue_assets(key: &str, sport: Sport) -> Result<Vec<Asset>> {
    let Some(catalogue) = catalogue::by_key(key) else {
        let known: Vec<&str> = catalogue::list().iter().map(|info| info.key).collect();
        return Err(ServiceError::invalid(
            "unknown_catalogue",
            format!(
                "there is no catalogue {key:?}: the catalogues are {}",
                known.join(", ")
            ),
        ));
    };
    if catalogue.info().sport != sport {
        return Err(ServiceError::invalid(
            "catalogue_sport",
            format!(
                "the catalogue {key:?} is for {} but this league plays {}",
                sport_name(catalogue.info().sport),
                sport_name(sport)
            ),
        ));
    }
    Ok(catalogue.assets())
}

pub(crate) fn sport_name(sport: Sport) -> &'static str {
    match sport {
        Sport::Football => "football",
        Sport::Cricket => "cricket",
    }
}

/// Settings from a JSON object: the pilot's defaults with the fields it names replaced (unknown
/// field names are refused, so a typo is not silently ignored).
pub fn settings_from_json(value: &serde_json::Value) -> Result<LeagueSettings> {
    patched_settings(&LeagueSettings::default(), value)
}

/// Applies a patch to the settings: each top-level field named in `patch` replaces the current
/// one whole (a field set to `null` returns to its default). Fields are replaced, not merged,
/// because several are enums (`increment`, `nomination`, `currency`) whose variants must not mix.
fn patched_settings(current: &LeagueSettings, patch: &serde_json::Value) -> Result<LeagueSettings> {
    let Some(patch) = patch.as_object() else {
        return Err(ServiceError::invalid(
            "invalid_settings",
            "settings must be a JSON object naming the settings to change",
        ));
    };
    let mut value =
        serde_json::to_value(current).map_err(|error| ServiceError::Corrupt(error.to_string()))?;
    let Some(fields) = value.as_object_mut() else {
        return Err(ServiceError::Corrupt(
            "settings are not a JSON object".into(),
        ));
    };
    for (key, field) in patch {
        if !fields.contains_key(key) {
            return Err(ServiceError::invalid(
                "invalid_settings",
                format!("invalid settings: there is no setting called {key:?}"),
            ));
        }
        if field.is_null() {
            fields.remove(key);
        } else {
            fields.insert(key.clone(), field.clone());
        }
    }
    serde_json::from_value(value).map_err(|error| {
        ServiceError::invalid("invalid_settings", format!("invalid settings: {error}"))
    })
}
