//! Frames between a client and a gateway.
//!
//! Every frame is an object with a `type` tag. Every server frame carries `server_time` (milliseconds
//! since the Unix epoch, the server's clock) so a client can estimate its skew and render countdowns
//! as `deadline − (client_now + skew)`. See `docs/PROTOCOL.md` for the conversation and an example of
//! every frame.

use auction::{
    AssetId, AuctionId, AuctionView, BidReceipt, IdempotencyKey, LotNumber, Money, PrivateView,
    UserId,
};
use serde::{Deserialize, Serialize};

use crate::envelope::ClientEvent;

/// A frame sent by a client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// First frame on a connection: the session token from sign-in.
    Hello {
        /// Session token (JWT) obtained from a magic or invite link.
        token: String,
        /// Free-form client description for logs (e.g. "web/1.0").
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client: Option<String>,
    },
    /// Start receiving an auction's events. With `after_seq`, resume: the server sends exactly the
    /// events after it, or a snapshot when they are no longer available.
    Subscribe {
        /// The auction to watch.
        auction_id: AuctionId,
        /// The last sequence number this client applied.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after_seq: Option<u64>,
    },
    /// Stop receiving an auction's events.
    Unsubscribe {
        /// The auction to stop watching.
        auction_id: AuctionId,
    },
    /// Do something in an auction. Answered by `ack`, `refused` or `error` with the same `request_id`.
    Command {
        /// Chosen by the client, echoed in the answer (keep it below 2^53 for JavaScript).
        request_id: u64,
        /// The auction this command is for.
        auction_id: AuctionId,
        /// What to do.
        command: AuctionCommand,
    },
    /// Application-level ping; answered by `pong` with the server time (clock-skew estimation).
    Ping {
        /// The client's clock when it sent the ping, echoed back.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_time: Option<i64>,
    },
}

/// What a client can ask an auction to do. The acting user is the authenticated one, never a field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AuctionCommand {
    /// Bid `amount` on lot `lot`. `key` makes retries safe: the same key is never applied twice.
    Bid {
        /// The lot this bid is for; a bid for any other lot is refused.
        lot: LotNumber,
        /// The amount, in whole currency units (e.g. 12000000 for £12m).
        amount: Money,
        /// Idempotency key, unique per bid attempt (a UUID is fine).
        key: IdempotencyKey,
    },
    /// Set a sealed proxy maximum on lot `lot`: the system bids for you up to it.
    Proxy {
        /// The lot the maximum applies to.
        lot: LotNumber,
        /// The most you are willing to pay.
        max: Money,
        /// Idempotency key.
        key: IdempotencyKey,
    },
    /// Declare no further interest in lot `lot`.
    Pass {
        /// The lot passed on.
        lot: LotNumber,
    },
    /// Turn auto-pass on or off for yourself, or (commissioner) for an absent manager.
    AutoPass {
        /// On or off.
        on: bool,
        /// The manager concerned; yourself when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        manager: Option<UserId>,
    },
    /// Nominate an asset (rotation mode, on your turn), opening at `opening_bid`.
    Nominate {
        /// The asset to put up.
        asset: AssetId,
        /// Your opening bid; the league's minimum when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        opening_bid: Option<Money>,
    },
    /// Commissioner: begin the auction from the waiting room.
    Begin,
    /// Commissioner: freeze the clock.
    Pause,
    /// Commissioner: restart the clock with exactly the time that was left.
    Resume,
    /// Commissioner: close the current lot now (sold to the leader if any). With `lot`, only if that
    /// lot is still the open one, so a late press can never close the next lot.
    Skip {
        /// The lot the commissioner saw open.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lot: Option<LotNumber>,
    },
    /// Commissioner: undo the most recent sale (refund; the asset is offered again next). With
    /// `lot`, only if that lot's sale is still the latest.
    Undo {
        /// The lot whose sale the commissioner saw last.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lot: Option<LotNumber>,
    },
    /// Commissioner: end the auction now.
    End,
}

impl AuctionCommand {
    /// Stable short name, used in metrics labels and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            AuctionCommand::Bid { .. } => "bid",
            AuctionCommand::Proxy { .. } => "proxy",
            AuctionCommand::Pass { .. } => "pass",
            AuctionCommand::AutoPass { .. } => "auto_pass",
            AuctionCommand::Nominate { .. } => "nominate",
            AuctionCommand::Begin => "begin",
            AuctionCommand::Pause => "pause",
            AuctionCommand::Resume => "resume",
            AuctionCommand::Skip { .. } => "skip",
            AuctionCommand::Undo { .. } => "undo",
            AuctionCommand::End => "end",
        }
    }

    /// Whether repeating this command is harmless because it carries an idempotency key. Only these
    /// are retried automatically after an unknown outcome.
    pub fn is_idempotent(&self) -> bool {
        matches!(
            self,
            AuctionCommand::Bid { .. } | AuctionCommand::Proxy { .. } | AuctionCommand::Pass { .. }
        )
    }
}

/// Limits the server applies to this connection, announced in `welcome`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    /// Largest frame accepted from the client, in bytes.
    pub max_frame_bytes: u64,
    /// Commands accepted per user per minute (bids included).
    pub commands_per_minute: u32,
    /// The server closes a connection that sends nothing (not even a pong) for this long.
    pub idle_timeout_ms: u64,
}

/// A frame sent by the server. Every variant carries `server_time`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// Answer to `hello`: who you are and the connection's limits.
    Welcome {
        /// Server clock, ms since the Unix epoch.
        server_time: i64,
        /// Protocol version ([`crate::PROTOCOL_VERSION`]).
        protocol: u32,
        /// The authenticated user.
        user: UserId,
        /// Their display name.
        name: String,
        /// This connection's limits.
        limits: Limits,
    },
    /// The full state of an auction at `seq`; events that follow start at `seq + 1`.
    Snapshot {
        /// Server clock.
        server_time: i64,
        /// The auction.
        auction_id: AuctionId,
        /// Log position of this snapshot.
        seq: u64,
        /// Public read model.
        view: Box<AuctionView>,
        /// What only you can see (your sealed proxy maximum on the current lot).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mine: Option<PrivateView>,
    },
    /// After a `subscribe`: everything up to `seq` has been sent (a snapshot, the missed events, or
    /// nothing when nothing was missed). From here on, events arrive as they happen.
    Subscribed {
        /// Server clock.
        server_time: i64,
        /// The auction.
        auction_id: AuctionId,
        /// The connection is up to date with the auction's log up to here.
        seq: u64,
    },
    /// Events in sequence order, gap-free after the previous `events` or `snapshot`.
    Events {
        /// Server clock.
        server_time: i64,
        /// The auction.
        auction_id: AuctionId,
        /// One or more consecutive events.
        events: Vec<ClientEvent>,
    },
    /// A command was applied (or had already been applied: `duplicate`).
    Ack {
        /// Server clock.
        server_time: i64,
        /// The command's `request_id`.
        request_id: u64,
        /// The auction.
        auction_id: AuctionId,
        /// Log position of the last event this command produced.
        seq: u64,
        /// For a bid or proxy whose key was already applied: the original receipt.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duplicate_of: Option<BidReceipt>,
    },
    /// The rules refused a command; nothing changed.
    Refused {
        /// Server clock.
        server_time: i64,
        /// The command's `request_id`.
        request_id: u64,
        /// The auction.
        auction_id: AuctionId,
        /// Stable machine-readable reason (documented in RULES.md).
        code: String,
        /// A sentence for a person, with the numbers in it.
        message: String,
    },
    /// Something other than the rules went wrong (bad frame, auth, limits, availability).
    Error {
        /// Server clock.
        server_time: i64,
        /// The request this answers, when it answers one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request_id: Option<u64>,
        /// Stable machine-readable code.
        code: ErrorCode,
        /// A sentence for a person.
        message: String,
        /// When to try again, for `rate_limited` and `unavailable`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
    },
    /// The auction's availability changed: `recovering` while its node is being replaced (the lot
    /// clock is held), `live` when it accepts commands again.
    AuctionStatus {
        /// Server clock.
        server_time: i64,
        /// The auction.
        auction_id: AuctionId,
        /// The new status.
        status: AuctionStatus,
    },
    /// Who is connected to an auction right now.
    Presence {
        /// Server clock.
        server_time: i64,
        /// The auction.
        auction_id: AuctionId,
        /// Managers (and the commissioner) with at least one open connection watching it.
        online: Vec<UserId>,
        /// Open connections watching it through this gateway (spectators included).
        watchers: u32,
    },
    /// Answer to `ping`.
    Pong {
        /// Server clock.
        server_time: i64,
        /// The `client_time` from the ping.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_time: Option<i64>,
    },
}

/// Availability of an auction as the gateway sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuctionStatus {
    /// Accepting commands.
    Live,
    /// Its node is gone; another node is taking it over. The lot clock does not run down meanwhile.
    Recovering,
}

/// Stable error codes of `error` frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame could not be read (not JSON/MessagePack, wrong field types, unknown `type`).
    MalformedFrame,
    /// The frame is larger than the connection's limit; the connection is closed.
    FrameTooLarge,
    /// A command arrived before a valid `hello`.
    NotAuthenticated,
    /// The token is not valid (bad signature, malformed).
    InvalidToken,
    /// The token has expired or was revoked; sign in again.
    TokenExpired,
    /// You may not do this in this league.
    Forbidden,
    /// Too many commands; wait `retry_after_ms`.
    RateLimited,
    /// No such auction.
    UnknownAuction,
    /// The auction cannot be reached right now; try again (same key for bids).
    Unavailable,
    /// The command may or may not have been applied; resend it with the same key, or check the state.
    OutcomeUnknown,
    /// The connection could not keep up with events and is being closed; reconnect and resume.
    SlowConsumer,
    /// An unexpected server fault.
    Internal,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedFrame => "malformed_frame",
            ErrorCode::FrameTooLarge => "frame_too_large",
            ErrorCode::NotAuthenticated => "not_authenticated",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::TokenExpired => "token_expired",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::UnknownAuction => "unknown_auction",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::OutcomeUnknown => "outcome_unknown",
            ErrorCode::SlowConsumer => "slow_consumer",
            ErrorCode::Internal => "internal",
        }
    }
}

impl ServerFrame {
    /// The frame's `type` tag, for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            ServerFrame::Welcome { .. } => "welcome",
            ServerFrame::Snapshot { .. } => "snapshot",
            ServerFrame::Subscribed { .. } => "subscribed",
            ServerFrame::Events { .. } => "events",
            ServerFrame::Ack { .. } => "ack",
            ServerFrame::Refused { .. } => "refused",
            ServerFrame::Error { .. } => "error",
            ServerFrame::AuctionStatus { .. } => "auction_status",
            ServerFrame::Presence { .. } => "presence",
            ServerFrame::Pong { .. } => "pong",
        }
    }
}
