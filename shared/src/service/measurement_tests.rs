//! The measurement loop through the service on memory stores: a served list is an exposure,
//! the worker credits actions to it, metrics and experiment reports read the cells back.

use chrono::{DateTime, Duration, Utc};

use super::tests::{demo_data, regenerated};
use super::*;
use crate::domain::{RecommendationPage, Signal, SignalKind};
use crate::error::ServiceError;
use crate::experiments::{Experiment, ExperimentVariant, Metric};

fn quick_config() -> ServiceConfig {
    ServiceConfig {
        collaborative: CollaborativeMode::Cooccurrence,
        ..ServiceConfig::default()
    }
}

fn action(
    page: &RecommendationPage,
    event_id: &str,
    kind: SignalKind,
    style_id: &str,
    at: DateTime<Utc>,
) -> Signal {
    let commerce = matches!(kind, SignalKind::Purchase | SignalKind::Return);
    Signal {
        event_id: event_id.into(),
        customer_id: Some(page.customer_id.clone()),
        session_id: None,
        kind,
        style_id: style_id.into(),
        sku: None,
        timestamp: at,
        recommendation_id: Some(page.recommendation_id.clone()),
        placement: page.placement.clone(),
        context: None,
        price_cents: commerce.then_some(12_900),
        quantity: commerce.then_some(2),
        order_id: commerce.then(|| "order-1".to_string()),
        rating: None,
        position: None,
        comment: None,
    }
}

fn query(placement: &str) -> RecommendationQuery {
    RecommendationQuery {
        placement: Some(placement.into()),
        ..RecommendationQuery::default()
    }
}

fn experiment(id: &str, treatment: toml::Table, start: DateTime<Utc>) -> Experiment {
    Experiment {
        id: id.into(),
        placement: Some("home".into()),
        variants: vec![
            ExperimentVariant {
                name: "control".into(),
                share: 0.5,
                settings: toml::Table::new(),
            },
            ExperimentVariant {
                name: "treatment".into(),
                share: 0.5,
                settings: treatment,
            },
        ],
        primary_metric: Metric::Ctr,
        guardrails: vec![Metric::ReturnRate],
        start,
        stop: None,
        traffic: 1.0,
        salt: None,
    }
}

fn one_reason() -> toml::Table {
    toml::from_str("engine = { max_reasons = 1 }").unwrap()
}

type Lines = std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>;

/// The service reporting measurement events as EMF lines into a buffer.
fn with_emf(service: Framewise) -> (Framewise, Lines) {
    let lines = Lines::default();
    let sink = lines.clone();
    let writer = crate::experiments::emf::EmfWriter::new("Framewise/test", move |line: &str| {
        if let Ok(mut lines) = sink.lock() {
            lines.push(serde_json::from_str(line).unwrap_or_default());
        }
    });
    (
        service.with_measurement_events(std::sync::Arc::new(writer)),
        lines,
    )
}

#[tokio::test]
async fn when_list_is_acted_on_should_credit_clicks_and_net_revenue_once_to_its_cell() {
    let data = demo_data();
    let (service, now) = regenerated(&data, quick_config()).await;
    let (service, emf) = with_emf(service);
    let customer = &data.customers[0].id;
    let page = service
        .recommendations(customer, query("home"), now)
        .await
        .unwrap();
    let shown = page.items[1].style_id.clone();
    let later = now + Duration::minutes(5);
    let batch = [
        action(&page, "m-click", SignalKind::Click, &shown, later),
        action(&page, "m-buy", SignalKind::Purchase, &shown, later),
        action(&page, "m-other", SignalKind::Click, "not-shown", later),
    ];
    service.apply_signals(&batch, later).await.unwrap();
    // A redelivered batch and a return of one of the two units.
    service.apply_signals(&batch, later).await.unwrap();
    let mut refund = action(&page, "m-return", SignalKind::Return, &shown, later);
    refund.quantity = Some(1);
    service.apply_signals(&[refund], later).await.unwrap();

    let metrics = service
        .metrics(
            MetricsQuery {
                placement: Some("home".into()),
                ..MetricsQuery::default()
            },
            later,
        )
        .await
        .unwrap();
    assert_eq!(metrics.rows.len(), 1, "{metrics:?}");
    let row = &metrics.rows[0];
    assert_eq!(row.variant, None);
    assert_eq!(row.model_version, page.model_version);
    assert_eq!(
        (
            row.counters.exposures,
            row.counters.clicks,
            row.counters.purchases
        ),
        (1, 1, 1)
    );
    assert_eq!(
        row.counters.revenue_cents, 25_800,
        "price x quantity, counted once"
    );
    assert_eq!(
        (row.counters.returns, row.counters.returned_cents),
        (1, 12_900)
    );
    assert!(
        (row.revenue_per_exposure_cents - 12_900.0).abs() < 1e-9,
        "net of the return"
    );
    assert_eq!(metrics.total.counters.exposures, 1);

    // EMF: the exposure, the first batch's credits, nothing for the redelivery, the return.
    let emf = emf.lock().unwrap().clone();
    let sum = |name: &str| -> f64 { emf.iter().filter_map(|l| l[name].as_f64()).sum() };
    assert_eq!(emf.len(), 3, "{emf:?}");
    assert_eq!(
        (sum("Exposures"), sum("Clicks"), sum("Purchases")),
        (1.0, 1.0, 1.0)
    );
    assert_eq!(
        (sum("RevenueCents"), sum("ReturnedCents")),
        (25_800.0, 12_900.0)
    );
    assert!(emf
        .iter()
        .all(|l| l["Placement"] == "home" && l["Variant"] == "default"));
}

#[tokio::test]
async fn when_shopper_is_in_an_experiment_should_serve_their_arm_and_report_it() {
    let data = demo_data();
    let (service, now) = regenerated(&data, quick_config()).await;
    let start = now - Duration::hours(1);
    service
        .create_experiment(experiment("reasons", one_reason(), start))
        .await
        .unwrap();
    let mut arms = std::collections::BTreeMap::new();
    for customer in data.customers.iter().take(40) {
        let page = service
            .recommendations(&customer.id, query("home"), now)
            .await
            .unwrap();
        assert_eq!(page.experiment_id.as_deref(), Some("reasons"));
        let variant = page.variant.clone().unwrap();
        let most_reasons = page.items.iter().map(|i| i.reasons.len()).max().unwrap();
        if variant == "treatment" {
            assert_eq!(most_reasons, 1, "the arm's engine settings score the list");
        }
        // Sticky: the same shopper gets the same arm again.
        let again = service
            .recommendations(&customer.id, query("home"), now)
            .await
            .unwrap();
        assert_eq!(again.variant.as_deref(), Some(variant.as_str()));
        let clicked = action(
            &page,
            &format!("x-{}", customer.id),
            SignalKind::Click,
            &page.items[0].style_id,
            now,
        );
        service.apply_signals(&[clicked], now).await.unwrap();
        *arms.entry(variant).or_insert(0u64) += 2;
    }
    assert_eq!(arms.len(), 2, "both arms get shoppers: {arms:?}");
    // Another placement is outside the experiment.
    let other = service
        .recommendations(&data.customers[0].id, query("cart"), now)
        .await
        .unwrap();
    assert_eq!(other.variant, None);

    let report = service.experiment_report("reasons", now).await.unwrap();
    for summary in &report.variants {
        assert_eq!(
            summary.counters.exposures, arms[&summary.name],
            "{summary:?}"
        );
        assert_eq!(summary.counters.clicks * 2, summary.counters.exposures);
    }
    assert_eq!(report.primary.len(), 1);

    let stopped = service.stop_experiment("reasons", now).await.unwrap();
    assert_eq!(stopped.stop, Some(now));
    let after = service
        .recommendations(
            &data.customers[0].id,
            query("home"),
            now + Duration::seconds(1),
        )
        .await
        .unwrap();
    assert_eq!(
        after.variant, None,
        "a stopped experiment serves the default"
    );
}

#[tokio::test]
async fn when_experiment_is_invalid_or_overlaps_should_refuse_it_naming_the_field() {
    let data = demo_data();
    let (service, now) = regenerated(&data, quick_config()).await;
    let field_of = |e: ServiceError| match e {
        ServiceError::Invalid(errors) => errors.0[0].field.clone(),
        other => panic!("expected a validation error, got {other:?}"),
    };
    let model_key: toml::Table = toml::from_str("collaborative = \"learned\"").unwrap();
    let refused = service
        .create_experiment(experiment("bad", model_key, now))
        .await
        .unwrap_err();
    assert_eq!(field_of(refused), "variants[1].settings.collaborative");
    let out_of_range: toml::Table = toml::from_str("engine = { diversity_lambda = 7.0 }").unwrap();
    let refused = service
        .create_experiment(experiment("bad", out_of_range, now))
        .await
        .unwrap_err();
    assert_eq!(field_of(refused), "variants[1].settings");

    service
        .create_experiment(experiment("first", one_reason(), now))
        .await
        .unwrap();
    let refused = service
        .create_experiment(experiment("second", one_reason(), now))
        .await
        .unwrap_err();
    assert_eq!(field_of(refused), "placement");
    assert_eq!(service.experiments().await.unwrap().len(), 1);
}

#[tokio::test]
async fn when_customer_is_erased_should_delete_their_exposures_but_keep_the_counts() {
    let data = demo_data();
    let (service, now) = regenerated(&data, quick_config()).await;
    let customer = &data.customers[0].id;
    service
        .recommendations(customer, query("home"), now)
        .await
        .unwrap();
    let report = service.erase_customer(customer).await.unwrap();
    assert_eq!(report.deleted.measurements, 1);
    let subject = crate::domain::Subject::Customer(customer.clone()).key();
    let left = service
        .stores()
        .measurements
        .exposures(&subject, now - Duration::days(1))
        .await
        .unwrap();
    assert!(left.is_empty());
    let metrics = service.metrics(MetricsQuery::default(), now).await.unwrap();
    assert_eq!(metrics.total.counters.exposures, 1);
}

fn rating(
    page: &RecommendationPage,
    event_id: &str,
    style_id: &str,
    stars: u8,
    at: DateTime<Utc>,
) -> Signal {
    Signal {
        rating: Some(stars),
        comment: Some("Comfortable, a little wide".into()),
        recommendation_id: None,
        ..action(page, event_id, SignalKind::Rating, style_id, at)
    }
}

#[tokio::test]
async fn when_arm_shoppers_buy_and_rate_should_report_satisfaction_cohort_revenue_and_list_quality()
{
    let data = demo_data();
    let (service, now) = regenerated(&data, quick_config()).await;
    service
        .create_experiment(experiment("sat", one_reason(), now - Duration::hours(1)))
        .await
        .unwrap();
    let later = now + Duration::minutes(10);
    let mut expected: std::collections::BTreeMap<String, (u64, i64, Vec<u8>)> = Default::default();
    for (n, customer) in data.customers.iter().take(12).enumerate() {
        let page = service
            .recommendations(&customer.id, query("home"), now)
            .await
            .unwrap();
        // Seen twice: the shopper joins the arm's cohort once.
        service
            .recommendations(&customer.id, query("home"), now)
            .await
            .unwrap();
        let arm = expected.entry(page.variant.clone().unwrap()).or_default();
        arm.0 += 1;
        let shown = &page.items[0].style_id;
        let mut bought = action(
            &page,
            &format!("buy-{n}"),
            SignalKind::Purchase,
            shown,
            later,
        );
        // Also a purchase of a style never shown: unattributed, but the cohort's revenue.
        let mut elsewhere = bought.clone();
        elsewhere.event_id = format!("elsewhere-{n}");
        elsewhere.style_id = "not-on-any-list".into();
        elsewhere.recommendation_id = None;
        elsewhere.quantity = Some(1);
        bought.quantity = Some(1);
        arm.1 += 2 * 12_900;
        let stars = 1 + (n % 5) as u8;
        arm.2.push(stars);
        let rated = rating(
            &page,
            &format!("rate-{n}"),
            shown,
            stars,
            later + Duration::days(3),
        );
        let batch = [bought, elsewhere, rated];
        service.apply_signals(&batch, later).await.unwrap();
        // Redelivered: nothing counts twice.
        service.apply_signals(&batch, later).await.unwrap();
    }
    // A rating from a shopper never shown anything is credited nowhere.
    let stranger = RecommendationPage {
        customer_id: "nobody".into(),
        ..service
            .recommendations(&data.customers[0].id, query("home"), now)
            .await
            .unwrap()
    };
    let lost = rating(&stranger, "rate-x", "s-x", 5, later);
    service.apply_signals(&[lost], later).await.unwrap();

    let report = service
        .experiment_report("sat", later + Duration::days(3))
        .await
        .unwrap();
    for summary in &report.variants {
        let (shoppers, revenue, stars) = &expected[&summary.name];
        assert_eq!(summary.shoppers, *shoppers, "{summary:?}");
        assert_eq!(summary.counters.cohort_revenue_cents, *revenue);
        assert!((summary.revenue_per_shopper - *revenue as f64 / *shoppers as f64).abs() < 1e-9);
        assert_eq!(summary.counters.ratings, stars.len() as u64);
        let mean = stars.iter().map(|s| f64::from(*s)).sum::<f64>() / stars.len() as f64;
        assert!((summary.satisfaction.unwrap() - mean).abs() < 1e-12);
        let ci = summary.satisfaction_interval.unwrap();
        assert!(ci.low < mean && mean < ci.high, "{ci:?}");
        assert!((0.0..=1.0).contains(&summary.novelty));
        assert!(summary.intra_list_diversity > 0.0 && summary.intra_list_diversity <= 1.0);
    }
    let metrics = service
        .metrics(MetricsQuery::default(), later)
        .await
        .unwrap();
    for row in &metrics.rows {
        let coverage = row.coverage.unwrap();
        assert!(coverage > 0.0 && coverage <= 1.0, "{row:?}");
        assert!(row.counters.distinct_items <= row.counters.items_shown);
    }
    assert_eq!(metrics.total.coverage, None);
}
