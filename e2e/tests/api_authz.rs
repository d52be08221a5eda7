//! The authorization matrix over real HTTP and websockets: every league action × every kind of
//! caller — the commissioner, a manager, a spectator, a manager of *another* league, and an
//! anonymous caller — against running processes. The oracle is the domain's own table
//! (`league::model::access::allowed`): the server must allow exactly what it allows, answering
//! the probe's success status, and refuse everything else with 401 (anonymous) or 403 (HTTP),
//! or with the rules' refusal (websocket commands, authorized on the node).

mod api_common;

use api_common::{Http, WAIT, command, connect, subscribe, world};
use auction::{AuctionId, IdempotencyKey, LotNumber, Money, UserId};
use league::model::access::allowed;
use league::model::{Action, Audience};
use loadtest::client::Client;
use protocol::client::{AuctionCommand, ClientFrame, ErrorCode, ServerFrame};
use protocol::codec::Encoding;
use reqwest::Method;
use serde_json::{Value, json};

const AUDIENCES: [Audience; 5] = [
    Audience::Anonymous,
    Audience::Outsider,
    Audience::Spectator,
    Audience::Manager,
    Audience::Commissioner { plays: false },
];

/// The people: signed in once, reused by every league.
struct Cast {
    commissioner: String,
    manager: String,
    manager_id: String,
    second_manager: String,
    second_manager_id: String,
    spectator: String,
    /// A manager of another league.
    outsider: String,
}

impl Cast {
    fn token(&self, audience: Audience) -> Option<&str> {
        match audience {
            Audience::Anonymous => None,
            Audience::Outsider => Some(&self.outsider),
            Audience::Spectator => Some(&self.spectator),
            Audience::Manager => Some(&self.manager),
            Audience::Commissioner { .. } => Some(&self.commissioner),
        }
    }
}

async fn cast(http: &Http) -> Cast {
    let (commissioner, _) = http
        .sign_in("commissioner@matrix.example", "Commissioner")
        .await;
    let (manager, manager_id) = http.sign_in("manager@matrix.example", "Manager").await;
    let (second_manager, second_manager_id) = http.sign_in("second@matrix.example", "Second").await;
    let (spectator, _) = http.sign_in("spectator@matrix.example", "Spectator").await;
    let (outsider, _) = http.sign_in("outsider@other.example", "Outsider").await;
    let (other_commissioner, _) = http.sign_in("boss@other.example", "Boss").await;
    let other = http
        .league(&other_commissioner, json!({ "name": "Another League" }))
        .await;
    let code = http.invite(&other_commissioner, &other, "manager").await;
    http.join(&outsider, &code).await.expect(200);
    Cast {
        commissioner,
        manager,
        manager_id,
        second_manager,
        second_manager_id,
        spectator,
        outsider,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Setup {
    Football,
    FootballStarted,
    Cricket,
}

/// A fresh league with a commissioner, two managers and a spectator.
struct Fixture {
    league: String,
    /// An unused manager code.
    spare_code: String,
    /// The id of an invite.
    invite_id: String,
    auction: Option<AuctionId>,
}

async fn fixture(http: &Http, cast: &Cast, setup: Setup) -> Fixture {
    let (sport, catalogue) = match setup {
        Setup::Cricket => ("cricket", "cricket-internationals-2025"),
        Setup::Football | Setup::FootballStarted => ("football", "premier-league-2025-26"),
    };
    let league = http
        .league(
            &cast.commissioner,
            json!({ "name": "Matrix", "settings": { "sport": sport }, "catalogue": catalogue }),
        )
        .await;
    let code = http.invite(&cast.commissioner, &league, "manager").await;
    http.join(&cast.manager, &code).await.expect(200);
    http.join(&cast.second_manager, &code).await.expect(200);
    let spectator_code = http.invite(&cast.commissioner, &league, "spectator").await;
    http.join(&cast.spectator, &spectator_code)
        .await
        .expect(200);
    let spare = http
        .post(
            &format!("/api/leagues/{league}/invites"),
            Some(&cast.commissioner),
            json!({}),
        )
        .await
        .expect(201);
    let auction = if setup == Setup::FootballStarted {
        let started = http
            .post_empty(
                &format!("/api/leagues/{league}/auction"),
                Some(&cast.commissioner),
            )
            .await
            .expect(201);
        Some(AuctionId::try_new(started.json["auction_id"].as_str().expect("id")).expect("valid"))
    } else {
        None
    };
    Fixture {
        league,
        spare_code: spare.json["code"].as_str().expect("code").to_owned(),
        invite_id: spare.json["invite"]["id"].as_str().expect("id").to_owned(),
        auction,
    }
}

/// One HTTP call standing for an action, and the status it answers when allowed.
struct Probe {
    action: Action,
    setup: Setup,
    method: Method,
    path: &'static str,
    body: fn(&Fixture, &Cast) -> Option<ProbeBody>,
    success: u16,
}

enum ProbeBody {
    Json(Value),
    Csv(String),
}

fn none(_: &Fixture, _: &Cast) -> Option<ProbeBody> {
    None
}

fn probes() -> Vec<Probe> {
    use Setup::*;
    let probe = |action, setup, method, path, body, success| Probe {
        action,
        setup,
        method,
        path,
        body,
        success,
    };
    vec![
        probe(
            Action::ViewLeague,
            Football,
            Method::GET,
            "/api/leagues/{league}",
            none,
            200,
        ),
        probe(
            Action::ViewMembers,
            Football,
            Method::GET,
            "/api/leagues/{league}/spectators",
            none,
            200,
        ),
        probe(
            Action::ViewAssetPool,
            Football,
            Method::GET,
            "/api/leagues/{league}/pool",
            none,
            200,
        ),
        probe(
            Action::ViewAssetPool,
            Football,
            Method::GET,
            "/api/leagues/{league}/pool?format=csv",
            none,
            200,
        ),
        probe(
            Action::EditSettings,
            Football,
            Method::PATCH,
            "/api/leagues/{league}",
            |_, _| {
                Some(ProbeBody::Json(
                    json!({ "name": "Renamed", "settings": { "budget": 300_000_000 } }),
                ))
            },
            200,
        ),
        probe(
            Action::CreateInvite,
            Football,
            Method::POST,
            "/api/leagues/{league}/invites",
            |_, _| Some(ProbeBody::Json(json!({ "role": "spectator" }))),
            201,
        ),
        probe(
            Action::ManageInvites,
            Football,
            Method::GET,
            "/api/leagues/{league}/invites",
            none,
            200,
        ),
        probe(
            Action::ManageInvites,
            Football,
            Method::DELETE,
            "/api/leagues/{league}/invites/{invite}",
            none,
            200,
        ),
        probe(
            Action::JoinWithInvite,
            Football,
            Method::POST,
            "/api/invites/accept",
            |fixture, _| Some(ProbeBody::Json(json!({ "code": fixture.spare_code }))),
            200,
        ),
        probe(
            Action::LeaveLeague,
            Football,
            Method::POST,
            "/api/leagues/{league}/leave",
            none,
            204,
        ),
        probe(
            Action::RemoveMember,
            Football,
            Method::DELETE,
            "/api/leagues/{league}/members/{second}",
            none,
            204,
        ),
        probe(
            Action::ImportManagers,
            Football,
            Method::POST,
            "/api/leagues/{league}/managers/import?dry_run=true",
            |fixture, _| {
                Some(ProbeBody::Csv(format!(
                    "name,email,league\nNewbie,newbie@matrix.example,{}\n",
                    fixture.league
                )))
            },
            200,
        ),
        probe(
            Action::LoadAssetPool,
            Football,
            Method::PUT,
            "/api/leagues/{league}/pool",
            |_, _| {
                Some(ProbeBody::Json(
                    json!({ "catalogue": "champions-league-2025-26" }),
                ))
            },
            200,
        ),
        probe(
            Action::SetKeepers,
            Football,
            Method::PUT,
            "/api/leagues/{league}/keepers",
            |_, cast| {
                Some(ProbeBody::Json(json!({ "keepers": [
                { "manager": cast.manager_id, "asset": "arsenal", "cost": 10_000_000 }
            ] })))
            },
            200,
        ),
        probe(
            Action::EditScoring,
            Football,
            Method::PUT,
            "/api/leagues/{league}/scoring",
            |_, _| Some(ProbeBody::Json(json!({ "sport": "football", "win": 2 }))),
            200,
        ),
        probe(
            Action::StartAuction,
            Football,
            Method::POST,
            "/api/leagues/{league}/auction",
            none,
            201,
        ),
        probe(
            Action::ViewResults,
            FootballStarted,
            Method::GET,
            "/api/leagues/{league}/results",
            none,
            200,
        ),
        probe(
            Action::ExportResults,
            FootballStarted,
            Method::GET,
            "/api/leagues/{league}/results/rosters.csv",
            none,
            200,
        ),
        probe(
            Action::ExportResults,
            FootballStarted,
            Method::GET,
            "/api/leagues/{league}/results/bids.csv",
            none,
            200,
        ),
        probe(
            Action::ImportFixtures,
            Football,
            Method::PUT,
            "/api/leagues/{league}/fixtures",
            |_, _| {
                Some(ProbeBody::Csv(
                "external_match_id,starts_at,home,away,home_goals,away_goals,status\nm1,2025-08-16T15:00:00Z,Arsenal,Chelsea,1,0,finished\n".into(),
            ))
            },
            200,
        ),
        probe(
            Action::ImportFixtures,
            Football,
            Method::DELETE,
            "/api/leagues/{league}/fixtures",
            none,
            200,
        ),
        probe(
            Action::ImportPerformances,
            Cricket,
            Method::PUT,
            "/api/leagues/{league}/performances",
            |_, _| {
                Some(ProbeBody::Csv(
                "match_id,player_id,runs,wickets,catches,stumpings,run_outs\nt1,jasprit-bumrah,10,1,0,0,0\n".into(),
            ))
            },
            200,
        ),
        probe(
            Action::ImportPerformances,
            Cricket,
            Method::DELETE,
            "/api/leagues/{league}/performances",
            none,
            200,
        ),
        probe(
            Action::ViewFixtures,
            Football,
            Method::GET,
            "/api/leagues/{league}/fixtures",
            none,
            200,
        ),
        probe(
            Action::ViewFixtures,
            Cricket,
            Method::GET,
            "/api/leagues/{league}/performances?format=csv",
            none,
            200,
        ),
        probe(
            Action::ViewTable,
            Football,
            Method::GET,
            "/api/leagues/{league}/table",
            none,
            200,
        ),
        probe(
            Action::ViewTable,
            Cricket,
            Method::GET,
            "/api/leagues/{league}/table?format=csv",
            none,
            200,
        ),
        // Last for its league: the commissioner deletes it.
        probe(
            Action::DeleteLeague,
            Football,
            Method::DELETE,
            "/api/leagues/{league}",
            none,
            204,
        ),
    ]
}

/// Denied callers first, so that an allowed probe that changes the league (leaving, deleting)
/// runs after every refusal was checked on the league as it was.
fn ordered(action: Action) -> Vec<Audience> {
    let (denied, permitted): (Vec<Audience>, Vec<Audience>) = AUDIENCES
        .into_iter()
        .partition(|audience| !allowed(action, *audience));
    denied.into_iter().chain(permitted).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_http_action_for_every_kind_of_caller() {
    let world = world().await;
    let http = &world.http;
    let cast = cast(http).await;

    // The oracle agrees with what the product promises for a few rows.
    assert!(!allowed(Action::StartAuction, Audience::Manager));
    assert!(allowed(Action::WatchAuction, Audience::Spectator));
    assert!(!allowed(Action::ExportResults, Audience::Spectator));
    assert!(allowed(Action::JoinWithInvite, Audience::Outsider));

    let mut covered = std::collections::BTreeSet::new();
    for probe in probes() {
        covered.insert(probe.action);
        let fixture = fixture(http, &cast, probe.setup).await;
        for audience in ordered(probe.action) {
            let path = probe
                .path
                .replace("{league}", &fixture.league)
                .replace("{invite}", &fixture.invite_id)
                .replace("{second}", &cast.second_manager_id);
            let body = match (probe.body)(&fixture, &cast) {
                None => api_common::Body::Empty,
                Some(ProbeBody::Json(value)) => api_common::Body::Json(value),
                Some(ProbeBody::Csv(text)) => api_common::Body::Csv(text.into_bytes()),
            };
            let reply = http
                .call(probe.method.clone(), &path, cast.token(audience), body)
                .await;
            let expected = if allowed(probe.action, audience) {
                probe.success
            } else if audience == Audience::Anonymous {
                401
            } else {
                403
            };
            assert_eq!(
                reply.status, expected,
                "{:?} by {audience:?}: {} {path} answered {}",
                probe.action, probe.method, reply.text
            );
            if expected == 403 {
                let code = reply.code();
                let want =
                    if audience == Audience::Outsider && probe.action != Action::JoinWithInvite {
                        "not_a_member"
                    } else {
                        "forbidden"
                    };
                assert_eq!(
                    code, want,
                    "{:?} by {audience:?}: {}",
                    probe.action, reply.text
                );
            }
        }
    }
    // Every action that has an HTTP route was probed; the rest are websocket actions, below.
    let http_actions: Vec<Action> = Action::ALL
        .into_iter()
        .filter(|action| !websocket_action(*action))
        .collect();
    for action in http_actions {
        assert!(covered.contains(&action), "{action:?} has no HTTP probe");
    }
}

fn websocket_action(action: Action) -> bool {
    matches!(
        action,
        Action::WatchAuction
            | Action::BeginAuction
            | Action::PauseAuction
            | Action::ResumeAuction
            | Action::CloseLot
            | Action::UndoLastSale
            | Action::EndAuction
            | Action::SetAutoPassForManager
            | Action::PlaceBid
            | Action::SetProxy
            | Action::Pass
            | Action::Nominate
            | Action::SetOwnAutoPass
    )
}

/// Builds a websocket command, given a tag for the caller (for idempotency keys).
type MakeCommand = Box<dyn Fn(&str) -> AuctionCommand>;

/// The refusal codes that mean "not yours to do" (as opposed to "not now").
const AUTHORIZATION_REFUSALS: [&str; 2] = ["not_commissioner", "not_a_manager"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_websocket_action_for_every_kind_of_caller() {
    let world = world().await;
    let http = &world.http;
    let cast = cast(http).await;
    let fixture = fixture(http, &cast, Setup::FootballStarted).await;
    let auction = fixture.auction.clone().expect("started");
    let url = world.gateway.ws_url();

    // Watching: members subscribe; a manager of another league is refused; without `hello`,
    // nothing at all.
    let mut clients: Vec<(Audience, Client)> = Vec::new();
    for audience in AUDIENCES {
        let mut client = match cast.token(audience) {
            Some(token) => connect(&url, token).await,
            None => Client::connect(&url, Encoding::Json)
                .await
                .expect("connects"),
        };
        let answer = subscribe(&mut client, &auction).await;
        match (allowed(Action::WatchAuction, audience), audience) {
            (true, _) => assert!(
                matches!(answer, ServerFrame::Snapshot { .. }),
                "{audience:?}: {answer:?}"
            ),
            (false, Audience::Anonymous) => assert!(
                matches!(
                    answer,
                    ServerFrame::Error {
                        code: ErrorCode::NotAuthenticated,
                        ..
                    }
                ),
                "{audience:?}: {answer:?}"
            ),
            (false, _) => assert!(
                matches!(
                    answer,
                    ServerFrame::Error {
                        code: ErrorCode::Forbidden,
                        ..
                    }
                ),
                "{audience:?}: {answer:?}"
            ),
        }
        clients.push((audience, client));
    }

    let second = UserId::try_new(cast.second_manager_id.clone()).expect("valid");
    let key = |tag: &str| IdempotencyKey::try_new(tag).expect("valid");
    // (action, command) in an order where each allowed command succeeds: begin, bid, proxy,
    // auto-pass, pause, resume, close the lot, undo the sale, end.
    let steps: Vec<(Action, MakeCommand)> = vec![
        (Action::BeginAuction, Box::new(|_| AuctionCommand::Begin)),
        (
            Action::PlaceBid,
            Box::new(move |who| AuctionCommand::Bid {
                lot: LotNumber(1),
                amount: Money::millions(5),
                key: key(&format!("bid-{who}")),
            }),
        ),
        (
            Action::SetProxy,
            Box::new(move |who| AuctionCommand::Proxy {
                lot: LotNumber(1),
                max: Money::millions(9),
                key: key(&format!("proxy-{who}")),
            }),
        ),
        (
            Action::SetOwnAutoPass,
            Box::new(|_| AuctionCommand::AutoPass {
                on: false,
                manager: None,
            }),
        ),
        (Action::SetAutoPassForManager, {
            let second = second.clone();
            Box::new(move |_| AuctionCommand::AutoPass {
                on: true,
                manager: Some(second.clone()),
            })
        }),
        (
            Action::Pass,
            Box::new(|_| AuctionCommand::Pass { lot: LotNumber(1) }),
        ),
        (
            Action::Nominate,
            Box::new(|_| AuctionCommand::Nominate {
                asset: auction::AssetId::try_new("arsenal").expect("valid"),
                opening_bid: None,
            }),
        ),
        (Action::PauseAuction, Box::new(|_| AuctionCommand::Pause)),
        (Action::ResumeAuction, Box::new(|_| AuctionCommand::Resume)),
        (
            Action::CloseLot,
            Box::new(|_| AuctionCommand::Skip { lot: None }),
        ),
        (
            Action::UndoLastSale,
            Box::new(|_| AuctionCommand::Undo { lot: None }),
        ),
        (Action::EndAuction, Box::new(|_| AuctionCommand::End)),
    ];
    for (action, make) in &steps {
        // Refusals first, on the auction as it is; then the permitted callers.
        for audience in ordered(*action) {
            let (_, client) = clients
                .iter_mut()
                .find(|(who, _)| *who == audience)
                .expect("a client per audience");
            let tag = match audience {
                Audience::Commissioner { .. } => "commissioner",
                Audience::Manager => "manager",
                Audience::Spectator => "spectator",
                Audience::Outsider => "outsider",
                Audience::Anonymous => "anonymous",
            };
            let answer = if audience == Audience::Anonymous {
                // A fresh connection each time: one that never says hello is closed after 15 s.
                *client = Client::connect(&url, Encoding::Json)
                    .await
                    .expect("connects");
                client
                    .send(&ClientFrame::Command {
                        request_id: 9_999,
                        auction_id: auction.clone(),
                        command: make(tag),
                    })
                    .await
                    .expect("sent");
                client
                    .recv_until(
                        WAIT,
                        "an error",
                        |frame| matches!(frame, ServerFrame::Error { .. }).then(|| frame.clone()),
                        |_| {},
                    )
                    .await
                    .expect("an answer")
            } else {
                command(client, &auction, make(tag)).await
            };
            let refused_code = match &answer {
                ServerFrame::Refused { code, .. } => Some(code.clone()),
                _ => None,
            };
            if audience == Audience::Anonymous {
                assert!(
                    matches!(
                        answer,
                        ServerFrame::Error {
                            code: ErrorCode::NotAuthenticated,
                            ..
                        }
                    ),
                    "{action:?} without hello: {answer:?}"
                );
            } else if allowed(*action, audience) {
                assert!(
                    refused_code
                        .as_deref()
                        .is_none_or(|code| !AUTHORIZATION_REFUSALS.contains(&code)),
                    "{action:?} by {audience:?} is allowed by the table but was refused as unauthorized: {answer:?}"
                );
            } else {
                assert!(
                    refused_code
                        .as_deref()
                        .is_some_and(|code| AUTHORIZATION_REFUSALS.contains(&code)),
                    "{action:?} by {audience:?} must be refused as unauthorized: {answer:?}"
                );
            }
        }
    }
    // The permitted commands did what they say: the auction was begun and ended by the
    // commissioner.
    let results = http
        .get(
            &format!("/api/leagues/{}/results", fixture.league),
            Some(&cast.commissioner),
        )
        .await
        .expect(200);
    assert_eq!(results.json["ended"], true, "{}", results.text);
    for action in Action::ALL
        .into_iter()
        .filter(|action| websocket_action(*action))
    {
        assert!(
            action == Action::WatchAuction || steps.iter().any(|(step, _)| *step == action),
            "{action:?} has no websocket probe"
        );
    }
}
