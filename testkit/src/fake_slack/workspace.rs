//! The fake workspace's state (channels, their members and messages with metadata, pins,
//! reactions, opened views) and what each Web API method does to it, answering in Slack's
//! shapes (`{"ok":true,..}` / an error code). The arguments are what Slack would read from
//! the request ([`super::contract`]); faults and recording are the server's ([`super`]).

use super::{
    FAKE_APP_ID, FAKE_BOT_ID, FAKE_BOT_TOKEN, FAKE_BOT_USER_ID, FAKE_OAUTH_CODE, FAKE_TEAM_ID,
};
use serde_json::{json, Value};

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

#[derive(Default)]
pub(super) struct Workspace {
    pub(super) channels: Vec<FakeChannel>,
    pub(super) views: Vec<Value>,
    /// Drives channel ids, view ids and message timestamps, so each is unique and ordered.
    counter: u64,
}

/// A Slack API answer before it becomes HTTP: the body, or an error code.
pub(super) type Answer = Result<Value, String>;

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

    pub(super) fn channel_mut(&mut self, id: &str) -> Result<&mut FakeChannel, String> {
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

    pub(super) fn add_channel(
        &mut self,
        name: &str,
        is_private: bool,
        creator: &str,
    ) -> FakeChannel {
        let id = format!("C{:08}", self.next());
        self.add_channel_with_id(id, name, is_private, creator)
    }

    pub(super) fn add_channel_with_id(
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
    pub(super) fn push_user_message(
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

    pub(super) fn user_message(&mut self, args: &Value) -> Answer {
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

    pub(super) fn call(&mut self, method: &str, args: &Value) -> Answer {
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
        // `reply_broadcast` shows an existing thread reply in its channel too (Slack's
        // `chat.update` page); it means nothing for a message that is not a reply.
        if flag(args, "reply_broadcast") && message.thread_ts.as_deref().is_some_and(|t| t != ts) {
            message.reply_broadcast = true;
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

/// The OAuth exchange (client credentials were checked before: it takes no bot token).
pub(super) fn oauth_access(args: &Value) -> Answer {
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
