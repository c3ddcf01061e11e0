//! SMART App Launch, standalone patient launch: Hearth as the OAuth2 client.
//!
//! Discovery reads `.well-known/smart-configuration` and falls back to the
//! CapabilityStatement's `oauth-uris` extension (older servers publish only
//! that). Authorization uses the code flow with PKCE S256, a `state` and the
//! FHIR base as `aud`; the `oauth2` crate builds the requests. The token
//! response's `patient` and `scope` say whose record and what was granted.
//!
//! Provider tokens never leave the host: they are encrypted at rest by the
//! sources service and added to plugin requests by the outbound policy.

pub mod discovery;
pub mod jwt;

pub use discovery::SmartConfiguration;

use crate::config::ClientConfig;
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken,
    RequestTokenError, Scope, StandardRevocableToken, StandardTokenResponse, TokenResponse,
    TokenUrl,
};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The client id the sandbox provider knows Hearth by.
pub const SANDBOX_CLIENT_ID: &str = "hearth";

/// Scopes asked for when a platform lists none.
pub const DEFAULT_SCOPES: &[&str] = &[
    "launch/patient",
    "openid",
    "fhirUser",
    "offline_access",
    "patient/*.read",
];

/// How long a provider may take to answer one OAuth or discovery request.
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// What can go wrong connecting to a provider.
#[derive(Debug, thiserror::Error)]
pub enum SmartError {
    /// Neither the SMART configuration nor the CapabilityStatement says where to authorize.
    #[error("cannot find the provider's sign-in endpoints at {base}: {reason}")]
    Discovery {
        /// The FHIR base URL.
        base: String,
        /// What failed.
        reason: String,
    },
    /// The provider could not be reached or answered something unusable.
    #[error("the provider's authorization server failed: {0}")]
    Network(String),
    /// The provider's address is one the host may not reach.
    #[error(transparent)]
    Address(#[from] crate::reach::ReachError),
    /// The provider refused a token request (`invalid_grant` means the grant is gone).
    #[error("the provider refused: {error}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Refused {
        /// The OAuth error code.
        error: String,
        /// The provider's description.
        description: Option<String>,
    },
    /// The person declined at the provider, or the provider sent an error to the callback.
    #[error("the provider did not grant access: {error}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Denied {
        /// The OAuth error code (`access_denied`, ...).
        error: String,
        /// The provider's description.
        description: Option<String>,
    },
    /// The token response did not name the patient.
    #[error(
        "the provider granted access but did not say which patient (no `patient` in the token response)"
    )]
    NoPatient,
    /// Hearth has no client registration for this platform.
    #[error(
        "Hearth is not registered with {platform} yet: set [clients.{platform}] client_id (and its secret or key) in the config"
    )]
    NoClient {
        /// The platform.
        platform: String,
    },
    /// Dynamic client registration failed.
    #[error("registering Hearth at {endpoint} failed: {reason}")]
    Registration {
        /// The registration endpoint.
        endpoint: String,
        /// What failed.
        reason: String,
    },
    /// The platform requires a signed client assertion but no key is configured, or the key is unusable.
    #[error("client key for {platform}: {reason}")]
    ClientKey {
        /// The platform.
        platform: String,
        /// What is wrong.
        reason: String,
    },
}

impl SmartError {
    /// Whether the grant is gone for good and the person must connect again.
    pub fn needs_reconnect(&self) -> bool {
        matches!(self, SmartError::Refused { error, .. } if error == "invalid_grant" || error == "invalid_client" || error == "unauthorized_client")
    }
}

/// SMART's additions to the token response.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct SmartFields {
    /// The patient in context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient: Option<String>,
    /// The OpenID Connect id token, when `openid` was granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl ExtraTokenFields for SmartFields {}

type SmartTokenResponse = StandardTokenResponse<SmartFields, BasicTokenType>;

type OAuthClient = oauth2::Client<
    BasicErrorResponse,
    SmartTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// How Hearth identifies itself to one platform.
#[derive(Clone)]
pub struct Registration {
    /// The platform.
    pub platform: String,
    /// Client id.
    pub client_id: String,
    /// Shared secret (confidential symmetric client).
    pub secret: Option<String>,
    /// Signing key for `private_key_jwt` (confidential asymmetric client).
    pub key: Option<jwt::ClientKey>,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("platform", &self.platform)
            .field("client_id", &self.client_id)
            .field("secret", &self.secret.as_ref().map(|_| "(set)"))
            .field("key", &self.key.as_ref().map(|_| "(set)"))
            .finish()
    }
}

impl Registration {
    /// The registration for `platform` from the config; the sandbox needs none.
    ///
    /// `requires_key` is the platform's `private_key_jwt` quirk; `confidential` its need for a secret.
    pub fn resolve(
        platform: &str,
        configured: Option<&ClientConfig>,
        requires_key: bool,
        confidential: bool,
    ) -> Result<Registration, SmartError> {
        let Some(config) = configured else {
            if platform == crate::catalog::SANDBOX {
                return Ok(Registration {
                    platform: platform.into(),
                    client_id: SANDBOX_CLIENT_ID.into(),
                    secret: None,
                    key: None,
                });
            }
            return Err(SmartError::NoClient {
                platform: platform.into(),
            });
        };
        let key = match &config.private_key_file {
            Some(path) => Some(jwt::ClientKey::load(path, config.key_id.clone()).map_err(
                |reason| SmartError::ClientKey {
                    platform: platform.into(),
                    reason,
                },
            )?),
            None => None,
        };
        if requires_key && key.is_none() {
            return Err(SmartError::ClientKey {
                platform: platform.into(),
                reason: "the platform requires private_key_jwt: set private_key_file and key_id"
                    .into(),
            });
        }
        if confidential && key.is_none() && config.client_secret.is_none() {
            return Err(SmartError::ClientKey {
                platform: platform.into(),
                reason: "the platform requires a confidential client: set client_secret".into(),
            });
        }
        Ok(Registration {
            platform: platform.into(),
            client_id: config.client_id.clone(),
            secret: config.client_secret.clone(),
            key,
        })
    }
}

/// A started authorization: where to send the person, and what to keep for the callback.
#[derive(Debug)]
pub struct Authorization {
    /// The provider's authorize URL with every parameter.
    pub url: url::Url,
    /// The `state` sent (a CSPRNG value of 128 bits or more).
    pub state: String,
    /// The PKCE verifier (a CSPRNG value of 256 bits).
    pub verifier: String,
}

/// What a token request granted.
#[derive(Debug, Clone)]
pub struct Grant {
    /// The bearer token.
    pub access_token: String,
    /// The refresh token, when offline access was granted.
    pub refresh_token: Option<String>,
    /// When the access token expires, if the provider said.
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// How long the access token lives (`expires_in`), in seconds, if the provider said.
    pub lifetime_secs: Option<i64>,
    /// Granted scopes, space-separated, if the provider said.
    pub scope: Option<String>,
    /// The patient in context.
    pub patient: Option<String>,
}

/// The OAuth2 client side of SMART App Launch.
#[derive(Clone)]
pub struct SmartClient {
    http: reqwest::Client,
    redirect: RedirectUrl,
    reach: crate::reach::Reach,
}

impl SmartClient {
    /// A client whose callback is `redirect_uri`, reaching only what `reach` allows.
    pub fn new(
        redirect_uri: &url::Url,
        reach: crate::reach::Reach,
    ) -> Result<SmartClient, SmartError> {
        let http = reqwest::Client::builder()
            // Names resolve only to addresses the policy allows, checked at connect time.
            .dns_resolver(reach.resolver())
            // Following redirects from a token endpoint would leak the code (RFC 9700 4.11).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(HTTP_TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("Hearth/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SmartError::Network(e.to_string()))?;
        let redirect = RedirectUrl::from_url(redirect_uri.clone());
        Ok(SmartClient {
            http,
            redirect,
            reach,
        })
    }

    /// Refuse `url` before any request when its host may not be reached
    /// (literal addresses bypass the resolver, so they are checked here).
    async fn may_reach(&self, url: &str) -> Result<(), SmartError> {
        match url::Url::parse(url) {
            Ok(url) => Ok(self.reach.check_url(&url).await?),
            // An unparsable URL fails in the request itself, with its own error.
            Err(_) => Ok(()),
        }
    }

    /// The callback URL providers redirect to.
    pub fn redirect_uri(&self) -> &str {
        self.redirect.as_str()
    }

    /// Discover the authorization server of the FHIR server at `fhir_base`.
    pub async fn discover(&self, fhir_base: &str) -> Result<SmartConfiguration, SmartError> {
        self.may_reach(fhir_base).await?;
        discovery::discover(&self.http, fhir_base).await
    }

    /// What the FHIR server at `fhir_base` says about itself and its authorization server.
    pub async fn describe(
        &self,
        fhir_base: &str,
    ) -> Result<discovery::ServerDescription, SmartError> {
        self.may_reach(fhir_base).await?;
        discovery::describe(&self.http, fhir_base).await
    }

    /// Register Hearth as a public client (PKCE, no secret) at `endpoint`
    /// (OAuth 2.0 Dynamic Client Registration, RFC 7591); the issued client id.
    pub async fn register(&self, endpoint: &url::Url) -> Result<String, SmartError> {
        self.may_reach(endpoint.as_str()).await?;
        let metadata = serde_json::json!({
            "client_name": "Hearth",
            "redirect_uris": [self.redirect.as_str()],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
        });
        let fail = |reason: String| SmartError::Registration {
            endpoint: endpoint.to_string(),
            reason,
        };
        let response = self
            .http
            .post(endpoint.clone())
            .json(&metadata)
            .send()
            .await
            .map_err(|e| fail(error_chain(&e)))?;
        let status = response.status();
        let body: serde_json::Value = response
            .json()
            .await
            .map_err(|e| fail(format!("answered {status} without JSON: {e}")))?;
        if !status.is_success() {
            let error = body["error"].as_str().unwrap_or("no error code");
            let description = body["error_description"].as_str().unwrap_or_default();
            return Err(fail(format!("answered {status}: {error} {description}")));
        }
        match body["client_id"].as_str() {
            Some(id) if !id.is_empty() && id.len() <= 512 => Ok(id.to_string()),
            _ => Err(fail("the answer has no client_id".into())),
        }
    }

    fn oauth(
        &self,
        reg: &Registration,
        config: &SmartConfiguration,
        body_auth: bool,
    ) -> OAuthClient {
        let mut client = oauth2::Client::new(ClientId::new(reg.client_id.clone()))
            .set_auth_uri(AuthUrl::from_url(config.authorization_endpoint.clone()))
            .set_token_uri(TokenUrl::from_url(config.token_endpoint.clone()))
            .set_redirect_uri(self.redirect.clone());
        if let Some(secret) = &reg.secret
            && reg.key.is_none()
        {
            client = client.set_client_secret(ClientSecret::new(secret.clone()));
        }
        if body_auth || reg.key.is_some() {
            client = client.set_auth_type(AuthType::RequestBody);
        }
        client
    }

    /// Start a standalone patient launch: the authorize URL with PKCE S256, `state`, `aud` and `scopes`.
    pub fn authorize(
        &self,
        reg: &Registration,
        config: &SmartConfiguration,
        fhir_base: &str,
        scopes: &[String],
    ) -> Authorization {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let client = self.oauth(reg, config, false);
        let mut request = client
            .authorize_url(CsrfToken::new_random)
            .set_pkce_challenge(challenge)
            .add_extra_param("aud", fhir_base);
        for scope in scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state) = request.url();
        Authorization {
            url,
            state: state.secret().clone(),
            verifier: verifier.secret().clone(),
        }
    }

    /// Read the signed-in patient's Patient resource with the new access
    /// token, to tell the person whose record the portal account holds
    /// before anything is synced. At most 1 MiB, within the client's timeout.
    pub async fn read_patient(
        &self,
        fhir_base: &str,
        patient: &str,
        access_token: &str,
    ) -> Result<serde_json::Value, SmartError> {
        let url = format!("{}/Patient/{patient}", fhir_base.trim_end_matches('/'));
        self.may_reach(&url).await?;
        let mut response = self
            .http
            .get(&url)
            .bearer_auth(access_token)
            .header(reqwest::header::ACCEPT, "application/fhir+json")
            .send()
            .await
            .map_err(|e| SmartError::Network(e.to_string()))?;
        if !response.status().is_success() {
            return Err(SmartError::Network(format!(
                "GET {url}: {}",
                response.status()
            )));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| SmartError::Network(e.to_string()))?
        {
            body.extend_from_slice(&chunk);
            if body.len() > 1 << 20 {
                return Err(SmartError::Network(format!("GET {url}: larger than 1 MiB")));
            }
        }
        serde_json::from_slice(&body).map_err(|e| SmartError::Network(format!("GET {url}: {e}")))
    }

    /// Exchange an authorization code for tokens.
    pub async fn exchange(
        &self,
        reg: &Registration,
        config: &SmartConfiguration,
        code: &str,
        verifier: &str,
    ) -> Result<Grant, SmartError> {
        self.may_reach(config.token_endpoint.as_str()).await?;
        let body_auth = config.prefers_post_auth();
        let client = self.oauth(reg, config, body_auth);
        let mut request = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_string()));
        if let Some(key) = &reg.key {
            let assertion = key
                .assertion(&reg.client_id, config.token_endpoint.as_str())
                .map_err(|reason| SmartError::ClientKey {
                    platform: reg.platform.clone(),
                    reason,
                })?;
            request = request
                .add_extra_param("client_assertion_type", jwt::ASSERTION_TYPE)
                .add_extra_param("client_assertion", assertion);
        }
        let response = request.request_async(&self.http).await;
        grant(response)
    }

    /// Trade a refresh token for a new access token (and, with rotation, a new refresh token).
    pub async fn refresh(
        &self,
        reg: &Registration,
        config: &SmartConfiguration,
        refresh_token: &str,
    ) -> Result<Grant, SmartError> {
        self.may_reach(config.token_endpoint.as_str()).await?;
        let body_auth = config.prefers_post_auth();
        let client = self.oauth(reg, config, body_auth);
        let token = RefreshToken::new(refresh_token.to_string());
        let mut request = client.exchange_refresh_token(&token);
        if let Some(key) = &reg.key {
            let assertion = key
                .assertion(&reg.client_id, config.token_endpoint.as_str())
                .map_err(|reason| SmartError::ClientKey {
                    platform: reg.platform.clone(),
                    reason,
                })?;
            request = request
                .add_extra_param("client_assertion_type", jwt::ASSERTION_TYPE)
                .add_extra_param("client_assertion", assertion);
        }
        let response = request.request_async(&self.http).await;
        grant(response)
    }
}

/// The scopes to ask a platform for: its list, or the standard set, in the
/// v2 `.rs` form when the server supports only SMART v2 permissions.
pub fn scopes_for(platform_scopes: &[String], config: &SmartConfiguration) -> Vec<String> {
    let base: Vec<String> = if platform_scopes.is_empty() {
        DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect()
    } else {
        platform_scopes.to_vec()
    };
    let v2_only = config.has_capability("permission-v2") && !config.has_capability("permission-v1");
    base.into_iter()
        .map(|s| match s.strip_suffix(".read") {
            Some(resource) if v2_only && s.contains('/') => format!("{resource}.rs"),
            _ => s,
        })
        .collect()
}

fn grant<E: std::error::Error + 'static>(
    response: Result<SmartTokenResponse, RequestTokenError<E, BasicErrorResponse>>,
) -> Result<Grant, SmartError> {
    match response {
        Ok(token) => {
            let lifetime = token
                .expires_in()
                .and_then(|d| chrono::Duration::from_std(d).ok());
            let expires_at = lifetime.map(|d| chrono::Utc::now() + d);
            Ok(Grant {
                access_token: token.access_token().secret().clone(),
                refresh_token: token.refresh_token().map(|t| t.secret().clone()),
                expires_at,
                lifetime_secs: lifetime.map(|d| d.num_seconds()),
                scope: token.scopes().map(|s| {
                    s.iter()
                        .map(|s| s.to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                }),
                patient: token.extra_fields().patient.clone(),
            })
        }
        Err(RequestTokenError::ServerResponse(e)) => Err(SmartError::Refused {
            error: e.error().as_ref().to_string(),
            description: e.error_description().cloned(),
        }),
        Err(RequestTokenError::Request(e)) => Err(SmartError::Network(error_chain(&e))),
        Err(RequestTokenError::Parse(e, _)) => Err(SmartError::Network(format!(
            "the token response is not valid JSON for OAuth: {e}"
        ))),
        Err(RequestTokenError::Other(e)) => Err(SmartError::Network(e)),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(capabilities: &[&str]) -> SmartConfiguration {
        SmartConfiguration {
            authorization_endpoint: url::Url::parse("https://auth.test/authorize").unwrap(),
            token_endpoint: url::Url::parse("https://auth.test/token").unwrap(),
            revocation_endpoint: None,
            capabilities: capabilities.iter().map(|s| s.to_string()).collect(),
            token_endpoint_auth_methods: vec![],
            scopes_supported: vec![],
            registration_endpoint: None,
        }
    }

    #[test]
    fn the_authorize_url_carries_pkce_state_aud_and_scopes() {
        let client = SmartClient::new(
            &url::Url::parse("http://hearth.test/api/smart/callback").unwrap(),
            crate::reach::Reach::anywhere(),
        )
        .unwrap();
        let reg = Registration::resolve(crate::catalog::SANDBOX, None, false, false).unwrap();
        let scopes: Vec<String> = DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect();
        let a = client.authorize(&reg, &config(&[]), "https://fhir.test/r4", &scopes);
        let q: std::collections::HashMap<String, String> =
            a.url.query_pairs().into_owned().collect();
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], "hearth");
        assert_eq!(q["redirect_uri"], "http://hearth.test/api/smart/callback");
        assert_eq!(q["aud"], "https://fhir.test/r4");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(
            q["scope"],
            "launch/patient openid fhirUser offline_access patient/*.read"
        );
        assert_eq!(q["state"], a.state);
        // The challenge is the verifier's SHA-256, base64url without padding.
        use base64::Engine;
        use sha2::Digest;
        let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(a.verifier.as_bytes()));
        assert_eq!(q["code_challenge"], expected);
        // 16 random bytes of state and 32 of verifier, base64url.
        assert!(a.state.len() >= 22, "state {} too short", a.state);
        assert!(a.verifier.len() >= 43);
        let again = client.authorize(&reg, &config(&[]), "https://fhir.test/r4", &scopes);
        assert_ne!(a.state, again.state);
        assert_ne!(a.verifier, again.verifier);
    }

    #[test]
    fn v2_only_servers_get_rs_scopes() {
        let scopes: Vec<String> = vec!["openid".into(), "patient/*.read".into()];
        assert_eq!(
            scopes_for(&scopes, &config(&["permission-v2"])),
            vec!["openid", "patient/*.rs"]
        );
        assert_eq!(
            scopes_for(&scopes, &config(&["permission-v1", "permission-v2"])),
            vec!["openid", "patient/*.read"]
        );
        assert_eq!(scopes_for(&[], &config(&[])).len(), DEFAULT_SCOPES.len());
    }

    #[test]
    fn registrations_come_from_config_except_for_the_sandbox() {
        let err = Registration::resolve("cerner", None, false, false).unwrap_err();
        assert!(err.to_string().contains("[clients.cerner]"), "{err}");
        let configured = ClientConfig {
            client_id: "abc".into(),
            client_secret: None,
            private_key_file: None,
            key_id: None,
        };
        let reg = Registration::resolve("cerner", Some(&configured), false, false).unwrap();
        assert_eq!(reg.client_id, "abc");
        let err = Registration::resolve("epic", Some(&configured), true, false).unwrap_err();
        assert!(err.to_string().contains("private_key_jwt"), "{err}");
        let err = Registration::resolve("medicare", Some(&configured), false, true).unwrap_err();
        assert!(err.to_string().contains("client_secret"), "{err}");
        let with_secret = ClientConfig {
            client_secret: Some("s".into()),
            ..configured
        };
        let reg = Registration::resolve("medicare", Some(&with_secret), false, true).unwrap();
        assert!(
            !format!("{reg:?}").contains("\"s\""),
            "secrets are never printed"
        );
    }

    #[test]
    fn only_a_dead_grant_needs_reconnecting() {
        let refused = |e: &str| SmartError::Refused {
            error: e.into(),
            description: None,
        };
        assert!(refused("invalid_grant").needs_reconnect());
        assert!(!refused("temporarily_unavailable").needs_reconnect());
        assert!(!SmartError::Network("timeout".into()).needs_reconnect());
    }
}
