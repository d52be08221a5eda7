//! The journal: history that decisions never read but people do — every bid with its outcome, every
//! lot with its result, when the auction began and ended. Folded from the same events as the core.

use crate::event::Event;
use crate::time::Timestamp;
use crate::view::{BidOutcome, EndedView, HistoryRow, LotOutcome, LotResult};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Journal {
    pub created_at: Timestamp,
    pub began_at: Option<Timestamp>,
    /// Every accepted bid, in order.
    pub bids: Vec<HistoryRow>,
    /// Every lot opened, in order (`lots[n - 1]` is lot `n`).
    pub lots: Vec<LotResult>,
    /// Index in `bids` of the first bid of the latest lot.
    pub lot_first_bid: usize,
    /// Index in `bids` of the bid leading the open lot.
    lead_row: Option<usize>,
    /// For each lot, index in `bids` of its winning bid (parallel to `lots`).
    won_row: Vec<Option<usize>>,
    pub ended: Option<EndedView>,
}

impl Journal {
    pub fn new(created_at: Timestamp) -> Self {
        Journal {
            created_at,
            began_at: None,
            bids: Vec::new(),
            lots: Vec::new(),
            lot_first_bid: 0,
            lead_row: None,
            won_row: Vec::new(),
            ended: None,
        }
    }

    /// Records an event the core has already accepted.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::AuctionBegan { at, .. } => self.began_at = Some(*at),
            Event::LotOpened {
                lot,
                asset,
                nominated_by,
                offer,
                at,
                ..
            } => {
                self.lots.push(LotResult {
                    lot: *lot,
                    asset: asset.clone(),
                    offer: *offer,
                    nominated_by: nominated_by.clone(),
                    opened_at: *at,
                    closed_at: None,
                    outcome: LotOutcome::Open,
                    bids: 0,
                });
                self.won_row.push(None);
                self.lot_first_bid = self.bids.len();
                self.lead_row = None;
            }
            Event::BidAccepted {
                lot,
                bidder,
                amount,
                by_proxy,
                at,
                ..
            } => {
                if let Some(previous) = self.lead_row {
                    self.bids[previous].outcome = BidOutcome::Outbid;
                }
                let asset = self.lots.last().map(|result| result.asset.clone());
                if let (Some(asset), Some(result)) = (asset, self.lots.last_mut()) {
                    result.bids += 1;
                    self.lead_row = Some(self.bids.len());
                    self.bids.push(HistoryRow {
                        lot: *lot,
                        asset,
                        bidder: bidder.clone(),
                        amount: *amount,
                        by_proxy: *by_proxy,
                        at: *at,
                        outcome: BidOutcome::Leading,
                    });
                }
            }
            Event::LotSold {
                buyer, price, at, ..
            } => {
                if let Some(row) = self.lead_row.take() {
                    self.bids[row].outcome = BidOutcome::Won;
                    if let Some(won) = self.won_row.last_mut() {
                        *won = Some(row);
                    }
                }
                if let Some(result) = self.lots.last_mut() {
                    result.closed_at = Some(*at);
                    result.outcome = LotOutcome::Sold {
                        buyer: buyer.clone(),
                        price: *price,
                    };
                }
            }
            Event::LotUnsold {
                will_reoffer, at, ..
            } => {
                self.lead_row = None;
                if let Some(result) = self.lots.last_mut() {
                    result.closed_at = Some(*at);
                    result.outcome = LotOutcome::Unsold {
                        will_reoffer: *will_reoffer,
                    };
                }
            }
            Event::SaleUndone {
                lot,
                buyer,
                price,
                by,
                at,
                ..
            } => {
                let index = (lot.0 as usize).wrapping_sub(1);
                if let Some(result) = self.lots.get_mut(index) {
                    result.outcome = LotOutcome::SaleUndone {
                        buyer: buyer.clone(),
                        price: *price,
                        by: by.clone(),
                        at: *at,
                    };
                }
                if let Some(row) = self.won_row.get(index).copied().flatten() {
                    self.bids[row].outcome = BidOutcome::SaleUndone;
                }
            }
            Event::AuctionEnded { reason, by, at } => {
                if let Some(row) = self.lead_row.take() {
                    self.bids[row].outcome = BidOutcome::Withdrawn;
                }
                if let Some(result) = self
                    .lots
                    .last_mut()
                    .filter(|result| result.outcome == LotOutcome::Open)
                {
                    result.closed_at = Some(*at);
                    result.outcome = LotOutcome::Withdrawn;
                }
                self.ended = Some(EndedView {
                    reason: *reason,
                    by: by.clone(),
                    at: *at,
                });
            }
            Event::AuctionCreated { .. }
            | Event::NominationOpened { .. }
            | Event::ProxySet { .. }
            | Event::Passed { .. }
            | Event::AutoPassChanged { .. }
            | Event::Paused { .. }
            | Event::Resumed { .. }
            | Event::ClockRestored { .. } => {}
        }
    }
}
