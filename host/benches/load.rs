//! Load benchmark: the host under the three pressures an outside probe used
//! at once (issue 15). 200 signed-in clients browse for 60 s while one client
//! holds 2,000 idle connections (reopening each as the host closes it) and
//! another uploads 60,000 resources. A prober asks `/api/health` on a fresh
//! connection four times a second throughout.
//!
//! The host runs as its own process (the `hearth` binary), as it does for a
//! family. `cargo bench --bench load` prints latency percentiles per route,
//! the import's duration, the idle connections held and the health figures,
//! and fails if any answer was a 5xx, the import failed, or health ever took
//! a second or more. Under `cargo test` a small pass keeps it from rotting.

mod common;

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;
use tokio::sync::Mutex;

/// How hard to push.
struct Load {
    browsers: usize,
    idle: usize,
    import_resources: usize,
    duration: Duration,
}

fn main() -> anyhow::Result<()> {
    let full = std::env::args().any(|a| a == "--bench");
    let load = if full {
        Load {
            browsers: 200,
            idle: 2000,
            import_resources: 60_000,
            duration: Duration::from_secs(60),
        }
    } else {
        Load {
            browsers: 10,
            idle: 50,
            import_resources: 1_000,
            duration: Duration::from_secs(3),
        }
    };
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(run(load))
}

/// The host binary on a free port; killed when dropped.
struct HostProcess {
    child: Child,
    base: String,
}

impl Drop for HostProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_host(data: &std::path::Path) -> anyhow::Result<HostProcess> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let child = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .env("HEARTH_DATA_DIR", data)
        .env("HEARTH_LISTEN", format!("127.0.0.1:{port}"))
        .env("HEARTH_PLUGINS_DIR", root.join("dist/plugins"))
        .env("HEARTH_LOG", "warn")
        .env("HEARTH_MAX_UPLOAD_MB", "512")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    Ok(HostProcess {
        child,
        base: format!("http://127.0.0.1:{port}"),
    })
}

/// Latencies (and 5xx answers) per route.
#[derive(Default)]
struct Tally {
    by_route: BTreeMap<&'static str, Vec<Duration>>,
    server_errors: Vec<String>,
    failures: Vec<String>,
}

fn percentile(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn print_row(label: &str, samples: &mut [Duration]) {
    samples.sort();
    println!(
        "{label:<28} n={:>7}  p50 {:>8.1} ms  p99 {:>8.1} ms  max {:>8.1} ms",
        samples.len(),
        percentile(samples, 0.5),
        percentile(samples, 0.99),
        percentile(samples, 1.0),
    );
}

async fn run(load: Load) -> anyhow::Result<()> {
    // This process holds the idle connections' client ends.
    hearth_host::listener::raise_open_file_limit();
    let data = tempfile::tempdir()?;
    let host = start_host(data.path())?;
    let base = host.base.clone();
    let anon = reqwest::Client::new();
    let mut up = false;
    for _ in 0..600 {
        if let Ok(r) = anon.get(format!("{base}/api/health")).send().await
            && r.status() == 200
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::ensure!(up, "the host did not start");

    // An administrator with a profile of generated records to browse, and a
    // second profile the big upload goes into.
    let owner = common::set_up_owner(&base, "Browse").await?;
    let (admin, browse) = (owner.client, owner.profile);
    let patient = hearth_synth::generate_patient(&hearth_synth::PatientSpec {
        seed: 7,
        target_resources: 3000,
    });
    let bundle = hearth_synth::collection_bundle(&patient);
    let r = admin
        .post(format!(
            "{base}/api/profiles/{browse}/imports?confirm_person=true"
        ))
        .header("content-type", "application/fhir+json")
        .body(serde_json::to_vec(&bundle)?)
        .send()
        .await?;
    anyhow::ensure!(r.status() == 201, "seed upload: {}", r.text().await?);
    let target: Value = admin
        .post(format!("{base}/api/profiles"))
        .json(&json!({"name": "Upload"}))
        .send()
        .await?
        .json()
        .await?;
    let upload_profile = target["id"].as_str().unwrap_or_default().to_string();
    let big = hearth_synth::generate_patient(&hearth_synth::PatientSpec {
        seed: 11,
        target_resources: load.import_resources,
    });
    let mut ndjson = Vec::new();
    for resource in &big {
        serde_json::to_writer(&mut ndjson, resource)?;
        ndjson.push(b'\n');
    }

    // Every browser signs in for a session of its own.
    let mut browsers = Vec::with_capacity(load.browsers);
    for _ in 0..load.browsers {
        let session: Value = anon
            .post(format!("{base}/api/auth/sign-in"))
            .json(&json!({"username": "bench", "password": common::PASSWORD}))
            .send()
            .await?
            .json()
            .await?;
        let token = session["access_token"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("sign-in failed: {session}"))?;
        browsers.push(common::bearer(token)?);
    }
    println!(
        "load: {} browsers, {} idle connections, a {}-resource upload, for {} s",
        load.browsers,
        load.idle,
        big.len(),
        load.duration.as_secs()
    );

    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let started = Instant::now();
    let deadline = started + load.duration;
    let addr: std::net::SocketAddr = base.trim_start_matches("http://").parse()?;

    // Idle connections: open, send nothing, reopen when the host closes one.
    let held = Arc::new(AtomicUsize::new(0));
    let reopened = Arc::new(AtomicUsize::new(0));
    let mut idle_tasks = Vec::new();
    for _ in 0..load.idle {
        let (stop, held, reopened) = (stop.clone(), held.clone(), reopened.clone());
        idle_tasks.push(tokio::spawn(async move {
            let mut first = true;
            while !stop.load(Ordering::Relaxed) {
                let Ok(mut socket) = tokio::net::TcpStream::connect(addr).await else {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                };
                if !first {
                    reopened.fetch_add(1, Ordering::Relaxed);
                }
                first = false;
                held.fetch_add(1, Ordering::Relaxed);
                let mut buf = [0u8; 64];
                tokio::select! {
                    _ = socket.read(&mut buf) => {}
                    _ = async { while !stop.load(Ordering::Relaxed) { tokio::time::sleep(Duration::from_millis(200)).await } } => {}
                }
                held.fetch_sub(1, Ordering::Relaxed);
            }
        }));
    }
    // Let them connect before the rest starts.
    let wait = Instant::now();
    while held.load(Ordering::Relaxed) < load.idle && wait.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let idle_at_start = held.load(Ordering::Relaxed);

    // The health prober: a fresh connection each time.
    let health = {
        let (stop, base) = (stop.clone(), base.clone());
        tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut failures = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let client = reqwest::Client::builder()
                    .pool_max_idle_per_host(0)
                    .timeout(Duration::from_secs(10))
                    .build()
                    .expect("client");
                let t = Instant::now();
                match client.get(format!("{base}/api/health")).send().await {
                    Ok(r) if r.status() == 200 => samples.push(t.elapsed()),
                    Ok(r) => failures.push(format!("health answered {}", r.status())),
                    Err(e) => failures.push(format!("health failed: {e}")),
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            (samples, failures)
        })
    };

    // The upload.
    let importer = {
        let (admin, base) = (admin.clone(), base.clone());
        tokio::spawn(async move {
            let t = Instant::now();
            let r = admin
                .post(format!(
                    "{base}/api/profiles/{upload_profile}/imports?confirm_person=true"
                ))
                .header("content-type", "application/fhir+ndjson")
                .body(ndjson)
                .send()
                .await;
            let elapsed = t.elapsed();
            match r {
                Ok(r) => {
                    let status = r.status().as_u16();
                    let body: Value = r.json().await.unwrap_or(Value::Null);
                    (status, body["resources"].as_u64().unwrap_or(0), elapsed)
                }
                Err(e) => {
                    eprintln!("upload failed: {e}");
                    (0, 0, elapsed)
                }
            }
        })
    };

    // The browsers.
    let routes: Vec<(&'static str, String)> = vec![
        ("me", "/api/me".to_string()),
        (
            "records",
            format!("/api/profiles/{browse}/records?per_page=50"),
        ),
        (
            "timeline",
            format!("/api/profiles/{browse}/timeline?limit=50"),
        ),
        ("labs", format!("/api/profiles/{browse}/labs")),
        (
            "fhir search",
            format!("/api/profiles/{browse}/fhir/Observation?_count=50&_sort=-date"),
        ),
        ("sources", format!("/api/profiles/{browse}/sources")),
    ];
    let routes = Arc::new(routes);
    let mut browse_tasks = Vec::new();
    for (i, client) in browsers.into_iter().enumerate() {
        let (routes, tally, base) = (routes.clone(), tally.clone(), base.clone());
        browse_tasks.push(tokio::spawn(async move {
            let mut mine: Vec<(&'static str, Duration)> = Vec::new();
            let mut errors = Vec::new();
            let mut failures = Vec::new();
            let mut n = i;
            while Instant::now() < deadline {
                let (label, path) = &routes[n % routes.len()];
                n += 1;
                let t = Instant::now();
                match client.get(format!("{base}{path}")).send().await {
                    Ok(r) => {
                        let status = r.status();
                        let _ = r.bytes().await;
                        if status.is_server_error() {
                            errors.push(format!("{label}: {status}"));
                        } else if !status.is_success() {
                            failures.push(format!("{label}: {status}"));
                        }
                        mine.push((label, t.elapsed()));
                    }
                    Err(e) => failures.push(format!("{label}: {e}")),
                }
            }
            let mut tally = tally.lock().await;
            for (label, d) in mine {
                tally.by_route.entry(label).or_default().push(d);
            }
            tally.server_errors.extend(errors);
            tally.failures.extend(failures);
        }));
    }
    for task in browse_tasks {
        task.await?;
    }
    let browse_secs = started.elapsed().as_secs_f64();
    let (import_status, imported, import_time) = importer.await?;
    let idle_at_end = held.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    let (mut health_samples, health_failures) = health.await?;
    for task in idle_tasks {
        task.abort();
    }

    let mut tally = Arc::try_unwrap(tally)
        .map_err(|_| anyhow::anyhow!("tally still shared"))?
        .into_inner();
    let mut all: Vec<Duration> = tally.by_route.values().flatten().copied().collect();
    println!(
        "browsing: {} requests in {browse_secs:.1} s ({:.0}/s)",
        all.len(),
        all.len() as f64 / browse_secs
    );
    print_row("all routes", &mut all);
    for (label, samples) in tally.by_route.iter_mut() {
        print_row(label, samples);
    }
    print_row("health (fresh connection)", &mut health_samples);
    println!(
        "upload: {imported} resources, status {import_status}, in {:.1} s ({:.0} resources/s)",
        import_time.as_secs_f64(),
        imported as f64 / import_time.as_secs_f64()
    );
    println!(
        "idle connections held: {idle_at_start} at the start, {idle_at_end} at the end, {} reopened after the host closed them",
        reopened.load(Ordering::Relaxed)
    );
    println!(
        "5xx answers: {}; other failed requests: {}; health failures: {}",
        tally.server_errors.len(),
        tally.failures.len(),
        health_failures.len()
    );
    for e in tally
        .server_errors
        .iter()
        .chain(&tally.failures)
        .chain(&health_failures)
        .take(10)
    {
        println!("  {e}");
    }
    let slowest_health = health_samples.last().copied().unwrap_or_default();
    anyhow::ensure!(tally.server_errors.is_empty(), "answers were 5xx");
    anyhow::ensure!(health_failures.is_empty(), "health failed");
    anyhow::ensure!(
        slowest_health < Duration::from_secs(1),
        "health took {slowest_health:?}"
    );
    anyhow::ensure!(import_status == 201, "the upload failed ({import_status})");
    drop(host);
    Ok(())
}
