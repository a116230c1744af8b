//! The SQL of paging, shared by both engines like `common.rs` (compiled into each engine crate
//! as its `paging_sql` module): durable timers, the notification outbox, single-use action
//! links, calendar-feed tokens, and the effects a write arms, cancels and queues in its own
//! transaction ([`apply_effects`]).
//!
//! Timers and messages are claimed by workers: a claim sets the row's `claim` (a token fresh
//! for each call) and `claimed_until` (the end of the lease; 0 when not claimed). Only the
//! holder of the claim completes the row; once the lease has ended, another worker may claim
//! it again, and the first one's completion then fails.

use mayday_core::clock::Millis;
use mayday_core::timeline::Event;
use mayday_store::{
    ActionLink, Attempt, AttemptRecord, Effects, IncidentWrite, MessageQuery, MessageStatus,
    NewTimer, OutboxMessage, StoreError, StoreResult, StoredMessage, Timer, TimerDone, json_text,
};
use sqlx::{AssertSqlSafe, Row};
use uuid::Uuid;

use super::common::{
    Param, SqlStore, backend, bind_params, changes_search_text, incident_doc, insert_events,
    parse_uuid, write_incident,
};
use super::{Db, dialect};

const TIMER_COLUMNS: &str = "id, incident_id, kind, due_at, payload, created_at";

const MESSAGE_COLUMNS: &str = "id, incident_id, user_id, channel, event, page, due_at, payload, \
     created_at, status, attempts, next_attempt_at, last_error, sent_at";

const LINK_COLUMNS: &str =
    "token_hash, incident_id, user_id, action, created_at, expires_at, used_at";

/// Most parameters one multi-row insert binds.
const PARAMS_PER_STATEMENT: usize = 1_000;

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("corrupt {what}: {e}"))
}

/// A completion or attempt whose claim is gone (cancelled, or taken over after its lease).
fn claim_lost() -> StoreError {
    StoreError::Conflict { expected: 0 }
}

fn optional_uuid(s: Option<String>) -> StoreResult<Option<Uuid>> {
    s.as_deref().map(parse_uuid).transpose()
}

fn json_column(what: &str, text: &str) -> StoreResult<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| corrupt(what, e))
}

/// A timer row ([`TIMER_COLUMNS`]) held under `claim`.
fn timer_from_row(row: &<Db as sqlx::Database>::Row, claim: Uuid) -> StoreResult<Timer> {
    let id: String = row.try_get(0).map_err(backend)?;
    let payload: String = row.try_get(4).map_err(backend)?;
    Ok(Timer {
        id: parse_uuid(&id)?,
        incident_id: optional_uuid(row.try_get(1).map_err(backend)?)?,
        kind: row.try_get(2).map_err(backend)?,
        due_at: row.try_get(3).map_err(backend)?,
        payload: json_column("timer payload", &payload)?,
        created_at: row.try_get(5).map_err(backend)?,
        claim,
    })
}

/// A message row ([`MESSAGE_COLUMNS`]) held under `claim`.
fn message_from_row(row: &<Db as sqlx::Database>::Row, claim: Uuid) -> StoreResult<StoredMessage> {
    let id: String = row.try_get(0).map_err(backend)?;
    let payload: String = row.try_get(7).map_err(backend)?;
    let status: String = row.try_get(9).map_err(backend)?;
    Ok(StoredMessage {
        message: OutboxMessage {
            id: parse_uuid(&id)?,
            incident_id: optional_uuid(row.try_get(1).map_err(backend)?)?,
            user_id: optional_uuid(row.try_get(2).map_err(backend)?)?,
            channel: row.try_get(3).map_err(backend)?,
            event: row.try_get(4).map_err(backend)?,
            page: row.try_get(5).map_err(backend)?,
            due_at: row.try_get(6).map_err(backend)?,
            payload: json_column("message payload", &payload)?,
            created_at: row.try_get(8).map_err(backend)?,
        },
        status: MessageStatus::parse(&status)
            .ok_or_else(|| corrupt("message status", format!("{status:?}")))?,
        attempts: row.try_get(10).map_err(backend)?,
        next_attempt_at: row.try_get(11).map_err(backend)?,
        last_error: row.try_get(12).map_err(backend)?,
        sent_at: row.try_get(13).map_err(backend)?,
        claim,
    })
}

fn link_from_row(row: &<Db as sqlx::Database>::Row) -> StoreResult<ActionLink> {
    let incident_id: String = row.try_get(1).map_err(backend)?;
    let user_id: String = row.try_get(2).map_err(backend)?;
    Ok(ActionLink {
        token_hash: row.try_get(0).map_err(backend)?,
        incident_id: parse_uuid(&incident_id)?,
        user_id: parse_uuid(&user_id)?,
        action: row.try_get(3).map_err(backend)?,
        created_at: row.try_get(4).map_err(backend)?,
        expires_at: row.try_get(5).map_err(backend)?,
        used_at: row.try_get(6).map_err(backend)?,
    })
}

/// Inserts rows of `width` values each (`params`, row after row) with `head`
/// (`INSERT INTO t (columns) VALUES `), as many rows per statement as fit
/// [`PARAMS_PER_STATEMENT`].
async fn insert_rows(
    tx: &mut sqlx::Transaction<'_, Db>,
    head: &str,
    width: usize,
    mut params: Vec<Param>,
) -> StoreResult<()> {
    let per_statement = (PARAMS_PER_STATEMENT / width).max(1) * width;
    while !params.is_empty() {
        let rest = params.split_off(params.len().min(per_statement));
        let rows = params.len() / width;
        let mut sql = String::from(head);
        for n in 0..rows {
            if n > 0 {
                sql.push_str(", ");
            }
            let marks: Vec<String> = (1..=width).map(|k| dialect::mark(n * width + k)).collect();
            sql.push_str(&format!("({})", marks.join(", ")));
        }
        bind_params(sqlx::query(AssertSqlSafe(sql)), params)
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        params = rest;
    }
    Ok(())
}

async fn insert_timers(tx: &mut sqlx::Transaction<'_, Db>, timers: &[NewTimer]) -> StoreResult<()> {
    let mut params = Vec::with_capacity(timers.len() * 6);
    for t in timers {
        params.extend([
            Param::Text(t.id.to_string()),
            Param::OptText(t.incident_id.map(|u| u.to_string())),
            Param::Text(t.kind.clone()),
            Param::Int(t.due_at),
            Param::Text(json_text(&t.payload)?),
            Param::Int(t.created_at),
        ]);
    }
    let head = format!("INSERT INTO timers ({TIMER_COLUMNS}) VALUES ");
    insert_rows(tx, &head, 6, params).await
}

/// Queues messages: pending, never tried, first attempt at their due time.
async fn insert_messages(
    tx: &mut sqlx::Transaction<'_, Db>,
    messages: &[OutboxMessage],
) -> StoreResult<()> {
    let mut params = Vec::with_capacity(messages.len() * 12);
    for m in messages {
        params.extend([
            Param::Text(m.id.to_string()),
            Param::OptText(m.incident_id.map(|u| u.to_string())),
            Param::OptText(m.user_id.map(|u| u.to_string())),
            Param::Text(m.channel.clone()),
            Param::Text(m.event.clone()),
            Param::Bool(m.page),
            Param::Int(m.due_at),
            Param::Text(json_text(&m.payload)?),
            Param::Int(m.created_at),
            Param::Text(MessageStatus::Pending.as_str().into()),
            Param::Int(0),
            Param::Int(m.due_at),
        ]);
    }
    let head = "INSERT INTO outbox (id, incident_id, user_id, channel, event, page, due_at, \
                payload, created_at, status, attempts, next_attempt_at) VALUES ";
    insert_rows(tx, head, 12, params).await
}

async fn insert_links(tx: &mut sqlx::Transaction<'_, Db>, links: &[ActionLink]) -> StoreResult<()> {
    let mut params = Vec::with_capacity(links.len() * 7);
    for l in links {
        params.extend([
            Param::Text(l.token_hash.clone()),
            Param::Text(l.incident_id.to_string()),
            Param::Text(l.user_id.to_string()),
            Param::Text(l.action.clone()),
            Param::Int(l.created_at),
            Param::Int(l.expires_at),
            Param::OptInt(l.used_at),
        ]);
    }
    let head = format!("INSERT INTO action_links ({LINK_COLUMNS}) VALUES ");
    insert_rows(tx, &head, 7, params).await
}

/// Applies what a write arms, cancels and queues, inside its transaction. Cancellations come
/// first, so a write that restarts an incident's escalation (cancel, then arm the same kind)
/// keeps its new timer. Cancelling deletes the timers even while a worker holds them: that
/// worker's completion then fails with a conflict.
pub(crate) async fn apply_effects(
    tx: &mut sqlx::Transaction<'_, Db>,
    fx: &Effects,
) -> StoreResult<()> {
    for (incident_id, kind) in &fx.cancel {
        sqlx::query("DELETE FROM timers WHERE incident_id = $1 AND kind = $2")
            .bind(incident_id.to_string())
            .bind(kind)
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
    }
    for (incident_id, at) in &fx.cancel_pages {
        // Only pages still waiting for their delayed rule: never tried, not yet due.
        sqlx::query(
            "UPDATE outbox SET status = 'canceled' WHERE incident_id = $1 AND page = TRUE \
             AND status = 'pending' AND attempts = 0 AND next_attempt_at > $2",
        )
        .bind(incident_id.to_string())
        .bind(*at)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    }
    insert_timers(tx, &fx.arm).await?;
    insert_messages(tx, &fx.messages).await?;
    insert_links(tx, &fx.links).await
}

pub(crate) async fn arm_timers(s: &SqlStore, timers: Vec<NewTimer>) -> StoreResult<()> {
    if timers.is_empty() {
        return Ok(());
    }
    let mut tx = s.write.begin().await.map_err(backend)?;
    insert_timers(&mut tx, &timers).await?;
    tx.commit().await.map_err(backend)
}

pub(crate) async fn claim_timers(
    s: &SqlStore,
    now: Millis,
    lease_ms: i64,
    limit: i64,
) -> StoreResult<Vec<Timer>> {
    let claim = Uuid::now_v7();
    let sql = format!(
        "WITH picked AS MATERIALIZED (SELECT id FROM timers WHERE due_at <= $3 \
         AND claimed_until <= $3 ORDER BY due_at LIMIT $4{}) \
         UPDATE timers SET claim = $1, claimed_until = $2 WHERE id IN (SELECT id FROM picked) \
         RETURNING {TIMER_COLUMNS}",
        dialect::CLAIM_LOCK
    );
    // Planned for each call: a plan cached while the table was small would stay in use as
    // it grows (PostgreSQL keeps a generic plan per prepared statement).
    let rows = sqlx::query(AssertSqlSafe(sql))
        .persistent(false)
        .bind(claim.to_string())
        .bind(now.saturating_add(lease_ms))
        .bind(now)
        .bind(limit)
        .fetch_all(&s.write)
        .await
        .map_err(backend)?;
    let mut timers = rows
        .iter()
        .map(|r| timer_from_row(r, claim))
        .collect::<StoreResult<Vec<_>>>()?;
    // RETURNING promises no order.
    timers.sort_by_key(|t| (t.due_at, t.id));
    Ok(timers)
}

/// Deletes a claimed timer; `false` when it is gone or held under another claim.
async fn delete_claimed(tx: &mut sqlx::Transaction<'_, Db>, d: &TimerDone) -> StoreResult<bool> {
    let deleted = sqlx::query("DELETE FROM timers WHERE id = $1 AND claim = $2")
        .bind(d.timer_id.to_string())
        .bind(d.claim.to_string())
        .execute(&mut **tx)
        .await
        .map_err(backend)?
        .rows_affected();
    Ok(deleted == 1)
}

/// Everything one fired timer changes except its incident write.
async fn complete_rest(tx: &mut sqlx::Transaction<'_, Db>, d: &TimerDone) -> StoreResult<()> {
    if !delete_claimed(tx, d).await? {
        return Err(claim_lost());
    }
    apply_effects(tx, &d.effects).await?;
    insert_events(tx, &d.events).await
}

/// Completes one fired timer inside the completion transaction: `Ok(Err(_))` when it conflicts
/// and changed nothing, `Err` when the engine failed (which fails the whole batch).
///
/// With a write, the incident row is written (and so locked) before the timer row is deleted:
/// the order every incident write takes (it cancels the incident's timers after writing it), so
/// an acknowledgement racing an escalation step waits or conflicts but never deadlocks.
async fn complete_one(
    tx: &mut sqlx::Transaction<'_, Db>,
    d: &TimerDone,
) -> StoreResult<StoreResult<()>> {
    use sqlx::Connection;
    let Some(write) = &d.write else {
        // A lost claim is found before anything is written: no savepoint needed.
        return match complete_rest(tx, d).await {
            Err(StoreError::Backend(e)) => Err(StoreError::Backend(e)),
            outcome => Ok(outcome),
        };
    };
    let mut savepoint = (**tx).begin().await.map_err(backend)?;
    let outcome = match write_incident(&mut savepoint, write).await {
        Ok(()) => complete_rest(&mut savepoint, d).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) => {
            savepoint.commit().await.map_err(backend)?;
            Ok(Ok(()))
        }
        Err(StoreError::Backend(e)) => Err(StoreError::Backend(e)),
        Err(e) => {
            savepoint.rollback().await.map_err(backend)?;
            Ok(Err(e))
        }
    }
}

/// Whether a batch can be written in a few multi-row statements: no cancellations (their
/// order against the batch's new timers would matter), at most one write per incident, and no
/// write that changes search text.
fn batchable(done: &[TimerDone]) -> bool {
    let plain = |fx: &Effects| fx.cancel.is_empty() && fx.cancel_pages.is_empty();
    let mut incidents = std::collections::HashSet::new();
    done.iter().all(|d| {
        plain(&d.effects)
            && d.write.as_ref().is_none_or(|w| {
                plain(&w.effects)
                    && !changes_search_text(&w.events)
                    && incidents.insert(w.incident.id)
            })
    })
}

/// Rows per statement of the batched incident update (13 parameters each).
const UPDATES_PER_STATEMENT: usize = 100;

/// Writes a whole batch of fired timers optimistically in one transaction and a few
/// statements: the incident updates (version-checked), the timers' removal (claim-checked),
/// then every event, new timer, message and link as multi-row inserts. `Ok(false)` when any
/// incident changed or any claim was lost meanwhile: nothing was written, and the caller
/// writes the batch item by item to find which.
async fn complete_batch(s: &SqlStore, done: &[TimerDone]) -> StoreResult<bool> {
    let mut tx = s.write.begin().await.map_err(backend)?;
    let mut writes: Vec<&IncidentWrite> = done.iter().filter_map(|d| d.write.as_ref()).collect();
    // Incident order, like every multi-incident write, so batches lock in the same order.
    writes.sort_by_key(|w| w.incident.id);
    for chunk in writes.chunks(UPDATES_PER_STATEMENT) {
        let mut params = Vec::with_capacity(chunk.len() * 13);
        let mut rows = Vec::with_capacity(chunk.len());
        for (n, w) in chunk.iter().enumerate() {
            let i = &w.incident;
            params.extend([
                Param::Text(i.id.to_string()),
                Param::Int(i.version),
                Param::Text(i.status.as_str().to_string()),
                Param::Int(i.priority.level() as i64),
                Param::Text(i.category.clone()),
                Param::OptText(i.service_id.map(|u| u.to_string())),
                Param::OptText(i.assignment_group_id.map(|u| u.to_string())),
                Param::OptText(i.assignee_id.map(|u| u.to_string())),
                Param::Text(i.reporter_id.to_string()),
                Param::Bool(i.confidential),
                Param::Int(i.updated_at),
                Param::Text(incident_doc(i)?),
                Param::Int(w.expected_version),
            ]);
            let marks: Vec<String> = (1..=13).map(|k| dialect::mark(n * 13 + k)).collect();
            rows.push(format!("({})", marks.join(", ")));
        }
        let sql = format!(
            "WITH v (id, version, status, priority, category, service_id, group_id, \
             assignee_id, reporter_id, confidential, updated_at, doc, expected) AS (VALUES {}) \
             UPDATE incidents SET version = v.version, status = v.status, \
             priority = v.priority, category = v.category, service_id = v.service_id, \
             group_id = v.group_id, assignee_id = v.assignee_id, reporter_id = v.reporter_id, \
             confidential = v.confidential, updated_at = v.updated_at, doc = v.doc \
             FROM v WHERE incidents.id = v.id AND incidents.version = v.expected",
            rows.join(", ")
        );
        let updated = bind_params(sqlx::query(AssertSqlSafe(sql)), params)
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected();
        if updated != chunk.len() as u64 {
            return Ok(false);
        }
    }
    let mut by_claim: std::collections::BTreeMap<Uuid, Vec<Uuid>> = Default::default();
    for d in done {
        by_claim.entry(d.claim).or_default().push(d.timer_id);
    }
    for (claim, ids) in by_claim {
        for chunk in ids.chunks(500) {
            let marks: Vec<String> = (2..=chunk.len() + 1).map(dialect::mark).collect();
            let sql = format!(
                "DELETE FROM timers WHERE claim = {} AND id IN ({})",
                dialect::mark(1),
                marks.join(", ")
            );
            let mut params = vec![Param::Text(claim.to_string())];
            params.extend(chunk.iter().map(|id| Param::Text(id.to_string())));
            let deleted = bind_params(sqlx::query(AssertSqlSafe(sql)), params)
                .execute(&mut *tx)
                .await
                .map_err(backend)?
                .rows_affected();
            if deleted != chunk.len() as u64 {
                return Ok(false);
            }
        }
    }
    let mut events: Vec<Event> = Vec::new();
    let mut fx = Effects::default();
    for d in done {
        let parts = d.write.iter().map(|w| (&w.events, &w.effects));
        for (evs, effects) in parts.chain([(&d.events, &d.effects)]) {
            events.extend(evs.iter().cloned());
            fx.arm.extend(effects.arm.iter().cloned());
            fx.messages.extend(effects.messages.iter().cloned());
            fx.links.extend(effects.links.iter().cloned());
        }
    }
    insert_events(&mut tx, &events).await?;
    apply_effects(&mut tx, &fx).await?;
    tx.commit().await.map_err(backend)?;
    Ok(true)
}

pub(crate) async fn complete_timers(
    s: &SqlStore,
    done: Vec<TimerDone>,
) -> StoreResult<Vec<StoreResult<()>>> {
    let mut results: Vec<StoreResult<()>> = done.iter().map(|_| Ok(())).collect();
    if done.is_empty() {
        return Ok(results);
    }
    // Lock order: the writes first, in incident order (like an intake commit, so concurrent
    // batches never wait for each other in a cycle), each incident before its timers (like any
    // incident write); the timers completed without a write last.
    let mut order: Vec<usize> = (0..done.len()).collect();
    order.sort_by_key(|&i| match &done[i].write {
        Some(w) => (false, w.incident.id),
        None => (true, Uuid::nil()),
    });
    if done.len() > 1 && batchable(&done) && complete_batch(s, &done).await.unwrap_or(false) {
        return Ok(results);
    }
    let mut tx = s.write.begin().await.map_err(backend)?;
    for i in order {
        results[i] = complete_one(&mut tx, &done[i]).await?;
    }
    tx.commit().await.map_err(backend)?;
    Ok(results)
}

pub(crate) async fn next_timer_due(s: &SqlStore) -> StoreResult<Option<Millis>> {
    sqlx::query("SELECT MIN(due_at) FROM timers")
        .fetch_one(&s.read)
        .await
        .map_err(backend)?
        .try_get(0)
        .map_err(backend)
}

pub(crate) async fn incident_timers(s: &SqlStore, incident_id: Uuid) -> StoreResult<Vec<Timer>> {
    let sql =
        format!("SELECT {TIMER_COLUMNS} FROM timers WHERE incident_id = $1 ORDER BY due_at, id");
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(incident_id.to_string())
        .fetch_all(&s.read)
        .await
        .map_err(backend)?;
    rows.iter()
        .map(|r| timer_from_row(r, Uuid::nil()))
        .collect()
}

pub(crate) async fn timer_count(s: &SqlStore) -> StoreResult<i64> {
    sqlx::query("SELECT COUNT(*) FROM timers")
        .fetch_one(&s.read)
        .await
        .map_err(backend)?
        .try_get(0)
        .map_err(backend)
}

pub(crate) async fn claim_messages(
    s: &SqlStore,
    now: Millis,
    lease_ms: i64,
    limit: i64,
) -> StoreResult<Vec<StoredMessage>> {
    let claim = Uuid::now_v7();
    let sql = format!(
        "WITH picked AS MATERIALIZED (SELECT id FROM outbox WHERE status = 'pending' \
         AND next_attempt_at <= $3 AND claimed_until <= $3 ORDER BY next_attempt_at \
         LIMIT $4{}) UPDATE outbox SET claim = $1, claimed_until = $2 \
         WHERE id IN (SELECT id FROM picked) RETURNING {MESSAGE_COLUMNS}",
        dialect::CLAIM_LOCK
    );
    // Planned for each call, as for timers.
    let rows = sqlx::query(AssertSqlSafe(sql))
        .persistent(false)
        .bind(claim.to_string())
        .bind(now.saturating_add(lease_ms))
        .bind(now)
        .bind(limit)
        .fetch_all(&s.write)
        .await
        .map_err(backend)?;
    let mut messages = rows
        .iter()
        .map(|r| message_from_row(r, claim))
        .collect::<StoreResult<Vec<_>>>()?;
    // RETURNING promises no order.
    messages.sort_by_key(|m| (m.next_attempt_at, m.message.id));
    Ok(messages)
}

pub(crate) async fn record_attempts(
    s: &SqlStore,
    attempts: Vec<AttemptRecord>,
) -> StoreResult<Vec<bool>> {
    let mut tx = s.write.begin().await.map_err(backend)?;
    let mut done = Vec::with_capacity(attempts.len());
    let mut events = Vec::new();
    for r in attempts {
        let query = match &r.attempt {
            Attempt::Sent { at } => sqlx::query(
                "UPDATE outbox SET status = 'sent', sent_at = $1, attempts = attempts + 1, \
                 claim = NULL, claimed_until = 0 WHERE id = $2 AND claim = $3",
            )
            .bind(*at),
            Attempt::Failed {
                error,
                retry_at: Some(retry_at),
                ..
            } => sqlx::query(
                "UPDATE outbox SET attempts = attempts + 1, last_error = $1, \
                 next_attempt_at = $2, claim = NULL, claimed_until = 0 \
                 WHERE id = $3 AND claim = $4",
            )
            .bind(error.as_str())
            .bind(*retry_at),
            Attempt::Failed {
                error,
                retry_at: None,
                ..
            } => sqlx::query(
                "UPDATE outbox SET status = 'dead', attempts = attempts + 1, last_error = $1, \
                 claim = NULL, claimed_until = 0 WHERE id = $2 AND claim = $3",
            )
            .bind(error.as_str()),
        };
        let updated = query
            .bind(r.id.to_string())
            .bind(r.claim.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected();
        // Not updated: another worker took the message over; its attempt is the one that
        // counts, and this one's events are not written.
        if updated > 0 {
            events.extend(r.events);
        }
        done.push(updated > 0);
    }
    insert_events(&mut tx, &events).await?;
    tx.commit().await.map_err(backend)?;
    Ok(done)
}

pub(crate) async fn list_messages(
    s: &SqlStore,
    q: &MessageQuery,
) -> StoreResult<Vec<StoredMessage>> {
    let mut sql = format!("SELECT {MESSAGE_COLUMNS} FROM outbox WHERE TRUE");
    let mut params = Vec::new();
    if let Some(id) = q.incident_id {
        params.push(Param::Text(id.to_string()));
        sql.push_str(&format!(" AND incident_id = ${}", params.len()));
    }
    if let Some(status) = q.status {
        params.push(Param::Text(status.as_str().into()));
        sql.push_str(&format!(" AND status = ${}", params.len()));
    }
    params.push(Param::Int(q.limit.max(0)));
    sql.push_str(&format!(
        " ORDER BY created_at DESC, id DESC LIMIT ${}",
        params.len()
    ));
    let rows = bind_params(sqlx::query(AssertSqlSafe(sql)), params)
        .fetch_all(&s.read)
        .await
        .map_err(backend)?;
    rows.iter()
        .map(|r| message_from_row(r, Uuid::nil()))
        .collect()
}

pub(crate) async fn get_message(s: &SqlStore, id: Uuid) -> StoreResult<Option<StoredMessage>> {
    let sql = format!("SELECT {MESSAGE_COLUMNS} FROM outbox WHERE id = $1");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(id.to_string())
        .fetch_optional(&s.read)
        .await
        .map_err(backend)?;
    row.as_ref()
        .map(|r| message_from_row(r, Uuid::nil()))
        .transpose()
}

pub(crate) async fn requeue_message(s: &SqlStore, id: Uuid, now: Millis) -> StoreResult<bool> {
    let updated = sqlx::query(
        "UPDATE outbox SET status = 'pending', next_attempt_at = $1, claim = NULL, \
         claimed_until = 0 WHERE id = $2 AND status = 'dead'",
    )
    .bind(now)
    .bind(id.to_string())
    .execute(&s.write)
    .await
    .map_err(backend)?
    .rows_affected();
    Ok(updated == 1)
}

pub(crate) async fn paged_users(s: &SqlStore, incident_id: Uuid) -> StoreResult<Vec<Uuid>> {
    let rows = sqlx::query(
        "SELECT user_id, MIN(created_at) AS first_at, MIN(id) AS first_id FROM outbox \
         WHERE incident_id = $1 AND user_id IS NOT NULL GROUP BY user_id \
         ORDER BY first_at, first_id",
    )
    .bind(incident_id.to_string())
    .fetch_all(&s.read)
    .await
    .map_err(backend)?;
    rows.iter()
        .map(|r| parse_uuid(&r.try_get::<String, _>(0).map_err(backend)?))
        .collect()
}

pub(crate) async fn append_events(s: &SqlStore, events: Vec<Event>) -> StoreResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let mut tx = s.write.begin().await.map_err(backend)?;
    insert_events(&mut tx, &events).await?;
    tx.commit().await.map_err(backend)
}

pub(crate) async fn get_action_link(
    s: &SqlStore,
    token_hash: &str,
) -> StoreResult<Option<ActionLink>> {
    let sql = format!("SELECT {LINK_COLUMNS} FROM action_links WHERE token_hash = $1");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(token_hash)
        .fetch_optional(&s.read)
        .await
        .map_err(backend)?;
    row.as_ref().map(link_from_row).transpose()
}

/// Marks the link used and applies `write` in one transaction; `false` (nothing written) when
/// it was used already. A failed write (a conflict) leaves the link unused.
pub(crate) async fn use_action_link(
    s: &SqlStore,
    token_hash: &str,
    now: Millis,
    write: IncidentWrite,
) -> StoreResult<bool> {
    let mut tx = s.write.begin().await.map_err(backend)?;
    let used = sqlx::query(
        "UPDATE action_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
    )
    .bind(now)
    .bind(token_hash)
    .execute(&mut *tx)
    .await
    .map_err(backend)?
    .rows_affected();
    if used == 0 {
        tx.rollback().await.map_err(backend)?;
        return Ok(false);
    }
    write_incident(&mut tx, &write).await?;
    tx.commit().await.map_err(backend)?;
    Ok(true)
}

pub(crate) async fn set_calendar_token(
    s: &SqlStore,
    user_id: Uuid,
    token_hash: &str,
    at: Millis,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO calendar_tokens (user_id, token_hash, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, \
         created_at = excluded.created_at",
    )
    .bind(user_id.to_string())
    .bind(token_hash)
    .bind(at)
    .execute(&s.write)
    .await
    .map_err(backend)?;
    Ok(())
}

pub(crate) async fn calendar_token_user(
    s: &SqlStore,
    token_hash: &str,
) -> StoreResult<Option<Uuid>> {
    let row = sqlx::query("SELECT user_id FROM calendar_tokens WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(&s.read)
        .await
        .map_err(backend)?;
    row.map(|r| parse_uuid(&r.try_get::<String, _>(0).map_err(backend)?))
        .transpose()
}
