//! Sign-in, sessions and the caller's own account; and the shipped catalogues.
//!
//! The sign-in flow, for the web client:
//! 1. `POST /api/auth/magic-link {email, name?}` → 202, the same answer whether or not the address
//!    has an account. The link is mailed (in the pilot: the outbox), never returned — except
//!    with `--dev-login`, where the answer carries `dev_link`.
//! 2. The link is `<public url>/#magic=<token>`: the client reads the fragment (it never reaches
//!    a server log) and calls `POST /api/auth/redeem {token}` → 200 `{token, expires_at, user}`.
//! 3. The session token goes in `Authorization: Bearer` and in the websocket's `hello`.
//!    `POST /api/auth/refresh` swaps it for a fresh one; `sign-out` and `sign-out-everywhere`
//!    end one or all sessions.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use league::catalogue;
use league_service::{ServiceError, Session};
use serde::Deserialize;
use serde_json::json;

use super::Api;
use super::extract::{ApiError, ApiJson, Caller, ClientIp};
use super::limits::Bucket;

/// Body of `POST /api/auth/magic-link`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MagicLinkRequest {
    /// The address to send the link to.
    pub email: String,
    /// The name to give a new account.
    #[serde(default)]
    pub name: Option<String>,
}

/// Body of `POST /api/auth/redeem`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedeemRequest {
    /// The magic-link token from the link's `#magic=` fragment.
    pub token: String,
}

/// Body of `PATCH /api/me`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeUpdate {
    /// The new display name.
    pub name: String,
}

/// A session as JSON.
pub fn session_json(session: &Session) -> serde_json::Value {
    json!({
        "token": session.token,
        "expires_at": session.expires_at,
        "user": session.user,
    })
}

/// `POST /api/auth/magic-link`.
pub async fn request_magic_link(
    State(api): State<Api>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<MagicLinkRequest>,
) -> Result<Response, ApiError> {
    api.limits.take(Bucket::MagicLinkRequests, ip)?;
    let requested = api
        .service
        .request_magic_link(&body.email, body.name.as_deref())
        .await?;
    let mut answer = json!({
        "message": "If that address can sign in, a sign-in link is on its way. It works once, for 15 minutes."
    });
    if let Some(dev) = requested.dev {
        answer["dev_link"] = json!(dev);
    }
    Ok((StatusCode::ACCEPTED, Json(answer)).into_response())
}

/// `POST /api/auth/redeem`.
pub async fn redeem(
    State(api): State<Api>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<RedeemRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    api.limits.take(Bucket::Redeems, ip)?;
    let session = api.service.redeem_magic_link(&body.token).await?;
    Ok(Json(session_json(&session)))
}

/// `POST /api/auth/refresh`.
pub async fn refresh(
    State(api): State<Api>,
    caller: Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    let session = api.service.refresh_session(&caller.claims).await?;
    api.revocations.signed_out(&caller.claims);
    Ok(Json(session_json(&session)))
}

/// `POST /api/auth/sign-out`.
pub async fn sign_out(State(api): State<Api>, caller: Caller) -> Result<StatusCode, ApiError> {
    api.service.sign_out(&caller.claims).await?;
    api.revocations.signed_out(&caller.claims);
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/auth/sign-out-everywhere`.
pub async fn sign_out_everywhere(
    State(api): State<Api>,
    caller: Caller,
) -> Result<StatusCode, ApiError> {
    let version = api.service.sign_out_everywhere(&caller.user).await?;
    api.revocations.signed_out_everywhere(&caller.user, version);
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/me`: the account and its leagues.
pub async fn me(
    State(api): State<Api>,
    caller: Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = api
        .service
        .user(&caller.user)
        .await?
        .ok_or(ServiceError::AccountNotFound)?;
    let leagues = api.service.my_leagues(&caller.user).await?;
    Ok(Json(json!({ "user": user, "leagues": leagues })))
}

/// `PATCH /api/me`: change the display name.
pub async fn update_me(
    State(api): State<Api>,
    caller: Caller,
    ApiJson(body): ApiJson<MeUpdate>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = api.service.rename_user(&caller.user, &body.name).await?;
    Ok(Json(json!({ "user": user })))
}

/// `GET /api/catalogues`: the shipped asset catalogues.
pub async fn catalogues() -> Json<serde_json::Value> {
    Json(json!({ "catalogues": catalogue::list() }))
}

/// `GET /api/catalogues/{key}`: one catalogue's assets.
pub async fn catalogue_entries(
    Path(key): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Some(found) = catalogue::by_key(&key) else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "catalogue_not_found",
            format!(
                "There is no catalogue {key:?}: the catalogues are {}.",
                catalogue::list()
                    .iter()
                    .map(|info| info.key)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    };
    Ok(Json(
        json!({ "catalogue": found.info(), "entries": found.entries() }),
    ))
}
