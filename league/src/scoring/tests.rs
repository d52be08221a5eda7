//! Worked examples for both sports, the table's order and ties, and rule overrides.

use std::collections::BTreeMap;

use super::*;
use crate::test_util::{aid, at, uid};

fn side(id: &str) -> Side {
    Side {
        name: id.to_owned(),
        asset: Some(aid(id)),
    }
}

fn fixture(
    match_id: &str,
    home: &str,
    away: &str,
    status: FixtureStatus,
    score: Option<(u8, u8)>,
) -> Fixture {
    Fixture {
        match_id: match_id.to_owned(),
        starts_at: at(0),
        home: side(home),
        away: side(away),
        status,
        score: score.map(|(home, away)| Score { home, away }),
    }
}

fn roster(user: &str, assets: &[&str]) -> Roster {
    Roster {
        user: uid(user),
        name: user.to_owned(),
        assets: assets.iter().map(|id| aid(id)).collect(),
    }
}

fn points_of(scores: &BTreeMap<AssetId, AssetScore>) -> Vec<(&str, i64)> {
    scores
        .iter()
        .map(|(asset, score)| (asset.as_str(), score.points))
        .collect()
}

fn summary(table: &[TableRow]) -> Vec<(u32, &str, i64)> {
    table
        .iter()
        .map(|row| (row.rank, row.name.as_str(), row.points))
        .collect()
}

/// Week one of a small league:
/// - Arsenal 3-1 Chelsea (full time): Arsenal win 3 + 3 goals = 6; Chelsea loss 0 + 1 goal = 1.
/// - Liverpool 2-2 Manchester City (full time): each draw 1 + 2 goals = 3.
/// - Chelsea 0-0 Everton (full time): each draw 1 + 0 goals = 1, so Chelsea has 2 in all.
/// - Arsenal v Liverpool (scheduled) and Manchester City 4-0 Arsenal (live) score nothing yet.
fn week_one() -> Vec<Fixture> {
    vec![
        fixture(
            "f1",
            "arsenal",
            "chelsea",
            FixtureStatus::Finished,
            Some((3, 1)),
        ),
        fixture(
            "f2",
            "liverpool",
            "manchester-city",
            FixtureStatus::Finished,
            Some((2, 2)),
        ),
        fixture(
            "f3",
            "chelsea",
            "everton",
            FixtureStatus::Finished,
            Some((0, 0)),
        ),
        fixture("f4", "arsenal", "liverpool", FixtureStatus::Scheduled, None),
        fixture(
            "f5",
            "manchester-city",
            "arsenal",
            FixtureStatus::Live,
            Some((4, 0)),
        ),
    ]
}

#[test]
fn football_worked_example_with_default_rules() {
    let scores = football_scores(&FootballRules::default(), &week_one());
    assert_eq!(
        points_of(&scores),
        vec![
            ("arsenal", 6),
            ("chelsea", 2),
            ("everton", 1),
            ("liverpool", 3),
            ("manchester-city", 3),
        ]
    );
    assert_eq!(
        scores[&aid("chelsea")].stats,
        AssetStats::Football(FootballStats {
            played: 2,
            won: 0,
            drawn: 1,
            lost: 1,
            goals_for: 1,
            goals_against: 3,
            clean_sheets: 1,
        })
    );

    // Ann owns Arsenal and Liverpool (6 + 3), Bob Chelsea and City (2 + 3), Cat Everton, Dan nothing.
    let rosters = [
        roster("Dan", &[]),
        roster("Cat", &["everton"]),
        roster("Bob", &["chelsea", "manchester-city"]),
        roster("Ann", &["arsenal", "liverpool"]),
    ];
    let table = league_table(Sport::Football, &rosters, &scores);
    assert_eq!(
        summary(&table),
        vec![(1, "Ann", 9), (2, "Bob", 5), (3, "Cat", 1), (4, "Dan", 0)]
    );
    assert_eq!(
        table[0].assets,
        vec![(aid("arsenal"), 6), (aid("liverpool"), 3)]
    );
    assert_eq!(table[0].stats.tiebreakers(), [5, 1], "Ann: 5 goals, 1 win");
}

#[test]
fn football_overrides_change_every_rule() {
    // Win 2, draw 1, loss -1, goal 1, conceded -1, clean sheet 2.
    let rules = FootballRules {
        win: 2,
        draw: 1,
        loss: -1,
        goal_scored: 1,
        goal_conceded: -1,
        clean_sheet: 2,
    };
    let scores = football_scores(&rules, &week_one());
    // Arsenal: win 2 + 3 goals - 1 conceded = 4.
    // Chelsea: f1 loss -1 + 1 goal - 3 conceded = -3; f3 draw 1 + clean sheet 2 = 3; total 0.
    // Everton: draw 1 + clean sheet 2 = 3. Liverpool and City: draw 1 + 2 - 2 = 1.
    assert_eq!(
        points_of(&scores),
        vec![
            ("arsenal", 4),
            ("chelsea", 0),
            ("everton", 3),
            ("liverpool", 1),
            ("manchester-city", 1),
        ]
    );
}

#[test]
fn a_corrected_result_replaces_the_original_and_unmatched_sides_score_nothing() {
    let mut fixtures = week_one();
    fixtures.push(fixture(
        "f1",
        "arsenal",
        "chelsea",
        FixtureStatus::Finished,
        Some((3, 2)),
    ));
    fixtures.push(Fixture {
        match_id: "f6".into(),
        starts_at: at(0),
        home: Side {
            name: "Burnley".into(),
            asset: None,
        },
        away: side("everton"),
        status: FixtureStatus::Finished,
        score: Some(Score { home: 0, away: 1 }),
    });
    let scores = football_scores(&FootballRules::default(), &fixtures);
    assert_eq!(
        scores[&aid("chelsea")].points,
        3,
        "1 draw + 2 goals in the corrected 3-2"
    );
    assert_eq!(scores[&aid("arsenal")].points, 6);
    assert_eq!(
        scores[&aid("everton")].points,
        1 + 3 + 1,
        "draw, then a 1-0 win at Burnley"
    );
    assert_eq!(scores.len(), 5, "Burnley is not an asset and is not scored");
}

#[test]
fn cricket_worked_example_with_default_rules() {
    let performance =
        |match_id: &str, player: &str, [runs, wickets, catches, stumpings, run_outs]: [u32; 5]| {
            Performance {
                match_id: match_id.into(),
                player: aid(player),
                runs,
                wickets,
                catches,
                stumpings,
                run_outs,
            }
        };
    let performances = vec![
        // 89 runs + 1 catch = 89 + 10 = 99 (the predecessor's documented example).
        performance("m1", "virat-kohli", [89, 0, 1, 0, 0]),
        // 4 runs + 5 wickets + 1 run-out = 4 + 100 + 20 = 124.
        performance("m1", "jasprit-bumrah", [4, 5, 0, 0, 1]),
        // 45 runs + 2 catches + 1 stumping = 45 + 20 + 25 = 90.
        performance("m1", "rishabh-pant", [45, 0, 2, 1, 0]),
        // 102 runs = 102.
        performance("m2", "virat-kohli", [102, 0, 0, 0, 0]),
    ];
    let rules = CricketRules::default();
    assert_eq!(performances[0].points(&rules), 99);
    let scores = cricket_scores(&rules, &performances);
    assert_eq!(
        points_of(&scores),
        vec![
            ("jasprit-bumrah", 124),
            ("rishabh-pant", 90),
            ("virat-kohli", 201)
        ]
    );
    assert_eq!(
        scores[&aid("virat-kohli")].stats,
        AssetStats::Cricket(CricketStats {
            matches: 2,
            runs: 191,
            wickets: 0,
            catches: 1,
            stumpings: 0,
            run_outs: 0
        })
    );

    let table = league_table(
        Sport::Cricket,
        &[
            roster("Bob", &["jasprit-bumrah"]),
            roster("Ann", &["virat-kohli", "rishabh-pant"]),
        ],
        &scores,
    );
    assert_eq!(summary(&table), vec![(1, "Ann", 291), (2, "Bob", 124)]);

    // Milestones on: +10 for 50 runs, +25 for 100 (stacking), +25 for 5 wickets.
    let with_milestones = CricketRules {
        half_century: 10,
        century: 25,
        five_wickets: 25,
        ..CricketRules::default()
    };
    let scores = cricket_scores(&with_milestones, &performances);
    // Kohli: 89 + 10 + 10 = 109, then 102 + 10 + 25 = 137: 246. Bumrah: 124 + 25 = 149. Pant: 90.
    assert_eq!(
        points_of(&scores),
        vec![
            ("jasprit-bumrah", 149),
            ("rishabh-pant", 90),
            ("virat-kohli", 246)
        ]
    );

    // A corrected scorecard for the same match and player replaces the original.
    let mut corrected = performances.clone();
    corrected.push(performance("m1", "virat-kohli", [90, 0, 1, 0, 0]));
    assert_eq!(
        cricket_scores(&rules, &corrected)[&aid("virat-kohli")].points,
        100 + 102
    );
}

#[test]
fn table_ties_break_on_goals_then_wins_then_share_the_rank() {
    let score = |asset: &str, points: i64, goals_for: u32, won: u32| {
        let stats = FootballStats {
            goals_for,
            won,
            ..FootballStats::default()
        };
        (
            aid(asset),
            AssetScore {
                asset: aid(asset),
                points,
                stats: AssetStats::Football(stats),
            },
        )
    };
    let scores: BTreeMap<AssetId, AssetScore> = [
        score("a", 10, 5, 1),
        score("b", 10, 5, 2),
        score("c", 10, 6, 0),
        score("d", 10, 5, 2),
        score("e", 12, 0, 0),
    ]
    .into_iter()
    .collect();
    let rosters = [
        roster("Amy", &["a"]),
        roster("bob", &["b"]),
        roster("Cal", &["c"]),
        roster("Dee", &["d"]),
        roster("Eve", &["e"]),
    ];
    let table = league_table(Sport::Football, &rosters, &scores);
    // Eve leads on points; Cal wins the 10-point tie on goals; bob and Dee are level on goals and
    // wins, share 3rd and are listed by name ignoring case; Amy has fewer wins.
    assert_eq!(
        summary(&table),
        vec![
            (1, "Eve", 12),
            (2, "Cal", 10),
            (3, "bob", 10),
            (3, "Dee", 10),
            (5, "Amy", 10)
        ]
    );
}

#[test]
fn cricket_ties_break_on_runs_then_wickets() {
    let score = |asset: &str, runs: u32, wickets: u32| {
        let stats = CricketStats {
            runs,
            wickets,
            ..CricketStats::default()
        };
        (
            aid(asset),
            AssetScore {
                asset: aid(asset),
                points: 100,
                stats: AssetStats::Cricket(stats),
            },
        )
    };
    let scores: BTreeMap<AssetId, AssetScore> =
        [score("a", 40, 3), score("b", 60, 2), score("c", 40, 4)]
            .into_iter()
            .collect();
    let table = league_table(
        Sport::Cricket,
        &[
            roster("A", &["a"]),
            roster("B", &["b"]),
            roster("C", &["c"]),
        ],
        &scores,
    );
    assert_eq!(
        summary(&table),
        vec![(1, "B", 100), (2, "C", 100), (3, "A", 100)]
    );
}

#[test]
fn before_any_result_the_table_is_all_zeros_by_name_with_a_shared_rank() {
    let table = league_table(
        Sport::Football,
        &[roster("zed", &["arsenal"]), roster("Amy", &["chelsea"])],
        &BTreeMap::new(),
    );
    assert_eq!(summary(&table), vec![(1, "Amy", 0), (1, "zed", 0)]);
    assert_eq!(table[1].assets, vec![(aid("arsenal"), 0)]);
    assert_eq!(table[1].stats, AssetStats::zero(Sport::Football));
}

#[test]
fn overrides_deserialise_from_partial_json_with_defaults() {
    let rules: ScoringRules =
        serde_json::from_str(r#"{"sport": "football", "win": 2}"#).expect("partial override");
    assert_eq!(
        rules,
        ScoringRules::Football(FootballRules {
            win: 2,
            ..FootballRules::default()
        })
    );
    let rules: ScoringRules =
        serde_json::from_str(r#"{"sport": "cricket", "run_out": 10}"#).expect("partial override");
    assert_eq!(
        rules,
        ScoringRules::Cricket(CricketRules {
            run_out: 10,
            ..CricketRules::default()
        })
    );
    assert!(
        serde_json::from_str::<ScoringRules>(r#"{"sport": "football", "wins": 2}"#).is_err(),
        "typos are refused"
    );
    assert_eq!(
        ScoringRules::default_for(Sport::Cricket).sport(),
        Sport::Cricket
    );
}

#[test]
fn rules_out_of_range_are_refused_with_the_rule_named() {
    let rules = ScoringRules::Cricket(CricketRules {
        stumping: 1_001,
        ..CricketRules::default()
    });
    assert_eq!(
        rules.validate().map_err(|error| error.to_string()),
        Err("the points for a stumping must be between -1000 and 1000 (got 1001)".to_owned())
    );
    let rules = ScoringRules::Football(FootballRules {
        goal_conceded: -1_001,
        ..FootballRules::default()
    });
    assert_eq!(
        rules.validate(),
        Err(ScoringRulesError {
            rule: "a goal conceded",
            value: -1_001
        })
    );
    assert_eq!(
        ScoringRules::default_for(Sport::Football).validate(),
        Ok(())
    );
}

#[test]
fn points_saturate_instead_of_overflowing() {
    let stats = FootballStats {
        won: u32::MAX,
        goals_for: u32::MAX,
        ..FootballStats::default()
    };
    let rules = FootballRules {
        win: 1_000,
        goal_scored: 1_000,
        ..FootballRules::default()
    };
    assert_eq!(stats.points(&rules), 2 * 1_000 * i64::from(u32::MAX));
    assert!(FixtureStatus::parse("FT").is_some() && FixtureStatus::parse("abandoned").is_none());
}

proptest::proptest! {
    #[test]
    fn the_table_adds_up_and_ranks_consistently(
        results in proptest::collection::vec((0_usize..6, 0_usize..6, 0_u8..6, 0_u8..6), 0..30),
        owners in proptest::collection::vec(0_usize..4, 6),
    ) {
        let clubs = ["a", "b", "c", "d", "e", "f"];
        let fixtures: Vec<Fixture> = results
            .iter()
            .enumerate()
            .filter(|(_, (home, away, _, _))| home != away)
            .map(|(index, (home, away, home_goals, away_goals))| {
                fixture(&format!("m{index}"), clubs[*home], clubs[*away], FixtureStatus::Finished, Some((*home_goals, *away_goals)))
            })
            .collect();
        let scores = football_scores(&FootballRules::default(), &fixtures);
        let managers = ["w", "x", "y", "z"];
        let rosters: Vec<Roster> = managers
            .iter()
            .enumerate()
            .map(|(index, name)| {
                let owned: Vec<&str> = clubs.iter().zip(&owners).filter(|(_, owner)| **owner == index).map(|(club, _)| *club).collect();
                roster(name, &owned)
            })
            .collect();
        let table = league_table(Sport::Football, &rosters, &scores);

        proptest::prop_assert_eq!(table.len(), managers.len());
        let total: i64 = table.iter().map(|row| row.points).sum();
        let owned_total: i64 = scores.values().map(|score| score.points).sum();
        proptest::prop_assert_eq!(total, owned_total, "every club is owned, so every point is in the table");
        for row in &table {
            proptest::prop_assert_eq!(row.points, row.assets.iter().map(|(_, points)| points).sum::<i64>());
        }
        proptest::prop_assert_eq!(table[0].rank, 1);
        for (index, pair) in table.windows(2).enumerate() {
            let (upper, lower) = (&pair[0], &pair[1]);
            let upper_key = (upper.points, upper.stats.tiebreakers());
            let lower_key = (lower.points, lower.stats.tiebreakers());
            proptest::prop_assert!(upper_key >= lower_key, "sorted");
            let expected_rank = if upper_key == lower_key { upper.rank } else { u32::try_from(index + 2).expect("small") };
            proptest::prop_assert_eq!(lower.rank, expected_rank);
        }
    }
}
