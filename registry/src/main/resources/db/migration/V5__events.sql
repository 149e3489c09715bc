-- The outbox: every change, written in the transaction of the change, in commit order (${serial} keys are never
-- reused, also after the newest events are pruned). data is the event's JSON (docs/events.md).
CREATE TABLE events (
    id ${serial},
    type VARCHAR(64) NOT NULL,
    repository VARCHAR(255) ${binary},
    created_at BIGINT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX events_by_time ON events (created_at);

-- How far each notification endpoint has read the outbox, and which server delivers to it while its lease lasts.
CREATE TABLE event_cursors (
    endpoint VARCHAR(255) ${binary} PRIMARY KEY,
    position BIGINT NOT NULL,
    owner VARCHAR(100),
    lease_until BIGINT NOT NULL,
    last_success_at BIGINT,
    last_error VARCHAR(1000),
    last_error_at BIGINT,
    failures INTEGER NOT NULL
);
