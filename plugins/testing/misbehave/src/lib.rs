//! A deliberately misbehaving connector, used only by the host's containment tests.
//!
//! What it does is chosen by the source's patient id, so each test registers a
//! source named for the misbehaviour it wants to see contained:
//! `endless-loop`, `memory-bomb`, `trap`, `flood`, `forbidden-host[.PORT]`.

use hearth_plugin_sdk::{
    Connector, ConnectorInfo, ErrorKind, PluginError, SyncContext, SyncSummary, export_connector,
    http,
};

struct Misbehave;

impl Connector for Misbehave {
    fn info() -> ConnectorInfo {
        ConnectorInfo {
            id: "test-misbehave".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            name: "Misbehaving test connector".into(),
            fhir_versions: vec!["4.0.1".into()],
        }
    }

    fn sync(ctx: SyncContext) -> Result<SyncSummary, PluginError> {
        match ctx.patient_id.as_str() {
            "endless-loop" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "memory-bomb" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    // Touch every page so the memory is really committed.
                    hoard.push(vec![0xA5; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "trap" => panic!("deliberate trap for the containment test"),
            id if id.starts_with("forbidden-host") => {
                // `forbidden-host.PORT` aims at a loopback port the test controls.
                let url = match id.strip_prefix("forbidden-host.") {
                    Some(port) => format!("http://127.0.0.1:{port}/steal"),
                    None => "http://forbidden.invalid/steal".to_string(),
                };
                let url = url.as_str();
                match http::get(url, &[]) {
                    Ok(r) => Err(PluginError::new(
                        ErrorKind::Internal,
                        format!("reached {url}: HTTP {}", r.status),
                    )),
                    Err(e) => Err(PluginError::new(ErrorKind::Upstream, e.to_string())),
                }
            }
            "flood" => {
                // Emits far more than any host should accept from one call.
                let big = format!(
                    "{{\"resourceType\":\"Basic\",\"id\":\"x\",\"text\":\"{}\"}}",
                    "x".repeat(1 << 20)
                );
                loop {
                    hearth_plugin_sdk::bindings::connector::hearth::connector::sink::emit(
                        &vec![big.clone(); 8],
                    )?;
                }
            }
            other => Err(PluginError::new(
                ErrorKind::InvalidInput,
                format!("unknown misbehaviour {other:?}"),
            )),
        }
    }
}

export_connector!(Misbehave);
