//! Gateway configuration: flags, each settable from the environment (`AUCTION_GATEWAY_*`,
//! `AUCTION_CLUSTER_COOKIE`, `AUCTION_JWT_SECRET`). The only module that reads the environment.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use storage::StoreLocation;
use telemetry::LogFormat;

/// Stateless websocket and HTTP edge of the auction cluster.
#[derive(Debug, Clone, Parser)]
#[command(name = "gateway", version, about)]
pub struct GatewayConfig {
    /// This gateway's id (unique among gateways; the pod name in Kubernetes).
    #[arg(long, env = "AUCTION_GATEWAY_ID")]
    pub gateway_id: String,

    /// Address of the HTTP and websocket server.
    #[arg(long, env = "AUCTION_GATEWAY_HTTP", default_value = "127.0.0.1:8080")]
    pub http: SocketAddr,

    /// Interface the cluster port listens on.
    #[arg(long, env = "AUCTION_GATEWAY_LISTEN_IP", default_value = "127.0.0.1")]
    pub listen_ip: IpAddr,

    /// Cluster port (ractor_cluster).
    #[arg(long, env = "AUCTION_GATEWAY_CLUSTER_PORT", default_value_t = 7201)]
    pub cluster_port: u16,

    /// Host nodes dial to reach this gateway (defaults to the listen IP).
    #[arg(long, env = "AUCTION_GATEWAY_ADVERTISE_HOST")]
    pub advertise_host: Option<String>,

    /// Shared secret of the cluster handshake.
    #[arg(long, env = "AUCTION_CLUSTER_COOKIE", hide_env_values = true)]
    pub cookie: String,

    /// Node addresses to dial (`host:port`, comma separated); live nodes are also found in the store.
    #[arg(long, env = "AUCTION_GATEWAY_NODES", value_delimiter = ',')]
    pub nodes: Vec<String>,

    /// Durable store: `memory`, `embedded:<path>` or `remote:<host:port>`.
    #[arg(long, env = "AUCTION_STORE", default_value = "remote:127.0.0.1:7400")]
    pub store: StoreLocation,

    /// Secret that signs session tokens (at least 32 bytes).
    #[arg(long, env = "AUCTION_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: String,

    /// Redis for shared rate limits, presence and the placement directory (optional).
    #[arg(long, env = "AUCTION_REDIS_URL")]
    pub redis: Option<String>,

    /// Commands (bids included) per user per minute.
    #[arg(
        long,
        env = "AUCTION_GATEWAY_COMMANDS_PER_MINUTE",
        default_value_t = 120
    )]
    pub commands_per_minute: u32,

    /// Burst allowance of the command rate limit.
    #[arg(long, env = "AUCTION_GATEWAY_COMMAND_BURST", default_value_t = 20)]
    pub command_burst: u32,

    /// Open connections allowed per client IP.
    #[arg(
        long,
        env = "AUCTION_GATEWAY_CONNECTIONS_PER_IP",
        default_value_t = 20_000
    )]
    pub connections_per_ip: u32,

    /// Outgoing frames queued per connection before it is dropped as a slow consumer.
    #[arg(long, env = "AUCTION_GATEWAY_SEND_QUEUE", default_value_t = 256)]
    pub send_queue: usize,

    /// Directory of the web client's static files.
    #[arg(long, env = "AUCTION_GATEWAY_WEB_DIR", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../web/static"))]
    pub web_dir: PathBuf,

    /// Public base URL printed in invite links.
    #[arg(
        long,
        env = "AUCTION_GATEWAY_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub public_url: String,

    /// Create the demo league and print how to join it (for `make run`).
    #[arg(long, env = "AUCTION_GATEWAY_SEED_DEMO")]
    pub seed_demo: bool,

    /// Development only: return sign-in links in API responses (there is no mail service in
    /// development). Only allowed with a loopback HTTP address. Used by `make run` and the tests.
    #[arg(long, env = "AUCTION_GATEWAY_DEV_LOGIN")]
    pub dev_login: bool,

    /// Log format: `json` or `pretty`.
    #[arg(long, env = "AUCTION_LOG_FORMAT", default_value = "json")]
    pub log_format: LogFormat,
}

impl GatewayConfig {
    /// Check relations between flags.
    pub fn validate(&self) -> Result<(), String> {
        if self.gateway_id.trim().is_empty() || self.gateway_id.contains([':', '@', ' ']) {
            return Err(format!(
                "gateway id {:?} must be non-empty without ':', '@' or spaces",
                self.gateway_id
            ));
        }
        if self.cookie.len() < 8 {
            return Err("the cluster cookie must be at least 8 characters".into());
        }
        if self.jwt_secret.len() < 32 {
            return Err("the JWT secret must be at least 32 bytes".into());
        }
        if self.dev_login && !self.http.ip().is_loopback() {
            return Err(format!(
                "--dev-login hands sign-in links to whoever asks, so it is only allowed on a loopback HTTP address (not {})",
                self.http
            ));
        }
        if self.send_queue < 16 {
            return Err("the send queue must hold at least 16 frames".into());
        }
        Ok(())
    }

    /// Connection-level knobs.
    pub fn connection(&self) -> ConnectionConfig {
        ConnectionConfig {
            commands_per_minute: self.commands_per_minute,
            send_queue: self.send_queue,
            ..ConnectionConfig::default()
        }
    }
}

/// Knobs of one websocket connection.
#[derive(Debug, Clone)]
pub struct ConnectionConfig {
    /// Announced in `welcome`.
    pub commands_per_minute: u32,
    /// Outgoing frames queued before the connection is dropped.
    pub send_queue: usize,
    /// A connection silent this long (no frame, no pong) is closed.
    pub idle_timeout: Duration,
    /// A connection must authenticate within this long.
    pub hello_timeout: Duration,
    /// Websocket pings are sent this often.
    pub ping_every: Duration,
    /// Commands one connection may have in flight.
    pub max_commands_in_flight: usize,
    /// Auctions one connection may watch.
    pub max_subscriptions: usize,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        ConnectionConfig {
            commands_per_minute: 120,
            send_queue: 256,
            idle_timeout: Duration::from_secs(45),
            hello_timeout: Duration::from_secs(15),
            ping_every: Duration::from_secs(15),
            max_commands_in_flight: 16,
            max_subscriptions: 16,
        }
    }
}
