//! The alarm: forward due events to the incident's workflow, and once a closed incident is
//! fully delivered, finalise it (archive, start its analysis, delete the object's storage).

use super::turns::{AgentTurns, TurnReport};
use super::{IncidentObject, REQUEST_MEMORY_MS};
use crate::error::DomainError;
use crate::forward::IncidentForwarder;
use crate::model::IncidentState;
use crate::view::ArchivedIncident;
use sluice::outbox::PassReport;
use sluice::sql::{SqlError, SqlStore};
use sluice::workflow::WorkflowClient;

/// Where a finished incident's record goes before its object's storage is deleted.
#[async_trait::async_trait(?Send)]
pub trait Archive {
    async fn archive(&self, record: &ArchivedIncident) -> Result<(), String>;
}

/// What an alarm did after forwarding.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AlarmReport {
    pub pass: PassReport,
    /// The incident was closed and drained: archived, analysis started, storage deleted.
    pub finalized: bool,
    /// Why finalisation must wait (retried on a later alarm).
    pub finalize_error: Option<String>,
    /// Agent turns: the one started, or why a due one could not start.
    pub turn: TurnReport,
}

/// How long a closed, fully forwarded incident waits for its workflow's report that the last
/// event was handled before finalising anyway: senders still read the incident (a Slack
/// channel id written back moments ago, say), and a lost report must not keep the object
/// forever.
pub const FINISH_GRACE_MS: i64 = 10 * 60_000;

/// How long after a failed finalisation the alarm tries again.
pub const FINALIZE_RETRY_MS: i64 = 30_000;

impl<S: SqlStore> IncidentObject<S> {
    /// The alarm: forward due events, re-arming while work remains; once a closed incident is
    /// fully delivered, archive it, start its analysis and delete the object's storage, in
    /// that order.
    pub async fn on_alarm(
        &self,
        workflows: &dyn WorkflowClient,
        analysis: &dyn WorkflowClient,
        archive: &dyn Archive,
        now_ms: i64,
    ) -> Result<AlarmReport, DomainError> {
        self.on_alarm_with_turns(workflows, analysis, archive, None, now_ms)
            .await
    }

    /// [`on_alarm`](Self::on_alarm), then agent turns when `turns` is given (a language model
    /// is configured): start a due turn, or arm the alarm for when one will be due.
    pub async fn on_alarm_with_turns(
        &self,
        workflows: &dyn WorkflowClient,
        analysis: &dyn WorkflowClient,
        archive: &dyn Archive,
        turns: Option<&AgentTurns<'_>>,
        now_ms: i64,
    ) -> Result<AlarmReport, DomainError> {
        let Some(state) = self.state()? else {
            return Ok(AlarmReport::default());
        };
        self.ensure_schema()?;
        self.prune_idempotency(now_ms)?;
        let forwarder = IncidentForwarder::new(workflows, self.store(), &state, now_ms);
        let pass = self.outbox().forward_due(&forwarder, now_ms).await?;
        let mut report = AlarmReport {
            pass,
            ..AlarmReport::default()
        };
        let mut armed = report.pass.next_alarm_at;
        let drained = !self.outbox().has_pending()?;
        let current = crate::forward::current_generation(self.store())?;
        // Dead letters keep the object from finalising: they were never delivered, and stay
        // visible and replayable. Failed effects (held lanes) let it archive and start its
        // analysis, but keep its storage, so they can still be retried or dismissed.
        let delivered =
            state.status.is_terminal() && drained && !self.outbox().has_dead_letters()?;
        // The grace runs from the last change, the last forward or the last sign of life of a
        // lane (a next attempt announced, a hand-over asked), whichever is later: a dead letter
        // replayed long after the close gets its full grace too, and a lane riding out an
        // outage, or a new generation's lanes, are waited for.
        let grace_from = current
            .map_or(state.updated_at, |g| {
                g.last_forward_at.max(state.updated_at)
            })
            .max(super::lanes::last_sign_of_life(self.store())?.unwrap_or(0));
        let waited_out = now_ms >= grace_from + FINISH_GRACE_MS;
        // Every generation's instance reported it ended after handling its newest event (a
        // generation whose lanes asked for a hand-over counts, even one whose creation the
        // forwarder never heard of): senders no longer read the object.
        let all_reported = crate::forward::all_reported(self.store())?
            && !super::lanes::unreported_askers(self.store())?;
        if delivered && (waited_out || all_reported) {
            let held = super::failed_effects::any(self.store())?;
            match self.finalize(&state, analysis, archive, held).await {
                Ok(()) => report.finalized = !held,
                Err(e) => {
                    self.store().set_alarm(now_ms + FINALIZE_RETRY_MS)?;
                    armed = Some(now_ms + FINALIZE_RETRY_MS);
                    report.finalize_error = Some(e);
                }
            }
        } else if delivered {
            // The workflow's report sets the alarm again; this one is the fallback.
            let fallback = grace_from + FINISH_GRACE_MS;
            if armed.is_none_or(|at| at > fallback) {
                self.store().set_alarm(fallback)?;
                armed = Some(fallback);
            }
        }
        if !report.finalized {
            let resend = crate::forward::resend(
                workflows,
                self.store(),
                &self.outbox(),
                &state.id,
                current,
                drained,
                now_ms,
            )
            .await?;
            if let Some(at) = resend.filter(|at| armed.is_none_or(|armed| armed > *at)) {
                self.store().set_alarm(at)?;
                armed = Some(at);
            }
        }
        if let (Some(turns), false) = (turns, report.finalized) {
            report.turn = self.pace_agent_turns(&state, turns, armed, now_ms).await?;
        }
        Ok(report)
    }

    /// Keeps an instance's report that it handled a message marked `last` and ended, with how
    /// its lanes ended (for the next generation); a closed incident's alarm then runs at once,
    /// to finalise if every generation has reported. A report names its instance (reports
    /// from older workflow code do not: the current generation's), and settles only that
    /// generation (`forward::tails`).
    pub fn workflow_finished(
        &self,
        tenant: &str,
        event_id: i64,
        instance_id: Option<&str>,
        lanes: &[sluice::fanout::LaneEnd],
        now_ms: i64,
    ) -> Result<(), DomainError> {
        let state = self.owned_state(tenant)?;
        self.ensure_schema()?;
        let current = crate::forward::current_generation(self.store())?.map_or(1, |g| g.generation);
        let generation = match instance_id {
            None => Some(current),
            Some(reporter) => crate::forward::generation_of(&state.id, reporter),
        };
        let Some(generation) = generation.filter(|g| *g <= current) else {
            return Ok(());
        };
        self.store().transaction(|| {
            crate::forward::reported(self.store(), generation, event_id, now_ms)?;
            self.record_lane_ends(generation, lanes)
        })?;
        if state.status.is_terminal() {
            self.store().set_alarm(now_ms)?;
        }
        Ok(())
    }

    fn prune_idempotency(&self, now_ms: i64) -> Result<(), SqlError> {
        self.store().execute(
            "DELETE FROM applied_requests WHERE at < ?",
            &[(now_ms - REQUEST_MEMORY_MS).into()],
        )?;
        self.store().execute(
            "DELETE FROM applied_keys WHERE at < ?",
            &[(now_ms - super::KEY_MEMORY_MS).into()],
        )
    }

    /// Archives the record and starts the analysis; then deletes the storage, unless `held`
    /// (failed effects wait for a retry or a dismissal: the object stays to serve them, and
    /// archives again, with the final timeline, once they are settled).
    async fn finalize(
        &self,
        state: &IncidentState,
        analysis: &dyn WorkflowClient,
        archive: &dyn Archive,
        held: bool,
    ) -> Result<(), String> {
        let record = ArchivedIncident {
            view: self.view(state.clone()).map_err(|e| e.to_string())?,
            workflow_instance: Some(
                crate::forward::current_instance(self.store(), &state.id)
                    .map_err(|e| e.to_string())?,
            ),
        };
        archive
            .archive(&record)
            .await
            .map_err(|e| format!("archive: {e}"))?;
        let params = serde_json::json!({ "incident_id": state.id, "tenant_id": state.tenant_id });
        analysis
            .create(&format!("analysis-{}", state.id), &params)
            .await
            .map_err(|e| format!("analysis: {e}"))?;
        if held {
            return Ok(());
        }
        self.store()
            .delete_all()
            .map_err(|e| format!("delete: {e}"))
    }
}
