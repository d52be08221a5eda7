//! The load test: simulated managers and spectators over real websockets, speaking the documented
//! protocol, with latency percentiles from HDR histograms. The [`client`] module is also what the
//! multi-process tests drive the system with.

pub mod client;
