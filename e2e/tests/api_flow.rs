//! The whole API over real HTTP against running processes (a store server, a node and a
//! `--dev-login` gateway): a commissioner signs in, creates a league, loads a pool, invites people
//! in by link (a new person, a signed-in one, a spectator), starts the auction; the draft runs
//! over the websocket, where only members may watch; results come back as JSON and CSV; fixtures
//! are imported and the table computed. Every answer is checked against `docs/openapi.json`.
//! Also: the demo league that `--seed-demo` creates.

mod api_common;

use std::time::Duration;

use api_common::{Gateway, WAIT, command, connect, subscribe, world};
use auction::{AuctionId, IdempotencyKey, LotNumber, Money};
use e2e::Harness;
use protocol::client::{AuctionCommand, ErrorCode, ServerFrame};
use serde_json::json;
use tokio::time::Instant;

fn bid(lot: u32, millions: u64, key: &str) -> AuctionCommand {
    AuctionCommand::Bid {
        lot: LotNumber(lot),
        amount: Money::millions(millions),
        key: IdempotencyKey::try_new(key).expect("a valid key"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_league_from_sign_in_through_the_draft_to_the_table() {
    let world = world().await;
    let http = &world.http;

    // --- the commissioner sets the league up ---
    let (commish, commish_id) = http.sign_in("casey@club.example", "Casey").await;
    let league = http
        .league(
            &commish,
            json!({
                "name": "Club Pilot",
                "settings": {
                    "roster_slots": 1,
                    "min_managers": 2,
                    "max_managers": 3,
                    "nomination": { "mode": "fixed_order" },
                    "gap_between_lots": 0,
                    "anti_snipe": 0
                }
            }),
        )
        .await;
    let view = http
        .get(&format!("/api/leagues/{league}"), Some(&commish))
        .await
        .expect(200);
    assert_eq!(view.json["your_role"], "commissioner");
    assert_eq!(view.json["commissioner"], commish_id.as_str());
    assert_eq!(
        view.json["settings"]["budget"], 500_000_000,
        "absent settings take the pilot's defaults"
    );
    assert!(
        view.json["allowed"]
            .as_array()
            .expect("a list")
            .contains(&json!("start_auction"))
    );

    let pool = http
        .put_csv(
            &format!("/api/leagues/{league}/pool"),
            Some(&commish),
            "\u{feff}id,name,group\r\narsenal,Arsenal,London\r\nchelsea,Chelsea,London\r\n",
        )
        .await
        .expect(200);
    assert_eq!(pool.json["assets"], 2);
    let exported = http
        .get(
            &format!("/api/leagues/{league}/pool?format=csv"),
            Some(&commish),
        )
        .await
        .expect(200);
    assert_eq!(exported.headers["content-type"], "text/csv; charset=utf-8");
    assert!(
        exported
            .text
            .starts_with("\u{feff}id,name,group\r\narsenal,Arsenal,London")
    );

    // --- people get in by invite link ---
    let created = http
        .post(
            &format!("/api/leagues/{league}/invites"),
            Some(&commish),
            json!({ "role": "manager", "max_uses": 5 }),
        )
        .await
        .expect(201);
    let code = created.json["code"].as_str().expect("a code").to_owned();
    let link = created.json["link"].as_str().expect("a link");
    let path = link
        .strip_prefix(&format!("http://127.0.0.1:{}", world.gateway.port))
        .expect("the public url");
    let opened = http.get(path, None).await.expect(303);
    assert_eq!(
        opened.headers["location"],
        format!("/#join={}", code.replace('-', ""))
    );
    let preview = http
        .post("/api/invites/preview", None, json!({ "code": code }))
        .await
        .expect(200);
    assert_eq!(preview.json["league_name"], "Club Pilot");
    assert_eq!(preview.json["commissioner"], "Casey");
    assert_eq!(preview.json["role"], "manager");

    // A new person joins without an account: one is created and signed in.
    let joined = http
        .post(
            "/api/invites/accept",
            None,
            json!({ "code": code, "email": "ann@club.example", "name": "Ann" }),
        )
        .await
        .expect(200);
    assert_eq!(joined.json["status"], "joined");
    assert_eq!(joined.json["role"], "manager");
    let ann = joined.json["session"]["token"]
        .as_str()
        .expect("a session")
        .to_owned();
    // Someone who already has an account must sign in first: nobody is signed in by the code.
    let (bob, _) = http.sign_in("bob@club.example", "Bob").await;
    let existing = http
        .post(
            "/api/invites/accept",
            None,
            json!({ "code": code, "email": "bob@club.example", "name": "Not Bob" }),
        )
        .await
        .expect(202);
    assert_eq!(existing.json["status"], "sign_in_required");
    assert!(existing.json.get("session").is_none());
    assert!(
        existing.json["dev_link"]["link"]
            .as_str()
            .expect("dev mode")
            .contains(&format!("&join={code}")),
        "the mailed link carries the code so the client can accept once signed in"
    );
    http.join(&bob, &code).await.expect(200);
    let again = http.join(&bob, &code).await.expect(403);
    assert_eq!(
        again.message(),
        "You are already a member of this league (as manager)."
    );
    let spectator_code = http.invite(&commish, &league, "spectator").await;
    let (sam, _) = http.sign_in("sam@club.example", "Sam").await;
    http.join(&sam, &spectator_code).await.expect(200);
    let (olly, _) = http.sign_in("olly@elsewhere.example", "Olly").await;

    let me = http.get("/api/me", Some(&ann)).await.expect(200);
    assert_eq!(me.json["user"]["name"], "Ann");
    assert_eq!(me.json["leagues"][0]["id"], league.as_str());
    assert_eq!(me.json["leagues"][0]["role"], "manager");
    let spectators = http
        .get(&format!("/api/leagues/{league}/spectators"), Some(&bob))
        .await
        .expect(200);
    assert_eq!(spectators.json["spectators"][0]["name"], "Sam");

    // --- the auction ---
    let started = http
        .post_empty(&format!("/api/leagues/{league}/auction"), Some(&commish))
        .await
        .expect(201);
    let auction_id = started.json["auction_id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let repeated = http
        .post_empty(&format!("/api/leagues/{league}/auction"), Some(&commish))
        .await
        .expect(200);
    assert_eq!(repeated.json["auction_id"], auction_id.as_str());
    let late = http.join(&olly, &code).await.expect(409);
    assert_eq!(late.code(), "auction_started");
    let auction = AuctionId::try_new(auction_id.clone()).expect("valid");

    let url = world.gateway.ws_url();
    let mut commish_ws = connect(&url, &commish).await;
    let mut ann_ws = connect(&url, &ann).await;
    let mut bob_ws = connect(&url, &bob).await;
    let mut sam_ws = connect(&url, &sam).await;
    let mut olly_ws = connect(&url, &olly).await;
    for client in [&mut commish_ws, &mut ann_ws, &mut bob_ws, &mut sam_ws] {
        let snapshot = subscribe(client, &auction).await;
        assert!(
            matches!(snapshot, ServerFrame::Snapshot { .. }),
            "members watch: {snapshot:?}"
        );
    }
    let refused = subscribe(&mut olly_ws, &auction).await;
    assert!(
        matches!(
            refused,
            ServerFrame::Error {
                code: ErrorCode::Forbidden,
                ..
            }
        ),
        "an outsider may not watch: {refused:?}"
    );

    // The rules on the node authorize commands: a spectator cannot begin, a manager cannot skip.
    let by_spectator = command(&mut sam_ws, &auction, AuctionCommand::Begin).await;
    assert!(
        matches!(&by_spectator, ServerFrame::Refused { code, .. } if code == "not_commissioner"),
        "{by_spectator:?}"
    );
    let begun = command(&mut commish_ws, &auction, AuctionCommand::Begin).await;
    assert!(matches!(begun, ServerFrame::Ack { .. }), "{begun:?}");
    let spectator_bid = command(&mut sam_ws, &auction, bid(1, 2, "sam-1")).await;
    assert!(
        matches!(&spectator_bid, ServerFrame::Refused { code, .. } if code == "not_a_manager"),
        "{spectator_bid:?}"
    );
    let accepted = command(&mut ann_ws, &auction, bid(1, 5, "ann-1")).await;
    assert!(matches!(accepted, ServerFrame::Ack { .. }), "{accepted:?}");
    let skip_by_manager = command(
        &mut bob_ws,
        &auction,
        AuctionCommand::Skip {
            lot: Some(LotNumber(1)),
        },
    )
    .await;
    assert!(
        matches!(&skip_by_manager, ServerFrame::Refused { code, .. } if code == "not_commissioner")
    );
    let sold = command(
        &mut commish_ws,
        &auction,
        AuctionCommand::Skip {
            lot: Some(LotNumber(1)),
        },
    )
    .await;
    assert!(matches!(sold, ServerFrame::Ack { .. }), "{sold:?}");
    // Lot 2 opens after the (zero) gap; Bob bids on it once it is open.
    let deadline = Instant::now() + WAIT;
    loop {
        match command(&mut bob_ws, &auction, bid(2, 3, "bob-1")).await {
            ServerFrame::Ack { .. } => break,
            ServerFrame::Refused { code, .. } if code == "between_lots" || code == "wrong_lot" => {
                assert!(Instant::now() < deadline, "lot 2 never opened");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => panic!("Bob's bid: {other:?}"),
        }
    }
    // With Ann's roster full nobody can outbid Bob, so the rules may sell at once and end the
    // auction; otherwise the commissioner closes the lot.
    let closed = command(
        &mut commish_ws,
        &auction,
        AuctionCommand::Skip {
            lot: Some(LotNumber(2)),
        },
    )
    .await;
    assert!(
        matches!(&closed, ServerFrame::Ack { .. })
            || matches!(&closed, ServerFrame::Refused { code, .. } if code == "ended"),
        "{closed:?}"
    );

    // --- results ---
    let deadline = Instant::now() + WAIT;
    let results = loop {
        let results = http
            .get(&format!("/api/leagues/{league}/results"), Some(&sam))
            .await
            .expect(200);
        if results.json["ended"] == true {
            break results;
        }
        assert!(
            Instant::now() < deadline,
            "the auction never ended: {}",
            results.text
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let rosters: Vec<(String, String, u64)> = results.json["rosters"]
        .as_array()
        .expect("rosters")
        .iter()
        .map(|line| {
            (
                line["manager"].as_str().expect("name").to_owned(),
                line["asset"].as_str().expect("asset").to_owned(),
                line["price"].as_u64().expect("price"),
            )
        })
        .collect();
    assert_eq!(
        rosters,
        vec![
            ("Ann".to_owned(), "Arsenal".to_owned(), 5_000_000),
            ("Bob".to_owned(), "Chelsea".to_owned(), 3_000_000)
        ]
    );
    assert_eq!(results.json["bids"].as_array().expect("bids").len(), 2);
    let view = http
        .get(&format!("/api/leagues/{league}"), Some(&ann))
        .await
        .expect(200);
    assert_eq!(view.json["status"]["state"], "completed");

    let rosters_csv = http
        .get(
            &format!("/api/leagues/{league}/results/rosters.csv"),
            Some(&ann),
        )
        .await
        .expect(200);
    assert_eq!(
        rosters_csv.headers["content-type"],
        "text/csv; charset=utf-8"
    );
    assert_eq!(
        rosters_csv.headers["content-disposition"],
        format!("attachment; filename=\"{league}-rosters.csv\"")
    );
    assert!(rosters_csv.text.starts_with('\u{feff}'));
    assert!(rosters_csv.text.contains("Ann,"));
    assert!(rosters_csv.text.contains("£5m"));
    let bids_csv = http
        .get(
            &format!("/api/leagues/{league}/results/bids.csv"),
            Some(&commish),
        )
        .await
        .expect(200);
    assert_eq!(
        bids_csv.text.trim_end().lines().count(),
        3,
        "a header and two bids: {}",
        bids_csv.text
    );
    let by_spectator = http
        .get(
            &format!("/api/leagues/{league}/results/bids.csv"),
            Some(&sam),
        )
        .await
        .expect(403);
    assert_eq!(
        by_spectator.message(),
        "Spectators watch read-only, so they cannot download this league's auction results."
    );

    // --- fixtures and the table (football: win 3, draw 1, 1 per goal) ---
    let fixtures = "external_match_id,starts_at,home,away,home_goals,away_goals,status\n\
                    m1,2025-08-16T15:00:00Z,Arsenal,Chelsea,2,0,finished\n\
                    m2,2025-08-23T15:00:00Z,Chelsea,Arsenal,1,1,ft\n\
                    m3,2025-08-30T15:00:00Z,Chelsea,Arsenal,,,scheduled\n";
    let imported = http
        .put_csv(
            &format!("/api/leagues/{league}/fixtures"),
            Some(&commish),
            fixtures,
        )
        .await
        .expect(200);
    assert_eq!(imported.json["imported"], 3);
    let listed = http
        .get(&format!("/api/leagues/{league}/fixtures"), Some(&sam))
        .await
        .expect(200);
    assert_eq!(
        listed.json["fixtures"].as_array().expect("fixtures").len(),
        3
    );
    // Arsenal (Ann): win 3 + 2 goals + draw 1 + 1 goal = 7. Chelsea (Bob): draw 1 + 1 goal = 2.
    let table = http
        .get(&format!("/api/leagues/{league}/table"), Some(&sam))
        .await
        .expect(200);
    let rows: Vec<(String, i64, u64)> = table.json["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| {
            (
                row["name"].as_str().expect("name").to_owned(),
                row["points"].as_i64().expect("points"),
                row["rank"].as_u64().expect("rank"),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![("Ann".to_owned(), 7, 1), ("Bob".to_owned(), 2, 2)]
    );
    assert_eq!(table.json["final_rosters"], true);
    // A per-league override: goals are worth nothing, a draw 2.
    http.put(
        &format!("/api/leagues/{league}/scoring"),
        Some(&commish),
        json!({ "sport": "football", "goal_scored": 0, "draw": 2 }),
    )
    .await
    .expect(200);
    let table = http
        .get(
            &format!("/api/leagues/{league}/table?format=csv"),
            Some(&ann),
        )
        .await
        .expect(200);
    let lines: Vec<&str> = table.text.trim_start_matches('\u{feff}').lines().collect();
    assert!(
        lines[1].starts_with("1,Ann,5,"),
        "Ann: win 3 + draw 2: {}",
        table.text
    );
    assert!(
        lines[2].starts_with("2,Bob,2,"),
        "Bob: draw 2: {}",
        table.text
    );
    let by_manager = http
        .put_csv(
            &format!("/api/leagues/{league}/fixtures"),
            Some(&ann),
            fixtures,
        )
        .await
        .expect(403);
    assert_eq!(
        by_manager.message(),
        "Only the commissioner can import this league's fixtures and results."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_league_is_created_through_the_service_and_its_links_work() {
    let mut harness = Harness::start().await.expect("the store server starts");
    harness.start_node("node-1").await.expect("the node starts");
    let gateway = Gateway::start(&harness, "gw-demo", &["--seed-demo"]).await;
    let http = gateway.http();
    // Seeding runs after the gateway is up: wait for the printed links.
    let deadline = Instant::now() + WAIT;
    let links: Vec<String> = loop {
        let log = gateway.log();
        let links: Vec<String> = log
            .lines()
            .filter_map(|line| {
                line.split_whitespace()
                    .find(|word| word.contains("/#token="))
            })
            .map(str::to_owned)
            .collect();
        if links.len() == 5 {
            break links;
        }
        assert!(Instant::now() < deadline, "no demo links printed:\n{log}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let fragment = |link: &str, key: &str| -> String {
        link.split_once('#')
            .expect("a fragment")
            .1
            .split('&')
            .find_map(|pair| pair.strip_prefix(&format!("{key}=")))
            .expect("the key")
            .to_owned()
    };
    let commissioner_token = fragment(&links[0], "token");
    assert_eq!(fragment(&links[0], "league"), "demo-epl");
    let league = http
        .get("/api/leagues/demo-epl", Some(&commissioner_token))
        .await
        .expect(200);
    assert_eq!(league.json["managers"], 4);
    assert_eq!(
        league.json["asset_pool"].as_array().expect("pool").len(),
        20
    );
    assert_eq!(league.json["status"]["state"], "auction_live");
    assert_eq!(league.json["your_role"], "commissioner");
    let auction = AuctionId::try_new(fragment(&links[0], "auction")).expect("valid");
    assert_eq!(league.json["auction_id"], auction.as_str());
    for link in &links {
        let mut client = connect(&gateway.ws_url(), &fragment(link, "token")).await;
        let snapshot = subscribe(&mut client, &auction).await;
        let ServerFrame::Snapshot { view, .. } = snapshot else {
            panic!("every demo person may watch: {snapshot:?}")
        };
        assert_eq!(view.managers.len(), 4);
    }
}
