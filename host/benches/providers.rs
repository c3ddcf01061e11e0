//! Provider benchmark: catalog search over the whole shared fasten-sources
//! catalog (p50/p99 in process and over HTTP; target p99 ≤ 5 ms), and sync
//! throughput from the sandbox through SMART App Launch and the R4 connector
//! (resources per second, incremental re-sync included).
//!
//! `cargo bench --bench providers` syncs 50,000 resources (override with
//! `HEARTH_BENCH_RESOURCES`); under `cargo test` a small smoke pass keeps it
//! from rotting. Without `../shared/data` the catalog part uses a generated
//! catalog of the same size class and says so.

mod common;

use hearth_host::catalog::CatalogIndex;
use hearth_host::catalog::package::{self, read_package_catalog};
use hearth_host::config::{Config, PluginLimits};
use hearth_host::server;
use hearth_sandbox::{self as sandbox, SandboxData, SandboxOptions};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const QUERIES: &[&str] = &[
    "mayo clinic",
    "kaiser",
    "springfield",
    "memorial hospital",
    "clinic tx",
    "st",
    "a",
    "family medicine",
    "pediatrics ca",
    "statcare",
    "university health",
    "hearth sandbox",
    "new york",
    "zzzz nothing",
];

fn main() -> anyhow::Result<()> {
    let full = std::env::args().any(|a| a == "--bench");
    let resources: usize = match std::env::var("HEARTH_BENCH_RESOURCES") {
        Ok(v) => v.parse()?,
        Err(_) if full => 50_000,
        Err(_) => 1_000,
    };
    let rounds = if full { 200 } else { 3 };
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(run(resources, rounds))
}

fn percentiles(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let at = |q: f64| {
        samples[((samples.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0
    };
    (at(0.5), at(0.99))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Import the shared catalog (if present) into `plugins`; whether it was the shared one.
fn import_catalog(plugins: &Path) -> anyhow::Result<bool> {
    let r4 = root().join("dist/plugins/fhir-r4");
    std::fs::create_dir_all(plugins.join("fhir-r4"))?;
    for f in ["plugin.toml", "plugin.wasm"] {
        std::fs::copy(r4.join(f), plugins.join("fhir-r4").join(f))?;
    }
    let shared = root().join("../shared/data/fasten-sources");
    if !shared.join("catalog/brands.json").exists() {
        return Ok(false);
    }
    let started = Instant::now();
    let report = package::import(&shared, plugins, package::ImportMode::Replace)?;
    println!(
        "catalog import: {} packages, {} endpoints, {} brands in {:.2} s",
        report.packages.len(),
        report.packages.values().sum::<usize>(),
        report.brands,
        started.elapsed().as_secs_f64()
    );
    Ok(true)
}

async fn run(resources: usize, rounds: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let plugins = dir.path().join("plugins");
    let shared = import_catalog(&plugins)?;

    // In process: build the index from the written packages, then search.
    let mut packs = Vec::new();
    for entry in std::fs::read_dir(&plugins)? {
        let path = entry?.path();
        if path.join("catalog.json").exists() {
            let id = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            packs.push((id, read_package_catalog(&path)?));
        }
    }
    let started = Instant::now();
    let index = CatalogIndex::build(packs, Some("http://127.0.0.1:1/sandbox"));
    println!(
        "catalog index: {} brands, {} endpoints built in {:.0} ms{}",
        index.brands(),
        index.endpoints(),
        started.elapsed().as_secs_f64() * 1000.0,
        if shared {
            ""
        } else {
            " (no shared data: sandbox only)"
        }
    );
    let mut samples = Vec::new();
    let mut per_query: Vec<(&str, Vec<Duration>)> =
        QUERIES.iter().map(|q| (*q, Vec::new())).collect();
    for _ in 0..rounds {
        for (q, times) in per_query.iter_mut() {
            let t = Instant::now();
            let page = index.search(q, 20);
            let took = t.elapsed();
            samples.push(took);
            times.push(took);
            std::hint::black_box(page);
        }
    }
    let (slowest, slowest_p99) = per_query
        .into_iter()
        .map(|(q, t)| (q, percentiles(t).1))
        .fold(("", 0.0), |a, b| if b.1 > a.1 { b } else { a });
    println!("slowest query in process: {slowest:?} p99 {slowest_p99:.3} ms");
    let (p50, p99) = percentiles(samples);
    println!(
        "catalog search in process (n={}): p50 {p50:.3} ms, p99 {p99:.3} ms",
        rounds * QUERIES.len()
    );

    // Over HTTP, and sync throughput, against a real host and the sandbox.
    let data = SandboxData::generated(3, 1, resources);
    let (patient, _) = data.patients()[0].clone();
    let mut options = SandboxOptions::with_random_token();
    options.auto_approve = true;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let sb = sandbox::start(listener, data, options)?;
    let sandbox_root = format!("http://{}", sb.addr);
    let config = Config {
        data_dir: dir.path().join("data"),
        listen: "127.0.0.1:0".parse()?,
        plugins_dir: plugins.clone(),
        cache_dir: dir.path().join("cache"),
        log: "warn".into(),
        limits: PluginLimits::default(),
        sandbox: false,
        // The sandbox providers these runs sync from listen on loopback.
        allow_private_provider_addresses: true,
        sandbox_url: Some(url::Url::parse(&sandbox_root)?),
        ..Config::defaults()
    };
    let host = server::start(&config).await?;
    let base = format!("http://{}", host.addr);
    let anon = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let common::Owner {
        client, profile, ..
    } = common::set_up_owner(&base, "Bench").await?;

    let mut samples = Vec::new();
    for _ in 0..rounds {
        for q in QUERIES {
            let t = Instant::now();
            let r = client
                .get(format!("{base}/api/catalog"))
                .query(&[("q", q)])
                .send()
                .await?;
            let _ = r.bytes().await?;
            samples.push(t.elapsed());
        }
    }
    let (p50, p99) = percentiles(samples);
    println!(
        "catalog search over HTTP (n={}): p50 {p50:.3} ms, p99 {p99:.3} ms",
        rounds * QUERIES.len()
    );

    // Connect the sandbox (auto-approved) and time the first sync job.
    let started = Instant::now();
    let connect: Value = client
        .post(format!("{base}/api/profiles/{profile}/connect"))
        .json(&json!({"endpoint_id": "hearth-sandbox-r4"}))
        .send()
        .await?
        .json()
        .await?;
    let authorize = connect["authorize_url"].as_str().unwrap_or_default();
    let r = anon.get(authorize).send().await?;
    let callback = r.headers()["location"].to_str()?.to_string();
    let connected: Value = anon.get(&callback).send().await?.json().await?;
    let source = connected["source_id"].as_str().unwrap_or_default();
    // The sandbox's patient is not the bench profile's person: the connection
    // waits for a person to say it is theirs, as a family's would.
    let queued = if connected["job"].is_null() {
        client
            .post(format!(
                "{base}/api/profiles/{profile}/sources/{source}/confirm-person"
            ))
            .send()
            .await?
            .error_for_status()?
            .json::<Value>()
            .await?
    } else {
        connected["job"].clone()
    };
    let job = queued["id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no job queued: {connected}"))?
        .to_string();
    let done = wait_job(&client, &base, &profile, &job).await?;
    let secs = started.elapsed().as_secs_f64();
    let emitted = done["progress"]["emitted"].as_u64().unwrap_or(0);
    println!(
        "sync from the sandbox ({} for {patient}): {emitted} resources in {secs:.2} s = {:.0} resources/s ({})",
        done["progress"]["strategy"],
        emitted as f64 / secs,
        done["status"]
    );
    anyhow::ensure!(done["status"] == "succeeded", "sync failed: {done}");
    anyhow::ensure!(
        emitted as usize >= resources,
        "only {emitted} of {resources} resources"
    );

    // An incremental re-sync: nothing changed, so it is quick.
    let started = Instant::now();
    let again: Value = client
        .post(format!(
            "{base}/api/profiles/{profile}/sources/{source}/sync"
        ))
        .send()
        .await?
        .json()
        .await?;
    println!(
        "incremental re-sync: {} resources, {} requests in {:.0} ms",
        again["emitted"],
        again["requests"],
        started.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}

async fn wait_job(
    client: &reqwest::Client,
    base: &str,
    profile: &str,
    job: &str,
) -> anyhow::Result<Value> {
    let started = Instant::now();
    loop {
        let j: Value = client
            .get(format!("{base}/api/profiles/{profile}/jobs/{job}"))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(600),
            "the job did not finish in 10 minutes: {j}"
        );
        if matches!(
            j["status"].as_str(),
            Some("succeeded" | "failed" | "cancelled")
        ) {
            return Ok(j);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
