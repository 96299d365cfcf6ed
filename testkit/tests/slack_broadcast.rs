//! High-severity incidents beyond their channel, and installations Slack disabled, on the
//! native pipeline against `FakeSlack`: a high incident is announced once in the tenant's
//! announcement channel (declared high, or raised later) and that message follows the
//! incident; a mention's thread copy is broadcast to its channel; `app_uninstalled` and
//! `tokens_revoked` disable the installation, later Slack steps fail at once saying why, and a
//! reinstall restores it.

use incidentd_adapters::slack::inbound::event_receiver::{handle_events, EventsOutcome};
use incidentd_adapters::slack::incident_keys as keys;
use incidentd_adapters::slack::installation::{self, DisabledReason, SettingsPatch};
use incidentd_adapters::slack::outbound::blocks::part;
use incidentd_adapters::slack::outbound::metadata::PostedFor;
use incidentd_core::{Command, IncidentState, Severity, Source, StartIncident, Status};
use incidentd_testkit::pipeline::{Pipeline, TENANT};
use incidentd_testkit::slack_workspace::{connect_as, connect_with, connected, key};
use incidentd_testkit::{FakeMessage, FakeSlack, FAKE_BOT_USER_ID, FAKE_TEAM_ID};
use pollster::block_on;
use serde_json::{json, Value};
use sluice::native::StepRecord;
use sluice::object::ObjectNamespace;

const NOW_MS: i64 = 1_795_878_245_000;

fn incident(pipeline: &Pipeline, id: &str) -> IncidentState {
    block_on(pipeline.handle(id).get()).unwrap().incident
}

fn posted_for(message: &FakeMessage) -> Option<PostedFor> {
    PostedFor::of_message(&json!({ "metadata": message.metadata }))
}

/// A connected pipeline whose tenant announces high-severity incidents in a channel of its
/// own (returned).
fn with_announcement_channel(slack: &FakeSlack) -> (Pipeline, String) {
    let pipeline = connected(slack);
    let announcements = slack.add_channel("incidents");
    let settings = SettingsPatch {
        announcement_channel: Some(Some(announcements.clone())),
        ..SettingsPatch::default()
    };
    connect_with(&pipeline, FAKE_TEAM_ID, settings);
    (pipeline, announcements)
}

fn broadcasts(slack: &FakeSlack, channel: &str) -> Vec<FakeMessage> {
    slack
        .channel(channel)
        .unwrap()
        .messages
        .into_iter()
        .filter(|m| posted_for(m).is_some_and(|p| p.part == part::BROADCAST))
        .collect()
}

fn events(pipeline: &Pipeline, body: Value) -> EventsOutcome {
    block_on(handle_events(
        pipeline.db.as_ref(),
        pipeline.incidents.as_ref(),
        body.to_string().as_bytes(),
        NOW_MS,
    ))
    .expect("handled")
}

#[test]
fn an_incident_raised_to_high_is_announced_once_in_the_announcement_channel_and_kept_current() {
    let slack = FakeSlack::start();
    let (pipeline, announcements) = with_announcement_channel(&slack);
    let id = pipeline.declare("Checkout is failing");
    pipeline.drain();
    assert!(
        broadcasts(&slack, &announcements).is_empty(),
        "medium: only its own channel"
    );

    let raised = pipeline.apply(
        &id,
        Command::SetSeverity {
            severity: Severity::High,
        },
    );
    pipeline.drain();
    let posted = broadcasts(&slack, &announcements);
    assert_eq!(posted.len(), 1);
    let state = incident(&pipeline, &id);
    let channel = &state.metadata[keys::CHANNEL];
    assert_eq!(
        posted_for(&posted[0]).unwrap().event_id,
        raised.event_id.unwrap()
    );
    let shown = posted[0].blocks.as_ref().unwrap().to_string();
    assert!(
        shown.contains("High-severity incident") && shown.contains(&format!("<#{channel}>")),
        "{shown}"
    );
    assert_eq!(state.metadata[keys::BROADCAST_TS], posted[0].ts);
    assert_eq!(state.metadata[keys::BROADCAST_CHANNEL], announcements);

    // Down and up again: still one broadcast, which follows the incident to its close.
    for severity in [Severity::Medium, Severity::High] {
        pipeline.apply(&id, Command::SetSeverity { severity });
    }
    pipeline.apply(
        &id,
        Command::UpdateStatus {
            status: Status::Resolved,
            message: "rolled back".into(),
        },
    );
    pipeline.drain();
    let posted = broadcasts(&slack, &announcements);
    assert_eq!(posted.len(), 1, "once per incident");
    let shown = posted[0].blocks.as_ref().unwrap().to_string();
    assert!(shown.contains("Resolved"), "re-rendered: {shown}");
}

#[test]
fn a_mention_declared_high_is_broadcast_from_its_thread_and_in_the_announcement_channel() {
    let slack = FakeSlack::start();
    let (pipeline, announcements) = with_announcement_channel(&slack);
    let general = slack.add_channel("general");
    let text = format!("<@{FAKE_BOT_USER_ID}> checkout is down for everyone");
    let mention_ts = slack.add_user_message(&general, "U0ALICE", &text, None);
    // Declared high from that mention, with the source the receiver records.
    let id = pipeline.incidents.id_from_name("high-mention").unwrap();
    let handle = pipeline.handle(&id);
    block_on(handle.start(StartIncident {
        id: id.clone(),
        tenant_id: TENANT.into(),
        prompt: "checkout is down for everyone".into(),
        title: None,
        severity: Some(Severity::High),
        created_by: "U0ALICE".into(),
        source: Source::Slack,
        entry_points: Vec::new(),
        services: Vec::new(),
    }))
    .unwrap();
    let source = [
        (keys::SOURCE_CHANNEL, general.as_str()),
        (keys::SOURCE_TS, mention_ts.as_str()),
        (keys::SOURCE_THREAD_TS, mention_ts.as_str()),
    ];
    block_on(
        handle.merge_metadata(
            source
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        ),
    )
    .unwrap();
    pipeline.alarm(&id);
    pipeline.drain();

    let posted = slack
        .calls_to("chat.postMessage")
        .into_iter()
        .find(|c| c.arg("channel") == general && c.arg("thread_ts") == mention_ts)
        .expect("the announcement in the mention's thread");
    assert_eq!(
        posted.body["reply_broadcast"], true,
        "shown in #general too"
    );
    let thread_copy = slack
        .channel(&general)
        .unwrap()
        .messages
        .into_iter()
        .find(|m| m.thread_ts.as_deref() == Some(mention_ts.as_str()))
        .unwrap();
    assert!(thread_copy.reply_broadcast);
    let broadcast = broadcasts(&slack, &announcements);
    assert_eq!(broadcast.len(), 1, "and in the announcement channel");
    assert_eq!(posted_for(&broadcast[0]).unwrap().event_id, 1);
}

#[test]
fn declared_in_the_announcement_channel_its_thread_copy_is_the_broadcast() {
    let slack = FakeSlack::start();
    let (pipeline, announcements) = with_announcement_channel(&slack);
    let text = format!("<@{FAKE_BOT_USER_ID}> payments fail");
    let mention_ts = slack.add_user_message(&announcements, "U0ALICE", &text, None);
    let EventsOutcome::Declared {
        incident_id: id, ..
    } = events(
        &pipeline,
        json!({
            "type": "event_callback", "team_id": FAKE_TEAM_ID, "api_app_id": "A0",
            "event_id": "Ev0THERE", "event_time": NOW_MS / 1_000,
            "event": { "type": "app_mention", "channel": announcements, "user": "U0ALICE",
                       "text": text, "ts": mention_ts },
        }),
    )
    else {
        panic!("declared")
    };
    pipeline.alarm(&id);
    pipeline.drain();
    pipeline.apply(
        &id,
        Command::SetSeverity {
            severity: Severity::High,
        },
    );
    pipeline.alarm(&id); // the pipeline drives the ids it declared only
    pipeline.drain();

    assert!(
        broadcasts(&slack, &announcements).is_empty(),
        "no second message where the thread is"
    );
    let thread_copy = slack
        .channel(&announcements)
        .unwrap()
        .messages
        .into_iter()
        .find(|m| m.thread_ts.as_deref() == Some(mention_ts.as_str()))
        .unwrap();
    assert!(thread_copy.reply_broadcast, "raised to high: broadcast");
}

#[test]
fn an_uninstalled_app_fails_later_slack_steps_at_once_saying_why_until_reinstalled() {
    let slack = FakeSlack::start();
    let pipeline = connected(&slack);
    let id = pipeline.declare("Checkout is failing");
    pipeline.drain();
    let calls_before = slack.calls().len();

    let uninstalled = json!({
        "type": "event_callback", "team_id": FAKE_TEAM_ID, "api_app_id": "A0",
        "event_id": "Ev0GONE", "event_time": NOW_MS / 1_000,
        "event": { "type": "app_uninstalled" },
    });
    assert_eq!(
        events(&pipeline, uninstalled.clone()),
        EventsOutcome::Disabled {
            tenant: TENANT.into(),
            team_id: FAKE_TEAM_ID.into(),
            reason: DisabledReason::AppUninstalled,
        }
    );
    // Slack repeats itself (a retry, or `tokens_revoked` after it): nothing left to disable.
    assert_eq!(
        events(&pipeline, uninstalled),
        EventsOutcome::UnknownWorkspace
    );
    let stored = block_on(installation::any_for_tenant(pipeline.db.as_ref(), TENANT))
        .unwrap()
        .unwrap();
    assert!(stored.token(&key()).is_err(), "the token is deleted");
    assert!(stored.disabled().is_some());

    let raised = pipeline.apply(
        &id,
        Command::SetSeverity {
            severity: Severity::High,
        },
    );
    pipeline.drain();
    assert_eq!(slack.calls().len(), calls_before, "no call to Slack");
    let step = format!("slack.severity_update:{}", raised.event_id.unwrap());
    let attempts: Vec<String> = pipeline
        .workflows
        .instance_ids()
        .iter()
        .filter_map(|i| pipeline.workflows.step(i))
        .flat_map(|step| step.records())
        .filter_map(|r| match r {
            StepRecord::Attempt {
                name,
                attempt,
                error: Some(error),
                ..
            } if name == step => {
                assert_eq!(attempt, 1, "never retried within a run");
                Some(error)
            }
            _ => None,
        })
        .collect();
    assert!(!attempts.is_empty());
    let expected =
        format!("the Slack app was uninstalled from workspace {FAKE_TEAM_ID}: reinstall the app");
    assert!(
        attempts.iter().all(|e| e.contains(&expected)),
        "{attempts:?}"
    );
    let failed = block_on(pipeline.handle(&id).failed_effects()).unwrap();
    let slack_failure = failed
        .iter()
        .find(|f| f.effect == "slack")
        .expect("the failed effect is listed");
    assert!(slack_failure.error.contains(&expected), "{failed:?}");

    // Reinstalled (the operator route here; OAuth stores the same way): Slack steps work
    // again, and the failed effect can be retried.
    connect_as(&pipeline, FAKE_TEAM_ID);
    block_on(
        pipeline
            .handle(&id)
            .retry_effect(slack_failure.event_id, "slack"),
    )
    .unwrap();
    pipeline.drain();
    let note = slack
        .calls_to("chat.postMessage")
        .into_iter()
        .filter_map(|c| PostedFor::of_message(&json!({ "metadata": c.body["metadata"] })))
        .any(|p| p.part == part::SEVERITY_NOTE && Some(p.event_id) == raised.event_id);
    assert!(note, "the retried effect posted its note");
}

#[test]
fn tokens_revoked_disables_only_when_it_names_the_bot_and_a_late_uninstall_spares_a_reinstall() {
    let slack = FakeSlack::start();
    let pipeline = connected(&slack);
    let revoked = |bots: &[&str], event_time: i64| {
        json!({
            "type": "event_callback", "team_id": FAKE_TEAM_ID, "api_app_id": "A0",
            "event_id": format!("Ev0REV{event_time}{}", bots.len()), "event_time": event_time,
            "event": { "type": "tokens_revoked", "tokens": { "oauth": ["U0ALICE"], "bot": bots } },
        })
    };
    assert_eq!(
        events(&pipeline, revoked(&[], NOW_MS / 1_000)),
        EventsOutcome::NotDisabled {
            team_id: FAKE_TEAM_ID.into()
        },
        "a user token is not incidentd's"
    );
    // An event from before the current install (a retry delivered late): nothing changes.
    let before_install = -1;
    assert!(matches!(
        events(&pipeline, revoked(&[FAKE_BOT_USER_ID], before_install)),
        EventsOutcome::NotDisabled { .. }
    ));
    assert!(
        block_on(installation::by_team(pipeline.db.as_ref(), FAKE_TEAM_ID))
            .unwrap()
            .is_some(),
        "still connected"
    );
    assert_eq!(
        events(&pipeline, revoked(&[FAKE_BOT_USER_ID], NOW_MS / 1_000)),
        EventsOutcome::Disabled {
            tenant: TENANT.into(),
            team_id: FAKE_TEAM_ID.into(),
            reason: DisabledReason::TokensRevoked,
        }
    );
    let disabled = block_on(installation::any_for_tenant(pipeline.db.as_ref(), TENANT))
        .unwrap()
        .unwrap()
        .disabled()
        .expect("disabled");
    assert_eq!(disabled.reason, DisabledReason::TokensRevoked);
    assert_eq!(disabled.at_ms, Some(NOW_MS));
    assert!(
        disabled.to_string().starts_with(&format!(
            "the Slack bot token of workspace {FAKE_TEAM_ID} was revoked"
        )),
        "{disabled}"
    );
}
