//! Dates, date-times and times with the precision they were written to.

use chrono::{Datelike, Duration, NaiveDate};
use std::cmp::Ordering;

/// Which of the three temporal types a value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemporalKind {
    /// `System.Date`
    Date,
    /// `System.DateTime`
    DateTime,
    /// `System.Time`
    Time,
}

/// The finest component a value states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Precision {
    /// Year only.
    Year,
    /// Year and month.
    Month,
    /// A whole date.
    Day,
    /// To the hour.
    Hour,
    /// To the minute.
    Minute,
    /// To the second.
    Second,
    /// With a fraction of a second.
    Millisecond,
}

/// A date, date-time or time as written, to its precision.
#[derive(Debug, Clone, PartialEq)]
pub struct Temporal {
    /// Date, DateTime or Time.
    pub kind: TemporalKind,
    /// Finest component given.
    pub precision: Precision,
    year: i32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    /// Milliseconds (the fraction, cut to 3 digits).
    millis: u32,
    /// Digits of the fraction as written (for output).
    fraction: String,
    /// Offset from UTC in minutes, when given.
    offset: Option<i32>,
}

fn digits(s: &str, n: usize) -> Option<(u32, &str)> {
    if s.len() < n || !s.as_bytes()[..n].iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some((s[..n].parse().ok()?, &s[n..]))
}

fn parse_offset(s: &str) -> Option<Option<i32>> {
    if s.is_empty() {
        return Some(None);
    }
    if s == "Z" {
        return Some(Some(0));
    }
    let sign = match s.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, rest) = digits(&s[1..], 2)?;
    let rest = rest.strip_prefix(':')?;
    let (m, rest) = digits(rest, 2)?;
    (rest.is_empty() && h <= 14 && m < 60).then_some(Some(sign * (h as i32 * 60 + m as i32)))
}

impl Temporal {
    /// The first instant of year 0 at `precision`, for parsers to fill in.
    fn start(kind: TemporalKind, precision: Precision) -> Temporal {
        Temporal {
            kind,
            precision,
            year: 0,
            month: 1,
            day: 1,
            hour: 0,
            minute: 0,
            second: 0,
            millis: 0,
            fraction: String::new(),
            offset: None,
        }
    }

    /// Parses a date (`2015`, `2015-02`, `2015-02-04`).
    pub fn parse_date(s: &str) -> Option<Self> {
        let t = Self::parse_datetime_parts(s, false)?;
        (t.precision <= Precision::Day && t.offset.is_none()).then_some(Temporal {
            kind: TemporalKind::Date,
            ..t
        })
    }

    /// Parses a date-time (`2015-02-04T14:34:28.123+09:00`, or any coarser prefix, `2015T`).
    pub fn parse_datetime(s: &str) -> Option<Self> {
        Self::parse_datetime_parts(s, true)
    }

    fn parse_datetime_parts(s: &str, allow_time: bool) -> Option<Self> {
        let mut t = Temporal::start(TemporalKind::DateTime, Precision::Year);
        let (year, mut rest) = digits(s, 4)?;
        t.year = year as i32;
        if let Some(r) = rest.strip_prefix('-') {
            let (month, r) = digits(r, 2)?;
            if !(1..=12).contains(&month) {
                return None;
            }
            t.month = month;
            t.precision = Precision::Month;
            rest = r;
            if let Some(r) = rest.strip_prefix('-') {
                let (day, r) = digits(r, 2)?;
                NaiveDate::from_ymd_opt(t.year, month, day)?;
                t.day = day;
                t.precision = Precision::Day;
                rest = r;
            }
        }
        if let Some(r) = rest.strip_prefix('T') {
            if !allow_time {
                return None;
            }
            if r.is_empty() || r == "Z" || r.starts_with(['+', '-']) {
                t.offset = parse_offset(r)?;
                return Some(t);
            }
            if t.precision != Precision::Day {
                return None;
            }
            let (time, r) = Self::parse_time_parts(r)?;
            t.hour = time.hour;
            t.minute = time.minute;
            t.second = time.second;
            t.millis = time.millis;
            t.fraction = time.fraction;
            t.precision = time.precision;
            t.offset = parse_offset(r)?;
            return Some(t);
        }
        if !rest.is_empty() {
            if !allow_time {
                return None;
            }
            // A bare offset after a date is not FHIR, but `2015-02-04Z` has no time to apply it to.
            return None;
        }
        Some(t)
    }

    /// Parses a time (`14`, `14:34`, `14:34:28.123`), without the `T`.
    pub fn parse_time(s: &str) -> Option<Self> {
        let (t, rest) = Self::parse_time_parts(s)?;
        rest.is_empty().then_some(t)
    }

    fn parse_time_parts(s: &str) -> Option<(Self, &str)> {
        let mut t = Temporal::start(TemporalKind::Time, Precision::Hour);
        let (hour, mut rest) = digits(s, 2)?;
        if hour > 23 {
            return None;
        }
        t.hour = hour;
        if let Some(r) = rest.strip_prefix(':') {
            let (minute, r) = digits(r, 2)?;
            if minute > 59 {
                return None;
            }
            t.minute = minute;
            t.precision = Precision::Minute;
            rest = r;
            if let Some(r) = rest.strip_prefix(':') {
                let (second, r) = digits(r, 2)?;
                if second > 59 {
                    return None;
                }
                t.second = second;
                t.precision = Precision::Second;
                rest = r;
                if let Some(r) = rest.strip_prefix('.') {
                    let len = r.bytes().take_while(u8::is_ascii_digit).count();
                    if len == 0 {
                        return None;
                    }
                    t.fraction = r[..len].to_string();
                    let mut ms = r[..len.min(3)].to_string();
                    while ms.len() < 3 {
                        ms.push('0');
                    }
                    t.millis = ms.parse().ok()?;
                    t.precision = Precision::Millisecond;
                    rest = &r[len..];
                }
            }
        }
        Some((t, rest))
    }

    /// The value's components as a naive date-time, for arithmetic and ordering.
    fn naive(&self) -> Option<chrono::NaiveDateTime> {
        NaiveDate::from_ymd_opt(self.year, self.month, self.day)?.and_hms_milli_opt(
            self.hour,
            self.minute,
            self.second,
            self.millis,
        )
    }

    /// The same instant in UTC when an offset is known (or `assume` supplies one).
    fn normalized(&self, assume: Option<i32>) -> Temporal {
        let Some(offset) = self.offset.or(assume) else {
            return self.clone();
        };
        if self.kind != TemporalKind::DateTime || self.precision < Precision::Hour || offset == 0 {
            return self.clone();
        }
        let Some(naive) = self.naive() else {
            return self.clone();
        };
        let utc = naive - Duration::minutes(offset as i64);
        let mut out = self.clone();
        out.set_from_naive(utc);
        out.offset = Some(0);
        out
    }

    fn set_from_naive(&mut self, n: chrono::NaiveDateTime) {
        use chrono::Timelike;
        self.year = n.year();
        self.month = n.month();
        self.day = n.day();
        self.hour = n.hour();
        self.minute = n.minute();
        self.second = n.second();
        self.millis = n.nanosecond() / 1_000_000;
    }

    fn components(&self) -> [(Precision, i64); 7] {
        [
            (Precision::Year, self.year as i64),
            (Precision::Month, self.month as i64),
            (Precision::Day, self.day as i64),
            (Precision::Hour, self.hour as i64),
            (Precision::Minute, self.minute as i64),
            (Precision::Second, self.second as i64),
            (Precision::Millisecond, self.millis as i64),
        ]
    }

    /// FHIRPath ordering: `None` when the values cannot be ordered because their precisions
    /// differ at the first component where one of them stops.
    pub fn compare(&self, other: &Temporal) -> Option<Ordering> {
        if self.kind != other.kind && !(self.is_dateish() && other.is_dateish()) {
            return None;
        }
        let timed = self.precision >= Precision::Hour && other.precision >= Precision::Hour;
        if timed
            && self.kind == TemporalKind::DateTime
            && self.offset.is_some() != other.offset.is_some()
        {
            // One side is local time of an unknown zone: the order is unknown.
            return None;
        }
        let both_offset = self.offset.is_some() || other.offset.is_some();
        let (a, b) = if both_offset && timed {
            (self.normalized(Some(0)), other.normalized(Some(0)))
        } else {
            (self.clone(), other.clone())
        };
        let first = if a.kind == TemporalKind::Time { 3 } else { 0 };
        // Seconds and milliseconds are one precision for comparison.
        let a_prec = a
            .precision
            .max(Precision::Second)
            .min(Precision::Millisecond);
        let b_prec = b
            .precision
            .max(Precision::Second)
            .min(Precision::Millisecond);
        let a_prec = if a.precision < Precision::Second {
            a.precision
        } else {
            a_prec
        };
        let b_prec = if b.precision < Precision::Second {
            b.precision
        } else {
            b_prec
        };
        for (i, ((p, x), (_, y))) in a.components().iter().zip(b.components().iter()).enumerate() {
            if i < first {
                continue;
            }
            let a_has =
                *p <= a_prec || (*p == Precision::Millisecond && a_prec >= Precision::Second);
            let b_has =
                *p <= b_prec || (*p == Precision::Millisecond && b_prec >= Precision::Second);
            match (a_has, b_has) {
                (true, true) => match x.cmp(y) {
                    Ordering::Equal => continue,
                    unequal => return Some(unequal),
                },
                (false, false) => return Some(Ordering::Equal),
                _ => return None,
            }
        }
        Some(Ordering::Equal)
    }

    fn is_dateish(&self) -> bool {
        matches!(self.kind, TemporalKind::Date | TemporalKind::DateTime)
    }

    /// Whether this is a time of day.
    pub fn is_time(&self) -> bool {
        self.kind == TemporalKind::Time
    }

    /// Adds a calendar quantity (`value` in `unit`); `None` when the unit is not a duration.
    pub fn add(&self, value: rust_decimal::Decimal, unit: &str) -> Option<Temporal> {
        use rust_decimal::prelude::ToPrimitive;
        if matches!(unit, "week" | "weeks" | "wk") {
            return self.add(value.checked_mul(7.into())?, "day");
        }
        let unit = calendar_unit(unit)?;
        let whole = value.trunc().to_i64()?;
        let mut out = self.clone();
        match unit {
            Precision::Year | Precision::Month => {
                let months = if unit == Precision::Year {
                    whole * 12
                } else {
                    whole
                };
                let total = self.year as i64 * 12 + (self.month as i64 - 1) + months;
                out.year = total.div_euclid(12) as i32;
                out.month = total.rem_euclid(12) as u32 + 1;
                let last = last_day(out.year, out.month)?;
                out.day = self.day.min(last);
                Some(out)
            }
            _ => {
                if self.kind == TemporalKind::Date && unit > Precision::Day {
                    // A date has no time to move; whole days of it still apply.
                    let per_day = match unit {
                        Precision::Hour => 24,
                        Precision::Minute => 1440,
                        Precision::Second => 86_400,
                        _ => 86_400_000,
                    };
                    let days = whole / per_day;
                    return self.add(rust_decimal::Decimal::from(days), "day");
                }
                let millis = match unit {
                    Precision::Day => whole.checked_mul(86_400_000)?,
                    Precision::Hour => whole.checked_mul(3_600_000)?,
                    Precision::Minute => whole.checked_mul(60_000)?,
                    // Only whole seconds move a value (the suite: `+ 0.1 's'` changes nothing).
                    Precision::Second => whole.checked_mul(1000)?,
                    _ => whole,
                };
                // Weeks arrive as days.
                let mut naive = self.naive()?;
                if self.kind == TemporalKind::Time {
                    naive = NaiveDate::from_ymd_opt(2000, 1, 1)?.and_time(naive.time());
                }
                let moved = naive.checked_add_signed(Duration::milliseconds(millis))?;
                let keep = (self.year, self.month, self.day);
                out.set_from_naive(moved);
                if self.kind == TemporalKind::Time {
                    (out.year, out.month, out.day) = keep;
                }
                if out.precision == Precision::Millisecond {
                    out.fraction = format!("{:03}", out.millis);
                }
                Some(out)
            }
        }
    }

    /// The earliest or latest value this one could stand for, at `precision` (FHIRPath
    /// `lowBoundary()` / `highBoundary()`).
    pub fn boundary(&self, high: bool, precision: Option<u32>) -> Option<Temporal> {
        let target = match (self.kind, precision) {
            (TemporalKind::Date, None | Some(8)) => Precision::Day,
            (TemporalKind::Date, Some(4)) => Precision::Year,
            (TemporalKind::Date, Some(6)) => Precision::Month,
            (TemporalKind::DateTime, None | Some(17)) => Precision::Millisecond,
            (TemporalKind::DateTime, Some(4)) => Precision::Year,
            (TemporalKind::DateTime, Some(6)) => Precision::Month,
            (TemporalKind::DateTime, Some(8)) => Precision::Day,
            (TemporalKind::DateTime, Some(10)) => Precision::Hour,
            (TemporalKind::DateTime, Some(12)) => Precision::Minute,
            (TemporalKind::DateTime, Some(14)) => Precision::Second,
            (TemporalKind::Time, None | Some(9)) => Precision::Millisecond,
            (TemporalKind::Time, Some(2)) => Precision::Hour,
            (TemporalKind::Time, Some(4)) => Precision::Minute,
            (TemporalKind::Time, Some(6)) => Precision::Second,
            _ => return None,
        };
        let mut out = self.clone();
        let fill = |p: Precision| self.precision < p && target >= p;
        if fill(Precision::Month) {
            out.month = if high { 12 } else { 1 };
        }
        if fill(Precision::Day) {
            out.day = if high {
                last_day(out.year, out.month)?
            } else {
                1
            };
        }
        if fill(Precision::Hour) {
            out.hour = if high { 23 } else { 0 };
        }
        if fill(Precision::Minute) {
            out.minute = if high { 59 } else { 0 };
        }
        if fill(Precision::Second) {
            out.second = if high { 59 } else { 0 };
        }
        if fill(Precision::Millisecond) {
            out.millis = if high { 999 } else { 0 };
        }
        if target == Precision::Millisecond {
            out.fraction = format!("{:03}", out.millis);
        }
        if self.kind == TemporalKind::DateTime && target >= Precision::Hour && self.offset.is_none()
        {
            // Without an offset the value could be anywhere from +14:00 to -12:00.
            out.offset = Some(if high { -12 * 60 } else { 14 * 60 });
        }
        out.precision = target;
        Some(out)
    }

    /// The precision as the count of digits FHIRPath `precision()` reports.
    pub fn precision_digits(&self) -> i64 {
        match (self.kind, self.precision) {
            (TemporalKind::Time, Precision::Hour) => 2,
            (TemporalKind::Time, Precision::Minute) => 4,
            (TemporalKind::Time, Precision::Second) => 6,
            (TemporalKind::Time, _) => 9,
            (_, Precision::Year) => 4,
            (_, Precision::Month) => 6,
            (_, Precision::Day) => 8,
            (_, Precision::Hour) => 10,
            (_, Precision::Minute) => 12,
            (_, Precision::Second) => 14,
            (_, Precision::Millisecond) => 17,
        }
    }

    /// One component (`year`, `month`, ... `millisecond`, `timezoneOffset` in hours), when present.
    pub fn component(&self, name: &str) -> Option<ComponentValue> {
        let need = match name {
            "year" => Precision::Year,
            "month" => Precision::Month,
            "day" => Precision::Day,
            "hour" => Precision::Hour,
            "minute" => Precision::Minute,
            "second" => Precision::Second,
            "millisecond" => Precision::Millisecond,
            "timezoneOffset" => {
                return self.offset.map(|m| {
                    ComponentValue::Hours(
                        rust_decimal::Decimal::new(m as i64 * 100 / 60, 2).normalize(),
                    )
                });
            }
            _ => return None,
        };
        if self.precision < need || (self.kind == TemporalKind::Time && need < Precision::Hour) {
            return None;
        }
        Some(ComponentValue::Int(match need {
            Precision::Year => self.year as i64,
            Precision::Month => self.month as i64,
            Precision::Day => self.day as i64,
            Precision::Hour => self.hour as i64,
            Precision::Minute => self.minute as i64,
            Precision::Second => self.second as i64,
            Precision::Millisecond => self.millis as i64,
        }))
    }

    /// The date part of a date-time.
    pub fn date_part(&self) -> Temporal {
        let mut out = self.clone();
        out.kind = TemporalKind::Date;
        out.precision = self.precision.min(Precision::Day);
        out.offset = None;
        out
    }

    /// The time part of a date-time, when it has one.
    pub fn time_part(&self) -> Option<Temporal> {
        if self.precision < Precision::Hour {
            return None;
        }
        let mut out = self.clone();
        out.kind = TemporalKind::Time;
        out.offset = None;
        Some(out)
    }

    /// As a date-time (a date gains nothing but its kind).
    pub fn to_datetime(&self) -> Temporal {
        let mut out = self.clone();
        if out.kind == TemporalKind::Date {
            out.kind = TemporalKind::DateTime;
        }
        out
    }

    /// Today's date or the current instant, from the system clock.
    pub fn now(kind: TemporalKind) -> Temporal {
        let now = chrono::Local::now();
        let precision = if kind == TemporalKind::Date {
            Precision::Day
        } else {
            Precision::Millisecond
        };
        let mut out = Temporal::start(kind, precision);
        out.set_from_naive(now.naive_local());
        if kind != TemporalKind::Date {
            out.offset = Some(now.offset().local_minus_utc() / 60);
            out.fraction = format!("{:03}", out.millis);
        }
        if kind == TemporalKind::Time {
            out.offset = None;
        }
        out
    }
}

/// A component read by `year()`, `month()`, ... or `timezoneOffset`.
pub enum ComponentValue {
    /// An integer component.
    Int(i64),
    /// An offset in hours.
    Hours(rust_decimal::Decimal),
}

fn last_day(year: i32, month: u32) -> Option<u32> {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    Some(next.pred_opt()?.day())
}

/// Whether a unit is a calendar word (`year`, `weeks`), written without quotes.
pub fn is_calendar_word(unit: &str) -> bool {
    matches!(
        unit,
        "year"
            | "years"
            | "month"
            | "months"
            | "week"
            | "weeks"
            | "day"
            | "days"
            | "hour"
            | "hours"
            | "minute"
            | "minutes"
            | "second"
            | "seconds"
            | "millisecond"
            | "milliseconds"
    )
}

/// The calendar precision a duration unit moves, for both calendar words and UCUM codes.
pub fn calendar_unit(unit: &str) -> Option<Precision> {
    Some(match unit {
        "year" | "years" | "a" => Precision::Year,
        "month" | "months" | "mo" => Precision::Month,
        "day" | "days" | "d" => Precision::Day,
        "hour" | "hours" | "h" => Precision::Hour,
        "minute" | "minutes" | "min" => Precision::Minute,
        "second" | "seconds" | "s" => Precision::Second,
        "millisecond" | "milliseconds" | "ms" => Precision::Millisecond,
        _ => return None,
    })
}

impl std::fmt::Display for Temporal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = self.precision;
        if self.kind != TemporalKind::Time {
            write!(f, "{:04}", self.year)?;
            if p >= Precision::Month {
                write!(f, "-{:02}", self.month)?;
            }
            if p >= Precision::Day {
                write!(f, "-{:02}", self.day)?;
            }
            if p < Precision::Hour {
                return Ok(());
            }
            f.write_str("T")?;
        }
        write!(f, "{:02}", self.hour)?;
        if p >= Precision::Minute {
            write!(f, ":{:02}", self.minute)?;
        }
        if p >= Precision::Second {
            write!(f, ":{:02}", self.second)?;
        }
        if p >= Precision::Millisecond {
            if self.fraction.is_empty() {
                write!(f, ".{:03}", self.millis)?;
            } else {
                write!(f, ".{}", self.fraction)?;
            }
        }
        if self.kind == TemporalKind::DateTime
            && let Some(offset) = self.offset
        {
            if offset == 0 {
                f.write_str("Z")?;
            } else {
                let sign = if offset < 0 { '-' } else { '+' };
                write!(f, "{sign}{:02}:{:02}", offset.abs() / 60, offset.abs() % 60)?;
            }
        }
        Ok(())
    }
}

/// Whether `s` (after `@`) is a date literal.
pub fn is_date_literal(s: &str) -> bool {
    Temporal::parse_date(s).is_some()
}

/// Whether `s` (after `@`) is a date-time literal.
pub fn is_datetime_literal(s: &str) -> bool {
    Temporal::parse_datetime(s).is_some()
}

/// Whether `s` (after `@T`) is a time literal.
pub fn is_time_literal(s: &str) -> bool {
    Temporal::parse_time(s).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> Temporal {
        Temporal::parse_datetime(s).unwrap()
    }

    #[test]
    fn precision_decides_whether_values_compare() {
        assert_eq!(
            dt("2012-04-15").compare(&dt("2012-04-16")),
            Some(Ordering::Less)
        );
        assert_eq!(dt("2012-04").compare(&dt("2012-04-15")), None);
        assert_eq!(
            dt("2012-03").compare(&dt("2012-04-15")),
            Some(Ordering::Less)
        );
        assert_eq!(
            dt("2012-04-15T10:00:00").compare(&dt("2012-04-15T10:00:00.000")),
            Some(Ordering::Equal)
        );
        assert_eq!(
            dt("2017-11-05T01:30:00.0-04:00").compare(&dt("2017-11-05T01:15:00.0-05:00")),
            Some(Ordering::Less)
        );
    }

    #[test]
    fn months_clamp_to_the_last_day() {
        let d = Temporal::parse_date("2024-01-31").unwrap();
        assert_eq!(d.add(1.into(), "month").unwrap().to_string(), "2024-02-29");
        assert_eq!(
            d.add((-13).into(), "months").unwrap().to_string(),
            "2022-12-31"
        );
        assert_eq!(
            dt("2019-03-01T10:00:00Z")
                .add(25.into(), "hours")
                .unwrap()
                .to_string(),
            "2019-03-02T11:00:00Z"
        );
    }

    #[test]
    fn written_text_round_trips() {
        for s in [
            "2015",
            "2015-02",
            "2015-02-04T14:34:28.123+09:00",
            "2015-02-04T14:34Z",
        ] {
            assert_eq!(dt(s).to_string(), s);
        }
        assert!(Temporal::parse_date("2015-02-30").is_none());
        assert!(Temporal::parse_time("24:00").is_none());
    }
}
