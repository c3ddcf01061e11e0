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
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
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
