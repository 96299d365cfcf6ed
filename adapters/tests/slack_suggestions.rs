//! The agent's suggestions in Slack, on the native pipeline: the Slack sender posts each
//! `SUGGESTION_ADDED` once with its buttons, and the buttons' handling (apply as the person,
//! dismiss, edit any kind in a prefilled modal and apply the edited change, refusals) through
//! the typed handle.

mod common;

use common::connected;
use incidentd_adapters::slack::blocks::part;
use incidentd_adapters::slack::ids::{self, SuggestionEditContext, SuggestionRef};
use incidentd_adapters::slack::incident_keys as keys;
use incidentd_adapters::slack::interactions::{
    EditedFields, Interaction, SubmittedView, SuggestionChoice,
};
use incidentd_adapters::slack::metadata::PostedFor;
use incidentd_adapters::slack::suggestion_actions::{
    handle_suggestion, submit_edit, EditAnswer, SuggestionAnswer,
};
use incidentd_core::{
    Actor, ActorKind, AffectedService, AffectionStatus, Command, Idempotency, Impact, Service,
    Severity, Status, SuggestedChange, SuggestionAdded, SuggestionOutcome,
};
use incidentd_runtime::native::{FakeSlack, Fault};
use incidentd_workflows::testing::{Pipeline, TENANT};
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

/// A pipeline with one incident on the status page and one suggestion of each kind: `st`
/// (status), `sv` (severity), `sp` (status-page update).
fn with_every_kind() -> (Pipeline, String) {
    let pipeline = Pipeline::new();
    let checkout = Service {
        id: "checkout".into(),
        name: "Checkout".into(),
    };
    let id = pipeline.declare_with_services("Checkout is failing", vec![checkout]);
    pipeline.apply(
        &id,
        Command::CreateAffection {
            title: "Checkout degraded".into(),
            services: vec![AffectedService {
                id: "checkout".into(),
                impact: Impact::Major,
            }],
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
        },
    );
    (pipeline, id)
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

/// The inputs of a modal: `block id → (element type, initial value or option)`.
fn inputs(view: &Value) -> Vec<(String, Value)> {
    view["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "input")
        .map(|b| {
            let element = &b["element"];
            let initial = match element["type"].as_str() {
                Some("static_select") => element["initial_option"]["value"].clone(),
                _ => element["initial_value"].clone(),
            };
            (b["block_id"].as_str().unwrap().to_owned(), initial)
        })
        .collect()
}

/// Submits `view` as Slack would, with `values` (`block id → (action id, value)`) typed in or
/// chosen, and reads it back with the interaction parser.
fn submitted(view: &Value, view_id: &str, values: &[((&str, &str), &str)]) -> SubmittedView {
    let mut state = serde_json::Map::new();
    for ((block, action), value) in values {
        let input = if block.contains("status") || block.contains("severity") {
            json!({ "type": "static_select", "selected_option": { "value": value } })
        } else {
            json!({ "type": "plain_text_input", "value": value })
        };
        state.insert((*block).to_owned(), json!({ *action: input }));
    }
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

#[test]
fn edit_opens_a_modal_prefilled_with_the_suggestion_for_every_kind() {
    let (pipeline, id) = with_every_kind();
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
        [
            (ids::EDIT_STATUS.0.to_owned(), json!("mitigating")),
            (ids::EDIT_MESSAGE.0.to_owned(), json!("rolled back")),
        ]
    );
    assert_eq!(
        inputs(&edit_modal(&pipeline, &id, "sv")),
        [(ids::EDIT_SEVERITY.0.to_owned(), json!("low"))]
    );
    let page = edit_modal(&pipeline, &id, "sp");
    assert_eq!(
        inputs(&page),
        [
            (
                ids::EDIT_MESSAGE.0.to_owned(),
                json!("A fix is rolling out")
            ),
            (ids::EDIT_PAGE_STATUS.0.to_owned(), json!("mitigating")),
        ]
    );
    let page_statuses: Vec<&str> = page["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["block_id"] == ids::EDIT_PAGE_STATUS.0)
        .unwrap()["element"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["value"].as_str().unwrap())
        .collect();
    assert_eq!(page_statuses, ["mitigating", "resolved"], "only forward");
    let view = block_on(pipeline.handle(&id).get()).unwrap();
    assert_eq!(
        (view.incident.status, view.incident.severity),
        (Status::Open, Severity::Medium),
        "opening a modal changes nothing"
    );
}

#[test]
fn submitting_the_edit_modal_applies_the_edited_change_of_each_kind_as_the_person() {
    let (pipeline, id) = with_every_kind();
    let resolved_as = |suggestion_id: &str| {
        let view = block_on(pipeline.handle(&id).get()).unwrap();
        let record = view
            .timeline
            .iter()
            .find(|e| {
                e.event_type == "SUGGESTION_RESOLVED" && e.data["suggestion_id"] == suggestion_id
            })
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
    };

    // Status: another status and message than suggested.
    let modal = edit_modal(&pipeline, &id, "st");
    let edited = submitted(
        &modal,
        "V1",
        &[
            (ids::EDIT_STATUS, "resolved"),
            (ids::EDIT_MESSAGE, "fixed for good"),
        ],
    );
    let EditAnswer::Applied { message, .. } = submit(&pipeline, edited.clone(), "V1") else {
        panic!("applied");
    };
    assert!(
        message.to_string().contains("resolved: fixed for good"),
        "{message}"
    );
    let change = resolved_as("st");
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
fn severity_and_status_page_suggestions_apply_as_edited_and_bad_input_stays_in_the_modal() {
    let (pipeline, id) = with_every_kind();
    let severity = edit_modal(&pipeline, &id, "sv");
    let raised = submitted(&severity, "V2", &[(ids::EDIT_SEVERITY, "high")]);
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

    let page = edit_modal(&pipeline, &id, "sp");
    // An emptied message is shown under its input; nothing is written.
    let empty = submitted(&page, "V3", &[(ids::EDIT_MESSAGE, "  ")]);
    assert_eq!(
        submit(&pipeline, empty, "V3"),
        EditAnswer::Invalid {
            errors: vec![(
                ids::EDIT_MESSAGE.0.to_owned(),
                "Write the update people will read.".to_owned()
            )]
        }
    );
    // The status left out: a message-only update of the status page.
    let reworded = submitted(&page, "V3", &[(ids::EDIT_MESSAGE, "Payments recover")]);
    let SubmittedView::SuggestionEdit { fields, .. } = &reworded else {
        panic!("{reworded:?}");
    };
    assert_eq!(
        fields,
        &EditedFields {
            message: Some("Payments recover".into()),
            ..EditedFields::default()
        }
    );
    assert!(matches!(
        submit(&pipeline, reworded, "V3"),
        EditAnswer::Applied { .. }
    ));
    let view = block_on(pipeline.handle(&id).get()).unwrap();
    let update = view
        .timeline
        .iter()
        .rev()
        .find(|e| e.event_type == "AFFECTION_UPDATE")
        .unwrap();
    assert_eq!(update.data["message"], "Payments recover");
    assert_eq!(update.data["status"], Value::Null);
    assert_eq!(
        view.incident.affection.as_ref().map(|a| a.status),
        Some(AffectionStatus::Investigating),
        "not moved: the person left the status out"
    );

    // Once applied, the suggestion is not applied again; a stale edit says why in the modal.
    let again = submitted(&page, "V4", &[(ids::EDIT_MESSAGE, "once more")]);
    let EditAnswer::Invalid { errors } = submit(&pipeline, again, "V4") else {
        panic!("refused");
    };
    assert_eq!(errors[0].0, ids::EDIT_MESSAGE.0);
    assert!(errors[0].1.contains("applied already"), "{errors:?}");
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
