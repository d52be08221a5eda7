//! The sending side of one connection: a bounded queue to its writer task.
//!
//! A slow phone must never slow an auction. Frames are queued with `try_send`; when a connection's
//! queue is full it is *dropped*: it gets a `slow_consumer` error and is closed, and the client
//! reconnects and resumes from the last sequence number it applied (exactly the missed events, or a
//! snapshot). Nothing upstream ever waits for a socket.

use std::sync::Arc;

use auction::{AuctionId, UserId};
use protocol::client::ServerFrame;
use protocol::codec::{Encoding, Frame};
use protocol::envelope::{ClientEvent, EventEnvelope};
use tokio::sync::{Notify, mpsc};
use tokio_tungstenite::tungstenite::Message;

use crate::metrics as m;

/// The server's clock, ms since the Unix epoch, stamped on every frame.
pub fn server_time() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or(0)
}

/// Turn an encoded frame into a websocket message (no copy of the payload).
pub fn to_message(frame: Frame) -> Message {
    match frame {
        Frame::Text(text) => Message::Text(text.into()),
        Frame::Binary(bytes) => Message::Binary(bytes.into()),
    }
}

/// Handle to one connection's outgoing queue.
#[derive(Debug, Clone)]
pub struct Outbox {
    tx: mpsc::Sender<Message>,
    encoding: Encoding,
    user: Option<UserId>,
    slow: Arc<Notify>,
}

impl Outbox {
    /// An outbox feeding `tx`; `slow` is notified when the connection must be dropped.
    pub fn new(tx: mpsc::Sender<Message>, encoding: Encoding, slow: Arc<Notify>) -> Outbox {
        Outbox {
            tx,
            encoding,
            user: None,
            slow,
        }
    }

    /// The same outbox, acting for `user`.
    pub fn for_user(&self, user: Option<UserId>) -> Outbox {
        Outbox {
            user,
            ..self.clone()
        }
    }

    /// The connection's encoding.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The authenticated user, if any.
    pub fn user(&self) -> Option<&UserId> {
        self.user.as_ref()
    }

    /// Queue an already-encoded message. `false` when the queue is full or closed.
    pub fn send_message(&self, message: Message) -> bool {
        match self.tx.try_send(message) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => false,
            Err(mpsc::error::TrySendError::Closed(_)) => true,
        }
    }

    /// Encode and queue a frame.
    pub fn send_frame(&self, frame: &ServerFrame) -> bool {
        match self.encoding.encode(frame) {
            Ok(encoded) => {
                metrics::counter!(m::FRAMES_SENT, "type" => frame.kind()).increment(1);
                self.send_message(to_message(encoded))
            }
            Err(error) => {
                tracing::error!(%error, "server frame does not encode");
                true
            }
        }
    }

    /// Queue events as this connection's user may see them.
    pub fn send_events(&self, auction_id: &AuctionId, events: &[&EventEnvelope], now: i64) -> bool {
        let viewer = self.user.as_ref();
        let events: Vec<ClientEvent> = events
            .iter()
            .map(|event| event.for_viewer(viewer))
            .collect();
        self.send_frame(&ServerFrame::Events {
            server_time: now,
            auction_id: auction_id.clone(),
            events,
        })
    }

    /// Drop this connection: it could not keep up.
    pub fn close_slow(&self) {
        self.slow.notify_one();
    }
}

/// Encodes one frame at most once per encoding, for fan-out to many connections.
#[derive(Debug)]
pub struct EncodedOnce<'a> {
    frame: &'a ServerFrame,
    json: Option<Message>,
    msgpack: Option<Message>,
}

impl<'a> EncodedOnce<'a> {
    /// Nothing encoded yet.
    pub fn new(frame: &'a ServerFrame) -> Self {
        EncodedOnce {
            frame,
            json: None,
            msgpack: None,
        }
    }

    /// The frame in `encoding` (a cheap clone of shared bytes after the first call).
    pub fn get(&mut self, encoding: Encoding) -> Message {
        let slot = match encoding {
            Encoding::Json => &mut self.json,
            Encoding::MessagePack => &mut self.msgpack,
        };
        if slot.is_none() {
            metrics::counter!(m::FRAMES_SENT, "type" => self.frame.kind()).increment(1);
            *slot = Some(match encoding.encode(self.frame) {
                Ok(encoded) => to_message(encoded),
                Err(error) => {
                    tracing::error!(%error, "server frame does not encode");
                    Message::Text("".into())
                }
            });
        }
        slot.clone().unwrap_or_else(|| Message::Text("".into()))
    }
}
