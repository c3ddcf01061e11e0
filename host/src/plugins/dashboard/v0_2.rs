//! `hearth:dashboard@0.2.0`, the latest dashboard world: views through
//! `hearth:views/view`, keyed cards, ages and settings in `info()`.

use super::{Board, Card};
use crate::plugins::PluginInfo;
use crate::plugins::interfaces::common::types::PluginError;
use crate::plugins::runtime::call::CallState;
use wasmtime::component::{HasSelf, Linker};

#[allow(missing_docs)]
mod generated {
    wasmtime::component::bindgen!({
        path: "../wit/dashboard/0.2.0",
        world: "hearth:dashboard/dashboard",
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

pub use generated::DashboardPre;
use generated::hearth::dashboard::types;

mod convert {
    super::super::widget_from!(super::types);
}

/// Add this world's own interfaces to `linker`.
pub fn add_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    types::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)
}

impl types::Host for CallState {}

/// The component's `info()`.
pub async fn info(
    pre: &DashboardPre<CallState>,
    store: &mut wasmtime::Store<CallState>,
) -> wasmtime::Result<PluginInfo> {
    let instance = pre.instantiate_async(&mut *store).await?;
    let info = instance
        .hearth_dashboard_plugin()
        .call_info(&mut *store)
        .await?;
    Ok(PluginInfo {
        id: info.id,
        version: info.version,
        name: info.name,
        dashboard: Some(super::DashboardMeta {
            conditions: info.conditions,
            ages: info.ages.map(|a| (a.min, a.max)),
            settings: info
                .settings
                .into_iter()
                .map(|s| (s.key, s.label, s.default_value))
                .collect(),
        }),
    })
}

/// Draw the dashboard.
pub async fn render(
    pre: &DashboardPre<CallState>,
    store: &mut wasmtime::Store<CallState>,
    as_of: &str,
    settings: Vec<(String, String)>,
) -> wasmtime::Result<Result<Board, PluginError>> {
    let request = types::RenderRequest {
        as_of: as_of.to_string(),
        settings,
    };
    let dashboard = pre.instantiate_async(&mut *store).await?;
    let drawn = dashboard
        .hearth_dashboard_plugin()
        .call_render(&mut *store, &request)
        .await?;
    Ok(drawn.map(|board| Board {
        title: board.title,
        cards: board
            .cards
            .into_iter()
            .map(|c| Card {
                key: c.key,
                widget: convert::widget(c.widget),
            })
            .collect(),
    }))
}
