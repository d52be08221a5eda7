//! Joining the actor cluster (ractor_cluster): the node server, session events and a re-dial loop.
//!
//! ractor_cluster never reconnects and does not discover peers by itself (see
//! `../shared/notes/CLUSTER.md`), so every process runs a loop that dials every known peer that is
//! not connected, every `redial_every`. Peers come from static seeds plus a dynamic source — the
//! node leases in the store, which carry each live node's advertised cluster address — so a node or
//! gateway finds a node that joined later without configuration.

use std::collections::BTreeSet;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::time::Duration;

use ractor::{Actor, ActorRef};
use ractor_cluster::node::{NodeConnectionMode, NodeServerSessionInformation};
use ractor_cluster::{NodeEventSubscription, NodeServer, NodeServerMessage};
use tokio::sync::{mpsc, watch};

/// How this process joins the cluster.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// ractor_cluster node name (unique in the cluster).
    pub name: String,
    /// Interface to listen on (127.0.0.1 in tests and `make run`).
    pub listen_ip: IpAddr,
    /// Port to listen on.
    pub port: u16,
    /// Host other members dial (must be routable: pod IP or DNS name in Kubernetes).
    pub advertise_host: String,
    /// Shared secret for the cluster handshake.
    pub cookie: String,
    /// Nodes mesh with each other (transitive); gateways only dial nodes (isolated).
    pub transitive: bool,
    /// Addresses (`host:port`) always dialed.
    pub seeds: Vec<String>,
    /// Re-dial period.
    pub redial_every: Duration,
    /// Largest inbound frame (must be equal on every member; outbound frames are capped by the
    /// gateway's own limits long before this).
    pub max_frame_bytes: u64,
}

/// A peer session opened or closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    /// A session finished its handshake and state exchange.
    Ready {
        /// The peer's node name.
        peer: String,
    },
    /// A session closed (EOF, reset or write error — never a freeze: heartbeats catch those).
    Disconnected {
        /// The peer's node name, when it had been told.
        peer: Option<String>,
    },
}

/// A source of peer addresses, polled on every re-dial round.
pub type PeerSource =
    Box<dyn Fn() -> Pin<Box<dyn Future<Output = Vec<String>> + Send>> + Send + Sync>;

/// The running membership of this process.
#[derive(Debug)]
pub struct ClusterHandle {
    /// The ractor_cluster node server.
    pub server: ActorRef<NodeServerMessage>,
    /// This process's advertised address (`host:port`).
    pub advertised: String,
}

struct Events(mpsc::UnboundedSender<SessionEvent>);

impl NodeEventSubscription for Events {
    fn node_session_opened(&self, _: NodeServerSessionInformation) {}
    fn node_session_authenticated(&self, _: NodeServerSessionInformation) {}
    fn node_session_ready(&self, session: NodeServerSessionInformation) {
        if let Some(peer) = session.peer_name {
            let _ = self.0.send(SessionEvent::Ready { peer: peer.name });
        }
    }
    fn node_session_disconnected(&self, session: NodeServerSessionInformation) {
        let _ = self.0.send(SessionEvent::Disconnected {
            peer: session.peer_name.map(|name| name.name),
        });
    }
}

/// Start the node server and the re-dial loop. Session events are sent to the returned receiver.
pub async fn join(
    config: ClusterConfig,
    dynamic_peers: Option<PeerSource>,
    shutdown: watch::Receiver<bool>,
) -> Result<(ClusterHandle, mpsc::UnboundedReceiver<SessionEvent>), ractor::SpawnErr> {
    let mode = if config.transitive {
        NodeConnectionMode::Transitive
    } else {
        NodeConnectionMode::Isolated
    };
    let server = NodeServer::new(
        config.port,
        config.cookie.clone(),
        config.name.clone(),
        config.advertise_host.clone(),
        None,
        Some(mode),
    )
    .with_listen_addr(config.listen_ip)
    .with_max_inbound_frame_size(config.max_frame_bytes);
    let (server, _) = Actor::spawn(None, server, ()).await?;
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let _ = server.cast(NodeServerMessage::SubscribeToEvents {
        id: "membership".into(),
        subscription: Box::new(Events(events_tx)),
    });
    let advertised = format!("{}:{}", config.advertise_host, config.port);
    tokio::spawn(redial_loop(
        server.clone(),
        config,
        advertised.clone(),
        dynamic_peers,
        shutdown,
    ));
    Ok((ClusterHandle { server, advertised }, events_rx))
}

async fn connected_peers(server: &ActorRef<NodeServerMessage>) -> BTreeSet<String> {
    match ractor::call_t!(server, NodeServerMessage::GetSessions, 1_000) {
        Ok(sessions) => sessions
            .values()
            .filter_map(|session| {
                session
                    .peer_name
                    .as_ref()
                    .map(|name| name.connection_string.clone())
            })
            .collect(),
        Err(_) => BTreeSet::new(),
    }
}

async fn redial_loop(
    server: ActorRef<NodeServerMessage>,
    config: ClusterConfig,
    advertised: String,
    dynamic_peers: Option<PeerSource>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let mut wanted: BTreeSet<String> = config.seeds.iter().cloned().collect();
        if let Some(source) = &dynamic_peers {
            wanted.extend(source().await);
        }
        wanted.remove(&advertised);
        if !wanted.is_empty() {
            let connected = connected_peers(&server).await;
            for peer in wanted.difference(&connected) {
                match tokio::time::timeout(
                    Duration::from_secs(2),
                    ractor_cluster::client_connect(&server, peer.as_str()),
                )
                .await
                {
                    Ok(Ok(())) => tracing::debug!(%peer, "dialed cluster peer"),
                    Ok(Err(error)) => tracing::debug!(%peer, %error, "cluster peer not reachable"),
                    Err(_) => tracing::debug!(%peer, "cluster dial timed out"),
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(config.redial_every) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            server.stop(Some("shutdown".into()));
            return;
        }
    }
}
