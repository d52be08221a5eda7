//! Why a request was refused: one enum for the whole service, with a stable machine code
//! ([`ServiceError::code`]), a kind that transports map to a status ([`ServiceError::kind`]), and a
//! sentence for a person (`Display`). No variant carries an invite code, a magic-link token or a
//! session token, so an error can be shown or logged as it is.

use std::time::Duration;

use league::auth::{MagicLinkError, TokenError};
use league::csvio::ImportError;
use league::invite::{InviteError, InviteOptionsError};
use league::model::{Action, Audience, EmailError, JoinError, LeagueError, LeaveError, NameError};
use store::{PutError, StoreError};

use crate::launcher::LaunchError;

/// What sort of refusal an error is; the gateway maps each kind to one HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// No valid session (HTTP 401).
    NotSignedIn,
    /// Signed in, but not allowed (HTTP 403).
    Forbidden,
    /// No such thing (HTTP 404).
    NotFound,
    /// A request that cannot be understood as sent (HTTP 400).
    BadRequest,
    /// Well-formed but invalid input (HTTP 422).
    Invalid,
    /// Refused by the current state of things (HTTP 409).
    Conflict,
    /// Something that existed and no longer works: an expired or used link or code (HTTP 410).
    Gone,
    /// An uploaded file over the size limit (HTTP 413).
    TooLarge,
    /// Too many requests (HTTP 429).
    RateLimited,
    /// A dependency (store, cluster, mail) cannot serve the request now (HTTP 503).
    Unavailable,
    /// A bug or corrupt data (HTTP 500).
    Internal,
}

/// Every refusal of the service.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// No session, or a session that is no longer valid.
    #[error("sign in first")]
    NotSignedIn,
    /// A session token that was refused.
    #[error("{0}")]
    Token(TokenError),
    /// The caller's account record is missing.
    #[error("your account no longer exists: sign in again")]
    AccountNotFound,
    /// The authorization table refuses the action to the caller.
    #[error("{}", forbidden_message(*.action, *.audience))]
    Forbidden {
        /// What was asked.
        action: Action,
        /// Who asked, relative to the league.
        audience: Audience,
    },
    /// No league with that id.
    #[error("there is no league with the id {0:?}")]
    LeagueNotFound(String),
    /// No member (or spectator) with that id in the league.
    #[error("there is no member with the id {0:?} in this league")]
    MemberNotFound(String),
    /// No invite with that id in the league.
    #[error("this league has no invite with the id {0:?}")]
    InviteNotFound(String),
    /// No auction with that id (or none this caller may know of).
    #[error("there is no auction with the id {0:?}")]
    AuctionNotFound(String),
    /// A league rule refused the change.
    #[error("{0}")]
    League(LeagueError),
    /// Joining refused.
    #[error("{0}")]
    Join(JoinError),
    /// Leaving or removal refused.
    #[error("{0}")]
    Leave(LeaveError),
    /// An invite code refused.
    #[error("{0}")]
    Invite(InviteError),
    /// Invalid terms for a new invite.
    #[error("{0}")]
    InviteOptions(InviteOptionsError),
    /// A magic link refused.
    #[error("{0}")]
    MagicLink(MagicLinkError),
    /// A display name refused.
    #[error("the name {0}")]
    Name(NameError),
    /// An email address refused.
    #[error("the email address {0}")]
    Email(EmailError),
    /// A CSV file refused, with every problem found.
    #[error("{0}")]
    Import(ImportFailure),
    /// Other invalid input, with a stable code.
    #[error("{message}")]
    Invalid {
        /// Stable code.
        code: &'static str,
        /// The sentence.
        message: String,
    },
    /// Refused by the current state, with a stable code.
    #[error("{message}")]
    Conflict {
        /// Stable code.
        code: &'static str,
        /// The sentence.
        message: String,
    },
    /// Too many requests of one kind.
    #[error("{message}")]
    RateLimited {
        /// The sentence, with the limit in it.
        message: String,
        /// How long until a retry can succeed.
        retry_after: Duration,
    },
    /// The cluster did not create the league's auction.
    #[error("{0}")]
    Launch(LaunchError),
    /// A record stayed contended through every retry.
    #[error("{0} is being changed by many people at once: try again in a moment")]
    Busy(&'static str),
    /// The store failed.
    #[error("the store cannot be reached right now ({0}): try again in a moment")]
    Store(StoreError),
    /// Stored data that cannot be read: a bug.
    #[error("stored data could not be read ({0})")]
    Corrupt(String),
    /// The mailer failed.
    #[error("the sign-in link could not be sent ({0}): try again in a moment")]
    Mail(String),
}

/// A CSV file that was refused: the importer's error, plus row problems that need the stored
/// state to find (an account already in the league, ...), all in line order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportFailure {
    /// The file was refused by the importer (file-level problem, or rows).
    #[error("{0}")]
    File(ImportError),
    /// Rows refused, including problems found against stored state.
    #[error("{}", describe_rows(.0))]
    Rows(Vec<RowProblem>),
}

/// One problem in one row of an uploaded file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowProblem {
    /// The line of the file (the header is line 1).
    pub line: u64,
    /// The column, when the problem is in one cell.
    pub column: Option<&'static str>,
    /// What is wrong, as the tail of "line N, column C: ...".
    pub message: String,
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.column {
            Some(column) => write!(f, "line {}, column {column}: {}", self.line, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

impl ImportFailure {
    /// Every row problem, in line order (empty for a file-level problem).
    pub fn rows(&self) -> Vec<RowProblem> {
        match self {
            ImportFailure::File(error) => error
                .row_errors()
                .iter()
                .map(|row| RowProblem {
                    line: row.line,
                    column: row.column,
                    message: row.problem.to_string(),
                })
                .collect(),
            ImportFailure::Rows(rows) => rows.clone(),
        }
    }
}

/// Same shape as the importer's own summary: how many, then up to 20 of them.
fn describe_rows(rows: &[RowProblem]) -> String {
    const MAX_LISTED: usize = 20;
    let count = rows.len();
    let noun = if count == 1 { "problem" } else { "problems" };
    let listed: Vec<String> = rows
        .iter()
        .take(MAX_LISTED)
        .map(ToString::to_string)
        .collect();
    let mut message = format!(
        "{count} {noun} found, nothing was imported: {}",
        listed.join("; ")
    );
    if count > MAX_LISTED {
        message.push_str(&format!("; and {} more", count - MAX_LISTED));
    }
    message
}

impl ServiceError {
    /// The kind of refusal (for the transport's status).
    pub fn kind(&self) -> ErrorKind {
        use ErrorKind as K;
        match self {
            ServiceError::NotSignedIn | ServiceError::Token(_) | ServiceError::AccountNotFound => {
                K::NotSignedIn
            }
            ServiceError::Forbidden {
                audience: Audience::Anonymous,
                ..
            } => K::NotSignedIn,
            ServiceError::Forbidden { .. } => K::Forbidden,
            ServiceError::LeagueNotFound(_)
            | ServiceError::MemberNotFound(_)
            | ServiceError::InviteNotFound(_)
            | ServiceError::AuctionNotFound(_) => K::NotFound,
            ServiceError::League(error) => match error {
                LeagueError::NotOpen
                | LeagueError::LimitBelowMembers { .. }
                | LeagueError::PoolDropsKeeper { .. }
                | LeagueError::TooFewManagers { .. }
                | LeagueError::WrongAuction(_)
                | LeagueError::NoAuctionRunning => K::Conflict,
                _ => K::Invalid,
            },
            ServiceError::Join(_) => K::Conflict,
            ServiceError::Leave(LeaveError::NotAMember) => K::NotFound,
            ServiceError::Leave(_) => K::Conflict,
            ServiceError::Invite(error) => match error {
                InviteError::Unknown => K::NotFound,
                InviteError::Expired | InviteError::Revoked | InviteError::UsedUp => K::Gone,
                InviteError::LeagueFull { .. }
                | InviteError::AlreadyMember { .. }
                | InviteError::AuctionStarted => K::Conflict,
            },
            ServiceError::InviteOptions(_) => K::Invalid,
            ServiceError::MagicLink(MagicLinkError::Invalid) => K::BadRequest,
            ServiceError::MagicLink(_) => K::Gone,
            ServiceError::Name(_) | ServiceError::Email(_) | ServiceError::Invalid { .. } => {
                K::Invalid
            }
            ServiceError::Import(ImportFailure::File(ImportError::TooLarge { .. })) => K::TooLarge,
            ServiceError::Import(_) => K::Invalid,
            ServiceError::Conflict { .. } => K::Conflict,
            ServiceError::RateLimited { .. } => K::RateLimited,
            ServiceError::Launch(LaunchError::Refused { .. }) => K::Invalid,
            ServiceError::Launch(_)
            | ServiceError::Busy(_)
            | ServiceError::Store(_)
            | ServiceError::Mail(_) => K::Unavailable,
            ServiceError::Corrupt(_) => K::Internal,
        }
    }

    /// A stable snake_case code for programs (the web client switches on it).
    pub fn code(&self) -> &'static str {
        match self {
            ServiceError::NotSignedIn => "not_authenticated",
            ServiceError::Token(error) => match error {
                TokenError::Expired => "token_expired",
                TokenError::Revoked | TokenError::SignedOutEverywhere => "signed_out",
                TokenError::Malformed | TokenError::BadSignature | TokenError::NotYetValid => {
                    "invalid_token"
                }
            },
            ServiceError::AccountNotFound => "account_not_found",
            ServiceError::Forbidden {
                audience: Audience::Anonymous,
                ..
            } => "not_authenticated",
            ServiceError::Forbidden {
                audience: Audience::Outsider,
                ..
            } => "not_a_member",
            ServiceError::Forbidden { .. } => "forbidden",
            ServiceError::LeagueNotFound(_) => "league_not_found",
            ServiceError::MemberNotFound(_) => "member_not_found",
            ServiceError::InviteNotFound(_) => "invite_not_found",
            ServiceError::AuctionNotFound(_) => "auction_not_found",
            ServiceError::League(error) => league_code(error),
            ServiceError::Join(error) => match error {
                JoinError::AlreadyMember { .. } => "already_member",
                JoinError::LeagueFull { .. } => "league_full",
                JoinError::AuctionStarted => "auction_started",
            },
            ServiceError::Leave(error) => match error {
                LeaveError::NotAMember => "member_not_found",
                LeaveError::CommissionerCannotLeave => "commissioner_cannot_leave",
                LeaveError::AuctionStarted => "auction_started",
            },
            ServiceError::Invite(error) => match error {
                InviteError::Unknown => "invite_invalid",
                InviteError::Expired => "invite_expired",
                InviteError::Revoked => "invite_revoked",
                InviteError::UsedUp => "invite_used_up",
                InviteError::LeagueFull { .. } => "league_full",
                InviteError::AlreadyMember { .. } => "already_member",
                InviteError::AuctionStarted => "auction_started",
            },
            ServiceError::InviteOptions(_) => "invalid_invite_options",
            ServiceError::MagicLink(error) => match error {
                MagicLinkError::Invalid => "link_invalid",
                MagicLinkError::Expired => "link_expired",
                MagicLinkError::AlreadyUsed => "link_used",
            },
            ServiceError::Name(_) => "invalid_name",
            ServiceError::Email(_) => "invalid_email",
            ServiceError::Import(ImportFailure::File(ImportError::TooLarge { .. })) => {
                "file_too_large"
            }
            ServiceError::Import(_) => "invalid_csv",
            ServiceError::Invalid { code, .. } | ServiceError::Conflict { code, .. } => code,
            ServiceError::RateLimited { .. } => "rate_limited",
            ServiceError::Launch(error) => match error {
                LaunchError::Refused { .. } => "invalid_setup",
                LaunchError::Unavailable(_) => "cluster_unavailable",
                LaunchError::OutcomeUnknown(_) => "outcome_unknown",
            },
            ServiceError::Busy(_) => "busy",
            ServiceError::Store(_) => "store_unavailable",
            ServiceError::Corrupt(_) => "internal",
            ServiceError::Mail(_) => "mail_unavailable",
        }
    }

    /// For rate limits: how long to wait.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ServiceError::RateLimited { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    /// Shorthand for [`ServiceError::Invalid`].
    pub fn invalid(code: &'static str, message: impl Into<String>) -> ServiceError {
        ServiceError::Invalid {
            code,
            message: message.into(),
        }
    }

    /// Shorthand for [`ServiceError::Conflict`].
    pub fn conflict(code: &'static str, message: impl Into<String>) -> ServiceError {
        ServiceError::Conflict {
            code,
            message: message.into(),
        }
    }
}

fn league_code(error: &LeagueError) -> &'static str {
    match error {
        LeagueError::Name(_) => "invalid_name",
        LeagueError::Settings(_) => "invalid_settings",
        LeagueError::NotOpen => "league_not_open",
        LeagueError::SportChanged => "sport_changed",
        LeagueError::LimitBelowMembers { .. } => "limit_below_members",
        LeagueError::EmptyPool => "empty_pool",
        LeagueError::PoolTooLarge { .. } => "pool_too_large",
        LeagueError::DuplicateAsset(_) => "duplicate_asset",
        LeagueError::AssetName { .. } => "invalid_asset_name",
        LeagueError::KeeperNotAManager { .. }
        | LeagueError::KeeperNotInPool { .. }
        | LeagueError::DuplicateKeeper { .. }
        | LeagueError::KeeperCostTooHigh { .. }
        | LeagueError::TooManyKeepers { .. } => "invalid_keepers",
        LeagueError::PoolDropsKeeper { .. } => "pool_drops_keeper",
        LeagueError::ScoringSport { .. } => "scoring_sport",
        LeagueError::Scoring(_) => "invalid_scoring",
        LeagueError::TooFewManagers { .. } => "too_few_managers",
        LeagueError::WrongAuction(_) => "wrong_auction",
        LeagueError::NoAuctionRunning => "no_auction",
        LeagueError::UnknownUser(_) => "unknown_user",
        LeagueError::Setup(_) => "invalid_setup",
    }
}

/// "as a manager of this league you cannot change its settings" and the like.
fn forbidden_message(action: Action, audience: Audience) -> String {
    let what = action_phrase(action);
    match audience {
        Audience::Anonymous => format!("sign in to {what}"),
        Audience::Outsider if action == Action::JoinWithInvite => {
            format!("you cannot {what}")
        }
        Audience::Outsider => format!("you are not a member of this league, so you cannot {what}"),
        Audience::Commissioner { plays: false } if is_bidding(action) => {
            format!("the commissioner does not manage a team in this league, so cannot {what}")
        }
        Audience::Commissioner { .. } => format!("the commissioner cannot {what}"),
        Audience::Manager if action == Action::JoinWithInvite => {
            "you are already a member of this league (as manager)".to_owned()
        }
        Audience::Spectator if action == Action::JoinWithInvite => {
            "you are already a member of this league (as spectator)".to_owned()
        }
        Audience::Manager => format!("only the commissioner can {what}"),
        Audience::Spectator if is_bidding(action) || action == Action::ExportResults => {
            format!("spectators watch read-only, so they cannot {what}")
        }
        Audience::Spectator => format!("only the commissioner can {what}"),
    }
}

fn is_bidding(action: Action) -> bool {
    matches!(
        action,
        Action::PlaceBid
            | Action::SetProxy
            | Action::Pass
            | Action::Nominate
            | Action::SetOwnAutoPass
    )
}

/// What each action is, as the tail of "you cannot ...".
pub fn action_phrase(action: Action) -> &'static str {
    match action {
        Action::ViewLeague => "see this league",
        Action::ViewMembers => "see this league's members",
        Action::ViewAssetPool => "see this league's asset pool",
        Action::EditSettings => "change this league's name or settings",
        Action::DeleteLeague => "delete this league",
        Action::CreateInvite => "create invite codes for this league",
        Action::ManageInvites => "list or withdraw this league's invite codes",
        Action::JoinWithInvite => "join this league with an invite code",
        Action::LeaveLeague => "leave this league",
        Action::RemoveMember => "remove members from this league",
        Action::ImportManagers => "import managers into this league",
        Action::LoadAssetPool => "load this league's asset pool",
        Action::SetKeepers => "set this league's keepers",
        Action::EditScoring => "change this league's scoring rules",
        Action::StartAuction => "start this league's auction",
        Action::BeginAuction => "begin the auction",
        Action::PauseAuction => "pause the auction",
        Action::ResumeAuction => "resume the auction",
        Action::CloseLot => "close the current lot",
        Action::UndoLastSale => "undo the last sale",
        Action::EndAuction => "end the auction",
        Action::SetAutoPassForManager => "set auto-pass for another manager",
        Action::WatchAuction => "watch this league's auction",
        Action::PlaceBid => "bid",
        Action::SetProxy => "set a proxy maximum",
        Action::Pass => "pass on a lot",
        Action::Nominate => "nominate a lot",
        Action::SetOwnAutoPass => "turn auto-pass on or off",
        Action::ViewResults => "see this league's auction results",
        Action::ExportResults => "download this league's auction results",
        Action::ImportFixtures => "import this league's fixtures and results",
        Action::ImportPerformances => "import this league's player performances",
        Action::ViewFixtures => "see this league's fixtures and results",
        Action::ViewTable => "see this league's table",
    }
}

impl From<StoreError> for ServiceError {
    fn from(error: StoreError) -> Self {
        ServiceError::Store(error)
    }
}

impl From<PutError> for ServiceError {
    fn from(error: PutError) -> Self {
        match error {
            PutError::Store(error) => ServiceError::Store(error),
            PutError::Conflict { current } => ServiceError::Corrupt(format!(
                "an unconditional write conflicted (current version {current:?})"
            )),
        }
    }
}

impl From<LeagueError> for ServiceError {
    fn from(error: LeagueError) -> Self {
        ServiceError::League(error)
    }
}

impl From<JoinError> for ServiceError {
    fn from(error: JoinError) -> Self {
        ServiceError::Join(error)
    }
}

impl From<LeaveError> for ServiceError {
    fn from(error: LeaveError) -> Self {
        ServiceError::Leave(error)
    }
}

impl From<InviteError> for ServiceError {
    fn from(error: InviteError) -> Self {
        ServiceError::Invite(error)
    }
}

impl From<MagicLinkError> for ServiceError {
    fn from(error: MagicLinkError) -> Self {
        ServiceError::MagicLink(error)
    }
}

impl From<TokenError> for ServiceError {
    fn from(error: TokenError) -> Self {
        ServiceError::Token(error)
    }
}

impl From<NameError> for ServiceError {
    fn from(error: NameError) -> Self {
        ServiceError::Name(error)
    }
}

impl From<EmailError> for ServiceError {
    fn from(error: EmailError) -> Self {
        ServiceError::Email(error)
    }
}

impl From<LaunchError> for ServiceError {
    fn from(error: LaunchError) -> Self {
        ServiceError::Launch(error)
    }
}

/// The service's result type.
pub type Result<T, E = ServiceError> = std::result::Result<T, E>;
