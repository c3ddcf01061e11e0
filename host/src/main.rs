//! The `hearth` command: serve the host, run the sandbox provider, generate patients.

use anyhow::Context;
use clap::{Parser, Subcommand};
use hearth_host::config::Config;
use hearth_host::sandbox::{self, SandboxData, SandboxOptions};
use std::path::PathBuf;

// Ingest is allocation-heavy (JSON in and out); mimalloc roughly halves the
// parse cost of the native path in the ingest benchmark.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "hearth",
    version,
    about = "Hearth: your family's health records, at home"
)]
struct Cli {
    /// Config file (TOML); `HEARTH_*` environment variables override it.
    #[arg(long, global = true, env = "HEARTH_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server (the default).
    Serve,
    /// Serve a FHIR R4 sandbox provider on loopback over synthetic patients.
    Sandbox {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:9191")]
        listen: std::net::SocketAddr,
        /// Bearer token clients must present (random if not given).
        #[arg(long)]
        token: Option<String>,
        /// Folder of FHIR Bundles, one patient each (Synthea output works as is).
        #[arg(long, conflicts_with_all = ["patients", "resources"])]
        bundles: Option<PathBuf>,
        /// Number of generated patients.
        #[arg(long, default_value_t = 3)]
        patients: usize,
        /// Resources per generated patient.
        #[arg(long, default_value_t = 2000)]
        resources: usize,
        /// Generator seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Do not offer Patient/$everything (connectors must search per type).
        #[arg(long)]
        no_everything: bool,
    },
    /// Write one generated patient as a FHIR collection Bundle.
    Generate {
        /// Generator seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// About how many resources.
        #[arg(long, default_value_t = 1000)]
        resources: usize,
        /// Output file (`-` for stdout).
        #[arg(long, default_value = "-")]
        out: PathBuf,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let config = Config::load(cli.config.as_deref(), std::env::vars())?;
            init_logging(&config.log);
            runtime.block_on(serve(config))
        }
        Command::Sandbox {
            listen,
            token,
            bundles,
            patients,
            resources,
            seed,
            no_everything,
        } => {
            init_logging("info");
            let data = match bundles {
                Some(dir) => SandboxData::from_bundle_dir(&dir)?,
                None => SandboxData::generated(seed, patients, resources),
            };
            let mut options = SandboxOptions::with_random_token();
            if let Some(token) = token {
                options.token = token;
            }
            options.everything = !no_everything;
            runtime.block_on(run_sandbox(listen, data, options))
        }
        Command::Generate {
            seed,
            resources,
            out,
        } => {
            let patient = hearth_host::synth::generate_patient(&hearth_host::synth::PatientSpec {
                seed,
                target_resources: resources,
            });
            let text =
                serde_json::to_string_pretty(&hearth_host::synth::collection_bundle(&patient))?;
            if out.as_os_str() == "-" {
                println!("{text}");
            } else {
                std::fs::write(&out, text).with_context(|| format!("writing {}", out.display()))?;
                eprintln!("wrote {} resources to {}", patient.len(), out.display());
            }
            Ok(())
        }
    }
}

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .init();
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let mut running = hearth_host::server::start(&config).await?;
    tokio::select! {
        result = &mut running.task => { result??; }
        _ = shutdown_signal() => {
            tracing::info!("shutting down");
            running.shutdown();
            running.task.await??;
        }
    }
    Ok(())
}

async fn run_sandbox(
    listen: std::net::SocketAddr,
    data: SandboxData,
    options: SandboxOptions,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let patients = data.patients();
    let token = options.token.clone();
    let running = sandbox::start(listener, data, options)?;
    println!("Hearth sandbox: FHIR R4 at {}", running.base_url);
    println!("bearer token: {token}");
    for (id, count) in patients {
        println!("patient {id}: {count} resources");
    }
    tokio::select! {
        result = running.task => { result??; }
        _ = shutdown_signal() => {}
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
