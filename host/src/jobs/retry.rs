//! When a failed run is tried again: the backoff, and which failures a retry can cure.

use super::*;

/// The wait before retry number `attempt` (1-based): `base · 2^(attempt-1)`, capped, with ±20 % jitter
/// so many sources failing together do not retry together; a provider's `Retry-After` wins when longer.
pub fn backoff(base: Duration, attempt: i64, retry_after: Option<u64>) -> Duration {
    let exp = u32::try_from(attempt.clamp(1, 20) - 1).unwrap_or(0);
    let raw = base
        .saturating_mul(2u32.saturating_pow(exp))
        .min(MAX_BACKOFF);
    let jitter = 0.8 + rand::random::<f64>() * 0.4;
    match retry_after {
        // The provider said when; asking earlier would only be refused again.
        Some(secs) => Duration::from_secs(secs).clamp(Duration::from_millis(200), MAX_BACKOFF),
        None => raw.mul_f64(jitter),
    }
}

/// Whether a failed run may succeed later without the person doing anything.
pub(super) fn classify(e: &SourceError) -> (&'static str, bool) {
    match e {
        SourceError::Plugin { failure, .. } => {
            let kind = match failure {
                // The plugin's own failure: its words are in the message.
                PluginFailure::Reported {
                    kind: ReportedKind::Internal,
                    ..
                } => "plugin",
                PluginFailure::Reported { kind, .. } => kind.as_str(),
                stopped => stopped.stopped_code().unwrap_or("plugin"),
            };
            (kind, failure.is_retryable())
        }
        SourceError::NeedsReconnect(_) => ("needs-reconnect", false),
        SourceError::Unconfirmed(_) => ("unconfirmed-person", false),
        SourceError::Smart(s) if !s.needs_reconnect() => ("provider-unreachable", true),
        SourceError::Smart(_) => ("needs-reconnect", false),
        SourceError::SyncRunning(_) => ("sync-running", true),
        SourceError::Db(_) => ("internal", true),
        _ => ("invalid", false),
    }
}
