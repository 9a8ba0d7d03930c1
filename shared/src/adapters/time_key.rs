//! Order-preserving keys of timestamps, for stores that sort history and engagements by
//! time (redb tables, the in-memory maps and DynamoDB sort keys).

use chrono::{DateTime, Utc};

/// Order-preserving key of a timestamp: millis since the epoch with the sign bit flipped,
/// so pre-1970 times still sort before later ones as unsigned integers.
pub(crate) fn time_key(ts: DateTime<Utc>) -> u64 {
    (ts.timestamp_millis() as u64) ^ (1 << 63)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_times_straddle_epoch_should_keep_order() {
        let before = DateTime::from_timestamp_millis(-5).expect("valid time");
        let after = DateTime::from_timestamp_millis(5).expect("valid time");
        assert!(time_key(before) < time_key(after));
    }
}
