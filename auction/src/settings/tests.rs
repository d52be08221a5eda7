//! Unit tests of `settings`.

use super::*;

#[test]
fn defaults_are_the_pilot_and_valid() {
    let settings = LeagueSettings::default();
    assert_eq!(settings.budget, Money::millions(500));
    assert_eq!(settings.roster_slots, 3);
    assert_eq!((settings.min_managers, settings.max_managers), (2, 8));
    assert_eq!(settings.min_opening_bid, Money::millions(1));
    assert_eq!(settings.increment, IncrementRule::Flat(Money::millions(1)));
    assert_eq!(settings.bid_clock, DurationMs::from_secs(30));
    assert_eq!(settings.anti_snipe, DurationMs::from_secs(10));
    assert_eq!(settings.gap_between_lots, DurationMs::from_secs(3));
    assert_eq!(settings.nomination, NominationMode::RandomOrder);
    assert_eq!(settings.reoffer_rounds, 1);
    assert!(settings.proxy_bidding);
    assert_eq!(settings.validate(), Ok(()));
}

#[test]
fn validation_table() {
    type Tweak = fn(&mut LeagueSettings);
    let cases: Vec<(&str, Tweak, &str)> = vec![
        (
            "budget zero",
            |s| s.budget = Money::ZERO,
            "budget must be between 1 and 1,000,000,000,000,000 (got 0)",
        ),
        (
            "budget too large",
            |s| s.budget = Money(Money::MAX_AMOUNT.0 + 1),
            "budget must be between 1 and 1,000,000,000,000,000 (got 1,000,000,000,000,001)",
        ),
        (
            "slots zero",
            |s| s.roster_slots = 0,
            "roster slots must be between 1 and 40 (got 0)",
        ),
        (
            "slots 41",
            |s| s.roster_slots = 41,
            "roster slots must be between 1 and 40 (got 41)",
        ),
        (
            "min managers 1",
            |s| s.min_managers = 1,
            "minimum managers must be between 2 and 30 (got 1)",
        ),
        (
            "max managers 31",
            |s| s.max_managers = 31,
            "maximum managers must be between 2 and 30 (got 31)",
        ),
        (
            "min above max",
            |s| {
                s.min_managers = 9;
                s.max_managers = 8;
            },
            "minimum managers (9) must not be more than maximum managers (8)",
        ),
        (
            "opening bid zero",
            |s| s.min_opening_bid = Money::ZERO,
            "minimum opening bid must be between 1 and the budget 500,000,000 (got 0)",
        ),
        (
            "budget below roster cost",
            |s| s.budget = Money::millions(2),
            "budget (2,000,000) must cover the minimum opening bid (1,000,000) for each of the 3 roster slots",
        ),
        (
            "flat increment zero",
            |s| s.increment = IncrementRule::Flat(Money::ZERO),
            "bid increment must be between 1 and 1,000,000,000,000,000 (got 0)",
        ),
        (
            "no tiers",
            |s| s.increment = IncrementRule::Tiered(vec![]),
            "a tiered increment needs at least one tier",
        ),
        (
            "tier step zero",
            |s| {
                s.increment = IncrementRule::Tiered(vec![IncrementTier {
                    below: None,
                    step: Money::ZERO,
                }])
            },
            "increment tier 1: step must be between 1 and 1,000,000,000,000,000 (got 0)",
        ),
        (
            "unbounded tier first",
            |s| {
                s.increment = IncrementRule::Tiered(vec![
                    IncrementTier {
                        below: None,
                        step: Money(1),
                    },
                    IncrementTier {
                        below: None,
                        step: Money(2),
                    },
                ])
            },
            "increment tier 1 has no upper bound but is not the last tier",
        ),
        (
            "last tier bounded",
            |s| {
                s.increment = IncrementRule::Tiered(vec![IncrementTier {
                    below: Some(Money(10)),
                    step: Money(1),
                }])
            },
            "the last increment tier must have no upper bound (it covers every higher price)",
        ),
        (
            "bounds not increasing",
            |s| {
                s.increment = IncrementRule::Tiered(vec![
                    IncrementTier {
                        below: Some(Money(10)),
                        step: Money(1),
                    },
                    IncrementTier {
                        below: Some(Money(10)),
                        step: Money(2),
                    },
                    IncrementTier {
                        below: None,
                        step: Money(3),
                    },
                ])
            },
            "increment tier 2: its bound must be higher than the previous tier's",
        ),
        (
            "steps decreasing",
            |s| {
                s.increment = IncrementRule::Tiered(vec![
                    IncrementTier {
                        below: Some(Money(10)),
                        step: Money(2),
                    },
                    IncrementTier {
                        below: None,
                        step: Money(1),
                    },
                ])
            },
            "increment tier 2: step 1 must not be smaller than the previous tier's 2",
        ),
        (
            "tier bound too large",
            |s| {
                s.increment = IncrementRule::Tiered(vec![
                    IncrementTier {
                        below: Some(Money(u64::MAX)),
                        step: Money(2),
                    },
                    IncrementTier {
                        below: None,
                        step: Money(3),
                    },
                ])
            },
            "increment tier 1: bound must be at most 1,000,000,000,000,000 (got 18,446,744,073,709,551,615)",
        ),
        (
            "bid clock 4 s",
            |s| s.bid_clock = DurationMs(4_999),
            "bid clock must be between 5 s and 120 s (got 4.999 s)",
        ),
        (
            "bid clock 121 s",
            |s| s.bid_clock = DurationMs::from_secs(121),
            "bid clock must be between 5 s and 120 s (got 121 s)",
        ),
        (
            "anti-snipe equal to clock",
            |s| s.anti_snipe = DurationMs::from_secs(30),
            "anti-snipe window (30 s) must be shorter than the bid clock (30 s); use 0 s to disable it",
        ),
        (
            "gap 61 s",
            |s| s.gap_between_lots = DurationMs::from_secs(61),
            "gap between lots must be between 0 s and 60 s (got 61 s)",
        ),
        (
            "nomination clock 2 s",
            |s| {
                s.nomination = NominationMode::Rotation {
                    nomination_clock: DurationMs::from_secs(2),
                }
            },
            "nomination clock must be between 5 s and 120 s (got 2 s)",
        ),
        (
            "re-offers 6",
            |s| s.reoffer_rounds = 6,
            "re-offer rounds must be between 0 and 5 (got 6)",
        ),
    ];
    for (name, tweak, message) in cases {
        let mut settings = LeagueSettings::default();
        tweak(&mut settings);
        let error = settings.validate().expect_err(name);
        assert_eq!(error.to_string(), message, "{name}");
    }
}

#[test]
fn edges_of_every_range_are_valid() {
    type Tweak = fn(&mut LeagueSettings);
    let cases: Vec<Tweak> = vec![
        |s| s.roster_slots = 1,
        |s| {
            s.roster_slots = 40;
            s.budget = Money::millions(40);
        },
        |s| {
            s.min_managers = 30;
            s.max_managers = 30;
        },
        |s| {
            s.bid_clock = DurationMs::from_secs(5);
            s.anti_snipe = DurationMs::from_millis(4_999);
        },
        |s| {
            s.bid_clock = DurationMs::from_secs(120);
            s.anti_snipe = DurationMs::from_millis(119_999);
        },
        |s| s.anti_snipe = DurationMs::ZERO,
        |s| s.gap_between_lots = DurationMs::ZERO,
        |s| s.gap_between_lots = DurationMs::from_secs(60),
        |s| s.reoffer_rounds = 0,
        |s| s.reoffer_rounds = 5,
        |s| {
            s.nomination = NominationMode::Rotation {
                nomination_clock: DurationMs::from_secs(5),
            }
        },
        |s| s.increment = IncrementRule::ipl(),
        |s| s.budget = Money::MAX_AMOUNT,
    ];
    for (index, tweak) in cases.into_iter().enumerate() {
        let mut settings = LeagueSettings::default();
        tweak(&mut settings);
        assert_eq!(settings.validate(), Ok(()), "case {index}");
    }
}

#[test]
fn ipl_increment_table() {
    let ipl = IncrementRule::ipl();
    let cases = [
        (Money::lakh(20), Money::lakh(5)),
        (Money::lakh(95), Money::lakh(5)),
        (Money::crore(1), Money::lakh(10)),
        (Money::lakh(190), Money::lakh(10)),
        (Money::crore(2), Money::lakh(20)),
        (Money::lakh(499), Money::lakh(20)),
        (Money::crore(5), Money::lakh(25)),
        (Money::crore(20), Money::lakh(25)),
    ];
    for (price, step) in cases {
        assert_eq!(ipl.step_at(price), step, "at {price}");
        assert_eq!(ipl.min_next(price), price.saturating_add(step));
    }
    assert_eq!(
        IncrementRule::Flat(Money(3)).step_at(Money(1_000)),
        Money(3)
    );
}

#[test]
fn highest_answerable_table() {
    let flat = IncrementRule::Flat(Money(10));
    // Largest b <= cap with b + 10 <= limit.
    assert_eq!(
        flat.highest_answerable(Money(100), Money(200)),
        Some(Money(100))
    );
    assert_eq!(
        flat.highest_answerable(Money(100), Money(105)),
        Some(Money(95))
    );
    assert_eq!(flat.highest_answerable(Money(100), Money(9)), None);

    let tiers = IncrementRule::Tiered(vec![
        IncrementTier {
            below: Some(Money(100)),
            step: Money(5),
        },
        IncrementTier {
            below: None,
            step: Money(20),
        },
    ]);
    // In the upper tier b + 20 <= 110 means b <= 90, which is not in that tier; lower tier: b + 5 <= 110
    // gives b <= 105, capped by the tier to 99.
    assert_eq!(
        tiers.highest_answerable(Money(500), Money(110)),
        Some(Money(99))
    );
    assert_eq!(
        tiers.highest_answerable(Money(500), Money(150)),
        Some(Money(130))
    );
    assert_eq!(
        tiers.highest_answerable(Money(50), Money(150)),
        Some(Money(50))
    );
    assert_eq!(tiers.highest_answerable(Money(500), Money(4)), None);
    // Exhaustive check against the definition on a small range.
    for cap in 0..160u64 {
        for limit in 0..200u64 {
            let expected = (0..=cap)
                .rev()
                .find(|b| b + tiers.step_at(Money(*b)).0 <= limit)
                .map(Money);
            assert_eq!(
                tiers.highest_answerable(Money(cap), Money(limit)),
                expected,
                "cap {cap} limit {limit}"
            );
        }
    }
}

#[test]
fn max_bid_keeps_the_reserve() {
    let settings = LeagueSettings::default();
    // The predecessor's tested example: £150m budget, 3 slots, won one lot for £100m:
    // £50m left with 2 empty slots, so the max bid is £49m.
    assert_eq!(
        settings.max_bid(Money::millions(50), 2),
        Money::millions(49)
    );
    assert_eq!(
        settings.max_bid(Money::millions(50), 1),
        Money::millions(50)
    );
    assert_eq!(settings.max_bid(Money::millions(50), 0), Money::ZERO);
    assert_eq!(settings.max_bid(Money::millions(1), 3), Money::ZERO);
}

#[test]
fn settings_serde_round_trip_and_defaults() {
    let settings = LeagueSettings {
        increment: IncrementRule::ipl(),
        nomination: NominationMode::Rotation {
            nomination_clock: DurationMs::from_secs(20),
        },
        ..LeagueSettings::default()
    };
    let json = serde_json::to_string(&settings).unwrap();
    assert!(
        json.contains(r#""nomination":{"mode":"rotation","nomination_clock":20000}"#),
        "{json}"
    );
    let back: LeagueSettings = serde_json::from_str(&json).unwrap();
    assert_eq!(back, settings);
    let partial: LeagueSettings = serde_json::from_str(r#"{"roster_slots": 5}"#).unwrap();
    assert_eq!(partial.roster_slots, 5);
    assert_eq!(partial.budget, Money::millions(500));
}
