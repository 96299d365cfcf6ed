//! Every Block Kit builder, snapshot-tested (`snapshots/`), and the controls it renders read
//! back by the interaction parser.

use crate::slack::inbound::interactions::{IncidentAction, Interaction, SuggestionChoice};
use crate::slack::outbound::blocks::{self, IncidentCard, SuggestionCard};
use crate::slack::outbound::metadata::PostedFor;
use incidentd_core::{
    AffectedService, AffectionStatus, AffectionUpdated, Impact, IncidentState, Service, Severity,
    Source, Status, SuggestedChange,
};
use incidentd_wire::slack_ids::{
    self as ids, StatusChangeContext, SuggestionEditContext, SuggestionRef,
};
use insta::assert_json_snapshot;
use serde_json::{json, Value};

fn incident(status: Status) -> IncidentState {
    IncidentState {
        id: "inc-7f3a".into(),
        tenant_id: "acme".into(),
        status,
        severity: Severity::High,
        title: "Checkout is failing <for> EU & UK".into(),
        description: String::new(),
        prompt: "checkout is failing".into(),
        created_by: "U0ALICE".into(),
        source: Source::Slack,
        assignee: Some("u-bob".into()),
        entry_point_id: None,
        services: Vec::new(),
        affection: None,
        metadata: Default::default(),
        created_at: 1_795_878_245_000,
        updated_at: 1_795_878_245_000 + 95 * 60_000,
        last_event_id: 3,
    }
}

fn card(incident: &IncidentState) -> IncidentCard<'_> {
    IncidentCard {
        incident,
        event_id: 3,
        assignee_slack_id: Some("U0BOB"),
        channel_id: Some("C0INC1"),
    }
}

fn posted(post: &blocks::SlackPost) -> Value {
    post.post_args("C0INC1", Some("1795878245.000200"))
}

/// Slack's `block_actions` for `action` of the `block_id` block, as a form body.
fn clicked(block_id: &str, action: Value) -> Vec<u8> {
    let mut action = action;
    action["block_id"] = block_id.into();
    let payload = json!({
        "type": "block_actions", "user": { "id": "U0BOB" }, "api_app_id": "A0INCIDENTD",
        "trigger_id": "t-1", "channel": { "id": "C0INC1" }, "message": { "ts": "1.2" },
        "actions": [action],
    });
    form_urlencoded::Serializer::new(String::new())
        .append_pair("payload", &payload.to_string())
        .finish()
        .into_bytes()
}

fn read_back(body: &[u8]) -> Vec<IncidentAction> {
    match Interaction::parse_form(body).unwrap() {
        Interaction::BlockActions(actions) => actions.incident_actions(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn announcement_of_an_open_incident() {
    let open = incident(Status::Open);
    let post = blocks::announcement(card(&open), 1);
    assert_eq!(
        post.posted_for,
        PostedFor::new("inc-7f3a", 1, "announcement")
    );
    assert_json_snapshot!("announcement_open", posted(&post));
}

#[test]
fn announcement_offers_only_the_allowed_next_statuses() {
    let mitigating = incident(Status::Mitigating);
    let unassigned = IncidentCard {
        assignee_slack_id: None,
        channel_id: None,
        ..card(&mitigating)
    };
    assert_json_snapshot!(
        "announcement_mitigating_unassigned",
        blocks::announcement(unassigned, 1).blocks
    );
    let resolved = incident(Status::Resolved);
    assert_json_snapshot!(
        "announcement_resolved",
        blocks::announcement(card(&resolved), 1).blocks
    );
}

#[test]
fn announcement_controls_are_read_back_by_the_interaction_parser() {
    let open = incident(Status::Open);
    let post = blocks::announcement(card(&open), 1);
    let actions = post.blocks.last().unwrap();
    let block_id = actions["block_id"].as_str().unwrap();
    let [severity, status, assignee] = actions["elements"].as_array().unwrap().as_slice() else {
        panic!("three controls")
    };
    let chosen = |select: &Value, index: usize| json!({ "type": "static_select", "action_id": select["action_id"], "selected_option": select["options"][index] });
    assert_eq!(
        read_back(&clicked(block_id, chosen(severity, 2))),
        [IncidentAction::SetSeverity {
            incident_id: "inc-7f3a".into(),
            severity: Severity::Low,
            user: "U0BOB".into()
        }]
    );
    assert_eq!(
        read_back(&clicked(block_id, chosen(status, 0))),
        [IncidentAction::ChooseStatus {
            incident_id: "inc-7f3a".into(),
            status: Status::Mitigating,
            trigger_id: "t-1".into(),
            user: "U0BOB".into()
        }]
    );
    let pick = json!({ "type": "users_select", "action_id": assignee["action_id"], "selected_user": "U0CAROL" });
    assert!(matches!(
        read_back(&clicked(block_id, pick)).as_slice(),
        [IncidentAction::SetAssignee { assignee: Some(a), .. }] if a == "U0CAROL"
    ));
}

#[test]
fn status_change_modal() {
    let context = StatusChangeContext {
        incident_id: "inc-7f3a".into(),
        status: Status::Resolved,
    };
    let modal = blocks::status_change_modal(&context, "Checkout is failing");
    let metadata: StatusChangeContext =
        serde_json::from_str(modal["private_metadata"].as_str().unwrap()).unwrap();
    assert_eq!(metadata, context);
    assert!(modal["title"]["text"].as_str().unwrap().chars().count() <= 24);
    assert_json_snapshot!("status_change_modal", modal);
}

#[test]
fn notes_for_each_change() {
    let notes = [
        blocks::severity_note("inc-7f3a", 4, Severity::Medium, Some("U0BOB")),
        blocks::assignee_note("inc-7f3a", 5, Some("U0CAROL"), None),
        blocks::assignee_note("inc-7f3a", 6, None, Some("U0BOB")),
        blocks::status_note(
            "inc-7f3a",
            7,
            Status::Mitigating,
            "Rolled back <deploy> 812\nwatching the error rate",
            Some("U0BOB"),
        ),
        blocks::affection_note(
            "inc-7f3a",
            8,
            &page_change(
                Some(AffectionStatus::Investigating),
                None,
                None,
                "Checkout degraded",
            ),
        ),
        blocks::affection_note("inc-7f3a", 9, &page_change(None, None, None, "More detail")),
        blocks::affection_note(
            "inc-7f3a",
            10,
            &page_change(
                Some(AffectionStatus::Investigating),
                Some("Checkout <degraded>"),
                Some(vec![
                    affected("checkout", Impact::Major),
                    affected("api<x>", Impact::Partial),
                ]),
                "We are looking into failed payments",
            ),
        ),
        blocks::affection_note(
            "inc-7f3a",
            11,
            &page_change(
                None,
                None,
                Some(vec![affected("checkout", Impact::Partial)]),
                "Card payments recover",
            ),
        ),
    ];
    let all: Vec<Value> = notes.iter().map(posted).collect();
    assert_json_snapshot!("notes", all);
}

#[test]
fn broadcast_of_a_high_severity_incident() {
    let mut high = incident(Status::Open);
    high.severity = Severity::High;
    let post = blocks::broadcast(card(&high), 3);
    assert_eq!(
        post.posted_for,
        PostedFor::new(&high.id, 3, blocks::part::BROADCAST)
    );
    assert!(
        post.blocks.iter().all(|b| b["type"] != "actions"),
        "no controls outside the incident channel"
    );
    assert_json_snapshot!("broadcast", posted(&post));
}

fn page_change(
    status: Option<AffectionStatus>,
    title: Option<&str>,
    services: Option<Vec<AffectedService>>,
    message: &str,
) -> AffectionUpdated {
    AffectionUpdated {
        message: message.into(),
        created_by: "U0BOB".into(),
        status,
        title: title.map(str::to_owned),
        services,
    }
}

fn service(id: &str, name: &str) -> Service {
    Service {
        id: id.into(),
        name: name.into(),
    }
}

fn affected(id: &str, impact: Impact) -> AffectedService {
    AffectedService {
        id: id.into(),
        impact,
    }
}

/// The values a modal's input of `block_id` shows chosen (`initial_option(s)`).
fn preselected(modal: &Value, block_id: &str) -> Vec<String> {
    let block = modal["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["block_id"] == block_id)
        .unwrap_or_else(|| panic!("no {block_id} in {modal}"));
    let element = &block["element"];
    match element["type"].as_str().unwrap() {
        "multi_static_select" => element["initial_options"]
            .as_array()
            .map(|options| {
                options
                    .iter()
                    .map(|o| o["value"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default(),
        _ => element["initial_option"]["value"]
            .as_str()
            .map(|v| vec![v.to_owned()])
            .unwrap_or_default(),
    }
}

fn block_ids(modal: &Value) -> Vec<&str> {
    modal["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["block_id"].as_str())
        .collect()
}

#[test]
fn suggestion_edit_modals_for_each_kind() {
    let mut declared = incident(Status::Open);
    declared.services = vec![
        service("checkout", "Checkout"),
        service("api", "Public API"),
        service("search", "Search"),
    ];
    let mut page_open = declared.clone();
    page_open.affection = Some(incidentd_core::Affection {
        title: "Checkout degraded".into(),
        services: vec![affected("checkout", Impact::Partial)],
        status: AffectionStatus::Investigating,
        updates: 1,
    });
    let context = SuggestionEditContext {
        incident_id: declared.id.clone(),
        suggestion_id: "sg-42".into(),
        message: Some(("C0INC".into(), "1.5".into())),
    };
    let status = SuggestedChange::Status {
        status: Status::Mitigating,
        message: "Rolled back <deploy> 812".into(),
    };
    let update = SuggestedChange::StatusPageUpdate {
        message: "A fix is rolling out".into(),
        status: Some(AffectionStatus::Mitigating),
        services: Some(vec![
            affected("checkout", Impact::Major),
            affected("api", Impact::Partial),
        ]),
    };
    let opening = SuggestedChange::StatusPageIncident {
        title: "Checkout <unavailable>".into(),
        services: vec![affected("checkout", Impact::Major)],
        message: "We are investigating failed payments.".into(),
    };
    // Each kind against a state it can be applied to.
    let cases = [
        (&page_open, status.clone()),
        (
            &page_open,
            SuggestedChange::Severity {
                severity: Severity::Medium,
            },
        ),
        (&page_open, update.clone()),
        (&declared, opening.clone()),
    ];
    let modals: Vec<Value> = cases
        .iter()
        .map(|(incident, change)| {
            blocks::suggestion_edit_modal(&context, incident, change).expect("a modal")
        })
        .collect();
    for modal in &modals {
        assert!(modal["title"]["text"].as_str().unwrap().chars().count() <= 24);
        let metadata: SuggestionEditContext =
            serde_json::from_str(modal["private_metadata"].as_str().unwrap()).unwrap();
        assert_eq!(metadata, context);
    }
    assert_json_snapshot!("suggestion_edit_modals", modals);
    // Prefilled with what the agent suggested.
    assert_eq!(preselected(&modals[0], ids::EDIT_STATUS.0), ["mitigating"]);
    assert_eq!(preselected(&modals[1], ids::EDIT_SEVERITY.0), ["medium"]);
    assert_eq!(
        preselected(&modals[2], ids::EDIT_PAGE_STATUS.0),
        ["mitigating"]
    );
    assert_eq!(preselected(&modals[2], ids::EDIT_MAJOR.0), ["checkout"]);
    assert_eq!(preselected(&modals[2], ids::EDIT_PARTIAL.0), ["api"]);
    assert_eq!(
        block_ids(&modals[3]),
        [
            ids::EDIT_TITLE.0,
            ids::EDIT_MAJOR.0,
            ids::EDIT_PARTIAL.0,
            ids::EDIT_MESSAGE.0
        ]
    );
    assert_eq!(preselected(&modals[3], ids::EDIT_MAJOR.0), ["checkout"]);
    assert_eq!(
        preselected(&modals[3], ids::EDIT_PARTIAL.0),
        [] as [&str; 0]
    );

    // Nothing left to edit: a closed incident's status, an update without a status page, an
    // opening once the status page is open, an opening with no services to name.
    let closed = incident(Status::Resolved);
    assert_eq!(
        blocks::suggestion_edit_modal(&context, &closed, &status),
        None
    );
    assert_eq!(
        blocks::suggestion_edit_modal(&context, &declared, &update),
        None
    );
    assert_eq!(
        blocks::suggestion_edit_modal(&context, &page_open, &opening),
        None
    );
    assert_eq!(
        blocks::suggestion_edit_modal(&context, &incident(Status::Open), &opening),
        None
    );
    // A resolved status page still takes updates, with no status left to move to.
    let mut page_resolved = page_open.clone();
    if let Some(affection) = page_resolved.affection.as_mut() {
        affection.status = AffectionStatus::Resolved;
    }
    let no_status = blocks::suggestion_edit_modal(&context, &page_resolved, &update)
        .expect("a message can still be posted");
    assert!(!block_ids(&no_status).contains(&ids::EDIT_PAGE_STATUS.0));
    assert!(block_ids(&no_status).contains(&ids::EDIT_MESSAGE.0));
}

#[test]
fn impact_selects_keep_the_suggested_services_within_slacks_option_limit() {
    let mut declared = incident(Status::Open);
    declared.services = (0..150)
        .map(|i| {
            service(
                &format!("svc-{i}"),
                &format!("Service {i} {}", "x".repeat(80)),
            )
        })
        .collect();
    let opening = SuggestedChange::StatusPageIncident {
        title: "Everything is down".into(),
        services: vec![affected("svc-149", Impact::Partial)],
        message: "Investigating.".into(),
    };
    let context = SuggestionEditContext {
        incident_id: declared.id.clone(),
        suggestion_id: "sg-1".into(),
        message: None,
    };
    let modal = blocks::suggestion_edit_modal(&context, &declared, &opening).unwrap();
    let partial = modal["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["block_id"] == ids::EDIT_PARTIAL.0)
        .unwrap();
    let options = partial["element"]["options"].as_array().unwrap();
    assert_eq!(options.len(), 100, "Block Kit's limit");
    assert_eq!(options[0]["value"], "svc-149", "the suggested one first");
    assert!(options
        .iter()
        .all(|o| o["text"]["text"].as_str().unwrap().chars().count() <= 75));
    assert_eq!(preselected(&modal, ids::EDIT_PARTIAL.0), ["svc-149"]);
}

#[test]
fn closing_summary() {
    let resolved = incident(Status::Resolved);
    let post = blocks::closing_summary(card(&resolved), "Error rate back to normal.", true);
    assert_json_snapshot!("closing_summary", posted(&post));
}

#[test]
fn analysis_with_and_without_a_review() {
    let resolved = incident(Status::Resolved);
    let measures = vec![
        ("Time to first response".to_owned(), "3 min".to_owned()),
        ("Time to mitigate".to_owned(), "17 min".to_owned()),
        ("Time to resolve".to_owned(), "42 min".to_owned()),
        ("Status changes".to_owned(), "2".to_owned()),
    ];
    let reviewed = blocks::AnalysisDigest {
        measures: measures.clone(),
        summary: Some("Checkout failed for 42 minutes after deploy <812>.".into()),
        root_cause: Some("A config flag & its default diverged.".into()),
        action_items: vec!["Alert on checkout error rate (Dana)".into()],
        note: None,
    };
    assert_json_snapshot!(
        "analysis_reviewed",
        posted(&blocks::analysis(&resolved, 9, &reviewed))
    );
    let measured_only = blocks::AnalysisDigest {
        measures,
        note: Some("no language model is configured: measures only".into()),
        ..Default::default()
    };
    assert_json_snapshot!(
        "analysis_measures_only",
        posted(&blocks::analysis(&resolved, 9, &measured_only))
    );
}

#[test]
fn dashboard_message_mirror() {
    let post = blocks::dashboard_message(
        "inc-7f3a",
        10,
        "Dana",
        "Customer support sees <50% fewer tickets",
    );
    assert_json_snapshot!("dashboard_message", posted(&post));
}

#[test]
fn ephemeral_status_and_help_answers() {
    let open = incident(Status::Open);
    assert_json_snapshot!("status_answer", blocks::status_answer(Some(card(&open))));
    assert_json_snapshot!("status_answer_elsewhere", blocks::status_answer(None));
    assert_json_snapshot!("help_answer", blocks::help_answer());
}

#[test]
fn ephemeral_command_answers_escape_what_people_typed() {
    let open = incident(Status::Open);
    assert_json_snapshot!("declared_answer", blocks::declared_answer(&open));
    assert_json_snapshot!(
        "notice_answer",
        blocks::notice_answer("No incident declared: prompt: at most 4000 characters <sic>")
    );
}

#[test]
fn suggestion_message_buttons_round_trip_through_the_interaction_parser() {
    let suggestion = SuggestionRef {
        incident_id: "inc-7f3a".into(),
        suggestion_id: "sg-42".into(),
    };
    let post = blocks::suggestion(&SuggestionCard {
        suggestion: &suggestion,
        event_id: 7,
        summary: "Mark as mitigating: error rate is falling",
        rationale: Some("5xx fell from 12% to 0.4% after the rollback"),
    });
    assert_json_snapshot!("suggestion", posted(&post));
    let actions = post.blocks.last().unwrap();
    let block_id = actions["block_id"].as_str().unwrap();
    let choices: Vec<SuggestionChoice> = actions["elements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|button| {
            let mut button = button.clone();
            button["type"] = "button".into();
            match read_back(&clicked(block_id, button)).as_slice() {
                [IncidentAction::Suggestion {
                    choice,
                    suggestion: read,
                    ..
                }] => {
                    assert_eq!(read, &suggestion);
                    *choice
                }
                other => panic!("{other:?}"),
            }
        })
        .collect();
    assert_eq!(
        choices,
        [
            SuggestionChoice::Apply,
            SuggestionChoice::Edit,
            SuggestionChoice::Dismiss
        ]
    );

    let severity_only = blocks::suggestion(&SuggestionCard {
        suggestion: &suggestion,
        event_id: 8,
        summary: "Raise severity to high",
        rationale: None,
    });
    let labels: Vec<&str> = severity_only.blocks.last().unwrap()["elements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["text"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        ["Apply", "Edit", "Dismiss"],
        "every kind can be edited"
    );
}

#[test]
fn long_titles_are_clipped_to_the_header_limit() {
    let mut long = incident(Status::Open);
    long.title = "x".repeat(400);
    let post = blocks::announcement(card(&long), 1);
    let header = post.blocks[0]["text"]["text"].as_str().unwrap();
    assert_eq!(header.chars().count(), 150);
    assert!(header.ends_with('…'));
}
