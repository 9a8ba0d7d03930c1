//! Merchant promotions (`[[promotion]]` in the merchandising file) and the one function
//! that prices an item under them, [`quote`].
//!
//! The fairness rule (`docs/offers.md`): a price depends on the item, the merchant's
//! promotions, the time, and the shopper's behaviour on the site (for promotions meant
//! for shoppers who browse a range without buying it), and on nothing else. Age, face
//! shape, colouring and health data (the prescription) never set a price: the
//! prescription may choose *which* lens option a shopper is offered, never what it costs.
//! [`quote`] cannot break the rule by construction (it takes no profile), and the offers'
//! tests check it end to end: two shoppers who differ only in those fields are quoted the
//! same price for every item either of them is offered.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::merchandising::{RuleMeta, StyleMatch};
use crate::domain::{LensDesign, LensMaterial, Style, TreatmentKind};

/// Largest share of a price any promotion may take off (a merchant-wide bound may be lower).
pub const MAX_PERCENT_OFF: u8 = 90;

/// What a promotion takes off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Discount {
    /// `percent_off`: 1 to [`MAX_PERCENT_OFF`] percent of the price, rounded down to the cent.
    PercentOff(u8),
    /// `amount_off_cents` in `currency`: only for items priced in that currency.
    AmountOff { cents: u32, currency: String },
}

/// A lens option a promotion discounts: one line of the lens price list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum LensOption {
    Material(LensMaterial),
    Design(LensDesign),
    Treatment(TreatmentKind),
}

/// What a promotion discounts.
#[derive(Debug, Clone, PartialEq)]
pub enum PromotionTarget {
    /// Frames the match selects (brand, tag, category, price band or style ids).
    Frames(StyleMatch),
    /// One lens option, whatever frame it goes in.
    Lens(LensOption),
}

/// Who may be priced with a promotion. Only behaviour on the site may narrow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Everyone,
    /// Shoppers who looked at the promotion's frames at least [`BROWSED_AT_LEAST`] times
    /// and bought none of them (a frame promotion only).
    BrowsedNotBought,
}

/// Looks (views, clicks, try-ons, favourites) that make a shopper "browsing" a range.
pub const BROWSED_AT_LEAST: u32 = 3;

/// A merchant promotion, as the merchandising file declares it.
#[derive(Debug, Clone, PartialEq)]
pub struct Promotion {
    /// `id` (the promotion's id in offers, exposures and reports), `label` (shown to
    /// shoppers), `from`/`until` (inclusive days).
    pub meta: RuleMeta,
    pub target: PromotionTarget,
    pub discount: Discount,
    pub audience: Audience,
    /// Combines with other stackable promotions; an exclusive one (the default) never
    /// combines with anything.
    pub stackable: bool,
    /// Redemptions (purchases credited to the promotion's offers) after which it ends.
    pub budget_redemptions: Option<u64>,
    /// No price under this promotion goes below this (in the item's currency).
    pub min_price_cents: Option<u32>,
}

/// The shopper's behaviour toward a promotion's frames: the only thing about a shopper a
/// price may depend on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Behaviour {
    pub looks: u32,
    pub purchases: u32,
}

/// One item to price: a frame, or one line of a lens package.
#[derive(Debug, Clone, Copy)]
pub enum PricedItem<'a> {
    Frame(&'a Style),
    Lens(LensOption),
}

impl Promotion {
    /// The promotion's id.
    pub fn id(&self) -> &str {
        &self.meta.name
    }

    /// Whether it discounts `item` priced in `currency` on the day of `now` for a shopper
    /// who behaved as `behaviour` toward its frames.
    pub fn applies(
        &self,
        item: PricedItem<'_>,
        currency: &str,
        now: DateTime<Utc>,
        behaviour: Behaviour,
    ) -> bool {
        let target = match (&self.target, item) {
            (PromotionTarget::Frames(m), PricedItem::Frame(style)) => m.matches(style),
            (PromotionTarget::Lens(option), PricedItem::Lens(item)) => *option == item,
            _ => false,
        };
        let currency_ok = match &self.discount {
            Discount::AmountOff { currency: c, .. } => c.eq_ignore_ascii_case(currency),
            Discount::PercentOff(_) => true,
        };
        let audience = match self.audience {
            Audience::Everyone => true,
            Audience::BrowsedNotBought => {
                behaviour.looks >= BROWSED_AT_LEAST && behaviour.purchases == 0
            }
        };
        target && currency_ok && audience && self.meta.active(now)
    }

    /// The discount on `price` alone, never more than the price.
    fn discount_on(&self, price: u32) -> u32 {
        match &self.discount {
            Discount::PercentOff(p) => (u64::from(price) * u64::from(*p) / 100) as u32,
            Discount::AmountOff { cents, .. } => (*cents).min(price),
        }
    }
}

/// The merchant's bound over all promotions (`[offers] max_discount_percent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfferBounds {
    pub max_discount_percent: u8,
}

/// An item's price under the promotions that apply to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PriceQuote {
    #[schema(format = "uint32")]
    pub list_cents: u32,
    #[schema(format = "uint32")]
    pub price_cents: u32,
    /// The promotions that set the price (none: the list price).
    pub promotions: Vec<String>,
}

impl PriceQuote {
    pub fn discount_cents(&self) -> u32 {
        self.list_cents - self.price_cents
    }
}

/// The price of an item listed at `list_cents` under `applicable` (promotions for which
/// [`Promotion::applies`] holds): the lowest of each exclusive promotion alone and all
/// stackable ones together (percentages first, then amounts), never below the merchant's
/// bound (`list - max_discount_percent`, rounded up to the cent) nor below the
/// `min_price_cents` of a promotion applied. Ties go to fewer promotions, then the
/// smaller id, so the same inputs always give the same quote whatever their order.
pub fn quote(list_cents: u32, applicable: &[&Promotion], bounds: OfferBounds) -> PriceQuote {
    let percent = u64::from(bounds.max_discount_percent.min(100));
    let merchant_floor = (u64::from(list_cents) * (100 - percent)).div_ceil(100) as u32;
    let price_with = |promotions: &[&Promotion]| -> u32 {
        let (percents, amounts): (Vec<&&Promotion>, Vec<&&Promotion>) = promotions
            .iter()
            .partition(|p| matches!(p.discount, Discount::PercentOff(_)));
        let mut price = list_cents;
        for p in percents.into_iter().chain(amounts) {
            price -= p.discount_on(price);
        }
        let floor = promotions
            .iter()
            .filter_map(|p| p.min_price_cents)
            .fold(merchant_floor, u32::max)
            .min(list_cents);
        price.max(floor)
    };
    let mut options: Vec<Vec<&Promotion>> = applicable
        .iter()
        .filter(|p| !p.stackable)
        .map(|p| vec![*p])
        .collect();
    let mut stack: Vec<&Promotion> = applicable.iter().copied().filter(|p| p.stackable).collect();
    stack.sort_by(|a, b| a.id().cmp(b.id()));
    if !stack.is_empty() {
        options.push(stack);
    }
    let best = options
        .into_iter()
        .map(|promotions| (price_with(&promotions), promotions))
        .filter(|(price, _)| *price < list_cents)
        .min_by(|(pa, a), (pb, b)| {
            let first = |ps: &[&Promotion]| ps.first().map(|p| p.id().to_string());
            (pa, a.len(), first(a)).cmp(&(pb, b.len(), first(b)))
        });
    match best {
        Some((price_cents, promotions)) => PriceQuote {
            list_cents,
            price_cents,
            promotions: promotions.iter().map(|p| p.id().to_string()).collect(),
        },
        None => PriceQuote {
            list_cents,
            price_cents: list_cents,
            promotions: Vec::new(),
        },
    }
}

/// "20% off" / "$15.00 off": how a promotion's discount reads to shoppers.
pub fn discount_words(discount: &Discount) -> String {
    match discount {
        Discount::PercentOff(p) => format!("{p}% off"),
        Discount::AmountOff { cents, currency } => {
            format!(
                "{} off",
                crate::domain::format_money(i64::from(*cents), currency)
            )
        }
    }
}
