//! Record fidelity against a real running host: a decimal keeps its digits
//! through every way in and out, DSTU3 uploads are stored as R4, invalid R4
//! is refused (uploads) or left out and reported (syncs), and a short-lived
//! provider token is used rather than refreshed before every sync.

mod common;

use common::Host;
use hearth_host::config::PluginLimits;
use hearth_sandbox::{Faults, SandboxData, SandboxOptions};
use serde_json::{Value, json};
use std::sync::Arc;

/// Decimals that an `f64` would change, with the code and unit they are recorded under.
const DECIMALS: &[(&str, &str, &str, &str, &str)] = &[
    // id, LOINC, value as written, unit, date
    ("k1", "2823-3", "3.8060747794874157", "mmol/L", "2020-01-01"),
    ("k2", "2823-3", "1.50", "mmol/L", "2020-02-01"),
    ("w1", "29463-7", "91.66936118662517", "kg", "2020-01-01"),
    (
        "g1",
        "2345-7",
        "12345678901234567890",
        "mg/dL",
        "2020-01-01",
    ),
    (
        "c1",
        "2160-0",
        "0.000123456789012345678",
        "mg/dL",
        "2020-01-01",
    ),
];

/// The patient's resources as JSON text (never through `f64`).
fn decimal_resources() -> Vec<String> {
    let mut out = vec![
        r#"{"resourceType":"Patient","id":"p1","name":[{"family":"Exact","given":["Ada"]}],"birthDate":"1970-01-01"}"#
            .to_string(),
    ];
    for (id, code, value, unit, date) in DECIMALS {
        let category = if *code == "29463-7" {
            "vital-signs"
        } else {
            "laboratory"
        };
        let range = if *id == "k1" {
            r#","referenceRange":[{"low":{"value":3.50,"unit":"mmol/L"},"high":{"value":5.10,"unit":"mmol/L"}}]"#
        } else {
            ""
        };
        out.push(format!(
            r#"{{"resourceType":"Observation","id":"{id}","status":"final",
            "category":[{{"coding":[{{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"{category}"}}]}}],
            "code":{{"coding":[{{"system":"http://loinc.org","code":"{code}"}}],"text":"Test {code}"}},
            "subject":{{"reference":"Patient/p1"}},"effectiveDateTime":"{date}",
            "valueQuantity":{{"value":{value},"unit":"{unit}","system":"http://unitsofmeasure.org","code":"{unit}"}}{range}}}"#
        ));
    }
    out
}

/// Whether `bytes` hold `number` as a JSON number (not merely a prefix of a longer one).
fn has_number(bytes: &[u8], number: &str) -> bool {
    let text = String::from_utf8_lossy(bytes);
    text.match_indices(number).any(|(at, _)| {
        let before = text[..at].trim_end().chars().last();
        let after = text[at + number.len()..].chars().next();
        matches!(before, Some(':' | '[' | ','))
            && matches!(after, Some(',' | '}' | ']' | ' ' | '\n' | '\r'))
    })
}

fn assert_numbers(what: &str, bytes: &[u8], numbers: &[&str]) {
    for n in numbers {
        assert!(
            has_number(bytes, n),
            "{what}: {n} is not in the bytes: {}",
            String::from_utf8_lossy(bytes)
        );
    }
}

/// `GET path` as bytes, asserting 200.
async fn bytes(client: &reqwest::Client, base: &str, path: &str) -> Vec<u8> {
    let r = client
        .get(format!("{base}{path}"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status().as_u16(), 200, "{path}");
    r.bytes().await.expect("body").to_vec()
}

/// Every way a profile's values come out, checked byte for byte.
async fn check_every_output(client: &reqwest::Client, base: &str, profile: &str) {
    let at = |rel: &str| format!("/api/profiles/{profile}{rel}");
    let all: Vec<&str> = DECIMALS.iter().map(|d| d.2).collect();
    for (id, _, value, _, _) in DECIMALS {
        let body = bytes(client, base, &at(&format!("/records/Observation/{id}"))).await;
        assert_numbers("record read", &body, &[value]);
    }
    let k1 = bytes(client, base, &at("/records/Observation/k1")).await;
    assert_numbers("reference range", &k1, &["3.50", "5.10"]);
    let search = bytes(client, base, &at("/fhir/Observation?_count=100")).await;
    assert_numbers("FHIR search", &search, &all);
    let timeline = bytes(client, base, &at("/timeline?type=Observation&limit=100")).await;
    let timeline = String::from_utf8_lossy(&timeline);
    // The timeline lists each number apart from its name, with the digits sent.
    for (_, _, value, unit, _) in DECIMALS {
        assert!(
            timeline.contains(&format!("\"value\":{value},\"unit\":\"{unit}\"")),
            "timeline: {value} {unit} in {timeline}"
        );
    }
    let potassium = bytes(
        client,
        base,
        &at("/labs/series?code=http%3A%2F%2Floinc.org%7C2823-3"),
    )
    .await;
    assert_numbers(
        "labs series",
        &potassium,
        &["3.8060747794874157", "1.50", "3.50", "5.10"],
    );
    for (_, code, value, _, _) in &DECIMALS[2..] {
        let series = bytes(
            client,
            base,
            &at(&format!(
                "/labs/series?code=http%3A%2F%2Floinc.org%7C{code}"
            )),
        )
        .await;
        assert_numbers("labs series", &series, &[value]);
    }
    let tests = bytes(client, base, &at("/labs")).await;
    assert_numbers(
        "labs list (latest)",
        &tests,
        &["1.50", "91.66936118662517", "12345678901234567890"],
    );
    let bundle = bytes(client, base, &at("/export?format=bundle")).await;
    assert_numbers("Bundle export", &bundle, &all);
    let ndjson = bytes(client, base, &at("/export/ndjson/Observation")).await;
    assert_numbers("NDJSON export", &ndjson, &all);
    let ips = bytes(client, base, &at("/export?format=ips")).await;
    assert_numbers(
        "IPS (latest results)",
        &ips,
        &[
            "1.50",
            "91.66936118662517",
            "12345678901234567890",
            "0.000123456789012345678",
        ],
    );
}

/// A host that synced `patient`'s `resources` from a sandbox (kept running):
/// the host, the sandbox, the source and the sync's result.
async fn synced_from_sandbox(
    patient: &str,
    resources: Vec<Value>,
) -> (Host, hearth_sandbox::RunningSandbox, String, Value) {
    let mut data = SandboxData::generated(1, 0, 0);
    data.add_patient(resources).expect("patient");
    let options = SandboxOptions::with_random_token();
    let token = options.token.clone();
    let sb = common::sandbox(data, options).await;
    let host = Host::start("plugins", PluginLimits::default()).await;
    let source = host
        .add_source(&sb.base_url, patient, &token, "fhir-r4")
        .await;
    let (status, result) = host
        .post(&host.at(&format!("/sources/{source}/sync")), &Value::Null)
        .await;
    assert_eq!(status, 200, "{result}");
    (host, sb, source, result)
}

async fn new_profile(host: &Host, name: &str) -> String {
    let (status, body) = host.post("/api/profiles", &json!({"name": name})).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().expect("id").to_string()
}

async fn upload(host: &Host, profile: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
    let r = host
        .client
        .post(format!(
            "{}/api/profiles/{profile}/imports?confirm_person=true",
            host.base
        ))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("upload");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A collection Bundle of resources given as JSON text.
fn bundle_of(resources: &[String]) -> Vec<u8> {
    let entries: Vec<String> = resources
        .iter()
        .map(|r| format!(r#"{{"resource":{r}}}"#))
        .collect();
    format!(
        r#"{{"resourceType":"Bundle","type":"collection","entry":[{}]}}"#,
        entries.join(",")
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decimals_keep_their_digits_from_the_wire_to_every_output_and_a_restore() {
    let resources: Vec<Value> = decimal_resources()
        .iter()
        .map(|t| serde_json::from_str(t).expect("test JSON"))
        .collect();
    // Synced from a provider through the wasm connector.
    let (host, _sb, source, synced) = synced_from_sandbox("p1", resources).await;
    assert_eq!(synced["emitted"].as_u64(), Some(6), "{synced}");
    check_every_output(&host.client, &host.base, &host.profile).await;

    // Uploaded as a Bundle, into a profile of its own.
    let uploaded = new_profile(&host, "Uploaded").await;
    let (status, body) = upload(
        &host,
        &uploaded,
        "application/fhir+json",
        bundle_of(&decimal_resources()),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["fhir_version"], "4.0");
    check_every_output(&host.client, &host.base, &uploaded).await;

    // A second sync of the unchanged resources writes nothing: the hash is stable.
    let (_, again) = host
        .post(&host.at(&format!("/sources/{source}/sync")), &Value::Null)
        .await;
    assert_eq!(again["stored"].as_u64(), Some(0), "{again}");

    // Backed up while serving, restored into a new data folder, served again.
    let scratch = tempfile::tempdir().expect("dir");
    let archive = scratch.path().join("backup.zip");
    hearth_host::backup::backup(host.data.path(), &archive)
        .await
        .expect("backup");
    let restored = scratch.path().join("restored");
    hearth_host::backup::restore(&restored, &archive, false)
        .await
        .expect("restore");
    let (_running, base, _dir) = common::bare_host(|c| c.data_dir = restored.clone()).await;
    let (status, session) = common::call(
        &reqwest::Client::new(),
        &base,
        reqwest::Method::POST,
        "/api/auth/sign-in",
        Some(&json!({"username": "owner", "password": common::PASSWORD})),
    )
    .await;
    assert_eq!(status, 200, "{session}");
    let client = common::bearer_client(session["access_token"].as_str().expect("token"));
    check_every_output(&client, &base, &host.profile).await;
    check_every_output(&client, &base, &uploaded).await;
}

/// A small DSTU3 Bundle: shapes only DSTU3 has (string statuses, `notGiven`, `date`).
fn dstu3_bundle() -> Vec<u8> {
    bundle_of(&[
        r#"{"resourceType":"Patient","id":"d1","birthDate":"1980-02-03","gender":"female"}"#.into(),
        r#"{"resourceType":"Condition","id":"cond1","clinicalStatus":"active","verificationStatus":"confirmed",
            "code":{"coding":[{"system":"http://snomed.info/sct","code":"195662009","display":"Acute viral pharyngitis"}]},
            "subject":{"reference":"Patient/d1"},"onsetDateTime":"2019-03-04","assertedDate":"2019-03-05"}"#
            .into(),
        r#"{"resourceType":"Condition","id":"cond2","clinicalStatus":"resolved","verificationStatus":"confirmed",
            "code":{"text":"Sprained ankle"},"subject":{"reference":"Patient/d1"},"onsetDateTime":"2015-06-01"}"#
            .into(),
        r#"{"resourceType":"Immunization","id":"imm1","status":"completed","notGiven":false,
            "vaccineCode":{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"140"}]},
            "patient":{"reference":"Patient/d1"},"date":"2019-05-01T10:00:00Z","primarySource":true}"#
            .into(),
        r#"{"resourceType":"Observation","id":"obs1","status":"final",
            "code":{"coding":[{"system":"http://loinc.org","code":"8302-2"}]},"subject":{"reference":"Patient/d1"},
            "effectiveDateTime":"2019-05-01","valueQuantity":{"value":165.10,"unit":"cm","system":"http://unitsofmeasure.org","code":"cm"}}"#
            .into(),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dstu3_upload_is_stored_as_r4_found_by_status_and_date() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let p = host.profile.clone();

    // Declared R4, the DSTU3 shapes are refused: the declaration wins.
    let (status, problem) = upload(
        &host,
        &p,
        "application/fhir+json; fhirVersion=4.0",
        dstu3_bundle(),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    // The Condition's DSTU3-only elements: the first one the check meets is named.
    assert!(
        [
            "entry[1].resource.assertedDate",
            "entry[1].resource.clinicalStatus"
        ]
        .contains(&problem["path"].as_str().unwrap_or_default()),
        "{problem}"
    );
    let (status, problem) = upload(
        &host,
        &p,
        "application/fhir+json; fhirVersion=5.0",
        dstu3_bundle(),
    )
    .await;
    assert_eq!(status, 415, "{problem}");
    let (_, sources) = host.get(&host.at("/sources")).await;
    assert_eq!(sources["sources"], json!([]), "nothing stored: {sources}");

    // Undeclared: detected from the shapes, converted, stored as R4.
    let (status, body) = upload(&host, &p, "application/fhir+json", dstu3_bundle()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["fhir_version"], "3.0", "{body}");
    let basis = body["version_basis"].as_str().expect("basis");
    assert!(
        basis.starts_with("entry[1] (Condition.clinicalStatus"),
        "{basis}"
    );
    assert_eq!(body["resources"].as_u64(), Some(5));

    let (_, active) = host.get(&host.at("/fhir/Condition?status=active")).await;
    let ids: Vec<&str> = active["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["resource"]["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["cond1"], "{active}");
    let cond1 = &active["entry"][0]["resource"];
    assert_eq!(cond1["clinicalStatus"]["coding"][0]["code"], "active");
    let (_, given) = host
        .get(&host.at("/fhir/Immunization?date=2019-05-01"))
        .await;
    assert_eq!(given["entry"].as_array().map(Vec::len), Some(1), "{given}");
    assert_eq!(
        given["entry"][0]["resource"]["occurrenceDateTime"],
        "2019-05-01T10:00:00Z"
    );
    let (_, timeline) = host.get(&host.at("/timeline?type=Immunization")).await;
    assert_eq!(
        timeline["items"][0]["date"].as_str().map(|d| &d[..10]),
        Some("2019-05-01"),
        "dated on the timeline: {timeline}"
    );
    // Every stored record is R4 that passes the strict check; the decimal kept its digits.
    let obs = bytes(
        &host.client,
        &host.base,
        &host.at("/records/Observation/obs1"),
    )
    .await;
    assert_numbers("converted Observation", &obs, &["165.10"]);
    let (_, export) = host.get(&host.at("/export?format=bundle")).await;
    for e in export["entry"].as_array().expect("entries") {
        hearth_dstu3::check_r4(&e["resource"])
            .unwrap_or_else(|errs| panic!("{errs:?} in {}", e["resource"]));
    }
    let (status, ips) = host.get(&host.at("/export?format=ips")).await;
    assert_eq!(status, 200);
    for e in ips["entry"].as_array().expect("entries") {
        hearth_dstu3::check_r4(&e["resource"])
            .unwrap_or_else(|errs| panic!("IPS: {errs:?} in {}", e["resource"]));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_shared_synthea_dstu3_bundle_uploads_and_converts() {
    let dir = common::root().join("../shared/data/synthea/stu3");
    let Ok(files) = std::fs::read_dir(&dir) else {
        eprintln!("{} is absent: skipped", dir.display());
        return;
    };
    let host = Host::start("plugins", PluginLimits::default()).await;
    let mut files: Vec<_> = files.filter_map(Result::ok).map(|e| e.path()).collect();
    files.sort();
    let mut total = 0;
    for file in &files {
        let text = std::fs::read(file).expect("read");
        let bundle: Value = serde_json::from_slice(&text).expect("json");
        let distinct: std::collections::BTreeSet<(String, String)> = bundle["entry"]
            .as_array()
            .expect("entries")
            .iter()
            .enumerate()
            .map(|(i, e)| {
                // An entry without an id is stored under the one its full URL
                // names, else one made from its position and content.
                let id = e["resource"]["id"].as_str().or(e["fullUrl"].as_str());
                (
                    e["resource"]["resourceType"].as_str().unwrap_or("").into(),
                    id.map_or_else(|| format!("#{i}"), str::to_string),
                )
            })
            .collect();
        let profile = new_profile(&host, "Synthea").await;
        let (status, body) = upload(&host, &profile, "application/fhir+json", text).await;
        assert_eq!(status, 201, "{}: {body}", file.display());
        assert_eq!(body["fhir_version"], "3.0", "{}: {body}", file.display());
        assert_eq!(
            body["resources"].as_u64(),
            Some(distinct.len() as u64),
            "{}",
            file.display()
        );
        total += distinct.len();
        let (_, export) = host
            .get(&format!("/api/profiles/{profile}/export?format=bundle"))
            .await;
        for e in export["entry"].as_array().expect("entries") {
            hearth_dstu3::check_r4(&e["resource"])
                .unwrap_or_else(|errs| panic!("{}: {errs:?}", file.display()));
        }
    }
    assert!(total >= 3000, "{total} resources in {} files", files.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_r4_uploads_are_refused_with_entry_and_path_and_store_nothing() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let p = host.profile.clone();
    let patient = r#"{"resourceType":"Patient","id":"x1"}"#.to_string();
    let obs = |rest: &str| {
        format!(
            r#"{{"resourceType":"Observation","id":"o1","subject":{{"reference":"Patient/x1"}}{rest}}}"#
        )
    };
    let cases = [
        (
            obs(r#","status":"bogus-status","code":{"text":"x"}"#),
            "entry[1].resource.status",
            "required value set",
        ),
        (
            obs(r#","status":"final","code":{"text":"x"},"valueQuantity":{"value":"abc"}"#),
            "entry[1].resource.valueQuantity.value",
            "decimal",
        ),
        (
            obs(r#","status":"final""#),
            "entry[1].resource.code",
            "required",
        ),
        (
            obs(r#","status":"final","code":{}"#),
            "entry[1].resource.code",
            "empty",
        ),
        (
            obs(r#","status":"final","code":{"text":"x"},"effectiveDateTime":"2020-01-01T10:00"}"#),
            "entry[1].resource.effectiveDateTime",
            "",
        ),
    ];
    for (bad, path, reason) in &cases {
        let (status, problem) = upload(
            &host,
            &p,
            "application/fhir+json",
            bundle_of(&[patient.clone(), bad.clone()]),
        )
        .await;
        assert_eq!(status, 422, "{bad}: {problem}");
        assert_eq!(problem["path"], *path, "{bad}: {problem}");
        assert_eq!(problem["entry"].as_u64(), Some(1), "{problem}");
        assert!(
            problem["reason"].as_str().expect("reason").contains(reason),
            "{bad}: {problem}"
        );
    }
    // NDJSON names the line too.
    let lines = format!("{patient}\n{}\n", cases[0].0.replace('\n', " "));
    let (status, problem) = upload(&host, &p, "application/fhir+ndjson", lines.into_bytes()).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["line"].as_u64(), Some(2), "{problem}");
    assert_eq!(problem["path"], "status", "{problem}");
    let (_, sources) = host.get(&host.at("/sources")).await;
    assert_eq!(sources["sources"], json!([]), "nothing stored: {sources}");
    let (_, records) = host.get(&host.at("/records?per_page=1")).await;
    assert_eq!(records["total"].as_u64(), Some(0));

    // Typed-in records pass the same gate.
    let (status, problem) = host
        .post(
            &host.at("/manual/Observation"),
            &json!({"resourceType": "Observation", "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "8302-2"}]},
                "effectiveDateTime": "2021-01-01",
                "valueQuantity": {"value": 170, "unit": "cm", "system": "http://unitsofmeasure.org",
                    "code": "cm", "comparator": "~"}}),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["path"], "valueQuantity.comparator", "{problem}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_leaves_out_invalid_resources_and_reports_them_per_type() {
    let mut resources = vec![json!({"resourceType": "Patient", "id": "s1"})];
    for (id, status) in [("ok1", "final"), ("bad1", "bogus-status"), ("bad2", "nope")] {
        resources.push(
            json!({"resourceType": "Observation", "id": id, "status": status,
            "code": {"text": "Weight"}, "subject": {"reference": "Patient/s1"},
            "effectiveDateTime": "2021-01-01"}),
        );
    }
    resources.push(json!({"resourceType": "Condition", "id": "cx", "code": {}, "subject": {"reference": "Patient/s1"}}));
    let (host, _sb, _source, result) = synced_from_sandbox("s1", resources).await;
    assert_eq!(result["emitted"].as_u64(), Some(2), "{result}");
    let rejected = &result["rejected"];
    assert_eq!(
        rejected["Observation"]["count"].as_u64(),
        Some(2),
        "{result}"
    );
    assert_eq!(rejected["Observation"]["path"], "status");
    assert_eq!(rejected["Observation"]["example"], "Observation/bad1");
    assert_eq!(rejected["Condition"]["count"].as_u64(), Some(1));
    assert_eq!(rejected["Condition"]["path"], "code");
    let (status, _) = host.get(&host.at("/records/Observation/bad1")).await;
    assert_eq!(status, 404, "never stored");
    let (status, _) = host.get(&host.at("/records/Observation/ok1")).await;
    assert_eq!(status, 200);
    // The jobs page has the same report.
    let (_, jobs) = host.get(&host.at("/jobs")).await;
    let job = &jobs["jobs"][0];
    assert_eq!(
        job["progress"]["rejected"]["Observation"]["count"].as_u64(),
        Some(2),
        "{jobs}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_shorter_lived_than_two_minutes_is_used_not_refreshed_every_sync() {
    let faults = Arc::new(Faults::default());
    let mut options = SandboxOptions::with_random_token();
    options.faults = faults.clone();
    options.auto_approve = true;
    options.access_ttl = std::time::Duration::from_secs(90);
    let sb = common::sandbox(SandboxData::generated(3, 1, 40), options).await;
    let root = common::sandbox_root(&sb);
    let host = Host::start_with("plugins", PluginLimits::default(), |c| {
        c.sandbox_url = Some(url::Url::parse(&root).expect("url"));
    })
    .await;
    let connected = common::connect_auto(&host.client, &host.base, &host.profile).await;
    let source = connected["source_id"].as_str().expect("source").to_string();
    for _ in 0..3 {
        let (status, body) = host
            .post(&host.at(&format!("/sources/{source}/sync")), &Value::Null)
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let (codes, refreshes) = faults.token_requests();
    assert_eq!(codes, 1);
    assert_eq!(refreshes, 0, "a 90-second token is used while it is valid");
}
