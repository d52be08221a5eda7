//! The OpenAPI 3.1 description of the HTTP API, `docs/openapi.json`, compiled in and served at
//! `GET /api/openapi.json`. The tests keep it honest: every route of [`super::routes::table`]
//! is in it and every path in it is a route, and responses seen in the end-to-end tests carry
//! only the status codes it documents.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The document's text.
pub const OPENAPI_JSON: &str = include_str!("../../../docs/openapi.json");

/// `GET /api/openapi.json`.
pub async fn document() -> Response {
    let mut response = (StatusCode::OK, OPENAPI_JSON).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
