//! Measuring whether recommendations sell (issue 12): experiments and their deterministic
//! assignment, last-touch attribution and metric cells, the statistics and the report.
//! Serving, the exposure path and the stores build on these.

pub mod assignment;
pub mod attribution;
pub mod counters;
pub mod emf;
pub mod report;
pub mod stats;

pub use assignment::{
    assignment, check_layers, Experiment, ExperimentError, ExperimentVariant, Metric,
};
pub use report::{report, ExperimentReport};
