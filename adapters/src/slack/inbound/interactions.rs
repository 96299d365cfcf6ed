//! Interactivity bodies (`POST /slack/interactions`): a form whose `payload` field is JSON.
//! Parses `block_actions`, `view_submission` and `view_closed`, then reads incidentd's own
//! controls back out of them ([`IncidentAction`], [`SubmittedView`]) by the ids in
//! [`incidentd_wire::slack_ids`].

use crate::slack::inbound::payload::{self, PayloadError};
use incidentd_core::{AffectionStatus, Severity, Status};
use incidentd_wire::slack_ids::{
    self as ids, StatusChangeContext, SuggestionEditContext, SuggestionRef,
};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq)]
pub enum Interaction {
    BlockActions(Box<BlockActions>),
    ViewSubmission(Box<ViewPayload>),
    /// Sent only for views opened with `notify_on_close`.
    ViewClosed(Box<ViewPayload>),
    Unknown,
}

impl Interaction {
    /// From the raw form body.
    pub fn parse_form(body: &[u8]) -> Result<Interaction, PayloadError> {
        let fields = payload::form_fields(body);
        let payload = fields
            .get("payload")
            .ok_or(PayloadError::MissingField("payload"))?;
        payload::by_type(payload.as_bytes(), |kind, json| {
            Ok(match kind {
                "block_actions" => Interaction::BlockActions(serde_json::from_slice(json)?),
                "view_submission" => Interaction::ViewSubmission(serde_json::from_slice(json)?),
                "view_closed" => Interaction::ViewClosed(serde_json::from_slice(json)?),
                _ => Interaction::Unknown,
            })
        })
        .map_err(PayloadError::from)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Id {
    pub id: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct BlockActions {
    pub user: Id,
    /// Null when the app is installed org-wide: use `enterprise`.
    #[serde(default)]
    pub team: Option<Id>,
    #[serde(default)]
    pub enterprise: Option<Id>,
    pub api_app_id: String,
    /// Opens a modal; single use, expires 3 s after Slack sent it.
    pub trigger_id: String,
    #[serde(default)]
    pub response_url: Option<String>,
    /// The channel of the message the control is on (absent for ephemeral messages and views).
    #[serde(default)]
    pub channel: Option<Id>,
    #[serde(default)]
    pub message: Option<PostedMessage>,
    pub actions: Vec<Action>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct PostedMessage {
    pub ts: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(from = "ActionFields")]
pub struct Action {
    pub action_id: String,
    pub block_id: String,
    pub element: Element,
}

/// The element that fired and what it holds now.
#[derive(Clone, Debug, PartialEq)]
pub enum Element {
    Button {
        value: Option<String>,
    },
    /// `selected_option` is null when the option was cleared.
    StaticSelect {
        selected_option: Option<SelectedOption>,
    },
    UsersSelect {
        selected_user: Option<String>,
    },
    Other,
}

/// An action as Slack sends it: the element's `type` and its value fields side by side.
/// Read flat and sorted afterwards, since serde's `flatten` of a tagged enum would buffer
/// every action into an intermediate tree.
#[derive(Deserialize)]
struct ActionFields {
    action_id: String,
    block_id: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    selected_option: Option<SelectedOption>,
    #[serde(default)]
    selected_user: Option<String>,
}

impl From<ActionFields> for Action {
    fn from(fields: ActionFields) -> Action {
        let element = match fields.kind.as_str() {
            "button" => Element::Button {
                value: fields.value,
            },
            "static_select" => Element::StaticSelect {
                selected_option: fields.selected_option,
            },
            "users_select" => Element::UsersSelect {
                selected_user: fields.selected_user,
            },
            _ => Element::Other,
        };
        Action {
            action_id: fields.action_id,
            block_id: fields.block_id,
            element,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct SelectedOption {
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ViewPayload {
    pub user: Id,
    #[serde(default)]
    pub team: Option<Id>,
    #[serde(default)]
    pub enterprise: Option<Id>,
    pub api_app_id: String,
    pub view: View,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct View {
    pub id: String,
    #[serde(default)]
    pub callback_id: String,
    #[serde(default)]
    pub private_metadata: String,
    #[serde(default)]
    pub state: ViewState,
}

/// `values[block_id][action_id]`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct ViewState {
    #[serde(default)]
    pub values: HashMap<String, HashMap<String, InputValue>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct InputValue {
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub selected_option: Option<SelectedOption>,
    #[serde(default)]
    pub selected_user: Option<String>,
    /// A multi-select's choices.
    #[serde(default)]
    pub selected_options: Option<Vec<SelectedOption>>,
}

impl ViewState {
    pub(crate) fn input(&self, block_id: &str, action_id: &str) -> Option<&InputValue> {
        self.values.get(block_id)?.get(action_id)
    }

    /// A text input's value, trimmed (`None` when the modal had no such input).
    fn text(&self, (block_id, action_id): (&str, &str)) -> Option<String> {
        self.input(block_id, action_id)
            .map(|input| input.value.as_deref().unwrap_or_default().trim().to_owned())
    }

    /// A select's chosen value, read as `T` (`None` when nothing, or nothing valid, is chosen).
    fn chosen<T: TryFrom<String>>(&self, (block_id, action_id): (&str, &str)) -> Option<T> {
        let option = self.input(block_id, action_id)?.selected_option.as_ref()?;
        T::try_from(option.value.clone()).ok()
    }

    /// A multi-select's chosen values (`None` when the modal had no such input).
    fn chosen_all(&self, (block_id, action_id): (&str, &str)) -> Option<Vec<String>> {
        let input = self.input(block_id, action_id)?;
        Some(
            input
                .selected_options
                .iter()
                .flatten()
                .map(|o| o.value.clone())
                .collect(),
        )
    }
}

/// A suggestion button's meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuggestionChoice {
    Apply,
    Edit,
    Dismiss,
}

/// One of incidentd's controls, as a person used it (`user` is their Slack id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IncidentAction {
    SetSeverity {
        incident_id: String,
        severity: Severity,
        user: String,
    },
    /// `None`: the selection was cleared.
    SetAssignee {
        incident_id: String,
        assignee: Option<String>,
        user: String,
    },
    /// A status was chosen: open the status-change modal with `trigger_id` (no change yet,
    /// the modal asks for the message).
    ChooseStatus {
        incident_id: String,
        status: Status,
        trigger_id: String,
        user: String,
    },
    Suggestion {
        choice: SuggestionChoice,
        suggestion: SuggestionRef,
        /// For `Edit`: opens the edit modal.
        trigger_id: String,
        /// The suggestion message (to mark it applied or dismissed).
        message: Option<(String, String)>,
        user: String,
    },
    /// Not one of incidentd's controls, or a value it does not accept (a cleared select).
    Unrecognised { action_id: String },
}

impl BlockActions {
    /// Each fired action, read as one of incidentd's controls.
    pub fn incident_actions(&self) -> Vec<IncidentAction> {
        self.actions
            .iter()
            .map(|action| {
                self.read(action)
                    .unwrap_or_else(|| IncidentAction::Unrecognised {
                        action_id: action.action_id.clone(),
                    })
            })
            .collect()
    }

    fn read(&self, action: &Action) -> Option<IncidentAction> {
        let user = self.user.id.clone();
        let incident_id = || ids::incident_of_block_id(&action.block_id).map(str::to_owned);
        let selected = || match &action.element {
            Element::StaticSelect { selected_option } => {
                selected_option.as_ref().map(|o| o.value.clone())
            }
            _ => None,
        };
        let choice = match (action.action_id.as_str(), &action.element) {
            (ids::SEVERITY_SELECT, _) => {
                return Some(IncidentAction::SetSeverity {
                    incident_id: incident_id()?,
                    severity: Severity::try_from(selected()?).ok()?,
                    user,
                })
            }
            (ids::STATUS_SELECT, _) => {
                return Some(IncidentAction::ChooseStatus {
                    incident_id: incident_id()?,
                    status: Status::try_from(selected()?).ok()?,
                    trigger_id: self.trigger_id.clone(),
                    user,
                })
            }
            (ids::ASSIGNEE_SELECT, Element::UsersSelect { selected_user }) => {
                return Some(IncidentAction::SetAssignee {
                    incident_id: incident_id()?,
                    assignee: selected_user.clone(),
                    user,
                })
            }
            (ids::SUGGESTION_APPLY, _) => SuggestionChoice::Apply,
            (ids::SUGGESTION_EDIT, _) => SuggestionChoice::Edit,
            (ids::SUGGESTION_DISMISS, _) => SuggestionChoice::Dismiss,
            _ => return None,
        };
        let Element::Button { value: Some(value) } = &action.element else {
            return None;
        };
        Some(IncidentAction::Suggestion {
            choice,
            suggestion: serde_json::from_str(value).ok()?,
            trigger_id: self.trigger_id.clone(),
            message: self
                .channel
                .as_ref()
                .zip(self.message.as_ref())
                .map(|(c, m)| (c.id.clone(), m.ts.clone())),
            user,
        })
    }
}

/// What a person left in the suggestion edit modal's inputs (those it showed; see
/// `blocks::suggestion_edit_modal`); checked against the suggestion's kind when applied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EditedFields {
    pub status: Option<Status>,
    pub severity: Option<Severity>,
    /// Trimmed; `None` when the modal had no message input.
    pub message: Option<String>,
    pub page_status: Option<AffectionStatus>,
    /// Trimmed; `None` when the modal had no title input.
    pub title: Option<String>,
    /// The service ids chosen as a major and as a partial outage (`None`: no such input).
    pub major: Option<Vec<String>>,
    pub partial: Option<Vec<String>>,
}

/// A submitted modal, read as one of incidentd's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubmittedView {
    StatusChange {
        incident_id: String,
        status: Status,
        message: String,
        user: String,
    },
    /// A suggestion as the person edited it.
    SuggestionEdit {
        context: SuggestionEditContext,
        fields: EditedFields,
        user: String,
    },
    /// Answer with [`SubmittedView::errors_response`] so Slack shows the errors in the modal.
    Invalid {
        errors: Vec<(String, String)>,
    },
    Unrecognised {
        callback_id: String,
    },
}

impl SubmittedView {
    /// The acknowledgement body for `Invalid` (`{"response_action":"errors",..}`).
    pub fn errors_response(&self) -> Option<Value> {
        let SubmittedView::Invalid { errors } = self else {
            return None;
        };
        let errors: serde_json::Map<String, Value> = errors
            .iter()
            .map(|(block, message)| (block.clone(), Value::from(message.as_str())))
            .collect();
        Some(json!({ "response_action": "errors", "errors": errors }))
    }
}

impl ViewPayload {
    pub fn submitted(&self) -> SubmittedView {
        let unrecognised = || SubmittedView::Unrecognised {
            callback_id: self.view.callback_id.clone(),
        };
        if self.view.callback_id == ids::SUGGESTION_EDIT_MODAL {
            return self.suggestion_edit().unwrap_or_else(unrecognised);
        }
        if self.view.callback_id != ids::STATUS_MODAL {
            return unrecognised();
        }
        let Ok(context) = serde_json::from_str::<StatusChangeContext>(&self.view.private_metadata)
        else {
            return unrecognised();
        };
        let message = self
            .view
            .state
            .input(ids::STATUS_MESSAGE_BLOCK, ids::STATUS_MESSAGE_INPUT)
            .and_then(|input| input.value.as_deref())
            .map(str::trim)
            .unwrap_or_default();
        // Slack enforces required inputs in its clients; this guards against the others.
        if message.is_empty() {
            return SubmittedView::Invalid {
                errors: vec![(
                    ids::STATUS_MESSAGE_BLOCK.to_owned(),
                    "Say what changed.".to_owned(),
                )],
            };
        }
        SubmittedView::StatusChange {
            incident_id: context.incident_id,
            status: context.status,
            message: message.to_owned(),
            user: self.user.id.clone(),
        }
    }

    fn suggestion_edit(&self) -> Option<SubmittedView> {
        let context = serde_json::from_str(&self.view.private_metadata).ok()?;
        let state = &self.view.state;
        let fields = EditedFields {
            status: state.chosen(ids::EDIT_STATUS),
            severity: state.chosen(ids::EDIT_SEVERITY),
            message: state.text(ids::EDIT_MESSAGE),
            page_status: state.chosen(ids::EDIT_PAGE_STATUS),
            title: state.text(ids::EDIT_TITLE),
            major: state.chosen_all(ids::EDIT_MAJOR),
            partial: state.chosen_all(ids::EDIT_PARTIAL),
        };
        Some(SubmittedView::SuggestionEdit {
            context,
            fields,
            user: self.user.id.clone(),
        })
    }
}
