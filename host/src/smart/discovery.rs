//! Where a FHIR server's authorization server is: `.well-known/smart-configuration`,
//! or else the CapabilityStatement's `oauth-uris` security extension.

use super::SmartError;
use serde::Deserialize;
use serde_json::Value;

/// The extension older servers use to publish their OAuth endpoints.
const OAUTH_URIS: &str = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris";
/// Discovery documents are small; a larger answer is not one.
const MAX_DOCUMENT: usize = 4 << 20;

/// What Hearth needs from the authorization server's self-description.
#[derive(Debug, Clone, PartialEq)]
pub struct SmartConfiguration {
    /// Where people sign in.
    pub authorization_endpoint: url::Url,
    /// Where codes and refresh tokens are exchanged.
    pub token_endpoint: url::Url,
    /// Where tokens are revoked, if offered.
    pub revocation_endpoint: Option<url::Url>,
    /// SMART capabilities (`launch-standalone`, `permission-v2`, ...).
    pub capabilities: Vec<String>,
    /// Client authentication methods the token endpoint accepts.
    pub token_endpoint_auth_methods: Vec<String>,
    /// Scopes the server says it supports.
    pub scopes_supported: Vec<String>,
    /// Where clients register themselves (RFC 7591), if offered.
    pub registration_endpoint: Option<url::Url>,
}

impl SmartConfiguration {
    /// Whether the server lists `capability`.
    pub fn has_capability(&self, capability: &str) -> bool {
        self.capabilities.iter().any(|c| c == capability)
    }

    /// Whether a client secret must go in the body (`client_secret_post`) because Basic is not offered.
    pub fn prefers_post_auth(&self) -> bool {
        let m = &self.token_endpoint_auth_methods;
        m.iter().any(|a| a == "client_secret_post") && !m.iter().any(|a| a == "client_secret_basic")
    }
}

#[derive(Deserialize)]
struct WellKnown {
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
    #[serde(default)]
    revocation_endpoint: Option<String>,
    #[serde(default)]
    capabilities: Vec<String>,
    #[serde(default)]
    token_endpoint_auth_methods_supported: Vec<String>,
    #[serde(default)]
    scopes_supported: Vec<String>,
    #[serde(default)]
    registration_endpoint: Option<String>,
}

/// The server's `.well-known/smart-configuration`, if it has a usable one.
async fn well_known(http: &reqwest::Client, base: &str) -> Result<SmartConfiguration, String> {
    let url = format!("{base}/.well-known/smart-configuration");
    let doc = fetch_json(http, &url).await?;
    let w = serde_json::from_value::<WellKnown>(doc).map_err(|e| format!("{url}: {e}"))?;
    from_well_known(w)
}

/// Discover the endpoints of the FHIR server at `base`.
pub async fn discover(
    http: &reqwest::Client,
    base: &str,
) -> Result<SmartConfiguration, SmartError> {
    let base = base.trim_end_matches('/');
    let fail = |reason: String| SmartError::Discovery {
        base: base.to_string(),
        reason,
    };
    let first_error = match well_known(http, base).await {
        Ok(config) => return Ok(config),
        Err(e) => e,
    };
    tracing::info!(%base, reason = %first_error, "no usable smart-configuration; trying the CapabilityStatement");
    let metadata = format!("{base}/metadata");
    let statement = fetch_json(http, &metadata)
        .await
        .map_err(|e| fail(format!("{first_error}; and {e}")))?;
    from_capability_statement(&statement)
        .map_err(|e| fail(format!("{first_error}; and {metadata}: {e}")))
}

async fn fetch_json(http: &reqwest::Client, url: &str) -> Result<Value, String> {
    let response = http
        .get(url)
        .header(
            reqwest::header::ACCEPT,
            "application/json, application/fhir+json",
        )
        .send()
        .await
        .map_err(|e| format!("{url}: {}", super::error_chain(&e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("{url} answered {status}"));
    }
    if response
        .content_length()
        .is_some_and(|n| n > MAX_DOCUMENT as u64)
    {
        return Err(format!("{url} is larger than {MAX_DOCUMENT} bytes"));
    }
    let bytes = response
        .bytes()
        .await
        .map_err(|e| format!("{url}: {}", super::error_chain(&e)))?;
    if bytes.len() > MAX_DOCUMENT {
        return Err(format!("{url} is larger than {MAX_DOCUMENT} bytes"));
    }
    serde_json::from_slice(&bytes).map_err(|e| format!("{url} is not JSON: {e}"))
}

fn endpoint(name: &str, value: Option<&str>) -> Result<url::Url, String> {
    let value = value.ok_or_else(|| format!("no {name}"))?;
    match url::Url::parse(value) {
        Ok(u) if matches!(u.scheme(), "https" | "http") && u.host_str().is_some() => Ok(u),
        _ => Err(format!("{name} {value:?} is not an absolute http(s) URL")),
    }
}

fn from_well_known(w: WellKnown) -> Result<SmartConfiguration, String> {
    Ok(SmartConfiguration {
        authorization_endpoint: endpoint(
            "authorization_endpoint",
            w.authorization_endpoint.as_deref(),
        )?,
        token_endpoint: endpoint("token_endpoint", w.token_endpoint.as_deref())?,
        revocation_endpoint: w
            .revocation_endpoint
            .as_deref()
            .and_then(|r| endpoint("revocation_endpoint", Some(r)).ok()),
        capabilities: w.capabilities,
        token_endpoint_auth_methods: w.token_endpoint_auth_methods_supported,
        scopes_supported: w.scopes_supported,
        registration_endpoint: w
            .registration_endpoint
            .as_deref()
            .and_then(|r| endpoint("registration_endpoint", Some(r)).ok()),
    })
}

/// Read `rest[].security.extension[oauth-uris]` of a CapabilityStatement.
fn from_capability_statement(statement: &Value) -> Result<SmartConfiguration, String> {
    if statement["resourceType"] != "CapabilityStatement"
        && statement["resourceType"] != "Conformance"
    {
        return Err("not a CapabilityStatement".into());
    }
    let extensions = statement["rest"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|rest| rest["security"]["extension"].as_array())
        .flatten()
        .find(|e| e["url"] == OAUTH_URIS)
        .and_then(|e| e["extension"].as_array())
        .ok_or("no oauth-uris security extension")?;
    let uri = |name: &str| {
        extensions
            .iter()
            .find(|e| e["url"] == name)
            .and_then(|e| e["valueUri"].as_str())
    };
    Ok(SmartConfiguration {
        authorization_endpoint: endpoint("authorize", uri("authorize"))?,
        token_endpoint: endpoint("token", uri("token"))?,
        revocation_endpoint: uri("revoke").and_then(|r| endpoint("revoke", Some(r)).ok()),
        capabilities: Vec::new(),
        token_endpoint_auth_methods: Vec::new(),
        scopes_supported: Vec::new(),
        registration_endpoint: uri("register").and_then(|r| endpoint("register", Some(r)).ok()),
    })
}

/// What a FHIR server says about itself: the answer to "what did Hearth find at this address?".
#[derive(Debug, Clone)]
pub struct ServerDescription {
    /// A name for people: the software or implementation the CapabilityStatement names.
    pub name: Option<String>,
    /// `fhirVersion` from the CapabilityStatement.
    pub fhir_version: Option<String>,
    /// Its authorization server, when it has one Hearth can use.
    pub smart: Option<SmartConfiguration>,
    /// Why there is none, when there is none.
    pub smart_error: Option<String>,
    /// Whether the server declares no security at all (an open server).
    pub open: bool,
}

/// Read `base`'s CapabilityStatement and find its authorization server.
pub async fn describe(http: &reqwest::Client, base: &str) -> Result<ServerDescription, SmartError> {
    let base = base.trim_end_matches('/');
    let metadata = format!("{base}/metadata");
    let statement = fetch_json(http, &metadata)
        .await
        .map_err(|reason| SmartError::Discovery {
            base: base.to_string(),
            reason: format!("no FHIR CapabilityStatement: {reason}"),
        })?;
    if statement["resourceType"] != "CapabilityStatement"
        && statement["resourceType"] != "Conformance"
    {
        return Err(SmartError::Discovery {
            base: base.to_string(),
            reason: format!("{metadata} is not a CapabilityStatement"),
        });
    }
    fn text(v: &Value) -> Option<&str> {
        v.as_str().map(str::trim).filter(|t| !t.is_empty())
    }
    let name = text(&statement["implementation"]["description"])
        .or_else(|| text(&statement["software"]["name"]))
        .or_else(|| text(&statement["title"]))
        .or_else(|| text(&statement["publisher"]))
        .or_else(|| text(&statement["name"]))
        .map(str::to_string);
    let secured = statement["rest"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|rest| rest.get("security").is_some_and(|s| !s.is_null()));
    // The statement is already here: the fallback reads it rather than fetching it again.
    let (smart, smart_error) = match well_known(http, base).await {
        Ok(config) => (Some(config), None),
        Err(first) => match from_capability_statement(&statement) {
            Ok(config) => (Some(config), None),
            Err(e) => (None, Some(format!("{first}; and {metadata}: {e}"))),
        },
    };
    Ok(ServerDescription {
        name,
        fhir_version: text(&statement["fhirVersion"]).map(str::to_string),
        open: smart.is_none() && !secured,
        smart,
        smart_error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_oauth_uris_extension() {
        let statement = json!({
            "resourceType": "CapabilityStatement",
            "rest": [{"mode": "server", "security": {"extension": [{
                "url": OAUTH_URIS,
                "extension": [
                    {"url": "token", "valueUri": "https://a.test/token"},
                    {"url": "authorize", "valueUri": "https://a.test/authorize"}
                ]
            }]}}]
        });
        let c = from_capability_statement(&statement).unwrap();
        assert_eq!(
            c.authorization_endpoint.as_str(),
            "https://a.test/authorize"
        );
        assert_eq!(c.token_endpoint.as_str(), "https://a.test/token");
        assert_eq!(c.revocation_endpoint, None);
        let bare = json!({"resourceType": "CapabilityStatement", "rest": [{"mode": "server"}]});
        assert_eq!(
            from_capability_statement(&bare).unwrap_err(),
            "no oauth-uris security extension"
        );
    }

    #[test]
    fn a_well_known_document_needs_both_endpoints() {
        let w: WellKnown = serde_json::from_value(json!({
            "authorization_endpoint": "https://a.test/authorize",
            "capabilities": ["permission-v2"]
        }))
        .unwrap();
        assert_eq!(from_well_known(w).unwrap_err(), "no token_endpoint");
        let w: WellKnown = serde_json::from_value(json!({
            "authorization_endpoint": "https://a.test/authorize",
            "token_endpoint": "/token",
        }))
        .unwrap();
        assert!(from_well_known(w).unwrap_err().contains("not an absolute"));
    }

    #[test]
    fn post_auth_only_when_basic_is_not_offered() {
        let mut c = from_well_known(WellKnown {
            authorization_endpoint: Some("https://a.test/a".into()),
            token_endpoint: Some("https://a.test/t".into()),
            revocation_endpoint: None,
            capabilities: vec![],
            token_endpoint_auth_methods_supported: vec!["client_secret_post".into()],
            scopes_supported: vec![],
            registration_endpoint: None,
        })
        .unwrap();
        assert!(c.prefers_post_auth());
        c.token_endpoint_auth_methods
            .push("client_secret_basic".into());
        assert!(!c.prefers_post_auth());
    }
}
