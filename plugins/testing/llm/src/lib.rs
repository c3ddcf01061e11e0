//! A trivial llm adapter for the host's tests: it asks the model through the
//! host when the question is `model`, and otherwise answers with the records
//! a text search for the question finds. A question naming a misbehaviour
//! gets it; `flood` writes the reply without end.

use hearth_plugin_sdk::llm::{Llm, LlmInfo, Message, Response, export_llm, send, write};
use hearth_plugin_sdk::{PluginError, records};

struct TestLlm;

impl Llm for TestLlm {
    fn info() -> LlmInfo {
        LlmInfo {
            id: "test-llm".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            name: "Test llm adapter".into(),
            api: "test".into(),
        }
    }

    fn answer(conversation: Vec<Message>) -> Result<Response, PluginError> {
        let question = conversation
            .last()
            .map(|m| m.content.clone())
            .unwrap_or_default();
        hearth_test_misbehaviour::perform(&question);
        match question.as_str() {
            "flood" => {
                let chunk = "x".repeat(1 << 20);
                loop {
                    write(&chunk);
                }
            }
            "model" => {
                let text = send(r#"{"messages":[]}"#)?;
                write(&text);
                return Ok(Response {
                    text,
                    cited: vec![],
                });
            }
            _ => {}
        }
        let found = records::search("Condition", &[("_text", &question)], 20)?;
        let cited: Vec<String> = found
            .iter()
            .map(|c| format!("Condition/{}", c["id"].as_str().unwrap_or_default()))
            .collect();
        let text = if cited.is_empty() {
            "That is not in your records.".to_string()
        } else {
            (1..=cited.len())
                .map(|n| format!("[R{n}]"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        write(&text);
        Ok(Response { text, cited })
    }
}

export_llm!(TestLlm);
