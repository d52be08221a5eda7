//! Takeover: find auctions whose owner is gone and activate the ones this node should host.
//!
//! An auction is orphaned when its owner released it (drain), or the owner's node lease expired or
//! now belongs to another incarnation (the process died or froze). Among the nodes with a live,
//! non-draining lease, rendezvous hashing picks one; that node activates the auction, which claims a
//! new epoch (fencing the old owner) and restores the lot clock from the moment the old owner was
//! last known alive. Nobody needs to be watching for a dead node's auctions to resume: their clocks
//! keep being honoured.

use std::collections::HashMap;
use std::sync::Arc;

use auction::AuctionId;
use protocol::cluster::{ActivateRequest, RouterMessage, Wire};
use protocol::placement::preferred_node;
use ractor::ActorRef;
use store::{NodeLease, Ownership};
use tokio::sync::watch;

use crate::context::NodeContext;
use crate::metrics as m;

/// Whether `ownership` has no living owner according to `leases` at `now_ms`.
pub fn is_orphaned(ownership: &Ownership, leases: &HashMap<&str, &NodeLease>, now_ms: i64) -> bool {
    if ownership.retired {
        return false;
    }
    let Some(owner) = &ownership.owner else {
        return true;
    };
    if ownership.released_at.is_some() {
        return true;
    }
    match leases.get(owner.node.as_str()) {
        None => true,
        Some(lease) => lease.incarnation != owner.incarnation || lease.expires_at <= now_ms,
    }
}

/// Nodes that may host auctions now: live lease and not draining.
pub fn eligible_nodes(leases: &[NodeLease], now_ms: i64) -> Vec<&str> {
    leases
        .iter()
        .filter(|lease| lease.expires_at > now_ms && !lease.draining)
        .map(|lease| lease.node.as_str())
        .collect()
}

/// One scan: the orphaned auctions that this node should take.
pub fn auctions_to_take(
    me: &str,
    leases: &[NodeLease],
    active: &[(String, Ownership)],
    now_ms: i64,
) -> Vec<String> {
    let eligible = eligible_nodes(leases, now_ms);
    if !eligible.contains(&me) {
        return Vec::new();
    }
    let by_node: HashMap<&str, &NodeLease> = leases
        .iter()
        .map(|lease| (lease.node.as_str(), lease))
        .collect();
    active
        .iter()
        .filter(|(_, ownership)| is_orphaned(ownership, &by_node, now_ms))
        .filter(|(auction, _)| preferred_node(auction, eligible.iter().copied()) == Some(me))
        .map(|(auction, _)| auction.clone())
        .collect()
}

/// Scan every `takeover_scan_every` until `shutdown` turns true.
pub async fn run_takeover_scanner(
    ctx: Arc<NodeContext>,
    router: ActorRef<RouterMessage>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(ctx.tuning.takeover_scan_every) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            return;
        }
        if ctx.is_draining() {
            continue;
        }
        let (leases, active) = match (ctx.store.leases().await, ctx.store.active_auctions().await) {
            (Ok(leases), Ok(active)) => (leases, active),
            (Err(error), _) | (_, Err(error)) => {
                tracing::debug!(%error, "takeover scan skipped: store unavailable");
                continue;
            }
        };
        for auction in auctions_to_take(&ctx.node_id, &leases, &active, ctx.clock.now_ms()) {
            let Ok(auction_id) = AuctionId::try_new(auction.clone()) else {
                continue;
            };
            tracing::info!(%auction_id, "taking over an orphaned auction");
            metrics::counter!(m::TAKEOVERS).increment(1);
            let request = ActivateRequest {
                auction_id,
                force: false,
            };
            let _ = router.cast(RouterMessage::Activate(Wire::new(request)));
        }
    }
}

#[cfg(test)]
mod tests;
