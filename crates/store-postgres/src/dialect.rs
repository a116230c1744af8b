//! What PostgreSQL does differently: full-text search over `tsvector` columns. The application
//! hands over already stemmed tokens, written as `tsvector`/`tsquery` literals so that
//! PostgreSQL's own parser and dictionaries never change them: both engines match the same set.

use std::collections::BTreeMap;

use mayday_core::search_text::Term;
use mayday_store::{SearchScope, StoreInfo, StoreResult};
use sqlx::{Pool, Row};

use super::Db;
use super::common::{backend, term_tokens};

/// Largest position PostgreSQL keeps, and most positions per lexeme.
const MAX_POSITION: usize = 16_383;
const MAX_POSITIONS_PER_LEXEME: usize = 255;

fn quote(token: &str) -> String {
    format!("'{}'", token.replace('\\', "\\\\").replace('\'', "''"))
}

/// A `tsvector` literal of space-separated tokens, with positions for phrase matching.
fn tsvector_literal(tokens: &str) -> String {
    let mut positions: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, tok) in tokens.split(' ').filter(|t| !t.is_empty()).enumerate() {
        let list = positions.entry(tok).or_default();
        if list.len() < MAX_POSITIONS_PER_LEXEME {
            list.push((i + 1).min(MAX_POSITION));
        }
    }
    positions
        .into_iter()
        .map(|(tok, pos)| {
            let mut pos = pos;
            pos.dedup();
            let list: Vec<String> = pos.iter().map(usize::to_string).collect();
            format!("{}:{}", quote(tok), list.join(","))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Inserts the incident row with its search text in one statement (parameters 1..13 bound by
/// the caller, 14 and 15 here).
pub(crate) const INSERT_INCIDENT: &str = "INSERT INTO incidents (id, version, status, priority, \
     category, service_id, group_id, assignee_id, reporter_id, confidential, created_at, \
     updated_at, doc, search_public, search_all) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
     $10, $11, $12, $13, $14::tsvector, $15::tsvector) RETURNING number";

/// The columns a batch insert fills, in order, search text included.
pub(crate) const INCIDENT_INSERT_COLUMNS: &str = "id, version, status, priority, category, \
     service_id, group_id, assignee_id, reporter_id, confidential, created_at, updated_at, doc, \
     search_public, search_all";

/// The placeholder for column `column` (1-based) of a batch insert, parameter `param`.
pub(crate) fn incident_value_mark(column: usize, param: usize) -> String {
    if column >= 14 {
        format!("${param}::tsvector")
    } else {
        mark(param)
    }
}

/// The placeholder of parameter `n` in a statement built with this function throughout.
pub(crate) fn mark(n: usize) -> String {
    format!("${n}")
}

/// Search values carried in the incident row: the two tsvector literals.
pub(crate) fn search_row_values(public: &str, all: &str) -> impl Iterator<Item = String> {
    [tsvector_literal(public), tsvector_literal(all)].into_iter()
}

/// The search text is in the incident rows already.
pub(crate) async fn insert_search_rows(
    _tx: &mut sqlx::Transaction<'_, Db>,
    _numbers: &[i64],
    _texts: &[(String, String)],
) -> StoreResult<()> {
    Ok(())
}

pub(crate) async fn insert_incident_row<'q>(
    tx: &mut sqlx::Transaction<'_, Db>,
    query: sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments>,
    public_tokens: &str,
    all_tokens: &str,
) -> StoreResult<i64> {
    query
        .bind(tsvector_literal(public_tokens))
        .bind(tsvector_literal(all_tokens))
        .fetch_one(&mut **tx)
        .await
        .map_err(backend)?
        .try_get(0)
        .map_err(backend)
}

/// Replaces an incident's search text.
pub(crate) async fn update_search_index(
    tx: &mut sqlx::Transaction<'_, Db>,
    number: i64,
    public_tokens: &str,
    all_tokens: &str,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE incidents SET search_public = $2::tsvector, search_all = $3::tsvector WHERE number = $1",
    )
    .bind(number)
    .bind(tsvector_literal(public_tokens))
    .bind(tsvector_literal(all_tokens))
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    Ok(())
}

/// Searches filter the incidents table itself (GIN indexes on its `tsvector` columns).
pub(crate) const SEARCH_FROM: &str = "incidents";
pub(crate) const SEARCH_NUMBER: &str = "number";

/// The WHERE condition matching parameter `$p` (from [`match_expression`]).
pub(crate) fn match_condition(scope: SearchScope, p: usize) -> String {
    let column = match scope {
        SearchScope::Public => "search_public",
        SearchScope::All => "search_all",
    };
    format!("{column} @@ ${p}::tsquery")
}

/// A `tsquery` literal: every term; a phrase's words follow each other.
pub(crate) fn match_expression(terms: &[Term], _scope: SearchScope) -> String {
    term_tokens(terms)
        .map(|toks| {
            let words: Vec<String> = toks.iter().map(|t| quote(t)).collect();
            format!("({})", words.join(" <-> "))
        })
        .collect::<Vec<_>>()
        .join(" & ")
}

pub(crate) async fn info(pool: &Pool<Db>) -> StoreResult<StoreInfo> {
    let mut settings = Vec::new();
    for name in [
        "fsync",
        "synchronous_commit",
        "full_page_writes",
        "server_version",
    ] {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SHOW {name}")))
            .fetch_one(pool)
            .await
            .map_err(backend)?;
        settings.push((
            name.to_string(),
            row.try_get::<String, _>(0).map_err(backend)?,
        ));
    }
    Ok(StoreInfo {
        engine: "postgres",
        settings,
    })
}

/// Serializes intake commits across nodes for the rest of the transaction, so alerts of one key
/// are processed in order and never twice.
pub(crate) async fn lock_intake(tx: &mut sqlx::Transaction<'_, Db>) -> StoreResult<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(7243911)")
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    Ok(())
}

/// The documents of the unresolved alerts of an integration among these keys. A lateral
/// lookup per key: with a long `IN` list the planner may rather scan all of the integration's
/// open alerts, which grows with the table.
pub(crate) async fn open_alert_docs(
    pool: &Pool<Db>,
    integration_id: uuid::Uuid,
    keys: &[String],
) -> StoreResult<Vec<String>> {
    sqlx::query_scalar(
        "SELECT found.doc FROM unnest($2::text[]) AS wanted(key) CROSS JOIN LATERAL \
         (SELECT doc FROM alerts WHERE integration_id = $1 AND dedup_key = wanted.key \
          AND status <> 'resolved' LIMIT 1) AS found",
    )
    .bind(integration_id.to_string())
    .bind(keys)
    .fetch_all(pool)
    .await
    .map_err(backend)
}

/// The intake log is a table of the same database: processing deletes its entries in the
/// transaction that writes what they produced.
pub(crate) const LOG_IN_OWN_DATABASE: bool = false;

/// Run before and after a processing commit: it need not wait for its own flush, because its
/// input is durable in the log and leaves it in the same transaction (a power loss that undid
/// it would leave the entries to be processed again).
pub(crate) const DERIVED_COMMIT_RELAXED: Option<(&str, &str)> = Some((
    "SET synchronous_commit = off",
    "SET synchronous_commit = on",
));

/// What a claim's inner `SELECT` adds to pick rows no other claimer holds: rows another node is
/// claiming right now are skipped (not waited for), and a row claimed meanwhile fails the
/// re-check of the lease, so several nodes never claim the same row.
pub(crate) const CLAIM_LOCK: &str = " FOR UPDATE SKIP LOCKED";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsvector_literal_keeps_positions() {
        assert_eq!(tsvector_literal("disk full disk"), "'disk':1,3 'full':2");
        assert_eq!(tsvector_literal(""), "");
    }
}
