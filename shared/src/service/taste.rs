//! The shopper's taste (`GET /v1/customers/{id}/taste`): what they lean toward now and over
//! the long run, whether their taste has drifted, a month-by-month timeline and reasons in
//! plain words, all from the history that feeds their list (see
//! [`crate::engine::Engine::taste_report`]).

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{not_found, Framewise};
use crate::domain::{validate_id, Reason, ScoredItem, Style, Subject};
use crate::engine::{AttributeTaste, EngineConfig, RecommendRequest, TasteDrift, TasteMonth};
use crate::error::{ServiceError, ValidationErrors};

/// A shopper's taste, for a "your style" page.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CustomerTaste {
    pub customer_id: String,
    pub generated_at: DateTime<Utc>,
    /// Half-life of the current profile (`engine.short_half_life_days`).
    pub short_half_life_days: f32,
    /// Half-life of the long-term profile (`engine.history_half_life_days`).
    pub long_half_life_days: f32,
    /// What the shopper leans toward now: per attribute, the leading values with their
    /// share of the recent (decayed) positive signal weight.
    pub current: Vec<AttributeTaste>,
    /// The same over the long run.
    pub long_term: Vec<AttributeTaste>,
    pub drift: TasteDrift,
    /// Per month (oldest first), the leading value of each attribute in that month's signals.
    pub timeline: Vec<TasteMonth>,
    /// Plain-words observations, each true of the profiles above.
    pub reasons: Vec<Reason>,
}

impl Framewise {
    /// The taste of a known shopper (a profile or a history); NotFound for an id the store
    /// knows nothing about.
    pub async fn customer_taste(
        &self,
        customer_id: &str,
        now: DateTime<Utc>,
    ) -> Result<CustomerTaste, ServiceError> {
        validate_id(customer_id).map_err(|m| ValidationErrors::single("customer_id", m))?;
        let subject = Subject::Customer(customer_id.to_string());
        let (customer, history) = tokio::try_join!(
            async { Ok(self.stores.profiles.get_customer(customer_id).await?) },
            async { Ok::<_, ServiceError>(self.history(&subject).await?) },
        )?;
        if customer.is_none() && history.is_empty() {
            return Err(not_found("customer", customer_id));
        }
        let engine = self.engine();
        let config = engine.config();
        let report = engine.taste_report(&history, now);
        Ok(CustomerTaste {
            customer_id: customer_id.to_string(),
            generated_at: now,
            short_half_life_days: config.short_half_life_days,
            long_half_life_days: config.history_half_life_days,
            current: report.current,
            long_term: report.long_term,
            drift: report.drift,
            timeline: report.timeline,
            reasons: report.reasons,
        })
    }
}

/// The offline check of taste evolution (`cargo bench --bench taste_drift` and
/// `service/taste/tests.rs`, on the demo data's drifting cohort): how much of a shopper's
/// top of the list fits their known taste with and without evolution.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DriftCheck {
    /// Drifting shoppers measured, and of them those whose drift is detected / leads.
    pub drifting: usize,
    pub detected: usize,
    pub leading: usize,
    /// Steady shoppers measured, and of them those (wrongly) detected as drifting / whose
    /// recent taste (wrongly) leads.
    pub steady: usize,
    pub steady_detected: usize,
    pub steady_leading: usize,
    /// Share of the drifting shoppers' top items that fit their new taste, with and without
    /// evolution; and that fit their earlier taste.
    pub new_with: f64,
    pub new_without: f64,
    pub old_with: f64,
    pub old_without: f64,
    /// Share of the steady shoppers' top items fitting their taste, with and without.
    pub steady_with: f64,
    pub steady_without: f64,
}

/// Whether a style fits a known taste.
pub type Fits<'a> = Box<dyn Fn(&Style) -> bool + 'a>;

/// A shopper whose taste is known (the demo data's hidden tastes), for [`DriftCheck`].
pub struct KnownTaste<'a> {
    pub customer_id: &'a str,
    /// Whether a style fits what the shopper wants now.
    pub fits_now: Fits<'a>,
    /// For a shopper whose taste changed: whether a style fits what they wanted before.
    pub fitted_before: Option<Fits<'a>>,
}

impl Framewise {
    /// Measures [`DriftCheck`] over shoppers of known taste at `now`, `top` items per list,
    /// with the serving engine's configuration with `taste_evolution` on and off.
    pub async fn drift_check(
        &self,
        shoppers: &[KnownTaste<'_>],
        now: DateTime<Utc>,
        top: usize,
    ) -> Result<DriftCheck, ServiceError> {
        let engine = self.engine();
        let with = EngineConfig {
            taste_evolution: true,
            ..engine.config().clone()
        };
        let without = EngineConfig {
            taste_evolution: false,
            ..with.clone()
        };
        let mut check = DriftCheck::default();
        // Fitting items: new taste with / without, earlier taste with / without, steady.
        let mut fitting = [0usize; 6];
        for shopper in shoppers {
            let id = shopper.customer_id;
            let customer = self.stores.profiles.get_customer(id).await?;
            let history = self.history(&Subject::Customer(id.to_string())).await?;
            if history.is_empty() {
                continue;
            }
            let request = RecommendRequest {
                customer: customer.as_ref(),
                history: &history,
                now,
                limit: top,
                feeds: None,
            };
            let with_list = engine.recommend_with(&request, &with);
            let without_list = engine.recommend_with(&request, &without);
            let count = |items: &[ScoredItem], fits: &dyn Fn(&Style) -> bool| {
                items
                    .iter()
                    .filter(|item| engine.style(&item.style_id).is_some_and(fits))
                    .count()
            };
            let drift = engine.taste_report(&history, now).drift;
            match &shopper.fitted_before {
                Some(before) => {
                    check.drifting += 1;
                    check.detected += usize::from(drift.detected);
                    check.leading += usize::from(drift.short_term_leads);
                    fitting[0] += count(&with_list, &shopper.fits_now);
                    fitting[1] += count(&without_list, &shopper.fits_now);
                    fitting[2] += count(&with_list, before);
                    fitting[3] += count(&without_list, before);
                }
                None => {
                    check.steady += 1;
                    check.steady_detected += usize::from(drift.detected);
                    check.steady_leading += usize::from(drift.short_term_leads);
                    fitting[4] += count(&with_list, &shopper.fits_now);
                    fitting[5] += count(&without_list, &shopper.fits_now);
                }
            }
        }
        let share = |n: usize, shoppers: usize| n as f64 / (shoppers * top).max(1) as f64;
        check.new_with = share(fitting[0], check.drifting);
        check.new_without = share(fitting[1], check.drifting);
        check.old_with = share(fitting[2], check.drifting);
        check.old_without = share(fitting[3], check.drifting);
        check.steady_with = share(fitting[4], check.steady);
        check.steady_without = share(fitting[5], check.steady);
        Ok(check)
    }
}

#[cfg(test)]
mod tests;
