//! The rules of a live auction draft, as a pure, event-sourced state machine.
//!
//! This crate is the single place where "is this bid valid, who won this lot, what happens when the
//! clock runs out" is decided. It performs no I/O, reads no clock, spawns nothing and draws no
//! random number of its own: time (`now`) and the one random seed (`Begin`) come in as arguments;
//! [`Event`]s and [`Refusal`]s come out. It knows nothing of actors, storage or the wire.
//!
//! # Shape
//!
//! - [`Auction::create`] validates an [`AuctionSetup`] and yields the first event.
//! - [`Auction::decide`] turns a [`Command`] at `now` into a [`Decision`] (events, or the original
//!   receipt of a retried bid) or a typed [`Refusal`] with a clear message. It never mutates.
//! - [`Auction::advance`] yields the time-driven events due at `now` (a lot closes *at its deadline*,
//!   the next opens after the gap, a nomination times out, the auction ends), and
//!   [`Auction::next_deadline`] says when that will next be needed.
//! - [`Auction::apply`] folds an event in. The state is the fold of the log, so
//!   [`Auction::replay`] on another node rebuilds an identical auction.
//! - Read models ([`AuctionView`], [`LotView`], [`ManagerView`], [`PrivateView`], [`Results`]) are
//!   computed on demand.
//!
//! The rules themselves, with their defaults and worked examples, are in `RULES.md` at the
//! repository root; every refusal code is listed there.
//!
//! # Example
//!
//! ```
//! use auction::*;
//!
//! let id = |s: &str| UserId::try_new(s).unwrap();
//! let mut settings = LeagueSettings::default();
//! settings.nomination = NominationMode::FixedOrder;
//! let setup = AuctionSetup {
//!     auction_id: AuctionId::try_new("demo").unwrap(),
//!     league_name: "Demo league".into(),
//!     settings,
//!     commissioner: id("comm"),
//!     managers: vec![
//!         Manager { id: id("ann"), name: "Ann".into() },
//!         Manager { id: id("bob"), name: "Bob".into() },
//!     ],
//!     assets: vec![Asset { id: AssetId::try_new("arsenal").unwrap(), name: "Arsenal".into(), group: None }],
//!     keepers: vec![],
//! };
//! let t0 = Timestamp(1_000_000);
//! let (mut auction, _created) = Auction::create(setup, t0).unwrap();
//! auction.execute(&Command::Begin { by: id("comm"), seed: 7 }, t0).unwrap();
//!
//! let bid = Command::PlaceBid {
//!     by: id("ann"),
//!     lot: LotNumber(1),
//!     amount: Money::millions(5),
//!     key: IdempotencyKey::try_new("ann-1").unwrap(),
//! };
//! auction.execute(&bid, t0.plus(DurationMs::from_secs(1))).unwrap();
//!
//! // Bob cannot bid below £5m + £1m.
//! let low = Command::PlaceBid {
//!     by: id("bob"),
//!     lot: LotNumber(1),
//!     amount: Money::millions(5),
//!     key: IdempotencyKey::try_new("bob-1").unwrap(),
//! };
//! let refusal = auction.decide(&low, t0.plus(DurationMs::from_secs(2))).unwrap_err();
//! assert_eq!(refusal.message(&CurrencyFormat::pounds()), "The next bid must be at least £6m: £5m is too low");
//!
//! // When the clock runs out, the lot is sold to Ann at its deadline, and the auction ends
//! // (nothing is left to offer).
//! let deadline = auction.next_deadline().unwrap();
//! for event in auction.advance(deadline) {
//!     auction.apply(&event);
//! }
//! assert!(auction.is_ended());
//! assert_eq!(auction.view().sold[0].price, Money::millions(5));
//! ```
//!
//! # Performance
//!
//! A bid decision is a few field reads and integer comparisons on index-addressed state. The usual
//! bid refusals (too low, already leading, above the max bid, wrong or closed lot) allocate nothing;
//! an accepted bid allocates one small vector and clones two strings (bidder and key) into its event.
//! Measured with `cargo bench -p auction --bench decisions` (criterion, release profile, one thread,
//! Rust 1.95) on the project's 2-core machine, on a contended lot of 12 managers with four bids on
//! it. Figures are the criterion medians of two runs taken while other builds shared the machine
//! (load average 2.1 to 3.7), given as the range of the two:
//!
//! | Benchmark | What is decided | Throughput |
//! |---|---|---|
//! | `decide/contended_lot_accepted` | valid raises from the 11 other managers | 5.9 to 7.3 million decisions/s |
//! | `decide/contended_lot_mixed` | those plus four typical refusals | 5.8 to 7.2 million decisions/s |
//! | `decide/contended_lot_refused` | the four refusals alone | 15.7 to 17.3 million decisions/s |
//! | `decide_and_apply/bidding_war` | 200 alternating raises, each decided and applied | 1.86 to 1.89 million bids/s |
//!
//! # Modules
//!
//! [`ids`], [`time`], [`money`], [`settings`], [`setup`], [`command`], [`event`], [`refusal`],
//! [`state`], [`view`]. The main types are re-exported at the crate root.

pub mod command;
pub mod event;
pub mod ids;
pub mod money;
pub mod refusal;
pub mod settings;
pub mod setup;
pub mod state;
pub mod time;
pub mod view;

pub use command::Command;
pub use event::{EndReason, Event};
pub use ids::{AssetId, AuctionId, IdError, IdempotencyKey, LotNumber, UserId};
pub use money::{CurrencyFormat, Money};
pub use refusal::Refusal;
pub use settings::{
    IncrementRule, IncrementTier, LeagueSettings, NominationMode, SettingsError, Sport,
};
pub use setup::{Asset, AuctionSetup, Keeper, Manager, SetupError, SetupWarning};
pub use state::{ApplyError, Auction, BidReceipt, Decision, ReplayError};
pub use time::{DurationMs, Timestamp};
pub use view::{
    AuctionView, BidOutcome, BidView, EndedView, HistoryRow, LotOutcome, LotResult, LotView,
    ManagerView, MaxBidReason, PhaseView, PrivateView, Results, ResumesInto, RosterEntry,
    SoldEntry,
};
