//! The HTTP API: one router, served locally by the CLI and by Lambda on AWS. Request bodies
//! are parsed here (signal batches, profiles) and handed to the service as domain values.

mod bundles;
mod catalog_admin;
mod compact;
mod content;
mod context_params;
mod error;
mod http_cache;
mod identity;
mod images;
mod json_body;
mod measurement;
mod offers;
mod offline;
mod openapi;
mod profile;
mod profile_body;
mod request_limits;
mod routes;
mod signal_batch;
mod signals;
mod similar_by;
mod taste;
#[cfg(test)]
mod tests;
mod why;

pub use catalog_admin::{
    parse_product_patch, ProductPatch, ProductPatched, MAX_PRODUCT_PATCH_BYTES,
};
pub use error::ApiError;
pub use http_cache::{body_digest, CachePolicy, CATALOGUE_MAX_AGE_SECS, LIST_MAX_AGE_SECS};
pub use identity::{bearer_auth, permit, require_token};
pub use json_body::require_json;
pub use measurement::{parse_experiment, MAX_EXPERIMENT_BODY_BYTES};
pub use openapi::{openapi, ApiDoc, BEARER_AUTH};
pub use profile_body::{parse_profile, PrescriptionInput, ProfileBody, ProfileView};
pub use request_limits::{MAX_HEADERS, MAX_HEADER_BYTES, MAX_URI_BYTES};
pub use routes::{profile_router, router, with_api_fallbacks, RouteAccess, ROUTES};
pub use signal_batch::{
    authorize_signals, parse_signal_batch, SignalBatch, MAX_SIGNALS_PER_REQUEST,
    MAX_SIGNAL_BODY_BYTES,
};
pub use signals::{signal_routes, QueueSink, SignalSink};
