//! The high blood pressure dashboard: "is my blood pressure under control?"
//!
//! Blood pressure over time against the person's goal (130/80 unless they set
//! another, as the 2017 ACC/AHA guideline advises for most adults), how many
//! readings of the last 12 months were under it, the classes of blood pressure
//! medicines in use, and the kidney and potassium checks those medicines call
//! for. Every value is the record's own, with the record's id.

use hearth_dashboard_kit::measures::*;
use hearth_dashboard_kit::{self as kit, Measure, Reading, band};
use hearth_plugin_sdk::PluginError;
use hearth_plugin_sdk::dashboard::{
    Board, Dashboard, DashboardInfo, LineChart, RenderRequest, Row, Setting, Status, StatusItem,
    StatusList, Table, Widget, export_dashboard,
};

/// The 2017 ACC/AHA high blood pressure guideline.
const ACC_AHA: &str = "2017 ACC/AHA Guideline for the Prevention, Detection, Evaluation, and Management of High Blood Pressure in Adults, https://doi.org/10.1161/HYP.0000000000000065";
/// KDIGO 2021 guideline for blood pressure in CKD.
const KDIGO_BP: &str = "KDIGO 2021 Clinical Practice Guideline for the Management of Blood Pressure in CKD, https://kdigo.org/guidelines/blood-pressure-in-ckd/";
/// The goal when the person sets none.
const DEFAULT_GOAL: &str = "130/80";

struct Hypertension;

/// A goal written `systolic/diastolic`.
fn goal(settings: &[(String, String)]) -> Result<(f64, f64, String), PluginError> {
    let text = settings
        .iter()
        .find(|(k, _)| k == "goal")
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_else(|| DEFAULT_GOAL.to_string());
    let parsed = text
        .split_once('/')
        .and_then(|(s, d)| Some((s.trim().parse::<f64>().ok()?, d.trim().parse::<f64>().ok()?)));
    match parsed {
        Some((s, d)) if (70.0..=250.0).contains(&s) && (40.0..=150.0).contains(&d) && d < s => {
            Ok((s, d, text))
        }
        _ => Err(PluginError::new(
            hearth_plugin_sdk::ErrorKind::InvalidInput,
            format!(
                "the blood pressure goal {text:?} is not systolic/diastolic in mmHg (for example 130/80)"
            ),
        )),
    }
}

/// Systolic and diastolic readings taken together: same record, or same moment.
fn pairs<'r>(systolic: &'r [Reading], diastolic: &'r [Reading]) -> Vec<(&'r Reading, &'r Reading)> {
    systolic
        .iter()
        .filter_map(|s| {
            let d = diastolic
                .iter()
                .find(|d| d.evidence == s.evidence)
                .or_else(|| diastolic.iter().find(|d| d.date == s.date))?;
            (s.unit == "mm[Hg]" && d.unit == "mm[Hg]").then_some((s, d))
        })
        .collect()
}

impl Dashboard for Hypertension {
    fn info() -> DashboardInfo {
        DashboardInfo {
            id: "hypertension".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            name: "High blood pressure".into(),
            conditions: [
                "http://snomed.info/sct|38341003",
                "http://snomed.info/sct|59621000",
                "http://snomed.info/sct|1201005",
                "http://hl7.org/fhir/sid/icd-10-cm|I10",
            ]
            .map(String::from)
            .to_vec(),
            ages: None,
            settings: vec![Setting {
                key: "goal".into(),
                label: "Blood pressure goal (mmHg)".into(),
                default_value: DEFAULT_GOAL.into(),
            }],
        }
    }

    fn render(request: RenderRequest) -> Result<Board, PluginError> {
        let as_of = request.as_of.as_str();
        let (goal_systolic, goal_diastolic, goal_text) = goal(&request.settings)?;
        let read = |m: &Measure| kit::measure(m, as_of);
        let (systolic, diastolic) = kit::measure_pair(&SYSTOLIC, &DIASTOLIC, as_of)?;
        let (potassium, egfr) = (read(&POTASSIUM)?, read(&EGFR)?);
        let medicines = kit::medicines_in_use()?;

        // Readings of the last 12 months, each judged against the goal.
        let year_ago = kit::add_months(as_of, -12).unwrap_or_default();
        let recent: Vec<_> = pairs(&systolic.chart, &diastolic.chart)
            .into_iter()
            .filter(|(s, _)| s.date.as_str() >= year_ago.as_str())
            .collect();
        let at_goal =
            |(s, d): &(&Reading, &Reading)| s.value < goal_systolic && d.value < goal_diastolic;
        let under = recent.iter().filter(|p| at_goal(p)).count();
        let control = match recent.last() {
            None => StatusItem {
                label: format!("Under {goal_text}"),
                status: Status::Missing,
                detail: "No blood pressure reading in the last 12 months".into(),
                evidence: vec![],
            },
            Some(latest) => StatusItem {
                label: format!("Under {goal_text}"),
                status: if at_goal(latest) {
                    Status::Ok
                } else {
                    Status::Attention
                },
                detail: format!(
                    "{under} of {} readings in the last 12 months under {goal_text} ({}%); the latest, {}/{} mmHg, is {}",
                    recent.len(),
                    (under * 100 + recent.len() / 2) / recent.len(),
                    latest.0.text,
                    latest.1.text,
                    if at_goal(latest) {
                        "under it"
                    } else {
                        "not under it"
                    }
                ),
                evidence: recent.iter().map(|(s, _)| s.evidence.clone()).collect(),
            },
        };
        let rows = recent
            .iter()
            .rev()
            .take(10)
            .map(|p| Row {
                cells: vec![
                    p.0.date.chars().take(10).collect(),
                    format!("{}/{} mmHg", p.0.text, p.1.text),
                    if at_goal(p) {
                        "Yes".into()
                    } else {
                        "No".into()
                    },
                ],
                evidence: vec![p.0.evidence.clone()],
            })
            .collect();

        let mut classes = Vec::new();
        for class in [
            &ACE_INHIBITOR,
            &ARB,
            &THIAZIDE,
            &CALCIUM_CHANNEL_BLOCKER,
            &BETA_BLOCKER,
            &MRA,
        ] {
            classes.extend(kit::in_use(class, &medicines));
        }
        if classes.is_empty() {
            classes.push(StatusItem {
                label: "Blood pressure medicines".into(),
                status: Status::Indeterminate,
                detail: "None active on record".into(),
                evidence: vec![],
            });
        }

        let cards = vec![
            kit::card(
                "bp-control",
                Widget::StatusList(StatusList {
                    title: "Control".into(),
                    items: vec![control],
                }),
            ),
            kit::card(
                "systolic-latest",
                Widget::Stat(kit::stat(
                    "Latest systolic",
                    &SYSTOLIC,
                    &systolic,
                    as_of,
                    Some(12),
                )),
            ),
            kit::card(
                "diastolic-latest",
                Widget::Stat(kit::stat(
                    "Latest diastolic",
                    &DIASTOLIC,
                    &diastolic,
                    as_of,
                    Some(12),
                )),
            ),
            kit::card(
                "bp-trend",
                Widget::LineChart(LineChart {
                    title: "Blood pressure".into(),
                    series: kit::series(SYSTOLIC.name, &systolic.chart)
                        .into_iter()
                        .chain(kit::series(DIASTOLIC.name, &diastolic.chart))
                        .collect(),
                    targets: vec![
                        band(
                            None,
                            Some(goal_systolic),
                            &format!("Systolic goal: below {goal_systolic} mmHg"),
                            ACC_AHA,
                        ),
                        band(
                            None,
                            Some(goal_diastolic),
                            &format!("Diastolic goal: below {goal_diastolic} mmHg"),
                            ACC_AHA,
                        ),
                    ],
                }),
            ),
            kit::card(
                "bp-readings",
                Widget::Table(Table {
                    title: "Readings of the last 12 months".into(),
                    columns: vec![
                        "Date".into(),
                        "Blood pressure".into(),
                        format!("Under {goal_text}"),
                    ],
                    rows,
                }),
            ),
            kit::card(
                "medicines",
                Widget::StatusList(StatusList {
                    title: "Blood pressure medicines".into(),
                    items: classes,
                }),
            ),
            kit::card(
                "potassium-latest",
                Widget::Stat(kit::stat(
                    "Latest potassium",
                    &POTASSIUM,
                    &potassium,
                    as_of,
                    Some(12),
                )),
            ),
            kit::card(
                "egfr-latest",
                Widget::Stat(kit::stat("Latest eGFR", &EGFR, &egfr, as_of, Some(12))),
            ),
            // Potassium and eGFR have units of their own: a chart each.
            kit::measure_chart(
                "potassium",
                "Potassium",
                &POTASSIUM,
                &potassium,
                vec![band(
                    Some(3.5),
                    Some(5.0),
                    "Potassium 3.5–5.0 mmol/L",
                    ACC_AHA,
                )],
            ),
            kit::measure_chart(
                "egfr",
                "eGFR",
                &EGFR,
                &egfr,
                vec![band(
                    Some(60.0),
                    None,
                    "eGFR 60 mL/min/1.73 m² or more",
                    KDIGO_BP,
                )],
            ),
        ];
        Ok(Board {
            title: "High blood pressure".into(),
            cards,
        })
    }
}

export_dashboard!(Hypertension);
