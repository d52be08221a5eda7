//! The demo league of `make run` (`--seed-demo`): a commissioner and four managers in a league
//! with the pilot's rules and the 20 Premier League clubs of 2025/26, its auction started and
//! waiting for the commissioner to begin — all made through the league service, as people would
//! through the API (accounts, a league from the catalogue, an invite accepted by each manager, the
//! auction started from the league). Then one sign-in link per person is printed.
//!
//! A link is `<public url>/#token=<session token>&auction=<auction id>&league=<league id>`: the
//! web client reads the fragment (never sent to a server), keeps the token, and opens the
//! auction. Seeding again (a restart on the same store) finds everything in place and prints
//! fresh links.

use std::time::Duration;

use anyhow::Context;
use auction::UserId;
use league::invite::InviteOptions;
use league::model::{Email, JoinRole, LeagueStatus, User};
use league_service::ServiceError;
use league_service::invites::Acceptor;
use league_service::leagues::LeagueDraft;

use crate::api::Api;

/// The demo league's id.
pub const DEMO_LEAGUE: &str = "demo-epl";
/// The demo league's name.
pub const DEMO_LEAGUE_NAME: &str = "Demo League — Premier League 2025/26";

/// One person's way into the demo.
#[derive(Debug, Clone)]
pub struct Invitation {
    /// Who.
    pub name: String,
    /// Their role, for the printout.
    pub role: &'static str,
    /// A link that signs them in and opens the auction.
    pub link: String,
    /// The raw session token (for the command-line client and tests).
    pub token: String,
}

/// The people of the demo league: (user id, name, role); the first is the commissioner.
pub const DEMO_PEOPLE: &[(&str, &str, &str)] = &[
    ("demo-commissioner", "Casey (commissioner)", "commissioner"),
    ("demo-alice", "Alice", "manager"),
    ("demo-bob", "Bob", "manager"),
    ("demo-chloe", "Chloe", "manager"),
    ("demo-dev", "Dev", "manager"),
];

/// Create (or find) the demo league, start its auction, and sign everybody in.
pub async fn seed(api: &Api) -> anyhow::Result<Vec<Invitation>> {
    let service = &api.service;
    let mut people: Vec<(User, &'static str)> = Vec::new();
    for (raw, name, role) in DEMO_PEOPLE {
        let id =
            UserId::try_new(*raw).map_err(|error| anyhow::anyhow!("demo id {raw}: {error}"))?;
        let email = Email::parse(&format!("{raw}@demo.example"))
            .map_err(|error| anyhow::anyhow!("demo email of {raw}: {error}"))?;
        let user = service
            .ensure_user(&id, name, &email)
            .await
            .with_context(|| format!("create the demo account of {name}"))?;
        people.push((user, role));
    }
    let commissioner = people[0].0.clone();

    let league = match service.league_record(DEMO_LEAGUE).await {
        Ok((_, league)) => league,
        Err(ServiceError::LeagueNotFound(_)) => {
            let league_id = league::model::LeagueId::try_new(DEMO_LEAGUE)
                .map_err(|error| anyhow::anyhow!("{error}"))?;
            service
                .create_league(
                    &commissioner,
                    LeagueDraft {
                        name: DEMO_LEAGUE_NAME.to_owned(),
                        settings: auction::LeagueSettings::default(),
                        commissioner_plays: false,
                        catalogue: Some("premier-league-2025-26".to_owned()),
                        id: Some(league_id),
                    },
                )
                .await
                .context("create the demo league")?;
            service.league_record(DEMO_LEAGUE).await?.1
        }
        Err(error) => return Err(error).context("read the demo league"),
    };

    if league.status() == &LeagueStatus::Open {
        let missing: Vec<&User> = people
            .iter()
            .filter(|(user, role)| *role == "manager" && league.role_of(&user.id).is_none())
            .map(|(user, _)| user)
            .collect();
        if !missing.is_empty() {
            let invite = service
                .create_invite(
                    DEMO_LEAGUE,
                    &commissioner.id,
                    InviteOptions {
                        role: JoinRole::Manager,
                        max_uses: Some(u32::try_from(missing.len()).unwrap_or(1)),
                        ..InviteOptions::default()
                    },
                )
                .await
                .context("invite the demo managers")?;
            for user in missing {
                service
                    .accept_invite(&invite.code, Acceptor::SignedIn(&user.id))
                    .await
                    .with_context(|| format!("{} joins the demo league", user.name))?;
            }
        }
    }

    // The gateway may start before any node: retry while the cluster is unreachable.
    let mut attempts = 0;
    let started = loop {
        match service.start_auction(DEMO_LEAGUE, &commissioner.id).await {
            Ok(started) => break started,
            Err(ServiceError::Conflict {
                code: "auction_ended",
                ..
            }) => {
                let (_, league) = service.league_record(DEMO_LEAGUE).await?;
                let auction_id = league_service::leagues::auction_of(&league)
                    .context("a completed league has an auction")?;
                tracing::info!(%auction_id, "the demo auction has ended; remove the store's data to run a fresh one");
                break league_service::auctions::StartedAuction {
                    league_id: league.id().clone(),
                    auction_id,
                    created: false,
                };
            }
            Err(error @ (ServiceError::Launch(_) | ServiceError::Store(_))) => {
                attempts += 1;
                if attempts >= 60 {
                    return Err(error)
                        .context("no node became reachable to start the demo auction");
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(error) => return Err(error).context("start the demo auction"),
        }
    };
    tracing::info!(league = DEMO_LEAGUE, auction = %started.auction_id, "demo league ready");

    let mut invitations = Vec::with_capacity(people.len());
    for (user, role) in &people {
        let session = service
            .issue_session(user, "seed")
            .await
            .with_context(|| format!("sign {} in", user.name))?;
        let link = format!(
            "{}/#token={}&auction={}&league={DEMO_LEAGUE}",
            service.config().public_url.trim_end_matches('/'),
            session.token,
            started.auction_id,
        );
        invitations.push(Invitation {
            name: user.name.clone(),
            role,
            link,
            token: session.token,
        });
    }
    Ok(invitations)
}

/// Print the invitations for a person at a terminal.
pub fn print(invitations: &[Invitation]) {
    let mut out =
        String::from("\nDemo league ready. Open one link per browser (or private window):\n\n");
    for invitation in invitations {
        out.push_str(&format!(
            "  {:<24} {:<13} {}\n",
            invitation.name, invitation.role, invitation.link
        ));
    }
    out.push_str("\nThe commissioner presses Begin; managers bid. Ctrl-C stops everything.\n");
    println!("{out}");
}
