//! State shared by every connection of a gateway. None of it is auction state: routing hints, hub
//! caches and counters can all be lost without losing anything.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use auction::UserId;
use league::auth::SessionSecret;
use store::Store;

use crate::auth::{Authenticator, Authorizer};
use crate::config::ConnectionConfig;
use crate::hub::Hubs;
use crate::ratelimit::RateLimiter;
use crate::routing::Routing;
use crate::shared::Shared;

/// What [`GatewayState::new`] is built from.
#[derive(Debug)]
pub struct StateParts {
    /// Connection knobs.
    pub config: ConnectionConfig,
    /// Finding and calling owners.
    pub routing: Arc<Routing>,
    /// Per-auction fan-out.
    pub hubs: Arc<Hubs>,
    /// Session tokens.
    pub auth: Arc<dyn Authenticator>,
    /// Who may watch what.
    pub authz: Arc<dyn Authorizer>,
    /// Command rate limits.
    pub limiter: Arc<dyn RateLimiter>,
    /// What gateways share through Redis.
    pub shared: Arc<Shared>,
    /// Open connections allowed per IP.
    pub connections_per_ip: u32,
    /// Leagues, accounts and auction logs.
    pub store: Arc<dyn Store>,
    /// Signs and verifies session tokens.
    pub secret: SessionSecret,
    /// Public base URL.
    pub public_url: String,
}

/// Everything a connection needs.
#[derive(Debug)]
pub struct GatewayState {
    /// Connection knobs.
    pub config: ConnectionConfig,
    /// Finding and calling owners.
    pub routing: Arc<Routing>,
    /// Per-auction fan-out.
    pub hubs: Arc<Hubs>,
    /// Session tokens.
    pub auth: Arc<dyn Authenticator>,
    /// Who may watch what.
    pub authz: Arc<dyn Authorizer>,
    /// Command rate limits.
    pub limiter: Arc<dyn RateLimiter>,
    /// What gateways share through Redis (limits, presence, placement hints).
    pub shared: Arc<Shared>,
    /// Open connections allowed per IP.
    pub connections_per_ip: u32,
    /// Leagues, accounts and auction logs.
    pub store: Arc<dyn Store>,
    /// Signs and verifies session tokens.
    pub secret: SessionSecret,
    /// Public base URL (for links in invitations and magic links).
    pub public_url: String,
    next_conn: AtomicU64,
    per_ip: Mutex<HashMap<IpAddr, u32>>,
    online: Mutex<HashMap<UserId, u32>>,
    /// Turns true when the gateway shuts down: every connection closes with 1001 ("going away")
    /// so clients reconnect to another gateway at once.
    closing: tokio::sync::watch::Sender<bool>,
}

impl GatewayState {
    /// Assemble the shared state.
    pub fn new(parts: StateParts) -> Self {
        let StateParts {
            config,
            routing,
            hubs,
            auth,
            authz,
            limiter,
            shared,
            connections_per_ip,
            store,
            secret,
            public_url,
        } = parts;
        GatewayState {
            config,
            routing,
            hubs,
            auth,
            authz,
            limiter,
            shared,
            connections_per_ip,
            store,
            secret,
            public_url,
            next_conn: AtomicU64::new(1),
            per_ip: Mutex::new(HashMap::new()),
            online: Mutex::new(HashMap::new()),
            closing: tokio::sync::watch::channel(false).0,
        }
    }

    /// Ask every connection to close (gateway shutdown).
    pub fn close_all(&self) {
        self.closing.send_replace(true);
    }

    /// Notified when the gateway shuts down.
    pub fn closing(&self) -> tokio::sync::watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Open connections (all IPs).
    pub fn open_connections(&self) -> u32 {
        self.per_ip
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .sum()
    }

    /// A fresh connection id.
    pub fn next_conn_id(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    /// Count a new connection from `ip`; `false` when over the per-IP limit.
    pub fn connection_opened(&self, ip: IpAddr) -> bool {
        let mut per_ip = self.per_ip.lock().unwrap_or_else(|p| p.into_inner());
        let count = per_ip.entry(ip).or_insert(0);
        if *count >= self.connections_per_ip {
            return false;
        }
        *count += 1;
        true
    }

    /// A connection from `ip` closed.
    pub fn connection_closed(&self, ip: IpAddr) {
        let mut per_ip = self.per_ip.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = per_ip.get_mut(&ip) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                per_ip.remove(&ip);
            }
        }
    }

    /// A user authenticated on a connection.
    pub fn presence_joined(&self, user: &UserId) {
        *self
            .online
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(user.clone())
            .or_insert(0) += 1;
    }

    /// A user's connection closed (or re-authenticated as someone else).
    pub fn presence_left(&self, user: &UserId) {
        let mut online = self.online.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = online.get_mut(user) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                online.remove(user);
            }
        }
    }

    /// Users with an open authenticated connection here.
    pub fn online_users(&self) -> usize {
        self.online.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}
