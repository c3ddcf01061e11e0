//! A trivial dashboard for the host's tests: a table of the Observations it
//! can read through the host. Its `misbehave` setting (`endless-loop`,
//! `memory-bomb`, `trap`, `flood`) asks for a misbehaviour; `flood` reads the
//! records over and over.

use hearth_plugin_sdk::dashboard::{
    Board, Dashboard, DashboardInfo, RenderRequest, Row, Table, Widget, export_dashboard,
};
use hearth_plugin_sdk::{PluginError, records};

struct TestDashboard;

impl Dashboard for TestDashboard {
    fn info() -> DashboardInfo {
        DashboardInfo {
            id: "test-dashboard".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            name: "Test dashboard".into(),
            conditions: vec![],
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
        let found = records::search("Observation", &[("_count", "100")], 10_000)?;
        let rows = found
            .iter()
            .map(|o| {
                let key = format!("Observation/{}", o["id"].as_str().unwrap_or_default());
                Row {
                    cells: vec![key.clone()],
                    evidence: vec![key],
                }
            })
            .collect();
        Ok(Board {
            title: format!("Observations as of {}", request.as_of),
            widgets: vec![Widget::Table(Table {
                title: "Observations".into(),
                columns: vec!["Record".into()],
                rows,
            })],
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
