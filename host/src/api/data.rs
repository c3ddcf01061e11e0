//! A profile's sources and records.

use super::extract::{Access, Edit, Read};
use super::{ApiJson, ApiPath, ApiQuery, AppState, Problem, Routes};
use crate::records;
use crate::sources::NewSource;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/profiles/{profile}/sources", list_sources)
        .post("/profiles/{profile}/sources", create_source)
        .get("/profiles/{profile}/sources/{source}", get_source)
        .post("/profiles/{profile}/sources/{source}/sync", sync_source)
        .get("/profiles/{profile}/records", list_records)
        .get("/profiles/{profile}/records/{type}/{id}", get_record)
}

async fn create_source(
    State(state): State<AppState>,
    access: Access<Edit>,
    ApiJson(new): ApiJson<NewSource>,
) -> Result<impl IntoResponse, Problem> {
    let source = state.sources.create(&access.scope, new).await?;
    Ok((StatusCode::CREATED, Json(source)))
}

async fn list_sources(
    State(state): State<AppState>,
    access: Access<Read>,
) -> Result<impl IntoResponse, Problem> {
    Ok(Json(
        json!({ "sources": state.sources.list(&access.scope).await? }),
    ))
}

async fn get_source(
    State(state): State<AppState>,
    access: Access<Read>,
    ApiPath((_, id)): ApiPath<(String, String)>,
) -> Result<impl IntoResponse, Problem> {
    Ok(Json(state.sources.get(&access.scope, &id).await?))
}

async fn sync_source(
    State(state): State<AppState>,
    access: Access<Edit>,
    ApiPath((_, id)): ApiPath<(String, String)>,
) -> Result<impl IntoResponse, Problem> {
    // The sync runs in its own task, so a client that hangs up does not cancel it half-way.
    let sources = state.sources.clone();
    let scope = access.scope;
    let result = tokio::spawn(async move { sources.sync(&scope, &id).await })
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
    access: Access<Read>,
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
            .list(&access.scope, q.resource_type.as_deref(), page, per_page)
            .await?,
    ))
}

async fn get_record(
    State(state): State<AppState>,
    access: Access<Read>,
    ApiPath((_, resource_type, id)): ApiPath<(String, String, String)>,
) -> Result<Response, Problem> {
    if !records::is_type_name(&resource_type) || !records::is_fhir_id(&id) {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-path",
            "expected …/records/{Type}/{id} with a FHIR type and id",
        ));
    }
    let stored = state
        .records
        .get(&access.scope, &resource_type, &id)
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
