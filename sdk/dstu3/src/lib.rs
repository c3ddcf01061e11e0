//! Converts FHIR resources between DSTU3 (3.0.x) and R4 (4.0.1) as `serde_json::Value`,
//! following the HL7 R3↔R4 version maps (`https://hl7.org/fhir/R4/<type>-version-maps.html`).
//!
//! - [`to_r4`] turns a DSTU3 resource into R4, and [`to_dstu3`] goes back for the core types.
//! - [`check_r4_issues`] is a strict structural R4 check, the gate a resource passes before it
//!   is stored: FHIR JSON rules everywhere in the tree (no `null`, `{}`, `[]` or blank
//!   strings), a real R4 `resourceType`, and for the types it has tables for (the core types,
//!   the pass-through types and Bundle) element names, cardinalities, typed primitives
//!   (booleans, integers in range, decimals as numbers, dates, dateTimes with a timezone,
//!   codes, ids, URIs, base64, ...), choice types, required bindings and the insides of the
//!   common datatypes (Coding, CodeableConcept, Quantity, Reference, Identifier, Period,
//!   HumanName, Address, ContactPoint, Attachment, Annotation, Extension, Meta, Narrative,
//!   Timing, Dosage, ...) with their invariants. Each problem is an [`Issue`] with a
//!   FHIRPath-like path (`code.coding[0].system`); [`check_r4`] gives the same problems as
//!   `Type.path: reason` strings.
//! - DSTU3 data R4 has no element for is kept in the official cross-version extensions
//!   (`http://hl7.org/fhir/3.0/StructureDefinition/extension-<Path>`), and R4 data that
//!   DSTU3 cannot hold in `http://hl7.org/fhir/4.0/StructureDefinition/extension-<Path>`,
//!   so `to_r4(to_dstu3(x))` gives back the meaningful content of `x`.
//! - Code systems that moved to `http://terminology.hl7.org/CodeSystem/` in R4 are rewritten
//!   in every `system` field (and back in [`to_dstu3`]).
//! - After mapping, any element R4 (resp. DSTU3) does not define at the top level (and in the
//!   backbone elements [`check_r4`] knows) is removed, so the output never carries
//!   elements of the other version.
//!
//! Pure Rust with no I/O, so it builds for `wasm32-wasip2` plugins as well as the host.
#![deny(missing_docs)]

mod check;
mod detect;
mod prim;
mod r3_to_r4;
mod r4_to_r3;
mod spec;
mod util;

use serde_json::Value;

pub use check::{Issue, check_r4, check_r4_issues};

/// Whether `s` is a FHIR id: 1 to 64 of `[A-Za-z0-9\-\.]`.
pub fn is_fhir_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// Whether `s` looks like a FHIR resource type name.
pub fn is_type_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_uppercase())
        && s.bytes().all(|b| b.is_ascii_alphanumeric())
}
pub use detect::{FhirVersion, dstu3_evidence};

/// Why a resource could not be converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    /// The input is not a JSON object.
    #[error("resource is not a JSON object")]
    NotAnObject,
    /// The input has no string `resourceType`.
    #[error("resource has no string `resourceType`")]
    MissingResourceType,
    /// The resource type has no conversion (R3-only types without a simple R4 home, or types
    /// whose shape changed too much to pass through, e.g. Claim and ExplanationOfBenefit).
    #[error("resource type `{resource_type}` is not supported by this conversion")]
    Unsupported {
        /// The `resourceType` of the rejected resource.
        resource_type: String,
    },
    /// An element holds a value that cannot be mapped to the other version.
    #[error("{path}: {reason}")]
    Invalid {
        /// FHIRPath-like location of the element, e.g. `Condition.clinicalStatus`.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Converts a DSTU3 resource to R4.
///
/// Fully mapped: Patient, Condition, Observation, MedicationStatement, MedicationRequest,
/// AllergyIntolerance, Immunization, Procedure, Encounter, DiagnosticReport,
/// DocumentReference, and Bundle (entry by entry; one bad entry fails the whole bundle).
/// Passed through with the few fixes their R4 shape needs: Practitioner, Organization,
/// Location, Medication, CarePlan, Goal, CareTeam. Renamed: ProcedureRequest and
/// ReferralRequest become ServiceRequest. Everything else, including Claim and
/// ExplanationOfBenefit (whose R4 shape is not compatible enough to pass through), is
/// rejected with [`ConvertError::Unsupported`].
pub fn to_r4(resource: Value) -> Result<Value, ConvertError> {
    r3_to_r4::convert(resource)
}

/// Converts an R4 resource back to DSTU3 for the eleven core types, Practitioner,
/// Organization, Location and Bundle (all-or-nothing, like [`to_r4`]); other types are
/// [`ConvertError::Unsupported`].
///
/// R4-only elements without a DSTU3 home are kept in R4 cross-version extensions where they
/// matter for a round trip (e.g. an R4-only status) and dropped otherwise.
pub fn to_dstu3(resource: Value) -> Result<Value, ConvertError> {
    r4_to_r3::convert(resource)
}

/// The resource type of a JSON resource, with the errors shared by both directions.
pub(crate) fn resource_type(v: &Value) -> Result<String, ConvertError> {
    let o = v.as_object().ok_or(ConvertError::NotAnObject)?;
    o.get("resourceType")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or(ConvertError::MissingResourceType)
}

/// Re-roots an error from a bundle entry so its path names the entry.
pub(crate) fn in_entry(e: ConvertError, i: usize) -> ConvertError {
    match e {
        ConvertError::Invalid { path, reason } => {
            // Drop the entry's own type name: the entry index already locates it.
            let rest = path.split_once('.').map(|(_, r)| r).unwrap_or("");
            let sep = if rest.is_empty() { "" } else { "." };
            ConvertError::Invalid {
                path: format!("Bundle.entry[{i}].resource{sep}{rest}"),
                reason,
            }
        }
        other => other,
    }
}

/// Converts `entry[].resource` of a Bundle with `f`.
pub(crate) fn convert_bundle(
    mut o: util::Obj,
    f: fn(Value) -> Result<Value, ConvertError>,
) -> Result<Value, ConvertError> {
    if let Some(Value::Array(entries)) = o.get_mut("entry") {
        for (i, entry) in entries.iter_mut().enumerate() {
            if let Some(res) = entry.get_mut("resource") {
                *res = f(res.take()).map_err(|e| in_entry(e, i))?;
            }
        }
    }
    Ok(Value::Object(o))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rejects_non_objects_and_missing_type() {
        assert_eq!(to_r4(json!([1])), Err(ConvertError::NotAnObject));
        assert_eq!(
            to_r4(json!({"id": "x"})),
            Err(ConvertError::MissingResourceType)
        );
        assert_eq!(to_dstu3(json!("x")), Err(ConvertError::NotAnObject));
    }

    #[test]
    fn error_messages_name_the_path() {
        let e = ConvertError::Invalid {
            path: "Condition.clinicalStatus".into(),
            reason: "code 'x' has no mapping".into(),
        };
        assert_eq!(
            e.to_string(),
            "Condition.clinicalStatus: code 'x' has no mapping"
        );
        let e = ConvertError::Unsupported {
            resource_type: "BodySite".into(),
        };
        assert!(e.to_string().contains("BodySite"));
    }

    #[test]
    fn bundle_errors_name_the_entry() {
        let b = json!({"resourceType": "Bundle", "type": "collection", "entry": [
            {"resource": {"resourceType": "Patient", "id": "p"}},
            {"resource": {"resourceType": "Condition", "clinicalStatus": "bogus",
                          "subject": {"reference": "Patient/p"}}}
        ]});
        match to_r4(b) {
            Err(ConvertError::Invalid { path, .. }) => {
                assert_eq!(path, "Bundle.entry[1].resource.clinicalStatus")
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
    }
}
