//! `hearth sandbox`: a small FHIR R4 server on loopback over synthetic patients,
//! so tests, demos and newcomers without a provider account can see Hearth work.
//!
//! It serves `metadata`, type searches by `patient` / `_id` with paging,
//! reads, and `Patient/[id]/$everything`, and requires a bearer token for
//! everything but `metadata`. Patients come from a folder of FHIR Bundles
//! (Synthea output works as is) or from the built-in generator.

use crate::records::{is_fhir_id, is_type_name};
use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
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
}

/// One patient's compartment: the Patient and everything belonging to it.
struct SandboxPatient {
    id: String,
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
        for (i, resources) in crate::synth::generate_patients(seed, patients, resources_each)
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
            }
            let res = Res {
                resource_type: ty.clone(),
                id: id.clone(),
                json: resource.to_string(),
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

/// Fault switches tests flip while the sandbox runs.
#[derive(Debug)]
pub struct Faults {
    /// Authenticated requests still answered normally; after that, 503.
    budget: AtomicI64,
    /// Authenticated requests received.
    requests: AtomicU64,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            budget: AtomicI64::new(i64::MAX),
            requests: AtomicU64::new(0),
        }
    }
}

impl Faults {
    /// Answer only the next `n` authenticated requests, then fail with 503 (`None`: never fail).
    pub fn fail_after(&self, n: Option<u64>) {
        let budget = n.map_or(i64::MAX, |n| i64::try_from(n).unwrap_or(i64::MAX));
        self.budget.store(budget, Ordering::SeqCst);
    }

    /// Authenticated requests received so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }
}

/// How the sandbox behaves.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// Fault switches.
    pub faults: Arc<Faults>,
    /// The bearer token clients must present.
    pub token: String,
    /// Whether `Patient/[id]/$everything` is offered (off tests the per-type path).
    pub everything: bool,
    /// Page size when `_count` is absent.
    pub default_page: usize,
    /// Largest page served.
    pub max_page: usize,
}

impl SandboxOptions {
    /// Options with a fresh random token.
    pub fn with_random_token() -> SandboxOptions {
        SandboxOptions {
            faults: Arc::new(Faults::default()),
            token: hex::encode(rand::random::<[u8; 16]>()),
            everything: true,
            default_page: 50,
            max_page: 1000,
        }
    }
}

struct Sandbox {
    data: SandboxData,
    options: SandboxOptions,
    base: String,
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
    let base_url = format!("http://{addr}/fhir");
    let state = Arc::new(Sandbox {
        data,
        options,
        base: base_url.clone(),
    });
    let app = router(state);
    let task = tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(RunningSandbox {
        addr,
        base_url,
        task,
    })
}

fn router(state: Arc<Sandbox>) -> Router {
    let protected = Router::new()
        .route("/fhir/{type}", get(search))
        .route("/fhir/{type}/{id}", get(read))
        .route("/fhir/{type}/{id}/{operation}", get(operation))
        .layer(middleware::from_fn_with_state(state.clone(), require_token));
    Router::new()
        .route("/fhir/metadata", get(metadata))
        .merge(protected)
        .fallback(|| async { outcome(StatusCode::NOT_FOUND, "not-found", "no such endpoint") })
        .with_state(state)
}

async fn require_token(
    State(state): State<Arc<Sandbox>>,
    request: Request,
    next: Next,
) -> Response {
    let expected = format!("Bearer {}", state.options.token);
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if presented != Some(expected.as_str()) {
        let mut response = outcome(
            StatusCode::UNAUTHORIZED,
            "login",
            "a valid bearer token is required",
        );
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
        return response;
    }
    let faults = &state.options.faults;
    faults.requests.fetch_add(1, Ordering::SeqCst);
    if faults.budget.fetch_sub(1, Ordering::SeqCst) <= 0 {
        return outcome(
            StatusCode::SERVICE_UNAVAILABLE,
            "transient",
            "sandbox fault switch: service unavailable",
        );
    }
    next.run(request).await
}

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

fn fhir_json(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/fhir+json")], body).into_response()
}

async fn metadata(State(state): State<Arc<Sandbox>>) -> Response {
    let mut resources = Vec::new();
    for ty in state.data.types() {
        let mut entry = json!({
            "type": ty,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [{"name": "_id", "type": "token"}],
        });
        if ty == "Patient" {
            if state.options.everything {
                entry["operation"] = json!([{"name": "everything", "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"}]);
            }
        } else if let Some(params) = entry["searchParam"].as_array_mut() {
            params.push(json!({"name": "patient", "type": "reference"}));
        }
        resources.push(entry);
    }
    let statement = json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-01-01",
        "kind": "instance",
        "software": {"name": "Hearth sandbox", "version": env!("CARGO_PKG_VERSION")},
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [{"mode": "server", "resource": resources}],
    });
    fhir_json(statement.to_string())
}

/// Parsed paging parameters.
struct Paging {
    count: usize,
    offset: usize,
}

/// Take `_count` and `_offset` out of `params`; the error is the diagnostic text.
fn paging(state: &Sandbox, params: &mut HashMap<String, String>) -> Result<Paging, String> {
    let number = |name: &str, value: Option<String>, default: usize| match value {
        None => Ok(default),
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| format!("{name} must be a whole number")),
    };
    let count = number(
        "_count",
        params.remove("_count"),
        state.options.default_page,
    )?;
    let offset = number("_offset", params.remove("_offset"), 0)?;
    Ok(Paging {
        count: count.clamp(1, state.options.max_page),
        offset,
    })
}

async fn search(
    State(state): State<Arc<Sandbox>>,
    Path(ty): Path<String>,
    Query(mut params): Query<HashMap<String, String>>,
) -> Response {
    if !is_type_name(&ty) {
        return outcome(StatusCode::BAD_REQUEST, "invalid", "not a resource type");
    }
    let page = match paging(&state, &mut params) {
        Ok(p) => p,
        Err(text) => return outcome(StatusCode::BAD_REQUEST, "invalid", &text),
    };
    let patient = params.remove("patient");
    let id = params.remove("_id");
    params.remove("_format");
    if let Some(unknown) = params.keys().next() {
        return outcome(
            StatusCode::BAD_REQUEST,
            "not-supported",
            &format!("search parameter {unknown} is not supported"),
        );
    }
    let mut matches: Vec<&Res> = Vec::new();
    let patients: Vec<&SandboxPatient> = match &patient {
        Some(p) => {
            let p = p.strip_prefix("Patient/").unwrap_or(p);
            state
                .data
                .by_id
                .get(p)
                .map(|&i| &state.data.patients[i])
                .into_iter()
                .collect()
        }
        None => state.data.patients.iter().collect(),
    };
    for p in patients {
        for &i in p.by_type.get(&ty).into_iter().flatten() {
            let r = &p.resources[i];
            if id.as_ref().is_none_or(|id| *id == r.id) {
                matches.push(r);
            }
        }
    }
    let mut query: Vec<(String, String)> = Vec::new();
    if let Some(p) = patient {
        query.push(("patient".into(), p));
    }
    if let Some(i) = id {
        query.push(("_id".into(), i));
    }
    let path = format!("{}/{ty}", state.base);
    fhir_json(searchset(&state.base, &path, &query, &matches, &page))
}

async fn read(
    State(state): State<Arc<Sandbox>>,
    Path((ty, id)): Path<(String, String)>,
) -> Response {
    for p in &state.data.patients {
        for &i in p.by_type.get(&ty).into_iter().flatten() {
            if p.resources[i].id == id {
                return fhir_json(p.resources[i].json.clone());
            }
        }
    }
    outcome(
        StatusCode::NOT_FOUND,
        "not-found",
        &format!("{ty}/{id} is not known"),
    )
}

async fn operation(
    State(state): State<Arc<Sandbox>>,
    Path((ty, id, op)): Path<(String, String, String)>,
    Query(mut params): Query<HashMap<String, String>>,
) -> Response {
    if ty != "Patient" || op != "$everything" || !state.options.everything {
        return outcome(
            StatusCode::NOT_FOUND,
            "not-supported",
            &format!("{ty}/{id}/{op} is not supported"),
        );
    }
    let page = match paging(&state, &mut params) {
        Ok(p) => p,
        Err(text) => return outcome(StatusCode::BAD_REQUEST, "invalid", &text),
    };
    let Some(&index) = state.data.by_id.get(&id) else {
        return outcome(
            StatusCode::NOT_FOUND,
            "not-found",
            &format!("Patient/{id} is not known"),
        );
    };
    let all: Vec<&Res> = state.data.patients[index].resources.iter().collect();
    let path = format!("{}/Patient/{id}/$everything", state.base);
    fhir_json(searchset(&state.base, &path, &[], &all, &page))
}

/// A searchset Bundle page, built as text from the pre-serialized resources.
fn searchset(
    base: &str,
    path: &str,
    query: &[(String, String)],
    matches: &[&Res],
    page: &Paging,
) -> String {
    let link = |offset: usize| {
        let mut url = url::Url::parse(path)
            .unwrap_or_else(|_| url::Url::parse("http://invalid/").expect("static URL"));
        {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
            pairs.append_pair("_count", &page.count.to_string());
            pairs.append_pair("_offset", &offset.to_string());
        }
        url.to_string()
    };
    let end = page.offset.saturating_add(page.count).min(matches.len());
    let mut out = String::with_capacity(256 + matches.len().min(page.count) * 1024);
    out.push_str(&format!(
        r#"{{"resourceType":"Bundle","type":"searchset","total":{},"link":[{{"relation":"self","url":{}}}"#,
        matches.len(),
        json!(link(page.offset))
    ));
    if end < matches.len() {
        out.push_str(&format!(
            r#",{{"relation":"next","url":{}}}"#,
            json!(link(end))
        ));
    }
    out.push_str(r#"],"entry":["#);
    for (n, r) in matches
        .get(page.offset.min(matches.len())..end)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        if n > 0 {
            out.push(',');
        }
        out.push_str(&format!(
            r#"{{"fullUrl":{},"resource":{},"search":{{"mode":"match"}}}}"#,
            json!(format!("{base}/{}/{}", r.resource_type, r.id)),
            r.json
        ));
    }
    out.push_str("]}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
            })
            .collect();
        let refs: Vec<&Res> = res.iter().collect();
        let page: Value = serde_json::from_str(&searchset(
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
