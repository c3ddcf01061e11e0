//! Clients that connect and then send nothing, or send a request a byte at a
//! time, cannot starve the host: the listener closes them after the request
//! timeout, sheds the longest-idle connection at its cap, and keeps
//! accepting when the process runs out of descriptors.

mod common;

use common::Host;
use hearth_host::listener::ConnectionLimits;
use std::process::{Command, Stdio};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn host_with(limits: ConnectionLimits) -> Host {
    Host::start_with("plugins", Default::default(), |c| c.connections = limits).await
}

/// Whether the server closes `stream` within `within` (reading whatever it sent first).
async fn closed_by_server(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let read_until_closed = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    };
    tokio::time::timeout(within, read_until_closed)
        .await
        .is_ok()
}

async fn health(base: &str) -> reqwest::StatusCode {
    // A fresh client: no pooled connection, so the request needs a new one accepted.
    let answer = tokio::time::timeout(
        Duration::from_secs(5),
        reqwest::Client::new()
            .get(format!("{base}/api/health"))
            .send(),
    )
    .await
    .expect("health answers while the connections are held")
    .expect("health request");
    answer.status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_its_request_is_closed_after_the_timeout() {
    let host = host_with(ConnectionLimits {
        request_timeout: Duration::from_secs(1),
        ..Default::default()
    })
    .await;
    let addr = host.running.addr;

    // Nothing at all, half a request line, and headers without their end.
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let mut half_line = TcpStream::connect(addr).await.unwrap();
    half_line.write_all(b"GET /api/heal").await.unwrap();
    let mut no_end = TcpStream::connect(addr).await.unwrap();
    no_end
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: hearth\r\n")
        .await
        .unwrap();
    // A body announced and never sent: the request timeout covers bodies too.
    let mut slow_body = TcpStream::connect(addr).await.unwrap();
    slow_body
        .write_all(
            b"POST /api/auth/login HTTP/1.1\r\nHost: hearth\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"user",
        )
        .await
        .unwrap();
    // A finished request on a kept-alive connection, then silence.
    let mut kept_alive = TcpStream::connect(addr).await.unwrap();
    kept_alive
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: hearth\r\n\r\n")
        .await
        .unwrap();

    for (name, stream) in [
        ("silent", &mut silent),
        ("half a request line", &mut half_line),
        ("unfinished headers", &mut no_end),
        ("unsent body", &mut slow_body),
        ("idle keep-alive", &mut kept_alive),
    ] {
        assert!(
            closed_by_server(stream, Duration::from_secs(10)).await,
            "{name}: still open 10 s after a 1 s request timeout"
        );
    }
    assert_eq!(health(&host.base).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_cap_the_longest_idle_connections_make_room() {
    let host = host_with(ConnectionLimits {
        max_connections: 16,
        request_timeout: Duration::from_secs(60),
    })
    .await;
    let addr = host.running.addr;
    let mut idle = Vec::new();
    for _ in 0..64 {
        idle.push(TcpStream::connect(addr).await.unwrap());
    }
    // The host still answers a newcomer...
    assert_eq!(health(&host.base).await, 200);
    // ...because the oldest idle connections were closed to make room, long
    // before their 60 s timeout.
    for (i, stream) in idle.iter_mut().take(16).enumerate() {
        assert!(
            closed_by_server(stream, Duration::from_secs(5)).await,
            "idle connection {i} was not shed"
        );
    }
    // A connection busy with a request is never shed: an event stream stays
    // open while newcomers push the idle ones out.
    let events = host
        .client
        .get(format!(
            "{}/api/profiles/{}/events",
            host.base, host.profile
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    let mut events = events.bytes_stream();
    for _ in 0..40 {
        idle.push(TcpStream::connect(addr).await.unwrap());
    }
    assert_eq!(health(&host.base).await, 200);
    use futures_util::StreamExt;
    let still_open = tokio::time::timeout(Duration::from_millis(500), events.next()).await;
    assert!(
        !matches!(still_open, Ok(None) | Ok(Some(Err(_)))),
        "the event stream was closed: {still_open:?}"
    );
}

/// The `hearth` binary under `ulimit_args` (e.g. `-n 256`), serving on a free port.
fn spawn_limited(data: &std::path::Path, ulimit_args: &str) -> (std::process::Child, String) {
    let port = common::free_port();
    let child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit {ulimit_args} && exec \"$0\""))
        .arg(env!("CARGO_BIN_EXE_hearth"))
        .env("HEARTH_DATA_DIR", data)
        .env("HEARTH_LISTEN", format!("127.0.0.1:{port}"))
        .env("HEARTH_PLUGINS_DIR", common::plugin_dir("plugins"))
        .env("HEARTH_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    (child, format!("http://127.0.0.1:{port}"))
}

async fn wait_until_up(base: &str) {
    for _ in 0..300 {
        if let Ok(r) = reqwest::get(format!("{base}/api/health")).await
            && r.status() == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("hearth did not start at {base}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_idle_connections_than_descriptors_do_not_stop_the_host() {
    // This process holds the client ends: give it room for them.
    let ours = hearth_host::listener::raise_open_file_limit();
    assert!(
        ours.is_none_or(|n| n >= 1024),
        "the test needs 1,024 descriptors, has {ours:?}"
    );
    let data = tempfile::tempdir().unwrap();
    // Soft and hard limit 256: the host cannot raise it, so idle clients
    // alone could use up every descriptor it has.
    let (mut child, base) = spawn_limited(data.path(), "-n 256");
    wait_until_up(&base).await;
    let addr: std::net::SocketAddr = base.trim_start_matches("http://").parse().unwrap();
    let mut idle = Vec::new();
    for _ in 0..600 {
        match TcpStream::connect(addr).await {
            Ok(s) => idle.push(s),
            Err(e) => panic!("connect failed after {}: {e}", idle.len()),
        }
    }
    let status = health(&base).await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_raises_its_soft_open_file_limit_to_the_hard_one() {
    let hard = rustix::process::getrlimit(rustix::process::Resource::Nofile).maximum;
    let Some(hard) = hard.filter(|h| *h > 300) else {
        panic!("this test needs a finite hard limit above 300, found {hard:?}");
    };
    let data = tempfile::tempdir().unwrap();
    let (mut child, base) = spawn_limited(data.path(), "-S -n 256");
    wait_until_up(&base).await;
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", child.id())).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("open-file line");
    let numbers: Vec<&str> = line.split_whitespace().skip(3).take(2).collect();
    assert_eq!(numbers, [hard.to_string(), hard.to_string()], "{line}");
}
