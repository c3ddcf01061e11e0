//! A connector built against `hearth:plugin@0.1.0`, the first released
//! connector world, as a plugin written before connector 0.2 would be. The
//! host runs it through its 0.1 adapter; a test syncs the sandbox with it.
//!
//! It pulls `Patient/[id]/$everything` page by page, emits each page and
//! checkpoints the next page's URL.

#[allow(missing_docs, clippy::too_many_arguments)]
mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit/connector/0.1.0",
        world: "hearth:plugin/connector",
        // The SDK's HTTP client speaks the same wasi:http; share its bindings.
        with: {
            "wasi:http/types@0.2.12": hearth_plugin_sdk::bindings::connector::wasi::http::types,
            "wasi:http/outgoing-handler@0.2.12": hearth_plugin_sdk::bindings::connector::wasi::http::outgoing_handler,
            "wasi:io/error@0.2.12": hearth_plugin_sdk::bindings::connector::wasi::io::error,
            "wasi:io/poll@0.2.12": hearth_plugin_sdk::bindings::connector::wasi::io::poll,
            "wasi:io/streams@0.2.12": hearth_plugin_sdk::bindings::connector::wasi::io::streams,
            "wasi:clocks/monotonic-clock@0.2.12": hearth_plugin_sdk::bindings::connector::wasi::clocks::monotonic_clock,
        },
        generate_all,
    });
}

use bindings::hearth::plugin::types::{
    ConnectorInfo, ErrorKind, PluginError, SyncContext, SyncSummary,
};
use bindings::hearth::plugin::{log, sink};
use hearth_plugin_sdk::http;
use serde_json::Value;

struct LegacyR4;

fn error(kind: ErrorKind, message: String) -> PluginError {
    PluginError {
        kind,
        message,
        retryable: matches!(kind, ErrorKind::Upstream | ErrorKind::RateLimited),
    }
}

impl bindings::Guest for LegacyR4 {
    fn info() -> ConnectorInfo {
        ConnectorInfo {
            id: "test-legacy-r4".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            name: "Legacy R4 test connector (world 0.1)".into(),
            fhir_versions: vec!["4.0.1".into()],
        }
    }

    fn sync(ctx: SyncContext) -> Result<SyncSummary, PluginError> {
        let mut next = ctx.cursor.clone().unwrap_or_else(|| {
            format!(
                "{}/Patient/{}/$everything?_count=200",
                ctx.fhir_base_url, ctx.patient_id
            )
        });
        let (mut emitted, mut requests) = (0u64, 0u32);
        log::log(log::Level::Info, "pulling Patient/$everything (world 0.1)");
        loop {
            requests += 1;
            let response = http::get(&next, &[("Accept", "application/fhir+json")])
                .map_err(|e| error(ErrorKind::Upstream, format!("GET {next}: {e}")))?;
            match response.status {
                200 => {}
                401 | 403 => {
                    return Err(error(
                        ErrorKind::Unauthorized,
                        format!("GET {next}: HTTP {}", response.status),
                    ));
                }
                429 => return Err(error(ErrorKind::RateLimited, "HTTP 429".into())),
                status => {
                    return Err(error(
                        ErrorKind::Upstream,
                        format!("GET {next}: HTTP {status}"),
                    ));
                }
            }
            let bundle: Value = serde_json::from_slice(&response.body)
                .map_err(|e| error(ErrorKind::Upstream, format!("GET {next}: not JSON: {e}")))?;
            let batch: Vec<String> = bundle["entry"]
                .as_array()
                .map(|entries| {
                    entries
                        .iter()
                        .filter(|e| e["resource"].is_object())
                        .map(|e| e["resource"].to_string())
                        .collect()
                })
                .unwrap_or_default();
            emitted += batch.len() as u64;
            sink::emit(&batch)?;
            let following = bundle["link"].as_array().and_then(|links| {
                links
                    .iter()
                    .find(|l| l["relation"] == "next")
                    .and_then(|l| l["url"].as_str())
                    .map(str::to_string)
            });
            match following {
                Some(url) => {
                    sink::checkpoint(&url);
                    next = url;
                }
                None => break,
            }
        }
        Ok(SyncSummary {
            resources_emitted: emitted,
            requests,
            strategy: "everything".into(),
        })
    }
}

bindings::export!(LegacyR4 with_types_in bindings);
