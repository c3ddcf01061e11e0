//! What people take out of a profile, kept for a while so it can be undone.
//!
//! Families make mistakes: the wrong upload removed, a person deleted by the
//! one who meant to rename them. So nothing a person removes is deleted at
//! once. A removal takes its rows out of the profile (their `profile_id`
//! is cleared and their index rows dropped, so every profile query, export
//! and chart skips them without a join) and remembers in `removals` what an
//! undo needs. A hidden record stays hidden until it is shown again; the
//! rest is deleted for good by [`Removals::purge_due`] after
//! `keep_removed_days`.
//!
//! - a hidden record and a deleted typed-in record: its rows get a `withheld`
//!   row, which the record store honours on every re-index and re-sync;
//! - a removed source: the source's `profile_id` is cleared and its status is
//!   `removed`, so it is neither listed, synced nor re-indexed;
//! - a deleted person: the profile's grants move into the removal, so nobody
//!   can open it; its sources stop being scheduled.

use crate::auth::ProfileScope;
use crate::files::Files;
use crate::records::RecordStore;
use crate::records::manual::{ManualError, typed_in_parts};
use serde::{Deserialize, Serialize};
use sqlx::{QueryBuilder, Row, Sqlite};

/// What was taken out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RemovalKind {
    /// A record hidden from the profile (with the copies other sources sent); kept until shown again.
    HiddenRecord,
    /// A typed-in record deleted.
    DeletedRecord,
    /// A typed-in record changed: undo puts back what it said before.
    EditedRecord,
    /// A source removed with every record it brought.
    RemovedSource,
    /// A person (profile) deleted with everything in it.
    DeletedPerson,
}

impl RemovalKind {
    fn as_str(self) -> &'static str {
        match self {
            RemovalKind::HiddenRecord => "hidden-record",
            RemovalKind::DeletedRecord => "deleted-record",
            RemovalKind::EditedRecord => "edited-record",
            RemovalKind::RemovedSource => "removed-source",
            RemovalKind::DeletedPerson => "deleted-person",
        }
    }

    fn parse(s: &str) -> Result<RemovalKind, RemovalError> {
        Ok(match s {
            "hidden-record" => RemovalKind::HiddenRecord,
            "deleted-record" => RemovalKind::DeletedRecord,
            "edited-record" => RemovalKind::EditedRecord,
            "removed-source" => RemovalKind::RemovedSource,
            "deleted-person" => RemovalKind::DeletedPerson,
            other => return Err(RemovalError::Damaged(format!("unknown kind {other:?}"))),
        })
    }
}

/// One removal that can still be undone.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Removal {
    /// Its id (for undo).
    pub id: String,
    /// The profile it was taken from.
    pub profile_id: String,
    /// What was taken out.
    pub kind: RemovalKind,
    /// What it was: a record's `Type/id`, a source's id or the profile's id.
    pub target: String,
    /// What it was, in words: a record's title, a source's or a person's name.
    pub label: String,
    /// How many records went with it.
    pub records: u64,
    /// Who took it out (their display name), when that account still exists.
    #[schema(required)]
    pub removed_by: Option<String>,
    /// When.
    pub removed_at: String,
    /// When it is deleted for good; none for a hidden record, kept until shown again.
    #[schema(required)]
    pub purge_after: Option<String>,
}

/// Why a removal or an undo did not happen.
#[derive(Debug, thiserror::Error)]
pub enum RemovalError {
    /// No such record, source or removal here.
    #[error("{0}")]
    NotFound(String),
    /// A sync is writing what would be removed.
    #[error("{0} is being synced right now; cancel the sync or wait for it to finish")]
    SyncRunning(String),
    /// The undo would clash with what was added since.
    #[error("{0}")]
    Conflict(String),
    /// Only the owners of a person can bring them back.
    #[error("only an owner of {0} can bring them back")]
    NotOwner(String),
    /// A typed-in record could not be taken out.
    #[error(transparent)]
    Manual(#[from] ManualError),
    /// A stored removal could not be read.
    #[error("a stored removal is damaged: {0}")]
    Damaged(String),
    /// The database failed; nothing changed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// Re-indexing after an undo failed (the undo itself is stored; a restart finishes it).
    #[error(transparent)]
    Store(#[from] crate::records::StoreError),
}

/// What an undo of a removed source or a deleted person puts back.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Detail {
    /// A removed source's status before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<String>,
    /// Sources' next scheduled syncs before, by source id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    schedule: Vec<(String, String)>,
    /// An edited record's text before the edit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    previous: Option<String>,
    /// A deleted person's grants: user id and role.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    grants: Vec<(String, String)>,
}

/// Which resource rows a step applies to.
enum Rows<'a> {
    /// These row ids.
    Ids(&'a [i64]),
    /// Every row of a source.
    Source(&'a str),
}

impl Rows<'_> {
    /// Append the rows that fill an `IN (` clause, and close it.
    fn push(&self, q: &mut QueryBuilder<Sqlite>) {
        match self {
            Rows::Ids(ids) => {
                let mut list = q.separated(", ");
                for id in *ids {
                    list.push_bind(*id);
                }
                q.push(")");
            }
            Rows::Source(source) => {
                q.push("SELECT id FROM resources WHERE source_id = ");
                q.push_bind(source.to_string());
                q.push(")");
            }
        }
    }
}

/// The removals service.
#[derive(Clone)]
pub struct Removals {
    records: RecordStore,
    keep: chrono::Duration,
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Removals {
    /// Removals over `records`' database, deleted for good after `keep`.
    pub fn new(records: RecordStore, keep: std::time::Duration) -> Removals {
        Removals {
            records,
            keep: chrono::Duration::from_std(keep).unwrap_or(chrono::Duration::days(30)),
        }
    }

    fn db(&self) -> &crate::db::Db {
        self.records.db()
    }

    /// Hide a shown record of the profile, with the copies other sources
    /// sent of it, until someone shows it again.
    pub async fn hide_record(
        &self,
        scope: &ProfileScope,
        resource_type: &str,
        id: &str,
    ) -> Result<Removal, RemovalError> {
        let mut tx = crate::db::write_tx(self.db()).await?;
        let shown = sqlx::query(
            "SELECT id, display FROM resources WHERE profile_id = ? AND resource_type = ? AND resource_id = ?
             ORDER BY updated_at DESC, id DESC LIMIT 1",
        )
        .bind(scope.id())
        .bind(resource_type)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| RemovalError::NotFound(format!("no {resource_type}/{id} is shown here")))?;
        let row: i64 = shown.try_get("id")?;
        let label: Option<String> = shown.try_get("display")?;
        let mut rows: Vec<i64> =
            sqlx::query_scalar("SELECT resource FROM duplicates WHERE canonical = ?")
                .bind(row)
                .fetch_all(&mut *tx)
                .await?;
        rows.insert(0, row);
        let removal = self
            .insert(
                &mut tx,
                scope,
                RemovalKind::HiddenRecord,
                &format!("{resource_type}/{id}"),
                label.as_deref().unwrap_or(resource_type),
                1,
                &Detail::default(),
            )
            .await?;
        withhold(&mut tx, &rows, &removal.id).await?;
        tx.commit().await?;
        tracing::info!(profile = %scope.id(), resource_type, id, copies = rows.len(), "record hidden");
        Ok(removal)
    }

    /// Delete a typed-in record (and a document's file record), undoable
    /// until it is purged.
    pub async fn delete_typed_in(
        &self,
        scope: &ProfileScope,
        resource_type: &str,
        id: &str,
    ) -> Result<Removal, RemovalError> {
        let mut tx = crate::db::write_tx(self.db()).await?;
        let parts = typed_in_parts(&mut tx, scope, resource_type, id).await?;
        let removal = self
            .insert(
                &mut tx,
                scope,
                RemovalKind::DeletedRecord,
                &format!("{resource_type}/{id}"),
                parts.label.as_deref().unwrap_or(resource_type),
                1,
                &Detail::default(),
            )
            .await?;
        // Copies other sources sent are shown again in its place.
        free_copies(&mut tx, &Rows::Ids(&parts.rows)).await?;
        withhold(&mut tx, &parts.rows, &removal.id).await?;
        tx.commit().await?;
        self.records.reindex_stale().await?;
        tracing::info!(profile = %scope.id(), resource_type, id, "typed-in record deleted (undoable)");
        Ok(removal)
    }

    /// Replace a typed-in record, keeping what it said before so the edit
    /// can be undone while it is kept.
    pub async fn edit_typed_in(
        &self,
        scope: &ProfileScope,
        resource_type: &str,
        id: &str,
        value: serde_json::Value,
    ) -> Result<(serde_json::Value, Removal), RemovalError> {
        let mut tx = crate::db::write_tx(self.db()).await?;
        let edited =
            crate::records::manual::update_in(&mut tx, scope, resource_type, id, value).await?;
        let detail = Detail {
            previous: Some(edited.previous),
            ..Detail::default()
        };
        let removal = self
            .insert(
                &mut tx,
                scope,
                RemovalKind::EditedRecord,
                &format!("{resource_type}/{id}"),
                edited.label.as_deref().unwrap_or(resource_type),
                1,
                &detail,
            )
            .await?;
        tx.commit().await?;
        tracing::info!(profile = %scope.id(), resource_type, id, "record edited by hand");
        Ok((edited.value, removal))
    }

    /// Take a source out of the profile with every record it brought; it is
    /// no longer listed or synced. A source being synced is left alone.
    pub async fn remove_source(
        &self,
        scope: &ProfileScope,
        id: &str,
    ) -> Result<Removal, RemovalError> {
        let mut tx = crate::db::write_tx(self.db()).await?;
        let row = sqlx::query("SELECT name, status FROM sources WHERE id = ? AND profile_id = ?")
            .bind(id)
            .bind(scope.id())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| RemovalError::NotFound(format!("no source {id:?} here")))?;
        let name: String = row.try_get("name")?;
        let status: String = row.try_get("status")?;
        if running(&mut tx, Owner::Source(id)).await? {
            return Err(RemovalError::SyncRunning(format!("source {name:?}")));
        }
        let records: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM resources WHERE source_id = ?")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let schedule = schedule_of(&mut tx, Owner::Source(id)).await?;
        let detail = Detail {
            status: Some(status),
            schedule,
            ..Detail::default()
        };
        let removal = self
            .insert(
                &mut tx,
                scope,
                RemovalKind::RemovedSource,
                id,
                &name,
                records as u64,
                &detail,
            )
            .await?;
        cancel_queued(&mut tx, Owner::Source(id)).await?;
        sqlx::query(
            "UPDATE sources SET profile_id = NULL, status = 'removed', next_sync_at = NULL WHERE id = ?",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let rows = Rows::Source(id);
        free_copies(&mut tx, &rows).await?;
        take_out(&mut tx, &rows).await?;
        tx.commit().await?;
        // Copies another source sent, hidden behind the removed ones, are shown again.
        self.records.reindex_stale().await?;
        tracing::info!(source = %id, profile = %scope.id(), records, "source removed (undoable)");
        Ok(removal)
    }

    /// Delete a person: nobody can open the profile any more and its sources
    /// stop syncing; its owners can bring it back until it is purged.
    pub async fn remove_person(
        &self,
        scope: &ProfileScope,
        name: &str,
    ) -> Result<Removal, RemovalError> {
        let mut tx = crate::db::write_tx(self.db()).await?;
        if running(&mut tx, Owner::Profile(scope.id())).await? {
            return Err(RemovalError::SyncRunning(format!("a source of {name}")));
        }
        let grants: Vec<(String, String)> =
            sqlx::query_as("SELECT user_id, role FROM grants WHERE profile_id = ?")
                .bind(scope.id())
                .fetch_all(&mut *tx)
                .await?;
        let records: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM resources WHERE profile_id = ?")
                .bind(scope.id())
                .fetch_one(&mut *tx)
                .await?;
        let detail = Detail {
            schedule: schedule_of(&mut tx, Owner::Profile(scope.id())).await?,
            grants,
            ..Detail::default()
        };
        let removal = self
            .insert(
                &mut tx,
                scope,
                RemovalKind::DeletedPerson,
                scope.id(),
                name,
                records as u64,
                &detail,
            )
            .await?;
        cancel_queued(&mut tx, Owner::Profile(scope.id())).await?;
        for sql in [
            "UPDATE sources SET next_sync_at = NULL WHERE profile_id = ?",
            // An open invitation would give someone a grant to a deleted person.
            "DELETE FROM invitations WHERE profile_id = ? AND used_at IS NULL",
            "DELETE FROM grants WHERE profile_id = ?",
        ] {
            sqlx::query(sql).bind(scope.id()).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        tracing::info!(profile = %scope.id(), records, "person deleted (undoable)");
        Ok(removal)
    }

    /// A profile's removals that can be undone (hidden records first among equals: newest first).
    pub async fn list(&self, scope: &ProfileScope) -> Result<Vec<Removal>, RemovalError> {
        let rows = sqlx::query(
            "SELECT m.*, u.display_name AS by_name FROM removals m LEFT JOIN users u ON u.id = m.removed_by
             WHERE m.profile_id = ? AND m.kind <> 'deleted-person' ORDER BY m.removed_at DESC, m.id",
        )
        .bind(scope.id())
        .fetch_all(self.db())
        .await?;
        rows.iter().map(removal_from_row).collect()
    }

    /// The deleted people `user` owned, which they can bring back.
    pub async fn people(&self, user: &str) -> Result<Vec<Removal>, RemovalError> {
        let rows = sqlx::query(
            "SELECT m.*, u.display_name AS by_name FROM removals m LEFT JOIN users u ON u.id = m.removed_by
             WHERE m.kind = 'deleted-person' ORDER BY m.removed_at DESC, m.id",
        )
        .fetch_all(self.db())
        .await?;
        let mut out = Vec::new();
        for row in &rows {
            if owned_by(row, user)? {
                out.push(removal_from_row(row)?);
            }
        }
        Ok(out)
    }

    /// Undo a removal of the profile's (a record or a source).
    pub async fn undo(&self, scope: &ProfileScope, id: &str) -> Result<Removal, RemovalError> {
        let mut tx = crate::db::write_tx(self.db()).await?;
        let row = sqlx::query(
            "SELECT m.*, u.display_name AS by_name FROM removals m LEFT JOIN users u ON u.id = m.removed_by
             WHERE m.id = ? AND m.profile_id = ? AND m.kind <> 'deleted-person'",
        )
        .bind(id)
        .bind(scope.id())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| RemovalError::NotFound(format!("no removal {id:?} to undo here")))?;
        let removal = removal_from_row(&row)?;
        let detail = detail_of(&row)?;
        match removal.kind {
            RemovalKind::HiddenRecord | RemovalKind::DeletedRecord => {
                sqlx::query(
                    "UPDATE resources SET index_version = 0
                     WHERE id IN (SELECT resource FROM withheld WHERE removal = ?)",
                )
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            RemovalKind::EditedRecord => {
                let (ty, rid) = removal
                    .target
                    .split_once('/')
                    .ok_or_else(|| RemovalError::Damaged(removal.target.clone()))?;
                let previous = detail
                    .previous
                    .as_deref()
                    .ok_or_else(|| RemovalError::Damaged("no earlier version kept".into()))?;
                crate::records::manual::restore_in(&mut tx, scope, ty, rid, previous).await?;
            }
            RemovalKind::RemovedSource => {
                let source = &removal.target;
                let kind: Option<String> =
                    sqlx::query_scalar("SELECT kind FROM sources WHERE id = ?")
                        .bind(source)
                        .fetch_optional(&mut *tx)
                        .await?;
                if kind.as_deref() == Some("manual") {
                    let again: Option<String> = sqlx::query_scalar(
                        "SELECT id FROM sources WHERE profile_id = ? AND kind = 'manual'",
                    )
                    .bind(scope.id())
                    .fetch_optional(&mut *tx)
                    .await?;
                    if again.is_some() {
                        return Err(RemovalError::Conflict(
                            "records were typed in since these were removed; remove those first to bring these back".into(),
                        ));
                    }
                }
                sqlx::query("UPDATE sources SET profile_id = ?, status = ? WHERE id = ?")
                    .bind(scope.id())
                    .bind(detail.status.as_deref().unwrap_or("new"))
                    .bind(source)
                    .execute(&mut *tx)
                    .await?;
                restore_schedule(&mut tx, &detail).await?;
                sqlx::query("UPDATE resources SET index_version = 0 WHERE source_id = ?")
                    .bind(source)
                    .execute(&mut *tx)
                    .await?;
            }
            RemovalKind::DeletedPerson => {
                return Err(RemovalError::NotFound(format!(
                    "no removal {id:?} to undo here"
                )));
            }
        }
        sqlx::query("DELETE FROM removals WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.records.reindex_stale().await?;
        tracing::info!(profile = %scope.id(), removal = %id, kind = removal.kind.as_str(), "removal undone");
        Ok(removal)
    }

    /// Bring a deleted person back, with everyone's access as it was (`user`
    /// must have been an owner).
    pub async fn undo_person(&self, user: &str, id: &str) -> Result<Removal, RemovalError> {
        let mut tx = crate::db::write_tx(self.db()).await?;
        let row = sqlx::query(
            "SELECT m.*, u.display_name AS by_name FROM removals m LEFT JOIN users u ON u.id = m.removed_by
             WHERE m.id = ? AND m.kind = 'deleted-person'",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| RemovalError::NotFound(format!("no deleted person {id:?}")))?;
        let removal = removal_from_row(&row)?;
        if !owned_by(&row, user)? {
            // Someone who never owned them learns nothing about them.
            let was_there = detail_of(&row)?.grants.iter().any(|(u, _)| u == user);
            return Err(if was_there {
                RemovalError::NotOwner(removal.label)
            } else {
                RemovalError::NotFound(format!("no deleted person {id:?}"))
            });
        }
        let detail = detail_of(&row)?;
        let at = stamp(now());
        for (grantee, role) in &detail.grants {
            // An account deleted since gets nothing back.
            sqlx::query(
                "INSERT OR IGNORE INTO grants (profile_id, user_id, role, created_at)
                 SELECT ?, id, ?, ? FROM users WHERE id = ?",
            )
            .bind(&removal.profile_id)
            .bind(role)
            .bind(&at)
            .bind(grantee)
            .execute(&mut *tx)
            .await?;
        }
        restore_schedule(&mut tx, &detail).await?;
        sqlx::query("DELETE FROM removals WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(profile = %removal.profile_id, removal = %id, "deleted person brought back");
        Ok(removal)
    }

    /// Delete for good what was removed and kept past its time
    /// (`purge_after <= at`); returns how many removals went.
    pub async fn purge_due(
        &self,
        files: &Files,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, RemovalError> {
        let due: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT id, kind, target FROM removals WHERE purge_after IS NOT NULL AND purge_after <= ?
             ORDER BY purge_after",
        )
        .bind(stamp(at))
        .fetch_all(self.db())
        .await?;
        let mut shas = Vec::new();
        for (id, kind, target) in &due {
            // (what holds its files, what to delete, keyed by the removal or its target)
            let (files_sql, doomed_sql, key) = match RemovalKind::parse(kind)? {
                RemovalKind::HiddenRecord => continue,
                // Only the earlier version, kept in the removal itself, goes.
                RemovalKind::EditedRecord => (None, None, id),
                RemovalKind::DeletedRecord => (
                    Some(
                        "SELECT DISTINCT sha256 FROM attachments
                         WHERE resource IN (SELECT resource FROM withheld WHERE removal = ?)",
                    ),
                    Some(
                        "DELETE FROM resources WHERE id IN (SELECT resource FROM withheld WHERE removal = ?)",
                    ),
                    id,
                ),
                RemovalKind::RemovedSource => (
                    Some(
                        "SELECT DISTINCT sha256 FROM attachments
                         WHERE resource IN (SELECT id FROM resources WHERE source_id = ?)",
                    ),
                    Some("DELETE FROM sources WHERE id = ? AND status = 'removed'"),
                    target,
                ),
                RemovalKind::DeletedPerson => (
                    Some("SELECT DISTINCT sha256 FROM attachments WHERE profile_id = ?"),
                    Some("DELETE FROM profiles WHERE id = ?"),
                    target,
                ),
            };
            let mut tx = crate::db::write_tx(self.db()).await?;
            // Files are removed only after the rows are gone, and only when no record uses them.
            if let Some(sql) = files_sql {
                let files_of: Vec<String> = sqlx::query_scalar(sql)
                    .bind(key)
                    .fetch_all(&mut *tx)
                    .await?;
                shas.extend(files_of);
            }
            // Records, their index rows, jobs and grants go with their owner (ON DELETE CASCADE).
            if let Some(sql) = doomed_sql {
                sqlx::query(sql).bind(key).execute(&mut *tx).await?;
            }
            sqlx::query("DELETE FROM removals WHERE id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            tracing::info!(removal = %id, kind, "removal deleted for good");
        }
        // Removed sources whose removal went with a purged person, and
        // hidden records whose rows went with a purged source.
        sqlx::query(
            "DELETE FROM sources WHERE status = 'removed'
               AND id NOT IN (SELECT target FROM removals WHERE kind = 'removed-source')",
        )
        .execute(self.db())
        .await?;
        sqlx::query(
            "DELETE FROM removals WHERE kind IN ('hidden-record', 'deleted-record')
               AND NOT EXISTS (SELECT 1 FROM withheld w WHERE w.removal = removals.id)",
        )
        .execute(self.db())
        .await?;
        for sha in shas {
            let used: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM attachments WHERE sha256 = ?")
                .bind(&sha)
                .fetch_one(self.db())
                .await?;
            if used == 0
                && let Err(e) = files.remove_attachment(&sha)
            {
                tracing::warn!(error = %e, sha, "removing an unused attachment file failed");
            }
        }
        Ok(due
            .iter()
            .filter(|(_, kind, _)| kind != "hidden-record")
            .count() as u64)
    }

    #[allow(clippy::too_many_arguments)]
    async fn insert(
        &self,
        tx: &mut sqlx::Transaction<'_, Sqlite>,
        scope: &ProfileScope,
        kind: RemovalKind,
        target: &str,
        label: &str,
        records: u64,
        detail: &Detail,
    ) -> Result<Removal, RemovalError> {
        let at = now();
        let purge_after = (kind != RemovalKind::HiddenRecord).then(|| stamp(at + self.keep));
        let id = crate::ids::new_id();
        let detail =
            serde_json::to_string(detail).map_err(|e| RemovalError::Damaged(e.to_string()))?;
        sqlx::query(
            "INSERT INTO removals (id, profile_id, kind, target, label, records, detail, removed_by, removed_at, purge_after)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(scope.id())
        .bind(kind.as_str())
        .bind(target)
        .bind(label)
        .bind(records as i64)
        .bind(&detail)
        .bind(scope.user_id())
        .bind(stamp(at))
        .bind(&purge_after)
        .execute(&mut **tx)
        .await?;
        let removed_by: Option<String> =
            sqlx::query_scalar("SELECT display_name FROM users WHERE id = ?")
                .bind(scope.user_id())
                .fetch_optional(&mut **tx)
                .await?;
        Ok(Removal {
            id,
            profile_id: scope.id().to_string(),
            kind,
            target: target.to_string(),
            label: label.to_string(),
            records,
            removed_by,
            removed_at: stamp(at),
            purge_after,
        })
    }
}

fn removal_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<Removal, RemovalError> {
    Ok(Removal {
        id: row.try_get("id")?,
        profile_id: row.try_get("profile_id")?,
        kind: RemovalKind::parse(row.try_get("kind")?)?,
        target: row.try_get("target")?,
        label: row.try_get("label")?,
        records: row.try_get::<i64, _>("records")?.max(0) as u64,
        removed_by: row.try_get("by_name")?,
        removed_at: row.try_get("removed_at")?,
        purge_after: row.try_get("purge_after")?,
    })
}

fn detail_of(row: &sqlx::sqlite::SqliteRow) -> Result<Detail, RemovalError> {
    serde_json::from_str(row.try_get("detail")?).map_err(|e| RemovalError::Damaged(e.to_string()))
}

/// Whether `user` held the owner grant of a deleted person.
fn owned_by(row: &sqlx::sqlite::SqliteRow, user: &str) -> Result<bool, RemovalError> {
    Ok(detail_of(row)?
        .grants
        .iter()
        .any(|(u, role)| u == user && role == "owner"))
}

/// Whose syncs a step is about: one source's, or every source's of a profile.
#[derive(Clone, Copy)]
enum Owner<'a> {
    Source(&'a str),
    Profile(&'a str),
}

impl<'a> Owner<'a> {
    fn pick(self, source_sql: &'static str, profile_sql: &'static str) -> (&'static str, &'a str) {
        match self {
            Owner::Source(id) => (source_sql, id),
            Owner::Profile(id) => (profile_sql, id),
        }
    }
}

/// Whether a sync of `owner` is running.
async fn running(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    owner: Owner<'_>,
) -> Result<bool, sqlx::Error> {
    let (sql, id) = owner.pick(
        "SELECT id FROM jobs WHERE source_id = ? AND status = 'running' LIMIT 1",
        "SELECT id FROM jobs WHERE profile_id = ? AND status = 'running' LIMIT 1",
    );
    let found: Option<String> = sqlx::query_scalar(sql)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(found.is_some())
}

/// Queued syncs of what is removed will not run (they stay in the history as cancelled).
async fn cancel_queued(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    owner: Owner<'_>,
) -> Result<(), sqlx::Error> {
    let (sql, id) = owner.pick(
        "UPDATE jobs SET status = 'cancelled', cancel_requested = 1, finished_at = ?
         WHERE source_id = ? AND status = 'queued'",
        "UPDATE jobs SET status = 'cancelled', cancel_requested = 1, finished_at = ?
         WHERE profile_id = ? AND status = 'queued'",
    );
    sqlx::query(sql)
        .bind(stamp(now()))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The next scheduled syncs of `owner`'s sources.
async fn schedule_of(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    owner: Owner<'_>,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let (sql, id) = owner.pick(
        "SELECT id, next_sync_at FROM sources WHERE id = ? AND next_sync_at IS NOT NULL",
        "SELECT id, next_sync_at FROM sources WHERE profile_id = ? AND next_sync_at IS NOT NULL",
    );
    sqlx::query_as(sql).bind(id).fetch_all(&mut **tx).await
}

async fn restore_schedule(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    detail: &Detail,
) -> Result<(), sqlx::Error> {
    for (source, next) in &detail.schedule {
        sqlx::query("UPDATE sources SET next_sync_at = ? WHERE id = ?")
            .bind(next)
            .bind(source)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Copies other sources sent of `rows` are freed for re-indexing, which
/// shows them again (or under another copy); `rows`' own links go.
async fn free_copies(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    rows: &Rows<'_>,
) -> Result<(), sqlx::Error> {
    let mut q = QueryBuilder::<Sqlite>::new(
        "UPDATE resources SET index_version = 0 WHERE id IN (SELECT resource FROM duplicates WHERE canonical IN (",
    );
    rows.push(&mut q);
    q.push(")");
    q.build().execute(&mut **tx).await?;
    each(
        tx,
        rows,
        &[
            "DELETE FROM duplicates WHERE canonical IN (",
            "DELETE FROM duplicates WHERE resource IN (",
            "DELETE FROM preferred_copies WHERE resource IN (",
        ],
    )
    .await
}

/// Run each statement (ending in `IN (`) over `rows`.
async fn each(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    rows: &Rows<'_>,
    statements: &[&'static str],
) -> Result<(), sqlx::Error> {
    for sql in statements {
        let mut q = QueryBuilder::<Sqlite>::new(*sql);
        rows.push(&mut q);
        q.build().execute(&mut **tx).await?;
    }
    Ok(())
}

/// Take `rows` out of their profile: no profile, no identity keys, no index rows.
async fn take_out(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    rows: &Rows<'_>,
) -> Result<(), sqlx::Error> {
    each(
        tx,
        rows,
        &[
            "DELETE FROM resource_keys WHERE resource IN (",
            "DELETE FROM resource_tokens WHERE resource IN (",
            "DELETE FROM observation_values WHERE resource IN (",
            "DELETE FROM resource_refs WHERE resource IN (",
            "DELETE FROM resource_text WHERE rowid IN (",
            "UPDATE resources SET profile_id = NULL WHERE id IN (",
        ],
    )
    .await
}

/// Withhold `rows` from their profile under `removal`.
async fn withhold(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    rows: &[i64],
    removal: &str,
) -> Result<(), sqlx::Error> {
    let ids = Rows::Ids(rows);
    // Links among the copies themselves go; they are all withheld together.
    each(
        tx,
        &ids,
        &[
            "DELETE FROM duplicates WHERE resource IN (",
            "DELETE FROM duplicates WHERE canonical IN (",
        ],
    )
    .await?;
    take_out(tx, &ids).await?;
    let mut q = QueryBuilder::<Sqlite>::new("INSERT INTO withheld (resource, removal) ");
    q.push_values(rows, |mut row, id| {
        row.push_bind(*id).push_bind(removal.to_string());
    });
    q.build().execute(&mut **tx).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::parse;

    fn obs(id: &str, identifier: &str, value: u32) -> crate::records::Parsed {
        parse(&format!(
            r#"{{"resourceType":"Observation","id":"{id}","status":"final",
                "identifier":[{{"system":"urn:lab","value":"{identifier}"}}],
                "code":{{"coding":[{{"system":"http://loinc.org","code":"2345-7"}}]}},
                "effectiveDateTime":"2024-01-0{value}",
                "valueQuantity":{{"value":{value},"unit":"mg/dL","system":"http://unitsofmeasure.org","code":"mg/dL"}}}}"#
        ))
        .unwrap()
    }

    async fn shown(store: &RecordStore) -> Vec<String> {
        let page = store
            .list(&ProfileScope::for_tests("p"), None, 1, 50)
            .await
            .unwrap();
        let mut ids: Vec<String> = page.records.into_iter().map(|r| r.id).collect();
        ids.sort();
        ids
    }

    async fn count(db: &crate::db::Db, sql: &'static str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(db).await.unwrap()
    }

    #[tokio::test]
    async fn withheld_records_stay_out_through_re_indexing_and_re_syncs() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::open_with_test_source(dir.path()).await;
        let store = RecordStore::new(db.clone());
        store
            .upsert_batch("s", &[obs("a", "1", 1), obs("b", "2", 2)])
            .await
            .unwrap();
        let removals = Removals::new(store.clone(), std::time::Duration::from_secs(86_400));
        let scope = ProfileScope::for_tests("p");
        let hidden = removals
            .hide_record(&scope, "Observation", "a")
            .await
            .unwrap();
        assert_eq!(shown(&store).await, ["b"]);
        let values = "SELECT COUNT(*) FROM observation_values";
        assert_eq!(count(&db, values).await, 1, "its value leaves the charts");
        // A new extraction re-indexes everything; a sync sends it changed.
        sqlx::query("UPDATE resources SET index_version = 0")
            .execute(&db)
            .await
            .unwrap();
        store.reindex_stale().await.unwrap();
        store.upsert_batch("s", &[obs("a", "1", 3)]).await.unwrap();
        assert_eq!(shown(&store).await, ["b"], "still hidden");
        assert_eq!(count(&db, values).await, 1);
        removals.undo(&scope, &hidden.id).await.unwrap();
        assert_eq!(shown(&store).await, ["a", "b"]);
        assert_eq!(count(&db, values).await, 2);
    }

    #[tokio::test]
    async fn removed_sources_are_purged_after_their_time_and_not_before() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::open_with_test_source(dir.path()).await;
        let files = Files::open(dir.path()).unwrap();
        let store = RecordStore::new(db.clone());
        store
            .upsert_batch("s", &[obs("a", "1", 1), obs("b", "2", 2)])
            .await
            .unwrap();
        let removals = Removals::new(store.clone(), std::time::Duration::from_secs(86_400));
        let scope = ProfileScope::for_tests("p");
        removals
            .hide_record(&scope, "Observation", "a")
            .await
            .unwrap();
        let removed = removals.remove_source(&scope, "s").await.unwrap();
        assert_eq!(removed.records, 2);
        assert_eq!(shown(&store).await, Vec::<String>::new());
        let rows = "SELECT COUNT(*) FROM resources";
        assert_eq!(removals.purge_due(&files, now()).await.unwrap(), 0);
        assert_eq!(count(&db, rows).await, 2, "kept until its time is over");
        let later = now() + chrono::Duration::days(2);
        assert_eq!(removals.purge_due(&files, later).await.unwrap(), 1);
        assert_eq!(count(&db, rows).await, 0);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM sources").await, 0);
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM removals").await,
            0,
            "the hidden record went with its source"
        );
        let undo = removals.undo(&scope, &removed.id).await;
        assert!(matches!(undo, Err(RemovalError::NotFound(_))), "{undo:?}");
    }
}
