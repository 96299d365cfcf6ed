//! The retry-policy file (`retry-policies.toml`), once its syntax is parsed into a [`Value`]:
//! `[policies."<name>"]` tables, each one policy entry. Every error names the file, the key
//! path as written (`policies."dashboard".retries.limit`) and the allowed form.

use crate::field;
use crate::patch::PolicyPatch;
use crate::suggest::closest;
use crate::value::Value;

const ENTRY_FIELDS: [&str; 2] = ["retries", "timeout"];
const RETRIES_FIELDS: [&str; 4] = ["limit", "delay", "backoff", "max_delay"];
const RETRIES_FORM: &str =
    "a table like { limit = 5, delay = \"10 seconds\", backoff = \"exponential\", max_delay = \"5 minutes\" }";

fn unknown_field(key: &str, allowed: &[&str]) -> String {
    let hint = closest(key, allowed.iter().copied())
        .map(|c| format!("; did you mean `{c}`?"))
        .unwrap_or_default();
    format!("unknown field; allowed: {}{hint}", allowed.join(", "))
}

/// Checks one entry (the table under `policies."<name>"`). Errors are `(key path below the
/// entry, message)`, the path empty for the entry itself.
pub fn validate_entry(entry: &Value) -> Result<PolicyPatch, Vec<(String, String)>> {
    let mut errors = Vec::new();
    let mut patch = PolicyPatch::default();
    let Value::Table(fields) = entry else {
        return Err(vec![(
            String::new(),
            format!("expected a table with retries and/or timeout, found {entry}"),
        )]);
    };
    let mut record = |path: &str, result: Result<(), String>| {
        if let Err(message) = result {
            errors.push((path.to_owned(), message));
        }
    };
    for (key, value) in fields {
        match key.as_str() {
            "timeout" => record(
                "timeout",
                field::timeout(value).map(|t| patch.timeout = Some(t)),
            ),
            "retries" => match value {
                Value::Table(retries) => {
                    for (key, value) in retries {
                        let path = format!("retries.{key}");
                        let result = match key.as_str() {
                            "limit" => field::limit(value).map(|l| patch.limit = Some(l)),
                            "delay" => field::duration(value).map(|d| patch.delay = Some(d)),
                            "backoff" => field::backoff(value).map(|b| patch.backoff = Some(b)),
                            "max_delay" => field::timeout(value).map(|d| patch.max_delay = Some(d)),
                            _ => Err(unknown_field(key, &RETRIES_FIELDS)),
                        };
                        record(&path, result);
                    }
                }
                other => record(
                    "retries",
                    Err(format!("expected {RETRIES_FORM}, found {other}")),
                ),
            },
            _ => record(key, Err(unknown_field(key, &ENTRY_FIELDS))),
        }
    }
    if fields.is_empty() {
        record(
            "",
            Err("sets nothing; allowed fields are retries and timeout".into()),
        );
    }
    if errors.is_empty() {
        Ok(patch)
    } else {
        Err(errors)
    }
}

/// Checks the whole file: `label` names it in the messages. Returns each entry's name and
/// patch, in file order; names are checked against the registry later, where it is known.
pub fn validate_file(label: &str, file: &Value) -> Result<Vec<(String, PolicyPatch)>, Vec<String>> {
    let mut errors = Vec::new();
    let mut entries = Vec::new();
    let Value::Table(top) = file else {
        return Err(vec![format!("{label}: expected a table, found {file}")]);
    };
    for (key, value) in top {
        if key != "policies" {
            errors.push(format!(
                "{label}: {key}: unknown key; the file holds only [policies.\"<name>\"] tables"
            ));
            continue;
        }
        let Value::Table(policies) = value else {
            errors.push(format!(
                "{label}: policies: expected tables like [policies.\"dashboard\"], found {value}"
            ));
            continue;
        };
        for (name, entry) in policies {
            let at = format!("policies.{name:?}");
            if name.trim().is_empty() {
                errors.push(format!(
                    "{label}: {at}: an empty name; use a step, sender, dispatcher or handler name"
                ));
                continue;
            }
            match validate_entry(entry) {
                Ok(patch) => entries.push((name.clone(), patch)),
                Err(found) => errors.extend(found.into_iter().map(|(path, message)| {
                    let dot = if path.is_empty() { "" } else { "." };
                    format!("{label}: {at}{dot}{path}: {message}")
                })),
            }
        }
    }
    if errors.is_empty() {
        Ok(entries)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duration::Duration;
    use crate::retry::Backoff;

    fn file(name: &str, entry: Value) -> Value {
        Value::table([("policies", Value::table([(name, entry)]))])
    }

    #[test]
    fn errors_name_the_file_the_key_path_and_the_allowed_form() {
        let bad = file(
            "dashboard",
            Value::table([
                (
                    "retries",
                    Value::table([("limit", Value::Int(-1)), ("delay", Value::Int(5))]),
                ),
                ("timeout", Value::str("0 seconds")),
            ]),
        );
        let errors = validate_file("retry-policies.toml", &bad).unwrap_err();
        assert_eq!(
            errors,
            [
                "retry-policies.toml: policies.\"dashboard\".retries.limit: -1 is out of range; expected an integer 0..=10000",
                "retry-policies.toml: policies.\"dashboard\".retries.delay: expected a duration string like \"10 seconds\", found the integer 5",
                "retry-policies.toml: policies.\"dashboard\".timeout: must be more than zero, e.g. \"30 seconds\"",
            ]
        );
    }

    #[test]
    fn unknown_fields_list_the_allowed_ones_and_suggest_one() {
        let bad = file(
            "webhook",
            Value::table([("retry", Value::table([("limit", Value::Int(1))]))]),
        );
        assert_eq!(
            validate_file("p.toml", &bad).unwrap_err(),
            ["p.toml: policies.\"webhook\".retry: unknown field; allowed: retries, timeout; did you mean `retries`?"]
        );
    }

    #[test]
    fn an_entry_must_set_something() {
        let empty = file("webhook", Value::table(Vec::<(String, Value)>::new()));
        assert_eq!(
            validate_file("p.toml", &empty).unwrap_err(),
            ["p.toml: policies.\"webhook\": sets nothing; allowed fields are retries and timeout"]
        );
    }

    #[test]
    fn a_valid_entry_keeps_only_what_it_sets() {
        let ok = file(
            "dashboard",
            Value::table([(
                "retries",
                Value::table([("limit", Value::Int(2)), ("backoff", Value::str("linear"))]),
            )]),
        );
        let entries = validate_file("p.toml", &ok).unwrap();
        assert_eq!(
            entries,
            [(
                "dashboard".to_owned(),
                PolicyPatch {
                    limit: Some(2),
                    backoff: Some(Backoff::Linear),
                    ..PolicyPatch::default()
                }
            )]
        );
        let timeout = validate_entry(&Value::table([("timeout", Value::str("1 minute"))]));
        assert_eq!(timeout.unwrap().timeout, Some(Duration::from_secs(60)));
    }
}
