//! Live catalogue changes: stock, price and active-flag deltas applied to the stored
//! styles without a feed (admin `PATCH /v1/products/{style_id}`, the catalogue events
//! queue on AWS), with the engine's catalogue reloaded and only the stored lists that hold
//! a changed style dropped (the next read computes them anew, see [`super::lists`]).
//!
//! Ordering is last-writer-wins by `at` within one call (deltas of a batch apply oldest
//! first); across calls the later call wins. No per-field timestamp is stored, so a delta
//! delivered late by the queue overwrites a newer one applied earlier: senders that can
//! reorder should send absolute values often (stock is absolute, never an increment).

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::regeneration::{CATALOG_STAMP_NAME, CATALOG_STAMP_VERSION};
use super::{not_found, Framewise};
use crate::domain::{CatalogDelta, Style};
use crate::error::ServiceError;

/// A style after its changes, as the admin route answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ProductSummary {
    pub style_id: String,
    pub name: String,
    #[schema(format = "uint32")]
    pub price_cents: u32,
    pub currency: String,
    pub active: bool,
    /// Active with at least one SKU in stock: shown on lists.
    pub available: bool,
    pub stock: Vec<SkuStock>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SkuStock {
    pub sku: String,
    #[schema(format = "uint32")]
    pub stock: u32,
}

impl ProductSummary {
    pub fn of(style: &Style) -> Self {
        Self {
            style_id: style.id.clone(),
            name: style.name.clone(),
            price_cents: style.price_cents,
            currency: style.currency.clone(),
            active: style.active,
            available: style.is_available(),
            stock: style
                .colourways
                .iter()
                .flat_map(|c| &c.variants)
                .map(|v| SkuStock {
                    sku: v.sku.clone(),
                    stock: v.stock,
                })
                .collect(),
        }
    }
}

/// One delta that could not be applied, by its index in the call.
#[derive(Debug)]
pub struct RejectedDelta {
    pub index: usize,
    pub error: ServiceError,
}

/// What a call of [`Framewise::apply_catalog_deltas`] did.
#[derive(Debug, Default)]
pub struct CatalogDeltaReport {
    /// Deltas applied (including those that set a value it already had).
    pub applied: usize,
    /// Deltas refused (bad field, unknown style or SKU); the others were applied.
    pub rejected: Vec<RejectedDelta>,
    /// Every style a delta named and that exists, after the call, ordered by id.
    pub products: Vec<ProductSummary>,
    /// Styles whose stored record changed.
    pub changed: Vec<String>,
    /// Stored lists dropped because they held a changed style.
    pub lists_invalidated: usize,
}

impl Framewise {
    /// Applies one style's delta: the route's use case. An invalid delta or unknown SKU is
    /// `Invalid` naming the field, an unknown style `NotFound`.
    pub async fn apply_catalog_delta(
        &self,
        delta: &CatalogDelta,
        now: DateTime<Utc>,
    ) -> Result<(ProductSummary, usize), ServiceError> {
        let mut report = self
            .apply_catalog_deltas(std::slice::from_ref(delta), now)
            .await?;
        if let Some(rejected) = report.rejected.pop() {
            return Err(rejected.error);
        }
        let product = report
            .products
            .pop()
            .ok_or_else(|| not_found("product", &delta.style_id))?;
        Ok((product, report.lists_invalidated))
    }

    /// Applies deltas to the stored styles: each style is read once, its deltas applied in
    /// `at` order, changed styles written in one `put_styles`, the engine's catalogue
    /// reloaded once, and the stored lists holding a changed style dropped. A delta that is
    /// invalid or names an unknown style or SKU is rejected alone; an error is a store
    /// failure, and then nothing may have been written after it.
    pub async fn apply_catalog_deltas(
        &self,
        deltas: &[CatalogDelta],
        now: DateTime<Utc>,
    ) -> Result<CatalogDeltaReport, ServiceError> {
        let mut report = CatalogDeltaReport::default();
        let mut by_style: BTreeMap<&str, Vec<(usize, &CatalogDelta)>> = BTreeMap::new();
        for (index, delta) in deltas.iter().enumerate() {
            match delta.validate() {
                Ok(()) => by_style
                    .entry(delta.style_id.as_str())
                    .or_default()
                    .push((index, delta)),
                Err(errors) => report.rejected.push(RejectedDelta {
                    index,
                    error: errors.into(),
                }),
            }
        }
        let mut changed_styles = Vec::new();
        for (style_id, mut deltas) in by_style {
            let Some(mut style) = self.stores.catalog.get_style(style_id).await? else {
                report
                    .rejected
                    .extend(deltas.into_iter().map(|(index, _)| RejectedDelta {
                        index,
                        error: not_found("product", style_id),
                    }));
                continue;
            };
            deltas.sort_by_key(|(index, delta)| (delta.at, *index));
            let mut changed = false;
            for (index, delta) in deltas {
                match delta.apply_to(&mut style) {
                    Ok(did) => {
                        changed |= did;
                        report.applied += 1;
                    }
                    Err(errors) => report.rejected.push(RejectedDelta {
                        index,
                        error: errors.into(),
                    }),
                }
            }
            report.products.push(ProductSummary::of(&style));
            if changed {
                changed_styles.push(style);
            }
        }
        report.rejected.sort_by_key(|r| r.index);
        if changed_styles.is_empty() {
            return Ok(report);
        }
        self.stores.catalog.put_styles(&changed_styles).await?;
        self.reload_catalog().await?;
        // Other warm processes (Lambda instances) reload the catalogue when this moves.
        self.stores
            .artifacts
            .put(
                CATALOG_STAMP_VERSION,
                CATALOG_STAMP_NAME,
                now.to_rfc3339().as_bytes(),
            )
            .await?;
        report.changed = changed_styles.into_iter().map(|s| s.id).collect();
        let touched: HashSet<&str> = report.changed.iter().map(String::as_str).collect();
        report.lists_invalidated = self.drop_lists_holding(&touched).await?;
        tracing::info!(
            applied = report.applied,
            rejected = report.rejected.len(),
            changed = report.changed.len(),
            lists_invalidated = report.lists_invalidated,
            at = %now,
            "catalogue deltas applied"
        );
        Ok(report)
    }

    /// Deletes the stored lists that hold one of `styles`; returns how many. The stores keep
    /// no index from style to lists, so every stored list is read once per call (one call
    /// per delta batch, not per delta): the cost of a regeneration's stamp pass, not of a
    /// recompute. A dropped list is computed on its next read (stored again locally; on
    /// AWS by the signals worker or the next regeneration).
    async fn drop_lists_holding(&self, styles: &HashSet<&str>) -> Result<usize, ServiceError> {
        let mut dropped = 0;
        for customer_id in self.regeneration_customers().await? {
            let holds = self
                .stores
                .lists
                .get_list(&customer_id)
                .await?
                .is_some_and(|l| l.items.iter().any(|i| styles.contains(i.style_id.as_str())));
            if holds {
                dropped += self.stores.lists.delete_lists(&customer_id).await?;
            }
        }
        Ok(dropped)
    }
}
