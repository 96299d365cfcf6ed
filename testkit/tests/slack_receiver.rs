//! The Events API receiver on the native pipeline (real Incident objects, D1 with the
//! migrations): a mention declares one incident however often Slack delivers it, a message in
//! an incident's channel lands on its timeline once, and an unknown workspace writes nothing.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use incidentd_adapters::dashboard::identifiers;
use incidentd_adapters::slack::inbound::classify::{channel_identifier, IgnoreReason};
use incidentd_adapters::slack::inbound::event_receiver::{handle_events, EventsOutcome};
use incidentd_adapters::slack::incident_keys as keys;
use incidentd_adapters::slack::installation::{self, NewInstallation};
use incidentd_adapters::slack::token_crypto::TokenKey;
use incidentd_core::{ActorKind, DomainError, IncidentCallError, IncidentServices, Source};
use incidentd_testkit::pipeline::{Pipeline, TENANT};
use incidentd_wire::secret::Secret;
use pollster::block_on;
use serde_json::{json, Value};
use sluice::object::ObjectNamespace;
use sluice::sql::Database;

const TEAM: &str = "T0TEAM";
const BOT: &str = "U0BOT";
const NOW_MS: i64 = 1_795_878_245_000;

fn connected() -> Pipeline {
    let pipeline = Pipeline::new();
    let key = TokenKey::from_base64(&Secret::new(BASE64.encode([3; 32]))).unwrap();
    let workspace = NewInstallation {
        tenant_id: TENANT.into(),
        team_id: TEAM.into(),
        enterprise_id: None,
        app_id: None,
        bot_user_id: BOT.into(),
        scopes: String::new(),
        token: Secret::new("xoxb-receiver-test"),
        settings: Default::default(),
    };
    block_on(installation::store(
        pipeline.db.as_ref(),
        &key,
        &workspace,
        0,
    ))
    .unwrap();
    pipeline
}

fn callback(team: &str, event_id: &str, event: Value) -> Vec<u8> {
    json!({
        "type": "event_callback", "team_id": team, "api_app_id": "A0APP",
        "event_id": event_id, "event_time": NOW_MS / 1_000, "event": event,
    })
    .to_string()
    .into_bytes()
}

fn mention(channel: &str, ts: &str, text: &str) -> Value {
    json!({ "type": "app_mention", "channel": channel, "user": "U0ALICE", "text": text, "ts": ts })
}

fn receive(pipeline: &Pipeline, body: &[u8]) -> EventsOutcome {
    block_on(handle_events(
        pipeline.db.as_ref(),
        pipeline.incidents.as_ref(),
        body,
        NOW_MS,
    ))
    .expect("handled")
}

#[test]
fn a_mention_declares_one_incident_however_often_slack_delivers_it() {
    let pipeline = connected();
    let body = callback(
        TEAM,
        "Ev01",
        mention("C0GENERAL", "1.000100", "<@U0BOT> checkout is failing"),
    );
    let first = receive(&pipeline, &body);
    let EventsOutcome::Declared {
        incident_id,
        created: true,
    } = &first
    else {
        panic!("declared: {first:?}")
    };
    for _ in 0..3 {
        assert_eq!(
            receive(&pipeline, &body),
            EventsOutcome::Declared {
                incident_id: incident_id.clone(),
                created: false
            },
            "a retry reaches the same incident"
        );
    }
    let view = block_on(pipeline.handle(incident_id).get()).unwrap();
    let incident = &view.incident;
    assert_eq!(incident.prompt, "checkout is failing");
    assert_eq!(
        (incident.source, incident.created_by.as_str()),
        (Source::Slack, "U0ALICE")
    );
    assert_eq!(view.timeline.len(), 1, "one INCIDENT_CREATED");
    let source = |key: &str| incident.metadata.get(key).map(String::as_str);
    assert_eq!(
        (
            source(keys::SOURCE_CHANNEL),
            source(keys::SOURCE_TS),
            source(keys::SOURCE_THREAD_TS)
        ),
        (Some("C0GENERAL"), Some("1.000100"), Some("1.000100"))
    );
}

#[test]
fn messages_in_an_incidents_channel_reach_its_timeline_once() {
    let pipeline = connected();
    let id = pipeline.declare("checkout is failing");
    pipeline.drain(); // the index row exists
    block_on(identifiers::add(
        pipeline.db.as_ref(),
        &id,
        &[channel_identifier("C0INC")],
    ))
    .unwrap();
    let message = json!({ "type": "message", "channel": "C0INC", "channel_type": "channel",
        "user": "U0BOB", "text": "rolled back the deploy", "ts": "2.000200" });
    assert_eq!(
        receive(&pipeline, &callback(TEAM, "Ev02", message.clone())),
        EventsOutcome::Recorded {
            incident_id: id.clone(),
            duplicate: false
        }
    );
    // Slack's retry, and the same message delivered under another event id.
    for event_id in ["Ev02", "Ev03"] {
        assert_eq!(
            receive(&pipeline, &callback(TEAM, event_id, message.clone())),
            EventsOutcome::Recorded {
                incident_id: id.clone(),
                duplicate: true
            }
        );
    }
    let view = block_on(pipeline.services.incident(&id, TENANT).unwrap().get()).unwrap();
    let added: Vec<_> = view
        .timeline
        .iter()
        .filter(|e| e.event_type == "MESSAGE_ADDED")
        .collect();
    assert_eq!(added.len(), 1);
    let actor = added[0].actor.as_ref().expect("an actor");
    assert_eq!(
        (actor.kind, actor.id.as_deref()),
        (ActorKind::Slack, Some("U0BOB"))
    );

    // The bot's own posts there are not recorded.
    let own = json!({ "type": "message", "channel": "C0INC", "user": BOT, "text": "Incident: …", "ts": "2.000300" });
    assert_eq!(
        receive(&pipeline, &callback(TEAM, "Ev04", own)),
        EventsOutcome::Ignored(IgnoreReason::OwnMessage)
    );
}

#[test]
fn a_mention_in_an_incidents_channel_is_a_prompt_for_the_agent_added_once() {
    let pipeline = connected();
    let id = pipeline.declare("checkout is failing");
    pipeline.drain();
    block_on(identifiers::add(
        pipeline.db.as_ref(),
        &id,
        &[channel_identifier("C0INC")],
    ))
    .unwrap();
    let asked = mention(
        "C0INC",
        "4.000100",
        "<@U0BOT> what changed in the last hour?",
    );
    let prompted = |duplicate| EventsOutcome::Prompted {
        incident_id: id.clone(),
        duplicate,
    };
    assert_eq!(
        receive(&pipeline, &callback(TEAM, "Ev06", asked.clone())),
        prompted(false)
    );
    // Slack's retry of the event: the object deduplicates on the prompt id.
    assert_eq!(
        receive(&pipeline, &callback(TEAM, "Ev06", asked)),
        prompted(true)
    );
    // A mention with nothing to ask is no prompt.
    let empty = mention("C0INC", "4.000200", "<@U0BOT>");
    assert_eq!(
        receive(&pipeline, &callback(TEAM, "Ev07", empty)),
        EventsOutcome::Ignored(IgnoreReason::EmptyMention)
    );

    let view = block_on(pipeline.handle(&id).get()).unwrap();
    let prompts: Vec<_> = view
        .timeline
        .iter()
        .filter(|e| e.event_type == "PROMPT_ADDED")
        .collect();
    assert_eq!(prompts.len(), 1);
    assert_eq!(
        (
            prompts[0].data["prompt"].as_str(),
            prompts[0].data["prompt_id"].as_str()
        ),
        (
            Some("what changed in the last hour?"),
            Some("C0INC:4.000100")
        )
    );
    let actor = prompts[0].actor.as_ref().expect("an actor");
    assert_eq!(
        (actor.kind, actor.id.as_deref()),
        (ActorKind::Slack, Some("U0ALICE"))
    );
    // The agent dispatcher starts one prompt workflow from the event.
    pipeline.alarm(&id);
    pipeline.drain();
    assert_eq!(pipeline.prompts.instance_ids().len(), 1);
}

#[test]
fn an_unknown_workspace_or_a_challenge_writes_nothing() {
    let pipeline = connected();
    let body = callback(
        "T0OTHER",
        "Ev05",
        mention("C0GENERAL", "3.0", "<@U0BOT> db down"),
    );
    assert_eq!(receive(&pipeline, &body), EventsOutcome::UnknownWorkspace);
    let challenge = br#"{"type":"url_verification","token":"t","challenge":"abc123"}"#;
    assert_eq!(
        receive(&pipeline, challenge),
        EventsOutcome::Challenge("abc123".into())
    );
    let rows = block_on(pipeline.db.query("SELECT id FROM incident_index", vec![])).unwrap();
    assert!(rows.is_empty());
    // Had it been taken for a declaration, this is the object it would have started.
    let would_be = pipeline
        .incidents
        .id_from_name("slack-event:T0OTHER:Ev05")
        .unwrap();
    let never_started = block_on(pipeline.handle(&would_be).get());
    assert!(
        matches!(
            never_started,
            Err(IncidentCallError::Domain(DomainError::NotFound))
        ),
        "{never_started:?}"
    );
}
