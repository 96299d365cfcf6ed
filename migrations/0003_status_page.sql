-- The public status page: the tenant's page settings, which services it shows, and the public
-- incidents the status_page dispatcher projects from each incident's affection. Only what the
-- affection says is stored here (its title, services, status and update messages), never the
-- incident's internal title, description, prompt, assignee or messages.

-- One page per tenant, served unauthenticated at /status/<slug>.
CREATE TABLE status_page (
    tenant_id TEXT PRIMARY KEY,
    slug      TEXT NOT NULL UNIQUE CHECK (slug GLOB '[a-z0-9]*' AND slug NOT GLOB '*[^a-z0-9-]*'
                                          AND length(slug) BETWEEN 1 AND 64),
    title     TEXT NOT NULL
);

-- Whether the page shows a service. Existing and new services are public by default (the
-- catalog exists to name what the status page may show); set 0 to hide one.
ALTER TABLE service ADD COLUMN public INTEGER NOT NULL DEFAULT 1 CHECK (public IN (0, 1));

-- One public incident per incident with an affection. Every event rewrites it from the
-- event's snapshot only when that event is newer than the one it reflects (`event_id`), so
-- redeliveries and late replays never move it backwards; `created_at` and `resolved_at` keep
-- the earliest time any event reported.
CREATE TABLE status_incident (
    incident_id TEXT    PRIMARY KEY,
    tenant_id   TEXT    NOT NULL,
    public_id   TEXT    NOT NULL UNIQUE, -- what the page shows instead of the internal id
    title       TEXT    NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('investigating', 'mitigating', 'resolved')),
    created_at  INTEGER NOT NULL, -- unix ms
    updated_at  INTEGER NOT NULL, -- unix ms
    resolved_at INTEGER,          -- unix ms
    event_id    INTEGER NOT NULL  -- the event whose snapshot this row reflects
);

CREATE INDEX status_incident_tenant ON status_incident (tenant_id, resolved_at);

-- The services a public incident affects, with its impact on each.
CREATE TABLE status_incident_service (
    incident_id TEXT    NOT NULL,
    service_id  TEXT    NOT NULL,
    impact      TEXT    NOT NULL CHECK (impact IN ('partial', 'major')),
    event_id    INTEGER NOT NULL, -- the event whose snapshot this row reflects
    PRIMARY KEY (incident_id, service_id)
);

-- The public updates: at most one per event. The key (incident_id, event_id) is the
-- dedupe: a redelivered or replayed event inserts nothing twice.
CREATE TABLE status_update (
    incident_id TEXT    NOT NULL,
    event_id    INTEGER NOT NULL,
    tenant_id   TEXT    NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('investigating', 'mitigating', 'resolved')),
    message     TEXT    NOT NULL,
    at          INTEGER NOT NULL, -- unix ms
    PRIMARY KEY (incident_id, event_id)
);
