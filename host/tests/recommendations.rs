//! Recommendations over a profile's records through the API: the built-in
//! immunization forecaster's groups with their evidence, setting one aside
//! and bringing it back, and the ImmDS `$immds-forecast` answer in FHIR.

mod common;

use common::Host;
use hearth_host::config::PluginLimits;
use serde_json::{Value, json};

fn child() -> Vec<Value> {
    vec![
        json!({"resource": {"resourceType": "Patient", "id": "kid", "gender": "female",
               "birthDate": "2025-09-06", "name": [{"family": "Doe", "given": ["Ada"]}]}}),
        json!({"resource": {"resourceType": "Immunization", "id": "dtap-1", "status": "completed",
               "patient": {"reference": "Patient/kid"}, "occurrenceDateTime": "2025-11-10",
               "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "107"}],
                               "text": "DTaP"}}}),
    ]
}

fn item<'a>(body: &'a Value, key: &str) -> Option<(&'a str, &'a Value)> {
    body["groups"].as_array()?.iter().find_map(|g| {
        g["items"]
            .as_array()?
            .iter()
            .find(|i| i["recommendation"]["key"] == key)
            .map(|i| (g["status"].as_str().unwrap_or_default(), i))
    })
}

#[tokio::test]
async fn a_childs_vaccines_due_with_their_evidence_and_dose_judgements() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let profile = host.new_profile("Ada").await;
    host.upload_entries(&profile, child()).await;
    let (status, body) = host
        .get(&format!(
            "/api/profiles/{profile}/recommendations?as_of=2026-01-20"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["as_of"], "2026-01-20");
    assert_eq!(body["failures"], json!([]), "{body}");
    let (group, dtap) = item(&body, "immunization-dtap-tdap-td").expect("a DTaP recommendation");
    assert_eq!(group, "due", "{dtap}");
    let r = &dtap["recommendation"];
    assert_eq!(r["title"], "DTaP/Tdap/Td vaccine, dose 2");
    // Dose 2: 4 weeks after dose 1 at the earliest, recommended at 4 months.
    assert_eq!(r["earliest"], "2025-12-08");
    assert_eq!(r["recommended"], "2026-01-06");
    assert_eq!(r["immunization"]["dose_number"], 2);
    assert_eq!(r["immunization"]["series_status"], "not-complete");
    let evidence: Vec<&str> = r["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(evidence, ["Patient/kid", "Immunization/dtap-1"]);
    assert!(
        r["guideline"]["url"]
            .as_str()
            .unwrap()
            .starts_with("https://www.cdc.gov/")
    );
    // A vaccine never given is due from its first dose, citing only the Patient.
    let (_, hep_b) = item(&body, "immunization-hepb").expect("HepB");
    assert_eq!(hep_b["recommendation"]["immunization"]["dose_number"], 1);
    assert_eq!(hep_b["recommendation"]["evidence"], json!(["Patient/kid"]));
    // The dose on record, judged for each of its antigens' group.
    let judged: Vec<&Value> = body["doses"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["immunization"] == "Immunization/dtap-1")
        .collect();
    assert_eq!(judged.len(), 1, "{judged:?}");
    assert_eq!(judged[0]["status"], "valid");
    assert_eq!(judged[0]["dose_number"], 1);
    assert_eq!(judged[0]["vaccine_group"], "DTaP/Tdap/Td");
}

#[tokio::test]
async fn a_recommendation_set_aside_is_listed_apart_until_brought_back() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let profile = host.new_profile("Ada").await;
    host.upload_entries(&profile, child()).await;
    let url = format!(
        "/api/profiles/{profile}/recommendations/immunizations/immunization-hepb/dismissal"
    );
    let put = |body: Value| {
        let client = host.client.clone();
        let target = format!("{}{url}", host.base);
        async move {
            let r = client.put(target).json(&body).send().await.expect("put");
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, problem) = put(json!({"reason": "   "})).await;
    assert_eq!(status, 422, "{problem}");
    let (status, problem) = put(json!({"reason": "x", "extra": 1})).await;
    assert_eq!(status, 422, "{problem}");
    let (status, saved) = put(json!({"reason": "Given abroad, papers coming"})).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["reason"], "Given abroad, papers coming");
    let (_, body) = host
        .get(&format!(
            "/api/profiles/{profile}/recommendations?as_of=2026-01-20"
        ))
        .await;
    let (group, hep_b) = item(&body, "immunization-hepb").expect("still listed");
    assert_eq!(group, "dismissed");
    assert_eq!(hep_b["dismissed"]["reason"], "Given abroad, papers coming");
    assert_eq!(
        body["groups"].as_array().unwrap().last().unwrap()["status"],
        "dismissed"
    );
    // An unknown rules plugin, and bringing back what was never set aside.
    let r = host
        .client
        .put(format!(
            "{}/api/profiles/{profile}/recommendations/nothing/x/dismissal",
            host.base
        ))
        .json(&json!({"reason": "because"}))
        .send()
        .await
        .expect("put");
    assert_eq!(r.status().as_u16(), 404);
    let delete = |target: String| {
        let client = host.client.clone();
        async move {
            client
                .delete(target)
                .send()
                .await
                .expect("delete")
                .status()
                .as_u16()
        }
    };
    assert_eq!(delete(format!("{}{url}", host.base)).await, 204);
    assert_eq!(delete(format!("{}{url}", host.base)).await, 404);
    let (_, body) = host
        .get(&format!(
            "/api/profiles/{profile}/recommendations?as_of=2026-01-20"
        ))
        .await;
    // Back where it stood: a birth dose never given is overdue.
    assert_eq!(item(&body, "immunization-hepb").expect("back").0, "overdue");
    let (status, problem) = host
        .get(&format!(
            "/api/profiles/{profile}/recommendations?as_of=tomorrow"
        ))
        .await;
    assert_eq!(status, 400, "{problem}");
}

#[tokio::test]
async fn the_immds_forecast_answers_in_fhir() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let profile = host.new_profile("Ada").await;
    host.upload_entries(&profile, child()).await;
    let r = host
        .client
        .get(format!(
            "{}/api/profiles/{profile}/$immds-forecast?assessmentDate=2026-01-20",
            host.base
        ))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "application/fhir+json");
    let p: Value = r.json().await.expect("json");
    assert_eq!(p["resourceType"], "Parameters");
    let params = p["parameter"].as_array().unwrap();
    let rec = &params
        .iter()
        .find(|x| x["name"] == "recommendation")
        .expect("recommendation")["resource"];
    assert_eq!(rec["resourceType"], "ImmunizationRecommendation");
    assert_eq!(rec["patient"]["reference"], "Patient/kid");
    let dtap = rec["recommendation"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["description"] == "DTaP/Tdap/Td vaccine, dose 2")
        .expect("DTaP");
    assert_eq!(dtap["forecastStatus"]["coding"][0]["code"], "notComplete");
    assert_eq!(dtap["doseNumberPositiveInt"], 2);
    assert_eq!(
        dtap["supportingImmunization"],
        json!([{"reference": "Immunization/dtap-1"}])
    );
    let dates: Vec<(&str, &str)> = dtap["dateCriterion"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["code"]["coding"][0]["code"].as_str().unwrap(),
                c["value"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(dates.contains(&("30981-5", "2025-12-08")), "{dates:?}");
    assert!(dates.contains(&("30980-7", "2026-01-06")), "{dates:?}");
    let evaluations: Vec<&Value> = params
        .iter()
        .filter(|x| x["name"] == "evaluation")
        .map(|x| &x["resource"])
        .collect();
    assert_eq!(evaluations.len(), 1);
    assert_eq!(evaluations[0]["resourceType"], "ImmunizationEvaluation");
    assert_eq!(
        evaluations[0]["immunizationEvent"]["reference"],
        "Immunization/dtap-1"
    );
    assert_eq!(evaluations[0]["doseStatus"]["coding"][0]["code"], "valid");
    // POSTed as the ImmDS guide does, with the day as a Parameters input.
    let (status, posted) = host
        .post(
            &format!("/api/profiles/{profile}/$immds-forecast"),
            &json!({"resourceType": "Parameters",
                    "parameter": [{"name": "assessmentDate", "valueDate": "2026-01-20"}]}),
        )
        .await;
    assert_eq!(status, 200, "{posted}");
    assert_eq!(posted, p, "the same forecast either way");
    let (status, problem) = host
        .post(
            &format!("/api/profiles/{profile}/$immds-forecast"),
            &json!({"resourceType": "Patient"}),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    let (status, problem) = host
        .post(
            &format!("/api/profiles/{profile}/$immds-forecast"),
            &json!({"resourceType": "Parameters",
                    "parameter": [{"name": "assessmentDate", "valueDate": "soon"}]}),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
}

#[tokio::test]
async fn an_adults_screenings_from_her_tests_and_procedures() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let profile = host.new_profile("Bea").await;
    host.upload_entries(
        &profile,
        vec![
            json!({"resource": {"resourceType": "Patient", "id": "bea", "gender": "female",
                   "birthDate": "1974-03-10", "name": [{"family": "Roe", "given": ["Bea"]}]}}),
            json!({"resource": {"resourceType": "DiagnosticReport", "id": "mammo", "status": "final",
                   "subject": {"reference": "Patient/bea"}, "effectiveDateTime": "2025-06-01",
                   "code": {"coding": [{"system": "http://loinc.org", "code": "24606-6"}],
                            "text": "Screening mammogram"}}}),
            json!({"resource": {"resourceType": "Procedure", "id": "colo", "status": "completed",
                   "subject": {"reference": "Patient/bea"}, "performedDateTime": "2020-04-02",
                   "code": {"coding": [{"system": "http://snomed.info/sct", "code": "73761001"}],
                            "text": "Colonoscopy"}}}),
            json!({"resource": {"resourceType": "Procedure", "id": "hyst", "status": "completed",
                   "subject": {"reference": "Patient/bea"}, "performedDateTime": "2015-09-09",
                   "code": {"coding": [{"system": "http://snomed.info/sct", "code": "116140006"}],
                            "text": "Total hysterectomy"}}}),
        ],
    )
    .await;
    let (status, body) = host
        .get(&format!(
            "/api/profiles/{profile}/recommendations?as_of=2026-12-05"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["failures"], json!([]), "{body}");
    let (group, breast) = item(&body, "breast-cancer-screening").expect("mammogram");
    assert_eq!(group, "complete");
    assert_eq!(breast["plugin"], "screenings");
    assert_eq!(breast["recommendation"]["recommended"], "2027-06-01");
    assert_eq!(
        breast["recommendation"]["evidence"],
        json!(["Patient/bea", "DiagnosticReport/mammo"])
    );
    let (group, colon) = item(&body, "colorectal-cancer-screening").expect("colorectal");
    assert_eq!(group, "complete", "{colon}");
    assert_eq!(colon["recommendation"]["recommended"], "2030-04-02");
    let (group, cervix) = item(&body, "cervical-cancer-screening").expect("cervical");
    assert_eq!(group, "not-recommended");
    assert_eq!(
        cervix["recommendation"]["evidence"],
        json!(["Patient/bea", "Procedure/hyst"])
    );
    // Never tested: HIV once, from 15, long overdue; not for a man's rule.
    let (group, hiv) = item(&body, "hiv-screening").expect("hiv");
    assert_eq!(group, "overdue", "{hiv}");
    assert!(item(&body, "aaa-screening").is_none());
    assert!(
        item(&body, "lung-cancer-screening").is_none(),
        "no smoking history on record"
    );
}

#[tokio::test]
async fn a_dose_done_elsewhere_typed_in_counts_in_the_forecast() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let profile = host.new_profile("Ada").await;
    host.upload_entries(&profile, child()).await;
    // Typed in as the page's "done elsewhere" does: the normal manual entry.
    let (status, made) = host
        .post(
            &format!("/api/profiles/{profile}/manual/Immunization"),
            &json!({"resourceType": "Immunization", "status": "completed",
                    "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "45"}],
                                    "text": "HepB"},
                    "occurrenceDateTime": "2026-01-10"}),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    let typed = format!("Immunization/{}", made["id"].as_str().expect("id"));
    let (status, body) = host
        .get(&format!(
            "/api/profiles/{profile}/recommendations?as_of=2026-01-20"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    // The typed-in record's stand-in Patient (no birth date) does not hide the real one.
    assert_eq!(body["failures"], json!([]), "{body}");
    let (_, hep_b) = item(&body, "immunization-hepb").expect("HepB");
    let r = &hep_b["recommendation"];
    assert_eq!(r["immunization"]["dose_number"], 2, "{r}");
    assert!(
        r["evidence"].as_array().unwrap().contains(&json!(typed)),
        "{r}"
    );
    let judged = body["doses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["immunization"] == typed)
        .expect("judged");
    assert_eq!(judged["status"], "valid");
    assert_eq!(judged["dose_number"], 1);
}
