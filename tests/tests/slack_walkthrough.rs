//! docs/slack.md's "Trying it locally" walkthrough, run with the real binaries: `incidentctl`
//! (reading its credentials from `./.dev.vars` as the walkthrough has it) against a local
//! worker whose Slack is a `FakeSlack` with `#general`, and the `fake-slack` binary itself.
//! A mention declares the incident; its channel, invite, pinned announcement and thread copy
//! reach the fake; severity changes from the dashboard and from the announcement's select;
//! a message and a prompt in the channel; `/incident status`; resolving posts the summary.

use incidentctl::slack::DEV_USER;
use incidentd_adapters::slack::outbound::blocks::part;
use incidentd_adapters::slack::outbound::metadata::PostedFor;
use incidentd_e2e::slack::{start_with_slack, ADMIN_TOKEN, SIGNING_SECRET};
use incidentd_e2e::{incidentctl_binary, poll, LocalWorker, TEST_SECRET};
use incidentd_testkit::{
    FakeChannel, FakeMessage, FakeSlack, FAKE_BOT_TOKEN, FAKE_BOT_USER_ID, FAKE_TEAM_ID,
};
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

/// A directory holding the `.dev.vars` the walkthrough builds up, where `incidentctl` runs.
fn walkthrough_dir(name: &str, lines: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("walkthrough dir");
    let vars: String = lines.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    std::fs::write(dir.join(".dev.vars"), vars).expect(".dev.vars");
    dir
}

/// Runs `incidentctl <args>` in `dir` against `url`; panics unless it succeeds; its stdout.
fn incidentctl(dir: &Path, url: &str, args: &[&str]) -> String {
    let output = Command::new(incidentctl_binary())
        .args(["--url", url])
        .args(args)
        .env_remove("INCIDENTD_URL")
        .env_remove("INCIDENTD_CLIENT")
        .env_remove("INCIDENTD_SECRET")
        .env_remove("INCIDENTD_ADMIN_TOKEN")
        .env_remove("INCIDENTD_SLACK_SIGNING_SECRET")
        .env_remove("INCIDENTD_SLACK_API_URL")
        .env("INCIDENTD_SLACK_BOT_TOKEN", FAKE_BOT_TOKEN)
        .current_dir(dir)
        .output()
        .expect("incidentctl runs");
    let (out, err) = (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    );
    assert!(
        output.status.success(),
        "incidentctl {args:?} failed:\n{out}{err}"
    );
    assert!(
        !err.contains("the event goes without it"),
        "incidentctl {args:?} could not write at the fake: {err}"
    );
    out
}

fn part_of(message: &FakeMessage) -> Option<String> {
    PostedFor::of_message(&json!({ "metadata": message.metadata })).map(|p| p.part)
}

/// Waits for a message in `channel` that `wanted` accepts.
fn wait_for_message(
    slack: &FakeSlack,
    worker: &LocalWorker,
    channel: &str,
    what: &str,
    wanted: impl Fn(&FakeMessage) -> bool,
) -> FakeMessage {
    poll(WAIT, || {
        slack
            .channel(channel)?
            .messages
            .into_iter()
            .find(|m| wanted(m))
    })
    .unwrap_or_else(|| {
        panic!(
            "no {what} in {channel}: {:?}\ncalls {:?}\nlog:\n{}",
            slack.channel(channel),
            slack.calls(),
            worker.log()
        )
    })
}

#[test]
fn a_slack_declared_incident_runs_its_course_with_incidentctl_and_the_fake() {
    let slack = FakeSlack::start();
    let general = slack.add_general_channel();
    let worker = start_with_slack("slack-walkthrough", &slack);
    let url = worker.base_url();
    // What scripts/run writes, plus the lines fake-slack prints.
    let dir = walkthrough_dir(
        "slack-walkthrough",
        &[
            ("DASHBOARD_SIGNING_SECRET", TEST_SECRET),
            ("ADMIN_TOKEN", ADMIN_TOKEN),
            ("SLACK_API_URL", &slack.api_url()),
            ("SLACK_SIGNING_SECRET", SIGNING_SECRET),
        ],
    );
    let run = |args: &[&str]| incidentctl(&dir, &url, args);

    let connected = run(&[
        "admin",
        "slack",
        "connect",
        "--tenant",
        "demo",
        "--team",
        FAKE_TEAM_ID,
        "--bot-user",
        FAKE_BOT_USER_ID,
    ]);
    assert!(
        connected.contains("connected to tenant demo"),
        "{connected}"
    );

    let mentioned = run(&["slack", "mention", "checkout is failing"]);
    assert!(mentioned.contains("incidentctl list"), "{mentioned}");
    let listed = poll(WAIT, || {
        let listed = run(&["list"]);
        listed.contains("checkout is failing").then_some(listed)
    })
    .unwrap_or_else(|| panic!("no incident listed; log:\n{}", worker.log()));
    let id = listed.split_whitespace().next().unwrap().to_owned();
    assert!(run(&["show", &id]).contains("INCIDENT_CREATED"));

    // The channel, the invite, the pinned announcement; the fire and the copy in the thread.
    let mention = slack.channel(&general).unwrap().messages[0].clone();
    assert_eq!(
        (mention.user.as_str(), mention.text.as_str()),
        (DEV_USER, "<@UFAKEBOT> checkout is failing"),
        "incidentctl wrote the mention at the fake first"
    );
    let created = poll(WAIT, || slack.calls_to("conversations.create").pop())
        .unwrap_or_else(|| panic!("no channel; log:\n{}", worker.log()));
    let channel = slack
        .channel_named(created.arg("name"))
        .expect("the channel exists");
    let announcement = wait_for_message(&slack, &worker, &channel.id, "announcement", |m| {
        part_of(m).as_deref() == Some(part::ANNOUNCEMENT)
    });
    let copy = wait_for_message(&slack, &worker, &general, "thread copy", |m| {
        m.thread_ts.as_deref() == Some(&mention.ts)
    });
    assert_eq!(part_of(&copy).as_deref(), Some(part::ANNOUNCEMENT));
    poll(WAIT, || {
        let channel: FakeChannel = slack.channel(&channel.id)?;
        let fired = slack.channel(&general)?.messages[0]
            .reactions
            .contains(&"fire".to_owned());
        (channel.pins.contains(&announcement.ts) && fired).then_some(())
    })
    .unwrap_or_else(|| panic!("not pinned or no fire: {:?}", slack.calls()));
    assert!(
        slack
            .channel(&channel.id)
            .unwrap()
            .members
            .contains(&DEV_USER.to_owned()),
        "the declarer is invited"
    );

    // Severity from the dashboard, then from the announcement's select.
    assert!(run(&["severity", &id, "high"]).contains("severity → high"));
    let selected = run(&["slack", "select-severity", &id, "low"]);
    assert!(selected.contains("severity low selected"), "{selected}");
    let notes = poll(WAIT, || {
        let notes: Vec<String> = slack
            .channel(&channel.id)?
            .messages
            .iter()
            .filter(|m| part_of(m).as_deref() == Some(part::SEVERITY_NOTE))
            .map(|m| m.text.clone())
            .collect();
        (notes.len() == 2).then_some(notes)
    })
    .unwrap_or_else(|| panic!("no severity notes: {:?}", slack.calls()));
    assert!(
        notes[0].contains("High") && notes[1].contains("Low"),
        "{notes:?}"
    );

    // A message, /incident status and a prompt in the incident's channel.
    run(&[
        "slack",
        "message",
        "--channel",
        &channel.id,
        "rolled back the 10:00 deploy",
    ]);
    let status = run(&[
        "slack",
        "command",
        "/incident status",
        "--channel",
        &channel.id,
    ]);
    assert!(
        status.contains("checkout is failing") && status.contains("Low"),
        "{status}"
    );
    run(&[
        "slack",
        "mention",
        "--channel",
        &channel.id,
        "what changed in the last hour?",
    ]);
    let prompt = wait_for_message(&slack, &worker, &channel.id, "prompt", |m| {
        m.text.ends_with("what changed in the last hour?")
    });
    let answer = wait_for_message(&slack, &worker, &channel.id, "agent's answer", |m| {
        m.thread_ts.as_deref() == Some(&prompt.ts) && m.bot_id.is_some()
    });
    assert!(
        answer.text.contains("No language model is configured"),
        "{}",
        answer.text
    );
    let shown = run(&["show", &id]);
    assert!(
        shown.contains("rolled back the 10:00 deploy") && shown.contains("PROMPT_ADDED"),
        "{shown}"
    );

    // Resolve: the announcement follows and the closing summary is posted.
    assert!(
        run(&["status", &id, "resolved", "-m", "error rate back to normal"])
            .contains("status → resolved")
    );
    let summary = wait_for_message(&slack, &worker, &channel.id, "closing summary", |m| {
        part_of(m).as_deref() == Some(part::CLOSING_SUMMARY)
    });
    assert!(summary.text.contains("resolved"), "{}", summary.text);
    assert!(run(&["show", &id]).contains("status    resolved"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Reads a child's stdout lines on a thread, so a test can wait for one with a timeout.
fn lines_of(stdout: std::process::ChildStdout) -> mpsc::Receiver<String> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    receive
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

#[test]
fn fake_slack_prints_its_dev_vars_then_each_call_with_its_breaches_and_refuses_a_taken_port() {
    let dir = walkthrough_dir("fake-slack-cli", &[]);
    let port = free_port().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-slack"))
        .args(["--port", &port])
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .spawn()
        .expect("fake-slack starts");
    let lines = lines_of(child.stdout.take().expect("its stdout"));
    let mut banner = Vec::new();
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(10)) {
        let done = line.starts_with("Web API calls");
        banner.push(line);
        if done {
            break;
        }
    }
    let var = |key: &str| {
        banner
            .iter()
            .find_map(|l| l.trim().strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("no {key} in {banner:#?}"))
            .to_owned()
    };
    let api_url = var("SLACK_API_URL");
    assert_eq!(api_url, format!("http://127.0.0.1:{port}/api"));
    assert!(var("SLACK_SIGNING_SECRET").len() >= 32);
    assert!(!var("SLACK_TOKEN_KEY").is_empty());
    assert!(
        banner.iter().any(|l| l.contains("#general is C0GENERAL")),
        "{banner:#?}"
    );

    // JSON without a charset: served, with Slack's warning, which the fake prints.
    let posted: serde_json::Value = ureq::post(&format!("{api_url}/chat.postMessage"))
        .set("authorization", &format!("Bearer {FAKE_BOT_TOKEN}"))
        .send_json(json!({ "channel": "C0GENERAL", "text": "hello\nthere" }))
        .expect("the fake answers")
        .into_json()
        .expect("JSON");
    let next = || {
        lines
            .recv_timeout(Duration::from_secs(5))
            .expect("a line is printed")
    };
    assert_eq!(
        next(),
        format!(
            "chat.postMessage  #general  \"hello there\"  → ok ts {}",
            posted["ts"].as_str().unwrap()
        )
    );
    assert_eq!(next(), "  ! chat.postMessage: warning missing_charset");
    // A read sent as JSON: its arguments are not read, and the breach is printed.
    let read: serde_json::Value = ureq::post(&format!("{api_url}/conversations.history"))
        .set("authorization", &format!("Bearer {FAKE_BOT_TOKEN}"))
        .set("content-type", "application/json; charset=utf-8")
        .send_string(&json!({ "channel": "C0GENERAL" }).to_string())
        .expect("the fake answers")
        .into_json()
        .expect("JSON");
    assert_eq!(read["error"], "invalid_arguments");
    assert_eq!(
        next(),
        "conversations.history  #general  → invalid_arguments"
    );
    assert!(
        next().starts_with("  ! contract violation: conversations.history: body_not_read: "),
        "the unread body"
    );
    assert!(
        next().starts_with("  ! contract violation: conversations.history: missing_argument: "),
        "and so the missing channel"
    );

    let taken = Command::new(env!("CARGO_BIN_EXE_fake-slack"))
        .args(["--port", &port])
        .current_dir(&dir)
        .output()
        .expect("a second fake-slack runs");
    assert!(!taken.status.success());
    assert!(
        String::from_utf8_lossy(&taken.stderr).contains("cannot listen on 127.0.0.1:"),
        "{}",
        String::from_utf8_lossy(&taken.stderr)
    );
    child.kill().expect("fake-slack stops");
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
