//! The generic SMART-on-FHIR R4 connector.
//!
//! Pulls one patient's record with `Patient/[id]/$everything` where the server
//! offers it, otherwise with one `?patient=` search per resource type the
//! server can search by patient. Every page is emitted to the host and
//! checkpointed, so an interrupted sync resumes from the last page.

use hearth_plugin_sdk::fhir::FhirClient;
use hearth_plugin_sdk::sink::Emitter;
use hearth_plugin_sdk::{
    Connector, ConnectorInfo, ErrorKind, PluginError, SyncContext, SyncSummary, export_connector,
    log,
};
use serde::{Deserialize, Serialize};

const DEFAULT_PAGE_SIZE: u32 = 200;
/// Hard cap on queued resources, whatever the page size.
const EMIT_BATCH: usize = 5000;
/// Checkpoint (and so commit) about this often: each commit costs the host a
/// transaction, and a resumed sync re-fetches at most this much.
const CHECKPOINT_EVERY: usize = 1000;

/// Where a sync got to; serialized as the checkpoint cursor.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Cursor {
    /// `everything` or `per-type`.
    strategy: String,
    /// The queries still to run, in order (relative to the base URL).
    queries: Vec<String>,
    /// Index of the query in progress.
    index: usize,
    /// Absolute URL of the next page of the query in progress, if it was paged.
    next: Option<String>,
}

struct FhirR4;

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
        let page_size = match ctx.setting("page-size") {
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or_else(|| {
                    PluginError::new(
                        ErrorKind::InvalidInput,
                        format!("page-size {v:?} is not 1..=1000"),
                    )
                })?,
            None => DEFAULT_PAGE_SIZE,
        };
        let mut client = FhirClient::new(&ctx.fhir_base_url);
        let resumed = ctx
            .cursor
            .as_deref()
            .and_then(|c| serde_json::from_str::<Cursor>(c).ok());
        let mut cursor = match resumed {
            Some(cursor) => {
                log::info(&format!(
                    "resuming at query {} of {}",
                    cursor.index + 1,
                    cursor.queries.len()
                ));
                cursor
            }
            None => plan(&mut client, &ctx.patient_id, page_size)?,
        };

        let mut emitter = Emitter::new(EMIT_BATCH);
        while cursor.index < cursor.queries.len() {
            let url = match cursor.next.take() {
                Some(next) => next,
                None => client.url(&cursor.queries[cursor.index]),
            };
            let page = client.page(&url)?;
            for resource in &page.resources {
                emitter.push(resource)?;
            }
            let query_done = page.next.is_none();
            match page.next {
                Some(next) => cursor.next = Some(next),
                None => cursor.index += 1,
            }
            if query_done || emitter.pending() >= CHECKPOINT_EVERY {
                let text = serde_json::to_string(&cursor)
                    .map_err(|e| PluginError::new(ErrorKind::Internal, e.to_string()))?;
                emitter.checkpoint(&text)?;
            }
        }
        emitter.flush()?;
        Ok(SyncSummary {
            resources_emitted: emitter.emitted(),
            requests: client.requests(),
            strategy: cursor.strategy,
        })
    }
}

/// Decide how to pull this server: `$everything` if offered, else per-type searches.
fn plan(client: &mut FhirClient, patient: &str, page_size: u32) -> Result<Cursor, PluginError> {
    let caps = client.capabilities()?;
    match caps.fhir_version() {
        Some(v) if v.starts_with("4.") => {}
        other => {
            return Err(PluginError::new(
                ErrorKind::InvalidInput,
                format!(
                    "the server speaks FHIR {}, this connector reads R4 (4.x)",
                    other.unwrap_or("(unknown)")
                ),
            ));
        }
    }
    let patient = encode(patient);
    if caps.supports_patient_everything() {
        log::info("using Patient/$everything");
        return Ok(Cursor {
            strategy: "everything".into(),
            queries: vec![format!("Patient/{patient}/$everything?_count={page_size}")],
            index: 0,
            next: None,
        });
    }
    let mut queries = vec![format!("Patient?_id={patient}")];
    for ty in caps.patient_searchable_types() {
        if ty != "Patient" {
            queries.push(format!("{ty}?patient={patient}&_count={page_size}"));
        }
    }
    log::info(&format!(
        "no $everything: {} per-type searches",
        queries.len()
    ));
    Ok(Cursor {
        strategy: "per-type".into(),
        queries,
        index: 0,
        next: None,
    })
}

/// Percent-encode a FHIR id for a URL path or query (ids are `[A-Za-z0-9\-\.]`, but be safe).
fn encode(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'.' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

export_connector!(FhirR4);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips() {
        let c = Cursor {
            strategy: "per-type".into(),
            queries: vec!["a".into()],
            index: 0,
            next: Some("http://x/n".into()),
        };
        let text = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<Cursor>(&text).unwrap(), c);
    }

    #[test]
    fn encodes_ids() {
        assert_eq!(encode("abc-1.2"), "abc-1.2");
        assert_eq!(encode("a b/c"), "a%20b%2Fc");
    }
}
