//! What the logic reads about a person, besides their doses.

use crate::data::Gender;
use crate::date::Date;

/// The person assessed.
#[derive(Debug, Clone, PartialEq)]
pub struct Patient {
    /// Date of birth.
    pub birth: Date,
    /// Gender.
    pub gender: Gender,
    /// Country of birth, as the immunity data names it ("U.S."), when known.
    pub country_of_birth: Option<String>,
    /// Coded observations (CDSi observation codes) from the person's record.
    pub observations: Vec<Observation>,
}

/// A CDSi coded observation about the person (a condition, an adverse
/// reaction, evidence of immunity).
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// The three-digit CDSi observation code ("080").
    pub code: String,
    /// When it began, when known.
    pub date: Option<Date>,
    /// The record it came from (`Condition/<id>`).
    pub source: Option<String>,
}

impl Patient {
    /// Whether an observation with `code` is active on `day` (an undated one always is).
    pub fn has(&self, code: &str, day: Date) -> bool {
        self.observations
            .iter()
            .any(|o| o.code == code && o.date.is_none_or(|d| d <= day))
    }

    /// The latest date of an active observation with `code`, up to `day`.
    pub fn latest(&self, code: &str, day: Date) -> Option<Date> {
        self.observations
            .iter()
            .filter(|o| o.code == code)
            .filter_map(|o| o.date)
            .filter(|d| *d <= day)
            .max()
    }
}
