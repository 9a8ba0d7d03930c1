//! The segments step of a regeneration: which anonymous segments get a precomputed list
//! (the busiest country x device x season segments of the recent signals, and every
//! configured occasion), and their lists, stored under ids no customer can have. Serving
//! them to shoppers without history is in `segment_serving.rs`.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::config::ConfigError;
use super::lists::stored_list;
use super::segment_serving::SEGMENT_LIST_PREFIX;
use super::Framewise;
use crate::domain::{
    locale_country, Context, DeviceClass, Hemisphere, ListSource, Season, SegmentKey, Signal,
    StoredList, Subject,
};
use crate::engine::{ContextConfig, Engine, SegmentCrowd, SegmentLift, SegmentRequest};
use crate::error::ServiceError;

/// The `[segments]` section: which segments get a list, and how much their crowd weighs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SegmentsConfig {
    /// 50: country x device x season segments kept, busiest first (occasions come on top).
    pub max_segments: usize,
    /// 30 days: the signals a segment's traffic and crowd are counted from.
    pub window_days: i64,
    /// 20: signals a segment needs in the window to get a list of its own.
    pub min_signals: usize,
    /// 0.5: lift of the segment's most engaged style (log-scaled below it), beside
    /// `engine.weights.popularity` (0.3) and `trending` (0.2).
    pub crowd_weight: f32,
    /// 20000: subjects whose signals are read per regeneration (one history read each);
    /// above it a stable sample of them, so the step stays within one Lambda invocation.
    pub max_subjects: usize,
}

impl Default for SegmentsConfig {
    fn default() -> Self {
        Self {
            max_segments: 50,
            window_days: 30,
            min_signals: 20,
            crowd_weight: 0.5,
            max_subjects: 20_000,
        }
    }
}

impl SegmentsConfig {
    /// The first key out of range, named as in the configuration file.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, message: &str| {
            Err(ConfigError::Invalid {
                key: format!("segments.{key}"),
                message: message.to_string(),
            })
        };
        if self.max_segments > 1000 {
            return invalid("max_segments", "must be between 0 and 1000");
        }
        if !(1..=365).contains(&self.window_days) {
            return invalid("window_days", "must be between 1 and 365");
        }
        if self.min_signals == 0 {
            return invalid("min_signals", "must be at least 1");
        }
        if !(self.crowd_weight.is_finite() && (0.0..=10.0).contains(&self.crowd_weight)) {
            return invalid("crowd_weight", "must be between 0 and 10");
        }
        if self.max_subjects == 0 {
            return invalid("max_subjects", "must be at least 1");
        }
        Ok(())
    }
}

/// What one segments step did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentsReport {
    /// The segments that got a list, busiest first, then the occasions.
    pub segments: Vec<String>,
    /// Lists computed (one per segment) and stored unless `unchanged`.
    pub lists: usize,
    /// Lists computed but not rewritten: the stored one shows the same.
    pub unchanged: usize,
    /// Subjects whose signals were read, of `subjects` with any.
    pub subjects_read: usize,
    pub subjects: usize,
    /// Signals of the window that counted for at least one segment.
    pub signals: usize,
    /// False when the deadline stopped the reading early (the lists use what was read).
    pub complete: bool,
}

/// The hemisphere a segment's season is current in at `now` (a season is current in
/// exactly one of the two at any time).
fn hemisphere_of(season: Season, now: DateTime<Utc>) -> Hemisphere {
    if Season::at(now, Hemisphere::North) == season {
        Hemisphere::North
    } else {
        Hemisphere::South
    }
}

/// FNV-1a of the subject's key: a sample that stays the same from one night to the next.
fn sample_order(subject: &Subject) -> u64 {
    subject.key().bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Counts a subject's signals into the segments they belong to. A signal's country comes
/// from its locale and its device class from its device label, else from the subject's
/// other signals; one with neither belongs to no segment. A signal counts for its
/// country x device, country x any and any x device segments in the season its
/// hemisphere had when it happened, and only when that is still the season now: a
/// segment's crowd is what its shoppers liked this season. Returns the signals counted.
pub(crate) fn tally(
    engine: &Engine,
    context: &ContextConfig,
    deployment: Hemisphere,
    history: &[Signal],
    since: DateTime<Utc>,
    now: DateTime<Utc>,
    crowds: &mut BTreeMap<SegmentKey, SegmentCrowd>,
) -> usize {
    let locale_of = |s: &Signal| {
        let locale = s.context.as_ref()?.locale.as_deref()?;
        locale_country(locale)
    };
    let device_of = |s: &Signal| DeviceClass::from_label(s.context.as_ref()?.device.as_deref()?);
    let subject_country = history.iter().find_map(locale_of);
    let subject_device = history.iter().find_map(device_of);
    let mut counted = 0;
    for signal in history
        .iter()
        .filter(|s| s.timestamp >= since && s.timestamp <= now)
    {
        let country = locale_of(signal).or_else(|| subject_country.clone());
        let device = device_of(signal).or(subject_device);
        if country.is_none() && device.is_none() {
            continue;
        }
        let place = Context {
            country: country.clone(),
            ..Context::default()
        };
        let hemisphere = context.hemisphere(&place).unwrap_or(deployment);
        let season = Season::at(now, hemisphere);
        if Season::at(signal.timestamp, hemisphere) != season {
            continue;
        }
        let mut keys = Vec::with_capacity(3);
        if let Some(country) = &country {
            if device.is_some() {
                keys.push((Some(country.clone()), device));
            }
            keys.push((Some(country.clone()), None));
        }
        if device.is_some() {
            keys.push((None, device));
        }
        for (country, device) in keys {
            let key = SegmentKey::Audience {
                country,
                device,
                season,
            };
            engine.add_to_crowd(crowds.entry(key).or_default(), signal, now);
        }
        counted += 1;
    }
    counted
}

/// The segments that get a list: at least `min_signals` signals, the busiest
/// `max_segments` of them (ties by key, so the choice is stable).
pub(crate) fn choose(
    crowds: BTreeMap<SegmentKey, SegmentCrowd>,
    config: &SegmentsConfig,
) -> Vec<(SegmentKey, SegmentCrowd)> {
    let mut busy: Vec<(SegmentKey, SegmentCrowd)> = crowds
        .into_iter()
        .filter(|(_, crowd)| crowd.signals() >= config.min_signals)
        .collect();
    busy.sort_by(|a, b| b.1.signals().cmp(&a.1.signals()).then(a.0.cmp(&b.0)));
    busy.truncate(config.max_segments);
    busy
}

impl Framewise {
    /// The segments step: reads the recent signals of sessions and customers (a stable
    /// sample of `segments.max_subjects` of them at most; until `deadline`), chooses the
    /// busiest segments, then computes and stores one list per segment and one per
    /// configured occasion with the serving model.
    pub async fn regenerate_segments(
        &self,
        deadline: Option<Instant>,
        now: DateTime<Utc>,
    ) -> Result<SegmentsReport, ServiceError> {
        let config = &self.config.segments;
        let engine = self.engine();
        let mut subjects = self.stores.signals.subjects().await?;
        let mut report = SegmentsReport {
            subjects: subjects.len(),
            complete: true,
            ..SegmentsReport::default()
        };
        if subjects.len() > config.max_subjects {
            subjects.sort_by_cached_key(sample_order);
            subjects.truncate(config.max_subjects);
        }
        let since = now - Duration::days(config.window_days);
        let mut crowds = BTreeMap::new();
        for subject in &subjects {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                report.complete = false;
                break;
            }
            let history = self.history(subject).await?;
            report.subjects_read += 1;
            report.signals += tally(
                &engine,
                &self.config.context,
                self.config.engine.hemisphere,
                &history,
                since,
                now,
                &mut crowds,
            );
        }
        let feeds = self.current_feeds().await;
        let feeds = feeds.as_deref().map(|f| f.input());
        let mut lists = Vec::new();
        for (key, crowd) in choose(crowds, config) {
            let SegmentKey::Audience { season, .. } = &key else {
                continue;
            };
            let request = SegmentRequest {
                key: &key,
                lift: SegmentLift::Crowd {
                    crowd: &crowd,
                    weight: config.crowd_weight,
                },
                hemisphere: hemisphere_of(*season, now),
                now,
                limit: self.config.engine.list_size,
                feeds,
            };
            lists.push(segment_list(
                &engine,
                &key,
                engine.segment_list(&request),
                now,
            ));
            report.segments.push(key.to_string());
        }
        for (id, rule) in &self.config.context.occasions {
            let key = SegmentKey::Occasion(id.clone());
            let request = SegmentRequest {
                key: &key,
                lift: SegmentLift::Occasion {
                    id,
                    rule,
                    weight: self.config.context.weights.occasion,
                },
                hemisphere: self.config.engine.hemisphere,
                now,
                limit: self.config.engine.list_size,
                feeds,
            };
            lists.push(segment_list(
                &engine,
                &key,
                engine.segment_list(&request),
                now,
            ));
            report.segments.push(key.to_string());
        }
        report.lists = lists.len();
        report.unchanged = self.store_changed_lists(lists, now).await?;
        tracing::info!(
            segments = report.lists,
            unchanged = report.unchanged,
            subjects_read = report.subjects_read,
            signals = report.signals,
            complete = report.complete,
            "segment lists regenerated"
        );
        Ok(report)
    }
}

/// A segment's list as stored: under the segment's id, with a recommendation id that says
/// it is a segment's (so a cursor into it is recognised).
fn segment_list(
    engine: &Engine,
    key: &SegmentKey,
    items: Vec<crate::domain::ScoredItem>,
    now: DateTime<Utc>,
) -> StoredList {
    let mut list = stored_list(engine, &key.stored_id(), items, now, ListSource::Segment);
    list.recommendation_id = list
        .recommendation_id
        .replacen("rec-", SEGMENT_LIST_PREFIX, 1);
    list
}
