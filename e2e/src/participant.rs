//! A person in a test: one websocket client plus everything it has seen of one auction, checked
//! as it arrives (gap-free, in order), with helpers to send commands and wait for answers.

use std::collections::BTreeMap;
use std::time::Duration;

use auction::{AuctionId, Event, IdempotencyKey, LotNumber, Money, PhaseView};
use loadtest::client::{Client, ClientError, answers};
use protocol::client::{AuctionCommand, AuctionStatus, ClientFrame, ServerFrame};
use protocol::codec::Encoding;

use crate::{token_for, user};

/// How long a test waits for any single expected frame.
pub const WAIT: Duration = Duration::from_secs(20);

/// What one client has seen of an auction.
#[derive(Debug, Default)]
pub struct Seen {
    /// The sequence number of the last snapshot.
    pub snapshot_seq: Option<u64>,
    /// The current lot's bids as of the snapshot.
    pub snapshot_bids: Vec<(String, Money)>,
    /// The open lot and its deadline as of the snapshot.
    pub snapshot_lot: Option<(LotNumber, Option<auction::Timestamp>)>,
    /// Events after the snapshot, by sequence number (`None` = private to someone else).
    pub events: BTreeMap<u64, Option<Event>>,
    /// The phase after the last event.
    pub last_phase: Option<PhaseView>,
    /// Availability changes announced by the gateway.
    pub statuses: Vec<AuctionStatus>,
    /// Managers the last presence frame listed.
    pub online: Vec<String>,
}

impl Seen {
    /// Take in a frame, checking that events arrive gap-free and in order.
    pub fn absorb(&mut self, frame: ServerFrame) {
        match frame {
            ServerFrame::Snapshot { seq, view, .. } => {
                self.snapshot_seq = Some(seq);
                self.events.retain(|known, _| *known > seq);
                self.snapshot_bids = view
                    .lot
                    .as_ref()
                    .map(|lot| {
                        lot.bids
                            .iter()
                            .map(|bid| (bid.bidder.as_str().to_string(), bid.amount))
                            .collect()
                    })
                    .unwrap_or_default();
                self.snapshot_lot = view
                    .lot
                    .as_ref()
                    .filter(|_| matches!(view.phase, PhaseView::LotOpen | PhaseView::Paused { .. }))
                    .map(|lot| (lot.lot, lot.deadline));
                self.last_phase = Some(view.phase.clone());
            }
            ServerFrame::Events { events, .. } => {
                for event in events {
                    let expected = self.head() + 1;
                    assert_eq!(
                        event.seq, expected,
                        "events must arrive gap-free and in order"
                    );
                    self.last_phase = Some(event.phase.clone());
                    self.events.insert(event.seq, event.event);
                }
            }
            ServerFrame::AuctionStatus { status, .. } => self.statuses.push(status),
            ServerFrame::Presence { online, .. } => {
                self.online = online
                    .iter()
                    .map(|user| user.as_str().to_string())
                    .collect();
            }
            _ => {}
        }
    }

    /// The last sequence number seen.
    pub fn head(&self) -> u64 {
        self.events
            .keys()
            .next_back()
            .copied()
            .or(self.snapshot_seq)
            .unwrap_or(0)
    }

    /// Bids on the current lot: those in the snapshot, then those in later events.
    pub fn bids(&self) -> Vec<(String, Money)> {
        let mut bids = self.snapshot_bids.clone();
        bids.extend(self.events.values().filter_map(|event| match event {
            Some(Event::BidAccepted { bidder, amount, .. }) => {
                Some((bidder.as_str().to_string(), *amount))
            }
            _ => None,
        }));
        bids
    }

    /// The open lot and its latest deadline, from the events seen.
    pub fn open_lot(&self) -> Option<(LotNumber, auction::Timestamp)> {
        let mut lot = self
            .snapshot_lot
            .and_then(|(number, deadline)| Some((number, deadline?)));
        for event in self.events.values().flatten() {
            match event {
                Event::LotOpened {
                    lot: number,
                    deadline,
                    ..
                } => lot = Some((*number, *deadline)),
                Event::BidAccepted { deadline, .. } | Event::ClockRestored { deadline, .. } => {
                    if let Some((_, current)) = lot.as_mut() {
                        *current = *deadline;
                    }
                }
                Event::LotSold { .. } | Event::LotUnsold { .. } => lot = None,
                _ => {}
            }
        }
        lot
    }
}

/// One person connected to a gateway and watching one auction.
#[derive(Debug)]
pub struct Participant {
    /// Their user id.
    pub who: String,
    /// The auction.
    pub auction: AuctionId,
    /// The connection.
    pub client: Client,
    /// What they have seen.
    pub seen: Seen,
}

impl Participant {
    /// Connect to `url`, sign in as `who`, subscribe (resuming after `after_seq` when given) and
    /// wait for the first frame about the auction.
    pub async fn join(
        url: &str,
        who: &str,
        encoding: Encoding,
        auction: &AuctionId,
    ) -> Result<Participant, ClientError> {
        let mut participant = Participant {
            who: who.to_string(),
            auction: auction.clone(),
            client: Client::connect(url, encoding).await?,
            seen: Seen::default(),
        };
        participant
            .client
            .hello(&token_for(&user(who), who), WAIT)
            .await?;
        participant.subscribe(None).await?;
        let frame = participant
            .client
            .recv_until(
                WAIT,
                "a snapshot",
                |frame| matches!(frame, ServerFrame::Snapshot { .. }).then(|| frame.clone()),
                |_| {},
            )
            .await?;
        participant.seen.absorb(frame);
        Ok(participant)
    }

    /// Reconnect to `url` and resume from the last event seen.
    pub async fn resume(&mut self, url: &str, encoding: Encoding) -> Result<(), ClientError> {
        self.client = Client::connect(url, encoding).await?;
        self.client
            .hello(&token_for(&user(&self.who), &self.who), WAIT)
            .await?;
        let after = self.seen.head();
        self.subscribe(Some(after)).await
    }

    async fn subscribe(&mut self, after_seq: Option<u64>) -> Result<(), ClientError> {
        self.client
            .send(&ClientFrame::Subscribe {
                auction_id: self.auction.clone(),
                after_seq,
            })
            .await
    }

    /// Send a command and wait for its answer, absorbing every other frame on the way.
    pub async fn command(&mut self, command: AuctionCommand) -> Result<ServerFrame, ClientError> {
        let request_id = self.client.command(&self.auction, command).await?;
        let seen = &mut self.seen;
        self.client
            .recv_until(
                WAIT,
                "the command's answer",
                |frame| (answers(frame) == Some(request_id)).then(|| frame.clone()),
                |frame| seen.absorb(frame),
            )
            .await
    }

    /// Bid `amount` on `lot` with `key`.
    pub async fn bid(
        &mut self,
        lot: LotNumber,
        amount: Money,
        key: &str,
    ) -> Result<ServerFrame, ClientError> {
        let key = IdempotencyKey::try_new(key.to_string()).expect("test keys are valid");
        self.command(AuctionCommand::Bid { lot, amount, key }).await
    }

    /// Absorb frames until the last event seen is at least `seq`.
    pub async fn catch_up_to(&mut self, seq: u64) -> Result<(), ClientError> {
        while self.seen.head() < seq {
            let frame = self.client.recv(WAIT).await?;
            self.seen.absorb(frame);
        }
        Ok(())
    }

    /// Absorb frames until `done` holds for what was seen.
    pub async fn wait_until(
        &mut self,
        what: &str,
        done: impl Fn(&Seen) -> bool,
    ) -> Result<(), ClientError> {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !done(&self.seen) {
            let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
            if remaining.is_zero() {
                return Err(ClientError::Timeout(WAIT, what.to_string()));
            }
            let frame = match self.client.recv(remaining).await {
                Err(ClientError::Timeout(..)) => {
                    return Err(ClientError::Timeout(WAIT, what.to_string()));
                }
                other => other?,
            };
            self.seen.absorb(frame);
        }
        Ok(())
    }
}

/// The sequence number an acknowledgement carries.
pub fn acked_seq(frame: &ServerFrame) -> Option<u64> {
    match frame {
        ServerFrame::Ack { seq, .. } => Some(*seq),
        _ => None,
    }
}
