-- Alert intake: integrations, the durable intake log, alerts and change events.

CREATE TABLE integrations (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    integration_key TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL,
    doc TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    last_event_at INTEGER
);
CREATE INDEX integrations_service ON integrations (service_id, created_at);

-- The intake log itself is a database file of its own (mayday-intake.db, next to this one), so
-- appends never wait behind processing. This is how far it has been processed: the cursor moves
-- in the transaction that writes what the entries produced.
CREATE TABLE intake_cursor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL
);
INSERT INTO intake_cursor (id, seq) VALUES (1, 0);

CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    integration_id TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    status TEXT NOT NULL,
    group_key TEXT,
    first_seen_at INTEGER NOT NULL,
    doc TEXT NOT NULL
);
-- At most one unresolved alert per key and integration.
CREATE UNIQUE INDEX alerts_open_key ON alerts (integration_id, dedup_key) WHERE status <> 'resolved';
CREATE INDEX alerts_incident ON alerts (incident_id, first_seen_at);
CREATE INDEX alerts_group ON alerts (integration_id, group_key, first_seen_at) WHERE group_key IS NOT NULL;

CREATE TABLE change_events (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL,
    integration_id TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX change_events_service ON change_events (service_id, received_at);
