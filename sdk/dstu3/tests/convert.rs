//! DSTU3 → R4, one realistic resource per type: specific R4 fields, `check_r4` passes on the
//! output, DSTU3-only elements are gone, and `check_r4` rejects the DSTU3 original.

use hearth_dstu3::{ConvertError, check_r4, to_r4};
use serde_json::{Value, json};

const THO: &str = "http://terminology.hl7.org/CodeSystem/";
const XV3: &str = "http://hl7.org/fhir/3.0/StructureDefinition/extension-";

/// Converts, requires a clean R4 check, and requires the DSTU3 original to fail the check.
fn convert(r3: &Value) -> Value {
    let r4 = to_r4(r3.clone()).unwrap_or_else(|e| panic!("conversion failed: {e}"));
    if let Err(errs) = check_r4(&r4) {
        panic!("converted resource fails check_r4: {errs:#?}\n{r4:#}");
    }
    r4
}

fn assert_gone(r4: &Value, keys: &[&str]) {
    for k in keys {
        assert!(
            r4.get(k).is_none(),
            "DSTU3-only element `{k}` survived: {r4:#}"
        );
    }
}

fn assert_rejected(r3: &Value, needle: &str) {
    let errs = check_r4(r3).expect_err("the DSTU3 original must not pass as R4");
    assert!(
        errs.iter().any(|e| e.contains(needle)),
        "expected an error containing {needle:?}, got {errs:#?}"
    );
}

fn ext<'a>(v: &'a Value, url: &str) -> Option<&'a Value> {
    v["extension"].as_array()?.iter().find(|e| e["url"] == url)
}

#[test]
fn patient_animal_moves_to_the_standard_extension() {
    let r3 = json!({
        "resourceType": "Patient", "id": "p1",
        "meta": {"lastUpdated": "2019-01-01T00:00:00Z",
                 "profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient",
                             "http://hl7.org/fhir/STU3/StructureDefinition/Patient"]},
        "identifier": [{"system": "http://hospital.example/mrn", "value": "12345",
            "type": {"coding": [{"system": "http://hl7.org/fhir/v2/0203", "code": "MR"}]}}],
        "name": [{"family": "Chalmers", "given": ["Peter"]}],
        "gender": "male", "birthDate": "1974-12-25", "deceasedBoolean": false,
        "animal": {"species": {"coding": [{"system": "http://hl7.org/fhir/animal-species", "code": "canislf"}]}},
        "communication": [{"language": {"text": "English"}, "preferred": true}]
    });
    let r4 = convert(&r3);
    assert_gone(&r4, &["animal"]);
    let animal = ext(
        &r4,
        "http://hl7.org/fhir/StructureDefinition/patient-animal",
    )
    .expect("animal extension");
    assert_eq!(animal["extension"][0]["url"], "species");
    assert_eq!(
        animal["extension"][0]["valueCodeableConcept"]["coding"][0]["code"],
        "canislf"
    );
    assert_eq!(r4["meta"]["lastUpdated"], "2019-01-01T00:00:00Z");
    // A profile pinned to STU3 cannot describe R4 data; US Core's canonical URL stays.
    assert_eq!(
        r4["meta"]["profile"],
        json!(["http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"])
    );
    assert_eq!(
        r4["identifier"][0]["type"]["coding"][0]["system"],
        format!("{THO}v2-0203")
    );
    assert_eq!(r4["birthDate"], "1974-12-25");
    assert_rejected(&r3, "Patient.animal: element not defined in R4");
}

#[test]
fn condition_statuses_become_codeable_concepts() {
    let r3 = json!({
        "resourceType": "Condition", "id": "c1",
        "clinicalStatus": "active", "verificationStatus": "confirmed",
        "category": [{"coding": [{"system": "http://hl7.org/fhir/condition-category", "code": "problem-list-item"}]}],
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "44054006"}], "text": "Diabetes"},
        "subject": {"reference": "Patient/p1"},
        "context": {"reference": "Encounter/e1"},
        "onsetDateTime": "2010-03-01", "assertedDate": "2010-03-02",
        "asserter": {"reference": "Practitioner/dr"},
        "stage": {"summary": {"text": "stage 2"}},
        "note": [{"text": "diet controlled"}]
    });
    let r4 = convert(&r3);
    assert_eq!(
        r4["clinicalStatus"],
        json!({"coding": [{"system": format!("{THO}condition-clinical"), "code": "active"}]})
    );
    assert_eq!(
        r4["verificationStatus"]["coding"][0]["system"],
        format!("{THO}condition-ver-status")
    );
    assert_eq!(r4["verificationStatus"]["coding"][0]["code"], "confirmed");
    assert_eq!(r4["encounter"]["reference"], "Encounter/e1");
    assert_eq!(r4["recordedDate"], "2010-03-02");
    assert_eq!(r4["asserter"]["reference"], "Practitioner/dr");
    assert_eq!(r4["stage"][0]["summary"]["text"], "stage 2");
    assert_eq!(
        r4["category"][0]["coding"][0]["system"],
        format!("{THO}condition-category")
    );
    assert_gone(&r4, &["context", "assertedDate"]);
    assert_rejected(
        &r3,
        "Condition.clinicalStatus: expected a CodeableConcept object",
    );
    assert_rejected(&r3, "Condition.context: element not defined in R4");
}

#[test]
fn condition_unknown_verification_and_abatement_boolean() {
    let r3 = json!({
        "resourceType": "Condition", "verificationStatus": "unknown",
        "subject": {"reference": "Patient/p1"}, "abatementBoolean": true
    });
    let r4 = convert(&r3);
    // R4 has no `unknown` verification status: absence says the same.
    assert_gone(&r4, &["verificationStatus", "abatementBoolean"]);
    assert_eq!(
        ext(&r4, &format!("{XV3}Condition.abatement")).unwrap()["valueBoolean"],
        true
    );
    assert_eq!(r4["clinicalStatus"]["coding"][0]["code"], "inactive");
    assert_rejected(
        &r3,
        "Condition.abatementBoolean: type not allowed for abatement[x]",
    );
}

#[test]
fn condition_status_without_mapping_is_invalid() {
    let r3 = json!({"resourceType": "Condition", "clinicalStatus": "cured", "subject": {"reference": "Patient/p"}});
    assert_eq!(
        to_r4(r3),
        Err(ConvertError::Invalid {
            path: "Condition.clinicalStatus".into(),
            reason: "code 'cured' has no mapping".into()
        })
    );
}

#[test]
fn observation_context_comment_and_related() {
    let r3 = json!({
        "resourceType": "Observation", "status": "final",
        "category": [{"coding": [{"system": "http://hl7.org/fhir/observation-category", "code": "vital-signs"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "55284-4"}]},
        "subject": {"reference": "Patient/p1"}, "context": {"reference": "Encounter/e1"},
        "effectiveDateTime": "2020-01-01T10:00:00Z",
        "comment": "patient anxious",
        "interpretation": {"coding": [{"system": "http://hl7.org/fhir/v2/0078", "code": "H"}]},
        "related": [
            {"type": "has-member", "target": {"reference": "Observation/sys"}},
            {"type": "derived-from", "target": {"reference": "Observation/raw"}},
            {"type": "replaces", "target": {"reference": "Observation/old"}}
        ],
        "component": [{"code": {"text": "systolic"},
                       "valueQuantity": {"value": 150, "unit": "mmHg"},
                       "interpretation": {"text": "high"}}]
    });
    let r4 = convert(&r3);
    assert_eq!(r4["encounter"]["reference"], "Encounter/e1");
    assert_eq!(r4["note"], json!([{"text": "patient anxious"}]));
    assert_eq!(r4["hasMember"], json!([{"reference": "Observation/sys"}]));
    assert_eq!(r4["derivedFrom"], json!([{"reference": "Observation/raw"}]));
    assert_eq!(
        r4["interpretation"][0]["coding"][0]["system"],
        format!("{THO}v2-0078")
    );
    assert_eq!(r4["component"][0]["interpretation"][0]["text"], "high");
    assert_eq!(
        r4["category"][0]["coding"][0]["system"],
        format!("{THO}observation-category")
    );
    let rel = ext(&r4, &format!("{XV3}Observation.related")).expect("replaces kept");
    assert_eq!(rel["extension"][0]["valueCode"], "replaces");
    assert_gone(&r4, &["context", "comment", "related"]);
    assert_rejected(&r3, "Observation.interpretation: expected an array");
    assert_rejected(&r3, "Observation.comment: element not defined in R4");
}

#[test]
fn medication_statement_taken_folds_into_status() {
    let r3 = json!({
        "resourceType": "MedicationStatement", "status": "completed", "taken": "n",
        "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "197361"}]},
        "subject": {"reference": "Patient/p1"}, "context": {"reference": "Encounter/e1"},
        "effectivePeriod": {"start": "2019-01-01"},
        "reasonNotTaken": [{"text": "side effects"}],
        "dosage": [{"text": "1 daily", "doseQuantity": {"value": 1, "unit": "tablet"}}]
    });
    let r4 = convert(&r3);
    assert_eq!(r4["status"], "not-taken");
    assert_eq!(r4["statusReason"], json!([{"text": "side effects"}]));
    assert_eq!(r4["context"]["reference"], "Encounter/e1");
    assert_eq!(
        r4["dosage"][0]["doseAndRate"][0]["doseQuantity"]["value"],
        1
    );
    assert!(r4["dosage"][0].get("doseQuantity").is_none());
    assert_gone(&r4, &["taken", "reasonNotTaken"]);
    assert_rejected(&r3, "MedicationStatement.taken: element not defined in R4");
}

#[test]
fn medication_statement_unknown_taken_is_kept_and_bad_status_rejected() {
    let r3 = json!({"resourceType": "MedicationStatement", "status": "active", "taken": "unk",
        "medicationReference": {"reference": "Medication/m"}, "subject": {"reference": "Patient/p"}});
    let r4 = convert(&r3);
    assert_eq!(r4["status"], "active");
    assert_eq!(
        ext(&r4, &format!("{XV3}MedicationStatement.taken")).unwrap()["valueCode"],
        "unk"
    );
    let bad = json!({"resourceType": "MedicationStatement", "status": "not-taken", "taken": "n"});
    match to_r4(bad) {
        Err(ConvertError::Invalid { path, .. }) => assert_eq!(path, "MedicationStatement.status"),
        other => panic!("DSTU3 has no not-taken status: {other:?}"),
    }
}

#[test]
fn medication_request_requester_context_dosage() {
    let r3 = json!({
        "resourceType": "MedicationRequest", "status": "active", "intent": "order",
        "definition": [{"reference": "http://example.org/fhir/PlanDefinition/htn"},
                       {"reference": "ActivityDefinition/local"}],
        "category": {"coding": [{"system": "http://hl7.org/fhir/medication-request-category", "code": "outpatient"}]},
        "medicationReference": {"reference": "Medication/m1"},
        "subject": {"reference": "Patient/p1"}, "context": {"reference": "Encounter/e1"},
        "authoredOn": "2020-02-02",
        "requester": {"agent": {"reference": "Practitioner/dr"}, "onBehalfOf": {"reference": "Organization/o"}},
        "dosageInstruction": [{"sequence": 1, "timing": {"repeat": {"frequency": 1, "period": 6, "periodUnit": "h"}},
            "asNeededBoolean": false, "doseQuantity": {"value": 1},
            "rateRatio": {"numerator": {"value": 1}, "denominator": {"value": 1}}}],
        "substitution": {"allowed": true}
    });
    let r4 = convert(&r3);
    assert_eq!(r4["requester"], json!({"reference": "Practitioner/dr"}));
    assert_eq!(
        ext(&r4, &format!("{XV3}MedicationRequest.requester.onBehalfOf")).unwrap()["valueReference"]
            ["reference"],
        "Organization/o"
    );
    assert_eq!(r4["encounter"]["reference"], "Encounter/e1");
    assert_eq!(
        r4["instantiatesCanonical"],
        json!(["http://example.org/fhir/PlanDefinition/htn"])
    );
    assert_eq!(
        ext(&r4, &format!("{XV3}MedicationRequest.definition")).unwrap()["valueReference"]["reference"],
        "ActivityDefinition/local"
    );
    assert_eq!(
        r4["category"][0]["coding"][0]["system"],
        format!("{THO}medicationrequest-category")
    );
    let dr = &r4["dosageInstruction"][0]["doseAndRate"][0];
    assert_eq!(dr["doseQuantity"]["value"], 1);
    assert_eq!(dr["rateRatio"]["numerator"]["value"], 1);
    assert_eq!(r4["substitution"]["allowedBoolean"], true);
    assert_gone(&r4, &["context", "definition"]);
    assert_rejected(&r3, "MedicationRequest.category: expected an array");
    assert_rejected(
        &r3,
        "MedicationRequest.dosageInstruction[0].doseQuantity: element not defined in R4",
    );
}

#[test]
fn allergy_statuses_asserted_date_and_certainty() {
    let r3 = json!({
        "resourceType": "AllergyIntolerance",
        "clinicalStatus": "active", "verificationStatus": "confirmed",
        "type": "allergy", "category": ["food"], "criticality": "high",
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "300913006"}]},
        "patient": {"reference": "Patient/p1"},
        "onsetDateTime": "1980-01-01", "assertedDate": "1990-05-05",
        "reaction": [{"certainty": "likely", "manifestation": [{"text": "hives"}], "severity": "moderate"}]
    });
    let r4 = convert(&r3);
    assert_eq!(
        r4["clinicalStatus"]["coding"][0],
        json!({"system": format!("{THO}allergyintolerance-clinical"), "code": "active"})
    );
    assert_eq!(
        r4["verificationStatus"]["coding"][0],
        json!({"system": format!("{THO}allergyintolerance-verification"), "code": "confirmed"})
    );
    assert_eq!(r4["recordedDate"], "1990-05-05");
    assert_eq!(r4["onsetDateTime"], "1980-01-01");
    assert!(r4["reaction"][0].get("certainty").is_none());
    assert_eq!(r4["reaction"][0]["severity"], "moderate");
    assert_gone(&r4, &["assertedDate"]);
    assert_rejected(
        &r3,
        "AllergyIntolerance.clinicalStatus: expected a CodeableConcept object",
    );
    assert_rejected(
        &r3,
        "AllergyIntolerance.reaction[0].certainty: element not defined in R4",
    );
}

#[test]
fn immunization_not_given_practitioner_protocol() {
    let r3 = json!({
        "resourceType": "Immunization", "status": "completed", "notGiven": true,
        "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "140"}]},
        "patient": {"reference": "Patient/p1"}, "encounter": {"reference": "Encounter/e1"},
        "date": "2017-11-27T09:05:42-05:00", "primarySource": true,
        "practitioner": [{"role": {"coding": [{"system": "http://hl7.org/fhir/v2/0443", "code": "AP"}]},
                          "actor": {"reference": "Practitioner/nurse"}}],
        "explanation": {"reasonNotGiven": [{"coding": [{"system": "http://hl7.org/fhir/v3/ActReason", "code": "MEDPREC"}]}]},
        "reaction": [{"date": "2017-11-28", "detail": {"reference": "Observation/r"}, "reported": true}],
        "vaccinationProtocol": [{"doseSequence": 1, "series": "primary", "seriesDoses": 2,
            "targetDisease": [{"text": "influenza"}],
            "doseStatus": {"coding": [{"system": "http://hl7.org/fhir/vaccination-protocol-dose-status", "code": "count"}]}}]
    });
    let r4 = convert(&r3);
    assert_eq!(r4["status"], "not-done");
    assert_eq!(r4["occurrenceDateTime"], "2017-11-27T09:05:42-05:00");
    assert_eq!(r4["primarySource"], true);
    assert_eq!(
        r4["performer"][0]["function"]["coding"][0]["system"],
        format!("{THO}v2-0443")
    );
    assert_eq!(
        r4["performer"][0]["actor"]["reference"],
        "Practitioner/nurse"
    );
    assert_eq!(r4["statusReason"]["coding"][0]["code"], "MEDPREC");
    assert_eq!(r4["reaction"][0]["detail"]["reference"], "Observation/r");
    let pa = &r4["protocolApplied"][0];
    assert_eq!(pa["doseNumberPositiveInt"], 1);
    assert_eq!(pa["seriesDosesPositiveInt"], 2);
    assert_eq!(pa["series"], "primary");
    assert_eq!(
        ext(
            pa,
            &format!("{XV3}Immunization.vaccinationProtocol.doseStatus")
        )
        .unwrap()["valueCodeableConcept"]["coding"][0]["code"],
        "count"
    );
    assert_gone(
        &r4,
        &[
            "notGiven",
            "date",
            "practitioner",
            "explanation",
            "vaccinationProtocol",
        ],
    );
    assert_rejected(&r3, "Immunization.notGiven: element not defined in R4");
    assert_rejected(&r3, "Immunization.occurrence[x]: required element missing");
}

#[test]
fn immunization_reason_and_missing_date() {
    let r3 = json!({"resourceType": "Immunization", "status": "completed", "notGiven": false,
        "vaccineCode": {"text": "flu"}, "patient": {"reference": "Patient/p"}, "primarySource": false,
        "explanation": {"reason": [{"text": "travel"}]}});
    let r4 = convert(&r3);
    assert_eq!(r4["status"], "completed");
    assert_eq!(r4["reasonCode"], json!([{"text": "travel"}]));
    // R4 requires occurrence[x]; the DSTU3 record did not say when.
    assert_eq!(r4["occurrenceString"], "unknown");
}

#[test]
fn procedure_not_done_and_status_map() {
    let r3 = json!({
        "resourceType": "Procedure", "status": "suspended", "notDone": true,
        "notDoneReason": {"text": "patient refused"},
        "definition": [{"reference": "http://example.org/PlanDefinition/colonoscopy"}],
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "73761001"}]},
        "subject": {"reference": "Patient/p1"}, "context": {"reference": "Encounter/e1"},
        "performedPeriod": {"start": "2020-01-01T10:00:00Z"},
        "performer": [{"role": {"text": "surgeon"}, "actor": {"reference": "Practitioner/dr"}}],
        "reasonReference": {"reference": "Condition/c1"}
    });
    let r4 = convert(&r3);
    assert_eq!(r4["status"], "not-done");
    assert_eq!(r4["statusReason"]["text"], "patient refused");
    assert_eq!(r4["encounter"]["reference"], "Encounter/e1");
    assert_eq!(r4["performer"][0]["function"]["text"], "surgeon");
    assert_eq!(
        r4["instantiatesCanonical"][0],
        "http://example.org/PlanDefinition/colonoscopy"
    );
    // Synthea writes reasonReference as a bare object; R4 output must be an array.
    assert_eq!(
        r4["reasonReference"],
        json!([{"reference": "Condition/c1"}])
    );
    assert_gone(&r4, &["notDone", "notDoneReason", "context", "definition"]);
    assert_rejected(
        &r3,
        "Procedure.status: 'suspended' is not in the required value set",
    );

    let aborted = json!({"resourceType": "Procedure", "status": "aborted", "subject": {"reference": "Patient/p"}});
    assert_eq!(convert(&aborted)["status"], "stopped");
}

#[test]
fn encounter_reason_referral_diagnosis() {
    let r3 = json!({
        "resourceType": "Encounter", "status": "finished",
        "class": {"system": "http://hl7.org/fhir/v3/ActCode", "code": "AMB"},
        "type": [{"text": "checkup"}], "subject": {"reference": "Patient/p1"},
        "incomingReferral": [{"reference": "ReferralRequest/rr"}],
        "appointment": {"reference": "Appointment/a"},
        "period": {"start": "2020-01-01T10:00:00Z", "end": "2020-01-01T11:00:00Z"},
        "reason": [{"text": "cough"}],
        "diagnosis": [{"condition": {"reference": "Condition/c1"}, "role": {"coding": [{"system": "http://hl7.org/fhir/diagnosis-role", "code": "AD"}]}, "rank": 1}],
        "statusHistory": [{"status": "arrived", "period": {"start": "2020-01-01T09:50:00Z"}}],
        "participant": [{"individual": {"reference": "Practitioner/dr"}}],
        "hospitalization": {"dischargeDisposition": {"text": "home"}},
        "serviceProvider": {"reference": "Organization/o"}
    });
    let r4 = convert(&r3);
    assert_eq!(r4["class"]["system"], format!("{THO}v3-ActCode"));
    assert_eq!(r4["reasonCode"], json!([{"text": "cough"}]));
    assert_eq!(r4["basedOn"], json!([{"reference": "ReferralRequest/rr"}]));
    assert_eq!(r4["appointment"], json!([{"reference": "Appointment/a"}]));
    assert_eq!(
        r4["diagnosis"][0]["use"]["coding"][0],
        json!({"system": format!("{THO}diagnosis-role"), "code": "AD"})
    );
    assert!(r4["diagnosis"][0].get("role").is_none());
    assert_eq!(
        r4["hospitalization"]["dischargeDisposition"]["text"],
        "home"
    );
    assert_gone(&r4, &["reason", "incomingReferral"]);
    assert_rejected(&r3, "Encounter.reason: element not defined in R4");
    assert_rejected(
        &r3,
        "Encounter.diagnosis[0].role: element not defined in R4",
    );
}

#[test]
fn encounter_without_class_gets_unknown() {
    let r3 = json!({"resourceType": "Encounter", "status": "planned"});
    let r4 = convert(&r3);
    assert_eq!(r4["class"]["code"], "UNK");
    assert_rejected(&r3, "Encounter.class: required element missing");
}

#[test]
fn diagnostic_report_performer_image_coded_diagnosis() {
    let r3 = json!({
        "resourceType": "DiagnosticReport", "status": "final",
        "category": {"coding": [{"system": "http://hl7.org/fhir/v2/0074", "code": "LAB"}]},
        "code": {"coding": [{"system": "http://loinc.org", "code": "51990-0"}]},
        "subject": {"reference": "Patient/p1"}, "context": {"reference": "Encounter/e1"},
        "effectiveDateTime": "2020-01-01", "issued": "2020-01-02T00:00:00Z",
        "performer": [{"role": {"text": "lab"}, "actor": {"reference": "Organization/lab"}}],
        "result": [{"reference": "Observation/o1"}],
        "image": [{"comment": "chest", "link": {"reference": "Media/m1"}}],
        "codedDiagnosis": [{"text": "normal"}],
        "identifier": [{"value": "rep-1"}]
    });
    let r4 = convert(&r3);
    assert_eq!(r4["performer"][0]["reference"], "Organization/lab");
    assert_eq!(
        ext(
            &r4["performer"][0],
            &format!("{XV3}DiagnosticReport.performer.role")
        )
        .unwrap()["valueCodeableConcept"]["text"],
        "lab"
    );
    assert_eq!(r4["encounter"]["reference"], "Encounter/e1");
    assert_eq!(
        r4["media"],
        json!([{"comment": "chest", "link": {"reference": "Media/m1"}}])
    );
    assert_eq!(r4["conclusionCode"], json!([{"text": "normal"}]));
    assert_eq!(
        r4["category"][0]["coding"][0]["system"],
        format!("{THO}v2-0074")
    );
    assert_eq!(r4["identifier"][0]["value"], "rep-1");
    assert_gone(&r4, &["context", "image", "codedDiagnosis"]);
    assert_rejected(&r3, "DiagnosticReport.image: element not defined in R4");
}

#[test]
fn document_reference_class_indexed_created_context() {
    let r3 = json!({
        "resourceType": "DocumentReference", "status": "current", "docStatus": "appended",
        "type": {"coding": [{"system": "http://loinc.org", "code": "34133-9"}]},
        "class": {"coding": [{"system": "http://ihe.net/xds/connectathon/classCodes", "code": "History and Physical"}]},
        "subject": {"reference": "Patient/p1"},
        "created": "2005-12-24T09:35:00+11:00", "indexed": "2005-12-24T09:43:41+11:00",
        "content": [{"attachment": {"contentType": "application/pdf", "url": "Binary/b1"}}],
        "context": {"encounter": {"reference": "Encounter/e1"},
                    "related": [{"identifier": {"value": "ext-1"}, "ref": {"reference": "Patient/p1"}}]}
    });
    let r4 = convert(&r3);
    assert_eq!(r4["date"], "2005-12-24T09:43:41+11:00");
    assert_eq!(
        r4["category"][0]["coding"][0]["code"],
        "History and Physical"
    );
    assert_eq!(r4["docStatus"], "amended");
    assert_eq!(
        ext(&r4, &format!("{XV3}DocumentReference.created")).unwrap()["valueDateTime"],
        "2005-12-24T09:35:00+11:00"
    );
    assert_eq!(
        r4["context"]["encounter"],
        json!([{"reference": "Encounter/e1"}])
    );
    assert_eq!(
        r4["context"]["related"],
        json!([{"reference": "Patient/p1", "identifier": {"value": "ext-1"}}])
    );
    assert_eq!(r4["content"][0]["attachment"]["url"], "Binary/b1");
    assert_gone(&r4, &["class", "created", "indexed"]);
    assert_rejected(
        &r3,
        "DocumentReference.context.encounter: expected an array",
    );
    assert_rejected(&r3, "DocumentReference.indexed: element not defined in R4");
}

#[test]
fn pass_through_types_get_their_few_fixes() {
    let loc = convert_any(
        json!({"resourceType": "Location", "name": "Ward 1", "type": {"text": "ward"}}),
    );
    assert_eq!(loc["type"], json!([{"text": "ward"}]));

    let med = convert_any(
        json!({"resourceType": "Medication", "code": {"text": "Aleve"}, "isBrand": true,
        "ingredient": [{"itemCodeableConcept": {"text": "naproxen"}, "amount": {"numerator": {"value": 220}, "denominator": {"value": 1}}}],
        "package": {"batch": [{"lotNumber": "L1"}]}}),
    );
    assert_eq!(med["ingredient"][0]["strength"]["numerator"]["value"], 220);
    assert_eq!(med["batch"]["lotNumber"], "L1");
    assert_gone(&med, &["isBrand", "package"]);
    assert_eq!(check_r4(&med), Ok(()));

    let plan = convert_any(
        json!({"resourceType": "CarePlan", "status": "suspended", "intent": "order",
        "subject": {"reference": "Patient/p"}, "context": {"reference": "Encounter/e"},
        "activity": [{"detail": {"status": "in-progress", "prohibited": false, "statusReason": "waiting",
            "code": {"text": "diet"}}}]}),
    );
    assert_eq!(plan["status"], "on-hold");
    assert_eq!(plan["encounter"]["reference"], "Encounter/e");
    assert_eq!(plan["activity"][0]["detail"]["doNotPerform"], false);
    assert_eq!(
        plan["activity"][0]["detail"]["statusReason"]["text"],
        "waiting"
    );
    assert_eq!(check_r4(&plan), Ok(()));

    let goal = convert_any(
        json!({"resourceType": "Goal", "status": "achieved", "description": {"text": "A1c < 7"},
        "subject": {"reference": "Patient/p"}, "target": {"measure": {"text": "A1c"}}}),
    );
    assert_eq!(goal["lifecycleStatus"], "completed");
    assert_eq!(goal["achievementStatus"]["coding"][0]["code"], "achieved");
    assert_eq!(goal["target"][0]["measure"]["text"], "A1c");
    assert_gone(&goal, &["status"]);
    assert_eq!(check_r4(&goal), Ok(()));

    let team = convert_any(
        json!({"resourceType": "CareTeam", "status": "active", "context": {"reference": "Encounter/e"},
        "participant": [{"role": {"text": "nurse"}, "member": {"reference": "Practitioner/n"}}]}),
    );
    assert_eq!(team["participant"][0]["role"], json!([{"text": "nurse"}]));
    assert_eq!(team["encounter"]["reference"], "Encounter/e");

    for same in [
        json!({"resourceType": "Practitioner", "name": [{"family": "Who"}], "gender": "female"}),
        json!({"resourceType": "Organization", "name": "Acme", "type": [{"text": "prov"}]}),
    ] {
        assert_eq!(convert_any(same.clone()), same);
    }
}

fn convert_any(r3: Value) -> Value {
    to_r4(r3).unwrap_or_else(|e| panic!("conversion failed: {e}"))
}

#[test]
fn procedure_and_referral_requests_become_service_requests() {
    let pr = convert(
        &json!({"resourceType": "ProcedureRequest", "status": "suspended", "intent": "order",
        "code": {"text": "MRI"}, "subject": {"reference": "Patient/p"}, "context": {"reference": "Encounter/e"},
        "requester": {"agent": {"reference": "Practitioner/dr"}}, "performer": {"reference": "Organization/rad"}}),
    );
    assert_eq!(pr["resourceType"], "ServiceRequest");
    assert_eq!(pr["status"], "on-hold");
    assert_eq!(pr["requester"]["reference"], "Practitioner/dr");
    assert_eq!(pr["performer"], json!([{"reference": "Organization/rad"}]));

    let rr = convert(
        &json!({"resourceType": "ReferralRequest", "status": "active", "intent": "order",
        "type": {"text": "cardiology consult"}, "subject": {"reference": "Patient/p"},
        "recipient": [{"reference": "Practitioner/cardio"}], "description": "chest pain on exertion"}),
    );
    assert_eq!(rr["resourceType"], "ServiceRequest");
    assert_eq!(rr["code"]["text"], "cardiology consult");
    assert_eq!(
        rr["performer"],
        json!([{"reference": "Practitioner/cardio"}])
    );
    assert_eq!(rr["note"][0]["text"], "chest pain on exertion");
    assert_eq!(rr["category"][0]["coding"][0]["code"], "3457005");
    assert_gone(&rr, &["type", "recipient", "description"]);
}

#[test]
fn types_without_a_simple_r4_home_are_unsupported() {
    for rt in [
        "Claim",
        "ExplanationOfBenefit",
        "BodySite",
        "ProcessRequest",
        "Sequence",
    ] {
        assert_eq!(
            to_r4(json!({"resourceType": rt})),
            Err(ConvertError::Unsupported {
                resource_type: rt.into()
            })
        );
    }
}

#[test]
fn bundle_entries_and_contained_resources_are_converted() {
    let b = json!({"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:1", "resource": {"resourceType": "Condition", "clinicalStatus": "resolved",
            "subject": {"reference": "urn:uuid:p"},
            "contained": [{"resourceType": "Encounter", "id": "e", "status": "finished",
                           "class": {"code": "AMB"}, "reason": [{"text": "x"}]}]}}
    ]});
    let r4 = to_r4(b).unwrap();
    let cond = &r4["entry"][0]["resource"];
    assert_eq!(cond["clinicalStatus"]["coding"][0]["code"], "resolved");
    assert_eq!(cond["contained"][0]["reasonCode"], json!([{"text": "x"}]));
    assert_eq!(check_r4(cond), Ok(()));
}

#[test]
fn goals_without_a_subject_get_it_from_their_bundle_or_are_rejected() {
    // R4 requires Goal.subject; DSTU3 does not, and Synthea's DSTU3 goals have none.
    let goal = json!({"resourceType": "Goal", "id": "g", "status": "in-progress",
        "description": {"text": "A1c < 7"}, "addresses": [{"reference": "urn:uuid:c"}]});
    match to_r4(goal.clone()) {
        Err(ConvertError::Invalid { path, .. }) => assert_eq!(path, "Goal.subject"),
        other => panic!("expected Invalid, got {other:?}"),
    }
    let entry = |url: &str, res: Value| json!({"fullUrl": url, "resource": res});
    let patient = entry("urn:uuid:p", json!({"resourceType": "Patient", "id": "p"}));
    let condition = entry(
        "urn:uuid:c",
        json!({"resourceType": "Condition", "clinicalStatus": "active",
            "subject": {"reference": "urn:uuid:p2"}}),
    );
    let plan = entry(
        "urn:uuid:cp",
        json!({"resourceType": "CarePlan", "status": "active", "intent": "order",
            "subject": {"reference": "urn:uuid:p3"}, "goal": [{"reference": "Goal/g"}]}),
    );
    let subject_in = |entries: Vec<Value>| {
        let b = json!({"resourceType": "Bundle", "type": "collection", "entry": entries});
        let r4 = to_r4(b).unwrap_or_else(|e| panic!("bundle conversion failed: {e}"));
        assert_eq!(hearth_dstu3::check_r4_issues(&r4), vec![]);
        r4["entry"][0]["resource"]["subject"]["reference"].clone()
    };
    let g = entry("urn:uuid:g", goal);
    // The CarePlan that lists the goal comes first, then an addressed Condition, then the
    // bundle's only Patient.
    assert_eq!(
        subject_in(vec![g.clone(), patient.clone(), condition.clone(), plan]),
        "urn:uuid:p3"
    );
    assert_eq!(
        subject_in(vec![g.clone(), patient.clone(), condition]),
        "urn:uuid:p2"
    );
    assert_eq!(subject_in(vec![g, patient]), "urn:uuid:p");
}
