//! When long-running work must stop: the invocation deadline minus a safety margin, so the
//! function still has time to finish a batch and record where to resume.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lambda_runtime::Context;

use crate::env::Env;
use crate::error::ConfigError;

/// The safety margin kept before the Lambda deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkDeadline {
    pub safety: Duration,
}

impl WorkDeadline {
    /// The margin from the whole seconds in `variable`, `default_secs` when unset.
    pub fn from_env(env: &Env, variable: &str, default_secs: u64) -> Result<Self, ConfigError> {
        Ok(Self {
            safety: env.secs(variable, default_secs)?,
        })
    }

    /// The instant to stop working in the invocation of `context`.
    pub fn for_invocation(&self, context: &Context) -> Instant {
        let now_epoch_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|since| u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or_default();
        self.at(context.deadline, now_epoch_ms, Instant::now())
    }

    /// The instant to stop working: `deadline_epoch_ms` (milliseconds since the epoch, as
    /// the Lambda context gives it) minus the margin, measured from `now` (which is
    /// `now_epoch_ms` on the wall clock). Never before `now`.
    pub fn at(&self, deadline_epoch_ms: u64, now_epoch_ms: u64, now: Instant) -> Instant {
        let remaining = Duration::from_millis(deadline_epoch_ms.saturating_sub(now_epoch_ms));
        now + remaining.saturating_sub(self.safety)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW_MS: u64 = 1_767_000_000_000;

    #[test]
    fn when_time_remains_should_stop_the_margin_before_the_deadline() {
        let deadline = WorkDeadline {
            safety: Duration::from_secs(60),
        };
        let now = Instant::now();
        let stop = deadline.at(NOW_MS + 900_000, NOW_MS, now);
        assert_eq!(stop - now, Duration::from_secs(840));
    }

    #[test]
    fn when_margin_exceeds_remaining_or_deadline_passed_should_stop_now() {
        let deadline = WorkDeadline {
            safety: Duration::from_secs(30),
        };
        let now = Instant::now();
        assert_eq!(deadline.at(NOW_MS + 10_000, NOW_MS, now), now);
        assert_eq!(deadline.at(NOW_MS - 5_000, NOW_MS, now), now);
    }

    #[test]
    fn when_margin_configured_should_read_it_or_default_and_name_a_bad_value() {
        let env = Env::from_pairs(&[
            ("FRAMEWISE_REGENERATE_SAFETY_SECS", "90"),
            ("FRAMEWISE_CATALOG_SYNC_SAFETY_SECS", "half a minute"),
        ]);
        let regenerate = WorkDeadline::from_env(&env, "FRAMEWISE_REGENERATE_SAFETY_SECS", 60);
        assert_eq!(regenerate.expect("90").safety, Duration::from_secs(90));
        let unset = WorkDeadline::from_env(&env, "FRAMEWISE_OTHER_SAFETY_SECS", 30);
        assert_eq!(unset.expect("default").safety, Duration::from_secs(30));
        let message = WorkDeadline::from_env(&env, "FRAMEWISE_CATALOG_SYNC_SAFETY_SECS", 30)
            .expect_err("not seconds")
            .to_string();
        assert!(
            message.contains("FRAMEWISE_CATALOG_SYNC_SAFETY_SECS"),
            "{message}"
        );
    }
}
