//! The one configuration of a Framewise deployment: service, engine and optics tunables in
//! one TOML file (`framewise serve --config FILE`, `FRAMEWISE_CONFIG` on Lambda). Every key
//! is optional; a missing key keeps its documented default (`framewise config
//! --print-defaults` prints them, from [`DEFAULTS_TOML`]). A file with an unknown key, a
//! value of the wrong type or out of range is refused at start with an error naming the key.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::context::WeatherConfig;
use super::feeds::FeedsConfig;
use super::live_prices::PricingConfig;
use super::merchandising::MerchandisingConfig;
use super::offers::OffersConfig;
use super::segments::SegmentsConfig;
use crate::auth::AuthConfig;
use crate::engine::{ContextConfig, EngineConfig};
use crate::models::ease::EaseParams;
use crate::optics::frame::FrameRulesConfig;

/// The documented defaults, as `framewise config --print-defaults` prints them. A test
/// checks that this file parses to exactly [`ServiceConfig::default`].
pub const DEFAULTS_TOML: &str = include_str!("defaults.toml");

/// Tunables of a deployment. The engine and the optics rules have their own sections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceConfig {
    /// A precomputed list older than this is recomputed on read.
    pub list_max_age_secs: i64,
    pub default_limit: usize,
    pub max_limit: usize,
    /// How many of a shopper's most recent signals feed their list.
    pub history_limit: usize,
    /// How many days of daily counts feed popularity and trending.
    pub aggregate_window_days: i64,
    /// Lists written per store call during regeneration.
    pub write_chunk: usize,
    /// Which collaborative scorer serves: the learned model when its artifact exists, or
    /// the engine's co-occurrence neighbours.
    pub collaborative: CollaborativeMode,
    /// Strongest learned weights kept per style in the learned artifact.
    pub learned_neighbours: usize,
    /// L2 regularisation of the learned (EASE) model.
    pub learned_lambda: f64,
    /// Above this many interacted styles the learned model is item-kNN, not EASE: EASE's
    /// dense Gram matrix and inverse need ~36 B x styles² (576 MB at 4,000), and
    /// catalog-sync, which retrains on a catalogue change, has 1 GB.
    pub learned_ease_max_styles: usize,
    /// Co-occurrence window of the learned model in days (0 = plain counts): styles bought
    /// in one visit count as related more than styles bought months apart.
    pub learned_window_days: f32,
    /// Half-life of a history style's vote, in styles from the most recent (0 = off).
    pub learned_half_life: f32,
    /// Vote weight old history styles keep, in [0, 1].
    pub learned_floor: f32,
    /// Popularity debiasing of the learned weights: a weight towards a style is divided by
    /// (its training popularity + 1)^beta (0 = off).
    pub learned_beta: f32,
    /// Weight of the embedding scores beside the learned votes (`collaborative =
    /// "hybrid"`); 0 trains no embeddings.
    pub hybrid_embedding_weight: f32,
    /// The embedding trainer (`collaborative = "embeddings"`).
    pub embedding: EmbeddingConfig,
    pub engine: EngineConfig,
    /// Prescription-to-frame rule thresholds (F1-F11), used by the list filter and by lens
    /// advice alike.
    pub optics: FrameRulesConfig,
    /// Identity: which claim names the shopper, the service and admin scopes, and (local
    /// server only) how bearer tokens are verified.
    pub auth: AuthConfig,
    /// Attribution windows and how often experiments are re-read.
    pub measurement: MeasurementConfig,
    /// Occasions and how the shopper's moment re-ranks a list when it is read.
    pub context: ContextConfig,
    /// The forecast service behind the weather boost (off while `url` is empty).
    pub weather: WeatherConfig,
    /// Trend feeds and influencer collections: refresh, decay and lift weights.
    pub feeds: FeedsConfig,
    /// The shop's dynamic pricing system behind served prices (none by default).
    pub pricing: PricingConfig,
    /// Which anonymous segments get a precomputed list, and how their crowd weighs.
    pub segments: SegmentsConfig,
    /// Where the merchandising rules file is and how often it is read again.
    pub merchandising: MerchandisingConfig,
    /// Merchant-wide bounds of promotions and how offers are chosen.
    pub offers: OffersConfig,
}

/// How actions are credited to the lists shown before them (see
/// [`crate::experiments::attribution`]) and how fresh the running experiments are.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MeasurementConfig {
    /// Record an exposure for every list page served (false: no metrics, no reports).
    pub record_exposures: bool,
    /// A click counts for a list shown at most this long before it.
    pub click_window_minutes: i64,
    /// A try-on or add-to-cart counts for a list shown at most this long before it.
    pub engagement_window_hours: i64,
    /// A purchase counts for a list shown at most this long before it, and a return for a
    /// purchase made at most this long before it.
    pub purchase_window_days: i64,
    /// Experiments are re-read from the store at most this often per process, so a new or
    /// stopped experiment reaches every server and Lambda within this time.
    pub experiments_refresh_secs: u64,
}

impl Default for MeasurementConfig {
    fn default() -> Self {
        Self {
            record_exposures: true,
            click_window_minutes: 60,
            engagement_window_hours: 24,
            purchase_window_days: 7,
            experiments_refresh_secs: 30,
        }
    }
}

impl MeasurementConfig {
    /// The attribution rules these windows make.
    pub fn rules(&self) -> crate::experiments::attribution::AttributionRules {
        crate::experiments::attribution::AttributionRules {
            click_window: chrono::Duration::minutes(self.click_window_minutes),
            engagement_window: chrono::Duration::hours(self.engagement_window_hours),
            purchase_window: chrono::Duration::days(self.purchase_window_days),
        }
    }
}

/// Source of the collaborative term of the engine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CollaborativeMode {
    /// Train a pruned EASE model at regeneration and serve it (falls back to co-occurrence
    /// when a model version has no learned artifact).
    Learned,
    /// Serve the co-occurrence neighbours of the engine model only.
    Cooccurrence,
    /// Train item embeddings (iALS whose item vectors lean on catalogue attributes) at
    /// regeneration and fold each shopper into them when scoring (falls back to
    /// co-occurrence when a model version has none).
    Embeddings,
    /// The learned model's votes plus the embeddings' scores, weighted by
    /// `hybrid_embedding_weight` (either part alone when the other is missing). The
    /// default: see `framewise eval --models served` and `cargo bench --bench embeddings`.
    #[default]
    Hybrid,
}

impl CollaborativeMode {
    /// Whether this mode serves the learned item-item model.
    pub fn uses_item_item(self) -> bool {
        matches!(self, Self::Learned | Self::Hybrid)
    }

    /// Whether this mode serves item embeddings (the hybrid only when weighted; see
    /// `ServiceConfig::hybrid_embedding_weight`).
    pub fn uses_embeddings(self) -> bool {
        matches!(self, Self::Embeddings | Self::Hybrid)
    }
}

/// Hyperparameters of the embedding trainer (implicit ALS with catalogue content).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EmbeddingConfig {
    /// Dimensions of every vector.
    pub factors: usize,
    /// Confidence per unit of signal weight: c = 1 + alpha * w.
    pub alpha: f32,
    /// L2 regularisation of shopper and item vectors.
    pub reg: f32,
    pub iterations: usize,
    /// Ridge penalty of the attribute vectors; 0 trains without catalogue content.
    pub attribute_reg: f32,
}

impl Default for EmbeddingConfig {
    fn default() -> Self {
        Self {
            factors: 64,
            alpha: 8.0,
            reg: 100.0,
            iterations: 12,
            attribute_reg: 1.0,
        }
    }
}

impl EmbeddingConfig {
    /// The trainer's parameters.
    pub fn params(&self) -> crate::models::content::EmbeddingParams {
        crate::models::content::EmbeddingParams {
            als: crate::models::als::AlsParams {
                factors: self.factors,
                alpha: self.alpha,
                reg: self.reg,
                iterations: self.iterations,
                ..crate::models::als::AlsParams::default()
            },
            attribute_reg: (self.attribute_reg > 0.0).then_some(self.attribute_reg),
        }
    }
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            list_max_age_secs: 24 * 3600,
            default_limit: 12,
            max_limit: 100,
            history_limit: 500,
            aggregate_window_days: 365,
            write_chunk: 100,
            collaborative: CollaborativeMode::Hybrid,
            learned_neighbours: 100,
            learned_lambda: EaseParams::default().lambda,
            learned_ease_max_styles: 4_000,
            learned_window_days: 180.0,
            learned_half_life: 5.0,
            learned_floor: 0.0,
            learned_beta: 0.0,
            hybrid_embedding_weight: 4.0,
            embedding: EmbeddingConfig::default(),
            engine: EngineConfig::default(),
            optics: FrameRulesConfig::default(),
            auth: AuthConfig::default(),
            measurement: MeasurementConfig::default(),
            context: ContextConfig::default(),
            weather: WeatherConfig::default(),
            feeds: FeedsConfig::default(),
            pricing: PricingConfig::default(),
            segments: SegmentsConfig::default(),
            merchandising: MerchandisingConfig::default(),
            offers: OffersConfig::default(),
        }
    }
}

/// A configuration that cannot be used; the message names the key at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {path}: {message}")]
    Read { path: String, message: String },
    #[error("configuration is not valid TOML: {0}")]
    Syntax(String),
    #[error("configuration key `{key}`: {message}")]
    Invalid { key: String, message: String },
    #[error("configuration key `{key}` is unknown (see `framewise config --print-defaults`)")]
    UnknownKey { key: String },
}

impl ServiceConfig {
    /// Parses and validates a TOML configuration.
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        let table: toml::Table =
            toml::from_str(text).map_err(|e| ConfigError::Syntax(e.message().to_string()))?;
        let defaults =
            toml::Table::try_from(Self::default()).map_err(|e| ConfigError::Invalid {
                key: String::new(),
                message: e.to_string(),
            })?;
        if let Some(key) = unknown_key(&table, &defaults, "") {
            return Err(ConfigError::UnknownKey { key });
        }
        let config: Self =
            serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
                ConfigError::Invalid {
                    key: e.path().to_string(),
                    message: e.into_inner().message().to_string(),
                }
            })?;
        config.validate()?;
        Ok(config)
    }

    /// This configuration with `overrides` (a table in the shape of the configuration file,
    /// such as an experiment variant's settings) laid over it, key by key; validated like a
    /// file, so an unknown or out-of-range key is refused by name.
    pub fn with_overrides(&self, overrides: &toml::Table) -> Result<Self, ConfigError> {
        let mut table = toml::Table::try_from(self).map_err(|e| ConfigError::Invalid {
            key: String::new(),
            message: e.to_string(),
        })?;
        if let Some(key) = unknown_key(overrides, &table, "") {
            return Err(ConfigError::UnknownKey { key });
        }
        overlay(&mut table, overrides);
        Self::from_toml_str(&toml::to_string(&table).map_err(|e| ConfigError::Invalid {
            key: String::new(),
            message: e.to_string(),
        })?)
    }

    /// Reads and validates a TOML configuration file.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::from_toml_str(&text)
    }

    /// Checks every value is in its valid range; the first bad key is named.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, message: String| {
            Err(ConfigError::Invalid {
                key: key.to_string(),
                message,
            })
        };
        if self.list_max_age_secs < 0 {
            return invalid("list_max_age_secs", "must be 0 or more".into());
        }
        if !(1..=crate::engine::MAX_LIST_SIZE).contains(&self.max_limit) {
            let max = crate::engine::MAX_LIST_SIZE;
            return invalid("max_limit", format!("must be between 1 and {max}"));
        }
        if !(1..=self.max_limit).contains(&self.default_limit) {
            let max = self.max_limit;
            return invalid(
                "default_limit",
                format!("must be between 1 and max_limit ({max})"),
            );
        }
        for (key, value) in [
            ("history_limit", self.history_limit),
            ("write_chunk", self.write_chunk),
            ("learned_neighbours", self.learned_neighbours),
        ] {
            if value == 0 {
                return invalid(key, "must be at least 1".into());
            }
        }
        for (key, value) in [
            ("auth.customer_claim", &self.auth.customer_claim),
            ("auth.service_scope", &self.auth.service_scope),
            ("auth.admin_scope", &self.auth.admin_scope),
        ] {
            if value.trim().is_empty() {
                return invalid(key, "must not be empty".into());
            }
        }
        if self.auth.service_scope == self.auth.admin_scope {
            return invalid(
                "auth.admin_scope",
                "must differ from auth.service_scope".into(),
            );
        }
        if self.auth.jwks_refresh_secs < 60 {
            return invalid("auth.jwks_refresh_secs", "must be at least 60".into());
        }
        if self.aggregate_window_days < 1 {
            return invalid("aggregate_window_days", "must be at least 1".into());
        }
        if !(self.learned_lambda.is_finite() && self.learned_lambda > 0.0) {
            return invalid("learned_lambda", "must be a positive number".into());
        }
        for (key, value, max) in [
            ("learned_window_days", self.learned_window_days, 3650.0),
            ("learned_half_life", self.learned_half_life, 1000.0),
            ("learned_floor", self.learned_floor, 1.0),
            ("learned_beta", self.learned_beta, 2.0),
            (
                "hybrid_embedding_weight",
                self.hybrid_embedding_weight,
                100.0,
            ),
        ] {
            if !(value.is_finite() && (0.0..=max).contains(&value)) {
                return invalid(key, format!("must be between 0 and {max}"));
            }
        }
        let windows = &self.measurement;
        for (key, value, max) in [
            (
                "measurement.click_window_minutes",
                windows.click_window_minutes,
                24 * 60,
            ),
            (
                "measurement.engagement_window_hours",
                windows.engagement_window_hours,
                7 * 24,
            ),
            // Exposures are kept MEASUREMENT_RETENTION_DAYS: a purchase and then its return.
            (
                "measurement.purchase_window_days",
                windows.purchase_window_days,
                crate::ports::MEASUREMENT_RETENTION_DAYS / 2,
            ),
        ] {
            if !(1..=max).contains(&value) {
                return invalid(key, format!("must be between 1 and {max}"));
            }
        }
        let embedding = &self.embedding;
        if !(1..=512).contains(&embedding.factors) {
            return invalid("embedding.factors", "must be between 1 and 512".into());
        }
        if !(1..=100).contains(&embedding.iterations) {
            return invalid("embedding.iterations", "must be between 1 and 100".into());
        }
        for (key, value, positive) in [
            ("embedding.alpha", embedding.alpha, false),
            ("embedding.reg", embedding.reg, true),
            ("embedding.attribute_reg", embedding.attribute_reg, false),
        ] {
            if !value.is_finite() || value < 0.0 || (positive && value == 0.0) {
                let what = if positive {
                    "a positive"
                } else {
                    "a non-negative"
                };
                return invalid(key, format!("must be {what} number"));
            }
        }
        // The engine clamps bad values when it runs; a configuration must not rely on that.
        let sanitized = toml::Table::try_from(self.engine.sanitized());
        let given = toml::Table::try_from(&self.engine);
        if let (Ok(sanitized), Ok(given)) = (sanitized, given) {
            if let Some((key, valid)) = first_difference(&given, &sanitized, "engine") {
                return invalid(
                    &key,
                    format!("out of range (the nearest valid value is {valid})"),
                );
            }
        }
        self.feeds.validate()?;
        self.pricing.validate()?;
        self.segments.validate()?;
        self.merchandising.validate()?;
        self.offers.validate()?;
        let optics = toml::Table::try_from(&self.optics).unwrap_or_default();
        if let Some(key) = first_non_finite(&optics, "optics") {
            return invalid(&key, "must be a finite number".into());
        }
        Ok(())
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Lays `top` over `base`: tables merge key by key, any other value replaces.
fn overlay(base: &mut toml::Table, top: &toml::Table) {
    for (key, value) in top {
        match (base.get_mut(key), value) {
            (Some(toml::Value::Table(below)), toml::Value::Table(above)) => overlay(below, above),
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

/// The first key of `given` that `known` (the serialized defaults) does not have.
/// Tables whose keys are names the operator chooses (a new occasion): a new name is checked
/// against the shape of the first default entry.
const NAMED_TABLES: &[&str] = &["context.occasions"];

fn unknown_key(given: &toml::Table, known: &toml::Table, prefix: &str) -> Option<String> {
    given.iter().find_map(|(key, value)| match known.get(key) {
        None if NAMED_TABLES.contains(&prefix) => match (value, known.values().next()) {
            (toml::Value::Table(given), Some(toml::Value::Table(shape))) => {
                unknown_key(given, shape, &join(prefix, key))
            }
            _ => None,
        },
        None => Some(join(prefix, key)),
        Some(toml::Value::Table(known)) => match value {
            toml::Value::Table(given) => unknown_key(given, known, &join(prefix, key)),
            _ => None,
        },
        Some(_) => None,
    })
}

/// The first key whose value differs between two serializations, with the second value.
fn first_difference(a: &toml::Table, b: &toml::Table, prefix: &str) -> Option<(String, String)> {
    a.iter().find_map(|(key, left)| {
        let right = b.get(key)?;
        match (left, right) {
            (toml::Value::Table(l), toml::Value::Table(r)) => {
                first_difference(l, r, &join(prefix, key))
            }
            (l, r) if l != r => Some((join(prefix, key), r.to_string())),
            _ => None,
        }
    })
}

fn first_non_finite(table: &toml::Table, prefix: &str) -> Option<String> {
    table.iter().find_map(|(key, value)| match value {
        toml::Value::Float(f) if !f.is_finite() => Some(join(prefix, key)),
        toml::Value::Table(t) => first_non_finite(t, &join(prefix, key)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        match ServiceConfig::from_toml_str(text) {
            Err(e) => e.to_string(),
            Ok(c) => panic!("expected an error, got {c:?}"),
        }
    }

    #[test]
    fn when_defaults_file_parsed_should_equal_default_config() {
        let parsed = ServiceConfig::from_toml_str(DEFAULTS_TOML).expect("defaults parse");
        assert_eq!(parsed, ServiceConfig::default());
    }

    #[test]
    fn when_empty_should_use_defaults_and_when_partial_should_override_only_those_keys() {
        assert_eq!(
            ServiceConfig::from_toml_str("").expect("empty"),
            ServiceConfig::default()
        );
        let config = ServiceConfig::from_toml_str(
            "default_limit = 20\ncollaborative = \"cooccurrence\"\n[engine]\nhemisphere = \"south\"\n[engine.kind_weights]\npurchase = 8.0\n[optics]\nhigh_minus = -3.5\n",
        )
        .expect("valid");
        assert_eq!(config.default_limit, 20);
        assert_eq!(config.collaborative, CollaborativeMode::Cooccurrence);
        assert_eq!(config.engine.hemisphere, crate::engine::Hemisphere::South);
        assert!((config.engine.kind_weights.purchase - 8.0).abs() < 1e-6);
        assert!((config.optics.high_minus + 3.5).abs() < 1e-6);
        assert_eq!(config.max_limit, 100, "untouched keys keep their default");
    }

    #[test]
    fn when_overrides_laid_over_should_change_only_their_keys_and_refuse_bad_ones() {
        let base = ServiceConfig::from_toml_str("default_limit = 20").expect("valid");
        let overrides: toml::Table =
            toml::from_str("collaborative = \"cooccurrence\"\n[engine]\ndiversity_lambda = 0.5")
                .expect("toml");
        let variant = base.with_overrides(&overrides).expect("valid overrides");
        assert_eq!(variant.collaborative, CollaborativeMode::Cooccurrence);
        assert!((variant.engine.diversity_lambda - 0.5).abs() < 1e-6);
        assert_eq!(variant.default_limit, 20, "the base's own keys stay");
        assert_eq!(
            variant.engine.hemisphere, base.engine.hemisphere,
            "sibling keys of a section stay"
        );
        let refused = |text: &str| match base.with_overrides(&toml::from_str(text).expect("toml")) {
            Err(e) => e.to_string(),
            Ok(c) => panic!("expected an error, got {c:?}"),
        };
        assert!(refused("[engine]\ndiversity_lamda = 0.5").contains("`engine.diversity_lamda`"));
        assert!(refused("[engine]\ndiversity_lambda = 3.0").contains("`engine.diversity_lambda`"));
    }

    #[test]
    fn when_key_unknown_should_name_it_with_its_section() {
        assert!(error("defualt_limit = 3").contains("`defualt_limit`"));
        let e = error("[engine.kind_weights]\npurchse = 3.0");
        assert!(e.contains("`engine.kind_weights.purchse`"), "{e}");
    }

    #[test]
    fn when_value_has_wrong_type_or_range_should_name_the_key() {
        let e = error("[engine]\ndiversity_lambda = \"high\"");
        assert!(e.contains("engine.diversity_lambda"), "{e}");
        let e = error("[engine]\ndiversity_lambda = 1.5");
        assert!(e.contains("`engine.diversity_lambda`"), "{e}");
        assert!(error("default_limit = 0").contains("`default_limit`"));
        assert!(error("max_limit = 500").contains("`max_limit`"));
        assert!(error("learned_lambda = -1.0").contains("`learned_lambda`"));
        assert!(error("learned_floor = 1.5").contains("`learned_floor`"));
        assert!(error("hybrid_embedding_weight = -1").contains("`hybrid_embedding_weight`"));
        assert!(error("[optics]\nhigh_plus = nan").contains("`optics.high_plus`"));
        assert!(error("collaborative = \"magic\"").contains("`collaborative`"));
        assert!(error("default_limit = ").contains("not valid TOML"));
    }
}
