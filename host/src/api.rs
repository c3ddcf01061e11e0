//! The HTTP API: axum routes, and the one place where domain errors become
//! JSON problem responses (RFC 9457).

use crate::plugins::Plugins;
use crate::plugins::call::PluginFailure;
use crate::records::{self, RecordStore, StoreError};
use crate::sources::{NewSource, SourceError, Sources};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use std::sync::Arc;

/// Largest JSON body the API accepts.
pub const MAX_JSON_BODY: usize = 1 << 20;

/// Shared state of the API.
#[derive(Clone)]
pub struct AppState {
    /// Sources service.
    pub sources: Arc<Sources>,
    /// Record store.
    pub records: RecordStore,
    /// Plugin host.
    pub plugins: Arc<Plugins>,
}

/// The API router.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/health", get(health))
        .route("/plugins", get(plugins))
        .route("/sources", get(list_sources).post(create_source))
        .route("/sources/{id}", get(get_source))
        .route("/sources/{id}/sync", post(sync_source))
        .route("/records", get(list_records))
        .route("/records/{type}/{id}", get(get_record))
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
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY));
    Router::new()
        .nest("/api", api)
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// A JSON problem response.
#[derive(Debug)]
pub struct Problem {
    status: StatusCode,
    kind: &'static str,
    detail: String,
}

impl Problem {
    /// A problem with an HTTP status, a short machine-readable kind and a human detail.
    pub fn new(status: StatusCode, kind: &'static str, detail: impl Into<String>) -> Problem {
        Problem {
            status,
            kind,
            detail: detail.into(),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(status = %self.status, kind = self.kind, detail = %self.detail, "request failed");
        } else {
            tracing::info!(status = %self.status, kind = self.kind, detail = %self.detail, "request refused");
        }
        let body = json!({
            "type": format!("urn:hearth:problem:{}", self.kind),
            "title": self.status.canonical_reason().unwrap_or("Error"),
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body.to_string(),
        )
            .into_response()
    }
}

impl From<SourceError> for Problem {
    fn from(e: SourceError) -> Problem {
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
            SourceError::Plugin { failure, .. } => {
                let kind = match failure {
                    PluginFailure::Timeout { .. } => "plugin-timeout",
                    PluginFailure::Memory { .. } => "plugin-memory-limit",
                    PluginFailure::ForbiddenHost { .. } => "plugin-forbidden-host",
                    PluginFailure::Output { .. } => "plugin-output-limit",
                    PluginFailure::Trap { .. } => "plugin-crashed",
                    PluginFailure::Reported { .. } => "sync-failed",
                };
                Problem::new(StatusCode::BAD_GATEWAY, kind, detail)
            }
            SourceError::Secret(_) | SourceError::Db(_) => {
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", detail)
            }
        }
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Problem {
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

async fn health(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "plugins": state.plugins.summaries().len(),
        "plugin_failures": state.plugins.failures().len(),
    }))
}

async fn plugins(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({
        "plugins": state.plugins.summaries(),
        "failures": state.plugins.failures(),
    }))
}

async fn create_source(
    State(state): State<AppState>,
    ApiJson(new): ApiJson<NewSource>,
) -> Result<impl IntoResponse, Problem> {
    let source = state.sources.create(new).await?;
    Ok((StatusCode::CREATED, Json(source)))
}

async fn list_sources(State(state): State<AppState>) -> Result<impl IntoResponse, Problem> {
    Ok(Json(json!({ "sources": state.sources.list().await? })))
}

async fn get_source(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<impl IntoResponse, Problem> {
    Ok(Json(state.sources.get(&id).await?))
}

async fn sync_source(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<impl IntoResponse, Problem> {
    // The sync runs in its own task, so a client that hangs up does not cancel it half-way.
    let sources = state.sources.clone();
    let result = tokio::spawn(async move { sources.sync(&id).await })
        .await
        .map_err(|e| {
            Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                format!("the sync task failed: {e}"),
            )
        })?;
    Ok(Json(result?))
}

/// Query of `GET /api/records`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordQuery {
    #[serde(rename = "type")]
    resource_type: Option<String>,
    page: Option<u64>,
    per_page: Option<u64>,
}

async fn list_records(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<RecordQuery>,
) -> Result<impl IntoResponse, Problem> {
    if let Some(t) = &q.resource_type
        && !records::is_type_name(t)
    {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            format!("`type`: {t:?} is not a FHIR resource type name"),
        ));
    }
    let page = q.page.unwrap_or(1);
    if page == 0 {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            "`page` starts at 1",
        ));
    }
    let per_page = q.per_page.unwrap_or(50);
    if !(1..=1000).contains(&per_page) {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            "`per_page` must be 1 to 1000",
        ));
    }
    Ok(Json(
        state
            .records
            .list(q.resource_type.as_deref(), page, per_page)
            .await?,
    ))
}

async fn get_record(
    State(state): State<AppState>,
    ApiPath((resource_type, id)): ApiPath<(String, String)>,
) -> Result<Response, Problem> {
    if !records::is_type_name(&resource_type) || !records::is_fhir_id(&id) {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-path",
            "expected /api/records/{Type}/{id} with a FHIR type and id",
        ));
    }
    let stored = state
        .records
        .get(&resource_type, &id)
        .await?
        .ok_or_else(|| {
            Problem::new(
                StatusCode::NOT_FOUND,
                "not-found",
                format!("no {resource_type}/{id} is stored"),
            )
        })?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/fhir+json"),
            (
                header::HeaderName::from_static("x-hearth-source"),
                stored.source_id.as_str(),
            ),
        ],
        stored.resource.get().to_string(),
    )
        .into_response())
}
