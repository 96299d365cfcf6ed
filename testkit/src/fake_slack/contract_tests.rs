//! Each contract rule, broken on purpose over raw HTTP: the fake answers as Slack would and
//! records the violation (or the warning). And the compiled table is the committed JSON one.

use super::contract::SLACK_METHODS;
use super::tests::create;
use super::*;

const JSON_UTF8: &str = "application/json; charset=utf-8";
const FORM: &str = "application/x-www-form-urlencoded";

/// One request exactly as given: verb, `<method>[?query]`, headers, body.
fn raw(
    slack: &FakeSlack,
    verb: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Value {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(5))
        .build();
    let mut request = agent.request(verb, &format!("{}/{target}", slack.api_url()));
    for (name, value) in headers {
        request = request.set(name, value);
    }
    let response = match body.is_empty() {
        true => request.call(),
        false => request.send_bytes(body),
    };
    let response = match response {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{verb} {target}: {e}"),
    };
    assert_eq!(response.status(), 200, "{verb} {target}");
    response.into_json().expect("a JSON answer")
}

const BEARER: (&str, &str) = ("authorization", "Bearer xoxb-fake-bot-token");

fn json_call(slack: &FakeSlack, method: &str, content_type: &str, body: &Value) -> Value {
    let headers = [BEARER, ("content-type", content_type)];
    raw(slack, "POST", method, &headers, body.to_string().as_bytes())
}

fn form_call(slack: &FakeSlack, method: &str, fields: &[(&str, &str)]) -> Value {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    raw(
        slack,
        "POST",
        method,
        &[BEARER, ("content-type", FORM)],
        body.as_bytes(),
    )
}

/// The rules of the violations taken, in order.
fn rules(slack: &FakeSlack) -> Vec<ContractRule> {
    slack.take_violations().iter().map(|v| v.rule).collect()
}

fn warning_codes(slack: &FakeSlack) -> Vec<String> {
    slack.take_warnings().into_iter().map(|w| w.code).collect()
}

#[test]
fn a_json_body_to_a_read_method_is_not_read_so_its_arguments_are_missing() {
    let slack = FakeSlack::start();
    let channel = create(&slack, "inc-read");
    let answer = json_call(
        &slack,
        "conversations.history",
        JSON_UTF8,
        &json!({ "channel": channel }),
    );
    assert_eq!(answer["ok"], false, "{answer}");
    assert_eq!(answer["error"], "invalid_arguments");
    assert_eq!(
        answer["response_metadata"]["messages"],
        json!(["[ERROR] missing required field: channel"])
    );
    let violations = slack.take_violations();
    assert_eq!(
        violations.iter().map(|v| v.rule).collect::<Vec<_>>(),
        [ContractRule::BodyNotRead, ContractRule::MissingArgument]
    );
    assert_eq!(violations[0].method, "conversations.history");
    assert!(
        violations[0].detail.contains("application/json"),
        "{}",
        violations[0]
    );

    // With no required argument, the method runs on defaults: the JSON `limit` is unseen.
    create(&slack, "inc-read-2");
    let listed = json_call(
        &slack,
        "conversations.list",
        JSON_UTF8,
        &json!({ "limit": 1 }),
    );
    assert_eq!(listed["ok"], true);
    assert_eq!(listed["channels"].as_array().unwrap().len(), 2, "{listed}");
    assert_eq!(rules(&slack), [ContractRule::BodyNotRead]);
}

#[test]
fn a_read_method_reads_a_form_post_or_a_get_query() {
    let slack = FakeSlack::start();
    let channel = create(&slack, "inc-reads");
    let form = form_call(&slack, "conversations.history", &[("channel", &channel)]);
    assert_eq!(form["ok"], true, "{form}");
    let target = format!("conversations.history?channel={channel}&limit=5");
    let query = raw(&slack, "GET", &target, &[BEARER], b"");
    assert_eq!(query["ok"], true, "{query}");
    assert!(slack.violations().is_empty() && slack.warnings().is_empty());
}

#[test]
fn json_without_charset_is_served_with_the_missing_charset_warning() {
    let slack = FakeSlack::start();
    let channel = create(&slack, "inc-charset");
    let answer = json_call(
        &slack,
        "chat.postMessage",
        "application/json",
        &json!({ "channel": channel, "text": "hi" }),
    );
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(answer["warning"], "missing_charset");
    assert_eq!(
        answer["response_metadata"]["warnings"],
        json!(["missing_charset"])
    );
    assert!(answer["response_metadata"]["messages"][0]
        .as_str()
        .unwrap()
        .starts_with("[WARN]"));
    assert_eq!(slack.channel(&channel).unwrap().messages.len(), 1, "posted");
    assert_eq!(warning_codes(&slack), ["missing_charset"]);
    assert!(slack.violations().is_empty(), "a warning, not a violation");

    let form = raw(
        &slack,
        "POST",
        "chat.postMessage",
        &[
            BEARER,
            (
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            ),
        ],
        format!("channel={channel}&text=hi").as_bytes(),
    );
    assert_eq!(
        (form["ok"].clone(), form["warning"].clone()),
        (json!(true), json!("superfluous_charset"))
    );
    assert_eq!(warning_codes(&slack), ["superfluous_charset"]);
}

#[test]
fn an_absent_required_argument_is_invalid_arguments_but_an_empty_one_reaches_the_method() {
    let slack = FakeSlack::start();
    let absent = json_call(
        &slack,
        "chat.postMessage",
        JSON_UTF8,
        &json!({ "text": "hi" }),
    );
    assert_eq!(absent["error"], "invalid_arguments", "{absent}");
    assert_eq!(
        absent["response_metadata"]["messages"],
        json!(["[ERROR] missing required field: channel"])
    );
    let violations = slack.take_violations();
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].rule, ContractRule::MissingArgument);
    assert!(violations[0].detail.contains("channel"));

    let empty = json_call(
        &slack,
        "chat.postMessage",
        JSON_UTF8,
        &json!({ "channel": "", "text": "hi" }),
    );
    assert_eq!(empty["error"], "channel_not_found", "{empty}");
    assert!(slack.violations().is_empty());

    let both = form_call(&slack, "reactions.add", &[("channel", "C1")]);
    assert_eq!(
        both["response_metadata"]["messages"],
        json!([
            "[ERROR] missing required field: name",
            "[ERROR] missing required field: timestamp"
        ])
    );
    assert_eq!(
        rules(&slack),
        [ContractRule::MissingArgument, ContractRule::MissingArgument]
    );
}

#[test]
fn a_verb_the_method_does_not_list_is_a_violation() {
    let slack = FakeSlack::start();
    let channel = create(&slack, "inc-verb");
    // Undocumented per method: served from the query, as the Web API page's general rule reads.
    let target = format!("chat.postMessage?channel={channel}&text=hi");
    let get = raw(&slack, "GET", &target, &[BEARER], b"");
    assert_eq!(get["ok"], true, "{get}");
    let violations = slack.take_violations();
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].rule, ContractRule::Verb);
    assert_eq!(violations[0].detail, "GET; the contract lists POST");

    // Another verb: Slack documents only GET and POST, so a body on it is not read either.
    let put = raw(
        &slack,
        "PUT",
        "conversations.history",
        &[BEARER, ("content-type", FORM)],
        format!("channel={channel}").as_bytes(),
    );
    assert_eq!(put["error"], "invalid_arguments", "{put}");
    assert_eq!(
        rules(&slack),
        [
            ContractRule::Verb,
            ContractRule::BodyNotRead,
            ContractRule::MissingArgument
        ]
    );
}

#[test]
fn bodies_slack_cannot_take_are_refused_with_its_request_errors() {
    let slack = FakeSlack::start();
    let body = br#"{"channel":"C1","text":"hi"}"#;
    /// Headers, Slack's answer, the rule broken.
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, ContractRule);
    let cases: [Case; 3] = [
        (
            &[BEARER],
            "missing_post_type",
            ContractRule::MissingContentType,
        ),
        (
            &[BEARER, ("content-type", "text/xml")],
            "invalid_post_type",
            ContractRule::InvalidContentType,
        ),
        (
            &[BEARER, ("content-type", "application/json; charset=utf-16")],
            "invalid_charset",
            ContractRule::InvalidContentType,
        ),
    ];
    for (headers, code, rule) in cases {
        let answer = raw(&slack, "POST", "chat.postMessage", headers, body);
        assert_eq!(answer["error"], code, "{headers:?}: {answer}");
        assert_eq!(rules(&slack), [rule], "{headers:?}");
    }
    for (body, code) in [
        (&b"{\"channel\":"[..], "invalid_json"),
        (b"[1]", "json_not_object"),
    ] {
        let headers = [BEARER, ("content-type", JSON_UTF8)];
        let answer = raw(&slack, "POST", "chat.postMessage", &headers, body);
        assert_eq!(answer["error"], code, "{answer}");
        assert_eq!(rules(&slack), [ContractRule::MalformedJson]);
    }
    // A type Slack reads elsewhere (files.upload) but chat.postMessage does not.
    let plain = [BEARER, ("content-type", "text/plain")];
    let answer = raw(&slack, "POST", "chat.postMessage", &plain, b"channel=C1");
    assert_eq!(answer["error"], "invalid_arguments", "{answer}");
    assert_eq!(
        rules(&slack),
        [ContractRule::BodyNotRead, ContractRule::MissingArgument]
    );
}

#[test]
fn a_token_in_the_query_string_is_refused() {
    let slack = FakeSlack::start();
    let target = format!("conversations.list?token={FAKE_BOT_TOKEN}");
    let alone = raw(&slack, "GET", &target, &[], b"");
    assert_eq!(alone["error"], "invalid_auth", "{alone}");
    let with_header = raw(&slack, "GET", &target, &[BEARER], b"");
    assert_eq!(
        with_header["error"], "invalid_auth",
        "refused even beside a header"
    );
    let violations = slack.take_violations();
    assert_eq!(
        violations.iter().map(|v| v.rule).collect::<Vec<_>>(),
        [ContractRule::TokenInQuery, ContractRule::TokenInQuery]
    );
    assert!(
        violations
            .iter()
            .all(|v| !v.detail.contains(FAKE_BOT_TOKEN)),
        "a violation never carries the token"
    );
}

#[test]
fn a_token_is_read_from_a_form_body_but_not_from_a_json_one() {
    let slack = FakeSlack::start();
    let channel = create(&slack, "inc-token");
    let form = raw(
        &slack,
        "POST",
        "chat.postMessage",
        &[("content-type", FORM)],
        format!("token={FAKE_BOT_TOKEN}&channel={channel}&text=hi").as_bytes(),
    );
    assert_eq!(
        form["ok"], true,
        "documented: the token as a POST parameter"
    );
    let json = raw(
        &slack,
        "POST",
        "chat.postMessage",
        &[("content-type", JSON_UTF8)],
        json!({ "token": FAKE_BOT_TOKEN, "channel": channel, "text": "hi" })
            .to_string()
            .as_bytes(),
    );
    assert_eq!(json["error"], "not_authed", "{json}");
    assert_eq!(rules(&slack), [ContractRule::TokenInJsonBody]);
}

#[test]
fn an_argument_the_method_does_not_have_is_ignored_and_recorded() {
    let slack = FakeSlack::start();
    let channel = create(&slack, "inc-args");
    let metadata = json!({ "event_type": "e", "event_payload": { "n": 1 } });
    post_with_metadata(&slack, &channel, &metadata);
    let misspelt = form_call(
        &slack,
        "conversations.history",
        &[("channel", &channel), ("include_all_metdata", "true")],
    );
    assert_eq!(
        misspelt["messages"][0]["metadata"],
        json!({ "event_type": "e" }),
        "the misspelt flag is not seen"
    );
    let violations = slack.take_violations();
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].rule, ContractRule::UnknownArgument);
    assert!(violations[0].detail.starts_with("include_all_metdata "));
    let spelt = form_call(
        &slack,
        "conversations.history",
        &[("channel", &channel), ("include_all_metadata", "true")],
    );
    assert_eq!(spelt["messages"][0]["metadata"], metadata);
}

fn post_with_metadata(slack: &FakeSlack, channel: &str, metadata: &Value) {
    let body = json!({ "channel": channel, "text": "x", "metadata": metadata });
    let posted = json_call(slack, "chat.postMessage", JSON_UTF8, &body);
    assert_eq!(posted["ok"], true, "{posted}");
}

#[test]
fn a_method_outside_the_contract_table_is_unknown() {
    let slack = FakeSlack::start();
    let answer = form_call(&slack, "chat.delete", &[("channel", "C1"), ("ts", "1.2")]);
    assert_eq!(answer["error"], "unknown_method");
    assert_eq!(rules(&slack), [ContractRule::UnknownMethod]);
}

#[test]
fn the_fake_fails_the_test_when_dropped_with_violations_or_warnings_left() {
    let broken = std::panic::catch_unwind(|| {
        let slack = FakeSlack::start();
        let channel = create(&slack, "inc-left");
        json_call(
            &slack,
            "conversations.history",
            JSON_UTF8,
            &json!({ "channel": channel }),
        );
    });
    let message = *broken
        .expect_err("a violation left fails the test")
        .downcast::<String>()
        .unwrap();
    assert!(
        message.contains("conversations.history: body_not_read"),
        "{message}"
    );
    let warned = std::panic::catch_unwind(|| {
        let slack = FakeSlack::start();
        let channel = create(&slack, "inc-left");
        json_call(
            &slack,
            "chat.postMessage",
            "application/json",
            &json!({ "channel": channel, "text": "x" }),
        );
    });
    assert!(warned.is_err(), "a warning left fails the test");
    let declared = std::panic::catch_unwind(|| {
        let slack = FakeSlack::start();
        form_call(&slack, "chat.delete", &[]);
        assert_eq!(slack.take_violations().len(), 1);
    });
    assert!(declared.is_ok(), "taken violations are declared, not left");
}

#[test]
fn the_compiled_table_is_the_committed_json_table() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../contracts/slack/methods.json"
    );
    let table: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let methods = table["methods"].as_object().unwrap();
    assert_eq!(
        SLACK_METHODS.iter().map(|m| m.name).collect::<Vec<_>>(),
        methods.keys().map(String::as_str).collect::<Vec<_>>()
    );
    for method in SLACK_METHODS {
        let entry = &methods[method.name];
        let arguments: serde_json::Map<String, Value> = method
            .arguments
            .iter()
            .map(|a| {
                let about = json!({ "type": a.kind, "required": a.required, "json": a.json });
                (a.name.to_owned(), about)
            })
            .collect();
        let compiled = json!({
            "verbs": method.verbs,
            "content_types": method.content_types,
            "token": method.token,
            "arguments": arguments,
            "bot_scopes": method.bot_scopes,
            "docs": method.docs,
            "amended_by": entry["amended_by"],
        });
        assert_eq!(&compiled, entry, "{}", method.name);
    }
}
