//! What a job is: its record, kinds, triggers, statuses, progress and errors.

use super::*;

/// Errors of the jobs service.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// No such job in this profile.
    #[error("no job with id {0:?}")]
    NotFound(String),
    /// The job is not in a state that allows the action.
    #[error("job {id:?} is {status}; {action} is not possible")]
    State {
        /// The job.
        id: String,
        /// Its status.
        status: JobStatus,
        /// What was asked.
        action: &'static str,
    },
    /// The source cannot be synced.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

/// A job as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Job {
    /// Id.
    pub id: String,
    /// Profile.
    pub profile_id: String,
    /// Source synced.
    pub source_id: String,
    /// The source's name.
    pub source_name: String,
    /// What it does.
    pub kind: JobKind,
    /// What started it.
    pub trigger: JobTrigger,
    /// `queued`, `running`, `succeeded`, `failed` or `cancelled`.
    pub status: JobStatus,
    /// Runs started so far.
    pub attempts: i64,
    /// Runs allowed before the job fails.
    pub max_attempts: i64,
    /// Earliest time the next run may start.
    pub run_after: String,
    /// What the job did so far (per type fetched, stored, requests).
    #[schema(required, value_type = Option<JobProgress>)]
    pub progress: Option<serde_json::Value>,
    /// The last error, in words.
    #[schema(required)]
    pub error: Option<String>,
    /// The last error's class (`rate-limited`, `needs-reconnect`, `upstream`, ...).
    #[schema(required)]
    pub error_kind: Option<String>,
    /// Whether a cancel was asked for.
    pub cancel_requested: bool,
    /// Created.
    pub created_at: String,
    /// First run started.
    #[schema(required)]
    pub started_at: Option<String>,
    /// Finished (succeeded, failed or cancelled).
    #[schema(required)]
    pub finished_at: Option<String>,
}

/// How one run of a job ended, for callers waiting on it.
#[derive(Debug)]
pub enum RunOutcome {
    /// The sync ran.
    Ran(Result<SyncResult, SourceError>),
    /// The job was cancelled before or while it ran.
    Cancelled,
}

/// What a job did: live counts while it runs and, once a sync succeeded, its totals.
#[derive(Debug, Default, Clone, Serialize, utoipa::ToSchema)]
pub struct JobProgress {
    /// Resources fetched so far, per type.
    pub fetched: BTreeMap<String, u64>,
    /// Resources the connector emitted and the host accepted.
    pub emitted: u64,
    /// Of those, new or changed and written.
    pub stored: u64,
    /// Resources the connector says this run brings in all, when the provider
    /// counted them (connector world 0.2 on); `emitted` of `expected` is the
    /// percentage done.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub expected: Option<u64>,
    /// After a successful sync: resources identical to what was stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub unchanged: Option<u64>,
    /// After a successful sync: HTTP requests the host let through.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub requests: Option<u32>,
    /// After a successful sync: what the connector says it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub strategy: Option<String>,
    /// After a successful sync: resources stored from the source in all.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub total: Option<u64>,
    /// After a successful sync: its wall time.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub duration_ms: Option<u64>,
    /// After a successful sync: resources the provider sent that were not
    /// valid R4, per type (left out, not stored).
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub rejected: crate::plugins::Rejections,
}

/// A job's kind (the values of `Job.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, sqlx::Type, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[sqlx(rename_all = "lowercase")]
pub enum JobKind {
    /// Sync a source.
    Sync,
}

/// What started a job (the values of `Job.trigger`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, sqlx::Type, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[sqlx(rename_all = "lowercase")]
pub enum JobTrigger {
    /// Someone asked for a sync.
    Manual,
    /// A provider was just connected.
    Connect,
    /// The scheduler.
    Scheduled,
    /// Someone retried a failed or cancelled job.
    Retry,
}

impl JobTrigger {
    /// As stored and served (`scheduled`).
    pub fn as_str(self) -> &'static str {
        match self {
            JobTrigger::Manual => "manual",
            JobTrigger::Connect => "connect",
            JobTrigger::Scheduled => "scheduled",
            JobTrigger::Retry => "retry",
        }
    }
}

/// Where a job is (the values of `Job.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, sqlx::Type, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[sqlx(rename_all = "lowercase")]
pub enum JobStatus {
    /// Waiting to run (or to run again after a retryable failure).
    Queued,
    /// Running now.
    Running,
    /// Finished successfully.
    Succeeded,
    /// Finished with an error.
    Failed,
    /// Cancelled.
    Cancelled,
}

impl JobStatus {
    /// As stored and served (`queued`).
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }

    /// The status stored as `s`.
    pub fn parse(s: &str) -> Option<JobStatus> {
        [
            JobStatus::Queued,
            JobStatus::Running,
            JobStatus::Succeeded,
            JobStatus::Failed,
            JobStatus::Cancelled,
        ]
        .into_iter()
        .find(|status| status.as_str() == s)
    }

    /// Whether the job has ended, however it ended.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            JobStatus::Succeeded | JobStatus::Failed | JobStatus::Cancelled
        )
    }

    /// Whether it may be run again as a new job.
    pub fn can_retry(self) -> bool {
        matches!(self, JobStatus::Failed | JobStatus::Cancelled)
    }
}

impl std::fmt::Display for JobStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
