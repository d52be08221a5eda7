//! Unit tests of `setup`.

use super::*;
use crate::settings::NominationMode;

fn user(name: &str) -> UserId {
    UserId::try_new(name).unwrap()
}

fn asset(name: &str) -> AssetId {
    AssetId::try_new(name).unwrap()
}

fn valid() -> AuctionSetup {
    AuctionSetup {
        auction_id: AuctionId::try_new("a").unwrap(),
        league_name: "League".into(),
        settings: LeagueSettings {
            nomination: NominationMode::FixedOrder,
            ..LeagueSettings::default()
        },
        commissioner: user("comm"),
        managers: vec![
            Manager {
                id: user("ann"),
                name: "Ann".into(),
            },
            Manager {
                id: user("bob"),
                name: "Bob".into(),
            },
        ],
        assets: (1..=6)
            .map(|i| Asset {
                id: asset(&format!("a{i}")),
                name: format!("A{i}"),
                group: Some("club".into()),
            })
            .collect(),
        keepers: vec![],
    }
}

#[test]
fn a_valid_setup_has_no_warnings() {
    assert_eq!(valid().validate(), Ok(vec![]));
}

#[test]
fn validation_table() {
    type Tweak = fn(&mut AuctionSetup);
    let cases: Vec<(&str, Tweak, &str)> = vec![
        (
            "settings",
            |s| s.settings.roster_slots = 0,
            "roster slots must be between 1 and 40 (got 0)",
        ),
        (
            "blank league name",
            |s| s.league_name = "   ".into(),
            "league name must be 1 to 100 characters (got 0)",
        ),
        (
            "long league name",
            |s| s.league_name = "x".repeat(101),
            "league name must be 1 to 100 characters (got 101)",
        ),
        (
            "one manager",
            |s| s.managers.truncate(1),
            "at least 2 managers are needed (got 1)",
        ),
        (
            "too many managers",
            |s| {
                s.settings.max_managers = 2;
                s.managers.push(Manager {
                    id: user("cat"),
                    name: "Cat".into(),
                });
            },
            "at most 2 managers are allowed (got 3)",
        ),
        (
            "duplicate manager",
            |s| s.managers[1].id = user("ann"),
            "manager ann is listed more than once",
        ),
        (
            "blank manager name",
            |s| s.managers[0].name = "".into(),
            "manager ann: name must be 1 to 100 characters (got 0)",
        ),
        (
            "no assets",
            |s| s.assets.clear(),
            "the asset pool is empty: add at least one asset",
        ),
        (
            "too many assets",
            |s| {
                s.assets = (0..=MAX_ASSETS)
                    .map(|i| Asset {
                        id: asset(&format!("x{i}")),
                        name: "X".into(),
                        group: None,
                    })
                    .collect()
            },
            "the asset pool may hold at most 2000 assets (got 2001)",
        ),
        (
            "duplicate asset",
            |s| s.assets[1].id = asset("a1"),
            "asset a1 is listed more than once",
        ),
        (
            "blank asset name",
            |s| s.assets[2].name = " ".into(),
            "asset a3: name must be 1 to 100 characters (got 0)",
        ),
        (
            "long group",
            |s| s.assets[0].group = Some("g".repeat(61)),
            "asset a1: group must be at most 60 characters (got 61)",
        ),
        (
            "keeper for a stranger",
            |s| {
                s.keepers.push(Keeper {
                    manager: user("zed"),
                    asset: asset("a1"),
                    cost: Money(1),
                })
            },
            "keeper for zed: not a manager of this league",
        ),
        (
            "keeper of an unknown asset",
            |s| {
                s.keepers.push(Keeper {
                    manager: user("ann"),
                    asset: asset("zz"),
                    cost: Money(1),
                })
            },
            "keeper zz: not in the asset pool",
        ),
        (
            "asset kept twice",
            |s| {
                s.keepers.push(Keeper {
                    manager: user("ann"),
                    asset: asset("a1"),
                    cost: Money(1),
                });
                s.keepers.push(Keeper {
                    manager: user("bob"),
                    asset: asset("a1"),
                    cost: Money(1),
                });
            },
            "keeper a1: assigned more than once",
        ),
        (
            "more keepers than slots",
            |s| {
                for i in 1..=4 {
                    s.keepers.push(Keeper {
                        manager: user("ann"),
                        asset: asset(&format!("a{i}")),
                        cost: Money(1),
                    });
                }
            },
            "ann has 4 keepers but only 3 roster slots",
        ),
        (
            "keepers too expensive",
            |s| {
                s.keepers.push(Keeper {
                    manager: user("bob"),
                    asset: asset("a1"),
                    cost: Money::millions(499),
                })
            },
            "bob's keepers cost 499,000,000, but the budget of 500,000,000 must also keep 1,000,000 for each of their 2 other empty slots",
        ),
    ];
    for (name, tweak, message) in cases {
        let mut setup = valid();
        tweak(&mut setup);
        let error = setup.validate().expect_err(name);
        assert_eq!(error.to_string(), message, "{name}");
    }
}

#[test]
fn the_most_expensive_feasible_keeper_is_accepted() {
    let mut setup = valid();
    setup.keepers.push(Keeper {
        manager: user("bob"),
        asset: asset("a1"),
        cost: Money::millions(498),
    });
    assert_eq!(setup.validate(), Ok(vec![]));
}

#[test]
fn too_few_assets_is_a_warning() {
    let mut setup = valid();
    setup.assets.truncate(4);
    setup.keepers.push(Keeper {
        manager: user("ann"),
        asset: asset("a1"),
        cost: Money(1),
    });
    let warnings = setup.validate().unwrap();
    assert_eq!(
        warnings,
        vec![SetupWarning::FewerAssetsThanSlots {
            assets: 3,
            empty_slots: 5
        }]
    );
    assert_eq!(
        warnings[0].to_string(),
        "only 3 assets to auction for 5 empty roster slots: some rosters will not be filled"
    );
}
