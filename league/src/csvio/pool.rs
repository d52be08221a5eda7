//! Import of a custom asset pool: `id,name,group`, of which only `name` is required.
//!
//! Without an id, one is derived from the name ([`derive_asset_id`]: `Brighton & Hove Albion` →
//! `brighton-hove-albion`, `Bodø/Glimt` → `bodo-glimt`). Ids, given or derived, must be unique.
//! The shipped catalogues are read by the same code, with an extra `role` column.

use super::{FirstSeen, ImportError, Limits, RowError, RowProblem, Schema, quote, read_table};
use crate::model::{MAX_NAME_CHARS, MAX_POOL_ASSETS};
use auction::ids::AssetId;
use auction::setup::Asset;

const SCHEMA: Schema = Schema {
    required: &["name"],
    optional: &["id", "group"],
};
const CATALOGUE_SCHEMA: Schema = Schema {
    required: &["id", "name"],
    optional: &["group", "role"],
};

/// Parses and validates a pool file. At most [`MAX_POOL_ASSETS`] rows are accepted.
pub fn import_pool(input: &[u8], limits: Limits) -> Result<Vec<Asset>, ImportError> {
    Ok(read_pool_rows(input, limits, false)?
        .into_iter()
        .map(|row| row.asset)
        .collect())
}

/// One row of a pool or catalogue file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PoolRow {
    pub(crate) line: u64,
    pub(crate) asset: Asset,
    pub(crate) role: Option<String>,
}

/// Reads pool rows; `catalogue` selects the catalogue layout (`id` required, `role` allowed).
pub(crate) fn read_pool_rows(
    input: &[u8],
    limits: Limits,
    catalogue: bool,
) -> Result<Vec<PoolRow>, ImportError> {
    let schema = if catalogue { CATALOGUE_SCHEMA } else { SCHEMA };
    let limits = Limits {
        max_rows: limits.max_rows.min(MAX_POOL_ASSETS),
        ..limits
    };
    let table = read_table(input, schema, limits)?;
    let mut errors: Vec<RowError> = Vec::new();
    let mut rows = Vec::new();
    let mut seen = FirstSeen::new();

    for cells in table.rows() {
        if cells.check_shape(&mut errors).is_err() {
            continue;
        }
        let name = cells.required_text(&mut errors, "name", MAX_NAME_CHARS);
        let given_id = cells
            .optional_text(&mut errors, "id", 64)
            .and_then(|text| match text {
                None => Ok(None),
                Some(text) => AssetId::try_new(text.clone()).map(Some).map_err(|_| {
                    cells.report(
                        &mut errors,
                        Some("id"),
                        RowProblem::Id {
                            value: quote(&text),
                        },
                    )
                }),
            });
        let group = cells.optional_text(&mut errors, "group", MAX_NAME_CHARS);
        let role = cells.optional_text(&mut errors, "role", MAX_NAME_CHARS);
        let (Ok(name), Ok(given_id), Ok(group), Ok(role)) = (name, given_id, group, role) else {
            continue;
        };
        let id = match given_id {
            Some(id) => id,
            None => match derive_asset_id(&name) {
                Some(id) => id,
                None => {
                    cells.report(
                        &mut errors,
                        Some("name"),
                        RowProblem::NoDerivableId { name: quote(&name) },
                    );
                    continue;
                }
            },
        };
        if let Some(first_line) = seen.check(id.clone(), cells.line()) {
            let column = if table.has_column("id") { "id" } else { "name" };
            cells.report(
                &mut errors,
                Some(column),
                RowProblem::Duplicate {
                    value: format!("asset id {}", quote(id.as_str())),
                    first_line,
                },
            );
            continue;
        }
        rows.push(PoolRow {
            line: cells.line(),
            asset: Asset { id, name, group },
            role,
        });
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(ImportError::Rows(errors))
    }
}

/// Derives a stable asset id from a name: lowercase ASCII letters and digits, with accents
/// removed and every other run of characters turned into one `-`, at most 64 characters.
/// `None` when nothing is left (a name of symbols or of a non-Latin script).
pub fn derive_asset_id(name: &str) -> Option<AssetId> {
    let mut slug = String::with_capacity(name.len());
    for character in name.to_lowercase().chars() {
        match character {
            'a'..='z' | '0'..='9' => slug.push(character),
            _ => match fold_latin(character) {
                Some(folded) => slug.push_str(folded),
                None if !slug.ends_with('-') => slug.push('-'),
                None => {}
            },
        }
    }
    let mut slug = slug.trim_matches('-').to_owned();
    if slug.len() > 64 {
        slug.truncate(64);
        slug = slug.trim_end_matches('-').to_owned();
    }
    if slug.is_empty() {
        None
    } else {
        AssetId::try_new(slug).ok()
    }
}

/// The ASCII spelling of a lowercase Latin letter with a diacritic, or of a ligature.
fn fold_latin(character: char) -> Option<&'static str> {
    Some(match character {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'č' | 'ĉ' | 'ċ' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'ğ' | 'ģ' | 'ġ' => "g",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => "i",
        'ķ' => "k",
        'ł' | 'ľ' | 'ļ' | 'ĺ' => "l",
        'ñ' | 'ń' | 'ň' | 'ņ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ř' => "r",
        'ś' | 'š' | 'ş' | 'ș' => "s",
        'ß' => "ss",
        'ť' | 'ţ' | 'ț' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        '\'' | '’' => "",
        _ => return None,
    })
}
