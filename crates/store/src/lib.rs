//! Mayday's storage port: the [`Store`] trait the application talks to, and the records and
//! queries it speaks in. Each engine (SQLite, PostgreSQL) implements it in its own crate; the SQL
//! both engines share lives in `sql/common.rs`, compiled into each engine crate once.

mod entity;
mod intake;
mod paging;
mod query;
mod session;

pub use entity::{
    ContactMethod, EntityKind, Named, NotificationRule, Policy, Schedule, Service, Team, Template,
    User, decode_entity, encode_entity, name_key,
};
pub use intake::{
    IntakeCommit, IntakeEntry, Integration, IntegrationSettings, NewIntakeEntry, StoredChange,
};
pub use paging::{
    ActionLink, Attempt, AttemptRecord, Effects, MessageQuery, MessageStatus, NewTimer,
    OutboxMessage, StoredMessage, Timer, TimerDone,
};
pub use query::{Cursor, IncidentPage, IncidentQuery, SearchScope, SortField};
pub use session::Session;

use async_trait::async_trait;
use mayday_core::Incident;
use mayday_core::alert::Alert;
use mayday_core::clock::Millis;
use mayday_core::timeline::Event;
use serde_json::Value;
use uuid::Uuid;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record changed since it was read (optimistic concurrency).
    #[error("the record was changed by someone else (expected version {expected})")]
    Conflict { expected: i64 },
    /// A unique name is taken.
    #[error("{kind} {name:?} already exists")]
    Duplicate { kind: String, name: String },
    /// The record does not exist.
    #[error("not found")]
    NotFound,
    /// The engine failed (connection, I/O, corrupt data).
    #[error("storage failure: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A record as the JSON text a document column keeps.
pub fn json_text<T: serde::Serialize + ?Sized>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Backend(format!("encoding a record: {e}")))
}

/// A generic named record (user, team, service, template, category, resolution code) as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    pub kind: EntityKind,
    pub id: Uuid,
    pub name: String,
    pub version: i64,
    pub doc: Value,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// How to find one incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentRef {
    Id(Uuid),
    Number(i64),
}

/// A write to an existing incident: its new state and the events that explain it.
#[derive(Debug, Clone)]
pub struct IncidentWrite {
    /// The incident as it is after the change; its `version` is written as given.
    pub incident: Incident,
    /// The version the change was computed from; the write fails if the stored one differs.
    pub expected_version: i64,
    pub events: Vec<Event>,
    /// Timers and messages the change arms, cancels or queues, in the same transaction.
    pub effects: Effects,
}

/// An API token as listed (the secret itself is never stored, only its hash).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApiToken {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub created_at: Millis,
    pub expires_at: Option<Millis>,
    pub last_used_at: Option<Millis>,
}

/// The outcome of claiming an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// First use: go ahead, then call `idempotency_complete`.
    Fresh,
    /// Done before with the same request: answer this again.
    Replay { status: u16, body: String },
    /// Used before with a different request body.
    Mismatch,
    /// The first request with this key is still being processed.
    InFlight,
}

/// Facts about the engine for the status endpoint and the start-up log.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StoreInfo {
    pub engine: &'static str,
    /// Durability and tuning settings as the engine reports them (name → value).
    pub settings: Vec<(String, String)>,
}

/// The storage port. Every mutating method is one transaction.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    async fn info(&self) -> StoreResult<StoreInfo>;

    // --- incidents ---
    /// Inserts a new incident with its events and `effects` (its escalation timer), assigning
    /// its number; optionally applies `also` (e.g. a note on a linked incident) in the same
    /// transaction.
    async fn create_incident(
        &self,
        incident: Incident,
        events: Vec<Event>,
        effects: Effects,
        also: Option<IncidentWrite>,
    ) -> StoreResult<Incident>;
    /// Inserts many new incidents with their events in one transaction (demo data, imports,
    /// benchmarks). Returns their numbers in order.
    async fn import_incidents(&self, batch: Vec<(Incident, Vec<Event>)>) -> StoreResult<Vec<i64>>;
    /// Refreshes the planner's statistics (after a bulk import).
    async fn analyze(&self) -> StoreResult<()>;
    /// Writes a changed incident and its events if its version is still `expected_version`.
    async fn update_incident(&self, write: IncidentWrite) -> StoreResult<()>;
    async fn get_incident(&self, r: IncidentRef) -> StoreResult<Option<Incident>>;
    /// The incidents with these ids that exist, in no particular order.
    async fn get_incidents(&self, ids: &[Uuid]) -> StoreResult<Vec<Incident>>;
    async fn list_incidents(&self, q: &IncidentQuery) -> StoreResult<IncidentPage>;
    /// The incident's events in order; work notes only when asked for.
    async fn timeline(&self, incident_id: Uuid, with_work_notes: bool) -> StoreResult<Vec<Event>>;
    /// Whether any incident refers to this team, user or service.
    async fn incident_refers_to(&self, kind: EntityKind, id: Uuid) -> StoreResult<bool>;

    // --- named records ---
    async fn insert_entity(&self, e: &Entity) -> StoreResult<()>;
    /// Replaces the record if its version is still `expected_version` (the new one is `e.version`).
    async fn update_entity(&self, e: &Entity, expected_version: i64) -> StoreResult<()>;
    async fn delete_entity(&self, kind: EntityKind, id: Uuid) -> StoreResult<bool>;
    async fn get_entity(&self, kind: EntityKind, id: Uuid) -> StoreResult<Option<Entity>>;
    async fn get_entity_by_name(&self, kind: EntityKind, name: &str)
    -> StoreResult<Option<Entity>>;
    async fn list_entities(&self, kind: EntityKind) -> StoreResult<Vec<Entity>>;
    async fn count_entities(&self, kind: EntityKind) -> StoreResult<i64>;
    /// The names of the named records with these ids (any kind), in one query.
    async fn entity_names(&self, ids: &[Uuid]) -> StoreResult<Vec<(Uuid, String)>>;

    // --- credentials ---
    async fn set_password_hash(&self, user_id: Uuid, hash: &str, at: Millis) -> StoreResult<()>;
    async fn password_hash(&self, user_id: Uuid) -> StoreResult<Option<String>>;
    async fn insert_token(&self, token: &ApiToken, token_hash: &str) -> StoreResult<()>;
    /// Finds a token by its hash and records `now` as its last use.
    async fn use_token(&self, token_hash: &str, now: Millis) -> StoreResult<Option<ApiToken>>;
    async fn list_tokens(&self, user_id: Uuid) -> StoreResult<Vec<ApiToken>>;
    async fn delete_token(&self, user_id: Uuid, token_id: Uuid) -> StoreResult<bool>;

    // --- idempotency ---
    /// Claims `key` for `scope` (the caller); entries older than `expire_before` are forgotten.
    async fn idempotency_claim(
        &self,
        scope: &str,
        key: &str,
        request_hash: &str,
        now: Millis,
        expire_before: Millis,
    ) -> StoreResult<IdempotencyClaim>;
    /// Records the answer given to a claimed key.
    async fn idempotency_complete(
        &self,
        scope: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> StoreResult<()>;
    /// Releases a claim whose request failed before it could be answered.
    async fn idempotency_release(&self, scope: &str, key: &str) -> StoreResult<()>;

    // --- integrations ---
    /// Fails with `Duplicate` when the key is taken.
    async fn insert_integration(&self, i: &Integration) -> StoreResult<()>;
    /// Replaces it if its version is still `expected_version` (the new one is `i.version`).
    async fn update_integration(&self, i: &Integration, expected_version: i64) -> StoreResult<()>;
    async fn delete_integration(&self, id: Uuid) -> StoreResult<bool>;
    async fn get_integration(&self, id: Uuid) -> StoreResult<Option<Integration>>;
    async fn integration_by_key(&self, key: &str) -> StoreResult<Option<Integration>>;
    /// A service's integrations, or all of them, oldest first.
    async fn list_integrations(&self, service_id: Option<Uuid>) -> StoreResult<Vec<Integration>>;

    // --- alert intake ---
    /// Appends entries to the intake log in one durable transaction.
    async fn append_intake(&self, entries: &[NewIntakeEntry]) -> StoreResult<()>;
    /// The oldest unprocessed entries, in arrival order.
    async fn pending_intake(&self, limit: i64) -> StoreResult<Vec<IntakeEntry>>;
    /// How many entries wait to be processed.
    async fn intake_backlog(&self) -> StoreResult<i64>;
    /// Writes what processing a batch changed and consumes its entries, in one transaction;
    /// a `Conflict` means another writer got there first and the batch must be recomputed.
    async fn commit_intake(&self, commit: IntakeCommit) -> StoreResult<()>;
    /// The alert of this integration with this key that has not resolved, if any.
    async fn open_alert(&self, integration_id: Uuid, dedup_key: &str)
    -> StoreResult<Option<Alert>>;
    /// The unresolved alerts of this integration among these keys, in one go.
    async fn open_alerts(
        &self,
        integration_id: Uuid,
        dedup_keys: &[String],
    ) -> StoreResult<Vec<Alert>>;
    async fn get_alert(&self, id: Uuid) -> StoreResult<Option<Alert>>;
    /// An incident's alerts, oldest first.
    async fn incident_alerts(&self, incident_id: Uuid) -> StoreResult<Vec<Alert>>;
    /// The newest open incident holding alerts of this integration with `group_key` whose first
    /// alert was seen at or after `since`, with that first alert's time.
    async fn group_incident(
        &self,
        integration_id: Uuid,
        group_key: &str,
        since: Millis,
    ) -> StoreResult<Option<(Uuid, Millis)>>;
    /// A service's change events, newest first.
    async fn service_changes(&self, service_id: Uuid, limit: i64)
    -> StoreResult<Vec<StoredChange>>;

    // --- timers ---
    /// Arms timers outside any other write (bulk loads, benchmarks).
    async fn arm_timers(&self, timers: Vec<NewTimer>) -> StoreResult<()>;
    /// Claims up to `limit` timers due at `now`, oldest due first, that no live lease holds;
    /// the claim lasts until `now + lease_ms`. Several nodes never claim the same timer.
    async fn claim_timers(&self, now: Millis, lease_ms: i64, limit: i64)
    -> StoreResult<Vec<Timer>>;
    /// Writes what handling fired timers changed, each in a savepoint of one transaction:
    /// one result per item, in order; a `Conflict` item changed nothing.
    async fn complete_timers(&self, done: Vec<TimerDone>) -> StoreResult<Vec<StoreResult<()>>>;
    /// The earliest due time of any pending timer.
    async fn next_timer_due(&self) -> StoreResult<Option<Millis>>;
    /// An incident's pending timers, earliest first (claim is nil).
    async fn incident_timers(&self, incident_id: Uuid) -> StoreResult<Vec<Timer>>;
    /// How many timers are pending.
    async fn timer_count(&self) -> StoreResult<i64>;

    // --- outbox ---
    /// Claims up to `limit` pending messages whose next attempt is due at `now`.
    async fn claim_messages(
        &self,
        now: Millis,
        lease_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<StoredMessage>>;
    /// Records attempts and appends their `events` (each delivery on its incident's timeline) in
    /// one transaction; per attempt `false` (and nothing written for it) when its claim was lost
    /// (another worker took the message over).
    async fn record_attempts(&self, attempts: Vec<AttemptRecord>) -> StoreResult<Vec<bool>>;
    /// [`Store::record_attempts`] for one attempt.
    async fn record_attempt(
        &self,
        id: Uuid,
        claim: Uuid,
        attempt: Attempt,
        events: Vec<Event>,
    ) -> StoreResult<bool> {
        let done = self
            .record_attempts(vec![AttemptRecord {
                id,
                claim,
                attempt,
                events,
            }])
            .await?;
        Ok(done.first().copied().unwrap_or(false))
    }
    async fn list_messages(&self, q: &MessageQuery) -> StoreResult<Vec<StoredMessage>>;
    async fn get_message(&self, id: Uuid) -> StoreResult<Option<StoredMessage>>;
    /// Puts a dead letter back in the queue, due at `now` (keeps its identity).
    async fn requeue_message(&self, id: Uuid, now: Millis) -> StoreResult<bool>;
    /// The users paged for this incident so far (by any message), in the order first paged.
    async fn paged_users(&self, incident_id: Uuid) -> StoreResult<Vec<Uuid>>;
    /// Appends events to incidents' timelines without changing the incidents.
    async fn append_events(&self, events: Vec<Event>) -> StoreResult<()>;

    // --- action links and calendar tokens ---
    async fn get_action_link(&self, token_hash: &str) -> StoreResult<Option<ActionLink>>;
    /// Marks the link used and applies `write` in one transaction; `false` (and nothing
    /// written) when it was used already.
    async fn use_action_link(
        &self,
        token_hash: &str,
        now: Millis,
        write: IncidentWrite,
    ) -> StoreResult<bool>;
    /// Replaces the user's calendar-feed token (its SHA-256).
    async fn set_calendar_token(
        &self,
        user_id: Uuid,
        token_hash: &str,
        at: Millis,
    ) -> StoreResult<()>;
    /// The user whose calendar-feed token has this hash.
    async fn calendar_token_user(&self, token_hash: &str) -> StoreResult<Option<Uuid>>;

    // --- web console sessions ---
    /// Stores a new session (`Duplicate` if its hash exists).
    async fn create_session(&self, session: &Session) -> StoreResult<()>;
    /// The session with this hash if it has not expired at `now`.
    async fn get_session(&self, id_hash: &str, now: Millis) -> StoreResult<Option<Session>>;
    /// Records a use: `last_seen_at = now`, `expires_at` moved to `expires_at`; `false` when the
    /// session is gone or expired.
    async fn touch_session(
        &self,
        id_hash: &str,
        now: Millis,
        expires_at: Millis,
    ) -> StoreResult<bool>;
    /// Signs a session out; `false` when it was not there.
    async fn delete_session(&self, id_hash: &str) -> StoreResult<bool>;
    /// Signs a user out everywhere (after a password change); how many sessions ended.
    async fn delete_user_sessions(&self, user_id: Uuid) -> StoreResult<u64>;
    /// Forgets sessions that expired before `before`; how many.
    async fn purge_sessions(&self, before: Millis) -> StoreResult<u64>;
}
