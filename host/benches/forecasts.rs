//! Immunization forecasts through the wasm forecaster: every CDC CDSi case in
//! `../shared/data/cdsi` evaluated by the built `immunizations` plugin (a
//! fresh instance per forecast, records served from memory), as forecasts
//! per second, one at a time and two at once (2 cores). Target ≥ 1,000/s.
//!
//! `cargo bench --bench forecasts` runs 20 rounds over the cases; under
//! `cargo test` one round keeps it from rotting.

use futures_util::future::BoxFuture;
use hearth_host::config::PluginLimits;
use hearth_host::plugins::Plugins;
use hearth_host::plugins::ports::{
    ReadError, RecordsPage, RecordsQuery, RecordsReader, ViewQuery, ViewTable,
};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One case's records, kept as the text a store would serve.
struct CaseRecords(Vec<(String, String, String)>);

impl RecordsReader for CaseRecords {
    fn search(&self, query: RecordsQuery) -> BoxFuture<'_, Result<RecordsPage, ReadError>> {
        Box::pin(async move {
            Ok(RecordsPage {
                resources: self
                    .0
                    .iter()
                    .filter(|(t, _, _)| *t == query.resource_type)
                    .map(|(_, _, json)| json.clone())
                    .collect(),
                next: None,
            })
        })
    }

    fn read<'a>(
        &'a self,
        resource_type: &'a str,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, ReadError>> {
        Box::pin(async move {
            Ok(self
                .0
                .iter()
                .find(|(t, i, _)| t == resource_type && i == id)
                .map(|(_, _, json)| json.clone()))
        })
    }

    fn view(&self, _: ViewQuery) -> BoxFuture<'_, Result<ViewTable, ReadError>> {
        Box::pin(async { Err(ReadError::Invalid("no views here".into())) })
    }
}

fn cases() -> Vec<(String, Arc<dyn RecordsReader>)> {
    let dir = std::env::var_os("HEARTH_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"))
        .join("cdsi");
    let mut out = Vec::new();
    for file in ["healthy-cases.json", "conditions-cases.json"] {
        let Ok(text) = std::fs::read_to_string(dir.join(file)) else {
            continue;
        };
        let cases: Vec<Value> = serde_json::from_str(&text).expect("cases");
        for case in cases {
            let mut records = Vec::new();
            for (i, p) in case["fhir_input"]["parameter"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                let mut r = p["resource"].clone();
                if r.is_null() {
                    continue;
                }
                if r.get("id").is_none() {
                    r["id"] = Value::String(format!("c{i}"));
                }
                records.push((
                    r["resourceType"].as_str().unwrap_or_default().to_string(),
                    r["id"].as_str().unwrap_or_default().to_string(),
                    r.to_string(),
                ));
            }
            let reader: Arc<dyn RecordsReader> = Arc::new(CaseRecords(records));
            out.push((
                case["assessment_date"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                reader,
            ));
        }
    }
    out
}

fn main() -> anyhow::Result<()> {
    let full = std::env::args().any(|a| a == "--bench");
    let rounds = if full { 20 } else { 1 };
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(run(rounds))
}

async fn run(rounds: usize) -> anyhow::Result<()> {
    let cases = cases();
    if cases.is_empty() {
        println!("../shared/data/cdsi is absent (set HEARTH_SHARED_DATA): nothing to measure");
        return Ok(());
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let cache = tempfile::tempdir()?;
    let plugins = Arc::new(
        Plugins::new(PluginLimits::default()).map_err(|e| anyhow::anyhow!("plugin engine: {e}"))?,
    );
    plugins
        .load_dir(&root.join("dist/plugins"), cache.path())
        .await;
    let forecaster = plugins.get("immunizations").ok_or_else(|| {
        anyhow::anyhow!("the immunizations plugin is not in dist/plugins (make plugins)")
    })?;
    // One at a time: latency of a forecast.
    let mut samples = Vec::new();
    let started = Instant::now();
    for _ in 0..rounds {
        for (as_of, reader) in &cases {
            let t = Instant::now();
            plugins
                .evaluate_rules(&forecaster, as_of, vec![], reader.clone())
                .await?;
            samples.push(t.elapsed());
        }
    }
    let serial = samples.len() as f64 / started.elapsed().as_secs_f64();
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "forecasts one at a time: {} forecasts, {serial:.0}/s; p50 {:.3} ms, p99 {:.3} ms",
        samples.len(),
        ms(at(0.5)),
        ms(at(0.99))
    );
    // Two at once, as two requests on two cores.
    let started = Instant::now();
    let mut tasks = Vec::new();
    for half in 0..2 {
        let (plugins, forecaster) = (plugins.clone(), forecaster.clone());
        let mine: Vec<_> = cases.iter().skip(half).step_by(2).cloned().collect();
        tasks.push(tokio::spawn(async move {
            for _ in 0..rounds {
                for (as_of, reader) in &mine {
                    plugins
                        .evaluate_rules(&forecaster, as_of, vec![], reader.clone())
                        .await?;
                }
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let both = (cases.len() * rounds) as f64 / started.elapsed().as_secs_f64();
    println!("forecasts two at a time: {both:.0}/s (target ≥ 1,000/s on 2 cores)");
    Ok(())
}
