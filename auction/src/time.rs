//! Time as plain values: a [`Timestamp`] (milliseconds since the Unix epoch, as the server's clock
//! reported it to the caller) and a [`DurationMs`]. This crate never reads a clock: every decision
//! takes `now` as an argument, and every event records the time it happened.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A point in time: milliseconds since the Unix epoch (UTC).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The timestamp `millis` milliseconds after the epoch.
    pub const fn from_millis(millis: i64) -> Self {
        Self(millis)
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// This time plus `duration`, saturating at the end of time instead of wrapping.
    pub const fn plus(self, duration: DurationMs) -> Self {
        let add = if duration.0 > i64::MAX as u64 {
            i64::MAX
        } else {
            duration.0 as i64
        };
        Self(self.0.saturating_add(add))
    }

    /// How long after `earlier` this is; zero when `earlier` is not before `self`.
    pub const fn saturating_sub(self, earlier: Timestamp) -> DurationMs {
        if self.0 <= earlier.0 {
            DurationMs(0)
        } else {
            // Non-negative and at most 2^64 - 1, so the cast through u64 is exact.
            DurationMs(self.0.abs_diff(earlier.0))
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}

/// A length of time in milliseconds.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct DurationMs(pub u64);

impl DurationMs {
    /// No time at all.
    pub const ZERO: DurationMs = DurationMs(0);

    /// `secs` whole seconds.
    pub const fn from_secs(secs: u64) -> Self {
        Self(secs.saturating_mul(1000))
    }

    /// `millis` milliseconds.
    pub const fn from_millis(millis: u64) -> Self {
        Self(millis)
    }

    /// The length in milliseconds.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// Whether this is zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }
}

/// Renders as seconds for people: `30 s`, `2.5 s`, `0.25 s`.
impl fmt::Display for DurationMs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (secs, millis) = (self.0 / 1000, self.0 % 1000);
        if millis == 0 {
            write!(f, "{secs} s")
        } else {
            let frac = format!("{millis:03}");
            write!(f, "{secs}.{} s", frac.trim_end_matches('0'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates() {
        let t = Timestamp(1_000);
        assert_eq!(t.plus(DurationMs(500)), Timestamp(1_500));
        assert_eq!(
            Timestamp(i64::MAX - 1).plus(DurationMs(10)),
            Timestamp(i64::MAX)
        );
        assert_eq!(Timestamp(0).plus(DurationMs(u64::MAX)), Timestamp(i64::MAX));
        assert_eq!(Timestamp(1_500).saturating_sub(t), DurationMs(500));
        assert_eq!(t.saturating_sub(Timestamp(1_500)), DurationMs(0));
        assert_eq!(
            Timestamp(i64::MAX).saturating_sub(Timestamp(i64::MIN)),
            DurationMs(u64::MAX)
        );
        assert_eq!(DurationMs::from_secs(30), DurationMs(30_000));
    }

    #[test]
    fn durations_render_as_seconds() {
        for (ms, text) in [
            (30_000, "30 s"),
            (2_500, "2.5 s"),
            (250, "0.25 s"),
            (1, "0.001 s"),
            (0, "0 s"),
        ] {
            assert_eq!(DurationMs(ms).to_string(), text);
        }
    }
}
