//! Harness for multi-process tests: start real `store-server`, `node` and `gateway` processes on
//! loopback with private ports and directories, signal them (SIGKILL, SIGTERM, SIGSTOP/SIGCONT),
//! wait for readiness by polling, and mint session tokens.
//!
//! Binaries are taken from `E2E_BIN_DIR`, else the workspace's `target/debug` (`make unit` builds
//! them first with `cargo build --workspace --bins`). Every process logs to a file in the test's
//! temporary directory; the tail of each log is printed when a harness is dropped during a panic,
//! so a failing CI run shows what the processes said.

pub mod bot;
pub mod checker;
pub mod participant;

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use auction::{AuctionId, AuctionSetup, LeagueSettings, Manager, Timestamp, UserId};
use league::auth::SessionSecret;
use league::model::{Email, User};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::time::Instant;

/// Cluster cookie used by every test process.
pub const COOKIE: &str = "e2e-test-cookie";
/// JWT secret used by every test gateway.
pub const JWT_SECRET: &str = "e2e-test-secret-that-is-long-enough-0123456789";

/// Where the binaries are.
pub fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("E2E_BIN_DIR") {
        return PathBuf::from(dir);
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../target"));
    target.join("debug")
}

/// A free loopback port (bound then released; the OS does not hand it out again at once).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("the OS hands out a free loopback port")
}

/// One child process with its log file.
#[derive(Debug)]
pub struct Process {
    /// Name for messages.
    pub name: String,
    child: Option<Child>,
    program: PathBuf,
    args: Vec<String>,
    log: PathBuf,
    /// Run under this user id (so iptables can tell its packets apart), via `setpriv`.
    pub uid: Option<u32>,
}

impl Process {
    fn spawn(
        name: &str,
        program: PathBuf,
        args: Vec<String>,
        log: PathBuf,
        uid: Option<u32>,
    ) -> anyhow::Result<Process> {
        let mut process = Process {
            name: name.to_string(),
            child: None,
            program,
            args,
            log,
            uid,
        };
        process.start()?;
        Ok(process)
    }

    /// (Re)start the process with the same arguments, appending to its log.
    pub fn start(&mut self) -> anyhow::Result<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let mut command = match self.uid {
            Some(uid) => {
                let mut command = Command::new("setpriv");
                command
                    .arg(format!("--reuid={uid}"))
                    .arg(format!("--regid={uid}"))
                    .arg("--clear-groups")
                    .arg("--")
                    .arg(&self.program);
                command
            }
            None => Command::new(&self.program),
        };
        let child = command
            .args(&self.args)
            .env("AUCTION_LOG_FORMAT", "pretty")
            .env(
                "RUST_LOG",
                std::env::var("E2E_RUST_LOG").unwrap_or_else(|_| "info".into()),
            )
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("start {} ({})", self.name, self.program.display()))?;
        self.child = Some(child);
        Ok(())
    }

    /// The OS process id.
    pub fn pid(&self) -> Option<Pid> {
        self.child
            .as_ref()
            .map(|child| Pid::from_raw(child.id() as i32))
    }

    /// Send a signal.
    pub fn signal(&self, signal: Signal) -> anyhow::Result<()> {
        let pid = self
            .pid()
            .with_context(|| format!("{} is not running", self.name))?;
        kill(pid, signal).with_context(|| format!("signal {signal} to {}", self.name))
    }

    /// SIGKILL and reap.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM and wait up to `timeout` for a clean exit; returns its exit code.
    pub async fn terminate(&mut self, timeout: Duration) -> anyhow::Result<Option<i32>> {
        self.signal(Signal::SIGTERM)?;
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                self.child = None;
                return Ok(status.code());
            }
            if Instant::now() >= deadline {
                bail!("{} did not exit within {timeout:?} of SIGTERM", self.name);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The last `lines` lines of the log.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            // A stopped process must be continued to die promptly.
            let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGCONT);
        }
        self.kill();
    }
}

/// Ports of one node.
#[derive(Debug, Clone, Copy)]
pub struct NodePorts {
    /// Cluster port.
    pub cluster: u16,
    /// Health and metrics.
    pub http: u16,
}

/// A set of processes for one test.
#[derive(Debug)]
pub struct Harness {
    /// Private directory (logs, store data).
    pub dir: tempfile::TempDir,
    /// Store server port.
    pub store_port: u16,
    /// Processes by name.
    pub processes: BTreeMap<String, Process>,
    /// Node ports by node id.
    pub nodes: BTreeMap<String, NodePorts>,
    /// Gateway HTTP ports by gateway id.
    pub gateways: BTreeMap<String, u16>,
    /// Extra flags for every node (tuning).
    pub node_flags: Vec<String>,
    /// Extra flags for every gateway.
    pub gateway_flags: Vec<String>,
    /// Redis port, once started.
    pub redis_port: Option<u16>,
    /// Run nodes and gateways under distinct user ids (for iptables owner matches).
    pub distinct_uids: bool,
    /// User ids given to processes by name.
    pub uids: BTreeMap<String, u32>,
    http: reqwest::Client,
}

impl Harness {
    /// Start a store server.
    pub async fn start() -> anyhow::Result<Harness> {
        let dir = tempfile::Builder::new().prefix("auction-e2e-").tempdir()?;
        let store_port = free_port();
        let mut harness = Harness {
            dir,
            store_port,
            processes: BTreeMap::new(),
            nodes: BTreeMap::new(),
            gateways: BTreeMap::new(),
            node_flags: vec![
                "--lease-ttl-ms".into(),
                "1500".into(),
                "--lease-renew-ms".into(),
                "300".into(),
            ],
            gateway_flags: Vec::new(),
            redis_port: None,
            distinct_uids: false,
            uids: BTreeMap::new(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()?,
        };
        let data = harness.dir.path().join("store");
        let args = vec![
            "--listen".into(),
            format!("127.0.0.1:{store_port}"),
            "--data-dir".into(),
            data.display().to_string(),
        ];
        harness.spawn("store", "store-server", args)?;
        wait_for_port(store_port, Duration::from_secs(20))
            .await
            .context("store-server did not listen")?;
        Ok(harness)
    }

    fn spawn(&mut self, name: &str, binary: &str, args: Vec<String>) -> anyhow::Result<()> {
        let program = bin_dir().join(binary);
        if !program.exists() {
            bail!(
                "{} does not exist: run `cargo build --workspace --bins` first",
                program.display()
            );
        }
        let log = self.dir.path().join(format!("{name}.log"));
        let uid = self.uid_for(name, binary);
        let process = Process::spawn(name, program, args, log, uid)?;
        self.processes.insert(name.to_string(), process);
        Ok(())
    }

    fn uid_for(&mut self, name: &str, binary: &str) -> Option<u32> {
        if !self.distinct_uids || !matches!(binary, "node" | "gateway") {
            return None;
        }
        let next = 20_001 + self.uids.len() as u32;
        Some(*self.uids.entry(name.to_string()).or_insert(next))
    }

    /// Start a private redis-server on a free loopback port.
    pub async fn start_redis(&mut self) -> anyhow::Result<u16> {
        let port = self.redis_port.unwrap_or_else(free_port);
        self.redis_port = Some(port);
        let dir = self.dir.path().join("redis");
        std::fs::create_dir_all(&dir)?;
        let args = vec![
            "--port".into(),
            port.to_string(),
            "--bind".into(),
            "127.0.0.1".into(),
            "--save".into(),
            String::new(),
            "--appendonly".into(),
            "no".into(),
            "--dir".into(),
            dir.display().to_string(),
        ];
        let log = self.dir.path().join("redis.log");
        let program = which("redis-server")
            .context("redis-server is not installed (run scripts/install-test-deps.sh)")?;
        let process = Process::spawn("redis", program, args, log, None)?;
        self.processes.insert("redis".into(), process);
        wait_for_port(port, Duration::from_secs(20))
            .await
            .context("redis did not listen")?;
        Ok(port)
    }

    /// Start a node; returns when its `/readyz` answers 200.
    pub async fn start_node(&mut self, node_id: &str) -> anyhow::Result<()> {
        let ports = *self.nodes.entry(node_id.to_string()).or_insert(NodePorts {
            cluster: free_port(),
            http: free_port(),
        });
        let mut args = vec![
            "--node-id".into(),
            node_id.into(),
            "--cluster-port".into(),
            ports.cluster.to_string(),
            "--http".into(),
            format!("127.0.0.1:{}", ports.http),
            "--store".into(),
            format!("remote:127.0.0.1:{}", self.store_port),
            "--cookie".into(),
            COOKIE.into(),
        ];
        args.extend(self.node_flags.iter().cloned());
        self.spawn(node_id, "node", args)?;
        self.wait_ready(node_id, ports.http).await
    }

    /// Restart a gateway that was killed, with the same ports.
    pub async fn restart_gateway(&mut self, gateway_id: &str) -> anyhow::Result<()> {
        let http = self.gateways[gateway_id];
        self.process(gateway_id)?.start()?;
        self.wait_ready(gateway_id, http).await
    }

    /// Restart a node that was killed, with the same ports.
    pub async fn restart_node(&mut self, node_id: &str) -> anyhow::Result<()> {
        let ports = self.nodes[node_id];
        self.process(node_id)?.start()?;
        self.wait_ready(node_id, ports.http).await
    }

    /// Start a gateway dialing every known node.
    pub async fn start_gateway(&mut self, gateway_id: &str) -> anyhow::Result<u16> {
        let http = free_port();
        let cluster = free_port();
        let seeds: Vec<String> = self
            .nodes
            .values()
            .map(|ports| format!("127.0.0.1:{}", ports.cluster))
            .collect();
        let args = vec![
            "--gateway-id".into(),
            gateway_id.into(),
            "--http".into(),
            format!("127.0.0.1:{http}"),
            "--cluster-port".into(),
            cluster.to_string(),
            "--nodes".into(),
            seeds.join(","),
            "--store".into(),
            format!("remote:127.0.0.1:{}", self.store_port),
            "--cookie".into(),
            COOKIE.into(),
            "--jwt-secret".into(),
            JWT_SECRET.into(),
        ];
        let mut args = args;
        if let Some(port) = self.redis_port {
            args.push("--redis".into());
            args.push(format!("redis://127.0.0.1:{port}/"));
        }
        args.extend(self.gateway_flags.iter().cloned());
        self.spawn(gateway_id, "gateway", args)?;
        self.gateways.insert(gateway_id.to_string(), http);
        self.wait_ready(gateway_id, http).await?;
        Ok(http)
    }

    async fn wait_ready(&self, name: &str, port: u16) -> anyhow::Result<()> {
        let url = format!("http://127.0.0.1:{port}/readyz");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(response) = self.http.get(&url).send().await
                && response.status().is_success()
            {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!(
                    "{name} not ready within 30 s; log:\n{}",
                    self.processes
                        .get(name)
                        .map(|p| p.log_tail(40))
                        .unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A process by name.
    pub fn process(&mut self, name: &str) -> anyhow::Result<&mut Process> {
        self.processes
            .get_mut(name)
            .with_context(|| format!("no process {name}"))
    }

    /// The websocket URL of a gateway.
    pub fn ws_url(&self, gateway_id: &str) -> String {
        format!("ws://127.0.0.1:{}/ws", self.gateways[gateway_id])
    }

    /// GET a node's or gateway's metrics exposition.
    pub async fn metrics(&self, port: u16) -> anyhow::Result<String> {
        Ok(self
            .http
            .get(format!("http://127.0.0.1:{port}/metrics"))
            .send()
            .await?
            .text()
            .await?)
    }

    /// Wait until `gateway` routes to `count` live nodes (its `gateway_live_nodes` gauge).
    pub async fn wait_gateway_sees(&self, gateway: &str, count: usize) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = self
                .metrics(self.gateways[gateway])
                .await
                .unwrap_or_default();
            let live = text
                .lines()
                .find(|line| line.starts_with("gateway_live_nodes "))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|value| value.parse::<f64>().ok())
                .unwrap_or(0.0);
            if live as usize == count {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!("{gateway} sees {live} live nodes, not {count}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Create an auction through a gateway's HTTP API, retrying while no node is reachable yet.
    /// Returns the node that created it.
    pub async fn create_auction(
        &self,
        gateway_id: &str,
        setup: &AuctionSetup,
    ) -> anyhow::Result<String> {
        let url = format!(
            "http://127.0.0.1:{}/api/auctions",
            self.gateways[gateway_id]
        );
        let token = token_for(&setup.commissioner, "Commissioner");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let response = self
                .http
                .post(&url)
                .bearer_auth(&token)
                .json(setup)
                .send()
                .await?;
            let status = response.status();
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            if status.as_u16() == 201 {
                return Ok(body["node"].as_str().unwrap_or_default().to_string());
            }
            if status.as_u16() == 409 {
                // Created by an earlier attempt whose answer was lost: creation is idempotent.
                return Ok(String::new());
            }
            if status.as_u16() != 503 || Instant::now() >= deadline {
                bail!("creating the auction failed: {status} {body}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Print every process's log tail (called on failure).
    pub fn dump_logs(&self) {
        for process in self.processes.values() {
            eprintln!(
                "===== {} (last 60 lines) =====\n{}",
                process.name,
                process.log_tail(60)
            );
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.dump_logs();
        }
    }
}

/// The path of a program on `PATH`.
pub fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .chain(["/usr/sbin", "/usr/bin", "/sbin"])
        .map(|dir| Path::new(dir).join(program))
        .find(|path| path.exists())
}

/// Wait until something listens on a loopback port.
pub async fn wait_for_port(port: u16, timeout: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!("nothing listened on port {port} within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A session token for `user` signed with the test secret.
pub fn token_for(user: &UserId, name: &str) -> String {
    let secret =
        SessionSecret::new(JWT_SECRET.as_bytes().to_vec()).expect("the test secret is long enough");
    let now = Timestamp(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0),
    );
    let email =
        Email::parse(&format!("{}@test.example", user.as_str())).expect("test emails are valid");
    let user = User::new(user.clone(), name, email, now).expect("test names are valid");
    league::auth::issue(&secret, &user, 0, now, &mut rand::rng())
}

/// A user id.
pub fn user(raw: &str) -> UserId {
    UserId::try_new(raw.to_string()).expect("test ids are valid")
}

/// A small football auction: `managers` managers, the Premier League clubs, pilot rules with the
/// given clock (ms) and anti-snipe window.
pub fn football_setup(
    auction_id: &str,
    managers: &[&str],
    bid_clock_ms: u64,
    anti_snipe_ms: u64,
) -> AuctionSetup {
    let settings = LeagueSettings {
        bid_clock: auction::DurationMs(bid_clock_ms),
        anti_snipe: auction::DurationMs(anti_snipe_ms),
        ..LeagueSettings::default()
    };
    AuctionSetup {
        auction_id: AuctionId::try_new(auction_id.to_string()).expect("test ids are valid"),
        league_name: format!("Test league {auction_id}"),
        settings,
        commissioner: user("commish"),
        managers: managers
            .iter()
            .map(|id| Manager {
                id: user(id),
                name: id.to_string(),
            })
            .collect(),
        assets: league::catalogue::Catalogue::premier_league_2025_26().assets(),
        keepers: Vec::new(),
    }
}

/// An auction id whose preferred node among `nodes` is `wanted`.
pub fn auction_id_preferring(prefix: &str, wanted: &str, nodes: &[&str]) -> String {
    (0..10_000)
        .map(|i| format!("{prefix}-{i}"))
        .find(|id| protocol::placement::preferred_node(id, nodes.iter().copied()) == Some(wanted))
        .expect("some id hashes to every node")
}
