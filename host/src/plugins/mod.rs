//! The plugin host: discovers plugin packages, checks their manifests, reads
//! which world and version each component targets, compiles (or loads
//! precompiled) components, and runs calls under limits.
//!
//! Split by concern: [`runtime`] (engine, per-call store and limits, outbound
//! policy), [`interfaces`] (the host side of what plugins import, each behind
//! a [`ports`] trait the domain implements), [`world`] (versions), and one
//! module per kind: [`connector`], [`importer`], [`dashboard`], [`rules`],
//! [`llm`]. A package is a folder holding `plugin.toml` and `plugin.wasm`; one
//! that fails to load is reported (see [`Plugins::failures`]) and the rest load.

pub mod connector;
pub mod dashboard;
pub mod importer;
pub mod interfaces;
pub mod llm;
pub mod manifest;
pub mod ports;
pub mod rules;
pub mod runtime;
pub mod world;

pub use connector::{PartialProgress, Rejected, Rejections, SyncCall, SyncReport, SyncTarget};

use crate::config::PluginLimits;
use manifest::{Kind, Manifest};
use runtime::call::{CallState, PluginFailure, classify, new_store};
use runtime::engine::{CacheUse, PluginEngine};
use runtime::outbound::Outbound;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use wasmtime::Store;
use wasmtime::component::Linker;
use world::World;

/// `info()` of a world that exports `plugin.info`, as a [`PluginInfo`]: the
/// kinds differ only in the generated accessor of their `plugin` interface.
macro_rules! call_info {
    ($pre:expr, $store:expr, $accessor:ident) => {{
        let instance = $pre.instantiate_async(&mut *$store).await?;
        let info = instance.$accessor().call_info(&mut *$store).await?;
        Ok(PluginInfo {
            id: info.id,
            version: info.version,
            name: info.name,
            dashboard: None,
        })
    }};
}

// Reachable by path, so modules declared before the macro can call it.
pub(crate) use call_info;

/// What a component says about itself, whatever its kind.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginInfo {
    /// Its id.
    pub id: String,
    /// Its version.
    pub version: String,
    /// Its name.
    pub name: String,
    /// For a dashboard: whom it is for and what it takes.
    pub dashboard: Option<dashboard::DashboardMeta>,
}

/// A plugin that loaded and answered `info()`.
pub struct LoadedPlugin {
    /// Its manifest.
    pub manifest: Manifest,
    /// SHA-256 of `plugin.wasm`, hex.
    pub sha256: String,
    /// Whether it came from the precompiled cache this start.
    pub cache: CacheUse,
    /// The world and version the component targets (read from it).
    pub world: World,
    /// What the component says about itself.
    pub info: PluginInfo,
    /// The package folder.
    pub folder: PathBuf,
    /// The limits its calls run under.
    pub limits: PluginLimits,
    pre: KindPre,
}

/// A component ready to instantiate, per kind.
enum KindPre {
    Connector(connector::ConnectorPre),
    Importer(importer::ImporterPre<CallState>),
    Dashboard(dashboard::DashboardPre),
    Rules(rules::RulesPre),
    Llm(llm::LlmPre),
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
    /// The WIT package the component targets (`hearth:connector@0.2.0`).
    pub wit: String,
    /// The version of its kind's world (`0.2.0`), read from the component.
    pub world_version: String,
    /// SHA-256 of the component.
    pub sha256: String,
    /// Declared permissions.
    pub permissions: manifest::Permissions,
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
    /// One linker per kind: a kind links only the interfaces its world imports.
    linkers: BTreeMap<Kind, Linker<CallState>>,
    limits: PluginLimits,
    /// Replaced whole by a reload; a sync holds its plugin's `Arc` and finishes on the old one.
    registry: std::sync::RwLock<Arc<Registry>>,
    /// Where the last load read packages from and cached compiled code, for [`Plugins::reload`].
    folders: std::sync::Mutex<Option<(PathBuf, PathBuf)>>,
    /// Components by SHA-256: catalog packages share one component, compiled and held once.
    components: std::sync::Mutex<std::collections::HashMap<String, wasmtime::component::Component>>,
}

/// The longest a call of `kind` may take by default: syncs and imports run
/// in the background, dashboards and rules answer a page being drawn.
fn kind_timeout(kind: Kind, host: Duration) -> Duration {
    match kind {
        Kind::Connector | Kind::Importer => host,
        Kind::Dashboard | Kind::Rules => host.min(Duration::from_secs(30)),
        Kind::Llm => host.min(Duration::from_secs(300)),
    }
}

fn linker_for(engine: &wasmtime::Engine, kind: Kind) -> wasmtime::Result<Linker<CallState>> {
    let mut linker = Linker::new(engine);
    // WASI without preopens, env or sockets (see CallState::new): what a
    // component's standard library needs, nothing it could reach out with.
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    interfaces::add_common(&mut linker)?;
    match kind {
        Kind::Connector => {
            // wasi:http through the outbound policy.
            wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
            connector::add_to_linker(&mut linker)?;
        }
        Kind::Importer => importer::add_to_linker(&mut linker)?,
        Kind::Dashboard => {
            interfaces::add_records(&mut linker)?;
            interfaces::add_views(&mut linker)?;
            dashboard::add_to_linker(&mut linker)?;
        }
        Kind::Rules => {
            interfaces::add_records(&mut linker)?;
            interfaces::add_views(&mut linker)?;
            rules::add_to_linker(&mut linker)?;
        }
        Kind::Llm => {
            interfaces::add_records(&mut linker)?;
            llm::add_to_linker(&mut linker)?;
        }
    }
    Ok(linker)
}

impl Plugins {
    /// A host with no plugins loaded yet.
    pub fn new(limits: PluginLimits) -> wasmtime::Result<Plugins> {
        let engine = PluginEngine::new()?;
        let mut linkers = BTreeMap::new();
        for kind in Kind::ALL {
            linkers.insert(kind, linker_for(engine.engine(), kind)?);
        }
        Ok(Plugins {
            engine,
            linkers,
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
                    tracing::info!(plugin = %plugin.manifest.label(), world = %plugin.world.package(), cache = ?plugin.cache, "plugin loaded");
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
        let world = World::of(self.engine.engine(), &component)
            .map_err(|e| format!("{}: {e}", wasm_path.display()))?;
        if world.kind != manifest.kind {
            return Err(format!(
                "the manifest's kind is {}, but the component is a {} ({})",
                manifest.kind,
                world.kind,
                world.package()
            ));
        }
        if let Some(declared) = manifest.wit.as_deref().filter(|w| *w != world.package()) {
            return Err(format!(
                "the manifest says wit = {declared:?}, the component targets {}",
                world.package()
            ));
        }
        let linker = self
            .linkers
            .get(&world.kind)
            .ok_or_else(|| format!("no linker for {} plugins", world.kind))?;
        let instance_pre = linker.instantiate_pre(&component).map_err(|e| {
            format!(
                "{}: imports something this host does not give {} plugins: {e:#}",
                wasm_path.display(),
                world.kind
            )
        })?;
        let exports = |e: wasmtime::Error| {
            format!(
                "{}: does not export the {} world: {e:#}",
                wasm_path.display(),
                world.package()
            )
        };
        let pre = match world.kind {
            Kind::Connector => KindPre::Connector(
                connector::ConnectorPre::new(world.version, instance_pre).map_err(exports)?,
            ),
            Kind::Importer => {
                KindPre::Importer(importer::ImporterPre::new(instance_pre).map_err(exports)?)
            }
            Kind::Dashboard => KindPre::Dashboard(
                dashboard::DashboardPre::new(world.version, instance_pre).map_err(exports)?,
            ),
            Kind::Rules => {
                KindPre::Rules(rules::RulesPre::new(world.version, instance_pre).map_err(exports)?)
            }
            Kind::Llm => {
                KindPre::Llm(llm::LlmPre::new(world.version, instance_pre).map_err(exports)?)
            }
        };
        let limits = manifest.limits.apply(&PluginLimits {
            timeout: kind_timeout(world.kind, self.limits.timeout),
            ..self.limits.clone()
        });
        let label = manifest.label();
        let info = self
            .call_info(&pre, &label, &limits)
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
            world,
            info,
            folder: folder.to_path_buf(),
            limits,
            pre,
        })
    }

    async fn call_info(
        &self,
        pre: &KindPre,
        label: &str,
        limits: &PluginLimits,
    ) -> Result<PluginInfo, PluginFailure> {
        let limits = PluginLimits {
            timeout: Duration::from_secs(5).min(limits.timeout),
            ..limits.clone()
        };
        let state = CallState::new(label.to_string(), &limits, Outbound::new(vec![], None));
        let mut store = new_store(self.engine.engine(), state, &limits);
        let outcome = tokio::time::timeout(limits.timeout, async {
            match pre {
                KindPre::Connector(pre) => pre.info(&mut store).await,
                KindPre::Importer(pre) => call_info!(pre, &mut store, hearth_importer_plugin),
                KindPre::Dashboard(pre) => pre.info(&mut store).await,
                KindPre::Rules(pre) => pre.info(&mut store).await,
                KindPre::Llm(pre) => pre.info(&mut store).await,
            }
        })
        .await;
        classify(&store, &limits, outcome)
    }

    /// A fresh store for one call of `plugin`, with nothing reachable outside.
    fn store(&self, plugin: &LoadedPlugin, outbound: Outbound) -> Store<CallState> {
        let state = CallState::new(plugin.manifest.label(), &plugin.limits, outbound);
        new_store(self.engine.engine(), state, &plugin.limits)
    }

    /// A fresh store for a call that may read the profile's records through
    /// `records`, if the manifest declared `records = "read"`.
    fn store_reading(
        &self,
        plugin: &LoadedPlugin,
        records: Arc<dyn ports::RecordsReader>,
    ) -> Store<CallState> {
        let mut store = self.store(plugin, Outbound::new(vec![], None));
        if plugin.manifest.permissions.records == manifest::RecordsPermission::Read {
            store.data_mut().records = Some(interfaces::records::RecordsAccess::new(
                records,
                plugin.limits.max_output_bytes,
            ));
        }
        store
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
                wit: p.world.package(),
                world_version: p.world.version.to_string(),
                sha256: p.sha256.clone(),
                permissions: p.manifest.permissions.clone(),
            })
            .collect()
    }

    /// Packages that failed to load.
    pub fn failures(&self) -> Vec<LoadFailure> {
        self.current().failures.clone()
    }
}

/// A plugin's own error, in the host's words.
fn reported(label: &str, e: interfaces::common::types::PluginError) -> PluginFailure {
    PluginFailure::Reported {
        plugin: label.to_string(),
        kind: e.kind.into(),
        message: e.message,
        retryable: e.retryable,
    }
}

/// The end of a call: the plugin's answer, its own error, or how the host stopped it.
fn finish<T>(
    store: &Store<CallState>,
    limits: &PluginLimits,
    outcome: Result<
        wasmtime::Result<Result<T, interfaces::common::types::PluginError>>,
        tokio::time::error::Elapsed,
    >,
) -> Result<T, PluginFailure> {
    match classify(store, limits, outcome)? {
        Ok(value) => Ok(value),
        Err(e) => Err(reported(&store.data().label, e)),
    }
}

/// A call meant for another kind of plugin.
fn wrong_kind(plugin: &LoadedPlugin, wanted: Kind) -> PluginFailure {
    PluginFailure::WrongKind {
        plugin: plugin.manifest.label(),
        kind: plugin.manifest.kind,
        wanted,
    }
}
