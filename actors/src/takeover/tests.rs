//! Which orphaned auctions a node takes.

use store::{NodeLease, OwnerId, Ownership};

use super::*;

fn lease(node: &str, incarnation: u64, expires_at: i64, draining: bool) -> NodeLease {
    NodeLease {
        node: node.into(),
        incarnation,
        addr: format!("{node}:1"),
        renewed_at: expires_at - 2_000,
        expires_at,
        draining,
    }
}

fn owned(node: &str, incarnation: u64) -> Ownership {
    Ownership {
        owner: Some(OwnerId {
            node: node.into(),
            incarnation,
        }),
        epoch: 3,
        released_at: None,
        retired: false,
    }
}

#[test]
fn an_auction_is_orphaned_when_its_owner_lease_is_gone_expired_or_replaced() {
    let now = 10_000;
    let leases = [
        lease("a", 1, 12_000, false),
        lease("b", 2, 9_000, false),
        lease("c", 5, 12_000, false),
    ];
    let by_node: HashMap<&str, &NodeLease> = leases.iter().map(|l| (l.node.as_str(), l)).collect();
    assert!(!is_orphaned(&owned("a", 1), &by_node, now), "live owner");
    assert!(is_orphaned(&owned("b", 2), &by_node, now), "expired lease");
    assert!(
        is_orphaned(&owned("c", 4), &by_node, now),
        "the node restarted: another incarnation"
    );
    assert!(
        is_orphaned(&owned("z", 1), &by_node, now),
        "no lease at all"
    );
    let mut released = owned("a", 1);
    released.released_at = Some(9_000);
    assert!(
        is_orphaned(&released, &by_node, now),
        "released by a draining owner"
    );
    let mut retired = owned("b", 2);
    retired.retired = true;
    assert!(
        !is_orphaned(&retired, &by_node, now),
        "ended auctions are never taken over"
    );
}

#[test]
fn exactly_one_live_node_takes_each_orphan() {
    let now = 10_000;
    let leases = [
        lease("dead", 1, 9_000, false),
        lease("n1", 1, 12_000, false),
        lease("n2", 1, 12_000, false),
        lease("leaving", 1, 12_000, true),
    ];
    let active: Vec<(String, Ownership)> = (0..300)
        .map(|i| (format!("auction-{i}"), owned("dead", 1)))
        .collect();
    let n1 = auctions_to_take("n1", &leases, &active, now);
    let n2 = auctions_to_take("n2", &leases, &active, now);
    assert!(
        auctions_to_take("leaving", &leases, &active, now).is_empty(),
        "a draining node takes nothing"
    );
    assert!(
        auctions_to_take("dead", &leases, &active, now).is_empty(),
        "a dead node takes nothing"
    );
    assert_eq!(n1.len() + n2.len(), 300, "every orphan is taken");
    assert!(n1.iter().all(|a| !n2.contains(a)), "by exactly one node");
    assert!(
        n1.len() > 100 && n2.len() > 100,
        "spread over the live nodes: {} / {}",
        n1.len(),
        n2.len()
    );
}
