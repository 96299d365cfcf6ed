//! What `POST /slack/commands` does once its signature holds: find the workspace's tenant and
//! answer `/incident` ephemerally, always with 200 (Slack shows a 5xx as a bare failure).
//!
//! | command | answer |
//! | --- | --- |
//! | `/incident <title>` | declares an incident as a mention does (the same declare path), then confirms |
//! | `/incident status` | the channel's incident (`blocks::status_answer`), or how to declare one |
//! | `/incident help`, `/incident`, another command | `blocks::help_answer` |
//!
//! A slash command has no event id: the declaration's Incident object is named after the
//! team and the command's `trigger_id` (`slack-command:<team>:<trigger_id>`), so a repeated
//! delivery of the same request reaches the incident the first one made.

use crate::dashboard::identifiers;
use crate::slack::inbound::classify::channel_identifier;
use crate::slack::inbound::commands::{CommandBody, IncidentCommand, SlashCommand};
use crate::slack::inbound::payload::PayloadError;
use crate::slack::inbound::tenant_access::{
    installation_of, refusal, transient, Declaration, DeclaredFrom, ReceiveError, TenantIncidents,
};
use crate::slack::outbound::blocks::{self, IncidentCard};
use crate::slack::outbound::channel::is_slack_user;
use incidentd_core::IncidentView;
use serde_json::Value;
use sluice::object::ObjectNamespace;
use sluice::sql::Database;

/// What the command did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandOutcome {
    /// Slack checking the certificate (`ssl_check=1`).
    SslCheck,
    /// No installation for the team or enterprise: nothing written.
    UnknownWorkspace,
    /// `created: false` when a repeated delivery reached the incident the first one made.
    Declared {
        incident_id: String,
        created: bool,
    },
    /// The title can never make an incident (too long, say): nothing written.
    Refused {
        reason: String,
    },
    /// `/incident status`; `None` outside an incident channel.
    Status {
        incident_id: Option<String>,
    },
    Help,
}

/// The outcome, and the ephemeral answer (`None`: an empty 200).
#[derive(Clone, Debug, PartialEq)]
pub struct CommandReply {
    pub outcome: CommandOutcome,
    pub body: Option<Value>,
}

impl CommandReply {
    fn answer(outcome: CommandOutcome, body: Value) -> Self {
        CommandReply {
            outcome,
            body: Some(body),
        }
    }
}

/// The answer when storage or an incident failed: still a 200, so the person sees why.
pub fn unavailable_answer() -> Value {
    blocks::notice_answer("incidentd could not do that just now. Please try again.")
}

/// Handles one verified slash-command body (a form).
pub async fn handle_command(
    db: &dyn Database,
    incidents: &dyn ObjectNamespace,
    body: &[u8],
    now_ms: i64,
) -> Result<CommandReply, ReceiveError> {
    let command = match CommandBody::parse_form(body).map_err(ReceiveError::BadPayload)? {
        CommandBody::SslCheck => {
            return Ok(CommandReply {
                outcome: CommandOutcome::SslCheck,
                body: None,
            })
        }
        CommandBody::Command(command) => command,
    };
    let Some(installation) =
        installation_of(db, Some(&command.team_id), command.enterprise_id.as_deref()).await?
    else {
        return Ok(CommandReply::answer(
            CommandOutcome::UnknownWorkspace,
            blocks::notice_answer("This workspace is not connected to incidentd."),
        ));
    };
    let workspace = TenantIncidents {
        db,
        incidents,
        installation: &installation,
        now_ms,
    };
    match command.interpret() {
        IncidentCommand::Declare { title } => declare(&workspace, &command, title).await,
        IncidentCommand::Status => status(&workspace, &command.channel_id).await,
        IncidentCommand::Help | IncidentCommand::Unknown { .. } => Ok(CommandReply::answer(
            CommandOutcome::Help,
            blocks::help_answer(),
        )),
    }
}

async fn declare(
    workspace: &TenantIncidents<'_>,
    command: &SlashCommand,
    title: String,
) -> Result<CommandReply, ReceiveError> {
    // Without a trigger id every command would name the same object.
    if command.trigger_id.trim().is_empty() {
        return Err(ReceiveError::BadPayload(PayloadError::MissingField(
            "trigger_id",
        )));
    }
    let name = format!(
        "slack-command:{}:{}",
        workspace.installation.team_id, command.trigger_id
    );
    let from = DeclaredFrom::Command {
        channel: &command.channel_id,
    };
    Ok(
        match workspace
            .declare(&name, title, &command.user_id, from)
            .await?
        {
            Declaration::Declared { incident, created } => CommandReply::answer(
                CommandOutcome::Declared {
                    incident_id: incident.id.clone(),
                    created,
                },
                blocks::declared_answer(&incident),
            ),
            Declaration::Refused { reason, .. } => CommandReply::answer(
                CommandOutcome::Refused {
                    reason: reason.clone(),
                },
                blocks::notice_answer(&format!("No incident declared: {reason}")),
            ),
        },
    )
}

/// The incident whose channel this is, as the tenant sees it now.
async fn status(
    workspace: &TenantIncidents<'_>,
    channel: &str,
) -> Result<CommandReply, ReceiveError> {
    let found = identifiers::find(
        workspace.db,
        workspace.tenant(),
        &channel_identifier(channel),
    )
    .await
    .map_err(|e| transient("incident lookup", e))?;
    let view = match &found {
        Some(id) => current_view(workspace, id).await?,
        None => None,
    };
    let card = view.as_ref().map(|view| IncidentCard {
        incident: &view.incident,
        event_id: view.incident.last_event_id,
        assignee_slack_id: view
            .incident
            .assignee
            .as_deref()
            .filter(|a| is_slack_user(a)),
        channel_id: Some(channel),
    });
    Ok(CommandReply::answer(
        CommandOutcome::Status {
            incident_id: view.as_ref().map(|v| v.incident.id.clone()),
        },
        blocks::status_answer(card),
    ))
}

/// `None` when the incident is gone (closed and archived): the channel is no longer its.
async fn current_view(
    workspace: &TenantIncidents<'_>,
    id: &str,
) -> Result<Option<IncidentView>, ReceiveError> {
    match workspace.get(id).await {
        Ok(view) => Ok(Some(view)),
        Err(e) => {
            refusal("incident status", e)?;
            Ok(None)
        }
    }
}
