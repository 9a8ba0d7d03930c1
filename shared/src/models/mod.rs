//! Learned collaborative models (popularity, item-kNN, implicit ALS, EASE, a recency-aware
//! hybrid), the offline evaluation protocols of `docs/evaluation.md`, and a versioned binary
//! artifact format so trained item-item models can serve through the engine.
//!
//! Everything works on dense indices: users and items are numbered in id order by
//! [`data::Dataset`], so sorting by index equals sorting by id.

pub mod als;
pub mod artifact;
pub mod content;
pub mod data;
pub mod ease;
pub mod embeddings;
pub mod eval;
pub mod folded_als;
pub mod hybrid;
pub mod knn;
pub mod metrics;
pub mod pop;
pub mod serving;
pub mod serving_embeddings;
pub mod serving_hybrid;
pub mod split;

pub use artifact::SparseItemModel;
pub use data::{Dataset, HistItem, Interaction, TrainData};
pub use embeddings::EmbeddingModel;
pub use serving::LearnedScorer;
pub use serving_embeddings::EmbeddingScorer;
pub use split::{Protocol, Split};

/// Errors of loading data, training and reading model artifacts.
#[derive(Debug, thiserror::Error)]
pub enum LearnError {
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    #[error("line {line}: {message}")]
    Parse { line: usize, message: String },
    #[error("no interactions to learn from")]
    Empty,
    #[error("linear algebra failed: {0}")]
    Linalg(String),
    #[error("invalid model artifact: {0}")]
    Artifact(String),
    #[error("unknown model: {0}")]
    UnknownModel(String),
}

/// A trained model that scores every item for one user of the training data.
pub trait Recommender: Send + Sync {
    /// Writes a score for every item into `out` (length = number of items). `history` is the
    /// user's training items in time order (oldest first); `user` is their training index.
    fn score(&self, user: u32, history: &[HistItem], out: &mut [f32]);
}
