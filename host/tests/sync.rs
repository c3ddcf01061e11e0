//! End to end: sandbox provider → wasm connector → host record store, over real HTTP.

mod common;

use common::{Host, sandbox, server_total};
use hearth_host::config::PluginLimits;
use hearth_sandbox::{SandboxData, SandboxOptions};
use serde_json::Value;

/// Count what the host stores for one source, by type, through the records API.
async fn stored_count(host: &Host, source: &str) -> u64 {
    let (status, body) = host.get(&host.at(&format!("/sources/{source}"))).await;
    assert_eq!(status, 200, "{body}");
    body["resources"].as_u64().expect("resources")
}

async fn sync_ok(host: &Host, source: &str) -> Value {
    let (status, body) = host
        .post(&host.at(&format!("/sources/{source}/sync")), &Value::Null)
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_sync_stores_every_resource_once() {
    let options = SandboxOptions::with_random_token();
    let token = options.token.clone();
    let sb = sandbox(SandboxData::generated(7, 2, 1500), options).await;
    let host = Host::start("plugins", PluginLimits::default()).await;

    let patient = SandboxData::generated(7, 2, 1500).patients()[1].0.clone();
    let expected = server_total(&sb, &token, &patient).await;
    assert!(
        expected >= 1500,
        "generated patient has {expected} resources"
    );

    let source = host
        .add_source(&sb.base_url, &patient, &token, "fhir-r4")
        .await;
    let first = sync_ok(&host, &source).await;
    assert_eq!(first["strategy"], "everything");
    assert_eq!(first["emitted"].as_u64(), Some(expected));
    assert_eq!(first["stored"].as_u64(), Some(expected));
    assert_eq!(first["total"].as_u64(), Some(expected));
    assert_eq!(stored_count(&host, &source).await, expected);

    // The second sync asks only for what changed since the first began: nothing.
    let second = sync_ok(&host, &source).await;
    assert_eq!(second["strategy"], "everything-since", "{second}");
    assert_eq!(second["emitted"].as_u64(), Some(0), "{second}");
    assert_eq!(second["stored"].as_u64(), Some(0), "{second}");
    assert_eq!(stored_count(&host, &source).await, expected);

    // Only this patient's records arrived: every stored Observation points at them.
    let (_, page) = host
        .get(&host.at("/records?type=Observation&per_page=1000"))
        .await;
    let observations = page["records"].as_array().expect("records");
    assert!(!observations.is_empty());
    for o in observations {
        assert_eq!(
            o["resource"]["subject"]["reference"],
            format!("Patient/{patient}")
        );
    }
    let (status, p) = host
        .get(&host.at(&format!("/records/Patient/{patient}")))
        .await;
    assert_eq!(status, 200);
    assert_eq!(p["id"], patient.as_str());
}

/// A sandbox with one generated patient, a host, and a source for that patient.
struct Setup {
    _sandbox: hearth_sandbox::RunningSandbox,
    host: Host,
    expected: u64,
    source: String,
}

async fn one_patient(options: SandboxOptions, seed: u64, resources: usize) -> Setup {
    let token = options.token.clone();
    let data = SandboxData::generated(seed, 1, resources);
    let (patient, expected) = data.patients()[0].clone();
    let sb = sandbox(data, options).await;
    let host = Host::start("plugins", PluginLimits::default()).await;
    let source = host
        .add_source(&sb.base_url, &patient, &token, "fhir-r4")
        .await;
    Setup {
        _sandbox: sb,
        host,
        expected: expected as u64,
        source,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_type_search_is_used_without_everything() {
    let mut options = SandboxOptions::with_random_token();
    options.everything = false;
    options.default_page = 7;
    let Setup {
        _sandbox,
        host,
        expected,
        source,
    } = one_patient(options, 11, 400).await;
    let result = sync_ok(&host, &source).await;
    assert_eq!(result["strategy"], "per-type");
    assert_eq!(result["total"].as_u64(), Some(expected));
    assert_eq!(stored_count(&host, &source).await, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_sync_resumes_from_its_checkpoint_without_duplicates() {
    let options = SandboxOptions::with_random_token();
    let faults = options.faults.clone();
    let Setup {
        _sandbox,
        host,
        expected,
        source,
    } = one_patient(options, 3, 3000).await;

    // 7 pages of 200 succeed (metadata is public and not counted), then the provider fails.
    // The connector checkpoints every 1,000 resources, so pages 1-5 are stored and 6-7 are not.
    faults.fail_after(Some(7));
    let (status, problem) = host
        .post(&host.at(&format!("/sources/{source}/sync")), &Value::Null)
        .await;
    assert_eq!(status, 502, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("HTTP 503"),
        "{problem}"
    );
    let (_, state) = host.get(&host.at(&format!("/sources/{source}"))).await;
    assert_eq!(state["status"], "error");
    assert_eq!(state["resumable"], true);
    assert_eq!(
        state["resources"].as_u64(),
        Some(1000),
        "five checkpointed pages stored before the failure"
    );

    faults.fail_after(None);
    let before = faults.requests();
    let resumed = sync_ok(&host, &source).await;
    let pages_left = expected.div_ceil(200) - 5;
    assert_eq!(
        faults.requests() - before,
        pages_left,
        "the resumed sync starts at page 6, after the last checkpoint"
    );
    assert_eq!(resumed["total"].as_u64(), Some(expected));
    assert_eq!(stored_count(&host, &source).await, expected);
    let (_, state) = host.get(&host.at(&format!("/sources/{source}"))).await;
    assert_eq!(state["resumable"], false);
    assert_eq!(state["status"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn synthea_bundles_sync_completely() {
    let dir = common::root().join("../shared/data/synthea/r4");
    if !dir.exists() {
        eprintln!("skipping: {} is not present on this machine", dir.display());
        return;
    }
    let data = SandboxData::from_bundle_dir(&dir).expect("Synthea bundles load");
    let patients = data.patients();
    assert_eq!(patients.len(), 30);
    let options = SandboxOptions::with_random_token();
    let token = options.token.clone();
    let sb = sandbox(data, options).await;
    let host = Host::start("plugins", PluginLimits::default()).await;
    let mut total = 0;
    for (patient, count) in &patients {
        let source = host
            .add_source(&sb.base_url, patient, &token, "fhir-r4")
            .await;
        let result = sync_ok(&host, &source).await;
        assert_eq!(
            result["total"].as_u64(),
            Some(*count as u64),
            "patient {patient}"
        );
        let again = sync_ok(&host, &source).await;
        assert_eq!(
            again["stored"].as_u64(),
            Some(0),
            "patient {patient}: {again}"
        );
        total += count;
    }
    assert_eq!(total, 8349, "the shared data holds 8,349 R4 resources");
    // Every resource is stored under its source.
    let (_, sources) = host.get(&host.at("/sources")).await;
    let stored: u64 = sources["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .map(|s| s["resources"].as_u64().expect("count"))
        .sum();
    assert_eq!(stored, 8349);
    // Shown once per fact: the organizations and practitioners the patients
    // share (same NPI or other identifier) appear once; every clinical record
    // is shown.
    let mut by_type: std::collections::BTreeMap<String, u64> = Default::default();
    for entry in std::fs::read_dir(&dir).expect("dir").filter_map(|e| e.ok()) {
        let bundle: serde_json::Value =
            serde_json::from_slice(&std::fs::read(entry.path()).expect("read")).expect("json");
        for e in bundle["entry"].as_array().into_iter().flatten() {
            *by_type
                .entry(
                    e["resource"]["resourceType"]
                        .as_str()
                        .expect("type")
                        .to_string(),
                )
                .or_default() += 1;
        }
    }
    let shared = [
        "Organization",
        "Practitioner",
        "PractitionerRole",
        "Location",
    ];
    let mut merged = 0;
    for (ty, count) in &by_type {
        let (_, page) = host
            .get(&host.at(&format!("/records?type={ty}&per_page=1")))
            .await;
        let shown = page["total"].as_u64().expect("total");
        if shared.contains(&ty.as_str()) {
            assert!(shown >= 1 && shown <= *count, "{ty}: {shown} of {count}");
            merged += count - shown;
        } else {
            assert_eq!(shown, *count, "{ty}");
        }
    }
    assert!(
        merged > 0,
        "patients of one practice share its organization"
    );
    let (_, all) = host.get(&host.at("/records?per_page=1")).await;
    assert_eq!(all["total"].as_u64(), Some(8349 - merged));
}
