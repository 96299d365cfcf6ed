//! One whole incident through Slack, end to end on local workerd, against a `FakeSlack` that
//! reads only the encodings Slack documents: a mention declares it (channel, announcement,
//! thread copy), the severity select raises it to high (the announcement channel's broadcast,
//! the thread copy broadcast to its channel), `/incident status` answers, the status page is
//! opened and moved on (each change noted in the channel), and resolving it posts the closing
//! summary and archives the channel. Each step's Slack calls are checked, and the run ends
//! with no contract violation and no warning recorded by the fake. The same run again with
//! the fake LLM as a reasoning model in strict mode (`LLM_MODEL` set to it), so triage, an
//! agent turn and the post-incident analysis run as well.

use incidentctl::slack::{severity_selected, slash_command, Said, SlackRequest, Workspace};
use incidentd_adapters::slack::outbound::blocks::part;
use incidentd_adapters::slack::outbound::metadata::PostedFor;
use incidentd_core::Severity;
use incidentd_e2e::slack::{
    announced_channels, connect_with, deliver, new_mention, post_signed, ADMIN_TOKEN,
    SIGNING_SECRET, TOKEN_KEY,
};
use incidentd_e2e::{poll, LocalWorker};
use incidentd_testkit::{
    FakeChannel, FakeLlm, FakeMessage, FakeReply, FakeSlack, SlackCall, FAKE_TEAM_ID,
};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(40);
const LLM_KEY: &str = "sk-e2e-incident-run";

fn workspace() -> Workspace<'static> {
    Workspace {
        team_id: FAKE_TEAM_ID,
        app_id: "A0E2E",
    }
}

fn posted_for(message: &FakeMessage) -> Option<PostedFor> {
    PostedFor::of_message(&json!({ "metadata": message.metadata }))
}

fn call_part(call: &SlackCall) -> Option<String> {
    PostedFor::of_message(&json!({ "metadata": call.body["metadata"] })).map(|p| p.part)
}

/// Messages of `channel` posted for `part`, oldest first.
fn parts_in(slack: &FakeSlack, channel: &str, wanted: &str) -> Vec<FakeMessage> {
    slack
        .channel(channel)
        .map(|c| c.messages)
        .unwrap_or_default()
        .into_iter()
        .filter(|m| posted_for(m).is_some_and(|p| p.part == wanted))
        .collect()
}

/// Waits until `check` holds, or fails with what the worker logged.
fn wait_for<T>(worker: &LocalWorker, what: &str, check: impl FnMut() -> Option<T>) -> T {
    poll(WAIT, check).unwrap_or_else(|| panic!("{what} within {WAIT:?}; log:\n{}", worker.log()))
}

fn post(worker: &LocalWorker, path: &str, body: &Value) -> Value {
    let reply = worker.client("demo").post(path, body).unwrap();
    assert!(
        (200..300).contains(&reply.status),
        "{path}: {} {:?}",
        reply.status,
        reply.body
    );
    reply.body
}

fn incident(worker: &LocalWorker, id: &str) -> Value {
    let reply = worker
        .client("demo")
        .get(&format!("/dashboard/incidents/{id}"))
        .unwrap();
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body
}

fn signed(worker: &LocalWorker, request: &SlackRequest) -> (u16, Value) {
    post_signed(worker, request, SIGNING_SECRET, &[])
}

/// What the model says in the strict run: triage keeps the declaration's severity, the agent
/// proposes one status change and then ends its turn, the analysis writes a review.
fn model_answer(body: &Value) -> FakeReply {
    match body["response_format"]["json_schema"]["name"].as_str() {
        Some("incident_triage") => FakeReply::Json(json!({
            "entry_point": null, "severity": "medium",
            "title": "Checkout fails for every customer",
            "description": "Every checkout attempt fails since 10:02."
        })),
        Some("postmortem") => FakeReply::Json(json!({
            "summary": "A deploy broke checkout; it was rolled back.",
            "timeline": [{ "at": "T+00:00:00", "event": "declared" }],
            "root_cause": "a bad deploy",
            "impact": "checkout failed for every customer",
            "action_items": [{ "title": "add a canary", "owner": null }]
        })),
        _ => {
            let answered_a_call = body["messages"]
                .as_array()
                .and_then(|m| m.last())
                .is_some_and(|m| m["role"] == "tool");
            let can_suggest = body["tools"].as_array().is_some_and(|tools| {
                tools
                    .iter()
                    .any(|t| t["function"]["name"] == "suggest_status")
            });
            if answered_a_call || !can_suggest {
                FakeReply::Text("nothing more to suggest".into())
            } else {
                FakeReply::ToolCalls(vec![(
                    "suggest_status".into(),
                    json!({ "status": "mitigating", "message": "the deploy was rolled back",
                            "rationale": "people report the rollback" }),
                )])
            }
        }
    }
}

/// The run; `llm` configures the worker's model when given.
fn whole_incident(name: &str, llm: Option<&FakeLlm>) {
    let started = Instant::now();
    let slack = FakeSlack::start();
    let general = slack.add_channel("general");
    let announcements = slack.add_channel("incidents");
    let mut vars = vec![("SLACK_API_URL", slack.api_url())];
    let mut secrets = vec![
        ("SLACK_SIGNING_SECRET", SIGNING_SECRET.to_owned()),
        ("SLACK_TOKEN_KEY", TOKEN_KEY.to_owned()),
        ("ADMIN_TOKEN", ADMIN_TOKEN.to_owned()),
    ];
    if let Some(llm) = llm {
        vars.push(("LLM_BASE_URL", llm.base_url()));
        vars.push(("LLM_MODEL", llm.model().to_owned()));
        vars.push(("AGENT_QUIET_SECONDS", "1".to_owned()));
        secrets.push(("LLM_API_KEY", LLM_KEY.to_owned()));
    }
    let worker = LocalWorker::start_with_secrets(name, &borrowed(&vars), &borrowed(&secrets));
    let connected = connect_with(&worker, ADMIN_TOKEN, None, Some(&announcements));
    assert_eq!(connected.status, 201, "{:?}", connected.body);
    let ready = started.elapsed();

    // 1. A mention declares the incident: its channel, the pinned announcement, the thread
    // copy under the mention (medium: not broadcast), the `fire` reaction.
    let mention = new_mention(
        &slack,
        &general,
        "Ev0RUN0001",
        "checkout is failing for every customer",
    );
    let mention_ts = mention["event"]["ts"].as_str().unwrap().to_owned();
    assert_eq!(deliver(&worker, &mention, SIGNING_SECRET, &[]).0, 200);
    let channel: FakeChannel = wait_for(&worker, "the announcement", || {
        announced_channels(&slack).pop()
    });
    let announcement = &channel.messages[0];
    let id = posted_for(announcement)
        .expect("the announcement's metadata")
        .incident_id;
    assert_eq!(slack.calls_to("conversations.create").len(), 1);
    assert!(
        channel.members.iter().any(|m| m == "U0ALICE"),
        "the declarer is invited"
    );
    let thread_copy = wait_for(&worker, "the thread copy", || {
        slack
            .calls_to("chat.postMessage")
            .into_iter()
            .find(|c| c.arg("channel") == general && c.arg("thread_ts") == mention_ts)
    });
    assert_eq!(call_part(&thread_copy).as_deref(), Some(part::ANNOUNCEMENT));
    assert_eq!(
        thread_copy.body["reply_broadcast"],
        Value::Null,
        "medium: thread only"
    );
    let fire = slack.calls_to("reactions.add");
    assert!(
        fire.iter()
            .any(|c| c.arg("name") == "fire" && c.arg("timestamp") == mention_ts),
        "{fire:?}"
    );
    assert!(parts_in(&slack, &announcements, part::BROADCAST).is_empty());
    let declared = started.elapsed();

    // 2. The severity select raises it to high: the announcement and its thread copy are
    // re-rendered (the copy broadcast to #general), a note is posted, and the announcement
    // channel gets the broadcast once.
    let select = severity_selected(workspace(), "U0BOB", &id, Severity::High, "trig-run-1");
    assert_eq!(signed(&worker, &select), (200, Value::Null));
    let broadcast = wait_for(&worker, "the broadcast", || {
        parts_in(&slack, &announcements, part::BROADCAST).pop()
    });
    assert!(
        broadcast
            .blocks
            .as_ref()
            .unwrap()
            .to_string()
            .contains(&format!("<#{}>", channel.id)),
        "it links the incident channel"
    );
    wait_for(&worker, "the severity note", || {
        parts_in(&slack, &channel.id, part::SEVERITY_NOTE).pop()
    });
    let copy_ts = thread_copy_ts(&slack, &general, &mention_ts);
    let broadcast_copy = slack
        .calls_to("chat.update")
        .into_iter()
        .find(|c| c.arg("ts") == copy_ts && c.body["reply_broadcast"] == true);
    assert!(broadcast_copy.is_some(), "the thread copy is broadcast");
    assert!(slack
        .channel(&general)
        .unwrap()
        .messages
        .iter()
        .any(|m| m.ts == copy_ts && m.reply_broadcast));
    let announcement_updates = slack
        .calls_to("chat.update")
        .into_iter()
        .filter(|c| c.arg("ts") == announcement.ts)
        .count();
    assert!(announcement_updates >= 1, "the announcement follows");

    // Someone writes in the incident channel: it reaches the timeline (and, with a model, the
    // agent's next turn, whose suggestion is posted in the channel with its buttons).
    let said = "rolled back the 10:02 deploy";
    let said_ts = slack.add_user_message(&channel.id, "U0BOB", said, None);
    let written = incidentctl::slack::message(
        workspace(),
        "Ev0RUN0002",
        incidentctl::now_secs(),
        Said {
            user: "U0BOB",
            channel: &channel.id,
            ts: &said_ts,
            text: said,
            thread_ts: None,
        },
    );
    assert_eq!(deliver(&worker, &written, SIGNING_SECRET, &[]).0, 200);
    wait_for(&worker, "the message on the timeline", || {
        let shown = incident(&worker, &id);
        shown["timeline"]
            .as_array()?
            .iter()
            .find(|e| e["event_type"] == "MESSAGE_ADDED" && e["data"]["message"] == said)
            .cloned()
    });
    if llm.is_some() {
        let suggested = wait_for(&worker, "the agent's suggestion in the channel", || {
            parts_of_prefix(&slack, &channel.id, part::SUGGESTION).pop()
        });
        let buttons = suggested.blocks.as_ref().unwrap().to_string();
        assert!(
            buttons.contains("suggestion_apply") && buttons.contains("suggestion_edit"),
            "{buttons}"
        );
    }

    // 3. `/incident status` in the incident channel.
    let command = slash_command(
        workspace(),
        "U0BOB",
        &channel.id,
        "/incident status",
        "trig-run-2",
    );
    let (status, answer) = signed(&worker, &command);
    assert_eq!(status, 200);
    let answer_text = answer.to_string();
    assert!(
        answer_text.contains("High") && answer_text.contains("Open"),
        "{answer_text}"
    );
    assert_eq!(answer["response_type"], "ephemeral");

    // 4. The status page: opened, then moved on; each change is noted in the channel.
    let opened = post(
        &worker,
        &format!("/dashboard/incidents/{id}/affection"),
        &json!({ "title": "Checkout degraded", "message": "We are looking into failed payments",
                 "services": [{ "id": "checkout", "impact": "major" }] }),
    );
    let moved = post(
        &worker,
        &format!("/dashboard/incidents/{id}/affection/updates"),
        &json!({ "message": "A fix is rolling out", "status": "mitigating" }),
    );
    let notes = wait_for(&worker, "two status-page notes", || {
        let notes = parts_in(&slack, &channel.id, part::AFFECTION_NOTE);
        (notes.len() == 2).then_some(notes)
    });
    let noted: Vec<i64> = notes
        .iter()
        .map(|m| posted_for(m).unwrap().event_id)
        .collect();
    assert_eq!(
        noted,
        [
            opened["event_id"].as_i64().unwrap(),
            moved["event_id"].as_i64().unwrap()
        ]
    );
    assert!(
        notes[0]
            .text
            .contains("opened *Checkout degraded* · checkout: major"),
        "{}",
        notes[0].text
    );
    assert!(
        notes[1].text.contains("Mitigating") && notes[1].text.contains("A fix is rolling out"),
        "{}",
        notes[1].text
    );

    // 5. Resolved: the closing summary, then the channel is archived (the default); the
    // broadcast follows the incident.
    post(
        &worker,
        &format!("/dashboard/incidents/{id}/status"),
        &json!({ "status": "resolved", "message": "the deploy was rolled back" }),
    );
    wait_for(&worker, "the archived channel", || {
        slack.channel(&channel.id).filter(|c| c.is_archived)
    });
    let calls = slack.calls();
    let summary = calls
        .iter()
        .position(|c| {
            c.method == "chat.postMessage" && call_part(c).as_deref() == Some(part::CLOSING_SUMMARY)
        })
        .expect("a closing summary");
    let archive = calls
        .iter()
        .position(|c| c.method == "conversations.archive")
        .unwrap();
    assert!(summary < archive, "the summary comes first");
    let resolved_broadcast = parts_in(&slack, &announcements, part::BROADCAST);
    assert_eq!(
        resolved_broadcast.len(),
        1,
        "one broadcast for the whole incident"
    );
    assert!(
        resolved_broadcast[0]
            .blocks
            .as_ref()
            .unwrap()
            .to_string()
            .contains("Resolved"),
        "{:?}",
        resolved_broadcast[0].blocks
    );
    assert_eq!(incident(&worker, &id)["incident"]["status"], "resolved");
    let resolved = started.elapsed();

    if let Some(llm) = llm {
        // Triage ran at the declaration, the agent proposed a change (posted in the channel
        // with its buttons), and the analysis was written.
        assert_eq!(llm.requests_for_schema("incident_triage").len(), 1);
        assert!(
            llm.requests().iter().any(|body| body["tools"].is_array()),
            "an agent turn asked the model"
        );
        let analysis = wait_for(&worker, "the analysis", || {
            let reply = worker
                .client("demo")
                .get(&format!("/dashboard/incidents/{id}/analysis"))
                .ok()?;
            (reply.status == 200).then_some(reply.body)
        });
        assert_eq!(analysis["postmortem"]["root_cause"], "a bad deploy");
        assert!(llm
            .requests()
            .iter()
            .all(|body| body["model"] == llm.model()
                && body.get("max_tokens").is_none()
                && body.get("temperature").is_none()));
        assert_eq!(llm.take_violations(), [], "OpenAI's contract held");
    }

    // The whole run kept to Slack's contract: nothing misread, nothing warned about.
    assert_eq!(
        slack.violations(),
        [],
        "contract violations; log:\n{}",
        worker.log()
    );
    assert_eq!(slack.warnings(), [], "warnings; log:\n{}", worker.log());
    assert!(!worker.log().contains(LLM_KEY));
    println!(
        "{name}: worker ready {ready:.1?}, declared and announced {:.1?}, resolved and archived {:.1?}, done {:.1?}",
        declared - ready,
        resolved - declared,
        started.elapsed()
    );
}

fn borrowed<'a>(pairs: &'a [(&'a str, String)]) -> Vec<(&'a str, &'a str)> {
    pairs.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// The ts of the announcement's copy in the mention's thread.
fn thread_copy_ts(slack: &FakeSlack, channel: &str, thread_ts: &str) -> String {
    slack
        .channel(channel)
        .unwrap()
        .messages
        .iter()
        .find(|m| m.thread_ts.as_deref() == Some(thread_ts) && m.ts != thread_ts)
        .map(|m| m.ts.clone())
        .expect("the thread copy")
}

/// Messages of `channel` whose part starts with `prefix` (one per suggestion).
fn parts_of_prefix(slack: &FakeSlack, channel: &str, prefix: &str) -> Vec<FakeMessage> {
    slack
        .channel(channel)
        .map(|c| c.messages)
        .unwrap_or_default()
        .into_iter()
        .filter(|m| posted_for(m).is_some_and(|p| p.part.starts_with(prefix)))
        .collect()
}

#[test]
fn a_whole_incident_runs_in_slack_within_its_published_contract() {
    whole_incident("slack-incident-run", None);
}

#[test]
fn a_whole_incident_runs_with_a_reasoning_model_in_strict_mode() {
    let llm = FakeLlm::reasoning("o3-mini").answering(model_answer);
    whole_incident("slack-incident-run-o3", Some(&llm));
}
