//! `hearth:views/view`: SQL-on-FHIR views over the records of the one profile
//! a call is for. Same permission, request count and byte budget as
//! `hearth:common/records`: a view's rows are records read.

use super::common::types::PluginError;
use super::records::{denied, read_error};
use super::views_wit::view::{Host, ViewRequest, ViewRows};
use crate::plugins::ports::ViewQuery;
use crate::plugins::runtime::call::CallState;

impl Host for CallState {
    async fn run(
        &mut self,
        request: ViewRequest,
    ) -> wasmtime::Result<Result<ViewRows, PluginError>> {
        let Some(access) = self.records.as_mut() else {
            return Ok(Err(denied()));
        };
        access.count()?;
        let port = access.port.clone();
        // The domain checks the limit and reads the filter, as it does for the API.
        let query = ViewQuery {
            definition: request.definition,
            filter: request.filter,
            limit: request.limit.map(|n| n as usize),
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
