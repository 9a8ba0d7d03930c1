//! Domain types and their validation rules. No I/O here.

pub mod catalog;
pub mod catalog_delta;
pub mod context;
pub mod customer;
pub mod feeds;
#[cfg(test)]
mod feeds_tests;
pub mod lens;
pub mod lens_prices;
pub mod recommendation;
pub mod segment;
pub mod signal;

pub use catalog::*;
pub use catalog_delta::*;
pub use context::*;
pub use customer::*;
pub use feeds::*;
pub use lens::*;
pub use lens_prices::*;
pub use recommendation::*;
pub use segment::*;
pub use signal::*;
