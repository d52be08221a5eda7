//! Metric names and the helpers backends use to record them.
//!
//! Only the `metrics` facade is used here; binaries install an exporter (see `store-server --metrics`). Metrics:
//! - `store_append_seconds{backend}` (histogram): latency of `append` as seen by the caller of the backend.
//! - `store_group_commit_batch_size` (histogram): requests applied by one write transaction of the embedded
//!   backend (one fsync).
//! - `store_requests_total{backend,op,outcome}` (counter): every port call, with `outcome` one of
//!   [`Outcome::label`].

use crate::error::{AppendError, ClaimError, LeaseError, PutError, StoreError};
use std::time::Duration;

/// Histogram of append latency in seconds, labelled by backend.
pub const STORE_APPEND_SECONDS: &str = "store_append_seconds";
/// Histogram of requests per group commit.
pub const STORE_GROUP_COMMIT_BATCH_SIZE: &str = "store_group_commit_batch_size";
/// Counter of port calls by backend, operation and outcome.
pub const STORE_REQUESTS_TOTAL: &str = "store_requests_total";

/// Suggested histogram buckets (seconds) for [`STORE_APPEND_SECONDS`].
pub const APPEND_SECONDS_BUCKETS: &[f64] = &[
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0,
];
/// Suggested histogram buckets for [`STORE_GROUP_COMMIT_BATCH_SIZE`].
pub const BATCH_SIZE_BUCKETS: &[f64] = &[
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0,
];

/// Describe the store's metrics (HELP text) once the recorder is installed; every binary that uses
/// a store calls it.
pub fn describe() {
    metrics::describe_histogram!(
        STORE_APPEND_SECONDS,
        metrics::Unit::Seconds,
        "Latency of appends to the durable log, as seen by the caller, by backend"
    );
    metrics::describe_histogram!(
        STORE_GROUP_COMMIT_BATCH_SIZE,
        "Requests applied by one group commit (one fsync)"
    );
    metrics::describe_counter!(
        STORE_REQUESTS_TOTAL,
        "Store calls by backend, operation and outcome"
    );
}

/// Classification of a call's result for the `outcome` label.
pub trait Outcome {
    /// A short snake_case label.
    fn label(&self) -> &'static str;
}

fn store_error_label(error: &StoreError) -> &'static str {
    match error {
        StoreError::InvalidInput(_) => "invalid",
        StoreError::Unavailable(_) => "unavailable",
        StoreError::Io(_) => "io_error",
        StoreError::Backend(_) => "error",
    }
}

impl<T> Outcome for Result<T, StoreError> {
    fn label(&self) -> &'static str {
        match self {
            Ok(_) => "ok",
            Err(error) => store_error_label(error),
        }
    }
}

impl<T> Outcome for Result<T, AppendError> {
    fn label(&self) -> &'static str {
        match self {
            Ok(_) => "ok",
            Err(AppendError::Fenced { .. }) => "fenced",
            Err(AppendError::SeqConflict { .. }) => "seq_conflict",
            Err(AppendError::Store(error)) => store_error_label(error),
        }
    }
}

impl<T> Outcome for Result<T, ClaimError> {
    fn label(&self) -> &'static str {
        match self {
            Ok(_) => "ok",
            Err(ClaimError::Owned { .. }) => "owned",
            Err(ClaimError::Retired) => "retired",
            Err(ClaimError::Store(error)) => store_error_label(error),
        }
    }
}

impl<T> Outcome for Result<T, LeaseError> {
    fn label(&self) -> &'static str {
        match self {
            Ok(_) => "ok",
            Err(LeaseError::Superseded) => "superseded",
            Err(LeaseError::Store(error)) => store_error_label(error),
        }
    }
}

impl<T> Outcome for Result<T, PutError> {
    fn label(&self) -> &'static str {
        match self {
            Ok(_) => "ok",
            Err(PutError::Conflict { .. }) => "conflict",
            Err(PutError::Store(error)) => store_error_label(error),
        }
    }
}

/// Count one port call.
pub(crate) fn record_request(backend: &'static str, op: &'static str, outcome: &impl Outcome) {
    metrics::counter!(STORE_REQUESTS_TOTAL, "backend" => backend, "op" => op, "outcome" => outcome.label())
        .increment(1);
}

/// Record the latency of one append.
pub(crate) fn record_append_latency(backend: &'static str, elapsed: Duration) {
    metrics::histogram!(STORE_APPEND_SECONDS, "backend" => backend).record(elapsed.as_secs_f64());
}

/// Record the size of one group commit.
pub(crate) fn record_batch_size(size: usize) {
    // Precision loss above 2^52 requests per batch is irrelevant.
    #[allow(clippy::cast_precision_loss)]
    metrics::histogram!(STORE_GROUP_COMMIT_BATCH_SIZE).record(size as f64);
}
