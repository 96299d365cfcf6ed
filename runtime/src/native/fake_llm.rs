//! A fake OpenAI-compatible server on 127.0.0.1: `POST /v1/chat/completions` answers from a
//! script (structured answers, tool calls, text, errors, rate limits, slow or malformed
//! replies) or from a responder function, records every request, and stops when dropped. The
//! one fake LLM of the project's tests; point `LLM_BASE_URL` at [`FakeLlm::base_url`].

use super::recording_server::{RecordedRequest, RecordingServer, Scripted};
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// One scripted answer.
#[derive(Clone, Debug)]
pub enum FakeReply {
    /// A structured answer: `content` is this JSON, serialised.
    Json(Value),
    /// Plain text content.
    Text(String),
    /// Tool calls `(name, arguments)`; arguments are sent as a JSON string, as OpenAI does.
    ToolCalls(Vec<(String, Value)>),
    /// An error status with OpenAI's error envelope (`type` set to `kind`).
    Status { status: u16, kind: String },
    /// 429 with `Retry-After: <seconds>`.
    RateLimited { retry_after_secs: u64 },
    /// A 200 whose body is not JSON.
    Malformed,
    /// The model declined (`message.refusal`).
    Refusal(String),
    /// The answer arrives after `millis`.
    Slow { millis: u64, reply: Box<FakeReply> },
}

impl FakeReply {
    pub fn slow(millis: u64, reply: FakeReply) -> Self {
        FakeReply::Slow {
            millis,
            reply: Box::new(reply),
        }
    }
}

/// The fake's model name, echoed in every answer.
pub const FAKE_MODEL: &str = "fake-model";

fn completion(message: Value, finish_reason: &str) -> Scripted {
    let body = json!({
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "model": FAKE_MODEL,
        "choices": [{ "index": 0, "finish_reason": finish_reason, "message": message }],
        "usage": { "prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120 },
    });
    Scripted::status(200)
        .header("content-type", "application/json")
        .body(body.to_string())
}

fn answer(reply: &FakeReply, call: usize) -> Scripted {
    match reply {
        FakeReply::Json(value) => completion(
            json!({ "role": "assistant", "content": value.to_string(), "refusal": null }),
            "stop",
        ),
        FakeReply::Text(text) => completion(
            json!({ "role": "assistant", "content": text, "refusal": null }),
            "stop",
        ),
        FakeReply::ToolCalls(calls) => {
            let calls: Vec<Value> = calls
                .iter()
                .enumerate()
                .map(|(i, (name, arguments))| {
                    json!({ "id": format!("call_{call}_{i}"), "type": "function",
                            "function": { "name": name, "arguments": arguments.to_string() } })
                })
                .collect();
            completion(
                json!({ "role": "assistant", "content": null, "refusal": null, "tool_calls": calls }),
                "tool_calls",
            )
        }
        FakeReply::Status { status, kind } => Scripted::status(*status).body(
            json!({ "error": { "message": "scripted failure", "type": kind, "param": null, "code": null } })
                .to_string(),
        ),
        FakeReply::RateLimited { retry_after_secs } => Scripted::status(429)
            .header("retry-after", &retry_after_secs.to_string())
            .body(json!({ "error": { "message": "slow down", "type": "rate_limit_exceeded" } }).to_string()),
        FakeReply::Malformed => Scripted::status(200).body("{\"choices\": [ oops"),
        FakeReply::Refusal(text) => completion(
            json!({ "role": "assistant", "content": null, "refusal": text }),
            "stop",
        ),
        FakeReply::Slow { millis, reply } => {
            std::thread::sleep(std::time::Duration::from_millis(*millis));
            answer(reply, call)
        }
    }
}

pub struct FakeLlm {
    server: RecordingServer,
    script: Arc<Mutex<VecDeque<FakeReply>>>,
    by_schema: Arc<Mutex<HashMap<String, VecDeque<FakeReply>>>>,
}

/// The `response_format.json_schema.name` of a request body, if it asks for one.
pub fn schema_name(body: &Value) -> Option<&str> {
    body["response_format"]["json_schema"]["name"].as_str()
}

impl FakeLlm {
    /// Answers `script` in order; once it is used up, every call answers HTTP 500 (a test
    /// that calls more than it scripted sees it fail, not a made-up answer).
    pub fn start(script: Vec<FakeReply>) -> FakeLlm {
        Self::scripted_then(script, |_| FakeReply::Status {
            status: 500,
            kind: "script_exhausted".into(),
        })
    }

    /// Answers every call with `respond(request body)` (a seeded campaign's model, say);
    /// answers queued with [`push`](Self::push) or [`script_schema`](Self::script_schema)
    /// still come first.
    pub fn answering(respond: impl FnMut(&Value) -> FakeReply + Send + 'static) -> FakeLlm {
        Self::scripted_then(Vec::new(), respond)
    }

    fn scripted_then(
        script: Vec<FakeReply>,
        mut otherwise: impl FnMut(&Value) -> FakeReply + Send + 'static,
    ) -> FakeLlm {
        let script = Arc::new(Mutex::new(VecDeque::from(script)));
        let by_schema: Arc<Mutex<HashMap<String, VecDeque<FakeReply>>>> = Arc::default();
        let (queue, schema_queues) = (script.clone(), by_schema.clone());
        let mut calls = 0;
        let server = RecordingServer::answering(move |request: &RecordedRequest| {
            if request.method != "POST" || !request.path.ends_with("/chat/completions") {
                return Scripted::status(404);
            }
            calls += 1;
            let body = request.json();
            let scripted_for_schema = schema_name(&body).and_then(|name| {
                schema_queues
                    .lock()
                    .expect("script lock")
                    .get_mut(name)
                    .and_then(VecDeque::pop_front)
            });
            let next = scripted_for_schema
                .or_else(|| queue.lock().expect("script lock").pop_front())
                .unwrap_or_else(|| otherwise(&body));
            answer(&next, calls)
        });
        FakeLlm {
            server,
            script,
            by_schema,
        }
    }

    /// The base URL to configure (`LLM_BASE_URL`), version segment included.
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.server.url)
    }

    /// Queues more answers.
    pub fn push(&self, reply: FakeReply) {
        self.script.lock().expect("script lock").push_back(reply);
    }

    /// Answers requests for the structured schema `name` from `replies` first (in order), so a
    /// test can script one feature whatever else asks the model and in whichever order.
    pub fn script_schema(&self, name: &str, replies: Vec<FakeReply>) {
        self.by_schema
            .lock()
            .expect("script lock")
            .entry(name.to_owned())
            .or_default()
            .extend(replies);
    }

    /// The bodies of the requests for the structured schema `name`, in arrival order.
    pub fn requests_for_schema(&self, name: &str) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|body| schema_name(body) == Some(name))
            .collect()
    }

    /// Every request's JSON body, in arrival order.
    pub fn requests(&self) -> Vec<Value> {
        self.server
            .requests()
            .iter()
            .map(RecordedRequest::json)
            .collect()
    }

    /// Every request as received (headers included).
    pub fn raw_requests(&self) -> Vec<RecordedRequest> {
        self.server.requests()
    }
}
