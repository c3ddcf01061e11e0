//! Calendar dates and the specification's durations ("12 months - 4 days"),
//! added the way section 3.4 says (CALCDT-1 to CALCDT-6).

use std::fmt;

/// A calendar day (proleptic Gregorian), ordered.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Days since 1970-01-01.
    days: i32,
}

/// The date the specification assumes for an empty lower bound (01/01/1900).
pub const EARLIEST: Date = Date::from_civil_const(1900, 1, 1);
/// The date the specification assumes for an empty upper bound (12/31/2999).
pub const LATEST: Date = Date::from_civil_const(2999, 12, 31);

/// Why a date or duration text was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {text:?} is not understood")]
pub struct ParseError {
    what: &'static str,
    text: String,
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Days in month `m` (1-12) of year `y`.
pub fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

impl Date {
    // Howard Hinnant's days-from-civil, usable in constants.
    const fn from_civil_const(y: i32, m: u32, d: u32) -> Date {
        let y = if m <= 2 { y - 1 } else { y };
        let era = if y >= 0 { y } else { y - 399 } / 400;
        let yoe = y - era * 400;
        let mp = (m as i32 + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d as i32 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Date {
            days: era * 146097 + doe - 719468,
        }
    }

    /// The date `days` after 1970-01-01 (for data written as constants).
    pub const fn from_days(days: i32) -> Date {
        Date { days }
    }

    /// Days after 1970-01-01.
    pub const fn days(self) -> i32 {
        self.days
    }

    /// The date for year, month and day, if it is a real date.
    pub fn new(y: i32, m: u32, d: u32) -> Option<Date> {
        if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
            return None;
        }
        Some(Date::from_civil_const(y, m, d))
    }

    /// Year, month (1-12) and day.
    pub fn ymd(self) -> (i32, u32, u32) {
        let z = self.days + 719468;
        let era = if z >= 0 { z } else { z - 146096 } / 146097;
        let doe = z - era * 146097;
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let y = yoe + era * 400 + i32::from(m <= 2);
        (y, m, d)
    }

    /// Reads `YYYY-MM-DD` (FHIR and the supporting data) or `MM/DD/YYYY` (the
    /// supporting data's immunity birth date).
    pub fn parse(text: &str) -> Result<Date, ParseError> {
        let bad = || ParseError {
            what: "date",
            text: text.to_string(),
        };
        let num = |s: &str| -> Result<u32, ParseError> {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            s.parse().map_err(|_| bad())
        };
        let (y, m, d) = if let [y, m, d] = text.split('-').collect::<Vec<_>>()[..] {
            (y, m, d)
        } else if let [m, d, y] = text.split('/').collect::<Vec<_>>()[..] {
            (y, m, d)
        } else {
            return Err(bad());
        };
        if y.len() != 4 {
            return Err(bad());
        }
        let y = i32::try_from(num(y)?).map_err(|_| bad())?;
        Date::new(y, num(m)?, num(d)?).ok_or_else(bad)
    }

    /// The date `days` later (earlier when negative).
    pub fn plus_days(self, days: i32) -> Date {
        Date {
            days: self.days + days,
        }
    }

    /// This date moved by `duration`: years, then months, then days; a date
    /// the months land on that does not exist (September 31) becomes the first
    /// of the next month (CALCDT-1 to CALCDT-6).
    pub fn plus(self, duration: &Duration) -> Date {
        let (y, m, d) = self.ymd();
        let months = (y + duration.years) * 12 + (m as i32 - 1) + duration.months;
        let (y, m) = (months.div_euclid(12), months.rem_euclid(12) as u32 + 1);
        let landed = Date::new(y, m, d).unwrap_or_else(|| {
            // CALCDT-5: not a real date, so the first day of the next month.
            let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            Date::from_civil_const(ny, nm, 1)
        });
        landed.plus_days(duration.days)
    }

    /// Days from `earlier` to this date.
    pub fn days_since(self, earlier: Date) -> i32 {
        self.days - earlier.days
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

/// An age or interval as the supporting data writes it: years, months and
/// days (weeks counted as 7 days), each term signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Duration {
    /// Whole years.
    pub years: i32,
    /// Whole months.
    pub months: i32,
    /// Days, weeks included.
    pub days: i32,
}

impl Duration {
    /// Reads `"6 weeks"`, `"12 months - 4 days"`, `"16 years - 4 months"`.
    pub fn parse(text: &str) -> Result<Duration, ParseError> {
        let bad = || ParseError {
            what: "duration",
            text: text.to_string(),
        };
        let mut out = Duration::default();
        let mut words = text.split_whitespace();
        let mut sign = 1;
        loop {
            let n: i32 = words.next().ok_or_else(bad)?.parse().map_err(|_| bad())?;
            let n = sign * n;
            match words.next().ok_or_else(bad)?.to_ascii_lowercase().as_str() {
                "day" | "days" => out.days += n,
                "week" | "weeks" => out.days += 7 * n,
                "month" | "months" => out.months += n,
                "year" | "years" => out.years += n,
                _ => return Err(bad()),
            }
            sign = match words.next() {
                None => return Ok(out),
                Some("+") => 1,
                Some("-") => -1,
                Some(_) => return Err(bad()),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn plus(date: &str, duration: &str) -> String {
        d(date)
            .plus(&Duration::parse(duration).unwrap())
            .to_string()
    }

    /// Each example of the specification's Table 3-6.
    #[test]
    fn the_specifications_date_examples() {
        assert_eq!(plus("2000-01-01", "3 years"), "2003-01-01", "CALCDT-1");
        assert_eq!(plus("2000-01-01", "6 months"), "2000-07-01", "CALCDT-2");
        assert_eq!(plus("2000-11-01", "6 months"), "2001-05-01", "CALCDT-2");
        assert_eq!(plus("2000-01-01", "3 days"), "2000-01-04", "CALCDT-3");
        assert_eq!(plus("2000-01-01", "3 weeks"), "2000-01-22", "CALCDT-3");
        assert_eq!(plus("2000-02-01", "5 weeks"), "2000-03-07", "CALCDT-3 leap");
        assert_eq!(plus("2001-02-01", "5 weeks"), "2001-03-08", "CALCDT-3");
        assert_eq!(
            plus("2000-01-15", "0 days - 4 days"),
            "2000-01-11",
            "CALCDT-4"
        );
        assert_eq!(plus("2000-03-31", "6 months"), "2000-10-01", "CALCDT-5");
        assert_eq!(plus("2000-08-31", "6 months"), "2001-03-01", "CALCDT-5");
        assert_eq!(
            plus("2000-01-31", "6 months - 4 days"),
            "2000-07-27",
            "CALCDT-6"
        );
    }

    #[test]
    fn months_that_borrow_a_year_and_leap_days() {
        assert_eq!(plus("2010-02-15", "16 years - 4 months"), "2025-10-15");
        assert_eq!(plus("2000-02-29", "1 year"), "2001-03-01");
        assert_eq!(plus("2000-02-29", "4 years"), "2004-02-29");
        assert_eq!(plus("2000-08-31", "6 months - 4 days"), "2001-02-25");
        assert_eq!(plus("2020-12-31", "2 months"), "2021-03-01");
    }

    #[test]
    fn durations_read_every_form_the_data_uses() {
        let p = |s| Duration::parse(s).unwrap();
        assert_eq!(
            p("6 weeks"),
            Duration {
                years: 0,
                months: 0,
                days: 42
            }
        );
        assert_eq!(
            p("12 months - 4 days"),
            Duration {
                years: 0,
                months: 12,
                days: -4
            }
        );
        assert_eq!(
            p("16 months + 4 weeks"),
            Duration {
                years: 0,
                months: 16,
                days: 28
            }
        );
        assert_eq!(
            p("21 days - 4 days"),
            Duration {
                years: 0,
                months: 0,
                days: 17
            }
        );
        assert_eq!(
            p("1 year"),
            Duration {
                years: 1,
                months: 0,
                days: 0
            }
        );
        for bad in [
            "",
            "6",
            "weeks",
            "6 fortnights",
            "6 weeks -",
            "6 weeks * 2 days",
        ] {
            assert!(Duration::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn dates_read_both_forms_and_refuse_what_is_not_a_day() {
        assert_eq!(d("01/01/1957"), d("1957-01-01"));
        assert_eq!(EARLIEST.to_string(), "1900-01-01");
        assert_eq!(LATEST.to_string(), "2999-12-31");
        for bad in [
            "2001-02-29",
            "2001-13-01",
            "1-1-2001",
            "2001-01-01T00:00",
            "20010101",
            "",
        ] {
            assert!(Date::parse(bad).is_err(), "{bad:?}");
        }
        // Round trip over a span of centuries.
        let mut day = EARLIEST;
        while day < d("2101-01-01") {
            let (y, m, dd) = day.ymd();
            assert_eq!(Date::new(y, m, dd), Some(day));
            day = day.plus_days(97);
        }
    }
}
