//! `node`: parse the configuration, install logging and metrics, run until SIGTERM/SIGINT.

use clap::Parser;
use node::NodeConfig;

#[tokio::main]
async fn main() {
    let config = NodeConfig::parse();
    if let Err(problem) = config.validate() {
        eprintln!("invalid configuration: {problem}");
        std::process::exit(64);
    }
    telemetry::init_logging(config.log_format, "info");
    let metrics = match telemetry::install_metrics() {
        Ok(handle) => Some(handle),
        Err(error) => {
            eprintln!("metrics disabled: {error}");
            None
        }
    };
    if let Err(error) = node::run(config, metrics, shutdown_signal()).await {
        eprintln!("node failed: {error:#}");
        std::process::exit(1);
    }
}

/// Resolves on SIGTERM (Kubernetes) or SIGINT (Ctrl-C).
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = match signal(SignalKind::terminate()) {
        Ok(stream) => stream,
        Err(error) => {
            eprintln!("cannot listen for SIGTERM: {error}");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = terminate.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
