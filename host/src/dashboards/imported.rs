//! Dashboards imported from Fasten files: translated once, kept per profile,
//! and drawn by the host by running their views over the profile's records.

use super::fasten::{
    self, DATE_COLUMN, KEY_COLUMN, LABEL_COLUMN, Translated, Untranslated, WidgetKind,
};
use super::{CardPlace, Choice, DashboardEntry, DashboardError, Dashboards, Drawn, now};
use crate::auth::ProfileScope;
use crate::plugins::dashboard::{Board, Card, Point, Row, Series, Widget};
use crate::records::views::{self, ViewLimits, ViewRunError, filter_params};
use serde_json::Value;
use std::collections::BTreeMap;

/// Prefix of an imported dashboard's id.
const IMPORTED_PREFIX: &str = "fasten-";
/// Most imported dashboards a profile keeps.
const MAX_IMPORTED: i64 = 50;
/// Records a count lists as its evidence.
const MAX_COUNT_EVIDENCE: usize = 100;

/// Whether `id` names an imported dashboard.
pub fn is_imported(id: &str) -> bool {
    id.starts_with(IMPORTED_PREFIX)
}

/// A dashboard imported, with what could not be translated.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Imported {
    /// The new dashboard.
    pub dashboard: DashboardEntry,
    /// What was left out or changed, each with its place in the file.
    pub report: Vec<Untranslated>,
}

pub(super) fn imported_entry(id: &str, title: &str, choice: Choice) -> DashboardEntry {
    DashboardEntry {
        id: id.to_string(),
        name: title.to_string(),
        version: "imported".into(),
        proposed: false,
        reason: Some("Imported from a Fasten dashboard file".into()),
        shown: choice != Choice::Hidden,
        choice,
        settings: Vec::new(),
        imported: true,
    }
}

impl Dashboards {
    /// Translates a Fasten dashboard file, tries each query on the profile's
    /// records, and keeps what works as a new dashboard of the profile.
    pub async fn import(
        &self,
        scope: &ProfileScope,
        file: &str,
    ) -> Result<Imported, DashboardError> {
        let mut translated =
            fasten::translate_text(file).map_err(|e| DashboardError::Invalid(e.to_string()))?;
        self.try_queries(scope, &mut translated).await?;
        if translated.widgets.is_empty() {
            return Err(DashboardError::Invalid(format!(
                "nothing in the file could be drawn: {}",
                translated
                    .report
                    .iter()
                    .map(|u| format!("{}: {}", u.path, u.reason))
                    .collect::<Vec<_>>()
                    .join("; ")
            )));
        }
        let (count,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM imported_dashboards WHERE profile_id = ?")
                .bind(scope.id())
                .fetch_one(&self.db)
                .await?;
        if count >= MAX_IMPORTED {
            return Err(DashboardError::Invalid(format!(
                "this profile already has {MAX_IMPORTED} imported dashboards; remove one first"
            )));
        }
        let id = format!("{IMPORTED_PREFIX}{}", crate::ids::new_id());
        let stored = serde_json::to_string(&translated)
            .map_err(|e| DashboardError::Invalid(e.to_string()))?;
        let layout: Vec<CardPlace> = translated
            .widgets
            .iter()
            .filter_map(|w| {
                let [x, y, w_, h] = w.place?;
                Some(CardPlace {
                    key: w.key.clone(),
                    x,
                    y,
                    w: w_,
                    h: h.clamp(1, 12),
                    hidden: false,
                })
            })
            .collect();
        let layout = if super::check_layout(&layout).is_ok() {
            layout
        } else {
            Vec::new()
        };
        let mut tx = self.db.begin().await?;
        sqlx::query(
            "INSERT INTO imported_dashboards (id, profile_id, title, translated, original, created_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(scope.id())
        .bind(&translated.title)
        .bind(stored)
        .bind(file)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO dashboard_choices (profile_id, dashboard_id, choice, layout, updated_at)
             VALUES (?, ?, 'shown', ?, ?)",
        )
        .bind(scope.id())
        .bind(&id)
        .bind(serde_json::to_string(&layout).unwrap_or_else(|_| "[]".into()))
        .bind(now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(profile = %scope.id(), dashboard = %id, widgets = translated.widgets.len(), left_out = translated.report.iter().filter(|u| u.dropped).count(), "imported a Fasten dashboard");
        Ok(Imported {
            dashboard: imported_entry(&id, &translated.title, Choice::Shown),
            report: translated.report,
        })
    }

    /// Runs each translated query once; a query that fails on these records
    /// is left out and reported, and a widget left without queries with it.
    async fn try_queries(
        &self,
        scope: &ProfileScope,
        translated: &mut Translated,
    ) -> Result<(), DashboardError> {
        let mut report = Vec::new();
        for (i, widget) in translated.widgets.iter_mut().enumerate() {
            let mut kept = Vec::new();
            for (j, query) in std::mem::take(&mut widget.queries).into_iter().enumerate() {
                match self.run_query(scope, &query).await {
                    Ok(_) => kept.push(query),
                    Err(ViewRunError::Store(e)) => return Err(DashboardError::Search(e)),
                    Err(e) => report.push(Untranslated {
                        path: format!("widgets[{i}].queries[{j}]"),
                        reason: format!("it fails on this profile's records: {e}"),
                        dropped: true,
                    }),
                }
            }
            widget.queries = kept;
        }
        translated.widgets.retain(|w| !w.queries.is_empty());
        translated.report.extend(report);
        Ok(())
    }

    async fn run_query(
        &self,
        scope: &ProfileScope,
        query: &fasten::Query,
    ) -> Result<views::ViewOutput, ViewRunError> {
        let checked = self.records.checked_view(&query.view.to_string())?;
        let limits = ViewLimits::asking(Some(query.limit + query.offset))?;
        let mut out = self
            .records
            .run_view(scope, &checked, &filter_params(Some(&query.filter)), limits)
            .await?;
        out.rows.drain(..query.offset.min(out.rows.len()));
        Ok(out)
    }

    pub(super) async fn imported_entries(
        &self,
        scope: &ProfileScope,
    ) -> Result<Vec<DashboardEntry>, DashboardError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT id, title FROM imported_dashboards WHERE profile_id = ? ORDER BY created_at, id",
        )
        .bind(scope.id())
        .fetch_all(&self.db)
        .await?;
        let mut out = Vec::new();
        for (id, title) in rows {
            let stored = self.stored(scope, &id).await?;
            out.push(imported_entry(&id, &title, stored.choice));
        }
        Ok(out)
    }

    async fn translated(
        &self,
        scope: &ProfileScope,
        id: &str,
    ) -> Result<Translated, DashboardError> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT translated FROM imported_dashboards WHERE profile_id = ? AND id = ?",
        )
        .bind(scope.id())
        .bind(id)
        .fetch_optional(&self.db)
        .await?;
        let (text,) = row.ok_or_else(|| DashboardError::NotFound(id.to_string()))?;
        serde_json::from_str(&text).map_err(|e| {
            DashboardError::Invalid(format!("the stored dashboard {id} is damaged: {e}"))
        })
    }

    /// Whether the profile has imported dashboard `id`.
    pub(super) async fn has_imported(
        &self,
        scope: &ProfileScope,
        id: &str,
    ) -> Result<(), DashboardError> {
        self.translated(scope, id).await.map(|_| ())
    }

    /// Draws imported dashboard `id` from the profile's records.
    pub(super) async fn draw_imported(
        &self,
        scope: &ProfileScope,
        id: &str,
    ) -> Result<Drawn, DashboardError> {
        let translated = self.translated(scope, id).await?;
        let stored = self.stored(scope, id).await?;
        let mut cards = Vec::new();
        for widget in &translated.widgets {
            let mut outputs = Vec::new();
            for query in &widget.queries {
                let out = self.run_query(scope, query).await.map_err(|e| match e {
                    ViewRunError::Store(e) => DashboardError::Search(e),
                    other => DashboardError::Invalid(format!("{}: {other}", widget.title)),
                })?;
                outputs.push((query, out));
            }
            cards.push(Card {
                key: widget.key.clone(),
                widget: draw_widget(widget, &outputs),
            });
        }
        Ok(Drawn {
            dashboard: imported_entry(id, &translated.title, stored.choice),
            board: Board {
                title: translated.title.clone(),
                cards,
            },
            layout: stored.layout,
            notes: translated.report,
        })
    }

    /// Shows or hides imported dashboard `id` (it has no settings; `auto` shows it).
    pub(super) async fn choose_imported(
        &self,
        scope: &ProfileScope,
        id: &str,
        choice: Choice,
        settings: BTreeMap<String, String>,
    ) -> Result<DashboardEntry, DashboardError> {
        let translated = self.translated(scope, id).await?;
        if let Some(key) = settings.keys().next() {
            return Err(DashboardError::Invalid(format!(
                "{id} has no setting {key:?}"
            )));
        }
        let choice = if choice == Choice::Hidden {
            Choice::Hidden
        } else {
            Choice::Shown
        };
        self.save_choice(scope, id, choice, &settings).await?;
        Ok(imported_entry(id, &translated.title, choice))
    }

    /// Removes imported dashboard `id` from the profile.
    pub async fn remove_imported(
        &self,
        scope: &ProfileScope,
        id: &str,
    ) -> Result<(), DashboardError> {
        let mut tx = self.db.begin().await?;
        let gone = sqlx::query("DELETE FROM imported_dashboards WHERE profile_id = ? AND id = ?")
            .bind(scope.id())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if gone.rows_affected() == 0 {
            return Err(DashboardError::NotFound(id.to_string()));
        }
        sqlx::query("DELETE FROM dashboard_choices WHERE profile_id = ? AND dashboard_id = ?")
            .bind(scope.id())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A column's position in a view's output.
fn position(out: &views::ViewOutput, name: &str) -> Option<usize> {
    out.columns.iter().position(|c| c.name == name)
}

/// A cell as text: a collection shows its first value, as Fasten's tables do.
fn cell(value: &Value) -> String {
    match value {
        Value::Array(items) => items.first().map(cell).unwrap_or_default(),
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Object(o) => ["text", "display", "value", "reference"]
            .iter()
            .find_map(|k| o.get(*k).map(cell))
            .unwrap_or_else(|| value.to_string()),
        other => other.to_string(),
    }
}

fn first(value: &Value) -> &Value {
    match value {
        Value::Array(items) => items.first().unwrap_or(&Value::Null),
        other => other,
    }
}

fn draw_widget(widget: &fasten::Widget, outputs: &[(&fasten::Query, views::ViewOutput)]) -> Widget {
    let title = widget.title.clone();
    match &widget.kind {
        WidgetKind::Chart => {
            let mut series: Vec<Series> = Vec::new();
            for (query, out) in outputs {
                let name = query.label.clone().unwrap_or_else(|| title.clone());
                let (Some(key), Some(date), Some(value)) = (
                    position(out, KEY_COLUMN),
                    position(out, DATE_COLUMN),
                    query.value.as_deref().and_then(|v| position(out, v)),
                ) else {
                    continue;
                };
                let unit = query.unit.as_deref().and_then(|u| position(out, u));
                let mut by_unit: BTreeMap<String, Vec<Point>> = BTreeMap::new();
                for row in &out.rows {
                    // A value that is not a number is left out, never guessed.
                    let (Value::String(date), Value::Number(n)) = (&row[date], first(&row[value]))
                    else {
                        continue;
                    };
                    let text = n.to_string();
                    let Ok(number) = text.parse::<f64>() else {
                        continue;
                    };
                    let unit = unit.map(|u| cell(&row[u])).unwrap_or_default();
                    by_unit.entry(unit.clone()).or_default().push(Point {
                        date: date.clone(),
                        value: number,
                        text,
                        unit,
                        evidence: row[key]
                            .as_str()
                            .map(|k| vec![k.to_string()])
                            .unwrap_or_default(),
                    });
                }
                let several = by_unit.len() > 1;
                for (unit, mut points) in by_unit {
                    points.sort_by(|a, b| a.date.cmp(&b.date));
                    series.push(Series {
                        name: if several {
                            format!("{name} ({unit})")
                        } else {
                            name.clone()
                        },
                        unit,
                        points,
                    });
                }
            }
            Widget::LineChart {
                title,
                series,
                targets: Vec::new(),
            }
        }
        WidgetKind::Table { headers } => {
            let Some((_, out)) = outputs.first() else {
                return Widget::Table {
                    title,
                    columns: Vec::new(),
                    rows: Vec::new(),
                };
            };
            let key = position(out, KEY_COLUMN);
            let at: Vec<Option<usize>> = headers.iter().map(|(_, c)| position(out, c)).collect();
            let rows = out
                .rows
                .iter()
                .map(|row| Row {
                    cells: at
                        .iter()
                        .map(|p| p.map(|p| cell(&row[p])).unwrap_or_default())
                        .collect(),
                    evidence: key
                        .and_then(|k| row[k].as_str())
                        .map(|k| vec![k.to_string()])
                        .unwrap_or_default(),
                })
                .collect();
            Widget::Table {
                title,
                columns: headers.iter().map(|(h, _)| h.clone()).collect(),
                rows,
            }
        }
        WidgetKind::Counts => {
            let mut rows = Vec::new();
            for (query, out) in outputs {
                let (Some(key), Some(label)) =
                    (position(out, KEY_COLUMN), position(out, LABEL_COLUMN))
                else {
                    continue;
                };
                // Each record counts once per label (Fasten counted joined rows).
                let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
                for row in &out.rows {
                    let label = cell(&row[label]);
                    let record = row[key].as_str().unwrap_or_default().to_string();
                    let ids = groups.entry(label).or_default();
                    if !ids.contains(&record) {
                        ids.push(record);
                    }
                }
                let mut counted: Vec<(String, Vec<String>)> = groups.into_iter().collect();
                counted.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
                for (label, ids) in counted {
                    let mut cells = Vec::new();
                    if outputs.len() > 1 {
                        cells.push(query.label.clone().unwrap_or_default());
                    }
                    cells.push(if label.is_empty() {
                        "(none)".into()
                    } else {
                        label
                    });
                    cells.push(ids.len().to_string());
                    rows.push(Row {
                        cells,
                        evidence: ids.into_iter().take(MAX_COUNT_EVIDENCE).collect(),
                    });
                }
            }
            let mut columns = Vec::new();
            if outputs.len() > 1 {
                columns.push("Query".into());
            }
            columns.push("Label".into());
            columns.push("Records".into());
            Widget::Table {
                title,
                columns,
                rows,
            }
        }
    }
}
