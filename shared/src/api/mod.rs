//! The HTTP API: one router, served locally by the CLI and by Lambda on AWS.

mod error;
mod profile;
mod routes;

pub use error::ApiError;
pub use routes::router;
