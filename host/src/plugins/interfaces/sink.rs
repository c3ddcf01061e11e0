//! The sink a connector or importer emits into, the same for every world
//! version: size accounting (a plugin that floods is stopped), handing
//! batches to the domain's port, refusals per type, checkpoints, the
//! expected total and progress.

use super::common::types::{ErrorKind, PluginError};
use super::error;
use crate::plugins::ports::{Intake, SinkError, SyncSink};
use crate::plugins::runtime::call::{CallState, OutputExceeded};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Longest checkpoint cursor accepted.
const MAX_CURSOR: usize = 64 * 1024;

/// Where a call's emitted resources go.
#[derive(Clone)]
pub enum SinkPort {
    /// A connector's sync: batches and checkpoints.
    Sync(Arc<dyn SyncSink>),
    /// An importer's conversion: batches only.
    Intake(Arc<dyn Intake>),
}

/// Where a call's emitted resources go, and what came of them.
pub struct SinkState {
    /// The domain's side: checks, stores, checkpoints.
    pub port: SinkPort,
    /// Bytes the call may emit in total.
    pub max_output_bytes: usize,
    /// Bytes emitted so far.
    pub emitted_bytes: usize,
    /// Resources accepted so far.
    pub emitted: u64,
    /// What storing them did.
    pub outcome: Outcome,
    /// Resources refused as invalid R4, per type (not stored, not counted as emitted).
    pub rejected: crate::plugins::Rejections,
    /// Resources the plugin says this run will emit, if it knows.
    pub expected: Option<u64>,
    /// Told after every stored batch and every new expected total.
    pub on_batch: Option<OnBatch>,
}

/// Resources written and found unchanged in a call.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Outcome {
    /// New or changed, and written.
    pub stored: u64,
    /// Identical to what was stored.
    pub unchanged: u64,
}

/// Progress of a call, reported after each stored batch.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct BatchProgress {
    /// Resources in the batch, per type.
    pub by_type: BTreeMap<String, u64>,
    /// Resources accepted in the call so far.
    pub emitted: u64,
    /// Of those, new or changed.
    pub stored: u64,
    /// Resources the plugin says the call will emit in all, when it knows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<u64>,
}

/// A progress listener.
pub type OnBatch = Arc<dyn Fn(BatchProgress) + Send + Sync>;

impl SinkState {
    /// A sink into `port` that accepts at most `max_output_bytes` in the call.
    pub fn new(port: SinkPort, max_output_bytes: usize) -> Self {
        SinkState {
            port,
            max_output_bytes,
            emitted_bytes: 0,
            emitted: 0,
            outcome: Outcome::default(),
            rejected: Default::default(),
            expected: None,
            on_batch: None,
        }
    }

    fn report(&self, by_type: BTreeMap<String, u64>) {
        if let Some(on_batch) = &self.on_batch {
            on_batch(BatchProgress {
                by_type,
                emitted: self.emitted,
                stored: self.outcome.stored,
                expected: self.expected,
            });
        }
    }
}

impl CallState {
    /// `sink.emit`, whatever world version asked.
    pub async fn sink_emit(
        &mut self,
        batch: Vec<String>,
    ) -> wasmtime::Result<Result<u32, PluginError>> {
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
        let taken = match &sink.port {
            SinkPort::Sync(port) => port.clone().take(batch).await,
            SinkPort::Intake(port) => port.clone().take(batch).await,
        };
        match taken {
            Ok(taken) => {
                // Data that is not valid R4: left out and reported per type in
                // the call's result, never stored.
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
                sink.report(taken.by_type);
                Ok(Ok(u32::try_from(taken.stored).unwrap_or(u32::MAX)))
            }
            Err(SinkError::Malformed { index, message }) => {
                tracing::warn!(plugin = %self.label, index, error = %message, "rejected an emitted batch");
                Ok(Err(error(
                    ErrorKind::InvalidInput,
                    format!("resource {index} of the batch: {message}; the batch was not stored"),
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

    /// `sink.checkpoint`, whatever world version asked.
    pub async fn sink_checkpoint(&mut self, cursor: String) -> wasmtime::Result<()> {
        if cursor.len() > MAX_CURSOR {
            return Err(wasmtime::Error::msg(format!(
                "checkpoint cursor of {} bytes exceeds the {MAX_CURSOR}-byte limit",
                cursor.len()
            )));
        }
        if let Some(SinkPort::Sync(port)) = self.sink.as_ref().map(|s| s.port.clone()) {
            port.checkpoint(&cursor)
                .await
                .map_err(|e| wasmtime::Error::msg(format!("saving the checkpoint failed: {e}")))?;
        }
        Ok(())
    }

    /// `sink.expect` (connector 0.2 on): the total this run will emit.
    pub fn sink_expect(&mut self, total: u64) {
        if let Some(sink) = self.sink.as_mut() {
            sink.expected = Some(total);
            sink.report(BTreeMap::new());
        }
    }
}
