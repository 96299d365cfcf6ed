//! `fake-slack`: the project's `FakeSlack` (the recording Slack Web API the tests use) as a
//! process a developer runs next to `scripts/run`, to watch a Slack-declared incident without
//! a Slack workspace. It creates `#general`, prints the `.dev.vars` lines that point the
//! worker at it, then prints each Web API call as it arrives, one line each with the fake's
//! answer, and below it any breach of Slack's published contract the fake recorded (a read
//! sent as JSON, a missing argument, …) and any warning it answered (`missing_charset`), as
//! the tests would fail on them. State is in memory: restarting it forgets every channel.
//! Ctrl-C stops it.
//!
//! `cargo run -p incidentd-e2e --bin fake-slack [-- --port N]` (default port 8789), from the
//! repository root (it reads `./.dev.vars` to print only the lines missing there).
//! docs/slack.md, "Trying it locally", walks through the rest.

use incidentctl::dev_var;
use incidentd_testkit::{
    AnsweredCall, ContractViolation, FakeSlack, SlackWarning, FAKE_BOT_TOKEN, FAKE_BOT_USER_ID,
    FAKE_TEAM_ID, FAKE_USER_MESSAGE_METHOD,
};
use serde_json::Value;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

const DEFAULT_PORT: u16 = 8789;
/// How often new calls are looked for.
const POLL: Duration = Duration::from_millis(100);
/// Message texts are cut to this many characters on their line.
const TEXT_WIDTH: usize = 90;

fn main() -> ExitCode {
    let port = match port_from(std::env::args().skip(1)) {
        Ok(port) => port,
        Err(e) => {
            eprintln!("fake-slack: {e}\nusage: fake-slack [--port N]");
            return ExitCode::from(2);
        }
    };
    let slack = match FakeSlack::start_on(port) {
        Ok(slack) => slack,
        Err(e) => {
            eprintln!(
                "fake-slack: cannot listen on 127.0.0.1:{port}: {e} (choose another with --port)"
            );
            return ExitCode::FAILURE;
        }
    };
    let general = slack.add_general_channel();
    let existing = |key: &str| dev_var(Path::new(".dev.vars"), key);
    print!(
        "{}",
        banner(
            &slack,
            &general,
            &dev_vars_lines(&slack.api_url(), existing)
        )
    );
    let mut printed = 0;
    loop {
        let calls = slack.answered_calls();
        for call in &calls[printed..] {
            let channel_name = |id: &str| slack.channel(id).map(|c| c.name);
            println!("{}", describe(call, channel_name));
        }
        printed = calls.len();
        // Taken, so the fake holds none when it stops: they were reported here.
        for violation in slack.take_violations() {
            println!("{}", violation_line(&violation));
        }
        for warning in slack.take_warnings() {
            println!("{}", warning_line(&warning));
        }
        std::thread::sleep(POLL);
    }
}

/// `--port N` (or `--port=N`), else [`DEFAULT_PORT`].
fn port_from(mut args: impl Iterator<Item = String>) -> Result<u16, String> {
    let mut port = DEFAULT_PORT;
    while let Some(arg) = args.next() {
        let value = match arg.strip_prefix("--port") {
            Some("") => args.next().ok_or("--port needs a number")?,
            Some(rest) if rest.starts_with('=') => rest[1..].to_owned(),
            _ => return Err(format!("unexpected argument {arg:?}")),
        };
        port = value
            .parse()
            .map_err(|_| format!("--port takes a port number, not {value:?}"))?;
    }
    Ok(port)
}

/// The `.dev.vars` lines the worker needs to use this fake, leaving out those already there
/// (`existing` reads the file): the API URL unless it is already this one, and a signing
/// secret and token key unless some are set (changing them would orphan stored tokens).
fn dev_vars_lines(api_url: &str, existing: impl Fn(&str) -> Option<String>) -> Vec<String> {
    let mut lines = Vec::new();
    if existing("SLACK_API_URL").as_deref() != Some(api_url) {
        lines.push(format!("SLACK_API_URL={api_url}"));
    }
    if existing("SLACK_SIGNING_SECRET").is_none() {
        lines.push(format!("SLACK_SIGNING_SECRET={}", hex(&random::<24>())));
    }
    if existing("SLACK_TOKEN_KEY").is_none() {
        use base64::Engine;
        let key = base64::engine::general_purpose::STANDARD.encode(random::<32>());
        lines.push(format!("SLACK_TOKEN_KEY={key}"));
    }
    lines
}

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0; N];
    getrandom::fill(&mut bytes).expect("the system's randomness");
    bytes
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn banner(slack: &FakeSlack, general: &str, dev_vars: &[String]) -> String {
    let mut out = format!(
        "fake Slack on {url}: workspace {FAKE_TEAM_ID}, bot user {FAKE_BOT_USER_ID}, bot token {FAKE_BOT_TOKEN}, #general is {general}\n\n",
        url = slack.url
    );
    match dev_vars.is_empty() {
        true => out.push_str("./.dev.vars already points the worker here.\n"),
        false => {
            out.push_str(
                "Add to ./.dev.vars (replacing any SLACK_API_URL), then (re)start scripts/run:\n\n",
            );
            for line in dev_vars {
                out.push_str(&format!("    {line}\n"));
            }
        }
    }
    out.push_str(&format!(
        "\nConnect the workspace to the demo tenant (once per scripts/run state):\n\n    \
         INCIDENTD_SLACK_BOT_TOKEN={FAKE_BOT_TOKEN} ./target/debug/incidentctl admin slack connect \
         --tenant demo --team {FAKE_TEAM_ID} --bot-user {FAKE_BOT_USER_ID}\n\n\
         Web API calls as they arrive (Ctrl-C stops):\n"
    ));
    out
}

/// One call on one line: method, channel, what it carries, and the fake's answer.
fn describe(answered: &AnsweredCall, channel_name: impl Fn(&str) -> Option<String>) -> String {
    let call = &answered.call;
    let channel = match call.method.as_str() {
        "conversations.create" => format!("#{}", call.arg("name")),
        _ => match call.arg("channel") {
            "" => String::new(),
            id => channel_name(id).map_or_else(|| id.to_owned(), |name| format!("#{name}")),
        },
    };
    let what = match call.method.as_str() {
        "chat.postMessage" | "chat.update" | FAKE_USER_MESSAGE_METHOD => {
            let mut what = quoted(call.arg("text"));
            if call.method == FAKE_USER_MESSAGE_METHOD {
                what = format!("{} wrote {what}", call.arg("user"));
            }
            if !call.arg("thread_ts").is_empty() {
                what = format!("in thread {}: {what}", call.arg("thread_ts"));
            }
            if call.method == "chat.update" {
                what = format!("ts {}: {what}", call.arg("ts"));
            }
            what
        }
        "conversations.invite" => format!("users {}", call.arg("users")),
        "pins.add" => format!("ts {}", call.arg("timestamp")),
        "reactions.add" => format!(":{}: on ts {}", call.arg("name"), call.arg("timestamp")),
        "conversations.replies" => format!("thread {}", call.arg("ts")),
        "views.open" => quoted(call.body["view"]["title"]["text"].as_str().unwrap_or("")),
        _ => String::new(),
    };
    let line = [call.method.as_str(), &channel, &what]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("  ");
    format!("{line}  → {}", outcome(answered))
}

/// `ok` (with the new channel's id or the post's ts), Slack's error code, or the HTTP status.
fn outcome(answered: &AnsweredCall) -> String {
    let answer = &answered.answer;
    if answered.status != 200 {
        return format!("HTTP {}", answered.status);
    }
    if answer["ok"] != true {
        return answer["error"].as_str().unwrap_or("not ok").to_owned();
    }
    match (answered.call.method.as_str(), &answer["ts"]) {
        ("conversations.create", _) => {
            format!("ok {}", answer["channel"]["id"].as_str().unwrap_or(""))
        }
        (_, Value::String(ts)) => format!("ok ts {ts}"),
        _ => "ok".to_owned(),
    }
}

/// A breach of Slack's contract, under the call that made it.
fn violation_line(violation: &ContractViolation) -> String {
    format!("  ! contract violation: {violation}")
}

/// A warning the fake answered, under the call that drew it.
fn warning_line(warning: &SlackWarning) -> String {
    format!("  ! {warning}")
}

/// A message's text on one line, cut to [`TEXT_WIDTH`] characters.
fn quoted(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut cut: String = flat.chars().take(TEXT_WIDTH).collect();
    if cut.len() < flat.len() {
        cut.push('…');
    }
    format!("{cut:?}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use incidentd_testkit::{ContractRule, SlackCall};
    use serde_json::json;

    fn answered(method: &str, body: Value, status: u16, answer: Value) -> AnsweredCall {
        AnsweredCall {
            call: SlackCall {
                method: method.to_owned(),
                headers: Vec::new(),
                body,
                received_at: std::time::Instant::now(),
            },
            status,
            answer,
        }
    }

    fn named(id: &str) -> Option<String> {
        (id == "C1").then(|| "inc-checkout".to_owned())
    }

    #[test]
    fn each_call_reads_as_method_channel_content_and_answer() {
        let cases = [
            (
                answered(
                    "conversations.create",
                    json!({ "name": "inc-checkout" }),
                    200,
                    json!({ "ok": true, "channel": { "id": "C1" } }),
                ),
                "conversations.create  #inc-checkout  → ok C1",
            ),
            (
                answered(
                    "chat.postMessage",
                    json!({ "channel": "C1", "text": "Incident:\n checkout   is failing" }),
                    200,
                    json!({ "ok": true, "ts": "1.2" }),
                ),
                r#"chat.postMessage  #inc-checkout  "Incident: checkout is failing"  → ok ts 1.2"#,
            ),
            (
                answered(
                    "chat.postMessage",
                    json!({ "channel": "C0GENERAL", "thread_ts": "9.1", "text": "see #inc" }),
                    200,
                    json!({ "ok": true, "ts": "1.3" }),
                ),
                r#"chat.postMessage  C0GENERAL  in thread 9.1: "see #inc"  → ok ts 1.3"#,
            ),
            (
                answered(
                    FAKE_USER_MESSAGE_METHOD,
                    json!({ "channel": "C0GENERAL", "user": "U0DEV", "text": "<@UFAKEBOT> db down" }),
                    200,
                    json!({ "ok": true, "channel": "C0GENERAL", "ts": "9.1" }),
                ),
                r#"fake.userMessage  C0GENERAL  U0DEV wrote "<@UFAKEBOT> db down"  → ok ts 9.1"#,
            ),
            (
                answered(
                    "conversations.invite",
                    json!({ "channel": "C1", "users": "U0DEV" }),
                    200,
                    json!({ "ok": true, "channel": { "id": "C1" } }),
                ),
                "conversations.invite  #inc-checkout  users U0DEV  → ok",
            ),
            (
                answered(
                    "reactions.add",
                    json!({ "channel": "C0GENERAL", "name": "fire", "timestamp": "9.1" }),
                    200,
                    json!({ "ok": false, "error": "message_not_found" }),
                ),
                "reactions.add  C0GENERAL  :fire: on ts 9.1  → message_not_found",
            ),
            (
                answered(
                    "pins.add",
                    json!({ "channel": "C1", "timestamp": "1.2" }),
                    500,
                    json!("internal error"),
                ),
                "pins.add  #inc-checkout  ts 1.2  → HTTP 500",
            ),
            (
                answered(
                    "conversations.archive",
                    json!({ "channel": "C1" }),
                    200,
                    json!({ "ok": true }),
                ),
                "conversations.archive  #inc-checkout  → ok",
            ),
        ];
        for (call, line) in cases {
            assert_eq!(describe(&call, named), line);
        }
        let long = answered(
            "chat.update",
            json!({ "channel": "C1", "ts": "1.2", "text": "x".repeat(200) }),
            200,
            json!({ "ok": true, "channel": "C1", "ts": "1.2" }),
        );
        let line = describe(&long, named);
        assert!(
            line.starts_with(&format!(
                "chat.update  #inc-checkout  ts 1.2: \"{}…\"",
                "x".repeat(90)
            )),
            "{line}"
        );
    }

    #[test]
    fn violations_and_warnings_read_as_marked_lines() {
        let violation = ContractViolation {
            method: "conversations.history".into(),
            rule: ContractRule::MissingArgument,
            detail: "the required argument channel is absent".into(),
        };
        assert_eq!(
            violation_line(&violation),
            "  ! contract violation: conversations.history: missing_argument: the required \
             argument channel is absent (see https://api.slack.com/methods/conversations.history)"
        );
        let warning = SlackWarning {
            method: "chat.postMessage".into(),
            code: "missing_charset".into(),
        };
        assert_eq!(
            warning_line(&warning),
            "  ! chat.postMessage: warning missing_charset"
        );
    }

    #[test]
    fn only_missing_dev_vars_are_printed_and_secrets_are_fresh() {
        let url = "http://127.0.0.1:8789/api";
        let none = dev_vars_lines(url, |_| None);
        let keys: Vec<&str> = none.iter().map(|l| l.split('=').next().unwrap()).collect();
        assert_eq!(
            keys,
            ["SLACK_API_URL", "SLACK_SIGNING_SECRET", "SLACK_TOKEN_KEY"]
        );
        assert_eq!(none[0], format!("SLACK_API_URL={url}"));
        let key = none[2].strip_prefix("SLACK_TOKEN_KEY=").unwrap();
        use base64::Engine;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(key)
            .unwrap();
        assert_eq!(decoded.len(), 32, "AES-256 key");
        assert_ne!(dev_vars_lines(url, |_| None)[1], none[1], "fresh each time");

        let set = |key: &str| match key {
            "SLACK_API_URL" => Some(url.to_owned()),
            _ => Some("kept".to_owned()),
        };
        assert!(dev_vars_lines(url, set).is_empty());
        let moved = |key: &str| match key {
            "SLACK_API_URL" => Some("http://127.0.0.1:1/api".to_owned()),
            _ => Some("kept".to_owned()),
        };
        assert_eq!(dev_vars_lines(url, moved), [format!("SLACK_API_URL={url}")]);
    }

    #[test]
    fn the_port_is_the_default_or_given() {
        let port = |args: &[&str]| port_from(args.iter().map(ToString::to_string));
        assert_eq!(port(&[]), Ok(DEFAULT_PORT));
        assert_eq!(port(&["--port", "9000"]), Ok(9000));
        assert_eq!(port(&["--port=9001"]), Ok(9001));
        assert!(port(&["--port"]).unwrap_err().contains("needs a number"));
        assert!(port(&["--port", "x"]).unwrap_err().contains("not \"x\""));
        assert!(port(&["--verbose"]).unwrap_err().contains("unexpected"));
    }
}
