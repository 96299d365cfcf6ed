-- The incident index: an eventually consistent projection of the Incident Durable Objects,
-- written by the dashboard sender from each event's state snapshot, read for listing.
CREATE TABLE incident_index (
    id            TEXT    PRIMARY KEY,
    tenant_id     TEXT    NOT NULL,
    identifiers   TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(identifiers)),
    status        TEXT    NOT NULL CHECK (status IN ('open', 'mitigating', 'resolved', 'declined')),
    severity      TEXT    NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
    assignee      TEXT,
    title         TEXT    NOT NULL,
    description   TEXT    NOT NULL,
    created_at    INTEGER NOT NULL, -- unix ms
    updated_at    INTEGER NOT NULL, -- unix ms
    last_event_id INTEGER NOT NULL  -- the event whose snapshot this row reflects
);

CREATE INDEX incident_index_tenant_created ON incident_index (tenant_id, created_at DESC);
