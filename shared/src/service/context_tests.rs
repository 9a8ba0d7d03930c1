//! Read-time context through the service on memory stores: occasions, hemisphere, weather
//! and evening hours re-rank the stored list with true reasons, and never bring in a frame
//! the list did not hold (so never one the shopper's prescription cannot take).

use std::collections::HashSet;

use super::tests::{demo_data, regenerated};
use super::*;
use crate::domain::{Category, Context, RecommendationPage, Weather};
use crate::error::ServiceError;

fn quick_config() -> ServiceConfig {
    ServiceConfig {
        collaborative: CollaborativeMode::Cooccurrence,
        ..ServiceConfig::default()
    }
}

fn with(context: Context) -> RecommendationQuery {
    RecommendationQuery {
        limit: Some(100),
        context,
        ..RecommendationQuery::default()
    }
}

fn occasion(id: &str) -> Context {
    Context {
        occasion: Some(id.into()),
        ..Context::default()
    }
}

fn ids(page: &RecommendationPage) -> Vec<String> {
    page.items.iter().map(|i| i.style_id.clone()).collect()
}

/// Mean rank (0 = top) of the items `keep` selects.
fn mean_rank(
    page: &RecommendationPage,
    keep: impl Fn(&crate::domain::RecommendedItem) -> bool,
) -> f64 {
    let ranks: Vec<usize> = page
        .items
        .iter()
        .enumerate()
        .filter(|(_, i)| keep(i))
        .map(|(r, _)| r)
        .collect();
    ranks.iter().sum::<usize>() as f64 / ranks.len().max(1) as f64
}

#[tokio::test]
async fn when_occasion_is_sport_should_lift_sport_frames_with_true_reasons_and_keep_the_list() {
    let data = demo_data();
    let (service, now) = regenerated(&data, quick_config()).await;
    let customer = &data.customers[3].id;
    let plain = service
        .recommendations(customer, with(Context::default()), now)
        .await
        .unwrap();
    let sport = service
        .recommendations(customer, with(occasion("sport")), now)
        .await
        .unwrap();
    assert!(plain.context.is_none());
    assert_eq!(
        sport.context.as_ref().and_then(|c| c.occasion.as_deref()),
        Some("sport")
    );
    // Same styles, other order: context only re-ranks what the list holds.
    let as_set = |p: &RecommendationPage| ids(p).into_iter().collect::<HashSet<_>>();
    assert_eq!(as_set(&plain), as_set(&sport));
    let is_sporty = |i: &crate::domain::RecommendedItem| {
        i.category == Category::Sport || i.shape == crate::domain::Shape::Wrap
    };
    assert!(mean_rank(&sport, is_sporty) < mean_rank(&plain, is_sporty));
    let engine = service.engine();
    let mut lifted = 0;
    for item in &sport.items {
        let Some(reason) = item.reasons.iter().find(|r| r.code == "occasion_sport") else {
            continue;
        };
        lifted += 1;
        let style = engine.style(&item.style_id).unwrap();
        // Every attribute the reason names is the style's own.
        if reason.text.contains("wrap shape") {
            assert_eq!(style.shape, crate::domain::Shape::Wrap);
        }
        if reason.text.contains("TR-90") {
            assert_eq!(style.material, crate::domain::Material::Tr90);
        }
        if reason.text.contains("sport eyewear") {
            assert_eq!(style.category, Category::Sport);
        }
        assert!(reason.text.contains("polycarbonate"), "{}", reason.text);
    }
    assert!(lifted > 0);
}

#[tokio::test]
async fn when_context_is_applied_should_never_list_a_frame_the_prescription_cannot_take() {
    let data = demo_data();
    let (service, now) = regenerated(&data, quick_config()).await;
    let engine = service.engine();
    let mut checked = 0;
    for customer in data
        .customers
        .iter()
        .filter(|c| c.prescription.is_some())
        .take(5)
    {
        for id in ["sport", "beach", "driving"] {
            let page = service
                .recommendations(&customer.id, with(occasion(id)), now)
                .await
                .unwrap();
            for item in &page.items {
                assert!(
                    engine.style_fits(customer, &item.style_id),
                    "{} for {}",
                    item.style_id,
                    customer.id
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 0);
}

#[tokio::test]
async fn when_shopper_is_south_in_october_should_lift_sunglasses_with_a_local_season_reason() {
    let data = demo_data();
    let (service, now) = regenerated(&data, quick_config()).await;
    let customer = &data.customers[5].id;
    let is_sun = |i: &crate::domain::RecommendedItem| i.category == Category::Sun;
    let north = service
        .recommendations(
            customer,
            with(Context {
                country: Some("GB".into()),
                ..Context::default()
            }),
            now,
        )
        .await
        .unwrap();
    let south = service
        .recommendations(
            customer,
            with(Context {
                country: Some("AU".into()),
                ..Context::default()
            }),
            now,
        )
        .await
        .unwrap();
    // The deployment is northern: GB changes nothing, AU is in sun season in October.
    assert_eq!(north.context.as_ref().map(|c| c.reranked), Some(0));
    assert_eq!(
        south.context.as_ref().map(|c| c.hemisphere),
        Some(crate::domain::Hemisphere::South)
    );
    assert!(mean_rank(&south, is_sun) < mean_rank(&north, is_sun));
    for item in south.items.iter().filter(|i| is_sun(i)) {
        assert!(item
            .reasons
            .iter()
            .any(|r| r.text == "Sun season pick where you are"));
    }
    for item in south.items.iter().filter(|i| !is_sun(i)) {
        assert!(item
            .reasons
            .iter()
            .all(|r| !r.text.ends_with("where you are")));
    }
}

#[tokio::test]
async fn when_uv_is_high_or_evening_should_lift_sun_and_screen_wear_and_advise() {
    let data = demo_data();
    let (service, now) = regenerated(&data, quick_config()).await;
    let customer = &data.customers[7].id;
    let sunny = Context {
        weather: Some(Weather {
            uv_index: 9.0,
            temperature_c: 30.0,
            sunshine: 1.0,
            precipitation_mm: 0.0,
            utc_offset_minutes: None,
        }),
        ..Context::default()
    };
    let page = service
        .recommendations(customer, with(sunny), now)
        .await
        .unwrap();
    let context = page.context.unwrap();
    assert!(context
        .advice
        .iter()
        .any(|a| a.contains("UV index 9 (very high)")));
    for item in &page.items {
        let lifted = item.reasons.iter().any(|r| r.code == "uv_today");
        assert_eq!(
            lifted,
            matches!(item.category, Category::Sun | Category::Sport),
            "{}",
            item.style_id
        );
    }
    let evening = service
        .recommendations(
            customer,
            with(Context {
                local_hour: Some(21),
                ..Context::default()
            }),
            now,
        )
        .await
        .unwrap();
    let engine = service.engine();
    for item in &evening.items {
        let style = engine.style(&item.style_id).unwrap();
        let screen_wear =
            style.category == Category::Optical || style.tags.iter().any(|t| t == "lightweight");
        let lifted = item.reasons.iter().any(|r| r.code == "evening_screens");
        assert!(!lifted || screen_wear, "{}", item.style_id);
    }
    assert!(evening
        .items
        .iter()
        .any(|i| i.reasons.iter().any(|r| r.code == "evening_screens")));
}

#[tokio::test]
async fn when_occasion_is_unknown_should_refuse_naming_the_field() {
    let data = demo_data();
    let (service, now) = regenerated(&data, quick_config()).await;
    let error = service
        .recommendations(&data.customers[0].id, with(occasion("skydiving")), now)
        .await
        .unwrap_err();
    match error {
        ServiceError::Invalid(errors) => {
            assert_eq!(errors.0[0].field, "occasion");
            assert!(errors.0[0].message.contains("sport"));
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn when_config_adds_an_occasion_should_accept_it_and_refuse_unknown_rule_keys() {
    let config = ServiceConfig::from_toml_str(
        "[context.occasions.hiking]\nlabel = \"hiking\"\ncategories = [\"sport\"]\n",
    )
    .unwrap();
    assert!(config.context.occasions.contains_key("hiking"));
    assert!(
        config.context.occasions.contains_key("sport"),
        "defaults stay"
    );
    let error =
        ServiceConfig::from_toml_str("[context.occasions.hiking]\ncolour = \"red\"\n").unwrap_err();
    assert!(
        error
            .to_string()
            .contains("context.occasions.hiking.colour"),
        "{error}"
    );
}

#[tokio::test]
async fn when_why_is_asked_with_an_occasion_should_count_its_lift_as_the_context_component() {
    let data = demo_data();
    let (service, now) = regenerated(&data, quick_config()).await;
    let customer = &data.customers[3].id;
    let sport = service
        .recommendations(customer, with(occasion("sport")), now)
        .await
        .unwrap();
    let stored = service
        .recommendations(customer, RecommendationQuery::default(), now)
        .await
        .unwrap();
    let place = |page: &RecommendationPage, style: &str| {
        page.items.iter().position(|i| i.style_id == style)
    };
    // A sport pick the occasion moved up the page.
    let lifted = sport
        .items
        .iter()
        .find(|i| {
            i.reasons.iter().any(|r| r.code == "occasion_sport")
                && place(&stored, &i.style_id) != place(&sport, &i.style_id)
        })
        .expect("a sport pick that moved");
    let no_paint = |_: &crate::domain::FrameColour| String::new();
    let plain = service
        .explain_pick(
            customer,
            &lifted.style_id,
            None,
            &Context::default(),
            no_paint,
            now,
        )
        .await
        .unwrap();
    let why = service
        .explain_pick(
            customer,
            &lifted.style_id,
            None,
            &occasion("sport"),
            no_paint,
            now,
        )
        .await
        .unwrap();
    let context_part = |answer: &super::PickExplanation| {
        answer
            .components
            .iter()
            .find(|c| c.component == crate::engine::Component::Context)
            .map(|c| c.contribution)
    };
    assert_eq!(context_part(&plain), Some(0.0));
    let lift = context_part(&why).unwrap();
    assert!(lift > 0.0);
    assert!(lift <= ServiceConfig::default().context.weights.occasion + 1e-6);
    assert_eq!(why.reasons[0].code, "occasion_sport");
    // The standing is the place on the list the shopper sees with this context.
    let served = sport
        .items
        .iter()
        .position(|i| i.style_id == lifted.style_id)
        .map(|p| p + 1);
    assert_eq!(why.standing.position, served);
    assert_eq!(
        why.standing.served_places,
        served
            .zip(plain.standing.position)
            .filter(|(now, before)| now != before)
            .map(|(now, before)| now as i64 - before as i64)
    );
    assert!(why.standing.served_places.is_some(), "{:?}", why.standing);
    assert_eq!(
        why.context.and_then(|c| c.occasion).as_deref(),
        Some("sport")
    );
}
