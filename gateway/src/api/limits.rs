//! Per-IP rate limits of the routes that anyone may call: asking for magic links, redeeming them,
//! and presenting invite codes (with a tighter budget for codes that turn out to be wrong).
//!
//! These are token buckets in this gateway's memory: a burst of `capacity`, refilled evenly over
//! `period`. They bound abuse from one address; the per-email limit of magic links (3 an hour)
//! is the league service's and is shared by every gateway through the store. The budgets are
//! generous enough for a club's 150 managers joining through one stadium Wi-Fi address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::extract::ApiError;

/// What is being limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// `POST /api/auth/magic-link`.
    MagicLinkRequests,
    /// `POST /api/auth/redeem`.
    Redeems,
    /// `POST /api/invites/preview` and `POST /api/invites/accept`.
    InviteAttempts,
    /// Invite codes that were not valid.
    InviteFailures,
}

/// A budget: `capacity` requests, refilled over `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Requests allowed in a burst.
    pub capacity: u32,
    /// Time to refill the whole burst.
    pub period: Duration,
}

impl Bucket {
    /// The budget of each bucket.
    pub fn budget(self) -> Budget {
        match self {
            Bucket::MagicLinkRequests => Budget {
                capacity: 60,
                period: Duration::from_secs(10 * 60),
            },
            Bucket::Redeems => Budget {
                capacity: 120,
                period: Duration::from_secs(10 * 60),
            },
            Bucket::InviteAttempts => Budget {
                capacity: 300,
                period: Duration::from_secs(10 * 60),
            },
            Bucket::InviteFailures => Budget {
                capacity: 20,
                period: Duration::from_secs(10 * 60),
            },
        }
    }

    fn what(self) -> &'static str {
        match self {
            Bucket::MagicLinkRequests => "sign-in links were requested",
            Bucket::Redeems => "sign-in links were opened",
            Bucket::InviteAttempts => "invite codes were presented",
            Bucket::InviteFailures => "invalid invite codes were presented",
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Tokens {
    available: f64,
    updated: Instant,
}

/// The buckets of every client address.
#[derive(Debug, Default)]
pub struct IpLimits {
    /// (bucket, address) → tokens. A std mutex: held for a few arithmetic operations.
    buckets: Mutex<HashMap<(Bucket, IpAddr), Tokens>>,
}

/// Addresses tracked before full buckets are forgotten.
const MAX_TRACKED: usize = 100_000;

impl IpLimits {
    /// Takes one token from `ip`'s `bucket`, or refuses with how long to wait.
    pub fn take(&self, bucket: Bucket, ip: IpAddr) -> Result<(), ApiError> {
        self.try_take(bucket, ip, Instant::now())
    }

    /// Whether `ip` has any budget left in `bucket`, without taking from it.
    pub fn check(&self, bucket: Bucket, ip: IpAddr) -> Result<(), ApiError> {
        let budget = bucket.budget();
        let now = Instant::now();
        let buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        match buckets.get(&(bucket, ip)) {
            Some(tokens) if refill(*tokens, budget, now).available < 1.0 => {
                Err(refusal(bucket, budget, refill(*tokens, budget, now)))
            }
            _ => Ok(()),
        }
    }

    fn try_take(&self, bucket: Bucket, ip: IpAddr, now: Instant) -> Result<(), ApiError> {
        let budget = bucket.budget();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_TRACKED {
            buckets.retain(|(bucket, _), tokens| {
                refill(*tokens, bucket.budget(), now).available
                    < f64::from(bucket.budget().capacity)
            });
        }
        let tokens = buckets.entry((bucket, ip)).or_insert(Tokens {
            available: f64::from(budget.capacity),
            updated: now,
        });
        let refilled = refill(*tokens, budget, now);
        if refilled.available < 1.0 {
            *tokens = refilled;
            return Err(refusal(bucket, budget, refilled));
        }
        *tokens = Tokens {
            available: refilled.available - 1.0,
            updated: now,
        };
        Ok(())
    }
}

fn refill(tokens: Tokens, budget: Budget, now: Instant) -> Tokens {
    let per_second = f64::from(budget.capacity) / budget.period.as_secs_f64();
    let elapsed = now.saturating_duration_since(tokens.updated).as_secs_f64();
    Tokens {
        available: (tokens.available + elapsed * per_second).min(f64::from(budget.capacity)),
        updated: now,
    }
}

fn refusal(bucket: Bucket, budget: Budget, tokens: Tokens) -> ApiError {
    let per_second = f64::from(budget.capacity) / budget.period.as_secs_f64();
    let wait = Duration::from_secs_f64(((1.0 - tokens.available) / per_second).max(1.0));
    let minutes = budget.period.as_secs() / 60;
    ApiError::rate_limited(
        format!(
            "Too many {} from your network: at most {} every {minutes} minutes. Try again in {} seconds.",
            bucket.what(),
            budget.capacity,
            wait.as_secs().max(1)
        ),
        wait,
    )
}
