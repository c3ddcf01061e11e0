//! The kidney dashboard: "how are my kidneys, and what should be checked?"
//!
//! eGFR (every equation's LOINC code) and urine albumin/creatinine over time,
//! the KDIGO GFR and albuminuria categories of the latest results with the
//! risk they carry and how often KDIGO advises checking, potassium,
//! hemoglobin against the KDIGO anemia thresholds, blood pressure, and the
//! medicines that protect or strain the kidneys. A result in a unit the
//! categories are not defined for is "indeterminate", never converted.

use hearth_dashboard_kit::measures::*;
use hearth_dashboard_kit::{self as kit, Measured, Reading, band};
use hearth_plugin_sdk::PluginError;
use hearth_plugin_sdk::dashboard::{
    Board, Dashboard, DashboardInfo, LineChart, RenderRequest, Status, StatusItem, StatusList,
    Widget, export_dashboard,
};

/// KDIGO 2024 Clinical Practice Guideline for the Evaluation and Management of CKD.
const KDIGO_CKD: &str = "KDIGO 2024 Clinical Practice Guideline for the Evaluation and Management of Chronic Kidney Disease, Kidney Int 105(4S), https://kdigo.org/guidelines/ckd-evaluation-and-management/";
/// KDIGO 2012 anemia guideline.
const KDIGO_ANEMIA: &str = "KDIGO 2012 Clinical Practice Guideline for Anemia in CKD, Kidney Int Suppl 2(4), chapter 1, https://kdigo.org/guidelines/anemia-in-ckd/";
/// KDIGO 2021 blood pressure guideline.
const KDIGO_BP: &str = "KDIGO 2021 Clinical Practice Guideline for the Management of Blood Pressure in CKD, https://kdigo.org/guidelines/blood-pressure-in-ckd/";

struct Kidney;

/// A KDIGO GFR category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum GfrCategory {
    G1,
    G2,
    G3a,
    G3b,
    G4,
    G5,
}

impl GfrCategory {
    /// The category of an eGFR in mL/min/1.73 m², or `None` in another unit.
    fn of(r: &Reading) -> Option<GfrCategory> {
        if !is_egfr_unit(&r.unit) {
            return None;
        }
        Some(match r.value {
            v if v >= 90.0 => GfrCategory::G1,
            v if v >= 60.0 => GfrCategory::G2,
            v if v >= 45.0 => GfrCategory::G3a,
            v if v >= 30.0 => GfrCategory::G3b,
            v if v >= 15.0 => GfrCategory::G4,
            _ => GfrCategory::G5,
        })
    }

    fn label(self) -> &'static str {
        match self {
            GfrCategory::G1 => "G1, normal or high (90 or more)",
            GfrCategory::G2 => "G2, mildly decreased (60–89)",
            GfrCategory::G3a => "G3a, mildly to moderately decreased (45–59)",
            GfrCategory::G3b => "G3b, moderately to severely decreased (30–44)",
            GfrCategory::G4 => "G4, severely decreased (15–29)",
            GfrCategory::G5 => "G5, kidney failure (below 15)",
        }
    }

    fn code(self) -> &'static str {
        match self {
            GfrCategory::G1 => "G1",
            GfrCategory::G2 => "G2",
            GfrCategory::G3a => "G3a",
            GfrCategory::G3b => "G3b",
            GfrCategory::G4 => "G4",
            GfrCategory::G5 => "G5",
        }
    }
}

/// A KDIGO albuminuria category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum AlbuminuriaCategory {
    A1,
    A2,
    A3,
}

impl AlbuminuriaCategory {
    /// The category of a urine albumin/creatinine ratio; KDIGO gives the limits
    /// in mg/g (30, 300) and in mg/mmol (3, 30). Another unit: `None`.
    fn of(r: &Reading) -> Option<AlbuminuriaCategory> {
        let (a2, a3) = match r.unit.as_str() {
            "mg/g" | "mg/g{creat}" | "mg/g{Cre}" => (30.0, 300.0),
            "mg/mmol" | "mg/mmol{creat}" | "mg/mmol{Cre}" => (3.0, 30.0),
            _ => return None,
        };
        Some(match r.value {
            v if v > a3 => AlbuminuriaCategory::A3,
            v if v >= a2 => AlbuminuriaCategory::A2,
            _ => AlbuminuriaCategory::A1,
        })
    }

    fn label(self) -> &'static str {
        match self {
            AlbuminuriaCategory::A1 => "A1, normal to mildly increased (below 30 mg/g)",
            AlbuminuriaCategory::A2 => "A2, moderately increased (30–300 mg/g)",
            AlbuminuriaCategory::A3 => "A3, severely increased (above 300 mg/g)",
        }
    }

    fn code(self) -> &'static str {
        match self {
            AlbuminuriaCategory::A1 => "A1",
            AlbuminuriaCategory::A2 => "A2",
            AlbuminuriaCategory::A3 => "A3",
        }
    }
}

/// eGFR is reported in mL/min per 1.73 m², written several ways.
fn is_egfr_unit(unit: &str) -> bool {
    let compact: String = unit
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '{' && *c != '}' && *c != '_')
        .collect::<String>()
        .to_lowercase();
    matches!(compact.as_str(), "ml/min/1.73m2" | "ml/min/1.73m²")
}

/// The KDIGO heat map: the risk of the G and A categories together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Risk {
    Low,
    Moderate,
    High,
    VeryHigh,
}

fn risk(g: GfrCategory, a: AlbuminuriaCategory) -> Risk {
    use AlbuminuriaCategory::*;
    use GfrCategory::*;
    match (g, a) {
        (G1 | G2, A1) => Risk::Low,
        (G1 | G2, A2) | (G3a, A1) => Risk::Moderate,
        (G1 | G2, A3) | (G3a, A2) | (G3b, A1) => Risk::High,
        _ => Risk::VeryHigh,
    }
}

/// How many times a year KDIGO 2012 advises measuring eGFR and albuminuria.
fn checks_per_year(g: GfrCategory, a: AlbuminuriaCategory) -> u32 {
    use AlbuminuriaCategory::*;
    use GfrCategory::*;
    match (g, a) {
        (G1 | G2, A1 | A2) | (G3a, A1) => 1,
        (G1 | G2, A3) | (G3a, A2) | (G3b, A1) => 2,
        (G3a, A3) | (G3b, A2 | A3) | (G4, A1 | A2) => 3,
        (G4, A3) | (G5, _) => 4,
    }
}

/// Whether eGFR has stayed below 60 for more than three months (KDIGO's
/// chronicity criterion), the records that show it, and the date from which a
/// repeat would tell. `None` when the latest eGFR is not below 60.
fn below_60_for_three_months(egfr: &[Reading]) -> Option<(bool, Vec<String>, String)> {
    let latest = egfr.last()?;
    if !is_egfr_unit(&latest.unit) || latest.value >= 60.0 {
        return None;
    }
    let three_months_before = kit::add_months(&latest.date, -3)?;
    // The run of readings below 60 that ends with the latest.
    let mut run: Vec<&Reading> = Vec::new();
    for r in egfr.iter().rev() {
        if !is_egfr_unit(&r.unit) || r.value >= 60.0 {
            break;
        }
        run.push(r);
    }
    let earliest = run.last()?;
    let persistent = earliest.date.as_str() <= three_months_before.as_str();
    let evidence = if persistent {
        vec![earliest.evidence.clone(), latest.evidence.clone()]
    } else {
        vec![latest.evidence.clone()]
    };
    Some((persistent, evidence, kit::add_months(&earliest.date, 3)?))
}

/// The stage items: G, A, the risk and the chronicity.
fn stage_items(egfr: &Measured, uacr: &Measured) -> (Vec<StatusItem>, u32) {
    let mut items = Vec::new();
    let latest_egfr = egfr.latest.last();
    let latest_uacr = uacr.latest.last();
    let g = latest_egfr.and_then(GfrCategory::of);
    let a = latest_uacr.and_then(AlbuminuriaCategory::of);
    items.push(match (latest_egfr, g) {
        (None, _) => StatusItem {
            label: "GFR category".into(),
            status: Status::Missing,
            detail: "No eGFR on record".into(),
            evidence: vec![],
        },
        (Some(r), None) => StatusItem {
            label: "GFR category".into(),
            status: Status::Indeterminate,
            detail: format!(
                "The latest eGFR, {} {} on {}, is not in mL/min/1.73 m², the unit the categories are defined in",
                r.text,
                r.unit,
                day(&r.date)
            ),
            evidence: vec![r.evidence.clone()],
        },
        (Some(r), Some(g)) => StatusItem {
            label: "GFR category".into(),
            status: if g <= GfrCategory::G2 {
                Status::Ok
            } else {
                Status::Attention
            },
            detail: format!(
                "{}: eGFR {} {} on {}",
                g.label(),
                r.text,
                r.unit,
                day(&r.date)
            ),
            evidence: vec![r.evidence.clone()],
        },
    });
    items.push(match (latest_uacr, a) {
        (None, _) => StatusItem {
            label: "Albuminuria category".into(),
            status: Status::Missing,
            detail: "No urine albumin/creatinine ratio on record".into(),
            evidence: vec![],
        },
        (Some(r), None) => StatusItem {
            label: "Albuminuria category".into(),
            status: Status::Indeterminate,
            detail: format!(
                "The latest ratio, {} {} on {}, is in a unit the categories are not defined for (mg/g or mg/mmol)",
                r.text,
                r.unit,
                day(&r.date)
            ),
            evidence: vec![r.evidence.clone()],
        },
        (Some(r), Some(a)) => StatusItem {
            label: "Albuminuria category".into(),
            status: if a == AlbuminuriaCategory::A1 {
                Status::Ok
            } else {
                Status::Attention
            },
            detail: format!(
                "{}: {} {} on {}",
                a.label(),
                r.text,
                r.unit,
                day(&r.date)
            ),
            evidence: vec![r.evidence.clone()],
        },
    });
    let mut per_year = 1;
    if let (Some(g), Some(a), Some(e), Some(u)) = (g, a, latest_egfr, latest_uacr) {
        let level = risk(g, a);
        per_year = checks_per_year(g, a);
        items.push(StatusItem {
            label: format!("{}{} risk", g.code(), a.code()),
            status: match level {
                Risk::Low => Status::Ok,
                _ => Status::Attention,
            },
            detail: format!(
                "{} risk on the KDIGO grid; KDIGO 2012 (figure 23) advises checking eGFR and urine albumin {} a year",
                match level {
                    Risk::Low => "Low",
                    Risk::Moderate => "Moderately increased",
                    Risk::High => "High",
                    Risk::VeryHigh => "Very high",
                },
                match per_year {
                    1 => "once".to_string(),
                    2 => "twice".to_string(),
                    n if n >= 4 => "4 or more times".to_string(),
                    n => format!("{n} times"),
                }
            ),
            evidence: vec![e.evidence.clone(), u.evidence.clone()],
        });
    } else {
        items.push(StatusItem {
            label: "KDIGO risk".into(),
            status: Status::Indeterminate,
            detail:
                "Needs both an eGFR and a urine albumin/creatinine ratio in the units the grid uses"
                    .into(),
            evidence: vec![],
        });
    }
    if let Some((persistent, evidence, repeat_from)) = below_60_for_three_months(&egfr.chart) {
        items.push(StatusItem {
            label: "Below 60 for over 3 months".into(),
            status: if persistent {
                Status::Attention
            } else {
                Status::Indeterminate
            },
            detail: if persistent {
                "Yes: eGFR has stayed below 60 for more than 3 months, which KDIGO counts as chronic".into()
            } else {
                format!(
                    "Not yet known: KDIGO counts it as chronic when it lasts over 3 months; an eGFR after {repeat_from} would tell"
                )
            },
            evidence,
        });
    }
    (items, per_year)
}

/// Hemoglobin against the KDIGO anemia thresholds (adults and teenagers over 15).
fn anemia_item(hemoglobin: &Measured, person: &kit::Person, as_of: &str) -> StatusItem {
    let label = "Anemia".to_string();
    let Some(r) = hemoglobin.latest.last() else {
        return StatusItem {
            label,
            status: Status::Missing,
            detail: "No hemoglobin on record".into(),
            evidence: vec![],
        };
    };
    let threshold = match (person.gender.as_deref(), person.age_on(as_of)) {
        (_, Some(age)) if age <= 15 => None,
        (Some("male"), Some(_)) => Some(13.0),
        (Some("female"), Some(_)) => Some(12.0),
        _ => None,
    };
    let mut evidence = vec![r.evidence.clone()];
    match threshold {
        Some(t) if r.unit == "g/dL" => {
            evidence.push(person.evidence.clone());
            let below = r.value < t;
            StatusItem {
                label,
                status: if below { Status::Attention } else { Status::Ok },
                detail: format!(
                    "Hemoglobin {} g/dL on {} is {} {t} g/dL, the level KDIGO uses to diagnose anemia",
                    r.text,
                    day(&r.date),
                    if below { "below" } else { "not below" }
                ),
                evidence,
            }
        }
        _ => StatusItem {
            label,
            status: Status::Indeterminate,
            detail: format!(
                "Hemoglobin {} {} on {}; the KDIGO threshold needs g/dL, and the sex and age (over 15) on record",
                r.text,
                r.unit,
                day(&r.date)
            ),
            evidence,
        },
    }
}

/// Medicines that strain the kidneys, and metformin when eGFR is too low for it.
fn medicine_items(medicines: &[kit::MedicineUse], egfr: &Measured) -> Vec<StatusItem> {
    let mut items = Vec::new();
    for (class, why) in [
        (
            &NSAID,
            "NSAIDs can reduce kidney function; KDIGO advises avoiding prolonged or frequent use in CKD",
        ),
        (
            &LITHIUM,
            "Lithium can harm the kidneys; KDIGO advises checking kidney function and lithium levels",
        ),
        (
            &AMINOGLYCOSIDE,
            "Aminoglycosides are toxic to the kidneys; doses follow kidney function",
        ),
        (
            &CALCINEURIN_INHIBITOR,
            "Calcineurin inhibitors can reduce kidney function; levels and eGFR are followed",
        ),
    ] {
        let using = kit::in_class(class, medicines);
        if let Some(first) = using.first() {
            items.push(StatusItem {
                label: class.name.into(),
                status: Status::Attention,
                detail: format!(
                    "In use: {}. {why}",
                    first.names.first().cloned().unwrap_or_default()
                ),
                evidence: using.iter().map(|m| m.evidence.clone()).collect(),
            });
        }
    }
    let metformin = kit::in_class(&METFORMIN, medicines);
    let latest = egfr.latest.last().filter(|r| is_egfr_unit(&r.unit));
    if let (Some(first), Some(r)) = (metformin.first(), latest)
        && r.value < 45.0
    {
        let mut evidence: Vec<String> = metformin.iter().map(|m| m.evidence.clone()).collect();
        evidence.push(r.evidence.clone());
        items.push(StatusItem {
                label: "Metformin".into(),
                status: Status::Attention,
                detail: format!(
                    "In use ({}) with eGFR {}: below 45 the dose is reviewed, and below 30 metformin is not used",
                    first.names.first().cloned().unwrap_or_default(),
                    r.text
                ),
                evidence,
            });
    }
    if items.is_empty() {
        items.push(StatusItem {
            label: "Medicines that strain the kidneys".into(),
            status: Status::Ok,
            detail: "None of NSAIDs, lithium, aminoglycosides or calcineurin inhibitors is active on record".into(),
            evidence: vec![],
        });
    }
    // Kidney-protecting medicines KDIGO 2024 recommends in CKD.
    for class in [&ACE_ARB, &SGLT2_INHIBITOR] {
        items.push(match kit::in_use(class, medicines) {
            Some(in_use) => in_use,
            // Whether one is advised depends on albuminuria, diabetes and eGFR together.
            None => StatusItem {
                label: class.name.into(),
                status: Status::Indeterminate,
                detail: "None active on record; KDIGO 2024 recommends one for many people with CKD"
                    .into(),
                evidence: vec![],
            },
        });
    }
    items
}

/// `YYYY-MM-DD` of a FHIR date or dateTime.
fn day(date: &str) -> &str {
    date.get(0..10).unwrap_or(date)
}

impl Dashboard for Kidney {
    fn info() -> DashboardInfo {
        DashboardInfo {
            id: "kidney".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            name: "Kidney health".into(),
            conditions: [
                "http://snomed.info/sct|709044004",
                "http://snomed.info/sct|431855005",
                "http://snomed.info/sct|431856006",
                "http://snomed.info/sct|433144002",
                "http://snomed.info/sct|700378005",
                "http://snomed.info/sct|700379002",
                "http://snomed.info/sct|431857002",
                "http://snomed.info/sct|433146000",
                "http://snomed.info/sct|46177005",
                "http://snomed.info/sct|127013003",
                "http://hl7.org/fhir/sid/icd-10-cm|N18.1",
                "http://hl7.org/fhir/sid/icd-10-cm|N18.2",
                "http://hl7.org/fhir/sid/icd-10-cm|N18.30",
                "http://hl7.org/fhir/sid/icd-10-cm|N18.31",
                "http://hl7.org/fhir/sid/icd-10-cm|N18.32",
                "http://hl7.org/fhir/sid/icd-10-cm|N18.4",
                "http://hl7.org/fhir/sid/icd-10-cm|N18.5",
                "http://hl7.org/fhir/sid/icd-10-cm|N18.6",
                "http://hl7.org/fhir/sid/icd-10-cm|N18.9",
            ]
            .map(String::from)
            .to_vec(),
            ages: None,
            settings: vec![],
        }
    }

    fn render(request: RenderRequest) -> Result<Board, PluginError> {
        let as_of = request.as_of.as_str();
        let read = |m: &kit::Measure| kit::measure(m, as_of);
        let (egfr, uacr, creatinine) = (read(&EGFR)?, read(&UACR)?, read(&CREATININE)?);
        let (potassium, hemoglobin) = (read(&POTASSIUM)?, read(&HEMOGLOBIN)?);
        let (systolic, diastolic) = kit::measure_pair(&SYSTOLIC, &DIASTOLIC, as_of)?;
        let medicines = kit::medicines_in_use()?;
        let person = kit::person()?;

        let (mut stage, per_year) = stage_items(&egfr, &uacr);
        stage.push(anemia_item(&hemoglobin, &person, as_of));
        let due_months = 12 / per_year.max(1);

        let cards = vec![
            kit::card(
                "stage",
                Widget::StatusList(StatusList {
                    title: "KDIGO stage".into(),
                    items: stage,
                }),
            ),
            kit::card(
                "egfr-latest",
                Widget::Stat(kit::stat(
                    "Latest eGFR",
                    &EGFR,
                    &egfr,
                    as_of,
                    Some(due_months),
                )),
            ),
            kit::card(
                "uacr-latest",
                Widget::Stat(kit::stat(
                    "Latest urine albumin/creatinine",
                    &UACR,
                    &uacr,
                    as_of,
                    Some(due_months),
                )),
            ),
            kit::measure_chart(
                "egfr",
                "eGFR",
                &EGFR,
                &egfr,
                vec![band(
                    Some(60.0),
                    None,
                    "60 mL/min/1.73 m² or more (G1–G2)",
                    KDIGO_CKD,
                )],
            ),
            kit::measure_chart(
                "uacr",
                "Urine albumin/creatinine",
                &UACR,
                &uacr,
                vec![band(None, Some(30.0), "Below 30 mg/g (A1)", KDIGO_CKD)],
            ),
            kit::measure_chart("creatinine", "Creatinine", &CREATININE, &creatinine, vec![]),
            kit::card(
                "potassium-latest",
                Widget::Stat(kit::stat(
                    "Latest potassium",
                    &POTASSIUM,
                    &potassium,
                    as_of,
                    None,
                )),
            ),
            kit::measure_chart(
                "potassium",
                "Potassium",
                &POTASSIUM,
                &potassium,
                vec![band(
                    Some(3.5),
                    Some(5.0),
                    "Potassium 3.5–5.0 mmol/L",
                    KDIGO_CKD,
                )],
            ),
            kit::measure_chart(
                "hemoglobin",
                "Hemoglobin",
                &HEMOGLOBIN,
                &hemoglobin,
                vec![band(
                    match person.gender.as_deref() {
                        Some("female") => Some(12.0),
                        _ => Some(13.0),
                    },
                    None,
                    match person.gender.as_deref() {
                        Some("female") => "12 g/dL or more (women)",
                        _ => "13 g/dL or more (men)",
                    },
                    KDIGO_ANEMIA,
                )],
            ),
            kit::card(
                "blood-pressure",
                Widget::LineChart(LineChart {
                    title: "Blood pressure".into(),
                    series: kit::blood_pressure_series(&systolic, &diastolic),
                    targets: vec![band(
                        None,
                        Some(120.0),
                        "Systolic below 120 mmHg when tolerated",
                        KDIGO_BP,
                    )],
                }),
            ),
            kit::card(
                "medicines",
                Widget::StatusList(StatusList {
                    title: "Medicines and the kidneys".into(),
                    items: medicine_items(&medicines, &egfr),
                }),
            ),
        ];
        Ok(Board {
            title: "Kidney health".into(),
            cards,
        })
    }
}

export_dashboard!(Kidney);

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(value: f64, unit: &str, date: &str) -> Reading {
        Reading {
            evidence: format!("Observation/{date}"),
            date: date.into(),
            text: value.to_string(),
            value,
            unit: unit.into(),
        }
    }

    #[test]
    fn gfr_categories_follow_kdigo_boundaries() {
        let g = |v: f64| GfrCategory::of(&reading(v, "mL/min/{1.73_m2}", "2026-01-01"));
        assert_eq!(g(90.0), Some(GfrCategory::G1));
        assert_eq!(g(89.9), Some(GfrCategory::G2));
        assert_eq!(g(60.0), Some(GfrCategory::G2));
        assert_eq!(g(59.0), Some(GfrCategory::G3a));
        assert_eq!(g(45.0), Some(GfrCategory::G3a));
        assert_eq!(g(44.0), Some(GfrCategory::G3b));
        assert_eq!(g(30.0), Some(GfrCategory::G3b));
        assert_eq!(g(29.0), Some(GfrCategory::G4));
        assert_eq!(g(15.0), Some(GfrCategory::G4));
        assert_eq!(g(14.9), Some(GfrCategory::G5));
        assert!(GfrCategory::of(&reading(55.0, "mL/min/1.73m2", "2026-01-01")).is_some());
        assert_eq!(
            GfrCategory::of(&reading(55.0, "mL/min", "2026-01-01")),
            None
        );
    }

    #[test]
    fn albuminuria_categories_have_limits_per_unit_and_no_conversion() {
        let a = |v: f64, unit: &str| AlbuminuriaCategory::of(&reading(v, unit, "2026-01-01"));
        assert_eq!(a(29.9, "mg/g"), Some(AlbuminuriaCategory::A1));
        assert_eq!(a(30.0, "mg/g"), Some(AlbuminuriaCategory::A2));
        assert_eq!(a(300.0, "mg/g"), Some(AlbuminuriaCategory::A2));
        assert_eq!(a(300.1, "mg/g"), Some(AlbuminuriaCategory::A3));
        assert_eq!(a(2.9, "mg/mmol"), Some(AlbuminuriaCategory::A1));
        assert_eq!(a(3.0, "mg/mmol"), Some(AlbuminuriaCategory::A2));
        assert_eq!(a(31.0, "mg/mmol"), Some(AlbuminuriaCategory::A3));
        assert_eq!(a(31.0, "ug/mg"), None);
    }

    #[test]
    fn the_heat_map_and_its_monitoring_frequency() {
        use AlbuminuriaCategory::*;
        use GfrCategory::*;
        assert_eq!(risk(G2, A1), Risk::Low);
        assert_eq!(risk(G3a, A1), Risk::Moderate);
        assert_eq!(risk(G1, A3), Risk::High);
        assert_eq!(risk(G3b, A2), Risk::VeryHigh);
        assert_eq!(risk(G5, A1), Risk::VeryHigh);
        assert_eq!(checks_per_year(G1, A1), 1);
        assert_eq!(checks_per_year(G3a, A2), 2);
        assert_eq!(checks_per_year(G3b, A3), 3);
        assert_eq!(checks_per_year(G4, A3), 4);
        assert_eq!(checks_per_year(G5, A1), 4);
    }

    #[test]
    fn chronicity_needs_three_months_below_60() {
        let u = "mL/min/{1.73_m2}";
        let run = [
            reading(72.0, u, "2025-01-10"),
            reading(55.0, u, "2025-02-01"),
            reading(52.0, u, "2025-06-01"),
        ];
        let (persistent, evidence, _) = below_60_for_three_months(&run).unwrap();
        assert!(persistent);
        assert_eq!(
            evidence,
            ["Observation/2025-02-01", "Observation/2025-06-01"]
        );
        let short = [
            reading(72.0, u, "2025-05-10"),
            reading(55.0, u, "2025-06-01"),
        ];
        let (persistent, _, repeat_from) = below_60_for_three_months(&short).unwrap();
        assert!(!persistent);
        assert_eq!(repeat_from, "2025-09-01");
        assert_eq!(
            below_60_for_three_months(&[reading(75.0, u, "2025-06-01")]),
            None
        );
    }
}
