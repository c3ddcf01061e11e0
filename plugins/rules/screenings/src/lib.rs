//! Preventive screenings as a rules plugin: USPSTF grade A and B
//! recommendations ([`rules::RULES`], data) judged ([`judge`], small code)
//! from the person's age, sex, conditions, tests, procedures, medicines and
//! smoking history, read through the host.

pub mod judge;
pub mod rules;

use hearth_plugin_sdk::rules::{
    EvaluateRequest, Evaluation, Guideline, Recommendation, RecommendationKind,
    RecommendationStatus, Rules, RulesInfo,
};
use hearth_plugin_sdk::{ErrorKind, PluginError, records};
use judge::{Facts, Found, Smoking, SmokingStatus, Status};
use rules::{Code, LN, Population, RULES, Rule, SCT, Sex};
use serde_json::Value;

/// The rules plugin.
pub struct Screenings;

impl Rules for Screenings {
    fn info() -> RulesInfo {
        RulesInfo {
            id: "screenings".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            name: "Preventive screenings (USPSTF)".into(),
        }
    }

    fn evaluate(request: EvaluateRequest) -> Result<Evaluation, PluginError> {
        let today = judge::day(&request.as_of).ok_or_else(|| {
            PluginError::new(
                ErrorKind::InvalidInput,
                format!("{:?} is not a day", request.as_of),
            )
        })?;
        let patients = records::search("Patient", &[("_count", "10")], 10)?;
        let mut out = Evaluation {
            recommendations: Vec::new(),
            doses: Vec::new(),
        };
        // The Patient with a birth date: a profile's typed-in records hang
        // off a stand-in Patient that may have none.
        let Some(patient) = patients
            .iter()
            .find(|p| p["birthDate"].is_string())
            .or(patients.first())
        else {
            return Ok(out);
        };
        let Some(birth) = patient["birthDate"].as_str().and_then(judge::day) else {
            return Ok(out);
        };
        let sex = match patient["gender"].as_str() {
            Some("female") => Some(Sex::Female),
            Some("male") => Some(Sex::Male),
            _ => None,
        };
        let rules: Vec<&Rule> = RULES
            .iter()
            .filter(|r| judge::in_ages(r, birth, sex, today))
            .collect();
        let mut base = Facts {
            patient: format!("Patient/{}", patient["id"].as_str().unwrap_or_default()),
            birth: Some(birth),
            sex,
            ..Default::default()
        };
        let needs = |p: fn(&Population) -> bool| rules.iter().any(|r| p(&r.population));
        if needs(|p| matches!(p, Population::BmiAtLeast(_))) {
            base.bmi = latest_value(&[(LN, "39156-5")])?;
        }
        if needs(|p| {
            matches!(
                p,
                Population::HeavySmoker { .. }
                    | Population::EverSmoked
                    | Population::CardiovascularRisk
            )
        }) {
            base.smoking = smoking()?;
        }
        if needs(|p| matches!(p, Population::CardiovascularRisk)) {
            base.risk_factors = conditions(RISK_FACTORS)?;
            base.statin = statin()?;
        }
        for rule in rules {
            let mut facts = base.clone();
            if let Population::HasCondition(codes) = rule.population {
                facts.indications = conditions(codes)?;
            }
            facts.exclusion = excluded(rule.exclusions)?;
            facts.latest_test = latest_test(rule)?;
            if let Some(j) = judge::judge(rule, &facts, today) {
                out.recommendations.push(recommendation(rule, j));
            }
        }
        Ok(out)
    }
}

// Exported only in the component: a native build (for the tests) links no
// component exports.
#[cfg(target_family = "wasm")]
hearth_plugin_sdk::rules::export_rules!(Screenings);

/// Cardiovascular risk factors: diabetes, high blood pressure, high cholesterol.
const RISK_FACTORS: &[Code] = &[
    (SCT, "44054006"),
    (SCT, "73211009"),
    (SCT, "38341003"),
    (SCT, "59621000"),
    (SCT, "55822004"),
    (SCT, "13644009"),
    (rules::ICD10, "E11.9"),
    (rules::ICD10, "I10"),
    (rules::ICD10, "E78.5"),
];

/// Statins, by name (records name them more reliably than they code them).
const STATINS: &[&str] = &[
    "atorvastatin",
    "rosuvastatin",
    "simvastatin",
    "pravastatin",
    "lovastatin",
    "fluvastatin",
    "pitavastatin",
];

fn recommendation(rule: &Rule, j: judge::Judged) -> Recommendation {
    Recommendation {
        key: rule.key.into(),
        kind: if matches!(rule.population, Population::CardiovascularRisk) {
            RecommendationKind::FollowUp
        } else {
            RecommendationKind::Screening
        },
        status: match j.status {
            Status::Due => RecommendationStatus::Due,
            Status::Overdue => RecommendationStatus::Overdue,
            Status::Upcoming => RecommendationStatus::Upcoming,
            Status::Complete => RecommendationStatus::Complete,
            Status::NotRecommended => RecommendationStatus::NotRecommended,
        },
        title: rule.title.into(),
        earliest: j.earliest.map(judge::show),
        recommended: j.recommended.map(judge::show),
        past_due: j.past_due.map(judge::show),
        reason: j.reason,
        guideline: Guideline {
            name: rule.guideline.0.into(),
            version: rule.guideline.1.into(),
            url: rule.guideline.2.into(),
        },
        evidence: j.evidence,
        immunization: None,
    }
}

/// `system|code` lists of at most 16 (what one search parameter may hold).
fn code_params(codes: &[Code]) -> Vec<String> {
    codes
        .chunks(16)
        .map(|c| {
            c.iter()
                .map(|(s, c)| format!("{s}|{c}"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect()
}

fn label(r: &Value) -> String {
    let concept = r
        .get("code")
        .or_else(|| r.get("medicationCodeableConcept"))
        .unwrap_or(&Value::Null);
    concept["text"]
        .as_str()
        .or_else(|| concept["coding"][0]["display"].as_str())
        .unwrap_or("a record")
        .to_string()
}

fn record_day(r: &Value) -> Option<judge::Day> {
    [
        &r["effectiveDateTime"],
        &r["effectivePeriod"]["end"],
        &r["effectivePeriod"]["start"],
        &r["performedDateTime"],
        &r["performedPeriod"]["end"],
        &r["performedPeriod"]["start"],
        &r["issued"],
        &r["onsetDateTime"],
        &r["recordedDate"],
        &r["authoredOn"],
        &r["dateAsserted"],
    ]
    .into_iter()
    .find_map(|v| v.as_str().and_then(judge::day))
}

fn found(r: &Value) -> Option<Found> {
    Some(Found {
        reference: format!("{}/{}", r["resourceType"].as_str()?, r["id"].as_str()?),
        day: record_day(r)?,
        label: label(r),
    })
}

/// Results and procedures that count: final results, completed procedures.
fn counts(r: &Value) -> bool {
    match r["resourceType"].as_str() {
        Some("Observation" | "DiagnosticReport") => {
            matches!(
                r["status"].as_str(),
                Some("final" | "amended" | "corrected")
            )
        }
        Some("Procedure") => r["status"] == "completed",
        _ => false,
    }
}

/// The latest record (newest first per type) carrying one of `codes`.
fn latest_of(types: &[&str], codes: &[Code]) -> Result<Option<Found>, PluginError> {
    let mut best: Option<Found> = None;
    for t in types {
        for list in code_params(codes) {
            let page = records::search(
                t,
                &[("code", &list), ("_sort", "-date"), ("_count", "5")],
                5,
            )?;
            for r in page.iter().filter(|r| counts(r)) {
                if let Some(f) = found(r)
                    && best.as_ref().is_none_or(|b| f.day > b.day)
                {
                    best = Some(f);
                }
            }
        }
    }
    Ok(best)
}

fn latest_test(rule: &Rule) -> Result<Option<(usize, Found)>, PluginError> {
    let mut best: Option<(usize, Found)> = None;
    for (i, test) in rule.tests.iter().enumerate() {
        if let Some(f) = latest_of(
            &["Observation", "DiagnosticReport", "Procedure"],
            test.codes,
        )? && best.as_ref().is_none_or(|(_, b)| f.day > b.day)
        {
            best = Some((i, f));
        }
    }
    Ok(best)
}

/// A condition that is not refuted or entered in error.
fn confirmed(c: &Value) -> bool {
    !c["verificationStatus"]["coding"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|x| matches!(x["code"].as_str(), Some("refuted" | "entered-in-error")))
}

fn active(c: &Value) -> bool {
    !c["clinicalStatus"]["coding"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|x| {
            matches!(
                x["code"].as_str(),
                Some("inactive" | "resolved" | "remission")
            )
        })
}

/// Active, confirmed conditions carrying one of `codes`.
fn conditions(codes: &[Code]) -> Result<Vec<Found>, PluginError> {
    let mut out = Vec::new();
    for list in code_params(codes) {
        for c in records::search("Condition", &[("code", &list), ("_count", "100")], 500)? {
            if confirmed(&c)
                && active(&c)
                && let Some(f) = found(&c)
                && !out.iter().any(|o: &Found| o.reference == f.reference)
            {
                out.push(f);
            }
        }
    }
    Ok(out)
}

/// A condition (any clinical status: a past colectomy still counts) or a
/// completed procedure carrying one of `codes`.
fn excluded(codes: &[Code]) -> Result<Option<Found>, PluginError> {
    for list in code_params(codes) {
        for c in records::search("Condition", &[("code", &list), ("_count", "10")], 10)? {
            if confirmed(&c)
                && let Some(f) = found(&c)
            {
                return Ok(Some(f));
            }
        }
    }
    latest_of(&["Procedure"], codes)
}

/// The latest numeric value of an Observation with one of `codes`, and its record.
fn latest_value(codes: &[Code]) -> Result<Option<(f64, String)>, PluginError> {
    for list in code_params(codes) {
        let page = records::search(
            "Observation",
            &[("code", &list), ("_sort", "-date"), ("_count", "5")],
            5,
        )?;
        for r in page.iter().filter(|r| counts(r)) {
            if let (Some(v), Some(f)) = (r["valueQuantity"]["value"].as_f64(), found(r)) {
                return Ok(Some((v, f.reference)));
            }
        }
    }
    Ok(None)
}

/// Smoking status answers (SNOMED CT, US Core), by what they say.
fn smoking_status(code: &str) -> Option<SmokingStatus> {
    Some(match code {
        "449868002" | "428041000124106" | "428071000124103" | "428061000124105" | "65568007"
        | "77176002" => SmokingStatus::Current,
        "8517006" | "281018007" | "48031000119106" | "735128000" | "428081000124100"
        | "428091000124102" => SmokingStatus::Former,
        "266919005" | "221000119102" | "702979003" => SmokingStatus::Never,
        _ => return None,
    })
}

fn smoking() -> Result<Smoking, PluginError> {
    let mut out = Smoking::default();
    let page = records::search(
        "Observation",
        &[
            ("code", "http://loinc.org|72166-2"),
            ("_sort", "-date"),
            ("_count", "5"),
        ],
        5,
    )?;
    for r in page.iter().filter(|r| counts(r)) {
        let status = r["valueCodeableConcept"]["coding"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["system"] == SCT)
            .find_map(|c| c["code"].as_str().and_then(smoking_status));
        if let Some(s) = status {
            out.status = Some(s);
            out.status_record = found(r).map(|f| f.reference);
            if s == SmokingStatus::Former {
                out.quit = r["effectivePeriod"]["end"].as_str().and_then(judge::day);
            }
            break;
        }
    }
    if let Some((packs, record)) = latest_value(&[(SCT, "401201003"), (SCT, "782516008")])? {
        out.pack_years = Some(packs);
        out.pack_years_record = Some(record);
    }
    Ok(out)
}

/// An active statin, from medicine orders and statements.
fn statin() -> Result<Option<Found>, PluginError> {
    for t in ["MedicationRequest", "MedicationStatement"] {
        for m in records::search(t, &[("status", "active"), ("_count", "100")], 500)? {
            let name = label(&m).to_ascii_lowercase();
            if STATINS.iter().any(|s| name.contains(s)) {
                let reference = format!("{t}/{}", m["id"].as_str().unwrap_or_default());
                return Ok(Some(Found {
                    reference,
                    day: record_day(&m).unwrap_or((1900, 1, 1)),
                    label: label(&m),
                }));
            }
        }
    }
    Ok(None)
}
