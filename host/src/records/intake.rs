//! The one gate between the outside and the store. Every resource a
//! connector emits, an upload holds or a person types in passes [`admit`]:
//! DSTU3 is converted to R4 with the converter the DSTU3 connector uses, and
//! the result must pass the host's checks ([`check_resource`]: ids, dates,
//! references, codings) and the strict structural R4 check (cardinality,
//! required bindings, primitive types, choice types, no empty values).
//! What passes is stored; what does not is refused with its path and reason.

use super::validate::{Invalid, check_resource};
use hearth_dstu3::{ConvertError, FhirVersion, check_r4_issues, to_r4};
use serde_json::Value;

/// Turn `resource`, written in `version`, into R4 that passes every check.
pub fn admit(resource: Value, version: FhirVersion) -> Result<Value, Invalid> {
    let resource = match version {
        FhirVersion::R4 => resource,
        FhirVersion::Dstu3 => to_r4(resource).map_err(converted)?,
    };
    check(&resource)?;
    Ok(resource)
}

/// The checks an R4 resource must pass to be stored; the first problem found.
pub fn check(resource: &Value) -> Result<(), Invalid> {
    check_resource(resource)?;
    match check_r4_issues(resource).into_iter().next() {
        Some(issue) => Err(Invalid {
            path: issue.path,
            reason: issue.reason,
        }),
        None => Ok(()),
    }
}

/// A conversion failure in the words and path form of every other refusal.
fn converted(e: ConvertError) -> Invalid {
    match e {
        ConvertError::Invalid { path, reason } => Invalid {
            // The converter names the type first (`Condition.clinicalStatus`); paths here are relative.
            path: path
                .split_once('.')
                .map(|(_, rest)| rest.to_string())
                .unwrap_or_default(),
            reason: format!("cannot be converted from DSTU3: {reason}"),
        },
        ConvertError::Unsupported { resource_type } => Invalid {
            path: "resourceType".into(),
            reason: format!(
                "a DSTU3 {resource_type} cannot be converted to R4, which is what Hearth stores"
            ),
        },
        other => Invalid {
            path: String::new(),
            reason: other.to_string(),
        },
    }
}

/// How a file's FHIR version was decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionBasis {
    /// The uploader said so (`fhirVersion` media-type parameter).
    Declared,
    /// A resource showed a shape only DSTU3 has (the evidence, and where).
    Detected(String),
    /// Nothing said otherwise.
    Default,
}

/// Decides a file's version as its resources are read: the declared one
/// wins; otherwise the first DSTU3-only shape makes the file DSTU3.
#[derive(Debug, Clone)]
pub struct VersionDetector {
    version: FhirVersion,
    basis: VersionBasis,
}

impl VersionDetector {
    /// A detector for a file declared as `declared` (if it was).
    pub fn new(declared: Option<FhirVersion>) -> Self {
        match declared {
            Some(version) => VersionDetector {
                version,
                basis: VersionBasis::Declared,
            },
            None => VersionDetector {
                version: FhirVersion::R4,
                basis: VersionBasis::Default,
            },
        }
    }

    /// Look at one resource (`at` says where it is, for the record).
    pub fn observe(&mut self, resource: &Value, at: impl FnOnce() -> String) {
        if self.basis != VersionBasis::Default {
            return;
        }
        if let Some(evidence) = hearth_dstu3::dstu3_evidence(resource) {
            self.version = FhirVersion::Dstu3;
            self.basis = VersionBasis::Detected(format!("{} ({evidence})", at()));
        }
    }

    /// The version decided.
    pub fn version(&self) -> FhirVersion {
        self.version
    }

    /// Why.
    pub fn basis(&self) -> &VersionBasis {
        &self.basis
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_dstu3_condition_becomes_r4_and_passes() {
        let r3 = json!({"resourceType": "Condition", "id": "c1", "clinicalStatus": "active",
            "verificationStatus": "confirmed", "code": {"text": "Asthma"},
            "subject": {"reference": "Patient/p"}, "assertedDate": "2020-01-02"});
        let r4 = admit(r3, FhirVersion::Dstu3).unwrap();
        assert_eq!(
            r4.pointer("/clinicalStatus/coding/0/code"),
            Some(&json!("active"))
        );
        assert_eq!(r4["recordedDate"], json!("2020-01-02"));
    }

    #[test]
    fn the_same_condition_read_as_r4_is_refused_with_its_path() {
        let r3 = json!({"resourceType": "Condition", "id": "c1", "clinicalStatus": "active",
            "subject": {"reference": "Patient/p"}});
        let bad = admit(r3, FhirVersion::R4).unwrap_err();
        assert_eq!(bad.path, "clinicalStatus", "{bad}");
    }

    #[test]
    fn strict_r4_problems_are_refused() {
        let bad = admit(
            json!({"resourceType": "Observation", "id": "o", "status": "bogus-status", "code": {"text": "x"}}),
            FhirVersion::R4,
        )
        .unwrap_err();
        assert_eq!(bad.path, "status", "{bad}");
        let bad = admit(
            json!({"resourceType": "Observation", "id": "o", "status": "final", "code": {}}),
            FhirVersion::R4,
        )
        .unwrap_err();
        assert_eq!(bad.path, "code", "{bad}");
        let bad = admit(
            json!({"resourceType": "Observation", "id": "o", "status": "final",
                "code": {"text": "x"}, "valueQuantity": {"value": "abc"}}),
            FhirVersion::R4,
        )
        .unwrap_err();
        assert_eq!(bad.path, "valueQuantity.value", "{bad}");
    }

    #[test]
    fn unconvertible_dstu3_types_say_so() {
        let bad = admit(
            json!({"resourceType": "Claim", "id": "x", "status": "active"}),
            FhirVersion::Dstu3,
        )
        .unwrap_err();
        assert_eq!(bad.path, "resourceType");
        assert!(bad.reason.contains("DSTU3 Claim"), "{bad}");
    }

    #[test]
    fn detection_declared_wins_then_first_evidence() {
        let r3 = json!({"resourceType": "Procedure", "notDone": false});
        let mut d = VersionDetector::new(Some(FhirVersion::R4));
        d.observe(&r3, || "entry[0]".into());
        assert_eq!(
            (d.version(), d.basis()),
            (FhirVersion::R4, &VersionBasis::Declared)
        );
        let mut d = VersionDetector::new(None);
        d.observe(&json!({"resourceType": "Patient"}), || "entry[0]".into());
        assert_eq!(d.version(), FhirVersion::R4);
        d.observe(&r3, || "entry[1]".into());
        assert_eq!(d.version(), FhirVersion::Dstu3);
        assert!(
            matches!(d.basis(), VersionBasis::Detected(e) if e.starts_with("entry[1] (Procedure.notDone")),
            "{:?}",
            d.basis()
        );
    }
}
