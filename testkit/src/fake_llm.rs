//! A fake OpenAI-compatible server on 127.0.0.1: `POST /v1/chat/completions` answers from a
//! script (structured answers, tool calls, text, errors, rate limits, slow or malformed
//! replies) or from a responder function, records every request, and stops when dropped. The
//! one fake LLM of the project's tests; point `LLM_BASE_URL` at [`FakeLlm::base_url`].
//!
//! Every request is first held to OpenAI's published contract ([`contract`]): what the API
//! refuses (an unknown or mistyped field, `max_tokens` or a non-default `temperature` to a
//! reasoning model, a tool message answering no call...) is answered as the API answers it,
//! without touching the script, and every breach, refused or not (a deprecated field), is
//! recorded. Dropping the fake fails the test if a breach was recorded that the test did not
//! take with [`FakeLlm::take_violations`]. A reasoning model also spends tokens thinking, so
//! a cap without room for them gets an empty answer cut at the limit, as the API's would.

mod contract;

pub use contract::{check_body, family_of, table as contract_table, Strictness, Violation};

use incidentd_llm::openai::{LlmConfig, OpenAiCompatible};
use incidentd_llm::ChatRequest;
use serde_json::{json, Value};
use sluice::native::{RecordedRequest, RecordingServer, Scripted};
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

/// The fake's model name, echoed in every answer unless it serves a configured model.
pub const FAKE_MODEL: &str = "fake-model";
/// Tokens of every answer the fake writes, and of every prompt it reads.
const ANSWER_TOKENS: u64 = 20;
const PROMPT_TOKENS: u64 = 100;
/// What a reasoning model spends thinking per call unless configured otherwise.
pub const DEFAULT_REASONING_TOKENS: u64 = 1_024;

/// The model answering one request, as the fake plays it.
struct Answering<'a> {
    model: &'a str,
    /// Tokens spent reasoning before the answer (0 for a model that does not reason).
    reasoning_tokens: u64,
    /// The request's cap (`max_completion_tokens`, or the `max_tokens` a model still reads).
    cap: Option<u64>,
}

impl Answering<'_> {
    fn completion(&self, message: Value, finish_reason: &str) -> Scripted {
        let completion_tokens = ANSWER_TOKENS + self.reasoning_tokens;
        let (message, finish_reason, completion_tokens) = match self.cap {
            // The cap is spent before the answer is written: OpenAI's reasoning guide says the
            // answer then comes back cut, possibly with no visible output at all.
            Some(cap) if cap < completion_tokens => (
                json!({ "role": "assistant", "content": "", "refusal": null }),
                "length",
                cap,
            ),
            _ => (message, finish_reason, completion_tokens),
        };
        let body = json!({
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": self.model,
            "choices": [{ "index": 0, "finish_reason": finish_reason, "message": message, "logprobs": null }],
            "usage": {
                "prompt_tokens": PROMPT_TOKENS,
                "completion_tokens": completion_tokens,
                "total_tokens": PROMPT_TOKENS + completion_tokens,
                "completion_tokens_details": { "reasoning_tokens": self.reasoning_tokens.min(completion_tokens) },
            },
        });
        Scripted::status(200)
            .header("content-type", "application/json")
            .body(body.to_string())
    }
}

fn error_answer(status: u16, error: Value) -> Scripted {
    Scripted::status(status)
        .header("content-type", "application/json")
        .body(json!({ "error": error }).to_string())
}

fn answer(reply: &FakeReply, call: usize, model: &Answering) -> Scripted {
    match reply {
        FakeReply::Json(value) => model.completion(
            json!({ "role": "assistant", "content": value.to_string(), "refusal": null }),
            "stop",
        ),
        FakeReply::Text(text) => model.completion(
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
            model.completion(
                json!({ "role": "assistant", "content": null, "refusal": null, "tool_calls": calls }),
                "tool_calls",
            )
        }
        FakeReply::Status { status, kind } => error_answer(
            *status,
            json!({ "message": "scripted failure", "type": kind, "param": null, "code": null }),
        ),
        // OpenAI's rate limits: type `requests` (or `tokens`), code `rate_limit_exceeded`.
        FakeReply::RateLimited { retry_after_secs } => error_answer(
            429,
            json!({ "message": "Rate limit reached for requests", "type": "requests",
                    "param": null, "code": "rate_limit_exceeded" }),
        )
        .header("retry-after", &retry_after_secs.to_string()),
        FakeReply::Malformed => Scripted::status(200).body("{\"choices\": [ oops"),
        FakeReply::Refusal(text) => model.completion(
            json!({ "role": "assistant", "content": null, "refusal": text }),
            "stop",
        ),
        FakeReply::Slow { millis, reply } => {
            std::thread::sleep(std::time::Duration::from_millis(*millis));
            answer(reply, call, model)
        }
    }
}

pub struct FakeLlm {
    server: RecordingServer,
    script: Arc<Mutex<VecDeque<FakeReply>>>,
    by_schema: Arc<Mutex<HashMap<String, VecDeque<FakeReply>>>>,
    violations: Arc<Mutex<Vec<Violation>>>,
    model: String,
}

/// What OpenAI would refuse or flag in the bodies the client builds for `request`: for a chat
/// model (`gpt-4o-mini`), and for a reasoning model held to every reasoning family's
/// refusals. Empty when the client follows the contract for both.
pub fn client_breaches(request: &ChatRequest) -> Vec<Violation> {
    let body = |model: &str| {
        let config = LlmConfig::new("http://127.0.0.1:9", model, "unused");
        OpenAiCompatible::new(config, std::rc::Rc::new(sluice::native::NativeHttp)).body(request)
    };
    let mut found = check_body(&body("gpt-4o-mini"), Strictness::default());
    let every_family = Strictness {
        all_families: true,
        model: None,
    };
    found.extend(check_body(&body("o3-mini"), every_family));
    found
}

/// The `response_format.json_schema.name` of a request body, if it asks for one.
pub fn schema_name(body: &Value) -> Option<&str> {
    body["response_format"]["json_schema"]["name"].as_str()
}

/// How a [`FakeLlm`] holds requests to the contract: by default it serves any model id and
/// applies each id's reasoning family, as the API does.
#[derive(Clone, Debug)]
pub struct FakeLlmBuilder {
    model: Option<String>,
    strict: bool,
    reasoning_tokens: u64,
}

impl FakeLlmBuilder {
    /// Serves only `model` (another id is answered 404 `model_not_found`) and names it in
    /// every answer.
    pub fn model(mut self, model: &str) -> Self {
        self.model = Some(model.to_owned());
        self
    }

    /// Refuses what any reasoning family refuses, whatever the model id: a client configured
    /// for reasoning models must pass whichever it meets.
    pub fn strict(mut self) -> Self {
        self.strict = true;
        self
    }

    /// Tokens a reasoning model spends thinking on each call (default
    /// [`DEFAULT_REASONING_TOKENS`]).
    pub fn reasoning_tokens(mut self, tokens: u64) -> Self {
        self.reasoning_tokens = tokens;
        self
    }

    /// Answers `script` in order; once it is used up, every call answers HTTP 500 (a test
    /// that calls more than it scripted sees it fail, not a made-up answer).
    pub fn start(self, script: Vec<FakeReply>) -> FakeLlm {
        self.scripted_then(script, |_| FakeReply::Status {
            status: 500,
            kind: "script_exhausted".into(),
        })
    }

    /// Answers every call with `respond(request body)`; answers queued with
    /// [`FakeLlm::push`] or [`FakeLlm::script_schema`] still come first.
    pub fn answering(self, respond: impl FnMut(&Value) -> FakeReply + Send + 'static) -> FakeLlm {
        self.scripted_then(Vec::new(), respond)
    }

    fn scripted_then(
        self,
        script: Vec<FakeReply>,
        mut otherwise: impl FnMut(&Value) -> FakeReply + Send + 'static,
    ) -> FakeLlm {
        let script = Arc::new(Mutex::new(VecDeque::from(script)));
        let by_schema: Arc<Mutex<HashMap<String, VecDeque<FakeReply>>>> = Arc::default();
        let violations: Arc<Mutex<Vec<Violation>>> = Arc::default();
        let (queue, schema_queues, recorded) =
            (script.clone(), by_schema.clone(), violations.clone());
        let model = self.model.clone().unwrap_or_else(|| FAKE_MODEL.to_owned());
        let settings = self.clone();
        let mut calls = 0;
        let server = RecordingServer::answering(move |request: &RecordedRequest| {
            let strictness = Strictness {
                all_families: settings.strict,
                model: settings.model.as_deref(),
            };
            let found = contract::check_http(
                &request.method,
                &request.path,
                request.header("authorization"),
                request.header("content-type"),
                &request.body,
                strictness,
            );
            let refusal = found.iter().find_map(|v| Some((v.status?, v.error_body())));
            recorded.lock().expect("violations lock").extend(found);
            if let Some((status, body)) = refusal {
                return error_answer(status, body["error"].clone());
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
            let asked = body["model"].as_str().unwrap_or_default();
            let reasoning = family_of(asked).is_some();
            let answering = Answering {
                model: settings.model.as_deref().unwrap_or(FAKE_MODEL),
                reasoning_tokens: if reasoning {
                    settings.reasoning_tokens
                } else {
                    0
                },
                cap: body["max_completion_tokens"]
                    .as_u64()
                    .or_else(|| body["max_tokens"].as_u64()),
            };
            answer(&next, calls, &answering)
        });
        FakeLlm {
            server,
            script,
            by_schema,
            violations,
            model,
        }
    }
}

impl FakeLlm {
    /// A fake serving any model id (see [`FakeLlmBuilder`]).
    pub fn builder() -> FakeLlmBuilder {
        FakeLlmBuilder {
            model: None,
            strict: false,
            reasoning_tokens: DEFAULT_REASONING_TOKENS,
        }
    }

    /// A strict fake serving the reasoning model `model`, which the contract table must list
    /// as one (configure the client with `LLM_MODEL` = [`FakeLlm::model`]).
    pub fn reasoning(model: &str) -> FakeLlmBuilder {
        assert!(
            family_of(model).is_some(),
            "{model} is not a reasoning model by the contract table"
        );
        Self::builder().model(model).strict()
    }

    /// [`FakeLlmBuilder::start`] with the default settings.
    pub fn start(script: Vec<FakeReply>) -> FakeLlm {
        Self::builder().start(script)
    }

    /// [`FakeLlmBuilder::answering`] with the default settings.
    pub fn answering(respond: impl FnMut(&Value) -> FakeReply + Send + 'static) -> FakeLlm {
        Self::builder().answering(respond)
    }

    /// The model id it names in its answers (the one it serves, when configured).
    pub fn model(&self) -> &str {
        &self.model
    }

    /// The contract breaches recorded so far, taken: the test has seen them, and dropping
    /// the fake no longer fails over them.
    pub fn take_violations(&self) -> Vec<Violation> {
        std::mem::take(&mut *self.violations.lock().expect("violations lock"))
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

/// A test ends with no contract breach left unseen: every request its code sent was one
/// OpenAI accepts as it is, or the test took the breaches it provoked.
impl Drop for FakeLlm {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let left = self.take_violations();
        if !left.is_empty() {
            let listed: Vec<String> = left
                .iter()
                .map(|v| format!("  {} at {:?}: {}", v.rule, v.path, v.message))
                .collect();
            panic!(
                "the fake LLM recorded {} breach(es) of OpenAI's contract that the test did not take:\n{}",
                left.len(),
                listed.join("\n")
            );
        }
    }
}
