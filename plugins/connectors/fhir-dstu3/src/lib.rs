//! The SMART-on-FHIR DSTU3 connector.
//!
//! The same pull as the R4 connector (the SDK's
//! [`pull`](hearth_plugin_sdk::pull::pull)), against a server that declares
//! FHIR 3.0, with every resource converted to R4 by `hearth-dstu3` before it
//! is emitted: the host stores and indexes R4 only.

use hearth_plugin_sdk::pull::{PullOptions, pull};
use hearth_plugin_sdk::{
    Connector, ConnectorInfo, PluginError, SyncContext, SyncSummary, export_connector,
};
use serde_json::Value;

struct FhirDstu3;

/// DSTU3 → R4; a resource that cannot be converted is skipped with its reason.
fn convert(resource: Value) -> Result<Value, String> {
    hearth_dstu3::to_r4(resource).map_err(|e| e.to_string())
}

const OPTIONS: PullOptions = PullOptions {
    fhir_version_prefix: "3.0",
    label: "DSTU3",
    convert,
};

impl Connector for FhirDstu3 {
    fn info() -> ConnectorInfo {
        ConnectorInfo {
            id: "fhir-dstu3".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            name: "FHIR DSTU3 (SMART on FHIR, converted to R4)".into(),
            fhir_versions: vec!["3.0.2".into()],
        }
    }

    fn sync(ctx: SyncContext) -> Result<SyncSummary, PluginError> {
        pull(&ctx, &OPTIONS)
    }
}

export_connector!(FhirDstu3);
