//! Curation through the API: hiding a record, choosing which copy is shown,
//! and undoing what loses data (a removed upload, a deleted typed-in record,
//! a deleted person), each audited.

mod common;

use common::{Host, call};
use hearth_host::config::PluginLimits;
use reqwest::Method;
use serde_json::{Value, json};

async fn host() -> Host {
    Host::start("plugins", PluginLimits::default()).await
}

async fn new_profile(host: &Host, name: &str) -> String {
    let (status, p) = host.post("/api/profiles", &json!({"name": name})).await;
    assert_eq!(status, 201, "{p}");
    p["id"].as_str().expect("id").to_string()
}

/// Upload an Immunization per id (the same ids in two files are the same facts).
async fn upload(host: &Host, profile: &str, ids: &[&str], lot: &str) -> String {
    let entries: Vec<Value> = ids
        .iter()
        .map(|id| json!({"resource": {"resourceType": "Immunization", "id": id, "status": "completed",
            "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "140"}], "text": format!("Flu {id}")},
            "lotNumber": lot,
            "patient": {"reference": "Patient/p"}, "occurrenceDateTime": format!("2024-0{}-01", id.len())}}))
        .collect();
    let answer = host.upload_entries(profile, entries).await;
    answer["source"]["id"].as_str().expect("source").to_string()
}

async fn send(host: &Host, method: Method, path: &str, body: Option<&Value>) -> (u16, Value) {
    call(&host.client, &host.base, method, path, body).await
}

/// The immunizations the profile shows: id → lot number (which says whose copy it is).
async fn shown(host: &Host, profile: &str) -> Vec<(String, String)> {
    let (status, page) = host
        .get(&format!(
            "/api/profiles/{profile}/fhir/Immunization?_count=100"
        ))
        .await;
    assert_eq!(status, 200, "{page}");
    let mut out: Vec<(String, String)> = page["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["resource"]["id"].as_str().unwrap_or_default().to_string(),
                e["resource"]["lotNumber"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// The body of `GET url`, as bytes.
async fn bytes_of(host: &Host, url: &str) -> bytes::Bytes {
    let r = host.client.get(url).send().await.expect("get");
    r.bytes().await.expect("bytes")
}

async fn audited(host: &Host, event: &str) -> Vec<Value> {
    let (_, audit) = host.get("/api/audit?limit=1000").await;
    audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["event"] == event)
        .cloned()
        .collect()
}

#[tokio::test]
async fn hidden_records_chosen_copies_and_removed_uploads_all_come_back() {
    let host = host().await;
    let p = new_profile(&host, "Curation").await;
    let first = upload(&host, &p, &["a", "bb"], "first").await;
    let second = upload(&host, &p, &["a", "bb", "ccc"], "second").await;
    assert_eq!(
        shown(&host, &p).await,
        pairs(&[("a", "first"), ("bb", "first"), ("ccc", "second")]),
        "the first copy of a fact is shown"
    );

    // Choose the second upload's copy of `a`.
    let (status, answer) = send(
        &host,
        Method::POST,
        &format!("/api/profiles/{p}/records/Immunization/a/shown-copy"),
        Some(&json!({"source_id": second, "id": "a"})),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer, json!({"resource_type": "Immunization", "id": "a"}));
    assert_eq!(
        shown(&host, &p).await,
        pairs(&[("a", "second"), ("bb", "first"), ("ccc", "second")])
    );
    let (_, copies) = host
        .get(&format!(
            "/api/profiles/{p}/records/Immunization/a/provenance"
        ))
        .await;
    assert_eq!(copies["copies"][0]["source_id"], second.as_str());
    assert_eq!(copies["copies"][1]["source_id"], first.as_str());
    // A copy that does not exist is a 404, and nothing changes.
    let (status, problem) = send(
        &host,
        Method::POST,
        &format!("/api/profiles/{p}/records/Immunization/a/shown-copy"),
        Some(&json!({"source_id": second, "id": "nope"})),
    )
    .await;
    assert_eq!(status, 404, "{problem}");
    assert_eq!(audited(&host, "copy-chosen").await.len(), 1);

    // Hide `bb`: both copies leave every listing, and the export.
    let (status, hidden) = send(
        &host,
        Method::POST,
        &format!("/api/profiles/{p}/records/Immunization/bb/hide"),
        None,
    )
    .await;
    assert_eq!(status, 201, "{hidden}");
    assert_eq!(hidden["kind"], "hidden-record");
    assert_eq!(hidden["label"], "Flu bb");
    assert_eq!(hidden["purge_after"], Value::Null, "kept until shown again");
    assert_eq!(
        shown(&host, &p).await,
        pairs(&[("a", "second"), ("ccc", "second")])
    );
    let (status, _) = host
        .get(&format!("/api/profiles/{p}/records/Immunization/bb"))
        .await;
    assert_eq!(status, 404);
    let (_, timeline) = host.get(&format!("/api/profiles/{p}/timeline")).await;
    assert!(
        !timeline.to_string().contains("Flu bb"),
        "the timeline leaves it out: {timeline}"
    );
    let export = bytes_of(&host, &format!("{}/api/profiles/{p}/export", host.base)).await;
    let export = String::from_utf8_lossy(&export);
    assert!(!export.contains("Flu bb"), "the export leaves it out");

    // Remove the first upload: the second's copies stay, `bb` stays hidden.
    let (status, removed) = send(
        &host,
        Method::DELETE,
        &format!("/api/profiles/{p}/sources/{first}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{removed}");
    assert_eq!(removed["kind"], "removed-source");
    assert_eq!(removed["records"], 2);
    assert!(
        removed["purge_after"].as_str().expect("purge date")
            > removed["removed_at"].as_str().expect("date")
    );
    assert_eq!(
        shown(&host, &p).await,
        pairs(&[("a", "second"), ("ccc", "second")])
    );
    let (status, _) = host
        .get(&format!("/api/profiles/{p}/sources/{first}"))
        .await;
    assert_eq!(status, 404, "a removed source is not listed");
    let (_, sources) = host.get(&format!("/api/profiles/{p}/sources")).await;
    assert_eq!(sources["sources"].as_array().expect("sources").len(), 1);

    let (status, list) = host.get(&format!("/api/profiles/{p}/removals")).await;
    assert_eq!(status, 200, "{list}");
    let kinds: Vec<&str> = list["removals"]
        .as_array()
        .expect("removals")
        .iter()
        .map(|r| r["kind"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(kinds, ["removed-source", "hidden-record"], "newest first");

    // Undo the removal: the upload is back, the chosen copy still shown.
    let undo = |id: &str| format!("/api/profiles/{p}/removals/{id}/undo");
    let (status, back) = send(
        &host,
        Method::POST,
        &undo(removed["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(status, 200, "{back}");
    let (status, _) = host
        .get(&format!("/api/profiles/{p}/sources/{first}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        shown(&host, &p).await,
        pairs(&[("a", "second"), ("ccc", "second")]),
        "the choice and the hiding hold through the undo"
    );
    // An undo happens once.
    let (status, _) = send(
        &host,
        Method::POST,
        &undo(removed["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(status, 404);

    // Show `bb` again.
    let (status, _) = send(
        &host,
        Method::POST,
        &undo(hidden["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        shown(&host, &p).await,
        pairs(&[("a", "second"), ("bb", "first"), ("ccc", "second")])
    );
    let (_, list) = host.get(&format!("/api/profiles/{p}/removals")).await;
    assert_eq!(list["removals"], json!([]));
    for event in ["record-hidden", "source-removed", "removal-undone"] {
        let entries = audited(&host, event).await;
        assert!(!entries.is_empty(), "{event} is audited");
        assert!(entries.iter().all(|e| e["profile_id"] == p.as_str()));
    }
}

#[tokio::test]
async fn a_deleted_typed_in_record_comes_back_byte_for_byte() {
    let host = host().await;
    let p = host.profile.clone();
    let (status, made) = host
        .post(
            &host.at("/manual/Condition"),
            &json!({"resourceType": "Condition", "code": {"text": "Hay fever"}, "onsetDateTime": "2020-04-01"}),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    let id = made["id"].as_str().expect("id");
    let record = format!("{}/api/profiles/{p}/records/Condition/{id}", host.base);
    let before = bytes_of(&host, &record).await;

    // An edit can be undone: the header names the removal that puts it back.
    let r = host
        .client
        .put(format!(
            "{}/api/profiles/{p}/manual/Condition/{id}",
            host.base
        ))
        .json(&json!({"resourceType": "Condition", "code": {"text": "Asthma"}}))
        .send()
        .await
        .expect("put");
    assert_eq!(r.status().as_u16(), 200);
    let undo_edit = r
        .headers()
        .get("x-hearth-undo")
        .and_then(|v| v.to_str().ok())
        .expect("an undo for the edit")
        .to_string();
    let (_, list) = host.get(&format!("/api/profiles/{p}/removals")).await;
    assert_eq!(list["removals"][0]["kind"], "edited-record");
    assert_eq!(
        list["removals"][0]["label"], "Hay fever",
        "named by what it said before"
    );
    let (status, _) = send(
        &host,
        Method::POST,
        &format!("/api/profiles/{p}/removals/{undo_edit}/undo"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let restored = bytes_of(&host, &record).await;
    assert_eq!(before, restored, "the earlier version is back exactly");
    assert_eq!(audited(&host, "record-edited").await.len(), 1);

    let (status, removal) = send(
        &host,
        Method::DELETE,
        &format!("/api/profiles/{p}/manual/Condition/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{removal}");
    assert_eq!(removal["kind"], "deleted-record");
    assert_eq!(removal["label"], "Hay fever");
    assert_eq!(removal["target"], format!("Condition/{id}"));
    let r = host.client.get(&record).send().await.expect("get");
    assert_eq!(r.status().as_u16(), 404);
    // A deleted record cannot be edited or deleted again.
    let (status, _) = send(
        &host,
        Method::PUT,
        &format!("/api/profiles/{p}/manual/Condition/{id}"),
        Some(&json!({"resourceType": "Condition", "code": {"text": "Asthma"}})),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = send(
        &host,
        Method::DELETE,
        &format!("/api/profiles/{p}/manual/Condition/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 404);

    let (status, _) = send(
        &host,
        Method::POST,
        &format!(
            "/api/profiles/{p}/removals/{}/undo",
            removal["id"].as_str().unwrap()
        ),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let after = bytes_of(&host, &record).await;
    assert_eq!(before, after, "the record is back exactly as it was");
    assert_eq!(audited(&host, "record-deleted").await.len(), 1);
}

#[tokio::test]
async fn a_deleted_person_comes_back_only_through_an_owner() {
    let host = host().await;
    let p = new_profile(&host, "Grandpa Joe").await;
    upload(&host, &p, &["a", "bb"], "lot").await;
    let (vera_id, vera) = host.member("vera").await;
    let (status, g) = host
        .post(
            &format!("/api/profiles/{p}/grants"),
            &json!({"username": "vera", "role": "editor"}),
        )
        .await;
    assert_eq!(status, 201, "{g}");
    let (status, _) = host
        .post(
            &format!("/api/profiles/{p}/invitations"),
            &json!({"role": "viewer"}),
        )
        .await;
    assert_eq!(status, 201);

    // An editor cannot delete the person.
    let (status, _) = call(
        &vera,
        &host.base,
        Method::DELETE,
        &format!("/api/profiles/{p}"),
        None,
    )
    .await;
    assert_eq!(status, 403);
    let (status, removal) = send(&host, Method::DELETE, &format!("/api/profiles/{p}"), None).await;
    assert_eq!(status, 200, "{removal}");
    assert_eq!(removal["kind"], "deleted-person");
    assert_eq!(removal["label"], "Grandpa Joe");
    assert_eq!(removal["records"], 2);

    // Nobody can open it now; it is listed for its owner only.
    for client in [&host.client, &vera] {
        let (status, _) = call(
            client,
            &host.base,
            Method::GET,
            &format!("/api/profiles/{p}"),
            None,
        )
        .await;
        assert_eq!(status, 404);
        let (_, profiles) = call(client, &host.base, Method::GET, "/api/profiles", None).await;
        assert!(!profiles.to_string().contains(&p));
    }
    let (_, mine) = host.get("/api/removals").await;
    assert_eq!(mine["removals"][0]["id"], removal["id"]);
    let (_, hers) = call(&vera, &host.base, Method::GET, "/api/removals", None).await;
    assert_eq!(hers["removals"], json!([]));
    let undo = format!("/api/removals/{}/undo", removal["id"].as_str().unwrap());
    let (status, problem) = call(&vera, &host.base, Method::POST, &undo, None).await;
    assert_eq!(status, 403, "{problem}");
    let (_, stranger) = host.member("sam").await;
    let (status, _) = call(&stranger, &host.base, Method::POST, &undo, None).await;
    assert_eq!(status, 404, "a stranger learns nothing");

    let (status, back) = send(&host, Method::POST, &undo, None).await;
    assert_eq!(status, 200, "{back}");
    let (status, _) = call(
        &vera,
        &host.base,
        Method::GET,
        &format!("/api/profiles/{p}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "everyone's access is back");
    let (_, grants) = host.get(&format!("/api/profiles/{p}/grants")).await;
    assert!(grants.to_string().contains(&vera_id));
    assert_eq!(shown(&host, &p).await.len(), 2, "with every record");
    let (_, invitations) = host.get(&format!("/api/profiles/{p}/invitations")).await;
    assert_eq!(
        invitations["invitations"],
        json!([]),
        "open links were withdrawn with the person"
    );
    assert_eq!(audited(&host, "person-restored").await.len(), 1);
}
