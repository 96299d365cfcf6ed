//! The OpenAPI document of every public route of the worker, served at `GET /openapi.json` and
//! checked in as docs/openapi.json (a test keeps the two equal). It walks the route table
//! ([`crate::http::routes::ROUTES`]) and describes each route's handler (`describe` matches them
//! exhaustively), so a route cannot be served undocumented or documented unserved. Dashboard
//! bodies come from the very types the server parses (schemars); the other schemas are written
//! here from the validation they document, and the schema-driven check
//! (tests/tests/schemathesis.rs) holds the server to them.

use super::requests::MAX_BODY_BYTES;
use crate::http::routes::{Admin, Dashboard, Handler, Route, Slack, ROUTES};
use crate::status_page::response::Document;
use incidentd_core::object::{FailedEffect, LaneView};
use incidentd_core::{Applied, IncidentState, IncidentView, TimelineEntry};
use incidentd_wire::admin::{MAX_GRACE_SECS, MAX_SERVICE_PROMPT_CHARS, MAX_SHIFT_HOURS};
use incidentd_wire::dashboard::{
    AddMessage, AddPrompt, CreateAffection, CreateIncident, DismissEffect, Replay, RetryEffect,
    SetAssignee, SetSeverity, UpdateAffection, UpdateStatus,
};
use incidentd_wire::list::{
    IncidentPage, DEFAULT_LIMIT, MAX_CURSOR_CHARS, MAX_LIMIT, MAX_SERVICE_CHARS, MAX_TIME_MS,
};
use schemars::generate::SchemaSettings;
use schemars::JsonSchema;
use serde_json::{json, Map, Value};

/// Who may call an operation.
#[derive(Clone, Copy)]
enum Security {
    /// The tenant's HMAC signature (the five `x-incidentd-*` headers).
    Signature,
    /// The operator's `ADMIN_TOKEN`.
    Operator,
    /// Slack's v0 signature.
    Slack,
    Public,
}

/// One documented response.
struct Reply {
    status: u16,
    description: String,
    /// Media type and schema; `None`: no body.
    content: Option<(&'static str, Value)>,
}

fn reply(
    status: u16,
    description: impl Into<String>,
    content: Option<(&'static str, Value)>,
) -> Reply {
    Reply {
        status,
        description: description.into(),
        content,
    }
}

fn json_reply(status: u16, description: impl Into<String>, schema: Value) -> Reply {
    reply(status, description, Some(("application/json", schema)))
}

fn error_ref() -> Value {
    json!({ "$ref": "#/components/schemas/Error" })
}

/// An error response: `{"error": {"code", "message"}}` with these codes.
fn error(status: u16, codes: &str) -> Reply {
    json_reply(status, codes, error_ref())
}

/// What one route does, before it is written out.
struct Operation {
    summary: String,
    security: Security,
    query: Vec<Value>,
    body: Option<(&'static str, Value)>,
    replies: Vec<Reply>,
}

impl Operation {
    fn new(summary: impl Into<String>, security: Security) -> Operation {
        Operation {
            summary: summary.into(),
            security,
            query: Vec::new(),
            body: None,
            replies: Vec::new(),
        }
    }

    fn body(mut self, media_type: &'static str, schema: Value) -> Operation {
        self.body = Some((media_type, schema));
        self
    }

    fn json_body(self, schema: Value) -> Operation {
        self.body("application/json", schema)
    }

    fn query(mut self, parameter: Value) -> Operation {
        self.query.push(parameter);
        self
    }

    fn reply(mut self, reply: Reply) -> Operation {
        self.replies.push(reply);
        self
    }

    fn ok(self, status: u16, description: &str, schema: Value) -> Operation {
        self.reply(json_reply(status, description, schema))
    }

    fn errors(mut self, errors: &[(u16, &str)]) -> Operation {
        self.replies
            .extend(errors.iter().map(|(status, codes)| error(*status, codes)));
        self
    }
}

struct Builder {
    generator: schemars::SchemaGenerator,
}

impl Builder {
    fn schema<T: JsonSchema>(&mut self) -> Value {
        self.generator.subschema_for::<T>().to_value()
    }
}

/// The errors every signed dashboard request may get.
const SIGNED: &[(u16, &str)] = &[
    (
        401,
        "UNAUTHORIZED: missing, malformed, expired or wrong signature",
    ),
    (
        503,
        "AUTH_NOT_CONFIGURED: no signing secret is set on this server",
    ),
];
/// ... and those of a request with a JSON body.
const WITH_BODY: &[(u16, &str)] = &[
    (400, "INVALID_JSON: the body is not JSON"),
    (413, "PAYLOAD_TOO_LARGE: the body is over 64 KiB"),
    (
        422,
        "INVALID_INPUT: JSON of the wrong shape or value; the message names the field",
    ),
];
const NO_INCIDENT: (u16, &str) = (
    404,
    "NOT_FOUND: no such incident (or another tenant's), or not a well-formed id",
);
const CONFLICTS: (u16, &str) = (
    409,
    "INVALID_TRANSITION | INCIDENT_CLOSED | AFFECTION_EXISTS | NO_AFFECTION | STATUS_CAN_ONLY_MOVE_FORWARD | REQUEST_REPLAYED",
);
/// The operator's routes.
const OPERATOR: &[(u16, &str)] = &[
    (401, "UNAUTHORIZED: no or another bearer token"),
    (503, "NOT_CONFIGURED: ADMIN_TOKEN is not set on this server"),
];
const OPERATOR_BODY: &[(u16, &str)] = &[
    (400, "INVALID_JSON: the body is not JSON"),
    (413, "PAYLOAD_TOO_LARGE: the body is over 64 KiB"),
    (
        422,
        "INVALID_INPUT: a field (named first in the message) or path id is invalid",
    ),
];
const NO_TENANT: (u16, &str) = (404, "NOT_FOUND: no such tenant");
const BAD_ID: (u16, &str) = (
    422,
    "INVALID_INPUT: a path id is not 1 to 64 of A-Z a-z 0-9 _ - .",
);

/// Ids of tenants, services, rotations and entry points (`admin::requests::check_id`).
fn admin_id() -> Value {
    json!({ "type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$" })
}

/// Trimmed free text of the admin API (`admin::requests::check_text`): not blank, at most
/// `max` characters.
fn admin_text(max: usize) -> Value {
    json!({ "type": "string", "minLength": 1, "maxLength": max, "pattern": "\\S" })
}

/// `schema`, or null.
fn nullable(schema: Value, description: &str) -> Value {
    let mut schema = schema;
    schema["nullable"] = json!(true);
    schema["description"] = json!(description);
    schema
}

/// A path parameter's schema, by its name in the template.
fn path_parameter(name: &str) -> Value {
    let (schema, description) = match name {
        "id" => (
            json!({ "type": "string", "pattern": "^[0-9a-f]{64}$" }),
            "The incident's id (64 lowercase hex digits).",
        ),
        "event_id" => (
            json!({ "type": "integer", "format": "int64" }),
            "An event of the incident's timeline.",
        ),
        "effect" => (
            json!({ "type": "string", "minLength": 1 }),
            "The effect's name, as failed-effects lists it (slack, webhook, ...).",
        ),
        "slug" => (
            json!({ "type": "string", "pattern": "^[a-z0-9-]{1,64}$" }),
            "The page's slug.",
        ),
        _ => (admin_id(), "An id: 1 to 64 of A-Z a-z 0-9 _ - ."),
    };
    json!({ "name": name, "in": "path", "required": true, "description": description, "schema": schema })
}

fn query_parameter(name: &str, required: bool, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "required": required, "description": description, "schema": schema })
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({ "type": "object", "required": required, "properties": properties })
}

fn describe(b: &mut Builder, route: &Route) -> Operation {
    match route.handler {
        Handler::Health => Operation::new(
            "Liveness, and the workflows and effects this build registered",
            Security::Public,
        )
        .ok(
            200,
            "alive",
            object(
                &["ok", "workflows", "effects"],
                json!({ "ok": { "type": "boolean", "enum": [true] },
                        "workflows": { "type": "array", "items": { "type": "string" } },
                        "effects": { "type": "array", "items": { "type": "string" } } }),
            ),
        ),
        Handler::OpenApi => Operation::new("This document", Security::Public).ok(
            200,
            "the OpenAPI document",
            json!({ "type": "object", "required": ["openapi", "paths"] }),
        ),
        Handler::Dashboard(route) => dashboard(b, route),
        Handler::Admin(route) => admin(route),
        Handler::Slack(route) => slack(route),
        Handler::Status(document) => status(document, route.method == "HEAD"),
    }
}

fn dashboard(b: &mut Builder, route: Dashboard) -> Operation {
    let signed = |summary: &str| Operation::new(summary, Security::Signature).errors(SIGNED);
    let applied = b.schema::<Applied>();
    match route {
        Dashboard::List => {
            let statuses = b.schema::<incidentd_core::Status>();
            let severities = b.schema::<incidentd_core::Severity>();
            let time = json!({ "type": "integer", "format": "int64", "minimum": 0, "maximum": MAX_TIME_MS });
            let page = b.schema::<IncidentPage>();
            signed("The caller's incidents, newest first, one page at a time (D1 index)")
                .query(json!({ "name": "status", "in": "query", "required": false, "style": "form", "explode": true,
                    "description": "Only these statuses (repeat the parameter for several).",
                    "schema": { "type": "array", "items": statuses } }))
                .query(json!({ "name": "severity", "in": "query", "required": false, "style": "form", "explode": true,
                    "description": "Only these severities (repeat the parameter for several).",
                    "schema": { "type": "array", "items": severities } }))
                .query(query_parameter("service", false,
                    "Only incidents whose status-page affection names this service id.",
                    json!({ "type": "string", "minLength": 1, "maxLength": MAX_SERVICE_CHARS })))
                .query(query_parameter("created_after", false,
                    "Only incidents declared at or after this time, in unix milliseconds (an RFC 3339 time is refused).",
                    time.clone()))
                .query(query_parameter("created_before", false,
                    "Only incidents declared before this time, in unix milliseconds (an RFC 3339 time is refused).",
                    time))
                .query(query_parameter("limit", false,
                    &format!("Incidents per page (default {DEFAULT_LIMIT})."),
                    json!({ "type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT })))
                .query(query_parameter("cursor", false,
                    "The previous page's next_cursor, exactly as returned, with the same filters. Opaque and checksummed: any other string is a 400 INVALID_CURSOR.",
                    json!({ "type": "string", "minLength": 1, "maxLength": MAX_CURSOR_CHARS, "pattern": "^[A-Za-z0-9_-]+$" })))
                .ok(200, "one page; next_cursor is null on the last", page)
                .errors(&[(400, "INVALID_QUERY: an unknown, repeated or invalid parameter (named in the message) | INVALID_CURSOR: a cursor this server did not issue for these filters")])
        }
        Dashboard::Create => {
            let body = b.schema::<CreateIncident>();
            let created = object(
                &["incident"],
                json!({ "incident": b.schema::<IncidentState>() }),
            );
            signed("Declare an incident")
                .json_body(body)
                .ok(201, "declared", created.clone())
                .ok(200, "already declared with this idempotency_key (or an exact replay of the request)", created)
                .errors(WITH_BODY)
                .errors(&[(409, "IDEMPOTENCY_KEY_REUSED: the key declared an incident with another prompt")])
        }
        Dashboard::Show => {
            let mut view = b.schema::<IncidentView>();
            view = json!({ "allOf": [view, { "type": "object", "properties": { "archived": { "type": "boolean" } } }] });
            signed("State and timeline (archived: true once closed and archived)")
                .ok(200, "the incident", view)
                .errors(&[NO_INCIDENT])
        }
        Dashboard::Workflow => signed("The incident's IncidentWorkflow instance and its lanes")
            .ok(
                200,
                "the instance the incident's events go to, and each effect's lane (delivering, retrying or held)",
                object(
                    &["instance_id", "status", "lanes"],
                    json!({ "instance_id": { "type": "string" }, "status": { "type": "object" },
                            "lanes": { "type": "array", "items": b.schema::<LaneView>() },
                            "archived": { "type": "boolean" } }),
                ),
            )
            .errors(&[(
                404,
                "NOT_FOUND: no such incident, or no such workflow instance",
            )]),
        Dashboard::Analysis => signed(
            "The post-incident analysis (404 until the incident is closed and analysed)",
        )
        .ok(
            200,
            "the analysis",
            object(
                &["incident_id", "metrics", "action_items", "created_at"],
                json!({ "incident_id": { "type": "string" }, "metrics": { "type": "object" },
                            "postmortem": { "type": "object", "nullable": true },
                            "note": { "type": "string", "nullable": true },
                            "model": { "type": "string", "nullable": true },
                            "action_items": { "type": "array", "items": { "type": "object" } },
                            "created_at": { "type": "integer" } }),
            ),
        )
        .errors(&[(404, "NOT_FOUND: no such incident, or no analysis yet")]),
        Dashboard::DeadLetters => {
            let timeline = b.schema::<TimelineEntry>();
            signed("Events that exhausted their forwarding attempts")
                .ok(200, "the dead letters (none once archived)", object(&["dead_letters"], json!({
                    "dead_letters": { "type": "array", "items": timeline }, "archived": { "type": "boolean" } })))
                .errors(&[NO_INCIDENT])
        }
        Dashboard::Replay => {
            let body = b.schema::<Replay>();
            signed("Queue a dead letter again")
                .json_body(body)
                .ok(
                    200,
                    "queued again",
                    object(&["replayed"], json!({ "replayed": { "type": "integer" } })),
                )
                .errors(WITH_BODY)
                .errors(&[
                    (
                        404,
                        "NOT_FOUND: no such incident, or the event is not dead-lettered",
                    ),
                    CONFLICTS,
                ])
        }
        Dashboard::FailedEffects => {
            let failed = b.schema::<FailedEffect>();
            signed("Effects (senders, dispatchers) that ran out of retries")
                .ok(200, "the failed effects (none once archived)", object(&["failed_effects"], json!({
                    "failed_effects": { "type": "array", "items": failed }, "archived": { "type": "boolean" } })))
                .errors(&[NO_INCIDENT])
        }
        Dashboard::RetryEffect => {
            let body = b.schema::<RetryEffect>();
            signed("Run one failed effect of one event again")
                .json_body(body)
                .ok(200, "retrying", object(&["retried"], json!({ "retried": object(&["event_id", "effect", "round"], json!({
                    "event_id": { "type": "integer" }, "effect": { "type": "string" }, "round": { "type": "integer" } })) })))
                .errors(WITH_BODY)
                .errors(&[(404, "NOT_FOUND: no such incident, or that effect of that event is not listed failed"), CONFLICTS])
        }
        Dashboard::DismissEffect => {
            let body = b.schema::<DismissEffect>();
            signed("Give up on one failed effect of one event: its lane goes on without it (an EFFECT_DISMISSED event by the caller)")
                .json_body(body)
                .ok(200, "dismissed", object(&["dismissed"], json!({ "dismissed": object(&["event_id", "effect", "dismissal_event_id"], json!({
                    "event_id": { "type": "integer" }, "effect": { "type": "string" }, "dismissal_event_id": { "type": "integer" } })) })))
                .errors(WITH_BODY)
                .errors(&[(404, "NOT_FOUND: no such incident, or that effect of that event is not listed failed"), CONFLICTS])
        }
        Dashboard::Change(change) => {
            let (summary, body, status) = match change {
                "severity" => ("Set the severity", b.schema::<SetSeverity>(), 200),
                "assignee" => ("Set or clear (null) the assignee", b.schema::<SetAssignee>(), 200),
                "status" => ("Move the status", b.schema::<UpdateStatus>(), 200),
                "messages" => ("Add a message (deduplicated by message_id)", b.schema::<AddMessage>(), 201),
                "prompts" => (
                    "Ask the incident agent (deduplicated by prompt_id); IncidentPromptWorkflow answers",
                    b.schema::<AddPrompt>(),
                    201,
                ),
                "affection" => (
                    "Create the status-page incident (services: ids of the tenant's catalog, else 422)",
                    b.schema::<CreateAffection>(),
                    201,
                ),
                _ => (
                    "Post a status-page update; optionally move its status forward and set services' impact (ids of the tenant's catalog, else 422)",
                    b.schema::<UpdateAffection>(),
                    200,
                ),
            };
            let mut op = signed(summary).json_body(body).ok(
                status,
                "applied (event_id null when nothing changed)",
                applied.clone(),
            );
            if status == 201 {
                op = op.ok(200, "a duplicate: the original event", applied);
            }
            op.errors(WITH_BODY).errors(&[NO_INCIDENT, CONFLICTS])
        }
    }
}

fn admin(route: Admin) -> Operation {
    let operator = |summary: &str| Operation::new(summary, Security::Operator).errors(OPERATOR);
    let with_body =
        |summary: &str, body: Value| operator(summary).json_body(body).errors(OPERATOR_BODY);
    let deleted = object(&["deleted"], json!({ "deleted": { "type": "string" } }));
    match route {
        Admin::CreateTenant => with_body(
            "Create a tenant",
            json!({ "type": "object", "additionalProperties": false, "required": ["id"], "properties": {
                "id": admin_id(),
                "name": nullable(admin_text(200), "Defaults to the id (also when null).") } }),
        )
        .ok(201, "created", object(&["tenant"], json!({ "tenant": object(&["id", "name"], json!({
            "id": { "type": "string" }, "name": { "type": "string" } })) })))
        .errors(&[(409, "TENANT_EXISTS")]),
        Admin::ShowTenant => operator("A tenant's configuration (never its secrets)")
            .ok(200, "the tenant", object(&["tenant"], json!({ "tenant": object(
                &["id", "name", "services", "entry_points", "rotations", "own_signing_secret"],
                json!({ "id": { "type": "string" }, "name": { "type": "string" },
                        "services": { "type": "array", "items": { "type": "object" } },
                        "entry_points": { "type": "array", "items": { "type": "object" } },
                        "rotations": { "type": "array", "items": { "type": "object" } },
                        "status_page": { "type": "object", "nullable": true },
                        "own_signing_secret": { "type": "boolean" } })) })))
            .errors(&[NO_TENANT, BAD_ID]),
        Admin::RotateSecret => with_body(
            "Give the tenant a new signing secret; the previous one stays valid for the grace period",
            json!({ "type": "object", "additionalProperties": false, "properties": {
                "grace_seconds": { "type": "integer", "minimum": 0, "maximum": MAX_GRACE_SECS, "nullable": true,
                                   "description": "Default 3600 (also when null)." } } }),
        )
        .ok(200, "the new secret (shown once)", object(&["signing_secret", "previous_valid_until"], json!({
            "signing_secret": { "type": "string" }, "previous_valid_until": { "type": "integer" } })))
        .errors(&[NO_TENANT]),
        Admin::PutStatusPage => with_body(
            "Set the tenant's public status page",
            json!({ "type": "object", "additionalProperties": false, "required": ["slug", "title"], "properties": {
                "slug": { "type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,63}$" },
                "title": admin_text(200) } }),
        )
        .ok(200, "set", object(&["status_page"], json!({ "status_page": object(&["slug", "title"], json!({
            "slug": { "type": "string" }, "title": { "type": "string" } })) })))
        .errors(&[NO_TENANT, (409, "SLUG_TAKEN: another tenant's page has this slug")]),
        Admin::PutService => with_body(
            "Create or replace a service of the tenant's catalog",
            json!({ "type": "object", "additionalProperties": false, "required": ["name", "public"], "properties": {
                "name": admin_text(200),
                "description": { "type": "string", "maxLength": 2000, "nullable": true },
                "prompt": { "type": "string", "maxLength": MAX_SERVICE_PROMPT_CHARS, "nullable": true,
                            "description": "Guidance for the incident agent and triage about this service (owners, runbook hints). Empty or null: none." },
                "public": { "type": "boolean" } } }),
        )
        .ok(200, "set", object(&["service"], json!({ "service": object(&["id", "name", "public"], json!({
            "id": { "type": "string" }, "name": { "type": "string" },
            "description": { "type": "string", "nullable": true },
            "prompt": { "type": "string", "nullable": true }, "public": { "type": "boolean" } })) })))
        .errors(&[NO_TENANT]),
        Admin::DeleteService => operator("Remove a service from the catalog")
            .ok(200, "removed", deleted.clone())
            .errors(&[(404, "NOT_FOUND: no such tenant or service"), BAD_ID]),
        Admin::PutRotation => with_body(
            "Create or replace an on-call rotation",
            json!({ "type": "object", "additionalProperties": false,
                "required": ["members", "shift_hours", "handoff_time", "time_zone", "starts_on"], "properties": {
                "members": { "type": "array", "minItems": 1, "maxItems": 100, "items": admin_text(128) },
                "shift_hours": { "type": "integer", "minimum": 1, "maximum": MAX_SHIFT_HOURS },
                "handoff_time": { "type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "description": "Local HH:MM." },
                "time_zone": { "type": "string", "enum": time_zones(), "description": "An IANA zone id." },
                "starts_on": { "type": "string", "format": "date", "description": "YYYY-MM-DD: the first hand-off's local date." } } }),
        )
        .ok(200, "set", object(&["rotation"], json!({ "rotation": object(&["id"], json!({ "id": { "type": "string" } })) })))
        .errors(&[NO_TENANT]),
        Admin::AddOverride => with_body(
            "Put someone on call for [from, to); to must be after from (else 422)",
            json!({ "type": "object", "additionalProperties": false, "required": ["user", "from", "to"], "properties": {
                "user": admin_text(128),
                "from": { "type": "string", "format": "date-time" },
                "to": { "type": "string", "format": "date-time" } } }),
        )
        .ok(201, "added", object(&["override"], json!({ "override": object(&["user", "from", "to"], json!({
            "user": { "type": "string" }, "from": { "type": "string" }, "to": { "type": "string" } })) })))
        .errors(&[(404, "NOT_FOUND: no such tenant or rotation")]),
        Admin::PutEntryPoint => {
            let common = json!({ "prompt": { "type": "string", "maxLength": 2000 }, "fallback": { "type": "boolean" } });
            let must_be_null = json!({ "type": "string", "nullable": true, "enum": [null] });
            let kind = |kind: &str, field: &str, schema: Value, other: &str| {
                let mut properties = common.clone();
                properties["kind"] = json!({ "type": "string", "enum": [kind] });
                properties[field] = schema;
                properties[other] = must_be_null.clone();
                json!({ "type": "object", "additionalProperties": false, "required": ["kind", field, "fallback"],
                        "properties": properties })
            };
            with_body(
                "Create or replace an entry point: whom a declared incident pages (a user, or whoever is on call for one of the tenant's rotations; another rotation_id is a 422)",
                json!({ "oneOf": [
                    kind("user", "assignee", admin_text(128), "rotation_id"),
                    kind("rotation", "rotation_id", admin_id(), "assignee"),
                ] }),
            )
            .ok(200, "set", object(&["entry_point"], json!({ "entry_point": object(&["id", "fallback"], json!({
                "id": { "type": "string" }, "fallback": { "type": "boolean" } })) })))
            .errors(&[
                NO_TENANT,
                (409, "FALLBACK_REQUIRED: the tenant would be left without a fallback entry point"),
            ])
        }
        Admin::DeleteEntryPoint => operator("Remove an entry point")
            .ok(200, "removed", deleted)
            .errors(&[
                (404, "NOT_FOUND: no such tenant or entry point"),
                (409, "FALLBACK_REQUIRED: the tenant would be left without a fallback entry point"),
                BAD_ID,
            ]),
    }
}

/// The IANA zones this build knows: exactly those `time_zone` accepts.
fn time_zones() -> Vec<&'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect()
}

fn slack(route: Slack) -> Operation {
    let signed = |summary: &str| {
        Operation::new(summary, Security::Slack).errors(&[
            (401, "UNAUTHORIZED: invalid or stale Slack signature"),
            (413, "PAYLOAD_TOO_LARGE: over 256 KiB"),
        ])
    };
    let bad_body = (400, "INVALID_BODY: not the payload Slack sends");
    let text = json!({ "type": "string" });
    match route {
        Slack::Events => {
            let envelope = |kind: &str, required: &[&str], properties: Value| {
                let mut properties = properties;
                properties["type"] = json!({ "type": "string", "enum": [kind] });
                let mut required: Vec<&str> = required.to_vec();
                required.push("type");
                json!({ "type": "object", "required": required, "properties": properties })
            };
            let message_event = json!({ "type": "object", "required": ["type", "channel", "ts"], "properties": {
                "type": { "type": "string", "enum": ["app_mention", "message"] },
                "channel": text, "ts": text, "user": { "type": "string", "nullable": true },
                "text": text, "thread_ts": { "type": "string", "nullable": true },
                "subtype": { "type": "string", "nullable": true } } });
            let uninstalled = json!({ "type": "object", "required": ["type"], "properties": {
                "type": { "type": "string", "enum": ["app_uninstalled"] } } });
            let ids = json!({ "type": "array", "items": { "type": "string" } });
            let revoked = json!({ "type": "object", "required": ["type"], "properties": {
                "type": { "type": "string", "enum": ["tokens_revoked"] },
                "tokens": { "type": "object", "properties": { "oauth": ids, "bot": ids } } } });
            let other_event = json!({ "type": "object", "required": ["type"], "properties": {
                "type": { "type": "string", "not": { "enum": ["app_mention", "message", "app_uninstalled", "tokens_revoked"] } } } });
            let body = json!({ "oneOf": [
                envelope("url_verification", &["challenge"], json!({ "challenge": text })),
                envelope("event_callback", &["api_app_id", "event_id", "event_time", "event"], json!({
                    "team_id": { "type": "string", "nullable": true },
                    "api_app_id": text, "event_id": text,
                    "event_time": { "type": "integer", "format": "int64" },
                    "event": { "oneOf": [message_event, uninstalled, revoked, other_event] } })),
                envelope("app_rate_limited", &["team_id", "api_app_id", "minute_rate_limited"], json!({
                    "team_id": text, "api_app_id": text,
                    "minute_rate_limited": { "type": "integer", "format": "int64" } })),
                { "type": "object", "required": ["type"], "properties": { "type": { "type": "string",
                    "not": { "enum": ["url_verification", "event_callback", "app_rate_limited"] } } } },
            ] });
            signed("Slack's Events API (app mentions, messages in incident channels; app_uninstalled and tokens_revoked naming the bot disable the installation)")
                .json_body(body)
                .ok(200, "acknowledged; the url_verification challenge echoed", json!({ "type": "object",
                    "properties": { "challenge": text } }))
                .errors(&[bad_body])
        }
        Slack::Interactions => signed(
            "Slack's interactivity: buttons, selects and modals of incidentd's messages. The form's payload field is Slack's JSON payload, as a string",
        )
        .body(
            "application/x-www-form-urlencoded",
            object(&["payload"], json!({ "payload": interaction_schema() })),
        )
        .ok(200, "acknowledged, or the modal's answer", json!({ "type": "object" }))
        .reply(reply(200, "acknowledged (an empty body closes a submitted modal)", Some(("text/plain", json!({ "type": "string", "maxLength": 0 })))))
        .errors(&[bad_body]),
        Slack::Commands => signed("The /incident slash command (declare, status, help)")
            .body(
                "application/x-www-form-urlencoded",
                json!({ "oneOf": [
                    { "type": "object", "required": ["ssl_check"], "properties": { "ssl_check": { "type": "string", "enum": ["1"] } } },
                    { "type": "object", "required": ["command", "team_id", "channel_id", "user_id"], "properties": {
                        "command": text, "text": text, "team_id": text, "channel_id": text, "user_id": text,
                        "api_app_id": text, "response_url": text, "trigger_id": text, "enterprise_id": text,
                        "is_enterprise_install": text,
                        "ssl_check": { "type": "string", "not": { "enum": ["1"] } } } },
                ] }),
            )
            .ok(200, "the answer Slack shows (always 200, errors included)", json!({ "type": "object" }))
            .reply(reply(200, "acknowledged (ssl_check): an empty body", Some(("text/plain", json!({ "type": "string", "maxLength": 0 })))))
            .errors(&[bad_body]),
        Slack::Install => Operation::new(
            "The operator's link to Slack's authorize page, for a tenant (302; the body repeats the link)",
            Security::Operator,
        )
        .query(query_parameter("tenant", true, "The tenant to connect the workspace to.", json!({ "type": "string", "minLength": 1 })))
        .reply(json_reply(302, "to Slack's authorize page (Location)", object(&["authorize_url", "expires_in"], json!({
            "authorize_url": { "type": "string" }, "expires_in": { "type": "integer" } }))))
        .errors(OPERATOR)
        .errors(&[
            (400, "INVALID_INPUT: no tenant"),
            NO_TENANT,
            (503, "NOT_CONFIGURED: the Slack OAuth settings are missing"),
        ]),
        Slack::OAuthCallback => {
            let page = || Some(("text/html", json!({ "type": "string" })));
            Operation::new(
                "Slack sends the browser back here with a code and the signed state; answers a small page",
                Security::Public,
            )
            .query(query_parameter("code", false, "Slack's one-time code.", text.clone()))
            .query(query_parameter("state", false, "The state the install link signed.", text.clone()))
            .query(query_parameter("error", false, "Set by Slack when the person declined.", text.clone()))
            .reply(reply(200, "connected, or the person declined in Slack", page()))
            .reply(reply(400, "nothing connected: no code, a missing, expired or forged state, or Slack refused the code", page()))
            .reply(reply(404, "nothing connected: the state's tenant no longer exists", page()))
            .reply(reply(409, "nothing connected: the workspace belongs to another tenant", page()))
            .reply(reply(502, "nothing connected: Slack could not be reached or answered unusably", page()))
            .reply(reply(503, "nothing connected: the Slack settings are missing", page()))
        }
        Slack::ListInstallations => Operation::new(
            "Every Slack installation, its state (active, or disabled by Slack: uninstalled, token revoked) and settings; never a token",
            Security::Operator,
        )
        .ok(200, "the installations, by tenant", object(&["installations"], json!({
            "installations": { "type": "array", "items": installation_schema() } })))
        .errors(OPERATOR),
        Slack::ShowInstallation => Operation::new(
            "A tenant's Slack installation, its state and settings; never its token",
            Security::Operator,
        )
        .ok(200, "the installation", object(&["installation"], json!({ "installation": installation_schema() })))
        .errors(OPERATOR)
        .errors(&[(404, "NOT_FOUND: no such tenant, or it has no Slack installation"), BAD_ID]),
        Slack::UpdateInstallation => Operation::new(
            "Change a tenant's Slack settings: a field left out keeps its value; announcement_channel null removes it",
            Security::Operator,
        )
        .json_body(json!({ "type": "object", "additionalProperties": false, "properties": {
            "archive_on_close": { "type": "boolean",
                "description": "Archive each incident's channel once the incident closes (on unless turned off)." },
            "announcement_channel": { "type": "string", "nullable": true, "pattern": "^[CG][A-Z0-9]{1,31}$",
                "description": "The channel id high-severity incidents are announced in; null for none." } } }))
        .ok(200, "the installation as it is now", object(&["installation"], json!({ "installation": installation_schema() })))
        .errors(OPERATOR)
        .errors(OPERATOR_BODY)
        .errors(&[(404, "NOT_FOUND: no such tenant, or it has no Slack installation")]),
        Slack::Connect => Operation::new(
            "Connect a Slack workspace to a tenant with a bot token the operator already has",
            Security::Operator,
        )
        .json_body(json!({ "type": "object", "required": ["tenant", "team_id", "bot_user_id", "bot_token"], "properties": {
            "tenant": { "type": "string", "pattern": "\\S" },
            "team_id": { "type": "string", "pattern": "^T[A-Z0-9]{1,31}$" },
            "enterprise_id": { "type": "string", "nullable": true, "pattern": "^E[A-Z0-9]{1,31}$" },
            "app_id": { "type": "string", "nullable": true },
            "bot_user_id": { "type": "string", "pattern": "^[UW][A-Z0-9]{1,31}$" },
            "scopes": text,
            "bot_token": { "type": "string", "pattern": "^xoxb-" },
            "archive_on_close": { "type": "boolean", "nullable": true,
                "description": "Archive each incident's channel once the incident closes; left out or null keeps the stored setting (on for a new installation)." },
            "announcement_channel": { "type": "string", "nullable": true, "pattern": "^[CG][A-Z0-9]{1,31}$",
                "description": "The channel id high-severity incidents are announced in; left out or null keeps the stored one." } } }))
        .ok(201, "connected", object(&["installation"], json!({ "installation": object(&["tenant", "team_id", "bot_user_id"], json!({
            "tenant": text, "team_id": text, "bot_user_id": text })) })))
        .errors(OPERATOR)
        .errors(&[
            (400, "INVALID_JSON: not JSON, or JSON of the wrong shape"),
            NO_TENANT,
            (409, "CONFLICT: the workspace is connected to another tenant"),
            (413, "PAYLOAD_TOO_LARGE"),
            (422, "INVALID_INPUT"),
            (503, "NOT_CONFIGURED: SLACK_TOKEN_KEY is missing"),
        ]),
    }
}

/// A Slack installation as the operator's routes show it (`slack::admin::InstallationSummary`).
fn installation_schema() -> Value {
    let text = json!({ "type": "string" });
    let maybe = |schema: Value| nullable(schema, "Null unless disabled.");
    object(
        &[
            "tenant",
            "team_id",
            "enterprise_id",
            "app_id",
            "bot_user_id",
            "scopes",
            "installed_at",
            "state",
            "disabled_reason",
            "disabled_at",
            "disabled_message",
            "archive_on_close",
            "announcement_channel",
        ],
        json!({
            "tenant": text, "team_id": text,
            "enterprise_id": { "type": "string", "nullable": true },
            "app_id": { "type": "string", "nullable": true },
            "bot_user_id": text, "scopes": text,
            "installed_at": { "type": "integer", "format": "int64", "nullable": true, "description": "Unix ms of the last install." },
            "state": { "type": "string", "enum": ["active", "disabled"],
                "description": "disabled: Slack said the app was uninstalled or its bot token revoked; the token is deleted and Slack steps fail until the app is reinstalled." },
            "disabled_reason": maybe(json!({ "type": "string", "enum": ["app_uninstalled", "tokens_revoked"] })),
            "disabled_at": maybe(json!({ "type": "integer", "format": "int64" })),
            "disabled_message": maybe(text.clone()),
            "archive_on_close": { "type": "boolean" },
            "announcement_channel": { "type": "string", "nullable": true },
        }),
    )
}

/// The JSON in an interaction's `payload` field (`slack::interactions::Interaction`): what the
/// server reads of `block_actions`, `view_submission` and `view_closed`; other types are
/// acknowledged and ignored. Fields the server does not read may be anything.
fn interaction_schema() -> Value {
    let text = json!({ "type": "string" });
    let nullable_text = json!({ "type": "string", "nullable": true });
    let id = object(&["id"], json!({ "id": text }));
    let nullable_id = json!({ "type": "object", "nullable": true, "required": ["id"], "properties": { "id": text } });
    let option = json!({ "type": "object", "nullable": true, "required": ["value"], "properties": { "value": text } });
    let element = |kind: Option<&str>, field: Option<(&str, Value)>| {
        let mut properties = json!({ "action_id": text, "block_id": text });
        properties["type"] = match kind {
            Some(kind) => json!({ "type": "string", "enum": [kind] }),
            None => {
                json!({ "type": "string", "not": { "enum": ["button", "static_select", "users_select"] } })
            }
        };
        if let Some((name, schema)) = field {
            properties[name] = schema;
        }
        object(&["action_id", "block_id", "type"], properties)
    };
    let action = json!({ "oneOf": [
        element(Some("button"), Some(("value", nullable_text.clone()))),
        element(Some("static_select"), Some(("selected_option", option.clone()))),
        element(Some("users_select"), Some(("selected_user", nullable_text.clone()))),
        element(None, None),
    ] });
    let kind = |kinds: &[&str]| json!({ "type": "string", "enum": kinds });
    let block_actions = object(
        &["type", "user", "api_app_id", "trigger_id", "actions"],
        json!({ "type": kind(&["block_actions"]), "user": id, "team": nullable_id, "enterprise": nullable_id,
                "api_app_id": text, "trigger_id": text, "response_url": nullable_text, "channel": nullable_id,
                "message": { "type": "object", "nullable": true, "required": ["ts"], "properties": { "ts": text } },
                "actions": { "type": "array", "items": action } }),
    );
    let input = json!({ "type": "object", "properties": {
        "value": nullable_text, "selected_option": option, "selected_user": nullable_text } });
    let view = object(
        &["id"],
        json!({ "id": text, "callback_id": text, "private_metadata": text,
        "state": { "type": "object", "properties": { "values": { "type": "object",
            "additionalProperties": { "type": "object", "additionalProperties": input } } } } }),
    );
    let view_payload = object(
        &["type", "user", "api_app_id", "view"],
        json!({ "type": kind(&["view_submission", "view_closed"]), "user": id, "team": nullable_id,
                "enterprise": nullable_id, "api_app_id": text, "view": view }),
    );
    let other = object(
        &["type"],
        json!({ "type": { "type": "string",
        "not": { "enum": ["block_actions", "view_submission", "view_closed"] } } }),
    );
    json!({ "description": "Sent as a JSON string.", "oneOf": [block_actions, view_payload, other] })
}

fn status(document: Document, head: bool) -> Operation {
    let (what, media_type, schema) = match document {
        Document::Html => (
            "The public status page",
            "text/html",
            json!({ "type": "string" }),
        ),
        Document::Summary => (
            "The page as Atlassian Statuspage's summary.json",
            "application/json",
            json!({ "$ref": "#/components/schemas/StatusSummary" }),
        ),
        Document::Feed => (
            "The page's incident history as an Atom feed",
            "application/atom+xml",
            json!({ "type": "string" }),
        ),
    };
    let not_found = match document {
        Document::Summary => ("application/json", error_ref()),
        Document::Html | Document::Feed => ("text/html", json!({ "type": "string" })),
    };
    let body = |content: (&'static str, Value)| (!head).then_some(content);
    Operation::new(
        format!("{what}{}", if head { " (headers only)" } else { "" }),
        Security::Public,
    )
    .reply(reply(
        200,
        "the document; cached 30 s, ETag over the body",
        body((media_type, schema)),
    ))
    .reply(reply(304, "If-None-Match named the current ETag", None))
    .reply(reply(
        404,
        "no page at this slug (not cached)",
        body(not_found),
    ))
}

/// summary.json (`status_page::summary`): Statuspage's shape.
fn status_summary_schema() -> Value {
    let text = json!({ "type": "string" });
    let time = json!({ "type": "string", "format": "date-time" });
    let update = object(
        &[
            "id",
            "status",
            "body",
            "incident_id",
            "created_at",
            "updated_at",
            "display_at",
        ],
        json!({ "id": text, "status": { "type": "string", "enum": ["investigating", "identified", "resolved"] },
                "body": text, "incident_id": text, "created_at": time, "updated_at": time, "display_at": time }),
    );
    let component_status =
        json!({ "type": "string", "enum": ["operational", "partial_outage", "major_outage"] });
    object(
        &[
            "page",
            "status",
            "components",
            "incidents",
            "scheduled_maintenances",
        ],
        json!({
            "page": object(&["id", "name", "url", "time_zone", "updated_at"], json!({
                "id": text, "name": text, "url": text, "time_zone": text, "updated_at": time })),
            "status": object(&["indicator", "description"], json!({
                "indicator": { "type": "string", "enum": ["none", "minor", "major", "critical"] }, "description": text })),
            "components": { "type": "array", "items": object(&["id", "name", "status", "position"], json!({
                "id": text, "name": text, "status": component_status, "position": { "type": "integer", "minimum": 1 } })) },
            "incidents": { "type": "array", "items": object(
                &["id", "name", "status", "impact", "created_at", "updated_at", "started_at", "shortlink", "components", "incident_updates"],
                json!({ "id": text, "name": text,
                        "status": { "type": "string", "enum": ["investigating", "identified", "resolved"] },
                        "impact": { "type": "string", "enum": ["none", "minor", "major", "critical"] },
                        "created_at": time, "updated_at": time,
                        "resolved_at": { "type": "string", "format": "date-time", "nullable": true },
                        "started_at": time, "shortlink": text,
                        "components": { "type": "array", "items": object(&["id", "name", "status"], json!({
                            "id": text, "name": text, "status": component_status })) },
                        "incident_updates": { "type": "array", "items": update } })) },
            "scheduled_maintenances": { "type": "array", "maxItems": 0 },
        }),
    )
}

fn security_requirement(security: Security) -> Value {
    match security {
        Security::Signature => {
            json!([{ "signature": [], "client": [], "user": [], "timestamp": [], "nonce": [] }])
        }
        Security::Operator => json!([{ "operator": [] }]),
        Security::Slack => json!([{ "slackSignature": [], "slackTimestamp": [] }]),
        Security::Public => json!([]),
    }
}

/// Writes one operation in OpenAPI form.
fn operation_value(route: &Route, op: Operation) -> Value {
    let mut parameters: Vec<Value> = route
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .map(path_parameter)
        .collect();
    parameters.extend(op.query);
    let mut responses = Map::new();
    for r in op.replies {
        let entry = responses
            .entry(r.status.to_string())
            .or_insert_with(|| json!({ "description": r.description }));
        if let Some((media_type, schema)) = r.content {
            let content = entry
                .as_object_mut()
                .expect("a response is an object")
                .entry("content")
                .or_insert_with(|| json!({}));
            // Two replies with one status (200 JSON or empty) share the entry.
            content[media_type] = json!({ "schema": schema });
        }
    }
    let mut value = json!({
        "operationId": operation_id(route),
        "summary": op.summary,
        "security": security_requirement(op.security),
        "responses": responses,
    });
    if !parameters.is_empty() {
        value["parameters"] = Value::Array(parameters);
    }
    if let Some((media_type, schema)) = op.body {
        value["requestBody"] =
            json!({ "required": true, "content": { media_type: { "schema": schema } } });
    }
    value
}

/// `get_dashboard_incidents_id_severity`: method and path, readable and unique.
fn operation_id(route: &Route) -> String {
    let path: String = route
        .path
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let mut id = format!(
        "{}_{}",
        route.method.to_ascii_lowercase(),
        path.trim_matches('_')
    );
    while id.contains("__") {
        id = id.replace("__", "_");
    }
    id
}

pub fn document() -> Value {
    let mut b = Builder {
        generator: SchemaSettings::openapi3().into_generator(),
    };
    let mut paths = Map::new();
    for route in ROUTES {
        let op = describe(&mut b, route);
        let entry = paths
            .entry(route.path.to_owned())
            .or_insert_with(|| json!({}));
        entry[route.method.to_ascii_lowercase()] = operation_value(route, op);
    }
    let mut schemas = b.generator.take_definitions(true);
    schemas.insert(
        "Error".into(),
        json!({ "type": "object", "required": ["error"], "properties": { "error": { "type": "object", "required": ["code", "message"],
            "properties": { "code": { "type": "string" }, "message": { "type": "string" } } } } }),
    );
    schemas.insert("StatusSummary".into(), status_summary_schema());
    let header = |name: &str, description: &str| json!({ "type": "apiKey", "in": "header", "name": name, "description": description });
    json!({
        "openapi": "3.0.3",
        "info": { "title": "incidentd API", "version": env!("CARGO_PKG_VERSION"),
                  "description": format!("The dashboard API (signed by the tenant), the operator's admin API (bearer token), Slack's endpoints (signed by Slack), the public status pages and health. Request bodies are at most {MAX_BODY_BYTES} bytes (Slack's 256 KiB). See docs/api.md and docs/admin.md.") },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "signature": header("x-incidentd-signature", "v1=<hex HMAC-SHA256> of \"v1\\n<timestamp>\\n<nonce>\\n<METHOD>\\n<path?query>\\n<client>\\n<user>\\n<hex sha256(body)>\" under the tenant's signing secret (README, The API)"),
                "client": header("x-incidentd-client", "The tenant."),
                "user": header("x-incidentd-user", "The acting user."),
                "timestamp": header("x-incidentd-timestamp", "Unix seconds, within 300 s of the server's clock."),
                "nonce": header("x-incidentd-nonce", "Unique per request: 1 to 128 visible ASCII characters."),
                "operator": { "type": "http", "scheme": "bearer", "description": "The ADMIN_TOKEN secret." },
                "slackSignature": header("X-Slack-Signature", "v0=<hex HMAC-SHA256> of \"v0:<timestamp>:<raw body>\" under the Slack app's signing secret."),
                "slackTimestamp": header("X-Slack-Request-Timestamp", "Unix seconds, within 300 s of the server's clock."),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_route_is_documented_and_nothing_else() {
        let doc = document();
        let documented: BTreeSet<(String, String)> = doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, item)| {
                item.as_object()
                    .unwrap()
                    .keys()
                    .map(move |method| (method.to_ascii_uppercase(), path.clone()))
            })
            .collect();
        let served: BTreeSet<(String, String)> = ROUTES
            .iter()
            .map(|r| (r.method.to_owned(), r.path.to_owned()))
            .collect();
        assert_eq!(documented, served);
    }

    #[test]
    fn operation_ids_are_unique_and_errors_are_documented() {
        let doc = document();
        let mut ids = BTreeSet::new();
        for item in doc["paths"].as_object().unwrap().values() {
            for op in item.as_object().unwrap().values() {
                assert!(
                    ids.insert(op["operationId"].as_str().unwrap().to_owned()),
                    "{op}"
                );
                assert!(!op["responses"].as_object().unwrap().is_empty());
            }
        }
        let severity = &doc["paths"]["/dashboard/incidents/{id}/severity"]["post"];
        for status in ["200", "400", "401", "404", "409", "413", "422"] {
            assert!(severity["responses"].get(status).is_some(), "{status}");
        }
        assert_eq!(
            doc["paths"]["/status/{slug}"]["head"]["responses"]["200"].get("content"),
            None,
            "HEAD answers no body"
        );
    }

    #[test]
    fn the_schemas_state_what_the_server_checks() {
        let doc = document();
        let schemas = &doc["components"]["schemas"];
        let prompt = &schemas["CreateIncident"]["properties"]["prompt"];
        assert_eq!(prompt["minLength"], 1);
        assert_eq!(
            prompt["maxLength"],
            incidentd_core::decide::MAX_PROMPT_CHARS
        );
        assert_eq!(schemas["CreateIncident"]["additionalProperties"], false);
        assert_eq!(schemas["AddPrompt"]["properties"]["prompt"]["minLength"], 1);
        let zones = &doc["paths"]["/admin/tenants/{tenant}/rotations/{rotation}"]["put"]
            ["requestBody"]["content"]["application/json"]["schema"]["properties"]["time_zone"]
            ["enum"];
        assert!(zones
            .as_array()
            .unwrap()
            .iter()
            .any(|z| z == "Europe/Berlin"));
    }
}
