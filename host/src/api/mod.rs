//! The HTTP API: axum routes, the extractors that authenticate callers and
//! check their access to a profile, and the one place where domain errors
//! become JSON problem responses (RFC 9457).

mod account;
mod admin;
mod catalog;
mod chat;
mod connect;
mod dashboards;
mod data;
mod extract;
mod invitations;
mod jobs;
mod manual;
pub mod openapi;
mod profiles;
mod recommendations;
mod removals;
mod transfer;
mod views;

use crate::auth::{Auth, AuthError};
use crate::files::{Files, SpoolError};
use crate::plugins::Plugins;
use crate::records::export::ExportError;
use crate::records::import::ImportError;
use crate::records::ips::IpsError;
use crate::records::manual::ManualError;
use crate::records::search::{QueryError, SearchError};
use crate::records::{RecordStore, StoreError};
use crate::sources::{SourceError, Sources};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request};
use axum::handler::Handler;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use axum::{Json, Router};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::ToSchema;

pub use extract::{Access, Edit, Own, Read};

/// Largest JSON body the API accepts.
pub const MAX_JSON_BODY: usize = 1 << 20;

/// Shared state of the API.
#[derive(Clone)]
pub struct AppState {
    /// Accounts, sessions and access.
    pub auth: Arc<Auth>,
    /// Sources service.
    pub sources: Arc<Sources>,
    /// Record store.
    pub records: RecordStore,
    /// What people took out, kept for a while so it can be undone.
    pub removals: crate::removals::Removals,
    /// Condition dashboards per profile.
    pub dashboards: crate::dashboards::Dashboards,
    /// What the rules plugins say is due, per profile.
    pub recommendations: crate::recommendations::Recommendations,
    /// Chat with one's records.
    pub chat: crate::chat::Chat,
    /// Plugin host.
    pub plugins: Arc<Plugins>,
    /// Whether session cookies are marked `Secure` (configured, or Hearth is reached over https).
    pub secure_cookies: bool,
    /// Whether browsers are told to use https only (`Strict-Transport-Security`): the public URL is https.
    pub hsts: bool,
    /// Attachment files and spooled uploads.
    pub files: Files,
    /// Largest upload.
    pub max_upload_bytes: u64,
    /// Largest attachment.
    pub max_attachment_bytes: u64,
    /// The provider catalog.
    pub catalog: Arc<crate::catalog::Catalog>,
    /// Sync jobs and their events.
    pub jobs: Arc<crate::jobs::Jobs>,
    /// How often connected sources re-sync.
    pub sync_interval: std::time::Duration,
    /// The sandbox provider, when this host serves it at `/sandbox`.
    pub sandbox: Option<Router>,
    /// The browser UI, served at `/`.
    pub web: Router,
    /// Reverse proxies whose forwarding headers name the client.
    pub trusted_proxies: Arc<[ipnet::IpNet]>,
    /// Uploads being imported at once, at most [`MAX_CONCURRENT_IMPORTS`].
    pub imports: Arc<tokio::sync::Semaphore>,
    /// The data folder (for backups made through the API).
    pub data_dir: std::path::PathBuf,
}

/// Uploads imported at the same time; each one holds its parse state and a
/// stream of batches, so a few at once is plenty for a family.
pub const MAX_CONCURRENT_IMPORTS: usize = 2;

/// Builds the router and, alongside, the list of every route in it, so the
/// access-matrix test can insist that each route is covered.
struct Routes {
    router: Router<AppState>,
    list: Vec<(Method, &'static str)>,
}

macro_rules! route_method {
    ($name:ident, $method:ident) => {
        fn $name<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> Self {
            self.add(Method::$method, path, axum::routing::$name(h))
        }
    };
}

impl Routes {
    fn add(mut self, method: Method, path: &'static str, route: MethodRouter<AppState>) -> Self {
        self.list.push((method, path));
        self.router = self.router.route(path, route);
        self
    }
    route_method!(get, GET);
    route_method!(post, POST);
    route_method!(put, PUT);
    route_method!(patch, PATCH);
    route_method!(delete, DELETE);
}

/// Every route, under `/api`. Who may call each is decided by the extractors
/// its handler takes: none (public), [`crate::auth::Caller`] (signed in),
/// `Admin`, or [`Access`] with the profile role it needs.
fn routes() -> Routes {
    let r = Routes {
        router: Router::new(),
        list: Vec::new(),
    };
    let r = account::routes(r);
    let r = admin::routes(r);
    let r = catalog::routes(r);
    let r = connect::routes(r);
    let r = jobs::routes(r);
    let r = profiles::routes(r);
    let r = invitations::routes(r);
    let r = removals::routes(r);
    let r = transfer::routes(r);
    let r = manual::routes(r);
    let r = data::routes(r);
    let r = views::routes(r);
    let r = dashboards::routes(r);
    let r = recommendations::routes(r);
    let r = chat::routes(r);
    openapi::routes(r)
}

/// Every API route as (method, path template), e.g. `(GET, "/api/profiles/{profile}")`.
pub fn route_list() -> Vec<(Method, String)> {
    routes()
        .list
        .into_iter()
        .map(|(m, p)| (m, format!("/api{p}")))
        .collect()
}

/// The API router.
pub fn router(state: AppState) -> Router {
    let api = routes()
        .router
        .fallback(|| async {
            Problem::new(StatusCode::NOT_FOUND, "not-found", "no such API route")
        })
        .method_not_allowed_fallback(|| async {
            Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "this route does not accept that method",
            )
        })
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
        // API answers hold records and tokens: no cache keeps them (a handler may say otherwise).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    let sandbox = state.sandbox.clone();
    let hsts = state.hsts;
    let web = state.web.clone();
    let app = Router::new().nest("/api", api).fallback_service(web);
    let app = match sandbox {
        Some(sandbox) => app.nest_service("/sandbox", sandbox),
        None => app,
    };
    let app = if hsts {
        app.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        ))
    } else {
        app
    };
    app.layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// A JSON problem response.
#[derive(Debug)]
pub struct Problem {
    status: StatusCode,
    kind: &'static str,
    detail: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    /// RFC 9457 extension members, such as where in an upload the problem is.
    extensions: Option<Box<ProblemExtensions>>,
}

/// The extension members a problem may carry.
#[derive(Debug, Default)]
struct ProblemExtensions {
    entry: Option<u64>,
    line: Option<u64>,
    path: Option<String>,
    reason: Option<String>,
    job_id: Option<String>,
    patient: Option<crate::records::person::Person>,
    differences: Vec<crate::records::person::Difference>,
}

/// The body of every error answer: an RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Problem)]
pub struct ProblemBody {
    /// `urn:hearth:problem:<kind>`, e.g. `urn:hearth:problem:not-found`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The HTTP status's reason phrase.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong, in words.
    pub detail: String,
    /// `invalid-entry`: the 0-based position of the refused entry (Bundle) or resource (NDJSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub entry: Option<u64>,
    /// `invalid-entry` in NDJSON: the 1-based line.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub line: Option<u64>,
    /// `invalid-entry`, `invalid-record`: where in the entry or record (`code.coding[0].system`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub path: Option<String>,
    /// `invalid-entry`, `invalid-record`: why it was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub reason: Option<String>,
    /// A sync that failed or was cancelled: the job it ran as.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub job_id: Option<String>,
    /// `different-person`: who the file or portal account is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub patient: Option<crate::records::person::Person>,
    /// `different-person`: what differs from the profile.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub differences: Vec<crate::records::person::Difference>,
}

impl Problem {
    /// A problem with an HTTP status, a short machine-readable kind and a human detail.
    pub fn new(status: StatusCode, kind: &'static str, detail: impl Into<String>) -> Problem {
        Problem {
            status,
            kind,
            detail: detail.into(),
            headers: Vec::new(),
            extensions: None,
        }
    }

    /// The database was busy with another writer past the wait: temporary.
    fn database_busy() -> Problem {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database-busy",
            "the database is busy with another change; try again in a moment",
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from(1))
    }

    /// A database failure: busy with another writer is temporary (503), anything else a 500.
    fn database(db: sqlx::Error) -> Problem {
        if crate::db::is_busy(&db) {
            return Problem::database_busy();
        }
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            db.to_string(),
        )
    }

    /// Say where in an upload or record the problem is, and why.
    fn at(mut self, path: String, reason: String) -> Problem {
        let e = self.extensions.get_or_insert_default();
        e.path = Some(path);
        e.reason = Some(reason);
        self
    }

    /// Say which entry (and NDJSON line) of an upload was refused.
    fn at_entry(mut self, entry: u64, line: Option<u64>) -> Problem {
        let e = self.extensions.get_or_insert_default();
        e.entry = Some(entry);
        e.line = line;
        self
    }

    /// Name the sync job the problem happened in.
    fn in_job(mut self, job_id: String) -> Problem {
        self.extensions.get_or_insert_default().job_id = Some(job_id);
        self
    }

    /// Add a response header.
    fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Problem {
        self.headers.push((name, value));
        self
    }

    /// The body this problem is sent as.
    /// The problem document.
    pub fn body(self) -> ProblemBody {
        let e = self.extensions.map(|e| *e).unwrap_or_default();
        ProblemBody {
            kind: format!("urn:hearth:problem:{}", self.kind),
            title: self
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_string(),
            status: self.status.as_u16(),
            detail: self.detail,
            entry: e.entry,
            line: e.line,
            path: e.path,
            reason: e.reason,
            job_id: e.job_id,
            patient: e.patient,
            differences: e.differences,
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(mut self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(status = %self.status, kind = self.kind, detail = %self.detail, "request failed");
        } else {
            tracing::info!(status = %self.status, kind = self.kind, detail = %self.detail, "request refused");
        }
        let status = self.status;
        let headers = std::mem::take(&mut self.headers);
        let body = serde_json::to_string(&self.body()).unwrap_or_default();
        let mut response = (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response();
        for (name, value) in headers {
            response.headers_mut().append(name, value);
        }
        // A refused oversized body is left unread: tell the client this
        // connection ends, so it does not send its next request down it.
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

impl From<SourceError> for Problem {
    fn from(e: SourceError) -> Problem {
        Problem::from(&e)
    }
}

impl From<&SourceError> for Problem {
    fn from(e: &SourceError) -> Problem {
        if crate::db::is_busy(e) {
            return Problem::database_busy();
        }
        let detail = e.to_string();
        match e {
            SourceError::Invalid { .. } => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-field", detail)
            }
            SourceError::NotFound(_) => Problem::new(StatusCode::NOT_FOUND, "not-found", detail),
            SourceError::UnknownConnector(_) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown-connector",
                detail,
            ),
            SourceError::SyncRunning(_) => {
                Problem::new(StatusCode::CONFLICT, "sync-running", detail)
            }
            SourceError::NotSyncable(_) => {
                Problem::new(StatusCode::CONFLICT, "not-syncable", detail)
            }
            SourceError::Unconfirmed(_) => {
                Problem::new(StatusCode::CONFLICT, "unconfirmed-person", detail)
            }
            SourceError::Plugin { failure, .. } => {
                let kind = failure.stopped_code().unwrap_or("sync-failed");
                Problem::new(StatusCode::BAD_GATEWAY, kind, detail)
            }
            SourceError::Smart(e) => {
                use crate::smart::SmartError as S;
                match e {
                    S::Discovery { .. } | S::Network(_) => {
                        Problem::new(StatusCode::BAD_GATEWAY, "provider-unreachable", detail)
                    }
                    S::Address(_) => Problem::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "provider-address-refused",
                        detail,
                    ),
                    S::Refused { .. } | S::NoPatient => {
                        Problem::new(StatusCode::BAD_GATEWAY, "provider-refused", detail)
                    }
                    S::Denied { .. } => {
                        Problem::new(StatusCode::FORBIDDEN, "access-denied", detail)
                    }
                    S::NoClient { .. } | S::ClientKey { .. } => {
                        Problem::new(StatusCode::CONFLICT, "provider-not-configured", detail)
                    }
                    S::Registration { .. } => Problem::new(
                        StatusCode::BAD_GATEWAY,
                        "provider-registration-failed",
                        detail,
                    ),
                }
            }
            SourceError::UnknownEndpoint(_) => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown-endpoint", detail)
            }
            SourceError::UnknownState => {
                Problem::new(StatusCode::BAD_REQUEST, "unknown-state", detail)
            }
            SourceError::NotConnectable(_) => {
                Problem::new(StatusCode::CONFLICT, "not-connectable", detail)
            }
            SourceError::NeedsReconnect(_) => {
                Problem::new(StatusCode::CONFLICT, "needs-reconnect", detail)
            }
            SourceError::OtherPatient { .. } => {
                Problem::new(StatusCode::CONFLICT, "other-patient", detail)
            }
            SourceError::Address(_) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "provider-address-refused",
                detail,
            ),
            SourceError::OpenServerRefused(_) => {
                Problem::new(StatusCode::FORBIDDEN, "open-servers-off", detail)
            }
            SourceError::AccessGone => {
                Problem::new(StatusCode::FORBIDDEN, "access-revoked", detail)
            }
            SourceError::ConnectionsOff => {
                Problem::new(StatusCode::SERVICE_UNAVAILABLE, "connections-off", detail)
            }
            SourceError::Secret(_) | SourceError::Db(_) => {
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", detail)
            }
        }
    }
}

impl From<crate::jobs::JobError> for Problem {
    fn from(e: crate::jobs::JobError) -> Problem {
        if crate::db::is_busy(&e) {
            return Problem::database_busy();
        }
        use crate::jobs::JobError;
        let detail = e.to_string();
        match e {
            JobError::NotFound(_) => Problem::new(StatusCode::NOT_FOUND, "not-found", detail),
            JobError::State { .. } => Problem::new(StatusCode::CONFLICT, "job-state", detail),
            JobError::Source(e) => Problem::from(&e),
            JobError::Db(_) => Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", detail),
        }
    }
}

impl From<AuthError> for Problem {
    fn from(e: AuthError) -> Problem {
        if crate::db::is_busy(&e) {
            return Problem::database_busy();
        }
        let detail = e.to_string();
        match e {
            AuthError::Unauthenticated(_) => {
                Problem::new(StatusCode::UNAUTHORIZED, "unauthenticated", detail)
                    .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
            }
            AuthError::InvalidCredentials => {
                Problem::new(StatusCode::UNAUTHORIZED, "invalid-credentials", detail)
            }
            AuthError::TotpRequired => {
                Problem::new(StatusCode::UNAUTHORIZED, "totp-required", detail)
            }
            AuthError::TooManyAttempts(wait) => {
                let secs = wait.0.as_secs().max(1);
                Problem::new(StatusCode::TOO_MANY_REQUESTS, "too-many-attempts", detail)
                    .with_header(header::RETRY_AFTER, HeaderValue::from(secs))
            }
            AuthError::Busy => Problem::new(StatusCode::SERVICE_UNAVAILABLE, "busy", detail)
                .with_header(header::RETRY_AFTER, HeaderValue::from(1)),
            AuthError::Csrf => Problem::new(StatusCode::FORBIDDEN, "csrf", detail),
            AuthError::Forbidden(_) => Problem::new(StatusCode::FORBIDDEN, "forbidden", detail),
            AuthError::NotFound(_) => Problem::new(StatusCode::NOT_FOUND, "not-found", detail),
            AuthError::Conflict { kind, .. } => Problem::new(StatusCode::CONFLICT, kind, detail),
            AuthError::Invalid { .. } => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-field", detail)
            }
            AuthError::WeakPassword { .. } => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "weak-password", detail)
            }
            AuthError::Secret(_) | AuthError::Db(_) | AuthError::Internal(_) => {
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", detail)
            }
        }
    }
}

impl From<QueryError> for Problem {
    fn from(e: QueryError) -> Problem {
        let kind = match e {
            QueryError::Unsupported(_) => "unsupported-parameter",
            QueryError::Invalid { .. } => "invalid-query",
        };
        Problem::new(StatusCode::BAD_REQUEST, kind, e.to_string())
    }
}

impl From<SearchError> for Problem {
    fn from(e: SearchError) -> Problem {
        if crate::db::is_busy(&e) {
            return Problem::database_busy();
        }
        match e {
            SearchError::Query(q) => q.into(),
            other => Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                other.to_string(),
            ),
        }
    }
}

impl From<SpoolError> for Problem {
    fn from(e: SpoolError) -> Problem {
        let detail = e.to_string();
        match e {
            SpoolError::TooLarge(_) => {
                Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "upload-too-large", detail)
            }
            SpoolError::Body(_) => Problem::new(StatusCode::BAD_REQUEST, "bad-body", detail),
            SpoolError::Io(_) => {
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", detail)
            }
        }
    }
}

impl From<crate::records::convert::ConvertError> for Problem {
    fn from(e: crate::records::convert::ConvertError) -> Problem {
        use crate::records::convert::ConvertError as C;
        let detail = e.to_string();
        match e {
            C::NotAnImporter(_) => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "not-an-importer", detail)
            }
            C::TooLarge { .. } => {
                Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "upload-too-large", detail)
            }
            C::Plugin(failure) => Problem::new(
                StatusCode::BAD_GATEWAY,
                failure.stopped_code().unwrap_or("import-failed"),
                detail,
            ),
            // The same answer as an upload's, saying whose output was at fault.
            C::Import { importer, error } => {
                let mut p = Problem::from(error);
                p.detail = format!("{importer} converted the document into: {}", p.detail);
                p
            }
            C::Io(_) => {
                tracing::error!(error = %detail, "keeping converted resources failed");
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", detail)
            }
        }
    }
}

impl From<ImportError> for Problem {
    fn from(e: ImportError) -> Problem {
        if crate::db::is_busy(&e) {
            return Problem::database_busy();
        }
        let detail = e.to_string();
        match e {
            ImportError::Malformed(_) => {
                Problem::new(StatusCode::BAD_REQUEST, "malformed-upload", detail)
            }
            ImportError::Entry {
                index,
                line,
                path,
                reason,
            } => Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-entry", detail)
                .at_entry(index, line)
                .at(path, reason),
            ImportError::Empty => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "empty-upload", detail)
            }
            ImportError::DifferentPerson {
                patient,
                differences,
            } => {
                let mut p = Problem::new(StatusCode::CONFLICT, "different-person", detail);
                let e = p.extensions.get_or_insert_default();
                e.patient = Some(patient);
                e.differences = differences;
                p
            }
            ImportError::Io(_) | ImportError::Store(_) => {
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", detail)
            }
        }
    }
}

impl From<crate::removals::RemovalError> for Problem {
    fn from(e: crate::removals::RemovalError) -> Problem {
        use crate::removals::RemovalError;
        if crate::db::is_busy(&e) {
            return Problem::database_busy();
        }
        let detail = e.to_string();
        match e {
            RemovalError::Manual(m) => Problem::from(m),
            RemovalError::NotFound(_) => Problem::new(StatusCode::NOT_FOUND, "not-found", detail),
            RemovalError::SyncRunning(_) => {
                Problem::new(StatusCode::CONFLICT, "sync-running", detail)
            }
            RemovalError::Conflict(_) => Problem::new(StatusCode::CONFLICT, "cannot-undo", detail),
            RemovalError::NotOwner(_) => Problem::new(StatusCode::FORBIDDEN, "forbidden", detail),
            RemovalError::Damaged(_) | RemovalError::Db(_) | RemovalError::Store(_) => {
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", detail)
            }
        }
    }
}

impl From<ManualError> for Problem {
    fn from(e: ManualError) -> Problem {
        if crate::db::is_busy(&e) {
            return Problem::database_busy();
        }
        let detail = e.to_string();
        match e {
            ManualError::Invalid(bad) => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-record", detail)
                    .at(bad.path, bad.reason)
            }
            ManualError::NotFound(..) => Problem::new(StatusCode::NOT_FOUND, "not-found", detail),
            ManualError::NotEditable(..) => {
                Problem::new(StatusCode::CONFLICT, "not-editable", detail)
            }
            ManualError::Attachment(_) => Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-attachment",
                detail,
            ),
            ManualError::Store(_) | ManualError::Io(_) => {
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", detail)
            }
        }
    }
}

impl From<IpsError> for Problem {
    fn from(e: IpsError) -> Problem {
        if crate::db::is_busy(&e) {
            return Problem::database_busy();
        }
        let detail = e.to_string();
        match e {
            IpsError::NoPatient => Problem::new(StatusCode::CONFLICT, "no-patient", detail),
            IpsError::Store(_) => {
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", detail)
            }
        }
    }
}

impl From<ExportError> for Problem {
    fn from(e: ExportError) -> Problem {
        if crate::db::is_busy(&e) {
            return Problem::database_busy();
        }
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Problem {
        if crate::db::is_busy(&e) {
            return Problem::database_busy();
        }
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
    }
}

/// `Json<T>` whose rejections are problem responses.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_problem(rejection)),
        }
    }
}

fn json_problem(rejection: JsonRejection) -> Problem {
    let detail = rejection.body_text();
    let status = rejection.status();
    match rejection {
        JsonRejection::JsonDataError(_) => {
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-body", detail)
        }
        JsonRejection::JsonSyntaxError(_) => {
            Problem::new(StatusCode::BAD_REQUEST, "malformed-json", detail)
        }
        JsonRejection::MissingJsonContentType(_) => Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "send the body as JSON with Content-Type: application/json",
        ),
        JsonRejection::BytesRejection(_) if status == StatusCode::PAYLOAD_TOO_LARGE => {
            Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body-too-large",
                format!("the body is larger than the {MAX_JSON_BODY}-byte limit"),
            )
        }
        _ => Problem::new(StatusCode::BAD_REQUEST, "bad-body", detail),
    }
}

/// Query string extractor whose rejections are problem responses.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e: QueryRejection| {
                Problem::new(StatusCode::BAD_REQUEST, "invalid-query", e.body_text())
            })
    }
}

/// Path extractor whose rejections are problem responses.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e: PathRejection| {
                Problem::new(StatusCode::BAD_REQUEST, "invalid-path", e.body_text())
            })
    }
}
