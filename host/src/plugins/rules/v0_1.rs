//! `hearth:rules@0.1.0`: the first rules world: recommendations only, no
//! views, no dose evaluations.

use super::Evaluation;
use crate::plugins::PluginInfo;
use crate::plugins::interfaces::common::types::PluginError;
use crate::plugins::runtime::call::CallState;
use wasmtime::component::{HasSelf, Linker};

#[allow(missing_docs)]
mod generated {
    wasmtime::component::bindgen!({
        path: "../wit/rules/0.1.0",
        world: "hearth:rules/rules",
        imports: { default: async | trappable },
        exports: { default: async },
        with: {
            "hearth:common/types@0.1.0": crate::plugins::interfaces::common::types,
            "hearth:common/log@0.1.0": crate::plugins::interfaces::common::log,
            "hearth:common/records@0.1.0": crate::plugins::interfaces::common::records,
        },
    });
}

pub use generated::RulesPre;
use generated::hearth::rules::types;

mod convert {
    super::super::common_from!(super::types);
}

/// Add this world's own interfaces to `linker`.
pub fn add_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    types::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)
}

impl types::Host for CallState {}

/// The component's `info()`.
pub async fn info(
    pre: &RulesPre<CallState>,
    store: &mut wasmtime::Store<CallState>,
) -> wasmtime::Result<PluginInfo> {
    crate::plugins::call_info!(pre, store, hearth_rules_plugin)
}

/// Evaluate: the recommendations, and no dose evaluations (0.1 has none).
pub async fn evaluate(
    pre: &RulesPre<CallState>,
    store: &mut wasmtime::Store<CallState>,
    as_of: &str,
    settings: Vec<(String, String)>,
) -> wasmtime::Result<Result<Evaluation, PluginError>> {
    let request = types::EvaluateRequest {
        as_of: as_of.to_string(),
        settings,
    };
    let rules = pre.instantiate_async(&mut *store).await?;
    let found = rules
        .hearth_rules_plugin()
        .call_evaluate(&mut *store, &request)
        .await?;
    Ok(found.map(|list| Evaluation {
        recommendations: list
            .into_iter()
            .map(|r| super::recommendation_from!(r, convert, None))
            .collect(),
        doses: Vec::new(),
    }))
}
