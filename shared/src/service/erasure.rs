//! A shopper's privacy rights over what Framewise stores about them: erasure (everything
//! personal deleted, and kept deleted) and access (everything personal in one document).
//! Who may ask is the API layer's decision; these calls trust their caller.
//!
//! What is personal: the profile (prescription included), the signal history, the
//! engagement state behind co-occurrence, the stored lists and, in the local queue, signals
//! not applied yet. What stays after an erasure: the daily counts per style and the
//! co-occurring pairs (anonymous counts keyed by styles and days), and the bare event ids that
//! make signal processing idempotent. How each store lays this out is in `docs/dynamodb.md`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{not_found, Framewise};
use crate::domain::{validate_id, Customer, Signal, StoredList, Subject};
use crate::error::{ServiceError, ValidationErrors};
use crate::ports::Tombstone;

/// Version of the [`CustomerExport`] layout; bumped when a field changes meaning or goes.
pub const EXPORT_FORMAT_VERSION: u32 = 1;

/// How many records of each kind an erasure deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErasedCounts {
    /// 1 if there was a profile.
    pub profiles: usize,
    /// 1 if that profile held a prescription (deleted with it).
    pub prescriptions: usize,
    /// Stored recommendation lists.
    pub lists: usize,
    /// Signals in the history, impressions included.
    pub signals: usize,
    /// Styles recorded as engaged with (the per-shopper state behind co-occurrence).
    pub engaged_styles: usize,
    /// Signals still waiting in the local queue or its dead letters (always 0 on SQS, whose
    /// messages the tombstone refuses when the worker gets them).
    pub queued_signals: usize,
    /// Lists shown to the shopper and purchases credited to them (the measurement records
    /// that name them; the anonymous per-cell counters stay).
    #[serde(default)]
    pub measurements: usize,
    /// 1 if the shopper was ever sent an email digest (what it sent is forgotten).
    #[serde(default)]
    pub digest_markers: usize,
}

impl ErasedCounts {
    /// Records deleted in all; 0 when nothing was stored for the id.
    pub fn total(&self) -> usize {
        self.profiles
            + self.lists
            + self.signals
            + self.engaged_styles
            + self.queued_signals
            + self.measurements
            + self.digest_markers
    }
}

/// What [`Framewise::erase_customer`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErasureReport {
    pub customer_id: String,
    /// When the erasure started.
    pub erased_at: DateTime<Utc>,
    pub deleted: ErasedCounts,
    /// While the tombstone lives, signals for this id dated before this instant and lists
    /// computed before it are dropped on arrival: they were sent or computed before the
    /// erasure finished.
    pub late_data_cutoff: DateTime<Utc>,
    /// When the tombstone expires and stops refusing anything.
    pub late_data_refused_until: DateTime<Utc>,
}

/// Everything stored about one shopper, for the shopper (or an admin acting for them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CustomerExport {
    /// [`EXPORT_FORMAT_VERSION`] at the time of the export.
    #[schema(format = "uint32")]
    pub format_version: u32,
    pub generated_at: DateTime<Utc>,
    pub customer_id: String,
    /// The profile with the prescription opened (in clear), if there is a profile.
    pub profile: Option<Customer>,
    /// Every stored signal, newest first (purchases, browsing and impressions alike).
    pub signals: Vec<Signal>,
    /// Styles the shopper engaged with, most recent first.
    pub engaged_styles: Vec<String>,
    /// Stored recommendation lists.
    pub lists: Vec<StoredList>,
}

impl Framewise {
    /// Deletes everything stored about the customer and writes a tombstone so that data
    /// already on its way (queued signals, lists being computed) does not bring it back.
    /// Idempotent: on error, call again. Never NotFound: an id with nothing stored still
    /// gets its tombstone (its signals may be queued) and a report of zeros.
    pub async fn erase_customer(&self, customer_id: &str) -> Result<ErasureReport, ServiceError> {
        validate_id(customer_id).map_err(|m| ValidationErrors::single("customer_id", m))?;
        let subject = Subject::Customer(customer_id.to_string());
        let signals = &self.stores.signals;
        let erased_at = Utc::now();
        // Before any delete, so nothing new lands while the records go.
        signals
            .record_erasure(&subject, &Tombstone::at(erased_at))
            .await?;
        let queued_signals = self.stores.queue.drop_customer_signals(customer_id).await?;
        let erased = signals.erase_subject(&subject).await?;
        let lists = self.stores.lists.delete_lists(customer_id).await?;
        let measurements = self
            .stores
            .measurements
            .erase_measurements(&subject.key())
            .await?;
        let profile = self.stores.profiles.delete_customer(customer_id).await?;
        let digests = self.forget_digests(customer_id).await?;
        // Again after, so the cutoff also covers lists computed from data read while the
        // records were being deleted, however long that took.
        let tombstone = Tombstone::at(Utc::now());
        signals.record_erasure(&subject, &tombstone).await?;
        let deleted = ErasedCounts {
            profiles: usize::from(profile.is_some()),
            prescriptions: usize::from(profile.is_some_and(|p| p.had_prescription)),
            lists,
            signals: erased.signals,
            engaged_styles: erased.engaged_styles,
            queued_signals,
            measurements,
            digest_markers: usize::from(digests),
        };
        // Counts only: logs outlive the erasure, so they must not name the shopper.
        tracing::info!(records = deleted.total(), "erased a customer");
        Ok(ErasureReport {
            customer_id: customer_id.to_string(),
            erased_at,
            deleted,
            late_data_cutoff: tombstone.cutoff,
            late_data_refused_until: tombstone.expires_at,
        })
    }

    /// Everything stored about the customer (prescription opened), as of `now`. NotFound
    /// when nothing at all is stored for the id. Signals still in a queue are not included:
    /// they are in the history once applied, seconds later.
    pub async fn export_customer(
        &self,
        customer_id: &str,
        now: DateTime<Utc>,
    ) -> Result<CustomerExport, ServiceError> {
        validate_id(customer_id).map_err(|m| ValidationErrors::single("customer_id", m))?;
        let subject = Subject::Customer(customer_id.to_string());
        let (profile, signals, engaged_styles, list) = tokio::try_join!(
            self.stores.profiles.get_customer(customer_id),
            self.stores.signals.all_signals(&subject),
            self.stores.signals.engaged_styles(&subject),
            self.stores.lists.get_list(customer_id),
        )?;
        if profile.is_none() && signals.is_empty() && engaged_styles.is_empty() && list.is_none() {
            return Err(not_found("customer", customer_id));
        }
        Ok(CustomerExport {
            format_version: EXPORT_FORMAT_VERSION,
            generated_at: now,
            customer_id: customer_id.to_string(),
            profile,
            signals,
            engaged_styles,
            lists: list.into_iter().collect(),
        })
    }
}
