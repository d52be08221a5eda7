//! Where the durable store lives, as given on a command line: `memory`, `embedded:<path>` or
//! `remote:<host:port>` (a `store-server` shared by the processes of one machine).

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
        Err(format!(
            "unknown store location {value:?}: expected `memory`, `embedded:<path>` or `remote:<host:port>`"
        ))
    }
}

impl std::fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreLocation::Memory => write!(f, "memory"),
            StoreLocation::Embedded(path) => write!(f, "embedded:{}", path.display()),
            StoreLocation::Remote(address) => write!(f, "remote:{address}"),
        }
    }
}

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
    })
}
