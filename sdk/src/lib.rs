//! The Hearth plugin SDK: WIT bindings for `hearth:plugin@0.1.0` plus the helpers a
//! connector author needs (HTTP over `wasi:http`, FHIR Bundle paging, batched emits).
//!
//! A connector is a type implementing [`Connector`], exported with
//! [`export_connector!`]:
//!
//! ```ignore
//! struct MyConnector;
//! impl hearth_plugin_sdk::Connector for MyConnector { /* info(), sync(ctx) */ }
//! hearth_plugin_sdk::export_connector!(MyConnector);
//! ```
#![deny(missing_docs)]

/// Raw bindings generated from the WIT package (`wit/v0.1.0`).
#[allow(missing_docs, clippy::too_many_arguments)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit/v0.1.0",
        world: "hearth:plugin/connector",
        generate_all,
        pub_export_macro: true,
        export_macro_name: "export_connector",
        default_bindings_module: "hearth_plugin_sdk::bindings",
    });
}

pub mod fhir;
pub mod http;
pub mod log;
pub mod pull;
pub mod sink;

pub use bindings::Guest as Connector;
pub use bindings::export_connector;
pub use bindings::hearth::plugin::types::{
    ConnectorInfo, ErrorKind, PluginError, SyncContext, SyncSummary,
};

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
