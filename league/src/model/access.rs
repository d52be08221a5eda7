//! The authorization table: which kind of caller may perform which league action.
//!
//! Every HTTP route and websocket command that touches a league maps to one [`Action`], and the
//! server asks [`crate::model::League::can`] before doing anything. The predecessor had no such
//! check for start, pause, resume, skip or end; here the answer comes from one table,
//! [`PERMISSIONS`], with exactly one row per action (a test enforces that).
//!
//! The table answers "who may ask". Whether the request then succeeds is the business rules'
//! answer (a manager may place a bid, but not after the lot closed): those live in
//! [`crate::model::League`]'s methods and in the auction crate.

use serde::{Deserialize, Serialize};

use CommissionerAccess::{IfPlaying, No, Yes};

/// Who a caller is to one league.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Audience {
    /// The league's commissioner; `plays` when they also manage a team.
    Commissioner {
        /// Whether the commissioner also bids.
        plays: bool,
    },
    /// A bidding manager of the league.
    Manager,
    /// A read-only spectator of the league.
    Spectator,
    /// Signed in, but not a member of this league (for example a manager of another league).
    Outsider,
    /// Not signed in.
    Anonymous,
}

/// Everything a caller can ask of a league, over HTTP or the websocket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    // --- the league ---
    /// See the league: name, settings, status.
    ViewLeague,
    /// See who the members are and their roles.
    ViewMembers,
    /// See the asset pool and keepers.
    ViewAssetPool,
    /// Rename the league or change its auction settings.
    EditSettings,
    /// Delete the league.
    DeleteLeague,
    // --- membership ---
    /// Create an invite code (for managers or spectators).
    CreateInvite,
    /// List or revoke invite codes.
    ManageInvites,
    /// Join with an invite code.
    JoinWithInvite,
    /// Leave the league.
    LeaveLeague,
    /// Remove another member.
    RemoveMember,
    /// Bulk-import managers from CSV.
    ImportManagers,
    // --- the draft setup ---
    /// Load the asset pool from a catalogue or a CSV file.
    LoadAssetPool,
    /// Assign keepers before the draft.
    SetKeepers,
    /// Change the scoring rules.
    EditScoring,
    // --- commissioner controls of the auction ---
    /// Create the auction and open its waiting room.
    StartAuction,
    /// Begin the first lot.
    BeginAuction,
    /// Pause the clock.
    PauseAuction,
    /// Resume the clock with the time that was left.
    ResumeAuction,
    /// Close the current lot now ("skip").
    CloseLot,
    /// Undo the most recent sale.
    UndoLastSale,
    /// End the auction.
    EndAuction,
    /// Turn auto-pass on or off for an absent manager.
    SetAutoPassForManager,
    // --- taking part in the auction ---
    /// Subscribe to the auction's events (waiting room, lots, prices).
    WatchAuction,
    /// Place a bid.
    PlaceBid,
    /// Set a sealed proxy maximum and see one's own.
    SetProxy,
    /// Pass on the current lot.
    Pass,
    /// Nominate the next lot (rotation mode).
    Nominate,
    /// Turn one's own auto-pass on or off.
    SetOwnAutoPass,
    // --- after the draft ---
    /// See rosters, prices and bid history.
    ViewResults,
    /// Download rosters and bid history as CSV.
    ExportResults,
    /// Import fixtures and results (football) from CSV or enter a score.
    ImportFixtures,
    /// Import player performances (cricket) from CSV.
    ImportPerformances,
    /// See fixtures, results and performances.
    ViewFixtures,
    /// See the league table.
    ViewTable,
}

impl Action {
    /// Every action, in table order.
    pub const ALL: [Action; 34] = [
        Action::ViewLeague,
        Action::ViewMembers,
        Action::ViewAssetPool,
        Action::EditSettings,
        Action::DeleteLeague,
        Action::CreateInvite,
        Action::ManageInvites,
        Action::JoinWithInvite,
        Action::LeaveLeague,
        Action::RemoveMember,
        Action::ImportManagers,
        Action::LoadAssetPool,
        Action::SetKeepers,
        Action::EditScoring,
        Action::StartAuction,
        Action::BeginAuction,
        Action::PauseAuction,
        Action::ResumeAuction,
        Action::CloseLot,
        Action::UndoLastSale,
        Action::EndAuction,
        Action::SetAutoPassForManager,
        Action::WatchAuction,
        Action::PlaceBid,
        Action::SetProxy,
        Action::Pass,
        Action::Nominate,
        Action::SetOwnAutoPass,
        Action::ViewResults,
        Action::ExportResults,
        Action::ImportFixtures,
        Action::ImportPerformances,
        Action::ViewFixtures,
        Action::ViewTable,
    ];
}

/// The commissioner's column of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommissionerAccess {
    /// Always allowed.
    Yes,
    /// Allowed only when the commissioner also manages a team (bidding actions).
    IfPlaying,
    /// Never allowed.
    No,
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permission {
    /// The action this row is about.
    pub action: Action,
    /// Whether the commissioner may.
    pub commissioner: CommissionerAccess,
    /// Whether a manager may.
    pub manager: bool,
    /// Whether a spectator may.
    pub spectator: bool,
    /// Whether a signed-in non-member may.
    pub outsider: bool,
    /// Whether an anonymous caller may.
    pub anonymous: bool,
}

const fn row(
    action: Action,
    commissioner: CommissionerAccess,
    manager: bool,
    spectator: bool,
    outsider: bool,
    anonymous: bool,
) -> Permission {
    Permission {
        action,
        commissioner,
        manager,
        spectator,
        outsider,
        anonymous,
    }
}

const Y: bool = true;
const N: bool = false;

/// The authorization table: one row per [`Action`], in [`Action::ALL`] order.
#[rustfmt::skip]
pub const PERMISSIONS: [Permission; 34] = [
    //   action                          commissioner manager spectator outsider anonymous
    row(Action::ViewLeague,              Yes,         Y,      Y,        N,       N),
    row(Action::ViewMembers,             Yes,         Y,      Y,        N,       N),
    row(Action::ViewAssetPool,           Yes,         Y,      Y,        N,       N),
    row(Action::EditSettings,            Yes,         N,      N,        N,       N),
    row(Action::DeleteLeague,            Yes,         N,      N,        N,       N),
    row(Action::CreateInvite,            Yes,         N,      N,        N,       N),
    row(Action::ManageInvites,           Yes,         N,      N,        N,       N),
    row(Action::JoinWithInvite,          No,          N,      N,        Y,       N),
    row(Action::LeaveLeague,             No,          Y,      Y,        N,       N),
    row(Action::RemoveMember,            Yes,         N,      N,        N,       N),
    row(Action::ImportManagers,          Yes,         N,      N,        N,       N),
    row(Action::LoadAssetPool,           Yes,         N,      N,        N,       N),
    row(Action::SetKeepers,              Yes,         N,      N,        N,       N),
    row(Action::EditScoring,             Yes,         N,      N,        N,       N),
    row(Action::StartAuction,            Yes,         N,      N,        N,       N),
    row(Action::BeginAuction,            Yes,         N,      N,        N,       N),
    row(Action::PauseAuction,            Yes,         N,      N,        N,       N),
    row(Action::ResumeAuction,           Yes,         N,      N,        N,       N),
    row(Action::CloseLot,                Yes,         N,      N,        N,       N),
    row(Action::UndoLastSale,            Yes,         N,      N,        N,       N),
    row(Action::EndAuction,              Yes,         N,      N,        N,       N),
    row(Action::SetAutoPassForManager,   Yes,         N,      N,        N,       N),
    row(Action::WatchAuction,            Yes,         Y,      Y,        N,       N),
    row(Action::PlaceBid,                IfPlaying,   Y,      N,        N,       N),
    row(Action::SetProxy,                IfPlaying,   Y,      N,        N,       N),
    row(Action::Pass,                    IfPlaying,   Y,      N,        N,       N),
    row(Action::Nominate,                IfPlaying,   Y,      N,        N,       N),
    row(Action::SetOwnAutoPass,          IfPlaying,   Y,      N,        N,       N),
    row(Action::ViewResults,             Yes,         Y,      Y,        N,       N),
    row(Action::ExportResults,           Yes,         Y,      N,        N,       N),
    row(Action::ImportFixtures,          Yes,         N,      N,        N,       N),
    row(Action::ImportPerformances,      Yes,         N,      N,        N,       N),
    row(Action::ViewFixtures,            Yes,         Y,      Y,        N,       N),
    row(Action::ViewTable,               Yes,         Y,      Y,        N,       N),
];

/// The row of the table for `action`.
pub fn permission(action: Action) -> &'static Permission {
    // The table is in `Action::ALL` order, and `Action`'s declaration order is that order too;
    // a unit test checks both, so indexing by the discriminant is exact.
    &PERMISSIONS[action as usize]
}

/// Whether `audience` may perform `action`, according to [`PERMISSIONS`].
pub fn allowed(action: Action, audience: Audience) -> bool {
    let row = permission(action);
    match audience {
        Audience::Commissioner { plays } => match row.commissioner {
            CommissionerAccess::Yes => true,
            CommissionerAccess::IfPlaying => plays,
            CommissionerAccess::No => false,
        },
        Audience::Manager => row.manager,
        Audience::Spectator => row.spectator,
        Audience::Outsider => row.outsider,
        Audience::Anonymous => row.anonymous,
    }
}
