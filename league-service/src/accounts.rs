//! Accounts and sign-in: users, magic links, session tokens and their revocation.
//!
//! - An account is an email address (unique: `users_by_email` is claimed first) and a display
//!   name. Accounts are created on first sign-in, by an invite, or by a CSV import.
//! - [`Service::request_magic_link`] mails a single-use link valid for 15 minutes, at most
//!   [`crate::ServiceConfig::magic_links_per_hour`] per address per hour, counted in the store so
//!   every gateway shares the limit. The answer is the same whether or not the address has an
//!   account, and never contains the link (except in `--dev-login` mode).
//! - [`Service::redeem_magic_link`] signs the person in: a session token (HS256 JWT) carrying the
//!   user's current session version.
//! - [`Service::authenticate`] is the exact check used by the HTTP API: signature, expiry, and the
//!   stored revocations of this token's `jti` and this user's session version.
//!   [`Service::sign_out`] revokes one token, [`Service::sign_out_everywhere`] bumps the version,
//!   and [`Service::load_revocations`] feeds the websocket path's in-memory cache.

use std::collections::BTreeMap;
use std::time::Duration;

use auction::{Timestamp, UserId};
use league::auth::{self, Claims, MagicLink, Revocations};
use league::model::{Email, User, validate_name};
use serde::{Deserialize, Serialize};
use store::Expect;

use crate::error::{Result, ServiceError};
use crate::mailer::{Mail, MailKind};
use crate::metrics as m;
use crate::records::{Change, tables};
use crate::{Service, new_id};

/// A signed-in session: the token to present, when it expires, and whose it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Session {
    /// The session token (`Authorization: Bearer <token>`, and `hello` on the websocket).
    pub token: String,
    /// When it expires (ms since the epoch).
    pub expires_at: Timestamp,
    /// The signed-in user.
    pub user: User,
}

/// A sign-in link handed back to the requester, which only `--dev-login` mode does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DevLink {
    /// The full link, as mailed.
    pub link: String,
    /// The magic-link token in it (for `POST /api/auth/redeem`).
    pub token: String,
}

/// The answer to a magic-link request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MagicLinkRequested {
    /// The link, only in `--dev-login` mode.
    pub dev: Option<DevLink>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct EmailIndex {
    user: UserId,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct SessionVersion {
    version: u32,
    changed_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct RevokedToken {
    user: UserId,
    exp: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct MagicLinkRecord {
    link: MagicLink,
    /// The name given when asking, for an account created on redemption.
    name: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct RequestWindow {
    /// When each recent request was made (ms), oldest first.
    times: Vec<i64>,
}

const HOUR_MS: i64 = 60 * 60 * 1000;

impl Service {
    // === users ===

    /// The user with id `id`.
    pub async fn user(&self, id: &UserId) -> Result<Option<User>> {
        self.records().value(tables::USERS, id.as_str()).await
    }

    /// The user whose account is `email`.
    pub async fn user_by_email(&self, email: &Email) -> Result<Option<User>> {
        let Some(index) = self
            .records()
            .value::<EmailIndex>(tables::USERS_BY_EMAIL, email.as_str())
            .await?
        else {
            return Ok(None);
        };
        self.user(&index.user).await
    }

    /// The account of `email`, created (with `name`, or a name made from the address) if there is
    /// none. Returns the user and whether it was created now.
    pub async fn find_or_create_user(
        &self,
        email: &Email,
        name: Option<&str>,
    ) -> Result<(User, bool)> {
        let name = match name {
            Some(name) => validate_name(name)?,
            None => User::default_name(email),
        };
        for _ in 0..crate::records::MAX_ATTEMPTS {
            let existing = self
                .records()
                .value::<EmailIndex>(tables::USERS_BY_EMAIL, email.as_str())
                .await?;
            let id = match existing {
                Some(index) => index.user,
                None => {
                    let id = user_id(new_id("u", 10))?;
                    let claimed = self
                        .records()
                        .put(
                            tables::USERS_BY_EMAIL,
                            email.as_str(),
                            &EmailIndex { user: id.clone() },
                            Expect::Absent,
                        )
                        .await?;
                    if claimed.is_none() {
                        // Someone created this account a moment ago: use theirs.
                        continue;
                    }
                    id
                }
            };
            if let Some(user) = self.user(&id).await? {
                return Ok((user, false));
            }
            // The email is claimed but the user record is missing: the claim's writer is
            // creating it now, or stopped between the two writes. Either way, create it.
            let user = User::new(id.clone(), &name, email.clone(), self.now())?;
            match self
                .records()
                .put(tables::USERS, id.as_str(), &user, Expect::Absent)
                .await?
            {
                Some(_) => return Ok((user, true)),
                None => continue,
            }
        }
        Err(ServiceError::Busy("this account"))
    }

    /// Makes sure a user with this exact id, name and email exists (seeding the demo). Refused if
    /// the email belongs to another account.
    pub async fn ensure_user(&self, id: &UserId, name: &str, email: &Email) -> Result<User> {
        let claimed = self
            .records()
            .put(
                tables::USERS_BY_EMAIL,
                email.as_str(),
                &EmailIndex { user: id.clone() },
                Expect::Absent,
            )
            .await?;
        if claimed.is_none() {
            let index: Option<EmailIndex> = self
                .records()
                .value(tables::USERS_BY_EMAIL, email.as_str())
                .await?;
            if index.is_none_or(|index| &index.user != id) {
                return Err(ServiceError::conflict(
                    "email_taken",
                    format!("{email} already belongs to another account"),
                ));
            }
        }
        let user = User::new(id.clone(), name, email.clone(), self.now())?;
        self.records()
            .update(
                tables::USERS,
                id.as_str(),
                "this account",
                |current: Option<User>| {
                    Ok(match current {
                        Some(existing) if existing.name == user.name => Change::Keep(existing),
                        Some(mut existing) => {
                            existing.name = user.name.clone();
                            Change::Put(existing.clone(), existing)
                        }
                        None => Change::Put(user.clone(), user.clone()),
                    })
                },
            )
            .await
    }

    /// Changes a user's display name. Tokens issued later carry the new name.
    pub async fn rename_user(&self, id: &UserId, name: &str) -> Result<User> {
        let name = validate_name(name)?;
        self.records()
            .update(
                tables::USERS,
                id.as_str(),
                "your account",
                |current: Option<User>| {
                    let Some(mut user) = current else {
                        return Err(ServiceError::AccountNotFound);
                    };
                    user.name = name.clone();
                    Ok(Change::Put(user.clone(), user))
                },
            )
            .await
    }

    // === magic links ===

    /// Mails a sign-in link to `email` (rate-limited per address). `name` is used if the account
    /// is created when the link is opened.
    pub async fn request_magic_link(
        &self,
        email: &str,
        name: Option<&str>,
    ) -> Result<MagicLinkRequested> {
        let email = Email::parse(email)?;
        let name = name
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(validate_name)
            .transpose()?;
        self.send_magic_link(&email, name, None).await
    }

    /// Creates and mails a magic link; with `join`, the link also carries an invite code that the
    /// web client accepts once signed in.
    pub(crate) async fn send_magic_link(
        &self,
        email: &Email,
        name: Option<String>,
        join: Option<&str>,
    ) -> Result<MagicLinkRequested> {
        if let Err(error) = self.count_magic_link_request(email).await {
            metrics::counter!(m::MAGIC_LINKS, "outcome" => "rate_limited").increment(1);
            return Err(error);
        }
        let now = self.now();
        let (token, link) = MagicLink::create(email.clone(), now, &mut rand::rng());
        let key = link.token_hash().to_hex();
        self.records()
            .put(
                tables::MAGIC_LINKS,
                &key,
                &MagicLinkRecord { link, name },
                Expect::Absent,
            )
            .await?
            .ok_or_else(|| ServiceError::Corrupt("a new magic-link token collided".into()))?;
        let url = match join {
            None => self.link(&format!("/#magic={}", token.reveal())),
            Some(code) => self.link(&format!("/#magic={}&join={code}", token.reveal())),
        };
        let (kind, subject, intro) = match join {
            None => (
                MailKind::SignIn,
                "Your sign-in link",
                "Open this link to sign in",
            ),
            Some(_) => (
                MailKind::SignInToJoin,
                "Sign in to join your league",
                "Open this link to sign in and join the league you were invited to",
            ),
        };
        let mail = Mail {
            to: email.clone(),
            kind,
            subject: subject.to_owned(),
            body: format!(
                "{intro}. It works once, for 15 minutes.\n\n{url}\n\nIf you did not ask for it, ignore this mail."
            ),
            link: url.clone(),
            sent_at: now.0,
        };
        self.inner
            .mailer
            .send(mail)
            .await
            .map_err(|error| ServiceError::Mail(error.0))?;
        metrics::counter!(m::MAGIC_LINKS, "outcome" => "sent").increment(1);
        let dev = self.config().dev_login.then(|| DevLink {
            link: url,
            token: token.reveal().to_owned(),
        });
        Ok(MagicLinkRequested { dev })
    }

    /// Counts a magic-link request for `email`, refusing it past the hourly limit.
    async fn count_magic_link_request(&self, email: &Email) -> Result<()> {
        let now = self.now().0;
        let limit = usize::try_from(self.config().magic_links_per_hour.max(1)).unwrap_or(1);
        self.records()
            .update(
                tables::MAGIC_LINK_REQUESTS,
                email.as_str(),
                "sign-in requests for this address",
                |current: Option<RequestWindow>| {
                    let mut window = current.unwrap_or_default();
                    window.times.retain(|at| *at > now - HOUR_MS);
                    if window.times.len() >= limit {
                        let oldest = window.times.first().copied().unwrap_or(now);
                        let wait_ms = (oldest + HOUR_MS - now).max(1_000);
                        let minutes = (wait_ms + 59_999) / 60_000;
                        return Err(ServiceError::RateLimited {
                            message: format!(
                                "at most {limit} sign-in links can be requested for one email address per hour: try again in {minutes} {}",
                                if minutes == 1 { "minute" } else { "minutes" }
                            ),
                            retry_after: Duration::from_millis(u64::try_from(wait_ms).unwrap_or(1_000)),
                        });
                    }
                    window.times.push(now);
                    Ok(Change::Put(window, ()))
                },
            )
            .await
    }

    /// Uses a magic link: marks it used, finds or creates the account, and signs it in.
    pub async fn redeem_magic_link(&self, token: &str) -> Result<Session> {
        let hash = auth::hash_presented(token).ok_or(ServiceError::MagicLink(
            league::auth::MagicLinkError::Invalid,
        ))?;
        let now = self.now();
        let (email, name) = self
            .records()
            .update(
                tables::MAGIC_LINKS,
                &hash.to_hex(),
                "this sign-in link",
                |current: Option<MagicLinkRecord>| {
                    let Some(mut record) = current else {
                        return Err(league::auth::MagicLinkError::Invalid.into());
                    };
                    let email = record.link.redeem(token, now)?.clone();
                    let name = record.name.clone();
                    Ok(Change::Put(record, (email, name)))
                },
            )
            .await?;
        let (user, _) = self.find_or_create_user(&email, name.as_deref()).await?;
        self.issue_session(&user, "magic_link").await
    }

    // === sessions ===

    /// Signs a session token for `user` at their current session version.
    pub async fn issue_session(&self, user: &User, how: &'static str) -> Result<Session> {
        let version = self.session_version(&user.id).await?;
        let now = self.now();
        let token = auth::issue_for(
            self.secret(),
            user,
            version,
            now,
            self.config().session_lifetime,
            &mut rand::rng(),
        );
        let claims = auth::verify(self.secret(), &token, now)?;
        metrics::counter!(m::SESSIONS_ISSUED, "how" => how).increment(1);
        Ok(Session {
            token,
            expires_at: Timestamp(claims.exp.saturating_mul(1000)),
            user: user.clone(),
        })
    }

    /// The exact check of a presented session token: signature, expiry, and the stored
    /// revocations (this token's `jti`, the user's session version).
    pub async fn authenticate(&self, token: &str) -> Result<Claims> {
        let claims = auth::verify(self.secret(), token, self.now())?;
        let (revoked, version) = tokio::join!(
            self.records()
                .value::<RevokedToken>(tables::REVOKED_TOKENS, &claims.jti),
            self.records()
                .value::<SessionVersion>(tables::SESSION_VERSIONS, claims.sub.as_str()),
        );
        let revoked = revoked?.map(|token| (claims.jti.clone(), token.exp));
        let version = version?.map(|version| (claims.sub.clone(), version.version));
        revocations(revoked, version)?.check(&claims)?;
        Ok(claims)
    }

    /// Signs one session out: its token is refused from now on.
    pub async fn sign_out(&self, claims: &Claims) -> Result<()> {
        self.records()
            .put_any(
                tables::REVOKED_TOKENS,
                &claims.jti,
                &RevokedToken {
                    user: claims.sub.clone(),
                    exp: claims.exp,
                },
            )
            .await?;
        Ok(())
    }

    /// Signs every session of `user` out; returns the new session version.
    pub async fn sign_out_everywhere(&self, user: &UserId) -> Result<u32> {
        let now = self.now().0;
        self.records()
            .update(
                tables::SESSION_VERSIONS,
                user.as_str(),
                "your sessions",
                |current: Option<SessionVersion>| {
                    let version = current.unwrap_or_default().version.saturating_add(1);
                    Ok(Change::Put(
                        SessionVersion {
                            version,
                            changed_at: now,
                        },
                        version,
                    ))
                },
            )
            .await
    }

    /// A fresh session for the holder of `claims`, whose old token is revoked.
    pub async fn refresh_session(&self, claims: &Claims) -> Result<Session> {
        let user = self
            .user(&claims.sub)
            .await?
            .ok_or(ServiceError::AccountNotFound)?;
        let session = self.issue_session(&user, "refresh").await?;
        self.sign_out(claims).await?;
        Ok(session)
    }

    /// The current session version of `user` (0 if they never signed out everywhere).
    pub async fn session_version(&self, user: &UserId) -> Result<u32> {
        Ok(self
            .records()
            .value::<SessionVersion>(tables::SESSION_VERSIONS, user.as_str())
            .await?
            .map_or(0, |version| version.version))
    }

    /// Every revocation still in force, as the domain's [`Revocations`].
    pub async fn load_revocations(&self) -> Result<Revocations> {
        self.load_revocation_rows().await?.into_revocations()
    }

    /// Every revocation still in force, as rows (for an in-memory cache that merges its own
    /// recent sign-outs). Revoked tokens that have expired anyway are deleted on the way.
    pub async fn load_revocation_rows(&self) -> Result<RevocationRows> {
        let now_secs = self.now().0.div_euclid(1000);
        let revoked: Vec<(String, u64, RevokedToken)> =
            self.records().scan_all(tables::REVOKED_TOKENS, "").await?;
        let mut tokens = BTreeMap::new();
        for (jti, version, token) in revoked {
            if token.exp <= now_secs {
                self.records()
                    .delete(tables::REVOKED_TOKENS, &jti, Expect::Version(version))
                    .await?;
            } else {
                tokens.insert(jti, token.exp);
            }
        }
        let versions: Vec<(String, u64, SessionVersion)> = self
            .records()
            .scan_all(tables::SESSION_VERSIONS, "")
            .await?;
        let versions = versions
            .into_iter()
            .filter_map(|(user, _, version)| {
                UserId::try_new(user)
                    .ok()
                    .map(|user| (user, version.version))
            })
            .collect();
        Ok(RevocationRows { tokens, versions })
    }
}

/// Revocations as stored: revoked `jti` → the token's `exp` (seconds), and user → session
/// version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevocationRows {
    /// Revoked session ids and when their tokens expire.
    pub tokens: BTreeMap<String, i64>,
    /// Session versions of users who signed out everywhere.
    pub versions: BTreeMap<UserId, u32>,
}

impl RevocationRows {
    /// The domain's [`Revocations`] holding these rows, built through its persisted (serde)
    /// form, so that checks are always [`Revocations::check`].
    pub fn into_revocations(self) -> Result<Revocations> {
        #[derive(Serialize)]
        struct Form {
            revoked: BTreeMap<String, i64>,
            versions: BTreeMap<UserId, u32>,
        }
        let json = protocol::codec::to_json(&Form {
            revoked: self.tokens,
            versions: self.versions,
        })
        .map_err(|error| ServiceError::Corrupt(error.to_string()))?;
        protocol::codec::from_json(json.as_bytes())
            .map_err(|error| ServiceError::Corrupt(format!("revocations: {error}")))
    }
}

fn revocations(
    revoked: Option<(String, i64)>,
    version: Option<(UserId, u32)>,
) -> Result<Revocations> {
    RevocationRows {
        tokens: revoked.into_iter().collect(),
        versions: version.into_iter().collect(),
    }
    .into_revocations()
}

/// Wraps a generated id (always valid).
pub(crate) fn user_id(raw: String) -> Result<UserId> {
    UserId::try_new(raw).map_err(|error| ServiceError::Corrupt(error.to_string()))
}
