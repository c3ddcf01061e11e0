//! `hearth:rules@0.2.0`: views, immunization forecasts and dose evaluations.

use super::{DoseEvaluation, DoseStatus, Evaluation, ImmunizationForecast, SeriesStatus};
use crate::plugins::PluginInfo;
use crate::plugins::interfaces::common::types::PluginError;
use crate::plugins::runtime::call::CallState;
use wasmtime::component::{HasSelf, Linker};

#[allow(missing_docs)]
mod generated {
    wasmtime::component::bindgen!({
        path: "../wit/rules/0.2.0",
        world: "hearth:rules/rules",
        imports: { default: async | trappable },
        exports: { default: async },
        with: {
            "hearth:common/types@0.1.0": crate::plugins::interfaces::common::types,
            "hearth:common/log@0.1.0": crate::plugins::interfaces::common::log,
            "hearth:common/records@0.1.0": crate::plugins::interfaces::common::records,
            "hearth:views/view@0.1.0": crate::plugins::interfaces::views_wit::view,
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

/// Evaluate: recommendations and dose evaluations.
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
    Ok(found.map(|e| Evaluation {
        recommendations: e
            .recommendations
            .into_iter()
            .map(|r| {
                super::recommendation_from!(
                    r,
                    convert,
                    r.immunization.map(|f| ImmunizationForecast {
                        series_status: match f.series_status {
                            types::SeriesStatus::NotComplete => SeriesStatus::NotComplete,
                            types::SeriesStatus::Complete => SeriesStatus::Complete,
                            types::SeriesStatus::Immune => SeriesStatus::Immune,
                            types::SeriesStatus::Contraindicated => SeriesStatus::Contraindicated,
                            types::SeriesStatus::AgedOut => SeriesStatus::AgedOut,
                            types::SeriesStatus::NotRecommended => SeriesStatus::NotRecommended,
                        },
                        vaccine_group: f.vaccine_group,
                        vaccine_group_cvx: f.vaccine_group_cvx,
                        series: f.series,
                        dose_number: f.dose_number,
                        latest: f.latest,
                        vaccines: f.vaccines,
                        diseases: f.diseases,
                    })
                )
            })
            .collect(),
        doses: e
            .doses
            .into_iter()
            .map(|d| DoseEvaluation {
                immunization: d.immunization,
                vaccine_group: d.vaccine_group,
                disease: d.disease,
                series: d.series,
                dose_number: d.dose_number,
                status: match d.status {
                    types::DoseStatus::Valid => DoseStatus::Valid,
                    types::DoseStatus::NotValid => DoseStatus::NotValid,
                    types::DoseStatus::Extraneous => DoseStatus::Extraneous,
                    types::DoseStatus::SubStandard => DoseStatus::SubStandard,
                },
                reasons: d.reasons,
            })
            .collect(),
    }))
}
