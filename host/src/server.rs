//! Starting the host: data folder, database, keys, plugins, then the API.

use crate::api::{self, AppState};
use crate::auth::Auth;
use crate::auth::tokens::TokenKeys;
use crate::config::Config;
use crate::config::join_url;
use crate::jobs::{Events, Jobs};
use crate::listener::ConnectionLimits;
use crate::plugins::Plugins;
use crate::records::RecordStore;
use crate::secrets::{TokenCipher, create_private_dir};
use crate::smart::SmartClient;
use crate::sources::{Connections, Sources};
use anyhow::Context;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Everything the running host holds; `public_url` is where browsers reach it.
pub async fn build_state(config: &Config, public_url: &url::Url) -> anyhow::Result<AppState> {
    create_private_dir(&config.data_dir)
        .with_context(|| format!("creating the data folder {}", config.data_dir.display()))?;
    let db = crate::db::open(&config.data_dir).await?;
    let cipher = TokenCipher::load_or_create(&config.data_dir)?;
    let keys = TokenKeys::load_or_create(&config.data_dir)?;
    let auth = Auth::new(db.clone(), keys, cipher.clone(), config.allow_signup)?;
    auth.prune_sessions().await?;
    let plugins = Plugins::new(config.limits.clone())
        .map_err(|e| anyhow::anyhow!("starting the plugin engine: {e:#}"))?;
    plugins
        .load_dir(
            &config.plugins_dir,
            &config.data_dir.join("cache").join("plugins"),
        )
        .await;
    let sandbox_root = config.sandbox_root(public_url);
    let catalog = Arc::new(crate::catalog::Catalog::new(
        &plugins,
        sandbox_root.as_ref().map(|u| u.as_str()),
    ));
    let plugins = Arc::new(plugins);
    let records = RecordStore::new(db.clone());
    crate::records::staging::discard_abandoned(&db).await?;
    records.reindex_stale().await?;
    // One outbound address policy for discovery, tokens and syncs alike; the
    // catalog's sandbox is reachable even when it runs on this machine.
    let policy = crate::sources::ProviderPolicy {
        reach: crate::reach::Reach {
            allow_private: config.allow_private_provider_addresses,
            exempt: sandbox_root
                .as_ref()
                .and_then(|root| {
                    Some((
                        root.host_str()?.to_lowercase(),
                        root.port_or_known_default()?,
                    ))
                })
                .into_iter()
                .collect(),
        },
        allow_open_servers: config.allow_open_servers,
    };
    let smart = SmartClient::new(
        &join_url(public_url, "api/smart/callback"),
        policy.reach.clone(),
    )?;
    let chat = crate::chat::Chat::new(db.clone(), records.clone(), plugins.clone(), cipher.clone())
        .with_local_model(
            config
                .local_model
                .as_ref()
                .map(|_| format!("http://{}/v1", config.local_model_listen)),
        );
    let sources = Arc::new(
        Sources::new(db, records.clone(), cipher, plugins.clone())
            .with_connections(
                Connections {
                    smart,
                    catalog: catalog.clone(),
                    clients: config.clients.clone(),
                },
                config.sync_interval,
            )
            .with_policy(policy),
    );
    sources.recover_interrupted().await?;
    let jobs = Arc::new(Jobs::new(
        sources.clone(),
        Events::default(),
        config.sync_retry,
    ));
    jobs.recover().await?;
    // Mounted only when this host serves the sandbox itself (not when `sandbox_url` points elsewhere).
    let sandbox = match (&config.sandbox_url, config.sandbox, &sandbox_root) {
        (None, true, Some(root)) => Some(hearth_sandbox::router_at(
            root.as_str(),
            hearth_sandbox::SandboxData::generated(1, 3, 1500),
            // Its one client may send people back only to this host's own callback, so its
            // sign-in page cannot be used to bounce a browser to any other site.
            hearth_sandbox::SandboxOptions {
                clients: vec![hearth_sandbox::SandboxClient::public(
                    crate::smart::SANDBOX_CLIENT_ID,
                    vec![join_url(public_url, "api/smart/callback").to_string()],
                )],
                ..hearth_sandbox::SandboxOptions::with_random_token()
            },
        )),
        _ => None,
    };
    let files = crate::files::Files::open(&config.data_dir)
        .with_context(|| format!("opening the file areas under {}", config.data_dir.display()))?;
    let removals = crate::removals::Removals::new(records.clone(), config.keep_removed);
    let dashboards =
        crate::dashboards::Dashboards::new(records.db().clone(), records.clone(), plugins.clone());
    Ok(AppState {
        chat,
        removals,
        dashboards,
        recommendations: crate::recommendations::Recommendations::new(
            records.db().clone(),
            records.clone(),
            plugins.clone(),
        ),
        files,
        max_upload_bytes: config.max_upload_bytes,
        max_attachment_bytes: config.max_attachment_bytes,
        auth: Arc::new(auth),
        // Over https the cookies are Secure whatever the setting says.
        secure_cookies: config.secure_cookies || public_url.scheme() == "https",
        hsts: public_url.scheme() == "https",
        sources,
        records,
        plugins,
        catalog,
        jobs,
        sync_interval: config.sync_interval,
        sandbox,
        web: crate::web::router(config.web_dir.as_deref()),
        trusted_proxies: config.trusted_proxies.clone().into(),
        imports: Arc::new(tokio::sync::Semaphore::new(api::MAX_CONCURRENT_IMPORTS)),
        data_dir: config.data_dir.clone(),
    })
}

/// The account service alone, for console commands (`hearth user ...`). Safe
/// while the server runs: SQLite in WAL mode takes both.
pub async fn console_auth(config: &Config) -> anyhow::Result<Auth> {
    create_private_dir(&config.data_dir)
        .with_context(|| format!("creating the data folder {}", config.data_dir.display()))?;
    let db = crate::db::open(&config.data_dir).await?;
    let cipher = TokenCipher::load_or_create(&config.data_dir)?;
    let keys = TokenKeys::load_or_create(&config.data_dir)?;
    Ok(Auth::new(db, keys, cipher, config.allow_signup)?)
}

/// A host serving on a bound listener.
pub struct Running {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// The serving task; ends when `shutdown` fires.
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
    shutdown: tokio_util::sync::CancellationToken,
}

impl Running {
    /// Ask the server to stop after in-flight requests finish.
    pub fn shutdown(&mut self) {
        self.shutdown.cancel();
    }
}

/// Build the host from `config` and serve on `config.listen`.
pub async fn start(config: &Config) -> anyhow::Result<Running> {
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let public_url = config.public_url_for(listener.local_addr()?);
    let state = build_state(config, &public_url).await?;
    if let Some(path) = &config.local_model {
        start_local_model(path.clone(), config.local_model_listen);
    }
    serve_with(listener, state, config.connections)
}

/// Load the model at `path` and serve it on `listen` (loopback) in the
/// background. A model that does not load, or an address that is taken, is
/// logged and left out; the host serves on without it.
pub fn start_local_model(path: std::path::PathBuf, listen: SocketAddr) {
    tokio::spawn(async move {
        let started = std::time::Instant::now();
        let shown = path.display().to_string();
        let loaded =
            tokio::task::spawn_blocking(move || hearth_localmodel::LocalModel::load(&path)).await;
        let model = match loaded {
            Ok(Ok(m)) => Arc::new(m),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "the local model was not loaded; chat can still use other endpoints");
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, model = %shown, "loading the local model failed");
                return;
            }
        };
        let listener = match TcpListener::bind(listen).await {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(error = %e, %listen, "the local model cannot listen there");
                return;
            }
        };
        tracing::info!(
            model = %model.name(),
            endpoint = %format!("http://{listen}/v1"),
            ms = started.elapsed().as_millis() as u64,
            "local model serving on loopback"
        );
        if let Err(e) = axum::serve(listener, hearth_localmodel::server::router(model)).await {
            tracing::error!(error = %e, "the local model stopped serving");
        }
    });
}

/// Serve `state` on an already bound listener with the default connection limits.
pub fn serve(listener: TcpListener, state: AppState) -> anyhow::Result<Running> {
    serve_with(listener, state, ConnectionLimits::default())
}

/// Serve `state` on an already bound listener within `limits`.
pub fn serve_with(
    listener: TcpListener,
    state: AppState,
    limits: ConnectionLimits,
) -> anyhow::Result<Running> {
    let addr = listener.local_addr()?;
    // Syncs are queued, retried and re-run on schedule while the host serves.
    let scheduler = state
        .jobs
        .start(state.sync_interval, std::time::Duration::from_secs(5));
    // What people removed is deleted for good once its keeping time is over.
    let purger = tokio::spawn({
        let (removals, files) = (state.removals.clone(), state.files.clone());
        async move {
            loop {
                match removals.purge_due(&files, chrono::Utc::now()).await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::info!(removals = n, "removed things kept past their time deleted")
                    }
                    Err(e) => tracing::error!(error = %e, "deleting expired removals failed"),
                }
                tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
            }
        }
    });
    let shutdown = tokio_util::sync::CancellationToken::new();
    let app = api::router(state);
    let task = tokio::spawn({
        let shutdown = shutdown.clone();
        async move {
            let served = crate::listener::serve(listener, app, limits, shutdown).await;
            scheduler.abort();
            purger.abort();
            served
        }
    });
    tracing::info!(%addr, max_connections = limits.cap_for(crate::listener::open_file_limit()), "Hearth is listening");
    Ok(Running {
        addr,
        task,
        shutdown,
    })
}
