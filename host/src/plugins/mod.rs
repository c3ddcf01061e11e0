//! The plugin host: discovers plugin packages, checks their manifests, compiles
//! (or loads precompiled) components, and runs calls under limits.
//!
//! A package is a folder holding `plugin.toml` and `plugin.wasm`. A package that
//! fails to load is reported (see [`Plugins::failures`]) and the rest load.

pub mod call;
pub mod connector_v0_1_0;
pub mod engine;
pub mod manifest;
pub mod outbound;
pub mod ports;

use crate::config::PluginLimits;
use call::{CallState, PluginFailure, SinkState, classify, new_store};
use connector_v0_1_0::{ConnectorInfo, ConnectorPre, SyncSummary};
use engine::{CacheUse, PluginEngine};
use manifest::Manifest;
use outbound::{Origin, Outbound};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use wasmtime::component::Linker;

/// A plugin that loaded and answered `info()`.
pub struct LoadedPlugin {
    /// Its manifest.
    pub manifest: Manifest,
    /// SHA-256 of `plugin.wasm`, hex.
    pub sha256: String,
    /// Whether it came from the precompiled cache this start.
    pub cache: CacheUse,
    /// What the component says about itself.
    pub info: ConnectorInfo,
    /// The package folder.
    pub folder: PathBuf,
    pre: ConnectorPre<CallState>,
}

/// A package that could not be loaded, and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LoadFailure {
    /// The package folder.
    #[schema(value_type = String)]
    pub path: PathBuf,
    /// What was wrong.
    pub reason: String,
}

/// A summary of a loaded plugin for the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PluginSummary {
    /// Plugin id.
    pub id: String,
    /// Version.
    pub version: String,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: manifest::Kind,
    /// WIT package version.
    pub wit: String,
    /// SHA-256 of the component.
    pub sha256: String,
    /// Declared permissions.
    pub permissions: manifest::Permissions,
}

/// What a connector call needs besides the context.
pub struct SyncCall {
    /// What to sync, handed to the plugin.
    pub context: SyncTarget,
    /// Origins the plugin may reach.
    pub allowed: Vec<Origin>,
    /// Which addresses those origins may resolve to.
    pub reach: crate::reach::Reach,
    /// The bearer token the host attaches to permitted requests.
    pub bearer_token: Option<String>,
    /// Told after every stored batch.
    pub on_batch: Option<call::OnBatch>,
}

/// What a connector is asked to sync: the domain's words for the world's
/// `sync-context`, so binding types stay inside the plugin layer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncTarget {
    /// The host's id for the source being synced.
    pub source_id: String,
    /// FHIR base URL of the provider, without a trailing slash.
    pub fhir_base_url: String,
    /// The patient's id on the provider's FHIR server.
    pub patient_id: String,
    /// The last cursor the connector checkpointed, if a previous sync stopped part-way.
    pub cursor: Option<String>,
    /// Connector settings as key/value pairs.
    pub settings: Vec<(String, String)>,
}

impl From<&SyncTarget> for connector_v0_1_0::SyncContext {
    fn from(t: &SyncTarget) -> Self {
        connector_v0_1_0::SyncContext {
            source_id: t.source_id.clone(),
            fhir_base_url: t.fhir_base_url.clone(),
            patient_id: t.patient_id.clone(),
            cursor: t.cursor.clone(),
            settings: t.settings.clone(),
        }
    }
}

/// The result of a successful connector sync.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct SyncReport {
    /// What the plugin says it did.
    pub strategy: String,
    /// Resources the plugin emitted and the host accepted.
    pub emitted: u64,
    /// Of those, new or changed and written.
    pub stored: u64,
    /// Of those, identical to what was stored.
    pub unchanged: u64,
    /// HTTP requests the host let through.
    pub requests: u32,
    /// Resources the host refused (not valid R4), per type; none were stored.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty", default)]
    pub rejected: Rejections,
}

impl SyncReport {
    /// Add the counts of another run (a sync resumed after a token refresh).
    pub fn add(&mut self, other: &SyncReport) {
        self.emitted += other.emitted;
        self.stored += other.stored;
        self.unchanged += other.unchanged;
        self.requests += other.requests;
        for (ty, r) in &other.rejected {
            self.rejected
                .entry(ty.clone())
                .and_modify(|mine| mine.count += r.count)
                .or_insert_with(|| r.clone());
        }
    }
}

/// Refused resources per `resourceType`.
pub type Rejections = std::collections::BTreeMap<String, Rejected>;

/// Resources of one type a connector sent that were not valid R4.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Rejected {
    /// How many.
    pub count: u64,
    /// The first one, as `Type/id`.
    pub example: String,
    /// Where it was wrong (a FHIRPath-like path in the resource).
    pub path: String,
    /// Why.
    pub reason: String,
}

/// Progress of a failed sync, kept for the record.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct PartialProgress {
    /// Resources accepted before the failure.
    pub emitted: u64,
    /// Of those, new or changed.
    pub stored: u64,
    /// The longest `Retry-After` the provider asked for, in seconds.
    pub retry_after_secs: Option<u64>,
    /// Whether the provider answered 401 (the access token expired or was revoked).
    pub unauthorized: bool,
}

/// What one scan of the plugins folder found.
#[derive(Default)]
struct Registry {
    loaded: BTreeMap<String, Arc<LoadedPlugin>>,
    failures: Vec<LoadFailure>,
}

/// The loaded plugins and the machinery to call them.
pub struct Plugins {
    engine: PluginEngine,
    linker: Linker<CallState>,
    limits: PluginLimits,
    /// Replaced whole by a reload; a sync holds its plugin's `Arc` and finishes on the old one.
    registry: std::sync::RwLock<Arc<Registry>>,
    /// Where the last load read packages from and cached compiled code, for [`Plugins::reload`].
    folders: std::sync::Mutex<Option<(PathBuf, PathBuf)>>,
    /// Components by SHA-256: catalog packages share one component, compiled and held once.
    components: std::sync::Mutex<std::collections::HashMap<String, wasmtime::component::Component>>,
}

impl Plugins {
    /// A host with no plugins loaded yet.
    pub fn new(limits: PluginLimits) -> wasmtime::Result<Plugins> {
        let engine = PluginEngine::new()?;
        let mut linker = Linker::new(engine.engine());
        // WASI without preopens, env or sockets (see CallState::new), wasi:http through the outbound policy.
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        connector_v0_1_0::add_to_linker(&mut linker)?;
        Ok(Plugins {
            engine,
            linker,
            limits,
            registry: Default::default(),
            folders: Default::default(),
            components: Default::default(),
        })
    }

    /// Load every package folder under `dir`, caching compiled code in
    /// `cache_dir`; what was loaded before is replaced.
    pub async fn load_dir(&self, dir: &Path, cache_dir: &Path) {
        if let Ok(mut folders) = self.folders.lock() {
            *folders = Some((dir.to_path_buf(), cache_dir.to_path_buf()));
        }
        let registry = self.scan(dir, cache_dir).await;
        if let Ok(mut current) = self.registry.write() {
            *current = Arc::new(registry);
        }
    }

    /// Scan the folder of the last [`Plugins::load_dir`] again: new and
    /// changed packages load (a component already compiled is reused),
    /// removed ones go. Syncs already running finish on what they started with.
    pub async fn reload(&self) {
        let folders = self.folders.lock().ok().and_then(|f| f.clone());
        if let Some((dir, cache_dir)) = folders {
            self.load_dir(&dir, &cache_dir).await;
        }
    }

    async fn scan(&self, dir: &Path, cache_dir: &Path) -> Registry {
        let mut registry = Registry::default();
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => {
                tracing::warn!(dir = %dir.display(), error = %e, "no plugins loaded: cannot read the plugins folder");
                return registry;
            }
        };
        let mut folders: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        folders.sort();
        for folder in folders {
            match self.load_package(&folder, cache_dir).await {
                Ok(plugin) => {
                    tracing::info!(plugin = %plugin.manifest.label(), cache = ?plugin.cache, "plugin loaded");
                    let id = plugin.manifest.id.clone();
                    if registry
                        .loaded
                        .insert(id.clone(), Arc::new(plugin))
                        .is_some()
                    {
                        registry.failures.push(LoadFailure {
                            path: folder.clone(),
                            reason: format!("a second package with id {id:?}; the later one replaced the earlier"),
                        });
                    }
                }
                Err(reason) => {
                    tracing::error!(package = %folder.display(), %reason, "plugin not loaded");
                    registry.failures.push(LoadFailure {
                        path: folder,
                        reason,
                    });
                }
            }
        }
        registry
    }

    fn current(&self) -> Arc<Registry> {
        match self.registry.read() {
            Ok(r) => r.clone(),
            // A panic while swapping left the lock poisoned; the value is still whole.
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    async fn load_package(&self, folder: &Path, cache_dir: &Path) -> Result<LoadedPlugin, String> {
        let manifest_path = folder.join("plugin.toml");
        let text = std::fs::read_to_string(&manifest_path)
            .map_err(|e| format!("{}: {e}", manifest_path.display()))?;
        let manifest =
            Manifest::parse(&text).map_err(|e| format!("{}: {e}", manifest_path.display()))?;
        let wasm_path = folder.join("plugin.wasm");
        let wasm =
            std::fs::read(&wasm_path).map_err(|e| format!("{}: {e}", wasm_path.display()))?;
        let sha256 = hex::encode(Sha256::digest(&wasm));
        let known = self
            .components
            .lock()
            .ok()
            .and_then(|c| c.get(&sha256).cloned());
        let (component, cache) = match known {
            Some(component) => (component, CacheUse::Shared),
            None => {
                let (component, cache) =
                    self.engine.load_component(&wasm, cache_dir).map_err(|e| {
                        format!("{}: not a loadable component: {e:#}", wasm_path.display())
                    })?;
                if let Ok(mut c) = self.components.lock() {
                    c.insert(sha256.clone(), component.clone());
                }
                (component, cache)
            }
        };
        let instance_pre = self.linker.instantiate_pre(&component).map_err(|e| {
            format!(
                "{}: imports something this host does not provide: {e:#}",
                wasm_path.display()
            )
        })?;
        let pre = ConnectorPre::new(instance_pre).map_err(|e| {
            format!(
                "{}: does not export the connector world: {e:#}",
                wasm_path.display()
            )
        })?;
        let label = manifest.label();
        let info = self
            .call_info(&pre, &label)
            .await
            .map_err(|e| e.to_string())?;
        if info.id != manifest.component_id() || info.version != manifest.version {
            return Err(format!(
                "the component says it is {}@{}, the manifest says {}@{}",
                info.id,
                info.version,
                manifest.component_id(),
                manifest.version
            ));
        }
        Ok(LoadedPlugin {
            manifest,
            sha256,
            cache,
            info,
            folder: folder.to_path_buf(),
            pre,
        })
    }

    async fn call_info(
        &self,
        pre: &ConnectorPre<CallState>,
        label: &str,
    ) -> Result<ConnectorInfo, PluginFailure> {
        let limits = PluginLimits {
            timeout: std::time::Duration::from_secs(5).min(self.limits.timeout),
            ..self.limits.clone()
        };
        let state = CallState::new(
            label.to_string(),
            &limits,
            Outbound::new(vec![], None),
            None,
        );
        let mut store = new_store(self.engine.engine(), state, &limits);
        let outcome = tokio::time::timeout(limits.timeout, async {
            let connector = pre.instantiate_async(&mut store).await?;
            connector.call_info(&mut store).await
        })
        .await;
        classify(&store, &limits, outcome)
    }

    /// The loaded plugin `id`, if any.
    pub fn get(&self, id: &str) -> Option<Arc<LoadedPlugin>> {
        self.current().loaded.get(id).cloned()
    }

    /// Every loaded plugin, by id.
    pub fn loaded(&self) -> Vec<Arc<LoadedPlugin>> {
        self.current().loaded.values().cloned().collect()
    }

    /// Summaries of the loaded plugins.
    pub fn summaries(&self) -> Vec<PluginSummary> {
        self.current()
            .loaded
            .values()
            .map(|p| PluginSummary {
                id: p.manifest.id.clone(),
                version: p.manifest.version.clone(),
                name: p.manifest.name.clone(),
                kind: p.manifest.kind,
                wit: p.manifest.wit.clone(),
                sha256: p.sha256.clone(),
                permissions: p.manifest.permissions.clone(),
            })
            .collect()
    }

    /// Packages that failed to load.
    pub fn failures(&self) -> Vec<LoadFailure> {
        self.current().failures.clone()
    }

    /// Run a connector's `sync` in a fresh store under the configured limits.
    pub async fn sync(
        &self,
        plugin: &LoadedPlugin,
        call: SyncCall,
        port: std::sync::Arc<dyn ports::SyncSink>,
    ) -> (Result<SyncReport, PluginFailure>, PartialProgress) {
        let mut sink = SinkState::new(port, self.limits.max_output_bytes);
        sink.on_batch = call.on_batch.clone();
        let label = plugin.manifest.label();
        let allowed = match plugin.manifest.permissions.outbound {
            manifest::Outbound::Source => call.allowed,
            manifest::Outbound::None => Vec::new(),
        };
        let outbound = Outbound::new(allowed, call.bearer_token.as_deref()).reaching(call.reach);
        let state = CallState::new(label, &self.limits, outbound, Some(sink));
        let mut store = new_store(self.engine.engine(), state, &self.limits);
        let outcome = tokio::time::timeout(self.limits.timeout, async {
            let connector = plugin.pre.instantiate_async(&mut store).await?;
            let context = connector_v0_1_0::SyncContext::from(&call.context);
            connector.call_sync(&mut store, &context).await
        })
        .await;
        let result = classify(&store, &self.limits, outcome);
        let state = store.data();
        let (emitted, outcome, rejected) = state
            .sink
            .as_ref()
            .map(|s| (s.emitted, s.outcome, s.rejected.clone()))
            .unwrap_or_default();
        let signals = &state.outbound.signals;
        let retry_after = signals
            .retry_after_secs
            .load(std::sync::atomic::Ordering::Relaxed);
        let progress = PartialProgress {
            emitted,
            stored: outcome.stored,
            retry_after_secs: (retry_after > 0).then_some(retry_after),
            unauthorized: signals
                .unauthorized
                .load(std::sync::atomic::Ordering::Relaxed)
                > 0,
        };
        let report = match result {
            Ok(Ok(SyncSummary { strategy, .. })) => Ok(SyncReport {
                strategy,
                emitted,
                stored: outcome.stored,
                unchanged: outcome.unchanged,
                requests: state.outbound.requests,
                rejected,
            }),
            Ok(Err(e)) => Err(PluginFailure::Reported {
                plugin: state.label.clone(),
                kind: e.kind.into(),
                message: e.message,
                retryable: e.retryable,
            }),
            Err(failure) => Err(failure),
        };
        (report, progress)
    }
}
