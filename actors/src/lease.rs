//! The node lease: proof of life written to the store, and self-fencing when it lapses.
//!
//! Every `lease_renew_every` the node writes `{node, incarnation, renewed_at, expires_at, draining}`.
//! Other nodes treat a node whose lease expired as dead and take its auctions over (the store's claim
//! rules decide). If this node notices that its own lease expired before it could renew it (it was
//! frozen, or the store was unreachable), it must assume its auctions were taken and stops every
//! local auction actor at once — they reactivate on demand and re-claim first, so a node that wakes
//! up from a freeze never serves stale state. Writes are fenced by epoch in any case.

use std::sync::Arc;

use protocol::cluster::{FenceRequest, RouterMessage, Wire};
use ractor::ActorRef;
use store::{LeaseError, NodeLease};
use tokio::sync::watch;

use crate::context::NodeContext;
use crate::metrics as m;

/// Renew this node's lease until `shutdown` turns true. `addr` is the node's advertised cluster
/// address (host:port), published so gateways and operators can find it.
pub async fn run_lease_keeper(
    ctx: Arc<NodeContext>,
    router: ActorRef<RouterMessage>,
    addr: String,
    mut shutdown: watch::Receiver<bool>,
) {
    let ttl_ms = i64::try_from(ctx.tuning.lease_ttl.as_millis()).unwrap_or(i64::MAX);
    let mut held_until: Option<i64> = None;
    loop {
        let now = ctx.clock.now_ms();
        if let Some(until) = held_until
            && now >= until
        {
            tracing::warn!(
                lapsed_ms = now - until,
                "node lease lapsed before renewal; fencing local auctions"
            );
            metrics::counter!(m::SELF_FENCES).increment(1);
            let _ = router.cast(RouterMessage::Fence(Wire::new(FenceRequest {
                reason: "lease lapsed".into(),
            })));
            held_until = None;
        }
        let lease = NodeLease {
            node: ctx.node_id.clone(),
            incarnation: ctx.incarnation,
            addr: addr.clone(),
            renewed_at: now,
            expires_at: now.saturating_add(ttl_ms),
            draining: ctx.is_draining(),
        };
        match ctx.store.renew_lease(lease).await {
            Ok(()) => {
                metrics::counter!(m::LEASE_RENEWALS, "outcome" => "ok").increment(1);
                // A renewal only counts from when it was sent.
                held_until = Some(now.saturating_add(ttl_ms));
            }
            Err(LeaseError::Superseded) => {
                metrics::counter!(m::LEASE_RENEWALS, "outcome" => "superseded").increment(1);
                tracing::error!(
                    "a newer process with this node id holds the lease; fencing and stopping renewals"
                );
                let _ = router.cast(RouterMessage::Fence(Wire::new(FenceRequest {
                    reason: "lease superseded".into(),
                })));
                return;
            }
            Err(error) => {
                metrics::counter!(m::LEASE_RENEWALS, "outcome" => "error").increment(1);
                tracing::warn!(%error, "node lease renewal failed");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(ctx.tuning.lease_renew_every) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            return;
        }
    }
}
