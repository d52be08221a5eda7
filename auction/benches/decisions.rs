//! Bid decisions per second on one core: `Auction::decide` on a contended lot (12 managers, a lot
//! with bids and a leader), and `decide` + `apply` for a run of accepted bids.
//!
//! Run: `cargo bench -p auction --bench decisions`. Criterion prints the throughput in
//! elements (decisions) per second; the crate docs quote the figures.

use std::hint::black_box;

use auction::{
    Asset, AssetId, Auction, AuctionId, AuctionSetup, Command, DurationMs, IdempotencyKey,
    LeagueSettings, LotNumber, Manager, Money, NominationMode, Timestamp, UserId,
};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

const MANAGERS: usize = 12;

fn user(index: usize) -> UserId {
    UserId::try_new(format!("manager-{index}")).expect("valid id")
}

fn key(index: usize) -> IdempotencyKey {
    IdempotencyKey::try_new(format!("key-{index}")).expect("valid key")
}

/// A begun auction whose first lot has drawn a few bids; manager 0 leads.
fn contended() -> (Auction, Timestamp) {
    let settings = LeagueSettings {
        nomination: NominationMode::FixedOrder,
        max_managers: MANAGERS as u8,
        roster_slots: 5,
        ..LeagueSettings::default()
    };
    let setup = AuctionSetup {
        auction_id: AuctionId::try_new("bench").expect("valid id"),
        league_name: "Bench league".into(),
        settings,
        commissioner: UserId::try_new("commissioner").expect("valid id"),
        managers: (0..MANAGERS)
            .map(|index| Manager {
                id: user(index),
                name: format!("Manager {index}"),
            })
            .collect(),
        assets: (0..40)
            .map(|index| Asset {
                id: AssetId::try_new(format!("asset-{index}")).expect("valid id"),
                name: format!("Asset {index}"),
                group: None,
            })
            .collect(),
        keepers: vec![],
    };
    let start = Timestamp(1_700_000_000_000);
    let (mut auction, _) = Auction::create(setup, start).expect("valid setup");
    auction
        .execute(
            &Command::Begin {
                by: UserId::try_new("commissioner").expect("valid id"),
                seed: 1,
            },
            start,
        )
        .expect("begins");
    let mut now = start;
    for (step, bidder) in [3usize, 5, 7, 0].into_iter().enumerate() {
        now = now.plus(DurationMs(500));
        let bid = Command::PlaceBid {
            by: user(bidder),
            lot: LotNumber(1),
            amount: Money::millions(10 + step as u64 * 2),
            key: key(10_000 + step),
        };
        auction.execute(&bid, now).expect("setup bid accepted");
    }
    (auction, now.plus(DurationMs(200)))
}

/// A mix as a busy lot sees it: valid raises from every other manager, and the usual refusals.
fn mixed_commands() -> Vec<Command> {
    let mut commands = Vec::new();
    let price = Money::millions(16);
    for index in 1..MANAGERS {
        commands.push(Command::PlaceBid {
            by: user(index),
            lot: LotNumber(1),
            amount: price.saturating_add(Money::millions(1 + index as u64)),
            key: key(index),
        });
    }
    // Too low, already leading, above the max bid, a bid in flight for the previous lot.
    commands.push(Command::PlaceBid {
        by: user(2),
        lot: LotNumber(1),
        amount: price,
        key: key(100),
    });
    commands.push(Command::PlaceBid {
        by: user(0),
        lot: LotNumber(1),
        amount: Money::millions(30),
        key: key(101),
    });
    commands.push(Command::PlaceBid {
        by: user(4),
        lot: LotNumber(1),
        amount: Money::millions(499),
        key: key(102),
    });
    commands.push(Command::PlaceBid {
        by: user(6),
        lot: LotNumber(2),
        amount: Money::millions(20),
        key: key(103),
    });
    commands
}

fn accepted_commands() -> Vec<Command> {
    (1..MANAGERS)
        .map(|index| Command::PlaceBid {
            by: user(index),
            lot: LotNumber(1),
            amount: Money::millions(20 + index as u64),
            key: key(index),
        })
        .collect()
}

fn bench_decide(c: &mut Criterion) {
    let (auction, now) = contended();
    let mut group = c.benchmark_group("decide");

    let mixed = mixed_commands();
    for command in &mixed {
        // Sanity: every command decides (accepted or refused) without panicking.
        let _outcome = auction.decide(command, now);
    }
    group.throughput(Throughput::Elements(mixed.len() as u64));
    group.bench_function("contended_lot_mixed", |b| {
        b.iter(|| {
            for command in &mixed {
                black_box(auction.decide(black_box(command), now)).ok();
            }
        })
    });

    let accepted = accepted_commands();
    assert!(
        accepted
            .iter()
            .all(|command| auction.decide(command, now).is_ok()),
        "all accepted"
    );
    group.throughput(Throughput::Elements(accepted.len() as u64));
    group.bench_function("contended_lot_accepted", |b| {
        b.iter(|| {
            for command in &accepted {
                black_box(auction.decide(black_box(command), now)).ok();
            }
        })
    });

    let refused: Vec<Command> = mixed[MANAGERS - 1..].to_vec();
    assert!(
        refused
            .iter()
            .all(|command| auction.decide(command, now).is_err()),
        "all refused"
    );
    group.throughput(Throughput::Elements(refused.len() as u64));
    group.bench_function("contended_lot_refused", |b| {
        b.iter(|| {
            for command in &refused {
                black_box(auction.decide(black_box(command), now)).ok();
            }
        })
    });
    group.finish();
}

fn bench_execute(c: &mut Criterion) {
    let (auction, now) = contended();
    // 200 alternating raises of £1m from two managers, each decided and applied in turn.
    let run: Vec<Command> = (0..200)
        .map(|step| Command::PlaceBid {
            by: user(1 + step % 2),
            lot: LotNumber(1),
            amount: Money::millions(17 + step as u64),
            key: key(20_000 + step),
        })
        .collect();
    let mut group = c.benchmark_group("decide_and_apply");
    group.throughput(Throughput::Elements(run.len() as u64));
    group.bench_function("bidding_war", |b| {
        b.iter_batched(
            || auction.clone(),
            |mut auction| {
                for command in &run {
                    auction.execute(command, now).expect("raise accepted");
                }
                auction
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench_decide, bench_execute);
criterion_main!(benches);
