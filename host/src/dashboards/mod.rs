//! Condition dashboards per profile: which ones apply (proposed from the
//! person's conditions and age), which the person added or hid, their
//! settings and where each card was placed; drawing one through its plugin,
//! which reads only this profile's records.

pub mod fasten;
mod imported;

pub use imported::{Imported, is_imported};

use crate::auth::ProfileScope;
use crate::db::Db;
use crate::plugins::dashboard::{Board, DashboardMeta};
use crate::plugins::manifest::Kind;
use crate::plugins::runtime::call::PluginFailure;
use crate::plugins::{LoadedPlugin, Plugins};
use crate::records::RecordStore;
use crate::records::reader::ProfileReader;
use crate::records::search::{Search, SearchError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Most cards a layout may place.
const MAX_CARDS: usize = 100;
/// Columns of the dashboard grid.
pub const GRID_COLUMNS: u32 = 12;
/// Conditions read to propose dashboards (a person has far fewer).
const MAX_CONDITIONS: usize = 2_000;

/// Whether a dashboard follows the proposal or the person's choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Choice {
    /// Shown when proposed.
    Auto,
    /// Added by the person.
    Shown,
    /// Hidden by the person.
    Hidden,
}

impl Choice {
    fn as_str(self) -> &'static str {
        match self {
            Choice::Auto => "auto",
            Choice::Shown => "shown",
            Choice::Hidden => "hidden",
        }
    }

    fn parse(s: &str) -> Choice {
        match s {
            "shown" => Choice::Shown,
            "hidden" => Choice::Hidden,
            _ => Choice::Auto,
        }
    }
}

/// A setting of a dashboard and its value for this profile.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SettingValue {
    /// Its key.
    pub key: String,
    /// What it is.
    pub label: String,
    /// Its value here (the default when not set).
    pub value: String,
    /// Its default.
    pub default: String,
}

/// A dashboard as it stands for a profile.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DashboardEntry {
    /// The plugin id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// Whether the person's records suggest it.
    pub proposed: bool,
    /// Why it is proposed ("Diabetes mellitus type 2 is on record").
    #[schema(required)]
    pub reason: Option<String>,
    /// Whether it is shown: proposed and not hidden, or added.
    pub shown: bool,
    /// The person's choice.
    pub choice: Choice,
    /// Its settings.
    pub settings: Vec<SettingValue>,
    /// Whether it was imported from a file (and can be removed) rather than installed as a plugin.
    pub imported: bool,
}

/// Where one card sits on the grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardPlace {
    /// The card's key.
    pub key: String,
    /// Column (0 to 11).
    pub x: u32,
    /// Row.
    pub y: u32,
    /// Width in columns (1 to 12).
    pub w: u32,
    /// Height in rows (1 to 12).
    pub h: u32,
    /// Whether the person hid it.
    #[serde(default)]
    pub hidden: bool,
}

/// A dashboard drawn for a profile.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Drawn {
    /// The dashboard.
    pub dashboard: DashboardEntry,
    /// What it drew.
    #[schema(value_type = Object)]
    pub board: Board,
    /// Where the person placed its cards (cards not listed take their default place).
    pub layout: Vec<CardPlace>,
    /// For an imported dashboard: what of the file was left out or changed.
    pub notes: Vec<fasten::Untranslated>,
}

/// Why a dashboard request failed.
#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    /// No dashboard plugin has that id.
    #[error("no dashboard {0}")]
    NotFound(String),
    /// The request is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// The plugin failed or was stopped.
    #[error(transparent)]
    Plugin(#[from] PluginFailure),
    /// Reading the records failed.
    #[error(transparent)]
    Search(#[from] SearchError),
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

/// The dashboards service.
#[derive(Clone)]
pub struct Dashboards {
    db: Db,
    records: RecordStore,
    plugins: Arc<Plugins>,
}

/// What the records say about whom a dashboard may be for.
struct Person {
    /// Active condition codes (`system|code`) with their display.
    conditions: BTreeMap<String, String>,
    /// Age in whole years today, when a birth date is on record.
    age: Option<u32>,
}

struct Stored {
    choice: Choice,
    settings: BTreeMap<String, String>,
    layout: Vec<CardPlace>,
}

impl Dashboards {
    /// The service over `db`, the record store and the plugin host.
    pub fn new(db: Db, records: RecordStore, plugins: Arc<Plugins>) -> Self {
        Dashboards {
            db,
            records,
            plugins,
        }
    }

    fn dashboards(&self) -> Vec<Arc<LoadedPlugin>> {
        let mut all: Vec<_> = self
            .plugins
            .loaded()
            .into_iter()
            .filter(|p| p.manifest.kind == Kind::Dashboard)
            .collect();
        all.sort_by(|a, b| a.info.name.cmp(&b.info.name));
        all
    }

    fn dashboard(&self, id: &str) -> Result<Arc<LoadedPlugin>, DashboardError> {
        self.dashboards()
            .into_iter()
            .find(|p| p.manifest.id == id)
            .ok_or_else(|| DashboardError::NotFound(id.to_string()))
    }

    /// Every dashboard, with whether it is proposed and shown for the profile.
    pub async fn list(&self, scope: &ProfileScope) -> Result<Vec<DashboardEntry>, DashboardError> {
        let person = self.person(scope).await?;
        let mut out = Vec::new();
        for plugin in self.dashboards() {
            let stored = self.stored(scope, &plugin.manifest.id).await?;
            out.push(entry(&plugin, &person, &stored));
        }
        out.extend(self.imported_entries(scope).await?);
        Ok(out)
    }

    /// Draw dashboard `id` as of `as_of` (`YYYY-MM-DD`).
    pub async fn draw(
        &self,
        scope: &ProfileScope,
        id: &str,
        as_of: &str,
    ) -> Result<Drawn, DashboardError> {
        if is_imported(id) {
            return self.draw_imported(scope, id).await;
        }
        let plugin = self.dashboard(id)?;
        let person = self.person(scope).await?;
        let stored = self.stored(scope, id).await?;
        let dashboard = entry(&plugin, &person, &stored);
        let settings = dashboard
            .settings
            .iter()
            .map(|s| (s.key.clone(), s.value.clone()))
            .collect();
        let reader = Arc::new(ProfileReader::new(self.records.clone(), scope.clone()));
        let board = self
            .plugins
            .render_dashboard(&plugin, as_of, settings, reader)
            .await?;
        Ok(Drawn {
            dashboard,
            board,
            layout: stored.layout,
            notes: Vec::new(),
        })
    }

    /// Add, hide or return dashboard `id` to the proposal, and set its settings.
    pub async fn choose(
        &self,
        scope: &ProfileScope,
        id: &str,
        choice: Choice,
        settings: BTreeMap<String, String>,
    ) -> Result<DashboardEntry, DashboardError> {
        if is_imported(id) {
            return self.choose_imported(scope, id, choice, settings).await;
        }
        let plugin = self.dashboard(id)?;
        let meta = plugin.info.dashboard.clone().unwrap_or_default();
        for (key, value) in &settings {
            if !meta.settings.iter().any(|(k, _, _)| k == key) {
                return Err(DashboardError::Invalid(format!(
                    "{id} has no setting {key:?}"
                )));
            }
            if value.chars().count() > 200 {
                return Err(DashboardError::Invalid(format!(
                    "setting {key:?} is longer than 200 characters"
                )));
            }
        }
        self.save_choice(scope, id, choice, &settings).await?;
        let person = self.person(scope).await?;
        let stored = self.stored(scope, id).await?;
        Ok(entry(&plugin, &person, &stored))
    }

    /// Keeps the person's choice and settings for dashboard `id`.
    async fn save_choice(
        &self,
        scope: &ProfileScope,
        id: &str,
        choice: Choice,
        settings: &BTreeMap<String, String>,
    ) -> Result<(), DashboardError> {
        let settings_json =
            serde_json::to_string(settings).map_err(|e| DashboardError::Invalid(e.to_string()))?;
        sqlx::query(
            "INSERT INTO dashboard_choices (profile_id, dashboard_id, choice, settings, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (profile_id, dashboard_id) DO UPDATE SET choice = ?3, settings = ?4, updated_at = ?5",
        )
        .bind(scope.id())
        .bind(id)
        .bind(choice.as_str())
        .bind(settings_json)
        .bind(now())
        .execute(&self.db)
        .await?;
        Ok(())
    }

    /// Save where the cards of dashboard `id` sit.
    pub async fn save_layout(
        &self,
        scope: &ProfileScope,
        id: &str,
        cards: Vec<CardPlace>,
    ) -> Result<Vec<CardPlace>, DashboardError> {
        if is_imported(id) {
            self.has_imported(scope, id).await?;
        } else {
            self.dashboard(id)?;
        }
        check_layout(&cards)?;
        let layout =
            serde_json::to_string(&cards).map_err(|e| DashboardError::Invalid(e.to_string()))?;
        sqlx::query(
            "INSERT INTO dashboard_choices (profile_id, dashboard_id, layout, updated_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (profile_id, dashboard_id) DO UPDATE SET layout = ?3, updated_at = ?4",
        )
        .bind(scope.id())
        .bind(id)
        .bind(layout)
        .bind(now())
        .execute(&self.db)
        .await?;
        Ok(cards)
    }

    async fn stored(&self, scope: &ProfileScope, id: &str) -> Result<Stored, DashboardError> {
        let row: Option<(String, String, String)> = sqlx::query_as(
            "SELECT choice, settings, layout FROM dashboard_choices WHERE profile_id = ? AND dashboard_id = ?",
        )
        .bind(scope.id())
        .bind(id)
        .fetch_optional(&self.db)
        .await?;
        let Some((choice, settings, layout)) = row else {
            return Ok(Stored {
                choice: Choice::Auto,
                settings: BTreeMap::new(),
                layout: Vec::new(),
            });
        };
        // Written by this module only; a damaged row falls back to the defaults.
        Ok(Stored {
            choice: Choice::parse(&choice),
            settings: serde_json::from_str(&settings).unwrap_or_default(),
            layout: serde_json::from_str(&layout).unwrap_or_default(),
        })
    }

    async fn person(&self, scope: &ProfileScope) -> Result<Person, DashboardError> {
        let mut conditions = BTreeMap::new();
        let mut search = Search::parse("Condition", &[("_count".into(), "100".into())])
            .map_err(|e| DashboardError::Invalid(e.to_string()))?;
        let mut read = 0;
        loop {
            let page = self.records.search(scope, &search).await?;
            for entry in &page.entries {
                read += 1;
                let Ok(condition) = serde_json::from_str::<Value>(entry.resource.get()) else {
                    continue;
                };
                if !is_active(&condition) {
                    continue;
                }
                let codings = condition["code"]["coding"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let display = condition["code"]["text"]
                    .as_str()
                    .or_else(|| codings.iter().find_map(|c| c["display"].as_str()))
                    .unwrap_or("A condition")
                    .to_string();
                for c in &codings {
                    if let (Some(system), Some(code)) = (c["system"].as_str(), c["code"].as_str()) {
                        conditions.insert(format!("{system}|{code}"), display.clone());
                    }
                }
            }
            match page.next {
                Some(next) if read < MAX_CONDITIONS => search.cursor = Some(next),
                _ => break,
            }
        }
        let patients = Search::parse("Patient", &[("_count".into(), "10".into())])
            .map_err(|e| DashboardError::Invalid(e.to_string()))?;
        let page = self.records.search(scope, &patients).await?;
        let age = page.entries.iter().find_map(|e| {
            let patient: Value = serde_json::from_str(e.resource.get()).ok()?;
            age_on(patient["birthDate"].as_str()?, &today())
        });
        Ok(Person { conditions, age })
    }
}

/// Whether a Condition is current: active, recurring or relapsed, or without a status.
fn is_active(condition: &Value) -> bool {
    let status = condition["clinicalStatus"]["coding"]
        .as_array()
        .and_then(|cs| cs.iter().find_map(|c| c["code"].as_str()));
    let refuted = condition["verificationStatus"]["coding"]
        .as_array()
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| matches!(c["code"].as_str(), Some("refuted" | "entered-in-error")))
        });
    !refuted && matches!(status, None | Some("active" | "recurrence" | "relapse"))
}

fn entry(plugin: &LoadedPlugin, person: &Person, stored: &Stored) -> DashboardEntry {
    let meta: DashboardMeta = plugin.info.dashboard.clone().unwrap_or_default();
    let by_condition = meta
        .conditions
        .iter()
        .find_map(|c| person.conditions.get(c))
        .map(|display| format!("{display} is on record"));
    let by_age = match (meta.ages, person.age) {
        (Some((min, max)), Some(age)) if (min..=max).contains(&age) => {
            Some(format!("For ages {min} to {max}"))
        }
        _ => None,
    };
    let reason = by_condition.or(by_age);
    let proposed = reason.is_some();
    DashboardEntry {
        id: plugin.manifest.id.clone(),
        name: plugin.info.name.clone(),
        version: plugin.info.version.clone(),
        proposed,
        reason,
        shown: match stored.choice {
            Choice::Auto => proposed,
            Choice::Shown => true,
            Choice::Hidden => false,
        },
        choice: stored.choice,
        settings: meta
            .settings
            .iter()
            .map(|(key, label, default)| SettingValue {
                key: key.clone(),
                label: label.clone(),
                value: stored
                    .settings
                    .get(key)
                    .cloned()
                    .unwrap_or_else(|| default.clone()),
                default: default.clone(),
            })
            .collect(),
        imported: false,
    }
}

fn check_layout(cards: &[CardPlace]) -> Result<(), DashboardError> {
    if cards.len() > MAX_CARDS {
        return Err(DashboardError::Invalid(format!(
            "a layout places at most {MAX_CARDS} cards"
        )));
    }
    let mut keys = std::collections::HashSet::new();
    for (i, c) in cards.iter().enumerate() {
        let bad = |what: &str| {
            Err(DashboardError::Invalid(format!(
                "cards[{i}] ({}): {what}",
                c.key
            )))
        };
        if c.key.is_empty() || c.key.len() > 64 {
            return bad("a key is 1 to 64 characters");
        }
        if !keys.insert(c.key.as_str()) {
            return bad("placed twice");
        }
        if !(1..=GRID_COLUMNS).contains(&c.w) || !(1..=12).contains(&c.h) {
            return bad("width and height are 1 to 12");
        }
        if c.x + c.w > GRID_COLUMNS {
            return bad("runs past the 12th column");
        }
        if c.y > 10_000 {
            return bad("row is past 10000");
        }
    }
    Ok(())
}

fn now() -> String {
    crate::records::index::format_instant(chrono::Utc::now())
}

fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

/// Whole years from `birth` (`YYYY[-MM[-DD]]`) to `on` (`YYYY-MM-DD`).
fn age_on(birth: &str, on: &str) -> Option<u32> {
    let year: i32 = birth.get(0..4)?.parse().ok()?;
    let month: u32 = birth.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
    let day: u32 = birth.get(8..10).and_then(|d| d.parse().ok()).unwrap_or(1);
    let (oy, om, od): (i32, u32, u32) = (
        on.get(0..4)?.parse().ok()?,
        on.get(5..7)?.parse().ok()?,
        on.get(8..10)?.parse().ok()?,
    );
    let mut age = oy - year;
    if (om, od) < (month, day) {
        age -= 1;
    }
    u32::try_from(age).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_count_whole_years() {
        assert_eq!(age_on("2010-06-15", "2026-06-14"), Some(15));
        assert_eq!(age_on("2010-06-15", "2026-06-15"), Some(16));
        assert_eq!(age_on("2010", "2026-01-01"), Some(16));
        assert_eq!(age_on("2030-01-01", "2026-01-01"), None);
    }

    #[test]
    fn layouts_are_checked() {
        let place = |key: &str, x, w| CardPlace {
            key: key.into(),
            x,
            y: 0,
            w,
            h: 2,
            hidden: false,
        };
        assert!(check_layout(&[place("a", 0, 6), place("b", 6, 6)]).is_ok());
        assert!(check_layout(&[place("a", 0, 6), place("a", 6, 6)]).is_err());
        assert!(check_layout(&[place("a", 8, 6)]).is_err());
        assert!(check_layout(&[place("", 0, 6)]).is_err());
    }

    #[test]
    fn refuted_and_resolved_conditions_are_not_current() {
        let c = |status: &str, verification: &str| {
            serde_json::json!({"clinicalStatus": {"coding": [{"code": status}]},
                "verificationStatus": {"coding": [{"code": verification}]}})
        };
        assert!(is_active(&c("active", "confirmed")));
        assert!(!is_active(&c("resolved", "confirmed")));
        assert!(!is_active(&c("active", "refuted")));
        assert!(is_active(&serde_json::json!({})));
    }
}
