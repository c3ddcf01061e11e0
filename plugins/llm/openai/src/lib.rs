//! The OpenAI-compatible chat adapter: Chat Completions with `stream: true`,
//! read as server-sent events (`data: {…}` lines, `data: [DONE]` at the
//! end), text in `choices[0].delta.content`, tool calls in
//! `choices[0].delta.tool_calls` with their arguments streamed in pieces.

use hearth_llm_kit::{Dialect, Piece, ToolCall};
use hearth_plugin_sdk::llm::{Llm, LlmInfo, Question, Response};
use hearth_plugin_sdk::{ErrorKind, PluginError};
use serde_json::{Value, json};

/// The Chat Completions dialect.
#[derive(Debug, Default)]
pub struct OpenAi;

impl Dialect for OpenAi {
    fn path(&self) -> &'static str {
        "chat/completions"
    }

    fn body(&self, model: &str, messages: &[Value], tools: Option<&Value>) -> Value {
        let mut body = json!({
            "model": model,
            "messages": messages,
            "stream": true,
            "temperature": 0,
        });
        if let Some(tools) = tools {
            body["tools"] = tools.clone();
        }
        body
    }

    fn parse(&mut self, line: &str) -> Result<Vec<Piece>, PluginError> {
        // Comments (`: keep-alive`), `event:`/`id:` fields and blank separators carry nothing.
        let Some(data) = line.strip_prefix("data:") else {
            return Ok(Vec::new());
        };
        let data = data.trim();
        if data == "[DONE]" {
            return Ok(vec![Piece::End]);
        }
        if data.is_empty() {
            return Ok(Vec::new());
        }
        let event: Value = serde_json::from_str(data).map_err(|e| {
            PluginError::new(
                ErrorKind::Upstream,
                format!("the model sent an event that is not JSON: {e}"),
            )
        })?;
        if let Some(error) = event.get("error") {
            let message = error["message"].as_str().unwrap_or("no message");
            return Err(PluginError::new(
                ErrorKind::Upstream,
                format!("the model reported an error: {message}"),
            ));
        }
        let mut out = Vec::new();
        let Some(choice) = event["choices"].as_array().and_then(|c| c.first()) else {
            return Ok(out);
        };
        let delta = &choice["delta"];
        if let Some(text) = delta["content"].as_str().filter(|t| !t.is_empty()) {
            out.push(Piece::Text(text.to_string()));
        }
        for (n, call) in delta["tool_calls"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            out.push(Piece::Call {
                index: call["index"]
                    .as_u64()
                    .and_then(|i| usize::try_from(i).ok())
                    .unwrap_or(n),
                id: call["id"].as_str().map(str::to_string),
                name: call["function"]["name"].as_str().map(str::to_string),
                arguments: call["function"]["arguments"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            });
        }
        Ok(out)
    }

    fn calls_message(&self, calls: &[ToolCall]) -> Value {
        json!({
            "role": "assistant",
            "content": null,
            "tool_calls": calls.iter().enumerate().map(|(i, c)| json!({
                "id": if c.id.is_empty() { format!("call_{i}") } else { c.id.clone() },
                "type": "function",
                "function": {"name": c.name, "arguments": c.arguments},
            })).collect::<Vec<_>>(),
        })
    }

    fn result_message(&self, call: &ToolCall, content: &str) -> Value {
        json!({"role": "tool", "tool_call_id": call.id, "content": content})
    }
}

/// The adapter the component exports.
pub struct Adapter;

impl Llm for Adapter {
    fn info() -> LlmInfo {
        LlmInfo {
            id: "llm-openai".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            name: "OpenAI-compatible chat".into(),
            api: "openai-chat".into(),
        }
    }

    fn answer(question: Question) -> Result<Response, PluginError> {
        hearth_llm_kit::answer(&mut OpenAi, question)
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
    fn events_give_text_tool_call_pieces_and_the_end() {
        let mut d = OpenAi;
        assert_eq!(
            d.parse(r#"data: {"choices":[{"index":0,"delta":{"role":"assistant","content":"Your A1c"}}]}"#)
                .expect("text"),
            [Piece::Text("Your A1c".into())]
        );
        assert_eq!(
            d.parse(r#"data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"search_records","arguments":""}}]}}]}"#)
                .expect("call"),
            [Piece::Call { index: 0, id: Some("call_1".into()), name: Some("search_records".into()), arguments: String::new() }]
        );
        assert_eq!(
            d.parse(r#"data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"query\":"}}]}}]}"#)
                .expect("args"),
            [Piece::Call { index: 0, id: None, name: None, arguments: "{\"query\":".into() }]
        );
        assert_eq!(d.parse(": keep-alive").expect("comment"), []);
        assert_eq!(d.parse("").expect("blank"), []);
        assert_eq!(d.parse("data: [DONE]").expect("end"), [Piece::End]);
        let failed = d
            .parse(r#"data: {"error":{"message":"model overloaded","type":"server_error"}}"#)
            .expect_err("error event");
        assert!(failed.message.contains("model overloaded"));
        assert!(d.parse("data: {not json").is_err());
    }

    #[test]
    fn requests_stream_and_offer_tools_only_when_asked() {
        let d = OpenAi;
        let body = d.body(
            "gpt-test",
            &[json!({"role": "user", "content": "hi"})],
            None,
        );
        assert_eq!(body["stream"], true);
        assert!(body.get("tools").is_none());
        let tools = hearth_llm_kit::tools::spec();
        let body = d.body("gpt-test", &[], Some(&tools));
        assert_eq!(body["tools"][0]["function"]["name"], "search_records");
    }
}
