//! Node configuration: command-line flags, each also settable from the environment
//! (`AUCTION_NODE_*`, `AUCTION_CLUSTER_COOKIE`) so Kubernetes can set them. The only module that
//! reads the environment.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use clap::Parser;
use storage::StoreLocation;
use telemetry::LogFormat;

/// Hosts auction actors for its share of the auctions.
#[derive(Debug, Clone, Parser)]
#[command(name = "node", version, about)]
pub struct NodeConfig {
    /// This node's id, stable across restarts (the pod name in Kubernetes).
    #[arg(long, env = "AUCTION_NODE_ID")]
    pub node_id: String,

    /// Interface the cluster port listens on.
    #[arg(long, env = "AUCTION_NODE_LISTEN_IP", default_value = "127.0.0.1")]
    pub listen_ip: IpAddr,

    /// Cluster port (ractor_cluster).
    #[arg(long, env = "AUCTION_NODE_CLUSTER_PORT", default_value_t = 7101)]
    pub cluster_port: u16,

    /// Host other members dial to reach this node (defaults to the listen IP).
    #[arg(long, env = "AUCTION_NODE_ADVERTISE_HOST")]
    pub advertise_host: Option<String>,

    /// Shared secret of the cluster handshake.
    #[arg(long, env = "AUCTION_CLUSTER_COOKIE", hide_env_values = true)]
    pub cookie: String,

    /// Other members to dial (`host:port`, comma separated); live nodes are also found in the store.
    #[arg(long, env = "AUCTION_NODE_SEEDS", value_delimiter = ',')]
    pub seeds: Vec<String>,

    /// Durable store: `memory`, `embedded:<path>` or `remote:<host:port>`.
    #[arg(long, env = "AUCTION_STORE", default_value = "remote:127.0.0.1:7400")]
    pub store: StoreLocation,

    /// Address of `/healthz`, `/readyz` and `/metrics`.
    #[arg(long, env = "AUCTION_NODE_HTTP", default_value = "127.0.0.1:9101")]
    pub http: SocketAddr,

    /// Node lease lifetime: a node silent this long is considered dead and its auctions move.
    #[arg(long, env = "AUCTION_NODE_LEASE_TTL_MS", default_value_t = 2_000)]
    pub lease_ttl_ms: u64,

    /// Lease renewal period.
    #[arg(long, env = "AUCTION_NODE_LEASE_RENEW_MS", default_value_t = 400)]
    pub lease_renew_ms: u64,

    /// Period of the scan for orphaned auctions.
    #[arg(long, env = "AUCTION_NODE_TAKEOVER_SCAN_MS", default_value_t = 500)]
    pub takeover_scan_ms: u64,

    /// After a takeover a running lot keeps at least this much time.
    #[arg(
        long,
        env = "AUCTION_NODE_RECOVERY_MIN_REMAINING_MS",
        default_value_t = 5_000
    )]
    pub recovery_min_remaining_ms: u64,

    /// How long a drain (SIGTERM) may take before the node exits anyway.
    #[arg(long, env = "AUCTION_NODE_DRAIN_TIMEOUT_MS", default_value_t = 20_000)]
    pub drain_timeout_ms: u64,

    /// Log format: `json` or `pretty`.
    #[arg(long, env = "AUCTION_LOG_FORMAT", default_value = "json")]
    pub log_format: LogFormat,
}

impl NodeConfig {
    /// The tuning knobs these flags set.
    pub fn tuning(&self) -> actors::Tuning {
        actors::Tuning {
            lease_ttl: Duration::from_millis(self.lease_ttl_ms),
            lease_renew_every: Duration::from_millis(self.lease_renew_ms),
            takeover_scan_every: Duration::from_millis(self.takeover_scan_ms),
            recovery_min_remaining_ms: self.recovery_min_remaining_ms,
            ..actors::Tuning::default()
        }
    }

    /// Check relations between flags.
    pub fn validate(&self) -> Result<(), String> {
        if self.node_id.trim().is_empty() || self.node_id.contains([':', '@', ' ']) {
            return Err(format!(
                "node id {:?} must be non-empty without ':', '@' or spaces",
                self.node_id
            ));
        }
        if self.cookie.len() < 8 {
            return Err("the cluster cookie must be at least 8 characters".into());
        }
        if self.lease_renew_ms * 2 > self.lease_ttl_ms {
            return Err(format!(
                "lease renewal ({} ms) must be at most half the lease TTL ({} ms)",
                self.lease_renew_ms, self.lease_ttl_ms
            ));
        }
        Ok(())
    }
}
