//! Where a record came from: each source that sent it, and when it was stored.

use super::{RecordStore, StoreError};
use crate::auth::ProfileScope;
use serde::Serialize;
use sqlx::Row;

/// Where a source came from (the values of `Source.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, sqlx::Type, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[sqlx(rename_all = "lowercase")]
pub enum SourceKind {
    /// Synced from a provider by a connector.
    Provider,
    /// An upload.
    Import,
    /// Typed in by hand.
    Manual,
}

impl SourceKind {
    /// Whether a connector syncs it (uploads and typed-in records are not synced).
    pub fn is_syncable(self) -> bool {
        self == SourceKind::Provider
    }
}

/// One source's copy of a record.
#[derive(Debug, Serialize, PartialEq, utoipa::ToSchema)]
#[schema(as = RecordCopy)]
pub struct Copy {
    /// The source.
    pub source_id: String,
    /// Its name.
    pub source_name: String,
    /// Where the source came from.
    pub source_kind: SourceKind,
    /// The id that source gave the record.
    pub id: String,
    /// When this copy was stored, or last changed by a sync.
    pub stored_at: String,
    /// 1 for a copy never changed since it arrived.
    pub version: i64,
}

/// A record's provenance.
#[derive(Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Provenance {
    /// The copy shown first, then the other sources that sent the same fact.
    pub copies: Vec<Copy>,
}

impl RecordStore {
    /// Where the record `resource_type/id` came from; `None` when the profile has no such record.
    pub async fn provenance(
        &self,
        scope: &ProfileScope,
        resource_type: &str,
        id: &str,
    ) -> Result<Option<Provenance>, StoreError> {
        let Some(found) = self.get(scope, resource_type, id).await? else {
            return Ok(None);
        };
        let wanted = std::iter::once((found.source_id.clone(), found.id.clone()))
            .chain(found.also_from.into_iter().map(|a| (a.source_id, a.id)));
        let mut copies = Vec::new();
        for (source_id, resource_id) in wanted {
            let row = sqlx::query(
                "SELECT s.name, s.kind, r.updated_at, r.version FROM resources r
                 JOIN sources s ON s.id = r.source_id
                 WHERE r.source_id = ? AND r.resource_type = ? AND r.resource_id = ?",
            )
            .bind(&source_id)
            .bind(resource_type)
            .bind(&resource_id)
            .fetch_optional(&self.db)
            .await?;
            // A copy deleted between the two reads is simply not listed.
            if let Some(row) = row {
                copies.push(Copy {
                    source_id,
                    source_name: row.try_get("name")?,
                    source_kind: row.try_get("kind")?,
                    id: resource_id,
                    stored_at: row.try_get("updated_at")?,
                    version: row.try_get("version")?,
                });
            }
        }
        Ok(Some(Provenance { copies }))
    }
}
