//! Record query benchmark: a generated profile of 100,000 resources (synced
//! through the sandbox and the wasm connector), then p50/p99 of the store's
//! queries: the health summary, timeline pages (first and deep), code search, code search with a
//! date range, full-text search, and related records.
//!
//! `cargo bench --bench queries` uses 100,000 resources (override with
//! `HEARTH_BENCH_RESOURCES`); under `cargo test` a 2,000-resource smoke pass
//! keeps it from rotting. The target is p99 ≤ 10 ms at 100,000 resources.

use hearth_host::auth::ProfileRole;
use hearth_host::auth::sessions::Presented;
use hearth_host::config::{Config, PluginLimits};
use hearth_host::records::search::{Cursor, Search, TimelineQuery};
use hearth_host::server;
use hearth_sandbox::{self as sandbox, SandboxData, SandboxOptions};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let full = std::env::args().any(|a| a == "--bench");
    let resources: usize = match std::env::var("HEARTH_BENCH_RESOURCES") {
        Ok(v) => v.parse()?,
        Err(_) if full => 100_000,
        Err(_) => 2_000,
    };
    let iterations = if full { 500 } else { 20 };
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(run(resources, iterations))
}

fn report(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |q: f64| {
        samples[((samples.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0
    };
    println!(
        "{label:<48} n={:>5}  p50 {:>7.3} ms  p99 {:>7.3} ms  max {:>7.3} ms",
        samples.len(),
        at(0.5),
        at(0.99),
        at(1.0)
    );
}

/// The bench account's access token from `url` (setup or sign-in).
async fn access_token(client: &reqwest::Client, url: &str) -> anyhow::Result<String> {
    let session: Value = client
        .post(url)
        .json(&json!({"username": "bench", "password": "a bench of steady figures"}))
        .send()
        .await?
        .json()
        .await?;
    session["access_token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("{url}: {session}"))
}

async fn run(resources: usize, iterations: usize) -> anyhow::Result<()> {
    let started = Instant::now();
    let data = SandboxData::generated(11, 1, resources);
    let (patient, count) = data.patients()[0].clone();
    let options = SandboxOptions::with_random_token();
    let token = options.token.clone();
    let sb = sandbox::start(
        tokio::net::TcpListener::bind("127.0.0.1:0").await?,
        data,
        options,
    )?;

    let dir = tempfile::tempdir()?;
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let config = Config {
        data_dir: dir.path().to_path_buf(),
        listen: "127.0.0.1:0".parse()?,
        plugins_dir: root.join("dist/plugins"),
        cache_dir: dir.path().join("cache"),
        log: "warn".into(),
        limits: PluginLimits::default(),
        allow_signup: false,
        secure_cookies: false,
        max_upload_bytes: 4 << 30,
        max_attachment_bytes: 1 << 20,
        sandbox: false,
        // The sandbox providers these runs sync from listen on loopback.
        allow_private_provider_addresses: true,
        ..Config::defaults()
    };
    let state = server::build_state(&config, &config.public_url_for(config.listen)).await?;
    let host = server::serve(
        tokio::net::TcpListener::bind("127.0.0.1:0").await?,
        state.clone(),
    )?;
    let base = format!("http://{}", host.addr);
    let client = reqwest::Client::new();
    let access = access_token(&client, &format!("{base}/api/setup")).await?;
    let caller = state
        .auth
        .authenticate(Presented {
            bearer: Some(&access),
            ..Default::default()
        })
        .await?;
    let profile = state.auth.profiles(&caller).await?[0].id.clone();
    let scope = state
        .auth
        .access(&caller, &profile, ProfileRole::Viewer)
        .await?;
    let source: Value = client
        .post(format!("{base}/api/profiles/{profile}/sources"))
        .bearer_auth(&access)
        .json(&json!({"fhir_base_url": sb.base_url, "patient_id": patient, "access_token": token}))
        .send()
        .await?
        .json()
        .await?;
    let source = source["id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no source: {source}"))?;
    let t = Instant::now();
    let synced: Value = client
        .post(format!(
            "{base}/api/profiles/{profile}/sources/{source}/sync"
        ))
        .bearer_auth(&access)
        .send()
        .await?
        .json()
        .await?;
    anyhow::ensure!(
        synced["stored"].as_u64() == Some(count as u64),
        "sync: {synced}"
    );
    println!(
        "profile of {count} resources synced in {:.1} s ({:.0} resources/s with the full index); set up in {:.1} s",
        t.elapsed().as_secs_f64(),
        count as f64 / t.elapsed().as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    let records = &state.records;
    // `HEARTH_BENCH_ONLY=dashboards` skips to the dashboards (for profiling them).
    let only_dashboards = std::env::var("HEARTH_BENCH_ONLY").is_ok_and(|v| v == "dashboards");
    if !only_dashboards {
        store_queries(
            &client, &base, &access, &profile, &scope, records, count, iterations,
        )
        .await?;
    }
    dashboards(&state, records, &scope, iterations).await?;
    if !only_dashboards {
        export_and_import(&client, &base, &profile, records, &scope, count).await?;
    }
    if std::env::var_os("HEARTH_BENCH_KEEP").is_some() {
        println!("kept the database in {}", dir.keep().display());
    }
    Ok(())
}

/// The store's own queries: summary, timeline, search, lab series, related records.
#[allow(clippy::too_many_arguments)]
async fn store_queries(
    client: &reqwest::Client,
    base: &str,
    access: &str,
    profile: &str,
    scope: &hearth_host::auth::ProfileScope,
    records: &hearth_host::records::RecordStore,
    count: usize,
    iterations: usize,
) -> anyhow::Result<()> {
    // The health summary, as the browser asks for it (target p99 ≤ 50 ms).
    let mut summary = Vec::new();
    let mut shape = String::new();
    for _ in 0..iterations {
        let t = Instant::now();
        let body: Value = client
            .get(format!("{base}/api/profiles/{profile}/summary"))
            .bearer_auth(access)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        summary.push(t.elapsed());
        shape = format!(
            "{} problems, {} medicines, {} vaccines, {} vitals, {} out of range, {} recent visits",
            body["problems"]["total"],
            body["medications"]["total"],
            body["immunizations"]["total"],
            body["vitals"].as_array().map_or(0, Vec::len),
            body["abnormal_total"],
            body["visits"]["recent"].as_array().map_or(0, Vec::len),
        );
    }
    report("health summary over HTTP", summary);
    println!("  (it held {shape})");

    // Timeline: first page, then every page to the end (deep pages).
    let mut first = Vec::new();
    for _ in 0..iterations {
        let t = Instant::now();
        records
            .timeline(
                scope,
                &TimelineQuery {
                    limit: 50,
                    ..Default::default()
                },
            )
            .await?;
        first.push(t.elapsed());
    }
    report("timeline, first page of 50", first);
    let mut deep = Vec::new();
    let mut cursor: Option<Cursor> = None;
    let mut seen = 0;
    loop {
        let t = Instant::now();
        let page = records
            .timeline(
                scope,
                &TimelineQuery {
                    limit: 50,
                    cursor: cursor.clone(),
                    ..Default::default()
                },
            )
            .await?;
        deep.push(t.elapsed());
        seen += page.items.len();
        match page.next_cursor {
            Some(c) => cursor = Some(Cursor::decode("cursor", &c)?),
            None => break,
        }
    }
    anyhow::ensure!(seen == count, "timeline walked {seen} of {count}");
    report("timeline, every page of 50 to the end", deep);
    let mut typed = Vec::new();
    for _ in 0..iterations {
        let t = Instant::now();
        records
            .timeline(
                scope,
                &TimelineQuery {
                    limit: 50,
                    types: vec!["Condition".into(), "Procedure".into()],
                    ..Default::default()
                },
            )
            .await?;
        typed.push(t.elapsed());
    }
    report("timeline, two types, first page", typed);

    let search = |q: &[(&str, &str)]| {
        Search::parse(
            "Observation",
            &q.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>(),
        )
    };
    for (label, query) in [
        (
            "search code=loinc|2345-7 (glucose), 50",
            search(&[("code", "http://loinc.org|2345-7")])?,
        ),
        (
            "search code + date=ge2015&date=lt2020",
            search(&[
                ("code", "http://loinc.org|2345-7"),
                ("date", "ge2015"),
                ("date", "lt2020"),
            ])?,
        ),
        (
            "search heart rate, _total=accurate",
            search(&[("code", "8867-4"), ("_total", "accurate")])?,
        ),
        (
            "search a code that matches nothing",
            search(&[("code", "http://loinc.org|0000-0")])?,
        ),
        (
            "search category=laboratory, 50",
            search(&[("category", "laboratory")])?,
        ),
        (
            "search _text=hemoglobin, 50",
            search(&[("_text", "hemoglobin")])?,
        ),
        (
            "search date=2018 (all observations that year)",
            search(&[("date", "2018")])?,
        ),
    ] {
        let mut samples = Vec::new();
        for _ in 0..iterations {
            let t = Instant::now();
            records.search(scope, &query).await?;
            samples.push(t.elapsed());
        }
        report(label, samples);
    }

    for (label, code) in [
        ("lab series: glucose, every result", "2345-7"),
        ("lab series: heart rate, every result", "8867-4"),
    ] {
        // Computed from the index (what a cache miss costs)...
        let mut samples = Vec::new();
        let mut points = 0;
        for _ in 0..iterations {
            let t = Instant::now();
            let series = records
                .lab_series(scope, Some("http://loinc.org"), code)
                .await?;
            samples.push(t.elapsed());
            points = series.map(|s| s.points.len()).unwrap_or(0);
        }
        report(&format!("{label} ({points} points), computed"), samples);
        // ...and as served: from the cache after the first read.
        let mut samples = Vec::new();
        for _ in 0..iterations {
            let t = Instant::now();
            let json = records
                .lab_series_json(scope, Some("http://loinc.org"), code)
                .await?;
            samples.push(t.elapsed());
            anyhow::ensure!(json.is_some(), "no series for {code}");
        }
        report(&format!("{label} ({points} points), served"), samples);
    }
    let mut samples = Vec::new();
    for _ in 0..iterations {
        let t = Instant::now();
        records.lab_tests(scope).await?;
        samples.push(t.elapsed());
    }
    report("lab tests list", samples);

    // Related records of encounters spread over the record.
    let encounters = records
        .search(
            scope,
            &Search::parse("Encounter", &[("_count".into(), "1000".into())])?,
        )
        .await?;
    anyhow::ensure!(!encounters.entries.is_empty(), "no encounters generated");
    let mut samples = Vec::new();
    for i in 0..iterations {
        let e = &encounters.entries[i % encounters.entries.len()];
        let t = Instant::now();
        let related = records.related(scope, "Encounter", &e.id).await?;
        samples.push(t.elapsed());
        anyhow::ensure!(related.is_some(), "encounter {} vanished", e.id);
    }
    report("related records of an encounter", samples);
    Ok(())
}

/// Each built-in dashboard pack drawn cold and again, with where its views' time goes.
async fn dashboards(
    state: &hearth_host::api::AppState,
    records: &hearth_host::records::RecordStore,
    scope: &hearth_host::auth::ProfileScope,
    iterations: usize,
) -> anyhow::Result<()> {
    // Condition dashboards: each built-in pack drawn through its wasm plugin
    // (views narrowed through the index), as the dashboard page asks for it
    // (target p99 ≤ 50 ms per dashboard).
    let timed = std::sync::Arc::new(TimedReader {
        inner: std::sync::Arc::new(hearth_host::records::reader::ProfileReader::new(
            records.clone(),
            scope.clone(),
        )),
        views: Default::default(),
    });
    let reader: std::sync::Arc<dyn hearth_host::plugins::ports::RecordsReader> = timed.clone();
    for plugin in state.plugins.loaded() {
        if plugin.manifest.kind != hearth_host::plugins::manifest::Kind::Dashboard {
            continue;
        }
        // Cold: nothing kept from earlier reads, as on the first draw after a start.
        let mut cold = Vec::new();
        for _ in 0..iterations.min(20) {
            let fresh: std::sync::Arc<dyn hearth_host::plugins::ports::RecordsReader> =
                std::sync::Arc::new(hearth_host::records::reader::ProfileReader::new(
                    records.cold(),
                    scope.clone(),
                ));
            let t = Instant::now();
            state
                .plugins
                .render_dashboard(&plugin, "2026-12-05", vec![], fresh)
                .await?;
            cold.push(t.elapsed());
        }
        report(
            &format!("dashboard {}, first draw (cold)", plugin.manifest.id),
            cold,
        );
        // Drawn again: the rows views made are kept until their records change.
        let mut draws = Vec::new();
        let mut shape = String::new();
        for _ in 0..iterations.min(200) {
            let t = Instant::now();
            let board = state
                .plugins
                .render_dashboard(&plugin, "2026-12-05", vec![], reader.clone())
                .await?;
            draws.push(t.elapsed());
            let points: usize = board
                .cards
                .iter()
                .map(|c| match &c.widget {
                    hearth_host::plugins::dashboard::Widget::LineChart { series, .. } => {
                        series.iter().map(|s| s.points.len()).sum()
                    }
                    _ => 0,
                })
                .sum();
            shape = format!("{} cards, {points} chart points", board.cards.len());
        }
        let count = draws.len().max(1);
        report(
            &format!("dashboard {}, drawn again", plugin.manifest.id),
            draws,
        );
        println!("  (it drew {shape}); its views, per draw:");
        timed.print_and_clear(count);
    }
    Ok(())
}

/// Export of the profile as one Bundle, then its upload as a second source.
async fn export_and_import(
    client: &reqwest::Client,
    base: &str,
    profile: &str,
    records: &hearth_host::records::RecordStore,
    scope: &hearth_host::auth::ProfileScope,
    count: usize,
) -> anyhow::Result<()> {
    // Out and back in: export the profile as one Bundle, then upload it into
    // the same profile as a new source, where every resource is a duplicate.
    // A fresh sign-in: at 1,000,000 resources the setup token has expired by now.
    let access = access_token(client, &format!("{base}/api/auth/sign-in")).await?;
    let t = Instant::now();
    let exported = client
        .get(format!("{base}/api/profiles/{profile}/export"))
        .bearer_auth(&access)
        .send()
        .await?
        .bytes()
        .await?;
    println!(
        "export of {count} resources as one Bundle: {:.1} MB in {:.2} s",
        exported.len() as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let imported = client
        .post(format!(
            "{base}/api/profiles/{profile}/imports?confirm_person=true"
        ))
        .bearer_auth(&access)
        .header("content-type", "application/fhir+json")
        .body(exported)
        .send()
        .await?;
    anyhow::ensure!(
        imported.status() == 201,
        "import: {}",
        imported.text().await?
    );
    let took = t.elapsed().as_secs_f64();
    let shown = records.list(scope, None, 1, 1).await?.total;
    println!(
        "import of that Bundle as a second source: {took:.2} s ({:.0} resources/s); shown afterwards: {shown} (duplicates merged)",
        count as f64 / took
    );
    Ok(())
}

/// A records reader that times each view a dashboard runs, to show where a render's time goes.
struct TimedReader {
    inner: std::sync::Arc<dyn hearth_host::plugins::ports::RecordsReader>,
    /// (resource, filter) → (total time, rows, calls).
    views: std::sync::Mutex<std::collections::BTreeMap<String, (Duration, usize, usize)>>,
}

impl TimedReader {
    fn print_and_clear(&self, draws: usize) {
        let mut views = self.views.lock().expect("bench lock");
        let mut total = Duration::ZERO;
        for (label, (time, rows, calls)) in views.iter() {
            total += *time;
            println!(
                "    {:>8.3} ms  {:>5} rows  {:>2} calls  {label}",
                time.as_secs_f64() * 1000.0 / draws as f64,
                rows / draws,
                calls / draws
            );
        }
        println!(
            "    {:>8.3} ms  in views altogether",
            total.as_secs_f64() * 1000.0 / draws as f64
        );
        views.clear();
    }
}

impl hearth_host::plugins::ports::RecordsReader for TimedReader {
    fn search(
        &self,
        query: hearth_host::plugins::ports::RecordsQuery,
    ) -> futures_util::future::BoxFuture<
        '_,
        Result<hearth_host::plugins::ports::RecordsPage, hearth_host::plugins::ports::ReadError>,
    > {
        self.inner.search(query)
    }

    fn read<'a>(
        &'a self,
        resource_type: &'a str,
        id: &'a str,
    ) -> futures_util::future::BoxFuture<
        'a,
        Result<Option<String>, hearth_host::plugins::ports::ReadError>,
    > {
        self.inner.read(resource_type, id)
    }

    fn view(
        &self,
        query: hearth_host::plugins::ports::ViewQuery,
    ) -> futures_util::future::BoxFuture<
        '_,
        Result<hearth_host::plugins::ports::ViewTable, hearth_host::plugins::ports::ReadError>,
    > {
        Box::pin(async move {
            let resource = serde_json::from_str::<Value>(&query.definition)
                .ok()
                .and_then(|d| d["resource"].as_str().map(String::from))
                .unwrap_or_default();
            let mut label = format!("{resource} {}", query.filter.clone().unwrap_or_default());
            label.truncate(90);
            let t = Instant::now();
            let out = self.inner.view(query).await;
            let took = t.elapsed();
            let rows = out.as_ref().map(|t| t.rows.len()).unwrap_or(0);
            let mut views = self.views.lock().expect("bench lock");
            let entry = views.entry(label).or_default();
            entry.0 += took;
            entry.1 += rows;
            entry.2 += 1;
            out
        })
    }
}
