//! Request bodies: size limit, JSON syntax (400) versus shape (422), unknown fields rejected.

use super::error::ApiError;
use incidentd_core::Severity;
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// `POST /dashboard/incidents`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateIncident {
    /// What is happening, in the reporter's words.
    pub prompt: String,
    /// Defaults to the prompt's first line.
    #[serde(default)]
    pub title: Option<String>,
    /// Defaults to `medium`.
    #[serde(default)]
    pub severity: Option<Severity>,
}

/// Checks the size, then parses: malformed JSON is 400 `INVALID_JSON`, well-formed JSON of
/// the wrong shape is 422 `INVALID_INPUT`.
pub fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::new(
            413,
            "PAYLOAD_TOO_LARGE",
            format!("body exceeds {MAX_BODY_BYTES} bytes"),
        ));
    }
    serde_json::from_slice(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => ApiError::new(422, "INVALID_INPUT", e.to_string()),
        _ => ApiError::new(400, "INVALID_JSON", format!("body is not valid JSON: {e}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_are_400_and_shape_errors_422() {
        assert_eq!(
            parse_body::<CreateIncident>(b"{\"prompt\":")
                .unwrap_err()
                .status,
            400
        );
        assert_eq!(
            parse_body::<CreateIncident>(b"not json").unwrap_err().code,
            "INVALID_JSON"
        );
        assert_eq!(
            parse_body::<CreateIncident>(b"{\"prompt\":1}")
                .unwrap_err()
                .status,
            422
        );
        assert_eq!(
            parse_body::<CreateIncident>(b"{}").unwrap_err().code,
            "INVALID_INPUT"
        );
        assert_eq!(
            parse_body::<CreateIncident>(b"{\"prompt\":\"x\",\"sev\":1}")
                .unwrap_err()
                .status,
            422
        );
        assert_eq!(
            parse_body::<CreateIncident>(b"{\"prompt\":\"x\",\"severity\":\"urgent\"}")
                .unwrap_err()
                .status,
            422
        );
    }

    #[test]
    fn oversized_bodies_are_413() {
        let body = vec![b' '; MAX_BODY_BYTES + 1];
        assert_eq!(parse_body::<CreateIncident>(&body).unwrap_err().status, 413);
    }

    #[test]
    fn a_valid_body_parses() {
        let parsed: CreateIncident =
            parse_body(br#"{"prompt":"db down","severity":"high"}"#).unwrap();
        assert_eq!(parsed.severity, Some(Severity::High));
        assert_eq!(parsed.title, None);
    }
}
