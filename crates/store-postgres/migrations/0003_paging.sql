-- Paging: durable timers, the notification outbox, single-use action links and calendar-feed
-- tokens. A claim is a worker's token on a row and `claimed_until` the end of its lease (0: not
-- claimed); another worker may take the row over once the lease has ended.

CREATE TABLE timers (
    id TEXT PRIMARY KEY,
    incident_id TEXT,
    kind TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    claim TEXT,
    claimed_until BIGINT NOT NULL DEFAULT 0
);
-- Claims walk the due ones in due order; cancellations are by incident and kind.
CREATE INDEX timers_due ON timers (due_at);
CREATE INDEX timers_incident ON timers (incident_id, kind);

CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    incident_id TEXT,
    user_id TEXT,
    channel TEXT NOT NULL,
    event TEXT NOT NULL,
    page BOOLEAN NOT NULL,
    due_at BIGINT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    sent_at BIGINT,
    claim TEXT,
    claimed_until BIGINT NOT NULL DEFAULT 0
);
-- Claims walk the pending ones in the order their next attempt is due.
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
-- An incident's deliveries (and who was paged), and the admin's list of one status (the dead
-- letters), newest first.
CREATE INDEX outbox_incident ON outbox (incident_id, created_at);
CREATE INDEX outbox_status ON outbox (status, created_at);

CREATE TABLE action_links (
    token_hash TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    action TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE calendar_tokens (
    user_id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
