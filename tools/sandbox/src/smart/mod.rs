//! A SMART App Launch 2 authorization server for standalone patient launch:
//! authorization code with PKCE (S256 only), public and confidential clients,
//! refresh tokens with rotation and reuse detection, and RFC 7009 revocation.
//!
//! The user signs in on a login page (pick a sandbox patient, type the sandbox
//! password), then allows or denies the requested scopes on a consent page.
//! Everything lives in memory; nothing survives a restart.

mod pages;
mod scopes;
#[cfg(test)]
mod tests;

use pages::{consent_page, error_page, login_page};
pub(crate) use scopes::{Action, Scopes};

use super::faults::Faults;
use super::fhir::FhirBase;
use super::{Sandbox, outcome};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long the login and consent pages stay usable.
const PENDING_TTL: Duration = Duration::from_secs(600);
/// How long an authorization code can be redeemed.
const CODE_TTL: Duration = Duration::from_secs(60);
/// How long a used code is remembered, so a second use can revoke its tokens.
const USED_CODE_MEMORY: Duration = Duration::from_secs(600);

/// An OAuth client registered with the sandbox's authorization server.
#[derive(Debug, Clone)]
pub struct SandboxClient {
    /// `client_id`.
    pub id: String,
    /// The shared secret of a confidential client (`None`: a public client, PKCE only).
    pub secret: Option<String>,
    /// Redirect URIs the client may use (exact match).
    pub redirect_uris: Vec<String>,
    /// Also accept any absolute http(s) redirect URI, for clients whose port is only known at run time.
    pub accept_any_redirect: bool,
    /// The PEM public key of an asymmetric client (`private_key_jwt`, RS384 or ES384).
    pub public_key_pem: Option<String>,
}

impl SandboxClient {
    /// A public client (PKCE, no secret) allowed exactly `redirect_uris`.
    pub fn public(id: impl Into<String>, redirect_uris: Vec<String>) -> SandboxClient {
        SandboxClient {
            id: id.into(),
            secret: None,
            redirect_uris,
            accept_any_redirect: false,
            public_key_pem: None,
        }
    }

    /// A confidential client with a shared secret, allowed exactly `redirect_uris`.
    pub fn confidential(
        id: impl Into<String>,
        secret: impl Into<String>,
        redirect_uris: Vec<String>,
    ) -> SandboxClient {
        SandboxClient {
            id: id.into(),
            secret: Some(secret.into()),
            redirect_uris,
            accept_any_redirect: false,
            public_key_pem: None,
        }
    }

    /// An asymmetric confidential client that authenticates with a JWT signed by the key whose public half is `public_key_pem`.
    pub fn asymmetric(
        id: impl Into<String>,
        public_key_pem: impl Into<String>,
        redirect_uris: Vec<String>,
    ) -> SandboxClient {
        SandboxClient {
            id: id.into(),
            secret: None,
            redirect_uris,
            accept_any_redirect: false,
            public_key_pem: Some(public_key_pem.into()),
        }
    }

    fn allows_redirect(&self, uri: &str) -> bool {
        if self.redirect_uris.iter().any(|u| u == uri) {
            return true;
        }
        // RFC 6749 3.1.2: an absolute URI without a fragment.
        self.accept_any_redirect
            && url::Url::parse(uri)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.fragment().is_none())
    }
}

/// An authorization request waiting on the login and consent pages.
struct Pending {
    client_id: String,
    redirect_uri: String,
    state: String,
    challenge: String,
    scopes: Scopes,
    not_offered: Vec<String>,
    login_hint: Option<String>,
    expires: Instant,
    /// Set once the user signed in.
    patient: Option<String>,
}

/// An authorization code.
struct Code {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    patient: String,
    scopes: Scopes,
    expires: Instant,
    /// `None`: not yet redeemed; `Some(grant)`: redeemed (and the grant it made, if any).
    redeemed: Option<Option<u64>>,
}

/// What one authorization granted; every token issued from it shares its fate.
struct Grant {
    client_id: String,
    patient: String,
    scopes: Scopes,
    revoked: bool,
    /// The fault switches' revoke epoch when the grant was made.
    epoch: u64,
}

struct AccessToken {
    grant: u64,
    scopes: Scopes,
    expires: Instant,
    /// The fault switches' access epoch when the token was issued.
    epoch: u64,
}

struct RefreshToken {
    grant: u64,
    /// False once rotated: presenting it again is reuse.
    current: bool,
}

/// The authorization server's memory.
#[derive(Default)]
pub(super) struct AuthStore {
    /// Clients that registered themselves (RFC 7591).
    registered: Vec<SandboxClient>,
    pending: HashMap<String, Pending>,
    codes: HashMap<String, Code>,
    grants: HashMap<u64, Grant>,
    next_grant: u64,
    access: HashMap<String, AccessToken>,
    refresh: HashMap<String, RefreshToken>,
}

/// A fresh 256-bit secret, URL-safe.
fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

impl AuthStore {
    /// The patient and scopes of a live access token, or why it is not one.
    pub(super) fn access(
        &self,
        token: &str,
        faults: &Faults,
        now: Instant,
    ) -> Result<(String, Scopes), &'static str> {
        let t = self
            .access
            .get(token)
            .ok_or("the access token is not known")?;
        let grant = self
            .live_grant(t.grant, faults)
            .ok_or("the access token was revoked")?;
        if t.epoch != faults.access_epoch() || now >= t.expires {
            return Err("the access token expired");
        }
        Ok((grant.patient.clone(), t.scopes.clone()))
    }

    fn live_grant(&self, id: u64, faults: &Faults) -> Option<&Grant> {
        self.grants
            .get(&id)
            .filter(|g| !g.revoked && g.epoch == faults.revoke_epoch())
    }

    fn revoke(&mut self, id: u64) {
        if let Some(g) = self.grants.get_mut(&id) {
            g.revoked = true;
        }
    }

    fn issue_code(&mut self, code: Code, now: Instant) -> String {
        self.codes.retain(|_, c| c.expires + USED_CODE_MEMORY > now);
        let value = random_token();
        self.codes.insert(value.clone(), code);
        value
    }

    fn new_grant(&mut self, grant: Grant) -> u64 {
        self.next_grant += 1;
        self.grants.insert(self.next_grant, grant);
        self.next_grant
    }

    /// A new access token (and refresh token if `refresh`) for grant `id`.
    fn issue(
        &mut self,
        id: u64,
        scopes: Scopes,
        refresh: bool,
        ttl: Duration,
        faults: &Faults,
        now: Instant,
    ) -> (String, Option<String>) {
        let epoch = faults.access_epoch();
        self.access
            .retain(|_, t| t.expires > now && t.epoch == epoch);
        let access = random_token();
        self.access.insert(
            access.clone(),
            AccessToken {
                grant: id,
                scopes,
                expires: now + ttl,
                epoch,
            },
        );
        let refresh = refresh.then(|| {
            let value = random_token();
            self.refresh.insert(
                value.clone(),
                RefreshToken {
                    grant: id,
                    current: true,
                },
            );
            value
        });
        (access, refresh)
    }
}

/// The OAuth routes (relative to the sandbox root).
pub(super) fn routes() -> Router<Arc<Sandbox>> {
    Router::new()
        .route("/oauth/authorize", get(authorize))
        .route("/oauth/login", post(login))
        .route("/oauth/consent", post(consent))
        .route("/oauth/token", post(token))
        .route("/oauth/revoke", post(revoke))
        .route("/oauth/register", post(register))
}

impl Sandbox {
    /// The client `id`: configured, or registered at `/oauth/register`.
    fn client(&self, id: &str) -> Option<SandboxClient> {
        self.options
            .clients
            .iter()
            .find(|c| c.id == id)
            .cloned()
            .or_else(|| self.auth().registered.iter().find(|c| c.id == id).cloned())
    }
}

/// `POST /oauth/register`: dynamic client registration (RFC 7591) of a
/// public client (PKCE, `token_endpoint_auth_method: none`) for its exact
/// redirect URIs.
async fn register(State(state): State<Arc<Sandbox>>, body: Bytes) -> Response {
    let refuse = |error: &str, description: &str| {
        (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": error, "error_description": description})),
        )
            .into_response()
    };
    if !state.options.dynamic_registration {
        return outcome(
            StatusCode::NOT_FOUND,
            "not-found",
            "this sandbox does not offer dynamic client registration",
        );
    }
    let Ok(metadata) = serde_json::from_slice::<Value>(&body) else {
        return refuse("invalid_client_metadata", "the body is not JSON");
    };
    let uris: Vec<String> = metadata["redirect_uris"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| u.as_str())
        .map(str::to_string)
        .collect();
    if uris.is_empty()
        || !uris
            .iter()
            .all(|u| url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https")))
    {
        return refuse(
            "invalid_redirect_uri",
            "redirect_uris must list absolute http(s) URIs",
        );
    }
    match metadata["token_endpoint_auth_method"].as_str() {
        None | Some("none") => {}
        Some(_) => {
            return refuse(
                "invalid_client_metadata",
                "this sandbox registers public clients only (token_endpoint_auth_method: none)",
            );
        }
    }
    let client = SandboxClient {
        id: format!("dyn-{}", &random_token()[..16]),
        secret: None,
        redirect_uris: uris.clone(),
        accept_any_redirect: false,
        public_key_pem: None,
    };
    let id = client.id.clone();
    state.auth().registered.push(client);
    (
        StatusCode::CREATED,
        axum::Json(json!({
            "client_id": id,
            "client_id_issued_at": chrono::Utc::now().timestamp(),
            "client_name": metadata["client_name"],
            "redirect_uris": uris,
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
        })),
    )
        .into_response()
}

/// `rest.security` of the CapabilityStatement: the SMART service and the OAuth URIs.
pub(super) fn capability_security(root: &str) -> Value {
    json!({
        "extension": [{
            "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
            "extension": [
                {"url": "authorize", "valueUri": format!("{root}/oauth/authorize")},
                {"url": "token", "valueUri": format!("{root}/oauth/token")},
                {"url": "revoke", "valueUri": format!("{root}/oauth/revoke")},
            ],
        }],
        "service": [{
            "coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                "code": "SMART-on-FHIR",
            }],
            "text": "OAuth2 using SMART-on-FHIR profile (see http://docs.smarthealthit.org)",
        }],
    })
}

/// `GET [base]/.well-known/smart-configuration`.
pub(super) async fn configuration(
    State(state): State<Arc<Sandbox>>,
    Extension(base): Extension<FhirBase>,
) -> Response {
    if !state.options.smart_configuration {
        return outcome(
            StatusCode::NOT_FOUND,
            "not-found",
            "no SMART configuration here: read the OAuth URIs from metadata",
        );
    }
    let root = &state.root;
    let mut body = json!({
        "issuer": state.base_url(base),
        "authorization_endpoint": format!("{root}/oauth/authorize"),
        "token_endpoint": format!("{root}/oauth/token"),
        "revocation_endpoint": format!("{root}/oauth/revoke"),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS384", "ES384"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "scopes_supported": [
            "launch/patient", "offline_access", "online_access",
            "patient/*.read", "patient/*.rs", "user/*.read", "user/*.rs",
        ],
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "capabilities": [
            "launch-standalone", "client-public", "client-confidential-symmetric",
            "client-confidential-asymmetric",
            "context-standalone-patient", "permission-offline", "permission-patient",
            "permission-v1", "permission-v2",
        ],
    });
    if state.options.dynamic_registration {
        body["registration_endpoint"] = json!(format!("{root}/oauth/register"));
    }
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// Query or form parameters; RFC 6749 3.1: empty ones count as absent, repeated ones are an error.
fn parse_params(bytes: &[u8]) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(bytes) {
        if v.is_empty() {
            continue;
        }
        let k = k.into_owned();
        if out.contains_key(&k) {
            return Err(format!("parameter {k} is repeated"));
        }
        out.insert(k, v.into_owned());
    }
    Ok(out)
}

/// The parameters of an `application/x-www-form-urlencoded` body.
fn form_body(headers: &HeaderMap, body: &[u8]) -> Result<HashMap<String, String>, String> {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or_default()
        .trim();
    if !media.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err("the body must be application/x-www-form-urlencoded".into());
    }
    parse_params(body)
}

/// Equality whose time does not depend on where the texts differ.
fn constant_eq(a: &str, b: &str) -> bool {
    let (x, y) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    x.iter()
        .zip(y.iter())
        .fold(0u8, |acc, (p, q)| acc | (p ^ q))
        == 0
}

/// The S256 code challenge of a verifier.
fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// RFC 7636 4.1: 43 to 128 unreserved characters.
fn valid_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// An S256 challenge: a SHA-256 in base64url without padding.
fn valid_challenge(c: &str) -> bool {
    c.len() == 43
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Undo application/x-www-form-urlencoded on one value (RFC 6749 2.3.1 Basic credentials).
fn form_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// `Some(Ok((id, secret)))` for Basic credentials, `Some(Err(()))` if malformed,
/// `None` without a Basic Authorization header.
fn basic_credentials(headers: &HeaderMap) -> Option<Result<(String, String), ()>> {
    let value = headers.get(header::AUTHORIZATION)?;
    let value = value.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let parsed = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|d| String::from_utf8(d).ok())
        .and_then(|text| {
            let (id, secret) = text.split_once(':')?;
            Some((form_decode(id)?, form_decode(secret)?))
        });
    Some(parsed.ok_or(()))
}

/// A JSON OAuth error, never cached.
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = json!({"error": error, "error_description": description});
    let mut response = (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        body.to_string(),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Basic realm="hearth-sandbox""#),
        );
    }
    response
}

fn invalid_client(description: &str) -> Response {
    oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", description)
}

fn invalid_request(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_request", description)
}

fn invalid_grant(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

/// A failed client authentication: `invalid_client` (401) or `invalid_request` (400).
struct ClientRefused {
    error: &'static str,
    description: &'static str,
}

impl ClientRefused {
    fn client(description: &'static str) -> ClientRefused {
        ClientRefused {
            error: "invalid_client",
            description,
        }
    }

    fn request(description: &'static str) -> ClientRefused {
        ClientRefused {
            error: "invalid_request",
            description,
        }
    }

    fn response(&self) -> Response {
        match self.error {
            "invalid_client" => invalid_client(self.description),
            _ => invalid_request(self.description),
        }
    }
}

/// The client a token or revocation request authenticates as (RFC 6749 2.3).
fn authenticate_client(
    state: &Sandbox,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<SandboxClient, ClientRefused> {
    if let Some(kind) = form.get("client_assertion_type") {
        return authenticate_assertion(state, kind, form);
    }
    let (id, secret) = match basic_credentials(headers) {
        Some(Err(())) => {
            return Err(ClientRefused::client("the Basic credentials are malformed"));
        }
        Some(Ok((id, secret))) => {
            if form.contains_key("client_secret") {
                return Err(ClientRefused::request(
                    "use one client authentication method, not Basic and client_secret",
                ));
            }
            if form.get("client_id").is_some_and(|f| *f != id) {
                return Err(ClientRefused::request(
                    "client_id differs from the Basic credentials",
                ));
            }
            (id, Some(secret))
        }
        None => match form.get("client_id") {
            Some(id) => (id.clone(), form.get("client_secret").cloned()),
            None => {
                return Err(ClientRefused::client("no client_id or client credentials"));
            }
        },
    };
    let client = state
        .client(&id)
        .ok_or_else(|| ClientRefused::client("unknown client"))?;
    if client.public_key_pem.is_some() {
        return Err(ClientRefused::client(
            "this client authenticates with private_key_jwt",
        ));
    }
    match (&client.secret, secret.as_deref()) {
        (Some(expected), Some(given)) if constant_eq(expected, given) => Ok(client),
        (Some(_), _) => Err(ClientRefused::client("wrong or missing client secret")),
        (None, None | Some("")) => Ok(client),
        (None, Some(_)) => Err(ClientRefused::client(
            "a public client must not send a secret",
        )),
    }
}

/// `private_key_jwt` (RFC 7523, SMART's asymmetric client authentication):
/// the assertion must be signed by the client's registered key, name the
/// client as issuer and subject and this token endpoint as audience, and not
/// be expired.
fn authenticate_assertion(
    state: &Sandbox,
    kind: &str,
    form: &HashMap<String, String>,
) -> Result<SandboxClient, ClientRefused> {
    use jsonwebtoken::{Algorithm, DecodingKey, Validation};
    if kind != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
        return Err(ClientRefused::request("unsupported client_assertion_type"));
    }
    let assertion = form
        .get("client_assertion")
        .ok_or(ClientRefused::request("client_assertion is missing"))?;
    let header = jsonwebtoken::decode_header(assertion)
        .map_err(|_| ClientRefused::client("the client assertion is not a JWT"))?;
    if !matches!(header.alg, Algorithm::RS384 | Algorithm::ES384) {
        return Err(ClientRefused::client(
            "the assertion must be signed with RS384 or ES384",
        ));
    }
    let unverified = jsonwebtoken::dangerous::insecure_decode::<serde_json::Value>(assertion)
        .map_err(|_| ClientRefused::client("the client assertion is not a JWT"))?;
    let issuer = unverified.claims["iss"].as_str().unwrap_or_default();
    let client = state
        .client(issuer)
        .ok_or_else(|| ClientRefused::client("unknown client"))?;
    let pem = client
        .public_key_pem
        .as_deref()
        .ok_or(ClientRefused::client("this client has no registered key"))?;
    let key = match header.alg {
        Algorithm::RS384 => DecodingKey::from_rsa_pem(pem.as_bytes()),
        _ => DecodingKey::from_ec_pem(pem.as_bytes()),
    }
    .map_err(|_| ClientRefused::client("the registered key cannot verify this algorithm"))?;
    let mut validation = Validation::new(header.alg);
    validation.set_audience(&[format!("{}/oauth/token", state.root)]);
    validation.set_issuer(&[client.id.as_str()]);
    validation.sub = Some(client.id.clone());
    validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
    jsonwebtoken::decode::<serde_json::Value>(assertion, &key, &validation)
        .map_err(|_| ClientRefused::client("the client assertion does not verify"))?;
    if form.get("client_id").is_some_and(|id| *id != client.id) {
        return Err(ClientRefused::request(
            "client_id differs from the assertion",
        ));
    }
    Ok(client)
}

/// A redirect to the client with `params` added to its redirect URI's query.
fn redirect(status: StatusCode, redirect_uri: &str, params: &[(&str, Option<&str>)]) -> Response {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "The redirect_uri is not an absolute URL.",
        );
    };
    {
        let mut query = url.query_pairs_mut();
        for (k, v) in params {
            if let Some(v) = v {
                query.append_pair(k, v);
            }
        }
    }
    match HeaderValue::from_str(url.as_str()) {
        Ok(location) => (
            status,
            [
                (header::LOCATION, location),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
        )
            .into_response(),
        Err(_) => error_page(StatusCode::BAD_REQUEST, "The redirect_uri cannot be used."),
    }
}

/// `GET /oauth/authorize`: check the request, then show the login page (or, with
/// `auto_approve`, redirect at once with a code).
async fn authorize(State(state): State<Arc<Sandbox>>, RawQuery(query): RawQuery) -> Response {
    let params = match parse_params(query.as_deref().unwrap_or_default().as_bytes()) {
        Ok(p) => p,
        Err(e) => return error_page(StatusCode::BAD_REQUEST, &e),
    };
    let get = |name: &str| params.get(name).map(String::as_str);
    // Until client and redirect URI are known good, errors go to the user, not to a redirect.
    let Some(client_id) = get("client_id") else {
        return error_page(StatusCode::BAD_REQUEST, "The request has no client_id.");
    };
    let Some(client) = state.client(client_id) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            &format!("The client {client_id} is not registered with the sandbox."),
        );
    };
    let Some(redirect_uri) = get("redirect_uri") else {
        return error_page(StatusCode::BAD_REQUEST, "The request has no redirect_uri.");
    };
    if !client.allows_redirect(redirect_uri) {
        return error_page(
            StatusCode::BAD_REQUEST,
            &format!(
                "The redirect_uri {redirect_uri} is not registered for the client {client_id}."
            ),
        );
    }
    let client_state = get("state");
    let fail = |error: &str, description: &str| {
        redirect(
            StatusCode::FOUND,
            redirect_uri,
            &[
                ("error", Some(error)),
                ("error_description", Some(description)),
                ("state", client_state),
            ],
        )
    };
    match get("response_type") {
        None => return fail("invalid_request", "response_type is missing"),
        Some("code") => {}
        Some(other) => {
            return fail(
                "unsupported_response_type",
                &format!("response_type {other} is not supported; use code"),
            );
        }
    }
    let Some(client_state) = client_state else {
        return fail("invalid_request", "state is missing");
    };
    if get("code_challenge_method") != Some("S256") {
        return fail(
            "invalid_request",
            "code_challenge_method must be S256 (plain is refused)",
        );
    }
    let Some(challenge) = get("code_challenge").filter(|c| valid_challenge(c)) else {
        return fail(
            "invalid_request",
            "code_challenge must be a base64url SHA-256 (43 characters)",
        );
    };
    let audiences: Vec<String> = state.bases.iter().map(|&b| state.base_url(b)).collect();
    match get("aud") {
        None => return fail("invalid_request", "aud is missing"),
        Some(aud) if !audiences.iter().any(|a| a == aud.trim_end_matches('/')) => {
            return fail(
                "invalid_request",
                &format!(
                    "aud {aud} is not this server's FHIR base ({})",
                    audiences.join(", ")
                ),
            );
        }
        Some(_) => {}
    }
    let Some(scope) = get("scope") else {
        return fail("invalid_scope", "scope is missing");
    };
    let (scopes, not_offered) = match Scopes::parse(scope) {
        Ok(s) => s,
        Err(e) => return fail("invalid_scope", &e),
    };
    let login_hint = get("login_hint").map(str::to_string);
    let now = Instant::now();
    if state.options.auto_approve {
        let patient = match login_hint.as_deref() {
            Some(hint) => {
                let hint = hint.strip_prefix("Patient/").unwrap_or(hint);
                state.data.by_id.get(hint).map(|_| hint.to_string())
            }
            None => state.data.patients.first().map(|p| p.id.clone()),
        };
        let Some(patient) = patient else {
            return fail(
                "invalid_request",
                "login_hint names no sandbox patient (or there are none)",
            );
        };
        let code = state.auth().issue_code(
            Code {
                client_id: client_id.to_string(),
                redirect_uri: redirect_uri.to_string(),
                challenge: challenge.to_string(),
                patient,
                scopes,
                expires: now + CODE_TTL,
                redeemed: None,
            },
            now,
        );
        return redirect(
            StatusCode::FOUND,
            redirect_uri,
            &[("code", Some(&code)), ("state", Some(client_state))],
        );
    }
    let pending = Pending {
        client_id: client_id.to_string(),
        redirect_uri: redirect_uri.to_string(),
        state: client_state.to_string(),
        challenge: challenge.to_string(),
        scopes,
        not_offered,
        login_hint,
        expires: now + PENDING_TTL,
        patient: None,
    };
    let req = random_token();
    let response = login_page(&state, &req, &pending, None);
    let mut store = state.auth();
    store.pending.retain(|_, p| p.expires > now);
    store.pending.insert(req, pending);
    response
}

const UNKNOWN_REQUEST: &str =
    "This sign-in request is unknown or has expired. Start again from the app.";

/// `POST /oauth/login`: the password and the chosen patient.
async fn login(State(state): State<Arc<Sandbox>>, headers: HeaderMap, body: Bytes) -> Response {
    let form = match form_body(&headers, &body) {
        Ok(f) => f,
        Err(e) => return error_page(StatusCode::BAD_REQUEST, &e),
    };
    let now = Instant::now();
    let req = form.get("req").map(String::as_str).unwrap_or_default();
    let mut store = state.auth();
    let Some(pending) = store.pending.get_mut(req).filter(|p| p.expires > now) else {
        return error_page(StatusCode::BAD_REQUEST, UNKNOWN_REQUEST);
    };
    let patient = form
        .get("patient")
        .filter(|p| state.data.by_id.contains_key(p.as_str()));
    let Some(patient) = patient else {
        return login_page(
            &state,
            req,
            pending,
            Some((StatusCode::BAD_REQUEST, "Choose a patient.")),
        );
    };
    let password = form.get("password").map(String::as_str).unwrap_or_default();
    if !constant_eq(password, &state.options.password) {
        return login_page(
            &state,
            req,
            pending,
            Some((StatusCode::UNAUTHORIZED, "Wrong password.")),
        );
    }
    pending.patient = Some(patient.clone());
    consent_page(&state, req, pending, patient)
}

/// `POST /oauth/consent`: allow (a code) or deny (`access_denied`).
async fn consent(State(state): State<Arc<Sandbox>>, headers: HeaderMap, body: Bytes) -> Response {
    let form = match form_body(&headers, &body) {
        Ok(f) => f,
        Err(e) => return error_page(StatusCode::BAD_REQUEST, &e),
    };
    let now = Instant::now();
    let req = form.get("req").map(String::as_str).unwrap_or_default();
    let decision = form.get("decision").map(String::as_str);
    let mut store = state.auth();
    let Some(pending) = store.pending.get(req).filter(|p| p.expires > now) else {
        return error_page(StatusCode::BAD_REQUEST, UNKNOWN_REQUEST);
    };
    if pending.patient.is_none() {
        return error_page(StatusCode::BAD_REQUEST, "Sign in before you allow access.");
    }
    if !matches!(decision, Some("allow" | "deny")) {
        return error_page(
            StatusCode::BAD_REQUEST,
            "The decision must be allow or deny.",
        );
    }
    let Some(pending) = store.pending.remove(req) else {
        return error_page(StatusCode::BAD_REQUEST, UNKNOWN_REQUEST);
    };
    let Some(patient) = pending.patient else {
        return error_page(StatusCode::BAD_REQUEST, "Sign in before you allow access.");
    };
    if decision == Some("deny") {
        return redirect(
            StatusCode::SEE_OTHER,
            &pending.redirect_uri,
            &[
                ("error", Some("access_denied")),
                ("error_description", Some("the user denied access")),
                ("state", Some(&pending.state)),
            ],
        );
    }
    let code = store.issue_code(
        Code {
            client_id: pending.client_id,
            redirect_uri: pending.redirect_uri.clone(),
            challenge: pending.challenge,
            patient,
            scopes: pending.scopes,
            expires: now + CODE_TTL,
            redeemed: None,
        },
        now,
    );
    redirect(
        StatusCode::SEE_OTHER,
        &pending.redirect_uri,
        &[("code", Some(&code)), ("state", Some(&pending.state))],
    )
}

/// The token response (RFC 6749 5.1, plus SMART's `patient`).
fn token_response(
    access: &str,
    refresh: Option<&str>,
    ttl: Duration,
    scopes: &Scopes,
    patient: &str,
) -> Response {
    let mut body = json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": ttl.as_secs(),
        "scope": scopes.text(),
        "patient": patient,
    });
    if let Some(refresh) = refresh {
        body["refresh_token"] = json!(refresh);
    }
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        body.to_string(),
    )
        .into_response()
}

/// `POST /oauth/token`.
async fn token(State(state): State<Arc<Sandbox>>, headers: HeaderMap, body: Bytes) -> Response {
    let form = match form_body(&headers, &body) {
        Ok(f) => f,
        Err(e) => return invalid_request(&e),
    };
    let grant_type = form
        .get("grant_type")
        .map(String::as_str)
        .unwrap_or_default();
    state.options.faults.count_token_request(grant_type);
    let client = match authenticate_client(&state, &headers, &form) {
        Ok(c) => c,
        Err(refused) => return refused.response(),
    };
    match grant_type {
        "" => invalid_request("grant_type is missing"),
        "authorization_code" => code_grant(&state, &client, &form),
        "refresh_token" => refresh_grant(&state, &client, &form),
        other => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("grant_type {other} is not supported"),
        ),
    }
}

fn code_grant(state: &Sandbox, client: &SandboxClient, form: &HashMap<String, String>) -> Response {
    let (Some(code), Some(redirect_uri), Some(verifier)) = (
        form.get("code"),
        form.get("redirect_uri"),
        form.get("code_verifier"),
    ) else {
        return invalid_request("code, redirect_uri and code_verifier are required");
    };
    if !valid_verifier(verifier) {
        return invalid_request("code_verifier must be 43 to 128 unreserved characters");
    }
    let faults = &state.options.faults;
    let now = Instant::now();
    let mut store = state.auth();
    let Some(entry) = store.codes.get_mut(code.as_str()) else {
        return invalid_grant("the code is not known");
    };
    if let Some(made) = entry.redeemed {
        // A code seen twice may have been stolen: what it granted is withdrawn (RFC 6749 4.1.2).
        if let Some(grant) = made {
            store.revoke(grant);
        }
        return invalid_grant("the code was already used; the tokens issued for it are revoked");
    }
    // Spent by this attempt whatever its outcome, so a verifier cannot be guessed.
    entry.redeemed = Some(None);
    if now >= entry.expires {
        return invalid_grant("the code expired");
    }
    if entry.client_id != client.id {
        return invalid_grant("the code was issued to another client");
    }
    if entry.redirect_uri != *redirect_uri {
        return invalid_grant("redirect_uri differs from the authorization request");
    }
    if !constant_eq(&s256(verifier), &entry.challenge) {
        return invalid_grant("code_verifier does not match the code_challenge");
    }
    let patient = entry.patient.clone();
    let scopes = entry.scopes.clone();
    let grant = store.new_grant(Grant {
        client_id: client.id.clone(),
        patient: patient.clone(),
        scopes: scopes.clone(),
        revoked: false,
        epoch: faults.revoke_epoch(),
    });
    if let Some(entry) = store.codes.get_mut(code.as_str()) {
        entry.redeemed = Some(Some(grant));
    }
    let ttl = state.options.access_ttl;
    let (access, refresh) = store.issue(
        grant,
        scopes.clone(),
        scopes.refreshable(),
        ttl,
        faults,
        now,
    );
    token_response(&access, refresh.as_deref(), ttl, &scopes, &patient)
}

fn refresh_grant(
    state: &Sandbox,
    client: &SandboxClient,
    form: &HashMap<String, String>,
) -> Response {
    let Some(presented) = form.get("refresh_token") else {
        return invalid_request("refresh_token is required");
    };
    let faults = &state.options.faults;
    let now = Instant::now();
    let mut store = state.auth();
    let Some((id, current)) = store
        .refresh
        .get(presented.as_str())
        .map(|r| (r.grant, r.current))
    else {
        return invalid_grant("the refresh token is not known");
    };
    let Some(grant) = store.grants.get(&id) else {
        return invalid_grant("the refresh token is not known");
    };
    if grant.client_id != client.id {
        return invalid_grant("the refresh token was issued to another client");
    }
    if !current {
        // A rotated token came back: one of its holders is not the client (RFC 9700 4.14.2).
        store.revoke(id);
        return invalid_grant("the refresh token was already used; the grant is revoked");
    }
    let Some(grant) = store.live_grant(id, faults) else {
        return invalid_grant("the grant was revoked");
    };
    let patient = grant.patient.clone();
    let scopes = match form.get("scope") {
        None => grant.scopes.clone(),
        Some(asked) => match Scopes::parse(asked) {
            Ok((narrow, _))
                if narrow
                    .granted
                    .iter()
                    .all(|s| grant.scopes.granted.contains(s)) =>
            {
                narrow
            }
            Ok(_) => {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    "a refresh may only narrow the granted scopes",
                );
            }
            Err(e) => return oauth_error(StatusCode::BAD_REQUEST, "invalid_scope", &e),
        },
    };
    if let Some(old) = store.refresh.get_mut(presented.as_str()) {
        old.current = false;
    }
    let ttl = state.options.access_ttl;
    let (access, refresh) = store.issue(id, scopes.clone(), true, ttl, faults, now);
    token_response(&access, refresh.as_deref(), ttl, &scopes, &patient)
}

/// `POST /oauth/revoke` (RFC 7009): withdraw the grant a token belongs to.
async fn revoke(State(state): State<Arc<Sandbox>>, headers: HeaderMap, body: Bytes) -> Response {
    let form = match form_body(&headers, &body) {
        Ok(f) => f,
        Err(e) => return invalid_request(&e),
    };
    let client = match authenticate_client(&state, &headers, &form) {
        Ok(c) => c,
        Err(refused) => return refused.response(),
    };
    let Some(token) = form.get("token") else {
        return invalid_request("token is required");
    };
    let mut store = state.auth();
    let grant = store
        .access
        .get(token.as_str())
        .map(|t| t.grant)
        .or_else(|| store.refresh.get(token.as_str()).map(|t| t.grant));
    // Only the client's own tokens; unknown ones are answered 200 all the same (RFC 7009 2.2).
    if let Some(id) = grant
        && store
            .grants
            .get(&id)
            .is_some_and(|g| g.client_id == client.id)
    {
        store.revoke(id);
    }
    (
        StatusCode::OK,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
    )
        .into_response()
}
