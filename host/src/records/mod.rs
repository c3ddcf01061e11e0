//! FHIR resource storage: validation, the index extracted at write time
//! (`index`), idempotent upserts keyed on (source, type, id) with a content
//! hash so an unchanged re-sync writes nothing, and the queries over it
//! (`search`).

pub mod convert;
pub mod duplicates;
pub mod export;
pub mod import;
pub mod index;
pub mod intake;
pub mod ips;
pub mod labs;
pub mod manual;
pub mod person;
pub mod provenance;
pub mod reader;
pub mod retrieval;
pub mod schema;
pub mod search;
pub mod staging;
pub mod summary;
pub mod validate;
pub mod views;

use crate::auth::ProfileScope;
use crate::db::Db;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::{QueryBuilder, Row, Sqlite};
use std::collections::HashMap;

/// Rows per multi-row statement (7 bound values each, far below SQLite's variable limit).
const UPSERT_CHUNK: usize = 500;

/// Why a resource was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum InvalidResource {
    /// Not JSON at all.
    #[error("not valid JSON: {0}")]
    Json(String),
    /// JSON, but not an object.
    #[error("a FHIR resource must be a JSON object")]
    NotObject,
    /// `resourceType` missing or malformed.
    #[error("`resourceType` is missing or not a FHIR type name")]
    ResourceType,
    /// `id` missing or not a FHIR id.
    #[error("`id` is missing or not a FHIR id (1-64 of A-Z a-z 0-9 - .)")]
    Id,
}

/// Storage failures.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed; the batch was rolled back.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

/// A validated resource with its index, ready to store.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// `resourceType`.
    pub resource_type: String,
    /// `id`.
    pub id: String,
    /// The JSON text exactly as received.
    pub json: String,
    /// SHA-256 of the canonical JSON.
    pub hash: [u8; 32],
    /// What search, timeline and related-record queries use.
    pub index: index::Index,
}

/// Validate one resource's JSON text and extract its index.
pub fn parse(text: &str) -> Result<Parsed, InvalidResource> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| InvalidResource::Json(e.to_string()))?;
    parse_value(text.to_string(), &value)
}

/// A refused resource: its type, id, and what is wrong.
pub type Refused = (String, String, validate::Invalid);

/// [`parse`], then the intake gate's R4 check ([`intake::check`]): the
/// outer error is a resource that cannot be stored at all (not JSON, no
/// id), the inner one a resource that is not valid R4.
pub fn parse_admitted(text: &str) -> Result<Result<Parsed, Refused>, InvalidResource> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| InvalidResource::Json(e.to_string()))?;
    let parsed = parse_value(text.to_string(), &value)?;
    Ok(match intake::check(&value) {
        Ok(()) => Ok(parsed),
        Err(bad) => Err((parsed.resource_type, parsed.id, bad)),
    })
}

/// [`parse`] for a resource already parsed into `value` from `text` (or
/// serialized to it), keeping `text` as the stored bytes without a copy.
pub(crate) fn parse_value(text: String, value: &Value) -> Result<Parsed, InvalidResource> {
    Ok(describe(value)?.with_json(text))
}

/// What is stored beside a resource's bytes, all of it taken from its
/// parsed value; the bytes can be read afterwards, once the value is gone,
/// so a large resource is never held whole twice at once.
pub(crate) struct Described {
    resource_type: String,
    id: String,
    hash: [u8; 32],
    index: index::Index,
}

impl Described {
    /// The resource ready to store, `json` being the bytes `value` was parsed from.
    pub(crate) fn with_json(self, json: String) -> Parsed {
        Parsed {
            resource_type: self.resource_type,
            id: self.id,
            json,
            hash: self.hash,
            index: self.index,
        }
    }
}

/// Type, id, canonical hash and index of a parsed resource.
pub(crate) fn describe(value: &Value) -> Result<Described, InvalidResource> {
    let Value::Object(object) = value else {
        return Err(InvalidResource::NotObject);
    };
    let resource_type = object
        .get("resourceType")
        .and_then(Value::as_str)
        .filter(|t| is_type_name(t))
        .ok_or(InvalidResource::ResourceType)?
        .to_string();
    let id = object
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| is_fhir_id(id))
        .ok_or(InvalidResource::Id)?
        .to_string();
    // Hash the canonical form so that whitespace or key order changes upstream
    // are not "changes"; streamed into the hasher, never built as a string.
    let mut hasher = HashWriter(Sha256::new());
    serde_json::to_writer(&mut hasher, value).map_err(|e| InvalidResource::Json(e.to_string()))?;
    Ok(Described {
        index: index::extract(&resource_type, value),
        resource_type,
        id,
        hash: hasher.0.finalize().into(),
    })
}

/// Feeds serialized JSON straight into a SHA-256.
struct HashWriter(Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// The FHIR id and type-name rules live with the rest of FHIR's structure
// (`hearth-dstu3`), which the sandbox shares.
pub use hearth_dstu3::{is_fhir_id, is_type_name};

/// What a batch upsert did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Serialize)]
pub struct BatchOutcome {
    /// Resources new or changed, and written.
    pub stored: u64,
    /// Resources identical to what was stored, not written.
    pub unchanged: u64,
}

/// One stored resource in a listing.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StoredResource {
    /// The source it came from.
    pub source_id: String,
    /// `resourceType`.
    pub resource_type: String,
    /// `id`.
    pub id: String,
    /// The sort date, if any.
    #[schema(required)]
    pub sort_date: Option<String>,
    /// The resource as received.
    #[schema(value_type = schema::FhirResource)]
    pub resource: Box<serde_json::value::RawValue>,
    /// Other sources that sent the same fact (filled where a caller shows provenance).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_from: Vec<duplicates::AlsoFrom>,
}

/// A page of stored resources.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RecordPage {
    /// Matching resources in all pages.
    pub total: u64,
    /// 1-based page number.
    pub page: u64,
    /// Page size.
    pub per_page: u64,
    /// This page, newest first.
    pub records: Vec<StoredResource>,
}

/// The record store.
#[derive(Clone, Debug)]
pub struct RecordStore {
    db: Db,
    /// View rows of records read recently, shared by the store's clones.
    view_rows: std::sync::Arc<views::ViewRowCache>,
}

impl RecordStore {
    /// A store over `db`.
    pub fn new(db: Db) -> Self {
        RecordStore {
            db,
            view_rows: Default::default(),
        }
    }

    /// A store over the same database that keeps nothing from this one's
    /// reads, as a first read after a start sees it (for measuring).
    pub fn cold(&self) -> Self {
        RecordStore::new(self.db.clone())
    }

    /// The database it stores in.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Store a batch atomically: all of it or, on error, none of it.
    ///
    /// Rows go in as multi-row statements (a few statements per chunk rather
    /// than several per resource): per-statement overhead dominates ingest.
    pub async fn upsert_batch(
        &self,
        source_id: &str,
        batch: &[Parsed],
    ) -> Result<BatchOutcome, StoreError> {
        let mut tx = crate::db::write_tx(&self.db).await?;
        let outcome = upsert_in(&mut tx, source_id, batch).await?;
        tx.commit().await?;
        // Copies this batch stopped matching are shown again (or matched anew).
        self.reindex_stale().await?;
        Ok(outcome)
    }

    /// Re-extract the index of resources stored under an older extraction,
    /// a batch per transaction. Returns how many were re-indexed.
    pub async fn reindex_stale(&self) -> Result<u64, StoreError> {
        let mut done = 0;
        loop {
            let rows = sqlx::query(
                "SELECT r.id, r.resource_type, r.resource_id, r.source_id, r.json, s.profile_id FROM resources r
                 LEFT JOIN sources s ON s.id = r.source_id
                 WHERE r.index_version < ? AND s.status NOT IN ('staging', 'removed') LIMIT 1000",
            )
            .bind(index::INDEX_VERSION)
            .fetch_all(&self.db)
            .await?;
            if rows.is_empty() {
                break;
            }
            let mut tx = crate::db::write_tx(&self.db).await?;
            let mut entries = Vec::with_capacity(rows.len());
            for row in &rows {
                let id: i64 = row.try_get("id")?;
                let ty: String = row.try_get("resource_type")?;
                let json: String = row.try_get("json")?;
                let profile: Option<String> = row.try_get("profile_id")?;
                let resource_id: String = row.try_get("resource_id")?;
                let source_id: String = row.try_get("source_id")?;
                // Stored JSON was valid when written; a damaged row keeps an empty index.
                let value: Value = serde_json::from_str(&json).unwrap_or(Value::Null);
                let ix = index::extract(&ty, &value);
                entries.push((id, ty, profile, ix, resource_id, source_id));
            }
            for (id, _, _, ix, _, _) in &entries {
                sqlx::query(
                    "UPDATE resources SET sort_date = ?, sort_key = ?, last_updated = COALESCE(?, updated_at),
                     status = ?, display = ?, index_version = ?,
                     profile_id = (SELECT s.profile_id FROM sources s WHERE s.id = resources.source_id)
                     WHERE id = ?",
                )
                .bind(&ix.sort_date)
                .bind(ix.sort_date.clone().unwrap_or_default())
                .bind(&ix.last_updated)
                .bind(&ix.status)
                .bind(&ix.display)
                .bind(index::INDEX_VERSION)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            let rows: Vec<IndexRow> = entries
                .iter()
                .map(|(id, ty, profile, ix, rid, source)| IndexRow {
                    id: *id,
                    resource_type: ty,
                    resource_id: rid,
                    source_id: source,
                    profile: profile.as_deref(),
                    matched: profile.as_deref(),
                    index: ix,
                })
                .collect();
            let hidden = duplicates::dedupe(&mut tx, &rows).await?;
            write_index(&mut tx, &rows, &hidden).await?;
            tx.commit().await?;
            done += entries.len() as u64;
        }
        if done > 0 {
            tracing::info!(resources = done, "re-indexed stored resources");
        }
        Ok(done)
    }

    /// Count stored resources, optionally of one source.
    pub async fn count(&self, source_id: Option<&str>) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM resources WHERE (?1 IS NULL OR source_id = ?1)",
        )
        .bind(source_id)
        .fetch_one(&self.db)
        .await?;
        Ok(n as u64)
    }

    /// List a profile's resources, optionally of one type, newest first, `per_page` at a time.
    pub async fn list(
        &self,
        scope: &ProfileScope,
        resource_type: Option<&str>,
        page: u64,
        per_page: u64,
    ) -> Result<RecordPage, StoreError> {
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM resources r
             WHERE r.profile_id = ?1 AND (?2 IS NULL OR r.resource_type = ?2)",
        )
        .bind(scope.id())
        .bind(resource_type)
        .fetch_one(&self.db)
        .await?;
        // A page past any possible offset is simply empty (not page 1 again).
        let Some(offset) = page
            .checked_sub(1)
            .and_then(|p| p.checked_mul(per_page))
            .and_then(|o| i64::try_from(o).ok())
        else {
            return Ok(RecordPage {
                total: total as u64,
                page,
                per_page,
                records: Vec::new(),
            });
        };
        let rows = sqlx::query(
            "SELECT r.source_id, r.resource_type, r.resource_id, r.sort_date, r.json
             FROM resources r
             WHERE r.profile_id = ?1 AND (?2 IS NULL OR r.resource_type = ?2)
             ORDER BY r.sort_key DESC, r.id DESC LIMIT ?3 OFFSET ?4",
        )
        .bind(scope.id())
        .bind(resource_type)
        .bind(per_page as i64)
        .bind(offset)
        .fetch_all(&self.db)
        .await?;
        let records = rows
            .into_iter()
            .map(|row| stored(&row))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RecordPage {
            total: total as u64,
            page,
            per_page,
            records,
        })
    }

    /// A profile's resource of `resource_type` with `id` (the shown copy
    /// before a hidden duplicate, then the most recently updated), with the
    /// other sources that sent the same fact.
    pub async fn get(
        &self,
        scope: &ProfileScope,
        resource_type: &str,
        id: &str,
    ) -> Result<Option<StoredResource>, StoreError> {
        let row = sqlx::query(
            "SELECT r.id, r.source_id, r.resource_type, r.resource_id, r.sort_date, r.json,
                    COALESCE((SELECT d.canonical FROM duplicates d WHERE d.resource = r.id), r.id) AS shown
             FROM resources r
             WHERE r.resource_type = ?1 AND r.resource_id = ?2 AND (r.profile_id = ?3
                OR EXISTS (SELECT 1 FROM duplicates d WHERE d.resource = r.id AND d.profile_id = ?3))
             ORDER BY r.profile_id IS NULL, r.updated_at DESC, r.id DESC LIMIT 1",
        )
        .bind(resource_type)
        .bind(id)
        .bind(scope.id())
        .fetch_optional(&self.db)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let mut found = stored(&row)?;
        let own: i64 = row.try_get("id")?;
        let shown: i64 = row.try_get("shown")?;
        let mut copies = duplicates::also_from(&self.db, &[shown]).await?;
        let mut also = copies.remove(&shown).unwrap_or_default();
        if shown != own {
            // A hidden duplicate: its provenance is the shown copy and the others.
            let canonical: (String, String) =
                sqlx::query_as("SELECT source_id, resource_id FROM resources WHERE id = ?")
                    .bind(shown)
                    .fetch_one(&self.db)
                    .await?;
            also.retain(|a| a.source_id != found.source_id);
            also.insert(
                0,
                duplicates::AlsoFrom {
                    source_id: canonical.0,
                    id: canonical.1,
                },
            );
        }
        found.also_from = also;
        Ok(Some(found))
    }
}

/// Store a batch inside the caller's transaction (see [`RecordStore::upsert_batch`]).
pub(crate) async fn upsert_in(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    source_id: &str,
    batch: &[Parsed],
) -> Result<BatchOutcome, StoreError> {
    let profile: Option<String> = sqlx::query_scalar("SELECT profile_id FROM sources WHERE id = ?")
        .bind(source_id)
        .fetch_optional(&mut **tx)
        .await?
        .flatten();
    let place = Placement {
        shown: profile.as_deref(),
        matched: profile.as_deref(),
    };
    upsert_placed(tx, source_id, batch, place).await
}

/// Where a batch's rows go: the profile they are shown in (`None`: nowhere)
/// and the profile whose records they are matched against as duplicates.
/// The two differ only for an upload being staged ([`staging`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Placement<'a> {
    /// The `profile_id` written on the resource and its index rows.
    pub shown: Option<&'a str>,
    /// The profile its identity keys are stored and matched in.
    pub matched: Option<&'a str>,
}

/// [`upsert_in`] with the rows placed explicitly.
pub(crate) async fn upsert_placed(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    source_id: &str,
    batch: &[Parsed],
    place: Placement<'_>,
) -> Result<BatchOutcome, StoreError> {
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let profile = place.shown.map(str::to_string);
    let mut outcome = BatchOutcome::default();
    for chunk in batch.chunks(UPSERT_CHUNK) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO resources (source_id, profile_id, resource_type, resource_id, content_hash,
             sort_date, sort_key, last_updated, status, display, index_version, json, updated_at) ",
        );
        insert.push_values(chunk, |mut row, r| {
            let ix = &r.index;
            row.push_bind(source_id.to_string())
                .push_bind(profile.clone())
                .push_bind(r.resource_type.clone())
                .push_bind(r.id.clone())
                .push_bind(r.hash.to_vec())
                .push_bind(ix.sort_date.clone())
                .push_bind(ix.sort_date.clone().unwrap_or_default())
                .push_bind(ix.last_updated.clone().unwrap_or_else(|| now.clone()))
                .push_bind(ix.status.clone())
                .push_bind(ix.display.clone())
                .push_bind(index::INDEX_VERSION)
                // Borrowed, not copied: a large resource is not duplicated for the statement.
                .push_bind(r.json.as_str())
                .push_bind(now.clone());
        });
        insert.push(
            " ON CONFLICT (source_id, resource_type, resource_id) DO UPDATE SET
               content_hash = excluded.content_hash, sort_date = excluded.sort_date,
               sort_key = excluded.sort_key, last_updated = excluded.last_updated,
               status = excluded.status, display = excluded.display,
               index_version = excluded.index_version, profile_id = excluded.profile_id,
               json = excluded.json, version = resources.version + 1, updated_at = excluded.updated_at
             WHERE resources.content_hash <> excluded.content_hash
             RETURNING id, resource_type, resource_id",
        );
        let written = insert.build().fetch_all(&mut **tx).await?;
        // The last copy of a type/id in the chunk is what is stored now.
        let by_key: HashMap<(&str, &str), &Parsed> = chunk
            .iter()
            .map(|r| ((r.resource_type.as_str(), r.id.as_str()), r))
            .collect();
        let mut changed: Vec<IndexRow> = Vec::with_capacity(written.len());
        let mut seen = std::collections::HashSet::new();
        for row in &written {
            let id: i64 = row.try_get(0)?;
            let ty: String = row.try_get(1)?;
            let rid: String = row.try_get(2)?;
            if let Some(r) = by_key.get(&(ty.as_str(), rid.as_str()))
                && seen.insert(id)
            {
                changed.push(IndexRow {
                    id,
                    resource_type: &r.resource_type,
                    resource_id: &r.id,
                    source_id,
                    profile: place.shown,
                    matched: place.matched,
                    index: &r.index,
                });
            }
        }
        outcome.stored += changed.len() as u64;
        outcome.unchanged += (chunk.len() - written.len()) as u64;
        let hidden = duplicates::dedupe(tx, &changed).await?;
        write_index(tx, &changed, &hidden).await?;
    }
    Ok(outcome)
}

/// A stored resource whose index rows are (re)written.
struct IndexRow<'a> {
    id: i64,
    resource_type: &'a str,
    resource_id: &'a str,
    source_id: &'a str,
    /// Where its rows are shown.
    profile: Option<&'a str>,
    /// Where its identity keys are matched.
    matched: Option<&'a str>,
    index: &'a index::Index,
}

/// Replace the token, reference and text rows of `changed` resources;
/// `hidden` duplicates get none (their canonical copy is what is found).
async fn write_index(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    all: &[IndexRow<'_>],
    hidden: &std::collections::HashSet<i64>,
) -> Result<(), StoreError> {
    if all.is_empty() {
        return Ok(());
    }
    for table in [
        "DELETE FROM observation_values WHERE resource IN (",
        "DELETE FROM resource_tokens WHERE resource IN (",
        "DELETE FROM resource_refs WHERE resource IN (",
        "DELETE FROM resource_text WHERE rowid IN (",
    ] {
        let mut delete = QueryBuilder::<Sqlite>::new(table);
        let mut ids = delete.separated(", ");
        for row in all {
            ids.push_bind(row.id);
        }
        delete.push(")");
        delete.build().execute(&mut **tx).await?;
    }
    let changed: Vec<&IndexRow> = all.iter().filter(|r| !hidden.contains(&r.id)).collect();
    let tokens: Vec<(&IndexRow, &index::Token)> = changed
        .iter()
        .copied()
        .flat_map(|r| r.index.tokens.iter().map(move |t| (r, t)))
        .collect();
    for rows in tokens.chunks(UPSERT_CHUNK) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT OR IGNORE INTO resource_tokens (resource, param, system, code, profile_id, resource_type, sort_key) ",
        );
        insert.push_values(rows, |mut row, (r, t)| {
            row.push_bind(r.id)
                .push_bind(t.param)
                .push_bind(t.system.clone())
                .push_bind(t.code.clone())
                .push_bind(r.profile.map(str::to_string))
                .push_bind(r.resource_type.to_string())
                .push_bind(r.index.sort_date.clone().unwrap_or_default());
        });
        insert.build().execute(&mut **tx).await?;
    }
    let values: Vec<(&IndexRow, &index::ObsValue)> = changed
        .iter()
        .copied()
        .flat_map(|r| r.index.values.iter().map(move |v| (r, v)))
        .collect();
    for rows in values.chunks(UPSERT_CHUNK / 2) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT OR IGNORE INTO observation_values (resource, system, code, profile_id, sort_key,
             source_id, resource_id, name, value, unit, ucum, low, high, interpretation,
             value_text, low_text, high_text) ",
        );
        insert.push_values(rows, |mut row, (r, v)| {
            row.push_bind(r.id)
                .push_bind(v.system.clone())
                .push_bind(v.code.clone())
                .push_bind(r.profile.map(str::to_string))
                .push_bind(r.index.sort_date.clone().unwrap_or_default())
                .push_bind(r.source_id.to_string())
                .push_bind(r.resource_id.to_string())
                .push_bind(v.name.clone())
                .push_bind(v.value.value)
                .push_bind(v.unit.clone())
                .push_bind(v.ucum.clone())
                .push_bind(v.low.as_ref().map(|d| d.value))
                .push_bind(v.high.as_ref().map(|d| d.value))
                .push_bind(v.interpretation.clone())
                .push_bind(v.value.text.clone())
                .push_bind(v.low.as_ref().map(|d| d.text.clone()))
                .push_bind(v.high.as_ref().map(|d| d.text.clone()));
        });
        insert.build().execute(&mut **tx).await?;
    }
    let refs: Vec<(i64, &(String, String))> = changed
        .iter()
        .flat_map(|r| r.index.refs.iter().map(move |x| (r.id, x)))
        .collect();
    for rows in refs.chunks(UPSERT_CHUNK) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT OR IGNORE INTO resource_refs (resource, target_type, target_id) ",
        );
        insert.push_values(rows, |mut row, (id, (ty, target))| {
            row.push_bind(*id)
                .push_bind(ty.clone())
                .push_bind(target.clone());
        });
        insert.build().execute(&mut **tx).await?;
    }
    let texts: Vec<(i64, &String)> = changed
        .iter()
        .filter_map(|r| r.index.display.as_ref().map(|d| (r.id, d)))
        .collect();
    for rows in texts.chunks(UPSERT_CHUNK) {
        let mut insert = QueryBuilder::<Sqlite>::new("INSERT INTO resource_text (rowid, display) ");
        insert.push_values(rows, |mut row, (id, text)| {
            row.push_bind(*id).push_bind((*text).clone());
        });
        insert.build().execute(&mut **tx).await?;
    }
    Ok(())
}

fn stored(row: &sqlx::sqlite::SqliteRow) -> Result<StoredResource, StoreError> {
    let json: String = row.try_get("json")?;
    // Stored JSON was validated on the way in; a failure here means the file was damaged.
    let resource = serde_json::value::RawValue::from_string(json)
        .map_err(|e| StoreError::Db(sqlx::Error::Decode(Box::new(e))))?;
    Ok(StoredResource {
        source_id: row.try_get("source_id")?,
        resource_type: row.try_get("resource_type")?,
        id: row.try_get("resource_id")?,
        sort_date: row.try_get("sort_date")?,
        resource,
        also_from: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unchanged_resource_is_not_written_again() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::open_with_test_source(dir.path()).await;
        let store = RecordStore::new(db);
        let batch = vec![
            parse(r#"{"resourceType":"Patient","id":"p1","name":[{"family":"Ng"}]}"#).unwrap(),
            parse(
                r#"{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"}}"#,
            )
            .unwrap(),
        ];
        let first = store.upsert_batch("s", &batch).await.unwrap();
        assert_eq!((first.stored, first.unchanged), (2, 0));
        let again = store.upsert_batch("s", &batch).await.unwrap();
        assert_eq!((again.stored, again.unchanged), (0, 2));
        let changed = vec![
            parse(r#"{"resourceType":"Observation","id":"o1","status":"amended","code":{"text":"x"}}"#).unwrap(),
        ];
        let third = store.upsert_batch("s", &changed).await.unwrap();
        assert_eq!((third.stored, third.unchanged), (1, 0));
    }

    #[test]
    fn parse_validates_shape() {
        assert!(matches!(parse("{"), Err(InvalidResource::Json(_))));
        assert_eq!(parse("[]").unwrap_err(), InvalidResource::NotObject);
        assert_eq!(
            parse(r#"{"id":"1"}"#).unwrap_err(),
            InvalidResource::ResourceType
        );
        assert_eq!(
            parse(r#"{"resourceType":"patient","id":"1"}"#).unwrap_err(),
            InvalidResource::ResourceType
        );
        assert_eq!(
            parse(r#"{"resourceType":"Patient"}"#).unwrap_err(),
            InvalidResource::Id
        );
        assert_eq!(
            parse(r#"{"resourceType":"Patient","id":"a/b"}"#).unwrap_err(),
            InvalidResource::Id
        );
        let long = format!(r#"{{"resourceType":"Patient","id":"{}"}}"#, "a".repeat(65));
        assert_eq!(parse(&long).unwrap_err(), InvalidResource::Id);
    }

    fn codes(p: &Parsed) -> Vec<(String, String)> {
        p.index
            .tokens
            .iter()
            .filter(|t| t.param == "code")
            .map(|t| (t.system.clone(), t.code.clone()))
            .collect()
    }

    #[test]
    fn index_extracts_dates_and_codes() {
        let obs = parse(
            r#"{"resourceType":"Observation","id":"o1","effectivePeriod":{"start":"2020-01-02"},
                "issued":"2020-01-03T00:00:00Z",
                "code":{"coding":[{"system":"http://loinc.org","code":"2345-7"},{"code":"local"}]}}"#,
        )
        .unwrap();
        assert_eq!(obs.index.sort_date.as_deref(), Some("2020-01-02"));
        assert_eq!(
            codes(&obs),
            vec![
                ("http://loinc.org".to_string(), "2345-7".to_string()),
                (String::new(), "local".to_string())
            ]
        );
        let enc = parse(
            r#"{"resourceType":"Encounter","id":"e","period":{"start":"2019-05-01T10:00:00Z"},
                "type":[{"coding":[{"system":"http://snomed.info/sct","code":"185349003"}]}]}"#,
        )
        .unwrap();
        assert_eq!(
            enc.index.sort_date.as_deref(),
            Some("2019-05-01T10:00:00.000Z")
        );
        assert_eq!(codes(&enc).len(), 1);
        let unknown =
            parse(r#"{"resourceType":"Basic","id":"b","meta":{"lastUpdated":"2021-01-01"}}"#)
                .unwrap();
        assert_eq!(unknown.index.sort_date.as_deref(), Some("2021-01-01"));
        assert!(codes(&unknown).is_empty());
    }

    #[test]
    fn sort_dates_are_normalized_to_utc() {
        let date = |d: &str| {
            parse(&format!(
                r#"{{"resourceType":"Observation","id":"o","effectiveDateTime":"{d}"}}"#
            ))
            .unwrap()
            .index
            .sort_date
            .unwrap()
        };
        assert_eq!(
            date("2025-12-18T09:50:00-06:00"),
            "2025-12-18T15:50:00.000Z"
        );
        assert_eq!(
            date("2025-12-18T09:50:00.250+01:00"),
            "2025-12-18T08:50:00.250Z"
        );
        // Fixed-width fractions: a later instant is always a later string.
        assert!(date("2025-12-18T08:50:00.250Z") > date("2025-12-18T08:50:00Z"));
        assert_eq!(date("2025-12"), "2025-12");
        // Later in time sorts later in text, whatever the original offsets.
        assert!(date("2025-12-18T09:50:00-06:00") > date("2025-12-18T14:00:00+00:00"));
    }

    #[test]
    fn hash_ignores_formatting_but_not_content() {
        let a = parse(r#"{"resourceType":"Patient","id":"1","gender":"female"}"#).unwrap();
        let b = parse("{ \"id\": \"1\",\n \"resourceType\": \"Patient\", \"gender\": \"female\" }")
            .unwrap();
        let c = parse(r#"{"resourceType":"Patient","id":"1","gender":"male"}"#).unwrap();
        assert_eq!(a.hash, b.hash);
        assert_ne!(a.hash, c.hash);
    }

    impl RecordStore {
        /// The (system, code) index of one stored resource.
        pub async fn codes_of(
            &self,
            source_id: &str,
            resource_type: &str,
            id: &str,
        ) -> Result<Vec<(String, String)>, StoreError> {
            let rows = sqlx::query(
            "SELECT c.system, c.code FROM resource_tokens c JOIN resources r ON r.id = c.resource
             WHERE c.param = 'code' AND r.source_id = ? AND r.resource_type = ? AND r.resource_id = ? ORDER BY c.system, c.code",
        )
        .bind(source_id)
        .bind(resource_type)
        .bind(id)
        .fetch_all(&self.db)
        .await?;
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<_, sqlx::Error>>()
                .map_err(StoreError::from)
        }
    }

    #[tokio::test]
    async fn stale_indexes_are_rebuilt_and_deletes_leave_no_index_rows() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::open_with_test_source(dir.path()).await;
        let store = RecordStore::new(db.clone());
        let glucose = parse(r#"{"resourceType":"Observation","id":"g","status":"final","effectiveDateTime":"2020-01-01",
            "code":{"text":"Glucose","coding":[{"system":"http://loinc.org","code":"2345-7"}]},"subject":{"reference":"Patient/p"}}"#).unwrap();
        store.upsert_batch("s", &[glucose]).await.unwrap();
        let count = |sql: &'static str| {
            let db = db.clone();
            async move {
                sqlx::query_scalar::<_, i64>(sql)
                    .fetch_one(&db)
                    .await
                    .unwrap()
            }
        };
        // Simulate a row from an older extraction: index gone, version 0.
        sqlx::query("UPDATE resources SET index_version = 0, status = NULL, display = NULL, sort_key = '', profile_id = NULL;
                     DELETE FROM resource_tokens; DELETE FROM resource_refs; DELETE FROM resource_text;")
            .execute(&db)
            .await
            .unwrap();
        assert_eq!(store.reindex_stale().await.unwrap(), 1);
        assert_eq!(
            store.reindex_stale().await.unwrap(),
            0,
            "nothing left to do"
        );
        let row: (String, String, String, String) = sqlx::query_as(
            "SELECT status, display, sort_key, profile_id FROM resources WHERE resource_id = 'g'",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        assert_eq!(
            row,
            (
                "final".into(),
                "Glucose".into(),
                "2020-01-01".into(),
                "p".into()
            )
        );
        assert_eq!(count("SELECT COUNT(*) FROM resource_tokens").await, 1);
        assert_eq!(count("SELECT COUNT(*) FROM resource_refs").await, 1);
        assert_eq!(
            count("SELECT COUNT(*) FROM resource_text WHERE resource_text MATCH 'glucose'").await,
            1
        );
        // Deleting the source removes the resources and every index row.
        sqlx::query("DELETE FROM sources")
            .execute(&db)
            .await
            .unwrap();
        for table in [
            "SELECT COUNT(*) FROM resources",
            "SELECT COUNT(*) FROM resource_tokens",
            "SELECT COUNT(*) FROM resource_refs",
            "SELECT COUNT(*) FROM resource_text",
        ] {
            assert_eq!(count(table).await, 0, "{table}");
        }
    }

    #[tokio::test]
    async fn upsert_is_idempotent_and_atomic() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::open_with_test_source(dir.path()).await;
        let store = RecordStore::new(db.clone());
        let batch: Vec<Parsed> = (0..3)
            .map(|i| parse(&format!(r#"{{"resourceType":"Observation","id":"o{i}","code":{{"coding":[{{"system":"s","code":"c{i}"}}]}}}}"#)).unwrap())
            .collect();
        assert_eq!(
            store.upsert_batch("s", &batch).await.unwrap(),
            BatchOutcome {
                stored: 3,
                unchanged: 0
            }
        );
        assert_eq!(
            store.upsert_batch("s", &batch).await.unwrap(),
            BatchOutcome {
                stored: 0,
                unchanged: 3
            }
        );
        let changed = parse(r#"{"resourceType":"Observation","id":"o1","code":{"coding":[{"system":"s","code":"new"}]}}"#).unwrap();
        assert_eq!(
            store.upsert_batch("s", &[changed]).await.unwrap(),
            BatchOutcome {
                stored: 1,
                unchanged: 0
            }
        );
        assert_eq!(
            store.codes_of("s", "Observation", "o1").await.unwrap(),
            vec![("s".into(), "new".into())]
        );
        assert_eq!(store.count(Some("s")).await.unwrap(), 3);

        // A batch that fails part-way leaves nothing of itself behind.
        sqlx::query("CREATE TRIGGER boom BEFORE INSERT ON resources WHEN NEW.resource_id = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END")
            .execute(&db)
            .await
            .unwrap();
        let half = [
            parse(r#"{"resourceType":"Patient","id":"fine"}"#).unwrap(),
            parse(r#"{"resourceType":"Patient","id":"boom"}"#).unwrap(),
        ];
        assert!(store.upsert_batch("s", &half).await.is_err());
        assert!(
            store
                .get(&ProfileScope::for_tests("p"), "Patient", "fine")
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(store.count(None).await.unwrap(), 3);
    }
}
