//! Leagues, accounts, invite codes, CSV import/export, asset catalogues and scoring.
//!
//! This crate is the pure domain around an auction draft: who belongs to a league and what each of
//! them may do, how people get in (invite codes, magic links, session tokens), what can be auctioned
//! (shipped catalogues and custom pools), and how owned assets score once the real games are played.
//!
//! It is **not** a service: nothing here performs I/O, reads a clock or draws from a global random
//! number generator. Callers pass `now` and an RNG, persist the values returned, and serve them over
//! HTTP (phase 2: a service over `store::RecordStore` and the gateway's HTTP API). The live auction
//! itself is the `auction` crate; this crate only prepares its [`auction::setup::AuctionSetup`].
//!
//! Modules and key types:
//! - [`model`]: [`model::League`], [`model::User`], [`model::Role`] and the single authorization table
//!   ([`model::Action`], [`model::League::can`]).
//! - [`invite`]: unguessable, expiring invite codes stored only as hashes ([`invite::Invite`]).
//! - [`auth`]: passwordless sign-in: single-use magic links, HS256 session tokens, revocation.
//! - [`csvio`]: validating CSV importers (managers, asset pools, fixtures, cricket performances) and
//!   formula-safe exporters.
//! - [`catalogue`]: the asset catalogues shipped as data files under `league/data/`.
//! - [`scoring`]: football and cricket scoring rules, per-asset scores and the league table.

pub mod auth;
pub mod catalogue;
pub mod csvio;
pub mod invite;
pub mod model;
pub mod scoring;
mod secret;
mod timefmt;

pub use secret::SecretHash;
#[cfg(test)]
mod test_util;
