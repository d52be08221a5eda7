//! The gateway: a stateless websocket and HTTP edge of the auction cluster.
//!
//! It terminates client connections ([`ws`], [`session`]), authenticates them ([`auth`]),
//! rate-limits commands ([`ratelimit`]), routes each command to the node that owns the auction
//! ([`routing`]), and fans each auction's events out to its local connections ([`hub`], fed by the
//! [`sink`] actor). It keeps no auction state: killing a gateway loses no bid, and clients resume on
//! another gateway from the last sequence number they saw.
//!
//! [`run`] is the whole process behind the thin `main`.

pub mod api;
pub mod auth;
pub mod config;
pub mod crowd;
pub mod demo;
pub mod hub;
pub mod metrics;
pub mod outbox;
pub mod ratelimit;
pub mod routing;
pub mod session;
pub mod shared;
pub mod sink;
pub mod state;
pub mod ws;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actors::cluster::{ClusterConfig, PeerSource, SessionEvent};
use anyhow::Context;
use axum::Router;
use axum::routing::get;
use telemetry::Readiness;
use tokio::sync::watch;
use tower_http::services::ServeDir;

pub use config::GatewayConfig;

use crate::auth::JwtAuthenticator;
use crate::hub::Hubs;
use crate::routing::{Routing, RoutingConfig};
use crate::shared::{Shared, SharedConfig};
use crate::state::{GatewayState, StateParts};

/// A running gateway's handles, for tests and the demo seeder.
#[derive(Debug, Clone)]
pub struct Gateway {
    /// Routing to the cluster.
    pub routing: Arc<Routing>,
    /// Shared connection state.
    pub state: Arc<GatewayState>,
    /// The HTTP address actually bound.
    pub http: SocketAddr,
}

/// Run a gateway until `shutdown` resolves.
pub async fn run(
    config: GatewayConfig,
    metrics: Option<telemetry::PrometheusHandle>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    config
        .validate()
        .map_err(anyhow::Error::msg)
        .context("invalid configuration")?;
    crate::metrics::describe();
    store::metrics::describe();
    let store = storage::open(&config.store)
        .await
        .with_context(|| format!("open the store at {}", config.store))?;
    let (stop_tx, stop_rx) = watch::channel(false);

    let routing = Routing::new(RoutingConfig {
        gateway_id: config.gateway_id.clone(),
        ..RoutingConfig::default()
    });
    let hubs = Hubs::new(routing.clone(), Duration::from_secs(30));
    sink::Sink::start(&config.gateway_id, hubs.clone())
        .await
        .context("start the event sink")?;

    let peers_store = store.clone();
    let dynamic_peers: PeerSource = Box::new(move || {
        let store = peers_store.clone();
        Box::pin(async move {
            let now = outbox::server_time();
            store
                .leases()
                .await
                .map(|leases| {
                    leases
                        .into_iter()
                        .filter(|l| l.expires_at > now)
                        .map(|l| l.addr)
                        .collect()
                })
                .unwrap_or_default()
        })
    });
    let cluster_config = ClusterConfig {
        name: format!("gw-{}", config.gateway_id),
        listen_ip: config.listen_ip,
        port: config.cluster_port,
        advertise_host: config
            .advertise_host
            .clone()
            .unwrap_or_else(|| config.listen_ip.to_string()),
        cookie: config.cookie.clone(),
        transitive: false,
        seeds: config.nodes.clone(),
        redial_every: Duration::from_millis(500),
        max_frame_bytes: 16 * 1024 * 1024,
    };
    let (_cluster, mut session_events) =
        actors::cluster::join(cluster_config, Some(dynamic_peers), stop_rx.clone())
            .await
            .context("join the cluster")?;
    let routing_for_sessions = routing.clone();
    tokio::spawn(async move {
        while let Some(event) = session_events.recv().await {
            if let SessionEvent::Disconnected { peer: Some(peer) } = event {
                let node = peer.split('@').next().unwrap_or(&peer).to_string();
                routing_for_sessions.session_closed(&node);
            }
        }
    });
    tokio::spawn(routing.clone().run_heartbeats());
    tokio::spawn(hubs.clone().run_maintenance());

    let secret = league::auth::SessionSecret::new(config.jwt_secret.as_bytes().to_vec())
        .map_err(|error| anyhow::anyhow!("invalid JWT secret: {error}"))?;
    let shared = Shared::new(SharedConfig {
        url: config.redis.clone(),
        gateway_id: config.gateway_id.clone(),
        commands_per_minute: config.commands_per_minute,
        command_burst: config.command_burst,
        connections_per_ip: config.connections_per_ip,
    })
    .context("configure redis")?;
    tokio::spawn(shared.clone().run());
    routing.use_shared(shared.clone());
    tokio::spawn(hubs.clone().run_presence(shared.clone()));
    let revocations = auth::RevocationCache::new();
    let state = Arc::new(GatewayState::new(StateParts {
        config: config.connection(),
        routing: routing.clone(),
        hubs,
        auth: Arc::new(JwtAuthenticator::new(secret.clone(), revocations.clone())),
        authz: api::authorizer(store.clone()),
        limiter: shared.clone(),
        shared: shared.clone(),
        connections_per_ip: config.connections_per_ip,
        store: store.clone(),
        secret: secret.clone(),
        public_url: config.public_url.clone(),
    }));

    let api = api::Api::start(
        state.clone(),
        api::ApiOptions {
            dev_login: config.dev_login,
            revocations,
        },
    )
    .await;

    let readiness = Readiness::default();
    let app = Router::new()
        .route("/ws", get(ws::upgrade))
        .with_state(state.clone())
        .merge(api.router())
        .merge(telemetry::ops_router(metrics, readiness.clone()))
        .fallback_service(
            // The web client, gzip-compressed on the wire (about a third of its size).
            tower::ServiceBuilder::new()
                .layer(tower_http::compression::CompressionLayer::new())
                .service(ServeDir::new(&config.web_dir).append_index_html_on_directories(true)),
        );
    let listener = bind(config.http).with_context(|| format!("bind {}", config.http))?;
    let http = listener.local_addr()?;
    tracing::info!(gateway = %config.gateway_id, %http, store = %config.store, "gateway listening");

    if config.seed_demo {
        let api = api.clone();
        tokio::spawn(async move {
            match demo::seed(&api).await {
                Ok(invitations) => demo::print(&invitations),
                Err(error) => tracing::error!(%error, "could not seed the demo league"),
            }
        });
    }
    // Ready once the first auction node answers heartbeats (a gateway that cannot route a bid
    // should not receive traffic yet); after that, only shutdown makes it unready.
    let ready_routing = routing.clone();
    let ready_flag = readiness.clone();
    tokio::spawn(async move {
        while ready_routing.live_nodes().is_empty() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        ready_flag.set(true);
    });
    // Small frames must leave at once: without TCP_NODELAY, a manager's second small frame (the
    // ack after the event) waits for the phone's delayed ACK, about 40 ms.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp: &mut tokio::net::TcpStream| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
    });
    let serve = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(drain_connections(
        shutdown,
        state.clone(),
        readiness.clone(),
    ));
    serve.await.context("http server")?;
    let _ = stop_tx.send(true);
    Ok(())
}

/// On shutdown: stop being ready, close every websocket with 1001 so clients move to another
/// gateway at once (and resume by sequence), and give the closes a moment to go out.
async fn drain_connections(
    shutdown: impl Future<Output = ()>,
    state: Arc<GatewayState>,
    readiness: Readiness,
) {
    shutdown.await;
    readiness.set(false);
    let open = state.open_connections();
    tracing::info!(open, "shutting down: closing every connection");
    state.close_all();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while state.open_connections() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Bind with a large accept backlog (the default 128 drops SYNs in a connect storm).
fn bind(address: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if address.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(4096)
}
