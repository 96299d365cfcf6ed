-- Tenant configuration (kept in Postgres by the original service) and the archive of closed
-- incidents, written before their Durable Object's storage is deleted.
CREATE TABLE client (
    id         TEXT    PRIMARY KEY,
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

-- Who is paged for what. The fallback is chosen when nothing else matches or the AI is down.
CREATE TABLE entry_point (
    tenant_id   TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    assignee    TEXT    NOT NULL,
    prompt      TEXT    NOT NULL DEFAULT '',
    is_fallback INTEGER NOT NULL DEFAULT 0 CHECK (is_fallback IN (0, 1)),
    PRIMARY KEY (tenant_id, id)
);

-- The tenant's service catalog (what a status-page incident may affect).
CREATE TABLE service (
    tenant_id TEXT NOT NULL,
    id        TEXT NOT NULL,
    name      TEXT NOT NULL,
    prompt    TEXT,
    PRIMARY KEY (tenant_id, id)
);

-- External integrations, e.g. a Slack workspace. Tokens belong in secrets, not here.
CREATE TABLE integration (
    tenant_id   TEXT NOT NULL,
    platform    TEXT NOT NULL CHECK (platform IN ('slack')),
    external_id TEXT NOT NULL,
    data        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(data)),
    PRIMARY KEY (tenant_id, platform),
    UNIQUE (platform, external_id)
);

CREATE TABLE incident_archive (
    id          TEXT    PRIMARY KEY,
    tenant_id   TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    record      TEXT    NOT NULL CHECK (json_valid(record)), -- {incident, timeline}
    archived_at INTEGER NOT NULL
);

CREATE INDEX incident_archive_tenant ON incident_archive (tenant_id, archived_at DESC);
