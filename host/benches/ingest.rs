//! Ingest benchmark: one generated patient pulled from the sandbox provider
//! through the wasm connector, beside the same ingest through a native path
//! (reqwest + the same record store), in resources per second.
//!
//! `cargo bench --bench ingest` runs 50,000 resources (override with
//! `HEARTH_BENCH_RESOURCES`); under `cargo test` it runs a 500-resource smoke
//! pass so the benchmark cannot rot.

mod common;

use hearth_host::config::{Config, PluginLimits};
use hearth_host::records::{self, RecordStore};
use hearth_host::server;
use hearth_sandbox::{self as sandbox, SandboxData, SandboxOptions};
use serde_json::Value;
use std::path::PathBuf;
use std::time::Instant;

// The same allocator as the `hearth` binary, so the figures match what it does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const PAGE: usize = 200;
/// The fhir-r4 connector checkpoints (one host transaction) about every 1,000 resources.
const COMMIT_EVERY: usize = 1000;

fn main() -> anyhow::Result<()> {
    let full = std::env::args().any(|a| a == "--bench");
    let resources: usize = match std::env::var("HEARTH_BENCH_RESOURCES") {
        Ok(v) => v.parse()?,
        Err(_) if full => 50_000,
        Err(_) => 500,
    };
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(run(resources))
}

fn config(data: &std::path::Path) -> Config {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    Config {
        data_dir: data.to_path_buf(),
        listen: "127.0.0.1:0".parse().expect("static address"),
        plugins_dir: root.join("dist/plugins"),
        cache_dir: data.join("cache"),
        log: "warn".into(),
        limits: PluginLimits::default(),
        allow_signup: false,
        secure_cookies: false,
        max_upload_bytes: 64 << 20,
        max_attachment_bytes: 1 << 20,
        sandbox: false,
        // The sandbox providers these runs sync from listen on loopback.
        allow_private_provider_addresses: true,
        ..Config::defaults()
    }
}

/// Set up a fresh host's administrator and return a client carrying their
/// token and the API path of their profile.
async fn sign_up_owner(base: &str) -> anyhow::Result<(reqwest::Client, String)> {
    let owner = common::set_up_owner(base, "Bench").await?;
    Ok((
        owner.client,
        format!("{base}/api/profiles/{}", owner.profile),
    ))
}

async fn run(resources: usize) -> anyhow::Result<()> {
    let started = Instant::now();
    let data = SandboxData::generated(42, 1, resources);
    let (patient, count) = data.patients()[0].clone();
    println!(
        "generated patient {patient}: {count} resources in {:.2?}",
        started.elapsed()
    );
    let options = SandboxOptions::with_random_token();
    let token = options.token.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let sb = sandbox::start(listener, data, options)?;

    // Through the wasm connector, via the host's API.
    let dir = tempfile::tempdir()?;
    let host = server::start(&config(dir.path())).await?;
    let (client, api) = sign_up_owner(&format!("http://{}", host.addr)).await?;
    let created: Value = client
        .post(format!("{api}/sources"))
        .json(&serde_json::json!({"fhir_base_url": sb.base_url, "patient_id": patient, "access_token": token}))
        .send()
        .await?
        .json()
        .await?;
    let id = created["id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no source id: {created}"))?;
    // The first sync fetches everything; the second asks only for what changed since (nothing).
    for (label, expected) in [("first sync", count as u64), ("incremental re-sync", 0)] {
        let t = Instant::now();
        let result: Value = client
            .post(format!("{api}/sources/{id}/sync"))
            .send()
            .await?
            .json()
            .await?;
        let secs = t.elapsed().as_secs_f64();
        let emitted = result["emitted"]
            .as_u64()
            .ok_or_else(|| anyhow::anyhow!("sync failed: {result}"))?;
        anyhow::ensure!(
            emitted == expected,
            "wasm path {label} emitted {emitted}, expected {expected}"
        );
        println!(
            "wasm connector   {label:<20} {emitted:>7} resources in {secs:>7.2} s = {:>8.0} resources/s (stored {}, {} requests)",
            emitted as f64 / secs,
            result["stored"],
            result["requests"]
        );
    }

    // The same pages through a native client into the same kind of store.
    let native_dir = tempfile::tempdir()?;
    let state = {
        let config = config(native_dir.path());
        server::build_state(&config, &config.public_url_for(config.listen)).await?
    };
    let native_host = server::serve(
        tokio::net::TcpListener::bind("127.0.0.1:0").await?,
        state.clone(),
    )?;
    let (native_client, native_api) =
        sign_up_owner(&format!("http://{}", native_host.addr)).await?;
    let source: Value = native_client
        .post(format!("{native_api}/sources"))
        .json(&serde_json::json!({"fhir_base_url": sb.base_url, "patient_id": patient, "access_token": token}))
        .send()
        .await?
        .json()
        .await?;
    let source_id = source["id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no source id: {source}"))?;
    for label in ["first sync", "unchanged re-sync"] {
        let t = Instant::now();
        let n = native_ingest(
            &client,
            &state.records,
            source_id,
            &sb.base_url,
            &patient,
            &token,
        )
        .await?;
        let secs = t.elapsed().as_secs_f64();
        anyhow::ensure!(
            n.total == count as u64,
            "native path fetched {} of {count}",
            n.total
        );
        println!(
            "native (no wasm) {label:<18} {count:>7} resources in {secs:>7.2} s = {:>8.0} resources/s (stored {}; fetch+parse {:.2} s, store {:.2} s)",
            count as f64 / secs,
            n.stored,
            n.fetch_secs,
            n.store_secs
        );
    }
    Ok(())
}

/// What the native path did and where its time went.
struct Native {
    total: u64,
    stored: u64,
    fetch_secs: f64,
    store_secs: f64,
}

async fn native_ingest(
    client: &reqwest::Client,
    store: &RecordStore,
    source: &str,
    base: &str,
    patient: &str,
    token: &str,
) -> anyhow::Result<Native> {
    let _caps: Value = client
        .get(format!("{base}/metadata"))
        .send()
        .await?
        .json()
        .await?;
    let mut next = Some(format!(
        "{base}/Patient/{patient}/$everything?_count={PAGE}"
    ));
    let mut n = Native {
        total: 0,
        stored: 0,
        fetch_secs: 0.0,
        store_secs: 0.0,
    };
    let mut pending = Vec::new();
    while let Some(url) = next.take() {
        let t = Instant::now();
        let bundle: Value = client
            .get(&url)
            .bearer_auth(token)
            .send()
            .await?
            .json()
            .await?;
        next = bundle["link"]
            .as_array()
            .and_then(|l| l.iter().find(|l| l["relation"] == "next"))
            .and_then(|l| l["url"].as_str())
            .map(str::to_string);
        let parsed = bundle["entry"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| records::parse(&e["resource"].to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        n.total += parsed.len() as u64;
        pending.extend(parsed);
        n.fetch_secs += t.elapsed().as_secs_f64();
        // Commit as often as the wasm connector checkpoints, so both pay the same transactions.
        if pending.len() >= COMMIT_EVERY || next.is_none() {
            let t = Instant::now();
            n.stored += store.upsert_batch(source, &pending).await?.stored;
            n.store_secs += t.elapsed().as_secs_f64();
            pending.clear();
        }
    }
    Ok(n)
}
