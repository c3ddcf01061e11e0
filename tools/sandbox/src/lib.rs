//! `hearth sandbox`: a small FHIR R4 server on loopback over synthetic patients,
//! so tests, demos and newcomers without a provider account can see Hearth work.
//!
//! It serves `metadata`, type searches by `patient` / `_id` with paging,
//! reads, and `Patient/[id]/$everything`, and requires a bearer token for
//! everything but `metadata` and the SMART configuration. Patients come from a
//! folder of FHIR Bundles (Synthea output works as is) or from the built-in
//! generator.
//!
//! Tokens are either the static `token` of [`SandboxOptions`] (every patient)
//! or ones issued by the built-in SMART App Launch authorization server (the
//! `smart` module: standalone patient launch, PKCE, refresh rotation), which
//! may read only their patient's compartment. [`Faults`] make the server
//! misbehave on demand.

mod faults;
mod fhir;
mod smart;
#[cfg(test)]
mod testkit;

pub use faults::Faults;
pub use smart::SandboxClient;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use hearth_dstu3::{is_fhir_id, is_type_name};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;

/// Why sandbox data could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// A bundle file could not be read or parsed.
    #[error("{file}: {reason}")]
    Bundle {
        /// The file (or `bundle N`).
        file: String,
        /// What was wrong.
        reason: String,
    },
}

/// One stored resource, pre-serialized so pages are cheap to build.
struct Res {
    resource_type: String,
    id: String,
    json: String,
    /// `meta.lastUpdated`, for `_lastUpdated` and `_since`; none counts as long ago.
    last_updated: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// The resource as DSTU3, for the `/dstu3` base (none: a type DSTU3 lacks).
    /// Converted on first request: most sandboxes are only ever read as R4.
    json_dstu3: std::sync::OnceLock<Option<String>>,
}

impl Res {
    /// The resource as `base` serves it, if that FHIR version has it.
    fn body(&self, base: fhir::FhirBase) -> Option<&str> {
        if base.dstu3 {
            self.json_dstu3
                .get_or_init(|| {
                    let resource: Value = serde_json::from_str(&self.json).ok()?;
                    hearth_dstu3::to_dstu3(resource).ok().map(|v| v.to_string())
                })
                .as_deref()
        } else {
            Some(&self.json)
        }
    }
}

/// One patient's compartment: the Patient and everything belonging to it.
struct SandboxPatient {
    id: String,
    /// A readable name for the login page's patient list.
    name: String,
    resources: Vec<Res>,
    by_type: BTreeMap<String, Vec<usize>>,
}

/// The sandbox's patients.
#[derive(Default)]
pub struct SandboxData {
    patients: Vec<SandboxPatient>,
    by_id: HashMap<String, usize>,
}

impl SandboxData {
    /// Patients from the built-in generator.
    pub fn generated(seed: u64, patients: usize, resources_each: usize) -> SandboxData {
        let mut data = SandboxData::default();
        for (i, resources) in hearth_synth::generate_patients(seed, patients, resources_each)
            .into_iter()
            .enumerate()
        {
            // Generated patients are valid by construction; a failure here is a generator bug.
            if let Err(e) = data.add_patient(resources) {
                tracing::error!(patient = i, error = %e, "generated patient rejected");
            }
        }
        data
    }

    /// Patients from every `*.json` FHIR Bundle in `dir` (one patient per bundle).
    pub fn from_bundle_dir(dir: &std::path::Path) -> Result<SandboxData, SandboxError> {
        let err = |file: &std::path::Path, reason: String| SandboxError::Bundle {
            file: file.display().to_string(),
            reason,
        };
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| err(dir, e.to_string()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        let mut data = SandboxData::default();
        for file in files {
            let text = std::fs::read_to_string(&file).map_err(|e| err(&file, e.to_string()))?;
            let bundle: Value =
                serde_json::from_str(&text).map_err(|e| err(&file, e.to_string()))?;
            data.add_bundle(bundle)
                .map_err(|e| err(&file, e.to_string()))?;
        }
        Ok(data)
    }

    /// Add one patient from a Bundle, resolving `urn:uuid:` references to `Type/id`.
    pub fn add_bundle(&mut self, bundle: Value) -> Result<(), SandboxError> {
        let bad = |reason: &str| SandboxError::Bundle {
            file: "bundle".into(),
            reason: reason.to_string(),
        };
        if bundle["resourceType"] != "Bundle" {
            return Err(bad("not a Bundle"));
        }
        let entries = bundle["entry"]
            .as_array()
            .ok_or_else(|| bad("the Bundle has no entries"))?;
        let mut resources = Vec::with_capacity(entries.len());
        let mut urls = HashMap::new();
        for entry in entries {
            let Some(resource) = entry.get("resource") else {
                continue;
            };
            let mut resource = resource.clone();
            let ty = resource["resourceType"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let full_url = entry["fullUrl"].as_str().unwrap_or_default();
            if resource.get("id").and_then(Value::as_str).is_none() {
                let derived = full_url
                    .rsplit([':', '/'])
                    .next()
                    .unwrap_or_default()
                    .to_string();
                resource["id"] = Value::String(derived);
            }
            let id = resource["id"].as_str().unwrap_or_default().to_string();
            if !full_url.is_empty() {
                urls.insert(full_url.to_string(), format!("{ty}/{id}"));
            }
            resources.push(resource);
        }
        for resource in &mut resources {
            rewrite_references(resource, &urls);
        }
        self.add_patient(resources)
    }

    /// Add one patient: `resources` must hold exactly one Patient; all the rest belongs to it.
    pub fn add_patient(&mut self, resources: Vec<Value>) -> Result<(), SandboxError> {
        let bad = |reason: String| SandboxError::Bundle {
            file: format!("patient {}", self.patients.len() + 1),
            reason,
        };
        let mut patient_id = None;
        let mut patient_name = String::new();
        let mut list: Vec<Res> = Vec::with_capacity(resources.len());
        let mut seen: HashMap<(String, String), usize> = HashMap::new();
        for (index, resource) in resources.into_iter().enumerate() {
            let ty = resource["resourceType"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let id = resource["id"].as_str().unwrap_or_default().to_string();
            if !is_type_name(&ty) || !is_fhir_id(&id) {
                return Err(bad(format!(
                    "resource {index} has no valid resourceType and id"
                )));
            }
            if ty == "Patient" {
                if patient_id.is_some() {
                    return Err(bad("more than one Patient".into()));
                }
                patient_id = Some(id.clone());
                patient_name = display_name(&resource);
            }
            let res = Res {
                resource_type: ty.clone(),
                id: id.clone(),
                json: resource.to_string(),
                last_updated: resource["meta"]["lastUpdated"]
                    .as_str()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()),
                json_dstu3: std::sync::OnceLock::new(),
            };
            // A repeated type/id replaces the earlier copy, as a server would store it.
            match seen.get(&(ty.clone(), id.clone())) {
                Some(&at) => list[at] = res,
                None => {
                    seen.insert((ty, id), list.len());
                    list.push(res);
                }
            }
        }
        let patient_id = patient_id.ok_or_else(|| bad("no Patient resource".into()))?;
        if self.by_id.contains_key(&patient_id) {
            return Err(bad(format!("patient {patient_id} is already loaded")));
        }
        // The Patient first, as $everything returns it.
        list.sort_by_key(|r| r.resource_type != "Patient");
        let mut by_type: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, r) in list.iter().enumerate() {
            by_type.entry(r.resource_type.clone()).or_default().push(i);
        }
        self.by_id.insert(patient_id.clone(), self.patients.len());
        self.patients.push(SandboxPatient {
            id: patient_id,
            name: patient_name,
            resources: list,
            by_type,
        });
        Ok(())
    }

    /// Patient ids with the number of resources in each compartment.
    pub fn patients(&self) -> Vec<(String, usize)> {
        self.patients
            .iter()
            .map(|p| (p.id.clone(), p.resources.len()))
            .collect()
    }

    fn types(&self) -> Vec<String> {
        let mut types: Vec<String> = self
            .patients
            .iter()
            .flat_map(|p| p.by_type.keys().cloned())
            .collect();
        types.sort();
        types.dedup();
        types
    }
}

/// `Patient.name[0]` as one line: its `text`, else the given names and the family name.
fn display_name(patient: &Value) -> String {
    let name = &patient["name"][0];
    if let Some(text) = name["text"].as_str() {
        return text.to_string();
    }
    let mut parts: Vec<&str> = name["given"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    parts.extend(name["family"].as_str());
    parts.join(" ")
}

fn rewrite_references(value: &mut Value, urls: &HashMap<String, String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key == "reference"
                    && let Value::String(s) = v
                    && let Some(to) = urls.get(s.as_str())
                {
                    *s = to.clone();
                    continue;
                }
                rewrite_references(v, urls);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_references(v, urls)),
        _ => {}
    }
}

/// How the sandbox behaves.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// Fault switches.
    pub faults: Arc<Faults>,
    /// A pre-issued bearer token valid for every patient (what tests without OAuth use).
    pub token: String,
    /// Whether `Patient/[id]/$everything` is offered (off tests the per-type path).
    pub everything: bool,
    /// Page size when `_count` is absent.
    pub default_page: usize,
    /// Largest page served.
    pub max_page: usize,
    /// OAuth clients the authorization server knows.
    pub clients: Vec<SandboxClient>,
    /// Lifetime of issued access tokens.
    pub access_ttl: Duration,
    /// The password of the login page (any patient).
    pub password: String,
    /// Skip the login and consent pages: `authorize` redirects at once with a code.
    pub auto_approve: bool,
    /// Serve `.well-known/smart-configuration` (off: 404, so clients must read `metadata`).
    pub smart_configuration: bool,
    /// Offer dynamic client registration (RFC 7591) of public clients at `/oauth/register`.
    pub dynamic_registration: bool,
}

impl SandboxOptions {
    /// Options with a fresh random token and the default public client `hearth`.
    pub fn with_random_token() -> SandboxOptions {
        SandboxOptions {
            faults: Arc::new(Faults::default()),
            token: hex::encode(rand::random::<[u8; 16]>()),
            everything: true,
            default_page: 50,
            max_page: 1000,
            // Any redirect URI: tests and a local host pick their port at run time,
            // so no fixed URI could be registered in advance.
            clients: vec![SandboxClient {
                id: "hearth".into(),
                secret: None,
                redirect_uris: Vec::new(),
                accept_any_redirect: true,
                public_key_pem: None,
            }],
            access_ttl: Duration::from_secs(3600),
            password: "sandbox".into(),
            auto_approve: false,
            smart_configuration: true,
            dynamic_registration: false,
        }
    }
}

/// Everything the handlers share.
struct Sandbox {
    data: SandboxData,
    options: SandboxOptions,
    /// `http://addr`, where the OAuth endpoints live.
    root: String,
    /// The FHIR bases served; an authorization's `aud` must name one of them.
    bases: Vec<fhir::FhirBase>,
    /// Pending authorizations, codes, grants and tokens.
    auth: Mutex<smart::AuthStore>,
}

impl Sandbox {
    /// The full URL of a FHIR base.
    fn base_url(&self, base: fhir::FhirBase) -> String {
        format!("{}{}", self.root, base.prefix)
    }

    /// The authorization server's state; a panic elsewhere must not wedge the sandbox.
    fn auth(&self) -> std::sync::MutexGuard<'_, smart::AuthStore> {
        self.auth
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A running sandbox.
pub struct RunningSandbox {
    /// Its address.
    pub addr: SocketAddr,
    /// The FHIR base URL (`http://addr/fhir`).
    pub base_url: String,
    /// The serving task.
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Serve `data` on `listener`.
pub fn start(
    listener: TcpListener,
    data: SandboxData,
    options: SandboxOptions,
) -> std::io::Result<RunningSandbox> {
    let addr = listener.local_addr()?;
    let root = format!("http://{addr}");
    let base_url = format!("{root}{}", fhir::R4.prefix);
    let state = Arc::new(Sandbox {
        data,
        options,
        root,
        bases: vec![fhir::R4, fhir::DSTU3],
        auth: Mutex::new(smart::AuthStore::default()),
    });
    let app = router(state);
    let task = tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(RunningSandbox {
        addr,
        base_url,
        task,
    })
}

/// The sandbox as a router to nest inside another server; `root` is the
/// absolute URL it is reached at there (e.g. `http://localhost:9090/sandbox`).
pub fn router_at(root: &str, data: SandboxData, options: SandboxOptions) -> Router {
    router(Arc::new(Sandbox {
        data,
        options,
        root: root.trim_end_matches('/').to_string(),
        bases: vec![fhir::R4, fhir::DSTU3],
        auth: Mutex::new(smart::AuthStore::default()),
    }))
}

fn router(state: Arc<Sandbox>) -> Router {
    let mut app = smart::routes();
    for &base in &state.bases {
        app = app.merge(fhir::routes(state.clone(), base));
    }
    app.fallback(|| async { outcome(StatusCode::NOT_FOUND, "not-found", "no such endpoint") })
        .with_state(state)
}

/// A FHIR OperationOutcome error response.
fn outcome(status: StatusCode, code: &str, text: &str) -> Response {
    let body = json!({
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": text}]
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/fhir+json")],
        body.to_string(),
    )
        .into_response()
}

/// Text made safe to put in HTML content or a quoted attribute.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use fhir::{Paging, searchset};

    #[test]
    fn bundles_resolve_uuid_references() {
        let mut data = SandboxData::default();
        let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
            {"fullUrl": "urn:uuid:p-1", "resource": {"resourceType": "Patient"}},
            {"fullUrl": "urn:uuid:o-1", "resource": {"resourceType": "Observation", "subject": {"reference": "urn:uuid:p-1"}}}
        ]});
        data.add_bundle(bundle).unwrap();
        assert_eq!(data.patients(), vec![("p-1".to_string(), 2)]);
        let obs: Value = serde_json::from_str(&data.patients[0].resources[1].json).unwrap();
        assert_eq!(obs["subject"]["reference"], "Patient/p-1");
        assert_eq!(obs["id"], "o-1");
    }

    #[test]
    fn patients_get_a_readable_name() {
        let mut data = SandboxData::default();
        let p = json!({"resourceType": "Patient", "id": "p", "name": [{"family": "Doe", "given": ["Jane", "Q"]}]});
        data.add_patient(vec![p]).unwrap();
        assert_eq!(data.patients[0].name, "Jane Q Doe");
        let t = json!({"resourceType": "Patient", "id": "t", "name": [{"text": "Dr. Who"}]});
        data.add_patient(vec![t]).unwrap();
        assert_eq!(data.patients[1].name, "Dr. Who");
    }

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn bundles_without_one_patient_are_refused() {
        let mut data = SandboxData::default();
        let none = json!({"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Observation", "id": "o"}}]});
        assert!(
            data.add_bundle(none)
                .unwrap_err()
                .to_string()
                .contains("no Patient")
        );
        let two = json!({"resourceType": "Bundle", "entry": [
            {"resource": {"resourceType": "Patient", "id": "a"}}, {"resource": {"resourceType": "Patient", "id": "b"}}]});
        assert!(
            data.add_bundle(two)
                .unwrap_err()
                .to_string()
                .contains("more than one")
        );
    }

    #[test]
    fn searchset_pages_link_to_the_next_page() {
        let res: Vec<Res> = (0..5)
            .map(|i| Res {
                resource_type: "Observation".into(),
                id: format!("o{i}"),
                json: format!(r#"{{"resourceType":"Observation","id":"o{i}"}}"#),
                last_updated: None,
                json_dstu3: std::sync::OnceLock::new(),
            })
            .collect();
        let refs: Vec<&Res> = res.iter().collect();
        let page: Value = serde_json::from_str(&searchset(
            fhir::R4,
            "http://h/fhir",
            "http://h/fhir/Observation",
            &[("patient".into(), "p".into())],
            &refs,
            &Paging {
                count: 2,
                offset: 2,
            },
        ))
        .unwrap();
        assert_eq!(page["total"], 5);
        assert_eq!(page["entry"].as_array().unwrap().len(), 2);
        assert_eq!(page["entry"][0]["resource"]["id"], "o2");
        assert_eq!(page["entry"][0]["fullUrl"], "http://h/fhir/Observation/o2");
        assert_eq!(
            page["link"][1]["url"],
            "http://h/fhir/Observation?patient=p&_count=2&_offset=4"
        );
        let last: Value = serde_json::from_str(&searchset(
            fhir::R4,
            "http://h/fhir",
            "http://h/fhir/Observation",
            &[],
            &refs,
            &Paging {
                count: 2,
                offset: 4,
            },
        ))
        .unwrap();
        assert_eq!(
            last["link"].as_array().unwrap().len(),
            1,
            "no next link on the last page"
        );
        let beyond: Value = serde_json::from_str(&searchset(
            fhir::R4,
            "http://h/fhir",
            "http://h/fhir/Observation",
            &[],
            &refs,
            &Paging {
                count: 2,
                offset: 9,
            },
        ))
        .unwrap();
        assert_eq!(beyond["entry"].as_array().unwrap().len(), 0);
    }
}
