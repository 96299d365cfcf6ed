//! Command-line values of the API's enums, parsed straight into the core's own types: a typo is
//! a clap error before anything is sent, and no enum is declared a second time here.

use clap::builder::{PossibleValuesParser, TypedValueParser};
use incidentd_core::model::{AffectedService, AffectionStatus, Impact};
use incidentd_core::{Severity, Status};

pub const SEVERITIES: [Severity; 3] = [Severity::Low, Severity::Medium, Severity::High];
pub const STATUSES: [Status; 4] = [
    Status::Open,
    Status::Mitigating,
    Status::Resolved,
    Status::Declined,
];
pub const AFFECTION_STATUSES: [AffectionStatus; 3] = [
    AffectionStatus::Investigating,
    AffectionStatus::Mitigating,
    AffectionStatus::Resolved,
];
pub const IMPACTS: [Impact; 2] = [Impact::Partial, Impact::Major];

/// The impact of a `--service` given without one.
pub const DEFAULT_IMPACT: Impact = Impact::Partial;

// The lists above must name every variant. Core has no "all variants" list, so these
// exhaustive matches make a variant added there fail to compile here until it is listed.
const _: fn(Severity) = |s| match s {
    Severity::Low | Severity::Medium | Severity::High => {}
};
const _: fn(Status) = |s| match s {
    Status::Open | Status::Mitigating | Status::Resolved | Status::Declined => {}
};
const _: fn(AffectionStatus) = |s| match s {
    AffectionStatus::Investigating | AffectionStatus::Mitigating | AffectionStatus::Resolved => {}
};
const _: fn(Impact) = |i| match i {
    Impact::Partial | Impact::Major => {}
};

/// The statuses a caller may ask for: those some status can move to, by the domain's own rule
/// (`open` is only ever the initial one).
pub fn target_statuses() -> Vec<Status> {
    STATUSES
        .into_iter()
        .filter(|next| STATUSES.iter().any(|from| from.can_move_to(*next)))
        .collect()
}

fn words<T>(
    choices: impl IntoIterator<Item = T>,
    word: fn(T) -> &'static str,
) -> PossibleValuesParser {
    PossibleValuesParser::new(choices.into_iter().map(word))
}

/// `low`, `medium` or `high`.
pub fn severity() -> impl TypedValueParser<Value = Severity> {
    words(SEVERITIES, Severity::as_str).try_map(Severity::try_from)
}

/// Any status (filters of `list`).
pub fn status() -> impl TypedValueParser<Value = Status> {
    words(STATUSES, Status::as_str).try_map(Status::try_from)
}

/// A status an incident can be moved to.
pub fn target_status() -> impl TypedValueParser<Value = Status> {
    words(target_statuses(), Status::as_str).try_map(Status::try_from)
}

/// A status of the public affection.
pub fn affection_status() -> impl TypedValueParser<Value = AffectionStatus> {
    words(AFFECTION_STATUSES, AffectionStatus::as_str).try_map(AffectionStatus::try_from)
}

/// A point in time for `list --since/--until`: unix milliseconds as the API takes them, or an
/// RFC 3339 time (converted here, since the API takes milliseconds only).
pub fn parse_time_ms(text: &str) -> Result<i64, String> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse()
            .map_err(|_| format!("{text:?} is too large for unix milliseconds"));
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis())
        .map_err(|_| {
            format!("{text:?}: expected unix milliseconds or an RFC 3339 time such as 2026-01-01T00:00:00Z")
        })
}

/// Parses one `--service ID[:partial|major]` (impact [`DEFAULT_IMPACT`] when omitted). The
/// impact is whatever follows the last `:`, so an id that itself contains `:` must be given
/// with an explicit impact.
pub fn parse_service(text: &str) -> Result<AffectedService, String> {
    let (id, impact) = match text.rsplit_once(':') {
        None => (text, DEFAULT_IMPACT),
        Some((id, word)) => match IMPACTS.into_iter().find(|i| i.as_str() == word) {
            Some(impact) => (id, impact),
            None => {
                let expected: Vec<String> = IMPACTS
                    .iter()
                    .map(|i| format!("ID:{}", i.as_str()))
                    .collect();
                return Err(format!(
                    "bad impact {word:?} in {text:?}: expected ID, {}",
                    expected.join(" or ")
                ));
            }
        },
    };
    let id = id.trim();
    if id.is_empty() {
        return Err(format!(
            "no service id in {text:?}: expected ID[:partial|major]"
        ));
    }
    Ok(AffectedService {
        id: id.to_owned(),
        impact,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::builder::TypedValueParser;

    fn parse<P: TypedValueParser>(parser: P, word: &str) -> Result<P::Value, clap::Error> {
        let cmd = clap::Command::new("t");
        parser.parse_ref(&cmd, None, std::ffi::OsStr::new(word))
    }

    #[test]
    fn the_enum_words_are_the_cores() {
        for word in SEVERITIES {
            assert_eq!(parse(severity(), word.as_str()).unwrap(), word);
        }
        for word in AFFECTION_STATUSES {
            assert_eq!(parse(affection_status(), word.as_str()).unwrap(), word);
        }
        assert!(parse(severity(), "critical").is_err());
        assert!(
            parse(severity(), "High").is_err(),
            "lowercase only, like the API"
        );
    }

    #[test]
    fn times_are_unix_milliseconds_or_rfc_3339() {
        assert_eq!(parse_time_ms("1767225600000"), Ok(1_767_225_600_000));
        assert_eq!(parse_time_ms("2026-01-01T00:00:00Z"), Ok(1_767_225_600_000));
        assert_eq!(
            parse_time_ms("2026-01-01T01:00:00+01:00"),
            Ok(1_767_225_600_000)
        );
        assert!(parse_time_ms("yesterday").unwrap_err().contains("RFC 3339"));
        assert!(parse_time_ms("-5").is_err());
        assert!(parse_time_ms("").is_err());
        assert_eq!(parse(status(), "open").unwrap(), Status::Open);
    }

    #[test]
    fn open_is_not_a_status_to_move_to() {
        assert_eq!(
            target_statuses(),
            [Status::Mitigating, Status::Resolved, Status::Declined]
        );
        assert_eq!(
            parse(target_status(), "declined").unwrap(),
            Status::Declined
        );
        assert!(parse(target_status(), "open").is_err());
    }

    #[test]
    fn parses_a_service_with_and_without_impact() {
        assert_eq!(
            parse_service("api").unwrap(),
            AffectedService {
                id: "api".into(),
                impact: Impact::Partial
            }
        );
        assert_eq!(
            parse_service("api:partial").unwrap().impact,
            Impact::Partial
        );
        assert_eq!(parse_service("api:major").unwrap().impact, Impact::Major);
        let colon = parse_service("eu:api:major").unwrap();
        assert_eq!((colon.id.as_str(), colon.impact), ("eu:api", Impact::Major));
    }

    #[test]
    fn rejects_a_bad_impact_or_a_missing_id() {
        let error = parse_service("api:severe").unwrap_err();
        assert_eq!(
            error,
            r#"bad impact "severe" in "api:severe": expected ID, ID:partial or ID:major"#
        );
        assert!(parse_service("api:").unwrap_err().contains("bad impact"));
        assert!(parse_service(":major")
            .unwrap_err()
            .contains("no service id"));
        assert!(parse_service("").unwrap_err().contains("no service id"));
    }
}
