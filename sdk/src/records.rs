//! Reading the profile's records through the host (dashboards, rules, llm
//! adapters). The host decides whose records these are; a plugin only asks.

use crate::PluginError;
use crate::bindings::common::hearth::common::records;

/// Search the profile's records of `resource_type` with FHIR search
/// `params`, following pages until `limit` resources were read, as JSON.
pub fn search(
    resource_type: &str,
    params: &[(&str, &str)],
    limit: usize,
) -> Result<Vec<serde_json::Value>, PluginError> {
    let mut found = Vec::new();
    let mut page = None;
    loop {
        let answer = records::search(&records::SearchRequest {
            resource_type: resource_type.to_string(),
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            page: page.take(),
        })?;
        for text in answer.resources {
            if found.len() >= limit {
                return Ok(found);
            }
            // The host stored it as valid JSON; a parse failure is a host bug worth reporting.
            let value = serde_json::from_str(&text).map_err(|e| {
                PluginError::new(
                    crate::ErrorKind::Internal,
                    format!("the host sent a record that is not JSON: {e}"),
                )
            })?;
            found.push(value);
        }
        match answer.next {
            Some(next) if found.len() < limit => page = Some(next),
            _ => return Ok(found),
        }
    }
}

/// One resource of the profile by type and id.
pub fn read(resource_type: &str, id: &str) -> Result<Option<String>, PluginError> {
    records::read(resource_type, id)
}
