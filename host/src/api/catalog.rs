//! Searching the provider catalog.

use super::openapi::BadRequest;
use super::{ApiQuery, AppState, Problem, Routes};
use crate::auth::Caller;
use crate::catalog::index::MAX_LIMIT;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

/// The catalog route's description.
#[derive(OpenApi)]
#[openapi(paths(search))]
pub(super) struct Doc;

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/catalog", search)
}

/// Query of `GET /api/catalog`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct SearchParams {
    /// Words to look for in names, aliases, portals, cities and states.
    #[serde(default)]
    q: String,
    /// Page size (default 20, at most 100).
    #[serde(default)]
    limit: Option<usize>,
}

/// Search the provider catalog (brands, their portals and endpoints).
#[utoipa::path(
    get,
    path = "/api/catalog",
    tag = "catalog",
    operation_id = "search_catalog",
    security(("bearer" = []), ("cookie" = [])),
    params(SearchParams),
    responses(
        (status = 200, description = "Matching brands, best first", body = crate::catalog::SearchPage),
        (status = 400, response = BadRequest),
    )
)]
async fn search(
    State(state): State<AppState>,
    _: Caller,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<crate::catalog::SearchPage>, Problem> {
    if params.q.len() > 200 {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            "`q` must be at most 200 characters",
        ));
    }
    let limit = params.limit.unwrap_or(20);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            format!("`limit` must be 1-{MAX_LIMIT}"),
        ));
    }
    Ok(Json(state.catalog.current().search(&params.q, limit)))
}
