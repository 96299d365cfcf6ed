//! The agent's suggestions in Slack, on the native pipeline: the Slack sender posts each
//! `SUGGESTION_ADDED` once with its buttons, and the buttons' handling (apply as the person,
//! dismiss, edit a status suggestion, refusals) through the typed handle.

mod common;

use common::connected;
use incidentd_adapters::slack::blocks::part;
use incidentd_adapters::slack::ids::{self, SuggestionRef};
use incidentd_adapters::slack::incident_keys as keys;
use incidentd_adapters::slack::interactions::SuggestionChoice;
use incidentd_adapters::slack::metadata::PostedFor;
use incidentd_adapters::slack::suggestion_actions::{handle_suggestion, SuggestionAnswer};
use incidentd_core::{
    Actor, ActorKind, Command, Idempotency, Severity, Status, SuggestedChange, SuggestionAdded,
    SuggestionOutcome,
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
        2,
        "a severity change has nothing to edit"
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

#[test]
fn edit_opens_the_status_modal_for_a_status_suggestion_only() {
    let pipeline = Pipeline::new();
    let id = pipeline.declare("Checkout is failing");
    suggest(&pipeline, &id, "t1-1", mitigate());
    suggest(
        &pipeline,
        &id,
        "t1-2",
        SuggestedChange::Severity {
            severity: Severity::Low,
        },
    );
    let SuggestionAnswer::OpenModal { trigger_id, view } =
        click(&pipeline, TENANT, &id, "t1-1", SuggestionChoice::Edit)
    else {
        panic!("a modal");
    };
    assert_eq!(trigger_id, "trigger-1");
    assert_eq!(view["callback_id"], ids::STATUS_MODAL);
    let context: Value = serde_json::from_str(view["private_metadata"].as_str().unwrap()).unwrap();
    assert_eq!(
        context,
        json!({ "incident_id": id, "status": "mitigating" })
    );
    let severity = refusal(click(
        &pipeline,
        TENANT,
        &id,
        "t1-2",
        SuggestionChoice::Edit,
    ));
    assert!(severity.contains("Only a status suggestion"));
    let view = block_on(pipeline.handle(&id).get()).unwrap();
    assert_eq!(
        view.incident.status,
        Status::Open,
        "edit changes nothing by itself"
    );
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
