//! What `POST /slack/events` does once its signature holds: find the workspace's tenant,
//! classify the event, and commit its one change through the typed incident handle. Nothing
//! else happens in the request (Slack wants an answer within 3 s); the channel, the
//! announcement and the replies are the sender's work, from the incident's outbox.
//!
//! Retries are harmless: a declaration names its Incident object after the event
//! (`slack-event:<team>:<event_id>`, the same on Slack's retries), and a recorded message is
//! deduplicated by the object on its message id (`<channel>:<ts>`).

use super::classify::{
    self, channel_identifier, thread_identifier, Classified, IgnoreReason, KnownIncidents,
    SlackMessage,
};
use super::events::{Event, EventCallback, EventsBody};
use super::incident_keys as keys;
use super::installation::{self, Installation};
use super::payload::PayloadError;
use crate::dashboard::identifiers;
use crate::dashboard::receiver::tenant_cache::cached_tenant_config;
use incidentd_core::{
    Actor, Command, Idempotency, IncidentCallError, IncidentHandle, Source, StartIncident, Started,
};
use incidentd_runtime::object::ObjectNamespace;
use incidentd_runtime::sql::Database;
use std::collections::BTreeMap;
use std::fmt;

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
    /// The incident refused the message (closed, say): nothing to retry.
    Refused {
        incident_id: String,
        reason: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReceiveError {
    /// Not an Events API body: 400.
    BadPayload(PayloadError),
    /// Storage or the incident object failed: 500, so Slack retries.
    Transient(String),
}

impl fmt::Display for ReceiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReceiveError::BadPayload(e) => write!(f, "{e}"),
            ReceiveError::Transient(e) => write!(f, "{e}"),
        }
    }
}

fn transient(what: &str, e: impl fmt::Display) -> ReceiveError {
    ReceiveError::Transient(format!("{what}: {e}"))
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
    let Some(team) = callback.team() else {
        return Ok(EventsOutcome::UnknownWorkspace);
    };
    let Some(installation) = installation::by_team(db, team)
        .await
        .map_err(|e| transient("installation lookup", e))?
    else {
        return Ok(EventsOutcome::UnknownWorkspace);
    };
    let known = incidents_of(db, &installation.tenant_id, &callback).await?;
    let receiver = Receiver {
        db,
        incidents,
        installation: &installation,
        now_ms,
    };
    match classify::classify(&callback, &installation.bot(), &known) {
        Classified::Declare { prompt, message } => {
            receiver.declare(&callback, prompt, &message).await
        }
        Classified::Record {
            incident_id,
            text,
            message,
        } => receiver.record(incident_id, text, &message).await,
        // The AI issue runs prompts; until then a prompt is a timeline message.
        Classified::Prompt {
            incident_id,
            prompt,
            message,
        } => receiver.record(incident_id, prompt, &message).await,
        Classified::Ignore(reason) => Ok(EventsOutcome::Ignored(reason)),
    }
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

struct Receiver<'a> {
    db: &'a dyn Database,
    incidents: &'a dyn ObjectNamespace,
    installation: &'a Installation,
    now_ms: i64,
}

impl Receiver<'_> {
    fn handle(&self, id: &str) -> Result<IncidentHandle, ReceiveError> {
        let stub = self
            .incidents
            .get(id)
            .map_err(|e| transient("incident object", e.message))?;
        Ok(IncidentHandle::new(
            stub,
            self.installation.tenant_id.clone(),
        ))
    }

    async fn declare(
        &self,
        callback: &EventCallback,
        prompt: String,
        message: &SlackMessage,
    ) -> Result<EventsOutcome, ReceiveError> {
        let tenant = &self.installation.tenant_id;
        // Named by the event: Slack's retries of it reach the incident the first one made.
        let name = format!(
            "slack-event:{}:{}",
            self.installation.team_id, callback.event_id
        );
        let id = self
            .incidents
            .id_from_name(&name)
            .map_err(|e| transient("incident id", e.message))?;
        let mut input = StartIncident {
            id: id.clone(),
            tenant_id: tenant.clone(),
            prompt,
            title: None,
            severity: None,
            created_by: message.user.clone(),
            source: Source::Slack,
            entry_points: Vec::new(),
            services: Vec::new(),
        };
        if let Err(e) = input.validate() {
            // Too long or otherwise unusable: retrying cannot fix it.
            return Ok(EventsOutcome::Refused {
                incident_id: id,
                reason: e.to_string(),
            });
        }
        let (entry_points, services) = cached_tenant_config(self.db, tenant, self.now_ms)
            .await
            .map_err(|e| transient("tenant configuration", e.message))?;
        input.entry_points = entry_points;
        input.services = services;
        let handle = self.handle(&id)?;
        let created = match handle.start(input).await {
            Ok(Started::Created(_)) => true,
            Ok(Started::AlreadyExisted(_)) => false,
            Err(e) => return Err(transient("declare", e)),
        };
        // Where the sender reacts and answers; the same values on every retry.
        let source = BTreeMap::from([
            (keys::SOURCE_CHANNEL.to_owned(), message.channel.clone()),
            (keys::SOURCE_TS.to_owned(), message.ts.clone()),
            (
                keys::SOURCE_THREAD_TS.to_owned(),
                message.reply_thread_ts.clone(),
            ),
        ]);
        handle
            .merge_metadata(source)
            .await
            .map_err(|e| transient("source thread", e))?;
        Ok(EventsOutcome::Declared {
            incident_id: id,
            created,
        })
    }

    async fn record(
        &self,
        incident_id: String,
        text: String,
        message: &SlackMessage,
    ) -> Result<EventsOutcome, ReceiveError> {
        let command = Command::AddMessage {
            message: text,
            message_id: message.key.0.clone(),
            user_id: message.user.clone(),
        };
        let applied = self
            .handle(&incident_id)?
            .apply(
                Actor::slack(message.user.clone()),
                command,
                Idempotency::None,
            )
            .await;
        match applied {
            Ok(applied) => Ok(EventsOutcome::Recorded {
                incident_id,
                duplicate: applied.duplicate,
            }),
            Err(IncidentCallError::Domain(e)) => Ok(EventsOutcome::Refused {
                incident_id,
                reason: e.to_string(),
            }),
            Err(e) => Err(transient("record message", e)),
        }
    }
}
