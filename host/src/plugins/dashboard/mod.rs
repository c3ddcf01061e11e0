//! Dashboards: draw a condition dashboard from a profile's records as
//! declarative widgets, each point and value naming the records it came from.

use super::manifest::Kind;
use super::runtime::call::{CallState, PluginFailure};
use super::{LoadedPlugin, Plugins, finish, ports::RecordsReader};
use serde::Serialize;
use std::sync::Arc;
use wasmtime::component::Linker;

mod v0_1;
mod v0_2;

use super::world::Version;

/// A dashboard component ready to instantiate, by the world version it targets.
pub enum DashboardPre {
    /// `hearth:dashboard@0.1.0`: no views; widgets get keys from their position.
    V0_1(v0_1::DashboardPre<CallState>),
    /// `hearth:dashboard@0.2.0`.
    V0_2(v0_2::DashboardPre<CallState>),
}

impl DashboardPre {
    /// Wrap a pre-instantiated component of world `version`.
    pub fn new(
        version: Version,
        pre: wasmtime::component::InstancePre<CallState>,
    ) -> wasmtime::Result<Self> {
        if version == Version::new(0, 1, 0) {
            Ok(DashboardPre::V0_1(v0_1::DashboardPre::new(pre)?))
        } else {
            Ok(DashboardPre::V0_2(v0_2::DashboardPre::new(pre)?))
        }
    }

    /// The component's `info()`.
    pub async fn info(
        &self,
        store: &mut wasmtime::Store<CallState>,
    ) -> wasmtime::Result<super::PluginInfo> {
        match self {
            DashboardPre::V0_1(pre) => v0_1::info(pre, store).await,
            DashboardPre::V0_2(pre) => v0_2::info(pre, store).await,
        }
    }
}

/// Whom a dashboard is for and what a person may set, from its `info()`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DashboardMeta {
    /// Condition codes (`system|code`) that make it apply to a person.
    pub conditions: Vec<String>,
    /// Ages (whole years, inclusive) it applies to whatever the conditions.
    pub ages: Option<(u32, u32)>,
    /// Settings: key, label, default.
    pub settings: Vec<(String, String, String)>,
}

/// Add every dashboard world's own interfaces to `linker`.
pub fn add_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    v0_1::add_to_linker(linker)?;
    v0_2::add_to_linker(linker)
}

/// One measured value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    /// When.
    pub date: String,
    /// The value, for drawing.
    pub value: f64,
    /// The value as the record wrote it.
    pub text: String,
    /// Its unit.
    pub unit: String,
    /// `Type/id` of each record it came from.
    pub evidence: Vec<String>,
}

/// A target range and its source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Band {
    /// Lowest value in range.
    pub low: Option<f64>,
    /// Highest value in range.
    pub high: Option<f64>,
    /// What it means.
    pub label: String,
    /// The guideline it cites.
    pub source: String,
}

/// A named line of points.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    /// Its name.
    pub name: String,
    /// Its unit.
    pub unit: String,
    /// Its points, oldest first.
    pub points: Vec<Point>,
}

/// Which way a value is moving.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Trend {
    /// Up.
    Rising,
    /// Down.
    Falling,
    /// About the same.
    Steady,
    /// Cannot tell.
    Indeterminate,
}

/// How an item of a status list stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemStatus {
    /// Fine or done.
    Ok,
    /// Needs attention.
    Attention,
    /// Missing or overdue.
    Missing,
    /// Cannot be judged.
    Indeterminate,
}

/// A line of a status list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusItem {
    /// What it is.
    pub label: String,
    /// How it stands.
    pub status: ItemStatus,
    /// A short explanation.
    pub detail: String,
    /// `Type/id` of each record it came from.
    pub evidence: Vec<String>,
}

/// A row of a table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// Its cells.
    pub cells: Vec<String>,
    /// `Type/id` of each record it came from.
    pub evidence: Vec<String>,
}

/// A dated event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// When.
    pub date: String,
    /// What.
    pub label: String,
    /// `Type/id` of each record it came from.
    pub evidence: Vec<String>,
}

/// One widget.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "widget", rename_all = "kebab-case")]
pub enum Widget {
    /// A chart over time.
    LineChart {
        /// Title.
        title: String,
        /// Series.
        series: Vec<Series>,
        /// Target bands.
        targets: Vec<Band>,
    },
    /// A latest value.
    Stat {
        /// Title.
        title: String,
        /// The latest value.
        latest: Option<Point>,
        /// The one before.
        previous: Option<Point>,
        /// The trend.
        trend: Trend,
        /// Whether a new value is overdue.
        overdue: bool,
        /// Why, or when it is due.
        note: String,
    },
    /// A table.
    Table {
        /// Title.
        title: String,
        /// Column headings.
        columns: Vec<String>,
        /// Rows.
        rows: Vec<Row>,
    },
    /// A checklist.
    StatusList {
        /// Title.
        title: String,
        /// Items.
        items: Vec<StatusItem>,
    },
    /// Events over time.
    TimelineStrip {
        /// Title.
        title: String,
        /// Events, oldest first.
        events: Vec<Event>,
    },
}

/// A widget and the key it keeps between drawings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Card {
    /// Stable within its dashboard.
    pub key: String,
    /// The widget.
    #[serde(flatten)]
    pub widget: Widget,
}

/// A drawn dashboard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Board {
    /// Its title.
    pub title: String,
    /// Its cards, in their default order.
    pub cards: Vec<Card>,
}

/// Converts one world version's generated widget types into the host's; the
/// types are the same shape in every version, so one body serves them all.
macro_rules! widget_from {
    ($types:path) => {
        use crate::plugins::dashboard::{
            Band, Event, ItemStatus, Point, Row, Series, StatusItem, Trend, Widget,
        };
        use $types as types;

        pub(super) fn point(p: types::Point) -> Point {
            Point {
                date: p.date,
                value: p.value,
                text: p.text,
                unit: p.unit,
                evidence: p.evidence,
            }
        }

        pub(super) fn widget(w: types::Widget) -> Widget {
            match w {
                types::Widget::LineChart(c) => Widget::LineChart {
                    title: c.title,
                    series: c
                        .series
                        .into_iter()
                        .map(|s| Series {
                            name: s.name,
                            unit: s.unit,
                            points: s.points.into_iter().map(point).collect(),
                        })
                        .collect(),
                    targets: c
                        .targets
                        .into_iter()
                        .map(|b| Band {
                            low: b.low,
                            high: b.high,
                            label: b.label,
                            source: b.source,
                        })
                        .collect(),
                },
                types::Widget::Stat(s) => Widget::Stat {
                    title: s.title,
                    latest: s.latest.map(point),
                    previous: s.previous.map(point),
                    trend: match s.trend {
                        types::Trend::Rising => Trend::Rising,
                        types::Trend::Falling => Trend::Falling,
                        types::Trend::Steady => Trend::Steady,
                        types::Trend::Indeterminate => Trend::Indeterminate,
                    },
                    overdue: s.overdue,
                    note: s.note,
                },
                types::Widget::Table(t) => Widget::Table {
                    title: t.title,
                    columns: t.columns,
                    rows: t
                        .rows
                        .into_iter()
                        .map(|r| Row {
                            cells: r.cells,
                            evidence: r.evidence,
                        })
                        .collect(),
                },
                types::Widget::StatusList(l) => Widget::StatusList {
                    title: l.title,
                    items: l
                        .items
                        .into_iter()
                        .map(|i| StatusItem {
                            label: i.label,
                            status: match i.status {
                                types::Status::Ok => ItemStatus::Ok,
                                types::Status::Attention => ItemStatus::Attention,
                                types::Status::Missing => ItemStatus::Missing,
                                types::Status::Indeterminate => ItemStatus::Indeterminate,
                            },
                            detail: i.detail,
                            evidence: i.evidence,
                        })
                        .collect(),
                },
                types::Widget::TimelineStrip(t) => Widget::TimelineStrip {
                    title: t.title,
                    events: t
                        .events
                        .into_iter()
                        .map(|e| Event {
                            date: e.date,
                            label: e.label,
                            evidence: e.evidence,
                        })
                        .collect(),
                },
            }
        }
    };
}
use widget_from;

impl Plugins {
    /// Draw a dashboard as of `as_of` (`YYYY-MM-DD`) from the records `records` is bound to.
    pub async fn render_dashboard(
        &self,
        plugin: &LoadedPlugin,
        as_of: &str,
        settings: Vec<(String, String)>,
        records: Arc<dyn RecordsReader>,
    ) -> Result<Board, PluginFailure> {
        let super::KindPre::Dashboard(pre) = &plugin.pre else {
            return Err(super::wrong_kind(plugin, Kind::Dashboard));
        };
        let mut store = self.store_reading(plugin, records);
        let timeout = plugin.limits.timeout;
        let outcome = match pre {
            DashboardPre::V0_1(pre) => {
                tokio::time::timeout(timeout, v0_1::render(pre, &mut store, as_of, settings)).await
            }
            DashboardPre::V0_2(pre) => {
                tokio::time::timeout(timeout, v0_2::render(pre, &mut store, as_of, settings)).await
            }
        };
        finish(&store, &plugin.limits, outcome)
    }
}
