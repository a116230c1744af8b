//! What SQLite does differently: full-text search through an FTS5 table, and its settings report.

use mayday_core::search_text::Term;
use mayday_store::{SearchScope, StoreInfo, StoreResult};
use sqlx::{Pool, Row};

use super::Db;
use super::common::{backend, term_tokens};

/// Inserts the incident row (parameters already bound) and its search text.
pub(crate) const INSERT_INCIDENT: &str = "INSERT INTO incidents (id, version, status, priority, \
     category, service_id, group_id, assignee_id, reporter_id, confidential, created_at, \
     updated_at, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING number";

/// The columns a batch insert fills, in order (search text goes to the FTS table).
pub(crate) const INCIDENT_INSERT_COLUMNS: &str = "id, version, status, priority, category, \
     service_id, group_id, assignee_id, reporter_id, confidential, created_at, updated_at, doc";

/// The placeholder for column `column` (1-based) of a batch insert, parameter `param`.
pub(crate) fn incident_value_mark(_column: usize, param: usize) -> String {
    mark(param)
}

/// The placeholder of parameter `n` in a statement built with this function throughout: a
/// plain `?` (in order). SQLite looks named parameters up by a linear scan, which makes
/// binding the hundreds of a multi-row statement quadratic; anonymous ones are free.
pub(crate) fn mark(_n: usize) -> String {
    "?".to_string()
}

/// Search values carried in the incident row itself: none here.
pub(crate) fn search_row_values(_public: &str, _all: &str) -> impl Iterator<Item = String> {
    std::iter::empty()
}

/// The search rows of a batch of new incidents (rowid = number).
pub(crate) async fn insert_search_rows(
    tx: &mut sqlx::Transaction<'_, Db>,
    numbers: &[i64],
    texts: &[(String, String)],
) -> StoreResult<()> {
    if numbers.is_empty() {
        return Ok(());
    }
    let mut sql =
        String::from("INSERT INTO incident_search (rowid, public_text, all_text) VALUES ");
    for n in 0..numbers.len() {
        if n > 0 {
            sql.push_str(", ");
        }
        sql.push_str("(?, ?, ?)");
    }
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (number, (public, all)) in numbers.iter().zip(texts) {
        query = query.bind(*number).bind(public.as_str()).bind(all.as_str());
    }
    query.execute(&mut **tx).await.map_err(backend)?;
    Ok(())
}

pub(crate) async fn insert_incident_row<'q>(
    tx: &mut sqlx::Transaction<'_, Db>,
    query: sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments>,
    public_tokens: &str,
    all_tokens: &str,
) -> StoreResult<i64> {
    let number: i64 = query
        .fetch_one(&mut **tx)
        .await
        .map_err(backend)?
        .try_get(0)
        .map_err(backend)?;
    sqlx::query("INSERT INTO incident_search (rowid, public_text, all_text) VALUES ($1, $2, $3)")
        .bind(number)
        .bind(public_tokens)
        .bind(all_tokens)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    Ok(number)
}

/// Replaces an incident's search text.
pub(crate) async fn update_search_index(
    tx: &mut sqlx::Transaction<'_, Db>,
    number: i64,
    public_tokens: &str,
    all_tokens: &str,
) -> StoreResult<()> {
    sqlx::query("DELETE FROM incident_search WHERE rowid = $1")
        .bind(number)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    sqlx::query("INSERT INTO incident_search (rowid, public_text, all_text) VALUES ($1, $2, $3)")
        .bind(number)
        .bind(public_tokens)
        .bind(all_tokens)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    Ok(())
}

/// A search reads the FTS table and joins incidents by rowid (= number): FTS5 walks its
/// matches in rowid order, so a page in number order stops after its last row.
pub(crate) const SEARCH_FROM: &str =
    "incident_search JOIN incidents ON incidents.number = incident_search.rowid";
pub(crate) const SEARCH_NUMBER: &str = "incident_search.rowid";

/// The WHERE condition matching parameter `$p` (from [`match_expression`]).
pub(crate) fn match_condition(_scope: SearchScope, p: usize) -> String {
    format!("incident_search MATCH ${p}")
}

/// An FTS5 query: every term, as a quoted phrase, in the scope's column.
pub(crate) fn match_expression(terms: &[Term], scope: SearchScope) -> String {
    let column = match scope {
        SearchScope::Public => "public_text",
        SearchScope::All => "all_text",
    };
    term_tokens(terms)
        .map(|toks| format!("{column} : \"{}\"", toks.join(" ").replace('"', "")))
        .collect::<Vec<_>>()
        .join(" AND ")
}

pub(crate) async fn info(pool: &Pool<Db>) -> StoreResult<StoreInfo> {
    let mut settings = Vec::new();
    for pragma in ["journal_mode", "synchronous", "busy_timeout"] {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA {pragma}")))
            .fetch_one(pool)
            .await
            .map_err(backend)?;
        let value = row
            .try_get::<String, _>(0)
            .or_else(|_| row.try_get::<i64, _>(0).map(|v| v.to_string()))
            .map_err(backend)?;
        let value = match (pragma, value.as_str()) {
            ("synchronous", "0") => "off".to_string(),
            ("synchronous", "1") => "normal".to_string(),
            ("synchronous", "2") => "full".to_string(),
            ("synchronous", "3") => "extra".to_string(),
            _ => value,
        };
        settings.push((pragma.to_string(), value));
    }
    let version: String = sqlx::query("SELECT sqlite_version()")
        .fetch_one(pool)
        .await
        .map_err(backend)?
        .try_get(0)
        .map_err(backend)?;
    settings.push(("sqlite_version".into(), version));
    Ok(StoreInfo {
        engine: "sqlite",
        settings,
    })
}

/// SQLite's single write connection already serializes intake commits.
pub(crate) async fn lock_intake(_tx: &mut sqlx::Transaction<'_, Db>) -> StoreResult<()> {
    Ok(())
}

/// The documents of the unresolved alerts of an integration among these keys: one index
/// lookup per key (SQLite walks an `IN` list through the index).
pub(crate) async fn open_alert_docs(
    pool: &Pool<Db>,
    integration_id: uuid::Uuid,
    keys: &[String],
) -> StoreResult<Vec<String>> {
    let marks = vec!["?"; keys.len()].join(", ");
    let sql = format!(
        "SELECT doc FROM alerts WHERE integration_id = ? AND status <> 'resolved' \
         AND dedup_key IN ({marks})"
    );
    let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(integration_id.to_string());
    for k in keys {
        query = query.bind(k.as_str());
    }
    query.fetch_all(pool).await.map_err(backend)
}

/// The intake log is a database file of its own, so appending (the 202s) never waits behind
/// processing; the main database keeps the cursor of what was processed.
pub(crate) const LOG_IN_OWN_DATABASE: bool = true;

/// Processing commits flush like any other here: the log's entries leave it right after, so
/// what they produced must be on disk first.
pub(crate) const DERIVED_COMMIT_RELAXED: Option<(&str, &str)> = None;

/// What a claim's inner `SELECT` adds to pick rows no other claimer holds: nothing here, as
/// every claim goes through the one write connection, which makes each `UPDATE ... WHERE id IN
/// (SELECT ... LIMIT n) RETURNING ...` atomic.
pub(crate) const CLAIM_LOCK: &str = "";
