//! CSV import and export.
//!
//! Importers ([`import_managers`], [`import_pool`], [`import_fixtures`], [`import_performances`])
//! take the uploaded bytes and return either every row, parsed and validated, or every problem
//! found, each with its line number and column; nothing is half-imported. The file rules, shared
//! by all importers:
//! - at most [`Limits::max_bytes`] bytes (default 1 MiB) and [`Limits::max_rows`] data rows
//!   (default 5,000); the messages state the limits;
//! - UTF-8 text, with or without a byte-order mark; UTF-16 and binary files are refused with a
//!   hint to save as "CSV UTF-8"; a cell that is not valid UTF-8 is reported at its line;
//! - comma-separated, header row first; header names are matched ignoring case, surrounding
//!   spaces and the difference between spaces, hyphens and underscores; missing, unknown and
//!   repeated columns are refused, naming the expected columns;
//! - blank lines and rows whose cells are all empty are skipped;
//! - text cells are trimmed; a text cell starting like a spreadsheet formula (`=`, `+`, `-`, `@`,
//!   tab, carriage return) or containing a control character is refused;
//! - duplicates (same email in the same league, same asset id, same match, ...) are refused,
//!   naming the line of the first occurrence.
//!
//! Exporters ([`export`]) write CSV UTF-8 with a byte-order mark and CRLF line ends (what
//! spreadsheets expect), and neutralise formula injection by prefixing `'` to any text cell that
//! starts like a formula. Managers, pools, fixtures and performances round-trip through their
//! importers.

pub mod export;
mod fixtures;
mod managers;
mod performances;
mod pool;

use std::collections::BTreeMap;
use std::fmt;

use csv::ByteRecord;

use crate::model::{EmailError, FORMULA_PREFIXES, NameError};
use crate::timefmt::DateTimeError;
use auction::setup::Asset;

pub use export::{
    BidLine, RosterLine, export_bid_history_csv, export_fixtures_csv, export_managers_csv,
    export_performances_csv, export_pool_csv, export_rosters_csv, export_table_csv,
};
pub use fixtures::{UnknownTeams, import_fixtures};
pub use managers::{ManagerRow, import_managers};
pub use performances::import_performances;
pub(crate) use pool::read_pool_rows;
pub use pool::{derive_asset_id, import_pool};

/// Size limits of an imported file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest file, in bytes.
    pub max_bytes: usize,
    /// Most data rows (header and blank rows not counted).
    pub max_rows: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 1024 * 1024,
            max_rows: 5_000,
        }
    }
}

/// Why a file was refused. Either the file as a whole is unusable, or some rows are wrong
/// ([`ImportError::Rows`], listing every problem).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// No bytes, or nothing but a byte-order mark and blank lines.
    #[error("the file is empty")]
    Empty,
    /// Over [`Limits::max_bytes`].
    #[error("the file is {}, over the limit of {}", size_phrase(*.bytes), size_phrase(*.limit))]
    TooLarge {
        /// The file's size.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// Over [`Limits::max_rows`] data rows.
    #[error("the file has more than {limit} rows, the most one import takes")]
    TooManyRows {
        /// The limit.
        limit: usize,
    },
    /// A UTF-16 byte-order mark.
    #[error("the file is UTF-16 text: save it as \"CSV UTF-8\" and upload it again")]
    Utf16,
    /// NUL bytes: a binary file (a spreadsheet workbook, an image) or UTF-16 without a mark.
    #[error(
        "the file is not CSV text (it contains NUL bytes): save it as \"CSV UTF-8\" and upload it again"
    )]
    NotText,
    /// A header row that does not name the expected columns.
    #[error("{}", describe_columns(.expected, .missing, .unknown, .repeated, .hint))]
    Columns {
        /// The columns this import takes, required ones first.
        expected: Vec<&'static str>,
        /// Required columns that are absent.
        missing: Vec<&'static str>,
        /// Header cells that are not columns of this import.
        unknown: Vec<String>,
        /// Columns named more than once.
        repeated: Vec<String>,
        /// A guess at the cause, when there is a likely one.
        hint: Option<&'static str>,
    },
    /// A header row and nothing else.
    #[error("the file has a header row but no data rows")]
    NoRows,
    /// Some rows are wrong: every problem, in file order.
    #[error("{}", describe_rows(.0))]
    Rows(Vec<RowError>),
}

impl ImportError {
    /// The row problems, when the file was refused because of its rows.
    pub fn row_errors(&self) -> &[RowError] {
        match self {
            ImportError::Rows(errors) => errors,
            _ => &[],
        }
    }
}

/// One problem in one row (and usually one column) of an imported file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}{}: {problem}", .column.map(|column| format!(", column {column}")).unwrap_or_default())]
pub struct RowError {
    /// The line of the file where the row starts (the header is line 1).
    pub line: u64,
    /// The column, when the problem is in one cell.
    pub column: Option<&'static str>,
    /// What is wrong.
    pub problem: RowProblem,
}

/// What is wrong with a row or cell. Each displays as the tail of "line N, column C: ...".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowProblem {
    /// Fewer cells than header columns.
    #[error("the row has {found} cells but the header has {expected}")]
    CellCount {
        /// Header columns.
        expected: usize,
        /// Cells in the row.
        found: usize,
    },
    /// A value in a column that the header does not name.
    #[error("cell {position} has a value but its column has no name in the header row")]
    StrayCell {
        /// The cell's position in the row, from 1.
        position: usize,
    },
    /// A cell that is not valid UTF-8.
    #[error("the cell is not valid UTF-8 text: save the file as \"CSV UTF-8\"")]
    NotUtf8,
    /// A required cell left empty.
    #[error("a value is required")]
    Required,
    /// A cell starting like a spreadsheet formula.
    #[error(
        "{value} starts with {first:?}, which spreadsheets run as a formula: remove that character"
    )]
    Formula {
        /// The cell (quoted, shortened).
        value: String,
        /// The offending first character.
        first: char,
    },
    /// A cell containing a control character (a tab or line break inside the text, ...).
    #[error("{value} contains a control character (such as a tab or a line break)")]
    ControlCharacter {
        /// The cell (quoted, shortened).
        value: String,
    },
    /// A cell longer than its column allows.
    #[error("{value} is longer than {max} characters")]
    TooLong {
        /// The cell (quoted, shortened).
        value: String,
        /// The limit.
        max: usize,
    },
    /// A name that is not valid.
    #[error("{value} {problem}")]
    Name {
        /// The cell (quoted, shortened).
        value: String,
        /// What is wrong with it.
        problem: NameError,
    },
    /// Not an email address.
    #[error("{value} {problem}")]
    Email {
        /// The cell (quoted, shortened).
        value: String,
        /// What is wrong with it.
        problem: EmailError,
    },
    /// Not a whole number in range.
    #[error("{value} is not a whole number from {min} to {max}")]
    Number {
        /// The cell (quoted, shortened).
        value: String,
        /// Smallest allowed.
        min: u32,
        /// Largest allowed.
        max: u32,
    },
    /// Not an id.
    #[error("{value} is not a valid id: use 1 to 64 letters, digits and the characters _ . : @ -")]
    Id {
        /// The cell (quoted, shortened).
        value: String,
    },
    /// No id given and none can be derived from the name.
    #[error("no id can be made from the name {name}: give the row an id")]
    NoDerivableId {
        /// The name (quoted, shortened).
        name: String,
    },
    /// A value that must be unique already appeared.
    #[error("{value} already appears on line {first_line}")]
    Duplicate {
        /// The repeated value (quoted, shortened).
        value: String,
        /// Where it first appeared.
        first_line: u64,
    },
    /// Not a date-time.
    #[error("{value} {problem}")]
    DateTime {
        /// The cell (quoted, shortened).
        value: String,
        /// What is wrong with it.
        problem: DateTimeError,
    },
    /// Not a fixture status.
    #[error(
        "{value} is not a fixture status: use scheduled, live, finished, postponed or cancelled"
    )]
    Status {
        /// The cell (quoted, shortened).
        value: String,
    },
    /// A league that is not among the importer's leagues.
    #[error("{value} is not one of the leagues you are importing into (give its id or exact name)")]
    UnknownLeague {
        /// The cell (quoted, shortened).
        value: String,
    },
    /// A name that matches more than one league.
    #[error("{value} is the name of more than one of your leagues: use the league id instead")]
    AmbiguousLeague {
        /// The cell (quoted, shortened).
        value: String,
    },
    /// A league whose auction has started.
    #[error("league {league} has already started its auction, so managers cannot be added")]
    LeagueNotOpen {
        /// The league's name (quoted).
        league: String,
    },
    /// More managers than the league allows.
    #[error("{}", describe_full(.league, *.max_managers, *.free))]
    LeagueFull {
        /// The league's name (quoted).
        league: String,
        /// Its limit.
        max_managers: u8,
        /// Managers it has now.
        existing: usize,
        /// Places left before this import.
        free: usize,
    },
    /// A team or player that is not an asset of the league.
    #[error("{value} is not in this league's asset pool (give its id or exact name)")]
    UnknownAsset {
        /// The cell (quoted, shortened).
        value: String,
    },
    /// A name shared by several assets of the pool.
    #[error("{value} is the name of more than one asset in the pool: use the asset id instead")]
    AmbiguousAsset {
        /// The cell (quoted, shortened).
        value: String,
    },
    /// Home and away are the same team.
    #[error("home and away are the same team")]
    SameTeam,
    /// One goal cell filled and the other empty.
    #[error("home_goals and away_goals must both be given or both be empty")]
    HalfScore,
    /// A finished fixture without a score.
    #[error("a finished fixture needs home_goals and away_goals")]
    ScoreRequired,
    /// A score on a fixture that has not been played.
    #[error("a {status} fixture cannot have a score")]
    ScoreNotAllowed {
        /// The fixture's status.
        status: &'static str,
    },
}

/// Renders a cell value for an error message: quoted, control characters shown as `?`, and cut
/// to 40 characters so that a huge cell cannot flood the message.
pub(crate) fn quote(value: &str) -> String {
    const MAX_SHOWN: usize = 40;
    let mut shown: String = value
        .chars()
        .take(MAX_SHOWN)
        .map(|character| {
            if character.is_control() {
                '?'
            } else {
                character
            }
        })
        .collect();
    if value.chars().count() > MAX_SHOWN {
        shown.push('…');
    }
    format!("'{shown}'")
}

fn human_size(bytes: usize) -> String {
    const MIB: usize = 1024 * 1024;
    const KIB: usize = 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= MIB {
        format!("{:.1} MiB", bytes as f64 / MIB as f64)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else if bytes >= KIB {
        format!("{:.1} KiB", bytes as f64 / KIB as f64)
    } else {
        format!("{bytes} bytes")
    }
}

/// A size for people, with the exact byte count when the short form rounds.
fn size_phrase(bytes: usize) -> String {
    let human = human_size(bytes);
    if human.ends_with(" bytes") {
        human
    } else {
        format!("{human} ({bytes} bytes)")
    }
}

fn describe_full(league: &str, max_managers: u8, free: usize) -> String {
    match free {
        0 => format!("league {league} is full (limit {max_managers} managers)"),
        1 => format!(
            "league {league} is full (limit {max_managers} managers): its 1 free place is taken by earlier rows of this file"
        ),
        _ => format!(
            "league {league} is full (limit {max_managers} managers): its {free} free places are taken by earlier rows of this file"
        ),
    }
}

fn describe_columns(
    expected: &[&'static str],
    missing: &[&'static str],
    unknown: &[String],
    repeated: &[String],
    hint: &Option<&'static str>,
) -> String {
    let mut problems = Vec::new();
    if !missing.is_empty() {
        problems.push(format!("missing {}", missing.join(", ")));
    }
    if !unknown.is_empty() {
        let names: Vec<String> = unknown.iter().map(|name| quote(name)).collect();
        problems.push(format!("unexpected {}", names.join(", ")));
    }
    if !repeated.is_empty() {
        problems.push(format!("repeated {}", repeated.join(", ")));
    }
    let mut message = format!(
        "the header row must name the columns {} ({})",
        expected.join(", "),
        problems.join("; ")
    );
    if let Some(hint) = hint {
        message.push_str(": ");
        message.push_str(hint);
    }
    message
}

fn describe_rows(errors: &[RowError]) -> String {
    const MAX_LISTED: usize = 20;
    let count = errors.len();
    let noun = if count == 1 { "problem" } else { "problems" };
    let listed: Vec<String> = errors
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

// === the shared reader ===

/// The columns an importer takes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Schema {
    /// Columns that must be in the header, canonical lowercase snake_case names.
    pub(crate) required: &'static [&'static str],
    /// Columns that may be in the header.
    pub(crate) optional: &'static [&'static str],
}

impl Schema {
    fn expected(&self) -> Vec<&'static str> {
        self.required.iter().chain(self.optional).copied().collect()
    }
}

/// A parsed file: which file column holds each schema column, and the non-blank data rows with
/// the line each starts on.
#[derive(Debug)]
pub(crate) struct Table {
    positions: BTreeMap<&'static str, usize>,
    width: usize,
    rows: Vec<(u64, ByteRecord)>,
}

/// Line numbers as a person sees them in an editor, from byte offsets.
///
/// The csv reader's own line counter drifts on CRLF files (it counts a record's `\n` with the
/// next record), so lines are counted here: a line ends at each `\n`, or at each `\r` in a file
/// that has no `\n` at all (classic Mac line ends).
#[derive(Debug)]
struct LineIndex<'i> {
    input: &'i [u8],
    line_ends: Vec<usize>,
}

impl<'i> LineIndex<'i> {
    fn new(input: &'i [u8]) -> Self {
        let terminator = if input.contains(&b'\n') { b'\n' } else { b'\r' };
        let line_ends = input
            .iter()
            .enumerate()
            .filter(|(_, byte)| **byte == terminator)
            .map(|(at, _)| at)
            .collect();
        LineIndex { input, line_ends }
    }

    /// The line of the record the csv reader placed at `offset`. The reader puts a record's
    /// position on the line break before it (and before any blank lines it skipped), so line
    /// breaks are skipped first.
    fn line_of_record(&self, offset: usize) -> u64 {
        let start = offset
            + self
                .input
                .get(offset..)
                .unwrap_or_default()
                .iter()
                .take_while(|byte| matches!(byte, b'\r' | b'\n'))
                .count();
        let line_breaks_before = self.line_ends.partition_point(|end| *end < start);
        u64::try_from(line_breaks_before)
            .unwrap_or(u64::MAX)
            .saturating_add(1)
    }
}

/// Reads the bytes of a CSV file, checking the file-level rules (size, encoding, header, row
/// count). Row contents are checked by the importer through [`Table::rows`].
pub(crate) fn read_table(
    input: &[u8],
    schema: Schema,
    limits: Limits,
) -> Result<Table, ImportError> {
    if input.len() > limits.max_bytes {
        return Err(ImportError::TooLarge {
            bytes: input.len(),
            limit: limits.max_bytes,
        });
    }
    if input.starts_with(&[0xFF, 0xFE]) || input.starts_with(&[0xFE, 0xFF]) {
        return Err(ImportError::Utf16);
    }
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    if input.contains(&0) {
        return Err(ImportError::NotText);
    }
    if input.iter().all(u8::is_ascii_whitespace) {
        return Err(ImportError::Empty);
    }
    let lines = LineIndex::new(input);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    let mut records = reader.byte_records();
    let header = loop {
        match records.next() {
            None => return Err(ImportError::Empty),
            Some(Ok(record)) if is_blank(&record) => continue,
            Some(Ok(record)) => break record,
            // Reading from memory with `flexible` set, the csv reader has no failure mode left;
            // report one anyway rather than panic.
            Some(Err(_)) => return Err(ImportError::Empty),
        }
    };
    let positions = match_header(&header, schema)?;
    let mut rows = Vec::new();
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                // Unreachable for in-memory input with `flexible` set; reported rather than panicking.
                let offset = error
                    .position()
                    .map_or(0, |position| usize::try_from(position.byte()).unwrap_or(0));
                let line = lines.line_of_record(offset);
                return Err(ImportError::Rows(vec![RowError {
                    line,
                    column: None,
                    problem: RowProblem::NotUtf8,
                }]));
            }
        };
        if is_blank(&record) {
            continue;
        }
        if rows.len() == limits.max_rows {
            return Err(ImportError::TooManyRows {
                limit: limits.max_rows,
            });
        }
        let offset = record
            .position()
            .map_or(0, |position| usize::try_from(position.byte()).unwrap_or(0));
        rows.push((lines.line_of_record(offset), record));
    }
    if rows.is_empty() {
        return Err(ImportError::NoRows);
    }
    Ok(Table {
        positions,
        width: header.len(),
        rows,
    })
}

fn is_blank(record: &ByteRecord) -> bool {
    record
        .iter()
        .all(|field| field.iter().all(u8::is_ascii_whitespace))
}

/// The key a header cell is matched on: lowercase, without spaces, hyphens or underscores
/// (`E-Mail`, `email` and `EMAIL` match `email`; `Home Goals` matches `home_goals`).
fn header_key(name: &str) -> String {
    name.trim().to_lowercase().replace([' ', '-', '_'], "")
}

fn match_header(
    header: &ByteRecord,
    schema: Schema,
) -> Result<BTreeMap<&'static str, usize>, ImportError> {
    let mut positions = BTreeMap::new();
    let mut unknown = Vec::new();
    let mut repeated = Vec::new();
    for (index, raw) in header.iter().enumerate() {
        let text = String::from_utf8_lossy(raw);
        let name = header_key(&text);
        if name.is_empty() {
            // Spreadsheets add unnamed columns; cells under them must stay empty (checked by
            // `Cells::check_shape`).
            continue;
        }
        match schema
            .required
            .iter()
            .chain(schema.optional)
            .find(|column| header_key(column) == name)
        {
            Some(column) => {
                if positions.insert(*column, index).is_some()
                    && !repeated.contains(&column.to_string())
                {
                    repeated.push(column.to_string());
                }
            }
            None => unknown.push(text.trim().to_owned()),
        }
    }
    let missing: Vec<&'static str> = schema
        .required
        .iter()
        .filter(|column| !positions.contains_key(*column))
        .copied()
        .collect();
    if missing.is_empty() && unknown.is_empty() && repeated.is_empty() {
        return Ok(positions);
    }
    let hint = if header.len() == 1 && header.iter().any(|cell| cell.contains(&b';')) {
        Some("the file seems to use semicolons; save it with commas as separators")
    } else if header.len() == 1 && header.iter().any(|cell| cell.contains(&b'\t')) {
        Some("the file seems to use tabs; save it as CSV with commas as separators")
    } else if missing.len() == schema.required.len() && !unknown.is_empty() {
        Some("the first row must be the header row")
    } else {
        None
    };
    Err(ImportError::Columns {
        expected: schema.expected(),
        missing,
        unknown,
        repeated,
        hint,
    })
}

impl Table {
    /// Whether the file has `column`.
    pub(crate) fn has_column(&self, column: &str) -> bool {
        self.positions.contains_key(column)
    }

    /// The data rows with their line numbers; each row's cells are read through [`Cells`].
    pub(crate) fn rows(&self) -> impl Iterator<Item = Cells<'_>> {
        self.rows.iter().map(move |(line, record)| Cells {
            table: self,
            line: *line,
            record,
        })
    }
}

/// One data row of a [`Table`], read cell by cell. Every read that fails records a [`RowError`]
/// into the caller's list and returns `Err(Recorded)`, so that an importer can read every cell
/// of a row, collect all of its problems, and build the row only when there were none.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cells<'t> {
    table: &'t Table,
    line: u64,
    record: &'t ByteRecord,
}

/// Marker: the problem was recorded in the error list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Recorded;

impl<'t> Cells<'t> {
    /// The line where the row starts.
    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    /// Checks the row has a cell for every header column, and that cells outside the named
    /// columns (beyond the header, or under an unnamed header cell) are empty.
    pub(crate) fn check_shape(&self, errors: &mut Vec<RowError>) -> Result<(), Recorded> {
        let found = self.record.len();
        let named: Vec<usize> = self.table.positions.values().copied().collect();
        let stray = self.record.iter().enumerate().find(|(index, cell)| {
            !named.contains(index) && !cell.iter().all(u8::is_ascii_whitespace)
        });
        let problem = if found < self.table.width {
            RowProblem::CellCount {
                expected: self.table.width,
                found,
            }
        } else if let Some((index, _)) = stray {
            RowProblem::StrayCell {
                position: index + 1,
            }
        } else {
            return Ok(());
        };
        errors.push(RowError {
            line: self.line(),
            column: None,
            problem,
        });
        Err(Recorded)
    }

    fn fail(
        &self,
        errors: &mut Vec<RowError>,
        column: &'static str,
        problem: RowProblem,
    ) -> Recorded {
        errors.push(RowError {
            line: self.line(),
            column: Some(column),
            problem,
        });
        Recorded
    }

    /// The raw cell of `column` (empty when the column is absent from the file).
    fn raw(&self, errors: &mut Vec<RowError>, column: &'static str) -> Result<&'t str, Recorded> {
        let Some(index) = self.table.positions.get(column) else {
            return Ok("");
        };
        let bytes = self.record.get(*index).unwrap_or_default();
        std::str::from_utf8(bytes).map_err(|_| self.fail(errors, column, RowProblem::NotUtf8))
    }

    /// A trimmed text cell, or `None` when empty. Refuses formula prefixes, control characters
    /// and more than `max_chars` characters.
    pub(crate) fn optional_text(
        &self,
        errors: &mut Vec<RowError>,
        column: &'static str,
        max_chars: usize,
    ) -> Result<Option<String>, Recorded> {
        let raw = self.raw(errors, column)?;
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Ok(None);
        }
        let first_raw = raw.chars().next().unwrap_or(' ');
        let first_trimmed = trimmed.chars().next().unwrap_or(' ');
        let formula = [first_raw, first_trimmed]
            .into_iter()
            .find(|first| FORMULA_PREFIXES.contains(first));
        if let Some(first) = formula {
            return Err(self.fail(
                errors,
                column,
                RowProblem::Formula {
                    value: quote(trimmed),
                    first,
                },
            ));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(self.fail(
                errors,
                column,
                RowProblem::ControlCharacter {
                    value: quote(trimmed),
                },
            ));
        }
        if trimmed.chars().count() > max_chars {
            return Err(self.fail(
                errors,
                column,
                RowProblem::TooLong {
                    value: quote(trimmed),
                    max: max_chars,
                },
            ));
        }
        Ok(Some(trimmed.to_owned()))
    }

    /// A trimmed, non-empty text cell (see [`Cells::optional_text`]).
    pub(crate) fn required_text(
        &self,
        errors: &mut Vec<RowError>,
        column: &'static str,
        max_chars: usize,
    ) -> Result<String, Recorded> {
        self.optional_text(errors, column, max_chars)?
            .ok_or_else(|| self.fail(errors, column, RowProblem::Required))
    }

    /// A whole number from `min` to `max`, or `None` when the cell is empty.
    pub(crate) fn optional_number(
        &self,
        errors: &mut Vec<RowError>,
        column: &'static str,
        min: u32,
        max: u32,
    ) -> Result<Option<u32>, Recorded> {
        let raw = self.raw(errors, column)?;
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Ok(None);
        }
        let parsed = if trimmed.bytes().all(|byte| byte.is_ascii_digit()) && trimmed.len() <= 9 {
            trimmed.parse::<u32>().ok()
        } else {
            None
        };
        match parsed {
            Some(number) if (min..=max).contains(&number) => Ok(Some(number)),
            _ => Err(self.fail(
                errors,
                column,
                RowProblem::Number {
                    value: quote(trimmed),
                    min,
                    max,
                },
            )),
        }
    }

    /// A required whole number from `min` to `max`.
    pub(crate) fn required_number(
        &self,
        errors: &mut Vec<RowError>,
        column: &'static str,
        min: u32,
        max: u32,
    ) -> Result<u32, Recorded> {
        self.optional_number(errors, column, min, max)?
            .ok_or_else(|| self.fail(errors, column, RowProblem::Required))
    }

    /// Records a problem found by the importer itself (lookups, cross-cell rules).
    pub(crate) fn report(
        &self,
        errors: &mut Vec<RowError>,
        column: Option<&'static str>,
        problem: RowProblem,
    ) -> Recorded {
        errors.push(RowError {
            line: self.line(),
            column,
            problem,
        });
        Recorded
    }
}

/// Remembers the first line of each key, to report duplicates.
#[derive(Debug)]
pub(crate) struct FirstSeen<K: Ord> {
    lines: BTreeMap<K, u64>,
}

impl<K: Ord> FirstSeen<K> {
    pub(crate) fn new() -> Self {
        FirstSeen {
            lines: BTreeMap::new(),
        }
    }

    /// Records `key` at `line`; returns the first line if it was seen before.
    pub(crate) fn check(&mut self, key: K, line: u64) -> Option<u64> {
        match self.lines.get(&key) {
            Some(first) => Some(*first),
            None => {
                self.lines.insert(key, line);
                None
            }
        }
    }
}

/// Resolves a team or player named in a results file to an asset of the pool: by exact id, or by
/// name ignoring case and surrounding spaces. Never by a partial or fuzzy match.
#[derive(Debug)]
pub(crate) struct AssetResolver<'p> {
    by_id: BTreeMap<&'p str, &'p Asset>,
    by_name: BTreeMap<String, Vec<&'p Asset>>,
}

/// The outcome of resolving a cell against the pool.
#[derive(Debug)]
pub(crate) enum Resolved<'p> {
    Found(&'p Asset),
    Unknown,
    Ambiguous,
}

impl<'p> AssetResolver<'p> {
    pub(crate) fn new(pool: &'p [Asset]) -> Self {
        let mut by_id = BTreeMap::new();
        let mut by_name: BTreeMap<String, Vec<&Asset>> = BTreeMap::new();
        for asset in pool {
            by_id.insert(asset.id.as_str(), asset);
            by_name
                .entry(asset.name.trim().to_lowercase())
                .or_default()
                .push(asset);
        }
        AssetResolver { by_id, by_name }
    }

    pub(crate) fn resolve(&self, value: &str) -> Resolved<'p> {
        if let Some(asset) = self.by_id.get(value) {
            return Resolved::Found(asset);
        }
        match self
            .by_name
            .get(&value.trim().to_lowercase())
            .map(Vec::as_slice)
        {
            Some([asset]) => Resolved::Found(asset),
            Some([_, _, ..]) => Resolved::Ambiguous,
            Some([]) | None => Resolved::Unknown,
        }
    }
}

impl fmt::Display for Limits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} and {} rows",
            human_size(self.max_bytes),
            self.max_rows
        )
    }
}

#[cfg(test)]
mod tests;
