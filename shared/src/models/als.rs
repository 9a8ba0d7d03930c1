//! Implicit-feedback ALS (Hu, Koren, Volinsky 2008) with confidence c = 1 + alpha * w,
//! solved per user and per item by a few warm-started conjugate-gradient steps using the
//! YᵀY trick (as in the `implicit` library), in parallel with rayon. A shopper who was not
//! in training gets a vector by fold-in: one exact k x k solve against the item factors.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::data::{HistItem, TrainData};
use super::embeddings::FoldIn;
use super::Recommender;

/// ALS hyperparameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlsParams {
    pub factors: usize,
    pub reg: f32,
    pub alpha: f32,
    pub iterations: usize,
    pub cg_steps: usize,
    pub seed: u64,
}

impl Default for AlsParams {
    fn default() -> Self {
        Self {
            factors: 64,
            reg: 0.01,
            alpha: 5.0,
            iterations: 15,
            cg_steps: 3,
            seed: 42,
        }
    }
}

/// User and item factors, row-major (`factors` columns).
#[derive(Debug, Clone, Default)]
pub struct Als {
    pub factors: usize,
    pub user: Vec<f32>,
    pub item: Vec<f32>,
    /// YᵀY of the item factors (f x f, row-major), shared by every fold-in.
    pub item_gram: Vec<f32>,
    pub params: AlsParams,
}

pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    acc.iter().sum::<f32>() + tail
}

fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// Gram matrix of the fixed side plus `reg` on the diagonal (f × f).
fn gram(m: &[f32], f: usize, reg: f32) -> Vec<f32> {
    let mut g = vec![0.0f32; f * f];
    for row in m.chunks_exact(f) {
        for (a, &ra) in row.iter().enumerate() {
            axpy(ra, row, &mut g[a * f..(a + 1) * f]);
        }
    }
    for a in 0..f {
        g[a * f + a] += reg;
    }
    g
}

/// One side's update: rows of `x` (one per entry of `rows`) against the fixed `y`. With a
/// `prior` (same layout as `x`), each row is regularised towards its prior row instead of
/// towards zero: reg |x - m|² rather than reg |x|².
fn solve_side(
    x: &mut [f32],
    y: &[f32],
    rows: &[Vec<(u32, f32)>],
    f: usize,
    params: &AlsParams,
    prior: Option<&[f32]>,
) {
    let yty = gram(y, f, params.reg);
    x.par_chunks_mut(f)
        .zip(rows.par_iter())
        .enumerate()
        .for_each_init(
            || (vec![0.0f32; f], vec![0.0f32; f], vec![0.0f32; f]),
            |(r, p, ap), (row, (xu, list))| {
                // r = b - A x with A = YᵀY + Σ (c-1) y yᵀ and b = Σ c y (+ reg m).
                for a in 0..f {
                    r[a] = -dot(&yty[a * f..(a + 1) * f], xu);
                }
                if let Some(m) = prior.and_then(|m| m.get(row * f..(row + 1) * f)) {
                    axpy(params.reg, m, r);
                }
                for &(i, w) in list {
                    let yi = &y[i as usize * f..(i as usize + 1) * f];
                    let c = 1.0 + params.alpha * w;
                    axpy(c - (c - 1.0) * dot(yi, xu), yi, r);
                }
                p.copy_from_slice(r);
                let mut rs_old = dot(r, r);
                for _ in 0..params.cg_steps {
                    if rs_old < 1e-20 {
                        break;
                    }
                    for a in 0..f {
                        ap[a] = dot(&yty[a * f..(a + 1) * f], p);
                    }
                    for &(i, w) in list {
                        let yi = &y[i as usize * f..(i as usize + 1) * f];
                        axpy(params.alpha * w * dot(yi, p), yi, ap);
                    }
                    let step = rs_old / dot(p, ap);
                    axpy(step, p, xu);
                    axpy(-step, ap, r);
                    let rs_new = dot(r, r);
                    for (pa, ra) in p.iter_mut().zip(r.iter()) {
                        *pa = ra + (rs_new / rs_old) * *pa;
                    }
                    rs_old = rs_new;
                }
            },
        );
}

impl Als {
    /// Alternates user and item solves for `iterations` rounds from a seeded random start.
    pub fn fit(train: &TrainData, params: AlsParams) -> Als {
        Self::fit_with_content(train, params, None).0
    }

    /// [`Als::fit`] where each item vector is pulled towards the sum of its catalogue
    /// attributes' vectors (reg |y - Σ e_a|² instead of reg |y|²), and the attribute
    /// vectors are refitted to the items after every item step (ridge, `content.reg`): block
    /// coordinate descent on one objective. Items seen rarely lean on their attributes, and
    /// an item never seen gets Σ e_a. Returns the model and the attribute vectors
    /// (`content.n_attributes` x factors).
    pub fn fit_with_content(
        train: &TrainData,
        params: AlsParams,
        content: Option<&ItemContent>,
    ) -> (Als, Vec<f32>) {
        let f = params.factors.max(1);
        let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
        let mut init =
            |n: usize| -> Vec<f32> { (0..n * f).map(|_| rng.gen::<f32>() * 0.01).collect() };
        let mut user = init(train.n_users);
        let mut item = init(train.n_items);
        let user_rows: Vec<Vec<(u32, f32)>> = train
            .users
            .iter()
            .map(|h| h.iter().map(|x| (x.item, x.weight)).collect())
            .collect();
        let mut attributes = Vec::new();
        let mut prior: Option<Vec<f32>> = None;
        for _ in 0..params.iterations {
            solve_side(&mut user, &item, &user_rows, f, &params, None);
            solve_side(&mut item, &user, &train.items, f, &params, prior.as_deref());
            if let Some(content) = content {
                attributes = fit_attributes(&item, content, f);
                prior = Some(content.vectors(&attributes, train.n_items, f));
            }
        }
        let item_gram = gram(&item, f, 0.0);
        let model = Als {
            factors: f,
            user,
            item,
            item_gram,
            params,
        };
        (model, attributes)
    }

    /// A shopper's vector from their history alone, as at serving time: the exact solution
    /// of (YᵀY + reg I + Σ alpha w y yᵀ) x = Σ (1 + alpha w) y over their items, i.e. the
    /// user step of training. Unknown items are skipped; an empty history gives zeros.
    pub fn fold_in(&self, history: &[HistItem]) -> Vec<f32> {
        let fold = FoldIn {
            alpha: self.params.alpha,
            reg: self.params.reg,
            reg_per_interaction: false,
        };
        let rows = history.iter().map(|h| (h.item as usize, h.weight));
        fold_in(&self.item, &self.item_gram, self.factors, fold, rows)
            .map_or_else(|| vec![0.0; self.factors], |f| f.vector)
    }

    /// Scores every item for a history by fold-in (what serving does).
    pub fn score_history(&self, history: &[HistItem], out: &mut [f32]) {
        let xu = self.fold_in(history);
        for (o, yi) in out.iter_mut().zip(self.item.chunks_exact(self.factors)) {
            *o = dot(&xu, yi);
        }
    }

    /// The implicit-ALS objective: Σ c (p - xᵀy)² over all pairs + reg (|X|² + |Y|²).
    pub fn loss(&self, train: &TrainData) -> f64 {
        let f = self.factors;
        let yty = gram(&self.item, f, 0.0);
        let mut total = 0.0f64;
        for (u, hist) in train.users.iter().enumerate() {
            let xu = &self.user[u * f..(u + 1) * f];
            // Σ_i (xᵀy_i)² over all items = xᵀ YᵀY x.
            let quad: f32 = (0..f)
                .map(|a| xu[a] * dot(&yty[a * f..(a + 1) * f], xu))
                .sum();
            total += quad as f64;
            for h in hist {
                let yi = &self.item[h.item as usize * f..(h.item as usize + 1) * f];
                let s = dot(xu, yi) as f64;
                let c = 1.0 + (self.params.alpha * h.weight) as f64;
                total += c * (1.0 - s).powi(2) - s * s;
            }
        }
        let norms: f64 = self
            .user
            .iter()
            .chain(&self.item)
            .map(|v| (v * v) as f64)
            .sum();
        total + self.params.reg as f64 * norms
    }

    /// Item i's factor row.
    pub fn item_row(&self, i: usize) -> &[f32] {
        &self.item[i * self.factors..(i + 1) * self.factors]
    }
}

/// Catalogue attributes of the training items, for [`Als::fit_with_content`].
#[derive(Debug, Clone, Default)]
pub struct ItemContent {
    pub n_attributes: usize,
    /// Attribute indices of each training item (`< n_attributes`).
    pub items: Vec<Vec<u32>>,
    /// Ridge penalty of the attribute vectors.
    pub reg: f32,
}

impl ItemContent {
    /// Σ e_a over each item's attributes (`n_items` x f; items without attributes get 0).
    pub fn vectors(&self, attributes: &[f32], n_items: usize, f: usize) -> Vec<f32> {
        let mut out = vec![0.0f32; n_items * f];
        for (row, attrs) in out.chunks_exact_mut(f).zip(&self.items) {
            for &a in attrs {
                if let Some(e) = attributes.get(a as usize * f..(a as usize + 1) * f) {
                    axpy(1.0, e, row);
                }
            }
        }
        out
    }
}

/// Ridge fit of attribute vectors E to item vectors Y: (AᵀA + reg I) E = AᵀY, A the 0/1
/// item-attribute matrix. Attributes number in the tens to hundreds, so a dense solve.
fn fit_attributes(item: &[f32], content: &ItemContent, f: usize) -> Vec<f32> {
    let n = content.n_attributes;
    let mut ata = vec![0.0f64; n * n];
    let mut aty = vec![0.0f64; n * f];
    for (y, attrs) in item.chunks_exact(f).zip(&content.items) {
        for &a in attrs.iter().filter(|a| (**a as usize) < n) {
            let a = a as usize;
            for &b in attrs.iter().filter(|b| (**b as usize) < n) {
                ata[a * n + b as usize] += 1.0;
            }
            for (t, &v) in aty[a * f..(a + 1) * f].iter_mut().zip(y) {
                *t += f64::from(v);
            }
        }
    }
    for a in 0..n {
        ata[a * n + a] += f64::from(content.reg.max(1e-6));
    }
    cholesky_factor(&mut ata, n);
    let mut out = vec![0.0f32; n * f];
    let mut column = vec![0.0f64; n];
    for c in 0..f {
        for a in 0..n {
            column[a] = aty[a * f + c];
        }
        cholesky_substitute(&ata, &mut column, n);
        for a in 0..n {
            out[a * f + c] = column[a] as f32;
        }
    }
    out
}

/// A shopper folded into an embedding space: their vector and the factor of their system,
/// which also splits a score into the parts each history item contributed.
#[derive(Debug, Clone)]
pub struct Folded {
    pub vector: Vec<f32>,
    factor: Vec<f64>,
    dims: usize,
}

impl Folded {
    /// A⁻¹ `rhs`, with A the shopper's system matrix.
    pub fn solve(&self, rhs: &[f32]) -> Vec<f32> {
        let mut b: Vec<f64> = rhs.iter().map(|&v| f64::from(v)).collect();
        b.resize(self.dims, 0.0);
        cholesky_substitute(&self.factor, &mut b, self.dims);
        b.into_iter().map(|v| v as f32).collect()
    }
}

/// Solves a shopper's vector from `(row, weight)` history pairs against item vectors `item`
/// (rows of `dims`) with their Gram matrix `gram`: (YᵀY + Σ alpha w y yᵀ + reg' I) x =
/// Σ (1 + alpha w) y. Rows out of range and non-positive weights (dismissals) are skipped;
/// `None` when nothing is left. One k x k Cholesky: O(h k² + k³) for h history items.
pub fn fold_in(
    item: &[f32],
    gram: &[f32],
    dims: usize,
    fold: FoldIn,
    history: impl IntoIterator<Item = (usize, f32)>,
) -> Option<Folded> {
    let f = dims;
    if f == 0 || gram.len() != f * f {
        return None;
    }
    let mut a: Vec<f64> = gram.iter().map(|&v| f64::from(v)).collect();
    let mut b = vec![0.0f64; f];
    let mut used = 0usize;
    for (row, weight) in history {
        let Some(y) = item.get(row * f..(row + 1) * f) else {
            continue;
        };
        if weight <= 0.0 || !weight.is_finite() {
            continue;
        }
        used += 1;
        let extra = f64::from(fold.alpha * weight);
        for (r, &yr) in y.iter().enumerate() {
            b[r] += (1.0 + extra) * f64::from(yr);
            let scaled = extra * f64::from(yr);
            for (cell, &yc) in a[r * f..(r + 1) * f].iter_mut().zip(y) {
                *cell += scaled * f64::from(yc);
            }
        }
    }
    if used == 0 {
        return None;
    }
    let reg = f64::from(fold.reg)
        * if fold.reg_per_interaction {
            used as f64
        } else {
            1.0
        };
    for r in 0..f {
        a[r * f + r] += reg;
    }
    cholesky_factor(&mut a, f);
    cholesky_substitute(&a, &mut b, f);
    Some(Folded {
        vector: b.into_iter().map(|v| v as f32).collect(),
        factor: a,
        dims: f,
    })
}

/// Solves `a x = b` in place (`a` symmetric positive definite, n x n row-major; the answer
/// replaces `b`).
#[cfg(test)]
fn cholesky_solve(a: &mut [f64], b: &mut [f64], n: usize) {
    cholesky_factor(a, n);
    cholesky_substitute(a, b, n);
}

/// Overwrites the lower triangle of `a` with its Cholesky factor L (a = L Lᵀ). The
/// regularisation keeps `a` positive definite; a non-positive pivot (numerical breakdown)
/// is clamped rather than failing a shopper's list.
fn cholesky_factor(a: &mut [f64], n: usize) {
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= a[j * n + k] * a[j * n + k];
        }
        let d = d.max(1e-12).sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let mut v = a[i * n + j];
            for k in 0..j {
                v -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = v / d;
        }
    }
}

/// Solves L Lᵀ x = b in place, `l` from [`cholesky_factor`].
fn cholesky_substitute(l: &[f64], b: &mut [f64], n: usize) {
    for i in 0..n {
        let mut v = b[i];
        for k in 0..i {
            v -= l[i * n + k] * b[k];
        }
        b[i] = v / l[i * n + i];
    }
    for i in (0..n).rev() {
        let mut v = b[i];
        for k in i + 1..n {
            v -= l[k * n + i] * b[k];
        }
        b[i] = v / l[i * n + i];
    }
}

impl Recommender for Als {
    fn score(&self, user: u32, _history: &[HistItem], out: &mut [f32]) {
        let f = self.factors;
        let Some(xu) = self.user.get(user as usize * f..(user as usize + 1) * f) else {
            out.iter_mut().for_each(|o| *o = 0.0);
            return;
        };
        for (o, yi) in out.iter_mut().zip(self.item.chunks_exact(f)) {
            *o = dot(xu, yi);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::data::Interaction;

    /// Users 0-3 like items 0-3, users 4-7 like items 4-7; each user misses one item of
    /// their block, which the model should rank above the other block.
    fn blocks() -> TrainData {
        let mut xs = Vec::new();
        for u in 0..8u32 {
            let base = if u < 4 { 0 } else { 4 };
            for i in base..base + 4 {
                if i != base + u % 4 {
                    xs.push(Interaction {
                        user: u,
                        item: i,
                        ts: 0,
                        weight: 1.0,
                    });
                }
            }
        }
        TrainData::new(8, 8, &xs, None)
    }

    #[test]
    fn when_training_longer_should_reduce_loss() {
        let t = blocks();
        let base = AlsParams {
            factors: 4,
            reg: 0.1,
            iterations: 1,
            ..AlsParams::default()
        };
        let one = Als::fit(&t, base).loss(&t);
        let ten = Als::fit(
            &t,
            AlsParams {
                iterations: 10,
                ..base
            },
        )
        .loss(&t);
        assert!(ten < one, "loss after 10 iterations {ten} >= after 1 {one}");
    }

    #[test]
    fn when_folding_in_a_training_history_should_reproduce_the_trained_user_vector() {
        let t = blocks();
        // Plenty of CG steps, so the trained user vectors are (near) exact solves.
        let m = Als::fit(
            &t,
            AlsParams {
                factors: 4,
                reg: 0.1,
                iterations: 10,
                cg_steps: 10,
                ..AlsParams::default()
            },
        );
        // After the last round the items moved once more; solve users against them again
        // with CG as training does, then compare with the exact fold-in.
        let f = m.factors;
        let mut user = m.user.clone();
        let rows: Vec<Vec<(u32, f32)>> = t
            .users
            .iter()
            .map(|h| h.iter().map(|x| (x.item, x.weight)).collect())
            .collect();
        solve_side(&mut user, &m.item, &rows, f, &m.params, None);
        for u in 0..8 {
            let folded = m.fold_in(&t.users[u]);
            let trained = &user[u * f..(u + 1) * f];
            let err: f32 = folded.iter().zip(trained).map(|(a, b)| (a - b).abs()).sum();
            let norm: f32 = trained.iter().map(|v| v.abs()).sum();
            assert!(
                err <= 1e-3 * norm.max(1.0),
                "user {u}: {folded:?} vs {trained:?}"
            );
        }
        assert_eq!(m.fold_in(&[]), vec![0.0; f], "no history: no taste");
    }

    #[test]
    fn when_cholesky_solves_a_small_system_should_match_by_hand() {
        // [[4, 2], [2, 3]] x = [2, 1] -> x = [0.5, 0].
        let mut a = vec![4.0, 2.0, 2.0, 3.0];
        let mut b = vec![2.0, 1.0];
        cholesky_solve(&mut a, &mut b, 2);
        assert!((b[0] - 0.5).abs() < 1e-12 && b[1].abs() < 1e-12, "{b:?}");
    }

    #[test]
    fn when_planted_blocks_should_rank_missing_in_block_item_first() {
        let t = blocks();
        let m = Als::fit(
            &t,
            AlsParams {
                factors: 4,
                reg: 0.1,
                iterations: 10,
                ..AlsParams::default()
            },
        );
        let mut out = vec![0.0; 8];
        for u in 0..8u32 {
            m.score(u, &t.users[u as usize], &mut out);
            let base = if u < 4 { 0 } else { 4 };
            let missing = (base + u % 4) as usize;
            let best_other = (0..8)
                .filter(|i| (*i < 4) != (u < 4))
                .map(|i| out[i])
                .fold(f32::MIN, f32::max);
            assert!(out[missing] > best_other, "user {u}: {out:?}");
        }
    }
}
