//! Queries over a profile's index: FHIR search (a subset, answered as a
//! searchset page), the timeline, and related records. Every query takes a
//! [`ProfileScope`], pages by keyset cursor (so page 1,000 costs what page 1
//! does), and reads only index columns until the page's JSON is fetched.

use super::{RecordStore, StoreError, StoredResource, is_fhir_id, is_type_name, stored};
use crate::auth::ProfileScope;
use crate::records::duplicates::AlsoFrom;
use crate::records::index::{format_instant, param};
use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use serde::Serialize;
use sqlx::{QueryBuilder, Row, Sqlite};
use std::collections::HashMap;

/// Most parameters one search may have.
pub const MAX_PARAMETERS: usize = 64;

/// The search parameters understood, for the error that lists them.
pub const SUPPORTED: &str = "_id, _lastUpdated, date, code, category, component-code, status, _text, _sort, _count, _total, _cursor";
/// Largest page.
pub const MAX_COUNT: u32 = 1000;

mod query;
mod run;
mod sql;
#[cfg(test)]
mod tests;

pub use query::*;
pub use run::*;
use sql::*;
