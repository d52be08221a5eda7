//! Request and response plumbing of the API: the error body, the caller's identity, JSON and CSV
//! bodies, query strings and the client's address — each turning every failure into the API's
//! JSON error instead of a framework's plain-text one.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use league::auth::Claims;
use league_service::{ErrorKind, RowProblem, ServiceError};
use serde::de::DeserializeOwned;
use serde_json::json;

use super::Api;

/// Largest upload read from a request; the importers' own limit (1 MiB) is lower, so files
/// between the two get the importer's exact message.
pub const MAX_UPLOAD_BYTES: usize = 4 * 1024 * 1024;

/// An API error: a status, a stable code, a sentence, and for CSV files every bad row.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    rows: Option<Vec<RowProblem>>,
    retry_after: Option<Duration>,
    /// Ask the client not to reuse the connection (the request's body was left unread).
    close_connection: bool,
}

impl ApiError {
    /// A new error.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            rows: None,
            close_connection: false,
            retry_after: None,
        }
    }

    /// Too many requests; retry after `retry_after`.
    pub fn rate_limited(message: impl Into<String>, retry_after: Duration) -> Self {
        ApiError {
            retry_after: Some(retry_after),
            ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
        }
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The code.
    pub fn code(&self) -> &'static str {
        self.code
    }
}

/// The HTTP status of each kind of service refusal.
pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::NotSignedIn => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
        ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Gone => StatusCode::GONE,
        ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        let status = status_of(error.kind());
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(%error, "league service failure");
        }
        let rows = match &error {
            ServiceError::Import(failure) => Some(failure.rows()),
            _ => None,
        };
        ApiError {
            status,
            code: error.code(),
            message: sentence(&error.to_string()),
            rows,
            retry_after: error.retry_after(),
            close_connection: false,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "code": self.code, "message": self.message });
        if let Some(rows) = &self.rows {
            body["rows"] = json!(rows);
        }
        let mut response = (self.status, Json(json!({ "error": body }))).into_response();
        if let Some(retry_after) = self.retry_after {
            let seconds = retry_after.as_secs().max(1);
            if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        if self.close_connection {
            // The rest of the body is still on the wire: a client that reused this connection
            // would have its next request read as garbage or cut off.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

/// A domain message as a sentence: capitalised, with a full stop.
pub fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?', '…']) {
        out.push('.');
    }
    out
}

/// The signed-in caller (required): a bearer token checked exactly (signature, expiry, stored
/// revocations).
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user.
    pub user: auction::UserId,
    /// The token's claims (for signing this session out).
    pub claims: Claims,
}

/// The caller if a token was presented (an invalid token is still refused, never downgraded to
/// anonymous).
#[derive(Debug, Clone)]
pub struct MaybeCaller(pub Option<Caller>);

fn bearer(parts: &Parts) -> Result<Option<&str>, ApiError> {
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default().trim();
    match text.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim()))
        }
        _ => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "The Authorization header must be \"Bearer <session token>\".",
        )),
    }
}

impl MaybeCaller {
    /// The caller's user id, if signed in.
    pub fn user(&self) -> Option<&auction::UserId> {
        self.0.as_ref().map(|caller| &caller.user)
    }
}

impl FromRequestParts<Api> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, api: &Api) -> Result<Self, Self::Rejection> {
        let Some(token) = bearer(parts)? else {
            return Ok(MaybeCaller(None));
        };
        let claims = api.service.authenticate(token).await?;
        Ok(MaybeCaller(Some(Caller {
            user: claims.sub.clone(),
            claims,
        })))
    }
}

impl FromRequestParts<Api> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, api: &Api) -> Result<Self, Self::Rejection> {
        match MaybeCaller::from_request_parts(parts, api).await?.0 {
            Some(caller) => Ok(caller),
            None => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "not_authenticated",
                "Sign in first (Authorization: Bearer <session token>).",
            )),
        }
    }
}

/// A JSON body whose problems are answered as API errors.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    let detail = rejection.body_text();
    let detail = detail
        .strip_prefix("Failed to deserialize the JSON body into the target type: ")
        .or_else(|| detail.strip_prefix("Failed to parse the request body as JSON: "))
        .unwrap_or(&detail)
        .to_owned();
    match rejection {
        JsonRejection::JsonDataError(_) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            sentence(&format!("the request body is not valid: {detail}")),
        ),
        JsonRejection::JsonSyntaxError(_) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            sentence(&format!("the request body is not valid JSON: {detail}")),
        ),
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the request body as JSON (Content-Type: application/json).",
        ),
        other => ApiError::new(other.status(), "invalid_body", sentence(&detail)),
    }
}

/// A query string whose problems are answered as API errors.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(query_rejection(rejection)),
        }
    }
}

fn query_rejection(rejection: QueryRejection) -> ApiError {
    let detail = rejection.body_text();
    let detail = detail
        .strip_prefix("Failed to deserialize query string: ")
        .unwrap_or(&detail)
        .to_owned();
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_query",
        sentence(&format!("the query string is not valid: {detail}")),
    )
}

/// An uploaded file (the raw body), read up to [`MAX_UPLOAD_BYTES`].
#[derive(Debug, Clone)]
pub struct Upload {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Whether it was sent as JSON (`Content-Type: application/json`).
    pub is_json: bool,
}

impl<S: Send + Sync> FromRequest<S> for Upload {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| {
                value
                    .split(';')
                    .next()
                    .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
            });
        let bytes = axum::body::to_bytes(request.into_body(), MAX_UPLOAD_BYTES)
            .await
            .map_err(|_| ApiError {
                close_connection: true,
                ..ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "file_too_large",
                    "The file is over 4 MiB; files are limited to 1 MiB (1048576 bytes).",
                )
            })?;
        Ok(Upload {
            bytes: bytes.to_vec(),
            is_json,
        })
    }
}

/// The client's address (from the connection; unspecified when the server was not started with
/// connection info, as in unit tests).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip()),
        ))
    }
}

/// A CSV file download: CSV UTF-8 (the exporters add the byte-order mark), with a file name.
pub fn csv_file(file_name: &str, body: String) -> Response {
    let disposition = format!("attachment; filename=\"{file_name}\"");
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// `?format=csv` on the routes that can answer with a file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// JSON (the default).
    #[default]
    Json,
    /// A CSV file.
    Csv,
}

/// The query of routes with a `format`.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormatQuery {
    /// `json` or `csv`.
    #[serde(default)]
    pub format: Format,
}
