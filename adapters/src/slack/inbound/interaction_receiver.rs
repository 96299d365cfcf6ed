//! What `POST /slack/interactions` does once its signature holds: find the workspace's tenant,
//! read incidentd's controls out of the payload, and act through the typed incident handle,
//! as the Slack user (`Actor::slack`), so the dashboard's validation applies unchanged.
//!
//! | interaction | what happens |
//! | --- | --- |
//! | severity select, assignee select | `SetSeverity` / `SetAssignee`; the sender re-renders the announcement |
//! | status select | `views.open` of the status modal with the trigger |
//! | status modal submitted (`view_submission`) | `UpdateStatus` with its message; a refusal is shown in the modal |
//! | suggestion buttons | Apply / Dismiss resolve it and re-render its message without buttons (`chat.update`); Edit opens the suggestion edit modal (`views.open`) |
//! | suggestion edit modal submitted | the suggestion applied as edited and its message re-rendered; a refusal is shown in the modal |
//!
//! The Web API calls made inside the request (`views.open`, `chat.update`) have
//! `tenant_access::IN_REQUEST_TIMEOUT`, to answer within Slack's 3 s;
//! everything else Slack shows is the sender's work, from the incident's outbox.
//!
//! An incident id that is not the tenant's (another tenant's, or no incident at all) is
//! refused by the incident object itself (`NotFound`): nothing is written and no modal opens.

use crate::slack::inbound::interactions::{
    BlockActions, EditedFields, IncidentAction, Interaction, SubmittedView, SuggestionChoice,
    ViewPayload,
};
use crate::slack::inbound::suggestion_actions::{
    handle_suggestion, submit_edit, EditAnswer, SuggestionAnswer,
};
use crate::slack::inbound::tenant_access::{
    installation_of, refusal, ReceiveError, SlackAccess, TenantIncidents,
};
use crate::slack::outbound::blocks;
use incidentd_core::{Actor, Command, DomainError, Idempotency, Status};
use incidentd_wire::slack_ids::{
    self as ids, StatusChangeContext, SuggestionEditContext, SuggestionRef,
};
use serde_json::{json, Value};
use sluice::object::ObjectNamespace;
use sluice::sql::Database;

/// What one interaction (or one of a `block_actions`' actions) did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InteractionOutcome {
    /// No installation for the team or enterprise: nothing written.
    UnknownWorkspace,
    /// A change went through the incident (`event_id: None` when it changed nothing).
    Applied {
        incident_id: String,
        event_id: Option<i64>,
    },
    /// The status modal is open in the user's client.
    ModalOpened {
        incident_id: String,
        view_id: String,
    },
    /// `views.open` failed (an expired trigger, Slack down, no token key): nothing written,
    /// and nothing to retry (the trigger is single use).
    ModalNotOpened { incident_id: String, reason: String },
    /// The incident refused (not the tenant's, closed, invalid): nothing written.
    Refused { incident_id: String, reason: String },
    /// A status modal submitted without a message: shown back in the modal.
    InvalidSubmission,
    /// A suggestion was applied or dismissed (its message re-rendered without buttons when
    /// `message_updated`).
    SuggestionResolved {
        incident_id: String,
        event_id: i64,
        choice: SuggestionChoice,
        message_updated: bool,
    },
    /// A suggestion's button was refused (another tenant's, already resolved, stale):
    /// nothing written.
    SuggestionRefused { incident_id: String, reason: String },
    /// Not one of incidentd's controls or views.
    Ignored,
}

/// The outcomes, and the acknowledgement's body.
#[derive(Clone, Debug, PartialEq)]
pub struct InteractionReply {
    pub outcomes: Vec<InteractionOutcome>,
    /// A JSON body (`{"response_action":"errors",..}`), or `None` for an empty 200, which
    /// is what closes a submitted modal.
    pub body: Option<Value>,
}

impl InteractionReply {
    fn empty(outcome: InteractionOutcome) -> Self {
        InteractionReply {
            outcomes: vec![outcome],
            body: None,
        }
    }
}

/// Handles one verified interactivity body (the form with its `payload` field).
pub async fn handle_interaction(
    db: &dyn Database,
    incidents: &dyn ObjectNamespace,
    slack: &SlackAccess,
    body: &[u8],
    now_ms: i64,
) -> Result<InteractionReply, ReceiveError> {
    let interaction = Interaction::parse_form(body).map_err(ReceiveError::BadPayload)?;
    let (team, enterprise) = match &interaction {
        Interaction::BlockActions(p) => (p.team.as_ref(), p.enterprise.as_ref()),
        Interaction::ViewSubmission(p) => (p.team.as_ref(), p.enterprise.as_ref()),
        Interaction::ViewClosed(_) | Interaction::Unknown => {
            return Ok(InteractionReply::empty(InteractionOutcome::Ignored))
        }
    };
    let (team, enterprise) = (
        team.map(|t| t.id.as_str()),
        enterprise.map(|e| e.id.as_str()),
    );
    let Some(installation) = installation_of(db, team, enterprise).await? else {
        return Ok(InteractionReply::empty(
            InteractionOutcome::UnknownWorkspace,
        ));
    };
    let receiver = Receiver {
        workspace: TenantIncidents {
            db,
            incidents,
            installation: &installation,
            now_ms,
        },
        slack,
    };
    match interaction {
        Interaction::BlockActions(payload) => receiver.block_actions(&payload).await,
        Interaction::ViewSubmission(payload) => receiver.view_submission(&payload).await,
        Interaction::ViewClosed(_) | Interaction::Unknown => {
            Ok(InteractionReply::empty(InteractionOutcome::Ignored))
        }
    }
}

struct Receiver<'a> {
    workspace: TenantIncidents<'a>,
    slack: &'a SlackAccess,
}

impl Receiver<'_> {
    async fn block_actions(
        &self,
        payload: &BlockActions,
    ) -> Result<InteractionReply, ReceiveError> {
        let mut outcomes = Vec::new();
        for (index, action) in payload.incident_actions().into_iter().enumerate() {
            // Each interaction has its own trigger: the key of what this control changes.
            let key = format!("slack-action:{}:{index}", payload.trigger_id);
            outcomes.push(self.action(action, key).await?);
        }
        // Slack ignores the body of a `block_actions` acknowledgement.
        Ok(InteractionReply {
            outcomes,
            body: None,
        })
    }

    async fn action(
        &self,
        action: IncidentAction,
        key: String,
    ) -> Result<InteractionOutcome, ReceiveError> {
        match action {
            IncidentAction::SetSeverity {
                incident_id,
                severity,
                user,
            } => {
                let command = Command::SetSeverity { severity };
                self.change(incident_id, user, command, key).await
            }
            IncidentAction::SetAssignee {
                incident_id,
                assignee,
                user,
            } => {
                let command = Command::SetAssignee { assignee };
                self.change(incident_id, user, command, key).await
            }
            IncidentAction::ChooseStatus {
                incident_id,
                status,
                trigger_id,
                user: _,
            } => {
                self.open_status_modal(incident_id, status, &trigger_id)
                    .await
            }
            IncidentAction::Suggestion {
                choice,
                suggestion,
                trigger_id,
                message,
                user,
            } => {
                self.suggestion(choice, &suggestion, &trigger_id, message, &user)
                    .await
            }
            IncidentAction::Unrecognised { .. } => Ok(InteractionOutcome::Ignored),
        }
    }

    /// Applies `command` as the Slack user: the event it made (`None`: it changed nothing),
    /// or the incident's refusal. `key` names the interaction: a replay of the same request
    /// answers the first outcome and changes nothing (a refusal is not kept, so a corrected
    /// modal can be submitted again).
    async fn try_change(
        &self,
        incident_id: &str,
        user: String,
        command: Command,
        key: String,
    ) -> Result<Result<Option<i64>, DomainError>, ReceiveError> {
        match self
            .workspace
            .apply(
                incident_id,
                Actor::slack(user),
                command,
                Idempotency::Key(key),
            )
            .await
        {
            Ok(applied) => Ok(Ok(applied.event_id)),
            Err(e) => Ok(Err(refusal("interaction", e)?)),
        }
    }

    async fn change(
        &self,
        incident_id: String,
        user: String,
        command: Command,
        key: String,
    ) -> Result<InteractionOutcome, ReceiveError> {
        Ok(
            match self.try_change(&incident_id, user, command, key).await? {
                Ok(event_id) => InteractionOutcome::Applied {
                    incident_id,
                    event_id,
                },
                Err(refused) => InteractionOutcome::Refused {
                    incident_id,
                    reason: refused.to_string(),
                },
            },
        )
    }

    /// Opens the modal that asks what changed; the status changes on its submission.
    /// Apply / Edit / Dismiss on a suggestion: `suggestion_actions` decides; here the two
    /// Slack calls its answer needs, each allowed to fail (the incident is already right).
    async fn suggestion(
        &self,
        choice: SuggestionChoice,
        suggestion: &SuggestionRef,
        trigger_id: &str,
        message: Option<(String, String)>,
        user: &str,
    ) -> Result<InteractionOutcome, ReceiveError> {
        let answer = handle_suggestion(
            self.workspace.incidents,
            self.workspace.tenant(),
            choice,
            suggestion,
            trigger_id,
            message.clone(),
            user,
        )
        .await
        .map_err(|e| ReceiveError::Transient(e.to_string()))?;
        let incident_id = suggestion.incident_id.clone();
        let api = self.slack.api(self.workspace.installation);
        Ok(match answer {
            SuggestionAnswer::Resolved {
                event_id,
                message: replacement,
                ..
            } => {
                let message_updated = self.replace_message(message, &replacement).await;
                InteractionOutcome::SuggestionResolved {
                    incident_id,
                    event_id,
                    choice,
                    message_updated,
                }
            }
            SuggestionAnswer::OpenModal { trigger_id, view } => {
                let args = json!({ "trigger_id": trigger_id, "view": view });
                match api {
                    Ok(api) => match api.call("views.open", &args).await {
                        Ok(answer) => InteractionOutcome::ModalOpened {
                            view_id: answer["view"]["id"].as_str().unwrap_or_default().to_owned(),
                            incident_id,
                        },
                        Err(e) => InteractionOutcome::ModalNotOpened {
                            incident_id,
                            reason: e.to_string(),
                        },
                    },
                    Err(reason) => InteractionOutcome::ModalNotOpened {
                        incident_id,
                        reason,
                    },
                }
            }
            SuggestionAnswer::Refused { text } => InteractionOutcome::SuggestionRefused {
                incident_id,
                reason: text,
            },
        })
    }

    /// Re-renders the suggestion's message without its buttons (`chat.update`); whether it
    /// worked (the incident is right either way).
    async fn replace_message(
        &self,
        message: Option<(String, String)>,
        replacement: &Value,
    ) -> bool {
        let (Ok(api), Some((channel, ts))) = (self.slack.api(self.workspace.installation), message)
        else {
            return false;
        };
        let args = json!({
            "channel": channel, "ts": ts,
            "text": replacement["text"], "blocks": replacement["blocks"],
        });
        api.call("chat.update", &args).await.is_ok()
    }

    /// The suggestion edit modal submitted: applied as edited, or the reasons shown in it.
    async fn suggestion_edited(
        &self,
        context: SuggestionEditContext,
        fields: EditedFields,
        user: String,
        view_id: &str,
    ) -> Result<InteractionReply, ReceiveError> {
        let answer = submit_edit(
            self.workspace.incidents,
            self.workspace.tenant(),
            &context,
            &fields,
            view_id,
            &user,
        )
        .await
        .map_err(|e| ReceiveError::Transient(e.to_string()))?;
        let incident_id = context.incident_id.clone();
        Ok(match answer {
            EditAnswer::Applied { event_id, message } => {
                let message_updated = self.replace_message(context.message, &message).await;
                InteractionReply::empty(InteractionOutcome::SuggestionResolved {
                    incident_id,
                    event_id,
                    choice: SuggestionChoice::Edit,
                    message_updated,
                })
            }
            EditAnswer::Invalid { errors } => {
                let reason = errors
                    .iter()
                    .map(|(_, text)| text.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                InteractionReply {
                    outcomes: vec![InteractionOutcome::SuggestionRefused {
                        incident_id,
                        reason,
                    }],
                    body: SubmittedView::Invalid { errors }.errors_response(),
                }
            }
        })
    }

    async fn open_status_modal(
        &self,
        incident_id: String,
        status: Status,
        trigger_id: &str,
    ) -> Result<InteractionOutcome, ReceiveError> {
        // Read through the tenant's handle first: another tenant's incident opens nothing.
        let incident = match self.workspace.get(&incident_id).await {
            Ok(view) => view.incident,
            Err(e) => {
                return Ok(InteractionOutcome::Refused {
                    reason: refusal("status modal", e)?.to_string(),
                    incident_id,
                })
            }
        };
        let not_opened = |reason: String| InteractionOutcome::ModalNotOpened {
            incident_id: incident_id.clone(),
            reason,
        };
        let api = match self.slack.api(self.workspace.installation) {
            Ok(api) => api,
            Err(reason) => return Ok(not_opened(reason)),
        };
        let context = StatusChangeContext {
            incident_id: incident_id.clone(),
            status,
        };
        let args = json!({
            "trigger_id": trigger_id,
            "view": blocks::status_change_modal(&context, &incident.title),
        });
        Ok(match api.call("views.open", &args).await {
            Ok(answer) => InteractionOutcome::ModalOpened {
                view_id: answer["view"]["id"].as_str().unwrap_or_default().to_owned(),
                incident_id,
            },
            Err(e) => not_opened(e.to_string()),
        })
    }

    async fn view_submission(
        &self,
        payload: &ViewPayload,
    ) -> Result<InteractionReply, ReceiveError> {
        let submitted = payload.submitted();
        let (incident_id, status, message, user) = match submitted {
            SubmittedView::StatusChange {
                incident_id,
                status,
                message,
                user,
            } => (incident_id, status, message, user),
            SubmittedView::SuggestionEdit {
                context,
                fields,
                user,
            } => {
                return self
                    .suggestion_edited(context, fields, user, &payload.view.id)
                    .await
            }
            invalid @ SubmittedView::Invalid { .. } => {
                return Ok(InteractionReply {
                    outcomes: vec![InteractionOutcome::InvalidSubmission],
                    body: invalid.errors_response(),
                })
            }
            SubmittedView::Unrecognised { .. } => {
                return Ok(InteractionReply::empty(InteractionOutcome::Ignored))
            }
        };
        let command = Command::UpdateStatus { status, message };
        let key = format!("slack-view:{}", payload.view.id);
        let (outcome, body) = match self.try_change(&incident_id, user, command, key).await? {
            Ok(event_id) => (
                InteractionOutcome::Applied {
                    incident_id,
                    event_id,
                },
                None,
            ),
            // A refusal (an invalid transition, a closed incident) stays in the modal, under
            // its one input, instead of closing it as if the change were made.
            Err(refused) => {
                let shown = SubmittedView::Invalid {
                    errors: vec![(ids::STATUS_MESSAGE_BLOCK.to_owned(), modal_error(&refused))],
                };
                let outcome = InteractionOutcome::Refused {
                    incident_id,
                    reason: refused.to_string(),
                };
                (outcome, shown.errors_response())
            }
        };
        Ok(InteractionReply {
            outcomes: vec![outcome],
            body,
        })
    }
}

/// A refusal as the modal shows it.
fn modal_error(refused: &DomainError) -> String {
    match refused {
        DomainError::NotFound => "This incident no longer exists.".to_owned(),
        other => match blocks::capitalised(&other.to_string()) {
            reason if reason.is_empty() => "This change was refused.".to_owned(),
            reason => reason,
        },
    }
}
