//! The PostgreSQL engine behind Mayday's storage port, for several `mayday serve` nodes sharing
//! one database. Migrations run under an advisory lock, so nodes may start together.

#[path = "../../store/sql/common.rs"]
mod common;
mod dialect;
#[path = "../../store/sql/intake.rs"]
mod intake_sql;
#[path = "../../store/sql/paging.rs"]
mod paging_sql;
#[path = "../../store/sql/sessions.rs"]
mod sessions_sql;

use std::time::Duration;

use mayday_store::{StoreError, StoreResult};
use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::PgPoolOptions;

pub use common::SqlStore as PostgresStore;

type Db = sqlx::Postgres;

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

/// Connects to `url` (`postgres://...`) and migrates the database.
pub async fn connect(url: &str, max_connections: u32) -> StoreResult<PostgresStore> {
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await
        .map_err(|e| StoreError::Backend(format!("cannot connect to PostgreSQL: {e}")))?;
    migrator()
        .run(&pool)
        .await
        .map_err(|e| StoreError::Backend(format!("migrating PostgreSQL: {e}")))?;
    Ok(PostgresStore {
        write: pool.clone(),
        read: pool.clone(),
        log_write: pool.clone(),
        log_read: pool,
        log_trimmed: Default::default(),
    })
}
