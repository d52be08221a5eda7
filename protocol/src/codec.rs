//! Encodings, and the only place that calls `serde_json` and `rmp_serde` for the wire.
//!
//! Clients pick an encoding with a websocket subprotocol: [`Encoding::JSON_SUBPROTOCOL`] (text frames)
//! or [`Encoding::MSGPACK_SUBPROTOCOL`] (binary frames, MessagePack maps with field names, so added
//! fields never break older readers). A gateway reads both from any client (text frames as JSON,
//! binary frames as MessagePack) and writes in the negotiated one. The same MessagePack encoding is
//! used for cluster payloads and for events in the durable log.

use serde::{Serialize, de::DeserializeOwned};

/// A serialization failure, with a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// The bytes are not a valid frame of the expected shape.
    #[error("could not read the {encoding} frame: {detail}")]
    Malformed {
        /// "JSON" or "MessagePack".
        encoding: &'static str,
        /// What the decoder complained about (field, type, position).
        detail: String,
    },
    /// A value could not be encoded (a bug: every type we send is encodable).
    #[error("could not encode a {encoding} frame: {detail}")]
    Encode {
        /// "JSON" or "MessagePack".
        encoding: &'static str,
        /// The encoder's complaint.
        detail: String,
    },
}

/// A frame's payload, independent of the websocket library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A text frame (JSON).
    Text(String),
    /// A binary frame (MessagePack).
    Binary(Vec<u8>),
}

impl Frame {
    /// Payload size in bytes.
    pub fn len(&self) -> usize {
        match self {
            Frame::Text(text) => text.len(),
            Frame::Binary(bytes) => bytes.len(),
        }
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How a connection encodes frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// JSON text frames (browsers).
    Json,
    /// MessagePack binary frames (native clients, the load test).
    MessagePack,
}

impl Encoding {
    /// Subprotocol selecting JSON.
    pub const JSON_SUBPROTOCOL: &'static str = "auction.v1.json";
    /// Subprotocol selecting MessagePack.
    pub const MSGPACK_SUBPROTOCOL: &'static str = "auction.v1.msgpack";

    /// The subprotocol name for this encoding.
    pub fn subprotocol(self) -> &'static str {
        match self {
            Encoding::Json => Self::JSON_SUBPROTOCOL,
            Encoding::MessagePack => Self::MSGPACK_SUBPROTOCOL,
        }
    }

    /// The encoding a subprotocol name selects.
    pub fn from_subprotocol(name: &str) -> Option<Encoding> {
        match name.trim() {
            Self::JSON_SUBPROTOCOL => Some(Encoding::Json),
            Self::MSGPACK_SUBPROTOCOL => Some(Encoding::MessagePack),
            _ => None,
        }
    }

    /// The first subprotocol offered by the client that we support (the client's preference
    /// order). `None` when it offered none of ours; the gateway then speaks JSON without echoing a
    /// subprotocol.
    pub fn negotiate<'a>(offered: impl IntoIterator<Item = &'a str>) -> Option<Encoding> {
        offered.into_iter().find_map(Encoding::from_subprotocol)
    }

    /// Human name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Json => "JSON",
            Encoding::MessagePack => "MessagePack",
        }
    }

    /// Encode a value as a frame of this encoding.
    pub fn encode<T: Serialize>(self, value: &T) -> Result<Frame, CodecError> {
        match self {
            Encoding::Json => to_json(value).map(Frame::Text),
            Encoding::MessagePack => to_msgpack(value).map(Frame::Binary),
        }
    }
}

/// Decode a frame whatever the connection negotiated: text as JSON, binary as MessagePack.
pub fn decode_frame<T: DeserializeOwned>(frame: &Frame) -> Result<T, CodecError> {
    match frame {
        Frame::Text(text) => from_json(text.as_bytes()),
        Frame::Binary(bytes) => from_msgpack(bytes),
    }
}

/// Encode as JSON text.
pub fn to_json<T: Serialize>(value: &T) -> Result<String, CodecError> {
    serde_json::to_string(value).map_err(|error| CodecError::Encode {
        encoding: "JSON",
        detail: error.to_string(),
    })
}

/// Decode JSON.
pub fn from_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    serde_json::from_slice(bytes).map_err(|error| CodecError::Malformed {
        encoding: "JSON",
        detail: error.to_string(),
    })
}

/// Encode as MessagePack with field names (maps), which tolerates added fields.
pub fn to_msgpack<T: Serialize>(value: &T) -> Result<Vec<u8>, CodecError> {
    rmp_serde::to_vec_named(value).map_err(|error| CodecError::Encode {
        encoding: "MessagePack",
        detail: error.to_string(),
    })
}

/// Decode MessagePack.
pub fn from_msgpack<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    rmp_serde::from_slice(bytes).map_err(|error| CodecError::Malformed {
        encoding: "MessagePack",
        detail: error.to_string(),
    })
}

#[cfg(test)]
mod tests;
