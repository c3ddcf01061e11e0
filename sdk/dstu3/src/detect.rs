//! Which FHIR version a resource (or a file of them) is written in.
//!
//! Uploads rarely say. A DSTU3 resource often looks like R4 (a Patient is
//! the same in both), so detection looks for shapes only DSTU3 has and
//! treats everything else as R4; a file is DSTU3 when any of its resources
//! is. Converting a DSTU3 resource that happens to look like R4 is harmless,
//! converting R4 as DSTU3 is not, so the evidence must be unambiguous.

use serde_json::Value;

use crate::spec::DSTU3_ONLY_TYPES;

/// A FHIR release Hearth reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FhirVersion {
    /// STU3, 3.0.x: converted to R4 before it is stored.
    Dstu3,
    /// R4, 4.0.x: what Hearth stores.
    R4,
}

impl FhirVersion {
    /// The version a `fhirVersion` value names (`3.0`, `3.0.2`, `4.0.1`, `4.0`, also `STU3`/`R4`).
    pub fn parse(text: &str) -> Option<FhirVersion> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("stu3") || t.eq_ignore_ascii_case("dstu3") || is_version(t, "3.0")
        {
            Some(FhirVersion::Dstu3)
        } else if t.eq_ignore_ascii_case("r4") || is_version(t, "4.0") {
            Some(FhirVersion::R4)
        } else {
            None
        }
    }

    /// The version as FHIR writes it in `fhirVersion`.
    pub fn number(self) -> &'static str {
        match self {
            FhirVersion::Dstu3 => "3.0",
            FhirVersion::R4 => "4.0",
        }
    }
}

/// `t` is `prefix` or `prefix.<patch>`.
fn is_version(t: &str, prefix: &str) -> bool {
    t == prefix
        || t.strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('.'))
            .is_some_and(|patch| !patch.is_empty() && patch.bytes().all(|b| b.is_ascii_digit()))
}

/// The DSTU3-only shape `resource` shows, if any: a short description of the evidence.
///
/// Looks at the resource's own `fhirVersion` (CapabilityStatement and the
/// like), a `meta.profile` under a versioned HL7 path, DSTU3-only resource
/// types, and elements R4 renamed, removed or retyped.
pub fn dstu3_evidence(resource: &Value) -> Option<String> {
    let o = resource.as_object()?;
    let rt = o.get("resourceType").and_then(Value::as_str)?;
    if let Some(v) = o.get("fhirVersion").and_then(Value::as_str) {
        return (FhirVersion::parse(v) == Some(FhirVersion::Dstu3))
            .then(|| format!("{rt}.fhirVersion is {v}"));
    }
    let profiles = o
        .get("meta")
        .and_then(|m| m.get("profile"))
        .and_then(Value::as_array);
    for p in profiles.into_iter().flatten().filter_map(Value::as_str) {
        if p.starts_with("http://hl7.org/fhir/STU3/") || p.starts_with("http://hl7.org/fhir/3.0/") {
            return Some(format!("{rt}.meta.profile names {p}"));
        }
    }
    if DSTU3_ONLY_TYPES.contains(&rt) {
        return Some(format!("{rt} exists only in DSTU3"));
    }
    let has = |k: &str| o.contains_key(k);
    let is_string = |k: &str| o.get(k).is_some_and(Value::is_string);
    let found = match rt {
        // R4 made both statuses CodeableConcepts and renamed assertedDate.
        "Condition" | "AllergyIntolerance" => ["clinicalStatus", "verificationStatus"]
            .into_iter()
            .find(|k| is_string(k))
            .or_else(|| has("assertedDate").then_some("assertedDate")),
        "Immunization" => [
            "notGiven",
            "date",
            "practitioner",
            "explanation",
            "vaccinationProtocol",
        ]
        .into_iter()
        .find(|k| has(k)),
        "Procedure" => ["notDone", "notDoneReason", "context", "definition"]
            .into_iter()
            .find(|k| has(k)),
        "Observation" | "DiagnosticReport" | "MedicationRequest" | "CarePlan" | "Goal"
        | "ServiceRequest" => ["context", "codedDiagnosis", "definition"]
            .into_iter()
            .find(|k| has(k))
            .or_else(|| (rt == "Goal" && has("status")).then_some("status")),
        "MedicationStatement" => ["taken", "notTaken", "reasonNotTaken", "context"]
            .into_iter()
            .find(|k| has(k)),
        "Encounter" => ["incomingReferral"].into_iter().find(|k| has(k)),
        "DocumentReference" => ["indexed", "class", "created"].into_iter().find(|k| has(k)),
        _ => None,
    };
    found.map(|k| format!("{rt}.{k} is DSTU3's shape"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn version_texts() {
        assert_eq!(FhirVersion::parse("3.0.2"), Some(FhirVersion::Dstu3));
        assert_eq!(FhirVersion::parse("3.0"), Some(FhirVersion::Dstu3));
        assert_eq!(FhirVersion::parse("STU3"), Some(FhirVersion::Dstu3));
        assert_eq!(FhirVersion::parse("4.0.1"), Some(FhirVersion::R4));
        assert_eq!(FhirVersion::parse("R4"), Some(FhirVersion::R4));
        assert_eq!(FhirVersion::parse("4.3.0"), None);
        assert_eq!(FhirVersion::parse("3.0."), None);
        assert_eq!(FhirVersion::parse("1.0.2"), None);
    }

    #[test]
    fn dstu3_shapes_are_evidence_and_r4_shapes_are_not() {
        let dstu3 = [
            json!({"resourceType": "Condition", "clinicalStatus": "active"}),
            json!({"resourceType": "AllergyIntolerance", "verificationStatus": "confirmed"}),
            json!({"resourceType": "Immunization", "notGiven": false, "date": "2020-01-01"}),
            json!({"resourceType": "Procedure", "notDone": true}),
            json!({"resourceType": "Observation", "context": {"reference": "Encounter/1"}}),
            json!({"resourceType": "MedicationStatement", "taken": "y"}),
            json!({"resourceType": "ProcedureRequest"}),
            json!({"resourceType": "Goal", "status": "achieved"}),
            json!({"resourceType": "CapabilityStatement", "fhirVersion": "3.0.1"}),
            json!({"resourceType": "Patient", "meta": {"profile": ["http://hl7.org/fhir/STU3/StructureDefinition/Patient"]}}),
        ];
        for r in &dstu3 {
            assert!(dstu3_evidence(r).is_some(), "{r}");
        }
        let r4 = [
            json!({"resourceType": "Condition", "clinicalStatus": {"coding": [{"code": "active"}]}}),
            json!({"resourceType": "Immunization", "occurrenceDateTime": "2020-01-01", "status": "completed"}),
            json!({"resourceType": "Observation", "encounter": {"reference": "Encounter/1"}}),
            json!({"resourceType": "Patient", "birthDate": "1970-01-01"}),
            json!({"resourceType": "Goal", "lifecycleStatus": "active"}),
            json!({"resourceType": "CapabilityStatement", "fhirVersion": "4.0.1"}),
            json!("not a resource"),
        ];
        for r in &r4 {
            assert_eq!(dstu3_evidence(r), None, "{r}");
        }
    }
}
