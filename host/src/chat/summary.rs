//! What a model is shown of a record: a one-line title for search hits and
//! a canonical text summary for reading. Values are written exactly as the
//! record holds them (a decimal keeps its digits), because the answer's
//! numbers are checked against this text.

use serde_json::Value;

/// A record's one-line title: what it is, with its value for a result.
pub fn title(resource_type: &str, r: &Value) -> String {
    let name = what(resource_type, r).unwrap_or_else(|| resource_type.to_string());
    match value_of(r) {
        Some(v) => format!("{name}: {v}"),
        None => name,
    }
}

/// A record's date: when it happened (effective, onset, performed, given,
/// authored, period start), else when it was recorded.
pub fn date(r: &Value) -> Option<String> {
    const FIELDS: &[&str] = &[
        "effectiveDateTime",
        "effectiveInstant",
        "occurrenceDateTime",
        "performedDateTime",
        "onsetDateTime",
        "authoredOn",
        "issued",
        "recordedDate",
        "date",
        "birthDate",
    ];
    const PERIODS: &[&str] = &[
        "effectivePeriod",
        "performedPeriod",
        "onsetPeriod",
        "period",
    ];
    FIELDS
        .iter()
        .find_map(|f| r[*f].as_str())
        .or_else(|| PERIODS.iter().find_map(|p| r[*p]["start"].as_str()))
        .map(str::to_string)
}

/// The canonical summary of a record, headed by its label.
pub fn summary(label: &str, resource_type: &str, id: &str, r: &Value, source: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let head = match date(r) {
        Some(d) => format!("[{label}] {resource_type}/{id}, {d}:"),
        None => format!("[{label}] {resource_type}/{id}:"),
    };
    let mut what_line = what(resource_type, r).unwrap_or_else(|| resource_type.to_string());
    if let Some(code) = code_of(resource_type, r) {
        what_line.push_str(&format!(" ({code})"));
    }
    parts.push(what_line);
    if let Some(v) = value_of(r) {
        parts.push(format!("value {v}"));
    }
    for c in r["component"].as_array().into_iter().flatten() {
        if let (Some(name), Some(v)) = (concept(&c["code"]), value_of(c)) {
            parts.push(format!("{name} {v}"));
        }
    }
    if let Some(range) = range_of(r) {
        parts.push(format!("reference range {range}"));
    }
    if let Some(t) = r["interpretation"]
        .as_array()
        .and_then(|a| a.first())
        .and_then(concept)
    {
        parts.push(format!("interpretation {t}"));
    }
    match resource_type {
        "Patient" => {
            if let Some(g) = r["gender"].as_str() {
                parts.push(format!("gender {g}"));
            }
            if let Some(b) = r["birthDate"].as_str() {
                parts.push(format!("born {b}"));
            }
            if let Some(d) = r["deceasedDateTime"].as_str() {
                parts.push(format!("died {d}"));
            }
        }
        "Condition" | "AllergyIntolerance" => {
            if let Some(s) = concept(&r["clinicalStatus"]) {
                parts.push(format!("clinical status {s}"));
            }
            if let Some(s) = concept(&r["verificationStatus"]) {
                parts.push(format!("verification {s}"));
            }
            if let Some(a) = r["abatementDateTime"]
                .as_str()
                .or_else(|| r["abatementPeriod"]["start"].as_str())
            {
                parts.push(format!("resolved {a}"));
            }
            if let Some(c) = r["criticality"].as_str() {
                parts.push(format!("criticality {c}"));
            }
            for reaction in r["reaction"].as_array().into_iter().flatten() {
                for m in reaction["manifestation"].as_array().into_iter().flatten() {
                    if let Some(t) = concept(m) {
                        parts.push(format!("reaction {t}"));
                    }
                }
            }
        }
        "MedicationRequest" | "MedicationStatement" => {
            if let Some(d) = r["dosageInstruction"]
                .as_array()
                .or_else(|| r["dosage"].as_array())
                .and_then(|a| a.first())
                .and_then(|d| d["text"].as_str())
            {
                parts.push(format!("dosage {d}"));
            }
            if let Some(t) = r["reasonCode"]
                .as_array()
                .and_then(|a| a.first())
                .and_then(concept)
            {
                parts.push(format!("for {t}"));
            }
        }
        "Encounter" => {
            if let Some(end) = r["period"]["end"].as_str() {
                parts.push(format!("until {end}"));
            }
            if let Some(t) = r["reasonCode"]
                .as_array()
                .and_then(|a| a.first())
                .and_then(concept)
            {
                parts.push(format!("reason {t}"));
            }
        }
        "DiagnosticReport" => {
            if let Some(c) = r["conclusion"].as_str() {
                parts.push(format!("conclusion {c}"));
            }
        }
        _ => {}
    }
    if let Some(s) = r["status"].as_str() {
        parts.push(format!("status {s}"));
    }
    if !source.is_empty() {
        parts.push(format!("source {source}"));
    }
    format!("{head} {}.", parts.join("; "))
}

/// A CodeableConcept as text: its text, else its first coding's display, else its code.
fn concept(c: &Value) -> Option<String> {
    if let Some(t) = c["text"].as_str().filter(|t| !t.trim().is_empty()) {
        return Some(t.to_string());
    }
    let codings = c["coding"].as_array()?;
    codings
        .iter()
        .find_map(|k| k["display"].as_str())
        .or_else(|| codings.iter().find_map(|k| k["code"].as_str()))
        .map(str::to_string)
}

/// What a record is about, by type.
fn what(resource_type: &str, r: &Value) -> Option<String> {
    match resource_type {
        "Patient" | "Practitioner" | "RelatedPerson" => {
            let name = r["name"].as_array()?.first()?;
            if let Some(t) = name["text"].as_str() {
                return Some(t.to_string());
            }
            let mut words: Vec<&str> = name["given"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            words.extend(name["family"].as_str());
            (!words.is_empty()).then(|| words.join(" "))
        }
        "Organization" | "Location" => r["name"].as_str().map(str::to_string),
        "MedicationRequest" | "MedicationStatement" | "MedicationAdministration" => {
            concept(&r["medicationCodeableConcept"]).or_else(|| {
                r["medicationReference"]["display"]
                    .as_str()
                    .map(str::to_string)
            })
        }
        "Immunization" => concept(&r["vaccineCode"]),
        "Encounter" => r["type"]
            .as_array()
            .and_then(|a| a.first())
            .and_then(concept)
            .or_else(|| r["class"]["display"].as_str().map(str::to_string))
            .or_else(|| r["class"]["code"].as_str().map(str::to_string)),
        "CarePlan" => r["title"].as_str().map(str::to_string).or_else(|| {
            r["category"]
                .as_array()
                .and_then(|a| a.iter().rev().find_map(concept))
        }),
        "Goal" => concept(&r["description"]),
        "DocumentReference" => r["description"]
            .as_str()
            .map(str::to_string)
            .or_else(|| concept(&r["type"])),
        "Claim" | "ExplanationOfBenefit" | "Coverage" => concept(&r["type"]),
        _ => concept(&r["code"]).or_else(|| concept(&r["type"])),
    }
}

/// The code of what a record is, with its system's short name (`LOINC 4548-4`).
fn code_of(resource_type: &str, r: &Value) -> Option<String> {
    let field = match resource_type {
        "MedicationRequest" | "MedicationStatement" | "MedicationAdministration" => {
            "medicationCodeableConcept"
        }
        "Immunization" => "vaccineCode",
        _ => "code",
    };
    let coding = r[field]["coding"].as_array()?.first()?;
    let code = coding["code"].as_str()?;
    let system = coding["system"].as_str().unwrap_or_default();
    let name = match system {
        "http://loinc.org" => "LOINC",
        "http://snomed.info/sct" => "SNOMED CT",
        "http://www.nlm.nih.gov/research/umls/rxnorm" => "RxNorm",
        "http://hl7.org/fhir/sid/cvx" => "CVX",
        "http://hl7.org/fhir/sid/icd-10-cm" => "ICD-10-CM",
        "" => return Some(code.to_string()),
        other => other,
    };
    Some(format!("{name} {code}"))
}

/// A value as recorded: a quantity's digits and unit, a coded or text value.
fn value_of(r: &Value) -> Option<String> {
    if let Some(q) = r.get("valueQuantity") {
        return quantity(q);
    }
    if let Some(c) = r.get("valueCodeableConcept") {
        return concept(c);
    }
    for f in ["valueString", "valueDateTime", "valueTime"] {
        if let Some(s) = r[f].as_str() {
            return Some(s.to_string());
        }
    }
    for f in ["valueInteger", "valueBoolean"] {
        if let Some(v) = r.get(f).filter(|v| !v.is_null()) {
            return Some(v.to_string());
        }
    }
    None
}

fn quantity(q: &Value) -> Option<String> {
    let value = match &q["value"] {
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let unit = q["unit"].as_str().or_else(|| q["code"].as_str());
    let comparator = q["comparator"].as_str().unwrap_or_default();
    Some(match unit {
        Some(u) => format!("{comparator}{value} {u}"),
        None => format!("{comparator}{value}"),
    })
}

fn range_of(r: &Value) -> Option<String> {
    let range = r["referenceRange"].as_array()?.first()?;
    if let Some(t) = range["text"].as_str() {
        return Some(t.to_string());
    }
    match (quantity(&range["low"]), quantity(&range["high"])) {
        (Some(lo), Some(hi)) => Some(format!("{lo} to {hi}")),
        (Some(lo), None) => Some(format!("at least {lo}")),
        (None, Some(hi)) => Some(format!("at most {hi}")),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_keeps_its_digits_unit_range_and_source() {
        let r: Value = serde_json::from_str(
            r#"{"resourceType":"Observation","id":"a1c","status":"final",
                "code":{"coding":[{"system":"http://loinc.org","code":"4548-4","display":"Hemoglobin A1c/Hemoglobin.total in Blood"}]},
                "effectiveDateTime":"2024-03-01",
                "valueQuantity":{"value":7.20,"unit":"%"},
                "referenceRange":[{"low":{"value":4.0,"unit":"%"},"high":{"value":5.6,"unit":"%"}}],
                "interpretation":[{"coding":[{"code":"H","display":"High"}]}]}"#,
        )
        .expect("json");
        assert_eq!(
            summary("R1", "Observation", "a1c", &r, "Valley Clinic"),
            "[R1] Observation/a1c, 2024-03-01: Hemoglobin A1c/Hemoglobin.total in Blood (LOINC 4548-4); \
             value 7.20 %; reference range 4.0 % to 5.6 %; interpretation High; status final; source Valley Clinic."
        );
        assert_eq!(
            title("Observation", &r),
            "Hemoglobin A1c/Hemoglobin.total in Blood: 7.20 %"
        );
    }

    #[test]
    fn components_medicines_and_conditions_say_what_matters() {
        let bp: Value = serde_json::from_str(
            r#"{"resourceType":"Observation","id":"bp","code":{"text":"Blood pressure panel"},
                "effectiveDateTime":"2024-05-02T09:30:00Z",
                "component":[{"code":{"text":"Systolic blood pressure"},"valueQuantity":{"value":128,"unit":"mm[Hg]"}},
                             {"code":{"text":"Diastolic blood pressure"},"valueQuantity":{"value":84,"unit":"mm[Hg]"}}]}"#,
        )
        .expect("json");
        let text = summary("R2", "Observation", "bp", &bp, "");
        assert!(
            text.contains("Systolic blood pressure 128 mm[Hg]; Diastolic blood pressure 84 mm[Hg]"),
            "{text}"
        );
        let med: Value = serde_json::from_str(
            r#"{"resourceType":"MedicationRequest","id":"m","status":"active","authoredOn":"2023-01-10",
                "medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"860975","display":"metformin 500 MG Oral Tablet"}]},
                "dosageInstruction":[{"text":"1 tablet twice a day"}]}"#,
        )
        .expect("json");
        assert_eq!(
            summary("R3", "MedicationRequest", "m", &med, "Home"),
            "[R3] MedicationRequest/m, 2023-01-10: metformin 500 MG Oral Tablet (RxNorm 860975); \
             dosage 1 tablet twice a day; status active; source Home."
        );
        let condition: Value = serde_json::from_str(
            r#"{"resourceType":"Condition","id":"c","onsetDateTime":"2019-06-01",
                "code":{"text":"Type 2 diabetes"},
                "clinicalStatus":{"coding":[{"code":"active"}]}}"#,
        )
        .expect("json");
        assert_eq!(
            summary("R4", "Condition", "c", &condition, ""),
            "[R4] Condition/c, 2019-06-01: Type 2 diabetes; clinical status active."
        );
    }
}
