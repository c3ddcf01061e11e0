//! An upload is written in short transactions into a hidden staging source,
//! then published in one short transaction.
//!
//! Writing a large upload in one transaction held SQLite's single write lock
//! for as long as the whole import took (a minute for 60,000 resources), so
//! every sign-in and every other change waited and then failed. Staged, the
//! lock is taken once per batch, and others' writes go in between.
//!
//! Until it is published nobody sees any of it: the staging source belongs to
//! no profile, and its resources and their index rows carry a placeholder
//! profile id (`staging:<source>`) that no profile query asks for. Their
//! identity keys are stored under the real profile from the start, so they
//! are matched against its records as duplicates exactly as a direct write
//! would be. Publishing moves the rows to the real profile. A failed import
//! is deleted in batches; one cut short by a crash is deleted at the next
//! start, so either all of an upload is shown or none of it.

use super::StoreError;
use crate::db::Db;

/// The status a source has while it is staged.
pub const STAGING: &str = "staging";
/// Resources deleted per transaction when a staged upload is thrown away.
const DELETE_BATCH: i64 = 2000;

/// The profile id a staged source's rows carry until they are published.
pub fn placeholder(source_id: &str) -> String {
    format!("staging:{source_id}")
}

/// Create a hidden staging source of `kind` named `name`; its id.
pub async fn begin(db: &Db, kind: &'static str, name: &str) -> Result<String, StoreError> {
    let id = crate::ids::new_id();
    let mut tx = crate::db::write_tx(db).await?;
    sqlx::query(
        "INSERT INTO sources (id, profile_id, kind, name, connector, fhir_base_url, patient_id, token, status, created_at)
         VALUES (?, NULL, ?, ?, '', '', '', x'', ?, ?)",
    )
    .bind(&id)
    .bind(kind)
    .bind(name)
    .bind(STAGING)
    .bind(chrono::Utc::now().to_rfc3339())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Show staged `source_id` in `profile`: one transaction that moves its rows
/// from the placeholder to the profile.
pub async fn publish(db: &Db, source_id: &str, profile: &str) -> Result<(), StoreError> {
    let staged = placeholder(source_id);
    let mut tx = crate::db::write_tx(db).await?;
    let moved =
        sqlx::query("UPDATE sources SET profile_id = ?, status = 'ok' WHERE id = ? AND status = ?")
            .bind(profile)
            .bind(source_id)
            .bind(STAGING)
            .execute(&mut *tx)
            .await?;
    if moved.rows_affected() != 1 {
        return Err(StoreError::Db(sqlx::Error::RowNotFound));
    }
    for sql in [
        "UPDATE resources SET profile_id = ?1 WHERE profile_id = ?2",
        "UPDATE resource_tokens SET profile_id = ?1 WHERE profile_id = ?2",
        "UPDATE observation_values SET profile_id = ?1 WHERE profile_id = ?2",
    ] {
        sqlx::query(sql)
            .bind(profile)
            .bind(&staged)
            .execute(&mut *tx)
            .await?;
    }
    // The per-test counts were kept under the placeholder by their triggers.
    sqlx::query(
        "INSERT INTO lab_tests (profile_id, system, code, results)
         SELECT ?1, system, code, results FROM lab_tests WHERE profile_id = ?2
         ON CONFLICT (profile_id, system, code) DO UPDATE SET results = results + excluded.results",
    )
    .bind(profile)
    .bind(&staged)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "DELETE FROM lab_series_cache WHERE profile_id = ?1
           AND (system, code) IN (SELECT system, code FROM lab_tests WHERE profile_id = ?2)",
    )
    .bind(profile)
    .bind(&staged)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM lab_tests WHERE profile_id = ?")
        .bind(&staged)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Delete staged `source_id` and everything written to it, a batch per transaction.
pub async fn discard(db: &Db, source_id: &str) -> Result<(), StoreError> {
    loop {
        let mut tx = crate::db::write_tx(db).await?;
        let gone = sqlx::query(
            "DELETE FROM resources WHERE id IN (SELECT id FROM resources WHERE source_id = ? LIMIT ?)",
        )
        .bind(source_id)
        .bind(DELETE_BATCH)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        if gone.rows_affected() == 0 {
            break;
        }
    }
    let mut tx = crate::db::write_tx(db).await?;
    sqlx::query("DELETE FROM lab_tests WHERE profile_id = ?")
        .bind(placeholder(source_id))
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM sources WHERE id = ? AND status = ?")
        .bind(source_id)
        .bind(STAGING)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Delete uploads a stop cut short while they were staged; how many.
pub async fn discard_abandoned(db: &Db) -> Result<u64, StoreError> {
    let abandoned: Vec<String> = sqlx::query_scalar("SELECT id FROM sources WHERE status = ?")
        .bind(STAGING)
        .fetch_all(db)
        .await?;
    for id in &abandoned {
        discard(db, id).await?;
    }
    if !abandoned.is_empty() {
        tracing::warn!(
            uploads = abandoned.len(),
            "uploads cut short by a stop were removed; nothing of them was shown"
        );
    }
    Ok(abandoned.len() as u64)
}

/// Throws a staged upload away if it is dropped before it is published or
/// discarded (the request was cancelled mid-import).
pub struct Guard {
    db: Db,
    source_id: Option<String>,
}

impl Guard {
    /// Watch staged `source_id`.
    pub fn new(db: &Db, source_id: &str) -> Guard {
        Guard {
            db: db.clone(),
            source_id: Some(source_id.to_string()),
        }
    }

    /// The upload was published: nothing to throw away.
    pub fn disarm(mut self) {
        self.source_id = None;
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(id) = self.source_id.take() {
            let db = self.db.clone();
            // Drop cannot wait; without a runtime the next start cleans up.
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move {
                    if let Err(e) = discard(&db, &id).await {
                        tracing::error!(source = %id, error = %e, "could not remove an unfinished upload; the next start will");
                    }
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{Placement, RecordStore, parse, upsert_in, upsert_placed};

    fn glucose(id: &str, value: &str) -> crate::records::Parsed {
        parse(&format!(
            r#"{{"resourceType":"Observation","id":"{id}","status":"final",
               "code":{{"coding":[{{"system":"http://loinc.org","code":"2345-7"}}]}},
               "subject":{{"reference":"Patient/p"}},"effectiveDateTime":"2024-0{id}-01",
               "identifier":[{{"system":"urn:lab","value":"lab-{id}"}}],
               "valueQuantity":{{"value":{value},"unit":"mg/dL","system":"http://unitsofmeasure.org","code":"mg/dL"}}}}"#
        ))
        .unwrap()
    }

    async fn stage(db: &Db, batch: &[crate::records::Parsed]) -> String {
        let source = begin(db, "import", "upload").await.unwrap();
        let shown = placeholder(&source);
        let mut tx = crate::db::write_tx(db).await.unwrap();
        let place = Placement {
            shown: Some(&shown),
            matched: Some("p"),
        };
        upsert_placed(&mut tx, &source, batch, place).await.unwrap();
        tx.commit().await.unwrap();
        source
    }

    async fn count(db: &Db, sql: &'static str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(db).await.unwrap()
    }

    /// A database whose source `s` in profile `p` holds glucose result 1.
    async fn with_one_result() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::open_with_test_source(dir.path()).await;
        let mut tx = crate::db::write_tx(&db).await.unwrap();
        upsert_in(&mut tx, "s", &[glucose("1", "90")])
            .await
            .unwrap();
        tx.commit().await.unwrap();
        (dir, db)
    }

    /// Rows of the tables an upload writes to, by table.
    async fn footprint(db: &Db) -> [i64; 3] {
        [
            count(db, "SELECT COUNT(*) FROM resources").await,
            count(db, "SELECT COUNT(*) FROM resource_keys").await,
            count(db, "SELECT COUNT(*) FROM lab_tests").await,
        ]
    }

    #[tokio::test]
    async fn staged_records_are_hidden_until_published_and_then_all_shown() {
        // Source `s` already has result 1; the upload repeats it and adds 2 and 3.
        let (_dir, db) = with_one_result().await;
        let staged = [
            glucose("1", "90"),
            glucose("2", "101"),
            glucose("3", "99.50"),
        ];
        let source = stage(&db, &staged).await;
        let shown = "SELECT COUNT(*) FROM resources WHERE profile_id = 'p'";
        let values = "SELECT COUNT(*) FROM observation_values WHERE profile_id = 'p'";
        let tests = "SELECT COALESCE(SUM(results), 0) FROM lab_tests WHERE profile_id = 'p'";
        let listed = "SELECT COUNT(*) FROM sources WHERE profile_id = 'p'";
        assert_eq!(count(&db, shown).await, 1, "nothing staged is shown");
        assert_eq!(count(&db, values).await, 1);
        assert_eq!(count(&db, tests).await, 1);
        assert_eq!(
            count(&db, listed).await,
            1,
            "nor is the staging source listed"
        );
        // The repeated result was matched against the profile while staged.
        assert_eq!(count(&db, "SELECT COUNT(*) FROM duplicates").await, 1);

        publish(&db, &source, "p").await.unwrap();
        assert_eq!(
            count(&db, shown).await,
            3,
            "the two new results join the first"
        );
        assert_eq!(count(&db, values).await, 3);
        assert_eq!(count(&db, tests).await, 3);
        assert_eq!(count(&db, listed).await, 2);
        let left = "SELECT COUNT(*) FROM resources WHERE profile_id LIKE 'staging:%'";
        assert_eq!(count(&db, left).await, 0);
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM lab_tests WHERE profile_id LIKE 'staging:%'"
            )
            .await,
            0
        );
        // Published rows are ordinary rows: re-indexing leaves them shown.
        sqlx::query("UPDATE resources SET index_version = 0")
            .execute(&db)
            .await
            .unwrap();
        RecordStore::new(db.clone()).reindex_stale().await.unwrap();
        assert_eq!(count(&db, shown).await, 3);
        assert_eq!(count(&db, tests).await, 3);
    }

    #[tokio::test]
    async fn an_unfinished_upload_is_deleted_without_a_trace() {
        let (_dir, db) = with_one_result().await;
        let before = footprint(&db).await;
        // Staged, then the host stops before publishing.
        stage(&db, &[glucose("1", "90"), glucose("2", "101")]).await;
        stage(&db, &[glucose("3", "99")]).await;
        assert_eq!(discard_abandoned(&db).await.unwrap(), 2);
        assert_eq!(footprint(&db).await, before);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM duplicates").await, 0);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM sources").await, 1);
        assert_eq!(discard_abandoned(&db).await.unwrap(), 0);
    }
}
