//! Invite codes: issued by the commissioner, presented by whoever got the link, joined with
//! exactly once.
//!
//! Only the SHA-256 hash of a code is stored (`invites/<hash>`); the code is shown once, to the
//! commissioner who created it. A presented code is normalised and hashed by the domain
//! ([`league::invite::hash_presented`]) — never pattern-matched — and no error or log line
//! carries it. An invite's id in the API is its hash, which is not secret.
//!
//! Accepting ([`Service::accept_invite`]) is "open link → signed in → in the league":
//! - a signed-in caller joins as themselves;
//! - an anonymous caller gives an email and a name: a new account is created, joined and signed
//!   in at once; an email that already has an account gets a sign-in link instead (holding the
//!   invite is not proof of owning someone else's account), which the web client follows by
//!   accepting again once signed in.
//!
//! The manager limit is enforced by the league record's compare-and-set: two people racing for
//! the last place cannot both get it, on one gateway or several. The invite's use count is
//! written after the join; if that fails (a single-use code raced), the join is undone.

use auction::{Sport, Timestamp, UserId};
use league::invite::{self, Invite, InviteError, InviteOptions, InviteState};
use league::model::{Action, Email, JoinRole, League, LeagueId, Role, User};
use serde::{Deserialize, Serialize};
use store::Expect;

use crate::Service;
use crate::accounts::{DevLink, Session};
use crate::error::{Result, ServiceError};
use crate::leagues::spectator_key;
use crate::metrics as m;
use crate::records::{Change, tables};

/// A code just created: show `code` (or `link`) to the commissioner once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreatedInvite {
    /// The code, grouped for reading aloud (`abcde-fghij-klmno-pqrst-uvwxyz`).
    pub code: String,
    /// The link to share: `<public url>/join/<code>`.
    pub link: String,
    /// The invite's terms.
    pub invite: InviteView,
}

/// An invite as the commissioner's list shows it (never the code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InviteView {
    /// Its id (the code's hash).
    pub id: String,
    /// The role it grants.
    pub role: JoinRole,
    /// Who created it.
    pub created_by: UserId,
    /// When.
    pub created_at: Timestamp,
    /// When it stops working.
    pub expires_at: Timestamp,
    /// Its use limit.
    pub max_uses: Option<u32>,
    /// How many have joined with it.
    pub uses: u32,
    /// Whether it still works.
    pub state: InviteState,
}

/// What the join page shows before someone accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvitePreview {
    /// The league.
    pub league_id: LeagueId,
    /// Its name.
    pub league_name: String,
    /// Its sport.
    pub sport: Sport,
    /// Its commissioner's name.
    pub commissioner: String,
    /// The role the code grants.
    pub role: JoinRole,
    /// Managers now, and the limit.
    pub managers: usize,
    /// The league's manager limit.
    pub max_managers: u8,
    /// When the code stops working.
    pub expires_at: Timestamp,
}

/// How an acceptance ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accepted {
    /// In the league. `session` is set when the caller was not signed in (a new account).
    Joined {
        /// The league.
        league_id: LeagueId,
        /// With this role.
        role: Role,
        /// The account that joined.
        user: User,
        /// A new session, for a caller who was not signed in.
        session: Option<Session>,
    },
    /// The email has an account: a sign-in link (carrying the code) was mailed to it.
    SignInRequired {
        /// The link, only in `--dev-login` mode.
        dev: Option<DevLink>,
    },
}

/// Who is accepting.
#[derive(Debug, Clone, Copy)]
pub enum Acceptor<'a> {
    /// A signed-in user.
    SignedIn(&'a UserId),
    /// Someone without a session, identified by email and name.
    New {
        /// Their email address.
        email: &'a str,
        /// Their display name (required for a new account).
        name: Option<&'a str>,
    },
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct LeagueInviteIndex {}

impl Service {
    /// Creates an invite code for the league.
    pub async fn create_invite(
        &self,
        league_id: &str,
        user: &UserId,
        options: InviteOptions,
    ) -> Result<CreatedInvite> {
        let (league, _) = self
            .league_for(league_id, Some(user), Action::CreateInvite)
            .await?;
        let (code, invite) =
            Invite::issue(league.id(), user, options, self.now(), &mut rand::rng())
                .map_err(ServiceError::InviteOptions)?;
        let hash = invite.code_hash().to_hex();
        self.records()
            .put_any(
                tables::LEAGUE_INVITES,
                &format!("{}/{hash}", league.id()),
                &LeagueInviteIndex::default(),
            )
            .await?;
        self.records()
            .put(tables::INVITES, &hash, &invite, Expect::Absent)
            .await?
            .ok_or_else(|| ServiceError::Corrupt("a new invite code collided".into()))?;
        tracing::info!(league = %league.id(), invite = %hash, role = ?invite.role(), "invite created");
        Ok(CreatedInvite {
            code: code.reveal(),
            link: self.link(&format!("/join/{}", code.canonical())),
            invite: invite_view(&invite, self.now()),
        })
    }

    /// The league's invites, newest first (never their codes).
    pub async fn list_invites(&self, league_id: &str, user: &UserId) -> Result<Vec<InviteView>> {
        let (league, _) = self
            .league_for(league_id, Some(user), Action::ManageInvites)
            .await?;
        let prefix = format!("{}/", league.id());
        let index: Vec<(String, u64, LeagueInviteIndex)> = self
            .records()
            .scan_all(tables::LEAGUE_INVITES, &prefix)
            .await?;
        let now = self.now();
        let mut invites = Vec::with_capacity(index.len());
        for (key, _, _) in index {
            let invite: Option<Invite> = self
                .records()
                .value(tables::INVITES, &key[prefix.len()..])
                .await?;
            if let Some(invite) = invite.filter(|invite| invite.league() == league.id()) {
                invites.push(invite_view(&invite, now));
            }
        }
        invites.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
        Ok(invites)
    }

    /// Withdraws an invite (by its id, the code's hash).
    pub async fn revoke_invite(
        &self,
        league_id: &str,
        user: &UserId,
        invite_id: &str,
    ) -> Result<InviteView> {
        let (league, _) = self
            .league_for(league_id, Some(user), Action::ManageInvites)
            .await?;
        let not_found = || ServiceError::InviteNotFound(invite_id.to_owned());
        if invite_id.len() != 64 || !invite_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(not_found());
        }
        let now = self.now();
        let invite = self
            .records()
            .update(
                tables::INVITES,
                invite_id,
                "this invite",
                |current: Option<Invite>| match current {
                    Some(mut invite) if invite.league() == league.id() => {
                        invite.revoke();
                        Ok(Change::Put(invite.clone(), invite))
                    }
                    _ => Err(not_found()),
                },
            )
            .await?;
        tracing::info!(league = %league.id(), invite = %invite_id, "invite withdrawn");
        Ok(invite_view(&invite, now))
    }

    /// What a code invites to, for the join page. Refused like an acceptance would be when the
    /// code is unknown, expired, withdrawn or used up.
    pub async fn preview_invite(&self, code: &str) -> Result<InvitePreview> {
        let (_, invite, league) = self.find_invite(code).await?;
        match invite.state(self.now()) {
            InviteState::Active => {}
            InviteState::Expired => return Err(InviteError::Expired.into()),
            InviteState::UsedUp => return Err(InviteError::UsedUp.into()),
            InviteState::Revoked => return Err(InviteError::Revoked.into()),
        }
        let commissioner = self
            .user(league.commissioner())
            .await?
            .map_or_else(|| league.commissioner().to_string(), |user| user.name);
        Ok(InvitePreview {
            league_id: league.id().clone(),
            league_name: league.name().to_owned(),
            sport: league.sport(),
            commissioner,
            role: invite.role(),
            managers: league.manager_count(),
            max_managers: league.settings().max_managers,
            expires_at: invite.expires_at(),
        })
    }

    /// Accepts an invite code (see the module docs for the flow).
    pub async fn accept_invite(&self, code: &str, acceptor: Acceptor<'_>) -> Result<Accepted> {
        let outcome = self.accept_inner(code, acceptor).await;
        let label = match &outcome {
            Ok(Accepted::Joined { .. }) => "joined",
            Ok(Accepted::SignInRequired { .. }) => "sign_in_required",
            Err(error) => error.code(),
        };
        metrics::counter!(m::INVITE_ACCEPTS, "outcome" => label).increment(1);
        outcome
    }

    async fn accept_inner(&self, code: &str, acceptor: Acceptor<'_>) -> Result<Accepted> {
        let (hash, invite, league) = self.find_invite(code).await?;
        let now = self.now();
        let (user, new_account) = match acceptor {
            Acceptor::SignedIn(id) => (
                self.user(id).await?.ok_or(ServiceError::AccountNotFound)?,
                false,
            ),
            Acceptor::New { email, name } => {
                let email = Email::parse(email)?;
                if self.user_by_email(&email).await?.is_some() {
                    // Check the code first, so a dead code does not send mail.
                    trial_accept(&invite, code, &league, &placeholder_user()?, now)?;
                    let requested = self.send_magic_link(&email, None, Some(code)).await?;
                    return Ok(Accepted::SignInRequired { dev: requested.dev });
                }
                let Some(name) = name.map(str::trim).filter(|name| !name.is_empty()) else {
                    return Err(ServiceError::invalid(
                        "name_required",
                        "give your name, as the other managers will see it, to join",
                    ));
                };
                league::model::validate_name(name)?;
                trial_accept(&invite, code, &league, &placeholder_user()?, now)?;
                let (user, created) = self.find_or_create_user(&email, Some(name)).await?;
                if !created {
                    // Created by someone else a moment ago: treat it as an existing account.
                    let requested = self.send_magic_link(&email, None, Some(code)).await?;
                    return Ok(Accepted::SignInRequired { dev: requested.dev });
                }
                (user, true)
            }
        };
        // The table: only people outside the league join it (members are told they already are).
        self.authorize(&league, Some(&user.id), Action::JoinWithInvite)
            .await?;
        let role = trial_accept(&invite, code, &league, &user.id, now)?;
        let league_id = league.id().clone();
        self.index_membership(&user.id, &league_id).await?;
        let joined = match invite.role() {
            JoinRole::Manager => self.join_as_manager(&league_id, &user.id).await,
            JoinRole::Spectator => {
                if self.add_spectator(&league_id, &user.id).await? {
                    Ok(())
                } else {
                    Err(InviteError::AlreadyMember {
                        role: Role::Spectator,
                    }
                    .into())
                }
            }
        };
        if let Err(error) = joined {
            if !matches!(
                error,
                ServiceError::Invite(InviteError::AlreadyMember { .. })
            ) {
                self.unindex_membership(&user.id, &league_id).await?;
            }
            return Err(error);
        }
        if let Err(error) = self.count_invite_use(&hash, code, &league, &user.id).await {
            // A single-use code raced and the other joiner counted first: undo this join.
            self.undo_join(&league_id, &user.id, invite.role()).await?;
            return Err(error);
        }
        tracing::info!(league = %league_id, user = %user.id, %role, "joined with an invite");
        let session = if new_account {
            Some(self.issue_session(&user, "invite").await?)
        } else {
            None
        };
        Ok(Accepted::Joined {
            league_id,
            role,
            user,
            session,
        })
    }

    /// Looks a presented code up: its hash, the invite, and its league. Everything that is not a
    /// live invite of an existing league is [`InviteError::Unknown`].
    async fn find_invite(&self, code: &str) -> Result<(String, Invite, League)> {
        let hash = invite::hash_presented(code)
            .ok_or(ServiceError::Invite(InviteError::Unknown))?
            .to_hex();
        let invite: Invite = self
            .records()
            .value(tables::INVITES, &hash)
            .await?
            .ok_or(ServiceError::Invite(InviteError::Unknown))?;
        let league: League = self
            .records()
            .value(tables::LEAGUES, invite.league().as_str())
            .await?
            .ok_or(ServiceError::Invite(InviteError::Unknown))?;
        Ok((hash, invite, league))
    }

    /// Joins `user` as a manager with compare-and-set on the league record.
    pub(crate) async fn join_as_manager(&self, league: &LeagueId, user: &UserId) -> Result<()> {
        let now = self.now();
        self.records()
            .update(
                tables::LEAGUES,
                league.as_str(),
                "this league",
                |current: Option<League>| {
                    let Some(mut league) = current else {
                        return Err(InviteError::Unknown.into());
                    };
                    league
                        .join(user, JoinRole::Manager, now)
                        .map_err(|error| ServiceError::Invite(error.into()))?;
                    Ok(Change::Put(league, ()))
                },
            )
            .await
    }

    async fn count_invite_use(
        &self,
        hash: &str,
        code: &str,
        league_before: &League,
        user: &UserId,
    ) -> Result<()> {
        let now = self.now();
        self.records()
            .update(
                tables::INVITES,
                hash,
                "this invite",
                |current: Option<Invite>| {
                    let Some(mut invite) = current else {
                        return Err(InviteError::Unknown.into());
                    };
                    // The use is counted against the league as it was before this join, on which the
                    // join was valid; only the invite's own state can refuse it now.
                    invite.accept(code, &mut league_before.clone(), user, now)?;
                    Ok(Change::Put(invite, ()))
                },
            )
            .await
    }

    async fn undo_join(&self, league: &LeagueId, user: &UserId, role: JoinRole) -> Result<()> {
        match role {
            JoinRole::Spectator => {
                self.records()
                    .delete(
                        tables::SPECTATORS,
                        &spectator_key(league, user),
                        Expect::Any,
                    )
                    .await?;
            }
            JoinRole::Manager => {
                self.records()
                    .update(
                        tables::LEAGUES,
                        league.as_str(),
                        "this league",
                        |current: Option<League>| {
                            let Some(mut league) = current else {
                                return Ok(Change::Keep(()));
                            };
                            match league.leave(user) {
                                Ok(_) => Ok(Change::Put(league, ())),
                                Err(_) => Ok(Change::Keep(())),
                            }
                        },
                    )
                    .await?;
            }
        }
        self.unindex_membership(user, league).await
    }
}

/// Runs the domain's acceptance on copies: every check, no change.
fn trial_accept(
    invite: &Invite,
    code: &str,
    league: &League,
    user: &UserId,
    now: Timestamp,
) -> Result<Role> {
    Ok(invite
        .clone()
        .accept(code, &mut league.clone(), user, now)?)
}

/// A user id that is nobody's, to check a code for someone who has no account yet.
fn placeholder_user() -> Result<UserId> {
    crate::accounts::user_id(crate::new_id("u", 10))
}

fn invite_view(invite: &Invite, now: Timestamp) -> InviteView {
    InviteView {
        id: invite.code_hash().to_hex(),
        role: invite.role(),
        created_by: invite.created_by().clone(),
        created_at: invite.created_at(),
        expires_at: invite.expires_at(),
        max_uses: invite.max_uses(),
        uses: invite.uses(),
        state: invite.state(now),
    }
}
