//! Framewise: personalized eyewear recommendations. The layers and the direction of imports
//! are in `docs/architecture.md` (and enforced by `tests/architecture.rs`).
//!
//! - [`domain`]: catalogue, customers, signals and lists, with validation.
//! - [`engine`]: candidate generation, scoring, filters, diversity and reasons.
//! - [`aggregates`]: the signal aggregates and the rules of applying a signal to them.
//! - [`ports`]: the storage and messaging traits; [`adapters`] implement them.
//! - [`sealing`]: envelope encryption of health data at rest (local key file or KMS).
//! - [`service`]: the use cases over the ports, one file each (lists, signals, regeneration,
//!   models, catalogue, profiles) with the deployment's [`service::ServiceConfig`].
//! - [`models`]: learned collaborative models (ALS, EASE, hybrid) and offline evaluation.
//! - [`render`]: frame pictures (SVG front views, rasterised to PNG) drawn from catalogue data.
//! - [`api`]: the HTTP router, served locally by the CLI and on AWS by Lambda.

pub mod adapters;
pub mod aggregates;
pub mod api;
pub mod auth;
pub mod demo;
pub mod domain;
pub mod engine;
pub mod error;
pub mod experiments;
pub mod imaging;
pub mod import;
pub mod models;
pub mod optics;
pub mod ports;
pub mod render;
pub mod sealing;
pub mod service;
pub mod simulation;
