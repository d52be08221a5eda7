//! The results of a run: one serialisable report, the verdicts, and three renderings (a table on
//! the terminal, a JSON file, a self-contained HTML page with inline SVG plots).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::deploy::ProcessReport;
use crate::scenario::{Kind, Scenario};
use crate::stats::{FanoutCompleteness, IntervalPoint, Summary, WindowReport};

/// The predecessor's go/no-go bar: p95 bid latency below 2 s at 150 users, no critical errors.
pub const PREDECESSOR_P95_MS: f64 = 2_000.0;
/// The predecessor's pilot size.
pub const PREDECESSOR_USERS: u64 = 150;
/// Our bid acknowledgement target: p99 ≤ 25 ms.
pub const OUR_ACK_P99_MS: f64 = 25.0;
/// Our fan-out target: p99 ≤ 50 ms.
pub const OUR_FANOUT_P99_MS: f64 = 50.0;

/// Connection-level counts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ConnReport {
    /// Successful connects (first and re-).
    pub connects: u64,
    /// Reconnects.
    pub reconnects: u64,
    /// Failed connect attempts (retried).
    pub connect_failures: u64,
    /// Deliberate drops (simulated network loss).
    pub deliberate_drops: u64,
    /// Connections closed or broken by the other side.
    pub unexpected_drops: u64,
    /// `slow_consumer` errors.
    pub slow_consumer: u64,
    /// Other protocol errors (not answering a bid).
    pub other_errors: u64,
    /// Bids resent after a deliberate drop and answered.
    pub resolved_after_reconnect: u64,
    /// Attempts a manager skipped (leading, not interested, above its valuation, lot ending).
    pub skipped_attempts: u64,
    /// Answers that arrived after their bid had timed out.
    pub late_answers: u64,
    /// Most connections open at once.
    pub peak_open: u64,
}

/// Server-side view from `/metrics` (deltas over the measured phase).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ServerMetrics {
    /// Quantiles (ms) from server histograms: name → (p50, p99).
    pub quantiles: BTreeMap<String, (f64, f64)>,
    /// Counters (delta over the measured phase).
    pub counters: BTreeMap<String, f64>,
    /// Gauges at the end.
    pub gauges: BTreeMap<String, f64>,
}

/// The echo baseline.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EchoReport {
    /// Connections.
    pub connections: u64,
    /// Frames per second offered (all connections).
    pub rate_per_s: f64,
    /// Seconds.
    pub seconds: f64,
    /// Frames sent.
    pub sent: u64,
    /// Frames echoed.
    pub echoed: u64,
    /// Connection errors.
    pub errors: u64,
    /// Intended send → echo (ms).
    pub latency: Summary,
    /// Sent → echo (ms).
    pub latency_sent: Summary,
    /// Echo server process.
    pub process: Option<ProcessReport>,
}

/// One capacity step.
#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    /// Bidding auctions.
    pub auctions: u32,
    /// Bidding managers.
    pub managers: u32,
    /// What happened in the step.
    pub window: WindowReport,
    /// Server CPU % by process in the step.
    pub cpu: BTreeMap<String, f64>,
}

/// Capacity result.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CapacityReport {
    /// The limit (ms) on bid → ack p99.
    pub p99_limit_ms: f64,
    /// Every step run.
    pub steps: Vec<StepReport>,
    /// The last step within the limit with no failure.
    pub knee: Option<usize>,
    /// Why stepping stopped.
    pub stopped_because: String,
}

/// Round trip result.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RttReport {
    /// Round trips of each kind.
    pub samples: u64,
    /// Bid → ack through the gateway (ms).
    pub bid: Summary,
    /// Echo round trip (ms).
    pub echo: Summary,
    /// Bids not accepted (should be 0).
    pub bid_not_accepted: u64,
    /// Why they were not.
    pub not_accepted_by: BTreeMap<String, u64>,
}

/// Memory footprint result.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FootprintReport {
    /// Idle connections opened (hello only).
    pub connections: u64,
    /// Gateway RSS before/after connecting (MiB).
    pub gateway_rss_before_mib: f64,
    /// After the connections said hello.
    pub gateway_rss_connected_mib: f64,
    /// After every connection also subscribed to one (waiting) auction.
    pub gateway_rss_subscribed_mib: f64,
    /// KiB per idle connection (hello only).
    pub kib_per_connection: f64,
    /// KiB per idle connection subscribed to an auction.
    pub kib_per_subscribed_connection: f64,
    /// Load generator KiB per client connection.
    pub client_kib_per_connection: f64,
    /// Idle auctions created (waiting room, no watcher).
    pub auctions: u64,
    /// Node RSS before/after (MiB).
    pub node_rss_before_mib: f64,
    /// After.
    pub node_rss_after_mib: f64,
    /// KiB per idle auction.
    pub kib_per_auction: f64,
    /// Live auction actors the node reports.
    pub live_actors: f64,
}

/// One criterion of a verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Criterion {
    /// What is checked.
    pub what: String,
    /// The bar.
    pub target: String,
    /// What was measured.
    pub measured: String,
    /// `pass`, `fail` or `n/a`.
    pub result: String,
}

/// A go/no-go verdict against one set of criteria.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// Whose criteria.
    pub against: String,
    /// Each criterion.
    pub criteria: Vec<Criterion>,
    /// `GO` when every applicable criterion passes, else `NO-GO`.
    pub verdict: String,
}

/// Percentile curves for the percentile plot: (percentile, ms).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Curves {
    /// Bid → ack (intended send).
    pub ack: Vec<(f64, f64)>,
    /// Bid → ack (actual send).
    pub ack_sent: Vec<(f64, f64)>,
    /// Fan-out, every watcher.
    pub fanout: Vec<(f64, f64)>,
    /// Fan-out, last watcher.
    pub fanout_last: Vec<(f64, f64)>,
    /// Echo baseline.
    pub echo: Vec<(f64, f64)>,
}

/// Everything about one run.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// The tool.
    pub tool: String,
    /// The command line.
    pub command: String,
    /// UTC start time.
    pub started_at: String,
    /// The scenario as run (after overrides).
    pub scenario: Scenario,
    /// Cores on this machine.
    pub cores: usize,
    /// Load average (1, 5, 15 min) before the run.
    pub load_before: String,
    /// Load average after the run.
    pub load_after: String,
    /// Whether the tool started the deployment.
    pub local_deployment: bool,
    /// Gateway websocket URLs.
    pub targets: Vec<String>,
    /// Nodes and gateways started (local runs).
    pub topology: String,
    /// Bidding managers.
    pub managers: u64,
    /// Spectators.
    pub spectators: u64,
    /// Auctions.
    pub auctions: u64,
    /// The measured phase (load and capacity kinds: the whole measured time).
    pub main: Option<WindowReport>,
    /// Fan-out completeness.
    pub fanout_completeness: FanoutCompleteness,
    /// Connections.
    pub connections: ConnReport,
    /// Latency and throughput over time.
    pub series: Vec<IntervalPoint>,
    /// Percentile curves.
    pub curves: Curves,
    /// Server processes.
    pub processes: Vec<ProcessReport>,
    /// Load generator's own CPU and memory.
    pub load_generator: Option<ProcessReport>,
    /// Whole-machine CPU busy % (mean, peak) during the measured phase.
    pub machine_busy: (f64, f64),
    /// Server metrics.
    pub server_metrics: ServerMetrics,
    /// Echo baseline, same run.
    pub echo: Option<EchoReport>,
    /// Capacity steps.
    pub capacity: Option<CapacityReport>,
    /// Round trips.
    pub rtt: Option<RttReport>,
    /// Footprint.
    pub footprint: Option<FootprintReport>,
    /// Verdicts.
    pub verdicts: Vec<Verdict>,
    /// Remarks (e.g. why a figure may be off).
    pub notes: Vec<String>,
}

fn criterion(what: &str, target: &str, measured: String, pass: Option<bool>) -> Criterion {
    Criterion {
        what: what.into(),
        target: target.into(),
        measured,
        result: match pass {
            Some(true) => "pass",
            Some(false) => "fail",
            None => "n/a",
        }
        .into(),
    }
}

fn verdict(against: &str, criteria: Vec<Criterion>) -> Verdict {
    let fail = criteria.iter().any(|c| c.result == "fail");
    Verdict {
        against: against.into(),
        criteria,
        verdict: if fail { "NO-GO" } else { "GO" }.into(),
    }
}

impl RunReport {
    /// Fill in the verdicts.
    pub fn judge(&mut self) {
        let mut verdicts = Vec::new();
        if let Some(main) = &self.main {
            let users = self.connections.peak_open;
            let failures = main.failed + self.connections.unexpected_drops;
            verdicts.push(verdict(
                "predecessor (go/no-go: 150 users, p95 < 2 s, no critical errors)",
                vec![
                    criterion(
                        "users connected at once",
                        "≥ 150",
                        format!("{users}"),
                        Some(users >= PREDECESSOR_USERS),
                    ),
                    criterion(
                        "bid latency p95 (intended send → ack)",
                        "< 2,000 ms",
                        format!("{:.1} ms", main.ack.p95),
                        (main.ack.count > 0).then_some(main.ack.p95 < PREDECESSOR_P95_MS),
                    ),
                    criterion(
                        "critical errors (failed bids + dropped connections)",
                        "0",
                        format!("{failures}"),
                        Some(failures == 0),
                    ),
                ],
            ));
            let watchers = self.fanout_completeness.events > 0;
            let mut ours = vec![
                criterion(
                    "bid acknowledgement p99 (intended send → ack)",
                    "≤ 25 ms",
                    format!("{:.1} ms", main.ack.p99),
                    (main.ack.count > 0).then_some(main.ack.p99 <= OUR_ACK_P99_MS),
                ),
                criterion(
                    "failed valid bids (errors, timeouts, lost)",
                    "0",
                    format!("{}", main.failed),
                    Some(main.failed == 0),
                ),
                criterion(
                    "fan-out p99, every watcher",
                    "≤ 50 ms",
                    format!("{:.1} ms", main.fanout.p99),
                    watchers.then_some(main.fanout.p99 <= OUR_FANOUT_P99_MS),
                ),
            ];
            if self.scenario.name == "many" {
                let live = self
                    .server_metrics
                    .gauges
                    .get("auction_live_actors")
                    .copied()
                    .unwrap_or(0.0);
                ours.push(criterion(
                    "concurrent auctions live on one node",
                    "≥ 1,000",
                    format!("{live:.0}"),
                    Some(live >= 1_000.0),
                ));
            }
            verdicts.push(verdict("ours (BRIEF.md: How good it must be)", ours));
        }
        if let Some(capacity) = &self.capacity {
            let knee = capacity.knee.map(|i| &capacity.steps[i]);
            verdicts.push(verdict(
                "capacity (knee: last step with p99 ≤ limit and no failure)",
                vec![criterion(
                    "sustained accepted bids/s at the knee",
                    "thousands of decisions per second",
                    knee.map(|s| {
                        format!(
                            "{:.0} sent/s, {:.0} accepted/s, {} auctions",
                            s.window.sent_per_s, s.window.accepted_per_s, s.auctions
                        )
                    })
                    .unwrap_or_else(|| "no step within the limit".into()),
                    knee.map(|s| s.window.sent_per_s >= 1_000.0),
                )],
            ));
        }
        if let Some(rtt) = &self.rtt {
            verdicts.push(verdict(
                "round trip",
                vec![criterion(
                    "bid round trip p99 through the gateway",
                    "≤ 25 ms",
                    format!("{:.2} ms (echo {:.2} ms)", rtt.bid.p99, rtt.echo.p99),
                    Some(rtt.bid.p99 <= OUR_ACK_P99_MS && rtt.bid_not_accepted == 0),
                )],
            ));
        }
        self.verdicts = verdicts;
    }

    /// Whether the run shows a failed valid bid or an error (what the smoke test checks).
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(main) = &self.main {
            if main.failed > 0 {
                problems.push(format!("{} bids failed: {:?}", main.failed, main.failures));
            }
            if main.accepted == 0 {
                problems.push("no bid was accepted".into());
            }
            if self.fanout_completeness.receipts == 0 {
                problems.push("no watcher received a bid event".into());
            }
        }
        if self.connections.unexpected_drops > 0 {
            problems.push(format!(
                "{} connections were dropped by the server",
                self.connections.unexpected_drops
            ));
        }
        if self.connections.other_errors > 0 {
            problems.push(format!(
                "{} protocol errors not tied to a bid",
                self.connections.other_errors
            ));
        }
        if self.connections.slow_consumer > 0 {
            problems.push(format!(
                "{} slow-consumer disconnects",
                self.connections.slow_consumer
            ));
        }
        if let Some(rtt) = &self.rtt
            && rtt.bid_not_accepted > 0
        {
            problems.push(format!(
                "{} round-trip bids were not accepted",
                rtt.bid_not_accepted
            ));
        }
        problems
    }

    /// The terminal table.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\n== {} — {} ==",
            self.scenario.name, self.scenario.description
        );
        let _ = writeln!(
            out,
            "load average before {} / after {}; {} cores; {}",
            self.load_before, self.load_after, self.cores, self.topology
        );
        if let Some(main) = &self.main {
            let _ = writeln!(
                out,
                "people: {} managers in {} auctions, {} spectators; measured {:.0} s",
                self.managers, self.auctions, self.spectators, main.seconds
            );
            let _ = writeln!(
                out,
                "{:<34} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
                "latency (ms)", "count", "p50", "p95", "p99", "p99.9", "max"
            );
            let mut row = |name: &str, s: &Summary| {
                let _ = writeln!(
                    out,
                    "{:<34} {:>9} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
                    name, s.count, s.p50, s.p95, s.p99, s.p999, s.max
                );
            };
            row("bid → ack (intended send)", &main.ack);
            row("bid → ack (actual send)", &main.ack_sent);
            row("bid → refusal (intended send)", &main.refused_latency);
            row("fan-out, every watcher", &main.fanout);
            row("fan-out, last watcher", &main.fanout_last);
            if main.fanout_last_crowd.count > 0 {
                row("fan-out, last of ≥1,000 watchers", &main.fanout_last_crowd);
            }
            if let Some(echo) = &self.echo {
                row("echo baseline (intended send)", &echo.latency);
            }
            let _ = writeln!(
                out,
                "bids: {} sent ({:.1}/s), {} accepted ({:.1}/s, {:.1} %), {} refused, {} \
                 rate-limited, {} FAILED",
                main.sent,
                main.sent_per_s,
                main.accepted,
                main.accepted_per_s,
                main.acceptance_rate * 100.0,
                main.refused,
                main.rate_limited,
                main.failed
            );
            if !main.refusals.is_empty() {
                let _ = writeln!(out, "refusals by reason: {}", fmt_map(&main.refusals));
            }
            if !main.failures.is_empty() {
                let _ = writeln!(out, "failures by kind: {}", fmt_map(&main.failures));
            }
            let c = &self.connections;
            let _ = writeln!(
                out,
                "connections: {} connects ({} reconnects, {} failed attempts), peak {} open, {} \
                 deliberate drops, {} unexpected drops, {} slow-consumer, {} other errors, {} \
                 bids resolved after reconnect",
                c.connects,
                c.reconnects,
                c.connect_failures,
                c.peak_open,
                c.deliberate_drops,
                c.unexpected_drops,
                c.slow_consumer,
                c.other_errors,
                c.resolved_after_reconnect
            );
            let f = &self.fanout_completeness;
            if f.events > 0 {
                let _ = writeln!(
                    out,
                    "fan-out completeness: {} receipts of {} expected over {} accepted bids",
                    f.receipts, f.expected, f.events
                );
            }
        }
        if let Some(rtt) = &self.rtt {
            let _ = writeln!(
                out,
                "round trips ({} each, sequential): bid through gateway p50 {:.3} ms p99 {:.3} \
                 ms max {:.3} ms | bare websocket echo p50 {:.3} ms p99 {:.3} ms max {:.3} ms",
                rtt.samples,
                rtt.bid.p50,
                rtt.bid.p99,
                rtt.bid.max,
                rtt.echo.p50,
                rtt.echo.p99,
                rtt.echo.max
            );
            if rtt.bid_not_accepted > 0 {
                let _ = writeln!(
                    out,
                    "bids not accepted: {} ({})",
                    rtt.bid_not_accepted,
                    fmt_map(&rtt.not_accepted_by)
                );
            }
        }
        if let Some(f) = &self.footprint {
            let _ = writeln!(
                out,
                "footprint: {} idle connections: gateway {:.1} → {:.1} MiB = {:.1} KiB each \
                 (subscribed: {:.1} KiB each; client side {:.1} KiB each); {} idle auctions: \
                 node {:.1} → {:.1} MiB = {:.1} KiB each ({} live actors)",
                f.connections,
                f.gateway_rss_before_mib,
                f.gateway_rss_connected_mib,
                f.kib_per_connection,
                f.kib_per_subscribed_connection,
                f.client_kib_per_connection,
                f.auctions,
                f.node_rss_before_mib,
                f.node_rss_after_mib,
                f.kib_per_auction,
                f.live_actors
            );
        }
        if let Some(capacity) = &self.capacity {
            let _ = writeln!(
                out,
                "{:>8} {:>8} {:>10} {:>10} {:>8} {:>8} {:>8} {:>7}",
                "auctions", "managers", "sent/s", "acc/s", "p50", "p99", "max", "failed"
            );
            for (i, step) in capacity.steps.iter().enumerate() {
                let w = &step.window;
                let _ = writeln!(
                    out,
                    "{:>8} {:>8} {:>10.0} {:>10.0} {:>8.2} {:>8.2} {:>8.2} {:>7}{}",
                    step.auctions,
                    step.managers,
                    w.sent_per_s,
                    w.accepted_per_s,
                    w.ack.p50,
                    w.ack.p99,
                    w.ack.max,
                    w.failed,
                    if capacity.knee == Some(i) {
                        "  <- knee"
                    } else {
                        ""
                    }
                );
            }
            let _ = writeln!(out, "stopped: {}", capacity.stopped_because);
        }
        if !self.processes.is_empty() {
            let _ = writeln!(
                out,
                "{:<22} {:>9} {:>9} {:>11} {:>11} {:>11}",
                "process", "CPU mean", "CPU peak", "RSS start", "RSS peak", "RSS end"
            );
            for p in self.processes.iter().chain(self.load_generator.iter()) {
                let _ = writeln!(
                    out,
                    "{:<22} {:>8.1}% {:>8.1}% {:>8.1}MiB {:>8.1}MiB {:>8.1}MiB",
                    p.name, p.cpu_mean, p.cpu_peak, p.rss_start_mib, p.rss_peak_mib, p.rss_end_mib
                );
            }
            let _ = writeln!(
                out,
                "machine CPU busy: mean {:.0} %, peak {:.0} % (of {} cores)",
                self.machine_busy.0, self.machine_busy.1, self.cores
            );
        }
        if !self.server_metrics.quantiles.is_empty() {
            let parts: Vec<String> = self
                .server_metrics
                .quantiles
                .iter()
                .map(|(name, (p50, p99))| format!("{name} p50 {p50:.2} ms p99 {p99:.2} ms"))
                .collect();
            let _ = writeln!(out, "server histograms: {}", parts.join("; "));
        }
        for v in &self.verdicts {
            let _ = writeln!(out, "verdict against {}: {}", v.against, v.verdict);
            for c in &v.criteria {
                let _ = writeln!(
                    out,
                    "   [{:<4}] {}: {} (target {})",
                    c.result, c.what, c.measured, c.target
                );
            }
        }
        for note in &self.notes {
            let _ = writeln!(out, "note: {note}");
        }
        out
    }

    /// The HTML report (self-contained: inline CSS and SVG, no script, no external resource).
    pub fn html(&self) -> String {
        let mut out = String::new();
        let title = format!("Load test: {}", self.scenario.name);
        let _ = write!(
            out,
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
             <style>body{{font:14px system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}}\
             table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}\
             th{{background:#f3f3f3}}td:first-child,th:first-child{{text-align:left}}.pass{{color:#070}}.fail{{color:#b00;font-weight:bold}}\
             code,pre{{background:#f6f6f6;padding:2px 4px}}svg{{background:#fff;border:1px solid #ddd;margin:0.5em 0}}</style></head><body>",
            esc(&title)
        );
        let _ = write!(
            out,
            "<h1>{}</h1><p>{}</p><p>Started {} UTC; <code>{}</code></p><p>Load average before {}, after {}; {} cores; {}.</p>",
            esc(&title),
            esc(&self.scenario.description),
            esc(&self.started_at),
            esc(&self.command),
            esc(&self.load_before),
            esc(&self.load_after),
            self.cores,
            esc(&self.topology)
        );
        for v in &self.verdicts {
            let class = if v.verdict == "GO" { "pass" } else { "fail" };
            let _ = write!(
                out,
                "<h3>Verdict against {}: <span class=\"{class}\">{}</span></h3><table><tr><th>criterion</th><th>target</th><th>measured</th><th>result</th></tr>",
                esc(&v.against),
                esc(&v.verdict)
            );
            for c in &v.criteria {
                let class = if c.result == "fail" { "fail" } else { "pass" };
                let _ = write!(
                    out,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"{class}\">{}</td></tr>",
                    esc(&c.what),
                    esc(&c.target),
                    esc(&c.measured),
                    esc(&c.result)
                );
            }
            out.push_str("</table>");
        }
        if let Some(main) = &self.main {
            let _ = write!(
                out,
                "<h2>Latency (ms)</h2><table><tr><th>measure</th><th>count</th><th>mean</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>p99.9</th><th>max</th></tr>"
            );
            let mut row = |name: &str, s: &Summary| {
                let _ = write!(
                    out,
                    "<tr><td>{}</td><td>{}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td></tr>",
                    esc(name),
                    s.count,
                    s.mean,
                    s.p50,
                    s.p90,
                    s.p95,
                    s.p99,
                    s.p999,
                    s.max
                );
            };
            row("bid → ack (intended send)", &main.ack);
            row("bid → ack (actual send)", &main.ack_sent);
            row("bid → refusal (intended send)", &main.refused_latency);
            row("fan-out, every watcher", &main.fanout);
            row("fan-out, last watcher", &main.fanout_last);
            if main.fanout_last_crowd.count > 0 {
                row("fan-out, last of ≥1,000 watchers", &main.fanout_last_crowd);
            }
            if let Some(echo) = &self.echo {
                row("echo baseline (intended send)", &echo.latency);
            }
            out.push_str("</table>");
            let _ = write!(
                out,
                "<p>Bids: {} sent ({:.1}/s), {} accepted ({:.1}/s, {:.1} %), {} refused by the rules, {} rate-limited, <b>{} failed</b>. Managers: {} in {} auctions; spectators: {}.</p>",
                main.sent,
                main.sent_per_s,
                main.accepted,
                main.accepted_per_s,
                main.acceptance_rate * 100.0,
                main.refused,
                main.rate_limited,
                main.failed,
                self.managers,
                self.auctions,
                self.spectators
            );
            let _ = write!(
                out,
                "<p>Refusals by reason: {}.<br>Failures by kind: {}.</p>",
                esc(&fmt_map(&main.refusals)),
                esc(&if main.failures.is_empty() {
                    "none".into()
                } else {
                    fmt_map(&main.failures)
                })
            );
            let c = &self.connections;
            let _ = write!(
                out,
                "<p>Connections: {} connects, {} reconnects, {} failed attempts, peak {} open; {} deliberate drops, {} unexpected drops, {} slow-consumer, {} other errors; {} bids answered after a reconnect; {} attempts skipped by managers.</p>",
                c.connects,
                c.reconnects,
                c.connect_failures,
                c.peak_open,
                c.deliberate_drops,
                c.unexpected_drops,
                c.slow_consumer,
                c.other_errors,
                c.resolved_after_reconnect,
                c.skipped_attempts
            );
        }
        if !self.series.is_empty() {
            out.push_str("<h2>Latency over time</h2>");
            let xs: Vec<f64> = self.series.iter().map(|p| p.t).collect();
            out.push_str(&line_chart(
                "bid → ack (intended send) and fan-out, ms (log scale)",
                &xs,
                &[
                    ("ack p50", self.series.iter().map(|p| p.ack_p50).collect()),
                    ("ack p99", self.series.iter().map(|p| p.ack_p99).collect()),
                    ("ack max", self.series.iter().map(|p| p.ack_max).collect()),
                    (
                        "fan-out p99",
                        self.series.iter().map(|p| p.fanout_p99).collect(),
                    ),
                ],
                true,
                "s",
            ));
            out.push_str(&line_chart(
                "throughput, bids per second",
                &xs,
                &[
                    ("sent/s", self.series.iter().map(|p| p.sent_per_s).collect()),
                    (
                        "accepted/s",
                        self.series.iter().map(|p| p.accepted_per_s).collect(),
                    ),
                ],
                false,
                "s",
            ));
            let mut names: Vec<String> = self
                .series
                .iter()
                .flat_map(|p| p.cpu.keys().cloned())
                .collect();
            names.sort();
            names.dedup();
            let cpu: Vec<(&str, Vec<f64>)> = names
                .iter()
                .map(|name| {
                    (
                        name.as_str(),
                        self.series
                            .iter()
                            .map(|p| p.cpu.get(name).copied().unwrap_or(0.0))
                            .collect(),
                    )
                })
                .collect();
            if !cpu.is_empty() {
                out.push_str(&line_chart("CPU %, 100 = one core", &xs, &cpu, false, "s"));
            }
        }
        let curves: Vec<(&str, &Vec<(f64, f64)>)> = [
            ("ack (intended)", &self.curves.ack),
            ("ack (sent)", &self.curves.ack_sent),
            ("fan-out, every watcher", &self.curves.fanout),
            ("fan-out, last watcher", &self.curves.fanout_last),
            ("echo baseline", &self.curves.echo),
        ]
        .into_iter()
        .filter(|(_, c)| !c.is_empty())
        .collect();
        if !curves.is_empty() {
            out.push_str("<h2>Latency by percentile</h2>");
            out.push_str(&percentile_chart(&curves));
        }
        if let Some(capacity) = &self.capacity {
            out.push_str("<h2>Capacity steps</h2><table><tr><th>auctions</th><th>managers</th><th>sent/s</th><th>accepted/s</th><th>p50</th><th>p99</th><th>max</th><th>failed</th><th>CPU %</th></tr>");
            for (i, step) in capacity.steps.iter().enumerate() {
                let w = &step.window;
                let _ = write!(
                    out,
                    "<tr><td>{}{}</td><td>{}</td><td>{:.0}</td><td>{:.0}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{}</td><td>{}</td></tr>",
                    step.auctions,
                    if capacity.knee == Some(i) {
                        " (knee)"
                    } else {
                        ""
                    },
                    step.managers,
                    w.sent_per_s,
                    w.accepted_per_s,
                    w.ack.p50,
                    w.ack.p99,
                    w.ack.max,
                    w.failed,
                    esc(&step
                        .cpu
                        .iter()
                        .map(|(k, v)| format!("{k} {v:.0}"))
                        .collect::<Vec<_>>()
                        .join(", "))
                );
            }
            let _ = write!(out, "</table><p>{}</p>", esc(&capacity.stopped_because));
            let xs: Vec<f64> = capacity.steps.iter().map(|s| s.window.sent_per_s).collect();
            out.push_str(&line_chart(
                "p99 and p50 (ms, log) against offered bids/s",
                &xs,
                &[
                    (
                        "p99",
                        capacity.steps.iter().map(|s| s.window.ack.p99).collect(),
                    ),
                    (
                        "p50",
                        capacity.steps.iter().map(|s| s.window.ack.p50).collect(),
                    ),
                ],
                true,
                "bids/s",
            ));
        }
        if let Some(rtt) = &self.rtt {
            let _ = write!(
                out,
                "<h2>Round trips</h2><table><tr><th>path</th><th>count</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>\
                 <tr><td>bid → ack through the gateway</td><td>{}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td></tr>\
                 <tr><td>bare websocket echo</td><td>{}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td></tr></table>",
                rtt.bid.count,
                rtt.bid.p50,
                rtt.bid.p90,
                rtt.bid.p99,
                rtt.bid.p999,
                rtt.bid.max,
                rtt.echo.count,
                rtt.echo.p50,
                rtt.echo.p90,
                rtt.echo.p99,
                rtt.echo.p999,
                rtt.echo.max
            );
        }
        if let Some(f) = &self.footprint {
            let _ = write!(
                out,
                "<h2>Memory footprint</h2><p>{} idle connections: gateway RSS {:.1} → {:.1} MiB, <b>{:.1} KiB per connection</b> (after subscribing each to an auction: {:.1} MiB, {:.1} KiB each; load generator {:.1} KiB per client connection).<br>{} idle auctions (waiting room, nobody watching): node RSS {:.1} → {:.1} MiB, <b>{:.1} KiB per auction</b> ({} live actors reported).</p>",
                f.connections,
                f.gateway_rss_before_mib,
                f.gateway_rss_connected_mib,
                f.kib_per_connection,
                f.gateway_rss_subscribed_mib,
                f.kib_per_subscribed_connection,
                f.client_kib_per_connection,
                f.auctions,
                f.node_rss_before_mib,
                f.node_rss_after_mib,
                f.kib_per_auction,
                f.live_actors
            );
        }
        if !self.processes.is_empty() {
            out.push_str("<h2>Processes</h2><table><tr><th>process</th><th>CPU mean %</th><th>CPU peak %</th><th>RSS start MiB</th><th>RSS peak MiB</th><th>RSS end MiB</th></tr>");
            for p in self.processes.iter().chain(self.load_generator.iter()) {
                let _ = write!(
                    out,
                    "<tr><td>{}</td><td>{:.1}</td><td>{:.1}</td><td>{:.1}</td><td>{:.1}</td><td>{:.1}</td></tr>",
                    esc(&p.name),
                    p.cpu_mean,
                    p.cpu_peak,
                    p.rss_start_mib,
                    p.rss_peak_mib,
                    p.rss_end_mib
                );
            }
            let _ = write!(
                out,
                "</table><p>Whole machine CPU busy: mean {:.0} %, peak {:.0} %.</p>",
                self.machine_busy.0, self.machine_busy.1
            );
        }
        if !self.server_metrics.quantiles.is_empty() || !self.server_metrics.counters.is_empty() {
            out.push_str("<h2>Server metrics (measured phase)</h2><table><tr><th>metric</th><th>value</th></tr>");
            for (name, (p50, p99)) in &self.server_metrics.quantiles {
                let _ = write!(
                    out,
                    "<tr><td>{} p50 / p99 (ms)</td><td>{p50:.2} / {p99:.2}</td></tr>",
                    esc(name)
                );
            }
            for (name, value) in self
                .server_metrics
                .counters
                .iter()
                .chain(self.server_metrics.gauges.iter())
            {
                let _ = write!(out, "<tr><td>{}</td><td>{value:.0}</td></tr>", esc(name));
            }
            out.push_str("</table>");
        }
        for note in &self.notes {
            let _ = write!(out, "<p><i>{}</i></p>", esc(note));
        }
        let _ = write!(
            out,
            "<h2>Scenario</h2><pre>{}</pre></body></html>",
            esc(&serde_json::to_string_pretty(&self.scenario).unwrap_or_default())
        );
        out
    }
}

fn fmt_map(map: &BTreeMap<String, u64>) -> String {
    map.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const COLOURS: &[&str] = &[
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
];

/// A line chart as inline SVG. `log_y`: logarithmic y axis (values ≤ 0 are skipped).
fn line_chart(
    title: &str,
    xs: &[f64],
    series: &[(&str, Vec<f64>)],
    log_y: bool,
    x_unit: &str,
) -> String {
    let (w, h, left, right, top, bottom) = (1000.0, 300.0, 60.0, 170.0, 30.0, 40.0);
    let plot_w = w - left - right;
    let plot_h = h - top - bottom;
    let x_min = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let x_max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (x_min, x_max) = if x_max > x_min {
        (x_min, x_max)
    } else {
        (x_min - 1.0, x_min + 1.0)
    };
    let values: Vec<f64> = series
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .filter(|v| v.is_finite() && (!log_y || *v > 0.0))
        .collect();
    if values.is_empty() {
        return format!("<p>{}: no data</p>", esc(title));
    }
    let (y_min, y_max) = if log_y {
        let lo = values
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min)
            .max(0.01);
        let hi = values.iter().copied().fold(0.0, f64::max).max(lo * 10.0);
        (lo.log10().floor(), hi.log10().ceil())
    } else {
        let hi = values.iter().copied().fold(0.0, f64::max);
        (0.0, if hi > 0.0 { hi * 1.1 } else { 1.0 })
    };
    let tx = |x: f64| left + (x - x_min) / (x_max - x_min) * plot_w;
    let ty = |y: f64| {
        let v = if log_y { y.log10() } else { y };
        top + plot_h - (v - y_min) / (y_max - y_min) * plot_h
    };
    let mut svg = format!(
        "<svg width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"11\">\
         <text x=\"{left}\" y=\"18\" font-size=\"13\" font-weight=\"bold\">{}</text>",
        esc(title)
    );
    // Axes and grid.
    let _ = write!(
        svg,
        "<rect x=\"{left}\" y=\"{top}\" width=\"{plot_w}\" height=\"{plot_h}\" fill=\"none\" stroke=\"#888\"/>"
    );
    let y_ticks: Vec<f64> = if log_y {
        (y_min as i32..=y_max as i32)
            .map(|e| 10f64.powi(e))
            .collect()
    } else {
        (0..=5).map(|i| y_max * f64::from(i) / 5.0).collect()
    };
    for tick in y_ticks {
        let y = ty(tick);
        let _ = write!(
            svg,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#eee\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            left + plot_w,
            left - 4.0,
            y + 4.0,
            fmt_num(tick)
        );
    }
    for i in 0..=5 {
        let x = x_min + (x_max - x_min) * f64::from(i) / 5.0;
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}{}</text>",
            tx(x),
            top + plot_h + 16.0,
            fmt_num(x),
            if i == 5 {
                format!(" {x_unit}")
            } else {
                String::new()
            }
        );
    }
    for (index, (name, ys)) in series.iter().enumerate() {
        let points = xs
            .iter()
            .zip(ys.iter())
            .filter(|(_, y)| y.is_finite() && !(log_y && **y <= 0.0))
            .map(|(x, y)| (tx(*x), ty(*y)));
        push_series(&mut svg, index, name, points, left + plot_w, top);
    }
    svg.push_str("</svg>");
    svg
}

/// One chart line through `points` (already in pixels) and its legend entry to the right of the
/// plot area (`plot_right`), in the `index`-th colour.
fn push_series(
    svg: &mut String,
    index: usize,
    name: &str,
    points: impl Iterator<Item = (f64, f64)>,
    plot_right: f64,
    top: f64,
) {
    let colour = COLOURS[index % COLOURS.len()];
    let mut path = String::new();
    for (x, y) in points {
        let command = if path.is_empty() { 'M' } else { 'L' };
        let _ = write!(path, "{command}{x:.1},{y:.1} ");
    }
    let _ = write!(
        svg,
        "<path d=\"{path}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\"/>\
         <rect x=\"{}\" y=\"{}\" width=\"12\" height=\"3\" fill=\"{colour}\"/><text x=\"{}\" y=\"{}\">{}</text>",
        plot_right + 10.0,
        top + 10.0 + 16.0 * index as f64,
        plot_right + 26.0,
        top + 14.0 + 16.0 * index as f64,
        esc(name)
    );
}

/// The HdrHistogram-style percentile plot: x = percentile on a 1/(1−p) log axis, y = ms (log).
fn percentile_chart(curves: &[(&str, &Vec<(f64, f64)>)]) -> String {
    let (w, h, left, right, top, bottom) = (1000.0, 340.0, 60.0, 190.0, 30.0, 40.0);
    let plot_w = w - left - right;
    let plot_h = h - top - bottom;
    let x_of = |percentile: f64| {
        let rest = (1.0 - percentile / 100.0).max(1e-5);
        (1.0 / rest).log10()
    };
    let x_max = 5.0;
    let values: Vec<f64> = curves
        .iter()
        .flat_map(|(_, c)| c.iter().map(|(_, v)| *v))
        .filter(|v| *v > 0.0)
        .collect();
    if values.is_empty() {
        return String::new();
    }
    let lo = values
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min)
        .max(0.01);
    let hi = values.iter().copied().fold(0.0, f64::max).max(lo * 10.0);
    let (y_min, y_max) = (lo.log10().floor(), hi.log10().ceil());
    let tx = |p: f64| left + x_of(p).min(x_max) / x_max * plot_w;
    let ty = |v: f64| top + plot_h - (v.max(lo).log10() - y_min) / (y_max - y_min) * plot_h;
    let mut svg = format!(
        "<svg width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"11\">\
         <text x=\"{left}\" y=\"18\" font-size=\"13\" font-weight=\"bold\">latency (ms, log) by percentile</text>\
         <rect x=\"{left}\" y=\"{top}\" width=\"{plot_w}\" height=\"{plot_h}\" fill=\"none\" stroke=\"#888\"/>"
    );
    for (label, p) in [
        ("0%", 0.0),
        ("90%", 90.0),
        ("99%", 99.0),
        ("99.9%", 99.9),
        ("99.99%", 99.99),
        ("99.999%", 99.999),
    ] {
        let x = tx(p);
        let _ = write!(
            svg,
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{top}\" y2=\"{}\" stroke=\"#eee\"/><text x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\">{label}</text>",
            top + plot_h,
            top + plot_h + 16.0
        );
    }
    for e in y_min as i32..=y_max as i32 {
        let v = 10f64.powi(e);
        let y = ty(v);
        let _ = write!(
            svg,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#eee\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            left + plot_w,
            left - 4.0,
            y + 4.0,
            fmt_num(v)
        );
    }
    for (index, (name, curve)) in curves.iter().enumerate() {
        let points = curve.iter().map(|(p, v)| (tx(*p), ty(*v)));
        push_series(&mut svg, index, name, points, left + plot_w, top);
    }
    svg.push_str("</svg>");
    svg
}

fn fmt_num(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// Whether a scenario kind has a bidding phase.
pub fn has_bidding(kind: Kind) -> bool {
    matches!(kind, Kind::Load | Kind::Capacity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_series_is_one_path_and_one_legend_entry_in_its_colour() {
        let mut svg = String::new();
        push_series(
            &mut svg,
            1,
            "p99 <ack>",
            [(1.0, 2.0), (3.25, 4.0)].into_iter(),
            100.0,
            20.0,
        );
        let colour = COLOURS[1];
        assert!(svg.contains("d=\"M1.0,2.0 L3.2,4.0 \""), "{svg}");
        assert!(svg.contains(&format!("stroke=\"{colour}\"")), "{svg}");
        assert!(svg.contains("<rect x=\"110\" y=\"46\""), "{svg}");
        assert!(svg.contains(">p99 &lt;ack&gt;</text>"), "{svg}");
    }
}
