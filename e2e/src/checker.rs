//! An independent checker of auction histories.
//!
//! It reads an auction's raw log (sequence number, epoch, payload) and re-verifies, with its own
//! bookkeeping and without the rules crate's state machine, what must hold whatever happened to the
//! processes that wrote it:
//!
//! * one gap-free sequence from 1, written by a single writer per epoch (epochs never go back);
//! * every bid was for the open lot, before its deadline, while not paused, above the previous bid,
//!   at least the opening bid, within the bidder's budget reserve, by a manager with a free slot;
//! * no lot closed twice, nothing accepted on a lot after it closed, no asset sold twice;
//! * every sale went to the highest bid standing at close, at that price; unsold lots had no bid;
//! * budgets and rosters stay consistent with the sales (and undone sales);
//! * every bid a client saw acknowledged is in the log exactly once.
//!
//! Only event *decoding* uses the shared types; every judgement is made here.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use auction::{Event, LotNumber, Money, Timestamp, UserId};
use store::StoredEvent;

/// A bid a client saw acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AckedBid {
    /// Bidder.
    pub bidder: String,
    /// Idempotency key.
    pub key: String,
    /// Amount.
    pub amount: u64,
    /// Lot.
    pub lot: u32,
}

/// What a check found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Events read.
    pub events: usize,
    /// Bids accepted in the log.
    pub bids: usize,
    /// Lots sold.
    pub sold: usize,
    /// Lots closed without a sale.
    pub unsold: usize,
    /// Distinct epochs that wrote.
    pub epochs: usize,
    /// Whether the auction ended.
    pub ended: bool,
    /// Every violation, as a sentence naming the sequence number.
    pub violations: Vec<String>,
}

#[derive(Debug, Default)]
struct Lot {
    opening_bid: u64,
    asset: String,
    deadline: Option<i64>,
    bids: Vec<(String, u64)>,
    closed: bool,
}

#[derive(Debug, Default)]
struct Manager {
    budget: u64,
    spent: u64,
    roster: BTreeSet<String>,
}

/// Check one auction's log; `acked` are the bids clients saw acknowledged for it.
pub fn check(log: &[StoredEvent], acked: &[AckedBid]) -> Report {
    let mut report = Report {
        events: log.len(),
        ..Report::default()
    };
    let mut violations = Vec::new();
    let mut epochs = BTreeSet::new();
    let mut last_epoch = 0;
    let mut events = Vec::with_capacity(log.len());
    for (index, stored) in log.iter().enumerate() {
        let expected = index as u64 + 1;
        if stored.seq != expected {
            violations.push(format!(
                "sequence gap: expected seq {expected}, found {}",
                stored.seq
            ));
        }
        if stored.epoch < last_epoch {
            violations.push(format!(
                "seq {}: epoch {} after epoch {last_epoch} (two writers)",
                stored.seq, stored.epoch
            ));
        }
        last_epoch = last_epoch.max(stored.epoch);
        epochs.insert(stored.epoch);
        match protocol::codec::from_msgpack::<Event>(&stored.payload) {
            Ok(event) => events.push((stored.seq, event)),
            Err(error) => violations.push(format!("seq {}: does not decode: {error}", stored.seq)),
        }
    }
    report.epochs = epochs.len();

    let mut slots = 0usize;
    let mut min_bid = 0u64;
    let mut managers: HashMap<String, Manager> = HashMap::new();
    let mut lots: BTreeMap<u32, Lot> = BTreeMap::new();
    let mut open_lot: Option<u32> = None;
    let mut paused = false;
    let mut sold_assets: BTreeSet<String> = BTreeSet::new();
    let mut keys_seen: BTreeSet<(String, String)> = BTreeSet::new();
    let mut logged_bids: BTreeSet<(String, String, u64, u32)> = BTreeSet::new();

    for (seq, event) in &events {
        let seq = *seq;
        match event {
            Event::AuctionCreated { setup, .. } => {
                if seq != 1 {
                    violations.push(format!("seq {seq}: auction created again"));
                }
                slots = usize::from(setup.settings.roster_slots);
                min_bid = setup.settings.min_opening_bid.0;
                for manager in &setup.managers {
                    managers.insert(
                        manager.id.as_str().to_string(),
                        Manager {
                            budget: setup.settings.budget.0,
                            ..Manager::default()
                        },
                    );
                }
                for keeper in &setup.keepers {
                    if let Some(manager) = managers.get_mut(keeper.manager.as_str()) {
                        manager.spent += keeper.cost.0;
                        manager.roster.insert(keeper.asset.as_str().to_string());
                        sold_assets.insert(keeper.asset.as_str().to_string());
                    }
                }
            }
            Event::LotOpened {
                lot,
                asset,
                opening_bid,
                deadline,
                ..
            } => {
                if let Some(previous) = open_lot {
                    violations.push(format!(
                        "seq {seq}: lot {} opened while lot {previous} is open",
                        lot.0
                    ));
                }
                if lots.contains_key(&lot.0) {
                    violations.push(format!("seq {seq}: lot number {} reused", lot.0));
                }
                if sold_assets.contains(asset.as_str()) {
                    violations.push(format!(
                        "seq {seq}: asset {} offered again after being sold",
                        asset.as_str()
                    ));
                }
                lots.insert(
                    lot.0,
                    Lot {
                        opening_bid: opening_bid.0,
                        asset: asset.as_str().to_string(),
                        deadline: Some(deadline.0),
                        ..Lot::default()
                    },
                );
                open_lot = Some(lot.0);
            }
            Event::BidAccepted {
                lot,
                bidder,
                amount,
                key,
                deadline,
                at,
                ..
            } => {
                report.bids += 1;
                check_bid(
                    seq,
                    BidFacts {
                        lot: *lot,
                        bidder,
                        amount: *amount,
                        at: *at,
                        paused,
                        open_lot,
                        slots,
                        min_bid,
                    },
                    &mut lots,
                    &managers,
                    &mut violations,
                );
                if let Some(open) = lots.get_mut(&lot.0) {
                    open.bids.push((bidder.as_str().to_string(), amount.0));
                    open.deadline = Some(deadline.0);
                }
                if let Some(key) = key {
                    let pair = (bidder.as_str().to_string(), key.as_str().to_string());
                    if !keys_seen.insert(pair) {
                        violations.push(format!(
                            "seq {seq}: idempotency key {} of {} applied twice",
                            key.as_str(),
                            bidder.as_str()
                        ));
                    }
                    logged_bids.insert((
                        bidder.as_str().to_string(),
                        key.as_str().to_string(),
                        amount.0,
                        lot.0,
                    ));
                }
            }
            Event::LotSold {
                lot,
                asset,
                buyer,
                price,
                ..
            } => {
                report.sold += 1;
                match lots.get_mut(&lot.0) {
                    None => {
                        violations.push(format!("seq {seq}: lot {} sold but never opened", lot.0))
                    }
                    Some(closing) => {
                        if closing.closed {
                            violations.push(format!("seq {seq}: lot {} closed twice", lot.0));
                        }
                        closing.closed = true;
                        match closing.bids.last() {
                            None => violations
                                .push(format!("seq {seq}: lot {} sold without a bid", lot.0)),
                            Some((leader, amount)) => {
                                if leader != buyer.as_str() || *amount != price.0 {
                                    violations.push(format!(
                                        "seq {seq}: lot {} sold to {} at {} but the highest bid was {leader} at {amount}",
                                        lot.0,
                                        buyer.as_str(),
                                        price.0
                                    ));
                                }
                            }
                        }
                        if closing.asset != asset.as_str() {
                            violations
                                .push(format!("seq {seq}: lot {} sold a different asset", lot.0));
                        }
                    }
                }
                if !sold_assets.insert(asset.as_str().to_string()) {
                    violations.push(format!("seq {seq}: asset {} sold twice", asset.as_str()));
                }
                if let Some(manager) = managers.get_mut(buyer.as_str()) {
                    manager.spent += price.0;
                    manager.roster.insert(asset.as_str().to_string());
                    if manager.spent > manager.budget {
                        violations.push(format!(
                            "seq {seq}: {} spent more than the budget",
                            buyer.as_str()
                        ));
                    }
                    if manager.roster.len() > slots {
                        violations.push(format!(
                            "seq {seq}: {}'s roster is over its {slots} slots",
                            buyer.as_str()
                        ));
                    }
                } else {
                    violations.push(format!(
                        "seq {seq}: sold to {}, who is not a manager",
                        buyer.as_str()
                    ));
                }
                if open_lot == Some(lot.0) {
                    open_lot = None;
                }
            }
            Event::LotUnsold { lot, .. } => {
                report.unsold += 1;
                if let Some(closing) = lots.get_mut(&lot.0) {
                    if closing.closed {
                        violations.push(format!("seq {seq}: lot {} closed twice", lot.0));
                    }
                    closing.closed = true;
                    if !closing.bids.is_empty() {
                        violations.push(format!(
                            "seq {seq}: lot {} left unsold despite a bid",
                            lot.0
                        ));
                    }
                }
                if open_lot == Some(lot.0) {
                    open_lot = None;
                }
            }
            Event::SaleUndone {
                asset,
                buyer,
                price,
                ..
            } => {
                sold_assets.remove(asset.as_str());
                if let Some(manager) = managers.get_mut(buyer.as_str()) {
                    manager.spent = manager.spent.saturating_sub(price.0);
                    if !manager.roster.remove(asset.as_str()) {
                        violations.push(format!(
                            "seq {seq}: undid a sale {} never had",
                            buyer.as_str()
                        ));
                    }
                }
            }
            Event::Paused { .. } => {
                paused = true;
                if let Some(open) = open_lot.and_then(|lot| lots.get_mut(&lot)) {
                    open.deadline = None;
                }
            }
            Event::Resumed { deadline, .. } => {
                paused = false;
                if let Some(open) = open_lot.and_then(|lot| lots.get_mut(&lot)) {
                    open.deadline = Some(deadline.0);
                }
            }
            Event::ClockRestored { deadline, .. } => {
                if let Some(open) = open_lot.and_then(|lot| lots.get_mut(&lot)) {
                    if let Some(previous) = open.deadline
                        && deadline.0 < previous
                    {
                        violations.push(format!("seq {seq}: a takeover shortened the lot clock"));
                    }
                    open.deadline = Some(deadline.0);
                }
            }
            Event::AuctionEnded { .. } => {
                report.ended = true;
                if let Some(lot) = open_lot {
                    // The commissioner's End withdraws an open lot; nothing may follow.
                    if let Some(open) = lots.get_mut(&lot) {
                        open.closed = true;
                    }
                }
            }
            _ => {}
        }
    }

    for bid in acked {
        let entry = (bid.bidder.clone(), bid.key.clone(), bid.amount, bid.lot);
        if !logged_bids.contains(&entry) {
            violations.push(format!(
                "acknowledged bid missing from the log: {} bid {} on lot {} (key {})",
                bid.bidder, bid.amount, bid.lot, bid.key
            ));
        }
    }
    report.violations = violations;
    report
}

struct BidFacts<'a> {
    lot: LotNumber,
    bidder: &'a UserId,
    amount: Money,
    at: Timestamp,
    paused: bool,
    open_lot: Option<u32>,
    slots: usize,
    min_bid: u64,
}

fn check_bid(
    seq: u64,
    facts: BidFacts<'_>,
    lots: &mut BTreeMap<u32, Lot>,
    managers: &HashMap<String, Manager>,
    violations: &mut Vec<String>,
) {
    let BidFacts {
        lot,
        bidder,
        amount,
        at,
        paused,
        open_lot,
        slots,
        min_bid,
    } = facts;
    if open_lot != Some(lot.0) {
        violations.push(format!(
            "seq {seq}: bid on lot {} which is not the open lot",
            lot.0
        ));
    }
    if paused {
        violations.push(format!("seq {seq}: bid accepted while paused"));
    }
    let Some(target) = lots.get(&lot.0) else {
        violations.push(format!(
            "seq {seq}: bid on lot {} which never opened",
            lot.0
        ));
        return;
    };
    if target.closed {
        violations.push(format!("seq {seq}: bid on lot {} after it closed", lot.0));
    }
    match target.deadline {
        Some(deadline) if at.0 >= deadline => {
            violations.push(format!(
                "seq {seq}: bid at {} at or after the deadline {deadline}",
                at.0
            ));
        }
        _ => {}
    }
    if amount.0 < target.opening_bid {
        violations.push(format!(
            "seq {seq}: bid {} below the opening bid {}",
            amount.0, target.opening_bid
        ));
    }
    if let Some((leader, previous)) = target.bids.last() {
        if amount.0 <= *previous {
            violations.push(format!(
                "seq {seq}: bid {} does not beat the standing {previous}",
                amount.0
            ));
        }
        if leader == bidder.as_str() {
            violations.push(format!("seq {seq}: {} outbid themself", bidder.as_str()));
        }
    }
    match managers.get(bidder.as_str()) {
        None => violations.push(format!(
            "seq {seq}: bid by {}, who is not a manager",
            bidder.as_str()
        )),
        Some(manager) => {
            let empty = slots.saturating_sub(manager.roster.len());
            if empty == 0 {
                violations.push(format!(
                    "seq {seq}: {} bid with a full roster",
                    bidder.as_str()
                ));
            }
            let remaining = manager.budget.saturating_sub(manager.spent);
            let reserve = min_bid.saturating_mul(empty.saturating_sub(1) as u64);
            if amount.0 > remaining.saturating_sub(reserve) {
                violations.push(format!(
                    "seq {seq}: {} bid {} above their max bid {}",
                    bidder.as_str(),
                    amount.0,
                    remaining.saturating_sub(reserve)
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests;
