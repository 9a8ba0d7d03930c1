//! Interaction data: ml-100k `u.data` and generic CSV/TSV exports, deduplicated and indexed.

use std::collections::HashMap;
use std::path::Path;

use super::LearnError;
use crate::domain::{KindWeights, SignalKind};

/// One deduplicated (user, item) interaction on dense indices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interaction {
    pub user: u32,
    pub item: u32,
    /// Seconds since the epoch (or any monotone clock of the export).
    pub ts: i64,
    /// Positive strength (1 for plain implicit feedback; per-kind weights otherwise).
    pub weight: f32,
}

/// A whole data set with id tables; users and items are numbered in id order (numeric when
/// every id is an integer), so index order equals id order.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub user_ids: Vec<String>,
    pub item_ids: Vec<String>,
    /// One entry per distinct (user, item), sorted by (user, ts, item).
    pub interactions: Vec<Interaction>,
}

/// Input layouts understood by [`Dataset::read`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// MovieLens 100K `u.data`: `user item rating timestamp`, tab separated; ratings ignored.
    Ml100k,
    /// Header with user, item and timestamp columns, optional `weight` or `kind`.
    Csv { sep: u8 },
}

/// Confidence weight of a signal kind in a retailer export, from the one kind-weight table
/// ([`KindWeights`], its defaults here). Common export aliases (`order`, `cart`, `like`...)
/// map to their kind; an unknown kind counts as a view. Kinds that are not positive evidence
/// (dismissals, returns, impressions) return `None` and are dropped.
pub fn kind_weight(kind: &str) -> Option<f32> {
    let name = kind.trim().to_ascii_lowercase();
    let kind = match name.as_str() {
        "like" | "wishlist" => SignalKind::Favorite,
        "cart" => SignalKind::AddToCart,
        "order" | "buy" => SignalKind::Purchase,
        other => SignalKind::parse(other).unwrap_or(SignalKind::View),
    };
    KindWeights::default().confidence(kind)
}

struct Raw {
    user: String,
    item: String,
    ts: i64,
    weight: f32,
}

impl Dataset {
    /// Reads a file in the given format.
    pub fn read(path: &Path, format: Format) -> Result<Dataset, LearnError> {
        let text = std::fs::read_to_string(path)?;
        match format {
            Format::Ml100k => Self::parse_ml100k(&text),
            Format::Csv { sep } => Self::parse_csv(&text, sep),
        }
    }

    /// Parses ml-100k `u.data` text.
    pub fn parse_ml100k(text: &str) -> Result<Dataset, LearnError> {
        let mut rows = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 4 {
                return Err(LearnError::Parse {
                    line: n + 1,
                    message: format!("expected 4 fields, found {}", f.len()),
                });
            }
            let ts = f[3].parse::<i64>().map_err(|e| LearnError::Parse {
                line: n + 1,
                message: format!("timestamp {:?}: {e}", f[3]),
            })?;
            rows.push(Raw {
                user: f[0].to_string(),
                item: f[1].to_string(),
                ts,
                weight: 1.0,
            });
        }
        Ok(Self::from_raw(rows))
    }

    /// Parses a CSV/TSV with a header naming user (`user`, `user_id`, `customer_id`), item
    /// (`item`, `item_id`, `style_id`) and `timestamp` (integer seconds or RFC 3339), and
    /// optionally `weight` or `kind` (see [`kind_weight`]).
    pub fn parse_csv(text: &str, sep: u8) -> Result<Dataset, LearnError> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(sep)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let header = reader
            .headers()
            .map_err(|e| parse_err(1, e))?
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect::<Vec<_>>();
        let find = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
        let user = find(&["user", "user_id", "userid", "customer_id", "customer"]);
        let item = find(&[
            "item",
            "item_id",
            "itemid",
            "style_id",
            "style",
            "product_id",
        ]);
        let time = find(&["timestamp", "ts", "time", "event_time"]);
        let (Some(user), Some(item), Some(time)) = (user, item, time) else {
            return Err(LearnError::Parse {
                line: 1,
                message: "header needs user, item and timestamp columns".into(),
            });
        };
        let weight = find(&["weight", "value", "rating"]);
        let kind = find(&["kind", "event", "event_type"]);
        let mut rows = Vec::new();
        for (n, record) in reader.records().enumerate() {
            let line = n + 2;
            let record = record.map_err(|e| parse_err(line, e))?;
            let field = |i: usize| record.get(i).unwrap_or("");
            let ts = parse_time(field(time)).ok_or_else(|| LearnError::Parse {
                line,
                message: format!("bad timestamp {:?}", field(time)),
            })?;
            let w = match (weight, kind) {
                (Some(w), _) => field(w).parse::<f32>().map_err(|e| parse_err(line, e))?,
                (None, Some(k)) => match kind_weight(field(k)) {
                    Some(w) => w,
                    None => continue,
                },
                (None, None) => 1.0,
            };
            if !(w.is_finite() && w > 0.0) {
                continue;
            }
            rows.push(Raw {
                user: field(user).to_string(),
                item: field(item).to_string(),
                ts,
                weight: w,
            });
        }
        Ok(Self::from_raw(rows))
    }

    /// Builds a data set from `(user, item, timestamp, weight)` events, e.g. a shop's
    /// signals; non-positive weights are dropped.
    pub fn from_events<'a>(
        events: impl IntoIterator<Item = (&'a str, &'a str, i64, f32)>,
    ) -> Dataset {
        let rows = events
            .into_iter()
            .filter(|e| e.3.is_finite() && e.3 > 0.0)
            .map(|(user, item, ts, weight)| Raw {
                user: user.to_string(),
                item: item.to_string(),
                ts,
                weight,
            })
            .collect();
        Self::from_raw(rows)
    }

    /// Indexes ids in id order and collapses duplicate (user, item) pairs to the latest
    /// timestamp, keeping the largest weight seen (a purchase is not undone by a later view).
    fn from_raw(rows: Vec<Raw>) -> Dataset {
        let user_ids = sorted_ids(rows.iter().map(|r| r.user.as_str()));
        let item_ids = sorted_ids(rows.iter().map(|r| r.item.as_str()));
        let uidx: HashMap<&str, u32> = index_of(&user_ids);
        let iidx: HashMap<&str, u32> = index_of(&item_ids);
        let mut best: HashMap<(u32, u32), (i64, f32)> = HashMap::with_capacity(rows.len());
        for r in &rows {
            let (Some(&u), Some(&i)) = (uidx.get(r.user.as_str()), iidx.get(r.item.as_str()))
            else {
                continue;
            };
            let e = best.entry((u, i)).or_insert((r.ts, r.weight));
            e.0 = e.0.max(r.ts);
            e.1 = e.1.max(r.weight);
        }
        let mut interactions: Vec<Interaction> = best
            .into_iter()
            .map(|((user, item), (ts, weight))| Interaction {
                user,
                item,
                ts,
                weight,
            })
            .collect();
        interactions.sort_by_key(|x| (x.user, x.ts, x.item));
        Dataset {
            user_ids,
            item_ids,
            interactions,
        }
    }

    pub fn n_users(&self) -> usize {
        self.user_ids.len()
    }

    pub fn n_items(&self) -> usize {
        self.item_ids.len()
    }
}

fn parse_err(line: usize, e: impl std::fmt::Display) -> LearnError {
    LearnError::Parse {
        line,
        message: e.to_string(),
    }
}

fn parse_time(s: &str) -> Option<i64> {
    if let Ok(t) = s.parse::<i64>() {
        return Some(t);
    }
    if let Ok(t) = s.parse::<f64>() {
        return Some(t as i64);
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.timestamp())
}

/// Distinct ids, numerically sorted when all are integers, else lexicographically.
fn sorted_ids<'a>(ids: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut v: Vec<String> = ids.map(str::to_string).collect();
    v.sort_unstable();
    v.dedup();
    if v.iter().all(|s| s.parse::<i64>().is_ok()) {
        v.sort_by_key(|s| s.parse::<i64>().unwrap_or(0));
    }
    v
}

fn index_of(ids: &[String]) -> HashMap<&str, u32> {
    ids.iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i as u32))
        .collect()
}

/// A co-occurrence window given in days, in seconds; `None` (plain counts) when not positive.
pub fn window_secs(days: f32) -> Option<f64> {
    (days > 0.0).then_some(days as f64 * 86_400.0)
}

/// One training item of a user's history.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistItem {
    pub item: u32,
    pub weight: f32,
    pub ts: i64,
}

/// Training interactions grouped by user (time order) and by item, as models consume them.
#[derive(Debug, Clone, Default)]
pub struct TrainData {
    pub n_users: usize,
    pub n_items: usize,
    /// Per user, sorted by (ts, item).
    pub users: Vec<Vec<HistItem>>,
    /// Per item, `(user, weight)` sorted by user.
    pub items: Vec<Vec<(u32, f32)>>,
}

impl TrainData {
    /// Groups interactions; `half_life_secs` (if any) decays weights by age relative to the
    /// newest interaction, so recent behaviour counts more.
    pub fn new(
        n_users: usize,
        n_items: usize,
        interactions: &[Interaction],
        half_life_secs: Option<f64>,
    ) -> TrainData {
        let newest = interactions.iter().map(|x| x.ts).max().unwrap_or(0);
        let mut users = vec![Vec::new(); n_users];
        let mut items = vec![Vec::new(); n_items];
        for x in interactions {
            let (u, i) = (x.user as usize, x.item as usize);
            if u >= n_users || i >= n_items {
                continue;
            }
            let decay = half_life_secs
                .filter(|h| *h > 0.0)
                .map_or(1.0, |h| 0.5f64.powf((newest - x.ts) as f64 / h));
            let weight = x.weight * decay as f32;
            users[u].push(HistItem {
                item: x.item,
                weight,
                ts: x.ts,
            });
            items[i].push((x.user, weight));
        }
        for h in &mut users {
            h.sort_by_key(|x| (x.ts, x.item));
        }
        for l in &mut items {
            l.sort_by_key(|x| x.0);
        }
        TrainData {
            n_users,
            n_items,
            users,
            items,
        }
    }

    /// Number of training interactions.
    pub fn nnz(&self) -> usize {
        self.users.iter().map(Vec::len).sum()
    }

    /// Dense item-item co-occurrence counts (row-major, `n_items`²), one row per item in
    /// parallel.
    pub fn gram(&self) -> Vec<f64> {
        self.windowed_gram(None)
    }

    /// Dense co-occurrence like [`TrainData::gram`], each pair weighted by
    /// `exp(-|t_i - t_j| / window_secs)` (see [`TrainData::cooccurrence_row`]).
    pub fn windowed_gram(&self, window_secs: Option<f64>) -> Vec<f64> {
        use rayon::prelude::*;
        let n = self.n_items;
        let mut g = vec![0.0f64; n * n];
        g.par_chunks_mut(n.max(1))
            .enumerate()
            .for_each(|(i, row)| self.cooccurrence_row(i, window_secs, row));
        g
    }

    /// Adds item `i`'s co-occurrences into `row` (length `n_items`): for every user who has
    /// `i`, each of their items `j` counts `exp(-|t_i - t_j| / window_secs)`, or 1 without a
    /// window. A window favours items bought in the same visit: on sparse shop data those
    /// predict the next item far better than items a shopper touched months apart. The
    /// diagonal stays the plain count (the time gap to itself is 0).
    pub fn cooccurrence_row(&self, i: usize, window_secs: Option<f64>, row: &mut [f64]) {
        let window = window_secs.filter(|w| *w > 0.0);
        let Some(users) = self.items.get(i) else {
            return;
        };
        for &(u, _) in users {
            let Some(history) = self.users.get(u as usize) else {
                continue;
            };
            let t_i = history
                .iter()
                .find(|h| h.item as usize == i)
                .map_or(0, |h| h.ts);
            for h in history {
                let Some(cell) = row.get_mut(h.item as usize) else {
                    continue;
                };
                *cell += window.map_or(1.0, |w| (-((h.ts - t_i).abs() as f64) / w).exp());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_duplicates_should_keep_latest_timestamp_and_index_ids_numerically() {
        let d = Dataset::parse_ml100k("10\t5\t3\t100\n2\t5\t4\t50\n10\t5\t1\t300\n10\t40\t1\t7\n")
            .unwrap();
        assert_eq!(d.user_ids, vec!["2", "10"]);
        assert_eq!(d.item_ids, vec!["5", "40"]);
        assert_eq!(d.interactions.len(), 3);
        let x = d
            .interactions
            .iter()
            .find(|x| x.user == 1 && x.item == 0)
            .unwrap();
        assert_eq!(x.ts, 300);
    }

    #[test]
    fn when_csv_has_kinds_should_weight_and_drop_negative_kinds() {
        let text = "customer_id,style_id,kind,timestamp\n\
                    a,s1,view,2026-01-01T00:00:00Z\n\
                    a,s2,purchase,1700000000\n\
                    a,s3,dismiss,1700000001\n";
        let d = Dataset::parse_csv(text, b',').unwrap();
        assert_eq!(d.item_ids, vec!["s1", "s2"]);
        let w: Vec<f32> = d.interactions.iter().map(|x| x.weight).collect();
        // The one kind-weight table (engine defaults): purchase 10, view 1.
        assert_eq!(
            w,
            vec![10.0, 1.0],
            "sorted by time: purchase (2023) then view (2026)"
        );
    }

    #[test]
    fn when_csv_lacks_timestamp_should_fail() {
        assert!(Dataset::parse_csv("user,item\n1,2\n", b',').is_err());
    }

    #[test]
    fn when_window_should_discount_co_occurrences_far_apart_in_time() {
        // User 1: items 1 and 2 one window apart; user 2: items 2 and 3 at the same time.
        let d = Dataset::parse_ml100k("1 1 1 0\n1 2 1 100\n2 2 1 50\n2 3 1 50\n").unwrap();
        let t = TrainData::new(2, 3, &d.interactions, None);
        let g = t.windowed_gram(Some(100.0));
        let e = (-1.0f64).exp();
        let want = [1.0, e, 0.0, e, 2.0, 1.0, 0.0, 1.0, 1.0];
        for (got, want) in g.iter().zip(want) {
            assert!((got - want).abs() < 1e-12, "{g:?}");
        }
        assert_eq!(t.windowed_gram(None), t.gram());
    }

    #[test]
    fn when_gram_should_count_co_occurrences() {
        let d = Dataset::parse_ml100k("1 1 1 1\n1 2 1 2\n2 2 1 1\n2 3 1 2\n").unwrap();
        let t = TrainData::new(2, 3, &d.interactions, None);
        let g = t.gram();
        assert_eq!(g, vec![1.0, 1.0, 0.0, 1.0, 2.0, 1.0, 0.0, 1.0, 1.0]);
    }
}
