//! Slack interactivity, `/incident` and prompts end to end on local workerd, against a
//! `FakeSlack` on 127.0.0.1: the announcement's controls change the incident (and the
//! announcement follows), the status modal opens and its submission changes the status,
//! another tenant's incident is refused, `/incident` declares and answers, a mention in an
//! incident channel is a prompt for the agent, and the agent's suggestions of every kind
//! (status, severity, opening and updating the status page) are edited in their modal and
//! applied as edited.

use incidentd_adapters::slack::inbound::events::HEADER_RETRY_NUM;
use incidentd_adapters::slack::outbound::metadata::PostedFor;
use incidentd_e2e::slack::{
    announced_channels, connect, deliver, form, mention, post_form, start_with_slack, ADMIN_TOKEN,
    COMMANDS_PATH, INTERACTIONS_PATH, SIGNING_SECRET, TOKEN_KEY,
};
use incidentd_e2e::{create_incident, list_summaries, poll, LocalWorker};
use incidentd_testkit::{
    schema_name, submitted_view_state, FakeChannel, FakeLlm, FakeMessage, FakeReply, FakeSlack,
    ViewInput, FAKE_BOT_TOKEN, FAKE_TEAM_ID,
};
use incidentd_wire::slack_ids::{self as ids, StatusChangeContext};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn interaction(payload: &Value) -> Vec<u8> {
    form(&[("payload", &payload.to_string())])
}

/// The announcement's `block_actions` for `incident_id`, as the fake workspace sends it (each
/// click with its own trigger, which keys the change it makes).
fn clicked(incident_id: &str, action: Value) -> Vec<u8> {
    let mut action = action;
    action["block_id"] = ids::incident_block_id(incident_id, 1).into();
    interaction(&json!({
        "type": "block_actions", "user": { "id": "U0BOB" }, "team": { "id": FAKE_TEAM_ID },
        "api_app_id": "A0E2E", "trigger_id": incidentctl::slack::new_trigger_id(),
        "channel": { "id": "C0ANY" },
        "message": { "ts": "1.2" }, "actions": [action],
    }))
}

fn select(action_id: &str, value: &str) -> Value {
    json!({ "type": "static_select", "action_id": action_id, "selected_option": { "value": value } })
}

/// The status modal submitted (a modal Slack showed errors in is submitted again with the
/// same view id, which keys the change).
fn submitted_in(view_id: &str, incident_id: &str, status: &str, message: &str) -> Vec<u8> {
    let context = json!({ "incident_id": incident_id, "status": status }).to_string();
    interaction(&json!({
        "type": "view_submission", "user": { "id": "U0BOB" }, "team": { "id": FAKE_TEAM_ID },
        "api_app_id": "A0E2E",
        "view": { "id": view_id, "callback_id": ids::STATUS_MODAL, "private_metadata": context,
            "state": { "values": { ids::STATUS_MESSAGE_BLOCK: {
                ids::STATUS_MESSAGE_INPUT: { "type": "plain_text_input", "value": message } } } } },
    }))
}

fn command(channel: &str, text: &str, trigger_id: &str) -> Vec<u8> {
    form(&[
        ("team_id", FAKE_TEAM_ID),
        ("channel_id", channel),
        ("user_id", "U0ALICE"),
        ("command", "/incident"),
        ("text", text),
        ("api_app_id", "A0E2E"),
        ("response_url", "https://hooks.slack.com/commands/x"),
        ("trigger_id", trigger_id),
    ])
}

/// `GET /dashboard/incidents/:id` for `tenant`: `{incident, timeline}`.
fn shown(worker: &LocalWorker, tenant: &str, id: &str) -> Value {
    let reply = worker
        .client(tenant)
        .get(&format!("/dashboard/incidents/{id}"))
        .unwrap();
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body
}

fn events_of(shown: &Value, event_type: &str) -> Vec<Value> {
    shown["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event_type"] == event_type)
        .cloned()
        .collect()
}

fn started(name: &str, slack: &FakeSlack) -> LocalWorker {
    let worker = start_with_slack(name, slack);
    let connected = connect(&worker, ADMIN_TOKEN);
    assert_eq!(connected.status, 201, "{:?}", connected.body);
    worker
}

fn announced(worker: &LocalWorker, slack: &FakeSlack) -> FakeChannel {
    poll(Duration::from_secs(30), || announced_channels(slack).pop()).unwrap_or_else(|| {
        panic!(
            "no announcement; calls {:?}\nlog:\n{}",
            slack.calls(),
            worker.log()
        )
    })
}

#[test]
fn the_announcements_controls_and_the_status_modal_change_the_incident_as_the_slack_user() {
    let slack = FakeSlack::start();
    let worker = started("slack-controls", &slack);
    let id = create_incident(&worker.client("demo"), "checkout is failing");
    let channel = announced(&worker, &slack);

    // Severity select: the change, by the Slack user, and the announcement re-rendered.
    let (status, body) = post_form(
        &worker,
        INTERACTIONS_PATH,
        &clicked(&id, select(ids::SEVERITY_SELECT, "high")),
        SIGNING_SECRET,
    );
    assert_eq!((status, body), (200, Value::Null), "an empty 200");
    let now = shown(&worker, "demo", &id);
    assert_eq!(now["incident"]["severity"], "high");
    let change = &events_of(&now, "SEVERITY_UPDATE")[0];
    assert_eq!(change["actor"], json!({ "kind": "slack", "id": "U0BOB" }));
    let updated = poll(Duration::from_secs(30), || {
        let update = slack.calls_to("chat.update").pop()?;
        (update.arg("channel") == channel.id).then_some(update)
    })
    .unwrap_or_else(|| panic!("no chat.update; log:\n{}", worker.log()));
    assert!(updated.body["blocks"].to_string().contains("High"));

    // Status select: the modal opens within the request, well inside Slack's 3 s.
    let asked = Instant::now();
    let click = clicked(&id, select(ids::STATUS_SELECT, "mitigating"));
    let (status, _) = post_form(&worker, INTERACTIONS_PATH, &click, SIGNING_SECRET);
    let answered = asked.elapsed();
    assert_eq!(status, 200);
    println!("status select → views.open → 200: {answered:?}");
    assert!(answered < Duration::from_secs(3), "{answered:?}");
    let opened = slack.calls_to("views.open");
    assert_eq!(opened.len(), 1, "views.open before the answer");
    assert!(
        String::from_utf8_lossy(&click).contains(opened[0].arg("trigger_id")),
        "the click's trigger"
    );
    let modal = &opened[0].body["view"];
    assert_eq!(modal["callback_id"], ids::STATUS_MODAL);
    let context: StatusChangeContext =
        serde_json::from_str(modal["private_metadata"].as_str().unwrap()).unwrap();
    assert_eq!(context.incident_id, id);

    // Submitted without a message: errors in the modal, nothing changed.
    let (status, body) = post_form(
        &worker,
        INTERACTIONS_PATH,
        &submitted_in("V0E2E1", &id, "mitigating", " "),
        SIGNING_SECRET,
    );
    assert_eq!(status, 200);
    assert_eq!(body["response_action"], "errors");
    assert!(body["errors"][ids::STATUS_MESSAGE_BLOCK].is_string());
    assert_eq!(shown(&worker, "demo", &id)["incident"]["status"], "open");

    // Submitted with one: the status changes and the note is posted in the channel.
    let (status, body) = post_form(
        &worker,
        INTERACTIONS_PATH,
        &submitted_in("V0E2E1", &id, "mitigating", "rolled back deploy 812"),
        SIGNING_SECRET,
    );
    assert_eq!((status, body), (200, Value::Null), "closes the modal");
    let now = shown(&worker, "demo", &id);
    assert_eq!(now["incident"]["status"], "mitigating");
    assert_eq!(
        events_of(&now, "STATUS_UPDATE")[0]["actor"],
        json!({ "kind": "slack", "id": "U0BOB" })
    );
    poll(Duration::from_secs(30), || {
        let channel = slack.channel(&channel.id)?;
        channel
            .messages
            .iter()
            .any(|m| m.text.contains("rolled back deploy 812"))
            .then_some(())
    })
    .unwrap_or_else(|| panic!("no status note; log:\n{}", worker.log()));

    // An invalid transition stays in the modal: 200 with the reason, never a 500.
    let (status, body) = post_form(
        &worker,
        INTERACTIONS_PATH,
        &submitted_in("V0E2E2", &id, "open", "reopen"),
        SIGNING_SECRET,
    );
    assert_eq!((status, &body["response_action"]), (200, &json!("errors")));
    assert_eq!(
        shown(&worker, "demo", &id)["incident"]["status"],
        "mitigating"
    );

    let log = worker.log();
    assert!(log.contains("slack interactions"), "{log}");
    for secret in [FAKE_BOT_TOKEN, SIGNING_SECRET, ADMIN_TOKEN, TOKEN_KEY] {
        assert!(!log.contains(secret), "a secret is in the worker log");
    }
}

#[test]
fn another_tenants_incident_and_unsigned_requests_are_refused_and_write_nothing() {
    let slack = FakeSlack::start();
    let worker = started("slack-refused", &slack);
    let acme = incidentctl::send_as_operator(
        &worker.base_url(),
        ADMIN_TOKEN,
        "POST",
        "/admin/tenants",
        json!({ "id": "acme", "name": "Acme" })
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(acme.status, 201, "{:?}", acme.body);
    let theirs = create_incident(&worker.client("acme"), "acme's own outage");
    let ours = create_incident(&worker.client("demo"), "checkout is failing");
    announced(&worker, &slack);
    // Settled first: triage's note (no model here) lands on acme's incident asynchronously.
    let before = poll(Duration::from_secs(30), || {
        let shown = shown(&worker, "acme", &theirs);
        (!events_of(&shown, "TRIAGE_NOTE").is_empty()).then_some(shown)
    })
    .expect("triage's note on acme's incident");
    let calls_before = slack.calls().len();

    for body in [
        clicked(&theirs, select(ids::SEVERITY_SELECT, "low")),
        clicked(&theirs, select(ids::STATUS_SELECT, "resolved")),
    ] {
        let (status, answer) = post_form(&worker, INTERACTIONS_PATH, &body, SIGNING_SECRET);
        assert_eq!((status, answer), (200, Value::Null));
    }
    let (status, answer) = post_form(
        &worker,
        INTERACTIONS_PATH,
        &submitted_in(
            "V0E2E3",
            &theirs,
            "resolved",
            "closing someone else's incident",
        ),
        SIGNING_SECRET,
    );
    assert_eq!(status, 200);
    assert_eq!(
        answer["errors"][ids::STATUS_MESSAGE_BLOCK],
        "This incident no longer exists."
    );
    let after = shown(&worker, "acme", &theirs);
    assert_eq!(after["incident"], before["incident"]);
    assert_eq!(after["timeline"], before["timeline"], "nothing written");

    // A wrong signature on either new route: 401, nothing done.
    let forged = clicked(&ours, select(ids::SEVERITY_SELECT, "low"));
    let (status, body) = post_form(&worker, INTERACTIONS_PATH, &forged, "not-the-secret");
    assert_eq!(
        (status, &body["error"]["code"]),
        (401, &json!("UNAUTHORIZED"))
    );
    let (status, body) = post_form(
        &worker,
        COMMANDS_PATH,
        &command("C0GENERAL", "forged outage", "e2e-forged"),
        "not-the-secret",
    );
    assert_eq!(
        (status, &body["error"]["code"]),
        (401, &json!("UNAUTHORIZED"))
    );
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        shown(&worker, "demo", &ours)["incident"]["severity"],
        "medium"
    );
    assert_eq!(list_summaries(&worker.client("demo")).len(), 1);
    assert_eq!(slack.calls().len(), calls_before, "no Slack call");
}

#[test]
fn incident_declares_answers_status_and_help_and_a_mention_in_its_channel_is_a_prompt() {
    let slack = FakeSlack::start();
    let worker = started("slack-command", &slack);
    let general = slack.add_channel("general");

    let declare = command(&general, "Database is down", "e2e-trigger-2");
    let (status, body) = post_form(&worker, COMMANDS_PATH, &declare, SIGNING_SECRET);
    assert_eq!(status, 200);
    assert_eq!(body["response_type"], "ephemeral");
    assert!(body["text"].as_str().unwrap().contains("Database is down"));
    // The same request delivered again reaches the same incident.
    assert_eq!(
        post_form(&worker, COMMANDS_PATH, &declare, SIGNING_SECRET).0,
        200
    );
    let channel = announced(&worker, &slack);
    let listed = list_summaries(&worker.client("demo"));
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["title"], "Database is down");
    let id = listed[0]["id"].as_str().unwrap().to_owned();
    assert!(channel.members.contains(&"U0ALICE".to_owned()));
    assert_eq!(worker.durable_object_count(), 1);

    let (status, body) = post_form(
        &worker,
        COMMANDS_PATH,
        &command(&channel.id, "status", "e2e-trigger-3"),
        SIGNING_SECRET,
    );
    assert_eq!((status, &body["response_type"]), (200, &json!("ephemeral")));
    let answer = body["blocks"].to_string();
    assert!(
        answer.contains("Database is down") && answer.contains("Open"),
        "{answer}"
    );
    let (_, elsewhere) = post_form(
        &worker,
        COMMANDS_PATH,
        &command(&general, "status", "e2e-trigger-4"),
        SIGNING_SECRET,
    );
    assert!(elsewhere["text"]
        .as_str()
        .unwrap()
        .contains("not an incident channel"));
    let (_, help) = post_form(
        &worker,
        COMMANDS_PATH,
        &command(&general, "help", "e2e-trigger-5"),
        SIGNING_SECRET,
    );
    assert!(help["blocks"].to_string().contains("/incident status"));

    // A mention in the incident's channel, delivered twice: one prompt for the agent.
    let text = "<@UFAKEBOT> what changed in the last hour?";
    let ts = slack.add_user_message(&channel.id, "U0ALICE", text, None);
    let event = mention(FAKE_TEAM_ID, "Ev0PROMPT", &channel.id, &ts, text);
    assert_eq!(deliver(&worker, &event, SIGNING_SECRET, &[]).0, 200);
    let retry = [(HEADER_RETRY_NUM, "1".to_owned())];
    assert_eq!(deliver(&worker, &event, SIGNING_SECRET, &retry).0, 200);
    let now = shown(&worker, "demo", &id);
    let prompts = events_of(&now, "PROMPT_ADDED");
    assert_eq!(prompts.len(), 1, "{:?}", now["timeline"]);
    assert_eq!(
        prompts[0]["data"]["prompt"],
        "what changed in the last hour?"
    );
    assert_eq!(
        prompts[0]["data"]["prompt_id"],
        format!("{}:{ts}", channel.id)
    );
    // Without a model the prompt workflow answers in the timeline that it cannot.
    poll(Duration::from_secs(30), || {
        let now = shown(&worker, "demo", &id);
        events_of(&now, "MESSAGE_ADDED")
            .iter()
            .any(|m| m["actor"]["kind"] == "agent")
            .then_some(())
    })
    .unwrap_or_else(|| panic!("no agent answer; log:\n{}", worker.log()));
    assert_eq!(
        events_of(&shown(&worker, "demo", &id), "PROMPT_ADDED").len(),
        1
    );
}

/// The agent in the edit test: with the status page not open yet, it proposes a status
/// change, a severity and opening the status page in one turn; once the page is open, an
/// update of it. After its calls are answered it ends the turn; it declines triage.
fn proposing_every_kind(body: &Value) -> FakeReply {
    if schema_name(body).is_some() {
        return FakeReply::Refusal("not in this test".into());
    }
    let answered = body["messages"]
        .as_array()
        .and_then(|m| m.last())
        .is_some_and(|m| m["role"] == "tool");
    let offered = |name: &str| {
        body["tools"]
            .as_array()
            .is_some_and(|tools| tools.iter().any(|t| t["function"]["name"] == name))
    };
    if answered {
        return FakeReply::Text("nothing more to suggest".into());
    }
    if offered("suggest_status_page_update") {
        return FakeReply::ToolCalls(vec![(
            "suggest_status_page_update".into(),
            json!({ "message": "A fix is rolling out", "status": "mitigating",
                    "services": null, "rationale": "the rollback is under way" }),
        )]);
    }
    FakeReply::ToolCalls(vec![
        (
            "suggest_status".into(),
            json!({ "status": "mitigating", "message": "rolled back",
                    "rationale": "people report the rollback" }),
        ),
        (
            "suggest_severity".into(),
            json!({ "severity": "low", "rationale": "only some customers" }),
        ),
        (
            "suggest_status_page_incident".into(),
            json!({ "title": "Checkout degraded",
                    "services": [{ "id": "checkout", "impact": "partial" }],
                    "message": "We are looking into failed payments.",
                    "rationale": "customers are affected" }),
        ),
    ])
}

/// Someone writes in the dashboard: a human event, so the agent takes a turn.
fn write(worker: &LocalWorker, id: &str, message_id: &str, message: &str) {
    let added = worker
        .client("demo")
        .post(
            &format!("/dashboard/incidents/{id}/messages"),
            &json!({ "message": message, "message_id": message_id }),
        )
        .unwrap();
    assert_eq!(added.status, 201, "{:?}", added.body);
}

/// The suggestion messages in `channel` whose text starts with `Suggestion: <what>`, once
/// there are `count` of them in all.
fn suggestions(
    worker: &LocalWorker,
    slack: &FakeSlack,
    channel: &str,
    count: usize,
) -> Vec<FakeMessage> {
    poll(Duration::from_secs(40), || {
        let found: Vec<FakeMessage> = slack
            .channel(channel)?
            .messages
            .into_iter()
            .filter(|m| m.text.starts_with("Suggestion:"))
            .collect();
        (found.len() == count).then_some(found)
    })
    .unwrap_or_else(|| panic!("{count} suggestions; log:\n{}", worker.log()))
}

/// Edit on `suggestion`: the modal Slack opened for it, within the request.
fn edit(worker: &LocalWorker, slack: &FakeSlack, channel: &str, suggestion: &FakeMessage) -> Value {
    let button = suggestion
        .blocks
        .as_ref()
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "actions")
        .flat_map(|b| b["elements"].as_array().unwrap().clone())
        .find(|e| e["action_id"] == ids::SUGGESTION_EDIT)
        .expect("an Edit button");
    let opened_before = slack.opened_views().len();
    let click = interaction(&json!({
        "type": "block_actions", "user": { "id": "U0BOB" }, "team": { "id": FAKE_TEAM_ID },
        "api_app_id": "A0E2E", "trigger_id": incidentctl::slack::new_trigger_id(),
        "channel": { "id": channel }, "message": { "ts": suggestion.ts },
        "actions": [{ "type": "button", "action_id": ids::SUGGESTION_EDIT,
                      "block_id": "suggestion", "value": button["value"] }],
    }));
    assert_eq!(
        post_form(worker, INTERACTIONS_PATH, &click, SIGNING_SECRET),
        (200, Value::Null)
    );
    let views = slack.opened_views();
    assert_eq!(
        views.len(),
        opened_before + 1,
        "views.open within the request"
    );
    let modal = views.last().unwrap().clone();
    assert_eq!(modal["callback_id"], ids::SUGGESTION_EDIT_MODAL);
    modal
}

/// Submits `modal` with the person's `changes`; Slack closes it (an empty 200).
fn submit(worker: &LocalWorker, modal: &Value, changes: &[(&str, ViewInput)]) {
    let submission = interaction(&json!({
        "type": "view_submission", "user": { "id": "U0BOB" }, "team": { "id": FAKE_TEAM_ID },
        "api_app_id": "A0E2E",
        "view": { "id": modal["id"], "callback_id": modal["callback_id"],
            "private_metadata": modal["private_metadata"],
            "state": { "values": submitted_view_state(modal, changes) } },
    }));
    let answered = post_form(worker, INTERACTIONS_PATH, &submission, SIGNING_SECRET);
    assert_eq!(answered, (200, Value::Null), "closes the modal");
}

/// The change the suggestion's Apply made, checked to be Bob's and recorded as applied.
fn applied_change(now: &Value, suggestion_id: &str) -> Value {
    let resolved = events_of(now, "SUGGESTION_RESOLVED")
        .into_iter()
        .find(|e| e["data"]["suggestion_id"] == suggestion_id)
        .unwrap_or_else(|| panic!("{suggestion_id} resolved: {now}"));
    assert_eq!(resolved["data"]["outcome"], "applied");
    let change = now["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event_id"] == resolved["data"]["change_event_id"])
        .expect("its change")
        .clone();
    assert_eq!(change["actor"], json!({ "kind": "slack", "id": "U0BOB" }));
    change
}

#[test]
fn every_kind_of_agent_suggestion_is_edited_in_its_modal_and_applied_as_edited() {
    let slack = FakeSlack::start();
    let llm = FakeLlm::answering(proposing_every_kind);
    let api_url = slack.api_url();
    let llm_url = llm.base_url();
    let worker = LocalWorker::start_with_secrets(
        "slack-suggestion-edit",
        &[
            ("SLACK_API_URL", api_url.as_str()),
            ("LLM_BASE_URL", llm_url.as_str()),
            ("AGENT_QUIET_SECONDS", "1"),
        ],
        &[
            ("SLACK_SIGNING_SECRET", SIGNING_SECRET),
            ("SLACK_TOKEN_KEY", TOKEN_KEY),
            ("ADMIN_TOKEN", ADMIN_TOKEN),
            ("LLM_API_KEY", "sk-e2e-suggestion-edit"),
        ],
    );
    assert_eq!(connect(&worker, ADMIN_TOKEN).status, 201);
    let id = create_incident(&worker.client("demo"), "checkout is failing");
    let channel = announced(&worker, &slack).id;
    write(&worker, &id, "m-1", "rolled back the 10:02 deploy");
    let first = suggestions(&worker, &slack, &channel, 3);
    let kind = |prefix: &str| {
        first
            .iter()
            .find(|m| m.text.starts_with(prefix))
            .unwrap_or_else(|| panic!("{prefix}: {first:?}"))
            .clone()
    };
    let suggestion_id = |m: &FakeMessage| {
        let part = PostedFor::of_message(&json!({ "metadata": m.metadata }))
            .unwrap()
            .part;
        part.split_once(':').unwrap().1.to_owned()
    };

    // A status change: prefilled, submitted with another message.
    let status = kind("Suggestion: Set the status to mitigating");
    let modal = edit(&worker, &slack, &channel, &status);
    assert!(
        modal["blocks"]
            .to_string()
            .contains("\"initial_value\":\"rolled back\""),
        "{modal}"
    );
    assert_eq!(shown(&worker, "demo", &id)["incident"]["status"], "open");
    submit(
        &worker,
        &modal,
        &[(
            ids::EDIT_MESSAGE.0,
            ViewInput::Text("rolled back the 10:02 deploy; errors gone"),
        )],
    );
    let now = shown(&worker, "demo", &id);
    assert_eq!(now["incident"]["status"], "mitigating");
    let change = applied_change(&now, &suggestion_id(&status));
    assert_eq!(change["event_type"], "STATUS_UPDATE");
    assert_eq!(
        change["data"]["message"],
        "rolled back the 10:02 deploy; errors gone"
    );

    // A severity: low suggested, high chosen.
    let severity = kind("Suggestion: Set the severity to low");
    let modal = edit(&worker, &slack, &channel, &severity);
    submit(
        &worker,
        &modal,
        &[(ids::EDIT_SEVERITY.0, ViewInput::Choose("high"))],
    );
    let now = shown(&worker, "demo", &id);
    assert_eq!(now["incident"]["severity"], "high");
    assert_eq!(
        applied_change(&now, &suggestion_id(&severity))["event_type"],
        "SEVERITY_UPDATE"
    );

    // Opening the status page: retitled, checkout down to a major outage, the API added.
    let opening = kind("Suggestion: Open a status-page incident");
    let modal = edit(&worker, &slack, &channel, &opening);
    submit(
        &worker,
        &modal,
        &[
            (ids::EDIT_TITLE.0, ViewInput::Text("Checkout unavailable")),
            (ids::EDIT_MAJOR.0, ViewInput::ChooseAll(&["checkout"])),
            (ids::EDIT_PARTIAL.0, ViewInput::ChooseAll(&["api"])),
            (
                ids::EDIT_MESSAGE.0,
                ViewInput::Text("Payments fail; we are on it."),
            ),
        ],
    );
    let now = shown(&worker, "demo", &id);
    let change = applied_change(&now, &suggestion_id(&opening));
    assert_eq!(change["event_type"], "AFFECTION_UPDATE");
    assert_eq!(
        now["incident"]["affection"],
        json!({ "title": "Checkout unavailable", "status": "investigating", "updates": 1,
                "services": [{ "id": "checkout", "impact": "major" },
                             { "id": "api", "impact": "partial" }] })
    );
    let note = poll(Duration::from_secs(30), || {
        slack
            .channel(&channel)?
            .messages
            .into_iter()
            .find(|m| m.text.starts_with("Status page:"))
    })
    .unwrap_or_else(|| panic!("no status-page note; log:\n{}", worker.log()));
    assert!(
        note.text
            .contains("opened *Checkout unavailable* · checkout: major, api: partial"),
        "{}",
        note.text
    );

    // The page is open: the agent's next turn proposes an update, edited to resolve it.
    write(&worker, &id, "m-2", "error rate back to normal");
    let second = suggestions(&worker, &slack, &channel, 4);
    let update = second
        .iter()
        .find(|m| m.text.starts_with("Suggestion: Post a status-page update"))
        .unwrap_or_else(|| panic!("{second:?}"))
        .clone();
    let modal = edit(&worker, &slack, &channel, &update);
    submit(
        &worker,
        &modal,
        &[
            (ids::EDIT_MESSAGE.0, ViewInput::Text("Payments work again.")),
            (ids::EDIT_PAGE_STATUS.0, ViewInput::Choose("resolved")),
            (ids::EDIT_MAJOR.0, ViewInput::ChooseAll(&[])),
            (ids::EDIT_PARTIAL.0, ViewInput::ChooseAll(&["checkout"])),
        ],
    );
    let now = shown(&worker, "demo", &id);
    let change = applied_change(&now, &suggestion_id(&update));
    assert_eq!(change["data"]["message"], "Payments work again.");
    assert_eq!(now["incident"]["affection"]["status"], "resolved");
    assert_eq!(
        now["incident"]["affection"]["services"],
        json!([{ "id": "checkout", "impact": "partial" }, { "id": "api", "impact": "partial" }])
    );

    // Each suggestion's message lost its buttons, saying who applied it.
    for suggestion in [&status, &severity, &opening, &update] {
        let rerendered = poll(Duration::from_secs(30), || {
            slack
                .calls_to("chat.update")
                .into_iter()
                .find(|c| c.arg("ts") == suggestion.ts)
        })
        .unwrap_or_else(|| panic!("{} not re-rendered", suggestion.text));
        let blocks = rerendered.body["blocks"].to_string();
        assert!(blocks.contains("Applied by <@U0BOB>"), "{blocks}");
        assert!(!blocks.contains(ids::SUGGESTION_EDIT), "{blocks}");
    }
    assert_eq!(llm.take_violations(), []);
}
