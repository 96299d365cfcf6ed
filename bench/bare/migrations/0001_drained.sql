-- The pipeline floor's drain record (scripts/bench): the last event each pipeline's workflow
-- step wrote, as incidentd's dashboard sender writes its index.
CREATE TABLE drained (
    name          TEXT    PRIMARY KEY,
    last_event_id INTEGER NOT NULL
);
