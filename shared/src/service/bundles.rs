//! Bundles (`GET /v1/customers/{id}/bundles`): each recommended frame with everything a
//! shopper buys with it: the SKU in the size that fits, the lens package the lens advice
//! chooses for that frame (priced from the lens price list of the frame's currency, see
//! [`crate::domain::LensPriceList`]), the bundle price, and the lenses one index step up and
//! down. Without `style_id` the bundles are made from the first items of the shopper's list
//! and ranked by expected value (list relevance x fit x price match), never by price; with
//! `style_id`, one bundle for that frame (a product page). A shopper without a prescription
//! gets frame-only bundles. `docs/bundles.md` has the formulas.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::bundle_lens::{price_lens, LensAlternative, LensPackage, PricedLens};
use super::lists::RecommendationQuery;
use super::{not_found, Framewise};
use crate::domain::{
    option_name, validate_id, Customer, FrameSize, LensPriceList, PriceBand, Reason, Style, Subject,
};
use crate::engine::{
    FaceWidthRule, FitRule, LensOption, PricedItem, RecommendRequest, TasteAttribute, TasteReport,
};
use crate::error::{ServiceError, ValidationErrors};
use crate::optics::lens::LensRequest;

/// The placement bundles of the shopper's list are served and measured under.
pub const BUNDLES_PLACEMENT: &str = "bundles";

/// What `GET .../bundles` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BundleQuery {
    /// One frame (a product page); without it, the shopper's top list items.
    pub style_id: Option<String>,
    pub limit: Option<usize>,
}

/// The frame of a bundle: the SKU in the size that fits the shopper.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BundleFrame {
    /// Absent when nothing is in stock or no size suits the shopper.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub colourway: Option<String>,
    #[schema(format = "uint32")]
    pub price_cents: u32,
}

/// The price of a bundle in the frame's currency.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BundlePrice {
    pub currency: String,
    #[schema(format = "uint32")]
    pub frame_cents: u32,
    /// The lens package; absent for frame-only bundles and when it is unpriced.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = "uint32")]
    pub lens_cents: Option<u32>,
    /// Frame and lenses; absent when the lens price is unavailable (never guessed).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = "uint32")]
    pub total_cents: Option<u32>,
    /// Why the lens price is unavailable ("No price for progressive lenses in USD").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lens_unavailable: Option<String>,
    /// Taken off the frame and the lens lines by the merchant's promotions (already out
    /// of `total_cents`); 0 when none applies.
    #[serde(default, skip_serializing_if = "is_zero")]
    #[schema(format = "uint32")]
    pub discount_cents: u32,
    /// The promotions that set those prices (`docs/offers.md`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub promotions: Vec<String>,
}

fn is_zero(cents: &u32) -> bool {
    *cents == 0
}

/// Why a bundle ranks where it does; `expected = relevance x fit x price_match`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct BundleValue {
    /// The frame's list score over the best one among the bundles, in [0, 1].
    pub relevance: f32,
    /// The frame rules' score of this size with these lenses times the face-width fit.
    pub fit: f32,
    /// How the frame's price band matches the shopper's taste (0.5 to 1), halved when the
    /// bundle costs more than their declared budget.
    pub price_match: f32,
    pub expected: f32,
}

/// A frame with its lenses, priced.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Bundle {
    pub style_id: String,
    pub name: String,
    pub brand: String,
    pub frame: BundleFrame,
    /// Absent for a shopper without a prescription (frame only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lens: Option<LensPackage>,
    /// The lenses one index step up (thinner) and down (cheaper), where the frame allows.
    pub alternatives: Vec<LensAlternative>,
    pub price: BundlePrice,
    pub value: BundleValue,
    /// Why this package in this frame.
    pub reason: String,
    /// The list's reasons for the frame.
    pub reasons: Vec<Reason>,
}

/// The answer of `GET .../bundles`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CustomerBundles {
    pub customer_id: String,
    /// false: no prescription on file, so the bundles are frame only.
    pub with_lenses: bool,
    /// The list the bundles were made from (without `style_id`), for attribution.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recommendation_id: Option<String>,
    /// Highest expected value first.
    pub bundles: Vec<Bundle>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A frame to bundle: the style, the SKU offered and its list score and reasons.
pub(super) struct Candidate<'a> {
    pub style: &'a Style,
    pub sku: Option<String>,
    pub score: f32,
    pub reasons: Vec<Reason>,
    /// Why no SKU is offered (out of stock, no size fits).
    pub unavailable: Option<&'static str>,
}

const NO_PRESCRIPTION: &str =
    "No prescription on file: these bundles are frames only. Add your prescription to your profile to see lenses made for each frame";

impl Framewise {
    /// The shopper's bundles: for `query.style_id` one bundle (404 for an unknown style),
    /// otherwise the first items of their list ranked by expected value. 404 for a shopper
    /// without a profile.
    pub async fn bundles(
        &self,
        customer_id: &str,
        query: BundleQuery,
        now: DateTime<Utc>,
    ) -> Result<CustomerBundles, ServiceError> {
        validate_id(customer_id).map_err(|m| ValidationErrors::single("customer_id", m))?;
        if let Some(id) = &query.style_id {
            validate_id(id).map_err(|m| ValidationErrors::single("style_id", m))?;
        }
        let limit = self.check_limit(query.limit)?;
        let customer = self.get_profile(customer_id).await?;
        let history = self
            .history(&Subject::Customer(customer_id.to_string()))
            .await?;
        let engine = self.engine();
        let bands = price_band_shares(&engine.taste_report(&history, now));
        let mut recommendation_id = None;
        let candidates = match &query.style_id {
            Some(id) => {
                let style = engine.style(id).ok_or_else(|| not_found("style", id))?;
                let feeds = self.current_feeds().await;
                let request = RecommendRequest {
                    customer: Some(&customer),
                    history: &history,
                    now,
                    limit: engine.config().list_size,
                    feeds: feeds.as_deref().map(|f| f.input()),
                };
                let offer = engine
                    .offer(&request, id)
                    .ok_or_else(|| not_found("style", id))?;
                let unavailable = if !offer.available || (offer.fits && offer.sku.is_none()) {
                    Some("This frame is out of stock")
                } else if !offer.fits {
                    Some("No size of this frame suits your prescription and face")
                } else {
                    None
                };
                vec![Candidate {
                    style,
                    sku: offer.sku,
                    score: offer.score,
                    reasons: Vec::new(),
                    unavailable,
                }]
            }
            None => {
                // A larger pool than asked for, so ranking by value can change what leads.
                let pool = (limit * 2).min(self.config.max_limit).max(limit);
                let list = RecommendationQuery {
                    limit: Some(pool),
                    placement: Some(BUNDLES_PLACEMENT.to_string()),
                    ..RecommendationQuery::default()
                };
                let page = self.recommendations(customer_id, list, now).await?;
                recommendation_id = Some(page.recommendation_id);
                page.items
                    .into_iter()
                    .filter_map(|item| {
                        Some(Candidate {
                            style: engine.style(&item.style_id)?,
                            sku: item.sku,
                            score: item.score,
                            reasons: item.reasons,
                            unavailable: None,
                        })
                    })
                    .collect()
            }
        };
        let mut prices: HashMap<String, Option<LensPriceList>> = HashMap::new();
        for candidate in &candidates {
            let currency = &candidate.style.currency;
            if !prices.contains_key(currency) {
                let list = self.stores.catalog.lens_prices(currency).await?;
                prices.insert(currency.clone(), list);
            }
        }
        let shopper = Shopper {
            customer: &customer,
            bands,
            rules: &self.config.optics,
        };
        let best = candidates.iter().map(|c| c.score).fold(0.0f32, f32::max);
        let mut bundles: Vec<Bundle> = candidates
            .iter()
            .map(|c| {
                let prices = prices.get(&c.style.currency).and_then(Option::as_ref);
                shopper.bundle(c, best, prices)
            })
            .collect();
        rank_bundles(&mut bundles);
        bundles.truncate(limit);
        self.apply_promotions(&mut bundles, &prices, &history, now)
            .await;
        let with_lenses = customer.prescription.is_some();
        Ok(CustomerBundles {
            customer_id: customer_id.to_string(),
            with_lenses,
            recommendation_id,
            bundles,
            note: (!with_lenses).then(|| NO_PRESCRIPTION.to_string()),
        })
    }
}

impl Framewise {
    /// Each bundle's frame and lens lines priced under the running promotions, with the
    /// same rule as offers (`quote_item`): the discount comes off the total.
    async fn apply_promotions(
        &self,
        bundles: &mut [Bundle],
        prices: &HashMap<String, Option<LensPriceList>>,
        history: &[crate::domain::Signal],
        now: DateTime<Utc>,
    ) {
        let engine = self.engine();
        for bundle in bundles.iter_mut() {
            let Some(style) = engine.style(&bundle.style_id) else {
                continue;
            };
            let currency = bundle.price.currency.clone();
            let mut lines = vec![(PricedItem::Frame(style), bundle.price.frame_cents)];
            let list = prices.get(&currency).and_then(Option::as_ref);
            if let (Some(lens), Some(list)) = (&bundle.lens, list) {
                let options = [
                    LensOption::Material(lens.material),
                    LensOption::Design(lens.design),
                ]
                .into_iter()
                .chain(lens.treatments.iter().map(|t| LensOption::Treatment(*t)));
                for option in options {
                    let cents = match option {
                        LensOption::Material(m) => list.material(m),
                        LensOption::Design(d) => list.design(d),
                        LensOption::Treatment(t) => list.treatment(t),
                    };
                    if let Some(cents) = cents {
                        lines.push((PricedItem::Lens(option), cents));
                    }
                }
            }
            for (item, cents) in lines {
                let quote = self
                    .quote_item(item, (cents, &currency), history, now)
                    .await;
                bundle.price.discount_cents += quote.discount_cents();
                for id in quote.promotions {
                    if !bundle.price.promotions.contains(&id) {
                        bundle.price.promotions.push(id);
                    }
                }
            }
            if let Some(total) = bundle.price.total_cents.as_mut() {
                *total = total.saturating_sub(bundle.price.discount_cents);
            }
        }
    }
}

/// Highest expected value first; ties keep the list's order (the sort is stable).
pub(super) fn rank_bundles(bundles: &mut [Bundle]) {
    bundles.sort_by(|a, b| b.value.expected.total_cmp(&a.value.expected));
}

/// Everything about the shopper a bundle is judged by.
pub(super) struct Shopper<'a> {
    pub customer: &'a Customer,
    /// Shares of the shopper's taste by price band (budget .. luxury); all 0 without one.
    pub bands: [f32; 4],
    pub rules: &'a crate::optics::frame::FrameRulesConfig,
}

impl Shopper<'_> {
    /// The bundle of one candidate; `best` is the highest list score among the candidates.
    pub(super) fn bundle(
        &self,
        c: &Candidate<'_>,
        best: f32,
        prices: Option<&LensPriceList>,
    ) -> Bundle {
        let style = c.style;
        let variant = c.sku.as_deref().and_then(|sku| style.variant(sku));
        let size = variant.and_then(|(_, v)| style.size(&v.size));
        let lens = match (&self.customer.prescription, size) {
            (Some(rx), Some(size)) => {
                let request = LensRequest {
                    child: self.customer.age_band.is_some_and(|a| a.is_child()),
                    ..LensRequest::default()
                };
                Some(price_lens(rx, &request, (style, size), self.rules, prices))
            }
            _ => None,
        };
        let lens_cents = lens.as_ref().and_then(|l| l.package.price_cents);
        let total_cents = match (&lens, lens_cents) {
            (None, _) => Some(style.price_cents),
            (Some(_), Some(cents)) => style.price_cents.checked_add(cents),
            (Some(_), None) => None,
        };
        let relevance = if best > 0.0 {
            (c.score.max(0.0) / best).min(1.0)
        } else {
            1.0
        };
        let fit = match size {
            Some(size) => lens.as_ref().map_or(1.0, |l| l.frame_score) * self.face_fit(style, size),
            None => 0.0,
        };
        let price_match = price_match(
            &self.bands,
            style.price_band(),
            self.customer.preferences.max_price_cents,
            total_cents,
        );
        let reason = match (&lens, c.unavailable) {
            (_, Some(why)) => why.to_string(),
            (Some(l), None) => l.package.reason.clone(),
            (None, None) => NO_PRESCRIPTION.to_string(),
        };
        let PricedLensParts {
            package,
            alternatives,
            unavailable,
        } = PricedLensParts::of(lens);
        Bundle {
            style_id: style.id.clone(),
            name: style.name.clone(),
            brand: style.brand.clone(),
            frame: BundleFrame {
                sku: c.sku.clone(),
                size: size.map(|s| s.label.clone()),
                colourway: variant.map(|(colourway, _)| colourway.code.clone()),
                price_cents: style.price_cents,
            },
            lens: package,
            alternatives,
            price: BundlePrice {
                currency: style.currency.clone(),
                frame_cents: style.price_cents,
                lens_cents,
                total_cents,
                lens_unavailable: unavailable,
                discount_cents: 0,
                promotions: Vec::new(),
            },
            value: BundleValue {
                relevance: rounded(relevance),
                fit: rounded(fit),
                price_match: rounded(price_match),
                expected: rounded(relevance * fit * price_match),
            },
            reason,
            reasons: c.reasons.clone(),
        }
    }

    /// 1 for a size as wide as the face (or an unmeasured face), falling off with the
    /// face-width rule's cost: 0.5 at a cost of 10 (about 10 mm too wide or narrow).
    fn face_fit(&self, style: &Style, size: &FrameSize) -> f32 {
        FaceWidthRule
            .size_cost(self.customer, style, size)
            .filter(|cost| cost.is_finite())
            .map_or(1.0, |cost| 1.0 / (1.0 + cost.max(0.0) / 10.0))
    }
}

/// The parts of a priced lens a bundle shows.
struct PricedLensParts {
    package: Option<LensPackage>,
    alternatives: Vec<LensAlternative>,
    unavailable: Option<String>,
}

impl PricedLensParts {
    fn of(lens: Option<PricedLens>) -> Self {
        match lens {
            Some(l) => Self {
                package: Some(l.package),
                alternatives: l.alternatives,
                unavailable: l.unavailable,
            },
            None => Self {
                package: None,
                alternatives: Vec::new(),
                unavailable: None,
            },
        }
    }
}

/// How well a frame's price band matches the shopper's taste: 0.5 + 0.5 x the expected
/// closeness of the band to the bands they engage with (1 for the same band, 0 three bands
/// away); 1 without a taste. Halved when the bundle exceeds their declared budget.
pub(super) fn price_match(
    bands: &[f32; 4],
    band: PriceBand,
    budget: Option<u32>,
    total_cents: Option<u32>,
) -> f32 {
    let weight: f32 = bands.iter().sum();
    let taste = if weight > 0.0 {
        let closeness: f32 = bands
            .iter()
            .enumerate()
            .map(|(b, share)| share / weight * (1.0 - (b.abs_diff(band as usize) as f32) / 3.0))
            .sum();
        0.5 + 0.5 * closeness
    } else {
        1.0
    };
    let over_budget = matches!((budget, total_cents), (Some(max), Some(total)) if total > max);
    if over_budget {
        taste * 0.5
    } else {
        taste
    }
}

/// The shopper's price-band shares: the current profile's, else the long-term one's.
fn price_band_shares(report: &TasteReport) -> [f32; 4] {
    let shares = |profile: &[crate::engine::AttributeTaste]| {
        let mut bands = [0.0f32; 4];
        let Some(taste) = profile
            .iter()
            .find(|t| t.attribute == TasteAttribute::PriceBand)
        else {
            return bands;
        };
        for value in &taste.values {
            if let Some(b) = PriceBand::ALL
                .iter()
                .position(|band| option_name(band) == value.value)
            {
                bands[b] += value.share.max(0.0);
            }
        }
        bands
    };
    let current = shares(&report.current);
    if current.iter().sum::<f32>() > 0.0 {
        current
    } else {
        shares(&report.long_term)
    }
}

fn rounded(x: f32) -> f32 {
    (x * 1e4).round() / 1e4
}
