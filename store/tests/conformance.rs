//! The conformance suite against every backend of this crate: in-memory, file, and remote over loopback.

mod in_memory {
    store::conformance_tests!(store::conformance::fixtures::in_memory);
}

mod file {
    store::conformance_tests!(store::conformance::fixtures::file);
}

mod remote {
    store::conformance_tests!(store::conformance::fixtures::remote);
}
