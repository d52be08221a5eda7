//! The remote protocol between [`RemoteStore`](crate::RemoteStore) and [`server::serve`](crate::server::serve).
//!
//! Each TCP connection carries length-delimited frames (4-byte big-endian length, at most
//! [`MAX_FRAME_BYTES`](crate::limits::MAX_FRAME_BYTES)), each frame one MessagePack (rmp-serde, named fields)
//! [`Request`] or [`Response`]. Requests carry a client-chosen id and the response repeats it, so any number of
//! requests can be in flight on one connection and answered in any order.
//!
//! The first request of a connection must be [`Op::Hello`] with [`PROTOCOL_VERSION`]; the server refuses
//! other versions with a clear error instead of misreading frames.
//!
//! Reads and scans are answered in bounded chunks ([`REPLY_BUDGET_BYTES`]): a reply says whether it was cut
//! short, and the client asks for the rest, so a reply always fits in a frame whatever the caller's `max`.

use crate::error::{AppendError, ClaimError, LeaseError, PutError, StoreError};
use crate::types::{Claim, Epoch, Expect, NodeLease, OwnerId, Ownership, Record, Seq, StoredEvent};
use serde::{Deserialize, Serialize};

/// Version of this protocol; bump on any incompatible change.
pub const PROTOCOL_VERSION: u32 = 1;

/// About how many payload bytes one read or scan reply carries before it is cut short.
pub const REPLY_BUDGET_BYTES: usize = 8 * 1024 * 1024;

/// Estimated encoding overhead of one event or record in a reply, on top of its payload.
pub(crate) const ITEM_OVERHEAD_BYTES: usize = 64;

/// A request frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// Chosen by the client, unique among its requests in flight on the connection.
    pub id: u64,
    /// What to do.
    pub op: Op,
}

/// A response frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// The id of the request this answers.
    pub id: u64,
    /// The outcome.
    pub result: Reply,
}

/// One operation of the store ports (plus the handshake).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum Op {
    /// Handshake: must be the first request on a connection.
    Hello {
        protocol: u32,
    },
    Append {
        auction: String,
        owner: OwnerId,
        epoch: Epoch,
        first_seq: Seq,
        payloads: Vec<serde_bytes::ByteBuf>,
    },
    /// A chunk of a read: at most `max` events, cut short after about [`REPLY_BUDGET_BYTES`].
    Read {
        auction: String,
        from_seq: Seq,
        max: u64,
    },
    LastSeq {
        auction: String,
    },
    Claim {
        auction: String,
        claimant: OwnerId,
        now_ms: i64,
        force: bool,
    },
    Release {
        auction: String,
        owner: OwnerId,
        epoch: Epoch,
        now_ms: i64,
    },
    Retire {
        auction: String,
        owner: OwnerId,
        epoch: Epoch,
    },
    Ownership {
        auction: String,
    },
    ActiveAuctions,
    RenewLease {
        lease: NodeLease,
    },
    Leases,
    Get {
        table: String,
        key: String,
    },
    Put {
        table: String,
        key: String,
        #[serde(with = "serde_bytes")]
        value: Vec<u8>,
        expect: Expect,
    },
    Delete {
        table: String,
        key: String,
        expect: Expect,
    },
    /// A chunk of a scan: at most `limit` records, cut short after about [`REPLY_BUDGET_BYTES`].
    Scan {
        table: String,
        prefix: String,
        start_after: Option<String>,
        limit: u64,
    },
}

impl Op {
    /// Name of the operation, for logs and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Hello { .. } => "hello",
            Op::Append { .. } => "append",
            Op::Read { .. } => "read",
            Op::LastSeq { .. } => "last_seq",
            Op::Claim { .. } => "claim",
            Op::Release { .. } => "release",
            Op::Retire { .. } => "retire",
            Op::Ownership { .. } => "ownership",
            Op::ActiveAuctions => "active_auctions",
            Op::RenewLease { .. } => "renew_lease",
            Op::Leases => "leases",
            Op::Get { .. } => "get",
            Op::Put { .. } => "put",
            Op::Delete { .. } => "delete",
            Op::Scan { .. } => "scan",
        }
    }
}

/// A chunk of a read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventChunk {
    /// The events, in seq order.
    pub events: Vec<StoredEvent>,
    /// The byte budget cut the chunk short: ask again from the seq after the last event.
    pub truncated: bool,
}

/// A chunk of a scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordChunk {
    /// The records, in key order.
    pub records: Vec<(String, Record)>,
    /// The byte budget cut the chunk short: ask again after the last key.
    pub truncated: bool,
}

/// The outcome of an [`Op`]; the variant matches the op (anything else is a protocol error).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum Reply {
    Hello(Result<(), StoreError>),
    Append(Result<(), AppendError>),
    Read(Result<EventChunk, StoreError>),
    LastSeq(Result<Seq, StoreError>),
    Claim(Result<Claim, ClaimError>),
    Release(Result<(), AppendError>),
    Retire(Result<(), AppendError>),
    Ownership(Result<Option<Ownership>, StoreError>),
    ActiveAuctions(Result<Vec<(String, Ownership)>, StoreError>),
    RenewLease(Result<(), LeaseError>),
    Leases(Result<Vec<NodeLease>, StoreError>),
    Get(Result<Option<Record>, StoreError>),
    Put(Result<u64, PutError>),
    Delete(Result<(), PutError>),
    Scan(Result<RecordChunk, StoreError>),
    /// The request could not be decoded or answered as such (e.g. its reply would not fit in a frame).
    Failed(StoreError),
}

/// Encode a frame body.
pub fn encode<T: Serialize>(message: &T) -> Result<Vec<u8>, StoreError> {
    rmp_serde::to_vec_named(message)
        .map_err(|error| StoreError::Backend(format!("encode frame: {error}")))
}

/// Decode a frame body.
pub fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    rmp_serde::from_slice(bytes)
        .map_err(|error| StoreError::Backend(format!("decode frame: {error}")))
}

/// The frame codec both sides use.
pub fn codec() -> tokio_util::codec::LengthDelimitedCodec {
    tokio_util::codec::LengthDelimitedCodec::builder()
        .max_frame_length(crate::limits::MAX_FRAME_BYTES)
        .new_codec()
}

#[cfg(test)]
mod tests;
