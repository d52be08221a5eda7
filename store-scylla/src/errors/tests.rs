//! Unit tests of `errors`.

use super::*;
use scylla::errors::BadQuery;
use scylla::statement::Consistency;
use std::time::Duration;

fn db(error: DbError) -> ExecutionError {
    ExecutionError::LastAttemptError(RequestAttemptError::DbError(error, "message".to_owned()))
}

fn cas_timeout() -> DbError {
    DbError::WriteTimeout {
        consistency: Consistency::Serial,
        received: 0,
        required: 2,
        write_type: WriteType::Cas,
    }
}

#[test]
fn transient_server_errors_are_unavailable() {
    let transient = [
        DbError::Unavailable {
            consistency: Consistency::Quorum,
            required: 2,
            alive: 1,
        },
        DbError::Overloaded,
        DbError::IsBootstrapping,
        DbError::ReadTimeout {
            consistency: Consistency::Serial,
            received: 1,
            required: 2,
            data_present: false,
        },
        cas_timeout(),
        DbError::WriteTimeout {
            consistency: Consistency::Quorum,
            received: 1,
            required: 2,
            write_type: WriteType::Simple,
        },
        DbError::WriteFailure {
            consistency: Consistency::Quorum,
            received: 1,
            required: 2,
            numfailures: 1,
            write_type: WriteType::Cas,
        },
        DbError::ServerError,
    ];
    for error in transient {
        assert_eq!(db_kind(&error), Kind::Unavailable, "{error}");
        assert!(matches!(
            execution_error("append", &db(error), true),
            StoreError::Unavailable(_)
        ));
    }
}

#[test]
fn refusals_by_the_server_are_backend_errors() {
    for error in [
        DbError::SyntaxError,
        DbError::Invalid,
        DbError::Unauthorized,
        DbError::ConfigError,
        DbError::AlreadyExists {
            keyspace: "ks".to_owned(),
            table: "t".to_owned(),
        },
    ] {
        assert_eq!(db_kind(&error), Kind::Backend, "{error}");
        assert!(matches!(
            execution_error("claim", &db(error), true),
            StoreError::Backend(_)
        ));
    }
}

#[test]
fn a_timed_out_lwt_says_its_outcome_is_unknown() {
    assert!(is_cas_timeout(&cas_timeout()));
    assert!(!is_cas_timeout(&DbError::Overloaded));
    match execution_error("append", &db(cas_timeout()), true) {
        StoreError::Unavailable(message) => {
            assert!(message.contains("append"), "{message}");
            assert!(message.contains("Paxos"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let client_timeout = ExecutionError::RequestTimeout(Duration::from_secs(5));
    match execution_error("append", &client_timeout, true) {
        StoreError::Unavailable(message) => {
            assert!(
                message.contains("may or may not have been applied"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(StoreError::Unavailable(String::new()).is_outcome_unknown());
    // A read that times out is just unavailable.
    match execution_error("read events", &client_timeout, false) {
        StoreError::Unavailable(message) => assert!(!message.contains("applied"), "{message}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn client_side_refusals() {
    let too_many = ExecutionError::BadQuery(BadQuery::TooManyQueriesInBatchStatement(70_000));
    assert!(matches!(
        execution_error("append", &too_many, true),
        StoreError::InvalidInput(_)
    ));
    assert_eq!(
        execution_kind(&ExecutionError::EmptyPlan),
        Kind::Unavailable
    );
    assert_eq!(
        prepare_kind(&PrepareError::PreparedStatementIdsMismatch),
        Kind::Backend
    );
    assert_eq!(
        prepare_kind(&PrepareError::AllAttemptsFailed {
            first_attempt: RequestAttemptError::DbError(
                DbError::Invalid,
                "unconfigured table".to_owned()
            ),
        }),
        Kind::Backend,
        "a missing table"
    );
}

#[test]
fn session_errors() {
    assert_eq!(
        new_session_kind(&NewSessionError::EmptyKnownNodesList),
        Kind::Invalid
    );
    assert_eq!(
        new_session_kind(&NewSessionError::FailedToResolveAnyHostname(vec![
            "scylla-0.scylla".to_owned()
        ])),
        Kind::Unavailable,
        "DNS may simply not be ready yet"
    );
}

#[test]
fn undecodable_answers() {
    assert!(matches!(
        undecodable_lwt("append", "no rows"),
        StoreError::Unavailable(message) if message.contains("outcome unknown")
    ));
    assert!(matches!(
        undecodable_read("read events", &"bad type"),
        StoreError::Backend(_)
    ));
}
