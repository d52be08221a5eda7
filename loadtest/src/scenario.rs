//! Named scenarios: who connects, how they bid, for how long, and what the deployment allows.
//!
//! One auction holds at most 30 managers (`auction::settings::MANAGERS`, RULES.md §2). Scenarios
//! named after a number of bidders "on one auction" in the issue (target 150, stress 200) therefore
//! put their managers in as few auctions as the rules allow (30 per auction, evenly spread), all on
//! one node behind one gateway. `docs/LOADTEST.md` lists every scenario.

use serde::Serialize;

/// What a scenario measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Managers (and spectators) bid and watch for a fixed duration.
    Load,
    /// Step the number of bidding auctions up until p99 crosses a limit; report the knee.
    Capacity,
    /// Sequential bid round trips through the gateway beside sequential echo round trips.
    RoundTrip,
    /// Memory per idle connection and per idle auction.
    Footprint,
}

/// How simulated managers behave. Rates are per manager, in attempts per second; attempts are
/// scheduled as a Poisson process independent of the server's answers (open loop).
#[derive(Debug, Clone, Serialize)]
pub struct Behaviour {
    /// Rate while the lot has more than `burst_window_ms` left.
    pub base_rate: f64,
    /// Rate in the last `burst_window_ms` of a lot (every accepted bid there resets the clock).
    pub burst_rate: f64,
    /// The closing window with the burst rate (the anti-snipe window by default).
    pub burst_window_ms: u64,
    /// Share of managers who only bid in the last `snipe_window_ms`.
    pub sniper_share: f64,
    /// A sniper's rate inside the snipe window.
    pub snipe_rate: f64,
    /// The snipe window.
    pub snipe_window_ms: u64,
    /// Probability that a manager wants a given lot at all.
    pub interest: f64,
    /// A manager's valuation of a lot it wants: increments above the opening bid, drawn
    /// uniformly from this range. It stops bidding beyond it, which is what ends lots.
    pub valuation_steps: (u32, u32),
    /// Mean deliberate connection drops per manager per minute (0: none).
    pub drops_per_min: f64,
    /// Mean deliberate drops per spectator per minute.
    pub spectator_drops_per_min: f64,
    /// Offline time after a deliberate drop, uniform in this range (ms).
    pub offline_ms: (u64, u64),
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            base_rate: 0.1,
            burst_rate: 0.6,
            burst_window_ms: 10_000,
            sniper_share: 0.1,
            snipe_rate: 2.5,
            snipe_window_ms: 2_000,
            interest: 0.75,
            valuation_steps: (10, 120),
            drops_per_min: 0.2,
            spectator_drops_per_min: 0.0,
            offline_ms: (500, 3_000),
        }
    }
}

impl Behaviour {
    /// Steady bidding for capacity runs: every manager bids on every lot at a constant rate.
    pub fn steady(rate: f64) -> Behaviour {
        Behaviour {
            base_rate: rate,
            burst_rate: rate,
            sniper_share: 0.0,
            interest: 1.0,
            // Long lots: a step measures bidding, not the gaps between lots.
            valuation_steps: (1_000, 2_000),
            drops_per_min: 0.0,
            ..Behaviour::default()
        }
    }
}

/// The league every auction of the scenario is created with.
#[derive(Debug, Clone, Serialize)]
pub struct League {
    /// Bid clock (ms).
    pub bid_clock_ms: u64,
    /// Anti-snipe window (ms).
    pub anti_snipe_ms: u64,
    /// Gap between lots (ms).
    pub gap_ms: u64,
    /// Roster slots per manager.
    pub roster_slots: u8,
    /// Budget per manager, £m (large, so that budgets never end a run).
    pub budget_millions: u64,
    /// Assets in the pool (`0`: sized from the duration so the auction outlasts the run).
    pub assets: u32,
}

impl Default for League {
    fn default() -> Self {
        League {
            bid_clock_ms: 30_000,
            anti_snipe_ms: 10_000,
            gap_ms: 3_000,
            roster_slots: 40,
            budget_millions: 100_000,
            assets: 0,
        }
    }
}

/// Capacity stepping.
#[derive(Debug, Clone, Serialize)]
pub struct CapacityPlan {
    /// Total bidding auctions at each step.
    pub steps: Vec<u32>,
    /// Measured seconds per step (after a warm-up of `warmup_s`).
    pub step_s: u64,
    /// The p99 (ms, bid → ack) that marks the knee.
    pub p99_limit_ms: f64,
}

/// Wire encoding of the simulated clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum EncodingChoice {
    /// MessagePack for everybody (native clients).
    Msgpack,
    /// JSON for everybody (browsers).
    Json,
    /// Both, alternating from one simulated person to the next (managers and spectators).
    Mixed,
}

/// A scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    /// Its name.
    pub name: String,
    /// One line on what it is.
    pub description: String,
    /// What it measures.
    pub kind: Kind,
    /// Bidding managers in total.
    pub managers: u32,
    /// Auctions holding them (at most 30 managers each).
    pub auctions: u32,
    /// Spectators in total.
    pub spectators: u32,
    /// Spectators watch the first this-many auctions (round robin).
    pub spectator_auctions: u32,
    /// Measured duration (s).
    pub duration_s: u64,
    /// Bidding before measurement starts (s).
    pub warmup_s: u64,
    /// Manager behaviour.
    pub behaviour: Behaviour,
    /// League settings.
    pub league: League,
    /// Gateway: commands per user per minute.
    pub commands_per_minute: u32,
    /// Gateway: command burst.
    pub command_burst: u32,
    /// Encodings.
    pub encoding: EncodingChoice,
    /// New websocket connections per second while connecting.
    pub connect_rate: u32,
    /// Capacity stepping (kind = capacity).
    pub capacity: Option<CapacityPlan>,
    /// Sequential round trips (kind = round_trip) or idle connections (kind = footprint).
    pub samples: u32,
    /// Idle auctions (kind = footprint).
    pub idle_auctions: u32,
    /// Round trips: the two bidders also watch the auction (as a phone in the auction room
    /// does), so each bid is answered by an `ack` and an `events` frame.
    pub rtt_subscribed: bool,
    /// Run the echo baseline after the measured phase.
    pub echo: bool,
    /// Seconds of echo baseline (same connections, same mean rate).
    pub echo_s: u64,
}

/// Most managers one auction may have.
pub const MAX_MANAGERS_PER_AUCTION: u32 = 30;

/// Every named scenario, in the order BENCHMARKS.md lists them.
pub const NAMES: &[&str] = &[
    "smoke",
    "rtt",
    "footprint",
    "baseline",
    "target",
    "stress",
    "stress10x",
    "concurrent",
    "fans",
    "many",
    "endurance",
    "capacity",
];

fn auctions_for(managers: u32) -> u32 {
    managers.div_ceil(MAX_MANAGERS_PER_AUCTION).max(1)
}

fn load(name: &str, description: &str, managers: u32, duration_s: u64) -> Scenario {
    Scenario {
        name: name.into(),
        description: description.into(),
        kind: Kind::Load,
        managers,
        auctions: auctions_for(managers),
        spectators: 0,
        spectator_auctions: 1,
        duration_s,
        warmup_s: 10,
        behaviour: Behaviour::default(),
        league: League::default(),
        commands_per_minute: 120,
        command_burst: 20,
        encoding: EncodingChoice::Msgpack,
        connect_rate: 500,
        capacity: None,
        samples: 0,
        idle_auctions: 0,
        rtt_subscribed: true,
        echo: true,
        echo_s: 30,
    }
}

/// The scenario called `name`, with its defaults.
pub fn named(name: &str) -> Option<Scenario> {
    let scenario = match name {
        "smoke" => {
            let mut s = load(
                "smoke",
                "CI smoke: 2 auctions x 6 managers + 20 spectators, short clocks, drops and \
                 reconnects, JSON and MessagePack; checks that no valid bid fails (no timing)",
                12,
                20,
            );
            s.auctions = 2;
            s.spectators = 20;
            s.spectator_auctions = 2;
            s.warmup_s = 3;
            s.encoding = EncodingChoice::Mixed;
            s.league = League {
                bid_clock_ms: 5_000,
                anti_snipe_ms: 2_000,
                gap_ms: 1_000,
                assets: 60,
                ..League::default()
            };
            s.behaviour = Behaviour {
                base_rate: 0.4,
                burst_rate: 1.0,
                burst_window_ms: 2_000,
                snipe_window_ms: 1_000,
                valuation_steps: (3, 15),
                drops_per_min: 3.0,
                spectator_drops_per_min: 2.0,
                offline_ms: (200, 800),
                ..Behaviour::default()
            };
            s.echo_s = 5;
            s
        }
        "rtt" => {
            let mut s = load(
                "rtt",
                "Bid round trip through the gateway (2 managers alternating, one bid at a time) \
                 beside a bare websocket echo, sequential, same run",
                2,
                0,
            );
            s.kind = Kind::RoundTrip;
            s.samples = 2_000;
            // Two users bid back to back: far above any per-user limit a person needs.
            s.commands_per_minute = 1_000_000;
            s.command_burst = 10_000;
            s.warmup_s = 0;
            s.league.bid_clock_ms = 120_000;
            s.league.anti_snipe_ms = 0;
            s
        }
        "footprint" => {
            let mut s = load(
                "footprint",
                "Memory per idle connection (gateway RSS delta / connections) and per idle \
                 auction (node RSS delta / auctions)",
                0,
                0,
            );
            s.kind = Kind::Footprint;
            s.auctions = 0;
            s.samples = 5_000;
            s.idle_auctions = 1_000;
            s.echo = false;
            s
        }
        "baseline" => load(
            "baseline",
            "10 managers in 1 auction (the predecessor's first step)",
            10,
            60,
        ),
        "target" => load(
            "target",
            "150 managers (the predecessor's go/no-go load), 5 auctions of 30",
            150,
            120,
        ),
        "stress" => load(
            "stress",
            "200 managers (the predecessor's worst measured load), 7 auctions of 28-29",
            200,
            120,
        ),
        "stress10x" => load(
            "stress10x",
            "2,000 managers (10x stress), 67 auctions of 29-30",
            2_000,
            120,
        ),
        "concurrent" => {
            let mut s = load(
                "concurrent",
                "3 auctions x 50 people: 30 bidding managers + 20 spectators in each",
                90,
                120,
            );
            s.auctions = 3;
            s.spectators = 60;
            s.spectator_auctions = 3;
            s
        }
        "fans" => {
            let mut s = load(
                "fans",
                "150 managers (5 auctions of 30) + 10,000 spectators watching auction 1",
                150,
                120,
            );
            s.spectators = 10_000;
            s.spectator_auctions = 1;
            s.connect_rate = 1_000;
            s
        }
        "many" => {
            let mut s = load(
                "many",
                "1,000 concurrent auctions on one node, 3 managers each (3,000 connections)",
                3_000,
                120,
            );
            s.auctions = 1_000;
            s.behaviour.valuation_steps = (5, 40);
            s.behaviour.burst_rate = 0.3;
            s.warmup_s = 20;
            s
        }
        "endurance" => {
            let mut s = load(
                "endurance",
                "150 managers (5 auctions of 30) for a long time (default 2 h; --duration)",
                150,
                7_200,
            );
            s.echo_s = 60;
            s
        }
        "capacity" => {
            let mut s = load(
                "capacity",
                "Steady bidding (1.5 bids/s per manager, 30 per auction, short clocks); add \
                 auctions step by step until bid-ack p99 passes 25 ms; report the knee",
                0,
                0,
            );
            s.kind = Kind::Capacity;
            s.auctions = 0;
            s.behaviour = Behaviour::steady(1.5);
            s.league = League {
                bid_clock_ms: 10_000,
                anti_snipe_ms: 3_000,
                gap_ms: 1_000,
                ..League::default()
            };
            s.warmup_s = 5;
            s.capacity = Some(CapacityPlan {
                steps: vec![1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128],
                step_s: 20,
                p99_limit_ms: 25.0,
            });
            s.echo = false;
            s
        }
        _ => return None,
    };
    Some(scenario)
}

impl Scenario {
    /// Managers of auction `index` (0-based): the managers spread evenly, earlier auctions first.
    pub fn managers_of(&self, index: u32) -> u32 {
        let base = self.managers / self.auctions.max(1);
        let extra = self.managers % self.auctions.max(1);
        base + u32::from(index < extra)
    }

    /// Assets in each auction's pool: enough for the run (a lot takes at least the bid clock plus
    /// the gap), within the rules' 1..=2,000.
    pub fn pool_size(&self, run_seconds: u64) -> u32 {
        if self.league.assets > 0 {
            return self.league.assets.min(2_000);
        }
        let lot_s = (self.league.bid_clock_ms + self.league.gap_ms).max(1_000) / 1_000;
        let lots = run_seconds / lot_s.max(1) + 20;
        (lots as u32).clamp(20, 2_000)
    }

    /// Check the scenario against the rules before starting anything.
    pub fn validate(&self) -> Result<(), String> {
        if self.kind == Kind::Load {
            if self.auctions == 0 || self.managers < 2 * self.auctions {
                return Err(format!(
                    "{} managers cannot fill {} auctions (each needs at least 2)",
                    self.managers, self.auctions
                ));
            }
            if self.managers_of(0) > MAX_MANAGERS_PER_AUCTION {
                return Err(format!(
                    "{} managers in {} auctions is more than {MAX_MANAGERS_PER_AUCTION} per \
                     auction (RULES.md section 2); use more auctions",
                    self.managers, self.auctions
                ));
            }
        }
        if self.spectator_auctions == 0 {
            return Err("spectators must watch at least one auction".into());
        }
        Ok(())
    }
}

/// Parse a duration: `90`, `90s`, `20m`, `2h`, `1h30m`.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(seconds);
    }
    let mut total = 0u64;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let value: u64 = number
            .parse()
            .map_err(|_| format!("bad duration {text:?}: expected e.g. 90s, 20m, 2h"))?;
        number.clear();
        total += match c {
            's' => value,
            'm' => value * 60,
            'h' => value * 3_600,
            _ => return Err(format!("bad duration {text:?}: unit {c:?} (use s, m or h)")),
        };
    }
    if !number.is_empty() {
        return Err(format!(
            "bad duration {text:?}: missing unit after {number}"
        ));
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_scenario_is_valid() {
        for name in NAMES {
            let scenario = named(name).expect("named");
            scenario
                .validate()
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            if scenario.kind == Kind::Load {
                let total: u32 = (0..scenario.auctions)
                    .map(|i| scenario.managers_of(i))
                    .sum();
                assert_eq!(total, scenario.managers, "{name}");
                for i in 0..scenario.auctions {
                    let m = scenario.managers_of(i);
                    assert!((2..=30).contains(&m), "{name}: auction {i} has {m}");
                }
            }
        }
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("90"), Ok(90));
        assert_eq!(parse_duration("90s"), Ok(90));
        assert_eq!(parse_duration("20m"), Ok(1_200));
        assert_eq!(parse_duration("1h30m"), Ok(5_400));
        assert!(parse_duration("2x").is_err());
        assert!(parse_duration("5m3").is_err());
    }
}
