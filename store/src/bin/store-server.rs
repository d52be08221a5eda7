//! `store-server`: serves an embedded store over TCP so that several processes on one machine share it.
//!
//! ```text
//! store-server --listen 127.0.0.1:7400 --data-dir DIR [--metrics 127.0.0.1:PORT]
//! ```
//!
//! The database lives in `DIR/store.redb` (the directory is created if missing). Logs go to stderr (`RUST_LOG`
//! filters them, default `info`); once listening, the bound address is printed to stdout as
//! `listening on ADDR` (useful with port 0). SIGTERM or SIGINT stops accepting, answers every request already
//! received, closes the database and exits 0. With `--metrics`, Prometheus metrics are served on that address.

use anyhow::Context;
use clap::Parser;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use store::EmbeddedStore;
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};

/// Serve the embedded store over TCP.
#[derive(Debug, Parser)]
#[command(name = "store-server", version, about)]
struct Config {
    /// Address to listen on.
    #[arg(long, env = "STORE_LISTEN", default_value = "127.0.0.1:7400")]
    listen: SocketAddr,
    /// Directory holding the database file (`store.redb`); created if missing.
    #[arg(long, env = "STORE_DATA_DIR")]
    data_dir: PathBuf,
    /// Serve Prometheus metrics on this address (e.g. 127.0.0.1:9400).
    #[arg(long, env = "STORE_METRICS")]
    metrics: Option<SocketAddr>,
}

fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("build the tokio runtime")?;
    runtime.block_on(run(config))
}

async fn run(config: Config) -> anyhow::Result<()> {
    if let Some(addr) = config.metrics {
        PrometheusBuilder::new()
            .with_http_listener(addr)
            .set_buckets_for_metric(
                Matcher::Full(store::metrics::STORE_APPEND_SECONDS.to_owned()),
                store::metrics::APPEND_SECONDS_BUCKETS,
            )
            .and_then(|builder| {
                builder.set_buckets_for_metric(
                    Matcher::Full(store::metrics::STORE_GROUP_COMMIT_BATCH_SIZE.to_owned()),
                    store::metrics::BATCH_SIZE_BUCKETS,
                )
            })
            .and_then(PrometheusBuilder::install)
            .with_context(|| format!("serve metrics on {addr}"))?;
        store::metrics::describe();
        tracing::info!(%addr, "serving metrics");
    }
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("create the data directory {}", config.data_dir.display()))?;
    let path = config.data_dir.join("store.redb");
    let store = EmbeddedStore::open(&path).with_context(|| format!("open {}", path.display()))?;
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listen on {}", config.listen))?;
    let addr = listener.local_addr().context("read the bound address")?;
    tracing::info!(%addr, path = %path.display(), "store server listening");
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "listening on {addr}").context("write to stdout")?;
        stdout.flush().context("flush stdout")?;
    }
    let mut terminate = signal(SignalKind::terminate()).context("install the SIGTERM handler")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("install the SIGINT handler")?;
    let shutdown = async move {
        tokio::select! {
            _ = terminate.recv() => tracing::info!("SIGTERM received"),
            _ = interrupt.recv() => tracing::info!("SIGINT received"),
        }
    };
    store::server::serve(listener, Arc::new(store), shutdown).await;
    // The last handle to the store was dropped by `serve`: the writer thread has finished and the file is closed.
    tracing::info!("store server stopped");
    Ok(())
}
