//! A shopper simulator that proves the measurement loop: demo shoppers with a hidden taste
//! visit the site day after day, get their list through the real service (assignment, the
//! exposure path), and click, try on, buy and return according to that taste and to where
//! each frame was shown; their signals are queued and applied like `POST /v1/signals`.
//!
//! The click model is a cascade: the shopper looks down the list, still looking at
//! position `k` with probability `examine^k`, and clicks the first frame that appeals
//! (probability `click_match` for a frame of their taste, `click_other` otherwise); at most
//! one click per list. After a click they try it on, put it in the cart and buy it with
//! probabilities that are higher for a frame of their taste, and return a bought frame that
//! is not their taste more often. Because the simulator knows these probabilities, it also
//! computes each arm's expected clicks and purchases per list from the lists it served:
//! the ground truth an experiment's measured lift is compared to.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::demo::{DemoConfig, DemoData};
use crate::domain::{Signal, SignalKind, Style, Subject};
use crate::error::ServiceError;
use crate::experiments::{assignment, Experiment, ExperimentVariant, Metric};
use crate::ports::Stores;
use crate::service::ServiceConfig;
use crate::service::{Framewise, RecommendationQuery};

/// How simulated shoppers behave and how long they do.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulationConfig {
    pub days: u32,
    pub seed: u64,
    /// Chance a shopper visits on a given day.
    pub visit_rate: f64,
    /// Frames shown per list.
    pub list_size: usize,
    pub placement: String,
    /// Chance of still looking at the next position (position bias).
    pub examine: f64,
    pub click_match: f64,
    pub click_other: f64,
    /// Chance a clicked frame is bought: of the shopper's taste, and not.
    pub buy_match: f64,
    pub buy_other: f64,
    /// Chance a bought frame is returned: of the shopper's taste, and not.
    pub return_match: f64,
    pub return_other: f64,
    /// Chance a shopper rates a bought frame (1-5) a few days later: 4-5 for a frame of
    /// their taste, 2-3 for another, 1-2 for one they send back.
    pub rate_share: f64,
    /// A broken arm: visits of shoppers assigned to this variant are lost with this
    /// probability (their list is never recorded), the classic sample-ratio mismatch.
    pub lose_visits_of: Option<(String, f64)>,
}

impl Default for SimulationConfig {
    fn default() -> Self {
        Self {
            days: 14,
            seed: 7,
            visit_rate: 0.3,
            list_size: 12,
            placement: "home".into(),
            examine: 0.85,
            click_match: 0.25,
            click_other: 0.03,
            buy_match: 0.3,
            buy_other: 0.08,
            return_match: 0.04,
            return_other: 0.2,
            rate_share: 0.4,
            lose_visits_of: None,
        }
    }
}

/// What the simulated shoppers did in one arm (`"default"` outside experiments), and what
/// the click model says they should have done on the lists they got.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ArmOutcome {
    pub lists: u64,
    pub clicks: u64,
    pub purchases: u64,
    pub revenue_cents: i64,
    /// Ratings given and their sum (satisfaction's ground truth).
    pub ratings: u64,
    pub rating_sum: u64,
    /// Expected clicks per list under the click model, summed over the lists served.
    pub expected_clicks: f64,
    /// Expected purchases per list, summed likewise.
    pub expected_purchases: f64,
    /// Time to serve each list (the service call), milliseconds.
    #[serde(skip)]
    pub list_millis: Vec<f64>,
}

impl ArmOutcome {
    /// The click model's click-through rate of the lists this arm served.
    pub fn true_ctr(&self) -> f64 {
        ratio(self.expected_clicks, self.lists)
    }

    pub fn true_conversion(&self) -> f64 {
        ratio(self.expected_purchases, self.lists)
    }

    /// 95th percentile of the list times, milliseconds.
    pub fn p95_list_millis(&self) -> f64 {
        let mut times = self.list_millis.clone();
        times.sort_by(f64::total_cmp);
        let rank = ((times.len() as f64) * 0.95).ceil() as usize;
        times
            .get(rank.saturating_sub(1))
            .copied()
            .unwrap_or_default()
    }
}

fn ratio(numerator: f64, denominator: u64) -> f64 {
    if denominator == 0 {
        0.0
    } else {
        numerator / denominator as f64
    }
}

/// Per arm, what happened over the simulated days.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SimulationOutcome {
    pub arms: BTreeMap<String, ArmOutcome>,
    pub signals: usize,
    /// Visits lost on purpose by [`SimulationConfig::lose_visits_of`].
    pub lost_visits: u64,
    /// The first day after the simulation, for reports read "now".
    pub end: DateTime<Utc>,
}

/// A return or rating due later.
struct PendingSignal {
    due: DateTime<Utc>,
    signal: Signal,
    /// For a rating: the arm of the shopper, whose ground truth counts it once posted.
    rating_arm: Option<String>,
}

/// Runs `config.days` days of shopping from `start` against `service`, whose store already
/// holds `data`'s catalogue, shoppers and history.
pub async fn simulate(
    service: &Framewise,
    data: &DemoData,
    start: DateTime<Utc>,
    config: &SimulationConfig,
) -> Result<SimulationOutcome, ServiceError> {
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let styles: BTreeMap<&str, &Style> = data.styles.iter().map(|s| (s.id.as_str(), s)).collect();
    let mut outcome = SimulationOutcome::default();
    let mut returns: Vec<PendingSignal> = Vec::new();
    let mut event = 0u64;
    let experiments = service.experiments().await?;
    for day in 0..config.days {
        let day_start = start + Duration::days(i64::from(day));
        let mut batch = Vec::new();
        for taste in &data.tastes {
            if !rng.gen_bool(config.visit_rate.clamp(0.0, 1.0)) {
                continue;
            }
            let at = day_start + Duration::seconds(rng.gen_range(0..86_400));
            if let Some((lost, share)) = &config.lose_visits_of {
                // The broken arm's page fails before the list is shown: no exposure, no
                // signals. Which arm the shopper is in is the service's own assignment.
                let subject = Subject::Customer(taste.customer_id.clone()).key();
                let arm = assignment(&experiments, &config.placement, &subject, at);
                if arm.is_some_and(|(_, v)| v.name == *lost) && rng.gen_bool(share.clamp(0.0, 1.0))
                {
                    outcome.lost_visits += 1;
                    continue;
                }
            }
            let query = RecommendationQuery {
                limit: Some(config.list_size),
                placement: Some(config.placement.clone()),
                ..RecommendationQuery::default()
            };
            let started = Instant::now();
            let page = service
                .recommendations(&taste.customer_id, query, at)
                .await?;
            let millis = started.elapsed().as_secs_f64() * 1e3;
            let arm_name = page.variant.clone().unwrap_or_else(|| "default".into());
            let shown: Vec<(&Style, bool)> = page
                .items
                .iter()
                .filter_map(|item| styles.get(item.style_id.as_str()))
                .map(|style| (*style, taste.matches(style)))
                .collect();
            let arm_label = arm_name.clone();
            let arm = outcome.arms.entry(arm_name).or_default();
            arm.lists += 1;
            arm.list_millis.push(millis);
            let (clicks, purchases) = expected_actions(&shown, config);
            arm.expected_clicks += clicks;
            arm.expected_purchases += purchases;
            let Some((style, matched)) = cascade_click(&mut rng, &shown, config) else {
                continue;
            };
            arm.clicks += 1;
            let mut signal = |kind: SignalKind, seconds: i64| {
                event += 1;
                Signal {
                    event_id: format!("sim-{}-{event}", config.seed),
                    customer_id: Some(taste.customer_id.clone()),
                    session_id: None,
                    kind,
                    style_id: style.id.clone(),
                    sku: None,
                    timestamp: at + Duration::seconds(seconds),
                    recommendation_id: Some(page.recommendation_id.clone()),
                    placement: Some(config.placement.clone()),
                    context: None,
                    price_cents: None,
                    quantity: None,
                    order_id: None,
                    rating: None,
                    position: None,
                    comment: None,
                }
            };
            batch.push(signal(SignalKind::Click, 5));
            let (buy, keep_back) = if matched {
                (config.buy_match, config.return_match)
            } else {
                (config.buy_other, config.return_other)
            };
            if rng.gen_bool(0.5) {
                batch.push(signal(SignalKind::TryOn, 60));
            }
            if !rng.gen_bool(buy) {
                continue;
            }
            batch.push(signal(SignalKind::AddToCart, 120));
            let mut purchase = signal(SignalKind::Purchase, 300);
            purchase.price_cents = Some(i64::from(style.price_cents));
            purchase.quantity = Some(1);
            purchase.order_id = Some(format!("order-{}", purchase.event_id));
            arm.purchases += 1;
            arm.revenue_cents += i64::from(style.price_cents);
            let returned = rng.gen_bool(keep_back);
            if returned {
                let mut refund = signal(SignalKind::Return, 3 * 86_400);
                refund.price_cents = purchase.price_cents;
                refund.quantity = Some(1);
                refund.order_id = purchase.order_id.clone();
                returns.push(PendingSignal {
                    due: refund.timestamp,
                    signal: refund,
                    rating_arm: None,
                });
            }
            if rng.gen_bool(config.rate_share) {
                let low = match (returned, matched) {
                    (true, _) => 1,
                    (false, true) => 4,
                    (false, false) => 2,
                };
                let stars = low + u8::from(rng.gen_bool(0.5));
                let mut rated = signal(SignalKind::Rating, 4 * 86_400);
                rated.rating = Some(stars);
                rated.recommendation_id = None;
                returns.push(PendingSignal {
                    due: rated.timestamp,
                    signal: rated,
                    rating_arm: Some(arm_label.clone()),
                });
            }
            batch.push(purchase);
        }
        let day_end = day_start + Duration::days(1);
        let (due, later): (Vec<_>, Vec<_>) = returns.into_iter().partition(|r| r.due < day_end);
        returns = later;
        for pending in due {
            if let (Some(arm), Some(stars)) = (&pending.rating_arm, pending.signal.rating) {
                let arm = outcome.arms.entry(arm.clone()).or_default();
                arm.ratings += 1;
                arm.rating_sum += u64::from(stars);
            }
            batch.push(pending.signal);
        }
        outcome.signals += batch.len();
        post_and_process(service, batch, day_end).await?;
    }
    outcome.end = start + Duration::days(i64::from(config.days));
    Ok(outcome)
}

/// Queues the day's signals in batches of the API's size and lets the worker apply them.
async fn post_and_process(
    service: &Framewise,
    mut signals: Vec<Signal>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    signals.sort_by_key(|s| s.timestamp);
    for chunk in signals.chunks(crate::api::MAX_SIGNALS_PER_REQUEST) {
        service.accept_signals(chunk).await?;
    }
    while service.process_queue(100, now).await?.received > 0 {}
    Ok(())
}

/// The frame the shopper clicks under the cascade model, if any.
fn cascade_click<'a>(
    rng: &mut ChaCha8Rng,
    shown: &[(&'a Style, bool)],
    config: &SimulationConfig,
) -> Option<(&'a Style, bool)> {
    let mut look = 1.0;
    for (style, matched) in shown {
        let appeal = if *matched {
            config.click_match
        } else {
            config.click_other
        };
        if rng.gen_bool((look * appeal).clamp(0.0, 1.0)) {
            return Some((style, *matched));
        }
        look *= config.examine;
    }
    None
}

/// Expected clicks and purchases of one list under the click model.
fn expected_actions(shown: &[(&Style, bool)], config: &SimulationConfig) -> (f64, f64) {
    let (mut no_click_yet, mut look, mut purchases) = (1.0, 1.0, 0.0);
    for (_, matched) in shown {
        let (appeal, buy) = if *matched {
            (config.click_match, config.buy_match)
        } else {
            (config.click_other, config.buy_other)
        };
        let click_here = no_click_yet * look * appeal;
        purchases += click_here * buy;
        no_click_yet -= click_here;
        look *= config.examine;
    }
    (1.0 - no_click_yet, purchases)
}

/// Popularity alone, as an experiment arm's settings: every personal term off, so the list
/// is the crowd's (filters, fit and diversity unchanged).
pub fn popularity_only() -> toml::Table {
    let mut weights = toml::Table::new();
    for term in ["collaborative", "taste", "preference", "profile"] {
        weights.insert(term.into(), toml::Value::Float(0.0));
    }
    let mut engine = toml::Table::new();
    engine.insert("weights".into(), toml::Value::Table(weights));
    let mut settings = toml::Table::new();
    settings.insert("engine".into(), toml::Value::Table(engine));
    settings
}

/// A two-arm experiment on `placement` (half the traffic each), judged on CTR with
/// conversion as guardrail, starting at `start`; the salt defaults to the id.
pub fn two_arm_experiment(
    id: &str,
    placement: &str,
    control: toml::Table,
    treatment: toml::Table,
    start: DateTime<Utc>,
) -> Experiment {
    let arm = |name: &str, settings| ExperimentVariant {
        name: name.into(),
        share: 0.5,
        settings,
    };
    Experiment {
        id: id.into(),
        placement: Some(placement.into()),
        variants: vec![arm("control", control), arm("treatment", treatment)],
        primary_metric: Metric::Ctr,
        guardrails: vec![Metric::ConversionRate, Metric::AverageOrderValue],
        start,
        stop: None,
        traffic: 1.0,
        salt: None,
    }
}

/// A demo shop on `stores`: `demo`'s catalogue, shoppers and history loaded and a model
/// built at the end of its window (returned).
pub async fn open_demo_shop(
    stores: Stores,
    demo: &DemoConfig,
    config: ServiceConfig,
) -> Result<(Framewise, DemoData, DateTime<Utc>), ServiceError> {
    let data = crate::demo::generate(demo);
    let service = Framewise::open(stores, config).await?;
    service.import_styles(&data.styles).await?;
    service.import_customers(&data.customers).await?;
    let history = crate::import::interactions_to_signals(&data.interactions);
    service.apply_signals(&history, demo.end).await?;
    service.regenerate(demo.end, &|_, _| {}).await?;
    Ok((service, data, demo.end))
}

#[cfg(test)]
mod tests;
