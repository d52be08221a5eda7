//! CSV importers fed good files and garbage, with the exact errors expected; exporters checked for
//! formula neutralisation and round trips.

use super::*;
use crate::model::{Email, JoinRole, League};
use crate::scoring::{FixtureStatus, Score, Side};
use crate::test_util::{aid, asset, at, auction_id, league_with, lid, uid};
use crate::timefmt;
use auction::money::{CurrencyFormat, Money};
use auction::setup::Asset;

fn managers(input: &str, leagues: &[&League]) -> Result<Vec<ManagerRow>, ImportError> {
    import_managers(input.as_bytes(), leagues, Limits::default())
}

fn row_error(line: u64, column: &'static str, problem: RowProblem) -> RowError {
    RowError {
        line,
        column: Some(column),
        problem,
    }
}

/// The Display lines of every row error, for exact comparison.
fn messages(result: Result<impl std::fmt::Debug, ImportError>) -> Vec<String> {
    match result {
        Err(ImportError::Rows(errors)) => errors.iter().map(ToString::to_string).collect(),
        other => panic!("expected row errors, got {other:?}"),
    }
}

fn pilot_leagues() -> (League, League) {
    let mut pilot_a = league_with("pilot-a", "commish", &[], 30);
    pilot_a.rename("Pilot A").expect("valid name");
    let mut pilot_b = league_with("pilot-b", "commish", &[], 30);
    pilot_b.rename("Pilot B").expect("valid name");
    (pilot_a, pilot_b)
}

fn epl_pool() -> Vec<Asset> {
    vec![
        asset("arsenal", "Arsenal"),
        asset("chelsea", "Chelsea"),
        asset("liverpool", "Liverpool"),
        asset("manchester-city", "Manchester City"),
    ]
}

// === managers: good files ===

#[test]
fn managers_file_with_bom_crlf_odd_header_case_quotes_and_blank_lines_imports() {
    let (pilot_a, pilot_b) = pilot_leagues();
    let input = "\u{FEFF}Name , E-Mail,LEAGUE\r\n\
                 Ann Lee,ANN@example.com,pilot-a\r\n\
                 \r\n\
                 \"Smith, Bob\",bob@example.com,  pilot b  \r\n\
                 ,,\r\n\
                 Chloé Müller,chloe@example.de,Pilot A\r\n";
    let rows = managers(input, &[&pilot_a, &pilot_b]).expect("valid file");
    let summary: Vec<(u64, &str, &str, &str)> = rows
        .iter()
        .map(|row| {
            (
                row.line,
                row.name.as_str(),
                row.email.as_str(),
                row.league.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (2, "Ann Lee", "ann@example.com", "pilot-a"),
            (4, "Smith, Bob", "bob@example.com", "pilot-b"),
            (6, "Chloé Müller", "chloe@example.de", "pilot-a"),
        ]
    );
}

#[test]
fn the_same_person_may_join_two_leagues_in_one_file() {
    let (pilot_a, pilot_b) = pilot_leagues();
    let rows = managers(
        "name,email,league\nAnn,ann@example.com,pilot-a\nAnn,ann@example.com,pilot-b\n",
        &[&pilot_a, &pilot_b],
    )
    .expect("different leagues");
    assert_eq!(rows.len(), 2);
}

// === managers: wrong columns ===

#[test]
fn wrong_missing_unknown_and_repeated_columns_are_refused_naming_the_expected_ones() {
    let (pilot_a, _) = pilot_leagues();
    let error = managers(
        "name,emial,league\nAnn,ann@example.com,pilot-a\n",
        &[&pilot_a],
    )
    .expect_err("misspelt");
    assert_eq!(
        error.to_string(),
        "the header row must name the columns name, email, league (missing email; unexpected 'emial')"
    );
    assert_eq!(
        error,
        ImportError::Columns {
            expected: vec!["name", "email", "league"],
            missing: vec!["email"],
            unknown: vec!["emial".into()],
            repeated: Vec::new(),
            hint: None,
        }
    );

    let error = managers(
        "name,email,league,email\nAnn,a@example.com,pilot-a,b@example.com\n",
        &[&pilot_a],
    )
    .expect_err("repeated column");
    assert_eq!(
        error.to_string(),
        "the header row must name the columns name, email, league (repeated email)"
    );

    let error = managers(
        "name,email,league,budget\nAnn,a@example.com,pilot-a,500\n",
        &[&pilot_a],
    )
    .expect_err("extra column");
    assert_eq!(
        error.to_string(),
        "the header row must name the columns name, email, league (unexpected 'budget')"
    );
}

#[test]
fn semicolon_files_and_files_without_a_header_get_a_hint() {
    let (pilot_a, _) = pilot_leagues();
    let error = managers(
        "name;email;league\nAnn;ann@example.com;pilot-a\n",
        &[&pilot_a],
    )
    .expect_err("semicolons");
    assert_eq!(
        error.to_string(),
        "the header row must name the columns name, email, league (missing name, email, league; unexpected \
         'name;email;league'): the file seems to use semicolons; save it with commas as separators"
    );
    let error = managers("Ann,ann@example.com,pilot-a\n", &[&pilot_a]).expect_err("no header");
    assert_eq!(
        error.to_string(),
        "the header row must name the columns name, email, league (missing name, email, league; unexpected \
         'Ann', 'ann@example.com', 'pilot-a'): the first row must be the header row"
    );
}

#[test]
fn rows_with_too_few_cells_or_stray_values_are_reported() {
    let (pilot_a, _) = pilot_leagues();
    let input = "name,email,league,\nAnn,ann@example.com\nBob,bob@example.com,pilot-a,oops\nCat,cat@example.com,pilot-a,\n";
    assert_eq!(
        messages(managers(input, &[&pilot_a])),
        vec![
            "line 2: the row has 2 cells but the header has 4",
            "line 3: cell 4 has a value but its column has no name in the header row",
        ]
    );
}

// === managers: encodings ===

#[test]
fn encodings_other_than_utf8_are_refused_with_a_hint() {
    let (pilot_a, _) = pilot_leagues();
    let leagues = [&pilot_a];
    let utf16_le: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(
            "name,email,league\n"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        )
        .collect();
    let error = import_managers(&utf16_le, &leagues, Limits::default()).expect_err("UTF-16");
    assert_eq!(error, ImportError::Utf16);
    assert_eq!(
        error.to_string(),
        "the file is UTF-16 text: save it as \"CSV UTF-8\" and upload it again"
    );

    let utf16_without_bom: Vec<u8> = "name,email,league\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    assert_eq!(
        import_managers(&utf16_without_bom, &leagues, Limits::default()),
        Err(ImportError::NotText)
    );

    let workbook = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00";
    assert_eq!(
        import_managers(workbook, &leagues, Limits::default()).map_err(|error| error.to_string()),
        Err("the file is not CSV text (it contains NUL bytes): save it as \"CSV UTF-8\" and upload it again".into())
    );
}

#[test]
fn a_latin1_cell_is_reported_at_its_line_and_column() {
    let (pilot_a, _) = pilot_leagues();
    // "José" saved as Latin-1 / Windows-1252: é is the single byte 0xE9.
    let input =
        b"name,email,league\nAnn,ann@example.com,pilot-a\nJos\xe9,jose@example.com,pilot-a\n";
    let error = import_managers(input, &[&pilot_a], Limits::default()).expect_err("Latin-1");
    assert_eq!(
        error.row_errors(),
        &[row_error(3, "name", RowProblem::NotUtf8)]
    );
    assert_eq!(
        error.to_string(),
        "1 problem found, nothing was imported: line 3, column name: the cell is not valid UTF-8 text: save the \
         file as \"CSV UTF-8\""
    );
}

// === managers: sizes ===

#[test]
fn empty_and_header_only_files_are_refused() {
    let (pilot_a, _) = pilot_leagues();
    assert_eq!(managers("", &[&pilot_a]), Err(ImportError::Empty));
    assert_eq!(managers("\u{FEFF}", &[&pilot_a]), Err(ImportError::Empty));
    assert_eq!(managers(" \r\n\r\n", &[&pilot_a]), Err(ImportError::Empty));
    assert_eq!(
        managers("name,email,league\r\n", &[&pilot_a]),
        Err(ImportError::NoRows)
    );
    assert_eq!(
        managers("name,email,league\n,,\n\n", &[&pilot_a]),
        Err(ImportError::NoRows)
    );
    assert_eq!(
        ImportError::NoRows.to_string(),
        "the file has a header row but no data rows"
    );
}

#[test]
fn a_file_over_one_mebibyte_is_refused_stating_the_limit() {
    let (pilot_a, _) = pilot_leagues();
    let mut input = String::from("name,email,league\n");
    while input.len() <= 1024 * 1024 {
        input.push_str("Ann,ann@example.com,pilot-a\n");
    }
    let size = input.len();
    let error = managers(&input, &[&pilot_a]).expect_err("too large");
    assert_eq!(
        error,
        ImportError::TooLarge {
            bytes: size,
            limit: 1_048_576
        }
    );
    assert_eq!(
        error.to_string(),
        format!("the file is 1.0 MiB ({size} bytes), over the limit of 1 MiB (1048576 bytes)")
    );
}

#[test]
fn a_file_over_5000_rows_is_refused_stating_the_limit() {
    let (pilot_a, _) = pilot_leagues();
    let mut input = String::from("name,email,league\n");
    for n in 0..5_001 {
        input.push_str(&format!("M{n},m{n}@example.com,pilot-a\n"));
    }
    assert!(
        input.len() < 1024 * 1024,
        "the row limit, not the size limit, must trigger"
    );
    let error = managers(&input, &[&pilot_a]).expect_err("too many rows");
    assert_eq!(error, ImportError::TooManyRows { limit: 5_000 });
    assert_eq!(
        error.to_string(),
        "the file has more than 5000 rows, the most one import takes"
    );
}

#[test]
fn limits_are_configurable() {
    let (pilot_a, _) = pilot_leagues();
    let input = "name,email,league\nAnn,ann@example.com,pilot-a\nBob,bob@example.com,pilot-a\n";
    let limits = Limits {
        max_bytes: 1024,
        max_rows: 1,
    };
    assert_eq!(
        import_managers(input.as_bytes(), &[&pilot_a], limits),
        Err(ImportError::TooManyRows { limit: 1 })
    );
    let limits = Limits {
        max_bytes: 10,
        max_rows: 100,
    };
    assert_eq!(
        import_managers(input.as_bytes(), &[&pilot_a], limits).map_err(|error| error.to_string()),
        Err(format!(
            "the file is {} bytes, over the limit of 10 bytes",
            input.len()
        ))
    );
    assert_eq!(Limits::default().to_string(), "1 MiB and 5000 rows");
}

// === managers: every bad row, with its line ===

#[test]
fn every_bad_row_is_reported_with_its_line_and_column_and_nothing_is_imported() {
    let (pilot_a, pilot_b) = pilot_leagues();
    let input = "name,email,league\n\
                 Ann,ann@example.com,pilot-a\n\
                 Bob,bob@,pilot-a\n\
                 ,carl@example.com,pilot-a\n\
                 Dee,dee@example.com,Nowhere FC\n\
                 Ann Again,Ann@Example.com,Pilot A\n\
                 =HYPERLINK(\"http://evil\"),eve@example.com,pilot-a\n\
                 Fay,,\n\
                 Gus,gus@example.com,pilot-b\n";
    let result = managers(input, &[&pilot_a, &pilot_b]);
    assert_eq!(
        messages(result),
        vec![
            "line 3, column email: 'bob@' is not an email address",
            "line 4, column name: a value is required",
            "line 5, column league: 'Nowhere FC' is not one of the leagues you are importing into (give its id or \
         exact name)",
            "line 6, column email: 'ann@example.com' in league 'Pilot A' already appears on line 2",
            "line 7, column name: '=HYPERLINK(\"http://evil\")' starts with '=', which spreadsheets run as a formula: \
         remove that character",
            "line 8, column email: a value is required",
            "line 8, column league: a value is required",
        ]
    );
}

#[test]
fn the_summary_message_lists_the_first_twenty_problems_and_counts_the_rest() {
    let (pilot_a, _) = pilot_leagues();
    let mut input = String::from("name,email,league\n");
    for n in 0..25 {
        input.push_str(&format!("M{n},not-an-email,pilot-a\n"));
    }
    let error = managers(&input, &[&pilot_a]).expect_err("all bad");
    assert_eq!(error.row_errors().len(), 25);
    let message = error.to_string();
    assert!(
        message.starts_with("25 problems found, nothing was imported: line 2, column email: "),
        "{message}"
    );
    assert!(
        message
            .ends_with("line 21, column email: 'not-an-email' is not an email address; and 5 more"),
        "{message}"
    );
}

#[test]
fn formula_cells_are_refused_in_every_text_column() {
    let (pilot_a, _) = pilot_leagues();
    let input = "name,email,league\n\
                 +44 7700 900123,a@example.com,pilot-a\n\
                 -2+3,b@example.com,pilot-a\n\
                 @SUM(A1:A9),c@example.com,pilot-a\n\
                 \"\t=1+1\",d@example.com,pilot-a\n\
                 \"  =1+1\",e@example.com,pilot-a\n\
                 Fine,=f@example.com,pilot-a\n\
                 Fine Too,g@example.com,=pilot-a\n\
                 \"\rCR\",h@example.com,pilot-a\n";
    assert_eq!(
        messages(managers(input, &[&pilot_a])),
        vec![
            "line 2, column name: '+44 7700 900123' starts with '+', which spreadsheets run as a formula: remove that character",
            "line 3, column name: '-2+3' starts with '-', which spreadsheets run as a formula: remove that character",
            "line 4, column name: '@SUM(A1:A9)' starts with '@', which spreadsheets run as a formula: remove that character",
            "line 5, column name: '=1+1' starts with '\\t', which spreadsheets run as a formula: remove that character",
            "line 6, column name: '=1+1' starts with '=', which spreadsheets run as a formula: remove that character",
            "line 7, column email: '=f@example.com' starts with '=', which spreadsheets run as a formula: remove that character",
            "line 8, column league: '=pilot-a' starts with '=', which spreadsheets run as a formula: remove that character",
            "line 9, column name: 'CR' starts with '\\r', which spreadsheets run as a formula: remove that character",
        ]
    );
}

#[test]
fn multi_line_cells_keep_later_line_numbers_right_and_are_refused() {
    let (pilot_a, _) = pilot_leagues();
    let input = "name,email,league\n\"Ann\nLee\",ann@example.com,pilot-a\nBob,bob@,pilot-a\n";
    assert_eq!(
        messages(managers(input, &[&pilot_a])),
        vec![
            "line 2, column name: 'Ann?Lee' contains a control character (such as a tab or a line break)",
            "line 4, column email: 'bob@' is not an email address",
        ]
    );
}

#[test]
fn huge_cells_are_refused_and_shortened_in_the_message() {
    let (pilot_a, _) = pilot_leagues();
    let input = format!(
        "name,email,league\n{},a@example.com,pilot-a\n",
        "x".repeat(5_000)
    );
    assert_eq!(
        messages(managers(&input, &[&pilot_a])),
        vec![format!(
            "line 2, column name: '{}…' is longer than 60 characters",
            "x".repeat(40)
        )]
    );
}

#[test]
fn league_capacity_status_and_ambiguity_are_checked() {
    let mut small = league_with("small", "commish", &["m1"], 2);
    small.rename("Small").expect("valid");
    let mut started = league_with("started", "commish", &["m1", "m2"], 8);
    started.rename("Started").expect("valid");
    started
        .set_asset_pool(vec![asset("arsenal", "Arsenal")])
        .expect("valid");
    started.start_auction(auction_id("auc-1")).expect("starts");
    let mut twin_one = league_with("twin-1", "commish", &[], 8);
    twin_one.rename("Twins").expect("valid");
    let mut twin_two = league_with("twin-2", "commish", &[], 8);
    twin_two.rename("Twins").expect("valid");
    let leagues = [&small, &started, &twin_one, &twin_two];

    let input = "name,email,league\n\
                 A,a@example.com,small\n\
                 B,b@example.com,small\n\
                 C,c@example.com,Started\n\
                 D,d@example.com,twins\n\
                 E,e@example.com,twin-2\n";
    assert_eq!(
        messages(managers(input, &leagues)),
        vec![
            "line 3, column league: league 'Small' is full (limit 2 managers): its 1 free place is taken by earlier rows \
         of this file",
            "line 4, column league: league 'Started' has already started its auction, so managers cannot be added",
            "line 5, column league: 'twins' is the name of more than one of your leagues: use the league id instead",
        ]
    );
}

// === pools ===

#[test]
fn a_pool_with_only_names_gets_derived_ids() {
    let input = "name,group\nBrighton & Hove Albion,England\nBodø/Glimt,Norway\nAtlético Madrid,\nNott'm Forest,\n";
    let assets = import_pool(input.as_bytes(), Limits::default()).expect("valid");
    let ids: Vec<&str> = assets.iter().map(|asset| asset.id.as_str()).collect();
    assert_eq!(
        ids,
        vec![
            "brighton-hove-albion",
            "bodo-glimt",
            "atletico-madrid",
            "nottm-forest"
        ]
    );
    assert_eq!(assets[1].name, "Bodø/Glimt");
    assert_eq!(assets[1].group.as_deref(), Some("Norway"));
    assert_eq!(assets[2].group, None);
}

#[test]
fn derived_ids_handle_edge_cases() {
    assert_eq!(
        derive_asset_id("  Paris Saint-Germain  ").map(|id| id.to_string()),
        Some("paris-saint-germain".into())
    );
    assert_eq!(
        derive_asset_id("Qarabağ").map(|id| id.to_string()),
        Some("qarabag".into())
    );
    assert_eq!(
        derive_asset_id("Straße 1").map(|id| id.to_string()),
        Some("strasse-1".into())
    );
    assert_eq!(derive_asset_id("★★★"), None);
    assert_eq!(derive_asset_id("日本"), None);
    let long = derive_asset_id(&"word ".repeat(30)).expect("derivable");
    assert!(
        long.as_str().len() <= 64 && !long.as_str().ends_with('-'),
        "{long}"
    );
}

#[test]
fn pool_duplicates_bad_ids_and_underivable_ids_are_reported() {
    let input = "id,name,group\n\
                 arsenal,Arsenal,\n\
                 arsenal,Arsenal Women,\n\
                 ,Chelsea,\n\
                 chelsea,Chelsea FC,\n\
                 man city,Manchester City,\n\
                 ,★,\n\
                 spurs,Tottenham,=cmd|' /C calc'!A0\n";
    assert_eq!(
        messages(import_pool(input.as_bytes(), Limits::default())),
        vec![
            "line 3, column id: asset id 'arsenal' already appears on line 2",
            "line 5, column id: asset id 'chelsea' already appears on line 4",
            "line 6, column id: 'man city' is not a valid id: use 1 to 64 letters, digits and the characters _ . : @ -",
            "line 7, column name: no id can be made from the name '★': give the row an id",
            "line 8, column group: '=cmd|' /C calc'!A0' starts with '=', which spreadsheets run as a formula: remove \
         that character",
        ]
    );
}

#[test]
fn a_pool_without_an_id_column_reports_duplicate_names_on_the_name_column() {
    let input = "name\nArsenal\nARSENAL\n";
    assert_eq!(
        messages(import_pool(input.as_bytes(), Limits::default())),
        vec!["line 3, column name: asset id 'arsenal' already appears on line 2"]
    );
}

#[test]
fn a_pool_over_1000_assets_is_refused() {
    let mut input = String::from("name\n");
    for n in 0..1_001 {
        input.push_str(&format!("Asset {n}\n"));
    }
    assert_eq!(
        import_pool(input.as_bytes(), Limits::default()),
        Err(ImportError::TooManyRows { limit: 1_000 })
    );
}

// === fixtures ===

#[test]
fn fixtures_import_with_ids_names_status_aliases_and_inferred_status() {
    let input = "external_match_id,starts_at,home,away,home_goals,away_goals,status\n\
                 m1,2025-08-16T14:00:00Z,arsenal,chelsea,2,1,FT\n\
                 m2,2025-08-16 16:30+01:00,Liverpool,manchester city,,,\n\
                 m3,2025-08-17T14:00:00Z,CHELSEA,Liverpool,0,0,\n\
                 m4,2025-08-18T19:00:00Z,Manchester City,Arsenal,1,1,live\n\
                 m5,2025-08-19T19:00:00Z,arsenal,liverpool,,,pst\n";
    let fixtures = import_fixtures(
        input.as_bytes(),
        &epl_pool(),
        UnknownTeams::Reject,
        Limits::default(),
    )
    .expect("valid");
    let summary: Vec<(&str, &str, &str, FixtureStatus, Option<Score>)> = fixtures
        .iter()
        .map(|fixture| {
            let home = fixture
                .home
                .asset
                .as_ref()
                .map(|id| id.as_str())
                .unwrap_or("-");
            let away = fixture
                .away
                .asset
                .as_ref()
                .map(|id| id.as_str())
                .unwrap_or("-");
            (
                fixture.match_id.as_str(),
                home,
                away,
                fixture.status,
                fixture.score,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "m1",
                "arsenal",
                "chelsea",
                FixtureStatus::Finished,
                Some(Score { home: 2, away: 1 })
            ),
            (
                "m2",
                "liverpool",
                "manchester-city",
                FixtureStatus::Scheduled,
                None
            ),
            (
                "m3",
                "chelsea",
                "liverpool",
                FixtureStatus::Finished,
                Some(Score { home: 0, away: 0 })
            ),
            (
                "m4",
                "manchester-city",
                "arsenal",
                FixtureStatus::Live,
                Some(Score { home: 1, away: 1 })
            ),
            ("m5", "arsenal", "liverpool", FixtureStatus::Postponed, None),
        ]
    );
    assert_eq!(
        fixtures[1].starts_at,
        timefmt::parse_datetime("2025-08-16T15:30:00Z").expect("valid")
    );
    assert_eq!(
        fixtures[0].home.name, "Arsenal",
        "sides carry the pool's spelling"
    );
}

#[test]
fn fixture_rows_are_checked_cell_by_cell_and_across_cells() {
    let input = "external_match_id,starts_at,home,away,home_goals,away_goals,status\n\
                 m1,2025-08-16T14:00:00Z,Arsnal,chelsea,2,1,finished\n\
                 m2,2025-08-16 15:00,arsenal,chelsea,,,\n\
                 m3,16/08/2025,arsenal,chelsea,,,\n\
                 m4,2025-08-16T14:00:00Z,arsenal,Arsenal,1,0,finished\n\
                 m5,2025-08-16T14:00:00Z,arsenal,chelsea,1,,finished\n\
                 m6,2025-08-16T14:00:00Z,arsenal,chelsea,,,finished\n\
                 m7,2025-08-16T14:00:00Z,arsenal,chelsea,3,0,scheduled\n\
                 m8,2025-08-16T14:00:00Z,arsenal,chelsea,100,-1,abandoned\n\
                 m1,2025-08-16T14:00:00Z,liverpool,chelsea,,,\n\
                 m9,2025-08-16T14:00:00Z,liverpool,chelsea,,,\n\
                 m9,2025-08-23T14:00:00Z,chelsea,liverpool,,,\n";
    let result = import_fixtures(
        input.as_bytes(),
        &epl_pool(),
        UnknownTeams::Reject,
        Limits::default(),
    );
    assert_eq!(
        messages(result),
        vec![
            "line 2, column home: 'Arsnal' is not in this league's asset pool (give its id or exact name)",
            "line 3, column starts_at: '2025-08-16 15:00' has no time zone: add Z for UTC or an offset such as +01:00",
            "line 4, column starts_at: '16/08/2025' is not a date and time like 2025-08-16T15:00:00Z",
            "line 5, column away: home and away are the same team",
            "line 6, column home_goals: home_goals and away_goals must both be given or both be empty",
            "line 7, column status: a finished fixture needs home_goals and away_goals",
            "line 8, column status: a scheduled fixture cannot have a score",
            "line 9, column home_goals: '100' is not a whole number from 0 to 99",
            "line 9, column away_goals: '-1' is not a whole number from 0 to 99",
            "line 9, column status: 'abandoned' is not a fixture status: use scheduled, live, finished, postponed or \
         cancelled",
            "line 12, column external_match_id: match 'm9' already appears on line 11",
        ]
    );
}

#[test]
fn unknown_teams_can_be_kept_for_partial_pools() {
    let input = "external_match_id,starts_at,home,away,home_goals,away_goals,status\n\
                 m1,2025-08-16T14:00:00Z,Burnley,arsenal,0,2,ft\n\
                 m2,2025-08-16T14:00:00Z,Burnley,Fulham,1,1,ft\n";
    let fixtures = import_fixtures(
        input.as_bytes(),
        &epl_pool(),
        UnknownTeams::Keep,
        Limits::default(),
    )
    .expect("kept");
    assert_eq!(
        fixtures[0].home,
        Side {
            name: "Burnley".into(),
            asset: None
        }
    );
    assert_eq!(
        fixtures[0].away,
        Side {
            name: "Arsenal".into(),
            asset: Some(aid("arsenal"))
        }
    );
    assert_eq!(fixtures[1].home.asset, None);
}

#[test]
fn an_ambiguous_team_name_must_be_given_by_id() {
    let pool = vec![asset("united-a", "United"), asset("united-b", "united")];
    let input = "external_match_id,starts_at,home,away,home_goals,away_goals,status\n\
                 m1,2025-08-16T14:00:00Z,United,united-b,,,\n";
    assert_eq!(
        messages(import_fixtures(
            input.as_bytes(),
            &pool,
            UnknownTeams::Reject,
            Limits::default()
        )),
        vec![
            "line 2, column home: 'United' is the name of more than one asset in the pool: use the asset id instead"
        ]
    );
}

// === cricket performances ===

fn cricket_pool() -> Vec<Asset> {
    vec![
        asset("virat-kohli", "Virat Kohli"),
        asset("jasprit-bumrah", "Jasprit Bumrah"),
        asset("rishabh-pant", "Rishabh Pant"),
    ]
}

#[test]
fn performances_import_by_id_or_exact_name() {
    let input = "match_id,player_id,runs,wickets,catches,stumpings,run_outs\n\
                 IND-AUS-1,virat-kohli,89,0,1,0,0\n\
                 IND-AUS-1,Jasprit Bumrah,4,5,0,0,1\n";
    let performances =
        import_performances(input.as_bytes(), &cricket_pool(), Limits::default()).expect("valid");
    assert_eq!(performances.len(), 2);
    assert_eq!(performances[0].player, aid("virat-kohli"));
    assert_eq!(
        (
            performances[1].player.as_str(),
            performances[1].wickets,
            performances[1].run_outs
        ),
        ("jasprit-bumrah", 5, 1)
    );
}

#[test]
fn performance_rows_are_validated() {
    let input = "match_id,player_id,runs,wickets,catches,stumpings,run_outs\n\
                 M1,virat-kohli,1001,0,0,0,0\n\
                 M1,nobody,10,0,0,0,0\n\
                 M1,rishabh-pant,ten,21,0,0,\n\
                 M1,jasprit-bumrah,0,3,0,0,0\n\
                 M1,Jasprit Bumrah,0,4,0,0,0\n\
                 ,virat-kohli,1,0,0,0,0\n";
    assert_eq!(
        messages(import_performances(
            input.as_bytes(),
            &cricket_pool(),
            Limits::default()
        )),
        vec![
            "line 2, column runs: '1001' is not a whole number from 0 to 1000",
            "line 3, column player_id: 'nobody' is not in this league's asset pool (give its id or exact name)",
            "line 4, column runs: 'ten' is not a whole number from 0 to 1000",
            "line 4, column wickets: '21' is not a whole number from 0 to 20",
            "line 4, column run_outs: a value is required",
            "line 6, column player_id: player 'jasprit-bumrah' in match 'M1' already appears on line 5",
            "line 7, column match_id: a value is required",
        ]
    );
}

// === exports ===

#[test]
fn exports_neutralise_formulas_in_text_cells_only() {
    assert_eq!(export::safe("=1+1"), "'=1+1");
    assert_eq!(export::safe("+44"), "'+44");
    assert_eq!(export::safe("-x"), "'-x");
    assert_eq!(export::safe("@SUM(A1)"), "'@SUM(A1)");
    assert_eq!(export::safe("\tx"), "'\tx");
    assert_eq!(export::safe("\rx"), "'\rx");
    assert_eq!(export::safe("Arsenal"), "Arsenal");
    assert_eq!(export::safe(""), "");

    let lines = vec![RosterLine {
        manager_id: uid("eve"),
        manager: "=HYPERLINK(\"http://evil\",\"click\")".into(),
        asset_id: aid("arsenal"),
        asset: "Arsenal".into(),
        price: Money::millions(48),
        keeper: false,
        lot: Some(3),
    }];
    let csv = export_rosters_csv(&lines, &CurrencyFormat::pounds());
    assert_eq!(
        csv,
        "\u{FEFF}manager,manager_id,asset,asset_id,price,price_display,keeper,lot\r\n\
         \"'=HYPERLINK(\"\"http://evil\"\",\"\"click\"\")\",eve,Arsenal,arsenal,48000000,£48m,no,3\r\n"
    );
}

#[test]
fn bid_history_export_lists_every_bid_with_utc_times() {
    let lines = vec![
        BidLine {
            lot: 1,
            asset: "Arsenal".into(),
            bidder: "Ann".into(),
            amount: Money::millions(1),
            by_proxy: false,
            at: timefmt::parse_datetime("2025-08-01T19:00:05Z").expect("valid"),
            outcome: "sold".into(),
        },
        BidLine {
            lot: 1,
            asset: "Arsenal".into(),
            bidder: "@bob".into(),
            amount: Money::millions(2),
            by_proxy: true,
            at: timefmt::parse_datetime("2025-08-01T19:00:09.500Z").expect("valid"),
            outcome: "sold".into(),
        },
    ];
    let csv = export_bid_history_csv(&lines, &CurrencyFormat::pounds());
    assert_eq!(
        csv,
        "\u{FEFF}lot,asset,bidder,amount,amount_display,by_proxy,at,outcome\r\n\
         1,Arsenal,Ann,1000000,£1m,no,2025-08-01T19:00:05Z,sold\r\n\
         1,Arsenal,'@bob,2000000,£2m,yes,2025-08-01T19:00:09.500Z,sold\r\n"
    );
}

#[test]
fn table_export_shows_rank_points_tiebreakers_and_asset_points() {
    use crate::scoring::{AssetStats, FootballStats, TableRow};
    let rows = vec![TableRow {
        rank: 1,
        user: uid("ann"),
        name: "-Ann-".into(),
        points: -3,
        assets: vec![(aid("arsenal"), 5), (aid("gone"), -8)],
        stats: AssetStats::Football(FootballStats {
            goals_for: 7,
            won: 2,
            ..FootballStats::default()
        }),
    }];
    let csv = export_table_csv(&rows, &epl_pool());
    assert_eq!(
        csv,
        "\u{FEFF}rank,manager,points,goals_for,wins,assets\r\n1,'-Ann-,-3,7,2,Arsenal (5); gone (-8)\r\n"
    );
}

#[test]
fn managers_pool_fixtures_and_performances_round_trip_through_their_importers() {
    let (pilot_a, pilot_b) = pilot_leagues();
    let rows = vec![
        ManagerRow {
            line: 2,
            name: "Ann Lee".into(),
            email: Email::parse("ann@example.com").expect("valid"),
            league: lid("pilot-a"),
        },
        ManagerRow {
            line: 3,
            name: "Smith, Bob".into(),
            email: Email::parse("bob@example.com").expect("valid"),
            league: lid("pilot-b"),
        },
    ];
    let exported = export_managers_csv(&rows);
    assert_eq!(managers(&exported, &[&pilot_a, &pilot_b]), Ok(rows));

    let pool = vec![
        Asset {
            id: aid("bodo-glimt"),
            name: "Bodø/Glimt".into(),
            group: Some("Norway".into()),
        },
        Asset {
            id: aid("arsenal"),
            name: "Arsenal".into(),
            group: None,
        },
    ];
    assert_eq!(
        import_pool(export_pool_csv(&pool).as_bytes(), Limits::default()),
        Ok(pool)
    );

    let fixtures = import_fixtures(
        "external_match_id,starts_at,home,away,home_goals,away_goals,status\n\
         m1,2025-08-16T14:00:00Z,arsenal,chelsea,2,1,finished\n\
         m2,2025-08-16T16:30:00+01:00,Burnley,liverpool,,,scheduled\n"
            .as_bytes(),
        &epl_pool(),
        UnknownTeams::Keep,
        Limits::default(),
    )
    .expect("valid");
    let exported = export_fixtures_csv(&fixtures);
    assert_eq!(
        import_fixtures(
            exported.as_bytes(),
            &epl_pool(),
            UnknownTeams::Keep,
            Limits::default()
        ),
        Ok(fixtures)
    );

    let performances = import_performances(
        "match_id,player_id,runs,wickets,catches,stumpings,run_outs\nT1,virat-kohli,89,0,1,0,0\n"
            .as_bytes(),
        &cricket_pool(),
        Limits::default(),
    )
    .expect("valid");
    assert_eq!(
        import_performances(
            export_performances_csv(&performances).as_bytes(),
            &cricket_pool(),
            Limits::default()
        ),
        Ok(performances)
    );
}

#[test]
fn quote_shortens_and_hides_control_characters() {
    assert_eq!(quote("abc"), "'abc'");
    assert_eq!(quote("a\u{0}b"), "'a?b'");
    assert_eq!(quote(&"y".repeat(41)), format!("'{}…'", "y".repeat(40)));
}

#[test]
fn a_league_with_a_spectator_keeps_its_manager_places() {
    // Spectators do not use manager places, so a league with spectators still takes managers.
    let mut league = league_with("fans", "commish", &["m1"], 2);
    league
        .join(&uid("fan"), JoinRole::Spectator, at(0))
        .expect("joins");
    let rows = managers("name,email,league\nAnn,ann@example.com,fans\n", &[&league])
        .expect("one place left");
    assert_eq!(rows.len(), 1);
}

// === properties ===

/// A display name the importers accept: no control characters, not starting like a formula,
/// not blank, at most 60 characters, no surrounding spaces.
fn valid_name() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::strategy::Strategy;
    "[A-Za-z0-9À-ÿ][A-Za-z0-9À-ÿ ,\"'&/.()=+@;-]{0,40}[A-Za-z0-9À-ÿ.)]".prop_map(|name| name)
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    #[test]
    fn any_valid_pool_round_trips_through_export_and_import(
        names in proptest::collection::btree_set(valid_name(), 1..30),
        with_groups in proptest::bool::ANY,
    ) {
        let pool: Vec<Asset> = names
            .iter()
            .enumerate()
            .map(|(index, name)| Asset {
                id: aid(&format!("asset-{index}")),
                name: name.clone(),
                group: with_groups.then(|| format!("{name} group").chars().take(60).collect::<String>().trim_end().to_owned()),
            })
            .collect();
        let exported = export_pool_csv(&pool);
        proptest::prop_assert_eq!(import_pool(exported.as_bytes(), Limits::default()), Ok(pool));
    }

    #[test]
    fn garbage_bytes_never_panic_any_importer(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
        let (pilot_a, _) = pilot_leagues();
        let pool = epl_pool();
        let _ = import_managers(&bytes, &[&pilot_a], Limits::default());
        let _ = import_pool(&bytes, Limits::default());
        let _ = import_fixtures(&bytes, &pool, UnknownTeams::Keep, Limits::default());
        let _ = import_performances(&bytes, &pool, Limits::default());
    }

    #[test]
    fn garbage_rows_under_a_good_header_are_reported_with_real_line_numbers(
        rows in proptest::collection::vec("[ -~]{0,30}", 1..20),
        crlf in proptest::bool::ANY,
    ) {
        let (pilot_a, _) = pilot_leagues();
        let newline = if crlf { "\r\n" } else { "\n" };
        let rows: Vec<String> = rows.into_iter().map(|row| row.replace('"', "")).collect();
        let input = format!("name,email,league{newline}{}{newline}", rows.join(newline));
        let line_count = u64::try_from(rows.len()).expect("small") + 1;
        if let Err(ImportError::Rows(errors)) = import_managers(input.as_bytes(), &[&pilot_a], Limits::default()) {
            for error in &errors {
                proptest::prop_assert!((2..=line_count).contains(&error.line), "{error} not within the file");
                let row = &rows[usize::try_from(error.line - 2).expect("small")];
                proptest::prop_assert!(!row.trim().trim_matches(',').is_empty(), "blank line {} reported", error.line);
            }
        }
    }
}
