//! The OpenAPI document against the live API: a host with real data answers
//! a representative set of requests, and every answer must validate against
//! the schema the document gives for that operation, status and content type.
//! Component schemas are made strict (no undescribed members) for the check,
//! so a field the API sends but the document lacks fails as well.

mod common;

use common::{Host, PASSWORD, bearer_client};
use hearth_host::config::PluginLimits;
use hearth_sandbox::{SandboxData, SandboxOptions};
use serde_json::{Value, json};
use std::time::Duration;

/// The document and the strict copy of its components used for validation.
struct Described {
    doc: Value,
    components: Value,
}

impl Described {
    fn new(doc: Value) -> Described {
        let mut components = doc["components"].clone();
        strict(&mut components);
        Described { doc, components }
    }

    /// The schema of `method path`'s `status` answer as `content_type`.
    fn answer_schema(&self, method: &str, path: &str, status: u16, content_type: &str) -> Value {
        let op = &self.doc["paths"][path][method];
        assert!(op.is_object(), "the document has no {method} {path}");
        let mut answer = &op["responses"][status.to_string()];
        if let Some(r) = answer["$ref"].as_str() {
            answer = self
                .doc
                .pointer(r.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("{r} does not resolve"));
        }
        let schema = &answer["content"][content_type]["schema"];
        assert!(
            schema.is_object(),
            "{method} {path} describes no {status} answer as {content_type}: {answer}"
        );
        schema.clone()
    }

    /// Validate `instance` against `schema` (which may refer to the components).
    fn check(&self, what: &str, schema: &Value, instance: &Value) {
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "allOf": [schema],
            "components": self.components,
        });
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(&root)
            .unwrap_or_else(|e| panic!("{what}: the schema does not build: {e}"));
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("{e} (at {})", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{what} does not match its schema:\n{}\nbody: {instance}",
            errors.join("\n")
        );
    }

    /// Validate an answer of `method path` (a route template) with `status`.
    fn answer(&self, method: &str, path: &str, status: u16, content_type: &str, body: &Value) {
        let schema = self.answer_schema(method, path, status, content_type);
        self.check(&format!("{method} {path} {status}"), &schema, body);
    }

    /// Validate `instance` against the component schema `name`.
    fn component(&self, name: &str, instance: &Value) {
        assert!(
            self.doc["components"]["schemas"].get(name).is_some(),
            "no component schema {name}"
        );
        let schema = json!({"$ref": format!("#/components/schemas/{name}")});
        self.check(name, &schema, instance);
    }
}

/// Forbid undescribed members in every object schema with properties, except
/// those taken into another schema by `allOf` (there the outer schema decides).
fn strict(components: &mut Value) {
    fn all_of_refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::Array(items)) = map.get("allOf") {
                    for item in items {
                        if let Some(r) = item["$ref"].as_str() {
                            out.push(r.rsplit('/').next().unwrap_or_default().to_string());
                        }
                    }
                }
                map.values().for_each(|v| all_of_refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| all_of_refs(v, out)),
            _ => {}
        }
    }
    let mut merged_in = Vec::new();
    all_of_refs(components, &mut merged_in);
    let Some(schemas) = components["schemas"].as_object_mut() else {
        panic!("no component schemas");
    };
    for (name, schema) in schemas.iter_mut() {
        let Some(object) = schema.as_object_mut() else {
            continue;
        };
        let described = object.contains_key("properties") || object.contains_key("allOf");
        if described && !merged_in.contains(name) && !object.contains_key("additionalProperties") {
            object.insert("unevaluatedProperties".into(), Value::Bool(false));
        }
    }
}

/// `GET path` with `client`: status, content type, JSON body.
async fn get(client: &reqwest::Client, base: &str, path: &str) -> (u16, String, Value) {
    let r = client
        .get(format!("{base}{path}"))
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    let content_type = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .to_string();
    let text = r.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}: {text}"));
    (status, content_type, body)
}

/// Read a server-sent event stream until `done` says enough; the (event, data) pairs.
async fn read_events(
    mut r: reqwest::Response,
    done: impl Fn(&[(String, Value)]) -> bool,
) -> Vec<(String, Value)> {
    let mut buffer = String::new();
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !done(&events) {
        let chunk = tokio::time::timeout_at(deadline, r.chunk())
            .await
            .expect("events arrive in time")
            .expect("stream")
            .expect("the stream stays open");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let mut event = String::new();
            let mut data = String::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    event = v.trim().to_string();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim_start());
                }
            }
            if !event.is_empty() {
                let data = serde_json::from_str(&data).unwrap_or(Value::String(data));
                events.push((event, data));
            }
        }
    }
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_answers_match_the_document() {
    let data = SandboxData::generated(11, 2, 60);
    let patients: Vec<String> = data.patients().into_iter().map(|(id, _)| id).collect();
    let mut options = SandboxOptions::with_random_token();
    options.auto_approve = true;
    let token = options.token.clone();
    let sb = common::sandbox(data, options).await;
    let root = common::sandbox_root(&sb);
    let host = Host::start_with("plugins", PluginLimits::default(), |c| {
        c.sandbox_url = Some(url::Url::parse(&root).expect("url"));
    })
    .await;
    let base = host.base.clone();
    let p = host.profile.clone();
    let at = |rel: &str| format!("/api/profiles/{p}{rel}");

    // The document, as the host serves it, is the one the code generates.
    let (status, content_type, doc) = get(&host.anon, &base, "/api/openapi.json").await;
    assert_eq!((status, content_type.as_str()), (200, "application/json"));
    let generated: Value =
        serde_json::from_str(&hearth_host::api::openapi::document_json()).expect("json");
    assert_eq!(doc, generated);
    let d = Described::new(doc);

    // Data: a synced provider source, an upload, a typed-in record, a
    // connected source, a second member with a grant.
    let source = host
        .add_source(&sb.base_url, &patients[0], &token, "fhir-r4")
        .await;
    let (status, synced) = host
        .post(&at(&format!("/sources/{source}/sync")), &Value::Null)
        .await;
    assert_eq!(status, 200, "{synced}");
    d.answer(
        "post",
        "/api/profiles/{profile}/sources/{source}/sync",
        200,
        "application/json",
        &synced,
    );
    let upload = host
        .client
        .post(format!("{base}{}", at("/imports?name=Letters&confirm_person=true")))
        .header("content-type", "application/fhir+json")
        .body(
            json!({"resourceType": "Bundle", "type": "collection", "entry": [
                {"resource": {"resourceType": "Observation", "id": "w1", "status": "final",
                    "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
                    "effectiveDateTime": "2024-03-01",
                    "valueQuantity": {"value": 71.5, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}}}
            ]})
            .to_string(),
        )
        .send()
        .await
        .expect("upload");
    assert_eq!(upload.status().as_u16(), 201);
    let imported: Value = upload.json().await.expect("json");
    d.answer(
        "post",
        "/api/profiles/{profile}/imports",
        201,
        "application/json",
        &imported,
    );
    let (status, condition) = host
        .post(
            &at("/manual/Condition"),
            &json!({"resourceType": "Condition", "code": {"text": "Hay fever"}}),
        )
        .await;
    assert_eq!(status, 201, "{condition}");
    d.answer(
        "post",
        "/api/profiles/{profile}/manual/{type}",
        201,
        "application/json",
        &condition,
    );
    let connected = common::connect_auto(&host.client, &base, &p).await;
    d.answer(
        "get",
        "/api/smart/callback",
        303,
        "application/json",
        &connected,
    );
    let (sam, _) = host.member("sam").await;
    let (status, grant) = host
        .post(
            &at("/grants"),
            &json!({"username": "sam", "role": "viewer"}),
        )
        .await;
    assert_eq!(status, 201, "{grant}");
    d.answer(
        "post",
        "/api/profiles/{profile}/grants",
        201,
        "application/json",
        &grant,
    );

    // Sign-in answers, with tokens in the body and as cookies.
    for use_cookies in [false, true] {
        let (status, session) = host
            .sign_in_with(
                json!({"username": "sam", "password": PASSWORD, "use_cookies": use_cookies}),
            )
            .await;
        assert_eq!(status, 200, "{session}");
        assert_eq!(session.get("access_token").is_some(), !use_cookies);
        d.answer(
            "post",
            "/api/auth/sign-in",
            200,
            "application/json",
            &session,
        );
    }

    // A lab test with a series, a job, the patient record.
    let (_, _, labs) = get(&host.client, &base, &at("/labs")).await;
    let test = &labs["tests"][0];
    let code = format!(
        "{}|{}",
        test["system"].as_str().expect("a lab test"),
        test["code"].as_str().expect("code")
    );
    let (_, _, jobs) = get(&host.client, &base, &at("/jobs")).await;
    let job = jobs["jobs"][0]["id"].as_str().expect("a job").to_string();
    let patient = &patients[0];

    let reads: Vec<(&reqwest::Client, &str, String)> = vec![
        (&host.anon, "/api/health", "/api/health".into()),
        (&host.anon, "/api/setup", "/api/setup".into()),
        (&host.client, "/api/me", "/api/me".into()),
        (&host.client, "/api/plugins", "/api/plugins".into()),
        (
            &host.client,
            "/api/auth/sessions",
            "/api/auth/sessions".into(),
        ),
        (&host.client, "/api/users", "/api/users".into()),
        (
            &host.client,
            "/api/users/{user}",
            format!("/api/users/{sam}"),
        ),
        (&host.client, "/api/audit", "/api/audit?limit=50".into()),
        (&host.client, "/api/catalog", "/api/catalog?q=hearth".into()),
        (&host.client, "/api/profiles", "/api/profiles".into()),
        (&host.client, "/api/family", "/api/family".into()),
        (&host.client, "/api/profiles/{profile}", at("")),
        (
            &host.client,
            "/api/profiles/{profile}/grants",
            at("/grants"),
        ),
        (
            &host.client,
            "/api/profiles/{profile}/sources",
            at("/sources"),
        ),
        (
            &host.client,
            "/api/profiles/{profile}/sources/{source}",
            at(&format!("/sources/{source}")),
        ),
        (&host.client, "/api/profiles/{profile}/jobs", at("/jobs")),
        (
            &host.client,
            "/api/profiles/{profile}/jobs/{job}",
            at(&format!("/jobs/{job}")),
        ),
        (
            &host.client,
            "/api/profiles/{profile}/records",
            at("/records?per_page=20"),
        ),
        (
            &host.client,
            "/api/profiles/{profile}/records/{type}/{id}/related",
            at(&format!("/records/Patient/{patient}/related")),
        ),
        (
            &host.client,
            "/api/profiles/{profile}/records/{type}/{id}/provenance",
            at(&format!("/records/Patient/{patient}/provenance")),
        ),
        (
            &host.client,
            "/api/profiles/{profile}/timeline",
            at("/timeline?limit=20"),
        ),
        (&host.client, "/api/profiles/{profile}/labs", at("/labs")),
        (
            &host.client,
            "/api/profiles/{profile}/summary",
            at("/summary"),
        ),
        (
            &host.client,
            "/api/profiles/{profile}/labs/series",
            at(&format!("/labs/series?code={}", code.replace('|', "%7C"))),
        ),
        (
            &host.client,
            "/api/profiles/{profile}/export",
            at("/export?format=ndjson"),
        ),
        (
            &host.client,
            "/api/profiles/{profile}/fhir/{type}",
            at("/fhir/Observation?_count=5&_total=accurate"),
        ),
        (
            &host.client,
            "/api/profiles/{profile}/records/{type}/{id}",
            at(&format!("/records/Patient/{patient}")),
        ),
    ];
    for (client, route, path) in &reads {
        let (status, content_type, body) = get(client, &base, path).await;
        assert_eq!(status, 200, "{path}: {body}");
        d.answer("get", route, status, &content_type, &body);
    }

    // Problems: a plain one, and one with extension members.
    let (status, content_type, body) = get(&host.client, &base, "/api/profiles/nope").await;
    assert_eq!(
        (status, content_type.as_str()),
        (404, "application/problem+json")
    );
    d.answer("get", "/api/profiles/{profile}", 404, &content_type, &body);
    d.component("Problem", &body);
    let r = host
        .client
        .post(format!("{base}{}", at("/imports")))
        .header("content-type", "application/fhir+ndjson")
        .body("{\"resourceType\":\"Patient\",\"id\":\"p\"}\nnot json\n")
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status().as_u16(), 422);
    let problem: Value = r.json().await.expect("json");
    assert!(
        problem["line"].is_u64() && problem["reason"].is_string(),
        "{problem}"
    );
    d.answer(
        "post",
        "/api/profiles/{profile}/imports",
        422,
        "application/problem+json",
        &problem,
    );

    // The event stream: a queued sync of a new source sends `job` and `progress` events.
    let events = host
        .client
        .get(format!("{base}{}", at("/events")))
        .send()
        .await
        .expect("events");
    assert_eq!(events.status().as_u16(), 200);
    let second = host
        .add_source(&sb.base_url, &patients[1], &token, "fhir-r4")
        .await;
    let (status, queued) = host
        .post(
            &at(&format!("/sources/{second}/sync?wait=false")),
            &Value::Null,
        )
        .await;
    assert_eq!(status, 202, "{queued}");
    d.answer(
        "post",
        "/api/profiles/{profile}/sources/{source}/sync",
        202,
        "application/json",
        &queued,
    );
    let seen = read_events(events, |seen| {
        seen.iter().any(|(e, _)| e == "progress")
            && seen
                .iter()
                .any(|(e, d)| e == "job" && d["status"] == "succeeded")
    })
    .await;
    for (event, data) in &seen {
        match event.as_str() {
            "job" => d.component("JobEvent", data),
            "progress" => d.component("ProgressEvent", data),
            other => panic!("unexpected event {other}: {data}"),
        }
    }

    // A token that no longer works is a problem too.
    let (status, content_type, body) = get(&bearer_client("not-a-token"), &base, "/api/me").await;
    assert_eq!(status, 401);
    d.answer("get", "/api/me", 401, &content_type, &body);
}

#[tokio::test]
async fn the_checker_rejects_answers_that_do_not_match() {
    let doc: Value =
        serde_json::from_str(&hearth_host::api::openapi::document_json()).expect("json");
    let d = Described::new(doc);
    let problem = json!({"type": "urn:hearth:problem:not-found", "title": "Not Found", "status": 404, "detail": "gone"});
    d.component("Problem", &problem);
    let bad = [
        json!({"title": "Not Found", "status": 404, "detail": "gone"}),
        json!({"type": "x", "title": "Not Found", "status": "404", "detail": "gone"}),
        json!({"type": "x", "title": "Not Found", "status": 404, "detail": "gone", "surprise": 1}),
    ];
    for body in bad {
        let caught = std::panic::catch_unwind(|| d.component("Problem", &body));
        assert!(caught.is_err(), "{body} passed as a Problem");
    }
    let schema = d.answer_schema("get", "/api/health", 200, "application/json");
    let health = json!({"status": "ok", "version": "1", "plugins": 1, "plugin_failures": 0});
    d.check("health", &schema, &health);
    let caught = std::panic::catch_unwind(|| {
        d.check(
            "health",
            &schema,
            &json!({"status": "fine", "version": "1", "plugins": 1, "plugin_failures": 0}),
        )
    });
    assert!(caught.is_err(), "a status outside the enum passed");
}
