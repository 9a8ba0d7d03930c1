//! How DynamoDB persists a signal. The rules (what a signal changes) are
//! [`crate::aggregates::apply`]: this file only lays the [`SignalEffects`] of each signal
//! and its [`co_occurrence_pairs`] out as DynamoDB requests, because DynamoDB cannot make a
//! batch of signals atomic (see "Applying a signal" in `docs/dynamodb.md`):
//!
//! 1. the day's `DAYS` index entry (idempotent put, once per process and day);
//! 2. one transaction: the event marker (conditional, so a redelivered event changes
//!    nothing), the daily count, and for a subject the history item (in the sort-key range
//!    of its class; decisive signals without TTL), the subject index entry and a check that
//!    no tombstone of the subject refuses the signal (see `erasure.rs`);
//! 3. for an engagement: a conditional first-engagement put (with the tombstone check); only
//!    if it is the first, the pairs with the most recent engagements and the engagement order
//!    item (with the tombstone check again).

use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use chrono::{DateTime, NaiveDate, Utc};

use super::item::{count_attribute, data_item, epoch, key_item, n, s, string_attr, EXPIRES_AT};
use super::keys::{
    daily_counts_key, day_key, engagement_order_key, engagement_partition, event_marker_key,
    first_engagement_key, history_key, pair_key, subject_index_key, ENGAGEMENT_ORDER_PREFIX,
};
use super::requests::{put_action, QueryOptions, Range};
use super::DynamoStore;
use crate::adapters::aws::sdk_error;
use crate::aggregates::apply::{co_occurrence_pairs, effects_of, Engagement, SignalEffects};
use crate::aggregates::history::HistoryClass;
use crate::domain::Signal;
use crate::error::{StoreError, StoreResult};

/// Concurrent UpdateItem calls when counting co-occurrence pairs.
const PAIR_WRITERS: usize = 16;

impl DynamoStore {
    /// [`crate::ports::SignalStore::apply`] on DynamoDB: per signal, in order, the steps
    /// above. A signal whose marker exists is skipped, so redelivered batches are harmless.
    pub(super) async fn apply_in_order(&self, signals: &[Signal]) -> StoreResult<Vec<Signal>> {
        let now = Utc::now();
        let mut new = Vec::new();
        for signal in signals {
            let effects = effects_of(signal);
            if !self.apply_core(&effects, now).await? {
                continue;
            }
            if let Some(engagement) = &effects.engagement {
                self.apply_engagement(engagement, signal.timestamp, now)
                    .await?;
            }
            new.push(signal.clone());
        }
        Ok(new)
    }

    /// Adds `day` to the `DAYS` index once per process (idempotent put).
    async fn index_day(&self, day: NaiveDate) -> StoreResult<()> {
        let known = self
            .days_indexed
            .lock()
            .map(|days| days.contains(&day))
            .unwrap_or(false);
        if !known {
            self.put_item(key_item(day_key(day))).await?;
            if let Ok(mut days) = self.days_indexed.lock() {
                days.insert(day);
            }
        }
        Ok(())
    }

    /// Steps 1 and 2, atomically for step 2: the event marker (conditional), the daily
    /// count, and for a subject its history item, subject index entry and tombstone check.
    /// `Ok(false)` if the event was applied before or the subject's tombstone refuses it.
    async fn apply_core(
        &self,
        effects: &SignalEffects<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut marker = key_item(event_marker_key(effects.event_id));
        marker.insert(EXPIRES_AT.to_string(), epoch(now + self.retention));
        let mut actions = vec![put_action(
            &self.table,
            marker,
            Some("attribute_not_exists(#pk)"),
        )?];
        if let Some(daily) = effects.daily {
            self.index_day(daily.day).await?;
            actions.push(
                TransactWriteItem::builder()
                    .update(
                        Update::builder()
                            .table_name(&self.table)
                            .set_key(Some(key_item(daily_counts_key(daily.day, daily.style_id))))
                            .update_expression("ADD #c :one")
                            .expression_attribute_names("#c", count_attribute(daily.kind))
                            .expression_attribute_values(":one", n(1))
                            .build()
                            .map_err(|e| sdk_error("DynamoDB Update", e))?,
                    )
                    .build(),
            );
        }
        if let Some(history) = &effects.history {
            let signal = history.signal;
            let key = history_key(
                &history.subject_key,
                history.class,
                signal.timestamp,
                &signal.event_id,
            );
            let mut item = data_item(key, signal, "signal")?;
            let session = self.session_expiry(&history.subject_key, signal.timestamp);
            // Decisive signals of customers stay until erasure: a purchase must not expire
            // from the history the "already bought" filter reads. A session's whole history
            // expires with the session.
            if let Some(expiry) = session {
                item.insert(EXPIRES_AT.to_string(), expiry);
            } else if history.class != HistoryClass::Decisive {
                item.insert(
                    EXPIRES_AT.to_string(),
                    epoch(signal.timestamp + self.retention),
                );
            }
            actions.push(put_action(&self.table, item, None)?);
            let mut index = key_item(subject_index_key(&history.subject_key));
            // Rewritten by every signal, so a session leaves the index (and never reaches
            // training or shards) a retention period after its last activity.
            if let Some(expiry) = self.session_expiry(&history.subject_key, now) {
                index.insert(EXPIRES_AT.to_string(), expiry);
            }
            actions.push(put_action(&self.table, index, None)?);
            actions.push(self.tombstone_check(&history.subject_key, signal.timestamp, now)?);
        }
        self.transact(actions).await
    }

    /// Step 3: on the subject's first engagement with the style, counts the subject once
    /// for each pair with its most recent other engagements. Both per-subject writes carry
    /// the tombstone check, so an erasure that started after step 2 leaves nothing behind.
    async fn apply_engagement(
        &self,
        engagement: &Engagement<'_>,
        dated: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let subject_key = engagement.subject_key.as_str();
        let mut first_engagement = key_item(first_engagement_key(subject_key, engagement.style_id));
        let session_expiry = self.session_expiry(subject_key, now);
        if let Some(expiry) = &session_expiry {
            first_engagement.insert(EXPIRES_AT.to_string(), expiry.clone());
        }
        let first = self
            .transact(vec![
                put_action(
                    &self.table,
                    first_engagement,
                    Some("attribute_not_exists(#pk)"),
                )?,
                self.tombstone_check(subject_key, dated, now)?,
            ])
            .await?;
        if !first {
            return Ok(());
        }
        let recent = self
            .query(
                engagement_partition(subject_key),
                Range::Prefix(ENGAGEMENT_ORDER_PREFIX.to_string()),
                QueryOptions {
                    descending: true,
                    consistent: true,
                    limit: Some(self.pair_cap),
                },
            )
            .await?;
        let recent: Vec<&str> = recent
            .iter()
            .map(|item| string_attr(item, "style"))
            .collect::<StoreResult<_>>()?;
        let pairs = co_occurrence_pairs(engagement.style_id, recent, self.pair_cap);
        self.add_pairs(pairs).await?;
        let mut order = key_item(engagement_order_key(
            subject_key,
            engagement.at,
            engagement.style_id,
        ));
        order.insert("style".to_string(), s(engagement.style_id));
        if let Some(expiry) = session_expiry {
            order.insert(EXPIRES_AT.to_string(), expiry);
        }
        self.transact(vec![
            put_action(&self.table, order, None)?,
            self.tombstone_check(subject_key, dated, now)?,
        ])
        .await?;
        Ok(())
    }

    /// Counts one more subject for each pair with plain `ADD` updates, [`PAIR_WRITERS`] in
    /// flight: atomic per pair, no transaction conflicts on popular pairs.
    async fn add_pairs(&self, pairs: Vec<(&str, &str)>) -> StoreResult<()> {
        let mut pending = pairs.into_iter();
        let mut running = tokio::task::JoinSet::new();
        loop {
            while running.len() < PAIR_WRITERS {
                let Some((a, b)) = pending.next() else { break };
                let request = self
                    .client
                    .update_item()
                    .table_name(&self.table)
                    .set_key(Some(key_item(pair_key(a, b))))
                    .update_expression("SET #a = :a, #b = :b ADD #n :one")
                    .expression_attribute_names("#a", "a")
                    .expression_attribute_names("#b", "b")
                    .expression_attribute_names("#n", "n")
                    .expression_attribute_values(":a", s(a))
                    .expression_attribute_values(":b", s(b))
                    .expression_attribute_values(":one", n(1));
                running.spawn(async move { request.send().await.map(|_| ()) });
            }
            let Some(done) = running.join_next().await else {
                return Ok(());
            };
            done.map_err(|e| StoreError::Backend(format!("pair update task failed: {e}")))?
                .map_err(|e| sdk_error("DynamoDB UpdateItem", e))?;
        }
    }
}
