//! `loadtest`: run a named scenario against a local deployment it starts, or against a given
//! gateway; print a table, write a JSON file and an HTML report. `loadtest --help` for usage.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use loadtest::run::{RunOptions, run};
use loadtest::scenario::{self, CapacityPlan, EncodingChoice, Scenario};

/// Load test of the auction cluster: simulated managers and spectators over real websockets.
#[derive(Debug, Parser)]
#[command(name = "loadtest", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Commands,
}

#[derive(Debug, Subcommand)]
enum Commands {
    /// Run a named scenario (see `loadtest list`).
    Run(Box<RunArgs>),
    /// List the scenarios.
    List,
    /// A bare websocket echo server (the baseline); prints `listening on ADDR`.
    EchoServer {
        /// Address to listen on (loopback only).
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: SocketAddr,
    },
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Scenario name: smoke, rtt, footprint, baseline, target, stress, stress10x, concurrent,
    /// fans, many, endurance, capacity.
    #[arg(long, short)]
    scenario: String,
    /// Gateway websocket URL(s) of a running deployment (loopback only); without it a local
    /// deployment is started from --bin-dir.
    #[arg(long, value_delimiter = ',', env = "LOADTEST_TARGET")]
    target: Vec<String>,
    /// JWT secret of the target's gateways (to sign in the simulated people).
    #[arg(long, env = "AUCTION_JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,
    /// Processes of a target deployment to report CPU/RSS and metrics for: NAME=PID[@METRICS_URL]
    /// (e.g. gateway-1=1234@http://127.0.0.1:8080/metrics).
    #[arg(long, value_delimiter = ',')]
    watch: Vec<String>,
    /// Where the server binaries are (local deployment).
    #[arg(long, default_value = "target/release")]
    bin_dir: PathBuf,
    /// Nodes in the local deployment.
    #[arg(long, default_value_t = 1)]
    nodes: u32,
    /// Gateways in the local deployment.
    #[arg(long, default_value_t = 1)]
    gateways: u32,
    /// Output directory for the JSON and HTML reports (and the local deployment's logs).
    #[arg(long, default_value = "target/loadtest")]
    out: PathBuf,
    /// Measured duration: 90, 90s, 20m, 2h.
    #[arg(long, value_parser = scenario::parse_duration)]
    duration: Option<u64>,
    /// Warm-up before measuring (seconds or 20s/1m).
    #[arg(long, value_parser = scenario::parse_duration)]
    warmup: Option<u64>,
    /// Total bidding managers (spread over auctions of at most 30).
    #[arg(long)]
    managers: Option<u32>,
    /// Auctions holding the managers.
    #[arg(long)]
    auctions: Option<u32>,
    /// Spectators.
    #[arg(long)]
    spectators: Option<u32>,
    /// Spectators watch the first N auctions.
    #[arg(long)]
    spectator_auctions: Option<u32>,
    /// Wire encoding of the simulated clients.
    #[arg(long, value_enum)]
    encoding: Option<EncodingChoice>,
    /// Multiply every manager's bid rates by this.
    #[arg(long)]
    rate_scale: Option<f64>,
    /// Deliberate drops per manager per minute (0: none).
    #[arg(long)]
    drops_per_min: Option<f64>,
    /// New connections per second while connecting.
    #[arg(long)]
    connect_rate: Option<u32>,
    /// Gateway --commands-per-minute (local deployment).
    #[arg(long)]
    commands_per_minute: Option<u32>,
    /// Gateway --command-burst (local deployment).
    #[arg(long)]
    command_burst: Option<u32>,
    /// Capacity: auctions at each step, e.g. 1,2,4,8.
    #[arg(long, value_delimiter = ',')]
    steps: Vec<u32>,
    /// Capacity: measured seconds per step.
    #[arg(long)]
    step_seconds: Option<u64>,
    /// Capacity: the bid-ack p99 (ms) that marks the knee.
    #[arg(long)]
    p99_limit_ms: Option<f64>,
    /// Round trips (rtt) or idle connections (footprint).
    #[arg(long)]
    samples: Option<u32>,
    /// Round trips (rtt): the bidders do not watch the auction (only `ack` frames come back;
    /// the first bidder still subscribes to see the lot open, then only its answers are read).
    #[arg(long)]
    rtt_unsubscribed: bool,
    /// Idle auctions (footprint).
    #[arg(long)]
    idle_auctions: Option<u32>,
    /// Seconds of echo baseline after the measured phase.
    #[arg(long)]
    echo_seconds: Option<u64>,
    /// Skip the echo baseline.
    #[arg(long)]
    no_echo: bool,
    /// Exit non-zero if any valid bid failed or any error occurred (never on timing).
    #[arg(long)]
    check: bool,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// RUST_LOG for the local servers.
    #[arg(long, default_value = "warn")]
    server_log: String,
}

fn apply(args: &RunArgs) -> anyhow::Result<Scenario> {
    let mut s = scenario::named(&args.scenario).with_context(|| {
        format!(
            "no scenario {:?}; one of: {}",
            args.scenario,
            scenario::NAMES.join(", ")
        )
    })?;
    if let Some(v) = args.duration {
        s.duration_s = v;
        if s.name == "endurance" {
            s.description = format!("150 managers (5 auctions of 30) for {}", human_duration(v));
        }
    }
    if let Some(v) = args.warmup {
        s.warmup_s = v;
    }
    if let Some(v) = args.managers {
        s.managers = v;
        if args.auctions.is_none() {
            s.auctions = v.div_ceil(scenario::MAX_MANAGERS_PER_AUCTION).max(1);
        }
    }
    if let Some(v) = args.auctions {
        s.auctions = v;
    }
    if let Some(v) = args.spectators {
        s.spectators = v;
    }
    if let Some(v) = args.spectator_auctions {
        s.spectator_auctions = v;
    }
    if let Some(v) = args.encoding {
        s.encoding = v;
    }
    if let Some(k) = args.rate_scale {
        s.behaviour.base_rate *= k;
        s.behaviour.burst_rate *= k;
        s.behaviour.snipe_rate *= k;
    }
    if let Some(v) = args.drops_per_min {
        s.behaviour.drops_per_min = v;
    }
    if let Some(v) = args.connect_rate {
        s.connect_rate = v;
    }
    if let Some(v) = args.commands_per_minute {
        s.commands_per_minute = v;
    }
    if let Some(v) = args.command_burst {
        s.command_burst = v;
    }
    if let Some(plan) = s.capacity.as_mut() {
        apply_capacity(plan, args);
    }
    if let Some(v) = args.samples {
        s.samples = v;
    }
    if args.rtt_unsubscribed {
        s.rtt_subscribed = false;
    }
    if let Some(v) = args.idle_auctions {
        s.idle_auctions = v;
    }
    if let Some(v) = args.echo_seconds {
        s.echo_s = v;
    }
    if args.no_echo {
        s.echo = false;
    }
    Ok(s)
}

fn apply_capacity(plan: &mut CapacityPlan, args: &RunArgs) {
    if !args.steps.is_empty() {
        plan.steps = args.steps.clone();
    }
    if let Some(v) = args.step_seconds {
        plan.step_s = v;
    }
    if let Some(v) = args.p99_limit_ms {
        plan.p99_limit_ms = v;
    }
}

fn human_duration(seconds: u64) -> String {
    if seconds.is_multiple_of(3_600) {
        format!("{} h", seconds / 3_600)
    } else if seconds.is_multiple_of(60) {
        format!("{} min", seconds / 60)
    } else {
        format!("{seconds} s")
    }
}

fn parse_watch(items: &[String]) -> anyhow::Result<Vec<(String, u32, Option<String>)>> {
    items
        .iter()
        .map(|item| {
            let (name, rest) = item
                .split_once('=')
                .with_context(|| format!("--watch {item:?}: expected NAME=PID[@URL]"))?;
            let (pid, url) = match rest.split_once('@') {
                Some((pid, url)) => (pid, Some(url.to_string())),
                None => (rest, None),
            };
            Ok((name.to_string(), pid.parse()?, url))
        })
        .collect()
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Commands::List => {
            for name in scenario::NAMES {
                if let Some(s) = scenario::named(name) {
                    println!("{:<11} {}", s.name, s.description);
                }
            }
            Ok(())
        }
        Commands::EchoServer { listen } => {
            runtime.block_on(loadtest::echo::serve(listen, |address| {
                use std::io::Write;
                println!("listening on {address}");
                let _ = std::io::stdout().flush();
            }))
        }
        Commands::Run(args) => {
            let scenario = apply(&args)?;
            let options = RunOptions {
                command: std::env::args().collect::<Vec<_>>().join(" "),
                targets: args.target.clone(),
                jwt_secret: args.jwt_secret.clone(),
                watch: parse_watch(&args.watch)?,
                bin_dir: args.bin_dir.clone(),
                nodes: args.nodes,
                gateways: args.gateways,
                out_dir: args.out.clone(),
                progress: !args.quiet,
                server_log: args.server_log.clone(),
            };
            let report = runtime.block_on(run(scenario, options))?;
            print!("{}", report.table());
            let stamp = report
                .started_at
                .replace([' ', ':'], "-")
                .replace("--", "-");
            let base = args.out.join(format!("{}-{stamp}", report.scenario.name));
            let json = base.with_extension("json");
            let html = base.with_extension("html");
            std::fs::write(&json, serde_json::to_string_pretty(&report)?)?;
            std::fs::write(&html, report.html())?;
            println!("report: {} and {}", json.display(), html.display());
            runtime.shutdown_timeout(std::time::Duration::from_secs(2));
            if args.check {
                let problems = report.problems();
                if !problems.is_empty() {
                    for problem in &problems {
                        eprintln!("CHECK FAILED: {problem}");
                    }
                    std::process::exit(1);
                }
                println!("check passed: every bid was answered, no failure, no error");
            }
            Ok(())
        }
    }
}
