//! The SQLite engine behind Mayday's storage port: embedded, zero configuration, durable
//! (WAL with `synchronous=FULL`: a committed write is on disk). Writes go through one
//! connection so writers queue rather than fail busy; reads use a small pool.

#[path = "../../store/sql/common.rs"]
mod common;
mod dialect;
#[path = "../../store/sql/intake.rs"]
mod intake_sql;

use std::path::Path;
use std::time::Duration;

use mayday_store::{StoreError, StoreResult};
use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub use common::SqlStore as SqliteStore;

type Db = sqlx::Sqlite;

fn migrator() -> Migrator {
    Migrator::with_migrations(vec![
        Migration::new(
            1,
            "init".into(),
            MigrationType::Simple,
            include_str!("../migrations/0001_init.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            2,
            "intake".into(),
            MigrationType::Simple,
            include_str!("../migrations/0002_intake.sql").into_sql_str(),
            false,
        ),
    ])
}

/// Opens (creating if needed) the database file `mayday.db` in `data_dir` and migrates it.
pub async fn open_dir(data_dir: &Path) -> StoreResult<SqliteStore> {
    std::fs::create_dir_all(data_dir).map_err(|e| {
        StoreError::Backend(format!(
            "cannot create data directory {}: {e}",
            data_dir.display()
        ))
    })?;
    open_file(&data_dir.join("mayday.db")).await
}

/// Opens (creating if needed) a database file and migrates it.
pub async fn open_file(path: &Path) -> StoreResult<SqliteStore> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    // The one writer keeps more pages in memory (32 MiB): inserts into the larger indexes
    // otherwise re-read their pages from the file system all the time.
    let write = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options.clone().pragma("cache_size", "-32768"))
        .await
        .map_err(|e| StoreError::Backend(format!("cannot open {}: {e}", path.display())))?;
    migrator()
        .run(&write)
        .await
        .map_err(|e| StoreError::Backend(format!("migrating {}: {e}", path.display())))?;
    // Keep the planner's statistics fresh (bounded work: sampled, only tables that need it).
    for pragma in ["PRAGMA analysis_limit = 400", "PRAGMA optimize = 0x10002"] {
        sqlx::query(pragma)
            .execute(&write)
            .await
            .map_err(|e| StoreError::Backend(format!("{pragma} on {}: {e}", path.display())))?;
    }
    let read = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options.read_only(true))
        .await
        .map_err(|e| StoreError::Backend(format!("cannot open {}: {e}", path.display())))?;
    Ok(SqliteStore { write, read })
}
