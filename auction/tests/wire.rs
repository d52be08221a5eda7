//! The persisted and shown types on the wire: every event kind through JSON and MessagePack
//! (`rmp_serde::to_vec_named`, as the protocol crate encodes) replays to the same auction, and the
//! JSON shapes other parts rely on are pinned.

mod common;

use std::collections::BTreeSet;

use auction::*;
use common::*;

/// A log that contains every kind of event.
fn every_kind_of_event() -> Vec<Event> {
    let mut h = Harness::begun(|s| {
        s.nomination = NominationMode::Rotation {
            nomination_clock: secs(20),
        }
    });
    let nominator = match h.phase() {
        PhaseView::Nominating { nominator, .. } => nominator,
        other => panic!("{other:?}"),
    };
    h.run(Command::Nominate {
        by: nominator.clone(),
        asset: asset("a3"),
        opening_bid: Some(m(2)),
    })
    .unwrap();
    let other = ["ann", "bob", "cat"]
        .into_iter()
        .find(|who| *who != nominator.as_str())
        .unwrap();
    h.proxy(other, m(10)).unwrap();
    let third = ["ann", "bob", "cat"]
        .into_iter()
        .find(|who| *who != nominator.as_str() && *who != other)
        .unwrap();
    h.pass(third).unwrap();
    h.run(Command::Pause { by: user("comm") }).unwrap();
    h.run(Command::Resume { by: user("comm") }).unwrap();
    let alive_until = h.now;
    h.wait(secs(2));
    h.run(Command::Recover {
        alive_until,
        min_remaining: secs(1),
    })
    .unwrap();
    // With the nominator absent and the third manager out, the lot sells at once.
    let events = h
        .run(Command::SetAutoPass {
            by: user("comm"),
            manager: nominator.clone(),
            on: true,
        })
        .unwrap();
    assert_eq!(kinds(&events), ["auto_pass_changed", "lot_sold"]);
    h.run(Command::UndoLastSale { by: user("comm") }).unwrap();
    h.tick(secs(3));
    h.run_out_clock();
    h.run(Command::End { by: user("comm") }).unwrap();
    h.assert_replays();
    h.log
}

#[test]
fn every_event_kind_round_trips_and_replays() {
    let log = every_kind_of_event();
    let kinds: BTreeSet<&str> = log.iter().map(Event::kind).collect();
    assert_eq!(kinds.len(), 15, "every event kind is in the log: {kinds:?}");
    let live = Auction::replay(&log).unwrap();

    let json = serde_json::to_string(&log).unwrap();
    let from_json: Vec<Event> = serde_json::from_str(&json).unwrap();
    assert_eq!(from_json, log);

    let from_msgpack: Vec<Event> = log
        .iter()
        .map(|event| {
            let bytes = rmp_serde::to_vec_named(event).unwrap();
            rmp_serde::from_slice(&bytes).unwrap()
        })
        .collect();
    assert_eq!(from_msgpack, log);
    for decoded in [from_json, from_msgpack] {
        let replayed = Auction::replay(&decoded).unwrap();
        assert_eq!(replayed.view(), live.view());
        assert_eq!(replayed.results(), live.results());
    }
    for event in &log {
        let value = serde_json::to_value(event).unwrap();
        assert_eq!(value["type"], event.kind(), "the tag is the kind");
    }
}

#[test]
fn views_and_commands_round_trip() {
    let mut h = Harness::begun(|_| {});
    h.bid("ann", m(3)).unwrap();
    let view = h.auction.view();
    let results = h.auction.results();
    let bytes = rmp_serde::to_vec_named(&view).unwrap();
    assert_eq!(rmp_serde::from_slice::<AuctionView>(&bytes).unwrap(), view);
    assert_eq!(
        serde_json::from_str::<AuctionView>(&serde_json::to_string(&view).unwrap()).unwrap(),
        view
    );
    assert_eq!(
        serde_json::from_str::<Results>(&serde_json::to_string(&results).unwrap()).unwrap(),
        results
    );
    let commands = [
        Command::Begin {
            by: user("comm"),
            seed: 7,
        },
        Command::PlaceBid {
            by: user("ann"),
            lot: LotNumber(3),
            amount: m(12),
            key: key("k-1"),
        },
        Command::SetProxy {
            by: user("ann"),
            lot: LotNumber(3),
            max: m(40),
            key: key("k-2"),
        },
        Command::Nominate {
            by: user("ann"),
            asset: asset("a1"),
            opening_bid: None,
        },
        Command::CloseLotIfOpen {
            by: user("comm"),
            lot: LotNumber(3),
        },
        Command::Recover {
            alive_until: T0,
            min_remaining: secs(5),
        },
    ];
    for command in commands {
        let json = serde_json::to_string(&command).unwrap();
        assert_eq!(serde_json::from_str::<Command>(&json).unwrap(), command);
        let bytes = rmp_serde::to_vec_named(&command).unwrap();
        assert_eq!(rmp_serde::from_slice::<Command>(&bytes).unwrap(), command);
    }
}

#[test]
fn json_shapes_are_pinned() {
    let bid = Command::PlaceBid {
        by: user("ann"),
        lot: LotNumber(3),
        amount: m(12),
        key: key("k-1"),
    };
    assert_eq!(
        serde_json::to_string(&bid).unwrap(),
        r#"{"type":"place_bid","by":"ann","lot":3,"amount":12000000,"key":"k-1"}"#
    );
    let nominate: Command =
        serde_json::from_str(r#"{"type":"nominate","by":"ann","asset":"a1"}"#).unwrap();
    assert_eq!(
        nominate,
        Command::Nominate {
            by: user("ann"),
            asset: asset("a1"),
            opening_bid: None
        }
    );
    let event = Event::BidAccepted {
        lot: LotNumber(3),
        bidder: user("ann"),
        amount: m(12),
        key: None,
        by_proxy: true,
        deadline: Timestamp(40_000),
        at: Timestamp(30_500),
    };
    assert_eq!(
        serde_json::to_string(&event).unwrap(),
        r#"{"type":"bid_accepted","lot":3,"bidder":"ann","amount":12000000,"key":null,"by_proxy":true,"deadline":40000,"at":30500}"#
    );
    let refusal = Refusal::AboveMaxBid {
        amount: m(50),
        max_bid: m(48),
        reserve_per_slot: m(1),
        other_empty_slots: 2,
    };
    assert_eq!(
        serde_json::to_string(&refusal).unwrap(),
        r#"{"code":"above_max_bid","amount":50000000,"max_bid":48000000,"reserve_per_slot":1000000,"other_empty_slots":2}"#
    );
    assert_eq!(
        serde_json::to_string(&PhaseView::BetweenLots {
            next_lot_at: Timestamp(9)
        })
        .unwrap(),
        r#"{"state":"between_lots","next_lot_at":9}"#
    );
    // A forged id is refused when decoding, not later.
    assert!(serde_json::from_str::<Command>(r#"{"type":"pause","by":".*"}"#).is_err());
}
