-- Mayday schema, SQLite engine. Instants are UTC epoch milliseconds (INTEGER).

CREATE TABLE entities (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    version INTEGER NOT NULL,
    doc TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (kind, name_key)
);

CREATE TABLE incidents (
    number INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    priority INTEGER NOT NULL,
    category TEXT NOT NULL,
    service_id TEXT,
    group_id TEXT,
    assignee_id TEXT,
    reporter_id TEXT NOT NULL,
    confidential BOOLEAN NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    doc TEXT NOT NULL
);
-- Every index ends in the rowid (the number), which is creation order.
CREATE INDEX incidents_updated ON incidents (updated_at);
CREATE INDEX incidents_priority ON incidents (priority);
CREATE INDEX incidents_status_priority ON incidents (status, priority);
-- Work queues (also serve plain service/team/assignee filters through their first column): open incidents of a service, team or person at some priorities.
CREATE INDEX incidents_service_queue ON incidents (service_id, status, priority);
CREATE INDEX incidents_group_queue ON incidents (group_id, status, priority);
CREATE INDEX incidents_assignee_queue ON incidents (assignee_id, status, priority);
CREATE INDEX incidents_reporter ON incidents (reporter_id);

-- Search text: stemmed tokens prepared by the application (rowid = incident number).
CREATE VIRTUAL TABLE incident_search USING fts5 (
    public_text,
    all_text,
    tokenize = 'unicode61 remove_diacritics 0'
);

CREATE TABLE incident_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    visibility TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX incident_events_incident ON incident_events (incident_id, seq);

CREATE TABLE passwords (
    user_id TEXT PRIMARY KEY,
    hash TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    last_used_at INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE idempotency (
    scope TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER,
    body TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (scope, idem_key)
);
CREATE INDEX idempotency_created ON idempotency (created_at);
