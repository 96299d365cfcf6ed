//! The trait bounds the attribute macros' generated code relies on, as marker traits whose
//! unmet-bound errors say what to change in the user's code (rustc reports the marker's
//! message, not the bound it wraps).

use serde::de::DeserializeOwned;
use serde::Serialize;

/// What a `#[sender]`/`#[dispatcher]` type must be: built afresh for every delivery.
#[diagnostic::on_unimplemented(
    message = "the sender or dispatcher `{Self}` must implement `Default`",
    label = "add `#[derive(Default)]` to `{Self}`",
    note = "the runtime builds a fresh `{Self}` with `Default::default()` for every delivery; read configuration from `ctx.services.var(..)` rather than storing it in fields"
)]
pub trait Effect: Default {}

impl<T: Default> Effect for T {}

/// The value a handler runs on.
pub fn new_effect<T: Effect>() -> T {
    T::default()
}

/// What a `#[step]` input must be: each attempt gets its own copy.
#[diagnostic::on_unimplemented(
    message = "the input of a #[step] must implement `Clone`: `{Self}` does not",
    label = "this step input is not `Clone`",
    note = "the engine may run a step's body once per attempt, each with its own copy of the input; add `#[derive(Clone)]` to `{Self}`"
)]
pub trait StepInput: Clone + 'static {}

impl<T: Clone + 'static> StepInput for T {}

/// What a `#[step]` output must be: recorded by the engine and replayed from JSON.
#[diagnostic::on_unimplemented(
    message = "the output of a #[step] must be serialisable: `{Self}` is not `Serialize + DeserializeOwned`",
    label = "this step output cannot be recorded",
    note = "the engine records a step's result as JSON and replays it instead of running the step again; add `#[derive(serde::Serialize, serde::Deserialize)]` to `{Self}`"
)]
pub trait StepOutput: Serialize + DeserializeOwned + 'static {}

impl<T: Serialize + DeserializeOwned + 'static> StepOutput for T {}

/// What a `#[workflow]` payload must be: decoded from the instance's JSON params, and
/// described in the manifest (native builds only: wasm leaves the schema generator out).
#[cfg(not(target_arch = "wasm32"))]
#[diagnostic::on_unimplemented(
    message = "the payload of a #[workflow] must be `Deserialize` and `JsonSchema`: `{Self}` is not",
    label = "this workflow payload cannot be decoded or described",
    note = "an instance is created with JSON params, decoded into `{Self}`, and the manifest lists its JSON Schema; add `#[derive(serde::Deserialize, schemars::JsonSchema)]` to `{Self}`"
)]
pub trait WorkflowPayload: DeserializeOwned + schemars::JsonSchema {}

#[cfg(not(target_arch = "wasm32"))]
impl<T: DeserializeOwned + schemars::JsonSchema> WorkflowPayload for T {}

#[cfg(target_arch = "wasm32")]
#[diagnostic::on_unimplemented(
    message = "the payload of a #[workflow] must be `Deserialize`: `{Self}` is not",
    label = "this workflow payload cannot be decoded",
    note = "an instance is created with JSON params, decoded into `{Self}`; add `#[derive(serde::Deserialize)]` to `{Self}`"
)]
pub trait WorkflowPayload: DeserializeOwned {}

#[cfg(target_arch = "wasm32")]
impl<T: DeserializeOwned> WorkflowPayload for T {}

/// Instantiated by `#[step]` at its input type, so an unmet bound is reported on the step's
/// signature rather than where a workflow calls it.
pub fn check_step_input<I: StepInput>() {}

/// Likewise at its output type.
pub fn check_step_output<O: StepOutput>() {}
