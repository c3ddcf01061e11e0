//! The database pool: SQLite under the data folder (WAL), migrated at start.

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::path::Path;
use std::time::Duration;

/// The pool every domain module uses.
pub type Db = SqlitePool;

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// Opening or configuring the database file failed.
    #[error("database {path}: {source}")]
    Open {
        /// The database file.
        path: String,
        /// The driver error.
        source: sqlx::Error,
    },
    /// A migration failed; the database is left at the last good version.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Open (creating if needed) `<data_dir>/hearth.db` and bring its schema up to date.
pub async fn open(data_dir: &Path) -> Result<Db, DbError> {
    let path = data_dir.join("hearth.db");
    let options = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // NORMAL is durable across application crashes in WAL mode; only power loss can lose the last commits.
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        // A large upload is one transaction, so the WAL grows to its size; without
        // a limit the file stays that large after the next checkpoint.
        .pragma("journal_size_limit", (64 << 20).to_string())
        // Reads map the file instead of copying each page through a read()
        // call; the OS page cache is then shared by every connection.
        .pragma("mmap_size", (1u64 << 30).to_string());
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .after_release(|conn, _| {
            Box::pin(async move {
                use sqlx::Connection;
                // SQLite ends a transaction by itself on some failures (disk
                // full, I/O errors); the driver still counts it as open, so
                // its rollback fails and every later BEGIN on this connection
                // would be refused ("non-zero transaction depth"). Such a
                // connection is closed instead of reused. The ping waits for
                // the rollback a dropped transaction queued; a connection
                // that was never in one needs no round trip to its thread.
                if !conn.is_in_transaction() {
                    return Ok(true);
                }
                conn.ping().await?;
                Ok(!conn.is_in_transaction())
            })
        })
        .connect_with(options)
        .await
        .map_err(|source| DbError::Open {
            path: path.display().to_string(),
            source,
        })?;
    sqlx::migrate!("../migrations/sqlite").run(&pool).await?;
    optimize(&pool).await;
    Ok(pool)
}

/// A transaction that takes the write lock at once. A deferred one that
/// reads before it writes fails outright (`SQLITE_BUSY`, which the busy
/// timeout cannot wait out) when another writer commits in between; an
/// immediate one waits its turn instead.
pub async fn write_tx(db: &Db) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
    db.begin_with("BEGIN IMMEDIATE").await
}

/// Whether `e`, or an error that caused it, is SQLite reporting the database
/// busy or locked: another writer held it past the busy wait. Such a failure
/// is temporary, so the API answers 503 with `Retry-After`, not 500.
pub fn is_busy(e: &(dyn std::error::Error + 'static)) -> bool {
    const SQLITE_BUSY: i32 = 5;
    const SQLITE_LOCKED: i32 = 6;
    use sqlx::error::DatabaseError;
    // Extended codes keep the primary code in their low byte.
    let busy_code = |db: &dyn DatabaseError| {
        let primary = db
            .code()
            .and_then(|c| c.parse::<i32>().ok())
            .map(|c| c & 0xff);
        matches!(primary, Some(SQLITE_BUSY | SQLITE_LOCKED))
    };
    let mut next = Some(e);
    while let Some(err) = next {
        // The driver's error may sit in the chain as itself, boxed, or bare.
        let found = if let Some(sqlx::Error::Database(db)) = err.downcast_ref::<sqlx::Error>() {
            busy_code(db.as_ref())
        } else if let Some(db) = err.downcast_ref::<Box<dyn DatabaseError>>() {
            busy_code(db.as_ref())
        } else if let Some(db) = err.downcast_ref::<sqlx::sqlite::SqliteError>() {
            busy_code(db)
        } else {
            false
        };
        if found {
            return true;
        }
        next = err.source();
    }
    false
}

/// Refresh the query planner's statistics where they are missing or stale.
/// Without them SQLite walks a whole profile in date order to avoid a sort,
/// even when an index would find the few matching rows directly. Bounded
/// (`analysis_limit`), so it stays cheap on large databases; a failure only
/// costs speed, so it is logged, not returned.
pub async fn optimize(db: &Db) {
    if let Err(e) = sqlx::query("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002;")
        .execute(db)
        .await
    {
        tracing::warn!(error = %e, "could not refresh query statistics");
    }
}

/// A fresh database in `dir` holding profile `p` with one source `s`, for tests.
#[cfg(test)]
pub async fn open_with_test_source(dir: &Path) -> Db {
    let db = open(dir).await.expect("test database opens");
    sqlx::query(
        "INSERT INTO profiles (id, name, created_at) VALUES ('p', 'p', 'now');
         INSERT INTO sources (id, profile_id, name, connector, fhir_base_url, patient_id, token, created_at)
         VALUES ('s', 'p', 's', 'fhir-r4', 'http://x', 'p', x'00', 'now')",
    )
    .execute(&db)
    .await
    .expect("test source inserted");
    db
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_transaction_sqlite_ended_by_itself_does_not_poison_the_pool() {
        // Issue 15, item 5: after a disk-full import every later sign-in failed
        // with "attempted to call begin_with at non-zero transaction depth".
        let dir = tempfile::tempdir().unwrap();
        let db = open(dir.path()).await.unwrap();
        sqlx::query("CREATE TABLE t (n INTEGER)")
            .execute(&db)
            .await
            .unwrap();
        {
            let mut tx = write_tx(&db).await.unwrap();
            sqlx::query("INSERT INTO t VALUES (0)")
                .execute(&mut *tx)
                .await
                .unwrap();
            // What a full disk or an I/O error does: SQLite rolls the
            // transaction back by itself, behind the driver's back.
            sqlx::raw_sql("ROLLBACK").execute(&mut *tx).await.unwrap();
        }
        for n in 1..=20 {
            let mut tx = write_tx(&db)
                .await
                .unwrap_or_else(|e| panic!("write {n} could not begin: {e}"));
            sqlx::query("INSERT INTO t VALUES (?)")
                .bind(n)
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(
            count, 20,
            "the rolled-back row is gone, every later one kept"
        );
    }

    #[tokio::test]
    async fn a_database_held_by_another_writer_is_reported_busy() {
        let dir = tempfile::tempdir().unwrap();
        let db = open(dir.path()).await.unwrap();
        let holder = write_tx(&db).await.unwrap();
        let impatient = SqlitePool::connect_with(
            SqliteConnectOptions::new()
                .filename(dir.path().join("hearth.db"))
                .busy_timeout(Duration::ZERO),
        )
        .await
        .unwrap();
        let busy = write_tx(&impatient).await.unwrap_err();
        assert!(is_busy(&busy), "{busy}");
        // Wrapped in a domain error, it is still recognised.
        let wrapped = crate::records::StoreError::from(busy);
        assert!(is_busy(&wrapped), "{wrapped}");
        drop(holder);
        let other = sqlx::query("SELECT * FROM no_such_table")
            .execute(&db)
            .await
            .unwrap_err();
        assert!(!is_busy(&other), "{other}");
    }

    /// A database from before the record index (migrations 1-2 only) keeps
    /// every resource through the upgrade and gets its index rebuilt.
    #[tokio::test]
    async fn upgrading_an_older_database_keeps_and_reindexes_its_records() {
        let dir = tempfile::tempdir().unwrap();
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("hearth.db"))
            .create_if_missing(true)
            .foreign_keys(true);
        let old = SqlitePool::connect_with(options).await.unwrap();
        let mut early = sqlx::migrate!("../migrations/sqlite");
        early.migrations = std::borrow::Cow::Owned(early.migrations[..2].to_vec());
        early.run(&old).await.unwrap();
        sqlx::query(
            "INSERT INTO sources (id, name, connector, fhir_base_url, patient_id, token, created_at)
             VALUES ('s', 's', 'fhir-r4', 'http://x', 'p', x'00', 'then');
             INSERT INTO resources (source_id, resource_type, resource_id, content_hash, sort_date, json, updated_at)
             VALUES ('s', 'Observation', 'o1', x'01', '2020-01-01',
                     '{\"resourceType\":\"Observation\",\"id\":\"o1\",\"status\":\"final\",\"effectiveDateTime\":\"2020-01-01T10:00:00+01:00\",\"code\":{\"text\":\"Glucose\",\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"2345-7\"}]},\"valueQuantity\":{\"value\":5,\"unit\":\"mmol/L\"}}',
                     'then');
             INSERT INTO resource_codes (resource, system, code) VALUES (1, 'http://loinc.org', '2345-7');",
        )
        .execute(&old)
        .await
        .unwrap();
        old.close().await;

        let db = open(dir.path()).await.unwrap();
        let store = crate::records::RecordStore::new(db.clone());
        assert_eq!(store.reindex_stale().await.unwrap(), 1);
        let (json, sort_key, status): (String, String, String) =
            sqlx::query_as("SELECT json, sort_key, status FROM resources WHERE resource_id = 'o1'")
                .fetch_one(&db)
                .await
                .unwrap();
        assert!(json.contains("\"Glucose\""), "the JSON is kept verbatim");
        assert_eq!(
            (sort_key.as_str(), status.as_str()),
            ("2020-01-01T09:00:00.000Z", "final")
        );
        let values: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM observation_values")
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(values, 1);
        let tokens: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM resource_tokens WHERE code = '2345-7'")
                .fetch_one(&db)
                .await
                .unwrap();
        assert_eq!(tokens, 1);
    }
}
