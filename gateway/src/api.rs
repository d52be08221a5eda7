//! The HTTP API (JSON). Every route authenticates with `Authorization: Bearer <session token>` and
//! answers errors as `{"error": {"code", "message"}}` with a status that matches.

use std::sync::Arc;

use auction::AuctionSetup;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use protocol::cluster::{CreateRequest, ExecuteReply};
use serde_json::json;

use crate::auth::Identity;
use crate::routing::RouteError;
use crate::state::GatewayState;

/// An API error: a status, a stable code and a sentence.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    /// A new error.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({ "error": { "code": self.code, "message": self.message } })),
        )
            .into_response()
    }
}

/// The identity behind the request's bearer token.
pub fn authenticate(state: &GatewayState, headers: &HeaderMap) -> Result<Identity, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "not_authenticated",
                "Sign in first (Authorization: Bearer <token>).",
            )
        })?;
    state.auth.authenticate(token.trim()).map_err(|failure| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            failure.code().as_str(),
            failure.to_string(),
        )
    })
}

/// Who may watch which auction. Until leagues are stored, anybody signed in may watch.
pub fn authorizer(_store: Arc<dyn store::Store>) -> Arc<dyn crate::auth::Authorizer> {
    Arc::new(crate::auth::AllowSignedIn)
}

/// Routes of the API.
pub fn router(state: Arc<GatewayState>) -> Router {
    Router::new()
        .route("/api/auctions", post(create_auction))
        .with_state(state)
}

/// `POST /api/auctions`: create an auction from a full setup; the caller must be its commissioner.
async fn create_auction(
    State(state): State<Arc<GatewayState>>,
    headers: HeaderMap,
    Json(setup): Json<AuctionSetup>,
) -> Result<Response, ApiError> {
    let identity = authenticate(&state, &headers)?;
    if setup.commissioner != identity.user {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Only the auction's commissioner can create it.",
        ));
    }
    let auction_id = setup.auction_id.clone();
    match state.routing.create(CreateRequest { setup }).await {
        Ok((ExecuteReply::Accepted { seq }, node)) => Ok((
            StatusCode::CREATED,
            Json(json!({ "auction_id": auction_id, "seq": seq, "node": node })),
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
