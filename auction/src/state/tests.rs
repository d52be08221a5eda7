//! Unit tests of what the public API cannot reach: defensive rules that a valid setup never
//! triggers, the fold's refusal of events that do not fit, and the seeded shuffle.

use super::*;
use crate::event::EndReason;
use crate::ids::AuctionId;
use crate::money::Money;
use crate::settings::NominationMode;
use crate::setup::{Asset, Manager};
use crate::time::DurationMs;

fn id(name: &str) -> UserId {
    UserId::try_new(name).unwrap()
}

fn setup(managers: &[&str], assets: usize) -> AuctionSetup {
    AuctionSetup {
        auction_id: AuctionId::try_new("unit").unwrap(),
        league_name: "Unit".into(),
        settings: LeagueSettings {
            nomination: NominationMode::FixedOrder,
            ..LeagueSettings::default()
        },
        commissioner: id("comm"),
        managers: managers
            .iter()
            .map(|name| Manager {
                id: id(name),
                name: (*name).into(),
            })
            .collect(),
        assets: (1..=assets)
            .map(|index| Asset {
                id: AssetId::try_new(format!("a{index}")).unwrap(),
                name: format!("A{index}"),
                group: None,
            })
            .collect(),
        keepers: vec![],
    }
}

fn begun() -> Auction {
    let (mut auction, _) = Auction::create(setup(&["ann", "bob"], 3), Timestamp(0)).unwrap();
    auction
        .execute(
            &Command::Begin {
                by: id("comm"),
                seed: 1,
            },
            Timestamp(0),
        )
        .unwrap();
    auction
}

#[test]
fn nobody_can_afford_ends_the_auction() {
    // Unreachable from a valid setup (the reserve rule always keeps the opening bid for every empty
    // slot), so the state is forced here to check the defensive rule.
    let mut auction = begun();
    for wallet in &mut auction.core.wallets {
        wallet.spent = Money(499_500_000);
    }
    assert_eq!(
        auction.core.end_reason(&auction.book),
        Some(EndReason::NobodyCanAfford)
    );
    let events = auction.advance(Timestamp(30_000));
    assert_eq!(
        events.iter().map(Event::kind).collect::<Vec<_>>(),
        ["lot_unsold", "auction_ended"]
    );
    assert!(matches!(
        events[1],
        Event::AuctionEnded {
            reason: EndReason::NobodyCanAfford,
            ..
        }
    ));
}

#[test]
fn begin_refuses_fewer_managers_than_the_minimum() {
    // A setup with too few managers is refused at creation; Begin checks again in case settings and
    // managers ever come from different sources.
    let (mut auction, _) = Auction::create(setup(&["ann", "bob"], 3), Timestamp(0)).unwrap();
    auction.book.setup.settings.min_managers = 3;
    let refusal = auction
        .decide(
            &Command::Begin {
                by: id("comm"),
                seed: 1,
            },
            Timestamp(0),
        )
        .unwrap_err();
    assert_eq!(refusal, Refusal::TooFewManagers { have: 2, need: 3 });
    assert_eq!(
        refusal.to_string(),
        "At least 3 managers are needed to begin (there are 2)"
    );
}

#[test]
fn events_that_do_not_fit_are_refused_and_change_nothing() {
    let mut auction = begun();
    let before = auction.view();
    let seq = auction.events_applied();
    let stranger = id("zed");
    let cases: Vec<(Event, &str)> = vec![
        (
            Event::AuctionCreated {
                setup: auction.setup().clone(),
                at: Timestamp(1),
            },
            "auction_created may only be the first event",
        ),
        (
            Event::BidAccepted {
                lot: LotNumber(1),
                bidder: stranger.clone(),
                amount: Money::millions(5),
                key: None,
                by_proxy: false,
                deadline: Timestamp(30_000),
                at: Timestamp(1),
            },
            "zed is not a manager of this auction",
        ),
        (
            Event::BidAccepted {
                lot: LotNumber(2),
                bidder: id("ann"),
                amount: Money::millions(5),
                key: None,
                by_proxy: false,
                deadline: Timestamp(30_000),
                at: Timestamp(1),
            },
            "bid_accepted does not fit the auction's state: the bid is not for the open lot",
        ),
        (
            Event::LotSold {
                lot: LotNumber(1),
                asset: AssetId::try_new("a1").unwrap(),
                buyer: id("ann"),
                price: Money::millions(501),
                at: Timestamp(1),
            },
            "lot_sold does not fit the auction's state: the buyer cannot afford the price or has no free slot",
        ),
        (
            Event::LotUnsold {
                lot: LotNumber(1),
                asset: AssetId::try_new("a9").unwrap(),
                will_reoffer: true,
                at: Timestamp(1),
            },
            "a9 is not in this auction's pool",
        ),
        (
            Event::Resumed {
                by: id("comm"),
                deadline: Timestamp(5),
                at: Timestamp(1),
            },
            "resumed does not fit the auction's state: only a paused clock can be resumed",
        ),
        (
            Event::SaleUndone {
                lot: LotNumber(1),
                asset: AssetId::try_new("a1").unwrap(),
                buyer: id("ann"),
                price: Money::millions(1),
                by: id("comm"),
                at: Timestamp(1),
            },
            "sale_undone does not fit the auction's state: there is no sale to undo",
        ),
        (
            Event::AuctionBegan {
                by: id("comm"),
                order: vec![],
                nominators: vec![],
                at: Timestamp(1),
            },
            "auction_began does not fit the auction's state: the auction is not in the waiting room",
        ),
    ];
    for (event, message) in cases {
        let error = auction.try_apply(&event).unwrap_err();
        assert_eq!(error.to_string(), message);
        auction.apply(&event);
        assert_eq!(auction.view(), before, "{message}");
        assert_eq!(auction.events_applied(), seq);
    }
}

#[test]
fn replay_errors_are_explained() {
    assert_eq!(
        Auction::replay(std::iter::empty()).unwrap_err(),
        ReplayError::Empty
    );
    let paused = Event::Paused {
        by: id("comm"),
        remaining: DurationMs(5),
        at: Timestamp(0),
    };
    assert_eq!(
        Auction::replay([&paused]).unwrap_err().to_string(),
        "the first event must be auction_created (got paused)"
    );
    let mut bad = setup(&["ann", "bob"], 3);
    bad.settings.roster_slots = 0;
    let created = Event::AuctionCreated {
        setup: bad,
        at: Timestamp(0),
    };
    assert!(matches!(
        Auction::replay([&created]).unwrap_err(),
        ReplayError::InvalidSetup(_)
    ));
    let (_, created) = Auction::create(setup(&["ann", "bob"], 3), Timestamp(0)).unwrap();
    let error = Auction::replay([&created, &paused]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "event 1 does not fit: paused does not fit the auction's state: only a running clock can be paused"
    );
}

#[test]
fn the_seeded_shuffle_is_stable_and_covers_every_position() {
    // The drawn order is recorded, so stability only matters for tests; still, pin it so a change to
    // the draw is a conscious one.
    let mut items: Vec<u32> = (0..10).collect();
    shuffle_for_test(&mut items, 42);
    let mut again: Vec<u32> = (0..10).collect();
    shuffle_for_test(&mut again, 42);
    assert_eq!(items, again);
    let mut sorted = items.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..10).collect::<Vec<_>>());
    // Over many seeds every item lands in every position.
    let mut seen = [[false; 5]; 5];
    for seed in 0..500 {
        let mut five: Vec<usize> = (0..5).collect();
        shuffle_for_test(&mut five, seed);
        for (position, item) in five.into_iter().enumerate() {
            seen[item][position] = true;
        }
    }
    assert!(seen.iter().flatten().all(|&hit| hit));
}

fn shuffle_for_test<T>(items: &mut [T], seed: u64) {
    use rand_chacha::ChaCha8Rng;
    use rand_chacha::rand_core::SeedableRng;
    decide::shuffle(items, &mut ChaCha8Rng::seed_from_u64(seed));
}

#[test]
fn decide_never_mutates() {
    let auction = begun();
    let before = (auction.view(), auction.results(), auction.events_applied());
    let bid = Command::PlaceBid {
        by: id("ann"),
        lot: LotNumber(1),
        amount: Money::millions(498),
        key: IdempotencyKey::try_new("k").unwrap(),
    };
    let decision = auction.decide(&bid, Timestamp(10)).unwrap();
    assert!(
        matches!(decision, Decision::Apply(ref events) if events.len() == 2),
        "{decision:?}"
    );
    assert_eq!(
        (auction.view(), auction.results(), auction.events_applied()),
        before
    );
}
