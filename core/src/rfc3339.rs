//! RFC 3339 timestamps: the `Expiration` and `LastUpdated` fields of the credentials document.

use core::fmt;

use crate::Instant;

/// Why a timestamp was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TimestampError {
    /// Not of the form `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
    Syntax,
    /// A date or time field is out of range (month 13, February 30th, hour 24, …).
    OutOfRange,
    /// The moment is before 1970-01-01T00:00:00Z.
    BeforeEpoch,
}

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Syntax => "not an RFC 3339 timestamp like 2017-11-01T05:20:01Z",
            Self::OutOfRange => "a date or time field is out of range",
            Self::BeforeEpoch => "the moment is before 1970",
        })
    }
}

/// Parses an RFC 3339 timestamp (`Z` or a numeric offset, optional fractional seconds, kept to
/// the millisecond) into an [`Instant`].
///
/// ```
/// use aliyun_imds_core::{parse_rfc3339, Instant};
/// assert_eq!(parse_rfc3339("2017-11-01T05:20:01Z"), Ok(Instant::from_secs(1_509_513_601)));
/// assert_eq!(parse_rfc3339("2017-11-01T13:20:01.250+08:00"),
///            Ok(Instant::from_millis(1_509_513_601_250)));
/// assert!(parse_rfc3339("yesterday").is_err());
/// ```
pub fn parse_rfc3339(text: &str) -> Result<Instant, TimestampError> {
    let b = text.as_bytes();
    let year = digits(b, 0, 4)?;
    expect(b, 4, b'-')?;
    let month = digits(b, 5, 2)?;
    expect(b, 7, b'-')?;
    let day = digits(b, 8, 2)?;
    if !matches!(b.get(10), Some(b'T' | b't')) {
        return Err(TimestampError::Syntax);
    }
    let hour = digits(b, 11, 2)?;
    expect(b, 13, b':')?;
    let minute = digits(b, 14, 2)?;
    expect(b, 16, b':')?;
    let second = digits(b, 17, 2)?;

    let mut at = 19;
    let mut millis = 0;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while let Some(d) = b.get(at).filter(|d| d.is_ascii_digit()) {
            // Keep the first three digits (milliseconds); further ones only need to be digits.
            if at - start < 3 {
                millis = millis * 10 + u64::from(d - b'0');
            }
            at += 1;
        }
        let count = at - start;
        if count == 0 || count > 9 {
            return Err(TimestampError::Syntax);
        }
        for _ in count..3 {
            millis *= 10;
        }
    }

    let offset_secs: i64 = match b.get(at) {
        Some(b'Z' | b'z') if b.len() == at + 1 => 0,
        Some(sign @ (b'+' | b'-')) if b.len() == at + 6 => {
            let hours = digits(b, at + 1, 2)?;
            expect(b, at + 3, b':')?;
            let minutes = digits(b, at + 4, 2)?;
            if hours > 23 || minutes > 59 {
                return Err(TimestampError::OutOfRange);
            }
            let offset = (hours * 3600 + minutes * 60) as i64;
            if *sign == b'-' { -offset } else { offset }
        }
        _ => return Err(TimestampError::Syntax),
    };

    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return Err(TimestampError::OutOfRange);
    }

    let days = days_from_civil(i64::from(year), i64::from(month), i64::from(day));
    let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset_secs;
    let secs = u64::try_from(secs).map_err(|_| TimestampError::BeforeEpoch)?;
    Ok(Instant::from_millis(secs * 1000 + millis))
}

/// Writes `secs` since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn write_utc(f: &mut impl fmt::Write, secs: u64) -> fmt::Result {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    write!(
        f,
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

fn expect(b: &[u8], at: usize, byte: u8) -> Result<(), TimestampError> {
    if b.get(at) == Some(&byte) { Ok(()) } else { Err(TimestampError::Syntax) }
}

fn digits(b: &[u8], at: usize, count: usize) -> Result<u32, TimestampError> {
    let field = b.get(at..at + count).ok_or(TimestampError::Syntax)?;
    field.iter().try_fold(0u32, |acc, &d| {
        if d.is_ascii_digit() {
            Ok(acc * 10 + u32::from(d - b'0'))
        } else {
            Err(TimestampError::Syntax)
        }
    })
}

fn is_leap(year: u32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let shifted_month = (month + 9) % 12; // March = 0
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date `days` after 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}
