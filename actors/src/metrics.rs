//! Names of the metrics the actors emit (Prometheus style). The exporter is installed by binaries.

/// Commands decided by auction actors, by `command` and `outcome` (accepted, duplicate, refused).
pub const COMMANDS: &str = "auction_commands_total";
/// Seconds from a command reaching its auction actor to its answer (decision + durable write).
pub const COMMAND_SECONDS: &str = "auction_command_seconds";
/// Events per durable append.
pub const BATCH_EVENTS: &str = "auction_append_batch_events";
/// Auction actors running on this node.
pub const LIVE_AUCTIONS: &str = "auction_live_actors";
/// Activations by `kind` (local, takeover).
pub const ACTIVATIONS: &str = "auction_activations_total";
/// Seconds to activate an auction (claim + replay).
pub const ACTIVATION_SECONDS: &str = "auction_activation_seconds";
/// Appends refused because another node owns the auction.
pub const FENCED: &str = "auction_fenced_total";
/// Auction actors that failed (panic or unknown write outcome).
pub const ACTOR_FAILURES: &str = "auction_actor_failures_total";
/// Auction actors restarted by the router.
pub const ACTOR_RESTARTS: &str = "auction_actor_restarts_total";
/// Deliveries to a gateway that could not be sent (the gateway resubscribes on the gap).
pub const DELIVERIES_DROPPED: &str = "auction_deliveries_dropped_total";
/// Node lease renewals by `outcome`.
pub const LEASE_RENEWALS: &str = "node_lease_renewals_total";
/// Times this node fenced itself because its lease lapsed.
pub const SELF_FENCES: &str = "node_self_fences_total";
/// Orphaned auctions this node activated.
pub const TAKEOVERS: &str = "node_takeovers_total";
/// Auctions taken from a live-leased owner that neither a gateway nor this node could reach.
pub const FORCED_TAKEOVERS: &str = "node_forced_takeovers_total";

/// Histogram buckets for command latencies, in seconds (explicit so they aggregate across pods).
pub const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0,
];

/// Describe every metric (HELP text) once the recorder is installed.
pub fn describe() {
    metrics::describe_counter!(
        COMMANDS,
        "Commands decided by auction actors, by command and outcome"
    );
    metrics::describe_histogram!(
        COMMAND_SECONDS,
        metrics::Unit::Seconds,
        "Command decision plus durable write, at the node"
    );
    metrics::describe_histogram!(BATCH_EVENTS, "Events per durable append");
    metrics::describe_gauge!(LIVE_AUCTIONS, "Auction actors running on this node");
    metrics::describe_counter!(ACTIVATIONS, "Auction activations by kind (local, takeover)");
    metrics::describe_histogram!(
        ACTIVATION_SECONDS,
        metrics::Unit::Seconds,
        "Time to claim and replay an auction"
    );
    metrics::describe_counter!(
        FENCED,
        "Appends refused because another node owns the auction"
    );
    metrics::describe_counter!(ACTOR_FAILURES, "Auction actors that failed");
    metrics::describe_counter!(ACTOR_RESTARTS, "Auction actors restarted from the log");
    metrics::describe_counter!(
        DELIVERIES_DROPPED,
        "Event deliveries to gateways that could not be sent"
    );
    metrics::describe_counter!(LEASE_RENEWALS, "Node lease renewals by outcome");
    metrics::describe_counter!(
        SELF_FENCES,
        "Times this node stopped its auctions because its lease lapsed"
    );
    metrics::describe_counter!(TAKEOVERS, "Orphaned auctions activated by this node");
    metrics::describe_counter!(
        FORCED_TAKEOVERS,
        "Auctions taken from an unreachable owner with a live lease"
    );
}
