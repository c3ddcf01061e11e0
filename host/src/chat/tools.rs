//! The tools an adapter's model uses, over one profile's records for one
//! answer: every record they hand out is noted in the answer's [`Context`]
//! under its label, with the text it was shown as.

use super::context::Context;
use super::retrieve::{fts_expression, rank, understand};
use super::summary;
use crate::auth::ProfileScope;
use crate::plugins::ports::{
    ChatTools, LabelledTable, ReadError, RecordsPage, RecordsQuery, RecordsReader, ToolHit,
    ToolSearch, ViewQuery, ViewTable,
};
use crate::records::reader::ProfileReader;
use crate::records::retrieval::CandidateQuery;
use crate::records::{RecordStore, is_fhir_id, is_type_name};
use futures_util::future::BoxFuture;
use serde_json::Value;
use std::sync::Arc;

/// Hits a search returns when the adapter names no limit.
pub const DEFAULT_HITS: usize = 20;
/// Records with the same name one search returns: enough for a trend.
const PER_NAME: usize = 6;
/// Candidates read from the full-text index before ranking.
const CANDIDATES: u32 = 3_000;
/// The column a view run for a model gets, naming each row's record.
const RECORD_COLUMN: &str = "__hearth_record";

/// The tools over `scope`'s records for one answer.
pub struct ProfileTools {
    records: RecordStore,
    scope: ProfileScope,
    context: Arc<Context>,
}

impl ProfileTools {
    /// Tools over `scope`'s records, noting what they show in `context`.
    pub fn new(records: RecordStore, scope: ProfileScope, context: Arc<Context>) -> Self {
        ProfileTools {
            records,
            scope,
            context,
        }
    }

    async fn search_now(&self, q: ToolSearch) -> Result<Vec<ToolHit>, ReadError> {
        let understood = understand(&q.query);
        let types = if q.types.is_empty() {
            understood.types.clone()
        } else {
            q.types.clone()
        };
        if let Some(bad) = types.iter().find(|t| !is_type_name(t)) {
            return Err(ReadError::Invalid(format!(
                "{bad:?} is not a resource type"
            )));
        }
        let limit = q.limit.map_or(DEFAULT_HITS, |n| n as usize);
        let base = CandidateQuery {
            text: None,
            types: types.clone(),
            since: q.since.clone(),
            until: q.until.clone(),
            limit: CANDIDATES,
        };
        let chosen = match fts_expression(&understood) {
            Some(text) => {
                let found = self
                    .records
                    .candidates(
                        &self.scope,
                        &CandidateQuery {
                            text: Some(text),
                            ..base
                        },
                    )
                    .await
                    .map_err(search_error)?;
                rank(&understood, found, PER_NAME, limit)
            }
            // Only kinds of record ("my medicines"): each thing once, newest first.
            None if !types.is_empty() => {
                let found = self
                    .records
                    .candidates(&self.scope, &base)
                    .await
                    .map_err(search_error)?;
                rank(&understood, found, 1, limit)
            }
            None => Vec::new(),
        };
        let mut hits = Vec::with_capacity(chosen.len());
        for c in chosen {
            let Some(read) = self
                .records
                .read_for_question(&self.scope, &c.resource_type, &c.id)
                .await
                .map_err(|e| ReadError::Failed(e.to_string()))?
            else {
                continue;
            };
            let value: Value = serde_json::from_str(read.stored.resource.get())
                .map_err(|e| ReadError::Failed(e.to_string()))?;
            let id = format!("{}/{}", c.resource_type, c.id);
            let title = summary::title(&c.resource_type, &value);
            let date = summary::date(&value);
            let shown = match &date {
                Some(d) => format!("{title} ({d})"),
                None => title.clone(),
            };
            let label = self.context.show(&id, &shown);
            hits.push(ToolHit {
                label,
                id,
                resource_type: c.resource_type,
                date,
                title,
            });
        }
        Ok(hits)
    }

    async fn read_now(&self, label: &str) -> Result<String, ReadError> {
        let id = match self.context.resolve(label) {
            Some(id) => id,
            None if label.contains('/') => label.trim().to_string(),
            None => {
                return Err(ReadError::NotFound(format!(
                    "{label:?} is no label this answer was given; search first"
                )));
            }
        };
        let Some((resource_type, rid)) = id
            .split_once('/')
            .filter(|(t, i)| is_type_name(t) && is_fhir_id(i))
        else {
            return Err(ReadError::Invalid(format!("{id:?} is not a Type/id")));
        };
        let read = self
            .records
            .read_for_question(&self.scope, resource_type, rid)
            .await
            .map_err(|e| ReadError::Failed(e.to_string()))?
            .ok_or_else(|| ReadError::NotFound(format!("{id} is not in this person's records")))?;
        let value: Value = serde_json::from_str(read.stored.resource.get())
            .map_err(|e| ReadError::Failed(e.to_string()))?;
        // The label first, so the summary can carry it.
        let label = self.context.show(&id, "");
        let text = summary::summary(&label, resource_type, rid, &value, &read.source_name);
        self.context.show(&id, &text);
        Ok(text)
    }

    async fn view_now(&self, q: ViewQuery) -> Result<LabelledTable, ReadError> {
        let mut definition: Value = serde_json::from_str(&q.definition)
            .map_err(|e| ReadError::Invalid(format!("the view is not JSON: {e}")))?;
        let Some(select) = definition.get_mut("select").and_then(Value::as_array_mut) else {
            return Err(ReadError::Invalid("the view has no `select` list".into()));
        };
        // Every row also names its record, so its values can be cited.
        select.push(serde_json::json!({
            "column": [{"name": RECORD_COLUMN, "path": "getResourceKey()"}]
        }));
        let reader = ProfileReader::new(self.records.clone(), self.scope.clone());
        let table = reader
            .view(ViewQuery {
                definition: definition.to_string(),
                filter: q.filter,
                limit: q.limit,
            })
            .await?;
        let at = table
            .columns
            .iter()
            .position(|c| c == RECORD_COLUMN)
            .ok_or_else(|| ReadError::Failed("the view lost its record column".into()))?;
        let mut out = LabelledTable {
            columns: table.columns.clone(),
            truncated: table.truncated,
            ..LabelledTable::default()
        };
        out.columns.remove(at);
        for row in table.rows {
            let mut values: Vec<Value> = serde_json::from_str(&row)
                .map_err(|e| ReadError::Failed(format!("a view row is not JSON: {e}")))?;
            let key = values.remove(at);
            let row = Value::Array(values).to_string();
            let label = match key.as_str() {
                Some(id) => self.context.show(id, &row),
                None => String::new(),
            };
            out.rows.push(row);
            out.labels.push(label);
        }
        Ok(out)
    }
}

fn search_error(e: crate::records::search::SearchError) -> ReadError {
    match e {
        crate::records::search::SearchError::Query(q) => ReadError::Invalid(q.to_string()),
        other => ReadError::Failed(other.to_string()),
    }
}

impl ChatTools for ProfileTools {
    fn search(&self, query: ToolSearch) -> BoxFuture<'_, Result<Vec<ToolHit>, ReadError>> {
        Box::pin(self.search_now(query))
    }

    fn read<'a>(&'a self, label: &'a str) -> BoxFuture<'a, Result<String, ReadError>> {
        Box::pin(self.read_now(label))
    }

    fn view(&self, query: ViewQuery) -> BoxFuture<'_, Result<LabelledTable, ReadError>> {
        Box::pin(self.view_now(query))
    }
}

/// The profile's records for an adapter of the first world (raw records):
/// each record it is handed is noted in the context, in the order read.
pub struct ContextReader {
    inner: ProfileReader,
    context: Arc<Context>,
}

impl ContextReader {
    /// Reads of `scope`'s records, noted in `context`.
    pub fn new(records: RecordStore, scope: ProfileScope, context: Arc<Context>) -> Self {
        ContextReader {
            inner: ProfileReader::new(records, scope),
            context,
        }
    }

    fn note(&self, json: &str) {
        let Ok(value) = serde_json::from_str::<Value>(json) else {
            return;
        };
        if let (Some(t), Some(id)) = (value["resourceType"].as_str(), value["id"].as_str()) {
            self.context.show(&format!("{t}/{id}"), json);
        }
    }
}

impl RecordsReader for ContextReader {
    fn search(&self, query: RecordsQuery) -> BoxFuture<'_, Result<RecordsPage, ReadError>> {
        Box::pin(async move {
            let page = self.inner.search(query).await?;
            for r in &page.resources {
                self.note(r);
            }
            Ok(page)
        })
    }

    fn read<'a>(
        &'a self,
        resource_type: &'a str,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, ReadError>> {
        Box::pin(async move {
            let found = self.inner.read(resource_type, id).await?;
            if let Some(r) = &found {
                self.note(r);
            }
            Ok(found)
        })
    }

    fn view(&self, query: ViewQuery) -> BoxFuture<'_, Result<ViewTable, ReadError>> {
        self.inner.view(query)
    }
}
