//! The actor tests' synchronous store obeys the same contract as the real backends: the store
//! crate's conformance checks, run against it.

use std::sync::Arc;

use actors::test_util::MemoryStore;
use store::Store;

fn store() -> Arc<dyn Store> {
    Arc::new(MemoryStore::new())
}

async fn fresh() -> Arc<dyn Store> {
    store()
}

store::conformance_tests!(fresh);
