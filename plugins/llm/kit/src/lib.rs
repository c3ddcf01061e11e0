//! What Hearth's llm adapters share. An adapter only says how its API's
//! requests look and how its streamed reply reads (a [`Dialect`]); the kit
//! grounds the question in the person's records, offers the model the host's
//! tools, runs the tool-call loop, and writes the answer as it arrives.
#![deny(missing_docs)]

pub mod lines;
pub mod prompt;
pub mod tools;

use hearth_plugin_sdk::llm::{Question, Response, model, write};
use hearth_plugin_sdk::{ErrorKind, PluginError};
use serde_json::Value;

/// Rounds of tool calls before the model must answer.
pub const MAX_TOOL_ROUNDS: usize = 4;

/// One tool call the model asked for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ToolCall {
    /// The API's id for it (OpenAI gives one; Ollama does not).
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// Its arguments, as JSON text.
    pub arguments: String,
}

/// What one line of a streamed reply says.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// Text of the answer.
    Text(String),
    /// Part of a tool call: pieces with the same `index` add up to one call
    /// (a name, an id, argument text to append).
    Call {
        /// Which call of the reply.
        index: usize,
        /// Its id, when this piece carries it.
        id: Option<String>,
        /// Its name, when this piece carries it.
        name: Option<String>,
        /// Argument text to append.
        arguments: String,
    },
    /// The reply is complete.
    End,
}

/// How one model API asks and answers.
pub trait Dialect {
    /// The path of the chat call under the endpoint (`chat/completions`, `api/chat`).
    fn path(&self) -> &'static str;
    /// The request body: the model, the messages, the tools offered (if any), streamed.
    fn body(&self, model: &str, messages: &[Value], tools: Option<&Value>) -> Value;
    /// Read one complete line of the reply.
    fn parse(&mut self, line: &str) -> Result<Vec<Piece>, PluginError>;
    /// The assistant's turn that asked for `calls`, as the API wants it sent back.
    fn calls_message(&self, calls: &[ToolCall]) -> Value;
    /// A tool's result, as the API wants it sent back.
    fn result_message(&self, call: &ToolCall, content: &str) -> Value;
}

/// What one streamed reply held.
#[derive(Debug, Default)]
struct Reply {
    text: String,
    calls: Vec<ToolCall>,
}

/// Post one request and read its streamed reply, writing text as it comes.
fn exchange(dialect: &mut dyn Dialect, body: &Value) -> Result<Reply, PluginError> {
    model::post(dialect.path(), &body.to_string())?;
    let mut splitter = lines::Lines::default();
    let mut reply = Reply::default();
    let mut ended = false;
    let mut take = |line: &str, reply: &mut Reply, ended: &mut bool| -> Result<(), PluginError> {
        for piece in dialect.parse(line)? {
            match piece {
                Piece::Text(t) => {
                    write(&t);
                    reply.text.push_str(&t);
                }
                Piece::Call {
                    index,
                    id,
                    name,
                    arguments,
                } => {
                    while reply.calls.len() <= index {
                        reply.calls.push(ToolCall::default());
                    }
                    let call = &mut reply.calls[index];
                    if let Some(id) = id {
                        call.id = id;
                    }
                    if let Some(name) = name {
                        call.name = name;
                    }
                    call.arguments.push_str(&arguments);
                }
                Piece::End => *ended = true,
            }
        }
        Ok(())
    };
    while let Some(bytes) = model::next()? {
        for line in splitter.push(&bytes)? {
            take(&line, &mut reply, &mut ended)?;
        }
        if ended {
            break;
        }
    }
    if !ended && let Some(line) = splitter.finish()? {
        take(&line, &mut reply, &mut ended)?;
    }
    if !ended {
        return Err(PluginError::new(
            ErrorKind::Upstream,
            "the model's reply ended before it said it was complete",
        ));
    }
    Ok(reply)
}

/// Answer `question` through `dialect`: ground it, then let the model call
/// tools for at most [`MAX_TOOL_ROUNDS`] rounds, streaming its text.
pub fn answer(dialect: &mut dyn Dialect, question: Question) -> Result<Response, PluginError> {
    let asked = question
        .conversation
        .last()
        .map(|m| m.content.clone())
        .unwrap_or_default();
    let grounding = prompt::ground(&asked)?;
    let mut messages = prompt::messages(&question.conversation, &grounding);
    let offered = question.offer_tools.then(tools::spec);
    let mut text = String::new();
    for round in 0..=MAX_TOOL_ROUNDS {
        // The last round offers no tools, so the model must answer.
        let tools = offered.as_ref().filter(|_| round < MAX_TOOL_ROUNDS);
        let body = dialect.body(&question.model, &messages, tools);
        let reply = exchange(dialect, &body)?;
        text.push_str(&reply.text);
        let calls: Vec<ToolCall> = reply
            .calls
            .into_iter()
            .filter(|c| !c.name.is_empty())
            .collect();
        if calls.is_empty() || tools.is_none() {
            break;
        }
        messages.push(dialect.calls_message(&calls));
        for call in &calls {
            let result = tools::run(&call.name, &call.arguments);
            messages.push(dialect.result_message(call, &result));
        }
    }
    Ok(Response { text })
}
