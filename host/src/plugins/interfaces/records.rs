//! `hearth:common/records`: read-only searches over the records of the one
//! profile a call is for.
//!
//! The domain hands the call a [`RecordsReader`] already bound to that
//! profile; nothing a plugin sends can name another, because no function
//! takes a profile. Pages are capped at [`MAX_PAGE`] resources, and a call
//! may read at most its output budget in bytes: a plugin that keeps reading
//! past it is stopped, as one that emits too much is.

use super::common::records::{Host, SearchPage, SearchRequest};
use super::common::types::{ErrorKind, PluginError};
use super::error;
use crate::plugins::ports::{ReadError, RecordsQuery, RecordsReader};
use crate::plugins::runtime::call::{CallState, ReadsExceeded};
use std::sync::Arc;

/// Most resources one page may hold.
pub const MAX_PAGE: u32 = 100;
/// Most searches and reads one call may make: a plugin asking for nothing
/// over and over costs the host a query each time.
pub const MAX_REQUESTS: u32 = 10_000;

/// A call's access to its profile's records.
pub struct RecordsAccess {
    /// The domain's reader, bound to the call's profile.
    pub port: Arc<dyn RecordsReader>,
    /// Bytes handed to the plugin so far.
    pub bytes_read: usize,
    /// Bytes the call may read in total.
    pub max_bytes: usize,
    /// Searches and reads so far.
    pub requests: u32,
}

impl RecordsAccess {
    /// Access through `port`, reading at most `max_bytes` in the call.
    pub fn new(port: Arc<dyn RecordsReader>, max_bytes: usize) -> Self {
        RecordsAccess {
            port,
            bytes_read: 0,
            max_bytes,
            requests: 0,
        }
    }

    /// Count one request before it is made; past the limit, the call is stopped.
    pub(super) fn count(&mut self) -> wasmtime::Result<()> {
        self.requests = self.requests.saturating_add(1);
        if self.requests > MAX_REQUESTS {
            return Err(ReadsExceeded::Requests(MAX_REQUESTS).into());
        }
        Ok(())
    }

    /// Count `bytes` against the budget; past it, the call is stopped.
    pub(super) fn charge(&mut self, bytes: usize) -> wasmtime::Result<()> {
        self.bytes_read = self.bytes_read.saturating_add(bytes);
        if self.bytes_read > self.max_bytes {
            return Err(ReadsExceeded::Bytes(self.max_bytes).into());
        }
        Ok(())
    }
}

pub(super) fn denied() -> PluginError {
    error(
        ErrorKind::InvalidInput,
        "this plugin did not declare `records = \"read\"` in its manifest, or the call is for no profile",
    )
}

pub(crate) fn read_error(e: ReadError) -> PluginError {
    match e {
        ReadError::Invalid(m) => error(ErrorKind::InvalidInput, m),
        ReadError::NotFound(m) => error(ErrorKind::NotFound, m),
        ReadError::Failed(m) => PluginError {
            kind: ErrorKind::Internal,
            message: format!("the host could not read the records: {m}"),
            retryable: true,
        },
    }
}

impl Host for CallState {
    async fn search(
        &mut self,
        request: SearchRequest,
    ) -> wasmtime::Result<Result<SearchPage, PluginError>> {
        let Some(access) = self.records.as_mut() else {
            return Ok(Err(denied()));
        };
        access.count()?;
        let mut params = request.params;
        match params.iter().find(|(k, _)| k == "_count") {
            Some((_, count)) => {
                if !count
                    .parse::<u32>()
                    .is_ok_and(|n| (1..=MAX_PAGE).contains(&n))
                {
                    return Ok(Err(error(
                        ErrorKind::InvalidInput,
                        format!("_count {count:?}: a page holds 1 to {MAX_PAGE} resources"),
                    )));
                }
            }
            None => params.push(("_count".into(), MAX_PAGE.to_string())),
        }
        if params.iter().any(|(k, _)| k == "_cursor") {
            return Ok(Err(error(
                ErrorKind::InvalidInput,
                "continue a search with `page`, not `_cursor`",
            )));
        }
        let port = access.port.clone();
        let query = RecordsQuery {
            resource_type: request.resource_type,
            params,
            page: request.page,
        };
        match port.search(query).await {
            Ok(page) => {
                access.charge(page.resources.iter().map(String::len).sum())?;
                Ok(Ok(SearchPage {
                    resources: page.resources,
                    next: page.next,
                }))
            }
            Err(e) => Ok(Err(read_error(e))),
        }
    }

    async fn read(
        &mut self,
        resource_type: String,
        id: String,
    ) -> wasmtime::Result<Result<Option<String>, PluginError>> {
        let Some(access) = self.records.as_mut() else {
            return Ok(Err(denied()));
        };
        access.count()?;
        let port = access.port.clone();
        match port.read(&resource_type, &id).await {
            Ok(found) => {
                access.charge(found.as_ref().map_or(0, String::len))?;
                Ok(Ok(found))
            }
            Err(e) => Ok(Err(read_error(e))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugins::ports::RecordsPage;
    use futures_util::future::BoxFuture;

    struct Nothing;

    impl RecordsReader for Nothing {
        fn search(&self, _: RecordsQuery) -> BoxFuture<'_, Result<RecordsPage, ReadError>> {
            Box::pin(async { Ok(RecordsPage::default()) })
        }
        fn read<'a>(
            &'a self,
            _: &'a str,
            _: &'a str,
        ) -> BoxFuture<'a, Result<Option<String>, ReadError>> {
            Box::pin(async { Ok(None) })
        }
        fn view(
            &self,
            _: crate::plugins::ports::ViewQuery,
        ) -> BoxFuture<'_, Result<crate::plugins::ports::ViewTable, ReadError>> {
            Box::pin(async { Ok(Default::default()) })
        }
    }

    #[test]
    fn reads_stop_at_the_byte_budget_and_the_request_count() {
        let mut access = RecordsAccess::new(Arc::new(Nothing), 1000);
        assert!(access.charge(600).is_ok());
        let over = access.charge(600).expect_err("over budget");
        assert!(matches!(
            over.downcast_ref(),
            Some(ReadsExceeded::Bytes(1000))
        ));

        let mut access = RecordsAccess::new(Arc::new(Nothing), 1000);
        for _ in 0..MAX_REQUESTS {
            assert!(access.count().is_ok());
        }
        let over = access.count().expect_err("too many requests");
        assert!(matches!(
            over.downcast_ref(),
            Some(ReadsExceeded::Requests(MAX_REQUESTS))
        ));
    }
}
