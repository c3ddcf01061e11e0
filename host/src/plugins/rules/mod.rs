//! Rules: judge a profile's records as of a day and say what is due, each
//! recommendation citing its guideline and the records it rests on; rules
//! for immunizations also say how each vaccine dose on record was judged.

use super::manifest::Kind;
use super::runtime::call::{CallState, PluginFailure};
use super::world::Version;
use super::{LoadedPlugin, Plugins, finish, ports::RecordsReader};
use serde::Serialize;
use std::sync::Arc;
use wasmtime::component::Linker;

mod v0_1;
mod v0_2;

/// A rules component ready to instantiate, by the world version it targets.
pub enum RulesPre {
    /// `hearth:rules@0.1.0`: recommendations only.
    V0_1(v0_1::RulesPre<CallState>),
    /// `hearth:rules@0.2.0`.
    V0_2(v0_2::RulesPre<CallState>),
}

impl RulesPre {
    /// Wrap a pre-instantiated component of world `version`.
    pub fn new(
        version: Version,
        pre: wasmtime::component::InstancePre<CallState>,
    ) -> wasmtime::Result<Self> {
        if version == Version::new(0, 1, 0) {
            Ok(RulesPre::V0_1(v0_1::RulesPre::new(pre)?))
        } else {
            Ok(RulesPre::V0_2(v0_2::RulesPre::new(pre)?))
        }
    }

    /// The component's `info()`.
    pub async fn info(
        &self,
        store: &mut wasmtime::Store<CallState>,
    ) -> wasmtime::Result<super::PluginInfo> {
        match self {
            RulesPre::V0_1(pre) => v0_1::info(pre, store).await,
            RulesPre::V0_2(pre) => v0_2::info(pre, store).await,
        }
    }
}

/// Add every rules world's own interfaces to `linker`.
pub fn add_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    v0_1::add_to_linker(linker)?;
    v0_2::add_to_linker(linker)
}

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

/// Where a vaccine series stands (CDC's terms; ImmDS forecast status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SeriesStatus {
    /// More doses are needed.
    NotComplete,
    /// Every dose is given.
    Complete,
    /// Evidence of immunity.
    Immune,
    /// No dose should be given.
    Contraindicated,
    /// Past the maximum age.
    AgedOut,
    /// Nothing recommended now.
    NotRecommended,
}

/// The forecast behind an immunization recommendation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImmunizationForecast {
    /// Where the series stands.
    pub series_status: SeriesStatus,
    /// The vaccine group.
    pub vaccine_group: String,
    /// The vaccine group's CVX code, when it has one.
    pub vaccine_group_cvx: Option<String>,
    /// The series forecast.
    pub series: String,
    /// The number of the dose due next.
    pub dose_number: Option<u32>,
    /// The last day the dose may be given.
    pub latest: Option<String>,
    /// CVX codes recommended.
    pub vaccines: Vec<String>,
    /// Target diseases covered.
    pub diseases: Vec<String>,
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
    /// For an immunization, the forecast it comes from.
    pub immunization: Option<ImmunizationForecast>,
}

/// How a vaccine dose on record was judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DoseStatus {
    /// Given as the schedule asks.
    Valid,
    /// Must be repeated.
    NotValid,
    /// Not needed; need not be repeated.
    Extraneous,
    /// Flawed; must be repeated.
    SubStandard,
}

/// One vaccine dose on record, judged for one vaccine group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DoseEvaluation {
    /// `Immunization/<id>`.
    pub immunization: String,
    /// The vaccine group.
    pub vaccine_group: String,
    /// The target disease.
    pub disease: String,
    /// The series.
    pub series: String,
    /// The dose number it counted as.
    pub dose_number: Option<u32>,
    /// The judgement.
    pub status: DoseStatus,
    /// Why.
    pub reasons: Vec<String>,
}

/// What an evaluation found.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Evaluation {
    /// The recommendations.
    pub recommendations: Vec<Recommendation>,
    /// The doses judged (immunization rules only).
    pub doses: Vec<DoseEvaluation>,
}

/// Conversions from one world version's generated types: kind, status and
/// guideline are the same in every version.
macro_rules! common_from {
    ($types:path) => {
        use $types as t;

        pub(super) fn kind(k: t::RecommendationKind) -> crate::plugins::rules::RecommendationKind {
            use crate::plugins::rules::RecommendationKind as K;
            match k {
                t::RecommendationKind::Immunization => K::Immunization,
                t::RecommendationKind::Screening => K::Screening,
                t::RecommendationKind::FollowUp => K::FollowUp,
            }
        }

        pub(super) fn status(
            s: t::RecommendationStatus,
        ) -> crate::plugins::rules::RecommendationStatus {
            use crate::plugins::rules::RecommendationStatus as S;
            match s {
                t::RecommendationStatus::Due => S::Due,
                t::RecommendationStatus::Overdue => S::Overdue,
                t::RecommendationStatus::Upcoming => S::Upcoming,
                t::RecommendationStatus::Complete => S::Complete,
                t::RecommendationStatus::NotRecommended => S::NotRecommended,
                t::RecommendationStatus::AgedOut => S::AgedOut,
                t::RecommendationStatus::Contraindicated => S::Contraindicated,
            }
        }

        pub(super) fn guideline(g: t::Guideline) -> crate::plugins::rules::Guideline {
            crate::plugins::rules::Guideline {
                name: g.name,
                version: g.version,
                url: g.url,
            }
        }
    };
}
use common_from;

/// A recommendation from one world version's generated record: every field
/// but `immunization` is the same in every version.
macro_rules! recommendation_from {
    ($r:ident, $convert:path, $immunization:expr) => {{
        use $convert as c;
        crate::plugins::rules::Recommendation {
            key: $r.key,
            kind: c::kind($r.kind),
            status: c::status($r.status),
            title: $r.title,
            earliest: $r.earliest,
            recommended: $r.recommended,
            past_due: $r.past_due,
            reason: $r.reason,
            guideline: c::guideline($r.guideline),
            evidence: $r.evidence,
            immunization: $immunization,
        }
    }};
}
use recommendation_from;

impl Plugins {
    /// Run rules' `evaluate` as of `as_of` (`YYYY-MM-DD`) over the records `records` is bound to.
    pub async fn evaluate_rules(
        &self,
        plugin: &LoadedPlugin,
        as_of: &str,
        settings: Vec<(String, String)>,
        records: Arc<dyn RecordsReader>,
    ) -> Result<Evaluation, PluginFailure> {
        let super::KindPre::Rules(pre) = &plugin.pre else {
            return Err(super::wrong_kind(plugin, Kind::Rules));
        };
        let mut store = self.store_reading(plugin, records);
        let outcome = tokio::time::timeout(plugin.limits.timeout, async {
            match pre {
                RulesPre::V0_1(pre) => v0_1::evaluate(pre, &mut store, as_of, settings).await,
                RulesPre::V0_2(pre) => v0_2::evaluate(pre, &mut store, as_of, settings).await,
            }
        })
        .await;
        finish(&store, &plugin.limits, outcome)
    }
}
