//! `check_r4` accepts minimal valid R4 for every core type and names the element when
//! something required is missing, a required code is wrong, or a shape is wrong.

use hearth_dstu3::check_r4;
use serde_json::{Value, json};

const THO: &str = "http://terminology.hl7.org/CodeSystem/";

/// Minimal valid R4 resources, with the elements whose absence must be reported.
fn minimal() -> Vec<(Value, &'static [&'static str])> {
    let subject = json!({"reference": "Patient/p"});
    vec![
        (json!({"resourceType": "Patient"}), &[]),
        (
            json!({"resourceType": "Condition", "subject": subject}),
            &["subject"],
        ),
        (
            json!({"resourceType": "Observation", "status": "final", "code": {"text": "x"}}),
            &["status", "code"],
        ),
        (
            json!({"resourceType": "MedicationStatement", "status": "active",
                   "medicationCodeableConcept": {"text": "x"}, "subject": subject}),
            &["status", "medicationCodeableConcept", "subject"],
        ),
        (
            json!({"resourceType": "MedicationRequest", "status": "active", "intent": "order",
                   "medicationReference": {"reference": "Medication/m"}, "subject": subject}),
            &["status", "intent", "medicationReference", "subject"],
        ),
        (
            json!({"resourceType": "AllergyIntolerance", "patient": subject,
                   "clinicalStatus": {"coding": [{"system": format!("{THO}allergyintolerance-clinical"), "code": "active"}]}}),
            &["patient"],
        ),
        (
            json!({"resourceType": "Immunization", "status": "completed", "vaccineCode": {"text": "x"},
                   "patient": subject, "occurrenceDateTime": "2020-01-01"}),
            &["status", "vaccineCode", "patient", "occurrenceDateTime"],
        ),
        (
            json!({"resourceType": "Procedure", "status": "completed", "subject": subject}),
            &["status", "subject"],
        ),
        (
            json!({"resourceType": "Encounter", "status": "finished", "class": {"code": "AMB"}}),
            &["status", "class"],
        ),
        (
            json!({"resourceType": "DiagnosticReport", "status": "final", "code": {"text": "x"}}),
            &["status", "code"],
        ),
        (
            json!({"resourceType": "DocumentReference", "status": "current",
                   "content": [{"attachment": {"url": "Binary/b"}}]}),
            &["status", "content"],
        ),
    ]
}

#[test]
fn minimal_resources_pass_and_each_required_element_is_enforced() {
    for (res, required) in minimal() {
        let rt = res["resourceType"].as_str().unwrap().to_string();
        assert_eq!(check_r4(&res), Ok(()), "{rt} minimal must pass");
        for key in required {
            let mut broken = res.clone();
            broken.as_object_mut().unwrap().remove(*key);
            let errs = check_r4(&broken).expect_err("missing required element must fail");
            // Choice elements are reported under their `[x]` name.
            let name = ["medication", "occurrence"]
                .iter()
                .find(|c| key.starts_with(*c))
                .map(|c| format!("{c}[x]"))
                .unwrap_or_else(|| key.to_string());
            let want = format!("{rt}.{name}: required element missing");
            assert!(errs.contains(&want), "{rt} without {key}: {errs:?}");
        }
    }
}

#[test]
fn bad_status_codes_are_rejected_for_every_type_with_a_status() {
    for (mut res, _) in minimal() {
        let rt = res["resourceType"].as_str().unwrap().to_string();
        if res.get("status").is_none() {
            continue;
        }
        res["status"] = json!("bogus");
        let errs = check_r4(&res).unwrap_err();
        assert!(
            errs.iter().any(|e| e.starts_with(&format!(
                "{rt}.status: 'bogus' is not in the required value set"
            ))),
            "{rt}: {errs:?}"
        );
    }
}

#[test]
fn dstu3_status_codes_that_changed_are_rejected() {
    let cases = [
        json!({"resourceType": "Procedure", "status": "aborted", "subject": {"reference": "Patient/p"}}),
        json!({"resourceType": "MedicationRequest", "status": "active", "intent": "order",
               "medicationReference": {"reference": "Medication/m"}, "subject": {"reference": "Patient/p"},
               "priority": "high"}),
        json!({"resourceType": "DocumentReference", "status": "current", "docStatus": "appended",
               "content": [{"attachment": {"url": "Binary/b"}}]}),
    ];
    for c in cases {
        assert!(check_r4(&c).is_err(), "{c}");
    }
}

#[test]
fn string_where_codeable_concept_is_required() {
    let c = json!({"resourceType": "Condition", "subject": {"reference": "Patient/p"},
        "clinicalStatus": "active"});
    assert_eq!(
        check_r4(&c),
        Err(vec![
            "Condition.clinicalStatus: expected a CodeableConcept object, found a string"
                .to_string()
        ])
    );
}

#[test]
fn codeable_concept_status_needs_the_bound_system_and_code() {
    let mut c = json!({"resourceType": "Condition", "subject": {"reference": "Patient/p"},
        "clinicalStatus": {"coding": [{"system": "http://hl7.org/fhir/condition-clinical", "code": "active"}]}});
    let errs = check_r4(&c).unwrap_err();
    assert!(
        errs[0].contains(
            "needs a coding from http://terminology.hl7.org/CodeSystem/condition-clinical"
        ),
        "{errs:?}"
    );
    c["clinicalStatus"]["coding"][0]["system"] = json!(format!("{THO}condition-clinical"));
    c["clinicalStatus"]["coding"][0]["code"] = json!("cured");
    let errs = check_r4(&c).unwrap_err();
    assert!(
        errs[0].contains("'cured' is not in the required value set"),
        "{errs:?}"
    );
}

#[test]
fn shapes_and_cardinalities_are_checked() {
    let d = json!({"resourceType": "DocumentReference", "status": "current",
        "content": [{"attachment": {"url": "Binary/b"}}], "context": {"encounter": {"reference": "Encounter/e"}}});
    assert_eq!(
        check_r4(&d),
        Err(vec![
            "DocumentReference.context.encounter: expected an array".to_string()
        ])
    );
    let e = json!({"resourceType": "Encounter", "status": "finished", "class": [{"code": "AMB"}]});
    assert_eq!(
        check_r4(&e),
        Err(vec![
            "Encounter.class: expected a single value, found an array".to_string()
        ])
    );
    let o = json!({"resourceType": "Observation", "status": "final", "code": "1234-5"});
    assert_eq!(
        check_r4(&o),
        Err(vec![
            "Observation.code: expected an object, found a string".to_string()
        ])
    );
    let dr = json!({"resourceType": "DocumentReference", "status": "current", "content": []});
    assert!(check_r4(&dr).unwrap_err()[0].contains("DocumentReference.content: empty array"));
}

#[test]
fn unknown_elements_are_rejected_at_top_level_and_in_backbones() {
    let m = json!({"resourceType": "MedicationRequest", "status": "active", "intent": "order",
        "medicationReference": {"reference": "Medication/m"}, "subject": {"reference": "Patient/p"},
        "context": {"reference": "Encounter/e"}, "flavour": "mint",
        "dosageInstruction": [{"doseQuantity": {"value": 1}}]});
    let errs = check_r4(&m).unwrap_err();
    for want in [
        "MedicationRequest.context: element not defined in R4",
        "MedicationRequest.flavour: element not defined in R4",
        "MedicationRequest.dosageInstruction[0].doseQuantity: element not defined in R4",
    ] {
        assert!(
            errs.iter().any(|e| e == want),
            "missing {want:?} in {errs:?}"
        );
    }
}

#[test]
fn every_problem_is_reported_not_just_the_first() {
    let i = json!({"resourceType": "Immunization", "status": "given", "notGiven": false,
        "date": "2020-01-01", "vaccineCode": "flu"});
    let errs = check_r4(&i).unwrap_err();
    assert_eq!(errs.len(), 6, "{errs:#?}");
}

#[test]
fn contained_resources_are_checked_too() {
    let c = json!({"resourceType": "Condition", "subject": {"reference": "#e"},
        "contained": [{"resourceType": "Encounter", "id": "e", "status": "finished"}]});
    assert_eq!(
        check_r4(&c),
        Err(vec![
            "Condition.contained[0]/Encounter.class: required element missing".to_string()
        ])
    );
}
