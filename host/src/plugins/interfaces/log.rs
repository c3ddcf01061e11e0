//! `hearth:common/log`: plugin log lines into the host's log, tagged with the
//! plugin, cut to a length and a count so a chatty plugin cannot flood it.

use super::common::log::{Host, Level};
use crate::plugins::runtime::call::CallState;

/// Longest log line kept from a plugin.
const MAX_LOG_LINE: usize = 4096;
/// Log lines kept per call.
const MAX_LOG_LINES: u32 = 10_000;

impl Host for CallState {
    async fn log(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
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
            Level::Debug => tracing::debug!(target: "plugin", plugin, "{message}"),
            Level::Info => tracing::info!(target: "plugin", plugin, "{message}"),
            Level::Warn => tracing::warn!(target: "plugin", plugin, "{message}"),
            Level::Error => tracing::error!(target: "plugin", plugin, "{message}"),
        }
        Ok(())
    }
}
