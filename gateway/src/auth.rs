//! Who is on the other end of a connection: session tokens (JWT, issued at sign-in by the league
//! service) verified on `hello`, and who may watch which auction.
//!
//! The websocket's `hello` is synchronous and on the hot path of a reconnect storm, so it checks
//! revocations against an in-memory [`RevocationCache`]: sign-outs made through this gateway
//! apply to it at once, those made through another gateway within
//! [`REVOCATION_REFRESH`]. The HTTP API does not use the cache: it checks the store on every
//! request (`league_service::Service::authenticate`), so a sign-out takes effect there at once,
//! everywhere.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use async_trait::async_trait;
use auction::{AuctionId, UserId};
use league::auth::{Claims, Revocations, SessionSecret, TokenError};
use league_service::{RevocationRows, Service};
use protocol::client::ErrorCode;
use tokio::sync::Notify;

/// How often the revocation cache is reloaded from the store.
pub const REVOCATION_REFRESH: Duration = Duration::from_secs(5);

/// An authenticated user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The user.
    pub user: UserId,
    /// Display name.
    pub name: String,
    /// When the session ends (ms since the epoch).
    pub expires_at_ms: i64,
    /// The token's claims, to re-check revocations while a connection stays open.
    pub claims: Option<Claims>,
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

    /// Whether an identity proven earlier still holds (not signed out since). Open connections ask
    /// before every command and periodically.
    fn recheck(&self, _identity: &Identity) -> Result<(), AuthFailure> {
        Ok(())
    }
}

/// Decides who may watch an auction.
#[async_trait]
pub trait Authorizer: Send + Sync + Debug {
    /// Whether `user` may watch `auction`.
    async fn can_view(&self, user: &UserId, auction: &AuctionId) -> bool;
}

/// HS256 session tokens from the league service, checked against the revocation cache.
#[derive(Debug)]
pub struct JwtAuthenticator {
    secret: SessionSecret,
    revocations: Arc<RevocationCache>,
}

impl JwtAuthenticator {
    /// Verify with `secret`, refusing what `revocations` holds.
    pub fn new(secret: SessionSecret, revocations: Arc<RevocationCache>) -> Self {
        JwtAuthenticator {
            secret,
            revocations,
        }
    }
}

impl Authenticator for JwtAuthenticator {
    fn authenticate(&self, token: &str) -> Result<Identity, AuthFailure> {
        let now = auction::Timestamp(crate::outbox::server_time());
        let checked = league::auth::verify(&self.secret, token, now)
            .and_then(|claims| self.revocations.check(&claims).map(|()| claims));
        match checked {
            Ok(claims) => Ok(Identity {
                user: claims.sub.clone(),
                name: claims.name.clone(),
                expires_at_ms: claims.exp.saturating_mul(1000),
                claims: Some(claims),
            }),
            Err(TokenError::Expired | TokenError::Revoked | TokenError::SignedOutEverywhere) => {
                Err(AuthFailure::Expired)
            }
            Err(error) => Err(AuthFailure::Invalid(error.to_string())),
        }
    }

    fn recheck(&self, identity: &Identity) -> Result<(), AuthFailure> {
        match &identity.claims {
            Some(claims) => self
                .revocations
                .check(claims)
                .map_err(|_| AuthFailure::Expired),
            None => Ok(()),
        }
    }
}

/// Anybody signed in may watch any auction (tests of the connection layer without leagues).
#[derive(Debug, Default)]
pub struct AllowSignedIn;

#[async_trait]
impl Authorizer for AllowSignedIn {
    async fn can_view(&self, _user: &UserId, _auction: &AuctionId) -> bool {
        true
    }
}

/// Revoked sessions, in memory: a snapshot of the store's revocations, plus the sign-outs made
/// through this gateway since that snapshot was taken (so a snapshot that was read just before a
/// local sign-out was written cannot undo it).
#[derive(Debug, Default)]
pub struct RevocationCache {
    state: RwLock<CacheState>,
    /// Wakes the refresher early (after a local sign-out everywhere).
    refresh_now: Notify,
}

#[derive(Debug, Default)]
struct CacheState {
    /// What [`RevocationCache::check`] consults: the snapshot with the local changes merged.
    merged: Revocations,
    /// The last snapshot read from the store.
    snapshot: RevocationRows,
    /// Local sign-outs: `jti` → (`exp`, loads started before it was recorded).
    local_tokens: HashMap<String, (i64, u64)>,
    /// Local sign-outs everywhere: user → (version, loads started before it was recorded).
    local_versions: HashMap<UserId, (u32, u64)>,
    /// Loads started so far.
    loads_started: u64,
    /// Whether a snapshot has been read at least once.
    loaded: bool,
}

impl RevocationCache {
    /// An empty cache (nothing revoked until the first load).
    pub fn new() -> Arc<RevocationCache> {
        Arc::new(RevocationCache::default())
    }

    /// Refuses revoked claims (the domain's check, on the merged revocations).
    pub fn check(&self, claims: &Claims) -> Result<(), TokenError> {
        self.read().merged.check(claims)
    }

    /// Whether a snapshot has been loaded yet.
    pub fn is_loaded(&self) -> bool {
        self.read().loaded
    }

    /// A sign-out made here (already written to the store).
    pub fn signed_out(&self, claims: &Claims) {
        let mut state = self.write();
        let loads = state.loads_started;
        state
            .local_tokens
            .insert(claims.jti.clone(), (claims.exp, loads));
        state.rebuild();
    }

    /// A sign-out-everywhere made here (already written to the store), at `version`.
    pub fn signed_out_everywhere(&self, user: &UserId, version: u32) {
        let mut state = self.write();
        let loads = state.loads_started;
        state.local_versions.insert(user.clone(), (version, loads));
        state.rebuild();
        drop(state);
        self.refresh_now.notify_one();
    }

    /// Loads a snapshot from the store now.
    pub async fn load(&self, service: &Service) -> Result<(), league_service::ServiceError> {
        let load = self.begin_load();
        let rows = service.load_revocation_rows().await?;
        self.finish_load(load, rows);
        Ok(())
    }

    /// Numbers a load about to read the store.
    fn begin_load(&self) -> u64 {
        let mut state = self.write();
        state.loads_started += 1;
        state.loads_started
    }

    /// Installs the snapshot read by load number `load`. Local changes recorded before that load
    /// started were written to the store before it read, so they are in the snapshot; later ones
    /// may not be, and are kept.
    fn finish_load(&self, load: u64, rows: RevocationRows) {
        let mut state = self.write();
        state.snapshot = rows;
        state.loaded = true;
        state
            .local_tokens
            .retain(|_, (_, recorded)| *recorded >= load);
        state
            .local_versions
            .retain(|_, (_, recorded)| *recorded >= load);
        state.rebuild();
    }

    /// Reloads every [`REVOCATION_REFRESH`] (or at once when woken) until the cache is dropped.
    pub fn spawn_refresh(self: &Arc<Self>, service: Service) {
        let cache: Weak<RevocationCache> = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let Some(strong) = cache.upgrade() else {
                    return;
                };
                if let Err(error) = strong.load(&service).await {
                    tracing::warn!(%error, "could not reload session revocations; keeping the last ones");
                }
                let woken = async { strong.refresh_now.notified().await };
                tokio::select! {
                    _ = woken => {}
                    _ = tokio::time::sleep(REVOCATION_REFRESH) => {}
                }
            }
        });
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, CacheState> {
        self.state
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, CacheState> {
        self.state
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl CacheState {
    fn rebuild(&mut self) {
        let mut rows = self.snapshot.clone();
        for (jti, (exp, _)) in &self.local_tokens {
            rows.tokens.insert(jti.clone(), *exp);
        }
        for (user, (version, _)) in &self.local_versions {
            let current = rows.versions.entry(user.clone()).or_insert(0);
            *current = (*current).max(*version);
        }
        match rows.into_revocations() {
            Ok(merged) => self.merged = merged,
            Err(error) => tracing::error!(%error, "could not build the revocation cache"),
        }
    }
}

#[cfg(test)]
mod tests;
