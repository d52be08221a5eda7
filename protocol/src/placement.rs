//! Placement: which node should host an auction, by rendezvous (highest-random-weight) hashing.
//!
//! Every gateway and node computes the same answer from the same set of live node names, and a
//! change of membership moves only the auctions of the node that joined or left (about 1/N of them).
//! The answer is a *preference*, not an ownership claim: ownership is decided by the durable log's
//! fencing (a node must claim the auction's epoch before it writes), so two views that disagree cost
//! a redirect, never a wrong result.

use xxhash_rust::xxh3::xxh3_64_with_seed;

/// The weight of `node` for `auction_id`. Stable across processes, versions of Rust and machines
/// (xxh3 with a fixed seed), so every participant agrees.
pub fn weight(auction_id: &str, node: &str) -> u64 {
    let node_seed = xxh3_64_with_seed(node.as_bytes(), 0x005e_eda0_c710_u64);
    xxh3_64_with_seed(auction_id.as_bytes(), node_seed)
}

/// The preferred node for `auction_id` among `nodes`: the highest weight, ties broken by the
/// greater name. `None` when there is no node.
pub fn preferred_node<'a, I>(auction_id: &str, nodes: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    nodes.into_iter().max_by(|a, b| {
        weight(auction_id, a)
            .cmp(&weight(auction_id, b))
            .then_with(|| a.cmp(b))
    })
}

/// All `nodes` ordered by preference for `auction_id` (best first): the failover order.
pub fn preference_order<'a, I>(auction_id: &str, nodes: I) -> Vec<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let mut ranked: Vec<(u64, &'a str)> = nodes
        .into_iter()
        .map(|n| (weight(auction_id, n), n))
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| b.1.cmp(a.1)));
    ranked.dedup_by(|a, b| a.1 == b.1);
    ranked.into_iter().map(|(_, n)| n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_stable_golden_values() {
        // Pinned so that a change of hash function (which would move every live auction during a
        // rolling upgrade) cannot happen unnoticed.
        assert_eq!(weight("auction-1", "node-1"), weight("auction-1", "node-1"));
        let golden = [
            weight("auction-1", "node-1"),
            weight("auction-1", "node-2"),
            weight("demo", "node-a"),
        ];
        assert_eq!(golden, GOLDEN_WEIGHTS);
    }

    const GOLDEN_WEIGHTS: [u64; 3] = [
        6_247_283_674_850_969_993,
        12_545_116_481_661_139_579,
        2_617_775_269_118_383_422,
    ];

    #[test]
    fn preferred_node_is_order_independent() {
        let forward = ["n1", "n2", "n3", "n4"];
        let backward = ["n4", "n3", "n2", "n1"];
        for i in 0..200 {
            let auction = format!("auction-{i}");
            assert_eq!(
                preferred_node(&auction, forward.iter().copied()),
                preferred_node(&auction, backward.iter().copied())
            );
        }
    }

    #[test]
    fn removing_a_node_moves_only_its_auctions() {
        let all = ["n1", "n2", "n3", "n4"];
        let without_n3 = ["n1", "n2", "n4"];
        let mut moved = 0;
        for i in 0..2000 {
            let auction = format!("auction-{i}");
            let before = preferred_node(&auction, all.iter().copied()).expect("nodes");
            let after = preferred_node(&auction, without_n3.iter().copied()).expect("nodes");
            if before != "n3" {
                assert_eq!(before, after, "{auction} moved although its node stayed");
            } else {
                moved += 1;
            }
        }
        // Roughly a quarter of the auctions lived on n3; each of them moved and nothing else did.
        assert!((350..650).contains(&moved), "moved {moved} of 2000");
    }

    #[test]
    fn spread_is_even_enough() {
        let nodes = ["n1", "n2", "n3"];
        let mut counts = [0usize; 3];
        for i in 0..3000 {
            let owner = preferred_node(&format!("a{i}"), nodes.iter().copied()).expect("nodes");
            counts[nodes.iter().position(|n| *n == owner).expect("known")] += 1;
        }
        for count in counts {
            assert!((850..1150).contains(&count), "uneven spread {counts:?}");
        }
    }

    #[test]
    fn preference_order_starts_with_the_preferred_node() {
        let nodes = ["n1", "n2", "n3"];
        for i in 0..100 {
            let auction = format!("x{i}");
            let order = preference_order(&auction, nodes.iter().copied());
            assert_eq!(order.len(), 3);
            assert_eq!(
                Some(order[0]),
                preferred_node(&auction, nodes.iter().copied())
            );
        }
        assert_eq!(preferred_node("x", std::iter::empty()), None);
    }
}
