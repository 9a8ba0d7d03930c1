//! The email digest: a shopper's top relevant frames they were not sent before, as an HTML
//! email whose links carry `recommendation_id` and `placement=email`, so a click and a later
//! purchase are credited to the list like any other placement's.
//!
//! The list is served through [`Framewise::recommendations`] at placement `email` (one
//! exposure per digest sent). A marker per shopper (what was sent, when) is kept in the
//! artifact store under [`DIGEST_MARKERS`]; a shopper whose top frames were all sent before
//! gets no digest, and nobody gets two within [`DIGEST_MIN_INTERVAL_DAYS`], so a job re-run
//! in the same week only reaches the shoppers it missed. Where a digest goes is the caller's
//! [`DigestOutbox`]: a file locally, `digests/{date}/{customer_id}.html` in S3 on AWS.

use std::collections::HashSet;
use std::time::Instant;

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::copy::{product_copy, CopyFacts};
use crate::domain::{validate_id, Reason, RecommendedItem, StoredList, Style};
use crate::error::{ServiceError, StoreError, ValidationErrors};
use crate::service::{Framewise, RecommendationQuery};

pub(super) const TEMPLATE: &str = "digest.html";

/// The placement a digest's list is served and measured under.
pub const EMAIL_PLACEMENT: &str = "email";
/// Most frames in one digest.
pub const DIGEST_ITEMS: usize = 6;
/// The top of the shopper's list a digest's frames come from: further down is not relevant
/// enough to email about.
const RELEVANT_WINDOW: usize = 24;
/// The artifact "version" the digest markers are kept under (one file per shopper).
pub const DIGEST_MARKERS: &str = "digest-markers";
/// The fewest days between two digests of one shopper.
pub const DIGEST_MIN_INTERVAL_DAYS: i64 = 6;
/// Style ids a marker remembers (the newest first).
const MARKER_MEMORY: usize = 200;

/// What the last digests of one shopper sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DigestMarker {
    pub sent_at: DateTime<Utc>,
    pub recommendation_id: String,
    /// Every style sent in recent digests, the newest first.
    pub style_ids: Vec<String>,
}

/// One frame of a digest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DigestItem {
    pub style_id: String,
    pub name: String,
    pub brand: String,
    pub image_url: String,
    /// "USD 129.00".
    pub price: String,
    pub reasons: Vec<Reason>,
    pub copy: String,
    /// The product page, with `recommendation_id` and `placement=email` for attribution.
    pub link: String,
}

/// A rendered digest, ready to hand to the shop's email tool.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmailDigest {
    pub customer_id: String,
    pub recommendation_id: String,
    pub created_at: DateTime<Utc>,
    pub items: Vec<DigestItem>,
    pub html: String,
}

/// Where rendered digests go (a file, an S3 object for the email tool).
#[async_trait]
pub trait DigestOutbox: Send + Sync {
    async fn deliver(&self, digest: &EmailDigest) -> Result<(), StoreError>;
}

/// What [`Framewise::send_digest`] did for one shopper.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum DigestOutcome {
    Sent {
        recommendation_id: String,
        style_ids: Vec<String>,
    },
    /// Every relevant frame was in an earlier digest.
    NothingNew,
    /// The last digest is younger than [`DIGEST_MIN_INTERVAL_DAYS`].
    TooSoon { last_sent_at: DateTime<Utc> },
}

/// One bounded pass of the digest job, resumable from `next_cursor`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestBatch {
    /// Shoppers looked at (those with a stored list among them were considered).
    pub checked: usize,
    pub sent: usize,
    /// Nothing new, too soon, or no stored list.
    pub skipped: usize,
    /// Shoppers whose digest failed (logged); the next run tries them again.
    pub failed: usize,
    /// The last shopper done when the pass stopped early; `None` once all were covered.
    pub next_cursor: Option<String>,
}

/// Where the AWS job writes a digest in the artifacts bucket.
pub fn digest_key(date: NaiveDate, customer_id: &str) -> String {
    format!("digests/{date}/{customer_id}.html")
}

/// The marker's artifact name: a digest of the id (ids may hold characters artifact names
/// may not, and the bucket listing then names nobody).
fn marker_name(customer_id: &str) -> String {
    format!(
        "{}.json",
        hex::encode(&Sha256::digest(customer_id.as_bytes())[..16])
    )
}

impl Framewise {
    /// Forgets what digests the shopper was sent (erasure); whether there was anything.
    pub(in crate::service) async fn forget_digests(
        &self,
        customer_id: &str,
    ) -> Result<bool, ServiceError> {
        if self.digest_marker(customer_id).await?.is_none() {
            return Ok(false);
        }
        self.stores
            .artifacts
            .put(DIGEST_MARKERS, &marker_name(customer_id), &[])
            .await?;
        Ok(true)
    }

    /// The shopper's last digest marker, if they were ever sent one.
    pub async fn digest_marker(
        &self,
        customer_id: &str,
    ) -> Result<Option<DigestMarker>, ServiceError> {
        let Some(bytes) = self
            .stores
            .artifacts
            .get(DIGEST_MARKERS, &marker_name(customer_id))
            .await?
        else {
            return Ok(None);
        };
        // An erased shopper's marker is overwritten empty (the artifact port has no delete).
        if bytes.is_empty() {
            return Ok(None);
        }
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("digest marker of {customer_id}: {e}")).into())
    }

    /// Renders the shopper's digest, or says why there is none. Nothing is recorded as sent:
    /// deliver it, then call [`Framewise::record_digest_sent`] (or use
    /// [`Framewise::send_digest`], which does both).
    pub async fn email_digest(
        &self,
        customer_id: &str,
        shop_url: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<EmailDigest, DigestOutcome>, ServiceError> {
        validate_id(customer_id).map_err(|m| ValidationErrors::single("customer_id", m))?;
        let shop_url = check_shop_url(shop_url)?;
        let marker = self.digest_marker(customer_id).await?;
        let sent: HashSet<&str> = marker
            .iter()
            .flat_map(|m| m.style_ids.iter().map(String::as_str))
            .collect();
        // The cheapest reason first (a re-run of the weekly job meets it for every shopper
        // it already reached), then the stored list, so a shopper skipped is never counted
        // as shown at `email`.
        if let Some(last) = marker
            .as_ref()
            .filter(|m| now - m.sent_at < Duration::days(DIGEST_MIN_INTERVAL_DAYS))
        {
            return Ok(Err(DigestOutcome::TooSoon {
                last_sent_at: last.sent_at,
            }));
        }
        let list = self.fresh_list(customer_id, now).await?;
        let engine = self.engine();
        let anything_new = list.items.iter().take(RELEVANT_WINDOW).any(|item| {
            !sent.contains(item.style_id.as_str())
                && engine
                    .style(&item.style_id)
                    .is_some_and(Style::is_available)
        });
        if !anything_new {
            return Ok(Err(DigestOutcome::NothingNew));
        }
        let query = RecommendationQuery {
            limit: Some(RELEVANT_WINDOW.min(self.config.max_limit)),
            placement: Some(EMAIL_PLACEMENT.to_string()),
            ..RecommendationQuery::default()
        };
        let page = self.recommendations(customer_id, query, now).await?;
        let customer = self.stores.profiles.get_customer(customer_id).await?;
        let mut items = Vec::with_capacity(DIGEST_ITEMS);
        let fresh = page
            .items
            .iter()
            .filter(|item| !sent.contains(item.style_id.as_str()));
        for item in fresh.take(DIGEST_ITEMS) {
            let Some(style) = engine.style(&item.style_id) else {
                continue;
            };
            let facts =
                CopyFacts::gather(customer.as_ref(), style, item, None, &self.config.optics);
            let link = product_link(shop_url, &item.style_id, &page.recommendation_id);
            items.push(digest_item(item, product_copy(&facts)?, link));
        }
        if items.is_empty() {
            return Ok(Err(DigestOutcome::NothingNew));
        }
        let rows: Vec<DigestRow<'_>> = items
            .iter()
            .map(|item| DigestRow {
                item,
                href: attribute(&item.link),
                src: attribute(&item.image_url),
            })
            .collect();
        let html = super::render(
            TEMPLATE,
            minijinja::context! {
                shop_href => attribute(shop_url),
                rows => rows,
                date => now.date_naive().to_string(),
            },
        )?;
        Ok(Ok(EmailDigest {
            customer_id: customer_id.to_string(),
            recommendation_id: page.recommendation_id,
            created_at: now,
            items,
            html,
        }))
    }

    /// Remembers that `digest` went out: its styles are not sent again while the marker
    /// remembers them, and the next digest waits [`DIGEST_MIN_INTERVAL_DAYS`].
    pub async fn record_digest_sent(&self, digest: &EmailDigest) -> Result<(), ServiceError> {
        let earlier = self.digest_marker(&digest.customer_id).await?;
        let mut style_ids: Vec<String> = digest.items.iter().map(|i| i.style_id.clone()).collect();
        let known: HashSet<String> = style_ids.iter().cloned().collect();
        style_ids.extend(
            earlier
                .into_iter()
                .flat_map(|m| m.style_ids)
                .filter(|id| !known.contains(id)),
        );
        style_ids.truncate(MARKER_MEMORY);
        let marker = DigestMarker {
            sent_at: digest.created_at,
            recommendation_id: digest.recommendation_id.clone(),
            style_ids,
        };
        let bytes = serde_json::to_vec(&marker).map_err(StoreError::backend)?;
        self.stores
            .artifacts
            .put(DIGEST_MARKERS, &marker_name(&digest.customer_id), &bytes)
            .await?;
        Ok(())
    }

    /// Renders, delivers and records one shopper's digest (or says why there is none).
    pub async fn send_digest(
        &self,
        customer_id: &str,
        shop_url: &str,
        outbox: &dyn DigestOutbox,
        now: DateTime<Utc>,
    ) -> Result<DigestOutcome, ServiceError> {
        let digest = match self.email_digest(customer_id, shop_url, now).await? {
            Ok(digest) => digest,
            Err(skipped) => return Ok(skipped),
        };
        outbox.deliver(&digest).await?;
        self.record_digest_sent(&digest).await?;
        Ok(DigestOutcome::Sent {
            recommendation_id: digest.recommendation_id,
            style_ids: digest.items.into_iter().map(|i| i.style_id).collect(),
        })
    }

    /// The digest job, resumable: up to `max` shoppers ordered after `after` (those with a
    /// stored list get a digest when they have something new), stopping between shoppers
    /// once `deadline` has passed. A shopper that fails is logged and counted, not retried.
    pub async fn send_digests(
        &self,
        after: Option<&str>,
        max: usize,
        deadline: Option<Instant>,
        shop_url: &str,
        outbox: &dyn DigestOutbox,
        now: DateTime<Utc>,
    ) -> Result<DigestBatch, ServiceError> {
        check_shop_url(shop_url)?;
        let customers = self.regeneration_customers().await?;
        let start = match after {
            Some(after) => customers.partition_point(|c| c.as_str() <= after),
            None => 0,
        };
        let window = &customers[start..customers.len().min(start.saturating_add(max.max(1)))];
        let mut batch = DigestBatch::default();
        for chunk in window.chunks(self.config.write_chunk.max(1)) {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
            let listed = self.stores.lists.list_stamps(chunk).await?;
            for customer_id in chunk {
                batch.checked += 1;
                if !listed.contains_key(customer_id) {
                    batch.skipped += 1;
                    continue;
                }
                match self.send_digest(customer_id, shop_url, outbox, now).await {
                    Ok(DigestOutcome::Sent { .. }) => batch.sent += 1,
                    Ok(_) => batch.skipped += 1,
                    Err(e) => {
                        tracing::warn!(error = %e, %customer_id, "digest not sent");
                        batch.failed += 1;
                    }
                }
            }
        }
        let done_upto = start + batch.checked;
        if done_upto < customers.len() {
            batch.next_cursor = Some(match done_upto.checked_sub(1) {
                Some(last) if batch.checked > 0 => customers[last].clone(),
                _ => after.unwrap_or_default().to_string(),
            });
        }
        Ok(batch)
    }

    /// The stored list when fresh, else recomputed and stored now (NotFound for a shopper
    /// the store does not know).
    async fn fresh_list(
        &self,
        customer_id: &str,
        now: DateTime<Utc>,
    ) -> Result<StoredList, ServiceError> {
        let stored = self.stores.lists.get_list(customer_id).await?;
        match stored.filter(|l| {
            now.signed_duration_since(l.generated_at).num_seconds() < self.config.list_max_age_secs
        }) {
            Some(list) => Ok(list),
            None => self.recompute_customer(customer_id, now).await,
        }
    }
}

/// An item as the template shows it: the URLs escaped for an attribute by [`attribute`]
/// (the template's own escaping would also turn every `/` into `&#x2f;`).
#[derive(Serialize)]
struct DigestRow<'a> {
    item: &'a DigestItem,
    href: String,
    src: String,
}

/// `text` escaped for a double-quoted HTML attribute; the template prints it `|safe`.
pub(super) fn attribute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// The shop's address without a trailing slash; 400 naming `shop_url` unless http(s).
fn check_shop_url(shop_url: &str) -> Result<&str, ValidationErrors> {
    let url = shop_url.trim_end_matches('/');
    let host = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match host {
        Some(host) if !host.is_empty() && !host.contains(['?', '#', ' ', '"', '<', '>']) => Ok(url),
        _ => Err(ValidationErrors::single(
            "shop_url",
            "must be an http(s) address without query or fragment",
        )),
    }
}

/// The product page with the parameters attribution reads back. Style and recommendation
/// ids are identifiers (`[A-Za-z0-9_.:-]`), safe in a path and a query as they are.
fn product_link(shop_url: &str, style_id: &str, recommendation_id: &str) -> String {
    format!(
        "{shop_url}/products/{style_id}?recommendation_id={recommendation_id}&placement={EMAIL_PLACEMENT}"
    )
}

fn digest_item(item: &RecommendedItem, copy: String, link: String) -> DigestItem {
    DigestItem {
        style_id: item.style_id.clone(),
        name: item.name.clone(),
        brand: item.brand.clone(),
        image_url: item.image_url.clone(),
        price: format!(
            "{} {}.{:02}",
            item.currency,
            item.price_cents / 100,
            item.price_cents % 100
        ),
        reasons: item.reasons.clone(),
        copy,
        link,
    }
}
