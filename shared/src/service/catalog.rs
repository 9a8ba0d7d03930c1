//! The catalogue: imports, a complete feed applied with deactivations (catalog-sync), and
//! the engine's catalogue snapshot.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::models::build_engine;
use super::regeneration::Publication;
use super::Framewise;
use crate::domain::{Customer, LensPriceList, Style};
use crate::error::{ServiceError, ValidationErrors};

/// What applying a catalogue feed changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CatalogSyncReport {
    /// Styles of the feed, inserted or replaced.
    pub upserted: usize,
    /// Active styles missing from the feed, now deactivated.
    pub deactivated: Vec<String>,
    /// Styles that were sellable before the feed and are not now (deactivated or out of
    /// stock): precomputed lists holding them are stale.
    pub newly_unavailable: Vec<String>,
    /// The model version published over the new catalogue.
    pub model_version: String,
}

impl Framewise {
    /// Stores validated styles and rebuilds the engine's catalogue snapshot.
    pub async fn import_styles(&self, styles: &[Style]) -> Result<(), ServiceError> {
        self.stores.catalog.put_styles(styles).await?;
        self.reload_catalog().await
    }

    /// Validates and stores lens price lists (one per currency, replacing that currency's
    /// list); bundles price lenses by them from the next request. Nothing is stored unless
    /// every list is valid. Returns the currencies stored.
    pub async fn import_lens_prices(
        &self,
        lists: &[LensPriceList],
    ) -> Result<Vec<String>, ServiceError> {
        if lists.is_empty() {
            return Err(ValidationErrors::single("lens_prices", "no price list given").into());
        }
        let mut currencies: Vec<String> = Vec::with_capacity(lists.len());
        for (i, list) in lists.iter().enumerate() {
            list.validate().map_err(|errors| {
                let parent = format!("lens_prices[{i}]");
                ValidationErrors(errors.0.into_iter().map(|e| e.under(&parent)).collect())
            })?;
            if currencies.contains(&list.currency) {
                return Err(ValidationErrors::single(
                    format!("lens_prices[{i}].currency"),
                    "one price list per currency",
                )
                .into());
            }
            currencies.push(list.currency.clone());
        }
        self.stores.catalog.put_lens_prices(lists).await?;
        tracing::info!(currencies = ?currencies, "lens prices imported");
        Ok(currencies)
    }

    pub async fn import_customers(&self, customers: &[Customer]) -> Result<(), ServiceError> {
        self.stores.profiles.put_customers(customers).await?;
        Ok(())
    }

    /// Re-reads the catalogue and serves it with the current model.
    pub async fn reload_catalog(&self) -> Result<(), ServiceError> {
        let styles = self.stores.catalog.list_styles().await?;
        let model = self.engine().model().clone();
        let (engine, fallback) = build_engine(&self.stores, &self.config, styles, model).await;
        self.swap_engine(engine, fallback);
        Ok(())
    }

    /// Applies a complete catalogue feed: stores its styles, deactivates active styles the
    /// feed no longer lists, then publishes a model over the new catalogue (new styles need
    /// their features; every worker switches to it through the `current` pointer). The
    /// model joins the current regeneration run (see [`Framewise::continue_run`]).
    /// An empty feed is rejected: it would deactivate the whole catalogue.
    pub async fn sync_catalog(
        &self,
        feed: &[Style],
        now: DateTime<Utc>,
    ) -> Result<CatalogSyncReport, ServiceError> {
        if feed.is_empty() {
            return Err(ValidationErrors::single(
                "feed",
                "a catalogue feed needs at least one style",
            )
            .into());
        }
        let before = self.stores.catalog.list_styles().await?;
        let in_feed: HashSet<&str> = feed.iter().map(|s| s.id.as_str()).collect();
        let was_available: HashSet<&str> = before
            .iter()
            .filter(|s| s.is_available())
            .map(|s| s.id.as_str())
            .collect();
        let deactivated: Vec<Style> = before
            .iter()
            .filter(|s| s.active && !in_feed.contains(s.id.as_str()))
            .map(|s| Style {
                active: false,
                ..s.clone()
            })
            .collect();
        self.stores.catalog.put_styles(feed).await?;
        if !deactivated.is_empty() {
            self.stores.catalog.put_styles(&deactivated).await?;
        }
        let mut newly_unavailable: Vec<String> = feed
            .iter()
            .chain(&deactivated)
            .filter(|s| !s.is_available() && was_available.contains(s.id.as_str()))
            .map(|s| s.id.clone())
            .collect();
        newly_unavailable.sort_unstable();
        newly_unavailable.dedup();
        // A refresh, not a new run: the lists are not all recomputed here, so a regeneration
        // run in progress must go on (with this model) rather than end.
        let (model_version, _) = self.publish_model(now, Publication::Refresh).await?;
        let report = CatalogSyncReport {
            upserted: feed.len(),
            deactivated: deactivated.into_iter().map(|s| s.id).collect(),
            newly_unavailable,
            model_version,
        };
        tracing::info!(
            upserted = report.upserted,
            deactivated = report.deactivated.len(),
            newly_unavailable = report.newly_unavailable.len(),
            model_version = %report.model_version,
            "catalogue synced"
        );
        Ok(report)
    }
}
