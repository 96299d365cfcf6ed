//! The interactivity receiver on the native pipeline (real Incident objects, D1 with the
//! migrations, the Slack sender against `FakeSlack`): the announcement's controls change the
//! incident as the Slack user, the status select opens the modal whose submission changes the
//! status, and nothing is written for another tenant's incident or an unknown workspace.

use incidentd_adapters::slack::inbound::interaction_receiver::{
    handle_interaction, InteractionOutcome, InteractionReply,
};
use incidentd_adapters::slack::inbound::interactions::SuggestionChoice;
use incidentd_adapters::slack::inbound::tenant_access::SlackAccess;
use incidentd_adapters::slack::incident_keys as keys;
use incidentd_core::{
    ActorKind, IncidentHandle, IncidentView, Severity, Source, StartIncident, Status,
};
use incidentd_testkit::pipeline::Pipeline;
use incidentd_testkit::slack_workspace::{connect_as, connected};
use incidentd_testkit::{FakeSlack, Fault, FAKE_TEAM_ID};
use incidentd_wire::slack_ids::{self as ids, StatusChangeContext, SuggestionRef};
use pollster::block_on;
use serde_json::{json, Value};
use sluice::object::ObjectNamespace;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const NOW_MS: i64 = 1_795_878_245_000;

/// The body Slack posts: the JSON payload as the form field `payload`.
fn form(payload: &Value) -> Vec<u8> {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("payload", &payload.to_string())
        .finish()
        .into_bytes()
}

fn interact(pipeline: &Pipeline, payload: &Value) -> InteractionReply {
    let slack = SlackAccess::from_services(pipeline.services.as_ref());
    block_on(handle_interaction(
        pipeline.db.as_ref(),
        pipeline.incidents.as_ref(),
        &slack,
        &form(payload),
        NOW_MS,
    ))
    .expect("handled")
}

/// `block_actions` from the announcement of `incident_id` in the fake workspace; each click
/// has its own trigger, as in Slack.
fn clicked(incident_id: &str, action: Value) -> Value {
    static CLICKS: AtomicUsize = AtomicUsize::new(0);
    let trigger = format!("trigger-{}", CLICKS.fetch_add(1, Ordering::Relaxed));
    let mut action = action;
    action["block_id"] = ids::incident_block_id(incident_id, 1).into();
    json!({
        "type": "block_actions", "user": { "id": "U0BOB" }, "team": { "id": FAKE_TEAM_ID },
        "enterprise": null, "api_app_id": "A0APP", "trigger_id": trigger,
        "channel": { "id": "C0INC" }, "message": { "ts": "1.2" }, "actions": [action],
    })
}

fn select(action_id: &str, value: &str) -> Value {
    json!({ "type": "static_select", "action_id": action_id, "selected_option": { "value": value } })
}

/// A status modal submitted; each call is another modal (its own view id).
fn submitted(incident_id: &str, status: Status, message: &str) -> Value {
    static MODALS: AtomicUsize = AtomicUsize::new(0);
    let view_id = format!("V0MODAL{}", MODALS.fetch_add(1, Ordering::Relaxed));
    submitted_in(&view_id, incident_id, status, message)
}

/// The modal `view_id` submitted (again, after Slack showed its errors).
fn submitted_in(view_id: &str, incident_id: &str, status: Status, message: &str) -> Value {
    let context = StatusChangeContext {
        incident_id: incident_id.into(),
        status,
    };
    json!({
        "type": "view_submission", "user": { "id": "U0BOB" }, "team": { "id": FAKE_TEAM_ID },
        "api_app_id": "A0APP",
        "view": {
            "id": view_id, "callback_id": ids::STATUS_MODAL,
            "private_metadata": serde_json::to_string(&context).unwrap(),
            "state": { "values": { ids::STATUS_MESSAGE_BLOCK: {
                ids::STATUS_MESSAGE_INPUT: { "type": "plain_text_input", "value": message } } } },
        },
    })
}

fn view(pipeline: &Pipeline, id: &str) -> IncidentView {
    block_on(pipeline.handle(id).get()).unwrap()
}

/// A connected pipeline with one announced incident of its tenant.
/// Events of a declared, announced incident: `INCIDENT_CREATED`, then triage's note (no model
/// is configured here, so triage leaves the incident as declared and says why).
const ANNOUNCED: i64 = 2;
const FIRST_CHANGE: i64 = ANNOUNCED + 1;
const SECOND_CHANGE: i64 = ANNOUNCED + 2;

fn announced(slack: &FakeSlack) -> (Pipeline, String) {
    let pipeline = connected(slack);
    let id = pipeline.declare("Checkout is failing");
    pipeline.drain();
    assert!(view(&pipeline, &id)
        .incident
        .metadata
        .contains_key(keys::ANNOUNCEMENT_TS));
    (pipeline, id)
}

#[test]
fn the_severity_and_assignee_selects_change_the_incident_as_the_slack_user_and_update_the_announcement(
) {
    let slack = FakeSlack::start();
    let (pipeline, id) = announced(&slack);
    let reply = interact(
        &pipeline,
        &clicked(&id, select(ids::SEVERITY_SELECT, "high")),
    );
    assert_eq!(
        reply,
        InteractionReply {
            outcomes: vec![InteractionOutcome::Applied {
                incident_id: id.clone(),
                event_id: Some(FIRST_CHANGE)
            }],
            body: None
        }
    );
    let assignee = json!({ "type": "users_select", "action_id": ids::ASSIGNEE_SELECT, "selected_user": "U0CAROL" });
    let reply = interact(&pipeline, &clicked(&id, assignee));
    assert!(
        matches!(
            reply.outcomes[..],
            [InteractionOutcome::Applied {
                event_id: Some(SECOND_CHANGE),
                ..
            }]
        ),
        "{reply:?}"
    );
    // The same selection again changes nothing.
    let again = interact(
        &pipeline,
        &clicked(&id, select(ids::SEVERITY_SELECT, "high")),
    );
    assert_eq!(
        again.outcomes,
        [InteractionOutcome::Applied {
            incident_id: id.clone(),
            event_id: None
        }]
    );

    let state = view(&pipeline, &id);
    assert_eq!(state.incident.severity, Severity::High);
    assert_eq!(state.incident.assignee.as_deref(), Some("U0CAROL"));
    let changes: Vec<_> = state.timeline.iter().skip(ANNOUNCED as usize).collect();
    assert_eq!(changes.len(), 2);
    for change in &changes {
        let actor = change.actor.as_ref().unwrap();
        assert_eq!(
            (actor.kind, actor.id.as_deref()),
            (ActorKind::Slack, Some("U0BOB"))
        );
    }

    // The sender re-renders the announcement from each event.
    pipeline.alarm(&id);
    pipeline.drain();
    let updates = slack.calls_to("chat.update");
    assert_eq!(updates.len(), 2, "{updates:?}");
    let latest = updates.last().unwrap().body.to_string();
    assert!(
        latest.contains("High") && latest.contains("U0CAROL"),
        "{latest}"
    );
}

#[test]
fn a_control_replayed_after_a_later_change_does_not_set_the_old_value_again() {
    let slack = FakeSlack::start();
    let (pipeline, id) = announced(&slack);
    let high = clicked(&id, select(ids::SEVERITY_SELECT, "high"));
    interact(&pipeline, &high);
    interact(
        &pipeline,
        &clicked(&id, select(ids::SEVERITY_SELECT, "low")),
    );
    // Someone captured the first request and sends it again while its signature holds.
    let replayed = interact(&pipeline, &high);
    assert_eq!(
        replayed.outcomes,
        [InteractionOutcome::Applied {
            incident_id: id.clone(),
            event_id: Some(FIRST_CHANGE)
        }],
        "answered with the first outcome"
    );
    let after = view(&pipeline, &id);
    assert_eq!(after.incident.severity, Severity::Low);
    assert_eq!(
        after.incident.last_event_id, SECOND_CHANGE,
        "nothing written"
    );
    // A modal refused once can be corrected and submitted again (same view id).
    let status = |message: &str| {
        let modal = submitted_in("V0ONE", &id, Status::Mitigating, message);
        interact(&pipeline, &modal)
    };
    assert!(matches!(
        status("").outcomes[..],
        [InteractionOutcome::InvalidSubmission]
    ));
    assert!(matches!(
        status("digging").outcomes[..],
        [InteractionOutcome::Applied { .. }]
    ));
    assert!(matches!(
        status("digging").outcomes[..],
        [InteractionOutcome::Applied { .. }]
    ));
    let after = view(&pipeline, &id);
    assert_eq!(after.incident.status, Status::Mitigating);
    assert_eq!(
        after.incident.last_event_id,
        SECOND_CHANGE + 1,
        "one status change"
    );
}

#[test]
fn the_status_select_opens_the_modal_whose_submission_changes_the_status() {
    let slack = FakeSlack::start();
    let (pipeline, id) = announced(&slack);
    let click = clicked(&id, select(ids::STATUS_SELECT, "mitigating"));
    let reply = interact(&pipeline, &click);
    let [InteractionOutcome::ModalOpened {
        incident_id,
        view_id,
    }] = &reply.outcomes[..]
    else {
        panic!("{reply:?}")
    };
    assert_eq!((incident_id, reply.body.as_ref()), (&id, None));
    let opened = slack.calls_to("views.open");
    assert_eq!(opened.len(), 1);
    assert_eq!(opened[0].arg("trigger_id"), click["trigger_id"]);
    let modal = &opened[0].body["view"];
    assert_eq!(modal["callback_id"], ids::STATUS_MODAL);
    let context: StatusChangeContext =
        serde_json::from_str(modal["private_metadata"].as_str().unwrap()).unwrap();
    assert_eq!(
        context,
        StatusChangeContext {
            incident_id: id.clone(),
            status: Status::Mitigating
        }
    );
    assert_eq!(&slack.opened_views()[0]["id"], view_id.as_str());
    assert_eq!(
        view(&pipeline, &id).timeline.len(),
        ANNOUNCED as usize,
        "nothing changes yet"
    );

    // Submitted without a message: shown in the modal, nothing changes.
    let reply = interact(&pipeline, &submitted(&id, Status::Mitigating, "   "));
    assert_eq!(reply.outcomes, [InteractionOutcome::InvalidSubmission]);
    assert_eq!(
        reply.body,
        Some(
            json!({ "response_action": "errors", "errors": { ids::STATUS_MESSAGE_BLOCK: "Say what changed." } })
        )
    );
    assert_eq!(view(&pipeline, &id).incident.status, Status::Open);

    let reply = interact(
        &pipeline,
        &submitted(&id, Status::Mitigating, "rolled back deploy 812"),
    );
    assert_eq!(
        reply,
        InteractionReply {
            outcomes: vec![InteractionOutcome::Applied {
                incident_id: id.clone(),
                event_id: Some(FIRST_CHANGE)
            }],
            body: None
        },
        "an empty 200 closes the modal"
    );
    let state = view(&pipeline, &id);
    assert_eq!(state.incident.status, Status::Mitigating);
    assert_eq!(
        state.timeline[ANNOUNCED as usize].data["message"],
        "rolled back deploy 812"
    );

    // A submission the incident refuses (an old modal asking for a move back) stays in the
    // modal with the reason, and changes nothing.
    let reply = interact(&pipeline, &submitted(&id, Status::Open, "reopen"));
    let body = reply.body.expect("errors in the modal");
    assert_eq!(body["response_action"], "errors");
    assert!(
        body["errors"][ids::STATUS_MESSAGE_BLOCK]
            .as_str()
            .unwrap()
            .starts_with("Cannot move from mitigating to open"),
        "{body}"
    );
    assert!(matches!(
        reply.outcomes[..],
        [InteractionOutcome::Refused { .. }]
    ));
    assert_eq!(view(&pipeline, &id).timeline.len(), ANNOUNCED as usize + 1);

    // The sender posts the status note in the incident channel.
    pipeline.alarm(&id);
    pipeline.drain();
    let channel = view(&pipeline, &id).incident.metadata[keys::CHANNEL].clone();
    let notes: Vec<_> = slack
        .channel(&channel)
        .unwrap()
        .messages
        .into_iter()
        .filter(|m| m.text.contains("rolled back deploy 812"))
        .collect();
    assert_eq!(notes.len(), 1);
}

#[test]
fn another_tenants_incident_is_refused_and_nothing_is_written_or_opened() {
    let slack = FakeSlack::start();
    let (pipeline, _) = announced(&slack);
    let foreign = pipeline.incidents.id_from_name("acme-incident").unwrap();
    let acme = IncidentHandle::new(pipeline.incidents.get(&foreign).unwrap(), "acme");
    let input = StartIncident {
        id: foreign.clone(),
        tenant_id: "acme".into(),
        prompt: "acme's own outage".into(),
        title: None,
        severity: None,
        created_by: "u-acme".into(),
        source: Source::Dashboard,
        entry_points: Vec::new(),
        services: Vec::new(),
    };
    block_on(acme.start(input)).unwrap();
    let calls_before = slack.calls().len();

    let payloads = [
        clicked(&foreign, select(ids::SEVERITY_SELECT, "low")),
        clicked(&foreign, select(ids::STATUS_SELECT, "resolved")),
        submitted(
            &foreign,
            Status::Resolved,
            "closing someone else's incident",
        ),
        clicked("not-an-incident-id", select(ids::SEVERITY_SELECT, "low")),
    ];
    for payload in &payloads {
        let reply = interact(&pipeline, payload);
        let [InteractionOutcome::Refused { reason, .. }] = &reply.outcomes[..] else {
            panic!("{reply:?}")
        };
        assert_eq!(reason, "incident not found");
    }
    let theirs = block_on(acme.get()).unwrap();
    assert_eq!(theirs.incident.severity, Severity::Medium);
    assert_eq!(theirs.incident.status, Status::Open);
    assert_eq!(theirs.timeline.len(), 1, "nothing written");
    assert_eq!(slack.calls().len(), calls_before, "no modal opened");
}

#[test]
fn unknown_workspaces_suggestions_and_foreign_controls_write_nothing() {
    let slack = FakeSlack::start();
    let (pipeline, id) = announced(&slack);
    let mut stranger = clicked(&id, select(ids::SEVERITY_SELECT, "low"));
    stranger["team"] = json!({ "id": "T0STRANGER" });
    assert_eq!(
        interact(&pipeline, &stranger).outcomes,
        [InteractionOutcome::UnknownWorkspace]
    );
    let suggestion = SuggestionRef {
        incident_id: id.clone(),
        suggestion_id: "s-1".into(),
    };
    let button = json!({ "type": "button", "action_id": ids::SUGGESTION_APPLY,
        "value": serde_json::to_string(&suggestion).unwrap() });
    let reply = interact(&pipeline, &clicked(&id, button));
    assert!(
        matches!(&reply.outcomes[..], [InteractionOutcome::SuggestionRefused { incident_id, .. }] if *incident_id == id),
        "an unknown suggestion is refused: {reply:?}"
    );
    let other_app = json!({ "type": "button", "action_id": "someone_elses", "value": "x" });
    assert_eq!(
        interact(&pipeline, &clicked(&id, other_app)).outcomes,
        [InteractionOutcome::Ignored]
    );
    assert_eq!(view(&pipeline, &id).timeline.len(), ANNOUNCED as usize);
}

#[test]
fn an_org_wide_install_is_found_by_its_enterprise_id() {
    let slack = FakeSlack::start();
    let (pipeline, id) = announced(&slack);
    connect_as(&pipeline, "E0GRID");
    let mut org_wide = clicked(&id, select(ids::SEVERITY_SELECT, "low"));
    org_wide["team"] = Value::Null;
    org_wide["enterprise"] = json!({ "id": "E0GRID" });
    assert!(matches!(
        interact(&pipeline, &org_wide).outcomes[..],
        [InteractionOutcome::Applied {
            event_id: Some(FIRST_CHANGE),
            ..
        }]
    ));
    assert_eq!(view(&pipeline, &id).incident.severity, Severity::Low);
}

#[test]
fn a_modal_slack_does_not_open_in_time_is_reported_and_changes_nothing() {
    let slack = FakeSlack::start();
    let (pipeline, id) = announced(&slack);
    let choose = clicked(&id, select(ids::STATUS_SELECT, "resolved"));

    slack.fail_next("views.open", 1, Fault::Error("expired_trigger_id".into()));
    let reply = interact(&pipeline, &choose);
    assert_eq!(
        reply.outcomes,
        [InteractionOutcome::ModalNotOpened {
            incident_id: id.clone(),
            reason: "views.open: expired_trigger_id".into()
        }]
    );

    // Slack's trigger lives 3 s: the call gives up after about 2 s.
    slack.fail_next("views.open", 1, Fault::Slow(Duration::from_secs(4)));
    let started = Instant::now();
    let reply = interact(&pipeline, &choose);
    let waited = started.elapsed();
    assert!(
        matches!(
            reply.outcomes[..],
            [InteractionOutcome::ModalNotOpened { .. }]
        ),
        "{reply:?}"
    );
    assert!(
        waited >= Duration::from_millis(1_900) && waited < Duration::from_millis(2_900),
        "{waited:?}"
    );
    assert_eq!(view(&pipeline, &id).timeline.len(), ANNOUNCED as usize);
}

#[test]
fn a_suggestions_apply_button_changes_the_incident_and_re_renders_its_message() {
    let slack = FakeSlack::start();
    let (pipeline, id) = announced(&slack);
    let suggestion = incidentd_core::SuggestionAdded {
        suggestion_id: "s-7".into(),
        dedupe_key: "severity:high".into(),
        change: incidentd_core::SuggestedChange::Severity {
            severity: Severity::High,
        },
        rationale: None,
        from_event_id: 1,
        to_event_id: 1,
    };
    block_on(pipeline.handle(&id).apply(
        incidentd_core::Actor::agent(),
        incidentd_core::Command::AddSuggestion { suggestion },
        incidentd_core::Idempotency::None,
    ))
    .expect("suggested");
    let metadata = view(&pipeline, &id).incident.metadata;
    let (channel, ts) = (&metadata[keys::CHANNEL], &metadata[keys::ANNOUNCEMENT_TS]);
    let value = SuggestionRef {
        incident_id: id.clone(),
        suggestion_id: "s-7".into(),
    };
    let mut click = clicked(
        &id,
        json!({ "type": "button", "action_id": ids::SUGGESTION_APPLY,
            "value": serde_json::to_string(&value).unwrap() }),
    );
    click["channel"] = json!({ "id": channel });
    click["message"] = json!({ "ts": ts });
    let updates = slack.calls_to("chat.update").len();

    let reply = interact(&pipeline, &click);
    let [InteractionOutcome::SuggestionResolved {
        choice: SuggestionChoice::Apply,
        message_updated: true,
        ..
    }] = &reply.outcomes[..]
    else {
        panic!("{reply:?}")
    };
    assert_eq!(view(&pipeline, &id).incident.severity, Severity::High);
    let calls = slack.calls_to("chat.update");
    assert_eq!(calls.len(), updates + 1, "the suggestion's message, once");
    assert_eq!(calls[updates].arg("ts"), ts.as_str());
    // A second click on the same button changes nothing.
    let again = interact(&pipeline, &click);
    assert!(
        matches!(
            &again.outcomes[..],
            [InteractionOutcome::SuggestionRefused { .. }]
        ),
        "{again:?}"
    );
}

#[test]
fn a_suggestions_edit_button_opens_the_prefilled_modal_whose_submission_applies_the_edit() {
    let slack = FakeSlack::start();
    let (pipeline, id) = announced(&slack);
    let suggestion = incidentd_core::SuggestionAdded {
        suggestion_id: "s-8".into(),
        dedupe_key: "status:open->mitigating".into(),
        change: incidentd_core::SuggestedChange::Status {
            status: Status::Mitigating,
            message: "rolled back".into(),
        },
        rationale: None,
        from_event_id: 1,
        to_event_id: 1,
    };
    block_on(pipeline.handle(&id).apply(
        incidentd_core::Actor::agent(),
        incidentd_core::Command::AddSuggestion { suggestion },
        incidentd_core::Idempotency::None,
    ))
    .expect("suggested");
    pipeline.drain();
    // The suggestion's own message, as the sender posted it.
    let metadata = view(&pipeline, &id).incident.metadata;
    let channel = slack.channel(&metadata[keys::CHANNEL]).unwrap();
    let posted = channel
        .messages
        .iter()
        .find(|m| m.text.starts_with("Suggestion:"))
        .expect("the suggestion is posted");
    let value = SuggestionRef {
        incident_id: id.clone(),
        suggestion_id: "s-8".into(),
    };
    let mut click = clicked(
        &id,
        json!({ "type": "button", "action_id": ids::SUGGESTION_EDIT,
            "value": serde_json::to_string(&value).unwrap() }),
    );
    click["channel"] = json!({ "id": channel.id });
    click["message"] = json!({ "ts": posted.ts });

    let reply = interact(&pipeline, &click);
    let [InteractionOutcome::ModalOpened { view_id, .. }] = &reply.outcomes[..] else {
        panic!("{reply:?}")
    };
    let opened = slack.opened_views().pop().expect("views.open");
    assert_eq!(opened["callback_id"], ids::SUGGESTION_EDIT_MODAL);
    assert_eq!(view(&pipeline, &id).incident.status, Status::Open);

    // The person rewrites the message and submits.
    let submission = json!({
        "type": "view_submission", "user": { "id": "U0BOB" }, "team": { "id": FAKE_TEAM_ID },
        "api_app_id": "A0APP",
        "view": { "id": view_id, "callback_id": opened["callback_id"],
            "private_metadata": opened["private_metadata"],
            "state": { "values": {
                ids::EDIT_STATUS.0: { ids::EDIT_STATUS.1: { "type": "static_select",
                    "selected_option": { "value": "mitigating" } } },
                ids::EDIT_MESSAGE.0: { ids::EDIT_MESSAGE.1: { "type": "plain_text_input",
                    "value": "rolled back the 10:02 deploy" } } } } },
    });
    let updates = slack.calls_to("chat.update").len();
    let reply = interact(&pipeline, &submission);
    let [InteractionOutcome::SuggestionResolved {
        choice: SuggestionChoice::Edit,
        message_updated: true,
        ..
    }] = &reply.outcomes[..]
    else {
        panic!("{reply:?}")
    };
    assert_eq!(reply.body, None, "an empty 200 closes the modal");
    let now = view(&pipeline, &id);
    assert_eq!(now.incident.status, Status::Mitigating);
    let change = now
        .timeline
        .iter()
        .find(|e| e.event_type == "STATUS_UPDATE")
        .unwrap();
    assert_eq!(change.data["message"], "rolled back the 10:02 deploy");
    assert_eq!(
        change.actor.as_ref().map(|a| a.kind),
        Some(ActorKind::Slack)
    );
    let resolved = now.timeline.last().unwrap();
    assert_eq!(
        (resolved.event_type.as_str(), &resolved.data["outcome"]),
        ("SUGGESTION_RESOLVED", &json!("applied"))
    );
    let rendered = &slack.calls_to("chat.update")[updates];
    assert_eq!(
        rendered.arg("ts"),
        posted.ts,
        "the suggestion's message, without buttons"
    );
    assert!(rendered.body["blocks"]
        .to_string()
        .contains("Applied by <@U0BOB>"));
}
