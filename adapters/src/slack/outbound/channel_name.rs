//! Incident channel names: `inc-<yyyymmdd>-<slug of the title>`, within Slack's rules
//! (lowercase letters, digits, `-` and `_`; at most 80 characters).
//!
//! Creating a channel is not idempotent, and names are global to the workspace (archived
//! channels keep theirs), so a name can be taken. The rule, which a retried step follows to
//! the same result: create [`ChannelNames::plain`]; on `name_taken`, create
//! [`ChannelNames::suffixed`] (the plain name plus a short hash of the incident id, so it is
//! this incident's and nobody else's); on `name_taken` again, that channel is this incident's,
//! created by an earlier attempt: look it up by name and use it.

use crate::calendar::{date_of_days, MS_PER_DAY};
use sha2::{Digest, Sha256};

/// Slack's maximum channel name length.
pub(crate) const MAX_LEN: usize = 80;
const PREFIX: &str = "inc-";
/// Hex digits of the incident id's hash in the suffix (16^6: collisions are not a concern
/// among incidents declared with the same title on the same day).
const SUFFIX_HEX: usize = 6;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelNames {
    pub plain: String,
    pub suffixed: String,
}

impl ChannelNames {
    /// Names for the incident `incident_id` titled `title`, declared at `created_at_ms` (unix
    /// milliseconds, dated in UTC).
    pub fn new(incident_id: &str, title: &str, created_at_ms: i64) -> Self {
        let (y, m, d) = date_of_days(created_at_ms.div_euclid(MS_PER_DAY));
        let head = format!("{PREFIX}{y:04}{m:02}{d:02}");
        let slug = slug(title);
        let suffix = &hex::encode(Sha256::digest(incident_id.as_bytes()))[..SUFFIX_HEX];
        let join = |room: usize| match truncate_slug(&slug, room) {
            "" => head.clone(),
            slug => format!("{head}-{slug}"),
        };
        ChannelNames {
            plain: join(MAX_LEN - head.len() - 1),
            suffixed: format!("{}-{suffix}", join(MAX_LEN - head.len() - 2 - SUFFIX_HEX)),
        }
    }
}

impl ChannelNames {
    /// The names whose plain one is `plain` (a name the incident claimed earlier, made by
    /// [`ChannelNames::new`]): the suffixed name follows from it as it did then.
    pub(crate) fn from_plain(incident_id: &str, plain: &str) -> Self {
        let head_len = PREFIX.len() + 8;
        let (head, slug) = match plain.get(..head_len) {
            Some(head) => (head, plain[head_len..].trim_start_matches('-')),
            None => (plain, ""),
        };
        let suffix = &hex::encode(Sha256::digest(incident_id.as_bytes()))[..SUFFIX_HEX];
        let room = MAX_LEN.saturating_sub(head.len() + 2 + SUFFIX_HEX);
        let suffixed = match truncate_slug(slug, room) {
            "" => format!("{head}-{suffix}"),
            slug => format!("{head}-{slug}-{suffix}"),
        };
        ChannelNames {
            plain: plain.to_owned(),
            suffixed,
        }
    }
}

/// Lowercase ASCII letters and digits, every other run of characters as one `-`.
fn slug(title: &str) -> String {
    let mut slug = String::new();
    // ASCII lowercasing is enough: only ASCII letters are kept.
    for c in title.chars().map(|c| c.to_ascii_lowercase()) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

/// At most `room` characters, cut at a word boundary when there is one.
fn truncate_slug(slug: &str, room: usize) -> &str {
    if slug.len() <= room {
        return slug;
    }
    let cut = &slug[..room];
    match cut.rfind('-') {
        Some(at) if at > 0 => &cut[..at],
        _ => cut.trim_end_matches('-'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_rebuilt_from_the_plain_one_are_the_same() {
        for title in [
            "Checkout is failing!",
            "🔥🔥",
            "a very long title about the payments service returning errors for every card brand in every region",
        ] {
            let names = ChannelNames::new("inc-7", title, NOV_28_2026);
            assert_eq!(ChannelNames::from_plain("inc-7", &names.plain), names, "{title}");
        }
    }

    /// 2026-11-28T15:04:05Z.
    const NOV_28_2026: i64 = 1_795_878_245_000;

    fn valid(name: &str) -> bool {
        name.len() <= MAX_LEN
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    }

    #[test]
    fn a_readable_name_from_date_and_title() {
        let names = ChannelNames::new("inc-1", "Checkout is failing!", NOV_28_2026);
        assert_eq!(names.plain, "inc-20261128-checkout-is-failing");
        assert!(names
            .suffixed
            .starts_with("inc-20261128-checkout-is-failing-"));
        assert_eq!(names.suffixed.len(), names.plain.len() + 1 + SUFFIX_HEX);
    }

    #[test]
    fn anything_outside_the_alphabet_becomes_single_dashes() {
        let names = ChannelNames::new("i", "  API: 5xx — über ÉRRORS / p99 > 2s…", NOV_28_2026);
        assert_eq!(names.plain, "inc-20261128-api-5xx-ber-rrors-p99-2s");
        assert_eq!(
            ChannelNames::new("i", "🔥🔥", NOV_28_2026).plain,
            "inc-20261128"
        );
    }

    #[test]
    fn long_titles_fit_in_80_characters_cut_at_a_word() {
        let title = "the payment service is returning errors for every checkout in the european region since the deploy";
        let names = ChannelNames::new("inc-9", title, NOV_28_2026);
        for name in [&names.plain, &names.suffixed] {
            assert!(valid(name), "{name}");
            assert!(!name.contains("--"), "{name}");
        }
        assert_eq!(
            names.plain,
            "inc-20261128-the-payment-service-is-returning-errors-for-every-checkout-in-the"
        );
        assert!(names.suffixed.len() <= MAX_LEN);
    }

    #[test]
    fn the_suffix_is_the_incidents_own_and_stable() {
        let a = ChannelNames::new("inc-a", "Checkout", NOV_28_2026);
        assert_eq!(
            a,
            ChannelNames::new("inc-a", "Checkout", NOV_28_2026),
            "a retry finds the same names"
        );
        let b = ChannelNames::new("inc-b", "Checkout", NOV_28_2026);
        assert_eq!(a.plain, b.plain);
        assert_ne!(a.suffixed, b.suffixed);
    }

    #[test]
    fn dates_are_utc_calendar_days() {
        assert_eq!(date_of_days(0), (1970, 1, 1));
        assert_eq!(date_of_days(-1), (1969, 12, 31));
        assert_eq!(date_of_days(11_016), (2000, 2, 29));
        assert_eq!(date_of_days(20_785), (2026, 11, 28));
        assert_eq!(date_of_days(20_819), (2027, 1, 1));
        let just_before_midnight = NOV_28_2026 - 15 * 3_600_000 - 4 * 60_000 - 5_000 - 1;
        assert!(ChannelNames::new("i", "x", just_before_midnight)
            .plain
            .starts_with("inc-20261127-"));
    }
}
