//! Connecting providers: start a SMART App Launch, the callback, reconnect and disconnect.

use super::extract::{Access, Edit};
use super::{ApiJson, ApiPath, ApiQuery, AppState, Problem, Routes};
use crate::sources::{CallbackParams, ConnectRequest};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Attempts a connect job gets before it fails.
const CONNECT_ATTEMPTS: i64 = 6;

pub(super) fn routes(r: Routes) -> Routes {
    r.post("/profiles/{profile}/connect", start)
        .post("/profiles/{profile}/sources/{source}/reconnect", reconnect)
        .post(
            "/profiles/{profile}/sources/{source}/disconnect",
            disconnect,
        )
        .get("/smart/callback", callback)
}

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

async fn reconnect(
    State(state): State<AppState>,
    access: Access<Edit>,
    ApiPath((_, source)): ApiPath<(String, String)>,
) -> Result<impl IntoResponse, Problem> {
    let request = ConnectRequest {
        endpoint_id: String::new(),
        name: None,
    };
    let started = state
        .sources
        .start_connect(&access.scope, request, Some(&source))
        .await?;
    Ok((StatusCode::CREATED, Json(started)))
}

async fn disconnect(
    State(state): State<AppState>,
    access: Access<Edit>,
    ApiPath((_, source)): ApiPath<(String, String)>,
) -> Result<impl IntoResponse, Problem> {
    state.sources.disconnect(&access.scope, &source).await?;
    Ok(Json(state.sources.get(&access.scope, &source).await?))
}

/// The provider sends the person's browser here. The `state` is the only
/// credential: the session cookie does not come along on a cross-site
/// redirect, and the state is single-use, short-lived and 128 bits of CSPRNG.
async fn callback(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<CallbackParams>,
) -> Result<Response, Problem> {
    let connected = state.sources.finish_connect(params).await?;
    let job = state
        .jobs
        .enqueue(
            &connected.profile_id,
            &connected.source_id,
            "connect",
            CONNECT_ATTEMPTS,
        )
        .await?;
    // Relative to /api/smart/callback, so it also works under a path prefix.
    let location = format!(
        "../../profiles/{}/sources/{}?connected=1&job={}",
        connected.profile_id, connected.source_id, job.id
    );
    let mut response = (
        StatusCode::SEE_OTHER,
        Json(json!({
            "profile_id": connected.profile_id,
            "source_id": connected.source_id,
            "reconnected": connected.reconnected,
            "job": job,
        })),
    )
        .into_response();
    let location = HeaderValue::from_str(&location)
        .map_err(|e| Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}
