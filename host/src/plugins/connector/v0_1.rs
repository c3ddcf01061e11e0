//! Host side of the first connector world, released as `hearth:plugin@0.1.0`.
//!
//! Its interfaces convert their types to the latest version's and delegate,
//! so capability checks (sizes, refusals, checkpoints) exist once. It has no
//! `sink.expect`; such connectors report counts without a total.

use crate::plugins::interfaces::common;
use crate::plugins::runtime::call::CallState;
use wasmtime::component::HasSelf;

#[allow(missing_docs)]
mod generated {
    wasmtime::component::bindgen!({
        path: "../wit/connector/0.1.0",
        world: "hearth:plugin/connector",
        imports: { default: async | trappable },
        exports: { default: async },
        with: {
            "wasi:http": wasmtime_wasi_http::p2::bindings::http,
            "wasi:io": wasmtime_wasi::p2::bindings::io,
            "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
        },
    });
}

pub use generated::ConnectorPre;
pub use generated::hearth::plugin::types::{
    ConnectorInfo, ErrorKind, PluginError, SyncContext, SyncSummary,
};
use generated::hearth::plugin::{log, sink, types};

/// Add this version's interfaces (not WASI) to `linker`.
pub fn add_to_linker(linker: &mut wasmtime::component::Linker<CallState>) -> wasmtime::Result<()> {
    types::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)?;
    log::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)?;
    sink::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)?;
    Ok(())
}

impl types::Host for CallState {}

impl log::Host for CallState {
    async fn log(&mut self, level: log::Level, message: String) -> wasmtime::Result<()> {
        let level = match level {
            log::Level::Debug => common::log::Level::Debug,
            log::Level::Info => common::log::Level::Info,
            log::Level::Warn => common::log::Level::Warn,
            log::Level::Error => common::log::Level::Error,
        };
        common::log::Host::log(self, level, message).await
    }
}

impl sink::Host for CallState {
    async fn emit(&mut self, batch: Vec<String>) -> wasmtime::Result<Result<u32, PluginError>> {
        Ok(self.sink_emit(batch).await?.map_err(down))
    }

    async fn checkpoint(&mut self, cursor: String) -> wasmtime::Result<()> {
        self.sink_checkpoint(cursor).await
    }
}

/// A latest-version error in this version's words.
fn down(e: common::types::PluginError) -> PluginError {
    use common::types::ErrorKind as K;
    PluginError {
        kind: match e.kind {
            K::InvalidInput => ErrorKind::InvalidInput,
            K::Unauthorized => ErrorKind::Unauthorized,
            K::NotFound => ErrorKind::NotFound,
            K::RateLimited => ErrorKind::RateLimited,
            K::Upstream => ErrorKind::Upstream,
            K::Internal => ErrorKind::Internal,
        },
        message: e.message,
        retryable: e.retryable,
    }
}

/// This version's error as the latest one.
pub fn up(e: PluginError) -> common::types::PluginError {
    use common::types::ErrorKind as K;
    common::types::PluginError {
        kind: match e.kind {
            ErrorKind::InvalidInput => K::InvalidInput,
            ErrorKind::Unauthorized => K::Unauthorized,
            ErrorKind::NotFound => K::NotFound,
            ErrorKind::RateLimited => K::RateLimited,
            ErrorKind::Upstream => K::Upstream,
            ErrorKind::Internal => K::Internal,
        },
        message: e.message,
        retryable: e.retryable,
    }
}

impl From<&super::v0_2::SyncContext> for SyncContext {
    fn from(c: &super::v0_2::SyncContext) -> Self {
        SyncContext {
            source_id: c.source_id.clone(),
            fhir_base_url: c.fhir_base_url.clone(),
            patient_id: c.patient_id.clone(),
            cursor: c.cursor.clone(),
            settings: c.settings.clone(),
        }
    }
}

impl From<SyncSummary> for super::v0_2::SyncSummary {
    fn from(s: SyncSummary) -> Self {
        super::v0_2::SyncSummary {
            resources_emitted: s.resources_emitted,
            requests: s.requests,
            strategy: s.strategy,
        }
    }
}

impl From<ConnectorInfo> for super::v0_2::ConnectorInfo {
    fn from(i: ConnectorInfo) -> Self {
        super::v0_2::ConnectorInfo {
            id: i.id,
            version: i.version,
            name: i.name,
            fhir_versions: i.fhir_versions,
        }
    }
}
