//! One test per defect of the system we replace (shared/notes/PREDECESSOR.md §8 and the brief's
//! "The system we replace"), named after it. Each fails if the defect comes back.

mod common;

use auction::*;
use common::*;

/// §8.16: bids were not tied to a lot, so a bid in flight across a lot change landed on the next one.
#[test]
fn predecessor_bid_in_flight_lands_on_next_lot() {
    let mut h = Harness::begun(|s| s.gap_between_lots = DurationMs::ZERO);
    h.bid("ann", m(5)).unwrap();
    // bob presses "bid £6m" on lot 1 just before it closes; the request arrives after lot 2 opened.
    let in_flight = Command::PlaceBid {
        by: user("bob"),
        lot: LotNumber(1),
        amount: m(6),
        key: key("bob-6"),
    };
    h.run_out_clock();
    assert_eq!(h.lot(), LotNumber(2));
    assert_eq!(
        h.decide(&in_flight).unwrap_err(),
        Refusal::WrongLot {
            sent: LotNumber(1),
            current: Some(LotNumber(2))
        }
    );
    assert_eq!(h.lot_view().bids, vec![], "nothing landed on lot 2");
    // The key was not consumed: the client can still bid on lot 2 with a new request.
    h.assert_replays();
}

/// §8.16: during the 3 s countdown between lots, bids were accepted and recorded against the lot
/// just sold, corrupting its price and the reports.
#[test]
fn predecessor_bid_during_gap_recorded_against_sold_lot() {
    let mut h = Harness::begun(|_| {});
    h.bid("ann", m(5)).unwrap();
    h.run_out_clock();
    h.wait(DurationMs(1_500));
    let late = Command::PlaceBid {
        by: user("bob"),
        lot: LotNumber(1),
        amount: m(50),
        key: key("late"),
    };
    let next_lot_at = match h.phase() {
        PhaseView::BetweenLots { next_lot_at } => next_lot_at,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        h.decide(&late).unwrap_err(),
        Refusal::BetweenLots { next_lot_at }
    );
    assert_eq!(h.auction.view().sold[0].price, m(5));
    assert_eq!(h.auction.results().history.len(), 1);
    h.assert_replays();
}

/// §8.16: there was no expiry check; bids up to ~500 ms after the end could win.
#[test]
fn predecessor_bid_after_expiry_wins() {
    let mut h = Harness::begun(|_| {});
    h.bid("ann", m(5)).unwrap();
    let deadline = h.deadline();
    for late_ms in [0u64, 1, 499] {
        h.now = deadline.plus(DurationMs(late_ms));
        let late = Command::PlaceBid {
            by: user("bob"),
            lot: LotNumber(1),
            amount: m(9),
            key: key("late"),
        };
        // The timer has not fired (no advance yet), and still the bid is refused.
        assert_eq!(
            h.decide(&late).unwrap_err(),
            Refusal::LotClosed { lot: LotNumber(1) },
            "{late_ms} ms late"
        );
    }
    // One millisecond before the deadline a bid is still on time.
    h.now = Timestamp(deadline.0 - 1);
    let on_time = Command::PlaceBid {
        by: user("bob"),
        lot: LotNumber(1),
        amount: m(6),
        key: key("on-time"),
    };
    assert!(h.decide(&on_time).is_ok());
    // When the timer does fire, the lot goes to the leader at the deadline.
    h.now = deadline.plus(DurationMs(499));
    let events = h.advance();
    assert_eq!(
        events[0],
        Event::LotSold {
            lot: LotNumber(1),
            asset: asset("a1"),
            buyer: user("ann"),
            price: m(5),
            at: deadline
        }
    );
    h.assert_replays();
}

/// §8.17: "skip" over REST ran while the countdown task was alive; both closed the lot, which for
/// unsold lots started two next lots with the same club (ISSUE-020 "United offered 2 times").
#[test]
fn predecessor_skip_racing_timer_closes_lot_twice() {
    // Skip first, then the timer fires: the timer finds nothing to close.
    let mut h = Harness::begun(|_| {});
    h.wait(secs(29));
    assert_eq!(
        kinds(&h.run(Command::CloseLot { by: user("comm") }).unwrap()),
        ["lot_unsold"]
    );
    h.wait(secs(1));
    assert!(h.advance().is_empty(), "the old deadline closes nothing");
    let events = h.tick(secs(2));
    assert_eq!(kinds(&events), ["lot_opened"]);
    assert!(
        matches!(&events[0], Event::LotOpened { lot: LotNumber(2), asset, .. } if asset.as_str() == "a2")
    );

    // Timer first, then the skip arrives: refused, nothing closes twice.
    let mut h = Harness::begun(|_| {});
    h.run_out_clock();
    assert_eq!(
        h.decide(&Command::CloseLot { by: user("comm") })
            .unwrap_err(),
        Refusal::NoOpenLot
    );

    // The skip lands exactly at the deadline, before the timer fired: the clock already decided.
    let mut h = Harness::begun(|_| {});
    h.wait(secs(30));
    assert_eq!(
        h.decide(&Command::CloseLot { by: user("comm") })
            .unwrap_err(),
        Refusal::LotClosed { lot: LotNumber(1) }
    );
    assert_eq!(kinds(&h.advance()), ["lot_unsold"]);

    // With no gap, a skip meant for lot 1 can never close lot 2.
    let mut h = Harness::begun(|s| s.gap_between_lots = DurationMs::ZERO);
    h.run_out_clock();
    let skip = Command::CloseLotIfOpen {
        by: user("comm"),
        lot: LotNumber(1),
    };
    assert_eq!(
        h.decide(&skip).unwrap_err(),
        Refusal::WrongLot {
            sent: LotNumber(1),
            current: Some(LotNumber(2))
        }
    );

    // Across all of it, every lot number is opened and closed exactly once.
    let mut opened = Vec::new();
    let mut closed = Vec::new();
    for event in &h.log {
        match event {
            Event::LotOpened { lot, .. } => opened.push(*lot),
            Event::LotSold { lot, .. } | Event::LotUnsold { lot, .. } => closed.push(*lot),
            _ => {}
        }
    }
    assert_eq!(opened, vec![LotNumber(1), LotNumber(2)]);
    assert_eq!(closed, vec![LotNumber(1)]);
    h.assert_replays();
}

/// ISSUE-020: the same club was offered twice (two lots at once after a double close).
#[test]
fn predecessor_same_asset_offered_twice_concurrently() {
    let mut h = Harness::begun(|s| {
        s.gap_between_lots = DurationMs::ZERO;
        s.reoffer_rounds = 2;
    });
    // Race skips and timers over every lot until the auction ends.
    let mut step = 0u64;
    while !h.auction.is_ended() {
        step += 1;
        if step.is_multiple_of(2) {
            let _ = h.run(Command::CloseLot { by: user("comm") });
        }
        if !h.auction.is_ended() {
            h.run_out_clock();
        }
    }
    let mut open: Option<AssetId> = None;
    let mut offers: std::collections::HashMap<AssetId, u8> = Default::default();
    for event in &h.log {
        match event {
            Event::LotOpened { asset, offer, .. } => {
                assert!(open.is_none(), "{asset} opened while {open:?} was on offer");
                let count = offers.entry(asset.clone()).or_default();
                *count += 1;
                assert_eq!(*offer, *count);
                open = Some(asset.clone());
            }
            Event::LotSold { asset, .. } | Event::LotUnsold { asset, .. } => {
                assert_eq!(open.take().as_ref(), Some(asset));
            }
            _ => {}
        }
    }
    assert!(
        offers.values().all(|count| *count == 3),
        "each offered exactly 1 + 2 times: {offers:?}"
    );
    h.assert_replays();
}

/// §8.3 / §8.4: an off-by-one completed the auction before the final lot was awarded, and when the
/// last sale filled every roster no `sold` was emitted ("8/9 teams sold").
#[test]
fn predecessor_final_lot_not_awarded() {
    let mut h = Harness::from_setup(setup_with(
        LeagueSettings {
            roster_slots: 1,
            reoffer_rounds: 0,
            ..fixed_settings()
        },
        &["ann", "bob", "cat"],
        3,
    ));
    h.run(Command::Begin {
        by: user("comm"),
        seed: 0,
    })
    .unwrap();
    for who in ["ann", "bob"] {
        h.bid(who, m(4)).unwrap();
        h.run_out_clock();
        h.run_out_clock();
    }
    // The final lot, with anti-snipe on it: it sells, then the auction ends.
    h.wait(secs(28));
    let events = h.bid("cat", m(4)).unwrap();
    assert_eq!(
        kinds(&events),
        ["bid_accepted", "lot_sold", "auction_ended"]
    );
    assert_eq!(h.auction.view().sold.len(), 3, "3 of 3 sold");
    let results = h.auction.results();
    assert!(
        results
            .managers
            .iter()
            .all(|manager| manager.roster.len() == 1)
    );
    assert_eq!(results.ended.unwrap().reason, EndReason::AllRostersFull);
    h.assert_replays();
}

/// §8.19: pausing during the countdown between lots stored ~0 s, so on resume the next lot ended
/// at once and went unsold.
#[test]
fn predecessor_pause_during_gap_loses_the_next_lot() {
    let mut h = Harness::begun(|_| {});
    h.run_out_clock();
    h.wait(DurationMs(2_900));
    h.run(Command::Pause { by: user("comm") }).unwrap();
    h.wait(secs(120));
    h.run(Command::Resume { by: user("comm") }).unwrap();
    let events = h.tick(DurationMs(100));
    let Event::LotOpened { deadline, .. } = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(
        *deadline,
        h.now.plus(secs(30)),
        "the next lot gets its full clock"
    );
    h.assert_replays();
}

/// §8.15: validation and update were not atomic; two concurrent bids both passed `amount >
/// currentBid` and the lower could end up shown while the higher won. Equal bids had no tiebreak.
#[test]
fn predecessor_check_then_act_race_shows_wrong_leader() {
    let mut h = Harness::begun(|_| {});
    let high = Command::PlaceBid {
        by: user("ann"),
        lot: LotNumber(1),
        amount: m(9),
        key: key("ann-9"),
    };
    let low = Command::PlaceBid {
        by: user("bob"),
        lot: LotNumber(1),
        amount: m(7),
        key: key("bob-7"),
    };
    let equal = Command::PlaceBid {
        by: user("cat"),
        lot: LotNumber(1),
        amount: m(9),
        key: key("cat-9"),
    };
    // Both decided against the same state are individually valid…
    assert!(h.decide(&high).is_ok() && h.decide(&low).is_ok());
    // …but the owner decides one at a time against the state the previous one produced.
    h.run(high).unwrap();
    assert_eq!(
        h.run(low).unwrap_err(),
        Refusal::BelowMinimumNext {
            amount: m(7),
            min_next: m(10)
        }
    );
    assert_eq!(
        h.run(equal).unwrap_err(),
        Refusal::BelowMinimumNext {
            amount: m(9),
            min_next: m(10)
        }
    );
    assert_eq!(h.lot_view().leader, Some(user("ann")));
    h.run_out_clock();
    assert_eq!(
        h.auction.view().sold[0].buyer,
        user("ann"),
        "the leader shown is the winner"
    );
    h.assert_replays();
}

/// §8.20: unsold re-offers looped forever while eligible bidders existed but nobody bid.
#[test]
fn predecessor_unsold_reoffer_loops_forever() {
    let mut h = Harness::begun(|_| {});
    let mut lots = 0;
    while !h.auction.is_ended() {
        h.run_out_clock();
        lots += 1;
        assert!(lots < 100, "the auction must end by itself");
    }
    assert_eq!(
        h.phase(),
        PhaseView::Ended {
            reason: EndReason::NoLotsLeft
        }
    );
    assert_eq!(
        h.auction.view().lots_opened,
        10,
        "5 assets × (1 + 1 re-offer)"
    );
    h.assert_replays();
}

/// §8.21 / brief: commissioner actions (start, pause, resume, skip, end) had no server-side
/// authorization.
#[test]
fn predecessor_commissioner_actions_without_authorization() {
    let mut h = Harness::new(|_| {});
    let by = || user("ann");
    assert_eq!(
        h.decide(&Command::Begin { by: by(), seed: 1 }).unwrap_err(),
        Refusal::NotCommissioner
    );
    h.run(Command::Begin {
        by: user("comm"),
        seed: 1,
    })
    .unwrap();
    for command in [
        Command::Pause { by: by() },
        Command::Resume { by: by() },
        Command::CloseLot { by: by() },
        Command::CloseLotIfOpen {
            by: by(),
            lot: LotNumber(1),
        },
        Command::UndoLastSale { by: by() },
        Command::UndoSaleOf {
            by: by(),
            lot: LotNumber(1),
        },
        Command::End { by: by() },
        Command::SetAutoPass {
            by: by(),
            manager: user("bob"),
            on: true,
        },
    ] {
        assert_eq!(
            h.decide(&command).unwrap_err(),
            Refusal::NotCommissioner,
            "{command:?}"
        );
        assert!(command.by().is_some());
    }
}

/// §2.7: "End" deleted every bid and reset every participant; there was no undo, only wipes.
#[test]
fn predecessor_end_wipes_the_auction() {
    let mut h = Harness::begun(|_| {});
    h.bid("ann", m(12)).unwrap();
    h.run_out_clock();
    h.run(Command::End { by: user("comm") }).unwrap();
    assert_eq!(h.manager("ann").spent, m(12));
    assert_eq!(h.auction.results().history.len(), 1);
    assert_eq!(h.auction.view().sold.len(), 1);
    h.assert_replays();
}

/// §8.18: timers lived in one process; a crash froze a live auction. Here the clock is data: a new
/// owner replays the log and restores the clock, never shortened.
#[test]
fn predecessor_timer_lost_with_the_process() {
    let mut h = Harness::begun(|_| {});
    h.bid("ann", m(3)).unwrap();
    let alive_until = h.now.plus(secs(20)); // the owner died with 10 s left on the lot
    h.wait(secs(45)); // a new owner takes over 25 s later
    let mut rebuilt = Auction::replay(&h.log).expect("replays");
    assert_eq!(rebuilt.next_deadline(), h.auction.next_deadline());
    let decision = rebuilt
        .decide(
            &Command::Recover {
                alive_until,
                min_remaining: secs(5),
            },
            h.now,
        )
        .unwrap();
    let Decision::Apply(events) = decision else {
        panic!()
    };
    for event in &events {
        rebuilt.apply(event);
    }
    assert_eq!(rebuilt.next_deadline(), Some(h.now.plus(secs(10))));
    assert!(
        rebuilt.advance(h.now).is_empty(),
        "the lot is not closed by the takeover"
    );
}

/// §8.23: `minManagers` was enforced only in the UI.
#[test]
fn predecessor_min_managers_only_in_the_ui() {
    let settings = LeagueSettings {
        min_managers: 4,
        ..fixed_settings()
    };
    let setup = setup_with(settings, &["ann", "bob", "cat"], 5);
    assert_eq!(
        Auction::create(setup, T0).unwrap_err(),
        SetupError::TooFewManagers { have: 3, min: 4 }
    );
}

/// §8.21: an invite code was matched as a regular expression, so `.*` joined any league. Ids here are
/// validated character by character and compared exactly.
#[test]
fn predecessor_regex_ids() {
    assert!(UserId::try_new(".*").is_err());
    let h = Harness::begun(|_| {});
    let forged = Command::PlaceBid {
        by: user("ann-"),
        lot: LotNumber(1),
        amount: m(5),
        key: key("x"),
    };
    assert_eq!(h.decide(&forged).unwrap_err(), Refusal::NotAManager);
}
