//! The agent's suggestions in Slack, on the native pipeline: the Slack sender posts each
//! `SUGGESTION_ADDED` once with its buttons, and the buttons' handling (apply as the person,
//! dismiss, edit any kind in a prefilled modal and apply the edited change, refusals) through
//! the typed handle.

use incidentd_adapters::slack::inbound::interactions::{
    EditedFields, Interaction, SubmittedView, SuggestionChoice,
};
use incidentd_adapters::slack::inbound::suggestion_actions::{
    handle_suggestion, submit_edit, EditAnswer, SuggestionAnswer,
};
use incidentd_adapters::slack::incident_keys as keys;
use incidentd_adapters::slack::outbound::blocks::part;
use incidentd_adapters::slack::outbound::metadata::PostedFor;
use incidentd_core::{
    Actor, ActorKind, AffectedService, AffectionStatus, Command, Idempotency, Impact, Service,
    Severity, Status, SuggestedChange, SuggestionAdded, SuggestionOutcome, TimelineEntry,
};
use incidentd_testkit::pipeline::{Pipeline, TENANT};
use incidentd_testkit::slack_workspace::connected;
use incidentd_testkit::{submitted_view_state, FakeSlack, Fault, ViewInput};
use incidentd_wire::slack_ids::{self as ids, SuggestionEditContext, SuggestionRef};
use pollster::block_on;
use serde_json::{json, Value};

fn suggest(pipeline: &Pipeline, id: &str, suggestion_id: &str, change: SuggestedChange) {
    let suggestion = SuggestionAdded {
        suggestion_id: suggestion_id.into(),
        dedupe_key: format!("key-{suggestion_id}"),
        change,
        rationale: Some("errors fell <fast>".into()),
        from_event_id: 1,
        to_event_id: 1,
    };
    block_on(pipeline.handle(id).apply(
        Actor::agent(),
        Command::AddSuggestion { suggestion },
        Idempotency::None,
    ))
    .expect("suggested");
}

fn mitigate() -> SuggestedChange {
    SuggestedChange::Status {
        status: Status::Mitigating,
        message: "rolled back".into(),
    }
}

fn click(
    pipeline: &Pipeline,
    tenant: &str,
    incident_id: &str,
    suggestion_id: &str,
    choice: SuggestionChoice,
) -> SuggestionAnswer {
    let suggestion = SuggestionRef {
        incident_id: incident_id.into(),
        suggestion_id: suggestion_id.into(),
    };
    block_on(handle_suggestion(
        pipeline.incidents.as_ref(),
        tenant,
        choice,
        &suggestion,
        "trigger-1",
        Some(("C0SUGGEST".into(), "1.5".into())),
        "U0BOB",
    ))
    .expect("answered")
}

fn refusal(answer: SuggestionAnswer) -> String {
    match answer {
        SuggestionAnswer::Refused { text } => text,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn each_suggestion_is_posted_once_in_the_incident_channel_with_its_buttons() {
    let slack = FakeSlack::start();
    let pipeline = connected(&slack);
    let id = pipeline.declare("Checkout is failing");
    pipeline.drain();
    let channel = block_on(pipeline.handle(&id).get())
        .unwrap()
        .incident
        .metadata[keys::CHANNEL]
        .clone();
    // The post's answer is lost once: the retry finds the message instead of posting again.
    slack.fail_next("chat.postMessage", 1, Fault::ServerError);
    suggest(&pipeline, &id, "t1-1", mitigate());
    suggest(
        &pipeline,
        &id,
        "t1-2",
        SuggestedChange::Severity {
            severity: Severity::Low,
        },
    );
    pipeline.drain();

    let messages = slack.channel(&channel).unwrap().messages;
    let posted: Vec<(&Value, PostedFor)> = messages
        .iter()
        .filter_map(|m| {
            let blocks = m.blocks.as_ref()?;
            PostedFor::of_message(&json!({ "metadata": m.metadata })).map(|p| (blocks, p))
        })
        .filter(|(_, p)| p.part.starts_with(part::SUGGESTION))
        .collect();
    let parts: Vec<&str> = posted.iter().map(|(_, p)| p.part.as_str()).collect();
    assert_eq!(parts, ["suggestion:t1-1", "suggestion:t1-2"]);
    let buttons = |blocks: &Value| -> Vec<(String, Value)> {
        blocks
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["type"] == "actions")
            .flat_map(|b| b["elements"].as_array().unwrap().clone())
            .map(|e| {
                let value: Value = serde_json::from_str(e["value"].as_str().unwrap()).unwrap();
                (e["action_id"].as_str().unwrap().to_owned(), value)
            })
            .collect()
    };
    let status_buttons = buttons(posted[0].0);
    let names: Vec<&str> = status_buttons.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        names,
        [
            ids::SUGGESTION_APPLY,
            ids::SUGGESTION_EDIT,
            ids::SUGGESTION_DISMISS
        ]
    );
    assert_eq!(
        status_buttons[0].1,
        json!({ "incident_id": id, "suggestion_id": "t1-1" })
    );
    let text = posted[0].0.to_string();
    assert!(
        text.contains("Set the status to mitigating: rolled back"),
        "{text}"
    );
    assert!(
        text.contains("errors fell &lt;fast&gt;"),
        "the agent's text is escaped"
    );
    let severity_buttons = buttons(posted[1].0);
    assert_eq!(
        severity_buttons.len(),
        3,
        "every kind can be edited, a severity change too"
    );
}

#[test]
fn apply_changes_the_incident_as_the_person_and_records_the_suggestion_once() {
    let pipeline = Pipeline::new();
    let id = pipeline.declare("Checkout is failing");
    suggest(&pipeline, &id, "t1-1", mitigate());
    let SuggestionAnswer::Resolved {
        outcome, message, ..
    } = click(&pipeline, TENANT, &id, "t1-1", SuggestionChoice::Apply)
    else {
        panic!("applied");
    };
    assert_eq!(outcome, SuggestionOutcome::Applied);
    assert_eq!(message["replace_original"], true);
    assert!(message.to_string().contains("Applied by <@U0BOB>"));

    let view = block_on(pipeline.handle(&id).get()).unwrap();
    assert_eq!(view.incident.status, Status::Mitigating);
    let change = view
        .timeline
        .iter()
        .find(|e| e.event_type == "STATUS_UPDATE")
        .unwrap();
    assert_eq!(change.actor, Some(Actor::slack("U0BOB")));
    let record = view.timeline.last().unwrap();
    assert_eq!(record.event_type, "SUGGESTION_RESOLVED");
    assert_eq!(record.data["suggestion_id"], "t1-1");
    assert_eq!(record.data["change_event_id"], change.event_id);
    assert_eq!(
        record.actor.as_ref().map(|a| a.kind),
        Some(ActorKind::Slack)
    );

    let again = refusal(click(
        &pipeline,
        TENANT,
        &id,
        "t1-1",
        SuggestionChoice::Apply,
    ));
    assert_eq!(again, "This suggestion was applied already.");
    let after = block_on(pipeline.handle(&id).get()).unwrap();
    assert_eq!(
        after.timeline.len(),
        view.timeline.len(),
        "nothing more written"
    );
}

#[test]
fn dismiss_records_it_and_changes_nothing_else() {
    let pipeline = Pipeline::new();
    let id = pipeline.declare("Checkout is failing");
    suggest(&pipeline, &id, "t1-1", mitigate());
    let answer = click(&pipeline, TENANT, &id, "t1-1", SuggestionChoice::Dismiss);
    assert!(matches!(
        answer,
        SuggestionAnswer::Resolved {
            outcome: SuggestionOutcome::Dismissed,
            ..
        }
    ));
    let view = block_on(pipeline.handle(&id).get()).unwrap();
    assert_eq!(view.incident.status, Status::Open);
    assert_eq!(view.timeline.last().unwrap().data["outcome"], "dismissed");
    let late = refusal(click(
        &pipeline,
        TENANT,
        &id,
        "t1-1",
        SuggestionChoice::Apply,
    ));
    assert!(late.contains("dismissed already"));
}

fn affected(id: &str, impact: Impact) -> AffectedService {
    AffectedService {
        id: id.into(),
        impact,
    }
}

/// An incident of `title` whose tenant has the services `checkout` and `api`.
fn declared_with_services(pipeline: &Pipeline, title: &str) -> String {
    let service = |id: &str, name: &str| Service {
        id: id.into(),
        name: name.into(),
    };
    pipeline.declare_with_services(
        title,
        vec![
            service("checkout", "Checkout"),
            service("api", "Public API"),
        ],
    )
}

/// A pipeline with two incidents: `id`, on the status page, with one suggestion of each kind
/// that needs it (`st` status, `sv` severity, `sp` status-page update), and `opening`, not on
/// the status page yet, with `so` (open the status-page incident).
struct EveryKind {
    pipeline: Pipeline,
    id: String,
    opening: String,
}

fn with_every_kind() -> EveryKind {
    let pipeline = Pipeline::new();
    let id = declared_with_services(&pipeline, "Checkout is failing");
    pipeline.apply(
        &id,
        Command::CreateAffection {
            title: "Checkout degraded".into(),
            services: vec![affected("checkout", Impact::Major)],
            message: "Looking into it".into(),
            created_by: "alice".into(),
        },
    );
    suggest(&pipeline, &id, "st", mitigate());
    suggest(
        &pipeline,
        &id,
        "sv",
        SuggestedChange::Severity {
            severity: Severity::Low,
        },
    );
    suggest(
        &pipeline,
        &id,
        "sp",
        SuggestedChange::StatusPageUpdate {
            message: "A fix is rolling out".into(),
            status: Some(AffectionStatus::Mitigating),
            services: Some(vec![affected("api", Impact::Partial)]),
        },
    );
    let opening = declared_with_services(&pipeline, "Payments time out");
    suggest(
        &pipeline,
        &opening,
        "so",
        SuggestedChange::StatusPageIncident {
            title: "Payments delayed".into(),
            services: vec![affected("checkout", Impact::Partial)],
            message: "We are investigating delayed payments.".into(),
        },
    );
    EveryKind {
        pipeline,
        id,
        opening,
    }
}

/// The edit modal Edit opens on `suggestion_id`.
fn edit_modal(pipeline: &Pipeline, id: &str, suggestion_id: &str) -> Value {
    match click(pipeline, TENANT, id, suggestion_id, SuggestionChoice::Edit) {
        SuggestionAnswer::OpenModal { trigger_id, view } => {
            assert_eq!(trigger_id, "trigger-1");
            view
        }
        other => panic!("a modal, got {other:?}"),
    }
}

/// The inputs of a modal as Slack shows them before anyone touches them: `block id → value`
/// (a select's chosen value, a multi-select's chosen values, a text input's text).
fn inputs(view: &Value) -> Vec<(String, Value)> {
    let state = submitted_view_state(view, &[]);
    view["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["block_id"].as_str())
        .filter_map(|block_id| {
            let input = state[block_id].as_object()?.values().next()?.clone();
            let shown = match input["type"].as_str() {
                Some("static_select") => input["selected_option"]["value"].clone(),
                Some("multi_static_select") => input["selected_options"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| o["value"].clone())
                    .collect(),
                _ => input["value"].clone(),
            };
            Some((block_id.to_owned(), shown))
        })
        .collect()
}

/// `view` submitted as Slack sends it, with `state` (`view.state.values`), read back with the
/// interaction parser.
fn submitted_with(view: &Value, view_id: &str, state: Value) -> SubmittedView {
    let payload = json!({
        "type": "view_submission", "user": { "id": "U0BOB" }, "team": { "id": "T0" },
        "api_app_id": "A0APP",
        "view": { "id": view_id, "callback_id": view["callback_id"],
                  "private_metadata": view["private_metadata"], "state": { "values": state } },
    });
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("payload", &payload.to_string())
        .finish();
    match Interaction::parse_form(body.as_bytes()).unwrap() {
        Interaction::ViewSubmission(view) => view.submitted(),
        other => panic!("{other:?}"),
    }
}

/// `view` submitted by a person who made `changes` to it.
fn submitted(view: &Value, view_id: &str, changes: &[(&str, ViewInput)]) -> SubmittedView {
    submitted_with(view, view_id, submitted_view_state(view, changes))
}

fn submit(pipeline: &Pipeline, submitted: SubmittedView, view_id: &str) -> EditAnswer {
    let SubmittedView::SuggestionEdit {
        context,
        fields,
        user,
    } = submitted
    else {
        panic!("a suggestion edit: {submitted:?}");
    };
    block_on(submit_edit(
        pipeline.incidents.as_ref(),
        TENANT,
        &context,
        &fields,
        view_id,
        &user,
    ))
    .expect("answered")
}

/// The change applied for `suggestion_id` on `id`, checked to be the person's.
fn resolved_as(pipeline: &Pipeline, id: &str, suggestion_id: &str) -> TimelineEntry {
    let view = block_on(pipeline.handle(id).get()).unwrap();
    let record = view
        .timeline
        .iter()
        .find(|e| e.event_type == "SUGGESTION_RESOLVED" && e.data["suggestion_id"] == suggestion_id)
        .unwrap_or_else(|| panic!("{suggestion_id} resolved"))
        .clone();
    let change = view
        .timeline
        .iter()
        .find(|e| Some(e.event_id) == record.data["change_event_id"].as_i64())
        .expect("its change")
        .clone();
    assert_eq!(record.data["outcome"], "applied");
    assert_eq!(change.actor, Some(Actor::slack("U0BOB")));
    change
}

fn errors(answer: EditAnswer) -> Vec<(String, String)> {
    match answer {
        EditAnswer::Invalid { errors } => errors,
        other => panic!("shown in the modal, got {other:?}"),
    }
}

fn shown(pairs: &[(&str, Value)]) -> Vec<(String, Value)> {
    pairs
        .iter()
        .map(|(b, v)| ((*b).to_owned(), v.clone()))
        .collect()
}

/// The values offered by the select of `block`.
fn options(view: &Value, block: &str) -> Vec<String> {
    view["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["block_id"] == block)
        .unwrap()["element"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["value"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn edit_opens_a_modal_prefilled_with_the_suggestion_for_every_kind() {
    let EveryKind {
        pipeline,
        id,
        opening,
    } = with_every_kind();
    let status = edit_modal(&pipeline, &id, "st");
    assert_eq!(status["callback_id"], ids::SUGGESTION_EDIT_MODAL);
    let context: SuggestionEditContext =
        serde_json::from_str(status["private_metadata"].as_str().unwrap()).unwrap();
    assert_eq!(
        context,
        SuggestionEditContext {
            incident_id: id.clone(),
            suggestion_id: "st".into(),
            message: Some(("C0SUGGEST".into(), "1.5".into())),
        }
    );
    assert_eq!(
        inputs(&status),
        shown(&[
            (ids::EDIT_STATUS.0, json!("mitigating")),
            (ids::EDIT_MESSAGE.0, json!("rolled back")),
        ])
    );
    assert_eq!(
        inputs(&edit_modal(&pipeline, &id, "sv")),
        shown(&[(ids::EDIT_SEVERITY.0, json!("low"))])
    );
    let page = edit_modal(&pipeline, &id, "sp");
    assert_eq!(
        inputs(&page),
        shown(&[
            (ids::EDIT_MESSAGE.0, json!("A fix is rolling out")),
            (ids::EDIT_PAGE_STATUS.0, json!("mitigating")),
            (ids::EDIT_MAJOR.0, json!([])),
            (ids::EDIT_PARTIAL.0, json!(["api"])),
        ])
    );
    assert_eq!(
        options(&page, ids::EDIT_PAGE_STATUS.0),
        ["mitigating", "resolved"],
        "only forward"
    );
    assert_eq!(
        options(&page, ids::EDIT_MAJOR.0),
        ["api", "checkout"],
        "the tenant's services, the suggested first"
    );
    let open = edit_modal(&pipeline, &opening, "so");
    assert_eq!(
        inputs(&open),
        shown(&[
            (ids::EDIT_TITLE.0, json!("Payments delayed")),
            (ids::EDIT_MAJOR.0, json!([])),
            (ids::EDIT_PARTIAL.0, json!(["checkout"])),
            (
                ids::EDIT_MESSAGE.0,
                json!("We are investigating delayed payments.")
            ),
        ])
    );
    let view = block_on(pipeline.handle(&id).get()).unwrap();
    assert_eq!(
        (view.incident.status, view.incident.severity),
        (Status::Open, Severity::Medium),
        "opening a modal changes nothing"
    );
    let untouched = block_on(pipeline.handle(&opening).get()).unwrap();
    assert_eq!(untouched.incident.affection, None);
}

#[test]
fn submitting_the_edit_modal_applies_the_edited_status_change_as_the_person() {
    let EveryKind { pipeline, id, .. } = with_every_kind();
    // Another status and message than suggested.
    let modal = edit_modal(&pipeline, &id, "st");
    let edited = submitted(
        &modal,
        "V1",
        &[
            (ids::EDIT_STATUS.0, ViewInput::Choose("resolved")),
            (ids::EDIT_MESSAGE.0, ViewInput::Text("fixed for good")),
        ],
    );
    let EditAnswer::Applied { message, .. } = submit(&pipeline, edited.clone(), "V1") else {
        panic!("applied");
    };
    assert!(
        message.to_string().contains("resolved: fixed for good"),
        "{message}"
    );
    let change = resolved_as(&pipeline, &id, "st");
    assert_eq!(
        (
            change.event_type.as_str(),
            &change.data["status"],
            &change.data["message"]
        ),
        (
            "STATUS_UPDATE",
            &json!("resolved"),
            &json!("fixed for good")
        )
    );
    // The same submission again (a replay): the first outcome, nothing more written.
    let before = block_on(pipeline.handle(&id).get()).unwrap().timeline.len();
    assert!(matches!(
        submit(&pipeline, edited, "V1"),
        EditAnswer::Applied { .. }
    ));
    assert_eq!(
        block_on(pipeline.handle(&id).get()).unwrap().timeline.len(),
        before
    );
}

#[test]
fn severity_and_status_page_updates_apply_as_edited_and_bad_input_stays_in_the_modal() {
    let EveryKind { pipeline, id, .. } = with_every_kind();
    let severity = edit_modal(&pipeline, &id, "sv");
    let raised = submitted(
        &severity,
        "V2",
        &[(ids::EDIT_SEVERITY.0, ViewInput::Choose("high"))],
    );
    assert!(matches!(
        submit(&pipeline, raised, "V2"),
        EditAnswer::Applied { .. }
    ));
    let view = block_on(pipeline.handle(&id).get()).unwrap();
    assert_eq!(
        view.incident.severity,
        Severity::High,
        "the edited severity, not low"
    );
    assert_eq!(
        resolved_as(&pipeline, &id, "sv").event_type,
        "SEVERITY_UPDATE"
    );

    let page = edit_modal(&pipeline, &id, "sp");
    // An emptied message is shown under its input; nothing is written.
    let empty = submitted(&page, "V3", &[(ids::EDIT_MESSAGE.0, ViewInput::Text("  "))]);
    assert_eq!(
        errors(submit(&pipeline, empty, "V3")),
        [(
            ids::EDIT_MESSAGE.0.to_owned(),
            "Write the update people will read.".to_owned()
        )]
    );
    // A service under both impacts is shown under the second.
    let both = submitted(
        &page,
        "V3",
        &[
            (ids::EDIT_MAJOR.0, ViewInput::ChooseAll(&["api"])),
            (ids::EDIT_PARTIAL.0, ViewInput::ChooseAll(&["api"])),
        ],
    );
    let twice = errors(submit(&pipeline, both, "V3"));
    assert_eq!(twice[0].0, ids::EDIT_PARTIAL.0);
    assert!(
        twice[0].1.contains("api is chosen as a major outage too"),
        "{twice:?}"
    );
    // Reworded, the status left out, checkout down to partial and api not named: a
    // message-and-impact update that does not move the status page.
    let reworded = submitted(
        &page,
        "V3",
        &[
            (ids::EDIT_MESSAGE.0, ViewInput::Text("Payments recover")),
            (ids::EDIT_PAGE_STATUS.0, ViewInput::Clear),
            (ids::EDIT_PARTIAL.0, ViewInput::ChooseAll(&["checkout"])),
        ],
    );
    let SubmittedView::SuggestionEdit { fields, .. } = &reworded else {
        panic!("{reworded:?}");
    };
    assert_eq!(
        fields,
        &EditedFields {
            message: Some("Payments recover".into()),
            major: Some(Vec::new()),
            partial: Some(vec!["checkout".into()]),
            ..EditedFields::default()
        }
    );
    assert!(matches!(
        submit(&pipeline, reworded, "V3"),
        EditAnswer::Applied { .. }
    ));
    let update = resolved_as(&pipeline, &id, "sp");
    assert_eq!(update.event_type, "AFFECTION_UPDATE");
    assert_eq!(update.data["message"], "Payments recover");
    assert_eq!(update.data["status"], Value::Null);
    assert_eq!(
        update.data["services"],
        json!([{ "id": "checkout", "impact": "partial" }])
    );
    let affection = block_on(pipeline.handle(&id).get())
        .unwrap()
        .incident
        .affection
        .unwrap();
    assert_eq!(
        affection.status,
        AffectionStatus::Investigating,
        "not moved: the person left the status out"
    );
    assert_eq!(
        affection.services,
        [affected("checkout", Impact::Partial)],
        "api not added: the person left it out"
    );

    // Once applied, the suggestion is not applied again; a stale edit says why in the modal.
    let again = submitted(
        &page,
        "V4",
        &[(ids::EDIT_MESSAGE.0, ViewInput::Text("once more"))],
    );
    let stale = errors(submit(&pipeline, again, "V4"));
    assert_eq!(stale[0].0, ids::EDIT_MESSAGE.0);
    assert!(stale[0].1.contains("applied already"), "{stale:?}");
}

#[test]
fn a_status_page_opening_applies_as_edited_and_bad_input_stays_in_the_modal() {
    let EveryKind {
        pipeline, opening, ..
    } = with_every_kind();
    let modal = edit_modal(&pipeline, &opening, "so");
    let refused = |changes: &[(&str, ViewInput)]| {
        errors(submit(&pipeline, submitted(&modal, "V5", changes), "V5"))
    };
    assert_eq!(
        refused(&[(ids::EDIT_TITLE.0, ViewInput::Text(" "))]),
        [(
            ids::EDIT_TITLE.0.to_owned(),
            "Give the status-page incident a title.".to_owned()
        )]
    );
    assert_eq!(
        refused(&[(ids::EDIT_PARTIAL.0, ViewInput::ChooseAll(&[]))]),
        [(
            ids::EDIT_MAJOR.0.to_owned(),
            "Choose at least one affected service.".to_owned()
        )]
    );
    assert_eq!(
        refused(&[(ids::EDIT_MESSAGE.0, ViewInput::Text(""))]),
        [(
            ids::EDIT_MESSAGE.0.to_owned(),
            "Write the first update people will read.".to_owned()
        )]
    );
    // A service the tenant does not have (a forged submission: Slack offers only the modal's
    // options) is refused by the incident.
    let mut state = submitted_view_state(&modal, &[]);
    state[ids::EDIT_MAJOR.0][ids::EDIT_MAJOR.1]["selected_options"] =
        json!([{ "text": { "type": "plain_text", "text": "Billing" }, "value": "billing" }]);
    let forged = errors(submit(&pipeline, submitted_with(&modal, "V5", state), "V5"));
    assert_eq!(forged[0].0, ids::EDIT_TITLE.0);
    assert!(forged[0].1.contains("unknown service"), "{forged:?}");
    let untouched = block_on(pipeline.handle(&opening).get()).unwrap();
    assert_eq!(untouched.incident.affection, None, "nothing written yet");

    let edited = submitted(
        &modal,
        "V6",
        &[
            (ids::EDIT_TITLE.0, ViewInput::Text("Payments failing")),
            (ids::EDIT_MAJOR.0, ViewInput::ChooseAll(&["checkout"])),
            (ids::EDIT_PARTIAL.0, ViewInput::ChooseAll(&["api"])),
            (
                ids::EDIT_MESSAGE.0,
                ViewInput::Text("Card payments fail; we are on it."),
            ),
        ],
    );
    let EditAnswer::Applied { message, .. } = submit(&pipeline, edited, "V6") else {
        panic!("applied");
    };
    assert_eq!(
        message["text"],
        "Suggestion: Open a status-page incident \"Payments failing\" (checkout: major, api: partial): Card payments fail; we are on it. (applied)"
    );
    let change = resolved_as(&pipeline, &opening, "so");
    assert_eq!(change.event_type, "AFFECTION_UPDATE");
    assert_eq!(change.data["title"], "Payments failing");
    assert_eq!(change.data["message"], "Card payments fail; we are on it.");
    let affection = block_on(pipeline.handle(&opening).get())
        .unwrap()
        .incident
        .affection
        .expect("the status-page incident is open");
    assert_eq!(
        (
            affection.title.as_str(),
            affection.status,
            affection.services
        ),
        (
            "Payments failing",
            AffectionStatus::Investigating,
            vec![
                affected("checkout", Impact::Major),
                affected("api", Impact::Partial)
            ]
        )
    );
    // Once applied, Edit on the same suggestion says so.
    let late = refusal(click(
        &pipeline,
        TENANT,
        &opening,
        "so",
        SuggestionChoice::Edit,
    ));
    assert!(late.contains("applied already"), "{late}");
}

#[test]
fn another_tenants_incident_an_unknown_suggestion_or_a_stale_change_is_refused() {
    let pipeline = Pipeline::new();
    let id = pipeline.declare("Checkout is failing");
    suggest(&pipeline, &id, "t1-1", mitigate());
    let foreign = refusal(click(
        &pipeline,
        "other",
        &id,
        "t1-1",
        SuggestionChoice::Apply,
    ));
    assert!(foreign.contains("not about an incident of this workspace"));
    let forged = refusal(click(
        &pipeline,
        TENANT,
        "not-an-id",
        "t1-1",
        SuggestionChoice::Apply,
    ));
    assert!(forged.contains("not about an incident"));
    let unknown = refusal(click(
        &pipeline,
        TENANT,
        &id,
        "t9-9",
        SuggestionChoice::Dismiss,
    ));
    assert!(unknown.contains("no such suggestion"));

    pipeline.apply(
        &id,
        Command::UpdateStatus {
            status: Status::Resolved,
            message: "fixed by hand".into(),
        },
    );
    let stale = refusal(click(
        &pipeline,
        TENANT,
        &id,
        "t1-1",
        SuggestionChoice::Apply,
    ));
    assert!(
        stale.starts_with("Nothing changed: the incident is resolved"),
        "{stale}"
    );
    let view = block_on(pipeline.handle(&id).get()).unwrap();
    assert!(view
        .timeline
        .iter()
        .all(|e| e.event_type != "SUGGESTION_RESOLVED"));
}
