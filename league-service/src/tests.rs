//! Tests of the service against the embedded in-memory store, a manual clock, an in-memory
//! mailer and a launcher that writes the auction's creation to the log as a node would.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use auction::{
    Auction, AuctionId, AuctionSetup, Command, Decision, DurationMs, IdempotencyKey,
    LeagueSettings, LotNumber, Money, NominationMode, Sport, Timestamp, UserId,
};
use league::auth::{MagicLinkError, SessionSecret, TokenError};
use league::csvio::UnknownTeams;
use league::invite::{InviteError, InviteOptions};
use league::model::{Action, Audience, Email, JoinRole, LeagueStatus, Role};
use league::scoring::{CricketRules, FootballRules, ScoringRules};
use store::{EmbeddedStore, OwnerId, Store};

use crate::invites::{Accepted, Acceptor};
use crate::leagues::LeagueDraft;
use crate::{
    AuctionLauncher, ErrorKind, LaunchError, Launched, ManualClock, MemoryMailer, Service,
    ServiceConfig, ServiceError, ServiceParts, Session,
};

const T0: Timestamp = Timestamp(1_754_049_600_000); // 2025-08-01T12:00:00Z

/// Creates auctions the way a node does: claims the log and appends `AuctionCreated`.
#[derive(Debug)]
struct LogLauncher {
    store: Arc<dyn Store>,
    calls: AtomicUsize,
    fail_next: Mutex<Option<LaunchError>>,
}

fn owner() -> OwnerId {
    OwnerId::new("test-node", 1)
}

#[async_trait]
impl AuctionLauncher for LogLauncher {
    async fn create(&self, setup: AuctionSetup) -> Result<Launched, LaunchError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if let Some(error) = self.fail_next.lock().expect("not poisoned").take() {
            return Err(error);
        }
        let id = setup.auction_id.clone();
        if self.store.last_seq(id.as_str()).await.expect("store") > 0 {
            return Ok(Launched::AlreadyExists);
        }
        let (_, created) = Auction::create(setup, T0).map_err(|error| LaunchError::Refused {
            code: "invalid_setup".into(),
            message: error.to_string(),
        })?;
        let claim = self
            .store
            .claim(id.as_str(), &owner(), T0.0, true)
            .await
            .expect("claim");
        let payload = protocol::codec::to_msgpack(&created).expect("encode");
        self.store
            .append(id.as_str(), &owner(), claim.epoch, 1, vec![payload])
            .await
            .expect("append");
        Ok(Launched::Created {
            node: "test-node".into(),
        })
    }
}

struct World {
    service: Service,
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
    mailer: MemoryMailer,
    launcher: Arc<LogLauncher>,
}

fn world() -> World {
    world_with(ServiceConfig::default())
}

fn world_with(config: ServiceConfig) -> World {
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory().expect("in-memory store"));
    let clock = Arc::new(ManualClock::new(T0));
    let mailer = MemoryMailer::new();
    let launcher = Arc::new(LogLauncher {
        store: store.clone(),
        calls: AtomicUsize::new(0),
        fail_next: Mutex::new(None),
    });
    let service = Service::new(ServiceParts {
        store: store.clone(),
        clock: clock.clone(),
        secret: SessionSecret::new(vec![42_u8; 32]).expect("32 bytes"),
        mailer: Arc::new(mailer.clone()),
        launcher: launcher.clone(),
        config,
    });
    World {
        service,
        store,
        clock,
        mailer,
        launcher,
    }
}

/// The magic-link token in a mailed link (`.../#magic=<token>[&join=...]`).
fn token_in(link: &str) -> String {
    let fragment = link.split_once('#').expect("a fragment").1;
    fragment
        .split('&')
        .find_map(|pair| pair.strip_prefix("magic="))
        .expect("a magic token")
        .to_owned()
}

impl World {
    async fn sign_in(&self, email: &str, name: &str) -> Session {
        self.service
            .request_magic_link(email, Some(name))
            .await
            .expect("link requested");
        let mail = self.mailer.last_to(email).expect("a mail");
        self.service
            .redeem_magic_link(&token_in(&mail.link))
            .await
            .expect("link redeemed")
    }

    async fn league(&self, commissioner: &Session, settings: LeagueSettings) -> String {
        self.service
            .create_league(
                &commissioner.user,
                LeagueDraft {
                    name: "Pilot League".into(),
                    settings,
                    commissioner_plays: false,
                    catalogue: None,
                    id: None,
                },
            )
            .await
            .expect("league created")
            .id
            .to_string()
    }

    async fn invite(&self, league: &str, by: &Session, role: JoinRole) -> String {
        self.service
            .create_invite(
                league,
                &by.user.id,
                InviteOptions {
                    role,
                    ..InviteOptions::default()
                },
            )
            .await
            .expect("invite created")
            .code
    }

    async fn join(&self, league: &str, code: &str, who: &Session) {
        let accepted = self
            .service
            .accept_invite(code, Acceptor::SignedIn(&who.user.id))
            .await
            .expect("joined");
        assert!(
            matches!(accepted, Accepted::Joined { league_id, .. } if league_id.as_str() == league)
        );
    }
}

fn small_settings() -> LeagueSettings {
    LeagueSettings {
        roster_slots: 1,
        min_managers: 2,
        max_managers: 3,
        nomination: NominationMode::FixedOrder,
        gap_between_lots: DurationMs(0),
        anti_snipe: DurationMs(0),
        bid_clock: DurationMs::from_secs(10),
        ..LeagueSettings::default()
    }
}

// === sign-in ===

#[tokio::test]
async fn a_magic_link_signs_in_once_and_is_never_returned_to_the_requester() {
    let world = world();
    let requested = world
        .service
        .request_magic_link("Ann@Example.com", Some("Ann"))
        .await
        .expect("requested");
    assert_eq!(requested.dev, None, "the link is only mailed");
    let mail = world.mailer.last_to("ann@example.com").expect("mailed");
    assert!(mail.link.starts_with("http://127.0.0.1:8080/#magic="));
    assert!(mail.body.contains(&mail.link));

    let session = world
        .service
        .redeem_magic_link(&token_in(&mail.link))
        .await
        .expect("redeemed");
    assert_eq!(session.user.name, "Ann");
    assert_eq!(session.user.email.as_str(), "ann@example.com");
    let claims = world
        .service
        .authenticate(&session.token)
        .await
        .expect("valid");
    assert_eq!(claims.sub, session.user.id);
    assert_eq!(session.expires_at, Timestamp(T0.0 + 24 * 3600 * 1000));

    let again = world.service.redeem_magic_link(&token_in(&mail.link)).await;
    assert!(matches!(
        again,
        Err(ServiceError::MagicLink(MagicLinkError::AlreadyUsed))
    ));
    // Signing in again reaches the same account.
    let second = world.sign_in("ann@example.com", "Someone Else").await;
    assert_eq!(second.user.id, session.user.id);
    assert_eq!(
        second.user.name, "Ann",
        "an existing account keeps its name"
    );
}

#[tokio::test]
async fn a_magic_link_expires_after_15_minutes_and_garbage_is_invalid() {
    let world = world();
    world
        .service
        .request_magic_link("bob@example.com", None)
        .await
        .expect("requested");
    let link = world
        .mailer
        .last_to("bob@example.com")
        .expect("mailed")
        .link;
    world.clock.advance(Duration::from_secs(15 * 60));
    let expired = world.service.redeem_magic_link(&token_in(&link)).await;
    assert!(matches!(
        expired,
        Err(ServiceError::MagicLink(MagicLinkError::Expired))
    ));
    for garbage in ["", ".*", "not-a-token", &"a".repeat(26)] {
        let error = world
            .service
            .redeem_magic_link(garbage)
            .await
            .expect_err("refused");
        assert_eq!(error.code(), "link_invalid", "{garbage:?}");
        assert_eq!(error.kind(), ErrorKind::BadRequest);
    }
}

#[tokio::test]
async fn magic_links_are_limited_to_3_per_address_per_hour() {
    let world = world();
    for _ in 0..3 {
        world
            .service
            .request_magic_link("carol@example.com", None)
            .await
            .expect("within the limit");
    }
    world.clock.advance(Duration::from_secs(10 * 60));
    let refused = world
        .service
        .request_magic_link("CAROL@example.com", None)
        .await
        .expect_err("over the limit");
    assert_eq!(refused.code(), "rate_limited");
    assert_eq!(
        refused.to_string(),
        "at most 3 sign-in links can be requested for one email address per hour: try again in 50 minutes"
    );
    assert_eq!(refused.retry_after(), Some(Duration::from_secs(50 * 60)));
    assert_eq!(world.mailer.sent().len(), 3, "no fourth mail");
    // Another address is not affected; the first one is again after the hour.
    world
        .service
        .request_magic_link("dave@example.com", None)
        .await
        .expect("another address");
    world.clock.advance(Duration::from_secs(50 * 60));
    world
        .service
        .request_magic_link("carol@example.com", None)
        .await
        .expect("an hour after the first");
}

#[tokio::test]
async fn dev_login_mode_hands_the_link_back() {
    let world = world_with(ServiceConfig {
        dev_login: true,
        ..ServiceConfig::default()
    });
    let requested = world
        .service
        .request_magic_link("dev@example.com", Some("Dev"))
        .await
        .expect("requested");
    let dev = requested.dev.expect("dev mode returns the link");
    assert_eq!(
        dev.link,
        world
            .mailer
            .last_to("dev@example.com")
            .expect("mailed")
            .link
    );
    let session = world
        .service
        .redeem_magic_link(&dev.token)
        .await
        .expect("redeemed");
    assert_eq!(session.user.name, "Dev");
}

#[tokio::test]
async fn signing_out_revokes_one_token_and_signing_out_everywhere_revokes_all() {
    let world = world();
    let phone = world.sign_in("erin@example.com", "Erin").await;
    let laptop = world.sign_in("erin@example.com", "Erin").await;
    let phone_claims = world
        .service
        .authenticate(&phone.token)
        .await
        .expect("valid");
    world
        .service
        .sign_out(&phone_claims)
        .await
        .expect("signed out");
    assert!(matches!(
        world.service.authenticate(&phone.token).await,
        Err(ServiceError::Token(TokenError::Revoked))
    ));
    world
        .service
        .authenticate(&laptop.token)
        .await
        .expect("the other session is untouched");
    let revocations = world.service.load_revocations().await.expect("loaded");
    assert_eq!(revocations.revoked_tokens(), 1);

    let version = world
        .service
        .sign_out_everywhere(&laptop.user.id)
        .await
        .expect("signed out everywhere");
    assert_eq!(version, 1);
    let error = world
        .service
        .authenticate(&laptop.token)
        .await
        .expect_err("revoked");
    assert_eq!(error.code(), "signed_out");
    let revocations = world.service.load_revocations().await.expect("loaded");
    let laptop_claims =
        league::auth::verify(world.service.secret(), &laptop.token, T0).expect("signature");
    assert_eq!(
        revocations.check(&laptop_claims),
        Err(TokenError::SignedOutEverywhere)
    );
    // A new sign-in carries the new version and works.
    let fresh = world.sign_in("erin@example.com", "Erin").await;
    let claims = world
        .service
        .authenticate(&fresh.token)
        .await
        .expect("valid");
    assert_eq!(claims.ver, 1);
    assert_eq!(revocations.check(&claims), Ok(()));

    // Expired revocations are dropped from the store.
    world.clock.advance(Duration::from_secs(25 * 3600));
    let revocations = world.service.load_revocations().await.expect("loaded");
    assert_eq!(revocations.revoked_tokens(), 0);
}

#[tokio::test]
async fn refreshing_a_session_revokes_the_old_token() {
    let world = world();
    let session = world.sign_in("fay@example.com", "Fay").await;
    let claims = world
        .service
        .authenticate(&session.token)
        .await
        .expect("valid");
    world.clock.advance(Duration::from_secs(60));
    let fresh = world
        .service
        .refresh_session(&claims)
        .await
        .expect("refreshed");
    assert_ne!(fresh.token, session.token);
    world
        .service
        .authenticate(&fresh.token)
        .await
        .expect("new token valid");
    assert!(world.service.authenticate(&session.token).await.is_err());
}

// === leagues and authorization ===

#[tokio::test]
async fn league_settings_are_validated_with_the_rules_crate_messages() {
    let world = world();
    let commish = world.sign_in("commish@example.com", "Commish").await;
    let bad = serde_json::json!({ "roster_slots": 0 });
    let settings = crate::leagues::settings_from_json(&bad).expect("parses");
    let error = world
        .service
        .create_league(
            &commish.user,
            LeagueDraft {
                name: "Bad".into(),
                settings,
                commissioner_plays: false,
                catalogue: None,
                id: None,
            },
        )
        .await
        .expect_err("refused");
    assert_eq!(error.code(), "invalid_settings");
    assert_eq!(error.kind(), ErrorKind::Invalid);
    assert!(
        error.to_string().starts_with("invalid settings: "),
        "{error}"
    );

    let typo = crate::leagues::settings_from_json(&serde_json::json!({ "budjet": 5 }))
        .expect_err("unknown setting");
    assert_eq!(
        typo.to_string(),
        "invalid settings: there is no setting called \"budjet\""
    );

    let league = world.league(&commish, LeagueSettings::default()).await;
    let patched = world
        .service
        .update_league(
            &league,
            &commish.user.id,
            Some("Renamed"),
            Some(&serde_json::json!({ "budget": 200_000_000, "increment": { "flat": 2_000_000 } })),
        )
        .await
        .expect("patched");
    assert_eq!(patched.name, "Renamed");
    assert_eq!(patched.settings.budget, Money::millions(200));
    assert_eq!(patched.settings.roster_slots, 3, "other settings are kept");
    assert_eq!(
        patched.settings.increment,
        auction::IncrementRule::Flat(Money::millions(2))
    );
}

#[tokio::test]
async fn every_league_call_asks_the_authorization_table() {
    let world = world();
    let commish = world.sign_in("commish@example.com", "Commish").await;
    let ann = world.sign_in("ann@example.com", "Ann").await;
    let sam = world.sign_in("sam@example.com", "Sam").await;
    let other = world.sign_in("other@example.com", "Other").await;
    let league = world.league(&commish, LeagueSettings::default()).await;
    let manager_code = world.invite(&league, &commish, JoinRole::Manager).await;
    let spectator_code = world.invite(&league, &commish, JoinRole::Spectator).await;
    world.join(&league, &manager_code, &ann).await;
    world.join(&league, &spectator_code, &sam).await;

    let view = world
        .service
        .league_view(&league, Some(&sam.user.id))
        .await
        .expect("spectators see the league");
    assert_eq!(view.your_role, Some(Role::Spectator));
    assert!(view.allowed.contains(&Action::WatchAuction));
    assert!(!view.allowed.contains(&Action::PlaceBid));
    assert_eq!(
        view.members.len(),
        2,
        "spectators are not in the league record"
    );

    let outsider = world
        .service
        .league_view(&league, Some(&other.user.id))
        .await
        .expect_err("outsiders do not");
    assert!(matches!(
        outsider,
        ServiceError::Forbidden {
            action: Action::ViewLeague,
            audience: Audience::Outsider
        }
    ));
    assert_eq!(outsider.code(), "not_a_member");
    let anonymous = world
        .service
        .league_view(&league, None)
        .await
        .expect_err("anonymous callers do not");
    assert_eq!(anonymous.kind(), ErrorKind::NotSignedIn);

    let by_manager = world
        .service
        .update_league(&league, &ann.user.id, Some("Mine now"), None)
        .await
        .expect_err("managers cannot edit");
    assert_eq!(
        by_manager.to_string(),
        "only the commissioner can change this league's name or settings"
    );
    let by_spectator = world
        .service
        .start_auction(&league, &sam.user.id)
        .await
        .expect_err("spectators cannot start");
    assert_eq!(by_spectator.kind(), ErrorKind::Forbidden);

    // Spectators leave from their own table; managers from the league record.
    world
        .service
        .leave_league(&league, &sam.user.id)
        .await
        .expect("left");
    assert!(
        !world
            .service
            .is_spectator(&view.id, &sam.user.id)
            .await
            .expect("store")
    );
    world
        .service
        .leave_league(&league, &ann.user.id)
        .await
        .expect("left");
    let mine = world
        .service
        .my_leagues(&ann.user.id)
        .await
        .expect("listed");
    assert!(mine.is_empty());
    let commish_leagues = world
        .service
        .my_leagues(&commish.user.id)
        .await
        .expect("listed");
    assert_eq!(commish_leagues.len(), 1);
    assert_eq!(commish_leagues[0].role, Role::Commissioner);
}

// === invites ===

#[tokio::test]
async fn invite_codes_match_exactly_and_errors_never_echo_them() {
    let world = world();
    let commish = world.sign_in("commish@example.com", "Commish").await;
    let ann = world.sign_in("ann@example.com", "Ann").await;
    let league = world.league(&commish, LeagueSettings::default()).await;
    let code = world.invite(&league, &commish, JoinRole::Manager).await;

    let regex = code.replace(|c: char| c != '-', ".").replacen('.', "*", 1);
    for wrong in [
        ".*",
        "%",
        "",
        &regex,
        &code[..code.len() - 1],
        &format!("{code}a"),
    ] {
        let error = world
            .service
            .accept_invite(wrong, Acceptor::SignedIn(&ann.user.id))
            .await
            .expect_err("refused");
        assert!(
            matches!(error, ServiceError::Invite(InviteError::Unknown)),
            "{wrong:?}"
        );
        assert!(!error.to_string().contains(&code));
        assert!(!error.to_string().contains(&code.replace('-', "")));
    }
    // Case and separators are the only things normalised.
    let shouted = code.to_uppercase().replace('-', " ");
    world.join(&league, &shouted, &ann).await;
    let again = world
        .service
        .accept_invite(&code, Acceptor::SignedIn(&ann.user.id))
        .await
        .expect_err("already in");
    assert_eq!(
        again.to_string(),
        "you are already a member of this league (as manager)"
    );
    let listed = world
        .service
        .list_invites(&league, &commish.user.id)
        .await
        .expect("listed");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].uses, 1);
    let listing = serde_json::to_string(&listed).expect("json");
    assert!(
        !listing.contains(&code.replace('-', "")),
        "the list never shows codes"
    );
}

#[tokio::test]
async fn invites_expire_can_be_withdrawn_and_run_out() {
    let world = world();
    let commish = world.sign_in("commish@example.com", "Commish").await;
    let ann = world.sign_in("ann@example.com", "Ann").await;
    let bob = world.sign_in("bob@example.com", "Bob").await;
    let league = world.league(&commish, LeagueSettings::default()).await;

    let single = world
        .service
        .create_invite(
            &league,
            &commish.user.id,
            InviteOptions {
                max_uses: Some(1),
                ..InviteOptions::default()
            },
        )
        .await
        .expect("created");
    world.join(&league, &single.code, &ann).await;
    let used_up = world
        .service
        .accept_invite(&single.code, Acceptor::SignedIn(&bob.user.id))
        .await
        .expect_err("used up");
    assert_eq!(used_up.code(), "invite_used_up");
    assert_eq!(used_up.kind(), ErrorKind::Gone);

    let withdrawn = world
        .service
        .create_invite(&league, &commish.user.id, InviteOptions::default())
        .await
        .expect("created");
    world
        .service
        .revoke_invite(&league, &commish.user.id, &withdrawn.invite.id)
        .await
        .expect("withdrawn");
    let error = world
        .service
        .preview_invite(&withdrawn.code)
        .await
        .expect_err("withdrawn");
    assert_eq!(
        error.to_string(),
        "this invite code has been withdrawn by the commissioner"
    );

    let short = world
        .service
        .create_invite(
            &league,
            &commish.user.id,
            InviteOptions {
                ttl: Duration::from_secs(10 * 60),
                ..InviteOptions::default()
            },
        )
        .await
        .expect("created");
    let preview = world
        .service
        .preview_invite(&short.code)
        .await
        .expect("live");
    assert_eq!(preview.league_name, "Pilot League");
    assert_eq!(preview.commissioner, "Commish");
    world.clock.advance(Duration::from_secs(10 * 60));
    let expired = world
        .service
        .accept_invite(&short.code, Acceptor::SignedIn(&bob.user.id))
        .await
        .expect_err("expired");
    assert_eq!(expired.code(), "invite_expired");

    let bad_options = world
        .service
        .create_invite(
            &league,
            &commish.user.id,
            InviteOptions {
                max_uses: Some(0),
                ..InviteOptions::default()
            },
        )
        .await
        .expect_err("refused");
    assert_eq!(
        bad_options.to_string(),
        "an invite code's use limit must be between 1 and 1000 (got 0)"
    );
}

#[tokio::test]
async fn an_invite_signs_a_new_person_in_but_asks_an_existing_account_to_sign_in() {
    let world = world_with(ServiceConfig {
        dev_login: true,
        ..ServiceConfig::default()
    });
    let commish = world.sign_in("commish@example.com", "Commish").await;
    let league = world.league(&commish, LeagueSettings::default()).await;
    let code = world.invite(&league, &commish, JoinRole::Manager).await;

    let missing_name = world
        .service
        .accept_invite(
            &code,
            Acceptor::New {
                email: "new@example.com",
                name: None,
            },
        )
        .await
        .expect_err("a name is needed");
    assert_eq!(missing_name.code(), "name_required");

    let joined = world
        .service
        .accept_invite(
            &code,
            Acceptor::New {
                email: "New@Example.com",
                name: Some("Newcomer"),
            },
        )
        .await
        .expect("joined");
    let Accepted::Joined {
        role,
        session: Some(session),
        user,
        ..
    } = joined
    else {
        panic!("a new account is joined and signed in: {joined:?}")
    };
    assert_eq!(role, Role::Manager);
    assert_eq!(user.email.as_str(), "new@example.com");
    world
        .service
        .authenticate(&session.token)
        .await
        .expect("a working session");

    // The commissioner's email with a valid code: no session, a sign-in link that carries the code.
    let existing = world
        .service
        .accept_invite(
            &code,
            Acceptor::New {
                email: "commish@example.com",
                name: Some("Impostor"),
            },
        )
        .await
        .expect("answered");
    let Accepted::SignInRequired { dev: Some(dev) } = existing else {
        panic!("an existing account must sign in first: {existing:?}")
    };
    let mail = world.mailer.last_to("commish@example.com").expect("mailed");
    assert_eq!(mail.kind, crate::MailKind::SignInToJoin);
    assert_eq!(dev.link, mail.link);
    assert!(mail.link.contains(&format!("&join={code}")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_joins_never_exceed_the_manager_limit() {
    let world = world();
    let commish = world.sign_in("commish@example.com", "Commish").await;
    let league = world.league(&commish, small_settings()).await;
    let code = world.invite(&league, &commish, JoinRole::Manager).await;
    let mut people = Vec::new();
    for i in 0..20 {
        people.push(
            world
                .sign_in(&format!("p{i}@example.com"), &format!("P{i}"))
                .await,
        );
    }
    let tasks: Vec<_> = people
        .iter()
        .map(|person| {
            let service = world.service.clone();
            let code = code.clone();
            let user = person.user.id.clone();
            tokio::spawn(async move {
                service
                    .accept_invite(&code, Acceptor::SignedIn(&user))
                    .await
            })
        })
        .collect();
    let mut joined = 0;
    let mut full = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => joined += 1,
            Err(ServiceError::Invite(InviteError::LeagueFull { max_managers: 3 })) => full += 1,
            Err(other) => panic!("unexpected refusal: {other}"),
        }
    }
    assert_eq!((joined, full), (3, 17));
    let view = world
        .service
        .league_view(&league, Some(&commish.user.id))
        .await
        .expect("view");
    assert_eq!(view.managers, 3);
    let invites = world
        .service
        .list_invites(&league, &commish.user.id)
        .await
        .expect("listed");
    assert_eq!(invites[0].uses, 3, "only successful joins count as uses");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_single_use_code_admits_exactly_one_of_many_racing_people() {
    let world = world();
    let commish = world.sign_in("commish@example.com", "Commish").await;
    let league = world.league(&commish, LeagueSettings::default()).await;
    let invite = world
        .service
        .create_invite(
            &league,
            &commish.user.id,
            InviteOptions {
                max_uses: Some(1),
                ..InviteOptions::default()
            },
        )
        .await
        .expect("created");
    let mut people = Vec::new();
    for i in 0..8 {
        people.push(
            world
                .sign_in(&format!("q{i}@example.com"), &format!("Q{i}"))
                .await,
        );
    }
    let tasks: Vec<_> = people
        .iter()
        .map(|person| {
            let service = world.service.clone();
            let code = invite.code.clone();
            let user = person.user.id.clone();
            tokio::spawn(async move {
                service
                    .accept_invite(&code, Acceptor::SignedIn(&user))
                    .await
            })
        })
        .collect();
    let mut joined = 0;
    for task in tasks {
        if task.await.expect("task").is_ok() {
            joined += 1;
        }
    }
    assert_eq!(joined, 1);
    let view = world
        .service
        .league_view(&league, Some(&commish.user.id))
        .await
        .expect("view");
    assert_eq!(view.managers, 1, "losers' joins were undone");
}

// === CSV import of managers ===

#[tokio::test]
async fn a_managers_import_is_all_or_nothing_with_every_bad_row_reported() {
    let world = world();
    let commish = world.sign_in("commish@example.com", "Commish").await;
    let ann = world.sign_in("ann@example.com", "Ann").await;
    let league = world.league(&commish, small_settings()).await;
    let code = world.invite(&league, &commish, JoinRole::Manager).await;
    world.join(&league, &code, &ann).await;

    let bad = "name,email,league\nAnn,ann@example.com,Pilot League\nBob,bob@,Pilot League\n=cmd,carl@example.com,Pilot League\n";
    let error = world
        .service
        .import_managers(&commish.user.id, bad.as_bytes(), true)
        .await
        .expect_err("bad rows");
    assert_eq!(error.code(), "invalid_csv");
    let ServiceError::Import(failure) = &error else {
        panic!("an import failure: {error}")
    };
    let lines: Vec<u64> = failure.rows().iter().map(|row| row.line).collect();
    assert_eq!(lines, vec![3, 4], "the importer's own problems come first");

    let already =
        "name,email,league\nAnn,ann@example.com,Pilot League\nBob,bob@example.com,Pilot League\n";
    let error = world
        .service
        .import_managers(&commish.user.id, already.as_bytes(), true)
        .await
        .expect_err("ann is already in");
    assert_eq!(
        error.to_string(),
        "1 problem found, nothing was imported: line 2, column email: 'ann@example.com' is already a member of league 'Pilot League' (as manager)"
    );

    let good =
        "name,email,league\nBob,bob@example.com,Pilot League\nCara,CARA@example.com,pilot league\n";
    let dry = world
        .service
        .import_managers(&commish.user.id, good.as_bytes(), true)
        .await
        .expect("dry run");
    assert!(dry.dry_run);
    assert_eq!(dry.new_accounts, 2);
    assert_eq!(dry.leagues[0].managers, 3);
    let before = world
        .service
        .league_view(&league, Some(&commish.user.id))
        .await
        .expect("view");
    assert_eq!(before.managers, 1, "a dry run changes nothing");
    assert!(
        world
            .service
            .user_by_email(&Email::parse("bob@example.com").expect("email"))
            .await
            .expect("store")
            .is_none()
    );

    let done = world
        .service
        .import_managers(&commish.user.id, good.as_bytes(), false)
        .await
        .expect("committed");
    assert!(!done.dry_run);
    let after = world
        .service
        .league_view(&league, Some(&commish.user.id))
        .await
        .expect("view");
    assert_eq!(after.managers, 3);
    let names: Vec<&str> = after.members.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, vec!["Commish", "Ann", "Bob", "Cara"]);

    let full = world
        .service
        .import_managers(
            &commish.user.id,
            b"name,email,league\nDan,dan@example.com,Pilot League\n",
            false,
        )
        .await
        .expect_err("full");
    assert_eq!(
        full.to_string(),
        "1 problem found, nothing was imported: line 2, column league: league 'Pilot League' is full (limit 3 managers)"
    );
}

#[tokio::test]
async fn only_a_commissioners_own_leagues_can_be_imported_into() {
    let world = world();
    let commish = world.sign_in("commish@example.com", "Commish").await;
    let stranger = world.sign_in("stranger@example.com", "Stranger").await;
    let league = world.league(&commish, small_settings()).await;
    let nowhere = world
        .service
        .import_managers(
            &stranger.user.id,
            format!("name,email,league\nBob,bob@example.com,{league}\n").as_bytes(),
            false,
        )
        .await
        .expect_err("no leagues");
    assert_eq!(nowhere.code(), "no_leagues");
    let mine = world.league(&stranger, small_settings()).await;
    let other = world
        .service
        .import_managers(
            &stranger.user.id,
            format!("name,email,league\nBob,bob@example.com,{league}\nCy,cy@example.com,{mine}\n")
                .as_bytes(),
            false,
        )
        .await
        .expect_err("not theirs");
    assert_eq!(
        other.to_string(),
        format!(
            "1 problem found, nothing was imported: line 2, column league: '{league}' is not one of the leagues you are importing into (give its id or exact name)"
        )
    );
}

// === auctions, results and tables ===

/// Replays an auction's log and appends the events of `commands` and of the clock, as the
/// owning node would.
async fn run_commands(store: &Arc<dyn Store>, auction: &AuctionId, steps: &[(Command, Timestamp)]) {
    let stored = store.read(auction.as_str(), 1, 10_000).await.expect("read");
    let events: Vec<auction::Event> = stored
        .iter()
        .map(|event| protocol::codec::from_msgpack(&event.payload).expect("decode"))
        .collect();
    let mut state = Auction::replay(events.iter()).expect("replay");
    let claim = store
        .claim(auction.as_str(), &owner(), T0.0, false)
        .await
        .expect("claim");
    let mut next_seq = stored.len() as u64 + 1;
    for (command, at) in steps {
        let mut produced = state.advance(*at);
        for event in &produced {
            state.apply(event);
        }
        match state.execute(command, *at).expect("command accepted") {
            Decision::Apply(events) => produced.extend(events),
            Decision::Duplicate(_) => {}
        }
        let payloads: Vec<Vec<u8>> = produced
            .iter()
            .map(|event| protocol::codec::to_msgpack(event).expect("encode"))
            .collect();
        let count = payloads.len() as u64;
        if count > 0 {
            store
                .append(auction.as_str(), &owner(), claim.epoch, next_seq, payloads)
                .await
                .expect("append");
            next_seq += count;
        }
    }
}

struct Drafted {
    world: World,
    commish: Session,
    ann: Session,
    bob: Session,
    league: String,
    auction: AuctionId,
}

/// A two-manager league with a two-asset pool, drafted to the end: Ann buys the first asset for
/// £7m, Bob the second for £4m.
async fn drafted(sport: Sport, pool_csv: &str) -> Drafted {
    let world = world();
    let commish = world.sign_in("commish@example.com", "Commish").await;
    let ann = world.sign_in("ann@example.com", "Ann").await;
    let bob = world.sign_in("bob@example.com", "Bob").await;
    let league = world
        .league(
            &commish,
            LeagueSettings {
                sport,
                ..small_settings()
            },
        )
        .await;
    let code = world.invite(&league, &commish, JoinRole::Manager).await;
    world.join(&league, &code, &ann).await;
    world.join(&league, &code, &bob).await;
    world
        .service
        .load_pool_csv(&league, &commish.user.id, pool_csv.as_bytes())
        .await
        .expect("pool");
    let started = world
        .service
        .start_auction(&league, &commish.user.id)
        .await
        .expect("started");
    let auction = started.auction_id.clone();
    let at = |secs: i64| Timestamp(T0.0 + secs * 1000);
    let key = |k: &str| IdempotencyKey::try_new(k).expect("key");
    run_commands(
        &world.store,
        &auction,
        &[
            (
                Command::Begin {
                    by: commish.user.id.clone(),
                    seed: 1,
                },
                at(1),
            ),
            (
                Command::PlaceBid {
                    by: ann.user.id.clone(),
                    lot: LotNumber(1),
                    amount: Money::millions(7),
                    key: key("a1"),
                },
                at(2),
            ),
            (
                Command::PlaceBid {
                    by: bob.user.id.clone(),
                    lot: LotNumber(2),
                    amount: Money::millions(4),
                    key: key("b1"),
                },
                at(13),
            ),
        ],
    )
    .await;
    // Let lot 2's clock run out (if Bob's bid did not already close it): both rosters are full
    // and the auction ends.
    let stored = world
        .store
        .read(auction.as_str(), 1, 10_000)
        .await
        .expect("read");
    let events: Vec<auction::Event> = stored
        .iter()
        .map(|event| protocol::codec::from_msgpack(&event.payload).expect("decode"))
        .collect();
    let state = Auction::replay(events.iter()).expect("replay");
    if let Some(deadline) = state.next_deadline() {
        let tail = state.advance(deadline);
        let payloads: Vec<Vec<u8>> = tail
            .iter()
            .map(|event| protocol::codec::to_msgpack(event).expect("encode"))
            .collect();
        let claim = world
            .store
            .claim(auction.as_str(), &owner(), T0.0, false)
            .await
            .expect("claim");
        world
            .store
            .append(
                auction.as_str(),
                &owner(),
                claim.epoch,
                stored.len() as u64 + 1,
                payloads,
            )
            .await
            .expect("append");
    }
    Drafted {
        world,
        commish,
        ann,
        bob,
        league,
        auction,
    }
}

#[tokio::test]
async fn starting_an_auction_freezes_the_league_and_is_safe_to_repeat() {
    let world = world();
    let commish = world.sign_in("commish@example.com", "Commish").await;
    let ann = world.sign_in("ann@example.com", "Ann").await;
    let league = world.league(&commish, small_settings()).await;
    let too_few = world
        .service
        .start_auction(&league, &commish.user.id)
        .await
        .expect_err("no managers yet");
    assert_eq!(
        too_few.to_string(),
        "the auction needs at least 2 managers; the league has 0"
    );
    assert_eq!(world.launcher.calls.load(Ordering::SeqCst), 0);
    let code = world.invite(&league, &commish, JoinRole::Manager).await;
    world.join(&league, &code, &ann).await;
    let bob = world.sign_in("bob@example.com", "Bob").await;
    world.join(&league, &code, &bob).await;
    let no_pool = world
        .service
        .start_auction(&league, &commish.user.id)
        .await
        .expect_err("no pool");
    assert_eq!(no_pool.to_string(), "the asset pool is empty");
    world
        .service
        .load_catalogue(&league, &commish.user.id, "premier-league-2025-26")
        .await
        .expect("catalogue");

    *world.launcher.fail_next.lock().expect("lock") =
        Some(LaunchError::OutcomeUnknown("timed out".into()));
    let unknown = world
        .service
        .start_auction(&league, &commish.user.id)
        .await
        .expect_err("outcome unknown");
    assert_eq!(unknown.code(), "outcome_unknown");
    let frozen = world
        .service
        .league_view(&league, Some(&commish.user.id))
        .await
        .expect("view");
    let auction_id = frozen
        .auction_id
        .clone()
        .expect("the league is frozen on its auction id");
    assert!(matches!(frozen.status, LeagueStatus::AuctionLive { .. }));

    let started = world
        .service
        .start_auction(&league, &commish.user.id)
        .await
        .expect("started on retry");
    assert_eq!(started.auction_id, auction_id);
    assert!(started.created);
    let repeated = world
        .service
        .start_auction(&league, &commish.user.id)
        .await
        .expect("idempotent");
    assert_eq!(repeated.auction_id, auction_id);
    assert!(!repeated.created);
    assert_eq!(
        world
            .service
            .league_of_auction(&auction_id)
            .await
            .expect("index")
            .map(|l| l.to_string()),
        Some(league.clone())
    );
    let setup = world
        .service
        .logged_setup(&auction_id)
        .await
        .expect("log")
        .expect("created");
    assert_eq!(setup.managers.len(), 2);
    assert_eq!(setup.managers[0].name, "Ann");
    assert_eq!(setup.assets.len(), 20);

    let late = world.sign_in("late@example.com", "Late").await;
    let refused = world
        .service
        .accept_invite(&code, Acceptor::SignedIn(&late.user.id))
        .await
        .expect_err("frozen");
    assert_eq!(refused.code(), "auction_started");
    let settings = world
        .service
        .update_league(
            &league,
            &commish.user.id,
            None,
            Some(&serde_json::json!({"budget": 1})),
        )
        .await
        .expect_err("frozen");
    assert_eq!(settings.code(), "league_not_open");
}

#[tokio::test]
async fn a_refused_auction_reopens_the_league() {
    let world = world();
    let commish = world.sign_in("commish@example.com", "Commish").await;
    let league = world.league(&commish, small_settings()).await;
    let code = world.invite(&league, &commish, JoinRole::Manager).await;
    for name in ["ann", "bob"] {
        let person = world.sign_in(&format!("{name}@example.com"), name).await;
        world.join(&league, &code, &person).await;
    }
    world
        .service
        .load_catalogue(&league, &commish.user.id, "premier-league-2025-26")
        .await
        .expect("catalogue");
    *world.launcher.fail_next.lock().expect("lock") = Some(LaunchError::Refused {
        code: "invalid_setup".into(),
        message: "no".into(),
    });
    let refused = world
        .service
        .start_auction(&league, &commish.user.id)
        .await
        .expect_err("refused");
    assert_eq!(refused.code(), "invalid_setup");
    let view = world
        .service
        .league_view(&league, Some(&commish.user.id))
        .await
        .expect("view");
    assert_eq!(view.status, LeagueStatus::Open);
    world
        .service
        .start_auction(&league, &commish.user.id)
        .await
        .expect("a second start works");
}

#[tokio::test]
async fn an_auction_id_squatted_by_someone_else_is_not_adopted() {
    let world = world();
    let commish = world.sign_in("commish@example.com", "Commish").await;
    let league = world.league(&commish, small_settings()).await;
    let code = world.invite(&league, &commish, JoinRole::Manager).await;
    for name in ["ann", "bob"] {
        let person = world.sign_in(&format!("{name}@example.com"), name).await;
        world.join(&league, &code, &person).await;
    }
    world
        .service
        .load_catalogue(&league, &commish.user.id, "premier-league-2025-26")
        .await
        .expect("catalogue");
    *world.launcher.fail_next.lock().expect("lock") =
        Some(LaunchError::Unavailable("no nodes".into()));
    world
        .service
        .start_auction(&league, &commish.user.id)
        .await
        .expect_err("unavailable");
    let auction_id = world
        .service
        .league_view(&league, Some(&commish.user.id))
        .await
        .expect("view")
        .auction_id
        .expect("frozen");
    // A member who saw the id creates their own auction under it first.
    let mallory = UserId::try_new("mallory").expect("id");
    let squat = AuctionSetup {
        auction_id: auction_id.clone(),
        league_name: "Squat".into(),
        settings: LeagueSettings::default(),
        commissioner: mallory.clone(),
        managers: vec![
            auction::Manager {
                id: mallory,
                name: "M".into(),
            },
            auction::Manager {
                id: UserId::try_new("m2").expect("id"),
                name: "N".into(),
            },
        ],
        assets: league::catalogue::Catalogue::premier_league_2025_26().assets(),
        keepers: Vec::new(),
    };
    world.launcher.create(squat).await.expect("squatted");
    let error = world
        .service
        .start_auction(&league, &commish.user.id)
        .await
        .expect_err("not adopted");
    assert_eq!(error.code(), "auction_id_taken");
}

#[tokio::test]
async fn results_are_read_from_the_log_and_complete_the_league() {
    let drafted = drafted(
        Sport::Football,
        "id,name\narsenal,Arsenal\nchelsea,Chelsea\n",
    )
    .await;
    let Drafted {
        world,
        commish,
        ann,
        bob,
        league,
        auction,
    } = drafted;
    let view = world
        .service
        .results(&league, &ann.user.id, Action::ViewResults)
        .await
        .expect("results");
    assert!(view.ended);
    assert_eq!(view.results.auction_id, auction);
    let rosters: Vec<(&str, &str, Money)> = view
        .rosters
        .iter()
        .map(|line| (line.manager.as_str(), line.asset.as_str(), line.price))
        .collect();
    assert_eq!(
        rosters,
        vec![
            ("Ann", "Arsenal", Money::millions(7)),
            ("Bob", "Chelsea", Money::millions(4))
        ]
    );
    assert_eq!(view.bids.len(), 2);
    let league_view = world
        .service
        .league_view(&league, Some(&bob.user.id))
        .await
        .expect("view");
    assert!(matches!(league_view.status, LeagueStatus::Completed { .. }));

    let rosters_csv = world
        .service
        .rosters_csv(&league, &commish.user.id)
        .await
        .expect("csv");
    assert!(rosters_csv.starts_with('\u{feff}'), "CSV UTF-8 with a BOM");
    assert!(rosters_csv.contains("Ann"));
    assert!(rosters_csv.contains("Arsenal"));
    let bids_csv = world
        .service
        .bids_csv(&league, &ann.user.id)
        .await
        .expect("csv");
    assert_eq!(bids_csv.lines().count(), 3, "a header and two bids");
}

#[tokio::test]
async fn worked_football_example_win_3_draw_1_one_per_goal_with_an_override() {
    let drafted = drafted(
        Sport::Football,
        "id,name\narsenal,Arsenal\nchelsea,Chelsea\n",
    )
    .await;
    let Drafted {
        world,
        commish,
        ann,
        league,
        ..
    } = drafted;
    // Arsenal 3-1 Chelsea, Chelsea 2-2 Arsenal, Arsenal vs Everton (not in the pool) 0-0.
    let fixtures = "external_match_id,starts_at,home,away,home_goals,away_goals,status\n\
                    m1,2025-08-16T15:00:00Z,Arsenal,Chelsea,3,1,finished\n\
                    m2,2025-08-23T15:00:00Z,chelsea,arsenal,2,2,ft\n\
                    m3,2025-08-30T15:00:00Z,Arsenal,Everton,0,0,\n\
                    m4,2025-09-06T15:00:00Z,Chelsea,Everton,,,scheduled\n";
    let refused = world
        .service
        .import_fixtures(
            &league,
            &commish.user.id,
            fixtures.as_bytes(),
            UnknownTeams::Reject,
        )
        .await
        .expect_err("Everton is not in the pool");
    assert_eq!(refused.code(), "invalid_csv");
    let imported = world
        .service
        .import_fixtures(
            &league,
            &commish.user.id,
            fixtures.as_bytes(),
            UnknownTeams::Keep,
        )
        .await
        .expect("kept");
    assert_eq!(imported.imported, 4);
    // Arsenal (Ann): win 3 + 3 goals, draw 1 + 2 goals, draw 1 + 0 goals = 10.
    // Chelsea (Bob): loss 0 + 1 goal, draw 1 + 2 goals = 4.
    let table = world
        .service
        .table(&league, &ann.user.id)
        .await
        .expect("table");
    let points: Vec<(&str, i64, u32)> = table
        .rows
        .iter()
        .map(|row| (row.name.as_str(), row.points, row.rank))
        .collect();
    assert_eq!(points, vec![("Ann", 10, 1), ("Bob", 4, 2)]);
    assert!(table.final_rosters);

    // Re-importing a corrected result replaces it: m1 was 1-1.
    world
        .service
        .import_fixtures(
            &league,
            &commish.user.id,
            b"external_match_id,starts_at,home,away,home_goals,away_goals,status\nm1,2025-08-16T15:00:00Z,Arsenal,Chelsea,1,1,finished\n",
            UnknownTeams::Reject,
        )
        .await
        .expect("corrected");
    // Arsenal: draw 1 + 1, draw 1 + 2, draw 1 + 0 = 6. Chelsea: draw 1 + 1, draw 1 + 2 = 5.
    let table = world
        .service
        .table(&league, &ann.user.id)
        .await
        .expect("table");
    assert_eq!(
        table.rows.iter().map(|row| row.points).collect::<Vec<_>>(),
        vec![6, 5]
    );

    // The league's own override: a win is worth 2 and a goal nothing.
    world
        .service
        .set_scoring(
            &league,
            &commish.user.id,
            ScoringRules::Football(FootballRules {
                win: 2,
                goal_scored: 0,
                ..FootballRules::default()
            }),
        )
        .await
        .expect("override");
    // Three draws (3) against two draws (2).
    let table = world
        .service
        .table(&league, &ann.user.id)
        .await
        .expect("table");
    assert_eq!(
        table.rows.iter().map(|row| row.points).collect::<Vec<_>>(),
        vec![3, 2]
    );
    let csv = world
        .service
        .table_csv(&league, &ann.user.id)
        .await
        .expect("csv");
    assert!(csv.contains("Ann"));
    let performances = world
        .service
        .import_performances(
            &league,
            &commish.user.id,
            b"match_id,player_id,runs,wickets,catches,stumpings,run_outs\n",
        )
        .await
        .expect_err("a football league");
    assert_eq!(
        performances.to_string(),
        "player performances are for cricket leagues; this is a football league: import fixtures and results instead"
    );
}

#[tokio::test]
async fn worked_cricket_example_run_1_wicket_20_catch_10_stumping_25_run_out_20() {
    let drafted = drafted(
        Sport::Cricket,
        "id,name,group\njasprit-bumrah,Jasprit Bumrah,India\njos-buttler,Jos Buttler,England\n",
    )
    .await;
    let Drafted {
        world,
        commish,
        bob,
        league,
        ..
    } = drafted;
    // Bumrah (Ann): 12 runs, 4 wickets, 1 catch = 12 + 80 + 10 = 102; then 0 runs, 1 run-out = 20.
    // Buttler (Bob): 88 runs, 2 catches, 1 stumping = 88 + 20 + 25 = 133.
    let performances = "match_id,player_id,runs,wickets,catches,stumpings,run_outs\n\
                        t1,jasprit-bumrah,12,4,1,0,0\n\
                        t1,Jos Buttler,88,0,2,1,0\n\
                        t2,jasprit-bumrah,0,0,0,0,1\n";
    world
        .service
        .import_performances(&league, &commish.user.id, performances.as_bytes())
        .await
        .expect("imported");
    let table = world
        .service
        .table(&league, &bob.user.id)
        .await
        .expect("table");
    let points: Vec<(&str, i64)> = table
        .rows
        .iter()
        .map(|row| (row.name.as_str(), row.points))
        .collect();
    assert_eq!(points, vec![("Bob", 133), ("Ann", 122)]);

    // Override: a half-century bonus of 25 and wickets worth 25.
    world
        .service
        .set_scoring(
            &league,
            &commish.user.id,
            ScoringRules::Cricket(CricketRules {
                half_century: 25,
                wicket: 25,
                ..CricketRules::default()
            }),
        )
        .await
        .expect("override");
    // Bumrah: 12 + 100 + 10 + 20 = 142. Buttler: 133 + 25 = 158.
    let table = world
        .service
        .table(&league, &bob.user.id)
        .await
        .expect("table");
    assert_eq!(
        table.rows.iter().map(|row| row.points).collect::<Vec<_>>(),
        vec![158, 142]
    );
    let exported = world
        .service
        .performances_csv(&league, &bob.user.id)
        .await
        .expect("csv");
    assert_eq!(exported.lines().count(), 4);
}

#[tokio::test]
async fn watchers_come_from_the_league_or_from_a_direct_auctions_setup() {
    let drafted = drafted(
        Sport::Football,
        "id,name\narsenal,Arsenal\nchelsea,Chelsea\n",
    )
    .await;
    let watchers = drafted
        .world
        .service
        .watchers(&drafted.auction)
        .await
        .expect("watchers");
    let crate::auctions::Watchers::League { league, members } = watchers else {
        panic!("a league auction: {watchers:?}")
    };
    assert_eq!(league.as_str(), drafted.league);
    assert!(members.contains(&drafted.commish.user.id));
    assert!(members.contains(&drafted.ann.user.id));

    let direct = AuctionId::try_new("direct-1").expect("id");
    drafted
        .world
        .launcher
        .create(AuctionSetup {
            auction_id: direct.clone(),
            league_name: "Direct".into(),
            settings: LeagueSettings::default(),
            commissioner: UserId::try_new("c").expect("id"),
            managers: vec![
                auction::Manager {
                    id: UserId::try_new("m1").expect("id"),
                    name: "A".into(),
                },
                auction::Manager {
                    id: UserId::try_new("m2").expect("id"),
                    name: "B".into(),
                },
            ],
            assets: league::catalogue::Catalogue::premier_league_2025_26().assets(),
            keepers: Vec::new(),
        })
        .await
        .expect("created");
    let watchers = drafted
        .world
        .service
        .watchers(&direct)
        .await
        .expect("watchers");
    let crate::auctions::Watchers::Participants(people) = watchers else {
        panic!("a direct auction: {watchers:?}")
    };
    assert_eq!(people.len(), 3);
    let unknown = AuctionId::try_new("nope").expect("id");
    assert_eq!(
        drafted
            .world
            .service
            .watchers(&unknown)
            .await
            .expect("watchers"),
        crate::auctions::Watchers::Unknown
    );
}
