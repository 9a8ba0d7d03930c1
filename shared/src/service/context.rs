//! The shopper's moment for a list request: validating the context a client sends,
//! completing it (weather by coordinates through the cached [`WeatherSource`], the local
//! hour, the country of the session's locale) and re-ranking a whole list with it before it
//! is paged (`Engine::apply_context`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Timelike, Utc};
use serde::{Deserialize, Serialize};

use super::Framewise;
use crate::domain::{
    locale_country, AppliedContext, Context, Coordinates, Customer, ListPage, ScoredItem, Signal,
    Weather,
};
use crate::engine::Engine;
use crate::error::ValidationErrors;
use crate::ports::WeatherSource;

/// The `[weather]` section: the forecast service behind the weather boost (off by default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WeatherConfig {
    /// Base URL of an Open-Meteo compatible forecast API, e.g.
    /// `https://api.open-meteo.com`; empty = no weather.
    pub url: String,
    /// 300 ms: a reading slower than this is dropped (the list is served without weather).
    pub timeout_ms: u64,
    /// 1800 s: how long a reading serves every request near the same place.
    pub ttl_secs: u64,
    /// 60 s: how long a failed reading is not retried for the same place.
    pub failure_ttl_secs: u64,
    /// 10000: places cached per process; the cache is emptied when full.
    pub max_places: usize,
}

impl Default for WeatherConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            timeout_ms: 300,
            ttl_secs: 1800,
            failure_ttl_secs: 60,
            max_places: 10_000,
        }
    }
}

/// A place: coordinates in tenths of a degree.
type Place = (i32, i32);

/// Readings by place, rounded to 0.1 degree (about 11 km): one forecast call serves a city.
/// A reading (or a failure, `None`) is kept until its instant.
#[derive(Default)]
pub(super) struct WeatherCache {
    places: Mutex<HashMap<Place, (Instant, Option<Weather>)>>,
}

fn place(at: Coordinates) -> Place {
    (
        (at.lat * 10.0).round() as i32,
        (at.lon * 10.0).round() as i32,
    )
}

impl WeatherCache {
    fn fresh(&self, key: Place) -> Option<Option<Weather>> {
        let places = self.places.lock().unwrap_or_else(|p| p.into_inner());
        places
            .get(&key)
            .filter(|(until, _)| *until > Instant::now())
            .map(|(_, weather)| *weather)
    }

    fn keep(&self, key: Place, weather: Option<Weather>, ttl: Duration, max: usize) {
        let mut places = self.places.lock().unwrap_or_else(|p| p.into_inner());
        if places.len() >= max {
            places.clear();
        }
        places.insert(key, (Instant::now() + ttl, weather));
    }
}

impl Framewise {
    /// Reads weather through `source` (cached, with a timeout) for requests that carry
    /// coordinates. Without it, lists get no weather boost.
    pub fn with_weather(mut self, source: Arc<dyn WeatherSource>) -> Self {
        self.weather = Some(source);
        self
    }

    /// Refuses an occasion the configuration does not define, naming the field.
    pub(super) fn check_context(&self, context: &Context) -> Result<(), ValidationErrors> {
        if let Some(occasion) = &context.occasion {
            if !self.config.context.occasions.contains_key(occasion) {
                let known: Vec<&str> = self
                    .config
                    .context
                    .occasions
                    .keys()
                    .map(String::as_str)
                    .collect();
                return Err(ValidationErrors::single(
                    "occasion",
                    format!("unknown occasion; one of {}", known.join(", ")),
                ));
            }
        }
        if context.local_hour.is_some_and(|h| h > 23) {
            return Err(ValidationErrors::single("hour", "must be between 0 and 23"));
        }
        Ok(())
    }

    /// Completes what the client sent: the country from the newest signal's locale, the
    /// weather at the coordinates, and the local hour (from the forecast's UTC offset, else
    /// the longitude's solar time). Nothing is invented: a part that cannot be known stays
    /// absent.
    pub(super) async fn complete_context(
        &self,
        mut context: Context,
        history: &[Signal],
        now: DateTime<Utc>,
    ) -> Context {
        if context.country.is_none() {
            context.country = history.iter().find_map(|s| {
                s.context
                    .as_ref()?
                    .locale
                    .as_deref()
                    .and_then(locale_country)
            });
        }
        if let (Some(at), None) = (context.coordinates, context.weather) {
            context.weather = self.weather_at(at).await;
        }
        if context.local_hour.is_none() {
            let offset_minutes = context
                .weather
                .and_then(|w| w.utc_offset_minutes)
                .or_else(|| {
                    context
                        .coordinates
                        .map(|at| (at.lon / 15.0).round() as i32 * 60)
                });
            if let Some(offset) = offset_minutes {
                let local = now + chrono::Duration::minutes(i64::from(offset));
                context.local_hour = u8::try_from(local.hour()).ok();
            }
        }
        context
    }

    async fn weather_at(&self, at: Coordinates) -> Option<Weather> {
        let source = self.weather.as_ref()?;
        let key = place(at);
        if let Some(cached) = self.weather_cache.fresh(key) {
            return cached;
        }
        let cfg = &self.config.weather;
        let reading =
            tokio::time::timeout(Duration::from_millis(cfg.timeout_ms), source.current(at)).await;
        let (weather, ttl) = match reading {
            Ok(Ok(weather)) => (Some(weather), cfg.ttl_secs),
            Ok(Err(error)) => {
                tracing::warn!(%error, "weather reading failed; serving without weather");
                (None, cfg.failure_ttl_secs)
            }
            Err(_) => {
                tracing::warn!(timeout_ms = cfg.timeout_ms, "weather reading timed out");
                (None, cfg.failure_ttl_secs)
            }
        };
        self.weather_cache
            .keep(key, weather, Duration::from_secs(ttl), cfg.max_places);
        weather
    }

    /// Re-ranks a whole list for `context`; `None` (and the list untouched) when the context
    /// is empty.
    pub(super) fn contextualize(
        &self,
        engine: &Engine,
        items: &mut [ScoredItem],
        context: &Context,
        customer: Option<&Customer>,
        now: DateTime<Utc>,
    ) -> Option<AppliedContext> {
        (!context.is_empty())
            .then(|| engine.apply_context(items, context, &self.config.context, customer, now))
    }
}

impl Framewise {
    /// The page at `window` (offset, limit) of `list` in the shopper's moment. `list` is
    /// the whole list when the context is not empty (it is completed, applied to every item,
    /// then the window cut); otherwise it is already the window and comes back unchanged.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn contextual_page(
        &self,
        engine: &Engine,
        mut list: ListPage,
        context: &Context,
        customer: Option<&Customer>,
        history: &[Signal],
        (offset, limit): (usize, usize),
        now: DateTime<Utc>,
    ) -> (ListPage, Option<AppliedContext>) {
        if context.is_empty() {
            if list.offset != offset || list.items.len() > limit {
                list.items = list
                    .items
                    .into_iter()
                    .skip(offset.saturating_sub(list.offset))
                    .take(limit)
                    .collect();
                list.offset = offset;
            }
            return (list, None);
        }
        let context = self.complete_context(context.clone(), history, now).await;
        let applied = self.contextualize(engine, &mut list.items, &context, customer, now);
        list.items = list.items.into_iter().skip(offset).take(limit).collect();
        list.offset = offset;
        (list, applied)
    }
}
