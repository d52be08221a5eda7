//! Every rule's accepted behaviour: boundaries of bid validity, anti-snipe, lot close and re-offers,
//! the gap, pause/resume, skip, undo, end conditions, keepers, passing and auto-pass, idempotency,
//! proxies, rotation, random order and recovery. Each test ends by checking that the log replays.

mod common;

use auction::*;
use common::*;

fn bid_amounts(events: &[Event]) -> Vec<(String, Money, bool)> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::BidAccepted {
                bidder,
                amount,
                by_proxy,
                ..
            } => Some((bidder.to_string(), *amount, *by_proxy)),
            _ => None,
        })
        .collect()
}

// ---------------------------------------------------------------- bid validity boundaries

#[test]
fn bids_at_the_exact_boundaries_are_accepted() {
    let mut h = Harness::begun(|s| s.budget = m(50));
    h.bid("ann", m(1)).expect("exactly the opening bid");
    h.bid("bob", m(2)).expect("exactly current + increment");
    let lot = h.lot_view();
    assert_eq!(
        (lot.price, lot.leader.as_ref().map(UserId::as_str)),
        (Some(m(2)), Some("bob"))
    );
    assert_eq!(lot.min_next_bid, m(3));
    // Exactly the max bid (£50m − £1m × 2). Nobody can then bid £49m, so the lot sells at once.
    let events = h.bid("cat", m(48)).expect("exactly the max bid");
    assert_eq!(kinds(&events), ["bid_accepted", "lot_sold"]);
    assert_eq!(h.manager("cat").spent, m(48));
    h.assert_replays();
}

#[test]
fn a_bid_after_passing_is_accepted_and_withdraws_the_pass() {
    let mut h = Harness::begun(|_| {});
    h.bid("ann", m(2)).unwrap();
    h.pass("bob").unwrap();
    assert_eq!(h.lot_view().passed, vec![user("bob")]);
    h.bid("bob", m(3)).expect("changed their mind");
    assert!(h.lot_view().passed.is_empty());
    h.assert_replays();
}

#[test]
fn tiered_increments_follow_the_ipl_table() {
    let mut h = Harness::begun(|s| {
        s.currency = CurrencyFormat::rupees();
        s.budget = Money::crore(100);
        s.min_opening_bid = Money::lakh(20);
        s.increment = IncrementRule::ipl();
    });
    h.bid("ann", Money::lakh(95)).unwrap();
    assert_eq!(
        h.lot_view().min_next_bid,
        Money::crore(1),
        "+5 lakh below 1 cr"
    );
    h.bid("bob", Money::crore(1)).unwrap();
    assert_eq!(
        h.lot_view().min_next_bid,
        Money::lakh(110),
        "+10 lakh from 1 cr"
    );
    let refusal = h.bid("cat", Money::lakh(105)).unwrap_err();
    assert_eq!(
        refusal.message(&CurrencyFormat::rupees()),
        "The next bid must be at least ₹1.1 cr: ₹1.05 cr is too low"
    );
    h.bid("cat", Money::crore(5)).unwrap();
    assert_eq!(
        h.lot_view().min_next_bid,
        Money::lakh(525),
        "+25 lakh from 5 cr"
    );
    h.assert_replays();
}

// ---------------------------------------------------------------- anti-snipe

#[test]
fn anti_snipe_resets_the_clock_to_the_window() {
    // (seconds left when the bid lands, anti-snipe window, seconds left after the bid)
    let cases: [(u64, u64, u64); 5] = [
        (3, 10, 10),
        (12, 10, 12),
        (10, 10, 10),
        (1, 10, 10),
        (3, 0, 3),
    ];
    for (left, window, expected_left) in cases {
        let mut h = Harness::begun(|s| s.anti_snipe = secs(window));
        let deadline = h.deadline();
        h.wait(secs(30 - left));
        let events = h.bid("ann", m(2)).unwrap();
        let Event::BidAccepted {
            deadline: after, ..
        } = &events[0]
        else {
            panic!("{events:?}")
        };
        assert_eq!(
            *after,
            h.now.plus(secs(expected_left)),
            "left {left} s, window {window} s"
        );
        assert_eq!(h.deadline(), *after);
        assert!(*after >= deadline, "never shortened");
        h.assert_replays();
    }
}

#[test]
fn anti_snipe_can_extend_repeatedly() {
    let mut h = Harness::begun(|_| {});
    h.wait(secs(28));
    for (round, who) in ["ann", "bob", "ann", "bob"].into_iter().enumerate() {
        h.bid(who, m(2 + round as u64)).unwrap();
        assert_eq!(h.deadline(), h.now.plus(secs(10)));
        h.wait(secs(9));
        assert!(h.advance().is_empty(), "still open with 1 s left");
    }
    let events = h.tick(secs(1));
    assert_eq!(kinds(&events[..1]), ["lot_sold"]);
    h.assert_replays();
}

// ---------------------------------------------------------------- lot close, gap, re-offers

#[test]
fn a_lot_closes_at_its_deadline_even_when_advanced_late() {
    let mut h = Harness::begun(|_| {});
    h.bid("ann", m(7)).unwrap();
    let deadline = h.deadline();
    // The timer fires 10 s late: the sale is still dated at the deadline, and the next lot opens at
    // `now` with a full clock (never in the past).
    let events = h.tick(secs(40));
    assert_eq!(kinds(&events), ["lot_sold", "lot_opened"]);
    assert_eq!(
        events[0],
        Event::LotSold {
            lot: LotNumber(1),
            asset: asset("a1"),
            buyer: user("ann"),
            price: m(7),
            at: deadline
        }
    );
    let Event::LotOpened {
        lot,
        at,
        deadline: next,
        ..
    } = &events[1]
    else {
        panic!()
    };
    assert_eq!(
        (*lot, *at, *next),
        (LotNumber(2), h.now, h.now.plus(secs(30)))
    );
    h.assert_replays();
}

#[test]
fn the_gap_runs_between_lots() {
    let mut h = Harness::begun(|_| {});
    let deadline = h.deadline();
    let events = h.tick(secs(30));
    assert_eq!(kinds(&events), ["lot_unsold"]);
    assert_eq!(
        h.phase(),
        PhaseView::BetweenLots {
            next_lot_at: deadline.plus(secs(3))
        }
    );
    assert!(h.tick(DurationMs(2_999)).is_empty());
    assert_eq!(kinds(&h.tick(DurationMs(1))), ["lot_opened"]);
    h.assert_replays();
}

#[test]
fn unsold_assets_are_reoffered_after_the_queue_at_most_reoffer_rounds_times() {
    for rounds in [0u8, 1, 2] {
        let settings = LeagueSettings {
            reoffer_rounds: rounds,
            ..fixed_settings()
        };
        // Two assets, nobody bids: each is offered 1 + rounds times, first offers first.
        let mut h = Harness::from_setup(setup_with(settings, &["ann", "bob"], 2));
        h.run(Command::Begin {
            by: user("comm"),
            seed: 1,
        })
        .unwrap();
        while !h.auction.is_ended() {
            h.run_out_clock();
        }
        let mut offers = Vec::new();
        for event in &h.log {
            match event {
                Event::LotOpened { asset, offer, .. } => offers.push((asset.to_string(), *offer)),
                Event::LotUnsold {
                    asset,
                    will_reoffer,
                    ..
                } => {
                    let offered = offers.iter().filter(|(a, _)| a == asset.as_str()).count();
                    assert_eq!(
                        *will_reoffer,
                        offered <= usize::from(rounds),
                        "{asset} after {offered} offers"
                    );
                }
                _ => {}
            }
        }
        let mut expected = Vec::new();
        for round in 0..=rounds {
            expected.push(("a1".to_string(), round + 1));
            expected.push(("a2".to_string(), round + 1));
        }
        assert_eq!(offers, expected, "rounds {rounds}");
        assert_eq!(
            h.phase(),
            PhaseView::Ended {
                reason: EndReason::NoLotsLeft
            }
        );
        assert_eq!(h.auction.view().unsold, vec![asset("a1"), asset("a2")]);
        h.assert_replays();
    }
}

// ---------------------------------------------------------------- pause and resume

#[test]
fn pause_and_resume_restore_the_exact_time_left_on_every_clock() {
    // On a lot.
    let mut h = Harness::begun(|_| {});
    h.wait(DurationMs(12_345));
    let events = h.run(Command::Pause { by: user("comm") }).unwrap();
    assert_eq!(
        events,
        vec![Event::Paused {
            by: user("comm"),
            remaining: DurationMs(17_655),
            at: h.now
        }]
    );
    assert_eq!(h.lot_view().deadline, None);
    assert_eq!(h.lot_view().remaining_when_paused, Some(DurationMs(17_655)));
    assert!(h.tick(secs(600)).is_empty(), "no clock runs while paused");
    h.run(Command::Resume { by: user("comm") }).unwrap();
    assert_eq!(h.deadline(), h.now.plus(DurationMs(17_655)));

    // In the gap (the old system resumed a gap with 0 s left).
    h.run_out_clock();
    h.wait(DurationMs(1_000));
    h.run(Command::Pause { by: user("comm") }).unwrap();
    assert_eq!(
        h.phase(),
        PhaseView::Paused {
            remaining: DurationMs(2_000),
            resumes_into: ResumesInto::BetweenLots
        }
    );
    h.wait(secs(60));
    h.run(Command::Resume { by: user("comm") }).unwrap();
    assert_eq!(
        h.phase(),
        PhaseView::BetweenLots {
            next_lot_at: h.now.plus(DurationMs(2_000))
        }
    );
    h.assert_replays();
}

#[test]
fn pause_after_an_unprocessed_deadline_closes_the_lot_first() {
    let mut h = Harness::begun(|_| {});
    h.bid("ann", m(4)).unwrap();
    let deadline = h.deadline();
    h.wait(secs(31));
    let events = h.run(Command::Pause { by: user("comm") }).unwrap();
    assert_eq!(kinds(&events), ["lot_sold", "paused"]);
    assert_eq!(events[0].at(), deadline);
    assert_eq!(
        h.phase(),
        PhaseView::Paused {
            remaining: DurationMs(2_000),
            resumes_into: ResumesInto::BetweenLots
        }
    );
    h.assert_replays();
}

// ---------------------------------------------------------------- skip (close now)

#[test]
fn skip_sells_to_the_leader_now_or_closes_unsold() {
    let mut h = Harness::begun(|_| {});
    h.bid("bob", m(3)).unwrap();
    h.wait(secs(5));
    let events = h.run(Command::CloseLot { by: user("comm") }).unwrap();
    assert_eq!(
        events,
        vec![Event::LotSold {
            lot: LotNumber(1),
            asset: asset("a1"),
            buyer: user("bob"),
            price: m(3),
            at: h.now
        }]
    );
    h.tick(secs(3));
    let events = h
        .run(Command::CloseLotIfOpen {
            by: user("comm"),
            lot: LotNumber(2),
        })
        .unwrap();
    assert_eq!(kinds(&events), ["lot_unsold"]);
    h.assert_replays();
}

#[test]
fn skip_while_paused_sells_and_stays_paused_with_the_full_gap() {
    let mut h = Harness::begun(|_| {});
    h.bid("bob", m(3)).unwrap();
    h.run(Command::Pause { by: user("comm") }).unwrap();
    let events = h.run(Command::CloseLot { by: user("comm") }).unwrap();
    assert_eq!(kinds(&events), ["lot_sold"]);
    assert_eq!(
        h.phase(),
        PhaseView::Paused {
            remaining: secs(3),
            resumes_into: ResumesInto::BetweenLots
        }
    );
    h.run(Command::Resume { by: user("comm") }).unwrap();
    assert_eq!(kinds(&h.tick(secs(3))), ["lot_opened"]);
    h.assert_replays();
}

// ---------------------------------------------------------------- undo

#[test]
fn undo_refunds_removes_the_roster_entry_and_offers_the_asset_next() {
    let mut h = Harness::begun(|_| {});
    h.bid("ann", m(40)).unwrap();
    h.run_out_clock();
    assert_eq!(h.manager("ann").spent, m(40));
    let events = h
        .run(Command::UndoSaleOf {
            by: user("comm"),
            lot: LotNumber(1),
        })
        .unwrap();
    assert_eq!(
        events,
        vec![Event::SaleUndone {
            lot: LotNumber(1),
            asset: asset("a1"),
            buyer: user("ann"),
            price: m(40),
            by: user("comm"),
            at: h.now
        }]
    );
    let ann = h.manager("ann");
    assert_eq!(
        (ann.spent, ann.remaining, ann.slots_left, ann.roster.len()),
        (Money::ZERO, m(500), 3, 0)
    );
    assert!(h.auction.view().sold.is_empty());
    assert_eq!(h.auction.view().upcoming[0], asset("a1"));
    let events = h.tick(secs(3));
    let Event::LotOpened {
        lot,
        asset: offered,
        offer,
        ..
    } = &events[0]
    else {
        panic!("{events:?}")
    };
    assert_eq!(
        (*lot, offered.as_str(), *offer),
        (LotNumber(2), "a1", 1),
        "offered again, as a first offer"
    );
    let results = h.auction.results();
    assert_eq!(results.history[0].outcome, BidOutcome::SaleUndone);
    assert!(matches!(
        results.lots[0].outcome,
        LotOutcome::SaleUndone { .. }
    ));
    h.assert_replays();
}

#[test]
fn undo_can_reverse_several_sales_most_recent_first() {
    let mut h = Harness::begun(|_| {});
    h.bid("ann", m(5)).unwrap();
    h.run_out_clock();
    h.run_out_clock();
    h.bid("bob", m(6)).unwrap();
    h.run_out_clock();
    let first = h.run(Command::UndoLastSale { by: user("comm") }).unwrap();
    let second = h.run(Command::UndoLastSale { by: user("comm") }).unwrap();
    assert!(matches!(
        &first[0],
        Event::SaleUndone {
            lot: LotNumber(2),
            ..
        }
    ));
    assert!(matches!(
        &second[0],
        Event::SaleUndone {
            lot: LotNumber(1),
            ..
        }
    ));
    assert_eq!(h.auction.view().upcoming[..2], [asset("a1"), asset("a2")]);
    assert_eq!(
        h.run(Command::UndoLastSale { by: user("comm") })
            .unwrap_err(),
        Refusal::NothingToUndo
    );
    h.assert_replays();
}

// ---------------------------------------------------------------- end conditions

#[test]
fn the_last_sale_that_fills_every_roster_is_recorded_before_the_end() {
    let mut h = Harness::from_setup(setup_with(
        LeagueSettings {
            roster_slots: 1,
            ..fixed_settings()
        },
        &["ann", "bob"],
        5,
    ));
    h.run(Command::Begin {
        by: user("comm"),
        seed: 1,
    })
    .unwrap();
    h.bid("ann", m(3)).unwrap();
    h.run_out_clock();
    h.run_out_clock();
    // ann's roster is full, so bob is the only bidder left: his bid wins at once and fills the last
    // roster, and the sale is recorded before the end.
    let events = h.bid("bob", m(2)).unwrap();
    assert_eq!(
        kinds(&events),
        ["bid_accepted", "lot_sold", "auction_ended"]
    );
    assert_eq!(
        events[2],
        Event::AuctionEnded {
            reason: EndReason::AllRostersFull,
            by: None,
            at: h.now
        }
    );
    assert_eq!(
        h.auction.view().sold.len(),
        2,
        "2 of 2 sold, the final lot included"
    );
    assert_eq!(h.auction.next_deadline(), None);
    h.assert_replays();
}

#[test]
fn the_auction_ends_when_no_lots_are_left() {
    let mut h = Harness::from_setup(setup_with(
        LeagueSettings {
            reoffer_rounds: 0,
            ..fixed_settings()
        },
        &["ann", "bob"],
        1,
    ));
    h.run(Command::Begin {
        by: user("comm"),
        seed: 1,
    })
    .unwrap();
    let events = h.run_out_clock();
    assert_eq!(kinds(&events), ["lot_unsold", "auction_ended"]);
    assert_eq!(
        h.phase(),
        PhaseView::Ended {
            reason: EndReason::NoLotsLeft
        }
    );
    h.assert_replays();
}

#[test]
fn commissioner_end_withdraws_the_open_lot_and_keeps_the_results() {
    let mut h = Harness::begun(|_| {});
    h.bid("ann", m(5)).unwrap();
    h.run_out_clock();
    h.run_out_clock();
    h.bid("bob", m(9)).unwrap();
    let events = h.run(Command::End { by: user("comm") }).unwrap();
    assert_eq!(
        events,
        vec![Event::AuctionEnded {
            reason: EndReason::Commissioner,
            by: Some(user("comm")),
            at: h.now
        }]
    );
    let results = h.auction.results();
    assert_eq!(results.lots[1].outcome, LotOutcome::Withdrawn);
    assert_eq!(
        results.history.last().unwrap().outcome,
        BidOutcome::Withdrawn
    );
    assert_eq!(h.manager("ann").roster.len(), 1, "completed sales stand");
    assert_eq!(
        h.manager("bob").spent,
        Money::ZERO,
        "nothing sold on the withdrawn lot"
    );
    assert!(h.auction.view().unsold.contains(&asset("a2")));
    h.assert_replays();
}

#[test]
fn an_auction_with_nothing_to_offer_ends_at_begin() {
    let mut setup = setup_with(
        LeagueSettings {
            roster_slots: 1,
            ..fixed_settings()
        },
        &["ann", "bob"],
        2,
    );
    setup.keepers = vec![
        Keeper {
            manager: user("ann"),
            asset: asset("a1"),
            cost: m(10),
        },
        Keeper {
            manager: user("bob"),
            asset: asset("a2"),
            cost: m(20),
        },
    ];
    let mut h = Harness::from_setup(setup);
    let events = h
        .run(Command::Begin {
            by: user("comm"),
            seed: 3,
        })
        .unwrap();
    assert_eq!(kinds(&events), ["auction_began", "auction_ended"]);
    assert_eq!(
        h.phase(),
        PhaseView::Ended {
            reason: EndReason::AllRostersFull
        }
    );
    h.assert_replays();
}

// ---------------------------------------------------------------- keepers

#[test]
fn keepers_are_on_rosters_from_creation_and_cost_budget() {
    let mut setup = setup_with(
        LeagueSettings {
            budget: m(100),
            ..fixed_settings()
        },
        &["ann", "bob"],
        4,
    );
    setup.keepers = vec![Keeper {
        manager: user("ann"),
        asset: asset("a2"),
        cost: m(30),
    }];
    let mut h = Harness::from_setup(setup);
    let ann = h.manager("ann");
    assert_eq!(
        (ann.spent, ann.remaining, ann.slots_left),
        (m(30), m(70), 2)
    );
    assert_eq!(ann.max_bid, m(69));
    assert_eq!(
        ann.roster,
        vec![RosterEntry {
            asset: asset("a2"),
            price: m(30),
            lot: None,
            keeper: true
        }]
    );
    let events = h
        .run(Command::Begin {
            by: user("comm"),
            seed: 0,
        })
        .unwrap();
    let Event::AuctionBegan { order, .. } = &events[0] else {
        panic!()
    };
    assert_eq!(
        order,
        &vec![asset("a1"), asset("a3"), asset("a4")],
        "keepers are never offered"
    );
    h.assert_replays();
}

// ---------------------------------------------------------------- passing and auto-pass

#[test]
fn when_everyone_else_passes_the_lot_sells_at_once() {
    let mut h = Harness::begun(|_| {});
    h.bid("ann", m(5)).unwrap();
    assert_eq!(kinds(&h.pass("bob").unwrap()), ["passed"]);
    let events = h.pass("cat").unwrap();
    assert_eq!(kinds(&events), ["passed", "lot_sold"]);
    assert_eq!(events[1].at(), h.now);
    h.assert_replays();
}

#[test]
fn when_everyone_passes_an_unbid_lot_closes_unsold_at_once() {
    let mut h = Harness::begun(|_| {});
    h.pass("ann").unwrap();
    h.pass("bob").unwrap();
    assert_eq!(kinds(&h.pass("cat").unwrap()), ["passed", "lot_unsold"]);
    h.assert_replays();
}

#[test]
fn a_bid_nobody_else_can_beat_sells_at_once() {
    let mut h = Harness::begun(|s| s.budget = m(20));
    // Max bids are £18m each; after a bid of £18m nobody can bid £19m.
    let events = h.bid("ann", m(18)).unwrap();
    assert_eq!(kinds(&events), ["bid_accepted", "lot_sold"]);
    h.assert_replays();
}

#[test]
fn auto_pass_counts_as_passing_and_turns_off_when_the_manager_acts() {
    let mut h = Harness::begun(|_| {});
    h.run(Command::SetAutoPass {
        by: user("comm"),
        manager: user("cat"),
        on: true,
    })
    .unwrap();
    assert!(h.manager("cat").auto_pass);
    h.bid("ann", m(2)).unwrap();
    let events = h.pass("bob").unwrap();
    assert_eq!(
        kinds(&events),
        ["passed", "lot_sold"],
        "cat is on auto-pass"
    );

    h.tick(secs(3));
    let events = h.bid("cat", m(2)).unwrap();
    assert_eq!(kinds(&events), ["auto_pass_changed", "bid_accepted"]);
    assert!(!h.manager("cat").auto_pass);
    // Setting it to its current value changes nothing.
    assert_eq!(
        h.run(Command::SetAutoPass {
            by: user("ann"),
            manager: user("ann"),
            on: false
        })
        .unwrap(),
        vec![]
    );
    h.assert_replays();
}

#[test]
fn a_lot_opening_with_everyone_on_auto_pass_closes_at_once() {
    let mut h = Harness::begun(|_| {});
    for who in ["ann", "bob"] {
        h.run(Command::SetAutoPass {
            by: user(who),
            manager: user(who),
            on: true,
        })
        .unwrap();
    }
    let events = h
        .run(Command::SetAutoPass {
            by: user("comm"),
            manager: user("cat"),
            on: true,
        })
        .unwrap();
    assert_eq!(kinds(&events), ["auto_pass_changed", "lot_unsold"]);
    let events = h.tick(secs(3));
    assert_eq!(kinds(&events), ["lot_opened", "lot_unsold"]);
    h.assert_replays();
}

// ---------------------------------------------------------------- idempotency

#[test]
fn a_repeated_key_returns_the_original_receipt_and_never_a_second_bid() {
    let mut h = Harness::begun(|_| {});
    let bid = Command::PlaceBid {
        by: user("ann"),
        lot: LotNumber(1),
        amount: m(5),
        key: key("tap-1"),
    };
    let at = h.now;
    h.run(bid.clone()).unwrap();
    h.wait(secs(2));
    h.bid("bob", m(6)).unwrap();
    let receipt = BidReceipt {
        lot: LotNumber(1),
        amount: m(5),
        at,
        by_proxy: false,
    };
    assert_eq!(h.decide(&bid).unwrap(), Decision::Duplicate(receipt));
    // Even after the lot has closed.
    h.run_out_clock();
    assert_eq!(h.decide(&bid).unwrap(), Decision::Duplicate(receipt));
    assert_eq!(h.auction.results().history.len(), 2);
    // The same key from another manager is a different request.
    let other = Command::PlaceBid {
        by: user("cat"),
        lot: LotNumber(1),
        amount: m(5),
        key: key("tap-1"),
    };
    assert_eq!(
        h.decide(&other).unwrap_err(),
        Refusal::BetweenLots {
            next_lot_at: h.now.plus(secs(3))
        }
    );
    h.assert_replays();
}

#[test]
fn a_refused_key_is_not_consumed() {
    let mut h = Harness::begun(|_| {});
    h.bid("ann", m(5)).unwrap();
    let low = Command::PlaceBid {
        by: user("bob"),
        lot: LotNumber(1),
        amount: m(5),
        key: key("b1"),
    };
    assert!(h.run(low).is_err());
    let retry = Command::PlaceBid {
        by: user("bob"),
        lot: LotNumber(1),
        amount: m(6),
        key: key("b1"),
    };
    assert_eq!(kinds(&h.run(retry.clone()).unwrap()), ["bid_accepted"]);
    assert!(matches!(h.decide(&retry).unwrap(), Decision::Duplicate(_)));
    h.assert_replays();
}

#[test]
fn a_repeated_proxy_key_returns_its_receipt() {
    let mut h = Harness::begun(|_| {});
    let proxy = Command::SetProxy {
        by: user("ann"),
        lot: LotNumber(1),
        max: m(20),
        key: key("p1"),
    };
    let at = h.now;
    h.run(proxy.clone()).unwrap();
    assert_eq!(
        h.decide(&proxy).unwrap(),
        Decision::Duplicate(BidReceipt {
            lot: LotNumber(1),
            amount: m(20),
            at,
            by_proxy: true
        })
    );
    let as_bid = Command::PlaceBid {
        by: user("ann"),
        lot: LotNumber(1),
        amount: m(20),
        key: key("p1"),
    };
    assert_eq!(h.decide(&as_bid).unwrap_err(), Refusal::KeyReused);
}

// ---------------------------------------------------------------- proxies

#[test]
fn a_lone_proxy_opens_at_the_opening_bid() {
    let mut h = Harness::begun(|_| {});
    let events = h.proxy("ann", m(20)).unwrap();
    assert_eq!(kinds(&events), ["proxy_set", "bid_accepted"]);
    assert_eq!(bid_amounts(&events), vec![("ann".into(), m(1), true)]);
    assert!(events[0].is_private_to() == Some(&user("ann")));
    assert_eq!(
        h.auction.private_view(&user("ann")).unwrap().proxy_max,
        Some(m(20))
    );
    assert_eq!(
        h.auction.private_view(&user("bob")).unwrap().proxy_max,
        None
    );
    h.assert_replays();
}

#[test]
fn a_proxy_answers_manual_bids_up_to_its_maximum() {
    let mut h = Harness::begun(|_| {});
    h.proxy("ann", m(10)).unwrap();
    let events = h.bid("bob", m(5)).unwrap();
    assert_eq!(
        bid_amounts(&events),
        vec![("bob".into(), m(5), false), ("ann".into(), m(6), true)]
    );
    let events = h.bid("bob", m(10)).unwrap();
    assert_eq!(
        bid_amounts(&events),
        vec![("bob".into(), m(10), false)],
        "a proxy only answers with a valid bid"
    );
    assert_eq!(h.lot_view().leader, Some(user("bob")));
    h.assert_replays();
}

#[test]
fn two_proxies_settle_at_the_second_maximum_plus_one_increment() {
    let mut h = Harness::begun(|_| {});
    h.proxy("ann", m(30)).unwrap();
    let events = h.proxy("bob", m(18)).unwrap();
    assert_eq!(
        bid_amounts(&events),
        vec![("bob".into(), m(18), true), ("ann".into(), m(19), true)]
    );
    // A higher proxy takes over at ann's maximum plus one increment.
    // A higher proxy takes over at ann's maximum plus one increment (ann leads, so she is not shown
    // bidding against herself).
    let events = h.proxy("cat", m(45)).unwrap();
    assert_eq!(bid_amounts(&events), vec![("cat".into(), m(31), true)]);
    h.assert_replays();
}

#[test]
fn equal_maximums_go_to_the_earlier_one_at_that_maximum() {
    let mut h = Harness::begun(|_| {});
    h.proxy("ann", m(20)).unwrap();
    let events = h.proxy("bob", m(20)).unwrap();
    assert_eq!(
        bid_amounts(&events),
        vec![("bob".into(), m(19), true), ("ann".into(), m(20), true)]
    );
    assert_eq!(h.lot_view().leader, Some(user("ann")));
    h.assert_replays();
}

#[test]
fn a_challenger_within_one_increment_wins_at_its_own_maximum() {
    let mut h = Harness::begun(|s| s.increment = IncrementRule::Flat(m(2)));
    h.bid("cat", m(5)).unwrap();
    let events = h.proxy("ann", m(20)).unwrap();
    assert_eq!(bid_amounts(&events), vec![("ann".into(), m(7), true)]);
    // bob's £21m beats ann's £20m by less than the £2m increment: bob takes it at his own maximum.
    let events = h.proxy("bob", m(21)).unwrap();
    assert_eq!(bid_amounts(&events), vec![("bob".into(), m(21), true)]);
    h.assert_replays();
}

#[test]
fn a_winner_within_one_increment_answers_at_its_own_maximum() {
    let mut h = Harness::begun(|s| s.increment = IncrementRule::Flat(m(2)));
    h.proxy("ann", m(21)).unwrap();
    // bob's £20m loses to ann's £21m: bob is shown at his maximum, and ann answers with hers, even
    // though £21m is less than the £2m increment above £20m (a proxy's own maximum only has to beat
    // the price).
    let events = h.proxy("bob", m(20)).unwrap();
    assert_eq!(
        bid_amounts(&events),
        vec![("bob".into(), m(20), true), ("ann".into(), m(21), true)]
    );
    // Manual bids still need the full increment.
    assert_eq!(
        h.bid("cat", m(22)).unwrap_err(),
        Refusal::BelowMinimumNext {
            amount: m(22),
            min_next: m(23)
        }
    );
    h.assert_replays();
}

#[test]
fn equal_maximums_at_the_next_valid_bid_leave_the_leader_in_place() {
    let mut h = Harness::begun(|_| {});
    h.bid("cat", m(5)).unwrap();
    h.proxy("cat", m(6)).unwrap();
    // bob's £6m ties cat's earlier £6m at exactly the next valid bid: there is no valid bid bob
    // could be shown at that cat could beat, so cat keeps the lot at £5m.
    let events = h.proxy("bob", m(6)).unwrap();
    assert_eq!(kinds(&events), ["proxy_set"]);
    assert_eq!(
        (h.lot_view().leader, h.lot_view().price),
        (Some(user("cat")), Some(m(5)))
    );
    h.assert_replays();
}

#[test]
fn the_leader_raising_their_own_maximum_is_private() {
    let mut h = Harness::begun(|_| {});
    h.bid("ann", m(5)).unwrap();
    let events = h.proxy("ann", m(25)).unwrap();
    assert_eq!(kinds(&events), ["proxy_set"]);
    assert_eq!(h.lot_view().price, Some(m(5)));
    let events = h.bid("bob", m(12)).unwrap();
    assert_eq!(
        bid_amounts(&events),
        vec![("bob".into(), m(12), false), ("ann".into(), m(13), true)]
    );
    h.assert_replays();
}

#[test]
fn a_leader_raising_its_maximum_never_outbids_itself() {
    let mut h = Harness::begun(|s| s.increment = IncrementRule::Flat(m(5)));
    h.proxy("cat", m(49)).unwrap();
    let events = h.proxy("bob", m(50)).unwrap();
    // bob wins at his own maximum (less than an increment above cat's £49m).
    assert_eq!(bid_amounts(&events), vec![("bob".into(), m(50), true)]);
    let events = h.proxy("bob", m(51)).unwrap();
    assert_eq!(kinds(&events), ["proxy_set"], "the price stays at £50m");
    assert_eq!(h.lot_view().price, Some(m(50)));
    // A rival still has to beat £50m by the full increment; £55m is beyond bob's £51m.
    assert_eq!(
        h.bid("ann", m(54)).unwrap_err(),
        Refusal::BelowMinimumNext {
            amount: m(54),
            min_next: m(55)
        }
    );
    let events = h.bid("ann", m(55)).unwrap();
    assert_eq!(bid_amounts(&events), vec![("ann".into(), m(55), false)]);
    h.assert_replays();
}

#[test]
fn passing_withdraws_a_proxy() {
    let mut h = Harness::begun(|_| {});
    h.bid("ann", m(5)).unwrap();
    h.proxy("ann", m(25)).unwrap();
    h.bid("bob", m(8)).unwrap();
    assert_eq!(h.lot_view().leader, Some(user("ann")));
    // bob sets a proxy, loses, then passes: his proxy is gone.
    h.proxy("bob", m(12)).unwrap();
    h.pass("bob").unwrap();
    assert_eq!(
        h.auction.private_view(&user("bob")).unwrap(),
        PrivateView {
            proxy_max: None,
            passed: true
        }
    );
    h.assert_replays();
}

#[test]
fn a_proxy_bump_in_the_window_resets_the_clock_once() {
    let mut h = Harness::begun(|_| {});
    h.proxy("ann", m(30)).unwrap();
    h.wait(secs(27));
    let events = h.bid("bob", m(10)).unwrap();
    let deadlines: Vec<Timestamp> = events
        .iter()
        .filter_map(|event| match event {
            Event::BidAccepted { deadline, .. } => Some(*deadline),
            _ => None,
        })
        .collect();
    assert_eq!(deadlines, vec![h.now.plus(secs(10)), h.now.plus(secs(10))]);
    h.assert_replays();
}

#[test]
fn proxies_work_with_tiered_increments() {
    let mut h = Harness::begun(|s| {
        s.budget = Money::crore(100);
        s.min_opening_bid = Money::lakh(20);
        s.increment = IncrementRule::ipl();
    });
    h.proxy("ann", Money::crore(3)).unwrap();
    let events = h.proxy("bob", Money::lakh(150)).unwrap();
    assert_eq!(
        bid_amounts(&events),
        vec![
            ("bob".into(), Money::lakh(150), true),
            ("ann".into(), Money::lakh(160), true)
        ],
        "+10 lakh between 1 and 2 crore"
    );
    h.assert_replays();
}

// ---------------------------------------------------------------- rotation

fn rotation_harness() -> Harness {
    Harness::begun(|s| {
        s.nomination = NominationMode::Rotation {
            nomination_clock: secs(20),
        }
    })
}

fn current_nominator(h: &Harness) -> UserId {
    match h.phase() {
        PhaseView::Nominating { nominator, .. } => nominator,
        other => panic!("not nominating: {other:?}"),
    }
}

#[test]
fn rotation_nominators_open_lots_leading_at_their_opening_bid_in_turn() {
    let mut h = rotation_harness();
    let Event::AuctionBegan {
        nominators, order, ..
    } = &h.log[1]
    else {
        panic!()
    };
    let (turns, order) = (nominators.clone(), order.clone());
    assert_eq!(order.len(), 5);
    let mut seen = Vec::new();
    for (round, expected) in turns.iter().enumerate() {
        let who = current_nominator(&h);
        assert_eq!(&who, expected);
        seen.push(who.clone());
        let asset = asset(&format!("a{}", 5 - round));
        let events = h
            .run(Command::Nominate {
                by: who.clone(),
                asset,
                opening_bid: Some(m(2)),
            })
            .unwrap();
        assert_eq!(kinds(&events), ["lot_opened", "bid_accepted"]);
        assert_eq!(h.lot_view().leader, Some(who));
        assert_eq!(h.lot_view().nominated_by, Some(expected.clone()));
        h.run_out_clock();
        h.run_out_clock();
    }
    assert_eq!(seen, turns, "everyone nominated once, in the drawn order");
    h.assert_replays();
}

#[test]
fn rotation_auto_nominates_in_setup_order_when_the_turn_times_out() {
    let mut h = rotation_harness();
    let deadline = match h.phase() {
        PhaseView::Nominating { deadline, .. } => deadline,
        _ => unreachable!(),
    };
    h.wait(secs(25));
    let events = h.advance();
    assert_eq!(kinds(&events), ["lot_opened"]);
    let Event::LotOpened {
        asset: offered,
        nominated_by,
        at,
        ..
    } = &events[0]
    else {
        panic!()
    };
    assert_eq!((offered.as_str(), nominated_by, *at), ("a1", &None, h.now));
    assert!(h.now > deadline);
    assert_eq!(
        h.lot_view().leader,
        None,
        "nobody is forced to buy an auto-nomination"
    );
    h.assert_replays();
}

#[test]
fn rotation_skips_managers_on_auto_pass_or_with_full_rosters() {
    let mut h = Harness::from_setup(setup_with(
        LeagueSettings {
            nomination: NominationMode::Rotation {
                nomination_clock: secs(20),
            },
            roster_slots: 1,
            ..fixed_settings()
        },
        &["ann", "bob", "cat"],
        6,
    ));
    h.run(Command::Begin {
        by: user("comm"),
        seed: 9,
    })
    .unwrap();
    let first = current_nominator(&h);
    h.run(Command::Nominate {
        by: first.clone(),
        asset: asset("a1"),
        opening_bid: None,
    })
    .unwrap();
    h.run_out_clock();
    h.run_out_clock();
    let second = current_nominator(&h);
    assert_ne!(second, first, "a full roster never nominates");
    h.run(Command::SetAutoPass {
        by: second.clone(),
        manager: second.clone(),
        on: true,
    })
    .unwrap();
    // The nomination already open runs out; the next turn skips both.
    h.wait(secs(20));
    h.advance();
    h.run_out_clock();
    h.run_out_clock();
    let third = current_nominator(&h);
    assert!(third != first && third != second);
    h.assert_replays();
}

#[test]
fn rotation_offers_unsold_assets_only_after_every_first_offer() {
    let mut h = Harness::from_setup(setup_with(
        LeagueSettings {
            nomination: NominationMode::Rotation {
                nomination_clock: secs(20),
            },
            ..fixed_settings()
        },
        &["ann", "bob"],
        2,
    ));
    h.run(Command::Begin {
        by: user("comm"),
        seed: 5,
    })
    .unwrap();
    // Auto-nominated a1 goes unsold; a2 is still a first offer, so a1 cannot be nominated yet.
    h.run_out_clock();
    h.run_out_clock();
    h.run_out_clock();
    let who = current_nominator(&h);
    let early = Command::Nominate {
        by: who.clone(),
        asset: asset("a1"),
        opening_bid: None,
    };
    assert_eq!(
        h.decide(&early).unwrap_err(),
        Refusal::AssetNotAvailable { asset: asset("a1") }
    );
    h.run(Command::Nominate {
        by: who,
        asset: asset("a2"),
        opening_bid: None,
    })
    .unwrap();
    h.run_out_clock();
    h.run_out_clock();
    let who = current_nominator(&h);
    let events = h
        .run(Command::Nominate {
            by: who,
            asset: asset("a1"),
            opening_bid: None,
        })
        .unwrap();
    let Event::LotOpened { offer, .. } = &events[0] else {
        panic!()
    };
    assert_eq!(*offer, 2);
    h.assert_replays();
}

// ---------------------------------------------------------------- random order

#[test]
fn random_order_is_drawn_once_from_the_seed_and_recorded() {
    let order_for = |seed: u64| {
        let mut h = Harness::new(|s| s.nomination = NominationMode::RandomOrder);
        let events = h
            .run(Command::Begin {
                by: user("comm"),
                seed,
            })
            .unwrap();
        match &events[0] {
            Event::AuctionBegan { order, .. } => order.clone(),
            other => panic!("{other:?}"),
        }
    };
    let first = order_for(11);
    assert_eq!(first, order_for(11), "same seed, same order");
    let mut sorted = first.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        (1..=5).map(|i| asset(&format!("a{i}"))).collect::<Vec<_>>(),
        "a permutation"
    );
    let distinct: std::collections::HashSet<Vec<AssetId>> = (0..20).map(order_for).collect();
    assert!(distinct.len() > 10, "seeds give different orders");
}

// ---------------------------------------------------------------- recovery after takeover

#[test]
fn recover_gives_back_the_time_the_lot_had_when_the_owner_died() {
    let mut h = Harness::begun(|_| {});
    let deadline = h.deadline();
    let alive_until = h.now.plus(secs(10)); // 20 s left when the owner was last seen
    h.wait(secs(25)); // the new owner takes over 15 s later
    let events = h
        .run(Command::Recover {
            alive_until,
            min_remaining: secs(5),
        })
        .unwrap();
    assert_eq!(
        events,
        vec![Event::ClockRestored {
            deadline: h.now.plus(secs(20)),
            remaining: secs(20),
            at: h.now
        }]
    );
    assert!(h.deadline() > deadline);
    h.assert_replays();
}

#[test]
fn recover_cases() {
    // (seconds after begin the owner was last alive, seconds after begin of the takeover,
    //  min_remaining, expected seconds left after recover; None = nothing to restore)
    let cases: [(u64, u64, u64, Option<u64>); 5] = [
        (10, 25, 5, Some(20)),
        (28, 40, 5, Some(5)), // 2 s left, raised to the 5 s minimum
        (30, 40, 5, None),    // the deadline had passed while the owner lived: advance closes it
        (31, 40, 5, None),
        (5, 6, 1, Some(25)), // the second between last sign of life and takeover is given back
    ];
    for (alive, takeover, min, expected) in cases {
        let mut h = Harness::begun(|_| {});
        let begun = h.now;
        h.wait(secs(takeover));
        let command = Command::Recover {
            alive_until: begun.plus(secs(alive)),
            min_remaining: secs(min),
        };
        let events = h.run(command).unwrap();
        match expected {
            Some(left) => assert_eq!(
                h.deadline(),
                h.now.plus(secs(left)),
                "case {alive}/{takeover}"
            ),
            None => assert_eq!(events, vec![], "case {alive}/{takeover}"),
        }
    }
    // Paused auctions are untouched.
    let mut h = Harness::begun(|_| {});
    h.run(Command::Pause { by: user("comm") }).unwrap();
    h.wait(secs(100));
    assert_eq!(
        h.run(Command::Recover {
            alive_until: h.now,
            min_remaining: secs(5)
        })
        .unwrap(),
        vec![]
    );
}

// ---------------------------------------------------------------- time

#[test]
fn time_never_runs_backwards() {
    let mut h = Harness::begun(|_| {});
    h.wait(secs(5));
    h.bid("ann", m(2)).unwrap();
    let last = h.now;
    h.now = T0; // a clock that jumped back
    let events = h.bid("bob", m(3)).unwrap();
    assert_eq!(events[0].at(), last, "decided at the latest event's time");
    h.assert_replays();
}

#[test]
fn views_describe_the_auction() {
    let mut h = Harness::begun(|s| s.budget = m(50));
    h.bid("ann", m(10)).unwrap();
    h.bid("bob", m(12)).unwrap();
    let view = h.auction.view();
    assert_eq!(view.phase, PhaseView::LotOpen);
    assert_eq!(view.lots_opened, 1);
    assert_eq!(
        view.upcoming,
        vec![asset("a2"), asset("a3"), asset("a4"), asset("a5")]
    );
    let lot = view.lot.clone().unwrap();
    assert_eq!(
        lot.bids.iter().map(|bid| bid.amount).collect::<Vec<_>>(),
        vec![m(10), m(12)]
    );
    assert_eq!(lot.min_next_bid, m(13));
    let ann = &view.managers[0];
    assert_eq!(
        (ann.max_bid, ann.max_bid_reason),
        (
            m(48),
            MaxBidReason {
                reserve_per_slot: m(1),
                other_empty_slots: 2
            }
        )
    );
    assert!(ann.can_bid && ann.can_buy);
    assert!(!view.managers[1].can_bid, "bob leads");
    h.run_out_clock();
    let view = h.auction.view();
    assert_eq!(
        view.sold,
        vec![SoldEntry {
            lot: LotNumber(1),
            asset: asset("a1"),
            buyer: user("bob"),
            price: m(12),
            at: h.now
        }]
    );
    assert!(view.lot.is_none());
    let bob = &view.managers[1];
    assert_eq!(
        (bob.spent, bob.remaining, bob.slots_left, bob.max_bid),
        (m(12), m(38), 2, m(37))
    );
    let json = serde_json::to_value(&view).unwrap();
    assert_eq!(json["phase"]["state"], "between_lots");
    let results = h.auction.results();
    assert_eq!(
        results
            .history
            .iter()
            .map(|row| row.outcome)
            .collect::<Vec<_>>(),
        vec![BidOutcome::Outbid, BidOutcome::Won]
    );
    h.assert_replays();
}

// ---------------------------------------------------------------- RULES.md worked examples

/// RULES.md §5, first two rows and the last-slot row.
#[test]
fn rules_md_max_bid_example() {
    let h = Harness::begun(|s| s.budget = m(50));
    assert_eq!(h.manager("ann").max_bid, m(48));
    let mut h = Harness::begun(|s| s.budget = m(150));
    h.bid("ann", m(100)).unwrap();
    h.run_out_clock();
    h.run_out_clock();
    assert_eq!(h.manager("ann").max_bid, m(49));
    h.bid("ann", m(30)).unwrap();
    h.run_out_clock();
    assert_eq!(
        (h.manager("ann").remaining, h.manager("ann").max_bid),
        (m(20), m(20))
    );
}

/// RULES.md §7: bids at 15 s, 20 s, 27 s and 36.5 s after the lot opened.
#[test]
fn rules_md_anti_snipe_example() {
    let mut h = Harness::begun(|_| {});
    let opened = h.now;
    let at = |ms: u64| opened.plus(DurationMs(ms));
    let steps = [
        ("ann", 15_000, 30_000),
        ("bob", 20_000, 30_000),
        ("ann", 27_000, 37_000),
        ("bob", 36_500, 46_500),
    ];
    for (round, (who, bid_at, deadline)) in steps.into_iter().enumerate() {
        h.now = at(bid_at);
        h.bid(who, m(2 + round as u64)).unwrap();
        assert_eq!(h.deadline(), at(deadline), "bid at {bid_at} ms");
    }
    h.now = at(46_500);
    assert_eq!(
        h.bid("ann", m(9)).unwrap_err(),
        Refusal::LotClosed { lot: LotNumber(1) }
    );
    let events = h.advance();
    assert_eq!(
        events[0],
        Event::LotSold {
            lot: LotNumber(1),
            asset: asset("a1"),
            buyer: user("bob"),
            price: m(5),
            at: at(46_500)
        }
    );
}

/// RULES.md §8 worked example.
#[test]
fn rules_md_proxy_example() {
    let mut h = Harness::begun(|_| {});
    assert_eq!(
        bid_amounts(&h.proxy("ann", m(30)).unwrap()),
        vec![("ann".into(), m(1), true)]
    );
    assert_eq!(
        bid_amounts(&h.bid("bob", m(10)).unwrap()),
        vec![("bob".into(), m(10), false), ("ann".into(), m(11), true)]
    );
    assert_eq!(
        bid_amounts(&h.proxy("bob", m(18)).unwrap()),
        vec![("bob".into(), m(18), true), ("ann".into(), m(19), true)]
    );
    assert_eq!(
        bid_amounts(&h.proxy("cat", m(45)).unwrap()),
        vec![("cat".into(), m(31), true)]
    );
    assert_eq!(
        (h.lot_view().leader, h.lot_view().price),
        (Some(user("cat")), Some(m(31)))
    );
    h.assert_replays();
}
