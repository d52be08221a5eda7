//! What gateways share through Redis: command rate limits, connections per IP, presence, and the
//! placement directory (which node last served an auction).
//!
//! Redis is a fast hint, never a source of truth: losing its data costs a redirect or a briefly
//! wrong presence list, never a bid. When Redis is unreachable the gateway keeps serving with local
//! limits (each gateway enforces the per-user limit on its own connections) and says so in its
//! metrics (`gateway_ratelimit_degraded` = 1) and logs; a health check flips it back when Redis
//! answers again. No command waits on a Redis outage: while degraded, Redis is not called on the
//! bid path at all.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use auction::{AuctionId, UserId};
use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::metrics as m;
use crate::ratelimit::{LocalLimiter, RateLimiter, Verdict};

/// A token bucket per user, atomic in Redis, on Redis's own clock (gateways' clocks may differ).
/// KEYS[1] = bucket; ARGV = tokens per ms, burst, ttl ms. Returns {allowed, wait_ms}.
const TOKEN_BUCKET: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then tokens = burst; at = now end
if now > at then tokens = math.min(burst, tokens + (now - at) * rate) end
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {allowed, wait}
"#;

/// Knobs of the shared state.
#[derive(Debug, Clone)]
pub struct SharedConfig {
    /// Redis URL (`redis://127.0.0.1:6379/`); `None` runs on local limits only.
    pub url: Option<String>,
    /// This gateway's id (owns its presence and connection entries).
    pub gateway_id: String,
    /// Commands per user per minute.
    pub commands_per_minute: u32,
    /// Burst allowance.
    pub command_burst: u32,
    /// Open connections allowed per client IP, across all gateways.
    pub connections_per_ip: u32,
}

/// Gateway-wide shared state through Redis, with local fallbacks.
pub struct Shared {
    config: SharedConfig,
    redis: Option<ConnectionManager>,
    healthy: AtomicBool,
    local: LocalLimiter,
    bucket: redis::Script,
    /// This gateway's open connections (for the shared per-IP count's refresh).
    connections: Mutex<HashMap<u64, IpAddr>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("redis", &self.config.url)
            .field("healthy", &self.healthy.load(Ordering::Relaxed))
            .finish()
    }
}

/// Entries written by a gateway live this long without refresh (a dead gateway's presence and
/// connections disappear by themselves).
const ENTRY_TTL_MS: i64 = 30_000;
/// Refresh period of presence and connection entries.
const REFRESH_EVERY: Duration = Duration::from_secs(10);

impl Shared {
    /// Build from configuration; connects lazily (a gateway may start before Redis).
    pub fn new(config: SharedConfig) -> Result<Arc<Shared>, redis::RedisError> {
        let redis = match &config.url {
            Some(url) => {
                let client = redis::Client::open(url.as_str())?;
                let manager_config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(Duration::from_millis(250)))
                    .set_response_timeout(Some(Duration::from_millis(250)))
                    .set_number_of_retries(1)
                    .set_max_delay(Duration::from_millis(500));
                Some(client.get_connection_manager_lazy(manager_config)?)
            }
            None => None,
        };
        let local = LocalLimiter::new(config.commands_per_minute, config.command_burst);
        let shared = Arc::new(Shared {
            healthy: AtomicBool::new(false),
            redis,
            local,
            bucket: redis::Script::new(TOKEN_BUCKET),
            connections: Mutex::new(HashMap::new()),
            config,
        });
        metrics::gauge!(m::RATELIMIT_DEGRADED).set(if shared.redis.is_some() { 1.0 } else { 0.0 });
        Ok(shared)
    }

    /// Whether Redis is configured and answering.
    pub fn is_healthy(&self) -> bool {
        self.redis.is_some() && self.healthy.load(Ordering::Relaxed)
    }

    fn connection(&self) -> Option<ConnectionManager> {
        if self.is_healthy() {
            self.redis.clone()
        } else {
            None
        }
    }

    fn mark(&self, healthy: bool, why: &str) {
        let was = self.healthy.swap(healthy, Ordering::Relaxed);
        if was != healthy {
            metrics::gauge!(m::RATELIMIT_DEGRADED).set(if healthy { 0.0 } else { 1.0 });
            if healthy {
                tracing::info!(
                    "redis reachable again: shared rate limits, presence and placement resume"
                );
            } else {
                tracing::warn!(%why, "redis unreachable: falling back to local rate limits");
            }
        }
    }

    /// Ping Redis every 500 ms (flipping the degraded flag) and refresh this gateway's presence
    /// and connection entries every 10 s, until the process ends.
    pub async fn run(self: Arc<Self>) {
        let Some(redis) = self.redis.clone() else {
            return;
        };
        let mut last_refresh = tokio::time::Instant::now() - REFRESH_EVERY;
        loop {
            let mut connection = redis.clone();
            let ping: Result<String, _> = redis::cmd("PING").query_async(&mut connection).await;
            match ping {
                Ok(_) => self.mark(true, ""),
                Err(error) => self.mark(false, &error.to_string()),
            }
            if self.is_healthy() && last_refresh.elapsed() >= REFRESH_EVERY {
                last_refresh = tokio::time::Instant::now();
                self.refresh_connections().await;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn refresh_connections(&self) {
        let Some(mut redis) = self.connection() else {
            return;
        };
        let entries: Vec<(u64, IpAddr)> = self
            .connections
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(c, ip)| (*c, *ip))
            .collect();
        if entries.is_empty() {
            return;
        }
        let mut pipe = redis::pipe();
        let expires = now_ms() + ENTRY_TTL_MS;
        for (conn, ip) in entries {
            pipe.zadd(ip_key(ip), self.connection_member(conn), expires)
                .ignore();
            pipe.pexpire(ip_key(ip), ENTRY_TTL_MS).ignore();
        }
        if let Err(error) = pipe.query_async::<()>(&mut redis).await {
            self.mark(false, &error.to_string());
        }
    }

    fn connection_member(&self, conn: u64) -> String {
        format!("{}:{conn}", self.config.gateway_id)
    }

    /// Count a new connection from `ip` across every gateway; `false` when over the limit. With
    /// Redis down this always allows (each gateway still applies its own per-IP cap).
    pub async fn connection_opened(&self, ip: IpAddr, conn: u64) -> bool {
        self.connections
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(conn, ip);
        let Some(mut redis) = self.connection() else {
            return true;
        };
        let key = ip_key(ip);
        let now = now_ms();
        let result: Result<((), (), u64, ()), _> = redis::pipe()
            .atomic()
            .zrembyscore(&key, "-inf", now)
            .zadd(&key, self.connection_member(conn), now + ENTRY_TTL_MS)
            .zcard(&key)
            .pexpire(&key, ENTRY_TTL_MS)
            .query_async(&mut redis)
            .await;
        match result {
            Ok((_, _, count, _)) if count > u64::from(self.config.connections_per_ip) => {
                self.connection_closed(ip, conn).await;
                false
            }
            Ok(_) => true,
            Err(error) => {
                self.mark(false, &error.to_string());
                true
            }
        }
    }

    /// A connection closed.
    pub async fn connection_closed(&self, ip: IpAddr, conn: u64) {
        self.connections
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&conn);
        if let Some(mut redis) = self.connection() {
            let removed: Result<(), _> = redis.zrem(ip_key(ip), self.connection_member(conn)).await;
            if let Err(error) = removed {
                self.mark(false, &error.to_string());
            }
        }
    }

    /// The node that last served `auction`, as recorded by any gateway.
    pub async fn placement(&self, auction: &AuctionId) -> Option<String> {
        let mut redis = self.connection()?;
        match redis.get::<_, Option<String>>(placement_key(auction)).await {
            Ok(node) => node,
            Err(error) => {
                self.mark(false, &error.to_string());
                None
            }
        }
    }

    /// Record that `node` serves `auction` (a hint for other gateways; expires on its own).
    pub async fn set_placement(&self, auction: &AuctionId, node: &str) {
        if let Some(mut redis) = self.connection() {
            let written: Result<(), _> = redis.set_ex(placement_key(auction), node, 600).await;
            if let Err(error) = written {
                self.mark(false, &error.to_string());
            }
        }
    }

    /// Publish who is watching `auction` through this gateway and read who is watching it through
    /// any gateway. `None` when Redis is not available (the caller shows its local view).
    pub async fn presence(
        &self,
        auction: &AuctionId,
        here: &BTreeSet<UserId>,
    ) -> Option<BTreeSet<UserId>> {
        let mut redis = self.connection()?;
        let key = presence_key(auction);
        let now = now_ms();
        let mut pipe = redis::pipe();
        pipe.atomic().zrembyscore(&key, "-inf", now).ignore();
        for user in here {
            pipe.zadd(
                &key,
                format!("{}|{}", user.as_str(), self.config.gateway_id),
                now + ENTRY_TTL_MS,
            )
            .ignore();
        }
        pipe.pexpire(&key, ENTRY_TTL_MS).ignore();
        pipe.zrangebyscore(&key, now, "+inf");
        match pipe.query_async::<(Vec<String>,)>(&mut redis).await {
            Ok((members,)) => Some(
                members
                    .iter()
                    .filter_map(|member| member.split('|').next())
                    .filter_map(|user| UserId::try_new(user.to_string()).ok())
                    .collect(),
            ),
            Err(error) => {
                self.mark(false, &error.to_string());
                None
            }
        }
    }
}

#[async_trait]
impl RateLimiter for Shared {
    async fn check(&self, user: &UserId) -> Verdict {
        let Some(mut redis) = self.connection() else {
            return self.local.check(user).await;
        };
        let per_ms = f64::from(self.config.commands_per_minute.max(1)) / 60_000.0;
        let burst = self.config.command_burst.max(1);
        let ttl_ms = (f64::from(burst) / per_ms).ceil() as u64 + 1_000;
        let outcome: Result<(i64, i64), _> = self
            .bucket
            .key(format!("ratelimit:cmd:{}", user.as_str()))
            .arg(per_ms)
            .arg(burst)
            .arg(ttl_ms)
            .invoke_async(&mut redis)
            .await;
        match outcome {
            Ok((1, _)) => Verdict::Allowed,
            Ok((_, wait)) => Verdict::Limited {
                retry_after_ms: u64::try_from(wait).unwrap_or(1).max(1),
            },
            Err(error) => {
                self.mark(false, &error.to_string());
                self.local.check(user).await
            }
        }
    }
}

fn ip_key(ip: IpAddr) -> String {
    format!("conns:ip:{ip}")
}

fn placement_key(auction: &AuctionId) -> String {
    format!("placement:{}", auction.as_str())
}

fn presence_key(auction: &AuctionId) -> String {
    format!("presence:{}", auction.as_str())
}

fn now_ms() -> i64 {
    crate::outbox::server_time()
}
