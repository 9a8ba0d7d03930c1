//! Behavioural tests of the generator: determinism, realism shares, geometry,
//! prescriptions, the personalisation signal, seasonality and the file round trip.
//! Validation ranges over any seed and size are in `bounds`.

mod bounds;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Duration, TimeZone, Utc};

use super::*;
use crate::domain::SignalKind;
use crate::domain::{Category, ColourSeason, FaceShape, Finish, RimType, Undertone};

fn catalogue_only(styles: usize) -> DemoData {
    generate(&DemoConfig {
        styles,
        customers: 0,
        ..DemoConfig::small()
    })
}

fn customers_only(customers: usize) -> DemoData {
    generate(&DemoConfig {
        styles: 120,
        customers,
        days: 0,
        ..DemoConfig::small()
    })
}

/// Enough behaviour for stable shares, still fast in debug builds.
fn behaviour() -> DemoData {
    generate(&DemoConfig {
        styles: 300,
        customers: 600,
        days: 120,
        ..DemoConfig::default()
    })
}

fn share<T>(items: &[T], pred: impl Fn(&T) -> bool) -> f64 {
    items.iter().filter(|i| pred(i)).count() as f64 / items.len().max(1) as f64
}

#[test]
fn when_enum_tables_are_indexed_should_match_declaration_order() {
    assert!(SHAPES.iter().enumerate().all(|(i, s)| *s as usize == i));
    assert!(FAMILIES.iter().enumerate().all(|(i, f)| *f as usize == i));
    assert!(MATERIALS.iter().enumerate().all(|(i, m)| *m as usize == i));
    assert!(BANDS.iter().enumerate().all(|(i, b)| *b as usize == i));
}

#[test]
fn when_the_seed_is_the_same_should_generate_identical_data() {
    let a = generate(&DemoConfig::small());
    let b = generate(&DemoConfig::small());
    assert_eq!(a, b);
    let c = generate(&DemoConfig {
        seed: 7,
        ..DemoConfig::small()
    });
    assert_ne!(a.styles, c.styles);
    assert_ne!(a.interactions, c.interactions);
}

#[test]
fn when_more_customers_are_requested_should_keep_the_same_catalogue() {
    let a = generate(&DemoConfig::small());
    let b = generate(&DemoConfig {
        customers: 50,
        ..DemoConfig::small()
    });
    assert_eq!(a.styles, b.styles);
}

#[test]
fn when_generated_every_style_and_customer_should_validate() {
    let data = generate(&DemoConfig {
        styles: 600,
        customers: 1500,
        days: 0,
        ..DemoConfig::small()
    });
    for style in &data.styles {
        assert!(
            style.validate().is_ok(),
            "{}: {:?}",
            style.id,
            style.validate()
        );
    }
    for customer in &data.customers {
        assert!(
            customer.validate().is_ok(),
            "{}: {:?}",
            customer.id,
            customer.validate()
        );
    }
    assert_eq!(data.styles[0].id, "st-0001");
    assert_eq!(data.styles[0].colourways[1].code, "st-0001-c2");
    let first_sku = &data.styles[0].colourways[0].variants[0].sku;
    assert_eq!(
        first_sku,
        &format!("st-0001-c1-{}", data.styles[0].sizes[0].label)
    );
    assert_eq!(data.styles[0].image_url, "/v1/products/st-0001/image.svg");
    assert_eq!(
        data.styles[0].colourways[1].image_url.as_deref(),
        Some("/v1/products/st-0001/image.svg?colourway=st-0001-c2")
    );
    assert_eq!(data.customers[0].id, "cu-00001");
    assert_eq!(data.tastes.len(), data.customers.len());
}

#[test]
fn when_the_catalogue_is_generated_should_follow_category_rim_and_brand_mix() {
    let data = catalogue_only(1000);
    let s = &data.styles;
    let cat = |c: Category| share(s, |x| x.category == c);
    assert!((cat(Category::Optical) - 0.62).abs() < 0.01);
    assert!((cat(Category::Sun) - 0.25).abs() < 0.01);
    assert!((cat(Category::Kids) - 0.07).abs() < 0.01);
    assert!((cat(Category::Sport) - 0.06).abs() < 0.01);

    let rim = |r: RimType| share(s, |x| x.rim == r);
    assert!(
        (rim(RimType::Full) - 0.75).abs() < 0.05,
        "full {}",
        rim(RimType::Full)
    );
    assert!((rim(RimType::SemiRimless) - 0.15).abs() < 0.04);
    assert!((rim(RimType::Rimless) - 0.10).abs() < 0.04);
    for x in s {
        if matches!(x.category, Category::Kids | Category::Sport) || x.shape == Shape::Wrap {
            assert_eq!(x.rim, RimType::Full, "{}", x.id);
        }
        if x.shape == Shape::Wrap {
            assert!(
                matches!(x.category, Category::Sun | Category::Sport),
                "{}",
                x.id
            );
        }
        if x.rim == RimType::Rimless {
            assert!(matches!(
                x.material,
                Material::Titanium | Material::StainlessSteel
            ));
        }
    }
    let tr90 = |c: Category| {
        let of: Vec<_> = s.iter().filter(|x| x.category == c).collect();
        share(&of, |x| x.material == Material::Tr90)
    };
    assert!(tr90(Category::Kids) > 0.4 && tr90(Category::Sport) > 0.6);
    assert!(tr90(Category::Optical) < 0.15);

    let brands: BTreeSet<&str> = s.iter().map(|x| x.brand.as_str()).collect();
    assert!((30..=50).contains(&brands.len()), "{} brands", brands.len());
    let house = share(s, |x| x.brand.starts_with("Framewise"));
    assert!((0.4..=0.6).contains(&house), "house share {house}");
    assert!((share(s, |x| !x.active) - 0.03).abs() < 0.02);
}

#[test]
fn when_prices_are_generated_should_fall_in_brand_tiers() {
    let data = catalogue_only(1000);
    for x in &data.styles {
        assert!(
            (2_900..=119_900).contains(&x.price_cents),
            "{}",
            x.price_cents
        );
        assert_eq!(x.price_cents % 100, 0);
        assert_eq!((x.price_cents / 100) % 10, 9);
        if x.category == Category::Kids {
            assert!(x.price_cents < 20_000);
        }
    }
    let bands: BTreeMap<PriceBand, usize> = data.styles.iter().fold(BTreeMap::new(), |mut m, x| {
        *m.entry(x.price_band()).or_default() += 1;
        m
    });
    assert_eq!(bands.len(), 4, "every price band is present: {bands:?}");
}

#[test]
fn when_colourways_are_generated_should_be_named_consistently() {
    let data = catalogue_only(1000);
    let mut counts = Vec::new();
    for x in &data.styles {
        counts.push(x.colourways.len());
        assert!((2..=5).contains(&x.colourways.len()));
        let names: BTreeSet<&str> = x
            .colourways
            .iter()
            .map(|c| c.colour.name.as_str())
            .collect();
        assert_eq!(
            names.len(),
            x.colourways.len(),
            "distinct colours in {}",
            x.id
        );
        for c in &x.colourways {
            let colour = &c.colour;
            if matches!(
                x.material,
                Material::Titanium | Material::StainlessSteel | Material::Monel
            ) {
                assert!(
                    matches!(colour.finish, Finish::Metallic | Finish::Matte),
                    "metal frame {} in {}",
                    x.id,
                    colour.name
                );
            }
            if colour.name == "Honey Tortoise" {
                assert_eq!(colour.family, ColourFamily::Tortoise);
                assert_eq!(colour.temperature, crate::domain::Temperature::Warm);
                assert_eq!(colour.value, crate::domain::ColourValue::Light);
            }
            if colour.name == "Gunmetal" {
                assert_eq!(colour.temperature, crate::domain::Temperature::Cool);
                assert_eq!(colour.finish, Finish::Metallic);
            }
            if colour.pattern == crate::domain::Pattern::Crystal {
                assert_eq!(colour.finish, Finish::Transparent);
            }
        }
    }
    counts.sort_unstable();
    assert_eq!(counts[counts.len() / 2], 3, "median colourways");
}

#[test]
fn when_sizes_are_generated_should_respect_boxing_relationships() {
    let data = catalogue_only(1000);
    let mut variants = 0usize;
    let mut empty = 0usize;
    for x in &data.styles {
        assert!((1..=2).contains(&x.sizes.len()));
        for size in &x.sizes {
            let (a, b, dbl) = (size.lens_width, size.lens_height, size.bridge);
            assert_eq!(size.label, format!("{a}"));
            assert!((14.0..=24.0).contains(&dbl), "{} bridge {dbl}", x.id);
            assert!((28.0..=45.0).contains(&b), "{} B {b}", x.id);
            match (x.category, x.shape) {
                (Category::Kids, _) => {
                    assert!((40.0..=52.0).contains(&a), "{} kids A {a}", x.id);
                    assert!(size.temple_length <= 135.0);
                }
                (Category::Optical, _) => {
                    assert!((44.0..=62.0).contains(&a), "{} A {a}", x.id);
                    assert!([135.0, 140.0, 145.0, 150.0].contains(&size.temple_length));
                }
                _ => assert!((44.0..=68.0).contains(&a), "{} A {a}", x.id),
            }
            let over = size.effective_diameter - a.max(b);
            assert!(
                (0.5..=7.0).contains(&over),
                "{} ED {over} over max(A,B)",
                x.id
            );
            if x.shape == Shape::Round && a > b {
                assert!(
                    (size.effective_diameter - (a + 1.0)).abs() <= 1.5,
                    "{} round ED",
                    x.id
                );
            }
            let endpieces = size.total_width - (2.0 * a + dbl);
            assert!(
                (4.0..=12.0).contains(&endpieces),
                "{} endpieces {endpieces}",
                x.id
            );
        }
        for c in &x.colourways {
            assert_eq!(c.variants.len(), x.sizes.len());
            for v in &c.variants {
                variants += 1;
                assert!(v.stock <= 40);
                if v.stock == 0 {
                    empty += 1;
                }
                assert_eq!(v.sku, format!("{}-{}", c.code, v.size));
            }
        }
    }
    let empty_share = empty as f64 / variants as f64;
    assert!(
        (empty_share - 0.08).abs() < 0.02,
        "out of stock {empty_share}"
    );
    // Deeper and shallower shapes as section 2 describes.
    let mean_ratio = |shape: Shape| {
        let r: Vec<f32> = data
            .styles
            .iter()
            .filter(|x| x.shape == shape)
            .flat_map(|x| x.sizes.iter().map(|s| s.lens_height / s.lens_width))
            .collect();
        r.iter().sum::<f32>() / r.len() as f32
    };
    assert!(mean_ratio(Shape::Aviator) > mean_ratio(Shape::Rectangle) + 0.1);
    assert!(mean_ratio(Shape::Round) > mean_ratio(Shape::Browline) + 0.1);
}

#[test]
fn when_launch_dates_and_tags_are_generated_should_be_plausible() {
    let data = catalogue_only(400);
    let end = DemoConfig::small().end.date_naive();
    for x in &data.styles {
        assert!(x.launch_date <= end && x.launch_date >= end - Duration::days(3 * 365 + 1));
        if x.material == Material::Titanium {
            assert!(x.tags.iter().any(|t| t == "hypoallergenic"));
        }
        if x.material == Material::Monel {
            assert!(!x.tags.iter().any(|t| t == "hypoallergenic"));
        }
        if x.category == Category::Sun {
            assert!(x.tags.iter().any(|t| t == "uv400"));
        }
        let mut sorted = x.tags.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, x.tags);
    }
    assert!(data
        .styles
        .iter()
        .any(|x| x.tags.iter().any(|t| t == "spring_hinge")));
}

#[test]
fn when_customers_are_generated_should_follow_population_shares() {
    let data = customers_only(3000);
    let c = &data.customers;
    let rx = share(c, |x| x.prescription.is_some());
    assert!((rx - 0.64).abs() < 0.04, "rx share {rx}");
    let face = share(c, |x| x.face_shape.is_some());
    assert!((face - 0.6).abs() < 0.04, "face share {face}");
    let measured = share(c, |x| x.face_measurements.is_some());
    assert!((measured - 0.3).abs() < 0.04);
    let undertone = share(c, |x| x.undertone.is_some());
    assert!((undertone - 0.5).abs() < 0.04);
    let prefs = share(c, |x| !x.preferences.is_empty());
    assert!((prefs - 0.25).abs() < 0.04);
    let kids = share(&data.tastes, |t| t.age_band.is_child());
    assert!((kids - 0.05).abs() < 0.02, "kids share {kids}");
}

#[test]
fn when_prescriptions_are_generated_should_be_valid_and_age_consistent() {
    let data = customers_only(3000);
    let mut add_by_band: BTreeMap<AgeBand, Vec<f32>> = BTreeMap::new();
    let (mut od_se, mut os_se) = (Vec::new(), Vec::new());
    let mut myopes = 0usize;
    let mut with_rx = 0usize;
    for (c, t) in data.customers.iter().zip(&data.tastes) {
        let Some(rx) = &c.prescription else { continue };
        with_rx += 1;
        assert!(rx.validate().is_ok(), "{}", c.id);
        if let Some(band) = c.age_band {
            assert_eq!(band, t.age_band, "declared age is the true one");
        }
        let over_40 = t.age_band >= AgeBand::Age40To44;
        if rx.has_add() {
            assert!(over_40, "{} has ADD at {:?}", c.id, t.age_band);
        }
        if let Some(add) = rx.od.add {
            add_by_band.entry(t.age_band).or_default().push(add);
        }
        let pd = rx.pd.binocular();
        if t.age_band == AgeBand::Child {
            assert!((43.0..=58.0).contains(&pd));
        } else if !t.age_band.is_child() {
            assert!((50.0..=75.0).contains(&pd));
        }
        for eye in [&rx.od, &rx.os] {
            assert!(eye.cyl <= 0.0, "minus-cyl form");
        }
        let se = |e: &crate::domain::EyeRx| f64::from(e.sph + e.cyl / 2.0);
        od_se.push(se(&rx.od));
        os_se.push(se(&rx.os));
        if se(&rx.od) <= -1.0 {
            myopes += 1;
        }
    }
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
    let add_45 = mean(&add_by_band[&AgeBand::Age45To49]);
    let add_65 = mean(&add_by_band[&AgeBand::Age65Plus]);
    assert!(add_45 < add_65 && (1.0..=1.5).contains(&add_45) && (2.75..=3.25).contains(&add_65));
    let presbyopes_50 = data
        .customers
        .iter()
        .zip(&data.tastes)
        .filter(|(c, t)| t.age_band == AgeBand::Age50To54 && c.prescription.is_some())
        .collect::<Vec<_>>();
    let with_add = share(&presbyopes_50, |(c, _)| {
        c.prescription.as_ref().is_some_and(|r| r.has_add())
    });
    assert!(with_add > 0.9, "ADD at 50-54: {with_add}");
    let r = correlation(&od_se, &os_se);
    assert!((0.8..0.99).contains(&r), "right/left SE correlation {r}");
    let myopia = myopes as f64 / with_rx as f64;
    assert!(
        (0.35..0.7).contains(&myopia),
        "myopes among Rx wearers {myopia}"
    );
}

fn correlation(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let cov: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let vx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let vy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
    cov / (vx * vy).sqrt()
}

#[test]
fn when_faces_and_colouring_are_declared_should_be_consistent() {
    let data = customers_only(3000);
    for c in &data.customers {
        if let (Some(shape), Some(m)) = (c.face_shape, &c.face_measurements) {
            let ratio = m.face_length / m.face_width;
            let (fw, jw) = (m.forehead_width.unwrap_or(0.0), m.jaw_width.unwrap_or(0.0));
            match shape {
                FaceShape::Round | FaceShape::Square => assert!(ratio < 1.25, "{} {ratio}", c.id),
                FaceShape::Oblong => assert!(ratio > 1.4, "{} {ratio}", c.id),
                FaceShape::Heart => assert!(fw > jw + 10.0, "{}", c.id),
                FaceShape::Triangle => assert!(jw > fw + 10.0, "{}", c.id),
                FaceShape::Diamond => {
                    assert!(m.cheekbone_width.unwrap_or(0.0) > fw.max(jw) + 10.0)
                }
                FaceShape::Oval => {}
            }
        }
        match (c.undertone, c.colour_season) {
            (Some(Undertone::Warm), Some(s)) => {
                assert!(matches!(s, ColourSeason::Spring | ColourSeason::Autumn))
            }
            (Some(Undertone::Cool), Some(s)) => {
                assert!(matches!(s, ColourSeason::Summer | ColourSeason::Winter))
            }
            (None, Some(_)) => panic!("{}: season without undertone", c.id),
            _ => {}
        }
    }
    let oval = share(&data.customers, |c| c.face_shape == Some(FaceShape::Oval))
        / share(&data.customers, |c| c.face_shape.is_some());
    assert!((oval - 0.3).abs() < 0.05);
}

#[test]
fn when_preferences_are_declared_should_be_a_subset_of_the_taste() {
    let data = customers_only(2000);
    for (c, t) in data.customers.iter().zip(&data.tastes) {
        // Declared with the taste the shopper started with (a drifting one changes later).
        let t = t.first();
        let p = &c.preferences;
        assert!(p.shapes.iter().all(|s| t.shapes.contains(s)), "{}", c.id);
        assert!(p
            .colour_families
            .iter()
            .all(|f| t.colour_families.contains(f)));
        assert!(p.materials.iter().all(|m| *m == t.material));
        assert!((1..=2).contains(&t.shapes.len()) && (1..=2).contains(&t.colour_families.len()));
    }
}

#[test]
fn when_interactions_are_generated_should_be_sorted_and_inside_the_window() {
    let config = DemoConfig::small();
    let data = generate(&config);
    let start = config.end - Duration::days(i64::from(config.days));
    assert!(!data.interactions.is_empty());
    assert!(data
        .interactions
        .windows(2)
        .all(|w| w[0].timestamp <= w[1].timestamp));
    assert!(data
        .interactions
        .iter()
        .all(|i| i.timestamp > start && i.timestamp <= config.end));
    let styles: BTreeSet<&str> = data.styles.iter().map(|s| s.id.as_str()).collect();
    let customers: BTreeSet<&str> = data.customers.iter().map(|c| c.id.as_str()).collect();
    assert!(data.interactions.iter().all(
        |i| styles.contains(i.style_id.as_str()) && customers.contains(i.customer_id.as_str())
    ));
}

#[test]
fn when_zero_days_are_requested_should_generate_no_interactions() {
    let data = customers_only(10);
    assert!(data.interactions.is_empty());
}

#[test]
fn when_shoppers_browse_should_follow_the_funnel() {
    let data = behaviour();
    let count = |k: SignalKind| data.interactions.iter().filter(|i| i.kind == k).count();
    let per_customer = data.interactions.len() as f64 / data.customers.len() as f64;
    // 120 of the default 180 days: the default targets 25-50 per customer.
    assert!(
        (15.0..=35.0).contains(&per_customer),
        "{per_customer} per customer"
    );
    let kinds = [
        SignalKind::View,
        SignalKind::Click,
        SignalKind::TryOn,
        SignalKind::AddToCart,
        SignalKind::Purchase,
        SignalKind::Return,
    ];
    for w in kinds.windows(2) {
        assert!(count(w[0]) > count(w[1]), "{:?} > {:?}", w[0], w[1]);
    }
    assert!(count(SignalKind::Dismiss) > 0 && count(SignalKind::Favorite) > 0);
    let returns = count(SignalKind::Return) as f64 / count(SignalKind::Purchase) as f64;
    assert!((0.02..0.16).contains(&returns), "return share {returns}");

    let mut bought: BTreeMap<&str, usize> = BTreeMap::new();
    for i in data
        .interactions
        .iter()
        .filter(|i| i.kind == SignalKind::Purchase)
    {
        *bought.entry(&i.customer_id).or_default() += 1;
    }
    assert!(bought.values().all(|n| *n <= 4));
    let mean = bought.values().sum::<usize>() as f64 / bought.len() as f64;
    assert!((1.0..=2.0).contains(&mean), "purchases per buyer {mean}");
    let buyers = bought.len() as f64 / data.customers.len() as f64;
    assert!((0.1..0.6).contains(&buyers), "buyer share {buyers}");
}

#[test]
fn when_activity_varies_should_have_few_heavy_and_many_light_shoppers() {
    let data = behaviour();
    let mut per: BTreeMap<&str, usize> = BTreeMap::new();
    for i in &data.interactions {
        *per.entry(&i.customer_id).or_default() += 1;
    }
    let mut counts: Vec<usize> = per.values().copied().collect();
    counts.sort_unstable();
    let median = counts[counts.len() / 2] as f64;
    let mean = counts.iter().sum::<usize>() as f64 / counts.len() as f64;
    let p95 = counts[counts.len() * 95 / 100] as f64;
    assert!(
        mean > median * 1.2,
        "right-skewed: mean {mean} median {median}"
    );
    assert!(
        p95 > 3.0 * median,
        "heavy shoppers: p95 {p95} median {median}"
    );
}

#[test]
fn when_purchases_and_returns_happen_should_respect_stock_and_order() {
    let data = behaviour();
    let by_id: BTreeMap<&str, &Style> = data.styles.iter().map(|s| (s.id.as_str(), s)).collect();
    let mut purchases: BTreeMap<(&str, &str), Vec<chrono::DateTime<Utc>>> = BTreeMap::new();
    for i in &data.interactions {
        let style = by_id[i.style_id.as_str()];
        match i.kind {
            SignalKind::Purchase | SignalKind::AddToCart => {
                assert!(
                    style.is_available(),
                    "{} bought unavailable {}",
                    i.customer_id,
                    style.id
                );
                if i.kind == SignalKind::Purchase {
                    purchases
                        .entry((&i.customer_id, &i.style_id))
                        .or_default()
                        .push(i.timestamp);
                }
            }
            SignalKind::Return => {
                let bought = purchases
                    .get(&(i.customer_id.as_str(), i.style_id.as_str()))
                    .expect("return follows a purchase");
                assert!(bought.iter().any(|t| {
                    let gap = i.timestamp - *t;
                    gap >= Duration::days(3) && gap <= Duration::days(14) + Duration::hours(1)
                }));
            }
            _ => {}
        }
    }
}

#[test]
fn when_behaviour_is_measured_should_reveal_the_latent_taste() {
    let data = behaviour();
    let styles: BTreeMap<&str, &Style> = data.styles.iter().map(|s| (s.id.as_str(), s)).collect();
    let tastes: BTreeMap<&str, &Taste> = data
        .tastes
        .iter()
        .map(|t| (t.customer_id.as_str(), t))
        .collect();
    let match_share = |kinds: &[SignalKind]| {
        let rows: Vec<&Interaction> = data
            .interactions
            .iter()
            .filter(|i| kinds.contains(&i.kind))
            .collect();
        share(&rows, |i| {
            tastes[i.customer_id.as_str()]
                .at(i.timestamp)
                .matches(styles[i.style_id.as_str()])
        })
    };
    let views = match_share(&[SignalKind::View]);
    let deep = match_share(&[SignalKind::TryOn, SignalKind::Purchase]);
    let dismissed = match_share(&[SignalKind::Dismiss]);
    assert!(
        (0.55..=0.8).contains(&views),
        "views matching taste {views}"
    );
    assert!(
        deep > 0.6 && deep >= views,
        "try-ons/purchases matching taste {deep}"
    );
    assert!(
        dismissed < 0.3,
        "dismissed styles matching taste {dismissed}"
    );

    // Baseline: how much of the catalogue a random taste matches.
    let baseline: f64 = data
        .tastes
        .iter()
        .map(|t| share(&data.styles, |s| t.matches(s)))
        .sum::<f64>()
        / data.tastes.len() as f64;
    assert!(
        baseline < 0.25,
        "random taste matches {baseline} of the catalogue"
    );
    assert!(views > 2.5 * baseline);
}

#[test]
fn when_seasons_change_should_peak_sun_views_in_summer() {
    let config = DemoConfig {
        styles: 200,
        customers: 300,
        days: 365,
        end: Utc
            .with_ymd_and_hms(2025, 12, 31, 0, 0, 0)
            .single()
            .expect("date"),
        ..DemoConfig::default()
    };
    let data = generate(&config);
    let sun: BTreeSet<&str> = data
        .styles
        .iter()
        .filter(|s| s.category == Category::Sun)
        .map(|s| s.id.as_str())
        .collect();
    let sun_share = |months: &[u32]| {
        let views: Vec<&Interaction> = data
            .interactions
            .iter()
            .filter(|i| i.kind == SignalKind::View && months.contains(&i.timestamp.month()))
            .collect();
        share(&views, |i| sun.contains(i.style_id.as_str()))
    };
    let summer = sun_share(&[5, 6]);
    let winter = sun_share(&[11, 12, 1]);
    assert!(
        summer > 1.5 * winter,
        "sun share summer {summer} winter {winter}"
    );
    assert!(behaviour::sun_season(config.end - Duration::days(200)) > 1.2);
}

#[test]
fn when_written_to_a_directory_should_read_back_identically() {
    let data = generate(&DemoConfig::small());
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("demo");
    let files = write_dir(&data, &out).expect("write demo files");
    assert_eq!(files.catalog, out.join("catalog.jsonl"));

    let styles = import::read_catalog_jsonl(&files.catalog).expect("catalog");
    assert_eq!(styles, data.styles);
    let customers = import::read_customers_jsonl(&files.customers).expect("customers");
    assert_eq!(customers, data.customers);
    let tastes: Vec<Taste> = import::read_jsonl(&files.tastes).expect("tastes");
    assert_eq!(tastes, data.tastes);
    let signals = import::read_interactions_csv(&files.interactions).expect("interactions");
    assert_eq!(signals, import::interactions_to_signals(&data.interactions));
    assert!(signals
        .iter()
        .zip(&data.interactions)
        .all(|(s, i)| s.kind == i.kind
            && s.timestamp == i.timestamp
            && s.style_id == i.style_id
            && s.customer_id.as_deref() == Some(i.customer_id.as_str())));
}

/// The default size is what `serve --demo` loads: its volume and taste signal are documented.
#[test]
fn when_generating_the_default_size_should_be_sized_as_documented() {
    let data = generate(&DemoConfig::default());
    let rows = data.interactions.len();
    let styles: BTreeMap<&str, &Style> = data.styles.iter().map(|s| (s.id.as_str(), s)).collect();
    let tastes: BTreeMap<&str, &Taste> = data
        .tastes
        .iter()
        .map(|t| (t.customer_id.as_str(), t))
        .collect();
    let views: Vec<&Interaction> = data
        .interactions
        .iter()
        .filter(|i| i.kind == SignalKind::View)
        .collect();
    let matching = share(&views, |i| {
        tastes[i.customer_id.as_str()]
            .at(i.timestamp)
            .matches(styles[i.style_id.as_str()])
    });
    println!("{matching:.3} of views match the viewer's taste");
    assert!((0.55..=0.75).contains(&matching));
    assert!((150_000..=250_000).contains(&rows));
}

#[test]
fn when_the_cohort_drifts_should_follow_the_earlier_taste_before_the_change_and_the_new_one_after()
{
    let data = behaviour();
    for (i, t) in data.tastes.iter().enumerate() {
        assert_eq!(t.earlier.is_some(), is_drifting(i), "{}", t.customer_id);
    }
    let drifting: Vec<&Taste> = data.tastes.iter().filter(|t| t.earlier.is_some()).collect();
    assert_eq!(drifting.len(), 600 / DRIFTING_EVERY);
    assert_eq!(drifting[0].customer_id, "cu-00002");
    let styles: BTreeMap<&str, &Style> = data.styles.iter().map(|s| (s.id.as_str(), s)).collect();
    // Views (what a shopper browses follows taste most directly), per phase: [before, after]
    // x [fits the earlier taste, fits the new one].
    let mut views = [[0usize; 2]; 2];
    let mut totals = [0usize; 2];
    for t in &drifting {
        let earlier = t.earlier.as_ref().expect("drifting");
        assert!(
            t.shapes.iter().all(|s| !earlier.shapes.contains(s)),
            "{t:?}"
        );
        assert!(t
            .colour_families
            .iter()
            .all(|f| !earlier.colour_families.contains(f)));
        assert_ne!(t.material, earlier.material);
        let first = t.first();
        for i in data
            .interactions
            .iter()
            .filter(|i| i.customer_id == t.customer_id && i.kind == SignalKind::View)
        {
            let style = styles[i.style_id.as_str()];
            let phase = usize::from(i.timestamp >= earlier.until);
            totals[phase] += 1;
            views[phase][0] += usize::from(first.matches(style));
            views[phase][1] += usize::from(t.matches(style));
        }
    }
    let share = |phase: usize, taste: usize| views[phase][taste] as f64 / totals[phase] as f64;
    assert!(totals[0] > totals[1] && totals[1] > 0, "{totals:?}");
    assert!(
        share(0, 0) > 0.5 && share(0, 1) < 0.15,
        "before: {views:?} of {totals:?}"
    );
    assert!(
        share(1, 1) > 0.5 && share(1, 0) < 0.15,
        "after: {views:?} of {totals:?}"
    );
    // Everyone else keeps one taste throughout.
    assert!(data
        .tastes
        .iter()
        .filter(|t| t.earlier.is_none())
        .all(|t| *t.first() == *t));
}
