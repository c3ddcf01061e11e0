//! Helpers for the sandbox's own tests: a real server on an ephemeral port and
//! a small OAuth client that walks the login and consent forms.

use super::{Faults, RunningSandbox, SandboxData, SandboxOptions, start};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The redirect URI the tests use (never contacted: redirects are not followed).
pub(super) const REDIRECT: &str = "http://127.0.0.1:9/callback";

/// A sandbox under test.
pub(super) struct TestSandbox {
    pub _running: RunningSandbox,
    pub faults: Arc<Faults>,
    /// The static token.
    pub token: String,
    pub http: reqwest::Client,
    /// `http://addr`.
    pub root: String,
    /// `http://addr/fhir`.
    pub base: String,
    /// Patient ids, in order.
    pub patients: Vec<String>,
}

/// A PKCE pair.
pub(super) struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

/// A fresh verifier and its S256 challenge.
pub(super) fn pkce() -> Pkce {
    let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    Pkce {
        verifier,
        challenge,
    }
}

/// Start a sandbox over three generated patients, after `configure` adjusts the options.
pub(super) async fn spawn(configure: impl FnOnce(&mut SandboxOptions)) -> TestSandbox {
    let data = SandboxData::generated(5, 3, 30);
    let patients = data.patients().into_iter().map(|(id, _)| id).collect();
    let mut options = SandboxOptions::with_random_token();
    configure(&mut options);
    let faults = options.faults.clone();
    let token = options.token.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let running = start(listener, data, options).expect("start");
    let root = format!("http://{}", running.addr);
    TestSandbox {
        base: running.base_url.clone(),
        _running: running,
        faults,
        token,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        root,
        patients,
    }
}

/// The value of the hidden `req` input of a login or consent page.
pub(super) fn hidden_req(html: &str) -> String {
    let from = html.find("name=\"req\" value=\"").expect("a req field") + 18;
    let len = html[from..].find('"').expect("closing quote");
    html[from..from + len].to_string()
}

/// One query parameter of a URL.
pub(super) fn param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The `Location` of a redirect, parsed.
pub(super) fn location(response: &reqwest::Response) -> url::Url {
    let text = response
        .headers()
        .get("location")
        .expect("a Location header")
        .to_str()
        .expect("ASCII");
    url::Url::parse(text).expect("an absolute Location")
}

impl TestSandbox {
    /// An authorization request URL; `extra` overrides or adds parameters (empty value: left out).
    pub fn authorize_url(
        &self,
        client_id: &str,
        scope: &str,
        challenge: &str,
        extra: &[(&str, &str)],
    ) -> String {
        let mut params: Vec<(&str, &str)> = vec![
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", REDIRECT),
            ("scope", scope),
            ("state", "st-123"),
            ("aud", &self.base),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ];
        for (k, v) in extra {
            params.retain(|(p, _)| p != k);
            if !v.is_empty() {
                params.push((k, v));
            }
        }
        let mut url = url::Url::parse(&format!("{}/oauth/authorize", self.root)).expect("URL");
        url.query_pairs_mut().extend_pairs(params);
        url.to_string()
    }

    /// Walk the login and consent pages for `authorize_url`; the final redirect's target.
    pub async fn through_forms(
        &self,
        authorize_url: &str,
        patient: &str,
        decision: &str,
    ) -> url::Url {
        let page = self
            .http
            .get(authorize_url)
            .send()
            .await
            .expect("authorize");
        assert_eq!(page.status(), StatusCode::OK, "the login page");
        let html = page.text().await.expect("body");
        assert!(html.contains("id=\"patient\"") && html.contains("id=\"password\""));
        let req = hidden_req(&html);
        let consent = self
            .http
            .post(format!("{}/oauth/login", self.root))
            .form(&[
                ("req", req.as_str()),
                ("patient", patient),
                ("password", "sandbox"),
            ])
            .send()
            .await
            .expect("login");
        assert_eq!(consent.status(), StatusCode::OK, "the consent page");
        let html = consent.text().await.expect("body");
        assert!(html.contains("id=\"allow\""));
        let done = self
            .http
            .post(format!("{}/oauth/consent", self.root))
            .form(&[("req", hidden_req(&html).as_str()), ("decision", decision)])
            .send()
            .await
            .expect("consent");
        assert_eq!(done.status(), StatusCode::SEE_OTHER);
        location(&done)
    }

    /// A code for the `hearth` client through the forms, with its PKCE pair.
    pub async fn code(&self, client_id: &str, scope: &str, patient: &str) -> (String, Pkce) {
        let pkce = pkce();
        let url = self.authorize_url(client_id, scope, &pkce.challenge, &[]);
        let back = self.through_forms(&url, patient, "allow").await;
        assert_eq!(param(&back, "state").as_deref(), Some("st-123"));
        (param(&back, "code").expect("a code"), pkce)
    }

    /// POST a form to the token endpoint: status and JSON body.
    pub async fn token_call(&self, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}/oauth/token", self.root))
            .form(form)
            .send()
            .await
            .expect("token endpoint");
        let status = response.status();
        (status, response.json().await.expect("JSON"))
    }

    /// Redeem a code for the public `hearth` client.
    pub async fn redeem(&self, code: &str, verifier: &str) -> (StatusCode, Value) {
        self.token_call(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
            ("client_id", "hearth"),
        ])
        .await
    }

    /// Tokens for `patient` from the `hearth` client through the whole flow.
    pub async fn tokens(&self, scope: &str, patient: &str) -> Value {
        let (code, pkce) = self.code("hearth", scope, patient).await;
        let (status, body) = self.redeem(&code, &pkce.verifier).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// Refresh with the public `hearth` client.
    pub async fn refresh(&self, refresh_token: &str) -> (StatusCode, Value) {
        self.token_call(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", "hearth"),
        ])
        .await
    }

    /// `GET {base}/{path}` with a bearer token.
    pub async fn fhir(&self, token: &str, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}/{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("FHIR request")
    }
}
