//! Measuring whether recommendations sell (issue 12): experiments and their deterministic
//! assignment, and the statistics behind experiment reports. Exposures, attribution and the
//! report build on these.

pub mod assignment;
pub mod attribution;
pub mod stats;

pub use assignment::{
    assignment, check_layers, Experiment, ExperimentError, ExperimentVariant, Metric,
};
