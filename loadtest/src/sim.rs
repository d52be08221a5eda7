//! Simulated people: managers who bid, spectators who watch, and echo clients for the baseline.
//!
//! Every simulated person is one tokio task with its own websocket. Bid attempts are an open-loop
//! Poisson process: the next attempt time is drawn when the previous one fires, never from an
//! answer, so a slow server cannot slow the offered load down and hide its latency (coordinated
//! omission). Latency is measured from the *intended* time of each attempt (and, separately, from
//! the moment it was written to the socket). What a manager bids comes from the latest event it
//! received: the open lot's number and its `min_next_bid`, so most bids are valid when sent.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auction::{AuctionId, Event, IdempotencyKey, LotNumber, LotView, Money, PhaseView, UserId};
use hdrhistogram::Histogram;
use protocol::client::{AuctionCommand, ClientFrame, ErrorCode, ServerFrame};
use protocol::codec::{self, Encoding, Frame};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;
use tokio::time::{Instant, sleep, sleep_until};
use tokio_util::sync::CancellationToken;

use crate::client::Client;
use crate::clock::{instant_of, now_us, wall_ms};
use crate::scenario::Behaviour;
use crate::setup::INCREMENT;
use crate::stats::{BidBook, ConnCounters, Outcome, Stats};

/// Hands out connection slots at a fixed rate, so thousands of clients connect in paced waves.
#[derive(Debug)]
pub struct Pacer {
    next: Mutex<Instant>,
    gap: Duration,
}

impl Pacer {
    /// `per_second` connects per second.
    pub fn new(per_second: u32) -> Pacer {
        Pacer {
            next: Mutex::new(Instant::now()),
            gap: Duration::from_secs_f64(1.0 / f64::from(per_second.max(1))),
        }
    }

    /// Wait for the next slot.
    pub async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let slot = (*next).max(now);
            *next = slot + self.gap;
            slot
        };
        sleep_until(slot).await;
    }
}

/// What every simulated person of a run shares.
#[derive(Debug)]
pub struct Ctx {
    /// Measurements.
    pub stats: Stats,
    /// Accepted-bid tracking for fan-out.
    pub book: BidBook,
    /// Prefix of this run's idempotency keys (`<tag>-<bid id>`).
    pub tag: String,
    /// Subscribed watchers per auction index.
    pub watchers: Vec<AtomicU32>,
    /// Next bid id.
    pub next_bid: AtomicU64,
    /// Bids sent and not yet answered (or failed).
    pub pending: AtomicI64,
    /// No new bid attempts after this.
    pub stop_bidding: CancellationToken,
    /// Everybody disconnects.
    pub shutdown: CancellationToken,
    /// Connect pacing.
    pub pacer: Pacer,
    /// How managers behave.
    pub behaviour: Behaviour,
    /// A bid without an answer this long is a failure (`timeout`).
    pub answer_timeout: Duration,
}

impl Ctx {
    /// A context for `auctions` auctions.
    pub fn new(tag: String, auctions: usize, behaviour: Behaviour, connect_rate: u32) -> Ctx {
        Ctx {
            stats: Stats::default(),
            book: BidBook::default(),
            tag,
            watchers: (0..auctions).map(|_| AtomicU32::new(0)).collect(),
            next_bid: AtomicU64::new(1),
            pending: AtomicI64::new(0),
            stop_bidding: CancellationToken::new(),
            shutdown: CancellationToken::new(),
            pacer: Pacer::new(connect_rate),
            behaviour,
            answer_timeout: Duration::from_secs(10),
        }
    }

    /// Grow the watcher table (capacity runs add auctions).
    pub fn with_auctions(mut self, auctions: usize) -> Ctx {
        while self.watchers.len() < auctions {
            self.watchers.push(AtomicU32::new(0));
        }
        self
    }

    fn conns(&self) -> &ConnCounters {
        &self.stats.conns
    }

    /// A watcher received the event of a bid with `key` at `now` (subscribed since `since`).
    fn receipt(&self, key: &str, now: u64, since: u64) {
        let Some(id) = key
            .strip_prefix(self.tag.as_str())
            .and_then(|rest| rest.strip_prefix('-'))
            .and_then(|id| id.parse::<u64>().ok())
        else {
            return;
        };
        if let Some(latency) = self.book.receipt(id, now, since) {
            self.stats.fanout(latency);
        }
    }
}

fn exp_gap(rng: &mut StdRng, rate: f64) -> Duration {
    if rate <= 0.0 {
        return Duration::from_secs(3_600 * 24);
    }
    let u: f64 = rng.random_range(f64::MIN_POSITIVE..1.0);
    Duration::from_secs_f64(-u.ln() / rate)
}

fn uniform_ms(rng: &mut StdRng, (low, high): (u64, u64)) -> Duration {
    Duration::from_millis(if high > low {
        rng.random_range(low..=high)
    } else {
        low
    })
}

/// One simulated manager.
#[derive(Debug, Clone)]
pub struct ManagerPlan {
    /// Index of its auction in the run.
    pub auction_index: usize,
    /// Its auction.
    pub auction_id: AuctionId,
    /// Who.
    pub user: UserId,
    /// Session token.
    pub token: String,
    /// Gateway websocket URL.
    pub url: String,
    /// Encoding.
    pub encoding: Encoding,
    /// Bids only in the last seconds.
    pub sniper: bool,
    /// Random seed.
    pub seed: u64,
}

#[derive(Debug, Clone)]
struct Pending {
    bid_id: u64,
    lot: LotNumber,
    amount: Money,
    key: IdempotencyKey,
    intended_us: u64,
    sent_us: u64,
    resent: bool,
}

#[derive(Debug, Default)]
struct ManagerState {
    seq: u64,
    open: bool,
    lot: Option<LotView>,
    /// The lot whose interest was drawn, and the most this manager pays for it (None: not
    /// interested).
    interest: Option<(LotNumber, Option<Money>)>,
    /// Roster full: nothing more to bid for.
    done: bool,
    /// Lot on which the rules said the bid was above this manager's max bid.
    over_max_on: Option<LotNumber>,
    pending: HashMap<u64, Pending>,
    timed_out: std::collections::HashSet<u64>,
    next_request: u64,
}

enum Exit {
    Shutdown,
    Lost,
    Deliberate,
}

impl ManagerState {
    fn apply_phase(&mut self, phase: &PhaseView) {
        self.open = matches!(phase, PhaseView::LotOpen);
    }

    fn on_frame(&mut self, ctx: &Ctx, me: &UserId, frame: Frame, now: u64, since: u64) {
        let frame: ServerFrame = match codec::decode_frame(&frame) {
            Ok(frame) => frame,
            Err(_) => {
                ConnCounters::bump(&ctx.conns().other_errors);
                return;
            }
        };
        match frame {
            ServerFrame::Snapshot { seq, view, .. } => {
                self.seq = seq;
                self.apply_phase(&view.phase);
                self.lot = view.lot;
            }
            ServerFrame::Events { events, .. } => {
                for event in events {
                    self.seq = event.seq;
                    self.apply_phase(&event.phase);
                    self.lot = event.lot;
                    if let Some(Event::BidAccepted { key: Some(key), .. }) = &event.event {
                        ctx.receipt(key.as_str(), now, since);
                    }
                }
            }
            ServerFrame::Ack { request_id, .. } => {
                self.answered(ctx, request_id, now, Outcome::Accepted);
            }
            ServerFrame::Refused {
                request_id, code, ..
            } => {
                if code == "roster_full" {
                    self.done = true;
                }
                if code == "above_max_bid" {
                    self.over_max_on = self.pending.get(&request_id).map(|p| p.lot);
                }
                self.answered(ctx, request_id, now, Outcome::Refused(code));
            }
            ServerFrame::Error {
                request_id: Some(request_id),
                code,
                message,
                ..
            } => {
                let outcome = match code {
                    ErrorCode::RateLimited if message.contains("in flight") => {
                        Outcome::InFlightLimited
                    }
                    ErrorCode::RateLimited => Outcome::RateLimited,
                    other => Outcome::Failed(other.as_str().to_string()),
                };
                self.answered(ctx, request_id, now, outcome);
            }
            ServerFrame::Error { code, .. } => {
                if code == ErrorCode::SlowConsumer {
                    ConnCounters::bump(&ctx.conns().slow_consumer);
                } else {
                    ConnCounters::bump(&ctx.conns().other_errors);
                }
            }
            ServerFrame::Subscribed { seq, .. } => self.seq = self.seq.max(seq),
            ServerFrame::Welcome { .. }
            | ServerFrame::AuctionStatus { .. }
            | ServerFrame::Presence { .. }
            | ServerFrame::Pong { .. } => {}
        }
        let _ = me;
    }

    fn answered(&mut self, ctx: &Ctx, request_id: u64, now: u64, outcome: Outcome) {
        let Some(pending) = self.pending.remove(&request_id) else {
            if self.timed_out.remove(&request_id) {
                ConnCounters::bump(&ctx.conns().late_answers);
            }
            return;
        };
        ctx.pending.fetch_sub(1, Ordering::Relaxed);
        if outcome != Outcome::Accepted {
            ctx.book.forget(pending.bid_id);
        }
        if pending.resent && !matches!(outcome, Outcome::Failed(_)) {
            // Answered after a deliberate reconnect: the app resent it with the same key.
            ConnCounters::bump(&ctx.conns().resolved_after_reconnect);
            return;
        }
        ctx.stats
            .answer(pending.intended_us, pending.sent_us, now, &outcome);
    }

    fn fail_all(&mut self, ctx: &Ctx, kind: &str) {
        let now = now_us();
        for (_, pending) in self.pending.drain() {
            ctx.pending.fetch_sub(1, Ordering::Relaxed);
            ctx.book.forget(pending.bid_id);
            ctx.stats.answer(
                pending.intended_us,
                pending.sent_us,
                now,
                &Outcome::Failed(kind.into()),
            );
        }
    }

    fn check_timeouts(&mut self, ctx: &Ctx) {
        let now = now_us();
        let limit = ctx.answer_timeout.as_micros() as u64;
        let expired: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, p)| now.saturating_sub(p.sent_us) > limit)
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            if let Some(pending) = self.pending.remove(&id) {
                ctx.pending.fetch_sub(1, Ordering::Relaxed);
                ctx.book.forget(pending.bid_id);
                ctx.stats.answer(
                    pending.intended_us,
                    pending.sent_us,
                    now,
                    &Outcome::Failed("timeout".into()),
                );
                self.timed_out.insert(id);
            }
        }
    }

    /// At an attempt time: the bid to send, if this manager would bid now.
    fn decide(
        &mut self,
        behaviour: &Behaviour,
        sniper: bool,
        lambda_max: f64,
        me: &UserId,
        rng: &mut StdRng,
        skipped: &AtomicU64,
    ) -> Option<(LotNumber, Money)> {
        let lot = self.lot.as_ref().filter(|_| self.open)?;
        let time_left = lot.deadline.map(|deadline| deadline.0 - wall_ms());
        let left = time_left.unwrap_or(i64::MAX);
        let rate = if sniper {
            if left <= behaviour.snipe_window_ms as i64 {
                behaviour.snipe_rate
            } else {
                0.0
            }
        } else if left <= behaviour.burst_window_ms as i64 {
            behaviour.burst_rate
        } else {
            behaviour.base_rate
        };
        // Thinning: candidate times come at the highest rate; keep each with rate / highest.
        if rng.random::<f64>() >= rate / lambda_max {
            return None;
        }
        let lot_number = lot.lot;
        if self.interest.map(|(n, _)| n) != Some(lot_number) {
            let wants = rng.random::<f64>() < behaviour.interest;
            let (low, high) = behaviour.valuation_steps;
            let steps = if high > low {
                rng.random_range(low..=high)
            } else {
                low
            };
            let cap = lot
                .opening_bid
                .saturating_add(INCREMENT.saturating_mul(u64::from(steps)));
            self.interest = Some((lot_number, wants.then_some(cap)));
        }
        let skip = |skipped: &AtomicU64| {
            ConnCounters::bump(skipped);
            None
        };
        if self.done || self.over_max_on == Some(lot_number) {
            return skip(skipped);
        }
        let Some(Some(cap)) = self.interest.map(|(_, cap)| cap) else {
            return skip(skipped);
        };
        if lot.leader.as_ref() == Some(me) || time_left.is_none_or(|left| left < 150) {
            return skip(skipped);
        }
        // Open loop: an unanswered bid of ours does not stop the next one; it raises it.
        let above_pending = self
            .pending
            .values()
            .filter(|p| p.lot == lot_number)
            .map(|p| p.amount.saturating_add(INCREMENT))
            .max()
            .unwrap_or(Money::ZERO);
        let amount = lot.min_next_bid.max(above_pending);
        if amount > cap {
            return skip(skipped);
        }
        Some((lot_number, amount))
    }
}

async fn connect_once(
    ctx: &Ctx,
    url: &str,
    encoding: Encoding,
    token: &str,
    auction_id: &AuctionId,
    after_seq: Option<u64>,
) -> Option<Client> {
    let mut backoff = Duration::from_millis(200);
    loop {
        if ctx.shutdown.is_cancelled() {
            return None;
        }
        ctx.pacer.wait().await;
        let attempt = async {
            let mut client = Client::connect_small(url, encoding).await?;
            client.hello(token, Duration::from_secs(15)).await?;
            client
                .send(&ClientFrame::Subscribe {
                    auction_id: auction_id.clone(),
                    after_seq,
                })
                .await?;
            Ok::<Client, crate::client::ClientError>(client)
        };
        match tokio::time::timeout(Duration::from_secs(20), attempt).await {
            Ok(Ok(client)) => {
                ConnCounters::bump(&ctx.conns().connects);
                ctx.conns().open.fetch_add(1, Ordering::Relaxed);
                return Some(client);
            }
            _ => {
                ConnCounters::bump(&ctx.conns().connect_failures);
                tokio::select! {
                    _ = ctx.shutdown.cancelled() => return None,
                    _ = sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Run one manager until the run shuts down.
pub async fn manager(ctx: Arc<Ctx>, plan: ManagerPlan) {
    let behaviour = ctx.behaviour.clone();
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let lambda_max = if plan.sniper {
        behaviour.snipe_rate
    } else {
        behaviour.burst_rate.max(behaviour.base_rate)
    };
    let mut state = ManagerState {
        next_request: 1,
        ..ManagerState::default()
    };
    let mut next_candidate = Instant::now() + exp_gap(&mut rng, lambda_max);
    let mut next_drop = Instant::now() + exp_gap(&mut rng, behaviour.drops_per_min / 60.0);
    let mut reconnecting = false;
    loop {
        let after = (state.seq > 0).then_some(state.seq);
        let Some(mut client) = connect_once(
            &ctx,
            &plan.url,
            plan.encoding,
            &plan.token,
            &plan.auction_id,
            after,
        )
        .await
        else {
            break;
        };
        if reconnecting {
            ConnCounters::bump(&ctx.conns().reconnects);
        } else {
            ConnCounters::bump(&ctx.conns().first_connects);
        }
        let since = now_us();
        ctx.watchers[plan.auction_index].fetch_add(1, Ordering::Relaxed);
        // A real app resends what was unanswered when it lost the network, with the same key.
        let mut resend_failed = false;
        let mut resend: Vec<(u64, Pending)> = state
            .pending
            .iter()
            .map(|(id, p)| (*id, p.clone()))
            .collect();
        resend.sort_by_key(|(id, _)| *id);
        for (request_id, pending) in resend {
            if let Some(p) = state.pending.get_mut(&request_id) {
                p.resent = true;
            }
            let command = AuctionCommand::Bid {
                lot: pending.lot,
                amount: pending.amount,
                key: pending.key.clone(),
            };
            if client
                .command_with_id(request_id, &plan.auction_id, command)
                .await
                .is_err()
            {
                resend_failed = true;
                break;
            }
        }
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let exit = if resend_failed {
            Exit::Lost
        } else {
            loop {
                let bidding = !ctx.stop_bidding.is_cancelled();
                let drops = bidding && behaviour.drops_per_min > 0.0;
                tokio::select! {
                    biased;
                    _ = ctx.shutdown.cancelled() => break Exit::Shutdown,
                    frame = client.next_frame() => match frame {
                        Some(Ok(frame)) => {
                            let now = now_us();
                            state.on_frame(&ctx, &plan.user, frame, now, since);
                        }
                        Some(Err(_)) | None => break Exit::Lost,
                    },
                    _ = tick.tick() => state.check_timeouts(&ctx),
                    _ = sleep_until(next_drop), if drops => break Exit::Deliberate,
                    _ = sleep_until(next_candidate), if bidding => {
                        let intended = next_candidate;
                        next_candidate += exp_gap(&mut rng, lambda_max);
                        let Some((lot, amount)) = state.decide(
                            &behaviour, plan.sniper, lambda_max, &plan.user, &mut rng,
                            &ctx.conns().skipped,
                        ) else {
                            continue;
                        };
                        let bid_id = ctx.next_bid.fetch_add(1, Ordering::Relaxed);
                        let Ok(key) = IdempotencyKey::try_new(format!("{}-{bid_id}", ctx.tag)) else {
                            continue;
                        };
                        let request_id = state.next_request;
                        state.next_request += 1;
                        let intended_us = intended
                            .into_std()
                            .saturating_duration_since(crate::clock::origin())
                            .as_micros() as u64;
                        let sent_us = now_us();
                        let watchers = ctx.watchers[plan.auction_index].load(Ordering::Relaxed);
                        ctx.book.sent(bid_id, sent_us, watchers);
                        ctx.stats.sent();
                        ctx.pending.fetch_add(1, Ordering::Relaxed);
                        state.pending.insert(request_id, Pending {
                            bid_id, lot, amount, key: key.clone(), intended_us, sent_us, resent: false,
                        });
                        let command = AuctionCommand::Bid { lot, amount, key };
                        if client.command_with_id(request_id, &plan.auction_id, command).await.is_err() {
                            break Exit::Lost;
                        }
                    }
                }
            }
        };
        ctx.watchers[plan.auction_index].fetch_sub(1, Ordering::Relaxed);
        ctx.conns().open.fetch_sub(1, Ordering::Relaxed);
        match exit {
            Exit::Shutdown => {
                state.fail_all(&ctx, "unanswered_at_end");
                let _ = tokio::time::timeout(Duration::from_secs(2), client.close()).await;
                break;
            }
            Exit::Lost => {
                ConnCounters::bump(&ctx.conns().unexpected_drops);
                state.fail_all(&ctx, "connection_lost");
                client.abort();
                tokio::select! {
                    _ = ctx.shutdown.cancelled() => break,
                    _ = sleep(Duration::from_millis(500)) => {}
                }
            }
            Exit::Deliberate => {
                ConnCounters::bump(&ctx.conns().deliberate_drops);
                client.abort();
                let offline = uniform_ms(&mut rng, behaviour.offline_ms);
                tokio::select! {
                    _ = ctx.shutdown.cancelled() => {
                        state.fail_all(&ctx, "unanswered_at_end");
                        break;
                    }
                    _ = sleep(offline) => {}
                }
                // A phone that was offline made no attempts meanwhile.
                next_candidate = Instant::now() + exp_gap(&mut rng, lambda_max);
                next_drop = Instant::now() + exp_gap(&mut rng, behaviour.drops_per_min / 60.0);
            }
        }
        reconnecting = true;
    }
}

/// One simulated spectator.
#[derive(Debug, Clone)]
pub struct SpectatorPlan {
    /// Index of the auction watched.
    pub auction_index: usize,
    /// The auction watched.
    pub auction_id: AuctionId,
    /// Session token.
    pub token: String,
    /// Gateway websocket URL.
    pub url: String,
    /// Encoding.
    pub encoding: Encoding,
    /// Random seed.
    pub seed: u64,
}

/// The parts of a server frame a spectator needs; everything else is skipped by the decoder
/// without being built (spectators are thousands).
#[derive(Debug, Deserialize)]
struct LightFrame {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    seq: Option<u64>,
    #[serde(default)]
    events: Vec<LightEvent>,
    #[serde(default)]
    code: Option<String>,
}

#[derive(Debug, Deserialize)]
struct LightEvent {
    seq: u64,
    #[serde(default)]
    event: Option<LightInner>,
}

#[derive(Debug, Deserialize)]
struct LightInner {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    key: Option<String>,
}

/// Run one spectator until the run shuts down.
pub async fn spectator(ctx: Arc<Ctx>, plan: SpectatorPlan) {
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let drops_per_s = ctx.behaviour.spectator_drops_per_min / 60.0;
    let mut seq = 0u64;
    let mut reconnecting = false;
    loop {
        let after = (seq > 0).then_some(seq);
        let Some(mut client) = connect_once(
            &ctx,
            &plan.url,
            plan.encoding,
            &plan.token,
            &plan.auction_id,
            after,
        )
        .await
        else {
            break;
        };
        if reconnecting {
            ConnCounters::bump(&ctx.conns().reconnects);
        } else {
            ConnCounters::bump(&ctx.conns().first_connects);
        }
        let since = now_us();
        ctx.watchers[plan.auction_index].fetch_add(1, Ordering::Relaxed);
        let next_drop = Instant::now() + exp_gap(&mut rng, drops_per_s);
        let exit = loop {
            let drops = drops_per_s > 0.0 && !ctx.stop_bidding.is_cancelled();
            tokio::select! {
                biased;
                _ = ctx.shutdown.cancelled() => break Exit::Shutdown,
                frame = client.next_frame() => match frame {
                    Some(Ok(frame)) => {
                        let now = now_us();
                        let Ok(light) = codec::decode_frame::<LightFrame>(&frame) else {
                            ConnCounters::bump(&ctx.conns().other_errors);
                            continue;
                        };
                        match light.kind.as_str() {
                            "events" => {
                                for event in &light.events {
                                    seq = seq.max(event.seq);
                                    if let Some(LightInner { kind, key: Some(key) }) = &event.event
                                        && kind == "bid_accepted"
                                    {
                                        ctx.receipt(key, now, since);
                                    }
                                }
                            }
                            "snapshot" => seq = light.seq.unwrap_or(seq),
                            "subscribed" => seq = seq.max(light.seq.unwrap_or(0)),
                            "error" => {
                                if light.code.as_deref() == Some("slow_consumer") {
                                    ConnCounters::bump(&ctx.conns().slow_consumer);
                                } else {
                                    ConnCounters::bump(&ctx.conns().other_errors);
                                }
                            }
                            _ => {}
                        }
                    }
                    Some(Err(_)) | None => break Exit::Lost,
                },
                _ = sleep_until(next_drop), if drops => break Exit::Deliberate,
            }
        };
        ctx.watchers[plan.auction_index].fetch_sub(1, Ordering::Relaxed);
        ctx.conns().open.fetch_sub(1, Ordering::Relaxed);
        match exit {
            Exit::Shutdown => {
                let _ = tokio::time::timeout(Duration::from_secs(2), client.close()).await;
                break;
            }
            Exit::Lost => {
                ConnCounters::bump(&ctx.conns().unexpected_drops);
                client.abort();
                tokio::select! {
                    _ = ctx.shutdown.cancelled() => break,
                    _ = sleep(Duration::from_millis(500 + rng.random_range(0..1_000))) => {}
                }
            }
            Exit::Deliberate => {
                ConnCounters::bump(&ctx.conns().deliberate_drops);
                client.abort();
                let offline = uniform_ms(&mut rng, ctx.behaviour.offline_ms);
                tokio::select! {
                    _ = ctx.shutdown.cancelled() => break,
                    _ = sleep(offline) => {}
                }
            }
        }
        reconnecting = true;
    }
}

/// Latencies of the echo baseline.
#[derive(Debug)]
pub struct EchoStats {
    /// Intended send → echo received (µs).
    pub intended: Histogram<u64>,
    /// Sent → echo received (µs).
    pub sent: Histogram<u64>,
    /// Frames echoed.
    pub echoed: u64,
    /// Frames sent.
    pub sent_count: u64,
    /// Connections that failed.
    pub errors: u64,
}

impl Default for EchoStats {
    fn default() -> Self {
        let h = || Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid bounds");
        EchoStats {
            intended: h(),
            sent: h(),
            echoed: 0,
            sent_count: 0,
            errors: 0,
        }
    }
}

/// A bid-shaped frame, as a manager sends it (the echo baseline sends the same bytes).
pub fn sample_bid(request_id: u64, auction_id: &AuctionId) -> ClientFrame {
    ClientFrame::Command {
        request_id,
        auction_id: auction_id.clone(),
        command: AuctionCommand::Bid {
            lot: LotNumber(12),
            amount: Money::millions(57),
            key: IdempotencyKey::try_new(format!("lt0a1b2c-{}", 100_000 + request_id))
                .expect("valid key"),
        },
    }
}

/// One echo client: sends bid-shaped frames at `rate` per second (Poisson, open loop) until
/// `until_us`, and records the round trips.
pub async fn echo_client(
    url: String,
    encoding: Encoding,
    rate: f64,
    until_us: u64,
    seed: u64,
    pacer: Arc<Pacer>,
    stats: Arc<Mutex<EchoStats>>,
) {
    pacer.wait().await;
    let Ok(mut client) = Client::connect_small(&url, encoding).await else {
        stats.lock().unwrap_or_else(|p| p.into_inner()).errors += 1;
        return;
    };
    let auction_id = AuctionId::try_new("lt-echo-auction").expect("valid id");
    let mut rng = StdRng::seed_from_u64(seed);
    let mut pending: HashMap<u64, (u64, u64)> = HashMap::new();
    let mut next = Instant::now() + exp_gap(&mut rng, rate);
    let mut request_id = 0u64;
    let end = Instant::from_std(instant_of(until_us));
    let drain_end = end + Duration::from_secs(3);
    loop {
        let sending = Instant::now() < end;
        if !sending && (pending.is_empty() || Instant::now() >= drain_end) {
            break;
        }
        tokio::select! {
            frame = client.next_frame() => match frame {
                Some(Ok(frame)) => {
                    let now = now_us();
                    if let Ok(ClientFrame::Command { request_id, .. }) = codec::decode_frame::<ClientFrame>(&frame)
                        && let Some((intended, sent)) = pending.remove(&request_id)
                    {
                        let mut s = stats.lock().unwrap_or_else(|p| p.into_inner());
                        let _ = s.intended.record(now.saturating_sub(intended).max(1));
                        let _ = s.sent.record(now.saturating_sub(sent).max(1));
                        s.echoed += 1;
                    }
                }
                _ => {
                    stats.lock().unwrap_or_else(|p| p.into_inner()).errors += 1;
                    return;
                }
            },
            _ = sleep_until(next), if sending => {
                let intended = next
                    .into_std()
                    .saturating_duration_since(crate::clock::origin())
                    .as_micros() as u64;
                next += exp_gap(&mut rng, rate);
                request_id += 1;
                pending.insert(request_id, (intended, now_us()));
                stats.lock().unwrap_or_else(|p| p.into_inner()).sent_count += 1;
                if client.send(&sample_bid(request_id, &auction_id)).await.is_err() {
                    stats.lock().unwrap_or_else(|p| p.into_inner()).errors += 1;
                    return;
                }
            }
            _ = sleep_until(drain_end) => {}
        }
    }
    client.close().await;
}
