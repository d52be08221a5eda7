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
    if let Err(error) = node::run(config, metrics, telemetry::shutdown_signal()).await {
        eprintln!("node failed: {error:#}");
        std::process::exit(1);
    }
}
