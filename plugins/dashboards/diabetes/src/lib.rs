//! The diabetes dashboard: "how is my diabetes care going?"
//!
//! HbA1c against its goal and its 6-month check, glucose, lipids, kidney
//! (eGFR and urine albumin/creatinine), blood pressure, weight and BMI, the
//! medicines the standards of care expect (ACE inhibitor or ARB, statin), and
//! flu and pneumococcal vaccines. Every target names its source; every value
//! is the record's own, with the record's id.

use hearth_dashboard_kit::measures::*;
use hearth_dashboard_kit::{self as kit, Measure, band};
use hearth_plugin_sdk::PluginError;
use hearth_plugin_sdk::dashboard::{
    AgeRange, Board, Dashboard, DashboardInfo, LineChart, RenderRequest, Status, StatusItem,
    StatusList, TimelineStrip, Widget, export_dashboard,
};

/// ADA Standards of Care in Diabetes, 2024.
const ADA: &str = "American Diabetes Association, Standards of Care in Diabetes—2024 (Diabetes Care 47, Suppl. 1), https://diabetesjournals.org/care/issue/47/Supplement_1";
/// KDIGO 2022 guideline for diabetes management in CKD.
const KDIGO: &str = "KDIGO 2022 Clinical Practice Guideline for Diabetes Management in CKD, https://kdigo.org/guidelines/diabetes-ckd/";

struct Diabetes;

fn chart(
    title: &str,
    lines: &[(&Measure, &kit::Measured)],
    targets: Vec<hearth_plugin_sdk::dashboard::Band>,
) -> Widget {
    Widget::LineChart(LineChart {
        title: title.to_string(),
        series: lines
            .iter()
            .flat_map(|(m, r)| kit::series(m.name, &r.chart))
            .collect(),
        targets,
    })
}

impl Dashboard for Diabetes {
    fn info() -> DashboardInfo {
        DashboardInfo {
            id: "diabetes".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            name: "Diabetes".into(),
            conditions: [
                "http://snomed.info/sct|73211009",
                "http://snomed.info/sct|44054006",
                "http://snomed.info/sct|46635009",
                "http://hl7.org/fhir/sid/icd-10-cm|E11.9",
                "http://hl7.org/fhir/sid/icd-10-cm|E10.9",
                "http://hl7.org/fhir/sid/icd-10-cm|E11.65",
            ]
            .map(String::from)
            .to_vec(),
            ages: None::<AgeRange>,
            settings: vec![],
        }
    }

    fn render(request: RenderRequest) -> Result<Board, PluginError> {
        let as_of = request.as_of.as_str();
        let read = |m: &Measure| kit::measure(m, as_of);
        let a1c = read(&A1C)?;
        let glucose = read(&GLUCOSE)?;
        let (ldl, hdl, tg) = (read(&LDL)?, read(&HDL)?, read(&TRIGLYCERIDES)?);
        let (uacr, creatinine, egfr) = (read(&UACR)?, read(&CREATININE)?, read(&EGFR)?);
        let (systolic, diastolic) = kit::measure_pair(&SYSTOLIC, &DIASTOLIC, as_of)?;
        let (weight, bmi) = (read(&WEIGHT)?, read(&BMI)?);
        let medicines = kit::medicines_in_use()?;
        let shots = kit::immunizations()?;

        let mut cards = vec![
            kit::card(
                "a1c-latest",
                Widget::Stat(kit::stat("Latest HbA1c", &A1C, &a1c, as_of, Some(6))),
            ),
            kit::card(
                "a1c-trend",
                chart(
                    "HbA1c",
                    &[(&A1C, &a1c)],
                    vec![band(
                        None,
                        Some(7.0),
                        "Goal for many adults: below 7 %",
                        &format!("{ADA}, section 6"),
                    )],
                ),
            ),
            kit::card(
                "glucose",
                chart(
                    "Glucose",
                    &[(&GLUCOSE, &glucose)],
                    vec![band(
                        Some(80.0),
                        Some(130.0),
                        "Before meals: 80–130 mg/dL",
                        &format!("{ADA}, section 6"),
                    )],
                ),
            ),
            kit::card(
                "ldl-latest",
                Widget::Stat(kit::stat(
                    "Latest LDL cholesterol",
                    &LDL,
                    &ldl,
                    as_of,
                    Some(12),
                )),
            ),
            kit::card(
                "lipids",
                chart(
                    "Cholesterol and triglycerides",
                    &[(&LDL, &ldl), (&HDL, &hdl), (&TRIGLYCERIDES, &tg)],
                    vec![band(
                        None,
                        Some(100.0),
                        "LDL below 100 mg/dL (below 70 with cardiovascular risk)",
                        &format!("{ADA}, section 10"),
                    )],
                ),
            ),
            kit::card(
                "uacr-latest",
                Widget::Stat(kit::stat(
                    "Latest urine albumin/creatinine",
                    &UACR,
                    &uacr,
                    as_of,
                    Some(12),
                )),
            ),
            kit::card(
                "egfr-latest",
                Widget::Stat(kit::stat("Latest eGFR", &EGFR, &egfr, as_of, Some(12))),
            ),
            // One chart per measure: eGFR, albumin and creatinine have units of their own.
            kit::card(
                "egfr",
                chart(
                    "eGFR",
                    &[(&EGFR, &egfr)],
                    vec![band(
                        Some(60.0),
                        None,
                        "eGFR 60 mL/min/1.73 m² or more",
                        &format!("{KDIGO}; {ADA}, section 11"),
                    )],
                ),
            ),
            kit::card(
                "uacr",
                chart(
                    "Urine albumin/creatinine",
                    &[(&UACR, &uacr)],
                    vec![band(
                        None,
                        Some(30.0),
                        "Albumin/creatinine below 30 mg/g",
                        &format!("{KDIGO}; {ADA}, section 11"),
                    )],
                ),
            ),
            kit::card(
                "creatinine",
                chart("Creatinine", &[(&CREATININE, &creatinine)], vec![]),
            ),
            kit::card(
                "bp-latest",
                Widget::Stat(kit::stat(
                    "Latest systolic blood pressure",
                    &SYSTOLIC,
                    &systolic,
                    as_of,
                    Some(12),
                )),
            ),
            kit::card(
                "blood-pressure",
                chart(
                    "Blood pressure",
                    &[(&SYSTOLIC, &systolic), (&DIASTOLIC, &diastolic)],
                    vec![
                        band(
                            None,
                            Some(130.0),
                            "Systolic below 130 mmHg",
                            &format!("{ADA}, section 10"),
                        ),
                        band(
                            None,
                            Some(80.0),
                            "Diastolic below 80 mmHg",
                            &format!("{ADA}, section 10"),
                        ),
                    ],
                ),
            ),
            kit::card(
                "weight",
                chart(
                    "Weight and BMI",
                    &[(&WEIGHT, &weight), (&BMI, &bmi)],
                    vec![],
                ),
            ),
        ];

        let mut items = Vec::new();
        // Whether these are called for depends on things the records may not say
        // (albuminuria, blood pressure, age, risk), so absence is not judged.
        for (class, when) in [
            (
                &ACE_ARB,
                "recommended with high blood pressure or albuminuria",
            ),
            (
                &STATIN,
                "recommended for most adults with diabetes aged 40 to 75",
            ),
        ] {
            let using = kit::in_class(class, &medicines);
            items.push(StatusItem {
                label: class.name.to_string(),
                status: if using.is_empty() {
                    Status::Indeterminate
                } else {
                    Status::Ok
                },
                detail: match using.first() {
                    Some(m) => format!("In use: {}", m.names.first().cloned().unwrap_or_default()),
                    None => format!("None active on record; {when} ({ADA}, sections 10 and 11)"),
                },
                evidence: using.iter().map(|m| m.evidence.clone()).collect(),
            });
        }
        let flu = kit::shots_of(FLU, &shots);
        let last_flu = flu.last();
        let flu_recent = last_flu
            .and_then(|s| kit::add_months(&s.date, 12))
            .is_some_and(|until| until.as_str() >= as_of);
        items.push(StatusItem {
            label: "Flu vaccine in the last 12 months".into(),
            status: if flu_recent {
                Status::Ok
            } else {
                Status::Missing
            },
            detail: match last_flu {
                Some(s) => format!("Last on {}", &s.date[..s.date.len().min(10)]),
                None => "No flu vaccine on record".into(),
            },
            evidence: last_flu
                .map(|s| vec![s.evidence.clone()])
                .unwrap_or_default(),
        });
        let pneumo = kit::shots_of(PNEUMOCOCCAL, &shots);
        items.push(StatusItem {
            label: "Pneumococcal vaccine".into(),
            status: if pneumo.is_empty() {
                Status::Missing
            } else {
                Status::Ok
            },
            detail: match pneumo.last() {
                Some(s) => format!("Last on {}", &s.date[..s.date.len().min(10)]),
                None => "No pneumococcal vaccine on record".into(),
            },
            evidence: pneumo.iter().map(|s| s.evidence.clone()).collect(),
        });
        cards.push(kit::card(
            "care-checklist",
            Widget::StatusList(StatusList {
                title: "Medicines and vaccines".into(),
                items,
            }),
        ));
        let mut events: Vec<_> = flu.iter().map(|s| kit::event("Flu vaccine", s)).collect();
        events.extend(pneumo.iter().map(|s| kit::event("Pneumococcal vaccine", s)));
        events.sort_by(|a, b| a.date.cmp(&b.date));
        cards.push(kit::card(
            "vaccines",
            Widget::TimelineStrip(TimelineStrip {
                title: "Vaccines".into(),
                events,
            }),
        ));
        Ok(Board {
            title: "Diabetes".into(),
            cards,
        })
    }
}

export_dashboard!(Diabetes);
