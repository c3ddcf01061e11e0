//! Running SQL-on-FHIR views over one profile's records, within a row and a time budget.
//!
//! The view reads the stored JSON as it was received, so a column's decimal has the digits
//! the source sent. Which records it sees is the caller's [`ProfileScope`]; an optional FHIR
//! search narrows them first through the store's indexes (a code, a date range), which is
//! what keeps a dashboard's views fast on a large record.

use super::RecordStore;
use super::search::{QueryError, Search, SearchError};
use crate::auth::ProfileScope;
use hearth_views::{ColumnInfo, View, ViewError};
use serde_json::Value;
use std::time::{Duration, Instant};

/// Resources read per store query while a view runs.
const PAGE: u32 = 500;

/// Rows a view returns when the caller names no limit.
pub const DEFAULT_ROWS: usize = 1_000;
/// Most rows one view may return.
pub const MAX_ROWS: usize = 10_000;
/// Time a view may run (a plugin call's own deadline still applies).
pub const VIEW_TIME: Duration = Duration::from_secs(10);

/// What a view run may use.
#[derive(Debug, Clone, Copy)]
pub struct ViewLimits {
    /// Rows kept; past it the result says it was cut short.
    pub max_rows: usize,
    /// Wall-clock time before the run is stopped.
    pub time: Duration,
}

impl ViewLimits {
    /// The limits for a caller asking for at most `rows` rows ([`DEFAULT_ROWS`] when `None`).
    pub fn asking(rows: Option<usize>) -> Result<ViewLimits, ViewRunError> {
        let max_rows = match rows {
            None => DEFAULT_ROWS,
            Some(n) if (1..=MAX_ROWS).contains(&n) => n,
            Some(n) => return Err(ViewRunError::Limit(n)),
        };
        Ok(ViewLimits {
            max_rows,
            time: VIEW_TIME,
        })
    }
}

/// FHIR search parameters written as a query string (`code=…&date=ge2023`, `?` allowed).
pub fn filter_params(text: Option<&str>) -> Vec<(String, String)> {
    text.map(|t| {
        url::form_urlencoded::parse(t.trim_start_matches('?').as_bytes())
            .into_owned()
            .collect()
    })
    .unwrap_or_default()
}

/// A view's output.
#[derive(Debug)]
pub struct ViewOutput {
    /// The columns, in order.
    pub columns: Vec<ColumnInfo>,
    /// The rows, each in column order.
    pub rows: Vec<Vec<Value>>,
    /// Whether rows were left out because of `max_rows`.
    pub truncated: bool,
    /// How many records the view read.
    pub resources_read: u64,
}

/// Why a view run failed.
#[derive(Debug, thiserror::Error)]
pub enum ViewRunError {
    /// The definition is not a valid view.
    #[error("{0}")]
    Invalid(ViewError),
    /// A path failed on one of the records.
    #[error("{0}")]
    Evaluation(ViewError),
    /// The narrowing search is not one the store supports.
    #[error("filter: {0}")]
    Filter(QueryError),
    /// The caller asked for a number of rows outside 1 to [`MAX_ROWS`].
    #[error("limit must be 1 to {MAX_ROWS}, not {0}")]
    Limit(usize),
    /// The view ran past its time.
    #[error(
        "the view read {read} records in {seconds} s without finishing; narrow it with a filter"
    )]
    TooSlow {
        /// Records read before it stopped.
        read: u64,
        /// The time it had.
        seconds: u64,
    },
    /// A stored record is not JSON (the store was damaged outside Hearth).
    #[error("stored record {0} is not readable")]
    Corrupt(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] SearchError),
}

/// Checks a ViewDefinition without running it.
pub fn check(definition: &Value) -> Result<View, ViewRunError> {
    View::parse(definition).map_err(ViewRunError::Invalid)
}

impl RecordStore {
    /// Runs `view` over `scope`'s records of its resource type, narrowed by `filter`
    /// (FHIR search parameters, as `GET …/fhir/{type}` takes them).
    pub async fn run_view(
        &self,
        scope: &ProfileScope,
        view: &View,
        filter: &[(String, String)],
        limits: ViewLimits,
    ) -> Result<ViewOutput, ViewRunError> {
        let started = Instant::now();
        let mut search =
            Search::parse(view.resource_type(), filter).map_err(ViewRunError::Filter)?;
        // A page no larger than the rows wanted: a dashboard asking for its latest two
        // should not read 500 records.
        search.count = PAGE.min(
            u32::try_from(limits.max_rows)
                .unwrap_or(PAGE)
                .saturating_add(1),
        );
        search.total = false;
        let mut out = ViewOutput {
            columns: view.columns().to_vec(),
            rows: Vec::new(),
            truncated: false,
            resources_read: 0,
        };
        loop {
            let page = self.search(scope, &search).await?;
            for entry in &page.entries {
                let resource: Value = serde_json::from_str(entry.resource.get()).map_err(|e| {
                    ViewRunError::Corrupt(format!("{}/{}: {e}", entry.resource_type, entry.id))
                })?;
                view.rows(&resource, &mut out.rows)
                    .map_err(ViewRunError::Evaluation)?;
                out.resources_read += 1;
                if out.rows.len() > limits.max_rows {
                    out.rows.truncate(limits.max_rows);
                    out.truncated = true;
                    return Ok(out);
                }
            }
            if started.elapsed() > limits.time {
                return Err(ViewRunError::TooSlow {
                    read: out.resources_read,
                    seconds: limits.time.as_secs(),
                });
            }
            match page.next {
                Some(next) => search.cursor = Some(next),
                None => return Ok(out),
            }
            // A long run shares the worker with other requests.
            tokio::task::yield_now().await;
        }
    }
}
