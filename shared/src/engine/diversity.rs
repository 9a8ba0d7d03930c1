//! Maximal marginal relevance: re-ranks the best candidates so a list is not ten near-copies
//! of one frame.

/// Greedy MMR over `pool` (`(style index, relevance)`, best first). Each round picks the
/// candidate maximising `lambda * relevance - (1 - lambda) * max similarity to the picks
/// so far`. Relevance stays in score units (not rescaled per pool), so small score gaps
/// yield to diversity while the large gaps of a strong personal signal do not. `accept`
/// may refuse a pick (say, no size fits); it is then dropped. Returns positions in `pool`,
/// in display order.
pub(crate) fn mmr(
    pool: &[(usize, f32)],
    limit: usize,
    lambda: f32,
    similarity: impl Fn(usize, usize) -> f32,
    mut accept: impl FnMut(usize) -> bool,
) -> Vec<usize> {
    let n = pool.len();
    let mut picked = Vec::with_capacity(limit.min(n));
    if n == 0 || limit == 0 {
        return picked;
    }
    let relevance: Vec<f32> = pool.iter().map(|(_, r)| *r).collect();
    let mut max_sim = vec![0.0f32; n];
    let mut alive = vec![true; n];
    while picked.len() < limit {
        let mut best: Option<(usize, f32)> = None;
        for i in (0..n).filter(|i| alive[*i]) {
            let value = lambda * relevance[i] - (1.0 - lambda) * max_sim[i];
            if best.is_none_or(|(_, v)| value > v) {
                best = Some((i, value));
            }
        }
        let Some((b, _)) = best else {
            break;
        };
        alive[b] = false;
        if !accept(b) {
            continue;
        }
        picked.push(b);
        let chosen = pool[b].0;
        for i in (0..n).filter(|i| alive[*i]) {
            max_sim[i] = max_sim[i].max(similarity(pool[i].0, chosen));
        }
    }
    picked
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Styles 0-2 are near-copies (group A), 3-4 another group.
    fn group(i: usize) -> usize {
        usize::from(i >= 3)
    }

    fn same_group(a: usize, b: usize) -> f32 {
        f32::from(u8::from(group(a) == group(b)))
    }

    #[test]
    fn when_lambda_is_one_should_keep_relevance_order() {
        let pool = vec![(0, 1.0), (1, 0.9), (2, 0.8), (3, 0.7), (4, 0.6)];
        let got = mmr(&pool, 3, 1.0, same_group, |_| true);
        assert_eq!(got, vec![0, 1, 2]);
    }

    #[test]
    fn when_candidates_are_near_copies_should_interleave_alternatives() {
        let pool = vec![(0, 1.0), (1, 0.95), (2, 0.9), (3, 0.85), (4, 0.2)];
        let got = mmr(&pool, 3, 0.7, same_group, |_| true);
        assert_eq!(got[0], 0);
        assert_eq!(got[1], 3, "the best alternative beats a near-copy");
    }

    #[test]
    fn when_pick_refused_should_skip_it() {
        let pool = vec![(0, 1.0), (1, 0.9), (2, 0.8)];
        let got = mmr(&pool, 2, 1.0, same_group, |p| p != 0);
        assert_eq!(got, vec![1, 2]);
    }
}
