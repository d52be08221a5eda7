//! The checker passes a genuine history and catches each kind of corruption.

use auction::{Auction, Command, Decision, Event, IdempotencyKey, LotNumber, Money, Timestamp};
use store::StoredEvent;

use super::*;
use crate::football_setup;

/// A real history: two lots, bids from two managers, one sale by the clock.
fn history() -> Vec<Event> {
    let setup = football_setup("checked", &["alice", "bob"], 10_000, 0);
    let start = Timestamp(1_800_000_000_000);
    let (mut auction, created) = Auction::create(setup, start).expect("valid setup");
    let mut events = vec![created];
    let mut run = |auction: &mut Auction, command: Command, at: i64| {
        if let Ok(Decision::Apply(new)) = auction.execute(&command, Timestamp(at)) {
            events.extend(new);
        }
    };
    let t = start.0;
    run(
        &mut auction,
        Command::Begin {
            by: crate::user("commish"),
            seed: 7,
        },
        t,
    );
    for (i, (who, millions)) in [("alice", 1), ("bob", 2), ("alice", 3)].iter().enumerate() {
        let key = IdempotencyKey::try_new(format!("{who}-{i}")).expect("key");
        let command = Command::PlaceBid {
            by: crate::user(who),
            lot: LotNumber(1),
            amount: Money(millions * 1_000_000),
            key,
        };
        run(&mut auction, command, t + 1_000 * (i as i64 + 1));
    }
    let mut later = auction.advance(Timestamp(t + 30_000));
    for event in &later {
        auction.apply(event);
    }
    events.append(&mut later);
    events
}

fn stored(events: &[Event], epoch_of: impl Fn(usize) -> u64) -> Vec<StoredEvent> {
    events
        .iter()
        .enumerate()
        .map(|(i, event)| StoredEvent {
            seq: i as u64 + 1,
            epoch: epoch_of(i),
            payload: protocol::codec::to_msgpack(event).expect("encodes"),
        })
        .collect()
}

fn acked() -> Vec<AckedBid> {
    [
        ("alice", "alice-0", 1),
        ("bob", "bob-1", 2),
        ("alice", "alice-2", 3),
    ]
    .iter()
    .map(|(who, key, m)| AckedBid {
        bidder: who.to_string(),
        key: key.to_string(),
        amount: m * 1_000_000,
        lot: 1,
    })
    .collect()
}

#[test]
fn a_genuine_history_passes() {
    let events = history();
    let report = check(&stored(&events, |i| if i < 3 { 1 } else { 2 }), &acked());
    assert_eq!(report.violations, Vec::<String>::new());
    assert_eq!(report.bids, 3);
    assert_eq!(report.sold, 1);
    assert_eq!(report.epochs, 2);
}

#[test]
fn a_sale_to_a_lower_bid_is_caught() {
    let mut events = history();
    for event in &mut events {
        if let Event::LotSold { buyer, price, .. } = event {
            *buyer = crate::user("bob");
            *price = Money(2_000_000);
        }
    }
    let report = check(&stored(&events, |_| 1), &acked());
    assert!(
        report
            .violations
            .iter()
            .any(|v| v.contains("but the highest bid was alice")),
        "{:?}",
        report.violations
    );
}

#[test]
fn two_writers_and_gaps_are_caught() {
    let events = history();
    let mut log = stored(&events, |i| if i == 4 { 1 } else { 2 });
    let report = check(&log, &acked());
    assert!(
        report.violations.iter().any(|v| v.contains("two writers")),
        "{:?}",
        report.violations
    );
    log.remove(2);
    let report = check(&log, &[]);
    assert!(
        report.violations.iter().any(|v| v.contains("sequence gap")),
        "{:?}",
        report.violations
    );
}

#[test]
fn a_lost_acknowledged_bid_is_caught() {
    let events = history();
    let mut claimed = acked();
    claimed.push(AckedBid {
        bidder: "bob".into(),
        key: "bob-lost".into(),
        amount: 9_000_000,
        lot: 1,
    });
    let report = check(&stored(&events, |_| 1), &claimed);
    assert!(
        report
            .violations
            .iter()
            .any(|v| v.contains("missing from the log")),
        "{:?}",
        report.violations
    );
}

#[test]
fn a_late_bid_and_a_double_close_are_caught() {
    let mut events = history();
    let deadline = events
        .iter()
        .find_map(|event| match event {
            Event::LotOpened { deadline, .. } => Some(*deadline),
            _ => None,
        })
        .expect("a lot opened");
    if let Some(Event::BidAccepted {
        at,
        deadline: new_deadline,
        ..
    }) = events
        .iter_mut()
        .rev()
        .find(|event| matches!(event, Event::BidAccepted { .. }))
    {
        *at = Timestamp(deadline.0 + 5);
        *new_deadline = deadline;
    }
    let sold = events
        .iter()
        .find(|event| matches!(event, Event::LotSold { .. }))
        .cloned()
        .expect("sold");
    events.push(sold);
    let report = check(&stored(&events, |_| 1), &[]);
    assert!(
        report
            .violations
            .iter()
            .any(|v| v.contains("at or after the deadline")),
        "{:?}",
        report.violations
    );
    assert!(
        report.violations.iter().any(|v| v.contains("closed twice")),
        "{:?}",
        report.violations
    );
}
