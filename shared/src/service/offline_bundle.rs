//! The offline bundle (`GET /v1/customers/{id}/offline-bundle`): a shopper's list with every
//! product detail and image URL a native app needs to show it without a connection, and a
//! `version` (a digest of all of it) the app sends back to learn that nothing changed.
//!
//! The list is the one `GET .../recommendations` serves (precomputed when fresh, computed
//! now otherwise, the shopper's experiment arm included) at placement `offline`, so a
//! download is recorded as one exposure there and actions the app later posts with the
//! bundle's `recommendation_id` are credited to it.

use std::collections::BTreeSet;
use std::io::Write;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::lists::RecommendationQuery;
use super::Framewise;
use crate::domain::{ListSource, RecommendedItem, Style};
use crate::error::ServiceError;

/// The placement an offline bundle's list is served and measured under.
pub const OFFLINE_PLACEMENT: &str = "offline";

/// Everything a native app needs to show the shopper's list offline.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OfflineBundle {
    /// A digest of the rest of the bundle: send it back as `?version=` (or the `ETag` as
    /// `If-None-Match`) and the answer is 304 while the bundle is unchanged.
    pub version: String,
    pub customer_id: String,
    /// What signals about these items name, for attribution.
    pub recommendation_id: String,
    pub model_version: String,
    pub generated_at: DateTime<Utc>,
    pub source: ListSource,
    /// Always `offline`.
    pub placement: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub experiment_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// The list in order, each item as the list routes answer it (reasons, recommended
    /// size, lens advice when the shopper has a prescription).
    pub items: Vec<RecommendedItem>,
    /// Every listed style in full, once: colourways with their images, sizes, stock.
    pub products: Vec<Style>,
    /// Every image URL the items and products name, once each, for the app to prefetch.
    pub images: Vec<String>,
}

impl Framewise {
    /// The shopper's bundle: the first `limit` items of their list (default and most:
    /// `max_limit`) with their products and images.
    pub async fn offline_bundle(
        &self,
        customer_id: &str,
        limit: Option<usize>,
        now: DateTime<Utc>,
    ) -> Result<OfflineBundle, ServiceError> {
        let query = RecommendationQuery {
            limit: Some(limit.unwrap_or(self.config.max_limit)),
            placement: Some(OFFLINE_PLACEMENT.to_string()),
            ..RecommendationQuery::default()
        };
        let page = self.recommendations(customer_id, query, now).await?;
        let engine = self.engine();
        let mut listed = BTreeSet::new();
        let products: Vec<Style> = page
            .items
            .iter()
            .filter(|item| listed.insert(item.style_id.as_str()))
            .filter_map(|item| engine.style(&item.style_id).cloned())
            .collect();
        let mut bundle = OfflineBundle {
            version: String::new(),
            images: image_urls(&page.items, &products),
            customer_id: page.customer_id,
            recommendation_id: page.recommendation_id,
            model_version: page.model_version,
            generated_at: page.generated_at,
            source: page.source,
            placement: OFFLINE_PLACEMENT.to_string(),
            experiment_id: page.experiment_id,
            variant: page.variant,
            items: page.items,
            products,
        };
        bundle.version = version_of(&bundle)?;
        Ok(bundle)
    }
}

/// The item images first, in list order, then every other colourway's and style's image.
fn image_urls(items: &[RecommendedItem], products: &[Style]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let product_images = products.iter().flat_map(|style| {
        std::iter::once(&style.image_url)
            .chain(style.colourways.iter().filter_map(|c| c.image_url.as_ref()))
    });
    items
        .iter()
        .map(|item| &item.image_url)
        .chain(product_images)
        .filter(|url| !url.is_empty() && seen.insert(url.as_str()))
        .cloned()
        .collect()
}

/// 128 bits of the SHA-256 of the bundle's JSON (its `version` empty), in hex.
fn version_of(bundle: &OfflineBundle) -> Result<String, ServiceError> {
    struct Hashing(Sha256);
    impl Write for Hashing {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.update(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut hashing = Hashing(Sha256::new());
    serde_json::to_writer(&mut hashing, bundle)
        .map_err(|e| ServiceError::Model(format!("offline bundle not serialisable: {e}")))?;
    Ok(hex::encode(&hashing.0.finalize()[..16]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::memory_stores;
    use crate::demo::{generate, DemoConfig};
    use crate::service::ServiceConfig;

    async fn service() -> Framewise {
        let data = generate(&DemoConfig {
            customers: 3,
            ..DemoConfig::small()
        });
        let service = Framewise::open(memory_stores(), ServiceConfig::default())
            .await
            .expect("service");
        service.import_styles(&data.styles).await.expect("styles");
        service
    }

    #[tokio::test]
    async fn when_bundle_is_built_should_carry_every_listed_product_and_image_once() {
        let service = service().await;
        let now = Utc::now();
        let bundle = service
            .offline_bundle("cu-1", Some(8), now)
            .await
            .expect("bundle");
        assert_eq!(bundle.items.len(), 8);
        assert_eq!(bundle.placement, OFFLINE_PLACEMENT);
        assert_eq!(bundle.version.len(), 32);
        for item in &bundle.items {
            assert!(
                bundle.products.iter().any(|p| p.id == item.style_id),
                "{}",
                item.style_id
            );
            assert!(bundle.images.contains(&item.image_url));
        }
        let unique: BTreeSet<&String> = bundle.images.iter().collect();
        assert_eq!(unique.len(), bundle.images.len(), "images are listed once");
        let mut unversioned = bundle.clone();
        unversioned.version = String::new();
        assert_eq!(version_of(&unversioned).ok(), Some(bundle.version.clone()));
    }

    #[tokio::test]
    async fn when_anything_in_the_bundle_changes_should_change_its_version() {
        let service = service().await;
        let bundle = service
            .offline_bundle("cu-1", Some(4), Utc::now())
            .await
            .expect("bundle");
        let mut unversioned = bundle.clone();
        unversioned.version = String::new();
        let changes: [fn(&mut OfflineBundle); 3] = [
            |b| b.items.truncate(3),
            |b| b.products[0].price_cents += 100,
            |b| b.recommendation_id.push('x'),
        ];
        for change in changes {
            let mut changed = unversioned.clone();
            change(&mut changed);
            assert_ne!(version_of(&changed).ok(), Some(bundle.version.clone()));
        }
    }
}
