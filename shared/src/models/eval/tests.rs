//! Tuning rules: validation only, and never below popularity on validation.

use super::*;
use crate::models::data::{HistItem, Interaction};

/// 40 users over 30 items in three taste blocks, 7 items each in time order, with a few
/// best sellers everyone shares, so popularity is a real competitor.
fn interactions() -> Vec<Interaction> {
    let mut xs = Vec::new();
    for u in 0..40u32 {
        let block = (u % 3) * 8;
        let mut items: Vec<u32> = (0..5).map(|k| block + (u / 3 + k) % 8).collect();
        items.extend([24 + u % 2, 27 + u % 3]);
        for (t, item) in items.into_iter().enumerate() {
            xs.push(Interaction {
                user: u,
                item,
                ts: (u as i64) * 10 + t as i64 * 86_400,
                weight: 1.0,
            });
        }
    }
    xs
}

fn validation_value(params: Params, split: &Split, protocol: Protocol) -> f64 {
    let valid = split.validation(protocol);
    let train = TrainData::new(valid.n_users, valid.n_items, &valid.train, None);
    let model = fit(&params, &train).unwrap();
    primary(&score_split(model.as_ref(), &train, &valid).0, protocol)
}

#[test]
fn when_hybrid_or_embeddings_are_tuned_should_never_score_below_popularity_on_validation() {
    for (kind, protocol) in [
        (ModelKind::Hybrid, Protocol::LeaveLastOut),
        (ModelKind::Hybrid, Protocol::Temporal),
        (ModelKind::Embeddings, Protocol::LeaveLastOut),
        (ModelKind::Embeddings, Protocol::Temporal),
    ] {
        let split = Split::new(40, 30, &interactions(), protocol);
        let (chosen, trials) = tune(kind, &split, protocol, None).unwrap();
        assert!(
            trials
                .iter()
                .any(|(d, _)| d.contains("pop_w=1 ") || d.ends_with("pop_w=1")),
            "popularity alone must be in the grid"
        );
        let blend = validation_value(chosen, &split, protocol);
        let pop = validation_value(Params::Pop, &split, protocol);
        assert!(
            blend >= pop - 1e-12,
            "{kind:?} {protocol:?}: blend {blend} < pop {pop}"
        );
    }
}

#[test]
fn when_tuning_should_not_read_the_test_items() {
    let protocol = Protocol::LeaveLastOut;
    let split = Split::new(40, 30, &interactions(), protocol);
    let mut scrambled = split.clone();
    for (u, test) in scrambled.test.iter_mut().enumerate() {
        if !test.is_empty() {
            *test = vec![(u % 30) as u32];
        }
    }
    let a = tune(ModelKind::Hybrid, &split, protocol, None).unwrap();
    let b = tune(ModelKind::Hybrid, &scrambled, protocol, None).unwrap();
    assert_eq!(a.0, b.0);
    assert_eq!(
        a.1, b.1,
        "the trials' validation values depend on training only"
    );
}

#[test]
fn when_served_engine_is_tuned_should_never_score_below_its_crowd_terms_alone_on_validation() {
    let protocol = Protocol::Temporal;
    let split = Split::new(40, 30, &interactions(), protocol);
    let (chosen, trials) = tune(ModelKind::Served, &split, protocol, None).unwrap();
    let crowd = trials
        .iter()
        .find(|(d, _)| d.contains("collaborative=0 "))
        .expect("the crowd terms alone are in the grid")
        .1;
    let served = validation_value(chosen, &split, protocol);
    assert!(served >= crowd - 1e-12, "served {served} < crowd {crowd}");
}

#[test]
fn when_served_engine_scores_a_block_shopper_should_rank_their_block_above_the_best_sellers() {
    let train = TrainData::new(40, 30, &interactions(), None);
    let top = |params: ServedParams| -> Vec<u32> {
        let engine = served::ServedEngine::fit(&train, &params).unwrap();
        // A new shopper who put two items of the first block in their cart.
        let history = [0u32, 1].map(|item| HistItem {
            item,
            weight: 1.0,
            ts: item as i64 * 86_400,
        });
        let mut out = vec![0.0f32; 30];
        engine.score(999, &history, &mut out);
        let mut ranked: Vec<u32> = (2..30).collect();
        ranked.sort_by(|a, b| out[*b as usize].total_cmp(&out[*a as usize]));
        ranked.truncate(3);
        ranked
    };
    let personal = top(ServedParams {
        crowd: 0.0,
        ..ServedParams::default()
    });
    // Item 27 is the best seller only the first block's shoppers buy: a true neighbour.
    assert!(
        personal.iter().all(|i| *i < 8 || *i == 27),
        "the first block: {personal:?}"
    );
    assert!(
        personal.iter().filter(|i| **i < 8).count() >= 2,
        "{personal:?}"
    );
    let crowd = top(ServedParams {
        collaborative: 0.0,
        ..ServedParams::default()
    });
    assert!(
        crowd.iter().all(|i| *i >= 24),
        "the best sellers: {crowd:?}"
    );
}
