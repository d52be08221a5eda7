//! Reading the result of a conditional statement (LWT): `[applied]` and the current values ScyllaDB returns
//! with it.
//!
//! ScyllaDB answers every conditional statement with one row per statement of the request (for a batch, in
//! statement order) holding `[applied]`, the primary key and the columns its conditions read, filled with the
//! values as they were *before* the statement (the row as the Paxos round read it), whether or not it applied.
//! Cassandra returns only `[applied]` on success and the condition columns on failure. Columns are therefore
//! looked up by name, and a missing column reads as null. Only the first row is used: the store puts the
//! conditional statement first in its batches, and every row of a single-partition batch carries the same
//! static columns anyway.

use crate::decide::{self, LeaseVersion, RawStatics, Statics, u64_from_cql};
use crate::errors::undecodable_lwt;
use scylla::response::query_result::QueryResult;
use scylla::value::{CqlValue, Row};
use store::{AppendError, Epoch, OwnerId, Seq};

/// Name of the column saying whether the statement applied.
pub(crate) const APPLIED: &str = "[applied]";

/// `[applied]` and the other returned columns of a conditional statement's first row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LwtOutcome {
    pub(crate) applied: bool,
    columns: Vec<(String, Option<CqlValue>)>,
}

impl LwtOutcome {
    /// An outcome from named columns (`[applied]` must be among them and be a boolean).
    pub(crate) fn from_columns(columns: Vec<(String, Option<CqlValue>)>) -> Result<Self, String> {
        let applied = match columns.iter().find(|(name, _)| name == APPLIED) {
            Some((_, Some(CqlValue::Boolean(applied)))) => *applied,
            Some((_, other)) => {
                return Err(format!(
                    "the {APPLIED} column of a conditional statement's result is {other:?}, not a boolean"
                ));
            }
            None => {
                return Err(format!(
                    "the result of a conditional statement has no {APPLIED} column"
                ));
            }
        };
        Ok(Self { applied, columns })
    }

    /// Read the first row of a conditional statement's result.
    pub(crate) fn from_result(result: QueryResult) -> Result<Self, String> {
        let rows = result
            .into_rows_result()
            .map_err(|error| format!("a conditional statement returned no rows: {error}"))?;
        let names: Vec<String> = rows
            .column_specs()
            .iter()
            .map(|spec| spec.name().to_owned())
            .collect();
        let first = rows
            .rows::<Row>()
            .map_err(|error| format!("unreadable result of a conditional statement: {error}"))?
            .next()
            .ok_or_else(|| "a conditional statement returned an empty result".to_owned())?
            .map_err(|error| format!("unreadable result of a conditional statement: {error}"))?;
        if first.columns.len() != names.len() {
            return Err(format!(
                "a conditional statement returned a row of {} columns for {} column names",
                first.columns.len(),
                names.len()
            ));
        }
        Self::from_columns(names.into_iter().zip(first.columns).collect())
    }

    fn value(&self, name: &str) -> Option<&CqlValue> {
        self.columns
            .iter()
            .find(|(column, _)| column == name)
            .and_then(|(_, value)| value.as_ref())
    }

    /// A `bigint` column (null or missing: `None`).
    pub(crate) fn bigint(&self, name: &str) -> Result<Option<i64>, String> {
        match self.value(name) {
            None => Ok(None),
            Some(CqlValue::BigInt(value)) => Ok(Some(*value)),
            Some(other) => Err(format!("column {name} is {other:?}, expected a bigint")),
        }
    }

    /// A `text` column.
    pub(crate) fn text(&self, name: &str) -> Result<Option<String>, String> {
        match self.value(name) {
            None => Ok(None),
            Some(CqlValue::Text(value) | CqlValue::Ascii(value)) => Ok(Some(value.clone())),
            Some(other) => Err(format!("column {name} is {other:?}, expected text")),
        }
    }

    /// A `boolean` column.
    pub(crate) fn boolean(&self, name: &str) -> Result<Option<bool>, String> {
        match self.value(name) {
            None => Ok(None),
            Some(CqlValue::Boolean(value)) => Ok(Some(*value)),
            Some(other) => Err(format!("column {name} is {other:?}, expected a boolean")),
        }
    }

    /// The auction's statics as the statement saw them (`None`: never claimed).
    pub(crate) fn statics(&self) -> Result<Option<Statics>, String> {
        RawStatics {
            owner_node: self.text("owner_node")?,
            owner_incarnation: self.bigint("owner_incarnation")?,
            owner_epoch: self.bigint("owner_epoch")?,
            released_at: self.bigint("released_at")?,
            retired: self.boolean("retired")?,
            last_seq: self.bigint("last_seq")?,
        }
        .decode()
    }

    /// The stored lease's version as the statement saw it (`None`: no lease).
    pub(crate) fn lease_version(&self) -> Result<Option<LeaseVersion>, String> {
        Ok(LeaseVersion::from_columns(
            self.bigint("incarnation")?,
            self.bigint("renewed_at")?,
        ))
    }

    /// The record's version as the statement saw it (`None`: no record).
    pub(crate) fn record_version(&self) -> Result<Option<u64>, String> {
        Ok(self.bigint("version")?.map(u64_from_cql))
    }

    /// The result of an append batch, from its guard's outcome.
    pub(crate) fn append_result(
        &self,
        owner: &OwnerId,
        epoch: Epoch,
        first_seq: Seq,
    ) -> Result<(), AppendError> {
        if self.applied {
            return Ok(());
        }
        let current = self
            .statics()
            .map_err(|problem| undecodable_lwt("append", &problem))?;
        Err(decide::append_refused(
            current.as_ref(),
            owner,
            epoch,
            first_seq,
        ))
    }

    /// The result of a release.
    pub(crate) fn release_result(&self, owner: &OwnerId, epoch: Epoch) -> Result<(), AppendError> {
        if self.applied {
            return Ok(());
        }
        let current = self
            .statics()
            .map_err(|problem| undecodable_lwt("release", &problem))?;
        decide::release_refused(
            current.as_ref().map(|statics| &statics.ownership),
            owner,
            epoch,
        )
    }

    /// The result of a retire.
    pub(crate) fn retire_result(&self, owner: &OwnerId, epoch: Epoch) -> Result<(), AppendError> {
        if self.applied {
            return Ok(());
        }
        let current = self
            .statics()
            .map_err(|problem| undecodable_lwt("retire", &problem))?;
        decide::retire_refused(
            current.as_ref().map(|statics| &statics.ownership),
            owner,
            epoch,
        )
    }
}

#[cfg(test)]
mod tests;
