//! The SQLite engine behind Mayday's storage port: embedded, zero configuration, durable
//! (WAL with `synchronous=FULL`: a committed write is on disk). Writes go through one
//! connection so writers queue rather than fail busy; reads use a small pool.

#[path = "../../store/sql/common.rs"]
mod common;
mod dialect;
#[path = "../../store/sql/intake.rs"]
mod intake_sql;
#[path = "../../store/sql/paging.rs"]
mod paging_sql;
#[path = "../../store/sql/sessions.rs"]
mod sessions_sql;

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
        Migration::new(
            3,
            "paging".into(),
            MigrationType::Simple,
            include_str!("../migrations/0003_paging.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            4,
            "sessions".into(),
            MigrationType::Simple,
            include_str!("../migrations/0004_sessions.sql").into_sql_str(),
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
        .connect_with(options.clone().read_only(true))
        .await
        .map_err(|e| StoreError::Backend(format!("cannot open {}: {e}", path.display())))?;
    let (log_write, log_read, cursor) = open_intake_log(path, &options, &write).await?;
    Ok(SqliteStore {
        write,
        read,
        log_write,
        log_read,
        log_trimmed: std::sync::Arc::new(std::sync::atomic::AtomicI64::new(cursor)),
    })
}

/// The intake log's own database file: `<name>-intake.db` next to the main one.
pub fn intake_log_path(path: &Path) -> std::path::PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "mayday".into());
    path.with_file_name(format!("{stem}-intake.db"))
}

/// Opens (creating if needed) the intake log next to the main database, with the main
/// database's cursor (entries up to it are processed and deleted here). Its sequence never
/// falls behind the main database's cursor, so a lost or replaced log file cannot hide new
/// entries behind old numbers.
async fn open_intake_log(
    path: &Path,
    options: &SqliteConnectOptions,
    main: &sqlx::SqlitePool,
) -> StoreResult<(sqlx::SqlitePool, sqlx::SqlitePool, i64)> {
    let log_path = intake_log_path(path);
    let failed = |e: sqlx::Error| {
        StoreError::Backend(format!(
            "cannot open the intake log {}: {e}",
            log_path.display()
        ))
    };
    let options = options.clone().filename(&log_path).foreign_keys(false);
    let write = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options.clone())
        .await
        .map_err(failed)?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS intake_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, \
         integration_id TEXT NOT NULL, received_at INTEGER NOT NULL, record TEXT NOT NULL)",
    )
    .execute(&write)
    .await
    .map_err(failed)?;
    let cursor: i64 = sqlx::query_scalar("SELECT seq FROM intake_cursor WHERE id = 1")
        .fetch_one(main)
        .await
        .map_err(failed)?;
    let mut tx = write.begin().await.map_err(failed)?;
    let known: Option<i64> =
        sqlx::query_scalar("SELECT seq FROM sqlite_sequence WHERE name = 'intake_log'")
            .fetch_optional(&mut *tx)
            .await
            .map_err(failed)?;
    match known {
        Some(seq) if seq >= cursor => {}
        Some(_) => {
            sqlx::query("UPDATE sqlite_sequence SET seq = $1 WHERE name = 'intake_log'")
                .bind(cursor)
                .execute(&mut *tx)
                .await
                .map_err(failed)?;
        }
        None => {
            sqlx::query("INSERT INTO sqlite_sequence (name, seq) VALUES ('intake_log', $1)")
                .bind(cursor)
                .execute(&mut *tx)
                .await
                .map_err(failed)?;
        }
    }
    // Entries processed before a crash that their deletion did not survive.
    sqlx::query("DELETE FROM intake_log WHERE seq <= $1")
        .bind(cursor)
        .execute(&mut *tx)
        .await
        .map_err(failed)?;
    tx.commit().await.map_err(failed)?;
    let read = SqlitePoolOptions::new()
        .max_connections(2)
        .connect_with(options.read_only(true))
        .await
        .map_err(failed)?;
    Ok((write, read, cursor))
}
