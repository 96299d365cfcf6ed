//! The Incident object's own tables (the outbox owns its table) and the state row.

use crate::model::IncidentState;
use sluice::sql::{SqlError, SqlStore};

pub(super) const TABLES: [&str; 10] = [
    "CREATE TABLE IF NOT EXISTS incident (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        state     TEXT    NOT NULL CHECK (json_valid(state))
    )",
    // Message dedupe by primary key: O(1) whatever the timeline's length.
    "CREATE TABLE IF NOT EXISTS message_ids (
        message_id TEXT    PRIMARY KEY,
        event_id   INTEGER NOT NULL
    ) WITHOUT ROWID",
    // Signed requests already applied: an exact replay within the signature's window is
    // refused. Pruned by the alarm once older than the window.
    "CREATE TABLE IF NOT EXISTS applied_requests (
        request_id TEXT    PRIMARY KEY,
        at         INTEGER NOT NULL
    ) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS applied_requests_at ON applied_requests(at)",
    // Idempotency keys of workflow steps: a retried step gets the first outcome back.
    "CREATE TABLE IF NOT EXISTS applied_keys (
        key      TEXT    PRIMARY KEY,
        event_id INTEGER,
        at       INTEGER NOT NULL
    ) WITHOUT ROWID",
    crate::forward::SCHEMA,
    // Each workflow generation's last event, re-sent until settled (`forward::tails`).
    crate::forward::TAILS_SCHEMA,
    // The agent's suggestions: found by id (Slack's buttons) or by dedupe key (a proposal
    // made once per incident); `outcome` is set once, when a person applies or dismisses it.
    "CREATE TABLE IF NOT EXISTS suggestions (
        suggestion_id TEXT    PRIMARY KEY,
        dedupe_key    TEXT    NOT NULL UNIQUE,
        event_id      INTEGER NOT NULL,
        suggestion    TEXT    NOT NULL CHECK (json_valid(suggestion)),
        outcome       TEXT
    ) WITHOUT ROWID",
    // Effects that ran out of retries, until retried successfully (`failed_effects`).
    super::failed_effects::SCHEMA,
    // Agent turns: the last event given to a turn, and the turn in flight. Written when a turn
    // starts or ends, never on an ordinary event's commit.
    "CREATE TABLE IF NOT EXISTS agent_turn (
        singleton       INTEGER PRIMARY KEY CHECK (singleton = 1),
        covered_to      INTEGER NOT NULL,
        in_flight_to    INTEGER,
        in_flight_since INTEGER
    )",
];

/// How long signed request ids are remembered: longer than the signature window both ways.
pub const REQUEST_MEMORY_MS: i64 = 15 * 60_000;
/// How long step idempotency keys are remembered: longer than any step's retry schedule.
pub const KEY_MEMORY_MS: i64 = 30 * 86_400_000;

/// The state, or `None` when the object holds no incident (never started, or finalised).
pub(super) fn read_state<S: SqlStore>(store: &S) -> Result<Option<IncidentState>, SqlError> {
    let rows = match store.query("SELECT state FROM incident WHERE singleton = 1", &[]) {
        Ok(rows) => rows,
        Err(e) if e.is_missing_table() => return Ok(None),
        Err(e) => return Err(e),
    };
    let Some(text) = rows
        .first()
        .and_then(|r| r.get("state"))
        .and_then(|v| v.as_str())
    else {
        return Ok(None);
    };
    serde_json::from_str(text)
        .map(Some)
        .map_err(|e| SqlError::new(format!("stored state does not decode: {e}")))
}

/// Writes the state; returns its JSON text (the event's snapshot).
pub(super) fn write_state<S: SqlStore>(
    store: &S,
    state: &IncidentState,
) -> Result<String, SqlError> {
    let text = serde_json::to_string(state).map_err(|e| SqlError::new(e.to_string()))?;
    store.execute(
        "INSERT INTO incident (singleton, state) VALUES (1, ?) \
         ON CONFLICT(singleton) DO UPDATE SET state = excluded.state",
        &[text.as_str().into()],
    )?;
    Ok(text)
}
