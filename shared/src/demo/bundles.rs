//! The demo's bundle showcase (`docs/bundles.md`): a USD lens price list in the ranges of
//! the domain brief (section 6: single-vision lenses around $110 on average, progressives
//! about twice that, each index step dearer) and one storefront shopper with a strong
//! prescription, so `framewise serve --demo` shows thinner-lens bundles with reasons.

use crate::domain::{
    Customer, DesignPrice, EyeRx, LensDesign, LensMaterial, LensPriceList, MaterialPrice,
    TreatmentKind, TreatmentPrice,
};

/// The storefront lists this many demo shoppers (`/demo/shoppers`); one of them gets the
/// strong prescription.
const STOREFRONT_SHOPPERS: usize = 12;

/// Sphere of the showcase shopper: strong myopia, where high index pays off (1.67).
pub const SHOWCASE_SPHERE: f32 = -6.0;

/// The demo shop's lens prices (USD, cents).
pub fn lens_prices() -> Vec<LensPriceList> {
    use LensMaterial::*;
    let materials = [
        (Cr39, 0),
        (Trivex, 4_000),
        (Polycarbonate, 3_000),
        (Index156, 2_000),
        (Index160, 4_000),
        (Index167, 8_000),
        (Index174, 14_000),
    ];
    let designs = [
        (LensDesign::SingleVision, 0),
        (LensDesign::Progressive, 15_000),
        (LensDesign::Office, 12_000),
        (LensDesign::Bifocal, 6_000),
        (LensDesign::Reader, 0),
    ];
    let treatments = [
        (TreatmentKind::AntiReflective, 3_000),
        (TreatmentKind::HardCoat, 0),
        (TreatmentKind::Uv, 1_000),
        (TreatmentKind::Photochromic, 8_000),
        (TreatmentKind::Polarized, 7_000),
        (TreatmentKind::BlueLight, 2_000),
        (TreatmentKind::Aspheric, 3_000),
    ];
    vec![LensPriceList {
        currency: "USD".to_string(),
        materials: materials
            .into_iter()
            .map(|(material, price_cents)| MaterialPrice {
                material,
                price_cents,
            })
            .collect(),
        designs: designs
            .into_iter()
            .map(|(design, price_cents)| DesignPrice {
                design,
                price_cents,
            })
            .collect(),
        treatments: treatments
            .into_iter()
            .map(|(treatment, price_cents)| TreatmentPrice {
                treatment,
                price_cents,
            })
            .collect(),
    }]
}

/// Makes sure a storefront shopper has a strong prescription: unless one already has a
/// meridian of 6.00 or more, the first adult storefront shopper with a prescription gets
/// [`SHOWCASE_SPHERE`] in both eyes (cylinder -0.50, no prism; ADD and PD kept). Only that
/// customer changes, and no random stream is drawn, so the rest of the data stays as it was.
pub(super) fn showcase_strong_prescription(customers: &mut [Customer]) {
    let storefront = customers.len().min(STOREFRONT_SHOPPERS);
    let strong = customers[..storefront].iter().any(|c| {
        c.prescription
            .as_ref()
            .is_some_and(|rx| rx.max_meridian_power() >= SHOWCASE_SPHERE.abs())
    });
    if strong {
        return;
    }
    let adult_with_rx = customers[..storefront]
        .iter_mut()
        .find(|c| c.prescription.is_some() && c.age_band.is_some_and(|band| !band.is_child()));
    let Some(rx) = adult_with_rx.and_then(|c| c.prescription.as_mut()) else {
        return;
    };
    for eye in [&mut rx.od, &mut rx.os] {
        *eye = EyeRx {
            sph: SHOWCASE_SPHERE,
            cyl: -0.5,
            axis: Some(180),
            add: eye.add,
            prism: None,
        };
    }
}

/// The demo's promotions (`[[promotion]]` of `merchandising.toml`): thinner lenses for
/// strong prescriptions, a coating, and mid-range frames; see `docs/offers.md`.
pub const DEMO_PROMOTIONS: &str = r#"# Demo promotions (docs/offers.md); edit and save: they reload within 30 s.
[[promotion]]
id = "thin-167"
label = "20% off 1.67 high-index lenses"
lens_material = "index167"
percent_off = 20

[[promotion]]
id = "thin-174"
label = "25% off 1.74 high-index lenses"
lens_material = "index174"
percent_off = 25
budget_redemptions = 200

[[promotion]]
id = "ar-coat"
label = "$10 off anti-reflective coating"
treatment = "anti_reflective"
amount_off_cents = 1000
currency = "USD"

[[promotion]]
id = "mid-range"
label = "10% off mid-range frames"
price_band = "mid"
percent_off = 10
stackable = true
"#;

/// Writes [`DEMO_PROMOTIONS`] to `path` unless a file is already there; whether it wrote.
pub fn write_promotions(path: &std::path::Path) -> Result<bool, crate::import::ImportError> {
    if path.exists() {
        return Ok(false);
    }
    std::fs::write(path, DEMO_PROMOTIONS).map_err(|source| crate::import::ImportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(true)
}

#[cfg(test)]
mod promotion_tests {
    #[test]
    fn demo_promotions_should_parse() {
        let rules = crate::engine::MerchandisingRules::from_toml_str(super::DEMO_PROMOTIONS)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rules.promotions.len(), 4);
        assert!(rules.no_list_rules());
    }
}
