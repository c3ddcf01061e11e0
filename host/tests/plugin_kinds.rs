//! Every plugin kind runs on one host: a trivial test plugin per world loads,
//! is listed with its kind and world version, is stopped by the same limits
//! as a connector (loop, memory, flood, trap), and reads only the records of
//! the profile its call is for. A connector built against the first world
//! (0.1) and one built against the latest (0.2) both sync the sandbox, and
//! the latest reports how much is coming.

mod common;

use common::{Host, sandbox};
use futures_util::future::BoxFuture;
use hearth_host::auth::ProfileScope;
use hearth_host::config::PluginLimits;
use hearth_host::plugins::importer::Document;
use hearth_host::plugins::llm::{LlmCall, Message, Question, Role};
use hearth_host::plugins::ports::{Intake, SinkError, Taken};
use hearth_host::plugins::runtime::call::PluginFailure;
use hearth_host::records::reader::ProfileReader;
use hearth_sandbox::{SandboxData, SandboxOptions};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn limits() -> PluginLimits {
    PluginLimits {
        memory_bytes: 64 << 20,
        timeout: Duration::from_secs(2),
        max_output_bytes: 16 << 20,
    }
}

async fn new_profile(host: &Host, name: &str) -> String {
    let (status, p) = host.post("/api/profiles", &json!({"name": name})).await;
    assert_eq!(status, 201, "{p}");
    p["id"].as_str().expect("id").to_string()
}

/// Upload a Patient and Conditions (id, text) to `profile`.
async fn upload(host: &Host, profile: &str, patient: &str, conditions: &[(&str, &str)]) {
    let mut entries = vec![
        json!({"resource": {"resourceType": "Patient", "id": patient,
        "name": [{"family": "Example", "given": [patient]}]}}),
    ];
    for (id, text) in conditions {
        entries.push(json!({"resource": {"resourceType": "Condition", "id": id,
            "code": {"text": text}, "subject": {"reference": format!("Patient/{patient}")}}}));
    }
    host.upload_entries(profile, entries).await;
}

fn reader(host: &Host, scope: ProfileScope) -> Arc<ProfileReader> {
    Arc::new(ProfileReader::new(host.state.records.clone(), scope))
}

/// An intake that keeps what it is given, as the domain's would.
#[derive(Default)]
struct Kept(Mutex<Vec<String>>);

impl Intake for Kept {
    fn take(&self, batch: Vec<String>) -> BoxFuture<'_, Result<Taken, SinkError>> {
        Box::pin(async move {
            let n = batch.len() as u64;
            if let Ok(mut kept) = self.0.lock() {
                kept.extend(batch);
            }
            Ok(Taken {
                accepted: n,
                stored: n,
                ..Taken::default()
            })
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_loads_and_is_listed_with_its_world_version() {
    let host = Host::start("test-plugins", limits()).await;
    let (status, body) = host.get("/api/plugins").await;
    assert_eq!(status, 200, "{body}");
    let listed: Vec<(String, String, String, String)> = body["plugins"]
        .as_array()
        .expect("plugins")
        .iter()
        .map(|p| {
            let s = |k: &str| p[k].as_str().unwrap_or_default().to_string();
            (s("id"), s("kind"), s("wit"), s("world_version"))
        })
        .collect();
    for expected in [
        (
            "test-importer",
            "importer",
            "hearth:importer@0.1.0",
            "0.1.0",
        ),
        (
            "test-dashboard",
            "dashboard",
            "hearth:dashboard@0.2.0",
            "0.2.0",
        ),
        (
            "test-legacy-dashboard",
            "dashboard",
            "hearth:dashboard@0.1.0",
            "0.1.0",
        ),
        ("test-rules", "rules", "hearth:rules@0.1.0", "0.1.0"),
        ("test-llm", "llm", "hearth:llm@0.1.0", "0.1.0"),
        (
            "test-legacy-r4",
            "connector",
            "hearth:plugin@0.1.0",
            "0.1.0",
        ),
        (
            "test-misbehave",
            "connector",
            "hearth:connector@0.2.0",
            "0.2.0",
        ),
    ] {
        let expected = (
            expected.0.to_string(),
            expected.1.to_string(),
            expected.2.to_string(),
            expected.3.to_string(),
        );
        assert!(listed.contains(&expected), "{expected:?} in {listed:?}");
    }
    assert_eq!(body["failures"], json!([]), "{body}");
}

/// Run `misbehaviour` in the test plugin of every non-connector kind.
async fn misbehave_everywhere(
    host: &Host,
    misbehaviour: &str,
) -> Vec<(&'static str, PluginFailure)> {
    let plugins = &host.state.plugins;
    let get = |id: &str| plugins.get(id).unwrap_or_else(|| panic!("{id} loaded"));
    let settings = vec![("misbehave".to_string(), misbehaviour.to_string())];
    let records = reader(host, host.owner_scope(&host.profile).await);
    let mut failures = Vec::new();
    let importer = plugins
        .convert(
            &get("test-importer"),
            Document {
                name: misbehaviour.into(),
                media_type: "application/fhir+json".into(),
                content: b"[]".to_vec(),
            },
            Arc::new(Kept::default()),
        )
        .await;
    failures.push(("importer", importer.expect_err("stopped")));
    let dashboard = plugins
        .render_dashboard(
            &get("test-dashboard"),
            "2026-12-05",
            settings.clone(),
            records.clone(),
        )
        .await;
    failures.push(("dashboard", dashboard.expect_err("stopped")));
    let rules = plugins
        .evaluate_rules(&get("test-rules"), "2026-12-05", settings, records.clone())
        .await;
    failures.push(("rules", rules.expect_err("stopped")));
    let question = ask(misbehaviour);
    let call = LlmCall {
        records,
        tools: None,
        model: None,
        on_text: None,
    };
    let llm = plugins.answer(&get("test-llm"), question, call).await;
    failures.push(("llm", llm.expect_err("stopped")));
    assert!(
        host.healthy().await,
        "{misbehaviour}: the host still answers"
    );
    failures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_is_stopped_at_its_deadline() {
    let host = Host::start("test-plugins", limits()).await;
    for (kind, failure) in misbehave_everywhere(&host, "endless-loop").await {
        assert!(
            matches!(failure, PluginFailure::Timeout { limit_secs: 2, .. }),
            "{kind}: {failure}"
        );
        assert!(
            failure.to_string().contains("test-"),
            "{kind} names the plugin: {failure}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_is_stopped_at_its_memory_limit() {
    let host = Host::start("test-plugins", limits()).await;
    for (kind, failure) in misbehave_everywhere(&host, "memory-bomb").await {
        assert!(
            matches!(failure, PluginFailure::Memory { limit_mb: 64, .. }),
            "{kind}: {failure}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_that_traps_is_reported_with_what_it_printed() {
    let host = Host::start("test-plugins", limits()).await;
    for (kind, failure) in misbehave_everywhere(&host, "trap").await {
        match &failure {
            PluginFailure::Trap { reason, .. } => assert!(
                reason.contains("deliberate trap for the containment test"),
                "{kind}: {reason}"
            ),
            other => panic!("{kind}: {other}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_that_floods_the_host_is_stopped() {
    let host = Host::start(
        "test-plugins",
        PluginLimits {
            max_output_bytes: 1 << 20,
            ..limits()
        },
    )
    .await;
    // Each floods the interface it has: importers emit, dashboards and rules
    // read records over and over, llm adapters write their reply.
    let text = "wheeze ".repeat(600);
    let ids: Vec<String> = (0..100).map(|n| format!("c{n}")).collect();
    let conditions: Vec<(&str, &str)> = ids.iter().map(|id| (id.as_str(), text.as_str())).collect();
    upload(&host, &host.profile, "ann", &conditions).await;
    for (kind, failure) in misbehave_everywhere(&host, "flood").await {
        let expected = match kind {
            "dashboard" | "rules" => {
                matches!(&failure, PluginFailure::Reads { limit, .. } if limit == "1 MiB of records")
            }
            _ => matches!(failure, PluginFailure::Output { limit_mb: 1, .. }),
        };
        assert!(expected, "{kind}: {failure}");
    }
    // Views are records read too: running one over and over meets the same budget.
    let plugins = &host.state.plugins;
    let flood = plugins
        .render_dashboard(
            &plugins.get("test-dashboard").expect("loaded"),
            "2026-12-05",
            vec![("misbehave".into(), "flood-views".into())],
            reader(&host, host.owner_scope(&host.profile).await),
        )
        .await
        .expect_err("stopped");
    assert!(
        matches!(&flood, PluginFailure::Reads { limit, .. } if limit == "1 MiB of records"),
        "{flood}"
    );
    assert!(host.healthy().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugins_read_only_the_profile_their_call_is_for() {
    let host = Host::start("test-plugins", limits()).await;
    let other = new_profile(&host, "Bea").await;
    upload(
        &host,
        &host.profile,
        "ann",
        &[("ann-asthma", "Asthma"), ("ann-eczema", "Eczema")],
    )
    .await;
    upload(&host, &other, "bea", &[("bea-asthma", "Asthma")]).await;
    let plugins = &host.state.plugins;
    let rules = plugins.get("test-rules").expect("loaded");
    let mine = reader(&host, host.owner_scope(&host.profile).await);
    // The rules cite every Condition they can read, and try to read Bea's
    // Patient by id: there is no way to name her profile, and her id alone finds nothing.
    let found = plugins
        .evaluate_rules(
            &rules,
            "2026-12-05",
            vec![("read".into(), "bea".into())],
            mine.clone(),
        )
        .await
        .expect("evaluated");
    let mut evidence = found.recommendations[0].evidence.clone();
    evidence.sort();
    assert_eq!(evidence, ["Condition/ann-asthma", "Condition/ann-eczema"]);
    // Reading an id the profile has works.
    let found = plugins
        .evaluate_rules(
            &rules,
            "2026-12-05",
            vec![("read".into(), "ann".into())],
            mine.clone(),
        )
        .await
        .expect("evaluated");
    assert!(
        found.recommendations[0]
            .evidence
            .contains(&"Patient/ann".to_string()),
        "{:?}",
        found.recommendations[0].evidence
    );
    // The same rules for Bea see only hers.
    let hers = reader(&host, host.owner_scope(&other).await);
    let found = plugins
        .evaluate_rules(&rules, "2026-12-05", vec![], hers.clone())
        .await
        .expect("evaluated");
    assert_eq!(found.recommendations[0].evidence, ["Condition/bea-asthma"]);
    // A rules plugin of the first world (0.1) has no dose evaluations.
    assert!(found.doses.is_empty());
    // A dashboard and an llm adapter read through the same scoped reader.
    let board = plugins
        .render_dashboard(
            &plugins.get("test-dashboard").expect("loaded"),
            "2026-12-05",
            vec![],
            hers.clone(),
        )
        .await
        .expect("drawn");
    let board = serde_json::to_value(&board).expect("json");
    assert_eq!(board["cards"][0]["widget"], "table", "{board}");
    assert_eq!(board["cards"][0]["key"], "conditions");
    assert_eq!(
        board["cards"][0]["rows"][0]["evidence"],
        json!(["Condition/bea-asthma"]),
        "{board}"
    );
    assert_eq!(
        board["cards"][0]["rows"].as_array().map(Vec::len),
        Some(1),
        "{board}"
    );
    // A dashboard on the first world reads through the same reader; its cards are keyed by position.
    let board = plugins
        .render_dashboard(
            &plugins.get("test-legacy-dashboard").expect("loaded"),
            "2026-12-05",
            vec![],
            hers.clone(),
        )
        .await
        .expect("drawn");
    let board = serde_json::to_value(&board).expect("json");
    assert_eq!(board["cards"][0]["key"], "widget-0", "{board}");
    assert_eq!(
        board["cards"][0]["rows"][0]["evidence"],
        json!(["Condition/bea-asthma"]),
        "{board}"
    );
    let written: Arc<Mutex<String>> = Arc::default();
    let answer = plugins
        .answer(
            &plugins.get("test-llm").expect("loaded"),
            ask("Asthma"),
            LlmCall {
                records: mine,
                tools: None,
                model: None,
                on_text: Some({
                    let written = written.clone();
                    Arc::new(move |t: &str| written.lock().expect("lock").push_str(t))
                }),
            },
        )
        .await
        .expect("answered");
    let mut cited = answer
        .cited
        .clone()
        .expect("a first-world adapter names what it cites");
    cited.sort();
    assert_eq!(cited, ["Condition/ann-asthma"]);
    assert_eq!(
        *written.lock().expect("lock"),
        answer.text,
        "the reply streamed as written"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_llm_adapter_reaches_no_model_until_one_is_configured() {
    let host = Host::start("test-plugins", limits()).await;
    let plugins = &host.state.plugins;
    let failure = plugins
        .answer(
            &plugins.get("test-llm").expect("loaded"),
            ask("model"),
            LlmCall {
                records: reader(&host, host.owner_scope(&host.profile).await),
                tools: None,
                model: None,
                on_text: None,
            },
        )
        .await
        .expect_err("no endpoint");
    assert!(
        failure
            .to_string()
            .contains("no model endpoint is configured"),
        "{failure}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_importer_emits_through_the_intake_and_a_call_for_another_kind_is_refused() {
    let host = Host::start("test-plugins", limits()).await;
    let plugins = &host.state.plugins;
    let importer = plugins.get("test-importer").expect("loaded");
    let kept = Arc::new(Kept::default());
    // As text: a decimal's digits are what the file says.
    let bundle = r#"{"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Observation", "id": "o1", "status": "final", "valueQuantity": {"value": 1.50}}},
        {"fullUrl": "urn:uuid:nothing"}
    ]}"#;
    let report = plugins
        .convert(
            &importer,
            Document {
                name: "labs.json".into(),
                media_type: "application/fhir+json".into(),
                content: bundle.as_bytes().to_vec(),
            },
            kept.clone(),
        )
        .await
        .expect("converted");
    assert_eq!(report.emitted, 1);
    assert_eq!(report.warnings, ["entry 1 holds no resource"]);
    let kept = kept.0.lock().expect("lock").clone();
    assert_eq!(kept.len(), 1);
    assert!(kept[0].contains("1.50"), "digits kept: {}", kept[0]);
    // An importer is not rules.
    let failure = plugins
        .evaluate_rules(
            &importer,
            "2026-12-05",
            vec![],
            reader(&host, host.owner_scope(&host.profile).await),
        )
        .await
        .expect_err("wrong kind");
    assert!(
        matches!(failure, PluginFailure::WrongKind { .. }),
        "{failure}"
    );
}

/// Sync a generated sandbox patient with `connector`: how many resources
/// the patient has, and the sync's result.
async fn sync_sandbox(host: &Host, connector: &str) -> (u64, Value) {
    let options = SandboxOptions::with_random_token();
    let token = options.token.clone();
    let data = SandboxData::generated(5, 1, 700);
    let (patient, expected) = data.patients()[0].clone();
    let sb = sandbox(data, options).await;
    let source = host
        .add_source(&sb.base_url, &patient, &token, connector)
        .await;
    let (status, body) = host
        .post(&host.at(&format!("/sources/{source}/sync")), &Value::Null)
        .await;
    assert_eq!(status, 200, "{connector}: {body}");
    drop(sb);
    (expected as u64, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connector_built_for_world_0_1_still_syncs_the_sandbox() {
    let host = Host::start("test-plugins", PluginLimits::default()).await;
    let (total, body) = sync_sandbox(&host, "test-legacy-r4").await;
    assert_eq!(body["total"].as_u64(), Some(total), "{body}");
    assert_eq!(body["stored"].as_u64(), Some(total), "{body}");
    assert_eq!(body["strategy"], "everything");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connector_built_for_world_0_2_says_how_much_is_coming() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let expected: Arc<Mutex<Vec<Option<u64>>>> = Arc::default();
    let mut events = host.state.jobs.events().subscribe();
    let watcher = tokio::spawn({
        let expected = expected.clone();
        async move {
            while let Ok(event) = events.recv().await {
                if event.kind == "progress" {
                    let data = serde_json::to_value(&event.data).expect("json");
                    expected
                        .lock()
                        .expect("lock")
                        .push(data["expected"].as_u64());
                }
            }
        }
    });
    let (total, body) = sync_sandbox(&host, "fhir-r4").await;
    assert_eq!(body["total"].as_u64(), Some(total), "{body}");
    // The job keeps the figure with its counts.
    let job_id = body["job_id"].as_str().expect("job");
    let (status, job) = host.get(&host.at(&format!("/jobs/{job_id}"))).await;
    assert_eq!(status, 200, "{job}");
    assert_eq!(job["progress"]["expected"].as_u64(), Some(total), "{job}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    watcher.abort();
    let seen = expected.lock().expect("lock").clone();
    assert!(!seen.is_empty(), "progress was reported");
    // Announced before the first batch was stored, and right.
    assert_eq!(seen[0], Some(total), "{seen:?}");
    assert!(seen.iter().all(|e| *e == Some(total)), "{seen:?}");
}

/// Upload `body` to be converted by `importer`.
async fn upload_through(host: &Host, importer: &str, body: &str) -> (u16, Value) {
    let r = host
        .client
        .post(format!(
            "{}/api/profiles/{}/imports?importer={importer}&name=Clinic%20letter",
            host.base, host.profile
        ))
        .header("content-type", "text/plain")
        .body(body.to_string())
        .send()
        .await
        .expect("upload");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_an_importer_converts_is_stored_as_an_upload_is() {
    let host = Host::start("test-plugins", limits()).await;
    let document = r#"[{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"Glucose"},"valueQuantity":{"value":5.50,"unit":"mmol/L"}}, 7]"#;
    let (status, body) = upload_through(&host, "test-importer", document).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["resources"], 1, "{body}");
    assert_eq!(body["source"]["kind"], "import", "{body}");
    assert_eq!(
        body["warnings"],
        json!(["entry 1 holds no resource"]),
        "{body}"
    );
    // The digits the document had are the digits stored.
    let r = host
        .client
        .get(format!(
            "{}/api/profiles/{}/records/Observation/o1",
            host.base, host.profile
        ))
        .send()
        .await
        .expect("read");
    assert_eq!(r.status().as_u16(), 200);
    let bytes = r.text().await.expect("text");
    assert!(bytes.contains("5.50"), "{bytes}");

    // What the importer produced passes the same check as an upload: a bad
    // resource stops it all, named with the importer and the entry.
    let bad = r#"[{"resourceType":"Observation","id":"o2","status":"final","code":{"text":"Glucose"}},{"resourceType":"Observation","id":"o3","status":"sometimes","code":{"text":"Glucose"}}]"#;
    let (status, problem) = upload_through(&host, "test-importer", bad).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(
        problem["type"], "urn:hearth:problem:invalid-entry",
        "{problem}"
    );
    assert_eq!(problem["entry"], 1, "{problem}");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.starts_with("test-importer@0.1.0 converted the document into"),
        "{detail}"
    );
    let (_, o2) = host.get(&host.at("/records/Observation/o2")).await;
    assert_eq!(
        o2["type"], "urn:hearth:problem:not-found",
        "nothing of it was stored: {o2}"
    );

    // Only an installed importer converts.
    let (status, problem) = upload_through(&host, "no-such-plugin", document).await;
    assert_eq!(
        (status, problem["type"].as_str()),
        (422, Some("urn:hearth:problem:unknown-importer"))
    );
    let (status, problem) = upload_through(&host, "test-rules", document).await;
    assert_eq!(
        (status, problem["type"].as_str()),
        (422, Some("urn:hearth:problem:not-an-importer"))
    );
    // An importer that misbehaves is stopped like any plugin, and nothing is stored.
    let r = host
        .client
        .post(format!(
            "{}/api/profiles/{}/imports?importer=test-importer&name=trap",
            host.base, host.profile
        ))
        .body("[]")
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status().as_u16(), 502);
    let problem: Value = r.json().await.expect("json");
    assert_eq!(
        problem["type"], "urn:hearth:problem:plugin-crashed",
        "{problem}"
    );
}

/// A question of one message, for the first-world test adapter.
fn ask(text: &str) -> Question {
    Question {
        conversation: vec![Message {
            role: Role::User,
            content: text.into(),
        }],
        model: "none".into(),
        offer_tools: false,
        today: "2026-12-05".into(),
    }
}
