//! `gateway`: parse the configuration, install logging and metrics, serve until SIGTERM/SIGINT.

use clap::Parser;
use gateway::GatewayConfig;

#[tokio::main]
async fn main() {
    let config = GatewayConfig::parse();
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
    if let Err(error) = gateway::run(config, metrics, telemetry::shutdown_signal()).await {
        eprintln!("gateway failed: {error:#}");
        std::process::exit(1);
    }
}
