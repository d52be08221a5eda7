//! Asset catalogues shipped with the product as data files under `league/data/`, embedded at
//! compile time.
//!
//! | key | what | source of the facts |
//! |---|---|---|
//! | `premier-league-2025-26` | the 20 clubs of the 2025/26 Premier League | the league's 2025/26 membership (Burnley, Leeds United and Sunderland promoted) |
//! | `champions-league-2025-26` | the 36 clubs of the 2025/26 UEFA Champions League league phase, grouped by country | UEFA's league-phase draw pots of 27 August 2025 |
//! | `cricket-internationals-2025` | 48 well-known international cricketers of India, Australia and England, grouped by country, with their primary role | players who represented their country in 2024 or 2025; **not** an official squad for any one series |
//!
//! Asset ids are stable slugs (`manchester-city`, `bodo-glimt`, `jasprit-bumrah`): a club has the
//! same id in every catalogue, so results keyed by id apply wherever it is owned. The files use
//! the custom-pool CSV layout (`id,name,group`, plus `role` for players) and are read by the same
//! validating importer, so a shipped file with a mistake fails the tests, not a league.
//! A commissioner's own pool is loaded with [`crate::csvio::import_pool`].

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::csvio::{Limits, read_pool_rows};
use auction::settings::Sport;
use auction::setup::Asset;

const PREMIER_LEAGUE_2025_26: &str = include_str!("../data/premier-league-2025-26.csv");
const CHAMPIONS_LEAGUE_2025_26: &str = include_str!("../data/champions-league-2025-26.csv");
const CRICKET_INTERNATIONALS_2025: &str = include_str!("../data/cricket-internationals-2025.csv");

/// A cricketer's primary role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlayerRole {
    /// Specialist batter.
    Batter,
    /// Specialist bowler.
    Bowler,
    /// Bats and bowls.
    AllRounder,
    /// Keeps wicket (and bats).
    Wicketkeeper,
}

impl PlayerRole {
    /// Reads a role as written in the data files (`batter`, `bowler`, `all-rounder`,
    /// `wicketkeeper`).
    pub fn parse(text: &str) -> Option<PlayerRole> {
        match text {
            "batter" => Some(PlayerRole::Batter),
            "bowler" => Some(PlayerRole::Bowler),
            "all-rounder" => Some(PlayerRole::AllRounder),
            "wicketkeeper" => Some(PlayerRole::Wicketkeeper),
            _ => None,
        }
    }
}

impl fmt::Display for PlayerRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PlayerRole::Batter => "batter",
            PlayerRole::Bowler => "bowler",
            PlayerRole::AllRounder => "all-rounder",
            PlayerRole::Wicketkeeper => "wicketkeeper",
        })
    }
}

/// One asset of a catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueEntry {
    /// The asset as it goes into a pool.
    pub asset: Asset,
    /// A player's role (cricket catalogues only).
    pub role: Option<PlayerRole>,
}

/// What a catalogue is, without loading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CatalogueInfo {
    /// Stable key, used in URLs and league setup.
    pub key: &'static str,
    /// Display name.
    pub name: &'static str,
    /// The sport it is for.
    pub sport: Sport,
    /// The season its facts reflect.
    pub season: &'static str,
    /// Where its facts come from and what it is not.
    pub description: &'static str,
}

const CATALOGUES: [(CatalogueInfo, &str); 3] = [
    (
        CatalogueInfo {
            key: "premier-league-2025-26",
            name: "Premier League 2025/26",
            sport: Sport::Football,
            season: "2025/26",
            description: "The 20 clubs of the 2025/26 Premier League.",
        },
        PREMIER_LEAGUE_2025_26,
    ),
    (
        CatalogueInfo {
            key: "champions-league-2025-26",
            name: "UEFA Champions League 2025/26",
            sport: Sport::Football,
            season: "2025/26",
            description: "The 36 clubs of the 2025/26 UEFA Champions League league phase, grouped by country.",
        },
        CHAMPIONS_LEAGUE_2025_26,
    ),
    (
        CatalogueInfo {
            key: "cricket-internationals-2025",
            name: "International cricketers 2025",
            sport: Sport::Cricket,
            season: "2025",
            description: "48 well-known cricketers of India, Australia and England who played international \
                          cricket in 2024 or 2025, grouped by country, with their primary role. Not an official \
                          squad for any one series.",
        },
        CRICKET_INTERNATIONALS_2025,
    ),
];

/// A loaded catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalogue {
    info: CatalogueInfo,
    entries: Vec<CatalogueEntry>,
}

impl Catalogue {
    /// The 20 clubs of the 2025/26 Premier League.
    pub fn premier_league_2025_26() -> Catalogue {
        load(0)
    }

    /// The 36 clubs of the 2025/26 UEFA Champions League league phase.
    pub fn champions_league_2025_26() -> Catalogue {
        load(1)
    }

    /// 48 international cricketers of India, Australia and England (2024-2025), with roles.
    pub fn cricket_internationals_2025() -> Catalogue {
        load(2)
    }

    /// What this catalogue is.
    pub fn info(&self) -> &CatalogueInfo {
        &self.info
    }

    /// Its entries, in file order.
    pub fn entries(&self) -> &[CatalogueEntry] {
        &self.entries
    }

    /// Its assets, ready for [`crate::model::League::set_asset_pool`].
    pub fn assets(&self) -> Vec<Asset> {
        self.entries
            .iter()
            .map(|entry| entry.asset.clone())
            .collect()
    }
}

/// Every shipped catalogue, without loading any.
pub fn list() -> Vec<CatalogueInfo> {
    CATALOGUES.iter().map(|(info, _)| *info).collect()
}

/// Loads the catalogue with `key`, if there is one.
pub fn by_key(key: &str) -> Option<Catalogue> {
    CATALOGUES
        .iter()
        .position(|(info, _)| info.key == key)
        .map(load)
}

fn load(index: usize) -> Catalogue {
    let (info, data) = CATALOGUES[index];
    let rows = read_pool_rows(data.as_bytes(), Limits::default(), true)
        .expect("shipped catalogue files are valid pool files (checked by catalogue::tests)");
    let entries = rows
        .into_iter()
        .map(|row| CatalogueEntry {
            asset: row.asset,
            role: row.role.map(|role| {
                PlayerRole::parse(&role)
                    .expect("shipped catalogue roles are valid (checked by catalogue::tests)")
            }),
        })
        .collect();
    Catalogue { info, entries }
}

#[cfg(test)]
mod tests;
