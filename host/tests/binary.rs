//! The `hearth` binary as a user runs it: config from the environment, health
//! check, and a clear error naming a bad setting.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn serves_health_with_settings_from_the_environment() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .env("HEARTH_DATA_DIR", data.path())
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
    let started = Instant::now();
    let body = loop {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let result = runtime.block_on(async {
            reqwest::get(format!("http://127.0.0.1:{port}/api/health"))
                .await?
                .json::<serde_json::Value>()
                .await
        });
        match result {
            Ok(body) => break body,
            Err(_) if started.elapsed() < Duration::from_secs(60) => {
                std::thread::sleep(Duration::from_millis(100))
            }
            Err(e) => {
                let _ = child.kill();
                panic!("no health answer: {e}");
            }
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["plugins"], 1);
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
