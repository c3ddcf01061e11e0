//! Chat through the API against HTTP servers speaking the real OpenAI
//! Chat Completions (server-sent events) and Ollama `/api/chat` (NDJSON)
//! streaming formats, with frames split at odd places, tool calls, failures
//! and a server that goes quiet. Checks that the prompt holds only the
//! profile's records, that citations and numbers are checked, that an answer
//! with nothing behind it abstains, and who may see a conversation.

mod common;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use common::{Host, call};
use hearth_host::config::PluginLimits;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the fake model answers to one request.
#[derive(Clone)]
enum Reply {
    /// 200 with the body sent in these pieces, a moment apart.
    Pieces(&'static str, Vec<Vec<u8>>),
    /// A status and a body.
    Status(u16, &'static str),
    /// 200 with a first piece, then silence for this long.
    Stall(Vec<u8>, Duration),
}

/// One request the fake model received.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    authorization: Option<String>,
    body: Value,
}

#[derive(Clone, Default)]
struct Model {
    seen: Arc<Mutex<Vec<Seen>>>,
    script: Arc<Mutex<VecDeque<Reply>>>,
}

impl Model {
    fn then(&self, reply: Reply) {
        self.script.lock().unwrap().push_back(reply);
    }
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn answer(State(model): State<Model>, request: Request) -> Response {
    let path = request.uri().path().to_string();
    let authorization = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = axum::body::to_bytes(request.into_body(), 16 << 20)
        .await
        .expect("request body");
    let body: Value = serde_json::from_slice(&bytes).expect("a JSON request");
    model.seen.lock().unwrap().push(Seen {
        path,
        authorization,
        body,
    });
    let reply = model.script.lock().unwrap().pop_front();
    match reply {
        Some(Reply::Pieces(content_type, pieces)) => {
            let stream = futures_util::stream::unfold(pieces.into_iter(), |mut it| async move {
                let piece = it.next()?;
                tokio::time::sleep(Duration::from_millis(3)).await;
                Some((Ok::<_, std::convert::Infallible>(piece), it))
            });
            Response::builder()
                .header("content-type", content_type)
                .body(Body::from_stream(stream))
                .expect("response")
        }
        Some(Reply::Status(status, text)) => Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Body::from(text))
            .expect("response"),
        Some(Reply::Stall(first, pause)) => {
            let stream = futures_util::stream::unfold(0, move |n| {
                let first = first.clone();
                async move {
                    match n {
                        0 => Some((Ok::<_, std::convert::Infallible>(first), 1)),
                        _ => {
                            tokio::time::sleep(pause).await;
                            None
                        }
                    }
                }
            });
            Response::builder()
                .header("content-type", "text/event-stream")
                .body(Body::from_stream(stream))
                .expect("response")
        }
        None => Response::builder()
            .status(599)
            .body(Body::from("no reply scripted"))
            .expect("response"),
    }
}

/// Start the fake model on an ephemeral port; its base URL.
async fn fake_model() -> (Model, String) {
    let model = Model::default();
    let app = axum::Router::new()
        .fallback(answer)
        .with_state(model.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    (model, format!("http://{addr}"))
}

/// `text` in pieces of `n` bytes: frames, lines and characters split anywhere.
fn split(text: &str, n: usize) -> Vec<Vec<u8>> {
    text.as_bytes().chunks(n).map(<[u8]>::to_vec).collect()
}

/// An OpenAI streamed reply of text deltas.
fn sse_text(pieces: &[&str]) -> String {
    let mut out = String::new();
    for p in pieces {
        let event = json!({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
            "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": null}]});
        out.push_str(&format!("data: {event}\n\n"));
    }
    let last = json!({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]});
    out.push_str(&format!("data: {last}\n\ndata: [DONE]\n\n"));
    out
}

/// An OpenAI streamed reply asking for one tool call, its arguments in pieces.
fn sse_tool_call(id: &str, name: &str, argument_pieces: &[&str]) -> String {
    let mut out = String::from(": keep-alive\n\n");
    let first = json!({"choices": [{"index": 0, "delta": {"role": "assistant", "content": null,
        "tool_calls": [{"index": 0, "id": id, "type": "function", "function": {"name": name, "arguments": ""}}]}}]});
    out.push_str(&format!("data: {first}\r\n\r\n"));
    for p in argument_pieces {
        let more = json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": p}}]}}]});
        out.push_str(&format!("data: {more}\n\n"));
    }
    let last = json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]});
    out.push_str(&format!("data: {last}\n\ndata: [DONE]\n\n"));
    out
}

fn a1c(id: &str, date: &str, value: &str) -> Value {
    serde_json::from_str(&format!(
        r#"{{"resource": {{"resourceType": "Observation", "id": "{id}", "status": "final",
            "category": [{{"coding": [{{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}}]}}],
            "code": {{"coding": [{{"system": "http://loinc.org", "code": "4548-4", "display": "Hemoglobin A1c/Hemoglobin.total in Blood"}}]}},
            "subject": {{"reference": "Patient/p"}}, "effectiveDateTime": "{date}",
            "valueQuantity": {{"value": {value}, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}}}}}}"#
    ))
    .expect("an A1c")
}

fn records() -> Vec<Value> {
    vec![
        json!({"resource": {"resourceType": "Patient", "id": "p", "gender": "female",
            "birthDate": "1970-04-02", "name": [{"family": "Owner", "given": ["Olive"]}]}}),
        a1c("a1c-2024", "2024-03-01", "7.20"),
        a1c("a1c-2023", "2023-09-01", "6.9"),
        json!({"resource": {"resourceType": "Observation", "id": "ldl", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "18262-6",
                "display": "Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay"}]},
            "subject": {"reference": "Patient/p"}, "effectiveDateTime": "2024-03-01",
            "valueQuantity": {"value": 131, "unit": "mg/dL"}}}),
        json!({"resource": {"resourceType": "Condition", "id": "dm", "subject": {"reference": "Patient/p"},
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]}, "onsetDateTime": "2019-06-01",
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "44054006", "display": "Diabetes mellitus type 2"}]}}}),
    ]
}

/// Another profile's records, which no prompt about Olive may hold.
fn others() -> Vec<Value> {
    vec![
        json!({"resource": {"resourceType": "Patient", "id": "q", "name": [{"family": "Other", "given": ["Bea"]}]}}),
        a1c("bea-a1c", "2024-05-05", "9.99"),
        json!({"resource": {"resourceType": "Condition", "id": "zz", "subject": {"reference": "Patient/q"},
            "code": {"text": "Zzyzx fever"}}}),
    ]
}

/// Configure chat as the administrator.
async fn configure(host: &Host, adapter: &str, endpoint: &str, offer_tools: bool, timeout: u32) {
    let (status, body) = call(
        &host.client,
        &host.base,
        Method::PUT,
        "/api/admin/chat",
        Some(&json!({"adapter": adapter, "endpoint": endpoint, "model": "test-model",
            "api_key": "sk-test-secret", "offer_tools": offer_tools, "reply_timeout_secs": timeout})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

async fn start_conversation(host: &Host, client: &reqwest::Client, profile: &str) -> String {
    let (status, c) = call(
        client,
        &host.base,
        Method::POST,
        &format!("/api/profiles/{profile}/conversations"),
        Some(&json!({})),
    )
    .await;
    assert_eq!(status, 201, "{c}");
    c["id"].as_str().expect("id").to_string()
}

/// The events of an answer: (event, data) in order.
async fn ask(
    host: &Host,
    client: &reqwest::Client,
    profile: &str,
    conversation: &str,
    question: &str,
) -> (u16, Vec<(String, Value)>) {
    let r = client
        .post(format!(
            "{}/api/profiles/{profile}/conversations/{conversation}/messages",
            host.base
        ))
        .json(&json!({"question": question}))
        .send()
        .await
        .expect("ask");
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    if status != 200 {
        return (
            status,
            vec![(
                "problem".into(),
                serde_json::from_str(&text).unwrap_or(Value::Null),
            )],
        );
    }
    let mut events = Vec::new();
    for block in text.split("\n\n") {
        let mut name = String::from("message");
        let mut data = String::new();
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("event:") {
                name = v.trim().to_string();
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push_str(v.trim_start());
            }
        }
        if !data.is_empty() {
            events.push((
                name,
                serde_json::from_str(&data).expect("event data is JSON"),
            ));
        }
    }
    (status, events)
}

/// As the owner, ask `question` in a new conversation: its id, the status and the events.
async fn ask_new(host: &Host, question: &str) -> (String, u16, Vec<(String, Value)>) {
    let conversation = start_conversation(host, &host.client, &host.profile).await;
    let (status, events) = ask(host, &host.client, &host.profile, &conversation, question).await;
    (conversation, status, events)
}

/// The owner's conversation as stored.
async fn kept(host: &Host, conversation: &str) -> Value {
    let (status, kept) = host
        .get(&format!(
            "/api/profiles/{}/conversations/{conversation}",
            host.profile
        ))
        .await;
    assert_eq!(status, 200, "{kept}");
    kept
}

fn done(events: &[(String, Value)]) -> &Value {
    &events
        .iter()
        .find(|(e, _)| e == "done")
        .unwrap_or_else(|| panic!("a done event: {events:?}"))
        .1
}

fn streamed(events: &[(String, Value)]) -> String {
    events
        .iter()
        .filter(|(e, _)| e == "text")
        .filter_map(|(_, d)| d["text"].as_str())
        .collect()
}

fn statuses(answer: &Value) -> Vec<String> {
    answer["checked"]["claims"]
        .as_array()
        .expect("claims")
        .iter()
        .map(|c| c["status"].as_str().expect("status").to_string())
        .collect()
}

async fn olive_and_bea() -> (Host, String) {
    let host = Host::start("plugins", PluginLimits::default()).await;
    host.upload_entries(&host.profile, records()).await;
    let bea = host.new_profile("Bea").await;
    host.upload_entries(&bea, others()).await;
    (host, bea)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_openai_answer_streams_holds_only_this_profiles_records_and_is_checked() {
    let (host, _) = olive_and_bea().await;
    let (model, base) = fake_model().await;
    configure(&host, "llm-openai", &format!("{base}/v1"), true, 30).await;
    let reply = sse_text(&[
        "Your latest HbA1c was 7.20 % on 2024-03-01 [R1]",
        ". Before that — in September 2023 — it was 6.5 % [R2].",
    ]);
    model.then(Reply::Pieces("text/event-stream", split(&reply, 7)));
    let (conversation, status, events) = ask_new(&host, "What is my latest HbA1c?").await;
    assert_eq!(status, 200, "{events:?}");
    let answer = done(&events);
    let content = answer["content"].as_str().expect("content");
    assert_eq!(
        content,
        "Your latest HbA1c was 7.20 % on 2024-03-01 [R1]. Before that — in September 2023 — it was 6.5 % [R2]."
    );
    assert_eq!(streamed(&events), content, "the answer streamed as written");
    // The first sentence is what R1 says; 6.5 is in no record it cites.
    assert_eq!(statuses(answer), ["supported", "number-not-in-records"]);
    assert_eq!(
        answer["checked"]["claims"][1]["unsupported"],
        json!(["6.5"])
    );
    assert_eq!(
        answer["checked"]["citations"],
        json!([{"label": "R1", "record": "Observation/a1c-2024"},
               {"label": "R2", "record": "Observation/a1c-2023"}])
    );

    let seen = model.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/v1/chat/completions");
    assert_eq!(
        seen[0].authorization.as_deref(),
        Some("Bearer sk-test-secret")
    );
    let body = &seen[0].body;
    assert_eq!(body["model"], "test-model");
    assert_eq!(body["stream"], true);
    assert_eq!(body["tools"][0]["function"]["name"], "search_records");
    let system = body["messages"][0]["content"].as_str().expect("system");
    assert!(system.contains("Cite the label"), "{system}");
    // The records, as the host summarised them, with the digits as recorded.
    assert!(
        system.contains("[R1] Observation/a1c-2024, 2024-03-01: Hemoglobin A1c/Hemoglobin.total in Blood (LOINC 4548-4); value 7.20 %"),
        "{system}"
    );
    assert_eq!(body["messages"][1]["content"], "What is my latest HbA1c?");
    // Nothing of Bea's, anywhere in what was sent.
    let sent = body.to_string();
    for other in ["9.99", "Zzyzx", "bea-a1c", "Bea"] {
        assert!(
            !sent.contains(other),
            "{other} leaked into the prompt: {sent}"
        );
    }

    // Kept: the question, the checked answer; the title is the question.
    let kept = kept(&host, &conversation).await;
    assert_eq!(kept["title"], "What is my latest HbA1c?");
    let messages = kept["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["role"], "user");
    assert_eq!(messages[1]["content"], content);
    assert_eq!(messages[1]["checked"], answer["checked"]);
    // The key is kept sealed: not in the settings, not in the database files as text.
    let (_, settings) = host.get("/api/admin/chat").await;
    assert_eq!(settings["has_api_key"], true);
    assert!(!settings.to_string().contains("sk-test-secret"));
    for file in ["hearth.db", "hearth.db-wal"] {
        if let Ok(bytes) = std::fs::read(host.data.path().join(file)) {
            assert!(
                !bytes.windows(14).any(|w| w == b"sk-test-secret"),
                "the API key is in {file} as text"
            );
        }
    }
    let (_, status) = host.get("/api/chat").await;
    assert_eq!(status["enabled"], true);
    assert_eq!(status["remote"], false, "127.0.0.1 is this machine");
    assert_eq!(status["adapter"], "OpenAI-compatible chat");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_call_streamed_in_pieces_is_run_and_its_record_can_be_cited() {
    let (host, _) = olive_and_bea().await;
    let (model, base) = fake_model().await;
    configure(&host, "llm-openai", &format!("{base}/v1"), true, 30).await;
    let call = sse_tool_call(
        "call_1",
        "search_records",
        &["{\"que", "ry\": \"chol", "esterol\"}"],
    );
    model.then(Reply::Pieces("text/event-stream", split(&call, 5)));
    let reply = sse_text(&["Your LDL cholesterol was 131 mg/dL on 2024-03-01 [R1]."]);
    model.then(Reply::Pieces("text/event-stream", split(&reply, 11)));
    let (_, _, events) = ask_new(&host, "Anything else I should know?").await;
    let answer = done(&events);
    assert_eq!(answer["failed"], false, "{answer}");
    assert_eq!(statuses(answer), ["supported"], "{answer}");
    assert_eq!(
        answer["checked"]["citations"][0]["record"],
        "Observation/ldl"
    );
    let seen = model.seen();
    assert_eq!(seen.len(), 2, "the question, then the tool's result");
    let first = seen[0].body["messages"][0]["content"]
        .as_str()
        .expect("system");
    assert!(first.contains("No record matched the question."), "{first}");
    let messages = seen[1].body["messages"].as_array().expect("messages");
    let asked = &messages[messages.len() - 2];
    assert_eq!(asked["role"], "assistant");
    assert_eq!(asked["tool_calls"][0]["id"], "call_1");
    assert_eq!(
        asked["tool_calls"][0]["function"]["arguments"],
        "{\"query\": \"cholesterol\"}"
    );
    let result = &messages[messages.len() - 1];
    assert_eq!(result["role"], "tool");
    assert_eq!(result["tool_call_id"], "call_1");
    let text = result["content"].as_str().expect("tool result");
    assert!(
        text.starts_with("[R1] Observation 2024-03-01: Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay: 131 mg/dL"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_matching_record_the_answer_abstains_whatever_the_model_says() {
    let (host, _) = olive_and_bea().await;
    let (model, base) = fake_model().await;
    configure(&host, "llm-openai", &format!("{base}/v1"), false, 30).await;
    model.then(Reply::Pieces(
        "text/event-stream",
        split(&sse_text(&["Your blood type is O positive [R1]."]), 13),
    ));
    let (_, _, events) = ask_new(&host, "What is my blood type?").await;
    let answer = done(&events);
    assert_eq!(answer["content"], hearth_host::chat::ABSTENTION, "{answer}");
    assert_eq!(answer["checked"]["abstained"], true);
    let seen = model.seen();
    assert!(seen[0].body.get("tools").is_none(), "tools are off");
    assert!(
        seen[0].body["messages"][0]["content"]
            .as_str()
            .unwrap_or_default()
            .contains("No record matched the question.")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_and_silence_are_reported_kept_and_left_out_of_later_prompts() {
    let (host, _) = olive_and_bea().await;
    let (model, base) = fake_model().await;
    configure(&host, "llm-openai", &format!("{base}/v1"), false, 5).await;
    model.then(Reply::Status(
        500,
        r#"{"error": {"message": "the model is overloaded"}}"#,
    ));
    let first = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Your\"}}]}\n\n";
    model.then(Reply::Stall(
        first.as_bytes().to_vec(),
        Duration::from_secs(30),
    ));
    model.then(Reply::Status(401, r#"{"error": {"message": "bad key"}}"#));
    let conversation = start_conversation(&host, &host.client, &host.profile).await;
    let question = "What is my latest HbA1c?";
    let (_, events) = ask(&host, &host.client, &host.profile, &conversation, question).await;
    let answer = done(&events);
    assert_eq!(answer["failed"], true);
    let error = answer["error"].as_str().expect("error");
    assert!(
        error.contains("HTTP 500") && error.contains("overloaded"),
        "{error}"
    );
    let started = std::time::Instant::now();
    let (_, events) = ask(&host, &host.client, &host.profile, &conversation, question).await;
    let answer = done(&events);
    assert_eq!(answer["failed"], true);
    let error = answer["error"].as_str().expect("error");
    assert!(error.contains("went quiet for 5 s"), "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "stopped at the limit"
    );
    let (_, events) = ask(&host, &host.client, &host.profile, &conversation, question).await;
    let error = done(&events)["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(error.contains("refused the credentials"), "{error}");

    // Each failure is kept with its question; none is sent to the model again.
    let reply = sse_text(&["It was 7.20 % [R1]."]);
    model.then(Reply::Pieces("text/event-stream", split(&reply, 9)));
    let (_, events) = ask(&host, &host.client, &host.profile, &conversation, question).await;
    assert_eq!(statuses(done(&events)), ["supported"]);
    let seen = model.seen();
    let last = seen.last().expect("requests").body["messages"]
        .as_array()
        .expect("messages")
        .clone();
    assert_eq!(
        last.len(),
        2,
        "instructions and the question only: {last:?}"
    );
    let kept = kept(&host, &conversation).await;
    let failed: Vec<&Value> = kept["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["failed"] == true)
        .collect();
    assert_eq!(failed.len(), 3, "{kept}");
    assert!(host.healthy().await);
}

/// An Ollama reply line.
fn ndjson(message: Value, done: bool) -> String {
    format!(
        "{}\n",
        json!({"model": "test-model", "created_at": "2026-12-05T10:00:00Z", "message": message, "done": done})
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ollama_answer_reads_split_ndjson_and_runs_its_tool_call() {
    let (host, _) = olive_and_bea().await;
    let (model, base) = fake_model().await;
    configure(&host, "llm-ollama", &base, true, 30).await;
    let call = ndjson(
        json!({"role": "assistant", "content": "", "tool_calls": [
            {"function": {"name": "read_record", "arguments": {"label": "R2"}}}]}),
        false,
    ) + &ndjson(json!({"role": "assistant", "content": ""}), true);
    model.then(Reply::Pieces("application/x-ndjson", split(&call, 6)));
    let reply = ndjson(
        json!({"role": "assistant", "content": "It was 7.20 % [R1], "}),
        false,
    ) + &ndjson(
        json!({"role": "assistant", "content": "up from 6.9 % [R2]."}),
        false,
    ) + &ndjson(json!({"role": "assistant", "content": ""}), true);
    model.then(Reply::Pieces("application/x-ndjson", split(&reply, 17)));
    let (_, _, events) = ask_new(&host, "How has my HbA1c changed?").await;
    let answer = done(&events);
    assert_eq!(answer["content"], "It was 7.20 % [R1], up from 6.9 % [R2].");
    assert_eq!(statuses(answer), ["supported"], "{answer}");
    let seen = model.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].path, "/api/chat");
    assert_eq!(seen[0].body["stream"], true);
    let messages = seen[1].body["messages"].as_array().expect("messages");
    let result = messages.last().expect("tool result");
    assert_eq!(result["role"], "tool");
    assert_eq!(result["tool_name"], "read_record");
    assert!(
        result["content"]
            .as_str()
            .unwrap_or_default()
            .starts_with("[R2] Observation/a1c-2023, 2023-09-01:"),
        "{result}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_is_off_until_configured_and_conversations_are_their_askers_alone() {
    let (host, _) = olive_and_bea().await;
    let (model, base) = fake_model().await;
    let mine = start_conversation(&host, &host.client, &host.profile).await;
    // Off: nothing is sent anywhere.
    let (status, problem) = ask(
        &host,
        &host.client,
        &host.profile,
        &mine,
        "What is my latest HbA1c?",
    )
    .await;
    assert_eq!(status, 409, "{problem:?}");
    assert_eq!(problem[0].1["type"], "urn:hearth:problem:chat-off");
    let (_, status_body) = host.get("/api/chat").await;
    assert_eq!(status_body["enabled"], false);
    assert!(model.seen().is_empty());

    // Only an administrator configures, and only with a usable endpoint.
    let (_, mia) = host.member("mia").await;
    let (status, _) = call(
        &mia,
        &host.base,
        Method::PUT,
        "/api/admin/chat",
        Some(&json!({"adapter": "llm-openai", "endpoint": format!("{base}/v1"), "model": "m"})),
    )
    .await;
    assert_eq!(status, 403);
    for (bad, why) in [
        (
            json!({"adapter": "diabetes", "endpoint": format!("{base}/v1"), "model": "m"}),
            "adapter",
        ),
        (
            json!({"adapter": "llm-openai", "endpoint": "ftp://models.example", "model": "m"}),
            "endpoint",
        ),
        (
            json!({"adapter": "llm-openai", "endpoint": "https://u:p@models.example", "model": "m"}),
            "credentials",
        ),
        (
            json!({"adapter": "llm-openai", "endpoint": format!("{base}/v1"), "model": ""}),
            "model",
        ),
        (
            json!({"adapter": "llm-openai", "endpoint": format!("{base}/v1"), "model": "m", "reply_timeout_secs": 1}),
            "reply_timeout_secs",
        ),
    ] {
        let (status, problem) = call(
            &host.client,
            &host.base,
            Method::PUT,
            "/api/admin/chat",
            Some(&bad),
        )
        .await;
        assert_eq!(status, 422, "{bad}: {problem}");
        assert!(
            problem["detail"].as_str().unwrap_or_default().contains(why),
            "{problem}"
        );
    }
    configure(&host, "llm-openai", &format!("{base}/v1"), false, 30).await;

    // A viewer of the profile has conversations of their own, and none of the owner's.
    let (status, g) = call(
        &host.client,
        &host.base,
        Method::POST,
        &format!("/api/profiles/{}/grants", host.profile),
        Some(&json!({"username": "mia", "role": "viewer"})),
    )
    .await;
    assert_eq!(status, 201, "{g}");
    let (status, list) = call(
        &mia,
        &host.base,
        Method::GET,
        &format!("/api/profiles/{}/conversations", host.profile),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(list["conversations"], json!([]));
    for method in [Method::GET, Method::DELETE] {
        let (status, _) = call(
            &mia,
            &host.base,
            method,
            &format!("/api/profiles/{}/conversations/{mine}", host.profile),
            None,
        )
        .await;
        assert_eq!(status, 404);
    }
    let (status, _) = ask(
        &host,
        &mia,
        &host.profile,
        &mine,
        "What is my latest HbA1c?",
    )
    .await;
    assert_eq!(status, 404);
    assert!(model.seen().is_empty(), "nothing was asked");
    // Bad questions are refused before anything is sent.
    let (status, _) = ask(&host, &host.client, &host.profile, &mine, "   ").await;
    assert_eq!(status, 422);
    let long = "why ".repeat(1_200);
    let (status, _) = ask(&host, &host.client, &host.profile, &mine, &long).await;
    assert_eq!(status, 422);
    assert!(model.seen().is_empty());

    // Deleting takes the conversation and its messages.
    let (status, _) = call(
        &host.client,
        &host.base,
        Method::DELETE,
        &format!("/api/profiles/{}/conversations/{mine}", host.profile),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = host
        .get(&format!(
            "/api/profiles/{}/conversations/{mine}",
            host.profile
        ))
        .await;
    assert_eq!(status, 404);
    let left: i64 =
        sqlx::query_scalar("SELECT count(*) FROM chat_messages WHERE conversation_id = ?")
            .bind(&mine)
            .fetch_one(host.state.records.db())
            .await
            .expect("count");
    assert_eq!(left, 0);
    // Off again: the settings and the key are gone.
    let (status, _) = call(
        &host.client,
        &host.base,
        Method::DELETE,
        "/api/admin/chat",
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (_, settings) = host.get("/api/admin/chat").await;
    assert_eq!(settings, Value::Null);
}
