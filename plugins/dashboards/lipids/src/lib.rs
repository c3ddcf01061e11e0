//! The cholesterol and heart dashboard: "is my cholesterol where it should be,
//! and should I be on a statin?"
//!
//! Cholesterol results over time, the statin question answered from the
//! record as the 2018 ACC/AHA cholesterol guideline frames it (clinical
//! atherosclerotic disease, LDL of 190 mg/dL or more, diabetes at 40 to 75),
//! other lipid-lowering medicines, and the other risk factors the record
//! holds: blood pressure, smoking, diabetes. When the answer turns on a
//! 10-year risk estimate the record cannot complete, it says so.

use hearth_dashboard_kit::measures::*;
use hearth_dashboard_kit::{self as kit, ConditionOnRecord, Measured, band};
use hearth_plugin_sdk::PluginError;
use hearth_plugin_sdk::dashboard::{
    AgeRange, Board, Dashboard, DashboardInfo, LineChart, RenderRequest, Status, StatusItem,
    StatusList, Widget, export_dashboard,
};

/// The 2018 AHA/ACC multisociety cholesterol guideline.
const ACC_AHA_2018: &str = "2018 AHA/ACC/AACVPR/AAPA/ABC/ACPM/ADA/AGS/APhA/ASPC/NLA/PCNA Guideline on the Management of Blood Cholesterol, Circulation 139:e1082, https://doi.org/10.1161/CIR.0000000000000625";
/// NCEP Adult Treatment Panel III.
const ATP_III: &str = "NCEP Adult Treatment Panel III final report (2002), Circulation 106:3143, https://doi.org/10.1161/circ.106.25.3143";
/// The 2017 ACC/AHA high blood pressure guideline.
const ACC_AHA_BP: &str = "2017 ACC/AHA Guideline for the Prevention, Detection, Evaluation, and Management of High Blood Pressure in Adults, https://doi.org/10.1161/HYP.0000000000000065";

/// Clinical atherosclerotic cardiovascular disease: coronary disease, heart
/// attack, angina, stroke or TIA, peripheral arterial disease.
const ASCVD: &[&str] = &[
    "http://snomed.info/sct|53741008",
    "http://snomed.info/sct|414545008",
    "http://snomed.info/sct|22298006",
    "http://snomed.info/sct|399211009",
    "http://snomed.info/sct|401303003",
    "http://snomed.info/sct|401314000",
    "http://snomed.info/sct|194828000",
    "http://snomed.info/sct|230690007",
    "http://snomed.info/sct|422504002",
    "http://snomed.info/sct|266257000",
    "http://snomed.info/sct|399957001",
    "http://snomed.info/sct|840580004",
    "http://hl7.org/fhir/sid/icd-10-cm|I25.10",
    "http://hl7.org/fhir/sid/icd-10-cm|I21.9",
    "http://hl7.org/fhir/sid/icd-10-cm|I20.9",
    "http://hl7.org/fhir/sid/icd-10-cm|I63.9",
];
/// Diabetes (type 1, type 2, unspecified).
const DIABETES: &[&str] = &[
    "http://snomed.info/sct|73211009",
    "http://snomed.info/sct|44054006",
    "http://snomed.info/sct|46635009",
    "http://hl7.org/fhir/sid/icd-10-cm|E11.9",
    "http://hl7.org/fhir/sid/icd-10-cm|E10.9",
    "http://hl7.org/fhir/sid/icd-10-cm|E11.65",
];
/// Raised cholesterol or triglycerides.
const LIPID_DISORDERS: &[&str] = &[
    "http://snomed.info/sct|55822004",
    "http://snomed.info/sct|13644009",
    "http://snomed.info/sct|267432004",
    "http://snomed.info/sct|398036000",
    "http://snomed.info/sct|267434003",
    "http://snomed.info/sct|302870006",
    "http://hl7.org/fhir/sid/icd-10-cm|E78.0",
    "http://hl7.org/fhir/sid/icd-10-cm|E78.00",
    "http://hl7.org/fhir/sid/icd-10-cm|E78.01",
    "http://hl7.org/fhir/sid/icd-10-cm|E78.1",
    "http://hl7.org/fhir/sid/icd-10-cm|E78.2",
    "http://hl7.org/fhir/sid/icd-10-cm|E78.5",
];
/// Tobacco smoking status (LOINC).
const SMOKING_STATUS: &[&str] = &["http://loinc.org|72166-2"];
/// Smoking-status answers (SNOMED) that mean smoking now.
const SMOKES_NOW: &[&str] = &[
    "http://snomed.info/sct|449868002",
    "http://snomed.info/sct|428041000124106",
    "http://snomed.info/sct|77176002",
    "http://snomed.info/sct|428071000124103",
    "http://snomed.info/sct|428061000124105",
];

struct Lipids;

/// Why the record suggests a statin, per the 2018 guideline's statin benefit groups.
struct Indication {
    /// In words.
    why: String,
    /// The intensity the guideline advises.
    intensity: &'static str,
    /// The records it rests on.
    evidence: Vec<String>,
}

fn indications(
    ascvd: &[ConditionOnRecord],
    ldl: &Measured,
    diabetes: &[ConditionOnRecord],
    age: Option<u32>,
    person_evidence: &str,
) -> Vec<Indication> {
    let mut out = Vec::new();
    if let Some(c) = ascvd.first() {
        out.push(Indication {
            why: format!("{} is on record (clinical ASCVD)", c.name),
            intensity: "high-intensity",
            evidence: ascvd.iter().map(|c| c.evidence.clone()).collect(),
        });
    }
    // The highest LDL of the chart's years, in the unit the threshold is given in.
    let severe = ldl
        .chart
        .iter()
        .chain(ldl.latest.iter())
        .filter(|r| r.unit == "mg/dL" && r.value >= 190.0)
        .max_by(|a, b| a.value.total_cmp(&b.value));
    if let Some(r) = severe {
        out.push(Indication {
            why: format!(
                "LDL cholesterol of {} mg/dL on {} (190 or more)",
                r.text,
                r.date.get(0..10).unwrap_or(&r.date)
            ),
            intensity: "high-intensity",
            evidence: vec![r.evidence.clone()],
        });
    }
    if let (Some(c), Some(age)) = (diabetes.first(), age)
        && (40..=75).contains(&age)
    {
        let mut evidence: Vec<String> = diabetes.iter().map(|c| c.evidence.clone()).collect();
        evidence.push(person_evidence.to_string());
        out.push(Indication {
            why: format!("{} is on record, at age {age} (40 to 75)", c.name),
            intensity: "moderate-intensity",
            evidence,
        });
    }
    out
}

fn statin_items(
    indications: &[Indication],
    medicines: &[kit::MedicineUse],
    age: Option<u32>,
) -> Vec<StatusItem> {
    let statins = kit::in_class(&STATIN, medicines);
    let mut items = Vec::new();
    match (kit::in_use(&STATIN, medicines), indications.is_empty()) {
        (Some(in_use), _) => items.push(in_use),
        (None, false) => items.push(StatusItem {
            label: "Statin".into(),
            status: Status::Attention,
            detail: "None active on record, though the guideline advises one (below)".into(),
            evidence: vec![],
        }),
        (None, true) => items.push(StatusItem {
            label: "Statin".into(),
            status: Status::Indeterminate,
            detail: match age {
                Some(age) if (40..=75).contains(&age) => "None active on record. None of the guideline's statin groups (clinical ASCVD, LDL 190 mg/dL or more, diabetes at 40 to 75) is on record, so whether one is advised turns on the 10-year risk estimate (7.5% or more), which needs values the record may not hold".into(),
                _ => "None active on record, and none of the guideline's statin groups (clinical ASCVD, LDL 190 mg/dL or more, diabetes at 40 to 75) is on record".into(),
            },
            evidence: vec![],
        }),
    }
    for i in indications {
        items.push(StatusItem {
            label: format!("Advised: {} statin", i.intensity),
            status: if statins.is_empty() {
                Status::Attention
            } else {
                Status::Ok
            },
            detail: i.why.clone(),
            evidence: i.evidence.clone(),
        });
    }
    items.extend(kit::in_use(&OTHER_LIPID_LOWERING, medicines));
    items
}

fn risk_factor_items(
    smoking: Option<kit::CodedResult>,
    diabetes: &[ConditionOnRecord],
    hypertension: &[ConditionOnRecord],
) -> Vec<StatusItem> {
    let mut items = vec![match smoking {
        None => StatusItem {
            label: "Smoking".into(),
            status: Status::Missing,
            detail: "No smoking status on record".into(),
            evidence: vec![],
        },
        Some(s) => {
            let smokes = s.codes.iter().any(|c| SMOKES_NOW.contains(&c.as_str()));
            StatusItem {
                label: "Smoking".into(),
                status: if smokes {
                    Status::Attention
                } else {
                    Status::Ok
                },
                detail: format!("{} ({})", s.answer, s.date.get(0..10).unwrap_or(&s.date)),
                evidence: vec![s.evidence],
            }
        }
    }];
    for (label, found) in [
        ("Diabetes", diabetes),
        ("High blood pressure", hypertension),
    ] {
        items.push(match found.first() {
            Some(c) => StatusItem {
                label: label.into(),
                status: Status::Attention,
                detail: format!("{} is on record", c.name),
                evidence: found.iter().map(|c| c.evidence.clone()).collect(),
            },
            None => StatusItem {
                label: label.into(),
                status: Status::Ok,
                detail: "Not on record".into(),
                evidence: vec![],
            },
        });
    }
    items
}

impl Dashboard for Lipids {
    fn info() -> DashboardInfo {
        DashboardInfo {
            id: "lipids".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            name: "Cholesterol and heart".into(),
            conditions: LIPID_DISORDERS
                .iter()
                .chain(ASCVD)
                .map(|c| c.to_string())
                .collect(),
            // USPSTF 2022: statins are weighed for adults 40 to 75.
            ages: Some(AgeRange { min: 40, max: 75 }),
            settings: vec![],
        }
    }

    fn render(request: RenderRequest) -> Result<Board, PluginError> {
        let as_of = request.as_of.as_str();
        let read = |m: &kit::Measure| kit::measure(m, as_of);
        let (ldl, hdl, tg) = (read(&LDL)?, read(&HDL)?, read(&TRIGLYCERIDES)?);
        let (total, non_hdl) = (read(&TOTAL_CHOLESTEROL)?, read(&NON_HDL)?);
        let (systolic, diastolic) = kit::measure_pair(&SYSTOLIC, &DIASTOLIC, as_of)?;
        let medicines = kit::medicines_in_use()?;
        let person = kit::person()?;
        let age = person.age_on(as_of);
        let ascvd = kit::conditions_with(ASCVD)?;
        let diabetes = kit::conditions_with(DIABETES)?;
        let hypertension = kit::conditions_with(&[
            "http://snomed.info/sct|38341003",
            "http://snomed.info/sct|59621000",
            "http://snomed.info/sct|1201005",
            "http://hl7.org/fhir/sid/icd-10-cm|I10",
        ])?;
        let smoking = kit::latest_coded(SMOKING_STATUS)?;

        let found = indications(&ascvd, &ldl, &diabetes, age, &person.evidence);
        let on_statin = !kit::in_class(&STATIN, &medicines).is_empty();
        let ldl_band = if ascvd.is_empty() {
            band(None, Some(100.0), "LDL below 100 mg/dL: optimal", ATP_III)
        } else {
            band(
                None,
                Some(70.0),
                "LDL below 70 mg/dL with clinical ASCVD (above it, a second medicine is weighed)",
                ACC_AHA_2018,
            )
        };

        let cards = vec![
            kit::card(
                "statin",
                Widget::StatusList(StatusList {
                    title: "Statin".into(),
                    items: statin_items(&found, &medicines, age),
                }),
            ),
            kit::card(
                "ldl-latest",
                Widget::Stat(kit::stat(
                    "Latest LDL cholesterol",
                    &LDL,
                    &ldl,
                    as_of,
                    // On a statin the guideline rechecks LDL every 3 to 12 months.
                    on_statin.then_some(12),
                )),
            ),
            kit::card(
                "lipids",
                Widget::LineChart(LineChart {
                    title: "Cholesterol and triglycerides".into(),
                    series: [
                        (&LDL, &ldl),
                        (&HDL, &hdl),
                        (&TOTAL_CHOLESTEROL, &total),
                        (&NON_HDL, &non_hdl),
                        (&TRIGLYCERIDES, &tg),
                    ]
                    .iter()
                    .flat_map(|(m, r)| kit::series(m.name, &r.chart))
                    .collect(),
                    targets: vec![ldl_band],
                }),
            ),
            kit::card(
                "hdl-latest",
                Widget::Stat(kit::stat("Latest HDL cholesterol", &HDL, &hdl, as_of, None)),
            ),
            kit::card(
                "triglycerides-latest",
                Widget::Stat(kit::stat(
                    "Latest triglycerides",
                    &TRIGLYCERIDES,
                    &tg,
                    as_of,
                    None,
                )),
            ),
            kit::card(
                "risk-factors",
                Widget::StatusList(StatusList {
                    title: "Other risk factors".into(),
                    items: risk_factor_items(smoking, &diabetes, &hypertension),
                }),
            ),
            kit::card(
                "blood-pressure",
                Widget::LineChart(LineChart {
                    title: "Blood pressure".into(),
                    series: kit::blood_pressure_series(&systolic, &diastolic),
                    targets: vec![band(
                        None,
                        Some(130.0),
                        "Systolic below 130 mmHg for most adults",
                        ACC_AHA_BP,
                    )],
                }),
            ),
        ];
        Ok(Board {
            title: "Cholesterol and heart".into(),
            cards,
        })
    }
}

export_dashboard!(Lipids);

#[cfg(test)]
mod tests {
    use super::*;
    use hearth_dashboard_kit::Reading;

    fn ldl(values: &[(f64, &str)]) -> Measured {
        let chart: Vec<Reading> = values
            .iter()
            .enumerate()
            .map(|(i, (v, unit))| Reading {
                evidence: format!("Observation/l{i}"),
                date: format!("2025-0{}-01", i + 1),
                text: v.to_string(),
                value: *v,
                unit: unit.to_string(),
            })
            .collect();
        Measured {
            latest: chart.clone(),
            chart,
        }
    }

    fn condition(id: &str, name: &str) -> ConditionOnRecord {
        ConditionOnRecord {
            evidence: format!("Condition/{id}"),
            codes: vec![],
            name: name.into(),
            date: None,
        }
    }

    #[test]
    fn statin_benefit_groups_come_from_the_record() {
        let none = indications(&[], &ldl(&[(130.0, "mg/dL")]), &[], Some(50), "Patient/p");
        assert!(none.is_empty());
        // 190 mg/dL is the threshold; 4.9 mmol/L is not converted to reach it.
        let severe = indications(
            &[],
            &ldl(&[(150.0, "mg/dL"), (190.0, "mg/dL"), (5.2, "mmol/L")]),
            &[],
            Some(30),
            "Patient/p",
        );
        assert_eq!(severe.len(), 1);
        assert_eq!(severe[0].evidence, ["Observation/l1"]);
        assert_eq!(severe[0].intensity, "high-intensity");
        let diabetes = [condition("d", "Diabetes mellitus type 2")];
        assert_eq!(
            indications(&[], &ldl(&[]), &diabetes, Some(40), "Patient/p").len(),
            1
        );
        assert!(indications(&[], &ldl(&[]), &diabetes, Some(39), "Patient/p").is_empty());
        assert!(indications(&[], &ldl(&[]), &diabetes, Some(76), "Patient/p").is_empty());
        assert!(indications(&[], &ldl(&[]), &diabetes, None, "Patient/p").is_empty());
        let mi = [condition("m", "Myocardial infarction")];
        let secondary = indications(&mi, &ldl(&[]), &[], None, "Patient/p");
        assert_eq!(secondary[0].evidence, ["Condition/m"]);
    }
}
