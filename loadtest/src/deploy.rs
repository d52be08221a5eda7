//! A local deployment for a run (store server, nodes, gateways on 127.0.0.1 with free ports and a
//! private directory), or the address of one that is already running; and what can be read about
//! its processes: CPU and RSS from `/proc/<pid>`, counters and histograms from `/metrics`.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde::Serialize;

/// A free loopback port.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A process of the deployment (ours, or one named with `--server-pid`).
#[derive(Debug)]
pub struct ServerProcess {
    /// `store`, `node-1`, `gateway-1`, `echo`…
    pub name: String,
    /// OS pid.
    pub pid: u32,
    /// `/metrics` URL, if it has one.
    pub metrics: Option<String>,
    child: Option<Child>,
}

impl ServerProcess {
    /// A process started elsewhere (for `--target` runs).
    pub fn external(name: &str, pid: u32, metrics: Option<String>) -> ServerProcess {
        ServerProcess {
            name: name.into(),
            pid,
            metrics,
            child: None,
        }
    }

    /// Whether it is still running (ours only; external ones are assumed alive).
    pub fn alive(&mut self) -> bool {
        match self.child.as_mut() {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => true,
        }
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM);
            for _ in 0..100 {
                if matches!(child.try_wait(), Ok(Some(_))) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Knobs of a local deployment.
#[derive(Debug, Clone)]
pub struct LocalConfig {
    /// Where the binaries are (`target/release`).
    pub bin_dir: PathBuf,
    /// Private directory (logs, store data).
    pub dir: PathBuf,
    /// Nodes to start.
    pub nodes: u32,
    /// Gateways to start.
    pub gateways: u32,
    /// Gateway `--commands-per-minute`.
    pub commands_per_minute: u32,
    /// Gateway `--command-burst`.
    pub command_burst: u32,
    /// `RUST_LOG` for the servers.
    pub rust_log: String,
}

/// What the load test talks to.
#[derive(Debug)]
pub struct Deployment {
    /// Websocket URLs of the gateways (`ws://127.0.0.1:port/ws`).
    pub ws_urls: Vec<String>,
    /// HTTP bases of the gateways (`http://127.0.0.1:port`).
    pub http_urls: Vec<String>,
    /// The JWT secret the gateways verify tokens with.
    pub jwt_secret: String,
    /// Processes whose CPU and memory are reported.
    pub processes: Vec<ServerProcess>,
    /// Whether we started it.
    pub local: bool,
    /// Private directory of a local deployment.
    pub dir: Option<PathBuf>,
}

impl Deployment {
    /// Start store server, nodes and gateways; returns when every one is ready.
    pub async fn start(config: &LocalConfig) -> anyhow::Result<Deployment> {
        std::fs::create_dir_all(&config.dir)?;
        let cookie = format!("loadtest-cookie-{:016x}", rand::random::<u64>());
        let jwt_secret = format!("loadtest-secret-{:032x}", rand::random::<u128>());
        let mut processes = Vec::new();
        let store_port = free_port()?;
        let store_metrics = free_port()?;
        processes.push(spawn(
            config,
            "store",
            "store-server",
            vec![
                "--listen".into(),
                format!("127.0.0.1:{store_port}"),
                "--data-dir".into(),
                config.dir.join("store").display().to_string(),
                "--metrics".into(),
                format!("127.0.0.1:{store_metrics}"),
            ],
            Some(format!("http://127.0.0.1:{store_metrics}/metrics")),
        )?);
        wait_for_port(store_port, Duration::from_secs(30))
            .await
            .context("store-server did not listen")?;
        let mut node_cluster_ports = Vec::new();
        let mut ready = Vec::new();
        for n in 1..=config.nodes {
            let cluster = free_port()?;
            let http = free_port()?;
            node_cluster_ports.push(cluster);
            let name = format!("node-{n}");
            processes.push(spawn(
                config,
                &name,
                "node",
                vec![
                    "--node-id".into(),
                    name.clone(),
                    "--cluster-port".into(),
                    cluster.to_string(),
                    "--http".into(),
                    format!("127.0.0.1:{http}"),
                    "--store".into(),
                    format!("remote:127.0.0.1:{store_port}"),
                    "--cookie".into(),
                    cookie.clone(),
                ],
                Some(format!("http://127.0.0.1:{http}/metrics")),
            )?);
            ready.push((name, http));
        }
        for (name, http) in &ready {
            wait_ready(name, *http, &config.dir).await?;
        }
        let seeds: Vec<String> = node_cluster_ports
            .iter()
            .map(|port| format!("127.0.0.1:{port}"))
            .collect();
        let mut ws_urls = Vec::new();
        let mut http_urls = Vec::new();
        let mut gateways = Vec::new();
        for g in 1..=config.gateways {
            let http = free_port()?;
            let cluster = free_port()?;
            let name = format!("gateway-{g}");
            processes.push(spawn(
                config,
                &name,
                "gateway",
                vec![
                    "--gateway-id".into(),
                    name.clone(),
                    "--http".into(),
                    format!("127.0.0.1:{http}"),
                    "--cluster-port".into(),
                    cluster.to_string(),
                    "--nodes".into(),
                    seeds.join(","),
                    "--store".into(),
                    format!("remote:127.0.0.1:{store_port}"),
                    "--cookie".into(),
                    cookie.clone(),
                    "--jwt-secret".into(),
                    jwt_secret.clone(),
                    "--commands-per-minute".into(),
                    config.commands_per_minute.to_string(),
                    "--command-burst".into(),
                    config.command_burst.to_string(),
                ],
                Some(format!("http://127.0.0.1:{http}/metrics")),
            )?);
            gateways.push((name, http));
            ws_urls.push(format!("ws://127.0.0.1:{http}/ws"));
            http_urls.push(format!("http://127.0.0.1:{http}"));
        }
        for (name, http) in &gateways {
            wait_ready(name, *http, &config.dir).await?;
        }
        Ok(Deployment {
            ws_urls,
            http_urls,
            jwt_secret,
            processes,
            local: true,
            dir: Some(config.dir.clone()),
        })
    }

    /// A deployment someone else runs: its gateway websocket URL(s) and JWT secret.
    pub fn external(
        targets: &[String],
        jwt_secret: String,
        processes: Vec<ServerProcess>,
    ) -> anyhow::Result<Deployment> {
        let mut ws_urls = Vec::new();
        let mut http_urls = Vec::new();
        for target in targets {
            let rest = target
                .strip_prefix("ws://")
                .with_context(|| format!("target {target:?} must be ws://host:port/ws"))?;
            let host = rest.split('/').next().unwrap_or(rest);
            check_loopback(host)?;
            ws_urls.push(target.clone());
            http_urls.push(format!("http://{host}"));
        }
        Ok(Deployment {
            ws_urls,
            http_urls,
            jwt_secret,
            processes,
            local: false,
            dir: None,
        })
    }

    /// Stop every process we started.
    pub fn stop(&mut self) {
        for process in self.processes.iter_mut().rev() {
            process.stop();
        }
    }

    /// A process by name.
    pub fn process(&self, name: &str) -> Option<&ServerProcess> {
        self.processes.iter().find(|p| p.name == name)
    }

    /// The last lines of a local process's log.
    pub fn log_tail(&self, name: &str, lines: usize) -> String {
        let Some(dir) = &self.dir else {
            return String::new();
        };
        let text = std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

/// Network safety: the load test only ever talks to this machine.
pub fn check_loopback(host_port: &str) -> anyhow::Result<()> {
    let host = host_port
        .rsplit_once(':')
        .map(|(host, _)| host)
        .unwrap_or(host_port);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        bail!("the load test only targets this machine (127.0.0.0/8, ::1, localhost), not {host}");
    }
    Ok(())
}

fn spawn(
    config: &LocalConfig,
    name: &str,
    binary: &str,
    args: Vec<String>,
    metrics: Option<String>,
) -> anyhow::Result<ServerProcess> {
    let program = config.bin_dir.join(binary);
    if !program.exists() {
        bail!(
            "{} does not exist: build it first (cargo build --release --bin node --bin gateway \
             --bin store-server)",
            program.display()
        );
    }
    let log = std::fs::File::create(config.dir.join(format!("{name}.log")))?;
    let child = Command::new(&program)
        .args(&args)
        .env("RUST_LOG", &config.rust_log)
        .env("AUCTION_LOG_FORMAT", "json")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("start {name} ({})", program.display()))?;
    Ok(ServerProcess {
        name: name.into(),
        pid: child.id(),
        metrics,
        child: Some(child),
    })
}

async fn wait_for_port(port: u16, timeout: Duration) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            bail!("nothing listened on 127.0.0.1:{port} within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_ready(name: &str, port: u16, dir: &Path) -> anyhow::Result<()> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()?;
    let url = format!("http://127.0.0.1:{port}/readyz");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(response) = http.get(&url).send().await
            && response.status().is_success()
        {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            let log = std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(30).collect();
            bail!(
                "{name} was not ready within 60 s; its log ends:\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// CPU time (s) and RSS (bytes) of a process from `/proc`.
pub fn proc_sample(pid: u32) -> Option<(f64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss_kib: u64 = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(((utime + stime) as f64 / clock_ticks(), rss_kib * 1024))
}

fn clock_ticks() -> f64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .map(|ticks| ticks as f64)
        .unwrap_or(100.0)
}

/// Busy and total jiffies of the whole machine (`/proc/stat`).
pub fn machine_cpu() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?;
    let values: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    let total: u64 = values.iter().sum();
    let idle = values.get(3).copied().unwrap_or(0) + values.get(4).copied().unwrap_or(0);
    Some((total - idle, total))
}

/// The 1-minute load average.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// CPU and memory of one process over the measured phase.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProcessReport {
    /// Name.
    pub name: String,
    /// Mean CPU % over the measured phase (100 = one core).
    pub cpu_mean: f64,
    /// Highest 1-interval CPU %.
    pub cpu_peak: f64,
    /// RSS at the start of the measured phase (MiB).
    pub rss_start_mib: f64,
    /// Highest RSS (MiB).
    pub rss_peak_mib: f64,
    /// RSS at the end (MiB).
    pub rss_end_mib: f64,
}

/// Tracks CPU and RSS of processes between samples.
#[derive(Debug)]
pub struct ProcTracker {
    entries: Vec<TrackedProc>,
    machine_last: Option<(u64, u64)>,
    /// Whole machine busy % per sample.
    pub machine_busy: Vec<f64>,
}

#[derive(Debug)]
struct TrackedProc {
    name: String,
    pid: u32,
    first: Option<(f64, std::time::Instant)>,
    last: Option<(f64, std::time::Instant)>,
    peak_cpu: f64,
    rss_start: u64,
    rss_peak: u64,
    rss_end: u64,
}

impl ProcTracker {
    /// Track these (name, pid) pairs.
    pub fn new(processes: Vec<(String, u32)>) -> ProcTracker {
        ProcTracker {
            entries: processes
                .into_iter()
                .map(|(name, pid)| TrackedProc {
                    name,
                    pid,
                    first: None,
                    last: None,
                    peak_cpu: 0.0,
                    rss_start: 0,
                    rss_peak: 0,
                    rss_end: 0,
                })
                .collect(),
            machine_last: machine_cpu(),
            machine_busy: Vec::new(),
        }
    }

    /// Sample every process; returns (name → CPU % since the previous sample, name → RSS MiB).
    pub fn sample(&mut self) -> (BTreeMap<String, f64>, BTreeMap<String, f64>) {
        let now = std::time::Instant::now();
        let mut cpu = BTreeMap::new();
        let mut rss = BTreeMap::new();
        for entry in &mut self.entries {
            let Some((cpu_s, rss_bytes)) = proc_sample(entry.pid) else {
                continue;
            };
            if entry.first.is_none() {
                entry.first = Some((cpu_s, now));
                entry.rss_start = rss_bytes;
            }
            if let Some((last_cpu, last_at)) = entry.last {
                let elapsed = now.duration_since(last_at).as_secs_f64();
                if elapsed > 0.0 {
                    let percent = (cpu_s - last_cpu) / elapsed * 100.0;
                    entry.peak_cpu = entry.peak_cpu.max(percent);
                    cpu.insert(entry.name.clone(), percent);
                }
            }
            entry.last = Some((cpu_s, now));
            entry.rss_peak = entry.rss_peak.max(rss_bytes);
            entry.rss_end = rss_bytes;
            rss.insert(entry.name.clone(), rss_bytes as f64 / 1_048_576.0);
        }
        if let (Some((busy0, total0)), Some((busy1, total1))) = (self.machine_last, machine_cpu()) {
            if total1 > total0 {
                let percent = (busy1 - busy0) as f64 / (total1 - total0) as f64 * 100.0;
                cpu.insert("machine (% of all cores)".into(), percent);
                self.machine_busy.push(percent);
            }
            self.machine_last = Some((busy1, total1));
        }
        (cpu, rss)
    }

    /// Restart the averages (the measured phase begins).
    pub fn restart(&mut self) {
        for entry in &mut self.entries {
            entry.first = None;
            entry.last = None;
            entry.peak_cpu = 0.0;
            entry.rss_peak = 0;
        }
        self.machine_busy.clear();
        self.sample();
    }

    /// Per-process figures since the last restart.
    pub fn report(&self) -> Vec<ProcessReport> {
        let mib = |bytes: u64| bytes as f64 / 1_048_576.0;
        self.entries
            .iter()
            .map(|entry| {
                let cpu_mean = match (entry.first, entry.last) {
                    (Some((c0, t0)), Some((c1, t1))) if t1 > t0 => {
                        (c1 - c0) / t1.duration_since(t0).as_secs_f64() * 100.0
                    }
                    _ => 0.0,
                };
                ProcessReport {
                    name: entry.name.clone(),
                    cpu_mean,
                    cpu_peak: entry.peak_cpu,
                    rss_start_mib: mib(entry.rss_start),
                    rss_peak_mib: mib(entry.rss_peak),
                    rss_end_mib: mib(entry.rss_end),
                }
            })
            .collect()
    }
}

/// A Prometheus text exposition, parsed: (metric name, labels) → value.
#[derive(Debug, Clone, Default)]
pub struct Exposition {
    samples: Vec<(String, BTreeMap<String, String>, f64)>,
}

impl Exposition {
    /// Parse the text format (comments skipped).
    pub fn parse(text: &str) -> Exposition {
        let mut samples = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (head, value) = match line.rsplit_once(' ') {
                Some(parts) => parts,
                None => continue,
            };
            let Ok(value) = value.parse::<f64>() else {
                continue;
            };
            let (name, labels) = match head.split_once('{') {
                Some((name, rest)) => (name.to_string(), parse_labels(rest.trim_end_matches('}'))),
                None => (head.to_string(), BTreeMap::new()),
            };
            samples.push((name, labels, value));
        }
        Exposition { samples }
    }

    /// Sum of every sample called `name` whose labels include `filter`.
    pub fn sum(&self, name: &str, filter: &[(&str, &str)]) -> f64 {
        self.samples
            .iter()
            .filter(|(n, labels, _)| {
                n == name
                    && filter
                        .iter()
                        .all(|(k, v)| labels.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|(_, _, value)| value)
            .sum()
    }

    /// Every label value of `label` on samples called `name`.
    pub fn label_values(&self, name: &str, label: &str) -> Vec<String> {
        let mut values: Vec<String> = self
            .samples
            .iter()
            .filter(|(n, _, _)| n == name)
            .filter_map(|(_, labels, _)| labels.get(label).cloned())
            .collect();
        values.sort();
        values.dedup();
        values
    }

    /// Cumulative histogram buckets (`le` → count) of `name`, summed over series matching
    /// `filter`.
    pub fn buckets(&self, name: &str, filter: &[(&str, &str)]) -> Vec<(f64, f64)> {
        let bucket = format!("{name}_bucket");
        let mut by_le: BTreeMap<u64, (f64, f64)> = BTreeMap::new();
        for (n, labels, value) in &self.samples {
            if n != &bucket
                || !filter
                    .iter()
                    .all(|(k, v)| labels.get(*k).map(String::as_str) == Some(*v))
            {
                continue;
            }
            let Some(le) = labels.get("le") else { continue };
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().unwrap_or(f64::INFINITY)
            };
            let entry = by_le.entry(le.to_bits()).or_insert((le, 0.0));
            entry.1 += value;
        }
        let mut buckets: Vec<(f64, f64)> = by_le.into_values().collect();
        buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
        buckets
    }
}

fn parse_labels(text: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let mut rest = text;
    while let Some((key, after)) = rest.split_once("=\"") {
        let Some(end) = after.find('"') else { break };
        labels.insert(
            key.trim_start_matches(',').trim().to_string(),
            after[..end].to_string(),
        );
        rest = &after[end + 1..];
    }
    labels
}

/// A quantile (seconds) from the difference of two cumulative bucket lists, by linear
/// interpolation inside the bucket (what Prometheus' `histogram_quantile` does).
pub fn bucket_quantile(before: &[(f64, f64)], after: &[(f64, f64)], quantile: f64) -> Option<f64> {
    let delta: Vec<(f64, f64)> = after
        .iter()
        .map(|(le, count)| {
            let earlier = before
                .iter()
                .find(|(b, _)| b == le)
                .map(|(_, c)| *c)
                .unwrap_or(0.0);
            (*le, count - earlier)
        })
        .collect();
    let total = delta.last()?.1;
    if total <= 0.0 {
        return None;
    }
    let rank = quantile * total;
    let mut lower = 0.0;
    let mut below = 0.0;
    for (le, count) in delta {
        if count >= rank {
            if le.is_infinite() {
                return Some(lower);
            }
            let inside = count - below;
            let fraction = if inside > 0.0 {
                (rank - below) / inside
            } else {
                1.0
            };
            return Some(lower + (le - lower) * fraction);
        }
        lower = le;
        below = count;
    }
    None
}

/// Fetch a `/metrics` page.
pub async fn scrape(http: &reqwest::Client, url: &str) -> Option<Exposition> {
    let response = http.get(url).send().await.ok()?;
    let text = response.text().await.ok()?;
    Some(Exposition::parse(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expositions_parse_and_quantiles_interpolate() {
        let before = Exposition::parse(
            "# HELP x y\nlat_bucket{le=\"0.001\"} 0\nlat_bucket{le=\"0.01\"} 0\nlat_bucket{le=\"+Inf\"} 0\n",
        );
        let after = Exposition::parse(
            "lat_bucket{le=\"0.001\"} 50\nlat_bucket{le=\"0.01\"} 100\nlat_bucket{le=\"+Inf\"} 100\nc_total{code=\"a\"} 3\nc_total{code=\"b\"} 4\n",
        );
        let q = bucket_quantile(
            &before.buckets("lat", &[]),
            &after.buckets("lat", &[]),
            0.75,
        )
        .expect("a quantile");
        assert!((q - 0.0055).abs() < 1e-9, "{q}");
        assert_eq!(after.sum("c_total", &[]), 7.0);
        assert_eq!(after.sum("c_total", &[("code", "a")]), 3.0);
    }

    #[test]
    fn only_loopback_targets() {
        assert!(check_loopback("127.0.0.1:8080").is_ok());
        assert!(check_loopback("localhost:8080").is_ok());
        assert!(check_loopback("[::1]:8080").is_ok());
        // A private-network address, built rather than written out: this test only parses it.
        let private = std::net::Ipv4Addr::from_bits(0x0A00_0001);
        assert!(check_loopback(&format!("{private}:8080")).is_err());
        assert!(check_loopback("example.com:80").is_err());
    }
}
