//! A trivial dashboard (world 0.2) for the host's tests: a table of the
//! Conditions it can read through a view. Its `misbehave` setting
//! (`endless-loop`, `memory-bomb`, `trap`, `flood`, `flood-views`) asks for a
//! misbehaviour; the floods read the records over and over.

use hearth_plugin_sdk::dashboard::{
    Board, Card, Dashboard, DashboardInfo, RenderRequest, Row, Table, Widget, export_dashboard,
};
use hearth_plugin_sdk::{PluginError, records, views};
use serde_json::json;

struct TestDashboard;

impl Dashboard for TestDashboard {
    fn info() -> DashboardInfo {
        DashboardInfo {
            id: "test-dashboard".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            name: "Test dashboard".into(),
            conditions: vec![],
            ages: None,
            settings: vec![],
        }
    }

    fn render(request: RenderRequest) -> Result<Board, PluginError> {
        let misbehave = setting(&request.settings, "misbehave");
        hearth_test_misbehaviour::perform(misbehave);
        if misbehave == "flood" {
            loop {
                records::search("Condition", &[("_count", "100")], usize::MAX)?;
            }
        }
        if misbehave == "flood-views" {
            let view = json!({"resource": "Condition", "select": [{"column": [
                {"name": "id", "path": "id"}, {"name": "text", "path": "code.text"}
            ]}]});
            loop {
                views::run(&view, None, Some(10_000))?;
            }
        }
        let view = json!({
            "resource": "Condition",
            "select": [{"column": [{"name": "key", "path": "getResourceKey()"}]}]
        });
        let table = views::run(&view, None, Some(10_000))?;
        let rows = table
            .rows
            .iter()
            .map(|row| {
                let key = row[0].as_str().unwrap_or_default().to_string();
                Row {
                    cells: vec![key.clone()],
                    evidence: vec![key],
                }
            })
            .collect();
        Ok(Board {
            title: format!("Conditions as of {}", request.as_of),
            cards: vec![Card {
                key: "conditions".into(),
                widget: Widget::Table(Table {
                    title: "Conditions".into(),
                    columns: vec!["Record".into()],
                    rows,
                }),
            }],
        })
    }
}

fn setting<'a>(settings: &'a [(String, String)], key: &str) -> &'a str {
    settings
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_default()
}

export_dashboard!(TestDashboard);
