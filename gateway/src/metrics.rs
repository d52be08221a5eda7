//! Names of the gateway's metrics (Prometheus style).

/// Open websocket connections.
pub const CONNECTIONS: &str = "gateway_connections";
/// Websocket connections accepted, by `encoding`.
pub const CONNECTIONS_OPENED: &str = "gateway_connections_opened_total";
/// Connections refused (per-IP limit, bad upgrade), by `reason`.
pub const CONNECTIONS_REFUSED: &str = "gateway_connections_refused_total";
/// Client frames received, by `type`.
pub const FRAMES_RECEIVED: &str = "gateway_frames_received_total";
/// Server frames encoded, by `type` (a fan-out frame counts once per encoding).
pub const FRAMES_SENT: &str = "gateway_frames_sent_total";
/// Error frames sent, by `code`.
pub const ERRORS: &str = "gateway_errors_total";
/// Commands answered, by `command` and `outcome`.
pub const COMMANDS: &str = "gateway_commands_total";
/// Seconds from a command's arrival at the gateway to its answer (the bid round trip inside the
/// cluster), by `command` and `outcome`.
pub const COMMAND_SECONDS: &str = "gateway_command_seconds";
/// Commands refused by the rate limiter.
pub const RATE_LIMITED: &str = "gateway_rate_limited_total";
/// Redirects followed to an auction's owner.
pub const REDIRECTS: &str = "gateway_redirects_total";
/// Takeovers requested because an auction's owner was unreachable.
pub const TAKEOVERS_REQUESTED: &str = "gateway_takeovers_requested_total";
/// Live auction nodes as seen by this gateway.
pub const LIVE_NODES: &str = "gateway_live_nodes";
/// Auction hubs (auctions watched through this gateway).
pub const HUBS: &str = "gateway_hubs";
/// Sequence gaps detected (each triggers a catch-up).
pub const GAPS: &str = "gateway_sequence_gaps_total";
/// Connections dropped because their queue was full.
pub const SLOW_CONSUMERS: &str = "gateway_slow_consumers_total";
/// Seconds to fan one delivery out to every local connection.
pub const FANOUT_SECONDS: &str = "gateway_fanout_seconds";
/// Connections reached by one delivery.
pub const FANOUT_WIDTH: &str = "gateway_fanout_width";
/// Whether the shared (Redis) rate limiter is unavailable and local limits apply (1) or not (0).
pub const RATELIMIT_DEGRADED: &str = "gateway_ratelimit_degraded";

/// Describe every metric (HELP text).
pub fn describe() {
    metrics::describe_gauge!(CONNECTIONS, "Open websocket connections");
    metrics::describe_counter!(
        CONNECTIONS_OPENED,
        "Websocket connections accepted, by encoding"
    );
    metrics::describe_counter!(CONNECTIONS_REFUSED, "Connections refused, by reason");
    metrics::describe_counter!(FRAMES_RECEIVED, "Client frames received, by type");
    metrics::describe_counter!(FRAMES_SENT, "Server frames encoded, by type");
    metrics::describe_counter!(ERRORS, "Error frames sent, by code");
    metrics::describe_counter!(COMMANDS, "Commands answered, by command and outcome");
    metrics::describe_histogram!(
        COMMAND_SECONDS,
        metrics::Unit::Seconds,
        "Command round trip inside the cluster, from the gateway"
    );
    metrics::describe_counter!(RATE_LIMITED, "Commands refused by the rate limiter");
    metrics::describe_counter!(REDIRECTS, "Redirects followed to an auction's owner");
    metrics::describe_counter!(
        TAKEOVERS_REQUESTED,
        "Takeovers requested because an owner was unreachable"
    );
    metrics::describe_gauge!(LIVE_NODES, "Live auction nodes seen by this gateway");
    metrics::describe_gauge!(HUBS, "Auctions watched through this gateway");
    metrics::describe_counter!(GAPS, "Event sequence gaps detected");
    metrics::describe_counter!(
        SLOW_CONSUMERS,
        "Connections dropped because their queue was full"
    );
    metrics::describe_histogram!(
        FANOUT_SECONDS,
        metrics::Unit::Seconds,
        "Time to fan one delivery out to local connections"
    );
    metrics::describe_histogram!(FANOUT_WIDTH, "Connections reached by one delivery");
    metrics::describe_gauge!(
        RATELIMIT_DEGRADED,
        "1 when the shared rate limiter is unavailable and local limits apply"
    );
}
