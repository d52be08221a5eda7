//! RFC 3339 parsing and formatting, and timestamp arithmetic.

use super::*;

fn ms(text: &str) -> i64 {
    millis(parse_datetime(text).unwrap_or_else(|error| panic!("{text:?} should parse: {error}")))
}

#[test]
fn parses_utc_and_offsets_to_the_same_instant() {
    // 2025-08-16T14:00:00Z is 1_755_352_800 seconds after the epoch.
    assert_eq!(ms("2025-08-16T14:00:00Z"), 1_755_352_800_000);
    assert_eq!(ms("2025-08-16T15:00:00+01:00"), 1_755_352_800_000);
    assert_eq!(ms("2025-08-16 15:00+01:00"), 1_755_352_800_000);
    assert_eq!(ms("2025-08-16t09:30:00-04:30"), 1_755_352_800_000);
    assert_eq!(ms("2025-08-16T14:00:00.250Z"), 1_755_352_800_250);
    assert_eq!(ms("1970-01-01T00:00:00Z"), 0);
    assert_eq!(ms("2024-02-29T00:00:00Z"), 1_709_164_800_000);
}

#[test]
fn refuses_bad_shapes_missing_offsets_and_impossible_dates() {
    let cases = [
        ("2025-08-16", DateTimeError::Shape),
        ("16/08/2025 15:00", DateTimeError::Shape),
        ("2025-08-16T15:00:00", DateTimeError::NoOffset),
        ("2025-08-16 15:00", DateTimeError::NoOffset),
        ("2025-08-16T15:00:00+0100", DateTimeError::Shape),
        ("2025-08-16T15:00:00 Z", DateTimeError::Shape),
        ("2025-13-01T00:00:00Z", DateTimeError::OutOfRange),
        ("2025-02-29T00:00:00Z", DateTimeError::OutOfRange),
        ("2025-04-31T00:00:00Z", DateTimeError::OutOfRange),
        ("2025-08-16T24:00:00Z", DateTimeError::OutOfRange),
        ("2025-08-16T15:00:00+25:00", DateTimeError::OutOfRange),
        ("２０２５-08-16T15:00:00Z", DateTimeError::Shape),
    ];
    for (text, expected) in cases {
        assert_eq!(parse_datetime(text), Err(expected), "{text:?}");
    }
    assert_eq!(
        DateTimeError::NoOffset.to_string(),
        "has no time zone: add Z for UTC or an offset such as +01:00"
    );
}

#[test]
fn formats_in_utc_and_round_trips() {
    for text in [
        "2025-08-16T14:00:00Z",
        "1999-12-31T23:59:59Z",
        "2028-02-29T06:07:08.009Z",
        "1969-07-20T20:17:40Z",
    ] {
        let parsed = parse_datetime(text).expect("valid");
        assert_eq!(format_datetime(parsed), text);
    }
    assert_eq!(
        format_datetime(parse_datetime("2025-08-16T15:00:00+01:00").expect("valid")),
        "2025-08-16T14:00:00Z"
    );
}

#[test]
fn unix_seconds_rounds_down_and_add_saturates() {
    assert_eq!(unix_seconds(from_millis(1_999)), 1);
    assert_eq!(unix_seconds(from_millis(-1)), -1);
    assert_eq!(
        millis(add(from_millis(1_000), Duration::from_secs(2))),
        3_000
    );
    assert_eq!(
        millis(add(from_millis(i64::MAX - 5), Duration::from_secs(1))),
        i64::MAX
    );
}

proptest::proptest! {
    #[test]
    fn any_instant_from_1970_to_9999_formats_and_parses_back(milliseconds in 0_i64..253_402_300_800_000) {
        let at = from_millis(milliseconds);
        proptest::prop_assert_eq!(parse_datetime(&format_datetime(at)), Ok(at));
    }

    #[test]
    fn offsets_shift_the_instant_by_exactly_the_offset(
        seconds in 86_400_i64..253_402_000_000,
        offset_minutes in -(23 * 60 + 59)..=(23 * 60 + 59_i64),
    ) {
        let utc = from_millis(seconds * 1_000);
        let text = format_datetime(utc);
        let local = format_datetime(from_millis((seconds + offset_minutes * 60) * 1_000));
        let sign = if offset_minutes < 0 { '-' } else { '+' };
        let magnitude = offset_minutes.abs();
        let with_offset = format!("{}{sign}{:02}:{:02}", &local[..19], magnitude / 60, magnitude % 60);
        proptest::prop_assert_eq!(parse_datetime(&with_offset), parse_datetime(&text));
    }
}
