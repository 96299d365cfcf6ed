//! Block Kit messages and views incidentd posts. Every message posted in a channel carries
//! [`PostedFor`] metadata (incident, event, part) so a post of unknown outcome can be found
//! before posting again; ephemeral answers and modals do not (they are not kept in history).
//! User text is escaped for mrkdwn; lengths stay within Block Kit's limits.

use crate::slack::outbound::metadata::PostedFor;
use incidentd_core::decide::MAX_TITLE_CHARS;
use incidentd_core::effects::impacts;
use incidentd_core::{
    AffectedService, AffectionStatus, AffectionUpdated, Impact, IncidentState, Service, Severity,
    Status, SuggestedChange,
};
use incidentd_wire::slack_ids::{
    self as ids, StatusChangeContext, SuggestionEditContext, SuggestionRef,
};
use serde_json::{json, Value};

/// The `part` of each posted message (see [`PostedFor`]).
pub mod part {
    pub const ANNOUNCEMENT: &str = "announcement";
    /// A high-severity incident in the tenant's announcement channel, once per incident.
    pub const BROADCAST: &str = "broadcast";
    pub const SEVERITY_NOTE: &str = "severity_note";
    pub const ASSIGNEE_NOTE: &str = "assignee_note";
    pub const STATUS_NOTE: &str = "status_note";
    pub const AFFECTION_NOTE: &str = "affection_note";
    pub const CLOSING_SUMMARY: &str = "closing_summary";
    pub const DASHBOARD_MESSAGE: &str = "dashboard_message";
    /// Followed by `:<suggestion id>`: one message per suggestion.
    pub const SUGGESTION: &str = "suggestion";
    /// The post-incident analysis, once per incident.
    pub const ANALYSIS: &str = "analysis";
    /// The agent's answer to a prompt made in Slack, in that prompt's thread.
    pub const AGENT_REPLY: &str = "agent_reply";
}

/// A message ready for `chat.postMessage` or `chat.update`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SlackPost {
    /// The notification and screen-reader text (Slack asks for it alongside blocks).
    pub text: String,
    pub blocks: Vec<Value>,
    pub posted_for: PostedFor,
}

impl SlackPost {
    /// `chat.postMessage` arguments (JSON body).
    pub fn post_args(&self, channel: &str, thread_ts: Option<&str>) -> Value {
        let mut args = json!({
            "channel": channel, "text": self.text, "blocks": self.blocks,
            "metadata": self.posted_for.metadata(), "unfurl_links": false,
        });
        if let Some(thread_ts) = thread_ts {
            args["thread_ts"] = thread_ts.into();
        }
        args
    }

    /// `chat.update` arguments: metadata omitted, so the message keeps the one it was posted
    /// with (what the lookup before a re-post searches for).
    pub(crate) fn update_args(&self, channel: &str, ts: &str) -> Value {
        json!({ "channel": channel, "ts": ts, "text": self.text, "blocks": self.blocks })
    }
}

/// Escapes the three characters mrkdwn reserves, so user text cannot mention or link.
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `text` escaped and quoted line by line.
/// `text` with its first letter in capitals. Our own sentences start with an ASCII letter;
/// keeping to ASCII spares the worker Unicode's case tables.
pub(crate) fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

fn quote(text: &str) -> String {
    escape(text)
        .lines()
        .map(|line| format!(">{line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// At most `max` characters, with an ellipsis when cut.
fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some(_) => {
            let kept: String = text.chars().take(max - 1).collect();
            format!("{kept}…")
        }
    }
}

fn plain(text: &str) -> Value {
    json!({ "type": "plain_text", "text": text, "emoji": true })
}

fn mrkdwn(text: &str) -> Value {
    json!({ "type": "mrkdwn", "text": text })
}

fn section(text: &str) -> Value {
    json!({ "type": "section", "text": mrkdwn(&clip(text, 3000)) })
}

fn context(text: &str) -> Value {
    json!({ "type": "context", "elements": [mrkdwn(&clip(text, 3000))] })
}

fn option(label: &str, value: &str) -> Value {
    json!({ "text": plain(label), "value": value })
}

pub(crate) fn severity_label(severity: Severity) -> &'static str {
    match severity {
        Severity::High => "🔴 High",
        Severity::Medium => "🟠 Medium",
        Severity::Low => "🟡 Low",
    }
}

pub(crate) fn status_label(status: Status) -> &'static str {
    match status {
        Status::Open => "🚨 Open",
        Status::Mitigating => "🛠️ Mitigating",
        Status::Resolved => "✅ Resolved",
        Status::Declined => "⛔ Declined",
    }
}

fn affection_label(status: AffectionStatus) -> &'static str {
    match status {
        AffectionStatus::Investigating => "🔍 Investigating",
        AffectionStatus::Mitigating => "🛠️ Mitigating",
        AffectionStatus::Resolved => "✅ Resolved",
    }
}

fn person(slack_id: Option<&str>) -> String {
    slack_id.map_or_else(|| "_Unassigned_".to_owned(), |id| format!("<@{id}>"))
}

/// The statuses a person may move an incident to next, in lifecycle order.
pub(crate) fn next_statuses(current: Status) -> Vec<Status> {
    [Status::Mitigating, Status::Resolved, Status::Declined]
        .into_iter()
        .filter(|next| current.can_move_to(*next))
        .collect()
}

/// What the announcement shows: the incident as of `event_id`, with Slack ids resolved.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IncidentCard<'a> {
    pub incident: &'a IncidentState,
    /// The event whose state this renders (it makes the block id new on every update).
    pub event_id: i64,
    /// The assignee's Slack user id, when they have one.
    pub assignee_slack_id: Option<&'a str>,
    /// The incident's channel, once created.
    pub channel_id: Option<&'a str>,
}

/// The incident announcement (in the declaring thread and pinned in the incident channel):
/// title, severity, status and assignee, with the controls to change them while it is open.
/// Its metadata names the event it was first posted for, `posted_event_id`.
pub(crate) fn announcement(card: IncidentCard, posted_event_id: i64) -> SlackPost {
    let incident = card.incident;
    let mut blocks = vec![
        json!({ "type": "header", "text": plain(&clip(&incident.title, 150)) }),
        json!({ "type": "section", "fields": [
            mrkdwn(&format!("*Severity*\n{}", severity_label(incident.severity))),
            mrkdwn(&format!("*Status*\n{}", status_label(incident.status))),
            mrkdwn(&format!("*Assignee*\n{}", person(card.assignee_slack_id))),
        ]}),
    ];
    if let Some(channel) = card.channel_id {
        blocks.push(context(&format!("Incident channel: <#{channel}>")));
    }
    if incident.status.is_terminal() {
        blocks.push(context("This incident is closed."));
    } else {
        blocks.push(controls(card));
    }
    SlackPost {
        text: format!(
            "Incident: {} ({}, {})",
            escape(&incident.title),
            incident.severity.as_str(),
            incident.status.as_str()
        ),
        blocks,
        posted_for: PostedFor::new(&incident.id, posted_event_id, part::ANNOUNCEMENT),
    }
}

fn controls(card: IncidentCard) -> Value {
    let incident = card.incident;
    let severities: Vec<Value> = [Severity::High, Severity::Medium, Severity::Low]
        .into_iter()
        .map(|s| option(severity_label(s), s.as_str()))
        .collect();
    let statuses: Vec<Value> = next_statuses(incident.status)
        .into_iter()
        .map(|s| option(status_label(s), s.as_str()))
        .collect();
    let mut assignee = json!({
        "type": "users_select", "action_id": ids::ASSIGNEE_SELECT,
        "placeholder": plain("Assign"),
    });
    if let Some(id) = card.assignee_slack_id {
        assignee["initial_user"] = id.into();
    }
    json!({
        "type": "actions",
        "block_id": ids::incident_block_id(&incident.id, card.event_id),
        "elements": [
            {
                "type": "static_select", "action_id": ids::SEVERITY_SELECT,
                "placeholder": plain("Severity"), "options": severities,
                "initial_option": option(severity_label(incident.severity), incident.severity.as_str()),
            },
            {
                "type": "static_select", "action_id": ids::STATUS_SELECT,
                "placeholder": plain("Change status"), "options": statuses,
            },
            assignee,
        ],
    })
}

/// The modal `views.open` shows when a status is chosen: the change waits for its message.
pub(crate) fn status_change_modal(context: &StatusChangeContext, incident_title: &str) -> Value {
    let title = match context.status {
        Status::Open => "Reopen",
        Status::Mitigating => "Mark as mitigating",
        Status::Resolved => "Mark as resolved",
        Status::Declined => "Decline incident",
    };
    json!({
        "type": "modal",
        "callback_id": ids::STATUS_MODAL,
        "private_metadata": serde_json::to_string(context).expect("plain struct"),
        "title": plain(title),
        "submit": plain("Confirm"),
        "close": plain("Cancel"),
        "blocks": [
            section(&format!("*{}* → {}", escape(incident_title), status_label(context.status))),
            {
                "type": "input",
                "block_id": ids::STATUS_MESSAGE_BLOCK,
                "label": plain("What changed?"),
                "element": {
                    "type": "plain_text_input", "action_id": ids::STATUS_MESSAGE_INPUT,
                    "multiline": true, "max_length": MODAL_TEXT_MAX,
                },
            },
        ],
    })
}

/// A required (or `optional`) select input; `initial` is shown chosen when it is one of the
/// options (Slack refuses an `initial_option` that is not).
fn select_input(
    (block_id, action_id): (&str, &str),
    label: &str,
    options: &[(&str, &str)],
    initial: Option<&str>,
    optional: bool,
) -> Value {
    let options: Vec<Value> = options.iter().map(|(l, v)| option(l, v)).collect();
    let mut element = json!({
        "type": "static_select", "action_id": action_id,
        "placeholder": plain("Choose"), "options": options,
    });
    if let Some(chosen) = options
        .iter()
        .find(|o| Some(o["value"].as_str().unwrap_or_default()) == initial)
    {
        element["initial_option"] = chosen.clone();
    }
    json!({ "type": "input", "block_id": block_id, "label": plain(label), "optional": optional, "element": element })
}

/// A multi-line text input, prefilled with `initial`.
fn text_input(ids: (&str, &str), label: &str, initial: &str) -> Value {
    plain_text_input(ids, label, initial, true, MODAL_TEXT_MAX)
}

/// A required plain-text input of at most `max` characters, prefilled with `initial`.
fn plain_text_input(
    (block_id, action_id): (&str, &str),
    label: &str,
    initial: &str,
    multiline: bool,
    max: usize,
) -> Value {
    json!({
        "type": "input", "block_id": block_id, "label": plain(label),
        "element": {
            "type": "plain_text_input", "action_id": action_id, "multiline": multiline,
            "max_length": max, "initial_value": clip(initial, max),
        },
    })
}

/// Longest text a modal's input takes (and a status message may be).
const MODAL_TEXT_MAX: usize = 2000;
/// Block Kit's limits: options in a select, characters of an option's label.
const SELECT_OPTIONS_MAX: usize = 100;
const OPTION_LABEL_MAX: usize = 75;

/// The status-page impact inputs: one optional `multi_static_select` of the incident's services
/// per impact (major, partial), with `chosen` preselected and `hint` under each. Two blocks
/// whatever the catalog's size; the chosen services come first, so a long catalog never cuts
/// them out of the options.
fn impact_inputs(catalog: &[Service], chosen: &[AffectedService], hint: &str) -> Vec<Value> {
    let is_chosen = |s: &&Service| chosen.iter().any(|c| c.id == s.id);
    let ordered: Vec<&Service> = catalog
        .iter()
        .filter(is_chosen)
        .chain(catalog.iter().filter(|s| !is_chosen(s)))
        .take(SELECT_OPTIONS_MAX)
        .collect();
    let options: Vec<Value> = ordered
        .iter()
        .map(|s| option(&clip(&s.name, OPTION_LABEL_MAX), &s.id))
        .collect();
    let input = |(block_id, action_id): (&str, &str), label: &str, impact: Impact| {
        let initial: Vec<Value> = ordered
            .iter()
            .zip(&options)
            .filter(|(s, _)| chosen.iter().any(|c| c.id == s.id && c.impact == impact))
            .map(|(_, o)| o.clone())
            .collect();
        let mut element = json!({
            "type": "multi_static_select", "action_id": action_id,
            "placeholder": plain("Choose services"), "options": options,
        });
        if !initial.is_empty() {
            element["initial_options"] = initial.into();
        }
        json!({
            "type": "input", "block_id": block_id, "label": plain(label), "optional": true,
            "hint": plain(hint), "element": element,
        })
    };
    vec![
        input(ids::EDIT_MAJOR, "Major outage", Impact::Major),
        input(ids::EDIT_PARTIAL, "Partial outage", Impact::Partial),
    ]
}

/// The modal Edit opens on a suggestion: the suggested change's fields, prefilled, for the
/// person to rewrite before it is applied (`private_metadata`: `context`). Only moves the
/// incident can make now are offered; `None` when the change cannot be made any more (a closed
/// incident, no status page to update, a status page already open), and then there is nothing
/// to edit.
pub(crate) fn suggestion_edit_modal(
    context: &SuggestionEditContext,
    incident: &IncidentState,
    change: &SuggestedChange,
) -> Option<Value> {
    let (title, inputs) = match change {
        SuggestedChange::Status { status, message } => {
            let next = next_statuses(incident.status);
            if next.is_empty() {
                return None;
            }
            let options: Vec<(&str, &str)> = next
                .iter()
                .map(|s| (status_label(*s), s.as_str()))
                .collect();
            let select = select_input(
                ids::EDIT_STATUS,
                "New status",
                &options,
                Some(status.as_str()),
                false,
            );
            (
                "Edit status change",
                vec![
                    select,
                    text_input(ids::EDIT_MESSAGE, "What changed?", message),
                ],
            )
        }
        SuggestedChange::Severity { severity } => {
            let options: Vec<(&str, &str)> = [Severity::High, Severity::Medium, Severity::Low]
                .iter()
                .map(|s| (severity_label(*s), s.as_str()))
                .collect();
            let select = select_input(
                ids::EDIT_SEVERITY,
                "Severity",
                &options,
                Some(severity.as_str()),
                false,
            );
            ("Edit severity change", vec![select])
        }
        SuggestedChange::StatusPageUpdate {
            message,
            status,
            services,
        } => {
            let current = incident.affection.as_ref()?.status;
            let forward: Vec<(&str, &str)> =
                [AffectionStatus::Mitigating, AffectionStatus::Resolved]
                    .iter()
                    .filter(|s| **s > current)
                    .map(|s| (affection_label(*s), s.as_str()))
                    .collect();
            let mut inputs = vec![text_input(
                ids::EDIT_MESSAGE,
                "Update for the status page",
                message,
            )];
            // A resolved status page takes updates, but has nowhere further to move.
            if !forward.is_empty() {
                inputs.push(select_input(
                    ids::EDIT_PAGE_STATUS,
                    "Move the status page to",
                    &forward,
                    status.map(AffectionStatus::as_str),
                    true,
                ));
            }
            if !incident.services.is_empty() {
                inputs.extend(impact_inputs(
                    &incident.services,
                    services.as_deref().unwrap_or_default(),
                    "Services left out keep their impact.",
                ));
            }
            ("Edit status-page update", inputs)
        }
        SuggestedChange::StatusPageIncident {
            title,
            services,
            message,
        } => {
            if incident.affection.is_some() || incident.services.is_empty() {
                return None;
            }
            let mut inputs = vec![plain_text_input(
                ids::EDIT_TITLE,
                "Title on the status page",
                title,
                false,
                MAX_TITLE_CHARS,
            )];
            inputs.extend(impact_inputs(
                &incident.services,
                services,
                "At least one service, under one impact.",
            ));
            inputs.push(text_input(ids::EDIT_MESSAGE, "First update", message));
            ("Edit public incident", inputs)
        }
    };
    let mut blocks = vec![section(&format!(
        "*{}*",
        escape(&clip(&incident.title, 150))
    ))];
    blocks.extend(inputs);
    Some(json!({
        "type": "modal",
        "callback_id": ids::SUGGESTION_EDIT_MODAL,
        "private_metadata": serde_json::to_string(context).expect("plain struct"),
        "title": plain(title),
        "submit": plain("Apply"),
        "close": plain("Cancel"),
        "blocks": blocks,
    }))
}

fn note(incident_id: &str, event_id: i64, part: &str, text: String) -> SlackPost {
    SlackPost {
        blocks: vec![section(&text)],
        text,
        posted_for: PostedFor::new(incident_id, event_id, part),
    }
}

fn by(actor_slack_id: Option<&str>) -> String {
    actor_slack_id.map_or_else(String::new, |id| format!(" by <@{id}>"))
}

pub(crate) fn severity_note(
    incident_id: &str,
    event_id: i64,
    severity: Severity,
    actor_slack_id: Option<&str>,
) -> SlackPost {
    let text = format!(
        "Severity changed to *{}*{}",
        severity_label(severity),
        by(actor_slack_id)
    );
    note(incident_id, event_id, part::SEVERITY_NOTE, text)
}

pub(crate) fn assignee_note(
    incident_id: &str,
    event_id: i64,
    assignee_slack_id: Option<&str>,
    actor_slack_id: Option<&str>,
) -> SlackPost {
    let text = match assignee_slack_id {
        Some(id) => format!("Assignee changed to <@{id}>{}", by(actor_slack_id)),
        None => format!("Assignee cleared{}", by(actor_slack_id)),
    };
    note(incident_id, event_id, part::ASSIGNEE_NOTE, text)
}

pub(crate) fn status_note(
    incident_id: &str,
    event_id: i64,
    status: Status,
    message: &str,
    actor_slack_id: Option<&str>,
) -> SlackPost {
    let text = format!(
        "Status: *{}*{}\n{}",
        status_label(status),
        by(actor_slack_id),
        quote(message)
    );
    note(incident_id, event_id, part::STATUS_NOTE, text)
}

/// A change of the public status page: its first update opens the public incident (its title
/// and services), later ones move it forward, set services' impact or add a message.
pub(crate) fn affection_note(
    incident_id: &str,
    event_id: i64,
    update: &AffectionUpdated,
) -> SlackPost {
    let status = update
        .status
        .map_or_else(|| "📣 Update".to_owned(), |s| affection_label(s).to_owned());
    let opened = update.title.as_deref().map_or_else(String::new, |title| {
        format!(" · opened *{}*", escape(&clip(title, 150)))
    });
    let services = match update.services.as_deref() {
        Some(services) if !services.is_empty() => format!(" · {}", escape(&impacts(services))),
        _ => String::new(),
    };
    let text = format!(
        "Status page: *{status}*{opened}{services}\n{}",
        quote(&update.message)
    );
    note(incident_id, event_id, part::AFFECTION_NOTE, text)
}

/// A high-severity incident, announced in the tenant's announcement channel: what it is, where
/// it is run, and how it stands (re-rendered as it changes). No controls: those are in the
/// incident channel. Its metadata names the event it was first posted for.
pub(crate) fn broadcast(card: IncidentCard, posted_event_id: i64) -> SlackPost {
    let incident = card.incident;
    let mut blocks = vec![
        section(&format!(
            "🔴 *High-severity incident:* {}",
            escape(&clip(&incident.title, 150))
        )),
        json!({ "type": "section", "fields": [
            mrkdwn(&format!("*Severity*\n{}", severity_label(incident.severity))),
            mrkdwn(&format!("*Status*\n{}", status_label(incident.status))),
            mrkdwn(&format!("*Assignee*\n{}", person(card.assignee_slack_id))),
        ]}),
    ];
    if let Some(channel) = card.channel_id {
        blocks.push(context(&format!("Follow it in <#{channel}>")));
    }
    SlackPost {
        text: format!(
            "High-severity incident: {} ({})",
            escape(&incident.title),
            incident.status.as_str()
        ),
        blocks,
        posted_for: PostedFor::new(&incident.id, posted_event_id, part::BROADCAST),
    }
}

/// Posted in the incident channel when it closes, before the channel is archived.
pub(crate) fn closing_summary(
    card: IncidentCard,
    final_message: &str,
    archiving_channel: bool,
) -> SlackPost {
    let incident = card.incident;
    let minutes = (incident.updated_at - incident.created_at).max(0) / 60_000;
    let duration = match minutes {
        m if m < 60 => format!("{m} min"),
        m => format!("{} h {} min", m / 60, m % 60),
    };
    let mut blocks = vec![
        json!({ "type": "header", "text": plain(&clip(&format!("{} {}", status_label(incident.status), incident.title), 150)) }),
        json!({ "type": "section", "fields": [
            mrkdwn(&format!("*Severity*\n{}", severity_label(incident.severity))),
            mrkdwn(&format!("*Assignee*\n{}", person(card.assignee_slack_id))),
            mrkdwn(&format!("*Duration*\n{duration}")),
        ]}),
        section(&quote(final_message)),
    ];
    if archiving_channel {
        blocks.push(context("This channel will now be archived."));
    }
    SlackPost {
        text: format!(
            "Incident {}: {}",
            incident.status.as_str(),
            escape(&incident.title)
        ),
        blocks,
        posted_for: PostedFor::new(&incident.id, card.event_id, part::CLOSING_SUMMARY),
    }
}

/// What the post-incident analysis found, as its Slack message shows it (plain text: every
/// field is escaped, the model's included).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AnalysisDigest {
    /// `("Time to mitigate", "12 min")`, …
    pub measures: Vec<(String, String)>,
    pub summary: Option<String>,
    pub root_cause: Option<String>,
    pub action_items: Vec<String>,
    /// Why there is no review (no model, budget spent, the model failed).
    pub note: Option<String>,
}

/// The post-incident analysis in the incident channel; `event_id` is the incident's last.
pub(crate) fn analysis(
    incident: &IncidentState,
    event_id: i64,
    digest: &AnalysisDigest,
) -> SlackPost {
    let mut blocks = vec![
        json!({ "type": "header", "text": plain(&clip(&format!("Analysis: {}", incident.title), 150)) }),
    ];
    if !digest.measures.is_empty() {
        let fields: Vec<Value> = digest
            .measures
            .iter()
            .take(10) // Block Kit's limit per section
            .map(|(label, value)| mrkdwn(&format!("*{}*\n{}", escape(label), escape(value))))
            .collect();
        blocks.push(json!({ "type": "section", "fields": fields }));
    }
    for (label, text) in [
        ("Summary", &digest.summary),
        ("Root cause", &digest.root_cause),
    ] {
        if let Some(text) = text {
            blocks.push(section(&clip(
                &format!("*{label}*\n{}", escape(text)),
                3000,
            )));
        }
    }
    if !digest.action_items.is_empty() {
        let items: Vec<String> = digest
            .action_items
            .iter()
            .map(|i| format!("• {}", escape(i)))
            .collect();
        blocks.push(section(&clip(
            &format!("*Action items*\n{}", items.join("\n")),
            3000,
        )));
    }
    if let Some(note) = &digest.note {
        blocks.push(context(&escape(note)));
    }
    blocks.push(context(&format!(
        "Full document: `incidentctl analysis {}`",
        escape(&incident.id)
    )));
    SlackPost {
        text: format!("Analysis: {}", escape(&incident.title)),
        blocks,
        posted_for: PostedFor::new(&incident.id, event_id, part::ANALYSIS),
    }
}

/// A message added from the dashboard, mirrored into the incident channel.
pub(crate) fn dashboard_message(
    incident_id: &str,
    event_id: i64,
    author: &str,
    message: &str,
) -> SlackPost {
    SlackPost {
        text: format!("{}: {}", escape(author), escape(message)),
        blocks: vec![
            context(&format!("💬 *{}* via the dashboard", escape(author))),
            section(&escape(message)),
        ],
        posted_for: PostedFor::new(incident_id, event_id, part::DASHBOARD_MESSAGE),
    }
}

/// What the incident agent proposes, as a message with Apply / Edit / Dismiss.
#[derive(Clone, Debug)]
pub(crate) struct SuggestionCard<'a> {
    pub suggestion: &'a SuggestionRef,
    /// The incident event the suggestion answers (for the message's metadata).
    pub event_id: i64,
    /// One line, shown as is (mrkdwn; the agent's text is escaped).
    pub summary: &'a str,
    /// Why, when the agent said.
    pub rationale: Option<&'a str>,
}

pub(crate) fn suggestion(card: &SuggestionCard) -> SlackPost {
    let value = serde_json::to_string(card.suggestion).expect("plain struct");
    let button = |label: &str, action_id: &str, style: Option<&str>| {
        let mut button = json!({ "type": "button", "text": plain(label), "action_id": action_id, "value": value });
        if let Some(style) = style {
            button["style"] = style.into();
        }
        button
    };
    let buttons = vec![
        button("Apply", ids::SUGGESTION_APPLY, Some("primary")),
        button("Edit", ids::SUGGESTION_EDIT, None),
        button("Dismiss", ids::SUGGESTION_DISMISS, None),
    ];
    let mut blocks = vec![section(&format!(
        "🤖 *Suggestion:* {}",
        escape(card.summary)
    ))];
    if let Some(rationale) = card.rationale {
        blocks.push(context(&escape(rationale)));
    }
    blocks.push(json!({
        "type": "actions",
        "block_id": clip(&format!("suggestion:{}", card.suggestion.suggestion_id), 255),
        "elements": buttons,
    }));
    SlackPost {
        text: format!("Suggestion: {}", escape(card.summary)),
        blocks,
        posted_for: PostedFor::new(
            &card.suggestion.incident_id,
            card.event_id,
            &format!("{}:{}", part::SUGGESTION, card.suggestion.suggestion_id),
        ),
    }
}

fn ephemeral(text: &str, blocks: Vec<Value>) -> Value {
    json!({ "response_type": "ephemeral", "text": text, "blocks": blocks })
}

/// The answer to `/incident status`: the channel's incident, or how to declare one.
pub(crate) fn status_answer(card: Option<IncidentCard>) -> Value {
    let Some(card) = card else {
        return ephemeral(
            "This channel is not an incident channel.",
            vec![section(
                "This channel is not an incident channel. Declare one with `/incident <title>`.",
            )],
        );
    };
    let incident = card.incident;
    let text = format!(
        "*{}*\n{} · {} · {}",
        escape(&incident.title),
        status_label(incident.status),
        severity_label(incident.severity),
        person(card.assignee_slack_id)
    );
    let fallback = format!("{}: {}", escape(&incident.title), incident.status.as_str());
    ephemeral(&fallback, vec![section(&text)])
}

/// The answer to `/incident help` (and to `/incident` alone).
pub(crate) fn help_answer() -> Value {
    let text = "*incidentd*\n\
        • `/incident <title>`: declare an incident\n\
        • `/incident status`: this channel's incident\n\
        • `/incident help`: this help\n\
        • Mention the bot with a description to declare an incident; mention it in an incident channel to ask it something.";
    ephemeral("incidentd help", vec![section(text)])
}

/// The answer to `/incident <title>`: what was declared, and where it will be run.
pub(crate) fn declared_answer(incident: &IncidentState) -> Value {
    let text = format!(
        "🚨 Declared *{}* ({}).\nIts channel is being created; you will be invited to it.",
        escape(&incident.title),
        severity_label(incident.severity)
    );
    ephemeral(
        &format!("Declared: {}", escape(&incident.title)),
        vec![section(&text)],
    )
}

/// A one-line ephemeral answer (a workspace that is not connected, a refusal, a failure).
pub(crate) fn notice_answer(text: &str) -> Value {
    let text = escape(text);
    ephemeral(&text, vec![section(&text)])
}

#[cfg(test)]
mod tests;
