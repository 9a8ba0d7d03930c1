//! Measuring whether recommendations sell: the statistics behind experiment reports
//! (issue 12). Assignment, exposures and attribution build on these.

pub mod stats;
