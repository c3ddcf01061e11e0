//! Lab results as series: every numeric result of one test (or component)
//! over time, with reference ranges and flags. Results from different
//! sources in different UCUM units are converted to the series' most common
//! unit wherever UCUM defines the conversion (g/L ↔ mg/dL, Cel ↔ [degF]);
//! mass ↔ substance (mg/dL ↔ mmol/L) needs a molar mass, so such points keep
//! their unit and are marked not comparable.

use super::{RecordStore, StoreError};
use crate::auth::ProfileScope;
use serde::Serialize;
use sqlx::Row;
use std::collections::HashMap;

/// A test that has numeric results in the profile.
#[derive(Debug, Serialize)]
pub struct LabTest {
    /// Code system.
    pub system: String,
    /// Code.
    pub code: String,
    /// Name.
    pub name: Option<String>,
    /// Number of results.
    pub count: u64,
    /// Date of the latest result.
    pub last_date: Option<String>,
}

/// One result in a series.
#[derive(Debug, Serialize, PartialEq)]
pub struct LabPoint {
    /// The Observation's id.
    pub id: String,
    /// The source it came from.
    pub source_id: String,
    /// When.
    pub date: Option<String>,
    /// The value in the series' unit (or its own, when not comparable).
    pub value: f64,
    /// The unit of `value`.
    pub unit: Option<String>,
    /// The value as recorded.
    pub original_value: f64,
    /// The unit as recorded.
    pub original_unit: Option<String>,
    /// Reference range low, in `unit`.
    pub low: Option<f64>,
    /// Reference range high, in `unit`.
    pub high: Option<f64>,
    /// Interpretation code as recorded.
    pub interpretation: Option<String>,
    /// `high`, `low`, `abnormal`, `normal`, or none when nothing says.
    pub flag: Option<&'static str>,
    /// Whether `value` is in the series' unit (false: no defined conversion).
    pub comparable: bool,
}

/// A test's results over time, oldest first.
#[derive(Debug, Serialize)]
pub struct LabSeries {
    /// Code system.
    pub system: String,
    /// Code.
    pub code: String,
    /// Name (from the latest result).
    pub name: Option<String>,
    /// The series' unit (UCUM when known).
    pub unit: Option<String>,
    /// The results.
    pub points: Vec<LabPoint>,
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

struct Raw {
    id: String,
    source_id: String,
    date: String,
    value: f64,
    unit: Option<String>,
    ucum: Option<String>,
    low: Option<f64>,
    high: Option<f64>,
    interpretation: Option<String>,
}

impl RecordStore {
    /// The tests with numeric results in a profile, most results first.
    pub async fn lab_tests(&self, scope: &ProfileScope) -> Result<Vec<LabTest>, StoreError> {
        let rows = sqlx::query(
            "SELECT system, code, MAX(name) AS name, COUNT(*) AS n, MAX(sort_key) AS last
             FROM observation_values WHERE profile_id = ? GROUP BY system, code
             ORDER BY n DESC, system, code",
        )
        .bind(scope.id())
        .fetch_all(&self.db)
        .await?;
        rows.iter()
            .map(|r| {
                let last: String = r.try_get("last")?;
                Ok(LabTest {
                    system: r.try_get("system")?,
                    code: r.try_get("code")?,
                    name: r.try_get("name")?,
                    count: r.try_get::<i64, _>("n")? as u64,
                    last_date: (!last.is_empty()).then_some(last),
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// The series for `system|code` (any system when `None`), or `None` when the profile has no result for it.
    pub async fn lab_series(
        &self,
        scope: &ProfileScope,
        system: Option<&str>,
        code: &str,
    ) -> Result<Option<LabSeries>, StoreError> {
        // Without a system, the code's one system in the profile (if it has several, the most used).
        let system = match system {
            Some(s) => s.to_string(),
            None => {
                let found: Option<String> = sqlx::query_scalar(
                    "SELECT system FROM observation_values WHERE profile_id = ? AND code = ?
                     GROUP BY system ORDER BY COUNT(*) DESC, system LIMIT 1",
                )
                .bind(scope.id())
                .bind(code)
                .fetch_optional(&self.db)
                .await?;
                match found {
                    Some(s) => s,
                    None => return Ok(None),
                }
            }
        };
        let rows = sqlx::query(
            "SELECT v.resource_id, v.source_id, v.sort_key, v.value, v.unit, v.ucum,
                    v.low, v.high, v.interpretation
             FROM observation_values v
             WHERE v.profile_id = ? AND v.code = ? AND v.system = ?
             ORDER BY v.sort_key, v.resource",
        )
        .bind(scope.id())
        .bind(code)
        .bind(&system)
        .fetch_all(&self.db)
        .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        // By position: a series can hold thousands of rows, and name lookups per column add up.
        let raw = rows
            .iter()
            .map(|r| {
                Ok(Raw {
                    id: r.try_get(0)?,
                    source_id: r.try_get(1)?,
                    date: r.try_get(2)?,
                    value: r.try_get(3)?,
                    unit: r.try_get(4)?,
                    ucum: r.try_get(5)?,
                    low: r.try_get(6)?,
                    high: r.try_get(7)?,
                    interpretation: r.try_get(8)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
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
                let factor = |x: f64| match (&target, &p.ucum, &own) {
                    (Some(t), _, Some(o)) if t == o => Some(x),
                    (Some(t), Some(from), _) => convert(x, from, t),
                    (None, _, None) => Some(x),
                    _ => None,
                };
                let (value, low, high, unit, comparable) = match factor(p.value) {
                    Some(v) => (
                        v,
                        p.low.and_then(factor),
                        p.high.and_then(factor),
                        target.clone(),
                        true,
                    ),
                    None => (p.value, p.low, p.high, own.clone(), false),
                };
                LabPoint {
                    flag: flag(p.interpretation.as_deref(), value, low, high),
                    id: p.id,
                    source_id: p.source_id,
                    date: (!p.date.is_empty()).then_some(p.date),
                    value,
                    unit,
                    original_value: p.value,
                    original_unit: own,
                    low,
                    high,
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
