//! What is extracted from a resource at write time so that search, timeline
//! and related-record queries never parse JSON: the clinically meaningful
//! date (per type, normalized to UTC), last update, status, codes and
//! categories with their systems, references, and a display text.

use serde_json::Value;

/// Bump when extraction changes: stored resources with an older version are
/// re-indexed at start. 2: identity keys for duplicate detection. 3: an
/// Observation's number left out of its display; appointments dated by `start`.
pub const INDEX_VERSION: i64 = 3;

/// The search parameters tokens are stored under.
pub mod param {
    /// The type's main code (`Observation.code`, `Immunization.vaccineCode`, ...).
    pub const CODE: &str = "code";
    /// `category` (or `Encounter.class`).
    pub const CATEGORY: &str = "category";
    /// `Observation.component.code`.
    pub const COMPONENT_CODE: &str = "component-code";
}

/// One (parameter, system, code) token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The search parameter ([`param`]).
    pub param: &'static str,
    /// Code system URI (empty when the coding has none).
    pub system: String,
    /// The code.
    pub code: String,
}

/// A resource's index entries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Index {
    /// The clinically meaningful date (see [`date_fields`]), UTC-normalized.
    pub sort_date: Option<String>,
    /// `meta.lastUpdated`, UTC-normalized.
    pub last_updated: Option<String>,
    /// Status (`status`, or `clinicalStatus` for conditions and allergies).
    pub status: Option<String>,
    /// A short human-readable text (code display, name, value).
    pub display: Option<String>,
    /// Codes and categories.
    pub tokens: Vec<Token>,
    /// Resources this one references, as (type, id).
    pub refs: Vec<(String, String)>,
    /// Numeric results (an Observation's value and its components' values).
    pub values: Vec<ObsValue>,
    /// Identity keys: a resource sharing one with a resource of another
    /// source in the same profile is the same fact (see [`identity_keys`]).
    pub keys: Vec<String>,
}

/// One numeric result, for lab series.
#[derive(Debug, Clone, PartialEq)]
pub struct ObsValue {
    /// Code system of what was measured.
    pub system: String,
    /// Code of what was measured.
    pub code: String,
    /// Its name.
    pub name: Option<String>,
    /// The number.
    pub value: Decimal,
    /// The unit as written (`unit`, else `code`).
    pub unit: Option<String>,
    /// The UCUM code, when the quantity gives one.
    pub ucum: Option<String>,
    /// Reference range low.
    pub low: Option<Decimal>,
    /// Reference range high.
    pub high: Option<Decimal>,
    /// Interpretation code (`H`, `L`, `N`, `A`, ...).
    pub interpretation: Option<String>,
}

/// A FHIR decimal: its digits as written, and the nearest `f64` for arithmetic.
#[derive(Debug, Clone, PartialEq)]
pub struct Decimal {
    /// The nearest double, for flags, charts and unit conversion.
    pub value: f64,
    /// The digits exactly as the resource wrote them (`1.50` stays `1.50`).
    pub text: String,
}

impl Decimal {
    /// The decimal in `v`, if it is a JSON number.
    pub fn from_json(v: &Value) -> Option<Decimal> {
        let Value::Number(n) = v else { return None };
        Some(Decimal {
            value: n.as_f64()?,
            // With `arbitrary_precision` a number prints the digits it was parsed from.
            text: n.to_string(),
        })
    }
}

const UCUM_SYSTEM: &str = "http://unitsofmeasure.org";

/// The numeric result held by an Observation or component, if any.
fn obs_value(holder: &Value, code_field: &Value) -> Option<ObsValue> {
    let q = holder.get("valueQuantity")?;
    let value = Decimal::from_json(&q["value"])?;
    let coding = code_field["coding"]
        .as_array()?
        .iter()
        .find(|c| c["code"].is_string())?;
    let ucum = (q["system"].as_str() == Some(UCUM_SYSTEM))
        .then(|| q["code"].as_str())
        .flatten()
        .map(str::to_string);
    let range = holder["referenceRange"].as_array().and_then(|r| r.first());
    Some(ObsValue {
        system: coding["system"].as_str().unwrap_or_default().to_string(),
        code: coding["code"].as_str().unwrap_or_default().to_string(),
        name: concept_text(code_field).map(str::to_string),
        value,
        unit: q["unit"]
            .as_str()
            .or_else(|| q["code"].as_str())
            .map(str::to_string),
        ucum,
        low: range
            .and_then(|r| r.pointer("/low/value"))
            .and_then(Decimal::from_json),
        high: range
            .and_then(|r| r.pointer("/high/value"))
            .and_then(Decimal::from_json),
        interpretation: holder
            .pointer("/interpretation/0/coding/0/code")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

/// Extract the index of a resource of `resource_type`.
pub fn extract(resource_type: &str, value: &Value) -> Index {
    let mut tokens = Vec::new();
    for field in code_fields(resource_type) {
        push_concepts(&mut tokens, param::CODE, value.get(*field));
    }
    let category_field = match resource_type {
        "Encounter" => "class",
        _ => "category",
    };
    push_concepts(&mut tokens, param::CATEGORY, value.get(category_field));
    if resource_type == "Observation" {
        for component in value["component"].as_array().into_iter().flatten() {
            push_concepts(&mut tokens, param::COMPONENT_CODE, component.get("code"));
        }
    }
    let mut refs = Vec::new();
    collect_refs(value, &mut refs, 0);
    let mut values = Vec::new();
    if resource_type == "Observation" {
        values.extend(obs_value(value, &value["code"]));
        for component in value["component"].as_array().into_iter().flatten() {
            values.extend(obs_value(component, &component["code"]));
        }
    }
    let sort_date = sort_date(resource_type, value);
    let keys = identity_keys(resource_type, value, &tokens, sort_date.as_deref());
    Index {
        sort_date,
        last_updated: value
            .pointer("/meta/lastUpdated")
            .and_then(Value::as_str)
            .map(normalize_date),
        status: status(resource_type, value),
        display: display(resource_type, value),
        tokens,
        refs,
        values,
        keys,
    }
}

/// Types whose code, clinical date and value together identify a fact. Types
/// not listed (Patient, Encounter, Practitioner, ...) match by identifier only.
const FACT_TYPES: &[&str] = &[
    "Observation",
    "Condition",
    "AllergyIntolerance",
    "Procedure",
    "Immunization",
    "MedicationRequest",
    "MedicationStatement",
    "DiagnosticReport",
];

/// Keys by which the same fact from two sources is recognised:
/// `i|type|system|value` for each identifier with a system, and, for
/// [`FACT_TYPES`] with a clinical date taken from the resource itself,
/// `f|type|system|code|date|value` for each coded `code` (any shared coding
/// matches, so one source adding a local code does not hide the match).
pub fn identity_keys(
    resource_type: &str,
    value: &Value,
    tokens: &[Token],
    sort_date: Option<&str>,
) -> Vec<String> {
    let mut keys = Vec::new();
    let identifiers: Vec<&Value> = match value.get("identifier") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(single @ Value::Object(_)) => vec![single],
        _ => Vec::new(),
    };
    for identifier in identifiers {
        if let (Some(system), Some(v)) = (
            identifier["system"].as_str().filter(|s| !s.is_empty()),
            identifier["value"].as_str().filter(|s| !s.is_empty()),
        ) {
            keys.push(format!("i|{resource_type}|{system}|{v}"));
        }
    }
    // A date that came from meta.lastUpdated says when a copy was written, not when the fact happened.
    let clinical = date_fields(resource_type)
        .iter()
        .any(|path| path.split('.').try_fold(value, |v, k| v.get(k)).is_some());
    if let (true, true, Some(date)) = (FACT_TYPES.contains(&resource_type), clinical, sort_date) {
        let result = fact_value(value);
        for t in tokens
            .iter()
            .filter(|t| t.param == param::CODE && !t.system.is_empty())
        {
            keys.push(format!(
                "f|{resource_type}|{}|{}|{date}|{result}",
                t.system, t.code
            ));
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// An Observation's result in a comparable form (number and unit code, a
/// coded answer, or text), with its components'; empty for other types.
fn fact_value(value: &Value) -> String {
    fn one(holder: &Value) -> String {
        if let Some(q) = holder.get("valueQuantity") {
            let number = q["value"]
                .as_f64()
                .map(|v| v.to_string())
                .unwrap_or_default();
            let unit = q["code"]
                .as_str()
                .or_else(|| q["unit"].as_str())
                .unwrap_or_default();
            return format!("{number} {unit}");
        }
        if let Some(c) = holder.get("valueCodeableConcept") {
            let coding = c.pointer("/coding/0");
            return match coding {
                Some(c) => format!(
                    "{}#{}",
                    c["system"].as_str().unwrap_or_default(),
                    c["code"].as_str().unwrap_or_default()
                ),
                None => c["text"].as_str().unwrap_or_default().to_string(),
            };
        }
        ["valueString", "valueBoolean", "valueInteger"]
            .iter()
            .find_map(|k| holder.get(*k))
            .map(|v| v.to_string())
            .unwrap_or_default()
    }
    let mut out = one(value);
    for component in value["component"].as_array().into_iter().flatten() {
        let code = component
            .pointer("/code/coding/0/code")
            .and_then(Value::as_str);
        out.push_str(&format!(";{}={}", code.unwrap_or_default(), one(component)));
    }
    out
}

/// The fields holding a type's clinically meaningful date, in order of preference.
pub fn date_fields(resource_type: &str) -> &'static [&'static str] {
    match resource_type {
        "Observation" => &[
            "effectiveDateTime",
            "effectivePeriod.start",
            "effectiveInstant",
            "issued",
        ],
        "DiagnosticReport" => &["effectiveDateTime", "effectivePeriod.start", "issued"],
        "Condition" => &["onsetDateTime", "onsetPeriod.start", "recordedDate"],
        "AllergyIntolerance" => &["onsetDateTime", "recordedDate"],
        "Procedure" => &["performedDateTime", "performedPeriod.start"],
        "MedicationRequest" => &["authoredOn"],
        "MedicationStatement" => &["effectiveDateTime", "effectivePeriod.start", "dateAsserted"],
        "MedicationAdministration" => &["effectiveDateTime", "effectivePeriod.start"],
        "Immunization" => &["occurrenceDateTime", "recorded"],
        "Encounter" => &["period.start"],
        "CarePlan" | "CareTeam" => &["period.start", "created"],
        "Goal" => &["startDate", "statusDate"],
        "Claim" | "ExplanationOfBenefit" => &["billablePeriod.start", "created"],
        "DocumentReference" => &["date", "context.period.start"],
        "ImagingStudy" => &["started"],
        "ServiceRequest" => &["authoredOn", "occurrenceDateTime"],
        "Patient" => &["birthDate"],
        "Appointment" => &["start"],
        "Coverage" => &["period.start"],
        "Device" => &["manufactureDate"],
        _ => &[
            "effectiveDateTime",
            "date",
            "period.start",
            "issued",
            "recordedDate",
        ],
    }
}

fn sort_date(resource_type: &str, value: &Value) -> Option<String> {
    let from_fields = date_fields(resource_type).iter().find_map(|path| {
        path.split('.')
            .try_fold(value, |v, key| v.get(key))
            .and_then(Value::as_str)
    });
    from_fields
        .or_else(|| value.pointer("/meta/lastUpdated").and_then(Value::as_str))
        .map(normalize_date)
}

/// Date-times to UTC with milliseconds, so that text order is time order
/// (a fixed width keeps `…:00.250Z` after `…:00.000Z`); partial dates
/// (`2020`, `2020-05`, `2020-05-01`) already sort as prefixes and stay as they are.
pub fn normalize_date(text: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(text) {
        Ok(t) => format_instant(t.with_timezone(&chrono::Utc)),
        Err(_) => text.to_string(),
    }
}

/// An instant in the stored form: UTC, milliseconds, `Z`.
pub fn format_instant(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The fields holding a type's main CodeableConcept(s).
fn code_fields(resource_type: &str) -> &'static [&'static str] {
    match resource_type {
        "Immunization" => &["vaccineCode"],
        "MedicationRequest" | "MedicationStatement" | "MedicationAdministration" => {
            &["medicationCodeableConcept"]
        }
        "Encounter" => &["type"],
        "AllergyIntolerance" | "Condition" | "Observation" | "Procedure" | "DiagnosticReport"
        | "Medication" | "ServiceRequest" => &["code"],
        "Goal" => &["description"],
        "Practitioner" | "PractitionerRole" => &["code", "specialty"],
        "Organization" | "Location" | "Coverage" | "DocumentReference" | "Device" => &["type"],
        _ => &["code", "type"],
    }
}

/// Push the codings of a CodeableConcept, a list of them, a Coding, or plain
/// code strings (as `AllergyIntolerance.category` is).
fn push_concepts(out: &mut Vec<Token>, param: &'static str, field: Option<&Value>) {
    let items: Vec<&Value> = match field {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(v) => vec![v],
        None => return,
    };
    for item in items {
        let codings: Vec<&Value> = match item {
            Value::String(_) => vec![item],
            Value::Object(o) if o.contains_key("coding") => {
                o["coding"].as_array().into_iter().flatten().collect()
            }
            Value::Object(o) if o.contains_key("code") => vec![item],
            _ => Vec::new(),
        };
        for coding in codings {
            let (system, code) = match coding {
                Value::String(code) => (String::new(), code.as_str()),
                _ => match coding["code"].as_str() {
                    Some(code) => (
                        coding["system"].as_str().unwrap_or_default().to_string(),
                        code,
                    ),
                    None => continue,
                },
            };
            let token = Token {
                param,
                system,
                code: code.to_string(),
            };
            if !out.contains(&token) {
                out.push(token);
            }
        }
    }
}

fn status(resource_type: &str, value: &Value) -> Option<String> {
    let text = match resource_type {
        "Condition" | "AllergyIntolerance" => value
            .pointer("/clinicalStatus/coding/0/code")
            .and_then(Value::as_str),
        "Goal" => value["lifecycleStatus"].as_str(),
        _ => value["status"].as_str(),
    };
    text.map(str::to_string)
}

/// The text of a CodeableConcept: its `text`, else its first coding's display, else code.
fn concept_text(concept: &Value) -> Option<&str> {
    let concept = match concept {
        Value::Array(items) => items.first()?,
        other => other,
    };
    concept["text"].as_str().or_else(|| {
        let codings = concept["coding"].as_array()?;
        codings
            .iter()
            .find_map(|c| c["display"].as_str())
            .or_else(|| codings.iter().find_map(|c| c["code"].as_str()))
    })
}

fn human_name(value: &Value) -> Option<String> {
    let name = value["name"].as_array()?.first()?;
    if let Some(text) = name["text"].as_str() {
        return Some(text.to_string());
    }
    let given: Vec<&str> = name["given"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut parts = given.join(" ");
    if let Some(family) = name["family"].as_str() {
        if !parts.is_empty() {
            parts.push(' ');
        }
        parts.push_str(family);
    }
    (!parts.is_empty()).then_some(parts)
}

/// An Observation's value as text (`95 mg/dL`, `Positive`).
fn value_text(value: &Value) -> Option<String> {
    if let Some(q) = value.get("valueQuantity") {
        let number = q.get("value").filter(|v| v.is_number())?.to_string();
        return Some(match q["unit"].as_str().or_else(|| q["code"].as_str()) {
            Some(u) => format!("{number} {u}"),
            None => number,
        });
    }
    if let Some(c) = value.get("valueCodeableConcept") {
        return concept_text(c).map(str::to_string);
    }
    [
        "valueString",
        "valueBoolean",
        "valueInteger",
        "valueDateTime",
    ]
    .iter()
    .find_map(|k| value.get(*k))
    .map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

fn display(resource_type: &str, value: &Value) -> Option<String> {
    let text = match resource_type {
        "Patient" | "Practitioner" | "RelatedPerson" => human_name(value),
        "Organization" | "Location" | "Device" => value["name"]
            .as_str()
            .map(str::to_string)
            .or_else(|| {
                value["deviceName"]
                    .as_array()
                    .and_then(|n| n.first())
                    .and_then(|n| n["name"].as_str())
                    .map(str::to_string)
            })
            .or_else(|| concept_text(&value["type"]).map(str::to_string)),
        "Observation" => {
            let name = concept_text(&value["code"]);
            // A number goes with its unit in `observation_values`, from which
            // listings show it rounded for reading; the name is the title.
            let value_text = if value.get("valueQuantity").is_some() && name.is_some() {
                None
            } else {
                value_text(value)
            };
            match (name, value_text) {
                (Some(n), Some(v)) => Some(format!("{n}: {v}")),
                (Some(n), None) => Some(n.to_string()),
                (None, v) => v,
            }
        }
        "DocumentReference" => value["description"]
            .as_str()
            .map(str::to_string)
            .or_else(|| concept_text(&value["type"]).map(str::to_string)),
        "Goal" => concept_text(&value["description"]).map(str::to_string),
        "CarePlan" => value["title"]
            .as_str()
            .map(str::to_string)
            .or_else(|| concept_text(&value["category"]).map(str::to_string)),
        "Coverage" | "Claim" | "ExplanationOfBenefit" => {
            concept_text(&value["type"]).map(str::to_string)
        }
        _ => code_fields(resource_type)
            .iter()
            .find_map(|f| value.get(*f).and_then(concept_text))
            .map(str::to_string),
    };
    text.map(|t| t.chars().take(500).collect())
}

/// Collect `Type/id` references anywhere in the resource (relative or
/// absolute URLs; `#contained` and `urn:` references have no stored target).
fn collect_refs(value: &Value, out: &mut Vec<(String, String)>, depth: usize) {
    if depth > 32 {
        return;
    }
    match value {
        Value::Object(o) => {
            if let Some(Value::String(reference)) = o.get("reference")
                && let Some(target) = parse_reference(reference)
                && !out.contains(&target)
            {
                out.push(target);
            }
            for (key, v) in o {
                // Contained resources are indexed as part of their container only.
                if key != "contained" {
                    collect_refs(v, out, depth + 1);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out, depth + 1)),
        _ => {}
    }
}

/// `Patient/123`, `https://x/fhir/Patient/123` or `Patient/123/_history/2` → (`Patient`, `123`).
pub fn parse_reference(reference: &str) -> Option<(String, String)> {
    if reference.starts_with('#') || reference.starts_with("urn:") {
        return None;
    }
    let path = reference.split(['?', '#']).next()?;
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let tail = match parts.iter().rposition(|p| *p == "_history") {
        Some(i) if i >= 2 => &parts[..i],
        Some(_) => return None,
        None => &parts[..],
    };
    let [.., ty, id] = tail else { return None };
    (super::is_type_name(ty) && super::is_fhir_id(id)).then(|| (ty.to_string(), id.to_string()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn identity_keys_come_from_identifiers_and_dated_codes() {
        let value: Value = serde_json::from_str(
            r#"{"resourceType":"Observation","effectiveDateTime":"2020-01-02T03:04:05Z",
                "identifier":[{"system":"urn:lab","value":"42"},{"value":"no-system"}],
                "code":{"coding":[{"system":"http://loinc.org","code":"2345-7"},{"code":"local"}]},
                "valueQuantity":{"value":5.5,"unit":"mmol/L","code":"mmol/L"}}"#,
        )
        .unwrap();
        let ix = extract("Observation", &value);
        assert_eq!(
            ix.keys,
            vec![
                "f|Observation|http://loinc.org|2345-7|2020-01-02T03:04:05.000Z|5.5 mmol/L"
                    .to_string(),
                "i|Observation|urn:lab|42".to_string(),
            ]
        );
        // No clinical date of its own (only meta.lastUpdated): no fact key.
        let undated: Value = serde_json::from_str(
            r#"{"resourceType":"Condition","meta":{"lastUpdated":"2020-01-01T00:00:00Z"},
                "code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]}}"#,
        )
        .unwrap();
        assert!(extract("Condition", &undated).keys.is_empty());
        // Types without facts match by identifier only.
        let patient: Value = serde_json::from_str(
            r#"{"resourceType":"Patient","birthDate":"1970-01-01","identifier":[{"system":"urn:mrn","value":"7"}]}"#,
        )
        .unwrap();
        assert_eq!(
            extract("Patient", &patient).keys,
            vec!["i|Patient|urn:mrn|7".to_string()]
        );
    }

    use super::*;
    use serde_json::json;

    fn tokens(index: &Index, param: &str) -> Vec<(String, String)> {
        index
            .tokens
            .iter()
            .filter(|t| t.param == param)
            .map(|t| (t.system.clone(), t.code.clone()))
            .collect()
    }

    #[test]
    fn observations_give_codes_categories_components_status_value_and_refs() {
        let obs = json!({
            "resourceType": "Observation", "id": "bp", "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}]}],
            "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9", "display": "Blood pressure panel"}]},
            "subject": {"reference": "Patient/p1"},
            "encounter": {"reference": "https://ehr.example.org/fhir/Encounter/e1/_history/3"},
            "performer": [{"reference": "#contained-1"}, {"reference": "urn:uuid:abc"}],
            "effectiveDateTime": "2020-05-01T10:00:00+02:00",
            "meta": {"lastUpdated": "2020-05-02T00:00:00Z"},
            "component": [
                {"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]}, "valueQuantity": {"value": 120}},
                {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]}, "valueQuantity": {"value": 80}}
            ]
        });
        let index = extract("Observation", &obs);
        assert_eq!(index.sort_date.as_deref(), Some("2020-05-01T08:00:00.000Z"));
        assert_eq!(
            index.last_updated.as_deref(),
            Some("2020-05-02T00:00:00.000Z")
        );
        assert_eq!(index.status.as_deref(), Some("final"));
        assert_eq!(index.display.as_deref(), Some("Blood pressure panel"));
        assert_eq!(
            tokens(&index, "code"),
            vec![("http://loinc.org".into(), "85354-9".into())]
        );
        assert_eq!(tokens(&index, "category")[0].1, "vital-signs");
        assert_eq!(tokens(&index, "component-code").len(), 2);
        let systolic = &index.values[0];
        assert_eq!(
            (systolic.code.as_str(), systolic.value.value),
            ("8480-6", 120.0)
        );
        assert_eq!(index.values.len(), 2, "the panel itself has no value");
        let mut refs = index.refs.clone();
        refs.sort();
        assert_eq!(
            refs,
            vec![
                ("Encounter".into(), "e1".into()),
                ("Patient".into(), "p1".into())
            ]
        );
    }

    #[test]
    fn display_texts_per_type() {
        let glucose = json!({"resourceType": "Observation", "code": {"text": "Glucose"}, "valueQuantity": {"value": 95.5, "unit": "mg/dL"}});
        assert_eq!(
            extract("Observation", &glucose).display.as_deref(),
            Some("Glucose"),
            "the number is listed from its value row"
        );
        let smoking = json!({"resourceType": "Observation", "code": {"text": "Smoking status"}, "valueCodeableConcept": {"text": "Never smoker"}});
        assert_eq!(
            extract("Observation", &smoking).display.as_deref(),
            Some("Smoking status: Never smoker")
        );
        let unnamed = json!({"resourceType": "Observation", "code": {}, "valueQuantity": {"value": 7, "unit": "kg"}});
        assert_eq!(
            extract("Observation", &unnamed).display.as_deref(),
            Some("7 kg")
        );
        let patient = json!({"name": [{"given": ["Ada", "M"], "family": "Lovelace"}]});
        assert_eq!(
            extract("Patient", &patient).display.as_deref(),
            Some("Ada M Lovelace")
        );
        let med = json!({"medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "197361", "display": "Amlodipine 5 MG"}]}});
        let index = extract("MedicationRequest", &med);
        assert_eq!(index.display.as_deref(), Some("Amlodipine 5 MG"));
        assert_eq!(index.tokens[0].code, "197361");
        let allergy = json!({"category": ["food"], "clinicalStatus": {"coding": [{"code": "active"}]}, "code": {"text": "Peanut"}});
        let index = extract("AllergyIntolerance", &allergy);
        assert_eq!(
            tokens(&index, "category"),
            vec![(String::new(), "food".into())]
        );
        assert_eq!(index.status.as_deref(), Some("active"));
        let encounter = json!({"class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"}, "type": [{"text": "Checkup"}]});
        let index = extract("Encounter", &encounter);
        assert_eq!(tokens(&index, "category")[0].1, "AMB");
        assert_eq!(index.display.as_deref(), Some("Checkup"));
    }

    #[test]
    fn references_parse_from_relative_absolute_and_versioned_forms() {
        assert_eq!(
            parse_reference("Patient/1"),
            Some(("Patient".into(), "1".into()))
        );
        assert_eq!(
            parse_reference("http://x/fhir/Encounter/e.2/_history/1"),
            Some(("Encounter".into(), "e.2".into()))
        );
        assert_eq!(parse_reference("#x"), None);
        assert_eq!(parse_reference("urn:uuid:1"), None);
        assert_eq!(parse_reference("just-an-id"), None);
        assert_eq!(parse_reference("patient/1"), None);
    }
}
