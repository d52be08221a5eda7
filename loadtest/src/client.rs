//! A protocol client over a real websocket: what the load test's simulated managers and
//! spectators use, and what the multi-process tests drive the system with.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use protocol::client::{AuctionCommand, ClientFrame, ServerFrame};
use protocol::codec::{self, Encoding, Frame};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Why a client operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The websocket failed.
    #[error("websocket: {0}")]
    Socket(#[from] tungstenite::Error),
    /// A frame could not be encoded or decoded.
    #[error("codec: {0}")]
    Codec(#[from] codec::CodecError),
    /// Nothing (matching) arrived in time.
    #[error("timed out after {0:?} waiting for {1}")]
    Timeout(Duration, String),
    /// The server closed the connection.
    #[error("the server closed the connection")]
    Closed,
    /// The server answered something unexpected.
    #[error("unexpected answer: {0}")]
    Unexpected(String),
}

/// One websocket connection speaking the auction protocol.
#[derive(Debug)]
pub struct Client {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    encoding: Encoding,
    next_request: u64,
}

impl Client {
    /// Connect to `url` (e.g. `ws://127.0.0.1:8080/ws`) asking for `encoding`.
    pub async fn connect(url: &str, encoding: Encoding) -> Result<Client, ClientError> {
        Client::connect_with_config(url, encoding, None).await
    }

    /// Connect with small socket buffers ([`small_buffers`]): what the load test uses so that
    /// thousands of connections fit in one process.
    pub async fn connect_small(url: &str, encoding: Encoding) -> Result<Client, ClientError> {
        Client::connect_with_config(url, encoding, Some(small_buffers())).await
    }

    /// Connect with an explicit websocket configuration (`None`: tungstenite's defaults).
    pub async fn connect_with_config(
        url: &str,
        encoding: Encoding,
        config: Option<WebSocketConfig>,
    ) -> Result<Client, ClientError> {
        let mut request = url.into_client_request()?;
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static(encoding.subprotocol()),
        );
        let (socket, _response) =
            tokio_tungstenite::connect_async_with_config(request, config, true).await?;
        Ok(Client {
            socket,
            encoding,
            next_request: 1,
        })
    }

    /// The next data frame, without a timeout: `None` when the connection is closed. Control
    /// frames are handled (pongs are queued by tungstenite) and skipped. Cancel-safe, so it can
    /// sit in a `select!` beside timers.
    pub async fn next_frame(&mut self) -> Option<Result<Frame, ClientError>> {
        loop {
            return match self.socket.next().await? {
                Err(error) => Some(Err(error.into())),
                Ok(Message::Text(text)) => Some(Ok(Frame::Text(text.to_string()))),
                Ok(Message::Binary(bytes)) => Some(Ok(Frame::Binary(bytes.to_vec()))),
                Ok(Message::Close(_)) => None,
                Ok(_) => continue,
            };
        }
    }

    /// Send a command with a request id chosen by the caller (for retries with the same key).
    pub async fn command_with_id(
        &mut self,
        request_id: u64,
        auction_id: &auction::AuctionId,
        command: AuctionCommand,
    ) -> Result<(), ClientError> {
        self.send(&ClientFrame::Command {
            request_id,
            auction_id: auction_id.clone(),
            command,
        })
        .await
    }

    /// Drop the connection without a closing handshake, as a phone losing its network does.
    pub fn abort(self) {
        drop(self);
    }

    /// The negotiated encoding.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Send a frame.
    pub async fn send(&mut self, frame: &ClientFrame) -> Result<(), ClientError> {
        let message = match self.encoding.encode(frame)? {
            Frame::Text(text) => Message::Text(text.into()),
            Frame::Binary(bytes) => Message::Binary(bytes.into()),
        };
        self.socket.send(message).await?;
        Ok(())
    }

    /// Send raw bytes as one frame (tests of malformed input).
    pub async fn send_raw(&mut self, message: Message) -> Result<(), ClientError> {
        self.socket.send(message).await?;
        Ok(())
    }

    /// The next server frame, waiting at most `timeout`.
    pub async fn recv(&mut self, timeout: Duration) -> Result<ServerFrame, ClientError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
            let message = tokio::time::timeout(remaining, self.socket.next())
                .await
                .map_err(|_| ClientError::Timeout(timeout, "a frame".into()))?;
            let frame = match message {
                None => return Err(ClientError::Closed),
                Some(Err(error)) => return Err(error.into()),
                Some(Ok(Message::Text(text))) => Frame::Text(text.to_string()),
                Some(Ok(Message::Binary(bytes))) => Frame::Binary(bytes.to_vec()),
                Some(Ok(Message::Close(_))) => return Err(ClientError::Closed),
                Some(Ok(_)) => continue,
            };
            return Ok(codec::decode_frame(&frame)?);
        }
    }

    /// Wait for a frame accepted by `pick`, returning what it extracts; other frames are passed
    /// to `skipped` (so callers can keep them) and otherwise ignored.
    pub async fn recv_until<T>(
        &mut self,
        timeout: Duration,
        what: &str,
        mut pick: impl FnMut(&ServerFrame) -> Option<T>,
        mut skipped: impl FnMut(ServerFrame),
    ) -> Result<T, ClientError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
            if remaining.is_zero() {
                return Err(ClientError::Timeout(timeout, what.to_string()));
            }
            let frame = match self.recv(remaining).await {
                Err(ClientError::Timeout(..)) => {
                    return Err(ClientError::Timeout(timeout, what.to_string()));
                }
                other => other?,
            };
            match pick(&frame) {
                Some(value) => return Ok(value),
                None => skipped(frame),
            }
        }
    }

    /// Authenticate; returns the `welcome` frame.
    pub async fn hello(
        &mut self,
        token: &str,
        timeout: Duration,
    ) -> Result<ServerFrame, ClientError> {
        self.send(&ClientFrame::Hello {
            token: token.to_string(),
            client: Some("loadtest".into()),
        })
        .await?;
        let frame = self.recv(timeout).await?;
        match frame {
            ServerFrame::Welcome { .. } => Ok(frame),
            other => Err(ClientError::Unexpected(format!("{other:?}"))),
        }
    }

    /// Send a command; returns its request id.
    pub async fn command(
        &mut self,
        auction_id: &auction::AuctionId,
        command: AuctionCommand,
    ) -> Result<u64, ClientError> {
        let request_id = self.next_request;
        self.next_request += 1;
        self.send(&ClientFrame::Command {
            request_id,
            auction_id: auction_id.clone(),
            command,
        })
        .await?;
        Ok(request_id)
    }

    /// Close politely.
    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}

/// Small socket buffers for clients: a 4 KiB read buffer and no write buffering (tungstenite's
/// defaults cost about 18 KiB per client connection; see `shared/notes/CLUSTER.md` §4.4).
pub fn small_buffers() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(1024 * 1024)
}

/// The request id a server frame answers, if it answers one.
pub fn answers(frame: &ServerFrame) -> Option<u64> {
    match frame {
        ServerFrame::Ack { request_id, .. } | ServerFrame::Refused { request_id, .. } => {
            Some(*request_id)
        }
        ServerFrame::Error { request_id, .. } => *request_id,
        _ => None,
    }
}
