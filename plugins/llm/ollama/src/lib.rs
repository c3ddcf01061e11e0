//! The Ollama chat adapter: `/api/chat` with `stream: true`, read as NDJSON
//! (one JSON object per line, `"done": true` on the last), text in
//! `message.content`, tool calls whole in `message.tool_calls` with their
//! arguments as an object.

use hearth_llm_kit::{Dialect, Piece, ToolCall};
use hearth_plugin_sdk::llm::{Llm, LlmInfo, Question, Response};
use hearth_plugin_sdk::{ErrorKind, PluginError};
use serde_json::{Value, json};

/// The Ollama dialect.
#[derive(Debug, Default)]
pub struct Ollama {
    /// Tool calls seen in this reply (Ollama sends each whole, without an index).
    calls: usize,
}

impl Dialect for Ollama {
    fn path(&self) -> &'static str {
        "api/chat"
    }

    fn body(&self, model: &str, messages: &[Value], tools: Option<&Value>) -> Value {
        let mut body = json!({
            "model": model,
            "messages": messages,
            "stream": true,
            "options": {"temperature": 0},
        });
        if let Some(tools) = tools {
            body["tools"] = tools.clone();
        }
        body
    }

    fn parse(&mut self, line: &str) -> Result<Vec<Piece>, PluginError> {
        if line.trim().is_empty() {
            return Ok(Vec::new());
        }
        let event: Value = serde_json::from_str(line).map_err(|e| {
            PluginError::new(
                ErrorKind::Upstream,
                format!("the model sent a line that is not JSON: {e}"),
            )
        })?;
        if let Some(error) = event["error"].as_str() {
            return Err(PluginError::new(
                ErrorKind::Upstream,
                format!("the model reported an error: {error}"),
            ));
        }
        let mut out = Vec::new();
        let message = &event["message"];
        if let Some(text) = message["content"].as_str().filter(|t| !t.is_empty()) {
            out.push(Piece::Text(text.to_string()));
        }
        for call in message["tool_calls"].as_array().into_iter().flatten() {
            let arguments = match &call["function"]["arguments"] {
                Value::String(s) => s.clone(),
                Value::Null => "{}".to_string(),
                other => other.to_string(),
            };
            out.push(Piece::Call {
                index: self.calls,
                id: Some(format!("call_{}", self.calls)),
                name: call["function"]["name"].as_str().map(str::to_string),
                arguments,
            });
            self.calls += 1;
        }
        if event["done"].as_bool() == Some(true) {
            self.calls = 0;
            out.push(Piece::End);
        }
        Ok(out)
    }

    fn calls_message(&self, calls: &[ToolCall]) -> Value {
        json!({
            "role": "assistant",
            "content": "",
            "tool_calls": calls.iter().map(|c| json!({
                "function": {
                    "name": c.name,
                    "arguments": serde_json::from_str::<Value>(&c.arguments).unwrap_or_else(|_| json!({})),
                },
            })).collect::<Vec<_>>(),
        })
    }

    fn result_message(&self, call: &ToolCall, content: &str) -> Value {
        json!({"role": "tool", "tool_name": call.name, "content": content})
    }
}

/// The adapter the component exports.
pub struct Adapter;

impl Llm for Adapter {
    fn info() -> LlmInfo {
        LlmInfo {
            id: "llm-ollama".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            name: "Ollama chat".into(),
            api: "ollama-chat".into(),
        }
    }

    fn answer(question: Question) -> Result<Response, PluginError> {
        hearth_llm_kit::answer(&mut Ollama::default(), question)
    }
}

// Exported only in the component: a native build (for the tests) links no
// component exports.
#[cfg(target_family = "wasm")]
hearth_plugin_sdk::llm::export_llm!(Adapter);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_give_text_whole_tool_calls_and_the_end() {
        let mut d = Ollama::default();
        assert_eq!(
            d.parse(
                r#"{"model":"m","message":{"role":"assistant","content":"Your"},"done":false}"#
            )
            .expect("text"),
            [Piece::Text("Your".into())]
        );
        assert_eq!(
            d.parse(r#"{"model":"m","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"read_record","arguments":{"label":"R2"}}}]},"done":false}"#)
                .expect("call"),
            [Piece::Call { index: 0, id: Some("call_0".into()), name: Some("read_record".into()), arguments: "{\"label\":\"R2\"}".into() }]
        );
        assert_eq!(
            d.parse(r#"{"model":"m","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop"}"#)
                .expect("end"),
            [Piece::End]
        );
        let failed = d
            .parse(r#"{"error":"model 'x' not found"}"#)
            .expect_err("error line");
        assert!(failed.message.contains("not found"));
    }
}
