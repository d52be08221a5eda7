//! What the load test measures: HDR histograms of latencies (microseconds), counts of bids by
//! outcome, refusals by reason, failures by kind, connections; for the whole run, per time
//! interval (latency over time) and per capacity step.
//!
//! Vocabulary (see `docs/LOADTEST.md`):
//! - an **attempt** is a bid a simulated manager decided to send at its scheduled (intended) time;
//! - **accepted** bids got `ack`; **refused** bids got a rules refusal (`refused`): both are answers
//!   and neither is a failure;
//! - **rate-limited** bids got an `error` with code `rate_limited` (the gateway's per-user limit or
//!   its per-connection in-flight limit): counted apart, never as an accepted or refused bid;
//! - a **failure** is everything else: any other `error`, no answer within the answer timeout, or a
//!   connection lost with the bid unanswered. "No failed valid bid" means zero failures.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use hdrhistogram::Histogram;
use serde::Serialize;

/// An auction watched by at least this many connections has a crowd (the fans scenario).
pub const CROWD: u32 = 1_000;

/// Largest latency a histogram holds (µs): 10 minutes; larger values are clamped.
const MAX_US: u64 = 600_000_000;

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_US, 3).expect("valid histogram bounds")
}

fn record(histogram: &mut Histogram<u64>, us: u64) {
    let _ = histogram.record(us.clamp(1, MAX_US));
}

/// How a bid ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `ack` (applied, or a duplicate of an applied bid).
    Accepted,
    /// A rules refusal with its code.
    Refused(String),
    /// The gateway's command rate limit (`rate_limited`, per user).
    RateLimited,
    /// The gateway's per-connection in-flight limit (`rate_limited`, "in flight").
    InFlightLimited,
    /// A failure: an error code, `timeout`, or `connection_lost`.
    Failed(String),
}

/// Latency summary in milliseconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Values recorded.
    pub count: u64,
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Largest.
    pub max: f64,
}

impl Summary {
    /// Summarise a histogram of microseconds.
    pub fn of(histogram: &Histogram<u64>) -> Summary {
        if histogram.is_empty() {
            return Summary::default();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Summary {
            count: histogram.len(),
            mean: histogram.mean() / 1000.0,
            p50: ms(histogram.value_at_quantile(0.50)),
            p90: ms(histogram.value_at_quantile(0.90)),
            p95: ms(histogram.value_at_quantile(0.95)),
            p99: ms(histogram.value_at_quantile(0.99)),
            p999: ms(histogram.value_at_quantile(0.999)),
            max: ms(histogram.max()),
        }
    }
}

/// The percentile curve of a histogram: (percentile, ms) points for plotting.
pub fn percentile_curve(histogram: &Histogram<u64>) -> Vec<(f64, f64)> {
    if histogram.is_empty() {
        return Vec::new();
    }
    let mut points = Vec::new();
    for quantile in [
        0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.925, 0.95, 0.9625, 0.975,
        0.98, 0.99, 0.9925, 0.995, 0.9975, 0.999, 0.9995, 0.9999, 0.99999, 1.0,
    ] {
        points.push((
            quantile * 100.0,
            histogram.value_at_quantile(quantile) as f64 / 1000.0,
        ));
    }
    points
}

/// Measurements over some span of time.
#[derive(Debug, Clone)]
pub struct Window {
    /// Accepted bids: intended send time → `ack` (what coordinated omission would hide).
    pub ack: Histogram<u64>,
    /// Accepted bids: actual send time → `ack`.
    pub ack_sent: Histogram<u64>,
    /// Refused bids: intended send time → `refused`.
    pub refused: Histogram<u64>,
    /// Fan-out: bid sent → each watcher's receipt of its `bid_accepted` event.
    pub fanout: Histogram<u64>,
    /// Fan-out: bid sent → the last watcher's receipt, one value per accepted bid.
    pub fanout_last: Histogram<u64>,
    /// The same, only for bids in auctions watched by at least [`CROWD`] connections.
    pub fanout_last_crowd: Histogram<u64>,
    /// Bids sent.
    pub sent: u64,
    /// Bids accepted.
    pub accepted: u64,
    /// Bids refused by the rules.
    pub refused_count: u64,
    /// Bids refused by the gateway's limits.
    pub rate_limited: u64,
    /// Bids that failed.
    pub failed: u64,
    /// Refusals by code.
    pub refusals: BTreeMap<String, u64>,
    /// Failures by kind.
    pub failures: BTreeMap<String, u64>,
}

impl Default for Window {
    fn default() -> Self {
        Window {
            ack: histogram(),
            ack_sent: histogram(),
            refused: histogram(),
            fanout: histogram(),
            fanout_last: histogram(),
            fanout_last_crowd: histogram(),
            sent: 0,
            accepted: 0,
            refused_count: 0,
            rate_limited: 0,
            failed: 0,
            refusals: BTreeMap::new(),
            failures: BTreeMap::new(),
        }
    }
}

impl Window {
    fn answer(&mut self, intended_us: u64, sent_us: u64, now_us: u64, outcome: &Outcome) {
        match outcome {
            Outcome::Accepted => {
                self.accepted += 1;
                record(&mut self.ack, now_us.saturating_sub(intended_us));
                record(&mut self.ack_sent, now_us.saturating_sub(sent_us));
            }
            Outcome::Refused(code) => {
                self.refused_count += 1;
                *self.refusals.entry(code.clone()).or_default() += 1;
                record(&mut self.refused, now_us.saturating_sub(intended_us));
            }
            Outcome::RateLimited => {
                self.rate_limited += 1;
                *self.refusals.entry("rate_limited".into()).or_default() += 1;
            }
            Outcome::InFlightLimited => {
                self.rate_limited += 1;
                *self
                    .refusals
                    .entry("rate_limited_in_flight".into())
                    .or_default() += 1;
            }
            Outcome::Failed(kind) => {
                self.failed += 1;
                *self.failures.entry(kind.clone()).or_default() += 1;
            }
        }
    }

    /// Summary of this window.
    pub fn report(&self, seconds: f64) -> WindowReport {
        let seconds = seconds.max(1e-9);
        WindowReport {
            seconds,
            sent: self.sent,
            accepted: self.accepted,
            refused: self.refused_count,
            rate_limited: self.rate_limited,
            failed: self.failed,
            sent_per_s: self.sent as f64 / seconds,
            accepted_per_s: self.accepted as f64 / seconds,
            acceptance_rate: if self.sent == 0 {
                0.0
            } else {
                self.accepted as f64 / self.sent as f64
            },
            ack: Summary::of(&self.ack),
            ack_sent: Summary::of(&self.ack_sent),
            refused_latency: Summary::of(&self.refused),
            fanout: Summary::of(&self.fanout),
            fanout_last: Summary::of(&self.fanout_last),
            fanout_last_crowd: Summary::of(&self.fanout_last_crowd),
            refusals: self.refusals.clone(),
            failures: self.failures.clone(),
        }
    }
}

/// A window's figures, as they go into reports.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WindowReport {
    /// Length of the window.
    pub seconds: f64,
    /// Bids sent.
    pub sent: u64,
    /// Bids accepted.
    pub accepted: u64,
    /// Bids refused by the rules.
    pub refused: u64,
    /// Bids refused by the gateway's limits.
    pub rate_limited: u64,
    /// Bids that failed (no answer, or an error other than a limit).
    pub failed: u64,
    /// Bids sent per second.
    pub sent_per_s: f64,
    /// Bids accepted per second.
    pub accepted_per_s: f64,
    /// accepted / sent.
    pub acceptance_rate: f64,
    /// Accepted bids, intended send → ack (ms).
    pub ack: Summary,
    /// Accepted bids, actual send → ack (ms).
    pub ack_sent: Summary,
    /// Refused bids, intended send → refusal (ms).
    pub refused_latency: Summary,
    /// Fan-out over every watcher (ms).
    pub fanout: Summary,
    /// Fan-out to the last watcher of each accepted bid (ms).
    pub fanout_last: Summary,
    /// Fan-out to the last watcher, bids in auctions with at least [`CROWD`] watchers (ms).
    pub fanout_last_crowd: Summary,
    /// Refusals by code (rate limits included, as `rate_limited*`).
    pub refusals: BTreeMap<String, u64>,
    /// Failures by kind.
    pub failures: BTreeMap<String, u64>,
}

/// One point of the latency-over-time series.
#[derive(Debug, Clone, Serialize)]
pub struct IntervalPoint {
    /// Seconds since the measured phase started (end of the interval).
    pub t: f64,
    /// Bids sent per second in the interval.
    pub sent_per_s: f64,
    /// Bids accepted per second.
    pub accepted_per_s: f64,
    /// Failures in the interval.
    pub failed: u64,
    /// Ack latency p50 / p99 / max (ms, intended → ack).
    pub ack_p50: f64,
    /// p99.
    pub ack_p99: f64,
    /// max.
    pub ack_max: f64,
    /// Fan-out over every watcher, p99 (ms).
    pub fanout_p99: f64,
    /// Open websocket connections of the load generator.
    pub connections: u64,
    /// Server processes: CPU % (100 = one core) by process name.
    pub cpu: BTreeMap<String, f64>,
    /// Server processes: RSS MiB by process name.
    pub rss_mib: BTreeMap<String, f64>,
}

/// Connection counts (atomics: touched by every simulated client).
#[derive(Debug, Default)]
pub struct ConnCounters {
    /// Successful websocket connects (first connects and reconnects).
    pub connects: AtomicU64,
    /// Simulated people who connected at least once.
    pub first_connects: AtomicU64,
    /// Reconnects (connects after a drop).
    pub reconnects: AtomicU64,
    /// Connects that failed (and were retried).
    pub connect_failures: AtomicU64,
    /// Deliberate drops (a simulated phone losing its network).
    pub deliberate_drops: AtomicU64,
    /// Connections the server closed or that broke unexpectedly.
    pub unexpected_drops: AtomicU64,
    /// `slow_consumer` errors seen.
    pub slow_consumer: AtomicU64,
    /// Open connections now.
    pub open: AtomicU64,
    /// Protocol errors not tied to a bid (e.g. an `error` frame without a request id).
    pub other_errors: AtomicU64,
    /// Bids answered after a reconnect (resent with the same key).
    pub resolved_after_reconnect: AtomicU64,
    /// Attempts skipped by the manager (leading, no lot open, above its valuation, lot ending).
    pub skipped: AtomicU64,
    /// Answers that came after the bid had been counted as timed out.
    pub late_answers: AtomicU64,
}

impl ConnCounters {
    /// Add one.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Fan-out completeness: accepted bids whose events reached how many of the watchers present.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FanoutCompleteness {
    /// Accepted bids tracked.
    pub events: u64,
    /// Receipts recorded.
    pub receipts: u64,
    /// Watchers subscribed when the bids were sent (sum).
    pub expected: u64,
    /// Accepted bids that no watcher reported (not even the bidder).
    pub unseen: u64,
}

/// Everything the simulated clients record into.
#[derive(Debug)]
pub struct Stats {
    windows: Mutex<Windows>,
    /// Connection counters.
    pub conns: ConnCounters,
    completeness: Mutex<FanoutCompleteness>,
}

#[derive(Debug, Default)]
struct Windows {
    total: Window,
    interval: Window,
    step: Window,
    /// Whether the measured phase is on (before it, during warm-up, nothing is recorded).
    recording: bool,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            windows: Mutex::new(Windows::default()),
            conns: ConnCounters::default(),
            completeness: Mutex::new(FanoutCompleteness::default()),
        }
    }
}

impl Stats {
    fn with<R>(&self, f: impl FnOnce(&mut Windows) -> R) -> R {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut windows)
    }

    /// Start or stop recording (latencies and counts outside the measured phase are dropped).
    pub fn set_recording(&self, on: bool) {
        self.with(|w| w.recording = on);
    }

    /// A bid was sent.
    pub fn sent(&self) {
        self.with(|w| {
            if w.recording {
                w.total.sent += 1;
                w.interval.sent += 1;
                w.step.sent += 1;
            }
        });
    }

    /// A bid was answered (or failed).
    pub fn answer(&self, intended_us: u64, sent_us: u64, now_us: u64, outcome: &Outcome) {
        self.with(|w| {
            if w.recording {
                for window in [&mut w.total, &mut w.interval, &mut w.step] {
                    window.answer(intended_us, sent_us, now_us, outcome);
                }
            }
        });
    }

    /// A watcher received an accepted bid's event `latency_us` after it was sent.
    pub fn fanout(&self, latency_us: u64) {
        self.with(|w| {
            if w.recording {
                for window in [&mut w.total, &mut w.interval, &mut w.step] {
                    record(&mut window.fanout, latency_us);
                }
            }
        });
    }

    /// The last watcher of an accepted bid received it `latency_us` after it was sent.
    pub fn fanout_last(&self, latency_us: u64, receipts: u32, expected: u32) {
        let recording = self.with(|w| {
            if w.recording && receipts > 0 {
                for window in [&mut w.total, &mut w.interval, &mut w.step] {
                    record(&mut window.fanout_last, latency_us);
                    if expected >= CROWD {
                        record(&mut window.fanout_last_crowd, latency_us);
                    }
                }
            }
            w.recording
        });
        if recording {
            let mut c = self.completeness.lock().unwrap_or_else(|p| p.into_inner());
            c.events += 1;
            c.receipts += u64::from(receipts);
            c.expected += u64::from(expected);
            if receipts == 0 {
                c.unseen += 1;
            }
        }
    }

    /// Take the interval window (and start a fresh one).
    pub fn take_interval(&self) -> Window {
        self.with(|w| std::mem::take(&mut w.interval))
    }

    /// Take the step window (and start a fresh one).
    pub fn take_step(&self) -> Window {
        self.with(|w| std::mem::take(&mut w.step))
    }

    /// A copy of the whole-run window.
    pub fn total(&self) -> Window {
        self.with(|w| w.total.clone())
    }

    /// Fan-out completeness so far.
    pub fn completeness(&self) -> FanoutCompleteness {
        self.completeness
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// Accepted-bid tracking for fan-out: who sent what when, and who has seen it.
#[derive(Debug)]
pub struct BidBook {
    shards: Vec<Mutex<HashMap<u64, Track>>>,
}

#[derive(Debug, Clone, Copy)]
struct Track {
    sent_us: u64,
    receipts: u32,
    max_us: u64,
    expected: u32,
}

const SHARDS: usize = 64;

impl Default for BidBook {
    fn default() -> Self {
        BidBook {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }
}

impl BidBook {
    fn shard(&self, id: u64) -> std::sync::MutexGuard<'_, HashMap<u64, Track>> {
        self.shards[(id as usize) % SHARDS]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// A bid is about to be sent; `expected` watchers are subscribed to its auction.
    pub fn sent(&self, id: u64, sent_us: u64, expected: u32) {
        self.shard(id).insert(
            id,
            Track {
                sent_us,
                receipts: 0,
                max_us: 0,
                expected,
            },
        );
    }

    /// The bid was not accepted: nothing to fan out.
    pub fn forget(&self, id: u64) {
        self.shard(id).remove(&id);
    }

    /// A watcher subscribed (or resumed) at `since_us` received bid `id` at `now_us`: the
    /// latency, unless the bid predates the subscription (catch-up after a reconnect is not
    /// fan-out) or is unknown.
    pub fn receipt(&self, id: u64, now_us: u64, since_us: u64) -> Option<u64> {
        let mut shard = self.shard(id);
        let track = shard.get_mut(&id)?;
        if track.sent_us < since_us {
            return None;
        }
        let latency = now_us.saturating_sub(track.sent_us);
        track.receipts += 1;
        track.max_us = track.max_us.max(latency);
        Some(latency)
    }

    /// Remove bids sent before `before_us`, returning (last-watcher latency, receipts, expected)
    /// for each.
    pub fn sweep(&self, before_us: u64) -> Vec<(u64, u32, u32)> {
        let mut done = Vec::new();
        for shard in &self.shards {
            let mut shard = shard.lock().unwrap_or_else(|p| p.into_inner());
            shard.retain(|_, track| {
                if track.sent_us < before_us {
                    done.push((track.max_us, track.receipts, track.expected));
                    false
                } else {
                    true
                }
            });
        }
        done
    }
}
