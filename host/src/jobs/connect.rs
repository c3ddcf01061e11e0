//! Connecting a provider, as one use case: finish the provider's sign-in,
//! then queue the source's first sync, unless the portal's patient is
//! clearly someone else, in which case nothing syncs until a person confirms.
//! It lives with the jobs service because it ends in a queued job; the API
//! only turns the outcome into an answer.

use super::{JobError, JobTrigger, Jobs};
use crate::auth::ProfileScope;
use crate::records::person::{Difference, Person};
use crate::sources::CallbackParams;

/// Attempts a first sync gets before it fails.
const CONNECT_ATTEMPTS: i64 = 6;

/// What finishing a connection did.
#[derive(Debug)]
pub struct FirstSync {
    /// The profile the source belongs to.
    pub profile_id: String,
    /// The source created or reconnected.
    pub source_id: String,
    /// Whether it already existed (a reconnect).
    pub reconnected: bool,
    /// The first sync, queued; none while the portal's patient waits for a confirmation.
    pub job: Option<super::Job>,
    /// When the portal's patient clearly is not the profile's person: who it
    /// is and what differs.
    pub unconfirmed: Option<(Person, Vec<Difference>)>,
}

impl Jobs {
    /// Finish a provider's sign-in (`params` from its callback) and queue the
    /// first sync. `still_allowed(user, profile)` says whether the person who
    /// started still may edit the profile; if not, nothing is connected.
    pub async fn finish_connect<F, Fut>(
        &self,
        params: CallbackParams,
        still_allowed: F,
    ) -> Result<FirstSync, JobError>
    where
        F: FnOnce(String, String) -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let connected = self.sources.finish_connect(params, still_allowed).await?;
        let job = match connected.unconfirmed {
            // Nothing is synced into the profile until a person says it is theirs.
            Some(_) => None,
            // The person's grant was checked again as the connection finished.
            None => Some(
                self.enqueue_in(
                    &connected.profile_id,
                    &connected.source_id,
                    JobTrigger::Connect,
                    CONNECT_ATTEMPTS,
                )
                .await?,
            ),
        };
        Ok(FirstSync {
            profile_id: connected.profile_id,
            source_id: connected.source_id,
            reconnected: connected.reconnected,
            job,
            unconfirmed: connected.unconfirmed,
        })
    }

    /// A person says an `unconfirmed` source's portal patient is the
    /// profile's: the source is scheduled like any other and its first sync queued.
    pub async fn confirm_person(
        &self,
        scope: &ProfileScope,
        source_id: &str,
    ) -> Result<super::Job, JobError> {
        self.sources.confirm_person(scope, source_id).await?;
        self.enqueue(scope, source_id, JobTrigger::Connect, CONNECT_ATTEMPTS)
            .await
    }
}
