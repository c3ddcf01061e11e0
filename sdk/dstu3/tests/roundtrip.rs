//! `to_r4(to_dstu3(r4))` gives back the R4 resource for each core type, including R4 values
//! DSTU3 cannot state directly; the DSTU3 middle step is checked to really be DSTU3-shaped.

use hearth_dstu3::{check_r4, to_dstu3, to_r4};
use serde_json::{Value, json};

const THO: &str = "http://terminology.hl7.org/CodeSystem/";

/// Runs the round trip, checks the DSTU3 shape with `dstu3`, and requires an exact R4 match.
fn round_trip(r4: Value, dstu3: impl Fn(&Value)) {
    assert_eq!(check_r4(&r4), Ok(()), "test input must be valid R4");
    let r3 = to_dstu3(r4.clone()).unwrap_or_else(|e| panic!("to_dstu3 failed: {e}"));
    dstu3(&r3);
    assert!(
        check_r4(&r3).is_err(),
        "the DSTU3 form must not look like R4: {r3:#}"
    );
    let back = to_r4(r3.clone()).unwrap_or_else(|e| panic!("to_r4 failed: {e}\n{r3:#}"));
    assert_eq!(
        back, r4,
        "round trip changed the resource; DSTU3 was {r3:#}"
    );
}

#[test]
fn patient() {
    round_trip(
        json!({"resourceType": "Patient", "id": "p", "meta": {"lastUpdated": "2020-01-01T00:00:00Z"},
            "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/patient-animal",
                "extension": [{"url": "species", "valueCodeableConcept": {"text": "dog"}}]}],
            "identifier": [{"type": {"coding": [{"system": format!("{THO}v2-0203"), "code": "MR"}]}, "value": "1"}],
            "name": [{"family": "Rex"}], "gender": "male", "birthDate": "2015-01-01",
            "multipleBirthInteger": 2}),
        |r3| {
            assert_eq!(r3["animal"]["species"]["text"], "dog");
            assert_eq!(
                r3["identifier"][0]["type"]["coding"][0]["system"],
                "http://hl7.org/fhir/v2/0203"
            );
        },
    );
}

#[test]
fn condition() {
    round_trip(
        json!({"resourceType": "Condition", "id": "c",
            "clinicalStatus": {"coding": [{"system": format!("{THO}condition-clinical"), "code": "relapse"}]},
            "verificationStatus": {"coding": [{"system": format!("{THO}condition-ver-status"), "code": "confirmed"}]},
            "code": {"text": "asthma"}, "subject": {"reference": "Patient/p"},
            "encounter": {"reference": "Encounter/e"}, "onsetAge": {"value": 12, "unit": "a"},
            "abatementDateTime": "2020-01-01", "recordedDate": "2019-05-05",
            "recorder": {"reference": "Practitioner/r"},
            "stage": [{"summary": {"text": "mild"}}], "note": [{"text": "seasonal"}]}),
        |r3| {
            // `relapse` is R4-only: DSTU3 sees the nearest code, the full concept rides along.
            assert_eq!(r3["clinicalStatus"], "recurrence");
            assert_eq!(r3["verificationStatus"], "confirmed");
            assert_eq!(r3["context"]["reference"], "Encounter/e");
            assert_eq!(r3["assertedDate"], "2019-05-05");
            assert!(r3["stage"].is_object());
            assert!(r3.get("recorder").is_none());
        },
    );
}

#[test]
fn observation() {
    round_trip(
        json!({"resourceType": "Observation", "status": "amended",
            "category": [{"coding": [{"system": format!("{THO}observation-category"), "code": "laboratory"}]}],
            "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}]},
            "subject": {"reference": "Patient/p"}, "encounter": {"reference": "Encounter/e"},
            "effectiveDateTime": "2020-01-01", "issued": "2020-01-01T12:00:00Z",
            "valueQuantity": {"value": 5.8, "unit": "%"},
            "interpretation": [{"coding": [{"system": format!("{THO}v2-0078"), "code": "H"}]}],
            "note": [{"text": "fasting"}],
            "hasMember": [{"reference": "Observation/a"}], "derivedFrom": [{"reference": "Observation/b"}],
            "component": [{"code": {"text": "x"}, "valueString": "y"}]}),
        |r3| {
            assert_eq!(r3["comment"], "fasting");
            assert_eq!(r3["context"]["reference"], "Encounter/e");
            assert!(r3["interpretation"].is_object());
            assert_eq!(r3["related"][0]["type"], "has-member");
            assert_eq!(r3["related"][1]["type"], "derived-from");
            assert_eq!(
                r3["category"][0]["coding"][0]["system"],
                "http://hl7.org/fhir/observation-category"
            );
        },
    );
}

#[test]
fn medication_statement() {
    for (status, taken) in [
        ("not-taken", "n"),
        ("unknown", "unk"),
        ("active", "y"),
        ("intended", "na"),
    ] {
        let mut ms = json!({"resourceType": "MedicationStatement", "status": status,
            "medicationCodeableConcept": {"text": "aspirin"}, "subject": {"reference": "Patient/p"},
            "context": {"reference": "Encounter/e"}, "effectiveDateTime": "2020-01-01",
            "dosage": [{"text": "daily", "doseAndRate": [{"doseQuantity": {"value": 81, "unit": "mg"}}]}]});
        if status == "not-taken" {
            ms["statusReason"] = json!([{"text": "forgot"}]);
        }
        round_trip(ms, |r3| {
            assert_eq!(r3["taken"], taken, "{status}");
            assert_ne!(r3["status"], "not-taken");
            assert_ne!(r3["status"], "unknown");
            assert_eq!(r3["dosage"][0]["doseQuantity"]["value"], 81);
            if status == "not-taken" {
                assert_eq!(r3["reasonNotTaken"][0]["text"], "forgot");
            }
        });
    }
}

#[test]
fn medication_request() {
    round_trip(
        json!({"resourceType": "MedicationRequest", "status": "active", "intent": "filler-order",
            "category": [{"text": "outpatient"}], "priority": "urgent",
            "medicationReference": {"reference": "Medication/m"}, "subject": {"reference": "Patient/p"},
            "encounter": {"reference": "Encounter/e"}, "authoredOn": "2020-01-01",
            "requester": {"reference": "Practitioner/dr"},
            "instantiatesCanonical": ["http://example.org/PlanDefinition/x"],
            "reasonReference": [{"reference": "Condition/c"}],
            "dosageInstruction": [{"sequence": 1, "asNeededBoolean": false,
                "doseAndRate": [{"type": {"coding": [{"system": format!("{THO}dose-rate-type"), "code": "ordered"}]},
                                 "doseQuantity": {"value": 1}}]}],
            "dispenseRequest": {"numberOfRepeatsAllowed": 0, "quantity": {"value": 30}},
            "substitution": {"allowedBoolean": false}}),
        |r3| {
            assert_eq!(r3["intent"], "order");
            assert_eq!(r3["requester"]["agent"]["reference"], "Practitioner/dr");
            assert_eq!(r3["context"]["reference"], "Encounter/e");
            assert_eq!(
                r3["definition"][0]["reference"],
                "http://example.org/PlanDefinition/x"
            );
            assert!(r3["category"].is_object());
            assert_eq!(r3["dosageInstruction"][0]["doseQuantity"]["value"], 1);
            assert_eq!(r3["substitution"]["allowed"], false);
        },
    );
}

#[test]
fn allergy_intolerance() {
    round_trip(
        json!({"resourceType": "AllergyIntolerance",
            "clinicalStatus": {"coding": [{"system": format!("{THO}allergyintolerance-clinical"), "code": "resolved"}]},
            "verificationStatus": {"coding": [{"system": format!("{THO}allergyintolerance-verification"), "code": "unconfirmed"}]},
            "type": "intolerance", "category": ["medication"], "criticality": "low",
            "code": {"text": "penicillin"}, "patient": {"reference": "Patient/p"},
            "encounter": {"reference": "Encounter/e"}, "recordedDate": "2019-01-01",
            "reaction": [{"manifestation": [{"text": "rash"}], "severity": "mild"}]}),
        |r3| {
            assert_eq!(r3["clinicalStatus"], "resolved");
            assert_eq!(r3["verificationStatus"], "unconfirmed");
            assert_eq!(r3["assertedDate"], "2019-01-01");
            assert!(r3.get("encounter").is_none());
        },
    );
}

#[test]
fn immunization() {
    round_trip(
        json!({"resourceType": "Immunization", "status": "not-done",
            "statusReason": {"coding": [{"system": format!("{THO}v3-ActReason"), "code": "PATOBJ"}]},
            "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "140"}]},
            "patient": {"reference": "Patient/p"}, "encounter": {"reference": "Encounter/e"},
            "occurrenceDateTime": "2020-10-01", "recorded": "2020-10-02", "primarySource": true,
            "lotNumber": "L1",
            "performer": [{"function": {"text": "administering"}, "actor": {"reference": "Practitioner/n"}}],
            "reasonCode": [{"text": "season"}],
            "protocolApplied": [{"series": "2-dose", "targetDisease": [{"text": "flu"}],
                                 "doseNumberPositiveInt": 1, "seriesDosesPositiveInt": 2}]}),
        |r3| {
            assert_eq!(r3["notGiven"], true);
            assert_eq!(r3["status"], "completed");
            assert_eq!(r3["date"], "2020-10-01");
            assert_eq!(
                r3["explanation"]["reasonNotGiven"][0]["coding"][0]["system"],
                "http://hl7.org/fhir/v3/ActReason"
            );
            assert_eq!(r3["explanation"]["reason"][0]["text"], "season");
            assert_eq!(r3["practitioner"][0]["role"]["text"], "administering");
            assert_eq!(r3["vaccinationProtocol"][0]["doseSequence"], 1);
        },
    );
}

#[test]
fn procedure() {
    for (status, r3_status) in [
        ("not-done", "completed"),
        ("stopped", "aborted"),
        ("on-hold", "suspended"),
        ("completed", "completed"),
    ] {
        let mut p = json!({"resourceType": "Procedure", "status": status,
            "code": {"text": "appendectomy"}, "subject": {"reference": "Patient/p"},
            "encounter": {"reference": "Encounter/e"}, "performedPeriod": {"start": "2020-01-01"},
            "performer": [{"function": {"text": "surgeon"}, "actor": {"reference": "Practitioner/s"}}],
            "reasonReference": [{"reference": "Condition/c"}]});
        if status == "not-done" {
            p["statusReason"] = json!({"text": "refused"});
        }
        round_trip(p, |r3| {
            assert_eq!(r3["status"], r3_status);
            assert_eq!(
                r3["notDone"].as_bool().unwrap_or(false),
                status == "not-done"
            );
            assert_eq!(r3["performer"][0]["role"]["text"], "surgeon");
            assert_eq!(r3["context"]["reference"], "Encounter/e");
        });
    }
}

#[test]
fn encounter() {
    round_trip(
        json!({"resourceType": "Encounter", "status": "finished",
            "class": {"system": format!("{THO}v3-ActCode"), "code": "IMP"},
            "type": [{"text": "admission"}], "subject": {"reference": "Patient/p"},
            "basedOn": [{"reference": "ServiceRequest/r"}],
            "appointment": [{"reference": "Appointment/a"}],
            "period": {"start": "2020-01-01", "end": "2020-01-05"},
            "reasonCode": [{"text": "pneumonia"}],
            "diagnosis": [{"condition": {"reference": "Condition/c"}, "use": {"text": "AD"}, "rank": 1}],
            "hospitalization": {"admitSource": {"text": "er"}},
            "location": [{"location": {"reference": "Location/l"}, "status": "completed"}],
            "serviceProvider": {"reference": "Organization/o"}}),
        |r3| {
            assert_eq!(r3["reason"][0]["text"], "pneumonia");
            assert_eq!(r3["incomingReferral"][0]["reference"], "ServiceRequest/r");
            assert_eq!(r3["appointment"]["reference"], "Appointment/a");
            assert_eq!(r3["diagnosis"][0]["role"]["text"], "AD");
            assert_eq!(r3["class"]["system"], "http://hl7.org/fhir/v3/ActCode");
        },
    );
}

#[test]
fn diagnostic_report() {
    round_trip(
        json!({"resourceType": "DiagnosticReport", "status": "final",
            "category": [{"text": "LAB"}], "code": {"text": "panel"},
            "subject": {"reference": "Patient/p"}, "encounter": {"reference": "Encounter/e"},
            "effectiveDateTime": "2020-01-01", "issued": "2020-01-01T10:00:00Z",
            "performer": [{"reference": "Organization/lab"}],
            "result": [{"reference": "Observation/o"}],
            "media": [{"link": {"reference": "Media/m"}}],
            "conclusion": "normal", "conclusionCode": [{"text": "normal"}]}),
        |r3| {
            assert_eq!(r3["performer"][0]["actor"]["reference"], "Organization/lab");
            assert_eq!(r3["image"][0]["link"]["reference"], "Media/m");
            assert_eq!(r3["codedDiagnosis"][0]["text"], "normal");
            assert!(r3["category"].is_object());
        },
    );
}

#[test]
fn document_reference() {
    round_trip(
        json!({"resourceType": "DocumentReference", "status": "current", "docStatus": "final",
            "type": {"coding": [{"system": "http://loinc.org", "code": "34133-9"}]},
            "category": [{"text": "summary"}], "subject": {"reference": "Patient/p"},
            "date": "2020-01-01T10:00:00Z", "author": [{"reference": "Practitioner/a"}],
            "description": "discharge summary",
            "content": [{"attachment": {"contentType": "text/plain", "data": "aGk="}}],
            "context": {"encounter": [{"reference": "Encounter/e"}], "period": {"start": "2020-01-01"},
                        "related": [{"reference": "Patient/p"}]}}),
        |r3| {
            assert_eq!(r3["class"]["text"], "summary");
            assert_eq!(r3["indexed"], "2020-01-01T10:00:00Z");
            assert_eq!(r3["context"]["encounter"]["reference"], "Encounter/e");
            assert_eq!(r3["context"]["related"][0]["ref"]["reference"], "Patient/p");
        },
    );
}

#[test]
fn dstu3_side_drops_r4_only_elements() {
    let r3 = to_dstu3(
        json!({"resourceType": "Observation", "status": "final", "code": {"text": "x"},
        "focus": [{"reference": "Patient/p"}], "partOf": [{"reference": "Procedure/p"}]}),
    )
    .unwrap();
    assert!(
        r3.get("focus").is_none() && r3.get("partOf").is_none(),
        "{r3}"
    );
    assert_eq!(
        to_dstu3(json!({"resourceType": "Goal"})),
        Err(hearth_dstu3::ConvertError::Unsupported {
            resource_type: "Goal".into()
        })
    );
}
