//! Escaping for HTML and XML text and attribute values, the one escaper of every page and
//! feed incidentd serves (the status page's HTML and Atom, the Slack install's pages): every
//! string a renderer writes goes through [`escape`], whatever its origin. (Slack's mrkdwn has
//! its own, narrower rule: `slack::outbound::blocks`.)

/// `&`, `<`, `>`, `"` and `'` as character references.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_characters_become_references() {
        assert_eq!(
            escape(r#"<script>alert("x" & 'y')</script>"#),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
        assert_eq!(escape("Checkout — ok"), "Checkout — ok");
    }
}
