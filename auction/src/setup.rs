//! What an auction is created from: the league's settings, its commissioner, its managers, the
//! asset pool and any keepers. [`AuctionSetup::validate`] refuses a setup that could not run and
//! warns about one that runs badly (too few assets to fill every roster).

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::{AssetId, AuctionId, UserId};
use crate::money::Money;
use crate::settings::{LeagueSettings, SettingsError};

/// Longest league name, in characters.
pub const MAX_LEAGUE_NAME: usize = 100;
/// Longest manager or asset name, in characters.
pub const MAX_NAME: usize = 100;
/// Longest asset group label, in characters.
pub const MAX_GROUP: usize = 60;
/// Most assets in one auction's pool.
pub const MAX_ASSETS: usize = 2_000;

/// A manager: someone with a budget and a roster.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Manager {
    /// Their user id.
    pub id: UserId,
    /// Display name.
    pub name: String,
}

/// Something that can be bought.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Asset {
    /// Stable id.
    pub id: AssetId,
    /// Display name.
    pub name: String,
    /// Optional grouping shown to people: a club, a role, a team.
    #[serde(default)]
    pub group: Option<String>,
}

/// An asset assigned to a manager before the draft, at a cost deducted from their budget.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Keeper {
    /// Who keeps it.
    pub manager: UserId,
    /// What they keep.
    pub asset: AssetId,
    /// What it costs them.
    pub cost: Money,
}

/// Everything an auction is created from. Recorded whole in the `AuctionCreated` event.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AuctionSetup {
    /// The auction.
    pub auction_id: AuctionId,
    /// The league's name, for people.
    pub league_name: String,
    /// The rules.
    pub settings: LeagueSettings,
    /// The one user who may begin, pause, resume, skip, undo and end. May also be a manager.
    pub commissioner: UserId,
    /// The managers, in the order they are shown.
    pub managers: Vec<Manager>,
    /// The asset pool, in setup order (the lot order in fixed-order mode).
    pub assets: Vec<Asset>,
    /// Assets pre-assigned to managers.
    #[serde(default)]
    pub keepers: Vec<Keeper>,
}

/// A setup that would run, but not well.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "warning", rename_all = "snake_case")]
pub enum SetupWarning {
    /// Fewer assets to auction than empty roster slots: some rosters cannot be filled.
    FewerAssetsThanSlots {
        /// Assets to auction (keepers excluded).
        assets: usize,
        /// Empty roster slots across all managers.
        empty_slots: usize,
    },
}

impl fmt::Display for SetupWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetupWarning::FewerAssetsThanSlots {
                assets,
                empty_slots,
            } => write!(
                f,
                "only {assets} assets to auction for {empty_slots} empty roster slots: some rosters will not be filled"
            ),
        }
    }
}

/// A setup that cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    /// A setting is out of range.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The league name is empty or too long.
    #[error("league name must be 1 to 100 characters (got {len})")]
    LeagueNameInvalid {
        /// Its length in characters (after trimming).
        len: usize,
    },
    /// Fewer managers than the league's minimum.
    #[error("at least {min} managers are needed (got {have})")]
    TooFewManagers {
        /// Managers listed.
        have: usize,
        /// The league's minimum.
        min: u8,
    },
    /// More managers than the league's maximum.
    #[error("at most {max} managers are allowed (got {have})")]
    TooManyManagers {
        /// Managers listed.
        have: usize,
        /// The league's maximum.
        max: u8,
    },
    /// A manager is listed twice.
    #[error("manager {manager} is listed more than once")]
    DuplicateManager {
        /// The repeated id.
        manager: UserId,
    },
    /// A manager's name is empty or too long.
    #[error("manager {manager}: name must be 1 to 100 characters (got {len})")]
    ManagerNameInvalid {
        /// The manager.
        manager: UserId,
        /// Name length in characters (after trimming).
        len: usize,
    },
    /// The asset pool is empty.
    #[error("the asset pool is empty: add at least one asset")]
    NoAssets,
    /// The asset pool is too large.
    #[error("the asset pool may hold at most {max} assets (got {have})")]
    TooManyAssets {
        /// Assets listed.
        have: usize,
        /// The limit.
        max: usize,
    },
    /// An asset is listed twice.
    #[error("asset {asset} is listed more than once")]
    DuplicateAsset {
        /// The repeated id.
        asset: AssetId,
    },
    /// An asset's name is empty or too long.
    #[error("asset {asset}: name must be 1 to 100 characters (got {len})")]
    AssetNameInvalid {
        /// The asset.
        asset: AssetId,
        /// Name length in characters (after trimming).
        len: usize,
    },
    /// An asset's group label is too long.
    #[error("asset {asset}: group must be at most 60 characters (got {len})")]
    AssetGroupInvalid {
        /// The asset.
        asset: AssetId,
        /// Group length in characters.
        len: usize,
    },
    /// A keeper names someone who is not a manager.
    #[error("keeper for {manager}: not a manager of this league")]
    KeeperUnknownManager {
        /// The unknown manager.
        manager: UserId,
    },
    /// A keeper names an asset that is not in the pool.
    #[error("keeper {asset}: not in the asset pool")]
    KeeperUnknownAsset {
        /// The unknown asset.
        asset: AssetId,
    },
    /// An asset is kept twice.
    #[error("keeper {asset}: assigned more than once")]
    KeeperAssetTwice {
        /// The asset.
        asset: AssetId,
    },
    /// A manager keeps more assets than they have slots.
    #[error("{manager} has {have} keepers but only {slots} roster slots")]
    TooManyKeepers {
        /// The manager.
        manager: UserId,
        /// Keepers assigned.
        have: usize,
        /// Roster slots.
        slots: u8,
    },
    /// A manager's keepers cost too much to fill the rest of their roster at the opening bid.
    #[error(
        "{manager}'s keepers cost {cost}, but the budget of {budget} must also keep {reserve_per_slot} for each of their {empty_slots} other empty slots"
    )]
    KeeperCostTooHigh {
        /// The manager.
        manager: UserId,
        /// Total keeper cost.
        cost: Money,
        /// The budget.
        budget: Money,
        /// The minimum opening bid, reserved per empty slot.
        reserve_per_slot: Money,
        /// Empty slots after the keepers.
        empty_slots: u8,
    },
}

fn name_len(name: &str) -> usize {
    name.trim().chars().count()
}

impl AuctionSetup {
    /// Checks the setup; on success returns the warnings (possibly none).
    pub fn validate(&self) -> Result<Vec<SetupWarning>, SetupError> {
        let settings = &self.settings;
        settings.validate()?;
        let league_name_len = name_len(&self.league_name);
        if league_name_len == 0 || league_name_len > MAX_LEAGUE_NAME {
            return Err(SetupError::LeagueNameInvalid {
                len: league_name_len,
            });
        }
        let have = self.managers.len();
        if have < usize::from(settings.min_managers) {
            return Err(SetupError::TooFewManagers {
                have,
                min: settings.min_managers,
            });
        }
        if have > usize::from(settings.max_managers) {
            return Err(SetupError::TooManyManagers {
                have,
                max: settings.max_managers,
            });
        }
        let mut managers = HashSet::with_capacity(have);
        for manager in &self.managers {
            if !managers.insert(&manager.id) {
                return Err(SetupError::DuplicateManager {
                    manager: manager.id.clone(),
                });
            }
            let len = name_len(&manager.name);
            if len == 0 || len > MAX_NAME {
                return Err(SetupError::ManagerNameInvalid {
                    manager: manager.id.clone(),
                    len,
                });
            }
        }
        if self.assets.is_empty() {
            return Err(SetupError::NoAssets);
        }
        if self.assets.len() > MAX_ASSETS {
            return Err(SetupError::TooManyAssets {
                have: self.assets.len(),
                max: MAX_ASSETS,
            });
        }
        let mut assets = HashSet::with_capacity(self.assets.len());
        for asset in &self.assets {
            if !assets.insert(&asset.id) {
                return Err(SetupError::DuplicateAsset {
                    asset: asset.id.clone(),
                });
            }
            let len = name_len(&asset.name);
            if len == 0 || len > MAX_NAME {
                return Err(SetupError::AssetNameInvalid {
                    asset: asset.id.clone(),
                    len,
                });
            }
            if let Some(group) = &asset.group {
                let len = group.chars().count();
                if len > MAX_GROUP {
                    return Err(SetupError::AssetGroupInvalid {
                        asset: asset.id.clone(),
                        len,
                    });
                }
            }
        }
        let mut kept = HashSet::with_capacity(self.keepers.len());
        for keeper in &self.keepers {
            if !managers.contains(&keeper.manager) {
                return Err(SetupError::KeeperUnknownManager {
                    manager: keeper.manager.clone(),
                });
            }
            if !assets.contains(&keeper.asset) {
                return Err(SetupError::KeeperUnknownAsset {
                    asset: keeper.asset.clone(),
                });
            }
            if !kept.insert(&keeper.asset) {
                return Err(SetupError::KeeperAssetTwice {
                    asset: keeper.asset.clone(),
                });
            }
        }
        let mut empty_slots_total = 0usize;
        for manager in &self.managers {
            let mine = self
                .keepers
                .iter()
                .filter(|keeper| keeper.manager == manager.id);
            let (count, cost) = mine.fold((0usize, Money::ZERO), |(count, cost), keeper| {
                (count + 1, cost.saturating_add(keeper.cost))
            });
            if count > usize::from(settings.roster_slots) {
                return Err(SetupError::TooManyKeepers {
                    manager: manager.id.clone(),
                    have: count,
                    slots: settings.roster_slots,
                });
            }
            // `count <= roster_slots <= 40`, so this fits in a u8.
            let empty_slots = settings.roster_slots - count as u8;
            let reserve = settings
                .min_opening_bid
                .saturating_mul(u64::from(empty_slots));
            if cost.saturating_add(reserve) > settings.budget {
                return Err(SetupError::KeeperCostTooHigh {
                    manager: manager.id.clone(),
                    cost,
                    budget: settings.budget,
                    reserve_per_slot: settings.min_opening_bid,
                    empty_slots,
                });
            }
            empty_slots_total += usize::from(empty_slots);
        }
        let to_auction = self.assets.len() - self.keepers.len();
        let mut warnings = Vec::new();
        if to_auction < empty_slots_total {
            warnings.push(SetupWarning::FewerAssetsThanSlots {
                assets: to_auction,
                empty_slots: empty_slots_total,
            });
        }
        Ok(warnings)
    }
}

#[cfg(test)]
mod tests;
