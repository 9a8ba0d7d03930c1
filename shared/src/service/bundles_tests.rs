//! Bundles: pricing a lens package from the price list, the alternatives one index step up
//! and down, ranking by expected value rather than price, frame-only bundles without a
//! prescription, and the service answer over the demo shop.

use chrono::Utc;

use super::bundle_lens::{price_lens, quote, IndexStep};
use super::bundles::{price_match, rank_bundles, Candidate, Shopper};
use super::{BundleQuery, Framewise, ServiceConfig};
use crate::adapters::memory_stores;
use crate::demo::{self, demo_lens_prices, DemoConfig};
use crate::domain::{
    format_money, Category, Customer, FaceMeasurements, LensDesign, LensMaterial, LensPriceList,
    PriceBand, RimType, Shape, Style, TreatmentKind,
};
use crate::error::ServiceError;
use crate::optics::frame::FrameRulesConfig;
use crate::optics::lens::LensRequest;
use crate::optics::testutil::{rx, size, style};

fn prices() -> LensPriceList {
    demo_lens_prices().remove(0)
}

/// A full-rim optical rectangle in one size (A 50, DBL 18, B 36, ED 52).
fn small_frame(id: &str) -> Style {
    style(
        id,
        Category::Optical,
        Shape::Rectangle,
        RimType::Full,
        vec![size("50", 50.0, 18.0, 36.0, 52.0)],
    )
}

fn strong_myope(id: &str) -> Customer {
    let mut customer = Customer::new(id);
    customer.prescription = Some(rx(-6.0, 0.0, None, 62.0));
    customer
}

#[test]
fn when_package_priced_should_add_material_design_and_treatments_from_the_list() {
    let frame = small_frame("s1");
    let rules = FrameRulesConfig::default();
    let list = prices();
    let priced = price_lens(
        &rx(-6.0, 0.0, None, 62.0),
        &LensRequest::default(),
        (&frame, &frame.sizes[0]),
        &rules,
        Some(&list),
    );
    let package = &priced.package;
    assert_eq!(package.material, LensMaterial::Index167);
    assert_eq!(package.design, LensDesign::SingleVision);
    assert_eq!(
        package.treatments,
        [
            TreatmentKind::AntiReflective,
            TreatmentKind::HardCoat,
            TreatmentKind::Uv,
            TreatmentKind::Aspheric
        ]
    );
    // 1.67 $80 + single vision $0 + AR $30 + hard coat $0 + UV (in the material) + aspheric $30.
    assert_eq!(package.price_cents, Some(14_000));
    assert_eq!(priced.unavailable, None);
    assert!(package.edge_thickness_mm > package.centre_thickness_mm);
    // The reason speaks of thickness in this frame, never of the prescription's numbers.
    assert!(
        package.reason.contains("mm at the edge in size 50"),
        "{}",
        package.reason
    );
    assert!(
        package.reason.contains("high index 1.60 would be"),
        "{}",
        package.reason
    );
    assert!(!package.reason.contains("6.0"), "{}", package.reason);
}

#[test]
fn when_alternatives_offered_should_step_one_index_with_thickness_and_price_deltas() {
    let list = prices();
    let rules = FrameRulesConfig::default();
    // A wide frame (A 54, ED 58) far from the PD: 1.74 is thinner than 1.67 here.
    let wide = style(
        "wide",
        Category::Optical,
        Shape::Rectangle,
        RimType::Full,
        vec![size("54", 54.0, 18.0, 40.0, 58.0)],
    );
    let priced = price_lens(
        &rx(-7.0, 0.0, None, 62.0),
        &LensRequest::default(),
        (&wide, &wide.sizes[0]),
        &rules,
        Some(&list),
    );
    assert_eq!(priced.package.material, LensMaterial::Index167);
    let [up, down] = priced.alternatives.as_slice() else {
        panic!("two alternatives: {:?}", priced.alternatives);
    };
    assert_eq!(
        (up.step, up.material),
        (IndexStep::Up, LensMaterial::Index174)
    );
    assert_eq!(up.price_change_cents, Some(6_000));
    assert!(up.thickness_change_mm < 0.0, "{up:?}");
    assert!(
        up.text.starts_with("Thinner high index 1.74 for +$60: "),
        "{}",
        up.text
    );
    let (own, thinner) = (priced.package.edge_thickness_mm, up.edge_thickness_mm);
    assert!(
        up.text.ends_with(&format!(
            "{thinner:.1} mm at the edge instead of {own:.1} mm"
        )),
        "{}",
        up.text
    );
    assert_eq!(
        (down.step, down.material),
        (IndexStep::Down, LensMaterial::Index160)
    );
    assert_eq!(down.price_change_cents, Some(-4_000));
    assert!(down.thickness_change_mm > 0.0, "{down:?}");
    assert!(
        down.text.starts_with("High index 1.60 for $40 less: "),
        "{}",
        down.text
    );

    // In a small frame 1.74's thicker minimum centre outweighs its flatter curve: no step
    // up is offered as thinner, only the cheaper one down.
    let frame = small_frame("s1");
    let priced = price_lens(
        &rx(-6.0, 0.0, None, 62.0),
        &LensRequest::default(),
        (&frame, &frame.sizes[0]),
        &rules,
        Some(&list),
    );
    let steps: Vec<IndexStep> = priced.alternatives.iter().map(|a| a.step).collect();
    assert_eq!(steps, [IndexStep::Down]);

    // Rimless mounts need Trivex: a mandated material has no steps.
    let mut rimless = small_frame("s2");
    rimless.rim = RimType::Rimless;
    let priced = price_lens(
        &rx(-3.0, 0.0, None, 62.0),
        &LensRequest::default(),
        (&rimless, &rimless.sizes[0]),
        &FrameRulesConfig::default(),
        Some(&list),
    );
    assert_eq!(priced.package.material, LensMaterial::Trivex);
    assert!(priced.alternatives.is_empty());
}

#[test]
fn when_an_option_is_not_priced_should_say_so_and_not_invent_a_price() {
    let mut list = prices();
    list.materials
        .retain(|m| m.material != LensMaterial::Index167);
    list.treatments
        .retain(|t| t.treatment != TreatmentKind::Aspheric);
    let treatments = [TreatmentKind::AntiReflective, TreatmentKind::Aspheric];
    let missing = quote(
        Some(&list),
        "USD",
        LensMaterial::Index167,
        LensDesign::SingleVision,
        &treatments,
    );
    assert_eq!(
        missing,
        Err("No price for high index 1.67 in USD".to_string())
    );
    let missing = quote(
        Some(&list),
        "USD",
        LensMaterial::Index160,
        LensDesign::SingleVision,
        &treatments,
    );
    assert_eq!(
        missing,
        Err("No price for an aspheric design in USD".to_string())
    );
    assert_eq!(
        quote(
            None,
            "EUR",
            LensMaterial::Cr39,
            LensDesign::SingleVision,
            &[]
        ),
        Err("No lens prices in EUR yet".to_string())
    );

    let customer = strong_myope("c1");
    let frame = small_frame("s1");
    let shopper = Shopper {
        customer: &customer,
        bands: [0.0; 4],
        rules: &FrameRulesConfig::default(),
    };
    let bundle = shopper.bundle(&candidate(&frame, 1.0), 1.0, Some(&list));
    assert_eq!(bundle.price.frame_cents, 10_000);
    assert_eq!(bundle.price.lens_cents, None);
    assert_eq!(bundle.price.total_cents, None);
    assert_eq!(
        bundle.price.lens_unavailable.as_deref(),
        Some("No price for high index 1.67 in USD")
    );
    assert!(bundle.lens.is_some_and(|l| l.price_cents.is_none()));
}

fn candidate(style: &Style, score: f32) -> Candidate<'_> {
    Candidate {
        style,
        sku: style
            .colourways
            .first()
            .and_then(|c| c.variants.first())
            .map(|v| v.sku.clone()),
        score,
        reasons: Vec::new(),
        unavailable: None,
    }
}

#[test]
fn when_cheaper_frame_fits_poorly_should_not_lead_the_bundles() {
    let mut customer = strong_myope("c1");
    customer.face_measurements = Some(FaceMeasurements {
        face_width: 128.0,
        face_length: 180.0,
        forehead_width: None,
        cheekbone_width: None,
        jaw_width: None,
    });
    // Cheap, oversized and square: thick strong-minus lenses, far too wide for the face.
    let mut cheap = style(
        "cheap",
        Category::Optical,
        Shape::Square,
        RimType::Full,
        vec![size("58", 58.0, 20.0, 40.0, 62.0)],
    );
    cheap.price_cents = 6_000;
    // Dearer, small and round: thin edges, as wide as the face.
    let mut fitting = style(
        "fitting",
        Category::Optical,
        Shape::Round,
        RimType::Full,
        vec![size("48", 48.0, 18.0, 40.0, 50.0)],
    );
    fitting.price_cents = 18_000;
    let list = prices();
    let rules = FrameRulesConfig::default();
    let shopper = Shopper {
        customer: &customer,
        bands: [0.0; 4],
        rules: &rules,
    };
    // The cheap frame even scores a little higher on the list.
    let mut bundles = vec![
        shopper.bundle(&candidate(&cheap, 1.0), 1.0, Some(&list)),
        shopper.bundle(&candidate(&fitting, 0.9), 1.0, Some(&list)),
    ];
    let totals: Vec<Option<u32>> = bundles.iter().map(|b| b.price.total_cents).collect();
    assert!(totals[0] < totals[1], "{totals:?}");
    rank_bundles(&mut bundles);
    assert_eq!(bundles[0].style_id, "fitting", "{:?}", bundles[0].value);
    assert!(bundles[1].value.fit < bundles[0].value.fit);
    assert!(bundles[0].value.expected > bundles[1].value.expected);
}

#[test]
fn when_price_band_or_budget_differs_from_taste_should_lower_the_price_match() {
    let budget_taste = [1.0, 0.0, 0.0, 0.0];
    assert_eq!(
        price_match(&budget_taste, PriceBand::Budget, None, Some(9_000)),
        1.0
    );
    assert_eq!(
        price_match(&budget_taste, PriceBand::Luxury, None, None),
        0.5
    );
    assert_eq!(price_match(&[0.0; 4], PriceBand::Luxury, None, None), 1.0);
    let over = price_match(&[0.0; 4], PriceBand::Mid, Some(20_000), Some(25_000));
    assert_eq!(over, 0.5);
    assert_eq!(format_money(6_000, "USD"), "$60");
    assert_eq!(format_money(1_250, "EUR"), "€12.50");
    assert_eq!(format_money(8_000, "CHF"), "CHF 80");
}

async fn demo_service(customers: usize) -> (Framewise, demo::DemoData) {
    let data = demo::generate(&DemoConfig {
        customers,
        ..DemoConfig::small()
    });
    let service = Framewise::open(memory_stores(), ServiceConfig::default())
        .await
        .expect("service");
    service.import_styles(&data.styles).await.expect("styles");
    service
        .import_customers(&data.customers)
        .await
        .expect("customers");
    service
        .import_lens_prices(&demo_lens_prices())
        .await
        .expect("prices");
    (service, data)
}

#[tokio::test]
async fn when_strong_prescription_shopper_asks_should_get_thinner_lens_bundles_with_reasons() {
    let (service, data) = demo_service(12).await;
    let strong = data
        .customers
        .iter()
        .find(|c| {
            c.prescription
                .as_ref()
                .is_some_and(|rx| rx.max_meridian_power() >= demo::SHOWCASE_SPHERE.abs())
        })
        .expect("the demo has a strong prescription among its storefront shoppers");
    let answer = service
        .bundles(
            &strong.id,
            BundleQuery {
                style_id: None,
                limit: Some(4),
            },
            Utc::now(),
        )
        .await
        .expect("bundles");
    assert!(answer.with_lenses);
    assert!(answer.recommendation_id.is_some());
    assert!(!answer.bundles.is_empty() && answer.bundles.len() <= 4);
    let values: Vec<f32> = answer.bundles.iter().map(|b| b.value.expected).collect();
    assert!(values.windows(2).all(|w| w[0] >= w[1]), "{values:?}");
    for bundle in &answer.bundles {
        let lens = bundle.lens.as_ref().expect("lenses");
        assert!(
            lens.index >= 1.67 || lens.material.is_impact_resistant(),
            "{lens:?}"
        );
        assert!(bundle.frame.sku.is_some() && bundle.frame.size.is_some());
        assert_eq!(
            bundle.price.total_cents,
            lens.price_cents.map(|l| l + bundle.frame.price_cents)
        );
        assert!(bundle.reason.contains("mm at the"), "{}", bundle.reason);
    }
    // The package is the thinner lens: the step down saves money and is thicker, and the
    // reason says by how much in this frame.
    for bundle in &answer.bundles {
        let down = bundle
            .alternatives
            .iter()
            .find(|a| a.step == IndexStep::Down)
            .expect("a cheaper, thicker step down");
        assert!(down.thickness_change_mm > 0.0, "{down:?}");
        assert!(down.price_change_cents.is_some_and(|c| c < 0), "{down:?}");
        assert!(bundle.reason.contains("would be"), "{}", bundle.reason);
    }

    // One frame, as a product page asks: the same shape of answer for that style.
    let style_id = answer.bundles[0].style_id.clone();
    let one = service
        .bundles(
            &strong.id,
            BundleQuery {
                style_id: Some(style_id.clone()),
                limit: None,
            },
            Utc::now(),
        )
        .await
        .expect("one bundle");
    assert_eq!(one.bundles.len(), 1);
    assert_eq!(one.bundles[0].style_id, style_id);
    assert!(one.recommendation_id.is_none());
}

#[tokio::test]
async fn when_shopper_has_no_prescription_should_get_frame_only_bundles() {
    let (service, data) = demo_service(12).await;
    let plain = data
        .customers
        .iter()
        .find(|c| c.prescription.is_none())
        .expect("a shopper without a prescription");
    let answer = service
        .bundles(&plain.id, BundleQuery::default(), Utc::now())
        .await
        .expect("bundles");
    assert!(!answer.with_lenses);
    assert!(answer
        .note
        .as_deref()
        .is_some_and(|n| n.contains("No prescription")));
    assert!(!answer.bundles.is_empty());
    for bundle in &answer.bundles {
        assert!(bundle.lens.is_none() && bundle.alternatives.is_empty());
        assert_eq!(bundle.price.total_cents, Some(bundle.frame.price_cents));
    }

    let unknown = service
        .bundles("nobody", BundleQuery::default(), Utc::now())
        .await;
    assert!(matches!(
        unknown,
        Err(ServiceError::NotFound {
            what: "customer",
            ..
        })
    ));
    let bad = service
        .bundles(
            &plain.id,
            BundleQuery {
                style_id: Some("no such style".to_string()),
                limit: None,
            },
            Utc::now(),
        )
        .await;
    assert!(matches!(bad, Err(ServiceError::Invalid(_))), "{bad:?}");
}

#[tokio::test]
async fn when_lens_prices_imported_should_validate_each_list_and_store_by_currency() {
    let (service, _) = demo_service(1).await;
    let mut bad = prices();
    bad.currency = "usd".to_string();
    let refused = service.import_lens_prices(&[bad]).await;
    let Err(ServiceError::Invalid(errors)) = refused else {
        panic!("refused: {refused:?}");
    };
    assert_eq!(errors.0[0].field, "lens_prices[0].currency");
    let stored = service
        .stores()
        .catalog
        .lens_prices("USD")
        .await
        .expect("read");
    assert_eq!(stored, Some(prices()));
}
