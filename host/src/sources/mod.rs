//! Sources: where a profile's records come from, and syncing them through a
//! connector plugin. Provider sources are connected through SMART App Launch
//! (`connect`); a source can also be registered with a token by hand, for
//! servers outside the catalog. Tokens are encrypted at rest and handed only
//! to the host's outbound policy, never to the plugin.

pub mod address;
pub mod connect;
pub mod custom;

pub use connect::{CallbackParams, ConnectRequest, Connected, Connections, Started};

use crate::auth::ProfileScope;
use crate::db::Db;
use crate::plugins::ports::{Intake, Refused, SinkError, SyncSink, Taken};
use crate::plugins::runtime::call::PluginFailure;
use crate::plugins::runtime::outbound::Origin;
use crate::plugins::{PartialProgress, Plugins, SyncCall, SyncReport};
use crate::records::{self, RecordStore, StoreError};
use crate::secrets::{SecretError, TokenCipher};
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The source columns, followed by a static `WHERE`/`ORDER BY` tail.
macro_rules! select_source {
    ($tail:literal) => {
        concat!(
            "SELECT s.id, s.name, s.kind, s.connector, s.fhir_base_url, s.patient_id, s.status,
             s.last_error, s.last_sync_at, s.created_at, s.cursor IS NOT NULL AS resumable,
             s.platform, s.endpoint_id, s.next_sync_at, s.scope,
             COALESCE(s.patient_json, (SELECT r.json FROM resources r WHERE r.source_id = s.id
                 AND r.resource_type = 'Patient' AND (s.patient_id = '' OR r.resource_id = s.patient_id) LIMIT 1)) AS patient_json,
             (SELECT COUNT(*) FROM resources r WHERE r.source_id = s.id) AS resources
             FROM sources s ",
            $tail
        )
    };
}

/// The connector used when a new source names none.
pub const DEFAULT_CONNECTOR: &str = "fhir-r4";

/// What can go wrong with sources.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A field of a new source is invalid.
    #[error("`{field}`: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// No source with that id.
    #[error("no source with id {0:?}")]
    NotFound(String),
    /// The named connector is not installed.
    #[error("no connector plugin {0:?} is installed")]
    UnknownConnector(String),
    /// The source is an upload or typed-in records: there is nothing to sync.
    #[error("source {0:?} holds uploaded or typed-in records; it has nothing to sync")]
    NotSyncable(String),
    /// A sync of this source is already running.
    #[error("a sync of source {0:?} is already running")]
    SyncRunning(String),
    /// The portal's patient does not match the profile and nobody has said it is theirs yet.
    #[error(
        "source {0:?} is a portal account for someone who does not match this profile; confirm it is theirs first"
    )]
    Unconfirmed(String),
    /// The plugin failed; what it stored before failing is kept, and the next sync resumes.
    #[error("{failure}")]
    Plugin {
        /// The failure.
        failure: PluginFailure,
        /// What was stored before it.
        progress: PartialProgress,
    },
    /// The stored token cannot be decrypted.
    #[error("the source's stored token cannot be used: {0}")]
    Secret(#[from] SecretError),
    /// Talking to the provider's authorization server failed.
    #[error(transparent)]
    Smart(#[from] crate::smart::SmartError),
    /// No catalog endpoint with that id.
    #[error("no catalog endpoint with id {0:?}")]
    UnknownEndpoint(String),
    /// The callback's `state` is unknown, used or expired.
    #[error("this sign-in link is unknown, already used or expired; start connecting again")]
    UnknownState,
    /// The source was not connected from the catalog, so it cannot be reconnected.
    #[error("source {0:?} was registered by hand; it cannot be reconnected through the catalog")]
    NotConnectable(String),
    /// The provider no longer accepts the grant; the person must sign in again.
    #[error("source {0:?} needs reconnecting: the provider no longer accepts Hearth's access")]
    NeedsReconnect(String),
    /// A reconnect signed in as someone else.
    #[error(
        "the provider signed in patient {got:?}, but this source holds patient {expected:?}; sign in as the same person or connect a new source"
    )]
    OtherPatient {
        /// The source's patient.
        expected: String,
        /// Who signed in.
        got: String,
    },
    /// A user-given provider URL may not be fetched (see [`address`]).
    #[error(transparent)]
    Address(#[from] address::AddressError),
    /// The server needs no sign-in, and the administrator has not allowed such servers.
    #[error(
        "{0} asks for no sign-in at all; the administrator has not allowed open FHIR servers (allow_open_servers)"
    )]
    OpenServerRefused(String),
    /// The person who started connecting no longer may edit the profile.
    #[error(
        "the person who started connecting no longer has editor access to this profile; nothing was connected"
    )]
    AccessGone,
    /// The host was started without connection support (no catalog, no OAuth client).
    #[error("connecting providers is not available in this host")]
    ConnectionsOff,
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

impl From<StoreError> for SourceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Db(e) => SourceError::Db(e),
        }
    }
}

/// A FHIR base URL as a person typed it, checked: absolute http(s), no
/// credentials, query or fragment; without its trailing slash.
pub fn parse_base_url(text: &str) -> Result<url::Url, SourceError> {
    let invalid = |reason: String| SourceError::Invalid {
        field: "fhir_base_url",
        reason,
    };
    let base = url::Url::parse(text.trim()).map_err(|e| invalid(format!("not a URL: {e}")))?;
    if Origin::of_url(&base).is_none() || base.cannot_be_a_base() {
        return Err(invalid("must be an absolute http or https URL".into()));
    }
    if !base.username().is_empty() || base.password().is_some() {
        return Err(invalid("must not contain credentials".into()));
    }
    if base.query().is_some() || base.fragment().is_some() {
        return Err(invalid("must not have a query or fragment".into()));
    }
    let trimmed = base.as_str().trim_end_matches('/').to_string();
    url::Url::parse(&trimmed).map_err(|e| invalid(format!("not a URL: {e}")))
}

/// A request to register a source.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSource {
    /// Display name (defaults to the FHIR server's host).
    #[serde(default)]
    pub name: Option<String>,
    /// FHIR base URL.
    pub fhir_base_url: String,
    /// The patient's id on that server.
    pub patient_id: String,
    /// A bearer access token for that server; none for an open server
    /// (only when the administrator allows them: `allow_open_servers`).
    #[serde(default)]
    pub access_token: Option<String>,
    /// Connector plugin id (default `fhir-r4`).
    #[serde(default)]
    pub connector: Option<String>,
}

/// A registered source (never includes the token).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Source {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Where it came from: a provider (synced by a connector), an upload, or typed in.
    pub kind: SourceKind,
    /// Connector plugin id (empty for uploads and typed-in records).
    pub connector: String,
    /// FHIR base URL.
    pub fhir_base_url: String,
    /// Patient id on the server.
    pub patient_id: String,
    /// How its syncing stands.
    pub status: SourceStatus,
    /// Who the portal account (or the upload) is about, when known.
    #[schema(required)]
    pub patient: Option<crate::records::person::Person>,
    /// The last sync error, if the last sync failed.
    #[schema(required)]
    pub last_error: Option<String>,
    /// When the last successful sync finished.
    #[schema(required)]
    pub last_sync_at: Option<String>,
    /// When the source was registered.
    pub created_at: String,
    /// Whether an interrupted sync left a checkpoint to resume from.
    pub resumable: bool,
    /// Resources stored from this source.
    pub resources: u64,
    /// Catalog platform, for connected sources.
    #[schema(required)]
    pub platform: Option<String>,
    /// Catalog endpoint, for connected sources.
    #[schema(required)]
    pub endpoint_id: Option<String>,
    /// When the scheduler syncs it next.
    #[schema(required)]
    pub next_sync_at: Option<String>,
    /// Scopes the provider granted.
    #[schema(required)]
    pub scope: Option<String>,
}

pub use crate::records::provenance::SourceKind;

/// How a source's syncing stands (the values of `Source.status`). The
/// host's own states of a source no profile shows (`staging`, `removed`)
/// are not among them: such rows are never listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, sqlx::Type, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
#[sqlx(rename_all = "kebab-case")]
pub enum SourceStatus {
    /// Never synced.
    New,
    /// The last sync succeeded (uploads and typed-in records are `ok`).
    Ok,
    /// The last sync failed (`last_error` says why).
    Error,
    /// The provider no longer accepts the stored authorization: reconnect.
    NeedsReconnect,
    /// Disconnected by a person; kept records stay.
    Disconnected,
    /// Connected, but the portal's patient does not match the profile:
    /// nothing is synced until a person confirms it is theirs.
    Unconfirmed,
}

impl SourceStatus {
    /// The status stored as `s`; none for the host's own states (`staging`, `removed`).
    pub fn parse(s: &str) -> Option<SourceStatus> {
        Some(match s {
            "new" => SourceStatus::New,
            "ok" => SourceStatus::Ok,
            "error" => SourceStatus::Error,
            "needs-reconnect" => SourceStatus::NeedsReconnect,
            "disconnected" => SourceStatus::Disconnected,
            "unconfirmed" => SourceStatus::Unconfirmed,
            _ => return None,
        })
    }

    /// As stored and served (`needs-reconnect`).
    pub fn as_str(self) -> &'static str {
        match self {
            SourceStatus::New => "new",
            SourceStatus::Ok => "ok",
            SourceStatus::Error => "error",
            SourceStatus::NeedsReconnect => "needs-reconnect",
            SourceStatus::Disconnected => "disconnected",
            SourceStatus::Unconfirmed => "unconfirmed",
        }
    }

    /// Whether a sync may start from this state (signed in, and the portal's patient accepted).
    pub fn is_syncable(self) -> bool {
        !self.needs_reconnect() && self != SourceStatus::Unconfirmed
    }

    /// Whether only a person signing in at the provider again can get it syncing.
    pub fn needs_reconnect(self) -> bool {
        matches!(
            self,
            SourceStatus::NeedsReconnect | SourceStatus::Disconnected
        )
    }
}

/// The result of a successful sync.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SyncResult {
    /// The source.
    pub source_id: String,
    /// What the connector did.
    #[serde(flatten)]
    pub report: SyncReport,
    /// Wall time.
    pub duration_ms: u64,
    /// Resources stored from this source after the sync.
    pub total: u64,
}

/// The source a connector syncs, as the plugin layer sees it: emitted
/// resources pass intake and go to the record store, checkpoints go on the
/// source row.
struct SourceSink {
    records: RecordStore,
    source_id: String,
}

impl Intake for SourceSink {
    fn take(&self, batch: Vec<String>) -> BoxFuture<'_, Result<Taken, SinkError>> {
        Box::pin(async move {
            let mut parsed = Vec::with_capacity(batch.len());
            let mut refused = Vec::new();
            for (index, text) in batch.iter().enumerate() {
                match crate::records::parse_admitted(text) {
                    Ok(Ok(p)) => parsed.push(p),
                    Ok(Err((resource_type, id, bad))) => refused.push(Refused {
                        resource_type,
                        id,
                        path: bad.path,
                        reason: bad.reason,
                    }),
                    Err(e) => {
                        return Err(SinkError::Malformed {
                            index,
                            message: e.to_string(),
                        });
                    }
                }
            }
            let outcome = self
                .records
                .upsert_batch(&self.source_id, &parsed)
                .await
                .map_err(|e| SinkError::Failed(e.to_string()))?;
            let mut by_type = std::collections::BTreeMap::new();
            for p in &parsed {
                *by_type.entry(p.resource_type.clone()).or_insert(0) += 1;
            }
            Ok(Taken {
                accepted: parsed.len() as u64,
                stored: outcome.stored,
                unchanged: outcome.unchanged,
                by_type,
                refused,
            })
        })
    }
}

impl SyncSink for SourceSink {
    fn checkpoint<'a>(&'a self, cursor: &'a str) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            sqlx::query("UPDATE sources SET cursor = ? WHERE id = ?")
                .bind(cursor)
                .bind(&self.source_id)
                .execute(self.records.db())
                .await
                .map(|_| ())
                .map_err(|e| SinkError::Failed(e.to_string()))
        })
    }
}

/// The sources service.
pub struct Sources {
    db: Db,
    records: RecordStore,
    cipher: TokenCipher,
    plugins: Arc<Plugins>,
    running: Mutex<HashSet<String>>,
    connections: Option<Connections>,
    sync_interval: chrono::Duration,
    policy: ProviderPolicy,
}

/// What the administrator allows for providers people add by their URL.
#[derive(Debug, Clone, Default)]
pub struct ProviderPolicy {
    /// Which addresses providers may have (`allow_private_provider_addresses`,
    /// and the catalog's sandbox).
    pub reach: crate::reach::Reach,
    /// Servers that need no sign-in (`allow_open_servers`).
    pub allow_open_servers: bool,
}

/// Removes a source from the running set when the sync ends, however it ends.
struct RunningGuard<'a> {
    running: &'a Mutex<HashSet<String>>,
    id: String,
}

impl Drop for RunningGuard<'_> {
    fn drop(&mut self) {
        if let Ok(mut set) = self.running.lock() {
            set.remove(&self.id);
        }
    }
}

impl Sources {
    /// The service over `db`.
    pub fn new(db: Db, records: RecordStore, cipher: TokenCipher, plugins: Arc<Plugins>) -> Self {
        Sources {
            db,
            records,
            cipher,
            plugins,
            running: Mutex::new(HashSet::new()),
            connections: None,
            sync_interval: chrono::Duration::hours(24),
            policy: ProviderPolicy::default(),
        }
    }

    /// Apply the administrator's rules for user-given provider URLs.
    pub fn with_policy(mut self, policy: ProviderPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Enable connecting through SMART App Launch, with periodic re-sync every `interval`.
    pub fn with_connections(
        mut self,
        connections: Connections,
        interval: std::time::Duration,
    ) -> Self {
        self.connections = Some(connections);
        self.sync_interval =
            chrono::Duration::from_std(interval).unwrap_or(chrono::Duration::hours(24));
        self
    }

    /// Whether `platform` throttles clients (sync it one request stream at a time).
    pub fn rate_limited(&self, platform: Option<&str>) -> bool {
        platform
            .and_then(|p| {
                self.connections
                    .as_ref()
                    .and_then(|c| c.catalog.current().platform(p))
            })
            .is_some_and(|q| q.client_rate_limited)
    }

    /// The database (for the job scheduler, which shares it).
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Mark runs left `running` by a host that stopped mid-sync; their checkpoints stay, so the next sync resumes.
    pub async fn recover_interrupted(&self) -> Result<u64, SourceError> {
        let done = sqlx::query(
            "UPDATE sync_runs SET status = 'interrupted', finished_at = ?, error = 'the host stopped during the sync'
             WHERE status = 'running'",
        )
        .bind(chrono::Utc::now().to_rfc3339())
        .execute(&self.db)
        .await?;
        if done.rows_affected() > 0 {
            tracing::warn!(
                runs = done.rows_affected(),
                "syncs were interrupted by a stop; they resume on the next sync"
            );
        }
        Ok(done.rows_affected())
    }

    /// Register a source in a profile after checking every field.
    pub async fn create(
        &self,
        scope: &ProfileScope,
        new: NewSource,
    ) -> Result<Source, SourceError> {
        let invalid = |field, reason: &str| SourceError::Invalid {
            field,
            reason: reason.to_string(),
        };
        let base = parse_base_url(&new.fhir_base_url)?;
        address::check(&base, &self.policy.reach).await?;
        if !records::is_fhir_id(&new.patient_id) {
            return Err(invalid(
                "patient_id",
                "must be a FHIR id: 1-64 of A-Z a-z 0-9 - .",
            ));
        }
        let token = match new.access_token.as_deref().map(str::trim) {
            Some(t)
                if t.is_empty() || t.len() > 8192 || !t.bytes().all(|b| b.is_ascii_graphic()) =>
            {
                return Err(invalid(
                    "access_token",
                    "must be 1-8192 printable ASCII characters",
                ));
            }
            Some(t) => t,
            None if self.policy.allow_open_servers => "",
            None => return Err(SourceError::OpenServerRefused(base.to_string())),
        };
        let connector = new
            .connector
            .unwrap_or_else(|| DEFAULT_CONNECTOR.to_string());
        if self.plugins.get(&connector).is_none() {
            return Err(SourceError::UnknownConnector(connector));
        }
        let base_url = base.as_str().trim_end_matches('/').to_string();
        let name = match new.name.map(|n| n.trim().to_string()) {
            Some(n) if n.is_empty() || n.len() > 200 => {
                return Err(invalid("name", "must be 1-200 characters"));
            }
            Some(n) => {
                crate::text::check_line(&n).map_err(|e| invalid("name", &e.to_string()))?;
                n
            }
            None => base.host_str().unwrap_or("FHIR server").to_string(),
        };
        let id = crate::ids::new_id();
        sqlx::query(
            "INSERT INTO sources (id, profile_id, name, connector, fhir_base_url, patient_id, token, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(scope.id())
        .bind(&name)
        .bind(&connector)
        .bind(&base_url)
        .bind(&new.patient_id)
        .bind(self.cipher.encrypt(token))
        .bind(chrono::Utc::now().to_rfc3339())
        .execute(&self.db)
        .await?;
        tracing::info!(source = %id, profile = %scope.id(), connector = %connector, base = %base_url, "source registered");
        self.get(scope, &id).await
    }

    /// A profile's sources, oldest first.
    pub async fn list(&self, scope: &ProfileScope) -> Result<Vec<Source>, SourceError> {
        let rows = sqlx::query(select_source!(
            "WHERE s.profile_id = ? ORDER BY s.created_at, s.id"
        ))
        .bind(scope.id())
        .fetch_all(&self.db)
        .await?;
        rows.iter().map(source_from_row).collect()
    }

    /// A person says the portal account of an `unconfirmed` source is this
    /// profile's: it is scheduled like any connected source (the caller queues its first sync).
    pub async fn confirm_person(&self, scope: &ProfileScope, id: &str) -> Result<(), SourceError> {
        let done = sqlx::query(
            "UPDATE sources SET status = 'new', next_sync_at = ? WHERE id = ? AND profile_id = ? AND status = 'unconfirmed'",
        )
        .bind((chrono::Utc::now() + self.sync_interval).to_rfc3339())
        .bind(id)
        .bind(scope.id())
        .execute(&self.db)
        .await?;
        if done.rows_affected() == 0 {
            // Either no such source here, or nothing to confirm.
            self.get(scope, id).await?;
            return Err(SourceError::Invalid {
                field: "source",
                reason: "this source does not wait for a confirmation".into(),
            });
        }
        tracing::info!(source = %id, profile = %scope.id(), "portal patient confirmed as the profile's");
        Ok(())
    }

    /// One source of a profile.
    pub async fn get(&self, scope: &ProfileScope, id: &str) -> Result<Source, SourceError> {
        let row = sqlx::query(select_source!("WHERE s.id = ? AND s.profile_id = ?"))
            .bind(id)
            .bind(scope.id())
            .fetch_optional(&self.db)
            .await?
            .ok_or_else(|| SourceError::NotFound(id.to_string()))?;
        source_from_row(&row)
    }

    /// Sync one source now, resuming from its checkpoint if the last sync was cut short.
    pub async fn sync(&self, scope: &ProfileScope, id: &str) -> Result<SyncResult, SourceError> {
        self.sync_source(scope.id(), id, None).await
    }

    /// The connector settings a platform's quirks call for, plus the incremental start.
    fn connector_settings(
        &self,
        platform: Option<&str>,
        since: Option<&str>,
    ) -> Vec<(String, String)> {
        let mut settings = Vec::new();
        let quirks = platform.and_then(|p| {
            self.connections
                .as_ref()
                .and_then(|c| c.catalog.current().platform(p))
        });
        if let Some(q) = quirks {
            if let Some(custom) = &q.custom_op_patient_everything {
                settings.push(("everything".into(), format!("custom:{custom}")));
            } else if q.missing_op_patient_everything {
                settings.push(("everything".into(), "missing".into()));
            }
            if !q.client_supported_resources.is_empty() {
                settings.push(("extra-types".into(), q.client_supported_resources.join(",")));
            }
            for (name, value) in &q.client_headers {
                settings.push((format!("header:{name}"), value.clone()));
            }
        }
        if let Some(since) = since {
            settings.push(("since".into(), since.to_string()));
        }
        settings
    }

    /// Sync source `id` of profile `profile_id` (the job runner's entry; callers check access first).
    ///
    /// The access token is refreshed when it is about to expire, and once more
    /// if the provider answers 401 mid-sync; the connector then resumes from
    /// its last checkpoint, so nothing is fetched twice into the store.
    pub async fn sync_source(
        &self,
        profile_id: &str,
        id: &str,
        on_batch: Option<crate::plugins::interfaces::sink::OnBatch>,
    ) -> Result<SyncResult, SourceError> {
        let _guard = {
            let mut running = self
                .running
                .lock()
                .map_err(|_| SourceError::SyncRunning(id.to_string()))?;
            if !running.insert(id.to_string()) {
                return Err(SourceError::SyncRunning(id.to_string()));
            }
            RunningGuard {
                running: &self.running,
                id: id.to_string(),
            }
        };
        let row = sqlx::query(
            "SELECT kind, connector, fhir_base_url, patient_id, platform, synced_since, cursor, status
             FROM sources WHERE id = ? AND profile_id = ?",
        )
        .bind(id)
        .bind(profile_id)
        .fetch_optional(&self.db)
        .await?
        .ok_or_else(|| SourceError::NotFound(id.to_string()))?;
        if !row.try_get::<SourceKind, _>("kind")?.is_syncable() {
            return Err(SourceError::NotSyncable(id.to_string()));
        }
        let status = SourceStatus::parse(row.try_get("status")?);
        if status.is_some_and(SourceStatus::needs_reconnect) {
            return Err(SourceError::NeedsReconnect(id.to_string()));
        }
        if status == Some(SourceStatus::Unconfirmed) {
            return Err(SourceError::Unconfirmed(id.to_string()));
        }
        let connector: String = row.try_get("connector")?;
        let base_url: String = row.try_get("fhir_base_url")?;
        let patient_id: String = row.try_get("patient_id")?;
        let plugin = self
            .plugins
            .get(&connector)
            .ok_or_else(|| SourceError::UnknownConnector(connector.clone()))?;
        let platform: Option<String> = row.try_get("platform")?;
        let resuming = row.try_get::<Option<String>, _>("cursor")?.is_some();
        let since: Option<String> = if resuming {
            None
        } else {
            row.try_get("synced_since")?
        };
        let settings = self.connector_settings(platform.as_deref(), since.as_deref());
        let allowed: Vec<Origin> = url::Url::parse(&base_url)
            .ok()
            .as_ref()
            .and_then(Origin::of_url)
            .into_iter()
            .collect();
        let started = Instant::now();
        let started_at = chrono::Utc::now().to_rfc3339();
        let run_id: i64 = sqlx::query_scalar(
            "INSERT INTO sync_runs (source_id, started_at, status) VALUES (?, ?, 'running') RETURNING id",
        )
        .bind(id)
        .bind(&started_at)
        .fetch_one(&self.db)
        .await?;

        let mut refreshed = false;
        let mut total = SyncReport::default();
        let outcome = loop {
            let token = match self.access_token(id, false).await {
                Ok(t) => t,
                Err(e) => break Err(e),
            };
            let cursor: Option<String> =
                sqlx::query_scalar("SELECT cursor FROM sources WHERE id = ?")
                    .bind(id)
                    .fetch_one(&self.db)
                    .await?;
            let call = SyncCall {
                context: crate::plugins::SyncTarget {
                    source_id: id.to_string(),
                    fhir_base_url: base_url.clone(),
                    patient_id: patient_id.clone(),
                    cursor,
                    settings: settings.clone(),
                },
                allowed: allowed.clone(),
                reach: self.policy.reach.clone(),
                // An open server's source has no token: send no Authorization at all.
                bearer_token: (!token.is_empty()).then_some(token),
                on_batch: on_batch.clone(),
            };
            let (result, progress) = self
                .plugins
                .sync(
                    &plugin,
                    call,
                    Arc::new(SourceSink {
                        records: self.records.clone(),
                        source_id: id.to_string(),
                    }),
                )
                .await;
            match result {
                Ok(report) => {
                    total.add(&report);
                    total.strategy = report.strategy;
                    break Ok(());
                }
                Err(failure) if progress.unauthorized && !refreshed => {
                    // The token died mid-sync: refresh once and resume from the checkpoint.
                    total.emitted += progress.emitted;
                    total.stored += progress.stored;
                    refreshed = true;
                    tracing::info!(source = %id, error = %failure, "the provider answered 401; refreshing the token and resuming");
                    if let Err(e) = self.access_token(id, true).await {
                        break Err(e);
                    }
                }
                Err(failure) => {
                    let mut progress = progress;
                    progress.emitted += total.emitted;
                    progress.stored += total.stored;
                    if progress.unauthorized {
                        self.mark_needs_reconnect(
                            id,
                            "the provider refused a freshly refreshed token",
                        )
                        .await?;
                    }
                    break Err(SourceError::Plugin { failure, progress });
                }
            }
        };
        let now = chrono::Utc::now();
        match outcome {
            Ok(()) => {
                let next = (now + self.sync_interval).to_rfc3339();
                sqlx::query(
                    "UPDATE sources SET cursor = NULL, status = 'ok', last_error = NULL, last_sync_at = ?,
                     synced_since = ?, next_sync_at = CASE WHEN endpoint_id IS NULL THEN next_sync_at ELSE ? END
                     WHERE id = ?",
                )
                .bind(now.to_rfc3339())
                .bind(&started_at)
                .bind(&next)
                .bind(id)
                .execute(&self.db)
                .await?;
                sqlx::query("UPDATE sync_runs SET finished_at = ?, status = 'ok', emitted = ?, stored = ? WHERE id = ?")
                    .bind(now.to_rfc3339())
                    .bind(total.emitted as i64)
                    .bind(total.stored as i64)
                    .bind(run_id)
                    .execute(&self.db)
                    .await?;
                // New rows can change which index is best; refresh the statistics.
                crate::db::optimize(&self.db).await;
                let count = self.records.count(Some(id)).await?;
                tracing::info!(source = %id, emitted = total.emitted, stored = total.stored, total = count, "sync finished");
                Ok(SyncResult {
                    source_id: id.to_string(),
                    report: total,
                    duration_ms: started.elapsed().as_millis() as u64,
                    total: count,
                })
            }
            Err(e) => {
                let message = e.to_string();
                tracing::warn!(source = %id, error = %message, "sync failed");
                if !matches!(e, SourceError::NeedsReconnect(_)) {
                    sqlx::query("UPDATE sources SET status = 'error', last_error = ? WHERE id = ? AND status NOT IN ('needs-reconnect', 'disconnected')")
                        .bind(&message)
                        .bind(id)
                        .execute(&self.db)
                        .await?;
                }
                let (emitted, stored) = match &e {
                    SourceError::Plugin { progress, .. } => (progress.emitted, progress.stored),
                    _ => (total.emitted, total.stored),
                };
                sqlx::query("UPDATE sync_runs SET finished_at = ?, status = 'failed', emitted = ?, stored = ?, error = ? WHERE id = ?")
                    .bind(now.to_rfc3339())
                    .bind(emitted as i64)
                    .bind(stored as i64)
                    .bind(&message)
                    .bind(run_id)
                    .execute(&self.db)
                    .await?;
                Err(e)
            }
        }
    }
}

fn source_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<Source, SourceError> {
    Ok(Source {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        kind: row.try_get("kind")?,
        connector: row.try_get("connector")?,
        fhir_base_url: row.try_get("fhir_base_url")?,
        patient_id: row.try_get("patient_id")?,
        status: row.try_get("status")?,
        last_error: row.try_get("last_error")?,
        last_sync_at: row.try_get("last_sync_at")?,
        created_at: row.try_get("created_at")?,
        resumable: row.try_get("resumable")?,
        resources: row.try_get::<i64, _>("resources")? as u64,
        platform: row.try_get("platform")?,
        endpoint_id: row.try_get("endpoint_id")?,
        next_sync_at: row.try_get("next_sync_at")?,
        scope: row.try_get("scope")?,
        patient: row
            .try_get::<Option<String>, _>("patient_json")?
            .and_then(|j| serde_json::from_str::<serde_json::Value>(&j).ok())
            .map(|p| crate::records::person::Person::from_patient(&p)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_statuses_read_back_and_say_when_a_person_is_needed() {
        for (text, status) in [
            ("new", SourceStatus::New),
            ("ok", SourceStatus::Ok),
            ("error", SourceStatus::Error),
            ("needs-reconnect", SourceStatus::NeedsReconnect),
            ("disconnected", SourceStatus::Disconnected),
            ("unconfirmed", SourceStatus::Unconfirmed),
        ] {
            assert_eq!(SourceStatus::parse(text), Some(status));
            // The API spells it the same way.
            assert_eq!(serde_json::to_value(status).unwrap(), text);
        }
        assert_eq!(SourceStatus::parse("removed"), None);
        let needing: Vec<&str> = [
            "new",
            "ok",
            "error",
            "needs-reconnect",
            "disconnected",
            "unconfirmed",
        ]
        .into_iter()
        .filter(|s| SourceStatus::parse(s).is_some_and(SourceStatus::needs_reconnect))
        .collect();
        assert_eq!(needing, ["needs-reconnect", "disconnected"]);
    }
    use crate::config::PluginLimits;

    #[tokio::test]
    async fn runs_left_running_by_a_stopped_host_are_marked_interrupted() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::open_with_test_source(dir.path()).await;
        sqlx::query("UPDATE sources SET cursor = '{\"next\":1}' WHERE id = 's'")
            .execute(&db)
            .await
            .unwrap();
        sqlx::query("INSERT INTO sync_runs (source_id, started_at, status) VALUES ('s', 'then', 'running'), ('s', 'earlier', 'ok')")
            .execute(&db)
            .await
            .unwrap();
        let sources = Sources::new(
            db.clone(),
            RecordStore::new(db.clone()),
            TokenCipher::load_or_create(dir.path()).unwrap(),
            Arc::new(Plugins::new(PluginLimits::default()).unwrap()),
        );
        assert_eq!(sources.recover_interrupted().await.unwrap(), 1);
        let statuses: Vec<String> = sqlx::query_scalar("SELECT status FROM sync_runs ORDER BY id")
            .fetch_all(&db)
            .await
            .unwrap();
        assert_eq!(statuses, vec!["interrupted", "ok"]);
        let source = sources
            .get(&crate::auth::ProfileScope::for_tests("p"), "s")
            .await
            .unwrap();
        assert!(source.resumable, "the checkpoint is kept for the next sync");
        assert_eq!(sources.recover_interrupted().await.unwrap(), 0);
    }
}
