//! Who is on the other end of a connection: session tokens (JWT, issued at sign-in by the league
//! service) verified on `hello`, and who may watch which auction.

use std::fmt::Debug;

use async_trait::async_trait;
use auction::{AuctionId, UserId};
use league::auth::{SessionSecret, TokenError};
use protocol::client::ErrorCode;

/// An authenticated user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The user.
    pub user: UserId,
    /// Display name.
    pub name: String,
    /// When the session ends (ms since the epoch).
    pub expires_at_ms: i64,
}

/// Why a token was not accepted (messages never echo the token).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthFailure {
    /// Expired or revoked.
    #[error("Your session has expired or was signed out; sign in again.")]
    Expired,
    /// Not a token we issued.
    #[error("That session token is not valid ({0}); sign in again.")]
    Invalid(String),
}

impl AuthFailure {
    /// The protocol error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            AuthFailure::Expired => ErrorCode::TokenExpired,
            AuthFailure::Invalid(_) => ErrorCode::InvalidToken,
        }
    }
}

/// Verifies session tokens.
pub trait Authenticator: Send + Sync + Debug {
    /// The identity a token proves, or why not.
    fn authenticate(&self, token: &str) -> Result<Identity, AuthFailure>;
}

/// Decides who may watch an auction.
#[async_trait]
pub trait Authorizer: Send + Sync + Debug {
    /// Whether `user` may watch `auction`.
    async fn can_view(&self, user: &UserId, auction: &AuctionId) -> bool;
}

/// HS256 session tokens from the league service.
#[derive(Debug)]
pub struct JwtAuthenticator {
    secret: SessionSecret,
}

impl JwtAuthenticator {
    /// Verify with `secret`.
    pub fn new(secret: SessionSecret) -> Self {
        JwtAuthenticator { secret }
    }
}

impl Authenticator for JwtAuthenticator {
    fn authenticate(&self, token: &str) -> Result<Identity, AuthFailure> {
        let now = auction::Timestamp(crate::outbox::server_time());
        match league::auth::verify(&self.secret, token, now) {
            Ok(claims) => Ok(Identity {
                user: claims.sub,
                name: claims.name,
                expires_at_ms: claims.exp.saturating_mul(1000),
            }),
            Err(TokenError::Expired | TokenError::Revoked | TokenError::SignedOutEverywhere) => {
                Err(AuthFailure::Expired)
            }
            Err(error) => Err(AuthFailure::Invalid(error.to_string())),
        }
    }
}

/// Anybody signed in may watch any auction (single-league demos and tests without leagues).
#[derive(Debug, Default)]
pub struct AllowSignedIn;

#[async_trait]
impl Authorizer for AllowSignedIn {
    async fn can_view(&self, _user: &UserId, _auction: &AuctionId) -> bool {
        true
    }
}
