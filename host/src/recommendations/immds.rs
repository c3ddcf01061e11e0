//! The ImmDS `$immds-forecast` output: a FHIR R4 `Parameters` with one
//! `ImmunizationRecommendation` (a `recommendation` per vaccine group) and an
//! `ImmunizationEvaluation` per dose judged.

use crate::plugins::rules::{
    DoseEvaluation, DoseStatus, Recommendation, RecommendationStatus, SeriesStatus,
};
use serde_json::{Value, json};

const CVX: &str = "http://hl7.org/fhir/sid/cvx";
const FORECAST_STATUS: &str = "http://hl7.org/fhir/us/immds/CodeSystem/ForecastStatus";
const DOSE_STATUS: &str =
    "http://terminology.hl7.org/CodeSystem/immunization-evaluation-dose-status";
const LOINC: &str = "http://loinc.org";

fn forecast_status(r: &Recommendation) -> (&'static str, &'static str) {
    let series = r.immunization.as_ref().map(|f| f.series_status);
    match series {
        Some(SeriesStatus::NotComplete) => ("notComplete", "Not Complete"),
        Some(SeriesStatus::Complete) => ("complete", "Complete"),
        Some(SeriesStatus::Immune) => ("immune", "Immune"),
        Some(SeriesStatus::Contraindicated) => ("contraindicated", "Contraindicated"),
        Some(SeriesStatus::AgedOut) => ("agedOut", "Aged Out"),
        Some(SeriesStatus::NotRecommended) => ("notRecommended", "Not Recommended"),
        None => match r.status {
            RecommendationStatus::Due
            | RecommendationStatus::Overdue
            | RecommendationStatus::Upcoming => ("notComplete", "Not Complete"),
            RecommendationStatus::Complete => ("complete", "Complete"),
            RecommendationStatus::Contraindicated => ("contraindicated", "Contraindicated"),
            RecommendationStatus::AgedOut => ("agedOut", "Aged Out"),
            RecommendationStatus::NotRecommended => ("notRecommended", "Not Recommended"),
        },
    }
}

fn criterion(code: &str, display: &str, value: &Option<String>) -> Option<Value> {
    value.as_ref().map(|v| {
        json!({
            "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
            "value": v,
        })
    })
}

fn reference(r: &str) -> Value {
    json!({ "reference": r })
}

/// One `recommendation` entry of the ImmunizationRecommendation.
fn entry(r: &Recommendation) -> Value {
    let f = r.immunization.as_ref();
    let (code, display) = forecast_status(r);
    let mut vaccines: Vec<Value> = f
        .map(|f| {
            f.vaccines
                .iter()
                .map(|c| json!({"coding": [{"system": CVX, "code": c}]}))
                .collect()
        })
        .unwrap_or_default();
    if vaccines.is_empty()
        && let Some(group) = f
    {
        let mut concept = json!({ "text": group.vaccine_group });
        if let Some(cvx) = &group.vaccine_group_cvx {
            concept["coding"] = json!([{"system": CVX, "code": cvx}]);
        }
        vaccines.push(concept);
    }
    // LOINC's forecast date kinds: earliest, due, overdue (the day after the
    // past due date), latest.
    let overdue = r.past_due.as_ref().and_then(|d| {
        chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.succ_opt())
            .map(|d| d.format("%Y-%m-%d").to_string())
    });
    let dates: Vec<Value> = [
        criterion("30981-5", "Earliest date to give", &r.earliest),
        criterion("30980-7", "Date vaccine due", &r.recommended),
        criterion("59778-1", "Date when overdue for immunization", &overdue),
        criterion(
            "59777-3",
            "Latest date to give immunization",
            &f.and_then(|f| f.latest.clone()),
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut out = json!({
        "vaccineCode": vaccines,
        "forecastStatus": {"coding": [{"system": FORECAST_STATUS, "code": code, "display": display}]},
        "forecastReason": [{"text": r.reason}],
        "description": r.title,
    });
    if let Some(f) = f {
        out["targetDisease"] = json!({ "text": f.diseases.join(", ") });
        out["series"] = json!(f.series);
        if let Some(n) = f.dose_number {
            out["doseNumberPositiveInt"] = json!(n);
        }
    }
    if !dates.is_empty() {
        out["dateCriterion"] = Value::Array(dates);
    }
    let immunizations: Vec<Value> = r
        .evidence
        .iter()
        .filter(|e| e.starts_with("Immunization/"))
        .map(|e| reference(e))
        .collect();
    if !immunizations.is_empty() {
        out["supportingImmunization"] = Value::Array(immunizations);
    }
    let other: Vec<Value> = r
        .evidence
        .iter()
        .filter(|e| !e.starts_with("Immunization/") && !e.starts_with("Patient/"))
        .map(|e| reference(e))
        .collect();
    if !other.is_empty() {
        out["supportingPatientInformation"] = Value::Array(other);
    }
    out
}

fn evaluation(i: usize, d: &DoseEvaluation, patient: &str, as_of: &str) -> Value {
    let (code, display) = match d.status {
        DoseStatus::Valid => ("valid", "Valid"),
        _ => ("notvalid", "Not valid"),
    };
    let text = match d.status {
        DoseStatus::Valid => "Valid",
        DoseStatus::NotValid => "Not Valid",
        DoseStatus::Extraneous => "Extraneous",
        DoseStatus::SubStandard => "Sub-standard",
    };
    let mut out = json!({
        "resourceType": "ImmunizationEvaluation",
        "id": format!("evaluation-{}", i + 1),
        "status": "completed",
        "patient": reference(patient),
        "date": as_of,
        "targetDisease": {"text": d.disease},
        "immunizationEvent": reference(&d.immunization),
        "doseStatus": {
            "coding": [{"system": DOSE_STATUS, "code": code, "display": display}],
            "text": text,
        },
        "series": d.series,
        "description": format!("{} ({})", d.vaccine_group, text),
    });
    if !d.reasons.is_empty() {
        out["doseStatusReason"] =
            Value::Array(d.reasons.iter().map(|r| json!({"text": r})).collect());
    }
    if let Some(n) = d.dose_number {
        out["doseNumberPositiveInt"] = json!(n);
    }
    out
}

/// The `Parameters` answer for a profile whose Patient is `patient`.
pub fn parameters(
    as_of: &str,
    patient: Option<&str>,
    recommendations: &[&Recommendation],
    doses: &[DoseEvaluation],
) -> Value {
    let mut parameter = Vec::new();
    if let Some(patient) = patient {
        if !recommendations.is_empty() {
            parameter.push(json!({
                "name": "recommendation",
                "resource": {
                    "resourceType": "ImmunizationRecommendation",
                    "id": "forecast",
                    "patient": reference(patient),
                    "date": as_of,
                    "recommendation": recommendations.iter().map(|r| entry(r)).collect::<Vec<_>>(),
                }
            }));
        }
        for (i, d) in doses.iter().enumerate() {
            parameter
                .push(json!({"name": "evaluation", "resource": evaluation(i, d, patient, as_of)}));
        }
    }
    json!({ "resourceType": "Parameters", "parameter": parameter })
}
