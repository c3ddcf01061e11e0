//! Connectors: pull a patient's records from a provider into a source.
//!
//! One adapter module per released world version: [`v0_2`] is the latest;
//! [`v0_1`] (released as `hearth:plugin@0.1.0`) converts its types and
//! delegates to it, so a connector built against 0.1 keeps syncing.

pub mod v0_1;
pub mod v0_2;

use super::interfaces::common::types::PluginError;
use super::interfaces::sink::{OnBatch, SinkPort, SinkState};
use super::runtime::call::{CallState, PluginFailure};
use super::runtime::outbound::{Origin, Outbound};
use super::world::Version;
use super::{LoadedPlugin, PluginInfo, Plugins, finish, manifest, ports};
use serde::Serialize;
use wasmtime::Store;
use wasmtime::component::{InstancePre, Linker};

/// Add every connector version's own interfaces to `linker`.
pub fn add_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    v0_1::add_to_linker(linker)?;
    v0_2::add_to_linker(linker)
}

/// A connector component ready to instantiate, by world version.
pub enum ConnectorPre {
    /// `hearth:plugin@0.1.0`.
    V0_1(v0_1::ConnectorPre<CallState>),
    /// `hearth:connector@0.2.0`.
    V0_2(v0_2::ConnectorPre<CallState>),
}

impl ConnectorPre {
    /// Check that `pre` exports the connector world of `version`.
    pub fn new(version: Version, pre: InstancePre<CallState>) -> wasmtime::Result<Self> {
        if version == Version::new(0, 1, 0) {
            Ok(ConnectorPre::V0_1(v0_1::ConnectorPre::new(pre)?))
        } else {
            Ok(ConnectorPre::V0_2(v0_2::ConnectorPre::new(pre)?))
        }
    }

    /// Call `info()`.
    pub async fn info(&self, store: &mut Store<CallState>) -> wasmtime::Result<PluginInfo> {
        let info: v0_2::ConnectorInfo = match self {
            ConnectorPre::V0_1(pre) => {
                let c = pre.instantiate_async(&mut *store).await?;
                c.call_info(&mut *store).await?.into()
            }
            ConnectorPre::V0_2(pre) => {
                let c = pre.instantiate_async(&mut *store).await?;
                c.hearth_connector_plugin().call_info(&mut *store).await?
            }
        };
        Ok(PluginInfo {
            id: info.id,
            version: info.version,
            name: info.name,
            dashboard: None,
        })
    }

    /// Call `sync(ctx)`.
    async fn sync(
        &self,
        store: &mut Store<CallState>,
        ctx: &v0_2::SyncContext,
    ) -> wasmtime::Result<Result<v0_2::SyncSummary, PluginError>> {
        match self {
            ConnectorPre::V0_1(pre) => {
                let c = pre.instantiate_async(&mut *store).await?;
                let ctx = v0_1::SyncContext::from(ctx);
                Ok(c.call_sync(&mut *store, &ctx)
                    .await?
                    .map(Into::into)
                    .map_err(v0_1::up))
            }
            ConnectorPre::V0_2(pre) => {
                let c = pre.instantiate_async(&mut *store).await?;
                c.hearth_connector_plugin()
                    .call_sync(&mut *store, ctx)
                    .await
            }
        }
    }
}

/// What a connector call needs besides the context.
pub struct SyncCall {
    /// What to sync, handed to the plugin.
    pub context: SyncTarget,
    /// Origins the plugin may reach.
    pub allowed: Vec<Origin>,
    /// Which addresses those origins may resolve to.
    pub reach: crate::reach::Reach,
    /// The bearer token the host attaches to permitted requests.
    pub bearer_token: Option<String>,
    /// Told after every stored batch.
    pub on_batch: Option<OnBatch>,
}

/// What a connector is asked to sync: the domain's words for the world's
/// `sync-context`, so binding types stay inside the plugin layer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncTarget {
    /// The host's id for the source being synced.
    pub source_id: String,
    /// FHIR base URL of the provider, without a trailing slash.
    pub fhir_base_url: String,
    /// The patient's id on the provider's FHIR server.
    pub patient_id: String,
    /// The last cursor the connector checkpointed, if a previous sync stopped part-way.
    pub cursor: Option<String>,
    /// Connector settings as key/value pairs.
    pub settings: Vec<(String, String)>,
}

impl From<&SyncTarget> for v0_2::SyncContext {
    fn from(t: &SyncTarget) -> Self {
        v0_2::SyncContext {
            source_id: t.source_id.clone(),
            fhir_base_url: t.fhir_base_url.clone(),
            patient_id: t.patient_id.clone(),
            cursor: t.cursor.clone(),
            settings: t.settings.clone(),
        }
    }
}

/// The result of a successful connector sync.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct SyncReport {
    /// What the plugin says it did.
    pub strategy: String,
    /// Resources the plugin emitted and the host accepted.
    pub emitted: u64,
    /// Of those, new or changed and written.
    pub stored: u64,
    /// Of those, identical to what was stored.
    pub unchanged: u64,
    /// HTTP requests the host let through.
    pub requests: u32,
    /// Resources the host refused (not valid R4), per type; none were stored.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty", default)]
    pub rejected: Rejections,
}

impl SyncReport {
    /// Add the counts of another run (a sync resumed after a token refresh).
    pub fn add(&mut self, other: &SyncReport) {
        self.emitted += other.emitted;
        self.stored += other.stored;
        self.unchanged += other.unchanged;
        self.requests += other.requests;
        for (ty, r) in &other.rejected {
            self.rejected
                .entry(ty.clone())
                .and_modify(|mine| mine.count += r.count)
                .or_insert_with(|| r.clone());
        }
    }
}

/// Refused resources per `resourceType`.
pub type Rejections = std::collections::BTreeMap<String, Rejected>;

/// Resources of one type a connector sent that were not valid R4.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Rejected {
    /// How many.
    pub count: u64,
    /// The first one, as `Type/id`.
    pub example: String,
    /// Where it was wrong (a FHIRPath-like path in the resource).
    pub path: String,
    /// Why.
    pub reason: String,
}

/// Progress of a failed sync, kept for the record.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct PartialProgress {
    /// Resources accepted before the failure.
    pub emitted: u64,
    /// Of those, new or changed.
    pub stored: u64,
    /// The longest `Retry-After` the provider asked for, in seconds.
    pub retry_after_secs: Option<u64>,
    /// Whether the provider answered 401 (the access token expired or was revoked).
    pub unauthorized: bool,
}

impl Plugins {
    /// Run a connector's `sync` in a fresh store under the configured limits.
    pub async fn sync(
        &self,
        plugin: &LoadedPlugin,
        call: SyncCall,
        port: std::sync::Arc<dyn ports::SyncSink>,
    ) -> (Result<SyncReport, PluginFailure>, PartialProgress) {
        let super::KindPre::Connector(pre) = &plugin.pre else {
            return (
                Err(super::wrong_kind(plugin, manifest::Kind::Connector)),
                PartialProgress::default(),
            );
        };
        let mut sink = SinkState::new(SinkPort::Sync(port), plugin.limits.max_output_bytes);
        sink.on_batch = call.on_batch.clone();
        let allowed = match plugin.manifest.permissions.outbound {
            manifest::Outbound::Source => call.allowed,
            manifest::Outbound::None => Vec::new(),
        };
        let outbound = Outbound::new(allowed, call.bearer_token.as_deref()).reaching(call.reach);
        let mut store = self.store(plugin, outbound);
        store.data_mut().sink = Some(sink);
        let context = v0_2::SyncContext::from(&call.context);
        let outcome =
            tokio::time::timeout(plugin.limits.timeout, pre.sync(&mut store, &context)).await;
        let result = finish(&store, &plugin.limits, outcome);
        let state = store.data();
        let (emitted, outcome, rejected) = state
            .sink
            .as_ref()
            .map(|s| (s.emitted, s.outcome, s.rejected.clone()))
            .unwrap_or_default();
        let signals = &state.outbound.signals;
        let retry_after = signals
            .retry_after_secs
            .load(std::sync::atomic::Ordering::Relaxed);
        let progress = PartialProgress {
            emitted,
            stored: outcome.stored,
            retry_after_secs: (retry_after > 0).then_some(retry_after),
            unauthorized: signals
                .unauthorized
                .load(std::sync::atomic::Ordering::Relaxed)
                > 0,
        };
        let report = result.map(|summary| SyncReport {
            strategy: summary.strategy,
            emitted,
            stored: outcome.stored,
            unchanged: outcome.unchanged,
            requests: state.outbound.requests,
            rejected,
        });
        (report, progress)
    }
}
