//! Request bodies of the admin API as the server reads them: unknown fields rejected, and every
//! refusal a 422 whose message starts with the field it is about. The body types are the wire
//! crate's (`incidentd_wire::admin`), so incidentctl sends exactly the shapes parsed here.

use super::rotation::{Override, Rotation};
use crate::http::ApiError;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::de::DeserializeOwned;

use incidentd_wire::admin::{
    AddOverride, CreateTenant, EntryPointKind, PutEntryPoint, PutRotation, PutService,
    PutStatusPage, RotateSecret, DEFAULT_GRACE_SECS, MAX_GRACE_SECS, MAX_SERVICE_PROMPT_CHARS,
    MAX_SHIFT_HOURS,
};

const MAX_MEMBERS: usize = 100;
const MAX_TEXT: usize = 2_000;

pub fn invalid(field: &str, message: impl std::fmt::Display) -> ApiError {
    ApiError::new(422, "INVALID_INPUT", format!("{field}: {message}"))
}

/// A service as [`PutService`]'s [`Validate`] accepts it: trimmed text, an empty one as none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidService {
    pub name: String,
    pub description: Option<String>,
    pub prompt: Option<String>,
}

/// The server's checks of an admin request body beyond its shape: each refusal a 422 naming
/// its field.
pub trait Validate {
    /// What the body describes once checked.
    type Valid;
    /// Checks the body and returns what it describes, trimmed.
    fn validate(&self) -> Result<Self::Valid, ApiError>;
}

/// Whom an entry point pages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    User(String),
    Rotation(String),
}

/// Size, JSON syntax (400), then shape (422, naming the field by its path).
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let value = crate::dashboard::receiver::requests::json_object(body)?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        // An unknown or missing field is reported at the object itself: serde names it.
        let field = if path == "." { "body".to_owned() } else { path };
        invalid(&field, e.into_inner())
    })
}

/// Ids of tenants, services, rotations and entry points: 1 to 64 of `A-Z a-z 0-9 _ - .`.
pub fn check_id(field: &str, id: &str) -> Result<(), ApiError> {
    let ok = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(invalid(field, "1 to 64 characters of A-Z a-z 0-9 _ - ."))
    }
}

/// Free text: trimmed, within `1..=max` characters (or `0..` when `may_be_empty`).
fn check_text(field: &str, text: &str, may_be_empty: bool, max: usize) -> Result<String, ApiError> {
    let text = text.trim();
    if text.chars().count() > max {
        return Err(invalid(field, format!("at most {max} characters")));
    }
    if text.is_empty() && !may_be_empty {
        return Err(invalid(field, "must not be empty"));
    }
    Ok(text.to_owned())
}

fn check_user(field: &str, user: &str) -> Result<String, ApiError> {
    check_text(field, user, false, 128)
}

/// The id and the display name (the id when none is given).
impl Validate for CreateTenant {
    type Valid = (String, String);
    fn validate(&self) -> Result<(String, String), ApiError> {
        check_id("id", &self.id)?;
        let name = match &self.name {
            Some(name) => check_text("name", name, false, 200)?,
            None => self.id.clone(),
        };
        Ok((self.id.clone(), name))
    }
}

/// The grace in seconds: [`DEFAULT_GRACE_SECS`] when none is given.
impl Validate for RotateSecret {
    type Valid = u32;
    fn validate(&self) -> Result<u32, ApiError> {
        let grace = self.grace_seconds.unwrap_or(DEFAULT_GRACE_SECS);
        if grace > MAX_GRACE_SECS {
            return Err(invalid(
                "grace_seconds",
                format!("at most {MAX_GRACE_SECS}"),
            ));
        }
        Ok(grace)
    }
}

/// The slug and the title. The slug rules of migration 0003: `[a-z0-9][a-z0-9-]*`, at most 64
/// characters.
impl Validate for PutStatusPage {
    type Valid = (String, String);
    fn validate(&self) -> Result<(String, String), ApiError> {
        let slug = &self.slug;
        let ok = (1..=64).contains(&slug.len())
            && slug
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !slug.starts_with('-');
        if !ok {
            return Err(invalid("slug", "1 to 64 of a-z 0-9 -, not starting with -"));
        }
        Ok((slug.clone(), check_text("title", &self.title, false, 200)?))
    }
}

impl Validate for PutService {
    type Valid = ValidService;
    fn validate(&self) -> Result<ValidService, ApiError> {
        let optional = |field: &str, text: &Option<String>, max: usize| {
            text.as_deref()
                .map(|t| check_text(field, t, true, max))
                .transpose()
                .map(|t| t.filter(|t| !t.is_empty()))
        };
        Ok(ValidService {
            name: check_text("name", &self.name, false, 200)?,
            description: optional("description", &self.description, MAX_TEXT)?,
            prompt: optional("prompt", &self.prompt, MAX_SERVICE_PROMPT_CHARS)?,
        })
    }
}

/// A zone id this build knows (see `.cargo/config.toml` for the compiled set).
pub fn parse_zone(field: &str, zone: &str) -> Result<Tz, ApiError> {
    zone.parse::<Tz>().map_err(|_| {
        invalid(
            field,
            format!("unknown or unsupported IANA time zone {zone:?}"),
        )
    })
}

pub fn parse_handoff(field: &str, time: &str) -> Result<NaiveTime, ApiError> {
    NaiveTime::parse_from_str(time, "%H:%M")
        .ok()
        .filter(|_| time.len() == 5)
        .ok_or_else(|| invalid(field, "a local time HH:MM"))
}

pub fn parse_date(field: &str, date: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .ok()
        .filter(|_| date.len() == 10)
        .ok_or_else(|| invalid(field, "a date YYYY-MM-DD"))
}

fn parse_instant(field: &str, instant: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::parse_from_rfc3339(instant)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| invalid(field, "an RFC 3339 instant, e.g. 2026-03-29T09:00:00Z"))
}

/// The rotation (without overrides) it describes.
impl Validate for PutRotation {
    type Valid = Rotation;
    fn validate(&self) -> Result<Rotation, ApiError> {
        if self.members.is_empty() || self.members.len() > MAX_MEMBERS {
            return Err(invalid("members", format!("1 to {MAX_MEMBERS} users")));
        }
        let members = self
            .members
            .iter()
            .enumerate()
            .map(|(i, m)| check_user(&format!("members[{i}]"), m))
            .collect::<Result<Vec<_>, _>>()?;
        if !(1..=MAX_SHIFT_HOURS).contains(&self.shift_hours) {
            return Err(invalid("shift_hours", format!("1 to {MAX_SHIFT_HOURS}")));
        }
        Ok(Rotation {
            members,
            shift_hours: self.shift_hours,
            handoff: parse_handoff("handoff_time", &self.handoff_time)?,
            zone: parse_zone("time_zone", &self.time_zone)?,
            starts_on: parse_date("starts_on", &self.starts_on)?,
            overrides: Vec::new(),
        })
    }
}

impl Validate for AddOverride {
    type Valid = Override;
    fn validate(&self) -> Result<Override, ApiError> {
        let user = check_user("user", &self.user)?;
        let from = parse_instant("from", &self.from)?;
        let to = parse_instant("to", &self.to)?;
        if to <= from {
            return Err(invalid("to", "must be after from"));
        }
        Ok(Override { user, from, to })
    }
}

/// Whom it pages and its prompt.
impl Validate for PutEntryPoint {
    type Valid = (Target, String);
    fn validate(&self) -> Result<(Target, String), ApiError> {
        let target = match (self.kind, &self.assignee, &self.rotation_id) {
            (EntryPointKind::User, Some(user), None) => Target::User(check_user("assignee", user)?),
            (EntryPointKind::User, None, _) => {
                return Err(invalid("assignee", "required when kind is user"))
            }
            (EntryPointKind::User, Some(_), Some(_)) => {
                return Err(invalid("rotation_id", "only with kind rotation"))
            }
            (EntryPointKind::Rotation, None, Some(id)) => {
                check_id("rotation_id", id)?;
                Target::Rotation(id.clone())
            }
            (EntryPointKind::Rotation, _, None) => {
                return Err(invalid("rotation_id", "required when kind is rotation"))
            }
            (EntryPointKind::Rotation, Some(_), Some(_)) => {
                return Err(invalid("assignee", "only with kind user"))
            }
        };
        Ok((target, check_text("prompt", &self.prompt, true, MAX_TEXT)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(e: ApiError) -> String {
        assert_eq!((e.status, e.code), (422, "INVALID_INPUT"), "{e:?}");
        e.message.split(':').next().unwrap().to_owned()
    }

    fn rotation(json: serde_json::Value) -> Result<Rotation, ApiError> {
        parse::<PutRotation>(json.to_string().as_bytes())?.validate()
    }

    fn good() -> serde_json::Value {
        serde_json::json!({"members": ["ann", "bob"], "shift_hours": 24, "handoff_time": "09:00",
            "time_zone": "Europe/Berlin", "starts_on": "2026-03-28"})
    }

    #[test]
    fn a_service_prompt_is_trimmed_bounded_and_empty_means_none() {
        let service =
            |json: serde_json::Value| parse::<PutService>(json.to_string().as_bytes())?.validate();
        let guided = service(serde_json::json!({
            "name": " Checkout ", "public": true,
            "prompt": "  Owned by #payments; check the PSP status page first.\n"
        }))
        .unwrap();
        assert_eq!(
            guided,
            ValidService {
                name: "Checkout".into(),
                description: None,
                prompt: Some("Owned by #payments; check the PSP status page first.".into()),
            }
        );
        let blank = service(serde_json::json!({ "name": "C", "public": true, "prompt": "  " }));
        assert_eq!(blank.unwrap().prompt, None);
        let long = "x".repeat(MAX_SERVICE_PROMPT_CHARS + 1);
        let refused = service(serde_json::json!({ "name": "C", "public": true, "prompt": long }));
        assert_eq!(field_of(refused.unwrap_err()), "prompt");
        let not_text = service(serde_json::json!({ "name": "C", "public": true, "prompt": 3 }));
        assert_eq!(field_of(not_text.unwrap_err()), "prompt");
    }

    #[test]
    fn a_valid_rotation_parses() {
        let r = rotation(good()).unwrap();
        assert_eq!(r.members, ["ann", "bob"]);
        assert_eq!(r.zone, chrono_tz::Europe::Berlin);
    }

    #[test]
    fn each_bad_rotation_field_is_named() {
        for (field, value) in [
            ("members", serde_json::json!([])),
            ("members[1]", serde_json::json!(["ann", " "])),
            ("shift_hours", serde_json::json!(0)),
            ("shift_hours", serde_json::json!("24")),
            ("handoff_time", serde_json::json!("9:00")),
            ("handoff_time", serde_json::json!("24:00")),
            ("time_zone", serde_json::json!("Mars/Olympus")),
            ("starts_on", serde_json::json!("2026-02-30")),
        ] {
            let mut body = good();
            body[field.split('[').next().unwrap()] = value;
            assert_eq!(field_of(rotation(body).unwrap_err()), field);
        }
        let mut body = good();
        body["extra"] = serde_json::json!(1);
        let e = rotation(body).unwrap_err();
        assert!(e.message.contains("unknown field `extra`"), "{e:?}");
    }

    #[test]
    fn entry_points_name_their_target_exactly_once() {
        let ep = |json: serde_json::Value| {
            parse::<PutEntryPoint>(json.to_string().as_bytes())?.validate()
        };
        let ok =
            ep(serde_json::json!({"kind": "rotation", "rotation_id": "primary", "fallback": true}));
        assert_eq!(ok.unwrap().0, Target::Rotation("primary".into()));
        for (json, field) in [
            (
                serde_json::json!({"kind": "user", "fallback": true}),
                "assignee",
            ),
            (
                serde_json::json!({"kind": "rotation", "fallback": true}),
                "rotation_id",
            ),
            (
                serde_json::json!({"kind": "rotation", "rotation_id": "r", "assignee": "u", "fallback": true}),
                "assignee",
            ),
            (
                serde_json::json!({"kind": "team", "fallback": true}),
                "kind",
            ),
            (serde_json::json!({"kind": "user", "assignee": "u"}), "body"),
        ] {
            assert_eq!(field_of(ep(json).unwrap_err()), field);
        }
    }

    #[test]
    fn overrides_ids_slugs_and_graces_are_checked() {
        let o = AddOverride {
            user: "u".into(),
            from: "2026-01-01T10:00:00Z".into(),
            to: "2026-01-01T10:00:00Z".into(),
        };
        assert_eq!(field_of(o.validate().unwrap_err()), "to");
        let o = AddOverride {
            to: "tomorrow".into(),
            ..o
        };
        assert_eq!(field_of(o.validate().unwrap_err()), "to");
        assert_eq!(field_of(check_id("id", "a b").unwrap_err()), "id");
        let page = PutStatusPage {
            slug: "-x".into(),
            title: "T".into(),
        };
        assert_eq!(field_of(page.validate().unwrap_err()), "slug");
        let grace = RotateSecret {
            grace_seconds: Some(MAX_GRACE_SECS + 1),
        };
        assert_eq!(field_of(grace.validate().unwrap_err()), "grace_seconds");
        assert_eq!(
            RotateSecret::default().validate().unwrap(),
            DEFAULT_GRACE_SECS
        );
    }
}
