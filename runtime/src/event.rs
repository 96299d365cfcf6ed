//! Typed event kinds: each event payload type states its wire name once, and everything that
//! names an event type (the handlers a `#[sender]` registers, the application's constants)
//! derives it from the type.

/// An event payload type and the event type it travels as (`"INCIDENT_CREATED"`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an event kind",
    label = "not an event payload type",
    note = "an event payload states its wire name: `impl EventKind for {Self} {{ const EVENT_TYPE: &'static str = \"...\"; }}`"
)]
pub trait EventKind {
    /// The event type as stored and forwarded; never change it once events exist.
    const EVENT_TYPE: &'static str;
}
