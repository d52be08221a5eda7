//! Joining a league with an invite: "open link → signed in → in the league".
//!
//! 1. The commissioner shares `<public url>/join/<code>`. `GET /join/{code}` redirects (303) to
//!    `/#join=<code>`, so the web client reads the code from the fragment (which browsers never
//!    send to a server or in a `Referer`), and answers `Referrer-Policy: no-referrer`.
//! 2. The client shows what the code is for: `POST /api/invites/preview {code}`.
//! 3. The client accepts: `POST /api/invites/accept {code}` with the session token if signed in,
//!    or `{code, email, name}` if not:
//!    - 200 `{"status": "joined", league_id, role, user, session?}` — `session` is present when a
//!      new account was created: store its token, the person is signed in;
//!    - 202 `{"status": "sign_in_required"}` — the email already has an account; a sign-in link
//!      `<public url>/#magic=<token>&join=<code>` was mailed to it. Opening it, the client redeems
//!      the token and then accepts the code again, signed in.
//!
//! Codes travel in request bodies, never in API URLs, and are never echoed. Presenting codes is
//! rate-limited per address, and wrong codes more tightly still.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use league_service::ServiceError;
use league_service::invites::{Accepted, Acceptor};
use serde::Deserialize;
use serde_json::json;

use super::Api;
use super::account::session_json;
use super::extract::{ApiError, ApiJson, ClientIp, MaybeCaller};
use super::limits::Bucket;

/// Body of `POST /api/invites/preview`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// The invite code, as typed or from the link.
    pub code: String,
}

/// Body of `POST /api/invites/accept`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptRequest {
    /// The invite code.
    pub code: String,
    /// Without a session: the email address of the person joining.
    #[serde(default)]
    pub email: Option<String>,
    /// Without a session: their name, for a new account.
    #[serde(default)]
    pub name: Option<String>,
}

/// Runs `attempt` under the per-address invite limits, counting a wrong code as a failure.
async fn limited<T>(
    api: &Api,
    ip: std::net::IpAddr,
    attempt: impl Future<Output = Result<T, ServiceError>>,
) -> Result<T, ApiError> {
    api.limits.check(Bucket::InviteFailures, ip)?;
    api.limits.take(Bucket::InviteAttempts, ip)?;
    match attempt.await {
        Err(error) if error.code() == "invite_invalid" => {
            // Counted after the fact: the next wrong code from this address may be refused.
            let _ = api.limits.take(Bucket::InviteFailures, ip);
            Err(error.into())
        }
        outcome => outcome.map_err(ApiError::from),
    }
}

/// `POST /api/invites/preview`.
pub async fn preview(
    State(api): State<Api>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<PreviewRequest>,
) -> Result<Response, ApiError> {
    let preview = limited(&api, ip, api.service.preview_invite(&body.code)).await?;
    Ok(Json(preview).into_response())
}

/// `POST /api/invites/accept`.
pub async fn accept(
    State(api): State<Api>,
    ClientIp(ip): ClientIp,
    caller: MaybeCaller,
    ApiJson(body): ApiJson<AcceptRequest>,
) -> Result<Response, ApiError> {
    let acceptor = match (caller.user(), body.email.as_deref()) {
        (Some(user), _) => Acceptor::SignedIn(user),
        (None, Some(email)) => Acceptor::New {
            email,
            name: body.name.as_deref(),
        },
        (None, None) => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "not_authenticated",
                "Sign in, or give your email address and name, to join.",
            ));
        }
    };
    let accepted = limited(&api, ip, api.service.accept_invite(&body.code, acceptor)).await?;
    Ok(match accepted {
        Accepted::Joined {
            league_id,
            role,
            user,
            session,
        } => {
            let mut answer = json!({
                "status": "joined",
                "league_id": league_id,
                "role": role,
                "user": user,
            });
            if let Some(session) = &session {
                answer["session"] = session_json(session);
            }
            (StatusCode::OK, Json(answer)).into_response()
        }
        Accepted::SignInRequired { dev } => {
            let mut answer = json!({
                "status": "sign_in_required",
                "message": "An account already uses this email address: we sent it a sign-in link. Open it to join the league.",
            });
            if let Some(dev) = dev {
                answer["dev_link"] = json!(dev);
            }
            (StatusCode::ACCEPTED, Json(answer)).into_response()
        }
    })
}

/// `GET /join/{code}`: the shareable invite link, redirected to the web client with the code in
/// the fragment.
pub async fn join_link(Path(code): Path<String>) -> Response {
    // Only what a code can contain goes into the redirect; anything else cannot be a code and
    // the client will be told so when it presents what is left.
    let code: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(64)
        .collect();
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(&format!("/#join={code}")) {
        headers.insert(header::LOCATION, location);
    }
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
