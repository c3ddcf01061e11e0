//! What the plugin layer asks of the domain, as traits the domain
//! implements. A binding never calls a service: it hands what a plugin sent
//! to a port, so the plugin layer sits below every service and knows nothing
//! of records, sources or the database.

use futures_util::future::BoxFuture;
use std::collections::BTreeMap;

/// What the domain did with one batch a plugin emitted.
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

/// Where resources a plugin produces go (an importer's conversion).
pub trait Intake: Send + Sync {
    /// Check and keep one emitted batch (JSON texts), all or nothing.
    fn take(&self, batch: Vec<String>) -> BoxFuture<'_, Result<Taken, SinkError>>;
}

/// Where a connector's sync output goes: the source being synced.
pub trait SyncSink: Intake {
    /// Remember where the sync has got to.
    fn checkpoint<'a>(&'a self, cursor: &'a str) -> BoxFuture<'a, Result<(), SinkError>>;
}

/// One page of a search a plugin asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordsQuery {
    /// The resource type.
    pub resource_type: String,
    /// FHIR search parameters.
    pub params: Vec<(String, String)>,
    /// Where the previous page ended.
    pub page: Option<String>,
}

/// A page of stored resources.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordsPage {
    /// The resources, exactly as stored.
    pub resources: Vec<String>,
    /// Where the next page starts.
    pub next: Option<String>,
}

/// A view a plugin asked to run.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewQuery {
    /// The ViewDefinition as JSON text.
    pub definition: String,
    /// FHIR search parameters that narrow the records first, as a query string.
    pub filter: Option<String>,
    /// Most rows wanted (the domain's default when `None`).
    pub limit: Option<usize>,
}

/// A view's output.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ViewTable {
    /// Column names, in order.
    pub columns: Vec<String>,
    /// Each row as a JSON array in column order.
    pub rows: Vec<String>,
    /// Whether rows past the limit were left out.
    pub truncated: bool,
}

/// Why a read failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ReadError {
    /// The query is not one the store answers (the plugin's mistake).
    #[error("{0}")]
    Invalid(String),
    /// The record asked for is not there (or not the profile's).
    #[error("{0}")]
    NotFound(String),
    /// The store failed.
    #[error("{0}")]
    Failed(String),
}

/// Read-only access to the records of the one profile a call is for. The
/// domain builds it for that profile; no method can name another.
pub trait RecordsReader: Send + Sync {
    /// One page of a FHIR search.
    fn search(&self, query: RecordsQuery) -> BoxFuture<'_, Result<RecordsPage, ReadError>>;
    /// One resource by type and id.
    fn read<'a>(
        &'a self,
        resource_type: &'a str,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, ReadError>>;
    /// A SQL-on-FHIR view over the records.
    fn view(&self, query: ViewQuery) -> BoxFuture<'_, Result<ViewTable, ReadError>>;
}

/// A model reply's body, as its bytes arrive.
pub type ModelBody = futures_util::stream::BoxStream<'static, Result<bytes::Bytes, ModelError>>;

/// The model endpoint an administrator configured, for llm adapters. The
/// host owns the transport, so a plugin reaches only this endpoint.
pub trait ModelEndpoint: Send + Sync {
    /// Post `body` to `path` under the endpoint (relative; empty for the
    /// endpoint itself) and start reading a successful reply.
    fn post(&self, path: String, body: String) -> BoxFuture<'_, Result<ModelBody, ModelError>>;
}

/// Why a model request failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ModelError {
    /// The path is not one under the endpoint.
    #[error("{0}")]
    Invalid(String),
    /// The endpoint refused the credentials.
    #[error("the model endpoint refused the credentials: {0}")]
    Unauthorized(String),
    /// The endpoint asked to slow down.
    #[error("the model endpoint asked to slow down: {0}")]
    RateLimited(String),
    /// The endpoint failed, timed out or answered something unusable.
    #[error("the model endpoint failed: {0}")]
    Upstream(String),
}

/// A search the model's tools ask for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ToolSearch {
    /// Words to look for.
    pub query: String,
    /// Resource types to look in; all when empty.
    pub types: Vec<String>,
    /// Earliest date, inclusive.
    pub since: Option<String>,
    /// Latest date, inclusive.
    pub until: Option<String>,
    /// Most hits wanted.
    pub limit: Option<u32>,
}

/// One record a tool search found.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolHit {
    /// Its label in this answer (`R3`).
    pub label: String,
    /// `Type/id`.
    pub id: String,
    /// Its resource type.
    pub resource_type: String,
    /// Its date, when it has one.
    pub date: Option<String>,
    /// One line naming it.
    pub title: String,
}

/// A view's output with the label of the record behind each row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelledTable {
    /// Column names, in order.
    pub columns: Vec<String>,
    /// Each row as a JSON array in column order.
    pub rows: Vec<String>,
    /// The label of each row's record.
    pub labels: Vec<String>,
    /// Whether rows past the limit were left out.
    pub truncated: bool,
}

/// What an llm adapter's model may look at: one profile's records, each
/// handed out under a label the answer cites. The domain builds it for one
/// answer; no method can name another profile.
pub trait ChatTools: Send + Sync {
    /// Records matching a search, best first.
    fn search(&self, query: ToolSearch) -> BoxFuture<'_, Result<Vec<ToolHit>, ReadError>>;
    /// One record as a text summary, by label or `Type/id`.
    fn read<'a>(&'a self, label: &'a str) -> BoxFuture<'a, Result<String, ReadError>>;
    /// A view, each row labelled with its record.
    fn view(&self, query: ViewQuery) -> BoxFuture<'_, Result<LabelledTable, ReadError>>;
}
