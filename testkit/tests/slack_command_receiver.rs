//! The slash-command receiver on the native pipeline: `/incident <title>` declares once per
//! command through the mention's declare path (and the sender then opens its channel),
//! `/incident status` answers from the channel's incident, `/incident help` explains.

use incidentd_adapters::slack::inbound::command_receiver::{
    handle_command, CommandOutcome, CommandReply,
};
use incidentd_adapters::slack::incident_keys as keys;
use incidentd_core::{Command, IncidentState, Severity, Source};
use incidentd_testkit::pipeline::Pipeline;
use incidentd_testkit::slack_workspace::connected;
use incidentd_testkit::{FakeSlack, FAKE_TEAM_ID};
use pollster::block_on;
use serde_json::Value;
use sluice::sql::Database;

const NOW_MS: i64 = 1_795_878_245_000;

/// A `/incident` body as Slack posts it.
fn command(team: &str, channel: &str, text: &str, trigger_id: &str) -> Vec<u8> {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("token", "deprecated"),
            ("team_id", team),
            ("channel_id", channel),
            ("user_id", "U0ALICE"),
            ("command", "/incident"),
            ("text", text),
            ("api_app_id", "A0APP"),
            ("response_url", "https://hooks.slack.com/commands/T/1/x"),
            ("trigger_id", trigger_id),
        ])
        .finish()
        .into_bytes()
}

fn run(pipeline: &Pipeline, body: &[u8]) -> CommandReply {
    block_on(handle_command(
        pipeline.db.as_ref(),
        pipeline.incidents.as_ref(),
        body,
        NOW_MS,
    ))
    .expect("handled")
}

fn incident(pipeline: &Pipeline, id: &str) -> IncidentState {
    block_on(pipeline.handle(id).get()).unwrap().incident
}

/// The ephemeral answer's text (fallback and blocks).
fn answer(reply: &CommandReply) -> String {
    let body = reply.body.as_ref().expect("an answer");
    assert_eq!(body["response_type"], "ephemeral");
    body.to_string()
}

#[test]
fn incident_with_a_title_declares_once_and_the_sender_opens_its_channel() {
    let slack = FakeSlack::start();
    let pipeline = connected(&slack);
    let general = slack.add_channel("general");
    let body = command(FAKE_TEAM_ID, &general, "Database is down", "trig.1");
    let first = run(&pipeline, &body);
    let CommandOutcome::Declared {
        incident_id: id,
        created: true,
    } = &first.outcome
    else {
        panic!("{first:?}")
    };
    assert!(
        answer(&first).contains("Declared *Database is down*"),
        "{}",
        answer(&first)
    );
    assert_eq!(
        run(&pipeline, &body).outcome,
        CommandOutcome::Declared {
            incident_id: id.clone(),
            created: false
        },
        "the same command again reaches the same incident"
    );
    let declared = incident(&pipeline, id);
    assert_eq!(
        (
            declared.title.as_str(),
            declared.source,
            declared.created_by.as_str()
        ),
        ("Database is down", Source::Slack, "U0ALICE")
    );
    assert_eq!(
        declared
            .metadata
            .get(keys::SOURCE_COMMAND_CHANNEL)
            .map(String::as_str),
        Some(general.as_str())
    );
    // Another command (another trigger) is another incident.
    let other = run(
        &pipeline,
        &command(FAKE_TEAM_ID, &general, "Database is down", "trig.2"),
    );
    assert!(
        matches!(&other.outcome, CommandOutcome::Declared { incident_id, created: true } if incident_id != id)
    );

    pipeline.alarm(id); // forwards INCIDENT_CREATED (the pipeline drives its own ids only)
    pipeline.drain();
    let state = incident(&pipeline, id);
    let channel = slack
        .channel(&state.metadata[keys::CHANNEL])
        .expect("the incident's channel");
    assert_eq!(channel.pins.len(), 1, "the pinned announcement");
    assert!(channel.members.contains(&"U0ALICE".to_owned()));
    assert!(
        slack.calls_to("reactions.add").is_empty(),
        "no message to react to"
    );
    assert!(slack
        .channel(&general)
        .unwrap()
        .messages
        .iter()
        .all(|m| m.thread_ts.is_none()));
}

#[test]
fn incident_status_answers_from_the_channels_incident_and_elsewhere_says_how_to_declare() {
    let slack = FakeSlack::start();
    let pipeline = connected(&slack);
    let id = pipeline.declare("Checkout is failing");
    pipeline.apply(
        &id,
        Command::SetSeverity {
            severity: Severity::High,
        },
    );
    pipeline.drain();
    let before = incident(&pipeline, &id);
    let channel = before.metadata[keys::CHANNEL].clone();

    let here = run(
        &pipeline,
        &command(FAKE_TEAM_ID, &channel, " Status ", "trig.3"),
    );
    assert_eq!(
        here.outcome,
        CommandOutcome::Status {
            incident_id: Some(id.clone())
        }
    );
    let text = answer(&here);
    assert!(
        text.contains("*Checkout is failing*") && text.contains("High") && text.contains("Open"),
        "{text}"
    );

    let elsewhere = run(
        &pipeline,
        &command(FAKE_TEAM_ID, "C0GENERAL", "status", "trig.4"),
    );
    assert_eq!(
        elsewhere.outcome,
        CommandOutcome::Status { incident_id: None }
    );
    assert!(answer(&elsewhere).contains("/incident <title>"));
    assert_eq!(
        incident(&pipeline, &id).last_event_id,
        before.last_event_id,
        "nothing written"
    );
}

#[test]
fn help_unknown_workspaces_and_unusable_titles_write_nothing() {
    let slack = FakeSlack::start();
    let pipeline = connected(&slack);
    for text in ["help", "", "  HELP "] {
        let reply = run(&pipeline, &command(FAKE_TEAM_ID, "C0GENERAL", text, "t"));
        assert_eq!(reply.outcome, CommandOutcome::Help);
        assert!(answer(&reply).contains("/incident status"));
    }
    let stranger = run(
        &pipeline,
        &command("T0STRANGER", "C0GENERAL", "db down", "trig.5"),
    );
    assert_eq!(stranger.outcome, CommandOutcome::UnknownWorkspace);
    assert!(answer(&stranger).contains("not connected"));

    let too_long = "x".repeat(5_000);
    let refused = run(
        &pipeline,
        &command(FAKE_TEAM_ID, "C0GENERAL", &too_long, "trig.6"),
    );
    assert!(
        matches!(&refused.outcome, CommandOutcome::Refused { reason } if reason.contains("at most")),
        "{refused:?}"
    );
    assert!(answer(&refused).contains("No incident declared"));

    let ssl_check = run(&pipeline, b"ssl_check=1&token=x");
    assert_eq!(
        (ssl_check.outcome, ssl_check.body),
        (CommandOutcome::SslCheck, None::<Value>)
    );
    let rows = block_on(
        pipeline
            .db
            .query("SELECT id FROM incident_index", Vec::new()),
    )
    .unwrap();
    assert!(rows.is_empty(), "no incident");
    assert!(slack.calls().is_empty());
}
