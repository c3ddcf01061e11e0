//! Rules: judge a profile's records as of a day and say what is due, each
//! recommendation citing its guideline and the records it rests on.

use super::manifest::Kind;
use super::runtime::call::{CallState, PluginFailure};
use super::{LoadedPlugin, Plugins, finish, ports::RecordsReader};
use serde::Serialize;
use std::sync::Arc;
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

/// Add the rules world's own interfaces to `linker`.
pub fn add_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    types::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)
}

impl types::Host for CallState {}

/// The kind of a recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecommendationKind {
    /// A vaccine dose.
    Immunization,
    /// A screening test.
    Screening,
    /// A follow-up of an earlier result.
    FollowUp,
}

/// Where a recommendation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecommendationStatus {
    /// Due now.
    Due,
    /// Past its due date.
    Overdue,
    /// Due later.
    Upcoming,
    /// Done for now.
    Complete,
    /// Not recommended for this person.
    NotRecommended,
    /// Past the ages it covers.
    AgedOut,
    /// Must not be given.
    Contraindicated,
}

/// The guideline a recommendation follows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Guideline {
    /// Its name.
    pub name: String,
    /// Its version or date.
    pub version: String,
    /// Where to read it.
    pub url: String,
}

/// One recommendation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    /// A stable key.
    pub key: String,
    /// Its kind.
    pub kind: RecommendationKind,
    /// Where it stands.
    pub status: RecommendationStatus,
    /// What is recommended.
    pub title: String,
    /// Earliest date.
    pub earliest: Option<String>,
    /// Recommended date.
    pub recommended: Option<String>,
    /// Overdue after.
    pub past_due: Option<String>,
    /// Why, in plain language.
    pub reason: String,
    /// The guideline it follows.
    pub guideline: Guideline,
    /// `Type/id` of each record it rests on.
    pub evidence: Vec<String>,
}

impl From<types::Recommendation> for Recommendation {
    fn from(r: types::Recommendation) -> Self {
        use types::{RecommendationKind as K, RecommendationStatus as S};
        Recommendation {
            key: r.key,
            kind: match r.kind {
                K::Immunization => RecommendationKind::Immunization,
                K::Screening => RecommendationKind::Screening,
                K::FollowUp => RecommendationKind::FollowUp,
            },
            status: match r.status {
                S::Due => RecommendationStatus::Due,
                S::Overdue => RecommendationStatus::Overdue,
                S::Upcoming => RecommendationStatus::Upcoming,
                S::Complete => RecommendationStatus::Complete,
                S::NotRecommended => RecommendationStatus::NotRecommended,
                S::AgedOut => RecommendationStatus::AgedOut,
                S::Contraindicated => RecommendationStatus::Contraindicated,
            },
            title: r.title,
            earliest: r.earliest,
            recommended: r.recommended,
            past_due: r.past_due,
            reason: r.reason,
            guideline: Guideline {
                name: r.guideline.name,
                version: r.guideline.version,
                url: r.guideline.url,
            },
            evidence: r.evidence,
        }
    }
}

impl Plugins {
    /// Run rules' `evaluate` as of `as_of` (`YYYY-MM-DD`) over the records `records` is bound to.
    pub async fn evaluate_rules(
        &self,
        plugin: &LoadedPlugin,
        as_of: &str,
        settings: Vec<(String, String)>,
        records: Arc<dyn RecordsReader>,
    ) -> Result<Vec<Recommendation>, PluginFailure> {
        let super::KindPre::Rules(pre) = &plugin.pre else {
            return Err(super::wrong_kind(plugin, Kind::Rules));
        };
        let mut store = self.store_reading(plugin, records);
        let request = types::EvaluateRequest {
            as_of: as_of.to_string(),
            settings,
        };
        let outcome = tokio::time::timeout(plugin.limits.timeout, async {
            let rules = pre.instantiate_async(&mut store).await?;
            rules
                .hearth_rules_plugin()
                .call_evaluate(&mut store, &request)
                .await
        })
        .await;
        let found = finish(&store, &plugin.limits, outcome)?;
        Ok(found.into_iter().map(Into::into).collect())
    }
}
