//! The crowd runtime: where the frames of connections that only watch are written.
//!
//! With ten thousand spectators on one auction, every accepted bid means ten thousand socket
//! writes. Done on the gateway's main runtime, those writer tasks queue ahead of everything else
//! and a manager's `ack` waits behind them (measured: bid → ack p99 150–190 ms with 10,000
//! watchers on one 2-core machine). So a connection's writer starts here, on a runtime with threads
//! of its own that the operating system schedules beside the main ones, and moves to the main
//! runtime the first time its connection sends a command: the people who act (managers, the
//! commissioner) are written to by the main runtime; the crowd never stands in their queue.
//!
//! Sockets stay registered with the main runtime's I/O driver; only the task that writes to them
//! runs here (tokio resources may be polled from any runtime while their driver runs).

use std::sync::OnceLock;

use tokio::runtime::{Builder, Handle, Runtime};

/// The crowd runtime, started on first use and kept for the life of the process; the caller's own
/// runtime if no thread could be started for it (logged once).
pub fn handle() -> Handle {
    static CROWD: OnceLock<Option<Runtime>> = OnceLock::new();
    let crowd = CROWD.get_or_init(|| {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("gateway-crowd")
            .enable_all()
            .build()
            .inspect_err(|error| {
                tracing::error!(%error, "no crowd runtime: every connection is written from the main runtime");
            })
            .ok()
    });
    match crowd {
        Some(runtime) => runtime.handle().clone(),
        None => Handle::current(),
    }
}
