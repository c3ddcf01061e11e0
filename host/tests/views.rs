//! SQL-on-FHIR views over a real host: `POST …/views/$run` reads one profile's records as
//! stored (digits included), narrows them through the index, keeps to its limits, and says
//! precisely what is wrong with a bad view.

mod common;

use common::Host;
use hearth_host::config::PluginLimits;
use serde_json::{Value, json};

const LOINC: &str = "http://loinc.org";

fn a1c(id: &str, date: &str, value: &str) -> Value {
    // The value is spliced in as text so the test controls its digits exactly.
    serde_json::from_str(&format!(
        r#"{{"resource": {{"resourceType": "Observation", "id": "{id}", "status": "final",
            "code": {{"coding": [{{"system": "{LOINC}", "code": "4548-4", "display": "Hemoglobin A1c"}}]}},
            "subject": {{"reference": "Patient/p1"}}, "effectiveDateTime": "{date}",
            "valueQuantity": {{"value": {value}, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}}}}}}"#
    ))
    .unwrap()
}

fn a1c_view() -> Value {
    json!({
        "resource": "Observation",
        "select": [{"column": [
            {"name": "id", "path": "getResourceKey()"},
            {"name": "date", "path": "effective.ofType(dateTime)", "type": "dateTime"},
            {"name": "value", "path": "value.ofType(Quantity).value", "type": "decimal"},
            {"name": "unit", "path": "value.ofType(Quantity).code", "type": "code"}
        ]}],
        "where": [{"path": "code.coding.exists(system = 'http://loinc.org' and code = '4548-4')"}]
    })
}

async fn run(host: &Host, profile: &str, body: &Value) -> (u16, String) {
    let r = host
        .client
        .post(format!("{}/api/profiles/{profile}/views/$run", host.base))
        .json(body)
        .send()
        .await
        .expect("request");
    (r.status().as_u16(), r.text().await.expect("body"))
}

#[tokio::test]
async fn a_view_reads_one_profiles_records_as_stored() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let glucose = json!({"resource": {"resourceType": "Observation", "id": "g1", "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "2345-7"}]}, "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2024-01-02", "valueQuantity": {"value": 99, "unit": "mg/dL"}}});
    host.upload_entries(
        &host.profile,
        vec![
            json!({"resource": {"resourceType": "Patient", "id": "p1", "name": [{"family": "Ng"}]}}),
            a1c("a1", "2023-01-10", "7.20"),
            a1c("a2", "2023-07-11", "6.90"),
            a1c("a3", "2024-01-12", "7.0"),
            glucose,
            json!({"resource": {"resourceType": "Observation", "id": "a4", "status": "final",
                "code": {"coding": [{"system": LOINC, "code": "4548-4"}, {"system": LOINC, "code": "17856-6"}]},
                "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2024-06-01",
                "valueQuantity": {"value": 6.8, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}}}),
        ],
    )
    .await;
    let other = host.new_profile("Sibling").await;
    host.upload_entries(
        &other,
        vec![
            json!({"resource": {"resourceType": "Patient", "id": "p9", "name": [{"family": "Ng"}]}}),
            a1c("b1", "2023-02-01", "9.9"),
        ],
    )
    .await;

    let (status, body) = run(&host, &host.profile, &json!({"view": a1c_view()})).await;
    assert_eq!(status, 200, "{body}");
    // The digits the file had, byte for byte, in the answer.
    for written in [r#""value":7.20,"#, r#""value":6.90,"#, r#""value":7.0,"#] {
        assert!(body.contains(written), "{written} missing from {body}");
    }
    let answer: Value = serde_json::from_str(&body).unwrap();
    let mut ids: Vec<&str> = answer["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            "Observation/a1",
            "Observation/a2",
            "Observation/a3",
            "Observation/a4"
        ],
        "no other profile's rows"
    );
    assert_eq!(
        answer["columns"][1],
        json!({"name": "date", "type": "dateTime", "collection": false})
    );
    assert_eq!(answer["truncated"], false);
    assert_eq!(
        answer["resources_read"], 5,
        "every Observation of the profile is read without a filter"
    );

    // A filter narrows through the index: only the A1c records are read.
    let (status, body) = run(
        &host,
        &host.profile,
        &json!({"view": a1c_view(), "filter": "code=http://loinc.org|4548-4&date=ge2023-06"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["resources_read"], 3);
    assert_eq!(answer["rows"].as_array().unwrap().len(), 3);

    // A record coded twice over (two A1c codes) is one match, read once, one row.
    let (status, body) = run(
        &host,
        &host.profile,
        &json!({"view": a1c_view(), "filter": "code=http://loinc.org|4548-4,http://loinc.org|17856-6"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["resources_read"], 4, "{body}");
    assert_eq!(answer["rows"].as_array().unwrap().len(), 4, "{body}");

    // The limit cuts the rows and says so.
    let (status, body) = run(
        &host,
        &host.profile,
        &json!({"view": a1c_view(), "limit": 1}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["rows"].as_array().unwrap().len(), 1);
    assert_eq!(answer["truncated"], true);

    // The sibling's profile answers with its own record only.
    let (status, body) = run(&host, &other, &json!({"view": a1c_view()})).await;
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["rows"].as_array().unwrap().len(), 1);
    assert_eq!(answer["rows"][0]["id"], "Observation/b1");
}

#[tokio::test]
async fn bad_views_and_bad_requests_get_precise_problems() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    host.upload_entries(
        &host.profile,
        vec![json!({"resource": {"resourceType": "Patient", "id": "p1",
            "name": [{"given": ["A", "B"]}]}})],
    )
    .await;
    let p = host.profile.clone();
    let cases = [
        (
            json!({"view": {"resource": "Patient", "select": [{"column": [{"name": "x", "path": "name.where("}]}]}}),
            422,
            "invalid-view",
            "select[0].column[0].path: bad FHIRPath",
        ),
        (
            json!({"view": {"resource": "Patient", "select": [{"forEach": "name", "column": [{"name": "x", "path": "%nope"}]}]}}),
            422,
            "invalid-view",
            "%nope is not a constant of this view",
        ),
        (
            json!({"view": {"resource": "Patient", "select": [{"column": [{"name": "given", "path": "name.given"}]}]}}),
            422,
            "view-failed",
            "on Patient/p1: gives 2 values",
        ),
        (
            json!({"view": {"resource": "Patient", "select": [{"column": [{"name": "id", "path": "id"}]}]}, "filter": "shoe-size=9"}),
            400,
            "unsupported-parameter",
            "shoe-size",
        ),
        (
            json!({"view": {"resource": "Patient", "select": [{"column": [{"name": "id", "path": "id"}]}]}, "limit": 0}),
            400,
            "invalid-query",
            "limit must be 1 to 10000",
        ),
        (
            json!({"view": {}, "extra": 1}),
            422,
            "invalid-body",
            "extra",
        ),
    ];
    for (request, status, kind, detail) in cases {
        let (got, body) = run(&host, &p, &request).await;
        let problem: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        assert_eq!(got, status, "{request} → {body}");
        assert_eq!(
            problem["type"],
            format!("urn:hearth:problem:{kind}"),
            "{body}"
        );
        assert!(
            problem["detail"]
                .as_str()
                .unwrap_or_default()
                .contains(detail),
            "{body}"
        );
    }
    // `collection: true` keeps them all.
    let (status, body) = run(
        &host,
        &p,
        &json!({"view": {"resource": "Patient", "select": [{"column": [{"name": "given", "path": "name.given", "collection": true}]}]}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""rows":[{"given":["A","B"]}]"#), "{body}");
}

/// Rows are kept between runs (a dashboard drawn again reads the index, not
/// every record), yet an edited record gives its new rows and a deleted one none.
#[tokio::test]
async fn a_view_run_again_follows_edits_and_deletions() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let profile = host.new_profile("Ann").await;
    let typed = |value: &str| -> Value {
        serde_json::from_str(&format!(
            r#"{{"resourceType": "Observation", "status": "final",
                "code": {{"coding": [{{"system": "{LOINC}", "code": "4548-4"}}]}},
                "effectiveDateTime": "2026-03-01",
                "valueQuantity": {{"value": {value}, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}}}}"#
        ))
        .unwrap()
    };
    let (status, made) = host
        .post(
            &format!("/api/profiles/{profile}/manual/Observation"),
            &typed("7.20"),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    let id = made["id"].as_str().expect("id").to_string();
    let body = json!({"view": a1c_view()});
    for _ in 0..2 {
        let (status, text) = run(&host, &profile, &body).await;
        assert_eq!(status, 200, "{text}");
        assert!(text.contains(r#""value":7.20"#), "{text}");
    }
    let r = host
        .client
        .put(format!(
            "{}/api/profiles/{profile}/manual/Observation/{id}",
            host.base
        ))
        .json(&typed("6.90"))
        .send()
        .await
        .expect("put");
    assert_eq!(r.status().as_u16(), 200);
    let (_, text) = run(&host, &profile, &body).await;
    assert!(
        text.contains(r#""value":6.90"#) && !text.contains("7.20"),
        "the edit shows: {text}"
    );
    let r = host
        .client
        .delete(format!(
            "{}/api/profiles/{profile}/manual/Observation/{id}",
            host.base
        ))
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status().as_u16(), 200);
    let (_, text) = run(&host, &profile, &body).await;
    let rows: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(
        rows["rows"],
        json!([]),
        "the deleted record is gone: {text}"
    );
}
