//! Driver errors → `StoreError`.
//!
//! - [`StoreError::Unavailable`]: the cluster could not be reached or did not answer in time, or answered in a
//!   way that leaves the outcome open (timeouts, `Unavailable`, `Overloaded`, a broken connection, an
//!   unreadable response...). **For a write this means outcome unknown**: in particular a lightweight
//!   transaction that timed out (`WriteTimeout` of write type `CAS`, or the client-side request timeout) may
//!   have been accepted by a Paxos quorum and will then be completed by the next Paxos round on that
//!   partition. The caller must find out by reading (a `SERIAL` read such as `last_seq` completes any
//!   unfinished round first).
//! - [`StoreError::InvalidInput`]: the driver refused the request itself (values too long for a key, too many
//!   statements in a batch); retrying cannot help.
//! - [`StoreError::Backend`]: the server refused the statement (syntax, invalid request, missing table,
//!   authorization, a keyspace with tablets that do not support LWT...) or answered with data the store cannot
//!   decode. The request was not applied, and retrying will not help until the cluster or schema is fixed.

use scylla::errors::{
    ConnectionPoolError, DbError, ExecutionError, NewSessionError, NextPageError, NextRowError,
    PagerExecutionError, PrepareError, RequestAttemptError, RequestError, WriteType,
};
use store::StoreError;

/// The class of a driver error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Unreachable, too slow, or outcome unknown: [`StoreError::Unavailable`].
    Unavailable,
    /// The request itself is unacceptable: [`StoreError::InvalidInput`].
    Invalid,
    /// The server or schema refuses it, or answers nonsense: [`StoreError::Backend`].
    Backend,
}

impl Kind {
    /// The store error of this kind, `what` naming the operation.
    pub(crate) fn error(self, what: &str, error: &dyn std::fmt::Display) -> StoreError {
        let message = format!("scylla: {what}: {error}");
        match self {
            Kind::Unavailable => StoreError::Unavailable(message),
            Kind::Invalid => StoreError::InvalidInput(message),
            Kind::Backend => StoreError::Backend(message),
        }
    }
}

/// Class of an error the server returned.
pub(crate) fn db_kind(error: &DbError) -> Kind {
    match error {
        DbError::Unavailable { .. }
        | DbError::Overloaded
        | DbError::IsBootstrapping
        | DbError::ReadTimeout { .. }
        | DbError::WriteTimeout { .. }
        | DbError::ReadFailure { .. }
        | DbError::WriteFailure { .. }
        | DbError::RateLimitReached { .. }
        | DbError::TruncateError
        // A server-side bug while executing: nothing says whether a write got through.
        | DbError::ServerError
        // The driver re-prepares on its own; seeing this means the retry failed too.
        | DbError::Unprepared { .. } => Kind::Unavailable,
        DbError::SyntaxError
        | DbError::Invalid
        | DbError::AlreadyExists { .. }
        | DbError::FunctionFailure { .. }
        | DbError::AuthenticationError
        | DbError::Unauthorized
        | DbError::ConfigError
        | DbError::ProtocolError
        | DbError::Other(_) => Kind::Backend,
        // `DbError` is non-exhaustive: an unknown error may have left a write half-done.
        _ => Kind::Unavailable,
    }
}

/// Whether the server said a lightweight transaction timed out (its outcome is then unknown).
pub(crate) fn is_cas_timeout(error: &DbError) -> bool {
    matches!(
        error,
        DbError::WriteTimeout {
            write_type: WriteType::Cas,
            ..
        }
    )
}

/// Class of the error of one attempt.
pub(crate) fn attempt_kind(error: &RequestAttemptError) -> Kind {
    match error {
        RequestAttemptError::DbError(db_error, _) => db_kind(db_error),
        // The request may have been sent: outcome unknown.
        RequestAttemptError::BrokenConnectionError(_)
        | RequestAttemptError::UnableToAllocStreamId
        // The server executed something but its answer is unreadable: outcome unknown.
        | RequestAttemptError::BodyExtensionsParseError(_)
        | RequestAttemptError::CqlResultParseError(_)
        | RequestAttemptError::CqlErrorParseError(_)
        | RequestAttemptError::UnexpectedResponse(_) => Kind::Unavailable,
        // Never sent.
        RequestAttemptError::SerializationError(_)
        | RequestAttemptError::CqlRequestSerialization(_)
        | RequestAttemptError::RepreparedIdChanged { .. }
        | RequestAttemptError::RepreparedIdMissingInBatch
        | RequestAttemptError::NonfinishedPagingState => Kind::Backend,
        _ => Kind::Unavailable,
    }
}

fn pool_kind(_error: &ConnectionPoolError) -> Kind {
    Kind::Unavailable
}

/// Class of the error of a request (all attempts).
pub(crate) fn execution_kind(error: &ExecutionError) -> Kind {
    match error {
        ExecutionError::LastAttemptError(attempt) => attempt_kind(attempt),
        ExecutionError::BadQuery(bad) => match bad {
            scylla::errors::BadQuery::ValuesTooLongForKey(..)
            | scylla::errors::BadQuery::TooManyQueriesInBatchStatement(_) => Kind::Invalid,
            _ => Kind::Backend,
        },
        ExecutionError::PrepareError(prepare) => prepare_kind(prepare),
        ExecutionError::ConnectionPoolError(pool) => pool_kind(pool),
        ExecutionError::EmptyPlan
        | ExecutionError::RequestTimeout(_)
        | ExecutionError::SchemaAgreementError(_)
        | ExecutionError::MetadataError(_) => Kind::Unavailable,
        ExecutionError::UseKeyspaceError(_) => Kind::Backend,
        _ => Kind::Unavailable,
    }
}

/// Class of a request error of the pager.
pub(crate) fn request_kind(error: &RequestError) -> Kind {
    match error {
        RequestError::LastAttemptError(attempt) => attempt_kind(attempt),
        RequestError::ConnectionPoolError(pool) => pool_kind(pool),
        _ => Kind::Unavailable,
    }
}

/// Class of a preparation error.
pub(crate) fn prepare_kind(error: &PrepareError) -> Kind {
    match error {
        PrepareError::ConnectionPoolError(pool) => pool_kind(pool),
        PrepareError::AllAttemptsFailed { first_attempt } => attempt_kind(first_attempt),
        PrepareError::PreparedStatementIdsMismatch => Kind::Backend,
        _ => Kind::Unavailable,
    }
}

/// Class of an error starting a paged read.
pub(crate) fn pager_kind(error: &PagerExecutionError) -> Kind {
    match error {
        PagerExecutionError::PrepareError(prepare) => prepare_kind(prepare),
        PagerExecutionError::SerializationError(_) => Kind::Backend,
        PagerExecutionError::NextPageError(next) => next_page_kind(next),
        _ => Kind::Unavailable,
    }
}

fn next_page_kind(error: &NextPageError) -> Kind {
    match error {
        NextPageError::RequestFailure(request) => request_kind(request),
        NextPageError::PartitionKeyError(_)
        | NextPageError::ResultMetadataParseError(_)
        | NextPageError::TypeCheckError(_) => Kind::Backend,
        _ => Kind::Unavailable,
    }
}

/// Class of an error while reading the rows of a paged read.
pub(crate) fn next_row_kind(error: &NextRowError) -> Kind {
    match error {
        NextRowError::NextPageError(next) => next_page_kind(next),
        NextRowError::RowDeserializationError(_) => Kind::Backend,
        _ => Kind::Unavailable,
    }
}

/// Class of an error opening the session.
pub(crate) fn new_session_kind(error: &NewSessionError) -> Kind {
    match error {
        NewSessionError::EmptyKnownNodesList | NewSessionError::IllegalConfig(_) => Kind::Invalid,
        // DNS not ready yet, nothing listening yet, metadata not readable yet: all worth retrying.
        _ => Kind::Unavailable,
    }
}

/// The store error of a failed request; for a conditional write the message says that its outcome is unknown.
pub(crate) fn execution_error(what: &str, error: &ExecutionError, write: bool) -> StoreError {
    let kind = execution_kind(error);
    if write && kind == Kind::Unavailable {
        let cas_timeout = matches!(
            error,
            ExecutionError::LastAttemptError(RequestAttemptError::DbError(db_error, _))
                if is_cas_timeout(db_error)
        );
        let note = if cas_timeout {
            "the lightweight transaction timed out; it may still be completed by the next Paxos round, \
             read before deciding"
        } else {
            "the write may or may not have been applied, read before deciding"
        };
        return kind.error(what, &format!("{error} ({note})"));
    }
    kind.error(what, error)
}

/// The store error of a conditional write whose answer could not be decoded: it ran, so its outcome is unknown.
pub(crate) fn undecodable_lwt(what: &str, problem: &str) -> StoreError {
    StoreError::Unavailable(format!(
        "scylla: {what}: the conditional write ran but its result could not be read ({problem}); \
         outcome unknown, read before deciding"
    ))
}

/// The store error of a read whose rows could not be decoded.
pub(crate) fn undecodable_read(what: &str, problem: &dyn std::fmt::Display) -> StoreError {
    StoreError::Backend(format!(
        "scylla: {what}: unexpected result (schema mismatch?): {problem}"
    ))
}

#[cfg(test)]
mod tests;
