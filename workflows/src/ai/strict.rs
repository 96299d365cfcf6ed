//! OpenAI's strict-mode schema subset (Structured Outputs, "Supported schemas"), checked before
//! a schema reaches the model: the API refuses a strict tool or `json_schema` reply whose
//! schema breaks it with a 400, so every AI feature would fail at its first call. Tests run
//! every schema the workflows build through [`breaches`].
//!
//! The rules: the root is an object (not `anyOf`); every object sets `additionalProperties:
//! false` and lists every property in `required` (optional fields are a null union); only the
//! supported keywords appear (`minLength`, `maxLength` and `default` are not listed, so they
//! are refused here too); each `anyOf` branch obeys the same rules; an enum's values have the
//! declared type; at most 10 levels of nesting, 5,000 properties and 1,000 enum values.

use serde_json::{Map, Value};

const MAX_DEPTH: usize = 10;
const MAX_PROPERTIES: usize = 5_000;
const MAX_ENUM_VALUES: usize = 1_000;

/// Keywords the subset supports (`$defs`/`$ref` included; `description` annotates).
const KEYWORDS: [&str; 20] = [
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "const",
    "anyOf",
    "description",
    "$defs",
    "$ref",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
];

/// Every way `schema` breaks the subset, each with its JSON path; empty when it fits.
pub fn breaches(schema: &Value) -> Vec<String> {
    let mut check = Check::default();
    if types(schema) != ["object"] {
        check.breach("$", "the root must be an object (not anyOf)");
    }
    check.schema(schema, "$", 1);
    if check.properties > MAX_PROPERTIES {
        check.breach("$", &format!("more than {MAX_PROPERTIES} properties"));
    }
    if check.enum_values > MAX_ENUM_VALUES {
        check.breach("$", &format!("more than {MAX_ENUM_VALUES} enum values"));
    }
    check.found
}

#[derive(Default)]
struct Check {
    found: Vec<String>,
    properties: usize,
    enum_values: usize,
}

/// The declared types: `"type": "x"` or `"type": ["x", "null"]`.
fn types(schema: &Value) -> Vec<&str> {
    match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

impl Check {
    fn breach(&mut self, path: &str, what: &str) {
        self.found.push(format!("{path}: {what}"));
    }

    fn schema(&mut self, schema: &Value, path: &str, depth: usize) {
        let Some(map) = schema.as_object() else {
            return self.breach(path, "a schema must be an object");
        };
        if depth > MAX_DEPTH {
            return self.breach(path, &format!("nested deeper than {MAX_DEPTH} levels"));
        }
        for key in map.keys().filter(|k| !KEYWORDS.contains(&k.as_str())) {
            self.breach(path, &format!("`{key}` is not supported in strict mode"));
        }
        if let Some(branches) = map.get("anyOf") {
            match branches.as_array() {
                Some(branches) => {
                    for (i, branch) in branches.iter().enumerate() {
                        self.schema(branch, &format!("{path}.anyOf[{i}]"), depth);
                    }
                }
                None => self.breach(path, "`anyOf` must be a list"),
            }
        }
        if let Some(defs) = map.get("$defs").and_then(Value::as_object) {
            for (name, def) in defs {
                self.schema(def, &format!("{path}.$defs.{name}"), depth);
            }
        }
        let declared = types(schema);
        if map.contains_key("type") && declared.is_empty() {
            self.breach(path, "`type` must be a type name or a list of them");
        }
        if !map.contains_key("type") && !map.contains_key("anyOf") && !map.contains_key("$ref") {
            self.breach(path, "every schema needs a `type` (or `anyOf`, `$ref`)");
        }
        if let Some(values) = map.get("enum") {
            self.enumeration(values, &declared, path);
        }
        if declared.contains(&"object") {
            self.object(map, path, depth);
        }
        if declared.contains(&"array") {
            match map.get("items") {
                Some(items) => self.schema(items, &format!("{path}[]"), depth + 1),
                None => self.breach(path, "an array needs `items`"),
            }
        }
    }

    fn enumeration(&mut self, values: &Value, declared: &[&str], path: &str) {
        let Some(values) = values.as_array() else {
            return self.breach(path, "`enum` must be a list");
        };
        self.enum_values += values.len();
        for value in values {
            let kind = incidentd_llm::json_type(value);
            let fits =
                declared.contains(&kind) || (kind == "integer" && declared.contains(&"number"));
            if !fits {
                self.breach(
                    path,
                    &format!("enum value {value} is not of the declared type {declared:?}"),
                );
            }
        }
    }

    fn object(&mut self, map: &Map<String, Value>, path: &str, depth: usize) {
        if map.get("additionalProperties") != Some(&Value::Bool(false)) {
            self.breach(path, "`additionalProperties` must be false");
        }
        let empty = Map::new();
        let properties = match map.get("properties") {
            Some(Value::Object(p)) => p,
            Some(_) => return self.breach(path, "`properties` must be an object"),
            None => &empty,
        };
        self.properties += properties.len();
        let required: Vec<&str> = map
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for key in properties.keys() {
            if !required.contains(&key.as_str()) {
                self.breach(
                    path,
                    &format!("`{key}` must be in `required` (optional fields are a null union)"),
                );
            }
        }
        for key in &required {
            if !properties.contains_key(*key) {
                self.breach(
                    path,
                    &format!("`required` names `{key}`, which is no property"),
                );
            }
        }
        for (key, property) in properties {
            self.schema(property, &format!("{path}.{key}"), depth + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_closed_schema_with_a_null_union_fits() {
        let schema = json!({
            "type": "object", "additionalProperties": false, "required": ["a", "b", "c"],
            "properties": {
                "a": { "type": ["string", "null"], "enum": ["x", null] },
                "b": { "anyOf": [
                    { "type": "array", "minItems": 1, "items": { "type": "integer" } },
                    { "type": "null" } ] },
                "c": { "type": "string", "description": "free text" },
            }
        });
        assert_eq!(breaches(&schema), Vec::<String>::new());
    }

    #[test]
    fn the_structured_answers_the_workflows_ask_for_fit() {
        let entry_point = incidentd_core::EntryPoint {
            id: "dba".into(),
            assignee: "U1".into(),
            prompt: "databases".into(),
            is_fallback: true,
        };
        for schema in [
            crate::ai::triage::schema(&[entry_point]),
            crate::ai::postmortem::schema(),
        ] {
            assert_eq!(breaches(&schema), Vec::<String>::new(), "{schema}");
        }
    }

    #[test]
    fn each_rule_is_enforced() {
        let open = json!({ "type": "object", "properties": { "a": { "type": "string" } }, "required": ["a"] });
        assert_eq!(breaches(&open), ["$: `additionalProperties` must be false"]);
        let optional = json!({ "type": "object", "additionalProperties": false,
                               "properties": { "a": { "type": "string" } }, "required": [] });
        assert!(breaches(&optional)[0].contains("`a` must be in `required`"));
        let limited = json!({ "type": "object", "additionalProperties": false, "required": ["a"],
                              "properties": { "a": { "type": "string", "minLength": 1 } } });
        assert_eq!(
            breaches(&limited),
            ["$.a: `minLength` is not supported in strict mode"]
        );
        let union_root = json!({ "anyOf": [{ "type": "object" }] });
        assert!(breaches(&union_root)[0].contains("the root must be an object"));
        let null_not_declared = json!({ "type": "object", "additionalProperties": false,
            "required": ["a"], "properties": { "a": { "type": "string", "enum": ["x", null] } } });
        assert!(breaches(&null_not_declared)[0].contains("enum value null"));
        let untyped_items = json!({ "type": "object", "additionalProperties": false,
            "required": ["a"], "properties": { "a": { "type": "array" } } });
        assert_eq!(breaches(&untyped_items), ["$.a: an array needs `items`"]);
        let nested_open = json!({ "type": "object", "additionalProperties": false,
            "required": ["a"], "properties": { "a": { "type": "array", "items":
                { "type": "object", "properties": {}, "required": [] } } } });
        assert_eq!(
            breaches(&nested_open),
            ["$.a[]: `additionalProperties` must be false"]
        );
    }
}
