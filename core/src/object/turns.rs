//! The storage side of agent turns: the facts [`debounce::next_turn`] reads, starting
//! `IncidentAgentTurnWorkflow` from the alarm, and the turn's report of its end.
//!
//! Ordinary commits write nothing for this: the undigested human events are read back from
//! the outbox by the alarm (which runs after every commit anyway). The `agent_turn` row is
//! written only when a turn starts or ends.
//!
//! At least once: the instance id is derived from the incident and the range's end, so a
//! repeated create finds the instance; the turn is marked in flight only after the create
//! succeeded or found it. A crash in between starts the same instance again, harmlessly.

use super::debounce::{self, InFlight, NextTurn, TurnFacts, TurnPacing, Undigested};
use super::IncidentObject;
use crate::error::DomainError;
use crate::model::{event_type, IncidentState};
use incidentd_llm::openai::LlmConfig;
use serde::{Deserialize, Serialize};
use sluice::sql::{SqlError, SqlStore};
use sluice::workflow::{Services, WorkflowClient};

/// The workflow class the alarm starts.
pub const AGENT_TURN_WORKFLOW: &str = "IncidentAgentTurnWorkflow";

/// Worker vars pacing turns, in seconds.
pub const QUIET_VAR: &str = "AGENT_QUIET_SECONDS";
pub const MAX_WAIT_VAR: &str = "AGENT_MAX_WAIT_SECONDS";
pub const DEFAULT_QUIET_SECONDS: i64 = 60;
pub const DEFAULT_MAX_WAIT_SECONDS: i64 = 300;
/// Longer than any turn's steps with their retries take.
pub const IN_FLIGHT_TIMEOUT_MS: i64 = 30 * 60_000;
/// After a failed start, the alarm tries again this much later.
pub const START_RETRY_MS: i64 = 10_000;

/// `IncidentAgentTurnWorkflow`'s input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AgentTurn {
    pub incident_id: String,
    pub tenant_id: String,
    /// The events this turn reads (inclusive): everything since the previous turn.
    pub from_event_id: i64,
    pub to_event_id: i64,
}

impl AgentTurn {
    /// The workflow instance id: one per incident and range end, so starting it twice is
    /// harmless.
    pub fn instance_id(&self) -> String {
        format!("turn-{}-{}", self.incident_id, self.to_event_id)
    }
}

impl TurnPacing {
    /// From the Worker's vars; `None` when no language model is configured (`LLM_API_KEY`)
    /// or its settings are unusable: then the object schedules no turns at all.
    pub fn from_services(services: &dyn Services) -> Option<TurnPacing> {
        LlmConfig::from_services(services)?.ok()?;
        let seconds = |name: &str, default: i64| {
            services
                .var(name)
                .and_then(|v| v.trim().parse::<i64>().ok())
                .filter(|s| *s >= 0)
                .unwrap_or(default)
        };
        Some(TurnPacing {
            quiet_ms: seconds(QUIET_VAR, DEFAULT_QUIET_SECONDS) * 1_000,
            max_wait_ms: seconds(MAX_WAIT_VAR, DEFAULT_MAX_WAIT_SECONDS) * 1_000,
            in_flight_timeout_ms: IN_FLIGHT_TIMEOUT_MS,
        })
    }
}

/// What the alarm needs to start turns: the workflow binding and the pacing.
#[derive(Clone, Copy)]
pub struct AgentTurns<'a> {
    pub workflows: &'a dyn WorkflowClient,
    pub pacing: TurnPacing,
}

/// What the alarm did about agent turns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TurnReport {
    /// The instance started (or found started) in this pass.
    pub started: Option<String>,
    /// Why a due turn could not start (retried after [`START_RETRY_MS`]).
    pub error: Option<String>,
}

#[derive(Deserialize)]
struct TurnRow {
    covered_to: i64,
    in_flight_to: Option<i64>,
    in_flight_since: Option<i64>,
}

#[derive(Deserialize)]
struct UndigestedRow {
    first_at: Option<i64>,
    last_at: Option<i64>,
}

impl<S: SqlStore> IncidentObject<S> {
    fn turn_row(&self) -> Result<TurnRow, SqlError> {
        let rows = self.store().query_as::<TurnRow>(
            "SELECT covered_to, in_flight_to, in_flight_since FROM agent_turn WHERE singleton = 1",
            &[],
        )?;
        Ok(rows.into_iter().next().unwrap_or(TurnRow {
            covered_to: 0,
            in_flight_to: None,
            in_flight_since: None,
        }))
    }

    /// Messages people wrote (dashboard or Slack) after `covered_to`: a range read of the
    /// outbox by its primary key.
    fn undigested(&self, covered_to: i64) -> Result<Option<Undigested>, SqlError> {
        let row = self
            .store()
            .query_as::<UndigestedRow>(
                "SELECT MIN(created_at) AS first_at, MAX(created_at) AS last_at FROM outbox \
                 WHERE event_id > ? AND event_type = ? \
                 AND json_extract(data, '$.actor.kind') IN ('user', 'slack')",
                &[covered_to.into(), event_type::MESSAGE_ADDED.into()],
            )?
            .into_iter()
            .next();
        Ok(row.and_then(|r| {
            Some(Undigested {
                first_at: r.first_at?,
                last_at: r.last_at?,
            })
        }))
    }

    fn turn_facts(&self, state: &IncidentState) -> Result<TurnFacts, SqlError> {
        let row = self.turn_row()?;
        Ok(TurnFacts {
            closed: state.status.is_terminal(),
            covered_to: row.covered_to,
            last_event_id: state.last_event_id,
            in_flight: row
                .in_flight_to
                .zip(row.in_flight_since)
                .map(|(to_event_id, since)| InFlight { to_event_id, since }),
            undigested: self.undigested(row.covered_to)?,
        })
    }

    /// The alarm's part for agent turns, after forwarding: start a due turn, or arm the alarm
    /// for when one will be due. `armed` is the alarm the pass already set (kept if earlier).
    pub(super) async fn pace_agent_turns(
        &self,
        state: &IncidentState,
        turns: &AgentTurns<'_>,
        armed: Option<i64>,
        now_ms: i64,
    ) -> Result<TurnReport, SqlError> {
        let facts = self.turn_facts(state)?;
        let arm = |at: i64| match armed {
            Some(earlier) if earlier <= at => Ok(()),
            _ => self.store().set_alarm(at),
        };
        let mut report = TurnReport::default();
        match debounce::next_turn(&facts, &turns.pacing, now_ms) {
            NextTurn::Idle => {}
            NextTurn::WakeAt(at) => arm(at)?,
            NextTurn::Start {
                from_event_id,
                to_event_id,
            } => {
                let turn = AgentTurn {
                    incident_id: state.id.clone(),
                    tenant_id: state.tenant_id.clone(),
                    from_event_id,
                    to_event_id,
                };
                let params =
                    serde_json::to_value(&turn).map_err(|e| SqlError::new(e.to_string()))?;
                // "Already exists" is success: an earlier pass created it and then failed.
                match turns.workflows.create(&turn.instance_id(), &params).await {
                    Ok(_) => {
                        self.store().execute(
                            "INSERT INTO agent_turn (singleton, covered_to, in_flight_to, in_flight_since) \
                             VALUES (1, ?, ?, ?) ON CONFLICT(singleton) DO UPDATE SET \
                             covered_to = excluded.covered_to, in_flight_to = excluded.in_flight_to, \
                             in_flight_since = excluded.in_flight_since",
                            &[to_event_id.into(), to_event_id.into(), now_ms.into()],
                        )?;
                        arm(now_ms + turns.pacing.in_flight_timeout_ms)?;
                        report.started = Some(turn.instance_id());
                    }
                    Err(e) => {
                        arm(now_ms + START_RETRY_MS)?;
                        report.error = Some(format!("starting {}: {e}", turn.instance_id()));
                    }
                }
            }
        }
        Ok(report)
    }

    /// A turn reports its end: it no longer blocks the next one, which the alarm (armed now)
    /// starts if it is due. A report for another turn (a late one, after its timeout) changes
    /// nothing.
    pub fn agent_turn_ended(
        &self,
        tenant: &str,
        to_event_id: i64,
        now_ms: i64,
    ) -> Result<bool, DomainError> {
        self.owned_state(tenant)?;
        self.ensure_schema()?;
        let row = self.turn_row()?;
        if row.in_flight_to != Some(to_event_id) {
            return Ok(false);
        }
        self.store().transaction(|| {
            self.store().execute(
                "UPDATE agent_turn SET in_flight_to = NULL, in_flight_since = NULL WHERE singleton = 1",
                &[],
            )?;
            // Now, never later: an alarm at now cannot delay the outbox's own.
            self.store().set_alarm(now_ms)
        })?;
        Ok(true)
    }
}
