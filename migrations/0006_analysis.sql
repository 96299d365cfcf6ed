-- Post-incident analysis, written by IncidentAnalysisWorkflow once an incident is archived.
-- The analysis row is written last: a reader that finds it finds its action items too.
CREATE TABLE incident_action (
    incident_id TEXT    NOT NULL,
    position    INTEGER NOT NULL,
    title       TEXT    NOT NULL,
    owner       TEXT,
    PRIMARY KEY (incident_id, position)
);

CREATE TABLE incident_analysis (
    incident_id TEXT    PRIMARY KEY,
    tenant_id   TEXT    NOT NULL,
    metrics     TEXT    NOT NULL CHECK (json_valid(metrics)),
    -- The model's review; NULL when there is none, and `note` says why.
    postmortem  TEXT    CHECK (postmortem IS NULL OR json_valid(postmortem)),
    note        TEXT,
    model       TEXT,
    created_at  INTEGER NOT NULL
);
