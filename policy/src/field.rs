//! The one parser of each policy field. The attribute macros call it at expansion time (and
//! span its message on the literal); the retry-policy file calls it at build time (and prefix
//! the key path). Messages state what was found and the allowed form.

use crate::duration::{Duration, DURATION_FORM};
use crate::retry::{Backoff, RetryPolicy};
use crate::value::Value;

/// The allowed form of `retries.limit`.
pub fn limit_form() -> String {
    format!("an integer 0..={}", RetryPolicy::MAX_LIMIT)
}

fn backoff_form() -> String {
    let names: Vec<String> = Backoff::ALL.iter().map(|(n, _)| format!("{n:?}")).collect();
    format!("one of {}", names.join(", "))
}

/// `retries.limit`: retries after the first attempt, at most Cloudflare's maximum.
pub fn limit(value: &Value) -> Result<u32, String> {
    match value {
        Value::Int(n) if (0..=i128::from(RetryPolicy::MAX_LIMIT)).contains(n) => Ok(*n as u32),
        Value::Int(n) => Err(format!("{n} is out of range; expected {}", limit_form())),
        other => Err(format!("expected {}, found {other}", limit_form())),
    }
}

/// `retries.delay`, or any duration.
pub fn duration(value: &Value) -> Result<Duration, String> {
    match value {
        Value::Str(text) => Duration::parse(text).map_err(|e| e.to_string()),
        other => Err(format!("expected {DURATION_FORM}, found {other}")),
    }
}

/// `timeout` and `retries.max_delay`: a duration of more than zero (a zero timeout would fail
/// every attempt, a zero cap would retry in a busy loop).
pub fn timeout(value: &Value) -> Result<Duration, String> {
    match duration(value)? {
        Duration::ZERO => Err("must be more than zero, e.g. \"30 seconds\"".into()),
        timeout => Ok(timeout),
    }
}

/// `retries.backoff`.
pub fn backoff(value: &Value) -> Result<Backoff, String> {
    match value {
        Value::Str(name) => Backoff::parse(name)
            .ok_or_else(|| format!("unknown backoff {name:?}; expected {}", backoff_form())),
        other => Err(format!("expected {}, found {other}", backoff_form())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_is_an_integer_in_range() {
        assert_eq!(limit(&Value::Int(8)), Ok(8));
        assert_eq!(limit(&Value::Int(10_000)), Ok(10_000));
        assert_eq!(
            limit(&Value::Int(-1)).unwrap_err(),
            "-1 is out of range; expected an integer 0..=10000"
        );
        assert_eq!(
            limit(&Value::str("5")).unwrap_err(),
            "expected an integer 0..=10000, found the string \"5\""
        );
    }

    #[test]
    fn durations_are_strings_with_a_unit() {
        assert_eq!(
            duration(&Value::str("2 seconds")),
            Ok(Duration::from_secs(2))
        );
        assert_eq!(
            duration(&Value::Int(5)).unwrap_err(),
            "expected a duration string like \"10 seconds\", found the integer 5"
        );
        assert!(duration(&Value::str("soon"))
            .unwrap_err()
            .starts_with("invalid duration \"soon\": missing number"));
    }

    #[test]
    fn a_timeout_is_more_than_zero() {
        assert_eq!(
            timeout(&Value::str("1 minute")),
            Ok(Duration::from_secs(60))
        );
        assert!(timeout(&Value::str("0 seconds"))
            .unwrap_err()
            .starts_with("must be more than zero"));
    }

    #[test]
    fn backoff_is_one_of_the_engine_names() {
        assert_eq!(backoff(&Value::str("linear")), Ok(Backoff::Linear));
        assert_eq!(
            backoff(&Value::str("fibonacci")).unwrap_err(),
            "unknown backoff \"fibonacci\"; expected one of \"constant\", \"linear\", \"exponential\""
        );
        assert_eq!(
            backoff(&Value::Bool(true)).unwrap_err(),
            "expected one of \"constant\", \"linear\", \"exponential\", found the boolean true"
        );
    }
}
