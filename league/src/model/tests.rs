//! The authorization matrix, validated text, and the league's membership and setup rules.

use super::*;
use crate::scoring::{CricketRules, FootballRules};
use crate::test_util::{aid, asset, auction_id, league_with, lid, settings, t0, uid, user};
use auction::money::Money;
use auction::setup::SetupError;

// === the authorization matrix ===

/// Who, in the matrix test, performs an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Commissioner,
    PlayingCommissioner,
    Manager,
    Spectator,
    ManagerOfAnotherLeague,
    Anonymous,
}

const CALLERS: [Caller; 6] = [
    Caller::Commissioner,
    Caller::PlayingCommissioner,
    Caller::Manager,
    Caller::Spectator,
    Caller::ManagerOfAnotherLeague,
    Caller::Anonymous,
];

/// The expected permissions, written as product rules rather than as a copy of the table.
fn expected(action: Action, caller: Caller) -> bool {
    use Action::*;
    let commissioner_controls = [
        EditSettings,
        DeleteLeague,
        CreateInvite,
        ManageInvites,
        RemoveMember,
        ImportManagers,
        LoadAssetPool,
        SetKeepers,
        EditScoring,
        StartAuction,
        BeginAuction,
        PauseAuction,
        ResumeAuction,
        CloseLot,
        UndoLastSale,
        EndAuction,
        SetAutoPassForManager,
        ImportFixtures,
        ImportPerformances,
    ];
    let member_reads = [
        ViewLeague,
        ViewMembers,
        ViewAssetPool,
        WatchAuction,
        ViewResults,
        ViewFixtures,
        ViewTable,
    ];
    let bidding = [PlaceBid, SetProxy, Pass, Nominate, SetOwnAutoPass];
    let is_commissioner = matches!(caller, Caller::Commissioner | Caller::PlayingCommissioner);
    let is_member = is_commissioner || matches!(caller, Caller::Manager | Caller::Spectator);
    let bids = matches!(caller, Caller::PlayingCommissioner | Caller::Manager);
    if commissioner_controls.contains(&action) {
        is_commissioner
    } else if member_reads.contains(&action) {
        is_member
    } else if bidding.contains(&action) {
        bids
    } else {
        match action {
            ExportResults => is_commissioner || caller == Caller::Manager,
            LeaveLeague => matches!(caller, Caller::Manager | Caller::Spectator),
            JoinWithInvite => caller == Caller::ManagerOfAnotherLeague,
            other => panic!("{other:?} is not classified in the matrix test: decide who may do it"),
        }
    }
}

#[test]
fn authorization_matrix_every_action_for_every_kind_of_caller() {
    let mut league = league_with("a", "commish", &["manager"], 8);
    league
        .join(&uid("spectator"), JoinRole::Spectator, t0())
        .expect("spectator joins");
    let mut playing = League::create(
        NewLeague {
            id: lid("p"),
            name: "Playing".into(),
            settings: settings(Sport::Football, 8),
            commissioner: uid("player-commish"),
            commissioner_plays: true,
        },
        t0(),
    )
    .expect("valid league");
    playing
        .join(&uid("manager"), JoinRole::Manager, t0())
        .expect("joins");
    let other = league_with("b", "other-commish", &["other"], 8);
    assert!(other.is_manager(&uid("other")));

    let mut mismatches = Vec::new();
    for action in Action::ALL {
        for caller in CALLERS {
            let allowed = match caller {
                Caller::Commissioner => league.can(Some(&uid("commish")), action),
                Caller::PlayingCommissioner => playing.can(Some(&uid("player-commish")), action),
                Caller::Manager => league.can(Some(&uid("manager")), action),
                Caller::Spectator => league.can(Some(&uid("spectator")), action),
                Caller::ManagerOfAnotherLeague => league.can(Some(&uid("other")), action),
                Caller::Anonymous => league.can(None, action),
            };
            if allowed != expected(action, caller) {
                mismatches.push(format!("{action:?} by {caller:?}: allowed = {allowed}"));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "authorization table disagrees with the product rules:\n{}",
        mismatches.join("\n")
    );
}

#[test]
fn commissioner_controls_are_refused_to_everyone_but_the_commissioner() {
    // The predecessor let anyone start, pause, resume, skip and end an auction.
    let mut league = league_with("a", "commish", &["manager"], 8);
    league
        .join(&uid("spectator"), JoinRole::Spectator, t0())
        .expect("joins");
    for action in [
        Action::StartAuction,
        Action::BeginAuction,
        Action::PauseAuction,
        Action::ResumeAuction,
        Action::CloseLot,
        Action::UndoLastSale,
        Action::EndAuction,
    ] {
        assert!(league.can(Some(&uid("commish")), action), "{action:?}");
        for caller in [
            Some(uid("manager")),
            Some(uid("spectator")),
            Some(uid("stranger")),
            None,
        ] {
            assert!(
                !league.can(caller.as_ref(), action),
                "{action:?} by {caller:?}"
            );
        }
    }
}

#[test]
fn the_table_has_one_row_per_action_in_declaration_order() {
    assert_eq!(PERMISSIONS.len(), Action::ALL.len());
    for (index, (row, action)) in PERMISSIONS.iter().zip(Action::ALL).enumerate() {
        assert_eq!(row.action, action, "row {index}");
        assert_eq!(
            action as usize, index,
            "{action:?} is declared out of order"
        );
        assert_eq!(access::permission(action).action, action);
    }
    let anonymous_allowed: Vec<Action> = Action::ALL
        .into_iter()
        .filter(|action| access::allowed(*action, Audience::Anonymous))
        .collect();
    assert_eq!(
        anonymous_allowed,
        Vec::<Action>::new(),
        "anonymous callers may do nothing to a league"
    );
}

#[test]
fn audience_reflects_membership_and_playing_flag() {
    let league = league_with("a", "commish", &["manager"], 8);
    assert_eq!(
        league.audience_of(Some(&uid("commish"))),
        Audience::Commissioner { plays: false }
    );
    assert_eq!(league.audience_of(Some(&uid("manager"))), Audience::Manager);
    assert_eq!(league.audience_of(Some(&uid("nobody"))), Audience::Outsider);
    assert_eq!(league.audience_of(None), Audience::Anonymous);
}

// === validated text ===

#[test]
fn emails_are_normalised_and_validated() {
    assert_eq!(
        Email::parse("  Bob.Smith+draft@Example.CO.uk ").map(|e| e.to_string()),
        Ok("bob.smith+draft@example.co.uk".into())
    );
    let cases = [
        ("", EmailError::Empty),
        ("   ", EmailError::Empty),
        ("bob@", EmailError::Invalid),
        ("@example.com", EmailError::Invalid),
        ("bob", EmailError::Invalid),
        ("bob@example", EmailError::Invalid),
        ("bob@@example.com", EmailError::Invalid),
        ("bob smith@example.com", EmailError::Invalid),
        ("bob@exa_mple.com", EmailError::Invalid),
        ("bob@-example.com", EmailError::Invalid),
        ("bob..smith@example.com", EmailError::Invalid),
        ("bob@example.c0m", EmailError::Invalid),
        ("\"bob\"@example.com", EmailError::Invalid),
    ];
    for (raw, expected) in cases {
        assert_eq!(Email::parse(raw), Err(expected), "{raw:?}");
    }
    let long = format!("{}@example.com", "a".repeat(250));
    assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
    assert_eq!(EmailError::Invalid.to_string(), "is not an email address");
}

#[test]
fn email_deserialisation_validates() {
    let email: Email = serde_json::from_str("\"Ann@Example.com\"").expect("valid");
    assert_eq!(email.as_str(), "ann@example.com");
    assert!(serde_json::from_str::<Email>("\"not-an-email\"").is_err());
}

#[test]
fn names_are_trimmed_and_refuse_formulas_controls_and_length() {
    assert_eq!(validate_name("  Arsenal  "), Ok("Arsenal".to_owned()));
    assert_eq!(validate_name("Bodø/Glimt"), Ok("Bodø/Glimt".to_owned()));
    assert_eq!(validate_name(""), Err(NameError::Empty));
    assert_eq!(validate_name("=1+1"), Err(NameError::FormulaPrefix('=')));
    assert_eq!(
        validate_name("@SUM(A1)"),
        Err(NameError::FormulaPrefix('@'))
    );
    assert_eq!(validate_name("-Bob"), Err(NameError::FormulaPrefix('-')));
    assert_eq!(
        validate_name("Bob\nSmith"),
        Err(NameError::ControlCharacter)
    );
    assert_eq!(validate_name(&"x".repeat(61)), Err(NameError::TooLong));
    assert_eq!(
        validate_name(&"é".repeat(60)).map(|name| name.chars().count()),
        Ok(60)
    );
    assert_eq!(
        NameError::FormulaPrefix('=').to_string(),
        "starts with '=', which spreadsheets run as a formula"
    );
}

#[test]
fn league_ids_are_validated_on_construction_and_deserialisation() {
    assert_eq!(
        LeagueId::try_new("pilot-2025_a").map(|id| id.to_string()),
        Ok("pilot-2025_a".into())
    );
    assert!(LeagueId::try_new("").is_err());
    assert!(LeagueId::try_new("a b").is_err());
    assert!(LeagueId::try_new("x".repeat(65)).is_err());
    assert!(serde_json::from_str::<LeagueId>("\"a/b\"").is_err());
    assert_eq!(
        LeagueId::try_new("a b").expect_err("invalid").to_string(),
        "a league id must be 1 to 64 characters of letters, digits and _ . : @ - (got \"a b\")"
    );
}

#[test]
fn default_user_name_comes_from_the_email() {
    assert_eq!(
        User::default_name(&Email::parse("ann.lee@example.com").expect("valid")),
        "ann.lee"
    );
    assert_eq!(
        User::default_name(&Email::parse("-x@example.com").expect("valid")),
        "Manager"
    );
}

// === creating and joining ===

#[test]
fn create_validates_name_and_settings_and_makes_the_commissioner_a_member() {
    let league = league_with("a", "commish", &[], 8);
    assert_eq!(league.role_of(&uid("commish")), Some(Role::Commissioner));
    assert_eq!(league.manager_count(), 0);
    assert_eq!(league.status(), &LeagueStatus::Open);
    assert_eq!(
        league.scoring(),
        &ScoringRules::Football(FootballRules::default())
    );

    let new = |name: &str, max_managers: u8| NewLeague {
        id: lid("x"),
        name: name.into(),
        settings: settings(Sport::Football, max_managers),
        commissioner: uid("c"),
        commissioner_plays: false,
    };
    assert_eq!(
        League::create(new("  ", 8), t0()),
        Err(LeagueError::Name(NameError::Empty))
    );
    assert!(matches!(
        League::create(new("Fine", 31), t0()),
        Err(LeagueError::Settings(_))
    ));
}

#[test]
fn join_enforces_the_manager_limit_and_duplicates() {
    let mut league = league_with("a", "commish", &["m1"], 2);
    league
        .join(&uid("m2"), JoinRole::Manager, t0())
        .expect("second manager fits");
    assert_eq!(league.free_manager_places(), 0);
    assert_eq!(
        league.join(&uid("m3"), JoinRole::Manager, t0()),
        Err(JoinError::LeagueFull { max_managers: 2 })
    );
    assert_eq!(
        league.join(&uid("m1"), JoinRole::Manager, t0()),
        Err(JoinError::AlreadyMember {
            role: Role::Manager
        })
    );
    assert_eq!(
        league.join(&uid("commish"), JoinRole::Spectator, t0()),
        Err(JoinError::AlreadyMember {
            role: Role::Commissioner
        })
    );
    // Spectators do not count toward the limit.
    league
        .join(&uid("fan"), JoinRole::Spectator, t0())
        .expect("spectators are unlimited");
    assert_eq!(league.manager_ids(), vec![uid("m1"), uid("m2")]);
    assert_eq!(
        JoinError::LeagueFull { max_managers: 2 }.to_string(),
        "this league is full: it already has its maximum of 2 managers"
    );
}

#[test]
fn join_all_adds_everyone_or_no_one() {
    let mut league = league_with("a", "commish", &["m1"], 3);
    let before = league.clone();
    assert_eq!(
        league.join_all(&[uid("m2"), uid("m3"), uid("m4")], JoinRole::Manager, t0()),
        Err((uid("m4"), JoinError::LeagueFull { max_managers: 3 }))
    );
    assert_eq!(league, before, "a refused bulk join changes nothing");
    assert_eq!(
        league.join_all(&[uid("m2"), uid("m2")], JoinRole::Manager, t0()),
        Err((
            uid("m2"),
            JoinError::AlreadyMember {
                role: Role::Manager
            }
        ))
    );
    assert_eq!(league, before);
    league
        .join_all(&[uid("m2"), uid("m3")], JoinRole::Manager, t0())
        .expect("both fit");
    assert_eq!(league.manager_ids(), vec![uid("m1"), uid("m2"), uid("m3")]);
}

#[test]
fn a_playing_commissioner_counts_toward_the_manager_limit() {
    let mut league = League::create(
        NewLeague {
            id: lid("p"),
            name: "Playing".into(),
            settings: settings(Sport::Football, 2),
            commissioner: uid("commish"),
            commissioner_plays: true,
        },
        t0(),
    )
    .expect("valid");
    assert!(league.is_manager(&uid("commish")));
    league
        .join(&uid("m1"), JoinRole::Manager, t0())
        .expect("fits");
    assert_eq!(
        league.join(&uid("m2"), JoinRole::Manager, t0()),
        Err(JoinError::LeagueFull { max_managers: 2 })
    );
    assert_eq!(league.manager_ids(), vec![uid("commish"), uid("m1")]);
}

#[test]
fn managers_cannot_join_or_leave_once_the_auction_started_but_spectators_can() {
    let mut league = league_with("a", "commish", &["m1", "m2"], 8);
    league
        .join(&uid("fan"), JoinRole::Spectator, t0())
        .expect("joins");
    league
        .set_asset_pool(vec![asset("arsenal", "Arsenal")])
        .expect("valid pool");
    league.start_auction(auction_id("auc-1")).expect("starts");

    assert_eq!(
        league.join(&uid("late"), JoinRole::Manager, t0()),
        Err(JoinError::AuctionStarted)
    );
    league
        .join(&uid("late-fan"), JoinRole::Spectator, t0())
        .expect("spectators can join a live auction");
    assert_eq!(league.leave(&uid("m1")), Err(LeaveError::AuctionStarted));
    assert_eq!(
        league.leave(&uid("fan")).map(|member| member.role),
        Ok(Role::Spectator)
    );
}

#[test]
fn leave_refuses_the_commissioner_and_strangers_and_drops_keepers() {
    let mut league = league_with("a", "commish", &["m1", "m2"], 8);
    league
        .set_asset_pool(vec![
            asset("arsenal", "Arsenal"),
            asset("chelsea", "Chelsea"),
        ])
        .expect("valid");
    league
        .set_keepers(vec![Keeper {
            manager: uid("m1"),
            asset: aid("arsenal"),
            cost: Money::millions(10),
        }])
        .expect("valid keeper");
    assert_eq!(
        league.leave(&uid("commish")),
        Err(LeaveError::CommissionerCannotLeave)
    );
    assert_eq!(league.leave(&uid("nobody")), Err(LeaveError::NotAMember));
    league
        .leave(&uid("m1"))
        .expect("a manager may leave an open league");
    assert_eq!(league.role_of(&uid("m1")), None);
    assert!(
        league.keepers().is_empty(),
        "the leaver's keepers go with them"
    );
}

// === setup changes ===

#[test]
fn settings_change_only_while_open_and_never_below_the_current_managers() {
    let mut league = league_with("a", "commish", &["m1", "m2", "m3"], 8);
    assert_eq!(
        league.update_settings(settings(Sport::Football, 2)),
        Err(LeagueError::LimitBelowMembers {
            managers: 3,
            requested: 2
        })
    );
    assert_eq!(
        league.update_settings(settings(Sport::Cricket, 8)),
        Err(LeagueError::SportChanged)
    );
    league
        .update_settings(settings(Sport::Football, 3))
        .expect("3 fits 3 managers");
    assert_eq!(league.settings().max_managers, 3);

    league
        .set_asset_pool(vec![asset("arsenal", "Arsenal")])
        .expect("valid");
    league.start_auction(auction_id("auc-1")).expect("starts");
    assert_eq!(
        league.update_settings(settings(Sport::Football, 8)),
        Err(LeagueError::NotOpen)
    );
    assert_eq!(
        league.set_asset_pool(vec![asset("chelsea", "Chelsea")]),
        Err(LeagueError::NotOpen)
    );
    assert_eq!(league.set_keepers(Vec::new()), Err(LeagueError::NotOpen));
    league
        .rename("Renamed while live")
        .expect("renaming is always allowed");
}

#[test]
fn asset_pool_is_validated_and_warns_when_too_small() {
    let mut league = league_with("a", "commish", &["m1", "m2"], 8);
    assert_eq!(
        league.set_asset_pool(Vec::new()),
        Err(LeagueError::EmptyPool)
    );
    assert_eq!(
        league.set_asset_pool(vec![
            asset("arsenal", "Arsenal"),
            asset("arsenal", "Arsenal FC")
        ]),
        Err(LeagueError::DuplicateAsset(aid("arsenal")))
    );
    assert_eq!(
        league.set_asset_pool(vec![asset("x", "=cmd")]),
        Err(LeagueError::AssetName {
            asset: aid("x"),
            problem: NameError::FormulaPrefix('=')
        })
    );
    let huge: Vec<Asset> = (0..=MAX_POOL_ASSETS)
        .map(|n| asset(&format!("a{n}"), &format!("Asset {n}")))
        .collect();
    assert_eq!(
        league.set_asset_pool(huge),
        Err(LeagueError::PoolTooLarge {
            assets: MAX_POOL_ASSETS + 1
        })
    );

    // 2 managers × 3 slots = 6 places, 4 assets.
    let warnings = league
        .set_asset_pool(
            (0..4)
                .map(|n| asset(&format!("a{n}"), &format!("Asset {n}")))
                .collect(),
        )
        .expect("valid");
    assert_eq!(
        warnings,
        vec![PoolWarning::FewerAssetsThanPlaces {
            assets: 4,
            places: 6
        }]
    );
    assert_eq!(
        warnings[0].to_string(),
        "the pool has 4 assets to auction for 6 roster places, so some rosters will not fill"
    );
    let warnings = league
        .set_asset_pool(
            (0..6)
                .map(|n| asset(&format!("a{n}"), &format!("Asset {n}")))
                .collect(),
        )
        .expect("valid");
    assert!(warnings.is_empty());
}

#[test]
fn keepers_must_be_managers_pool_assets_unique_and_within_slots() {
    let mut league = league_with("a", "commish", &["m1"], 8);
    league
        .join(&uid("fan"), JoinRole::Spectator, t0())
        .expect("joins");
    let pool: Vec<Asset> = ["a", "b", "c", "d"]
        .iter()
        .map(|id| asset(id, &id.to_uppercase()))
        .collect();
    league.set_asset_pool(pool).expect("valid");
    let keeper = |manager: &str, asset: &str| Keeper {
        manager: uid(manager),
        asset: aid(asset),
        cost: Money::millions(1),
    };

    assert_eq!(
        league.set_keepers(vec![keeper("fan", "a")]),
        Err(LeagueError::KeeperNotAManager {
            manager: uid("fan"),
            asset: aid("a")
        })
    );
    assert_eq!(
        league.set_keepers(vec![keeper("m1", "zzz")]),
        Err(LeagueError::KeeperNotInPool { asset: aid("zzz") })
    );
    assert_eq!(
        league.set_keepers(vec![keeper("m1", "a"), keeper("m1", "a")]),
        Err(LeagueError::DuplicateKeeper { asset: aid("a") })
    );
    assert_eq!(
        league.set_keepers(vec![
            keeper("m1", "a"),
            keeper("m1", "b"),
            keeper("m1", "c"),
            keeper("m1", "d")
        ]),
        Err(LeagueError::TooManyKeepers {
            manager: uid("m1"),
            keepers: 4,
            slots: 3
        })
    );
    league.set_keepers(vec![keeper("m1", "a")]).expect("valid");
    assert_eq!(
        league.set_asset_pool(vec![asset("b", "B")]),
        Err(LeagueError::PoolDropsKeeper { asset: aid("a") })
    );
    let one_slot = LeagueSettings {
        roster_slots: 1,
        ..settings(Sport::Football, 8)
    };
    league
        .update_settings(one_slot)
        .expect("one keeper fits one slot");
}

#[test]
fn keepers_must_leave_budget_for_the_other_empty_slots() {
    // Budget £500m, 3 slots, £1m minimum opening bid: two keepers may cost at most £499m together.
    let mut league = league_with("a", "commish", &["m1", "m2"], 8);
    league
        .set_asset_pool(vec![asset("a", "A"), asset("b", "B"), asset("c", "C")])
        .expect("valid");
    let keeper = |asset: &str, millions: u64| Keeper {
        manager: uid("m1"),
        asset: aid(asset),
        cost: Money::millions(millions),
    };
    let error = league
        .set_keepers(vec![keeper("a", 400), keeper("b", 100)])
        .expect_err("no money left for slot 3");
    assert_eq!(
        error.to_string(),
        "m1's keepers cost £500m of a £500m budget, which must also keep £1m for each of their 1 other empty slots"
    );
    league
        .set_keepers(vec![keeper("a", 400), keeper("b", 99)])
        .expect("£1m left for the last slot");
    let poorer = LeagueSettings {
        budget: Money::millions(450),
        ..settings(Sport::Football, 8)
    };
    assert!(matches!(
        league.update_settings(poorer),
        Err(LeagueError::KeeperCostTooHigh { .. })
    ));
    assert_eq!(
        league.settings().budget,
        Money::millions(500),
        "a refused change leaves the settings alone"
    );
}

#[test]
fn scoring_rules_must_match_the_sport_and_be_in_range() {
    let mut league = league_with("a", "commish", &[], 8);
    assert_eq!(
        league.set_scoring(ScoringRules::Cricket(CricketRules::default())),
        Err(LeagueError::ScoringSport {
            rules: Sport::Cricket,
            league: Sport::Football
        })
    );
    let silly = ScoringRules::Football(FootballRules {
        win: 5_000,
        ..FootballRules::default()
    });
    assert_eq!(
        league.set_scoring(silly).map_err(|error| error.to_string()),
        Err(
            "invalid scoring rules: the points for a win must be between -1000 and 1000 (got 5000)"
                .to_owned()
        )
    );
    let custom = ScoringRules::Football(FootballRules {
        win: 2,
        goal_conceded: -1,
        ..FootballRules::default()
    });
    league.set_scoring(custom.clone()).expect("valid override");
    assert_eq!(league.scoring(), &custom);
}

// === the auction ===

#[test]
fn start_requires_enough_managers_and_a_pool_then_complete_requires_the_same_auction() {
    let mut league = league_with("a", "commish", &["m1"], 8);
    assert_eq!(
        league.start_auction(auction_id("auc-1")),
        Err(LeagueError::TooFewManagers { have: 1, need: 2 })
    );
    league
        .join(&uid("m2"), JoinRole::Manager, t0())
        .expect("joins");
    assert_eq!(
        league.start_auction(auction_id("auc-1")),
        Err(LeagueError::EmptyPool)
    );
    league
        .set_asset_pool(vec![asset("arsenal", "Arsenal")])
        .expect("valid");
    assert_eq!(
        league.complete_auction(&auction_id("auc-1")),
        Err(LeagueError::NoAuctionRunning)
    );
    league.start_auction(auction_id("auc-1")).expect("starts");
    assert_eq!(
        league.start_auction(auction_id("auc-2")),
        Err(LeagueError::NotOpen)
    );
    assert_eq!(
        league.complete_auction(&auction_id("auc-2")),
        Err(LeagueError::WrongAuction(auction_id("auc-2")))
    );
    league
        .complete_auction(&auction_id("auc-1"))
        .expect("completes");
    assert_eq!(
        league.status(),
        &LeagueStatus::Completed {
            auction_id: auction_id("auc-1")
        }
    );
}

#[test]
fn auction_setup_carries_managers_with_names_pool_and_keepers() {
    let mut league = league_with("a", "commish", &["m1", "m2"], 8);
    league
        .join(&uid("fan"), JoinRole::Spectator, t0())
        .expect("joins");
    league
        .set_asset_pool(vec![
            asset("arsenal", "Arsenal"),
            asset("chelsea", "Chelsea"),
        ])
        .expect("valid");
    let users = vec![user("m1"), user("m2"), user("fan"), user("commish")];
    let setup = league
        .auction_setup(auction_id("auc-1"), &users)
        .expect("all users supplied");
    assert_eq!(
        setup.managers,
        vec![
            Manager {
                id: uid("m1"),
                name: "User m1".into()
            },
            Manager {
                id: uid("m2"),
                name: "User m2".into()
            },
        ]
    );
    assert_eq!(setup.commissioner, uid("commish"));
    assert_eq!(setup.assets.len(), 2);
    assert_eq!(setup.league_name, "League a");
    assert_eq!(
        league.auction_setup(auction_id("auc-1"), &users[..1]),
        Err(LeagueError::UnknownUser(uid("m2")))
    );
    let mut lonely = league_with("b", "commish", &["m1"], 8);
    lonely
        .set_asset_pool(vec![asset("arsenal", "Arsenal")])
        .expect("valid");
    assert_eq!(
        lonely.auction_setup(auction_id("auc-2"), &users),
        Err(LeagueError::Setup(SetupError::TooFewManagers {
            have: 1,
            min: 2
        }))
    );
}

#[test]
fn league_round_trips_through_serde() {
    let mut league = league_with("a", "commish", &["m1", "m2"], 8);
    league
        .set_asset_pool(vec![asset("arsenal", "Arsenal")])
        .expect("valid");
    let json = serde_json::to_string(&league).expect("serialises");
    let back: League = serde_json::from_str(&json).expect("deserialises");
    assert_eq!(back, league);
}
