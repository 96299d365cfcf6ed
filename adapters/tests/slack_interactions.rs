//! Interactivity payloads and slash commands from realistic fixtures (`fixtures/slack/`).

use incidentd_adapters::slack::inbound::commands::{CommandBody, IncidentCommand};
use incidentd_adapters::slack::inbound::interactions::{
    IncidentAction, Interaction, SubmittedView, SuggestionChoice,
};
use incidentd_core::{Severity, Status};
use incidentd_wire::slack_ids::SuggestionRef;
use serde_json::json;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/slack/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The body Slack posts: the JSON payload as the form field `payload`.
fn as_form(json: &[u8]) -> Vec<u8> {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("payload", std::str::from_utf8(json).unwrap())
        .finish()
        .into_bytes()
}

fn interaction(name: &str) -> Interaction {
    Interaction::parse_form(&as_form(&fixture(name))).expect(name)
}

fn actions(name: &str) -> Vec<IncidentAction> {
    match interaction(name) {
        Interaction::BlockActions(actions) => actions.incident_actions(),
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn the_severity_select_sets_the_severity_of_the_incident_in_its_block_id() {
    assert_eq!(
        actions("block_actions_severity.json"),
        [IncidentAction::SetSeverity {
            incident_id: "inc-7f3a".into(),
            severity: Severity::High,
            user: "U0BOB".into()
        }]
    );
}

#[test]
fn the_status_select_asks_for_the_modal_with_the_trigger() {
    assert_eq!(
        actions("block_actions_status.json"),
        [IncidentAction::ChooseStatus {
            incident_id: "inc-7f3a".into(),
            status: Status::Mitigating,
            trigger_id: "12466734323.1395872398.status".into(),
            user: "U0BOB".into()
        }]
    );
}

#[test]
fn the_assignee_select_sets_or_clears_and_foreign_or_cleared_controls_are_unrecognised() {
    let Interaction::BlockActions(payload) = interaction("block_actions_assignee.json") else {
        panic!()
    };
    assert_eq!(payload.team, None, "org-wide install");
    assert_eq!(
        payload.enterprise.as_ref().map(|e| e.id.as_str()),
        Some("E0GRID")
    );
    assert_eq!(
        payload.incident_actions(),
        [
            IncidentAction::SetAssignee {
                incident_id: "inc-7f3a".into(),
                assignee: Some("U0CAROL".into()),
                user: "U0ALICE".into()
            },
            IncidentAction::SetAssignee {
                incident_id: "inc-7f3a".into(),
                assignee: None,
                user: "U0ALICE".into()
            },
            IncidentAction::Unrecognised {
                action_id: "incident_severity".into()
            },
            IncidentAction::Unrecognised {
                action_id: "someone_elses_picker".into()
            },
        ]
    );
}

#[test]
fn suggestion_buttons_carry_the_suggestion_and_incident_in_their_value() {
    assert_eq!(
        actions("block_actions_suggestion.json"),
        [
            IncidentAction::Suggestion {
                choice: SuggestionChoice::Edit,
                suggestion: SuggestionRef {
                    incident_id: "inc-7f3a".into(),
                    suggestion_id: "sg-42".into()
                },
                trigger_id: "12466734323.1395872398.suggest".into(),
                message: Some(("C0INC1".into(), "1795879500.000100".into())),
                user: "U0BOB".into()
            },
            IncidentAction::Unrecognised {
                action_id: "suggestion_apply".into()
            },
        ]
    );
}

#[test]
fn the_status_modal_submission_carries_incident_status_and_trimmed_message() {
    let Interaction::ViewSubmission(view) = interaction("view_submission_status.json") else {
        panic!()
    };
    assert_eq!(
        view.submitted(),
        SubmittedView::StatusChange {
            incident_id: "inc-7f3a".into(),
            status: Status::Mitigating,
            message: "Rolled back deploy 812; error rate falling.".into(),
            user: "U0BOB".into()
        }
    );
}

#[test]
fn an_empty_status_message_is_answered_with_inline_errors() {
    let mut payload: serde_json::Value =
        serde_json::from_slice(&fixture("view_submission_status.json")).unwrap();
    payload["view"]["state"]["values"]["status_message"]["status_message_input"]["value"] =
        json!("   ");
    let Interaction::ViewSubmission(view) =
        Interaction::parse_form(&as_form(payload.to_string().as_bytes())).unwrap()
    else {
        panic!()
    };
    let submitted = view.submitted();
    assert_eq!(
        submitted.errors_response(),
        Some(
            json!({ "response_action": "errors", "errors": { "status_message": "Say what changed." } })
        )
    );
}

#[test]
fn closed_views_and_other_payloads_parse_and_bad_bodies_are_refused() {
    let Interaction::ViewClosed(closed) = interaction("view_closed.json") else {
        panic!()
    };
    assert_eq!(closed.view.callback_id, "incident_status_change");
    assert_eq!(
        Interaction::parse_form(&as_form(br#"{"type":"shortcut","callback_id":"x"}"#)).unwrap(),
        Interaction::Unknown
    );
    assert!(Interaction::parse_form(b"nothing=here").is_err());
    assert!(Interaction::parse_form(&as_form(b"{")).is_err());
}

fn command(name: &str) -> IncidentCommand {
    match CommandBody::parse_form(&fixture(name)).expect(name) {
        CommandBody::Command(command) => command.interpret(),
        CommandBody::SslCheck => panic!("{name}: ssl check"),
    }
}

#[test]
fn slash_commands_declare_answer_status_help_or_are_unknown() {
    assert_eq!(
        command("command_declare.form"),
        IncidentCommand::Declare {
            title: "Checkout is failing & payments <50%".into()
        }
    );
    assert_eq!(command("command_status.form"), IncidentCommand::Status);
    assert_eq!(command("command_help.form"), IncidentCommand::Help);
    assert_eq!(
        command("command_other.form"),
        IncidentCommand::Unknown {
            command: "/oncall".into()
        }
    );
}

#[test]
fn slash_command_fields_are_typed_and_required_ones_checked() {
    let CommandBody::Command(help) =
        CommandBody::parse_form(&fixture("command_help.form")).unwrap()
    else {
        panic!()
    };
    assert_eq!(help.enterprise_id.as_deref(), Some("E0GRID"));
    assert!(help.is_enterprise_install);
    assert_eq!(
        help.response_url,
        "https://hooks.slack.com/commands/T0ACME/3/xyz"
    );
    let CommandBody::Command(declare) =
        CommandBody::parse_form(&fixture("command_declare.form")).unwrap()
    else {
        panic!()
    };
    assert_eq!(declare.enterprise_id, None, "empty means none");
    assert_eq!(
        (declare.channel_id.as_str(), declare.user_id.as_str()),
        ("C0GENERAL", "U0ALICE")
    );
    assert_eq!(
        CommandBody::parse_form(b"ssl_check=1&token=x").unwrap(),
        CommandBody::SslCheck
    );
    assert!(CommandBody::parse_form(b"command=%2Fincident&text=x").is_err());
}
