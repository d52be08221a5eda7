//! What an auction publishes after each durable event, and the snapshot a subscriber starts from.
//!
//! An [`EventEnvelope`] carries the event itself plus the parts of the read model it changed, so a
//! client never re-implements the rules: it replaces its phase and lot with the ones in the envelope,
//! merges the manager rows in `managers` (by id: only the rows the event changed), replaces the board
//! when `board` is present, and appends bids from `BidAccepted` events to the lot's bid feed.
//!
//! Sequence numbers are the auction log's: gap-free from 1. An event private to one manager (a sealed
//! proxy maximum) still occupies its sequence number for everybody else, with `event: null`
//! ([`ClientEvent::hidden`]), so every client sees a gap-free sequence.

use auction::{
    AssetId, AuctionView, Event, LotView, ManagerView, PhaseView, PrivateView, SoldEntry, UserId,
};
use serde::{Deserialize, Serialize};

/// One durable event of an auction with the read-model parts it changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventEnvelope {
    /// Position in the auction's log (gap-free, first event is 1).
    pub seq: u64,
    /// The event as stored in the log.
    pub event: Event,
    /// The auction's phase after this event.
    pub phase: PhaseView,
    /// The current lot after this event, without its bid list (clients append bids from events).
    pub lot: Option<LotView>,
    /// The rows of the managers whose budget, roster or settings this event changed (the buyer's on
    /// a sale or an undone sale; everyone's when the auction is created, begins or ends). Merge by id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managers: Option<Vec<ManagerView>>,
    /// The sold board, unsold list and queue, present when they changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub board: Option<Board>,
}

/// The sold board, the unsold list and what is still to come.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Board {
    /// Every sale so far, in lot order.
    pub sold: Vec<SoldEntry>,
    /// Assets offered without a bid that may come back.
    pub unsold: Vec<AssetId>,
    /// Assets still to be offered, in order.
    pub upcoming: Vec<AssetId>,
}

impl Snapshot {
    /// What `viewer` alone may see, if anything.
    pub fn private_for(&self, viewer: Option<&UserId>) -> Option<PrivateView> {
        let viewer = viewer?;
        self.private
            .iter()
            .find(|(user, _)| user == viewer)
            .map(|(_, view)| *view)
    }
}

impl Board {
    /// The board part of a full view.
    pub fn of(view: &AuctionView) -> Board {
        Board {
            sold: view.sold.clone(),
            unsold: view.unsold.clone(),
            upcoming: view.upcoming.clone(),
        }
    }
}

/// A consistent picture of an auction at `seq`, as a node hands it to a gateway.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Log position this snapshot reflects: the next event a subscriber receives is `seq + 1`.
    pub seq: u64,
    /// The public read model.
    pub view: AuctionView,
    /// What only each manager may see (their sealed proxy maximum on the current lot). Trusted
    /// data for the gateway, which shows each manager only their own; never sent to clients as is.
    #[serde(default)]
    pub private: Vec<(UserId, PrivateView)>,
}

/// An event as one particular client sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientEvent {
    /// Position in the auction's log.
    pub seq: u64,
    /// The event, or `null` when it is private to another manager.
    pub event: Option<Event>,
    /// The auction's phase after this event.
    pub phase: PhaseView,
    /// The current lot after this event (without its bid list).
    pub lot: Option<LotView>,
    /// The rows of the managers this event changed (merge by id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managers: Option<Vec<ManagerView>>,
    /// The board, when it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub board: Option<Board>,
}

impl ClientEvent {
    /// Whether this event is private to somebody else.
    pub fn hidden(&self) -> bool {
        self.event.is_none()
    }
}

impl EventEnvelope {
    /// The manager this event is private to, if any.
    pub fn private_to(&self) -> Option<&UserId> {
        self.event.is_private_to()
    }

    /// This event as `viewer` sees it (`None` for a spectator or anybody who is not the owner of a
    /// private event).
    pub fn for_viewer(&self, viewer: Option<&UserId>) -> ClientEvent {
        let visible = match self.private_to() {
            None => true,
            Some(owner) => viewer == Some(owner),
        };
        ClientEvent {
            seq: self.seq,
            event: visible.then(|| self.event.clone()),
            phase: self.phase.clone(),
            lot: self.lot.clone(),
            managers: self.managers.clone(),
            board: self.board.clone(),
        }
    }
}
