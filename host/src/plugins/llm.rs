//! llm adapters: answer a question from a profile's records, reaching the
//! model only through the host (which sends only to the configured endpoint)
//! and writing the answer as it goes.

use super::interfaces::common::types::{ErrorKind, PluginError};
use super::interfaces::error;
use super::interfaces::reply::{OnText, ReplyState};
use super::manifest::Kind;
use super::ports::{ModelEndpoint, ModelError, RecordsReader};
use super::runtime::call::{CallState, PluginFailure};
use super::{LoadedPlugin, Plugins, finish};
use serde::Serialize;
use std::sync::Arc;
use wasmtime::component::{HasSelf, Linker};

#[allow(missing_docs)]
mod generated {
    wasmtime::component::bindgen!({
        path: "../wit/llm/0.1.0",
        world: "hearth:llm/llm",
        imports: { default: async | trappable },
        exports: { default: async },
        with: {
            "hearth:common/types@0.1.0": crate::plugins::interfaces::common::types,
            "hearth:common/log@0.1.0": crate::plugins::interfaces::common::log,
            "hearth:common/records@0.1.0": crate::plugins::interfaces::common::records,
        },
    });
}

pub use generated::LlmPre;
use generated::hearth::llm::{model, reply, types};

/// Add the llm world's own interfaces to `linker`.
pub fn add_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    types::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)?;
    model::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)?;
    reply::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)?;
    Ok(())
}

impl types::Host for CallState {}

impl model::Host for CallState {
    async fn send(&mut self, body: String) -> wasmtime::Result<Result<String, PluginError>> {
        let Some(endpoint) = self.model.clone() else {
            return Ok(Err(error(
                ErrorKind::NotFound,
                "no model endpoint is configured (or this plugin did not declare `model = true`)",
            )));
        };
        Ok(endpoint.send(body).await.map_err(|e| match e {
            ModelError::Unauthorized(m) => error(ErrorKind::Unauthorized, m),
            ModelError::Upstream(m) => PluginError {
                kind: ErrorKind::Upstream,
                message: m,
                retryable: true,
            },
        }))
    }
}

impl reply::Host for CallState {
    async fn write(&mut self, text: String) -> wasmtime::Result<()> {
        self.reply_write(text)
    }
}

/// Who said a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions.
    System,
    /// The person asking.
    User,
    /// The model.
    Assistant,
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    /// Who said it.
    pub role: Role,
    /// What was said.
    pub content: String,
}

/// A finished answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    /// The whole text, with `[R<n>]` citations.
    pub text: String,
    /// `Type/id` of each record it cites.
    pub cited: Vec<String>,
    /// What the adapter wrote while answering.
    pub written: String,
}

/// What an llm call may use besides the conversation.
pub struct LlmCall {
    /// The profile's records.
    pub records: Arc<dyn RecordsReader>,
    /// The configured model endpoint, if any.
    pub model: Option<Arc<dyn ModelEndpoint>>,
    /// Told each piece of the answer as it is written.
    pub on_text: Option<OnText>,
}

impl Plugins {
    /// Ask an llm adapter to answer the last message of `conversation`.
    pub async fn answer(
        &self,
        plugin: &LoadedPlugin,
        conversation: Vec<Message>,
        call: LlmCall,
    ) -> Result<Answer, PluginFailure> {
        let super::KindPre::Llm(pre) = &plugin.pre else {
            return Err(super::wrong_kind(plugin, Kind::Llm));
        };
        let mut store = self.store_reading(plugin, call.records);
        {
            let state = store.data_mut();
            if plugin.manifest.permissions.model {
                state.model = call.model;
            }
            state.reply = Some(ReplyState {
                text: String::new(),
                max_bytes: plugin.limits.max_output_bytes,
                on_text: call.on_text,
            });
        }
        let messages: Vec<types::Message> = conversation
            .into_iter()
            .map(|m| types::Message {
                role: match m.role {
                    Role::System => types::Role::System,
                    Role::User => types::Role::User,
                    Role::Assistant => types::Role::Assistant,
                },
                content: m.content,
            })
            .collect();
        let outcome = tokio::time::timeout(plugin.limits.timeout, async {
            let llm = pre.instantiate_async(&mut store).await?;
            llm.hearth_llm_plugin()
                .call_answer(&mut store, &messages)
                .await
        })
        .await;
        let response = finish(&store, &plugin.limits, outcome)?;
        let written = store
            .data()
            .reply
            .as_ref()
            .map(|r| r.text.clone())
            .unwrap_or_default();
        Ok(Answer {
            text: response.text,
            cited: response.cited,
            written,
        })
    }
}
