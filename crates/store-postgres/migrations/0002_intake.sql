-- Alert intake: integrations, the durable intake log, alerts and change events.

CREATE TABLE integrations (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    integration_key TEXT NOT NULL UNIQUE,
    version BIGINT NOT NULL,
    doc TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    last_event_at BIGINT
);
CREATE INDEX integrations_service ON integrations (service_id, created_at);

-- Accepted events waiting to be processed; an entry is deleted in the transaction that
-- processes it.
CREATE TABLE intake_log (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    integration_id TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    record TEXT NOT NULL
);

CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    integration_id TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    status TEXT NOT NULL,
    group_key TEXT,
    first_seen_at BIGINT NOT NULL,
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
    received_at BIGINT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX change_events_service ON change_events (service_id, received_at);
