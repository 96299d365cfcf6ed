//! The dashboard API's answers to bad requests (docs/api.md, "Errors" and "Rules"): one worker,
//! a table of bad requests, each answered with its documented status and error code in the
//! documented shape, and none of them changing anything ("A rejected request changes
//! nothing"): the targeted incident's state and timeline, the number of Durable Objects, and
//! the tenant's list are compared before and after.
//!
//! Every case runs; the assertion at the end lists all the failing ones at once.

use incidentd_e2e::{list_summaries, poll, send_raw, LocalWorker, AHEAD, TEST_SECRET};
use incidentd_wire::signing::{
    SignedRequest, HEADER_CLIENT, HEADER_SIGNATURE, HEADER_TIMESTAMP, HEADER_USER,
};
use serde_json::{json, Value};
use std::time::Duration;

/// How a case's request is authenticated.
#[derive(Clone, Debug)]
enum Auth {
    /// Correctly signed as the demo tenant.
    Signed,
    /// Correctly signed as another tenant.
    As(&'static str),
    /// Signed as demo with the timestamp moved by this many seconds.
    At(i64),
    /// Signed as demo with another secret.
    Secret(&'static str),
    /// No authentication header at all.
    Unsigned,
    /// Signed as demo, then this header removed.
    Without(&'static str),
    /// Signed as demo, then this header's value replaced.
    Replace(&'static str, String),
    /// Headers signed (as demo) for another request, sent with this one.
    SignedFor {
        method: &'static str,
        path: String,
        body: Vec<u8>,
    },
}

struct Case {
    name: String,
    method: &'static str,
    path: String,
    body: Vec<u8>,
    auth: Auth,
    status: u16,
    code: &'static str,
}

impl Case {
    fn new(name: &str, method: &'static str, path: String, body: impl Into<Vec<u8>>) -> Case {
        Case {
            name: name.to_owned(),
            method,
            path,
            body: body.into(),
            auth: Auth::Signed,
            status: 0,
            code: "",
        }
    }

    fn expect(mut self, status: u16, code: &'static str) -> Case {
        self.status = status;
        self.code = code;
        self
    }

    fn auth(mut self, auth: Auth) -> Case {
        self.auth = auth;
        self
    }
}

fn post(name: &str, path: String, body: Value) -> Case {
    Case::new(name, "POST", path, body.to_string())
}

fn raw(name: &str, method: &'static str, path: String, body: &str) -> Case {
    Case::new(name, method, path, body)
}

fn get(name: &str, path: String) -> Case {
    Case::new(name, "GET", path, "")
}

fn headers(case: &Case) -> Vec<(String, String)> {
    let now = incidentctl::now_secs();
    let sign = |tenant: &str, method: &str, path: &str, body: &[u8], ts: i64, secret: &str| {
        let user = format!("{tenant}-user");
        SignedRequest {
            method,
            path,
            client_id: tenant,
            user_id: &user,
            timestamp: ts,
            nonce: &incidentctl::nonce(),
            body,
        }
        .headers(secret.as_bytes())
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect::<Vec<_>>()
    };
    let own = |ts: i64, secret: &str| sign("demo", case.method, &case.path, &case.body, ts, secret);
    let mut headers = match &case.auth {
        Auth::Signed => own(now, TEST_SECRET),
        Auth::As(tenant) => sign(
            tenant,
            case.method,
            &case.path,
            &case.body,
            now,
            TEST_SECRET,
        ),
        Auth::At(offset) => own(now + offset, TEST_SECRET),
        Auth::Secret(secret) => own(now, secret),
        Auth::Unsigned => Vec::new(),
        Auth::Without(name) => {
            let mut h = own(now, TEST_SECRET);
            h.retain(|(k, _)| k != name);
            h
        }
        Auth::Replace(name, value) => {
            let mut h = own(now, TEST_SECRET);
            for (k, v) in &mut h {
                if k == name {
                    *v = value.clone();
                }
            }
            h
        }
        Auth::SignedFor { method, path, body } => {
            sign("demo", method, path, body, now, TEST_SECRET)
        }
    };
    headers.push(("content-type".into(), "application/json".into()));
    headers
}

/// What a rejected request must not change: the answer of `GET` (status), the incident's state
/// fields that changes touch, and the timeline's events (delivery bookkeeping such as
/// `published_at` moves on asynchronously and is left out).
fn fingerprint(worker: &LocalWorker, tenant: &str, id: &str) -> Value {
    let reply = worker
        .client(tenant)
        .get(&format!("/dashboard/incidents/{id}"))
        .expect("GET incident");
    let i = &reply.body["incident"];
    let timeline: Vec<Value> = reply.body["timeline"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .map(|e| {
            json!({
                "event_id": e["event_id"], "event_type": e["event_type"],
                "data": e["data"], "at": e["at"],
            })
        })
        .collect();
    json!({
        "http_status": reply.status,
        "archived": reply.body["archived"],
        "incident": {
            "id": i["id"], "status": i["status"], "severity": i["severity"],
            "assignee": i["assignee"], "affection": i["affection"], "title": i["title"],
            "prompt": i["prompt"], "created_at": i["created_at"],
            "last_event_id": i["last_event_id"],
        },
        "timeline": timeline,
    })
}

/// The list as the rows a change would touch.
fn list_view(worker: &LocalWorker, tenant: &str) -> Vec<Value> {
    list_summaries(&worker.client(tenant))
        .iter()
        .map(|s| {
            json!({ "id": s["id"], "status": s["status"], "severity": s["severity"],
                    "assignee": s["assignee"], "title": s["title"] })
        })
        .collect()
}

/// `{"error": {"code": "...", "message": "..."}}` and nothing else.
fn shape_problem(body: &Value) -> Option<String> {
    let Some(outer) = body.as_object() else {
        return Some(format!("body is not a JSON object: {body}"));
    };
    if outer.len() != 1 || !outer.contains_key("error") {
        return Some(format!(
            "top-level keys must be exactly [\"error\"]: {body}"
        ));
    }
    let Some(error) = body["error"].as_object() else {
        return Some(format!("\"error\" is not an object: {body}"));
    };
    let mut keys: Vec<&str> = error.keys().map(String::as_str).collect();
    keys.sort_unstable();
    if keys != ["code", "message"] {
        return Some(format!(
            "error keys must be exactly [code, message]: {body}"
        ));
    }
    if error["code"].as_str().is_none_or(str::is_empty) {
        return Some(format!("error.code is not a non-empty string: {body}"));
    }
    if error["message"].as_str().is_none_or(str::is_empty) {
        return Some(format!("error.message is not a non-empty string: {body}"));
    }
    None
}

fn status_of(worker: &LocalWorker, id: &str) -> Value {
    worker
        .client("demo")
        .get(&format!("/dashboard/incidents/{id}"))
        .unwrap()
        .body["incident"]["status"]
        .clone()
}

#[test]
fn bad_requests_are_answered_with_their_documented_error_and_change_nothing() {
    let worker = LocalWorker::start("api-errors");
    let demo = worker.client("demo");
    let create = |client: &incidentctl::Client, body: Value| -> String {
        let reply = client.post("/dashboard/incidents", &body).unwrap();
        assert_eq!(reply.status, 201, "set-up create {body}: {:?}", reply.body);
        reply.body["incident"]["id"].as_str().unwrap().to_owned()
    };
    let change = |id: &str, route: &str, body: Value, status: u16| {
        let reply = demo
            .post(&format!("/dashboard/incidents/{id}/{route}"), &body)
            .unwrap();
        assert_eq!(
            reply.status, status,
            "set-up {route} {body}: {:?}",
            reply.body
        );
    };

    // ---- Set-up -------------------------------------------------------------------------
    // An open incident (created with an idempotency key, to reuse it below).
    let open = create(
        &demo,
        json!({ "prompt": "api errors: the open incident", "idempotency_key": "api-errors-open" }),
    );
    // One moved to mitigating.
    let mitigating = create(&demo, json!({ "prompt": "api errors: mitigating" }));
    change(
        &mitigating,
        "status",
        json!({ "status": "mitigating", "message": "rolled back" }),
        200,
    );
    // One with an affection, already moved forward to mitigating.
    let affected = create(&demo, json!({ "prompt": "api errors: affected" }));
    change(
        &affected,
        "affection",
        json!({ "title": "Degraded API", "services": [{ "id": "api", "impact": "major" }],
                "message": "looking" }),
        201,
    );
    change(
        &affected,
        "affection/updates",
        json!({ "message": "fix rolling out", "status": "mitigating" }),
        200,
    );
    // A terminal one (resolved), created with an idempotency key.
    let closed = create(
        &demo,
        json!({ "prompt": "api errors: the closed incident",
                "idempotency_key": "api-errors-closed" }),
    );
    change(
        &closed,
        "status",
        json!({ "status": "resolved", "message": "done" }),
        200,
    );
    // A resolved incident is archived and its object's storage deleted once its events are
    // delivered (well under a second locally). Wait for that, so the cases below meet one
    // definite state: closed and archived.
    let archived = poll(Duration::from_secs(20), || {
        let reply = demo.get(&format!("/dashboard/incidents/{closed}")).unwrap();
        (reply.body["archived"] == true).then_some(())
    });
    if archived.is_none() {
        println!("note: the closed incident was not archived within 20 s; testing it unarchived");
    }
    // A scratch incident for cases that, wrongly accepted, would change their target.
    let scratch = create(&demo, json!({ "prompt": "api errors: scratch" }));
    // Another tenant's incident.
    let other_client = worker.client("other-tenant");
    let foreign = create(
        &other_client,
        json!({ "prompt": "api errors: another tenant's" }),
    );

    let owners: Vec<(&str, &str)> = vec![
        (open.as_str(), "demo"),
        (mitigating.as_str(), "demo"),
        (affected.as_str(), "demo"),
        (closed.as_str(), "demo"),
        (scratch.as_str(), "demo"),
        (foreign.as_str(), "other-tenant"),
    ];
    assert_eq!(status_of(&worker, &open), "open");
    assert_eq!(status_of(&worker, &mitigating), "mitigating");

    // Let the index catch up with the set-up before taking the list snapshot.
    let demo_ids = [&open, &mitigating, &affected, &closed, &scratch];
    let converged = poll(Duration::from_secs(20), || {
        let list = list_summaries(&demo);
        demo_ids
            .iter()
            .all(|id| {
                let fp = fingerprint(&worker, "demo", id);
                list.iter().any(|s| {
                    s["id"] == id.as_str()
                        && s["status"] == fp["incident"]["status"]
                        && s["severity"] == fp["incident"]["severity"]
                })
            })
            .then_some(())
    });
    assert!(
        converged.is_some(),
        "set-up incidents never reached the index: {:?}; log:\n{}",
        list_summaries(&demo),
        worker.log()
    );

    // ---- The table ----------------------------------------------------------------------
    let inc = |id: &str, rest: &str| format!("/dashboard/incidents/{id}{rest}");
    let unknown = "0123456789abcdef".repeat(4);
    let big_message = json!({ "message": "x".repeat(70 * 1024), "message_id": "too-big" });
    let mut big_create = br#"{"prompt":""#.to_vec();
    big_create.resize(64 * 1024 + 1 - 2, b'x');
    big_create.extend_from_slice(br#""}"#);
    assert_eq!(big_create.len(), 64 * 1024 + 1);
    let sev_high = json!({ "severity": "high" }).to_string();
    let good_message = |mid: &str| json!({ "message": "hello", "message_id": mid });
    let incidents = "/dashboard/incidents".to_owned();

    let cases: Vec<Case> = vec![
        // -- 400: not JSON at all.
        raw("create: truncated JSON", "POST", incidents.clone(), r#"{"prompt":"#)
            .expect(400, "INVALID_JSON"),
        raw("create: not JSON", "POST", incidents.clone(), "prompt=db down")
            .expect(400, "INVALID_JSON"),
        raw("create: empty body", "POST", incidents.clone(), "").expect(400, "INVALID_JSON"),
        raw("severity: trailing garbage", "POST", inc(&open, "/severity"), r#"{"severity":"high"} x"#)
            .expect(400, "INVALID_JSON"),
        raw("messages: trailing comma", "POST", inc(&open, "/messages"), r#"{"message":"hi","message_id":"m-1",}"#)
            .expect(400, "INVALID_JSON"),
        raw("status: single quotes", "POST", inc(&open, "/status"), "{'status':'mitigating'}")
            .expect(400, "INVALID_JSON"),
        raw("replay: empty body", "POST", inc(&open, "/dead-letters/1/replay"), "")
            .expect(400, "INVALID_JSON"),
        raw("retry effect: empty body", "POST", inc(&open, "/failed-effects/1/webhook/retry"), "")
            .expect(400, "INVALID_JSON"),
        // -- 422: well-formed JSON of the wrong shape.
        post("create: prompt is a number", incidents.clone(), json!({ "prompt": 42 }))
            .expect(422, "INVALID_INPUT"),
        post("create: prompt missing", incidents.clone(), json!({ "title": "t" }))
            .expect(422, "INVALID_INPUT"),
        post("create: unknown field", incidents.clone(), json!({ "prompt": "db down", "priority": 1 }))
            .expect(422, "INVALID_INPUT"),
        // Regression: serde reads a struct from an array too; bodies must be JSON objects.
        raw("create: array body", "POST", incidents.clone(), r#"["db down"]"#)
            .expect(422, "INVALID_INPUT"),
        raw("create: null body", "POST", incidents.clone(), "null").expect(422, "INVALID_INPUT"),
        post("create: bad severity", incidents.clone(), json!({ "prompt": "db down", "severity": "critical" }))
            .expect(422, "INVALID_INPUT"),
        post("create: whitespace prompt", incidents.clone(), json!({ "prompt": " \n\t " }))
            .expect(422, "INVALID_INPUT"),
        post("create: empty title", incidents.clone(), json!({ "prompt": "db down", "title": "  " }))
            .expect(422, "INVALID_INPUT"),
        post("create: title is an object", incidents.clone(), json!({ "prompt": "db down", "title": {} }))
            .expect(422, "INVALID_INPUT"),
        // Regression: a non-string where an enum is expected is the wrong shape (422), not bad JSON.
        post("severity: a number", inc(&open, "/severity"), json!({ "severity": 3 }))
            .expect(422, "INVALID_INPUT"),
        post("severity: bad value", inc(&open, "/severity"), json!({ "severity": "urgent" }))
            .expect(422, "INVALID_INPUT"),
        post("severity: upper case", inc(&open, "/severity"), json!({ "severity": "HIGH" }))
            .expect(422, "INVALID_INPUT"),
        post("severity: missing", inc(&open, "/severity"), json!({}))
            .expect(422, "INVALID_INPUT"),
        post("severity: unknown field", inc(&open, "/severity"), json!({ "severity": "high", "why": "x" }))
            .expect(422, "INVALID_INPUT"),
        post("assignee: a number", inc(&open, "/assignee"), json!({ "assignee": 42 }))
            .expect(422, "INVALID_INPUT"),
        post("assignee: whitespace", inc(&open, "/assignee"), json!({ "assignee": "   " }))
            .expect(422, "INVALID_INPUT"),
        post("status: bad value", inc(&open, "/status"), json!({ "status": "closed", "message": "x" }))
            .expect(422, "INVALID_INPUT"),
        post("status: missing", inc(&open, "/status"), json!({ "message": "x" }))
            .expect(422, "INVALID_INPUT"),
        post("status: message is a number", inc(&open, "/status"), json!({ "status": "mitigating", "message": 5 }))
            .expect(422, "INVALID_INPUT"),
        post("status: unknown field", inc(&open, "/status"), json!({ "status": "mitigating", "message": "x", "force": true }))
            .expect(422, "INVALID_INPUT"),
        post("messages: empty message", inc(&open, "/messages"), json!({ "message": "", "message_id": "m-empty" }))
            .expect(422, "INVALID_INPUT"),
        post("messages: whitespace message", inc(&open, "/messages"), json!({ "message": " \n\t ", "message_id": "m-ws" }))
            .expect(422, "INVALID_INPUT"),
        post("messages: message_id missing", inc(&open, "/messages"), json!({ "message": "hello" }))
            .expect(422, "INVALID_INPUT"),
        post("messages: empty message_id", inc(&open, "/messages"), json!({ "message": "hello", "message_id": " " }))
            .expect(422, "INVALID_INPUT"),
        post("messages: message_id a number", inc(&open, "/messages"), json!({ "message": "hello", "message_id": 7 }))
            .expect(422, "INVALID_INPUT"),
        post("messages: unknown field", inc(&open, "/messages"), json!({ "message": "hello", "message_id": "m-u", "pinned": true }))
            .expect(422, "INVALID_INPUT"),
        post("affection: services missing", inc(&open, "/affection"), json!({ "title": "API", "message": "m" }))
            .expect(422, "INVALID_INPUT"),
        post("affection: no services", inc(&open, "/affection"), json!({ "title": "API", "services": [], "message": "m" }))
            .expect(422, "INVALID_INPUT"),
        post("affection: unknown service", inc(&open, "/affection"),
             json!({ "title": "API", "services": [{ "id": "mainframe", "impact": "major" }], "message": "m" }))
            .expect(422, "INVALID_INPUT"),
        post("affection: bad impact", inc(&open, "/affection"),
             json!({ "title": "API", "services": [{ "id": "api", "impact": "severe" }], "message": "m" }))
            .expect(422, "INVALID_INPUT"),
        post("affection: impact missing", inc(&open, "/affection"),
             json!({ "title": "API", "services": [{ "id": "api" }], "message": "m" }))
            .expect(422, "INVALID_INPUT"),
        post("affection: services as strings", inc(&open, "/affection"),
             json!({ "title": "API", "services": ["api"], "message": "m" }))
            .expect(422, "INVALID_INPUT"),
        post("affection: empty title", inc(&open, "/affection"),
             json!({ "title": " ", "services": [{ "id": "api", "impact": "major" }], "message": "m" }))
            .expect(422, "INVALID_INPUT"),
        post("affection: empty message", inc(&open, "/affection"),
             json!({ "title": "API", "services": [{ "id": "api", "impact": "major" }], "message": "" }))
            .expect(422, "INVALID_INPUT"),
        post("affection update: bad status", inc(&affected, "/affection/updates"), json!({ "message": "m", "status": "done" }))
            .expect(422, "INVALID_INPUT"),
        post("affection update: empty message", inc(&affected, "/affection/updates"), json!({ "message": "  ", "status": "resolved" }))
            .expect(422, "INVALID_INPUT"),
        post("affection update: message missing", inc(&affected, "/affection/updates"), json!({ "status": "resolved" }))
            .expect(422, "INVALID_INPUT"),
        post("affection update: unknown field", inc(&affected, "/affection/updates"), json!({ "message": "m", "eta": 5 }))
            .expect(422, "INVALID_INPUT"),
        post("replay: unknown field", inc(&open, "/dead-letters/1/replay"), json!({ "force": true }))
            .expect(422, "INVALID_INPUT"),
        post("retry effect: unknown field", inc(&open, "/failed-effects/1/webhook/retry"), json!({ "force": true }))
            .expect(422, "INVALID_INPUT"),
        // -- Idempotency keys.
        post("create: idempotency_key with a space", incidents.clone(), json!({ "prompt": "db down", "idempotency_key": "has space" }))
            .expect(422, "INVALID_INPUT"),
        post("create: empty idempotency_key", incidents.clone(), json!({ "prompt": "db down", "idempotency_key": "" }))
            .expect(422, "INVALID_INPUT"),
        post("create: idempotency_key of 129 characters", incidents.clone(), json!({ "prompt": "db down", "idempotency_key": "k".repeat(129) }))
            .expect(422, "INVALID_INPUT"),
        post("create: idempotency_key not ASCII", incidents.clone(), json!({ "prompt": "db down", "idempotency_key": "clé" }))
            .expect(422, "INVALID_INPUT"),
        post("create: idempotency_key a number", incidents.clone(), json!({ "prompt": "db down", "idempotency_key": 12 }))
            .expect(422, "INVALID_INPUT"),
        post("create: idempotency_key reused with another prompt", incidents.clone(),
             json!({ "prompt": "something else entirely", "idempotency_key": "api-errors-open" }))
            .expect(409, "IDEMPOTENCY_KEY_REUSED"),
        // -- 413.
        post("messages: body over 64 KiB", inc(&open, "/messages"), big_message)
            .expect(413, "PAYLOAD_TOO_LARGE"),
        Case::new("create: body of 64 KiB + 1 byte", "POST", incidents.clone(), big_create)
            .expect(413, "PAYLOAD_TOO_LARGE"),
        // -- 401.
        raw("create: unsigned", "POST", incidents.clone(), r#"{"prompt":"db down"}"#)
            .auth(Auth::Unsigned).expect(401, "UNAUTHORIZED"),
        get("get: unsigned", inc(&open, "")).auth(Auth::Unsigned).expect(401, "UNAUTHORIZED"),
        raw("severity: no signature header", "POST", inc(&open, "/severity"), &sev_high)
            .auth(Auth::Without(HEADER_SIGNATURE)).expect(401, "UNAUTHORIZED"),
        raw("severity: no client header", "POST", inc(&open, "/severity"), &sev_high)
            .auth(Auth::Without(HEADER_CLIENT)).expect(401, "UNAUTHORIZED"),
        raw("severity: no user header", "POST", inc(&open, "/severity"), &sev_high)
            .auth(Auth::Without(HEADER_USER)).expect(401, "UNAUTHORIZED"),
        raw("severity: no timestamp header", "POST", inc(&open, "/severity"), &sev_high)
            .auth(Auth::Without(HEADER_TIMESTAMP)).expect(401, "UNAUTHORIZED"),
        raw("severity: timestamp 301 s old", "POST", inc(&open, "/severity"), &sev_high)
            .auth(Auth::At(-301)).expect(401, "UNAUTHORIZED"),
        raw("severity: timestamp 303 s ahead", "POST", inc(&open, "/severity"), &sev_high)
            .auth(Auth::At(AHEAD)).expect(401, "UNAUTHORIZED"),
        raw("severity: timestamp not a number", "POST", inc(&open, "/severity"), &sev_high)
            .auth(Auth::Replace(HEADER_TIMESTAMP, "soon".into())).expect(401, "UNAUTHORIZED"),
        raw("severity: wrong secret", "POST", inc(&open, "/severity"), &sev_high)
            .auth(Auth::Secret("not-the-secret")).expect(401, "UNAUTHORIZED"),
        raw("severity: signature not hex", "POST", inc(&open, "/severity"), &sev_high)
            .auth(Auth::Replace(HEADER_SIGNATURE, "v1=zz".into())).expect(401, "UNAUTHORIZED"),
        raw("severity: signature without v1=", "POST", inc(&open, "/severity"), &sev_high)
            .auth(Auth::Replace(HEADER_SIGNATURE, "ab".repeat(32))).expect(401, "UNAUTHORIZED"),
        raw("severity: signature v2=", "POST", inc(&open, "/severity"), &sev_high)
            .auth(Auth::Replace(HEADER_SIGNATURE, format!("v2={}", "ab".repeat(32)))).expect(401, "UNAUTHORIZED"),
        raw("severity: signature too short", "POST", inc(&open, "/severity"), &sev_high)
            .auth(Auth::Replace(HEADER_SIGNATURE, format!("v1={}", "ab".repeat(16)))).expect(401, "UNAUTHORIZED"),
        raw("severity: client header swapped for another tenant", "POST", inc(&open, "/severity"), &sev_high)
            .auth(Auth::Replace(HEADER_CLIENT, "other-tenant".into())).expect(401, "UNAUTHORIZED"),
        raw("severity: headers replayed from another incident's route", "POST", inc(&open, "/severity"), &sev_high)
            .auth(Auth::SignedFor { method: "POST", path: inc(&mitigating, "/severity"), body: sev_high.clone().into() })
            .expect(401, "UNAUTHORIZED"),
        raw("status: headers replayed from the severity route", "POST", inc(&open, "/status"), &sev_high)
            .auth(Auth::SignedFor { method: "POST", path: inc(&open, "/severity"), body: sev_high.clone().into() })
            .expect(401, "UNAUTHORIZED"),
        raw("severity: headers of a GET replayed on a POST", "POST", inc(&open, "/severity"), &sev_high)
            .auth(Auth::SignedFor { method: "GET", path: inc(&open, "/severity"), body: sev_high.clone().into() })
            .expect(401, "UNAUTHORIZED"),
        raw("severity: headers signed for another body", "POST", inc(&open, "/severity"), &sev_high)
            .auth(Auth::SignedFor { method: "POST", path: inc(&open, "/severity"), body: br#"{"severity":"low"}"#.to_vec() })
            .expect(401, "UNAUTHORIZED"),
        get("list: headers signed with a query the request lacks", incidents.clone())
            .auth(Auth::SignedFor { method: "GET", path: "/dashboard/incidents?all=1".into(), body: Vec::new() })
            .expect(401, "UNAUTHORIZED"),
        // -- 404.
        get("get: another tenant's incident", inc(&foreign, "")).expect(404, "NOT_FOUND"),
        post("severity: another tenant's incident", inc(&foreign, "/severity"), json!({ "severity": "high" }))
            .expect(404, "NOT_FOUND"),
        post("messages: another tenant's incident", inc(&foreign, "/messages"), good_message("m-foreign"))
            .expect(404, "NOT_FOUND"),
        post("status: another tenant's incident", inc(&foreign, "/status"), json!({ "status": "resolved", "message": "x" }))
            .expect(404, "NOT_FOUND"),
        get("dead-letters: another tenant's incident", inc(&foreign, "/dead-letters")).expect(404, "NOT_FOUND"),
        get("failed-effects: another tenant's incident", inc(&foreign, "/failed-effects")).expect(404, "NOT_FOUND"),
        post("retry effect: another tenant's incident", inc(&foreign, "/failed-effects/1/webhook/retry"), json!({}))
            .expect(404, "NOT_FOUND"),
        get("workflow: another tenant's incident", inc(&foreign, "/workflow")).expect(404, "NOT_FOUND"),
        get("get: demo's incident as another tenant", inc(&open, ""))
            .auth(Auth::As("other-tenant")).expect(404, "NOT_FOUND"),
        post("severity: demo's incident as another tenant", inc(&open, "/severity"), json!({ "severity": "high" }))
            .auth(Auth::As("other-tenant")).expect(404, "NOT_FOUND"),
        get("get: unknown well-formed id", inc(&unknown, "")).expect(404, "NOT_FOUND"),
        post("severity: unknown well-formed id", inc(&unknown, "/severity"), json!({ "severity": "high" }))
            .expect(404, "NOT_FOUND"),
        get("workflow: unknown well-formed id", inc(&"0".repeat(64), "/workflow")).expect(404, "NOT_FOUND"),
        get("get: malformed id", inc("not-an-incident", "")).expect(404, "NOT_FOUND"),
        get("get: 63 hex digits", inc(&open[..63], "")).expect(404, "NOT_FOUND"),
        get("get: 64 non-hex characters", inc(&"z".repeat(64), "")).expect(404, "NOT_FOUND"),
        post("messages: malformed id", inc("nope", "/messages"), good_message("m-nope"))
            .expect(404, "NOT_FOUND"),
        post("replay: an event that is not dead", inc(&open, "/dead-letters/1/replay"), json!({}))
            .expect(404, "NOT_FOUND"),
        post("replay: no such event", inc(&open, "/dead-letters/999/replay"), json!({}))
            .expect(404, "NOT_FOUND"),
        post("replay: event id not a number", inc(&open, "/dead-letters/first/replay"), json!({}))
            .expect(404, "NOT_FOUND"),
        post("retry effect: nothing failed", inc(&open, "/failed-effects/1/webhook/retry"), json!({}))
            .expect(404, "NOT_FOUND"),
        post("retry effect: event id not a number", inc(&open, "/failed-effects/first/webhook/retry"), json!({}))
            .expect(404, "NOT_FOUND"),
        get("unknown route under /dashboard", "/dashboard/nothing-here".into()).expect(404, "NOT_FOUND"),
        get("unknown sub-route of an incident", inc(&open, "/comments")).expect(404, "NOT_FOUND"),
        post("unknown action on an incident", inc(&open, "/escalate"), json!({})).expect(404, "NOT_FOUND"),
        get("unknown route outside /dashboard", "/admin".into()).auth(Auth::Unsigned).expect(404, "NOT_FOUND"),
        // -- 405.
        raw("DELETE an incident", "DELETE", inc(&open, ""), "").expect(405, "METHOD_NOT_ALLOWED"),
        raw("PUT the collection", "PUT", incidents.clone(), r#"{"prompt":"db down"}"#)
            .expect(405, "METHOD_NOT_ALLOWED"),
        get("GET the severity route", inc(&open, "/severity")).expect(405, "METHOD_NOT_ALLOWED"),
        raw("PATCH the status route", "PATCH", inc(&open, "/status"), r#"{"status":"mitigating"}"#)
            .expect(405, "METHOD_NOT_ALLOWED"),
        post("POST the workflow route", inc(&open, "/workflow"), json!({})).expect(405, "METHOD_NOT_ALLOWED"),
        get("GET a replay route", inc(&open, "/dead-letters/1/replay")).expect(405, "METHOD_NOT_ALLOWED"),
        get("GET a retry route", inc(&open, "/failed-effects/1/webhook/retry")).expect(405, "METHOD_NOT_ALLOWED"),
        post("POST the failed-effects list", inc(&open, "/failed-effects"), json!({})).expect(405, "METHOD_NOT_ALLOWED"),
        // -- 409: the rules.
        post("status: open → open", inc(&open, "/status"), json!({ "status": "open", "message": "again" }))
            .expect(409, "INVALID_TRANSITION"),
        post("status: mitigating → open", inc(&mitigating, "/status"), json!({ "status": "open", "message": "back" }))
            .expect(409, "INVALID_TRANSITION"),
        post("status: mitigating → mitigating", inc(&mitigating, "/status"), json!({ "status": "mitigating", "message": "still" }))
            .expect(409, "INVALID_TRANSITION"),
        post("affection update before create", inc(&open, "/affection/updates"), json!({ "message": "early" }))
            .expect(409, "NO_AFFECTION"),
        post("affection created twice", inc(&affected, "/affection"),
             json!({ "title": "Again", "services": [{ "id": "checkout", "impact": "partial" }], "message": "m" }))
            .expect(409, "AFFECTION_EXISTS"),
        post("affection status backwards (mitigating → investigating)", inc(&affected, "/affection/updates"),
             json!({ "message": "m", "status": "investigating" }))
            .expect(409, "STATUS_CAN_ONLY_MOVE_FORWARD"),
        post("affection status unchanged (mitigating → mitigating)", inc(&affected, "/affection/updates"),
             json!({ "message": "m", "status": "mitigating" }))
            .expect(409, "STATUS_CAN_ONLY_MOVE_FORWARD"),
        // Regression: an archived (closed) incident still answers 409 INCIDENT_CLOSED, not 404.
        post("closed: status → mitigating", inc(&closed, "/status"), json!({ "status": "mitigating", "message": "reopen" }))
            .expect(409, "INCIDENT_CLOSED"),
        post("closed: status → declined", inc(&closed, "/status"), json!({ "status": "declined", "message": "x" }))
            .expect(409, "INCIDENT_CLOSED"),
        post("closed: severity", inc(&closed, "/severity"), json!({ "severity": "high" }))
            .expect(409, "INCIDENT_CLOSED"),
        post("closed: assignee", inc(&closed, "/assignee"), json!({ "assignee": "bob" }))
            .expect(409, "INCIDENT_CLOSED"),
        post("closed: message", inc(&closed, "/messages"), good_message("m-closed"))
            .expect(409, "INCIDENT_CLOSED"),
        post("closed: affection", inc(&closed, "/affection"),
             json!({ "title": "Late", "services": [{ "id": "api", "impact": "major" }], "message": "m" }))
            .expect(409, "INCIDENT_CLOSED"),
        // Regression: `assignee` is required (null unassigns); a missing field must not unassign.
        post("assignee: missing", inc(&scratch, "/assignee"), json!({}))
            .expect(422, "INVALID_INPUT"),
        // Regression: `message` is required on a status change (it may be empty).
        post("status: message missing", inc(&scratch, "/status"), json!({ "status": "mitigating" }))
            .expect(422, "INVALID_INPUT"),
        // Regression: unknown fields are rejected inside nested items too.
        post("affection: unknown field in a service", inc(&scratch, "/affection"),
             json!({ "title": "API", "services": [{ "id": "api", "impact": "major", "region": "eu" }],
                     "message": "m" }))
            .expect(422, "INVALID_INPUT"),
        // Regression: enums only as strings; arrays never stand for objects.
        post("severity: value as an object", inc(&scratch, "/severity"), json!({ "severity": { "high": null } }))
            .expect(422, "INVALID_INPUT"),
        raw("severity: array body", "POST", inc(&scratch, "/severity"), r#"["low"]"#)
            .expect(422, "INVALID_INPUT"),
        // Regression: an archived incident's idempotency key never creates a new incident.
        post("create: closed incident's idempotency_key reused with another prompt", incidents.clone(),
             json!({ "prompt": "a different prompt", "idempotency_key": "api-errors-closed" }))
            .expect(409, "IDEMPOTENCY_KEY_REUSED"),
    ];
    assert!(cases.len() >= 40, "{} cases", cases.len());

    // ---- Run ----------------------------------------------------------------------------
    let all_before: Vec<Value> = owners
        .iter()
        .map(|(id, tenant)| fingerprint(&worker, tenant, id))
        .collect();
    let list_before = (
        list_view(&worker, "demo"),
        list_view(&worker, "other-tenant"),
    );
    let objects_before = worker.durable_object_count();

    let mut failures: Vec<String> = Vec::new();
    for case in &cases {
        let watched: Vec<(&str, &str)> = owners
            .iter()
            .copied()
            .filter(|(id, _)| case.path.contains(id))
            .collect();
        let before: Vec<Value> = watched
            .iter()
            .map(|(id, tenant)| fingerprint(&worker, tenant, id))
            .collect();
        let objects = worker.durable_object_count();

        let mut problems = Vec::new();
        match send_raw(
            &worker.base_url(),
            case.method,
            &case.path,
            &headers(case),
            &case.body,
        ) {
            Err(e) => problems.push(format!("transport error: {e}")),
            Ok((status, body)) => {
                let code = body["error"]["code"].as_str().unwrap_or("-");
                if (status, code) != (case.status, case.code) {
                    problems.push(format!(
                        "expected {} {}, got {status} {code}: {}",
                        case.status,
                        case.code,
                        shorten(&body.to_string())
                    ));
                }
                if let Some(problem) = shape_problem(&body) {
                    problems.push(format!("error shape: {}", shorten(&problem)));
                }
            }
        }
        for ((id, tenant), before) in watched.iter().zip(&before) {
            let after = fingerprint(&worker, tenant, id);
            if &after != before {
                problems.push(format!(
                    "incident {id} changed:\n      before {before}\n      after  {after}"
                ));
            }
        }
        let objects_after = worker.durable_object_count();
        if objects_after != objects {
            problems.push(format!(
                "Durable Objects with storage: {objects} before, {objects_after} after"
            ));
        }
        if !problems.is_empty() {
            failures.push(format!(
                "[{}] {} {}\n    {}",
                case.name,
                case.method,
                case.path,
                problems.join("\n    ")
            ));
        }
    }

    // Nothing changed anywhere: every incident, both lists (the index is written asynchronously,
    // so give a wrongly accepted change time to show), the number of objects.
    std::thread::sleep(Duration::from_millis(1_500));
    for ((id, tenant), before) in owners.iter().zip(&all_before) {
        let after = fingerprint(&worker, tenant, id);
        if &after != before {
            failures.push(format!(
                "[after the table] incident {id} ({tenant}) changed:\n    before {before}\n    after  {after}"
            ));
        }
    }
    let list_after = (
        list_view(&worker, "demo"),
        list_view(&worker, "other-tenant"),
    );
    if list_after != list_before {
        failures.push(format!(
            "[after the table] the lists changed:\n    before {:?}\n    after  {:?}",
            list_before, list_after
        ));
    }
    let objects_after = worker.durable_object_count();
    if objects_after != objects_before {
        failures.push(format!(
            "[after the table] Durable Objects with storage: {objects_before} before, {objects_after} after"
        ));
    }

    assert!(
        failures.is_empty(),
        "{} of {} bad-request cases failed (plus end-of-table checks):\n\n{}\n",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
    println!("{} bad-request cases passed", cases.len());
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= 300 {
        return text.to_owned();
    }
    let cut: String = text.chars().take(299).collect();
    format!("{cut}…")
}
