//! llm adapters: answer a question from a profile's records, reaching the
//! model only through the host (which sends only to the configured endpoint)
//! and writing the answer as it goes. One module per released world; the
//! host's side of each interface lives once, here, and the old world's
//! bindings convert to it.

use super::interfaces::common::types::{ErrorKind, PluginError};
use super::interfaces::error;
use super::interfaces::reply::{OnText, ReplyState};
use super::manifest::Kind;
use super::ports::{ChatTools, ModelEndpoint, ModelError, RecordsReader};
use super::runtime::call::{CallState, PluginFailure, ReadsExceeded};
use super::world::Version;
use super::{LoadedPlugin, PluginInfo, Plugins, finish};
use futures_util::StreamExt;
use serde::Serialize;
use std::sync::Arc;
use wasmtime::component::Linker;

mod v0_1;
mod v0_2;

/// An llm component ready to instantiate, by the world version it targets.
pub enum LlmPre {
    /// `hearth:llm@0.1.0`: raw records, `cited` ids, a whole-body `send`.
    V0_1(v0_1::LlmPre<CallState>),
    /// `hearth:llm@0.2.0`: labelled tools, a streamed model reply.
    V0_2(v0_2::LlmPre<CallState>),
}

impl LlmPre {
    /// Wrap a pre-instantiated component of world `version`.
    pub fn new(
        version: Version,
        pre: wasmtime::component::InstancePre<CallState>,
    ) -> wasmtime::Result<Self> {
        if version == Version::new(0, 1, 0) {
            Ok(LlmPre::V0_1(v0_1::LlmPre::new(pre)?))
        } else {
            Ok(LlmPre::V0_2(v0_2::LlmPre::new(pre)?))
        }
    }

    /// The component's `info()`.
    pub async fn info(
        &self,
        store: &mut wasmtime::Store<CallState>,
    ) -> wasmtime::Result<PluginInfo> {
        match self {
            LlmPre::V0_1(pre) => crate::plugins::call_info!(pre, store, hearth_llm_plugin),
            LlmPre::V0_2(pre) => crate::plugins::call_info!(pre, store, hearth_llm_plugin),
        }
    }
}

/// Add every llm world's own interfaces to `linker`.
pub fn add_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    v0_1::add_to_linker(linker)?;
    v0_2::add_to_linker(linker)
}

/// Most tool requests one answer may make.
pub const MAX_TOOL_REQUESTS: u32 = 200;

/// A call's access to the chat tools, with what it has used.
pub struct ToolsAccess {
    /// The domain's tools, bound to the call's profile and answer.
    pub port: Arc<dyn ChatTools>,
    /// Requests so far.
    pub requests: u32,
    /// Bytes handed to the plugin so far.
    pub bytes_read: usize,
    /// Bytes the call may read in total.
    pub max_bytes: usize,
}

impl ToolsAccess {
    /// Count one request and the bytes it returned; past either limit, the call is stopped.
    fn charge(&mut self, bytes: usize) -> wasmtime::Result<()> {
        self.requests = self.requests.saturating_add(1);
        if self.requests > MAX_TOOL_REQUESTS {
            return Err(ReadsExceeded::Requests(MAX_TOOL_REQUESTS).into());
        }
        self.bytes_read = self.bytes_read.saturating_add(bytes);
        if self.bytes_read > self.max_bytes {
            return Err(ReadsExceeded::Bytes(self.max_bytes).into());
        }
        Ok(())
    }
}

fn no_endpoint() -> PluginError {
    error(
        ErrorKind::NotFound,
        "no model endpoint is configured (or this plugin did not declare `model = true`)",
    )
}

fn model_error(e: ModelError) -> PluginError {
    let message = e.to_string();
    match e {
        ModelError::Invalid(_) => error(ErrorKind::InvalidInput, message),
        ModelError::Unauthorized(_) => error(ErrorKind::Unauthorized, message),
        ModelError::RateLimited(_) => PluginError {
            kind: ErrorKind::RateLimited,
            message,
            retryable: true,
        },
        ModelError::Upstream(_) => PluginError {
            kind: ErrorKind::Upstream,
            message,
            retryable: true,
        },
    }
}

/// Largest model reply body one `next` hands over: bigger pieces are split,
/// so a flood from the endpoint is paced by the adapter's reading.
const MAX_PIECE: usize = 64 * 1024;

impl CallState {
    /// `model.post`: start a request to the configured endpoint.
    async fn model_post(&mut self, path: String, body: String) -> Result<(), PluginError> {
        self.model_body = None;
        let Some(endpoint) = self.model.clone() else {
            return Err(no_endpoint());
        };
        let body = endpoint.post(path, body).await.map_err(model_error)?;
        self.model_body = Some(body);
        self.model_pending = None;
        Ok(())
    }

    /// `model.next`: the next bytes of the reply, none at its end.
    async fn model_next(&mut self) -> Result<Option<Vec<u8>>, PluginError> {
        if let Some(mut pending) = self.model_pending.take() {
            if pending.len() > MAX_PIECE {
                self.model_pending = Some(pending.split_off(MAX_PIECE));
            }
            return Ok(Some(pending.to_vec()));
        }
        let Some(body) = self.model_body.as_mut() else {
            return Err(error(
                ErrorKind::InvalidInput,
                "no model request is open: call `post` first",
            ));
        };
        match body.next().await {
            None => {
                self.model_body = None;
                Ok(None)
            }
            Some(Err(e)) => {
                self.model_body = None;
                Err(model_error(e))
            }
            Some(Ok(mut bytes)) => {
                if bytes.len() > MAX_PIECE {
                    self.model_pending = Some(bytes.split_off(MAX_PIECE));
                }
                Ok(Some(bytes.to_vec()))
            }
        }
    }

    /// The 0.1 `model.send`: the whole reply body as text.
    async fn model_send(&mut self, body: String) -> wasmtime::Result<Result<String, PluginError>> {
        if let Err(e) = self.model_post(String::new(), body).await {
            return Ok(Err(e));
        }
        let mut all = Vec::new();
        let limit = self.reply.as_ref().map_or(usize::MAX, |r| r.max_bytes);
        loop {
            match self.model_next().await {
                Ok(Some(bytes)) => {
                    all.extend_from_slice(&bytes);
                    if all.len() > limit {
                        return Err(super::runtime::call::OutputExceeded(limit).into());
                    }
                }
                Ok(None) => break,
                Err(e) => return Ok(Err(e)),
            }
        }
        Ok(String::from_utf8(all).map_err(|_| {
            error(
                ErrorKind::Upstream,
                "the model endpoint answered with text that is not UTF-8",
            )
        }))
    }
}

/// `Vec<types::Message>` of a world's generated `types` from the host's
/// messages: both worlds share the shape.
macro_rules! messages_to {
    ($messages:expr, $types:path) => {{
        use $types as t;
        $messages
            .into_iter()
            .map(|m| t::Message {
                role: match m.role {
                    super::Role::System => t::Role::System,
                    super::Role::User => t::Role::User,
                    super::Role::Assistant => t::Role::Assistant,
                },
                content: m.content,
            })
            .collect::<Vec<t::Message>>()
    }};
}
use messages_to;

/// Who said a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
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

/// What to answer, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    /// The conversation, oldest first; the last message is the question.
    pub conversation: Vec<Message>,
    /// The model to ask.
    pub model: String,
    /// Whether the model may be offered tools.
    pub offer_tools: bool,
    /// Today, `YYYY-MM-DD`.
    pub today: String,
}

/// A finished answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    /// The whole text, with `[R<n>]` citations.
    pub text: String,
    /// For a 0.1 adapter, the `Type/id` each `[R<n>]` stands for, in order;
    /// `None` when the labels are the ones the tools handed out (0.2).
    pub cited: Option<Vec<String>>,
    /// What the adapter wrote while answering.
    pub written: String,
}

/// What an llm call may use besides the question.
pub struct LlmCall {
    /// The profile's records, for adapters of the first world (0.1).
    pub records: Arc<dyn RecordsReader>,
    /// The labelled tools over the same records (0.2).
    pub tools: Option<Arc<dyn ChatTools>>,
    /// The configured model endpoint, if any.
    pub model: Option<Arc<dyn ModelEndpoint>>,
    /// Told each piece of the answer as it is written.
    pub on_text: Option<OnText>,
}

impl Plugins {
    /// Ask an llm adapter to answer the last message of the question's conversation.
    pub async fn answer(
        &self,
        plugin: &LoadedPlugin,
        question: Question,
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
            if plugin.manifest.permissions.records == super::manifest::RecordsPermission::Read {
                state.tools = call.tools.map(|port| ToolsAccess {
                    port,
                    requests: 0,
                    bytes_read: 0,
                    max_bytes: plugin.limits.max_output_bytes,
                });
            }
            state.reply = Some(ReplyState {
                text: String::new(),
                max_bytes: plugin.limits.max_output_bytes,
                on_text: call.on_text,
            });
        }
        let outcome = tokio::time::timeout(plugin.limits.timeout, async {
            match pre {
                LlmPre::V0_1(pre) => v0_1::answer(pre, &mut store, question).await,
                LlmPre::V0_2(pre) => v0_2::answer(pre, &mut store, question).await,
            }
        })
        .await;
        let (text, cited) = finish(&store, &plugin.limits, outcome)?;
        let written = store
            .data()
            .reply
            .as_ref()
            .map(|r| r.text.clone())
            .unwrap_or_default();
        Ok(Answer {
            text,
            cited,
            written,
        })
    }
}
