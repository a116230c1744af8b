-- Mayday schema, PostgreSQL engine. Instants are UTC epoch milliseconds (BIGINT).

CREATE TABLE entities (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    version BIGINT NOT NULL,
    doc TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (kind, name_key)
);

CREATE TABLE incidents (
    number BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    version BIGINT NOT NULL,
    status TEXT NOT NULL,
    priority BIGINT NOT NULL,
    category TEXT NOT NULL,
    service_id TEXT,
    group_id TEXT,
    assignee_id TEXT,
    reporter_id TEXT NOT NULL,
    confidential BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    doc TEXT NOT NULL,
    -- Search text: stemmed tokens prepared by the application, as tsvector literals.
    search_public TSVECTOR NOT NULL DEFAULT ''::tsvector,
    search_all TSVECTOR NOT NULL DEFAULT ''::tsvector
);
-- Lists order by number (creation order) or by a column then number.
CREATE INDEX incidents_updated ON incidents (updated_at, number);
CREATE INDEX incidents_priority ON incidents (priority, number);
CREATE INDEX incidents_status_priority ON incidents (status, priority, number);
CREATE INDEX incidents_service ON incidents (service_id, number);
-- Work queues: open incidents of a service, team or person at some priorities.
CREATE INDEX incidents_service_queue ON incidents (service_id, status, priority, number);
CREATE INDEX incidents_group_queue ON incidents (group_id, status, priority, number);
CREATE INDEX incidents_assignee_queue ON incidents (assignee_id, status, priority, number);
CREATE INDEX incidents_reporter ON incidents (reporter_id, number);
-- Rich statistics on the search columns, so the planner can tell a rare word (fetch its few
-- matches through GIN, then sort) from a common one (walk the newest incidents until the page
-- is full). With the default target every word outside the most common few is assumed to match
-- thousands of rows, and a search for a rare word walks the whole table.
ALTER TABLE incidents ALTER COLUMN search_public SET STATISTICS 2000;
ALTER TABLE incidents ALTER COLUMN search_all SET STATISTICS 2000;
CREATE INDEX incidents_search_public ON incidents USING GIN (search_public);
CREATE INDEX incidents_search_all ON incidents USING GIN (search_all);

CREATE TABLE incident_events (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    visibility TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX incident_events_incident ON incident_events (incident_id, seq);

CREATE TABLE passwords (
    user_id TEXT PRIMARY KEY,
    hash TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    last_used_at BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE idempotency (
    scope TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status BIGINT,
    body TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (scope, idem_key)
);
CREATE INDEX idempotency_created ON idempotency (created_at);
