//! The fake workspace's behaviours, called as a Slack client would (within the contract).

use super::*;

/// Calls the fake like a Slack client would: POST, bearer token, form or JSON.
pub(super) fn call(slack: &FakeSlack, method: &str, body: Body) -> (u16, Value) {
    call_with(
        slack,
        method,
        body,
        Some(FAKE_BOT_TOKEN),
        Duration::from_secs(5),
    )
}

pub(super) enum Body<'a> {
    Json(Value),
    Form(&'a [(&'a str, &'a str)]),
}

pub(super) fn call_with(
    slack: &FakeSlack,
    method: &str,
    body: Body,
    token: Option<&str>,
    timeout: Duration,
) -> (u16, Value) {
    let agent = ureq::AgentBuilder::new().timeout(timeout).build();
    let mut request = agent.post(&format!("{}/{method}", slack.api_url()));
    if let Some(token) = token {
        request = request.set("authorization", &format!("Bearer {token}"));
    }
    let result = match body {
        Body::Json(json) => request
            .set("content-type", "application/json; charset=utf-8")
            .send_string(&json.to_string()),
        Body::Form(form) => request.send_form(form),
    };
    let response = match result {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => return (0, Value::String(e.to_string())),
    };
    let status = response.status();
    let text = response.into_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub(super) fn create(slack: &FakeSlack, name: &str) -> String {
    let (_, answer) = call(slack, "conversations.create", Body::Form(&[("name", name)]));
    assert_eq!(answer["ok"], true, "{answer}");
    answer["channel"]["id"].as_str().unwrap().to_owned()
}

pub(super) fn post(slack: &FakeSlack, body: Value) -> Value {
    call(slack, "chat.postMessage", Body::Json(body)).1
}

#[test]
fn a_created_channel_is_listed_and_its_name_is_then_taken() {
    let slack = FakeSlack::start();
    let id = create(&slack, "inc-20261128-checkout");
    let channel = slack.channel(&id).unwrap();
    assert_eq!(channel.name, "inc-20261128-checkout");
    assert_eq!(channel.members, [FAKE_BOT_USER_ID]);
    let (_, again) = call(
        &slack,
        "conversations.create",
        Body::Form(&[("name", "inc-20261128-checkout")]),
    );
    assert_eq!(again, json!({ "ok": false, "error": "name_taken" }));
    let (_, bad) = call(
        &slack,
        "conversations.create",
        Body::Form(&[("name", "Inc")]),
    );
    assert_eq!(bad["error"], "invalid_name_specials");
}

#[test]
fn channels_are_listed_in_pages_with_their_creator() {
    let slack = FakeSlack::start();
    let general = slack.add_general_channel();
    let ids: Vec<String> = (0..5)
        .map(|i| create(&slack, &format!("inc-{i}")))
        .collect();
    call(
        &slack,
        "conversations.archive",
        Body::Form(&[("channel", &ids[1])]),
    );
    let page = |args: &[(&str, &str)]| call(&slack, "conversations.list", Body::Form(args)).1;

    let first = page(&[("limit", "4")]);
    let listed = |p: &Value| -> Vec<String> {
        p["channels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        listed(&first),
        [&general, &ids[0], &ids[1], &ids[2]].map(String::clone)
    );
    assert_eq!(first["channels"][0]["creator"], FAKE_ADMIN_USER_ID);
    assert_eq!(first["channels"][1]["creator"], FAKE_BOT_USER_ID);
    let cursor = first["response_metadata"]["next_cursor"].as_str().unwrap();
    let rest = page(&[("limit", "4"), ("cursor", cursor)]);
    assert_eq!(listed(&rest), ids[3..]);
    assert_eq!(rest["response_metadata"]["next_cursor"], "");

    let live = page(&[("exclude_archived", "true"), ("limit", "1000")]);
    assert!(!listed(&live).contains(&ids[1]), "archived ones left out");
    assert_eq!(page(&[("types", "private_channel")])["channels"], json!([]));
    assert_eq!(page(&[("limit", "0")])["error"], "invalid_limit");
    assert_eq!(page(&[("limit", "1001")])["error"], "invalid_limit");
    assert_eq!(page(&[("cursor", "nonsense")])["error"], "invalid_cursor");
    assert_eq!(page(&[("types", "dm")])["error"], "invalid_types");
}

#[test]
fn posted_messages_come_back_from_history_with_their_metadata() {
    let slack = FakeSlack::start();
    let channel = create(&slack, "inc-1");
    let metadata = json!({ "event_type": "incidentd_event", "event_payload": { "incident_id": "inc-1", "event_id": 1 } });
    let posted = post(
        &slack,
        json!({ "channel": channel, "text": "hello", "blocks": [{ "type": "divider" }], "metadata": metadata }),
    );
    assert_eq!(posted["ok"], true);
    let ts = posted["ts"].as_str().unwrap();
    post(
        &slack,
        json!({ "channel": channel, "text": "in thread", "thread_ts": ts }),
    );

    let (_, full) = call(
        &slack,
        "conversations.history",
        Body::Form(&[("channel", &channel), ("include_all_metadata", "true")]),
    );
    let messages = full["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1, "thread replies stay out of history");
    assert_eq!(messages[0]["ts"], ts);
    assert_eq!(messages[0]["metadata"], metadata);
    assert_eq!(messages[0]["bot_id"], FAKE_BOT_ID);

    let (_, short) = call(
        &slack,
        "conversations.history",
        Body::Form(&[("channel", &channel)]),
    );
    assert_eq!(
        short["messages"][0]["metadata"],
        json!({ "event_type": "incidentd_event" })
    );
    let (_, thread) = call(
        &slack,
        "conversations.replies",
        Body::Form(&[("channel", &channel), ("ts", ts)]),
    );
    assert_eq!(thread["messages"][1]["text"], "in thread");
}

#[test]
fn form_bodies_decode_json_arguments_and_are_recorded() {
    let slack = FakeSlack::start();
    let channel = create(&slack, "inc-2");
    let blocks = r#"[{"type":"section","text":{"type":"mrkdwn","text":"hi"}}]"#;
    let (_, answer) = call(
        &slack,
        "chat.postMessage",
        Body::Form(&[("channel", &channel), ("text", "hi"), ("blocks", blocks)]),
    );
    assert_eq!(answer["ok"], true);
    let recorded = slack.calls_to("chat.postMessage");
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].body["blocks"][0]["type"], "section");
    assert_eq!(
        recorded[0].header("authorization"),
        Some(format!("Bearer {FAKE_BOT_TOKEN}").as_str())
    );
}

#[test]
fn update_invite_pin_react_and_archive_keep_state() {
    /// A method, its form arguments and the expected outcome (`true` or the error code).
    type Call<'a> = (&'a str, Vec<(&'a str, &'a str)>, Value);
    let slack = FakeSlack::start();
    let channel = create(&slack, "inc-3");
    let ts = post(&slack, json!({ "channel": channel, "text": "v1", "metadata": { "event_type": "e", "event_payload": {} } }))["ts"]
        .as_str()
        .unwrap()
        .to_owned();
    let (c, t) = (channel.as_str(), ts.as_str());
    let steps: [Call; 10] = [
        (
            "chat.update",
            vec![("channel", c), ("ts", t), ("text", "v2")],
            json!(true),
        ),
        (
            "conversations.invite",
            vec![("channel", c), ("users", "U1,U2")],
            json!(true),
        ),
        (
            "conversations.invite",
            vec![("channel", c), ("users", "U1")],
            json!("already_in_channel"),
        ),
        (
            "pins.add",
            vec![("channel", c), ("timestamp", t)],
            json!(true),
        ),
        (
            "pins.add",
            vec![("channel", c), ("timestamp", t)],
            json!("already_pinned"),
        ),
        (
            "reactions.add",
            vec![("channel", c), ("timestamp", t), ("name", "fire")],
            json!(true),
        ),
        (
            "reactions.add",
            vec![("channel", c), ("timestamp", "1.2"), ("name", "fire")],
            json!("message_not_found"),
        ),
        ("conversations.archive", vec![("channel", c)], json!(true)),
        (
            "conversations.archive",
            vec![("channel", c)],
            json!("already_archived"),
        ),
        (
            "chat.postMessage",
            vec![("channel", c), ("text", "late")],
            json!("is_archived"),
        ),
    ];
    for (method, args, expected) in steps {
        let (_, answer) = call(&slack, method, Body::Form(&args));
        let outcome = match answer["ok"].as_bool() {
            Some(true) => json!(true),
            _ => answer["error"].clone(),
        };
        assert_eq!(outcome, expected, "{method} {args:?}");
    }
    let state = slack.channel(&channel).unwrap();
    assert!(state.is_archived);
    assert_eq!(state.members, [FAKE_BOT_USER_ID, "U1", "U2"]);
    assert_eq!(state.pins, [ts.as_str()]);
    let message = &state.messages[0];
    assert_eq!(
        (message.text.as_str(), message.reactions.clone()),
        ("v2", vec!["fire".to_owned()])
    );
    assert!(
        message.metadata.is_some(),
        "chat.update without metadata keeps it"
    );
}

#[test]
fn scripted_faults_answer_in_order_then_calls_succeed() {
    let slack = FakeSlack::start();
    slack.fail_next("conversations.create", 1, Fault::ServerError);
    slack.fail_next(
        "conversations.create",
        1,
        Fault::RateLimited {
            retry_after_secs: 30,
        },
    );
    slack.fail_next("conversations.create", 1, Fault::Error("name_taken".into()));
    let name: &[(&str, &str)] = &[("name", "inc-4")];
    assert_eq!(
        call(&slack, "conversations.create", Body::Form(name)).0,
        500
    );
    let agent = ureq::AgentBuilder::new().build();
    let limited = match agent
        .post(&format!("{}/conversations.create", slack.api_url()))
        .set("authorization", &format!("Bearer {FAKE_BOT_TOKEN}"))
        .send_form(name)
    {
        Err(ureq::Error::Status(429, r)) => r,
        other => panic!("expected 429, got {other:?}"),
    };
    assert_eq!(limited.header("retry-after"), Some("30"));
    let (_, taken) = call(&slack, "conversations.create", Body::Form(name));
    assert_eq!(taken["error"], "name_taken");
    assert!(
        slack.channel_named("inc-4").is_none(),
        "faults change nothing"
    );
    let (_, created) = call(&slack, "conversations.create", Body::Form(name));
    assert_eq!(created["ok"], true);
    assert_eq!(slack.calls_to("conversations.create").len(), 4);
    let answered: Vec<(u16, Value)> = slack
        .answered_calls()
        .into_iter()
        .map(|a| (a.status, a.answer["error"].clone()))
        .collect();
    assert_eq!(
        answered,
        [
            (500, Value::Null),
            (429, json!("ratelimited")),
            (200, json!("name_taken")),
            (200, Value::Null),
        ],
        "each call is kept with the answer it got"
    );
}

#[test]
fn a_fault_rule_decides_for_calls_no_scripted_fault_caught() {
    let slack = FakeSlack::start();
    slack.fail_next("conversations.create", 1, Fault::Error("name_taken".into()));
    // Every second call fails: the scripted fault goes first and is not counted.
    let mut seen = 0;
    slack.fail_when(move |_| {
        seen += 1;
        (seen % 2 == 0).then_some(Fault::ServerError)
    });
    let name: &[(&str, &str)] = &[("name", "inc-5")];
    let statuses: Vec<(u16, Value)> = (0..3)
        .map(|_| call(&slack, "conversations.create", Body::Form(name)))
        .map(|(status, body)| (status, body["error"].clone()))
        .collect();
    assert_eq!(
        statuses,
        [
            (200, json!("name_taken")),
            (200, Value::Null),
            (500, Value::Null)
        ]
    );
    assert!(slack.channel_named("inc-5").is_some());
}

#[test]
fn a_slow_answer_still_takes_effect_so_the_outcome_is_unknown_to_the_caller() {
    let slack = FakeSlack::start();
    let channel = create(&slack, "inc-5");
    slack.fail_next(
        "chat.postMessage",
        1,
        Fault::Slow(Duration::from_millis(600)),
    );
    let (status, _) = call_with(
        &slack,
        "chat.postMessage",
        Body::Json(json!({ "channel": channel, "text": "maybe" })),
        Some(FAKE_BOT_TOKEN),
        Duration::from_millis(150),
    );
    assert_eq!(status, 0, "the client timed out");
    // The fake serves one call at a time: this one waits for the slow one to finish.
    let (_, history) = call(
        &slack,
        "conversations.history",
        Body::Form(&[("channel", &channel)]),
    );
    assert_eq!(history["messages"][0]["text"], "maybe");
}

#[test]
fn the_bot_token_is_required_and_checked() {
    let slack = FakeSlack::start();
    let args: &[(&str, &str)] = &[("name", "inc-6")];
    let (_, missing) = call_with(
        &slack,
        "conversations.create",
        Body::Form(args),
        None,
        Duration::from_secs(5),
    );
    assert_eq!(missing["error"], "not_authed");
    let (_, wrong) = call_with(
        &slack,
        "conversations.create",
        Body::Form(args),
        Some("xoxb-other"),
        Duration::from_secs(5),
    );
    assert_eq!(wrong["error"], "invalid_auth");
    let (_, unknown) = call(&slack, "chat.delete", Body::Form(&[]));
    assert_eq!(unknown["error"], "unknown_method");
    let rules: Vec<ContractRule> = slack.take_violations().iter().map(|v| v.rule).collect();
    assert_eq!(
        rules,
        [ContractRule::UnknownMethod],
        "a method outside the contract"
    );
}

#[test]
fn views_open_needs_a_trigger_and_oauth_exchanges_the_known_code() {
    let slack = FakeSlack::start();
    let view = json!({ "type": "modal", "title": { "type": "plain_text", "text": "Status" } });
    let (_, opened) = call(
        &slack,
        "views.open",
        Body::Json(json!({ "trigger_id": "t-1", "view": view })),
    );
    assert_eq!(opened["ok"], true);
    assert_eq!(slack.opened_views()[0]["title"]["text"], "Status");
    let (_, no_trigger) = call(&slack, "views.open", Body::Json(json!({ "view": view })));
    assert_eq!(no_trigger["error"], "invalid_trigger_id");

    let exchange = |code: &str| {
        let form: &[(&str, &str)] = &[("client_id", "c"), ("client_secret", "s"), ("code", code)];
        call_with(
            &slack,
            "oauth.v2.access",
            Body::Form(form),
            None,
            Duration::from_secs(5),
        )
        .1
    };
    let installed = exchange(FAKE_OAUTH_CODE);
    assert_eq!(
        (
            installed["access_token"].as_str(),
            installed["team"]["id"].as_str(),
            installed["bot_user_id"].as_str()
        ),
        (
            Some(FAKE_BOT_TOKEN),
            Some(FAKE_TEAM_ID),
            Some(FAKE_BOT_USER_ID)
        )
    );
    assert_eq!(exchange("stale")["error"], "invalid_code");
}

#[test]
fn user_messages_can_be_seeded_for_reactions_and_threads() {
    let slack = FakeSlack::start();
    let general = slack.add_channel("general");
    let ts = slack.add_user_message(&general, "U1", "<@UFAKEBOT> checkout is down", None);
    let (_, reacted) = call(
        &slack,
        "reactions.add",
        Body::Form(&[("channel", &general), ("timestamp", &ts), ("name", "fire")]),
    );
    assert_eq!(reacted["ok"], true);
    let (_, cant) = call(
        &slack,
        "chat.update",
        Body::Form(&[("channel", &general), ("ts", &ts), ("text", "x")]),
    );
    assert_eq!(cant["error"], "cant_update_message");
}

#[test]
fn a_person_can_write_over_http_without_the_bot_token() {
    let slack = FakeSlack::start();
    let general = slack.add_general_channel();
    let write = |fields: &[(&str, &str)]| {
        call_with(
            &slack,
            FAKE_USER_MESSAGE_METHOD,
            Body::Form(fields),
            None,
            Duration::from_secs(5),
        )
        .1
    };
    let said = write(&[
        ("channel", &general),
        ("user", "U1"),
        ("text", "<@UFAKEBOT> db down"),
    ]);
    assert_eq!(said["ok"], true, "{said}");
    let ts = said["ts"].as_str().unwrap();
    let reply = write(&[
        ("channel", &general),
        ("user", "U2"),
        ("text", "same here"),
        ("thread_ts", ts),
    ]);
    assert_eq!(reply["ok"], true, "{reply}");
    let messages = slack.channel(&general).unwrap().messages;
    assert_eq!(
        messages
            .iter()
            .map(|m| (m.user.as_str(), m.bot_id.is_none(), m.thread_ts.as_deref()))
            .collect::<Vec<_>>(),
        [("U1", true, None), ("U2", true, Some(ts))]
    );
    let (_, reacted) = call(
        &slack,
        "reactions.add",
        Body::Form(&[("channel", &general), ("timestamp", ts), ("name", "fire")]),
    );
    assert_eq!(reacted["ok"], true, "the bot can react to it");
    assert_eq!(
        write(&[("channel", "C404"), ("user", "U1"), ("text", "x")])["error"],
        "channel_not_found"
    );
    assert_eq!(
        write(&[("channel", &general), ("text", "x")])["error"],
        "no_user"
    );
    assert_eq!(
        write(&[("channel", &general), ("user", "U1")])["error"],
        "no_text"
    );
}

#[test]
fn general_has_a_fixed_id_and_a_chosen_port_is_served_or_refused_when_taken() {
    let slack = FakeSlack::start();
    assert_eq!(slack.add_general_channel(), FAKE_GENERAL_CHANNEL_ID);
    assert_eq!(slack.add_general_channel(), FAKE_GENERAL_CHANNEL_ID, "once");
    let general = slack.channel_named("general").unwrap();
    assert_eq!(general.id, FAKE_GENERAL_CHANNEL_ID);
    let posted = post(
        &slack,
        json!({ "channel": FAKE_GENERAL_CHANNEL_ID, "text": "hello" }),
    );
    assert_eq!(posted["ok"], true, "the bot is in #general");

    let port: u16 = slack.url.rsplit(':').next().unwrap().parse().unwrap();
    assert!(
        FakeSlack::start_on(port).is_err(),
        "a taken port is an error, not a panic"
    );
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let chosen = FakeSlack::start_on(port).unwrap();
    assert_eq!(chosen.url, format!("http://127.0.0.1:{port}"));
    assert_eq!(create(&chosen, "inc-on-a-port").len(), 9);
}

#[test]
fn reply_broadcast_shows_a_thread_reply_in_its_channel_when_posted_or_updated() {
    let slack = FakeSlack::start();
    let channel = create(&slack, "general");
    let parent = post(&slack, json!({ "channel": channel, "text": "parent" }));
    let parent_ts = parent["ts"].as_str().unwrap();
    let reply = |text: &str, broadcast: bool| {
        let answer = post(
            &slack,
            json!({ "channel": channel, "text": text, "thread_ts": parent_ts, "reply_broadcast": broadcast }),
        );
        answer["ts"].as_str().unwrap().to_owned()
    };
    let in_history = |ts: &str| {
        let (_, history) = call(
            &slack,
            "conversations.history",
            Body::Form(&[("channel", &channel)]),
        );
        history["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["ts"] == ts)
    };
    let broadcast = reply("shown in the channel", true);
    let quiet = reply("only in the thread", false);
    assert!(in_history(&broadcast));
    assert!(!in_history(&quiet));
    let (_, updated) = call(
        &slack,
        "chat.update",
        Body::Json(
            json!({ "channel": channel, "ts": quiet, "text": "now shown", "reply_broadcast": true }),
        ),
    );
    assert_eq!(updated["ok"], true, "{updated}");
    assert!(in_history(&quiet), "broadcast by the update");
    // A top-level message is no reply: the flag changes nothing.
    call(
        &slack,
        "chat.update",
        Body::Json(
            json!({ "channel": channel, "ts": parent_ts, "text": "parent", "reply_broadcast": true }),
        ),
    );
    assert!(!slack.channel(&channel).unwrap().messages[0].reply_broadcast);
}
