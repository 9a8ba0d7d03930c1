//! Offers through the service on memory stores: a strong prescription is offered the
//! thinner lens promotion and a plain shopper is not; prices stay within the merchant's
//! bounds; the fairness rule (shoppers differing only in protected fields are quoted the
//! same price for every item either is offered) as a property; browsing without buying
//! narrows a promotion's audience; a spent budget or a finished promotion offers nothing.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;

use super::*;
use crate::adapters::{memory_stores, StaticMerchandisingSource};
use crate::demo::{self, demo_lens_prices, DemoConfig, DemoData};
use crate::domain::{
    AgeBand, Category, ColourSeason, Customer, FaceShape, Signal, SignalKind, Undertone,
};
use crate::engine::{LensOption, PricedItem};

const LENS_PROMOTIONS: &str = r#"
[[promotion]]
id = "thin-167"
label = "20% off 1.67 high-index lenses"
lens_material = "index167"
percent_off = 20

[[promotion]]
id = "thin-174"
label = "25% off 1.74 lenses"
lens_material = "index174"
percent_off = 25

[[promotion]]
id = "ar-coat"
label = "$10 off anti-reflective coating"
treatment = "anti_reflective"
amount_off_cents = 1000
currency = "USD"
"#;

fn config() -> ServiceConfig {
    ServiceConfig {
        merchandising: MerchandisingConfig {
            reload_secs: 0,
            ..MerchandisingConfig::default()
        },
        offers: OffersConfig {
            budget_refresh_secs: 0,
            ..OffersConfig::default()
        },
        ..ServiceConfig::default()
    }
}

async fn service_with(rules: &str) -> (Framewise, DemoData, Arc<StaticMerchandisingSource>) {
    let data = demo::generate(&DemoConfig {
        customers: 12,
        ..DemoConfig::small()
    });
    let service = Framewise::open(memory_stores(), config()).await.unwrap();
    service.import_styles(&data.styles).await.unwrap();
    service.import_customers(&data.customers).await.unwrap();
    service
        .import_lens_prices(&demo_lens_prices())
        .await
        .unwrap();
    let source = Arc::new(StaticMerchandisingSource::new(rules));
    let service = service.with_merchandising(source.clone());
    (service, data, source)
}

fn strong(data: &DemoData) -> Customer {
    data.customers
        .iter()
        .find(|c| {
            c.prescription
                .as_ref()
                .is_some_and(|rx| rx.max_meridian_power() >= demo::SHOWCASE_SPHERE.abs())
        })
        .expect("the demo has a strong prescription")
        .clone()
}

fn signal(customer: &str, kind: SignalKind, style_id: &str, at: DateTime<Utc>, n: usize) -> Signal {
    let mut s = crate::engine::testkit::signal(kind, style_id, at, 0);
    s.event_id = format!("e-{customer}-{}-{style_id}-{n}", kind.as_str());
    s.customer_id = Some(customer.to_string());
    s
}

#[tokio::test]
async fn when_strong_prescription_asks_should_offer_thinner_lenses_within_bounds() {
    let (service, data, _) = service_with(LENS_PROMOTIONS).await;
    let now = Utc::now();
    let strong = strong(&data);
    let answer = service.offers(&strong.id, Some(5), now).await.unwrap();
    let lens: Vec<&Offer> = answer
        .offers
        .iter()
        .filter(|o| o.kind == OfferKind::Lens)
        .collect();
    assert!(
        lens.iter().any(|o| o.promotion_id.starts_with("thin-")),
        "{answer:#?}"
    );
    let prices = &demo_lens_prices()[0];
    for offer in &lens {
        let Some(LensOption::Material(material)) = offer.lens_option else {
            continue;
        };
        let list = prices.material(material).expect("priced");
        assert_eq!(offer.price.list_cents, list);
        let percent = if offer.promotion_id == "thin-167" {
            20
        } else {
            25
        };
        assert_eq!(
            offer.price.price_cents,
            list - list * percent / 100,
            "{offer:?}"
        );
        assert!(
            offer.reason.contains(&format!("{percent}% off")),
            "{}",
            offer.reason
        );
        assert_eq!(offer.placement, format!("offer:{}", offer.promotion_id));
        // Never the prescription itself.
        assert!(!offer.reason.contains("-6"), "{}", offer.reason);
    }

    // Without a prescription no lens is advised, so no lens promotion is offered.
    let plain = data
        .customers
        .iter()
        .find(|c| c.prescription.is_none())
        .expect("a shopper without a prescription");
    let answer = service.offers(&plain.id, Some(5), now).await.unwrap();
    assert!(answer.offers.is_empty(), "{answer:#?}");
    assert!(answer.note.is_some());

    // Offers are exposures of their promotion's placement, for attribution and budgets.
    let exposures = service
        .stores()
        .measurements
        .exposures(&format!("c:{}", strong.id), now - Duration::minutes(1))
        .await
        .unwrap();
    assert!(exposures
        .iter()
        .any(|e| e.placement.starts_with(OFFER_PLACEMENT_PREFIX)));

    let refused = service.offers(&strong.id, Some(0), now).await.unwrap_err();
    assert!(refused.to_string().contains("limit"), "{refused}");
}

#[tokio::test]
async fn when_promotion_is_spent_or_over_should_not_be_offered() {
    let budgeted = LENS_PROMOTIONS.replace(
        "lens_material = \"index167\"",
        "lens_material = \"index167\"\nbudget_redemptions = 1",
    );
    let (service, data, source) = service_with(&budgeted).await;
    let now = Utc::now();
    let strong = strong(&data);
    let first = service.offers(&strong.id, Some(5), now).await.unwrap();
    let offer = first
        .offers
        .iter()
        .find(|o| o.promotion_id == "thin-167")
        .unwrap_or_else(|| panic!("the advised 1.67 lenses are on offer: {first:#?}"));
    // The shopper buys the frame through the offer: one redemption spends the budget.
    let mut purchase = signal(&strong.id, SignalKind::Purchase, &offer.style_id, now, 1);
    purchase.recommendation_id = Some(offer.offer_id.clone());
    purchase.placement = Some(offer.placement.clone());
    purchase.price_cents = Some(i64::from(offer.price.price_cents));
    service.apply_signals(&[purchase], now).await.unwrap();
    let after = service.offers(&strong.id, Some(5), now).await.unwrap();
    assert!(
        after.offers.iter().all(|o| o.promotion_id != "thin-167"),
        "{after:#?}"
    );

    // A promotion whose last day has passed offers nothing.
    let yesterday = (now - Duration::days(1)).date_naive();
    source.set(&LENS_PROMOTIONS.replace(
        "percent_off = 25",
        &format!("percent_off = 25\nuntil = \"{yesterday}\""),
    ));
    let later = service.offers(&strong.id, Some(5), now).await.unwrap();
    assert!(later.offers.iter().all(|o| o.promotion_id != "thin-174"));
}

#[tokio::test]
async fn when_shopper_browses_a_range_without_buying_should_get_its_promotion() {
    let rules = r#"
[[promotion]]
id = "sun-browsers"
label = "15% off sunglasses you have been looking at"
category = "sun"
percent_off = 15
audience = "browsed_not_bought"
"#;
    let (service, data, _) = service_with(rules).await;
    let now = Utc::now();
    let shopper = &data.customers[0].id;
    let sun: Vec<&str> = data
        .styles
        .iter()
        .filter(|s| s.category == Category::Sun && s.active)
        .map(|s| s.id.as_str())
        .take(3)
        .collect();
    assert_eq!(sun.len(), 3, "the demo sells sunglasses");
    assert!(service
        .offers(shopper, None, now)
        .await
        .unwrap()
        .offers
        .is_empty());
    let looks: Vec<Signal> = sun
        .iter()
        .enumerate()
        .map(|(n, id)| signal(shopper, SignalKind::View, id, now, n))
        .collect();
    service.apply_signals(&looks, now).await.unwrap();
    let offers = service.offers(shopper, None, now).await.unwrap().offers;
    let offer = offers
        .iter()
        .find(|o| o.promotion_id == "sun-browsers")
        .unwrap_or_else(|| panic!("{offers:#?}"));
    assert!(offer.reason.contains("looking at"), "{}", offer.reason);
    // Once they buy from the range, the promotion is not theirs any more.
    let bought = signal(shopper, SignalKind::Purchase, sun[0], now, 9);
    service.apply_signals(&[bought], now).await.unwrap();
    let offers = service.offers(shopper, None, now).await.unwrap().offers;
    assert!(offers.iter().all(|o| o.promotion_id != "sun-browsers"));
}

/// Protected fields of a shopper: what a price may never depend on.
#[derive(Debug, Clone)]
struct Protected {
    age: Option<AgeBand>,
    face: Option<FaceShape>,
    undertone: Option<Undertone>,
    season: Option<ColourSeason>,
    prescription: bool,
}

fn any_protected() -> impl Strategy<Value = Protected> {
    let age = proptest::option::of(prop_oneof![
        Just(AgeBand::Teen),
        Just(AgeBand::Age18To29),
        Just(AgeBand::Age40To44),
        Just(AgeBand::Age65Plus),
    ]);
    let face = proptest::option::of(prop_oneof![
        Just(FaceShape::Round),
        Just(FaceShape::Square),
        Just(FaceShape::Heart),
    ]);
    let undertone = proptest::option::of(prop_oneof![Just(Undertone::Warm), Just(Undertone::Cool)]);
    let season = proptest::option::of(prop_oneof![
        Just(ColourSeason::Spring),
        Just(ColourSeason::Winter)
    ]);
    (age, face, undertone, season, any::<bool>()).prop_map(
        |(age, face, undertone, season, prescription)| Protected {
            age,
            face,
            undertone,
            season,
            prescription,
        },
    )
}

const FAIRNESS_PROMOTIONS: &str = r#"
[[promotion]]
id = "mid-week"
label = "10% off mid-range frames"
price_band = "mid"
percent_off = 10
stackable = true

[[promotion]]
id = "five-off"
label = "$5 off mid-range frames"
price_band = "mid"
amount_off_cents = 500
currency = "USD"
stackable = true
"#;

/// Both shoppers' offers, and each offer re-quoted for the other shopper.
async fn fairness_case(a: Protected, b: Protected) -> Result<(), TestCaseError> {
    let rules = format!("{LENS_PROMOTIONS}{FAIRNESS_PROMOTIONS}");
    let (service, data, _) = service_with(&rules).await;
    let now = Utc::now();
    let base = strong(&data);
    let history: Vec<&str> = data.styles.iter().take(4).map(|s| s.id.as_str()).collect();
    let mut shoppers = Vec::new();
    for (n, protected) in [a, b].into_iter().enumerate() {
        let mut c = base.clone();
        c.id = format!("fair-{n}");
        c.age_band = protected.age;
        c.face_shape = protected.face;
        c.undertone = protected.undertone;
        c.colour_season = protected.season;
        if !protected.prescription {
            c.prescription = None;
        }
        service
            .import_customers(std::slice::from_ref(&c))
            .await
            .unwrap();
        let signals: Vec<Signal> = history
            .iter()
            .enumerate()
            .map(|(i, id)| signal(&c.id, SignalKind::View, id, now, i))
            .collect();
        service.apply_signals(&signals, now).await.unwrap();
        shoppers.push(c.id);
    }
    let mut histories = Vec::new();
    for id in &shoppers {
        let subject = crate::domain::Subject::Customer(id.clone());
        histories.push(service.history(&subject).await.unwrap());
    }
    for (n, id) in shoppers.iter().enumerate() {
        let offers = service.offers(id, Some(10), now).await.unwrap().offers;
        for offer in &offers {
            let style = service.engine().style(&offer.style_id).unwrap().clone();
            let item = match offer.lens_option {
                Some(option) => PricedItem::Lens(option),
                None => PricedItem::Frame(&style),
            };
            for other in &histories {
                let quoted = service
                    .quote_item(item, (offer.price.list_cents, &offer.currency), other, now)
                    .await;
                prop_assert_eq!(
                    quoted.price_cents,
                    offer.price.price_cents,
                    "shopper {} offer {:?}",
                    n,
                    offer
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    /// The fairness rule: two shoppers with the same behaviour who differ only in age,
    /// face shape, colouring and prescription are quoted the same price for every item
    /// either of them is offered.
    #[test]
    fn prices_never_depend_on_protected_fields(a in any_protected(), b in any_protected()) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(fairness_case(a, b))?;
    }
}

#[tokio::test]
async fn when_promotions_run_bundles_should_be_priced_as_the_offers_are() {
    let (service, data, _) = service_with(LENS_PROMOTIONS).await;
    let now = Utc::now();
    let strong = strong(&data);
    let query = BundleQuery {
        style_id: None,
        limit: Some(4),
    };
    let answer = service.bundles(&strong.id, query, now).await.unwrap();
    let prices = &demo_lens_prices()[0];
    let mut discounted = 0;
    for bundle in &answer.bundles {
        let lens = bundle.lens.as_ref().expect("lenses");
        let price = &bundle.price;
        assert_eq!(
            price.total_cents,
            lens.price_cents
                .map(|l| l + price.frame_cents - price.discount_cents),
            "{bundle:?}"
        );
        if lens.material == crate::domain::LensMaterial::Index167 {
            let line = prices.material(lens.material).expect("priced");
            assert!(
                price.promotions.contains(&"thin-167".to_string()),
                "{price:?}"
            );
            assert!(price.discount_cents >= line / 5, "{price:?}");
            discounted += 1;
        }
    }
    assert!(discounted > 0, "{answer:#?}");
}
