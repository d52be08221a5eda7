//! Proxy bidding: given the open lot's price, leader and sealed maximums, which automatic bids
//! follow. At most two are planned (the runner-up shown bidding, then the winner's answer), and one
//! round always settles the lot.
//!
//! - The winner is the highest maximum; on a tie, the one set first. A leader without a proxy
//!   counts with maximum = the price.
//! - The runner-up (unless it is the leader, who cannot outbid itself) is shown bidding its
//!   maximum. On a tie it is shown at the highest amount the winner can still beat.
//! - The winner answers with `min(own maximum, runner-up maximum + increment)`.
//!
//! Every automatic bid is a valid bid, with one exception taken from how proxy auctions work
//! everywhere: when the winner's answer is its own maximum, it only has to beat the price, not beat
//! it by a full increment (a maximum of £46m beats a rival's £44m even where the increment is £5m).

use crate::money::Money;

use super::Book;
use super::fold::{Core, Lot};

/// A contender for the lot: a manager and their effective maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Contender {
    manager: usize,
    max: Money,
    /// When the maximum was set (earlier wins a tie).
    seq: u64,
}

impl Contender {
    fn beats(self, other: Contender) -> bool {
        self.max > other.max || (self.max == other.max && self.seq < other.seq)
    }
}

/// The automatic bids to place now, in order: `(manager, amount)`.
pub(crate) fn plan(book: &Book, core: &Core, lot: &Lot) -> Vec<(usize, Money)> {
    let increment = &book.settings().increment;
    let min_next = core.min_next(book, lot);

    // The best two challengers: proxy holders, not leading, whose maximum can still make a valid bid.
    let mut best: Option<Contender> = None;
    let mut second: Option<Contender> = None;
    for proxy in &lot.proxies {
        if Some(proxy.manager) == lot.leader
            || proxy.max < min_next
            || !core.can_afford(book, proxy.manager, proxy.max)
        {
            continue;
        }
        let contender = Contender {
            manager: proxy.manager,
            max: proxy.max,
            seq: proxy.seq,
        };
        match best {
            Some(top) if !contender.beats(top) => {
                if second.is_none_or(|runner| contender.beats(runner)) {
                    second = Some(contender);
                }
            }
            _ => {
                second = best;
                best = Some(contender);
            }
        }
    }
    let Some(challenger) = best else {
        return Vec::new();
    };
    let leader = lot
        .leader
        .zip(lot.price)
        .map(|(manager, price)| match lot.proxy_of(manager) {
            Some(proxy) if proxy.max > price => Contender {
                manager,
                max: proxy.max,
                seq: proxy.seq,
            },
            _ => Contender {
                manager,
                max: price,
                seq: lot.leader_seq,
            },
        });

    let (winner, runner_up) = match leader {
        Some(leader) if leader.beats(challenger) => (leader, Some(challenger)),
        _ => {
            let runner_up = match (second, leader) {
                (Some(a), Some(b)) => Some(if a.beats(b) { a } else { b }),
                (a, b) => a.or(b),
            };
            (challenger, runner_up)
        }
    };
    let Some(runner_up) = runner_up else {
        // A lone proxy on a lot without bids opens it.
        return vec![(winner.manager, min_next)];
    };

    let mut bids = Vec::with_capacity(2);
    if Some(runner_up.manager) != lot.leader {
        // Show the runner-up: at its maximum, or on a tie at the highest valid bid the winner can
        // still beat (a full increment below if possible, else the least valid bid).
        let shown = if runner_up.max < winner.max {
            Some(runner_up.max)
        } else {
            increment
                .highest_answerable(runner_up.max, winner.max)
                .filter(|amount| *amount >= min_next)
                .or(Some(min_next).filter(|amount| *amount < winner.max))
        };
        if let Some(amount) = shown {
            bids.push((runner_up.manager, amount));
        }
    }
    if bids.is_empty() && Some(winner.manager) == lot.leader {
        // The leader keeps the lot at the current price: the runner-up cannot be shown at any valid
        // bid below the leader's maximum (a tie at exactly the next valid bid).
        return bids;
    }
    let answer = winner
        .max
        .min(increment.min_next(runner_up.max))
        .max(min_next.min(winner.max));
    bids.push((winner.manager, answer));
    bids
}
