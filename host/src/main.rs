//! The `hearth` command: serve the host, run the sandbox provider, generate patients.

use anyhow::Context;
use clap::{Parser, Subcommand};
use hearth_host::config::Config;
use hearth_sandbox::{self as sandbox, SandboxData, SandboxOptions};
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
        /// Skip the login and consent pages: authorization redirects at once with a code.
        #[arg(long)]
        auto_approve: bool,
        /// Password of the sandbox login page.
        #[arg(long, default_value = "sandbox")]
        password: String,
        /// Answer 404 for .well-known/smart-configuration (clients must read metadata).
        #[arg(long)]
        no_smart_configuration: bool,
        /// Let clients register themselves (RFC 7591 at /oauth/register), as a custom provider might.
        #[arg(long)]
        dynamic_registration: bool,
        /// Wait this long before every FHIR answer (to watch a sync's progress).
        #[arg(long, default_value_t = 0)]
        delay_ms: u64,
    },
    /// Manage accounts from the server's console (when no one can sign in).
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Copy the whole instance (database, keys, attachments) into one file; safe while the server runs.
    Backup {
        /// The backup file to write (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Replace the instance with a backup. The server must be stopped.
    Restore {
        /// The backup file.
        #[arg(long)]
        from: PathBuf,
        /// Replace an existing instance (its files are moved to `before-restore-<time>/`).
        #[arg(long)]
        force: bool,
    },
    /// The provider catalog.
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
    /// Print the API's OpenAPI 3.1 description (JSON) to stdout.
    Openapi,
    /// Write one generated patient as a FHIR collection Bundle.
    /// A language model run on this machine for chat.
    #[command(subcommand)]
    Model(ModelCommand),
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

#[derive(Subcommand)]
enum CatalogCommand {
    /// Write one connector package per platform from a fasten-sources folder
    /// (`catalog/*.json`, `definitions/platform/*.yaml`) into the plugins folder.
    Import {
        /// The fasten-sources folder.
        dir: PathBuf,
        /// Plugins folder to write (default: the configured `plugins_dir`); must hold the `fhir-r4` package.
        #[arg(long)]
        plugins: Option<PathBuf>,
        /// Make the installed catalog exactly this one (other platforms' packages are removed);
        /// by default the import is merged into what is installed.
        #[arg(long)]
        replace: bool,
    },
}

#[derive(Subcommand)]
enum ModelCommand {
    /// Serve a GGUF model (llama architecture, ChatML template, e.g.
    /// SmolLM2-135M-Instruct) on loopback as an OpenAI-compatible chat endpoint
    /// (`POST /v1/chat/completions`). `hearth serve` does this itself when
    /// `local_model` is set.
    Serve {
        /// The model file.
        #[arg(long)]
        model: PathBuf,
        /// Loopback address to listen on.
        #[arg(long, default_value = "127.0.0.1:8089")]
        listen: std::net::SocketAddr,
    },
    /// Answer one question with the model, as a check that it loads and writes.
    Ask {
        /// The model file.
        #[arg(long)]
        model: PathBuf,
        /// The question.
        question: String,
        /// Most tokens to write.
        #[arg(long, default_value_t = 128)]
        max_tokens: usize,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account. The password is read from the terminal (or one line of stdin).
    Add {
        /// Sign-in name.
        #[arg(long)]
        username: String,
        /// Name shown in the UI.
        #[arg(long)]
        display_name: Option<String>,
        /// Make the account an administrator.
        #[arg(long)]
        admin: bool,
    },
    /// Set a new password (read like `add`) and end the account's sessions.
    ResetPassword {
        /// Sign-in name.
        #[arg(long)]
        username: String,
        /// Also turn off two-factor sign-in (a lost authenticator).
        #[arg(long)]
        disable_totp: bool,
        /// Also re-enable the account if it was disabled.
        #[arg(long)]
        enable: bool,
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
            auto_approve,
            password,
            no_smart_configuration,
            dynamic_registration,
            delay_ms,
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
            options.auto_approve = auto_approve;
            options.password = password;
            options.smart_configuration = !no_smart_configuration;
            options.dynamic_registration = dynamic_registration;
            if delay_ms > 0 {
                options
                    .faults
                    .slow(Some(std::time::Duration::from_millis(delay_ms)));
            }
            runtime.block_on(run_sandbox(listen, data, options))
        }
        Command::User { command } => {
            let config = Config::load(cli.config.as_deref(), std::env::vars())?;
            init_logging("warn");
            runtime.block_on(user_command(config, command))
        }
        Command::Catalog {
            command:
                CatalogCommand::Import {
                    dir,
                    plugins,
                    replace,
                },
        } => {
            init_logging("warn");
            let plugins = match plugins {
                Some(p) => p,
                None => Config::load(cli.config.as_deref(), std::env::vars())?.plugins_dir,
            };
            use hearth_host::catalog::package::{ImportMode, import};
            let mode = if replace {
                ImportMode::Replace
            } else {
                ImportMode::Merge
            };
            let report = import(&dir, &plugins, mode)?;
            let endpoints: usize = report.packages.values().sum();
            println!(
                "wrote {} connector packages ({} endpoints, {} brands) into {}",
                report.packages.len(),
                endpoints,
                report.brands,
                plugins.display()
            );
            for (platform, n) in &report.packages {
                println!("  {platform}: {n} endpoints");
            }
            for platform in &report.removed {
                println!("  removed {platform} (no endpoints any more)");
            }
            Ok(())
        }
        Command::Backup { out } => {
            let config = Config::load(cli.config.as_deref(), std::env::vars())?;
            init_logging("warn");
            let s = runtime.block_on(hearth_host::backup::backup(&config.data_dir, &out))?;
            println!(
                "backed up {} resources and {} attachments to {} ({} bytes)",
                s.resources,
                s.attachments,
                out.display(),
                s.bytes
            );
            Ok(())
        }
        Command::Restore { from, force } => {
            let config = Config::load(cli.config.as_deref(), std::env::vars())?;
            init_logging("warn");
            let s =
                runtime.block_on(hearth_host::backup::restore(&config.data_dir, &from, force))?;
            println!(
                "restored {} resources and {} attachments into {}",
                s.resources,
                s.attachments,
                config.data_dir.display()
            );
            Ok(())
        }
        Command::Openapi => {
            println!("{}", hearth_host::api::openapi::document_json());
            Ok(())
        }
        Command::Model(ModelCommand::Serve { model, listen }) => {
            init_logging("info");
            anyhow::ensure!(
                listen.ip().is_loopback(),
                "{listen} is not a loopback address: the model answers anyone who reaches it"
            );
            runtime.block_on(async move {
                let started = std::time::Instant::now();
                let loaded = tokio::task::spawn_blocking(move || {
                    hearth_localmodel::LocalModel::load(&model)
                })
                .await??;
                let listener = tokio::net::TcpListener::bind(listen)
                    .await
                    .with_context(|| format!("listening on {listen}"))?;
                println!(
                    "{} loaded in {} ms; OpenAI-compatible chat at http://{listen}/v1",
                    loaded.name(),
                    started.elapsed().as_millis()
                );
                axum::serve(
                    listener,
                    hearth_localmodel::server::router(std::sync::Arc::new(loaded)),
                )
                .await?;
                anyhow::Ok(())
            })
        }
        Command::Model(ModelCommand::Ask {
            model,
            question,
            max_tokens,
        }) => {
            let loaded = hearth_localmodel::LocalModel::load(&model)?;
            let started = std::time::Instant::now();
            let done = loaded.chat(
                &[hearth_localmodel::Message {
                    role: "user".into(),
                    content: question,
                }],
                max_tokens,
                |piece| {
                    use std::io::Write;
                    print!("{piece}");
                    std::io::stdout().flush().is_ok()
                },
            )?;
            let seconds = started.elapsed().as_secs_f64();
            println!(
                "\n\n{} prompt tokens, {} written in {seconds:.1} s",
                done.prompt_tokens, done.completion_tokens
            );
            Ok(())
        }
        Command::Generate {
            seed,
            resources,
            out,
        } => {
            let patient = hearth_synth::generate_patient(&hearth_synth::PatientSpec {
                seed,
                target_resources: resources,
            });
            let text = serde_json::to_string_pretty(&hearth_synth::collection_bundle(&patient))?;
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

async fn user_command(config: Config, command: UserCommand) -> anyhow::Result<()> {
    use hearth_host::auth::users::{NewUser, UserChanges};
    use hearth_host::auth::{ClientInfo, UserRole};
    let auth = hearth_host::server::console_auth(&config).await?;
    match command {
        UserCommand::Add {
            username,
            display_name,
            admin,
        } => {
            let password = read_password()?;
            let user = auth
                .console_add_user(NewUser {
                    username,
                    password,
                    display_name,
                    role: Some(if admin {
                        UserRole::Admin
                    } else {
                        UserRole::Member
                    }),
                })
                .await?;
            println!("created {} ({})", user.username, user.role.as_str());
        }
        UserCommand::ResetPassword {
            username,
            disable_totp,
            enable,
        } => {
            let user = auth.user_by_name(&username).await?;
            let password = read_password()?;
            auth.reset_password(None, &user.id, &password, &ClientInfo::console())
                .await?;
            if disable_totp {
                auth.clear_totp(&user.id).await?;
            }
            if enable && user.disabled {
                auth.console_update_user(
                    &user.id,
                    UserChanges {
                        display_name: None,
                        role: None,
                        disabled: Some(false),
                    },
                )
                .await?;
            }
            println!(
                "new password set for {}; their sessions have ended",
                user.username
            );
        }
    }
    Ok(())
}

/// A new password: prompted twice on a terminal, else one line of stdin.
fn read_password() -> anyhow::Result<String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("New password: ")?;
        let again = rpassword::prompt_password("Again: ")?;
        anyhow::ensure!(first == again, "the passwords differ");
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
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
    let _lock = hearth_host::backup::InstanceLock::acquire(&config.data_dir)?;
    // Idle clients cost a descriptor each; take all the system allows before capping them.
    let open_files = hearth_host::listener::raise_open_file_limit();
    tracing::debug!(?open_files, "open-file limit");
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
    let clients: Vec<String> = options.clients.iter().map(|c| c.id.clone()).collect();
    let login = if options.auto_approve {
        "approved automatically".to_string()
    } else {
        format!("password {:?}", options.password)
    };
    let running = sandbox::start(listener, data, options)?;
    let root = format!("http://{}", running.addr);
    println!("Hearth sandbox: FHIR R4 at {}", running.base_url);
    println!("  the same patients as FHIR DSTU3 at {root}/dstu3");
    println!(
        "SMART: client id {} (public, PKCE, any redirect URI); sign-in {login}",
        clients.join(", ")
    );
    println!("  authorize {root}/oauth/authorize, token {root}/oauth/token");
    println!("bearer token (every patient): {token}");
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
