//! A bare websocket echo server: the floor a gateway round trip is compared with. Same library
//! (tokio-tungstenite), same socket tuning as the gateway (listen backlog 4096, 4 KiB read
//! buffer, no write buffering), same subprotocol negotiation; it only sends every data frame back.

use std::net::SocketAddr;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(4 * 1024 * 1024)
        .max_message_size(Some(64 * 1024))
}

/// Bind `listen` (port 0: any) and serve forever; `ready` gets the bound address.
pub async fn serve(
    listen: SocketAddr,
    ready: impl FnOnce(SocketAddr) + Send,
) -> anyhow::Result<()> {
    crate::deploy::check_loopback(&listen.to_string())?;
    let socket = if listen.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(listen)?;
    let listener = socket.listen(4096)?;
    ready(listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            #[allow(clippy::result_large_err)] // the signature tungstenite's callback requires
            let callback = |request: &Request, mut response: Response| {
                if let Some(offered) = request.headers().get("Sec-WebSocket-Protocol")
                    && let Ok(offered) = offered.to_str()
                    && let Some(first) = offered.split(',').next()
                    && let Ok(value) = HeaderValue::from_str(first.trim())
                {
                    response
                        .headers_mut()
                        .insert("Sec-WebSocket-Protocol", value);
                }
                Ok::<Response, ErrorResponse>(response)
            };
            let Ok(ws) =
                tokio_tungstenite::accept_hdr_async_with_config(stream, callback, Some(config()))
                    .await
            else {
                return;
            };
            let (mut sink, mut stream) = ws.split();
            while let Some(Ok(message)) = stream.next().await {
                let reply = match message {
                    Message::Text(_) | Message::Binary(_) => message,
                    Message::Close(_) => break,
                    _ => continue,
                };
                if sink.send(reply).await.is_err() {
                    break;
                }
            }
        });
    }
}
