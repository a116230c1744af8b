//! The SQL of web console sessions, shared by both engines like `common.rs` (compiled into each
//! engine crate as its `sessions_sql` module). A row is keyed by the SHA-256 of the session's
//! secret; a session signs its user in while `now < expires_at`, and each use moves the expiry
//! (sliding expiry). Writes go through the write pool, reads through the read pool.

use mayday_core::clock::Millis;
use mayday_store::{Session, StoreError, StoreResult};
use sqlx::{AssertSqlSafe, Row};
use uuid::Uuid;

use super::Db;
use super::common::{SqlStore, backend, is_unique_violation, parse_uuid};

const SESSION_COLUMNS: &str = "id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at";

/// A session row ([`SESSION_COLUMNS`]).
fn session_from_row(row: &<Db as sqlx::Database>::Row) -> StoreResult<Session> {
    let user_id: String = row.try_get(1).map_err(backend)?;
    Ok(Session {
        id_hash: row.try_get(0).map_err(backend)?,
        user_id: parse_uuid(&user_id)?,
        csrf_token: row.try_get(2).map_err(backend)?,
        created_at: row.try_get(3).map_err(backend)?,
        last_seen_at: row.try_get(4).map_err(backend)?,
        expires_at: row.try_get(5).map_err(backend)?,
    })
}

/// A taken hash is `Duplicate`, naming only its first characters.
fn duplicate_hash(err: sqlx::Error, id_hash: &str) -> StoreError {
    if is_unique_violation(&err) {
        StoreError::Duplicate {
            kind: "session".into(),
            name: format!("{}…", id_hash.chars().take(4).collect::<String>()),
        }
    } else {
        backend(err)
    }
}

pub(crate) async fn create_session(s: &SqlStore, session: &Session) -> StoreResult<()> {
    let sql = format!("INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)");
    sqlx::query(AssertSqlSafe(sql))
        .bind(&session.id_hash)
        .bind(session.user_id.to_string())
        .bind(&session.csrf_token)
        .bind(session.created_at)
        .bind(session.last_seen_at)
        .bind(session.expires_at)
        .execute(&s.write)
        .await
        .map_err(|e| duplicate_hash(e, &session.id_hash))?;
    Ok(())
}

/// The session if it has not expired at `now`.
pub(crate) async fn get_session(
    s: &SqlStore,
    id_hash: &str,
    now: Millis,
) -> StoreResult<Option<Session>> {
    let sql =
        format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id_hash = $1 AND expires_at > $2");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(id_hash)
        .bind(now)
        .fetch_optional(&s.read)
        .await
        .map_err(backend)?;
    row.as_ref().map(session_from_row).transpose()
}

/// Records a use unless the session is gone or expired at `now`.
pub(crate) async fn touch_session(
    s: &SqlStore,
    id_hash: &str,
    now: Millis,
    expires_at: Millis,
) -> StoreResult<bool> {
    let touched = sqlx::query(
        "UPDATE sessions SET last_seen_at = $1, expires_at = $2 \
         WHERE id_hash = $3 AND expires_at > $4",
    )
    .bind(now)
    .bind(expires_at)
    .bind(id_hash)
    .bind(now)
    .execute(&s.write)
    .await
    .map_err(backend)?
    .rows_affected();
    Ok(touched == 1)
}

pub(crate) async fn delete_session(s: &SqlStore, id_hash: &str) -> StoreResult<bool> {
    let deleted = sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(&s.write)
        .await
        .map_err(backend)?
        .rows_affected();
    Ok(deleted == 1)
}

pub(crate) async fn delete_user_sessions(s: &SqlStore, user_id: Uuid) -> StoreResult<u64> {
    let deleted = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id.to_string())
        .execute(&s.write)
        .await
        .map_err(backend)?
        .rows_affected();
    Ok(deleted)
}

/// Deletes the sessions whose expiry is earlier than `before`.
pub(crate) async fn purge_sessions(s: &SqlStore, before: Millis) -> StoreResult<u64> {
    let deleted = sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
        .bind(before)
        .execute(&s.write)
        .await
        .map_err(backend)?
        .rows_affected();
    Ok(deleted)
}
