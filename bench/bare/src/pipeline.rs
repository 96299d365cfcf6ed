//! The bare pipeline floor: what incidentd's event path costs the platform, and nothing more.
//!
//! `PipelineObject` commits one outbox row per request (event id, published flag), arms its
//! alarm for now and answers. Its alarm forwards every unpublished row in event-id order to
//! `PipelineWorkflow` (js/entry.mjs): `create` for the first event of a generation, `sendEvent`
//! for the others, then marks the row published. The workflow runs one step per event, a D1
//! upsert like incidentd's dashboard sender. A generation carries at most
//! [`EVENTS_PER_INSTANCE`] events, as incidentd's do (its instances roll over at the same
//! size), so engine replay costs compare.

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use worker::*;

/// Events one workflow instance handles (incidentd's `EVENTS_PER_INSTANCE`; js/entry.mjs has
/// the same constant).
const EVENTS_PER_INSTANCE: i64 = 100;

#[wasm_bindgen]
extern "C" {
    /// The Workflow binding (`env.PIPELINE_WORKFLOW`).
    type WorkflowBinding;

    #[wasm_bindgen(method, catch)]
    fn create(this: &WorkflowBinding, options: &JsValue) -> std::result::Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn get(this: &WorkflowBinding, id: &str) -> std::result::Result<Promise, JsValue>;

    type WorkflowInstance;

    #[wasm_bindgen(method, catch, js_name = "sendEvent")]
    fn send_event(
        this: &WorkflowInstance,
        event: &JsValue,
    ) -> std::result::Result<Promise, JsValue>;
}

/// `{ key: value, ... }` as a JS object.
fn object(entries: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in entries {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&object, &JsValue::from_str(key), value);
    }
    object.into()
}

async fn settle(promise: std::result::Result<Promise, JsValue>) -> Result<JsValue> {
    Ok(JsFuture::from(promise?).await?)
}

fn error_text(e: &Error) -> String {
    e.to_string().to_ascii_lowercase()
}

#[durable_object]
pub struct PipelineObject {
    state: State,
    env: Env,
}

impl PipelineObject {
    fn workflow(&self) -> Result<WorkflowBinding> {
        Ok(Reflect::get(&self.env, &JsValue::from_str("PIPELINE_WORKFLOW"))?.unchecked_into())
    }

    /// One event to its generation's instance: created with the first, sent the others.
    async fn forward(&self, name: &str, event_id: i64) -> Result<()> {
        let generation = (event_id - 1) / EVENTS_PER_INSTANCE + 1;
        let instance_id = format!("{name}-g{generation}");
        let payload = object(&[
            ("name", JsValue::from_str(name)),
            ("event_id", JsValue::from_f64(event_id as f64)),
        ]);
        let workflow = self.workflow()?;
        if (event_id - 1) % EVENTS_PER_INSTANCE == 0 {
            let options = object(&[("id", JsValue::from_str(&instance_id)), ("params", payload)]);
            match settle(workflow.create(&options)).await {
                // An earlier alarm created it with this event and failed before marking it.
                Err(e) if error_text(&e).contains("already") => Ok(()),
                other => other.map(drop),
            }
        } else {
            let instance: WorkflowInstance =
                settle(workflow.get(&instance_id)).await?.unchecked_into();
            let event = object(&[("type", JsValue::from_str("event")), ("payload", payload)]);
            settle(instance.send_event(&event)).await.map(drop)
        }
    }
}

impl DurableObject for PipelineObject {
    fn new(state: State, env: Env) -> Self {
        state
            .storage()
            .sql()
            .exec(
                "CREATE TABLE IF NOT EXISTS outbox (event_id INTEGER PRIMARY KEY, \
                 name TEXT NOT NULL, published INTEGER NOT NULL DEFAULT 0)",
                None,
            )
            .ok();
        Self { state, env }
    }

    /// `POST /pipeline/:name`: commit the event, arm the alarm for now, answer.
    async fn fetch(&self, req: Request) -> Result<Response> {
        let path = req.path();
        let name = path.strip_prefix("/pipeline/").unwrap_or_default();
        if name.is_empty() {
            return Response::error("no pipeline name", 400);
        }
        self.state
            .storage()
            .sql()
            .exec("INSERT INTO outbox (name) VALUES (?)", vec![name.into()])?;
        self.state.storage().set_alarm(0i64).await?;
        Response::ok("ok")
    }

    /// Forwards every unpublished row in event-id order; a failure leaves the rest for the
    /// platform's alarm retry.
    async fn alarm(&self) -> Result<Response> {
        let sql = self.state.storage().sql();
        let due: Vec<(i64, String)> = sql
            .exec(
                "SELECT event_id, name FROM outbox WHERE published = 0 ORDER BY event_id",
                None,
            )?
            .raw()
            .filter_map(|row| match row.ok()?.as_slice() {
                [SqlStorageValue::Integer(id), SqlStorageValue::String(name)] => {
                    Some((*id, name.clone()))
                }
                _ => None,
            })
            .collect();
        for (event_id, name) in due {
            self.forward(&name, event_id).await?;
            sql.exec(
                "UPDATE outbox SET published = 1 WHERE event_id = ?",
                vec![event_id.into()],
            )?;
        }
        Response::ok("ok")
    }
}

/// `GET /drained`: `{ name: last drained event id }` from D1, read like incidentd's list.
pub async fn drained(env: &Env) -> Result<Response> {
    let object: Option<String> = env
        .d1("DB")?
        .prepare("SELECT json_group_object(name, last_event_id) AS drained FROM drained")
        .first(Some("drained"))
        .await?;
    let mut response = Response::ok(object.unwrap_or_else(|| "{}".to_owned()))?;
    response
        .headers_mut()
        .set("content-type", "application/json")?;
    Ok(response)
}
