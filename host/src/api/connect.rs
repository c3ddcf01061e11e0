//! Connecting providers: start a SMART App Launch, the callback, reconnect and disconnect.

use super::extract::{Access, Edit};
use super::openapi::{
    BadGateway, BadRequest, Conflict, Forbidden, NotFound, Unavailable, Unprocessable,
};
use super::{ApiJson, ApiPath, ApiQuery, AppState, Problem, Routes};
use crate::jobs::Job;
use crate::records::person::{Difference, Person};
use crate::sources::custom::{DiscoverRequest, ProviderFound};
use crate::sources::{CallbackParams, ConnectRequest, Source, Started};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

/// The connect routes' description.
#[derive(OpenApi)]
#[openapi(paths(start, discover, reconnect, disconnect, confirm_person, callback))]
pub(super) struct Doc;

pub(super) fn routes(r: Routes) -> Routes {
    r.post("/profiles/{profile}/connect", start)
        .post("/profiles/{profile}/providers/discover", discover)
        .post("/profiles/{profile}/sources/{source}/reconnect", reconnect)
        .post(
            "/profiles/{profile}/sources/{source}/disconnect",
            disconnect,
        )
        .post(
            "/profiles/{profile}/sources/{source}/confirm-person",
            confirm_person,
        )
        .get("/smart/callback", callback)
}

/// Look at a provider's FHIR base URL before connecting it: what it says it
/// is, its FHIR version, its sign-in endpoints and scopes, and how Hearth
/// would connect. Addresses on this machine or a private network are
/// refused unless the administrator allows them.
#[utoipa::path(
    post,
    path = "/api/profiles/{profile}/providers/discover",
    tag = "connect",
    operation_id = "discover_provider",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id")),
    request_body = DiscoverRequest,
    responses(
        (status = 200, description = "What Hearth found", body = ProviderFound),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
        (status = 502, response = BadGateway),
        (status = 503, response = Unavailable),
    )
)]
async fn discover(
    State(state): State<AppState>,
    _access: Access<Edit>,
    ApiJson(request): ApiJson<DiscoverRequest>,
) -> Result<Json<ProviderFound>, Problem> {
    Ok(Json(state.sources.discover_provider(&request.url).await?))
}

/// Start connecting a catalog endpoint, or any SMART provider by its FHIR
/// base URL: send the person's browser to `authorize_url`.
#[utoipa::path(
    post,
    path = "/api/profiles/{profile}/connect",
    tag = "connect",
    operation_id = "start_connect",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id")),
    request_body = ConnectRequest,
    responses(
        (status = 201, description = "Started", body = Started),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
        (status = 502, response = BadGateway),
        (status = 503, response = Unavailable),
    )
)]
async fn start(
    State(state): State<AppState>,
    access: Access<Edit>,
    ApiJson(request): ApiJson<ConnectRequest>,
) -> Result<impl IntoResponse, Problem> {
    let started = state
        .sources
        .start_connect(&access.scope, request, None)
        .await?;
    Ok((StatusCode::CREATED, Json(started)))
}

/// Start a new authorization for a connected source (e.g. after `needs-reconnect`).
#[utoipa::path(
    post,
    path = "/api/profiles/{profile}/sources/{source}/reconnect",
    tag = "connect",
    operation_id = "reconnect_source",
    security(("bearer" = []), ("cookie" = [])),
    params(
        ("profile" = String, Path, description = "Profile id"),
        ("source" = String, Path, description = "Source id"),
    ),
    responses(
        (status = 201, description = "Started", body = Started),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 502, response = BadGateway),
        (status = 503, response = Unavailable),
    )
)]
async fn reconnect(
    State(state): State<AppState>,
    access: Access<Edit>,
    ApiPath((_, source)): ApiPath<(String, String)>,
) -> Result<impl IntoResponse, Problem> {
    let request = ConnectRequest::default();
    let started = state
        .sources
        .start_connect(&access.scope, request, Some(&source))
        .await?;
    Ok((StatusCode::CREATED, Json(started)))
}

/// Disconnect a connected source: its tokens are revoked and dropped, its records stay.
#[utoipa::path(
    post,
    path = "/api/profiles/{profile}/sources/{source}/disconnect",
    tag = "connect",
    operation_id = "disconnect_source",
    security(("bearer" = []), ("cookie" = [])),
    params(
        ("profile" = String, Path, description = "Profile id"),
        ("source" = String, Path, description = "Source id"),
    ),
    responses(
        (status = 200, description = "The disconnected source", body = Source),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
async fn disconnect(
    State(state): State<AppState>,
    access: Access<Edit>,
    ApiPath((_, source)): ApiPath<(String, String)>,
) -> Result<impl IntoResponse, Problem> {
    state.sources.disconnect(&access.scope, &source).await?;
    Ok(Json(state.sources.get(&access.scope, &source).await?))
}

/// What the callback connected (its body; browsers follow `Location`).
#[derive(Serialize, ToSchema)]
struct CallbackAnswer {
    /// The profile the source belongs to.
    profile_id: String,
    /// The source created or reconnected.
    source_id: String,
    /// Whether the source already existed (a reconnect).
    reconnected: bool,
    /// The first sync, queued; none while the portal's patient waits for a confirmation.
    #[schema(required)]
    job: Option<Job>,
    /// When the portal's patient clearly is not the profile's person: who it is.
    #[schema(required)]
    patient: Option<Person>,
    /// What differs from the profile.
    differences: Vec<Difference>,
}

/// Say that a portal account whose patient did not match the profile is the
/// profile's after all; its first sync is queued.
#[utoipa::path(
    post,
    path = "/api/profiles/{profile}/sources/{source}/confirm-person",
    tag = "connect",
    operation_id = "confirm_person",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id"), ("source" = String, Path, description = "Source id")),
    responses(
        (status = 200, description = "Confirmed; the first sync, queued", body = Job),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    )
)]
async fn confirm_person(
    State(state): State<AppState>,
    access: Access<Edit>,
    ApiPath((_, source)): ApiPath<(String, String)>,
) -> Result<Json<Job>, Problem> {
    Ok(Json(
        state.jobs.confirm_person(&access.scope, &source).await?,
    ))
}

/// The provider sends the person's browser here. The `state` is the only
/// credential: the session cookie does not come along on a cross-site
/// redirect, and the state is single-use, short-lived and 128 bits of CSPRNG.
#[utoipa::path(
    get,
    path = "/api/smart/callback",
    tag = "connect",
    operation_id = "smart_callback",
    params(CallbackParams),
    responses(
        (status = 303, description = "Connected: `Location` leads to the source's page in the UI. A browser \
            (`Accept: text/html`) is also sent to the UI when connecting fails, to `../../connect/failed?kind=&detail=`; \
            other clients get the problem", body = CallbackAnswer,
            headers(("Location" = String, description = "`../../profiles/{profile}/sources/{source}?connected=1&job={job}`"))),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 502, response = BadGateway),
        (status = 503, response = Unavailable),
    )
)]
async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<ApiQuery<CallbackParams>, Problem>,
) -> Response {
    let outcome = match params {
        Ok(ApiQuery(params)) => finish(&state, params).await,
        Err(problem) => Err(problem),
    };
    match outcome {
        Ok(response) => response,
        // A person's browser gets the UI's page in words; API clients get the problem.
        Err(problem) if wants_page(&headers) => failed_page(problem),
        Err(problem) => problem.into_response(),
    }
}

/// Exchange the code, then queue the first sync; 303 to the source's page.
async fn finish(state: &AppState, params: CallbackParams) -> Result<Response, Problem> {
    let auth = state.auth.clone();
    let connected = state
        .jobs
        .finish_connect(params, |user, profile| async move {
            auth.may_edit(&user, &profile).await
        })
        .await?;
    let (patient, differences) = connected.unconfirmed.unzip();
    let job = connected.job;
    // Relative to /api/smart/callback, so it also works under a path prefix.
    let location = match &job {
        Some(job) => format!(
            "../../profiles/{}/sources/{}?connected=1&job={}",
            connected.profile_id, connected.source_id, job.id
        ),
        None => format!(
            "../../profiles/{}/sources/{}?connected=1&confirm=1",
            connected.profile_id, connected.source_id
        ),
    };
    let mut response = (
        StatusCode::SEE_OTHER,
        Json(CallbackAnswer {
            profile_id: connected.profile_id,
            source_id: connected.source_id,
            reconnected: connected.reconnected,
            job,
            patient,
            differences: differences.unwrap_or_default(),
        }),
    )
        .into_response();
    let location = HeaderValue::from_str(&location)
        .map_err(|e| Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}

/// Whether the request is a browser navigation (it accepts HTML).
fn wants_page(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("text/html"))
}

/// 303 to the UI's "not connected" page, with the problem's kind and words.
fn failed_page(problem: Problem) -> Response {
    tracing::info!(
        status = %problem.status,
        kind = problem.kind,
        detail = %problem.detail,
        "connecting a provider did not finish; the browser is sent to the UI's page"
    );
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("kind", problem.kind)
        .append_pair("detail", &problem.detail)
        .finish();
    let location = format!("../../connect/failed?{query}");
    match HeaderValue::from_str(&location) {
        Ok(location) => (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
        Err(_) => problem.into_response(),
    }
}
