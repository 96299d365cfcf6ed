//! OpenAI's published chat-completions contract applied to one request: the table derived from
//! OpenAI's OpenAPI description (`contracts/openai/chat-completions.json`, rebuilt by
//! `contracts/openai/derive.py`), compiled in so tests never read the spec itself. A request
//! is checked the way the API checks it: unknown, missing, mistyped or out-of-range fields,
//! fields the model's reasoning family refuses, tool messages that answer no call; each breach
//! carries the answer the API gives (or none, for a deprecated field it still reads).

use serde_json::{Map, Value};
use std::sync::OnceLock;

const TABLE: &str = include_str!("../../../contracts/openai/chat-completions.json");

/// The contract table, parsed once.
pub fn table() -> &'static Value {
    static PARSED: OnceLock<Value> = OnceLock::new();
    PARSED.get_or_init(|| serde_json::from_str(TABLE).expect("the committed contract table"))
}

/// One way a request breaks the contract.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    /// The rule broken: an error kind of the table (`unknown_parameter`, `invalid_type`,
    /// `missing_required`, ...), a reasoning model's refusal (`unsupported_parameter`,
    /// `unsupported_value`), a conversation rule, or `deprecated`.
    pub rule: String,
    /// The offending field's path (`temperature`, `messages[2].tool_call_id`), if any.
    pub path: Option<String>,
    /// The API's wording.
    pub message: String,
    /// The HTTP status the API answers; `None` when it accepts the request anyway (a
    /// deprecated field a model still reads).
    pub status: Option<u16>,
    /// `error.type`, `error.code` and `error.param` of that answer.
    pub error_type: String,
    pub code: Option<String>,
    pub param: Option<String>,
}

impl Violation {
    /// OpenAI's error envelope for this breach.
    pub fn error_body(&self) -> Value {
        serde_json::json!({ "error": {
            "message": self.message, "type": self.error_type,
            "param": self.param, "code": self.code } })
    }
}

/// The reasoning family of `model` by the table's prefixes (after any `provider/` path).
pub fn family_of(model: &str) -> Option<&'static str> {
    let id = model.rsplit('/').next().unwrap_or(model);
    let families = table()["reasoning"]["families"].as_object()?;
    families.iter().find_map(|(name, family)| {
        let prefixes = family["prefixes"].as_array()?;
        prefixes
            .iter()
            .filter_map(Value::as_str)
            .any(|prefix| {
                id.strip_prefix(prefix)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(['-', '.']))
            })
            .then_some(name.as_str())
    })
}

/// How a request is held to the contract.
#[derive(Clone, Copy, Debug, Default)]
pub struct Strictness<'a> {
    /// Every reasoning family's refusals apply, whatever the model id.
    pub all_families: bool,
    /// The only model served: another id is answered 404 `model_not_found`.
    pub model: Option<&'a str>,
}

/// The breaches of one HTTP request to the fake, in the order the API would report them.
pub fn check_http(
    method: &str,
    path: &str,
    authorization: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
    strictness: Strictness,
) -> Vec<Violation> {
    let mut check = Checker::default();
    let endpoint = &table()["endpoint"];
    let wanted_path = endpoint["path"].as_str().unwrap_or_default();
    if method != endpoint["method"] || !path.ends_with(wanted_path) {
        let vars = [("method", method.to_owned()), ("path", path.to_owned())];
        check.error("invalid_url", None, &vars);
        return check.found;
    }
    let bearer = authorization
        .and_then(|a| a.strip_prefix("Bearer "))
        .is_some_and(|key| !key.trim().is_empty());
    if !bearer {
        check.error("missing_api_key", None, &[]);
        return check.found;
    }
    let json_body = content_type
        .is_some_and(|c| c.split(';').next().map(str::trim) == endpoint["content_type"].as_str());
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(request)) if json_body => {
            check.request(&request, strictness);
            check.found
        }
        _ => {
            check.error("not_json", None, &[]);
            check.found
        }
    }
}

/// The breaches of one request body (for tests that check what a client would send).
pub fn check_body(body: &Value, strictness: Strictness) -> Vec<Violation> {
    let mut check = Checker::default();
    match body {
        Value::Object(request) => check.request(request, strictness),
        _ => check.error("not_json", None, &[]),
    }
    check.found
}

#[derive(Default)]
struct Checker {
    found: Vec<Violation>,
}

impl Checker {
    fn request(&mut self, request: &Map<String, Value>, strictness: Strictness) {
        let model = request.get("model").and_then(Value::as_str);
        if let (Some(served), Some(asked)) = (strictness.model, model) {
            if served != asked {
                self.error("model_not_found", None, &[("model", asked.to_owned())]);
            }
        }
        self.object(request, &table()["request"], "");
        self.reasoning(request, model.unwrap_or_default(), strictness.all_families);
        if let Some(messages) = request.get("messages").and_then(Value::as_array) {
            self.conversation(messages);
        }
    }

    /// Records the table's error kind `kind` about `path` (`{param}` in its message unless
    /// `vars` set it).
    fn error(&mut self, kind: &str, path: Option<&str>, vars: &[(&str, String)]) {
        let spec = &table()["errors"]["kinds"][kind];
        let mut all = vars.to_vec();
        if let Some(path) = path {
            all.push(("param", path.to_owned()));
        }
        let param = match spec["param"].as_str() {
            Some("field") => path.map(str::to_owned),
            _ => None,
        };
        self.found.push(Violation {
            rule: kind.to_owned(),
            path: path.map(str::to_owned),
            message: fill(spec["message"].as_str().unwrap_or(kind), &all),
            status: Some(spec["status"].as_u64().unwrap_or(400) as u16),
            error_type: spec["type"]
                .as_str()
                .unwrap_or("invalid_request_error")
                .to_owned(),
            code: spec["code"].as_str().map(str::to_owned),
            param,
        });
    }

    fn deprecated(&mut self, path: &str, shape: &Value) {
        let instead: Vec<String> = shape["replaced_by"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).map(quoted).collect())
            .unwrap_or_default();
        let message = if instead.is_empty() {
            format!("'{path}' is deprecated")
        } else {
            format!(
                "'{path}' is deprecated: use {} instead",
                instead.join(" or ")
            )
        };
        self.found.push(Violation {
            rule: "deprecated".into(),
            path: Some(path.to_owned()),
            message,
            status: None,
            error_type: String::new(),
            code: None,
            param: None,
        });
    }

    fn object(&mut self, object: &Map<String, Value>, shape: &Value, path: &str) {
        let Some(fields) = shape["fields"].as_object() else {
            if let Some(values) = shape.get("values") {
                for (key, value) in object {
                    self.value(value, values, &join(path, key));
                }
            }
            return;
        };
        if shape["closed"] == true {
            for key in object.keys().filter(|k| !fields.contains_key(*k)) {
                if path.is_empty() {
                    self.error("unknown_parameter", Some(key), &[]);
                } else {
                    // The message names the object; the breach, the key itself.
                    let vars = [("key", key.clone()), ("param", path.to_owned())];
                    self.error("additional_property", Some(&join(path, key)), &vars);
                }
            }
        }
        for (name, field) in fields {
            let here = join(path, name);
            match object.get(name) {
                None if field["required"] == true => {
                    self.error("missing_required", Some(&here), &[]);
                }
                None => {}
                Some(value) => self.value(value, field, &here),
            }
        }
    }

    fn value(&mut self, value: &Value, shape: &Value, path: &str) {
        let allowed: Vec<&str> = shape["type"]
            .as_array()
            .map(|t| t.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let kind = incidentd_llm::json_type(value);
        let fits = allowed.is_empty()
            || allowed.contains(&kind)
            || (kind == "integer" && allowed.contains(&"number"));
        if !fits {
            let expected: Vec<&str> = allowed.iter().copied().filter(|t| *t != "null").collect();
            let vars = [
                ("expected", article_list(&expected)),
                ("got", article(kind).to_owned()),
            ];
            self.error("invalid_type", Some(path), &vars);
            return;
        }
        if value.is_null() {
            return;
        }
        if shape["deprecated"] == true {
            self.deprecated(path, shape);
        }
        match value {
            Value::String(text) => self.string(text, shape, path),
            Value::Number(_) => self.range(value, shape, path),
            Value::Array(items) => self.array(items, shape, path),
            Value::Object(object) => match shape.get("variants") {
                Some(variants) => self.variant(object, variants, path),
                None => self.object(object, shape, path),
            },
            Value::Bool(_) | Value::Null => {}
        }
    }

    fn string(&mut self, text: &str, shape: &Value, path: &str) {
        if let Some(members) = shape["enum"].as_array() {
            if !members.iter().any(|m| m == text) {
                let supported: Vec<String> = members
                    .iter()
                    .filter_map(Value::as_str)
                    .map(quoted)
                    .collect();
                let vars = [
                    ("value", quoted(text)),
                    ("supported", english_list(&supported)),
                ];
                self.error("invalid_value", Some(path), &vars);
            }
        }
        if let Some(max) = shape["max_length"].as_u64() {
            let length = text.chars().count() as u64;
            if length > max {
                let vars = [
                    ("value", format!("{length} characters")),
                    ("limit", format!("at most {max} characters")),
                ];
                self.error("out_of_range", Some(path), &vars);
            }
        }
    }

    fn range(&mut self, value: &Value, shape: &Value, path: &str) {
        let Some(number) = value.as_f64() else { return };
        let (min, max) = (shape["minimum"].as_f64(), shape["maximum"].as_f64());
        if min.is_some_and(|m| number < m) || max.is_some_and(|m| number > m) {
            let vars = [
                ("value", value.to_string()),
                ("limit", limit(&shape["minimum"], &shape["maximum"], "")),
            ];
            self.error("out_of_range", Some(path), &vars);
        }
    }

    fn array(&mut self, items: &[Value], shape: &Value, path: &str) {
        let count = items.len() as u64;
        let (min, max) = (shape["min_items"].as_u64(), shape["max_items"].as_u64());
        if min.is_some_and(|m| count < m) || max.is_some_and(|m| count > m) {
            let vars = [
                ("value", format!("{count} items")),
                (
                    "limit",
                    limit(&shape["min_items"], &shape["max_items"], " items"),
                ),
            ];
            self.error("out_of_range", Some(path), &vars);
        }
        if let Some(item) = shape.get("items") {
            for (i, value) in items.iter().enumerate() {
                self.value(value, item, &format!("{path}[{i}]"));
            }
        }
    }

    fn variant(&mut self, object: &Map<String, Value>, variants: &Value, path: &str) {
        let by = variants["by"].as_str().unwrap_or("type");
        let here = join(path, by);
        let Some(tag) = object.get(by) else {
            self.error("missing_required", Some(&here), &[]);
            return;
        };
        let shapes = variants["shapes"].as_object();
        match (tag.as_str(), shapes) {
            (Some(name), Some(shapes)) if shapes.contains_key(name) => {
                let shape = &shapes[name];
                if shape["deprecated"] == true {
                    self.deprecated(&here, shape);
                }
                self.object(object, shape, path);
            }
            (_, shapes) => {
                let supported: Vec<String> = shapes
                    .map(|s| s.keys().map(|k| quoted(k)).collect())
                    .unwrap_or_default();
                let vars = [
                    ("value", render(tag)),
                    ("supported", english_list(&supported)),
                ];
                self.error("invalid_value", Some(&here), &vars);
            }
        }
    }

    /// The fields the model's reasoning family refuses (every family's when `all_families`).
    fn reasoning(&mut self, request: &Map<String, Value>, model: &str, all_families: bool) {
        let family = family_of(model);
        let Some(rules) = table()["reasoning"]["rejected"].as_object() else {
            return;
        };
        for (field, rule) in rules {
            let applies = all_families
                || family.is_some_and(|f| {
                    rule["families"]
                        .as_array()
                        .is_some_and(|fs| fs.iter().any(|x| x == f))
                });
            let Some(value) = request.get(field).filter(|v| !v.is_null()) else {
                continue;
            };
            let refused = match rule["when"].as_str() {
                Some("not_default") => !same(value, &rule["default"]),
                _ => true,
            };
            if !(applies && refused) {
                continue;
            }
            let vars = [
                ("param", field.clone()),
                ("value", render(value)),
                ("default", rule["default"].to_string()),
            ];
            self.found.push(Violation {
                rule: rule["code"].as_str().unwrap_or("unsupported").to_owned(),
                path: Some(field.clone()),
                message: fill(rule["message"].as_str().unwrap_or_default(), &vars),
                status: Some(400),
                error_type: "invalid_request_error".into(),
                code: rule["code"].as_str().map(str::to_owned),
                param: Some(field.clone()),
            });
        }
    }

    /// Every tool message answers a call of the assistant message before it, and every call
    /// is answered before the conversation goes on.
    fn conversation(&mut self, messages: &[Value]) {
        let mut open: Option<(usize, Vec<String>)> = None;
        for (index, message) in messages.iter().enumerate() {
            if message["role"] == "tool" {
                let id = message["tool_call_id"].as_str().unwrap_or_default();
                let answered = open.as_mut().and_then(|(_, ids)| {
                    let at = ids.iter().position(|open_id| open_id == id)?;
                    Some(ids.remove(at))
                });
                if answered.is_none() {
                    self.rule("tool_without_call", index, &[]);
                }
                continue;
            }
            self.unanswered(open.take());
            if message["role"] == "assistant" {
                let ids: Vec<String> = message["tool_calls"]
                    .as_array()
                    .map(|calls| {
                        calls
                            .iter()
                            .filter_map(|c| c["id"].as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                open = Some((index, ids));
            }
        }
        self.unanswered(open);
    }

    fn unanswered(&mut self, open: Option<(usize, Vec<String>)>) {
        if let Some((index, ids)) = open.filter(|(_, ids)| !ids.is_empty()) {
            self.rule("unanswered_tool_calls", index, &[("ids", ids.join(", "))]);
        }
    }

    fn rule(&mut self, name: &str, index: usize, vars: &[(&str, String)]) {
        let spec = &table()["conversation"][name];
        let mut all = vars.to_vec();
        all.push(("index", index.to_string()));
        let param = fill(spec["param"].as_str().unwrap_or_default(), &all);
        self.found.push(Violation {
            rule: name.to_owned(),
            path: Some(format!("messages[{index}]")),
            message: fill(spec["message"].as_str().unwrap_or(name), &all),
            status: Some(400),
            error_type: "invalid_request_error".into(),
            code: None,
            param: Some(param),
        });
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn article(kind: &str) -> &'static str {
    match kind {
        "null" => "null",
        "boolean" => "a boolean",
        "integer" => "an integer",
        "number" => "a number",
        "string" => "a string",
        "array" => "an array",
        _ => "an object",
    }
}

fn article_list(kinds: &[&str]) -> String {
    match kinds {
        [one] => article(one).to_owned(),
        many => format!(
            "one of {}",
            many.iter()
                .map(|k| article(k))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
    }
}

fn quoted(text: &str) -> String {
    format!("'{text}'")
}

/// A value as the API's messages show it: a string in single quotes, anything else as JSON.
fn render(value: &Value) -> String {
    match value {
        Value::String(text) => quoted(text),
        other => other.to_string(),
    }
}

/// `'a'`, `'a' and 'b'`, `'a', 'b', and 'c'`.
fn english_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [a, b] => format!("{a} and {b}"),
        [rest @ .., last] => format!("{}, and {last}", rest.join(", ")),
    }
}

fn limit(min: &Value, max: &Value, unit: &str) -> String {
    match (min.is_number(), max.is_number()) {
        (true, true) => format!("{min} to {max}{unit}"),
        (true, false) => format!("at least {min}{unit}"),
        _ => format!("at most {max}{unit}"),
    }
}

/// JSON equality with numbers compared by value (`1` is `1.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn fill(template: &str, vars: &[(&str, String)]) -> String {
    vars.iter()
        .fold(template.to_owned(), |text, (name, value)| {
            text.replace(&format!("{{{name}}}"), value)
        })
}
