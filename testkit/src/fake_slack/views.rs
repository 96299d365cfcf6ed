//! What a person's submission of a modal looks like: Slack's `view.state.values` for a view
//! as it was opened, each input holding its initial value, with the person's changes made. A
//! person can only choose offered options, so choosing anything else is a mistake in the test
//! (a forged submission is built by hand).

use serde_json::{json, Value};

/// A change a person makes to one input of a view, by its block id.
#[derive(Clone, Debug, PartialEq)]
pub enum ViewInput<'a> {
    /// Types `text` into a `plain_text_input` (empty: cleared).
    Text(&'a str),
    /// Chooses the option of this value in a `static_select`.
    Choose(&'a str),
    /// Clears a `static_select`.
    Clear,
    /// Chooses exactly these options (by value) in a `multi_static_select`.
    ChooseAll(&'a [&'a str]),
}

/// `state.values` (`block_id → action_id → value`) of `view` submitted with `changes`.
///
/// # Panics
/// When a change names no input of the view, does not fit its element, or chooses an option
/// the element does not offer.
pub fn submitted_view_state(view: &Value, changes: &[(&str, ViewInput)]) -> Value {
    let inputs: Vec<&Value> = view["blocks"]
        .as_array()
        .map(|blocks| blocks.iter().filter(|b| b["type"] == "input").collect())
        .unwrap_or_default();
    for (block_id, _) in changes {
        assert!(
            inputs.iter().any(|b| b["block_id"] == *block_id),
            "the view has no input {block_id}"
        );
    }
    let values: serde_json::Map<String, Value> = inputs
        .iter()
        .map(|block| {
            let block_id = block["block_id"].as_str().unwrap_or_default();
            let element = &block["element"];
            let change = changes.iter().find(|(b, _)| *b == block_id).map(|(_, c)| c);
            let action_id = element["action_id"].as_str().unwrap_or_default();
            (
                block_id.to_owned(),
                json!({ action_id: input_state(block_id, element, change) }),
            )
        })
        .collect();
    Value::Object(values)
}

/// The state of one element: its initial value, or the change made to it.
fn input_state(block_id: &str, element: &Value, change: Option<&ViewInput>) -> Value {
    let kind = element["type"].as_str().unwrap_or_default();
    let offered = |value: &str| {
        element["options"]
            .as_array()
            .and_then(|options| options.iter().find(|o| o["value"] == value))
            .cloned()
            .unwrap_or_else(|| panic!("{block_id} offers no option {value:?}"))
    };
    let initial = |key: &str| element.get(key).cloned();
    match (kind, change) {
        ("plain_text_input", None) => {
            json!({ "type": kind, "value": initial("initial_value").unwrap_or(Value::Null) })
        }
        ("plain_text_input", Some(ViewInput::Text(text))) => {
            let value = if text.is_empty() {
                Value::Null
            } else {
                json!(text)
            };
            json!({ "type": kind, "value": value })
        }
        ("static_select", None) => json!({ "type": kind,
            "selected_option": initial("initial_option").unwrap_or(Value::Null) }),
        ("static_select", Some(ViewInput::Choose(value))) => {
            json!({ "type": kind, "selected_option": offered(value) })
        }
        ("static_select", Some(ViewInput::Clear)) => {
            json!({ "type": kind, "selected_option": null })
        }
        ("multi_static_select", None) => json!({ "type": kind,
            "selected_options": initial("initial_options").unwrap_or_else(|| json!([])) }),
        ("multi_static_select", Some(ViewInput::ChooseAll(values))) => {
            let chosen: Vec<Value> = values.iter().map(|v| offered(v)).collect();
            json!({ "type": kind, "selected_options": chosen })
        }
        (kind, change) => panic!("{block_id}: {change:?} does not fit a {kind}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> Value {
        let option = |v: &str| json!({ "text": { "type": "plain_text", "text": v }, "value": v });
        json!({ "type": "modal", "blocks": [
            { "type": "section", "text": { "type": "mrkdwn", "text": "*title*" } },
            { "type": "input", "block_id": "msg", "element": { "type": "plain_text_input",
                "action_id": "msg_in", "initial_value": "first" } },
            { "type": "input", "block_id": "one", "element": { "type": "static_select",
                "action_id": "one_in", "options": [option("a"), option("b")],
                "initial_option": option("a") } },
            { "type": "input", "block_id": "many", "element": { "type": "multi_static_select",
                "action_id": "many_in", "options": [option("x"), option("y")] } },
        ] })
    }

    #[test]
    fn untouched_inputs_keep_their_initial_values() {
        assert_eq!(
            submitted_view_state(&view(), &[]),
            json!({
                "msg": { "msg_in": { "type": "plain_text_input", "value": "first" } },
                "one": { "one_in": { "type": "static_select", "selected_option":
                    { "text": { "type": "plain_text", "text": "a" }, "value": "a" } } },
                "many": { "many_in": { "type": "multi_static_select", "selected_options": [] } },
            })
        );
    }

    #[test]
    fn changes_replace_them() {
        let state = submitted_view_state(
            &view(),
            &[
                ("msg", ViewInput::Text("")),
                ("one", ViewInput::Clear),
                ("many", ViewInput::ChooseAll(&["y", "x"])),
            ],
        );
        assert_eq!(state["msg"]["msg_in"]["value"], Value::Null);
        assert_eq!(state["one"]["one_in"]["selected_option"], Value::Null);
        let chosen: Vec<&Value> = state["many"]["many_in"]["selected_options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| &o["value"])
            .collect();
        assert_eq!(chosen, ["y", "x"]);
        let b = submitted_view_state(&view(), &[("one", ViewInput::Choose("b"))]);
        assert_eq!(b["one"]["one_in"]["selected_option"]["value"], "b");
    }

    #[test]
    #[should_panic(expected = "offers no option \"z\"")]
    fn only_offered_options_can_be_chosen() {
        submitted_view_state(&view(), &[("one", ViewInput::Choose("z"))]);
    }

    #[test]
    #[should_panic(expected = "the view has no input nope")]
    fn a_change_names_an_input_of_the_view() {
        submitted_view_state(&view(), &[("nope", ViewInput::Text("x"))]);
    }
}
