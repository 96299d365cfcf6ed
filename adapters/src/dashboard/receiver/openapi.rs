//! The OpenAPI document of the dashboard API, generated from the very request and response
//! types the server uses (schemars), served at `GET /openapi.json` and checked in as
//! docs/openapi.json (a test keeps the two equal).

use super::list::IncidentSummary;
use super::requests::{
    AddMessage, AddPrompt, CreateAffection, CreateIncident, Replay, RetryEffect, SetAssignee,
    SetSeverity, UpdateAffection, UpdateStatus,
};
use incidentd_core::object::FailedEffect;
use incidentd_core::IncidentState;
use incidentd_core::{Applied, IncidentView, TimelineEntry};
use schemars::generate::SchemaSettings;
use schemars::JsonSchema;
use serde_json::{json, Map, Value};

/// Error codes per status, as documented in docs/api.md.
const ERRORS: &[(u16, &str)] = &[
    (400, "INVALID_JSON"),
    (401, "UNAUTHORIZED"),
    (404, "NOT_FOUND"),
    (405, "METHOD_NOT_ALLOWED"),
    (409, "INVALID_TRANSITION | INCIDENT_CLOSED | AFFECTION_EXISTS | NO_AFFECTION | STATUS_CAN_ONLY_MOVE_FORWARD | IDEMPOTENCY_KEY_REUSED | REQUEST_REPLAYED"),
    (413, "PAYLOAD_TOO_LARGE"),
    (422, "INVALID_INPUT"),
];

struct Builder {
    generator: schemars::SchemaGenerator,
    paths: Map<String, Value>,
}

impl Builder {
    fn schema<T: JsonSchema>(&mut self) -> Value {
        self.generator.subschema_for::<T>().to_value()
    }

    fn operation(
        &mut self,
        method: &str,
        path: &str,
        summary: &str,
        body: Option<Value>,
        ok: (u16, Value),
    ) {
        let mut responses = Map::new();
        responses.insert(ok.0.to_string(), json!({ "description": "success", "content": { "application/json": { "schema": ok.1 } } }));
        for (status, codes) in ERRORS {
            responses.insert(
                status.to_string(),
                json!({ "description": codes, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }),
            );
        }
        let mut operation = json!({ "summary": summary, "responses": responses, "security": [{ "signature": [] }] });
        let mut parameters = Vec::new();
        if path.contains("{id}") {
            parameters.push(json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "pattern": "^[0-9a-f]{64}$" } }));
        }
        if path.contains("{event_id}") {
            parameters.push(json!({ "name": "event_id", "in": "path", "required": true, "schema": { "type": "integer" } }));
        }
        if !parameters.is_empty() {
            operation["parameters"] = Value::Array(parameters);
        }
        if let Some(body) = body {
            operation["requestBody"] =
                json!({ "required": true, "content": { "application/json": { "schema": body } } });
        }
        let entry = self
            .paths
            .entry(path.to_owned())
            .or_insert_with(|| json!({}));
        entry[method] = operation;
    }
}

pub fn document() -> Value {
    let mut b = Builder {
        generator: SchemaSettings::openapi3().into_generator(),
        paths: Map::new(),
    };
    let incident = b.schema::<IncidentState>();
    let applied = b.schema::<Applied>();
    let summary = b.schema::<IncidentSummary>();
    let view = b.schema::<IncidentView>();
    let timeline = b.schema::<TimelineEntry>();
    let list = json!({ "type": "object", "required": ["incidents"], "properties": { "incidents": { "type": "array", "items": summary } } });
    let created = json!({ "type": "object", "required": ["incident"], "properties": { "incident": incident } });
    let dead = json!({ "type": "object", "properties": { "dead_letters": { "type": "array", "items": timeline } } });
    let replayed = json!({ "type": "object", "properties": { "replayed": { "type": "integer" } } });
    let failed_effect = b.schema::<FailedEffect>();
    let failed = json!({ "type": "object", "properties": { "failed_effects": { "type": "array", "items": failed_effect } } });
    let retried = json!({ "type": "object", "properties": { "retried": { "type": "object", "properties": {
        "event_id": { "type": "integer" }, "effect": { "type": "string" }, "round": { "type": "integer" } } } } });
    let workflow = json!({ "type": "object", "properties": { "instance_id": { "type": "string" }, "status": { "type": "object" } } });

    b.operation(
        "get",
        "/dashboard/incidents",
        "The caller's incidents, newest first (D1 index)",
        None,
        (200, list),
    );
    let body = b.schema::<CreateIncident>();
    b.operation(
        "post",
        "/dashboard/incidents",
        "Declare an incident",
        Some(body),
        (201, created),
    );
    b.operation(
        "get",
        "/dashboard/incidents/{id}",
        "State and timeline",
        None,
        (200, view),
    );
    for (route, summary, body, status) in [
        (
            "severity",
            "Set the severity",
            b.schema::<SetSeverity>(),
            200,
        ),
        (
            "assignee",
            "Set or clear the assignee",
            b.schema::<SetAssignee>(),
            200,
        ),
        ("status", "Move the status", b.schema::<UpdateStatus>(), 200),
        (
            "messages",
            "Add a message (deduplicated by message_id)",
            b.schema::<AddMessage>(),
            201,
        ),
        (
            "prompts",
            "Ask the incident agent (deduplicated by prompt_id); IncidentPromptWorkflow answers",
            b.schema::<AddPrompt>(),
            201,
        ),
        (
            "affection",
            "Create the status-page incident",
            b.schema::<CreateAffection>(),
            201,
        ),
        (
            "affection/updates",
            "Post a status-page update",
            b.schema::<UpdateAffection>(),
            200,
        ),
    ] {
        b.operation(
            "post",
            &format!("/dashboard/incidents/{{id}}/{route}"),
            summary,
            Some(body),
            (status, applied.clone()),
        );
    }
    b.operation(
        "get",
        "/dashboard/incidents/{id}/dead-letters",
        "Events that exhausted their forwarding attempts",
        None,
        (200, dead),
    );
    let replay = b.schema::<Replay>();
    b.operation(
        "post",
        "/dashboard/incidents/{id}/dead-letters/{event_id}/replay",
        "Queue a dead letter again",
        Some(replay),
        (200, replayed),
    );
    b.operation(
        "get",
        "/dashboard/incidents/{id}/failed-effects",
        "Effects (senders, dispatchers) that ran out of retries",
        None,
        (200, failed),
    );
    let retry = b.schema::<RetryEffect>();
    b.operation(
        "post",
        "/dashboard/incidents/{id}/failed-effects/{event_id}/{effect}/retry",
        "Run one failed effect of one event again",
        Some(retry),
        (200, retried),
    );
    let analysis = json!({ "type": "object", "properties": {
        "incident_id": { "type": "string" }, "metrics": { "type": "object" },
        "postmortem": { "type": "object", "nullable": true }, "note": { "type": "string", "nullable": true },
        "model": { "type": "string", "nullable": true }, "action_items": { "type": "array", "items": { "type": "object" } },
        "created_at": { "type": "integer" } } });
    b.operation(
        "get",
        "/dashboard/incidents/{id}/analysis",
        "The post-incident analysis (404 until the incident is closed and analysed)",
        None,
        (200, analysis),
    );
    b.operation(
        "get",
        "/dashboard/incidents/{id}/workflow",
        "The incident's IncidentWorkflow instance",
        None,
        (200, workflow),
    );

    let mut schemas = b.generator.take_definitions(true);
    schemas.insert(
        "Error".into(),
        json!({ "type": "object", "required": ["error"], "properties": { "error": { "type": "object", "required": ["code", "message"],
            "properties": { "code": { "type": "string" }, "message": { "type": "string" } } } } }),
    );
    json!({
        "openapi": "3.0.3",
        "info": { "title": "incidentd dashboard API", "version": env!("CARGO_PKG_VERSION"), "description": "See docs/api.md." },
        "paths": b.paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": { "signature": { "type": "apiKey", "in": "header", "name": "x-incidentd-signature",
                "description": "v1=<hex HMAC-SHA256> over method, path, tenant, user, body digest and timestamp; see the README" } }
        }
    })
}
