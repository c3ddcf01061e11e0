//! Sync jobs: run now, list, detail, cancel, retry, and the live event stream.

use super::extract::{Access, Edit, Read};
use super::{ApiPath, ApiQuery, AppState, Problem, Routes};
use crate::jobs::RunOutcome;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

pub(super) fn routes(r: Routes) -> Routes {
    r.post("/profiles/{profile}/sources/{source}/sync", sync_now)
        .get("/profiles/{profile}/jobs", list)
        .get("/profiles/{profile}/jobs/{job}", get)
        .post("/profiles/{profile}/jobs/{job}/cancel", cancel)
        .post("/profiles/{profile}/jobs/{job}/retry", retry)
        .get("/profiles/{profile}/events", events)
}

/// Query of `POST …/sync`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SyncParams {
    /// Wait for the sync to finish (default) or return the queued job at once.
    #[serde(default)]
    wait: Option<bool>,
}

async fn sync_now(
    State(state): State<AppState>,
    access: Access<Edit>,
    ApiPath((_, source)): ApiPath<(String, String)>,
    ApiQuery(params): ApiQuery<SyncParams>,
) -> Result<Response, Problem> {
    // Checks the source exists in this profile before anything is queued.
    state.sources.get(&access.scope, &source).await?;
    if params.wait == Some(false) {
        let job = state
            .jobs
            .enqueue(access.scope.id(), &source, "manual", 6)
            .await?;
        return Ok((StatusCode::ACCEPTED, Json(job)).into_response());
    }
    let (job, outcome) = state.jobs.run_now(access.scope.id(), &source).await?;
    let Some(outcome) = outcome else {
        // A sync already under way ended as this request joined it: its record says how.
        return Ok(Json(job).into_response());
    };
    match &*outcome {
        RunOutcome::Ran(Ok(result)) => {
            let mut body = serde_json::to_value(result).unwrap_or_default();
            body["job_id"] = job.id.into();
            Ok(Json(body).into_response())
        }
        RunOutcome::Ran(Err(e)) => Err(Problem::from(e).with("job_id", job.id)),
        RunOutcome::Cancelled => {
            Err(
                Problem::new(StatusCode::CONFLICT, "cancelled", "the sync was cancelled")
                    .with("job_id", job.id),
            )
        }
    }
}

/// Query of `GET …/jobs`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    #[serde(default)]
    limit: Option<i64>,
}

async fn list(
    State(state): State<AppState>,
    access: Access<Read>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<impl IntoResponse, Problem> {
    let limit = params.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            "`limit` must be 1-500",
        ));
    }
    Ok(Json(
        json!({ "jobs": state.jobs.list(access.scope.id(), limit).await? }),
    ))
}

async fn get(
    State(state): State<AppState>,
    access: Access<Read>,
    ApiPath((_, job)): ApiPath<(String, String)>,
) -> Result<impl IntoResponse, Problem> {
    Ok(Json(state.jobs.get(access.scope.id(), &job).await?))
}

async fn cancel(
    State(state): State<AppState>,
    access: Access<Edit>,
    ApiPath((_, job)): ApiPath<(String, String)>,
) -> Result<impl IntoResponse, Problem> {
    Ok(Json(state.jobs.cancel(access.scope.id(), &job).await?))
}

async fn retry(
    State(state): State<AppState>,
    access: Access<Edit>,
    ApiPath((_, job)): ApiPath<(String, String)>,
) -> Result<impl IntoResponse, Problem> {
    Ok((
        StatusCode::ACCEPTED,
        Json(state.jobs.retry(access.scope.id(), &job).await?),
    ))
}

/// Server-sent events for one profile: `job` when a job changes state, `progress` per stored batch.
async fn events(State(state): State<AppState>, access: Access<Read>) -> impl IntoResponse {
    let profile = access.scope.id().to_string();
    let rx = state.jobs.events().subscribe();
    let stream = futures_util::stream::unfold(rx, move |mut rx| {
        let profile = profile.clone();
        async move {
            loop {
                match rx.recv().await {
                    Ok(event) if event.profile_id == profile => {
                        let sse = SseEvent::default()
                            .event(event.kind)
                            .json_data(&event.data)
                            .unwrap_or_else(|_| SseEvent::default().event(event.kind));
                        return Some((Ok::<_, std::convert::Infallible>(sse), rx));
                    }
                    Ok(_) => continue,
                    // A slow reader is told what it missed rather than silently skipping.
                    Err(RecvError::Lagged(n)) => {
                        let sse = SseEvent::default().event("lagged").data(n.to_string());
                        return Some((Ok(sse), rx));
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
