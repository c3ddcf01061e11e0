//! A dashboard built against `hearth:dashboard@0.1.0`, the first dashboard
//! world, so the host's 0.1 adapter stays tested: one table of the
//! Conditions it reads through `hearth:common/records`.

mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit/dashboard/0.1.0",
        world: "hearth:dashboard/dashboard",
        with: {
            "hearth:common/types@0.1.0": hearth_plugin_sdk::bindings::common::hearth::common::types,
            "hearth:common/log@0.1.0": hearth_plugin_sdk::bindings::common::hearth::common::log,
            "hearth:common/records@0.1.0": hearth_plugin_sdk::bindings::common::hearth::common::records,
        },
        generate_all,
    });
}

use bindings::exports::hearth::dashboard::plugin::Guest;
use bindings::hearth::dashboard::types::{Board, DashboardInfo, RenderRequest, Row, Table, Widget};
use hearth_plugin_sdk::{PluginError, records};

struct LegacyDashboard;

impl Guest for LegacyDashboard {
    fn info() -> DashboardInfo {
        DashboardInfo {
            id: "test-legacy-dashboard".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            name: "Legacy dashboard".into(),
            conditions: vec![],
        }
    }

    fn render(request: RenderRequest) -> Result<Board, PluginError> {
        let found = records::search("Condition", &[("_count", "100")], 1_000)?;
        let rows = found
            .iter()
            .map(|c| {
                let key = format!("Condition/{}", c["id"].as_str().unwrap_or_default());
                Row {
                    cells: vec![key.clone()],
                    evidence: vec![key],
                }
            })
            .collect();
        Ok(Board {
            title: format!("Conditions as of {}", request.as_of),
            widgets: vec![Widget::Table(Table {
                title: "Conditions".into(),
                columns: vec!["Record".into()],
                rows,
            })],
        })
    }
}

bindings::export!(LegacyDashboard with_types_in bindings);
