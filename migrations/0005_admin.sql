-- Tenant configuration through the admin API (/admin/*): on-call rotations and their
-- overrides, entry points that page a rotation, service descriptions, and per-tenant
-- dashboard signing secrets with a rotation grace period.

-- A rotation: members take turns of `shift_hours`, the first turn starting on `starts_on` at
-- `handoff_time` (local, in `time_zone`). Whole-day shifts hand off at that local time.
CREATE TABLE rotation (
    tenant_id    TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    members      TEXT    NOT NULL CHECK (json_valid(members) AND json_array_length(members) > 0),
    shift_hours  INTEGER NOT NULL CHECK (shift_hours > 0),
    handoff_time TEXT    NOT NULL, -- HH:MM
    time_zone    TEXT    NOT NULL, -- IANA zone id
    starts_on    TEXT    NOT NULL, -- YYYY-MM-DD
    PRIMARY KEY (tenant_id, id)
);

-- `user` is on call for the rotation during [from_ms, to_ms). Where overrides overlap, the
-- latest created (highest id) wins.
CREATE TABLE rotation_override (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   TEXT    NOT NULL,
    rotation_id TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    from_ms     INTEGER NOT NULL,
    to_ms       INTEGER NOT NULL CHECK (to_ms > from_ms),
    created_at  INTEGER NOT NULL,
    FOREIGN KEY (tenant_id, rotation_id) REFERENCES rotation (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX rotation_override_rotation ON rotation_override (tenant_id, rotation_id, to_ms);

-- Entry points page either a user or whoever is on call for a rotation at declaration. SQLite
-- cannot relax `assignee NOT NULL` in place, so the table is rebuilt with the same rows (all
-- of them `user` entry points).
CREATE TABLE entry_point_v2 (
    tenant_id   TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    kind        TEXT    NOT NULL DEFAULT 'user' CHECK (kind IN ('user', 'rotation')),
    assignee    TEXT,
    rotation_id TEXT,
    prompt      TEXT    NOT NULL DEFAULT '',
    is_fallback INTEGER NOT NULL DEFAULT 0 CHECK (is_fallback IN (0, 1)),
    PRIMARY KEY (tenant_id, id),
    CHECK ((kind = 'user' AND assignee IS NOT NULL AND rotation_id IS NULL)
        OR (kind = 'rotation' AND rotation_id IS NOT NULL AND assignee IS NULL))
);
INSERT INTO entry_point_v2 (tenant_id, id, kind, assignee, prompt, is_fallback)
    SELECT tenant_id, id, 'user', assignee, prompt, is_fallback FROM entry_point;
DROP TABLE entry_point;
ALTER TABLE entry_point_v2 RENAME TO entry_point;

-- At most one fallback per tenant (the admin API keeps exactly one once any is set).
CREATE UNIQUE INDEX entry_point_one_fallback ON entry_point (tenant_id) WHERE is_fallback = 1;

ALTER TABLE service ADD COLUMN description TEXT;

-- A tenant's own dashboard signing secret. Without a row, the Worker secret
-- DASHBOARD_SIGNING_SECRET signs for the tenant; with one, only `current` does, and
-- `previous` too until `previous_expires_at` (unix seconds). Never returned by any API.
CREATE TABLE tenant_secret (
    tenant_id           TEXT    PRIMARY KEY,
    current             TEXT    NOT NULL,
    previous            TEXT,
    previous_expires_at INTEGER,
    rotated_at          INTEGER NOT NULL -- unix seconds
);
