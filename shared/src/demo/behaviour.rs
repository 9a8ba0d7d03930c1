//! Behaviour generator: shopping sessions driven by latent taste, a Zipf-like popularity
//! prior and sunwear seasonality (section 7), through a view -> purchase funnel.

use chrono::{DateTime, Datelike, Timelike, Utc};
use rand::seq::SliceRandom;
use rand::Rng;

use super::{drift, poisson, weighted, DemoConfig, Interaction, Taste};
use crate::domain::{AgeBand, Category, SignalKind, Style};

/// Strength of taste in what a shopper looks at: weight = exp(BETA * affinity), affinity 0..1.
const BETA: f64 = 5.9;
/// Exponent of the popularity prior over a random ranking of styles (a few hits).
const ZIPF_EXPONENT: f64 = 0.8;
const ZIPF_OFFSET: f64 = 5.0;
/// Mean views per session beyond the first.
const EXTRA_VIEWS_PER_SESSION: f64 = 3.5;
/// Share of a session's views that leave the session's category.
const OFF_INTENT_VIEWS: f64 = 0.15;
/// At most this many purchases per customer over the window.
const MAX_PURCHASES: u32 = 4;
const RETURN_SHARE: f64 = 0.08;
/// Relative activity by hour of day (UTC, treated as local): quiet at night, evening peak.
const HOURLY: [f64; 24] = [
    0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.4, 0.6, 0.8, 0.9, 1.0, 1.0, 1.0, 1.0, 0.9, 0.9, 0.9, 1.0, 1.1,
    1.3, 1.4, 1.3, 1.0, 0.6,
];

const SUN: usize = 0;
const KIDS: usize = 1;
const REST: usize = 2;

/// What the behaviour model needs of each style, precomputed once.
struct StyleFeatures {
    shape: usize,
    families: u32,
    material: usize,
    band: usize,
    category: Category,
    group: usize,
    popularity: f64,
    active: bool,
    available: bool,
}

fn features<R: Rng>(rng: &mut R, styles: &[Style]) -> Vec<StyleFeatures> {
    let mut ranks: Vec<usize> = (0..styles.len()).collect();
    ranks.shuffle(rng);
    styles
        .iter()
        .zip(ranks)
        .map(|(s, rank)| StyleFeatures {
            shape: s.shape as usize,
            families: s
                .colourways
                .iter()
                .fold(0, |m, c| m | 1 << (c.colour.family as u32)),
            material: s.material as usize,
            band: s.price_band() as usize,
            category: s.category,
            group: match s.category {
                Category::Sun => SUN,
                Category::Kids => KIDS,
                Category::Optical | Category::Sport => REST,
            },
            popularity: (rank as f64 + ZIPF_OFFSET).powf(-ZIPF_EXPONENT),
            active: s.active,
            available: s.is_available(),
        })
        .collect()
}

/// Graded taste affinity in 0..1; shape dominates, as in `Taste::matches`.
fn affinity(taste: &TasteMasks, f: &StyleFeatures) -> f64 {
    let mut a = 0.0;
    if taste.shapes & (1 << f.shape) != 0 {
        a += 1.0;
    }
    if taste.families & f.families != 0 {
        a += 0.35;
    }
    if taste.material == f.material {
        a += 0.3;
    }
    a += match taste.band.abs_diff(f.band) {
        0 => 0.25,
        1 => 0.08,
        _ => 0.0,
    };
    a / 1.9
}

struct TasteMasks {
    shapes: u32,
    families: u32,
    material: usize,
    band: usize,
}

impl TasteMasks {
    fn of(t: &Taste) -> Self {
        Self {
            shapes: t.shapes.iter().fold(0, |m, s| m | 1 << (*s as u32)),
            families: t
                .colour_families
                .iter()
                .fold(0, |m, f| m | 1 << (*f as u32)),
            material: t.material as usize,
            band: t.price_band as usize,
        }
    }
}

/// Sunwear demand by day of year: low in winter, up April-September, peak late May-June.
pub(crate) fn sun_season(t: DateTime<Utc>) -> f64 {
    let d = f64::from(t.ordinal());
    0.45 + 1.1 * (-0.5 * ((d - 165.0) / 60.0).powi(2)).exp()
}

/// Children's frames rise at back-to-school (August-September).
fn kids_season(t: DateTime<Utc>) -> f64 {
    let d = f64::from(t.ordinal());
    1.0 + 0.6 * (-0.5 * ((d - 235.0) / 20.0).powi(2)).exp()
}

/// Category weight of a style for a shopper, before seasonality.
fn category_factor(taste: &Taste, category: Category) -> f64 {
    let sport = 0.3 + 2.5 * f64::from(taste.sport_affinity);
    match (taste.age_band, category) {
        (AgeBand::Child, Category::Kids) => 6.0,
        (AgeBand::Child, Category::Sport) => 0.35 * sport,
        (AgeBand::Child, _) => 0.35,
        (AgeBand::Teen, Category::Kids) => 2.0,
        (_, Category::Kids) => 0.15,
        (_, Category::Sport) => sport,
        _ => 1.0,
    }
}

/// Per-group cumulative weights of one shopper, for fast repeated draws.
struct Sampler {
    members: [Vec<usize>; 3],
    cumulative: [Vec<f64>; 3],
}

impl Sampler {
    fn new() -> Self {
        Self {
            members: [Vec::new(), Vec::new(), Vec::new()],
            cumulative: [Vec::new(), Vec::new(), Vec::new()],
        }
    }

    fn fill(&mut self, taste: &Taste, styles: &[StyleFeatures], affinities: &mut Vec<f64>) {
        let masks = TasteMasks::of(taste);
        for g in 0..3 {
            self.members[g].clear();
            self.cumulative[g].clear();
        }
        affinities.clear();
        for (i, f) in styles.iter().enumerate() {
            let a = affinity(&masks, f);
            affinities.push(a);
            let mut w = f.popularity * (BETA * a).exp() * category_factor(taste, f.category);
            if !f.active {
                w *= 0.15;
            }
            if w > 0.0 {
                let total = self.cumulative[f.group].last().copied().unwrap_or(0.0) + w;
                self.members[f.group].push(i);
                self.cumulative[f.group].push(total);
            }
        }
    }

    fn mass(&self, group: usize) -> f64 {
        self.cumulative[group].last().copied().unwrap_or(0.0)
    }

    fn draw<R: Rng>(&self, rng: &mut R, group: usize) -> Option<usize> {
        let total = self.mass(group);
        if total <= 0.0 {
            return None;
        }
        let r = rng.gen::<f64>() * total;
        let k = self.cumulative[group].partition_point(|c| *c <= r);
        self.members[group]
            .get(k.min(self.members[group].len() - 1))
            .copied()
    }
}

/// What every session draws from: the styles and their precomputed features.
struct Shop<'a> {
    styles: &'a [Style],
    feats: Vec<StyleFeatures>,
}

/// One shopper as the sessions see them: their taste's sampler and affinities, and the
/// purchases so far (capped over the whole window).
struct Shopper<'a> {
    taste: &'a Taste,
    sampler: Sampler,
    affinities: Vec<f64>,
    purchases: u32,
}

impl<'a> Shopper<'a> {
    fn new(shop: &Shop<'_>, taste: &'a Taste) -> Self {
        Self {
            taste,
            sampler: Sampler::new(),
            affinities: Vec::with_capacity(shop.styles.len()),
            purchases: 0,
        }
    }

    /// Draws from `follow` from now on (a drifting shopper's earlier or later taste).
    fn follow(&mut self, shop: &Shop<'_>, follow: &Taste) {
        self.sampler.fill(follow, &shop.feats, &mut self.affinities);
    }

    /// One session starting at `t0`: views by intent, then the funnel per view.
    fn session<R: Rng>(
        &mut self,
        rng: &mut R,
        shop: &Shop<'_>,
        t0: i64,
        end: i64,
        out: &mut Vec<Interaction>,
    ) {
        let Some(when) = DateTime::from_timestamp(t0, 0) else {
            return;
        };
        let sampler = &self.sampler;
        let sun_pull = 0.25 + 1.5 * f64::from(self.taste.sun_affinity);
        let masses = [
            sampler.mass(SUN) * sun_pull * sun_season(when),
            sampler.mass(KIDS) * kids_season(when),
            sampler.mass(REST),
        ];
        let intent = weighted(rng, &masses);
        let views = 1 + poisson(rng, EXTRA_VIEWS_PER_SESSION);
        let mut session = Session {
            customer_id: &self.taste.customer_id,
            t: t0,
            end,
            out,
        };
        for _ in 0..views {
            let group = if rng.gen_bool(OFF_INTENT_VIEWS) {
                weighted(rng, &masses)
            } else {
                intent
            };
            let Some(i) = sampler.draw(rng, group) else {
                continue;
            };
            let style = &shop.styles[i];
            let f = &shop.feats[i];
            let q = self.affinities[i];
            if !session.emit(rng, &style.id, SignalKind::View, (5, 30)) {
                break;
            }
            if !rng.gen_bool(0.3 + 0.25 * q) {
                if q < 0.5 && rng.gen_bool(0.12) {
                    session.emit(rng, &style.id, SignalKind::Dismiss, (3, 15));
                }
                continue;
            }
            session.emit(rng, &style.id, SignalKind::Click, (5, 40));
            let tried = rng.gen_bool(0.22 + 0.2 * q);
            if tried {
                session.emit(rng, &style.id, SignalKind::TryOn, (20, 120));
            }
            if rng.gen_bool(0.06 + 0.15 * q) {
                session.emit(rng, &style.id, SignalKind::Favorite, (5, 30));
            }
            let cart_p = (0.04 + 0.08 * q) * if tried { 1.8 } else { 1.0 };
            if f.available && self.purchases < MAX_PURCHASES && rng.gen_bool(cart_p) {
                session.emit(rng, &style.id, SignalKind::AddToCart, (10, 60));
                let buy_p = 0.5 * 0.5f64.powi(self.purchases as i32);
                if rng.gen_bool(buy_p)
                    && session.emit(rng, &style.id, SignalKind::Purchase, (60, 600))
                {
                    self.purchases += 1;
                    if rng.gen_bool(RETURN_SHARE) {
                        let returned = session.t + rng.gen_range(3 * 86_400..=14 * 86_400);
                        session.push_at(&style.id, SignalKind::Return, returned);
                    }
                }
            }
        }
    }
}

/// Generates every customer's interactions within `[end - days, end]`, sorted by time.
/// Drifting shoppers (see [`super::drift`]) get their history from `drift_rng` instead,
/// so every other shopper's history is the same with or without the cohort.
pub(crate) fn generate_interactions<R: Rng>(
    rng: &mut R,
    drift_rng: &mut R,
    config: &DemoConfig,
    styles: &[Style],
    tastes: &[Taste],
) -> Vec<Interaction> {
    let end = config.end.timestamp();
    let start = end - i64::from(config.days) * 86_400;
    if styles.is_empty() || end - start < 2 {
        return Vec::new();
    }
    let shop = Shop {
        styles,
        feats: features(rng, styles),
    };
    let mut out = Vec::new();
    for taste in tastes {
        let mark = out.len();
        let first = taste.first();
        let mut shopper = Shopper::new(&shop, taste);
        shopper.follow(&shop, &first);
        let sessions = 1 + poisson(rng, f64::from(taste.activity));
        let mut starts: Vec<i64> = (0..sessions)
            .map(|_| session_start(rng, start, end))
            .collect();
        starts.sort_unstable();
        for t0 in starts {
            shopper.session(rng, &shop, t0, end, &mut out);
        }
        if taste.earlier.is_some() {
            // Drawn as before (so the stream stays the same for everyone after), replaced.
            out.truncate(mark);
            drifting_history(drift_rng, &shop, taste, start, end, &mut out);
        }
    }
    // Stable sort: ties keep the deterministic generation order.
    out.sort_by_key(|i| i.timestamp);
    out
}

/// A drifting shopper's history (see [`super::drift`]): sessions following their earlier
/// taste in the weeks before it changed, then a few following the later one.
fn drifting_history<R: Rng>(
    rng: &mut R,
    shop: &Shop<'_>,
    taste: &Taste,
    start: i64,
    end: i64,
    out: &mut Vec<Interaction>,
) {
    let Some(earlier) = &taste.earlier else {
        return;
    };
    let changed = earlier.until.timestamp().clamp(start + 1, end);
    let from = (changed - drift::EARLIER_DAYS * 86_400).max(start + 1);
    let mut shopper = Shopper::new(shop, taste);
    let phases = [
        (taste.first(), from, changed, drift::EARLIER_SESSIONS),
        (
            std::borrow::Cow::Borrowed(taste),
            changed,
            end,
            drift::LATER_SESSIONS,
        ),
    ];
    for (follow, phase_start, phase_end, (least, extra)) in phases {
        if phase_end - phase_start < 2 {
            continue;
        }
        shopper.follow(shop, &follow);
        let sessions = least + poisson(rng, extra);
        let mut starts: Vec<i64> = (0..sessions)
            .map(|_| session_start(rng, phase_start, phase_end))
            .collect();
        starts.sort_unstable();
        for t0 in starts {
            // Events past the phase's end are dropped: the earlier taste stops at the change.
            shopper.session(rng, shop, t0, phase_end, out);
        }
    }
}

/// A session start strictly after `start` and before `end`, following the daily rhythm.
fn session_start<R: Rng>(rng: &mut R, start: i64, end: i64) -> i64 {
    let max_hourly = HOURLY.iter().copied().fold(0.0, f64::max);
    let mut t = rng.gen_range(start + 1..end);
    for _ in 0..8 {
        let hour = DateTime::from_timestamp(t, 0).map_or(12, |d| d.hour() as usize);
        if rng.gen_bool((HOURLY[hour] / max_hourly).clamp(0.0, 1.0)) {
            break;
        }
        t = rng.gen_range(start + 1..end);
    }
    t
}

/// One shopping session's clock; events past the window end are dropped.
struct Session<'a> {
    customer_id: &'a str,
    t: i64,
    end: i64,
    out: &'a mut Vec<Interaction>,
}

impl Session<'_> {
    /// Advances the clock by a random gap and records the event; false once past `end`.
    fn emit<R: Rng>(
        &mut self,
        rng: &mut R,
        style_id: &str,
        kind: SignalKind,
        gap: (i64, i64),
    ) -> bool {
        self.t += rng.gen_range(gap.0..=gap.1);
        let t = self.t;
        self.push_at(style_id, kind, t)
    }

    fn push_at(&mut self, style_id: &str, kind: SignalKind, t: i64) -> bool {
        if t > self.end {
            return false;
        }
        let Some(timestamp) = DateTime::from_timestamp(t, 0) else {
            return false;
        };
        self.out.push(Interaction {
            customer_id: self.customer_id.to_string(),
            style_id: style_id.to_string(),
            kind,
            timestamp,
        });
        true
    }
}
