//! `hearth:llm@0.1.0`: the first llm world. The adapter reads raw records
//! through `hearth:common/records`, names the records it cites as `Type/id`
//! in `cited`, and sends whole request bodies to the endpoint itself.

use super::Question;
use crate::plugins::interfaces::common::types::PluginError;
use crate::plugins::runtime::call::CallState;
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

/// Add this world's own interfaces to `linker`.
pub fn add_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    types::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)?;
    model::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)?;
    reply::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)?;
    Ok(())
}

impl types::Host for CallState {}

impl model::Host for CallState {
    async fn send(&mut self, body: String) -> wasmtime::Result<Result<String, PluginError>> {
        self.model_send(body).await
    }
}

impl reply::Host for CallState {
    async fn write(&mut self, text: String) -> wasmtime::Result<()> {
        self.reply_write(text)
    }
}

/// Answer: the 0.1 adapter is given the conversation only (no model name,
/// no tools, no date) and answers with the ids it cites.
pub async fn answer(
    pre: &LlmPre<CallState>,
    store: &mut wasmtime::Store<CallState>,
    question: Question,
) -> wasmtime::Result<Result<(String, Option<Vec<String>>), PluginError>> {
    let messages = super::messages_to!(question.conversation, types);
    let llm = pre.instantiate_async(&mut *store).await?;
    let found = llm
        .hearth_llm_plugin()
        .call_answer(&mut *store, &messages)
        .await?;
    Ok(found.map(|r| (r.text, Some(r.cited))))
}
