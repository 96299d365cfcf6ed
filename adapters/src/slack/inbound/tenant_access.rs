//! What the three Slack receivers (events, interactivity, slash commands) share once a
//! request's signature holds: the workspace's tenant, handles to that tenant's incidents, the
//! one declare path, and how a failed call to an incident is judged (a refusal to report, or a
//! failure worth a retry).

use crate::http::declare::{declare, DeclareError};
use crate::slack::config;
use crate::slack::inbound::payload::PayloadError;
use crate::slack::incident_keys as keys;
use crate::slack::installation::{self, Installation};
use crate::slack::outbound::api::SlackApi;
use crate::slack::token_crypto::TokenKey;
use incidentd_core::{
    Actor, Applied, Command, DomainError, Idempotency, IncidentCallError, IncidentHandle,
    IncidentState, IncidentView, Source, StartIncident, Started,
};
use sluice::http::HttpClient;
use sluice::object::{ObjectCallErrorKind, ObjectNamespace};
use sluice::sql::Database;
use sluice::workflow::Services;
use sluice::Duration;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReceiveError {
    /// Not the body the route takes: 400.
    BadPayload(PayloadError),
    /// Storage or the incident object failed: 500 (Slack retries events; a person retries
    /// an interaction).
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

pub(crate) fn transient(what: &str, e: impl fmt::Display) -> ReceiveError {
    ReceiveError::Transient(format!("{what}: {e}"))
}

/// A failed incident call: `Ok(refusal)` when the incident said no (not found, another
/// tenant's, closed, invalid), which no retry changes; `Err` when storage or the transport
/// failed, which a retry may fix.
pub(crate) fn refusal(what: &str, e: IncidentCallError) -> Result<DomainError, ReceiveError> {
    match e {
        IncidentCallError::Domain(DomainError::Storage(e)) => Err(transient(what, e)),
        IncidentCallError::Domain(refused) => Ok(refused),
        other => Err(transient(what, other)),
    }
}

/// The workspace's installation: by team, else by enterprise (an org-wide install names no
/// team in interaction payloads and is stored under its enterprise id).
pub(crate) async fn installation_of(
    db: &dyn Database,
    team: Option<&str>,
    enterprise: Option<&str>,
) -> Result<Option<Installation>, ReceiveError> {
    for id in [team, enterprise].into_iter().flatten() {
        let found = installation::by_team(db, id)
            .await
            .map_err(|e| transient("installation lookup", e))?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// How a receiver reaches the Web API within Slack's request (only `views.open`, whose
/// trigger expires 3 s after Slack sent it).
pub struct SlackAccess {
    pub api_url: String,
    /// `None` when `SLACK_TOKEN_KEY` is missing or malformed: no call can be made.
    pub token_key: Option<TokenKey>,
    pub http: Rc<dyn HttpClient>,
}

/// Leaves Slack's 3 s budget room for the rest of the request.
pub(crate) const IN_REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

impl SlackAccess {
    pub fn from_services(services: &dyn Services) -> SlackAccess {
        SlackAccess {
            api_url: config::api_url(services),
            token_key: config::token_key(services).ok(),
            http: services.http(),
        }
    }

    /// A client for `installation`'s workspace with [`IN_REQUEST_TIMEOUT`]; the error says
    /// why there is none (never the token).
    pub(crate) fn api(&self, installation: &Installation) -> Result<SlackApi, String> {
        let key = self
            .token_key
            .as_ref()
            .ok_or_else(|| format!("{} is not configured", config::TOKEN_KEY_VAR))?;
        let token = installation
            .token(key)
            .map_err(|e| format!("slack bot token: {e}"))?;
        Ok(
            SlackApi::new(self.api_url.clone(), token, self.http.clone())
                .with_timeout(IN_REQUEST_TIMEOUT),
        )
    }
}

/// Where a declaration came from, recorded in the incident's metadata for the Slack sender.
pub(crate) enum DeclaredFrom<'a> {
    /// A mention: the sender reacts to it and answers in its thread.
    Mention {
        channel: &'a str,
        ts: &'a str,
        reply_thread_ts: &'a str,
    },
    /// `/incident <title>`: no message to react to or answer under.
    Command { channel: &'a str },
}

impl DeclaredFrom<'_> {
    fn metadata(&self) -> BTreeMap<String, String> {
        let entries: Vec<(&str, &str)> = match self {
            DeclaredFrom::Mention {
                channel,
                ts,
                reply_thread_ts,
            } => vec![
                (keys::SOURCE_CHANNEL, channel),
                (keys::SOURCE_TS, ts),
                (keys::SOURCE_THREAD_TS, reply_thread_ts),
            ],
            DeclaredFrom::Command { channel } => vec![(keys::SOURCE_COMMAND_CHANNEL, channel)],
        };
        entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }
}

/// What a declaration did.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Declaration {
    /// `created: false` when a retry reached the incident the first request made.
    Declared {
        incident: Box<IncidentState>,
        created: bool,
    },
    /// The input can never make an incident (too long, say): nothing written.
    Refused { incident_id: String, reason: String },
}

/// One connected workspace's view of its tenant's incidents.
pub(crate) struct TenantIncidents<'a> {
    pub db: &'a dyn Database,
    pub incidents: &'a dyn ObjectNamespace,
    pub installation: &'a Installation,
    pub now_ms: i64,
}

impl TenantIncidents<'_> {
    pub(crate) fn tenant(&self) -> &str {
        &self.installation.tenant_id
    }

    /// The incident `id` as the tenant sees it: another tenant's answers `NotFound` (the
    /// object checks), and so does an id that cannot name an object.
    pub(crate) fn handle(&self, id: &str) -> Result<IncidentHandle, IncidentCallError> {
        let stub = self.incidents.get(id).map_err(|e| match e.kind {
            ObjectCallErrorKind::NotFound => IncidentCallError::Domain(DomainError::NotFound),
            ObjectCallErrorKind::Transport => IncidentCallError::Transport(e),
        })?;
        Ok(IncidentHandle::new(stub, self.tenant()))
    }

    /// The incident `id` and its timeline, as the tenant sees it.
    pub(crate) async fn get(&self, id: &str) -> Result<IncidentView, IncidentCallError> {
        self.handle(id)?.get().await
    }

    /// Applies `command` to the incident `id` as `actor`. What Slack repeats on its own
    /// (event retries) is deduplicated by the object on message and prompt ids and needs no
    /// key (`Idempotency::None`); a control someone used carries the interaction's key, so a
    /// captured request replayed later (its signature stays valid for 5 minutes) cannot set
    /// an old value again.
    pub(crate) async fn apply(
        &self,
        id: &str,
        actor: Actor,
        command: Command,
        idempotency: Idempotency,
    ) -> Result<Applied, IncidentCallError> {
        self.handle(id)?.apply(actor, command, idempotency).await
    }

    /// Declares an incident on the object named `object_name` (the same name on Slack's
    /// retries, so they reach the incident the first request made), with the tenant's entry
    /// points and services, then records where it came from.
    pub(crate) async fn declare(
        &self,
        object_name: &str,
        prompt: String,
        user: &str,
        from: DeclaredFrom<'_>,
    ) -> Result<Declaration, ReceiveError> {
        let id = self
            .incidents
            .id_from_name(object_name)
            .map_err(|e| transient("incident id", e.message))?;
        let input = StartIncident {
            id: id.clone(),
            tenant_id: self.tenant().to_owned(),
            prompt,
            title: None,
            severity: None,
            created_by: user.to_owned(),
            source: Source::Slack,
            entry_points: Vec::new(),
            services: Vec::new(),
        };
        let handle = self.handle(&id).map_err(|e| transient("declare", e))?;
        let (incident, created) = match declare(self.db, &handle, input, self.now_ms).await {
            Ok(Started::Created(incident)) => (incident, true),
            Ok(Started::AlreadyExisted(incident)) => (incident, false),
            // Too long or otherwise unusable: retrying cannot fix it.
            Err(DeclareError::Invalid(e)) => {
                return Ok(Declaration::Refused {
                    incident_id: id,
                    reason: e.to_string(),
                })
            }
            Err(DeclareError::TenantConfig(e)) => {
                return Err(transient("tenant configuration", e.message))
            }
            Err(DeclareError::Start(e)) => return Err(transient("declare", e)),
        };
        // The same values on every retry.
        handle
            .merge_metadata(from.metadata())
            .await
            .map_err(|e| transient("declaration source", e))?;
        Ok(Declaration::Declared {
            incident: Box::new(incident),
            created,
        })
    }
}
