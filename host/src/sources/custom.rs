//! Providers added by their FHIR base URL rather than found in the catalog:
//! a small practice, a national gateway, a test server, a new EHR.
//!
//! Hearth reads the server's CapabilityStatement and SMART configuration and
//! shows what it found; connecting then signs in as a public client with
//! PKCE under a client id from, in order: the administrator's registration
//! for that base URL (`[clients."<base URL>"]`), a registration Hearth made
//! itself where the server offers dynamic client registration (RFC 7591,
//! kept per server in `custom_providers`), or the administrator's one id for
//! custom providers (`[clients.custom]`). Every address the host will fetch
//! (the FHIR base, the token and registration endpoints) passes
//! [`super::address::check`] first.

use super::address;
use super::{SourceError, Sources};
use crate::catalog::EndpointEntry;
use crate::smart::discovery::ServerDescription;
use crate::smart::{Registration, SmartError};
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// The platform name custom providers are stored under.
pub const CUSTOM_PLATFORM: &str = "custom";
/// Endpoint ids of custom providers start with this.
pub const ENDPOINT_PREFIX: &str = "custom:";

/// `POST …/providers/discover`: the address to look at.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscoverRequest {
    /// The provider's FHIR base URL.
    pub url: String,
}

/// How Hearth would connect to a provider it found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ConnectMode {
    /// Through the provider's own sign-in, under a client id the administrator set.
    Smart,
    /// Through the provider's own sign-in, after registering Hearth with it (RFC 7591).
    SmartRegister,
    /// No sign-in: the server is open; the person gives the patient id (`POST …/sources`).
    Open,
    /// Not possible; `problem` says why.
    None,
}

/// What Hearth found at a provider's address.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProviderFound {
    /// The FHIR base URL, as Hearth will use it.
    pub fhir_base_url: String,
    /// The name its CapabilityStatement gives.
    #[schema(required)]
    pub name: Option<String>,
    /// The FHIR version it declares.
    #[schema(required)]
    pub fhir_version: Option<String>,
    /// The connector that would sync it (`fhir-r4`, `fhir-dstu3`), if Hearth reads that version.
    #[schema(required)]
    pub connector: Option<String>,
    /// Where people sign in.
    #[schema(required)]
    pub authorization_endpoint: Option<String>,
    /// Where Hearth exchanges codes and refresh tokens.
    #[schema(required)]
    pub token_endpoint: Option<String>,
    /// Where clients register themselves, if offered.
    #[schema(required)]
    pub registration_endpoint: Option<String>,
    /// Scopes it says it supports.
    pub scopes_supported: Vec<String>,
    /// SMART capabilities it lists.
    pub capabilities: Vec<String>,
    /// How Hearth would connect.
    pub connect: ConnectMode,
    /// Why it cannot, when `connect` is `none` (or what to know first).
    #[schema(required)]
    pub problem: Option<String>,
}

/// The connector for a declared FHIR version: R4 when unsaid, DSTU3 for 3.0.x.
fn connector_for(version: Option<&str>) -> Option<&'static str> {
    match version.map(str::trim) {
        None | Some("") => Some("fhir-r4"),
        Some(v) if v.starts_with("4.0") => Some("fhir-r4"),
        Some(v) if v.starts_with("3.0") => Some("fhir-dstu3"),
        Some(_) => None,
    }
}

impl Sources {
    /// Look at `url`: is it a FHIR server, who says it is, and how would Hearth connect?
    pub async fn discover_provider(&self, url: &str) -> Result<ProviderFound, SourceError> {
        let (base, description) = self.describe(url).await?;
        let registered = self
            .registered(&base)
            .await?
            .is_some_and(|(_, c)| c.is_some());
        Ok(self.found(&base, &description, registered))
    }

    /// The custom provider already kept for `base`: its id and the client id Hearth registered, if any.
    async fn registered(
        &self,
        base: &url::Url,
    ) -> Result<Option<(String, Option<String>)>, SourceError> {
        let row = sqlx::query("SELECT id, client_id FROM custom_providers WHERE fhir_base_url = ?")
            .bind(base.as_str().trim_end_matches('/'))
            .fetch_optional(&self.db)
            .await?;
        Ok(match row {
            Some(r) => Some((r.try_get("id")?, r.try_get("client_id")?)),
            None => None,
        })
    }

    async fn describe(&self, url: &str) -> Result<(url::Url, ServerDescription), SourceError> {
        let connections = self.connections()?;
        let base = super::parse_base_url(url)?;
        let reach = &self.policy.reach;
        address::check(&base, reach).await?;
        let description = connections.smart.describe(base.as_str()).await?;
        // The host calls these itself: they must pass the same address rules.
        if let Some(config) = &description.smart {
            address::check(&config.token_endpoint, reach).await?;
            if let Some(registration) = &config.registration_endpoint {
                address::check(registration, reach).await?;
            }
        }
        Ok((base, description))
    }

    /// How Hearth would connect, in the order the module docs give.
    fn found(&self, base: &url::Url, d: &ServerDescription, registered: bool) -> ProviderFound {
        let base_url = base.as_str().trim_end_matches('/').to_string();
        let connector = connector_for(d.fhir_version.as_deref());
        let clients = self.connections.as_ref().map(|c| &c.clients);
        let for_this = clients.is_some_and(|c| c.contains_key(&base_url));
        let for_custom = clients.is_some_and(|c| c.contains_key(CUSTOM_PLATFORM));
        let (connect, problem) = match (&d.smart, connector) {
            (_, None) => (
                ConnectMode::None,
                Some(format!(
                    "it declares FHIR {}; Hearth reads R4 (4.0) and DSTU3 (3.0)",
                    d.fhir_version.as_deref().unwrap_or("?")
                )),
            ),
            (Some(_), _) if for_this || registered => (ConnectMode::Smart, None),
            (Some(c), _) if c.registration_endpoint.is_some() => (ConnectMode::SmartRegister, None),
            (Some(_), _) if for_custom => (ConnectMode::Smart, None),
            (Some(_), _) => (
                ConnectMode::None,
                Some(
                    "it offers no dynamic registration and the administrator has set no client id \
                     for custom providers ([clients.custom] client_id)"
                        .into(),
                ),
            ),
            (None, _) if d.open && self.policy.allow_open_servers => (ConnectMode::Open, None),
            (None, _) if d.open => (
                ConnectMode::None,
                Some(
                    "it asks for no sign-in at all, and the administrator has not allowed open FHIR servers (allow_open_servers)"
                        .into(),
                ),
            ),
            (None, _) => (
                ConnectMode::None,
                Some(format!(
                    "its sign-in could not be found: {}",
                    d.smart_error.as_deref().unwrap_or("no SMART configuration")
                )),
            ),
        };
        let smart = d.smart.as_ref();
        ProviderFound {
            fhir_base_url: base_url,
            name: d.name.clone(),
            fhir_version: d.fhir_version.clone(),
            connector: connector.map(str::to_string),
            authorization_endpoint: smart.map(|c| c.authorization_endpoint.to_string()),
            token_endpoint: smart.map(|c| c.token_endpoint.to_string()),
            registration_endpoint: smart
                .and_then(|c| c.registration_endpoint.as_ref())
                .map(|u| u.to_string()),
            scopes_supported: smart
                .map(|c| c.scopes_supported.clone())
                .unwrap_or_default(),
            capabilities: smart.map(|c| c.capabilities.clone()).unwrap_or_default(),
            connect,
            problem,
        }
    }

    /// Get ready to connect the provider at `url`: discover it, register
    /// Hearth with it when that is how it connects, and remember it. Its
    /// catalog-style endpoint, whose id `custom:<...>` the connection keeps.
    pub async fn add_provider(
        &self,
        url: &str,
        name: Option<&str>,
    ) -> Result<EndpointEntry, SourceError> {
        let connections = self.connections()?;
        let (base, description) = self.describe(url).await?;
        let (id, registered) = match self.registered(&base).await? {
            Some((id, client)) => (id, client),
            None => (format!("{ENDPOINT_PREFIX}{}", crate::ids::new_id()), None),
        };
        let found = self.found(&base, &description, registered.is_some());
        let base_url = found.fhir_base_url.clone();
        let connector = match (&found.connector, found.connect) {
            (Some(c), ConnectMode::Smart | ConnectMode::SmartRegister) => c.clone(),
            (Some(_), ConnectMode::Open) => {
                return Err(SourceError::Invalid {
                    field: "fhir_base_url",
                    reason: "this server needs no sign-in: add it with its patient id as a source instead".into(),
                });
            }
            _ => {
                let problem = found.problem.clone().unwrap_or_default();
                return Err(match description.smart {
                    None if description.open => SourceError::OpenServerRefused(base_url),
                    None => SmartError::Discovery {
                        base: base_url,
                        reason: problem,
                    }
                    .into(),
                    Some(_) if found.connector.is_none() => SourceError::Invalid {
                        field: "fhir_base_url",
                        reason: problem,
                    },
                    Some(_) => SmartError::NoClient {
                        platform: CUSTOM_PLATFORM.into(),
                    }
                    .into(),
                });
            }
        };
        let client_id = match (found.connect, description.smart.as_ref()) {
            (ConnectMode::SmartRegister, Some(config)) => match &config.registration_endpoint {
                Some(endpoint) => {
                    let id = connections.smart.register(endpoint).await?;
                    tracing::info!(base = %base_url, "registered with a custom provider");
                    Some(id)
                }
                None => None,
            },
            _ => registered,
        };
        let display = name
            .map(str::to_string)
            .or_else(|| found.name.clone())
            .unwrap_or_else(|| base.host_str().unwrap_or("FHIR server").to_string());
        sqlx::query(
            "INSERT INTO custom_providers (id, fhir_base_url, name, fhir_version, connector, client_id, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (fhir_base_url) DO UPDATE SET name = excluded.name, fhir_version = excluded.fhir_version,
               connector = excluded.connector, client_id = COALESCE(custom_providers.client_id, excluded.client_id)",
        )
        .bind(&id)
        .bind(&base_url)
        .bind(&display)
        .bind(found.fhir_version.clone().unwrap_or_default())
        .bind(&connector)
        .bind(&client_id)
        .bind(chrono::Utc::now().to_rfc3339())
        .execute(&self.db)
        .await?;
        Ok(EndpointEntry {
            id,
            url: base_url,
            fhir_version: found.fhir_version.unwrap_or_default(),
            platform: CUSTOM_PLATFORM.into(),
            connector,
            authorization_endpoint: String::new(),
            token_endpoint: String::new(),
        })
    }

    /// The endpoint `id` names: a custom provider's, or the catalog's.
    pub(super) async fn endpoint(&self, id: &str) -> Result<EndpointEntry, SourceError> {
        if !id.starts_with(ENDPOINT_PREFIX) {
            return self
                .connections()?
                .catalog
                .current()
                .endpoint(id)
                .cloned()
                .ok_or_else(|| SourceError::UnknownEndpoint(id.to_string()));
        }
        let row = sqlx::query(
            "SELECT fhir_base_url, fhir_version, connector FROM custom_providers WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(&self.db)
        .await?
        .ok_or_else(|| SourceError::UnknownEndpoint(id.to_string()))?;
        Ok(EndpointEntry {
            id: id.to_string(),
            url: row.try_get("fhir_base_url")?,
            fhir_version: row.try_get("fhir_version")?,
            platform: CUSTOM_PLATFORM.into(),
            connector: row.try_get("connector")?,
            authorization_endpoint: String::new(),
            token_endpoint: String::new(),
        })
    }

    /// Hearth's registration for `endpoint`: a custom provider's (see the
    /// module docs for the order), else its platform's.
    pub(super) async fn registration(
        &self,
        endpoint_id: Option<&str>,
        platform: &str,
    ) -> Result<Registration, SourceError> {
        let connections = self.connections()?;
        if platform != CUSTOM_PLATFORM {
            return Ok(connections.registration(platform)?);
        }
        let row = match endpoint_id {
            Some(id) => {
                sqlx::query("SELECT fhir_base_url, client_id FROM custom_providers WHERE id = ?")
                    .bind(id)
                    .fetch_optional(&self.db)
                    .await?
            }
            None => None,
        };
        let (base_url, registered): (Option<String>, Option<String>) = match &row {
            Some(r) => (r.try_get("fhir_base_url")?, r.try_get("client_id")?),
            None => (None, None),
        };
        if let Some(config) = base_url.as_deref().and_then(|b| connections.clients.get(b)) {
            return Ok(Registration::resolve(
                CUSTOM_PLATFORM,
                Some(config),
                false,
                false,
            )?);
        }
        if let Some(client_id) = registered {
            return Ok(Registration {
                platform: CUSTOM_PLATFORM.into(),
                client_id,
                secret: None,
                key: None,
            });
        }
        Ok(Registration::resolve(
            CUSTOM_PLATFORM,
            connections.clients.get(CUSTOM_PLATFORM),
            false,
            false,
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::connector_for;

    #[test]
    fn the_connector_follows_the_declared_version() {
        assert_eq!(connector_for(Some("4.0.1")), Some("fhir-r4"));
        assert_eq!(connector_for(None), Some("fhir-r4"));
        assert_eq!(connector_for(Some("3.0.2")), Some("fhir-dstu3"));
        assert_eq!(connector_for(Some("5.0.0")), None);
        assert_eq!(connector_for(Some("1.0.2")), None);
    }
}
