//! Auth benchmark: sign-in latency over HTTP (argon2id dominates), and what
//! authentication adds to a request (`/api/plugins`, signed in, against
//! `/api/health`, public; both handlers do the same trivial work), plus the
//! in-process cost of checking a token and a profile grant.
//!
//! `cargo bench --bench auth` runs 50 sign-ins and 2,000 requests of each
//! kind; under `cargo test` a small smoke pass keeps it from rotting. It
//! fails if the stored argon2 parameters are below OWASP's floor.

mod common;

use hearth_host::auth::sessions::Presented;
use hearth_host::auth::{ProfileRole, password};
use hearth_host::config::{Config, PluginLimits};
use hearth_host::server;
use serde_json::json;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let full = std::env::args().any(|a| a == "--bench");
    let (sign_ins, requests) = if full { (50, 2000) } else { (3, 50) };
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(run(sign_ins, requests))
}

fn percentiles(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort();
    let at = |q: f64| {
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples[i].as_secs_f64() * 1000.0
    };
    (
        at(0.5),
        at(0.99),
        samples.iter().map(Duration::as_secs_f64).sum::<f64>() * 1000.0 / samples.len() as f64,
    )
}

fn report(label: &str, samples: Vec<Duration>) -> f64 {
    let n = samples.len();
    let (p50, p99, mean) = percentiles(samples);
    println!("{label:<44} n={n:>5}  p50 {p50:>8.3} ms  p99 {p99:>8.3} ms  mean {mean:>8.3} ms");
    p50
}

async fn run(sign_ins: usize, requests: usize) -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let config = Config {
        data_dir: data.path().to_path_buf(),
        listen: "127.0.0.1:0".parse()?,
        plugins_dir: root.join("dist/plugins"),
        cache_dir: data.path().join("cache"),
        log: "warn".into(),
        limits: PluginLimits::default(),
        allow_signup: false,
        secure_cookies: false,
        max_upload_bytes: 64 << 20,
        max_attachment_bytes: 1 << 20,
        sandbox: false,
        ..Config::defaults()
    };
    let state = server::build_state(&config, &config.public_url_for(config.listen)).await?;
    let running = server::serve(
        tokio::net::TcpListener::bind("127.0.0.1:0").await?,
        state.clone(),
    )?;
    let base = format!("http://{}", running.addr);
    let client = reqwest::Client::new();
    let token = common::set_up_owner(&base, "Bench").await?.token;

    // The stored hash's parameters, checked against the floor.
    let phc: String = sqlx::query_scalar("SELECT password_hash FROM users LIMIT 1")
        .fetch_one(&hearth_host::db::open(data.path()).await?)
        .await?;
    let params: std::collections::HashMap<&str, u32> = phc
        .split('$')
        .nth(3)
        .unwrap_or_default()
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .filter_map(|(k, v)| Some((k, v.parse().ok()?)))
        .collect();
    println!(
        "stored hash: argon2id m={} KiB t={} p={}",
        params["m"], params["t"], params["p"]
    );
    anyhow::ensure!(phc.starts_with("$argon2id$"), "not argon2id: {phc}");
    anyhow::ensure!(
        params["m"] >= 19 * 1024 && params["t"] >= 2 && params["p"] >= 1,
        "argon2 parameters below OWASP's floor (m=19 MiB, t=2, p=1): {phc}"
    );

    // Argon2 alone, then the whole sign-in over HTTP.
    let samples = (0..sign_ins)
        .map(|_| {
            let t = Instant::now();
            password::verify(common::PASSWORD, &phc);
            t.elapsed()
        })
        .collect();
    report("argon2id verify (in process)", samples);
    let mut samples = Vec::new();
    for _ in 0..sign_ins {
        let t = Instant::now();
        let r = client
            .post(format!("{base}/api/auth/sign-in"))
            .json(&json!({"username": "bench", "password": common::PASSWORD}))
            .send()
            .await?;
        anyhow::ensure!(r.status() == 200, "sign-in failed: {}", r.status());
        r.bytes().await?;
        samples.push(t.elapsed());
    }
    report("sign-in over HTTP", samples);

    // The same trivial handler work, public and signed in.
    let timed = |path: &'static str, auth: bool| {
        let (client, base, token) = (client.clone(), base.clone(), token.clone());
        async move {
            let mut samples = Vec::with_capacity(requests);
            for _ in 0..requests {
                let t = Instant::now();
                let mut r = client.get(format!("{base}{path}"));
                if auth {
                    r = r.bearer_auth(&token);
                }
                let r = r.send().await?;
                anyhow::ensure!(r.status() == 200, "{path}: {}", r.status());
                r.bytes().await?;
                samples.push(t.elapsed());
            }
            Ok::<_, anyhow::Error>(samples)
        }
    };
    let public = report(
        "GET /api/health (public)",
        timed("/api/health", false).await?,
    );
    let signed = report(
        "GET /api/plugins (bearer token)",
        timed("/api/plugins", true).await?,
    );
    println!(
        "authentication overhead per request (p50 difference): {:.3} ms",
        signed - public
    );

    // In process: token + session check, and the grant check.
    let caller = state
        .auth
        .authenticate(Presented {
            bearer: Some(&token),
            ..Default::default()
        })
        .await?;
    let profile = state.auth.profiles(&caller).await?[0].id.clone();
    let mut auth_samples = Vec::with_capacity(requests);
    let mut grant_samples = Vec::with_capacity(requests);
    for _ in 0..requests {
        let t = Instant::now();
        state
            .auth
            .authenticate(Presented {
                bearer: Some(&token),
                ..Default::default()
            })
            .await?;
        auth_samples.push(t.elapsed());
        let t = Instant::now();
        state
            .auth
            .access(&caller, &profile, ProfileRole::Viewer)
            .await?;
        grant_samples.push(t.elapsed());
    }
    report("authenticate (JWT + session row, in process)", auth_samples);
    report("profile grant check (in process)", grant_samples);
    Ok(())
}
