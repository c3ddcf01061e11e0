//! The local model end to end: SmolLM2-135M-Instruct (fetched by `make test`
//! into the build folder, named by `CHAT_TEST_MODEL` — not a `HEARTH_*` name,
//! which the `hearth` binary other tests start would refuse as an unknown
//! setting) served by `hearth_localmodel` on loopback, asked through the chat
//! API with the OpenAI adapter. It proves the plumbing: the answer streams, is stored and
//! checked, and the prompt held the profile's record. What the model says
//! is printed (its quality is reported by the golden-set bench, not asserted).

mod common;

use common::{Host, call};
use hearth_host::config::PluginLimits;
use hearth_localmodel::LocalModel;
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;

/// The model file, or `None` outside CI when it has not been fetched.
fn model_path() -> Option<std::path::PathBuf> {
    match std::env::var_os("CHAT_TEST_MODEL").map(std::path::PathBuf::from) {
        Some(p) if p.exists() => Some(p),
        _ if std::env::var_os("CI").is_some() => {
            panic!("CI runs the local model: `make test` fetches it and sets CHAT_TEST_MODEL")
        }
        _ => {
            eprintln!("no local model (run `make test`, or set CHAT_TEST_MODEL): skipped");
            None
        }
    }
}

async fn serve(model: LocalModel) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        axum::serve(listener, hearth_localmodel::server::router(Arc::new(model)))
            .await
            .expect("serve");
    });
    format!("http://{addr}/v1")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_model_answers_a_question_about_the_records() {
    let Some(path) = model_path() else { return };
    let model = tokio::task::spawn_blocking(move || LocalModel::load(&path))
        .await
        .expect("join")
        .expect("the model loads");
    let endpoint = serve(model).await;

    // The endpoint itself, as any OpenAI client sees it.
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{endpoint}/chat/completions"))
        .json(&json!({"model": "local", "max_tokens": 8,
            "messages": [{"role": "user", "content": "Say hello."}]}))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200);
    let whole: Value = r.json().await.expect("json");
    assert_eq!(whole["object"], "chat.completion");
    assert!(
        whole["usage"]["completion_tokens"].as_u64().unwrap_or(0) >= 1,
        "{whole}"
    );
    let r = client
        .post(format!("{endpoint}/chat/completions"))
        .json(&json!({"messages": [{"role": "user", "content": "word ".repeat(5000)}]}))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 400, "a prompt past the context is refused");
    let refused: Value = r.json().await.expect("json");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("tokens")
    );
    let r = client
        .post(format!("{endpoint}/chat/completions"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 400);

    // Through chat: the OpenAI adapter, tools off (a model this small does not call them).
    let host = Host::start("plugins", PluginLimits::default()).await;
    host.upload_entries(
        &host.profile,
        vec![
            json!({"resource": {"resourceType": "Patient", "id": "p", "name": [{"family": "Owner", "given": ["Olive"]}]}}),
            json!({"resource": {"resourceType": "Observation", "id": "a1c-2024", "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4",
                    "display": "Hemoglobin A1c/Hemoglobin.total in Blood"}]},
                "subject": {"reference": "Patient/p"}, "effectiveDateTime": "2024-03-01",
                "valueQuantity": {"value": 7.2, "unit": "%"}}}),
        ],
    )
    .await;
    let (status, body) = call(
        &host.client,
        &host.base,
        Method::PUT,
        "/api/admin/chat",
        Some(
            &json!({"adapter": "llm-openai", "endpoint": endpoint, "model": "local",
            "offer_tools": false, "reply_timeout_secs": 300}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, conversation) = host.post(&host.at("/conversations"), &json!({})).await;
    assert_eq!(status, 201, "{conversation}");
    let started = std::time::Instant::now();
    let text = host
        .client
        .post(format!(
            "{}{}",
            host.base,
            host.at(&format!(
                "/conversations/{}/messages",
                conversation["id"].as_str().expect("id")
            ))
        ))
        .json(&json!({"question": "What is my latest HbA1c?"}))
        .send()
        .await
        .expect("ask")
        .text()
        .await
        .expect("stream");
    let mut streamed = String::new();
    let mut done = Value::Null;
    for block in text.split("\n\n") {
        let data = block.lines().find_map(|l| l.strip_prefix("data: "));
        let Some(data) = data else { continue };
        let value: Value = serde_json::from_str(data).expect("event data");
        if block.starts_with("event: text") {
            streamed.push_str(value["text"].as_str().unwrap_or_default());
        } else if block.starts_with("event: done") {
            done = value;
        }
    }
    assert_eq!(done["failed"], false, "{done}");
    let content = done["content"].as_str().unwrap_or_default();
    assert!(!content.trim().is_empty(), "{done}");
    assert_eq!(
        streamed, content,
        "the answer streamed as the model wrote it"
    );
    assert_eq!(
        done["checked"]["shown"][0],
        json!({"label": "R1", "record": "Observation/a1c-2024"}),
        "{done}"
    );
    println!(
        "SmolLM2-135M answered in {:.1} s: {content:?}\nits sentences: {}",
        started.elapsed().as_secs_f64(),
        done["checked"]["claims"]
    );
}

/// `hearth serve` with `local_model`: the model is served on its loopback
/// address and chat offers it; a file that is no model leaves the host serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_starts_the_configured_model_and_chat_offers_it() {
    let not_a_model = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(not_a_model.path(), b"hello").expect("write");
    let mut models = vec![(not_a_model.path().to_path_buf(), false)];
    if let Some(path) = model_path() {
        models.push((path, true));
    }
    for (path, real) in models {
        let data = tempfile::tempdir().expect("temp dir");
        let listen: std::net::SocketAddr = format!("127.0.0.1:{}", common::free_port())
            .parse()
            .expect("addr");
        let config = hearth_host::config::Config {
            data_dir: data.path().to_path_buf(),
            listen: "127.0.0.1:0".parse().expect("addr"),
            plugins_dir: common::plugin_dir("plugins"),
            log: "warn".into(),
            local_model: Some(path),
            local_model_listen: listen,
            ..hearth_host::config::Config::defaults()
        };
        let running = hearth_host::server::start(&config).await.expect("start");
        let base = format!("http://{}", running.addr);
        let (token, _) = common::set_up_owner(&base).await;
        let (status, chat) = call(
            &common::bearer_client(&token),
            &base,
            Method::GET,
            "/api/chat",
            None,
        )
        .await;
        assert_eq!(status, 200, "{chat}");
        assert_eq!(chat["local_endpoint"], format!("http://{listen}/v1"));
        assert_eq!(chat["enabled"], false, "offered, not chosen");
        if real {
            let started = std::time::Instant::now();
            loop {
                let answer = reqwest::get(format!("http://{listen}/v1/models")).await;
                if let Ok(r) = answer {
                    let models: Value = r.json().await.expect("json");
                    assert_eq!(models["data"][0]["owned_by"], "local", "{models}");
                    break;
                }
                assert!(
                    started.elapsed() < std::time::Duration::from_secs(120),
                    "the model never listened"
                );
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        } else {
            let (status, health) = call(
                &reqwest::Client::new(),
                &base,
                Method::GET,
                "/api/health",
                None,
            )
            .await;
            assert_eq!(
                status, 200,
                "a model that does not load leaves the host serving: {health}"
            );
        }
    }
}
