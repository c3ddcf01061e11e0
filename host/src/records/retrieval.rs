//! Finding records for a question: candidates by the words of their display
//! text (the full-text index) or, with no words, the newest of some types,
//! narrowed by date. Ranking the candidates is the caller's business; this
//! module only owns the SQL.

use super::search::{SearchError, parse_date_filter};
use super::{RecordStore, StoredResource};
use crate::auth::ProfileScope;
use sqlx::{QueryBuilder, Row, Sqlite};

/// A record that may answer a question, before it is read.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Its row in the store.
    pub row: i64,
    /// Its resource type.
    pub resource_type: String,
    /// Its id.
    pub id: String,
    /// Its display text (what it is), when it has one.
    pub display: Option<String>,
    /// Its date, as stored (`''` when it has none).
    pub sort_key: String,
}

/// Which candidates to fetch.
#[derive(Debug, Clone, Default)]
pub struct CandidateQuery {
    /// An FTS5 expression over display texts; `None` for any record.
    pub text: Option<String>,
    /// Only these types (all when empty).
    pub types: Vec<String>,
    /// On or after this date (`YYYY[-MM[-DD]]`).
    pub since: Option<String>,
    /// On or before this date (`YYYY[-MM[-DD]]`).
    pub until: Option<String>,
    /// Most candidates, newest first.
    pub limit: u32,
}

/// A record read for a question, with the name of its source.
#[derive(Debug)]
pub struct ReadRecord {
    /// The record.
    pub stored: StoredResource,
    /// The name of the source it came from.
    pub source_name: String,
}

impl RecordStore {
    /// Records of `scope` matching `q`, newest first.
    pub async fn candidates(
        &self,
        scope: &ProfileScope,
        q: &CandidateQuery,
    ) -> Result<Vec<Candidate>, SearchError> {
        let mut b = QueryBuilder::<Sqlite>::new(
            "SELECT r.id, r.resource_type, r.resource_id, r.display, r.sort_key",
        );
        match &q.text {
            Some(fts) => b
                .push(" FROM resource_text x CROSS JOIN resources r ON r.id = x.rowid WHERE resource_text MATCH ")
                .push_bind(fts.clone())
                .push(" AND +r.profile_id = "),
            None => b.push(" FROM resources r WHERE r.profile_id = "),
        };
        b.push_bind(scope.id().to_string());
        if !q.types.is_empty() {
            b.push(" AND r.resource_type IN (");
            let mut sep = b.separated(", ");
            for t in &q.types {
                sep.push_bind(t.clone());
            }
            b.push(")");
        }
        if let Some(since) = &q.since {
            let f = parse_date_filter("since", since)?;
            b.push(" AND r.sort_key >= ").push_bind(f.lo);
        }
        if let Some(until) = &q.until {
            let f = parse_date_filter("until", until)?;
            b.push(" AND r.sort_key <> '' AND r.sort_key < ")
                .push_bind(f.hi);
        }
        b.push(" ORDER BY r.sort_key DESC, r.id DESC LIMIT ")
            .push_bind(i64::from(q.limit));
        let rows = b.build().fetch_all(self.db()).await?;
        rows.iter()
            .map(|r| {
                Ok(Candidate {
                    row: r.try_get(0)?,
                    resource_type: r.try_get(1)?,
                    id: r.try_get(2)?,
                    display: r.try_get(3)?,
                    sort_key: r.try_get(4)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(SearchError::from)
    }

    /// A record of `scope` with the name of its source.
    pub async fn read_for_question(
        &self,
        scope: &ProfileScope,
        resource_type: &str,
        id: &str,
    ) -> Result<Option<ReadRecord>, super::StoreError> {
        let Some(stored) = self.get(scope, resource_type, id).await? else {
            return Ok(None);
        };
        let source_name: Option<String> =
            sqlx::query_scalar("SELECT name FROM sources WHERE id = ?")
                .bind(&stored.source_id)
                .fetch_optional(self.db())
                .await?;
        Ok(Some(ReadRecord {
            source_name: source_name.unwrap_or_default(),
            stored,
        }))
    }
}
