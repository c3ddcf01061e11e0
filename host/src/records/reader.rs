//! What plugins read through: the records of one profile, behind the plugin
//! layer's [`RecordsReader`] port. The reader is built for the profile the
//! call is for (the caller's [`ProfileScope`]), so nothing a plugin sends can
//! reach another profile: the scope is not a parameter it could change.

use super::RecordStore;
use super::search::{Search, SearchError};
use crate::auth::ProfileScope;
use crate::plugins::ports::{
    ReadError, RecordsPage, RecordsQuery, RecordsReader, ViewQuery, ViewTable,
};
use futures_util::future::BoxFuture;

/// A profile's records, read-only, for a plugin call.
pub struct ProfileReader {
    records: RecordStore,
    scope: ProfileScope,
}

impl ProfileReader {
    /// Reads of `scope`'s profile.
    pub fn new(records: RecordStore, scope: ProfileScope) -> Self {
        ProfileReader { records, scope }
    }
}

impl RecordsReader for ProfileReader {
    fn search(&self, query: RecordsQuery) -> BoxFuture<'_, Result<RecordsPage, ReadError>> {
        Box::pin(async move {
            let mut params = query.params;
            if let Some(page) = query.page {
                params.push(("_cursor".into(), page));
            }
            let search = Search::parse(&query.resource_type, &params)
                .map_err(|e| ReadError::Invalid(e.to_string()))?;
            let page = self
                .records
                .search(&self.scope, &search)
                .await
                .map_err(|e| match e {
                    SearchError::Query(q) => ReadError::Invalid(q.to_string()),
                    other => ReadError::Failed(other.to_string()),
                })?;
            Ok(RecordsPage {
                resources: page
                    .entries
                    .into_iter()
                    .map(|e| e.resource.get().to_string())
                    .collect(),
                next: page.next.map(|c| c.encode()),
            })
        })
    }

    fn read<'a>(
        &'a self,
        resource_type: &'a str,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, ReadError>> {
        Box::pin(async move {
            if !super::is_type_name(resource_type) || !super::is_fhir_id(id) {
                return Err(ReadError::Invalid(format!(
                    "{resource_type}/{id} is not a FHIR type and id"
                )));
            }
            let found = self
                .records
                .get(&self.scope, resource_type, id)
                .await
                .map_err(|e| ReadError::Failed(e.to_string()))?;
            Ok(found.map(|r| r.resource.get().to_string()))
        })
    }

    fn view(&self, query: ViewQuery) -> BoxFuture<'_, Result<ViewTable, ReadError>> {
        Box::pin(async move {
            use super::views::{ViewLimits, ViewRunError};
            let view = self
                .records
                .checked_view(&query.definition)
                .map_err(|e| ReadError::Invalid(e.to_string()))?;
            let limits =
                ViewLimits::asking(query.limit).map_err(|e| ReadError::Invalid(e.to_string()))?;
            let filter = super::views::filter_params(query.filter.as_deref());
            let out = self
                .records
                .run_view(&self.scope, &view, &filter, limits)
                .await
                .map_err(|e| match e {
                    ViewRunError::Store(_) | ViewRunError::Corrupt(_) => {
                        ReadError::Failed(e.to_string())
                    }
                    other => ReadError::Invalid(other.to_string()),
                })?;
            Ok(ViewTable {
                columns: out.columns.into_iter().map(|c| c.name).collect(),
                rows: out
                    .rows
                    .into_iter()
                    .map(|row| serde_json::Value::Array(row).to_string())
                    .collect(),
                truncated: out.truncated,
            })
        })
    }
}
