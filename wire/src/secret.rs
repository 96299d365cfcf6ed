//! [`Secret`]: a token or key that must never reach a log. `Debug` and `Display` print
//! `[redacted]`; the value is read only through [`Secret::expose`], so every use is greppable.

use serde::{Deserialize, Deserializer};
use std::fmt;

/// Deliberately not `Serialize`: a secret is written out only on purpose, via `expose`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value that must stay out of logs.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself: for the `Authorization` header or the cipher, nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// So an OAuth answer's token can be parsed straight into a `Secret`.
impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let token = Secret::new("xoxb-1234-very-secret");
        #[derive(Debug)]
        #[allow(dead_code)] // read through Debug only
        struct Installation {
            team: &'static str,
            token: Secret,
        }
        let shown = format!(
            "{token} {token:?} {:?} {:#?}",
            Installation {
                team: "T1",
                token: token.clone()
            },
            Some(&token)
        );
        assert!(!shown.contains("xoxb"), "{shown}");
        assert!(shown.contains("[redacted]"));
        assert_eq!(token.expose(), "xoxb-1234-very-secret");
    }

    #[test]
    fn it_parses_from_json() {
        let token: Secret = serde_json::from_str(r#""xoxb-9""#).unwrap();
        assert_eq!(token.expose(), "xoxb-9");
    }
}
