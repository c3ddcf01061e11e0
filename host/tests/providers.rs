//! Connecting real providers, end to end over real HTTP: the catalog, SMART
//! App Launch against the sandbox's authorization server, sync jobs with
//! token refresh, rate limits, revoked grants, and a host killed mid-sync.

mod common;

use common::{Host, no_redirects};
use hearth_host::config::PluginLimits;
use hearth_sandbox::{Faults, RunningSandbox, SandboxData, SandboxOptions};
use serde_json::{Value, json};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Poll a job until it succeeds or fails.
async fn finished_job(
    host_base: &str,
    client: &reqwest::Client,
    profile: &str,
    job: &str,
) -> Value {
    let started = Instant::now();
    loop {
        let j: Value = client
            .get(format!("{host_base}/api/profiles/{profile}/jobs/{job}"))
            .send()
            .await
            .expect("job")
            .json()
            .await
            .expect("json");
        if matches!(
            j["status"].as_str(),
            Some("succeeded" | "failed" | "cancelled")
        ) {
            return j;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "job did not finish: {j}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn source_of(host: &Host, source: &str) -> Value {
    let (status, s) = host.get(&host.at(&format!("/sources/{source}"))).await;
    assert_eq!(status, 200, "{s}");
    s
}

fn sandbox_options(faults: &Arc<Faults>) -> SandboxOptions {
    let mut options = SandboxOptions::with_random_token();
    options.faults = faults.clone();
    // Small pages: a sync takes many requests, so faults can land in the middle of one.
    options.max_page = 40;
    options.default_page = 40;
    options
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_sync_refresh_rate_limits_and_revoked_grants() {
    let data = SandboxData::generated(11, 2, 300);
    let patients = data.patients();
    let (patient, _) = patients[1].clone();
    let faults = Arc::new(Faults::default());
    let options = sandbox_options(&faults);
    let static_token = options.token.clone();
    let sandbox: RunningSandbox = common::sandbox(data, options).await;
    let root = common::sandbox_root(&sandbox);
    let host = Host::start_with("plugins", PluginLimits::default(), |c| {
        c.sandbox_url = Some(url::Url::parse(&root).expect("url"));
        c.sync_retry = Duration::from_secs(1);
    })
    .await;
    let expected = common::server_total(&sandbox, &static_token, &patient).await;

    // A search finds the sandbox, with an endpoint to connect.
    let (status, found) = host.get("/api/catalog?q=sandbox").await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["results"][0]["name"], "Hearth Sandbox");
    let endpoint = &found["results"][0]["portals"][0]["endpoints"][0];
    assert_eq!(endpoint["url"], format!("{root}/fhir"));
    let endpoint_id = endpoint["id"].as_str().expect("id");

    // Listen to the profile's events from the start.
    let events = host
        .client
        .get(format!("{}{}", host.base, host.at("/events")))
        .send()
        .await
        .expect("events");
    assert_eq!(events.status().as_u16(), 200);
    let collected = tokio::spawn(async move {
        use futures_util::StreamExt;
        let mut text = String::new();
        let mut stream = events.bytes_stream();
        while let Ok(Some(Ok(chunk))) =
            tokio::time::timeout(Duration::from_secs(30), stream.next()).await
        {
            text.push_str(&String::from_utf8_lossy(&chunk));
            if text.contains("\"status\":\"succeeded\"") {
                break;
            }
        }
        text
    });

    // Tokens expire after a few requests, so the first sync must refresh mid-way.
    faults.expire_after_requests(4);
    let authorize =
        common::start_connect(&host.client, &host.base, &host.profile, endpoint_id).await;
    let q: std::collections::HashMap<String, String> = url::Url::parse(&authorize)
        .expect("url")
        .query_pairs()
        .into_owned()
        .collect();
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["aud"], format!("{root}/fhir"));
    assert!(q["scope"].split(' ').any(|s| s == "offline_access"));
    let callback = common::approve_at_sandbox(&authorize, &patient, "sandbox").await;
    assert!(callback.contains("/api/smart/callback?"), "{callback}");
    let (status, connected) = common::callback(&callback).await;
    assert_eq!(status, 303, "{connected}");
    // The state is single-use.
    let (again, problem) = common::callback(&callback).await;
    assert_eq!(again, 400, "{problem}");
    assert_eq!(problem["type"], "urn:hearth:problem:unknown-state");

    let source = connected["source_id"].as_str().expect("source").to_string();
    // The portal account is the sandbox patient's, not the profile owner's:
    // nothing syncs until a person says it is theirs.
    assert!(connected["job"].is_null(), "{connected}");
    assert_eq!(connected["differences"], json!(["name"]), "{connected}");
    let portal_name = connected["patient"]["name"]
        .as_str()
        .expect("the portal's patient is named");
    let s = source_of(&host, &source).await;
    assert_eq!(s["status"], "unconfirmed");
    assert_eq!(
        s["patient"]["name"], portal_name,
        "the source page names the portal's patient"
    );
    assert!(s["next_sync_at"].is_null(), "not scheduled");
    let (status, refused) = host
        .post(&host.at(&format!("/sources/{source}/sync")), &json!({}))
        .await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["type"], "urn:hearth:problem:unconfirmed-person");
    let job = common::confirm_person(&host.client, &host.base, &host.profile, &connected).await;
    let job = job["id"].as_str().expect("job").to_string();
    let done = finished_job(&host.base, &host.client, &host.profile, &job).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["progress"]["total"].as_u64(), Some(expected), "{done}");
    let (_, refreshes) = faults.token_requests();
    assert!(
        refreshes >= 1,
        "the expired token was refreshed ({refreshes} refreshes)"
    );
    let s = source_of(&host, &source).await;
    assert_eq!(s["status"], "ok");
    assert_eq!(s["patient_id"], patient.as_str());
    assert_eq!(
        s["resources"].as_u64(),
        Some(expected),
        "nothing lost, nothing twice"
    );
    assert!(s["scope"].as_str().expect("scope").contains("patient/"));

    let text = collected.await.expect("events task");
    assert!(text.contains("event: progress"), "{text}");
    assert!(text.contains("\"fetched\":{"), "per-type counts: {text}");
    assert!(text.contains("event: job"), "{text}");
    faults.expire_after_requests(u64::MAX);

    // A 429 is waited out: the job is queued again after Retry-After and finishes.
    faults.rate_limit_next(1, 1);
    let (status, queued) = host
        .post(
            &host.at(&format!("/sources/{source}/sync?wait=false")),
            &Value::Null,
        )
        .await;
    assert_eq!(status, 202, "{queued}");
    let job = queued["id"].as_str().expect("job");
    let started = Instant::now();
    let done = finished_job(&host.base, &host.client, &host.profile, job).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["attempts"], 2, "{done}");
    // The second sync is incremental: only what changed since the first began.
    assert_eq!(done["progress"]["strategy"], "everything-since", "{done}");
    assert_eq!(done["progress"]["emitted"], 0, "{done}");
    assert_eq!(faults.rate_limited(), 1);
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "the retry waited for Retry-After"
    );
    assert_eq!(
        source_of(&host, &source).await["resources"].as_u64(),
        Some(expected)
    );

    // Jobs are listed with their detail.
    let (_, jobs) = host.get(&host.at("/jobs")).await;
    assert!(jobs["jobs"].as_array().expect("jobs").len() >= 2);

    // A revoked grant turns the source into "needs reconnect", in words.
    faults.revoke_all();
    faults.expire_access_tokens();
    let (status, problem) = host
        .post(&host.at(&format!("/sources/{source}/sync")), &Value::Null)
        .await;
    assert_eq!(status, 409, "{problem}");
    assert_eq!(problem["type"], "urn:hearth:problem:needs-reconnect");
    let s = source_of(&host, &source).await;
    assert_eq!(s["status"], "needs-reconnect");
    assert!(
        s["last_error"]
            .as_str()
            .expect("error")
            .contains("Reconnect needed"),
        "{s}"
    );
    // The scheduler does not queue it, and a sync request says why.
    let (status, problem) = host
        .post(
            &host.at(&format!("/sources/{source}/sync?wait=false")),
            &Value::Null,
        )
        .await;
    assert_eq!(status, 409, "{problem}");

    // Reconnecting signs in again and the source syncs as before.
    let (status, started) = host
        .post(
            &host.at(&format!("/sources/{source}/reconnect")),
            &Value::Null,
        )
        .await;
    assert_eq!(status, 201, "{started}");
    let authorize = started["authorize_url"].as_str().expect("url");
    let callback = common::approve_at_sandbox(authorize, &patient, "sandbox").await;
    let (status, reconnected) = common::callback(&callback).await;
    assert_eq!(status, 303, "{reconnected}");
    assert_eq!(reconnected["reconnected"], true);
    assert_eq!(reconnected["source_id"], source.as_str());
    let job = reconnected["job"]["id"].as_str().expect("job");
    let done = finished_job(&host.base, &host.client, &host.profile, job).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(source_of(&host, &source).await["status"], "ok");

    // Reconnecting as another patient is refused: the source keeps one person's record.
    let (_, started) = host
        .post(
            &host.at(&format!("/sources/{source}/reconnect")),
            &Value::Null,
        )
        .await;
    let other = patients[0].0.clone();
    let callback = common::approve_at_sandbox(
        started["authorize_url"].as_str().expect("url"),
        &other,
        "sandbox",
    )
    .await;
    let (status, problem) = common::callback(&callback).await;
    assert_eq!(status, 409, "{problem}");
    assert_eq!(problem["type"], "urn:hearth:problem:other-patient");

    // Declining at the provider says so.
    let authorize =
        common::start_connect(&host.client, &host.base, &host.profile, endpoint_id).await;
    let browser = no_redirects();
    let page = browser
        .get(&authorize)
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    let req = common::hidden_input(&page, "req");
    let login_url = common::form_action(&authorize, &page, "login");
    let consent = browser
        .post(&login_url)
        .form(&[
            ("req", req.as_str()),
            ("patient", patient.as_str()),
            ("password", "sandbox"),
        ])
        .send()
        .await
        .expect("login")
        .text()
        .await
        .expect("html");
    let req = common::hidden_input(&consent, "req");
    let denied = browser
        .post(common::form_action(&login_url, &consent, "consent"))
        .form(&[("req", req.as_str()), ("decision", "deny")])
        .send()
        .await
        .expect("deny");
    let location = denied.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    let (status, problem) = common::callback(&location).await;
    assert_eq!(status, 403, "{problem}");
    assert_eq!(problem["type"], "urn:hearth:problem:access-denied");

    // Disconnecting forgets the grant and keeps the records.
    let (status, s) = host
        .post(
            &host.at(&format!("/sources/{source}/disconnect")),
            &Value::Null,
        )
        .await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["status"], "disconnected");
    assert_eq!(s["resources"].as_u64(), Some(expected));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_fails_in_words() {
    let faults = Arc::new(Faults::default());
    let mut options = sandbox_options(&faults);
    options.smart_configuration = false;
    let sandbox = common::sandbox(SandboxData::generated(3, 1, 20), options).await;
    let root = common::sandbox_root(&sandbox);
    let host = Host::start_with("plugins", PluginLimits::default(), |c| {
        c.sandbox_url = Some(url::Url::parse(&root).expect("url"));
    })
    .await;
    // Without a smart-configuration, discovery falls back to the CapabilityStatement.
    let authorize =
        common::start_connect(&host.client, &host.base, &host.profile, "hearth-sandbox-r4").await;
    assert!(
        authorize.starts_with(&format!("{root}/oauth/authorize?")),
        "{authorize}"
    );
    // An unknown endpoint, and a callback with a made-up state.
    let (status, problem) = host
        .post(&host.at("/connect"), &json!({"endpoint_id": "nope"}))
        .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["type"], "urn:hearth:problem:unknown-endpoint");
    let (status, problem) = common::callback(&format!(
        "{}/api/smart/callback?code=x&state=forged",
        host.base
    ))
    .await;
    assert_eq!(status, 400, "{problem}");
    // A browser gets the UI's page instead, told what went wrong; a missing code too.
    for (query, kind) in [
        ("code=x&state=forged", "unknown-state"),
        ("state=one&state=two", "invalid-query"),
    ] {
        let page = no_redirects()
            .get(format!("{}/api/smart/callback?{query}", host.base))
            .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
            .send()
            .await
            .expect("callback");
        assert_eq!(page.status().as_u16(), 303, "{query}");
        let location = page.headers()["location"].to_str().expect("location");
        assert!(
            location.starts_with(&format!("../../connect/failed?kind={kind}&detail=")),
            "{location}"
        );
    }
    // A provider that is down: a precise error, nothing stored.
    let closed = format!("http://127.0.0.1:{}/", common::free_port());
    let host2 = Host::start_with("plugins", PluginLimits::default(), |c| {
        c.sandbox_url = Some(url::Url::parse(&closed).expect("url"));
    })
    .await;
    let (status, problem) = host2
        .post(
            &host2.at("/connect"),
            &json!({"endpoint_id": "hearth-sandbox-r4"}),
        )
        .await;
    assert_eq!(status, 502, "{problem}");
    assert_eq!(problem["type"], "urn:hearth:problem:provider-unreachable");
    let (_, sources) = host2.get(&host2.at("/sources")).await;
    assert_eq!(
        sources["sources"].as_array().map(Vec::len),
        Some(0),
        "{sources}"
    );
}

fn spawn_hearth(data: &std::path::Path, port: u16, sandbox_root: &str) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_hearth"))
        .env("HEARTH_DATA_DIR", data)
        .env("HEARTH_LISTEN", format!("127.0.0.1:{port}"))
        .env("HEARTH_PLUGINS_DIR", common::plugin_dir("plugins"))
        .env("HEARTH_SANDBOX_URL", sandbox_root)
        .env("HEARTH_SANDBOX", "false")
        .env(
            "HEARTH_CACHE_DIR",
            std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("plugin-cache"),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn hearth")
}

async fn wait_healthy(base: &str) {
    let started = Instant::now();
    while reqwest::get(format!("{base}/api/health")).await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no health answer"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_killed_mid_sync_finishes_the_job_after_restart() {
    let data = SandboxData::generated(5, 1, 2500);
    let (patient, _) = data.patients()[0].clone();
    let faults = Arc::new(Faults::default());
    let mut options = sandbox_options(&faults);
    options.auto_approve = true;
    let static_token = options.token.clone();
    let sandbox = common::sandbox(data, options).await;
    let root = common::sandbox_root(&sandbox);
    let expected = common::server_total(&sandbox, &static_token, &patient).await;
    // Slow answers keep the sync running long enough to kill the host in the middle.
    faults.slow(Some(Duration::from_millis(60)));

    let dir = tempfile::tempdir().expect("dir");
    let port = common::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = spawn_hearth(dir.path(), port, &root);
    wait_healthy(&base).await;
    let (token, profile) = common::set_up_owner(&base).await;
    let client = common::bearer_client(&token);
    let connected = common::connect_auto(&client, &base, &profile).await;
    let source = connected["source_id"].as_str().expect("source").to_string();
    let job = connected["job"]["id"].as_str().expect("job").to_string();

    // Wait for a checkpoint (about 1,000 resources stored), then kill -9.
    let started = Instant::now();
    loop {
        let s: Value = client
            .get(format!("{base}/api/profiles/{profile}/sources/{source}"))
            .send()
            .await
            .expect("source")
            .json()
            .await
            .expect("json");
        if s["resumable"] == true {
            assert!(
                s["resources"].as_u64().expect("count") < expected,
                "killed mid-sync"
            );
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no checkpoint: {s}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().expect("kill");
    child.wait().expect("wait");
    let before_restart = faults.requests();

    let mut child = spawn_hearth(dir.path(), port, &root);
    wait_healthy(&base).await;
    // The session survives the restart (keys are in the data folder).
    let done = finished_job(&base, &client, &profile, &job).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert!(done["attempts"].as_i64().expect("attempts") >= 2, "{done}");
    let resumed_requests = faults.requests() - before_restart;
    let full_requests = expected.div_ceil(40);
    assert!(
        resumed_requests < full_requests,
        "the rerun resumed from the checkpoint: {resumed_requests} requests, a full sync takes {full_requests}"
    );

    // Every resource once: the export's (type, id) pairs are exactly the server's count.
    let bundle: Value = client
        .get(format!("{base}/api/profiles/{profile}/export"))
        .send()
        .await
        .expect("export")
        .json()
        .await
        .expect("json");
    let _ = child.kill();
    let _ = child.wait();
    let entries = bundle["entry"].as_array().expect("entries");
    let distinct: std::collections::BTreeSet<(String, String)> = entries
        .iter()
        .map(|e| {
            (
                e["resource"]["resourceType"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                e["resource"]["id"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(distinct.len(), entries.len(), "no resource twice");
    assert_eq!(entries.len() as u64, expected, "no resource lost");
}

/// The shared fasten-sources catalog, or a small one written here when this checkout has no shared data.
fn catalog_source(dir: &std::path::Path) -> (std::path::PathBuf, bool) {
    let shared = common::root().join("../shared/data/fasten-sources");
    if shared.join("catalog/brands.json").exists() {
        return (shared, true);
    }
    eprintln!("../shared/data is absent: importing a small catalog written by the test");
    small_catalog(
        dir,
        &SmallCatalog {
            platform: "cerner",
            extra_quirks: "missing_op_patient_everything: true\n",
            url: "https://fhir.example.org/r4/",
            portal: "StatCare Portal",
            brand: "StatCare Outpatient",
            place: ("Knoxville", "TN", "37919"),
        },
    );
    (dir.to_path_buf(), false)
}

/// Copy the built R4 connector package into a fresh plugins folder.
fn plugins_with_r4(dir: &std::path::Path) {
    let from = common::plugin_dir("plugins").join("fhir-r4");
    let to = dir.join("fhir-r4");
    std::fs::create_dir_all(&to).expect("mkdir");
    for file in ["plugin.toml", "plugin.wasm"] {
        std::fs::copy(from.join(file), to.join(file)).expect("copy");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_imports_into_connector_packages_and_is_searchable() {
    let scratch = tempfile::tempdir().expect("dir");
    let (source, shared) = catalog_source(&scratch.path().join("catalog"));
    let plugins = scratch.path().join("plugins");
    plugins_with_r4(&plugins);
    let out = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args(["catalog", "import"])
        .arg(&source)
        .arg("--plugins")
        .arg(&plugins)
        .output()
        .expect("hearth catalog import");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let packages = if shared { 28 } else { 1 };
    assert!(
        stdout.contains(&format!("wrote {packages} connector packages")),
        "{stdout}"
    );

    let sandbox = common::sandbox(
        SandboxData::generated(2, 1, 10),
        SandboxOptions::with_random_token(),
    )
    .await;
    let root = common::sandbox_root(&sandbox);
    let host = Host::start_with("plugins", PluginLimits::default(), |c| {
        c.plugins_dir = plugins.clone();
        c.sandbox_url = Some(url::Url::parse(&root).expect("url"));
    })
    .await;
    // Every package loads: the platform packages reuse the R4 component.
    let (_, loaded) = host.get("/api/plugins").await;
    assert_eq!(loaded["failures"], json!([]), "{loaded}");
    assert_eq!(
        loaded["plugins"].as_array().expect("plugins").len(),
        packages + 1
    );

    let (status, found) = host.get("/api/catalog?q=statcare%20outpatient").await;
    assert_eq!(status, 200, "{found}");
    let hit = found["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|b| b["name"] == "StatCare Outpatient")
        .unwrap_or_else(|| panic!("not found: {found}"));
    let endpoint = &hit["portals"][0]["endpoints"][0];
    assert_eq!(endpoint["platform"], "cerner");
    assert_eq!(endpoint["connector"], "cerner");
    let (_, by_city) = host.get("/api/catalog?q=knoxville%20tn&limit=100").await;
    assert!(
        by_city["results"]
            .as_array()
            .expect("results")
            .iter()
            .any(|b| b["name"] == "StatCare Outpatient"),
        "{by_city}"
    );
    let (_, sandbox_hit) = host.get("/api/catalog?q=hearth%20sandbox").await;
    assert_eq!(sandbox_hit["results"][0]["name"], "Hearth Sandbox");
    let (status, _) = host.get("/api/catalog?limit=0").await;
    assert_eq!(status, 400);
    let (status, _) = host
        .anon
        .get(format!("{}/api/catalog", host.base))
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .expect("anon");
    assert_eq!(status, 401);
    if shared {
        let (_, all) = host.get("/api/catalog?limit=1").await;
        assert!(all["total"].as_u64().expect("total") > 30_000, "{all}");
    }
    // A platform that needs credentials Hearth lacks says what to configure.
    let (status, problem) = host
        .post(
            &host.at("/connect"),
            &json!({"endpoint_id": endpoint["id"]}),
        )
        .await;
    assert_eq!(status, 409, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .contains("[clients.cerner]"),
        "{problem}"
    );

    // A one-platform folder imported while the host runs: merged by default,
    // so every other platform stays, and found after a reload, no restart.
    let extra = scratch.path().join("extra");
    small_catalog(
        &extra,
        &SmallCatalog {
            platform: "zetacare",
            extra_quirks: "",
            url: "https://fhir.zeta.example/r4/",
            portal: "Zeta Portal",
            brand: "Zeta Family Practice",
            place: ("Duluth", "MN", "55802"),
        },
    );
    let out = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args(["catalog", "import"])
        .arg(&extra)
        .arg("--plugins")
        .arg(&plugins)
        .output()
        .expect("hearth catalog import");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, before) = host.get("/api/catalog?q=zeta%20family").await;
    assert_eq!(
        before["results"],
        json!([]),
        "not before the reload: {before}"
    );
    let (status, _) = common::call(
        &host.anon,
        &host.base,
        reqwest::Method::POST,
        "/api/admin/catalog/reload",
        None,
    )
    .await;
    assert_eq!(status, 401);
    let (status, reloaded) = host.post("/api/admin/catalog/reload", &json!({})).await;
    assert_eq!(status, 200, "{reloaded}");
    assert_eq!(
        reloaded["plugins"].as_u64(),
        Some(packages as u64 + 2),
        "{reloaded}"
    );
    assert_eq!(reloaded["plugin_failures"].as_u64(), Some(0), "{reloaded}");
    let (_, after) = host.get("/api/catalog?q=zeta%20family").await;
    let zeta = &after["results"][0];
    assert_eq!(zeta["name"], "Zeta Family Practice", "{after}");
    assert_eq!(zeta["portals"][0]["endpoints"][0]["connector"], "zetacare");
    let (_, statcare) = host.get("/api/catalog?q=statcare%20outpatient").await;
    assert!(
        statcare["results"]
            .as_array()
            .expect("results")
            .iter()
            .any(|b| b["name"] == "StatCare Outpatient"),
        "the earlier platform stays: {statcare}"
    );
    let (_, loaded) = host.get("/api/plugins").await;
    assert!(
        loaded["plugins"]
            .as_array()
            .expect("plugins")
            .iter()
            .any(|p| p["id"] == "zetacare"),
        "{loaded}"
    );
}

/// What a one-platform fasten-sources folder holds.
struct SmallCatalog<'a> {
    platform: &'a str,
    /// More lines of the platform definition (YAML).
    extra_quirks: &'a str,
    url: &'a str,
    portal: &'a str,
    brand: &'a str,
    /// City, state, postal code.
    place: (&'a str, &'a str, &'a str),
}

/// Write a fasten-sources folder with one platform, endpoint, portal and brand.
fn small_catalog(dir: &std::path::Path, c: &SmallCatalog) {
    let write = |rel: &str, text: &str| {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    let (platform, (city, state, postal)) = (c.platform, c.place);
    let id = |kind: &str| format!("{platform}-{kind}");
    write(
        &format!("definitions/platform/{platform}.yaml"),
        &format!(
            "platform_type: {platform}\nscopes_supported: [openid, offline_access, patient/*.read]\nconfidential: false\n{}",
            c.extra_quirks
        ),
    );
    let stamp = r#""identifiers": [], "last_updated": "2026-01-01T00:00:00Z""#;
    write(
        "catalog/endpoints.json",
        &json!({ id("e"): {"id": id("e"), "identifiers": [], "last_updated": "2026-01-01T00:00:00Z", "status": "active",
          "connection_type": "hl7-fhir-rest", "platform_type": platform, "url": c.url,
          "authorization_endpoint": "", "token_endpoint": "", "introspection_endpoint": "", "userinfo_endpoint": "",
          "revoke_endpoint": "", "registration_endpoint": "", "fhir_version": "4.0.1",
          "smart_configuration_url": "", "fhir_capabilities_url": "", "software_name": "", "software_version": "",
          "software_release_date": "", "endpoint_ids": []}})
        .to_string(),
    );
    write(
        "catalog/portals.json",
        &format!(
            r#"{{"{p}": {{"id": "{p}", {stamp}, "name": "{name}", "logo": "", "portal_website": "", "description": "", "endpoint_ids": ["{e}"]}}}}"#,
            p = id("p"),
            e = id("e"),
            name = c.portal
        ),
    );
    write(
        "catalog/brands.json",
        &format!(
            r#"{{"{b}": {{"id": "{b}", {stamp}, "name": "{name}", "brand_website": "", "hidden": false, "logo": "", "aliases": [],
              "locations": [{{"line": [], "city": "{city}", "state": "{state}", "postal_code": "{postal}", "country": "US"}}],
              "telecom": [], "portal_ids": ["{p}"], "brand_ids": ["{b}"]}}}}"#,
            b = id("b"),
            p = id("p"),
            name = c.brand
        ),
    );
}

fn openssl(args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl is installed (.ci/run installs it)");
    assert!(status.success(), "openssl {args:?}");
}

/// An RSA key pair as (private key file, public key PEM).
fn rsa_key(dir: &std::path::Path, name: &str) -> (std::path::PathBuf, String) {
    let private = dir.join(format!("{name}.pem"));
    let public = dir.join(format!("{name}.pub.pem"));
    let p = private.to_str().expect("path");
    openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        p,
    ]);
    openssl(&[
        "pkey",
        "-in",
        p,
        "-pubout",
        "-out",
        public.to_str().expect("path"),
    ]);
    (
        private,
        std::fs::read_to_string(public).expect("public key"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confidential_clients_authenticate_with_a_secret_or_a_signed_jwt() {
    use hearth_host::config::ClientConfig;
    use hearth_sandbox::SandboxClient;
    let keys = tempfile::tempdir().expect("dir");
    let (private, public) = rsa_key(keys.path(), "hearth");
    let (stranger, _) = rsa_key(keys.path(), "stranger");
    let any = |mut c: SandboxClient| {
        c.accept_any_redirect = true;
        c
    };
    let mut options = SandboxOptions::with_random_token();
    options.auto_approve = true;
    options.clients = vec![
        any(SandboxClient::confidential(
            "hearth-secret",
            "s3cret-value",
            vec![],
        )),
        any(SandboxClient::asymmetric("hearth-jwt", public, vec![])),
    ];
    let sandbox = common::sandbox(SandboxData::generated(4, 1, 30), options).await;
    let root = common::sandbox_root(&sandbox);
    let with_client = |client: ClientConfig| {
        let root = root.clone();
        move |c: &mut hearth_host::config::Config| {
            c.sandbox_url = Some(url::Url::parse(&root).expect("url"));
            c.clients.insert("hearth-sandbox".into(), client);
        }
    };
    let cases = [
        (
            "secret",
            ClientConfig {
                client_id: "hearth-secret".into(),
                client_secret: Some("s3cret-value".into()),
                private_key_file: None,
                key_id: None,
            },
            true,
        ),
        (
            "wrong secret",
            ClientConfig {
                client_id: "hearth-secret".into(),
                client_secret: Some("guess".into()),
                private_key_file: None,
                key_id: None,
            },
            false,
        ),
        (
            "signed JWT",
            ClientConfig {
                client_id: "hearth-jwt".into(),
                client_secret: None,
                private_key_file: Some(private.clone()),
                key_id: Some("k1".into()),
            },
            true,
        ),
        (
            "JWT signed by another key",
            ClientConfig {
                client_id: "hearth-jwt".into(),
                client_secret: None,
                private_key_file: Some(stranger.clone()),
                key_id: Some("k1".into()),
            },
            false,
        ),
    ];
    for (label, client, accepted) in cases {
        let host = Host::start_with("plugins", PluginLimits::default(), with_client(client)).await;
        let (status, body) = common::connect_approved(
            &host.client,
            &host.base,
            &host.profile,
            "hearth-sandbox-r4",
            None,
        )
        .await;
        if accepted {
            assert_eq!(status, 303, "{label}: {body}");
            let job = body["job"]["id"].as_str().expect("job");
            let done = finished_job(&host.base, &host.client, &host.profile, job).await;
            assert_eq!(done["status"], "succeeded", "{label}: {done}");
        } else {
            assert_eq!(status, 502, "{label}: {body}");
            assert_eq!(
                body["type"], "urn:hearth:problem:provider-refused",
                "{label}"
            );
            assert!(
                body["detail"]
                    .as_str()
                    .expect("detail")
                    .contains("invalid_client"),
                "{label}: {body}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syncs_against_one_provider_host_run_at_most_two_at_a_time() {
    let data = SandboxData::generated(6, 5, 60);
    let patients: Vec<String> = data.patients().into_iter().map(|(p, _)| p).collect();
    let faults = Arc::new(Faults::default());
    let options = sandbox_options(&faults);
    let token = options.token.clone();
    let sandbox = common::sandbox(data, options).await;
    let host = Host::start("plugins", PluginLimits::default()).await;
    faults.slow(Some(Duration::from_millis(40)));
    let mut jobs = Vec::new();
    for patient in &patients {
        let source = host
            .add_source(&sandbox.base_url, patient, &token, "fhir-r4")
            .await;
        let (status, job) = host
            .post(
                &host.at(&format!("/sources/{source}/sync?wait=false")),
                &Value::Null,
            )
            .await;
        assert_eq!(status, 202, "{job}");
        jobs.push(job["id"].as_str().expect("job").to_string());
    }
    for job in &jobs {
        let done = finished_job(&host.base, &host.client, &host.profile, job).await;
        assert_eq!(done["status"], "succeeded", "{done}");
    }
    assert_eq!(
        faults.max_in_flight(),
        2,
        "five sources on one host: two syncs at a time, one request each"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dstu3_provider_syncs_through_the_dstu3_connector_as_r4() {
    let mut data = SandboxData::generated(9, 1, 600);
    let (patient, _) = data.patients()[0].clone();
    // A second patient with the types the generator does not make.
    let pref = json!({"reference": "Patient/extra-1"});
    data.add_patient(vec![
        json!({"resourceType": "Patient", "id": "extra-1", "name": [{"family": "Okafor", "given": ["Ada"]}], "gender": "female", "birthDate": "1970-02-03"}),
        json!({"resourceType": "MedicationStatement", "id": "ms-1", "status": "not-taken",
               "statusReason": [{"text": "side effects"}],
               "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "197361"}]},
               "subject": pref, "effectiveDateTime": "2024-03-01",
               "dosage": [{"text": "1 daily", "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}]}]}),
        json!({"resourceType": "DocumentReference", "id": "doc-1", "status": "current",
               "type": {"coding": [{"system": "http://loinc.org", "code": "34133-9"}]},
               "category": [{"coding": [{"system": "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category", "code": "clinical-note"}]}],
               "subject": pref, "date": "2024-03-01T10:00:00Z",
               "content": [{"attachment": {"contentType": "text/plain", "data": "aGVsbG8="}}],
               "context": {"encounter": [{"reference": "Encounter/enc-1"}]}}),
        json!({"resourceType": "AllergyIntolerance", "id": "al-1",
               "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active"}]},
               "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "code": "confirmed"}]},
               "code": {"text": "Peanut"}, "patient": pref, "recordedDate": "2020-01-01"}),
        json!({"resourceType": "Encounter", "id": "enc-1", "status": "finished",
               "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"}, "subject": pref}),
    ])
    .expect("extra patient");
    let mut options = SandboxOptions::with_random_token();
    options.auto_approve = true;
    let static_token = options.token.clone();
    let sandbox = common::sandbox(data, options).await;
    let root = common::sandbox_root(&sandbox);
    let host = Host::start_with("plugins", PluginLimits::default(), |c| {
        c.sandbox_url = Some(url::Url::parse(&root).expect("url"));
    })
    .await;
    // The DSTU3 base says so, and serves DSTU3 shapes.
    let metadata: Value = reqwest::get(format!("{root}/dstu3/metadata"))
        .await
        .expect("metadata")
        .json()
        .await
        .expect("json");
    assert_eq!(metadata["fhirVersion"], "3.0.2");
    let everything: Value = reqwest::Client::new()
        .get(format!(
            "{root}/dstu3/Patient/{patient}/$everything?_count=1000"
        ))
        .bearer_auth(&static_token)
        .send()
        .await
        .expect("everything")
        .json()
        .await
        .expect("json");
    let served = everything["total"].as_u64().expect("total");
    let dstu3_conditions: Vec<&Value> = everything["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == "Condition")
        .collect();
    assert!(!dstu3_conditions.is_empty());
    assert!(
        dstu3_conditions
            .iter()
            .all(|c| c["clinicalStatus"].is_string() || c["clinicalStatus"].is_null()),
        "DSTU3 codes"
    );

    let (status, found) = host.get("/api/catalog?q=hearth%20sandbox").await;
    assert_eq!(status, 200);
    let dstu3 = &found["results"][0]["portals"][1]["endpoints"][0];
    assert_eq!(dstu3["connector"], "fhir-dstu3", "{found}");
    let endpoint = dstu3["id"].as_str().expect("id");
    let (status, connected) =
        common::connect_approved(&host.client, &host.base, &host.profile, endpoint, None).await;
    assert_eq!(status, 303, "{connected}");
    let job = connected["job"]["id"].as_str().expect("job");
    let done = finished_job(&host.base, &host.client, &host.profile, job).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["progress"]["emitted"].as_u64(), Some(served), "{done}");

    // What the host stored is R4: every record of the converted types passes the R4 check.
    let bundle: Value = host
        .client
        .get(format!("{}{}", host.base, host.at("/export")))
        .send()
        .await
        .expect("export")
        .json()
        .await
        .expect("json");
    let mut checked = std::collections::BTreeMap::<String, usize>::new();
    for entry in bundle["entry"].as_array().expect("entries") {
        let resource = &entry["resource"];
        if let Err(problems) = hearth_dstu3::check_r4(resource) {
            panic!("not R4: {problems:?} in {resource}");
        }
        *checked
            .entry(
                resource["resourceType"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
            .or_default() += 1;
    }
    for ty in [
        "Patient",
        "Condition",
        "Observation",
        "Encounter",
        "Immunization",
        "MedicationRequest",
        "Procedure",
        "DiagnosticReport",
    ] {
        assert!(
            checked.get(ty).is_some_and(|n| *n > 0),
            "no {ty} in {checked:?}"
        );
    }

    // The second patient (auto-approved for the hinted patient): the remaining types.
    let (status, connected) = common::connect_approved(
        &host.client,
        &host.base,
        &host.profile,
        endpoint,
        Some("extra-1"),
    )
    .await;
    assert_eq!(status, 303, "{connected}");
    let done = finished_job(
        &host.base,
        &host.client,
        &host.profile,
        connected["job"]["id"].as_str().expect("job"),
    )
    .await;
    assert_eq!(done["status"], "succeeded", "{done}");
    for (ty, id) in [
        ("MedicationStatement", "ms-1"),
        ("DocumentReference", "doc-1"),
        ("AllergyIntolerance", "al-1"),
        ("Encounter", "enc-1"),
    ] {
        let (status, r) = host.get(&host.at(&format!("/records/{ty}/{id}"))).await;
        assert_eq!(status, 200, "{ty}: {r}");
        if let Err(problems) = hearth_dstu3::check_r4(&r) {
            panic!("{ty} is not R4: {problems:?} in {r}");
        }
    }
    let (_, ms) = host
        .get(&host.at("/records/MedicationStatement/ms-1"))
        .await;
    assert_eq!(ms["status"], "not-taken", "{ms}");
    assert_eq!(
        ms["dosage"][0]["doseAndRate"][0]["doseQuantity"]["value"], 1,
        "{ms}"
    );
    let (_, doc) = host.get(&host.at("/records/DocumentReference/doc-1")).await;
    assert!(doc["context"]["encounter"].is_array(), "{doc}");
    let condition = bundle["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| &e["resource"])
        .find(|r| r["resourceType"] == "Condition")
        .expect("a condition");
    assert!(
        condition["clinicalStatus"]["coding"][0]["system"]
            .as_str()
            .is_some_and(|s| s.ends_with("condition-clinical")),
        "{condition}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_finished_after_the_starter_lost_access_connects_nothing() {
    // Issue 15, item 13: the callback created the source anyway.
    let mut options = SandboxOptions::with_random_token();
    options.auto_approve = true;
    let sandbox = common::sandbox(SandboxData::generated(4, 1, 20), options).await;
    let root = common::sandbox_root(&sandbox);
    let host = Host::start_with("plugins", PluginLimits::default(), |c| {
        c.sandbox_url = Some(url::Url::parse(&root).expect("url"));
    })
    .await;
    let (bob, bob_client) = host.member("bob").await;
    let (status, _) = host
        .post(
            &host.at("/grants"),
            &json!({"username": "bob", "role": "editor"}),
        )
        .await;
    assert_eq!(status, 201);
    let authorize =
        common::start_connect(&bob_client, &host.base, &host.profile, "hearth-sandbox-r4").await;
    // While bob is at the provider, the owner stops sharing with him.
    let (status, _) = common::call(
        &host.client,
        &host.base,
        reqwest::Method::DELETE,
        &host.at(&format!("/grants/{bob}")),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let r = no_redirects()
        .get(&authorize)
        .send()
        .await
        .expect("authorize");
    assert_eq!(r.status().as_u16(), 302);
    let location = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    let (status, problem) = common::callback(&location).await;
    assert_eq!(status, 403, "{problem}");
    assert_eq!(problem["type"], "urn:hearth:problem:access-revoked");
    let (_, sources) = host.get(&host.at("/sources")).await;
    assert_eq!(
        sources["sources"],
        json!([]),
        "nothing connected: {sources}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_built_in_sandbox_is_opt_in_and_sends_browsers_only_to_this_host() {
    // Issue 15, item 11: `/sandbox/oauth/authorize?redirect_uri=https://evil.example`
    // redirected anywhere, and every instance served the sandbox.
    let plain = Host::start_with("plugins", PluginLimits::default(), |c| {
        c.sandbox = hearth_host::config::Config::defaults().sandbox;
    })
    .await;
    let (_, found) = plain.get("/api/catalog?q=hearth%20sandbox").await;
    assert_eq!(
        found["results"],
        json!([]),
        "not unless asked for (host at {}): {found}",
        plain.base
    );

    let host = Host::start_with("plugins", PluginLimits::default(), |c| c.sandbox = true).await;
    let (_, found) = host.get("/api/catalog?q=hearth%20sandbox").await;
    assert_eq!(found["results"][0]["name"], "Hearth Sandbox", "{found}");
    let authorize = |redirect: &str| {
        format!(
            "{}/sandbox/oauth/authorize?response_type=code&client_id=hearth&redirect_uri={}&scope=launch%2Fpatient&state=s&aud={}/sandbox/fhir&code_challenge=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG&code_challenge_method=S256",
            host.base,
            url::form_urlencoded::byte_serialize(redirect.as_bytes()).collect::<String>(),
            host.base
        )
    };
    let r = no_redirects()
        .get(authorize("https://evil.example/cb"))
        .send()
        .await
        .expect("authorize");
    assert_eq!(r.status().as_u16(), 400, "no redirect to another site");
    assert!(r.headers().get("location").is_none());
    let own = format!("{}/api/smart/callback", host.base);
    let r = no_redirects()
        .get(authorize(&own))
        .send()
        .await
        .expect("authorize");
    assert_eq!(
        r.status().as_u16(),
        200,
        "its own callback gets the sign-in page"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_portal_account_of_the_profiles_person_syncs_at_once() {
    let data = SandboxData::generated(5, 1, 30);
    let (patient, _) = data.patients()[0].clone();
    let faults = Arc::new(Faults::default());
    let mut options = sandbox_options(&faults);
    options.auto_approve = true;
    let token = options.token.clone();
    let sandbox = common::sandbox(data, options).await;
    let root = common::sandbox_root(&sandbox);
    let host = Host::start_with("plugins", PluginLimits::default(), |c| {
        c.sandbox_url = Some(url::Url::parse(&root).expect("url"));
    })
    .await;
    let record: Value = reqwest::Client::new()
        .get(format!("{}/Patient/{patient}", sandbox.base_url))
        .bearer_auth(&token)
        .send()
        .await
        .expect("patient")
        .json()
        .await
        .expect("json");
    // A profile named with the patient's first given name and born the same day.
    let given = record["name"][0]["given"][0].as_str().expect("given name");
    let birth = record["birthDate"].as_str().expect("birth date");
    let (status, profile) = host
        .post(
            "/api/profiles",
            &json!({"name": given, "birth_date": birth}),
        )
        .await;
    assert_eq!(status, 201, "{profile}");
    let profile = profile["id"].as_str().expect("id");
    let (status, connected) =
        common::connect_approved_raw(&host.client, &host.base, profile, "hearth-sandbox-r4", None)
            .await;
    assert_eq!(status, 303, "{connected}");
    assert!(
        connected["job"]["id"].is_string(),
        "queued at once: {connected}"
    );
    assert!(connected["patient"].is_null());
    let source = connected["source_id"].as_str().expect("source");
    let (_, s) = host
        .get(&format!("/api/profiles/{profile}/sources/{source}"))
        .await;
    assert_eq!(s["patient"]["birth_date"], birth, "{s}");
    assert_ne!(s["status"], "unconfirmed");
}
