//! SQL-on-FHIR views run over a profile's records.

use super::extract::{Access, Read};
use super::openapi::{BadRequest, NotFound, Unprocessable};
use super::{ApiJson, AppState, Problem, Routes};
use crate::records::views::{ViewLimits, ViewRunError};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{OpenApi, ToSchema};

/// The view routes' description.
#[derive(OpenApi)]
#[openapi(paths(run_view))]
pub(super) struct Doc;

pub(super) fn routes(r: Routes) -> Routes {
    r.post("/profiles/{profile}/views/$run", run_view)
}

/// A view to run.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ViewRequest {
    /// A SQL-on-FHIR v2 ViewDefinition (`resource`, `select`, `where`, `constant`).
    #[schema(value_type = Object)]
    view: Value,
    /// FHIR search parameters that narrow the records first, as `GET …/fhir/{type}` takes
    /// them (`code=http://loinc.org|4548-4&date=ge2023`).
    #[serde(default)]
    filter: Option<String>,
    /// Most rows to return (1 to 10000, 1000 when absent).
    #[serde(default)]
    limit: Option<usize>,
}

/// One output column.
#[derive(Debug, Serialize, ToSchema)]
struct ViewColumn {
    /// Its name.
    name: String,
    /// The FHIR type the view declares for it.
    #[serde(skip_serializing_if = "Option::is_none", rename = "type")]
    #[schema(nullable = false)]
    ty: Option<String>,
    /// Whether each value is an array.
    collection: bool,
}

/// One row: its values keyed by column name, in column order.
#[derive(Debug)]
struct Row(Vec<(String, Value)>);

impl Serialize for Row {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// A view's rows.
#[derive(Debug, Serialize, ToSchema)]
struct ViewRows {
    /// The columns, in order.
    columns: Vec<ViewColumn>,
    /// One object per row, keyed by column name; values are the records' own JSON
    /// (a decimal keeps its digits) or what the path computed.
    #[schema(value_type = Vec<Object>)]
    rows: Vec<Row>,
    /// Whether rows past `limit` were left out.
    truncated: bool,
    /// How many records the view read.
    resources_read: u64,
}

/// Run a SQL-on-FHIR view over the profile's records: read-only, at most 10 s.
#[utoipa::path(
    post,
    path = "/api/profiles/{profile}/views/$run",
    tag = "data",
    operation_id = "run_view",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id")),
    request_body = ViewRequest,
    responses(
        (status = 200, description = "The rows", body = ViewRows),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    )
)]
async fn run_view(
    State(state): State<AppState>,
    access: Access<Read>,
    ApiJson(request): ApiJson<ViewRequest>,
) -> Result<Json<ViewRows>, Problem> {
    let limits = ViewLimits::asking(request.limit)?;
    let filter = crate::records::views::filter_params(request.filter.as_deref());
    let view = crate::records::views::check(&request.view)?;
    let out = state
        .records
        .run_view(&access.scope, &view, &filter, limits)
        .await?;
    let names: Vec<&str> = out.columns.iter().map(|c| c.name.as_str()).collect();
    let rows = out
        .rows
        .into_iter()
        .map(|row| Row(names.iter().map(|n| n.to_string()).zip(row).collect()))
        .collect();
    Ok(Json(ViewRows {
        columns: out
            .columns
            .iter()
            .map(|c| ViewColumn {
                name: c.name.clone(),
                ty: c.ty.clone(),
                collection: c.collection,
            })
            .collect(),
        rows,
        truncated: out.truncated,
        resources_read: out.resources_read,
    }))
}

impl From<ViewRunError> for Problem {
    fn from(e: ViewRunError) -> Problem {
        match e {
            ViewRunError::Invalid(_) | ViewRunError::NotJson(_) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-view",
                e.to_string(),
            ),
            ViewRunError::Evaluation(_) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "view-failed",
                e.to_string(),
            ),
            ViewRunError::Filter(q) => q.into(),
            ViewRunError::Limit(_) => {
                Problem::new(StatusCode::BAD_REQUEST, "invalid-query", e.to_string())
            }
            ViewRunError::TooSlow { .. } => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "view-too-slow",
                e.to_string(),
            ),
            ViewRunError::Store(s) => s.into(),
            ViewRunError::Corrupt(_) => {
                tracing::error!(error = %e, "view read a damaged record");
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
            }
        }
    }
}
