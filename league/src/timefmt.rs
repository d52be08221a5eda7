//! Conversions between [`Timestamp`] (milliseconds since the Unix epoch) and the RFC 3339 text used
//! in CSV files, plus small arithmetic helpers.
//!
//! Parsing is strict on purpose: a date-time must carry its offset (`Z` or `±HH:MM`), because a
//! fixture list without a time zone means different kick-offs to different readers. Nothing here
//! reads a clock.

use std::time::Duration;

use auction::time::Timestamp;

const MS_PER_SECOND: i64 = 1_000;
const MS_PER_DAY: i64 = 86_400_000;

/// Milliseconds since the Unix epoch.
pub(crate) fn millis(at: Timestamp) -> i64 {
    at.as_millis()
}

/// The timestamp `milliseconds` after the Unix epoch.
pub(crate) fn from_millis(milliseconds: i64) -> Timestamp {
    Timestamp::from_millis(milliseconds)
}

/// Whole seconds since the Unix epoch (rounded down), as used in JWT claims.
pub(crate) fn unix_seconds(at: Timestamp) -> i64 {
    millis(at).div_euclid(MS_PER_SECOND)
}

/// `at + duration`, saturating at the end of representable time.
pub(crate) fn add(at: Timestamp, duration: Duration) -> Timestamp {
    let duration_ms = i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
    from_millis(millis(at).saturating_add(duration_ms))
}

/// Why a date-time cell could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DateTimeError {
    /// The text does not have the shape `YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]`.
    #[error("is not a date and time like 2025-08-16T15:00:00Z")]
    Shape,
    /// The shape is right but there is no offset.
    #[error("has no time zone: add Z for UTC or an offset such as +01:00")]
    NoOffset,
    /// A field is out of range (month 13, 30 February, hour 24, ...).
    #[error("is not a real date and time")]
    OutOfRange,
}

/// Parses an RFC 3339 date-time such as `2025-08-16T15:00:00Z` or `2025-08-16 16:00+01:00`.
/// Seconds and fractional seconds are optional; `T` may be a space.
pub(crate) fn parse_datetime(text: &str) -> Result<Timestamp, DateTimeError> {
    let bytes = text.as_bytes();
    if bytes.len() < 16 || !text.is_ascii() {
        return Err(DateTimeError::Shape);
    }
    let year = digits(bytes, 0, 4)?;
    expect(bytes, 4, b'-')?;
    let month = digits(bytes, 5, 2)?;
    expect(bytes, 7, b'-')?;
    let day = digits(bytes, 8, 2)?;
    if !matches!(bytes[10], b'T' | b't' | b' ') {
        return Err(DateTimeError::Shape);
    }
    let hour = digits(bytes, 11, 2)?;
    expect(bytes, 13, b':')?;
    let minute = digits(bytes, 14, 2)?;
    let mut position = 16;
    let mut second = 0;
    let mut millisecond = 0;
    if bytes.get(position) == Some(&b':') {
        second = digits(bytes, position + 1, 2)?;
        position += 3;
        if bytes.get(position) == Some(&b'.') {
            position += 1;
            let start = position;
            while bytes.get(position).is_some_and(u8::is_ascii_digit) {
                position += 1;
            }
            let fraction = &text[start..position];
            if fraction.is_empty() || fraction.len() > 9 {
                return Err(DateTimeError::Shape);
            }
            let padded = format!("{fraction:0<3}");
            millisecond = padded[..3]
                .parse::<i64>()
                .map_err(|_| DateTimeError::Shape)?;
        }
    }
    let offset_minutes = match &bytes[position..] {
        [] => return Err(DateTimeError::NoOffset),
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), ..] if bytes.len() == position + 6 => {
            let offset_hour = digits(bytes, position + 1, 2)?;
            expect(bytes, position + 3, b':')?;
            let offset_minute = digits(bytes, position + 4, 2)?;
            if offset_hour > 23 || offset_minute > 59 {
                return Err(DateTimeError::OutOfRange);
            }
            let magnitude = offset_hour * 60 + offset_minute;
            if *sign == b'-' { -magnitude } else { magnitude }
        }
        _ => return Err(DateTimeError::Shape),
    };
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return Err(DateTimeError::OutOfRange);
    }
    let days = days_from_civil(year, month, day);
    let local_ms =
        days * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * MS_PER_SECOND + millisecond;
    Ok(from_millis(local_ms - offset_minutes * 60 * MS_PER_SECOND))
}

/// Formats a timestamp as RFC 3339 in UTC with second precision, e.g. `2025-08-16T14:00:00Z`
/// (milliseconds are kept only when they are not zero).
pub(crate) fn format_datetime(at: Timestamp) -> String {
    let total_ms = millis(at);
    let days = total_ms.div_euclid(MS_PER_DAY);
    let ms_of_day = total_ms.rem_euclid(MS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let seconds_of_day = ms_of_day / MS_PER_SECOND;
    let (hour, minute, second) = (
        seconds_of_day / 3600,
        seconds_of_day / 60 % 60,
        seconds_of_day % 60,
    );
    let millisecond = ms_of_day % MS_PER_SECOND;
    if millisecond == 0 {
        format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z")
    } else {
        format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{millisecond:03}Z")
    }
}

fn digits(bytes: &[u8], start: usize, count: usize) -> Result<i64, DateTimeError> {
    let slice = bytes
        .get(start..start + count)
        .ok_or(DateTimeError::Shape)?;
    slice.iter().try_fold(0_i64, |value, byte| {
        if byte.is_ascii_digit() {
            Ok(value * 10 + i64::from(byte - b'0'))
        } else {
            Err(DateTimeError::Shape)
        }
    })
}

fn expect(bytes: &[u8], position: usize, wanted: u8) -> Result<(), DateTimeError> {
    if bytes.get(position) == Some(&wanted) {
        Ok(())
    } else {
        Err(DateTimeError::Shape)
    }
}

fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests;
