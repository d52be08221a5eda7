//! The HTTP API (JSON, and CSV for files): accounts and sign-in, leagues, invites, imports,
//! starting a league's auction, results, fixtures and scores. Described by `docs/openapi.json`,
//! served at `GET /api/openapi.json`; the route table [`routes::table`] builds the router and is
//! checked against that document in the tests.
//!
//! Authentication: `Authorization: Bearer <session token>`, checked exactly on every request
//! (signature, expiry, and the stored revocations) by the league service. Authorization: every
//! league route asks the domain's table (`league::model::access`) through the service, for the
//! caller as commissioner, manager, spectator, outsider or anonymous. Errors are
//! `{"error": {"code", "message"}}` (plus `rows` for CSV problems) with a matching status; no
//! error ever echoes an invite code or a token.
//!
//! Modules: [`extract`] (request and error plumbing), [`limits`] (per-IP rate limits),
//! [`routes`] (the table), [`account`], [`leagues`], [`joining`], [`drafting`] (handlers),
//! [`watch`] (who may subscribe to an auction's events, cached), [`openapi`].

pub mod account;
pub mod drafting;
pub mod extract;
pub mod joining;
pub mod leagues;
pub mod limits;
pub mod openapi;
pub mod routes;
pub mod watch;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use auction::AuctionSetup;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use league_service::{
    AuctionLauncher, LaunchError, Launched, OutboxMailer, Records, Service, ServiceConfig,
    ServiceParts, SystemClock,
};
use protocol::cluster::{CreateRequest, ExecuteReply};
use serde_json::json;

use crate::auth::RevocationCache;
use crate::routing::{RouteError, Routing};
use crate::state::GatewayState;

pub use extract::{ApiError, ApiJson, Caller};

/// How the API is configured beyond the gateway's shared state.
#[derive(Debug, Clone)]
pub struct ApiOptions {
    /// `--dev-login`: sign-in links are returned to whoever asks (never in production).
    pub dev_login: bool,
    /// The websocket path's revocation cache, told at once about sign-outs made here.
    pub revocations: Arc<RevocationCache>,
}

/// Everything the handlers share. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Api {
    /// The league service.
    pub service: Service,
    /// Routing to the cluster (for `POST /api/auctions`).
    pub routing: Arc<Routing>,
    /// Per-IP rate limits of the sign-in and invite routes.
    pub limits: Arc<limits::IpLimits>,
    /// The websocket path's revocation cache.
    pub revocations: Arc<RevocationCache>,
}

impl Api {
    /// Builds the API over the gateway's state: the league service with the outbox mailer and
    /// the cluster launcher, and the revocation cache's first load and refresher.
    pub async fn start(gateway: Arc<GatewayState>, options: ApiOptions) -> Api {
        let store = gateway.store.clone();
        let service = Service::new(ServiceParts {
            store: store.clone(),
            clock: Arc::new(SystemClock),
            secret: gateway.secret.clone(),
            mailer: Arc::new(OutboxMailer::new(Records::new(store))),
            launcher: Arc::new(RoutingLauncher {
                routing: gateway.routing.clone(),
            }),
            config: ServiceConfig {
                public_url: gateway.public_url.clone(),
                dev_login: options.dev_login,
                ..ServiceConfig::default()
            },
        });
        league_service::metrics::describe();
        if options.dev_login {
            tracing::warn!(
                "--dev-login is on: sign-in links are returned in API responses; never use this in production"
            );
        }
        // A first load before serving, bounded so a store that is still starting does not hold
        // the gateway back (the refresher retries).
        match tokio::time::timeout(Duration::from_secs(2), options.revocations.load(&service)).await
        {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(%error, "session revocations not loaded yet"),
            Err(_) => tracing::warn!("session revocations not loaded yet (the store is slow)"),
        }
        options.revocations.spawn_refresh(service.clone());
        Api::from_parts(service, gateway.routing.clone(), options.revocations)
    }

    /// An API over an existing service (tests; [`Api::start`] for the gateway).
    pub fn from_parts(
        service: Service,
        routing: Arc<Routing>,
        revocations: Arc<RevocationCache>,
    ) -> Api {
        Api {
            service,
            routing,
            limits: Arc::new(limits::IpLimits::default()),
            revocations,
        }
    }

    /// The API's routes.
    pub fn router(&self) -> Router {
        routes::router(self.clone())
    }
}

/// Who may watch which auction: the auction's league (commissioner, managers, spectators); an
/// auction created directly from a setup has no league, and any signed-in user may watch it.
/// Cached briefly, so thousands of spectators subscribing cost one read of the league's
/// spectators. See [`watch`].
pub fn authorizer(store: Arc<dyn store::Store>) -> Arc<dyn crate::auth::Authorizer> {
    Arc::new(watch::LeagueAuthorizer::new(Records::new(store)))
}

/// Creates auctions through the cluster's routing (the league service's port).
#[derive(Debug)]
pub struct RoutingLauncher {
    /// The gateway's routing.
    pub routing: Arc<Routing>,
}

#[async_trait]
impl AuctionLauncher for RoutingLauncher {
    async fn create(&self, setup: AuctionSetup) -> Result<Launched, LaunchError> {
        match self.routing.create(CreateRequest { setup }).await {
            Ok((ExecuteReply::Accepted { .. }, node)) => Ok(Launched::Created { node }),
            Ok((ExecuteReply::Refused { code, .. }, _)) if code == "already_exists" => {
                Ok(Launched::AlreadyExists)
            }
            Ok((ExecuteReply::Refused { code, message }, _)) => {
                Err(LaunchError::Refused { code, message })
            }
            Ok((other, _)) => Err(LaunchError::Unavailable(format!("{other:?}"))),
            Err(RouteError::OutcomeUnknown(detail)) => Err(LaunchError::OutcomeUnknown(detail)),
            Err(error) => Err(LaunchError::Unavailable(error.to_string())),
        }
    }
}

/// `POST /api/auctions`: create an auction from a full setup; the caller must be its commissioner.
pub(crate) async fn create_auction(
    State(api): State<Api>,
    caller: Caller,
    ApiJson(setup): ApiJson<AuctionSetup>,
) -> Result<Response, ApiError> {
    if setup.commissioner != caller.user {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Only the auction's commissioner can create it.",
        ));
    }
    let auction_id = setup.auction_id.clone();
    match api.routing.create(CreateRequest { setup }).await {
        Ok((ExecuteReply::Accepted { seq }, node)) => Ok((
            StatusCode::CREATED,
            axum::Json(json!({ "auction_id": auction_id, "seq": seq, "node": node })),
        )
            .into_response()),
        Ok((ExecuteReply::Refused { code, message }, _)) if code == "already_exists" => Err(
            ApiError::new(StatusCode::CONFLICT, "already_exists", message),
        ),
        Ok((ExecuteReply::Refused { message, .. }, _)) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_setup",
            message,
        )),
        Ok((other, _)) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            format!("{other:?}"),
        )),
        Err(RouteError::OutcomeUnknown(detail)) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "outcome_unknown",
            format!(
                "Could not confirm the auction was created ({detail}); retry: creating it twice is refused, never duplicated."
            ),
        )),
        Err(error) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            error.to_string(),
        )),
    }
}

#[cfg(test)]
mod tests;
