//! Tests of the revocation cache behind the websocket's `hello`.

use std::sync::Arc;

use auction::Timestamp;
use league::auth::{SessionSecret, TokenError};
use league::model::Email;
use league_service::{
    AuctionLauncher, LaunchError, Launched, MemoryMailer, Service, ServiceConfig, ServiceParts,
    SystemClock,
};
use store::EmbeddedStore;

use super::{AuthFailure, Authenticator, JwtAuthenticator, RevocationCache};

#[derive(Debug)]
struct NoCluster;

#[async_trait::async_trait]
impl AuctionLauncher for NoCluster {
    async fn create(&self, _: auction::AuctionSetup) -> Result<Launched, LaunchError> {
        Err(LaunchError::Unavailable("no cluster in this test".into()))
    }
}

fn service() -> Service {
    Service::new(ServiceParts {
        store: Arc::new(EmbeddedStore::in_memory().expect("store")),
        clock: Arc::new(SystemClock),
        secret: SessionSecret::new(vec![3_u8; 32]).expect("32 bytes"),
        mailer: Arc::new(MemoryMailer::new()),
        launcher: Arc::new(NoCluster),
        config: ServiceConfig::default(),
    })
}

async fn session(service: &Service, email: &str) -> (String, league::auth::Claims) {
    let (user, _) = service
        .find_or_create_user(&Email::parse(email).expect("email"), Some("Tester"))
        .await
        .expect("account");
    let session = service.issue_session(&user, "test").await.expect("session");
    let claims = league::auth::verify(
        service.secret(),
        &session.token,
        Timestamp(session.expires_at.0 - 1_000),
    )
    .expect("valid");
    (session.token, claims)
}

#[tokio::test]
async fn a_load_that_started_before_a_local_sign_out_does_not_undo_it() {
    let service = service();
    let cache = RevocationCache::new();
    let authenticator = JwtAuthenticator::new(service.secret().clone(), cache.clone());
    let (token, claims) = session(&service, "ann@example.com").await;
    assert!(!cache.is_loaded());
    authenticator.authenticate(&token).expect("valid");

    // Another gateway's sign-out is seen at the next load.
    service.sign_out(&claims).await.expect("stored");
    assert!(authenticator.authenticate(&token).is_ok(), "not loaded yet");
    cache.load(&service).await.expect("loaded");
    assert_eq!(
        authenticator.authenticate(&token),
        Err(AuthFailure::Expired)
    );

    // A local sign-out applies at once, and survives a snapshot read before it was written.
    let (token, claims) = session(&service, "bob@example.com").await;
    let racing_load = cache.begin_load();
    let stale = service.load_revocation_rows().await.expect("read");
    service.sign_out(&claims).await.expect("stored");
    cache.signed_out(&claims);
    assert_eq!(cache.check(&claims), Err(TokenError::Revoked));
    cache.finish_load(racing_load, stale);
    assert_eq!(
        cache.check(&claims),
        Err(TokenError::Revoked),
        "a snapshot older than the sign-out does not undo it"
    );
    // The next load has it from the store, and the local copy is no longer needed.
    cache.load(&service).await.expect("loaded");
    assert_eq!(cache.check(&claims), Err(TokenError::Revoked));
    assert!(cache.read().local_tokens.is_empty());
    assert_eq!(
        authenticator.authenticate(&token),
        Err(AuthFailure::Expired)
    );
}

#[tokio::test]
async fn sign_out_everywhere_refuses_older_versions_only() {
    let service = service();
    let cache = RevocationCache::new();
    let (_, old) = session(&service, "cy@example.com").await;
    let version = service.sign_out_everywhere(&old.sub).await.expect("bumped");
    cache.signed_out_everywhere(&old.sub, version);
    assert_eq!(cache.check(&old), Err(TokenError::SignedOutEverywhere));
    let (_, fresh) = session(&service, "cy@example.com").await;
    assert_eq!(fresh.ver, 1);
    assert_eq!(cache.check(&fresh), Ok(()));
    cache.load(&service).await.expect("loaded");
    assert_eq!(cache.check(&old), Err(TokenError::SignedOutEverywhere));
    assert_eq!(cache.check(&fresh), Ok(()));
}

#[tokio::test]
async fn forged_and_garbage_tokens_are_invalid_not_expired() {
    let service = service();
    let authenticator = JwtAuthenticator::new(service.secret().clone(), RevocationCache::new());
    let (token, _) = session(&service, "dee@example.com").await;
    let other = JwtAuthenticator::new(
        SessionSecret::new(vec![4_u8; 32]).expect("32 bytes"),
        RevocationCache::new(),
    );
    assert!(matches!(
        other.authenticate(&token),
        Err(AuthFailure::Invalid(_))
    ));
    assert!(matches!(
        authenticator.authenticate("garbage"),
        Err(AuthFailure::Invalid(_))
    ));
    let failure = other.authenticate(&token).expect_err("forged");
    assert!(!failure.to_string().contains(&token));
}
