//! What Hearth's condition dashboards share.
//!
//! Measures are read through SQL-on-FHIR views the host runs, narrowed by
//! code through its index; every point keeps the record's own digits (`text`)
//! and the id of the record it came from. Nothing is converted between units
//! and nothing is filled in: a reading in another unit starts its own series,
//! and a trend across units is "indeterminate".

pub mod measures;

use hearth_plugin_sdk::PluginError;
use hearth_plugin_sdk::dashboard::{Band, Event, Point, Series, Stat, Trend};
use hearth_plugin_sdk::views;
use serde_json::{Value, json};

/// LOINC's system URI.
pub const LOINC: &str = "http://loinc.org";
/// CVX (vaccines administered) system URI.
pub const CVX: &str = "http://hl7.org/fhir/sid/cvx";

/// A measured quantity a dashboard shows.
pub struct Measure {
    /// Short name ("HbA1c").
    pub name: &'static str,
    /// `system|code` of the observations (or components) that measure it.
    pub codes: &'static [&'static str],
    /// `system|code` to narrow the records by when they differ from `codes`
    /// (a blood pressure panel holds systolic as a component).
    pub search: &'static [&'static str],
    /// A difference this small between two readings is "steady".
    pub steady_within: f64,
}

/// One reading of a measure.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// `Type/id` of the record.
    pub evidence: String,
    /// When (as the record wrote it).
    pub date: String,
    /// The value as the record wrote it (`7.20`).
    pub text: String,
    /// The value, for drawing and comparing.
    pub value: f64,
    /// Its unit (the UCUM code where the record has one).
    pub unit: String,
}

const DATE: &str = "(effective.ofType(dateTime) | effective.ofType(instant) | effective.ofType(Period).start | issued).first()";
const UNIT: &str = "(value.ofType(Quantity).code | value.ofType(Quantity).unit).first()";
const CODES: &str = "code.coding.select(system + '|' + code)";

/// The view every measure reads: one row per observation value and one per component value.
fn measure_view() -> Value {
    let value_columns = |prefix: &str| {
        json!([
            {"name": format!("{prefix}codes"), "path": CODES, "collection": true},
            {"name": format!("{prefix}value"), "path": "value.ofType(Quantity).value"},
            {"name": format!("{prefix}unit"), "path": UNIT}
        ])
    };
    json!({
        "resource": "Observation",
        "where": [{"path": "status.empty() or (status != 'entered-in-error' and status != 'cancelled')"}],
        "select": [
            {"column": [
                {"name": "key", "path": "getResourceKey()"},
                {"name": "date", "path": DATE}
            ]},
            {"unionAll": [
                {"column": value_columns("")},
                {"forEach": "component", "column": value_columns("")}
            ]}
        ]
    })
}

/// Rows a chart's view may return, the most recent kept: a dashboard summarizes
/// (the labs page has every result), and each row read costs the host about 20 µs.
pub const CHART_ROWS: u32 = 300;
/// Years a chart looks back.
pub const CHART_YEARS: i32 = 10;

/// The readings of `measure` on or after `since` (all when `None`), from the
/// newest `max_rows` view rows, oldest first. Rows without a number (a result
/// given as text, or absent with a reason) are left out, never guessed.
pub fn readings_since(
    measure: &Measure,
    since: Option<&str>,
    max_rows: u32,
) -> Result<Vec<Reading>, PluginError> {
    let search = if measure.search.is_empty() {
        measure.codes
    } else {
        measure.search
    };
    let mut filter = format!("code={}&_sort=-date", search.join(","));
    if let Some(since) = since {
        filter.push_str(&format!("&date=ge{since}"));
    }
    let table = views::run(&measure_view(), Some(&filter), Some(max_rows))?;
    let mut out = Vec::new();
    for row in &table.rows {
        let [key, date, codes, value, unit] = row.as_slice() else {
            continue;
        };
        let matches = codes.as_array().is_some_and(|cs| {
            cs.iter()
                .any(|c| c.as_str().is_some_and(|c| measure.codes.contains(&c)))
        });
        let (Some(date), Value::Number(number)) = (date.as_str(), value) else {
            continue;
        };
        if !matches {
            continue;
        }
        let text = number.to_string();
        let Ok(value) = text.parse::<f64>() else {
            continue;
        };
        out.push(Reading {
            evidence: key.as_str().unwrap_or_default().to_string(),
            date: date.to_string(),
            text,
            value,
            unit: unit.as_str().unwrap_or_default().to_string(),
        });
    }
    out.sort_by(|a, b| {
        a.date
            .cmp(&b.date)
            .then_with(|| a.evidence.cmp(&b.evidence))
    });
    Ok(out)
}

/// What a dashboard shows of one measure: the chart's readings (the last
/// [`CHART_YEARS`] years before `as_of`) and the two latest ever, for its stat.
pub struct Measured {
    /// Readings for the chart, oldest first.
    pub chart: Vec<Reading>,
    /// The latest readings (up to two), oldest first.
    pub latest: Vec<Reading>,
}

/// Reads `measure` for a dashboard drawn on `as_of`: the work is bounded by the
/// window and the row limits, however long the record is.
pub fn measure(measure: &Measure, as_of: &str) -> Result<Measured, PluginError> {
    let since = add_months(as_of, -12 * CHART_YEARS);
    let chart = readings_since(measure, since.as_deref(), CHART_ROWS)?;
    let latest = if chart.len() >= 2 {
        chart[chart.len() - 2..].to_vec()
    } else {
        // Older than the window, or nothing: ask for the most recent ever.
        let recent = readings_since(measure, None, 12)?;
        recent[recent.len().saturating_sub(2)..].to_vec()
    };
    Ok(Measured { chart, latest })
}

/// A reading as a chart point.
pub fn point(r: &Reading) -> Point {
    Point {
        date: r.date.clone(),
        value: r.value,
        text: r.text.clone(),
        unit: r.unit.clone(),
        evidence: vec![r.evidence.clone()],
    }
}

/// The readings as series, one per unit (so units are never mixed on one line).
pub fn series(name: &str, readings: &[Reading]) -> Vec<Series> {
    let mut units: Vec<&str> = Vec::new();
    for r in readings {
        if !units.contains(&r.unit.as_str()) {
            units.push(&r.unit);
        }
    }
    units
        .iter()
        .map(|unit| Series {
            name: if units.len() > 1 {
                format!("{name} ({unit})")
            } else {
                name.to_string()
            },
            unit: unit.to_string(),
            points: readings
                .iter()
                .filter(|r| r.unit == *unit)
                .map(point)
                .collect(),
        })
        .collect()
}

/// How the latest reading compares with the one before.
pub fn trend(measure: &Measure, readings: &[Reading]) -> Trend {
    match readings {
        [.., previous, latest] if previous.unit == latest.unit => {
            let change = latest.value - previous.value;
            if change.abs() <= measure.steady_within {
                Trend::Steady
            } else if change > 0.0 {
                Trend::Rising
            } else {
                Trend::Falling
            }
        }
        _ => Trend::Indeterminate,
    }
}

/// A stat of the latest reading; `due_months` makes it overdue when the latest
/// is older than that on `as_of` (or there is none).
pub fn stat(
    title: &str,
    measure: &Measure,
    measured: &Measured,
    as_of: &str,
    due_months: Option<u32>,
) -> Stat {
    let readings = measured.latest.as_slice();
    let latest = readings.last();
    let (overdue, note) = match (due_months, latest) {
        (None, _) => (false, String::new()),
        (Some(months), None) => (
            true,
            format!("No {} on record; due every {months} months", measure.name),
        ),
        (Some(months), Some(r)) => {
            let due = add_months(&r.date, months as i32);
            match due {
                Some(due) if due.as_str() < as_of => (
                    true,
                    format!("Overdue since {due} (due every {months} months)"),
                ),
                Some(due) => (false, format!("Next due by {due}")),
                None => (false, String::new()),
            }
        }
    };
    Stat {
        title: title.to_string(),
        latest: latest.map(point),
        previous: readings.len().checked_sub(2).map(|i| point(&readings[i])),
        trend: trend(measure, readings),
        overdue,
        note,
    }
}

/// A target band with the guideline it comes from.
pub fn band(low: Option<f64>, high: Option<f64>, label: &str, source: &str) -> Band {
    Band {
        low,
        high,
        label: label.to_string(),
        source: source.to_string(),
    }
}

/// `YYYY-MM-DD` of `date` (any FHIR date or dateTime) plus `months`, the day
/// clamped to the month's end.
pub fn add_months(date: &str, months: i32) -> Option<String> {
    let year: i32 = date.get(0..4)?.parse().ok()?;
    let month: i32 = date.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
    let day: u32 = date.get(8..10).and_then(|d| d.parse().ok()).unwrap_or(1);
    let total = year * 12 + (month - 1) + months;
    let (y, m) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    let last = match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    };
    Some(format!("{y:04}-{m:02}-{:02}", day.min(last)))
}

/// A class of medicines, matched by ingredient name in the record's coding
/// display or text (records name products: "lisinopril 10 MG Oral Tablet").
pub struct DrugClass {
    /// What the class is called ("ACE inhibitor or ARB").
    pub name: &'static str,
    /// Ingredient names, lower case.
    pub ingredients: &'static [&'static str],
}

/// A medicine record in use.
#[derive(Debug, Clone, PartialEq)]
pub struct MedicineUse {
    /// `Type/id`.
    pub evidence: String,
    /// Its names as the record gives them.
    pub names: Vec<String>,
    /// Its date, if any.
    pub date: Option<String>,
}

/// The medicines the person is recorded as using now (active requests and statements).
pub fn medicines_in_use() -> Result<Vec<MedicineUse>, PluginError> {
    let mut out = Vec::new();
    for (resource, date) in [
        ("MedicationRequest", "authoredOn"),
        (
            "MedicationStatement",
            "(effective.ofType(dateTime) | effective.ofType(Period).start | dateAsserted).first()",
        ),
    ] {
        let view = json!({
            "resource": resource,
            "where": [{"path": "status = 'active'"}],
            "select": [{"column": [
                {"name": "key", "path": "getResourceKey()"},
                {"name": "names", "path": "medication.ofType(CodeableConcept).coding.display | medication.ofType(CodeableConcept).text", "collection": true},
                {"name": "date", "path": date}
            ]}]
        });
        let table = views::run(&view, Some("status=active"), Some(10_000))?;
        for row in table.rows {
            let [key, names, date] = row.as_slice() else {
                continue;
            };
            out.push(MedicineUse {
                evidence: key.as_str().unwrap_or_default().to_string(),
                names: names
                    .as_array()
                    .map(|n| {
                        n.iter()
                            .filter_map(|x| x.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default(),
                date: date.as_str().map(String::from),
            });
        }
    }
    Ok(out)
}

/// The medicines in use that belong to `class`.
pub fn in_class<'m>(class: &DrugClass, medicines: &'m [MedicineUse]) -> Vec<&'m MedicineUse> {
    medicines
        .iter()
        .filter(|m| {
            m.names.iter().any(|n| {
                let n = n.to_lowercase();
                class.ingredients.iter().any(|i| n.contains(i))
            })
        })
        .collect()
}

/// A completed immunization.
#[derive(Debug, Clone, PartialEq)]
pub struct Shot {
    /// `Type/id`.
    pub evidence: String,
    /// When.
    pub date: String,
    /// Its CVX codes.
    pub cvx: Vec<String>,
    /// What the record calls it.
    pub name: String,
}

/// The completed immunizations, oldest first.
pub fn immunizations() -> Result<Vec<Shot>, PluginError> {
    let view = json!({
        "resource": "Immunization",
        "where": [{"path": "status = 'completed'"}],
        "select": [{"column": [
            {"name": "key", "path": "getResourceKey()"},
            {"name": "date", "path": "(occurrence.ofType(dateTime) | recorded).first()"},
            {"name": "cvx", "path": "vaccineCode.coding.where(system = 'http://hl7.org/fhir/sid/cvx').code", "collection": true},
            {"name": "name", "path": "(vaccineCode.text | vaccineCode.coding.display).first()"}
        ]}]
    });
    let table = views::run(&view, None, Some(10_000))?;
    let mut out: Vec<Shot> = table
        .rows
        .into_iter()
        .filter_map(|row| {
            let [key, date, cvx, name] = row.as_slice() else {
                return None;
            };
            Some(Shot {
                evidence: key.as_str()?.to_string(),
                date: date.as_str()?.to_string(),
                cvx: cvx
                    .as_array()?
                    .iter()
                    .filter_map(|c| c.as_str().map(String::from))
                    .collect(),
                name: name.as_str().unwrap_or("Vaccine").to_string(),
            })
        })
        .collect();
    out.sort_by(|a, b| a.date.cmp(&b.date));
    Ok(out)
}

/// The shots whose CVX code is one of `codes`.
pub fn shots_of<'s>(codes: &[&str], shots: &'s [Shot]) -> Vec<&'s Shot> {
    shots
        .iter()
        .filter(|s| s.cvx.iter().any(|c| codes.contains(&c.as_str())))
        .collect()
}

/// A shot as a timeline event.
pub fn event(label: &str, shot: &Shot) -> Event {
    Event {
        date: shot.date.clone(),
        label: label.to_string(),
        evidence: vec![shot.evidence.clone()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_added_on_the_calendar() {
        assert_eq!(add_months("2024-08-31", 6).as_deref(), Some("2025-02-28"));
        assert_eq!(
            add_months("2023-08-31T10:00:00Z", 6).as_deref(),
            Some("2024-02-29")
        );
        assert_eq!(add_months("2024-01", 12).as_deref(), Some("2025-01-01"));
    }

    #[test]
    fn a_trend_across_units_is_indeterminate() {
        let m = Measure {
            name: "HbA1c",
            codes: &[],
            search: &[],
            steady_within: 0.2,
        };
        let r = |v: f64, unit: &str| Reading {
            evidence: String::new(),
            date: String::new(),
            text: v.to_string(),
            value: v,
            unit: unit.into(),
        };
        assert_eq!(trend(&m, &[r(7.0, "%"), r(7.1, "%")]), Trend::Steady);
        assert_eq!(trend(&m, &[r(7.0, "%"), r(7.6, "%")]), Trend::Rising);
        assert_eq!(
            trend(&m, &[r(7.0, "%"), r(53.0, "mmol/mol")]),
            Trend::Indeterminate
        );
        assert_eq!(trend(&m, &[r(7.0, "%")]), Trend::Indeterminate);
    }
}
