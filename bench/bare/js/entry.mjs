// The bare worker's entry (hand-written, small): the generated shim of src/lib.rs plus the
// pipeline floor's minimal Workflow. workers-rs 0.8.7 has no Workflow support, so the class
// is JS, as incidentd's generated js/entry.mjs declares its Workflow classes.
import { WorkflowEntrypoint } from "cloudflare:workers";
export * from "../build/index.js";
export { default } from "../build/index.js";

// Kept equal to EVENTS_PER_INSTANCE in src/pipeline.rs (and incidentd's generation size).
const EVENTS_PER_INSTANCE = 100;

// incidentd's dashboard sender: an upsert that only moves the row forward.
const UPSERT =
  "INSERT INTO drained (name, last_event_id) VALUES (?, ?) " +
  "ON CONFLICT (name) DO UPDATE SET last_event_id = excluded.last_event_id " +
  "WHERE excluded.last_event_id > drained.last_event_id";

// The same retry policy as incidentd's dashboard sender step.
const STEP_CONFIG = {
  retries: { limit: 5, delay: "1 second", backoff: "exponential" },
  timeout: "30 seconds",
};

// One instance per pipeline generation: the event it was created with, then each event the
// object sends, ONE step per event (the D1 write), until the generation is full.
export class PipelineWorkflow extends WorkflowEntrypoint {
  async run(event, step) {
    const name = event.payload.name;
    let eventId = event.payload.event_id;
    for (;;) {
      await step.do(`drain:${eventId}`, STEP_CONFIG, async () => {
        await this.env.DB.prepare(UPSERT).bind(name, eventId).run();
      });
      if (eventId % EVENTS_PER_INSTANCE === 0) return { name, last_event_id: eventId };
      const next = await step.waitForEvent(`wait-for-event:${eventId}`, {
        type: "event",
        timeout: "7 days",
      });
      eventId = next.payload.event_id;
    }
  }
}
