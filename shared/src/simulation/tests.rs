//! The simulator against the service on memory stores: a personalised arm beats popularity
//! in the direction and rough size the click model implies, and a broken arm trips the
//! sample-ratio check.

use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::adapters::memory_stores;
use crate::experiments::ExperimentReport;
use crate::service::CollaborativeMode;

async fn shop(customers: usize) -> (Framewise, DemoData, DateTime<Utc>) {
    let demo = DemoConfig {
        customers,
        ..DemoConfig::small()
    };
    let config = ServiceConfig {
        collaborative: CollaborativeMode::Cooccurrence,
        ..ServiceConfig::default()
    };
    open_demo_shop(memory_stores(), &demo, config)
        .await
        .unwrap()
}

fn experiment(
    id: &str,
    control: toml::Table,
    treatment: toml::Table,
    start: DateTime<Utc>,
) -> Experiment {
    two_arm_experiment(id, "home", control, treatment, start)
}

async fn run(
    service: &Framewise,
    data: &DemoData,
    start: DateTime<Utc>,
    experiment: Experiment,
    config: &SimulationConfig,
) -> (SimulationOutcome, ExperimentReport) {
    let id = experiment.id.clone();
    service.create_experiment(experiment).await.unwrap();
    let outcome = simulate(service, data, start, config).await.unwrap();
    let report = service.experiment_report(&id, outcome.end).await.unwrap();
    (outcome, report)
}

#[tokio::test]
async fn when_personalised_arm_faces_popularity_should_report_the_lift_the_click_model_implies() {
    let (service, data, now) = shop(200).await;
    let start = now + Duration::hours(1);
    let config = SimulationConfig {
        days: 10,
        visit_rate: 0.5,
        ..SimulationConfig::default()
    };
    let pop_vs_personal = experiment(
        "pop-vs-personal",
        popularity_only(),
        toml::Table::new(),
        start,
    );
    let (outcome, report) = run(&service, &data, start, pop_vs_personal, &config).await;

    let truth = |arm: &str| outcome.arms[arm].true_ctr();
    let true_lift = truth("treatment") / truth("control") - 1.0;
    assert!(
        true_lift > 0.2,
        "the click model favours taste: {true_lift:.3}"
    );
    let ctr = &report.primary[0].comparison;
    let measured = ctr.relative_lift.unwrap();
    assert!(ctr.significant && ctr.difference > 0.0, "{ctr:?}");
    assert!(
        (measured / true_lift - 1.0).abs() < 0.5,
        "measured lift {measured:.3} vs ground truth {true_lift:.3}"
    );
    // The report counts what the simulator saw, list by list and click by click.
    for summary in &report.variants {
        let arm = &outcome.arms[&summary.name];
        assert_eq!(summary.counters.exposures, arm.lists);
        assert_eq!(summary.counters.clicks, arm.clicks);
        assert_eq!(summary.counters.purchases, arm.purchases);
        // Every rating is credited to the shopper's arm, through the purchase it rates.
        assert_eq!(summary.counters.ratings, arm.ratings, "{}", summary.name);
        assert_eq!(summary.counters.rating_sum, arm.rating_sum);
        assert!(summary.shoppers > 0 && summary.revenue_per_shopper > 0.0);
    }
    // Popularity alone shows only the popular head.
    assert_eq!(report.variants[0].novelty, 0.0);
    assert!(report.variants[1].novelty > report.variants[0].novelty);
    assert!(
        report.shopper_ratio.is_some_and(|s| !s.mismatch),
        "{:?}",
        report.shopper_ratio
    );
}

#[tokio::test]
async fn when_one_arm_loses_visits_should_the_sample_ratio_check_fire() {
    let (service, data, now) = shop(200).await;
    let start = now + Duration::hours(1);
    let config = SimulationConfig {
        days: 6,
        visit_rate: 0.5,
        lose_visits_of: Some(("treatment".into(), 0.5)),
        ..SimulationConfig::default()
    };
    let same = experiment("a-a-broken", toml::Table::new(), toml::Table::new(), start);
    let (outcome, report) = run(&service, &data, start, same, &config).await;
    assert!(outcome.lost_visits > 0);
    let srm = report.sample_ratio.unwrap();
    assert!(srm.mismatch, "{srm:?} {:?}", report.variants);
}
