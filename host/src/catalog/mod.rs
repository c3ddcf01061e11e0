//! The provider catalog: imported from fasten-sources into connector packages,
//! and searched by people looking for their hospital.

pub mod fasten;
pub mod index;
pub mod package;

pub use index::{CatalogIndex, EndpointEntry, SANDBOX, SearchPage};

use crate::plugins::Plugins;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

/// What can go wrong reading or importing a catalog.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// A file or folder could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file is not the JSON or YAML it should be.
    #[error("{file}: {reason}")]
    Syntax {
        /// The file.
        file: String,
        /// The parser's message.
        reason: String,
    },
    /// Records with unknown fields, wrong types or broken references.
    #[error("the catalog has problems:\n  {}{}", problems.join("\n  "), if *more > 0 { format!("\n  ... and {more} more") } else { String::new() })]
    Invalid {
        /// The first problems, each naming its file and record.
        problems: Vec<String>,
        /// How many more there were.
        more: usize,
    },
    /// The component platform packages reuse is missing or unusable.
    #[error("{0}")]
    Component(String),
}

/// Index the catalogs of every loaded connector package, plus the sandbox at `sandbox_root`.
///
/// A package whose `catalog.json` cannot be read is logged and left out of
/// search; its plugin still loads, so sources already connected keep syncing.
pub fn index_installed(plugins: &Plugins, sandbox_root: Option<&str>) -> CatalogIndex {
    let mut packs = Vec::new();
    for plugin in plugins.loaded() {
        if plugin.manifest.platform().is_none() {
            continue;
        }
        match package::read_package_catalog(&plugin.folder) {
            Ok(pack) => packs.push((plugin.manifest.id.clone(), pack)),
            Err(e) => {
                tracing::error!(plugin = %plugin.manifest.label(), error = %e, "catalog not indexed")
            }
        }
    }
    let index = CatalogIndex::build(packs, sandbox_root);
    tracing::info!(
        brands = index.brands(),
        endpoints = index.endpoints(),
        "provider catalog indexed"
    );
    index
}

/// The catalog a running host searches and connects from. A reload reads
/// the plugins folder again and replaces the index whole, so an import
/// (`hearth catalog import`) is found without a restart; a search or a
/// connect in progress keeps the index it started with.
pub struct Catalog {
    index: RwLock<Arc<CatalogIndex>>,
    sandbox_root: Option<String>,
}

/// What a reload found.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ReloadReport {
    /// Connector packages loaded.
    pub plugins: usize,
    /// Packages that failed to load (`GET /api/plugins` says why).
    pub plugin_failures: usize,
    /// Brands in the catalog.
    pub brands: usize,
    /// Endpoints in the catalog.
    pub endpoints: usize,
}

impl Catalog {
    /// The catalog of the loaded packages, plus the sandbox at `sandbox_root`.
    pub fn new(plugins: &Plugins, sandbox_root: Option<&str>) -> Catalog {
        Catalog {
            index: RwLock::new(Arc::new(index_installed(plugins, sandbox_root))),
            sandbox_root: sandbox_root.map(str::to_string),
        }
    }

    /// The index as it is now.
    pub fn current(&self) -> Arc<CatalogIndex> {
        match self.index.read() {
            Ok(index) => index.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Load the plugins folder again and index what is installed now.
    pub async fn reload(&self, plugins: &Plugins) -> ReloadReport {
        plugins.reload().await;
        let index = Arc::new(index_installed(plugins, self.sandbox_root.as_deref()));
        let report = ReloadReport {
            plugins: plugins.loaded().len(),
            plugin_failures: plugins.failures().len(),
            brands: index.brands(),
            endpoints: index.endpoints(),
        };
        match self.index.write() {
            Ok(mut current) => *current = index,
            Err(poisoned) => *poisoned.into_inner() = index,
        }
        tracing::info!(?report, "catalog reloaded");
        report
    }
}
