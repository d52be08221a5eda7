//! Leagues and accounts as a service: the pure `league` domain, persisted through
//! [`store::RecordStore`] and served by the gateway's HTTP API.
//!
//! The `league` crate decides (who may do what, whether a join fits, what a CSV row means, how
//! many points a draw is worth) and performs no I/O. This crate does the rest: it loads records,
//! asks the domain, and writes the result back with compare-and-set, so that concurrent requests
//! on several gateways can never break a rule that the domain checked on one copy (two joins
//! racing for the last manager place: exactly one wins). It also owns the flows around the
//! domain: magic links delivered by a [`Mailer`], session tokens and their revocation, invite
//! acceptance that signs a new person in, the all-or-nothing CSV import of managers, starting a
//! league's auction through an [`AuctionLauncher`], and results and tables read back from the
//! auction's event log.
//!
//! It is a crate of its own, not a module of `league`, because `league` is pure by contract
//! (no I/O, no clock, no async) and this crate is all three.
//!
//! Modules and key types:
//! - [`Service`]: the entry point; methods are grouped by topic in [`accounts`], [`leagues`],
//!   [`invites`], [`import`], [`auctions`] and [`scores`].
//! - [`records`]: the storage layout and compare-and-set updates.
//! - [`error`]: [`ServiceError`], with a stable code and a kind per refusal.
//! - [`mailer`]: [`Mailer`], [`OutboxMailer`] (the pilot's: store + log), [`MemoryMailer`].
//! - [`launcher`]: [`AuctionLauncher`], the port to the cluster.
//! - [`clock`]: [`Clock`], [`SystemClock`], [`ManualClock`].
//!
//! Authorization is always [`league::model::access`]'s table: every method that acts on a league
//! takes the caller and asks it, with spectators (kept outside the league record) resolved here.

pub mod accounts;
pub mod auctions;
pub mod clock;
pub mod error;
pub mod import;
pub mod invites;
pub mod launcher;
pub mod leagues;
pub mod mailer;
pub mod metrics;
pub mod records;
pub mod scores;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use league::auth::SessionSecret;
use store::Store;

pub use accounts::{DevLink, MagicLinkRequested, RevocationRows, Session};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{ErrorKind, ImportFailure, Result, RowProblem, ServiceError};
pub use launcher::{AuctionLauncher, LaunchError, Launched};
pub use mailer::{Mail, MailKind, Mailer, MemoryMailer, OutboxMailer};
pub use records::Records;

/// Settings of the service.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Base URL of the web client, for links (`https://draft.example.com`, no trailing slash).
    pub public_url: String,
    /// Return sign-in links to whoever asked for them (development and tests only).
    pub dev_login: bool,
    /// Magic links one email address may request per hour.
    pub magic_links_per_hour: u32,
    /// Lifetime of a session token.
    pub session_lifetime: Duration,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            public_url: "http://127.0.0.1:8080".to_owned(),
            dev_login: false,
            magic_links_per_hour: 3,
            session_lifetime: league::auth::SESSION_LIFETIME,
        }
    }
}

/// What [`Service::new`] is built from.
#[derive(Debug)]
pub struct ServiceParts {
    /// Records (and event logs, for results).
    pub store: Arc<dyn Store>,
    /// The source of "now".
    pub clock: Arc<dyn Clock>,
    /// Signs session tokens.
    pub secret: SessionSecret,
    /// Delivers sign-in links.
    pub mailer: Arc<dyn Mailer>,
    /// Creates auctions in the cluster.
    pub launcher: Arc<dyn AuctionLauncher>,
    /// Settings.
    pub config: ServiceConfig,
}

/// The league service. Cheap to clone; every clone shares the same parts.
#[derive(Clone)]
pub struct Service {
    inner: Arc<Inner>,
}

struct Inner {
    records: Records,
    clock: Arc<dyn Clock>,
    secret: SessionSecret,
    mailer: Arc<dyn Mailer>,
    launcher: Arc<dyn AuctionLauncher>,
    config: ServiceConfig,
}

impl fmt::Debug for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Service")
            .field("store", self.inner.records.store())
            .field("mailer", &self.inner.mailer)
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Service {
    /// Assemble the service.
    pub fn new(parts: ServiceParts) -> Service {
        let ServiceParts {
            store,
            clock,
            secret,
            mailer,
            launcher,
            config,
        } = parts;
        Service {
            inner: Arc::new(Inner {
                records: Records::new(store),
                clock,
                secret,
                mailer,
                launcher,
                config,
            }),
        }
    }

    /// The settings.
    pub fn config(&self) -> &ServiceConfig {
        &self.inner.config
    }

    /// The records.
    pub fn records(&self) -> &Records {
        &self.inner.records
    }

    /// The signing secret (the gateway verifies websocket tokens with it).
    pub fn secret(&self) -> &SessionSecret {
        &self.inner.secret
    }

    /// Now, from the service's clock.
    pub fn now(&self) -> auction::Timestamp {
        self.inner.clock.now()
    }

    /// `public_url` + `path_and_fragment` (which starts with `/`).
    pub(crate) fn link(&self, path_and_fragment: &str) -> String {
        format!(
            "{}{path_and_fragment}",
            self.inner.config.public_url.trim_end_matches('/')
        )
    }
}

/// A new random id: `prefix-` and lowercase base32 of `bytes` random bytes (10 bytes: 16
/// characters, 80 bits; 16 bytes: 26 characters, 128 bits).
pub(crate) fn new_id(prefix: &str, bytes: usize) -> String {
    let mut random = vec![0_u8; bytes];
    rand::Rng::fill(&mut rand::rng(), random.as_mut_slice());
    format!(
        "{prefix}-{}",
        data_encoding::BASE32_NOPAD
            .encode(&random)
            .to_ascii_lowercase()
    )
}

#[cfg(test)]
mod tests;
