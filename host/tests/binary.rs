//! The `hearth` binary as a user runs it: config from the environment, health
//! check, and a clear error naming a bad setting.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_health_with_settings_from_the_environment() {
    let data = tempfile::tempdir().unwrap();
    let (mut child, base) = serve(data.path()).await;
    let body: serde_json::Value = reqwest::get(format!("{base}/api/health"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(body["status"], "ok");
    assert_eq!(
        body["plugins"], 11,
        "the R4 and DSTU3 connectors, five condition dashboards, the immunization forecaster, the screenings and the two chat adapters"
    );
    assert!(data.path().join("hearth.db").exists());
    assert!(data.path().join("keys/token.key").exists());
}

#[test]
fn a_bad_setting_stops_start_with_its_name() {
    let out = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .env("HEARTH_LISTEN", "not-an-address")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`listen`") && stderr.contains("HEARTH_LISTEN"),
        "{stderr}"
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hearth.toml");
    std::fs::write(&file, "plugin_memory_mb = \"lots\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .arg("--config")
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`plugin_memory_mb`") && stderr.contains("hearth.toml"),
        "{stderr}"
    );
}

/// Run `hearth user ...` on `data` with `stdin` as the password line.
fn hearth_user(data: &std::path::Path, args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .env("HEARTH_DATA_DIR", data)
        .arg("user")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_commands_add_users_and_reset_passwords() {
    let data = tempfile::tempdir().unwrap();
    let first = "the owl keeps the night watch";
    let out = hearth_user(
        data.path(),
        &["add", "--username", "gran", "--admin"],
        &format!("{first}\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("created gran (admin)"));
    let out = hearth_user(data.path(), &["add", "--username", "pip"], "short\n");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 12 characters"));
    let out = hearth_user(
        data.path(),
        &["reset-password", "--username", "nobody"],
        "whatever whatever\n",
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no user named \"nobody\""));
    let second = "a lighthouse on the far hill";
    let out = hearth_user(
        data.path(),
        &["reset-password", "--username", "gran", "--disable-totp"],
        &format!("{second}\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The server sees the console's work.
    let config = hearth_host::config::Config {
        data_dir: data.path().to_path_buf(),
        listen: "127.0.0.1:0".parse().unwrap(),
        plugins_dir: common::plugin_dir("plugins"),
        cache_dir: std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("plugin-cache"),
        log: "warn".into(),
        limits: Default::default(),
        allow_signup: false,
        secure_cookies: false,
        max_upload_bytes: 64 << 20,
        max_attachment_bytes: 1 << 20,
        sandbox: false,
        ..hearth_host::config::Config::defaults()
    };
    let running = hearth_host::server::start(&config).await.unwrap();
    let base = format!("http://{}", running.addr);
    let client = reqwest::Client::new();
    let sign_in = |password: &str| {
        client
            .post(format!("{base}/api/auth/sign-in"))
            .json(&serde_json::json!({"username": "gran", "password": password}))
            .send()
    };
    assert_eq!(sign_in(first).await.unwrap().status(), 401);
    let ok = sign_in(second).await.unwrap();
    assert_eq!(ok.status(), 200);
    let body: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(body["user"]["role"], "admin");
    let setup = client
        .post(format!("{base}/api/setup"))
        .json(&serde_json::json!({"username": "late", "password": second}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        setup.status(),
        409,
        "setup is closed once an account exists"
    );
}

/// Start `hearth` serving `data` on a free port; the child and its base URL once it answers.
async fn serve(data: &std::path::Path) -> (std::process::Child, String) {
    let port = common::free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .env("HEARTH_DATA_DIR", data)
        .env("HEARTH_LISTEN", format!("127.0.0.1:{port}"))
        .env("HEARTH_PLUGINS_DIR", common::plugin_dir("plugins"))
        .env(
            "HEARTH_CACHE_DIR",
            std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("plugin-cache"),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while reqwest::get(format!("{base}/api/health")).await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no health answer"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (child, base)
}

/// Run `hearth <args>` on `data`.
fn hearth(data: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hearth"))
        .env("HEARTH_DATA_DIR", data)
        .args(args)
        .output()
        .unwrap()
}

/// The profile's export as (type, id) → resource.
async fn export_of(
    client: &reqwest::Client,
    base: &str,
    profile: &str,
) -> std::collections::BTreeMap<(String, String), serde_json::Value> {
    let bundle: serde_json::Value = client
        .get(format!("{base}/api/profiles/{profile}/export"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let r = e["resource"].clone();
            (
                (
                    r["resourceType"].as_str().unwrap().to_string(),
                    r["id"].as_str().unwrap().to_string(),
                ),
                r,
            )
        })
        .collect()
}

/// `POST url` with a JSON body; the JSON answer.
async fn post_json(
    client: &reqwest::Client,
    url: &str,
    body: &serde_json::Value,
) -> serde_json::Value {
    client
        .post(url)
        .json(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The account the backup test signs in with.
fn gran() -> serde_json::Value {
    serde_json::json!({"username": "gran", "password": common::PASSWORD})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_while_serving_then_restore_gives_the_same_instance() {
    let data = tempfile::tempdir().unwrap();
    let (mut server, base) = serve(data.path()).await;
    let anon = reqwest::Client::new();
    let setup = post_json(&anon, &format!("{base}/api/setup"), &gran()).await;
    let client = common::bearer_client(setup["access_token"].as_str().unwrap());
    let me: serde_json::Value = client
        .get(format!("{base}/api/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let profile = me["profiles"][0]["id"].as_str().unwrap().to_string();
    let resources = hearth_synth::generate_patient(&hearth_synth::PatientSpec {
        seed: 4,
        target_resources: 1500,
    });
    let r = client
        .post(format!(
            "{base}/api/profiles/{profile}/imports?confirm_person=true"
        ))
        .header("content-type", "application/fhir+json")
        .body(hearth_synth::collection_bundle(&resources).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let pdf = b"%PDF-1.4 discharge letter".to_vec();
    let doc: serde_json::Value = client
        .post(format!(
            "{base}/api/profiles/{profile}/attachments?title=Letter"
        ))
        .header("content-type", "application/pdf")
        .body(pdf.clone())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let binary = doc["content"][0]["attachment"]["url"]
        .as_str()
        .unwrap()
        .trim_start_matches("Binary/")
        .to_string();
    let before = export_of(&client, &base, &profile).await;

    let backups = tempfile::tempdir().unwrap();
    let file = backups.path().join("hearth.zip");
    let out = hearth(data.path(), &["backup", "--out", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the backup holds keys: owner only");
    }

    // A backup taken while an upload is being written holds all of it or none of it.
    let more = hearth_synth::generate_patient(&hearth_synth::PatientSpec {
        seed: 5,
        target_resources: 6000,
    });
    let upload = client
        .post(format!(
            "{base}/api/profiles/{profile}/imports?confirm_person=true"
        ))
        .header("content-type", "application/fhir+json")
        .body(hearth_synth::collection_bundle(&more).to_string())
        .send();
    let during = backups.path().join("during.zip");
    let during_arg = during.to_str().unwrap().to_string();
    let data_path = data.path().to_path_buf();
    let backup = tokio::task::spawn_blocking(move || {
        std::thread::sleep(Duration::from_millis(150));
        hearth(&data_path, &["backup", "--out", &during_arg])
    });
    let (uploaded, out) = tokio::join!(upload, backup);
    assert_eq!(uploaded.unwrap().status(), 201);
    let out = out.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    let counted: usize = said.split_whitespace().nth(2).unwrap().parse().unwrap();
    let all_before: usize = before.len();
    assert!(
        counted == all_before || counted == all_before + more.len(),
        "backup during an upload saw {counted}, expected {all_before} or {}",
        all_before + more.len()
    );

    // No restore under a running server.
    let out = hearth(
        data.path(),
        &["restore", "--from", file.to_str().unwrap(), "--force"],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("running"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = server.kill();
    let _ = server.wait();

    // Restored elsewhere: the same accounts, records and attachment.
    let elsewhere = tempfile::tempdir().unwrap();
    let out = hearth(
        elsewhere.path(),
        &["restore", "--from", file.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (mut restored, base) = serve(elsewhere.path()).await;
    let session = post_json(&anon, &format!("{base}/api/auth/sign-in"), &gran()).await;
    let client = common::bearer_client(
        session["access_token"]
            .as_str()
            .expect("the account came back"),
    );
    let after = export_of(&client, &base, &profile).await;
    assert_eq!(after.len(), before.len());
    assert!(after == before, "the restored records differ");
    let bytes = client
        .get(format!(
            "{base}/api/profiles/{profile}/attachments/{binary}"
        ))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes.to_vec(), pdf);
    let _ = restored.kill();
    let _ = restored.wait();

    // Over an existing instance only with --force; the old one is kept aside.
    let out = hearth(
        elsewhere.path(),
        &["restore", "--from", during.to_str().unwrap()],
    );
    assert!(!out.status.success());
    let out = hearth(
        elsewhere.path(),
        &["restore", "--from", during.to_str().unwrap(), "--force"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kept = std::fs::read_dir(elsewhere.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("before-restore-")
                && e.path().join("hearth.db").exists()
        });
    assert!(kept, "the replaced instance is kept");

    // Not a backup: refused before anything is touched.
    std::fs::write(backups.path().join("junk.zip"), b"PK not really").unwrap();
    let out = hearth(
        elsewhere.path(),
        &[
            "restore",
            "--from",
            backups.path().join("junk.zip").to_str().unwrap(),
            "--force",
        ],
    );
    assert!(!out.status.success());
    assert!(elsewhere.path().join("hearth.db").exists());
}
