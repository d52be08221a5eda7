//! The cluster's behaviour: auction actors, the per-node router that supervises them, the node
//! lease and takeover of orphaned auctions. No storage driver, no network server: the store is a
//! port (`store::Store`), and binaries wire the transports.
//!
//! Supervision tree of one node:
//!
//! ```text
//! Router (remotable, pg "auction.routers", name "router:<node>")
//!  ├── AuctionActor "auction:<id>"   one per live auction, local only, restarted from the log
//!  ├── AuctionActor …                 by the router within a restart budget
//!  └── …
//! lease keeper   (task)  renews the node lease; fences every local auction if it lapsed
//! takeover scan  (task)  activates orphaned auctions that rendezvous hashing assigns here
//! ```
//!
//! Invariants: an auction actor answers a command only after the events it produced are durable;
//! every append carries the actor's ownership epoch, so a stale owner can never write; decisions
//! are taken by the pure `auction` crate with the time passed in.

pub mod auction_actor;
pub mod clock;
pub mod cluster;
pub mod context;
pub mod lease;
pub mod metrics;
pub mod router;
pub mod takeover;
#[cfg(any(test, feature = "test-util"))]
pub mod test_util;

pub use auction_actor::{AuctionActor, AuctionMessage, AuctionReport, HandoffOutcome};
pub use clock::Clock;
pub use context::{NodeContext, Tuning};
pub use router::Router;
