//! The load test: simulated managers and spectators over real websockets, speaking the documented
//! protocol, with latency percentiles from HDR histograms. The [`client`] module is also what the
//! multi-process tests drive the system with. `docs/LOADTEST.md` describes the tool; the figures
//! it produced are in `BENCHMARKS.md`.

pub mod client;
pub mod clock;
pub mod deploy;
pub mod echo;
pub mod report;
pub mod run;
pub mod scenario;
pub mod setup;
pub mod sim;
pub mod stats;
