//! A fake Slack Web API for tests, on the [`RecordingServer`]: one workspace kept in memory
//! (channels, their members, messages with their `metadata`, pins, reactions, opened views),
//! Slack's answer shapes (`{"ok":true,..}` / `{"ok":false,"error":".."}`), form or JSON bodies,
//! the bot token checked from `Authorization: Bearer`, and faults scripted per method. Every
//! call is recorded with its parsed body. Point the code under test at [`FakeSlack::api_url`]
//! where it would use `https://slack.com/api`.
//!
//! Served methods: `conversations.create`, `.list`, `.invite`, `.history`, `.replies`, `.archive`,
//! `chat.postMessage`, `chat.update`, `pins.add`, `reactions.add`, `views.open`,
//! `oauth.v2.access`, and one that is not Slack's: [`FAKE_USER_MESSAGE_METHOD`], a person's
//! message (no token: it stands for someone typing in Slack, for tools driving the fake from
//! outside the process). Anything else answers `unknown_method`.

use super::recording_server::{RecordedRequest, RecordingServer, Scripted};
use serde_json::{json, Map, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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

/// One Web API call as the fake received it.
#[derive(Clone, Debug, PartialEq)]
pub struct SlackCall {
    /// `chat.postMessage`, ….
    pub method: String,
    pub headers: Vec<(String, String)>,
    /// The arguments from the query, the form or the JSON body, as one JSON object; form
    /// values holding JSON (`blocks`, `metadata`, `view`) are decoded.
    pub body: Value,
    pub received_at: std::time::Instant,
}

impl SlackCall {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The argument `name` as a string (`""` when absent or not a string).
    pub fn arg(&self, name: &str) -> &str {
        self.body[name].as_str().unwrap_or_default()
    }
}

/// A call and what the fake answered.
#[derive(Clone, Debug, PartialEq)]
pub struct AnsweredCall {
    pub call: SlackCall,
    /// The HTTP status (200 unless a fault said otherwise).
    pub status: u16,
    /// The answer's JSON (`{"ok":..}`), or the raw text when it is not JSON.
    pub answer: Value,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FakeMessage {
    pub ts: String,
    /// The author: the bot for posted messages.
    pub user: String,
    pub bot_id: Option<String>,
    pub text: String,
    pub blocks: Option<Value>,
    pub thread_ts: Option<String>,
    pub reply_broadcast: bool,
    pub metadata: Option<Value>,
    pub reactions: Vec<String>,
}

impl FakeMessage {
    /// Top-level messages and broadcast replies are what `conversations.history` lists.
    fn in_history(&self) -> bool {
        self.reply_broadcast || self.thread_ts.as_deref().is_none_or(|t| t == self.ts)
    }

    fn to_json(&self, full_metadata: bool) -> Value {
        let mut message =
            json!({ "type": "message", "ts": self.ts, "user": self.user, "text": self.text });
        let fields = [
            ("bot_id", self.bot_id.clone().map(Value::from)),
            ("blocks", self.blocks.clone()),
            ("thread_ts", self.thread_ts.clone().map(Value::from)),
            (
                "metadata",
                self.metadata.as_ref().map(|m| match full_metadata {
                    true => m.clone(),
                    // Slack returns only the type unless asked for everything.
                    false => json!({ "event_type": m["event_type"] }),
                }),
            ),
            (
                "reactions",
                (!self.reactions.is_empty()).then(|| {
                    self.reactions
                        .iter()
                        .map(
                            |name| json!({ "name": name, "count": 1, "users": [FAKE_BOT_USER_ID] }),
                        )
                        .collect()
                }),
            ),
        ];
        for (name, value) in fields {
            if let Some(value) = value {
                message[name] = value;
            }
        }
        message
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct FakeChannel {
    pub id: String,
    pub name: String,
    pub is_private: bool,
    pub is_archived: bool,
    /// Who created it: the bot for `conversations.create`, else [`FAKE_ADMIN_USER_ID`].
    pub creator: String,
    pub members: Vec<String>,
    /// In posting order (oldest first).
    pub messages: Vec<FakeMessage>,
    /// Timestamps of pinned messages.
    pub pins: Vec<String>,
}

impl FakeChannel {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id, "name": self.name, "is_channel": !self.is_private,
            "is_group": self.is_private, "is_private": self.is_private,
            "is_archived": self.is_archived, "is_member": self.members.iter().any(|m| m == FAKE_BOT_USER_ID),
            "created": 1_790_000_000, "creator": self.creator,
        })
    }

    fn message_mut(&mut self, ts: &str) -> Option<&mut FakeMessage> {
        self.messages.iter_mut().find(|m| m.ts == ts)
    }
}

/// Decides a fault for a call that no scripted fault caught (a test's random failure rate).
type FaultRule = Box<dyn FnMut(&SlackCall) -> Option<Fault> + Send>;

#[derive(Default)]
struct Workspace {
    channels: Vec<FakeChannel>,
    views: Vec<Value>,
    faults: HashMap<String, VecDeque<Fault>>,
    fault_rule: Option<FaultRule>,
    /// The answer to each call, in arrival order (the server's requests, one for one).
    answers: Vec<(u16, Value)>,
    /// Drives channel ids, view ids and message timestamps, so each is unique and ordered.
    counter: u64,
}

/// A Slack API answer before it becomes HTTP.
type Answer = Result<Value, String>;

fn ok(fields: Value) -> Answer {
    let mut body = json!({ "ok": true });
    if let (Some(body), Value::Object(fields)) = (body.as_object_mut(), fields) {
        body.extend(fields);
    }
    Ok(body)
}

fn error(code: &str) -> Answer {
    Err(code.to_owned())
}

fn flag(args: &Value, name: &str) -> bool {
    match &args[name] {
        Value::Bool(b) => *b,
        Value::String(s) => s == "true" || s == "1",
        Value::Number(n) => n.as_u64() == Some(1),
        _ => false,
    }
}

fn text(args: &Value, name: &str) -> String {
    args[name].as_str().unwrap_or_default().to_owned()
}

fn is_valid_channel_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("invalid_name_required");
    }
    if name.chars().count() > 80 {
        return Err("invalid_name_maxlength");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        return Err("invalid_name_specials");
    }
    if name.bytes().all(|b| b == b'-' || b == b'_') {
        return Err("invalid_name_punctuation");
    }
    Ok(())
}

impl Workspace {
    fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    fn next_ts(&mut self) -> String {
        format!("1790000000.{:06}", self.next())
    }

    fn channel_mut(&mut self, id: &str) -> Result<&mut FakeChannel, String> {
        self.channels
            .iter_mut()
            .find(|c| c.id == id)
            .ok_or_else(|| "channel_not_found".to_owned())
    }

    /// A channel the bot is in and may write to.
    fn writable(&mut self, id: &str) -> Result<&mut FakeChannel, String> {
        let channel = self.channel_mut(id)?;
        if channel.is_archived {
            return Err("is_archived".to_owned());
        }
        if !channel.members.iter().any(|m| m == FAKE_BOT_USER_ID) {
            return Err("not_in_channel".to_owned());
        }
        Ok(channel)
    }

    fn add_channel(&mut self, name: &str, is_private: bool, creator: &str) -> FakeChannel {
        let id = format!("C{:08}", self.next());
        self.add_channel_with_id(id, name, is_private, creator)
    }

    fn add_channel_with_id(
        &mut self,
        id: String,
        name: &str,
        is_private: bool,
        creator: &str,
    ) -> FakeChannel {
        let channel = FakeChannel {
            id,
            name: name.to_owned(),
            is_private,
            is_archived: false,
            creator: creator.to_owned(),
            members: vec![FAKE_BOT_USER_ID.to_owned()],
            messages: Vec::new(),
            pins: Vec::new(),
        };
        self.channels.push(channel.clone());
        channel
    }

    /// A person's message in `channel`; returns its ts.
    fn push_user_message(
        &mut self,
        channel: &str,
        user: &str,
        text: &str,
        thread_ts: Option<&str>,
    ) -> Result<String, String> {
        let ts = self.next_ts();
        self.channel_mut(channel)?.messages.push(FakeMessage {
            ts: ts.clone(),
            user: user.to_owned(),
            bot_id: None,
            text: text.to_owned(),
            blocks: None,
            thread_ts: thread_ts.map(str::to_owned),
            reply_broadcast: false,
            metadata: None,
            reactions: Vec::new(),
        });
        Ok(ts)
    }

    fn user_message(&mut self, args: &Value) -> Answer {
        let (channel, user, message) = (
            text(args, "channel"),
            text(args, "user"),
            text(args, "text"),
        );
        if user.is_empty() {
            return error("no_user");
        }
        if message.is_empty() {
            return error("no_text");
        }
        let thread_ts = args["thread_ts"].as_str().filter(|t| !t.is_empty());
        let ts = self.push_user_message(&channel, &user, &message, thread_ts)?;
        ok(json!({ "channel": channel, "ts": ts }))
    }

    fn call(&mut self, method: &str, args: &Value) -> Answer {
        match method {
            "conversations.create" => self.create(args),
            "conversations.list" => self.list(args),
            "conversations.invite" => self.invite(args),
            "conversations.history" => self.history(args),
            "conversations.replies" => self.replies(args),
            "conversations.archive" => self.archive(args),
            "chat.postMessage" => self.post_message(args),
            "chat.update" => self.update(args),
            "pins.add" => self.pin(args),
            "reactions.add" => self.react(args),
            "views.open" => self.open_view(args),
            _ => error("unknown_method"),
        }
    }

    fn create(&mut self, args: &Value) -> Answer {
        let name = text(args, "name");
        is_valid_channel_name(&name).map_err(str::to_owned)?;
        // Archived channels keep their names.
        if self.channels.iter().any(|c| c.name == name) {
            return error("name_taken");
        }
        let channel = self.add_channel(&name, flag(args, "is_private"), FAKE_BOT_USER_ID);
        ok(json!({ "channel": channel.to_json() }))
    }

    /// Public channels by default (`types`), archived ones too unless `exclude_archived`, in
    /// creation order, `limit` (1 to 1000, default 100) per page; the cursor is opaque to
    /// callers (here the offset of the next page).
    fn list(&mut self, args: &Value) -> Answer {
        let types = match text(args, "types") {
            t if t.is_empty() => "public_channel".to_owned(),
            t => t,
        };
        let (public, private) = types.split(',').map(str::trim).try_fold(
            (false, false),
            |(public, private), t| match t {
                "public_channel" => Ok((true, private)),
                "private_channel" => Ok((public, true)),
                "mpim" | "im" => Ok((public, private)),
                _ => Err("invalid_types"),
            },
        )?;
        let limit = match &args["limit"] {
            Value::Null => Some(100),
            Value::String(s) if s.is_empty() => Some(100),
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
        .filter(|l| (1..=1000).contains(l))
        .ok_or("invalid_limit")? as usize;
        let start = match text(args, "cursor") {
            c if c.is_empty() => 0,
            c => c
                .strip_prefix("offset:")
                .and_then(|o| o.parse().ok())
                .ok_or("invalid_cursor")?,
        };
        let exclude_archived = flag(args, "exclude_archived");
        let listed: Vec<&FakeChannel> = self
            .channels
            .iter()
            .filter(|c| if c.is_private { private } else { public })
            .filter(|c| !(exclude_archived && c.is_archived))
            .collect();
        let page: Vec<Value> = listed
            .iter()
            .skip(start)
            .take(limit)
            .map(|c| c.to_json())
            .collect();
        let next = start + page.len();
        let next_cursor = if next < listed.len() {
            format!("offset:{next}")
        } else {
            String::new()
        };
        ok(json!({ "channels": page, "response_metadata": { "next_cursor": next_cursor } }))
    }

    fn invite(&mut self, args: &Value) -> Answer {
        let channel = self.writable(&text(args, "channel"))?;
        let users: Vec<String> = text(args, "users")
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_owned)
            .collect();
        if users.is_empty() {
            return error("no_user");
        }
        if users.iter().any(|u| u == FAKE_BOT_USER_ID) {
            return error("cant_invite_self");
        }
        let new: Vec<String> = users
            .into_iter()
            .filter(|u| !channel.members.contains(u))
            .collect();
        if new.is_empty() {
            return error("already_in_channel");
        }
        channel.members.extend(new);
        let channel = channel.to_json();
        ok(json!({ "channel": channel }))
    }

    fn history(&mut self, args: &Value) -> Answer {
        let limit = args["limit"]
            .as_u64()
            .or_else(|| args["limit"].as_str().and_then(|l| l.parse().ok()))
            .unwrap_or(100) as usize;
        let full = flag(args, "include_all_metadata");
        let channel = self.channel_mut(&text(args, "channel"))?;
        let listed: Vec<&FakeMessage> = channel
            .messages
            .iter()
            .rev()
            .filter(|m| m.in_history())
            .collect();
        let messages: Vec<Value> = listed.iter().take(limit).map(|m| m.to_json(full)).collect();
        ok(json!({
            "messages": messages,
            "has_more": listed.len() > limit,
            "response_metadata": { "next_cursor": "" },
        }))
    }

    fn replies(&mut self, args: &Value) -> Answer {
        let parent = text(args, "ts");
        let full = flag(args, "include_all_metadata");
        let channel = self.channel_mut(&text(args, "channel"))?;
        let messages: Vec<Value> = channel
            .messages
            .iter()
            .filter(|m| m.ts == parent || m.thread_ts.as_deref() == Some(parent.as_str()))
            .map(|m| m.to_json(full))
            .collect();
        if messages.is_empty() {
            return error("thread_not_found");
        }
        ok(json!({ "messages": messages, "has_more": false }))
    }

    fn archive(&mut self, args: &Value) -> Answer {
        let channel = self.channel_mut(&text(args, "channel"))?;
        if channel.is_archived {
            return error("already_archived");
        }
        channel.is_archived = true;
        ok(json!({}))
    }

    fn post_message(&mut self, args: &Value) -> Answer {
        let has_blocks = args["blocks"].as_array().is_some_and(|b| !b.is_empty());
        if text(args, "text").is_empty() && !has_blocks {
            return error("no_text");
        }
        let ts = self.next_ts();
        let channel = self.writable(&text(args, "channel"))?;
        let message = FakeMessage {
            ts: ts.clone(),
            user: FAKE_BOT_USER_ID.to_owned(),
            bot_id: Some(FAKE_BOT_ID.to_owned()),
            text: text(args, "text"),
            blocks: has_blocks.then(|| args["blocks"].clone()),
            thread_ts: args["thread_ts"].as_str().map(str::to_owned),
            reply_broadcast: flag(args, "reply_broadcast"),
            metadata: args["metadata"]
                .is_object()
                .then(|| args["metadata"].clone()),
            reactions: Vec::new(),
        };
        let json = message.to_json(true);
        channel.messages.push(message);
        let channel = channel.id.clone();
        ok(json!({ "channel": channel, "ts": ts, "message": json }))
    }

    fn update(&mut self, args: &Value) -> Answer {
        let ts = text(args, "ts");
        let channel = self.writable(&text(args, "channel"))?;
        let message = channel
            .message_mut(&ts)
            .ok_or_else(|| "message_not_found".to_owned())?;
        if message.user != FAKE_BOT_USER_ID {
            return error("cant_update_message");
        }
        if let Some(text) = args["text"].as_str() {
            message.text = text.to_owned();
        }
        if args["blocks"].is_array() {
            message.blocks = Some(args["blocks"].clone());
        }
        // Omitted metadata is kept; `{}` removes it.
        match &args["metadata"] {
            Value::Object(m) if m.is_empty() => message.metadata = None,
            Value::Object(_) => message.metadata = Some(args["metadata"].clone()),
            _ => {}
        }
        let text = message.text.clone();
        let channel = channel.id.clone();
        ok(json!({ "channel": channel, "ts": ts, "text": text }))
    }

    fn pin(&mut self, args: &Value) -> Answer {
        let ts = text(args, "timestamp");
        let channel = self.writable(&text(args, "channel"))?;
        if channel.message_mut(&ts).is_none() {
            return error("message_not_found");
        }
        if channel.pins.contains(&ts) {
            return error("already_pinned");
        }
        channel.pins.push(ts);
        ok(json!({}))
    }

    fn react(&mut self, args: &Value) -> Answer {
        let name = text(args, "name");
        if name.is_empty() {
            return error("invalid_name");
        }
        let channel = self.writable(&text(args, "channel"))?;
        let message = channel
            .message_mut(&text(args, "timestamp"))
            .ok_or_else(|| "message_not_found".to_owned())?;
        if message.reactions.contains(&name) {
            return error("already_reacted");
        }
        message.reactions.push(name);
        ok(json!({}))
    }

    fn open_view(&mut self, args: &Value) -> Answer {
        if text(args, "trigger_id").is_empty() {
            return error("invalid_trigger_id");
        }
        let Value::Object(mut view) = args["view"].clone() else {
            return error("invalid_arguments");
        };
        view.insert("id".into(), format!("V{:08}", self.next()).into());
        let view = Value::Object(view);
        self.views.push(view.clone());
        ok(json!({ "view": view }))
    }
}

/// The OAuth exchange needs client credentials rather than a bot token.
fn oauth_access(args: &Value, call: &SlackCall) -> Answer {
    let has_client = call
        .header("authorization")
        .is_some_and(|a| a.starts_with("Basic "))
        || (!text(args, "client_id").is_empty() && !text(args, "client_secret").is_empty());
    if !has_client {
        return error("invalid_client_id");
    }
    if text(args, "code") != FAKE_OAUTH_CODE {
        return error("invalid_code");
    }
    ok(json!({
        "access_token": FAKE_BOT_TOKEN, "token_type": "bot",
        "scope": "app_mentions:read,channels:history,channels:manage,chat:write,commands",
        "bot_user_id": FAKE_BOT_USER_ID, "app_id": FAKE_APP_ID,
        "team": { "id": FAKE_TEAM_ID, "name": "Fake Team" }, "enterprise": null,
        "is_enterprise_install": false,
        "authed_user": { "id": "UINSTALLER" },
    }))
}

/// Values of a form body that hold JSON (`blocks`, `metadata`, `view`) become JSON.
fn form_value(value: &str) -> Value {
    match value.trim_start().chars().next() {
        Some('[' | '{') => serde_json::from_str(value).unwrap_or_else(|_| value.into()),
        _ => value.into(),
    }
}

fn parse_call(request: &RecordedRequest) -> SlackCall {
    let (path, query) = request
        .path
        .split_once('?')
        .unwrap_or((request.path.as_str(), ""));
    let method = path.rsplit('/').next().unwrap_or_default().to_owned();
    let mut args = Map::new();
    let is_json = request
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/json"));
    if is_json {
        if let Ok(Value::Object(body)) = serde_json::from_slice(&request.body) {
            args.extend(body);
        }
    } else {
        for (k, v) in form_urlencoded::parse(&request.body) {
            args.insert(k.into_owned(), form_value(&v));
        }
    }
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        args.entry(k.into_owned()).or_insert_with(|| form_value(&v));
    }
    SlackCall {
        method,
        headers: request.headers.clone(),
        body: Value::Object(args),
        received_at: request.received_at,
    }
}

fn is_authorised(call: &SlackCall) -> Result<(), &'static str> {
    let token = call
        .header("authorization")
        .and_then(|a| a.strip_prefix("Bearer "))
        .or_else(|| call.body["token"].as_str());
    match token {
        None | Some("") => Err("not_authed"),
        Some(FAKE_BOT_TOKEN) => Ok(()),
        Some(_) => Err("invalid_auth"),
    }
}

fn answer(workspace: &Arc<Mutex<Workspace>>, call: &SlackCall) -> Scripted {
    let fault = {
        let mut workspace = workspace.lock().expect("fake slack lock");
        let scripted = workspace
            .faults
            .get_mut(&call.method)
            .and_then(VecDeque::pop_front);
        scripted.or_else(|| workspace.fault_rule.as_mut().and_then(|rule| rule(call)))
    };
    match fault {
        Some(Fault::ServerError) => return Scripted::status(500).body("internal error"),
        Some(Fault::RateLimited { retry_after_secs }) => {
            return Scripted::status(429)
                .header("retry-after", &retry_after_secs.to_string())
                .body(json!({ "ok": false, "error": "ratelimited" }).to_string())
        }
        Some(Fault::Error(code)) => {
            return Scripted::status(200).body(json!({ "ok": false, "error": code }).to_string())
        }
        Some(Fault::Slow(delay)) => std::thread::sleep(delay),
        None => {}
    }
    let result = if call.method == "oauth.v2.access" {
        oauth_access(&call.body, call)
    } else if call.method == FAKE_USER_MESSAGE_METHOD {
        workspace
            .lock()
            .expect("fake slack lock")
            .user_message(&call.body)
    } else {
        is_authorised(call).map_err(str::to_owned).and_then(|()| {
            workspace
                .lock()
                .expect("fake slack lock")
                .call(&call.method, &call.body)
        })
    };
    let body = result.unwrap_or_else(|code| json!({ "ok": false, "error": code }));
    Scripted::status(200).body(body.to_string())
}

/// The fake workspace and its server; stops when dropped.
pub struct FakeSlack {
    /// Base URL of the server (`http://127.0.0.1:<port>`).
    pub url: String,
    server: RecordingServer,
    workspace: Arc<Mutex<Workspace>>,
}

impl FakeSlack {
    pub fn start() -> FakeSlack {
        Self::start_on(0).expect("bind loopback")
    }

    /// The fake on `127.0.0.1:<port>` (0: any free port); fails when the port is taken.
    pub fn start_on(port: u16) -> std::io::Result<FakeSlack> {
        let workspace = Arc::new(Mutex::new(Workspace::default()));
        let state = workspace.clone();
        let server = RecordingServer::answering_on(port, move |request| {
            let reply = answer(&state, &parse_call(request));
            let body = serde_json::from_str(&reply.body)
                .unwrap_or_else(|_| Value::String(reply.body.clone()));
            let mut workspace = state.lock().expect("fake slack lock");
            workspace.answers.push((reply.status, body));
            reply
        })?;
        Ok(FakeSlack {
            url: server.url.clone(),
            server,
            workspace,
        })
    }

    /// Where `https://slack.com/api` would be: methods are `<api_url>/<method>`.
    pub fn api_url(&self) -> String {
        format!("{}/api", self.url)
    }

    /// The next `times` calls of `method` meet `fault` (queued after earlier scripted faults).
    pub fn fail_next(&self, method: &str, times: usize, fault: Fault) {
        let mut workspace = self.lock();
        let queue = workspace.faults.entry(method.to_owned()).or_default();
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

    /// An existing public channel the bot is in (where people mention it); returns its id.
    pub fn add_channel(&self, name: &str) -> String {
        self.lock().add_channel(name, false, FAKE_ADMIN_USER_ID).id
    }

    /// `#general` with the fixed id [`FAKE_GENERAL_CHANNEL_ID`] (once); returns its id.
    pub fn add_general_channel(&self) -> String {
        let mut workspace = self.lock();
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
            .push_user_message(channel, user, text, thread_ts)
            .expect("add_user_message: unknown channel")
    }

    pub fn channel(&self, id: &str) -> Option<FakeChannel> {
        self.lock().channels.iter().find(|c| c.id == id).cloned()
    }

    pub fn channel_named(&self, name: &str) -> Option<FakeChannel> {
        self.lock()
            .channels
            .iter()
            .find(|c| c.name == name)
            .cloned()
    }

    /// Views opened with `views.open`, with the ids the fake gave them.
    pub fn opened_views(&self) -> Vec<Value> {
        self.lock().views.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Workspace> {
        self.workspace.lock().expect("fake slack lock")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Calls the fake like a Slack client would: POST, bearer token, form or JSON.
    fn call(slack: &FakeSlack, method: &str, body: Body) -> (u16, Value) {
        call_with(
            slack,
            method,
            body,
            Some(FAKE_BOT_TOKEN),
            Duration::from_secs(5),
        )
    }

    enum Body<'a> {
        Json(Value),
        Form(&'a [(&'a str, &'a str)]),
    }

    fn call_with(
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
            Body::Json(json) => request.send_json(json),
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

    fn create(slack: &FakeSlack, name: &str) -> String {
        let (_, answer) = call(slack, "conversations.create", Body::Form(&[("name", name)]));
        assert_eq!(answer["ok"], true, "{answer}");
        answer["channel"]["id"].as_str().unwrap().to_owned()
    }

    fn post(slack: &FakeSlack, body: Value) -> Value {
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
            let form: &[(&str, &str)] =
                &[("client_id", "c"), ("client_secret", "s"), ("code", code)];
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
}
