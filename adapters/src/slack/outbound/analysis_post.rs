//! The post-incident analysis, posted once in the incident's channel when there is one
//! (`IncidentAnalysisWorkflow` calls this after storing the analysis). The incident is read
//! from its archive by then, so the channel comes from the archived metadata.

use crate::slack::incident_keys as keys;
use crate::slack::outbound::blocks::{self, AnalysisDigest};
use crate::slack::outbound::posting::{self, Place};
use crate::slack::outbound::workspace::{Connection, Workspace};
use incidentd_core::IncidentState;
use sluice::prelude::*;
use sluice::workflow::Services;

/// What posting the analysis came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnalysisPost {
    /// Posted (or found posted by an earlier attempt): its ts.
    Posted { ts: String },
    /// No Slack for this incident: the tenant has no workspace, or no channel was made.
    NoChannel,
    /// The channel is gone or archived (`archive_on_close`), or Slack disabled the workspace's
    /// installation (`app_uninstalled`, `tokens_revoked`): nothing to post into.
    ChannelClosed { code: String },
}

/// Posts `digest` in the incident's channel. `may_exist`: an earlier attempt may have posted.
pub async fn post_analysis(
    services: &dyn Services,
    incident: &IncidentState,
    digest: &AnalysisDigest,
    may_exist: bool,
) -> Result<AnalysisPost, EffectError> {
    let Some(channel) = incident.metadata.get(keys::CHANNEL) else {
        return Ok(AnalysisPost::NoChannel);
    };
    let workspace = match Workspace::connection(services, &incident.tenant_id).await? {
        Connection::Active(workspace) => workspace,
        Connection::None => return Ok(AnalysisPost::NoChannel),
        // The analysis is kept all the same; Slack just cannot be told.
        Connection::Disabled(disabled) => {
            return Ok(AnalysisPost::ChannelClosed {
                code: disabled.reason.as_str().to_owned(),
            })
        }
    };
    let post = blocks::analysis(incident, incident.last_event_id, digest);
    let place = Place::channel(channel);
    match posting::post_once(&workspace.api, place, &post, may_exist).await {
        Ok(ts) => Ok(AnalysisPost::Posted { ts }),
        Err(e) => match closed_channel(&e) {
            Some(code) => Ok(AnalysisPost::ChannelClosed { code }),
            None => Err(e),
        },
    }
}

/// Slack's codes for a channel that can no longer take a post (`SlackCallError::Api` becomes
/// `<method>: <code>`).
fn closed_channel(error: &EffectError) -> Option<String> {
    ["is_archived", "channel_not_found"]
        .into_iter()
        .find(|code| error.message.ends_with(code))
        .map(str::to_owned)
}
