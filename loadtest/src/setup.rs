//! Preparing a run: session tokens, auction setups, creating auctions through the gateway's HTTP
//! API (`POST /api/auctions`, with the commissioner's bearer token) and beginning them.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use auction::{
    Asset, AssetId, AuctionId, AuctionSetup, DurationMs, IncrementRule, LeagueSettings, Manager,
    Money, UserId,
};
use futures_util::StreamExt;
use league::auth::SessionSecret;
use league::model::{Email, User};
use protocol::client::{AuctionCommand, ServerFrame};
use protocol::codec::Encoding;

use crate::client::{Client, answers};
use crate::scenario::League;

/// Mints session tokens the gateways accept (same secret).
#[derive(Clone)]
pub struct Tokens {
    secret: Arc<SessionSecret>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens(..)")
    }
}

impl Tokens {
    /// With the gateways' JWT secret.
    pub fn new(secret: &str) -> anyhow::Result<Tokens> {
        let secret = SessionSecret::new(secret.as_bytes().to_vec())
            .map_err(|error| anyhow::anyhow!("JWT secret: {error}"))?;
        Ok(Tokens {
            secret: Arc::new(secret),
        })
    }

    /// A 24-hour session token for `user`.
    pub fn token(&self, user: &UserId, name: &str) -> anyhow::Result<String> {
        let now = auction::Timestamp(crate::clock::wall_ms());
        let email = Email::parse(&format!("{}@loadtest.invalid", user.as_str()))
            .map_err(|error| anyhow::anyhow!("email for {user}: {error}"))?;
        let user = User::new(user.clone(), name, email, now)
            .map_err(|error| anyhow::anyhow!("user {name}: {error}"))?;
        Ok(league::auth::issue(
            &self.secret,
            &user,
            0,
            now,
            &mut rand::rng(),
        ))
    }
}

/// A validated id.
pub fn user_id(raw: &str) -> UserId {
    UserId::try_new(raw.to_string()).expect("load-test ids are valid")
}

/// The setup of one load-test auction.
pub fn auction_setup(
    auction_id: &AuctionId,
    commissioner: &UserId,
    managers: &[UserId],
    league: &League,
    assets: u32,
) -> AuctionSetup {
    let settings = LeagueSettings {
        budget: Money::millions(league.budget_millions),
        roster_slots: league.roster_slots,
        min_managers: 2,
        max_managers: 30,
        min_opening_bid: Money::millions(1),
        increment: IncrementRule::Flat(Money::millions(1)),
        bid_clock: DurationMs(league.bid_clock_ms),
        anti_snipe: DurationMs(league.anti_snipe_ms),
        gap_between_lots: DurationMs(league.gap_ms),
        ..LeagueSettings::default()
    };
    AuctionSetup {
        auction_id: auction_id.clone(),
        league_name: format!("Load test {auction_id}"),
        settings,
        commissioner: commissioner.clone(),
        managers: managers
            .iter()
            .map(|id| Manager {
                id: id.clone(),
                name: id.as_str().to_string(),
            })
            .collect(),
        assets: (0..assets)
            .map(|i| Asset {
                id: AssetId::try_new(format!("p{i:04}")).expect("valid asset id"),
                name: format!("Player {i}"),
                group: None,
            })
            .collect(),
        keepers: Vec::new(),
    }
}

/// The flat increment every load-test auction uses.
pub const INCREMENT: Money = Money::millions(1);

/// Create auctions through `http_base` (`http://127.0.0.1:port`), `concurrency` at a time,
/// retrying while no node is ready (503). `progress` is called after each.
pub async fn create_auctions(
    http_bases: &[String],
    items: Vec<(AuctionSetup, String)>,
    concurrency: usize,
    progress: impl Fn(usize) + Send + Sync,
) -> anyhow::Result<()> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let total = items.len();
    let results = futures_util::stream::iter(items.into_iter().enumerate())
        .map(|(index, (setup, token))| {
            let http = http.clone();
            let url = format!(
                "{}/api/auctions",
                http_bases[index % http_bases.len().max(1)]
            );
            async move { create_one(&http, &url, &setup, &token).await }
        })
        .buffer_unordered(concurrency.max(1));
    futures_util::pin_mut!(results);
    let mut done = 0;
    while let Some(result) = results.next().await {
        result?;
        done += 1;
        progress(done);
    }
    if done != total {
        bail!("created {done} of {total} auctions");
    }
    Ok(())
}

async fn create_one(
    http: &reqwest::Client,
    url: &str,
    setup: &AuctionSetup,
    token: &str,
) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let response = http.post(url).bearer_auth(token).json(setup).send().await;
        match response {
            Ok(response) => {
                let status = response.status().as_u16();
                let body = response.text().await.unwrap_or_default();
                if status == 201 {
                    return Ok(());
                }
                if status != 503 || tokio::time::Instant::now() >= deadline {
                    bail!(
                        "creating auction {} failed: {status} {body}",
                        setup.auction_id
                    );
                }
            }
            Err(error) if tokio::time::Instant::now() >= deadline => {
                return Err(error).context(format!("creating auction {}", setup.auction_id));
            }
            Err(_) => {}
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Begin auctions: one connection re-authenticates as each auction's commissioner and sends
/// `begin`. `items` are (auction, commissioner token).
pub async fn begin_auctions(
    ws_url: &str,
    items: &[(AuctionId, String)],
    progress: impl Fn(usize),
) -> anyhow::Result<()> {
    let mut client = Client::connect_small(ws_url, Encoding::MessagePack).await?;
    for (done, (auction_id, token)) in items.iter().enumerate() {
        client.hello(token, Duration::from_secs(10)).await?;
        let request = client.command(auction_id, AuctionCommand::Begin).await?;
        let answer = client
            .recv_until(
                Duration::from_secs(20),
                "the answer to begin",
                |frame| (answers(frame) == Some(request)).then(|| frame.clone()),
                |_| {},
            )
            .await?;
        match answer {
            ServerFrame::Ack { .. } => {}
            ServerFrame::Refused { code, .. } if code == "already_begun" => {}
            other => bail!("begin {auction_id}: {other:?}"),
        }
        progress(done + 1);
    }
    client.close().await;
    Ok(())
}
