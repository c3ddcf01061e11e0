//! Helpers for integration tests: real servers on ephemeral loopback ports.
#![allow(dead_code)]

use hearth_host::config::{Config, PluginLimits};
use hearth_host::server::{self, Running};
use hearth_sandbox::{self as sandbox, RunningSandbox, SandboxData, SandboxOptions};
use serde_json::{Value, json};
use std::path::PathBuf;
use tokio::net::TcpListener;

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A folder of plugin packages built by `make plugins`.
pub fn plugin_dir(name: &str) -> PathBuf {
    let dir = root().join("dist").join(name);
    assert!(
        dir.join(if name == "plugins" {
            "fhir-r4"
        } else {
            "test-misbehave"
        })
        .join("plugin.wasm")
        .exists(),
        "{} has no built plugins: run `make plugins` (or `make test`) first",
        dir.display()
    );
    dir
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address")
        .port()
}

/// The password test accounts use.
pub const PASSWORD: &str = "a garden of tall sunflowers";

/// A running host with its own data folder, set up with an administrator
/// (`owner`) who owns one profile; `client` sends that user's bearer token.
pub struct Host {
    pub running: Running,
    /// The host's services, for what the API does not offer yet.
    pub state: hearth_host::api::AppState,
    pub base: String,
    /// Signed in as the first administrator.
    pub client: reqwest::Client,
    /// Sends no credentials.
    pub anon: reqwest::Client,
    pub data: tempfile::TempDir,
    /// The administrator's own profile.
    pub profile: String,
    /// The administrator's access token.
    pub token: String,
}

/// Set up a fresh host at `base` with the administrator `owner` (password
/// [`PASSWORD`]); their access token and own profile.
pub async fn set_up_owner(base: &str) -> (String, String) {
    let setup: Value = reqwest::Client::new()
        .post(format!("{base}/api/setup"))
        .json(&json!({"username": "owner", "password": PASSWORD, "display_name": "Olive Owner", "profile_name": "Olive"}))
        .send()
        .await
        .expect("setup")
        .json()
        .await
        .expect("setup json");
    let token = setup["access_token"]
        .as_str()
        .expect("access token")
        .to_string();
    let me: Value = bearer_client(&token)
        .get(format!("{base}/api/me"))
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("me json");
    let profile = me["profiles"][0]["id"]
        .as_str()
        .expect("profile")
        .to_string();
    (token, profile)
}

/// A client that sends `token` as a bearer token on every request.
pub fn bearer_client(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().expect("header"),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("client")
}

impl Host {
    /// A new profile of the owner's, by name; its id.
    pub async fn new_profile(&self, name: &str) -> String {
        let (status, p) = self.post("/api/profiles", &json!({"name": name})).await;
        assert_eq!(status, 201, "{p}");
        p["id"].as_str().expect("id").to_string()
    }

    /// Start a host serving `plugins` (a folder under `dist/`) with `limits`.
    pub async fn start(plugins: &str, limits: PluginLimits) -> Host {
        Host::start_with(plugins, limits, |_| {}).await
    }

    /// Start a host, letting `adjust` change the config first.
    pub async fn start_with(
        plugins: &str,
        limits: PluginLimits,
        adjust: impl FnOnce(&mut Config),
    ) -> Host {
        let data = tempfile::tempdir().expect("temp dir");
        let mut config = Config {
            data_dir: data.path().to_path_buf(),
            listen: "127.0.0.1:0".parse().expect("addr"),
            plugins_dir: plugin_dir(plugins),
            // Shared between tests: precompiled components are keyed by content, so sharing is safe.
            cache_dir: PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("plugin-cache"),
            log: "warn".into(),
            limits,
            allow_signup: false,
            secure_cookies: false,
            max_upload_bytes: 64 << 20,
            max_attachment_bytes: 1 << 20,
            sandbox: false,
            // The sandbox providers these runs sync from listen on loopback.
            allow_private_provider_addresses: true,
            ..Config::defaults()
        };
        adjust(&mut config);
        // Built and served in two steps, so a test can reach the services directly too.
        let listener = TcpListener::bind(config.listen).await.expect("bind");
        let public_url = config.public_url_for(listener.local_addr().expect("addr"));
        let state = server::build_state(&config, &public_url)
            .await
            .expect("host starts");
        let running =
            server::serve_with(listener, state.clone(), config.connections).expect("host serves");
        let base = format!("http://{}", running.addr);
        let anon = reqwest::Client::new();
        let (token, profile) = set_up_owner(&base).await;
        let client = bearer_client(&token);
        Host {
            base,
            running,
            state,
            client,
            anon,
            data,
            profile,
            token,
        }
    }

    /// `rel` under the administrator's profile: `/sources` → `/api/profiles/{id}/sources`.
    pub fn at(&self, rel: &str) -> String {
        format!("/api/profiles/{}{rel}", self.profile)
    }

    /// `GET path`, returning the status and the JSON body.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// `POST path` with a JSON body, returning the status and the JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Register a source and return its id.
    pub async fn add_source(
        &self,
        base_url: &str,
        patient: &str,
        token: &str,
        connector: &str,
    ) -> String {
        let (status, body) = self
            .post(
                &self.at("/sources"),
                &json!({"fhir_base_url": base_url, "patient_id": patient, "access_token": token, "connector": connector}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().expect("id").to_string()
    }

    /// Upload a collection Bundle of `entries` to `profile` (as its person,
    /// whoever the file is about); the answer.
    pub async fn upload_entries(&self, profile: &str, entries: Vec<Value>) -> Value {
        let bundle = json!({"resourceType": "Bundle", "type": "collection", "entry": entries});
        let r = self
            .client
            .post(format!(
                "{}/api/profiles/{profile}/imports?confirm_person=true",
                self.base
            ))
            .header("content-type", "application/fhir+json")
            .body(serde_json::to_vec(&bundle).expect("json"))
            .send()
            .await
            .expect("upload");
        let status = r.status().as_u16();
        let answer: Value = r.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 201, "{answer}");
        answer
    }

    /// Whether the host still answers its health check.
    pub async fn healthy(&self) -> bool {
        let (status, body) = self.get("/api/health").await;
        status == 200 && body["status"] == "ok"
    }
}

/// Start a sandbox over `data` on an ephemeral port.
pub async fn sandbox(data: SandboxData, options: SandboxOptions) -> RunningSandbox {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    sandbox::start(listener, data, options).expect("sandbox starts")
}

/// The total the sandbox reports for a patient's `$everything`.
pub async fn server_total(sb: &RunningSandbox, token: &str, patient: &str) -> u64 {
    let v: Value = reqwest::Client::new()
        .get(format!(
            "{}/Patient/{patient}/$everything?_count=1",
            sb.base_url
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    v["total"].as_u64().expect("total")
}

impl Host {
    /// Sign in over the API; returns the status and body.
    pub async fn sign_in(&self, username: &str, password: &str) -> (u16, Value) {
        self.sign_in_with(json!({"username": username, "password": password}))
            .await
    }

    /// Sign in with a full request body.
    pub async fn sign_in_with(&self, body: Value) -> (u16, Value) {
        let r = self
            .anon
            .post(format!("{}/api/auth/sign-in", self.base))
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// As the administrator, create a member `username` (password [`PASSWORD`]);
    /// returns their id and a client signed in as them.
    pub async fn member(&self, username: &str) -> (String, reqwest::Client) {
        let (status, user) = self
            .post(
                "/api/users",
                &json!({"username": username, "password": PASSWORD, "role": "member"}),
            )
            .await;
        assert_eq!(status, 201, "{user}");
        let (status, session) = self.sign_in(username, PASSWORD).await;
        assert_eq!(status, 200, "{session}");
        (
            user["id"].as_str().expect("id").to_string(),
            bearer_client(session["access_token"].as_str().expect("token")),
        )
    }
}

/// Send `method path` with `client` and an optional JSON body; returns status and JSON body.
pub async fn call(
    client: &reqwest::Client,
    base: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut request = client.request(method, format!("{base}{path}"));
    if let Some(body) = body {
        request = request.json(body);
    }
    let r = request.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Start a host that has not been set up yet; returns it with its base URL.
pub async fn bare_host(adjust: impl FnOnce(&mut Config)) -> (Running, String, tempfile::TempDir) {
    let data = tempfile::tempdir().expect("temp dir");
    let mut config = Config {
        data_dir: data.path().to_path_buf(),
        listen: "127.0.0.1:0".parse().expect("addr"),
        plugins_dir: plugin_dir("plugins"),
        cache_dir: PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("plugin-cache"),
        log: "warn".into(),
        limits: PluginLimits::default(),
        allow_signup: false,
        secure_cookies: false,
        max_upload_bytes: 64 << 20,
        max_attachment_bytes: 1 << 20,
        sandbox: false,
        // The sandbox providers these runs sync from listen on loopback.
        allow_private_provider_addresses: true,
        ..Config::defaults()
    };
    adjust(&mut config);
    let running = server::start(&config).await.expect("host starts");
    let base = format!("http://{}", running.addr);
    (running, base, data)
}

/// A client that does not follow redirects (to see the provider's and the callback's Location).
pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The sandbox's root URL (its FHIR R4 base is `<root>/fhir`).
pub fn sandbox_root(sb: &RunningSandbox) -> String {
    format!("http://{}", sb.addr)
}

/// The value of the hidden input `name` in an HTML page.
pub fn hidden_input(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no input {name} in {html}"));
    let tag_start = html[..at].rfind('<').expect("tag start");
    let tag_end = at + html[at..].find('>').expect("tag end");
    let tag = &html[tag_start..tag_end];
    let v = tag.find("value=\"").expect("value") + 7;
    tag[v..v + tag[v..].find('"').expect("quote")].to_string()
}

/// Where form `id` on the page at `page_url` posts to, resolved as a browser would.
pub fn form_action(page_url: &str, html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no form {id} in {html}"));
    let tag_start = html[..at].rfind('<').expect("tag start");
    let tag = &html[tag_start..at + html[at..].find('>').expect("tag end")];
    let a = tag.find("action=\"").expect("action") + 8;
    let action = &tag[a..a + tag[a..].find('"').expect("quote")];
    url::Url::parse(page_url)
        .and_then(|u| u.join(action))
        .expect("form action")
        .to_string()
}

/// Start connecting `endpoint` as `client`; returns the provider's authorize URL.
pub async fn start_connect(
    client: &reqwest::Client,
    base: &str,
    profile: &str,
    endpoint: &str,
) -> String {
    let r = client
        .post(format!("{base}/api/profiles/{profile}/connect"))
        .json(&json!({"endpoint_id": endpoint}))
        .send()
        .await
        .expect("connect");
    assert_eq!(r.status().as_u16(), 201);
    let body: Value = r.json().await.expect("json");
    body["authorize_url"]
        .as_str()
        .expect("authorize_url")
        .to_string()
}

/// Walk the sandbox's real sign-in and consent pages for `patient`; returns the callback URL it redirects to.
pub async fn approve_at_sandbox(authorize_url: &str, patient: &str, password: &str) -> String {
    let browser = no_redirects();
    let page = browser.get(authorize_url).send().await.expect("authorize");
    assert_eq!(page.status().as_u16(), 200, "the sign-in page");
    let html = page.text().await.expect("html");
    let req = hidden_input(&html, "req");
    let login_url = form_action(authorize_url, &html, "login");
    let consent = browser
        .post(&login_url)
        .form(&[
            ("req", req.as_str()),
            ("patient", patient),
            ("password", password),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(consent.status().as_u16(), 200, "the consent page");
    let html = consent.text().await.expect("html");
    let req = hidden_input(&html, "req");
    let back = browser
        .post(form_action(&login_url, &html, "consent"))
        .form(&[("req", req.as_str()), ("decision", "allow")])
        .send()
        .await
        .expect("consent");
    assert_eq!(back.status().as_u16(), 303);
    back.headers()["location"]
        .to_str()
        .expect("location")
        .to_string()
}

/// Follow the provider's redirect to the host's callback (as a browser would, without cookies).
pub async fn callback(url: &str) -> (u16, Value) {
    let r = no_redirects().get(url).send().await.expect("callback");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Connect `endpoint` at an auto-approving sandbox (for `hint`'s patient, else the first);
/// the callback's status and body. The sandbox's patients are not the test
/// profiles' people, so a connection held for confirmation is confirmed, and
/// the body gets the queued job as if it had been queued at once.
pub async fn connect_approved(
    client: &reqwest::Client,
    base: &str,
    profile: &str,
    endpoint: &str,
    hint: Option<&str>,
) -> (u16, Value) {
    let (status, mut body) = connect_approved_raw(client, base, profile, endpoint, hint).await;
    if status == 303 && body["job"].is_null() && body["patient"].is_object() {
        body["job"] = confirm_person(client, base, profile, &body).await;
    }
    (status, body)
}

/// Confirm that the portal account a callback `answer` held is the profile's; the queued job.
pub async fn confirm_person(
    client: &reqwest::Client,
    base: &str,
    profile: &str,
    answer: &Value,
) -> Value {
    let source = answer["source_id"].as_str().expect("source");
    let (status, job) = call(
        client,
        base,
        reqwest::Method::POST,
        &format!("/api/profiles/{profile}/sources/{source}/confirm-person"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{job}");
    job
}

/// [`connect_approved`] without confirming: the callback's status and body as they came.
pub async fn connect_approved_raw(
    client: &reqwest::Client,
    base: &str,
    profile: &str,
    endpoint: &str,
    hint: Option<&str>,
) -> (u16, Value) {
    let mut authorize = start_connect(client, base, profile, endpoint).await;
    if let Some(hint) = hint {
        authorize.push_str(&format!("&login_hint={hint}"));
    }
    let r = no_redirects()
        .get(&authorize)
        .send()
        .await
        .expect("authorize");
    assert_eq!(r.status().as_u16(), 302, "auto-approve redirects at once");
    let location = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    callback(&location).await
}

/// Connect the sandbox's R4 endpoint through an auto-approving authorize endpoint; the callback's body.
pub async fn connect_auto(client: &reqwest::Client, base: &str, profile: &str) -> Value {
    let (status, body) = connect_approved(client, base, profile, "hearth-sandbox-r4", None).await;
    assert_eq!(status, 303, "{body}");
    body
}

impl Host {
    /// The owner's scope on `profile`, as a request of theirs would get it.
    #[allow(dead_code)]
    pub async fn owner_scope(&self, profile: &str) -> hearth_host::auth::ProfileScope {
        let caller = self
            .state
            .auth
            .authenticate(hearth_host::auth::sessions::Presented {
                bearer: Some(&self.token),
                cookie: None,
                csrf: None,
                changes_state: false,
            })
            .await
            .expect("caller");
        self.state
            .auth
            .access(&caller, profile, hearth_host::auth::ProfileRole::Viewer)
            .await
            .expect("access")
    }
}

/// A Bundle entry: an Observation of LOINC `code` whose value is spliced in
/// as written (`7.20` stays `7.20`).
#[allow(dead_code)]
pub fn observation(id: &str, code: &str, date: &str, value: &str, unit: &str) -> Value {
    serde_json::from_str(&format!(
        r#"{{"resource": {{"resourceType": "Observation", "id": "{id}", "status": "final",
            "code": {{"coding": [{{"system": "http://loinc.org", "code": "{code}"}}]}},
            "subject": {{"reference": "Patient/p"}}, "effectiveDateTime": "{date}",
            "valueQuantity": {{"value": {value}, "unit": "{unit}", "system": "http://unitsofmeasure.org", "code": "{unit}"}}}}}}"#
    ))
    .expect("an observation")
}

/// A Bundle entry: a blood pressure panel with its two components, as written.
#[allow(dead_code)]
pub fn blood_pressure(id: &str, date: &str, systolic: &str, diastolic: &str) -> Value {
    let component = |code: &str, value: &str| -> Value {
        serde_json::from_str(&format!(
            r#"{{"code": {{"coding": [{{"system": "http://loinc.org", "code": "{code}"}}]}},
                "valueQuantity": {{"value": {value}, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}}}}"#
        ))
        .expect("a component")
    };
    json!({"resource": {"resourceType": "Observation", "id": id, "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
        "subject": {"reference": "Patient/p"}, "effectiveDateTime": date,
        "component": [component("8480-6", systolic), component("8462-4", diastolic)]}})
}
