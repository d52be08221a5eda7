//! Bad input and hostile use over real HTTP against running processes: CSV importers fed garbage
//! (wrong columns, a byte-order mark, UTF-16, invalid UTF-8, binary, huge files, too many rows,
//! duplicates, formula cells) with the exact errors a person sees; sign-in without `--dev-login`
//! (the link reaches the outbox and the log, never the requester); the per-address limit of
//! magic links; sign-out reaching the HTTP API at once and websockets on every gateway; joins
//! racing for the last manager places; and the OpenAPI document as served.

mod api_common;

use std::time::Duration;

use api_common::{Gateway, Http, WAIT, world};
use e2e::Harness;
use loadtest::client::{Client, ClientError};
use protocol::codec::Encoding;
use serde_json::{Value, json};
use tokio::time::Instant;

/// `(line, column, message)` of every row problem in an error answer.
fn rows(reply: &api_common::Reply) -> Vec<(u64, Option<String>, String)> {
    reply.json["error"]["rows"]
        .as_array()
        .expect("row problems")
        .iter()
        .map(|row| {
            (
                row["line"].as_u64().expect("a line"),
                row["column"].as_str().map(str::to_owned),
                row["message"].as_str().expect("a message").to_owned(),
            )
        })
        .collect()
}

fn row(line: u64, column: &str, message: &str) -> (u64, Option<String>, String) {
    (line, Some(column.to_owned()), message.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_importers_fed_garbage_answer_exactly_what_is_wrong() {
    let world = world().await;
    let http = &world.http;
    let (commish, _) = http.sign_in("commish@csv.example", "Commish").await;
    let league = http
        .league(
            &commish,
            json!({ "name": "Pilot", "settings": { "max_managers": 4 }, "catalogue": "premier-league-2025-26" }),
        )
        .await;
    let import = format!("/api/leagues/{league}/managers/import?dry_run=true");
    let post = |csv: Vec<u8>| {
        let http = http.clone();
        let import = import.clone();
        let commish = commish.clone();
        async move { http.post_csv(&import, Some(&commish), csv).await }
    };

    // A byte-order mark and CRLF line ends are fine, and header names ignore case and spacing.
    let ok = post(b"\xEF\xBB\xBFName, E-mail ,LEAGUE\r\nAnn,ann@csv.example,Pilot\r\n".to_vec())
        .await
        .expect(200);
    assert_eq!(ok.json["dry_run"], true);
    assert_eq!(ok.json["rows"][0]["league_id"], league.as_str());

    let columns = post(b"name,mail,club\nAnn,ann@csv.example,Pilot\n".to_vec())
        .await
        .expect(422);
    assert_eq!(columns.code(), "invalid_csv");
    assert_eq!(
        columns.message(),
        "The header row must name the columns name, email, league (missing email, league; unexpected 'mail', 'club')."
    );

    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(
            "name,email,league\n"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        )
        .collect();
    let refused = post(utf16).await.expect(422);
    assert_eq!(
        refused.message(),
        "The file is UTF-16 text: save it as \"CSV UTF-8\" and upload it again."
    );

    let binary = post(b"PK\x03\x04\x00\x00binary workbook".to_vec())
        .await
        .expect(422);
    assert_eq!(
        binary.message(),
        "The file is not CSV text (it contains NUL bytes): save it as \"CSV UTF-8\" and upload it again."
    );
    assert_eq!(
        post(Vec::new()).await.expect(422).message(),
        "The file is empty."
    );
    assert_eq!(
        post(b"name,email,league\n".to_vec())
            .await
            .expect(422)
            .message(),
        "The file has a header row but no data rows."
    );

    // Every bad row is reported, in line order, each with its column; nothing is imported.
    let garbage = "name,email,league\n\
                   Ann,ann@csv.example,Pilot\n\
                   =HYPERLINK(\"http://x\"),evil@csv.example,Pilot\n\
                   Bob,bob@,Pilot\n\
                   Ann Again,ANN@csv.example,Pilot\n\
                   Cy,cy@csv.example,Nowhere\n\
                   Di,,Pilot\n";
    let mut bytes = garbage.as_bytes().to_vec();
    bytes.extend_from_slice(b"Ed\xFF,ed@csv.example,Pilot\n");
    let refused = post(bytes).await.expect(422);
    assert_eq!(refused.code(), "invalid_csv");
    assert_eq!(
        rows(&refused),
        vec![
            row(
                3,
                "name",
                "'=HYPERLINK(\"http://x\")' starts with '=', which spreadsheets run as a formula: remove that character"
            ),
            row(4, "email", "'bob@' is not an email address"),
            row(
                5,
                "email",
                "'ann@csv.example' in league 'Pilot' already appears on line 2"
            ),
            row(
                6,
                "league",
                "'Nowhere' is not one of the leagues you are importing into (give its id or exact name)"
            ),
            row(7, "email", "a value is required"),
            row(
                8,
                "name",
                "the cell is not valid UTF-8 text: save the file as \"CSV UTF-8\""
            ),
        ]
    );
    assert!(
        refused
            .message()
            .starts_with("6 problems found, nothing was imported: line 3, column name: ")
    );
    let view = http
        .get(&format!("/api/leagues/{league}"), Some(&commish))
        .await
        .expect(200);
    assert_eq!(view.json["managers"], 0, "nothing was imported");

    // More managers than places: the rows past the limit are named.
    let crowd: String = std::iter::once("name,email,league\n".to_owned())
        .chain((1..=5).map(|i| format!("P{i},p{i}@csv.example,Pilot\n")))
        .collect();
    let full = post(crowd.into_bytes()).await.expect(422);
    assert_eq!(
        rows(&full),
        vec![row(
            6,
            "league",
            "league 'Pilot' is full (limit 4 managers): its 4 free places are taken by earlier rows of this file"
        )]
    );

    // Size: over the importer's 1 MiB with its exact size, over the 4 MiB upload cap, too many rows.
    let mut big = b"name,email,league\n".to_vec();
    while big.len() <= 1_100_000 {
        big.extend_from_slice(b"Somebody,somebody@csv.example,Pilot\n");
    }
    let size = big.len();
    let too_large = post(big).await.expect(413);
    assert_eq!(too_large.code(), "file_too_large");
    assert_eq!(
        too_large.message(),
        format!("The file is 1.0 MiB ({size} bytes), over the limit of 1 MiB (1048576 bytes).")
    );
    let huge = post(vec![b'a'; 5 * 1024 * 1024]).await.expect(413);
    assert_eq!(
        huge.message(),
        "The file is over 4 MiB; files are limited to 1 MiB (1048576 bytes)."
    );
    // The unread rest of that body is still on the connection: the client must not reuse it.
    assert_eq!(
        huge.headers.get("connection").map(|v| v.as_bytes()),
        Some(&b"close"[..])
    );
    let many: String = std::iter::once("name,email,league\n".to_owned())
        .chain((0..5_001).map(|i| format!("P{i},p{i}@csv.example,Pilot\n")))
        .collect();
    assert_eq!(
        post(many.into_bytes()).await.expect(422).message(),
        "The file has more than 5000 rows, the most one import takes."
    );

    // A commit applies exactly the dry run's rows, creating the accounts.
    let commit = http
        .post_csv(
            &format!("/api/leagues/{league}/managers/import"),
            Some(&commish),
            "name,email,league\nAnn,ann@csv.example,Pilot\nBob,bob@csv.example,Pilot\n",
        )
        .await
        .expect(200);
    assert_eq!(commit.json["dry_run"], false);
    assert_eq!(commit.json["new_accounts"], 2);
    let again = http
        .post_csv(
            &format!("/api/leagues/{league}/managers/import"),
            Some(&commish),
            "name,email,league\nAnn,ann@csv.example,Pilot\n",
        )
        .await
        .expect(422);
    assert_eq!(
        rows(&again),
        vec![row(
            2,
            "email",
            "'ann@csv.example' is already a member of league 'Pilot' (as manager)"
        )]
    );

    // Pools, fixtures and performances use the same reader and say as precisely what is wrong.
    let pool = http
        .put_csv(
            &format!("/api/leagues/{league}/pool"),
            Some(&commish),
            "id,name,group\narsenal,Arsenal,\narsenal,Arsenal Women,\n,@Everton,\n",
        )
        .await
        .expect(422);
    assert_eq!(
        rows(&pool),
        vec![
            row(3, "id", "asset id 'arsenal' already appears on line 2"),
            row(
                4,
                "name",
                "'@Everton' starts with '@', which spreadsheets run as a formula: remove that character"
            ),
        ]
    );
    let fixtures = http
        .put_csv(
            &format!("/api/leagues/{league}/fixtures"),
            Some(&commish),
            "external_match_id,starts_at,home,away,home_goals,away_goals,status\n\
             m1,tomorrow,Arsenal,Chelsea,1,0,finished\n\
             m2,2025-08-16T15:00:00Z,Arsenal,Real Madrid,1,0,finished\n\
             m3,2025-08-16T15:00:00Z,Arsenal,Arsenal,1,0,finished\n\
             m4,2025-08-16T15:00:00Z,Arsenal,Chelsea,1,,finished\n",
        )
        .await
        .expect(422);
    let lines: Vec<u64> = rows(&fixtures).iter().map(|(line, _, _)| *line).collect();
    assert_eq!(lines, vec![2, 3, 4, 5], "{}", fixtures.text);
    assert_eq!(
        rows(&fixtures)[1],
        row(
            3,
            "away",
            "'Real Madrid' is not in this league's asset pool (give its id or exact name)"
        )
    );
    let cricket = http
        .put_csv(
            &format!("/api/leagues/{league}/performances"),
            Some(&commish),
            "match_id,player_id,runs,wickets,catches,stumpings,run_outs\n",
        )
        .await
        .expect(422);
    assert_eq!(cricket.code(), "wrong_sport");
    let listed = http
        .get(&format!("/api/leagues/{league}/fixtures"), Some(&commish))
        .await
        .expect(200);
    assert_eq!(
        listed.json["fixtures"],
        json!([]),
        "a refused file writes nothing"
    );
}

/// The magic-link token of the latest outbox mail to `email` in a gateway's log.
fn token_from_log(log: &str, email: &str) -> Option<String> {
    log.lines()
        .rev()
        .filter(|line| line.contains("mail recorded in the outbox") && line.contains(email))
        .find_map(|line| {
            let start = line.find("#magic=")? + "#magic=".len();
            Some(
                line[start..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect(),
            )
        })
}

/// Whether `hello` with `token` is welcomed (`false`: refused as expired or signed out).
async fn hello_accepted(url: &str, token: &str) -> bool {
    let mut client = Client::connect(url, Encoding::Json)
        .await
        .expect("connects");
    match client.hello(token, WAIT).await {
        Ok(_) => true,
        Err(ClientError::Unexpected(frame)) => {
            assert!(
                frame.contains("TokenExpired"),
                "refused as signed out: {frame}"
            );
            false
        }
        Err(error) => panic!("hello failed: {error}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_links_go_to_the_outbox_and_sign_out_reaches_every_gateway() {
    let mut harness = Harness::start().await.expect("the store server starts");
    harness.start_node("node-1").await.expect("the node starts");
    let port = harness
        .start_gateway("gw-1")
        .await
        .expect("a production-mode gateway");
    let http = Http::new(port);
    let second = Gateway::start(&harness, "gw-2", &[]).await;

    // Without --dev-login the answer never carries the link; the outbox (log and store) does.
    let asked = http
        .post(
            "/api/auth/magic-link",
            None,
            json!({ "email": "Pat@Outbox.example", "name": "Pat" }),
        )
        .await
        .expect(202);
    assert_eq!(
        asked.json,
        json!({ "message": "If that address can sign in, a sign-in link is on its way. It works once, for 15 minutes." })
    );
    let deadline = Instant::now() + WAIT;
    let token = loop {
        let log = harness.process("gw-1").expect("gw-1").log_tail(400);
        if let Some(token) = token_from_log(&log, "pat@outbox.example") {
            break token;
        }
        assert!(
            Instant::now() < deadline,
            "no outbox line in the log:\n{log}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(!asked.text.contains(&token));
    let session = http
        .post("/api/auth/redeem", None, json!({ "token": token }))
        .await
        .expect(200);
    assert_eq!(session.json["user"]["name"], "Pat");
    let used = http
        .post("/api/auth/redeem", None, json!({ "token": token }))
        .await
        .expect(410);
    assert_eq!(
        used.message(),
        "This sign-in link has already been used: request a new one."
    );
    let phone = session.json["token"].as_str().expect("a token").to_owned();

    // Three links per address per hour, shared by every gateway.
    Http::new(second.port)
        .post(
            "/api/auth/magic-link",
            None,
            json!({ "email": "pat@outbox.example" }),
        )
        .await
        .expect(202);
    http.post(
        "/api/auth/magic-link",
        None,
        json!({ "email": "pat@outbox.example" }),
    )
    .await
    .expect(202);
    let limited = http
        .post(
            "/api/auth/magic-link",
            None,
            json!({ "email": "pat@outbox.example" }),
        )
        .await
        .expect(429);
    assert_eq!(
        limited.message(),
        "At most 3 sign-in links can be requested for one email address per hour: try again in 60 minutes."
    );
    assert!(
        limited.headers["retry-after"]
            .to_str()
            .expect("ascii")
            .parse::<u64>()
            .expect("seconds")
            > 3_500
    );

    // A second session, from a link redeemed on the other gateway.
    let log = loop {
        let log = second.log();
        if token_from_log(&log, "pat@outbox.example").is_some() {
            break log;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let laptop_link = token_from_log(&log, "pat@outbox.example").expect("a link");
    let laptop = Http::new(second.port)
        .post("/api/auth/redeem", None, json!({ "token": laptop_link }))
        .await
        .expect(200)
        .json["token"]
        .as_str()
        .expect("a token")
        .to_owned();

    // Sign out on gw-1: refused at once over HTTP on both gateways and at hello on gw-1, and
    // at hello on gw-2 within its refresh period.
    http.post_empty("/api/auth/sign-out", Some(&phone))
        .await
        .expect(204);
    assert_eq!(
        http.get("/api/me", Some(&phone)).await.expect(401).code(),
        "signed_out"
    );
    assert_eq!(
        Http::new(second.port)
            .get("/api/me", Some(&phone))
            .await
            .expect(401)
            .code(),
        "signed_out"
    );
    assert!(!hello_accepted(&harness.ws_url("gw-1"), &phone).await);
    let deadline = Instant::now() + Duration::from_secs(12);
    while hello_accepted(&second.ws_url(), &phone).await {
        assert!(
            Instant::now() < deadline,
            "gw-2 kept accepting a signed-out token at hello"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(
        hello_accepted(&second.ws_url(), &laptop).await,
        "the other session still works"
    );

    // Sign out everywhere, from gw-2.
    Http::new(second.port)
        .post_empty("/api/auth/sign-out-everywhere", Some(&laptop))
        .await
        .expect(204);
    assert_eq!(
        http.get("/api/me", Some(&laptop)).await.expect(401).code(),
        "signed_out"
    );
    assert!(!hello_accepted(&second.ws_url(), &laptop).await);
    let deadline = Instant::now() + Duration::from_secs(12);
    while hello_accepted(&harness.ws_url("gw-1"), &laptop).await {
        assert!(
            Instant::now() < deadline,
            "gw-1 kept accepting a token signed out everywhere"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joins_racing_for_the_last_places_never_exceed_the_manager_limit() {
    let world = world().await;
    let http = &world.http;
    let (commish, _) = http.sign_in("commish@race.example", "Commish").await;
    let league = http
        .league(
            &commish,
            json!({ "name": "Race", "settings": { "max_managers": 3 } }),
        )
        .await;
    let code = http.invite(&commish, &league, "manager").await;
    let mut people = Vec::new();
    for i in 0..12 {
        people.push(
            http.sign_in(&format!("runner{i}@race.example"), &format!("Runner {i}"))
                .await
                .0,
        );
    }
    let attempts: Vec<_> = people
        .iter()
        .map(|token| {
            let http = http.clone();
            let code = code.clone();
            let token = token.clone();
            tokio::spawn(async move { http.join(&token, &code).await })
        })
        .collect();
    let mut outcomes: Vec<(u16, String)> = Vec::new();
    for attempt in attempts {
        let reply = attempt.await.expect("task");
        outcomes.push((reply.status, reply.code().to_owned()));
    }
    let joined = outcomes.iter().filter(|(status, _)| *status == 200).count();
    let full = outcomes
        .iter()
        .filter(|(status, code)| *status == 409 && code == "league_full")
        .count();
    assert_eq!((joined, full), (3, 9), "{outcomes:?}");
    let view = http
        .get(&format!("/api/leagues/{league}"), Some(&commish))
        .await
        .expect(200);
    assert_eq!(view.json["managers"], 3);
    let invites = http
        .get(&format!("/api/leagues/{league}/invites"), Some(&commish))
        .await
        .expect(200);
    assert_eq!(invites.json["invites"][0]["uses"], 3);
    assert!(
        !invites.text.contains(&code.replace('-', "")),
        "the list never shows a code"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_document_is_the_repository_file_and_other_routes_answer_as_documented() {
    let world = world().await;
    let http = &world.http;
    let served = http.get("/api/openapi.json", None).await.expect(200);
    assert_eq!(&served.json, http.doc());
    http.get("/healthz", None).await.expect(200);
    http.get("/readyz", None).await.expect(200);
    http.get("/metrics", None).await.expect(200);
    http.get("/ws", None).await.expect(400);
    let catalogues = http.get("/api/catalogues", None).await.expect(200);
    let keys: Vec<&str> = catalogues.json["catalogues"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|info| info["key"].as_str().expect("a key"))
        .collect();
    assert_eq!(
        keys,
        vec![
            "premier-league-2025-26",
            "champions-league-2025-26",
            "cricket-internationals-2025"
        ]
    );
    let epl = http
        .get("/api/catalogues/premier-league-2025-26", None)
        .await
        .expect(200);
    let clubs: Vec<&str> = epl.json["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|entry| entry["asset"]["name"].as_str().expect("a name"))
        .collect();
    assert_eq!(clubs.len(), 20);
    assert!(
        clubs.contains(&"Sunderland")
            && clubs.contains(&"Leeds United")
            && clubs.contains(&"Burnley")
    );
    http.get("/api/catalogues/la-liga", None).await.expect(404);
    // Errors for bad requests are the API's JSON, not the framework's text.
    let reply = http
        .call(
            reqwest::Method::POST,
            "/api/leagues",
            None,
            api_common::Body::Json(Value::String("x".into())),
        )
        .await
        .expect(401);
    assert_eq!(reply.code(), "not_authenticated");
    let (token, _) = http.sign_in("someone@docs.example", "Someone").await;
    let reply = http
        .post(
            "/api/leagues",
            Some(&token),
            json!({ "name": "X", "settings": { "roster_slots": 0 } }),
        )
        .await
        .expect(422);
    assert_eq!(reply.code(), "invalid_settings");
    let reply = http
        .post("/api/leagues", Some(&token), json!({ "nme": "typo" }))
        .await
        .expect(422);
    assert_eq!(reply.code(), "invalid_body");
}
