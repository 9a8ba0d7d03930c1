//! Segment lists on memory stores: which segments the recent signals make, their lists and
//! reasons, and which one a shopper without history is served (the ladder down to cold
//! start), in July, when Australia is in winter and the UK in summer.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::segment_serving::ladder;
use super::segments::{choose, tally};
use super::tests::demo_data;
use super::*;
use crate::adapters::memory_stores;
use crate::demo::DemoData;
use crate::domain::{
    Category, Context, DeviceClass, ListSource, RecommendationPage, Season, SegmentKey, Signal,
    SignalContext, SignalKind,
};
use crate::error::ServiceError;

fn july() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 15, 12, 0, 0)
        .single()
        .expect("a date")
}

fn signal(session: &str, n: usize, style: &str, locale: &str, device: &str) -> Signal {
    Signal {
        event_id: format!("{session}-{n}"),
        customer_id: None,
        session_id: Some(session.into()),
        kind: SignalKind::Click,
        style_id: style.into(),
        sku: None,
        timestamp: july() - Duration::days(1 + (n % 10) as i64),
        recommendation_id: None,
        placement: None,
        position: None,
        context: Some(SignalContext {
            device: (!device.is_empty()).then(|| device.to_string()),
            locale: (!locale.is_empty()).then(|| locale.to_string()),
        }),
        price_cents: None,
        quantity: None,
        order_id: None,
        rating: None,
        comment: None,
    }
}

/// Available styles of one category, by id.
fn styles_of(data: &DemoData, category: Category) -> Vec<String> {
    data.styles
        .iter()
        .filter(|s| s.category == category && s.is_available())
        .map(|s| s.id.clone())
        .collect()
}

/// Shoppers in Australia on phones click optical frames, shoppers in the UK on desktops
/// click sunglasses; a few in New Zealand too few to make a segment.
fn segment_signals(data: &DemoData) -> (Vec<Signal>, Vec<String>, Vec<String>) {
    let optical: Vec<String> = styles_of(data, Category::Optical)
        .into_iter()
        .take(4)
        .collect();
    let sun: Vec<String> = styles_of(data, Category::Sun).into_iter().take(4).collect();
    let mut signals = Vec::new();
    for session in 0..12 {
        for (n, style) in optical.iter().enumerate() {
            signals.push(signal(&format!("au-{session}"), n, style, "en-AU", "ios"));
        }
        for (n, style) in sun.iter().enumerate() {
            signals.push(signal(
                &format!("gb-{session}"),
                n,
                style,
                "en-GB",
                "desktop",
            ));
        }
    }
    signals.push(signal("nz-0", 0, &sun[0], "en-NZ", "android"));
    (signals, optical, sun)
}

fn config() -> ServiceConfig {
    ServiceConfig {
        collaborative: CollaborativeMode::Cooccurrence,
        segments: SegmentsConfig {
            min_signals: 10,
            ..SegmentsConfig::default()
        },
        ..ServiceConfig::default()
    }
}

async fn service_with_segments(data: &DemoData) -> (Framewise, Vec<String>, Vec<String>) {
    let service = Framewise::open(memory_stores(), config()).await.unwrap();
    service.import_styles(&data.styles).await.unwrap();
    service.import_customers(&data.customers).await.unwrap();
    let (signals, optical, sun) = segment_signals(data);
    service.apply_signals(&signals, july()).await.unwrap();
    service.regenerate(july(), &|_, _| {}).await.unwrap();
    (service, optical, sun)
}

fn anonymous(country: Option<&str>, device: Option<DeviceClass>) -> RecommendationQuery {
    RecommendationQuery {
        limit: Some(100),
        context: Context {
            country: country.map(str::to_string),
            ..Context::default()
        },
        device,
        ..RecommendationQuery::default()
    }
}

fn audience(country: Option<&str>, device: Option<DeviceClass>, season: Season) -> SegmentKey {
    SegmentKey::Audience {
        country: country.map(str::to_string),
        device,
        season,
    }
}

fn position(page: &RecommendationPage, style: &str) -> usize {
    page.items
        .iter()
        .position(|i| i.style_id == style)
        .unwrap_or(usize::MAX)
}

fn names_segment(item: &crate::domain::RecommendedItem) -> bool {
    item.reasons.iter().any(|r| r.code == "popular_in_segment")
}

#[tokio::test]
async fn when_signals_carry_locale_and_device_should_choose_the_busy_segments_of_this_season() {
    let data = demo_data();
    let service = Framewise::open(memory_stores(), config()).await.unwrap();
    service.import_styles(&data.styles).await.unwrap();
    let engine = service.engine();
    let (mut signals, _, sun) = segment_signals(&data);
    // Australian autumn (April) is not this season: never counted in July.
    let mut april = signal("au-old", 0, &sun[0], "en-AU", "ios");
    april.timestamp = Utc.with_ymd_and_hms(2026, 5, 20, 0, 0, 0).single().unwrap();
    // No locale and no device: belongs to no segment.
    let bare = bare_signal(&sun[0]);
    signals.extend([april, bare]);
    let mut crowds = BTreeMap::new();
    let cfg = service.config();
    let mut counted = 0;
    // One history per signal; 60 days reach back into the Australian autumn.
    for history in signals.chunks(1) {
        counted += tally(
            &engine,
            &cfg.context,
            cfg.engine.hemisphere,
            history,
            july() - Duration::days(60),
            july(),
            &mut crowds,
        );
    }
    assert_eq!(counted, 12 * 8 + 1, "the AU, GB and NZ clicks only");
    let named = |chosen: Vec<(SegmentKey, crate::engine::SegmentCrowd)>| -> Vec<String> {
        chosen
            .into_iter()
            .map(|(key, crowd)| format!("{key}={}", crowd.signals()))
            .collect()
    };
    // Busiest first, then by key; New Zealand's one signal makes no segment of its own but
    // counts for the phones of the south; the two hemispheres' any-country segments differ.
    assert_eq!(
        named(choose(crowds.clone(), &cfg.segments)),
        [
            "any:mobile:winter=49",
            "any:desktop:summer=48",
            "AU:any:winter=48",
            "AU:mobile:winter=48",
            "GB:any:summer=48",
            "GB:desktop:summer=48",
        ]
    );
    let two = SegmentsConfig {
        max_segments: 2,
        ..cfg.segments.clone()
    };
    assert_eq!(
        named(choose(crowds, &two)),
        ["any:mobile:winter=49", "any:desktop:summer=48"]
    );
    // A signal without context takes its subject's locale and device.
    let mut crowds = BTreeMap::new();
    let subject = [
        signal("s", 0, &sun[0], "en-GB", "desktop"),
        bare_signal(&sun[1]),
    ];
    let since = july() - Duration::days(30);
    let counted = tally(
        &engine,
        &cfg.context,
        cfg.engine.hemisphere,
        &subject,
        since,
        july(),
        &mut crowds,
    );
    assert_eq!(counted, 2);
    assert_eq!(
        crowds
            .get(&audience(
                Some("GB"),
                Some(DeviceClass::Desktop),
                Season::Summer
            ))
            .map(|c| c.signals()),
        Some(2)
    );
}

fn bare_signal(style: &str) -> Signal {
    Signal {
        context: None,
        ..signal("s", 1, style, "", "")
    }
}

#[test]
fn when_shopper_is_described_should_try_the_narrowest_segment_first() {
    let context = Context {
        country: Some("AU".into()),
        occasion: Some("beach".into()),
        ..Context::default()
    };
    let mobile = Some(DeviceClass::Mobile);
    assert_eq!(
        ladder(&context, mobile, Season::Winter),
        [
            audience(Some("AU"), mobile, Season::Winter),
            audience(Some("AU"), None, Season::Winter),
            audience(None, mobile, Season::Winter),
            SegmentKey::Occasion("beach".into()),
        ]
    );
    assert_eq!(
        ladder(&Context::default(), None, Season::Summer),
        Vec::<SegmentKey>::new()
    );
    let place = Context {
        country: Some("GB".into()),
        ..Context::default()
    };
    assert_eq!(
        ladder(&place, None, Season::Summer),
        [audience(Some("GB"), None, Season::Summer)]
    );
}

#[tokio::test]
async fn when_shopper_has_no_history_should_get_the_list_of_their_countrys_season() {
    let data = demo_data();
    let (service, optical, sun) = service_with_segments(&data).await;
    let au = service
        .recommendations("nobody-1", anonymous(Some("AU"), None), july())
        .await
        .unwrap();
    let gb = service
        .recommendations("nobody-2", anonymous(Some("GB"), None), july())
        .await
        .unwrap();
    assert_eq!(au.source, ListSource::Segment);
    assert_eq!(au.segment.as_deref(), Some("AU:any:winter"));
    assert_eq!(au.customer_id, "nobody-1");
    assert_eq!(gb.segment.as_deref(), Some("GB:any:summer"));
    // Context still re-ranks a segment list: the page says where the shopper is.
    let hemisphere = au.context.as_ref().map(|c| c.hemisphere);
    assert_eq!(hemisphere, Some(crate::domain::Hemisphere::South));
    // Each country's crowd leads its own list, not the other's.
    let top = |page: &RecommendationPage| {
        let mut ids: Vec<String> = page.items[..4].iter().map(|i| i.style_id.clone()).collect();
        ids.sort();
        ids
    };
    let sorted = |mut ids: Vec<String>| {
        ids.sort();
        ids
    };
    assert_eq!(top(&au), sorted(optical.clone()), "{:?}", au.items);
    assert_eq!(top(&gb), sorted(sun.clone()), "{:?}", gb.items);
    let first = &au.items[position(&au, &optical[0])];
    assert!(
        first
            .reasons
            .iter()
            .any(|r| r.text == "Popular with shoppers in Australia this winter"),
        "{:?}",
        first.reasons
    );
    // Phones in Australia have their own list; an anonymous session too.
    let mobile = service
        .session_recommendations(
            "s-new",
            anonymous(Some("AU"), Some(DeviceClass::Mobile)),
            july(),
        )
        .await
        .unwrap();
    assert_eq!(mobile.segment.as_deref(), Some("AU:mobile:winter"));
    assert_eq!(mobile.session_id.as_deref(), Some("s-new"));
    assert!(mobile.customer_id.is_empty());
    let item = &mobile.items[position(&mobile, &optical[0])];
    assert!(item
        .reasons
        .iter()
        .any(|r| r.text == "Popular on mobile in Australia this winter"));
}

#[tokio::test]
async fn when_segment_crowd_did_not_lift_a_style_its_reasons_should_not_name_the_segment() {
    let data = demo_data();
    let (service, optical, _) = service_with_segments(&data).await;
    let list = service
        .stores()
        .lists
        .get_list(&audience(Some("AU"), None, Season::Winter).stored_id())
        .await
        .unwrap()
        .expect("the AU list is stored");
    assert_eq!(list.source, ListSource::Segment);
    let named: Vec<&str> = list
        .items
        .iter()
        .filter(|i| i.reasons.iter().any(|r| r.code == "popular_in_segment"))
        .map(|i| i.style_id.as_str())
        .collect();
    assert!(!named.is_empty());
    // Only styles the Australians clicked; the rest of the list is there by cold start
    // (global popularity, season) and says so.
    assert!(
        named.iter().all(|id| optical.iter().any(|o| o == id)),
        "{named:?}"
    );
    assert!(list.items.len() > named.len());
    let page = service
        .recommendations("nobody", anonymous(Some("AU"), None), july())
        .await
        .unwrap();
    assert!(page
        .items
        .iter()
        .filter(|i| names_segment(i))
        .all(|i| optical.contains(&i.style_id)));
}

#[tokio::test]
async fn when_no_segment_matches_should_fall_back_along_the_ladder_to_cold_start() {
    let data = demo_data();
    let (service, _, _) = service_with_segments(&data).await;
    let serve = |country: Option<&'static str>, device, occasion: Option<&'static str>| {
        let mut query = anonymous(country, device);
        query.context.occasion = occasion.map(str::to_string);
        let service = &service;
        async move {
            let page = service
                .recommendations("nobody", query, july())
                .await
                .unwrap();
            (page.source, page.segment)
        }
    };
    let segment = |s: &str| (ListSource::Segment, Some(s.to_string()));
    // A tablet in Australia: no AU x tablet list, so the country's.
    assert_eq!(
        serve(Some("AU"), Some(DeviceClass::Tablet), None).await,
        segment("AU:any:winter")
    );
    // France has no list: the device's (in France's season).
    assert_eq!(
        serve(Some("FR"), Some(DeviceClass::Desktop), None).await,
        segment("any:desktop:summer")
    );
    // A phone in France: the phones of the north have no list (only Australia's winter).
    assert_eq!(
        serve(Some("FR"), Some(DeviceClass::Mobile), Some("beach")).await,
        segment("occasion:beach")
    );
    assert_eq!(
        serve(Some("FR"), Some(DeviceClass::Mobile), None).await,
        (ListSource::ColdStart, None)
    );
    assert_eq!(serve(None, None, None).await, (ListSource::ColdStart, None));
    // A shopper with history never gets a segment list.
    let known = &data.customers[0].id;
    let page = service
        .recommendations(known, anonymous(Some("AU"), None), july())
        .await
        .unwrap();
    assert_ne!(page.source, ListSource::Segment);
    assert_eq!(page.segment, None);
}

#[tokio::test]
async fn when_occasion_list_is_stored_should_rank_the_occasions_frames_from_the_whole_catalogue() {
    let data = demo_data();
    let (service, _, _) = service_with_segments(&data).await;
    let stored = service
        .stores()
        .lists
        .get_list(&SegmentKey::Occasion("sport".into()).stored_id())
        .await
        .unwrap()
        .expect("every occasion has a list");
    let cold = service
        .recommendations("nobody", anonymous(None, None), july())
        .await
        .unwrap();
    assert_eq!(cold.source, ListSource::ColdStart);
    let engine = service.engine();
    let sporty = |id: &str| {
        engine
            .style(id)
            .is_some_and(|s| s.category == Category::Sport || s.shape == crate::domain::Shape::Wrap)
    };
    let mean_rank = |ids: Vec<&str>| {
        let ranks: Vec<usize> = ids
            .iter()
            .enumerate()
            .filter(|(_, id)| sporty(id))
            .map(|(r, _)| r)
            .collect();
        assert!(!ranks.is_empty());
        ranks.iter().sum::<usize>() as f64 / ranks.len() as f64
    };
    let stored_ids: Vec<&str> = stored.items.iter().map(|i| i.style_id.as_str()).collect();
    let cold_ids: Vec<&str> = cold.items.iter().map(|i| i.style_id.as_str()).collect();
    assert!(mean_rank(stored_ids.clone()) < mean_rank(cold_ids));
    let first_sporty = stored.items.iter().find(|i| sporty(&i.style_id));
    assert!(first_sporty.is_some_and(|i| i.reasons.iter().any(|r| r.code == "occasion_sport")));
    // Served to a new shopper who asks for sport, re-ranked by the occasion as well.
    let mut query = anonymous(None, None);
    query.context.occasion = Some("sport".into());
    let page = service
        .recommendations("nobody", query, july())
        .await
        .unwrap();
    assert_eq!(page.segment.as_deref(), Some("occasion:sport"));
    assert!(sporty(&page.items[0].style_id), "{:?}", page.items[0]);
    // Lifted items say for what, as the read-time occasion does: sport, wrap or TR-90.
    assert!(stored
        .items
        .iter()
        .filter(|i| i.reasons.iter().any(|r| r.code == "occasion_sport"))
        .all(|i| sporty(&i.style_id)
            || engine
                .style(&i.style_id)
                .is_some_and(|s| s.material == crate::domain::Material::Tr90)));
}

#[tokio::test]
async fn when_paging_a_segment_list_should_follow_it_until_it_is_replaced() {
    let data = demo_data();
    let (service, _, _) = service_with_segments(&data).await;
    let mut query = anonymous(Some("GB"), None);
    query.limit = Some(12);
    let first = service
        .recommendations("nobody", query.clone(), july())
        .await
        .unwrap();
    let cursor = first.next_cursor.clone().expect("more pages");
    query.cursor = Some(cursor.clone());
    let second = service
        .recommendations("nobody", query.clone(), july())
        .await
        .unwrap();
    assert_eq!(second.recommendation_id, first.recommendation_id);
    assert_eq!(second.segment, first.segment);
    assert!(second
        .items
        .iter()
        .all(|i| first.items.iter().all(|f| f.style_id != i.style_id)));
    // A list a later run replaced (another day: another list id) refuses the cursor.
    service
        .regenerate_segments(None, july() + Duration::days(1))
        .await
        .unwrap();
    let later = service
        .recommendations("nobody", query, july() + Duration::days(1))
        .await;
    match later {
        Err(ServiceError::Invalid(errors)) => assert_eq!(errors.0[0].field, "cursor"),
        other => panic!("expected a cursor error, got {other:?}"),
    }
}

#[tokio::test]
async fn when_segment_list_is_stale_should_serve_cold_start() {
    let data = demo_data();
    let (service, _, _) = service_with_segments(&data).await;
    let max_age = service.config().list_max_age_secs;
    let later = july() + Duration::seconds(max_age + 1);
    let page = service
        .recommendations("nobody", anonymous(Some("AU"), None), later)
        .await
        .unwrap();
    assert_eq!((page.source, page.segment), (ListSource::ColdStart, None));
}

#[test]
fn when_segments_config_is_out_of_range_should_name_the_key() {
    for (text, key) in [
        ("[segments]\nwindow_days = 0", "segments.window_days"),
        ("[segments]\ncrowd_weight = -1.0", "segments.crowd_weight"),
        ("[segments]\nmin_signals = 0", "segments.min_signals"),
    ] {
        let error = ServiceConfig::from_toml_str(text).expect_err(text);
        assert!(error.to_string().contains(key), "{text}: {error}");
    }
    let custom = ServiceConfig::from_toml_str("[segments]\nmax_segments = 5").unwrap();
    assert_eq!(custom.segments.max_segments, 5);
}
