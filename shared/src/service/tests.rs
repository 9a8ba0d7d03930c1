//! Service tests over the memory stores: the learned model published, served and folded
//! into lists.

use chrono::{DateTime, Utc};

use super::*;
use crate::adapters::memory_stores;
use crate::demo::{self, DemoConfig, DemoData};
use crate::domain::SignalKind;
use crate::domain::{RecommendationPage, Signal, StoredList, Subject};
use crate::models::SparseItemModel;

pub(super) fn demo_data() -> DemoData {
    demo::generate(&DemoConfig {
        styles: 80,
        customers: 200,
        days: 60,
        ..DemoConfig::default()
    })
}

pub(super) async fn regenerated(
    data: &DemoData,
    config: ServiceConfig,
) -> (Framewise, DateTime<Utc>) {
    let service = Framewise::open(memory_stores(), config).await.unwrap();
    service.import_styles(&data.styles).await.unwrap();
    service.import_customers(&data.customers).await.unwrap();
    let signals = crate::import::interactions_to_signals(&data.interactions);
    let now = DemoConfig::default().end;
    service.apply_signals(&signals, now).await.unwrap();
    service.regenerate(now, &|_, _| {}).await.unwrap();
    (service, now)
}

#[tokio::test]
async fn when_regenerated_on_demo_data_should_publish_and_serve_learned_model() {
    let data = demo_data();
    let (service, _) = regenerated(&data, learned_config()).await;
    let version = service.stores().artifacts.current().await.unwrap().unwrap();
    let artifacts = &service.stores().artifacts;
    assert!(artifacts
        .get(&version, MODEL_ARTIFACT)
        .await
        .unwrap()
        .is_some());
    let learned = artifacts.get(&version, LEARNED_ARTIFACT).await.unwrap();
    assert!(SparseItemModel::from_bytes(&learned.unwrap()).is_ok());
    assert_eq!(service.engine().collaborative_name(), "learned");
    // A reopened service (e.g. another worker) loads the learned artifact too.
    let reopened = Framewise::open(service.stores().clone(), learned_config())
        .await
        .unwrap();
    assert_eq!(reopened.engine().collaborative_name(), "learned");
}

#[tokio::test]
async fn when_learned_model_cannot_be_read_should_serve_cooccurrence_and_report_degraded() {
    let data = demo_data();
    let (service, now) = regenerated(&data, learned_config()).await;
    assert_eq!(service.health(now).await.status, super::HealthStatus::Ok);
    let version = service.stores().artifacts.current().await.unwrap().unwrap();
    service
        .stores()
        .artifacts
        .put(&version, LEARNED_ARTIFACT, b"not a model")
        .await
        .unwrap();
    let reopened = Framewise::open(service.stores().clone(), learned_config())
        .await
        .unwrap();
    assert_eq!(reopened.engine().collaborative_name(), "cooccurrence");
    let health = reopened.health(now).await;
    assert_eq!(health.status, super::HealthStatus::Degraded, "{health:?}");
    let model = health.checks.iter().find(|c| c.name == "model").unwrap();
    assert!(
        model
            .detail
            .as_deref()
            .unwrap_or_default()
            .contains("unreadable"),
        "{model:?}"
    );
}

#[tokio::test]
async fn when_collaborative_is_cooccurrence_should_not_train_learned_model() {
    let data = demo_data();
    let config = ServiceConfig {
        collaborative: CollaborativeMode::Cooccurrence,
        ..ServiceConfig::default()
    };
    let (service, _) = regenerated(&data, config).await;
    let version = service.stores().artifacts.current().await.unwrap().unwrap();
    let learned = service.stores().artifacts.get(&version, LEARNED_ARTIFACT);
    assert!(learned.await.unwrap().is_none());
    assert_eq!(service.engine().collaborative_name(), "cooccurrence");
}

/// The pruned EASE model (the default before embeddings).
fn learned_config() -> ServiceConfig {
    ServiceConfig {
        collaborative: CollaborativeMode::Learned,
        ..ServiceConfig::default()
    }
}

fn embeddings_config() -> ServiceConfig {
    ServiceConfig {
        collaborative: CollaborativeMode::Embeddings,
        ..ServiceConfig::default()
    }
}

#[tokio::test]
async fn when_serving_embeddings_should_publish_files_with_manifest_and_reload_them() {
    let data = demo_data();
    let (service, now) = regenerated(&data, embeddings_config()).await;
    let version = service.stores().artifacts.current().await.unwrap().unwrap();
    let artifacts = &service.stores().artifacts;
    let manifest = artifacts
        .get(&version, crate::models::embeddings::MANIFEST)
        .await
        .unwrap()
        .expect("manifest");
    let manifest = crate::models::EmbeddingModel::manifest(&manifest).unwrap();
    assert_eq!(manifest.items, data.styles.len(), "every catalogue style");
    assert_eq!(manifest.dims, ServiceConfig::default().embedding.factors);
    for name in manifest.files.keys() {
        assert!(
            artifacts.get(&version, name).await.unwrap().is_some(),
            "{name}"
        );
    }
    assert!(artifacts
        .get(&version, LEARNED_ARTIFACT)
        .await
        .unwrap()
        .is_none());
    assert_eq!(service.engine().collaborative_name(), "embeddings");
    let (personal, popular) = taste_share(&service, &data, now).await;
    assert!(personal > popular, "{personal:.3} vs {popular:.3}");
    // Another worker loads the same files.
    let reopened = Framewise::open(service.stores().clone(), embeddings_config())
        .await
        .unwrap();
    assert_eq!(reopened.engine().collaborative_name(), "embeddings");
    // A damaged file is refused by its checksum: co-occurrence serves, health says why.
    artifacts
        .put(&version, crate::models::embeddings::GRAM, &[0u8; 16])
        .await
        .unwrap();
    let damaged = Framewise::open(service.stores().clone(), embeddings_config())
        .await
        .unwrap();
    assert_eq!(damaged.engine().collaborative_name(), "cooccurrence");
    let health = damaged.health(now).await;
    assert_eq!(health.status, super::HealthStatus::Degraded, "{health:?}");
}

#[tokio::test]
async fn when_hybrid_weighs_embeddings_should_publish_both_parts_and_serve_their_blend() {
    let data = demo_data();
    let config = ServiceConfig {
        collaborative: CollaborativeMode::Hybrid,
        hybrid_embedding_weight: 0.5,
        learned_half_life: 5.0,
        ..ServiceConfig::default()
    };
    let (service, now) = regenerated(&data, config.clone()).await;
    let version = service.stores().artifacts.current().await.unwrap().unwrap();
    let artifacts = &service.stores().artifacts;
    let version = &version;
    let has =
        |name: &'static str| async move { artifacts.get(version, name).await.unwrap().is_some() };
    assert!(has(LEARNED_ARTIFACT).await);
    assert!(has(crate::models::embeddings::MANIFEST).await);
    assert_eq!(service.engine().collaborative_name(), "hybrid");
    let (personal, popular) = taste_share(&service, &data, now).await;
    assert!(personal > popular, "{personal:.3} vs {popular:.3}");
    let reopened = Framewise::open(service.stores().clone(), config.clone())
        .await
        .unwrap();
    assert_eq!(reopened.engine().collaborative_name(), "hybrid");
    // Without embedding weight the hybrid trains and serves the item-item part alone.
    let alone = ServiceConfig {
        hybrid_embedding_weight: 0.0,
        ..config
    };
    let (service, _) = regenerated(&data, alone).await;
    let version = service.stores().artifacts.current().await.unwrap().unwrap();
    let manifest = service
        .stores()
        .artifacts
        .get(&version, crate::models::embeddings::MANIFEST);
    assert!(manifest.await.unwrap().is_none());
    assert_eq!(service.engine().collaborative_name(), "learned");
}

#[tokio::test]
async fn when_a_new_shopper_buys_should_fold_the_purchase_into_embeddings_without_retraining() {
    let data = demo_data();
    let (service, now) = regenerated(&data, embeddings_config()).await;
    let customer = "cu-brand-new";
    let before = service
        .recommendations(customer, RecommendationQuery::default(), now)
        .await
        .unwrap();
    let bought = &data.styles[3];
    let after = buy_and_relist(&service, customer, "fold-in-embeddings", &bought.id, now).await;
    let anchored = |p: &RecommendationPage| {
        p.items
            .iter()
            .flat_map(|i| &i.reasons)
            .filter(|r| r.code.starts_with("because_you") && r.text.contains(&bought.name))
            .count()
    };
    assert_eq!(anchored(&before), 0);
    assert!(anchored(&after) > 0, "{after:?}");
}

#[tokio::test]
async fn when_shopper_buys_should_fold_purchase_into_next_list_without_retraining() {
    let data = demo_data();
    let (service, now) = regenerated(&data, learned_config()).await;
    let customer = &data.customers[0].id;
    let before = service
        .recommendations(customer, RecommendationQuery::default(), now)
        .await
        .unwrap();
    let bought = before.items[0].style_id.clone();
    let after = buy_and_relist(&service, customer, "fold-in-1", &bought, now).await;
    let ids = |p: &RecommendationPage| -> Vec<String> {
        p.items.iter().map(|i| i.style_id.clone()).collect()
    };
    assert_ne!(
        ids(&before),
        ids(&after),
        "the purchase should change the list"
    );
    let history = service
        .stores()
        .signals
        .history(&Subject::Customer(customer.clone()), 500)
        .await
        .unwrap();
    let engine = service.engine();
    let names: Vec<&str> = history
        .iter()
        .filter_map(|s| engine.style(&s.style_id))
        .map(|s| s.name.as_str())
        .collect();
    let because: Vec<&str> = after
        .items
        .iter()
        .flat_map(|i| &i.reasons)
        .filter(|r| r.code.starts_with("because_you"))
        .map(|r| r.text.as_str())
        .collect();
    assert!(!because.is_empty(), "learned scores should be anchored");
    assert!(
        because.iter().all(|t| names.iter().any(|n| t.contains(n))),
        "{because:?}"
    );
}

/// Share of each shopper's top-12 that fits their hidden taste.
async fn taste_share(service: &Framewise, data: &DemoData, now: DateTime<Utc>) -> (f64, f64) {
    let trending = service.trending(None, Some(12), now).unwrap();
    let (mut personal, mut popular, mut total) = (0usize, 0usize, 0usize);
    let engine = service.engine();
    let fits = |taste: &demo::Taste, id: &str| engine.style(id).is_some_and(|s| taste.matches(s));
    for taste in &data.tastes {
        let page = service
            .recommendations(&taste.customer_id, RecommendationQuery::default(), now)
            .await
            .unwrap();
        personal += page
            .items
            .iter()
            .filter(|i| fits(taste, &i.style_id))
            .count();
        popular += trending.iter().filter(|i| fits(taste, &i.style_id)).count();
        total += 12;
    }
    (
        personal as f64 / total as f64,
        popular as f64 / total as f64,
    )
}

#[tokio::test]
async fn when_serving_learned_model_should_match_hidden_taste_better_than_popularity() {
    let data = demo_data();
    let (service, now) = regenerated(&data, ServiceConfig::default()).await;
    let (learned, popular) = taste_share(&service, &data, now).await;
    assert!(
        learned > popular,
        "learned {learned:.3} vs popularity {popular:.3}"
    );
}

fn strong_minus(id: &str) -> crate::domain::Customer {
    let eye = crate::domain::EyeRx {
        sph: -4.0,
        cyl: 0.0,
        axis: None,
        add: None,
        prism: None,
    };
    crate::domain::Customer {
        prescription: Some(crate::domain::Prescription {
            od: eye.clone(),
            os: eye,
            pd: crate::domain::PupillaryDistance::Binocular(63.0),
            fitting_height: None,
        }),
        ..crate::domain::Customer::new(id)
    }
}

async fn aspheric_advised(config: ServiceConfig) -> bool {
    let data = demo::generate(&DemoConfig {
        styles: 20,
        customers: 1,
        days: 1,
        ..DemoConfig::small()
    });
    let service = Framewise::open(memory_stores(), config).await.unwrap();
    service.import_styles(&data.styles).await.unwrap();
    service
        .put_profile(strong_minus("cu-rx"), DemoConfig::small().end)
        .await
        .unwrap();
    let advice = service
        .lens_recommendation("cu-rx", None, &Default::default())
        .await
        .unwrap();
    advice
        .treatments
        .iter()
        .any(|t| t.kind == crate::optics::lens::TreatmentKind::Aspheric)
}

#[tokio::test]
async fn when_optics_rules_are_configured_should_advise_lenses_by_them() {
    assert!(
        aspheric_advised(ServiceConfig::default()).await,
        "a -4.00 lens is aspheric from 3.00 D by default"
    );
    let mut config = ServiceConfig::default();
    config.optics.aspheric_from_power = 6.0;
    assert!(
        !aspheric_advised(config).await,
        "the configured threshold, not the default, decides"
    );
}

/// A demo shop on memory stores kept as `MemoryStore` too, so a test can read it raw.
async fn regenerated_with_raw_store(
    data: &DemoData,
) -> (Framewise, std::sync::Arc<crate::adapters::MemoryStore>) {
    let store = std::sync::Arc::new(crate::adapters::MemoryStore::new());
    let stores = crate::ports::Stores {
        catalog: store.clone(),
        profiles: store.clone(),
        lists: store.clone(),
        signals: store.clone(),
        queue: store.clone(),
        artifacts: std::sync::Arc::new(crate::adapters::MemoryArtifactStore::new()),
        measurements: std::sync::Arc::new(crate::adapters::MemoryMeasurementStore::new()),
        health: store.clone(),
    };
    let service = Framewise::open(stores, ServiceConfig::default())
        .await
        .unwrap();
    service.import_styles(&data.styles).await.unwrap();
    service.import_customers(&data.customers).await.unwrap();
    let signals = crate::import::interactions_to_signals(&data.interactions);
    let now = DemoConfig::default().end;
    service.apply_signals(&signals, now).await.unwrap();
    service.regenerate(now, &|_, _| {}).await.unwrap();
    (service, store)
}

fn late_signal(customer: &str, event_id: &str, at: DateTime<Utc>) -> Signal {
    Signal {
        event_id: event_id.into(),
        customer_id: Some(customer.into()),
        session_id: None,
        kind: SignalKind::Purchase,
        style_id: "st-0001".into(),
        sku: None,
        timestamp: at,
        recommendation_id: None,
        placement: None,
        context: Default::default(),
        price_cents: None,
        quantity: None,
        order_id: None,
        rating: None,
        position: None,
        comment: None,
    }
}

#[tokio::test]
async fn when_customer_erased_should_stay_erased_through_worker_and_regeneration() {
    let data = demo_data();
    let (service, store) = regenerated_with_raw_store(&data).await;
    let now = DemoConfig::default().end;
    // An id no other id contains, so a substring search of the raw store finds only theirs.
    let ids: Vec<&str> = data.customers.iter().map(|c| c.id.as_str()).collect();
    let erased = *ids
        .iter()
        .find(|id| ids.iter().filter(|other| other.contains(*id)).count() == 1)
        .unwrap();
    let export = service.export_customer(erased, now).await.unwrap();
    assert!(export.profile.is_some() && !export.signals.is_empty());
    assert_eq!(export.lists.len(), 1, "regeneration stored a list");
    let json = serde_json::to_value(&export).unwrap();
    assert_eq!(json["format_version"], EXPORT_FORMAT_VERSION);

    let report = service.erase_customer(erased).await.unwrap();
    assert_eq!(
        report.deleted,
        ErasedCounts {
            profiles: 1,
            prescriptions: usize::from(export.profile.unwrap().prescription.is_some()),
            lists: 1,
            signals: export.signals.len(),
            engaged_styles: export.engaged_styles.len(),
            queued_signals: 0,
            measurements: 0,
            digest_markers: 0,
        }
    );

    // A late signal, processed by a worker whose clock is past the cutoff: refused by the
    // tombstone, and no list is stored for the now unknown id (the tombstone alone would
    // let a list generated after its cutoff through).
    let worker_now = report.late_data_cutoff + chrono::Duration::minutes(1);
    let late = late_signal(erased, "late-1", now);
    let processed = service.apply_signals(&[late], worker_now).await.unwrap();
    assert_eq!((processed.applied, processed.lists_recomputed), (0, 0));
    service.regenerate(now, &|_, _| {}).await.unwrap();
    let page = service
        .recommendations(erased, RecommendationQuery::default(), worker_now)
        .await
        .unwrap();
    assert_eq!(page.source, crate::domain::ListSource::ColdStart);
    let raw = store.raw_records().unwrap();
    let naming: Vec<&String> = raw.iter().filter(|r| r.contains(erased)).collect();
    assert!(naming.is_empty(), "{naming:#?}");
    assert!(matches!(
        service.export_customer(erased, now).await,
        Err(ServiceError::NotFound { .. })
    ));

    // Activity after the cutoff is new and kept.
    let fresh = late_signal(erased, "after-1", worker_now);
    let processed = service.apply_signals(&[fresh], worker_now).await.unwrap();
    assert_eq!((processed.applied, processed.lists_recomputed), (1, 1));
    assert_eq!(
        service
            .export_customer(erased, worker_now)
            .await
            .unwrap()
            .signals
            .len(),
        1
    );
}

/// One signal of a signed-in shopper, outside any recommendation.
/// Applies a purchase of `style` and returns the shopper's next list, checking that no
/// model was retrained in between (the list changes by fold-in alone).
async fn buy_and_relist(
    service: &Framewise,
    customer: &str,
    event_id: &str,
    style: &str,
    now: DateTime<Utc>,
) -> RecommendationPage {
    let version = service.engine().model_version().to_string();
    let signal = customer_signal(customer, event_id.into(), SignalKind::Purchase, style, now);
    service.apply_signals(&[signal], now).await.unwrap();
    let after = service
        .recommendations(customer, RecommendationQuery::default(), now)
        .await
        .unwrap();
    assert_eq!(after.model_version, version, "no retraining happened");
    after
}

fn customer_signal(
    customer: &str,
    event_id: String,
    kind: SignalKind,
    style_id: &str,
    at: DateTime<Utc>,
) -> Signal {
    Signal {
        event_id,
        customer_id: Some(customer.into()),
        session_id: None,
        kind,
        style_id: style_id.into(),
        sku: None,
        timestamp: at,
        recommendation_id: None,
        placement: None,
        context: Default::default(),
        price_cents: None,
        quantity: None,
        order_id: None,
        rating: None,
        position: None,
        comment: None,
    }
}

/// Issue 10, item 1: a purchase must keep its style out of the list however many signals
/// follow it; neither impressions (shown lists) nor a long browsing session may push it out
/// of the history the list is computed from.
#[tokio::test]
async fn when_purchase_is_followed_by_more_than_history_limit_signals_should_never_list_it() {
    let data = demo_data();
    let (service, now) = regenerated(&data, ServiceConfig::default()).await;
    let limit = service.config().history_limit;
    let viewed: Vec<&str> = data.styles.iter().take(3).map(|s| s.id.as_str()).collect();
    let day = chrono::Duration::days(1);
    let second = chrono::Duration::seconds(1);
    let impressions = (0..600).map(|i| {
        let at = now - day * 2 + second * i;
        customer_signal(
            "cu-window",
            format!("imp-{i}"),
            SignalKind::Impression,
            viewed[0],
            at,
        )
    });
    let views = (0..limit + 10).map(|i| {
        let at = now - day + second * i as i32;
        customer_signal(
            "cu-window",
            format!("view-{i}"),
            SignalKind::View,
            viewed[i % 3],
            at,
        )
    });
    let browsing: Vec<Signal> = impressions.chain(views).collect();
    service.apply_signals(&browsing, now).await.unwrap();
    let listed = |list: &StoredList| -> Vec<String> {
        list.items.iter().map(|i| i.style_id.clone()).collect()
    };
    let before = service.recompute_customer("cu-window", now).await.unwrap();
    // The style this browsing recommends most, among those not browsed.
    let bought = listed(&before)
        .into_iter()
        .find(|id| !viewed.contains(&id.as_str()))
        .unwrap();

    // Bought before all that browsing (the signal arrives late, as queued signals do).
    let purchase = customer_signal(
        "cu-window",
        "buy-1".into(),
        SignalKind::Purchase,
        &bought,
        now - day * 3,
    );
    service.apply_signals(&[purchase], now).await.unwrap();
    let after = service.recompute_customer("cu-window", now).await.unwrap();
    assert!(!listed(&after).contains(&bought), "{bought} was bought");

    // Another 600 lists shown since: still never listed.
    let shown: Vec<Signal> = (0..600)
        .map(|i| {
            let at = now - chrono::Duration::hours(1) + second * i;
            customer_signal(
                "cu-window",
                format!("imp-late-{i}"),
                SignalKind::Impression,
                &bought,
                at,
            )
        })
        .collect();
    service.apply_signals(&shown, now).await.unwrap();
    let page = service
        .recommendations("cu-window", RecommendationQuery::default(), now)
        .await
        .unwrap();
    assert!(page.items.iter().all(|i| i.style_id != bought));
    let latest = service.recompute_customer("cu-window", now).await.unwrap();
    assert!(!listed(&latest).contains(&bought), "{bought} was bought");
}
