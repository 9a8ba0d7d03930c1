//! Personalized content against its data: every sentence of copy checked against the profile,
//! the catalogue and the optics; page rows true to their titles; digests that carry their
//! tracking parameters, are counted as shown at `email`, and are not sent twice.

use std::collections::HashSet;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{Duration, TimeZone, Utc};

use super::*;
use crate::adapters::memory_stores;
use crate::demo::{generate, DemoConfig};
use crate::domain::{
    Context, Customer, EyeRx, FaceShape, Prescription, PupillaryDistance, Subject, Temperature,
    Undertone,
};
use crate::error::StoreError;
use crate::optics::lens::{recommend_lens, LensRequest};
use crate::optics::style::{face_shape_of, frame_shape_fit};
use crate::service::{Framewise, RecommendationQuery, ServiceConfig};

const SHOP: &str = "https://shop.example.com/";

fn rx(sph: f32) -> Prescription {
    let eye = EyeRx {
        sph,
        cyl: 0.0,
        axis: None,
        add: None,
        prism: None,
    };
    Prescription {
        od: eye.clone(),
        os: eye,
        pd: PupillaryDistance::Binocular(63.0),
        fitting_height: None,
    }
}

fn shopper(id: &str, face: FaceShape, undertone: Undertone) -> Customer {
    let mut customer = Customer::new(id);
    customer.face_shape = Some(face);
    customer.undertone = Some(undertone);
    customer.prescription = Some(rx(-4.25));
    customer
}

/// The demo catalogue and two profiled shoppers: warm square face and cool round face, both
/// with a -4.25 prescription.
async fn service() -> Framewise {
    service_with(ServiceConfig::default()).await
}

async fn service_with(config: ServiceConfig) -> Framewise {
    let data = generate(&DemoConfig {
        customers: 3,
        ..DemoConfig::small()
    });
    let service = Framewise::open(memory_stores(), config)
        .await
        .expect("service");
    service.import_styles(&data.styles).await.expect("styles");
    service
        .import_customers(&[
            shopper("warm-square", FaceShape::Square, Undertone::Warm),
            shopper("cool-round", FaceShape::Round, Undertone::Cool),
        ])
        .await
        .expect("customers");
    service
}

fn sentences(copy: &str) -> Vec<&str> {
    copy.split_terminator(". ")
        .map(|s| s.trim_end_matches('.'))
        .collect()
}

#[tokio::test]
async fn when_copy_is_written_should_say_only_what_the_data_says() {
    let service = service().await;
    let now = Utc::now();
    let customer = service
        .stores
        .profiles
        .get_customer("warm-square")
        .await
        .expect("read")
        .expect("stored");
    let page = service
        .recommendations("warm-square", RecommendationQuery::default(), now)
        .await
        .expect("list");
    let engine = service.engine();
    let rules = &service.config.optics;
    let (mut face_sentences, mut lens_sentences) = (0, 0);
    for item in &page.items {
        let style = engine.style(&item.style_id).expect("listed style");
        let facts = CopyFacts::gather(Some(&customer), style, item, None, rules);
        let copy = product_copy(&facts).expect("copy");
        assert!(!copy.contains("4.25") && !copy.contains("sph"), "{copy}");
        let all = sentences(&copy);
        let first = all[0];
        assert!(
            first.starts_with(&format!("{} is a ", style.name)),
            "{copy}"
        );
        assert!(first.contains(crate::engine::reasons::shape_label(style.shape)));
        assert!(first.contains(crate::engine::reasons::material_label(style.material)));
        for sentence in &all[1..] {
            if let Some(rest) = sentence.strip_prefix("Picked for your ") {
                face_sentences += 1;
                let face = face_shape_of(&customer).expect("declared");
                assert_eq!(face, FaceShape::Square);
                assert!(rest.starts_with("square face: "), "{sentence}");
                let guidance = frame_shape_fit(face, style.shape, style.rim).1;
                let guidance = guidance.expect("a sentence only when the shape suits");
                assert!(
                    rest.to_lowercase().ends_with(&guidance.to_lowercase()),
                    "{sentence} / {guidance}"
                );
            } else if sentence.starts_with("Your prescription fits its ") {
                lens_sentences += 1;
                let size = item.size.as_ref().expect("a lens sentence needs a size");
                let advice = recommend_lens(
                    customer.prescription.as_ref().expect("rx"),
                    &LensRequest::default(),
                    Some((style, size)),
                    rules,
                );
                let summary = advice.summary().expect("frame checked");
                assert!(advice.frame.as_ref().is_some_and(|f| f.allowed));
                let expected = format!(
                    "{} mm lenses at {:.1} mm edge thickness in {} lenses",
                    size.lens_width,
                    summary.edge_thickness_mm,
                    summary.material.label()
                );
                assert!(sentence.ends_with(&expected), "{sentence} / {expected}");
                // The list item's own lens advice says the same.
                let listed = item.lens.as_ref().expect("listed lens advice");
                assert_eq!(listed.edge_thickness_mm, summary.edge_thickness_mm);
            } else if sentence.contains("suits your") {
                assert!(sentence.contains("warm undertone"), "{sentence}");
                let colour = item
                    .colour
                    .as_ref()
                    .expect("a colour sentence needs a colour");
                let reason = crate::optics::style::customer_colour_harmony(&customer, colour).1;
                assert_eq!(reason.as_deref(), Some(*sentence));
            } else {
                panic!("sentence from no known fact: {sentence:?} in {copy}");
            }
        }
    }
    assert!(face_sentences > 0, "no item spoke to the face shape");
    assert!(lens_sentences > 0, "no item spoke to the prescription");
}

#[tokio::test]
async fn when_nothing_is_known_of_the_shopper_should_write_the_frame_sentence_only() {
    let service = service().await;
    let engine = service.engine();
    let page = service
        .recommendations("stranger", RecommendationQuery::default(), Utc::now())
        .await
        .expect("cold start");
    let item = &page.items[0];
    let style = engine.style(&item.style_id).expect("style");
    let facts = CopyFacts::gather(
        None,
        style,
        item,
        Some(ContentOccasion {
            id: "beach",
            rule: &service.config.context.occasions["beach"],
        }),
        &service.config.optics,
    );
    assert!(facts.face.is_none() && facts.colouring.is_none() && facts.lens.is_none());
    let copy = product_copy(&facts).expect("copy");
    assert!(!copy.contains("your") && !copy.contains("Your"), "{copy}");
    let occasion_sentence = copy.contains("picked for the beach");
    assert_eq!(
        occasion_sentence,
        style.category == crate::domain::Category::Sun,
        "{copy}"
    );
}

#[tokio::test]
async fn when_page_is_built_should_cut_rows_their_titles_are_true_of() {
    let service = service().await;
    let now = Utc::now();
    let page = service
        .content_page(
            "warm-square",
            PageKind::Home,
            Context {
                occasion: Some("work".into()),
                ..Context::default()
            },
            now,
        )
        .await
        .expect("page");
    assert_eq!(page.placement, "home");
    assert!(!page.rows.is_empty() && page.rows.len() <= CONTENT_ROWS);
    assert_eq!(page.hero.occasion.as_deref(), Some("work"));
    assert!(page.hero.theme.ends_with("-work"), "{:?}", page.hero);
    let engine = service.engine();
    let mut seen = HashSet::new();
    for row in &page.rows {
        assert!(!row.items.is_empty(), "{}", row.id);
        for item in &row.items {
            assert!(
                seen.insert(item.style_id.clone()),
                "{} twice",
                item.style_id
            );
            assert!(!item.copy.is_empty());
            let style = engine.style(&item.style_id).expect("style");
            match row.id.as_str() {
                "occasion_work" => {
                    assert_eq!(row.title, "For work");
                    assert_eq!(style.category, crate::domain::Category::Optical);
                }
                "warm_tones" => {
                    assert_eq!(row.title, "Warm tones for you");
                    let colour = style
                        .colourways
                        .iter()
                        .find(|c| {
                            item.sku
                                .as_ref()
                                .is_none_or(|sku| c.variants.iter().any(|v| &v.sku == sku))
                        })
                        .map(|c| &c.colour)
                        .expect("colourway");
                    assert_eq!(colour.temperature, Temperature::Warm, "{}", item.style_id);
                }
                "face_shape" => {
                    assert_eq!(row.title, "Shapes for your square face");
                    assert!(frame_shape_fit(FaceShape::Square, style.shape, style.rim).0 > 0.0);
                }
                "new_in" => {
                    assert!(style.launch_date >= (now - Duration::days(90)).date_naive());
                }
                "top_picks" => {}
                other => panic!("unknown row {other}"),
            }
        }
    }
    assert_eq!(page.rows[0].id, "occasion_work");

    // A cool undertone never gets the warm row.
    let cool = service
        .content_page("cool-round", PageKind::Home, Context::default(), now)
        .await
        .expect("page");
    assert!(cool.rows.iter().all(|r| r.id != "warm_tones"));
    assert!(cool.hero.occasion.is_none());
}

#[test]
fn when_page_or_occasion_is_unknown_should_name_the_field() {
    assert_eq!(PageKind::parse("home").ok(), Some(PageKind::Home));
    let page = PageKind::parse("checkout").expect_err("unknown page");
    assert_eq!(page.0[0].field, "page");
}

#[tokio::test]
async fn when_occasion_is_configured_by_the_shop_should_title_its_row_and_hero() {
    let mut config = ServiceConfig::default();
    config.context.occasions.insert(
        "hiking".into(),
        crate::engine::OccasionRule {
            label: "the trail".into(),
            categories: vec![crate::domain::Category::Sport, crate::domain::Category::Sun],
            ..Default::default()
        },
    );
    let service = service_with(config).await;
    let hiking = Context {
        occasion: Some("hiking".into()),
        ..Context::default()
    };
    let page = service
        .content_page("warm-square", PageKind::Home, hiking, Utc::now())
        .await
        .expect("page");
    assert_eq!(page.hero.occasion.as_deref(), Some("hiking"));
    assert!(
        page.hero.title.ends_with("edit for the trail"),
        "{:?}",
        page.hero
    );
    let engine = service.engine();
    let row = page.rows.iter().find(|r| r.id == "occasion_hiking");
    let row = row.expect("an occasion row: the demo catalogue has sport and sun frames");
    assert_eq!(row.title, "For the trail");
    for item in &row.items {
        let style = engine.style(&item.style_id).expect("style");
        assert!(matches!(
            style.category,
            crate::domain::Category::Sport | crate::domain::Category::Sun
        ));
    }

    // An occasion nobody configured is refused, naming the parameter.
    let party = Context {
        occasion: Some("party".into()),
        ..Context::default()
    };
    let refused = service
        .content_page("warm-square", PageKind::Home, party, Utc::now())
        .await
        .expect_err("unknown occasion");
    assert!(format!("{refused:?}").contains("occasion"), "{refused:?}");
}

#[test]
fn when_season_is_asked_should_follow_the_hemisphere() {
    use crate::engine::Hemisphere::{North, South};
    let june = Utc.with_ymd_and_hms(2026, 6, 15, 12, 0, 0).unwrap();
    let december = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();
    let april = Utc.with_ymd_and_hms(2026, 4, 1, 12, 0, 0).unwrap();
    assert_eq!(Season::at(june, North), Season::Summer);
    assert_eq!(Season::at(june, South), Season::Winter);
    assert_eq!(Season::at(december, North), Season::Winter);
    assert_eq!(Season::at(december, South), Season::Summer);
    assert_eq!(Season::at(april, North), Season::Spring);
    assert_eq!(Season::at(april, South), Season::Autumn);
}

#[test]
fn when_a_url_goes_into_an_attribute_should_escape_only_what_html_needs() {
    assert_eq!(
        digest::attribute("https://s.example/p/a?x=1&y=\"<'>"),
        "https://s.example/p/a?x=1&amp;y=&quot;&lt;&#39;&gt;"
    );
}

/// Keeps every delivered digest.
#[derive(Default)]
struct Collected(Mutex<Vec<EmailDigest>>);

#[async_trait]
impl DigestOutbox for Collected {
    async fn deliver(&self, digest: &EmailDigest) -> Result<(), StoreError> {
        self.0.lock().expect("lock").push(digest.clone());
        Ok(())
    }
}

impl Collected {
    fn count(&self) -> usize {
        self.0.lock().expect("lock").len()
    }
}

#[tokio::test]
async fn when_digest_is_sent_should_track_its_links_and_skip_a_shopper_with_nothing_new() {
    let service = service().await;
    let outbox = Collected::default();
    let now = Utc::now();
    let sent = service
        .send_digest("warm-square", SHOP, &outbox, now)
        .await
        .expect("digest");
    let DigestOutcome::Sent {
        recommendation_id,
        style_ids,
    } = sent
    else {
        panic!("not sent: {sent:?}");
    };
    assert_eq!(style_ids.len(), DIGEST_ITEMS);
    let digest = outbox.0.lock().expect("lock")[0].clone();
    for item in &digest.items {
        let link = format!(
            "https://shop.example.com/products/{}?recommendation_id={recommendation_id}&amp;placement=email",
            item.style_id
        );
        assert!(digest.html.contains(&link), "{link} missing");
        assert!(!item.copy.contains("4.25"), "{}", item.copy);
    }
    // Counted as shown at `email`, like a list route's page.
    let exposures = service
        .stores
        .measurements
        .exposures(
            &Subject::Customer("warm-square".into()).key(),
            now - Duration::minutes(1),
        )
        .await
        .expect("exposures");
    assert!(exposures
        .iter()
        .any(|e| e.placement == EMAIL_PLACEMENT && e.recommendation_id == recommendation_id));
    let marker = service
        .digest_marker("warm-square")
        .await
        .expect("read")
        .expect("marker");
    assert_eq!(marker.style_ids, style_ids);

    // A week on, the same list: every relevant frame not yet sent goes out, then nothing.
    let mut later = now;
    let mut rounds = 0;
    loop {
        later += Duration::days(DIGEST_MIN_INTERVAL_DAYS + 1);
        let outcome = service
            .send_digest("warm-square", SHOP, &outbox, later)
            .await
            .expect("digest");
        if outcome == DigestOutcome::NothingNew {
            break;
        }
        rounds += 1;
        assert!(rounds < 25, "never ran out of new frames: {outcome:?}");
    }
    let sent_ids: Vec<String> = outbox
        .0
        .lock()
        .expect("lock")
        .iter()
        .flat_map(|d| d.items.iter().map(|i| i.style_id.clone()))
        .collect();
    let unique: HashSet<&String> = sent_ids.iter().collect();
    assert_eq!(unique.len(), sent_ids.len(), "a frame was sent twice");
}

#[tokio::test]
async fn when_last_digest_is_recent_should_wait_even_with_something_new() {
    let service = service().await;
    let outbox = Collected::default();
    let now = Utc::now();
    let first = service.send_digest("cool-round", SHOP, &outbox, now).await;
    assert!(matches!(first, Ok(DigestOutcome::Sent { .. })), "{first:?}");
    let soon = now + Duration::days(1);
    let again = service
        .send_digest("cool-round", SHOP, &outbox, soon)
        .await
        .expect("digest");
    assert_eq!(again, DigestOutcome::TooSoon { last_sent_at: now });
    assert_eq!(outbox.count(), 1);
    let bad = service
        .send_digest("cool-round", "ftp://shop", &outbox, now)
        .await;
    assert!(
        matches!(&bad, Err(crate::error::ServiceError::Invalid(e)) if e.0[0].field == "shop_url"),
        "{bad:?}"
    );
}

#[tokio::test]
async fn when_shopper_is_erased_should_forget_what_digests_sent() {
    let service = service().await;
    let outbox = Collected::default();
    let now = Utc::now();
    let sent = service.send_digest("cool-round", SHOP, &outbox, now).await;
    assert!(matches!(sent, Ok(DigestOutcome::Sent { .. })), "{sent:?}");
    assert!(service.digest_marker("cool-round").await.unwrap().is_some());
    let report = service.erase_customer("cool-round").await.unwrap();
    assert_eq!(report.deleted.digest_markers, 1);
    assert_eq!(service.digest_marker("cool-round").await.unwrap(), None);
    let again = service.erase_customer("cool-round").await.unwrap();
    assert_eq!(again.deleted.digest_markers, 0, "idempotent");
}

#[tokio::test]
async fn when_job_runs_should_send_to_shoppers_with_a_list_once() {
    let service = service().await;
    let outbox = Collected::default();
    let now = Utc::now();
    service
        .recompute_customer("warm-square", now)
        .await
        .expect("list");
    // cool-round has a profile but no stored list: the job leaves it out.
    let batch = service
        .send_digests(None, 100, None, SHOP, &outbox, now)
        .await
        .expect("batch");
    assert_eq!(batch.sent, 1, "{batch:?}");
    assert_eq!(batch.checked, 2, "{batch:?}");
    assert_eq!(batch.skipped, 1, "{batch:?}");
    assert!(batch.next_cursor.is_none());
    assert_eq!(outbox.0.lock().expect("lock")[0].customer_id, "warm-square");
    let again = service
        .send_digests(None, 100, None, SHOP, &outbox, now)
        .await
        .expect("batch");
    assert_eq!((again.sent, again.skipped), (0, 2), "{again:?}");
    let first_only = service
        .send_digests(None, 1, None, SHOP, &outbox, now)
        .await
        .expect("batch");
    assert_eq!(first_only.next_cursor.as_deref(), Some("cool-round"));
}
