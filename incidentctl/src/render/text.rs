//! Free text on one terminal line.

/// The longest free text (message, title) shown on a one-line rendering, in characters.
pub const SUMMARY_WIDTH: usize = 80;

/// Whitespace runs (newlines included) collapsed to one space, cut to `max` characters with `…`.
pub fn shorten(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let mut cut: String = flat.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// `"text"`, shortened.
pub fn quoted(text: &str) -> String {
    format!("\"{}\"", shorten(text, SUMMARY_WIDTH))
}

/// `→ <to>` with an optional `: "message"` (an empty message shows none).
pub fn arrow(to: &str, message: Option<&str>) -> String {
    match message.filter(|m| !m.trim().is_empty()) {
        Some(message) => format!("→ {to}: {}", quoted(message)),
        None => format!("→ {to}"),
    }
}

/// One line per item, or the `empty` line when there is none.
pub fn lines_or<T>(items: &[T], empty: &str, line: impl Fn(&T) -> String) -> String {
    if items.is_empty() {
        return format!("{empty}\n");
    }
    items.iter().map(|item| line(item) + "\n").collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattens_and_cuts_long_text() {
        assert_eq!(shorten("first line\n  second", 80), "first line second");
        let cut = shorten(&"x".repeat(200), SUMMARY_WIDTH);
        assert_eq!(cut.chars().count(), SUMMARY_WIDTH);
        assert!(cut.ends_with('…'));
        assert_eq!(shorten("ééé", 2), "é…", "cuts characters, not bytes");
    }

    #[test]
    fn lists_one_item_per_line_or_say_there_is_none() {
        assert_eq!(lines_or(&[1, 2], "none", |n| format!("#{n}")), "#1\n#2\n");
        assert_eq!(
            lines_or(&[] as &[i32], "none", |n| format!("#{n}")),
            "none\n"
        );
    }

    #[test]
    fn an_arrow_shows_a_message_only_when_there_is_one() {
        assert_eq!(arrow("resolved", Some("done")), r#"→ resolved: "done""#);
        assert_eq!(arrow("resolved", Some("  ")), "→ resolved");
        assert_eq!(arrow("resolved", None), "→ resolved");
    }
}
