//! Connecting a source through SMART App Launch, and keeping its grant fresh.
//!
//! `start` discovers the provider, keeps the PKCE verifier (encrypted) under
//! the SHA-256 of a fresh `state`, and returns the authorize URL. `finish`
//! takes the callback: the state is single-use and expires after ten minutes,
//! the code is exchanged, and the source is created (or reconnected). Tokens
//! are encrypted at rest; the access token is refreshed shortly before it
//! expires or after the provider answers 401, and a refused refresh marks the
//! source "needs reconnect".

use super::{SourceError, Sources};
use crate::auth::ProfileScope;
use crate::catalog::Catalog;
use crate::config::ClientConfig;
use crate::ids::new_id;
use crate::records::person::{Difference, Person};
use crate::smart::{Grant, Registration, SmartClient, SmartConfiguration, SmartError, scopes_for};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::collections::BTreeMap;
use std::sync::Arc;

/// How long a started authorization may take.
const PENDING_TTL_SECS: i64 = 600;
/// Refresh an access token at most this long before it expires, so a request never carries a dying one.
const REFRESH_MARGIN_SECS: i64 = 120;

/// How long before expiry a token is refreshed: two minutes, or a tenth of
/// its lifetime when that is shorter. A token that lives 90 seconds is used
/// for most of them rather than refreshed before every sync; a sync that
/// outlives it gets a 401, refreshes once and resumes from its checkpoint.
fn refresh_margin(lifetime_secs: Option<i64>) -> i64 {
    match lifetime_secs {
        Some(lifetime) if lifetime > 0 => (lifetime / 10).min(REFRESH_MARGIN_SECS),
        _ => REFRESH_MARGIN_SECS,
    }
}

/// What connecting needs: the OAuth client, the catalog and Hearth's registrations.
#[derive(Clone)]
pub struct Connections {
    /// The OAuth client.
    pub smart: SmartClient,
    /// The provider catalog.
    pub catalog: Arc<Catalog>,
    /// Client registrations per platform.
    pub clients: BTreeMap<String, ClientConfig>,
}

/// `POST …/connect`: which provider to connect: a catalog endpoint, or any
/// SMART provider by its FHIR base URL.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectRequest {
    /// The catalog endpoint id (or a custom provider's `custom:…` id).
    #[serde(default)]
    pub endpoint_id: Option<String>,
    /// Instead of `endpoint_id`: the provider's FHIR base URL (see `POST …/providers/discover`).
    #[serde(default)]
    pub fhir_base_url: Option<String>,
    /// Display name for the source (default: the endpoint's host).
    #[serde(default)]
    pub name: Option<String>,
}

/// A started connection.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ConnectStarted)]
pub struct Started {
    /// Send the person's browser here.
    pub authorize_url: String,
    /// When the started authorization lapses.
    pub expires_at: String,
}

/// What the callback produced.
#[derive(Debug)]
pub struct Connected {
    /// The profile the source belongs to.
    pub profile_id: String,
    /// The source created or reconnected.
    pub source_id: String,
    /// Whether it already existed (a reconnect).
    pub reconnected: bool,
    /// For a new source whose portal patient clearly differs from the
    /// profile: who it is and what differs. Nothing syncs until confirmed.
    pub unconfirmed: Option<(Person, Vec<Difference>)>,
}

/// The provider's answer at the callback.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackParams {
    /// The authorization code.
    pub code: Option<String>,
    /// The state we sent.
    pub state: Option<String>,
    /// An OAuth error (`access_denied`, ...).
    pub error: Option<String>,
    /// Its description.
    pub error_description: Option<String>,
}

fn state_hash(state: &str) -> String {
    hex::encode(Sha256::digest(state.as_bytes()))
}

#[derive(Serialize, Deserialize)]
struct StoredConfig {
    authorization_endpoint: String,
    token_endpoint: String,
    revocation_endpoint: Option<String>,
    capabilities: Vec<String>,
    token_endpoint_auth_methods: Vec<String>,
}

fn store_config(c: &SmartConfiguration) -> String {
    serde_json::json!(StoredConfig {
        authorization_endpoint: c.authorization_endpoint.to_string(),
        token_endpoint: c.token_endpoint.to_string(),
        revocation_endpoint: c.revocation_endpoint.as_ref().map(|u| u.to_string()),
        capabilities: c.capabilities.clone(),
        token_endpoint_auth_methods: c.token_endpoint_auth_methods.clone(),
    })
    .to_string()
}

fn load_config(text: &str) -> Option<SmartConfiguration> {
    let s: StoredConfig = serde_json::from_str(text).ok()?;
    Some(SmartConfiguration {
        authorization_endpoint: url::Url::parse(&s.authorization_endpoint).ok()?,
        token_endpoint: url::Url::parse(&s.token_endpoint).ok()?,
        revocation_endpoint: s.revocation_endpoint.and_then(|r| url::Url::parse(&r).ok()),
        capabilities: s.capabilities,
        token_endpoint_auth_methods: s.token_endpoint_auth_methods,
        scopes_supported: Vec::new(),
        registration_endpoint: None,
    })
}

impl Connections {
    pub(super) fn registration(&self, platform: &str) -> Result<Registration, SmartError> {
        let quirks = self.catalog.current().platform(platform);
        let requires_key = quirks.as_ref().is_some_and(|q| {
            q.token_endpoint_auth_methods_supported
                .iter()
                .any(|m| m == "private_key_jwt")
        });
        let confidential = quirks.as_ref().is_some_and(|q| q.confidential);
        Registration::resolve(
            platform,
            self.clients.get(platform),
            requires_key,
            confidential,
        )
    }
}

impl Sources {
    pub(super) fn connections(&self) -> Result<&Connections, SourceError> {
        self.connections.as_ref().ok_or(SourceError::ConnectionsOff)
    }

    /// Start connecting `endpoint_id` (or reconnecting `source_id`): discover, and build the authorize URL.
    pub async fn start_connect(
        &self,
        scope: &ProfileScope,
        request: ConnectRequest,
        reconnect: Option<&str>,
    ) -> Result<Started, SourceError> {
        let connections = self.connections()?;
        let (endpoint_id, name) = match reconnect {
            Some(source_id) => {
                let row = sqlx::query(
                    "SELECT endpoint_id, name, kind FROM sources WHERE id = ? AND profile_id = ?",
                )
                .bind(source_id)
                .bind(scope.id())
                .fetch_optional(&self.db)
                .await?
                .ok_or_else(|| SourceError::NotFound(source_id.to_string()))?;
                let endpoint: Option<String> = row.try_get("endpoint_id")?;
                let endpoint =
                    endpoint.ok_or_else(|| SourceError::NotConnectable(source_id.to_string()))?;
                (endpoint, row.try_get::<String, _>("name")?)
            }
            None => {
                let name = match request.name.as_deref().map(str::trim) {
                    Some(n) if n.is_empty() || n.len() > 200 => {
                        return Err(SourceError::Invalid {
                            field: "name",
                            reason: "must be 1-200 characters".into(),
                        });
                    }
                    Some(n) => {
                        crate::text::check_line(n).map_err(|e| SourceError::Invalid {
                            field: "name",
                            reason: e.to_string(),
                        })?;
                        Some(n.to_string())
                    }
                    None => None,
                };
                let endpoint = match (&request.endpoint_id, &request.fhir_base_url) {
                    (Some(id), None) => self.endpoint(id).await?,
                    (None, Some(url)) => self.add_provider(url, name.as_deref()).await?,
                    _ => {
                        return Err(SourceError::Invalid {
                            field: "endpoint_id",
                            reason: "give either endpoint_id or fhir_base_url".into(),
                        });
                    }
                };
                let name = name.unwrap_or_else(|| {
                    url::Url::parse(&endpoint.url)
                        .ok()
                        .and_then(|u| u.host_str().map(str::to_string))
                        .unwrap_or_else(|| endpoint.url.clone())
                });
                (endpoint.id, name)
            }
        };
        let endpoint = self.endpoint(&endpoint_id).await?;
        if self.plugins.get(&endpoint.connector).is_none() {
            return Err(SourceError::UnknownConnector(endpoint.connector));
        }
        let reg = self
            .registration(Some(&endpoint.id), &endpoint.platform)
            .await?;
        let config = connections.smart.discover(&endpoint.url).await?;
        let quirks = connections.catalog.current().platform(&endpoint.platform);
        let scopes = scopes_for(
            quirks
                .as_ref()
                .map(|q| q.scopes_supported.as_slice())
                .unwrap_or_default(),
            &config,
        );
        let auth = connections
            .smart
            .authorize(&reg, &config, &endpoint.url, &scopes);
        let now = chrono::Utc::now();
        let expires = now + chrono::Duration::seconds(PENDING_TTL_SECS);
        sqlx::query("DELETE FROM smart_pending WHERE expires_at < ?")
            .bind(now.to_rfc3339())
            .execute(&self.db)
            .await?;
        sqlx::query(
            "INSERT INTO smart_pending (state_hash, profile_id, user_id, endpoint_id, source_id, name, smart_config, verifier, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(state_hash(&auth.state))
        .bind(scope.id())
        .bind(scope.user_id())
        .bind(&endpoint_id)
        .bind(reconnect)
        .bind(&name)
        .bind(store_config(&config))
        .bind(self.cipher.encrypt(&auth.verifier))
        .bind(now.to_rfc3339())
        .bind(expires.to_rfc3339())
        .execute(&self.db)
        .await?;
        tracing::info!(profile = %scope.id(), endpoint = %endpoint_id, platform = %endpoint.platform, "authorization started");
        Ok(Started {
            authorize_url: auth.url.to_string(),
            expires_at: expires.to_rfc3339(),
        })
    }

    /// Finish at the callback: check the state, exchange the code, and create or reconnect the source.
    ///
    /// `still_allowed(user, profile)` is asked once the started authorization
    /// is found: the person who started it may have lost their access since.
    pub async fn finish_connect<F, Fut>(
        &self,
        params: CallbackParams,
        still_allowed: F,
    ) -> Result<Connected, SourceError>
    where
        F: FnOnce(String, String) -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let connections = self.connections()?;
        let state = params.state.as_deref().ok_or(SourceError::UnknownState)?;
        // Deleting first makes the state single-use even if the exchange below fails.
        let row = sqlx::query(
            "DELETE FROM smart_pending WHERE state_hash = ?
             RETURNING profile_id, user_id, endpoint_id, source_id, name, smart_config, verifier, expires_at",
        )
        .bind(state_hash(state))
        .fetch_optional(&self.db)
        .await?
        .ok_or(SourceError::UnknownState)?;
        let expires_at: String = row.try_get("expires_at")?;
        if expires_at < chrono::Utc::now().to_rfc3339() {
            return Err(SourceError::UnknownState);
        }
        let profile_id: String = row.try_get("profile_id")?;
        let user_id: String = row.try_get("user_id")?;
        if !still_allowed(user_id.clone(), profile_id.clone()).await {
            tracing::warn!(profile = %profile_id, user = %user_id, "a connection finished after its starter lost access; nothing connected");
            return Err(SourceError::AccessGone);
        }
        let endpoint_id: String = row.try_get("endpoint_id")?;
        let reconnect: Option<String> = row.try_get("source_id")?;
        if let Some(error) = params.error {
            return Err(SmartError::Denied {
                error,
                description: params.error_description,
            }
            .into());
        }
        let code = params.code.ok_or_else(|| SourceError::Invalid {
            field: "code",
            reason: "the provider sent neither a code nor an error".into(),
        })?;
        let endpoint = self.endpoint(&endpoint_id).await?;
        let config_text: String = row.try_get("smart_config")?;
        let config = load_config(&config_text).ok_or(SourceError::UnknownState)?;
        let verifier = self
            .cipher
            .decrypt(&row.try_get::<Vec<u8>, _>("verifier")?)?;
        let reg = self
            .registration(Some(&endpoint.id), &endpoint.platform)
            .await?;
        let grant = connections
            .smart
            .exchange(&reg, &config, &code, &verifier)
            .await?;
        let patient = grant.patient.clone().ok_or(SmartError::NoPatient)?;
        if !crate::records::is_fhir_id(&patient) {
            return Err(SourceError::Invalid {
                field: "patient",
                reason: format!("the provider's patient {patient:?} is not a FHIR id"),
            });
        }
        let now = chrono::Utc::now().to_rfc3339();
        let refresh = grant
            .refresh_token
            .as_deref()
            .map(|t| self.cipher.encrypt(t));
        let expires = grant.expires_at.map(|t| t.to_rfc3339());
        match reconnect {
            Some(source_id) => {
                let known: Option<String> =
                    sqlx::query_scalar("SELECT patient_id FROM sources WHERE id = ?")
                        .bind(&source_id)
                        .fetch_optional(&self.db)
                        .await?;
                let known = known.ok_or_else(|| SourceError::NotFound(source_id.clone()))?;
                if known != patient {
                    return Err(SourceError::OtherPatient {
                        expected: known,
                        got: patient,
                    });
                }
                sqlx::query(
                    "UPDATE sources SET token = ?, refresh_token = ?, token_expires_at = ?, token_lifetime_secs = ?,
                     scope = ?, smart_config = ?, status = CASE WHEN last_sync_at IS NULL THEN 'new' ELSE 'ok' END, last_error = NULL,
                     next_sync_at = ? WHERE id = ?",
                )
                .bind(self.cipher.encrypt(&grant.access_token))
                .bind(refresh)
                .bind(expires)
                .bind(grant.lifetime_secs)
                .bind(&grant.scope)
                .bind(&config_text)
                .bind((chrono::Utc::now() + self.sync_interval).to_rfc3339())
                .bind(&source_id)
                .execute(&self.db)
                .await?;
                tracing::info!(source = %source_id, profile = %profile_id, "source reconnected");
                Ok(Connected {
                    profile_id,
                    source_id,
                    reconnected: true,
                    unconfirmed: None,
                })
            }
            None => {
                let source_id = new_id();
                let name: String = row.try_get("name")?;
                sqlx::query(
                    "INSERT INTO sources (id, profile_id, kind, name, connector, fhir_base_url, patient_id, token, refresh_token,
                     token_expires_at, token_lifetime_secs, scope, smart_config, endpoint_id, platform, next_sync_at, created_at)
                     VALUES (?, ?, 'provider', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(&source_id)
                .bind(&profile_id)
                .bind(&name)
                .bind(&endpoint.connector)
                .bind(endpoint.url.trim_end_matches('/'))
                .bind(&patient)
                .bind(self.cipher.encrypt(&grant.access_token))
                .bind(refresh)
                .bind(expires)
                .bind(grant.lifetime_secs)
                .bind(&grant.scope)
                .bind(&config_text)
                .bind(&endpoint_id)
                .bind(&endpoint.platform)
                .bind((chrono::Utc::now() + self.sync_interval).to_rfc3339())
                .bind(&now)
                .execute(&self.db)
                .await?;
                tracing::info!(source = %source_id, profile = %profile_id, platform = %endpoint.platform, "source connected");
                let unconfirmed = self
                    .check_portal_patient(
                        &connections.smart,
                        &source_id,
                        &profile_id,
                        endpoint.url.trim_end_matches('/'),
                        &patient,
                        &grant.access_token,
                    )
                    .await?;
                Ok(Connected {
                    profile_id,
                    source_id,
                    reconnected: false,
                    unconfirmed,
                })
            }
        }
    }

    /// Read who the portal account is about and keep it on the source; when
    /// it clearly is not the profile's person, hold the source `unconfirmed`
    /// (no sync) and say who it is. A portal that will not tell is not held up:
    /// the sync reads the Patient anyway.
    async fn check_portal_patient(
        &self,
        smart: &SmartClient,
        source_id: &str,
        profile_id: &str,
        fhir_base: &str,
        patient: &str,
        access_token: &str,
    ) -> Result<Option<(Person, Vec<Difference>)>, SourceError> {
        let resource = match smart.read_patient(fhir_base, patient, access_token).await {
            Ok(r) => r,
            Err(e) => {
                tracing::info!(source = %source_id, error = %e, "could not read the portal's patient before syncing; not compared");
                return Ok(None);
            }
        };
        let found = Person::from_patient(&resource);
        let profile = sqlx::query("SELECT name, birth_date FROM profiles WHERE id = ?")
            .bind(profile_id)
            .fetch_one(&self.db)
            .await?;
        let expected = Person::profile(
            &profile.try_get::<String, _>("name")?,
            profile
                .try_get::<Option<String>, _>("birth_date")?
                .as_deref(),
        );
        let differences = expected.differences(&found);
        let held = !differences.is_empty();
        sqlx::query(
            "UPDATE sources SET patient_json = ?,
             status = CASE WHEN ? THEN 'unconfirmed' ELSE status END,
             next_sync_at = CASE WHEN ? THEN NULL ELSE next_sync_at END WHERE id = ?",
        )
        .bind(resource.to_string())
        .bind(held)
        .bind(held)
        .bind(source_id)
        .execute(&self.db)
        .await?;
        if held {
            tracing::info!(source = %source_id, profile = %profile_id, ?differences, "portal patient differs from the profile; waiting for a confirmation");
            return Ok(Some((found, differences)));
        }
        Ok(None)
    }

    /// Forget a source's grant and stop syncing it; its records stay.
    pub async fn disconnect(&self, scope: &ProfileScope, id: &str) -> Result<(), SourceError> {
        let kind: Option<String> =
            sqlx::query_scalar("SELECT kind FROM sources WHERE id = ? AND profile_id = ?")
                .bind(id)
                .bind(scope.id())
                .fetch_optional(&self.db)
                .await?;
        match kind.as_deref() {
            None => return Err(SourceError::NotFound(id.to_string())),
            Some("provider") => {}
            Some(_) => return Err(SourceError::NotSyncable(id.to_string())),
        }
        sqlx::query(
            "UPDATE sources SET token = x'', refresh_token = NULL, token_expires_at = NULL, cursor = NULL,
             status = 'disconnected', next_sync_at = NULL, last_error = NULL WHERE id = ?",
        )
        .bind(id)
        .execute(&self.db)
        .await?;
        sqlx::query("UPDATE jobs SET cancel_requested = 1 WHERE source_id = ? AND status IN ('queued', 'running')")
            .bind(id)
            .execute(&self.db)
            .await?;
        tracing::info!(source = %id, "source disconnected; its records are kept");
        Ok(())
    }

    /// The source's access token, refreshed first when it is about to expire ([`refresh_margin`]).
    pub(super) async fn access_token(
        &self,
        id: &str,
        force_refresh: bool,
    ) -> Result<String, SourceError> {
        let row = sqlx::query(
            "SELECT token, refresh_token, token_expires_at, token_lifetime_secs, smart_config, platform, endpoint_id,
             status FROM sources WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(&self.db)
        .await?
        .ok_or_else(|| SourceError::NotFound(id.to_string()))?;
        let status = super::SourceStatus::parse(row.try_get("status")?);
        if status.is_some_and(super::SourceStatus::needs_reconnect) {
            return Err(SourceError::NeedsReconnect(id.to_string()));
        }
        let token = self.cipher.decrypt(&row.try_get::<Vec<u8>, _>("token")?)?;
        let expires_at: Option<String> = row.try_get("token_expires_at")?;
        let margin = refresh_margin(row.try_get("token_lifetime_secs")?);
        let soon = (chrono::Utc::now() + chrono::Duration::seconds(margin)).to_rfc3339();
        let expiring = expires_at.as_deref().is_some_and(|e| e < soon.as_str());
        if !force_refresh && !expiring {
            return Ok(token);
        }
        let refresh: Option<Vec<u8>> = row.try_get("refresh_token")?;
        let (Some(refresh), Some(config_text), Some(platform)) = (
            refresh,
            row.try_get::<Option<String>, _>("smart_config")?,
            row.try_get::<Option<String>, _>("platform")?,
        ) else {
            if force_refresh {
                // Rejected and nothing to refresh with: only the person can fix it.
                self.mark_needs_reconnect(
                    id,
                    "the provider refused the access token and there is no refresh token",
                )
                .await?;
                return Err(SourceError::NeedsReconnect(id.to_string()));
            }
            return Ok(token);
        };
        let refresh = self.cipher.decrypt(&refresh)?;
        let config =
            load_config(&config_text).ok_or(SourceError::NeedsReconnect(id.to_string()))?;
        let connections = self.connections()?;
        let endpoint_id: Option<String> = row.try_get("endpoint_id")?;
        let reg = self.registration(endpoint_id.as_deref(), &platform).await?;
        match connections.smart.refresh(&reg, &config, &refresh).await {
            Ok(grant) => {
                self.store_refreshed(id, &grant).await?;
                tracing::info!(source = %id, "access token refreshed");
                Ok(grant.access_token)
            }
            Err(e) if e.needs_reconnect() => {
                self.mark_needs_reconnect(id, &e.to_string()).await?;
                Err(SourceError::NeedsReconnect(id.to_string()))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn store_refreshed(&self, id: &str, grant: &Grant) -> Result<(), SourceError> {
        // Without a new refresh token the old one stays valid (no rotation); with one, the old is spent.
        let refresh = grant
            .refresh_token
            .as_deref()
            .map(|t| self.cipher.encrypt(t));
        sqlx::query(
            "UPDATE sources SET token = ?, refresh_token = COALESCE(?, refresh_token), token_expires_at = ?,
             token_lifetime_secs = ?, scope = COALESCE(?, scope) WHERE id = ?",
        )
        .bind(self.cipher.encrypt(&grant.access_token))
        .bind(refresh)
        .bind(grant.expires_at.map(|t| t.to_rfc3339()))
        .bind(grant.lifetime_secs)
        .bind(&grant.scope)
        .bind(id)
        .execute(&self.db)
        .await?;
        Ok(())
    }

    pub(super) async fn mark_needs_reconnect(
        &self,
        id: &str,
        why: &str,
    ) -> Result<(), SourceError> {
        tracing::warn!(source = %id, reason = %why, "the provider no longer accepts Hearth's access; the source needs reconnecting");
        sqlx::query(
            "UPDATE sources SET status = 'needs-reconnect', last_error = ?, token = x'', refresh_token = NULL, next_sync_at = NULL WHERE id = ?",
        )
        .bind(format!("Reconnect needed: the provider no longer accepts Hearth's access ({why}). Sign in to the provider again to resume syncing."))
        .bind(id)
        .execute(&self.db)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refresh_margin_follows_the_token_lifetime() {
        assert_eq!(refresh_margin(Some(3600)), 120, "an hour: two minutes");
        assert_eq!(refresh_margin(Some(90)), 9, "90 s: a tenth");
        assert_eq!(refresh_margin(Some(1200)), 120);
        assert_eq!(refresh_margin(None), 120, "unknown lifetime: two minutes");
        assert_eq!(refresh_margin(Some(0)), 120);
    }

    #[test]
    fn stored_configuration_round_trips() {
        let c = SmartConfiguration {
            authorization_endpoint: url::Url::parse("https://a.test/authorize").unwrap(),
            token_endpoint: url::Url::parse("https://a.test/token").unwrap(),
            revocation_endpoint: Some(url::Url::parse("https://a.test/revoke").unwrap()),
            capabilities: vec!["permission-v2".into()],
            token_endpoint_auth_methods: vec!["client_secret_post".into()],
            scopes_supported: vec![],
            registration_endpoint: None,
        };
        assert_eq!(load_config(&store_config(&c)), Some(c));
        assert_eq!(load_config("{}"), None);
    }

    #[test]
    fn state_hashes_are_not_the_state() {
        let h = state_hash("abc");
        assert_eq!(h.len(), 64);
        assert!(!h.contains("abc"));
        assert_ne!(h, state_hash("abd"));
    }
}
