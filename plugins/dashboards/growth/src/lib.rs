//! The child growth dashboard: "is my child growing as expected?"
//!
//! Weight, length or height, head circumference and BMI as recorded, each
//! measurement's percentile for age and sex from the CDC 2000 growth charts'
//! LMS tables (`data/`, public domain, see `data/README.md`), and the
//! categories CDC gives BMI-for-age. The LMS parameters are interpolated
//! linearly at the exact age in months (days / 30.4375), as CDC's own
//! programs do; BMI at or above the 95th percentile uses CDC's extended
//! method, and a measurement CDC's modified z-score marks implausible is
//! flagged rather than charted as a percentile. A value in a unit the tables
//! are not in (kg, cm, kg/m²), or without a birth date or sex on record,
//! is "indeterminate": nothing is converted or guessed.

mod lms;

use hearth_dashboard_kit::{self as kit, Measure, Reading, band};
use hearth_plugin_sdk::PluginError;
use hearth_plugin_sdk::dashboard::{
    AgeRange, Board, Dashboard, DashboardInfo, LineChart, Point, RenderRequest, Row, Series,
    Status, StatusItem, StatusList, Table, Widget, export_dashboard,
};
use lms::{Indicator, Sex};

/// The CDC 2000 growth charts.
const CDC: &str = "2000 CDC Growth Charts for the United States (Kuczmarski et al., Vital Health Stat 11(246), 2002), https://www.cdc.gov/growthcharts/";
/// CDC's BMI-for-age categories and extended BMI.
const CDC_BMI: &str = "CDC, BMI-for-age categories and the extended BMI-for-age growth charts (2022), https://www.cdc.gov/growthcharts/extended-bmi.htm";

const WEIGHT: Measure = Measure {
    name: "Weight",
    codes: &["http://loinc.org|29463-7", "http://loinc.org|3141-9"],
    search: &[],
    steady_within: 0.2,
};
const LENGTH: Measure = Measure {
    name: "Length or height",
    codes: &["http://loinc.org|8302-2", "http://loinc.org|8306-3"],
    search: &[],
    steady_within: 0.5,
};
const HEAD: Measure = Measure {
    name: "Head circumference",
    codes: &["http://loinc.org|9843-4", "http://loinc.org|8287-5"],
    search: &[],
    steady_within: 0.3,
};
const BMI: Measure = Measure {
    name: "BMI",
    codes: &["http://loinc.org|39156-5"],
    search: &[],
    steady_within: 0.3,
};

struct Growth;

/// One measurement judged against the tables.
#[derive(Debug, Clone, PartialEq)]
enum Judged {
    /// Its percentile (and, for BMI, its CDC category).
    Percentile { percentile: f64, words: String },
    /// Outside what CDC treats as plausible for the age.
    Implausible,
    /// Cannot be judged, and why.
    Indeterminate(String),
}

/// "62nd", "1st", "23rd".
fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// The percentile in words, never claiming more than the tables support.
fn percentile_words(p: f64) -> String {
    if p > 97.0 {
        "above the 97th percentile".into()
    } else if p < 3.0 {
        "below the 3rd percentile".into()
    } else {
        format!("{} percentile", ordinal(p.round() as u32))
    }
}

/// The CDC BMI-for-age category of a percentile.
fn bmi_category(p: f64) -> &'static str {
    if p < 5.0 {
        "underweight"
    } else if p < 85.0 {
        "healthy weight"
    } else if p < 95.0 {
        "overweight"
    } else {
        "obesity"
    }
}

/// Age in months between a birth date and a measurement (both `YYYY-MM-DD…`).
fn age_months(birth: &str, at: &str) -> Option<f64> {
    let day = |d: &str| -> Option<i64> {
        let y: i64 = d.get(0..4)?.parse().ok()?;
        let m: i64 = d.get(5..7)?.parse().ok()?;
        let dd: i64 = d.get(8..10)?.parse().ok()?;
        // Days from civil (Howard Hinnant's algorithm).
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + dd - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(era * 146_097 + doe)
    };
    let days = day(at)? - day(birth)?;
    (days >= 0).then(|| days as f64 / 30.4375)
}

fn judge(indicator: Indicator, r: &Reading, sex: Option<Sex>, birth: Option<&str>) -> Judged {
    let Some(sex) = sex else {
        return Judged::Indeterminate("sex not on record as male or female".into());
    };
    let Some(birth) = birth.filter(|b| b.len() >= 10) else {
        return Judged::Indeterminate("no birth date to the day on record".into());
    };
    let Some(age) = age_months(birth, &r.date) else {
        return Judged::Indeterminate("measured before the birth date on record".into());
    };
    if r.unit != indicator.unit() {
        return Judged::Indeterminate(format!(
            "in {}, not {}, the unit of the CDC tables",
            r.unit,
            indicator.unit()
        ));
    }
    let Some(lms) = indicator.lms(sex, age) else {
        return Judged::Indeterminate(format!(
            "the CDC table for {} covers {}",
            indicator.name(),
            indicator.ages()
        ));
    };
    if lms.implausible(indicator, r.value) {
        return Judged::Implausible;
    }
    let mut percentile = lms::normal_cdf(lms.z(r.value)) * 100.0;
    if indicator == Indicator::Bmi && r.value >= lms.at_z(lms::Z95) {
        percentile = lms::extended_bmi_percentile(sex, age / 12.0, r.value, lms.at_z(lms::Z95));
    }
    let words = match indicator {
        Indicator::Bmi => format!(
            "{} ({})",
            percentile_words(percentile),
            bmi_category(percentile)
        ),
        _ => percentile_words(percentile),
    };
    Judged::Percentile { percentile, words }
}

/// "3 years 2 months", "7 months".
fn age_words(months: f64) -> String {
    let whole = months.floor() as u32;
    let (y, m) = (whole / 12, whole % 12);
    match (y, m) {
        (0, m) => format!("{m} month{}", if m == 1 { "" } else { "s" }),
        (y, 0) => format!("{y} year{}", if y == 1 { "" } else { "s" }),
        (y, m) => format!(
            "{y} year{} {m} month{}",
            if y == 1 { "" } else { "s" },
            if m == 1 { "" } else { "s" }
        ),
    }
}

struct Measured<'r> {
    indicator: Indicator,
    reading: &'r Reading,
    judged: Judged,
}

impl Dashboard for Growth {
    fn info() -> DashboardInfo {
        DashboardInfo {
            id: "growth".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            name: "Child growth".into(),
            conditions: vec![],
            ages: Some(AgeRange { min: 0, max: 19 }),
            settings: vec![],
        }
    }

    fn render(_request: RenderRequest) -> Result<Board, PluginError> {
        let person = kit::person()?;
        let sex = match person.gender.as_deref() {
            Some("male") => Some(Sex::Male),
            Some("female") => Some(Sex::Female),
            _ => None,
        };
        let birth = person.birth_date.as_deref();
        let mut measured: Vec<Measured> = Vec::new();
        let mut readings = Vec::new();
        for (indicator, measure) in [
            (Indicator::Weight, &WEIGHT),
            (Indicator::Length, &LENGTH),
            (Indicator::Head, &HEAD),
            (Indicator::Bmi, &BMI),
        ] {
            // The whole of childhood: from birth, not the last 10 years.
            let found = kit::readings_since(measure, birth, kit::CHART_ROWS)?;
            readings.push((indicator, measure, found));
        }
        for (indicator, _, found) in &readings {
            for r in found {
                measured.push(Measured {
                    indicator: *indicator,
                    reading: r,
                    judged: judge(*indicator, r, sex, birth),
                });
            }
        }

        // The latest of each, judged.
        let mut status = Vec::new();
        for (indicator, measure, found) in &readings {
            let label = format!("{} for age", measure.name);
            let Some(latest) = found.last() else {
                status.push(StatusItem {
                    label,
                    status: Status::Missing,
                    detail: format!("No {} on record", kit::in_sentence(measure.name)),
                    evidence: vec![],
                });
                continue;
            };
            let at = birth
                .and_then(|b| age_months(b, &latest.date))
                .map(|m| format!(" at {}", age_words(m)))
                .unwrap_or_default();
            let day: String = latest.date.chars().take(10).collect();
            let value = format!("{} {} on {day}{at}", latest.text, latest.unit);
            let mut evidence = vec![latest.evidence.clone()];
            if !person.evidence.is_empty() {
                evidence.push(person.evidence.clone());
            }
            status.push(match judge(*indicator, latest, sex, birth) {
                Judged::Percentile { percentile, words } => StatusItem {
                    label,
                    status: match indicator {
                        Indicator::Bmi if !(5.0..85.0).contains(&percentile) => Status::Attention,
                        Indicator::Bmi => Status::Ok,
                        _ if !(3.0..=97.0).contains(&percentile) => Status::Attention,
                        _ => Status::Ok,
                    },
                    detail: format!("{value}: {words}"),
                    evidence,
                },
                Judged::Implausible => StatusItem {
                    label,
                    status: Status::Indeterminate,
                    detail: format!("{value}: outside what CDC treats as plausible for the age; check the measurement"),
                    evidence,
                },
                Judged::Indeterminate(why) => StatusItem {
                    label,
                    status: Status::Indeterminate,
                    detail: format!("{value}: no percentile ({why})"),
                    evidence,
                },
            });
        }

        // Percentiles over time, one series per measure.
        let percentile_series: Vec<Series> = readings
            .iter()
            .filter_map(|(indicator, measure, _)| {
                let points: Vec<Point> = measured
                    .iter()
                    .filter(|m| m.indicator == *indicator)
                    .filter_map(|m| match &m.judged {
                        Judged::Percentile { percentile, .. } => Some(Point {
                            date: m.reading.date.clone(),
                            value: (percentile * 10.0).round() / 10.0,
                            text: format!("{:.0}", percentile.clamp(0.0, 100.0)),
                            unit: "percentile".into(),
                            evidence: vec![m.reading.evidence.clone()],
                        }),
                        _ => None,
                    })
                    .collect();
                (!points.is_empty()).then(|| Series {
                    name: measure.name.to_string(),
                    unit: "percentile".into(),
                    points,
                })
            })
            .collect();

        let mut rows: Vec<Row> = measured
            .iter()
            .map(|m| Row {
                cells: vec![
                    m.reading.date.chars().take(10).collect(),
                    birth
                        .and_then(|b| age_months(b, &m.reading.date))
                        .map(age_words)
                        .unwrap_or_default(),
                    m.indicator.name().to_string(),
                    format!("{} {}", m.reading.text, m.reading.unit),
                    match &m.judged {
                        Judged::Percentile { words, .. } => words.clone(),
                        Judged::Implausible => "implausible for age".into(),
                        Judged::Indeterminate(_) => "no percentile".into(),
                    },
                ],
                evidence: vec![m.reading.evidence.clone()],
            })
            .collect();
        rows.sort_by(|a, b| b.cells[0].cmp(&a.cells[0]));
        rows.truncate(40);

        let chart = |key: &str, indicator: Indicator, measure: &Measure| {
            let found = readings
                .iter()
                .find(|(i, _, _)| *i == indicator)
                .map(|(_, _, f)| f.as_slice())
                .unwrap_or_default();
            kit::card(
                key,
                Widget::LineChart(LineChart {
                    title: measure.name.to_string(),
                    series: kit::series(measure.name, found),
                    targets: vec![],
                }),
            )
        };
        let cards = vec![
            kit::card(
                "growth-status",
                Widget::StatusList(StatusList {
                    title: "Growth for age".into(),
                    items: status,
                }),
            ),
            kit::card(
                "percentiles",
                Widget::LineChart(LineChart {
                    title: "Percentiles for age".into(),
                    series: percentile_series,
                    targets: vec![
                        band(
                            Some(3.0),
                            Some(97.0),
                            "Between the 3rd and 97th percentiles",
                            CDC,
                        ),
                        band(None, Some(85.0), "BMI below the 85th percentile", CDC_BMI),
                    ],
                }),
            ),
            chart("weight", Indicator::Weight, &WEIGHT),
            chart("length", Indicator::Length, &LENGTH),
            chart("head", Indicator::Head, &HEAD),
            chart("bmi", Indicator::Bmi, &BMI),
            kit::card(
                "measurements",
                Widget::Table(Table {
                    title: "Measurements".into(),
                    columns: vec![
                        "Date".into(),
                        "Age".into(),
                        "Measure".into(),
                        "Value".into(),
                        "For age".into(),
                    ],
                    rows,
                }),
            ),
        ];
        Ok(Board {
            title: "Child growth".into(),
            cards,
        })
    }
}

export_dashboard!(Growth);

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(value: f64, unit: &str, date: &str) -> Reading {
        Reading {
            evidence: "Observation/x".into(),
            date: date.into(),
            text: value.to_string(),
            value,
            unit: unit.into(),
        }
    }

    #[test]
    fn ages_are_counted_in_days_over_30_4375() {
        let m = age_months("2020-01-01", "2022-01-16").unwrap();
        assert!((m - 746.0 / 30.4375).abs() < 1e-9, "{m}");
        assert_eq!(age_months("2022-01-01", "2021-01-01"), None);
        assert_eq!(age_words(26.3), "2 years 2 months");
        assert_eq!(age_words(7.9), "7 months");
        assert_eq!(ordinal(62), "62nd");
        assert_eq!(ordinal(11), "11th");
        assert_eq!(ordinal(23), "23rd");
    }

    #[test]
    fn the_median_for_age_is_the_50th_percentile() {
        // A boy of exactly 24.5 months weighing the table's median (M) for that age.
        let birth = "2020-01-01";
        let at = "2022-01-16"; // 746 days = 24.51 months
        let lms = Indicator::Weight.lms(Sex::Male, 746.0 / 30.4375).unwrap();
        let r = reading(lms.m, "kg", at);
        match judge(Indicator::Weight, &r, Some(Sex::Male), Some(birth)) {
            Judged::Percentile { percentile, words } => {
                assert!((percentile - 50.0).abs() < 1e-6, "{percentile}");
                assert_eq!(words, "50th percentile");
            }
            other => panic!("{other:?}"),
        }
        // The value at z = 1.645 is the 95th percentile.
        let r = reading(lms.at_z(lms::Z95), "kg", at);
        let Judged::Percentile { percentile, .. } =
            judge(Indicator::Weight, &r, Some(Sex::Male), Some(birth))
        else {
            panic!()
        };
        assert!((percentile - 95.0).abs() < 0.01, "{percentile}");
    }

    #[test]
    fn units_sex_and_age_outside_the_tables_are_indeterminate() {
        let r = reading(30.0, "[lb_av]", "2022-01-16");
        assert!(matches!(
            judge(Indicator::Weight, &r, Some(Sex::Female), Some("2020-01-01")),
            Judged::Indeterminate(why) if why.contains("[lb_av]")
        ));
        let r = reading(12.0, "kg", "2022-01-16");
        assert!(matches!(
            judge(Indicator::Weight, &r, None, Some("2020-01-01")),
            Judged::Indeterminate(_)
        ));
        assert!(matches!(
            judge(Indicator::Weight, &r, Some(Sex::Male), Some("2020")),
            Judged::Indeterminate(_)
        ));
        // BMI-for-age starts at 2 years; head circumference ends at 36 months.
        let r = reading(17.0, "kg/m2", "2021-01-01");
        assert!(matches!(
            judge(Indicator::Bmi, &r, Some(Sex::Male), Some("2020-01-01")),
            Judged::Indeterminate(why) if why.contains("2 to 20 years")
        ));
        let r = reading(50.0, "cm", "2025-01-01");
        assert!(matches!(
            judge(Indicator::Head, &r, Some(Sex::Male), Some("2020-01-01")),
            Judged::Indeterminate(_)
        ));
    }

    #[test]
    fn bmi_has_cdc_categories_and_implausible_values_are_flagged() {
        let birth = "2015-01-01";
        let at = "2025-01-01"; // 10 years
        let age = age_months(birth, at).unwrap();
        let lms = Indicator::Bmi.lms(Sex::Female, age).unwrap();
        let judged = |v: f64| {
            judge(
                Indicator::Bmi,
                &reading(v, "kg/m2", at),
                Some(Sex::Female),
                Some(birth),
            )
        };
        let Judged::Percentile { words, .. } = judged(lms.m) else {
            panic!()
        };
        assert_eq!(words, "50th percentile (healthy weight)");
        let Judged::Percentile { words, percentile } = judged(lms.at_z(lms::Z95) + 2.0) else {
            panic!()
        };
        assert!(percentile > 95.0 && percentile < 100.0, "{percentile}");
        assert!(words.ends_with("(obesity)"), "{words}");
        assert_eq!(judged(80.0), Judged::Implausible);
    }
}
