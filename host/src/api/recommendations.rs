//! Recommendations of a profile: what is due, done or not recommended,
//! setting one aside with why, and the immunization forecast as FHIR.

use super::extract::{Access, Edit, Read};
use super::openapi::{BadRequest, NotFound, Unprocessable};
use super::{ApiJson, ApiPath, ApiQuery, AppState, Problem, Routes};
use crate::recommendations::{Assessed, Dismissal, RecommendationError};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi, ToSchema};

/// The recommendation routes' description.
#[derive(OpenApi)]
#[openapi(paths(list, dismiss, restore, immds_forecast, immds_forecast_post))]
pub(super) struct Doc;

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/profiles/{profile}/recommendations", list)
        .put(
            "/profiles/{profile}/recommendations/{plugin}/{key}/dismissal",
            dismiss,
        )
        .delete(
            "/profiles/{profile}/recommendations/{plugin}/{key}/dismissal",
            restore,
        )
        .get("/profiles/{profile}/$immds-forecast", immds_forecast)
        .post("/profiles/{profile}/$immds-forecast", immds_forecast_post)
}

/// Query of `GET …/recommendations`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct AsOf {
    /// The day to judge for (`YYYY-MM-DD`); today when absent.
    as_of: Option<String>,
}

/// A day given by a caller, or today.
fn day(given: Option<String>, name: &str) -> Result<String, Problem> {
    match given {
        None => Ok(chrono::Utc::now().format("%Y-%m-%d").to_string()),
        Some(d) if chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").is_ok() => Ok(d),
        Some(d) => Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            format!("{name} {d:?} is not a date (YYYY-MM-DD)"),
        )),
    }
}

/// What the rules plugins say is due for the profile, grouped by status
/// (most pressing first), with the records each rests on and how each
/// vaccine dose on record was judged.
#[utoipa::path(
    get,
    path = "/api/profiles/{profile}/recommendations",
    tag = "recommendations",
    operation_id = "list_recommendations",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id"), AsOf),
    responses(
        (status = 200, description = "The recommendations", body = Assessed),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
async fn list(
    State(state): State<AppState>,
    access: Access<Read>,
    ApiQuery(query): ApiQuery<AsOf>,
) -> Result<Json<Assessed>, Problem> {
    let as_of = day(query.as_of, "as_of")?;
    Ok(Json(
        state.recommendations.assess(&access.scope, &as_of).await?,
    ))
}

/// Why a recommendation is set aside.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct DismissRequest {
    /// In the person's words (1 to 500 characters).
    reason: String,
}

/// Set a recommendation aside, with why; it is listed apart until brought back.
#[utoipa::path(
    put,
    path = "/api/profiles/{profile}/recommendations/{plugin}/{key}/dismissal",
    tag = "recommendations",
    operation_id = "dismiss_recommendation",
    security(("bearer" = []), ("cookie" = [])),
    params(
        ("profile" = String, Path, description = "Profile id"),
        ("plugin" = String, Path, description = "Rules plugin id"),
        ("key" = String, Path, description = "The recommendation's key"),
    ),
    request_body = DismissRequest,
    responses(
        (status = 200, description = "Set aside", body = Dismissal),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    )
)]
async fn dismiss(
    State(state): State<AppState>,
    access: Access<Edit>,
    ApiPath((_, plugin, key)): ApiPath<(String, String, String)>,
    ApiJson(request): ApiJson<DismissRequest>,
) -> Result<Json<Dismissal>, Problem> {
    Ok(Json(
        state
            .recommendations
            .dismiss(&access.scope, &plugin, &key, &request.reason)
            .await?,
    ))
}

/// Bring a set-aside recommendation back.
#[utoipa::path(
    delete,
    path = "/api/profiles/{profile}/recommendations/{plugin}/{key}/dismissal",
    tag = "recommendations",
    operation_id = "restore_recommendation",
    security(("bearer" = []), ("cookie" = [])),
    params(
        ("profile" = String, Path, description = "Profile id"),
        ("plugin" = String, Path, description = "Rules plugin id"),
        ("key" = String, Path, description = "The recommendation's key"),
    ),
    responses(
        (status = 204, description = "Brought back"),
        (status = 404, response = NotFound),
    )
)]
async fn restore(
    State(state): State<AppState>,
    access: Access<Edit>,
    ApiPath((_, plugin, key)): ApiPath<(String, String, String)>,
) -> Result<StatusCode, Problem> {
    state
        .recommendations
        .restore(&access.scope, &plugin, &key)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Query of `GET …/$immds-forecast`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Assessment {
    /// The day to forecast for (`YYYY-MM-DD`); today when absent.
    assessment_date: Option<String>,
}

/// The profile's immunization forecast as FHIR R4, in the shape of the ImmDS
/// `$immds-forecast` operation: a `Parameters` with an
/// `ImmunizationRecommendation` and an `ImmunizationEvaluation` per dose.
#[utoipa::path(
    get,
    path = "/api/profiles/{profile}/$immds-forecast",
    tag = "recommendations",
    operation_id = "immds_forecast",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id"), Assessment),
    responses(
        (status = 200, description = "FHIR Parameters", body = Object, content_type = "application/fhir+json"),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
async fn immds_forecast(
    State(state): State<AppState>,
    access: Access<Read>,
    ApiQuery(query): ApiQuery<Assessment>,
) -> Result<axum::response::Response, Problem> {
    let as_of = day(query.assessment_date, "assessmentDate")?;
    fhir(
        state
            .recommendations
            .immds_forecast(&access.scope, &as_of)
            .await?,
    )
}

/// `$immds-forecast` as the ImmDS guide calls it: a `Parameters` body whose
/// `assessmentDate` names the day (the records are the profile's own).
#[utoipa::path(
    post,
    path = "/api/profiles/{profile}/$immds-forecast",
    tag = "recommendations",
    operation_id = "immds_forecast_post",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id")),
    request_body(content = Object, description = "FHIR Parameters with an optional `assessmentDate` (valueDate)"),
    responses(
        (status = 200, description = "FHIR Parameters", body = Object, content_type = "application/fhir+json"),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    )
)]
async fn immds_forecast_post(
    State(state): State<AppState>,
    access: Access<Read>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<axum::response::Response, Problem> {
    if body["resourceType"] != "Parameters" {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
            "the body must be a FHIR Parameters resource",
        ));
    }
    let given = body["parameter"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == "assessmentDate")
        .map(|p| {
            p["valueDate"]
                .as_str()
                .or(p["valueDateTime"].as_str().and_then(|s| s.get(..10)))
                .map(str::to_string)
                .ok_or_else(|| {
                    Problem::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid-body",
                        "assessmentDate needs a valueDate",
                    )
                })
        })
        .transpose()?;
    let as_of = day(given, "assessmentDate")
        .map_err(|p| Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-body", p.detail))?;
    fhir(
        state
            .recommendations
            .immds_forecast(&access.scope, &as_of)
            .await?,
    )
}

fn fhir(value: serde_json::Value) -> Result<axum::response::Response, Problem> {
    use axum::response::IntoResponse;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/fhir+json")],
        value.to_string(),
    )
        .into_response())
}

impl From<RecommendationError> for Problem {
    fn from(e: RecommendationError) -> Problem {
        match e {
            RecommendationError::NotFound(_) => {
                Problem::new(StatusCode::NOT_FOUND, "not-found", e.to_string())
            }
            RecommendationError::Invalid(_) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-body",
                e.to_string(),
            ),
            RecommendationError::Db(db) => Problem::database(db),
        }
    }
}
