//! The shipped catalogues load, and hold the facts they claim.

use std::collections::{BTreeMap, BTreeSet};

use super::*;
use crate::model::JoinRole;
use crate::test_util::{league_with, t0, uid};

fn names(catalogue: &Catalogue) -> BTreeSet<String> {
    catalogue
        .entries()
        .iter()
        .map(|entry| entry.asset.name.clone())
        .collect()
}

fn ids(catalogue: &Catalogue) -> BTreeSet<String> {
    catalogue
        .entries()
        .iter()
        .map(|entry| entry.asset.id.to_string())
        .collect()
}

fn group_counts(catalogue: &Catalogue) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for entry in catalogue.entries() {
        *counts
            .entry(entry.asset.group.clone().unwrap_or_default())
            .or_insert(0) += 1;
    }
    counts
}

#[test]
fn every_listed_catalogue_loads_by_key_with_unique_ids_and_names() {
    let infos = list();
    assert_eq!(
        infos.iter().map(|info| info.key).collect::<Vec<_>>(),
        vec![
            "premier-league-2025-26",
            "champions-league-2025-26",
            "cricket-internationals-2025"
        ]
    );
    for info in infos {
        let catalogue = by_key(info.key).unwrap_or_else(|| panic!("{} loads", info.key));
        assert_eq!(catalogue.info(), &info);
        let count = catalogue.entries().len();
        assert_eq!(ids(&catalogue).len(), count, "{}: ids are unique", info.key);
        assert_eq!(
            names(&catalogue).len(),
            count,
            "{}: names are unique",
            info.key
        );
        for entry in catalogue.entries() {
            let id = entry.asset.id.as_str();
            assert!(
                id.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{id} is a slug"
            );
        }
    }
    assert_eq!(by_key("epl"), None);
    assert_eq!(by_key(""), None);
}

#[test]
fn the_premier_league_catalogue_holds_the_twenty_2025_26_clubs() {
    let catalogue = Catalogue::premier_league_2025_26();
    assert_eq!(catalogue.info().sport, Sport::Football);
    let expected: BTreeSet<String> = [
        "Arsenal",
        "Aston Villa",
        "Bournemouth",
        "Brentford",
        "Brighton & Hove Albion",
        "Burnley",
        "Chelsea",
        "Crystal Palace",
        "Everton",
        "Fulham",
        "Leeds United",
        "Liverpool",
        "Manchester City",
        "Manchester United",
        "Newcastle United",
        "Nottingham Forest",
        "Sunderland",
        "Tottenham Hotspur",
        "West Ham United",
        "Wolverhampton Wanderers",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(names(&catalogue), expected);
    assert!(catalogue.entries().iter().all(|entry| entry.role.is_none()));
}

#[test]
fn the_champions_league_catalogue_holds_the_36_league_phase_clubs_by_country() {
    let catalogue = Catalogue::champions_league_2025_26();
    assert_eq!(catalogue.entries().len(), 36);
    let expected: BTreeMap<String, usize> = [
        ("England", 6),
        ("Spain", 5),
        ("Italy", 4),
        ("Germany", 4),
        ("France", 3),
        ("Portugal", 2),
        ("Netherlands", 2),
        ("Belgium", 2),
        ("Türkiye", 1),
        ("Czechia", 1),
        ("Denmark", 1),
        ("Norway", 1),
        ("Greece", 1),
        ("Cyprus", 1),
        ("Kazakhstan", 1),
        ("Azerbaijan", 1),
    ]
    .into_iter()
    .map(|(country, count)| (country.to_owned(), count))
    .collect();
    assert_eq!(group_counts(&catalogue), expected);
}

#[test]
fn english_clubs_have_the_same_id_and_name_in_both_football_catalogues() {
    let premier = Catalogue::premier_league_2025_26();
    let champions = Catalogue::champions_league_2025_26();
    let english: Vec<&CatalogueEntry> = champions
        .entries()
        .iter()
        .filter(|entry| entry.asset.group.as_deref() == Some("England"))
        .collect();
    assert_eq!(english.len(), 6);
    for entry in english {
        let same = premier
            .entries()
            .iter()
            .find(|candidate| candidate.asset.id == entry.asset.id);
        assert_eq!(
            same.map(|candidate| &candidate.asset.name),
            Some(&entry.asset.name),
            "{}",
            entry.asset.id
        );
    }
}

#[test]
fn the_cricket_catalogue_has_a_role_for_every_player_and_balanced_teams() {
    let catalogue = Catalogue::cricket_internationals_2025();
    assert_eq!(catalogue.info().sport, Sport::Cricket);
    assert_eq!(catalogue.entries().len(), 48);
    let expected: BTreeMap<String, usize> = [("India", 18), ("Australia", 15), ("England", 15)]
        .into_iter()
        .map(|(team, n)| (team.to_owned(), n))
        .collect();
    assert_eq!(group_counts(&catalogue), expected);
    for team in ["India", "Australia", "England"] {
        let roles: Vec<PlayerRole> = catalogue
            .entries()
            .iter()
            .filter(|entry| entry.asset.group.as_deref() == Some(team))
            .map(|entry| {
                entry
                    .role
                    .unwrap_or_else(|| panic!("{} has a role", entry.asset.name))
            })
            .collect();
        let count = |role| roles.iter().filter(|candidate| **candidate == role).count();
        assert!(
            count(PlayerRole::Wicketkeeper) >= 2,
            "{team} has wicketkeepers"
        );
        assert!(count(PlayerRole::Bowler) >= 5, "{team} has bowlers");
        assert!(count(PlayerRole::Batter) >= 4, "{team} has batters");
        assert!(
            count(PlayerRole::AllRounder) >= 1,
            "{team} has all-rounders"
        );
    }
}

#[test]
fn roles_parse_and_print_as_in_the_data_files() {
    for role in [
        PlayerRole::Batter,
        PlayerRole::Bowler,
        PlayerRole::AllRounder,
        PlayerRole::Wicketkeeper,
    ] {
        assert_eq!(PlayerRole::parse(&role.to_string()), Some(role));
    }
    assert_eq!(PlayerRole::parse("keeper"), None);
}

#[test]
fn a_catalogue_is_a_valid_league_pool() {
    let mut league = league_with("a", "commish", &["m1", "m2"], 8);
    league
        .join(&uid("m3"), JoinRole::Manager, t0())
        .expect("joins");
    let warnings = league
        .set_asset_pool(Catalogue::premier_league_2025_26().assets())
        .expect("valid pool");
    assert!(warnings.is_empty(), "20 clubs cover 3 managers × 3 slots");
    assert_eq!(league.asset_pool().len(), 20);
}
