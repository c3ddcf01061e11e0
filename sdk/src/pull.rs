//! The shared pull engine of the FHIR connectors: plan (`$everything`, a
//! platform's own query, or one search per type), page, convert, emit and
//! checkpoint. The R4 and DSTU3 connectors differ only in the FHIR version
//! they accept and the conversion they apply, so both call [`pull`].
//!
//! The host passes the platform's quirks from the catalog as settings:
//! `everything` (`missing`, or `custom:<query>`), `extra-types` (more types to
//! search), `header:<Name>` (headers every request needs), and `since` (the
//! start of the last complete sync, for an incremental `_since` /
//! `_lastUpdated` pull where the server supports it), plus `page-size`.

use crate::fhir::FhirClient;
use crate::sink::Emitter;
use crate::{ErrorKind, PluginError, SyncContext, SyncSummary, log};
use serde::{Deserialize, Serialize};
use serde_json::Value;

const DEFAULT_PAGE_SIZE: u32 = 200;
/// Hard cap on queued resources, whatever the page size.
const EMIT_BATCH: usize = 5000;
/// Checkpoint (and so commit) about this often: each commit costs the host a
/// transaction, and a resumed sync re-fetches at most this much.
const CHECKPOINT_EVERY: usize = 1000;

/// What a connector reads and how it turns it into R4.
pub struct PullOptions {
    /// The `fhirVersion` prefix the server must declare (`4.` or `3.0`).
    pub fhir_version_prefix: &'static str,
    /// A name for the version in errors (`R4`, `DSTU3`).
    pub label: &'static str,
    /// Turn one fetched resource into R4; an error skips that resource (and is logged).
    pub convert: fn(Value) -> Result<Value, String>,
}

/// Resources are R4 already.
pub fn unchanged(resource: Value) -> Result<Value, String> {
    Ok(resource)
}

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
    /// The server's count of matches of the query in progress (`Bundle.total`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    total: Option<u64>,
    /// Resources read from the query in progress so far.
    #[serde(default)]
    fetched: u64,
}

/// Pull one patient's record from `ctx.fhir_base_url`, emitting and checkpointing as it goes.
pub fn pull(ctx: &SyncContext, options: &PullOptions) -> Result<SyncSummary, PluginError> {
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
    let quirks = Quirks::from_context(ctx)?;
    let mut client = FhirClient::new(&ctx.fhir_base_url);
    for (name, value) in &quirks.headers {
        client = client.with_header(name, value);
    }
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
        None => plan(&mut client, &ctx.patient_id, page_size, &quirks, options)?,
    };

    let mut emitter = Emitter::new(EMIT_BATCH);
    // Resumed inside the last query: what is left of it is known.
    if let (Some(total), Some(_)) = (cursor.total, &cursor.next)
        && cursor.index + 1 == cursor.queries.len()
    {
        emitter.expect(total.saturating_sub(cursor.fetched));
    }
    let mut skipped: std::collections::BTreeMap<String, u32> = Default::default();
    while cursor.index < cursor.queries.len() {
        let first_page = cursor.next.is_none();
        let url = match cursor.next.take() {
            Some(next) => next,
            None => client.url(&cursor.queries[cursor.index]),
        };
        let page = client.page(&url)?;
        if first_page {
            cursor.total = page.total;
            cursor.fetched = 0;
            // Once the last query starts, the server's count tells the host how
            // much is still to come: a true percentage, not a guess.
            if let (Some(total), true) = (page.total, cursor.index + 1 == cursor.queries.len()) {
                emitter.expect(emitter.emitted() + emitter.pending() as u64 + total);
            }
        }
        cursor.fetched += page.resources.len() as u64;
        for resource in page.resources {
            let ty = resource["resourceType"].as_str().unwrap_or("?").to_string();
            match (options.convert)(resource) {
                Ok(converted) => emitter.push(&converted)?,
                // One resource that cannot be read must not cost the rest of the record.
                Err(reason) => {
                    *skipped.entry(ty).or_insert(0u32) += 1;
                    if skipped.values().sum::<u32>() <= 20 {
                        log::warn(&format!("skipped a resource: {reason}"));
                    }
                }
            }
        }
        let query_done = page.next.is_none();
        match page.next {
            Some(next) => cursor.next = Some(next),
            None => {
                cursor.index += 1;
                cursor.total = None;
                cursor.fetched = 0;
            }
        }
        if query_done || emitter.pending() >= CHECKPOINT_EVERY {
            let text = serde_json::to_string(&cursor)
                .map_err(|e| PluginError::new(ErrorKind::Internal, e.to_string()))?;
            emitter.checkpoint(&text)?;
        }
    }
    emitter.flush()?;
    if !skipped.is_empty() {
        log::warn(&format!(
            "skipped resources that could not be converted: {skipped:?}"
        ));
    }
    Ok(SyncSummary {
        resources_emitted: emitter.emitted(),
        requests: client.requests(),
        strategy: cursor.strategy,
    })
}

/// The platform quirks and the incremental start, from the host's settings.
#[derive(Debug, Default, PartialEq)]
struct Quirks {
    /// Do not use `$everything` even if offered.
    no_everything: bool,
    /// A query to use instead of `$everything` (the patient is added).
    custom_everything: Option<String>,
    /// Types to search besides those the server lists as searchable by patient.
    extra_types: Vec<String>,
    /// Headers for every request.
    headers: Vec<(String, String)>,
    /// Only what changed after this instant.
    since: Option<String>,
}

impl Quirks {
    fn from_context(ctx: &SyncContext) -> Result<Quirks, PluginError> {
        let invalid = |m: String| PluginError::new(ErrorKind::InvalidInput, m);
        let mut q = Quirks::default();
        for (key, value) in &ctx.settings {
            match key.as_str() {
                "page-size" => {}
                "everything" => match value.as_str() {
                    "missing" => q.no_everything = true,
                    v => match v.strip_prefix("custom:") {
                        Some(query) if !query.is_empty() => {
                            q.custom_everything = Some(query.to_string())
                        }
                        _ => {
                            return Err(invalid(format!(
                                "everything {v:?}: use missing or custom:<query>"
                            )));
                        }
                    },
                },
                "extra-types" => {
                    for ty in value.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                        if !ty.bytes().all(|b| b.is_ascii_alphabetic()) {
                            return Err(invalid(format!(
                                "extra-types: {ty:?} is not a resource type"
                            )));
                        }
                        q.extra_types.push(ty.to_string());
                    }
                }
                "since" => {
                    let ok = value.len() >= 20
                        && value
                            .bytes()
                            .all(|b| b.is_ascii_digit() || b"-:T.+Z".contains(&b));
                    if !ok {
                        return Err(invalid(format!("since {value:?} is not an instant")));
                    }
                    q.since = Some(value.clone());
                }
                other => match other.strip_prefix("header:") {
                    Some(name) if !name.is_empty() => {
                        q.headers.push((name.to_string(), value.clone()))
                    }
                    _ => log::warn(&format!("ignoring unknown setting {other:?}")),
                },
            }
        }
        Ok(q)
    }
}

/// Decide how to pull this server: `$everything` if offered, else per-type searches.
fn plan(
    client: &mut FhirClient,
    patient: &str,
    page_size: u32,
    quirks: &Quirks,
    options: &PullOptions,
) -> Result<Cursor, PluginError> {
    let caps = client.capabilities()?;
    match caps.fhir_version() {
        Some(v) if v.starts_with(options.fhir_version_prefix) => {}
        other => {
            return Err(PluginError::new(
                ErrorKind::InvalidInput,
                format!(
                    "the server speaks FHIR {}, this connector reads {} ({}x)",
                    other.unwrap_or("(unknown)"),
                    options.label,
                    options.fhir_version_prefix
                ),
            ));
        }
    }
    let patient = encode(patient);
    let since = quirks.since.as_deref().map(encode);
    if let Some(custom) = &quirks.custom_everything {
        let joiner = if custom.contains('?') { '&' } else { '?' };
        log::info("using the platform's own everything query");
        return Ok(Cursor {
            strategy: "custom".into(),
            queries: vec![
                format!("Patient?_id={patient}"),
                format!("{custom}{joiner}patient={patient}&_count={page_size}"),
            ],
            index: 0,
            next: None,
            total: None,
            fetched: 0,
        });
    }
    if caps.supports_patient_everything() && !quirks.no_everything {
        log::info("using Patient/$everything");
        let mut query = format!("Patient/{patient}/$everything?_count={page_size}");
        if let Some(since) = &since {
            query.push_str(&format!("&_since={since}"));
        }
        return Ok(Cursor {
            strategy: if since.is_some() {
                "everything-since"
            } else {
                "everything"
            }
            .into(),
            queries: vec![query],
            index: 0,
            next: None,
            total: None,
            fetched: 0,
        });
    }
    let changed = |ty: &str| match &since {
        Some(since) if caps.supports_search_param(ty, "_lastUpdated") => {
            format!("&_lastUpdated=gt{since}")
        }
        _ => String::new(),
    };
    let mut queries = vec![format!("Patient?_id={patient}{}", changed("Patient"))];
    let mut types = caps.patient_searchable_types();
    for extra in &quirks.extra_types {
        if !types.contains(extra) {
            types.push(extra.clone());
        }
    }
    for ty in types {
        if ty != "Patient" {
            queries.push(format!(
                "{ty}?patient={patient}&_count={page_size}{}",
                changed(&ty)
            ));
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
        total: None,
        fetched: 0,
    })
}

/// Percent-encode a FHIR id or instant for a URL path or query (`+` and `:` too, so a time zone survives).
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
            total: Some(1200),
            fetched: 400,
        };
        let text = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<Cursor>(&text).unwrap(), c);
    }

    #[test]
    fn a_cursor_from_before_totals_still_resumes() {
        let old = r#"{"strategy":"everything","queries":["q"],"index":0,"next":"http://x/n"}"#;
        let c: Cursor = serde_json::from_str(old).unwrap();
        assert_eq!(
            (c.total, c.fetched, c.next.as_deref()),
            (None, 0, Some("http://x/n"))
        );
    }

    #[test]
    fn quirks_come_from_settings() {
        let ctx = |settings: &[(&str, &str)]| SyncContext {
            source_id: "s".into(),
            fhir_base_url: "https://x".into(),
            patient_id: "p".into(),
            cursor: None,
            settings: settings
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        let q = Quirks::from_context(&ctx(&[
            ("everything", "missing"),
            ("extra-types", "Coverage, Consent"),
            ("header:Accept", "application/json+fhir"),
            ("since", "2026-11-28T10:00:00.5+00:00"),
        ]))
        .unwrap();
        assert!(q.no_everything);
        assert_eq!(q.extra_types, vec!["Coverage", "Consent"]);
        assert_eq!(
            q.headers,
            vec![("Accept".to_string(), "application/json+fhir".to_string())]
        );
        assert_eq!(
            encode(q.since.as_deref().unwrap()),
            "2026-11-28T10%3A00%3A00.5%2B00%3A00"
        );
        let q = Quirks::from_context(&ctx(&[(
            "everything",
            "custom:ExplanationOfBenefit?_include=*",
        )]))
        .unwrap();
        assert_eq!(
            q.custom_everything.as_deref(),
            Some("ExplanationOfBenefit?_include=*")
        );
        assert!(Quirks::from_context(&ctx(&[("since", "yesterday")])).is_err());
        assert!(Quirks::from_context(&ctx(&[("extra-types", "Bad/Type")])).is_err());
        assert!(Quirks::from_context(&ctx(&[("everything", "sometimes")])).is_err());
    }

    #[test]
    fn encodes_ids() {
        assert_eq!(encode("abc-1.2"), "abc-1.2");
        assert_eq!(encode("a b/c"), "a%20b%2Fc");
    }
}
