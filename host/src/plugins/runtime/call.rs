//! One plugin call: a fresh `Store` with its limits, and the classification of
//! how the call ended. A store is never reused, so a trapped plugin leaves
//! nothing behind.

use super::outbound::Outbound;
use crate::config::PluginLimits;
use crate::plugins::interfaces::{records::RecordsAccess, reply::ReplyState, sink::SinkState};
use crate::plugins::ports::ModelEndpoint;
use std::time::Instant;
use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, Store, StoreLimits, StoreLimitsBuilder, UpdateDeadline};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// How much of a plugin's stderr (panic messages) is kept for error reports.
const STDERR_CAPTURE: usize = 16 * 1024;

/// The data of one call's `Store`.
pub struct CallState {
    /// `id@version` of the plugin, for logs and errors.
    pub label: String,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    limiter: Limiter,
    stderr: MemoryOutputPipe,
    /// The outbound HTTP policy and its record of the call.
    pub outbound: Outbound,
    /// The sink, for calls that may emit.
    pub sink: Option<SinkState>,
    /// The profile's records, for calls that may read them.
    pub records: Option<RecordsAccess>,
    /// The answer being written, for llm calls.
    pub reply: Option<ReplyState>,
    /// The configured model endpoint, for llm calls when one is configured.
    pub model: Option<std::sync::Arc<dyn ModelEndpoint>>,
    /// The model reply being read, for llm calls.
    pub model_body: Option<crate::plugins::ports::ModelBody>,
    /// Bytes of the model reply received but not yet handed over.
    pub model_pending: Option<bytes::Bytes>,
    /// The chat tools, for llm calls of the 0.2 world.
    pub tools: Option<crate::plugins::llm::ToolsAccess>,
    /// Log lines the plugin has written in this call.
    pub log_lines: u32,
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for CallState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.outbound,
        }
    }
}

/// StoreLimits plus a record of whether memory was what ran out.
struct Limiter {
    inner: StoreLimits,
    memory_limit: usize,
    memory_exceeded: bool,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_limit {
            self.memory_exceeded = true;
        }
        self.inner.memory_growing(current, desired, maximum)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.inner.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.inner.instances()
    }

    fn tables(&self) -> usize {
        self.inner.tables()
    }

    fn memories(&self) -> usize {
        self.inner.memories()
    }
}

/// Marker error: the call's wall-time deadline passed.
#[derive(Debug, thiserror::Error)]
#[error("deadline exceeded")]
pub struct DeadlineExceeded;

/// Marker error: the call read more of the profile's records than it may.
#[derive(Debug, thiserror::Error)]
pub enum ReadsExceeded {
    /// More bytes than the call's budget.
    #[error("{} MiB of records", .0 >> 20)]
    Bytes(usize),
    /// More searches and reads than a call may make.
    #[error("{0} record requests")]
    Requests(u32),
}

/// Marker error: the call emitted more than its output limit.
#[derive(Debug, thiserror::Error)]
#[error("emitted more than {0} bytes")]
pub struct OutputExceeded(pub usize);

/// Why a plugin call failed. Every variant names the plugin.
#[derive(Debug, thiserror::Error)]
pub enum PluginFailure {
    /// The plugin ran past its wall-time limit and was stopped.
    #[error("plugin {plugin} was stopped: it ran longer than its {limit_secs} s time limit")]
    Timeout {
        /// `id@version`.
        plugin: String,
        /// The limit.
        limit_secs: u64,
    },
    /// The plugin tried to grow its memory past the limit and was stopped.
    #[error("plugin {plugin} was stopped: it exceeded its memory limit of {limit_mb} MiB")]
    Memory {
        /// `id@version`.
        plugin: String,
        /// The limit.
        limit_mb: usize,
    },
    /// The plugin tried to reach a host it is not allowed to.
    #[error("plugin {plugin} was stopped: it tried to reach a forbidden host: {reason}")]
    ForbiddenHost {
        /// `id@version`.
        plugin: String,
        /// The denied origin and the rule.
        reason: String,
    },
    /// The plugin emitted more than it may in one call.
    #[error("plugin {plugin} was stopped: it emitted more than its output limit of {limit_mb} MiB")]
    Output {
        /// `id@version`.
        plugin: String,
        /// The limit.
        limit_mb: usize,
    },
    /// The plugin read more of the profile's records than it may in one call.
    #[error("plugin {plugin} was stopped: it read more than its limit of {limit}")]
    Reads {
        /// `id@version`.
        plugin: String,
        /// The limit, in words (`16 MiB of records`).
        limit: String,
    },
    /// The call was meant for another kind of plugin.
    #[error("plugin {plugin} is a {kind} plugin, not a {wanted}")]
    WrongKind {
        /// `id@version`.
        plugin: String,
        /// What it is.
        kind: crate::plugins::manifest::Kind,
        /// What the call needed.
        wanted: crate::plugins::manifest::Kind,
    },
    /// The plugin crashed (a trap, for example a panic).
    #[error("plugin {plugin} crashed: {reason}")]
    Trap {
        /// `id@version`.
        plugin: String,
        /// The trap and what the plugin printed.
        reason: String,
    },
    /// The plugin finished with an error of its own.
    #[error("plugin {plugin} reported an error ({kind}): {message}")]
    Reported {
        /// `id@version`.
        plugin: String,
        /// The error class the plugin gave.
        kind: ReportedKind,
        /// Its message.
        message: String,
        /// Whether it says a retry may help.
        retryable: bool,
    },
}

impl PluginFailure {
    /// A stable code for how the host stopped the plugin (`plugin-timeout`),
    /// or `None` when the plugin ended with an error of its own.
    pub fn stopped_code(&self) -> Option<&'static str> {
        Some(match self {
            PluginFailure::Timeout { .. } => "plugin-timeout",
            PluginFailure::Memory { .. } => "plugin-memory-limit",
            PluginFailure::ForbiddenHost { .. } => "plugin-forbidden-host",
            PluginFailure::Output { .. } => "plugin-output-limit",
            PluginFailure::Reads { .. } => "plugin-read-limit",
            PluginFailure::WrongKind { .. } => "plugin-wrong-kind",
            PluginFailure::Trap { .. } => "plugin-crashed",
            PluginFailure::Reported { .. } => return None,
        })
    }

    /// Whether the same call may succeed later without anyone acting: a
    /// timeout may pass, and a plugin's own error says.
    pub fn is_retryable(&self) -> bool {
        match self {
            PluginFailure::Timeout { .. } => true,
            PluginFailure::Reported { retryable, .. } => *retryable,
            _ => false,
        }
    }
}

/// The class of an error a plugin reports, whatever world version it speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportedKind {
    /// What the host gave it was wrong.
    InvalidInput,
    /// The provider refused the credentials.
    Unauthorized,
    /// The provider has no such thing.
    NotFound,
    /// The provider asked it to slow down.
    RateLimited,
    /// The provider failed or could not be reached.
    Upstream,
    /// The plugin itself failed.
    Internal,
}

impl ReportedKind {
    /// Its name in the WIT world (`rate-limited`).
    pub fn as_str(self) -> &'static str {
        match self {
            ReportedKind::InvalidInput => "invalid-input",
            ReportedKind::Unauthorized => "unauthorized",
            ReportedKind::NotFound => "not-found",
            ReportedKind::RateLimited => "rate-limited",
            ReportedKind::Upstream => "upstream",
            ReportedKind::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ReportedKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl CallState {
    /// A fresh state for one call of plugin `label`, with no sink, records,
    /// reply or model until the call's kind adds them.
    pub fn new(label: String, limits: &PluginLimits, outbound: Outbound) -> Self {
        let stderr = MemoryOutputPipe::new(STDERR_CAPTURE);
        // No preopened folders, no environment, no arguments, no sockets: a plugin
        // sees only what the host's own interfaces give it.
        let wasi = WasiCtxBuilder::new().stderr(stderr.clone()).build();
        CallState {
            label,
            wasi,
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            limiter: Limiter {
                inner: StoreLimitsBuilder::new()
                    .memory_size(limits.memory_bytes)
                    .instances(16)
                    .tables(64)
                    .memories(4)
                    .build(),
                memory_limit: limits.memory_bytes,
                memory_exceeded: false,
            },
            stderr,
            outbound,
            sink: None,
            records: None,
            reply: None,
            model: None,
            model_body: None,
            model_pending: None,
            tools: None,
            log_lines: 0,
        }
    }

    /// What the plugin wrote to stderr, trimmed, for error reports.
    fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr.contents())
            .trim()
            .to_string()
    }
}

/// A store for one call, with memory limits and a wall-time deadline armed.
pub fn new_store(
    engine: &wasmtime::Engine,
    state: CallState,
    limits: &PluginLimits,
) -> Store<CallState> {
    let mut store = Store::new(engine, state);
    store.limiter(|s| &mut s.limiter);
    let deadline = Instant::now() + limits.timeout;
    store.set_epoch_deadline(1);
    // Each tick, yield to the executor (so a busy plugin cannot hog a worker
    // thread) and stop the plugin once its deadline has passed.
    store.epoch_deadline_callback(move |_| {
        if Instant::now() >= deadline {
            Err(DeadlineExceeded.into())
        } else {
            Ok(UpdateDeadline::Yield(1))
        }
    });
    store
}

/// Turn the end of a call into a failure naming the plugin and the reason.
/// `outcome` is the call's result; the store tells what the host saw.
pub fn classify<T>(
    store: &Store<CallState>,
    limits: &PluginLimits,
    outcome: Result<wasmtime::Result<T>, tokio::time::error::Elapsed>,
) -> Result<T, PluginFailure> {
    let state = store.data();
    let plugin = state.label.clone();
    let timeout = || PluginFailure::Timeout {
        plugin: plugin.clone(),
        limit_secs: limits.timeout.as_secs(),
    };
    // A denied request outranks whatever the plugin made of the denial.
    if let Some(reason) = state.outbound.denials.first() {
        return Err(PluginFailure::ForbiddenHost {
            plugin,
            reason: reason.clone(),
        });
    }
    let error = match outcome {
        Err(_elapsed) => return Err(timeout()),
        Ok(Ok(value)) => return Ok(value),
        Ok(Err(error)) => error,
    };
    if error.downcast_ref::<DeadlineExceeded>().is_some() {
        return Err(timeout());
    }
    if let Some(OutputExceeded(limit)) = error.downcast_ref::<OutputExceeded>() {
        return Err(PluginFailure::Output {
            plugin,
            limit_mb: limit >> 20,
        });
    }
    if let Some(exceeded) = error.downcast_ref::<ReadsExceeded>() {
        return Err(PluginFailure::Reads {
            plugin,
            limit: exceeded.to_string(),
        });
    }
    if state.limiter.memory_exceeded {
        return Err(PluginFailure::Memory {
            plugin,
            limit_mb: limits.memory_bytes >> 20,
        });
    }
    let mut reason = match error.downcast_ref::<wasmtime::Trap>() {
        Some(trap) => format!("wasm trap: {trap}"),
        None => format!("{error:#}"),
    };
    let stderr = state.stderr_text();
    if !stderr.is_empty() {
        reason.push_str(&format!("; it printed: {stderr}"));
    }
    Err(PluginFailure::Trap { plugin, reason })
}
