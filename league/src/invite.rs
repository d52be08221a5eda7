//! Invite codes: how managers and spectators get into a league.
//!
//! A code is 128 random bits shown as 26 lowercase base32 characters in five groups
//! (`abcde-fghij-klmno-pqrst-uvwxyz`). Only its SHA-256 hash is stored ([`Invite::code_hash`]).
//! A presented code is matched exactly: ASCII case and the `-`/space separators are normalised,
//! nothing else, and the hashes are compared in constant time. A code expires, may be limited to a
//! number of uses, can be revoked, and a manager invite respects the league's manager limit.
//!
//! Errors never contain the code, and [`InviteCode`]'s `Debug` is redacted, so a code cannot leak
//! through an error message or a log line. (The predecessor matched codes with a regular
//! expression, so `.*` joined any league, and one of its errors revealed the right code.)
//!
//! Lookup flow for the service: [`hash_presented`] gives the key to find the stored [`Invite`],
//! then [`Invite::accept`] checks it and joins the user to the league.

use std::fmt;
use std::time::Duration;

use rand::CryptoRng;
use serde::{Deserialize, Serialize};

use crate::model::{JoinError, JoinRole, League, LeagueId, Role};
use crate::secret::{self, SecretHash};
use crate::timefmt;
use auction::ids::UserId;
use auction::time::Timestamp;

/// How long a code stays valid unless the commissioner chooses otherwise.
pub const DEFAULT_INVITE_TTL: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// The shortest lifetime a code can be given.
pub const MIN_INVITE_TTL: Duration = Duration::from_secs(5 * 60);
/// The longest lifetime a code can be given.
pub const MAX_INVITE_TTL: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// The largest use limit a code can be given.
pub const MAX_INVITE_USES: u32 = 1_000;

/// A freshly issued invite code, to show to the commissioner once and put in links.
///
/// `Debug` is redacted; read the code with [`InviteCode::reveal`] (grouped for people) or
/// [`InviteCode::canonical`] (for URLs).
#[derive(Clone, PartialEq, Eq)]
pub struct InviteCode(String);

impl InviteCode {
    /// The code as shown to people: five groups separated by `-`.
    pub fn reveal(&self) -> String {
        let code = &self.0;
        [
            &code[0..5],
            &code[5..10],
            &code[10..15],
            &code[15..20],
            &code[20..],
        ]
        .join("-")
    }

    /// The code without separators, for URLs.
    pub fn canonical(&self) -> &str {
        &self.0
    }

    /// The hash stored in place of the code.
    pub fn hash(&self) -> SecretHash {
        SecretHash::of_canonical(&self.0)
    }
}

impl fmt::Debug for InviteCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InviteCode(<redacted>)")
    }
}

/// The key under which the invite for a presented code is stored, or `None` when the text cannot
/// be a code at all (treat that as [`InviteError::Unknown`]).
pub fn hash_presented(presented: &str) -> Option<SecretHash> {
    SecretHash::of_presented(presented)
}

/// What the commissioner chooses when issuing a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteOptions {
    /// The role the code grants.
    pub role: JoinRole,
    /// How long the code stays valid ([`MIN_INVITE_TTL`] to [`MAX_INVITE_TTL`]).
    pub ttl: Duration,
    /// How many people may use it (1 to [`MAX_INVITE_USES`]); `None` for no limit other than the
    /// league's manager limit and the expiry.
    pub max_uses: Option<u32>,
}

impl Default for InviteOptions {
    fn default() -> Self {
        InviteOptions {
            role: JoinRole::Manager,
            ttl: DEFAULT_INVITE_TTL,
            max_uses: None,
        }
    }
}

/// Invalid [`InviteOptions`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InviteOptionsError {
    /// Lifetime out of range.
    #[error("an invite code must stay valid for between 5 minutes and 30 days (got {} minutes)", .ttl.as_secs() / 60)]
    Ttl {
        /// The lifetime asked for.
        ttl: Duration,
    },
    /// Use limit out of range.
    #[error("an invite code's use limit must be between 1 and {MAX_INVITE_USES} (got {max_uses})")]
    MaxUses {
        /// The limit asked for.
        max_uses: u32,
    },
}

/// Why a presented invite code was refused. No variant carries the code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InviteError {
    /// No such code for this league (mistyped, made up, or for another league).
    #[error(
        "this invite code is not valid: check that it was typed correctly, or ask the commissioner for a new one"
    )]
    Unknown,
    /// Past its expiry.
    #[error("this invite code has expired: ask the commissioner for a new one")]
    Expired,
    /// Withdrawn by the commissioner.
    #[error("this invite code has been withdrawn by the commissioner")]
    Revoked,
    /// Used as many times as allowed.
    #[error("this invite code has already been used the maximum number of times")]
    UsedUp,
    /// The league has its maximum number of managers.
    #[error("this league is full: it already has its maximum of {max_managers} managers")]
    LeagueFull {
        /// The league's manager limit.
        max_managers: u8,
    },
    /// The user is already in the league.
    #[error("you are already a member of this league (as {role})")]
    AlreadyMember {
        /// Their current role.
        role: Role,
    },
    /// Manager codes stop working once the auction exists.
    #[error("this league's auction has already started, so no more managers can join")]
    AuctionStarted,
}

impl From<JoinError> for InviteError {
    fn from(error: JoinError) -> Self {
        match error {
            JoinError::AlreadyMember { role } => InviteError::AlreadyMember { role },
            JoinError::LeagueFull { max_managers } => InviteError::LeagueFull { max_managers },
            JoinError::AuctionStarted => InviteError::AuctionStarted,
        }
    }
}

/// Whether an invite can still be used, for the commissioner's list of codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InviteState {
    /// Usable.
    Active,
    /// Past its expiry.
    Expired,
    /// Used as many times as allowed.
    UsedUp,
    /// Withdrawn.
    Revoked,
}

/// A stored invite: the hash of its code and its terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invite {
    code_hash: SecretHash,
    league: LeagueId,
    role: JoinRole,
    created_by: UserId,
    created_at: Timestamp,
    expires_at: Timestamp,
    max_uses: Option<u32>,
    uses: u32,
    revoked: bool,
}

impl Invite {
    /// Issues a new code for `league`. Returns the code (show it once, never store it) and the
    /// invite to store.
    pub fn issue(
        league: &LeagueId,
        created_by: &UserId,
        options: InviteOptions,
        now: Timestamp,
        rng: &mut impl CryptoRng,
    ) -> Result<(InviteCode, Invite), InviteOptionsError> {
        if !(MIN_INVITE_TTL..=MAX_INVITE_TTL).contains(&options.ttl) {
            return Err(InviteOptionsError::Ttl { ttl: options.ttl });
        }
        if let Some(max_uses) = options.max_uses
            && !(1..=MAX_INVITE_USES).contains(&max_uses)
        {
            return Err(InviteOptionsError::MaxUses { max_uses });
        }
        let code = InviteCode(secret::generate(rng));
        let invite = Invite {
            code_hash: code.hash(),
            league: league.clone(),
            role: options.role,
            created_by: created_by.clone(),
            created_at: now,
            expires_at: timefmt::add(now, options.ttl),
            max_uses: options.max_uses,
            uses: 0,
            revoked: false,
        };
        Ok((code, invite))
    }

    /// The hash of the code (the lookup key).
    pub fn code_hash(&self) -> &SecretHash {
        &self.code_hash
    }

    /// The league the code admits to.
    pub fn league(&self) -> &LeagueId {
        &self.league
    }

    /// The role the code grants.
    pub fn role(&self) -> JoinRole {
        self.role
    }

    /// Who issued it.
    pub fn created_by(&self) -> &UserId {
        &self.created_by
    }

    /// When it was issued.
    pub fn created_at(&self) -> Timestamp {
        self.created_at
    }

    /// When it stops working.
    pub fn expires_at(&self) -> Timestamp {
        self.expires_at
    }

    /// Its use limit, if any.
    pub fn max_uses(&self) -> Option<u32> {
        self.max_uses
    }

    /// How many people have joined with it.
    pub fn uses(&self) -> u32 {
        self.uses
    }

    /// Whether it can still be used at `now`.
    pub fn state(&self, now: Timestamp) -> InviteState {
        if self.revoked {
            InviteState::Revoked
        } else if now >= self.expires_at {
            InviteState::Expired
        } else if self.max_uses.is_some_and(|max_uses| self.uses >= max_uses) {
            InviteState::UsedUp
        } else {
            InviteState::Active
        }
    }

    /// Withdraws the code; it is refused from now on.
    pub fn revoke(&mut self) {
        self.revoked = true;
    }

    /// Checks `presented` against this invite and, if it is valid at `now`, joins `user` to
    /// `league` with the invite's role and counts the use. Nothing changes on error.
    ///
    /// Checks, in order: the code matches this invite exactly and `league` is the invite's league
    /// (else [`InviteError::Unknown`]); not revoked, not expired, not used up; then the league's own
    /// rules (manager limit, no duplicate member, no manager after the auction started).
    pub fn accept(
        &mut self,
        presented: &str,
        league: &mut League,
        user: &UserId,
        now: Timestamp,
    ) -> Result<Role, InviteError> {
        let matches = hash_presented(presented).is_some_and(|hash| hash.matches(&self.code_hash));
        if !matches || league.id() != &self.league {
            return Err(InviteError::Unknown);
        }
        match self.state(now) {
            InviteState::Active => {}
            InviteState::Expired => return Err(InviteError::Expired),
            InviteState::UsedUp => return Err(InviteError::UsedUp),
            InviteState::Revoked => return Err(InviteError::Revoked),
        }
        league.join(user, self.role, now)?;
        self.uses = self.uses.saturating_add(1);
        Ok(self.role.into())
    }
}

#[cfg(test)]
mod tests;
