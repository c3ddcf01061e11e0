//! Progress and job events, fanned out to each profile's event stream (SSE).

use super::Job;
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
    pub data: serde_json::Value,
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
            data: serde_json::to_value(job).unwrap_or_default(),
        });
    }

    /// A batch of a running job was stored.
    pub fn progress<P: Serialize>(
        &self,
        profile_id: &str,
        job_id: &str,
        source_id: &str,
        progress: &P,
    ) {
        let mut data = serde_json::to_value(progress).unwrap_or_default();
        data["job_id"] = job_id.into();
        data["source_id"] = source_id.into();
        let _ = self.tx.send(Event {
            profile_id: profile_id.to_string(),
            kind: "progress",
            data,
        });
    }
}
