//! Promotions: parsing (every problem named by promotion and field) and the price rule's
//! bounds as properties over random promotions and prices.

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;

use super::testkit::StyleBuilder;
use super::*;
use crate::domain::{Category, LensMaterial, TreatmentKind};

fn day(d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, d, 12, 0, 0)
        .single()
        .unwrap()
}

fn parsed(text: &str) -> Vec<Promotion> {
    MerchandisingRules::from_toml_str(text)
        .unwrap_or_else(|e| panic!("{e}"))
        .promotions
}

fn refused(text: &str) -> Vec<RuleError> {
    match MerchandisingRules::from_toml_str(text) {
        Ok(rules) => panic!("accepted: {rules:?}"),
        Err(MerchandisingError(errors)) => errors,
    }
}

#[test]
fn when_promotions_are_declared_should_parse_targets_discounts_and_bounds() {
    let promotions = parsed(
        r#"
        [[promotion]]
        id = "thin-lens-week"
        label = "20% off 1.67 lenses"
        from = "2026-11-23"
        until = "2026-11-30"
        lens_material = "index167"
        percent_off = 20
        budget_redemptions = 500

        [[promotion]]
        id = "sun-browsers"
        label = "$15 off sunglasses"
        category = "sun"
        amount_off_cents = 1500
        currency = "USD"
        audience = "browsed_not_bought"
        stackable = true
        min_price_cents = 5000
        "#,
    );
    assert_eq!(promotions.len(), 2);
    let thin = &promotions[0];
    assert_eq!(thin.id(), "thin-lens-week");
    assert_eq!(
        thin.target,
        PromotionTarget::Lens(LensOption::Material(LensMaterial::Index167))
    );
    assert_eq!(thin.discount, Discount::PercentOff(20));
    assert_eq!(thin.budget_redemptions, Some(500));
    assert!(!thin.stackable && thin.audience == Audience::Everyone);
    assert!(thin.meta.active(day(30)) && !thin.meta.active(day(22)));
    let sun = &promotions[1];
    assert_eq!(
        sun.target,
        PromotionTarget::Frames(StyleMatch::Category(Category::Sun))
    );
    assert_eq!(
        sun.discount,
        Discount::AmountOff {
            cents: 1500,
            currency: "USD".to_string()
        }
    );
    assert_eq!(sun.audience, Audience::BrowsedNotBought);
    assert!(sun.stackable);
    assert_eq!(sun.min_price_cents, Some(5000));
}

#[test]
fn when_a_promotion_is_wrong_should_name_it_and_each_field() {
    let errors = refused(
        r#"
        [[promotion]]
        id = "too-much"
        label = "Everything must go"
        brand = "Alto"
        percent_off = 95

        [[promotion]]
        label = "No id"
        lens_material = "index167"
        treatment = "anti_reflective"
        amount_off_cents = 500

        [[promotion]]
        id = "lens-browsers"
        label = "Lens deal"
        treatment = "blue_light"
        percent_off = 10
        audience = "browsed_not_bought"
        "#,
    );
    let named = |rule: &str, field: &str| {
        errors
            .iter()
            .any(|e| e.rule.as_deref() == Some(rule) && e.field.as_deref() == Some(field))
    };
    assert!(named("too-much", "percent_off"), "{errors:?}");
    assert!(named("promotion[2]", "id"), "{errors:?}");
    assert!(named("promotion[2]", "currency"), "{errors:?}");
    assert!(named("promotion[2]", "treatment"), "{errors:?}");
    assert!(named("lens-browsers", "audience"), "{errors:?}");
}

fn promotion(id: &str, discount: Discount, stackable: bool, min_price: Option<u32>) -> Promotion {
    Promotion {
        meta: RuleMeta {
            name: id.to_string(),
            label: Some(id.to_string()),
            from: None,
            until: None,
        },
        target: PromotionTarget::Frames(StyleMatch::Brand("Alto".to_string())),
        discount,
        audience: Audience::Everyone,
        stackable,
        budget_redemptions: None,
        min_price_cents: min_price,
    }
}

#[test]
fn when_promotions_apply_should_take_the_best_of_exclusive_or_stacked_within_bounds() {
    let bounds = OfferBounds {
        max_discount_percent: 50,
    };
    let ten = promotion("ten", Discount::PercentOff(10), true, None);
    let five_usd = promotion(
        "five-usd",
        Discount::AmountOff {
            cents: 500,
            currency: "USD".to_string(),
        },
        true,
        None,
    );
    let fifteen = promotion("fifteen", Discount::PercentOff(15), false, None);
    // Stacked: 10000 - 10% = 9000, - $5 = 8500; beats 15% alone (8500 ties: fewer wins).
    let q = quote(10_000, &[&ten, &five_usd, &fifteen], bounds);
    assert_eq!(q.price_cents, 8_500);
    assert_eq!(q.promotions, vec!["fifteen".to_string()]);
    let q = quote(20_000, &[&ten, &five_usd, &fifteen], bounds);
    // 20000: stacked 18000 - $5 = 17500; 15% alone is 17000, so the exclusive wins.
    assert_eq!((q.price_cents, q.promotions.len()), (17_000, 1));
    // The merchant's bound holds whatever the promotions say.
    let eighty = promotion("eighty", Discount::PercentOff(80), false, None);
    assert_eq!(quote(10_000, &[&eighty], bounds).price_cents, 5_000);
    // A promotion's own floor holds too.
    let floored = promotion("floored", Discount::PercentOff(40), false, Some(7_000));
    assert_eq!(quote(10_000, &[&floored], bounds).price_cents, 7_000);
    // Nothing applies: the list price, no promotion named.
    let none = quote(10_000, &[], bounds);
    assert_eq!((none.price_cents, none.promotions.len()), (10_000, 0));
}

#[test]
fn when_the_item_or_day_or_behaviour_differs_should_apply_only_where_declared() {
    let alto = StyleBuilder::new("a1").brand("Alto").build();
    let brio = StyleBuilder::new("b1").brand("Brio").build();
    let mut p = promotion("alto", Discount::PercentOff(10), false, None);
    p.meta.from = Some(day(10).date_naive());
    p.meta.until = Some(day(20).date_naive());
    let looks = Behaviour::default();
    assert!(p.applies(PricedItem::Frame(&alto), "USD", day(15), looks));
    assert!(!p.applies(PricedItem::Frame(&brio), "USD", day(15), looks));
    assert!(!p.applies(PricedItem::Frame(&alto), "USD", day(21), looks));
    let lens = PricedItem::Lens(LensOption::Treatment(TreatmentKind::AntiReflective));
    assert!(!p.applies(lens, "USD", day(15), looks));
    let usd = promotion(
        "usd",
        Discount::AmountOff {
            cents: 100,
            currency: "USD".to_string(),
        },
        false,
        None,
    );
    assert!(!usd.applies(PricedItem::Frame(&alto), "EUR", day(15), looks));
    p.audience = Audience::BrowsedNotBought;
    let browsing = Behaviour {
        looks: BROWSED_AT_LEAST,
        purchases: 0,
    };
    let bought = Behaviour {
        looks: 9,
        purchases: 1,
    };
    assert!(p.applies(PricedItem::Frame(&alto), "USD", day(15), browsing));
    assert!(!p.applies(PricedItem::Frame(&alto), "USD", day(15), bought));
    assert!(!p.applies(PricedItem::Frame(&alto), "USD", day(15), looks));
}

fn any_promotion() -> impl Strategy<Value = Promotion> {
    let discount = prop_oneof![
        (1u8..=MAX_PERCENT_OFF).prop_map(Discount::PercentOff),
        (1u32..=200_000).prop_map(|cents| Discount::AmountOff {
            cents,
            currency: "USD".to_string()
        }),
    ];
    (
        discount,
        any::<bool>(),
        proptest::option::of(0u32..=100_000),
    )
        .prop_map(|(discount, stackable, floor)| promotion("p", discount, stackable, floor))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// The merchant's bounds: never above the list price, never below the merchant-wide
    /// floor or the floor of a promotion applied, only promotions given, never an exclusive
    /// one combined, and the same quote whatever order the promotions come in.
    #[test]
    fn quotes_never_break_the_merchants_bounds(
        list in 1u32..=10_000_000,
        promotions in proptest::collection::vec(any_promotion(), 0..6),
        max_percent in 0u8..=MAX_PERCENT_OFF,
    ) {
        // Ids are unique in a rules file (the parser refuses duplicates).
        let mut promotions = promotions;
        for (n, p) in promotions.iter_mut().enumerate() {
            p.meta.name = format!("p{n}");
        }
        let bounds = OfferBounds { max_discount_percent: max_percent };
        let refs: Vec<&Promotion> = promotions.iter().collect();
        let q = quote(list, &refs, bounds);
        prop_assert_eq!(q.list_cents, list);
        prop_assert!(q.price_cents <= list);
        let merchant_floor = (u64::from(list) * u64::from(100 - max_percent)).div_ceil(100);
        prop_assert!(u64::from(q.price_cents) >= merchant_floor, "{q:?} below {merchant_floor}");
        let applied: Vec<&Promotion> = q
            .promotions
            .iter()
            .map(|id| promotions.iter().find(|p| p.id() == id).expect("a given promotion"))
            .collect();
        for p in &applied {
            if let Some(floor) = p.min_price_cents {
                prop_assert!(q.price_cents >= floor.min(list));
            }
        }
        if applied.len() > 1 {
            prop_assert!(applied.iter().all(|p| p.stackable));
        }
        prop_assert_eq!(q.promotions.is_empty(), q.price_cents == list);
        let mut reversed = refs.clone();
        reversed.reverse();
        prop_assert_eq!(quote(list, &reversed, bounds).price_cents, q.price_cents);
    }
}
