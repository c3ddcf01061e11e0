//! `hearth:views/view`: SQL-on-FHIR views over the records of the one profile
//! a call is for. Same permission, request count and byte budget as
//! `hearth:common/records`: a view's rows are records read.

use super::common::types::{ErrorKind, PluginError};
use super::error;
use super::records::{denied, read_error};
use super::views_wit::view::{Host, ViewRequest, ViewRows};
use crate::plugins::ports::ViewQuery;
use crate::plugins::runtime::call::CallState;

/// Most rows one view may give a plugin.
pub const MAX_ROWS: u32 = 10_000;
/// Rows a view gives when the plugin names no limit.
pub const DEFAULT_ROWS: u32 = 1_000;

impl Host for CallState {
    async fn run(
        &mut self,
        request: ViewRequest,
    ) -> wasmtime::Result<Result<ViewRows, PluginError>> {
        let Some(access) = self.records.as_mut() else {
            return Ok(Err(denied()));
        };
        access.count()?;
        let limit = request.limit.unwrap_or(DEFAULT_ROWS);
        if !(1..=MAX_ROWS).contains(&limit) {
            return Ok(Err(error(
                ErrorKind::InvalidInput,
                format!("limit {limit}: a view gives 1 to {MAX_ROWS} rows"),
            )));
        }
        let filter = request
            .filter
            .map(|f| {
                url::form_urlencoded::parse(f.trim_start_matches('?').as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        let port = access.port.clone();
        let query = ViewQuery {
            definition: request.definition,
            filter,
            limit: limit as usize,
        };
        match port.view(query).await {
            Ok(table) => {
                access.charge(table.rows.iter().map(String::len).sum())?;
                Ok(Ok(ViewRows {
                    columns: table.columns,
                    rows: table.rows,
                    truncated: table.truncated,
                }))
            }
            Err(e) => Ok(Err(read_error(e))),
        }
    }
}
