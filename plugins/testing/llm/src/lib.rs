//! A trivial llm adapter for the host's tests: it asks the model through the
//! host when the question is `model`, and otherwise answers with the records
//! a text search for the question finds. A question naming a misbehaviour
//! gets it; `flood` writes the reply without end.

//!
//! Built against `hearth:llm@0.1.0`, the first llm world, so the host's 0.1
//! adapter stays tested (the SDK builds against the newest).

mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit/llm/0.1.0",
        world: "hearth:llm/llm",
        with: {
            "hearth:common/types@0.1.0": hearth_plugin_sdk::bindings::common::hearth::common::types,
            "hearth:common/log@0.1.0": hearth_plugin_sdk::bindings::common::hearth::common::log,
            "hearth:common/records@0.1.0": hearth_plugin_sdk::bindings::common::hearth::common::records,
        },
        generate_all,
    });
}

use bindings::exports::hearth::llm::plugin::Guest as Llm;
use bindings::hearth::llm::model::send;
use bindings::hearth::llm::reply::write;
use bindings::hearth::llm::types::{LlmInfo, Message, Response};
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

bindings::export!(TestLlm with_types_in bindings);
