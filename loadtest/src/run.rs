//! Running a scenario: start (or reach) a deployment, create and begin auctions, connect the
//! simulated people in paced waves, warm up, measure, drain, run the echo baseline, and build the
//! report.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use auction::{AuctionId, LotNumber, Money, UserId};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use protocol::client::{AuctionCommand, ClientFrame, ServerFrame};
use protocol::codec::Encoding;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::client::{Client, answers};
use crate::clock::now_us;
use crate::deploy::{
    self, Deployment, Exposition, LocalConfig, ProcTracker, ServerProcess, bucket_quantile,
    proc_sample,
};
use crate::report::{
    CapacityReport, ConnReport, Curves, EchoReport, FootprintReport, RttReport, RunReport,
    ServerMetrics, StepReport,
};
use crate::scenario::{EncodingChoice, Kind, MAX_MANAGERS_PER_AUCTION, Scenario};
use crate::setup::{INCREMENT, Tokens, auction_setup, begin_auctions, create_auctions, user_id};
use crate::sim::{self, Ctx, EchoStats, ManagerPlan, Pacer, SpectatorPlan};
use crate::stats::{IntervalPoint, Summary, percentile_curve};

/// Where to run and what to change in the scenario.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Command line, for the report.
    pub command: String,
    /// Gateway websocket URLs of an existing deployment (empty: start one).
    pub targets: Vec<String>,
    /// JWT secret of an existing deployment.
    pub jwt_secret: Option<String>,
    /// Processes of an existing deployment to watch: (name, pid, metrics URL).
    pub watch: Vec<(String, u32, Option<String>)>,
    /// Binaries for a local deployment.
    pub bin_dir: PathBuf,
    /// Nodes of a local deployment.
    pub nodes: u32,
    /// Gateways of a local deployment.
    pub gateways: u32,
    /// Where reports (and the local deployment's files) go.
    pub out_dir: PathBuf,
    /// Show a progress bar.
    pub progress: bool,
    /// `RUST_LOG` of local servers.
    pub server_log: String,
}

/// Open-file limit: raise the soft limit to the hard one (10,000 websockets need 10,000 fds).
pub fn raise_fd_limit() -> (u64, u64) {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok((soft, hard)) => {
            if soft < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
                return (hard, hard);
            }
            (soft, hard)
        }
        Err(_) => (0, 0),
    }
}

fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

fn progress_bar(enabled: bool, len: u64, prefix: &str) -> ProgressBar {
    let bar = if enabled {
        ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix:>10} [{elapsed_precise}] [{bar:30}] {pos}/{len} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_prefix(prefix.to_string());
    bar
}

fn encoding_for(choice: EncodingChoice, index: usize, spectator: bool) -> Encoding {
    match choice {
        EncodingChoice::Msgpack => Encoding::MessagePack,
        EncodingChoice::Json => Encoding::Json,
        EncodingChoice::Mixed if spectator => {
            if index.is_multiple_of(2) {
                Encoding::Json
            } else {
                Encoding::MessagePack
            }
        }
        EncodingChoice::Mixed => {
            if index.is_multiple_of(2) {
                Encoding::MessagePack
            } else {
                Encoding::Json
            }
        }
    }
}

/// Run a scenario and build its report.
pub async fn run(scenario: Scenario, options: RunOptions) -> anyhow::Result<RunReport> {
    scenario.validate().map_err(anyhow::Error::msg)?;
    let (fd_soft, _) = raise_fd_limit();
    let needed = u64::from(scenario.managers + scenario.spectators + scenario.samples) + 256;
    if fd_soft > 0 && fd_soft < needed {
        bail!(
            "the open-file limit is {fd_soft}, but this scenario needs about {needed} \
             descriptors: raise it (ulimit -n)"
        );
    }
    let load_before = deploy::load_average();
    let started_at = utc_now();
    let tag = format!("lt{:06x}", rand::random::<u32>() & 0x00ff_ffff);
    std::fs::create_dir_all(&options.out_dir)?;
    let mut deployment = if options.targets.is_empty() {
        let dir = options.out_dir.join(format!("{}-{tag}", scenario.name));
        eprintln!(
            "starting a local deployment ({} node(s), {} gateway(s)) from {} in {}",
            options.nodes,
            options.gateways,
            options.bin_dir.display(),
            dir.display()
        );
        Deployment::start(&LocalConfig {
            bin_dir: options.bin_dir.clone(),
            dir,
            nodes: options.nodes,
            gateways: options.gateways,
            commands_per_minute: scenario.commands_per_minute,
            command_burst: scenario.command_burst,
            rust_log: options.server_log.clone(),
        })
        .await?
    } else {
        let secret = options
            .jwt_secret
            .clone()
            .context("--jwt-secret (or AUCTION_JWT_SECRET) is needed to sign in to a target")?;
        let watch = options
            .watch
            .iter()
            .map(|(name, pid, metrics)| ServerProcess::external(name, *pid, metrics.clone()))
            .collect();
        Deployment::external(&options.targets, secret, watch)?
    };
    let topology = if deployment.local {
        format!(
            "local deployment: 1 store-server, {} node(s), {} gateway(s), load generator in the \
             same machine",
            options.nodes, options.gateways
        )
    } else {
        format!("target {}", deployment.ws_urls.join(", "))
    };
    let tokens = Tokens::new(&deployment.jwt_secret)?;
    let mut report = RunReport {
        tool: format!("loadtest {}", env!("CARGO_PKG_VERSION")),
        command: options.command.clone(),
        started_at,
        scenario: scenario.clone(),
        cores: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        load_before,
        load_after: String::new(),
        local_deployment: deployment.local,
        targets: deployment.ws_urls.clone(),
        topology,
        managers: 0,
        spectators: 0,
        auctions: 0,
        main: None,
        fanout_completeness: Default::default(),
        connections: ConnReport::default(),
        series: Vec::new(),
        curves: Curves::default(),
        processes: Vec::new(),
        load_generator: None,
        machine_busy: (0.0, 0.0),
        server_metrics: ServerMetrics::default(),
        echo: None,
        capacity: None,
        rtt: None,
        footprint: None,
        verdicts: Vec::new(),
        notes: Vec::new(),
    };
    let outcome = match scenario.kind {
        Kind::Load | Kind::Capacity => {
            run_bidding(&scenario, &options, &deployment, &tokens, &tag, &mut report).await
        }
        Kind::RoundTrip => run_rtt(&scenario, &deployment, &tokens, &tag, &mut report).await,
        Kind::Footprint => {
            run_footprint(&scenario, &options, &deployment, &tokens, &tag, &mut report).await
        }
    };
    let dead: Vec<String> = deployment
        .processes
        .iter_mut()
        .filter_map(|p| (!p.alive()).then(|| p.name.clone()))
        .collect();
    for name in &dead {
        report.notes.push(format!(
            "{name} exited during the run; its log ends:\n{}",
            deployment.log_tail(name, 15)
        ));
    }
    deployment.stop();
    outcome?;
    report.load_after = deploy::load_average();
    report.judge();
    Ok(report)
}

/// Everything started for the bidding phase.
struct Population {
    auctions: Vec<AuctionId>,
    commissioners: Vec<String>,
    managers: u32,
    spectators: u32,
    tasks: Vec<JoinHandle<()>>,
    next_manager: usize,
}

#[allow(clippy::too_many_arguments)]
async fn add_auctions(
    ctx: &Arc<Ctx>,
    scenario: &Scenario,
    deployment: &Deployment,
    tokens: &Tokens,
    count: u32,
    managers_of: &dyn Fn(u32) -> u32,
    pool: u32,
    population: &mut Population,
    progress: bool,
) -> anyhow::Result<()> {
    let first = population.auctions.len() as u32;
    let mut setups = Vec::new();
    let mut plans = Vec::new();
    let mut rng = StdRng::seed_from_u64(u64::from(first) * 7_919 + 17);
    for i in first..first + count {
        let auction_id = AuctionId::try_new(format!("{}-a{i}", ctx.tag))?;
        let commissioner = user_id(&format!("{}-a{i}-c", ctx.tag));
        let managers: Vec<UserId> = (0..managers_of(i))
            .map(|j| user_id(&format!("{}-a{i}-m{j}", ctx.tag)))
            .collect();
        let commissioner_token = tokens.token(&commissioner, "Commissioner")?;
        setups.push((
            auction_setup(
                &auction_id,
                &commissioner,
                &managers,
                &scenario.league,
                pool,
            ),
            commissioner_token.clone(),
        ));
        for manager in &managers {
            let index = population.next_manager;
            population.next_manager += 1;
            plans.push(ManagerPlan {
                auction_index: i as usize,
                auction_id: auction_id.clone(),
                user: manager.clone(),
                token: tokens.token(manager, manager.as_str())?,
                url: deployment.ws_urls[index % deployment.ws_urls.len()].clone(),
                encoding: encoding_for(scenario.encoding, index, false),
                sniper: rng.random::<f64>() < ctx.behaviour.sniper_share,
                seed: rng.random(),
            });
        }
        population.auctions.push(auction_id);
        population.commissioners.push(commissioner_token);
    }
    let bar = progress_bar(progress, u64::from(count), "create");
    create_auctions(&deployment.http_urls, setups, 8, |done| {
        bar.set_position(done as u64)
    })
    .await?;
    bar.finish_and_clear();
    population.managers += plans.len() as u32;
    for plan in plans {
        population
            .tasks
            .push(tokio::spawn(sim::manager(ctx.clone(), plan)));
    }
    Ok(())
}

fn add_spectators(
    ctx: &Arc<Ctx>,
    scenario: &Scenario,
    deployment: &Deployment,
    tokens: &Tokens,
    population: &mut Population,
) -> anyhow::Result<()> {
    let watched = scenario
        .spectator_auctions
        .min(population.auctions.len() as u32)
        .max(1) as usize;
    let mut rng = StdRng::seed_from_u64(4_242);
    for k in 0..scenario.spectators as usize {
        let auction_index = k % watched;
        let user = user_id(&format!("{}-s{k}", ctx.tag));
        let plan = SpectatorPlan {
            auction_index,
            auction_id: population.auctions[auction_index].clone(),
            token: tokens.token(&user, "Spectator")?,
            url: deployment.ws_urls[k % deployment.ws_urls.len()].clone(),
            encoding: encoding_for(scenario.encoding, k, true),
            seed: rng.random(),
        };
        population
            .tasks
            .push(tokio::spawn(sim::spectator(ctx.clone(), plan)));
    }
    population.spectators += scenario.spectators;
    Ok(())
}

async fn wait_connected(ctx: &Ctx, expected: u64, progress: bool) -> anyhow::Result<()> {
    let bar = progress_bar(progress, expected, "connect");
    let deadline = Instant::now() + Duration::from_secs(60 + expected / 50);
    loop {
        // Everybody connected at least once (some may be offline again: drops have begun).
        let open = ctx.stats.conns.first_connects.load(Ordering::Relaxed);
        bar.set_position(open.min(expected));
        if open >= expected {
            break;
        }
        if Instant::now() >= deadline {
            bar.finish_and_clear();
            bail!(
                "only {open} of {expected} connections opened in time ({} connect failures)",
                ctx.stats.conns.connect_failures.load(Ordering::Relaxed)
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bar.finish_and_clear();
    Ok(())
}

async fn begin(
    deployment: &Deployment,
    population: &Population,
    from: usize,
    progress: bool,
) -> anyhow::Result<()> {
    let items: Vec<(AuctionId, String)> = population.auctions[from..]
        .iter()
        .cloned()
        .zip(population.commissioners[from..].iter().cloned())
        .collect();
    let bar = progress_bar(progress, items.len() as u64, "begin");
    begin_auctions(&deployment.ws_urls[0], &items, |done| {
        bar.set_position(done as u64)
    })
    .await?;
    bar.finish_and_clear();
    Ok(())
}

async fn scrape_all(deployment: &Deployment) -> Vec<(String, Exposition)> {
    let http = match reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
    {
        Ok(http) => http,
        Err(_) => return Vec::new(),
    };
    let mut out = Vec::new();
    for process in &deployment.processes {
        if let Some(url) = &process.metrics
            && let Some(exposition) = deploy::scrape(&http, url).await
        {
            out.push((process.name.clone(), exposition));
        }
    }
    out
}

fn server_metrics(
    before: &[(String, Exposition)],
    after: &[(String, Exposition)],
) -> ServerMetrics {
    let mut metrics = ServerMetrics::default();
    type Filter = &'static [(&'static str, &'static str)];
    let histograms: &[(&str, Filter, &str)] = &[
        (
            "gateway_command_seconds",
            &[("command", "bid")],
            "gateway: bid command",
        ),
        (
            "auction_command_seconds",
            &[("command", "bid")],
            "node: bid command",
        ),
        (
            "gateway_fanout_seconds",
            &[],
            "gateway: fan-out of one batch",
        ),
        ("store_append_seconds", &[], "store append"),
    ];
    let counters = [
        "gateway_commands_total",
        "gateway_rate_limited_total",
        "gateway_slow_consumers_total",
        "gateway_sequence_gaps_total",
        "gateway_frames_sent_total",
        "gateway_errors_total",
        "gateway_redirects_total",
        "auction_commands_total",
        "auction_deliveries_dropped_total",
        "auction_actor_failures_total",
        "store_requests_total",
    ];
    for (name, after_exp) in after {
        let before_exp = before
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, e)| e.clone())
            .unwrap_or_default();
        for (metric, filter, label) in histograms {
            let b = before_exp.buckets(metric, filter);
            let a = after_exp.buckets(metric, filter);
            if a.is_empty() {
                continue;
            }
            if let (Some(p50), Some(p99)) =
                (bucket_quantile(&b, &a, 0.5), bucket_quantile(&b, &a, 0.99))
            {
                metrics
                    .quantiles
                    .insert(format!("{name}: {label}"), (p50 * 1000.0, p99 * 1000.0));
            }
        }
        for counter in counters {
            let outcomes = after_exp.label_values(counter, "outcome");
            if outcomes.is_empty() {
                let delta = after_exp.sum(counter, &[]) - before_exp.sum(counter, &[]);
                if delta != 0.0 {
                    metrics.counters.insert(format!("{name}: {counter}"), delta);
                }
            } else {
                for outcome in outcomes {
                    let filter = [("outcome", outcome.as_str())];
                    let delta = after_exp.sum(counter, &filter) - before_exp.sum(counter, &filter);
                    if delta != 0.0 {
                        metrics
                            .counters
                            .insert(format!("{name}: {counter}{{outcome={outcome}}}"), delta);
                    }
                }
            }
        }
        for gauge in ["auction_live_actors", "gateway_connections", "gateway_hubs"] {
            let value = after_exp.sum(gauge, &[]);
            if value != 0.0 {
                metrics.gauges.insert(gauge.to_string(), value);
                metrics.gauges.insert(format!("{name}: {gauge}"), value);
            }
        }
    }
    metrics
}

fn tracker_for(deployment: &Deployment) -> ProcTracker {
    let mut processes: Vec<(String, u32)> = deployment
        .processes
        .iter()
        .map(|p| (p.name.clone(), p.pid))
        .collect();
    processes.push(("load generator".into(), std::process::id()));
    ProcTracker::new(processes)
}

fn split_generator(report: &mut RunReport, tracker: &ProcTracker) {
    let mut processes = tracker.report();
    if let Some(index) = processes.iter().position(|p| p.name == "load generator") {
        report.load_generator = Some(processes.remove(index));
    }
    report.processes = processes;
    let busy = &tracker.machine_busy;
    if !busy.is_empty() {
        report.machine_busy = (
            busy.iter().sum::<f64>() / busy.len() as f64,
            busy.iter().copied().fold(0.0, f64::max),
        );
    }
}

/// Sweep fan-out tracks older than `age` into the last-watcher histogram.
fn sweep(ctx: &Ctx, age: Duration) {
    let before = now_us().saturating_sub(age.as_micros() as u64);
    for (max_us, receipts, expected) in ctx.book.sweep(before) {
        ctx.stats.fanout_last(max_us, receipts, expected);
    }
}

fn interval_point(ctx: &Ctx, t: f64, seconds: f64, tracker: &mut ProcTracker) -> IntervalPoint {
    let window = ctx.stats.take_interval();
    let summary = window.report(seconds);
    let (cpu, rss) = tracker.sample();
    IntervalPoint {
        t,
        sent_per_s: summary.sent_per_s,
        accepted_per_s: summary.accepted_per_s,
        failed: summary.failed,
        ack_p50: summary.ack.p50,
        ack_p99: summary.ack.p99,
        ack_max: summary.ack.max,
        fanout_p99: summary.fanout.p99,
        connections: ctx.stats.conns.open.load(Ordering::Relaxed),
        cpu,
        rss_mib: rss,
    }
}

async fn run_bidding(
    scenario: &Scenario,
    options: &RunOptions,
    deployment: &Deployment,
    tokens: &Tokens,
    tag: &str,
    report: &mut RunReport,
) -> anyhow::Result<()> {
    let capacity = scenario.kind == Kind::Capacity;
    let plan = scenario.capacity.clone();
    let total_auctions = match &plan {
        Some(plan) => plan.steps.iter().copied().max().unwrap_or(1),
        None => scenario.auctions,
    } as usize;
    let run_seconds = match &plan {
        Some(plan) => (plan.step_s + scenario.warmup_s + 30) * plan.steps.len() as u64,
        None => scenario.duration_s + scenario.warmup_s + 60,
    };
    let pool = scenario.pool_size(run_seconds);
    let ctx = Arc::new(
        Ctx::new(
            tag.to_string(),
            total_auctions,
            scenario.behaviour.clone(),
            scenario.connect_rate,
        )
        .with_auctions(total_auctions),
    );
    let mut population = Population {
        auctions: Vec::new(),
        commissioners: Vec::new(),
        managers: 0,
        spectators: 0,
        tasks: Vec::new(),
        next_manager: 0,
    };
    let mut tracker = tracker_for(deployment);
    let mut peak_open = 0u64;
    if !capacity {
        let managers_of = |i: u32| scenario.managers_of(i);
        add_auctions(
            &ctx,
            scenario,
            deployment,
            tokens,
            scenario.auctions,
            &managers_of,
            pool,
            &mut population,
            options.progress,
        )
        .await?;
        add_spectators(&ctx, scenario, deployment, tokens, &mut population)?;
        wait_connected(
            &ctx,
            u64::from(population.managers + population.spectators),
            options.progress,
        )
        .await?;
        begin(deployment, &population, 0, options.progress).await?;
        eprintln!(
            "{} managers in {} auctions and {} spectators connected; warming up {} s",
            population.managers,
            population.auctions.len(),
            population.spectators,
            scenario.warmup_s
        );
        tokio::time::sleep(Duration::from_secs(scenario.warmup_s)).await;
        sweep(&ctx, Duration::ZERO);
        let before = scrape_all(deployment).await;
        ctx.stats.set_recording(true);
        tracker.restart();
        let interval_s = if scenario.duration_s <= 600 {
            1
        } else {
            scenario.duration_s / 600
        };
        let bar = progress_bar(options.progress, scenario.duration_s, "measure");
        let start = Instant::now();
        let mut ticker = tokio::time::interval_at(
            start + Duration::from_secs(interval_s),
            Duration::from_secs(interval_s),
        );
        let mut last = start;
        loop {
            ticker.tick().await;
            let now = Instant::now();
            sweep(&ctx, Duration::from_secs(10));
            let t = now.duration_since(start).as_secs_f64();
            let point = interval_point(
                &ctx,
                t,
                now.duration_since(last).as_secs_f64(),
                &mut tracker,
            );
            last = now;
            peak_open = peak_open.max(point.connections);
            bar.set_position((t as u64).min(scenario.duration_s));
            bar.set_message(format!(
                "{:.0} bids/s, {:.0} acc/s, ack p99 {:.1} ms, fan-out p99 {:.1} ms, {} conns",
                point.sent_per_s,
                point.accepted_per_s,
                point.ack_p99,
                point.fanout_p99,
                point.connections
            ));
            report.series.push(point);
            if now.duration_since(start) >= Duration::from_secs(scenario.duration_s) {
                break;
            }
        }
        bar.finish_and_clear();
        let measured = start.elapsed().as_secs_f64();
        finish_bidding(
            &ctx,
            deployment,
            &before,
            report,
            &mut tracker,
            measured,
            peak_open,
        )
        .await;
        report.managers = u64::from(population.managers);
        report.spectators = u64::from(population.spectators);
        report.auctions = population.auctions.len() as u64;
    } else if let Some(plan) = plan {
        let mut capacity_report = CapacityReport {
            p99_limit_ms: plan.p99_limit_ms,
            ..CapacityReport::default()
        };
        let before = scrape_all(deployment).await;
        ctx.stats.set_recording(true);
        tracker.restart();
        let start = Instant::now();
        let mut stopped = "every step stayed within the limit".to_string();
        for &step in &plan.steps {
            let have = population.auctions.len() as u32;
            if step > have {
                let managers_of = |_: u32| MAX_MANAGERS_PER_AUCTION;
                let from = population.auctions.len();
                add_auctions(
                    &ctx,
                    scenario,
                    deployment,
                    tokens,
                    step - have,
                    &managers_of,
                    pool,
                    &mut population,
                    options.progress,
                )
                .await?;
                wait_connected(&ctx, u64::from(population.managers), options.progress).await?;
                begin(deployment, &population, from, options.progress).await?;
            }
            tokio::time::sleep(Duration::from_secs(scenario.warmup_s)).await;
            let _ = ctx.stats.take_step();
            let _ = ctx.stats.take_interval();
            tracker.sample();
            let bar = progress_bar(options.progress, plan.step_s, &format!("{step} auct"));
            let step_start = Instant::now();
            let mut cpu_sum: BTreeMap<String, f64> = BTreeMap::new();
            let mut samples = 0.0f64;
            let mut last = step_start;
            while step_start.elapsed() < Duration::from_secs(plan.step_s) {
                tokio::time::sleep(Duration::from_secs(1)).await;
                sweep(&ctx, Duration::from_secs(10));
                let now = Instant::now();
                let point = interval_point(
                    &ctx,
                    now.duration_since(start).as_secs_f64(),
                    now.duration_since(last).as_secs_f64(),
                    &mut tracker,
                );
                last = now;
                for (name, value) in &point.cpu {
                    *cpu_sum.entry(name.clone()).or_default() += value;
                }
                samples += 1.0;
                peak_open = peak_open.max(point.connections);
                bar.set_position(step_start.elapsed().as_secs().min(plan.step_s));
                bar.set_message(format!(
                    "{:.0} bids/s, ack p99 {:.1} ms",
                    point.sent_per_s, point.ack_p99
                ));
                report.series.push(point);
            }
            bar.finish_and_clear();
            let window = ctx
                .stats
                .take_step()
                .report(step_start.elapsed().as_secs_f64());
            let cpu = cpu_sum
                .into_iter()
                .map(|(name, sum)| (name, sum / samples.max(1.0)))
                .collect();
            let over = window.ack.p99 > plan.p99_limit_ms;
            let failed = window.failed > 0;
            eprintln!(
                "step {step} auctions: {:.0} bids/s sent, {:.0} accepted/s, ack p50 {:.2} ms p99 \
                 {:.2} ms, {} failed",
                window.sent_per_s,
                window.accepted_per_s,
                window.ack.p50,
                window.ack.p99,
                window.failed
            );
            capacity_report.steps.push(StepReport {
                auctions: step,
                managers: population.managers,
                window,
                cpu,
            });
            if over || failed {
                stopped = format!(
                    "stopped at {step} auctions: {}",
                    if over {
                        format!("bid-ack p99 above {} ms", plan.p99_limit_ms)
                    } else {
                        "bids failed".to_string()
                    }
                );
                break;
            }
            capacity_report.knee = Some(capacity_report.steps.len() - 1);
        }
        capacity_report.stopped_because = stopped;
        let measured = start.elapsed().as_secs_f64();
        finish_bidding(
            &ctx,
            deployment,
            &before,
            report,
            &mut tracker,
            measured,
            peak_open,
        )
        .await;
        report.capacity = Some(capacity_report);
        report.managers = u64::from(population.managers);
        report.auctions = population.auctions.len() as u64;
    }
    // Everybody leaves.
    ctx.shutdown.cancel();
    for task in population.tasks.drain(..) {
        let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
    }
    if scenario.echo
        && let Some(main) = report.main.clone()
        && population.managers > 0
    {
        let rate = (main.sent_per_s / f64::from(population.managers)).max(0.01);
        report.echo = Some(
            echo_baseline(
                population.managers as usize,
                rate,
                scenario.echo_s,
                scenario.encoding,
                scenario.connect_rate,
                options.progress,
            )
            .await?,
        );
        if let Some(echo) = &report.echo {
            report.curves.echo = echo_curve(echo);
        }
    }
    Ok(())
}

fn echo_curve(echo: &EchoReport) -> Vec<(f64, f64)> {
    let s = &echo.latency;
    if s.count == 0 {
        return Vec::new();
    }
    vec![
        (50.0, s.p50),
        (90.0, s.p90),
        (95.0, s.p95),
        (99.0, s.p99),
        (99.9, s.p999),
        (100.0, s.max),
    ]
}

async fn finish_bidding(
    ctx: &Arc<Ctx>,
    deployment: &Deployment,
    before: &[(String, Exposition)],
    report: &mut RunReport,
    tracker: &mut ProcTracker,
    measured: f64,
    peak_open: u64,
) {
    // No new attempts; wait for the answers to those in flight (each times out on its own).
    ctx.stop_bidding.cancel();
    let drain_deadline = Instant::now() + ctx.answer_timeout + Duration::from_secs(3);
    while ctx.pending.load(Ordering::Relaxed) > 0 && Instant::now() < drain_deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Let the last events reach every watcher, then close the fan-out books.
    tokio::time::sleep(Duration::from_secs(2)).await;
    sweep(ctx, Duration::ZERO);
    let after = scrape_all(deployment).await;
    split_generator(report, tracker);
    ctx.stats.set_recording(false);
    let total = ctx.stats.total();
    let mut main = total.report(measured);
    // Rates are over the measured time, not the drain.
    main.seconds = measured;
    report.curves.ack = percentile_curve(&total.ack);
    report.curves.ack_sent = percentile_curve(&total.ack_sent);
    report.curves.fanout = percentile_curve(&total.fanout);
    report.curves.fanout_last = percentile_curve(&total.fanout_last);
    report.main = Some(main);
    report.fanout_completeness = ctx.stats.completeness();
    report.server_metrics = server_metrics(before, &after);
    let c = &ctx.stats.conns;
    let get = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    report.connections = ConnReport {
        connects: get(&c.connects),
        reconnects: get(&c.reconnects),
        connect_failures: get(&c.connect_failures),
        deliberate_drops: get(&c.deliberate_drops),
        unexpected_drops: get(&c.unexpected_drops),
        slow_consumer: get(&c.slow_consumer),
        other_errors: get(&c.other_errors),
        resolved_after_reconnect: get(&c.resolved_after_reconnect),
        skipped_attempts: get(&c.skipped),
        late_answers: get(&c.late_answers),
        peak_open,
    };
}

/// Start `loadtest echo-server` as a separate process (as the gateway is) and return its
/// websocket URL.
async fn start_echo_server() -> anyhow::Result<(ServerProcessGuard, String)> {
    use tokio::io::AsyncBufReadExt;
    let exe = std::env::current_exe()?;
    let mut child = tokio::process::Command::new(exe)
        .args(["echo-server", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let stdout = child.stdout.take().context("echo server stdout")?;
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .context("the echo server did not start")??
        .context("the echo server said nothing")?;
    let address = line
        .strip_prefix("listening on ")
        .context("unexpected echo server output")?
        .trim()
        .to_string();
    Ok((ServerProcessGuard { child }, format!("ws://{address}/ws")))
}

struct ServerProcessGuard {
    child: tokio::process::Child,
}

impl ServerProcessGuard {
    fn pid(&self) -> u32 {
        self.child.id().unwrap_or(0)
    }
}

async fn echo_baseline(
    connections: usize,
    rate_per_connection: f64,
    seconds: u64,
    encoding: EncodingChoice,
    connect_rate: u32,
    progress: bool,
) -> anyhow::Result<EchoReport> {
    let (server, url) = start_echo_server().await?;
    let pacer = Arc::new(Pacer::new(connect_rate));
    let stats = Arc::new(Mutex::new(EchoStats::default()));
    let connect_time = connections as f64 / f64::from(connect_rate.max(1));
    let until = now_us() + ((connect_time + 2.0 + seconds as f64) * 1e6) as u64;
    let mut tracker = ProcTracker::new(vec![("echo server".into(), server.pid())]);
    tracker.restart();
    let bar = progress_bar(progress, seconds, "echo");
    let mut tasks = Vec::new();
    for i in 0..connections {
        tasks.push(tokio::spawn(sim::echo_client(
            url.clone(),
            encoding_for(encoding, i, false),
            rate_per_connection,
            until,
            i as u64 + 99,
            pacer.clone(),
            stats.clone(),
        )));
    }
    // Only the steady part counts: discard what was recorded while connecting.
    tokio::time::sleep(Duration::from_secs_f64(connect_time + 2.0)).await;
    {
        let mut s = stats.lock().unwrap_or_else(|p| p.into_inner());
        s.intended.reset();
        s.sent.reset();
        s.echoed = 0;
        s.sent_count = 0;
    }
    tracker.restart();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(seconds) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        tracker.sample();
        bar.set_position(start.elapsed().as_secs().min(seconds));
    }
    bar.finish_and_clear();
    let measured = start.elapsed().as_secs_f64();
    for task in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
    }
    let process = tracker.report().into_iter().next();
    drop(server);
    let s = stats.lock().unwrap_or_else(|p| p.into_inner());
    Ok(EchoReport {
        connections: connections as u64,
        rate_per_s: rate_per_connection * connections as f64,
        seconds: measured,
        sent: s.sent_count,
        echoed: s.echoed,
        errors: s.errors,
        latency: Summary::of(&s.intended),
        latency_sent: Summary::of(&s.sent),
        process,
    })
}

/// The open lot as one client last saw it.
#[derive(Debug, Default, Clone, Copy)]
struct SeenLot {
    lot: Option<LotNumber>,
    min_next: Money,
}

fn observe(seen: &mut SeenLot, frame: &ServerFrame) {
    let lot = match frame {
        ServerFrame::Snapshot { view, .. } => view.lot.clone(),
        ServerFrame::Events { events, .. } => events.last().and_then(|e| e.lot.clone()),
        _ => return,
    };
    if let Some(lot) = lot {
        seen.lot = Some(lot.lot);
        seen.min_next = lot.min_next_bid;
    }
}

async fn run_rtt(
    scenario: &Scenario,
    deployment: &Deployment,
    tokens: &Tokens,
    tag: &str,
    report: &mut RunReport,
) -> anyhow::Result<()> {
    let auction_id = AuctionId::try_new(format!("{tag}-rtt"))?;
    let commissioner = user_id(&format!("{tag}-rtt-c"));
    let managers = [
        user_id(&format!("{tag}-rtt-m0")),
        user_id(&format!("{tag}-rtt-m1")),
    ];
    let setup = auction_setup(&auction_id, &commissioner, &managers, &scenario.league, 20);
    let commissioner_token = tokens.token(&commissioner, "Commissioner")?;
    create_auctions(
        &deployment.http_urls,
        vec![(setup, commissioner_token.clone())],
        1,
        |_| {},
    )
    .await?;
    let url = &deployment.ws_urls[0];
    let mut clients = Vec::new();
    for manager in &managers {
        let mut client = Client::connect_small(url, Encoding::MessagePack).await?;
        client
            .hello(
                &tokens.token(manager, manager.as_str())?,
                Duration::from_secs(10),
            )
            .await?;
        if scenario.rtt_subscribed || clients.is_empty() {
            // The first bidder always watches: it needs to see the lot open.
            client
                .send(&ClientFrame::Subscribe {
                    auction_id: auction_id.clone(),
                    after_seq: None,
                })
                .await?;
        }
        clients.push(client);
    }
    begin_auctions(url, &[(auction_id.clone(), commissioner_token)], |_| {}).await?;
    // Wait until the first lot is open.
    let mut seen = SeenLot::default();
    let deadline = Instant::now() + Duration::from_secs(20);
    while seen.lot.is_none() {
        if Instant::now() >= deadline {
            bail!("no lot opened within 20 s");
        }
        if let Ok(frame) = clients[0].recv(Duration::from_millis(200)).await {
            observe(&mut seen, &frame);
        }
    }
    if !scenario.rtt_subscribed {
        clients[0]
            .send(&ClientFrame::Unsubscribe {
                auction_id: auction_id.clone(),
            })
            .await?;
        // Let frames already on their way arrive (and be skipped).
        while clients[0].recv(Duration::from_millis(300)).await.is_ok() {}
    }
    let (echo_server, echo_url) = start_echo_server().await?;
    let mut echo = Client::connect_small(&echo_url, Encoding::MessagePack).await?;
    let histogram = || hdrhistogram::Histogram::<u64>::new_with_bounds(1, 600_000_000, 3);
    let mut bid_h = histogram()?;
    let mut echo_h = histogram()?;
    let mut not_accepted = 0u64;
    let mut not_accepted_by = BTreeMap::new();
    let total = u64::from(scenario.samples.max(4));
    let blocks = 4;
    let per_block = total / blocks;
    let mut amount = seen.min_next;
    let lot = seen.lot.unwrap_or(LotNumber(1));
    let mut request = 0u64;
    let warmup = 50;
    let before = scrape_all(deployment).await;
    for block in 0..blocks {
        // Echo block.
        for i in 0..per_block + if block == 0 { warmup } else { 0 } {
            request += 1;
            let start = now_us();
            echo.send(&sim::sample_bid(request, &auction_id)).await?;
            echo.next_frame()
                .await
                .context("the echo server closed")??;
            if block > 0 || i >= warmup {
                let _ = echo_h.record((now_us() - start).max(1));
            }
        }
        // Bid block: the two managers outbid each other, one bid at a time.
        for i in 0..per_block + if block == 0 { warmup } else { 0 } {
            let who = (i % 2) as usize;
            let client = &mut clients[who];
            let key = auction::IdempotencyKey::try_new(format!("{tag}-rtt-{block}-{i}"))?;
            let start = now_us();
            let request_id = client
                .command(&auction_id, AuctionCommand::Bid { lot, amount, key })
                .await?;
            let mut latest = seen;
            let answer = client
                .recv_until(
                    Duration::from_secs(10),
                    "the answer to a bid",
                    |frame| (answers(frame) == Some(request_id)).then(|| frame.clone()),
                    |frame| observe(&mut latest, &frame),
                )
                .await?;
            let elapsed = now_us() - start;
            match answer {
                ServerFrame::Ack { .. } => {
                    if block > 0 || i >= warmup {
                        let _ = bid_h.record(elapsed.max(1));
                    }
                    amount = amount.saturating_add(INCREMENT);
                }
                other => {
                    not_accepted += 1;
                    let reason = match &other {
                        ServerFrame::Refused { code, .. } => code.clone(),
                        ServerFrame::Error { code, .. } => code.as_str().to_string(),
                        frame => frame.kind().to_string(),
                    };
                    *not_accepted_by.entry(reason).or_insert(0u64) += 1;
                    // Resynchronise with what the server says the next bid must be.
                    if latest.min_next > amount {
                        amount = latest.min_next;
                    } else {
                        amount = amount.saturating_add(INCREMENT);
                    }
                }
            }
            seen = latest;
        }
    }
    report.server_metrics = server_metrics(&before, &scrape_all(deployment).await);
    drop(echo_server);
    for client in clients {
        client.close().await;
    }
    report.managers = 2;
    report.auctions = 1;
    report.rtt = Some(RttReport {
        samples: bid_h.len(),
        bid: Summary::of(&bid_h),
        echo: Summary::of(&echo_h),
        bid_not_accepted: not_accepted,
        not_accepted_by,
    });
    report.curves.ack = percentile_curve(&bid_h);
    report.curves.echo = percentile_curve(&echo_h);
    Ok(())
}

async fn run_footprint(
    scenario: &Scenario,
    options: &RunOptions,
    deployment: &Deployment,
    tokens: &Tokens,
    tag: &str,
    report: &mut RunReport,
) -> anyhow::Result<()> {
    let gateway_pid = deployment
        .process("gateway-1")
        .map(|p| p.pid)
        .context("the footprint scenario needs a local deployment (or --watch gateway-1=PID)")?;
    let node_pid = deployment
        .process("node-1")
        .map(|p| p.pid)
        .context("the footprint scenario needs a local deployment (or --watch node-1=PID)")?;
    let rss = |pid: u32| proc_sample(pid).map(|(_, rss)| rss as f64).unwrap_or(0.0);
    let settle = Duration::from_secs(3);
    let n = scenario.samples as usize;
    let url = deployment.ws_urls[0].clone();
    // One auction that the connections subscribe to in the second step.
    let auction_id = AuctionId::try_new(format!("{tag}-fp"))?;
    let commissioner = user_id(&format!("{tag}-fp-c"));
    let managers = [
        user_id(&format!("{tag}-fp-m0")),
        user_id(&format!("{tag}-fp-m1")),
    ];
    create_auctions(
        &deployment.http_urls,
        vec![(
            auction_setup(&auction_id, &commissioner, &managers, &scenario.league, 20),
            tokens.token(&commissioner, "Commissioner")?,
        )],
        1,
        |_| {},
    )
    .await?;
    tokio::time::sleep(settle).await;
    let gateway_before = rss(gateway_pid);
    let client_before = rss(std::process::id());
    let pacer = Arc::new(Pacer::new(scenario.connect_rate));
    let subscribe = tokio_util::sync::CancellationToken::new();
    let leave = tokio_util::sync::CancellationToken::new();
    let connected = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let subscribed = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let bar = progress_bar(options.progress, n as u64, "connect");
    let mut tasks = Vec::new();
    for k in 0..n {
        let user = user_id(&format!("{tag}-idle{k}"));
        let token = tokens.token(&user, "Idle")?;
        let (url, pacer, subscribe, leave, connected, subscribed, auction_id) = (
            url.clone(),
            pacer.clone(),
            subscribe.clone(),
            leave.clone(),
            connected.clone(),
            subscribed.clone(),
            auction_id.clone(),
        );
        tasks.push(tokio::spawn(async move {
            pacer.wait().await;
            let Ok(mut client) = Client::connect_small(&url, Encoding::MessagePack).await else {
                return;
            };
            if client.hello(&token, Duration::from_secs(30)).await.is_err() {
                return;
            }
            connected.fetch_add(1, Ordering::Relaxed);
            tokio::select! {
                _ = leave.cancelled() => { client.close().await; return; }
                _ = subscribe.cancelled() => {}
            }
            let sent = client
                .send(&ClientFrame::Subscribe {
                    auction_id,
                    after_seq: None,
                })
                .await;
            if sent.is_ok()
                && let Ok(ServerFrame::Snapshot { .. }) = client.recv(Duration::from_secs(30)).await
            {
                subscribed.fetch_add(1, Ordering::Relaxed);
            }
            loop {
                tokio::select! {
                    _ = leave.cancelled() => break,
                    frame = client.next_frame() => if frame.is_none() { break },
                }
            }
            client.close().await;
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(120 + n as u64 / 50);
    while (connected.load(Ordering::Relaxed) as usize) < n && Instant::now() < deadline {
        bar.set_position(connected.load(Ordering::Relaxed));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bar.finish_and_clear();
    let opened = connected.load(Ordering::Relaxed);
    tokio::time::sleep(settle).await;
    let gateway_connected = rss(gateway_pid);
    let client_connected = rss(std::process::id());
    subscribe.cancel();
    let deadline = Instant::now() + Duration::from_secs(60);
    while subscribed.load(Ordering::Relaxed) < opened && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(settle).await;
    let gateway_subscribed = rss(gateway_pid);
    leave.cancel();
    for task in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
    }
    // Idle auctions: created, in the waiting room, nobody watching.
    tokio::time::sleep(settle).await;
    let node_before = rss(node_pid);
    let m = scenario.idle_auctions;
    let mut items = Vec::new();
    for i in 0..m {
        let auction_id = AuctionId::try_new(format!("{tag}-idle-a{i}"))?;
        let commissioner = user_id(&format!("{tag}-idle-a{i}-c"));
        let managers = [
            user_id(&format!("{tag}-idle-a{i}-m0")),
            user_id(&format!("{tag}-idle-a{i}-m1")),
        ];
        items.push((
            auction_setup(&auction_id, &commissioner, &managers, &scenario.league, 20),
            tokens.token(&commissioner, "Commissioner")?,
        ));
    }
    let bar = progress_bar(options.progress, u64::from(m), "auctions");
    create_auctions(&deployment.http_urls, items, 8, |done| {
        bar.set_position(done as u64)
    })
    .await?;
    bar.finish_and_clear();
    tokio::time::sleep(settle).await;
    let node_after = rss(node_pid);
    let metrics = scrape_all(deployment).await;
    let live = metrics
        .iter()
        .map(|(_, e)| e.sum("auction_live_actors", &[]))
        .sum::<f64>();
    let mib = |bytes: f64| bytes / 1_048_576.0;
    let per = |delta: f64, count: f64| {
        if count > 0.0 {
            delta / count / 1024.0
        } else {
            0.0
        }
    };
    report.footprint = Some(FootprintReport {
        connections: opened,
        gateway_rss_before_mib: mib(gateway_before),
        gateway_rss_connected_mib: mib(gateway_connected),
        gateway_rss_subscribed_mib: mib(gateway_subscribed),
        kib_per_connection: per(gateway_connected - gateway_before, opened as f64),
        kib_per_subscribed_connection: per(gateway_subscribed - gateway_before, opened as f64),
        client_kib_per_connection: per(client_connected - client_before, opened as f64),
        auctions: u64::from(m),
        node_rss_before_mib: mib(node_before),
        node_rss_after_mib: mib(node_after),
        kib_per_auction: per(node_after - node_before, f64::from(m)),
        live_actors: live,
    });
    if opened < n as u64 {
        report
            .notes
            .push(format!("only {opened} of {n} idle connections opened"));
    }
    Ok(())
}
