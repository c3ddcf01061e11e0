//! What the plugin layer asks of the domain, as traits the domain
//! implements. A binding never calls a service: it hands what a plugin sent
//! to a port, so the plugin layer sits below every service and knows nothing
//! of records, sources or the database.

use futures_util::future::BoxFuture;
use std::collections::BTreeMap;

/// What the domain did with one batch a connector emitted.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Taken {
    /// Resources accepted (stored or unchanged).
    pub accepted: u64,
    /// Of those, new or changed, and written.
    pub stored: u64,
    /// Of those, identical to what was stored.
    pub unchanged: u64,
    /// Accepted resources per type (progress).
    pub by_type: BTreeMap<String, u64>,
    /// Resources refused as invalid (left out, reported, never stored).
    pub refused: Vec<Refused>,
}

/// One resource left out of a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    /// Its type.
    pub resource_type: String,
    /// Its id.
    pub id: String,
    /// Where in it the problem is.
    pub path: String,
    /// What the problem is.
    pub reason: String,
}

/// Why a batch was not taken at all.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SinkError {
    /// An entry is not a resource at all (not JSON, no type or id).
    #[error("resource {index} of the batch: {message}")]
    Malformed {
        /// Its place in the batch.
        index: usize,
        /// What is wrong.
        message: String,
    },
    /// The domain could not store it (the database failed); nothing was stored.
    #[error("{0}")]
    Failed(String),
}

/// Where a connector's sync output goes: the source being synced.
pub trait SyncSink: Send + Sync {
    /// Check and store one emitted batch (JSON texts), all or nothing.
    fn take(&self, batch: Vec<String>) -> BoxFuture<'_, Result<Taken, SinkError>>;
    /// Remember where the sync has got to.
    fn checkpoint<'a>(&'a self, cursor: &'a str) -> BoxFuture<'a, Result<(), SinkError>>;
}
