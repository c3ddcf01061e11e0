//! Providers beyond the catalog, end to end over real HTTP: a SMART server
//! given only by its base URL (the sandbox on its own port), discovered,
//! registered with (RFC 7591) or connected under the administrator's client
//! id, signed in through, synced and refreshed; private addresses refused by
//! default; an open FHIR server only when the administrator allows it.

mod common;

use common::Host;
use hearth_host::config::{ClientConfig, PluginLimits};
use hearth_sandbox::{Faults, RunningSandbox, SandboxData, SandboxOptions};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

fn sandbox_options(faults: &Arc<Faults>, registration: bool) -> SandboxOptions {
    let mut options = SandboxOptions::with_random_token();
    options.faults = faults.clone();
    options.dynamic_registration = registration;
    options
}

/// A host that may reach loopback providers (the sandbox runs on this machine).
async fn private_ok_host(adjust: impl FnOnce(&mut hearth_host::config::Config)) -> Host {
    Host::start_with("plugins", PluginLimits::default(), |c| {
        c.allow_private_provider_addresses = true;
        adjust(c);
    })
    .await
}

async fn job_done(host: &Host, profile: &str, job: &str) -> Value {
    for _ in 0..600 {
        let (_, j) = host
            .get(&format!("/api/profiles/{profile}/jobs/{job}"))
            .await;
        if matches!(
            j["status"].as_str(),
            Some("succeeded" | "failed" | "cancelled")
        ) {
            return j;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("job {job} did not finish");
}

/// Connect `base` by URL into `profile`, signing in as `patient` on the
/// provider's own sign-in and consent pages; the callback's body and the client id used.
async fn connect_by_url(host: &Host, profile: &str, base: &str, patient: &str) -> (Value, String) {
    let (status, started) = host
        .post(
            &format!("/api/profiles/{profile}/connect"),
            &json!({"fhir_base_url": base, "name": "My clinic"}),
        )
        .await;
    assert_eq!(status, 201, "{started}");
    let authorize = started["authorize_url"].as_str().expect("authorize_url");
    let query: std::collections::HashMap<String, String> = url::Url::parse(authorize)
        .expect("url")
        .query_pairs()
        .into_owned()
        .collect();
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(query["aud"], base);
    let location = common::approve_at_sandbox(authorize, patient, "sandbox").await;
    let (status, mut connected) = common::callback(&location).await;
    assert_eq!(status, 303, "{connected}");
    // The sandbox's patient is not the test profile's person: say it is.
    if connected["job"].is_null() {
        connected["job"] =
            common::confirm_person(&host.client, &host.base, profile, &connected).await;
    }
    (connected, query["client_id"].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_smart_provider_given_by_url_registers_connects_syncs_and_refreshes() {
    let data = SandboxData::generated(21, 1, 120);
    let faults = Arc::new(Faults::default());
    let options = sandbox_options(&faults, true);
    let token = options.token.clone();
    let sb: RunningSandbox = common::sandbox(data, options).await;
    let base = sb.base_url.clone();
    let patient = SandboxData::generated(21, 1, 120).patients()[0].0.clone();
    let expected = common::server_total(&sb, &token, &patient).await;

    // By default an address on this machine is refused, in words, before any request.
    let strict = Host::start_with("plugins", PluginLimits::default(), |c| {
        c.allow_private_provider_addresses = false;
    })
    .await;
    let (status, problem) = strict
        .post(&strict.at("/providers/discover"), &json!({"url": base}))
        .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(
        problem["type"],
        "urn:hearth:problem:provider-address-refused"
    );
    let detail = problem["detail"].as_str().expect("detail");
    assert!(detail.contains("loopback"), "{detail}");
    assert!(
        detail.contains("allow_private_provider_addresses"),
        "{detail}"
    );
    let (status, _) = strict
        .post(&strict.at("/connect"), &json!({"fhir_base_url": base}))
        .await;
    assert_eq!(status, 422);
    let (status, problem) = strict
        .post(
            &strict.at("/providers/discover"),
            &json!({"url": "file:///etc/passwd"}),
        )
        .await;
    assert_eq!(status, 422, "{problem}");

    let host = private_ok_host(|_| {}).await;
    // What Hearth found there.
    let (status, found) = host
        .post(
            &host.at("/providers/discover"),
            &json!({"url": format!("{base}/")}),
        )
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["fhir_base_url"], base.as_str());
    assert_eq!(found["name"], "Hearth sandbox");
    assert_eq!(found["fhir_version"], "4.0.1");
    assert_eq!(found["connector"], "fhir-r4");
    assert_eq!(found["connect"], "smart-register", "{found}");
    assert!(
        found["registration_endpoint"]
            .as_str()
            .is_some_and(|r| r.ends_with("/oauth/register")),
        "{found}"
    );
    assert!(
        found["scopes_supported"]
            .as_array()
            .expect("scopes")
            .iter()
            .any(|s| s == "offline_access")
    );
    // Only editors may look (a viewer of the profile may not).
    let (_, viewer) = host.member("vera").await;
    let (status, _) = host
        .post(
            &format!("{}/grants", host.at("")),
            &json!({"username": "vera", "role": "viewer"}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = common::call(
        &viewer,
        &host.base,
        reqwest::Method::POST,
        &host.at("/providers/discover"),
        Some(&json!({"url": base})),
    )
    .await;
    assert_eq!(status, 403);

    // Connect by URL: Hearth registers itself, then the person signs in there.
    let (connected, client_id) = connect_by_url(&host, &host.profile, &base, &patient).await;
    assert!(
        client_id.starts_with("dyn-"),
        "a registered client: {client_id}"
    );
    let source = connected["source_id"].as_str().expect("source").to_string();
    let job = connected["job"]["id"].as_str().expect("job").to_string();
    let done = job_done(&host, &host.profile, &job).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let (_, s) = host.get(&host.at(&format!("/sources/{source}"))).await;
    assert_eq!(s["name"], "My clinic");
    assert_eq!(s["platform"], "custom");
    assert_eq!(s["resources"].as_u64(), Some(expected), "{s}");

    // The access token dies: the next sync refreshes it under the registered client.
    faults.expire_access_tokens();
    let (status, synced) = host
        .post(&host.at(&format!("/sources/{source}/sync")), &Value::Null)
        .await;
    assert_eq!(status, 200, "{synced}");
    let (_, refreshes) = faults.token_requests();
    assert!(refreshes >= 1, "refreshed {refreshes} times");

    // Another profile connects the same provider under the same registration.
    let (status, other) = host.post("/api/profiles", &json!({"name": "Kid"})).await;
    assert_eq!(status, 201, "{other}");
    let other = other["id"].as_str().expect("id").to_string();
    let (_, again) = connect_by_url(&host, &other, &base, &patient).await;
    assert_eq!(again, client_id, "one registration per server");

    // The same source reconnects through the same provider.
    let (status, started) = host
        .post(
            &host.at(&format!("/sources/{source}/reconnect")),
            &json!({}),
        )
        .await;
    assert_eq!(status, 201, "{started}");
    assert!(
        started["authorize_url"]
            .as_str()
            .expect("url")
            .contains(&format!("client_id={client_id}")),
        "{started}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_registration_the_administrators_client_id_is_used_or_asked_for() {
    let faults = Arc::new(Faults::default());
    let sb = common::sandbox(
        SandboxData::generated(22, 1, 30),
        sandbox_options(&faults, false),
    )
    .await;
    let base = sb.base_url.clone();
    let patient = SandboxData::generated(22, 1, 30).patients()[0].0.clone();

    // No registration offered, no client id for custom providers: say what to configure.
    let host = private_ok_host(|_| {}).await;
    let (_, found) = host
        .post(&host.at("/providers/discover"), &json!({"url": base}))
        .await;
    assert_eq!(found["connect"], "none", "{found}");
    assert!(
        found["problem"]
            .as_str()
            .expect("problem")
            .contains("[clients.custom]"),
        "{found}"
    );
    let (status, problem) = host
        .post(&host.at("/connect"), &json!({"fhir_base_url": base}))
        .await;
    assert_eq!(status, 409, "{problem}");
    assert_eq!(
        problem["type"],
        "urn:hearth:problem:provider-not-configured"
    );

    // The administrator set one client id for custom providers: it is used.
    let host = private_ok_host(|c| {
        c.clients.insert(
            "custom".into(),
            ClientConfig {
                client_id: "hearth".into(),
                client_secret: None,
                private_key_file: None,
                key_id: None,
            },
        );
    })
    .await;
    let (_, found) = host
        .post(&host.at("/providers/discover"), &json!({"url": base}))
        .await;
    assert_eq!(found["connect"], "smart", "{found}");
    let (connected, client_id) = connect_by_url(&host, &host.profile, &base, &patient).await;
    assert_eq!(client_id, "hearth");
    let job = connected["job"]["id"].as_str().expect("job").to_string();
    assert_eq!(
        job_done(&host, &host.profile, &job).await["status"],
        "succeeded"
    );
}

/// A FHIR server that asks for no sign-in: one patient with one Observation.
/// Counts requests, and remembers whether any carried an Authorization header.
async fn open_server() -> (String, Arc<AtomicBool>, Arc<AtomicU64>) {
    use axum::extract::{Path, Query};
    use axum::routing::get;
    let authorized = Arc::new(AtomicBool::new(false));
    let requests = Arc::new(AtomicU64::new(0));
    let (seen, count) = (authorized.clone(), requests.clone());
    let app = axum::Router::new()
        .route(
            "/fhir/metadata",
            get(|| async {
                axum::Json(json!({"resourceType": "CapabilityStatement", "status": "active",
                    "kind": "instance", "fhirVersion": "4.0.1", "format": ["json"],
                    "software": {"name": "Open Test Server"},
                    "rest": [{"mode": "server", "resource": [
                        {"type": "Patient", "searchParam": [{"name": "_id", "type": "token"}]},
                        {"type": "Observation", "searchParam": [{"name": "patient", "type": "reference"}]}]}]}))
            }),
        )
        .route(
            "/fhir/{ty}",
            get(
                move |Path(ty): Path<String>,
                      Query(_q): Query<std::collections::HashMap<String, String>>,
                      headers: axum::http::HeaderMap| {
                    let (seen, count) = (seen.clone(), count.clone());
                    async move {
                        count.fetch_add(1, Ordering::SeqCst);
                        if headers.contains_key("authorization") {
                            seen.store(true, Ordering::SeqCst);
                        }
                        let resource = match ty.as_str() {
                            "Patient" => json!({"resourceType": "Patient", "id": "o1"}),
                            _ => json!({"resourceType": "Observation", "id": "ob1", "status": "final",
                                "code": {"text": "Heart rate"}, "subject": {"reference": "Patient/o1"},
                                "effectiveDateTime": "2024-02-03",
                                "valueQuantity": {"value": 61, "unit": "/min"}}),
                        };
                        axum::Json(json!({"resourceType": "Bundle", "type": "searchset", "total": 1,
                            "entry": [{"resource": resource}]}))
                    }
                },
            ),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/fhir"), authorized, requests)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_fhir_server_only_when_the_administrator_allows_it() {
    let (base, authorized, requests) = open_server().await;

    let host = private_ok_host(|_| {}).await;
    let (status, found) = host
        .post(&host.at("/providers/discover"), &json!({"url": base}))
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["name"], "Open Test Server");
    assert_eq!(found["connect"], "none");
    assert!(
        found["problem"]
            .as_str()
            .expect("problem")
            .contains("allow_open_servers"),
        "{found}"
    );
    let (status, problem) = host
        .post(
            &host.at("/sources"),
            &json!({"fhir_base_url": base, "patient_id": "o1"}),
        )
        .await;
    assert_eq!(status, 403, "{problem}");
    assert_eq!(problem["type"], "urn:hearth:problem:open-servers-off");
    let (status, _) = host
        .post(&host.at("/connect"), &json!({"fhir_base_url": base}))
        .await;
    assert_eq!(status, 403);

    let open = private_ok_host(|c| c.allow_open_servers = true).await;
    let (_, found) = open
        .post(&open.at("/providers/discover"), &json!({"url": base}))
        .await;
    assert_eq!(found["connect"], "open", "{found}");
    let (status, source) = open
        .post(
            &open.at("/sources"),
            &json!({"fhir_base_url": base, "patient_id": "o1"}),
        )
        .await;
    assert_eq!(status, 201, "{source}");
    let id = source["id"].as_str().expect("id");
    let (status, synced) = open
        .post(&open.at(&format!("/sources/{id}/sync")), &Value::Null)
        .await;
    assert_eq!(status, 200, "{synced}");
    assert_eq!(synced["emitted"].as_u64(), Some(2), "{synced}");
    assert!(requests.load(Ordering::SeqCst) >= 2);
    assert!(
        !authorized.load(Ordering::SeqCst),
        "no Authorization header goes to an open server"
    );
}
