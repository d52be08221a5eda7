//! Tests of who may subscribe to an auction.

use auction::{AuctionId, UserId};
use axum::http::{Method, StatusCode};
use league_service::Records;
use serde_json::json;

use super::LeagueAuthorizer;
use crate::api::tests::{request, send, sign_in, test_api};
use crate::auth::Authorizer;

async fn user_id(api: &crate::api::Api, token: &str) -> UserId {
    let (_, _, body) = send(api, request(Method::GET, "/api/me", Some(token), None)).await;
    UserId::try_new(body["user"]["id"].as_str().expect("an id")).expect("valid")
}

#[tokio::test]
async fn league_members_and_spectators_may_watch_and_outsiders_may_not() {
    let test = test_api(true);
    let api = &test.api;
    let commish = sign_in(api, "commish@example.com").await;
    let (status, _, league) = send(
        api,
        request(
            Method::POST,
            "/api/leagues",
            Some(&commish),
            Some(json!({ "name": "Watched", "catalogue": "premier-league-2025-26" })),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{league}");
    let league_id = league["id"].as_str().expect("id").to_owned();
    let invite = |role: &'static str| {
        let commish = commish.clone();
        let league_id = league_id.clone();
        async move {
            let (_, _, created) = send(
                api,
                request(
                    Method::POST,
                    &format!("/api/leagues/{league_id}/invites"),
                    Some(&commish),
                    Some(json!({ "role": role })),
                ),
            )
            .await;
            created["code"].as_str().expect("a code").to_owned()
        }
    };
    let manager_code = invite("manager").await;
    let spectator_code = invite("spectator").await;
    let mut managers = Vec::new();
    for email in ["ann@example.com", "bob@example.com"] {
        let token = sign_in(api, email).await;
        let (status, _, body) = send(
            api,
            request(
                Method::POST,
                "/api/invites/accept",
                Some(&token),
                Some(json!({ "code": manager_code })),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        managers.push(token);
    }
    let spectator = sign_in(api, "sam@example.com").await;
    send(
        api,
        request(
            Method::POST,
            "/api/invites/accept",
            Some(&spectator),
            Some(json!({ "code": spectator_code })),
        ),
    )
    .await;
    let outsider = sign_in(api, "olly@example.com").await;
    let (status, _, started) = send(
        api,
        request(
            Method::POST,
            &format!("/api/leagues/{league_id}/auction"),
            Some(&commish),
            None,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let auction = AuctionId::try_new(started["auction_id"].as_str().expect("id")).expect("valid");

    let authorizer = LeagueAuthorizer::new(Records::new(test.store.clone()));
    for token in [&commish, &managers[0], &managers[1], &spectator] {
        let user = user_id(api, token).await;
        assert!(
            authorizer.can_view(&user, &auction).await,
            "{user} may watch"
        );
    }
    let outsider_id = user_id(api, &outsider).await;
    assert!(!authorizer.can_view(&outsider_id, &auction).await);

    // A spectator who joins after the list was cached is found without waiting for it to expire.
    let late = sign_in(api, "late@example.com").await;
    send(
        api,
        request(
            Method::POST,
            "/api/invites/accept",
            Some(&late),
            Some(json!({ "code": spectator_code })),
        ),
    )
    .await;
    let late_id = user_id(api, &late).await;
    assert!(authorizer.can_view(&late_id, &auction).await);

    let unknown = AuctionId::try_new("no-such-auction").expect("valid");
    assert!(!authorizer.can_view(&late_id, &unknown).await);
}

#[tokio::test]
async fn a_direct_auction_may_be_watched_by_anyone_signed_in_once_it_exists() {
    let test = test_api(true);
    let authorizer = LeagueAuthorizer::new(Records::new(test.store.clone()));
    let auction = AuctionId::try_new("direct-1").expect("valid");
    let commish = UserId::try_new("commish").expect("valid");
    assert!(
        !authorizer.can_view(&commish, &auction).await,
        "not created yet"
    );
    let setup = auction::AuctionSetup {
        auction_id: auction.clone(),
        league_name: "Direct".into(),
        settings: auction::LeagueSettings::default(),
        commissioner: commish.clone(),
        managers: ["ann", "bob"]
            .iter()
            .map(|id| auction::Manager {
                id: UserId::try_new(*id).expect("valid"),
                name: (*id).into(),
            })
            .collect(),
        assets: league::catalogue::Catalogue::premier_league_2025_26().assets(),
        keepers: Vec::new(),
    };
    use league_service::AuctionLauncher;
    crate::api::tests::LogLauncher {
        store: test.store.clone(),
    }
    .create(setup)
    .await
    .expect("created");
    assert!(
        authorizer.can_view(&commish, &auction).await,
        "an unknown auction is not remembered as nobody's"
    );
    assert!(
        authorizer
            .can_view(&UserId::try_new("ann").expect("valid"), &auction)
            .await
    );
    assert!(
        authorizer
            .can_view(&UserId::try_new("eve").expect("valid"), &auction)
            .await,
        "a direct auction has no league: any signed-in user may watch (the load test's spectators)"
    );
}
