//! Users, leagues and memberships, with the rules that keep them consistent, and the single
//! authorization table ([`access`]) that every HTTP and websocket action is checked against.
//!
//! A [`League`] is changed only through methods that enforce its rules (manager limit, no
//! duplicate members, no manager joining once the auction has started, settings frozen once the
//! auction has started, ...). Who may call which method is a separate question answered by
//! [`League::can`]; the service layer asks both.

pub mod access;

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::scoring::{ScoringRules, ScoringRulesError};
use auction::ids::{AssetId, AuctionId, UserId};
use auction::money::{CurrencyFormat, Money};
use auction::settings::{LeagueSettings, SettingsError, Sport};
use auction::setup::{Asset, AuctionSetup, Keeper, Manager, SetupError};
use auction::time::Timestamp;

pub use access::{Action, Audience, CommissionerAccess, PERMISSIONS, Permission};

/// Longest display name of a user, league or asset, in characters.
pub const MAX_NAME_CHARS: usize = 60;
/// Largest asset pool a league may hold.
pub const MAX_POOL_ASSETS: usize = 1_000;
/// Longest accepted email address, in bytes (RFC 5321 path limit).
pub const MAX_EMAIL_LEN: usize = 254;

// === ids and validated text ===

/// Identifier of a league: 1 to 64 characters of `[A-Za-z0-9_.:@-]`, like the auction crate's ids.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LeagueId(String);

/// A league id that is empty, too long or contains a character outside `[A-Za-z0-9_.:@-]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a league id must be 1 to 64 characters of letters, digits and _ . : @ - (got {got:?})")]
pub struct LeagueIdError {
    got: String,
}

impl LeagueId {
    /// Validates and wraps a league id.
    pub fn try_new(value: impl Into<String>) -> Result<LeagueId, LeagueIdError> {
        let value = value.into();
        let valid = (1..=64).contains(&value.len())
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.:@-".contains(c));
        if valid {
            Ok(LeagueId(value))
        } else {
            Err(LeagueIdError { got: value })
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for LeagueId {
    type Error = LeagueIdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        LeagueId::try_new(value)
    }
}

impl From<LeagueId> for String {
    fn from(id: LeagueId) -> String {
        id.0
    }
}

impl fmt::Display for LeagueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An email address, trimmed and lowercased, so that `Bob@Example.com` and `bob@example.com` are
/// the same account.
///
/// Validation is deliberately pragmatic (one `@`, a non-empty local part without spaces or
/// quotes, a dotted domain of letters, digits and hyphens): the address is proven by the magic
/// link that is sent to it, not by its syntax.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

/// Why a text is not an email address. Displays as the tail of a sentence about the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Empty after trimming.
    #[error("is empty")]
    Empty,
    /// Longer than [`MAX_EMAIL_LEN`].
    #[error("is longer than {MAX_EMAIL_LEN} characters")]
    TooLong,
    /// Anything else.
    #[error("is not an email address")]
    Invalid,
}

impl Email {
    /// Normalises (trim, lowercase) and validates an email address.
    pub fn parse(raw: &str) -> Result<Email, EmailError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        if trimmed.len() > MAX_EMAIL_LEN {
            return Err(EmailError::TooLong);
        }
        let normalised = trimmed.to_lowercase();
        let Some((local, domain)) = normalised.split_once('@') else {
            return Err(EmailError::Invalid);
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                (1..=63).contains(&label.len())
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            && labels
                .last()
                .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
        if local_ok && domain_ok {
            Ok(Email(normalised))
        } else {
            Err(EmailError::Invalid)
        }
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = EmailError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Email::parse(&value)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> String {
        email.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a display name (of a user, league or asset) was refused. Displays as the tail of a sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Empty after trimming.
    #[error("is empty")]
    Empty,
    /// More than [`MAX_NAME_CHARS`] characters.
    #[error("is longer than {MAX_NAME_CHARS} characters")]
    TooLong,
    /// Contains a control character (tab, newline, ...).
    #[error("contains a control character")]
    ControlCharacter,
    /// Starts like a spreadsheet formula.
    #[error("starts with {0:?}, which spreadsheets run as a formula")]
    FormulaPrefix(char),
}

/// Characters that make a spreadsheet treat a cell as a formula when they start it.
pub const FORMULA_PREFIXES: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Trims and validates a display name: 1 to [`MAX_NAME_CHARS`] characters, no control characters,
/// and not starting like a spreadsheet formula (`=`, `+`, `-`, `@`).
pub fn validate_name(raw: &str) -> Result<String, NameError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(NameError::Empty);
    }
    if trimmed.chars().count() > MAX_NAME_CHARS {
        return Err(NameError::TooLong);
    }
    if trimmed.chars().any(char::is_control) {
        return Err(NameError::ControlCharacter);
    }
    match trimmed.chars().next() {
        Some(first) if FORMULA_PREFIXES.contains(&first) => Err(NameError::FormulaPrefix(first)),
        _ => Ok(trimmed.to_owned()),
    }
}

// === users ===

/// A person with an account. Accounts are passwordless: an email address proven by a magic link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Stable id.
    pub id: UserId,
    /// Display name shown to other managers (validated by [`validate_name`]).
    pub name: String,
    /// Normalised email address, unique per user.
    pub email: Email,
    /// When the account was created.
    pub created_at: Timestamp,
}

impl User {
    /// Creates a user after validating the display name.
    pub fn new(
        id: UserId,
        name: &str,
        email: Email,
        created_at: Timestamp,
    ) -> Result<User, NameError> {
        Ok(User {
            id,
            name: validate_name(name)?,
            email,
            created_at,
        })
    }

    /// The default display name of an account created from an email address: its local part,
    /// or `"Manager"` when that is not a valid name.
    pub fn default_name(email: &Email) -> String {
        let local = email.as_str().split('@').next().unwrap_or_default();
        validate_name(local).unwrap_or_else(|_| "Manager".to_owned())
    }
}

// === roles and members ===

/// What a member is in one league.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the league and the auction. Also bids when the league says the commissioner plays.
    Commissioner,
    /// Has a budget and a roster, and bids.
    Manager,
    /// Watches read-only.
    Spectator,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Commissioner => "commissioner",
            Role::Manager => "manager",
            Role::Spectator => "spectator",
        })
    }
}

/// The roles someone can join a league with (the commissioner is set when the league is created).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinRole {
    /// Joins as a bidding manager, within the league's manager limit.
    Manager,
    /// Joins as a read-only spectator (no limit, allowed during the auction).
    Spectator,
}

impl From<JoinRole> for Role {
    fn from(role: JoinRole) -> Role {
        match role {
            JoinRole::Manager => Role::Manager,
            JoinRole::Spectator => Role::Spectator,
        }
    }
}

/// One membership of a league.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Who.
    pub user: UserId,
    /// As what.
    pub role: Role,
    /// Since when.
    pub joined_at: Timestamp,
}

/// Where a league is in its life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum LeagueStatus {
    /// Being set up: members join, settings and pool can change.
    Open,
    /// The auction exists (waiting room, live, paused). Settings, pool and managers are frozen.
    AuctionLive {
        /// The auction drafting this league.
        auction_id: AuctionId,
    },
    /// The auction has ended; rosters are final and scoring runs.
    Completed {
        /// The auction that drafted this league.
        auction_id: AuctionId,
    },
}

// === errors ===

/// Why someone could not join a league.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoinError {
    /// The user is already a member, in any role.
    #[error("you are already a member of this league (as {role})")]
    AlreadyMember {
        /// The role they already have.
        role: Role,
    },
    /// The league has as many managers as its settings allow.
    #[error("this league is full: it already has its maximum of {max_managers} managers")]
    LeagueFull {
        /// The league's manager limit.
        max_managers: u8,
    },
    /// Managers cannot join once the auction exists (spectators still can).
    #[error(
        "this league's auction has already started, so no more managers can join (spectators still can)"
    )]
    AuctionStarted,
}

/// Why a member could not leave (or be removed from) a league.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeaveError {
    /// The user is not a member.
    #[error("that user is not a member of this league")]
    NotAMember,
    /// The commissioner cannot leave their own league.
    #[error("the commissioner cannot leave the league they run")]
    CommissionerCannotLeave,
    /// Managers are part of the auction once it exists, so they stay.
    #[error("managers cannot leave once the auction has started")]
    AuctionStarted,
}

/// Why a change to a league's setup was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeagueError {
    /// The league name is not a valid name.
    #[error("the league name {0}")]
    Name(NameError),
    /// The auction settings are invalid.
    #[error("invalid settings: {0}")]
    Settings(SettingsError),
    /// Settings, pool, keepers and managers are frozen once the auction exists.
    #[error("the league can no longer be changed: its auction has already started")]
    NotOpen,
    /// The sport of a league is fixed when it is created.
    #[error("the sport of a league cannot be changed after it is created")]
    SportChanged,
    /// Lowering the manager limit below the managers already in the league.
    #[error(
        "the league already has {managers} managers, so its limit cannot be lowered to {requested}"
    )]
    LimitBelowMembers {
        /// Managers in the league now.
        managers: usize,
        /// The requested limit.
        requested: u8,
    },
    /// An asset pool must hold at least one asset.
    #[error("the asset pool is empty")]
    EmptyPool,
    /// An asset pool above [`MAX_POOL_ASSETS`].
    #[error("the asset pool has {assets} assets; the limit is {MAX_POOL_ASSETS}")]
    PoolTooLarge {
        /// Assets offered.
        assets: usize,
    },
    /// Two assets with the same id.
    #[error("asset id {0} appears more than once in the pool")]
    DuplicateAsset(AssetId),
    /// An asset whose name is not valid.
    #[error("the name of asset {asset} {problem}")]
    AssetName {
        /// The asset.
        asset: AssetId,
        /// What is wrong with its name.
        problem: NameError,
    },
    /// A keeper names someone who is not a manager of the league.
    #[error("keeper {asset} is assigned to {manager}, who is not a manager of this league")]
    KeeperNotAManager {
        /// The keeper's manager.
        manager: UserId,
        /// The kept asset.
        asset: AssetId,
    },
    /// A keeper names an asset outside the pool.
    #[error("keeper {asset} is not in the league's asset pool")]
    KeeperNotInPool {
        /// The kept asset.
        asset: AssetId,
    },
    /// The same asset kept twice.
    #[error("asset {asset} is kept more than once")]
    DuplicateKeeper {
        /// The kept asset.
        asset: AssetId,
    },
    /// A manager's keepers leave too little budget to open a bid for each other empty slot.
    #[error(
        "{manager}'s keepers cost {} of a {} budget, which must also keep {} for each of their {empty_slots} other empty slots",
        currency.format(*cost), currency.format(*budget), currency.format(*reserve_per_slot)
    )]
    KeeperCostTooHigh {
        /// The manager.
        manager: UserId,
        /// What their keepers cost in total.
        cost: Money,
        /// The budget per manager.
        budget: Money,
        /// The minimum opening bid, kept back per empty slot.
        reserve_per_slot: Money,
        /// Their empty slots after the keepers.
        empty_slots: u8,
        /// The league's currency format, for the message.
        currency: CurrencyFormat,
    },
    /// More keepers for one manager than roster slots.
    #[error("{manager} has {keepers} keepers but only {slots} roster slots")]
    TooManyKeepers {
        /// The manager.
        manager: UserId,
        /// Keepers assigned to them.
        keepers: usize,
        /// Roster slots per manager.
        slots: u8,
    },
    /// A new pool would drop an asset that is still a keeper.
    #[error(
        "asset {asset} is a keeper, so it cannot be removed from the pool; remove the keeper first"
    )]
    PoolDropsKeeper {
        /// The kept asset.
        asset: AssetId,
    },
    /// Scoring rules for a different sport.
    #[error("these are {rules:?} scoring rules but the league plays {league:?}")]
    ScoringSport {
        /// The sport of the rules.
        rules: Sport,
        /// The sport of the league.
        league: Sport,
    },
    /// Scoring rules out of range.
    #[error("invalid scoring rules: {0}")]
    Scoring(ScoringRulesError),
    /// Not enough managers to start the auction.
    #[error("the auction needs at least {need} managers; the league has {have}")]
    TooFewManagers {
        /// Managers now.
        have: usize,
        /// The league's minimum.
        need: u8,
    },
    /// Starting or completing an auction that is not this league's current one.
    #[error("auction {0} is not this league's current auction")]
    WrongAuction(AuctionId),
    /// Completing the auction of a league that has none running.
    #[error("this league has no auction running")]
    NoAuctionRunning,
    /// Building the auction setup for a manager whose user record was not supplied.
    #[error("no user record was supplied for manager {0}")]
    UnknownUser(UserId),
    /// The auction crate refuses the setup (for example keepers that cost too much).
    #[error("the auction cannot be set up: {0}")]
    Setup(SetupError),
}

// === the league ===

/// What is needed to create a league.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLeague {
    /// Its id.
    pub id: LeagueId,
    /// Its display name.
    pub name: String,
    /// Auction settings (the sport is `settings.sport`).
    pub settings: LeagueSettings,
    /// The user creating it, who becomes its commissioner.
    pub commissioner: UserId,
    /// Whether the commissioner also manages a team and bids (counts toward the manager limit).
    pub commissioner_plays: bool,
}

/// A league: its members, auction settings, asset pool, keepers and scoring rules.
///
/// Fields are private so that every change goes through a method that keeps the rules; serde
/// derives exist so that the service can persist and reload a league as a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct League {
    id: LeagueId,
    name: String,
    settings: LeagueSettings,
    commissioner: UserId,
    commissioner_plays: bool,
    members: Vec<Member>,
    asset_pool: Vec<Asset>,
    keepers: Vec<Keeper>,
    scoring: ScoringRules,
    status: LeagueStatus,
    created_at: Timestamp,
}

impl League {
    /// Creates an open league whose only member is its commissioner, with the default scoring
    /// rules of its sport and an empty asset pool.
    pub fn create(new: NewLeague, now: Timestamp) -> Result<League, LeagueError> {
        let name = validate_name(&new.name).map_err(LeagueError::Name)?;
        new.settings.validate().map_err(LeagueError::Settings)?;
        let scoring = ScoringRules::default_for(new.settings.sport);
        Ok(League {
            id: new.id,
            name,
            commissioner: new.commissioner.clone(),
            commissioner_plays: new.commissioner_plays,
            members: vec![Member {
                user: new.commissioner,
                role: Role::Commissioner,
                joined_at: now,
            }],
            settings: new.settings,
            asset_pool: Vec::new(),
            keepers: Vec::new(),
            scoring,
            status: LeagueStatus::Open,
            created_at: now,
        })
    }

    /// The league's id.
    pub fn id(&self) -> &LeagueId {
        &self.id
    }

    /// The league's display name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The sport played (from the settings).
    pub fn sport(&self) -> Sport {
        self.settings.sport
    }

    /// The auction settings.
    pub fn settings(&self) -> &LeagueSettings {
        &self.settings
    }

    /// The commissioner.
    pub fn commissioner(&self) -> &UserId {
        &self.commissioner
    }

    /// Whether the commissioner also manages a team.
    pub fn commissioner_plays(&self) -> bool {
        self.commissioner_plays
    }

    /// Every member, in joining order (the commissioner first).
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// The assets to be auctioned.
    pub fn asset_pool(&self) -> &[Asset] {
        &self.asset_pool
    }

    /// Assets assigned to managers before the draft.
    pub fn keepers(&self) -> &[Keeper] {
        &self.keepers
    }

    /// The scoring rules in force.
    pub fn scoring(&self) -> &ScoringRules {
        &self.scoring
    }

    /// Where the league is in its life.
    pub fn status(&self) -> &LeagueStatus {
        &self.status
    }

    /// When the league was created.
    pub fn created_at(&self) -> Timestamp {
        self.created_at
    }

    /// The role of `user` in this league, if they are a member.
    pub fn role_of(&self, user: &UserId) -> Option<Role> {
        self.members
            .iter()
            .find(|member| &member.user == user)
            .map(|member| member.role)
    }

    /// Whether `user` bids in this league: a manager, or the commissioner when they play.
    pub fn is_manager(&self, user: &UserId) -> bool {
        match self.role_of(user) {
            Some(Role::Manager) => true,
            Some(Role::Commissioner) => self.commissioner_plays,
            Some(Role::Spectator) | None => false,
        }
    }

    /// The bidding managers, in joining order.
    pub fn manager_ids(&self) -> Vec<UserId> {
        self.members
            .iter()
            .filter(|member| self.is_manager(&member.user))
            .map(|member| member.user.clone())
            .collect()
    }

    /// How many bidding managers the league has.
    pub fn manager_count(&self) -> usize {
        self.members
            .iter()
            .filter(|member| self.is_manager(&member.user))
            .count()
    }

    /// How many more managers may join before the league is full.
    pub fn free_manager_places(&self) -> usize {
        usize::from(self.settings.max_managers).saturating_sub(self.manager_count())
    }

    /// Who `user` is to this league, for the authorization table. `None` is an anonymous caller.
    pub fn audience_of(&self, user: Option<&UserId>) -> Audience {
        match user.map(|user| self.role_of(user)) {
            None => Audience::Anonymous,
            Some(None) => Audience::Outsider,
            Some(Some(Role::Commissioner)) => Audience::Commissioner {
                plays: self.commissioner_plays,
            },
            Some(Some(Role::Manager)) => Audience::Manager,
            Some(Some(Role::Spectator)) => Audience::Spectator,
        }
    }

    /// Whether `user` (`None` for an anonymous caller) may perform `action` on this league.
    /// This is the one authorization check; see [`access::PERMISSIONS`] for the table.
    pub fn can(&self, user: Option<&UserId>, action: Action) -> bool {
        access::allowed(action, self.audience_of(user))
    }

    /// Adds `user` as a manager or spectator.
    ///
    /// Managers are refused once the league has [`LeagueSettings::max_managers`] of them and once
    /// the auction exists; spectators may join at any time. Nobody can be a member twice.
    pub fn join(&mut self, user: &UserId, role: JoinRole, now: Timestamp) -> Result<(), JoinError> {
        if let Some(existing) = self.role_of(user) {
            return Err(JoinError::AlreadyMember { role: existing });
        }
        if role == JoinRole::Manager {
            if self.status != LeagueStatus::Open {
                return Err(JoinError::AuctionStarted);
            }
            if self.free_manager_places() == 0 {
                return Err(JoinError::LeagueFull {
                    max_managers: self.settings.max_managers,
                });
            }
        }
        self.members.push(Member {
            user: user.clone(),
            role: role.into(),
            joined_at: now,
        });
        Ok(())
    }

    /// Adds several users at once with the same role, all or none: if any of them cannot join,
    /// the league is left unchanged and the first refusal is returned with the user it concerns.
    /// This is how a bulk CSV import of managers is applied.
    pub fn join_all(
        &mut self,
        users: &[UserId],
        role: JoinRole,
        now: Timestamp,
    ) -> Result<(), (UserId, JoinError)> {
        let mut trial = self.clone();
        for user in users {
            trial
                .join(user, role, now)
                .map_err(|error| (user.clone(), error))?;
        }
        *self = trial;
        Ok(())
    }

    /// Removes `user` from the league (leaving, or removal by the commissioner) and returns the
    /// membership that ended. Their keepers go with them.
    pub fn leave(&mut self, user: &UserId) -> Result<Member, LeaveError> {
        let index = self
            .members
            .iter()
            .position(|member| &member.user == user)
            .ok_or(LeaveError::NotAMember)?;
        match self.members[index].role {
            Role::Commissioner => return Err(LeaveError::CommissionerCannotLeave),
            Role::Manager if self.status != LeagueStatus::Open => {
                return Err(LeaveError::AuctionStarted);
            }
            Role::Manager | Role::Spectator => {}
        }
        self.keepers.retain(|keeper| &keeper.manager != user);
        Ok(self.members.remove(index))
    }

    /// Renames the league (allowed at any time).
    pub fn rename(&mut self, name: &str) -> Result<(), LeagueError> {
        self.name = validate_name(name).map_err(LeagueError::Name)?;
        Ok(())
    }

    /// Replaces the auction settings while the league is open. The sport cannot change, the
    /// manager limit cannot drop below the managers already in the league, and the keepers must
    /// still fit (slots and budget).
    pub fn update_settings(&mut self, settings: LeagueSettings) -> Result<(), LeagueError> {
        self.ensure_open()?;
        if settings.sport != self.settings.sport {
            return Err(LeagueError::SportChanged);
        }
        settings.validate().map_err(LeagueError::Settings)?;
        let managers = self.manager_count();
        if managers > usize::from(settings.max_managers) {
            return Err(LeagueError::LimitBelowMembers {
                managers,
                requested: settings.max_managers,
            });
        }
        self.check_keeper_counts(&self.keepers, settings.roster_slots)?;
        self.check_keeper_costs(&self.keepers, &settings)?;
        self.settings = settings;
        Ok(())
    }

    /// Replaces the asset pool while the league is open, and returns warnings that do not block
    /// (fewer assets than roster places).
    pub fn set_asset_pool(&mut self, assets: Vec<Asset>) -> Result<Vec<PoolWarning>, LeagueError> {
        self.ensure_open()?;
        if assets.is_empty() {
            return Err(LeagueError::EmptyPool);
        }
        if assets.len() > MAX_POOL_ASSETS {
            return Err(LeagueError::PoolTooLarge {
                assets: assets.len(),
            });
        }
        let mut seen = BTreeSet::new();
        for asset in &assets {
            if !seen.insert(&asset.id) {
                return Err(LeagueError::DuplicateAsset(asset.id.clone()));
            }
            validate_name(&asset.name).map_err(|problem| LeagueError::AssetName {
                asset: asset.id.clone(),
                problem,
            })?;
        }
        if let Some(keeper) = self
            .keepers
            .iter()
            .find(|keeper| !seen.contains(&keeper.asset))
        {
            return Err(LeagueError::PoolDropsKeeper {
                asset: keeper.asset.clone(),
            });
        }
        self.asset_pool = assets;
        Ok(self.pool_warnings())
    }

    /// Warnings about the current pool: it should hold at least one asset per roster place.
    pub fn pool_warnings(&self) -> Vec<PoolWarning> {
        let managers = self
            .manager_count()
            .max(usize::from(self.settings.min_managers));
        let places = managers * usize::from(self.settings.roster_slots);
        let auctionable = self.asset_pool.len().saturating_sub(self.keepers.len());
        let open_places = places.saturating_sub(self.keepers.len());
        if auctionable < open_places {
            vec![PoolWarning::FewerAssetsThanPlaces {
                assets: auctionable,
                places: open_places,
            }]
        } else {
            Vec::new()
        }
    }

    /// Replaces the keepers while the league is open. Each keeper must be a pool asset kept once,
    /// assigned to a manager of the league; no manager may keep more assets than roster slots, and
    /// a manager's keepers must leave enough budget to open a bid for each other empty slot.
    pub fn set_keepers(&mut self, keepers: Vec<Keeper>) -> Result<(), LeagueError> {
        self.ensure_open()?;
        let mut kept = BTreeSet::new();
        for keeper in &keepers {
            if !self.is_manager(&keeper.manager) {
                return Err(LeagueError::KeeperNotAManager {
                    manager: keeper.manager.clone(),
                    asset: keeper.asset.clone(),
                });
            }
            if !self.asset_pool.iter().any(|asset| asset.id == keeper.asset) {
                return Err(LeagueError::KeeperNotInPool {
                    asset: keeper.asset.clone(),
                });
            }
            if !kept.insert(&keeper.asset) {
                return Err(LeagueError::DuplicateKeeper {
                    asset: keeper.asset.clone(),
                });
            }
        }
        self.check_keeper_counts(&keepers, self.settings.roster_slots)?;
        self.check_keeper_costs(&keepers, &self.settings)?;
        self.keepers = keepers;
        Ok(())
    }

    /// Replaces the scoring rules (allowed at any time: scores are recomputed from the results).
    pub fn set_scoring(&mut self, rules: ScoringRules) -> Result<(), LeagueError> {
        if rules.sport() != self.sport() {
            return Err(LeagueError::ScoringSport {
                rules: rules.sport(),
                league: self.sport(),
            });
        }
        rules.validate().map_err(LeagueError::Scoring)?;
        self.scoring = rules;
        Ok(())
    }

    /// Builds the setup of this league's auction and checks it with the auction crate's own
    /// validation. `users` must hold a record for every manager (for their display names); extra
    /// records are ignored.
    pub fn auction_setup(
        &self,
        auction_id: AuctionId,
        users: &[User],
    ) -> Result<AuctionSetup, LeagueError> {
        let managers = self
            .manager_ids()
            .into_iter()
            .map(|id| {
                let user = users
                    .iter()
                    .find(|user| user.id == id)
                    .ok_or_else(|| LeagueError::UnknownUser(id.clone()))?;
                Ok(Manager {
                    id,
                    name: user.name.clone(),
                })
            })
            .collect::<Result<Vec<_>, LeagueError>>()?;
        let setup = AuctionSetup {
            auction_id,
            league_name: self.name.clone(),
            settings: self.settings.clone(),
            commissioner: self.commissioner.clone(),
            managers,
            assets: self.asset_pool.clone(),
            keepers: self.keepers.clone(),
        };
        setup.validate().map_err(LeagueError::Setup)?;
        Ok(setup)
    }

    /// Marks the auction as created: managers, settings, pool and keepers freeze from here on.
    pub fn start_auction(&mut self, auction_id: AuctionId) -> Result<(), LeagueError> {
        self.ensure_open()?;
        let have = self.manager_count();
        if have < usize::from(self.settings.min_managers) {
            return Err(LeagueError::TooFewManagers {
                have,
                need: self.settings.min_managers,
            });
        }
        if self.asset_pool.is_empty() {
            return Err(LeagueError::EmptyPool);
        }
        self.status = LeagueStatus::AuctionLive { auction_id };
        Ok(())
    }

    /// Marks the league's running auction as ended.
    pub fn complete_auction(&mut self, auction_id: &AuctionId) -> Result<(), LeagueError> {
        match &self.status {
            LeagueStatus::AuctionLive { auction_id: live } if live == auction_id => {
                self.status = LeagueStatus::Completed {
                    auction_id: auction_id.clone(),
                };
                Ok(())
            }
            LeagueStatus::AuctionLive { .. } | LeagueStatus::Completed { .. } => {
                Err(LeagueError::WrongAuction(auction_id.clone()))
            }
            LeagueStatus::Open => Err(LeagueError::NoAuctionRunning),
        }
    }

    fn ensure_open(&self) -> Result<(), LeagueError> {
        if self.status == LeagueStatus::Open {
            Ok(())
        } else {
            Err(LeagueError::NotOpen)
        }
    }

    fn check_keeper_costs(
        &self,
        keepers: &[Keeper],
        settings: &LeagueSettings,
    ) -> Result<(), LeagueError> {
        for manager in self.manager_ids() {
            let mine: Vec<&Keeper> = keepers
                .iter()
                .filter(|keeper| keeper.manager == manager)
                .collect();
            let cost = mine.iter().fold(Money::ZERO, |total, keeper| {
                total.saturating_add(keeper.cost)
            });
            let kept = u8::try_from(mine.len()).unwrap_or(u8::MAX);
            let empty_slots = settings.roster_slots.saturating_sub(kept);
            let reserve = settings
                .min_opening_bid
                .saturating_mul(u64::from(empty_slots));
            if cost.saturating_add(reserve) > settings.budget {
                return Err(LeagueError::KeeperCostTooHigh {
                    manager,
                    cost,
                    budget: settings.budget,
                    reserve_per_slot: settings.min_opening_bid,
                    empty_slots,
                    currency: settings.currency.clone(),
                });
            }
        }
        Ok(())
    }

    fn check_keeper_counts(&self, keepers: &[Keeper], slots: u8) -> Result<(), LeagueError> {
        for manager in self.manager_ids() {
            let count = keepers
                .iter()
                .filter(|keeper| keeper.manager == manager)
                .count();
            if count > usize::from(slots) {
                return Err(LeagueError::TooManyKeepers {
                    manager,
                    keepers: count,
                    slots,
                });
            }
        }
        Ok(())
    }
}

/// A problem with a league's setup that does not prevent the auction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PoolWarning {
    /// Fewer auctionable assets than empty roster places: some rosters will not fill.
    #[error(
        "the pool has {assets} assets to auction for {places} roster places, so some rosters will not fill"
    )]
    FewerAssetsThanPlaces {
        /// Assets to auction (keepers excluded).
        assets: usize,
        /// Empty roster places (keepers excluded).
        places: usize,
    },
}

#[cfg(test)]
mod tests;
