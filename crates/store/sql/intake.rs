//! The SQL of alert intake, shared by both engines like `common.rs` (compiled into each engine
//! crate as its `intake_sql` module): integrations, the intake log, alerts and change events.

use mayday_core::alert::{Alert, IntakeRecord, IntegrationKind};
use mayday_core::clock::Millis;
use mayday_store::{
    IncidentWrite, IntakeCommit, IntakeEntry, Integration, NewIntakeEntry, StoreError, StoreResult,
    StoredChange, json_text,
};
use sqlx::{AssertSqlSafe, Row};
use uuid::Uuid;

use super::common::{
    Param, SqlStore, backend, bind_params, insert_incidents, is_unique_violation, parse_uuid,
    write_incident,
};
use super::{Db, dialect, paging_sql};

const INTEGRATION_COLUMNS: &str = "id, service_id, kind, name, integration_key, version, doc, created_at, updated_at, last_event_at";

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("corrupt {what}: {e}"))
}

fn integration_from_row(row: &<Db as sqlx::Database>::Row) -> StoreResult<Integration> {
    let id: String = row.try_get(0).map_err(backend)?;
    let service_id: String = row.try_get(1).map_err(backend)?;
    let kind: String = row.try_get(2).map_err(backend)?;
    let doc: String = row.try_get(6).map_err(backend)?;
    Ok(Integration {
        id: parse_uuid(&id)?,
        service_id: parse_uuid(&service_id)?,
        kind: IntegrationKind::parse(&kind).map_err(|e| corrupt("integration kind", e))?,
        name: row.try_get(3).map_err(backend)?,
        key: row.try_get(4).map_err(backend)?,
        version: row.try_get(5).map_err(backend)?,
        settings: serde_json::from_str(&doc).map_err(|e| corrupt("integration settings", e))?,
        created_at: row.try_get(7).map_err(backend)?,
        updated_at: row.try_get(8).map_err(backend)?,
        last_event_at: row.try_get(9).map_err(backend)?,
    })
}

fn alert_from_row(row: &<Db as sqlx::Database>::Row) -> StoreResult<Alert> {
    let doc: String = row.try_get(0).map_err(backend)?;
    serde_json::from_str(&doc).map_err(|e| corrupt("alert", e))
}

fn duplicate_key(err: sqlx::Error, i: &Integration) -> StoreError {
    if is_unique_violation(&err) {
        StoreError::Duplicate {
            kind: "integration key".into(),
            name: format!("{}…", i.key.chars().take(4).collect::<String>()),
        }
    } else {
        backend(err)
    }
}

pub(crate) async fn insert_integration(s: &SqlStore, i: &Integration) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO integrations (id, service_id, kind, name, integration_key, version, doc, \
         created_at, updated_at, last_event_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(i.id.to_string())
    .bind(i.service_id.to_string())
    .bind(i.kind.as_str())
    .bind(&i.name)
    .bind(&i.key)
    .bind(i.version)
    .bind(json_text(&i.settings)?)
    .bind(i.created_at)
    .bind(i.updated_at)
    .bind(i.last_event_at)
    .execute(&s.write)
    .await
    .map_err(|e| duplicate_key(e, i))?;
    Ok(())
}

pub(crate) async fn update_integration(
    s: &SqlStore,
    i: &Integration,
    expected_version: i64,
) -> StoreResult<()> {
    let res = sqlx::query(
        "UPDATE integrations SET name = $1, integration_key = $2, version = $3, doc = $4, \
         updated_at = $5 WHERE id = $6 AND version = $7",
    )
    .bind(&i.name)
    .bind(&i.key)
    .bind(i.version)
    .bind(json_text(&i.settings)?)
    .bind(i.updated_at)
    .bind(i.id.to_string())
    .bind(expected_version)
    .execute(&s.write)
    .await
    .map_err(|e| duplicate_key(e, i))?;
    if res.rows_affected() == 1 {
        return Ok(());
    }
    match get_integration(s, i.id).await? {
        Some(_) => Err(StoreError::Conflict {
            expected: expected_version,
        }),
        None => Err(StoreError::NotFound),
    }
}

pub(crate) async fn delete_integration(s: &SqlStore, id: Uuid) -> StoreResult<bool> {
    let r = sqlx::query("DELETE FROM integrations WHERE id = $1")
        .bind(id.to_string())
        .execute(&s.write)
        .await
        .map_err(backend)?;
    Ok(r.rows_affected() > 0)
}

pub(crate) async fn get_integration(s: &SqlStore, id: Uuid) -> StoreResult<Option<Integration>> {
    let sql = format!("SELECT {INTEGRATION_COLUMNS} FROM integrations WHERE id = $1");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(id.to_string())
        .fetch_optional(&s.read)
        .await
        .map_err(backend)?;
    row.as_ref().map(integration_from_row).transpose()
}

pub(crate) async fn integration_by_key(
    s: &SqlStore,
    key: &str,
) -> StoreResult<Option<Integration>> {
    let sql = format!("SELECT {INTEGRATION_COLUMNS} FROM integrations WHERE integration_key = $1");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(key)
        .fetch_optional(&s.read)
        .await
        .map_err(backend)?;
    row.as_ref().map(integration_from_row).transpose()
}

pub(crate) async fn list_integrations(
    s: &SqlStore,
    service_id: Option<Uuid>,
) -> StoreResult<Vec<Integration>> {
    let rows = match service_id {
        Some(id) => {
            let sql = format!(
                "SELECT {INTEGRATION_COLUMNS} FROM integrations WHERE service_id = $1 \
                 ORDER BY created_at, id"
            );
            sqlx::query(AssertSqlSafe(sql))
                .bind(id.to_string())
                .fetch_all(&s.read)
                .await
        }
        None => {
            let sql =
                format!("SELECT {INTEGRATION_COLUMNS} FROM integrations ORDER BY created_at, id");
            sqlx::query(AssertSqlSafe(sql)).fetch_all(&s.read).await
        }
    }
    .map_err(backend)?;
    rows.iter().map(integration_from_row).collect()
}

pub(crate) async fn append_intake(s: &SqlStore, entries: &[NewIntakeEntry]) -> StoreResult<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut tx = s.log_write.begin().await.map_err(backend)?;
    // One statement per 200 entries (3 parameters each).
    for chunk in entries.chunks(200) {
        let mut sql =
            String::from("INSERT INTO intake_log (integration_id, received_at, record) VALUES ");
        let mut params = Vec::with_capacity(chunk.len() * 3);
        for (i, e) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            let b = i * 3;
            let marks: Vec<String> = (1..=3).map(|k| dialect::mark(b + k)).collect();
            sql.push_str(&format!("({})", marks.join(", ")));
            params.push(Param::Text(e.integration_id.to_string()));
            params.push(Param::Int(e.received_at));
            params.push(Param::Text(json_text(&e.record)?));
        }
        bind_params(sqlx::query(AssertSqlSafe(sql)), params)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
    }
    tx.commit().await.map_err(backend)
}

/// The last log entry processed: entries at or below it are done. Always 0 where processed
/// entries are deleted in the processing transaction itself.
async fn consumed_through(s: &SqlStore) -> StoreResult<i64> {
    if !dialect::LOG_IN_OWN_DATABASE {
        return Ok(0);
    }
    sqlx::query("SELECT seq FROM intake_cursor WHERE id = 1")
        .fetch_one(&s.read)
        .await
        .map_err(backend)?
        .try_get(0)
        .map_err(backend)
}

pub(crate) async fn pending_intake(s: &SqlStore, limit: i64) -> StoreResult<Vec<IntakeEntry>> {
    let after = consumed_through(s).await?;
    let rows = sqlx::query(
        "SELECT seq, integration_id, received_at, record FROM intake_log WHERE seq > $1 \
         ORDER BY seq LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(&s.log_read)
    .await
    .map_err(backend)?;
    rows.iter()
        .map(|row| {
            let seq: i64 = row.try_get(0).map_err(backend)?;
            let integration_id: String = row.try_get(1).map_err(backend)?;
            let record: String = row.try_get(3).map_err(backend)?;
            Ok(IntakeEntry {
                seq,
                integration_id: parse_uuid(&integration_id)?,
                received_at: row.try_get(2).map_err(backend)?,
                record: serde_json::from_str::<IntakeRecord>(&record)
                    .map_err(|e| corrupt(&format!("intake entry {seq}"), e))?,
            })
        })
        .collect()
}

pub(crate) async fn intake_backlog(s: &SqlStore) -> StoreResult<i64> {
    let after = consumed_through(s).await?;
    sqlx::query("SELECT COUNT(*) FROM intake_log WHERE seq > $1")
        .bind(after)
        .fetch_one(&s.log_read)
        .await
        .map_err(backend)?
        .try_get(0)
        .map_err(backend)
}

/// Inserts or replaces alerts, 100 per statement.
async fn upsert_alerts(tx: &mut sqlx::Transaction<'_, Db>, alerts: &[Alert]) -> StoreResult<()> {
    for chunk in alerts.chunks(100) {
        let mut sql = String::from(
            "INSERT INTO alerts (id, integration_id, incident_id, dedup_key, status, group_key, \
             first_seen_at, doc) VALUES ",
        );
        let mut params = Vec::with_capacity(chunk.len() * 8);
        for (n, a) in chunk.iter().enumerate() {
            if n > 0 {
                sql.push_str(", ");
            }
            let marks: Vec<String> = (1..=8).map(|k| dialect::mark(n * 8 + k)).collect();
            sql.push_str(&format!("({})", marks.join(", ")));
            params.extend([
                Param::Text(a.id.to_string()),
                Param::Text(a.integration_id.to_string()),
                Param::Text(a.incident_id.to_string()),
                Param::Text(a.dedup_key.clone()),
                Param::Text(a.status.as_str().into()),
                Param::OptText(a.group_key.clone()),
                Param::Int(a.first_seen_at),
                Param::Text(json_text(a)?),
            ]);
        }
        sql.push_str(
            " ON CONFLICT (id) DO UPDATE SET incident_id = excluded.incident_id, \
             status = excluded.status, group_key = excluded.group_key, doc = excluded.doc",
        );
        bind_params(sqlx::query(AssertSqlSafe(sql)), params)
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
    }
    Ok(())
}

/// Commits what processing a batch derived and consumes its entries, in one transaction
/// (without waiting for its own flush where the dialect allows it: see
/// `dialect::DERIVED_COMMIT_RELAXED`).
pub(crate) async fn commit_intake(s: &SqlStore, c: IntakeCommit) -> StoreResult<()> {
    let consumed_through = c.consumed.iter().max().copied();
    let mut conn = s.write.acquire().await.map_err(backend)?;
    let result = match dialect::DERIVED_COMMIT_RELAXED {
        None => write_commit(&mut conn, c).await,
        Some((relaxed, restored)) => {
            sqlx::query(relaxed)
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
            let result = write_commit(&mut conn, c).await;
            if sqlx::query(restored).execute(&mut *conn).await.is_err() {
                // Never hand a relaxed connection back to the pool.
                let _ = conn.detach();
            }
            result
        }
    };
    drop_consumed(s, result.is_ok().then_some(consumed_through).flatten()).await;
    result
}

/// Where the log has a database of its own, processed entries leave it once the processing is
/// committed (durably), a few thousand at a time so that trimming rarely takes the log's writer
/// from the appends. Failing here loses nothing: the cursor already skips them, and a later
/// commit (or the next start) deletes them.
async fn drop_consumed(s: &SqlStore, through: Option<i64>) {
    use std::sync::atomic::Ordering;
    const TRIM_EVERY: i64 = 5_000;
    let Some(through) = through.filter(|_| dialect::LOG_IN_OWN_DATABASE) else {
        return;
    };
    if through - s.log_trimmed.load(Ordering::Relaxed) < TRIM_EVERY {
        return;
    }
    s.log_trimmed.fetch_max(through, Ordering::Relaxed);
    let deleted = sqlx::query("DELETE FROM intake_log WHERE seq <= $1")
        .bind(through)
        .execute(&s.log_write)
        .await;
    if let Err(e) = deleted {
        tracing::warn!(error = %e, "removing processed entries from the intake log failed");
    }
}

/// Marks the entries consumed inside the processing transaction; a `Conflict` when another
/// processor got (some of) them first.
async fn consume(tx: &mut sqlx::Transaction<'_, Db>, seqs: &[i64]) -> StoreResult<()> {
    let (Some(first), Some(last)) = (seqs.iter().min(), seqs.iter().max()) else {
        return Ok(());
    };
    if dialect::LOG_IN_OWN_DATABASE {
        // Entries are read in order and a batch takes all it read: move the cursor over them.
        let moved = sqlx::query("UPDATE intake_cursor SET seq = $1 WHERE id = 1 AND seq < $2")
            .bind(*last)
            .bind(*first)
            .execute(&mut **tx)
            .await
            .map_err(backend)?
            .rows_affected();
        return if moved == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict { expected: 0 })
        };
    }
    let mut consumed = 0u64;
    for chunk in seqs.chunks(500) {
        let marks: Vec<String> = (1..=chunk.len()).map(dialect::mark).collect();
        let sql = format!("DELETE FROM intake_log WHERE seq IN ({})", marks.join(", "));
        let params = chunk.iter().map(|seq| Param::Int(*seq)).collect();
        consumed += bind_params(sqlx::query(AssertSqlSafe(sql)), params)
            .execute(&mut **tx)
            .await
            .map_err(backend)?
            .rows_affected();
    }
    if consumed != seqs.len() as u64 {
        // Another node processed some of these entries first: nothing here may be written.
        return Err(StoreError::Conflict { expected: 0 });
    }
    Ok(())
}

async fn write_commit(
    conn: &mut sqlx::pool::PoolConnection<Db>,
    c: IntakeCommit,
) -> StoreResult<()> {
    use sqlx::Connection;
    let mut tx = conn.begin().await.map_err(backend)?;
    dialect::lock_intake(&mut tx).await?;
    consume(&mut tx, &c.consumed).await?;
    insert_incidents(&mut tx, c.new_incidents).await?;
    // In incident order, like every batch that writes several incidents (see
    // `paging_sql::complete_timers`), so two such transactions never wait for each other.
    let mut writes: Vec<&IncidentWrite> = c.incident_writes.iter().collect();
    writes.sort_by_key(|w| w.incident.id);
    for w in writes {
        write_incident(&mut tx, w).await?;
    }
    paging_sql::apply_effects(&mut tx, &c.effects).await?;
    // Resolved ones first: a resolved alert and its successor may share a key.
    let (resolved, open): (Vec<Alert>, Vec<Alert>) = c
        .alerts
        .into_iter()
        .partition(|a| a.status == mayday_core::alert::AlertStatus::Resolved);
    upsert_alerts(&mut tx, &resolved).await?;
    upsert_alerts(&mut tx, &open).await?;
    for ch in &c.changes {
        sqlx::query(
            "INSERT INTO change_events (id, service_id, integration_id, received_at, doc) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(ch.id.to_string())
        .bind(ch.service_id.to_string())
        .bind(ch.integration_id.to_string())
        .bind(ch.received_at)
        .bind(json_text(&ch.change)?)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    }
    for (id, at) in &c.integration_seen {
        sqlx::query(
            "UPDATE integrations SET last_event_at = $1 WHERE id = $2 \
             AND (last_event_at IS NULL OR last_event_at < $1)",
        )
        .bind(*at)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    }
    tx.commit().await.map_err(backend)
}

pub(crate) async fn open_alert(
    s: &SqlStore,
    integration_id: Uuid,
    dedup_key: &str,
) -> StoreResult<Option<Alert>> {
    let row = sqlx::query(
        "SELECT doc FROM alerts WHERE integration_id = $1 AND dedup_key = $2 \
         AND status <> 'resolved'",
    )
    .bind(integration_id.to_string())
    .bind(dedup_key)
    .fetch_optional(&s.read)
    .await
    .map_err(backend)?;
    row.as_ref().map(alert_from_row).transpose()
}

pub(crate) async fn open_alerts(
    s: &SqlStore,
    integration_id: Uuid,
    dedup_keys: &[String],
) -> StoreResult<Vec<Alert>> {
    let mut out = Vec::new();
    for chunk in dedup_keys.chunks(500) {
        for doc in dialect::open_alert_docs(&s.read, integration_id, chunk).await? {
            out.push(serde_json::from_str(&doc).map_err(|e| corrupt("alert", e))?);
        }
    }
    Ok(out)
}

pub(crate) async fn get_alert(s: &SqlStore, id: Uuid) -> StoreResult<Option<Alert>> {
    let row = sqlx::query("SELECT doc FROM alerts WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&s.read)
        .await
        .map_err(backend)?;
    row.as_ref().map(alert_from_row).transpose()
}

pub(crate) async fn incident_alerts(s: &SqlStore, incident_id: Uuid) -> StoreResult<Vec<Alert>> {
    let rows =
        sqlx::query("SELECT doc FROM alerts WHERE incident_id = $1 ORDER BY first_seen_at, id")
            .bind(incident_id.to_string())
            .fetch_all(&s.read)
            .await
            .map_err(backend)?;
    rows.iter().map(alert_from_row).collect()
}

pub(crate) async fn group_incident(
    s: &SqlStore,
    integration_id: Uuid,
    group_key: &str,
    since: Millis,
) -> StoreResult<Option<(Uuid, Millis)>> {
    // The window counts from each incident's first alert of the group.
    let row = sqlx::query(
        "SELECT alerts.incident_id, MIN(alerts.first_seen_at) AS first_at FROM alerts \
         JOIN incidents ON incidents.id = alerts.incident_id \
         WHERE alerts.integration_id = $1 AND alerts.group_key = $2 \
         AND incidents.status IN ('new', 'acknowledged', 'in_progress', 'on_hold') \
         GROUP BY alerts.incident_id HAVING MIN(alerts.first_seen_at) >= $3 \
         ORDER BY first_at DESC LIMIT 1",
    )
    .bind(integration_id.to_string())
    .bind(group_key)
    .bind(since)
    .fetch_optional(&s.read)
    .await
    .map_err(backend)?;
    match row {
        Some(r) => {
            let id: String = r.try_get(0).map_err(backend)?;
            Ok(Some((parse_uuid(&id)?, r.try_get(1).map_err(backend)?)))
        }
        None => Ok(None),
    }
}

pub(crate) async fn service_changes(
    s: &SqlStore,
    service_id: Uuid,
    limit: i64,
) -> StoreResult<Vec<StoredChange>> {
    let rows = sqlx::query(
        "SELECT id, integration_id, received_at, doc FROM change_events WHERE service_id = $1 \
         ORDER BY received_at DESC, id DESC LIMIT $2",
    )
    .bind(service_id.to_string())
    .bind(limit)
    .fetch_all(&s.read)
    .await
    .map_err(backend)?;
    rows.iter()
        .map(|row| {
            let id: String = row.try_get(0).map_err(backend)?;
            let integration_id: String = row.try_get(1).map_err(backend)?;
            let doc: String = row.try_get(3).map_err(backend)?;
            Ok(StoredChange {
                id: parse_uuid(&id)?,
                service_id,
                integration_id: parse_uuid(&integration_id)?,
                received_at: row.try_get(2).map_err(backend)?,
                change: serde_json::from_str(&doc).map_err(|e| corrupt("change event", e))?,
            })
        })
        .collect()
}
