//! Domain types and their validation rules. No I/O here.

pub mod catalog;
pub mod context;
pub mod customer;
pub mod lens;
pub mod recommendation;
pub mod signal;

pub use catalog::*;
pub use context::*;
pub use customer::*;
pub use lens::*;
pub use recommendation::*;
pub use signal::*;
