//! The route table: every route of the API with its method and handler, in one list that both
//! builds the router ([`router`]) and is compared with `docs/openapi.json` by the tests — so a
//! route cannot exist without being documented, nor be documented without existing.

use axum::Router;
use axum::http::{HeaderValue, Method, header};
use axum::routing::{MethodRouter, delete, get, patch, post, put};
use tower_http::set_header::SetResponseHeaderLayer;

use super::{Api, account, drafting, joining, leagues, openapi};

/// One route: method, path (axum and OpenAPI share the `{param}` syntax), handler.
pub struct Route {
    /// The HTTP method.
    pub method: Method,
    /// The path template.
    pub path: &'static str,
    /// The handler.
    pub handler: MethodRouter<Api>,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

fn route(method: Method, path: &'static str, handler: MethodRouter<Api>) -> Route {
    Route {
        method,
        path,
        handler,
    }
}

/// Every route of the API.
pub fn table() -> Vec<Route> {
    vec![
        // documentation
        route(Method::GET, "/api/openapi.json", get(openapi::document)),
        // sign-in and sessions
        route(
            Method::POST,
            "/api/auth/magic-link",
            post(account::request_magic_link),
        ),
        route(Method::POST, "/api/auth/redeem", post(account::redeem)),
        route(Method::POST, "/api/auth/refresh", post(account::refresh)),
        route(Method::POST, "/api/auth/sign-out", post(account::sign_out)),
        route(
            Method::POST,
            "/api/auth/sign-out-everywhere",
            post(account::sign_out_everywhere),
        ),
        route(Method::GET, "/api/me", get(account::me)),
        route(Method::PATCH, "/api/me", patch(account::update_me)),
        // catalogues
        route(Method::GET, "/api/catalogues", get(account::catalogues)),
        route(
            Method::GET,
            "/api/catalogues/{key}",
            get(account::catalogue_entries),
        ),
        // leagues
        route(Method::POST, "/api/leagues", post(leagues::create)),
        route(Method::GET, "/api/leagues/{league}", get(leagues::view)),
        route(
            Method::PATCH,
            "/api/leagues/{league}",
            patch(leagues::update),
        ),
        route(
            Method::DELETE,
            "/api/leagues/{league}",
            delete(leagues::delete),
        ),
        route(
            Method::POST,
            "/api/leagues/{league}/leave",
            post(leagues::leave),
        ),
        route(
            Method::DELETE,
            "/api/leagues/{league}/members/{user}",
            delete(leagues::remove_member),
        ),
        route(
            Method::GET,
            "/api/leagues/{league}/spectators",
            get(leagues::spectators),
        ),
        route(
            Method::GET,
            "/api/leagues/{league}/pool",
            get(leagues::pool),
        ),
        route(
            Method::PUT,
            "/api/leagues/{league}/pool",
            put(leagues::load_pool),
        ),
        route(
            Method::PUT,
            "/api/leagues/{league}/keepers",
            put(leagues::keepers),
        ),
        route(
            Method::PUT,
            "/api/leagues/{league}/scoring",
            put(leagues::scoring),
        ),
        // invites
        route(
            Method::POST,
            "/api/leagues/{league}/invites",
            post(leagues::create_invite),
        ),
        route(
            Method::GET,
            "/api/leagues/{league}/invites",
            get(leagues::list_invites),
        ),
        route(
            Method::DELETE,
            "/api/leagues/{league}/invites/{invite}",
            delete(leagues::revoke_invite),
        ),
        route(Method::POST, "/api/invites/preview", post(joining::preview)),
        route(Method::POST, "/api/invites/accept", post(joining::accept)),
        route(Method::GET, "/join/{code}", get(joining::join_link)),
        // imports
        route(
            Method::POST,
            "/api/leagues/{league}/managers/import",
            post(leagues::import_into),
        ),
        route(
            Method::POST,
            "/api/imports/managers",
            post(leagues::import_all),
        ),
        // the auction
        route(Method::POST, "/api/auctions", post(super::create_auction)),
        route(
            Method::POST,
            "/api/leagues/{league}/auction",
            post(drafting::start),
        ),
        route(
            Method::GET,
            "/api/leagues/{league}/results",
            get(drafting::results),
        ),
        route(
            Method::GET,
            "/api/leagues/{league}/results/rosters.csv",
            get(drafting::rosters_csv),
        ),
        route(
            Method::GET,
            "/api/leagues/{league}/results/bids.csv",
            get(drafting::bids_csv),
        ),
        // fixtures, performances, table
        route(
            Method::PUT,
            "/api/leagues/{league}/fixtures",
            put(drafting::import_fixtures),
        ),
        route(
            Method::GET,
            "/api/leagues/{league}/fixtures",
            get(drafting::fixtures),
        ),
        route(
            Method::DELETE,
            "/api/leagues/{league}/fixtures",
            delete(drafting::clear_fixtures),
        ),
        route(
            Method::PUT,
            "/api/leagues/{league}/performances",
            put(drafting::import_performances),
        ),
        route(
            Method::GET,
            "/api/leagues/{league}/performances",
            get(drafting::performances),
        ),
        route(
            Method::DELETE,
            "/api/leagues/{league}/performances",
            delete(drafting::clear_performances),
        ),
        route(
            Method::GET,
            "/api/leagues/{league}/table",
            get(drafting::table),
        ),
    ]
}

/// Routes served by the gateway outside this router (websocket, health, metrics), documented in
/// the same document.
pub const OTHER_ROUTES: [(&str, &str); 4] = [
    ("GET", "/ws"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
];

/// The API router, built from [`table`]. Every answer is marked `Cache-Control: no-store` (they
/// are personal, and some carry tokens).
pub fn router(api: Api) -> Router {
    let mut router = Router::new();
    for route in table() {
        router = router.route(route.path, route.handler);
    }
    router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .with_state(api)
}
