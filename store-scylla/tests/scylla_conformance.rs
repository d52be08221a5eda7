//! The `store` crate's conformance suite (every check the embedded and remote backends pass) against a real
//! ScyllaDB.
//!
//! Built only with the `scylla-tests` feature, so the workspace's default test run does not include it:
//!
//! ```text
//! SCYLLA_URI=127.0.0.1:9042 cargo nextest run -p store-scylla --features scylla-tests
//! ```
//!
//! `SCYLLA_URI` is a comma-separated list of `host[:port]` contact points. Every check runs in a fresh
//! keyspace (`SimpleStrategy`, RF 1, tablets off) dropped when the check ends, pass or fail. Set
//! `SCYLLA_TABLETS=default` for servers that do not know the `tablets` keyspace option (ScyllaDB before 6.0).
//! Without `SCYLLA_URI` every check fails, saying so: a suite that silently passes without a server would
//! prove nothing.

use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use store::Store;
use store_scylla::{ScyllaConfig, ScyllaStore, Tablets, schema};

/// Drops the check's keyspace when the check ends.
struct Keyspace {
    session: Arc<Session>,
    name: String,
}

impl Drop for Keyspace {
    fn drop(&mut self) {
        let session = Arc::clone(&self.session);
        let statement = schema::drop_keyspace(&self.name);
        let drop_it = async move {
            session
                .query_unpaged(statement, ())
                .await
                .map(|_| ())
                .map_err(|error| error.to_string())
        };
        // The checks run on a multi-threaded runtime, where blocking one worker is allowed.
        let result = match tokio::runtime::Handle::try_current() {
            Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(|| handle.block_on(drop_it))
            }
            _ => {
                eprintln!(
                    "keyspace {} left behind: no multi-threaded runtime to drop it",
                    self.name
                );
                return;
            }
        };
        if let Err(error) = result {
            eprintln!("could not drop keyspace {}: {error}", self.name);
        }
    }
}

fn unique_keyspace() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    // At most 5 + 10 + 1 + 12 + 1 + 20 characters, well under ScyllaDB's 48.
    format!(
        "conf_{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000_000,
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

async fn scylla() -> (Arc<dyn Store>, Keyspace) {
    let uri = std::env::var("SCYLLA_URI").unwrap_or_default();
    assert!(
        !uri.trim().is_empty(),
        "SCYLLA_URI is not set: this suite needs a running ScyllaDB, e.g. \
         `SCYLLA_URI=127.0.0.1:9042 cargo nextest run -p store-scylla --features scylla-tests` \
         (it is excluded from the default test run for that reason)"
    );
    let keyspace = unique_keyspace();
    let mut config = ScyllaConfig::parse(&format!("{}/{keyspace}", uri.trim()))
        .unwrap_or_else(|error| panic!("SCYLLA_URI={uri:?}: {error}"));
    config.request_timeout = Duration::from_secs(10);
    if std::env::var("SCYLLA_TABLETS").as_deref() == Ok("default") {
        config.tablets = Tablets::ServerDefault;
    }
    let session = SessionBuilder::new()
        .known_nodes(&config.nodes)
        .connection_timeout(config.connect_timeout)
        .build()
        .await
        .unwrap_or_else(|error| panic!("connect to ScyllaDB at {uri}: {error}"));
    let session = Arc::new(session);
    // Dropped even if the store cannot be set up.
    let guard = Keyspace {
        session: Arc::clone(&session),
        name: keyspace,
    };
    let store = ScyllaStore::with_session(session, &config)
        .await
        .unwrap_or_else(|error| panic!("set up the store in keyspace {}: {error}", guard.name));
    (Arc::new(store), guard)
}

store::conformance_tests!(scylla);
