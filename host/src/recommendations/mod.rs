//! Recommendations: what the rules plugins (immunization forecasts,
//! screenings) say is due for a profile, grouped by where each stands, with
//! the records each rests on; recommendations a person set aside, with why;
//! and the immunization forecast as FHIR (`$immds-forecast`).

mod immds;

use crate::auth::ProfileScope;
use crate::db::Db;
use crate::plugins::manifest::Kind;
use crate::plugins::rules::{DoseEvaluation, Recommendation, RecommendationStatus};
use crate::plugins::{LoadedPlugin, Plugins};
use crate::records::RecordStore;
use crate::records::reader::ProfileReader;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Why a recommendations request failed.
#[derive(Debug, thiserror::Error)]
pub enum RecommendationError {
    /// No rules plugin has that id, or it made no such recommendation.
    #[error("{0}")]
    NotFound(String),
    /// The request is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

/// A recommendation set aside.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Dismissal {
    /// Why, in the person's words.
    pub reason: String,
    /// When (UTC instant).
    pub at: String,
}

/// One recommendation, from one rules plugin.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Item {
    /// The rules plugin's id.
    pub plugin: String,
    /// Its name.
    pub plugin_name: String,
    /// The recommendation.
    #[schema(value_type = Object)]
    pub recommendation: Recommendation,
    /// Set aside by the person, when it was.
    #[schema(required)]
    pub dismissed: Option<Dismissal>,
}

/// Recommendations of one status.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Group {
    /// The status (`overdue`, `due`, `upcoming`, `contraindicated`,
    /// `complete`, `not-recommended`, `aged-out`), or `dismissed`.
    pub status: String,
    /// Its recommendations, soonest first.
    pub items: Vec<Item>,
}

/// A rules plugin that failed, so its recommendations are missing.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Failure {
    /// The plugin's id.
    pub plugin: String,
    /// What went wrong.
    pub message: String,
}

/// What the rules say for a profile on a day.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Assessed {
    /// The day judged (`YYYY-MM-DD`).
    pub as_of: String,
    /// Recommendations grouped by status, most pressing first; set-aside ones last.
    pub groups: Vec<Group>,
    /// How each vaccine dose on record was judged.
    #[schema(value_type = Vec<Object>)]
    pub doses: Vec<DoseEvaluation>,
    /// Rules plugins that failed.
    pub failures: Vec<Failure>,
}

/// The order groups are shown in.
const ORDER: [RecommendationStatus; 7] = [
    RecommendationStatus::Overdue,
    RecommendationStatus::Due,
    RecommendationStatus::Upcoming,
    RecommendationStatus::Contraindicated,
    RecommendationStatus::Complete,
    RecommendationStatus::NotRecommended,
    RecommendationStatus::AgedOut,
];

fn status_name(s: RecommendationStatus) -> &'static str {
    match s {
        RecommendationStatus::Overdue => "overdue",
        RecommendationStatus::Due => "due",
        RecommendationStatus::Upcoming => "upcoming",
        RecommendationStatus::Contraindicated => "contraindicated",
        RecommendationStatus::Complete => "complete",
        RecommendationStatus::NotRecommended => "not-recommended",
        RecommendationStatus::AgedOut => "aged-out",
    }
}

/// The recommendations service.
#[derive(Clone)]
pub struct Recommendations {
    db: Db,
    records: RecordStore,
    plugins: Arc<Plugins>,
}

/// Every plugin's recommendations and dose evaluations, before grouping.
struct Run {
    items: Vec<Item>,
    doses: Vec<DoseEvaluation>,
    failures: Vec<Failure>,
}

impl Recommendations {
    /// The service over `db`, the record store and the plugin host.
    pub fn new(db: Db, records: RecordStore, plugins: Arc<Plugins>) -> Self {
        Recommendations {
            db,
            records,
            plugins,
        }
    }

    fn rules(&self) -> Vec<Arc<LoadedPlugin>> {
        let mut all: Vec<_> = self
            .plugins
            .loaded()
            .into_iter()
            .filter(|p| p.manifest.kind == Kind::Rules)
            .collect();
        all.sort_by(|a, b| a.info.name.cmp(&b.info.name));
        all
    }

    /// Run every rules plugin over the profile's records as of `as_of`.
    async fn run(&self, scope: &ProfileScope, as_of: &str) -> Result<Run, RecommendationError> {
        let dismissed = self.dismissals(scope).await?;
        let mut run = Run {
            items: Vec::new(),
            doses: Vec::new(),
            failures: Vec::new(),
        };
        for plugin in self.rules() {
            let reader = Arc::new(ProfileReader::new(self.records.clone(), scope.clone()));
            match self
                .plugins
                .evaluate_rules(&plugin, as_of, Vec::new(), reader)
                .await
            {
                Ok(evaluation) => {
                    for r in evaluation.recommendations {
                        run.items.push(Item {
                            plugin: plugin.manifest.id.clone(),
                            plugin_name: plugin.info.name.clone(),
                            dismissed: dismissed
                                .get(&(plugin.manifest.id.clone(), r.key.clone()))
                                .cloned(),
                            recommendation: r,
                        });
                    }
                    run.doses.extend(evaluation.doses);
                }
                Err(failure) => {
                    // One plugin failing leaves the others' recommendations standing.
                    tracing::warn!(plugin = %plugin.manifest.id, error = %failure, "rules failed");
                    run.failures.push(Failure {
                        plugin: plugin.manifest.id.clone(),
                        message: failure.to_string(),
                    });
                }
            }
        }
        Ok(run)
    }

    /// What every rules plugin says for the profile as of `as_of` (`YYYY-MM-DD`).
    pub async fn assess(
        &self,
        scope: &ProfileScope,
        as_of: &str,
    ) -> Result<Assessed, RecommendationError> {
        let run = self.run(scope, as_of).await?;
        let mut by_status: BTreeMap<usize, Vec<Item>> = BTreeMap::new();
        let mut set_aside = Vec::new();
        for item in run.items {
            if item.dismissed.is_some() {
                set_aside.push(item);
                continue;
            }
            let rank = ORDER
                .iter()
                .position(|s| *s == item.recommendation.status)
                .unwrap_or(ORDER.len());
            by_status.entry(rank).or_default().push(item);
        }
        let soonest = |a: &Item, b: &Item| {
            let day = |i: &Item| {
                i.recommendation
                    .recommended
                    .clone()
                    .or(i.recommendation.earliest.clone())
                    .unwrap_or_else(|| "9999".into())
            };
            day(a)
                .cmp(&day(b))
                .then_with(|| a.recommendation.title.cmp(&b.recommendation.title))
        };
        let mut groups: Vec<Group> = by_status
            .into_iter()
            .map(|(rank, mut items)| {
                items.sort_by(soonest);
                Group {
                    status: ORDER.get(rank).map_or("other", |s| status_name(*s)).into(),
                    items,
                }
            })
            .collect();
        if !set_aside.is_empty() {
            set_aside.sort_by(soonest);
            groups.push(Group {
                status: "dismissed".into(),
                items: set_aside,
            });
        }
        Ok(Assessed {
            as_of: as_of.to_string(),
            groups,
            doses: run.doses,
            failures: run.failures,
        })
    }

    /// The immunization forecast as FHIR: a `Parameters` holding an
    /// `ImmunizationRecommendation` and one `ImmunizationEvaluation` per dose
    /// judged (the ImmDS `$immds-forecast` output).
    pub async fn immds_forecast(
        &self,
        scope: &ProfileScope,
        as_of: &str,
    ) -> Result<serde_json::Value, RecommendationError> {
        let run = self.run(scope, as_of).await?;
        let patient = self
            .records
            .search(
                scope,
                &crate::records::search::Search::parse("Patient", &[("_count".into(), "1".into())])
                    .map_err(|e| RecommendationError::Invalid(e.to_string()))?,
            )
            .await
            .map_err(|e| RecommendationError::Invalid(e.to_string()))?
            .entries
            .first()
            .map(|e| format!("Patient/{}", e.id));
        let recommendations: Vec<&Recommendation> = run
            .items
            .iter()
            .map(|i| &i.recommendation)
            .filter(|r| r.immunization.is_some())
            .collect();
        Ok(immds::parameters(
            as_of,
            patient.as_deref(),
            &recommendations,
            &run.doses,
        ))
    }

    async fn dismissals(
        &self,
        scope: &ProfileScope,
    ) -> Result<BTreeMap<(String, String), Dismissal>, RecommendationError> {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT plugin_id, key, reason, dismissed_at FROM recommendation_dismissals WHERE profile_id = ?",
        )
        .bind(scope.id())
        .fetch_all(&self.db)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(plugin, key, reason, at)| ((plugin, key), Dismissal { reason, at }))
            .collect())
    }

    /// Set recommendation `key` of rules plugin `plugin` aside, with why.
    pub async fn dismiss(
        &self,
        scope: &ProfileScope,
        plugin: &str,
        key: &str,
        reason: &str,
    ) -> Result<Dismissal, RecommendationError> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(RecommendationError::Invalid(
                "say why in 1 to 500 characters".into(),
            ));
        }
        if !self.rules().iter().any(|p| p.manifest.id == plugin) {
            return Err(RecommendationError::NotFound(format!(
                "no rules plugin {plugin}"
            )));
        }
        if key.is_empty() || key.len() > 200 {
            return Err(RecommendationError::Invalid(
                "a recommendation key is 1 to 200 characters".into(),
            ));
        }
        let at = crate::records::index::format_instant(chrono::Utc::now());
        sqlx::query(
            "INSERT INTO recommendation_dismissals (profile_id, plugin_id, key, reason, dismissed_at, dismissed_by)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (profile_id, plugin_id, key) DO UPDATE
             SET reason = excluded.reason, dismissed_at = excluded.dismissed_at, dismissed_by = excluded.dismissed_by",
        )
        .bind(scope.id())
        .bind(plugin)
        .bind(key)
        .bind(reason)
        .bind(&at)
        .bind(scope.user_id())
        .execute(&self.db)
        .await?;
        Ok(Dismissal {
            reason: reason.to_string(),
            at,
        })
    }

    /// Bring a set-aside recommendation back.
    pub async fn restore(
        &self,
        scope: &ProfileScope,
        plugin: &str,
        key: &str,
    ) -> Result<(), RecommendationError> {
        let done = sqlx::query(
            "DELETE FROM recommendation_dismissals WHERE profile_id = ? AND plugin_id = ? AND key = ?",
        )
        .bind(scope.id())
        .bind(plugin)
        .bind(key)
        .execute(&self.db)
        .await?;
        if done.rows_affected() == 0 {
            return Err(RecommendationError::NotFound(format!(
                "{plugin}/{key} was not set aside"
            )));
        }
        Ok(())
    }
}
