//! `hearth:llm@0.2.0`: labelled tools over the profile's records and a
//! streamed model reply the adapter parses itself.

use super::{Question, ToolsAccess};
use crate::plugins::interfaces::common::types::{ErrorKind, PluginError};
use crate::plugins::interfaces::error;
use crate::plugins::interfaces::records::read_error;
use crate::plugins::ports::{ToolSearch, ViewQuery};
use crate::plugins::runtime::call::CallState;
use wasmtime::component::{HasSelf, Linker};

#[allow(missing_docs)]
mod generated {
    wasmtime::component::bindgen!({
        path: "../wit/llm/0.2.0",
        world: "hearth:llm/llm",
        imports: { default: async | trappable },
        exports: { default: async },
        with: {
            "hearth:common/types@0.1.0": crate::plugins::interfaces::common::types,
            "hearth:common/log@0.1.0": crate::plugins::interfaces::common::log,
        },
    });
}

pub use generated::LlmPre;
use generated::hearth::llm::{model, reply, tools, types};

/// Add this world's own interfaces to `linker`.
pub fn add_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    types::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)?;
    tools::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)?;
    model::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)?;
    reply::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)?;
    Ok(())
}

/// Most hits one search returns.
const MAX_HITS: u32 = 50;
/// Most rows one view returns to a model.
const MAX_VIEW_ROWS: u32 = 1_000;

fn no_tools() -> PluginError {
    error(
        ErrorKind::InvalidInput,
        "this plugin did not declare `records = \"read\"` in its manifest, or the call is for no profile",
    )
}

impl CallState {
    fn tools_access(&mut self) -> Option<&mut ToolsAccess> {
        self.tools.as_mut()
    }
}

impl types::Host for CallState {}

impl tools::Host for CallState {
    async fn search(
        &mut self,
        request: tools::SearchRequest,
    ) -> wasmtime::Result<Result<Vec<tools::Hit>, PluginError>> {
        let Some(access) = self.tools_access() else {
            return Ok(Err(no_tools()));
        };
        if request.limit.is_some_and(|n| n == 0 || n > MAX_HITS) {
            access.charge(0)?;
            return Ok(Err(error(
                ErrorKind::InvalidInput,
                format!("limit: a search returns 1 to {MAX_HITS} hits"),
            )));
        }
        let port = access.port.clone();
        let found = port
            .search(ToolSearch {
                query: request.query,
                types: request.types,
                since: request.since,
                until: request.until,
                limit: request.limit,
            })
            .await;
        match found {
            Ok(hits) => {
                access.charge(hits.iter().map(|h| h.title.len() + h.id.len()).sum())?;
                Ok(Ok(hits
                    .into_iter()
                    .map(|h| tools::Hit {
                        label: h.label,
                        id: h.id,
                        resource_type: h.resource_type,
                        date: h.date,
                        title: h.title,
                    })
                    .collect()))
            }
            Err(e) => {
                access.charge(0)?;
                Ok(Err(read_error(e)))
            }
        }
    }

    async fn read(&mut self, label: String) -> wasmtime::Result<Result<String, PluginError>> {
        let Some(access) = self.tools_access() else {
            return Ok(Err(no_tools()));
        };
        let port = access.port.clone();
        match port.read(&label).await {
            Ok(text) => {
                access.charge(text.len())?;
                Ok(Ok(text))
            }
            Err(e) => {
                access.charge(0)?;
                Ok(Err(read_error(e)))
            }
        }
    }

    async fn view(
        &mut self,
        definition: String,
        filter: Option<String>,
        limit: Option<u32>,
    ) -> wasmtime::Result<Result<tools::LabelledRows, PluginError>> {
        let Some(access) = self.tools_access() else {
            return Ok(Err(no_tools()));
        };
        if limit.is_some_and(|n| n == 0 || n > MAX_VIEW_ROWS) {
            access.charge(0)?;
            return Ok(Err(error(
                ErrorKind::InvalidInput,
                format!("limit: a view returns 1 to {MAX_VIEW_ROWS} rows"),
            )));
        }
        let port = access.port.clone();
        let found = port
            .view(ViewQuery {
                definition,
                filter,
                limit: Some(limit.unwrap_or(100) as usize),
            })
            .await;
        match found {
            Ok(table) => {
                access.charge(table.rows.iter().map(String::len).sum())?;
                Ok(Ok(tools::LabelledRows {
                    columns: table.columns,
                    rows: table.rows,
                    labels: table.labels,
                    truncated: table.truncated,
                }))
            }
            Err(e) => {
                access.charge(0)?;
                Ok(Err(read_error(e)))
            }
        }
    }
}

impl model::Host for CallState {
    async fn post(
        &mut self,
        path: String,
        body: String,
    ) -> wasmtime::Result<Result<(), PluginError>> {
        Ok(self.model_post(path, body).await)
    }

    async fn next(&mut self) -> wasmtime::Result<Result<Option<Vec<u8>>, PluginError>> {
        Ok(self.model_next().await)
    }
}

impl reply::Host for CallState {
    async fn write(&mut self, text: String) -> wasmtime::Result<()> {
        self.reply_write(text)
    }
}

/// Answer: the text cites the labels the tools handed out.
pub async fn answer(
    pre: &LlmPre<CallState>,
    store: &mut wasmtime::Store<CallState>,
    question: Question,
) -> wasmtime::Result<Result<(String, Option<Vec<String>>), PluginError>> {
    let question = types::Question {
        conversation: super::messages_to!(question.conversation, types),
        model: question.model,
        offer_tools: question.offer_tools,
        today: question.today,
    };
    let llm = pre.instantiate_async(&mut *store).await?;
    let found = llm
        .hearth_llm_plugin()
        .call_answer(&mut *store, &question)
        .await?;
    Ok(found.map(|r| (r.text, None)))
}
