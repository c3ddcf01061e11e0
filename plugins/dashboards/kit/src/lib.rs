//! What Hearth's condition dashboards share.
//!
//! Measures are read through SQL-on-FHIR views the host runs, narrowed by
//! code through its index; every point keeps the record's own digits (`text`)
//! and the id of the record it came from. Nothing is converted between units
//! and nothing is filled in: a reading in another unit starts its own series,
//! and a trend across units is "indeterminate".

pub mod measures;

use hearth_plugin_sdk::PluginError;
use hearth_plugin_sdk::dashboard::{
    Band, Card, Event, Point, Series, Stat, Status, StatusItem, Trend, Widget,
};
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

/// The view every measure reads: one row per quantity, the observation's own
/// and each component's (a panel without a value of its own gives no empty row,
/// so a row limit counts readings).
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
                {"forEach": "where(value.ofType(Quantity).exists())", "column": value_columns("")},
                {"forEach": "component.where(value.ofType(Quantity).exists())", "column": value_columns("")}
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
    let mut each = readings_of(&[measure], since, max_rows)?;
    Ok(each.pop().unwrap_or_default())
}

/// [`readings_since`] for several measures read through one view: those that
/// share their records (systolic and diastolic in one panel) are read once.
/// The row limit is `max_rows` per measure.
fn readings_of(
    measures: &[&Measure],
    since: Option<&str>,
    max_rows: u32,
) -> Result<Vec<Vec<Reading>>, PluginError> {
    let mut search: Vec<&str> = Vec::new();
    for m in measures {
        let codes = if m.search.is_empty() {
            m.codes
        } else {
            m.search
        };
        for c in codes {
            if !search.contains(c) {
                search.push(c);
            }
        }
    }
    let mut filter = format!("code={}&_sort=-date", search.join(","));
    if let Some(since) = since {
        filter.push_str(&format!("&date=ge{since}"));
    }
    let rows = max_rows.saturating_mul(measures.len() as u32);
    let table = views::run(&measure_view(), Some(&filter), Some(rows))?;
    let mut out = vec![Vec::new(); measures.len()];
    for row in &table.rows {
        let [key, date, codes, value, unit] = row.as_slice() else {
            continue;
        };
        let (Some(date), Value::Number(number)) = (date.as_str(), value) else {
            continue;
        };
        let text = number.to_string();
        let Ok(value) = text.parse::<f64>() else {
            continue;
        };
        let codes: Vec<&str> = codes
            .as_array()
            .map(|cs| cs.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (m, readings) in measures.iter().zip(out.iter_mut()) {
            if codes.iter().any(|c| m.codes.contains(c)) {
                readings.push(Reading {
                    evidence: key.as_str().unwrap_or_default().to_string(),
                    date: date.to_string(),
                    text: text.clone(),
                    value,
                    unit: unit.as_str().unwrap_or_default().to_string(),
                });
            }
        }
    }
    for readings in &mut out {
        readings.sort_by(|a, b| {
            a.date
                .cmp(&b.date)
                .then_with(|| a.evidence.cmp(&b.evidence))
        });
    }
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
    let mut each = measures(&[measure], as_of)?;
    // One measure asked, one answered.
    Ok(each.pop().unwrap_or(Measured {
        chart: Vec::new(),
        latest: Vec::new(),
    }))
}

/// Two measures kept in the same records (systolic and diastolic), read through one view.
pub fn measure_pair(
    first: &Measure,
    second: &Measure,
    as_of: &str,
) -> Result<(Measured, Measured), PluginError> {
    let mut each = measures(&[first, second], as_of)?.into_iter();
    let mut next = || {
        each.next().unwrap_or(Measured {
            chart: Vec::new(),
            latest: Vec::new(),
        })
    };
    Ok((next(), next()))
}

/// [`measure`] for measures kept in the same records (systolic and diastolic),
/// read through one view; one [`Measured`] per measure, in order.
pub fn measures(measures: &[&Measure], as_of: &str) -> Result<Vec<Measured>, PluginError> {
    let since = add_months(as_of, -12 * CHART_YEARS);
    let charts = readings_of(measures, since.as_deref(), CHART_ROWS)?;
    let mut out = Vec::with_capacity(measures.len());
    for (measure, chart) in measures.iter().zip(charts) {
        let latest = if chart.len() >= 2 {
            chart[chart.len() - 2..].to_vec()
        } else {
            // Older than the window, or nothing: ask for the most recent ever.
            let recent = readings_since(measure, None, 12)?;
            recent[recent.len().saturating_sub(2)..].to_vec()
        };
        out.push(Measured { chart, latest });
    }
    Ok(out)
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
            format!(
                "No {} on record; due every {months} months",
                in_sentence(measure.name)
            ),
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

/// A measure's name inside a sentence: "urine albumin/creatinine", but
/// "HbA1c", "LDL cholesterol" and "eGFR" as they are written.
pub fn in_sentence(name: &str) -> String {
    let first_word = name.split(' ').next().unwrap_or_default();
    let plain_word = first_word
        .chars()
        .skip(1)
        .all(|c| c.is_ascii_lowercase() || c == '/');
    if plain_word && first_word.len() > 1 {
        let mut chars = name.chars();
        chars
            .next()
            .map(|c| c.to_lowercase().chain(chars).collect())
            .unwrap_or_default()
    } else {
        name.to_string()
    }
}

/// A widget under its key.
pub fn card(key: &str, widget: Widget) -> Card {
    Card {
        key: key.to_string(),
        widget,
    }
}

/// A card charting one measure (a series per unit) with its target bands.
pub fn measure_chart(
    key: &str,
    title: &str,
    measure: &Measure,
    measured: &Measured,
    targets: Vec<Band>,
) -> Card {
    card(
        key,
        Widget::LineChart(hearth_plugin_sdk::dashboard::LineChart {
            title: title.to_string(),
            series: series(measure.name, &measured.chart),
            targets,
        }),
    )
}

/// Systolic and diastolic readings as the series of one chart.
pub fn blood_pressure_series(systolic: &Measured, diastolic: &Measured) -> Vec<Series> {
    series(measures::SYSTOLIC.name, &systolic.chart)
        .into_iter()
        .chain(series(measures::DIASTOLIC.name, &diastolic.chart))
        .collect()
}

/// "In use: lisinopril 10 MG Oral Tablet" for a class with medicines in use, with their records.
pub fn in_use(class: &DrugClass, medicines: &[MedicineUse]) -> Option<StatusItem> {
    let using = in_class(class, medicines);
    let first = using.first()?;
    Some(StatusItem {
        label: class.name.to_string(),
        status: Status::Ok,
        detail: format!(
            "In use: {}",
            first.names.first().cloned().unwrap_or_default()
        ),
        evidence: using.iter().map(|m| m.evidence.clone()).collect(),
    })
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

/// The person the record is about, as far as the Patient record says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Person {
    /// `Patient/id`.
    pub evidence: String,
    /// `male`, `female`, `other`, `unknown`, or `None` when not recorded.
    pub gender: Option<String>,
    /// The birth date as written.
    pub birth_date: Option<String>,
}

impl Person {
    /// Whole years of age on `as_of` (`YYYY-MM-DD`), when the birth date is known to the day.
    pub fn age_on(&self, as_of: &str) -> Option<u32> {
        let birth = self.birth_date.as_deref()?;
        if birth.len() < 10 || as_of.len() < 10 {
            return None;
        }
        let (by, bmd) = (birth.get(0..4)?.parse::<i32>().ok()?, birth.get(5..10)?);
        let (ay, amd) = (as_of.get(0..4)?.parse::<i32>().ok()?, as_of.get(5..10)?);
        let years = ay - by - i32::from(amd < bmd);
        u32::try_from(years).ok()
    }
}

/// The Patient record's gender and birth date (the first Patient when a record has several).
pub fn person() -> Result<Person, PluginError> {
    let view = json!({
        "resource": "Patient",
        "select": [{"column": [
            {"name": "key", "path": "getResourceKey()"},
            {"name": "gender", "path": "gender"},
            {"name": "birth", "path": "birthDate"}
        ]}]
    });
    let table = views::run(&view, None, Some(1))?;
    Ok(table
        .rows
        .first()
        .and_then(|row| match row.as_slice() {
            [key, gender, birth] => Some(Person {
                evidence: key.as_str()?.to_string(),
                gender: gender.as_str().map(String::from),
                birth_date: birth.as_str().map(String::from),
            }),
            _ => None,
        })
        .unwrap_or_default())
}

/// A current condition on record.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionOnRecord {
    /// `Condition/id`.
    pub evidence: String,
    /// Its `system|code` codings.
    pub codes: Vec<String>,
    /// What the record calls it.
    pub name: String,
    /// Its onset or recorded date, if any.
    pub date: Option<String>,
}

/// The conditions on record with one of `codes` (`system|code`) that are current:
/// clinically active (or without a status) and not refuted or entered in error.
pub fn conditions_with(codes: &[&str]) -> Result<Vec<ConditionOnRecord>, PluginError> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    let view = json!({
        "resource": "Condition",
        "where": [
            {"path": "clinicalStatus.empty() or clinicalStatus.coding.code.intersect('active' | 'recurrence' | 'relapse').exists()"},
            {"path": "verificationStatus.coding.code.intersect('refuted' | 'entered-in-error').empty()"}
        ],
        "select": [{"column": [
            {"name": "key", "path": "getResourceKey()"},
            {"name": "codes", "path": CODES, "collection": true},
            {"name": "name", "path": "(code.text | code.coding.display).first()"},
            {"name": "date", "path": "(onset.ofType(dateTime) | onset.ofType(Period).start | recordedDate).first()"}
        ]}]
    });
    let filter = format!("code={}", codes.join(","));
    let table = views::run(&view, Some(&filter), Some(1_000))?;
    let mut out: Vec<ConditionOnRecord> = table
        .rows
        .iter()
        .filter_map(|row| {
            let [key, found, name, date] = row.as_slice() else {
                return None;
            };
            let found: Vec<String> = found
                .as_array()?
                .iter()
                .filter_map(|c| c.as_str().map(String::from))
                .collect();
            // The index matched a coding; keep only records that carry one asked for.
            found
                .iter()
                .any(|c| codes.contains(&c.as_str()))
                .then(|| ConditionOnRecord {
                    evidence: key.as_str().unwrap_or_default().to_string(),
                    codes: found.clone(),
                    name: name.as_str().unwrap_or("Condition").to_string(),
                    date: date.as_str().map(String::from),
                })
        })
        .collect();
    out.sort_by(|a, b| {
        a.date
            .cmp(&b.date)
            .then_with(|| a.evidence.cmp(&b.evidence))
    });
    Ok(out)
}

/// A coded result (an answer rather than a number), such as a smoking status.
#[derive(Debug, Clone, PartialEq)]
pub struct CodedResult {
    /// `Observation/id`.
    pub evidence: String,
    /// When.
    pub date: String,
    /// The answer as the record words it.
    pub answer: String,
    /// The answer's `system|code` codings.
    pub codes: Vec<String>,
}

/// The most recent observation with one of `codes` whose value is a coded answer.
pub fn latest_coded(codes: &[&str]) -> Result<Option<CodedResult>, PluginError> {
    let view = json!({
        "resource": "Observation",
        "where": [
            {"path": "status.empty() or (status != 'entered-in-error' and status != 'cancelled')"},
            {"path": "value.ofType(CodeableConcept).exists()"}
        ],
        "select": [{"column": [
            {"name": "key", "path": "getResourceKey()"},
            {"name": "date", "path": DATE},
            {"name": "answer", "path": "(value.ofType(CodeableConcept).text | value.ofType(CodeableConcept).coding.display).first()"},
            {"name": "codes", "path": "value.ofType(CodeableConcept).coding.select(system + '|' + code)", "collection": true}
        ]}]
    });
    let filter = format!("code={}&_sort=-date", codes.join(","));
    let table = views::run(&view, Some(&filter), Some(1))?;
    Ok(table.rows.first().and_then(|row| match row.as_slice() {
        [key, date, answer, found] => Some(CodedResult {
            evidence: key.as_str()?.to_string(),
            date: date.as_str()?.to_string(),
            answer: answer.as_str().unwrap_or("Answer not worded").to_string(),
            codes: found
                .as_array()
                .map(|cs| {
                    cs.iter()
                        .filter_map(|c| c.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
        }),
        _ => None,
    }))
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
    fn names_in_a_sentence_keep_their_abbreviations() {
        assert_eq!(
            in_sentence("Urine albumin/creatinine"),
            "urine albumin/creatinine"
        );
        assert_eq!(in_sentence("HbA1c"), "HbA1c");
        assert_eq!(in_sentence("LDL cholesterol"), "LDL cholesterol");
        assert_eq!(in_sentence("eGFR"), "eGFR");
        assert_eq!(in_sentence("Weight"), "weight");
    }

    #[test]
    fn age_counts_whole_years_from_the_birthday() {
        let p = |birth: &str| Person {
            evidence: String::new(),
            gender: None,
            birth_date: Some(birth.into()),
        };
        assert_eq!(p("1980-06-15").age_on("2026-06-14"), Some(45));
        assert_eq!(p("1980-06-15").age_on("2026-06-15"), Some(46));
        assert_eq!(p("1980").age_on("2026-06-15"), None);
        assert_eq!(p("2030-01-01").age_on("2026-06-15"), None);
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
