//! The FHIR REST endpoints, written once for any base so a second base (another
//! `fhirVersion` at another prefix) can mount the same handlers.

use super::smart::{self, Action, Scopes};
use super::{Res, Sandbox, SandboxPatient, outcome};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use hearth_dstu3::is_type_name;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

/// One FHIR base the sandbox serves: where it is mounted and which FHIR version it claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FhirBase {
    /// Path of the base, e.g. `/fhir`.
    pub prefix: &'static str,
    /// `CapabilityStatement.fhirVersion`.
    pub fhir_version: &'static str,
    /// Serve resources converted to DSTU3.
    pub dstu3: bool,
}

/// The FHIR R4 base.
pub(super) const R4: FhirBase = FhirBase {
    prefix: "/fhir",
    fhir_version: "4.0.1",
    dstu3: false,
};

/// The FHIR DSTU3 base: the same patients, converted, for the DSTU3 connector.
pub(super) const DSTU3: FhirBase = FhirBase {
    prefix: "/dstu3",
    fhir_version: "3.0.2",
    dstu3: true,
};

/// Who a request's bearer token lets read what.
#[derive(Debug, Clone)]
pub(super) enum Access {
    /// The static token: every patient, every type.
    All,
    /// An issued token: one patient's compartment, within its scopes.
    Patient {
        /// The patient id.
        patient: String,
        /// The scopes the token carries.
        scopes: Scopes,
    },
}

/// The routes of one base.
pub(super) fn routes(state: Arc<Sandbox>, base: FhirBase) -> Router<Arc<Sandbox>> {
    let p = base.prefix;
    let protected = Router::new()
        .route(&format!("{p}/{{type}}"), get(search))
        .route(&format!("{p}/{{type}}/{{id}}"), get(read))
        .route(
            &format!("{p}/{{type}}/{{id}}/{{operation}}"),
            get(operation),
        )
        .layer(middleware::from_fn_with_state(state.clone(), guard));
    Router::new()
        .route(&format!("{p}/metadata"), get(metadata))
        // A static segment outranks `{type}/{id}`, so this never reaches the guard.
        .route(
            &format!("{p}/.well-known/smart-configuration"),
            get(smart::configuration),
        )
        .merge(protected)
        .layer(middleware::from_fn_with_state(state, delay))
        .layer(Extension(base))
}

/// The `slow` fault: hold every FHIR response back.
async fn delay(State(state): State<Arc<Sandbox>>, request: Request, next: Next) -> Response {
    let _counted = state.options.faults.enter();
    if let Some(d) = state.options.faults.delay() {
        tokio::time::sleep(d).await;
    }
    next.run(request).await
}

/// Authenticate the bearer token, then apply the fault switches.
async fn guard(State(state): State<Arc<Sandbox>>, mut request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let access = match presented.as_deref().map(bearer) {
        None | Some(None) => {
            return unauthorized("Bearer", "a valid bearer token is required");
        }
        Some(Some(token)) if token == state.options.token => Access::All,
        Some(Some(token)) => {
            let checked =
                state
                    .auth()
                    .access(token, &state.options.faults, std::time::Instant::now());
            match checked {
                Ok((patient, scopes)) => Access::Patient { patient, scopes },
                Err(why) => return unauthorized(r#"Bearer error="invalid_token""#, why),
            }
        }
    };
    let faults = &state.options.faults;
    faults.count_request();
    if let Some(secs) = faults.take_rate_limit() {
        let mut response = outcome(
            StatusCode::TOO_MANY_REQUESTS,
            "throttled",
            "sandbox fault switch: too many requests",
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        return response;
    }
    if faults.take_server_error() {
        return outcome(
            StatusCode::INTERNAL_SERVER_ERROR,
            "exception",
            "sandbox fault switch: internal server error",
        );
    }
    if faults.take_budget() {
        return outcome(
            StatusCode::SERVICE_UNAVAILABLE,
            "transient",
            "sandbox fault switch: service unavailable",
        );
    }
    request.extensions_mut().insert(access);
    let response = next.run(request).await;
    if response.status().is_success() {
        faults.count_success();
    }
    response
}

/// The token of a `Bearer` Authorization header (the scheme is case-insensitive).
fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn unauthorized(challenge: &'static str, text: &str) -> Response {
    let mut response = outcome(StatusCode::UNAUTHORIZED, "login", text);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    );
    response
}

/// 403 for a token whose scopes do not cover the request.
fn insufficient_scope(text: &str) -> Response {
    let mut response = outcome(StatusCode::FORBIDDEN, "forbidden", text);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(r#"Bearer error="insufficient_scope""#),
    );
    response
}

/// 403 for a token reaching outside its patient's compartment.
fn other_patient() -> Response {
    outcome(
        StatusCode::FORBIDDEN,
        "forbidden",
        "this token may only read its own patient's records",
    )
}

fn fhir_json(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/fhir+json")], body).into_response()
}

async fn metadata(
    State(state): State<Arc<Sandbox>>,
    Extension(base): Extension<FhirBase>,
) -> Response {
    let mut resources = Vec::new();
    for ty in state.data.types() {
        let mut entry = json!({
            "type": ty,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [{"name": "_id", "type": "token"}, {"name": "_lastUpdated", "type": "date"}],
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
        "fhirVersion": base.fhir_version,
        "format": ["json"],
        "rest": [{
            "mode": "server",
            "security": smart::capability_security(&state.root),
            "resource": resources,
        }],
    });
    fhir_json(statement.to_string())
}

/// Parsed paging parameters.
pub(super) struct Paging {
    pub count: usize,
    pub offset: usize,
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
    Extension(base): Extension<FhirBase>,
    Extension(access): Extension<Access>,
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
    let updated = params.remove("_lastUpdated");
    let after = match updated.as_deref().map(updated_filter).transpose() {
        Ok(f) => f,
        Err(text) => return outcome(StatusCode::BAD_REQUEST, "invalid", &text),
    };
    if let Some(unknown) = params.keys().next() {
        return outcome(
            StatusCode::BAD_REQUEST,
            "not-supported",
            &format!("search parameter {unknown} is not supported"),
        );
    }
    let wanted = patient
        .as_deref()
        .map(|p| p.strip_prefix("Patient/").unwrap_or(p));
    // An issued token sees its own compartment only: asking for another patient
    // is refused, and an unfiltered search is narrowed to its patient.
    let wanted = match &access {
        Access::All => wanted,
        Access::Patient {
            patient: own,
            scopes,
        } => {
            if !scopes.permits(&ty, Action::Search) {
                return insufficient_scope(&format!("no scope allows searching {ty}"));
            }
            let asks_other = wanted.is_some_and(|p| p != own)
                || (ty == "Patient" && id.as_deref().is_some_and(|i| i != own));
            if asks_other {
                return other_patient();
            }
            Some(own.as_str())
        }
    };
    let patients: Vec<&SandboxPatient> = match wanted {
        Some(p) => state
            .data
            .by_id
            .get(p)
            .map(|&i| &state.data.patients[i])
            .into_iter()
            .collect(),
        None => state.data.patients.iter().collect(),
    };
    let mut matches: Vec<&Res> = Vec::new();
    for p in patients {
        for &i in p.by_type.get(&ty).into_iter().flatten() {
            let r = &p.resources[i];
            if id.as_ref().is_none_or(|id| *id == r.id) && after.as_ref().is_none_or(|f| f.keeps(r))
            {
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
    if let Some(u) = updated {
        query.push(("_lastUpdated".into(), u));
    }
    let base_url = state.base_url(base);
    let path = format!("{base_url}/{ty}");
    fhir_json(searchset(base, &base_url, &path, &query, &matches, &page))
}

/// The resource `ty/id` in `patient`'s compartment.
fn find<'a>(patient: &'a SandboxPatient, ty: &str, id: &str) -> Option<&'a Res> {
    patient
        .by_type
        .get(ty)
        .into_iter()
        .flatten()
        .map(|&i| &patient.resources[i])
        .find(|r| r.id == id)
}

async fn read(
    State(state): State<Arc<Sandbox>>,
    Extension(base): Extension<FhirBase>,
    Extension(access): Extension<Access>,
    Path((ty, id)): Path<(String, String)>,
) -> Response {
    if let Access::Patient { patient, scopes } = &access {
        if !scopes.permits(&ty, Action::Read) {
            return insufficient_scope(&format!("no scope allows reading {ty}"));
        }
        // Its own compartment first: a shared resource (an Organization, say)
        // may sit in several compartments.
        let own = state
            .data
            .by_id
            .get(patient)
            .map(|&i| &state.data.patients[i]);
        if let Some(body) = own
            .and_then(|p| find(p, &ty, &id))
            .and_then(|r| r.body(base))
        {
            return fhir_json(body.to_string());
        }
    }
    match state.data.patients.iter().find_map(|p| find(p, &ty, &id)) {
        Some(_) if matches!(access, Access::Patient { .. }) => other_patient(),
        Some(r) => match r.body(base) {
            Some(body) => fhir_json(body.to_string()),
            None => outcome(
                StatusCode::NOT_FOUND,
                "not-found",
                &format!("{ty} is not served in FHIR {}", base.fhir_version),
            ),
        },
        None => outcome(
            StatusCode::NOT_FOUND,
            "not-found",
            &format!("{ty}/{id} is not known"),
        ),
    }
}

async fn operation(
    State(state): State<Arc<Sandbox>>,
    Extension(base): Extension<FhirBase>,
    Extension(access): Extension<Access>,
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
    if let Access::Patient { patient, scopes } = &access {
        // Everything means every type, so only a wildcard scope covers it.
        if !scopes.permits_everything() {
            return insufficient_scope("$everything needs a patient/*.read (or *.rs) scope");
        }
        if *patient != id {
            return other_patient();
        }
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
    let since = params.remove("_since");
    let filter = match since
        .as_deref()
        .map(|s| updated_filter(&format!("gt{s}")))
        .transpose()
    {
        Ok(f) => f,
        Err(text) => return outcome(StatusCode::BAD_REQUEST, "invalid", &text),
    };
    if let Some(unknown) = params.keys().next() {
        return outcome(
            StatusCode::BAD_REQUEST,
            "not-supported",
            &format!("parameter {unknown} is not supported by $everything"),
        );
    }
    let all: Vec<&Res> = state.data.patients[index]
        .resources
        .iter()
        .filter(|r| filter.as_ref().is_none_or(|f| f.keeps(r)) && r.body(base).is_some())
        .collect();
    let base_url = state.base_url(base);
    let path = format!("{base_url}/Patient/{id}/$everything");
    let query: Vec<(String, String)> = since
        .map(|s| ("_since".to_string(), s))
        .into_iter()
        .collect();
    fhir_json(searchset(base, &base_url, &path, &query, &all, &page))
}

/// A searchset Bundle page, built as text from the pre-serialized resources.
pub(super) fn searchset(
    version: FhirBase,
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
            r.body(version).unwrap_or("{}")
        ));
    }
    out.push_str("]}");
    out
}

/// A `_lastUpdated` comparison (`gt`, `ge`, `lt`, `le` and an instant).
struct UpdatedFilter {
    prefix: String,
    at: chrono::DateTime<chrono::FixedOffset>,
}

impl UpdatedFilter {
    fn keeps(&self, r: &Res) -> bool {
        // A resource without meta.lastUpdated counts as unchanged since long ago.
        let Some(t) = r.last_updated else {
            return matches!(self.prefix.as_str(), "lt" | "le");
        };
        match self.prefix.as_str() {
            "gt" => t > self.at,
            "ge" => t >= self.at,
            "lt" => t < self.at,
            _ => t <= self.at,
        }
    }
}

fn updated_filter(value: &str) -> Result<UpdatedFilter, String> {
    let (prefix, instant) = value.split_at(value.len().min(2));
    if !matches!(prefix, "gt" | "ge" | "lt" | "le") {
        return Err(format!(
            "_lastUpdated {value:?}: use gt, ge, lt or le and an instant"
        ));
    }
    let at = chrono::DateTime::parse_from_rfc3339(instant)
        .map_err(|e| format!("_lastUpdated {value:?}: {e}"))?;
    Ok(UpdatedFilter {
        prefix: prefix.to_string(),
        at,
    })
}
