//! Tests of the API router in process: the route table against `docs/openapi.json`, the error
//! plumbing, the join link, dev-login mode, per-address limits, and sign-outs reaching the
//! websocket authenticator. (The whole API over real HTTP against running processes is in
//! `e2e/tests/api_*.rs`.)

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;
use auction::{Auction, AuctionSetup, Timestamp};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use league::auth::SessionSecret;
use league_service::{
    AuctionLauncher, LaunchError, Launched, MemoryMailer, Service, ServiceConfig, ServiceParts,
    SystemClock,
};
use serde_json::{Value, json};
use store::{EmbeddedStore, OwnerId, Store};
use tower::ServiceExt;

use super::Api;
use super::openapi::OPENAPI_JSON;
use super::routes::{OTHER_ROUTES, table};
use crate::auth::{AuthFailure, Authenticator, JwtAuthenticator, RevocationCache};
use crate::routing::{Routing, RoutingConfig};

/// Creates auctions by writing their creation to the log, as a node does.
#[derive(Debug)]
pub(crate) struct LogLauncher {
    pub(crate) store: Arc<dyn Store>,
}

#[async_trait]
impl AuctionLauncher for LogLauncher {
    async fn create(&self, setup: AuctionSetup) -> Result<Launched, LaunchError> {
        let id = setup.auction_id.clone();
        if self.store.last_seq(id.as_str()).await.expect("store") > 0 {
            return Ok(Launched::AlreadyExists);
        }
        let (_, created) =
            Auction::create(setup, Timestamp(1)).map_err(|error| LaunchError::Refused {
                code: "invalid_setup".into(),
                message: error.to_string(),
            })?;
        let owner = OwnerId::new("test-node", 1);
        let claim = self
            .store
            .claim(id.as_str(), &owner, 1, true)
            .await
            .expect("claim");
        let payload = protocol::codec::to_msgpack(&created).expect("encode");
        self.store
            .append(id.as_str(), &owner, claim.epoch, 1, vec![payload])
            .await
            .expect("append");
        Ok(Launched::Created {
            node: "test-node".into(),
        })
    }
}

/// An API over an in-memory store.
pub(crate) struct TestApi {
    pub(crate) api: Api,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) mailer: MemoryMailer,
    pub(crate) secret: SessionSecret,
}

pub(crate) fn test_api(dev_login: bool) -> TestApi {
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory().expect("in-memory store"));
    let mailer = MemoryMailer::new();
    let secret = SessionSecret::new(vec![9_u8; 32]).expect("32 bytes");
    let service = Service::new(ServiceParts {
        store: store.clone(),
        clock: Arc::new(SystemClock),
        secret: secret.clone(),
        mailer: Arc::new(mailer.clone()),
        launcher: Arc::new(LogLauncher {
            store: store.clone(),
        }),
        config: ServiceConfig {
            dev_login,
            ..ServiceConfig::default()
        },
    });
    let api = Api::from_parts(
        service,
        Routing::new(RoutingConfig::default()),
        RevocationCache::new(),
    );
    TestApi {
        api,
        store,
        mailer,
        secret,
    }
}

/// A request with an optional JSON body and bearer token, from 127.0.0.9.
pub(crate) fn request(
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = match body {
        Some(body) => {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
            Body::from(body.to_string())
        }
        None => Body::empty(),
    };
    let mut request = builder.body(body).expect("a valid request");
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 9], 5555))));
    request
}

/// Sends a request; returns the status, the headers and the body as JSON (`Null` if not JSON).
pub(crate) async fn send(
    api: &Api,
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let response = api.router().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, headers, json)
}

/// Signs `email` in through the API (dev-login mode) and returns the session token.
pub(crate) async fn sign_in(api: &Api, email: &str) -> String {
    let (status, _, body) = send(
        api,
        request(
            Method::POST,
            "/api/auth/magic-link",
            None,
            Some(json!({ "email": email, "name": "Tester" })),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let token = body["dev_link"]["token"]
        .as_str()
        .expect("dev mode")
        .to_owned();
    let (status, _, body) = send(
        api,
        request(
            Method::POST,
            "/api/auth/redeem",
            None,
            Some(json!({ "token": token })),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["token"].as_str().expect("a session token").to_owned()
}

fn document() -> Value {
    serde_json::from_str(OPENAPI_JSON).expect("docs/openapi.json is JSON")
}

/// (METHOD, path) of every operation in the document.
fn documented() -> BTreeSet<(String, String)> {
    let doc = document();
    let mut operations = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            operations.insert((method.to_uppercase(), path.clone()));
        }
    }
    operations
}

fn documented_codes(method: &Method, path: &str) -> BTreeSet<u16> {
    let doc = document();
    doc["paths"][path][method.as_str().to_lowercase()]["responses"]
        .as_object()
        .map(|responses| {
            responses
                .keys()
                .filter_map(|code| code.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_route_table_and_the_openapi_document_describe_the_same_routes() {
    let served: BTreeSet<(String, String)> = table()
        .iter()
        .map(|route| (route.method.to_string(), route.path.to_owned()))
        .chain(
            OTHER_ROUTES
                .iter()
                .map(|(method, path)| ((*method).to_owned(), (*path).to_owned())),
        )
        .collect();
    assert_eq!(
        served.len(),
        table().len() + OTHER_ROUTES.len(),
        "no route twice"
    );
    let documented = documented();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from docs/openapi.json: {undocumented:?}"
    );
    assert!(
        unserved.is_empty(),
        "documented routes that do not exist: {unserved:?}"
    );
}

#[test]
fn the_document_is_well_formed() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut ids = BTreeSet::new();
    let actions: BTreeSet<String> = league::model::Action::ALL
        .iter()
        .map(|action| {
            serde_json::to_value(action)
                .expect("json")
                .as_str()
                .expect("a string")
                .to_owned()
        })
        .collect();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("item") {
            let id = operation["operationId"].as_str().expect("an operationId");
            assert!(ids.insert(id.to_owned()), "operationId {id} repeated");
            assert!(
                !operation["responses"]
                    .as_object()
                    .expect("responses")
                    .is_empty(),
                "{method} {path} documents no response"
            );
            if let Some(action) = operation["x-authorization"].as_str() {
                assert!(
                    actions.contains(action),
                    "{method} {path}: unknown action {action}"
                );
            }
            for parameter in path.split('{').skip(1) {
                let name = parameter.split('}').next().expect("closed");
                let declared = operation["parameters"]
                    .as_array()
                    .is_some_and(|parameters| {
                        parameters.iter().any(|parameter| {
                            parameter["name"] == name
                                || parameter["$ref"] == format!("#/components/parameters/{name}")
                        })
                    });
                assert!(
                    declared,
                    "{method} {path}: parameter {name} is not declared"
                );
            }
        }
    }
    // Every reference resolves.
    let text = OPENAPI_JSON;
    for reference in text.split("\"$ref\": \"#/").skip(1) {
        let pointer = format!("/{}", reference.split('"').next().expect("closed"));
        assert!(
            doc.pointer(&pointer).is_some(),
            "dangling reference {pointer}"
        );
    }
}

#[tokio::test]
async fn every_route_is_served_with_its_method_and_answers_a_documented_status() {
    let test = test_api(false);
    for route in table() {
        let uri = route
            .path
            .split('/')
            .map(|part| if part.starts_with('{') { "x1" } else { part })
            .collect::<Vec<_>>()
            .join("/");
        let (status, _, body) =
            send(&test.api, request(route.method.clone(), &uri, None, None)).await;
        assert_ne!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{route:?} is not routed with its method"
        );
        if status == StatusCode::NOT_FOUND {
            assert!(
                body["error"]["code"].is_string(),
                "{route:?} is not routed at all"
            );
        }
        let codes = documented_codes(&route.method, route.path);
        assert!(
            codes.contains(&status.as_u16()),
            "{route:?} answered {status}, documented {codes:?}: {body}"
        );
        if status.is_client_error() {
            let message = body["error"]["message"].as_str().expect("a JSON error");
            assert!(message.ends_with('.'), "{message:?} is a sentence");
        }
    }
}

#[tokio::test]
async fn the_openapi_document_is_served() {
    let test = test_api(false);
    let (status, headers, body) = send(
        &test.api,
        request(Method::GET, "/api/openapi.json", None, None),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(body, document());
}

#[tokio::test]
async fn malformed_bodies_get_json_errors_that_say_what_is_wrong() {
    let test = test_api(false);
    let mut bad_json = request(Method::POST, "/api/auth/magic-link", None, None);
    *bad_json.body_mut() = Body::from("{\"email\": ");
    bad_json.headers_mut().insert(
        header::CONTENT_TYPE,
        "application/json".parse().expect("valid"),
    );
    let (status, _, body) = send(&test.api, bad_json).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "malformed_json");

    let (status, _, body) = send(
        &test.api,
        request(
            Method::POST,
            "/api/auth/magic-link",
            None,
            Some(json!({ "email": 5 })),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "invalid_body");
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("message")
            .starts_with("The request body is not valid: email: invalid type"),
        "{body}"
    );

    let (status, _, body) = send(
        &test.api,
        request(
            Method::POST,
            "/api/auth/magic-link",
            None,
            Some(json!({ "email": "bob@" })),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "invalid_email");
    assert_eq!(
        body["error"]["message"],
        "The email address is not an email address."
    );

    let (status, _, body) = send(
        &test.api,
        request(Method::GET, "/api/leagues/x1", Some("not-a-token"), None),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "invalid_token");
    let (status, _, body) = send(
        &test.api,
        request(
            Method::GET,
            "/api/leagues/x1/spectators?limit=many",
            Some("x"),
            None,
        ),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "authentication comes first: {body}"
    );
}

#[tokio::test]
async fn the_join_link_redirects_to_the_fragment_without_a_referrer() {
    let test = test_api(false);
    let (status, headers, _) = send(
        &test.api,
        request(
            Method::GET,
            "/join/abcde-fghij-klmno-pqrst-uvwxyz",
            None,
            None,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers[header::LOCATION],
        "/#join=abcde-fghij-klmno-pqrst-uvwxyz"
    );
    assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
    let (_, headers, _) = send(
        &test.api,
        request(Method::GET, "/join/%3Cscript%3E%26x=1", None, None),
    )
    .await;
    assert_eq!(headers[header::LOCATION], "/#join=scriptx1");
}

#[tokio::test]
async fn the_magic_link_is_only_returned_in_dev_login_mode() {
    let production = test_api(false);
    let (status, _, body) = send(
        &production.api,
        request(
            Method::POST,
            "/api/auth/magic-link",
            None,
            Some(json!({ "email": "ann@example.com" })),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert!(body.get("dev_link").is_none(), "{body}");
    let mail = production
        .mailer
        .last_to("ann@example.com")
        .expect("mailed");
    let token = mail.link.split("#magic=").nth(1).expect("a token");
    assert!(
        !body.to_string().contains(token),
        "the token never reaches the requester"
    );

    let development = test_api(true);
    let (_, _, body) = send(
        &development.api,
        request(
            Method::POST,
            "/api/auth/magic-link",
            None,
            Some(json!({ "email": "ann@example.com" })),
        ),
    )
    .await;
    assert_eq!(
        body["dev_link"]["link"],
        development
            .mailer
            .last_to("ann@example.com")
            .expect("mailed")
            .link
    );
}

#[tokio::test]
async fn wrong_invite_codes_from_one_address_are_limited() {
    let test = test_api(false);
    let mut refused = 0;
    for attempt in 0..25 {
        let (status, _, body) = send(
            &test.api,
            request(
                Method::POST,
                "/api/invites/preview",
                None,
                Some(json!({ "code": format!("aaaaa-aaaaa-aaaaa-aaaaa-aaaa{:02}", attempt % 10) })),
            ),
        )
        .await;
        match status {
            StatusCode::NOT_FOUND => {
                assert_eq!(body["error"]["code"], "invite_invalid");
                assert!(
                    !body.to_string().contains("aaaaa"),
                    "the code is not echoed"
                );
            }
            StatusCode::TOO_MANY_REQUESTS => refused += 1,
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(refused, 5, "20 wrong codes per 10 minutes, then refused");
}

#[tokio::test]
async fn signing_out_reaches_the_websocket_authenticator_at_once() {
    let test = test_api(true);
    let authenticator = JwtAuthenticator::new(test.secret.clone(), test.api.revocations.clone());
    let phone = sign_in(&test.api, "sam@example.com").await;
    let laptop = sign_in(&test.api, "sam@example.com").await;
    authenticator.authenticate(&phone).expect("valid at hello");

    let (status, _, _) = send(
        &test.api,
        request(Method::POST, "/api/auth/sign-out", Some(&phone), None),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        authenticator.authenticate(&phone),
        Err(AuthFailure::Expired)
    );
    authenticator
        .authenticate(&laptop)
        .expect("the other session still works");
    let (status, _, body) = send(
        &test.api,
        request(Method::GET, "/api/me", Some(&phone), None),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "signed_out");

    let (status, _, _) = send(
        &test.api,
        request(
            Method::POST,
            "/api/auth/sign-out-everywhere",
            Some(&laptop),
            None,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        authenticator.authenticate(&laptop),
        Err(AuthFailure::Expired)
    );
    let fresh = sign_in(&test.api, "sam@example.com").await;
    authenticator
        .authenticate(&fresh)
        .expect("a new sign-in works");
    let (status, _, body) = send(
        &test.api,
        request(Method::GET, "/api/me", Some(&fresh), None),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["email"], "sam@example.com");
    let _ = &test.store;
}
