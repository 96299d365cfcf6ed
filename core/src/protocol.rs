//! The one protocol to the Incident Durable Object, used by the router and by workflow steps
//! alike: a request enum, its replies, and the single place both are (de)serialised.
//!
//! ```text
//! caller ── IncidentHandle::apply(..) ── encode ──► ObjectStub (host transport)
//!                                                      │
//! Incident object ◄── decode ── IncidentObject::handle ┘  (reply travels back the same way)
//! ```
//!
//! Domain errors are part of the reply, so the transport only fails when the call itself did
//! (the caller retries with the same idempotency key). The transport is the runtime's
//! [`ObjectStub`]: `stub.fetch` today, swappable for RPC without touching this module.
//!
//! The enums use serde's default external tagging (`{"get":{"tenant":"t1"}}`): it decodes in
//! one pass, where `#[serde(tag = ...)]` buffers every body and compiles a second decoder per
//! variant into the worker. The protocol is never stored and both ends ship in one upload.
//! A change of its text (as this one, from internal tags) must be deployed at once, not as a
//! gradual deployment, where a worker of one version may call an object of the other.

use crate::decide::{Command, StartIncident};
use crate::effects::{SuggestedChange, SuggestionOutcome};
use crate::error::DomainError;
use crate::model::{Actor, IncidentMessage, IncidentState};
use crate::object::{
    EffectsReport, FailedEffect, Idempotency, IncidentObject, LaneUpdate, LaneView, Origin,
    Started, SuggestionLookup,
};
use crate::view::{Applied, IncidentView, TimelineEntry};
use serde::{Deserialize, Serialize};
use sluice::fanout::{LaneEnd, LaneStart};
use sluice::object::{ObjectCallError, ObjectCallErrorKind, ObjectStub};
use sluice::sql::SqlStore;
use sluice::workflow::Services;
use sluice::EffectError;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

/// The Durable Object binding of incidents (wrangler.toml `[[durable_objects.bindings]]`).
pub const INCIDENT_OBJECT_BINDING: &str = "INCIDENT";
/// The Durable Object class (wrangler.toml `class_name`), implemented by the worker crate.
pub const INCIDENT_OBJECT_CLASS: &str = "Incident";
/// The RPC method serving [`IncidentObject::handle_encoded`].
pub const INCIDENT_RPC_METHOD: &str = "call";

sluice::__private::inventory::submit! {
    sluice::__private::ObjectClassDef {
        class_name: INCIDENT_OBJECT_CLASS,
        rpc_methods: &[INCIDENT_RPC_METHOD],
    }
}

/// Everything one can ask an Incident object. Every request but `Start` names the tenant
/// it acts for; the object answers `NotFound` for another tenant's incident.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentRequest {
    Start {
        input: StartIncident,
    },
    Apply {
        origin: Origin,
        command: Command,
    },
    MergeMetadata {
        tenant: String,
        entries: BTreeMap<String, String>,
    },
    Get {
        tenant: String,
    },
    AgentContext {
        tenant: String,
    },
    DeadLetters {
        tenant: String,
    },
    Replay {
        tenant: String,
        event_id: i64,
    },
    /// Effects that ran out of retries (see `object::failed_effects`).
    FailedEffects {
        tenant: String,
    },
    /// Run one failed effect of one event again.
    RetryEffect {
        tenant: String,
        event_id: i64,
        effect: String,
    },
    /// Give up on one failed effect of one event (`origin.actor`, recorded in the timeline):
    /// its lane goes on without it.
    DismissEffect {
        origin: Origin,
        event_id: i64,
        effect: String,
    },
    /// A lane's trouble: a delivery retrying, held, recovered, released by a retry.
    LaneUpdate {
        tenant: String,
        update: LaneUpdate,
    },
    /// Where an effect's lane starts in a generation (where the previous one's ended).
    LaneStart {
        tenant: String,
        generation: i64,
        effect: String,
    },
    /// Every lane of the incident's workflow, for the API.
    Lanes {
        tenant: String,
    },
    /// An `IncidentWorkflow` instance ran an event's effects and one failed, or it ran a retry.
    EffectsReport {
        tenant: String,
        report: EffectsReport,
    },
    Workflow {
        tenant: String,
    },
    /// An `IncidentWorkflow` instance handled the message marked `last` sent to it and ended:
    /// once every generation has, a closed incident may finalise (`forward::tails`).
    WorkflowFinished {
        tenant: String,
        event_id: i64,
        /// The reporting instance: the report settles its generation only. Absent in reports
        /// from older workflow code (taken as the current generation's).
        #[serde(default)]
        instance_id: Option<String>,
        /// How the instance's lanes ended, for the next generation.
        #[serde(default)]
        lanes: Vec<LaneEnd>,
    },
    /// The published events between two an `IncidentWorkflow` instance got in a row: it
    /// got `before` after `after`, so the engine lost those in between (or they are dead
    /// letters, and then they are not listed).
    MissedEvents {
        tenant: String,
        after: i64,
        before: i64,
    },
    /// An agent turn (`IncidentAgentTurnWorkflow`) reports its end, naming its range's end.
    AgentTurnEnded {
        tenant: String,
        to_event_id: i64,
    },
    /// One suggestion and its incident.
    Suggestion {
        tenant: String,
        suggestion_id: String,
    },
    /// A person applies or dismisses a suggestion (`origin.actor`); `edited`, when applying,
    /// is the change as the person rewrote it (the same kind as the suggestion's).
    ResolveSuggestion {
        origin: Origin,
        suggestion_id: String,
        outcome: SuggestionOutcome,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        edited: Option<SuggestedChange>,
    },
}

/// The answer to each request kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentReply {
    Started(Started),
    Applied(Applied),
    Metadata(IncidentState),
    View(IncidentView),
    DeadLetters(Vec<TimelineEntry>),
    Replayed {
        event_id: i64,
    },
    FailedEffects(Vec<FailedEffect>),
    RetryQueued {
        event_id: i64,
        round: i64,
    },
    /// An instance's effects report is kept.
    EffectsReported,
    /// A lane's report is kept.
    LaneUpdated,
    /// Where the lane starts; `None`: not known yet, ask again.
    LaneStart(Option<LaneStart>),
    Lanes(Vec<LaneView>),
    Workflow {
        instance_id: String,
    },
    /// The workflow's report is kept.
    Finished,
    MissedEvents(Vec<IncidentMessage>),
    /// Whether the report ended the turn in flight (a late one's does not).
    TurnEnded {
        ended: bool,
    },
    Suggestion(SuggestionLookup),
}

/// A reply as it travels: the answer or the domain error.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Wire<T> {
    Ok(T),
    Err(DomainError),
}

// The single serialisation point of both directions.

pub fn encode_request(request: &IncidentRequest) -> String {
    // Plain data (strings, numbers, enums): serialising cannot fail.
    serde_json::to_string(request).unwrap_or_default()
}

pub fn decode_request(text: &str) -> Result<IncidentRequest, DomainError> {
    serde_json::from_str(text)
        .map_err(|e| DomainError::invalid("request", format!("not an incident request: {e}")))
}

pub fn encode_reply(reply: Result<IncidentReply, DomainError>) -> String {
    let wire = match reply {
        Ok(reply) => Wire::Ok(reply),
        Err(e) => Wire::Err(e),
    };
    serde_json::to_string(&wire).unwrap_or_default()
}

pub fn decode_reply(text: &str) -> Result<Result<IncidentReply, DomainError>, IncidentCallError> {
    match serde_json::from_str::<Wire<IncidentReply>>(text) {
        Ok(Wire::Ok(reply)) => Ok(Ok(reply)),
        Ok(Wire::Err(e)) => Ok(Err(e)),
        Err(e) => Err(IncidentCallError::Protocol(format!(
            "reply does not decode: {e}"
        ))),
    }
}

impl<S: SqlStore> IncidentObject<S> {
    /// Serves one request (the object's whole API).
    pub fn handle(
        &self,
        request: IncidentRequest,
        now_ms: i64,
    ) -> Result<IncidentReply, DomainError> {
        Ok(match request {
            IncidentRequest::Start { input } => IncidentReply::Started(self.start(input, now_ms)?),
            IncidentRequest::Apply { origin, command } => {
                IncidentReply::Applied(self.apply_as(&origin, command, now_ms)?)
            }
            IncidentRequest::MergeMetadata { tenant, entries } => {
                IncidentReply::Metadata(self.merge_metadata(&tenant, entries)?)
            }
            IncidentRequest::Get { tenant } => IncidentReply::View(self.get(&tenant)?),
            IncidentRequest::AgentContext { tenant } => {
                IncidentReply::View(self.agent_context(&tenant)?)
            }
            IncidentRequest::DeadLetters { tenant } => {
                IncidentReply::DeadLetters(self.dead_letters(&tenant)?)
            }
            IncidentRequest::Replay { tenant, event_id } => {
                self.replay(&tenant, event_id, now_ms)?;
                IncidentReply::Replayed { event_id }
            }
            IncidentRequest::FailedEffects { tenant } => {
                IncidentReply::FailedEffects(self.failed_effects(&tenant)?)
            }
            IncidentRequest::RetryEffect {
                tenant,
                event_id,
                effect,
            } => IncidentReply::RetryQueued {
                event_id,
                round: self.retry_effect(&tenant, event_id, &effect, now_ms)?,
            },
            IncidentRequest::EffectsReport { tenant, report } => {
                self.effects_report(&tenant, &report, now_ms)?;
                IncidentReply::EffectsReported
            }
            IncidentRequest::DismissEffect {
                origin,
                event_id,
                effect,
            } => IncidentReply::Applied(self.dismiss_effect(&origin, event_id, &effect, now_ms)?),
            IncidentRequest::LaneUpdate { tenant, update } => {
                self.lane_update(&tenant, &update, now_ms)?;
                IncidentReply::LaneUpdated
            }
            IncidentRequest::LaneStart {
                tenant,
                generation,
                effect,
            } => IncidentReply::LaneStart(self.lane_start(&tenant, generation, &effect, now_ms)?),
            IncidentRequest::Lanes { tenant } => {
                IncidentReply::Lanes(self.lanes(&tenant, &crate::object::workflow_effects())?)
            }
            IncidentRequest::Workflow { tenant } => IncidentReply::Workflow {
                instance_id: self.workflow_instance(&tenant)?,
            },
            IncidentRequest::WorkflowFinished {
                tenant,
                event_id,
                instance_id,
                lanes,
            } => {
                self.workflow_finished(&tenant, event_id, instance_id.as_deref(), &lanes, now_ms)?;
                IncidentReply::Finished
            }
            IncidentRequest::MissedEvents {
                tenant,
                after,
                before,
            } => IncidentReply::MissedEvents(self.missed_events(&tenant, after, before)?),
            IncidentRequest::AgentTurnEnded {
                tenant,
                to_event_id,
            } => IncidentReply::TurnEnded {
                ended: self.agent_turn_ended(&tenant, to_event_id, now_ms)?,
            },
            IncidentRequest::Suggestion {
                tenant,
                suggestion_id,
            } => IncidentReply::Suggestion(self.suggestion(&tenant, &suggestion_id)?),
            IncidentRequest::ResolveSuggestion {
                origin,
                suggestion_id,
                outcome,
                edited,
            } => IncidentReply::Applied(self.resolve_suggestion(
                &origin,
                &suggestion_id,
                outcome,
                edited.as_ref(),
                now_ms,
            )?),
        })
    }

    /// [`handle`](Self::handle) over the wire format: what the object's transport calls.
    pub fn handle_encoded(&self, request: &str, now_ms: i64) -> String {
        encode_reply(decode_request(request).and_then(|r| self.handle(r, now_ms)))
    }
}

/// Why a call through an [`IncidentHandle`] failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IncidentCallError {
    /// The object refused (not found, invalid, conflict) or its storage failed.
    Domain(DomainError),
    /// The call did not complete; it may or may not have been applied.
    Transport(ObjectCallError),
    /// Caller and object disagree on the protocol (a deploy in progress, or a bug).
    Protocol(String),
}

impl fmt::Display for IncidentCallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IncidentCallError::Domain(e) => write!(f, "{e}"),
            IncidentCallError::Transport(e) => write!(f, "incident object unreachable: {e}"),
            IncidentCallError::Protocol(e) => write!(f, "incident protocol: {e}"),
        }
    }
}

impl std::error::Error for IncidentCallError {}

impl From<DomainError> for IncidentCallError {
    fn from(e: DomainError) -> Self {
        IncidentCallError::Domain(e)
    }
}

/// In a workflow step: a refusal will not change on retry; an unreachable object or failed
/// storage may.
impl From<IncidentCallError> for EffectError {
    fn from(e: IncidentCallError) -> Self {
        match &e {
            IncidentCallError::Domain(DomainError::Storage(_))
            | IncidentCallError::Transport(_) => EffectError::retryable(e.to_string()),
            _ => EffectError::non_retryable(e.to_string()),
        }
    }
}

/// A typed handle to one incident, acting for one tenant: the same methods for the router
/// and for workflow steps, so both go through the same validation and outbox path.
#[derive(Clone)]
pub struct IncidentHandle {
    stub: Rc<dyn ObjectStub>,
    tenant: String,
}

macro_rules! expect_reply {
    ($reply:expr, $variant:pat => $value:expr) => {
        match $reply {
            $variant => Ok($value),
            other => Err(IncidentCallError::Protocol(format!(
                "unexpected reply {other:?}"
            ))),
        }
    };
}

impl IncidentHandle {
    pub fn new(stub: Rc<dyn ObjectStub>, tenant: impl Into<String>) -> Self {
        Self {
            stub,
            tenant: tenant.into(),
        }
    }

    async fn call(&self, request: IncidentRequest) -> Result<IncidentReply, IncidentCallError> {
        let text = self
            .stub
            .call(encode_request(&request))
            .await
            .map_err(IncidentCallError::Transport)?;
        Ok(decode_reply(&text)??)
    }

    /// Declares the incident this object holds (a no-op answering it when it exists).
    pub async fn start(&self, input: StartIncident) -> Result<Started, IncidentCallError> {
        let reply = self.call(IncidentRequest::Start { input }).await?;
        expect_reply!(reply, IncidentReply::Started(s) => s)
    }

    /// Who asks, for this handle's tenant.
    fn origin(&self, actor: Actor, idempotency: Idempotency) -> Origin {
        Origin {
            tenant: self.tenant.clone(),
            actor,
            idempotency,
        }
    }

    /// Applies a change as `actor`. Give a workflow step its idempotency key
    /// ([`Idempotency::Key`]) so a retried step produces one event.
    pub async fn apply(
        &self,
        actor: Actor,
        command: Command,
        idempotency: Idempotency,
    ) -> Result<Applied, IncidentCallError> {
        let origin = self.origin(actor, idempotency);
        let reply = self
            .call(IncidentRequest::Apply { origin, command })
            .await?;
        expect_reply!(reply, IncidentReply::Applied(a) => a)
    }

    /// Records adapter bookkeeping (a Slack channel id, say); no event.
    pub async fn merge_metadata(
        &self,
        entries: BTreeMap<String, String>,
    ) -> Result<IncidentState, IncidentCallError> {
        let tenant = self.tenant.clone();
        let reply = self
            .call(IncidentRequest::MergeMetadata { tenant, entries })
            .await?;
        expect_reply!(reply, IncidentReply::Metadata(s) => s)
    }

    pub async fn get(&self) -> Result<IncidentView, IncidentCallError> {
        let tenant = self.tenant.clone();
        let reply = self.call(IncidentRequest::Get { tenant }).await?;
        expect_reply!(reply, IncidentReply::View(v) => v)
    }

    /// The incident and its whole timeline, for the AI workflows.
    pub async fn agent_context(&self) -> Result<IncidentView, IncidentCallError> {
        let tenant = self.tenant.clone();
        let reply = self.call(IncidentRequest::AgentContext { tenant }).await?;
        expect_reply!(reply, IncidentReply::View(v) => v)
    }

    pub async fn dead_letters(&self) -> Result<Vec<TimelineEntry>, IncidentCallError> {
        let tenant = self.tenant.clone();
        let reply = self.call(IncidentRequest::DeadLetters { tenant }).await?;
        expect_reply!(reply, IncidentReply::DeadLetters(d) => d)
    }

    pub async fn replay(&self, event_id: i64) -> Result<(), IncidentCallError> {
        let tenant = self.tenant.clone();
        let reply = self
            .call(IncidentRequest::Replay { tenant, event_id })
            .await?;
        expect_reply!(reply, IncidentReply::Replayed { .. } => ())
    }

    /// The `IncidentWorkflow` instance the incident's events currently go to.
    pub async fn workflow_instance(&self) -> Result<String, IncidentCallError> {
        let tenant = self.tenant.clone();
        let reply = self.call(IncidentRequest::Workflow { tenant }).await?;
        expect_reply!(reply, IncidentReply::Workflow { instance_id } => instance_id)
    }

    /// The `IncidentWorkflow` instance `instance_id` (when known) handled its message marked
    /// `last`, `event_id`, and ended, its lanes as `lanes` (see
    /// [`IncidentRequest::WorkflowFinished`]).
    pub async fn workflow_finished(
        &self,
        event_id: i64,
        instance_id: Option<&str>,
        lanes: Vec<LaneEnd>,
    ) -> Result<(), IncidentCallError> {
        let tenant = self.tenant.clone();
        let reply = self
            .call(IncidentRequest::WorkflowFinished {
                tenant,
                event_id,
                instance_id: instance_id.map(str::to_owned),
                lanes,
            })
            .await?;
        expect_reply!(reply, IncidentReply::Finished => ())
    }

    /// Gives up on one failed effect as `actor`: an `EFFECT_DISMISSED` event, and the effect's
    /// lane goes on without it.
    pub async fn dismiss_effect(
        &self,
        actor: Actor,
        event_id: i64,
        effect: &str,
        idempotency: Idempotency,
    ) -> Result<Applied, IncidentCallError> {
        let origin = self.origin(actor, idempotency);
        let reply = self
            .call(IncidentRequest::DismissEffect {
                origin,
                event_id,
                effect: effect.to_owned(),
            })
            .await?;
        expect_reply!(reply, IncidentReply::Applied(a) => a)
    }

    /// A lane's report (see [`IncidentRequest::LaneUpdate`]).
    pub async fn lane_update(&self, update: LaneUpdate) -> Result<(), IncidentCallError> {
        let tenant = self.tenant.clone();
        let reply = self
            .call(IncidentRequest::LaneUpdate { tenant, update })
            .await?;
        expect_reply!(reply, IncidentReply::LaneUpdated => ())
    }

    /// Where `effect`'s lane starts in `generation`; `None` while not known.
    pub async fn lane_start(
        &self,
        generation: i64,
        effect: &str,
    ) -> Result<Option<LaneStart>, IncidentCallError> {
        let tenant = self.tenant.clone();
        let reply = self
            .call(IncidentRequest::LaneStart {
                tenant,
                generation,
                effect: effect.to_owned(),
            })
            .await?;
        expect_reply!(reply, IncidentReply::LaneStart(start) => start)
    }

    /// Every lane of the incident's workflow.
    pub async fn lanes(&self) -> Result<Vec<LaneView>, IncidentCallError> {
        let tenant = self.tenant.clone();
        let reply = self.call(IncidentRequest::Lanes { tenant }).await?;
        expect_reply!(reply, IncidentReply::Lanes(lanes) => lanes)
    }

    /// Effects that ran out of retries (see [`IncidentRequest::FailedEffects`]).
    pub async fn failed_effects(&self) -> Result<Vec<FailedEffect>, IncidentCallError> {
        let tenant = self.tenant.clone();
        let reply = self.call(IncidentRequest::FailedEffects { tenant }).await?;
        expect_reply!(reply, IncidentReply::FailedEffects(f) => f)
    }

    /// Queues a retry of one failed effect; returns its round.
    pub async fn retry_effect(
        &self,
        event_id: i64,
        effect: &str,
    ) -> Result<i64, IncidentCallError> {
        let tenant = self.tenant.clone();
        let reply = self
            .call(IncidentRequest::RetryEffect {
                tenant,
                event_id,
                effect: effect.to_owned(),
            })
            .await?;
        expect_reply!(reply, IncidentReply::RetryQueued { round, .. } => round)
    }

    /// An instance's report on an event's effects (see [`IncidentRequest::EffectsReport`]).
    pub async fn effects_report(&self, report: EffectsReport) -> Result<(), IncidentCallError> {
        let tenant = self.tenant.clone();
        let reply = self
            .call(IncidentRequest::EffectsReport { tenant, report })
            .await?;
        expect_reply!(reply, IncidentReply::EffectsReported => ())
    }

    /// The published events between `after` and `before` (see
    /// [`IncidentRequest::MissedEvents`]).
    pub async fn missed_events(
        &self,
        after: i64,
        before: i64,
    ) -> Result<Vec<IncidentMessage>, IncidentCallError> {
        let tenant = self.tenant.clone();
        let reply = self
            .call(IncidentRequest::MissedEvents {
                tenant,
                after,
                before,
            })
            .await?;
        expect_reply!(reply, IncidentReply::MissedEvents(messages) => messages)
    }

    /// An agent turn's end (its range's last event): the next turn may start. `false` when
    /// it was not the turn in flight (reported twice, or after its timeout).
    pub async fn agent_turn_ended(&self, to_event_id: i64) -> Result<bool, IncidentCallError> {
        let tenant = self.tenant.clone();
        let reply = self
            .call(IncidentRequest::AgentTurnEnded {
                tenant,
                to_event_id,
            })
            .await?;
        expect_reply!(reply, IncidentReply::TurnEnded { ended } => ended)
    }

    pub async fn suggestion(
        &self,
        suggestion_id: &str,
    ) -> Result<SuggestionLookup, IncidentCallError> {
        let tenant = self.tenant.clone();
        let suggestion_id = suggestion_id.to_owned();
        let reply = self
            .call(IncidentRequest::Suggestion {
                tenant,
                suggestion_id,
            })
            .await?;
        expect_reply!(reply, IncidentReply::Suggestion(s) => s)
    }

    /// Applies or dismisses a suggestion as `actor` (a person); answers the
    /// `SUGGESTION_RESOLVED` event. Refused once it was resolved.
    pub async fn resolve_suggestion(
        &self,
        actor: Actor,
        suggestion_id: &str,
        outcome: SuggestionOutcome,
        idempotency: Idempotency,
    ) -> Result<Applied, IncidentCallError> {
        self.resolve(actor, suggestion_id, outcome, None, idempotency)
            .await
    }

    /// Applies a suggestion as `actor` rewrote it (`change`, of the suggestion's kind): the
    /// same path as applying it unchanged, one commit, validated as any change is.
    pub async fn apply_edited_suggestion(
        &self,
        actor: Actor,
        suggestion_id: &str,
        change: SuggestedChange,
        idempotency: Idempotency,
    ) -> Result<Applied, IncidentCallError> {
        let outcome = SuggestionOutcome::Applied;
        self.resolve(actor, suggestion_id, outcome, Some(change), idempotency)
            .await
    }

    async fn resolve(
        &self,
        actor: Actor,
        suggestion_id: &str,
        outcome: SuggestionOutcome,
        edited: Option<SuggestedChange>,
        idempotency: Idempotency,
    ) -> Result<Applied, IncidentCallError> {
        let origin = self.origin(actor, idempotency);
        let reply = self
            .call(IncidentRequest::ResolveSuggestion {
                origin,
                suggestion_id: suggestion_id.to_owned(),
                outcome,
                edited,
            })
            .await?;
        expect_reply!(reply, IncidentReply::Applied(a) => a)
    }
}

/// `services.incident(id, tenant)`: the typed handle from a workflow step or a sender.
pub trait IncidentServices {
    fn incident(&self, id: &str, tenant: &str) -> Result<IncidentHandle, IncidentCallError>;
}

impl<T: Services + ?Sized> IncidentServices for T {
    fn incident(&self, id: &str, tenant: &str) -> Result<IncidentHandle, IncidentCallError> {
        let stub = self
            .objects(INCIDENT_OBJECT_BINDING)
            .and_then(|namespace| namespace.get(id))
            .map_err(|e| match e.kind {
                ObjectCallErrorKind::NotFound => IncidentCallError::Domain(DomainError::NotFound),
                ObjectCallErrorKind::Transport => IncidentCallError::Transport(e),
            })?;
        Ok(IncidentHandle::new(stub, tenant))
    }
}
