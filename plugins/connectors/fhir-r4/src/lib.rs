//! The generic SMART-on-FHIR R4 connector.
//!
//! Pulls one patient's record with `Patient/[id]/$everything` where the server
//! offers it, otherwise with one `?patient=` search per resource type the
//! server can search by patient, with the platform's quirks from the catalog.
//! The engine is the SDK's [`pull`](hearth_plugin_sdk::pull::pull), shared
//! with the DSTU3 connector.

use hearth_plugin_sdk::pull::{PullOptions, pull, unchanged};
use hearth_plugin_sdk::{
    Connector, ConnectorInfo, PluginError, SyncContext, SyncSummary, export_connector,
};

struct FhirR4;

const OPTIONS: PullOptions = PullOptions {
    fhir_version_prefix: "4.",
    label: "R4",
    convert: unchanged,
};

impl Connector for FhirR4 {
    fn info() -> ConnectorInfo {
        ConnectorInfo {
            id: "fhir-r4".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            name: "FHIR R4 (SMART on FHIR)".into(),
            fhir_versions: vec!["4.0.1".into()],
        }
    }

    fn sync(ctx: SyncContext) -> Result<SyncSummary, PluginError> {
        pull(&ctx, &OPTIONS)
    }
}

export_connector!(FhirR4);
