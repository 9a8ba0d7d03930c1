//! The model artifact: per-style popularity and trending, collaborative and content
//! neighbours. Built offline from the aggregates the signal store keeps, stored as bytes
//! (a versioned header plus a JSON body) and loaded by every engine instance.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use super::config::{decay, EngineConfig};
use super::features::{content_neighbours, top_k, BrandTable, Features};
use crate::aggregates::{CoOccurrence, DailyStyleCounts, DAILY_KINDS};
use crate::domain::Style;

/// First bytes of every serialized model.
const MAGIC: &[u8; 8] = b"FWMODEL\0";
/// Bumped whenever the body layout changes incompatibly.
pub const MODEL_FORMAT_VERSION: u32 = 1;
const HEADER_LEN: usize = MAGIC.len() + 4;

/// Why bytes could not be loaded as a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("not a Framewise model artifact")]
    NotAModel,
    #[error("unsupported model format version {found} (this build reads {expected})")]
    UnsupportedFormat { found: u32, expected: u32 },
    #[error("corrupt model body: {0}")]
    Corrupt(String),
}

/// A neighbour of a style: `(index into Model::style_ids, similarity in [0, 1])`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Neighbour(pub u32, pub f32);

/// What the model was built from, for logs and health checks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelStats {
    pub styles: usize,
    /// Daily count rows that matched a catalogue style.
    pub daily_rows: usize,
    /// Co-occurrence pairs that matched two distinct catalogue styles.
    pub pairs: usize,
}

/// The trained state of the engine; everything per style is indexed like `style_ids`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// `<built_at>-<content hash>`: equal inputs give equal versions.
    pub version: String,
    pub built_at: DateTime<Utc>,
    /// Half-life the `trending` column was decayed with, so readers can decay it further.
    pub trending_half_life_days: f32,
    pub stats: ModelStats,
    /// Sorted, unique.
    pub style_ids: Vec<String>,
    /// Kind-weighted signal counts decayed with the popularity half-life, at `built_at`.
    pub popularity: Vec<f32>,
    /// The same with the trending half-life.
    pub trending: Vec<f32>,
    /// Cosine co-occurrence neighbours, strongest first.
    pub collaborative: Vec<Vec<Neighbour>>,
    /// Content (attribute) neighbours, strongest first.
    pub content: Vec<Vec<Neighbour>>,
}

/// Rounds to 4 decimals: keeps the JSON body small and stable.
fn round4(x: f32) -> f32 {
    (x * 1e4).round() / 1e4
}

fn to_u32(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

fn neighbours(list: Vec<(u32, f32)>) -> Vec<Neighbour> {
    list.into_iter()
        .map(|(j, s)| Neighbour(j, round4(s)))
        .filter(|n| n.1 > 0.0)
        .collect()
}

/// FNV-1a, 64 bit: a stable content hash for the version string.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Model {
    /// Builds the model. Counts of styles missing from `styles` are ignored; popularity and
    /// trending use the positive kind weights only.
    pub fn build(
        styles: &[Style],
        daily: &[DailyStyleCounts],
        pairs: &[CoOccurrence],
        now: DateTime<Utc>,
        config: &EngineConfig,
    ) -> Model {
        let config = config.sanitized();
        let mut sorted: Vec<&Style> = styles.iter().collect();
        sorted.sort_by(|a, b| a.id.cmp(&b.id));
        sorted.dedup_by(|a, b| a.id == b.id);
        let n = sorted.len();
        let index: HashMap<&str, usize> = sorted
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str(), i))
            .collect();

        let mut popularity = vec![0.0f32; n];
        let mut trending = vec![0.0f32; n];
        // Undecayed totals per engagement kind: the largest estimates distinct subjects.
        let mut engaged = vec![[0u64; 9]; n];
        let mut daily_rows = 0;
        for row in daily {
            let Some(&i) = index.get(row.style_id.as_str()) else {
                continue;
            };
            daily_rows += 1;
            let noon = row
                .day
                .and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default());
            let age_days = (now.naive_utc() - noon).num_seconds() as f64 / 86_400.0;
            let mut weighted = 0.0f32;
            for (k, kind) in DAILY_KINDS.into_iter().enumerate() {
                let count = row.counts[k];
                weighted += config.kind_weights.weight(kind).max(0.0) * count as f32;
                if kind.is_engagement() {
                    engaged[i][k] += u64::from(count);
                }
            }
            popularity[i] += weighted * decay(age_days, config.popularity_half_life_days);
            trending[i] += weighted * decay(age_days, config.trending_half_life_days);
        }

        let mut pair_counts: HashMap<(usize, usize), u64> = HashMap::new();
        for p in pairs {
            let (Some(&a), Some(&b)) =
                (index.get(p.style_a.as_str()), index.get(p.style_b.as_str()))
            else {
                continue;
            };
            if a == b || p.subjects == 0 {
                continue;
            }
            *pair_counts.entry((a.min(b), a.max(b))).or_default() += u64::from(p.subjects);
        }
        let mut subjects: Vec<u64> = engaged
            .iter()
            .map(|k| k.iter().copied().max().unwrap_or(0))
            .collect();
        for (&(a, b), &c) in &pair_counts {
            subjects[a] = subjects[a].max(c);
            subjects[b] = subjects[b].max(c);
        }
        let mut collab_lists: Vec<Vec<(u32, f32)>> = vec![Vec::new(); n];
        let mut sorted_pairs: Vec<((usize, usize), u64)> = pair_counts.into_iter().collect();
        sorted_pairs.sort_unstable();
        for &((a, b), c) in &sorted_pairs {
            let denom = ((subjects[a] as f64) * (subjects[b] as f64)).sqrt()
                + f64::from(config.collaborative_shrinkage);
            let cosine = (c as f64 / denom.max(1.0)).min(1.0) as f32;
            collab_lists[a].push((to_u32(b), cosine));
            collab_lists[b].push((to_u32(a), cosine));
        }
        let collaborative: Vec<Vec<Neighbour>> = collab_lists
            .into_iter()
            .map(|l| neighbours(top_k(l, config.neighbours)))
            .collect();

        let mut brands = BrandTable::default();
        let features: Vec<Features> = sorted
            .iter()
            .map(|s| Features::of(s, &mut brands))
            .collect();
        let content: Vec<Vec<Neighbour>> = content_neighbours(&features, config.neighbours)
            .into_iter()
            .map(neighbours)
            .collect();

        let mut model = Model {
            version: String::new(),
            built_at: now,
            trending_half_life_days: config.trending_half_life_days,
            stats: ModelStats {
                styles: n,
                daily_rows,
                pairs: sorted_pairs.len(),
            },
            style_ids: sorted.iter().map(|s| s.id.clone()).collect(),
            popularity: popularity.into_iter().map(finite).collect(),
            trending: trending.into_iter().map(finite).collect(),
            collaborative,
            content,
        };
        let body = serde_json::to_vec(&(
            &model.style_ids,
            &model.popularity,
            &model.trending,
            &model.collaborative,
            &model.content,
        ))
        .unwrap_or_default();
        model.version = format!("{}-{:016x}", now.format("%Y%m%dT%H%M%SZ"), fnv1a(&body));
        model
    }

    /// Header (magic + format version, little endian) followed by the JSON body.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + 64 * self.style_ids.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&MODEL_FORMAT_VERSION.to_le_bytes());
        // Serializing plain structs of strings and finite numbers cannot fail.
        if let Err(e) = serde_json::to_writer(&mut out, self) {
            tracing::error!(error = %e, "model serialization failed");
        }
        out
    }

    /// Parses and checks an artifact written by [`Model::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, ModelError> {
        if bytes.len() < HEADER_LEN || &bytes[..MAGIC.len()] != MAGIC {
            return Err(ModelError::NotAModel);
        }
        let mut version = [0u8; 4];
        version.copy_from_slice(&bytes[MAGIC.len()..HEADER_LEN]);
        let found = u32::from_le_bytes(version);
        if found != MODEL_FORMAT_VERSION {
            return Err(ModelError::UnsupportedFormat {
                found,
                expected: MODEL_FORMAT_VERSION,
            });
        }
        let model: Model = serde_json::from_slice(&bytes[HEADER_LEN..])
            .map_err(|e| ModelError::Corrupt(e.to_string()))?;
        model.check()?;
        Ok(model)
    }

    /// Internal consistency: table lengths, neighbour indices, finite values, unique ids.
    fn check(&self) -> Result<(), ModelError> {
        let n = self.style_ids.len();
        let corrupt = |m: String| Err(ModelError::Corrupt(m));
        if self.popularity.len() != n
            || self.trending.len() != n
            || self.collaborative.len() != n
            || self.content.len() != n
        {
            return corrupt(format!("per-style tables do not all have {n} rows"));
        }
        let mut seen = HashSet::with_capacity(n);
        if !self.style_ids.iter().all(|id| seen.insert(id.as_str())) {
            return corrupt("duplicate style id".into());
        }
        if !self
            .popularity
            .iter()
            .chain(&self.trending)
            .all(|v| v.is_finite() && *v >= 0.0)
        {
            return corrupt("popularity and trending must be finite and non-negative".into());
        }
        if !(self.trending_half_life_days.is_finite() && self.trending_half_life_days > 0.0) {
            return corrupt("trending half-life must be positive".into());
        }
        for (i, list) in self.collaborative.iter().chain(&self.content).enumerate() {
            let row = i % n.max(1);
            for Neighbour(j, s) in list {
                if *j as usize >= n || *j as usize == row || !s.is_finite() {
                    return corrupt(format!("bad neighbour {j} of style row {row}"));
                }
            }
        }
        Ok(())
    }
}

fn finite(x: f32) -> f32 {
    if x.is_finite() {
        x
    } else {
        0.0
    }
}
