//! Request bodies of the dashboard API as the server reads them: size limit, JSON syntax (400)
//! versus shape (422), unknown fields rejected; each converts into a core command. The body
//! types themselves are the wire crate's (`incidentd_wire::dashboard`), so clients
//! (incidentctl) send exactly the shapes parsed here.
//!
//! Text fields are checked here as sent, exactly as their schema (`openapi.rs`) says: at most
//! so many characters, and, unless they may be empty, not blank. The core trims and checks
//! again; these checks only make the published limits the enforced ones (a 4,001-character
//! prompt is refused even when trimming would shorten it).

use crate::http::ApiError;
use incidentd_core::decide::{MAX_ID_CHARS, MAX_MESSAGE_CHARS, MAX_PROMPT_CHARS, MAX_TITLE_CHARS};
use incidentd_core::Command;
use serde::de::DeserializeOwned;

use incidentd_wire::dashboard::{
    AddMessage, AddPrompt, CreateAffection, CreateIncident, SetAssignee, SetSeverity,
    UpdateAffection, UpdateStatus,
};

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// `value` as sent: at most `max` characters and, unless `may_be_empty`, not blank.
fn check_text(field: &str, value: &str, max: usize, may_be_empty: bool) -> Result<(), ApiError> {
    if value.chars().count() > max {
        return Err(ApiError::new(
            422,
            "INVALID_INPUT",
            format!("{field}: at most {max} characters"),
        ));
    }
    if !may_be_empty && value.trim().is_empty() {
        return Err(ApiError::new(
            422,
            "INVALID_INPUT",
            format!("{field}: must not be empty"),
        ));
    }
    Ok(())
}

/// The server's checks of a [`CreateIncident`] beyond its shape.
pub trait CreateIncidentChecks {
    /// The text fields' limits, as the schema states them.
    fn check(&self) -> Result<(), ApiError>;
    /// The idempotency key, when given and well formed (422 otherwise).
    fn checked_idempotency_key(&self) -> Result<Option<&str>, ApiError>;
}

impl CreateIncidentChecks for CreateIncident {
    fn check(&self) -> Result<(), ApiError> {
        check_text("prompt", &self.prompt, MAX_PROMPT_CHARS, false)?;
        if let Some(title) = &self.title {
            check_text("title", title, MAX_TITLE_CHARS, false)?;
        }
        self.checked_idempotency_key().map(|_| ())
    }

    fn checked_idempotency_key(&self) -> Result<Option<&str>, ApiError> {
        let Some(key) = self.idempotency_key.as_deref() else {
            return Ok(None);
        };
        let valid = (1..=128).contains(&key.len())
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'));
        if valid {
            Ok(Some(key))
        } else {
            Err(ApiError::new(
                422,
                "INVALID_INPUT",
                "idempotency_key: 1 to 128 characters of A-Z a-z 0-9 _ - . :",
            ))
        }
    }
}

/// Parses the body of a change route into the core command, acting as `user`.
pub fn command(route: &str, body: &[u8], user: &str) -> Result<Command, ApiError> {
    Ok(match route {
        "severity" => Command::SetSeverity {
            severity: parse_body::<SetSeverity>(body)?.severity,
        },
        "assignee" => {
            let r: SetAssignee = parse_body(body)?;
            if let Some(assignee) = &r.assignee {
                check_text("assignee", assignee, MAX_ID_CHARS, false)?;
            }
            Command::SetAssignee {
                assignee: r.assignee,
            }
        }
        "status" => {
            let r: UpdateStatus = parse_body(body)?;
            check_text("message", &r.message, MAX_MESSAGE_CHARS, true)?;
            Command::UpdateStatus {
                status: r.status,
                message: r.message,
            }
        }
        "messages" => {
            let r: AddMessage = parse_body(body)?;
            check_text("message", &r.message, MAX_MESSAGE_CHARS, false)?;
            check_text("message_id", &r.message_id, MAX_ID_CHARS, false)?;
            Command::AddMessage {
                message: r.message,
                message_id: r.message_id,
                user_id: user.to_owned(),
            }
        }
        "prompts" => {
            let r: AddPrompt = parse_body(body)?;
            check_text("prompt", &r.prompt, MAX_PROMPT_CHARS, false)?;
            check_text("prompt_id", &r.prompt_id, MAX_ID_CHARS, false)?;
            Command::AddPrompt {
                prompt: r.prompt,
                prompt_id: r.prompt_id,
                user_id: user.to_owned(),
            }
        }
        "affection" => {
            let r: CreateAffection = parse_body(body)?;
            check_text("title", &r.title, MAX_TITLE_CHARS, false)?;
            check_text("message", &r.message, MAX_MESSAGE_CHARS, false)?;
            if r.services.is_empty() {
                return Err(ApiError::new(
                    422,
                    "INVALID_INPUT",
                    "services: at least one service is required",
                ));
            }
            Command::CreateAffection {
                title: r.title,
                services: r.services,
                message: r.message,
                created_by: user.to_owned(),
            }
        }
        "affection/updates" => {
            let r: UpdateAffection = parse_body(body)?;
            check_text("message", &r.message, MAX_MESSAGE_CHARS, false)?;
            if r.services.as_ref().is_some_and(Vec::is_empty) {
                return Err(ApiError::new(
                    422,
                    "INVALID_INPUT",
                    "services: at least one service when given",
                ));
            }
            Command::UpdateAffection {
                message: r.message,
                status: r.status,
                services: r.services,
                created_by: user.to_owned(),
            }
        }
        _ => return Err(ApiError::not_found()),
    })
}

/// Checks the size, then parses: malformed JSON is 400 `INVALID_JSON`, well-formed JSON of
/// the wrong shape is 422 `INVALID_INPUT`.
pub fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let value = json_object(body)?;
    sluice::json::from_value(&value).map_err(|e| ApiError::new(422, "INVALID_INPUT", e.to_string()))
}

/// The body as a JSON object: 413 over the size limit, 400 `INVALID_JSON` when it is not JSON,
/// 422 `INVALID_INPUT` when it is JSON but not an object. Every receiver's first step.
pub fn json_object(body: &[u8]) -> Result<serde_json::Value, ApiError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::new(
            413,
            "PAYLOAD_TOO_LARGE",
            format!("body exceeds {MAX_BODY_BYTES} bytes"),
        ));
    }
    // Syntax first (400), then shape (422): a body must be an object, whatever serde would
    // accept otherwise (it reads a struct from an array too).
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::new(400, "INVALID_JSON", format!("body is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::new(
            422,
            "INVALID_INPUT",
            "the body must be a JSON object",
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use incidentd_core::model::Status;

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
        assert_eq!(
            command("status", br#"{"status":"open","message":""}"#, "u").unwrap(),
            Command::UpdateStatus {
                status: Status::Open,
                message: String::new()
            }
        );
        assert_eq!(
            command("status", br#"{"status":"open"}"#, "u")
                .unwrap_err()
                .status,
            422
        );
        assert_eq!(command("assignee", br#"{}"#, "u").unwrap_err().status, 422);
        assert!(command("assignee", br#"{"assignee":null}"#, "u").is_ok());
        assert_eq!(
            command("severity", br#"{"severity":3}"#, "u")
                .unwrap_err()
                .status,
            422
        );
        assert_eq!(
            command("severity", br#"{"severity":{"high":null}}"#, "u")
                .unwrap_err()
                .status,
            422
        );
        assert_eq!(
            command("severity", br#"["low"]"#, "u").unwrap_err().status,
            422
        );
        assert_eq!(
            command("status", br#"{"status":"closed"}"#, "u")
                .unwrap_err()
                .status,
            422
        );
        assert_eq!(
            command("messages", br#"{"message":"m"}"#, "u")
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
    fn idempotency_keys_are_checked() {
        let with = |key: &str| CreateIncident {
            prompt: "p".into(),
            title: None,
            severity: None,
            idempotency_key: Some(key.into()),
        };
        assert_eq!(
            with("retry-1:a.b_c").checked_idempotency_key().unwrap(),
            Some("retry-1:a.b_c")
        );
        assert_eq!(
            with("no spaces")
                .checked_idempotency_key()
                .unwrap_err()
                .status,
            422
        );
        assert_eq!(
            with(&"k".repeat(129))
                .checked_idempotency_key()
                .unwrap_err()
                .status,
            422
        );
    }
}
