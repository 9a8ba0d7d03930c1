//! Merchandising rules in the service: read through the [`MerchandisingSource`] port (a
//! file locally, `config/merchandising.toml` in the bucket on AWS), parsed and kept; read
//! again when older than `merchandising.reload_secs`, so a change reaches every server and
//! function without a restart. A new version that does not parse is logged and the last
//! good rules keep serving. Lists are computed under the rules (exclusions, boosts and
//! buries before diversity) and every list read passes through the read-time pass
//! (`Engine::merchandise`), so a rule change applies on the next request. The order of
//! application is in `docs/merchandising.md`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::config::ConfigError;
use super::measurement::DEFAULT_PLACEMENT;
use super::Framewise;
use crate::domain::{Customer, ListPage, Signal, Subject};
use crate::engine::{
    Component, Engine, EngineConfig, Explanation, MerchandisingAdjustment, MerchandisingError,
    MerchandisingRules, RecommendRequest,
};
use crate::ports::MerchandisingSource;

/// The `[merchandising]` section: where the rules file is and how often it is read again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MerchandisingConfig {
    /// The rules file of `framewise serve`; empty = `<data-dir>/merchandising.toml`. On AWS
    /// the rules are the bucket's `config/merchandising.toml`.
    pub file: String,
    /// 30 s: the rules are read again when older than this (0 = for every list).
    pub reload_secs: u64,
    /// 2000 ms: a read slower than this is dropped (the rules read before keep serving).
    pub timeout_ms: u64,
}

impl Default for MerchandisingConfig {
    fn default() -> Self {
        Self {
            file: String::new(),
            reload_secs: 30,
            timeout_ms: 2_000,
        }
    }
}

impl MerchandisingConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=60_000).contains(&self.timeout_ms) {
            return Err(ConfigError::Invalid {
                key: "merchandising.timeout_ms".to_string(),
                message: "must be between 1 and 60000".to_string(),
            });
        }
        Ok(())
    }
}

/// What a (re)load of the rules found, for operators (`framewise merchandising check`, logs).
#[derive(Debug, Clone, PartialEq)]
pub struct MerchandisingStatus {
    /// Rules serving now.
    pub rules: usize,
    /// The version they were parsed from (`None`: no file).
    pub version: Option<String>,
    /// Why the newest version is not serving, when it did not parse or could not be read.
    pub error: Option<String>,
}

#[derive(Default)]
struct Loaded {
    rules: Arc<MerchandisingRules>,
    version: Option<String>,
    error: Option<String>,
    /// When to read the source again (`None`: never read yet).
    until: Option<Instant>,
}

/// Where the rules come from and the rules as last loaded; `loading` lets one request read
/// while others use the rules they have.
#[derive(Default)]
pub(super) struct MerchandisingCache {
    source: Mutex<Option<Arc<dyn MerchandisingSource>>>,
    loaded: Mutex<Loaded>,
    loading: tokio::sync::Mutex<()>,
}

impl MerchandisingCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Loaded> {
        self.loaded.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn source(&self) -> Option<Arc<dyn MerchandisingSource>> {
        self.source
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// Parses a rules file, as the service would load it: every problem named by rule and field.
pub fn check_merchandising(text: &str) -> Result<MerchandisingRules, MerchandisingError> {
    MerchandisingRules::from_toml_str(text)
}

impl Framewise {
    /// Reads merchandising rules through `source` (again after `merchandising.reload_secs`).
    /// Without it, lists are served without rules.
    pub fn with_merchandising(self, source: Arc<dyn MerchandisingSource>) -> Self {
        self.set_merchandising(source);
        self
    }

    /// [`Framewise::with_merchandising`] for a service already shared (a Lambda function
    /// wires its bucket's rules after opening); the rules are read on the next list.
    pub fn set_merchandising(&self, source: Arc<dyn MerchandisingSource>) {
        *self
            .merchandising
            .source
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(source);
        *self.merchandising.lock() = Loaded::default();
    }

    /// The rules serving now: the loaded ones while fresh, else read again (a version
    /// equal to the loaded one is not parsed again). Never an error: a source that cannot
    /// be read or a file that does not parse leaves the last good rules serving.
    pub(super) async fn merchandising_rules(&self) -> Arc<MerchandisingRules> {
        let Some(source) = self.merchandising.source() else {
            return Arc::default();
        };
        let fresh = |loaded: &Loaded| loaded.until.is_some_and(|u| u > Instant::now());
        let never_read = {
            let loaded = self.merchandising.lock();
            if fresh(&loaded) {
                return loaded.rules.clone();
            }
            loaded.until.is_none()
        };
        let _loading = if never_read {
            // The first read: wait for it rather than serve a list without the rules.
            let guard = self.merchandising.loading.lock().await;
            let loaded = self.merchandising.lock();
            if fresh(&loaded) {
                return loaded.rules.clone();
            }
            guard
        } else {
            match self.merchandising.loading.try_lock() {
                Ok(guard) => guard,
                // Another request is reading: the rules there are serve meanwhile.
                Err(_) => return self.merchandising.lock().rules.clone(),
            }
        };
        let cfg = &self.config.merchandising;
        let read = tokio::time::timeout(Duration::from_millis(cfg.timeout_ms), source.read()).await;
        let mut loaded = self.merchandising.lock();
        loaded.until = Some(Instant::now() + Duration::from_secs(cfg.reload_secs));
        let document = match read {
            Ok(Ok(document)) => document,
            Ok(Err(error)) => {
                tracing::warn!(source = %source.describe(), %error, "merchandising rules could not be read; the last rules keep serving");
                loaded.error = Some(error.to_string());
                return loaded.rules.clone();
            }
            Err(_) => {
                tracing::warn!(source = %source.describe(), timeout_ms = cfg.timeout_ms, "reading merchandising rules timed out");
                loaded.error = Some("timed out".to_string());
                return loaded.rules.clone();
            }
        };
        let Some(document) = document else {
            if loaded.version.is_some() {
                tracing::info!(source = %source.describe(), "merchandising rules removed");
            }
            *loaded = Loaded {
                until: loaded.until,
                ..Loaded::default()
            };
            return loaded.rules.clone();
        };
        if loaded.version.as_deref() == Some(document.version.as_str()) {
            return loaded.rules.clone();
        }
        match MerchandisingRules::from_toml_str(&document.text) {
            Ok(rules) => {
                tracing::info!(source = %source.describe(), rules = rules.len(), version = %document.version, "merchandising rules loaded");
                loaded.rules = Arc::new(rules);
                loaded.version = Some(document.version);
                loaded.error = None;
            }
            Err(error) => {
                tracing::error!(source = %source.describe(), %error, "merchandising rules refused; the last good rules keep serving");
                loaded.error = Some(error.to_string());
            }
        }
        loaded.rules.clone()
    }

    /// Reads the rules now (whatever their age) and says what serves: for operators and
    /// tests.
    pub async fn reload_merchandising(&self) -> MerchandisingStatus {
        self.merchandising.lock().until = None;
        let rules = self.merchandising_rules().await;
        let loaded = self.merchandising.lock();
        MerchandisingStatus {
            rules: rules.len(),
            version: loaded.version.clone(),
            error: loaded.error.clone(),
        }
    }

    /// A list computed under the rules: exclusions out, boosts and buries before diversity.
    pub(super) async fn recommend_merchandised(
        &self,
        engine: &Engine,
        request: &RecommendRequest<'_>,
        config: &EngineConfig,
    ) -> Vec<crate::domain::ScoredItem> {
        let rules = self.merchandising_rules().await;
        engine.recommend_merchandised(request, config, &rules)
    }

    /// [`Framewise::contextual_page`] with the read-time pass of the rules for the query's
    /// placement after the context's re-rank: `list` is the whole list when a context or
    /// rules apply (see `recommendations`), else the window, returned as it is.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn merchandised_page(
        &self,
        engine: &Engine,
        list: ListPage,
        query: &super::RecommendationQuery,
        customer: Option<&Customer>,
        history: &[Signal],
        window: (usize, usize),
        now: DateTime<Utc>,
    ) -> (ListPage, Option<crate::domain::AppliedContext>) {
        // Context re-sorts by score; the rules come after it, so pins keep their positions.
        let mut list = list;
        let applied = if query.context.is_empty() {
            None
        } else {
            let context = self
                .complete_context(query.context.clone(), history, now)
                .await;
            self.contextualize(engine, &mut list.items, &context, customer, now)
        };
        let placement = query.placement.as_deref();
        let list = self
            .merchandise_list(engine, list, placement, customer, history, now)
            .await;
        let no_context = crate::domain::Context::default();
        let (page, _) = self
            .contextual_page(engine, list, &no_context, customer, history, window, now)
            .await;
        (page, applied)
    }

    /// The read-time pass over a whole list (offset 0) for `placement`. A pinned style not
    /// on the list is placed only when this shopper may get it ([`Engine::pin_item`]): the
    /// history is read for that (from `history`, else the customer's), never otherwise.
    async fn merchandise_list(
        &self,
        engine: &Engine,
        mut list: ListPage,
        placement: Option<&str>,
        customer: Option<&Customer>,
        history: &[Signal],
        now: DateTime<Utc>,
    ) -> ListPage {
        let rules = self.merchandising_rules().await;
        if rules.no_list_rules() || list.offset != 0 {
            return list;
        }
        let placement = placement.unwrap_or(DEFAULT_PLACEMENT);
        let wanted = engine.pins_to_admit(&list.items, &rules, placement, now);
        let mut admitted = Vec::new();
        if !wanted.is_empty() {
            let read;
            let history = if history.is_empty() && !list.customer_id.is_empty() {
                let subject = Subject::Customer(list.customer_id.clone());
                match self.history(&subject).await {
                    Ok(signals) => {
                        read = signals;
                        Some(&read[..])
                    }
                    Err(error) => {
                        // Unknown history: nothing is known to be allowed, so no pin is placed.
                        tracing::warn!(%error, "history unreadable; pins of styles not on the list skipped");
                        None
                    }
                }
            } else {
                Some(history)
            };
            if let Some(history) = history {
                admitted = wanted
                    .iter()
                    .filter_map(|id| engine.pin_item(customer, history, now, id))
                    .collect();
            }
        }
        engine.merchandise(&mut list.items, &rules, placement, now, admitted);
        list.total = list.items.len();
        list
    }

    /// The explained style on the list as the shopper is served it at the default placement:
    /// scored under the rules' exclusions and multipliers, re-ranked for `context`, then the
    /// read-time rules (the list route's order). Moves `explanation.standing` to the served
    /// position, sets the `merchandising` component (the boost's or bury's change of the
    /// score) and returns the adjustments naming each rule, with the style's position
    /// without rules and as served.
    pub(super) async fn explain_served(
        &self,
        engine: &Engine,
        explanation: &mut Explanation,
        request: &RecommendRequest<'_>,
        config: &EngineConfig,
        context: &crate::domain::Context,
    ) -> Vec<MerchandisingAdjustment> {
        let rules = self.merchandising_rules().await;
        if rules.no_list_rules() && context.is_empty() {
            return Vec::new();
        }
        let style_id = explanation.style_id.clone();
        let now = request.now;
        let mut items = engine.recommend_merchandised(request, config, &rules);
        self.contextualize(engine, &mut items, context, request.customer, now);
        let admitted = engine
            .pins_to_admit(&items, &rules, DEFAULT_PLACEMENT, now)
            .iter()
            .filter_map(|id| engine.pin_item(request.customer, request.history, now, id))
            .collect();
        let trace = engine.merchandise(&mut items, &rules, DEFAULT_PLACEMENT, now, admitted);
        let served = items
            .iter()
            .position(|i| i.style_id == style_id)
            .map(|p| p + 1);
        let mut adjustments: Vec<MerchandisingAdjustment> = trace
            .into_iter()
            .filter(|a| a.style_id == style_id)
            .collect();
        for adjustment in engine.rule_adjustments(&style_id, &rules, now) {
            if !adjustments.iter().any(|a| a.rule == adjustment.rule) {
                adjustments.push(adjustment);
            }
        }
        for adjustment in &mut adjustments {
            adjustment.position_before = explanation.standing.position;
            adjustment.position = served;
        }
        if !rules.no_list_rules() {
            let multiplier = engine
                .style(&style_id)
                .map_or(1.0, |s| rules.multiplier(s, now).0);
            let lift = explanation.score * (multiplier - 1.0);
            explanation.set_contribution(Component::Merchandising, lift);
        }
        explanation.standing.served_at(served);
        adjustments
    }
}
