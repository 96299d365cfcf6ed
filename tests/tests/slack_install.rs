//! The Slack OAuth install, archiving on close (and opting out), an uninstall disabling the
//! installation until the OAuth reinstall, and the agent's answers in the prompt's thread, end
//! to end on local workerd with `FakeSlack` (and `FakeLlm`) on 127.0.0.1.

use incidentd_adapters::slack::inbound::oauth::{BOT_SCOPES, CALLBACK_PATH};
use incidentd_adapters::slack::outbound::blocks::part;
use incidentd_adapters::slack::outbound::metadata::PostedFor;
use incidentd_e2e::slack::{
    connect_with, deliver, new_mention, ADMIN_TOKEN, SIGNING_SECRET, TOKEN_KEY,
};
use incidentd_e2e::{create_incident, incidentctl_binary, poll, LocalWorker};
use incidentd_testkit::{
    FakeLlm, FakeReply, FakeSlack, SlackCall, FAKE_BOT_TOKEN, FAKE_OAUTH_CODE, FAKE_TEAM_ID,
};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;

const CLIENT_ID: &str = "1111.2222";
const CLIENT_SECRET: &str = "e2e-install-client-secret-07ab";
const STATE_SECRET: &str = "e2e-install-state-secret-5e60";
const AUTHORIZE_URL: &str = "https://slack.test/oauth/v2/authorize";

fn start(name: &str, slack: &FakeSlack, extra_vars: &[(&str, &str)]) -> LocalWorker {
    let api_url = slack.api_url();
    let mut vars = vec![
        ("SLACK_API_URL", api_url.as_str()),
        ("SLACK_CLIENT_ID", CLIENT_ID),
        ("SLACK_OAUTH_AUTHORIZE_URL", AUTHORIZE_URL),
    ];
    vars.extend_from_slice(extra_vars);
    LocalWorker::start_with_secrets(
        name,
        &vars,
        &[
            ("SLACK_SIGNING_SECRET", SIGNING_SECRET),
            ("SLACK_TOKEN_KEY", TOKEN_KEY),
            ("SLACK_CLIENT_SECRET", CLIENT_SECRET),
            ("SLACK_STATE_SECRET", STATE_SECRET),
            ("ADMIN_TOKEN", ADMIN_TOKEN),
        ],
    )
}

/// The operator route, as `incidentctl admin slack connect` sends it (default settings).
fn connect(worker: &LocalWorker) {
    let reply = connect_with(worker, ADMIN_TOKEN, None, None);
    assert_eq!(reply.status, 201, "{:?}", reply.body);
}

/// Runs `incidentctl admin <args>` against the worker; its stdout.
fn admin_cli(worker: &LocalWorker, args: &[&str]) -> String {
    let output = std::process::Command::new(incidentctl_binary())
        .args([
            "--url",
            &worker.base_url(),
            "admin",
            "--admin-token",
            ADMIN_TOKEN,
        ])
        .args(args)
        .output()
        .expect("incidentctl runs");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).expect("utf-8")
}

/// A GET that does not follow redirects: status, `location`, body.
fn get(worker: &LocalWorker, path: &str, bearer: Option<&str>) -> (u16, Option<String>, String) {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .redirects(0)
        .build();
    let mut request = agent.get(&format!("{}{path}", worker.base_url()));
    if let Some(token) = bearer {
        request = request.set("authorization", &format!("Bearer {token}"));
    }
    let response = match request.call() {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("GET {path}: {e}"),
    };
    let location = response.header("location").map(str::to_owned);
    (
        response.status(),
        location,
        response.into_string().unwrap_or_default(),
    )
}

fn query_of(link: &str) -> HashMap<String, String> {
    let (_, query) = link.split_once('?').expect("a query");
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

/// Posts a signed `app_mention` of the bot in `channel` (seeded at the fake first).
fn mention(worker: &LocalWorker, slack: &FakeSlack, channel: &str, event_id: &str, what: &str) {
    let event = new_mention(slack, channel, event_id, what);
    assert_eq!(deliver(worker, &event, SIGNING_SECRET, &[]).0, 200);
}

/// The incident's channel, once the Slack sender has created it and recorded its pinned
/// announcement (what a person sees before acting on the incident).
fn channel_of(worker: &LocalWorker, id: &str) -> String {
    poll(Duration::from_secs(30), || {
        let shown = worker
            .client("demo")
            .get(&format!("/dashboard/incidents/{id}"))
            .ok()?;
        let metadata = &shown.body["incident"]["metadata"];
        metadata["slack_announcement_ts"].as_str()?;
        metadata["slack_channel"].as_str().map(str::to_owned)
    })
    .unwrap_or_else(|| panic!("no channel for {id}; log:\n{}", worker.log()))
}

fn posted_part(call: &SlackCall) -> Option<String> {
    PostedFor::of_message(&json!({ "metadata": call.body["metadata"] })).map(|p| p.part)
}

fn resolve(worker: &LocalWorker, id: &str) {
    let reply = worker
        .client("demo")
        .post(
            &format!("/dashboard/incidents/{id}/status"),
            &json!({ "status": "resolved", "message": "error rate back to normal" }),
        )
        .unwrap();
    assert_eq!(reply.status, 200, "{:?}", reply.body);
}

#[test]
fn an_operators_install_link_connects_the_workspace_through_oauth() {
    let slack = FakeSlack::start();
    let worker = start("slack-install", &slack, &[]);
    let general = slack.add_channel("general");

    // Only the operator gets a link.
    assert_eq!(get(&worker, "/slack/install?tenant=demo", None).0, 401);
    assert_eq!(
        get(&worker, "/slack/install?tenant=demo", Some("wrong")).0,
        401
    );
    assert_eq!(
        get(&worker, "/slack/install?tenant=nobody", Some(ADMIN_TOKEN)).0,
        404
    );
    let (status, location, _) = get(&worker, "/slack/install?tenant=demo", Some(ADMIN_TOKEN));
    assert_eq!(status, 302);
    let location = location.expect("a location");
    assert!(
        location.starts_with(&format!("{AUTHORIZE_URL}?")),
        "{location}"
    );

    // `incidentctl admin slack install-link` prints the same kind of link.
    let output = std::process::Command::new(incidentctl_binary())
        .args([
            "--url",
            &worker.base_url(),
            "admin",
            "--admin-token",
            ADMIN_TOKEN,
        ])
        .args(["slack", "install-link", "--tenant", "demo"])
        .output()
        .expect("incidentctl runs");
    assert!(output.status.success(), "{output:?}");
    let link = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    let fields = query_of(&link);
    assert_eq!(fields["client_id"], CLIENT_ID);
    assert_eq!(fields["scope"], BOT_SCOPES.join(","));
    assert_eq!(
        fields["redirect_uri"],
        format!("{}{CALLBACK_PATH}", worker.base_url())
    );
    assert!(fields["state"].starts_with("v1."), "{link}");
    assert_ne!(
        query_of(&location)["state"],
        fields["state"],
        "a nonce each"
    );

    // A tampered state: 400, nothing exchanged, nothing stored.
    let state = &fields["state"];
    let flipped = if state.ends_with('0') { '1' } else { '0' };
    let tampered = format!("{}{flipped}", &state[..state.len() - 1]);
    let callback = |state: &str, code: &str| {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("code", code)
            .append_pair("state", state)
            .finish();
        get(&worker, &format!("{CALLBACK_PATH}?{query}"), None)
    };
    let (status, _, page) = callback(&tampered, FAKE_OAUTH_CODE);
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("Slack not connected"), "{page}");
    let (status, _, page) = get(&worker, &format!("{CALLBACK_PATH}?code=x"), None);
    assert_eq!(status, 400, "missing state: {page}");
    let (status, _, page) = get(
        &worker,
        &format!("{CALLBACK_PATH}?error=access_denied&state={state}"),
        None,
    );
    assert_eq!(status, 200);
    assert!(page.contains("cancelled"), "{page}");
    assert!(slack.calls_to("oauth.v2.access").is_empty());
    mention(&worker, &slack, &general, "Ev0OA1", "before connecting");
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        slack.calls_to("conversations.create").is_empty(),
        "the workspace is not connected"
    );
    assert_eq!(worker.durable_object_count(), 0);

    // The fake's code with the real state connects the workspace.
    let (status, _, page) = callback(state, FAKE_OAUTH_CODE);
    assert_eq!(status, 200, "{page}\nlog:\n{}", worker.log());
    assert!(
        page.contains("Slack connected") && page.contains(FAKE_TEAM_ID),
        "{page}"
    );
    let exchange = &slack.calls_to("oauth.v2.access")[0];
    assert_eq!(exchange.arg("code"), FAKE_OAUTH_CODE);
    assert_eq!(exchange.arg("redirect_uri"), fields["redirect_uri"]);
    assert!(exchange
        .header("authorization")
        .is_some_and(|a| a.starts_with("Basic ")));

    // Now a mention declares an incident and the fake sees its channel.
    mention(&worker, &slack, &general, "Ev0OA2", "checkout is failing");
    let created = poll(Duration::from_secs(30), || {
        let calls = slack.calls_to("conversations.create");
        calls
            .first()
            .and_then(|c| slack.channel_named(c.arg("name")))
            .filter(|c| !c.messages.is_empty())
    })
    .unwrap_or_else(|| panic!("no channel; log:\n{}", worker.log()));
    assert!(created.name.contains("checkout-is-failing"), "{created:?}");

    let log = worker.log();
    for secret in [CLIENT_SECRET, STATE_SECRET, FAKE_BOT_TOKEN, ADMIN_TOKEN] {
        assert!(!log.contains(secret), "a secret in the worker log");
    }
}

#[test]
fn closing_archives_the_channel_after_the_summary_unless_the_workspace_opted_out() {
    let slack = FakeSlack::start();
    let worker = start("slack-archive", &slack, &[]);

    // Connected with the defaults: archiving on close is on.
    connect(&worker);
    let shown = admin_cli(&worker, &["slack", "show", "--tenant", "demo"]);
    assert!(shown.contains("archive on close: yes"), "{shown}");
    let archived = create_incident(&worker.client("demo"), "payments are slow");
    let channel = channel_of(&worker, &archived);
    resolve(&worker, &archived);
    poll(Duration::from_secs(30), || {
        slack.channel(&channel).filter(|c| c.is_archived)
    })
    .unwrap_or_else(|| panic!("not archived; log:\n{}", worker.log()));
    let calls = slack.calls();
    let position = |wanted: &dyn Fn(&SlackCall) -> bool| calls.iter().position(wanted);
    let summary = position(&|c| {
        c.method == "chat.postMessage"
            && c.arg("channel") == channel
            && posted_part(c).as_deref() == Some(part::CLOSING_SUMMARY)
    })
    .expect("a closing summary");
    let archive = position(&|c| c.method == "conversations.archive").unwrap();
    assert!(summary < archive, "the summary comes first");
    let summary_text = calls[summary].body["blocks"].to_string();
    assert!(
        summary_text.contains("will now be archived"),
        "{summary_text}"
    );

    // The workspace opts out (`incidentctl admin slack settings`): summary, no archive.
    let changed = admin_cli(
        &worker,
        &[
            "slack",
            "settings",
            "--tenant",
            "demo",
            "--no-archive-on-close",
        ],
    );
    assert!(changed.contains("archive on close: no"), "{changed}");
    let kept = create_incident(&worker.client("demo"), "search is down");
    let kept_channel = channel_of(&worker, &kept);
    resolve(&worker, &kept);
    poll(Duration::from_secs(30), || {
        slack.calls_to("chat.postMessage").into_iter().find(|c| {
            c.arg("channel") == kept_channel
                && posted_part(c).as_deref() == Some(part::CLOSING_SUMMARY)
        })
    })
    .unwrap_or_else(|| panic!("no summary; log:\n{}", worker.log()));
    std::thread::sleep(Duration::from_secs(2));
    assert!(!slack.channel(&kept_channel).unwrap().is_archived);
    assert_eq!(slack.calls_to("conversations.archive").len(), 1);
}

#[test]
fn the_agents_answer_to_a_slack_prompt_goes_in_that_prompts_thread() {
    let slack = FakeSlack::start();
    let llm = FakeLlm::start(vec![
        FakeReply::Text("The deploy at 10:02 is the likely cause.".into()),
        FakeReply::Text("Nothing else changed.".into()),
    ]);
    // Triage asks first at the declaration; it declines here (the fallback stands).
    llm.script_schema(
        "incident_triage",
        vec![FakeReply::Refusal("not in this test".into())],
    );
    let llm_url = llm.base_url();
    let worker = start(
        "slack-thread-reply",
        &slack,
        &[("LLM_API_KEY", "sk-e2e-thread"), ("LLM_BASE_URL", &llm_url)],
    );
    connect(&worker);
    let id = create_incident(&worker.client("demo"), "checkout returns 500");
    let channel = channel_of(&worker, &id);
    let asked = slack.add_user_message(&channel, "U0ALICE", "<@UFAKEBOT> what changed?", None);
    let prompt = |prompt_id: &str, text: &str| {
        let reply = worker
            .client("demo")
            .post(
                &format!("/dashboard/incidents/{id}/prompts"),
                &json!({ "prompt": text, "prompt_id": prompt_id }),
            )
            .unwrap();
        assert_eq!(reply.status, 201, "{:?}", reply.body);
    };
    let answer = |words: &str| {
        poll(Duration::from_secs(40), || {
            slack
                .calls_to("chat.postMessage")
                .into_iter()
                .find(|c| c.arg("text").contains(words))
        })
        .unwrap_or_else(|| panic!("no answer; log:\n{}", worker.log()))
    };

    // As a Slack prompt is recorded: prompt_id = <channel>:<ts> of the mention.
    prompt(&format!("{channel}:{asked}"), "what changed?");
    let threaded = answer("deploy at 10:02");
    assert_eq!(
        (threaded.arg("channel"), threaded.arg("thread_ts")),
        (channel.as_str(), asked.as_str())
    );
    assert_eq!(posted_part(&threaded).as_deref(), Some(part::AGENT_REPLY));
    let thread = slack.channel(&channel).unwrap();
    assert!(thread
        .messages
        .iter()
        .any(|m| m.thread_ts.as_deref() == Some(asked.as_str()) && m.text.contains("10:02")));

    // A dashboard prompt's answer stays a channel message.
    prompt("dash-prompt-1", "anything else?");
    let top_level = answer("Nothing else changed");
    assert_eq!(top_level.arg("channel"), channel);
    assert_eq!(top_level.body["thread_ts"], Value::Null);
}

#[test]
fn an_uninstalled_app_disables_the_installation_until_an_oauth_reinstall_restores_it() {
    let slack = FakeSlack::start();
    let worker = start("slack-uninstall", &slack, &[]);
    connect(&worker);
    let id = create_incident(&worker.client("demo"), "checkout returns 500");
    let channel = channel_of(&worker, &id);

    // Slack: the app was removed from the workspace.
    let uninstalled = json!({
        "type": "event_callback", "team_id": FAKE_TEAM_ID, "api_app_id": "A0E2E",
        "event_id": "Ev0UNINSTALL", "event_time": incidentctl::now_secs(),
        "event": { "type": "app_uninstalled" },
    });
    assert_eq!(deliver(&worker, &uninstalled, SIGNING_SECRET, &[]).0, 200);
    let shown = admin_cli(&worker, &["slack", "show", "--tenant", "demo"]);
    assert!(
        shown.contains("DISABLED: the Slack app was uninstalled from workspace TFAKETEAM"),
        "{shown}"
    );
    let (status, _, listed) = get(&worker, "/admin/slack/installations", Some(ADMIN_TOKEN));
    assert_eq!(status, 200);
    let listed: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed["installations"][0]["state"], "disabled");
    assert_eq!(
        listed["installations"][0]["disabled_reason"],
        "app_uninstalled"
    );

    // A change now: its Slack step fails at once, saying why, and is listed as failed.
    let calls = slack.calls().len();
    let changed = worker
        .client("demo")
        .post(
            &format!("/dashboard/incidents/{id}/severity"),
            &json!({ "severity": "high" }),
        )
        .unwrap();
    assert_eq!(changed.status, 200, "{:?}", changed.body);
    let failed = poll(Duration::from_secs(30), || {
        let reply = worker
            .client("demo")
            .get(&format!("/dashboard/incidents/{id}/failed-effects"))
            .ok()?;
        reply.body["failed_effects"]
            .as_array()?
            .iter()
            .find(|f| f["effect"] == "slack")
            .cloned()
    })
    .unwrap_or_else(|| panic!("no failed effect; log:\n{}", worker.log()));
    let error = failed["error"].as_str().unwrap();
    assert!(
        error.contains("the Slack app was uninstalled from workspace TFAKETEAM: reinstall the app"),
        "{error}"
    );
    assert_eq!(slack.calls().len(), calls, "nothing was sent to Slack");

    // Reinstalled through OAuth: active again, settings kept; the failed effect is retried.
    let link = admin_cli(&worker, &["slack", "install-link", "--tenant", "demo"]);
    let state = query_of(link.trim())["state"].clone();
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("code", FAKE_OAUTH_CODE)
        .append_pair("state", &state)
        .finish();
    let (status, _, page) = get(&worker, &format!("{CALLBACK_PATH}?{query}"), None);
    assert_eq!(status, 200, "{page}");
    let shown = admin_cli(&worker, &["slack", "show", "--tenant", "demo"]);
    assert!(
        shown.contains("active") && shown.contains("archive on close: yes"),
        "{shown}"
    );
    let event_id = failed["event_id"].as_i64().unwrap();
    let retried = worker
        .client("demo")
        .post(
            &format!("/dashboard/incidents/{id}/failed-effects/{event_id}/slack/retry"),
            &json!({}),
        )
        .unwrap();
    assert_eq!(retried.status, 200, "{:?}", retried.body);
    poll(Duration::from_secs(30), || {
        slack.calls_to("chat.postMessage").into_iter().find(|c| {
            c.arg("channel") == channel && posted_part(c).as_deref() == Some(part::SEVERITY_NOTE)
        })
    })
    .unwrap_or_else(|| panic!("the retried note; log:\n{}", worker.log()));
    assert_eq!(slack.violations(), []);
    assert_eq!(slack.warnings(), []);
}
