//! Erasure tombstones: the one definition of what a store refuses, for a while, after it
//! erased a subject, so the erasure is not undone by data already on its way.
//!
//! Deleting a shopper's records is not enough on its own: a signal sent before the erasure
//! may still sit in SQS (or in a client's retry buffer) and would write history again when
//! the worker applies it, and a list computed from a profile read just before the erasure
//! would be stored just after it. So every store keeps a [`Tombstone`] per erased subject
//! and, while it lives, refuses the subject's signals dated before its cutoff
//! ([`crate::ports::SignalStore::apply`]) and lists generated before it
//! ([`crate::ports::RecommendationStore::put_lists`]). The tombstone is stored under
//! [`tombstone_key`], a hash, so it does not name the subject; it expires after
//! [`TOMBSTONE_DAYS`].

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::MAX_CLOCK_SKEW_MINUTES;

/// How long a tombstone refuses late data. A signal reaches the worker at most 14 days
/// after it was queued (the retention of the SQS queue and its dead-letter queue in
/// `infra/template.yaml`; the local queue drops the shopper's signals at erasure); the rest
/// covers clients that resend from an offline buffer.
pub const TOMBSTONE_DAYS: i64 = 30;

/// What a store keeps about an erased subject: no id, two instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    /// The subject's signals dated before this, and its lists generated before this, are
    /// refused. Later ones are new activity and are kept.
    pub cutoff: DateTime<Utc>,
    /// From then on the tombstone refuses nothing and stores delete it.
    pub expires_at: DateTime<Utc>,
}

impl Tombstone {
    /// The tombstone of an erasure whose deletions were done by `at`. The cutoff lies
    /// [`MAX_CLOCK_SKEW_MINUTES`] later: a client whose clock runs ahead by up to that much
    /// (the most signal validation accepts) may date a signal sent before the erasure after it.
    pub fn at(at: DateTime<Utc>) -> Self {
        Self {
            cutoff: at + Duration::minutes(MAX_CLOCK_SKEW_MINUTES),
            expires_at: at + Duration::days(TOMBSTONE_DAYS),
        }
    }

    /// Whether the tombstone still refuses anything at `now`.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }

    /// Whether data of the subject dated `dated` (a signal's timestamp, a list's
    /// `generated_at`) is refused at `now`.
    pub fn refuses(&self, dated: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        self.is_live(now) && dated < self.cutoff
    }
}

/// The key a subject's tombstone is stored under: hex SHA-256 of the subject key (`c:<id>`)
/// with a fixed prefix. It names nobody to a reader of the store; anyone who already knows
/// an id can still test it, so the tombstone is pseudonymous, which is why it expires.
pub fn tombstone_key(subject_key: &str) -> String {
    hex::encode(
        Sha256::new()
            .chain_update(b"framewise-erasure-v1:")
            .chain_update(subject_key.as_bytes())
            .finalize(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_750_000_000, 0).expect("valid time") + Duration::minutes(minutes)
    }

    #[test]
    fn when_data_dated_before_cutoff_should_be_refused_until_expiry() {
        let tombstone = Tombstone::at(t(0));
        assert!(tombstone.refuses(t(-60), t(1)), "sent before the erasure");
        assert!(
            tombstone.refuses(t(MAX_CLOCK_SKEW_MINUTES - 1), t(1)),
            "a fast client clock"
        );
        assert!(
            !tombstone.refuses(t(MAX_CLOCK_SKEW_MINUTES), t(11)),
            "new activity"
        );
        let expired = t(TOMBSTONE_DAYS * 24 * 60);
        assert!(!tombstone.is_live(expired));
        assert!(!tombstone.refuses(t(-60), expired));
    }

    #[test]
    fn when_key_derived_should_be_stable_hex_and_never_contain_the_id() {
        let key = tombstone_key("c:cu-alice");
        assert_eq!(key, tombstone_key("c:cu-alice"));
        assert_eq!(key.len(), 64);
        assert!(key.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(!key.contains("alice"));
        assert_ne!(
            key,
            tombstone_key("s:cu-alice"),
            "customers and sessions differ"
        );
    }
}
