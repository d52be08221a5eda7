//! [`ScyllaConfig`]: where the cluster is, which keyspace holds the store, how it is replicated, and the
//! `host:port[,host:port…]/keyspace[?option=value&…]` location syntax that binaries accept after `scylla:`.
//!
//! Location options (all optional):
//!
//! | option | values | default |
//! |---|---|---|
//! | `replication` | `simple:<rf>` or `nts:<dc>=<rf>[,<dc>=<rf>…]` | `simple:1` |
//! | `create_schema` | `true` / `false` | `true` |
//! | `request_timeout_ms` | milliseconds ≥ 1 | 5000 |
//! | `connect_timeout_ms` | milliseconds ≥ 1 | 5000 |
//! | `tablets` | `off` (emit `tablets = {'enabled': false}`) / `default` (leave it to the server) | `off` |
//! | `local_dc` | datacenter name the driver prefers | none |
//!
//! Replication only matters when the keyspace is created (`CREATE KEYSPACE IF NOT EXISTS` leaves an
//! existing keyspace alone). Production keyspaces use `NetworkTopologyStrategy` (`nts:dc1=3`).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;
use store::StoreError;

/// Port used when a node is given without one.
pub const DEFAULT_PORT: u16 = 9042;
/// Default client-side timeout of one request.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Default timeout of establishing a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest keyspace name ScyllaDB accepts.
pub const MAX_KEYSPACE_BYTES: usize = 48;

/// Replication of the keyspace, used when the store creates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replication {
    /// `SimpleStrategy`: one ring, no datacenter awareness. Development and tests only.
    Simple {
        /// Copies of every partition (≥ 1).
        replication_factor: u32,
    },
    /// `NetworkTopologyStrategy`: a replication factor per datacenter. Production.
    NetworkTopology {
        /// Datacenter name → copies in that datacenter (each ≥ 1).
        datacenters: BTreeMap<String, u32>,
    },
}

impl Replication {
    /// `SimpleStrategy` with `replication_factor` copies.
    pub fn simple(replication_factor: u32) -> Self {
        Replication::Simple { replication_factor }
    }

    /// `NetworkTopologyStrategy` with the given copies per datacenter.
    pub fn network_topology<N: Into<String>>(
        datacenters: impl IntoIterator<Item = (N, u32)>,
    ) -> Self {
        Replication::NetworkTopology {
            datacenters: datacenters
                .into_iter()
                .map(|(dc, rf)| (dc.into(), rf))
                .collect(),
        }
    }

    /// The CQL map literal of `WITH replication = …`.
    pub fn cql(&self) -> String {
        match self {
            Replication::Simple { replication_factor } => {
                format!("{{'class': 'SimpleStrategy', 'replication_factor': {replication_factor}}}")
            }
            Replication::NetworkTopology { datacenters } => {
                let mut text = String::from("{'class': 'NetworkTopologyStrategy'");
                for (dc, rf) in datacenters {
                    text.push_str(&format!(", {}: {rf}", cql_string(dc)));
                }
                text.push('}');
                text
            }
        }
    }

    fn validate(&self) -> Result<(), StoreError> {
        match self {
            Replication::Simple { replication_factor } if *replication_factor == 0 => {
                Err(invalid("replication factor must be at least 1".to_owned()))
            }
            Replication::Simple { .. } => Ok(()),
            Replication::NetworkTopology { datacenters } => {
                if datacenters.is_empty() {
                    return Err(invalid(
                        "NetworkTopologyStrategy needs at least one datacenter".to_owned(),
                    ));
                }
                for (dc, rf) in datacenters {
                    if dc.is_empty() {
                        return Err(invalid("datacenter names must not be empty".to_owned()));
                    }
                    if *rf == 0 {
                        return Err(invalid(format!(
                            "replication factor of datacenter {dc:?} must be at least 1"
                        )));
                    }
                }
                Ok(())
            }
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        if let Some(rf) = text.strip_prefix("simple:") {
            let replication_factor = rf
                .parse::<u32>()
                .map_err(|_| invalid(format!("replication {text:?}: {rf:?} is not a number")))?;
            return Ok(Replication::Simple { replication_factor });
        }
        if let Some(list) = text.strip_prefix("nts:") {
            let mut datacenters = BTreeMap::new();
            for entry in list.split(',') {
                let (dc, rf) = entry.split_once('=').ok_or_else(|| {
                    invalid(format!(
                        "replication {text:?}: expected `<datacenter>=<factor>`, got {entry:?}"
                    ))
                })?;
                let rf = rf.parse::<u32>().map_err(|_| {
                    invalid(format!("replication {text:?}: {rf:?} is not a number"))
                })?;
                if datacenters.insert(dc.to_owned(), rf).is_some() {
                    return Err(invalid(format!(
                        "replication {text:?}: datacenter {dc:?} is listed twice"
                    )));
                }
            }
            return Ok(Replication::NetworkTopology { datacenters });
        }
        Err(invalid(format!(
            "replication {text:?}: expected `simple:<factor>` or `nts:<dc>=<factor>[,<dc>=<factor>…]`"
        )))
    }
}

impl fmt::Display for Replication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Replication::Simple { replication_factor } => write!(f, "simple:{replication_factor}"),
            Replication::NetworkTopology { datacenters } => {
                write!(f, "nts:")?;
                for (index, (dc, rf)) in datacenters.iter().enumerate() {
                    if index > 0 {
                        write!(f, ",")?;
                    }
                    write!(f, "{dc}={rf}")?;
                }
                Ok(())
            }
        }
    }
}

/// Whether the keyspace is created with ScyllaDB tablets.
///
/// Lightweight transactions (every fenced write of this store) were not supported on tablet keyspaces until
/// recent ScyllaDB releases, and new keyspaces use tablets by default on the releases that have them, so the
/// store turns them off explicitly unless told otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tablets {
    /// `AND tablets = {'enabled': false}` (vnodes). Works on every ScyllaDB that knows tablets.
    #[default]
    Disabled,
    /// Say nothing: for ScyllaDB releases without tablets (which reject the option) and for servers whose LWT
    /// supports tablets.
    ServerDefault,
}

/// How to reach the cluster and where the store's tables live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScyllaConfig {
    /// Contact points, `host:port` (a host without port gets [`DEFAULT_PORT`]). The driver discovers the
    /// rest of the cluster from them.
    pub nodes: Vec<String>,
    /// Keyspace of the store's tables: 1..=48 characters, lowercase letters, digits and `_`, starting with a
    /// letter.
    pub keyspace: String,
    /// Replication used when the store creates the keyspace.
    pub replication: Replication,
    /// Client-side timeout of one request. A write that times out has an unknown outcome.
    pub request_timeout: Duration,
    /// Timeout of opening a connection.
    pub connect_timeout: Duration,
    /// Create the keyspace and tables (idempotently) on connect. With `false` the schema must exist already
    /// (see [`crate::schema::create_statements`]).
    pub create_schema: bool,
    /// Tablets setting of a keyspace the store creates.
    pub tablets: Tablets,
    /// Datacenter whose nodes the driver prefers as coordinators.
    pub local_datacenter: Option<String>,
}

impl ScyllaConfig {
    /// Defaults: `SimpleStrategy` with one copy, 5 s timeouts, schema created, tablets off, no preferred
    /// datacenter.
    pub fn new(
        nodes: impl IntoIterator<Item = impl Into<String>>,
        keyspace: impl Into<String>,
    ) -> Self {
        Self {
            nodes: nodes.into_iter().map(Into::into).collect(),
            keyspace: keyspace.into(),
            replication: Replication::simple(1),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            create_schema: true,
            tablets: Tablets::Disabled,
            local_datacenter: None,
        }
    }

    /// Parse `host[:port][,host[:port]…]/keyspace[?option=value&…]` (the part of a store location after
    /// `scylla:`). See the module docs for the options.
    pub fn parse(location: &str) -> Result<Self, StoreError> {
        let (address, options) = match location.split_once('?') {
            Some((address, options)) => (address, Some(options)),
            None => (location, None),
        };
        let (hosts, keyspace) = address.rsplit_once('/').ok_or_else(|| {
            invalid(format!(
                "scylla location {location:?}: expected `host:port[,host:port…]/keyspace`"
            ))
        })?;
        let mut nodes = Vec::new();
        for host in hosts.split(',') {
            if host.is_empty() {
                return Err(invalid(format!(
                    "scylla location {location:?}: empty host in the node list"
                )));
            }
            nodes.push(with_default_port(host));
        }
        let mut config = ScyllaConfig::new(nodes, keyspace);
        for option in options.into_iter().flat_map(|options| options.split('&')) {
            if option.is_empty() {
                continue;
            }
            let (name, value) = option.split_once('=').ok_or_else(|| {
                invalid(format!(
                    "scylla location option {option:?}: expected `name=value`"
                ))
            })?;
            match name {
                "replication" => config.replication = Replication::parse(value)?,
                "create_schema" => config.create_schema = parse_bool(name, value)?,
                "request_timeout_ms" => config.request_timeout = parse_millis(name, value)?,
                "connect_timeout_ms" => config.connect_timeout = parse_millis(name, value)?,
                "tablets" => {
                    config.tablets = match value {
                        "off" => Tablets::Disabled,
                        "default" => Tablets::ServerDefault,
                        _ => {
                            return Err(invalid(format!(
                                "scylla location option tablets={value:?}: expected `off` or `default`"
                            )));
                        }
                    }
                }
                "local_dc" => config.local_datacenter = Some(value.to_owned()),
                _ => {
                    return Err(invalid(format!(
                        "unknown scylla location option {name:?} (known: replication, create_schema, \
                         request_timeout_ms, connect_timeout_ms, tablets, local_dc)"
                    )));
                }
            }
        }
        config.validate()?;
        Ok(config)
    }

    /// Check every field; errors are [`StoreError::InvalidInput`] naming the field.
    pub fn validate(&self) -> Result<(), StoreError> {
        if self.nodes.is_empty() {
            return Err(invalid(
                "scylla config needs at least one contact node".to_owned(),
            ));
        }
        if let Some(node) = self.nodes.iter().find(|node| node.trim().is_empty()) {
            return Err(invalid(format!(
                "scylla contact node {node:?} must not be empty"
            )));
        }
        validate_keyspace(&self.keyspace)?;
        self.replication.validate()?;
        if self.request_timeout.is_zero() {
            return Err(invalid("request_timeout must be positive".to_owned()));
        }
        if self.connect_timeout.is_zero() {
            return Err(invalid("connect_timeout must be positive".to_owned()));
        }
        if self.local_datacenter.as_deref() == Some("") {
            return Err(invalid(
                "local datacenter name must not be empty".to_owned(),
            ));
        }
        Ok(())
    }
}

impl FromStr for ScyllaConfig {
    type Err = StoreError;

    fn from_str(location: &str) -> Result<Self, Self::Err> {
        Self::parse(location)
    }
}

/// The location string [`ScyllaConfig::parse`] reads back into an equal config.
impl fmt::Display for ScyllaConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.nodes.join(","), self.keyspace)?;
        let mut options = Vec::new();
        if self.replication != Replication::simple(1) {
            options.push(format!("replication={}", self.replication));
        }
        if !self.create_schema {
            options.push("create_schema=false".to_owned());
        }
        if self.request_timeout != DEFAULT_REQUEST_TIMEOUT {
            options.push(format!(
                "request_timeout_ms={}",
                self.request_timeout.as_millis()
            ));
        }
        if self.connect_timeout != DEFAULT_CONNECT_TIMEOUT {
            options.push(format!(
                "connect_timeout_ms={}",
                self.connect_timeout.as_millis()
            ));
        }
        if self.tablets == Tablets::ServerDefault {
            options.push("tablets=default".to_owned());
        }
        if let Some(dc) = &self.local_datacenter {
            options.push(format!("local_dc={dc}"));
        }
        if !options.is_empty() {
            write!(f, "?{}", options.join("&"))?;
        }
        Ok(())
    }
}

/// A keyspace name the store can use unquoted: 1..=48 of `[a-z0-9_]`, starting with a letter.
pub fn validate_keyspace(keyspace: &str) -> Result<(), StoreError> {
    if keyspace.is_empty() {
        return Err(invalid("keyspace name must not be empty".to_owned()));
    }
    if keyspace.len() > MAX_KEYSPACE_BYTES {
        return Err(invalid(format!(
            "keyspace name {keyspace:?} is {} bytes, the limit is {MAX_KEYSPACE_BYTES} bytes",
            keyspace.len()
        )));
    }
    if !keyspace.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(invalid(format!(
            "keyspace name {keyspace:?} must start with a lowercase letter"
        )));
    }
    if let Some(bad) = keyspace
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
    {
        return Err(invalid(format!(
            "keyspace name {keyspace:?} contains {bad:?}: only lowercase letters, digits and `_` are allowed"
        )));
    }
    Ok(())
}

/// A CQL string literal (single quotes, embedded quotes doubled).
pub(crate) fn cql_string(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

fn with_default_port(host: &str) -> String {
    let has_port = if let Some(rest) = host.strip_prefix('[') {
        // [v6-address] or [v6-address]:port
        rest.contains("]:")
    } else {
        host.contains(':')
    };
    if has_port {
        host.to_owned()
    } else {
        format!("{host}:{DEFAULT_PORT}")
    }
}

fn parse_bool(name: &str, value: &str) -> Result<bool, StoreError> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(invalid(format!(
            "scylla location option {name}={value:?}: expected `true` or `false`"
        ))),
    }
}

fn parse_millis(name: &str, value: &str) -> Result<Duration, StoreError> {
    match value.parse::<u64>() {
        Ok(millis) if millis > 0 => Ok(Duration::from_millis(millis)),
        _ => Err(invalid(format!(
            "scylla location option {name}={value:?}: expected a positive number of milliseconds"
        ))),
    }
}

fn invalid(message: String) -> StoreError {
    StoreError::InvalidInput(message)
}

#[cfg(test)]
mod tests;
