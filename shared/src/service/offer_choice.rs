//! What an offer is made of: the lens package the advice chooses for the shopper's first
//! fitting frame (and which lens options that makes worth offering), the shopper's
//! behaviour toward a promotion's frames, and the one pricing path of offers and quotes.

use chrono::{DateTime, Utc};

use super::bundle_lens::{price_lens, IndexStep, PricedLens};
use crate::domain::{Customer, LensPriceList, Signal, SignalKind, Style};
use crate::engine::{
    quote, Behaviour, LensOption, OfferBounds, PriceQuote, PricedItem, Promotion, PromotionTarget,
};
use crate::optics::frame::FrameRulesConfig;
use crate::optics::lens::LensRequest;

/// A thinner step up is worth offering only when it saves at least this much (mm) at the
/// lens's thickest point in the frame.
const MIN_UPGRADE_GAIN_MM: f32 = 0.3;

/// The lens package the advice chooses for the shopper's first fitting frame, priced.
pub(super) fn lens_choice<'a>(
    customer: &Customer,
    ranked: &[(&'a Style, Option<&str>, f32)],
    prices: Option<LensPriceList>,
    rules: &FrameRulesConfig,
) -> Option<LensChoice<'a>> {
    let rx = customer.prescription.as_ref()?;
    let prices = prices?;
    let (style, size) = ranked.iter().find_map(|(style, sku, _)| {
        let (_, variant) = style.variant((*sku)?)?;
        Some((*style, style.size(&variant.size)?))
    })?;
    let request = LensRequest {
        child: customer.age_band.is_some_and(|a| a.is_child()),
        ..Default::default()
    };
    let lens = price_lens(rx, &request, (style, size), rules, Some(&prices));
    Some(LensChoice {
        style,
        lens,
        prices,
    })
}

/// The advised lenses for one frame and the price list they are priced from.
pub(super) struct LensChoice<'a> {
    pub style: &'a Style,
    lens: PricedLens,
    prices: LensPriceList,
}

impl LensChoice<'_> {
    /// The option's line price, why it is offered and how much that matters (1 for part of
    /// the advised package, 0.8 for the thinner step up); `None` when the option is not
    /// advised for this shopper or not priced.
    pub(super) fn offered(&self, option: LensOption) -> Option<(u32, String, f32)> {
        let package = &self.lens.package;
        let frame = &self.style.name;
        match option {
            LensOption::Material(material) => {
                let price = self.prices.material(material)?;
                if package.material == material {
                    return Some((
                        price,
                        format!(
                            "The {} lenses advised for your prescription in {frame}",
                            package.index
                        ),
                        1.0,
                    ));
                }
                let up = self.lens.alternatives.iter().find(|a| {
                    a.material == material
                        && a.step == IndexStep::Up
                        && -a.thickness_change_mm >= MIN_UPGRADE_GAIN_MM
                })?;
                Some((
                    price,
                    format!(
                        "Thinner {} lenses: {:.1} mm less at the thickest point in {frame}",
                        up.index, -up.thickness_change_mm
                    ),
                    0.8,
                ))
            }
            LensOption::Design(design) if package.design == design => Some((
                self.prices.design(design)?,
                format!("The lens design advised for you in {frame}"),
                1.0,
            )),
            LensOption::Treatment(treatment) if package.treatments.contains(&treatment) => Some((
                self.prices.treatment(treatment)?,
                format!("A coating advised for your lenses in {frame}"),
                0.9,
            )),
            LensOption::Design(_) | LensOption::Treatment(_) => None,
        }
    }
}

/// An item's price for this shopper now: `(item, (list cents, currency))`.
pub(super) type PriceOf<'a> = dyn Fn(PricedItem<'_>, (u32, &str)) -> PriceQuote + 'a;

/// The price of `item` under the `running` promotions that apply to it for a shopper with
/// this `history`: the one pricing path of offers and quotes.
pub(super) fn price_under<'a>(
    running: &[Promotion],
    item: PricedItem<'_>,
    (list_cents, currency): (u32, &str),
    history: &[Signal],
    style: impl Fn(&str) -> Option<&'a Style> + Copy,
    (now, bounds): (DateTime<Utc>, OfferBounds),
) -> PriceQuote {
    let applicable: Vec<&Promotion> = running
        .iter()
        .filter(|p| p.applies(item, currency, now, behaviour(p, history, style)))
        .collect();
    quote(list_cents, &applicable, bounds)
}

/// The shopper's looks at and purchases of the promotion's frames (none for a lens one).
pub(super) fn behaviour<'a>(
    promotion: &Promotion,
    history: &[Signal],
    style: impl Fn(&str) -> Option<&'a Style>,
) -> Behaviour {
    let PromotionTarget::Frames(matches) = &promotion.target else {
        return Behaviour::default();
    };
    let mut behaviour = Behaviour::default();
    for signal in history {
        let Some(s) = style(&signal.style_id) else {
            continue;
        };
        if !matches.matches(s) {
            continue;
        }
        match signal.kind {
            SignalKind::View | SignalKind::Click | SignalKind::TryOn | SignalKind::Favorite => {
                behaviour.looks += 1;
            }
            SignalKind::Purchase => behaviour.purchases += 1,
            _ => {}
        }
    }
    behaviour
}

/// The share of the list price taken off, in [0, 1].
pub(super) fn share_off(price: &PriceQuote) -> f32 {
    if price.list_cents == 0 {
        0.0
    } else {
        price.discount_cents() as f32 / price.list_cents as f32
    }
}
