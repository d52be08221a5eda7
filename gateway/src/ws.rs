//! The websocket upgrade, done with tokio-tungstenite directly on hyper's upgraded connection (so
//! there is one tungstenite in the build and full control of its buffers).
//!
//! Per-connection memory is kept small (tungstenite's defaults cost ~136 KiB per connection, see
//! `../shared/notes/CLUSTER.md` §4.4): a 4 KiB read buffer, no write buffering, and incoming frames
//! capped at [`protocol::MAX_CLIENT_FRAME_BYTES`].

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;
use protocol::codec::Encoding;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

use crate::metrics as m;
use crate::state::GatewayState;

/// The websocket configuration of every client connection.
pub fn websocket_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(4 * 1024 * 1024)
        .max_message_size(Some(protocol::MAX_CLIENT_FRAME_BYTES))
        .max_frame_size(Some(protocol::MAX_CLIENT_FRAME_BYTES))
}

fn bad_request(message: &'static str) -> Response {
    metrics::counter!(m::CONNECTIONS_REFUSED, "reason" => "bad_upgrade").increment(1);
    (StatusCode::BAD_REQUEST, message).into_response()
}

fn header_contains(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|part| part.trim().eq_ignore_ascii_case(token))
}

/// `GET /ws`: upgrade to a websocket speaking the auction protocol.
pub async fn upgrade(
    State(state): State<Arc<GatewayState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
) -> Response {
    let headers = request.headers();
    if !header_contains(headers, header::CONNECTION, "upgrade")
        || !header_contains(headers, header::UPGRADE, "websocket")
    {
        return bad_request("This endpoint speaks websocket only (Upgrade: websocket).");
    }
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .and_then(|v| v.to_str().ok())
        != Some("13")
    {
        return bad_request("Unsupported websocket version (expected 13).");
    }
    let Some(key) = headers
        .get(header::SEC_WEBSOCKET_KEY)
        .map(|key| key.as_bytes().to_vec())
    else {
        return bad_request("Missing Sec-WebSocket-Key.");
    };
    let offered: Vec<String> = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|name| name.trim().to_string())
        .collect();
    let negotiated = Encoding::negotiate(offered.iter().map(String::as_str));
    if !offered.is_empty() && negotiated.is_none() {
        return bad_request(
            "None of the offered subprotocols is supported (auction.v1.json, auction.v1.msgpack).",
        );
    }
    if !state.connection_opened(peer.ip()) {
        metrics::counter!(m::CONNECTIONS_REFUSED, "reason" => "per_ip_limit").increment(1);
        return (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many connections from your address.",
        )
            .into_response();
    }
    let conn_id = state.next_conn_id();
    if !state.shared.connection_opened(peer.ip(), conn_id).await {
        state.connection_closed(peer.ip());
        metrics::counter!(m::CONNECTIONS_REFUSED, "reason" => "per_ip_limit").increment(1);
        return (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many connections from your address.",
        )
            .into_response();
    }
    let encoding = negotiated.unwrap_or(Encoding::Json);
    let on_upgrade = hyper::upgrade::on(&mut request);
    let session_state = state.clone();
    tokio::spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => {
                let ws = WebSocketStream::from_raw_socket(
                    TokioIo::new(upgraded),
                    Role::Server,
                    Some(websocket_config()),
                )
                .await;
                crate::session::run(ws, encoding, session_state, peer.ip(), conn_id).await;
            }
            Err(error) => {
                tracing::debug!(%error, "websocket upgrade failed");
                session_state.connection_closed(peer.ip());
                session_state
                    .shared
                    .connection_closed(peer.ip(), conn_id)
                    .await;
            }
        }
    });
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let response_headers = response.headers_mut();
    response_headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    response_headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(accept) = HeaderValue::from_str(&derive_accept_key(&key)) {
        response_headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    if let Some(encoding) = negotiated {
        response_headers.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static(encoding.subprotocol()),
        );
    }
    response
}
