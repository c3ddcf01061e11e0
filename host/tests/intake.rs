//! Putting records in and taking them out, against a real running host:
//! uploads (all or nothing), export formats and the round trip, duplicates
//! across sources, typed-in records and attachments.

mod common;

use common::Host;
use hearth_host::config::PluginLimits;
use hearth_synth::{PatientSpec, collection_bundle, generate_patient};
use serde_json::{Value, json};
use std::collections::BTreeMap;

async fn host() -> Host {
    Host::start("plugins", PluginLimits::default()).await
}

/// Send `body` to `path` with a content type; status and JSON body.
async fn send(
    host: &Host,
    method: reqwest::Method,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let r = host
        .client
        .request(method, format!("{}{path}", host.base))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn upload(host: &Host, profile: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
    send(
        host,
        reqwest::Method::POST,
        // These tests are about reading files, not whose they are.
        &format!("/api/profiles/{profile}/imports?confirm_person=true"),
        content_type,
        body,
    )
    .await
}

/// Raw GET: status, content type, bytes.
async fn fetch(host: &Host, path: &str) -> (u16, String, Vec<u8>) {
    let r = host
        .client
        .get(format!("{}{path}", host.base))
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, ct, r.bytes().await.expect("body").to_vec())
}

/// How many resources the profile shows.
async fn shown(host: &Host, profile: &str) -> u64 {
    let (status, body) = host
        .get(&format!("/api/profiles/{profile}/records?per_page=1"))
        .await;
    assert_eq!(status, 200, "{body}");
    body["total"].as_u64().expect("total")
}

/// Every resource a profile exports, by type/id, as JSON values.
async fn exported(host: &Host, profile: &str) -> BTreeMap<(String, String), Value> {
    let (status, _, bytes) = fetch(host, &format!("/api/profiles/{profile}/export")).await;
    assert_eq!(status, 200);
    let bundle: Value = serde_json::from_slice(&bytes).expect("the export is one JSON Bundle");
    assert_eq!(bundle["type"], "collection");
    let mut out = BTreeMap::new();
    for e in bundle["entry"].as_array().expect("entries") {
        let r = &e["resource"];
        assert!(e["fullUrl"].as_str().unwrap().starts_with("urn:uuid:"));
        let key = (
            r["resourceType"].as_str().unwrap().to_string(),
            r["id"].as_str().unwrap().to_string(),
        );
        assert!(
            out.insert(key.clone(), r.clone()).is_none(),
            "{key:?} exported twice"
        );
    }
    out
}

/// `GET …/records/{type}/{id}`: status, the resource, its source and the other sources (`source/id`).
async fn record(host: &Host, ty: &str, id: &str) -> (u16, Value, String, Vec<String>) {
    let r = host
        .client
        .get(format!(
            "{}{}",
            host.base,
            host.at(&format!("/records/{ty}/{id}"))
        ))
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let source = header("x-hearth-source");
    let also: Vec<String> = header("x-hearth-also-from")
        .split(", ")
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    (status, r.json().await.unwrap_or(Value::Null), source, also)
}

async fn new_profile(host: &Host, name: &str) -> String {
    let (status, body) = host.post("/api/profiles", &json!({"name": name})).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}

fn generated(seed: u64, resources: usize) -> Vec<Value> {
    generate_patient(&PatientSpec {
        seed,
        target_resources: resources,
    })
}

#[tokio::test]
async fn a_bad_entry_anywhere_rejects_the_whole_upload() {
    let host = host().await;
    let resources = generated(7, 6000);
    let mut bundle = collection_bundle(&resources);
    let bad = 4321;
    let entry = &mut bundle["entry"][bad]["resource"];
    let field = match entry["resourceType"].as_str().unwrap() {
        "Observation" => "effectiveDateTime",
        _ => "meta",
    };
    if field == "meta" {
        entry["meta"] = json!({"lastUpdated": "2020-02-30T10:00:00Z"});
    } else {
        entry[field] = json!("2020-02-30");
    }
    let before = shown(&host, &host.profile).await;
    let (status, body) = upload(
        &host,
        &host.profile,
        "application/fhir+json",
        bundle.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["type"], "urn:hearth:problem:invalid-entry");
    assert_eq!(body["entry"], bad as u64);
    let expected_path = if field == "meta" {
        format!("entry[{bad}].resource.meta.lastUpdated")
    } else {
        format!("entry[{bad}].resource.{field}")
    };
    assert_eq!(body["path"], expected_path.as_str(), "{body}");
    assert!(!body["reason"].as_str().unwrap().is_empty());
    // Nothing of it: no resources, no source.
    assert_eq!(shown(&host, &host.profile).await, before);
    let (_, sources) = host.get(&host.at("/sources")).await;
    assert_eq!(sources["sources"].as_array().unwrap().len(), 0, "{sources}");

    // The same upload without the bad entry goes in whole, as a source of its own.
    let good = collection_bundle(&resources);
    let (status, body) = upload(
        &host,
        &host.profile,
        "application/fhir+json; charset=utf-8",
        good.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["resources"], resources.len() as u64);
    assert_eq!(body["source"]["kind"], "import");
    let counted: u64 = body["by_type"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(counted, resources.len() as u64);
    assert_eq!(shown(&host, &host.profile).await, resources.len() as u64);
    // An upload is not a provider: there is nothing to sync.
    let source = body["source"]["id"].as_str().unwrap();
    let (status, body) = host
        .post(&host.at(&format!("/sources/{source}/sync")), &json!({}))
        .await;
    assert_eq!(
        (status, body["type"].as_str()),
        (409, Some("urn:hearth:problem:not-syncable"))
    );
}

#[tokio::test]
async fn uploads_refuse_what_is_not_an_importable_bundle() {
    let host = host().await;
    let p = host.profile.clone();
    let cases: Vec<(&str, String, u16, &str)> = vec![
        ("application/fhir+json", "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[".into(), 400, "malformed-upload"),
        ("application/fhir+json", r#"{"resourceType":"Patient","id":"x"}"#.into(), 400, "malformed-upload"),
        ("application/fhir+json", r#"{"resourceType":"Bundle","type":"history","entry":[]}"#.into(), 400, "malformed-upload"),
        ("application/fhir+json", r#"{"resourceType":"Bundle","type":"batch","entry":[]}"#.into(), 422, "empty-upload"),
        ("application/fhir+json", r#"{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"DELETE","url":"Patient/1"}}]}"#.into(), 422, "invalid-entry"),
        ("text/csv", "a,b".into(), 415, "unsupported-media-type"),
        ("application/fhir+ndjson", "{\"resourceType\":\"Patient\",\"id\":\"p\"}\nnot json\n".into(), 422, "invalid-entry"),
    ];
    for (ct, body, status, kind) in cases {
        let (got, problem) = upload(&host, &p, ct, body.clone().into_bytes()).await;
        assert_eq!(got, status, "{body}: {problem}");
        assert_eq!(
            problem["type"],
            format!("urn:hearth:problem:{kind}"),
            "{body}: {problem}"
        );
    }
    let (_, problem) = upload(
        &host,
        &p,
        "application/fhir+ndjson",
        b"{\"resourceType\":\"Patient\",\"id\":\"p\"}\n\nnot json\n".to_vec(),
    )
    .await;
    assert_eq!(
        (problem["entry"].as_u64(), problem["line"].as_u64()),
        (Some(1), Some(3)),
        "{problem}"
    );
    // Larger than the configured limit (64 MiB in tests): refused, nothing kept.
    let big = vec![b' '; (64 << 20) + 1];
    let (status, problem) = upload(&host, &p, "application/fhir+json", big).await;
    assert_eq!(
        (status, problem["type"].as_str()),
        (413, Some("urn:hearth:problem:upload-too-large"))
    );
    assert_eq!(shown(&host, &p).await, 0);
    let spooled = std::fs::read_dir(host.data.path().join("tmp"))
        .unwrap()
        .count();
    assert_eq!(spooled, 0, "no spooled upload is left behind");
}

/// Upload a transaction Bundle with `urn:uuid` references and check that
/// every entry is stored and references became `Type/id`: an encounter
/// finds the observations made in it.
async fn check_transaction(host: &Host, profile: &str, text: Vec<u8>) {
    let bundle: Value = serde_json::from_slice(&text).unwrap();
    let entries = bundle["entry"].as_array().unwrap();
    let (status, body) = upload(host, profile, "application/fhir+json", text.clone()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["resources"], entries.len() as u64);
    let encounter = entries
        .iter()
        .find(|e| {
            e["resource"]["resourceType"] == "Encounter"
                && entries.iter().any(|o| {
                    o["resource"]["resourceType"] == "Observation"
                        && o["resource"]["encounter"]["reference"] == e["fullUrl"]
                })
        })
        .expect("an encounter with observations");
    let url = encounter["fullUrl"].as_str().unwrap();
    let id = encounter["resource"]["id"]
        .as_str()
        .unwrap_or_else(|| url.trim_start_matches("urn:uuid:"));
    let (status, related) = host
        .get(&format!(
            "/api/profiles/{profile}/records/Encounter/{id}/related"
        ))
        .await;
    assert_eq!(status, 200, "{related}");
    assert!(
        related["referenced_by"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["resource_type"] == "Observation"),
        "{related}"
    );
}

#[tokio::test]
async fn synthea_transactions_and_ndjson_import_with_references_resolved() {
    let host = host().await;
    // A transaction as EHR exports write them: no ids, `urn:uuid` full URLs
    // and references, POST requests.
    fn to_urn(v: &mut Value) {
        match v {
            Value::Object(o) => {
                for (k, x) in o.iter_mut() {
                    match x {
                        Value::String(r) if k == "reference" => {
                            if let Some((_, id)) = r.split_once('/') {
                                *r = format!("urn:uuid:{id}");
                            }
                        }
                        _ => to_urn(x),
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(to_urn),
            _ => {}
        }
    }
    let entries: Vec<Value> = generated(8, 400)
        .into_iter()
        .map(|mut r| {
            let id = r["id"].as_str().unwrap().to_string();
            let ty = r["resourceType"].as_str().unwrap().to_string();
            r.as_object_mut().unwrap().remove("id");
            to_urn(&mut r);
            json!({"fullUrl": format!("urn:uuid:{id}"), "resource": r, "request": {"method": "POST", "url": ty}})
        })
        .collect();
    let transaction = json!({"resourceType": "Bundle", "type": "transaction", "entry": entries});
    check_transaction(&host, &host.profile, transaction.to_string().into_bytes()).await;
    // And a real Synthea export, where this machine has the shared data.
    let dir = common::root().join("../shared/data/synthea/r4");
    if let Some(file) = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
    {
        let synthea = new_profile(&host, "Synthea").await;
        check_transaction(&host, &synthea, std::fs::read(&file).unwrap()).await;
    }

    // NDJSON into another profile: one resource per line.
    let other = new_profile(&host, "Other").await;
    let lines: String = generated(3, 300).iter().map(|r| format!("{r}\n")).collect();
    let (status, body) = upload(&host, &other, "application/fhir+ndjson", lines.into_bytes()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["resources"], 300);
    assert_eq!(shown(&host, &other).await, 300);
}

#[tokio::test]
async fn export_then_import_gives_the_same_records() {
    let host = host().await;
    let resources = generated(11, 2500);
    let (status, _) = upload(
        &host,
        &host.profile,
        "application/fhir+json",
        collection_bundle(&resources).to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, 201);
    let (status, _) = host.post(&host.at("/manual/Condition"), &json!({
        "resourceType": "Condition", "code": {"text": "Hay fever"}, "onsetDateTime": "2015-04-01"
    })).await;
    assert_eq!(status, 201);
    let pdf = b"%PDF-1.4 a small letter".to_vec();
    let (status, _) = send(
        &host,
        reqwest::Method::POST,
        &host.at("/attachments?title=Letter"),
        "application/pdf",
        pdf.clone(),
    )
    .await;
    assert_eq!(status, 201);
    let original = exported(&host, &host.profile).await;
    assert_eq!(original.len() as u64, shown(&host, &host.profile).await);
    // The Binary travels with its bytes.
    let binary = original
        .iter()
        .find(|((t, _), _)| t == "Binary")
        .expect("binary")
        .1;
    use base64::Engine;
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(binary["data"].as_str().unwrap())
            .unwrap(),
        pdf
    );

    let (_, _, bytes) = fetch(&host, &host.at("/export")).await;
    let copy = new_profile(&host, "Copy").await;
    let (status, body) = upload(&host, &copy, "application/fhir+json", bytes).await;
    assert_eq!(status, 201, "{body}");
    let round = exported(&host, &copy).await;
    assert_eq!(round.len(), original.len());
    for (key, value) in &original {
        assert_eq!(
            round.get(key),
            Some(value),
            "{key:?} differs after the round trip"
        );
    }

    // NDJSON per type: a Bulk Data manifest whose files hold every resource once.
    let (status, manifest) = host.get(&host.at("/export?format=ndjson")).await;
    assert_eq!(status, 200, "{manifest}");
    let mut total = 0;
    for output in manifest["output"].as_array().unwrap() {
        let (status, ct, bytes) = fetch(&host, output["url"].as_str().unwrap()).await;
        assert_eq!((status, ct.as_str()), (200, "application/fhir+ndjson"));
        let text = String::from_utf8(bytes).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len() as u64, output["count"].as_u64().unwrap());
        for line in lines {
            let r: Value = serde_json::from_str(line).unwrap();
            assert_eq!(r["resourceType"], output["type"]);
            assert_eq!(
                original.get(&(
                    r["resourceType"].as_str().unwrap().into(),
                    r["id"].as_str().unwrap().into()
                )),
                Some(&r)
            );
            total += 1;
        }
    }
    assert_eq!(total, original.len());

    // The zip: manifest, one NDJSON file per type, and the attachment file.
    let (status, ct, bytes) = fetch(&host, &host.at("/export?format=zip")).await;
    assert_eq!((status, ct.as_str()), (200, "application/zip"));
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a readable zip");
    let names: Vec<String> = zip
        .file_names()
        .map(|n| n.expect("name").to_string())
        .collect();
    assert!(names.contains(&"manifest.json".to_string()), "{names:?}");
    assert!(
        names.contains(&"Observation.ndjson".to_string()),
        "{names:?}"
    );
    let attachment = names
        .iter()
        .find(|n| n.starts_with("attachments/"))
        .expect("attachment file")
        .clone();
    assert!(attachment.ends_with(".pdf"));
    let mut file = zip.by_name(&attachment).unwrap();
    let mut got = Vec::new();
    std::io::Read::read_to_end(&mut file, &mut got).unwrap();
    assert_eq!(got, pdf);

    // Unknown formats are an error, not a default.
    let (status, _) = host.get(&host.at("/export?format=csv")).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn the_patient_summary_is_a_document_whose_sections_resolve() {
    let host = host().await;
    let (status, body) = host.get(&host.at("/export?format=ips")).await;
    assert_eq!(
        (status, body["type"].as_str()),
        (409, Some("urn:hearth:problem:no-patient"))
    );
    let resources = generated(5, 1500);
    upload(
        &host,
        &host.profile,
        "application/fhir+json",
        collection_bundle(&resources).to_string().into_bytes(),
    )
    .await;
    let (status, ips) = host.get(&host.at("/export?format=ips")).await;
    assert_eq!(status, 200, "{ips}");
    assert_eq!(ips["type"], "document");
    let entries = ips["entry"].as_array().unwrap();
    let composition = &entries[0]["resource"];
    assert_eq!(composition["resourceType"], "Composition");
    assert_eq!(composition["type"]["coding"][0]["code"], "60591-5");
    let full_urls: Vec<&str> = entries
        .iter()
        .map(|e| e["fullUrl"].as_str().unwrap())
        .collect();
    assert!(full_urls.contains(&composition["subject"]["reference"].as_str().unwrap()));
    let codes: Vec<&str> = composition["section"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"]["coding"][0]["code"].as_str().unwrap())
        .collect();
    for required in ["11450-4", "48765-2", "10160-0"] {
        assert!(codes.contains(&required), "{codes:?}");
    }
    assert!(
        codes.contains(&"30954-2") && codes.contains(&"11369-6"),
        "{codes:?}"
    );
    for section in composition["section"].as_array().unwrap() {
        assert!(
            section["text"]["div"]
                .as_str()
                .unwrap()
                .starts_with("<div xmlns")
        );
        for r in section["entry"].as_array().into_iter().flatten() {
            assert!(
                full_urls.contains(&r["reference"].as_str().unwrap()),
                "{r} does not resolve"
            );
        }
    }
    // Results hold the latest of each test only.
    let results = composition["section"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"]["coding"][0]["code"] == "30954-2")
        .unwrap();
    let mut seen = std::collections::HashSet::new();
    for r in results["entry"].as_array().unwrap() {
        let e = entries
            .iter()
            .find(|e| e["fullUrl"] == r["reference"])
            .unwrap();
        assert!(
            seen.insert(e["resource"]["code"]["coding"][0]["code"].clone()),
            "one result per test"
        );
    }
}

#[tokio::test]
async fn the_same_fact_from_two_sources_is_shown_once_with_both_sources() {
    let host = host().await;
    let resources = generated(21, 800);
    let bundle = collection_bundle(&resources).to_string().into_bytes();
    let (_, first) = upload(
        &host,
        &host.profile,
        "application/fhir+json",
        bundle.clone(),
    )
    .await;
    let (status, second) = upload(&host, &host.profile, "application/fhir+json", bundle).await;
    assert_eq!(status, 201);
    let (first, second) = (
        first["source"]["id"].as_str().unwrap().to_string(),
        second["source"]["id"].as_str().unwrap().to_string(),
    );
    // Resources with an identifier or a dated code are matched; the rest (none
    // of which carry either) stay as they are.
    let keyed = resources
        .iter()
        .filter(|r| {
            r["identifier"].is_array()
                || ([
                    "Observation",
                    "Condition",
                    "Procedure",
                    "Immunization",
                    "MedicationRequest",
                    "DiagnosticReport",
                    "AllergyIntolerance",
                ]
                .contains(&r["resourceType"].as_str().unwrap()))
        })
        .count() as u64;
    assert!(
        keyed > 700,
        "most generated resources are matchable ({keyed})"
    );
    let total = shown(&host, &host.profile).await;
    assert!(total <= 2 * resources.len() as u64 - keyed, "{total}");
    assert!(total >= resources.len() as u64);
    let obs = resources
        .iter()
        .find(|r| r["resourceType"] == "Observation" && r["valueQuantity"].is_object())
        .unwrap();
    let id = obs["id"].as_str().unwrap();
    let (status, _, source, also) = record(&host, "Observation", id).await;
    assert_eq!(status, 200);
    assert_eq!(source, first);
    assert_eq!(also, vec![format!("{second}/{id}")]);
    // Its provenance names both sources, the shown copy first, with when each was stored.
    let (status, provenance) = host
        .get(&host.at(&format!("/records/Observation/{id}/provenance")))
        .await;
    assert_eq!(status, 200, "{provenance}");
    let copies = provenance["copies"].as_array().expect("copies");
    let sources: Vec<&str> = copies
        .iter()
        .map(|c| c["source_id"].as_str().unwrap())
        .collect();
    assert_eq!(sources, [first.as_str(), second.as_str()]);
    for c in copies {
        assert_eq!(c["source_kind"], "import");
        assert_eq!(c["id"], id);
        assert_eq!(c["version"], 1);
        assert!(
            chrono::DateTime::parse_from_rfc3339(c["stored_at"].as_str().unwrap()).is_ok(),
            "{c}"
        );
    }
    assert_eq!(
        host.get(&host.at("/records/Observation/no-such-id/provenance"))
            .await
            .0,
        404
    );
    // The timeline shows it once, naming the other source.
    let day = &obs["effectiveDateTime"].as_str().unwrap()[..10];
    let next = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .unwrap()
        .succ_opt()
        .unwrap();
    let (status, timeline) = host
        .get(&host.at(&format!(
            "/timeline?type=Observation&from={day}&to={next}&limit=200"
        )))
        .await;
    assert_eq!(status, 200, "{timeline}");
    let items: Vec<&Value> = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["id"] == id)
        .collect();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["also_from"][0]["source_id"], second.as_str());
    // Searches and lab series count it once.
    let code = obs["code"]["coding"][0]["code"].as_str().unwrap();
    let date = obs["effectiveDateTime"].as_str().unwrap();
    let (_, found) = host
        .get(&host.at(&format!(
            "/fhir/Observation?code={code}&date={}&_total=accurate",
            &date[..10]
        )))
        .await;
    let same: Vec<&Value> = found["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["resource"]["id"] == id)
        .collect();
    assert_eq!(same.len(), 1, "{found}");

    // A different id but the same code, time and value from a third source is the same fact too.
    let mut copy = obs.clone();
    copy["id"] = json!("copy-of-it");
    let (_, third) = upload(
        &host,
        &host.profile,
        "application/fhir+ndjson",
        format!("{copy}\n").into_bytes(),
    )
    .await;
    let (_, _, _, also) = record(&host, "Observation", id).await;
    assert_eq!(also.len(), 2, "{also:?}");
    let (status, _, source, also) = record(&host, "Observation", "copy-of-it").await;
    assert_eq!(status, 200);
    assert_eq!(source, third["source"]["id"].as_str().unwrap());
    assert_eq!(
        also[0],
        format!("{first}/{id}"),
        "a hidden copy points at the shown one"
    );

    // Typed in first, then imported: deleting the typed-in copy shows the imported one again.
    let (_, typed) = host.post(&host.at("/manual/Immunization"), &json!({
        "resourceType": "Immunization", "status": "completed", "occurrenceDateTime": "2001-02-03",
        "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "140"}]}
    })).await;
    let mut imported = typed.clone();
    imported["id"] = json!("from-clinic");
    imported["patient"] = json!({"reference": "Patient/x"});
    upload(
        &host,
        &host.profile,
        "application/fhir+ndjson",
        format!("{imported}\n").into_bytes(),
    )
    .await;
    let before = shown(&host, &host.profile).await;
    let (status, _) = call_delete(
        &host,
        &host.at(&format!(
            "/manual/Immunization/{}",
            typed["id"].as_str().unwrap()
        )),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        shown(&host, &host.profile).await,
        before,
        "the imported copy takes its place"
    );
    let (status, _, _, also) = record(&host, "Immunization", "from-clinic").await;
    assert_eq!(status, 200);
    assert!(also.is_empty(), "{also:?}");
    let (_, found) = host
        .get(&host.at("/fhir/Immunization?code=http://hl7.org/fhir/sid/cvx|140&date=2001-02-03"))
        .await;
    assert_eq!(
        found["entry"].as_array().map(Vec::len),
        Some(1),
        "searchable again: {found}"
    );
}

async fn call_delete(host: &Host, path: &str) -> (u16, Value) {
    common::call(
        &host.client,
        &host.base,
        reqwest::Method::DELETE,
        path,
        None,
    )
    .await
}

#[tokio::test]
async fn typed_in_records_are_validated_per_type() {
    let host = host().await;
    let cases: Vec<(&str, Value, &str)> = vec![
        ("Condition", json!({"resourceType": "Condition"}), "code"),
        (
            "Condition",
            json!({"resourceType": "Condition", "code": {"text": "x"}, "onsetDateTime": "2999-01-01"}),
            "onsetDateTime",
        ),
        (
            "Condition",
            json!({"resourceType": "Condition", "code": {"coding": [{"system": "http://snomed.info/sct", "code": "38341004"}]}}),
            "code.coding[0].code",
        ),
        (
            "MedicationStatement",
            json!({"resourceType": "MedicationStatement", "status": "active"}),
            "medicationCodeableConcept",
        ),
        (
            "MedicationStatement",
            json!({"resourceType": "MedicationStatement", "status": "taking", "medicationCodeableConcept": {"text": "x"}}),
            "status",
        ),
        (
            "AllergyIntolerance",
            json!({"resourceType": "AllergyIntolerance", "criticality": "high"}),
            "code",
        ),
        (
            "Immunization",
            json!({"resourceType": "Immunization", "status": "completed", "vaccineCode": {"text": "Flu"}}),
            "occurrenceDateTime",
        ),
        (
            "Immunization",
            json!({"resourceType": "Immunization", "status": "completed", "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "12345"}]}, "occurrenceDateTime": "2020-01-01"}),
            "vaccineCode.coding[0].code",
        ),
        (
            "Procedure",
            json!({"resourceType": "Procedure", "code": {"text": "x"}}),
            "status",
        ),
        (
            "Encounter",
            json!({"resourceType": "Encounter", "status": "finished"}),
            "class",
        ),
        (
            "Encounter",
            json!({"resourceType": "Encounter", "status": "finished", "class": {"code": "AMB"}, "period": {"start": "2020-02-30"}}),
            "period.start",
        ),
        (
            "Observation",
            json!({"resourceType": "Observation", "status": "final", "code": {"text": "Weight"}}),
            "value[x]",
        ),
        (
            "Observation",
            json!({"resourceType": "Observation", "status": "final", "code": {"coding": [{"system": "http://loinc.org", "code": "2345-6"}]}, "valueQuantity": {"value": 1}}),
            "code.coding[0].code",
        ),
        (
            "Practitioner",
            json!({"resourceType": "Practitioner"}),
            "name",
        ),
        (
            "Condition",
            json!({"resourceType": "Condition", "id": "mine", "code": {"text": "x"}}),
            "id",
        ),
        (
            "Condition",
            json!({"resourceType": "Condition", "code": {"text": "x"}, "note": [{"text": " "}]}),
            "note[0].text",
        ),
        (
            "Patient",
            json!({"resourceType": "Patient"}),
            "resourceType",
        ),
        (
            "Condition",
            json!({"resourceType": "Procedure", "code": {"text": "x"}, "status": "completed"}),
            "resourceType",
        ),
    ];
    for (ty, body, path) in cases {
        let (status, problem) = host.post(&host.at(&format!("/manual/{ty}")), &body).await;
        assert_eq!(status, 422, "{body}: {problem}");
        assert_eq!(problem["type"], "urn:hearth:problem:invalid-record");
        let got = problem["path"].as_str().unwrap();
        assert!(
            got == path || got.starts_with(path),
            "{body}: expected {path}, got {problem}"
        );
    }
    assert_eq!(
        shown(&host, &host.profile).await,
        0,
        "nothing of a refused record is stored"
    );

    let valid: Vec<Value> = vec![
        json!({"resourceType": "Condition", "code": {"coding": [{"system": "http://snomed.info/sct", "code": "44054006", "display": "Diabetes"}]}, "onsetDateTime": "2019-03-01", "note": [{"text": "Found at a check-up"}]}),
        json!({"resourceType": "MedicationStatement", "status": "active", "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "860975"}]}, "effectiveDateTime": "2019-03-02"}),
        json!({"resourceType": "AllergyIntolerance", "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active"}]}, "code": {"text": "Peanuts"}, "criticality": "high", "category": ["food"]}),
        json!({"resourceType": "Immunization", "status": "completed", "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "140"}]}, "occurrenceDateTime": "2024-10-01"}),
        json!({"resourceType": "Procedure", "status": "completed", "code": {"text": "Appendectomy"}, "performedDateTime": "2010-06-01"}),
        json!({"resourceType": "Encounter", "status": "finished", "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"}, "period": {"start": "2024-10-01T09:00:00+02:00", "end": "2024-10-01T09:30:00+02:00"}}),
        json!({"resourceType": "Observation", "status": "final", "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]}, "valueQuantity": {"value": 71.5, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}, "effectiveDateTime": "2024-10-01"}),
        json!({"resourceType": "Practitioner", "name": [{"family": "Okafor", "given": ["Ada"]}], "telecom": [{"system": "email", "value": "ada@clinic.example"}]}),
    ];
    let mut ids = Vec::new();
    for body in &valid {
        let ty = body["resourceType"].as_str().unwrap();
        let (status, stored) = host.post(&host.at(&format!("/manual/{ty}")), body).await;
        assert_eq!(status, 201, "{body}: {stored}");
        assert!(stored["id"].as_str().is_some_and(|i| i.len() == 32));
        if ty != "Practitioner" {
            let field = if ["AllergyIntolerance", "Immunization"].contains(&ty) {
                "patient"
            } else {
                "subject"
            };
            assert!(
                stored[field]["reference"]
                    .as_str()
                    .unwrap()
                    .starts_with("Patient/self-"),
                "{stored}"
            );
        }
        ids.push((ty.to_string(), stored["id"].as_str().unwrap().to_string()));
    }
    // The 8 records and the Patient standing for the profile, in a source of their own.
    assert_eq!(shown(&host, &host.profile).await, 9);
    let (_, sources) = host.get(&host.at("/sources")).await;
    assert_eq!(sources["sources"][0]["kind"], "manual");
    // The weight is charted like any lab.
    let (status, series) = host
        .get(&host.at("/labs/series?code=http://loinc.org|29463-7"))
        .await;
    assert_eq!(status, 200, "{series}");

    // Edit: validated again; the id comes from the path.
    let (ty, id) = &ids[0];
    let mut edited = valid[0].clone();
    edited["abatementDateTime"] = json!("2018-01-01");
    let (status, problem) = common::call(
        &host.client,
        &host.base,
        reqwest::Method::PUT,
        &host.at(&format!("/manual/{ty}/{id}")),
        Some(&edited),
    )
    .await;
    assert_eq!(status, 422, "abatement before onset: {problem}");
    edited["abatementDateTime"] = json!("2020-01-01");
    let (status, stored) = common::call(
        &host.client,
        &host.base,
        reqwest::Method::PUT,
        &host.at(&format!("/manual/{ty}/{id}")),
        Some(&edited),
    )
    .await;
    assert_eq!(status, 200, "{stored}");
    let (_, stored, _, _) = record(&host, ty, id).await;
    assert_eq!(stored["abatementDateTime"], "2020-01-01");

    // A note on the encounter is a DocumentReference the encounter is related to.
    let (_, enc) = &ids[5];
    let (status, note) = host
        .post(
            &host.at(&format!("/encounters/{enc}/notes")),
            &json!({"text": "Felt better after rest."}),
        )
        .await;
    assert_eq!(status, 201, "{note}");
    let (_, related) = host
        .get(&host.at(&format!("/records/Encounter/{enc}/related")))
        .await;
    assert!(
        related["referenced_by"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == note["id"]),
        "{related}"
    );
    let (status, _) = host
        .post(&host.at("/encounters/nope/notes"), &json!({"text": "x"}))
        .await;
    assert_eq!(status, 404);

    // Delete: gone, and gone from searches.
    let (status, _) = call_delete(&host, &host.at(&format!("/manual/{ty}/{id}"))).await;
    assert_eq!(status, 200);
    let (status, _) = host.get(&host.at(&format!("/records/{ty}/{id}"))).await;
    assert_eq!(status, 404);
    let (status, _) = call_delete(&host, &host.at(&format!("/manual/{ty}/{id}"))).await;
    assert_eq!(status, 404);

    // What came from an upload is not editable here.
    upload(
        &host,
        &host.profile,
        "application/fhir+ndjson",
        b"{\"resourceType\":\"Condition\",\"id\":\"ehr1\",\"code\":{\"text\":\"x\"},\"subject\":{\"reference\":\"Patient/p\"}}\n".to_vec(),
    )
    .await;
    let (status, problem) = common::call(
        &host.client,
        &host.base,
        reqwest::Method::PUT,
        &host.at("/manual/Condition/ehr1"),
        Some(&valid[0]),
    )
    .await;
    assert_eq!(
        (status, problem["type"].as_str()),
        (409, Some("urn:hearth:problem:not-editable"))
    );
    let (status, _) = call_delete(&host, &host.at("/manual/Condition/ehr1")).await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn attachments_are_checked_stored_as_files_and_served_safely() {
    let host = host().await;
    let png = [b"\x89PNG\r\n\x1a\n".as_slice(), &[7u8; 5000]].concat();
    let (status, doc) = send(
        &host,
        reqwest::Method::POST,
        &host.at("/attachments?title=X-ray&date=2024-05-01"),
        "image/png",
        png.clone(),
    )
    .await;
    assert_eq!(status, 201, "{doc}");
    assert_eq!(doc["resourceType"], "DocumentReference");
    assert_eq!(doc["content"][0]["attachment"]["size"], png.len());
    let binary = doc["content"][0]["attachment"]["url"]
        .as_str()
        .unwrap()
        .strip_prefix("Binary/")
        .unwrap()
        .to_string();
    // The bytes are a file named by their hash, not a database blob.
    use sha2::Digest;
    let sha = hex::encode(sha2::Sha256::digest(&png));
    assert_eq!(
        std::fs::read(host.data.path().join("attachments").join(&sha)).unwrap(),
        png
    );
    let r = host
        .client
        .get(format!(
            "{}{}",
            host.base,
            host.at(&format!("/attachments/{binary}"))
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("default-src 'none'")
    );
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline")
    );
    assert_eq!(r.bytes().await.unwrap().to_vec(), png);
    // A provider's HTML document is only ever downloaded, sandboxed.
    use base64::Engine;
    let html = base64::engine::general_purpose::STANDARD.encode("<script>alert(1)</script>");
    let binary_html =
        json!({"resourceType": "Binary", "id": "html1", "contentType": "text/html", "data": html});
    upload(
        &host,
        &host.profile,
        "application/fhir+ndjson",
        format!("{binary_html}\n").into_bytes(),
    )
    .await;
    let r = host
        .client
        .get(format!("{}{}", host.base, host.at("/attachments/html1")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("sandbox")
    );
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(
        r.bytes().await.unwrap().as_ref(),
        b"<script>alert(1)</script>"
    );

    for (ct, body, status, kind) in [
        (
            "text/html",
            b"<script>alert(1)</script>".to_vec(),
            415,
            "unsupported-attachment",
        ),
        (
            "application/pdf",
            b"GIF89a not a pdf".to_vec(),
            415,
            "unsupported-attachment",
        ),
        (
            "image/png",
            vec![0u8; (1 << 20) + 1],
            413,
            "attachment-too-large",
        ),
    ] {
        let (got, problem) = send(
            &host,
            reqwest::Method::POST,
            &host.at("/attachments?title=x"),
            ct,
            body,
        )
        .await;
        assert_eq!(
            (got, problem["type"].as_str()),
            (status, Some(format!("urn:hearth:problem:{kind}").as_str())),
            "{ct}: {problem}"
        );
    }
    let (status, problem) = send(
        &host,
        reqwest::Method::POST,
        &host.at("/attachments?title=%20"),
        "application/pdf",
        b"%PDF-1.4".to_vec(),
    )
    .await;
    assert_eq!((status, problem["path"].as_str()), (422, Some("title")));
    let (status, _) = send(
        &host,
        reqwest::Method::POST,
        &host.at("/attachments"),
        "application/pdf",
        b"%PDF-1.4".to_vec(),
    )
    .await;
    assert_eq!(status, 400, "a title is required");
    // Only the PNG's Binary, its DocumentReference, the Patient and the uploaded Binary are stored.
    assert_eq!(shown(&host, &host.profile).await, 4);

    // Deleting the document takes its Binary along; the file is kept
    // while the deletion can be undone (the purge removes it; unit-tested).
    let (status, removal) = call_delete(
        &host,
        &host.at(&format!(
            "/manual/DocumentReference/{}",
            doc["id"].as_str().unwrap()
        )),
    )
    .await;
    assert_eq!(status, 200, "{removal}");
    let (status, _) = host.get(&host.at(&format!("/attachments/{binary}"))).await;
    assert_eq!(status, 404);
    assert!(host.data.path().join("attachments").join(&sha).exists());
    let (status, _) = host
        .post(
            &host.at(&format!(
                "/removals/{}/undo",
                removal["id"].as_str().unwrap()
            )),
            &json!(null),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = host.get(&host.at(&format!("/attachments/{binary}"))).await;
    assert_eq!(status, 200, "the document's file is served again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_records_typed_in_at_once_share_one_manual_source() {
    let host = host().await;
    let posts = (0..8).map(|i| {
        let client = host.client.clone();
        let url = format!("{}{}", host.base, host.at("/manual/Condition"));
        async move {
            client
                .post(url)
                .json(&json!({"resourceType": "Condition", "code": {"text": format!("Condition {i}")}}))
                .send()
                .await
                .expect("request")
                .status()
                .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(posts).await;
    assert_eq!(statuses, vec![201; 8]);
    let (_, sources) = host.get(&host.at("/sources")).await;
    let manual: Vec<&Value> = sources["sources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "manual")
        .collect();
    assert_eq!(manual.len(), 1, "{sources}");
    assert_eq!(
        manual[0]["resources"], 9,
        "eight conditions and the profile's Patient"
    );
}

/// `n` dated glucose-like results with LOINC `code` (and their Patient), as NDJSON.
fn many_results(n: usize, code: &str) -> Vec<u8> {
    use std::fmt::Write;
    let mut out = String::from("{\"resourceType\":\"Patient\",\"id\":\"p\"}\n");
    let start = chrono::NaiveDate::from_ymd_opt(1950, 1, 1).expect("date");
    for i in 0..n {
        let day = start + chrono::Days::new(i as u64);
        writeln!(
            out,
            r#"{{"resourceType":"Observation","id":"r{code}-{i}","status":"final","code":{{"coding":[{{"system":"http://loinc.org","code":"{code}"}}]}},"subject":{{"reference":"Patient/p"}},"effectiveDateTime":"{day}","valueQuantity":{{"value":{},"unit":"mg/dL","system":"http://unitsofmeasure.org","code":"mg/dL"}}}}"#,
            80 + i % 40
        )
        .expect("write");
    }
    out.into_bytes()
}

/// A request body whose first bytes go at once and the rest only when `release` fires.
fn held_back(body: Vec<u8>) -> (tokio::sync::oneshot::Sender<()>, reqwest::Body) {
    use futures_util::StreamExt;
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    let mut head = body;
    let rest = head.split_off(1024);
    let first = futures_util::stream::once(async move { head });
    let then = futures_util::stream::once(async move {
        let _ = released.await;
        rest
    });
    let stream = first
        .chain(then)
        .map(|chunk| Ok::<_, std::io::Error>(bytes::Bytes::from(chunk)));
    (release, reqwest::Body::wrap_stream(stream))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_uploads_hold_up_no_other_write_and_show_nothing_until_done() {
    // Issue 15, item 4: during a 60,000-resource import, sign-in and profile
    // creation failed with "database is locked" after ten seconds.
    let host = host().await;
    let n: u64 = 40_000;
    let watch = sqlx::SqlitePool::connect_with(
        sqlx::sqlite::SqliteConnectOptions::new()
            .filename(host.data.path().join("hearth.db"))
            .read_only(true),
    )
    .await
    .expect("read-only view of the database");
    let staging = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM sources WHERE status = 'staging'")
            .fetch_one(&watch)
            .await
            .expect("count staged uploads")
    };
    // Two uploads whose bodies are held back take both import slots.
    let send = |code: &str| {
        let (release, body) = held_back(many_results(n as usize, code));
        let request = host
            .client
            .post(format!(
                "{}/api/profiles/{}/imports",
                host.base, host.profile
            ))
            .header("content-type", "application/fhir+ndjson")
            .body(body);
        let task = tokio::spawn(async move {
            let r = request.send().await.expect("upload");
            (
                r.status().as_u16(),
                r.json::<Value>().await.unwrap_or(Value::Null),
            )
        });
        (release, task)
    };
    let (release_first, first) = send("2345-7");
    let (release_second, second) = send("2339-0");
    // A third upload (into another profile) does not queue behind them: it is
    // turned away at once, before its body is read.
    let probe = new_profile(&host, "Probe").await;
    let waited = std::time::Instant::now();
    loop {
        let (status, body) = upload(
            &host,
            &probe,
            "application/fhir+ndjson",
            many_results(1, "1558-6"),
        )
        .await;
        if status == 503 {
            assert_eq!(body["type"], "urn:hearth:problem:imports-busy", "{body}");
            break;
        }
        // The two held uploads had not both arrived yet.
        assert_eq!(status, 201, "{body}");
        assert!(
            waited.elapsed() < std::time::Duration::from_secs(30),
            "two uploads in progress never filled the import slots"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let _ = release_first.send(());
    let _ = release_second.send(());

    // While they are written, everyone else signs in and changes things, and
    // the profile shows none of an upload or all of it, never a part.
    let mut writes_while_staged = 0;
    while !(first.is_finished() && second.is_finished()) {
        let staged_before = staging().await > 0;
        let (status, body) = host.sign_in("owner", common::PASSWORD).await;
        assert_eq!(status, 200, "{body}");
        new_profile(&host, "Visitor").await;
        let shown = shown(&host, &host.profile).await;
        assert!(
            [0, n + 1, 2 * (n + 1)].contains(&shown),
            "{shown} records shown: part of an upload"
        );
        if staged_before && staging().await > 0 {
            writes_while_staged += 1;
        }
    }
    assert!(
        writes_while_staged > 0,
        "no sign-in and profile creation happened while an upload was being written"
    );
    for upload in [first, second] {
        let (status, body) = upload.await.expect("upload task");
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["resources"], n + 1);
    }
    assert_eq!(shown(&host, &host.profile).await, 2 * (n + 1));
    assert_eq!(staging().await, 0);
}

#[tokio::test]
async fn a_file_about_someone_else_is_stored_only_when_confirmed() {
    let host = host().await;
    let (status, maria) = host
        .post(
            "/api/profiles",
            &json!({"name": "Maria", "birth_date": "1985-02-03"}),
        )
        .await;
    assert_eq!(status, 201, "{maria}");
    let maria = maria["id"].as_str().expect("id").to_string();
    let bundle = |given: &str, birth: &str| {
        serde_json::to_vec(&json!({"resourceType": "Bundle", "type": "collection", "entry": [
            {"resource": {"resourceType": "Patient", "id": "pt", "gender": "male", "birthDate": birth,
                          "name": [{"given": [given], "family": "O'Brien"}]}},
            {"resource": {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/pt"},
                          "code": {"text": "Gout"}}}]}))
        .expect("json")
    };
    let post = |query: &'static str, body: Vec<u8>| {
        let url = format!("{}/api/profiles/{maria}/imports{query}", host.base);
        let client = host.client.clone();
        async move {
            let r = client
                .post(url)
                .header("content-type", "application/fhir+json")
                .body(body)
                .send()
                .await
                .expect("upload");
            (
                r.status().as_u16(),
                r.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    // Samuel's file, uploaded to Maria: refused before anything is stored, saying who it is about.
    let (status, problem) = post("", bundle("Samuel", "1970-05-06")).await;
    assert_eq!(status, 409, "{problem}");
    assert_eq!(problem["type"], "urn:hearth:problem:different-person");
    assert_eq!(problem["patient"]["name"], "Samuel O'Brien");
    assert_eq!(problem["patient"]["birth_date"], "1970-05-06");
    assert_eq!(problem["patient"]["gender"], "male");
    assert_eq!(problem["differences"], json!(["name", "birth-date"]));
    assert_eq!(shown(&host, &maria).await, 0);
    let (_, sources) = host.get(&format!("/api/profiles/{maria}/sources")).await;
    assert_eq!(sources["sources"], json!([]), "no source is left behind");
    // Her own file goes straight in.
    let (status, answer) = post("", bundle("Maria", "1985-02-03")).await;
    assert_eq!(status, 201, "{answer}");
    // And someone else's, once the person says so.
    let (status, answer) = post("?confirm_person=true", bundle("Samuel", "1970-05-06")).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(shown(&host, &maria).await, 4);
}

#[tokio::test]
async fn removing_an_upload_takes_its_records_and_shows_what_another_source_also_sent() {
    let host = host().await;
    let profile = new_profile(&host, "Removal").await;
    let file = |ids: &[&str]| {
        let entries: Vec<Value> = ids
            .iter()
            .map(|id| json!({"resource": {"resourceType": "Immunization", "id": id, "status": "completed",
                "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "140"}], "text": format!("Flu {id}")},
                "patient": {"reference": "Patient/p"}, "occurrenceDateTime": format!("2024-0{}-01", id.len())}}))
            .collect();
        serde_json::to_vec(
            &json!({"resourceType": "Bundle", "type": "collection", "entry": entries}),
        )
        .expect("json")
    };
    // The first upload holds a, bb; the second the same two facts (other ids) and one more.
    let (status, first) =
        upload(&host, &profile, "application/fhir+json", file(&["a", "bb"])).await;
    assert_eq!(status, 201, "{first}");
    let (status, second) = upload(
        &host,
        &profile,
        "application/fhir+json",
        file(&["a", "bb", "ccc"]),
    )
    .await;
    assert_eq!(status, 201, "{second}");
    assert_eq!(
        shown(&host, &profile).await,
        3,
        "the repeated facts are shown once"
    );
    let first = first["source"]["id"].as_str().expect("source");
    let r = host
        .client
        .delete(format!(
            "{}/api/profiles/{profile}/sources/{first}",
            host.base
        ))
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status().as_u16(), 200);
    let removed: Value = r.json().await.expect("json");
    assert_eq!(removed["records"], 2);
    // The second upload's copies of the same facts now show.
    assert_eq!(shown(&host, &profile).await, 3);
    let (status, _) = host
        .get(&format!("/api/profiles/{profile}/sources/{first}"))
        .await;
    assert_eq!(status, 404);
    let (_, audit) = host.get("/api/audit").await;
    let entry = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["event"] == "source-removed")
        .expect("the removal is audited");
    assert_eq!(entry["detail"]["records"], 2);
    assert_eq!(entry["profile_id"], profile.as_str());
}

#[tokio::test]
async fn an_administrator_downloads_a_backup_that_restores() {
    let host = host().await;
    let (status, _) = upload(
        &host,
        &host.profile,
        "application/fhir+ndjson",
        many_results(25, "2345-7"),
    )
    .await;
    assert_eq!(status, 201);
    let r = host
        .client
        .get(format!("{}/api/admin/backup", host.base))
        .send()
        .await
        .expect("backup");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "application/zip");
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .expect("name")
        .to_string();
    assert!(
        disposition.starts_with("attachment; filename=\"hearth-backup-"),
        "{disposition}"
    );
    let zip = r.bytes().await.expect("body");
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("backup.zip");
    std::fs::write(&file, &zip).expect("write");
    let restored = dir.path().join("restored");
    let summary = hearth_host::backup::restore(&restored, &file, false)
        .await
        .expect("the downloaded backup restores");
    assert!(
        summary.resources >= 25,
        "{} resources restored",
        summary.resources
    );
    // Nothing is left in the data folder's tmp area.
    let leftovers: Vec<_> = std::fs::read_dir(host.data.path().join("tmp"))
        .expect("tmp")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("backup-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let (_, audit) = host.get("/api/audit").await;
    assert!(
        audit["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .any(|e| e["event"] == "backup-downloaded"),
        "the download is audited"
    );
}
