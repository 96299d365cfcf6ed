//! Each generation's *tail*: the last event forwarded to it. The engine can lose an event it
//! accepted; an instance recovers a lost event when a later one reaches it (the gap rule), so
//! only a tail can be lost for good. The alarm therefore sends each tail again until that is
//! settled:
//!
//! - the current generation of an open incident gets its tail again, once the queue is
//!   drained, at each point of [`NUDGE_SCHEDULE_MS`] after its last forward (nothing reports
//!   which events an open instance handled, so the count is bounded rather than confirmed);
//! - a generation that is *retiring* (it was sent a `last` message, or a newer generation
//!   took over because it was full) gets its tail marked `last` on the same schedule until
//!   its instance reports it ended (`workflow_finished`). That instance then handles the tail
//!   and whatever it lost before it, reports, and ends, and a closed incident finalises only
//!   once every generation reported (or after its grace period).
//!
//! A generation abandoned after a long silence is not asked: its instance may have stopped
//! listening, and its tail was sent again long before.
//!
//! A tail that is not the generation's newest event (a replayed dead letter, forwarded after
//! newer events) is sent first, then the newest: either may be the lost one. A dead letter
//! replayed before other events is not anyone's tail any more; re-sends list every such replay
//! of the generation (`replayed`), and the instance asks the object for one it lacks.

use super::{instance_id, message_for, Generation};
use crate::model::IncidentMessage;
use crate::WORKFLOW_EVENT_TYPE;
use sluice::outbox::{Outbox, OutboxRow};
use sluice::sql::{SqlError, SqlStore};
use sluice::workflow::WorkflowClient;

/// How long after the last forward a tail is first sent again. A duplicate is dropped by the
/// instance.
pub const NUDGE_AFTER_MS: i64 = 30_000;
/// When, after the last forward, a tail is sent again: after [`NUDGE_AFTER_MS`], then twice
/// more in case a re-send was lost too.
pub const NUDGE_SCHEDULE_MS: [i64; 3] = [NUDGE_AFTER_MS, 10 * NUDGE_AFTER_MS, 60 * NUDGE_AFTER_MS];

pub(crate) const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS workflow_tails (
    generation INTEGER PRIMARY KEY,
    event_id   INTEGER NOT NULL,
    newest     INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    sent       INTEGER NOT NULL DEFAULT 0,
    reported   INTEGER,
    replayed   TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(replayed))
)";

/// One generation's tail, as stored.
#[derive(Clone, Debug, serde::Deserialize)]
struct Tail {
    generation: i64,
    /// The last event forwarded to it.
    event_id: i64,
    /// The newest event forwarded to it.
    newest: i64,
    /// When the last event was forwarded: re-sends are scheduled from here.
    at: i64,
    /// Re-sends since.
    sent: i64,
    /// Events forwarded to it after a newer one (replayed dead letters), a JSON array.
    replayed: String,
}

/// Records a successful forward of `event_id` to `generation`: the new tail, with its
/// re-send schedule starting over.
pub(super) fn forwarded<S: SqlStore>(
    store: &S,
    generation: i64,
    event_id: i64,
    now_ms: i64,
) -> Result<(), SqlError> {
    store.execute(
        "INSERT INTO workflow_tails (generation, event_id, newest, at) VALUES (?, ?, ?, ?) \
         ON CONFLICT(generation) DO UPDATE SET event_id = excluded.event_id, \
         newest = max(newest, excluded.newest), at = excluded.at, sent = 0, \
         replayed = CASE WHEN excluded.event_id < newest \
           THEN json_insert(replayed, '$[#]', excluded.event_id) ELSE replayed END",
        &[
            generation.into(),
            event_id.into(),
            event_id.into(),
            now_ms.into(),
        ],
    )
}

/// A generation abandoned after a long silence: nothing to ask it.
pub(super) fn abandoned<S: SqlStore>(store: &S, generation: i64) -> Result<(), SqlError> {
    store.execute(
        "UPDATE workflow_tails SET reported = newest WHERE generation = ?",
        &[generation.into()],
    )
}

/// The instance of `generation` reported that it handled a message marked `last` with
/// `event_id` and ended. That settles the generation's tail if it covers its newest event:
/// an instance handles the events before its `last` message first (the gap rule). The report
/// may overtake the forward's own record (the object serves requests while it waits for the
/// engine), hence an upsert.
pub fn reported<S: SqlStore>(
    store: &S,
    generation: i64,
    event_id: i64,
    now_ms: i64,
) -> Result<(), SqlError> {
    store.execute(
        "INSERT INTO workflow_tails (generation, event_id, newest, at, reported) \
         VALUES (?, ?, ?, ?, ?) ON CONFLICT(generation) DO UPDATE SET \
         reported = max(coalesce(reported, 0), excluded.reported)",
        &[
            generation.into(),
            event_id.into(),
            event_id.into(),
            now_ms.into(),
            event_id.into(),
        ],
    )
}

/// Whether every generation that was forwarded something has reported its newest event
/// handled (or was abandoned). `false` when none was: storage from before tails were recorded
/// waits out its grace.
pub fn all_reported<S: SqlStore>(store: &S) -> Result<bool, SqlError> {
    #[derive(serde::Deserialize)]
    struct Counts {
        tails: i64,
        open: i64,
    }
    let counts = store.query_as::<Counts>(
        "SELECT count(*) AS tails, \
         coalesce(sum(reported IS NULL OR reported < newest), 0) AS open FROM workflow_tails",
        &[],
    )?;
    Ok(counts.first().is_some_and(|c| c.tails > 0 && c.open == 0))
}

/// Sends every due tail again (see the module docs). `drained`: the queue holds nothing, so
/// the current open generation's tail is really its last. Returns when the alarm must run for
/// the next re-send.
pub async fn resend<S: SqlStore>(
    workflows: &dyn WorkflowClient,
    store: &S,
    outbox: &Outbox<'_, S>,
    incident_id: &str,
    current: Option<Generation>,
    drained: bool,
    now_ms: i64,
) -> Result<Option<i64>, SqlError> {
    let Some(current) = current else {
        return Ok(None);
    };
    let tails = store.query_as::<Tail>(
        "SELECT generation, event_id, newest, at, sent, replayed FROM workflow_tails \
         WHERE reported IS NULL OR reported < newest ORDER BY generation",
        &[],
    )?;
    let mut next: Option<i64> = None;
    let mut wake_at = |at: i64| next = Some(next.map_or(at, |n| n.min(at)));
    for tail in tails {
        let retiring = tail.generation < current.generation || current.closed;
        if !retiring && !drained {
            continue;
        }
        let due_after = |sent: i64| {
            NUDGE_SCHEDULE_MS
                .get(sent as usize)
                .map(|after| tail.at + after)
        };
        let Some(due) = due_after(tail.sent) else {
            continue;
        };
        if now_ms < due {
            wake_at(due);
            continue;
        }
        match send_again(workflows, outbox, incident_id, &tail, retiring).await {
            Ok(()) => {
                store.execute(
                    "UPDATE workflow_tails SET sent = sent + 1 WHERE generation = ?",
                    &[tail.generation.into()],
                )?;
                if let Some(at) = due_after(tail.sent + 1) {
                    wake_at(at);
                }
            }
            Err(e) => {
                // Refused, so not sent: it does not count, and the alarm tries again.
                sluice::log::info(&format!(
                    "incident={incident_id} re-sending event {} to generation {} failed: {e}",
                    tail.newest, tail.generation
                ));
                wake_at(now_ms + NUDGE_AFTER_MS);
            }
        }
    }
    Ok(next)
}

async fn send_again<S: SqlStore>(
    workflows: &dyn WorkflowClient,
    outbox: &Outbox<'_, S>,
    incident_id: &str,
    tail: &Tail,
    retiring: bool,
) -> Result<(), String> {
    let instance = instance_id(incident_id, tail.generation);
    let replayed: Vec<i64> = serde_json::from_str(&tail.replayed).unwrap_or_default();
    let mut messages = Vec::with_capacity(2);
    if tail.event_id != tail.newest {
        messages.push((tail.event_id, false));
    }
    messages.push((tail.newest, retiring));
    for (event_id, last) in messages {
        let row = row(outbox, event_id)?;
        let payload = message_for(&row, last)
            .map(|message| IncidentMessage {
                replayed: replayed.clone(),
                ..message
            })
            .and_then(|message| serde_json::to_value(&message).map_err(|e| e.to_string()))?;
        workflows
            .send_event(&instance, WORKFLOW_EVENT_TYPE, &payload)
            .await
            .map_err(|e| e.message)?;
    }
    Ok(())
}

fn row<S: SqlStore>(outbox: &Outbox<'_, S>, event_id: i64) -> Result<OutboxRow, String> {
    outbox
        .between(event_id, event_id)
        .map_err(|e| e.message)?
        .pop()
        .ok_or_else(|| format!("event {event_id} is not in the outbox"))
}
