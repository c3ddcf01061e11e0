//! Documents an importer plugin converts (a C-CDA file, a report) arrive
//! through the same pipeline as an upload: the importer's resources are
//! gathered as NDJSON and imported with [`super::import::import`], so they get
//! the same strict R4 check, index extraction, duplicate handling, staging
//! and all-or-nothing publish, and a bad resource is named precisely.

use super::import::{self, Format, ImportError, ImportSummary};
use crate::auth::ProfileScope;
use crate::files::Files;
use crate::plugins::importer::{Document, ImportReport};
use crate::plugins::manifest::Kind;
use crate::plugins::ports::{Intake, SinkError, Taken};
use crate::plugins::runtime::call::PluginFailure;
use crate::plugins::{LoadedPlugin, Plugins};
use futures_util::future::BoxFuture;
use std::sync::{Arc, Mutex};

/// Largest document handed to an importer: it is copied into the plugin's memory whole.
pub const MAX_DOCUMENT_BYTES: usize = 64 << 20;

/// Why a document was not imported; nothing of it was stored.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// The plugin named is not an importer.
    #[error("{0} is not an importer plugin")]
    NotAnImporter(String),
    /// The document is larger than an importer may be given.
    #[error("the document is {size} bytes; an importer takes at most {MAX_DOCUMENT_BYTES}")]
    TooLarge {
        /// Its size.
        size: u64,
    },
    /// The importer failed or was stopped.
    #[error(transparent)]
    Plugin(#[from] PluginFailure),
    /// What the importer produced was refused, or storing it failed.
    #[error("{importer} converted the document into something Hearth cannot store: {error}")]
    Import {
        /// `id@version` of the importer.
        importer: String,
        /// Why, with the entry of the converted output at fault.
        error: ImportError,
    },
    /// Spooling the converted resources failed.
    #[error("keeping the converted resources failed: {0}")]
    Io(String),
}

/// What converting and importing a document did.
#[derive(Debug)]
pub struct Converted {
    /// The import of what the importer produced.
    pub import: ImportSummary,
    /// What the importer said (warnings about parts it could not convert).
    pub report: ImportReport,
}

/// The importer's output, kept in order until the import reads it.
#[derive(Default)]
struct Gathered(Mutex<Vec<String>>);

impl Intake for Gathered {
    fn take(&self, batch: Vec<String>) -> BoxFuture<'_, Result<Taken, SinkError>> {
        Box::pin(async move {
            // One resource per NDJSON line: a raw newline inside one would split it.
            if let Some(index) = batch.iter().position(|r| r.contains('\n')) {
                return Err(SinkError::Malformed {
                    index,
                    message: "holds a raw line break; emit compact JSON".into(),
                });
            }
            let n = batch.len() as u64;
            let mut kept = self
                .0
                .lock()
                .map_err(|_| SinkError::Failed("the intake was poisoned".into()))?;
            kept.extend(batch);
            // Checked and stored by the import that follows; counted as taken here.
            Ok(Taken {
                accepted: n,
                stored: n,
                ..Taken::default()
            })
        })
    }
}

/// The use case: run `plugin` on `document`, then import what it produced
/// into a new source of the profile named `name`.
#[allow(clippy::too_many_arguments)]
pub async fn convert(
    plugins: &Plugins,
    plugin: &LoadedPlugin,
    files: &Files,
    db: &crate::db::Db,
    scope: &ProfileScope,
    expected: Option<&super::person::Person>,
    name: &str,
    document: Document,
) -> Result<Converted, ConvertError> {
    if plugin.manifest.kind != Kind::Importer {
        return Err(ConvertError::NotAnImporter(plugin.manifest.label()));
    }
    if document.content.len() > MAX_DOCUMENT_BYTES {
        return Err(ConvertError::TooLarge {
            size: document.content.len() as u64,
        });
    }
    let gathered = Arc::new(Gathered::default());
    let report = plugins.convert(plugin, document, gathered.clone()).await?;
    let lines = std::mem::take(
        &mut *gathered
            .0
            .lock()
            .map_err(|_| ConvertError::Io("the intake was poisoned".into()))?,
    );
    let chunks = lines.into_iter().map(|mut line| {
        line.push('\n');
        Ok::<_, std::io::Error>(bytes::Bytes::from(line))
    });
    let spooled = files
        .spool(futures_util::stream::iter(chunks), u64::MAX)
        .await
        .map_err(|e| ConvertError::Io(e.to_string()))?;
    let import = import::import(db, scope, expected, name, Format::Ndjson, None, &spooled)
        .await
        .map_err(|error| ConvertError::Import {
            importer: plugin.manifest.label(),
            error,
        })?;
    tracing::info!(profile = %scope.id(), importer = %plugin.manifest.label(), resources = import.resources, "document converted and imported");
    Ok(Converted { import, report })
}
