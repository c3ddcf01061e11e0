//! The wasmtime engine shared by all plugins: configuration, the epoch ticker
//! that bounds wall time, and the on-disk cache of precompiled components.

use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use wasmtime::component::Component;
use wasmtime::{Config, Engine};

/// How often the engine's epoch advances; the granularity of plugin deadlines.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// The engine plus its ticker; dropping it stops the ticker.
pub struct PluginEngine {
    engine: Engine,
    stop: Arc<AtomicBool>,
}

impl PluginEngine {
    /// Build the engine and start its epoch ticker.
    pub fn new() -> wasmtime::Result<PluginEngine> {
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            // Epochs stop busy loops that an outer async timeout cannot interrupt.
            .epoch_interruption(true)
            .cranelift_opt_level(wasmtime::OptLevel::Speed);
        let engine = Engine::new(&config)?;
        let stop = Arc::new(AtomicBool::new(false));
        let (ticker_engine, ticker_stop) = (engine.weak(), stop.clone());
        std::thread::Builder::new()
            .name("hearth-epoch".into())
            .spawn(move || {
                while !ticker_stop.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    match ticker_engine.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })?;
        Ok(PluginEngine { engine, stop })
    }

    /// The wasmtime engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Load a component, from the precompiled cache under `cache_dir` when it is there.
    ///
    /// The cache key is the engine's compatibility hash (wasmtime version and
    /// settings) plus the SHA-256 of the wasm, so an upgrade or a changed
    /// plugin never reuses a stale artifact.
    pub fn load_component(
        &self,
        wasm: &[u8],
        cache_dir: &Path,
    ) -> wasmtime::Result<(Component, CacheUse)> {
        let path = self.cache_path(wasm, cache_dir);
        // Read into memory rather than mapping the file: a cache file replaced or
        // truncated under a running host must not fault its code pages.
        if let Ok(bytes) = std::fs::read(&path) {
            // SAFETY: the bytes were written by `Component::serialize` of an engine
            // with this configuration into a folder only the host writes; wasmtime
            // checks the header and compatibility hash and rejects anything else,
            // and then we recompile.
            match unsafe { Component::deserialize(&self.engine, &bytes) } {
                Ok(component) => return Ok((component, CacheUse::Hit)),
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "discarding unusable precompiled plugin")
                }
            }
        }
        let component = Component::new(&self.engine, wasm)?;
        let bytes = component.serialize()?;
        if let Err(e) = write_atomically(&path, &bytes) {
            // A cache we cannot write only costs compile time on the next start.
            tracing::warn!(path = %path.display(), error = %e, "could not cache precompiled plugin");
        }
        Ok((component, CacheUse::Compiled))
    }

    /// Where the precompiled form of `wasm` is cached.
    pub fn cache_path(&self, wasm: &[u8], cache_dir: &Path) -> PathBuf {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.engine
            .precompile_compatibility_hash()
            .hash(&mut hasher);
        let engine_key = hasher.finish();
        let wasm_key = hex::encode(Sha256::digest(wasm));
        cache_dir.join(format!("{engine_key:016x}-{wasm_key}.cwasm"))
    }
}

impl Drop for PluginEngine {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Whether a component came from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CacheUse {
    /// Deserialized from the precompiled cache.
    Hit,
    /// Compiled now (and cached for next time).
    Compiled,
    /// The same component as a package loaded before it.
    Shared,
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
