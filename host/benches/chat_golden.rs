//! The chat golden set: 56 questions over a generated patient (latest
//! values, trends, medicine and allergy lists, dates, and questions whose
//! answer is not in the record), asked through the API and scored on
//!
//! - context recall: the expected records among those the answer was shown;
//! - cited-id recall: the expected records the answer cites;
//! - citation validity: citations that name a record the answer was shown;
//! - exact numbers: the expected numbers written in the answer as recorded;
//! - supported numbers: sentences stating numbers that the host's check finds in the cited records;
//! - abstention: answering questions the record answers, abstaining on the others.
//!
//! Two models answer: an extractive baseline (no language model: it repeats
//! the first records it is shown, cited, so its scores measure retrieval
//! and the checks), and, when `CHAT_BENCH_ENDPOINT` names one (with
//! `CHAT_BENCH_MODEL`, `CHAT_BENCH_ADAPTER` = `llm-openai` or
//! `llm-ollama`, `CHAT_BENCH_TOOLS=1` to offer tools), a real model, whose
//! quality is reported, not asserted. `hearth model serve` gives a local one.
//!
//! `cargo bench --bench chat_golden`; under `cargo test` the baseline runs
//! the whole set too (it takes seconds).

mod common;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use hearth_host::config::{Config, PluginLimits};
use hearth_host::server;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(run())
}

/// What a question should be answered with.
#[derive(Debug, Default)]
struct Expected {
    ids: Vec<String>,
    numbers: Vec<String>,
    absent: bool,
}

/// Scores summed over questions.
#[derive(Debug, Default, Clone)]
struct Score {
    questions: usize,
    expected_ids: usize,
    in_context: usize,
    cited_expected: usize,
    citations: usize,
    valid_citations: usize,
    expected_numbers: usize,
    exact_numbers: usize,
    numeric_claims: usize,
    supported_claims: usize,
    abstention_right: usize,
    failed: usize,
    seconds: f64,
}

impl Score {
    fn add(&mut self, o: &Score) {
        self.questions += o.questions;
        self.expected_ids += o.expected_ids;
        self.in_context += o.in_context;
        self.cited_expected += o.cited_expected;
        self.citations += o.citations;
        self.valid_citations += o.valid_citations;
        self.expected_numbers += o.expected_numbers;
        self.exact_numbers += o.exact_numbers;
        self.numeric_claims += o.numeric_claims;
        self.supported_claims += o.supported_claims;
        self.abstention_right += o.abstention_right;
        self.failed += o.failed;
        self.seconds += o.seconds;
    }

    fn row(&self, label: &str) -> String {
        let pct = |a: usize, b: usize| {
            if b == 0 {
                "    -".to_string()
            } else {
                format!("{:>5.1}", 100.0 * a as f64 / b as f64)
            }
        };
        format!(
            "{label:<9} {:>3}  {}  {}  {}  {}  {}  {}  {:>3}  {:>6.2}",
            self.questions,
            pct(self.in_context, self.expected_ids),
            pct(self.cited_expected, self.expected_ids),
            pct(self.valid_citations, self.citations),
            pct(self.exact_numbers, self.expected_numbers),
            pct(self.supported_claims, self.numeric_claims),
            pct(self.abstention_right, self.questions),
            self.failed,
            self.seconds / self.questions.max(1) as f64,
        )
    }
}

fn date_of(r: &Value) -> String {
    for f in [
        "effectiveDateTime",
        "occurrenceDateTime",
        "performedDateTime",
        "onsetDateTime",
        "authoredOn",
        "recordedDate",
    ] {
        if let Some(d) = r[f].as_str() {
            return d.to_string();
        }
    }
    for p in ["performedPeriod", "period"] {
        if let Some(d) = r[p]["start"].as_str() {
            return d.to_string();
        }
    }
    String::new()
}

fn concept_of(r: &Value) -> &Value {
    for f in ["code", "vaccineCode", "medicationCodeableConcept"] {
        if r.get(f).is_some() {
            return &r[f];
        }
    }
    &r["type"][0]
}

fn display_of(r: &Value) -> String {
    let c = concept_of(r);
    c["text"]
        .as_str()
        .or_else(|| c["coding"][0]["display"].as_str())
        .unwrap_or_default()
        .to_string()
}

fn active(r: &Value) -> bool {
    r["status"] == "active" || r["clinicalStatus"]["coding"][0]["code"] == "active"
}

/// The records and numbers a question's rule picks from the patient.
fn expected(resources: &[Value], rule: &Value) -> Expected {
    if rule["absent"] == true {
        return Expected {
            absent: true,
            ..Expected::default()
        };
    }
    let mut matching: Vec<&Value> = resources
        .iter()
        .filter(|r| r["resourceType"] == rule["type"])
        .filter(|r| match rule["code"].as_str() {
            None => true,
            Some(code) => concept_of(r)["coding"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| c["code"] == code),
        })
        .collect();
    matching.sort_by_key(|r| date_of(r));
    let take = rule["take"].as_str().unwrap_or("latest");
    let chosen: Vec<&Value> = match take {
        "latest" => matching.last().copied().into_iter().collect(),
        "first" => matching.first().copied().into_iter().collect(),
        "each" | "each-active" => {
            let mut newest: BTreeMap<String, &Value> = BTreeMap::new();
            for r in matching.iter().filter(|r| take == "each" || active(r)) {
                newest.insert(display_of(r), r);
            }
            newest.into_values().collect()
        }
        n => {
            let n: usize = n
                .strip_prefix("newest:")
                .and_then(|n| n.parse().ok())
                .unwrap_or(1);
            matching.iter().rev().take(n).copied().collect()
        }
    };
    let mut numbers = Vec::new();
    for r in &chosen {
        match rule["numbers"].as_str() {
            Some("value") => {
                if let Value::Number(n) = &r["valueQuantity"]["value"] {
                    numbers.push(n.to_string());
                }
                for c in r["component"].as_array().into_iter().flatten() {
                    if let Value::Number(n) = &c["valueQuantity"]["value"] {
                        numbers.push(n.to_string());
                    }
                }
            }
            Some("year") => numbers.push(date_of(r).chars().take(4).collect()),
            _ => {}
        }
    }
    Expected {
        ids: chosen
            .iter()
            .map(|r| {
                format!(
                    "{}/{}",
                    r["resourceType"].as_str().unwrap_or_default(),
                    r["id"].as_str().unwrap_or_default()
                )
            })
            .collect(),
        numbers,
        absent: false,
    }
}

/// The extractive baseline: repeats the first records of the prompt, cited.
async fn extractive(request: Request) -> Response {
    let bytes = axum::body::to_bytes(request.into_body(), 64 << 20)
        .await
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let system = body["messages"][0]["content"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut sentences = Vec::new();
    for line in system.lines().filter(|l| l.starts_with("[R")).take(5) {
        let Some((label, rest)) = line[1..].split_once(']') else {
            continue;
        };
        let Some((head, facts)) = rest.split_once(": ") else {
            continue;
        };
        let date = head.split(", ").nth(1).unwrap_or_default();
        let mut parts = facts.trim_end_matches('.').split("; ");
        let what = parts.next().unwrap_or_default();
        let values: Vec<&str> = parts
            .filter(|p| p.starts_with("value ") || p.contains(" blood pressure "))
            .map(|p| p.trim_start_matches("value "))
            .collect();
        sentences.push(if values.is_empty() {
            format!("{what}, {date} [{label}].")
        } else {
            format!("{what}: {}, {date} [{label}].", values.join(", "))
        });
    }
    let text = if sentences.is_empty() {
        "That is not in your records.".to_string()
    } else {
        sentences.join(" ")
    };
    let event = json!({"choices": [{"index": 0, "delta": {"content": text}}]});
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from(format!("data: {event}\n\ndata: [DONE]\n\n")))
        .unwrap_or_default()
}

async fn run() -> anyhow::Result<()> {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let golden: Value = serde_json::from_str(&std::fs::read_to_string(
        root.join("host/benches/chat/golden.json"),
    )?)?;
    let dir = tempfile::tempdir()?;
    let config = Config {
        data_dir: dir.path().to_path_buf(),
        listen: "127.0.0.1:0".parse()?,
        plugins_dir: root.join("dist/plugins"),
        cache_dir: dir.path().join("cache"),
        log: "warn".into(),
        limits: PluginLimits::default(),
        allow_signup: false,
        sandbox: false,
        ..Config::defaults()
    };
    let state = server::build_state(&config, &config.public_url_for(config.listen)).await?;
    let host = server::serve(tokio::net::TcpListener::bind("127.0.0.1:0").await?, state)?;
    let base = format!("http://{}", host.addr);
    let owner = common::set_up_owner(&base, "Bench").await?;
    let (client, token, profile) = (owner.client, owner.token, owner.profile);
    let spec = &golden["patient"];
    let resources = hearth_synth::generate_patient(&hearth_synth::PatientSpec {
        seed: spec["seed"].as_u64().unwrap_or(5),
        target_resources: spec["resources"].as_u64().unwrap_or(1500) as usize,
    });
    let imported = client
        .post(format!(
            "{base}/api/profiles/{profile}/imports?confirm_person=true"
        ))
        .bearer_auth(&token)
        .header("content-type", "application/fhir+json")
        .body(hearth_synth::collection_bundle(&resources).to_string())
        .send()
        .await?;
    anyhow::ensure!(imported.status().is_success(), "import failed");
    println!(
        "golden set: {} questions over a generated patient of {} resources (seed {})",
        golden["questions"].as_array().map_or(0, Vec::len),
        resources.len(),
        spec["seed"]
    );

    let baseline = axum::Router::new().fallback(extractive);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let baseline_at = format!("http://{}/v1", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, baseline).await;
    });
    let mut runs = vec![(
        "extractive baseline (no language model)".to_string(),
        json!({"adapter": "llm-openai", "endpoint": baseline_at, "model": "extractive", "offer_tools": false}),
    )];
    if let Ok(endpoint) = std::env::var("CHAT_BENCH_ENDPOINT") {
        let model = std::env::var("CHAT_BENCH_MODEL").unwrap_or_else(|_| "default".into());
        let adapter = std::env::var("CHAT_BENCH_ADAPTER").unwrap_or_else(|_| "llm-openai".into());
        let tools = std::env::var("CHAT_BENCH_TOOLS").is_ok_and(|v| v == "1");
        runs.push((
            format!("{model} at {endpoint} ({adapter}, tools {})", if tools { "on" } else { "off" }),
            json!({"adapter": adapter, "endpoint": endpoint, "model": model, "offer_tools": tools, "reply_timeout_secs": 600}),
        ));
    }
    for (label, settings) in runs {
        let r = client
            .put(format!("{base}/api/admin/chat"))
            .bearer_auth(&token)
            .json(&settings)
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "configure: {}", r.text().await?);
        let scores = ask_all(&client, &base, &token, &profile, &golden, &resources).await?;
        println!("\n{label}");
        println!("kind        n  ctx-r  cite-r  valid  exact  suppd  abstn  err  s/question");
        let mut total = Score::default();
        for (kind, s) in &scores {
            println!("{}", s.row(kind));
            total.add(s);
        }
        println!("{}", total.row("all"));
    }
    Ok(())
}

/// Ask every golden question in a fresh conversation; scores per kind.
async fn ask_all(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    profile: &str,
    golden: &Value,
    resources: &[Value],
) -> anyhow::Result<BTreeMap<String, Score>> {
    let mut scores: BTreeMap<String, Score> = BTreeMap::new();
    for q in golden["questions"].as_array().into_iter().flatten() {
        let question = q["question"].as_str().unwrap_or_default();
        let want = expected(resources, &q["expect"]);
        anyhow::ensure!(
            want.absent || !want.ids.is_empty(),
            "no record in the patient answers {question:?}: the golden set and the generator disagree"
        );
        let conversation: Value = client
            .post(format!("{base}/api/profiles/{profile}/conversations"))
            .bearer_auth(token)
            .json(&json!({}))
            .send()
            .await?
            .json()
            .await?;
        let id = conversation["id"].as_str().unwrap_or_default();
        let started = Instant::now();
        let text = client
            .post(format!(
                "{base}/api/profiles/{profile}/conversations/{id}/messages"
            ))
            .bearer_auth(token)
            .json(&json!({"question": question}))
            .timeout(Duration::from_secs(900))
            .send()
            .await?
            .text()
            .await?;
        let seconds = started.elapsed().as_secs_f64();
        let answer: Value = text
            .split("\n\n")
            .find_map(|block| {
                block.starts_with("event: done").then(|| {
                    block
                        .lines()
                        .find_map(|l| l.strip_prefix("data: "))
                        .and_then(|d| serde_json::from_str(d).ok())
                })?
            })
            .unwrap_or(Value::Null);
        let s = scores
            .entry(q["kind"].as_str().unwrap_or("other").to_string())
            .or_default();
        s.questions += 1;
        s.seconds += seconds;
        if answer.is_null() || answer["failed"] == true {
            s.failed += 1;
            eprintln!("failed: {question}: {}", answer["error"]);
            continue;
        }
        let checked = &answer["checked"];
        let records = |key: &str| -> Vec<String> {
            checked[key]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c["record"].as_str().map(str::to_string))
                .collect()
        };
        let shown = records("shown");
        let cited = records("citations");
        let citations = checked["citations"].as_array().map_or(0, Vec::len);
        s.citations += citations;
        s.valid_citations += cited.len();
        s.expected_ids += want.ids.len();
        s.in_context += want.ids.iter().filter(|i| shown.contains(i)).count();
        s.cited_expected += want.ids.iter().filter(|i| cited.contains(i)).count();
        let content = answer["content"].as_str().unwrap_or_default();
        s.expected_numbers += want.numbers.len();
        s.exact_numbers += want
            .numbers
            .iter()
            .filter(|n| content.contains(n.as_str()))
            .count();
        for claim in checked["claims"].as_array().into_iter().flatten() {
            match claim["status"].as_str() {
                Some("supported") if !claim["labels"].as_array().is_none_or(Vec::is_empty) => {
                    // Supported sentences that state numbers.
                    let span = &content
                        .get(
                            claim["start"].as_u64().unwrap_or(0) as usize
                                ..claim["end"].as_u64().unwrap_or(0) as usize,
                        )
                        .unwrap_or_default();
                    if span.chars().any(|c| c.is_ascii_digit()) {
                        s.numeric_claims += 1;
                        s.supported_claims += 1;
                    }
                }
                Some("number-not-in-records" | "uncited") => s.numeric_claims += 1,
                _ => {}
            }
        }
        let abstained = checked["abstained"] == true;
        if abstained == want.absent {
            s.abstention_right += 1;
        }
    }
    Ok(scores)
}
