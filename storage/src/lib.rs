//! Where the durable store lives, as given on a command line: `memory`, `embedded:<path>`,
//! `remote:<host:port>` (a `store-server` shared by the processes of one machine) or
//! `scylla:<host:port>[,host:port…]/<keyspace>[?options]` (ScyllaDB, production).
//!
//! The composition root for store backends: binaries depend on this crate, the actors only on the
//! `store` port, so no actor code knows about a storage driver.

use std::path::PathBuf;
use std::sync::Arc;

use store::Store;

/// A store location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// Nothing survives the process (tests, throwaway demos).
    Memory,
    /// An embedded redb file owned by this process.
    Embedded(PathBuf),
    /// A `store-server` over TCP.
    Remote(String),
    /// A ScyllaDB cluster (see `store_scylla::config` for the options after `?`).
    Scylla(store_scylla::ScyllaConfig),
}

impl std::str::FromStr for StoreLocation {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        if value == "memory" {
            return Ok(StoreLocation::Memory);
        }
        if let Some(path) = value.strip_prefix("embedded:").filter(|p| !p.is_empty()) {
            return Ok(StoreLocation::Embedded(PathBuf::from(path)));
        }
        if let Some(address) = value.strip_prefix("remote:").filter(|a| a.contains(':')) {
            return Ok(StoreLocation::Remote(address.to_string()));
        }
        if let Some(location) = value.strip_prefix("scylla:") {
            return store_scylla::ScyllaConfig::parse(location)
                .map(StoreLocation::Scylla)
                .map_err(|error| format!("store location {value:?}: {error}"));
        }
        Err(format!(
            "unknown store location {value:?}: expected `memory`, `embedded:<path>`, `remote:<host:port>` or `scylla:<host:port>[,<host:port>…]/<keyspace>`"
        ))
    }
}

impl std::fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreLocation::Memory => write!(f, "memory"),
            StoreLocation::Embedded(path) => write!(f, "embedded:{}", path.display()),
            StoreLocation::Remote(address) => write!(f, "remote:{address}"),
            StoreLocation::Scylla(config) => write!(f, "scylla:{config}"),
        }
    }
}

/// How long `open` keeps trying to reach ScyllaDB before giving up (the driver connects eagerly, so
/// a node that starts before the cluster would otherwise crash-loop).
const SCYLLA_CONNECT_PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);

/// Open the store at `location`.
pub async fn open(location: &StoreLocation) -> Result<Arc<dyn Store>, store::StoreError> {
    Ok(match location {
        StoreLocation::Memory => Arc::new(store::EmbeddedStore::in_memory()?),
        StoreLocation::Embedded(path) => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .map_err(|error| store::StoreError::Io(error.to_string()))?;
            }
            Arc::new(store::EmbeddedStore::open(path)?)
        }
        StoreLocation::Remote(address) => {
            // Connects (and reconnects) in the background: a process may start before its store
            // server and simply waits for it, instead of crash-looping.
            let config = store::RemoteConfig {
                request_timeout: std::time::Duration::from_secs(2),
                ..store::RemoteConfig::new(address.clone())
            };
            let remote = store::RemoteStore::new(config)?;
            if let Err(error) = remote.ping().await {
                tracing::warn!(%address, %error, "store server not reachable yet; retrying in the background");
            }
            Arc::new(remote)
        }
        StoreLocation::Scylla(config) => {
            // The driver has no lazy session: retry while the cluster is unreachable, give up on
            // anything else (bad configuration, missing schema) at once.
            let deadline = tokio::time::Instant::now() + SCYLLA_CONNECT_PATIENCE;
            let mut backoff = std::time::Duration::from_millis(250);
            loop {
                match store_scylla::ScyllaStore::connect(config.clone()).await {
                    Ok(scylla) => break Arc::new(scylla),
                    Err(store::StoreError::Unavailable(message))
                        if tokio::time::Instant::now() + backoff < deadline =>
                    {
                        tracing::warn!(location = %config, error = %message, "ScyllaDB not reachable yet; retrying");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(std::time::Duration::from_secs(5));
                    }
                    Err(error) => return Err(error),
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_location_parses_and_prints_back() {
        for text in [
            "memory",
            "embedded:data/store.redb",
            "remote:127.0.0.1:7400",
        ] {
            let location: StoreLocation = text.parse().expect("parses");
            assert_eq!(location.to_string(), text);
        }
        let location: StoreLocation =
            "scylla:127.0.0.1:9042,127.0.0.2/auction_store?replication=nts:dc1=3"
                .parse()
                .expect("parse");
        let StoreLocation::Scylla(config) = &location else {
            panic!("{location:?}")
        };
        assert_eq!(config.nodes, vec!["127.0.0.1:9042", "127.0.0.2:9042"]);
        assert_eq!(config.keyspace, "auction_store");
        assert_eq!(
            location.to_string(),
            "scylla:127.0.0.1:9042,127.0.0.2:9042/auction_store?replication=nts:dc1=3"
        );
        assert_eq!(location.to_string().parse::<StoreLocation>(), Ok(location));
    }

    #[test]
    fn bad_locations_say_what_is_expected() {
        for text in [
            "",
            "embedded:",
            "remote:nowhere",
            "disk:/x",
            "scylla:127.0.0.1:9042",
        ] {
            let error = text.parse::<StoreLocation>().expect_err("refused");
            assert!(error.contains("store location"), "{text}: {error}");
        }
    }
}
