//! Each misbehaviour of a plugin is stopped with a reason that names the
//! plugin, and the host keeps serving. Uses the test-only `test-misbehave`
//! connector, whose misbehaviour is chosen by the source's patient id.

mod common;

use common::Host;
use hearth_host::config::PluginLimits;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const PLUGIN: &str = "test-misbehave@0.1.0";

fn limits() -> PluginLimits {
    PluginLimits {
        memory_bytes: 64 << 20,
        timeout: Duration::from_secs(2),
        max_output_bytes: 16 << 20,
    }
}

/// A loopback HTTP server that counts the requests it gets (the "provider" of the source).
async fn counting_server() -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = axum::Router::new().fallback(move || {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            "{}"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), hits)
}

/// Sync a source whose patient id picks the misbehaviour; returns the problem.
async fn misbehave(host: &Host, provider: &str, behaviour: &str) -> Value {
    let source = host
        .add_source(provider, behaviour, "secret-token", "test-misbehave")
        .await;
    let (status, problem) = host
        .post(&host.at(&format!("/sources/{source}/sync")), &Value::Null)
        .await;
    assert_eq!(status, 502, "{behaviour}: {problem}");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains(PLUGIN),
        "{behaviour}: the error names the plugin: {detail}"
    );
    assert!(host.healthy().await, "{behaviour}: the host still answers");
    let (_, source) = host.get(&host.at(&format!("/sources/{source}"))).await;
    assert_eq!(source["status"], "error");
    assert_eq!(source["last_error"].as_str(), Some(detail));
    problem
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_loop_is_stopped_at_the_deadline() {
    let host = Host::start("test-plugins", limits()).await;
    let (provider, _) = counting_server().await;
    let started = Instant::now();
    let problem = misbehave(&host, &provider, "endless-loop").await;
    let elapsed = started.elapsed();
    assert_eq!(problem["type"], "urn:hearth:problem:plugin-timeout");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("2 s time limit"),
        "{problem}"
    );
    assert!(
        elapsed >= Duration::from_secs(2),
        "stopped after {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_secs(30),
        "stopped after {elapsed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_bomb_is_stopped_at_the_memory_limit() {
    let host = Host::start("test-plugins", limits()).await;
    let (provider, _) = counting_server().await;
    let problem = misbehave(&host, &provider, "memory-bomb").await;
    assert_eq!(
        problem["type"], "urn:hearth:problem:plugin-memory-limit",
        "{problem}"
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("64 MiB"),
        "{problem}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trap_is_reported_with_what_the_plugin_printed() {
    let host = Host::start("test-plugins", limits()).await;
    let (provider, _) = counting_server().await;
    let problem = misbehave(&host, &provider, "trap").await;
    assert_eq!(
        problem["type"], "urn:hearth:problem:plugin-crashed",
        "{problem}"
    );
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("wasm trap"), "{detail}");
    assert!(
        detail.contains("deliberate trap for the containment test"),
        "{detail}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbidden_host_is_denied_and_never_reached() {
    let host = Host::start("test-plugins", limits()).await;
    let (provider, provider_hits) = counting_server().await;
    let (elsewhere, elsewhere_hits) = counting_server().await;
    // The plugin tries `elsewhere`, a real server on loopback, while syncing `provider`.
    let port = elsewhere.rsplit(':').next().unwrap_or_default();
    let source = host
        .add_source(
            &provider,
            &format!("forbidden-host.{port}"),
            "secret-token",
            "test-misbehave",
        )
        .await;
    let (status, problem) = host
        .post(&host.at(&format!("/sources/{source}/sync")), &Value::Null)
        .await;
    assert_eq!(status, 502, "{problem}");
    assert_eq!(
        problem["type"], "urn:hearth:problem:plugin-forbidden-host",
        "{problem}"
    );
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(PLUGIN), "{detail}");
    assert!(
        detail.contains(&format!("http://127.0.0.1:{port}")),
        "names the host: {detail}"
    );
    assert!(
        detail.contains("not an origin of the source"),
        "names the rule: {detail}"
    );
    assert_eq!(
        elsewhere_hits.load(Ordering::SeqCst),
        0,
        "the forbidden server was never reached"
    );
    assert_eq!(provider_hits.load(Ordering::SeqCst), 0);
    assert!(host.healthy().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_is_stopped_at_the_output_limit() {
    let host = Host::start("test-plugins", limits()).await;
    let (provider, _) = counting_server().await;
    let problem = misbehave(&host, &provider, "flood").await;
    assert_eq!(
        problem["type"], "urn:hearth:problem:plugin-output-limit",
        "{problem}"
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("16 MiB"),
        "{problem}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misbehaving_plugins_do_not_disturb_each_other_or_the_host() {
    let host = Host::start("test-plugins", limits()).await;
    let (provider, _) = counting_server().await;
    // Three bad plugins at once; the API stays responsive throughout.
    let runs = ["endless-loop", "memory-bomb", "trap"].map(|b| {
        let host_base = format!("{}{}", host.base, host.at(""));
        let provider = provider.clone();
        let client = host.client.clone();
        tokio::spawn(async move {
            let created: Value = client
                .post(format!("{host_base}/sources"))
                .json(&json!({"fhir_base_url": provider, "patient_id": b, "access_token": "t", "connector": "test-misbehave"}))
                .send()
                .await
                .expect("create")
                .json()
                .await
                .expect("json");
            let id = created["id"].as_str().expect("id").to_string();
            client.post(format!("{host_base}/sources/{id}/sync")).send().await.expect("sync").status().as_u16()
        })
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    assert!(host.healthy().await);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "health answered in {:?} while plugins misbehave",
        started.elapsed()
    );
    for run in runs {
        assert_eq!(run.await.expect("join"), 502);
    }
}
