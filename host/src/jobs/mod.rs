//! Persistent sync jobs: queued in the database, leased by the host that runs
//! them, retried with exponential backoff that honours `Retry-After`, and
//! reported as progress events.
//!
//! Why a table and leases: a sync can take minutes, and the host can be
//! killed at any point. A job row survives that; at start the host reclaims
//! jobs left `running` (only one host serves a data folder, enforced by the
//! instance lock, so no live host can own them), and a lease that stops being
//! renewed frees a job a stuck runner holds. The connector's checkpoint makes
//! the rerun resume where the last stored batch ended, and ingest is
//! idempotent, so a resumed job neither loses nor duplicates a resource.
//!
//! The scheduler also queues a periodic re-sync of each connected source
//! (daily by default) and limits how many syncs run at once, overall and per
//! provider host (one at a time for platforms that throttle clients).

pub mod connect;
pub mod events;
mod model;
mod retry;

pub use connect::FirstSync;
pub use events::{Event, Events};
pub use model::*;
pub use retry::backoff;
use retry::classify;

use crate::auth::ProfileScope;
use crate::db::Db;
use crate::plugins::interfaces::sink::BatchProgress;
use crate::plugins::runtime::call::{PluginFailure, ReportedKind};
use crate::sources::{SourceError, Sources, SyncResult};
use serde::Serialize;
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, oneshot};

/// How long a lease lasts without renewal; the runner renews it every third of this.
pub const LEASE: Duration = Duration::from_secs(60);
/// Syncs running at once on this host.
const MAX_RUNNING: usize = 4;
/// Syncs running at once against one provider host (one for rate-limited platforms).
const PER_HOST: usize = 2;
/// Longest wait between retries.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// Attempts for scheduled and connect jobs.
const MAX_ATTEMPTS: i64 = 6;

/// The jobs service and scheduler.
pub struct Jobs {
    db: Db,
    sources: Arc<Sources>,
    events: Events,
    owner: String,
    retry_base: Duration,
    wake: Arc<Notify>,
    waiters: Mutex<HashMap<String, Vec<oneshot::Sender<Arc<RunOutcome>>>>>,
    cancels: Mutex<HashMap<String, Arc<Notify>>>,
    per_host: Mutex<HashMap<String, usize>>,
}

macro_rules! select_job {
    ($tail:literal) => {
        concat!(
            "SELECT j.id, j.profile_id, j.source_id, s.name AS source_name, j.kind, j.trigger, j.status, j.attempts,
             j.max_attempts, j.run_after, j.progress, j.error, j.error_kind, j.cancel_requested, j.created_at,
             j.started_at, j.finished_at FROM jobs j JOIN sources s ON s.id = j.source_id ",
            $tail
        )
    };
}

fn job_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<Job, sqlx::Error> {
    Ok(Job {
        id: row.try_get("id")?,
        profile_id: row.try_get("profile_id")?,
        source_id: row.try_get("source_id")?,
        source_name: row.try_get("source_name")?,
        kind: row.try_get("kind")?,
        trigger: row.try_get("trigger")?,
        status: row.try_get("status")?,
        attempts: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
        run_after: row.try_get("run_after")?,
        progress: row
            .try_get::<Option<String>, _>("progress")?
            .and_then(|p| serde_json::from_str(&p).ok()),
        error: row.try_get("error")?,
        error_kind: row.try_get("error_kind")?,
        cancel_requested: row.try_get::<i64, _>("cancel_requested")? != 0,
        created_at: row.try_get("created_at")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
    })
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

impl Jobs {
    /// The service over the sources' database; `retry_base` is the first retry's wait.
    pub fn new(sources: Arc<Sources>, events: Events, retry_base: Duration) -> Jobs {
        Jobs {
            db: sources.db().clone(),
            sources,
            events,
            owner: hex::encode(rand::random::<[u8; 8]>()),
            retry_base,
            wake: Arc::new(Notify::new()),
            waiters: Mutex::new(HashMap::new()),
            cancels: Mutex::new(HashMap::new()),
            per_host: Mutex::new(HashMap::new()),
        }
    }

    /// The progress and job event stream.
    pub fn events(&self) -> &Events {
        &self.events
    }

    /// Requeue jobs a stopped host left running; their sources' checkpoints make the rerun resume.
    pub async fn recover(&self) -> Result<u64, JobError> {
        let done = sqlx::query(
            "UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL, run_after = ?,
             error = 'the host stopped during this job; it resumes from the last checkpoint', error_kind = 'interrupted'
             WHERE status = 'running'",
        )
        .bind(now().to_rfc3339())
        .execute(&self.db)
        .await?;
        if done.rows_affected() > 0 {
            tracing::warn!(
                jobs = done.rows_affected(),
                "jobs interrupted by a stop are queued again"
            );
        }
        Ok(done.rows_affected())
    }

    /// Queue a sync of the profile's `source_id`; if one is already queued or running, that job is returned instead.
    pub async fn enqueue(
        &self,
        scope: &ProfileScope,
        source_id: &str,
        trigger: JobTrigger,
        max_attempts: i64,
    ) -> Result<Job, JobError> {
        self.enqueue_in(scope.id(), source_id, trigger, max_attempts)
            .await
    }

    /// [`Jobs::enqueue`] for work no request stands behind (the schedule,
    /// a provider's callback once the grant was checked again).
    pub(crate) async fn enqueue_in(
        &self,
        profile_id: &str,
        source_id: &str,
        trigger: JobTrigger,
        max_attempts: i64,
    ) -> Result<Job, JobError> {
        let job = self
            .enqueue_quietly(profile_id, source_id, trigger, max_attempts)
            .await?;
        self.wake.notify_one();
        Ok(job)
    }

    /// [`Jobs::enqueue`] without waking the scheduler, so a caller can register a waiter first.
    async fn enqueue_quietly(
        &self,
        profile_id: &str,
        source_id: &str,
        trigger: JobTrigger,
        max_attempts: i64,
    ) -> Result<Job, JobError> {
        let row = sqlx::query("SELECT kind, status FROM sources WHERE id = ? AND profile_id = ?")
            .bind(source_id)
            .bind(profile_id)
            .fetch_optional(&self.db)
            .await?
            .ok_or_else(|| SourceError::NotFound(source_id.to_string()))?;
        if row.try_get::<String, _>("kind")? != "provider" {
            return Err(SourceError::NotSyncable(source_id.to_string()).into());
        }
        let status = crate::sources::SourceStatus::parse(row.try_get("status")?);
        if status.is_some_and(crate::sources::SourceStatus::needs_reconnect) {
            return Err(SourceError::NeedsReconnect(source_id.to_string()).into());
        }
        if status == Some(crate::sources::SourceStatus::Unconfirmed) {
            return Err(SourceError::Unconfirmed(source_id.to_string()).into());
        }
        let id = hex::encode(rand::random::<[u8; 16]>());
        let at = now().to_rfc3339();
        let inserted = sqlx::query(
            "INSERT INTO jobs (id, profile_id, source_id, trigger, status, max_attempts, run_after, created_at)
             VALUES (?, ?, ?, ?, 'queued', ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(&id)
        .bind(profile_id)
        .bind(source_id)
        .bind(trigger)
        .bind(max_attempts)
        .bind(&at)
        .bind(&at)
        .execute(&self.db)
        .await?;
        let job = if inserted.rows_affected() == 1 {
            self.get_any(&id).await?
        } else {
            let row = sqlx::query(select_job!(
                "WHERE j.source_id = ? AND j.status IN ('queued', 'running')"
            ))
            .bind(source_id)
            .fetch_optional(&self.db)
            .await?;
            match row {
                Some(row) => job_from_row(&row)?,
                // It finished between the insert and the look-up: queue again.
                None => {
                    return Box::pin(self.enqueue_quietly(
                        profile_id,
                        source_id,
                        trigger,
                        max_attempts,
                    ))
                    .await;
                }
            }
        };
        if inserted.rows_affected() == 1 {
            tracing::info!(job = %job.id, source = %source_id, trigger = trigger.as_str(), "sync queued");
            self.events.job(&job);
        }
        Ok(job)
    }

    /// Queue a sync and wait for its next run to end.
    ///
    /// The outcome is `None` when the job (one already running, which this
    /// request joined) ended before the waiter was registered: the job row
    /// then tells how it went.
    pub async fn run_now(
        &self,
        scope: &ProfileScope,
        source_id: &str,
    ) -> Result<(Job, Option<Arc<RunOutcome>>), JobError> {
        let job = self
            .enqueue_quietly(scope.id(), source_id, JobTrigger::Manual, 1)
            .await?;
        let (tx, rx) = oneshot::channel();
        if let Ok(mut waiters) = self.waiters.lock() {
            waiters.entry(job.id.clone()).or_default().push(tx);
        }
        let current = self.get_any(&job.id).await?;
        if current.status.is_finished() {
            if let Ok(mut waiters) = self.waiters.lock() {
                waiters.remove(&job.id);
            }
            return Ok((current, None));
        }
        // Woken only now, so the run cannot end before the waiter is registered.
        self.wake.notify_one();
        let outcome = rx.await.unwrap_or_else(|_| Arc::new(RunOutcome::Cancelled));
        let job = self.get_any(&job.id).await?;
        Ok((job, Some(outcome)))
    }

    async fn get_any(&self, id: &str) -> Result<Job, JobError> {
        let row = sqlx::query(select_job!("WHERE j.id = ?"))
            .bind(id)
            .fetch_optional(&self.db)
            .await?
            .ok_or_else(|| JobError::NotFound(id.to_string()))?;
        Ok(job_from_row(&row)?)
    }

    /// One job of a profile.
    pub async fn get(&self, scope: &ProfileScope, id: &str) -> Result<Job, JobError> {
        let profile_id = scope.id();
        let row = sqlx::query(select_job!("WHERE j.id = ? AND j.profile_id = ?"))
            .bind(id)
            .bind(profile_id)
            .fetch_optional(&self.db)
            .await?
            .ok_or_else(|| JobError::NotFound(id.to_string()))?;
        Ok(job_from_row(&row)?)
    }

    /// A profile's jobs, newest first.
    pub async fn list(&self, scope: &ProfileScope, limit: i64) -> Result<Vec<Job>, JobError> {
        let profile_id = scope.id();
        let rows = sqlx::query(select_job!(
            "WHERE j.profile_id = ? ORDER BY j.created_at DESC, j.id LIMIT ?"
        ))
        .bind(profile_id)
        .bind(limit)
        .fetch_all(&self.db)
        .await?;
        rows.iter()
            .map(|r| job_from_row(r).map_err(JobError::from))
            .collect()
    }

    /// Cancel a queued or running job; a running sync stops at once and keeps what it stored.
    pub async fn cancel(&self, scope: &ProfileScope, id: &str) -> Result<Job, JobError> {
        let job = self.get(scope, id).await?;
        match job.status {
            JobStatus::Queued => {
                let done = sqlx::query(
                    "UPDATE jobs SET status = 'cancelled', cancel_requested = 1, finished_at = ? WHERE id = ? AND status = 'queued'",
                )
                .bind(now().to_rfc3339())
                .bind(id)
                .execute(&self.db)
                .await?;
                if done.rows_affected() == 0 {
                    // It started meanwhile; cancel the run instead.
                    return Box::pin(self.cancel(scope, id)).await;
                }
                self.notify_waiters(id, RunOutcome::Cancelled);
            }
            JobStatus::Running => {
                sqlx::query("UPDATE jobs SET cancel_requested = 1 WHERE id = ?")
                    .bind(id)
                    .execute(&self.db)
                    .await?;
                let cancel = self.cancels.lock().ok().and_then(|c| c.get(id).cloned());
                if let Some(cancel) = cancel {
                    cancel.notify_one();
                }
            }
            status => {
                return Err(JobError::State {
                    id: id.into(),
                    status,
                    action: "cancelling",
                });
            }
        }
        tracing::info!(job = %id, "job cancelled");
        let job = self.get(scope, id).await?;
        self.events.job(&job);
        Ok(job)
    }

    /// Run a failed or cancelled job again, as a new job.
    pub async fn retry(&self, scope: &ProfileScope, id: &str) -> Result<Job, JobError> {
        let job = self.get(scope, id).await?;
        if !job.status.can_retry() {
            return Err(JobError::State {
                id: id.into(),
                status: job.status,
                action: "retrying",
            });
        }
        self.enqueue(scope, &job.source_id, JobTrigger::Retry, MAX_ATTEMPTS)
            .await
    }

    /// Queue the periodic re-sync of every connected source that is due.
    async fn schedule_due(&self, interval: chrono::Duration) -> Result<(), JobError> {
        let at = now();
        let due = sqlx::query(
            "SELECT id, profile_id FROM sources WHERE kind = 'provider' AND next_sync_at IS NOT NULL AND next_sync_at <= ?
             AND status NOT IN ('needs-reconnect', 'disconnected', 'unconfirmed') AND profile_id IS NOT NULL",
        )
        .bind(at.to_rfc3339())
        .fetch_all(&self.db)
        .await?;
        for row in due {
            let source: String = row.try_get("id")?;
            let profile: String = row.try_get("profile_id")?;
            // Pushed forward first, so a source whose sync keeps failing is not queued on every tick.
            sqlx::query("UPDATE sources SET next_sync_at = ? WHERE id = ?")
                .bind((at + interval).to_rfc3339())
                .bind(&source)
                .execute(&self.db)
                .await?;
            if let Err(e) = self
                .enqueue_in(&profile, &source, JobTrigger::Scheduled, MAX_ATTEMPTS)
                .await
            {
                tracing::warn!(source = %source, error = %e, "periodic sync not queued");
            }
        }
        Ok(())
    }

    /// Run the scheduler until the process ends: every `tick`, or at once when a job is queued.
    pub fn start(
        self: &Arc<Self>,
        interval: Duration,
        tick: Duration,
    ) -> tokio::task::JoinHandle<()> {
        let jobs = self.clone();
        let interval = chrono::Duration::from_std(interval).unwrap_or(chrono::Duration::hours(24));
        tokio::spawn(async move {
            loop {
                if let Err(e) = jobs.schedule_due(interval).await {
                    tracing::error!(error = %e, "scheduling periodic syncs failed");
                }
                if let Err(e) = jobs.claim_and_run().await {
                    tracing::error!(error = %e, "starting jobs failed");
                }
                tokio::select! {
                    _ = jobs.wake.notified() => {}
                    _ = tokio::time::sleep(tick) => {}
                }
            }
        })
    }

    fn running_total(&self) -> usize {
        self.cancels.lock().map(|c| c.len()).unwrap_or(usize::MAX)
    }

    async fn claim_and_run(self: &Arc<Self>) -> Result<(), JobError> {
        let at = now().to_rfc3339();
        let rows = sqlx::query(
            "SELECT j.id, j.profile_id, j.source_id, s.fhir_base_url, s.platform FROM jobs j JOIN sources s ON s.id = j.source_id
             WHERE (j.status = 'queued' AND j.run_after <= ?) OR (j.status = 'running' AND j.lease_expires_at < ?)
             ORDER BY j.run_after, j.created_at LIMIT 50",
        )
        .bind(&at)
        .bind(&at)
        .fetch_all(&self.db)
        .await?;
        for row in rows {
            if self.running_total() >= MAX_RUNNING {
                break;
            }
            let id: String = row.try_get("id")?;
            let base: String = row.try_get("fhir_base_url")?;
            let platform: Option<String> = row.try_get("platform")?;
            let host = url::Url::parse(&base)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_default();
            let limit = if self.sources.rate_limited(platform.as_deref()) {
                1
            } else {
                PER_HOST
            };
            {
                let Ok(mut per_host) = self.per_host.lock() else {
                    break;
                };
                let n = per_host.entry(host.clone()).or_insert(0);
                if *n >= limit {
                    continue;
                }
                *n += 1;
            }
            let lease_until =
                (now() + chrono::Duration::from_std(LEASE).unwrap_or_default()).to_rfc3339();
            let claimed = sqlx::query(
                "UPDATE jobs SET status = 'running', lease_owner = ?, lease_expires_at = ?, attempts = attempts + 1,
                 started_at = COALESCE(started_at, ?)
                 WHERE id = ? AND ((status = 'queued' AND run_after <= ?) OR (status = 'running' AND lease_expires_at < ?))",
            )
            .bind(&self.owner)
            .bind(&lease_until)
            .bind(&at)
            .bind(&id)
            .bind(&at)
            .bind(&at)
            .execute(&self.db)
            .await?;
            if claimed.rows_affected() == 0 {
                self.release_host(&host);
                continue;
            }
            let cancel = Arc::new(Notify::new());
            if let Ok(mut c) = self.cancels.lock() {
                c.insert(id.clone(), cancel.clone());
            }
            let jobs = self.clone();
            tokio::spawn(async move {
                let result = jobs.run(&id, cancel).await;
                if let Err(e) = result {
                    tracing::error!(job = %id, error = %e, "job bookkeeping failed");
                }
                if let Ok(mut c) = jobs.cancels.lock() {
                    c.remove(&id);
                }
                jobs.release_host(&host);
                jobs.wake.notify_one();
            });
        }
        Ok(())
    }

    fn release_host(&self, host: &str) {
        if let Ok(mut per_host) = self.per_host.lock()
            && let Some(n) = per_host.get_mut(host)
        {
            *n = n.saturating_sub(1);
        }
    }

    fn notify_waiters(&self, id: &str, outcome: RunOutcome) {
        let waiters = self
            .waiters
            .lock()
            .ok()
            .and_then(|mut w| w.remove(id))
            .unwrap_or_default();
        let outcome = Arc::new(outcome);
        for w in waiters {
            let _ = w.send(outcome.clone());
        }
    }

    /// Run one claimed job: renew its lease, report progress, and record how it ended.
    async fn run(self: &Arc<Self>, id: &str, cancel: Arc<Notify>) -> Result<(), JobError> {
        let job = self.get_any(id).await?;
        self.events.job(&job);
        tracing::info!(job = %id, source = %job.source_id, attempt = job.attempts, "sync started");
        let progress = Arc::new(Mutex::new(JobProgress::default()));
        let on_batch: crate::plugins::interfaces::sink::OnBatch = {
            let progress = progress.clone();
            let events = self.events.clone();
            let job_id = job.id.clone();
            let source_id = job.source_id.clone();
            let profile_id = job.profile_id.clone();
            Arc::new(move |batch: BatchProgress| {
                let snapshot = match progress.lock() {
                    Ok(mut p) => {
                        for (ty, n) in &batch.by_type {
                            *p.fetched.entry(ty.clone()).or_insert(0) += n;
                        }
                        p.emitted = batch.emitted;
                        p.stored = batch.stored;
                        if batch.expected.is_some() {
                            p.expected = batch.expected;
                        }
                        p.clone()
                    }
                    Err(_) => return,
                };
                events.progress(&profile_id, &job_id, &source_id, &snapshot);
            })
        };
        let heartbeat = {
            let db = self.db.clone();
            let owner = self.owner.clone();
            let id = id.to_string();
            let progress = progress.clone();
            let cancel = cancel.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(LEASE / 3).await;
                    let until = (now() + chrono::Duration::from_std(LEASE).unwrap_or_default())
                        .to_rfc3339();
                    let snapshot = progress
                        .lock()
                        .ok()
                        .and_then(|p| serde_json::to_string(&*p).ok());
                    let renewed = sqlx::query(
                        "UPDATE jobs SET lease_expires_at = ?, progress = COALESCE(?, progress) WHERE id = ? AND lease_owner = ? AND status = 'running'
                         RETURNING cancel_requested",
                    )
                    .bind(&until)
                    .bind(snapshot)
                    .bind(&id)
                    .bind(&owner)
                    .fetch_optional(&db)
                    .await;
                    match renewed {
                        Ok(Some(row)) => {
                            if row.try_get::<i64, _>("cancel_requested").unwrap_or(0) != 0 {
                                cancel.notify_one();
                            }
                        }
                        Ok(None) => {
                            // Lost the lease (cancelled, or taken over): stop the run.
                            cancel.notify_one();
                            break;
                        }
                        Err(e) => tracing::warn!(job = %id, error = %e, "lease renewal failed"),
                    }
                }
            })
        };
        let sources = self.sources.clone();
        let (profile_id, source_id) = (job.profile_id.clone(), job.source_id.clone());
        // Its own task, so cancelling drops the plugin call (the store and its transaction go with it).
        let mut task = tokio::spawn(async move {
            sources
                .sync_source(&profile_id, &source_id, Some(on_batch))
                .await
        });
        let outcome = tokio::select! {
            joined = &mut task => match joined {
                Ok(result) => RunOutcome::Ran(result),
                Err(e) => RunOutcome::Ran(Err(SourceError::Db(sqlx::Error::Protocol(format!("the sync task failed: {e}"))))),
            },
            _ = cancel.notified() => {
                task.abort();
                RunOutcome::Cancelled
            }
        };
        heartbeat.abort();
        let snapshot = progress.lock().map(|p| p.clone()).unwrap_or_default();
        self.finish(&job, &snapshot, outcome).await
    }

    async fn finish(
        &self,
        job: &Job,
        progress: &JobProgress,
        outcome: RunOutcome,
    ) -> Result<(), JobError> {
        let at = now();
        let mut summary = progress.clone();
        if let RunOutcome::Ran(Ok(result)) = &outcome {
            summary.emitted = result.report.emitted;
            summary.stored = result.report.stored;
            summary.unchanged = Some(result.report.unchanged);
            summary.requests = Some(result.report.requests);
            summary.strategy = Some(result.report.strategy.clone());
            summary.total = Some(result.total);
            summary.duration_ms = Some(result.duration_ms);
            summary.rejected = result.report.rejected.clone();
        }
        let summary = serde_json::to_string(&summary).unwrap_or_default();
        match &outcome {
            RunOutcome::Ran(Ok(result)) => {
                sqlx::query(
                    "UPDATE jobs SET status = 'succeeded', progress = ?, error = NULL, error_kind = NULL, finished_at = ?,
                     lease_owner = NULL, lease_expires_at = NULL WHERE id = ?",
                )
                .bind(&summary)
                .bind(at.to_rfc3339())
                .bind(&job.id)
                .execute(&self.db)
                .await?;
                tracing::info!(job = %job.id, source = %job.source_id, emitted = result.report.emitted, "sync job succeeded");
            }
            RunOutcome::Ran(Err(e)) => {
                let (kind, retryable) = classify(e);
                let retry_after = match e {
                    SourceError::Plugin { progress, .. } => progress.retry_after_secs,
                    _ => None,
                };
                let message = e.to_string();
                if retryable && job.attempts < job.max_attempts {
                    let wait = backoff(self.retry_base, job.attempts, retry_after);
                    let run_after = at + chrono::Duration::from_std(wait).unwrap_or_default();
                    sqlx::query(
                        "UPDATE jobs SET status = 'queued', run_after = ?, progress = ?, error = ?, error_kind = ?,
                         lease_owner = NULL, lease_expires_at = NULL WHERE id = ?",
                    )
                    .bind(run_after.to_rfc3339())
                    .bind(&summary)
                    .bind(&message)
                    .bind(kind)
                    .bind(&job.id)
                    .execute(&self.db)
                    .await?;
                    tracing::warn!(job = %job.id, source = %job.source_id, error = %message, kind, wait_ms = wait.as_millis() as u64, "sync failed; retrying later");
                    let waker = self.wake.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(wait).await;
                        waker.notify_one();
                    });
                } else {
                    sqlx::query(
                        "UPDATE jobs SET status = 'failed', progress = ?, error = ?, error_kind = ?, finished_at = ?,
                         lease_owner = NULL, lease_expires_at = NULL WHERE id = ?",
                    )
                    .bind(&summary)
                    .bind(&message)
                    .bind(kind)
                    .bind(at.to_rfc3339())
                    .bind(&job.id)
                    .execute(&self.db)
                    .await?;
                    tracing::warn!(job = %job.id, source = %job.source_id, error = %message, kind, "sync job failed");
                }
            }
            RunOutcome::Cancelled => {
                sqlx::query(
                    "UPDATE jobs SET status = 'cancelled', progress = ?, finished_at = ?, lease_owner = NULL, lease_expires_at = NULL WHERE id = ?",
                )
                .bind(&summary)
                .bind(at.to_rfc3339())
                .bind(&job.id)
                .execute(&self.db)
                .await?;
            }
        }
        let updated = self.get_any(&job.id).await?;
        self.events.job(&updated);
        self.notify_waiters(&job.id, outcome);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_honours_retry_after() {
        let base = Duration::from_secs(10);
        for attempt in 1..=4 {
            let expected = 10.0 * 2f64.powi(attempt as i32 - 1);
            let got = backoff(base, attempt, None).as_secs_f64();
            assert!(
                (expected * 0.79..=expected * 1.21).contains(&got),
                "attempt {attempt}: {got}"
            );
        }
        assert!(backoff(base, 30, None) <= MAX_BACKOFF.mul_f64(1.2));
        assert_eq!(backoff(base, 1, Some(42)), Duration::from_secs(42));
        assert_eq!(backoff(base, 5, Some(3)), Duration::from_secs(3));
        assert_eq!(backoff(base, 1, Some(999_999)), MAX_BACKOFF);
    }

    #[test]
    fn job_statuses_read_back_and_say_what_may_follow() {
        for status in [
            JobStatus::Queued,
            JobStatus::Running,
            JobStatus::Succeeded,
            JobStatus::Failed,
            JobStatus::Cancelled,
        ] {
            assert_eq!(JobStatus::parse(status.as_str()), Some(status));
            // The API spells it as the database does.
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
        assert_eq!(JobStatus::parse("done"), None);
        assert!(!JobStatus::Running.is_finished() && JobStatus::Cancelled.is_finished());
        assert!(JobStatus::Failed.can_retry() && !JobStatus::Succeeded.can_retry());
    }

    #[test]
    fn failures_are_classified_for_retry() {
        let reported = |kind: ReportedKind, retryable| SourceError::Plugin {
            failure: PluginFailure::Reported {
                plugin: "p@1".into(),
                kind,
                message: "m".into(),
                retryable,
            },
            progress: Default::default(),
        };
        assert_eq!(
            classify(&reported(ReportedKind::RateLimited, true)),
            ("rate-limited", true)
        );
        assert_eq!(
            classify(&reported(ReportedKind::InvalidInput, false)),
            ("invalid-input", false)
        );
        assert_eq!(
            classify(&reported(ReportedKind::Internal, true)),
            ("plugin", true)
        );
        assert_eq!(
            classify(&SourceError::NeedsReconnect("s".into())),
            ("needs-reconnect", false)
        );
        assert!(
            classify(&SourceError::Smart(crate::smart::SmartError::Network(
                "x".into()
            )))
            .1
        );
    }
}
