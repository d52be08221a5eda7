//! One websocket connection: read frames, authenticate, rate-limit, route commands, queue events.
//!
//! The connection keeps no auction state. Commands run in their own tasks (a slow node never blocks
//! the reading of the next frame) and answer through the connection's [`Outbox`]. Bad input gets a
//! clear `error` frame and the connection stays open — except an oversized frame, which closes it
//! with code 1009 because the rest of the stream cannot be trusted.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use auction::AuctionId;
use futures_util::{SinkExt, StreamExt};
use protocol::client::{AuctionCommand, ClientFrame, ErrorCode, Limits, ServerFrame};
use protocol::cluster::ExecuteReply;
use protocol::codec::{self, Encoding, Frame};
use protocol::{MAX_CLIENT_FRAME_BYTES, PROTOCOL_VERSION};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::runtime::Handle;
use tokio::sync::{Notify, Semaphore, mpsc, oneshot};
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::auth::Identity;
use crate::crowd;
use crate::metrics as m;
use crate::outbox::{Outbox, server_time};
use crate::ratelimit::Verdict;
use crate::routing::RouteError;
use crate::state::GatewayState;

/// Close code for a connection dropped because it could not keep up.
pub const CLOSE_SLOW_CONSUMER: u16 = 4008;
/// Close code for a connection that never authenticated.
pub const CLOSE_NO_HELLO: u16 = 4001;
/// Close code for a connection whose session was signed out.
pub const CLOSE_SIGNED_OUT: u16 = 4003;

/// Serve one upgraded websocket until it closes.
pub async fn run<S>(
    ws: WebSocketStream<S>,
    encoding: Encoding,
    state: Arc<GatewayState>,
    peer: IpAddr,
    conn_id: u64,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    metrics::gauge!(m::CONNECTIONS).increment(1.0);
    metrics::counter!(m::CONNECTIONS_OPENED, "encoding" => encoding.name()).increment(1);
    let (sink, mut stream) = ws.split();
    let (tx, rx) = mpsc::channel::<Message>(state.config.send_queue);
    let (close_tx, close_rx) = oneshot::channel::<CloseFrame>();
    let slow = Arc::new(Notify::new());
    let outbox = Outbox::new(tx, encoding, slow.clone());

    // Writer: drains the queue; a close request jumps the queue (a slow consumer's queue is full).
    // It starts on the crowd runtime and moves to this one at the connection's first command (see
    // `crowd`): writes to ten thousand spectators never delay a manager's ack.
    let (promote_tx, promote_rx) = oneshot::channel::<Handle>();
    let writer = crowd::handle().spawn(async move {
        if let WriterEnd::Promote(main, writer) =
            write_loop(sink, rx, close_rx, Some(promote_rx)).await
        {
            let _ = main
                .spawn(
                    async move { write_loop(writer.sink, writer.queue, writer.close, None).await },
                )
                .await;
        }
    });

    let mut session = Session {
        conn_id,
        state: state.clone(),
        outbox,
        identity: None,
        subscriptions: HashSet::new(),
        in_flight: Arc::new(Semaphore::new(state.config.max_commands_in_flight)),
        promote: Some(promote_tx),
    };
    let idle_timeout = state.config.idle_timeout;
    let hello_deadline = Instant::now() + state.config.hello_timeout;
    let mut heartbeat = tokio::time::interval(state.config.ping_every);
    heartbeat.tick().await;
    let mut last_seen = Instant::now();
    let mut closing = state.closing();
    let close = loop {
        tokio::select! {
            _ = closing.changed() => {
                break Some(close_frame(1001, "gateway restarting: reconnect and resume"));
            }
            frame = stream.next() => {
                last_seen = Instant::now();
                match frame {
                    None => break None,
                    Some(Err(error)) => break session.on_read_error(error),
                    Some(Ok(message)) => {
                        if let Some(close) = session.on_message(message).await {
                            break Some(close);
                        }
                    }
                }
            }
            _ = slow.notified() => {
                break Some(close_frame(CLOSE_SLOW_CONSUMER, "slow consumer: reconnect and resume"));
            }
            _ = heartbeat.tick() => {
                if last_seen.elapsed() >= idle_timeout {
                    break Some(close_frame(1001, "idle timeout"));
                }
                if session.identity.is_none() && Instant::now() >= hello_deadline {
                    session.error(None, ErrorCode::NotAuthenticated, "Send hello with your session token first.", None);
                    break Some(close_frame(CLOSE_NO_HELLO, "no hello"));
                }
                // Signed out (here or on another gateway) while connected: stop watching now.
                if let Some(identity) = &session.identity
                    && let Err(failure) = state.auth.recheck(identity)
                {
                    session.error(None, failure.code(), &failure.to_string(), None);
                    break Some(close_frame(CLOSE_SIGNED_OUT, "signed out"));
                }
                session.outbox.send_message(Message::Ping(Default::default()));
            }
        }
    };
    for auction_id in session.subscriptions.drain() {
        state.hubs.leave(&auction_id, conn_id);
    }
    if let Some(identity) = &session.identity {
        state.presence_left(&identity.user);
    }
    if let Some(frame) = close {
        let _ = close_tx.send(frame);
    }
    drop(session);
    let _ = writer.await;
    state.connection_closed(peer);
    state.shared.connection_closed(peer, conn_id).await;
    metrics::gauge!(m::CONNECTIONS).decrement(1.0);
}

/// A connection's writer between two runtimes.
struct Writer<K> {
    sink: K,
    queue: mpsc::Receiver<Message>,
    close: oneshot::Receiver<CloseFrame>,
}

/// Why [`write_loop`] returned.
enum WriterEnd<K> {
    /// The connection is closed.
    Done,
    /// Go on writing on this runtime.
    Promote(Handle, Writer<K>),
}

/// Write queued frames until the connection closes, or until `promote` names another runtime.
async fn write_loop<K>(
    mut sink: K,
    mut queue: mpsc::Receiver<Message>,
    mut close: oneshot::Receiver<CloseFrame>,
    mut promote: Option<oneshot::Receiver<Handle>>,
) -> WriterEnd<K>
where
    K: futures_util::Sink<Message> + Unpin,
{
    loop {
        tokio::select! {
            biased;
            frame = &mut close => {
                if let Ok(frame) = frame {
                    let _ = sink.send(Message::Close(Some(frame))).await;
                }
                return WriterEnd::Done;
            }
            handle = async { promote.as_mut().expect("guarded by the select condition").await }, if promote.is_some() => {
                promote = None;
                if let Ok(handle) = handle {
                    return WriterEnd::Promote(handle, Writer { sink, queue, close });
                }
            }
            message = queue.recv() => match message {
                Some(message) => if write_burst(&mut sink, &mut queue, message).await.is_err() {
                    return WriterEnd::Done;
                },
                None => {
                    let _ = sink.close().await;
                    return WriterEnd::Done;
                }
            },
        }
    }
}

/// Most frames written before one flush: bounds the time a close request can wait behind a burst.
const MAX_FRAMES_PER_FLUSH: usize = 64;

/// Write `first` and whatever is already queued behind it (up to [`MAX_FRAMES_PER_FLUSH`]), then
/// flush once.
async fn write_burst<S>(
    sink: &mut S,
    queue: &mut mpsc::Receiver<Message>,
    first: Message,
) -> Result<(), S::Error>
where
    S: futures_util::Sink<Message> + Unpin,
{
    sink.feed(first).await?;
    for _ in 1..MAX_FRAMES_PER_FLUSH {
        match queue.try_recv() {
            Ok(message) => sink.feed(message).await?,
            Err(_) => break,
        }
    }
    sink.flush().await
}

fn close_frame(code: u16, reason: &str) -> CloseFrame {
    CloseFrame {
        code: CloseCode::from(code),
        reason: reason.to_string().into(),
    }
}

struct Session {
    conn_id: u64,
    state: Arc<GatewayState>,
    outbox: Outbox,
    identity: Option<Identity>,
    subscriptions: HashSet<AuctionId>,
    in_flight: Arc<Semaphore>,
    /// Moves the writer to the main runtime at the first command (the connection acts).
    promote: Option<oneshot::Sender<Handle>>,
}

impl Session {
    fn error(
        &self,
        request_id: Option<u64>,
        code: ErrorCode,
        message: &str,
        retry_after_ms: Option<u64>,
    ) {
        metrics::counter!(m::ERRORS, "code" => code.as_str()).increment(1);
        self.outbox.send_frame(&ServerFrame::Error {
            server_time: server_time(),
            request_id,
            code,
            message: message.to_string(),
            retry_after_ms,
        });
    }

    fn on_read_error(&self, error: tokio_tungstenite::tungstenite::Error) -> Option<CloseFrame> {
        use tokio_tungstenite::tungstenite::Error;
        use tokio_tungstenite::tungstenite::error::CapacityError;
        match error {
            Error::Capacity(CapacityError::MessageTooLong { size, max_size }) => {
                let message =
                    format!("Frames are limited to {max_size} bytes; this one had {size}.");
                self.error(None, ErrorCode::FrameTooLarge, &message, None);
                Some(close_frame(1009, "frame too large"))
            }
            Error::Capacity(_) => {
                self.error(
                    None,
                    ErrorCode::FrameTooLarge,
                    "That frame is too large.",
                    None,
                );
                Some(close_frame(1009, "frame too large"))
            }
            Error::Utf8(_) => {
                self.error(
                    None,
                    ErrorCode::MalformedFrame,
                    "Text frames must be valid UTF-8.",
                    None,
                );
                Some(close_frame(1007, "invalid utf-8"))
            }
            _ => None,
        }
    }

    /// Handle one message; `Some` closes the connection.
    async fn on_message(&mut self, message: Message) -> Option<CloseFrame> {
        let frame = match message {
            Message::Text(text) => Frame::Text(text.to_string()),
            Message::Binary(bytes) => Frame::Binary(bytes.to_vec()),
            Message::Close(_) => return Some(close_frame(1000, "bye")),
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => return None,
        };
        if frame.len() > MAX_CLIENT_FRAME_BYTES {
            let message = format!(
                "Frames are limited to {MAX_CLIENT_FRAME_BYTES} bytes; this one had {}.",
                frame.len()
            );
            self.error(None, ErrorCode::FrameTooLarge, &message, None);
            return Some(close_frame(1009, "frame too large"));
        }
        let client_frame: ClientFrame = match codec::decode_frame(&frame) {
            Ok(client_frame) => client_frame,
            Err(error) => {
                self.error(
                    None,
                    ErrorCode::MalformedFrame,
                    &format!("That message was not understood: {error}."),
                    None,
                );
                return None;
            }
        };
        metrics::counter!(m::FRAMES_RECEIVED, "type" => client_frame_kind(&client_frame))
            .increment(1);
        match client_frame {
            ClientFrame::Hello { token, .. } => self.hello(&token),
            ClientFrame::Ping { client_time } => {
                self.outbox.send_frame(&ServerFrame::Pong {
                    server_time: server_time(),
                    client_time,
                });
            }
            ClientFrame::Subscribe {
                auction_id,
                after_seq,
            } => self.subscribe(auction_id, after_seq).await,
            ClientFrame::Unsubscribe { auction_id } => {
                if self.subscriptions.remove(&auction_id) {
                    self.state.hubs.leave(&auction_id, self.conn_id);
                }
            }
            ClientFrame::Command {
                request_id,
                auction_id,
                command,
            } => self.command(request_id, auction_id, command).await,
        }
        None
    }

    fn hello(&mut self, token: &str) {
        match self.state.auth.authenticate(token) {
            Ok(identity) => {
                let limits = Limits {
                    max_frame_bytes: MAX_CLIENT_FRAME_BYTES as u64,
                    commands_per_minute: self.state.config.commands_per_minute,
                    idle_timeout_ms: self.state.config.idle_timeout.as_millis() as u64,
                };
                self.outbox.send_frame(&ServerFrame::Welcome {
                    server_time: server_time(),
                    protocol: PROTOCOL_VERSION,
                    user: identity.user.clone(),
                    name: identity.name.clone(),
                    limits,
                });
                if let Some(previous) = &self.identity {
                    self.state.presence_left(&previous.user);
                }
                self.state.presence_joined(&identity.user);
                self.identity = Some(identity);
            }
            Err(failure) => self.error(None, failure.code(), &failure.to_string(), None),
        }
    }

    /// The identity, if it is still valid; otherwise tell the client why not.
    fn current_identity(&self, request_id: Option<u64>) -> Option<Identity> {
        match &self.identity {
            None => {
                self.error(
                    request_id,
                    ErrorCode::NotAuthenticated,
                    "Send hello with your session token first.",
                    None,
                );
                None
            }
            Some(identity) if identity.expires_at_ms <= server_time() => {
                self.error(
                    request_id,
                    ErrorCode::TokenExpired,
                    "Your session has expired; sign in again.",
                    None,
                );
                None
            }
            Some(identity) => match self.state.auth.recheck(identity) {
                Ok(()) => Some(identity.clone()),
                Err(failure) => {
                    self.error(request_id, failure.code(), &failure.to_string(), None);
                    None
                }
            },
        }
    }

    async fn subscribe(&mut self, auction_id: AuctionId, after_seq: Option<u64>) {
        let Some(identity) = self.current_identity(None) else {
            return;
        };
        if !self.state.authz.can_view(&identity.user, &auction_id).await {
            self.error(
                None,
                ErrorCode::Forbidden,
                "You are not a member of this auction's league.",
                None,
            );
            return;
        }
        if self.subscriptions.len() >= self.state.config.max_subscriptions
            && !self.subscriptions.contains(&auction_id)
        {
            let message = format!(
                "A connection can watch at most {} auctions.",
                self.state.config.max_subscriptions
            );
            self.error(None, ErrorCode::Forbidden, &message, None);
            return;
        }
        if !self.subscriptions.insert(auction_id.clone()) {
            // Re-subscribing resumes afresh: leave first so the hub sends the right catch-up.
            self.state.hubs.leave(&auction_id, self.conn_id);
        }
        let outbox = self.outbox.for_user(Some(identity.user));
        self.state
            .hubs
            .join(&auction_id, self.conn_id, outbox, after_seq);
    }

    async fn command(&mut self, request_id: u64, auction_id: AuctionId, command: AuctionCommand) {
        if let Some(promote) = self.promote.take() {
            let _ = promote.send(Handle::current());
        }
        let Some(identity) = self.current_identity(Some(request_id)) else {
            return;
        };
        let kind = command.kind();
        if let Verdict::Limited { retry_after_ms } = self.state.limiter.check(&identity.user).await
        {
            metrics::counter!(m::RATE_LIMITED).increment(1);
            let message = format!(
                "Too many actions: the limit is {} per minute. Try again in {:.1} s.",
                self.state.config.commands_per_minute,
                retry_after_ms as f64 / 1000.0
            );
            self.error(
                Some(request_id),
                ErrorCode::RateLimited,
                &message,
                Some(retry_after_ms),
            );
            return;
        }
        let Ok(permit) = self.in_flight.clone().try_acquire_owned() else {
            self.error(
                Some(request_id),
                ErrorCode::RateLimited,
                "Too many actions in flight; wait for an answer.",
                Some(250),
            );
            return;
        };
        let state = self.state.clone();
        let outbox = self.outbox.clone();
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let result = state
                .routing
                .execute(&auction_id, &identity.user, &command)
                .await;
            let (frame, outcome) = answer(request_id, &auction_id, result);
            metrics::histogram!(m::COMMAND_SECONDS, "command" => kind, "outcome" => outcome)
                .record(started.elapsed().as_secs_f64());
            metrics::counter!(m::COMMANDS, "command" => kind, "outcome" => outcome).increment(1);
            outbox.send_frame(&frame);
            drop(permit);
        });
    }
}

fn answer(
    request_id: u64,
    auction_id: &AuctionId,
    result: Result<(ExecuteReply, String), RouteError>,
) -> (ServerFrame, &'static str) {
    let now = server_time();
    let error = |code: ErrorCode, message: String, retry: Option<u64>| ServerFrame::Error {
        server_time: now,
        request_id: Some(request_id),
        code,
        message,
        retry_after_ms: retry,
    };
    match result {
        Ok((ExecuteReply::Accepted { seq }, _)) => (
            ServerFrame::Ack {
                server_time: now,
                request_id,
                auction_id: auction_id.clone(),
                seq,
                duplicate_of: None,
            },
            "accepted",
        ),
        Ok((ExecuteReply::Duplicate { receipt, seq }, _)) => (
            ServerFrame::Ack {
                server_time: now,
                request_id,
                auction_id: auction_id.clone(),
                seq,
                duplicate_of: Some(receipt),
            },
            "duplicate",
        ),
        Ok((ExecuteReply::Refused { code, message }, _)) => (
            ServerFrame::Refused {
                server_time: now,
                request_id,
                auction_id: auction_id.clone(),
                code,
                message,
            },
            "refused",
        ),
        Ok((ExecuteReply::NotFound, _)) => (
            error(
                ErrorCode::UnknownAuction,
                "There is no such auction.".into(),
                None,
            ),
            "unknown",
        ),
        Ok((ExecuteReply::NotOwner { .. } | ExecuteReply::Unavailable { .. }, _)) => (
            error(
                ErrorCode::Unavailable,
                "The auction is not reachable right now; try again.".into(),
                Some(1_000),
            ),
            "unavailable",
        ),
        Err(RouteError::OutcomeUnknown(detail)) => (
            error(
                ErrorCode::OutcomeUnknown,
                format!(
                    "We could not confirm whether that was applied ({detail}); check the auction before repeating it."
                ),
                None,
            ),
            "unknown",
        ),
        Err(error_detail) => (
            error(
                ErrorCode::Unavailable,
                format!(
                    "{error_detail}; try again (bids with the same key are never applied twice)."
                ),
                Some(1_000),
            ),
            "unavailable",
        ),
    }
}

fn client_frame_kind(frame: &ClientFrame) -> &'static str {
    match frame {
        ClientFrame::Hello { .. } => "hello",
        ClientFrame::Subscribe { .. } => "subscribe",
        ClientFrame::Unsubscribe { .. } => "unsubscribe",
        ClientFrame::Command { .. } => "command",
        ClientFrame::Ping { .. } => "ping",
    }
}

/// How long an idle connection may stay silent (also the pong deadline).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(45);
