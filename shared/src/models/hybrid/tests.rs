//! Behaviour of the served blend.

use super::*;
use crate::models::data::Interaction;

#[test]
fn when_recency_on_should_favour_neighbours_of_the_latest_item() {
    // Items 0~1 co-occur, 2~3 co-occur; the shopper saw 0 long ago and 2 just now.
    let mut xs = Vec::new();
    for u in 0..6u32 {
        let (a, b) = if u % 2 == 0 { (0, 1) } else { (2, 3) };
        for (t, i) in [a, b].into_iter().enumerate() {
            xs.push(Interaction {
                user: u,
                item: i,
                ts: t as i64,
                weight: 1.0,
            });
        }
    }
    let t = TrainData::new(6, 4, &xs, None);
    let h = Hybrid::fit(
        &t,
        HybridParams {
            ease: EaseParams { lambda: 1.0 },
            half_life: 1.0,
            floor: 0.0,
            ..HybridParams::default()
        },
    )
    .unwrap();
    let history = [
        HistItem {
            item: 0,
            weight: 1.0,
            ts: 0,
        },
        HistItem {
            item: 2,
            weight: 1.0,
            ts: 10,
        },
    ];
    let mut out = vec![0.0; 4];
    h.score(99, &history, &mut out);
    assert!(out[3] > out[1], "recent item's neighbour first: {out:?}");
    let flat = h.with_params(HybridParams {
        half_life: 0.0,
        ..h.params
    });
    flat.score(99, &history, &mut out);
    assert!(
        (out[3] - out[1]).abs() < 1e-6,
        "no recency: symmetric {out:?}"
    );
}

/// Two taste blocks plus a very popular item 4 that everyone in block A also has.
/// Users 0-3 buy 0, 1, 4; users 4-7 buy 2, 3; users 8-9 buy only 4, the best seller.
fn blocks_with_a_best_seller() -> TrainData {
    let mut xs = Vec::new();
    for u in 0..10u32 {
        let items: &[u32] = match u {
            0..=3 => &[0, 1, 4],
            4..=7 => &[2, 3],
            _ => &[4],
        };
        for (t, &i) in items.iter().enumerate() {
            xs.push(Interaction {
                user: u,
                item: i,
                ts: t as i64,
                weight: 1.0,
            });
        }
    }
    TrainData::new(10, 5, &xs, None)
}

#[test]
fn when_pop_weight_is_one_should_rank_exactly_as_popularity() {
    let t = blocks_with_a_best_seller();
    let h = Hybrid::fit(&t, HybridParams::default()).unwrap();
    let only_pop = h.with_params(HybridParams {
        pop_weight: 1.0,
        ..h.params
    });
    let pop = MostPopular::fit(&t);
    let (mut a, mut b) = (vec![0.0; 5], vec![0.0; 5]);
    only_pop.score(0, &t.users[5], &mut a);
    pop.score(0, &t.users[5], &mut b);
    let order = |v: &[f32]| {
        let mut idx: Vec<usize> = (0..v.len()).collect();
        idx.sort_by(|&x, &y| v[y].total_cmp(&v[x]).then(x.cmp(&y)));
        idx
    };
    assert_eq!(order(&a), order(&b), "{a:?} vs {b:?}");
}

#[test]
fn when_pop_weight_is_small_should_only_break_ties_of_the_collaborative_scores() {
    let t = blocks_with_a_best_seller();
    let h = Hybrid::fit(
        &t,
        HybridParams {
            beta: 0.0,
            half_life: 0.0,
            ..HybridParams::default()
        },
    )
    .unwrap();
    let history = [HistItem {
        item: 2,
        weight: 1.0,
        ts: 0,
    }];
    let mut out = vec![0.0; 5];
    h.with_params(HybridParams {
        pop_weight: 0.01,
        ..h.params
    })
    .score(0, &history, &mut out);
    // Item 3 (same block) first; among the unrelated items the best seller 4 leads.
    assert!(
        out[3] > out[4] && out[4] > out[0] && out[4] > out[1],
        "{out:?}"
    );
}

#[test]
fn when_window_is_set_should_still_fit_and_score_finite_values() {
    let t = blocks_with_a_best_seller();
    let h = Hybrid::fit(
        &t,
        HybridParams {
            window_days: 1.0,
            als_weight: 0.2,
            als: AlsParams {
                factors: 4,
                iterations: 3,
                ..AlsParams::default()
            },
            pop_weight: 0.1,
            ..HybridParams::default()
        },
    )
    .unwrap();
    let mut out = vec![0.0; 5];
    h.score(0, &t.users[0], &mut out);
    assert!(out.iter().all(|v| v.is_finite()), "{out:?}");
    assert!(out[1] > out[2], "in-block item first: {out:?}");
}

#[test]
fn when_pruned_with_beta_should_demote_weights_towards_popular_items_before_choosing() {
    let knn = ItemItem::Knn(Arc::new(ItemKnnModel {
        neighbours: vec![vec![(1, 0.5), (2, 0.4)], vec![(0, 0.5)], vec![(0, 0.4)]],
    }));
    let popularity = [0.0, 99.0, 0.0];
    assert_eq!(knn.prune(1, &popularity, 0.0)[0], vec![(1, 0.5)]);
    let debiased = knn.prune(1, &popularity, 1.0);
    assert_eq!(
        debiased[0],
        vec![(2, 0.4)],
        "item 1's weight is divided by 100"
    );
    assert_eq!(
        knn.prune(2, &popularity, 1.0)[0],
        vec![(2, 0.4), (1, 0.005)]
    );
}
