//! Ranking metrics of `docs/evaluation.md`: per-user Recall@20, NDCG@20, HR@10, NDCG@10 with
//! binary relevance, their means and standard errors, and catalogue coverage.

use serde::Serialize;

/// Metrics of one test user's top list.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UserMetrics {
    pub recall20: f64,
    pub ndcg20: f64,
    pub hr10: f64,
    pub ndcg10: f64,
}

fn dcg(top: &[u32], test: &[u32], k: usize) -> f64 {
    top.iter()
        .take(k)
        .enumerate()
        .filter(|(_, i)| test.binary_search(i).is_ok())
        .map(|(r, _)| 1.0 / ((r + 2) as f64).log2())
        .sum()
}

fn ideal(m: usize, k: usize) -> f64 {
    (0..m.min(k)).map(|r| 1.0 / ((r + 2) as f64).log2()).sum()
}

/// Metrics of `top` (ranked item indices) against `test` (sorted held-out items).
pub fn user_metrics(top: &[u32], test: &[u32]) -> UserMetrics {
    let m = test.len();
    if m == 0 {
        return UserMetrics::default();
    }
    let hits20 = top
        .iter()
        .take(20)
        .filter(|i| test.binary_search(i).is_ok())
        .count();
    let hit10 = top.iter().take(10).any(|i| test.binary_search(i).is_ok());
    UserMetrics {
        recall20: hits20 as f64 / m.min(20) as f64,
        ndcg20: dcg(top, test, 20) / ideal(m, 20),
        hr10: if hit10 { 1.0 } else { 0.0 },
        ndcg10: dcg(top, test, 10) / ideal(m, 10),
    }
}

/// A mean and its standard error (sample sd / sqrt(n)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Estimate {
    pub mean: f64,
    pub se: f64,
}

/// Mean and standard error of `values`; the SE is 0 below two values.
pub fn estimate(values: impl Iterator<Item = f64> + Clone) -> Estimate {
    let n = values.clone().count();
    if n == 0 {
        return Estimate::default();
    }
    let mean = values.clone().sum::<f64>() / n as f64;
    let se = if n > 1 {
        let var = values.map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        (var / n as f64).sqrt()
    } else {
        0.0
    };
    Estimate { mean, se }
}

/// Aggregated metrics of one model on one split.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub users: usize,
    pub recall20: Estimate,
    pub ndcg20: Estimate,
    pub hr10: Estimate,
    pub ndcg10: Estimate,
    /// Distinct items across all top-10 lists / catalogue size.
    pub coverage10: f64,
    /// Distinct items across all top-20 lists / catalogue size.
    pub coverage20: f64,
}

/// Aggregates per-user metrics; `lists` are the users' ranked lists (at least 20 long when
/// the catalogue allows).
pub fn summarize(per_user: &[UserMetrics], lists: &[Vec<u32>], n_items: usize) -> Summary {
    let coverage = |k: usize| {
        let mut seen = vec![false; n_items];
        for l in lists {
            for &i in l.iter().take(k) {
                if let Some(s) = seen.get_mut(i as usize) {
                    *s = true;
                }
            }
        }
        seen.iter().filter(|s| **s).count() as f64 / n_items.max(1) as f64
    };
    Summary {
        users: per_user.len(),
        recall20: estimate(per_user.iter().map(|m| m.recall20)),
        ndcg20: estimate(per_user.iter().map(|m| m.ndcg20)),
        hr10: estimate(per_user.iter().map(|m| m.hr10)),
        ndcg10: estimate(per_user.iter().map(|m| m.ndcg10)),
        coverage10: coverage(10),
        coverage20: coverage(20),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn when_single_test_item_at_rank_3_should_score_loo_metrics() {
        let m = user_metrics(&[5, 6, 7, 8], &[7]);
        assert!(close(m.hr10, 1.0));
        assert!(close(m.ndcg10, 0.5), "1/log2(4) = 0.5");
        assert!(close(m.recall20, 1.0));
    }

    #[test]
    fn when_two_of_three_hit_should_normalise_by_ideal_over_min_k_m() {
        // Hits at ranks 1 and 3 of m = 3 test items.
        let m = user_metrics(&[1, 9, 2, 8], &[1, 2, 3]);
        let dcg = 1.0 + 0.5;
        let idcg = 1.0 + 1.0 / 3f64.log2() + 0.5;
        assert!(close(m.ndcg20, dcg / idcg));
        assert!(close(m.recall20, 2.0 / 3.0));
    }

    #[test]
    fn when_more_than_20_test_items_should_cap_recall_denominator() {
        let test: Vec<u32> = (0..30).collect();
        let top: Vec<u32> = (0..20).collect();
        let m = user_metrics(&top, &test);
        assert!(close(m.recall20, 1.0));
        assert!(close(m.ndcg20, 1.0));
        assert!(close(m.ndcg10, 1.0));
    }

    #[test]
    fn when_hit_only_after_rank_10_should_miss_hr10() {
        let top: Vec<u32> = (100..120).collect();
        let m = user_metrics(&top, &[115]);
        assert!(close(m.hr10, 0.0));
        assert!(close(m.ndcg10, 0.0));
        assert!(close(m.ndcg20, 1.0 / 17f64.log2()));
    }

    #[test]
    fn when_estimate_should_use_sample_sd_over_sqrt_n() {
        let e = estimate([0.0, 1.0, 1.0, 0.0].into_iter());
        assert!(close(e.mean, 0.5));
        // sample variance 1/3, se = sqrt(1/3 / 4)
        assert!(close(e.se, (1.0f64 / 12.0).sqrt()));
    }

    #[test]
    fn when_summarize_should_count_coverage_per_cutoff() {
        let lists = vec![(0..20).collect::<Vec<u32>>(), (10..30).collect()];
        let s = summarize(&[UserMetrics::default(); 2], &lists, 100);
        assert!(close(s.coverage10, 0.2));
        assert!(close(s.coverage20, 0.3));
    }
}
