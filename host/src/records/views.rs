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
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
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
#[derive(Debug, Clone)]
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
    /// The definition is not JSON.
    #[error("the view is not JSON: {0}")]
    NotJson(String),
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

/// A view checked and ready to run, with the text its rows are kept under.
#[derive(Debug)]
pub struct CheckedView {
    view: View,
    /// The definition as canonical JSON: equal definitions give equal rows.
    key: Arc<str>,
}

fn row_key(r: &super::search::RowIdentity) -> RowKey {
    (r.row, r.version, r.content_hash.clone())
}

/// Checks a ViewDefinition without running it.
pub fn check(definition: &Value) -> Result<CheckedView, ViewRunError> {
    let view = View::parse(definition).map_err(ViewRunError::Invalid)?;
    Ok(CheckedView {
        view,
        key: definition.to_string().into(),
    })
}

/// Checked views kept by their text before the set is started afresh.
const CACHED_VIEWS: usize = 256;

/// Whole view outputs kept before the set is started afresh.
const CACHED_OUTPUTS: usize = 512;

/// Rows one generation of the cache holds before it becomes the old one.
const CACHED_ROWS: usize = 50_000;

/// The rows views made of records, by view and record content.
///
/// A record's rows depend only on the view and the record's JSON, so they are
/// kept under the view's canonical text and the row's id, version and content
/// hash: a changed record has a new version and hash, a removed one is no
/// longer found by the search, and which records a run sees is still decided
/// by its scoped search. This is what lets a dashboard drawn again read the
/// index rather than every record's JSON. Two generations bound the memory
/// (about [`CACHED_ROWS`] rows each); rows used from the old one move to the new.
#[derive(Default)]
pub(crate) struct ViewRowCache {
    generations: Mutex<Generations>,
    /// Views checked before, by the text they were given as: a plugin asks
    /// for the same few views on every draw.
    checked: Mutex<HashMap<String, Arc<CheckedView>>>,
    /// Whole outputs, with the profile's record generation they were made at:
    /// while the profile's records stay as they were, a run needs no search.
    outputs: Mutex<HashMap<OutputKey, (i64, Arc<ViewOutput>)>>,
}

/// A run's inputs: profile, view text, filter and row limit.
type OutputKey = (String, Arc<str>, String, usize);

impl std::fmt::Debug for ViewRowCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ViewRowCache")
    }
}

type RowKey = (i64, i64, Vec<u8>);
type Rows = Arc<Vec<Vec<Value>>>;

#[derive(Default)]
struct Generations {
    current: HashMap<Arc<str>, HashMap<RowKey, Rows>>,
    current_rows: usize,
    old: HashMap<Arc<str>, HashMap<RowKey, Rows>>,
}

impl Generations {
    fn get(&mut self, view: &Arc<str>, key: &RowKey) -> Option<Rows> {
        if let Some(rows) = self.current.get(view).and_then(|m| m.get(key)) {
            return Some(rows.clone());
        }
        let rows = self.old.get_mut(view)?.remove(key)?;
        self.put(view, key.clone(), rows.clone());
        Some(rows)
    }

    fn put(&mut self, view: &Arc<str>, key: RowKey, rows: Rows) {
        if self.current_rows >= CACHED_ROWS {
            self.old = std::mem::take(&mut self.current);
            self.current_rows = 0;
        }
        // An empty result still counts: most records give no row to most views.
        self.current_rows += rows.len().max(1);
        self.current
            .entry(view.clone())
            .or_default()
            .insert(key, rows);
    }
}

impl ViewRowCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Generations> {
        // A panic while holding the lock leaves only cached rows behind: keep going.
        self.generations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn outputs(&self) -> std::sync::MutexGuard<'_, HashMap<OutputKey, (i64, Arc<ViewOutput>)>> {
        self.outputs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl RecordStore {
    /// A view given as JSON text, checked (once for the same text).
    pub fn checked_view(&self, text: &str) -> Result<Arc<CheckedView>, ViewRunError> {
        let lock = || {
            self.view_rows
                .checked
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if let Some(found) = lock().get(text) {
            return Ok(found.clone());
        }
        let definition: Value =
            serde_json::from_str(text).map_err(|e| ViewRunError::NotJson(e.to_string()))?;
        let checked = Arc::new(check(&definition)?);
        let mut kept = lock();
        if kept.len() >= CACHED_VIEWS {
            kept.clear();
        }
        kept.insert(text.to_string(), checked.clone());
        Ok(checked)
    }

    /// The counter that moves with every change to `scope`'s records (0 before the first).
    async fn record_generation(&self, scope: &ProfileScope) -> Result<i64, SearchError> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT generation FROM record_generations WHERE profile_id = ?")
                .bind(scope.id())
                .fetch_optional(&self.db)
                .await?;
        Ok(found.unwrap_or(0))
    }

    /// Runs `view` over `scope`'s records of its resource type, narrowed by `filter`
    /// (FHIR search parameters, as `GET …/fhir/{type}` takes them).
    pub async fn run_view(
        &self,
        scope: &ProfileScope,
        checked: &CheckedView,
        filter: &[(String, String)],
        limits: ViewLimits,
    ) -> Result<ViewOutput, ViewRunError> {
        // Read before the run: a change landing during it moves the counter
        // past the one kept, so its output is not served again.
        let generation = self.record_generation(scope).await?;
        let key: OutputKey = (
            scope.id().to_string(),
            checked.key.clone(),
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(filter)
                .finish(),
            limits.max_rows,
        );
        if let Some((at, output)) = self.view_rows.outputs().get(&key)
            && *at == generation
        {
            return Ok(ViewOutput::clone(output));
        }
        let output = self
            .run_view_uncached(scope, checked, filter, limits)
            .await?;
        let mut kept = self.view_rows.outputs();
        if kept.len() >= CACHED_OUTPUTS {
            kept.clear();
        }
        kept.insert(key, (generation, Arc::new(output.clone())));
        Ok(output)
    }

    async fn run_view_uncached(
        &self,
        scope: &ProfileScope,
        checked: &CheckedView,
        filter: &[(String, String)],
        limits: ViewLimits,
    ) -> Result<ViewOutput, ViewRunError> {
        let started = Instant::now();
        let view = &checked.view;
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
            let (page, next) = self.search_identities(scope, &search).await?;
            // Rows made before come from the cache; only the others' JSON is read.
            let mut known: Vec<Option<Rows>> = {
                let mut cache = self.view_rows.lock();
                page.iter()
                    .map(|r| cache.get(&checked.key, &row_key(r)))
                    .collect()
            };
            let missing: Vec<i64> = page
                .iter()
                .zip(&known)
                .filter(|(_, k)| k.is_none())
                .map(|(r, _)| r.row)
                .collect();
            if !missing.is_empty() {
                let mut json = self.json_of_rows(&missing).await?;
                let mut made = Vec::with_capacity(missing.len());
                for (r, k) in page.iter().zip(known.iter_mut()) {
                    if k.is_some() {
                        continue;
                    }
                    let text = json.remove(&r.row).ok_or_else(|| {
                        ViewRunError::Corrupt(format!(
                            "{}/{}: gone while read",
                            r.resource_type, r.id
                        ))
                    })?;
                    let resource: Value = serde_json::from_str(&text).map_err(|e| {
                        ViewRunError::Corrupt(format!("{}/{}: {e}", r.resource_type, r.id))
                    })?;
                    let mut rows = Vec::new();
                    view.rows(&resource, &mut rows)
                        .map_err(ViewRunError::Evaluation)?;
                    let rows = Arc::new(rows);
                    made.push((row_key(r), rows.clone()));
                    *k = Some(rows);
                }
                let mut cache = self.view_rows.lock();
                for (key, rows) in made {
                    cache.put(&checked.key, key, rows);
                }
            }
            for rows in known.into_iter().flatten() {
                out.resources_read += 1;
                out.rows.extend(rows.iter().cloned());
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
            match next {
                Some(next) => search.cursor = Some(next),
                None => return Ok(out),
            }
            // A long run shares the worker with other requests.
            tokio::task::yield_now().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::parse;

    fn a1c(id: &str, value: &str) -> crate::records::Parsed {
        parse(&format!(
            r#"{{"resourceType":"Observation","id":"{id}","status":"final","effectiveDateTime":"2026-01-01",
                "code":{{"coding":[{{"system":"http://loinc.org","code":"4548-4"}}]}},
                "valueQuantity":{{"value":{value},"unit":"%"}}}}"#
        ))
        .unwrap()
    }

    async fn values(store: &RecordStore, scope: &ProfileScope) -> Vec<String> {
        let view = check(&serde_json::json!({
            "resourceType": "ViewDefinition", "resource": "Observation", "status": "active",
            "select": [{"column": [{"name": "v", "path": "value.ofType(Quantity).value"}]}]
        }))
        .unwrap();
        let out = store
            .run_view(scope, &view, &[], ViewLimits::asking(None).unwrap())
            .await
            .unwrap();
        let mut v: Vec<String> = out.rows.iter().map(|r| r[0].to_string()).collect();
        v.sort();
        v
    }

    async fn generation(db: &crate::db::Db, profile: &str) -> i64 {
        sqlx::query_scalar("SELECT generation FROM record_generations WHERE profile_id = ?")
            .bind(profile)
            .fetch_optional(db)
            .await
            .unwrap()
            .unwrap_or(0)
    }

    /// A kept output is served only while the profile's records are as they
    /// were: adding, changing, hiding and removing a record each move the
    /// profile's counter, and another profile's change does not.
    #[tokio::test]
    async fn a_kept_output_follows_every_change_to_the_profiles_records() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::open_with_test_source(dir.path()).await;
        sqlx::query(
            "INSERT INTO profiles (id, name, created_at) VALUES ('q', 'q', 'now');
             INSERT INTO sources (id, profile_id, name, connector, fhir_base_url, patient_id, token, created_at)
             VALUES ('t', 'q', 't', 'fhir-r4', 'http://y', 'p', x'00', 'now')",
        )
        .execute(&db)
        .await
        .unwrap();
        let store = RecordStore::new(db.clone());
        let p = ProfileScope::for_tests("p");
        store.upsert_batch("s", &[a1c("a", "7.20")]).await.unwrap();
        assert_eq!(values(&store, &p).await, ["7.20"]);
        assert_eq!(values(&store, &p).await, ["7.20"], "served again");

        let before = generation(&db, "p").await;
        store.upsert_batch("t", &[a1c("z", "5.0")]).await.unwrap();
        assert_eq!(
            generation(&db, "p").await,
            before,
            "another profile's record"
        );

        store.upsert_batch("s", &[a1c("b", "6.10")]).await.unwrap();
        assert_eq!(
            values(&store, &p).await,
            ["6.10", "7.20"],
            "an added record"
        );
        store.upsert_batch("s", &[a1c("b", "6.30")]).await.unwrap();
        assert_eq!(
            values(&store, &p).await,
            ["6.30", "7.20"],
            "a changed record"
        );
        sqlx::query("UPDATE resources SET profile_id = NULL WHERE resource_id = 'a'")
            .execute(&db)
            .await
            .unwrap();
        assert_eq!(values(&store, &p).await, ["6.30"], "a hidden record");
        sqlx::query("DELETE FROM resources WHERE resource_id = 'b'")
            .execute(&db)
            .await
            .unwrap();
        assert!(values(&store, &p).await.is_empty(), "a removed record");
        assert_eq!(
            values(&store, &ProfileScope::for_tests("q")).await,
            ["5.0"],
            "the other profile's output is its own"
        );
    }
}
