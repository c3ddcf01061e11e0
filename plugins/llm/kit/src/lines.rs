//! Lines of a streamed reply. Server-sent events and NDJSON are both read a
//! line at a time, and the bytes of a line may arrive split anywhere,
//! including inside a UTF-8 character.

use hearth_plugin_sdk::{ErrorKind, PluginError};

/// Longest line kept: a reply that never ends its line is refused, not buffered without end.
pub const MAX_LINE: usize = 1 << 20;

/// Bytes received and not yet a whole line.
#[derive(Debug, Default)]
pub struct Lines {
    pending: Vec<u8>,
}

impl Lines {
    /// Add `bytes`; the lines they complete (without their `\n` or `\r\n`).
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<String>, PluginError> {
        self.pending.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some(at) = self.pending.iter().position(|&b| b == b'\n') {
            let mut line: Vec<u8> = self.pending.drain(..=at).collect();
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            out.push(text(line)?);
        }
        if self.pending.len() > MAX_LINE {
            return Err(PluginError::new(
                ErrorKind::Upstream,
                format!("the model sent a line longer than {MAX_LINE} bytes"),
            ));
        }
        Ok(out)
    }

    /// What is left once the reply has ended, if anything.
    pub fn finish(&mut self) -> Result<Option<String>, PluginError> {
        let rest = std::mem::take(&mut self.pending);
        if rest.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        text(rest).map(Some)
    }
}

fn text(bytes: Vec<u8>) -> Result<String, PluginError> {
    String::from_utf8(bytes).map_err(|_| {
        PluginError::new(
            ErrorKind::Upstream,
            "the model sent a line that is not UTF-8",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_anywhere_come_out_whole() {
        let all = "data: {\"a\":\"é\"}\r\n\r\ndata: [DONE]\n".as_bytes();
        // Every split point, including inside the two bytes of "é".
        for at in 0..all.len() {
            let mut lines = Lines::default();
            let mut got = lines.push(&all[..at]).expect("first");
            got.extend(lines.push(&all[at..]).expect("second"));
            assert_eq!(
                got,
                ["data: {\"a\":\"é\"}", "", "data: [DONE]"],
                "split at {at}"
            );
            assert_eq!(lines.finish().expect("end"), None);
        }
        let mut lines = Lines::default();
        assert!(
            lines
                .push(b"{\"done\":true}")
                .expect("no newline")
                .is_empty()
        );
        assert_eq!(
            lines.finish().expect("end").as_deref(),
            Some("{\"done\":true}")
        );
        assert!(lines.push(&vec![b'x'; MAX_LINE + 1]).is_err());
    }
}
