//! Host side of `hearth:connector@0.2.0`, the latest connector world. Older
//! versions convert to these types and delegate here.

use crate::plugins::interfaces::common::types::PluginError;
use crate::plugins::runtime::call::CallState;
use wasmtime::component::HasSelf;

#[allow(missing_docs)]
mod generated {
    wasmtime::component::bindgen!({
        path: "../wit/connector/0.2.0",
        world: "hearth:connector/connector",
        imports: { default: async | trappable },
        exports: { default: async },
        with: {
            "hearth:common/types@0.1.0": crate::plugins::interfaces::common::types,
            "hearth:common/log@0.1.0": crate::plugins::interfaces::common::log,
            "wasi:http": wasmtime_wasi_http::p2::bindings::http,
            "wasi:io": wasmtime_wasi::p2::bindings::io,
            "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
        },
    });
}

pub use generated::ConnectorPre;
pub use generated::hearth::connector::types::{ConnectorInfo, SyncContext, SyncSummary};
use generated::hearth::connector::{sink, types};

/// Add this version's own interfaces (not WASI, not `hearth:common`) to `linker`.
pub fn add_to_linker(linker: &mut wasmtime::component::Linker<CallState>) -> wasmtime::Result<()> {
    types::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)?;
    sink::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)?;
    Ok(())
}

impl types::Host for CallState {}

impl sink::Host for CallState {
    async fn emit(&mut self, batch: Vec<String>) -> wasmtime::Result<Result<u32, PluginError>> {
        self.sink_emit(batch).await
    }

    async fn checkpoint(&mut self, cursor: String) -> wasmtime::Result<()> {
        self.sink_checkpoint(cursor).await
    }

    async fn expect(&mut self, total: u64) -> wasmtime::Result<()> {
        self.sink_expect(total);
        Ok(())
    }
}
