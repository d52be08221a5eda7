//! Test harness: a small league (commissioner `comm`, managers `ann`, `bob`, `cat`, assets `a1`..)
//! driven with explicit time, keeping the event log so every test can check replay.

#![allow(dead_code)]

use auction::*;

pub const T0: Timestamp = Timestamp(1_700_000_000_000);

pub fn user(name: &str) -> UserId {
    UserId::try_new(name).expect("valid user id")
}

pub fn asset(name: &str) -> AssetId {
    AssetId::try_new(name).expect("valid asset id")
}

pub fn key(name: &str) -> IdempotencyKey {
    IdempotencyKey::try_new(name).expect("valid key")
}

pub fn m(millions: u64) -> Money {
    Money::millions(millions)
}

pub fn secs(n: u64) -> DurationMs {
    DurationMs::from_secs(n)
}

/// Default test settings: the pilot's, but lots in setup order so tests know what is offered.
pub fn fixed_settings() -> LeagueSettings {
    LeagueSettings {
        nomination: NominationMode::FixedOrder,
        ..LeagueSettings::default()
    }
}

pub fn setup_with(settings: LeagueSettings, managers: &[&str], assets: usize) -> AuctionSetup {
    AuctionSetup {
        auction_id: AuctionId::try_new("test-auction").expect("valid id"),
        league_name: "Test league".into(),
        settings,
        commissioner: user("comm"),
        managers: managers
            .iter()
            .map(|id| Manager {
                id: user(id),
                name: id.to_uppercase(),
            })
            .collect(),
        assets: (1..=assets)
            .map(|index| Asset {
                id: asset(&format!("a{index}")),
                name: format!("Asset {index}"),
                group: None,
            })
            .collect(),
        keepers: vec![],
    }
}

/// An auction under test with its log and a clock.
pub struct Harness {
    pub auction: Auction,
    pub log: Vec<Event>,
    pub now: Timestamp,
    keys: u32,
}

impl Harness {
    pub fn from_setup(setup: AuctionSetup) -> Harness {
        let (auction, created) = Auction::create(setup, T0).expect("valid setup");
        Harness {
            auction,
            log: vec![created],
            now: T0,
            keys: 0,
        }
    }

    /// Fixed order, managers ann/bob/cat, five assets; `tweak` adjusts the settings.
    pub fn new(tweak: impl FnOnce(&mut LeagueSettings)) -> Harness {
        let mut settings = fixed_settings();
        tweak(&mut settings);
        Harness::from_setup(setup_with(settings, &["ann", "bob", "cat"], 5))
    }

    /// `new` and begun at T0: lot 1 (`a1`) is open with a 30 s clock.
    pub fn begun(tweak: impl FnOnce(&mut LeagueSettings)) -> Harness {
        let mut harness = Harness::new(tweak);
        harness
            .run(Command::Begin {
                by: user("comm"),
                seed: 42,
            })
            .expect("begins");
        harness
    }

    pub fn settings(&self) -> &LeagueSettings {
        self.auction.settings()
    }

    /// Moves the clock forward without processing time-driven events.
    pub fn wait(&mut self, duration: DurationMs) {
        self.now = self.now.plus(duration);
    }

    /// Moves the clock forward and applies what `advance` returns; returns those events.
    pub fn tick(&mut self, duration: DurationMs) -> Vec<Event> {
        self.wait(duration);
        self.advance()
    }

    /// Applies what `advance(now)` returns; checks a second call yields nothing.
    pub fn advance(&mut self) -> Vec<Event> {
        let events = self.auction.advance(self.now);
        self.apply_all(&events);
        assert!(
            self.auction.advance(self.now).is_empty(),
            "advance is idempotent"
        );
        events
    }

    /// Runs the clock until the next deadline and processes it.
    pub fn run_out_clock(&mut self) -> Vec<Event> {
        let deadline = self.auction.next_deadline().expect("a clock is running");
        self.now = self.now.max(deadline);
        self.advance()
    }

    pub fn apply_all(&mut self, events: &[Event]) {
        for event in events {
            self.auction.try_apply(event).expect("decided events fit");
            self.log.push(event.clone());
        }
    }

    /// Decides at `now` and applies; returns the events (empty for a duplicate).
    pub fn run(&mut self, command: Command) -> Result<Vec<Event>, Refusal> {
        match self.auction.decide(&command, self.now)? {
            Decision::Apply(events) => {
                self.apply_all(&events);
                Ok(events)
            }
            Decision::Duplicate(_) => Ok(vec![]),
        }
    }

    pub fn decide(&self, command: &Command) -> Result<Decision, Refusal> {
        self.auction.decide(command, self.now)
    }

    pub fn fresh_key(&mut self) -> IdempotencyKey {
        self.keys += 1;
        key(&format!("k{}", self.keys))
    }

    pub fn lot(&self) -> LotNumber {
        self.auction.current_lot().expect("a lot is open")
    }

    pub fn bid_cmd(&mut self, who: &str, amount: Money) -> Command {
        let lot = self.auction.current_lot().unwrap_or(LotNumber(1));
        Command::PlaceBid {
            by: user(who),
            lot,
            amount,
            key: self.fresh_key(),
        }
    }

    /// Bids on the open lot with a fresh key.
    pub fn bid(&mut self, who: &str, amount: Money) -> Result<Vec<Event>, Refusal> {
        let command = self.bid_cmd(who, amount);
        self.run(command)
    }

    pub fn proxy(&mut self, who: &str, max: Money) -> Result<Vec<Event>, Refusal> {
        let command = Command::SetProxy {
            by: user(who),
            lot: self.lot(),
            max,
            key: self.fresh_key(),
        };
        self.run(command)
    }

    pub fn pass(&mut self, who: &str) -> Result<Vec<Event>, Refusal> {
        let command = Command::Pass {
            by: user(who),
            lot: self.lot(),
        };
        self.run(command)
    }

    pub fn manager(&self, who: &str) -> ManagerView {
        self.auction.manager_view(&user(who)).expect("a manager")
    }

    pub fn lot_view(&self) -> LotView {
        self.auction.lot_view().expect("a lot is open")
    }

    pub fn deadline(&self) -> Timestamp {
        self.lot_view().deadline.expect("the lot clock is running")
    }

    pub fn phase(&self) -> PhaseView {
        self.auction.phase_view()
    }

    /// Replaying the log gives an identical auction.
    pub fn assert_replays(&self) {
        let replayed = Auction::replay(&self.log).expect("log replays");
        assert_eq!(replayed.view(), self.auction.view(), "replayed view");
        assert_eq!(
            replayed.results(),
            self.auction.results(),
            "replayed results"
        );
        assert_eq!(
            replayed.next_deadline(),
            self.auction.next_deadline(),
            "replayed clock"
        );
    }
}

/// The kinds of `events`, for compact assertions.
pub fn kinds(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(Event::kind).collect()
}
