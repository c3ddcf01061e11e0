//! FHIR `date`, `dateTime` and `instant`: shapes, real calendar dates, order and "in the future".

use super::*;

/// Whether `s` is a FHIR `date`: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, a real calendar date.
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(year) = b.get(..4).and_then(number) else {
        return false;
    };
    if year == 0 {
        return false;
    }
    match b.len() {
        4 => true,
        7 => b[4] == b'-' && number(&b[5..7]).is_some_and(|m| (1..=12).contains(&m)),
        10 => {
            b[4] == b'-'
                && b[7] == b'-'
                && match (i32::try_from(year), number(&b[5..7]), number(&b[8..10])) {
                    (Ok(y), Some(m), Some(d)) => NaiveDate::from_ymd_opt(y, m, d).is_some(),
                    _ => false,
                }
        }
        _ => false,
    }
}

/// Whether `s` is a FHIR `dateTime`: a `date`, or a full time with seconds and a timezone.
pub fn is_date_time(s: &str) -> bool {
    is_date(s) || is_instant(s)
}

/// Whether `s` is a FHIR `instant`: `YYYY-MM-DDThh:mm:ss(.fraction)?` and `Z` or `±hh:mm`.
pub fn is_instant(s: &str) -> bool {
    let b = s.as_bytes();
    // The exact shape first: chrono's RFC 3339 parser also takes `t`, `z`, a
    // space for `T`, any fraction length and offsets FHIR does not allow.
    let in_range =
        |r: std::ops::Range<usize>, max: u32| b.get(r).and_then(number).is_some_and(|n| n <= max);
    let shape = s.get(..10).is_some_and(is_date)
        && b.get(10) == Some(&b'T')
        && in_range(11..13, 23)
        && b.get(13) == Some(&b':')
        && in_range(14..16, 59)
        && b.get(16) == Some(&b':')
        && in_range(17..19, 60);
    if !shape {
        return false;
    }
    let mut rest = &b[19..];
    if let Some(fraction) = rest.strip_prefix(b".") {
        let digits = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if !(1..=9).contains(&digits) {
            return false;
        }
        rest = &fraction[digits..];
    }
    let zone = match rest {
        b"Z" => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => match (number(&[*h1, *h2]), number(&[*m1, *m2])) {
            (Some(h), Some(m)) => (h < 14 && m <= 59) || (h == 14 && m == 0),
            _ => false,
        },
        _ => false,
    };
    zone && DateTime::parse_from_rfc3339(s).is_ok()
}

/// The decimal value of `digits`, if it is all ASCII digits.
pub(super) fn number(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

/// The `YYYY`, `YYYY-MM` or `YYYY-MM-DD` part of a valid date or dateTime.
pub(super) fn date_part(s: &str) -> &str {
    s.get(..10).unwrap_or(s)
}

/// Whether a valid dateTime lies after `today`, at its own precision.
pub(super) fn is_future(s: &str, today: NaiveDate) -> bool {
    let day = date_part(s).as_bytes();
    let today = today.format("%Y-%m-%d").to_string();
    let today = today.as_bytes();
    day > &today[..day.len().min(today.len())]
}

/// Orders two valid dateTimes; with different precisions only the common prefix counts.
pub(super) fn compare(a: &str, b: &str) -> Ordering {
    if let (Ok(a), Ok(b)) = (
        DateTime::parse_from_rfc3339(a),
        DateTime::parse_from_rfc3339(b),
    ) {
        return a.cmp(&b);
    }
    let (a, b) = (date_part(a).as_bytes(), date_part(b).as_bytes());
    let n = a.len().min(b.len());
    a[..n].cmp(&b[..n])
}

#[derive(Clone, Copy)]
pub(super) enum DateKind {
    Date,
    DateTime,
    Instant,
}

impl DateKind {
    /// The FHIR type a date field of this name has.
    pub(super) fn of(path: &str) -> Self {
        match path.rsplit('.').next() {
            Some("issued" | "effectiveInstant" | "lastUpdated") => Self::Instant,
            Some("birthDate") => Self::Date,
            _ => Self::DateTime,
        }
    }

    pub(super) fn check(self, value: &Value, path: &str) -> Result<(), Invalid> {
        let (ok, name): (fn(&str) -> bool, _) = match self {
            Self::Date => (is_date, "date"),
            Self::DateTime => (is_date_time, "dateTime"),
            Self::Instant => (is_instant, "instant"),
        };
        if value.as_str().is_some_and(ok) {
            Ok(())
        } else {
            invalid(path, format!("is not a valid FHIR {name}"))
        }
    }
}
