//! FHIR R4 resource validation. Bulk import runs the structural
//! [`check_resource`] on every resource of a bundle; records a user types in
//! also go through [`check_manual`], which knows the few types manual entry
//! offers and refuses what a clinician would call wrong (future dates,
//! unknown statuses, codes with a bad check digit). Every refusal says where,
//! as a FHIRPath-like path relative to the resource, and why.
//!
//! Parts: `dates` (FHIR date types), `structure` (any resource), `manual`
//! (typed-in records, per type), `codes` (check digits and code shapes).

use super::{is_fhir_id, is_type_name};
use crate::records::index::date_fields;
use chrono::{DateTime, NaiveDate};
use serde_json::{Map, Value};
use std::cmp::Ordering;
use std::fmt::Write as _;
use std::ops::RangeInclusive;

/// Why a resource was refused: where (a FHIRPath-like path) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct Invalid {
    /// Where, relative to the resource (`code.coding[0].system`); empty only when it is not an object.
    pub path: String,
    /// Why it was refused.
    pub reason: String,
}

fn invalid<T>(path: impl Into<String>, reason: impl Into<String>) -> Result<T, Invalid> {
    Err(Invalid {
        path: path.into(),
        reason: reason.into(),
    })
}

type Object = Map<String, Value>;

/// Deepest nesting walked: real resources stay far below it, and the walk recurses.
const MAX_DEPTH: usize = 64;

const UCUM: &str = "http://unitsofmeasure.org";

mod codes;
mod dates;
mod manual;
mod structure;
#[cfg(test)]
mod tests;

pub use dates::{is_date, is_date_time, is_instant};
pub use manual::check_manual;
pub use structure::check_resource;
// Shared between the parts: each part sees the others' helpers through `super::*`.
use codes::*;
use dates::*;
use manual::*;
