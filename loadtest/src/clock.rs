//! One monotonic clock for the whole load generator: microseconds since the process started.
//! Bidders and watchers live in the same process, so a bid's send time and a watcher's receipt
//! time are on the same clock and their difference is a true fan-out latency.

use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

static START: OnceLock<Instant> = OnceLock::new();

/// The instant all `now_us` values count from.
pub fn origin() -> Instant {
    *START.get_or_init(Instant::now)
}

/// Microseconds since [`origin`].
pub fn now_us() -> u64 {
    origin().elapsed().as_micros() as u64
}

/// The [`Instant`] of a `now_us` value.
pub fn instant_of(us: u64) -> Instant {
    origin() + Duration::from_micros(us)
}

/// Wall clock, milliseconds since the Unix epoch (the unit of server times and deadlines).
pub fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or(0)
}
