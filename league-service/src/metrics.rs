//! Metric names of the league service (Prometheus style), declared once.

/// Compare-and-set conflicts that caused a retry, by table.
pub const CAS_CONFLICTS: &str = "league_cas_conflicts_total";
/// Magic links requested, by outcome (`sent`, `rate_limited`).
pub const MAGIC_LINKS: &str = "league_magic_links_total";
/// Sessions issued, by how (`magic_link`, `invite`, `refresh`, `seed`).
pub const SESSIONS_ISSUED: &str = "league_sessions_issued_total";
/// Invite acceptances, by outcome code (`joined`, `sign_in_required`, or the refusal code).
pub const INVITE_ACCEPTS: &str = "league_invite_accepts_total";
/// Auctions started from leagues, by outcome (`created`, `already_exists`, or the error code).
pub const AUCTIONS_STARTED: &str = "league_auctions_started_total";

/// Registers descriptions with the installed recorder.
pub fn describe() {
    metrics::describe_counter!(
        CAS_CONFLICTS,
        "Compare-and-set conflicts on league records that were retried"
    );
    metrics::describe_counter!(MAGIC_LINKS, "Magic sign-in links requested");
    metrics::describe_counter!(SESSIONS_ISSUED, "Session tokens issued");
    metrics::describe_counter!(INVITE_ACCEPTS, "Invite codes presented to join a league");
    metrics::describe_counter!(
        AUCTIONS_STARTED,
        "League auctions started through the cluster"
    );
}
