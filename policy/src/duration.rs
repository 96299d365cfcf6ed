//! Durations in the vocabulary of Cloudflare Workflows (`"10 seconds"`, `"5 minutes"`).
//!
//! Parsed once (at macro expansion or config load time) into milliseconds, and written back in
//! the same vocabulary when a step config is handed to the engine.

use std::fmt;

/// A whole number of milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration {
    millis: u64,
}

/// Why a duration literal was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DurationError {
    /// The literal as written, before trimming.
    pub input: String,
    /// What is wrong with it (`"missing unit"`, `"unknown unit"`, ...).
    pub reason: &'static str,
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid duration {:?}: {}; expected {DURATION_FORM}, with unit one of \
             millisecond(s), second(s), minute(s), hour(s), day(s), week(s)",
            self.input, self.reason
        )
    }
}

impl std::error::Error for DurationError {}

/// The allowed form of a duration, as error messages state it.
pub const DURATION_FORM: &str = "a duration string like \"10 seconds\"";

const UNITS: &[(&str, u64)] = &[
    ("millisecond", 1),
    ("ms", 1),
    ("second", 1_000),
    ("s", 1_000),
    ("minute", 60_000),
    ("m", 60_000),
    ("hour", 3_600_000),
    ("h", 3_600_000),
    ("day", 86_400_000),
    ("d", 86_400_000),
    ("week", 604_800_000),
];

impl Duration {
    /// No time at all; also the default.
    pub const ZERO: Duration = Duration { millis: 0 };

    /// A duration of `millis` milliseconds.
    pub const fn from_millis(millis: u64) -> Self {
        Self { millis }
    }

    /// A duration of `secs` seconds.
    ///
    /// # Panics
    ///
    /// Overflows past `u64::MAX` milliseconds (about 584 million years): a panic in debug
    /// builds, a compile error in a `const`.
    pub const fn from_secs(secs: u64) -> Self {
        Self {
            millis: secs * 1_000,
        }
    }

    /// The whole number of milliseconds.
    pub const fn as_millis(self) -> u64 {
        self.millis
    }

    /// Parses `"<n> <unit>"` (plural optional, also `"250ms"`, `"10s"`). Months and years are
    /// rejected: their length is ambiguous and no retry or timeout needs them.
    pub fn parse(input: &str) -> Result<Self, DurationError> {
        let err = |reason| DurationError {
            input: input.to_owned(),
            reason,
        };
        let text = input.trim();
        let split = text
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(|| err("missing unit"))?;
        let (number, unit) = text.split_at(split);
        if number.is_empty() {
            return Err(err("missing number"));
        }
        let n: u64 = number.parse().map_err(|_| err("number out of range"))?;
        let unit = unit.trim();
        let unit = unit
            .strip_suffix('s')
            .filter(|u| u.len() > 1)
            .unwrap_or(unit);
        let factor = UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .map(|(_, f)| *f)
            .ok_or_else(|| err("unknown unit"))?;
        n.checked_mul(factor)
            .map(Duration::from_millis)
            .ok_or_else(|| err("number out of range"))
    }

    /// The largest whole unit that represents this duration exactly, as Cloudflare spells it.
    pub fn to_workflow_string(self) -> String {
        const SPELLED: &[(&str, u64)] = &[
            ("week", 604_800_000),
            ("day", 86_400_000),
            ("hour", 3_600_000),
            ("minute", 60_000),
            ("second", 1_000),
        ];
        for (name, factor) in SPELLED {
            if self.millis >= *factor && self.millis.is_multiple_of(*factor) {
                let n = self.millis / factor;
                let plural = if n == 1 { "" } else { "s" };
                return format!("{n} {name}{plural}");
            }
        }
        format!("{} milliseconds", self.millis)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_workflow_string())
    }
}

impl std::str::FromStr for Duration {
    type Err = DurationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Duration::parse(s)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Duration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_workflow_string())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Duration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Duration::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cloudflare_spellings() {
        assert_eq!(Duration::parse("10 seconds").unwrap().as_millis(), 10_000);
        assert_eq!(Duration::parse("1 second").unwrap().as_millis(), 1_000);
        assert_eq!(Duration::parse("5 minutes").unwrap().as_millis(), 300_000);
        assert_eq!(Duration::parse("250ms").unwrap().as_millis(), 250);
        assert_eq!(Duration::parse("7 days").unwrap().as_millis(), 604_800_000);
        assert_eq!(Duration::parse(" 2 hours ").unwrap().as_millis(), 7_200_000);
    }

    #[test]
    fn rejects_bad_literals_with_a_reason() {
        assert_eq!(
            Duration::parse("ten seconds").unwrap_err().reason,
            "missing number"
        );
        assert_eq!(Duration::parse("10").unwrap_err().reason, "missing unit");
        assert_eq!(
            Duration::parse("3 months").unwrap_err().reason,
            "unknown unit"
        );
        assert_eq!(
            Duration::parse("99999999999999999999 s")
                .unwrap_err()
                .reason,
            "number out of range"
        );
    }

    #[test]
    fn prints_the_largest_exact_unit() {
        assert_eq!(
            Duration::from_millis(10_000).to_workflow_string(),
            "10 seconds"
        );
        assert_eq!(
            Duration::from_millis(60_000).to_workflow_string(),
            "1 minute"
        );
        assert_eq!(
            Duration::from_millis(1_500).to_workflow_string(),
            "1500 milliseconds"
        );
        assert_eq!(
            Duration::from_millis(604_800_000).to_workflow_string(),
            "1 week"
        );
    }
}
