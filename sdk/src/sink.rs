//! Batched delivery of resources to the host.

use crate::PluginError;
use crate::bindings::connector::hearth::connector::sink;

/// Collects serialized resources and hands them to the host in batches.
pub struct Emitter {
    batch: Vec<String>,
    batch_size: usize,
    emitted: u64,
}

impl Emitter {
    /// An emitter that flushes every `batch_size` resources (at least 1).
    pub fn new(batch_size: usize) -> Self {
        Emitter {
            batch: Vec::new(),
            batch_size: batch_size.max(1),
            emitted: 0,
        }
    }

    /// Queue one resource; flushes when the batch is full.
    pub fn push(&mut self, resource: &serde_json::Value) -> Result<(), PluginError> {
        self.batch.push(resource.to_string());
        if self.batch.len() >= self.batch_size {
            self.flush()?;
        }
        Ok(())
    }

    /// Hand everything queued to the host.
    pub fn flush(&mut self) -> Result<(), PluginError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        let n = batch.len() as u64;
        sink::emit(&batch)?;
        self.emitted += n;
        Ok(())
    }

    /// Flush, then record `cursor` so a restarted sync resumes after what was emitted.
    pub fn checkpoint(&mut self, cursor: &str) -> Result<(), PluginError> {
        self.flush()?;
        sink::checkpoint(cursor);
        Ok(())
    }

    /// Tell the host how many resources this run will emit in all, so its
    /// progress shows a percentage. Only for a figure the provider gave.
    pub fn expect(&self, total: u64) {
        sink::expect(total);
    }

    /// Resources queued and not yet handed to the host.
    pub fn pending(&self) -> usize {
        self.batch.len()
    }

    /// Resources handed to the host so far.
    pub fn emitted(&self) -> u64 {
        self.emitted
    }
}
