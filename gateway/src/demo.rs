//! The demo league of `make run`: a commissioner, four managers and the 20 Premier League clubs of
//! 2025/26 with the pilot's rules, ready to begin; and a sign-in link for each person.

use std::time::Duration;

use auction::{AuctionId, AuctionSetup, LeagueSettings, Manager, Timestamp, UserId};
use league::auth::SessionSecret;
use league::catalogue::Catalogue;
use league::model::{Email, User};
use protocol::cluster::{CreateRequest, ExecuteReply};

use crate::routing::Routing;

/// The demo auction's id.
pub const DEMO_AUCTION: &str = "demo-epl";

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

/// The people of the demo league: (id, name, role).
pub const DEMO_PEOPLE: &[(&str, &str, &str)] = &[
    ("demo-commissioner", "Casey (commissioner)", "commissioner"),
    ("demo-alice", "Alice", "manager"),
    ("demo-bob", "Bob", "manager"),
    ("demo-chloe", "Chloe", "manager"),
    ("demo-dev", "Dev", "manager"),
];

fn id(raw: &str) -> anyhow::Result<UserId> {
    UserId::try_new(raw.to_string()).map_err(|error| anyhow::anyhow!("demo id {raw}: {error}"))
}

/// The demo auction's setup.
pub fn setup() -> anyhow::Result<AuctionSetup> {
    let managers = DEMO_PEOPLE
        .iter()
        .filter(|(_, _, role)| *role == "manager")
        .map(|(raw, name, _)| {
            Ok(Manager {
                id: id(raw)?,
                name: name.to_string(),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(AuctionSetup {
        auction_id: AuctionId::try_new(DEMO_AUCTION.to_string())
            .map_err(|error| anyhow::anyhow!("{error}"))?,
        league_name: "Demo League — Premier League 2025/26".into(),
        settings: LeagueSettings::default(),
        commissioner: id(DEMO_PEOPLE[0].0)?,
        managers,
        assets: Catalogue::premier_league_2025_26().assets(),
        keepers: Vec::new(),
    })
}

/// Create the demo auction (once: an existing one is kept) and sign everybody in.
pub async fn seed(
    routing: &Routing,
    secret: &SessionSecret,
    public_url: &str,
) -> anyhow::Result<Vec<Invitation>> {
    let setup = setup()?;
    // Wait for a node to be reachable (the gateway may start first).
    let mut attempts = 0;
    loop {
        match routing
            .create(CreateRequest {
                setup: setup.clone(),
            })
            .await
        {
            Ok((ExecuteReply::Accepted { .. }, node)) => {
                tracing::info!(%node, "demo auction created");
                break;
            }
            Ok((ExecuteReply::Refused { code, .. }, _)) if code == "already_exists" => break,
            Ok((other, _)) => {
                anyhow::bail!("the node refused to create the demo auction: {other:?}")
            }
            Err(error) => {
                attempts += 1;
                if attempts >= 60 {
                    anyhow::bail!("no node became reachable to create the demo auction: {error}");
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
    let now = Timestamp(crate::outbox::server_time());
    let mut rng = rand::rng();
    DEMO_PEOPLE
        .iter()
        .map(|(raw, name, role)| {
            let email = Email::parse(&format!("{raw}@demo.example"))
                .map_err(|error| anyhow::anyhow!("{error}"))?;
            let user = User::new(id(raw)?, name, email, now)
                .map_err(|error| anyhow::anyhow!("{error}"))?;
            let token = league::auth::issue(secret, &user, 0, now, &mut rng);
            let link = format!("{public_url}/#auction={DEMO_AUCTION}&token={token}");
            Ok(Invitation {
                name: name.to_string(),
                role,
                link,
                token,
            })
        })
        .collect()
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
