//! Section 4.2, organize the immunization history: each dose given becomes
//! one record per antigen its vaccine carries (at the patient's age that
//! day), sorted by antigen and then by date.

use crate::data::Schedule;
use crate::date::{Date, EARLIEST, LATEST};

/// A vaccine dose as given, from the person's record.
#[derive(Debug, Clone, PartialEq)]
pub struct DoseGiven {
    /// Where it came from (`Immunization/<id>`), carried into every output.
    pub id: String,
    /// The day it was given.
    pub date: Date,
    /// CVX code of the vaccine.
    pub cvx: String,
    /// Manufacturer (MVX), when known.
    pub mvx: Option<String>,
    /// Lot expiration date, when known.
    pub lot_expiration: Option<Date>,
    /// Whether the record says the dose was sub-potent, recalled or otherwise flawed.
    pub flawed: bool,
}

/// One antigen of one dose given: what evaluation walks.
#[derive(Debug, Clone, PartialEq)]
pub struct AntigenDose {
    /// The antigen.
    pub antigen: String,
    /// Index of the dose in the history it came from.
    pub dose: usize,
    /// The day it was given.
    pub date: Date,
}

/// The antigen records of `history`, sorted by antigen then date (doses of
/// one day keep the order they were given in). A CVX code the schedule does
/// not know carries no antigen.
pub fn organize(schedule: &Schedule, birth: Date, history: &[DoseGiven]) -> Vec<AntigenDose> {
    let mut out = Vec::new();
    for (i, dose) in history.iter().enumerate() {
        let Some(map) = schedule.cvx(&dose.cvx) else {
            continue;
        };
        for a in map.antigens.iter() {
            let begin = a.begin_age.map_or(EARLIEST, |d| birth.plus(&d));
            let end = a.end_age.map_or(LATEST, |d| birth.plus(&d));
            if begin <= dose.date && dose.date < end {
                out.push(AntigenDose {
                    antigen: a.antigen.to_string(),
                    dose: i,
                    date: dose.date,
                });
            }
        }
    }
    out.sort_by(|a, b| (&a.antigen, a.date).cmp(&(&b.antigen, b.date)));
    out
}
