//! Fan-out of one event to every registered sender and dispatcher that handles its type: one
//! `step.do` per handler, named `<effect>.<method>:<event id>` so the engine memoises it
//! across replays and redeliveries. Handlers run concurrently (allSettled): one failing never
//! blocks another or later events, and every failure is logged with the subject, the event
//! and the effect, and returned for the caller to record.
//!
//! A retry of effects that ran out of retries runs only those, as new steps named
//! `<effect>.<method>:<event id>#retry-<round>` (the engine would answer the old name with the
//! old failure); their idempotency keys are the event's, so a receiver drops a repeat.

use crate::registry::{self, SenderCall};
use crate::workflow::WorkflowRun;
use futures_util::future::join_all;
use serde_json::Value;
use std::rc::Rc;

/// One event to fan out.
pub struct Event<'a> {
    /// Who the event is about, for logs (`incident=<id>`).
    pub subject: &'a str,
    pub event_type: &'a str,
    pub event_id: i64,
    /// The whole message, as handlers decode it.
    pub message: Value,
    /// Run only some effects again, instead of every handler of the event.
    pub retry: Option<Retry<'a>>,
}

/// Effects of an event to run again.
pub struct Retry<'a> {
    /// Which retry of the event this is (it names the steps).
    pub round: i64,
    /// Effect names.
    pub effects: &'a [String],
}

/// What happened to one handler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub effect: &'static str,
    pub step: String,
    pub error: Option<String>,
}

pub async fn dispatch(run: &WorkflowRun, event: Event<'_>) -> Vec<Delivery> {
    let message = Rc::new(event.message);
    let deliveries = registry::effects(run.class_name)
        .into_iter()
        .filter(|effect| effect.is_enabled(run.services.as_ref()))
        .filter(|effect| {
            event
                .retry
                .as_ref()
                .is_none_or(|retry| retry.effects.iter().any(|name| name == effect.name))
        })
        .filter_map(|effect| {
            let handler = effect
                .handlers
                .iter()
                .find(|h| h.event == event.event_type)?;
            let call = SenderCall {
                event_id: event.event_id,
                instance_id: run.instance_id.clone(),
                message: message.clone(),
                services: run.services.clone(),
            };
            let mut step = format!("{}:{}", handler.step_name(effect), event.event_id);
            if let Some(retry) = &event.retry {
                step.push_str(&format!("#retry-{}", retry.round));
            }
            let config = handler.effective_config(effect);
            let run_handler = handler.run;
            let subject = event.subject;
            Some(async move {
                let outcome = run
                    .step
                    .run::<(), _, _>(&step, &config, move || run_handler(call.clone()))
                    .await;
                let error = outcome.err().map(|e| e.to_string());
                if let Some(error) = &error {
                    crate::log::error(&format!(
                    "effect failed: {subject} event={} type={} effect={} step={step} error={error}",
                    event.event_id, event.event_type, effect.name
                ));
                }
                Delivery {
                    effect: effect.name,
                    step,
                    error,
                }
            })
        });
    join_all(deliveries).await
}
