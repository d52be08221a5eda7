//! Rate limits on commands, per user.
//!
//! [`LocalLimiter`] is a token bucket per user in this process. The shared limiter (Redis, so that
//! a user cannot multiply their allowance by connecting to several gateways) falls back to it
//! whenever Redis is unreachable, and says so in metrics and logs.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use auction::UserId;
use tokio::time::Instant;

/// Whether a command may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Go ahead.
    Allowed,
    /// Over the limit; try again after this long.
    Limited {
        /// Milliseconds until one more command is allowed.
        retry_after_ms: u64,
    },
}

/// A rate limiter for commands.
#[async_trait]
pub trait RateLimiter: Send + Sync + Debug {
    /// Count one command by `user` and say whether it may proceed.
    async fn check(&self, user: &UserId) -> Verdict;
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// A token bucket per user: `per_minute` commands a minute, bursts up to `burst`.
#[derive(Debug)]
pub struct LocalLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<UserId, Bucket>>,
}

impl LocalLimiter {
    /// `per_minute` sustained, with bursts of up to `burst` commands.
    pub fn new(per_minute: u32, burst: u32) -> Self {
        LocalLimiter {
            per_second: f64::from(per_minute.max(1)) / 60.0,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The verdict for one command at `now`.
    pub fn check_at(&self, user: &UserId, now: Instant) -> Verdict {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > 100_000 {
            // Forget users whose bucket has refilled; they are indistinguishable from new ones.
            let full_after = Duration::from_secs_f64(self.burst / self.per_second);
            buckets.retain(|_, bucket| now.duration_since(bucket.updated) < full_after);
        }
        let bucket = buckets.entry(user.clone()).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        let elapsed = now.duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Verdict::Allowed
        } else {
            let wait = (1.0 - bucket.tokens) / self.per_second;
            Verdict::Limited {
                retry_after_ms: (wait * 1000.0).ceil() as u64,
            }
        }
    }
}

#[async_trait]
impl RateLimiter for LocalLimiter {
    async fn check(&self, user: &UserId) -> Verdict {
        self.check_at(user, Instant::now())
    }
}
