//! Lab results as series: every numeric result of one test (or component)
//! over time, with reference ranges and flags. Results from different
//! sources in different UCUM units are converted to the series' most common
//! unit wherever UCUM defines the conversion (g/L ↔ mg/dL, Cel ↔ [degF]);
//! mass ↔ substance (mg/dL ↔ mmol/L) needs a molar mass, so such points keep
//! their unit and are marked not comparable.

use super::{RecordStore, StoreError};
use crate::auth::ProfileScope;
use serde::Serialize;
use serde_json::Number;
use sqlx::Row;
use std::collections::HashMap;

/// A test that has numeric results in the profile.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LabTest {
    /// Code system.
    pub system: String,
    /// Code.
    pub code: String,
    /// Name.
    #[schema(required)]
    pub name: Option<String>,
    /// Number of results.
    pub count: u64,
    /// Date of the latest result.
    #[schema(required)]
    pub last_date: Option<String>,
    /// The latest result, as recorded (the list shows it with its flag).
    #[schema(required)]
    pub latest: Option<LabLatest>,
    /// The panel (DiagnosticReport) the latest result was reported in, if any.
    #[schema(required)]
    pub panel: Option<LabPanel>,
}

/// A panel of tests reported together: the DiagnosticReport listing a result.
#[derive(Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct LabPanel {
    /// The DiagnosticReport's id.
    pub id: String,
    /// Its name (its code's text or display).
    #[schema(required)]
    pub name: Option<String>,
}

/// The latest result of a test.
#[derive(Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct LabLatest {
    /// The Observation's id.
    pub id: String,
    /// The value as recorded, with the digits it was written with.
    #[schema(value_type = f64)]
    pub value: Number,
    /// Its unit as recorded.
    #[schema(required)]
    pub unit: Option<String>,
    /// `high`, `low`, `abnormal`, `normal`, or none when nothing says.
    #[schema(required, value_type = Option<LabFlag>)]
    pub flag: Option<&'static str>,
}

/// One result in a series.
#[derive(Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct LabPoint {
    /// The Observation's id.
    pub id: String,
    /// The source it came from.
    pub source_id: String,
    /// When.
    #[schema(required)]
    pub date: Option<String>,
    /// The value in the series' unit (or its own, when not comparable); a
    /// value already in that unit keeps the digits it was written with.
    #[schema(value_type = f64)]
    pub value: Number,
    /// The unit of `value`.
    #[schema(required)]
    pub unit: Option<String>,
    /// The value as recorded, with the digits it was written with.
    #[schema(value_type = f64)]
    pub original_value: Number,
    /// The unit as recorded.
    #[schema(required)]
    pub original_unit: Option<String>,
    /// Reference range low, in `unit`.
    #[schema(required, value_type = Option<f64>)]
    pub low: Option<Number>,
    /// Reference range high, in `unit`.
    #[schema(required, value_type = Option<f64>)]
    pub high: Option<Number>,
    /// Interpretation code as recorded.
    #[schema(required)]
    pub interpretation: Option<String>,
    /// `high`, `low`, `abnormal`, `normal`, or none when nothing says.
    #[schema(required, value_type = Option<LabFlag>)]
    pub flag: Option<&'static str>,
    /// Whether `value` is in the series' unit (false: no defined conversion).
    pub comparable: bool,
}

/// A test's results over time, oldest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LabSeries {
    /// Code system.
    pub system: String,
    /// Code.
    pub code: String,
    /// Name (from the latest result).
    #[schema(required)]
    pub name: Option<String>,
    /// The series' unit (UCUM when known).
    #[schema(required)]
    pub unit: Option<String>,
    /// The results.
    pub points: Vec<LabPoint>,
}

/// A numeric result of a listed record (an Observation's value or one of its
/// components'), so listings can show it rounded for reading.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ResultValue {
    /// Code system of what was measured.
    pub system: String,
    /// Code of what was measured.
    pub code: String,
    /// Its name.
    #[schema(required)]
    pub name: Option<String>,
    /// The value as recorded, with the digits it was written with.
    #[schema(value_type = f64)]
    pub value: Number,
    /// The unit as written.
    #[schema(required)]
    pub unit: Option<String>,
    /// The UCUM code of the unit, when the record gives one.
    #[schema(required)]
    pub ucum: Option<String>,
    /// `high`, `low`, `abnormal`, `normal`, or none when nothing says.
    #[schema(required, value_type = Option<LabFlag>)]
    pub flag: Option<&'static str>,
}

/// The numeric results of stored rows `ids`, by row.
pub(super) async fn values_of(
    db: &crate::db::Db,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<ResultValue>>, sqlx::Error> {
    let mut out: HashMap<i64, Vec<ResultValue>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    for chunk in ids.chunks(500) {
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "SELECT resource, system, code, name, value, value_text, unit, ucum, low, high, interpretation
             FROM observation_values WHERE resource IN (",
        );
        super::duplicates::push_ids(&mut q, chunk.iter().copied());
        for r in q.build().fetch_all(db).await? {
            let value: f64 = r.try_get("value")?;
            let interpretation: Option<String> = r.try_get("interpretation")?;
            let stored = Stored {
                value,
                text: r.try_get("value_text")?,
            };
            out.entry(r.try_get("resource")?)
                .or_default()
                .push(ResultValue {
                    system: r.try_get("system")?,
                    code: r.try_get("code")?,
                    name: r.try_get("name")?,
                    value: stored.exact(),
                    unit: r.try_get("unit")?,
                    ucum: r.try_get("ucum")?,
                    flag: flag(
                        interpretation.as_deref(),
                        value,
                        r.try_get("low")?,
                        r.try_get("high")?,
                    ),
                });
        }
    }
    Ok(out)
}

/// A result's flag (the values of `LabPoint.flag`).
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LabFlag {
    /// Above the range, or interpreted high.
    High,
    /// Below the range, or interpreted low.
    Low,
    /// Interpreted abnormal.
    Abnormal,
    /// Within the range, or interpreted normal.
    Normal,
}

/// `high` / `low` / `abnormal` / `normal` from the interpretation, else from the range.
pub fn flag(
    interpretation: Option<&str>,
    value: f64,
    low: Option<f64>,
    high: Option<f64>,
) -> Option<&'static str> {
    match interpretation {
        Some("H" | "HH" | "HU" | ">") => return Some("high"),
        Some("L" | "LL" | "LU" | "<") => return Some("low"),
        Some("A" | "AA") => return Some("abnormal"),
        Some("N") => return Some("normal"),
        _ => {}
    }
    match (low, high) {
        (_, Some(h)) if value > h => Some("high"),
        (Some(l), _) if value < l => Some("low"),
        (None, None) => None,
        _ => Some("normal"),
    }
}

/// Convert `value` between UCUM units, if UCUM defines it.
pub fn convert(value: f64, from: &str, to: &str) -> Option<f64> {
    if from == to {
        return Some(value);
    }
    ucum::convert(value, from, to)
        .ok()
        .filter(|v| v.is_finite())
}

/// A stored decimal: the double for arithmetic, the digits for display.
#[derive(Clone)]
struct Stored {
    value: f64,
    /// As written; `None` for rows indexed before the digits were kept.
    text: Option<String>,
}

impl Stored {
    /// The number as recorded: its own digits when known.
    fn exact(&self) -> Number {
        self.text
            .as_deref()
            .and_then(|t| t.parse::<Number>().ok())
            .unwrap_or_else(|| computed(self.value))
    }
}

/// A computed number (a unit conversion); non-finite values never reach here.
fn computed(value: f64) -> Number {
    Number::from_f64(value).unwrap_or_else(|| Number::from(0))
}

struct Raw {
    id: String,
    source_id: String,
    date: String,
    value: Stored,
    unit: Option<String>,
    ucum: Option<String>,
    low: Option<Stored>,
    high: Option<Stored>,
    interpretation: Option<String>,
}

impl RecordStore {
    /// The tests with numeric results in a profile, most results first.
    pub async fn lab_tests(&self, scope: &ProfileScope) -> Result<Vec<LabTest>, StoreError> {
        // Counts come from `lab_tests` (kept by triggers); the latest date and
        // name are one seek each at the end of the test's index range.
        let rows = sqlx::query(
            "SELECT t.system, t.code, t.results AS n, l.sort_key AS last, l.resource_id AS latest_id,
                    l.value, l.value_text, COALESCE(l.unit, l.ucum) AS unit, l.low, l.high, l.interpretation,
                    (SELECT v.name FROM observation_values v
                      WHERE v.profile_id = t.profile_id AND v.code = t.code AND v.system = t.system
                        AND v.name IS NOT NULL ORDER BY v.sort_key DESC LIMIT 1) AS name,
                    (SELECT d.resource_id || char(31) || COALESCE(d.display, '') FROM resource_refs x
                       CROSS JOIN resources d ON d.id = x.resource
                      WHERE x.target_type = 'Observation' AND x.target_id = l.resource_id
                        AND d.profile_id = t.profile_id AND d.resource_type = 'DiagnosticReport'
                      ORDER BY d.sort_key DESC, d.id DESC LIMIT 1) AS panel
             FROM lab_tests t
             LEFT JOIN observation_values l ON l.system = t.system AND l.code = t.code
              AND l.resource = (SELECT v.resource FROM observation_values v
                      WHERE v.profile_id = t.profile_id AND v.code = t.code AND v.system = t.system
                      ORDER BY v.sort_key DESC, v.resource DESC LIMIT 1)
             WHERE t.profile_id = ?
             ORDER BY n DESC, t.system, t.code",
        )
        .bind(scope.id())
        .fetch_all(&self.db)
        .await?;
        rows.iter()
            .map(|r| {
                let last: Option<String> = r.try_get("last")?;
                let latest = match (
                    r.try_get::<Option<String>, _>("latest_id")?,
                    r.try_get::<Option<f64>, _>("value")?,
                ) {
                    (Some(id), Some(value)) => {
                        let interpretation: Option<String> = r.try_get("interpretation")?;
                        let stored = Stored {
                            value,
                            text: r.try_get("value_text")?,
                        };
                        Some(LabLatest {
                            id,
                            value: stored.exact(),
                            unit: r.try_get("unit")?,
                            flag: flag(
                                interpretation.as_deref(),
                                value,
                                r.try_get("low")?,
                                r.try_get("high")?,
                            ),
                        })
                    }
                    _ => None,
                };
                // Id and name travel as one text: a DiagnosticReport's id cannot hold the separator.
                let panel: Option<String> = r.try_get("panel")?;
                let panel = panel.and_then(|p| {
                    let (id, name) = p.split_once('\u{1f}')?;
                    Some(LabPanel {
                        id: id.to_string(),
                        name: Some(name.to_string()).filter(|n| !n.is_empty()),
                    })
                });
                Ok(LabTest {
                    panel,
                    system: r.try_get("system")?,
                    code: r.try_get("code")?,
                    name: r.try_get("name")?,
                    count: r.try_get::<i64, _>("n")? as u64,
                    last_date: last.filter(|l| !l.is_empty()),
                    latest,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// The system a series is under: the given one, else the code's one
    /// system in the profile (if it has several, the most used).
    async fn series_system(
        &self,
        scope: &ProfileScope,
        system: Option<&str>,
        code: &str,
    ) -> Result<Option<String>, StoreError> {
        if let Some(s) = system {
            return Ok(Some(s.to_string()));
        }
        Ok(sqlx::query_scalar(
            "SELECT system FROM observation_values WHERE profile_id = ? AND code = ?
             GROUP BY system ORDER BY COUNT(*) DESC, system LIMIT 1",
        )
        .bind(scope.id())
        .bind(code)
        .fetch_optional(&self.db)
        .await?)
    }

    /// The series as served (JSON of [`LabSeries`]), from the cache the
    /// schema keeps fresh, computing and caching it on a miss. Charts are
    /// read far more often than results arrive; a long series takes tens of
    /// milliseconds to compute and well under one to read back.
    pub async fn lab_series_json(
        &self,
        scope: &ProfileScope,
        system: Option<&str>,
        code: &str,
    ) -> Result<Option<String>, StoreError> {
        let Some(system) = self.series_system(scope, system, code).await? else {
            return Ok(None);
        };
        const CACHED: &str =
            "SELECT series FROM lab_series_cache WHERE profile_id = ? AND system = ? AND code = ?";
        let hit: Option<String> = sqlx::query_scalar(CACHED)
            .bind(scope.id())
            .bind(&system)
            .bind(code)
            .fetch_optional(&self.db)
            .await?;
        if hit.is_some() {
            return Ok(hit);
        }
        // Holding the write lock while computing: no result can arrive
        // between the read and the insert and leave a stale series cached.
        let mut tx = crate::db::write_tx(&self.db).await?;
        let hit: Option<String> = sqlx::query_scalar(CACHED)
            .bind(scope.id())
            .bind(&system)
            .bind(code)
            .fetch_optional(&mut *tx)
            .await?;
        if hit.is_some() {
            return Ok(hit);
        }
        let Some(series) = self.lab_series(scope, Some(&system), code).await? else {
            return Ok(None);
        };
        let json = serde_json::to_string(&series)
            .map_err(|e| StoreError::Db(sqlx::Error::Decode(Box::new(e))))?;
        sqlx::query(
            "INSERT OR REPLACE INTO lab_series_cache (profile_id, system, code, series) VALUES (?, ?, ?, ?)",
        )
        .bind(scope.id())
        .bind(&system)
        .bind(code)
        .bind(&json)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(json))
    }

    /// The series for `system|code` (any system when `None`), or `None` when the profile has no result for it.
    pub async fn lab_series(
        &self,
        scope: &ProfileScope,
        system: Option<&str>,
        code: &str,
    ) -> Result<Option<LabSeries>, StoreError> {
        let Some(system) = self.series_system(scope, system, code).await? else {
            return Ok(None);
        };
        // One row holding the whole series as JSON: rows cross from SQLite's
        // thread to ours one message at a time, which costs more than the
        // query itself for a long series.
        let series: Option<String> = sqlx::query_scalar(
            "SELECT json_group_array(json_array(v.resource_id, v.source_id, v.sort_key, v.value, v.unit,
                    v.ucum, v.low, v.high, v.interpretation, v.value_text, v.low_text, v.high_text)
                    ORDER BY v.sort_key, v.resource)
             FROM observation_values v
             WHERE v.profile_id = ? AND v.code = ? AND v.system = ?
             HAVING COUNT(*) > 0",
        )
        .bind(scope.id())
        .bind(code)
        .bind(&system)
        .fetch_optional(&self.db)
        .await?;
        let Some(series) = series else {
            return Ok(None);
        };
        type Row = (
            String,
            String,
            String,
            f64,
            Option<String>,
            Option<String>,
            Option<f64>,
            Option<f64>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = serde_json::from_str(&series)
            .map_err(|e| StoreError::Db(sqlx::Error::Decode(Box::new(e))))?;
        let raw: Vec<Raw> = rows
            .into_iter()
            .map(
                |(
                    id,
                    source_id,
                    date,
                    value,
                    unit,
                    ucum,
                    low,
                    high,
                    interpretation,
                    value_text,
                    low_text,
                    high_text,
                )| Raw {
                    id,
                    source_id,
                    date,
                    value: Stored {
                        value,
                        text: value_text,
                    },
                    unit,
                    ucum,
                    low: low.map(|value| Stored {
                        value,
                        text: low_text,
                    }),
                    high: high.map(|value| Stored {
                        value,
                        text: high_text,
                    }),
                    interpretation,
                },
            )
            .collect();
        // The series' unit: the most used one (UCUM code, else the written unit); the latest wins ties.
        let unit_of = |p: &Raw| p.ucum.clone().or_else(|| p.unit.clone());
        let mut uses: HashMap<String, (usize, usize)> = HashMap::new();
        for (i, p) in raw.iter().enumerate() {
            if let Some(u) = unit_of(p) {
                let e = uses.entry(u).or_default();
                e.0 += 1;
                e.1 = i;
            }
        }
        let target = uses
            .iter()
            .max_by_key(|(_, (n, last))| (*n, *last))
            .map(|(u, _)| u.clone());
        let name: Option<String> = sqlx::query_scalar(
            "SELECT name FROM observation_values WHERE profile_id = ? AND code = ? AND system = ?
             AND name IS NOT NULL ORDER BY sort_key DESC LIMIT 1",
        )
        .bind(scope.id())
        .bind(code)
        .bind(&system)
        .fetch_optional(&self.db)
        .await?;
        let points = raw
            .into_iter()
            .map(|p| {
                let own = unit_of(&p);
                // Already in the series' unit: the recorded digits, untouched.
                let same_unit = match (&target, &own) {
                    (Some(t), Some(o)) => t == o,
                    (None, None) => true,
                    _ => false,
                };
                let to_target = |x: &Stored| -> Option<(f64, Number)> {
                    if same_unit {
                        return Some((x.value, x.exact()));
                    }
                    let (Some(t), Some(from)) = (&target, &p.ucum) else {
                        return None;
                    };
                    let v = convert(x.value, from, t)?;
                    Some((v, computed(v)))
                };
                let recorded = |x: &Stored| (x.value, x.exact());
                let (value, low, high, unit, comparable) = match to_target(&p.value) {
                    Some(v) => (
                        v,
                        p.low.as_ref().and_then(to_target),
                        p.high.as_ref().and_then(to_target),
                        target.clone(),
                        true,
                    ),
                    None => (
                        recorded(&p.value),
                        p.low.as_ref().map(recorded),
                        p.high.as_ref().map(recorded),
                        own.clone(),
                        false,
                    ),
                };
                LabPoint {
                    flag: flag(
                        p.interpretation.as_deref(),
                        value.0,
                        low.as_ref().map(|l| l.0),
                        high.as_ref().map(|h| h.0),
                    ),
                    id: p.id,
                    source_id: p.source_id,
                    date: (!p.date.is_empty()).then_some(p.date),
                    value: value.1,
                    unit,
                    original_value: p.value.exact(),
                    original_unit: own,
                    low: low.map(|l| l.1),
                    high: high.map(|h| h.1),
                    interpretation: p.interpretation,
                    comparable,
                }
            })
            .collect();
        Ok(Some(LabSeries {
            system,
            code: code.to_string(),
            name,
            unit: target,
            points,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ucum_conversions_that_are_defined_and_those_that_are_not() {
        assert!((convert(1.0, "g/L", "mg/dL").unwrap() - 100.0).abs() < 1e-9);
        assert!((convert(98.6, "[degF]", "Cel").unwrap() - 37.0).abs() < 1e-9);
        assert!((convert(5.0, "mmol/L", "umol/L").unwrap() - 5000.0).abs() < 1e-6);
        assert_eq!(convert(5.5, "mmol/L", "mg/dL"), None, "needs a molar mass");
        assert_eq!(convert(1.0, "not-a-unit", "mg/dL"), None);
    }

    #[test]
    fn flags_from_interpretation_then_range() {
        assert_eq!(flag(Some("H"), 1.0, None, None), Some("high"));
        assert_eq!(flag(Some("LL"), 1.0, None, None), Some("low"));
        assert_eq!(
            flag(Some("N"), 500.0, Some(1.0), Some(2.0)),
            Some("normal"),
            "the lab's word wins"
        );
        assert_eq!(flag(None, 3.0, Some(1.0), Some(2.0)), Some("high"));
        assert_eq!(flag(None, 0.5, Some(1.0), None), Some("low"));
        assert_eq!(flag(None, 1.5, Some(1.0), Some(2.0)), Some("normal"));
        assert_eq!(flag(None, 1.5, None, None), None);
    }
}

#[cfg(test)]
mod cache_tests {
    use super::super::{RecordStore, parse};
    use crate::auth::ProfileScope;

    fn glucose(id: &str, value: f64) -> super::super::Parsed {
        parse(&format!(
            r#"{{"resourceType":"Observation","id":"{id}","status":"final","effectiveDateTime":"2020-01-0{}",
                "code":{{"coding":[{{"system":"http://loinc.org","code":"2345-7"}}]}},
                "valueQuantity":{{"value":{value},"unit":"mg/dL","system":"http://unitsofmeasure.org","code":"mg/dL"}}}}"#,
            id.len()
        ))
        .unwrap()
    }

    async fn points(store: &RecordStore) -> Vec<f64> {
        let json = store
            .lab_series_json(&ProfileScope::for_tests("p"), None, "2345-7")
            .await
            .unwrap()
            .expect("a series");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["value"].as_f64().unwrap())
            .collect()
    }

    #[tokio::test]
    async fn a_cached_series_follows_every_change_to_its_results() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::open_with_test_source(dir.path()).await;
        let store = RecordStore::new(db.clone());
        store
            .upsert_batch("s", &[glucose("a", 90.0)])
            .await
            .unwrap();
        assert_eq!(points(&store).await, vec![90.0]);
        assert_eq!(points(&store).await, vec![90.0], "served from the cache");
        let cached: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM lab_series_cache")
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(cached, 1);
        store
            .upsert_batch("s", &[glucose("bb", 120.0)])
            .await
            .unwrap();
        assert_eq!(points(&store).await, vec![90.0, 120.0], "a new result");
        store
            .upsert_batch("s", &[glucose("a", 95.0)])
            .await
            .unwrap();
        assert_eq!(points(&store).await, vec![95.0, 120.0], "a changed result");
        sqlx::query("DELETE FROM resources WHERE resource_id = 'bb'")
            .execute(&db)
            .await
            .unwrap();
        assert_eq!(points(&store).await, vec![95.0], "a deleted result");
        assert!(
            store
                .lab_series_json(&ProfileScope::for_tests("p"), None, "0000-0")
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn each_test_names_the_panel_its_latest_result_was_reported_in() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::open_with_test_source(dir.path()).await;
        let store = RecordStore::new(db.clone());
        let panel = parse(
            r#"{"resourceType":"DiagnosticReport","id":"bmp","status":"final",
                "code":{"coding":[{"system":"http://loinc.org","code":"51990-0","display":"Basic metabolic panel"}]},
                "effectiveDateTime":"2020-01-02","result":[{"reference":"Observation/bb"}]}"#,
        )
        .unwrap();
        store
            .upsert_batch("s", &[glucose("a", 90.0), glucose("bb", 120.0), panel])
            .await
            .unwrap();
        let tests = store
            .lab_tests(&ProfileScope::for_tests("p"))
            .await
            .unwrap();
        assert_eq!(
            tests[0].panel,
            Some(super::super::labs::LabPanel {
                id: "bmp".into(),
                name: Some("Basic metabolic panel".into())
            })
        );
        // A newer result reported alone: the test is no longer shown in that panel.
        store
            .upsert_batch("s", &[glucose("ccc", 100.0)])
            .await
            .unwrap();
        let tests = store
            .lab_tests(&ProfileScope::for_tests("p"))
            .await
            .unwrap();
        assert_eq!(tests[0].panel, None);
    }
}
