//! CSV exports: managers, pools, fixtures and performances (each re-importable), and the auction's
//! rosters, its bid history and the league table.
//!
//! Files are CSV UTF-8 with a byte-order mark (so spreadsheets read `£` and `ø` correctly) and CRLF
//! line ends. Any text cell that starts like a formula (`=`, `+`, `-`, `@`, tab, carriage return) is
//! written with a leading `'`, which spreadsheets display as text: a manager named
//! `=HYPERLINK(...)` cannot run anything on the commissioner's machine. Numbers the exporter
//! writes itself (amounts, points) are never prefixed.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::ManagerRow;
use crate::model::FORMULA_PREFIXES;
use crate::scoring::{AssetStats, Fixture, Performance, TableRow};
use crate::timefmt;
use auction::ids::{AssetId, UserId};
use auction::money::{CurrencyFormat, Money};
use auction::setup::Asset;
use auction::time::Timestamp;
use auction::view::{BidOutcome, Results};

/// One asset on one manager's roster after the auction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterLine {
    /// The manager.
    pub manager_id: UserId,
    /// The manager's display name.
    pub manager: String,
    /// The asset.
    pub asset_id: AssetId,
    /// The asset's name.
    pub asset: String,
    /// What the manager paid (a keeper's cost for keepers).
    pub price: Money,
    /// Whether it was a keeper assigned before the draft.
    pub keeper: bool,
    /// The lot it was bought in (none for keepers).
    pub lot: Option<u32>,
}

/// One accepted bid of the auction's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BidLine {
    /// The lot number (from 1).
    pub lot: u32,
    /// The asset's name.
    pub asset: String,
    /// The bidder's display name.
    pub bidder: String,
    /// The amount bid.
    pub amount: Money,
    /// Whether the system placed it from the bidder's proxy maximum.
    pub by_proxy: bool,
    /// When it was accepted.
    pub at: Timestamp,
    /// What became of the bid ("won", "outbid", "leading", ...).
    pub outcome: String,
}

impl RosterLine {
    /// Every roster entry of an auction's results, manager by manager (keepers first, then
    /// purchases in lot order). Asset names come from `pool`; an asset missing from it is
    /// shown by its id.
    pub fn from_results(results: &Results, pool: &[Asset]) -> Vec<RosterLine> {
        results
            .managers
            .iter()
            .flat_map(|manager| {
                manager.roster.iter().map(move |entry| RosterLine {
                    manager_id: manager.id.clone(),
                    manager: manager.name.clone(),
                    asset_id: entry.asset.clone(),
                    asset: asset_name(pool, &entry.asset),
                    price: entry.price,
                    keeper: entry.keeper,
                    lot: entry.lot.map(|lot| lot.get()),
                })
            })
            .collect()
    }
}

impl BidLine {
    /// Every accepted bid of an auction's results, in order, with bidder and asset names.
    pub fn from_results(results: &Results, pool: &[Asset]) -> Vec<BidLine> {
        results
            .history
            .iter()
            .map(|row| BidLine {
                lot: row.lot.get(),
                asset: asset_name(pool, &row.asset),
                bidder: results
                    .managers
                    .iter()
                    .find(|manager| manager.id == row.bidder)
                    .map_or_else(|| row.bidder.to_string(), |manager| manager.name.clone()),
                amount: row.amount,
                by_proxy: row.by_proxy,
                at: row.at,
                outcome: bid_outcome(&row.outcome).to_owned(),
            })
            .collect()
    }
}

fn asset_name(pool: &[Asset], id: &AssetId) -> String {
    pool.iter()
        .find(|asset| &asset.id == id)
        .map_or_else(|| id.to_string(), |asset| asset.name.clone())
}

/// What became of a bid, in words for the export.
fn bid_outcome(outcome: &BidOutcome) -> &'static str {
    match outcome {
        BidOutcome::Leading => "leading",
        BidOutcome::Outbid => "outbid",
        BidOutcome::Won => "won",
        BidOutcome::SaleUndone => "won, sale undone",
        BidOutcome::Withdrawn => "withdrawn (auction ended)",
    }
}

/// Managers as `name,email,league` (the league id), re-importable by
/// [`super::import_managers`]. The rows' `line` is ignored.
pub fn export_managers_csv(managers: &[ManagerRow]) -> String {
    let mut sheet = Sheet::new(&["name", "email", "league"]);
    for manager in managers {
        sheet.row([
            safe(&manager.name),
            safe(manager.email.as_str()),
            safe(manager.league.as_str()),
        ]);
    }
    sheet.finish()
}

/// An asset pool as `id,name,group`, re-importable by [`super::import_pool`].
pub fn export_pool_csv(assets: &[Asset]) -> String {
    let mut sheet = Sheet::new(&["id", "name", "group"]);
    for asset in assets {
        sheet.row([
            safe(asset.id.as_str()),
            safe(&asset.name),
            safe(asset.group.as_deref().unwrap_or_default()),
        ]);
    }
    sheet.finish()
}

/// Fixtures in the import layout, re-importable by [`super::import_fixtures`]. A side that is a
/// league asset is written as its asset id, any other side as its name.
pub fn export_fixtures_csv(fixtures: &[Fixture]) -> String {
    let mut sheet = Sheet::new(&[
        "external_match_id",
        "starts_at",
        "home",
        "away",
        "home_goals",
        "away_goals",
        "status",
    ]);
    for fixture in fixtures {
        let side = |side: &crate::scoring::Side| match &side.asset {
            Some(asset) => safe(asset.as_str()).into_owned(),
            None => safe(&side.name).into_owned(),
        };
        let (home_goals, away_goals) = match fixture.score {
            Some(score) => (score.home.to_string(), score.away.to_string()),
            None => (String::new(), String::new()),
        };
        sheet.row([
            safe(&fixture.match_id),
            Cow::Owned(timefmt::format_datetime(fixture.starts_at)),
            Cow::Owned(side(&fixture.home)),
            Cow::Owned(side(&fixture.away)),
            Cow::Owned(home_goals),
            Cow::Owned(away_goals),
            Cow::Borrowed(fixture.status.as_str()),
        ]);
    }
    sheet.finish()
}

/// Cricket performances in the import layout, re-importable by [`super::import_performances`].
pub fn export_performances_csv(performances: &[Performance]) -> String {
    let mut sheet = Sheet::new(&[
        "match_id",
        "player_id",
        "runs",
        "wickets",
        "catches",
        "stumpings",
        "run_outs",
    ]);
    for performance in performances {
        sheet.row([
            safe(&performance.match_id),
            safe(performance.player.as_str()),
            Cow::Owned(performance.runs.to_string()),
            Cow::Owned(performance.wickets.to_string()),
            Cow::Owned(performance.catches.to_string()),
            Cow::Owned(performance.stumpings.to_string()),
            Cow::Owned(performance.run_outs.to_string()),
        ]);
    }
    sheet.finish()
}

/// Every manager's roster with prices: `manager,asset,price,price_display,keeper,lot`. `price` is
/// in base currency units (£48m is 48000000); `price_display` uses the league's currency format.
pub fn export_rosters_csv(lines: &[RosterLine], currency: &CurrencyFormat) -> String {
    let mut sheet = Sheet::new(&[
        "manager",
        "manager_id",
        "asset",
        "asset_id",
        "price",
        "price_display",
        "keeper",
        "lot",
    ]);
    for line in lines {
        sheet.row([
            safe(&line.manager),
            safe(line.manager_id.as_str()),
            safe(&line.asset),
            safe(line.asset_id.as_str()),
            Cow::Owned(money_units(line.price).to_string()),
            safe(&currency.format(line.price)).into_owned().into(),
            Cow::Borrowed(if line.keeper { "yes" } else { "no" }),
            Cow::Owned(line.lot.map(|lot| lot.to_string()).unwrap_or_default()),
        ]);
    }
    sheet.finish()
}

/// The full bid history: `lot,asset,bidder,amount,amount_display,by_proxy,at,outcome`, with `at`
/// in RFC 3339 UTC.
pub fn export_bid_history_csv(lines: &[BidLine], currency: &CurrencyFormat) -> String {
    let mut sheet = Sheet::new(&[
        "lot",
        "asset",
        "bidder",
        "amount",
        "amount_display",
        "by_proxy",
        "at",
        "outcome",
    ]);
    for line in lines {
        sheet.row([
            Cow::Owned(line.lot.to_string()),
            safe(&line.asset),
            safe(&line.bidder),
            Cow::Owned(money_units(line.amount).to_string()),
            safe(&currency.format(line.amount)).into_owned().into(),
            Cow::Borrowed(if line.by_proxy { "yes" } else { "no" }),
            Cow::Owned(timefmt::format_datetime(line.at)),
            safe(&line.outcome),
        ]);
    }
    sheet.finish()
}

/// The league table: `rank,manager,points`, the sport's tiebreakers (`goals_for,wins` or
/// `runs,wickets`), then `assets` as `Name (points)` joined by `; `. Asset names come from `pool`
/// (the id is written when an asset is not in it).
pub fn export_table_csv(rows: &[TableRow], pool: &[Asset]) -> String {
    let tiebreak_columns = match rows.first().map(|row| &row.stats) {
        Some(AssetStats::Cricket(_)) => ["runs", "wickets"],
        Some(AssetStats::Football(_)) | None => ["goals_for", "wins"],
    };
    let mut sheet = Sheet::new(&[
        "rank",
        "manager",
        "points",
        tiebreak_columns[0],
        tiebreak_columns[1],
        "assets",
    ]);
    for row in rows {
        let [first, second] = row.stats.tiebreakers();
        let assets: Vec<String> = row
            .assets
            .iter()
            .map(|(asset, points)| format!("{} ({points})", asset_name(pool, asset)))
            .collect();
        sheet.row([
            Cow::Owned(row.rank.to_string()),
            safe(&row.name),
            Cow::Owned(row.points.to_string()),
            Cow::Owned(first.to_string()),
            Cow::Owned(second.to_string()),
            safe(&assets.join("; ")).into_owned().into(),
        ]);
    }
    sheet.finish()
}

/// Neutralises formula injection: a text cell starting like a formula gets a leading `'`.
pub fn safe(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some(first) if FORMULA_PREFIXES.contains(&first) => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

fn money_units(money: Money) -> u64 {
    money.units()
}

/// A CSV document being written: BOM, header, rows, CRLF line ends.
struct Sheet {
    writer: csv::Writer<Vec<u8>>,
}

impl Sheet {
    fn new(header: &[&str]) -> Sheet {
        let buffer = "\u{FEFF}".as_bytes().to_vec();
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(buffer);
        writer
            .write_record(header)
            .expect("writing a CSV record to memory cannot fail");
        Sheet { writer }
    }

    fn row<'c, const N: usize>(&mut self, cells: [Cow<'c, str>; N]) {
        self.writer
            .write_record(cells.iter().map(|cell| cell.as_bytes()))
            .expect(
                "writing a CSV record to memory cannot fail, and every row has the header's width",
            );
    }

    fn finish(self) -> String {
        let bytes = self
            .writer
            .into_inner()
            .expect("flushing a CSV writer into memory cannot fail");
        String::from_utf8(bytes)
            .expect("every cell written is a Rust string, so the document is UTF-8")
    }
}
