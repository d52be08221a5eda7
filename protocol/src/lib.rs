//! The wire contract: everything that crosses a process boundary, in one crate both sides share.
//!
//! * [`client`] — frames between a client (browser, phone app, load test) and a gateway, over a
//!   websocket. JSON for browsers, MessagePack for native clients, negotiated per connection with a
//!   websocket subprotocol ([`codec::Encoding`]). Documented with an example of every frame in
//!   `docs/PROTOCOL.md`.
//! * [`cluster`] (feature `cluster`) — messages between gateways and nodes inside the actor cluster
//!   (ractor_cluster), with MessagePack payloads ([`cluster::Wire`]).
//! * [`placement`] — the one pure function that maps an auction to its preferred node (rendezvous
//!   hashing). Gateways and nodes must agree on it, which is why it lives here.
//! * [`codec`] — the only place that calls `serde_json`/`rmp_serde` for wire frames.
//!
//! Compatibility rule: fields are only ever added (with `#[serde(default)]`), never renamed; cluster
//! message variants are matched by name on the wire, so they are never renamed either.

pub mod client;
#[cfg(feature = "cluster")]
pub mod cluster;
pub mod codec;
pub mod envelope;
pub mod placement;

/// Version of the client protocol, sent in `welcome` and part of the subprotocol names.
pub const PROTOCOL_VERSION: u32 = 1;

/// Largest frame a client may send, in bytes. Commands are tiny; anything bigger is refused with
/// `frame_too_large` and the connection is closed (close code 1009).
pub const MAX_CLIENT_FRAME_BYTES: usize = 16 * 1024;
