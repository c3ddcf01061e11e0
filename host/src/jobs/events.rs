//! Progress and job events, fanned out to each profile's event stream (SSE).

use super::{Job, JobProgress};
use serde::Serialize;
use tokio::sync::broadcast;

/// How many events a slow listener may fall behind before it is told it missed some.
const BUFFER: usize = 1024;

/// One event.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// The profile it concerns.
    #[serde(skip)]
    pub profile_id: String,
    /// `job` (a job changed state) or `progress` (a batch was stored).
    pub kind: &'static str,
    /// The job, or the progress so far.
    pub data: EventData,
}

/// The `data:` of an event: JSON of a [`JobEvent`] or a [`ProgressEvent`].
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum EventData {
    /// Sent as event `job`.
    Job(JobEvent),
    /// Sent as event `progress`.
    Progress(ProgressEvent),
}

/// The data of event `job`: the job as it is now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct JobEvent(pub Job);

/// The data of event `progress`: a running job's counts after a stored batch.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProgressEvent {
    /// The job.
    pub job_id: String,
    /// The source it syncs.
    pub source_id: String,
    /// The counts so far.
    #[serde(flatten)]
    pub progress: JobProgress,
}

/// The event hub.
#[derive(Clone)]
pub struct Events {
    tx: broadcast::Sender<Event>,
}

impl Default for Events {
    fn default() -> Self {
        Events {
            tx: broadcast::channel(BUFFER).0,
        }
    }
}

impl Events {
    /// Listen to every event (filter by profile yourself).
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }

    /// A job changed state.
    pub fn job(&self, job: &Job) {
        let _ = self.tx.send(Event {
            profile_id: job.profile_id.clone(),
            kind: "job",
            data: EventData::Job(JobEvent(job.clone())),
        });
    }

    /// A batch of a running job was stored.
    pub fn progress(
        &self,
        profile_id: &str,
        job_id: &str,
        source_id: &str,
        progress: &JobProgress,
    ) {
        let _ = self.tx.send(Event {
            profile_id: profile_id.to_string(),
            kind: "progress",
            data: EventData::Progress(ProgressEvent {
                job_id: job_id.to_string(),
                source_id: source_id.to_string(),
                progress: progress.clone(),
            }),
        });
    }
}
