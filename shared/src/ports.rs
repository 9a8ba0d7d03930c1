//! Ports: the small storage and messaging traits the service depends on.
//! The embedded default (redb on one machine) and the AWS adapters (DynamoDB, SQS, S3)
//! implement the same traits, so the engine and handlers never know which one runs.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{
    Coordinates, Customer, Feeds, LensPriceList, ListPage, ListStamp, Signal, StoredList, Style,
    Subject, Weather,
};
use crate::error::{StoreError, StoreResult, WeatherError};
use crate::experiments::attribution::{AttributedPurchase, CellKey, Counters, Credit, Exposure};
use crate::experiments::Experiment;

// Re-exported so `ports::DailyStyleCounts` and friends keep working; defined in `aggregates`.
pub use crate::aggregates::erasure::Tombstone;
pub use crate::aggregates::{kind_index, CoOccurrence, DailyStyleCounts};

/// Frames and their stock; written by imports and catalogue sync, read by everything.
#[async_trait]
pub trait CatalogStore: Send + Sync {
    /// Inserts or replaces styles by id (an import or a catalogue feed).
    async fn put_styles(&self, styles: &[Style]) -> StoreResult<()>;
    async fn get_style(&self, id: &str) -> StoreResult<Option<Style>>;
    /// Every style, active or not, ordered by id. Used to build models, never per request.
    async fn list_styles(&self) -> StoreResult<Vec<Style>>;
    /// Inserts or replaces lens price lists by currency (imported with the catalogue).
    async fn put_lens_prices(&self, lists: &[LensPriceList]) -> StoreResult<()>;
    /// The lens price list in `currency`, if one was imported (bundles price lenses by it).
    async fn lens_prices(&self, currency: &str) -> StoreResult<Option<LensPriceList>>;
}

/// Shopper profiles (prescription included: implementations keep it behind this port).
#[async_trait]
pub trait ProfileStore: Send + Sync {
    async fn put_customers(&self, customers: &[Customer]) -> StoreResult<()>;
    async fn get_customer(&self, id: &str) -> StoreResult<Option<Customer>>;
    /// Deletes the profile and everything personal in it (prescription included) with its
    /// entry in the id index. `None` if there was no profile.
    async fn delete_customer(&self, id: &str) -> StoreResult<Option<DeletedProfile>>;
    /// Ids of every stored customer, ordered. Used by the scheduled regeneration.
    async fn list_customer_ids(&self) -> StoreResult<Vec<String>>;
}

/// Precomputed recommendation lists, one per customer.
#[async_trait]
pub trait RecommendationStore: Send + Sync {
    async fn get_list(&self, customer_id: &str) -> StoreResult<Option<StoredList>>;
    /// A window of the customer's list. Backends that can decode only the requested items
    /// override this; the hot read path of the API uses it.
    async fn get_list_page(
        &self,
        customer_id: &str,
        offset: usize,
        limit: usize,
    ) -> StoreResult<Option<ListPage>> {
        Ok(self
            .get_list(customer_id)
            .await?
            .map(|list| list.page(offset, limit)))
    }
    /// Inserts or replaces lists by customer id. A list its customer's live tombstone
    /// refuses (generated before an erasure's cutoff: computed from data read before or
    /// during the erasure) is not kept; see [`SignalStore::record_erasure`].
    async fn put_lists(&self, lists: &[StoredList]) -> StoreResult<()>;
    /// The stamps of the stored lists of `customer_ids` (customers without a list are left
    /// out), so a recompute can skip lists that did not change. Backends that keep the
    /// stamp beside the list override this to read only it; the default reads whole lists.
    async fn list_stamps(
        &self,
        customer_ids: &[String],
    ) -> StoreResult<HashMap<String, ListStamp>> {
        let mut stamps = HashMap::with_capacity(customer_ids.len());
        for id in customer_ids {
            if let Some(list) = self.get_list(id).await? {
                stamps.insert(id.clone(), list.stamp());
            }
        }
        Ok(stamps)
    }
    /// Deletes every stored list of the customer; returns how many there were. Stores that
    /// keep lists implement it; the default refuses, so a wrapper that cannot delete (the
    /// read-only lists of the read-only Lambda functions) fails an erasure loudly instead of
    /// leaving lists behind.
    async fn delete_lists(&self, customer_id: &str) -> StoreResult<usize> {
        let _ = customer_id;
        Err(StoreError::Backend(
            "this lists store cannot delete lists".to_string(),
        ))
    }
}

/// Interaction history and the aggregates derived from it.
#[async_trait]
pub trait SignalStore: Send + Sync {
    /// Applies signals idempotently by `event_id`, atomically per call: appends each new
    /// signal to its subject's history, adds it to the daily counts of its style, and for
    /// engagement kinds (`SignalKind::is_engagement`) counts the subject once for every pair
    /// of distinct styles it engaged with. Returns the signals that were new.
    async fn apply(&self, signals: &[Signal]) -> StoreResult<Vec<Signal>>;
    /// The history lists and models are computed from, newest first: every decisive signal
    /// of the subject (purchases, returns, dismissals) plus its most recent `limit` browsing
    /// signals; impressions never (see [`crate::aggregates::history`]). A window must never
    /// drop a purchase (the "already bought" filter reads it here), and showing lists must
    /// never push meaningful signals out, so only browsing is windowed.
    async fn history(&self, subject: &Subject, limit: usize) -> StoreResult<Vec<Signal>>;
    /// Every stored signal of the subject, of every class (impressions included), newest
    /// first: what a data export hands over.
    async fn all_signals(&self, subject: &Subject) -> StoreResult<Vec<Signal>>;
    /// Daily counts of every style on or after `since`.
    async fn daily_counts(&self, since: NaiveDate) -> StoreResult<Vec<DailyStyleCounts>>;
    /// Every co-occurring pair, each unordered pair once (`style_a < style_b`).
    async fn co_occurrences(&self) -> StoreResult<Vec<CoOccurrence>>;
    /// Every subject with at least one signal.
    async fn subjects(&self) -> StoreResult<Vec<Subject>>;
    /// Every style the subject engaged with (first engagements), most recent first: the
    /// per-subject state behind co-occurrence, for a data export.
    async fn engaged_styles(&self, subject: &Subject) -> StoreResult<Vec<String>>;
    /// Stores (or replaces) the subject's tombstone and removes expired ones. While it lives,
    /// `apply` refuses the subject's signals dated before its cutoff and
    /// [`RecommendationStore::put_lists`] its lists generated before it. Write it before
    /// erasing, so nothing lands during the deletion, and again after, so the cutoff also
    /// covers computations that read data while it was being deleted.
    async fn record_erasure(&self, subject: &Subject, tombstone: &Tombstone) -> StoreResult<()>;
    /// Deletes everything the store keeps per subject: its history (every class), its entry
    /// in the subject index and its engagement state. Anonymous aggregates (daily counts, co-occurring
    /// pairs) and the bare event ids that keep `apply` idempotent stay: they name nobody.
    async fn erase_subject(&self, subject: &Subject) -> StoreResult<ErasedSubject>;
}

/// What [`ProfileStore::delete_customer`] deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeletedProfile {
    /// The profile held a prescription (told without opening it, so an erasure does not
    /// depend on the encryption key).
    pub had_prescription: bool,
}

/// What [`SignalStore::erase_subject`] deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ErasedSubject {
    /// Stored signals of every class (decisive, browsing, impressions).
    pub signals: usize,
    /// Styles the subject had engaged with (first-engagement records).
    pub engaged_styles: usize,
}

/// A signal taken from the queue, to be acknowledged once processed.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedSignal {
    /// Opaque handle for `ack`.
    pub receipt: String,
    pub signal: Signal,
    /// How many times this message has been received, this time included.
    pub receive_count: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EnqueueOutcome {
    pub accepted: usize,
    pub duplicates: usize,
}

/// The durable hand-off between accepting a signal (202) and processing it.
#[async_trait]
pub trait SignalQueue: Send + Sync {
    /// All or nothing: when this returns Ok every new signal is durably queued; on Err none
    /// is. A signal whose `event_id` was accepted before counts as a duplicate and is not
    /// queued again (where the backend can tell; the worker is idempotent regardless).
    async fn enqueue(&self, signals: &[Signal]) -> StoreResult<EnqueueOutcome>;
    /// Up to `max` of the oldest unacknowledged signals. A message not acknowledged is
    /// delivered again later; one received `max_receives` times goes to the dead-letter store.
    async fn receive(&self, max: usize) -> StoreResult<Vec<QueuedSignal>>;
    /// Removes processed messages.
    async fn ack(&self, receipts: &[String]) -> StoreResult<()>;
    /// Messages waiting (not counting dead letters).
    async fn depth(&self) -> StoreResult<u64>;
    /// Removes the customer's signals from the queue and the dead letters; returns how many.
    /// A queue that cannot select messages (SQS) returns 0: its messages still reach the
    /// worker, where the customer's tombstone refuses them (see
    /// [`SignalStore::record_erasure`]), and its dead letters expire with the queue's
    /// retention.
    async fn drop_customer_signals(&self, customer_id: &str) -> StoreResult<usize>;
}

/// Versioned model artifacts, with a `current` pointer written last so readers switch
/// atomically from one complete version to the next.
#[async_trait]
pub trait ModelArtifactStore: Send + Sync {
    async fn put(&self, version: &str, name: &str, bytes: &[u8]) -> StoreResult<()>;
    async fn get(&self, version: &str, name: &str) -> StoreResult<Option<Vec<u8>>>;
    async fn set_current(&self, version: &str) -> StoreResult<()>;
    async fn current(&self) -> StoreResult<Option<String>>;
}

/// The measurement loop's records (see [`crate::experiments::attribution`]): lists shown
/// (exposures), actions credited to them, the per-cell counters online metrics are read
/// from, and the experiments. Exposures and attributed purchases name a shopper, so they
/// expire after [`MEASUREMENT_RETENTION_DAYS`] and an erasure deletes them; counters name
/// nobody and stay.
#[async_trait]
pub trait MeasurementStore: Send + Sync {
    /// Keeps each exposure (attribution reads it back) and adds it to its cell's counters,
    /// both at once per exposure and once per `exposure_id`.
    async fn record_exposures(&self, exposures: &[Exposure]) -> StoreResult<()>;
    /// The subject's exposures shown at or after `since`, oldest first.
    async fn exposures(&self, subject: &str, since: DateTime<Utc>) -> StoreResult<Vec<Exposure>>;
    /// Adds each credit's counters to its cell and keeps its purchase, both at once per
    /// credit and once per `event_id` (a redelivered signal is not counted twice). Returns
    /// how many credits were new.
    async fn record_credits(&self, credits: &[Credit]) -> StoreResult<usize>;
    /// The subject's attributed purchases made at or after `since`, oldest first.
    async fn attributed_purchases(
        &self,
        subject: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<AttributedPurchase>>;
    /// Counters of every cell whose day is in `from..=to`, ordered by key.
    async fn counters(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<(CellKey, Counters)>>;
    /// Deletes the subject's exposures and attributed purchases; returns how many.
    async fn erase_measurements(&self, subject: &str) -> StoreResult<usize>;
    /// Inserts or replaces an experiment by id.
    async fn put_experiment(&self, experiment: &Experiment) -> StoreResult<()>;
    /// Every experiment, ordered by id.
    async fn experiments(&self) -> StoreResult<Vec<Experiment>>;
}

/// Days exposures and attributed purchases are kept: the purchase window (7 days) for a
/// purchase after its exposure, plus 7 more for a return after its purchase.
pub const MEASUREMENT_RETENTION_DAYS: i64 = 15;

/// The last storage failure a backend saw and has not recovered from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StoreFailure {
    /// When it first failed.
    pub since: chrono::DateTime<chrono::Utc>,
    /// The error, as logged (never record contents).
    pub error: String,
    /// `io`: the disk failed (full, removed); `panic`: the storage layer panicked.
    pub kind: String,
}

/// How a backend reports its own condition to the health check.
#[async_trait]
pub trait StoreHealth: Send + Sync {
    /// The failure the backend has not recovered from, if any. Backends that fail per call
    /// (DynamoDB) have none: their errors surface on the calls themselves.
    async fn failure(&self) -> Option<StoreFailure> {
        None
    }
    /// Signals that exhausted their deliveries and wait for an operator; `None` where the
    /// backend cannot count them here (on AWS the dead-letter queue has its own alarm).
    async fn dead_letters(&self) -> StoreResult<Option<u64>> {
        Ok(None)
    }
}

/// A backend with nothing to report beyond its calls' own errors.
pub struct NoStoreHealth;

impl StoreHealth for NoStoreHealth {}

/// Current weather by location: a public forecast service (`adapters::weather`), off unless
/// configured. The service caches readings per location and treats any error as no weather.
#[async_trait]
pub trait WeatherSource: Send + Sync {
    async fn current(&self, at: Coordinates) -> Result<Weather, WeatherError>;
}

/// Trend feeds and influencer collections as currently published (a directory locally, the
/// bucket's `feeds/trends/` and `feeds/collections/` on AWS). A file that does not parse is
/// left out and named in `Feeds::skipped`; an error means the place could not be read at
/// all. The service caches the answer and serves lists without feeds on any error.
#[async_trait]
pub trait FeedSource: Send + Sync {
    async fn feeds(&self) -> StoreResult<Feeds>;
}

/// Where live prices come from (`[pricing] source`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceSourceKind {
    /// The catalogue's prices only (the default).
    #[default]
    None,
    /// A JSON file, read again once its prices are older than the TTL.
    File,
    /// An HTTP endpoint, asked with the page's style ids.
    Http,
}

/// Live prices from the shop's dynamic pricing system: a JSON file locally or an HTTP
/// endpoint (`adapters::prices`). Styles the source does not price are left out of the
/// answer. The service caches answers for `pricing.ttl_seconds`, bounds each call by
/// `pricing.timeout_ms` and serves catalogue prices on any error.
#[async_trait]
pub trait PriceSource: Send + Sync {
    /// Price in cents by style id, for those of `style_ids` the source knows.
    async fn prices(&self, style_ids: &[String]) -> StoreResult<HashMap<String, u32>>;
}

/// The merchandising rules file as last published: `merchandising.toml` locally,
/// `config/merchandising.toml` in the bucket on AWS. The service parses it, keeps the last
/// good rules when a new version does not parse, and asks again after
/// `merchandising.reload_secs`.
#[async_trait]
pub trait MerchandisingSource: Send + Sync {
    /// The file's text and a version tag (modification time, ETag); `None` when there is no
    /// file (no rules). An error means the place could not be read.
    async fn read(&self) -> StoreResult<Option<MerchandisingDocument>>;
    /// Where the rules come from, for logs and errors (a path, `s3://bucket/key`).
    fn describe(&self) -> String;
}

/// One read of a [`MerchandisingSource`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchandisingDocument {
    pub text: String,
    /// Changes whenever the content may have changed; equal versions are not parsed again.
    pub version: String,
}

/// Every port the service needs, as shared trait objects.
#[derive(Clone)]
pub struct Stores {
    pub catalog: Arc<dyn CatalogStore>,
    pub profiles: Arc<dyn ProfileStore>,
    pub lists: Arc<dyn RecommendationStore>,
    pub signals: Arc<dyn SignalStore>,
    pub queue: Arc<dyn SignalQueue>,
    pub artifacts: Arc<dyn ModelArtifactStore>,
    pub measurements: Arc<dyn MeasurementStore>,
    pub health: Arc<dyn StoreHealth>,
}
