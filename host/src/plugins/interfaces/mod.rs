//! The host's side of the interfaces plugins import, each in its own module,
//! implemented once for the latest version. Older world versions convert
//! their types and delegate here, so every capability check exists once.
//!
//! `hearth:common` (types, log, records) is generated here once; every world
//! binding reuses these types through bindgen's `with`, so each interface is
//! linked exactly once whatever the world.

pub mod log;
pub mod records;
pub mod reply;
pub mod sink;
pub mod views;

#[allow(missing_docs)]
mod generated {
    wasmtime::component::bindgen!({
        inline: "package hearth:host; world common { import hearth:common/log@0.1.0; import hearth:common/records@0.1.0; import hearth:views/view@0.1.0; }",
        path: "../wit/views/0.1.0",
        world: "hearth:host/common",
        imports: { default: async | trappable },
    });
}

use common::types::{ErrorKind, PluginError};
pub use generated::hearth::common;
pub use generated::hearth::views as views_wit;

use super::runtime::call::{CallState, ReportedKind};
use wasmtime::component::{HasSelf, Linker};

/// Link `hearth:common/types` and `hearth:common/log`, which every world imports.
pub fn add_common(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    common::types::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)?;
    common::log::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)?;
    Ok(())
}

/// Link `hearth:views/view`, for the kinds whose worlds run views.
pub fn add_views(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    views_wit::view::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)
}

/// Link `hearth:common/records`, for the kinds that may read records.
pub fn add_records(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    common::records::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)
}

impl common::types::Host for CallState {}

/// An error for the plugin.
pub fn error(kind: ErrorKind, message: impl Into<String>) -> PluginError {
    PluginError {
        kind,
        message: message.into(),
        retryable: false,
    }
}

impl From<ErrorKind> for ReportedKind {
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::InvalidInput => ReportedKind::InvalidInput,
            ErrorKind::Unauthorized => ReportedKind::Unauthorized,
            ErrorKind::NotFound => ReportedKind::NotFound,
            ErrorKind::RateLimited => ReportedKind::RateLimited,
            ErrorKind::Upstream => ReportedKind::Upstream,
            ErrorKind::Internal => ReportedKind::Internal,
        }
    }
}
