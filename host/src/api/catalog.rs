//! Searching the provider catalog.

use super::{ApiQuery, AppState, Problem, Routes};
use crate::auth::Caller;
use crate::catalog::index::MAX_LIMIT;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/catalog", search)
}

/// Query of `GET /api/catalog`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchParams {
    /// Words to look for in names, aliases, portals, cities and states.
    #[serde(default)]
    q: String,
    /// Page size (default 20, at most 100).
    #[serde(default)]
    limit: Option<usize>,
}

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
    Ok(Json(state.catalog.search(&params.q, limit)))
}
