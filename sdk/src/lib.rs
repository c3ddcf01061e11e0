//! The Hearth plugin SDK: WIT bindings for every plugin world plus the helpers
//! a plugin author needs (HTTP over `wasi:http`, FHIR Bundle paging, batched
//! emits, record searches).
//!
//! Each world is its own WIT package with its own version; this SDK builds
//! against the latest of each. A connector is a type implementing
//! [`Connector`], exported with [`export_connector!`]:
//!
//! ```ignore
//! struct MyConnector;
//! impl hearth_plugin_sdk::Connector for MyConnector { /* info(), sync(ctx) */ }
//! hearth_plugin_sdk::export_connector!(MyConnector);
//! ```
//!
//! Importers, dashboards, rules and llm adapters do the same with
//! [`importer`], [`dashboard`], [`rules`] and [`llm`].
#![deny(missing_docs)]

/// Raw bindings generated from the WIT packages under `wit/`.
#[allow(missing_docs, clippy::too_many_arguments)]
pub mod bindings {
    /// `hearth:common@0.1.0` (errors, logging, records) and `hearth:views@0.1.0`;
    /// shared by every world below.
    pub mod common {
        wit_bindgen::generate!({
            inline: "package hearth:sdk; world common { import hearth:common/log@0.1.0; import hearth:common/records@0.1.0; import hearth:views/view@0.1.0; }",
            path: "../wit/views/0.1.0",
            world: "hearth:sdk/common",
            generate_all,
        });
    }

    /// `hearth:connector@0.2.0`.
    pub mod connector {
        wit_bindgen::generate!({
            path: "../wit/connector/0.2.0",
            world: "hearth:connector/connector",
            with: {
                "hearth:common/types@0.1.0": crate::bindings::common::hearth::common::types,
                "hearth:common/log@0.1.0": crate::bindings::common::hearth::common::log,
            },
            generate_all,
            pub_export_macro: true,
            export_macro_name: "export_connector",
            default_bindings_module: "hearth_plugin_sdk::bindings::connector",
        });
    }

    /// `hearth:importer@0.1.0`.
    pub mod importer {
        wit_bindgen::generate!({
            path: "../wit/importer/0.1.0",
            world: "hearth:importer/importer",
            with: {
                "hearth:common/types@0.1.0": crate::bindings::common::hearth::common::types,
                "hearth:common/log@0.1.0": crate::bindings::common::hearth::common::log,
            },
            generate_all,
            pub_export_macro: true,
            export_macro_name: "export_importer",
            default_bindings_module: "hearth_plugin_sdk::bindings::importer",
        });
    }

    /// `hearth:dashboard@0.2.0`.
    pub mod dashboard {
        wit_bindgen::generate!({
            path: "../wit/dashboard/0.2.0",
            world: "hearth:dashboard/dashboard",
            with: {
                "hearth:common/types@0.1.0": crate::bindings::common::hearth::common::types,
                "hearth:common/log@0.1.0": crate::bindings::common::hearth::common::log,
                "hearth:common/records@0.1.0": crate::bindings::common::hearth::common::records,
                "hearth:views/view@0.1.0": crate::bindings::common::hearth::views::view,
            },
            generate_all,
            pub_export_macro: true,
            export_macro_name: "export_dashboard",
            default_bindings_module: "hearth_plugin_sdk::bindings::dashboard",
        });
    }

    /// `hearth:rules@0.2.0`.
    pub mod rules {
        wit_bindgen::generate!({
            path: "../wit/rules/0.2.0",
            world: "hearth:rules/rules",
            with: {
                "hearth:common/types@0.1.0": crate::bindings::common::hearth::common::types,
                "hearth:common/log@0.1.0": crate::bindings::common::hearth::common::log,
                "hearth:common/records@0.1.0": crate::bindings::common::hearth::common::records,
                "hearth:views/view@0.1.0": crate::bindings::common::hearth::views::view,
            },
            generate_all,
            pub_export_macro: true,
            export_macro_name: "export_rules",
            default_bindings_module: "hearth_plugin_sdk::bindings::rules",
        });
    }

    /// `hearth:llm@0.2.0`.
    pub mod llm {
        wit_bindgen::generate!({
            path: "../wit/llm/0.2.0",
            world: "hearth:llm/llm",
            with: {
                "hearth:common/types@0.1.0": crate::bindings::common::hearth::common::types,
                "hearth:common/log@0.1.0": crate::bindings::common::hearth::common::log,
            },
            generate_all,
            pub_export_macro: true,
            export_macro_name: "export_llm",
            default_bindings_module: "hearth_plugin_sdk::bindings::llm",
        });
    }
}

pub mod fhir;
pub mod http;
pub mod log;
pub mod pull;
pub mod records;
pub mod sink;
pub mod views;

pub use bindings::common::hearth::common::types::{ErrorKind, PluginError};
pub use bindings::connector::export_connector;
pub use bindings::connector::exports::hearth::connector::plugin::Guest as Connector;
pub use bindings::connector::hearth::connector::types::{ConnectorInfo, SyncContext, SyncSummary};

/// What an importer plugin needs: implement [`importer::Importer`], export with [`importer::export_importer!`].
pub mod importer {
    pub use crate::bindings::importer::export_importer;
    pub use crate::bindings::importer::exports::hearth::importer::plugin::Guest as Importer;
    pub use crate::bindings::importer::hearth::importer::sink::emit;
    pub use crate::bindings::importer::hearth::importer::types::{
        Document, ImportSummary, ImporterInfo,
    };
}

/// What a dashboard plugin needs: implement [`dashboard::Dashboard`], export with [`dashboard::export_dashboard!`].
pub mod dashboard {
    pub use crate::bindings::dashboard::export_dashboard;
    pub use crate::bindings::dashboard::exports::hearth::dashboard::plugin::Guest as Dashboard;
    pub use crate::bindings::dashboard::hearth::dashboard::types::*;
}

/// What a rules plugin needs: implement [`rules::Rules`], export with [`rules::export_rules!`].
pub mod rules {
    pub use crate::bindings::rules::export_rules;
    pub use crate::bindings::rules::exports::hearth::rules::plugin::Guest as Rules;
    pub use crate::bindings::rules::hearth::rules::types::*;
}

/// What an llm adapter needs: implement [`llm::Llm`], export with [`llm::export_llm!`].
/// The model is reached with [`llm::model::post`] and read with [`llm::model::next`];
/// the records with [`llm::tools`].
pub mod llm {
    pub use crate::bindings::llm::export_llm;
    pub use crate::bindings::llm::exports::hearth::llm::plugin::Guest as Llm;
    pub use crate::bindings::llm::hearth::llm::reply::write;
    pub use crate::bindings::llm::hearth::llm::types::*;
    pub use crate::bindings::llm::hearth::llm::{model, tools};
}

impl PluginError {
    /// Build an error of `kind` with a message; retryable for rate limits and upstream failures.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        let retryable = matches!(kind, ErrorKind::RateLimited | ErrorKind::Upstream);
        PluginError {
            kind,
            message: message.into(),
            retryable,
        }
    }
}

impl SyncContext {
    /// The value of a connector setting, if the host passed one.
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}
