//! The node process: joins the cluster, hosts a router and the auction actors of its share of the
//! auctions, keeps its lease, takes over orphaned auctions, and drains on shutdown.
//!
//! [`run`] is the whole process behind the thin `main`, so tests start real nodes in-process or as
//! child processes alike.

pub mod config;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use actors::cluster::{ClusterConfig, PeerSource};
use actors::{Clock, NodeContext, Router};
use anyhow::Context;
use protocol::cluster::{DrainRequest, RouterMessage, Wire};
use telemetry::Readiness;
use tokio::sync::watch;

pub use config::NodeConfig;

/// A number that grows with every process start (nanoseconds since the Unix epoch), so a restarted
/// node never passes for its former self and the store recognises its lease as the newer one.
pub fn new_incarnation() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(1)
}

/// Run a node until `shutdown` resolves, then hand its auctions over and stop.
pub async fn run(
    config: NodeConfig,
    metrics: Option<telemetry::PrometheusHandle>,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    config
        .validate()
        .map_err(anyhow::Error::msg)
        .context("invalid configuration")?;
    actors::metrics::describe();
    store::metrics::describe();
    let store = storage::open(&config.store)
        .await
        .with_context(|| format!("open the store at {}", config.store))?;
    let ctx = Arc::new(NodeContext {
        node_id: config.node_id.clone(),
        incarnation: new_incarnation(),
        store: store.clone(),
        clock: Clock::system(),
        tuning: config.tuning(),
        draining: Arc::new(AtomicBool::new(false)),
    });
    let (stop_tx, stop_rx) = watch::channel(false);

    let readiness = Readiness::default();
    let http = tokio::net::TcpListener::bind(config.http)
        .await
        .with_context(|| format!("bind the health/metrics address {}", config.http))?;
    let ops = telemetry::ops_router(metrics, readiness.clone());
    tokio::spawn(async move {
        if let Err(error) = axum::serve(http, ops).await {
            tracing::error!(%error, "health/metrics server stopped");
        }
    });

    let router = Router::start(ctx.clone())
        .await
        .context("start the router")?;

    let advertise_host = config
        .advertise_host
        .clone()
        .unwrap_or_else(|| config.listen_ip.to_string());
    let peers_store = store.clone();
    let own_node = config.node_id.clone();
    let dynamic_peers: PeerSource = Box::new(move || {
        let store = peers_store.clone();
        let own_node = own_node.clone();
        Box::pin(async move {
            store
                .leases()
                .await
                .map(|leases| {
                    leases
                        .into_iter()
                        .filter(|l| l.node != own_node)
                        .map(|l| l.addr)
                        .collect()
                })
                .unwrap_or_default()
        })
    });
    let cluster_config = ClusterConfig {
        name: config.node_id.clone(),
        listen_ip: config.listen_ip,
        port: config.cluster_port,
        advertise_host,
        cookie: config.cookie.clone(),
        transitive: true,
        seeds: config.seeds.clone(),
        redial_every: Duration::from_millis(500),
        max_frame_bytes: 16 * 1024 * 1024,
    };
    let (cluster, mut session_events) =
        actors::cluster::join(cluster_config, Some(dynamic_peers), stop_rx.clone())
            .await
            .context("join the cluster")?;
    tokio::spawn(async move {
        while let Some(event) = session_events.recv().await {
            tracing::info!(?event, "cluster session");
        }
    });

    let lease = tokio::spawn(actors::lease::run_lease_keeper(
        ctx.clone(),
        router.clone(),
        cluster.advertised.clone(),
        stop_rx.clone(),
    ));
    tokio::spawn(actors::takeover::run_takeover_scanner(
        ctx.clone(),
        router.clone(),
        stop_rx.clone(),
    ));

    readiness.set(true);
    tracing::info!(
        node = %config.node_id, incarnation = ctx.incarnation, cluster = %cluster.advertised,
        http = %config.http, store = %config.store, "node ready"
    );

    shutdown.await;
    tracing::info!("shutdown requested: draining");
    readiness.set(false);
    let report = ractor::call_t!(
        router,
        RouterMessage::Drain,
        config.drain_timeout_ms + 1_000,
        Wire::new(DrainRequest {
            timeout_ms: config.drain_timeout_ms
        })
    );
    match report.map(Wire::into_inner) {
        Ok(Ok(report)) => tracing::info!(
            released = report.released,
            failed = report.failed,
            "drained"
        ),
        other => tracing::warn!(?other, "drain did not complete"),
    }
    let _ = stop_tx.send(true);
    let _ = lease.await;
    router.stop(Some("shutdown".into()));
    Ok(())
}
