//! Unit tests of `config`.

use super::*;

fn invalid_message(result: Result<ScyllaConfig, StoreError>) -> String {
    match result {
        Err(StoreError::InvalidInput(message)) => message,
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

#[test]
fn parses_a_minimal_location_with_defaults() {
    let config = ScyllaConfig::parse("127.0.0.1:9042/auction_store").expect("parse");
    assert_eq!(
        config,
        ScyllaConfig::new(["127.0.0.1:9042"], "auction_store")
    );
    assert_eq!(config.replication, Replication::simple(1));
    assert_eq!(config.request_timeout, Duration::from_secs(5));
    assert!(config.create_schema);
    assert_eq!(config.tablets, Tablets::Disabled);
    assert_eq!(config.local_datacenter, None);
}

#[test]
fn adds_the_default_port() {
    let config = ScyllaConfig::parse("scylla-0.scylla,scylla-1.scylla:19042,[::1],[::1]:9043/ks")
        .expect("parse");
    assert_eq!(
        config.nodes,
        vec![
            "scylla-0.scylla:9042",
            "scylla-1.scylla:19042",
            "[::1]:9042",
            "[::1]:9043"
        ]
    );
}

#[test]
fn parses_every_option() {
    let config = ScyllaConfig::parse(
        "a:9042,b:9042/prod_store?replication=nts:dc1=3,dc2=2&create_schema=false\
         &request_timeout_ms=2500&connect_timeout_ms=1000&tablets=default&local_dc=dc1",
    )
    .expect("parse");
    assert_eq!(config.nodes, vec!["a:9042", "b:9042"]);
    assert_eq!(config.keyspace, "prod_store");
    assert_eq!(
        config.replication,
        Replication::network_topology([("dc1", 3), ("dc2", 2)])
    );
    assert!(!config.create_schema);
    assert_eq!(config.request_timeout, Duration::from_millis(2500));
    assert_eq!(config.connect_timeout, Duration::from_millis(1000));
    assert_eq!(config.tablets, Tablets::ServerDefault);
    assert_eq!(config.local_datacenter.as_deref(), Some("dc1"));
    assert_eq!(
        ScyllaConfig::parse("h/ks?replication=simple:3")
            .expect("parse")
            .replication,
        Replication::simple(3)
    );
}

#[test]
fn display_round_trips() {
    for location in [
        "127.0.0.1:9042/ks",
        "a:9042,b:9042/prod_store?replication=nts:dc1=3,dc2=2&create_schema=false&request_timeout_ms=2500\
         &connect_timeout_ms=1000&tablets=default&local_dc=dc1",
        "h:1/ks?replication=simple:3",
    ] {
        let config = ScyllaConfig::parse(location).expect("parse");
        assert_eq!(config.to_string(), location);
        assert_eq!(config.to_string().parse::<ScyllaConfig>(), Ok(config));
    }
}

#[test]
fn refuses_bad_locations_with_clear_errors() {
    let cases: [(&str, &str); 14] = [
        ("127.0.0.1:9042", "keyspace"),
        ("/ks", "empty host"),
        ("a,,b/ks", "empty host"),
        ("a/", "keyspace name must not be empty"),
        ("a/Upper", "lowercase"),
        ("a/1ks", "start with a lowercase letter"),
        ("a/ks-1", "contains '-'"),
        ("a/ks?replication=simple:x", "not a number"),
        ("a/ks?replication=simple:0", "at least 1"),
        ("a/ks?replication=nts:", "expected `<datacenter>=<factor>`"),
        ("a/ks?replication=nts:dc1=3,dc1=2", "listed twice"),
        ("a/ks?create_schema=yes", "`true` or `false`"),
        (
            "a/ks?request_timeout_ms=0",
            "positive number of milliseconds",
        ),
        ("a/ks?colour=blue", "unknown scylla location option"),
    ];
    for (location, needle) in cases {
        let message = invalid_message(ScyllaConfig::parse(location));
        assert!(
            message.contains(needle),
            "{location}: {message:?} should mention {needle:?}"
        );
    }
    let long = format!("a/{}", "k".repeat(MAX_KEYSPACE_BYTES + 1));
    assert!(invalid_message(ScyllaConfig::parse(&long)).contains("48"));
    assert!(ScyllaConfig::parse(&format!("a/{}", "k".repeat(MAX_KEYSPACE_BYTES))).is_ok());
}

#[test]
fn validate_checks_programmatic_configs() {
    let mut config = ScyllaConfig::new(Vec::<String>::new(), "ks");
    assert!(invalid_message(config.validate().map(|()| config.clone())).contains("contact node"));
    config.nodes = vec!["h:9042".to_owned()];
    config.request_timeout = Duration::ZERO;
    assert!(
        invalid_message(config.validate().map(|()| config.clone())).contains("request_timeout")
    );
    config.request_timeout = Duration::from_secs(1);
    config.replication = Replication::NetworkTopology {
        datacenters: BTreeMap::new(),
    };
    assert!(
        invalid_message(config.validate().map(|()| config.clone()))
            .contains("at least one datacenter")
    );
    config.replication = Replication::network_topology([("dc1", 0)]);
    assert!(invalid_message(config.validate().map(|()| config.clone())).contains("dc1"));
    config.replication = Replication::network_topology([("dc1", 3)]);
    assert_eq!(config.validate(), Ok(()));
}

#[test]
fn replication_literals_quote_datacenter_names() {
    assert_eq!(
        Replication::simple(2).cql(),
        "{'class': 'SimpleStrategy', 'replication_factor': 2}"
    );
    assert_eq!(
        Replication::network_topology([("o'brien", 1)]).cql(),
        "{'class': 'NetworkTopologyStrategy', 'o''brien': 1}"
    );
}
