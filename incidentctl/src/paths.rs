//! The API's paths (docs/api.md), with ids encoded so they cannot escape their segment.

/// The collection of incidents.
pub const INCIDENTS_PATH: &str = "/dashboard/incidents";

/// Percent-encodes one path segment (everything but RFC 3986 unreserved characters).
pub fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `/dashboard/incidents/<id><rest>`; `rest` is empty or starts with `/`.
pub fn incident_path(id: &str, rest: &str) -> String {
    format!("{INCIDENTS_PATH}/{}{rest}", path_segment(id))
}

/// `/dashboard/incidents/<id>/dead-letters/<event_id>/replay`.
pub fn replay_path(id: &str, event_id: u64) -> String {
    incident_path(id, &format!("/dead-letters/{event_id}/replay"))
}

/// `/dashboard/incidents/<id>/failed-effects/<event_id>/<effect>/retry`.
pub fn retry_effect_path(id: &str, event_id: u64, effect: &str) -> String {
    failed_effect_path(id, event_id, effect, "retry")
}

pub fn dismiss_effect_path(id: &str, event_id: u64, effect: &str) -> String {
    failed_effect_path(id, event_id, effect, "dismiss")
}

fn failed_effect_path(id: &str, event_id: u64, effect: &str, action: &str) -> String {
    incident_path(
        id,
        &format!(
            "/failed-effects/{event_id}/{}/{action}",
            path_segment(effect)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_paths_with_the_id_encoded() {
        assert_eq!(incident_path("abc-1", ""), "/dashboard/incidents/abc-1");
        assert_eq!(
            incident_path("abc", "/affection/updates"),
            "/dashboard/incidents/abc/affection/updates"
        );
        assert_eq!(
            incident_path("a/b?c d", ""),
            "/dashboard/incidents/a%2Fb%3Fc%20d"
        );
        assert_eq!(
            path_segment("é"),
            "%C3%A9",
            "multi-byte characters byte by byte"
        );
        assert_eq!(
            replay_path("abc", 12),
            "/dashboard/incidents/abc/dead-letters/12/replay"
        );
    }
}
