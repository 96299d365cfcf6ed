//! What `POST /slack/events` does once its signature holds: find the workspace's tenant,
//! classify the event, and commit its one change through the typed incident handle. Nothing
//! else happens in the request (Slack wants an answer within 3 s); the channel, the
//! announcement and the replies are the sender's work, from the incident's outbox.
//!
//! Retries are harmless: a declaration names its Incident object after the event
//! (`slack-event:<team>:<event_id>`, the same on Slack's retries), and a recorded message or
//! prompt is deduplicated by the object on its id (`<channel>:<ts>`).
//!
//! `app_uninstalled`, and `tokens_revoked` naming the installation's bot user, disable the
//! installation: its token is deleted and why is recorded (`installation::disable`), so the
//! sender's later steps fail at once saying so, and the workspace's requests are no longer
//! served. A repeat finds nothing left to disable; an event older than the current install
//! (a late retry across a reinstall) disables nothing.

use crate::dashboard::identifiers;
use crate::slack::inbound::classify::{
    self, channel_identifier, thread_identifier, Classified, IgnoreReason, KnownIncidents,
    SlackMessage,
};
use crate::slack::inbound::events::{Event, EventCallback, EventsBody};
use crate::slack::inbound::tenant_access::{
    installation_of, refusal, transient, Declaration, DeclaredFrom, TenantIncidents,
};
use crate::slack::installation::{self, DisabledReason, Installation};
use incidentd_core::{Actor, Command, Idempotency};
use sluice::object::ObjectNamespace;
use sluice::sql::Database;

use crate::slack::inbound::tenant_access::ReceiveError;

/// What the request did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventsOutcome {
    /// `url_verification`: answer with the challenge.
    Challenge(String),
    /// No installation for the team (or no team at all): nothing written.
    UnknownWorkspace,
    Ignored(IgnoreReason),
    /// An incident was declared (`created: false` on a retry of the same event).
    Declared {
        incident_id: String,
        created: bool,
    },
    /// A message was put on an incident's timeline (`duplicate` when it already was).
    Recorded {
        incident_id: String,
        duplicate: bool,
    },
    /// A prompt for the incident agent was added (`duplicate` when it already was).
    Prompted {
        incident_id: String,
        duplicate: bool,
    },
    /// The incident refused the change (closed, say): nothing to retry.
    Refused {
        incident_id: String,
        reason: String,
    },
    /// Slack disabled the workspace's installation: its token is deleted.
    Disabled {
        tenant: String,
        team_id: String,
        reason: DisabledReason,
    },
    /// `tokens_revoked` for tokens incidentd does not hold (user tokens, another bot user), or
    /// an uninstall older than the current install: nothing changed.
    NotDisabled {
        team_id: String,
    },
}

/// Handles one verified Events API body.
pub async fn handle_events(
    db: &dyn Database,
    incidents: &dyn ObjectNamespace,
    body: &[u8],
    now_ms: i64,
) -> Result<EventsOutcome, ReceiveError> {
    let callback = match EventsBody::parse(body).map_err(ReceiveError::BadPayload)? {
        EventsBody::UrlVerification { challenge } => {
            return Ok(EventsOutcome::Challenge(challenge))
        }
        EventsBody::EventCallback(callback) => callback,
        EventsBody::AppRateLimited { .. } | EventsBody::Unknown => {
            return Ok(EventsOutcome::Ignored(IgnoreReason::UnhandledEvent))
        }
    };
    let Some(installation) =
        installation_of(db, callback.team(), callback.enterprise_id.as_deref()).await?
    else {
        return Ok(EventsOutcome::UnknownWorkspace);
    };
    match &callback.event {
        Event::AppUninstalled => {
            return disable(
                db,
                &installation,
                DisabledReason::AppUninstalled,
                &callback,
                now_ms,
            )
            .await
        }
        Event::TokensRevoked(revoked) if revoked.tokens.bot.contains(&installation.bot_user_id) => {
            return disable(
                db,
                &installation,
                DisabledReason::TokensRevoked,
                &callback,
                now_ms,
            )
            .await
        }
        Event::TokensRevoked(_) => {
            return Ok(EventsOutcome::NotDisabled {
                team_id: installation.team_id,
            })
        }
        Event::AppMention(_) | Event::Message(_) | Event::Other => {}
    }
    let known = incidents_of(db, &installation.tenant_id, &callback).await?;
    let workspace = TenantIncidents {
        db,
        incidents,
        installation: &installation,
        now_ms,
    };
    match classify::classify(&callback, &installation.bot(), &known) {
        Classified::Declare { prompt, message } => {
            declare(&workspace, &callback, prompt, &message).await
        }
        Classified::Record {
            incident_id,
            text,
            message,
        } => {
            let command = Command::AddMessage {
                message: text,
                message_id: message.key.0.clone(),
                user_id: message.user.clone(),
            };
            let done = |incident_id, duplicate| EventsOutcome::Recorded {
                incident_id,
                duplicate,
            };
            apply(&workspace, incident_id, &message, command, done).await
        }
        // The `agent` dispatcher starts the prompt workflow from the event; the prompt id is
        // the message's key, so Slack's retries (and the mention's twin) add it once.
        Classified::Prompt {
            incident_id,
            prompt,
            message,
        } => {
            let command = Command::AddPrompt {
                prompt,
                prompt_id: message.key.0.clone(),
                user_id: message.user.clone(),
            };
            let done = |incident_id, duplicate| EventsOutcome::Prompted {
                incident_id,
                duplicate,
            };
            apply(&workspace, incident_id, &message, command, done).await
        }
        Classified::Ignore(reason) => Ok(EventsOutcome::Ignored(reason)),
    }
}

/// Deletes the installation's token and records why (see the module's comment).
async fn disable(
    db: &dyn Database,
    installation: &Installation,
    reason: DisabledReason,
    callback: &EventCallback,
    now_ms: i64,
) -> Result<EventsOutcome, ReceiveError> {
    let disabled = installation::disable(
        db,
        &installation.team_id,
        reason,
        callback.event_time,
        now_ms,
    )
    .await
    .map_err(|e| transient("disabling the installation", e))?;
    Ok(match disabled {
        Some(disabled) => EventsOutcome::Disabled {
            tenant: disabled.tenant_id,
            team_id: disabled.team_id,
            reason,
        },
        None => EventsOutcome::NotDisabled {
            team_id: installation.team_id.clone(),
        },
    })
}

/// The index entries of the event's channel and, outside incident channels, its thread.
async fn incidents_of(
    db: &dyn Database,
    tenant: &str,
    callback: &EventCallback,
) -> Result<KnownIncidents, ReceiveError> {
    let (Event::AppMention(event) | Event::Message(event)) = &callback.event else {
        return Ok(KnownIncidents::default());
    };
    let lookup = |identifier: String| async move {
        identifiers::find(db, tenant, &identifier)
            .await
            .map(|found| found.map(|id| (identifier, id)))
            .map_err(|e| transient("incident lookup", e))
    };
    if let Some((identifier, id)) = lookup(channel_identifier(&event.channel)).await? {
        return Ok(KnownIncidents::default().with(identifier, id));
    }
    let Some(thread_ts) = event.thread_ts.as_deref() else {
        return Ok(KnownIncidents::default());
    };
    Ok(
        match lookup(thread_identifier(&event.channel, thread_ts)).await? {
            Some((identifier, id)) => KnownIncidents::default().with(identifier, id),
            None => KnownIncidents::default(),
        },
    )
}

async fn declare(
    workspace: &TenantIncidents<'_>,
    callback: &EventCallback,
    prompt: String,
    message: &SlackMessage,
) -> Result<EventsOutcome, ReceiveError> {
    // Named by the event: Slack's retries of it reach the incident the first one made.
    let name = format!(
        "slack-event:{}:{}",
        workspace.installation.team_id, callback.event_id
    );
    let from = DeclaredFrom::Mention {
        channel: &message.channel,
        ts: &message.ts,
        reply_thread_ts: &message.reply_thread_ts,
    };
    Ok(
        match workspace
            .declare(&name, prompt, &message.user, from)
            .await?
        {
            Declaration::Declared { incident, created } => EventsOutcome::Declared {
                incident_id: incident.id,
                created,
            },
            Declaration::Refused {
                incident_id,
                reason,
            } => EventsOutcome::Refused {
                incident_id,
                reason,
            },
        },
    )
}

/// Applies `command` as the message's author; `done` says what a success was.
async fn apply(
    workspace: &TenantIncidents<'_>,
    incident_id: String,
    message: &SlackMessage,
    command: Command,
    done: impl FnOnce(String, bool) -> EventsOutcome,
) -> Result<EventsOutcome, ReceiveError> {
    let actor = Actor::slack(message.user.clone());
    match workspace
        .apply(&incident_id, actor, command, Idempotency::None)
        .await
    {
        Ok(applied) => Ok(done(incident_id, applied.duplicate)),
        Err(e) => Ok(EventsOutcome::Refused {
            reason: refusal("apply", e)?.to_string(),
            incident_id,
        }),
    }
}
