//! `[[promotion]]` sections of the merchandising file, checked like the other rules (every
//! problem named by promotion and field). The shape is in [`super::promotions`].
//!
//! ```toml
//! [[promotion]]
//! id = "thin-lens-week"            # required: offers and reports name it
//! label = "20% off 1.67 high-index lenses"
//! from = "2026-11-23"
//! until = "2026-11-30"
//! lens_material = "index167"       # or lens_design, treatment, or a frame match
//! percent_off = 20                 # or amount_off_cents = 1500 with currency = "USD"
//! audience = "everyone"            # or "browsed_not_bought" (frame promotions)
//! stackable = false
//! budget_redemptions = 500
//! min_price_cents = 2000
//! ```

use serde::Deserialize;

use super::merchandising_parse::{parse, Check, RawMatch, MATCH_FIELDS};
use super::promotions::{
    Audience, Discount, LensOption, Promotion, PromotionTarget, MAX_PERCENT_OFF,
};
use crate::domain::{
    check_currency, Category, LensDesign, LensMaterial, PriceBand, TreatmentKind, PRICE_CENTS,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPromotion {
    id: Option<String>,
    label: Option<String>,
    from: Option<toml::Value>,
    until: Option<toml::Value>,
    brand: Option<String>,
    tag: Option<String>,
    category: Option<Category>,
    price_band: Option<PriceBand>,
    style_ids: Option<Vec<String>>,
    lens_material: Option<LensMaterial>,
    lens_design: Option<LensDesign>,
    treatment: Option<TreatmentKind>,
    percent_off: Option<i64>,
    amount_off_cents: Option<i64>,
    currency: Option<String>,
    audience: Option<Audience>,
    #[serde(default)]
    stackable: bool,
    budget_redemptions: Option<i64>,
    min_price_cents: Option<i64>,
}

/// The largest amount a promotion may name: the dearest price an item may have.
const MAX_CENTS: i64 = *PRICE_CENTS.end() as i64;

const LENS_FIELDS: &str = "lens_material, lens_design or treatment";

/// One `[[promotion]]` table; `None` (with the problems in `check`) when it is unusable.
pub(super) fn parse_promotion(check: &mut Check<'_>, entry: toml::Value) -> Option<Promotion> {
    let raw = parse::<RawPromotion>(check, entry)?;
    if raw.id.is_none() {
        check.fail("id", "a promotion needs an id (offers and reports name it)");
    }
    if raw.label.is_none() {
        check.fail("label", "a promotion needs a label to show shoppers");
    }
    let meta = check.meta(raw.label, raw.from, raw.until);
    let discount = discount(check, raw.percent_off, raw.amount_off_cents, raw.currency);
    let lens: Vec<(&str, LensOption)> = [
        raw.lens_material
            .map(|m| ("lens_material", LensOption::Material(m))),
        raw.lens_design
            .map(|d| ("lens_design", LensOption::Design(d))),
        raw.treatment
            .map(|t| ("treatment", LensOption::Treatment(t))),
    ]
    .into_iter()
    .flatten()
    .collect();
    let frames = RawMatch {
        brand: raw.brand,
        tag: raw.tag,
        category: raw.category,
        price_band: raw.price_band,
        style_ids: raw.style_ids,
    };
    let has_frames = frames.brand.is_some()
        || frames.tag.is_some()
        || frames.category.is_some()
        || frames.price_band.is_some()
        || frames.style_ids.is_some();
    let target = match (lens.as_slice(), has_frames) {
        ([], _) => check.style_match(frames).map(PromotionTarget::Frames),
        ([(_, option)], false) => Some(PromotionTarget::Lens(*option)),
        ([(field, _)], true) => {
            check.fail(
                field,
                format!("a promotion is on frames ({MATCH_FIELDS}) or on a lens option ({LENS_FIELDS}), not both"),
            );
            None
        }
        ([_, (field, _), ..], _) => {
            check.fail(field, format!("give only one of {LENS_FIELDS}"));
            None
        }
    };
    let audience = raw.audience.unwrap_or(Audience::Everyone);
    if audience == Audience::BrowsedNotBought && matches!(target, Some(PromotionTarget::Lens(_))) {
        check.fail(
            "audience",
            "browsed_not_bought needs a frame promotion (it counts looks at its frames)",
        );
    }
    let budget_redemptions = match raw.budget_redemptions {
        Some(n) if n < 1 => {
            check.fail("budget_redemptions", "must be at least 1");
            None
        }
        n => n.map(|n| n as u64),
    };
    let min_price_cents = match raw.min_price_cents {
        Some(c) if !(0..=MAX_CENTS).contains(&c) => {
            check.fail(
                "min_price_cents",
                format!("must be between 0 and {MAX_CENTS}"),
            );
            None
        }
        c => c.map(|c| c as u32),
    };
    Some(Promotion {
        meta,
        target: target?,
        discount: discount?,
        audience,
        stackable: raw.stackable,
        budget_redemptions,
        min_price_cents,
    })
}

fn discount(
    check: &mut Check<'_>,
    percent_off: Option<i64>,
    amount_off_cents: Option<i64>,
    currency: Option<String>,
) -> Option<Discount> {
    match (percent_off, amount_off_cents) {
        (Some(p), None) => {
            if currency.is_some() {
                check.fail("currency", "only with amount_off_cents");
            }
            if (1..=i64::from(MAX_PERCENT_OFF)).contains(&p) {
                Some(Discount::PercentOff(p as u8))
            } else {
                check.fail(
                    "percent_off",
                    format!("must be between 1 and {MAX_PERCENT_OFF}"),
                );
                None
            }
        }
        (None, Some(cents)) => {
            let Some(currency) = currency else {
                check.fail("currency", "amount_off_cents needs the currency it is in");
                return None;
            };
            let mut errors = Vec::new();
            check_currency(&mut errors, "currency", &currency);
            for error in errors {
                check.fail(&error.field, error.message);
            }
            if !(1..=MAX_CENTS).contains(&cents) {
                check.fail(
                    "amount_off_cents",
                    format!("must be between 1 and {MAX_CENTS}"),
                );
                return None;
            }
            Some(Discount::AmountOff {
                cents: cents as u32,
                currency: currency.trim().to_string(),
            })
        }
        (Some(_), Some(_)) => {
            check.fail(
                "amount_off_cents",
                "give percent_off or amount_off_cents, not both",
            );
            None
        }
        (None, None) => {
            check.fail("percent_off", "give percent_off or amount_off_cents");
            None
        }
    }
}
