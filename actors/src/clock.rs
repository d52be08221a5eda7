//! The one source of "now" for actors.
//!
//! Lot deadlines are wall-clock instants (milliseconds since the Unix epoch) because clients render
//! them and other nodes take auctions over. [`Clock`] reads that time as *an anchor plus tokio's
//! monotonic elapsed time*: it never jumps when NTP steps the system clock in the middle of a lot,
//! and in tests with paused tokio time (`#[tokio::test(start_paused = true)]`) it advances exactly as
//! far as `tokio::time::advance` or auto-advance moves it — the same timeline the actors' timers use.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use auction::Timestamp;
use tokio::time::Instant;

/// Wall-clock time derived from tokio's monotonic clock.
#[derive(Debug, Clone)]
pub struct Clock {
    inner: Arc<Anchor>,
}

#[derive(Debug)]
struct Anchor {
    wall_ms: i64,
    instant: Instant,
}

impl Clock {
    /// A clock anchored to the system time now.
    pub fn system() -> Clock {
        let wall_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Clock::anchored_at(wall_ms)
    }

    /// A clock that reads `wall_ms` now (tests use a round number for readable deadlines).
    pub fn anchored_at(wall_ms: i64) -> Clock {
        Clock {
            inner: Arc::new(Anchor {
                wall_ms,
                instant: Instant::now(),
            }),
        }
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        let elapsed = Instant::now().saturating_duration_since(self.inner.instant);
        self.inner
            .wall_ms
            .saturating_add(i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
    }

    /// Now, as the rules crate's timestamp.
    pub fn now(&self) -> Timestamp {
        Timestamp(self.now_ms())
    }

    /// How long from now until `at` (zero if it has passed).
    pub fn until(&self, at: Timestamp) -> std::time::Duration {
        let millis = at.0.saturating_sub(self.now_ms()).max(0);
        std::time::Duration::from_millis(u64::try_from(millis).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn follows_paused_tokio_time() {
        let clock = Clock::anchored_at(1_000_000);
        assert_eq!(clock.now_ms(), 1_000_000);
        tokio::time::advance(std::time::Duration::from_millis(2_500)).await;
        assert_eq!(clock.now_ms(), 1_002_500);
        assert_eq!(
            clock.until(Timestamp(1_003_000)),
            std::time::Duration::from_millis(500)
        );
        assert_eq!(clock.until(Timestamp(1_000_000)), std::time::Duration::ZERO);
    }
}
