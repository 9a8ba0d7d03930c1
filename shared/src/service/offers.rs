//! Offers (`GET /v1/customers/{id}/offers`): which of the merchant's promotions
//! (`[[promotion]]` in the merchandising file, see [`crate::engine::Promotion`]) to show a
//! shopper, on which frame or lens option, at what price, and why.
//!
//! Choosing is personal: a frame promotion is shown on the shopper's best-ranked frame it
//! covers; a lens promotion on the lens package the advice chooses for their first
//! fitting frame, or on the thinner step up (the prescription chooses the option). The
//! price is not: every price comes from [`quote`] with the item's list price, the running
//! promotions and the shopper's behaviour on the site, never from their profile (the
//! fairness rule, `docs/offers.md`). An item the price list does not price gets no offer:
//! prices are never invented.
//!
//! Each offer is recorded as an exposure under the placement `offer:<promotion id>` with
//! the offer's id as its recommendation id, so a purchase that names it is credited to the
//! promotion like a list's (CTR, conversion, revenue per promotion and variant), and the
//! promotion's `budget_redemptions` counts those credited purchases.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::config::ConfigError;
use super::offer_choice::{behaviour, lens_choice, price_under, share_off, LensChoice, PriceOf};
use super::Framewise;
use crate::domain::{validate_id, Signal, Style, Subject};
use crate::engine::{
    discount_words, Behaviour, LensOption, OfferBounds, PriceQuote, PricedItem, Promotion,
    PromotionTarget, MAX_PERCENT_OFF,
};
use crate::error::{ServiceError, ValidationErrors};
use crate::experiments::attribution::Exposure;

/// Offers are exposed under `offer:<promotion id>`, one placement per promotion.
pub const OFFER_PLACEMENT_PREFIX: &str = "offer:";

/// The `[offers]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OffersConfig {
    /// 50: no price goes more than this share below its list price, whatever promotions
    /// the file declares or stacks.
    pub max_discount_percent: u8,
    /// 3: offers per answer when the request does not say.
    pub default_offers: usize,
    /// 60 s: how long the redemption counts budgets are checked against are reused.
    pub budget_refresh_secs: u64,
}

impl Default for OffersConfig {
    fn default() -> Self {
        Self {
            max_discount_percent: 50,
            default_offers: 3,
            budget_refresh_secs: 60,
        }
    }
}

impl OffersConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, message: String| ConfigError::Invalid {
            key: format!("offers.{key}"),
            message,
        };
        if self.max_discount_percent > MAX_PERCENT_OFF {
            return Err(invalid(
                "max_discount_percent",
                format!("must be between 0 and {MAX_PERCENT_OFF}"),
            ));
        }
        if !(1..=20).contains(&self.default_offers) {
            return Err(invalid("default_offers", "must be between 1 and 20".into()));
        }
        Ok(())
    }

    pub(super) fn bounds(&self) -> OfferBounds {
        OfferBounds {
            max_discount_percent: self.max_discount_percent,
        }
    }
}

/// What an offer discounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OfferKind {
    Frame,
    Lens,
}

/// One promotion as offered to a shopper.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Offer {
    /// This showing: send it as `recommendation_id` (with `placement`) on the signals of
    /// the shopper acting on the offer, so a purchase is credited to the promotion.
    pub offer_id: String,
    pub promotion_id: String,
    /// `offer:<promotion id>`.
    pub placement: String,
    /// The merchant's words for the promotion.
    pub label: String,
    pub kind: OfferKind,
    /// The frame the offer is shown with (for a lens offer, the frame the lenses are for).
    pub style_id: String,
    pub name: String,
    /// The lens option discounted (lens offers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lens_option: Option<LensOption>,
    pub currency: String,
    /// The discounted item's price: the frame, or the lens option's line of the price list.
    pub price: PriceQuote,
    /// The last day of the promotion, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
    /// Why this offer, for this shopper.
    pub reason: String,
}

/// The answer of `GET .../offers`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CustomerOffers {
    pub customer_id: String,
    /// Most relevant first; at most one per promotion.
    pub offers: Vec<Offer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Redemptions per promotion, as last counted.
#[derive(Default)]
pub(super) struct BudgetCache(Mutex<Option<(Instant, HashMap<String, u64>)>>);

/// An offer before it is shown, with how much it is worth to the shopper.
struct Candidate {
    offer: Offer,
    value: f32,
}

impl Framewise {
    /// The shopper's offers: at most `limit` (default `[offers] default_offers`), each a
    /// running promotion within its budget, on the item it suits best. 404 for a shopper
    /// without a profile; an empty answer with a note when no promotion applies.
    pub async fn offers(
        &self,
        customer_id: &str,
        limit: Option<usize>,
        now: DateTime<Utc>,
    ) -> Result<CustomerOffers, ServiceError> {
        validate_id(customer_id).map_err(|m| ValidationErrors::single("customer_id", m))?;
        let limit = limit.unwrap_or(self.config.offers.default_offers);
        if limit == 0 || limit > self.config.max_limit {
            return Err(ValidationErrors::single(
                "limit",
                format!("must be between 1 and {}", self.config.max_limit),
            )
            .into());
        }
        let customer = self.get_profile(customer_id).await?;
        let subject = Subject::Customer(customer_id.to_string());
        let history = self.history(&subject).await?;
        let promotions = self.running_promotions(now).await;
        let mut offers = Vec::new();
        if !promotions.is_empty() {
            let engine = self.engine();
            let feeds = self.current_feeds().await;
            let request = crate::engine::RecommendRequest {
                customer: Some(&customer),
                history: &history,
                now,
                limit: engine.config().list_size,
                feeds: feeds.as_deref().map(|f| f.input()),
            };
            let list = self
                .recommend_merchandised(&engine, &request, engine.config())
                .await;
            let ranked: Vec<(&Style, Option<&str>, f32)> = list
                .iter()
                .filter_map(|item| {
                    Some((
                        engine.style(&item.style_id)?,
                        item.sku.as_deref(),
                        item.score,
                    ))
                })
                .collect();
            let lens = match (&customer.prescription, ranked.first()) {
                (Some(_), Some((style, _, _))) => {
                    let prices = self.stores.catalog.lens_prices(&style.currency).await?;
                    lens_choice(&customer, &ranked, prices, &self.config.optics)
                }
                _ => None,
            };
            let bounds = self.config.offers.bounds();
            let ids: Vec<String> = ranked.iter().map(|(s, _, _)| s.id.clone()).collect();
            let live = self.live_prices(&ids).await;
            let price_of = |item: PricedItem<'_>, (listed, currency): (u32, &str)| {
                // A frame's price is the shop's live one when a pricing source knows it.
                let listed = match item {
                    PricedItem::Frame(style) => live.get(&style.id).copied().unwrap_or(listed),
                    PricedItem::Lens(_) => listed,
                };
                price_under(
                    &promotions,
                    item,
                    (listed, currency),
                    &history,
                    |id| engine.style(id),
                    (now, bounds),
                )
            };
            let mut candidates: Vec<Candidate> = promotions
                .iter()
                .filter_map(|promotion| {
                    let behaviour = behaviour(promotion, &history, |id| engine.style(id));
                    match &promotion.target {
                        PromotionTarget::Frames(_) => {
                            self.frame_offer(promotion, &ranked, behaviour, now, &price_of)
                        }
                        PromotionTarget::Lens(option) => lens
                            .as_ref()
                            .and_then(|l| self.lens_offer(promotion, *option, l, now, &price_of)),
                    }
                })
                .collect();
            candidates.sort_by(|a, b| b.value.total_cmp(&a.value));
            offers = candidates
                .into_iter()
                .take(limit)
                .map(|c| c.offer)
                .collect();
            self.record_offer_exposures(&offers, &subject, engine.model_version(), now)
                .await;
        }
        let note = offers
            .is_empty()
            .then(|| "No promotion running now suits this shopper".to_string());
        Ok(CustomerOffers {
            customer_id: customer_id.to_string(),
            offers,
            note,
        })
    }

    /// The price of `item` (listed at `list_cents` in `currency`) for a shopper whose
    /// history is `history`, under the promotions running now: what every offer shows.
    /// It reads no profile (the fairness rule).
    pub async fn quote_item(
        &self,
        item: PricedItem<'_>,
        (list_cents, currency): (u32, &str),
        history: &[Signal],
        now: DateTime<Utc>,
    ) -> PriceQuote {
        let promotions = self.running_promotions(now).await;
        let engine = self.engine();
        let bounds = self.config.offers.bounds();
        price_under(
            &promotions,
            item,
            (list_cents, currency),
            history,
            |id| engine.style(id),
            (now, bounds),
        )
    }

    /// The promotions active today whose budget is not spent.
    pub(super) async fn running_promotions(&self, now: DateTime<Utc>) -> Vec<Promotion> {
        let rules = self.merchandising_rules().await;
        let active: Vec<&Promotion> = rules.active_promotions(now).collect();
        if active.iter().all(|p| p.budget_redemptions.is_none()) {
            return active.into_iter().cloned().collect();
        }
        let redeemed = self.redemptions(&active, now).await;
        active
            .into_iter()
            .filter(|p| {
                p.budget_redemptions
                    .is_none_or(|budget| redeemed.get(p.id()).copied().unwrap_or(0) < budget)
            })
            .cloned()
            .collect()
    }

    /// Purchases credited to each promotion's offers since its first day (or the last 90
    /// days), counted again after `budget_refresh_secs`. A store that cannot be read
    /// counts nothing (the last counts keep serving when there are some).
    async fn redemptions(
        &self,
        promotions: &[&Promotion],
        now: DateTime<Utc>,
    ) -> HashMap<String, u64> {
        let refresh = Duration::from_secs(self.config.offers.budget_refresh_secs);
        let cached = |cache: &BudgetCache| {
            cache
                .0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .as_ref()
                .filter(|(at, _)| at.elapsed() < refresh)
                .map(|(_, counts)| counts.clone())
        };
        if let Some(counts) = cached(&self.offer_budgets) {
            return counts;
        }
        let today = now.date_naive();
        let from = promotions
            .iter()
            .filter_map(|p| p.meta.from)
            .min()
            .unwrap_or(today - chrono::Days::new(90))
            .min(today);
        let counts = match self.stores.measurements.counters(from, today).await {
            Ok(cells) => {
                let mut counts: HashMap<String, u64> = HashMap::new();
                for (cell, counters) in cells {
                    if let Some(id) = cell.placement.strip_prefix(OFFER_PLACEMENT_PREFIX) {
                        *counts.entry(id.to_string()).or_default() += counters.purchases;
                    }
                }
                counts
            }
            Err(error) => {
                tracing::warn!(%error, "offer redemptions could not be counted");
                return self
                    .offer_budgets
                    .0
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .as_ref()
                    .map(|(_, counts)| counts.clone())
                    .unwrap_or_default();
            }
        };
        *self
            .offer_budgets
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), counts.clone()));
        counts
    }

    fn frame_offer(
        &self,
        promotion: &Promotion,
        ranked: &[(&Style, Option<&str>, f32)],
        behaviour: Behaviour,
        now: DateTime<Utc>,
        price_of: &PriceOf<'_>,
    ) -> Option<Candidate> {
        let best = ranked
            .first()
            .map_or(0.0, |(_, _, score)| *score)
            .max(f32::EPSILON);
        let (rank, (style, _, score)) =
            ranked.iter().enumerate().find(|(_, (style, sku, _))| {
                sku.is_some()
                    && promotion.applies(PricedItem::Frame(style), &style.currency, now, behaviour)
            })?;
        let price = price_of(
            PricedItem::Frame(style),
            (style.price_cents, &style.currency),
        );
        if !price.promotions.iter().any(|id| id == promotion.id()) {
            // Another promotion sets this frame's price: that one is offered instead.
            return None;
        }
        let words = discount_words(&promotion.discount);
        let reason =
            if behaviour.looks >= crate::engine::BROWSED_AT_LEAST && behaviour.purchases == 0 {
                format!(
                    "You have been looking at frames like {}: {words}",
                    style.name
                )
            } else if rank == 0 {
                format!("Your top pick {} is {words}", style.name)
            } else {
                format!("{} from your picks is {words}", style.name)
            };
        let value = (score / best).clamp(0.0, 1.0) * share_off(&price);
        Some(Candidate {
            offer: self.offer(promotion, OfferKind::Frame, style, None, price, reason),
            value,
        })
    }

    fn lens_offer(
        &self,
        promotion: &Promotion,
        option: LensOption,
        lens: &LensChoice<'_>,
        now: DateTime<Utc>,
        price_of: &PriceOf<'_>,
    ) -> Option<Candidate> {
        let (list_cents, reason, weight) = lens.offered(option)?;
        let item = PricedItem::Lens(option);
        if !promotion.applies(item, &lens.style.currency, now, Behaviour::default()) {
            return None;
        }
        let price = price_of(item, (list_cents, &lens.style.currency));
        if !price.promotions.iter().any(|id| id == promotion.id()) {
            return None;
        }
        let reason = format!("{reason}: {}", discount_words(&promotion.discount));
        let value = weight * share_off(&price);
        Some(Candidate {
            offer: self.offer(
                promotion,
                OfferKind::Lens,
                lens.style,
                Some(option),
                price,
                reason,
            ),
            value,
        })
    }

    fn offer(
        &self,
        promotion: &Promotion,
        kind: OfferKind,
        style: &Style,
        lens_option: Option<LensOption>,
        price: PriceQuote,
        reason: String,
    ) -> Offer {
        Offer {
            offer_id: format!("of-{}", uuid::Uuid::now_v7().simple()),
            promotion_id: promotion.id().to_string(),
            placement: format!("{OFFER_PLACEMENT_PREFIX}{}", promotion.id()),
            label: promotion.meta.label.clone().unwrap_or_default(),
            kind,
            style_id: style.id.clone(),
            name: style.name.clone(),
            lens_option,
            currency: style.currency.clone(),
            price,
            until: promotion.meta.until,
            reason,
        }
    }

    /// Each offer as one exposure of its promotion's placement (logged, not returned, on
    /// failure: the shopper gets their offers whether or not they are counted).
    async fn record_offer_exposures(
        &self,
        offers: &[Offer],
        subject: &Subject,
        model_version: &str,
        now: DateTime<Utc>,
    ) {
        if !self.config.measurement.record_exposures || offers.is_empty() {
            return;
        }
        let exposures: Vec<Exposure> = offers
            .iter()
            .map(|offer| Exposure {
                exposure_id: uuid::Uuid::now_v7().simple().to_string(),
                recommendation_id: offer.offer_id.clone(),
                subject: subject.key(),
                placement: offer.placement.clone(),
                variant: None,
                model_version: model_version.to_string(),
                items: vec![offer.style_id.clone()],
                offset: 0,
                at: now,
                novel_items: 0,
                diversity_milli: 0,
            })
            .collect();
        if let Err(error) = self.stores.measurements.record_exposures(&exposures).await {
            tracing::warn!(%error, "offer exposures not recorded");
        }
    }
}
