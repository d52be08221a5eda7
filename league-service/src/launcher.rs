//! How the service asks the cluster to create a league's auction.
//!
//! The service decides *what* auction to create (the setup built by
//! [`league::model::League::auction_setup`]); the gateway knows *how* to reach the node that will
//! own it. This port keeps the service free of cluster code and lets tests count and fail the calls.

use std::fmt::Debug;

use async_trait::async_trait;
use auction::AuctionSetup;

/// What the cluster did with a create request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Launched {
    /// The auction was created now, on `node`.
    Created {
        /// The node that owns it.
        node: String,
    },
    /// An auction with this id already exists (an earlier attempt whose answer was lost, or a
    /// concurrent start of the same league).
    AlreadyExists,
}

/// Why the cluster did not create the auction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LaunchError {
    /// The node refused the setup (the auction rules' own validation).
    #[error("the auction cannot be created: {message}")]
    Refused {
        /// The refusal's code.
        code: String,
        /// Its sentence.
        message: String,
    },
    /// No node could be asked; nothing was created.
    #[error("no auction node is reachable right now ({0}): try again in a moment")]
    Unavailable(String),
    /// The request may or may not have been applied; starting again is safe.
    #[error(
        "the auction may or may not have been created ({0}): start it again, which is safe and never creates it twice"
    )]
    OutcomeUnknown(String),
}

/// Creates auctions in the cluster.
#[async_trait]
pub trait AuctionLauncher: Send + Sync + Debug {
    /// Create the auction described by `setup` (idempotent per auction id).
    async fn create(&self, setup: AuctionSetup) -> Result<Launched, LaunchError>;
}
