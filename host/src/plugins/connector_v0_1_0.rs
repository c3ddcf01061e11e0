//! Host side of the `connector` world of `hearth:plugin@0.1.0`.
//!
//! This is the only WIT version so far, so it is also the latest: when
//! 0.2.0 arrives, this adapter converts its types and delegates to the new one,
//! so capability checks live in one place.

use super::call::{CallState, OutputExceeded};
use super::ports::SinkError;
use wasmtime::component::HasSelf;

#[allow(missing_docs)]
mod generated {
    wasmtime::component::bindgen!({
        path: "../wit/v0.1.0",
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

pub use generated::hearth::plugin::types::{
    ConnectorInfo, ErrorKind, PluginError, SyncContext, SyncSummary,
};
use generated::hearth::plugin::{log, sink, types};
pub use generated::{Connector, ConnectorPre};

/// Longest log line kept from a plugin.
const MAX_LOG_LINE: usize = 4096;
/// Log lines kept per call; a chatty plugin cannot flood the host's log.
const MAX_LOG_LINES: u32 = 10_000;
/// Longest checkpoint cursor accepted.
const MAX_CURSOR: usize = 64 * 1024;

/// Add this world's host interfaces (not WASI) to `linker`.
pub fn add_to_linker(linker: &mut wasmtime::component::Linker<CallState>) -> wasmtime::Result<()> {
    types::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)?;
    log::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)?;
    sink::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)?;
    Ok(())
}

impl types::Host for CallState {}

impl log::Host for CallState {
    async fn log(&mut self, level: log::Level, message: String) -> wasmtime::Result<()> {
        self.log_lines = self.log_lines.saturating_add(1);
        if self.log_lines > MAX_LOG_LINES {
            if self.log_lines == MAX_LOG_LINES + 1 {
                tracing::warn!(target: "plugin", plugin = %self.label, "log limit reached; further lines from this call are dropped");
            }
            return Ok(());
        }
        let mut message = message;
        if message.len() > MAX_LOG_LINE {
            let mut cut = MAX_LOG_LINE;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
        }
        let plugin = self.label.as_str();
        match level {
            log::Level::Debug => tracing::debug!(target: "plugin", plugin, "{message}"),
            log::Level::Info => tracing::info!(target: "plugin", plugin, "{message}"),
            log::Level::Warn => tracing::warn!(target: "plugin", plugin, "{message}"),
            log::Level::Error => tracing::error!(target: "plugin", plugin, "{message}"),
        }
        Ok(())
    }
}

impl sink::Host for CallState {
    async fn emit(&mut self, batch: Vec<String>) -> wasmtime::Result<Result<u32, PluginError>> {
        let Some(sink) = self.sink.as_mut() else {
            return Ok(Err(error(
                ErrorKind::InvalidInput,
                "emit is not available in this call",
            )));
        };
        let bytes: usize = batch.iter().map(String::len).sum();
        sink.emitted_bytes += bytes;
        if sink.emitted_bytes > sink.max_output_bytes {
            // Trap: a plugin flooding the host is stopped, not argued with.
            return Err(OutputExceeded(sink.max_output_bytes).into());
        }
        let port = sink.port.clone();
        match port.take(batch).await {
            Ok(taken) => {
                // Data the provider sent that is not valid R4: left out and
                // reported per type in the sync's result, never stored.
                for bad in taken.refused {
                    tracing::warn!(plugin = %self.label, resource_type = %bad.resource_type, id = %bad.id, path = %bad.path, problem = %bad.reason, "refused an emitted resource");
                    sink.rejected
                        .entry(bad.resource_type.clone())
                        .and_modify(|r| r.count += 1)
                        .or_insert_with(|| crate::plugins::Rejected {
                            count: 1,
                            example: format!("{}/{}", bad.resource_type, bad.id),
                            path: bad.path,
                            reason: bad.reason,
                        });
                }
                sink.outcome.stored += taken.stored;
                sink.outcome.unchanged += taken.unchanged;
                sink.emitted += taken.accepted;
                if let Some(on_batch) = &sink.on_batch {
                    on_batch(crate::plugins::call::BatchProgress {
                        by_type: taken.by_type,
                        emitted: sink.emitted,
                        stored: sink.outcome.stored,
                    });
                }
                Ok(Ok(u32::try_from(taken.stored).unwrap_or(u32::MAX)))
            }
            Err(SinkError::Malformed { index, message }) => {
                tracing::warn!(plugin = %self.label, index, error = %message, "rejected an emitted batch");
                Ok(Err(error(
                    ErrorKind::InvalidInput,
                    &format!("resource {index} of the batch: {message}; the batch was not stored"),
                )))
            }
            Err(SinkError::Failed(e)) => {
                tracing::error!(plugin = %self.label, error = %e, "storing an emitted batch failed");
                Ok(Err(PluginError {
                    kind: ErrorKind::Internal,
                    message: "the host could not store the batch; it was not stored".into(),
                    retryable: true,
                }))
            }
        }
    }

    async fn checkpoint(&mut self, cursor: String) -> wasmtime::Result<()> {
        if cursor.len() > MAX_CURSOR {
            return Err(wasmtime::Error::msg(format!(
                "checkpoint cursor of {} bytes exceeds the {MAX_CURSOR}-byte limit",
                cursor.len()
            )));
        }
        if let Some(sink) = self.sink.as_ref() {
            let port = sink.port.clone();
            port.checkpoint(&cursor)
                .await
                .map_err(|e| wasmtime::Error::msg(format!("saving the checkpoint failed: {e}")))?;
        }
        Ok(())
    }
}

fn error(kind: ErrorKind, message: &str) -> PluginError {
    PluginError {
        kind,
        message: message.to_string(),
        retryable: false,
    }
}

impl From<ErrorKind> for super::call::ReportedKind {
    fn from(kind: ErrorKind) -> Self {
        use super::call::ReportedKind as K;
        match kind {
            ErrorKind::InvalidInput => K::InvalidInput,
            ErrorKind::Unauthorized => K::Unauthorized,
            ErrorKind::NotFound => K::NotFound,
            ErrorKind::RateLimited => K::RateLimited,
            ErrorKind::Upstream => K::Upstream,
            ErrorKind::Internal => K::Internal,
        }
    }
}
