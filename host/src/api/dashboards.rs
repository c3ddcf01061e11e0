//! Condition dashboards of a profile: which apply, drawing one, the person's
//! choices and card layout.

use super::extract::{Access, Edit, Read};
use super::openapi::{BadRequest, Conflict, NotFound, Unprocessable};
use super::{ApiJson, ApiPath, ApiQuery, AppState, Problem, Routes};
use crate::dashboards::{
    CardPlace, Choice, DashboardEntry, DashboardError, Drawn, Imported, is_imported,
};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, OpenApi, ToSchema};

/// The dashboard routes' description.
#[derive(OpenApi)]
#[openapi(paths(list, draw, choose, save_layout, import, remove))]
pub(super) struct Doc;

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/profiles/{profile}/dashboards", list)
        .get("/profiles/{profile}/dashboards/{dashboard}", draw)
        .put("/profiles/{profile}/dashboards/{dashboard}", choose)
        .delete("/profiles/{profile}/dashboards/{dashboard}", remove)
        .post("/profiles/{profile}/dashboards/import", import)
        .put(
            "/profiles/{profile}/dashboards/{dashboard}/layout",
            save_layout,
        )
}

/// `GET …/dashboards`.
#[derive(Debug, Serialize, ToSchema)]
struct DashboardList {
    /// Every dashboard, proposed ones marked with why.
    dashboards: Vec<DashboardEntry>,
}

/// The condition dashboards, with which ones the records suggest and which are shown.
#[utoipa::path(
    get,
    path = "/api/profiles/{profile}/dashboards",
    tag = "dashboards",
    operation_id = "list_dashboards",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id")),
    responses(
        (status = 200, description = "The dashboards", body = DashboardList),
        (status = 404, response = NotFound),
    )
)]
async fn list(
    State(state): State<AppState>,
    access: Access<Read>,
) -> Result<Json<DashboardList>, Problem> {
    Ok(Json(DashboardList {
        dashboards: state.dashboards.list(&access.scope).await?,
    }))
}

/// Query of `GET …/dashboards/{dashboard}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct DrawParams {
    /// The day it is drawn for (`YYYY-MM-DD`); today when absent.
    as_of: Option<String>,
}

/// Draw a dashboard from the profile's records.
#[utoipa::path(
    get,
    path = "/api/profiles/{profile}/dashboards/{dashboard}",
    tag = "dashboards",
    operation_id = "draw_dashboard",
    security(("bearer" = []), ("cookie" = [])),
    params(
        ("profile" = String, Path, description = "Profile id"),
        ("dashboard" = String, Path, description = "Dashboard plugin id"),
        DrawParams,
    ),
    responses(
        (status = 200, description = "The drawn dashboard and its layout", body = Drawn),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
async fn draw(
    State(state): State<AppState>,
    access: Access<Read>,
    ApiPath((_, dashboard)): ApiPath<(String, String)>,
    ApiQuery(params): ApiQuery<DrawParams>,
) -> Result<Json<Drawn>, Problem> {
    let as_of = match params.as_of {
        None => chrono::Utc::now().format("%Y-%m-%d").to_string(),
        Some(day) if chrono::NaiveDate::parse_from_str(&day, "%Y-%m-%d").is_ok() => day,
        Some(day) => {
            return Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid-query",
                format!("as_of {day:?} is not a date (YYYY-MM-DD)"),
            ));
        }
    };
    Ok(Json(
        state
            .dashboards
            .draw(&access.scope, &dashboard, &as_of)
            .await?,
    ))
}

/// A person's choice for a dashboard.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ChoiceRequest {
    /// `auto` follows the proposal; `shown` adds it; `hidden` hides it.
    choice: Choice,
    /// Values of the dashboard's settings (keys it declares).
    #[serde(default)]
    settings: BTreeMap<String, String>,
}

/// Add, hide or reset a dashboard, and set its settings.
#[utoipa::path(
    put,
    path = "/api/profiles/{profile}/dashboards/{dashboard}",
    tag = "dashboards",
    operation_id = "choose_dashboard",
    security(("bearer" = []), ("cookie" = [])),
    params(
        ("profile" = String, Path, description = "Profile id"),
        ("dashboard" = String, Path, description = "Dashboard plugin id"),
    ),
    request_body = ChoiceRequest,
    responses(
        (status = 200, description = "The dashboard as it now stands", body = DashboardEntry),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    )
)]
async fn choose(
    State(state): State<AppState>,
    access: Access<Edit>,
    ApiPath((_, dashboard)): ApiPath<(String, String)>,
    ApiJson(request): ApiJson<ChoiceRequest>,
) -> Result<Json<DashboardEntry>, Problem> {
    Ok(Json(
        state
            .dashboards
            .choose(&access.scope, &dashboard, request.choice, request.settings)
            .await?,
    ))
}

/// Where a dashboard's cards sit.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Layout {
    /// Each placed card.
    cards: Vec<CardPlace>,
}

/// Save where a dashboard's cards sit (a 12-column grid).
#[utoipa::path(
    put,
    path = "/api/profiles/{profile}/dashboards/{dashboard}/layout",
    tag = "dashboards",
    operation_id = "save_dashboard_layout",
    security(("bearer" = []), ("cookie" = [])),
    params(
        ("profile" = String, Path, description = "Profile id"),
        ("dashboard" = String, Path, description = "Dashboard plugin id"),
    ),
    request_body = Layout,
    responses(
        (status = 200, description = "The saved layout", body = Layout),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    )
)]
async fn save_layout(
    State(state): State<AppState>,
    access: Access<Edit>,
    ApiPath((_, dashboard)): ApiPath<(String, String)>,
    ApiJson(layout): ApiJson<Layout>,
) -> Result<Json<Layout>, Problem> {
    let cards = state
        .dashboards
        .save_layout(&access.scope, &dashboard, layout.cards)
        .await?;
    Ok(Json(Layout { cards }))
}

/// Import a Fasten dashboard file: each widget's queries are translated to
/// views over this profile's records; what cannot be translated is reported
/// with its place in the file.
#[utoipa::path(
    post,
    path = "/api/profiles/{profile}/dashboards/import",
    tag = "dashboards",
    operation_id = "import_dashboard",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id")),
    request_body(content = Object, description = "A Fasten dashboard file (`{title, widgets: [...]}`)"),
    responses(
        (status = 201, description = "The new dashboard and what was left out", body = Imported),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    )
)]
async fn import(
    State(state): State<AppState>,
    access: Access<Edit>,
    ApiJson(file): ApiJson<Box<serde_json::value::RawValue>>,
) -> Result<(StatusCode, Json<Imported>), Problem> {
    let imported = state.dashboards.import(&access.scope, file.get()).await?;
    Ok((StatusCode::CREATED, Json(imported)))
}

/// Remove an imported dashboard (a plugin's dashboard is hidden instead).
#[utoipa::path(
    delete,
    path = "/api/profiles/{profile}/dashboards/{dashboard}",
    tag = "dashboards",
    operation_id = "remove_dashboard",
    security(("bearer" = []), ("cookie" = [])),
    params(
        ("profile" = String, Path, description = "Profile id"),
        ("dashboard" = String, Path, description = "Imported dashboard id"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
async fn remove(
    State(state): State<AppState>,
    access: Access<Edit>,
    ApiPath((_, dashboard)): ApiPath<(String, String)>,
) -> Result<StatusCode, Problem> {
    if !is_imported(&dashboard) {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "installed-dashboard",
            format!("{dashboard} comes from a plugin; hide it instead"),
        ));
    }
    state
        .dashboards
        .remove_imported(&access.scope, &dashboard)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

impl From<DashboardError> for Problem {
    fn from(e: DashboardError) -> Problem {
        match e {
            DashboardError::NotFound(_) => {
                Problem::new(StatusCode::NOT_FOUND, "not-found", e.to_string())
            }
            DashboardError::Invalid(_) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-body",
                e.to_string(),
            ),
            DashboardError::Plugin(failure) => {
                tracing::warn!(error = %failure, "a dashboard plugin failed");
                Problem::new(
                    StatusCode::BAD_GATEWAY,
                    failure.stopped_code().unwrap_or("dashboard-failed"),
                    failure.to_string(),
                )
            }
            DashboardError::Search(s) => s.into(),
            DashboardError::Db(db) => Problem::database(db),
        }
    }
}
