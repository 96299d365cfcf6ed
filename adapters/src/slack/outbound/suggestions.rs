//! The agent's suggestions in Slack: each `SUGGESTION_ADDED` is posted once in the incident
//! channel with Apply / Edit / Dismiss (Edit lets a person rewrite any kind before applying
//! it). The buttons are handled by [`crate::slack::inbound::suggestion_actions`].

use crate::slack::outbound::blocks::{self, SuggestionCard};
use crate::slack::outbound::posting::post_once;
use crate::slack::outbound::updates::Announced;
use crate::slack::outbound::workspace::Workspace;
use incidentd_core::{IncidentEvent, SuggestedChange, SuggestionAdded};
use incidentd_wire::slack_ids::SuggestionRef;
use sluice::prelude::*;

/// The one line a person reads: the change, capitalised.
pub(crate) fn summary(change: &SuggestedChange) -> String {
    blocks::capitalised(&change.summary())
}

pub(crate) async fn suggestion_added(
    ctx: &SendContext,
    workspace: &Workspace,
    event: &IncidentEvent<SuggestionAdded>,
) -> Result<(), EffectError> {
    let announced = Announced::load(ctx, workspace, event).await?;
    let reference = SuggestionRef {
        incident_id: event.incident_id.clone(),
        suggestion_id: event.suggestion_id.clone(),
    };
    let summary = summary(&event.change);
    let card = SuggestionCard {
        suggestion: &reference,
        event_id: event.event_id,
        summary: &summary,
        rationale: event.rationale.as_deref(),
    };
    post_once(
        &workspace.api,
        announced.place(),
        &blocks::suggestion(&card),
        true,
    )
    .await?;
    Ok(())
}
