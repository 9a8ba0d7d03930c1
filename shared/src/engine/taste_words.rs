//! Names and sentences of the taste report: attribute values as the API names them and in
//! words (the labels of [`super::reasons`]), and each [`Claim`] as a reason.

use serde::Serialize;

use super::evolution::TasteAttribute;
use super::features::Catalogue;
use super::reasons::{colour_label, material_label, rim_label, shape_label};
use super::taste_report::Claim;
use crate::domain::{ColourFamily, Material, PriceBand, Reason, RimType, Shape};

/// The attribute enums in declaration order, so `SHAPES[key]` is the value of a key.
pub(crate) const SHAPES: [Shape; 11] = Shape::ALL;
pub(crate) const MATERIALS: [Material; 6] = Material::ALL;
pub(crate) const RIMS: [RimType; 3] = RimType::ALL;
pub(crate) const BANDS: [PriceBand; 4] = PriceBand::ALL;

fn band_label(band: PriceBand) -> &'static str {
    match band {
        PriceBand::Budget => "budget",
        PriceBand::Mid => "mid-range",
        PriceBand::Premium => "premium",
        PriceBand::Luxury => "luxury",
    }
}

/// The serde name of an enum value (`cat_eye`).
fn api_name<T: Serialize>(value: T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// `(value, label)` of one key of an attribute: the API name and the words. A brand key
/// is named by the first style of that brand (brands are interned case-insensitively).
pub(crate) fn value_names(
    catalogue: &Catalogue,
    attribute: TasteAttribute,
    key: u32,
) -> (String, String) {
    let k = key as usize;
    let named = |name: String, label: &str| (name, label.to_string());
    let unknown = || (format!("{key}"), format!("{key}"));
    match attribute {
        TasteAttribute::Shape => SHAPES
            .get(k)
            .map_or_else(unknown, |s| named(api_name(s), shape_label(*s))),
        TasteAttribute::Colour => ColourFamily::ALL
            .get(k)
            .map_or_else(unknown, |c| named(api_name(c), colour_label(*c))),
        TasteAttribute::Material => MATERIALS
            .get(k)
            .map_or_else(unknown, |m| named(api_name(m), material_label(*m))),
        TasteAttribute::Rim => RIMS
            .get(k)
            .map_or_else(unknown, |r| named(api_name(r), rim_label(*r))),
        TasteAttribute::PriceBand => BANDS
            .get(k)
            .map_or_else(unknown, |b| named(api_name(b), band_label(*b))),
        TasteAttribute::Brand => catalogue
            .features
            .iter()
            .position(|f| f.brand == key)
            .map_or_else(unknown, |i| {
                let brand = catalogue.styles[i].brand.clone();
                (brand.clone(), brand)
            }),
    }
}

pub(super) fn attribute_code(attribute: TasteAttribute) -> &'static str {
    match attribute {
        TasteAttribute::Shape => "shape",
        TasteAttribute::Colour => "colour",
        TasteAttribute::Material => "material",
        TasteAttribute::Rim => "rim",
        TasteAttribute::PriceBand => "price_band",
        TasteAttribute::Brand => "brand",
    }
}

/// A claim in plain words. Codes are stable; the texts name the values the claim is about.
pub(crate) fn claim_reason(claim: Claim, catalogue: &Catalogue) -> Reason {
    let label = |attribute, key| value_names(catalogue, attribute, key).1;
    match claim {
        Claim::Favours {
            attribute,
            from,
            to,
        } => {
            let (to, from) = (label(attribute, to), label(attribute, from));
            let text = if attribute == TasteAttribute::Brand {
                format!("Lately you favour {to} over {from}")
            } else {
                format!("Lately you favour {to} frames over {from} ones")
            };
            Reason::new(format!("favours_{}", attribute_code(attribute)), text)
        }
        Claim::Colours { bolder: true } => Reason::new(
            "bolder_colours",
            "Your recent picks lean toward bolder colours",
        ),
        Claim::Colours { bolder: false } => Reason::new(
            "classic_colours",
            "Your recent picks lean toward classic colours",
        ),
        Claim::Metal {
            towards_metal: true,
            other,
        } => Reason::new(
            "favours_metal",
            format!(
                "Lately you favour metal frames over {}",
                label(TasteAttribute::Material, other)
            ),
        ),
        Claim::Metal {
            towards_metal: false,
            other,
        } => Reason::new(
            "favours_non_metal",
            format!(
                "Lately you favour {} frames over metal ones",
                label(TasteAttribute::Material, other)
            ),
        ),
        Claim::Price { up: true } => Reason::new(
            "pricier_frames",
            "Your recent picks lean toward pricier frames",
        ),
        Claim::Price { up: false } => Reason::new(
            "affordable_frames",
            "Your recent picks lean toward more affordable frames",
        ),
        Claim::Steady { shape } => Reason::new(
            "steady_taste",
            format!(
                "Your taste has been steady: you keep coming back to {} frames",
                label(TasteAttribute::Shape, shape)
            ),
        ),
        Claim::Changing => Reason::new(
            "changing_taste",
            "Your recent picks differ from your usual style",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_enum_tables_are_indexed_should_match_declaration_order() {
        assert!(SHAPES.iter().enumerate().all(|(i, s)| *s as usize == i));
        assert!(MATERIALS.iter().enumerate().all(|(i, m)| *m as usize == i));
        assert!(RIMS.iter().enumerate().all(|(i, r)| *r as usize == i));
        assert!(BANDS.iter().enumerate().all(|(i, b)| *b as usize == i));
        assert_eq!(api_name(Shape::CatEye), "cat_eye");
    }
}
