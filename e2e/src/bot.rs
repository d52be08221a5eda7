//! A bidding bot for chaos and failover tests: a manager on a phone who keeps bidding the minimum
//! next bid at random moments, survives dropped connections (reconnecting to any gateway and
//! resuming by sequence number), settles unknown outcomes by resending the same idempotency key,
//! and records every bid it saw acknowledged — the claims the history checker verifies.

use std::sync::Arc;
use std::time::Duration;

use auction::{
    AuctionId, IdempotencyKey, LotNumber, LotView, ManagerView, Money, PhaseView, UserId,
};
use loadtest::client::{Client, answers};
use protocol::client::{AuctionCommand, ClientFrame, ErrorCode, ServerFrame};
use protocol::codec::Encoding;
use rand::Rng;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::checker::AckedBid;
use crate::{token_for, user};

/// What a bot did.
#[derive(Debug, Default, Clone)]
pub struct BotReport {
    /// Bids acknowledged (as the bot saw them).
    pub acked: Vec<AckedBid>,
    /// Bids the rules refused.
    pub refused: usize,
    /// Times the bot had to reconnect.
    pub reconnects: usize,
    /// Commands whose outcome was never settled before the bot stopped.
    pub unsettled: usize,
    /// Whether the bot saw the auction end.
    pub saw_end: bool,
}

/// What the bot knows of the auction.
#[derive(Debug, Default)]
struct View {
    head: u64,
    phase: Option<PhaseView>,
    lot: Option<LotView>,
    me: Option<ManagerView>,
}

impl View {
    fn absorb(&mut self, frame: &ServerFrame, me: &UserId) {
        match frame {
            ServerFrame::Snapshot { seq, view, .. } => {
                self.head = *seq;
                self.phase = Some(view.phase.clone());
                self.lot = view.lot.clone();
                self.me = view.managers.iter().find(|m| &m.id == me).cloned();
            }
            ServerFrame::Events { events, .. } => {
                for event in events {
                    if event.seq != self.head + 1 {
                        continue;
                    }
                    self.head = event.seq;
                    self.phase = Some(event.phase.clone());
                    self.lot = event.lot.clone();
                    if let Some(row) = event.managers.iter().flatten().find(|m| &m.id == me) {
                        self.me = Some(row.clone());
                    }
                }
            }
            _ => {}
        }
    }

    fn ended(&self) -> bool {
        matches!(self.phase, Some(PhaseView::Ended { .. }))
    }

    /// The bid to make now, if any: the minimum next bid on the open lot, when I may bid it and
    /// it is within what I think the asset is worth (a per-lot valuation, so lots end).
    fn next_bid(&self, me: &UserId) -> Option<(LotNumber, Money)> {
        if !matches!(self.phase, Some(PhaseView::LotOpen)) {
            return None;
        }
        let lot = self.lot.as_ref()?;
        if lot.leader.as_ref() == Some(me) {
            return None;
        }
        let manager = self.me.as_ref()?;
        let worth = valuation(me, lot.lot);
        (manager.slots_left > 0 && lot.min_next_bid <= manager.max_bid && lot.min_next_bid <= worth)
            .then_some((lot.lot, lot.min_next_bid))
    }
}

/// Run a bot for `who` in `auction` until it sees the auction end or `until`. `gateways` are
/// websocket URLs; the bot moves to another one whenever its connection fails.
pub async fn run(
    who: String,
    auction: AuctionId,
    gateways: Arc<Mutex<Vec<String>>>,
    until: Instant,
    think: (u64, u64),
) -> BotReport {
    let me = user(&who);
    let mut report = BotReport::default();
    let mut view = View::default();
    let mut attempt = 0usize;
    let mut serial = 0u64;
    // A bid in flight whose outcome we do not know yet: resent with the same key.
    let mut pending: Option<(LotNumber, Money, String)> = None;
    'connections: while Instant::now() < until && !view.ended() {
        let urls = gateways.lock().await.clone();
        let url = urls[attempt % urls.len()].clone();
        attempt += 1;
        let Ok(mut client) = Client::connect(&url, Encoding::MessagePack).await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        if client
            .hello(&token_for(&me, &who), Duration::from_secs(5))
            .await
            .is_err()
        {
            continue;
        }
        let after_seq = (view.head > 0).then_some(view.head);
        if client
            .send(&ClientFrame::Subscribe {
                auction_id: auction.clone(),
                after_seq,
            })
            .await
            .is_err()
        {
            continue;
        }
        if attempt > 1 {
            report.reconnects += 1;
        }
        let mut next_attempt = Instant::now() + think_time(think);
        let mut in_flight: Option<u64> = None;
        loop {
            if view.ended() {
                report.saw_end = true;
                break 'connections;
            }
            if Instant::now() >= until {
                break 'connections;
            }
            if in_flight.is_none() && Instant::now() >= next_attempt {
                let bid = match &pending {
                    Some(bid) => Some(bid.clone()),
                    None => view.next_bid(&me).map(|(lot, amount)| {
                        serial += 1;
                        (lot, amount, format!("{who}-{serial}"))
                    }),
                };
                if let Some((lot, amount, key)) = bid {
                    let command = AuctionCommand::Bid {
                        lot,
                        amount,
                        key: IdempotencyKey::try_new(key.clone()).expect("bot keys are valid"),
                    };
                    match client.command(&auction, command).await {
                        Ok(request) => {
                            in_flight = Some(request);
                            pending = Some((lot, amount, key));
                        }
                        Err(_) => continue 'connections,
                    }
                }
                next_attempt = Instant::now() + think_time(think);
            }
            let wait = next_attempt
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(5));
            let frame = match client.recv(wait.min(Duration::from_secs(3))).await {
                Ok(frame) => frame,
                Err(loadtest::client::ClientError::Timeout(..)) => continue,
                Err(_) => continue 'connections,
            };
            view.absorb(&frame, &me);
            if let Some(request) = in_flight
                && answers(&frame) == Some(request)
            {
                in_flight = None;
                match &frame {
                    ServerFrame::Ack { .. } => {
                        if let Some((lot, amount, key)) = pending.take() {
                            report.acked.push(AckedBid {
                                bidder: who.clone(),
                                key,
                                amount: amount.0,
                                lot: lot.0,
                            });
                        }
                    }
                    ServerFrame::Refused { .. } => {
                        report.refused += 1;
                        pending = None;
                    }
                    ServerFrame::Error {
                        code: ErrorCode::RateLimited,
                        ..
                    } => {
                        // Not applied; try again later with the same key.
                    }
                    ServerFrame::Error { .. } => {
                        // Unknown outcome or unavailable: the same key settles it when resent.
                    }
                    _ => {}
                }
            }
            if let ServerFrame::Error {
                code: ErrorCode::SlowConsumer,
                ..
            } = frame
            {
                continue 'connections;
            }
        }
    }
    if pending.is_some() {
        report.unsettled += 1;
    }
    report.saw_end |= view.ended();
    report
}

/// What `who` thinks lot `lot` is worth: between £2m and £12m, fixed per manager and lot.
fn valuation(who: &UserId, lot: LotNumber) -> Money {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in who.as_str().bytes().chain(lot.0.to_le_bytes()) {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    Money((2 + hash % 11) * 1_000_000)
}

fn think_time((low, high): (u64, u64)) -> Duration {
    Duration::from_millis(rand::rng().random_range(low..=high.max(low)))
}

/// Begin an auction as its commissioner, retrying through failures until `until`.
pub async fn begin(auction: &AuctionId, gateways: &[String], until: Instant) -> bool {
    let commissioner = user("commish");
    let mut attempt = 0;
    while Instant::now() < until {
        let url = &gateways[attempt % gateways.len()];
        attempt += 1;
        let Ok(mut client) = Client::connect(url, Encoding::Json).await else {
            continue;
        };
        if client
            .hello(
                &token_for(&commissioner, "Commissioner"),
                Duration::from_secs(5),
            )
            .await
            .is_err()
        {
            continue;
        }
        let Ok(request) = client.command(auction, AuctionCommand::Begin).await else {
            continue;
        };
        let answer = client
            .recv_until(
                Duration::from_secs(15),
                "begin's answer",
                |frame| (answers(frame) == Some(request)).then(|| frame.clone()),
                |_| {},
            )
            .await;
        match answer {
            Ok(ServerFrame::Ack { .. }) => return true,
            Ok(ServerFrame::Refused { code, .. }) if code == "already_begun" => return true,
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    false
}
