//! Sync jobs: run now, list, detail, cancel, retry, and the live event stream.

use super::extract::{Access, Edit, Read};
use super::openapi::{BadGateway, BadRequest, Conflict, Forbidden, NotFound, Unavailable};
use super::{ApiPath, ApiQuery, AppState, Problem, Routes};
use crate::jobs::{Job, RunOutcome};
use crate::sources::SyncResult;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;

/// How often an open event stream checks that its reader may still read.
const STREAM_RECHECK: std::time::Duration = std::time::Duration::from_secs(5);
use utoipa::{IntoParams, OpenApi, ToSchema};

/// The job routes' description.
#[derive(OpenApi)]
#[openapi(paths(sync_now, list, get, cancel, retry, events))]
pub(super) struct Doc;

pub(super) fn routes(r: Routes) -> Routes {
    r.post("/profiles/{profile}/sources/{source}/sync", sync_now)
        .get("/profiles/{profile}/jobs", list)
        .get("/profiles/{profile}/jobs/{job}", get)
        .post("/profiles/{profile}/jobs/{job}/cancel", cancel)
        .post("/profiles/{profile}/jobs/{job}/retry", retry)
        .get("/profiles/{profile}/events", events)
}

/// Query of `POST …/sync`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct SyncParams {
    /// Wait for the sync to finish (default) or return the queued job at once.
    #[serde(default)]
    wait: Option<bool>,
}

/// The answer to a sync that was waited for.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
enum SyncAnswer {
    /// The sync this request ran, with its job.
    Ran(SyncDone),
    /// A sync already under way, which ended as this request joined it: its job says how.
    Joined(Box<Job>),
}

/// A sync that ran and succeeded.
#[derive(Serialize, ToSchema)]
struct SyncDone {
    /// What the sync did.
    #[serde(flatten)]
    result: SyncResult,
    /// The job it ran as.
    job_id: String,
}

/// Sync a source now: wait for the result (default), or with `wait=false` queue a job.
#[utoipa::path(
    post,
    path = "/api/profiles/{profile}/sources/{source}/sync",
    tag = "jobs",
    operation_id = "sync_source",
    security(("bearer" = []), ("cookie" = [])),
    params(
        ("profile" = String, Path, description = "Profile id"),
        ("source" = String, Path, description = "Source id"),
        SyncParams,
    ),
    responses(
        (status = 200, description = "The sync finished: its result, or the job of a sync it joined", body = SyncAnswer),
        (status = 202, description = "`wait=false`: the queued job", body = Job),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 502, response = BadGateway),
        (status = 503, response = Unavailable),
    )
)]
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
            .enqueue(&access.scope, &source, crate::jobs::JobTrigger::Manual, 6)
            .await?;
        return Ok((StatusCode::ACCEPTED, Json(job)).into_response());
    }
    let (job, outcome) = state.jobs.run_now(&access.scope, &source).await?;
    let Some(outcome) = outcome else {
        // A sync already under way ended as this request joined it: its record says how.
        return Ok(Json(SyncAnswer::Joined(Box::new(job))).into_response());
    };
    match &*outcome {
        RunOutcome::Ran(Ok(result)) => Ok(Json(SyncAnswer::Ran(SyncDone {
            result: result.clone(),
            job_id: job.id,
        }))
        .into_response()),
        RunOutcome::Ran(Err(e)) => Err(Problem::from(e).in_job(job.id)),
        RunOutcome::Cancelled => {
            Err(
                Problem::new(StatusCode::CONFLICT, "cancelled", "the sync was cancelled")
                    .in_job(job.id),
            )
        }
    }
}

/// Query of `GET …/jobs`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListParams {
    /// Jobs to list (default 50, 1-500).
    #[serde(default)]
    limit: Option<i64>,
}

/// `GET …/jobs`.
#[derive(Serialize, ToSchema)]
struct JobList {
    /// Newest first.
    jobs: Vec<Job>,
}

/// The profile's sync jobs, newest first.
#[utoipa::path(
    get,
    path = "/api/profiles/{profile}/jobs",
    tag = "jobs",
    operation_id = "list_jobs",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id"), ListParams),
    responses(
        (status = 200, description = "The jobs", body = JobList),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
async fn list(
    State(state): State<AppState>,
    access: Access<Read>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<JobList>, Problem> {
    let limit = params.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            "`limit` must be 1-500",
        ));
    }
    Ok(Json(JobList {
        jobs: state.jobs.list(&access.scope, limit).await?,
    }))
}

/// One job.
#[utoipa::path(
    get,
    path = "/api/profiles/{profile}/jobs/{job}",
    tag = "jobs",
    operation_id = "get_job",
    security(("bearer" = []), ("cookie" = [])),
    params(
        ("profile" = String, Path, description = "Profile id"),
        ("job" = String, Path, description = "Job id"),
    ),
    responses(
        (status = 200, description = "The job", body = Job),
        (status = 404, response = NotFound),
    )
)]
async fn get(
    State(state): State<AppState>,
    access: Access<Read>,
    ApiPath((_, job)): ApiPath<(String, String)>,
) -> Result<impl IntoResponse, Problem> {
    Ok(Json(state.jobs.get(&access.scope, &job).await?))
}

/// Cancel a queued or running job.
#[utoipa::path(
    post,
    path = "/api/profiles/{profile}/jobs/{job}/cancel",
    tag = "jobs",
    operation_id = "cancel_job",
    security(("bearer" = []), ("cookie" = [])),
    params(
        ("profile" = String, Path, description = "Profile id"),
        ("job" = String, Path, description = "Job id"),
    ),
    responses(
        (status = 200, description = "The job, cancelled or with the cancel requested", body = Job),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
async fn cancel(
    State(state): State<AppState>,
    access: Access<Edit>,
    ApiPath((_, job)): ApiPath<(String, String)>,
) -> Result<impl IntoResponse, Problem> {
    Ok(Json(state.jobs.cancel(&access.scope, &job).await?))
}

/// Queue a failed or cancelled job again.
#[utoipa::path(
    post,
    path = "/api/profiles/{profile}/jobs/{job}/retry",
    tag = "jobs",
    operation_id = "retry_job",
    security(("bearer" = []), ("cookie" = [])),
    params(
        ("profile" = String, Path, description = "Profile id"),
        ("job" = String, Path, description = "Job id"),
    ),
    responses(
        (status = 202, description = "The job, queued again", body = Job),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
async fn retry(
    State(state): State<AppState>,
    access: Access<Edit>,
    ApiPath((_, job)): ApiPath<(String, String)>,
) -> Result<impl IntoResponse, Problem> {
    Ok((
        StatusCode::ACCEPTED,
        Json(state.jobs.retry(&access.scope, &job).await?),
    ))
}

/// Server-sent events for one profile: `job` when a job changes state, `progress` per stored batch.
#[utoipa::path(
    get,
    path = "/api/profiles/{profile}/events",
    tag = "jobs",
    operation_id = "profile_events",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id")),
    responses(
        (status = 200, description = "A server-sent event stream that does not end. \
            Event `job`: `data` is JSON of schema `JobEvent` (a job changed state). \
            Event `progress`: `data` is JSON of schema `ProgressEvent` (a running job stored a batch). \
            Event `lagged`: `data` is the number of events this listener missed.",
            content_type = "text/event-stream", body = String),
        (status = 404, response = NotFound),
    )
)]
async fn events(State(state): State<AppState>, access: Access<Read>) -> impl IntoResponse {
    /// What the stream carries between events.
    struct Watch {
        rx: tokio::sync::broadcast::Receiver<crate::jobs::events::Event>,
        tick: tokio::time::Interval,
        auth: std::sync::Arc<crate::auth::Auth>,
        profile: String,
        user: String,
        session: String,
    }
    impl Watch {
        /// Whether the session is live and its user may still read the profile.
        async fn allowed(&self) -> bool {
            self.auth
                .may_watch(&self.session, &self.user, &self.profile)
                .await
        }
    }
    let mut tick = tokio::time::interval(STREAM_RECHECK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let watch = Watch {
        rx: state.jobs.events().subscribe(),
        tick,
        auth: state.auth.clone(),
        profile: access.scope.id().to_string(),
        user: access.caller.user.id.clone(),
        session: access.caller.session_id.clone(),
    };
    // Access is checked before each event and every few seconds between
    // them: a sign-out, a revoked session or a removed grant ends the stream.
    let stream = futures_util::stream::unfold(watch, |mut w| async move {
        loop {
            tokio::select! {
                _ = w.tick.tick() => {
                    if !w.allowed().await {
                        return None;
                    }
                }
                received = w.rx.recv() => match received {
                    Ok(event) if event.profile_id == w.profile => {
                        if !w.allowed().await {
                            return None;
                        }
                        let sse = SseEvent::default()
                            .event(event.kind)
                            .json_data(&event.data)
                            .unwrap_or_else(|_| SseEvent::default().event(event.kind));
                        return Some((Ok::<_, std::convert::Infallible>(sse), w));
                    }
                    Ok(_) => continue,
                    // A slow reader is told what it missed rather than silently skipping.
                    Err(RecvError::Lagged(n)) => {
                        let sse = SseEvent::default().event("lagged").data(n.to_string());
                        return Some((Ok(sse), w));
                    }
                    Err(RecvError::Closed) => return None,
                },
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
