//! Ready-made fixtures for the conformance suite and for other crates' tests: a fresh store of each backend.
//!
//! - [`in_memory()`]: an [`EmbeddedStore`] on redb's in-memory backend.
//! - [`file()`]: an [`EmbeddedStore`] in a temporary directory (deleted when the fixture is dropped).
//! - [`remote()`]: a [`RemoteStore`] connected over 127.0.0.1 to [`serve`](crate::server::serve) running on an
//!   in-memory store; [`TestServer`] also lets a test stop and restart the server.
//!
//! These panic on setup failure: they are test code.

use crate::embedded::EmbeddedStore;
use crate::ports::Store;
use crate::remote::{RemoteConfig, RemoteStore};
use std::net::SocketAddr;
use std::sync::Arc;
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A fresh in-memory embedded store.
pub async fn in_memory() -> Arc<dyn Store> {
    Arc::new(EmbeddedStore::in_memory().expect("create an in-memory store"))
}

/// A fresh file-backed embedded store, with the temporary directory holding it.
pub async fn file() -> (Arc<dyn Store>, TempDir) {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let store = EmbeddedStore::open(dir.path().join("store.redb")).expect("open a file store");
    (Arc::new(store), dir)
}

/// A remote store talking over loopback to a fresh server backed by an in-memory store.
pub async fn remote() -> (Arc<dyn Store>, TestServer) {
    let backing: Arc<dyn Store> =
        Arc::new(EmbeddedStore::in_memory().expect("create an in-memory store"));
    let server = TestServer::start(backing).await;
    let client = RemoteStore::connect(RemoteConfig::new(server.addr().to_string()))
        .await
        .expect("connect to the test server");
    (Arc::new(client), server)
}

/// [`serve`](crate::server::serve) running on 127.0.0.1 in the current runtime. Dropping it stops the server
/// (without waiting); [`TestServer::stop`] stops it and waits for the drain.
#[derive(Debug)]
pub struct TestServer {
    addr: SocketAddr,
    store: Arc<dyn Store>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Serve `store` on an ephemeral 127.0.0.1 port.
    pub async fn start(store: Arc<dyn Store>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        Self::start_on(listener, store)
    }

    /// Serve `store` on `addr` again (after [`stop`](Self::stop)), e.g. to test reconnection.
    pub async fn restart(store: Arc<dyn Store>, addr: SocketAddr) -> Self {
        let listener = TcpListener::bind(addr)
            .await
            .expect("bind the previous address again");
        Self::start_on(listener, store)
    }

    fn start_on(listener: TcpListener, store: Arc<dyn Store>) -> Self {
        let addr = listener.local_addr().expect("listener address");
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(crate::server::serve(
            listener,
            Arc::clone(&store),
            async move {
                // Either an explicit stop or the guard being dropped ends the server.
                let _ = stopped.await;
            },
        ));
        Self {
            addr,
            store,
            shutdown: Some(shutdown),
            task: Some(task),
        }
    }

    /// Where the server listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The store behind the server.
    pub fn store(&self) -> Arc<dyn Store> {
        Arc::clone(&self.store)
    }

    /// Stop accepting, drain every connection, and wait until the server is gone.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task");
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}
