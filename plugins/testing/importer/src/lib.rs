//! A trivial importer for the host's tests: emits the resources of a FHIR
//! Bundle (or a JSON array of resources). A document named for a
//! misbehaviour (`endless-loop`, `memory-bomb`, `trap`, `flood`) gets it.

use hearth_plugin_sdk::importer::{
    Document, ImportSummary, Importer, ImporterInfo, emit, export_importer,
};
use hearth_plugin_sdk::{ErrorKind, PluginError};
use serde_json::Value;

struct TestImporter;

impl Importer for TestImporter {
    fn info() -> ImporterInfo {
        ImporterInfo {
            id: "test-importer".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            name: "Test importer".into(),
            media_types: vec!["application/fhir+json".into()],
        }
    }

    fn convert(doc: Document) -> Result<ImportSummary, PluginError> {
        hearth_test_misbehaviour::perform(&doc.name);
        if doc.name == "flood" {
            let big = format!(
                "{{\"resourceType\":\"Basic\",\"id\":\"x\",\"text\":\"{}\"}}",
                "x".repeat(1 << 20)
            );
            loop {
                emit(&vec![big.clone(); 8])?;
            }
        }
        let value: Value = serde_json::from_slice(&doc.content).map_err(|e| {
            PluginError::new(
                ErrorKind::InvalidInput,
                format!("{}: not JSON: {e}", doc.name),
            )
        })?;
        let items: Vec<Value> = match value {
            Value::Array(items) => items,
            bundle if bundle["resourceType"] == "Bundle" => bundle["entry"]
                .as_array()
                .map(|e| e.iter().map(|e| e["resource"].clone()).collect())
                .unwrap_or_default(),
            _ => {
                return Err(PluginError::new(
                    ErrorKind::InvalidInput,
                    format!("{}: neither a Bundle nor a list of resources", doc.name),
                ));
            }
        };
        let mut warnings = Vec::new();
        let mut batch = Vec::new();
        for (n, item) in items.into_iter().enumerate() {
            if item.is_object() {
                batch.push(item.to_string());
            } else {
                warnings.push(format!("entry {n} holds no resource"));
            }
        }
        let emitted = batch.len() as u64;
        emit(&batch)?;
        Ok(ImportSummary {
            resources_emitted: emitted,
            warnings,
        })
    }
}

export_importer!(TestImporter);
