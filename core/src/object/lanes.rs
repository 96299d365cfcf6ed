//! What the object knows of the `IncidentWorkflow` lanes (one per effect, see
//! `sluice::fanout`): their trouble, as the lanes report it (a delivery retrying, a
//! lane held behind an event that ran out of retries, then released), and how each
//! generation's lanes ended, for the next generation to start where they stopped.
//!
//! A healthy lane reports nothing (a report costs a step and a call on every event): a lane
//! without trouble shows as `ok`.

use super::failed_effects::{EffectFailure, EffectsReport};
use super::IncidentObject;
use crate::error::DomainError;
use crate::model::event_type;
use serde::{Deserialize, Serialize};
use sluice::fanout::{LaneEnd, LaneStart};
use sluice::sql::{SqlError, SqlStore};

pub(super) const SCHEMA: [&str; 3] = [
    // The newest trouble of each effect's lane (`ok` once it cleared).
    "CREATE TABLE IF NOT EXISTS lane_state (
        effect        TEXT    PRIMARY KEY,
        generation    INTEGER NOT NULL,
        state         TEXT    NOT NULL,
        event_id      INTEGER NOT NULL,
        step          TEXT    NOT NULL,
        attempt       INTEGER,
        attempts      INTEGER,
        error         TEXT,
        next_retry_at INTEGER,
        updated_at    INTEGER NOT NULL
    ) WITHOUT ROWID",
    // How each generation's lanes ended, as its instance reported on its way out.
    "CREATE TABLE IF NOT EXISTS lane_ends (
        generation INTEGER NOT NULL,
        effect     TEXT    NOT NULL,
        through    INTEGER,
        held_event INTEGER,
        held_step  TEXT,
        held_error TEXT,
        pending    TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(pending)),
        PRIMARY KEY (generation, effect)
    ) WITHOUT ROWID",
    // When each generation's lanes last asked where to start: a generation still asking (or
    // just answered, about to deliver) is alive, and a closed incident waits for it.
    "CREATE TABLE IF NOT EXISTS lane_asks (
        generation INTEGER PRIMARY KEY,
        asked_at   INTEGER NOT NULL
    )",
];

/// What a lane reports (the wire form of `sluice::fanout::LaneReport`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LaneUpdate {
    /// The generation whose lane reports.
    pub generation: i64,
    pub effect: String,
    pub event_id: i64,
    /// The delivery's step (`<effect>.<method>:<event id>[#retry-<round>]`).
    pub step: String,
    /// 0 for the event's first delivery, else the operator's retry round.
    pub round: i64,
    pub kind: LaneUpdateKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LaneUpdateKind {
    /// Attempt `attempt` of `attempts` failed; the next starts `next_in_ms` later.
    Retrying {
        attempt: u32,
        attempts: u32,
        error: String,
        next_in_ms: u64,
    },
    /// A delivery that had failed attempts succeeded.
    Recovered,
    /// Out of attempts: the lane holds its later events.
    Held { error: String },
    /// The operator's retry delivered the held event.
    Retried,
}

/// One lane as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LaneView {
    pub effect: String,
    /// `ok` (nothing to report), `retrying` (attempts are failing; the lane waits for the next)
    /// or `held` (out of attempts: later events wait until the held one is retried or
    /// dismissed).
    pub state: String,
    /// What the lane is doing or held behind, in words (`held behind slack.incident_created:3
    /// (failed: …)`); absent when `ok`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The event retrying or held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    /// Unix ms of the next attempt, while retrying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_retry_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Events waiting behind the held one, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held_events: Vec<i64>,
    /// The newest event this lane is known to have delivered (reported after trouble and at
    /// each generation's end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_delivered: Option<i64>,
}

#[derive(Deserialize)]
struct StateRow {
    effect: String,
    generation: i64,
    state: String,
    event_id: i64,
    step: String,
    attempt: Option<i64>,
    attempts: Option<i64>,
    error: Option<String>,
    next_retry_at: Option<i64>,
}

#[derive(Deserialize)]
struct EndRow {
    effect: String,
    through: Option<i64>,
    held_event: Option<i64>,
    held_step: Option<String>,
    held_error: Option<String>,
    pending: String,
}

#[derive(Deserialize)]
struct TailRow {
    newest: i64,
    at: i64,
    reported: Option<i64>,
}

/// How long a generation's lanes may stay silent after its last forward before the next
/// generation stops waiting for their end report and starts from what the lanes reported.
pub const HANDOVER_GRACE_MS: i64 = super::FINISH_GRACE_MS;

impl<S: SqlStore> IncidentObject<S> {
    /// Keeps a lane's report. `held` and `retried` also list or clear the failed effect, as an
    /// effects report does.
    pub fn lane_update(
        &self,
        tenant: &str,
        update: &LaneUpdate,
        now_ms: i64,
    ) -> Result<(), DomainError> {
        self.owned_state(tenant)?;
        self.ensure_schema()?;
        let (state, attempt, attempts, error, next_retry_at) = match &update.kind {
            LaneUpdateKind::Retrying {
                attempt,
                attempts,
                error,
                next_in_ms,
            } => (
                "retrying",
                Some(i64::from(*attempt)),
                Some(i64::from(*attempts)),
                Some(error.clone()),
                Some(now_ms.saturating_add(*next_in_ms as i64)),
            ),
            LaneUpdateKind::Held { error } => ("held", None, None, Some(error.clone()), None),
            LaneUpdateKind::Recovered | LaneUpdateKind::Retried => ("ok", None, None, None, None),
        };
        self.store().execute(
            "INSERT INTO lane_state (effect, generation, state, event_id, step, attempt, attempts, \
             error, next_retry_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT(effect) DO UPDATE SET generation = excluded.generation, \
             state = excluded.state, event_id = excluded.event_id, step = excluded.step, \
             attempt = excluded.attempt, attempts = excluded.attempts, error = excluded.error, \
             next_retry_at = excluded.next_retry_at, updated_at = excluded.updated_at",
            &[
                update.effect.as_str().into(),
                update.generation.into(),
                state.into(),
                update.event_id.into(),
                update.step.as_str().into(),
                attempt.into(),
                attempts.into(),
                error.into(),
                next_retry_at.into(),
                now_ms.into(),
            ],
        )?;
        let report = match &update.kind {
            LaneUpdateKind::Held { error } => Some(EffectsReport {
                event_id: update.event_id,
                round: update.round,
                failed: vec![EffectFailure {
                    effect: update.effect.clone(),
                    step: update.step.clone(),
                    error: error.clone(),
                }],
                succeeded: Vec::new(),
            }),
            LaneUpdateKind::Retried => Some(EffectsReport {
                event_id: update.event_id,
                round: update.round,
                failed: Vec::new(),
                succeeded: vec![update.effect.clone()],
            }),
            _ => None,
        };
        match report {
            Some(report) => self.effects_report(tenant, &report, now_ms),
            None => Ok(()),
        }
    }

    /// Keeps how `generation`'s lanes ended.
    pub(crate) fn record_lane_ends(
        &self,
        generation: i64,
        ends: &[LaneEnd],
    ) -> Result<(), SqlError> {
        for end in ends {
            let pending = serde_json::to_string(&end.pending).unwrap_or_else(|_| "[]".into());
            self.store().execute(
                "INSERT OR REPLACE INTO lane_ends (generation, effect, through, held_event, \
                 held_step, held_error, pending) VALUES (?, ?, ?, ?, ?, ?, ?)",
                &[
                    generation.into(),
                    end.effect.as_str().into(),
                    end.through.into(),
                    end.held.as_ref().map(|h| h.event_id).into(),
                    end.held.as_ref().map(|h| h.step.clone()).into(),
                    end.held.as_ref().map(|h| h.error.clone()).into(),
                    pending.into(),
                ],
            )?;
        }
        Ok(())
    }

    /// Where `effect`'s lane starts in `generation`: where the previous generation's lane
    /// ended, once it said so. `None` while it may still be delivering: the lane asks again.
    /// A previous generation that was abandoned, reported without lanes (older workflow code),
    /// or stayed silent past [`HANDOVER_GRACE_MS`] without a lane still retrying, is taken at
    /// its lanes' reports: held where one reported held, else fresh.
    pub fn lane_start(
        &self,
        tenant: &str,
        generation: i64,
        effect: &str,
        now_ms: i64,
    ) -> Result<Option<LaneStart>, DomainError> {
        self.owned_state(tenant)?;
        self.ensure_schema()?;
        let previous = generation - 1;
        if previous < 1 {
            return Ok(Some(LaneStart::Fresh));
        }
        self.store().execute(
            "INSERT INTO lane_asks (generation, asked_at) VALUES (?, ?) ON CONFLICT(generation) \
             DO UPDATE SET asked_at = max(asked_at, excluded.asked_at)",
            &[generation.into(), now_ms.into()],
        )?;
        let ends = self.store().query_as::<EndRow>(
            "SELECT effect, through, held_event, held_step, held_error, pending FROM lane_ends \
             WHERE generation = ?",
            &[previous.into()],
        )?;
        if !ends.is_empty() {
            let start = ends
                .into_iter()
                .find(|end| end.effect == effect)
                .and_then(|end| {
                    Some(LaneStart::Held {
                        event_id: end.held_event?,
                        step: end.held_step.unwrap_or_default(),
                        error: end.held_error.unwrap_or_default(),
                        through: end.through.unwrap_or_default(),
                    })
                });
            return Ok(Some(start.unwrap_or(LaneStart::Fresh)));
        }
        let Some(tail) = self
            .store()
            .query_as::<TailRow>(
                "SELECT newest, at, reported FROM workflow_tails WHERE generation = ?",
                &[previous.into()],
            )?
            .pop()
        else {
            return Ok(Some(LaneStart::Fresh));
        };
        let ended = tail.reported.is_some_and(|r| r >= tail.newest);
        let silent = now_ms - tail.at >= HANDOVER_GRACE_MS;
        let lane = self.lane_state_of(effect)?;
        match lane {
            Some(lane) if lane.state == "held" && lane.generation <= previous => {
                Ok(Some(LaneStart::Held {
                    event_id: lane.event_id,
                    step: lane.step,
                    error: lane.error.unwrap_or_default(),
                    through: tail.newest,
                }))
            }
            Some(lane) if lane.state == "retrying" && lane.generation == previous && !ended => {
                Ok(None)
            }
            _ if ended || silent => Ok(Some(LaneStart::Fresh)),
            _ => Ok(None),
        }
    }

    fn lane_state_of(&self, effect: &str) -> Result<Option<StateRow>, SqlError> {
        Ok(self
            .store()
            .query_as::<StateRow>(
                "SELECT effect, generation, state, event_id, step, attempt, attempts, error, \
                 next_retry_at FROM lane_state WHERE effect = ?",
                &[effect.into()],
            )?
            .pop())
    }

    /// Every lane of `effects` (the workflow's effect names), as the API shows them.
    pub fn lanes(&self, tenant: &str, effects: &[&str]) -> Result<Vec<LaneView>, DomainError> {
        self.owned_state(tenant)?;
        let states = match self.store().query_as::<StateRow>(
            "SELECT effect, generation, state, event_id, step, attempt, attempts, error, \
             next_retry_at FROM lane_state ORDER BY effect",
            &[],
        ) {
            Ok(rows) => rows,
            Err(e) if e.is_missing_table() => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        let ends = match self.store().query_as::<EndRow>(
            "SELECT effect, through, held_event, held_step, held_error, pending FROM lane_ends \
             WHERE generation = (SELECT max(generation) FROM lane_ends)",
            &[],
        ) {
            Ok(rows) => rows,
            Err(e) if e.is_missing_table() => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        let mut names: Vec<&str> = effects.to_vec();
        names.extend(states.iter().map(|s| s.effect.as_str()));
        names.sort_unstable();
        names.dedup();
        names
            .into_iter()
            .map(|effect| {
                let state = states.iter().find(|s| s.effect == effect);
                let end = ends.iter().find(|e| e.effect == effect);
                self.lane_view(effect, state, end)
            })
            .collect()
    }

    fn lane_view(
        &self,
        effect: &str,
        state: Option<&StateRow>,
        end: Option<&EndRow>,
    ) -> Result<LaneView, DomainError> {
        let mut view = LaneView {
            effect: effect.to_owned(),
            state: "ok".into(),
            summary: None,
            event_id: None,
            step: None,
            attempt: None,
            attempts: None,
            next_retry_at: None,
            error: None,
            held_events: Vec::new(),
            last_delivered: end.and_then(|e| match e.held_event {
                Some(_) => None,
                None => e.through,
            }),
        };
        let Some(state) = state.filter(|s| s.state != "ok") else {
            if let Some(delivered) = state.map(|s| s.event_id) {
                view.last_delivered = view.last_delivered.max(Some(delivered));
            }
            return Ok(view);
        };
        view.state = state.state.clone();
        view.event_id = Some(state.event_id);
        view.step = Some(state.step.clone());
        view.attempt = state.attempt.map(|a| a as u32);
        view.attempts = state.attempts.map(|a| a as u32);
        view.next_retry_at = state.next_retry_at;
        view.error = state.error.clone();
        let error = state.error.as_deref().unwrap_or("unknown");
        view.summary = Some(match state.state.as_str() {
            "held" => {
                view.held_events = self.held_behind(effect, state.event_id, end)?;
                format!(
                    "held behind {} (failed: {error}); {} later event(s) wait",
                    state.step,
                    view.held_events.len()
                )
            }
            // The next attempt's time is `next_retry_at`: readers say it in their own terms.
            _ => format!(
                "retrying {}: attempt {} of {} failed ({error})",
                state.step,
                state.attempt.unwrap_or(0),
                state.attempts.unwrap_or(0),
            ),
        });
        Ok(view)
    }

    /// The forwarded events after `held` that `effect` handles: what its held lane owes.
    fn held_behind(
        &self,
        effect: &str,
        held: i64,
        end: Option<&EndRow>,
    ) -> Result<Vec<i64>, DomainError> {
        if let Some(end) = end.filter(|e| e.held_event == Some(held)) {
            return Ok(serde_json::from_str(&end.pending).unwrap_or_default());
        }
        let types = handled_types(effect);
        #[derive(Deserialize)]
        struct Row {
            event_id: i64,
            event_type: String,
        }
        let rows = self.store().query_as::<Row>(
            "SELECT event_id, event_type FROM outbox WHERE event_id > ? \
             AND published_at IS NOT NULL ORDER BY event_id",
            &[held.into()],
        )?;
        Ok(rows
            .into_iter()
            .filter(|r| types.contains(&r.event_type.as_str()))
            .map(|r| r.event_id)
            .collect())
    }
}

/// The latest sign of life from lanes still at work: the next attempt a retrying lane
/// announced, or the last time a generation that has not reported asked where its lanes
/// start. A closed incident's grace starts no earlier (called from the alarm, which has
/// created the tables).
pub(super) fn last_sign_of_life<S: SqlStore>(store: &S) -> Result<Option<i64>, SqlError> {
    #[derive(Deserialize)]
    struct Latest {
        at: Option<i64>,
    }
    Ok(store
        .query_as::<Latest>(
            "SELECT max(at) AS at FROM ( \
               SELECT max(next_retry_at) AS at FROM lane_state WHERE state = 'retrying' \
               UNION ALL \
               SELECT max(a.asked_at) AS at FROM lane_asks a LEFT JOIN workflow_tails t \
                 ON t.generation = a.generation \
                 WHERE t.reported IS NULL OR t.reported < t.newest)",
            &[],
        )?
        .pop()
        .and_then(|l| l.at))
}

/// Whether a generation whose lanes asked where to start has not reported its end yet (the
/// forwarder may not even know it exists: its creation's answer was lost).
pub(super) fn unreported_askers<S: SqlStore>(store: &S) -> Result<bool, SqlError> {
    Ok(!store
        .query(
            "SELECT 1 FROM lane_asks a LEFT JOIN workflow_tails t ON t.generation = a.generation \
             WHERE t.reported IS NULL OR t.reported < t.newest LIMIT 1",
            &[],
        )?
        .is_empty())
}

/// The effects `IncidentWorkflow` fans out to: one lane each.
pub fn workflow_effects() -> Vec<&'static str> {
    sluice::registry::effects(crate::INCIDENT_WORKFLOW)
        .into_iter()
        .map(|e| e.name)
        .collect()
}

/// The event types `effect` has a handler for in `IncidentWorkflow`.
fn handled_types(effect: &str) -> Vec<&'static str> {
    sluice::registry::effects(crate::INCIDENT_WORKFLOW)
        .into_iter()
        .filter(|e| e.name == effect)
        .flat_map(|e| e.handlers.iter().map(|h| h.event))
        .filter(|t| *t != event_type::EFFECT_DISMISSED)
        .collect()
}
