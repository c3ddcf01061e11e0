//! Importers: turn an uploaded document into FHIR resources, delivered
//! through the same intake as every other way a resource arrives.

use super::interfaces::common::types::PluginError;
use super::interfaces::sink::{SinkPort, SinkState};
use super::manifest::Kind;
use super::runtime::call::{CallState, PluginFailure};
use super::runtime::outbound::Outbound;
use super::{LoadedPlugin, Plugins, Rejections, finish, ports::Intake};
use serde::Serialize;
use std::sync::Arc;
use wasmtime::component::{HasSelf, Linker};

#[allow(missing_docs)]
mod generated {
    wasmtime::component::bindgen!({
        path: "../wit/importer/0.1.0",
        world: "hearth:importer/importer",
        imports: { default: async | trappable },
        exports: { default: async },
        with: {
            "hearth:common/types@0.1.0": crate::plugins::interfaces::common::types,
            "hearth:common/log@0.1.0": crate::plugins::interfaces::common::log,
        },
    });
}

pub use generated::ImporterPre;
use generated::hearth::importer::{sink, types};

/// Add the importer world's own interfaces to `linker`.
pub fn add_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    types::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)?;
    sink::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)?;
    Ok(())
}

impl types::Host for CallState {}

impl sink::Host for CallState {
    async fn emit(&mut self, batch: Vec<String>) -> wasmtime::Result<Result<u32, PluginError>> {
        self.sink_emit(batch).await
    }
}

/// A document a person uploaded.
#[derive(Debug, Clone)]
pub struct Document {
    /// The file name they gave.
    pub name: String,
    /// Its media type.
    pub media_type: String,
    /// Its bytes, as uploaded.
    pub content: Vec<u8>,
}

/// What converting a document did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    /// Resources the host accepted.
    pub emitted: u64,
    /// Of those, new or changed.
    pub stored: u64,
    /// Parts of the document the importer could not convert, in its words.
    pub warnings: Vec<String>,
    /// Resources refused as invalid R4, per type; none were stored.
    pub rejected: Rejections,
}

impl Plugins {
    /// Run an importer's `convert` on one document, its output going to `intake`.
    pub async fn convert(
        &self,
        plugin: &LoadedPlugin,
        document: Document,
        intake: Arc<dyn Intake>,
    ) -> Result<ImportReport, PluginFailure> {
        let super::KindPre::Importer(pre) = &plugin.pre else {
            return Err(super::wrong_kind(plugin, Kind::Importer));
        };
        let mut store = self.store(plugin, Outbound::new(vec![], None));
        store.data_mut().sink = Some(SinkState::new(
            SinkPort::Intake(intake),
            plugin.limits.max_output_bytes,
        ));
        let doc = types::Document {
            name: document.name,
            media_type: document.media_type,
            content: document.content,
        };
        let outcome = tokio::time::timeout(plugin.limits.timeout, async {
            let importer = pre.instantiate_async(&mut store).await?;
            importer
                .hearth_importer_plugin()
                .call_convert(&mut store, &doc)
                .await
        })
        .await;
        let summary = finish(&store, &plugin.limits, outcome)?;
        let sink = store.data().sink.as_ref();
        Ok(ImportReport {
            emitted: sink.map_or(0, |s| s.emitted),
            stored: sink.map_or(0, |s| s.outcome.stored),
            warnings: summary.warnings,
            rejected: sink.map(|s| s.rejected.clone()).unwrap_or_default(),
        })
    }
}
