//! The SQL both engines share. This file is compiled into each engine crate as its `common`
//! module (`#[path]`), against that crate's `Db` type and `dialect` module, which supply what
//! differs between engines: full-text indexing and matching. Both engines accept `$N` parameters,
//! so the statements here are written once.

use async_trait::async_trait;
use mayday_core::Incident;
use mayday_core::alert::Alert;
use mayday_core::clock::Millis;
use mayday_core::search_text::{self, Term};
use mayday_core::timeline::{Event, EventKind, Visibility};
use mayday_store::{
    ActionLink, ApiToken, AttemptRecord, Cursor, Effects, Entity, EntityKind, IdempotencyClaim,
    IncidentPage, IncidentQuery, IncidentRef, IncidentWrite, IntakeCommit, IntakeEntry,
    Integration, MessageQuery, NewIntakeEntry, NewTimer, Store, StoreError, StoreInfo, StoreResult,
    StoredChange, StoredMessage, Timer, TimerDone, name_key,
};
use sqlx::{AssertSqlSafe, Pool, Row};
use uuid::Uuid;

use super::{Db, dialect, intake_sql, paging_sql};

/// One engine's pools: writes go through `write` (a single connection on SQLite, so writers
/// queue instead of failing busy), reads through `read`.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pub(crate) write: Pool<Db>,
    pub(crate) read: Pool<Db>,
    /// Where the intake log is appended and read: the same pools on PostgreSQL, a database
    /// file of its own on SQLite (see `dialect::LOG_IN_OWN_DATABASE`).
    pub(crate) log_write: Pool<Db>,
    pub(crate) log_read: Pool<Db>,
    /// Where the log has a database of its own: the entries up to here have been deleted.
    pub(crate) log_trimmed: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

pub(crate) fn backend(e: sqlx::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// A value bound to a dynamically built statement.
#[derive(Clone)]
pub(crate) enum Param {
    Text(String),
    Int(i64),
    OptText(Option<String>),
    OptInt(Option<i64>),
    Bool(bool),
}

fn uuid_text(id: Option<Uuid>) -> Option<String> {
    id.map(|u| u.to_string())
}

pub(crate) fn parse_uuid(s: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(s).map_err(|e| StoreError::Backend(format!("corrupt id {s:?}: {e}")))
}

fn incident_from_row(row: &<Db as sqlx::Database>::Row) -> StoreResult<Incident> {
    let number: i64 = row.try_get(0).map_err(backend)?;
    let version: i64 = row.try_get(1).map_err(backend)?;
    let doc: String = row.try_get(2).map_err(backend)?;
    let mut inc: Incident = serde_json::from_str(&doc)
        .map_err(|e| StoreError::Backend(format!("corrupt incident {number}: {e}")))?;
    inc.number = number;
    inc.version = version;
    Ok(inc)
}

fn event_from_row(row: &<Db as sqlx::Database>::Row) -> StoreResult<Event> {
    let seq: i64 = row.try_get(0).map_err(backend)?;
    let doc: String = row.try_get(1).map_err(backend)?;
    let mut ev: Event = serde_json::from_str(&doc)
        .map_err(|e| StoreError::Backend(format!("corrupt event {seq}: {e}")))?;
    ev.seq = seq;
    Ok(ev)
}

fn entity_from_row(kind: EntityKind, row: &<Db as sqlx::Database>::Row) -> StoreResult<Entity> {
    let id: String = row.try_get(0).map_err(backend)?;
    let doc: String = row.try_get(3).map_err(backend)?;
    Ok(Entity {
        kind,
        id: parse_uuid(&id)?,
        name: row.try_get(1).map_err(backend)?,
        version: row.try_get(2).map_err(backend)?,
        doc: serde_json::from_str(&doc)
            .map_err(|e| StoreError::Backend(format!("corrupt {} {id}: {e}", kind.as_str())))?,
        created_at: row.try_get(4).map_err(backend)?,
        updated_at: row.try_get(5).map_err(backend)?,
    })
}

fn token_from_row(row: &<Db as sqlx::Database>::Row) -> StoreResult<ApiToken> {
    let id: String = row.try_get(0).map_err(backend)?;
    let user_id: String = row.try_get(1).map_err(backend)?;
    Ok(ApiToken {
        id: parse_uuid(&id)?,
        user_id: parse_uuid(&user_id)?,
        name: row.try_get(2).map_err(backend)?,
        created_at: row.try_get(3).map_err(backend)?,
        expires_at: row.try_get(4).map_err(backend)?,
        last_used_at: row.try_get(5).map_err(backend)?,
    })
}

pub(crate) fn incident_doc(i: &Incident) -> StoreResult<String> {
    serde_json::to_string(i).map_err(|e| StoreError::Backend(e.to_string()))
}

pub(crate) async fn insert_events(
    tx: &mut sqlx::Transaction<'_, Db>,
    events: &[Event],
) -> StoreResult<()> {
    // One statement per 100 events (5 parameters each).
    for chunk in events.chunks(100) {
        let mut sql = String::from(
            "INSERT INTO incident_events (incident_id, at, kind, visibility, doc) VALUES ",
        );
        let mut params = Vec::with_capacity(chunk.len() * 5);
        for (i, ev) in chunk.iter().enumerate() {
            let doc = serde_json::to_string(ev).map_err(|e| StoreError::Backend(e.to_string()))?;
            let kind = serde_json::to_value(ev.kind)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default();
            let b = i * 5;
            if i > 0 {
                sql.push_str(", ");
            }
            let marks: Vec<String> = (1..=5).map(|k| dialect::mark(b + k)).collect();
            sql.push_str(&format!("({})", marks.join(", ")));
            params.push(Param::Text(ev.incident_id.to_string()));
            params.push(Param::Int(ev.at));
            params.push(Param::Text(kind));
            params.push(Param::Text(ev.visibility.as_str().to_string()));
            params.push(Param::Text(doc));
        }
        bind_params(sqlx::query(AssertSqlSafe(sql)), params)
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
    }
    Ok(())
}

/// The public and full search texts of an incident: title and description, then its comments
/// (public ones in both, work notes only in the full one), as stemmed tokens.
fn search_texts(inc: &Incident, comments: &[(Visibility, String)]) -> (String, String) {
    let mut public = vec![inc.title.as_str(), inc.description.as_str()];
    let mut notes = Vec::new();
    for (vis, body) in comments {
        match vis {
            Visibility::Public => public.push(body),
            Visibility::WorkNote => notes.push(body.as_str()),
        }
    }
    let public_tokens = search_text::index_text(&public);
    let note_tokens = search_text::index_text(&notes);
    let all_tokens = if note_tokens.is_empty() {
        public_tokens.clone()
    } else {
        format!("{public_tokens} {note_tokens}")
    };
    (public_tokens, all_tokens)
}

/// Rebuilds the incident's search text when its title, description or comments changed.
/// Whether a write with these events changes the incident's search text (a comment, a new
/// title or description).
pub(crate) fn changes_search_text(events: &[Event]) -> bool {
    events.iter().any(|e| {
        e.kind == EventKind::Comment
            || e.changes
                .iter()
                .any(|c| c.field == "title" || c.field == "description")
    })
}

async fn reindex(
    tx: &mut sqlx::Transaction<'_, Db>,
    inc: &Incident,
    events: &[Event],
) -> StoreResult<()> {
    if !changes_search_text(events) {
        return Ok(());
    }
    let rows = sqlx::query(
        "SELECT visibility, doc FROM incident_events WHERE incident_id = $1 AND kind = 'comment' ORDER BY seq",
    )
    .bind(inc.id.to_string())
    .fetch_all(&mut **tx)
    .await
    .map_err(backend)?;
    let mut comments = Vec::with_capacity(rows.len());
    for row in rows {
        let doc: String = row.try_get(1).map_err(backend)?;
        let ev: Event =
            serde_json::from_str(&doc).map_err(|e| StoreError::Backend(e.to_string()))?;
        comments.push((ev.visibility, ev.body.unwrap_or_default()));
    }
    let (public, all) = search_texts(inc, &comments);
    dialect::update_search_index(tx, inc.number, &public, &all).await
}

pub(crate) async fn write_incident(
    tx: &mut sqlx::Transaction<'_, Db>,
    w: &IncidentWrite,
) -> StoreResult<()> {
    let i = &w.incident;
    let query = sqlx::query(
        "UPDATE incidents SET version = $1, status = $2, priority = $3, category = $4, \
         service_id = $5, group_id = $6, assignee_id = $7, reporter_id = $8, confidential = $9, \
         updated_at = $10, doc = $11 WHERE id = $12 AND version = $13",
    )
    .bind(i.version);
    let res = bind_filter_columns(query, i)
        .bind(i.updated_at)
        .bind(incident_doc(i)?)
        .bind(i.id.to_string())
        .bind(w.expected_version)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    if res.rows_affected() == 0 {
        let exists = sqlx::query("SELECT 1 FROM incidents WHERE id = $1")
            .bind(i.id.to_string())
            .fetch_optional(&mut **tx)
            .await
            .map_err(backend)?;
        return Err(if exists.is_some() {
            StoreError::Conflict {
                expected: w.expected_version,
            }
        } else {
            StoreError::NotFound
        });
    }
    insert_events(tx, &w.events).await?;
    reindex(tx, i, &w.events).await?;
    paging_sql::apply_effects(tx, &w.effects).await
}

/// Binds the columns lists filter on, in table order: status, priority, category, service,
/// group, assignee, reporter, confidential.
fn bind_filter_columns<'q>(
    query: sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments>,
    i: &'q Incident,
) -> sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments> {
    query
        .bind(i.status.as_str())
        .bind(i.priority.level() as i64)
        .bind(&i.category)
        .bind(uuid_text(i.service_id))
        .bind(uuid_text(i.assignment_group_id))
        .bind(uuid_text(i.assignee_id))
        .bind(i.reporter_id.to_string())
        .bind(i.confidential)
}

/// Inserts a new incident with its events and search text; the store assigns its number.
pub(crate) async fn insert_incident(
    tx: &mut sqlx::Transaction<'_, Db>,
    mut incident: Incident,
    events: &[Event],
) -> StoreResult<Incident> {
    let comments: Vec<(Visibility, String)> = events
        .iter()
        .filter(|e| e.kind == EventKind::Comment)
        .map(|e| (e.visibility, e.body.clone().unwrap_or_default()))
        .collect();
    let (public, all) = search_texts(&incident, &comments);
    let i = &incident;
    let query = sqlx::query(dialect::INSERT_INCIDENT)
        .bind(i.id.to_string())
        .bind(i.version);
    let query = bind_filter_columns(query, i)
        .bind(i.created_at)
        .bind(i.updated_at)
        .bind(incident_doc(i)?);
    incident.number = dialect::insert_incident_row(tx, query, &public, &all).await?;
    insert_events(tx, events).await?;
    Ok(incident)
}

/// Inserts many new incidents with their events and search texts, a few statements per 50
/// incidents; returns their numbers in the order given.
pub(crate) async fn insert_incidents(
    tx: &mut sqlx::Transaction<'_, Db>,
    batch: Vec<(Incident, Vec<Event>)>,
) -> StoreResult<Vec<i64>> {
    const CHUNK: usize = 50;
    let columns = dialect::INCIDENT_INSERT_COLUMNS;
    let per_row = columns.split(',').count();
    let mut numbers = Vec::with_capacity(batch.len());
    for chunk in batch.chunks(CHUNK) {
        let mut sql = format!("INSERT INTO incidents ({columns}) VALUES ");
        let mut params = Vec::with_capacity(chunk.len() * per_row);
        let mut texts = Vec::with_capacity(chunk.len());
        for (n, (i, events)) in chunk.iter().enumerate() {
            let comments: Vec<(Visibility, String)> = events
                .iter()
                .filter(|e| e.kind == EventKind::Comment)
                .map(|e| (e.visibility, e.body.clone().unwrap_or_default()))
                .collect();
            let (public, all) = search_texts(i, &comments);
            if n > 0 {
                sql.push_str(", ");
            }
            let marks: Vec<String> = (1..=per_row)
                .map(|k| dialect::incident_value_mark(k, n * per_row + k))
                .collect();
            sql.push_str(&format!("({})", marks.join(", ")));
            params.extend([
                Param::Text(i.id.to_string()),
                Param::Int(i.version),
                Param::Text(i.status.as_str().into()),
                Param::Int(i.priority.level() as i64),
                Param::Text(i.category.clone()),
                Param::OptText(uuid_text(i.service_id)),
                Param::OptText(uuid_text(i.assignment_group_id)),
                Param::OptText(uuid_text(i.assignee_id)),
                Param::Text(i.reporter_id.to_string()),
                Param::Bool(i.confidential),
                Param::Int(i.created_at),
                Param::Int(i.updated_at),
                Param::Text(incident_doc(i)?),
            ]);
            params.extend(dialect::search_row_values(&public, &all).map(Param::Text));
            texts.push((public, all));
        }
        sql.push_str(" RETURNING number, id");
        let rows = bind_params(sqlx::query(AssertSqlSafe(sql)), params)
            .fetch_all(&mut **tx)
            .await
            .map_err(backend)?;
        let mut by_id = std::collections::HashMap::with_capacity(rows.len());
        for row in rows {
            let number: i64 = row.try_get(0).map_err(backend)?;
            let id: String = row.try_get(1).map_err(backend)?;
            by_id.insert(id, number);
        }
        let mut chunk_numbers = Vec::with_capacity(chunk.len());
        for (i, _) in chunk {
            let number = by_id.get(&i.id.to_string()).copied().ok_or_else(|| {
                StoreError::Backend(format!("no number came back for incident {}", i.id))
            })?;
            chunk_numbers.push(number);
        }
        dialect::insert_search_rows(tx, &chunk_numbers, &texts).await?;
        let events: Vec<Event> = chunk.iter().flat_map(|(_, e)| e.iter().cloned()).collect();
        insert_events(tx, &events).await?;
        numbers.extend(chunk_numbers);
    }
    Ok(numbers)
}

/// Appends the WHERE conditions of a list query (without the cursor) to `sql`.
fn push_filters(q: &IncidentQuery, sql: &mut String, params: &mut Vec<Param>) {
    fn push_in(sql: &mut String, params: &mut Vec<Param>, column: &str, values: Vec<Param>) {
        if values.is_empty() {
            return;
        }
        let mut marks = Vec::new();
        for v in values {
            params.push(v);
            marks.push(format!("${}", params.len()));
        }
        sql.push_str(&format!(" AND {column} IN ({})", marks.join(", ")));
    }
    fn push_optional_ids(
        sql: &mut String,
        params: &mut Vec<Param>,
        column: &str,
        ids: &[Option<Uuid>],
    ) {
        if ids.is_empty() {
            return;
        }
        let mut parts = Vec::new();
        if ids.iter().any(Option::is_none) {
            parts.push(format!("{column} IS NULL"));
        }
        for id in ids.iter().flatten() {
            params.push(Param::Text(id.to_string()));
            parts.push(format!("{column} = ${}", params.len()));
        }
        sql.push_str(&format!(" AND ({})", parts.join(" OR ")));
    }
    push_in(
        sql,
        params,
        "status",
        q.statuses
            .iter()
            .map(|s| Param::Text(s.as_str().into()))
            .collect(),
    );
    push_in(
        sql,
        params,
        "priority",
        q.priorities
            .iter()
            .map(|p| Param::Int(p.level() as i64))
            .collect(),
    );
    push_in(
        sql,
        params,
        "category",
        q.categories
            .iter()
            .map(|c| Param::Text(c.clone()))
            .collect(),
    );
    push_in(
        sql,
        params,
        "service_id",
        q.services
            .iter()
            .map(|s| Param::Text(s.to_string()))
            .collect(),
    );
    push_optional_ids(sql, params, "assignee_id", &q.assignees);
    push_optional_ids(sql, params, "group_id", &q.groups);
    if let Some(r) = q.reporter {
        params.push(Param::Text(r.to_string()));
        sql.push_str(&format!(" AND reporter_id = ${}", params.len()));
    }
    if q.exclude_confidential {
        sql.push_str(" AND confidential = FALSE");
    }
    if let Some((terms, scope)) = &q.search {
        params.push(Param::Text(dialect::match_expression(terms, *scope)));
        sql.push_str(&format!(
            " AND {}",
            dialect::match_condition(*scope, params.len())
        ));
    }
}

pub(crate) fn bind_params<'q>(
    mut query: sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments>,
    params: Vec<Param>,
) -> sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments> {
    for p in params {
        query = match p {
            Param::Text(s) => query.bind(s),
            Param::Int(i) => query.bind(i),
            Param::OptText(s) => query.bind(s),
            Param::OptInt(i) => query.bind(i),
            Param::Bool(b) => query.bind(b),
        };
    }
    query
}

const ENTITY_COLUMNS: &str = "id, name, version, doc, created_at, updated_at";

#[async_trait]
impl Store for SqlStore {
    async fn info(&self) -> StoreResult<StoreInfo> {
        dialect::info(&self.read).await
    }

    async fn create_incident(
        &self,
        incident: Incident,
        events: Vec<Event>,
        effects: Effects,
        also: Option<IncidentWrite>,
    ) -> StoreResult<Incident> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let incident = insert_incident(&mut tx, incident, &events).await?;
        paging_sql::apply_effects(&mut tx, &effects).await?;
        if let Some(w) = &also {
            write_incident(&mut tx, w).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(incident)
    }

    async fn import_incidents(&self, batch: Vec<(Incident, Vec<Event>)>) -> StoreResult<Vec<i64>> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let numbers = insert_incidents(&mut tx, batch).await?;
        tx.commit().await.map_err(backend)?;
        Ok(numbers)
    }

    async fn analyze(&self) -> StoreResult<()> {
        sqlx::query("ANALYZE")
            .execute(&self.write)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn update_incident(&self, write: IncidentWrite) -> StoreResult<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        write_incident(&mut tx, &write).await?;
        tx.commit().await.map_err(backend)
    }

    async fn get_incident(&self, r: IncidentRef) -> StoreResult<Option<Incident>> {
        let row = match r {
            IncidentRef::Id(id) => {
                sqlx::query("SELECT number, version, doc FROM incidents WHERE id = $1")
                    .bind(id.to_string())
                    .fetch_optional(&self.read)
                    .await
            }
            IncidentRef::Number(n) => {
                sqlx::query("SELECT number, version, doc FROM incidents WHERE number = $1")
                    .bind(n)
                    .fetch_optional(&self.read)
                    .await
            }
        }
        .map_err(backend)?;
        row.as_ref().map(incident_from_row).transpose()
    }

    async fn get_incidents(&self, ids: &[Uuid]) -> StoreResult<Vec<Incident>> {
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(dialect::mark).collect();
            let sql = format!(
                "SELECT number, version, doc FROM incidents WHERE id IN ({})",
                marks.join(", ")
            );
            let params = chunk.iter().map(|id| Param::Text(id.to_string())).collect();
            let rows = bind_params(sqlx::query(AssertSqlSafe(sql)), params)
                .fetch_all(&self.read)
                .await
                .map_err(backend)?;
            for row in &rows {
                found.push(incident_from_row(row)?);
            }
        }
        Ok(found)
    }

    async fn list_incidents(&self, q: &IncidentQuery) -> StoreResult<IncidentPage> {
        // With a search, the engine may drive the query from its text index (SQLite joins
        // its FTS table, whose rowid is the incident number, so number order needs no sort).
        let (from, number_col) = match q.search {
            Some(_) => (dialect::SEARCH_FROM, dialect::SEARCH_NUMBER),
            None => ("incidents", "number"),
        };
        let mut filters = String::new();
        let mut params = Vec::new();
        push_filters(q, &mut filters, &mut params);
        let total = if q.include_total {
            let sql = format!("SELECT COUNT(*) FROM {from} WHERE TRUE{filters}");
            let count_params = params.iter().map(Param::clone).collect();
            let row = bind_params(sqlx::query(AssertSqlSafe(sql)), count_params)
                .fetch_one(&self.read)
                .await
                .map_err(backend)?;
            Some(row.try_get::<i64, _>(0).map_err(backend)?)
        } else {
            None
        };
        let col = match q.sort.column() {
            "number" => number_col,
            other => other,
        };
        let (cmp, dir) = if q.descending {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        let mut sql = format!("SELECT number, version, doc FROM {from} WHERE TRUE{filters}");
        if let Some(c) = q.after {
            params.push(Param::Int(c.value));
            let v = params.len();
            params.push(Param::Int(c.number));
            let n = params.len();
            if col == number_col {
                sql.push_str(&format!(" AND {number_col} {cmp} ${n}"));
            } else {
                sql.push_str(&format!(
                    " AND ({col} {cmp} ${v} OR ({col} = ${v} AND {number_col} {cmp} ${n}))"
                ));
            }
        }
        let limit = q.limit.clamp(1, 500) as i64;
        params.push(Param::Int(limit + 1));
        if col == number_col {
            sql.push_str(&format!(
                " ORDER BY {number_col} {dir} LIMIT ${}",
                params.len()
            ));
        } else {
            sql.push_str(&format!(
                " ORDER BY {col} {dir}, {number_col} {dir} LIMIT ${}",
                params.len()
            ));
        }
        let rows = bind_params(sqlx::query(AssertSqlSafe(sql)), params)
            .fetch_all(&self.read)
            .await
            .map_err(backend)?;
        let mut items = rows
            .iter()
            .map(incident_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        let next_cursor = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|i| Cursor {
                value: q.sort.value_of(i),
                number: i.number,
            })
        } else {
            None
        };
        Ok(IncidentPage {
            items,
            next_cursor,
            total,
        })
    }

    async fn timeline(&self, incident_id: Uuid, with_work_notes: bool) -> StoreResult<Vec<Event>> {
        let sql = if with_work_notes {
            "SELECT seq, doc FROM incident_events WHERE incident_id = $1 ORDER BY seq"
        } else {
            "SELECT seq, doc FROM incident_events WHERE incident_id = $1 AND visibility = 'public' ORDER BY seq"
        };
        let rows = sqlx::query(sql)
            .bind(incident_id.to_string())
            .fetch_all(&self.read)
            .await
            .map_err(backend)?;
        rows.iter().map(event_from_row).collect()
    }

    async fn incident_refers_to(&self, kind: EntityKind, id: Uuid) -> StoreResult<bool> {
        let sql = match kind {
            EntityKind::User => {
                "SELECT 1 FROM incidents WHERE reporter_id = $1 OR assignee_id = $1 LIMIT 1"
            }
            EntityKind::Team => "SELECT 1 FROM incidents WHERE group_id = $1 LIMIT 1",
            EntityKind::Service => "SELECT 1 FROM incidents WHERE service_id = $1 LIMIT 1",
            _ => return Ok(false),
        };
        let row = sqlx::query(sql)
            .bind(id.to_string())
            .fetch_optional(&self.read)
            .await
            .map_err(backend)?;
        Ok(row.is_some())
    }

    async fn insert_entity(&self, e: &Entity) -> StoreResult<()> {
        let res = sqlx::query(
            "INSERT INTO entities (kind, id, name, name_key, version, doc, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(e.kind.as_str())
        .bind(e.id.to_string())
        .bind(&e.name)
        .bind(name_key(&e.name))
        .bind(e.version)
        .bind(e.doc.to_string())
        .bind(e.created_at)
        .bind(e.updated_at)
        .execute(&self.write)
        .await;
        match res {
            Ok(_) => Ok(()),
            Err(err) if is_unique_violation(&err) => Err(StoreError::Duplicate {
                kind: e.kind.as_str().into(),
                name: e.name.clone(),
            }),
            Err(err) => Err(backend(err)),
        }
    }

    async fn update_entity(&self, e: &Entity, expected_version: i64) -> StoreResult<()> {
        let res = sqlx::query(
            "UPDATE entities SET name = $1, name_key = $2, version = $3, doc = $4, updated_at = $5 \
             WHERE kind = $6 AND id = $7 AND version = $8",
        )
        .bind(&e.name)
        .bind(name_key(&e.name))
        .bind(e.version)
        .bind(e.doc.to_string())
        .bind(e.updated_at)
        .bind(e.kind.as_str())
        .bind(e.id.to_string())
        .bind(expected_version)
        .execute(&self.write)
        .await;
        match res {
            Ok(r) if r.rows_affected() == 1 => Ok(()),
            Ok(_) => match self.get_entity(e.kind, e.id).await? {
                Some(_) => Err(StoreError::Conflict {
                    expected: expected_version,
                }),
                None => Err(StoreError::NotFound),
            },
            Err(err) if is_unique_violation(&err) => Err(StoreError::Duplicate {
                kind: e.kind.as_str().into(),
                name: e.name.clone(),
            }),
            Err(err) => Err(backend(err)),
        }
    }

    async fn delete_entity(&self, kind: EntityKind, id: Uuid) -> StoreResult<bool> {
        let r = sqlx::query("DELETE FROM entities WHERE kind = $1 AND id = $2")
            .bind(kind.as_str())
            .bind(id.to_string())
            .execute(&self.write)
            .await
            .map_err(backend)?;
        Ok(r.rows_affected() > 0)
    }

    async fn get_entity(&self, kind: EntityKind, id: Uuid) -> StoreResult<Option<Entity>> {
        let sql = format!("SELECT {ENTITY_COLUMNS} FROM entities WHERE kind = $1 AND id = $2");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(kind.as_str())
            .bind(id.to_string())
            .fetch_optional(&self.read)
            .await
            .map_err(backend)?;
        row.as_ref().map(|r| entity_from_row(kind, r)).transpose()
    }

    async fn get_entity_by_name(
        &self,
        kind: EntityKind,
        name: &str,
    ) -> StoreResult<Option<Entity>> {
        let sql =
            format!("SELECT {ENTITY_COLUMNS} FROM entities WHERE kind = $1 AND name_key = $2");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(kind.as_str())
            .bind(name_key(name))
            .fetch_optional(&self.read)
            .await
            .map_err(backend)?;
        row.as_ref().map(|r| entity_from_row(kind, r)).transpose()
    }

    async fn list_entities(&self, kind: EntityKind) -> StoreResult<Vec<Entity>> {
        let sql =
            format!("SELECT {ENTITY_COLUMNS} FROM entities WHERE kind = $1 ORDER BY name_key");
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(kind.as_str())
            .fetch_all(&self.read)
            .await
            .map_err(backend)?;
        rows.iter().map(|r| entity_from_row(kind, r)).collect()
    }

    async fn count_entities(&self, kind: EntityKind) -> StoreResult<i64> {
        let row = sqlx::query("SELECT COUNT(*) FROM entities WHERE kind = $1")
            .bind(kind.as_str())
            .fetch_one(&self.read)
            .await
            .map_err(backend)?;
        row.try_get(0).map_err(backend)
    }

    async fn entity_names(&self, ids: &[Uuid]) -> StoreResult<Vec<(Uuid, String)>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT id, name FROM entities WHERE id IN ({0}) \
                 UNION ALL SELECT id, name FROM integrations WHERE id IN ({0})",
                marks.join(", ")
            );
            let params = chunk.iter().map(|id| Param::Text(id.to_string())).collect();
            let rows = bind_params(sqlx::query(AssertSqlSafe(sql)), params)
                .fetch_all(&self.read)
                .await
                .map_err(backend)?;
            for row in rows {
                let id: String = row.try_get(0).map_err(backend)?;
                out.push((parse_uuid(&id)?, row.try_get(1).map_err(backend)?));
            }
        }
        Ok(out)
    }

    async fn set_password_hash(&self, user_id: Uuid, hash: &str, at: Millis) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO passwords (user_id, hash, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at",
        )
        .bind(user_id.to_string())
        .bind(hash)
        .bind(at)
        .execute(&self.write)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn password_hash(&self, user_id: Uuid) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT hash FROM passwords WHERE user_id = $1")
            .bind(user_id.to_string())
            .fetch_optional(&self.read)
            .await
            .map_err(backend)?;
        row.map(|r| r.try_get(0).map_err(backend)).transpose()
    }

    async fn insert_token(&self, t: &ApiToken, token_hash: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_at, last_used_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(t.id.to_string())
        .bind(t.user_id.to_string())
        .bind(&t.name)
        .bind(token_hash)
        .bind(t.created_at)
        .bind(t.expires_at)
        .bind(t.last_used_at)
        .execute(&self.write)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn use_token(&self, token_hash: &str, now: Millis) -> StoreResult<Option<ApiToken>> {
        let row = sqlx::query(
            "SELECT id, user_id, name, created_at, expires_at, last_used_at FROM api_tokens WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.read)
        .await
        .map_err(backend)?;
        let Some(mut token) = row.as_ref().map(token_from_row).transpose()? else {
            return Ok(None);
        };
        // Record use at most once a minute so reads do not become writes.
        if token.last_used_at.is_none_or(|t| now - t > 60_000) {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(token.id.to_string())
                .execute(&self.write)
                .await
                .map_err(backend)?;
            token.last_used_at = Some(now);
        }
        Ok(Some(token))
    }

    async fn list_tokens(&self, user_id: Uuid) -> StoreResult<Vec<ApiToken>> {
        let rows = sqlx::query(
            "SELECT id, user_id, name, created_at, expires_at, last_used_at FROM api_tokens \
             WHERE user_id = $1 ORDER BY created_at",
        )
        .bind(user_id.to_string())
        .fetch_all(&self.read)
        .await
        .map_err(backend)?;
        rows.iter().map(token_from_row).collect()
    }

    async fn delete_token(&self, user_id: Uuid, token_id: Uuid) -> StoreResult<bool> {
        let r = sqlx::query("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2")
            .bind(token_id.to_string())
            .bind(user_id.to_string())
            .execute(&self.write)
            .await
            .map_err(backend)?;
        Ok(r.rows_affected() > 0)
    }

    async fn idempotency_claim(
        &self,
        scope: &str,
        key: &str,
        request_hash: &str,
        now: Millis,
        expire_before: Millis,
    ) -> StoreResult<IdempotencyClaim> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        sqlx::query("DELETE FROM idempotency WHERE created_at < $1")
            .bind(expire_before)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let inserted = sqlx::query(
            "INSERT INTO idempotency (scope, idem_key, request_hash, status, body, created_at) \
             VALUES ($1, $2, $3, NULL, NULL, $4) ON CONFLICT (scope, idem_key) DO NOTHING",
        )
        .bind(scope)
        .bind(key)
        .bind(request_hash)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(backend)?
        .rows_affected();
        let claim = if inserted == 1 {
            IdempotencyClaim::Fresh
        } else {
            let row = sqlx::query(
                "SELECT request_hash, status, body, created_at FROM idempotency WHERE scope = $1 AND idem_key = $2",
            )
            .bind(scope)
            .bind(key)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
            let hash: String = row.try_get(0).map_err(backend)?;
            let status: Option<i64> = row.try_get(1).map_err(backend)?;
            let body: Option<String> = row.try_get(2).map_err(backend)?;
            let created_at: i64 = row.try_get(3).map_err(backend)?;
            if hash != request_hash {
                IdempotencyClaim::Mismatch
            } else if let (Some(status), Some(body)) = (status, body) {
                IdempotencyClaim::Replay {
                    status: status as u16,
                    body,
                }
            } else if now - created_at > 60_000 {
                // The first attempt died without answering: this one takes over.
                sqlx::query(
                    "UPDATE idempotency SET created_at = $1 WHERE scope = $2 AND idem_key = $3",
                )
                .bind(now)
                .bind(scope)
                .bind(key)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                IdempotencyClaim::Fresh
            } else {
                IdempotencyClaim::InFlight
            }
        };
        tx.commit().await.map_err(backend)?;
        Ok(claim)
    }

    async fn idempotency_complete(
        &self,
        scope: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE idempotency SET status = $1, body = $2 WHERE scope = $3 AND idem_key = $4",
        )
        .bind(status as i64)
        .bind(body)
        .bind(scope)
        .bind(key)
        .execute(&self.write)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn idempotency_release(&self, scope: &str, key: &str) -> StoreResult<()> {
        sqlx::query(
            "DELETE FROM idempotency WHERE scope = $1 AND idem_key = $2 AND status IS NULL",
        )
        .bind(scope)
        .bind(key)
        .execute(&self.write)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn insert_integration(&self, i: &Integration) -> StoreResult<()> {
        intake_sql::insert_integration(self, i).await
    }

    async fn update_integration(&self, i: &Integration, expected_version: i64) -> StoreResult<()> {
        intake_sql::update_integration(self, i, expected_version).await
    }

    async fn delete_integration(&self, id: Uuid) -> StoreResult<bool> {
        intake_sql::delete_integration(self, id).await
    }

    async fn get_integration(&self, id: Uuid) -> StoreResult<Option<Integration>> {
        intake_sql::get_integration(self, id).await
    }

    async fn integration_by_key(&self, key: &str) -> StoreResult<Option<Integration>> {
        intake_sql::integration_by_key(self, key).await
    }

    async fn list_integrations(&self, service_id: Option<Uuid>) -> StoreResult<Vec<Integration>> {
        intake_sql::list_integrations(self, service_id).await
    }

    async fn append_intake(&self, entries: &[NewIntakeEntry]) -> StoreResult<()> {
        intake_sql::append_intake(self, entries).await
    }

    async fn pending_intake(&self, limit: i64) -> StoreResult<Vec<IntakeEntry>> {
        intake_sql::pending_intake(self, limit).await
    }

    async fn intake_backlog(&self) -> StoreResult<i64> {
        intake_sql::intake_backlog(self).await
    }

    async fn commit_intake(&self, commit: IntakeCommit) -> StoreResult<()> {
        intake_sql::commit_intake(self, commit).await
    }

    async fn open_alert(
        &self,
        integration_id: Uuid,
        dedup_key: &str,
    ) -> StoreResult<Option<Alert>> {
        intake_sql::open_alert(self, integration_id, dedup_key).await
    }

    async fn open_alerts(
        &self,
        integration_id: Uuid,
        dedup_keys: &[String],
    ) -> StoreResult<Vec<Alert>> {
        intake_sql::open_alerts(self, integration_id, dedup_keys).await
    }

    async fn get_alert(&self, id: Uuid) -> StoreResult<Option<Alert>> {
        intake_sql::get_alert(self, id).await
    }

    async fn incident_alerts(&self, incident_id: Uuid) -> StoreResult<Vec<Alert>> {
        intake_sql::incident_alerts(self, incident_id).await
    }

    async fn group_incident(
        &self,
        integration_id: Uuid,
        group_key: &str,
        since: Millis,
    ) -> StoreResult<Option<(Uuid, Millis)>> {
        intake_sql::group_incident(self, integration_id, group_key, since).await
    }

    async fn service_changes(
        &self,
        service_id: Uuid,
        limit: i64,
    ) -> StoreResult<Vec<StoredChange>> {
        intake_sql::service_changes(self, service_id, limit).await
    }

    async fn arm_timers(&self, timers: Vec<NewTimer>) -> StoreResult<()> {
        paging_sql::arm_timers(self, timers).await
    }

    async fn claim_timers(
        &self,
        now: Millis,
        lease_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<Timer>> {
        paging_sql::claim_timers(self, now, lease_ms, limit).await
    }

    async fn complete_timers(&self, done: Vec<TimerDone>) -> StoreResult<Vec<StoreResult<()>>> {
        paging_sql::complete_timers(self, done).await
    }

    async fn next_timer_due(&self) -> StoreResult<Option<Millis>> {
        paging_sql::next_timer_due(self).await
    }

    async fn incident_timers(&self, incident_id: Uuid) -> StoreResult<Vec<Timer>> {
        paging_sql::incident_timers(self, incident_id).await
    }

    async fn timer_count(&self) -> StoreResult<i64> {
        paging_sql::timer_count(self).await
    }

    async fn claim_messages(
        &self,
        now: Millis,
        lease_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<StoredMessage>> {
        paging_sql::claim_messages(self, now, lease_ms, limit).await
    }

    async fn record_attempts(&self, attempts: Vec<AttemptRecord>) -> StoreResult<Vec<bool>> {
        paging_sql::record_attempts(self, attempts).await
    }

    async fn list_messages(&self, q: &MessageQuery) -> StoreResult<Vec<StoredMessage>> {
        paging_sql::list_messages(self, q).await
    }

    async fn get_message(&self, id: Uuid) -> StoreResult<Option<StoredMessage>> {
        paging_sql::get_message(self, id).await
    }

    async fn requeue_message(&self, id: Uuid, now: Millis) -> StoreResult<bool> {
        paging_sql::requeue_message(self, id, now).await
    }

    async fn paged_users(&self, incident_id: Uuid) -> StoreResult<Vec<Uuid>> {
        paging_sql::paged_users(self, incident_id).await
    }

    async fn append_events(&self, events: Vec<Event>) -> StoreResult<()> {
        paging_sql::append_events(self, events).await
    }

    async fn get_action_link(&self, token_hash: &str) -> StoreResult<Option<ActionLink>> {
        paging_sql::get_action_link(self, token_hash).await
    }

    async fn use_action_link(
        &self,
        token_hash: &str,
        now: Millis,
        write: IncidentWrite,
    ) -> StoreResult<bool> {
        paging_sql::use_action_link(self, token_hash, now, write).await
    }

    async fn set_calendar_token(
        &self,
        user_id: Uuid,
        token_hash: &str,
        at: Millis,
    ) -> StoreResult<()> {
        paging_sql::set_calendar_token(self, user_id, token_hash, at).await
    }

    async fn calendar_token_user(&self, token_hash: &str) -> StoreResult<Option<Uuid>> {
        paging_sql::calendar_token_user(self, token_hash).await
    }

    async fn create_session(&self, session: &mayday_store::Session) -> StoreResult<()> {
        super::sessions_sql::create_session(self, session).await
    }

    async fn get_session(
        &self,
        id_hash: &str,
        now: Millis,
    ) -> StoreResult<Option<mayday_store::Session>> {
        super::sessions_sql::get_session(self, id_hash, now).await
    }

    async fn touch_session(
        &self,
        id_hash: &str,
        now: Millis,
        expires_at: Millis,
    ) -> StoreResult<bool> {
        super::sessions_sql::touch_session(self, id_hash, now, expires_at).await
    }

    async fn delete_session(&self, id_hash: &str) -> StoreResult<bool> {
        super::sessions_sql::delete_session(self, id_hash).await
    }

    async fn delete_user_sessions(&self, user_id: Uuid) -> StoreResult<u64> {
        super::sessions_sql::delete_user_sessions(self, user_id).await
    }

    async fn purge_sessions(&self, before: Millis) -> StoreResult<u64> {
        super::sessions_sql::purge_sessions(self, before).await
    }
}

/// Each term's tokens: one for a word, several for a phrase.
pub(crate) fn term_tokens(terms: &[Term]) -> impl Iterator<Item = Vec<&str>> {
    terms.iter().map(|t| match t {
        Term::Word(w) => vec![w.as_str()],
        Term::Phrase(ws) => ws.iter().map(String::as_str).collect(),
    })
}
