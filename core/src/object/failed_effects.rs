//! Effects that ran out of retries: the `IncidentWorkflow` instance reports them, the object
//! keeps them visible beside the dead letters, and a person can ask for a retry. A retry puts
//! the event back in the outbox queue; the forwarder then marks its message with the effects
//! to run again ([`crate::model::EffectRetry`]), and the instance reports the outcome, which
//! clears the entry or records the new error. A closed incident is not finalised while any
//! entry remains, as with dead letters.

use super::{IncidentObject, Origin};
use crate::decide::EventData;
use crate::effects::EffectDismissed;
use crate::error::DomainError;
use crate::model::EffectRetry;
use crate::view::Applied;
use serde::{Deserialize, Serialize};
use sluice::sql::{SqlError, SqlStore};

pub(super) const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS failed_effects (
    event_id      INTEGER NOT NULL,
    effect        TEXT    NOT NULL,
    step          TEXT    NOT NULL,
    error         TEXT    NOT NULL,
    failed_at     INTEGER NOT NULL,
    retries       INTEGER NOT NULL DEFAULT 0,
    retry_pending INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, effect)
) WITHOUT ROWID";

/// One effect of one event that ran out of retries, as the API lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FailedEffect {
    pub event_id: i64,
    /// The sender or dispatcher (`dashboard`, `slack`, `webhook`, ...).
    pub effect: String,
    /// The workflow step that failed (`<effect>.<method>:<event id>`).
    pub step: String,
    pub error: String,
    pub failed_at: i64,
    /// Retries asked so far.
    pub retries: i64,
    /// A retry was asked and its outcome is not known yet.
    pub retry_pending: bool,
}

/// What an instance reports after running an event's effects, when one failed or when it ran a
/// retry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EffectsReport {
    pub event_id: i64,
    /// 0 for the event's first run, else the retry's round.
    pub round: i64,
    pub failed: Vec<EffectFailure>,
    /// Effects that succeeded (they clear an entry a retry was asked for).
    pub succeeded: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EffectFailure {
    pub effect: String,
    pub step: String,
    pub error: String,
}

#[derive(Deserialize)]
struct Row {
    event_id: i64,
    effect: String,
    step: String,
    error: String,
    failed_at: i64,
    retries: i64,
    retry_pending: i64,
}

impl<S: SqlStore> IncidentObject<S> {
    /// Keeps what an instance reported: failures are recorded (or updated), successes clear
    /// the entries their round covers (a later retry's entry stays pending).
    pub fn effects_report(
        &self,
        tenant: &str,
        report: &EffectsReport,
        now_ms: i64,
    ) -> Result<(), DomainError> {
        self.owned_state(tenant)?;
        self.ensure_schema()?;
        self.store().transaction(|| {
            for failure in &report.failed {
                self.store().execute(
                    "INSERT INTO failed_effects (event_id, effect, step, error, failed_at, retries) \
                     VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (event_id, effect) DO UPDATE SET \
                     step = excluded.step, error = excluded.error, failed_at = excluded.failed_at, \
                     retry_pending = (retries > excluded.retries)",
                    &[
                        report.event_id.into(),
                        failure.effect.as_str().into(),
                        failure.step.as_str().into(),
                        failure.error.as_str().into(),
                        now_ms.into(),
                        report.round.into(),
                    ],
                )?;
            }
            for effect in &report.succeeded {
                self.store().execute(
                    "DELETE FROM failed_effects WHERE event_id = ? AND effect = ? AND retries <= ?",
                    &[
                        report.event_id.into(),
                        effect.as_str().into(),
                        report.round.into(),
                    ],
                )?;
            }
            Ok(())
        })?;
        if self.state()?.is_some_and(|s| s.status.is_terminal()) {
            // Finalisation may have been waiting for this entry to clear.
            self.store().set_alarm(now_ms)?;
        }
        Ok(())
    }

    /// The effects that ran out of retries, oldest event first.
    pub fn failed_effects(&self, tenant: &str) -> Result<Vec<FailedEffect>, DomainError> {
        self.owned_state(tenant)?;
        let rows = match self.store().query_as::<Row>(
            "SELECT event_id, effect, step, error, failed_at, retries, retry_pending \
             FROM failed_effects ORDER BY event_id, effect",
            &[],
        ) {
            Ok(rows) => rows,
            Err(e) if e.is_missing_table() => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        Ok(rows
            .into_iter()
            .map(|r| FailedEffect {
                event_id: r.event_id,
                effect: r.effect,
                step: r.step,
                error: r.error,
                failed_at: r.failed_at,
                retries: r.retries,
                retry_pending: r.retry_pending != 0,
            })
            .collect())
    }

    /// Asks for one failed effect to run again: the event goes back in the queue, and its
    /// message names the effect. Returns the retry's round.
    pub fn retry_effect(
        &self,
        tenant: &str,
        event_id: i64,
        effect: &str,
        now_ms: i64,
    ) -> Result<i64, DomainError> {
        self.owned_state(tenant)?;
        self.ensure_schema()?;
        let round = self.store().transaction(|| {
            let rows = self.store().query(
                "UPDATE failed_effects SET retry_pending = 1, retries = \
                 (SELECT max(retries) + 1 FROM failed_effects WHERE event_id = ?) \
                 WHERE event_id = ? AND effect = ? RETURNING retries",
                &[event_id.into(), event_id.into(), effect.into()],
            )?;
            let Some(round) = rows
                .first()
                .and_then(|r| r.get("retries"))
                .and_then(serde_json::Value::as_i64)
            else {
                return Ok(None);
            };
            self.outbox().requeue(event_id, now_ms)?;
            Ok(Some(round))
        })?;
        round.ok_or(DomainError::NotFound)
    }
}

impl<S: SqlStore> IncidentObject<S> {
    /// Gives up on one failed effect: the entry goes, the effect's lane is told (an
    /// `EFFECT_DISMISSED` event, which the workflow routes to that lane) and goes on without
    /// it. Allowed after the close, like a retry: a closed incident's held lane is released
    /// the same way.
    pub fn dismiss_effect(
        &self,
        origin: &Origin,
        event_id: i64,
        effect: &str,
        now_ms: i64,
    ) -> Result<Applied, DomainError> {
        self.idempotent(origin, now_ms, |state| {
            let failed = self.store().query_as::<Row>(
                "SELECT event_id, effect, step, error, failed_at, retries, retry_pending                  FROM failed_effects WHERE event_id = ? AND effect = ?",
                &[event_id.into(), effect.into()],
            )?;
            let failed = failed.into_iter().next().ok_or(DomainError::NotFound)?;
            let dismissed = EffectDismissed {
                event_id,
                effect: effect.to_owned(),
                error: failed.error,
            };
            self.commit(
                state,
                &EventData::EffectDismissed(dismissed),
                &origin.actor,
                now_ms,
                |_| {
                    self.store().execute(
                        "DELETE FROM failed_effects WHERE event_id = ? AND effect = ?",
                        &[event_id.into(), effect.into()],
                    )?;
                    self.store().execute(
                        "UPDATE lane_state SET state = 'ok', error = NULL, attempt = NULL,                          attempts = NULL, next_retry_at = NULL, updated_at = ?                          WHERE effect = ? AND event_id = ?",
                        &[now_ms.into(), effect.into(), event_id.into()],
                    )
                },
            )
        })
    }
}

/// The retry a re-forwarded event carries: its effects whose retry is pending, at the newest
/// round asked. Called from the alarm, which has created the tables.
pub(crate) fn pending_retry<S: SqlStore>(
    store: &S,
    event_id: i64,
) -> Result<Option<EffectRetry>, SqlError> {
    #[derive(Deserialize)]
    struct Pending {
        effect: String,
        retries: i64,
    }
    let pending = store.query_as::<Pending>(
        "SELECT effect, retries FROM failed_effects WHERE event_id = ? AND retry_pending = 1 \
         ORDER BY effect",
        &[event_id.into()],
    )?;
    let round = pending.iter().map(|p| p.retries).max();
    let effects = pending.into_iter().map(|p| p.effect).collect();
    Ok(round.map(|round| EffectRetry { round, effects }))
}

/// True while any effect waits in the failed list. Called from the alarm, which has created
/// the tables.
pub(crate) fn any<S: SqlStore>(store: &S) -> Result<bool, SqlError> {
    Ok(!store
        .query("SELECT 1 FROM failed_effects LIMIT 1", &[])?
        .is_empty())
}
