//! Bad input gets a precise JSON problem and changes nothing.

mod common;

use common::Host;
use hearth_host::config::PluginLimits;
use serde_json::{Value, json};

async fn assert_problem(response: reqwest::Response, status: u16, kind: &str) -> Value {
    assert_eq!(response.status().as_u16(), status);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let body: Value = response.json().await.expect("problem body is JSON");
    assert_eq!(body["type"], format!("urn:hearth:problem:{kind}"), "{body}");
    assert_eq!(body["status"], status);
    assert!(!body["detail"].as_str().unwrap_or_default().is_empty());
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_creation_rejects_bad_input_and_stores_nothing() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let url = format!("{}{}", host.base, host.at("/sources"));
    let c = &host.client;
    let post = |body: String| {
        c.post(&url)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };

    let p = assert_problem(
        post("{\"fhir_base_url\": ".into()).await.unwrap(),
        400,
        "malformed-json",
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("EOF"), "{p}");
    let p = assert_problem(
        post(json!({"fhir_base_url": "http://x"}).to_string())
            .await
            .unwrap(),
        422,
        "invalid-body",
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("patient_id"), "{p}");
    let p = assert_problem(
        post(json!({"fhir_base_url": "http://x", "patient_id": "p", "access_token": "t", "extra": 1}).to_string()).await.unwrap(),
        422,
        "invalid-body",
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("extra"), "{p}");

    let cases = [
        (
            json!({"fhir_base_url": "not a url", "patient_id": "p", "access_token": "t"}),
            "fhir_base_url",
        ),
        (
            json!({"fhir_base_url": "ftp://x/fhir", "patient_id": "p", "access_token": "t"}),
            "fhir_base_url",
        ),
        (
            json!({"fhir_base_url": "https://u:pw@x/fhir", "patient_id": "p", "access_token": "t"}),
            "fhir_base_url",
        ),
        (
            json!({"fhir_base_url": "https://x/fhir?a=1", "patient_id": "p", "access_token": "t"}),
            "fhir_base_url",
        ),
        (
            json!({"fhir_base_url": "https://x/fhir", "patient_id": "a/b", "access_token": "t"}),
            "patient_id",
        ),
        (
            json!({"fhir_base_url": "https://x/fhir", "patient_id": "p", "access_token": ""}),
            "access_token",
        ),
        (
            json!({"fhir_base_url": "https://x/fhir", "patient_id": "p", "access_token": "bad token"}),
            "access_token",
        ),
        (
            json!({"fhir_base_url": "https://x/fhir", "patient_id": "p", "access_token": "t", "name": ""}),
            "name",
        ),
    ];
    for (body, field) in cases {
        let p = assert_problem(post(body.to_string()).await.unwrap(), 422, "invalid-field").await;
        assert!(
            p["detail"]
                .as_str()
                .unwrap()
                .starts_with(&format!("`{field}`")),
            "{p}"
        );
    }
    let p = assert_problem(
        post(json!({"fhir_base_url": "https://x/fhir", "patient_id": "p", "access_token": "t", "connector": "nope"}).to_string())
            .await
            .unwrap(),
        422,
        "unknown-connector",
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("nope"));

    // Wrong content type, and a body over the limit.
    assert_problem(
        c.post(&url).body("{}").send().await.unwrap(),
        415,
        "unsupported-media-type",
    )
    .await;
    let huge = json!({"fhir_base_url": "https://x/fhir", "patient_id": "p", "access_token": "t", "name": "n".repeat(2 << 20)});
    assert_problem(post(huge.to_string()).await.unwrap(), 413, "body-too-large").await;

    // A fresh connection: the server may close the one whose body it refused mid-upload.
    let fresh = common::bearer_client(&host.token);
    let (status, list) = common::call(
        &fresh,
        &host.base,
        reqwest::Method::GET,
        &host.at("/sources"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(
        list["sources"].as_array().map(Vec::len),
        Some(0),
        "nothing was stored: {list}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_things_are_404_and_bad_queries_400() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let c = &host.client;
    let get = |path: &str| c.get(format!("{}{path}", host.base)).send();
    assert_problem(get("/api/nothing-here").await.unwrap(), 404, "not-found").await;
    assert_problem(
        get(&host.at("/sources/abc")).await.unwrap(),
        404,
        "not-found",
    )
    .await;
    assert_problem(
        c.post(format!("{}{}", host.base, host.at("/sources/abc/sync")))
            .send()
            .await
            .unwrap(),
        404,
        "not-found",
    )
    .await;
    assert_problem(
        get(&host.at("/records/Patient/nobody")).await.unwrap(),
        404,
        "not-found",
    )
    .await;
    assert_problem(
        get(&host.at("/records/Patient/a%2Fb")).await.unwrap(),
        400,
        "invalid-path",
    )
    .await;
    assert_problem(
        get(&host.at("/records?type=lower")).await.unwrap(),
        400,
        "invalid-query",
    )
    .await;
    assert_problem(
        get(&host.at("/records?page=0")).await.unwrap(),
        400,
        "invalid-query",
    )
    .await;
    assert_problem(
        get(&host.at("/records?per_page=5000")).await.unwrap(),
        400,
        "invalid-query",
    )
    .await;
    assert_problem(
        get(&host.at("/records?page=abc")).await.unwrap(),
        400,
        "invalid-query",
    )
    .await;
    assert_problem(
        get(&host.at("/records?colour=red")).await.unwrap(),
        400,
        "invalid-query",
    )
    .await;
    assert_problem(
        c.delete(format!("{}/api/health", host.base))
            .send()
            .await
            .unwrap(),
        405,
        "method-not-allowed",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_encrypted_at_rest_and_never_returned() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let token = "very-secret-provider-token-1234567890";
    let id = host
        .add_source("https://ehr.example.org/fhir", "p1", token, "fhir-r4")
        .await;
    let (_, source) = host.get(&host.at(&format!("/sources/{id}"))).await;
    assert!(!source.to_string().contains(token));
    let (_, list) = host.get(&host.at("/sources")).await;
    assert!(!list.to_string().contains(token));
    // Nothing in the data folder holds the token in the clear (WAL included).
    for entry in std::fs::read_dir(host.data.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
                "{} holds the token",
                path.display()
            );
        }
    }
}

/// Upload `body` as NDJSON into the owner's profile (`query` after the path).
async fn ndjson_upload(
    host: &Host,
    query: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    host.client
        .post(format!("{}{}{query}", host.base, host.at("/imports")))
        .header("content-type", "application/fhir+ndjson")
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_queries_and_uploads_get_4xx_not_500() {
    // Found by a probe (issue 15, item 15): each of these was a 500 or a wrong page.
    let host = Host::start("plugins", PluginLimits::default()).await;
    let c = &host.client;
    // 1,001 repeated date parameters made one SQL statement too large: a 500 with SQL text.
    let repeated = vec!["date=ge2020"; 1001].join("&");
    let r = c
        .get(format!(
            "{}{}?{repeated}",
            host.base,
            host.at("/fhir/Observation")
        ))
        .send()
        .await
        .unwrap();
    let p = assert_problem(r, 400, "invalid-query").await;
    assert!(p["detail"].as_str().unwrap().contains("at most 64"), "{p}");
    // Invalid UTF-8 in NDJSON: a refusal naming the line.
    let mut body = b"{\"resourceType\":\"Patient\",\"id\":\"p\"}\n".to_vec();
    body.extend_from_slice(b"{\"resourceType\":\"Patient\",\"id\":\"\xff\xfe\"}\n");
    let r = ndjson_upload(&host, "", body).await;
    let p = assert_problem(r, 422, "invalid-entry").await;
    assert_eq!(p["line"], 2, "{p}");
    assert!(p["reason"].as_str().unwrap().contains("UTF-8"), "{p}");
    // A page beyond any offset is empty, not page 1 again (its offset wrapped to 0).
    let r = ndjson_upload(&host, "", "{\"resourceType\":\"Patient\",\"id\":\"p\"}\n").await;
    assert_eq!(r.status().as_u16(), 201);
    let (_, first) = host.get(&host.at("/records?page=1")).await;
    assert_eq!(
        first["records"].as_array().map(Vec::len),
        Some(1),
        "{first}"
    );
    let (status, page) = host
        .get(&host.at("/records?page=18446744073709551615&per_page=1000"))
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["records"], json!([]), "{page}");
    assert_eq!(page["page"], json!(18446744073709551615u64));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_and_bidi_characters_are_refused_in_typed_text() {
    // Issue 15, item 17: NUL, ESC and U+202E were accepted in names and notes.
    let host = Host::start("plugins", PluginLimits::default()).await;
    let (status, p) = host
        .post("/api/profiles", &json!({"name": "Sam\u{202E}gnp.exe"}))
        .await;
    assert_eq!(status, 422, "{p}");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("bidirectional text control"),
        "{p}"
    );
    let (status, p) = host
        .post(
            &host.at("/manual/Condition"),
            &json!({"resourceType": "Condition",
                "code": {"text": "Asthma"}, "onsetDateTime": "2019-03-01",
                "note": [{"text": "fine\u{1b}[2Jgone"}]}),
        )
        .await;
    assert_eq!(status, 422, "{p}");
    assert_eq!(p["path"], "note[0].text", "{p}");
    let r = ndjson_upload(
        &host,
        "?name=a%00b",
        "{\"resourceType\":\"Patient\",\"id\":\"p\"}\n",
    )
    .await;
    let p = assert_problem(r, 422, "invalid-field").await;
    assert!(
        p["detail"].as_str().unwrap().contains("control character"),
        "{p}"
    );
    // Line breaks in a note are fine.
    let (status, p) = host
        .post(
            &host.at("/manual/Condition"),
            &json!({"resourceType": "Condition",
                "code": {"text": "Asthma"}, "onsetDateTime": "2019-03-01",
                "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
                "note": [{"text": "first line\nsecond line"}]}),
        )
        .await;
    assert_eq!(status, 201, "{p}");
}
