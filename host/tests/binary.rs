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
