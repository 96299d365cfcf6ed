//! The Slack sender against `FakeSlack`, inside the native pipeline (real Incident objects and
//! their write-backs, the workflow engine's retries on a virtual clock, D1 with migrations).

use incidentd_adapters::dashboard::identifiers;
use incidentd_adapters::slack::config;
use incidentd_adapters::slack::inbound::event_receiver::{handle_events, EventsOutcome};
use incidentd_adapters::slack::incident_keys as keys;
use incidentd_adapters::slack::installation::SettingsPatch;
use incidentd_adapters::slack::outbound::api::CALL_TIMEOUT;
use incidentd_adapters::slack::outbound::blocks::part;
use incidentd_adapters::slack::outbound::channel_name::ChannelNames;
use incidentd_adapters::slack::outbound::metadata::PostedFor;
use incidentd_core::testing::events::{self, test_event};
use incidentd_core::IncidentState;
use incidentd_testkit::pipeline::{Pipeline, TENANT};
use incidentd_testkit::slack_workspace::{connect_with, connected, key_b64};
use incidentd_testkit::{FakeSlack, Fault, FAKE_BOT_TOKEN, FAKE_BOT_USER_ID, FAKE_TEAM_ID};
use pollster::block_on;
use serde_json::json;
use sluice::native::{HandlerTest, StepRecord};
use std::time::Duration;

fn incident(pipeline: &Pipeline, id: &str) -> IncidentState {
    block_on(pipeline.handle(id).get()).unwrap().incident
}

fn meta<'a>(incident: &'a IncidentState, key: &str) -> &'a str {
    incident
        .metadata
        .get(key)
        .unwrap_or_else(|| panic!("{key} in {:?}", incident.metadata))
}

#[test]
fn a_new_incident_gets_its_channel_and_a_pinned_announcement_written_back() {
    let slack = FakeSlack::start();
    let pipeline = connected(&slack);
    let id = pipeline.declare("Checkout is failing");
    pipeline.drain();
    assert_eq!(pipeline.successful_steps("slack.incident_created:1"), 1);

    let state = incident(&pipeline, &id);
    let names = ChannelNames::new(&id, &state.title, state.created_at);
    let channel = slack
        .channel_named(&names.plain)
        .expect("the channel, plain name");
    assert_eq!(meta(&state, keys::CHANNEL), channel.id);
    assert_eq!(meta(&state, keys::CHANNEL_NAME), names.plain);
    assert_eq!(channel.messages.len(), 1, "one announcement");
    let announcement = &channel.messages[0];
    assert_eq!(
        PostedFor::of_message(&json!({ "metadata": announcement.metadata })),
        Some(PostedFor::new(&id, 1, part::ANNOUNCEMENT))
    );
    assert_eq!(channel.pins, std::slice::from_ref(&announcement.ts));
    assert_eq!(meta(&state, keys::ANNOUNCEMENT_TS), announcement.ts);
    // The dashboard user is not a Slack user: nobody to invite.
    assert!(slack.calls_to("conversations.invite").is_empty());
    let found = block_on(identifiers::find(
        pipeline.db.as_ref(),
        TENANT,
        &format!("slack-channel:{}", channel.id),
    ))
    .unwrap();
    assert_eq!(
        found.as_deref(),
        Some(id.as_str()),
        "messages there find the incident"
    );
    // The token went to Slack as a bearer header only.
    let view = serde_json::to_string(&block_on(pipeline.handle(&id).get()).unwrap()).unwrap();
    assert!(!view.contains(FAKE_BOT_TOKEN));
    assert!(slack.calls().iter().all(|c| {
        c.header("authorization") == Some(format!("Bearer {FAKE_BOT_TOKEN}").as_str())
            && !c.body.to_string().contains(FAKE_BOT_TOKEN)
    }));
}

#[test]
fn a_retry_after_the_post_finds_the_announcement_instead_of_posting_again() {
    let slack = FakeSlack::start();
    let pipeline = connected(&slack);
    // The announcement is posted, then pinning fails twice (the client asks `pins.add` once
    // more by itself): the step is retried from the top.
    slack.fail_next("pins.add", 2, Fault::ServerError);
    let id = pipeline.declare("Checkout is failing");
    pipeline.drain();

    assert_eq!(slack.calls_to("chat.postMessage").len(), 1, "posted once");
    assert_eq!(
        slack.calls_to("conversations.create").len(),
        1,
        "the channel was reused"
    );
    let history = slack.calls_to("conversations.history");
    assert_eq!(history.len(), 1, "the retry searched before posting");
    // A read goes as a form: the flag is the text Slack reads.
    assert_eq!(history[0].arg("include_all_metadata"), "true");
    let channel = slack
        .channel(meta(&incident(&pipeline, &id), keys::CHANNEL))
        .unwrap();
    assert_eq!(channel.messages.len(), 1);
    assert_eq!(channel.pins, [channel.messages[0].ts.clone()]);
}

#[test]
fn a_post_whose_answer_never_came_is_looked_up_not_repeated() {
    let slack = FakeSlack::start();
    let pipeline = connected(&slack);
    // Slack posts it but answers after the client gave up: the outcome is unknown.
    slack.fail_next(
        "chat.postMessage",
        1,
        Fault::Slow(Duration::from_millis(CALL_TIMEOUT.as_millis() + 300)),
    );
    let id = pipeline.declare("Checkout is failing");
    pipeline.drain();

    assert_eq!(pipeline.successful_steps("slack.incident_created:1"), 1);
    assert_eq!(slack.calls_to("chat.postMessage").len(), 1);
    let channel = slack
        .channel(meta(&incident(&pipeline, &id), keys::CHANNEL))
        .unwrap();
    assert_eq!(
        channel.messages.len(),
        1,
        "found by its metadata, not posted again"
    );
    assert_eq!(channel.pins.len(), 1);
}

#[test]
fn a_rate_limited_call_waits_retry_after_and_a_taken_name_gets_the_incidents_suffix() {
    let slack = FakeSlack::start();
    let pipeline = connected(&slack);
    slack.fail_next(
        "conversations.create",
        1,
        Fault::RateLimited {
            retry_after_secs: 7,
        },
    );
    let id = pipeline.declare("Checkout is failing");
    let state = incident(&pipeline, &id);
    let names = ChannelNames::new(&id, &state.title, state.created_at);
    slack.add_channel(&names.plain); // someone else's channel
    pipeline.drain();

    assert_eq!(
        meta(&incident(&pipeline, &id), keys::CHANNEL_NAME),
        names.suffixed
    );
    assert!(slack.channel_named(&names.suffixed).is_some());
    let attempts: Vec<u64> = pipeline
        .workflows
        .instance_ids()
        .iter()
        .filter_map(|i| pipeline.workflows.step(i))
        .flat_map(|step| step.records())
        .filter_map(|r| match r {
            // The refused attempt, then its follow-up step after the durable sleep.
            StepRecord::Attempt { name, at, .. }
                if name.starts_with("slack.incident_created:1") =>
            {
                Some(at)
            }
            _ => None,
        })
        .collect();
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    assert_eq!(
        attempts[1] - attempts[0],
        7_000,
        "Retry-After, not the policy's 2 s"
    );
}

#[test]
fn a_channel_whose_create_answer_never_came_is_found_by_name_not_created_again() {
    let slack = FakeSlack::start();
    let pipeline = connected(&slack);
    // Slack creates the channel but answers after the client gave up.
    slack.fail_next(
        "conversations.create",
        1,
        Fault::Slow(Duration::from_millis(CALL_TIMEOUT.as_millis() + 300)),
    );
    let id = pipeline.declare("Checkout is failing");
    pipeline.drain();

    let state = incident(&pipeline, &id);
    let names = ChannelNames::new(&id, &state.title, state.created_at);
    let channel = slack
        .channel_named(&names.plain)
        .expect("the first attempt's channel");
    assert_eq!(meta(&state, keys::CHANNEL), channel.id, "adopted");
    assert!(
        slack.channel_named(&names.suffixed).is_none(),
        "no second channel"
    );
    assert_eq!(slack.calls_to("conversations.create").len(), 2);
    assert!(!slack.calls_to("conversations.list").is_empty());
    assert_eq!(channel.messages.len(), 1, "one announcement");
}

#[test]
fn incidents_with_the_same_title_on_the_same_day_never_share_a_channel() {
    let slack = FakeSlack::start();
    let pipeline = connected(&slack);
    let first = pipeline.declare("Checkout is failing");
    let second = pipeline.declare("Checkout is failing");
    pipeline.drain();

    let (a, b) = (incident(&pipeline, &first), incident(&pipeline, &second));
    assert_ne!(meta(&a, keys::CHANNEL), meta(&b, keys::CHANNEL));
    let plain = ChannelNames::new(&first, &a.title, a.created_at).plain;
    let holders = [&a, &b]
        .iter()
        .filter(|i| meta(i, keys::CHANNEL_NAME) == plain)
        .count();
    assert_eq!(holders, 1, "one of them has the readable name");
    for state in [&a, &b] {
        let channel = slack.channel(meta(state, keys::CHANNEL)).unwrap();
        assert_eq!(channel.messages.len(), 1, "{}: one announcement", state.id);
    }
}

#[test]
fn a_mention_gets_a_fire_reaction_and_the_announcement_in_its_thread() {
    let slack = FakeSlack::start();
    let pipeline = connected(&slack);
    let general = slack.add_channel("general");
    let text = format!("<@{FAKE_BOT_USER_ID}> checkout is failing");
    let mention_ts = slack.add_user_message(&general, "U0ALICE", &text, None);
    let body = json!({
        "type": "event_callback", "team_id": FAKE_TEAM_ID, "api_app_id": "A0",
        "event_id": "Ev0MENTION", "event_time": 1_795_878_245,
        "event": { "type": "app_mention", "channel": general, "user": "U0ALICE", "text": text, "ts": mention_ts },
    })
    .to_string();
    let outcome = block_on(handle_events(
        pipeline.db.as_ref(),
        pipeline.incidents.as_ref(),
        body.as_bytes(),
        1_795_878_245_000,
    ))
    .unwrap();
    let EventsOutcome::Declared {
        incident_id: id, ..
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    pipeline.alarm(&id); // forwards INCIDENT_CREATED (the pipeline drives declared ids only)
    pipeline.drain();

    let state = incident(&pipeline, &id);
    let channel = slack.channel(meta(&state, keys::CHANNEL)).unwrap();
    assert!(
        channel.members.contains(&"U0ALICE".to_owned()),
        "the declarer is invited"
    );
    assert_eq!(channel.pins.len(), 1);
    let source = slack.channel(&general).unwrap();
    let mention = source.messages.iter().find(|m| m.ts == mention_ts).unwrap();
    assert_eq!(mention.reactions, ["fire"]);
    let replies: Vec<_> = source
        .messages
        .iter()
        .filter(|m| m.thread_ts.as_deref() == Some(mention_ts.as_str()))
        .collect();
    assert_eq!(replies.len(), 1, "one answer in the thread");
    assert!(
        replies[0]
            .blocks
            .as_ref()
            .unwrap()
            .to_string()
            .contains(&format!("<#{}>", channel.id)),
        "it links the channel"
    );
    assert_eq!(meta(&state, keys::SOURCE_REPLY_TS), replies[0].ts);
    let thread = format!("slack-thread:{general}:{mention_ts}");
    let found = block_on(identifiers::find(pipeline.db.as_ref(), TENANT, &thread)).unwrap();
    assert_eq!(found.as_deref(), Some(id.as_str()));
}

#[test]
fn a_tenant_without_a_workspace_gets_no_slack_calls() {
    incidentd_adapters::link();
    let slack = FakeSlack::start();
    let db = incidentd_testkit::pipeline::database();
    let test = HandlerTest::new(incidentd_core::INCIDENT_WORKFLOW)
        .var(config::API_URL_VAR, slack.api_url())
        .var(config::TOKEN_KEY_VAR, key_b64())
        .database(incidentd_adapters::dashboard::INDEX_DATABASE, db);
    assert_eq!(
        test.run("slack", &test_event(&events::incident_created())),
        Ok(())
    );
    assert!(slack.calls().is_empty());
}

#[test]
fn slack_errors_retry_only_when_a_retry_can_help() {
    let attempts = |pipeline: &Pipeline| -> Vec<Option<String>> {
        pipeline
            .workflows
            .instance_ids()
            .iter()
            .filter_map(|i| pipeline.workflows.step(i))
            .flat_map(|step| step.records())
            .filter_map(|r| match r {
                // The delivery's attempts: its step, then `#attempt-<n>` steps.
                StepRecord::Attempt { name, error, .. }
                    if name == "slack.incident_created:1"
                        || name.starts_with("slack.incident_created:1#attempt-") =>
                {
                    Some(error)
                }
                _ => None,
            })
            .collect()
    };
    // Slack's own hiccup: retried, then done.
    let slack = FakeSlack::start();
    let pipeline = connected(&slack);
    slack.fail_next(
        "conversations.create",
        1,
        Fault::Error("internal_error".into()),
    );
    pipeline.declare("Checkout is failing");
    pipeline.drain();
    let transient = attempts(&pipeline);
    assert_eq!(transient.len(), 2, "{transient:?}");
    assert_eq!(transient[1], None);

    // A refusal a retry cannot change (a workspace policy, a missing scope): one attempt.
    let slack = FakeSlack::start();
    let pipeline = connected(&slack);
    // (A failed attempt is memoised like a result: the later replays of the run, for
    // triage's note and the object's re-sends, do not run it again.)
    slack.fail_next(
        "conversations.create",
        1,
        Fault::Error("restricted_action".into()),
    );
    pipeline.declare("Checkout is failing");
    pipeline.drain();
    let refused = attempts(&pipeline);
    assert_eq!(refused.len(), 1, "one attempt, never retried: {refused:?}");
    assert!(refused[0]
        .as_deref()
        .is_some_and(|e| e.contains("conversations.create: restricted_action")));
    assert!(slack.calls_to("chat.postMessage").is_empty());
}

#[test]
fn an_incident_closed_before_its_announcement_still_gets_its_summary_and_archive() {
    let slack = FakeSlack::start();
    // Archiving on close is the installation's default.
    let pipeline = connected(&slack);
    // Declared and resolved in one breath: both events are forwarded before the Slack sender
    // has created the channel and written its id back.
    let id = pipeline.declare("Checkout is failing");
    pipeline.apply(
        &id,
        incidentd_core::Command::UpdateStatus {
            status: incidentd_core::Status::Resolved,
            message: "false alarm".into(),
        },
    );
    pipeline.drain();

    let created = slack.calls_to("conversations.create");
    assert_eq!(created.len(), 1);
    let channel = slack.channel_named(created[0].arg("name")).unwrap();
    let parts: Vec<String> = channel
        .messages
        .iter()
        .filter_map(|m| PostedFor::of_message(&json!({ "metadata": m.metadata })))
        .map(|p| p.part)
        .collect();
    assert_eq!(parts, [part::ANNOUNCEMENT, part::CLOSING_SUMMARY]);
    assert!(channel.is_archived, "archived after the summary");
    // Only then is the object finalised.
    assert_eq!(
        block_on(pipeline.handle(&id).get()).map(|_| ()),
        Err(incidentd_core::IncidentCallError::Domain(
            incidentd_core::DomainError::NotFound
        ))
    );
}

/// The parts of the messages in `channel` at the fake, in order.
fn parts_in(slack: &FakeSlack, channel: &str) -> Vec<String> {
    slack
        .channel(channel)
        .unwrap()
        .messages
        .iter()
        .filter_map(|m| PostedFor::of_message(&json!({ "metadata": m.metadata })))
        .map(|p| p.part)
        .collect()
}

#[test]
fn the_analysis_is_posted_once_in_the_incident_channel_unless_it_was_archived() {
    for archive_on_close in [false, true] {
        let slack = FakeSlack::start();
        let pipeline = connected(&slack);
        let settings = SettingsPatch {
            archive_on_close: Some(archive_on_close),
            ..SettingsPatch::default()
        };
        connect_with(&pipeline, FAKE_TEAM_ID, settings);
        let id = pipeline.declare("Checkout is failing");
        pipeline.drain();
        let channel = meta(&incident(&pipeline, &id), keys::CHANNEL).to_owned();
        pipeline.apply(
            &id,
            incidentd_core::Command::UpdateStatus {
                status: incidentd_core::Status::Resolved,
                message: "fixed".into(),
            },
        );
        pipeline.drain();

        let parts = parts_in(&slack, &channel);
        let analyses = parts.iter().filter(|p| *p == part::ANALYSIS).count();
        if archive_on_close {
            // Archived with the closing summary: the analysis stays in incidentd.
            assert_eq!(analyses, 0, "{parts:?}");
            assert!(slack.channel(&channel).unwrap().is_archived);
        } else {
            assert_eq!(
                parts.last().map(String::as_str),
                Some(part::ANALYSIS),
                "{parts:?}"
            );
            assert_eq!(analyses, 1);
            let analysis = slack
                .channel(&channel)
                .unwrap()
                .messages
                .last()
                .unwrap()
                .clone();
            assert!(analysis.text.starts_with("Analysis: "), "{analysis:?}");
        }
    }
}

#[test]
fn a_prompt_made_in_slack_gets_an_eyes_reaction_and_a_dashboard_prompt_none() {
    let slack = FakeSlack::start();
    let pipeline = connected(&slack);
    let id = pipeline.declare("Checkout is failing");
    pipeline.drain();
    let channel = meta(&incident(&pipeline, &id), keys::CHANNEL).to_owned();
    let asked = slack.add_user_message(&channel, "U0ALICE", "<@UFAKEBOT> what changed?", None);
    let prompt = |prompt_id: String| incidentd_core::Command::AddPrompt {
        prompt: "what changed?".into(),
        prompt_id,
        user_id: "U0ALICE".into(),
    };
    pipeline.apply(&id, prompt(format!("{channel}:{asked}")));
    pipeline.apply(&id, prompt("dashboard-prompt-1".into()));
    pipeline.drain();

    let reactions = slack.calls_to("reactions.add");
    assert_eq!(reactions.len(), 1, "{reactions:?}");
    let message = slack
        .channel(&channel)
        .unwrap()
        .messages
        .into_iter()
        .find(|m| m.ts == asked)
        .unwrap();
    assert_eq!(message.reactions, ["eyes"]);
}

#[test]
fn an_update_while_the_announcement_is_a_dead_letter_announces_the_incident_as_it_is_now() {
    let slack = FakeSlack::start();
    let pipeline = connected(&slack);
    // The engine refuses `INCIDENT_CREATED` until it is a dead letter.
    pipeline.workflows.fail_when(|_, _, payload| {
        (payload["event_id"] == 1).then(|| "engine refused event 1".to_owned())
    });
    let id = pipeline.declare("Checkout is failing");
    pipeline.drain();
    let dead: Vec<i64> = block_on(pipeline.handle(&id).dead_letters())
        .unwrap()
        .iter()
        .map(|e| e.event_id)
        .collect();
    assert_eq!(dead, [1]);
    pipeline.workflows.clear_faults();
    pipeline.apply(
        &id,
        incidentd_core::Command::SetSeverity {
            severity: incidentd_core::Severity::Low,
        },
    );
    pipeline.drain();

    // The update announced the incident as it is now, then posted its note.
    let channel = meta(&incident(&pipeline, &id), keys::CHANNEL).to_owned();
    assert_eq!(
        parts_in(&slack, &channel),
        [part::ANNOUNCEMENT, part::SEVERITY_NOTE]
    );
    let announcement = &slack.channel(&channel).unwrap().messages[0];
    let shown = format!("{} {:?}", announcement.text, announcement.blocks);
    assert!(shown.contains("Low"), "the current severity: {shown}");

    // The announcement's own event, replayed later, finds the work done.
    block_on(pipeline.handle(&id).replay(1)).unwrap();
    pipeline.drain();
    assert_eq!(slack.calls_to("conversations.create").len(), 1);
    assert_eq!(
        parts_in(&slack, &channel),
        [part::ANNOUNCEMENT, part::SEVERITY_NOTE]
    );
    assert!(block_on(pipeline.handle(&id).dead_letters())
        .unwrap()
        .is_empty());
}
