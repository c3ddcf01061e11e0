//! The text an llm adapter writes while it answers, counted against the
//! call's output budget and passed on as it comes (for streaming to the UI).

use crate::plugins::runtime::call::{CallState, OutputExceeded};
use std::sync::Arc;

/// A listener for each piece of text written.
pub type OnText = Arc<dyn Fn(&str) + Send + Sync>;

/// The reply being written in a call.
pub struct ReplyState {
    /// Everything written so far.
    pub text: String,
    /// Bytes the call may write in total.
    pub max_bytes: usize,
    /// Told each piece as it is written.
    pub on_text: Option<OnText>,
}

impl CallState {
    /// `reply.write`, whatever world version asked.
    pub fn reply_write(&mut self, text: String) -> wasmtime::Result<()> {
        let Some(reply) = self.reply.as_mut() else {
            return Ok(());
        };
        if reply.text.len() + text.len() > reply.max_bytes {
            return Err(OutputExceeded(reply.max_bytes).into());
        }
        if let Some(on_text) = &reply.on_text {
            on_text(&text);
        }
        reply.text.push_str(&text);
        Ok(())
    }
}
