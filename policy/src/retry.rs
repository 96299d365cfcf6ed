//! Retry policy and step configuration, mapped 1:1 onto Cloudflare's `step.do` config:
//! `{ retries: { limit, delay, backoff }, timeout }`.

use crate::duration::Duration;

/// How the delay grows between attempts (Cloudflare's `retries.backoff`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "lowercase")
)]
pub enum Backoff {
    /// The same wait before every retry.
    Constant,
    /// The wait grows by `delay` each retry: `delay`, `2 × delay`, `3 × delay`, ...
    Linear,
    /// The wait doubles each retry: `delay`, `2 × delay`, `4 × delay`, ...
    Exponential,
}

impl Backoff {
    /// Every backoff with the name it is written with, for parsers and "did you mean" hints.
    pub const ALL: [(&'static str, Backoff); 3] = [
        ("constant", Backoff::Constant),
        ("linear", Backoff::Linear),
        ("exponential", Backoff::Exponential),
    ];

    /// The backoff named `name` (`"constant"`, `"linear"`, `"exponential"`; case-sensitive),
    /// or `None` for any other name.
    pub fn parse(name: &str) -> Option<Backoff> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
    }

    /// The name Cloudflare (and the attributes and the policy file) spell it with.
    pub fn as_str(self) -> &'static str {
        match self {
            Backoff::Constant => "constant",
            Backoff::Linear => "linear",
            Backoff::Exponential => "exponential",
        }
    }
}

/// Cloudflare's `retries`: `limit` retries after the first attempt (so `limit + 1` attempts),
/// plus `max_delay`, a cap on the grown delay. Cloudflare's engine has no cap: a step that sets
/// one has its retries scheduled by the framework (effects delivered on lanes do), not by the
/// engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RetryPolicy {
    /// Retries after the first attempt (`0`: one attempt only), at most [`Self::MAX_LIMIT`].
    pub limit: u32,
    /// The wait before the first retry; the backoff grows it from there.
    pub delay: Duration,
    /// How the wait grows between retries.
    pub backoff: Backoff,
    /// The longest wait between two attempts; `None`: the backoff grows unbounded.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub max_delay: Option<Duration>,
}

impl RetryPolicy {
    /// The engine's own default when a step passes no config.
    pub const WORKFLOWS_DEFAULT: RetryPolicy = RetryPolicy {
        limit: 5,
        delay: Duration::from_millis(10_000),
        backoff: Backoff::Exponential,
        max_delay: None,
    };

    /// Cloudflare documents at most 10,000 retries per step.
    pub const MAX_LIMIT: u32 = 10_000;

    /// The wait before retry number `retry` (1-based): the schedule the engine applies, cut
    /// to `max_delay` when one is set. With `limit: 3, delay: 1 second, exponential` that is
    /// 1 s, 2 s, 4 s.
    pub fn delay_before_retry(&self, retry: u32) -> Duration {
        let base = self.delay.as_millis();
        let n = u64::from(retry.max(1));
        let millis = match self.backoff {
            Backoff::Constant => base,
            Backoff::Linear => base.saturating_mul(n),
            Backoff::Exponential => base.saturating_mul(1u64 << (n - 1).min(40)),
        };
        let capped = self
            .max_delay
            .map_or(millis, |cap| millis.min(cap.as_millis()));
        Duration::from_millis(capped)
    }

    /// The sum of every wait when each attempt fails: how long an outage the policy rides out.
    pub fn total_delay(&self) -> Duration {
        let millis = (1..=self.limit)
            .map(|retry| self.delay_before_retry(retry).as_millis())
            .fold(0u64, u64::saturating_add);
        Duration::from_millis(millis)
    }
}

/// The full config of one `step.do`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct StepConfig {
    /// How often and how patiently a failed attempt is retried.
    pub retries: RetryPolicy,
    /// How long one attempt may run before it counts as failed (and is retried).
    pub timeout: Duration,
}

impl StepConfig {
    /// The engine's own default when a step passes no config: 5 retries, 10 seconds apart,
    /// exponential, and 10 minutes per attempt.
    pub const WORKFLOWS_DEFAULT: StepConfig = StepConfig {
        retries: RetryPolicy::WORKFLOWS_DEFAULT,
        timeout: Duration::from_millis(600_000),
    };

    /// The JSON object `step.do` takes, durations spelled the way Cloudflare documents them.
    #[cfg(feature = "json")]
    pub fn to_workflow_json(&self) -> serde_json::Value {
        serde_json::json!({
            "retries": {
                "limit": self.retries.limit,
                "delay": self.retries.delay.to_workflow_string(),
                "backoff": self.retries.backoff.as_str(),
            },
            "timeout": self.timeout.to_workflow_string(),
        })
    }
}

impl Default for StepConfig {
    fn default() -> Self {
        Self::WORKFLOWS_DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(backoff: Backoff) -> RetryPolicy {
        RetryPolicy {
            limit: 3,
            delay: Duration::from_secs(1),
            backoff,
            max_delay: None,
        }
    }

    #[test]
    fn max_delay_caps_the_grown_delay() {
        let capped = RetryPolicy {
            limit: 6,
            max_delay: Some(Duration::from_secs(5)),
            ..policy(Backoff::Exponential)
        };
        let waits: Vec<u64> = (1..=6)
            .map(|r| capped.delay_before_retry(r).as_millis())
            .collect();
        assert_eq!(waits, [1_000, 2_000, 4_000, 5_000, 5_000, 5_000]);
        assert_eq!(capped.total_delay(), Duration::from_secs(22));
    }

    #[test]
    fn schedules_match_the_engine() {
        let exp: Vec<u64> = (1..=3)
            .map(|r| {
                policy(Backoff::Exponential)
                    .delay_before_retry(r)
                    .as_millis()
            })
            .collect();
        assert_eq!(exp, [1_000, 2_000, 4_000]);
        let lin: Vec<u64> = (1..=3)
            .map(|r| policy(Backoff::Linear).delay_before_retry(r).as_millis())
            .collect();
        assert_eq!(lin, [1_000, 2_000, 3_000]);
        let con: Vec<u64> = (1..=3)
            .map(|r| policy(Backoff::Constant).delay_before_retry(r).as_millis())
            .collect();
        assert_eq!(con, [1_000, 1_000, 1_000]);
    }

    #[test]
    fn backoff_names_round_trip() {
        for (name, backoff) in Backoff::ALL {
            assert_eq!(backoff.as_str(), name);
            assert_eq!(Backoff::parse(name), Some(backoff));
        }
        assert_eq!(Backoff::parse("Exponential"), None, "names are lowercase");
    }

    #[cfg(feature = "json")]
    #[test]
    fn config_json_uses_cloudflare_field_names() {
        let config = StepConfig {
            retries: policy(Backoff::Linear),
            timeout: Duration::from_secs(30),
        };
        assert_eq!(
            config.to_workflow_json(),
            serde_json::json!({
                "retries": {"limit": 3, "delay": "1 second", "backoff": "linear"},
                "timeout": "30 seconds"
            })
        );
    }
}
