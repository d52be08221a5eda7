//! Passwordless sign-in: magic links, session tokens and their revocation.
//!
//! The flow, with the service doing the I/O:
//! 1. A person asks to sign in with their email. [`MagicLink::create`] returns a single-use token
//!    (mailed inside a link) and a record holding only its hash, valid for [`MAGIC_LINK_TTL`].
//! 2. The link is opened: the service finds the record by [`hash_presented`] and calls
//!    [`MagicLink::redeem`], which marks it used. The service then finds or creates the [`User`]
//!    for that email.
//! 3. [`issue`] signs a session token (a JWT, HS256) with claims `sub, name, iat, exp, jti, ver`,
//!    valid for [`SESSION_LIFETIME`] by default. Every request presents it; [`verify_session`]
//!    checks the signature, the expiry against the caller's `now`, and [`Revocations`].
//!
//! Revocation works two ways: one session by its `jti` (sign out here), or every session of a user
//! by bumping their version counter (sign out everywhere: tokens carry the `ver` they were issued
//! with, and older versions are refused).
//!
//! Nothing here reads a clock: jsonwebtoken's own expiry check (which would read the system clock)
//! is switched off and the expiry is checked against the `now` passed in.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::CryptoRng;
use serde::{Deserialize, Serialize};

use crate::model::{Email, User};
use crate::secret::{self, SecretHash};
use crate::timefmt;
use auction::ids::UserId;
use auction::time::Timestamp;

/// How long a magic link stays valid.
pub const MAGIC_LINK_TTL: Duration = Duration::from_secs(15 * 60);
/// How long a session token stays valid unless configured otherwise.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);
/// How far in the future a token's `iat` may be (clock skew between servers) before it is refused.
pub const CLOCK_SKEW_ALLOWANCE: Duration = Duration::from_secs(60);
/// The shortest signing secret accepted, in bytes (HS256 wants at least the hash size).
pub const MIN_SECRET_BYTES: usize = 32;

// === magic links ===

/// A magic-link token to mail to the person; never stored. `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct MagicLinkToken(String);

impl MagicLinkToken {
    /// The token, for the link's URL.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for MagicLinkToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MagicLinkToken(<redacted>)")
    }
}

/// The key under which the magic link for a presented token is stored, or `None` when the text
/// cannot be a token (treat that as [`MagicLinkError::Invalid`]).
pub fn hash_presented(presented: &str) -> Option<SecretHash> {
    SecretHash::of_presented(presented)
}

/// Why a magic link could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MagicLinkError {
    /// Unknown or mistyped token.
    #[error("this sign-in link is not valid: request a new one")]
    Invalid,
    /// Older than [`MAGIC_LINK_TTL`].
    #[error("this sign-in link has expired (links last 15 minutes): request a new one")]
    Expired,
    /// Already used once.
    #[error("this sign-in link has already been used: request a new one")]
    AlreadyUsed,
}

/// A stored magic link: the hash of its token, for whom, and whether it was used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MagicLink {
    token_hash: SecretHash,
    email: Email,
    created_at: Timestamp,
    expires_at: Timestamp,
    used_at: Option<Timestamp>,
}

impl MagicLink {
    /// Creates a link for `email`, valid for [`MAGIC_LINK_TTL`] from `now`. Returns the token to
    /// mail and the record to store.
    pub fn create(
        email: Email,
        now: Timestamp,
        rng: &mut impl CryptoRng,
    ) -> (MagicLinkToken, MagicLink) {
        let token = secret::generate(rng);
        let link = MagicLink {
            token_hash: SecretHash::of_canonical(&token),
            email,
            created_at: now,
            expires_at: timefmt::add(now, MAGIC_LINK_TTL),
            used_at: None,
        };
        (MagicLinkToken(token), link)
    }

    /// The hash of the token (the lookup key).
    pub fn token_hash(&self) -> &SecretHash {
        &self.token_hash
    }

    /// Whom the link signs in.
    pub fn email(&self) -> &Email {
        &self.email
    }

    /// When it was created.
    pub fn created_at(&self) -> Timestamp {
        self.created_at
    }

    /// When it stops working.
    pub fn expires_at(&self) -> Timestamp {
        self.expires_at
    }

    /// When it was used, if it was.
    pub fn used_at(&self) -> Option<Timestamp> {
        self.used_at
    }

    /// Uses the link: checks `presented` matches (constant time), that it is not expired and
    /// not used, then marks it used and returns the email it signs in. Nothing changes on error.
    pub fn redeem(&mut self, presented: &str, now: Timestamp) -> Result<&Email, MagicLinkError> {
        if !hash_presented(presented).is_some_and(|hash| hash.matches(&self.token_hash)) {
            return Err(MagicLinkError::Invalid);
        }
        if self.used_at.is_some() {
            return Err(MagicLinkError::AlreadyUsed);
        }
        if now >= self.expires_at {
            return Err(MagicLinkError::Expired);
        }
        self.used_at = Some(now);
        Ok(&self.email)
    }
}

// === session tokens ===

/// The key that signs and verifies session tokens (HS256). `Debug` is redacted.
#[derive(Clone)]
pub struct SessionSecret(Vec<u8>);

/// A signing secret shorter than [`MIN_SECRET_BYTES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the session signing secret must be at least {MIN_SECRET_BYTES} bytes long (got {len})")]
pub struct SecretTooShort {
    /// Its length.
    pub len: usize,
}

impl SessionSecret {
    /// Wraps a signing secret of at least [`MIN_SECRET_BYTES`] bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<SessionSecret, SecretTooShort> {
        let bytes = bytes.into();
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(SecretTooShort { len: bytes.len() });
        }
        Ok(SessionSecret(bytes))
    }
}

impl fmt::Debug for SessionSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionSecret(<redacted>)")
    }
}

/// What a session token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user.
    pub sub: UserId,
    /// Their display name when the token was issued.
    pub name: String,
    /// Issued at, in seconds since the Unix epoch.
    pub iat: i64,
    /// Expires at, in seconds since the Unix epoch.
    pub exp: i64,
    /// This token's id, for revoking it alone.
    pub jti: String,
    /// The user's session version when issued; bumping it revokes every older token.
    pub ver: u32,
}

/// Why a session token was refused. Messages are for people and contain no secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a JWT, or its claims are missing or of the wrong type.
    #[error("the session token is malformed: sign in again")]
    Malformed,
    /// The signature does not verify (forged, tampered with, signed with another key, or using
    /// another algorithm).
    #[error("the session token's signature is not valid: sign in again")]
    BadSignature,
    /// Past its `exp`.
    #[error("your session has expired: sign in again")]
    Expired,
    /// Issued in the future by more than [`CLOCK_SKEW_ALLOWANCE`].
    #[error("the session token is not valid yet: check your device's clock and sign in again")]
    NotYetValid,
    /// Revoked by `jti` (signed out).
    #[error("this session was signed out: sign in again")]
    Revoked,
    /// Older than the user's current session version (signed out everywhere).
    #[error("you signed out of all devices: sign in again")]
    SignedOutEverywhere,
}

/// Signs a session token for `user` at session `version`, valid for [`SESSION_LIFETIME`].
pub fn issue(
    secret: &SessionSecret,
    user: &User,
    version: u32,
    now: Timestamp,
    rng: &mut impl CryptoRng,
) -> String {
    issue_for(secret, user, version, now, SESSION_LIFETIME, rng)
}

/// Signs a session token valid for `lifetime` (at least one second).
pub fn issue_for(
    secret: &SessionSecret,
    user: &User,
    version: u32,
    now: Timestamp,
    lifetime: Duration,
    rng: &mut impl CryptoRng,
) -> String {
    let iat = timefmt::unix_seconds(now);
    let lifetime_secs = i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX).max(1);
    let claims = Claims {
        sub: user.id.clone(),
        name: user.name.clone(),
        iat,
        exp: iat.saturating_add(lifetime_secs),
        jti: secret::generate(rng),
        ver: version,
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&secret.0),
    )
    .expect("HS256 signing with an HMAC key cannot fail, and Claims always serialises to JSON")
}

/// Verifies a session token's signature and expiry at `now` and returns its claims. Does not
/// consult revocations: use [`verify_session`] for requests.
pub fn verify(secret: &SessionSecret, token: &str, now: Timestamp) -> Result<Claims, TokenError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.leeway = 0;
    validation.set_required_spec_claims(&["sub", "exp", "iat"]);
    let data =
        jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(&secret.0), &validation)
            .map_err(|error| match error.kind() {
                ErrorKind::InvalidSignature
                | ErrorKind::InvalidAlgorithm
                | ErrorKind::InvalidAlgorithmName => TokenError::BadSignature,
                ErrorKind::ExpiredSignature => TokenError::Expired,
                ErrorKind::ImmatureSignature => TokenError::NotYetValid,
                _ => TokenError::Malformed,
            })?;
    let claims = data.claims;
    let now_secs = timefmt::unix_seconds(now);
    if now_secs >= claims.exp {
        return Err(TokenError::Expired);
    }
    let skew = i64::try_from(CLOCK_SKEW_ALLOWANCE.as_secs()).unwrap_or(i64::MAX);
    if claims.iat > now_secs.saturating_add(skew) {
        return Err(TokenError::NotYetValid);
    }
    Ok(claims)
}

/// Verifies a token as [`verify`] does, then refuses it if it has been revoked.
pub fn verify_session(
    secret: &SessionSecret,
    token: &str,
    now: Timestamp,
    revocations: &Revocations,
) -> Result<Claims, TokenError> {
    let claims = verify(secret, token, now)?;
    revocations.check(&claims)?;
    Ok(claims)
}

/// Revoked sessions: single tokens by `jti`, and each user's current session version.
///
/// Revoked `jti`s are kept until the token would have expired anyway; [`Revocations::prune`]
/// drops the rest, so the list stays as small as the number of live revoked tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocations {
    /// `jti` → the revoked token's `exp`.
    revoked: BTreeMap<String, i64>,
    /// User → current session version (absent means 0).
    versions: BTreeMap<UserId, u32>,
}

impl Revocations {
    /// An empty list.
    pub fn new() -> Revocations {
        Revocations::default()
    }

    /// Revokes one session (sign out on this device).
    pub fn revoke(&mut self, claims: &Claims) {
        self.revoked.insert(claims.jti.clone(), claims.exp);
    }

    /// Revokes every session of `user` issued so far and returns the version to put in new
    /// tokens (sign out everywhere).
    pub fn sign_out_everywhere(&mut self, user: &UserId) -> u32 {
        let version = self.versions.entry(user.clone()).or_insert(0);
        *version = version.saturating_add(1);
        *version
    }

    /// The session version to issue new tokens of `user` with.
    pub fn current_version(&self, user: &UserId) -> u32 {
        self.versions.get(user).copied().unwrap_or(0)
    }

    /// Refuses revoked claims.
    pub fn check(&self, claims: &Claims) -> Result<(), TokenError> {
        if claims.ver < self.current_version(&claims.sub) {
            return Err(TokenError::SignedOutEverywhere);
        }
        if self.revoked.contains_key(&claims.jti) {
            return Err(TokenError::Revoked);
        }
        Ok(())
    }

    /// Forgets revoked tokens that have expired by `now` (they are refused as expired anyway).
    pub fn prune(&mut self, now: Timestamp) {
        let now_secs = timefmt::unix_seconds(now);
        self.revoked.retain(|_, exp| *exp > now_secs);
    }

    /// How many single-token revocations are held.
    pub fn revoked_tokens(&self) -> usize {
        self.revoked.len()
    }
}

#[cfg(test)]
mod tests;
