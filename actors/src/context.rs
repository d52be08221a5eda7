//! What every actor of a node shares: identity, the store, the clock and the tuning knobs.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use store::{OwnerId, Store};

use crate::clock::Clock;

/// Shared, read-only context of one node process.
#[derive(Debug, Clone)]
pub struct NodeContext {
    /// This node's id (stable across restarts, e.g. the pod name).
    pub node_id: String,
    /// Unique per process start: a restarted node never passes for its former self.
    pub incarnation: u64,
    /// The durable log and records.
    pub store: Arc<dyn Store>,
    /// The one source of "now".
    pub clock: Clock,
    /// Knobs.
    pub tuning: Tuning,
    /// Set on SIGTERM: the node takes no new auctions and hands its own over.
    pub draining: Arc<AtomicBool>,
}

impl NodeContext {
    /// This node as an owner in the store's fencing records.
    pub fn owner_id(&self) -> OwnerId {
        OwnerId {
            node: self.node_id.clone(),
            incarnation: self.incarnation,
        }
    }
}

/// Tunable behaviour of a node's actors. Defaults are the production values.
#[derive(Debug, Clone)]
pub struct Tuning {
    /// After a takeover, a running lot keeps at least this much time (the previous owner's
    /// remaining time is restored, never shortened; this only lengthens a nearly expired clock so
    /// that reconnecting managers can still act).
    pub recovery_min_remaining_ms: u64,
    /// Durable events kept in memory per auction so that resuming subscribers catch up exactly.
    pub retained_events: usize,
    /// An auction with no subscribers and no running clock stops after this long.
    pub passivate_after: Duration,
    /// A failing auction actor is restarted at most this many times…
    pub restart_limit: u32,
    /// …within this window; beyond it the auction is released for another node.
    pub restart_window: Duration,
    /// Largest number of events written in one append.
    pub max_batch_events: usize,
    /// Events read per page while replaying a log.
    pub replay_page: usize,
    /// A node lease lasts this long without renewal.
    pub lease_ttl: Duration,
    /// Leases are renewed this often.
    pub lease_renew_every: Duration,
    /// Auctions whose owner died are looked for this often.
    pub takeover_scan_every: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            recovery_min_remaining_ms: 5_000,
            retained_events: 4_096,
            passivate_after: Duration::from_secs(600),
            restart_limit: 3,
            restart_window: Duration::from_secs(30),
            max_batch_events: 512,
            replay_page: 1_000,
            lease_ttl: Duration::from_millis(2_000),
            lease_renew_every: Duration::from_millis(400),
            takeover_scan_every: Duration::from_millis(500),
        }
    }
}
