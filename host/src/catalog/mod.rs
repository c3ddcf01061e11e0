//! The provider catalog: imported from fasten-sources into connector packages,
//! and searched by people looking for their hospital.

pub mod fasten;
pub mod index;
pub mod package;

pub use index::{CatalogIndex, EndpointEntry, SANDBOX, SearchPage};

use crate::plugins::Plugins;
use std::path::PathBuf;

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
