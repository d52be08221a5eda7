//! Messages between gateways and nodes inside the actor cluster (ractor_cluster).
//!
//! Only two actor types are remotable, so cross-node state stays O(nodes), not O(auctions)
//! (see `../shared/notes/CLUSTER.md` §7):
//! * one [`RouterMessage`] router per node (pg group [`ROUTERS_GROUP`], named [`router_name`]), which
//!   activates and forwards to local auction actors;
//! * one [`GatewayMessage`] sink per gateway (pg group [`GATEWAYS_GROUP`], named [`gateway_name`]),
//!   which receives the events of the auctions that gateway subscribed to.
//!
//! Payloads are MessagePack ([`Wire`]). Variants are matched by name on the wire: add variants and
//! fields (with `#[serde(default)]`), never rename them.

use auction::{AuctionId, AuctionSetup, BidReceipt, UserId};
use ractor::{BytesConvertable, RpcReplyPort};
use ractor_cluster::RactorClusterMessage;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::client::AuctionCommand;
use crate::codec;
use crate::envelope::{EventEnvelope, Snapshot};

/// pg group holding every node's router.
pub const ROUTERS_GROUP: &str = "auction.routers";
/// pg group holding every gateway's event sink.
pub const GATEWAYS_GROUP: &str = "auction.gateways";

/// Registered name of a node's router actor.
pub fn router_name(node_id: &str) -> String {
    format!("router:{node_id}")
}

/// The node id from a router actor's name.
pub fn node_of_router(actor_name: &str) -> Option<&str> {
    actor_name.strip_prefix("router:")
}

/// Registered name of a gateway's sink actor.
pub fn gateway_name(gateway_id: &str) -> String {
    format!("gateway:{gateway_id}")
}

/// The gateway id from a sink actor's name.
pub fn gateway_of_sink(actor_name: &str) -> Option<&str> {
    actor_name.strip_prefix("gateway:")
}

/// A MessagePack payload that never panics on decode.
///
/// `BytesConvertable::from_bytes` cannot return an error, and a panic there makes ractor_cluster
/// drop the message silently (the caller then waits for its timeout). Decoding into a `Result`
/// instead lets the receiver answer a mixed-version or corrupt message with a clear error.
#[derive(Debug, Clone, PartialEq)]
pub struct Wire<T>(pub Result<T, WireError>);

/// A payload that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("undecodable cluster payload: {0}")]
pub struct WireError(pub String);

impl<T> Wire<T> {
    /// Wrap a value for sending.
    pub fn new(value: T) -> Self {
        Wire(Ok(value))
    }

    /// The decoded value, or why it could not be decoded.
    pub fn into_inner(self) -> Result<T, WireError> {
        self.0
    }
}

impl<T: Serialize + DeserializeOwned + Send + 'static> BytesConvertable for Wire<T> {
    fn into_bytes(self) -> Vec<u8> {
        match self.0 {
            // Our own types always encode; an empty payload decodes as an error on the other side.
            Ok(value) => codec::to_msgpack(&value).unwrap_or_default(),
            Err(_) => Vec::new(),
        }
    }

    fn from_bytes(bytes: Vec<u8>) -> Self {
        Wire(codec::from_msgpack(&bytes).map_err(|error| WireError(error.to_string())))
    }
}

/// Messages a node's router accepts from gateways (and from other nodes).
#[derive(Debug, RactorClusterMessage)]
pub enum RouterMessage {
    /// Liveness and status probe (gateways call it every second with a short timeout, because
    /// ractor_cluster never notices a frozen peer).
    #[rpc]
    Ping(Wire<PingRequest>, RpcReplyPort<Wire<NodeStatus>>),
    /// Run a command in an auction, activating it on this node if needed.
    #[rpc]
    Execute(Wire<ExecuteRequest>, RpcReplyPort<Wire<ExecuteReply>>),
    /// Start pushing an auction's events to a gateway, and return what it missed.
    #[rpc]
    Subscribe(Wire<SubscribeRequest>, RpcReplyPort<Wire<SubscribeReply>>),
    /// Stop pushing an auction's events to a gateway.
    Unsubscribe(Wire<UnsubscribeRequest>),
    /// Create a new auction from its setup (its log must be empty).
    #[rpc]
    Create(Wire<CreateRequest>, RpcReplyPort<Wire<ExecuteReply>>),
    /// Activate an auction here without a command (takeover of an orphaned auction).
    Activate(Wire<ActivateRequest>),
    /// Stop every local auction actor at once (this node may have lost its lease: it must not
    /// serve stale state). Auctions reactivate on demand, re-claiming ownership first.
    Fence(Wire<FenceRequest>),
    /// Hand every live auction over (SIGTERM): finish what is in flight, release ownership.
    #[rpc]
    Drain(Wire<DrainRequest>, RpcReplyPort<Wire<DrainReport>>),
    /// From a local auction actor that stopped serving: route new requests to a fresh actor.
    Forget(Wire<ForgetRequest>),
    /// From a gateway that cannot reach an auction's owner: take the auction over if this node
    /// cannot reach the owner either (a partition the owner's lease does not reveal). Answers
    /// `Accepted` when the takeover started (retry the command here), `NotOwner` when the owner
    /// is reachable from this node.
    #[rpc]
    Takeover(Wire<TakeoverRequest>, RpcReplyPort<Wire<ExecuteReply>>),
}

/// Messages a gateway's sink accepts from nodes.
#[derive(Debug, RactorClusterMessage)]
pub enum GatewayMessage {
    /// Durable events of an auction, in sequence order.
    Deliver(Wire<Delivery>),
    /// The sending node stopped serving an auction (handed over or fenced): find its new owner.
    Moved(Wire<Moved>),
}

/// Body of [`RouterMessage::Ping`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PingRequest {
    /// Who is asking (gateway or node id), for logs.
    pub from: String,
}

/// A node's answer to a ping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeStatus {
    /// The node's id.
    pub node_id: String,
    /// Changes every time the node process starts.
    pub incarnation: u64,
    /// The node is handing its auctions over and takes no new ones.
    pub draining: bool,
    /// Auction actors currently running on the node.
    pub live_auctions: u32,
    /// The node's clock, ms since the Unix epoch.
    pub server_time: i64,
}

/// Body of [`RouterMessage::Execute`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecuteRequest {
    /// The auction.
    pub auction_id: AuctionId,
    /// The authenticated user the gateway acts for.
    pub user: UserId,
    /// What to do.
    pub command: AuctionCommand,
    /// The gateway that forwarded it (logs only).
    pub gateway: String,
}

/// How a node answered a command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ExecuteReply {
    /// Applied and durable; `seq` is the log position of its last event.
    Accepted {
        /// Log position of the last event produced.
        seq: u64,
    },
    /// A bid or proxy whose key had already been applied: nothing new happened.
    Duplicate {
        /// What was originally accepted.
        receipt: BidReceipt,
        /// The auction's current log position.
        seq: u64,
    },
    /// The rules refused it; nothing changed.
    Refused {
        /// Stable reason code.
        code: String,
        /// Sentence for a person.
        message: String,
    },
    /// This node does not own the auction; `owner` is who does, when known.
    NotOwner {
        /// The owning node's id.
        owner: Option<String>,
    },
    /// There is no such auction.
    NotFound,
    /// The auction cannot be served right now (store unavailable, node draining…).
    Unavailable {
        /// Why, for logs and the client's message.
        message: String,
    },
}

/// Body of [`RouterMessage::Subscribe`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubscribeRequest {
    /// The auction.
    pub auction_id: AuctionId,
    /// The subscribing gateway's id (its sink is [`gateway_name`] of it).
    pub gateway: String,
    /// The last sequence number the gateway has; `None` for a snapshot.
    pub after_seq: Option<u64>,
}

/// What a subscriber starts from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SubscribeReply {
    /// Exactly the events after `after_seq` (possibly none); pushes continue from there.
    CatchUp {
        /// Missed events in order.
        events: Vec<EventEnvelope>,
    },
    /// The events are no longer retained (or none were asked for): start from this snapshot.
    Snapshot {
        /// The snapshot.
        snapshot: Box<Snapshot>,
    },
    /// This node does not own the auction.
    NotOwner {
        /// The owning node's id, when known.
        owner: Option<String>,
    },
    /// No such auction.
    NotFound,
    /// Cannot serve right now.
    Unavailable {
        /// Why.
        message: String,
    },
}

/// Body of [`RouterMessage::Unsubscribe`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnsubscribeRequest {
    /// The auction.
    pub auction_id: AuctionId,
    /// The gateway that no longer wants its events.
    pub gateway: String,
}

/// Body of [`RouterMessage::Create`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateRequest {
    /// The new auction.
    pub setup: AuctionSetup,
}

/// Body of [`RouterMessage::Activate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivateRequest {
    /// The auction to activate.
    pub auction_id: AuctionId,
    /// Claim even though the current owner's lease is live (it is unreachable).
    #[serde(default)]
    pub force: bool,
}

/// Body of [`RouterMessage::Takeover`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TakeoverRequest {
    /// The auction.
    pub auction_id: AuctionId,
    /// The owner the gateway cannot reach.
    pub unreachable_owner: String,
}

/// Body of [`RouterMessage::Fence`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FenceRequest {
    /// Why (logs).
    pub reason: String,
}

/// Body of [`RouterMessage::Forget`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForgetRequest {
    /// The auction.
    pub auction_id: AuctionId,
    /// The registered name of the actor that stopped serving it.
    pub actor_name: String,
}

/// Body of [`RouterMessage::Drain`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrainRequest {
    /// Give up on an auction whose handoff takes longer than this.
    pub timeout_ms: u64,
}

/// Outcome of a drain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrainReport {
    /// Auctions released for other nodes.
    pub released: u32,
    /// Auctions that could not be released in time (another node takes them when the lease ends).
    pub failed: u32,
}

/// Body of [`GatewayMessage::Moved`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Moved {
    /// The auction.
    pub auction_id: AuctionId,
    /// The node that stopped serving it.
    pub node: String,
}

/// Body of [`GatewayMessage::Deliver`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// The auction.
    pub auction_id: AuctionId,
    /// The node that sent it (so a gateway can tell a stale owner's late delivery).
    pub node: String,
    /// Consecutive durable events.
    pub events: Vec<EventEnvelope>,
}
