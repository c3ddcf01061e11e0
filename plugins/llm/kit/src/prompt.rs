//! Grounding a question: the records a search for it finds, read as
//! summaries, put before the model with the host's instructions.

use hearth_plugin_sdk::PluginError;
use hearth_plugin_sdk::llm::{Message, Role, tools};
use serde_json::{Value, json};

/// Records read in full for the first prompt.
pub const GROUNDING: u32 = 12;

/// The records found for a question, as text for the model.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Grounding {
    /// One summary per record, each headed by its label.
    pub summaries: Vec<String>,
}

/// Search the records for `question` and read the best matches.
pub fn ground(question: &str) -> Result<Grounding, PluginError> {
    let hits = tools::search(&tools::SearchRequest {
        query: question.to_string(),
        types: Vec::new(),
        since: None,
        until: None,
        limit: Some(GROUNDING),
    })?;
    let mut summaries = Vec::with_capacity(hits.len());
    for hit in hits {
        summaries.push(tools::read(&hit.label)?);
    }
    Ok(Grounding { summaries })
}

/// The records section of the instructions.
pub fn records_section(g: &Grounding) -> String {
    if g.summaries.is_empty() {
        "No record matched the question.".to_string()
    } else {
        format!("Records:\n{}", g.summaries.join("\n"))
    }
}

/// The conversation as chat messages, the records added to the instructions.
pub fn messages(conversation: &[Message], g: &Grounding) -> Vec<Value> {
    let section = records_section(g);
    let mut out = Vec::with_capacity(conversation.len() + 1);
    let mut placed = false;
    for m in conversation {
        let role = match m.role {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        };
        if m.role == Role::System && !placed {
            out.push(json!({"role": role, "content": format!("{}\n\n{section}", m.content)}));
            placed = true;
        } else {
            out.push(json!({"role": role, "content": m.content}));
        }
    }
    if !placed {
        out.insert(0, json!({"role": "system", "content": section}));
    }
    out
}
