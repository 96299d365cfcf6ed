//! A partial policy: what one attribute level or one file entry sets. Each field set replaces
//! only itself, so levels compose: Cloudflare's defaults, then the workflow's or sender's
//! attribute, then the step's or handler's own, then the file's broader entry, then its exact one.

use crate::duration::Duration;
use crate::retry::{Backoff, StepConfig};

/// A partial [`StepConfig`]: each `Some` field replaces that field of the config it is
/// [applied](PolicyPatch::apply) to, each `None` keeps it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PolicyPatch {
    /// Retries after the first attempt.
    pub limit: Option<u32>,
    /// The wait before the first retry.
    pub delay: Option<Duration>,
    /// How the wait grows between retries.
    pub backoff: Option<Backoff>,
    /// A cap on the grown wait.
    pub max_delay: Option<Duration>,
    /// How long one attempt may run before it counts as failed.
    pub timeout: Option<Duration>,
}

impl PolicyPatch {
    /// Whether the patch sets nothing (applying it changes no config).
    pub fn is_empty(&self) -> bool {
        *self == PolicyPatch::default()
    }

    /// `config` with the fields this patch sets replaced.
    pub fn apply(&self, mut config: StepConfig) -> StepConfig {
        if let Some(limit) = self.limit {
            config.retries.limit = limit;
        }
        if let Some(delay) = self.delay {
            config.retries.delay = delay;
        }
        if let Some(backoff) = self.backoff {
            config.retries.backoff = backoff;
        }
        if let Some(max_delay) = self.max_delay {
            config.retries.max_delay = Some(max_delay);
        }
        if let Some(timeout) = self.timeout {
            config.timeout = timeout;
        }
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_replaces_only_what_it_sets() {
        let base = StepConfig::WORKFLOWS_DEFAULT;
        let patch = PolicyPatch {
            limit: Some(8),
            ..PolicyPatch::default()
        };
        let patched = patch.apply(base);
        assert_eq!(patched.retries.limit, 8);
        assert_eq!(patched.retries.delay, base.retries.delay);
        assert_eq!(patched.retries.backoff, base.retries.backoff);
        assert_eq!(patched.timeout, base.timeout);
        assert_eq!(PolicyPatch::default().apply(base), base);
    }
}
