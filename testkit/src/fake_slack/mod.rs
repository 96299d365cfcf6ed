//! A fake Slack Web API for tests, on the [`RecordingServer`]: one workspace kept in memory
//! (channels, their members, messages with their `metadata`, pins, reactions, opened views),
//! Slack's answer shapes (`{"ok":true,..}` / `{"ok":false,"error":".."}`), the bot token
//! checked from `Authorization: Bearer` (or a form's `token`), and faults scripted per method.
//! Point the code under test at [`FakeSlack::api_url`] where it would use
//! `https://slack.com/api`.
//!
//! It holds callers to Slack's published contract (its `contract` module, by the table in
//! `contracts/slack`, derived from Slack's OpenAPI description), not to what our client
//! happens to send: a request Slack would misread is misread (a JSON body to a read method is
//! not read), one Slack would refuse is refused, one Slack would warn about is warned about.
//! Every breach is recorded as a [`ContractViolation`] and every warning answered as a
//! [`SlackWarning`]; when the fake is dropped with either left, it fails the test. A test that
//! breaks the contract on purpose takes what it expects with [`FakeSlack::take_violations`] and
//! [`FakeSlack::take_warnings`]. Every call is recorded too ([`SlackCall`]), and
//! [`submitted_view_state`] is what Slack sends when a person submits a view it opened.
//!
//! Served methods: those of the contract table (`conversations.create`, `.list`, `.invite`,
//! `.history`, `.replies`, `.archive`, `chat.postMessage`, `chat.update`, `pins.add`,
//! `reactions.add`, `views.open`, `oauth.v2.access`), and one that is not Slack's:
//! [`FAKE_USER_MESSAGE_METHOD`], a person's message (no token, no contract: it stands for
//! someone typing in Slack, for tools driving the fake from outside the process). Anything
//! else answers `unknown_method`, and is a violation.

mod contract;
mod request;
mod views;
mod workspace;

#[cfg(test)]
mod contract_tests;
#[cfg(test)]
mod tests;

pub use contract::{ContractRule, ContractViolation, SlackWarning};
pub use request::{AnsweredCall, SlackCall};
pub use views::{submitted_view_state, ViewInput};
pub use workspace::{FakeChannel, FakeMessage};

use contract::{slack_method, Reading, Warning};
use request::parse_call;
use serde_json::{json, Value};
use sluice::native::{RecordedRequest, RecordingServer, Scripted};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use workspace::{oauth_access, Workspace};

/// The bot token the fake accepts (`oauth.v2.access` hands it out).
pub const FAKE_BOT_TOKEN: &str = "xoxb-fake-bot-token";
/// The bot's user id: the author of everything posted through the fake.
pub const FAKE_BOT_USER_ID: &str = "UFAKEBOT";
/// The bot's `bot_id`, carried by its messages.
pub const FAKE_BOT_ID: &str = "BFAKEBOT";
pub const FAKE_APP_ID: &str = "AFAKEAPP";
pub const FAKE_TEAM_ID: &str = "TFAKETEAM";
/// The only authorization code `oauth.v2.access` accepts.
pub const FAKE_OAUTH_CODE: &str = "fake-oauth-code";
/// Not a Slack method: a person writes a message (form or JSON `channel`, `user`, `text`,
/// optional `thread_ts`); answers `{"ok":true,"channel","ts"}`. Over HTTP what
/// [`FakeSlack::add_user_message`] does in process.
pub const FAKE_USER_MESSAGE_METHOD: &str = "fake.userMessage";
/// The id [`FakeSlack::add_general_channel`] gives `#general`: fixed, so a developer's tools
/// can default to it.
pub const FAKE_GENERAL_CHANNEL_ID: &str = "C0GENERAL";
/// The creator of channels a test adds ([`FakeSlack::add_channel`]): a person, not the bot.
pub const FAKE_ADMIN_USER_ID: &str = "UFAKEADMIN";

/// A scripted failure for the next calls of one method.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 500; nothing happens.
    ServerError,
    /// HTTP 429 with `Retry-After`; nothing happens.
    RateLimited { retry_after_secs: u64 },
    /// The call takes effect, but its answer comes after the delay: with a shorter client
    /// timeout this is the "unknown outcome" case.
    Slow(Duration),
    /// HTTP 200 `{"ok":false,"error":<code>}` (`name_taken`, say); nothing happens.
    Error(String),
}

/// Decides a fault for a call that no scripted fault caught (a test's random failure rate).
type FaultRule = Box<dyn FnMut(&SlackCall) -> Option<Fault> + Send>;

/// The fake's state: the workspace, the scripted faults, and what it recorded.
#[derive(Default)]
struct State {
    workspace: Workspace,
    faults: HashMap<String, VecDeque<Fault>>,
    fault_rule: Option<FaultRule>,
    /// The answer to each call, in arrival order (the server's requests, one for one).
    answers: Vec<(u16, Value)>,
    violations: Vec<ContractViolation>,
    warnings: Vec<SlackWarning>,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A fault rule that panicked must not hide what was recorded before.
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

fn refused(code: &str, messages: &[String]) -> Value {
    let mut body = json!({ "ok": false, "error": code });
    if !messages.is_empty() {
        body["response_metadata"] = json!({ "messages": messages });
    }
    body
}

/// The caller's credentials, checked as Slack checks them: the bot token, or for
/// `oauth.v2.access` the app's client credentials.
fn authorise(method: &str, reading: &Reading) -> Result<(), &'static str> {
    if slack_method(method).is_some_and(|m| !m.token) {
        let client_args = ["client_id", "client_secret"].iter().all(|k| {
            reading
                .args
                .get(*k)
                .and_then(Value::as_str)
                .is_some_and(|v| !v.is_empty())
        });
        return match reading.basic_auth || client_args {
            true => Ok(()),
            false => Err("invalid_client_id"),
        };
    }
    match reading.token.as_deref() {
        None | Some("") => Err("not_authed"),
        Some(FAKE_BOT_TOKEN) => Ok(()),
        Some(_) => Err("invalid_auth"),
    }
}

/// The answer to a Slack method, from what Slack read of the request.
fn serve(workspace: &mut Workspace, method: &str, reading: Reading) -> Value {
    if let Some(refusal) = reading.refusal {
        return refused(refusal.code, &refusal.messages);
    }
    if let Err(code) = authorise(method, &reading) {
        return refused(code, &[]);
    }
    if !reading.missing.is_empty() {
        let messages: Vec<String> = reading
            .missing
            .iter()
            .map(|name| format!("[ERROR] missing required field: {name}"))
            .collect();
        return refused("invalid_arguments", &messages);
    }
    let args = Value::Object(reading.args);
    let result = match slack_method(method).is_some_and(|m| !m.token) {
        true => oauth_access(&args),
        false => workspace.call(method, &args),
    };
    result.unwrap_or_else(|code| refused(&code, &[]))
}

/// `warning` (comma-separated) and `response_metadata.warnings`/`messages`, as Slack adds them.
fn with_warnings(mut body: Value, warnings: &[Warning]) -> Value {
    if warnings.is_empty() {
        return body;
    }
    let codes: Vec<&str> = warnings.iter().map(|w| w.code).collect();
    body["warning"] = codes.join(",").into();
    let metadata = &mut body["response_metadata"];
    if !metadata.is_object() {
        *metadata = json!({});
    }
    metadata["warnings"] = json!(codes);
    let messages: Vec<&str> = warnings.iter().filter_map(|w| w.message).collect();
    if !messages.is_empty() {
        let mut all = metadata["messages"].as_array().cloned().unwrap_or_default();
        all.extend(messages.into_iter().map(Value::from));
        metadata["messages"] = Value::Array(all);
    }
    body
}

fn answer(state: &Mutex<State>, request: &RecordedRequest) -> Scripted {
    let call = parse_call(request);
    // The fake's own method is not Slack's: no contract applies to it.
    let reading =
        (call.method != FAKE_USER_MESSAGE_METHOD).then(|| contract::read(request, &call.method));
    let fault = {
        let mut state = lock(state);
        if let Some(reading) = &reading {
            let breaches = reading
                .breaches
                .iter()
                .map(|(rule, detail)| ContractViolation {
                    method: call.method.clone(),
                    rule: *rule,
                    detail: detail.clone(),
                });
            state.violations.extend(breaches);
        }
        let scripted = state
            .faults
            .get_mut(&call.method)
            .and_then(VecDeque::pop_front);
        scripted.or_else(|| state.fault_rule.as_mut().and_then(|rule| rule(&call)))
    };
    match fault {
        Some(Fault::ServerError) => return Scripted::status(500).body("internal error"),
        Some(Fault::RateLimited { retry_after_secs }) => {
            return Scripted::status(429)
                .header("retry-after", &retry_after_secs.to_string())
                .body(json!({ "ok": false, "error": "ratelimited" }).to_string())
        }
        Some(Fault::Error(code)) => {
            return Scripted::status(200).body(refused(&code, &[]).to_string())
        }
        Some(Fault::Slow(delay)) => std::thread::sleep(delay),
        None => {}
    }
    let mut state = lock(state);
    let body = match reading {
        None => state
            .workspace
            .user_message(&call.body)
            .unwrap_or_else(|code| refused(&code, &[])),
        Some(reading) => {
            let warnings = reading.warnings.clone();
            let body = serve(&mut state.workspace, &call.method, reading);
            state.warnings.extend(warnings.iter().map(|w| SlackWarning {
                method: call.method.clone(),
                code: w.code.to_owned(),
            }));
            with_warnings(body, &warnings)
        }
    };
    Scripted::status(200).body(body.to_string())
}

/// The fake workspace and its server; stops when dropped, and then fails the test if a
/// contract violation or warning was recorded and not taken.
pub struct FakeSlack {
    /// Base URL of the server (`http://127.0.0.1:<port>`).
    pub url: String,
    server: RecordingServer,
    state: Arc<Mutex<State>>,
}

impl FakeSlack {
    pub fn start() -> FakeSlack {
        Self::start_on(0).expect("bind loopback")
    }

    /// The fake on `127.0.0.1:<port>` (0: any free port); fails when the port is taken.
    pub fn start_on(port: u16) -> std::io::Result<FakeSlack> {
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let server = RecordingServer::answering_on(port, move |request| {
            let reply = answer(&shared, request);
            let body = serde_json::from_str(&reply.body)
                .unwrap_or_else(|_| Value::String(reply.body.clone()));
            lock(&shared).answers.push((reply.status, body));
            reply
        })?;
        Ok(FakeSlack {
            url: server.url.clone(),
            server,
            state,
        })
    }

    /// Where `https://slack.com/api` would be: methods are `<api_url>/<method>`.
    pub fn api_url(&self) -> String {
        format!("{}/api", self.url)
    }

    /// The next `times` calls of `method` meet `fault` (queued after earlier scripted faults).
    pub fn fail_next(&self, method: &str, times: usize, fault: Fault) {
        let mut state = self.lock();
        let queue = state.faults.entry(method.to_owned()).or_default();
        queue.extend(std::iter::repeat_n(fault, times));
    }

    /// Calls no scripted fault caught meet what `rule` decides (`None`: answered normally).
    /// Replaces an earlier rule. For failure rates: the rule draws from the test's seeded
    /// generator, so a failing run can be repeated.
    pub fn fail_when(&self, rule: impl FnMut(&SlackCall) -> Option<Fault> + Send + 'static) {
        self.lock().fault_rule = Some(Box::new(rule));
    }

    /// Every call so far, faulted ones included, in arrival order.
    pub fn calls(&self) -> Vec<SlackCall> {
        self.server.requests().iter().map(parse_call).collect()
    }

    /// The calls answered so far, each with its answer, in arrival order.
    pub fn answered_calls(&self) -> Vec<AnsweredCall> {
        let answers = self.lock().answers.clone();
        self.server
            .requests()
            .iter()
            .zip(answers)
            .map(|(request, (status, answer))| AnsweredCall {
                call: parse_call(request),
                status,
                answer,
            })
            .collect()
    }

    pub fn calls_to(&self, method: &str) -> Vec<SlackCall> {
        self.calls()
            .into_iter()
            .filter(|c| c.method == method)
            .collect()
    }

    /// The contract violations recorded so far, in arrival order (kept).
    pub fn violations(&self) -> Vec<ContractViolation> {
        self.lock().violations.clone()
    }

    /// The contract violations recorded so far, cleared: how a test that breaks the contract
    /// on purpose declares what it expects (it asserts on them); any left fail the test when
    /// the fake is dropped.
    pub fn take_violations(&self) -> Vec<ContractViolation> {
        std::mem::take(&mut self.lock().violations)
    }

    /// The warnings answered so far (`missing_charset`, …), in arrival order (kept).
    pub fn warnings(&self) -> Vec<SlackWarning> {
        self.lock().warnings.clone()
    }

    /// The warnings answered so far, cleared (as [`take_violations`](Self::take_violations)).
    pub fn take_warnings(&self) -> Vec<SlackWarning> {
        std::mem::take(&mut self.lock().warnings)
    }

    /// An existing public channel the bot is in (where people mention it); returns its id.
    pub fn add_channel(&self, name: &str) -> String {
        self.lock()
            .workspace
            .add_channel(name, false, FAKE_ADMIN_USER_ID)
            .id
    }

    /// `#general` with the fixed id [`FAKE_GENERAL_CHANNEL_ID`] (once); returns its id.
    pub fn add_general_channel(&self) -> String {
        let workspace = &mut self.lock().workspace;
        if workspace.channel_mut(FAKE_GENERAL_CHANNEL_ID).is_err() {
            workspace.add_channel_with_id(
                FAKE_GENERAL_CHANNEL_ID.to_owned(),
                "general",
                false,
                FAKE_ADMIN_USER_ID,
            );
        }
        FAKE_GENERAL_CHANNEL_ID.to_owned()
    }

    /// A message a person wrote (a mention to react to, a thread to answer); returns its ts.
    pub fn add_user_message(
        &self,
        channel: &str,
        user: &str,
        text: &str,
        thread_ts: Option<&str>,
    ) -> String {
        self.lock()
            .workspace
            .push_user_message(channel, user, text, thread_ts)
            .expect("add_user_message: unknown channel")
    }

    pub fn channel(&self, id: &str) -> Option<FakeChannel> {
        let state = self.lock();
        state
            .workspace
            .channels
            .iter()
            .find(|c| c.id == id)
            .cloned()
    }

    pub fn channel_named(&self, name: &str) -> Option<FakeChannel> {
        let state = self.lock();
        state
            .workspace
            .channels
            .iter()
            .find(|c| c.name == name)
            .cloned()
    }

    /// Views opened with `views.open`, with the ids the fake gave them.
    pub fn opened_views(&self) -> Vec<Value> {
        self.lock().workspace.views.clone()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

impl Drop for FakeSlack {
    /// Every test that uses the fake ends with this check: no contract violation and no
    /// warning left. Skipped while a test is already failing (its own panic says more).
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let state = self.lock();
        if state.violations.is_empty() && state.warnings.is_empty() {
            return;
        }
        let mut report: Vec<String> = state
            .violations
            .iter()
            .map(|v| format!("  violation {v}"))
            .collect();
        report.extend(state.warnings.iter().map(|w| format!("  {w}")));
        drop(state);
        panic!(
            "FakeSlack: requests broke Slack's published contract (contracts/slack):\n{}\n\
             Fix the caller; a test that breaks the contract on purpose takes what it expects \
             with take_violations() / take_warnings().",
            report.join("\n")
        );
    }
}
