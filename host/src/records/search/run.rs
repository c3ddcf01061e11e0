//! Running queries over a profile: search pages, the timeline, related records.

use super::*;

/// One page of search results.
#[derive(Debug)]
pub struct SearchPage {
    /// The matches, in order.
    pub entries: Vec<StoredResource>,
    /// Where the next page starts, if there is one.
    pub next: Option<Cursor>,
    /// All matches, when asked for.
    pub total: Option<u64>,
}

/// Which stored row a search matched, and which content it holds.
#[derive(Debug, Clone)]
pub(crate) struct RowIdentity {
    /// `resources.id`.
    pub row: i64,
    /// Bumped on every change of the JSON.
    pub version: i64,
    /// SHA-256 of the canonical JSON.
    pub content_hash: Vec<u8>,
    /// `resourceType`.
    pub resource_type: String,
    /// `id`.
    pub id: String,
}

/// A resource's index summary, for timelines and related lists.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = RecordSummary)]
pub struct Summary {
    /// `resourceType`.
    pub resource_type: String,
    /// `id`.
    pub id: String,
    /// The source it came from.
    pub source_id: String,
    /// Clinical date, if any.
    #[schema(required)]
    pub date: Option<String>,
    /// Status, if any.
    #[schema(required)]
    pub status: Option<String>,
    /// Display text, if any.
    #[schema(required)]
    pub display: Option<String>,
    /// Other sources that sent the same fact.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_from: Vec<AlsoFrom>,
    /// Its numeric results (an Observation's value, or its components').
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<crate::records::labs::ResultValue>,
    /// The id of the visit (Encounter) it belongs to, if it names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub encounter: Option<String>,
    /// For a visit: its class, reason, place and clinician.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub visit: Option<crate::records::summary::VisitDetails>,
    /// The stored row, for attaching provenance.
    #[serde(skip)]
    row: i64,
}

pub(super) fn summary(row: &sqlx::sqlite::SqliteRow) -> Result<Summary, sqlx::Error> {
    Ok(Summary {
        row: row.try_get("id")?,
        also_from: Vec::new(),
        values: Vec::new(),
        encounter: None,
        visit: None,
        resource_type: row.try_get("resource_type")?,
        id: row.try_get("resource_id")?,
        source_id: row.try_get("source_id")?,
        date: row.try_get("sort_date")?,
        status: row.try_get("status")?,
        display: row.try_get("display")?,
    })
}

/// A timeline request.
#[derive(Debug, Clone, Default)]
pub struct TimelineQuery {
    /// Only these types (all when empty).
    pub types: Vec<String>,
    /// Only this source.
    pub source: Option<String>,
    /// On or after this date (`YYYY[-MM[-DD]]` or date-time).
    pub from: Option<String>,
    /// Before this date.
    pub to: Option<String>,
    /// Only records whose words match (full-text, each word a prefix).
    pub text: Option<String>,
    /// Page size.
    pub limit: u32,
    /// Where the previous page ended.
    pub cursor: Option<Cursor>,
}

/// A page of the timeline.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TimelinePage {
    /// Newest first; resources without a date come last.
    pub items: Vec<Summary>,
    /// Cursor for the next page.
    #[schema(required)]
    pub next_cursor: Option<String>,
}

/// What a resource references and what references it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Related {
    /// Stored resources it points to.
    pub references: Vec<Summary>,
    /// Stored resources that point to it.
    pub referenced_by: Vec<Summary>,
}

pub(super) const SUMMARY_COLUMNS: &str =
    "r.id, r.resource_type, r.resource_id, r.source_id, r.sort_date, r.status, r.display";

impl RecordStore {
    /// Run a search over a profile.
    pub async fn search(
        &self,
        scope: &ProfileScope,
        s: &Search,
    ) -> Result<SearchPage, SearchError> {
        let (rows, next, s) = self.search_rows(scope, s, true).await?;
        let entries = rows.iter().map(stored).collect::<Result<Vec<_>, _>>()?;
        let total = if s.total {
            Some(self.count_matches(scope, &s).await?)
        } else {
            None
        };
        Ok(SearchPage {
            entries,
            next,
            total,
        })
    }

    /// One page of a search as the matching rows' identities (`row_id`,
    /// `version`, `content_hash`, type, id), without their JSON: for callers
    /// that keep what they computed from a record's content.
    pub(crate) async fn search_identities(
        &self,
        scope: &ProfileScope,
        s: &Search,
    ) -> Result<(Vec<RowIdentity>, Option<Cursor>), SearchError> {
        let (rows, next, _) = self.search_rows(scope, s, false).await?;
        let identities = rows
            .iter()
            .map(|row| {
                Ok(RowIdentity {
                    row: row.try_get("row_id")?,
                    version: row.try_get("version")?,
                    content_hash: row.try_get("content_hash")?,
                    resource_type: row.try_get("resource_type")?,
                    id: row.try_get("resource_id")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok((identities, next))
    }

    /// The stored JSON of rows by `row_id`, for [`Self::search_identities`]' callers.
    pub(crate) async fn json_of_rows(
        &self,
        rows: &[i64],
    ) -> Result<std::collections::HashMap<i64, String>, SearchError> {
        let mut out = std::collections::HashMap::with_capacity(rows.len());
        for chunk in rows.chunks(500) {
            let mut q = QueryBuilder::<Sqlite>::new("SELECT id, json FROM resources WHERE id IN (");
            let mut list = q.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            q.push(")");
            for row in q.build().fetch_all(&self.db).await? {
                out.insert(row.try_get("id")?, row.try_get("json")?);
            }
        }
        Ok(out)
    }

    /// A page of rows and the cursor after it; `with_json` selects the stored JSON.
    async fn search_rows(
        &self,
        scope: &ProfileScope,
        s: &Search,
        with_json: bool,
    ) -> Result<(Vec<sqlx::sqlite::SqliteRow>, Option<Cursor>, Search), SearchError> {
        let resolved = self.resolve_systems(scope, s).await?;
        let s = &resolved;
        let desc = s.sort.1;
        let row_columns = if with_json {
            "r.source_id, r.resource_type, r.resource_id, r.sort_date, r.json"
        } else {
            "r.resource_type, r.resource_id, r.version, r.content_hash"
        };
        let mut q = QueryBuilder::<Sqlite>::new("SELECT ");
        let (column, id_column) = match s.sort.0 {
            SortKey::Date if driving_token(s).is_some() => ("t.sort_key", "t.resource"),
            SortKey::Date => ("r.sort_key", "r.id"),
            SortKey::LastUpdated => ("r.last_updated", "r.id"),
        };
        let grouped = driver_has_alternatives(s);
        if grouped {
            // Several codes: the page's ids are found, grouped and sorted in the
            // index first, and only the page's rows are read whole; grouping with
            // the JSON selected would read every match's JSON for every page.
            q.push(format!(
                "t.resource AS row_id, t.sort_key AS sort_value, {row_columns}
                 FROM (SELECT t.resource AS resource, t.sort_key AS sort_key"
            ));
        } else {
            q.push(format!(
                "{id_column} AS row_id, {column} AS sort_value, {row_columns}"
            ));
        }
        push_from(&mut q, scope, s)?;
        if let Some(c) = &s.cursor {
            q.push(format!(
                " AND ({column}, {id_column}) {} (",
                if desc { "<" } else { ">" }
            ))
            .push_bind(c.key.clone())
            .push(", ")
            .push_bind(c.id)
            .push(")");
        }
        let dir = if desc { "DESC" } else { "ASC" };
        if grouped {
            // A resource carrying two of the codes asked for is one match.
            q.push(format!(
                " GROUP BY t.resource ORDER BY {column} {dir}, {id_column} {dir} LIMIT "
            ))
            .push_bind(s.count as i64 + 1)
            .push(format!(
                ") AS t CROSS JOIN resources r ON r.id = t.resource ORDER BY t.sort_key {dir}, t.resource {dir}"
            ));
        } else {
            q.push(format!(
                " ORDER BY {column} {dir}, {id_column} {dir} LIMIT "
            ))
            .push_bind(s.count as i64 + 1);
        }
        let mut rows = q.build().fetch_all(&self.db).await?;
        let next = if rows.len() > s.count as usize {
            rows.truncate(s.count as usize);
            let last = rows
                .last()
                .ok_or(SearchError::Db(sqlx::Error::RowNotFound))?;
            Some(Cursor {
                key: last.try_get("sort_value")?,
                id: last.try_get("row_id")?,
            })
        } else {
            None
        };
        Ok((rows, next, resolved))
    }

    /// How many resources match `s` (already resolved), counted in the indexes.
    async fn count_matches(&self, scope: &ProfileScope, s: &Search) -> Result<u64, SearchError> {
        // A resource matching two of the codes asked for counts once.
        let mut q = QueryBuilder::<Sqlite>::new(if driver_has_alternatives(s) {
            "SELECT COUNT(DISTINCT t.resource)"
        } else {
            "SELECT COUNT(*)"
        });
        let only_the_token = s.ids.is_empty()
            && s.last_updated.is_empty()
            && s.status.is_empty()
            && s.text.is_none()
            && s.tokens.len() == 1;
        match driving_token(s) {
            // Everything asked is in the token index: count it there, without visiting resources.
            Some(i) if only_the_token => {
                q.push(" FROM resource_tokens t");
                push_token_range(&mut q, scope, s, i);
                for f in &s.date {
                    push_date(&mut q, "t.sort_key", f);
                }
            }
            _ => push_from(&mut q, scope, s)?,
        }
        let n: i64 = q.build_query_scalar().fetch_one(&self.db).await?;
        Ok(n as u64)
    }

    /// A code searched without a system (`code=2345-7`) usually has one
    /// system in a profile; naming it lets the search run from the token
    /// index in date order instead of sorting every match.
    async fn resolve_systems(
        &self,
        scope: &ProfileScope,
        s: &Search,
    ) -> Result<Search, SearchError> {
        let mut s = s.clone();
        for (param, alts) in s.tokens.iter_mut() {
            let [alt] = alts.as_mut_slice() else { continue };
            let (None, Some(code)) = (&alt.system, &alt.code) else {
                continue;
            };
            // Two index seeks (the first system, then any after it), not a scan of every match.
            let first: Option<String> = sqlx::query_scalar(
                "SELECT system FROM resource_tokens
                 WHERE profile_id = ? AND resource_type = ? AND param = ? AND code = ? ORDER BY system LIMIT 1",
            )
            .bind(scope.id())
            .bind(&s.resource_type)
            .bind(*param)
            .bind(code)
            .fetch_optional(&self.db)
            .await?;
            let Some(first) = first else { continue };
            let another: Option<String> = sqlx::query_scalar(
                "SELECT system FROM resource_tokens
                 WHERE profile_id = ? AND resource_type = ? AND param = ? AND code = ? AND system > ? LIMIT 1",
            )
            .bind(scope.id())
            .bind(&s.resource_type)
            .bind(*param)
            .bind(code)
            .bind(&first)
            .fetch_optional(&self.db)
            .await?;
            if another.is_none() {
                alt.system = Some(first);
            }
        }
        Ok(s)
    }

    /// A page of a profile's timeline.
    pub async fn timeline(
        &self,
        scope: &ProfileScope,
        t: &TimelineQuery,
    ) -> Result<TimelinePage, SearchError> {
        let mut q = QueryBuilder::<Sqlite>::new(format!("SELECT {SUMMARY_COLUMNS}, r.sort_key"));
        match t.text.as_deref().and_then(fts_query) {
            // Words are selective and a profile is not: the text index drives.
            Some(fts) => q
                .push(" FROM resource_text x CROSS JOIN resources r ON r.id = x.rowid WHERE resource_text MATCH ")
                .push_bind(fts)
                .push(" AND +r.profile_id = "),
            None => q.push(" FROM resources r WHERE r.profile_id = "),
        };
        q.push_bind(scope.id().to_string());
        if !t.types.is_empty() {
            push_in(&mut q, "r.resource_type", &t.types);
        }
        if let Some(source) = &t.source {
            q.push(" AND r.source_id = ").push_bind(source.clone());
        }
        if let Some(from) = &t.from {
            let f = parse_date_filter("from", from)?;
            q.push(" AND r.sort_key >= ").push_bind(f.lo);
        }
        if let Some(to) = &t.to {
            let f = parse_date_filter("to", to)?;
            q.push(" AND r.sort_key <> '' AND r.sort_key < ")
                .push_bind(f.lo);
        }
        if let Some(c) = &t.cursor {
            q.push(" AND (r.sort_key, r.id) < (")
                .push_bind(c.key.clone())
                .push(", ")
                .push_bind(c.id)
                .push(")");
        }
        q.push(" ORDER BY r.sort_key DESC, r.id DESC LIMIT ")
            .push_bind(t.limit as i64 + 1);
        let mut rows = q.build().fetch_all(&self.db).await?;
        let next_cursor = if rows.len() > t.limit as usize {
            rows.truncate(t.limit as usize);
            let last = rows
                .last()
                .ok_or(SearchError::Db(sqlx::Error::RowNotFound))?;
            Some(
                Cursor {
                    key: last.try_get("sort_key")?,
                    id: last.try_get("id")?,
                }
                .encode(),
            )
        } else {
            None
        };
        let mut items = rows.iter().map(summary).collect::<Result<Vec<_>, _>>()?;
        self.attach_details(&mut items).await?;
        Ok(TimelinePage { items, next_cursor })
    }

    /// What `resource_type/id` references and what references it, within the
    /// profile. The join order is fixed (`CROSS JOIN`, `+profile_id`):
    /// references are selective, a profile is not.
    pub async fn related(
        &self,
        scope: &ProfileScope,
        resource_type: &str,
        id: &str,
    ) -> Result<Option<Related>, SearchError> {
        let exists: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM resources WHERE profile_id = ? AND resource_type = ? AND resource_id = ? LIMIT 1",
        )
        .bind(scope.id())
        .bind(resource_type)
        .bind(id)
        .fetch_optional(&self.db)
        .await?;
        if exists.is_none() {
            return Ok(None);
        }
        let references = sqlx::query(
            "SELECT DISTINCT r.id, r.resource_type, r.resource_id, r.source_id, r.sort_date, r.status, r.display, r.sort_key
             FROM resources src CROSS JOIN resource_refs x ON x.resource = src.id
             CROSS JOIN resources r ON r.resource_type = x.target_type AND r.resource_id = x.target_id
             WHERE src.resource_type = ?2 AND src.resource_id = ?3 AND +src.profile_id = ?1 AND +r.profile_id = ?1
             ORDER BY r.sort_key DESC, r.id DESC LIMIT 500",
        )
        .bind(scope.id())
        .bind(resource_type)
        .bind(id)
        .fetch_all(&self.db)
        .await?;
        let referenced_by = sqlx::query(
            "SELECT DISTINCT r.id, r.resource_type, r.resource_id, r.source_id, r.sort_date, r.status, r.display, r.sort_key
             FROM resource_refs x CROSS JOIN resources r ON r.id = x.resource
             WHERE x.target_type = ?2 AND x.target_id = ?3 AND +r.profile_id = ?1
             ORDER BY r.sort_key DESC, r.id DESC LIMIT 500",
        )
        .bind(scope.id())
        .bind(resource_type)
        .bind(id)
        .fetch_all(&self.db)
        .await?;
        let mut references: Vec<Summary> =
            references.iter().map(summary).collect::<Result<_, _>>()?;
        let mut referenced_by: Vec<Summary> = referenced_by
            .iter()
            .map(summary)
            .collect::<Result<_, _>>()?;
        self.attach_details(&mut references).await?;
        self.attach_details(&mut referenced_by).await?;
        Ok(Some(Related {
            references,
            referenced_by,
        }))
    }

    /// Name the other sources of each shown item.
    async fn attach_details(&self, items: &mut [Summary]) -> Result<(), SearchError> {
        let ids: Vec<i64> = items.iter().map(|s| s.row).collect();
        let mut copies = crate::records::duplicates::also_from(&self.db, &ids).await?;
        let observations: Vec<i64> = items
            .iter()
            .filter(|s| s.resource_type == "Observation")
            .map(|s| s.row)
            .collect();
        let mut values = crate::records::labs::values_of(&self.db, &observations).await?;
        let mut encounters = encounter_of(&self.db, &ids).await?;
        let visits: Vec<i64> = items
            .iter()
            .filter(|s| s.resource_type == "Encounter")
            .map(|s| s.row)
            .collect();
        let mut visits = crate::records::summary::visit_details_of(&self.db, &visits).await?;
        for item in items {
            if let Some(also) = copies.remove(&item.row) {
                item.also_from = also;
            }
            if let Some(v) = values.remove(&item.row) {
                item.values = v;
            }
            item.encounter = encounters.remove(&item.row);
            item.visit = visits.remove(&item.row);
        }
        Ok(())
    }
}

/// The Encounter each of stored rows `ids` references (the first, if several).
async fn encounter_of(
    db: &crate::db::Db,
    ids: &[i64],
) -> Result<HashMap<i64, String>, sqlx::Error> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT resource, MIN(target_id) AS encounter FROM resource_refs
             WHERE target_type = 'Encounter' AND resource IN (",
        );
        crate::records::duplicates::push_ids(&mut q, chunk.iter().copied());
        q.push(" GROUP BY resource");
        for row in q.build().fetch_all(db).await? {
            out.insert(row.try_get("resource")?, row.try_get("encounter")?);
        }
    }
    Ok(out)
}

/// Why a query failed.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The request is not answerable (a 400).
    #[error(transparent)]
    Query(#[from] QueryError),
    /// Reading stored JSON failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}
