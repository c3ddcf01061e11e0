use super::*;
use serde_json::json;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 28).expect("a real date")
}

fn bad(path: &str, reason: &str) -> Result<(), Invalid> {
    Err(Invalid {
        path: path.into(),
        reason: reason.into(),
    })
}

fn manual(value: &Value) -> Result<(), Invalid> {
    let resource_type = value["resourceType"].as_str().unwrap_or_default();
    check_manual(resource_type, value, today())
}

/// `value` with `key` set (`null` removes it).
fn with(mut value: Value, key: &str, new: Value) -> Value {
    if let Some(object) = value.as_object_mut() {
        if new.is_null() {
            object.remove(key);
        } else {
            object.insert(key.to_string(), new);
        }
    }
    value
}

fn coded(system: &str, code: &str) -> Value {
    json!({ "coding": [{ "system": system, "code": code }] })
}

fn condition() -> Value {
    json!({ "resourceType": "Condition", "code": { "text": "Asthma" } })
}
fn medication_statement() -> Value {
    json!({
        "resourceType": "MedicationStatement",
        "status": "active",
        "medicationCodeableConcept": coded("http://www.nlm.nih.gov/research/umls/rxnorm", "197361"),
    })
}
fn allergy() -> Value {
    json!({ "resourceType": "AllergyIntolerance", "code": { "text": "Peanut" } })
}
fn immunization() -> Value {
    json!({
        "resourceType": "Immunization",
        "status": "completed",
        "vaccineCode": coded("http://hl7.org/fhir/sid/cvx", "140"),
        "occurrenceDateTime": "2025-10-01",
    })
}
fn procedure() -> Value {
    json!({
        "resourceType": "Procedure",
        "status": "completed",
        "code": coded("http://snomed.info/sct", "22298006"),
    })
}
fn encounter() -> Value {
    json!({
        "resourceType": "Encounter",
        "status": "finished",
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "AMB",
        },
    })
}
fn observation() -> Value {
    json!({
        "resourceType": "Observation",
        "status": "final",
        "code": coded("http://loinc.org", "8480-6"),
        "valueQuantity": { "value": 120, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]" },
    })
}
fn practitioner() -> Value {
    json!({ "resourceType": "Practitioner", "name": [{ "family": "Smith" }] })
}

fn all_minimal() -> Vec<Value> {
    vec![
        condition(),
        medication_statement(),
        allergy(),
        immunization(),
        procedure(),
        encounter(),
        observation(),
        practitioner(),
    ]
}

#[test]
fn dates_are_real_calendar_dates_at_three_precisions() {
    for ok in ["2024", "2024-02", "2024-02-29", "0001-01-01", "9999-12-31"] {
        assert!(is_date(ok), "{ok}");
    }
    for no in [
        "2023-02-30",
        "2020-13",
        "2020-00",
        "0000",
        "yesterday",
        "24",
        "2024-2-1",
        "2024-02-29T",
        "2024/02/01",
        "20240201",
        "",
        "２０２４",
    ] {
        assert!(!is_date(no), "{no}");
    }
}

#[test]
fn date_times_are_dates_or_full_times_with_a_zone() {
    for ok in [
        "2020",
        "2020-01",
        "2020-01-01",
        "2020-01-01T10:00:00Z",
        "2020-01-01T10:00:00.123+02:00",
        "2020-01-01T23:59:59-14:00",
    ] {
        assert!(is_date_time(ok), "{ok}");
    }
    for no in [
        "2020-01-01T10:00",
        "2020-01-01T10:00:00",
        "2020-01-01t10:00:00Z",
        "2020-01-01T10:00:00z",
        "2020-01-01 10:00:00Z",
        "2020-01-01T24:00:00Z",
        "2020-01-01T10:00:00.Z",
        "2020-01-01T10:00:00.1234567890Z",
        "2020-01-01T10:00:00+15:00",
        "2020-01-01T10:00:00+0200",
        "2023-02-30T10:00:00Z",
        "yesterday",
    ] {
        assert!(!is_date_time(no), "{no}");
    }
}

#[test]
fn instants_need_the_full_time_form() {
    assert!(is_instant("2020-01-01T10:00:00Z"));
    assert!(is_instant("2020-01-01T10:00:00.5-05:00"));
    assert!(!is_instant("2020-01-01"));
    assert!(!is_instant("2020"));
    assert!(!is_instant("2020-01-01T10:00Z"));
}

#[test]
fn check_resource_refuses_non_objects_and_bad_type_or_id() {
    assert_eq!(check_resource(&json!([1])), bad("", "is not a JSON object"));
    assert_eq!(
        check_resource(&json!({})),
        bad("resourceType", "is required")
    );
    assert_eq!(
        check_resource(&json!({ "resourceType": "condition" })),
        bad("resourceType", "is not a FHIR resource type name")
    );
    assert_eq!(
        check_resource(&json!({ "resourceType": 7 })),
        bad("resourceType", "is not a FHIR resource type name")
    );
    assert_eq!(
        check_resource(&json!({ "resourceType": "Patient", "id": "a b" })),
        bad("id", "is not a FHIR id (1-64 of A-Z a-z 0-9 - .)")
    );
    assert_eq!(
        check_resource(&json!({ "resourceType": "Patient", "id": 12 })),
        bad("id", "is not a FHIR id (1-64 of A-Z a-z 0-9 - .)")
    );
    assert_eq!(
        check_resource(&json!({ "resourceType": "Patient" })),
        Ok(())
    );
    assert_eq!(
        check_resource(&json!({ "resourceType": "Patient", "id": "p-1.a" })),
        Ok(())
    );
}

#[test]
fn check_resource_checks_meta_and_clinical_dates_by_type() {
    let obs = |extra: Value| {
        let mut v = json!({ "resourceType": "Observation" });
        if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        check_resource(&v)
    };
    assert_eq!(
        obs(json!({ "meta": { "lastUpdated": "2020-01-01" } })),
        bad("meta.lastUpdated", "is not a valid FHIR instant")
    );
    assert_eq!(
        obs(json!({ "meta": { "lastUpdated": "2020-01-01T00:00:00Z" } })),
        Ok(())
    );
    assert_eq!(
        obs(json!({ "effectivePeriod": { "start": "2020-01-01T10:00" } })),
        bad("effectivePeriod.start", "is not a valid FHIR dateTime")
    );
    assert_eq!(
        obs(json!({ "effectiveDateTime": 2020 })),
        bad("effectiveDateTime", "is not a valid FHIR dateTime")
    );
    assert_eq!(
        obs(json!({ "issued": "2020-01-01" })),
        bad("issued", "is not a valid FHIR instant")
    );
    assert_eq!(obs(json!({ "effectiveDateTime": "2020-05" })), Ok(()));
    assert_eq!(
        check_resource(&json!({ "resourceType": "Patient", "birthDate": "2000-01-01T00:00:00Z" })),
        bad("birthDate", "is not a valid FHIR date")
    );
    assert_eq!(
        check_resource(&json!({ "resourceType": "Practitioner", "birthDate": "1970-02-30" })),
        bad("birthDate", "is not a valid FHIR date")
    );
    assert_eq!(
        check_resource(&json!({ "resourceType": "Condition", "onsetDateTime": "yesterday" })),
        bad("onsetDateTime", "is not a valid FHIR dateTime")
    );
}

#[test]
fn check_resource_walks_references_and_codings_at_any_depth() {
    let r = |v: Value| check_resource(&v);
    assert_eq!(
        r(json!({ "resourceType": "Observation", "code": { "coding": [
            { "system": "http://loinc.org", "code": "8480-6" },
            { "system": "http://loinc .org", "code": "8480-6" },
        ] } })),
        bad(
            "code.coding[1].system",
            "must be a non-empty URI without whitespace"
        )
    );
    assert_eq!(
        r(json!({ "resourceType": "Observation", "subject": { "reference": "" } })),
        bad("subject.reference", "must be a non-empty string")
    );
    assert_eq!(
        r(json!({ "resourceType": "Observation", "subject": { "reference": 5 } })),
        bad("subject.reference", "must be a non-empty string")
    );
    assert_eq!(
        r(json!({ "resourceType": "Observation", "component": [
            { "code": { "text": "a" } },
            { "code": { "coding": [{ "code": " 8462-4" }] } },
        ] })),
        bad(
            "component[1].code.coding[0].code",
            "must be a non-empty string without leading or trailing whitespace"
        )
    );
    assert_eq!(
        r(json!({ "resourceType": "Observation", "code": { "coding": { "code": "x" } } })),
        bad("code.coding", "must be an array of Codings")
    );
    assert_eq!(
        r(json!({ "resourceType": "Observation", "code": { "coding": ["x"] } })),
        bad("code.coding[0]", "must be a Coding (an object)")
    );
    assert_eq!(
        r(json!({ "resourceType": "Observation", "code": { "coding": [{ "system": "" }] } })),
        bad(
            "code.coding[0].system",
            "must be a non-empty URI without whitespace"
        )
    );
    assert_eq!(
        r(json!({ "resourceType": "Bundle", "entry": [{ "resource": {
            "resourceType": "Encounter", "extension": [{ "valueReference": { "reference": "" } }]
        } }] })),
        bad(
            "entry[0].resource.extension[0].valueReference.reference",
            "must be a non-empty string"
        )
    );
    // Primitive extensions (`_x`) are walked like anything else.
    assert_eq!(
        r(
            json!({ "resourceType": "Patient", "_gender": { "extension": [{ "valueReference": { "reference": null } }] } })
        ),
        bad(
            "_gender.extension[0].valueReference.reference",
            "must be a non-empty string"
        )
    );
}

#[test]
fn check_resource_limits_nesting_depth() {
    let nest = |levels: usize| {
        let mut v = json!({});
        for _ in 1..levels - 1 {
            v = json!({ "a": v });
        }
        json!({ "resourceType": "Basic", "a": v })
    };
    assert_eq!(check_resource(&nest(MAX_DEPTH)), Ok(()));
    let too_deep = check_resource(&nest(MAX_DEPTH + 1)).expect_err("too deep");
    assert_eq!(too_deep.reason, "nested too deeply");
    assert_eq!(too_deep.path, vec!["a"; MAX_DEPTH].join("."));
    let mut arrays = json!([]);
    for _ in 0..100 {
        arrays = json!([arrays]);
    }
    let arrays = check_resource(&json!({ "resourceType": "Basic", "x": arrays }));
    assert_eq!(
        arrays.map_err(|e| e.reason),
        Err("nested too deeply".into())
    );
}

#[test]
fn minimal_manual_records_of_every_type_pass() {
    for value in all_minimal() {
        assert_eq!(manual(&value), Ok(()), "{value}");
    }
}

#[test]
fn manual_requires_each_required_field() {
    let cases: [(Value, &[&str]); 8] = [
        (condition(), &["code"]),
        (
            medication_statement(),
            &["status", "medicationCodeableConcept"],
        ),
        (allergy(), &["code"]),
        (
            immunization(),
            &["status", "vaccineCode", "occurrenceDateTime"],
        ),
        (procedure(), &["status", "code"]),
        (encounter(), &["status", "class"]),
        (observation(), &["status", "code"]),
        (practitioner(), &["name"]),
    ];
    for (value, required) in cases {
        for key in required {
            assert_eq!(
                manual(&with(value.clone(), key, Value::Null)),
                bad(key, "is required"),
                "{key} of {value}"
            );
        }
    }
    assert_eq!(
        manual(&with(observation(), "valueQuantity", Value::Null)),
        bad(
            "value[x]",
            "is required: one of valueQuantity, valueCodeableConcept, valueString, \
             valueBoolean, valueInteger, or a non-empty component"
        )
    );
    assert_eq!(
        manual(&with(
            with(observation(), "valueQuantity", Value::Null),
            "component",
            json!([])
        )),
        bad(
            "value[x]",
            "is required: one of valueQuantity, valueCodeableConcept, valueString, \
             valueBoolean, valueInteger, or a non-empty component"
        )
    );
    assert_eq!(
        manual(&with(practitioner(), "name", json!([]))),
        bad("name", "is required")
    );
}

#[test]
fn required_codeable_concepts_need_text_or_coded_codings() {
    assert_eq!(
        manual(&with(condition(), "code", json!({ "text": " " }))),
        bad("code", "needs a non-empty text or coding")
    );
    assert_eq!(
        manual(&with(condition(), "code", json!({ "coding": [] }))),
        bad("code", "needs a non-empty text or coding")
    );
    assert_eq!(
        manual(&with(condition(), "code", json!("Asthma"))),
        bad("code", "must be a CodeableConcept (an object)")
    );
    assert_eq!(
        manual(&with(
            condition(),
            "code",
            json!({ "coding": [{ "system": "http://snomed.info/sct", "code": "195967001" }, { "display": "Asthma" }] })
        )),
        bad("code.coding[1].code", "is required")
    );
    assert_eq!(
        manual(&with(
            condition(),
            "code",
            coded("http://snomed.info/sct", "195967001")
        )),
        Ok(())
    );
}

#[test]
fn manual_refuses_unknown_statuses() {
    let cases = [
        (
            medication_statement(),
            "must be one of active, completed, entered-in-error, intended, stopped, on-hold, unknown, not-taken",
        ),
        (
            immunization(),
            "must be one of completed, entered-in-error, not-done",
        ),
        (
            procedure(),
            "must be one of preparation, in-progress, not-done, on-hold, stopped, completed, entered-in-error, unknown",
        ),
        (
            encounter(),
            "must be one of planned, arrived, triaged, in-progress, onleave, finished, cancelled, entered-in-error, unknown",
        ),
        (
            observation(),
            "must be one of registered, preliminary, final, amended, corrected, cancelled, entered-in-error, unknown",
        ),
    ];
    for (value, reason) in cases {
        assert_eq!(
            manual(&with(value.clone(), "status", json!("done"))),
            bad("status", reason),
            "{value}"
        );
        assert_eq!(
            manual(&with(value, "status", json!(1))),
            bad("status", reason)
        );
    }
}

#[test]
fn manual_refuses_future_dates() {
    let future = "is in the future";
    let cases = [
        (condition(), "onsetDateTime"),
        (condition(), "abatementDateTime"),
        (condition(), "recordedDate"),
        (allergy(), "onsetDateTime"),
        (allergy(), "recordedDate"),
        (immunization(), "occurrenceDateTime"),
        (procedure(), "performedDateTime"),
        (observation(), "effectiveDateTime"),
    ];
    for (value, key) in cases {
        for (date, ok) in [
            ("2026-11-29", false),
            ("2026-12", false),
            ("2027", false),
            ("2026-11-28", true),
            ("2026-11", true),
            ("2026", true),
            ("2026-11-28T23:30:00-05:00", true),
            ("2026-11-29T00:30:00+02:00", false),
        ] {
            let result = manual(&with(value.clone(), key, json!(date)));
            let expected = if ok { Ok(()) } else { bad(key, future) };
            assert_eq!(result, expected, "{key} = {date}");
        }
    }
    assert_eq!(
        manual(&with(
            procedure(),
            "performedPeriod",
            json!({ "start": "2026-12-01" })
        )),
        bad("performedPeriod.start", future)
    );
    // Plans may lie ahead.
    assert_eq!(
        manual(&with(
            with(medication_statement(), "status", json!("intended")),
            "effectivePeriod",
            json!({ "start": "2027-01-01" })
        )),
        Ok(())
    );
    assert_eq!(
        manual(&with(
            with(encounter(), "status", json!("planned")),
            "period",
            json!({ "start": "2027-01-01T09:00:00Z" })
        )),
        Ok(())
    );
}

#[test]
fn manual_refuses_malformed_dates() {
    for date in ["2023-02-30", "2020-13", "yesterday", "2020-01-01T10:00"] {
        assert_eq!(
            manual(&with(condition(), "abatementDateTime", json!(date))),
            bad("abatementDateTime", "is not a valid FHIR dateTime"),
            "{date}"
        );
        assert_eq!(
            manual(&with(
                medication_statement(),
                "effectivePeriod",
                json!({ "start": "2020-01-01", "end": date })
            )),
            bad("effectivePeriod.end", "is not a valid FHIR dateTime"),
            "{date}"
        );
        assert_eq!(
            manual(&with(encounter(), "period", json!({ "end": date }))),
            bad("period.end", "is not a valid FHIR dateTime"),
            "{date}"
        );
    }
    assert_eq!(
        manual(&with(
            immunization(),
            "occurrenceDateTime",
            json!("2020-01-01T10:00")
        )),
        bad("occurrenceDateTime", "is not a valid FHIR dateTime")
    );
    assert_eq!(
        manual(&with(encounter(), "period", json!("2020"))),
        bad("period", "must be a Period (an object)")
    );
}

#[test]
fn manual_refuses_ends_before_starts() {
    let condition_dates = |onset: &str, abatement: &str| {
        let v = with(condition(), "onsetDateTime", json!(onset));
        manual(&with(v, "abatementDateTime", json!(abatement)))
    };
    assert_eq!(
        condition_dates("2020-05-01", "2020-04-30"),
        bad("abatementDateTime", "is before onsetDateTime")
    );
    assert_eq!(
        condition_dates("2020-05-01", "2020-05"),
        Ok(()),
        "same month"
    );
    assert_eq!(condition_dates("2020-05-01", "2020-05-01"), Ok(()));
    assert_eq!(
        condition_dates("2020-05-01T10:00:00+02:00", "2020-05-01T09:00:00Z"),
        Ok(()),
        "later once zones are applied"
    );
    assert_eq!(
        condition_dates("2020-05-01T10:00:00Z", "2020-05-01T11:00:00+02:00"),
        bad("abatementDateTime", "is before onsetDateTime")
    );
    let periods = [
        (medication_statement(), "effectivePeriod"),
        (procedure(), "performedPeriod"),
        (encounter(), "period"),
    ];
    for (value, key) in periods {
        let swapped = json!({ "start": "2021-03-02", "end": "2021-03-01" });
        assert_eq!(
            manual(&with(value.clone(), key, swapped)),
            bad(&format!("{key}.end"), &format!("is before {key}.start"))
        );
        let ordered = json!({ "start": "2021-03-01", "end": "2021-03-02T08:00:00Z" });
        assert_eq!(manual(&with(value, key, ordered)), Ok(()));
    }
}

#[test]
fn clinical_statuses_use_their_code_systems() {
    let status =
        |system: &str, code: &str| json!({ "coding": [{ "system": system, "code": code }] });
    assert_eq!(
        manual(&with(
            condition(),
            "clinicalStatus",
            status(CONDITION_CLINICAL, "remission")
        )),
        Ok(())
    );
    assert_eq!(
        manual(&with(
            condition(),
            "clinicalStatus",
            status(CONDITION_CLINICAL, "cured")
        )),
        bad(
            "clinicalStatus.coding[0].code",
            "must be one of active, recurrence, relapse, inactive, remission, resolved"
        )
    );
    assert_eq!(
        manual(&with(
            condition(),
            "clinicalStatus",
            status(ALLERGY_CLINICAL, "active")
        )),
        bad(
            "clinicalStatus.coding",
            &format!("needs a coding with system {CONDITION_CLINICAL}")
        )
    );
    assert_eq!(
        manual(&with(
            condition(),
            "clinicalStatus",
            json!({ "text": "active" })
        )),
        bad(
            "clinicalStatus.coding",
            &format!("needs a coding with system {CONDITION_CLINICAL}")
        )
    );
    assert_eq!(
        manual(&with(
            allergy(),
            "clinicalStatus",
            status(ALLERGY_CLINICAL, "resolved")
        )),
        Ok(())
    );
    assert_eq!(
        manual(&with(
            allergy(),
            "clinicalStatus",
            status(ALLERGY_CLINICAL, "remission")
        )),
        bad(
            "clinicalStatus.coding[0].code",
            "must be one of active, inactive, resolved"
        )
    );
}

#[test]
fn allergy_criticality_and_category() {
    assert_eq!(
        manual(&with(allergy(), "criticality", json!("unable-to-assess"))),
        Ok(())
    );
    assert_eq!(
        manual(&with(allergy(), "criticality", json!("severe"))),
        bad("criticality", "must be one of low, high, unable-to-assess")
    );
    assert_eq!(
        manual(&with(allergy(), "category", json!(["food", "biologic"]))),
        Ok(())
    );
    assert_eq!(
        manual(&with(allergy(), "category", json!(["food", "drug"]))),
        bad(
            "category[1]",
            "must be one of food, medication, environment, biologic"
        )
    );
    assert_eq!(
        manual(&with(allergy(), "category", json!("food"))),
        bad("category", "must be an array")
    );
}

#[test]
fn encounter_class_is_a_coding() {
    assert_eq!(
        manual(&with(encounter(), "class", json!({ "system": "x" }))),
        bad("class.code", "is required")
    );
    assert_eq!(
        manual(&with(encounter(), "class", json!("AMB"))),
        bad("class", "must be a Coding (an object)")
    );
}

#[test]
fn observation_values_and_components() {
    let obs = || with(observation(), "valueQuantity", Value::Null);
    assert_eq!(
        manual(&with(
            observation(),
            "valueQuantity",
            json!({ "unit": "mmHg" })
        )),
        bad("valueQuantity.value", "is required")
    );
    assert_eq!(
        manual(&with(
            observation(),
            "valueQuantity",
            json!({ "value": "120" })
        )),
        bad("valueQuantity.value", "must be a number")
    );
    assert_eq!(
        manual(&with(
            observation(),
            "valueQuantity",
            json!({ "value": 120, "system": "http://example.org/units", "code": "mmHg" })
        )),
        bad(
            "valueQuantity.system",
            "must be http://unitsofmeasure.org when a code is given"
        )
    );
    assert_eq!(
        manual(&with(
            observation(),
            "valueQuantity",
            json!({ "value": 1.5, "system": "http://example.org/units" })
        )),
        Ok(()),
        "no code, nothing to compare"
    );
    assert_eq!(
        manual(&with(obs(), "valueString", json!("negative"))),
        Ok(())
    );
    assert_eq!(
        manual(&with(obs(), "valueString", json!(""))),
        bad("valueString", "must be a non-empty string")
    );
    assert_eq!(manual(&with(obs(), "valueBoolean", json!(false))), Ok(()));
    assert_eq!(
        manual(&with(obs(), "valueBoolean", json!("false"))),
        bad("valueBoolean", "must be true or false")
    );
    assert_eq!(manual(&with(obs(), "valueInteger", json!(3))), Ok(()));
    assert_eq!(
        manual(&with(obs(), "valueInteger", json!(3.5))),
        bad("valueInteger", "must be an integer")
    );
    assert_eq!(
        manual(&with(obs(), "valueCodeableConcept", json!({}))),
        bad("valueCodeableConcept", "needs a non-empty text or coding")
    );
    let quantity =
        |v: Value| json!({ "value": v, "unit": "mm[Hg]", "system": UCUM, "code": "mm[Hg]" });
    let components = |second: Value| {
        json!([
            { "code": coded("http://loinc.org", "8480-6"), "valueQuantity": quantity(json!(120)) },
            second,
        ])
    };
    let diastolic = json!({ "code": coded("http://loinc.org", "8462-4"), "valueQuantity": quantity(json!(80)) });
    assert_eq!(
        manual(&with(obs(), "component", components(diastolic))),
        Ok(())
    );
    assert_eq!(
        manual(&with(
            obs(),
            "component",
            components(
                json!({ "code": coded("http://loinc.org", "8462-4"), "valueQuantity": quantity(json!("80")) })
            )
        )),
        bad("component[1].valueQuantity.value", "must be a number")
    );
    assert_eq!(
        manual(&with(
            obs(),
            "component",
            components(json!({ "code": coded("http://loinc.org", "8462-4") }))
        )),
        bad(
            "component[1].value[x]",
            "is required: one of valueQuantity, valueCodeableConcept, valueString, valueBoolean, valueInteger"
        )
    );
    assert_eq!(
        manual(&with(
            obs(),
            "component",
            components(json!({ "valueQuantity": quantity(json!(80)) }))
        )),
        bad("component[1].code", "is required")
    );
    assert_eq!(
        manual(&with(obs(), "component", json!({}))),
        bad("component", "must be an array")
    );
}

#[test]
fn practitioner_names_and_telecom() {
    assert_eq!(
        manual(&with(
            practitioner(),
            "name",
            json!([{ "text": "Dr. Jane Smith" }])
        )),
        Ok(())
    );
    assert_eq!(
        manual(&with(
            practitioner(),
            "name",
            json!([{ "given": ["Jane"] }])
        )),
        bad("name[0]", "needs family or text")
    );
    assert_eq!(
        manual(&with(practitioner(), "name", json!({ "family": "Smith" }))),
        bad("name", "must be an array of HumanNames")
    );
    let telecom = |points: Value| manual(&with(practitioner(), "telecom", points));
    assert_eq!(
        telecom(json!([
            { "system": "phone", "value": "+1 555 0100" },
            { "system": "email", "value": "jane@example.org" },
        ])),
        Ok(())
    );
    assert_eq!(
        telecom(json!([{ "system": "phone" }, { "system": "telegram", "value": "x" }])),
        bad(
            "telecom[1].system",
            "must be one of phone, fax, email, pager, url, sms, other"
        )
    );
    for address in [
        "jane.example.org",
        "jane@@example.org",
        "a@b@c",
        "@example.org",
        "jane@",
    ] {
        assert_eq!(
            telecom(json!([{ "system": "email", "value": address }])),
            bad("telecom[0].value", "is not an email address"),
            "{address}"
        );
    }
}

#[test]
fn manual_checks_the_requested_type() {
    assert_eq!(
        check_manual("Condition", &allergy(), today()),
        bad("resourceType", "expected Condition")
    );
    let patient = json!({ "resourceType": "Patient" });
    assert_eq!(
        check_manual("Patient", &patient, today()),
        bad("resourceType", SUPPORTED)
    );
    assert_eq!(
        SUPPORTED,
        "manual entry supports Condition, MedicationStatement, AllergyIntolerance, \
         Immunization, Procedure, Encounter, Observation, Practitioner"
    );
    assert_eq!(
        check_manual("Condition", &json!("Condition"), today()),
        bad("", "is not a JSON object"),
        "structural checks run first"
    );
    assert_eq!(
        manual(&with(condition(), "subject", json!({ "reference": "" }))),
        bad("subject.reference", "must be a non-empty string")
    );
}

#[test]
fn loinc_check_digits() {
    for ok in [
        "2345-7",
        "8480-6",
        "8462-4",
        "4548-4",
        "29463-7",
        "718-7",
        "LA6576-8",
        "LP14082-9",
    ] {
        assert_eq!(loinc(ok), Ok(()), "{ok}");
    }
    assert_eq!(
        loinc("2345-6"),
        Err("is not a valid LOINC code (check digit)")
    );
    assert_eq!(
        loinc("8480-5"),
        Err("is not a valid LOINC code (check digit)")
    );
    for no in [
        "2345",
        "2345-",
        "2345-77",
        "12345678-9",
        "-7",
        "A345-7",
        "LX123-4",
        "LA-1",
    ] {
        assert_eq!(loinc(no), Err("is not a valid LOINC code (format)"), "{no}");
    }
}

#[test]
fn snomed_verhoeff_check_digits() {
    for ok in ["38341003", "44054006", "195967001", "73211009", "22298006"] {
        assert_eq!(snomed(ok), Ok(()), "{ok}");
    }
    assert_eq!(
        snomed("38341004"),
        Err("is not a valid SNOMED CT code (check digit)")
    );
    assert_eq!(
        snomed("44054007"),
        Err("is not a valid SNOMED CT code (check digit)")
    );
    for no in ["12345", "038341003", "3834100A", "1234567890123456789"] {
        assert_eq!(
            snomed(no),
            Err("is not a valid SNOMED CT code (format)"),
            "{no}"
        );
    }
}

#[test]
fn rxnorm_cvx_and_icd10_shapes() {
    let rx = "http://www.nlm.nih.gov/research/umls/rxnorm";
    assert_eq!(check_code(rx, "197361"), Ok(()));
    assert_eq!(
        check_code(rx, "12345678901"),
        Err("is not a valid RxNorm code")
    );
    assert_eq!(check_code(rx, "RX1"), Err("is not a valid RxNorm code"));
    let cvx = "http://hl7.org/fhir/sid/cvx";
    assert_eq!(check_code(cvx, "08"), Ok(()));
    assert_eq!(check_code(cvx, "1408"), Err("is not a valid CVX code"));
    for system in [
        "http://hl7.org/fhir/sid/icd-10-cm",
        "http://hl7.org/fhir/sid/icd-10",
    ] {
        for ok in ["J45", "J45.909", "E11.9", "S72.001A", "U07.1", "C4A.0"] {
            assert_eq!(check_code(system, ok), Ok(()), "{ok}");
        }
        for no in ["j45", "J4", "J45.", "J45.90901", "J4590", "145.0", "J45 .9"] {
            assert_eq!(
                check_code(system, no),
                Err("is not a valid ICD-10 code"),
                "{no}"
            );
        }
    }
    assert_eq!(check_code("http://example.org", "anything"), Ok(()));
}

#[test]
fn manual_checks_codes_anywhere_in_the_record() {
    assert_eq!(
        manual(&with(
            observation(),
            "code",
            coded("http://loinc.org", "2345-6")
        )),
        bad(
            "code.coding[0].code",
            "is not a valid LOINC code (check digit)"
        )
    );
    assert_eq!(
        manual(&with(
            condition(),
            "code",
            coded("http://snomed.info/sct", "38341004")
        )),
        bad(
            "code.coding[0].code",
            "is not a valid SNOMED CT code (check digit)"
        )
    );
    let obs = with(observation(), "valueQuantity", Value::Null);
    let value = json!({ "text": "Positive", "coding": [
        { "system": "http://snomed.info/sct", "code": "10828004" },
        { "system": "http://loinc.org", "code": "123-4" },
    ] });
    assert_eq!(
        manual(&with(obs, "valueCodeableConcept", value)),
        bad(
            "valueCodeableConcept.coding[1].code",
            "is not a valid LOINC code (check digit)"
        )
    );
    assert_eq!(
        manual(&with(
            immunization(),
            "reasonCode",
            json!([{ "text": "x" }, coded("http://hl7.org/fhir/sid/icd-10-cm", "z23")])
        )),
        bad("reasonCode[1].coding[0].code", "is not a valid ICD-10 code")
    );
    // Bulk import stores what it is given: no code-system checks there.
    let imported = with(observation(), "code", coded("http://loinc.org", "2345-6"));
    assert_eq!(check_resource(&imported), Ok(()));
}
