//! Admin routes of the measurement loop: online metrics per cell, and experiments (create,
//! list, stop, report). Every route needs the admin scope.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{NaiveDate, Utc};

use super::error::{
    ApiError, BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthorized, Unavailable,
    UnsupportedMediaType,
};
use super::identity::permit;
use super::json_body::read_json_body;
use super::routes::{path_id, query, Id, Params};
use crate::auth::{Action, Caller};
use crate::experiments::{Experiment, ExperimentReport};
use crate::service::{Framewise, MetricsQuery, MetricsReport};

type AppState = Arc<Framewise>;

/// Largest experiment body accepted.
pub const MAX_EXPERIMENT_BODY_BYTES: usize = 64 * 1024;

/// Fields an experiment body may carry; anything else is named as unknown (kept here, not
/// as `deny_unknown_fields` on the stored type, so a newer version's records still decode).
const EXPERIMENT_FIELDS: &[&str] = &[
    "id",
    "placement",
    "variants",
    "primary_metric",
    "guardrails",
    "start",
    "stop",
    "traffic",
    "salt",
];
const VARIANT_FIELDS: &[&str] = &["name", "share", "settings"];

/// The measurement routes, merged into the main router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/metrics", get(metrics))
        .route(
            "/v1/experiments",
            get(list_experiments).post(create_experiment),
        )
        .route(
            "/v1/experiments/{experiment_id}/stop",
            post(stop_experiment),
        )
        .route(
            "/v1/experiments/{experiment_id}/report",
            get(experiment_report),
        )
}

fn day(value: Option<&String>, field: &str) -> Result<Option<NaiveDate>, ApiError> {
    value
        .filter(|v| !v.is_empty())
        .map(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map_err(|_| ApiError::invalid(field, "must be a day as YYYY-MM-DD"))
        })
        .transpose()
}

/// Online metrics per placement, variant, model version and day (attributed actions count
/// on the day they happened), with their totals.
#[utoipa::path(get, path = "/v1/metrics", tag = "measurement",
    security(("bearerAuth" = [])),
    params(
        ("from" = Option<String>, Query, description = "First day (YYYY-MM-DD); default 6 days before `to`"),
        ("to" = Option<String>, Query, description = "Last day (YYYY-MM-DD); default today (UTC)"),
        ("placement" = Option<String>, Query, description = "Only this placement"),
        ("variant" = Option<String>, Query, description = "Only this `experiment/variant`, or `none` for lists outside experiments"),
    ),
    responses(
        (status = 200, description = "Metrics per cell", body = MetricsReport),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ))]
pub(super) async fn metrics(
    State(service): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Response, ApiError> {
    permit(&caller, Action::Admin)?;
    let params = query(params)?;
    let non_empty = |name: &str| params.get(name).filter(|v| !v.is_empty()).cloned();
    let query = MetricsQuery {
        from: day(params.get("from"), "from")?,
        to: day(params.get("to"), "to")?,
        placement: non_empty("placement"),
        variant: non_empty("variant"),
    };
    Ok(Json(service.metrics(query, Utc::now()).await?).into_response())
}

/// Every experiment, running or not.
#[utoipa::path(get, path = "/v1/experiments", tag = "measurement",
    security(("bearerAuth" = [])),
    responses(
        (status = 200, description = "The experiments, ordered by id", body = Vec<Experiment>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ))]
pub(super) async fn list_experiments(
    State(service): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    permit(&caller, Action::Admin)?;
    Ok(Json(service.experiments().await?).into_response())
}

/// Creates or replaces an experiment. Refused (naming the field) when a variant changes
/// anything but `[engine]` keys, shares are not positive, or another experiment runs on the
/// same placement at the same time.
#[utoipa::path(post, path = "/v1/experiments", tag = "measurement",
    security(("bearerAuth" = [])),
    request_body = Experiment,
    responses(
        (status = 201, description = "The experiment as stored", body = Experiment),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 503, response = Unavailable),
    ))]
pub(super) async fn create_experiment(
    State(service): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    permit(&caller, Action::Admin)?;
    let bytes = read_json_body(&headers, body, MAX_EXPERIMENT_BODY_BYTES, "an experiment").await?;
    let experiment = parse_experiment(&bytes)?;
    let stored = service.create_experiment(experiment).await?;
    Ok((StatusCode::CREATED, Json(stored)).into_response())
}

/// An experiment from a JSON body, naming the first unknown or malformed field.
pub fn parse_experiment(bytes: &[u8]) -> Result<Experiment, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::invalid("body", format!("not valid JSON: {e}")))?;
    let Some(fields) = value.as_object() else {
        return Err(ApiError::invalid("body", "must be a JSON object"));
    };
    if let Some(key) = fields
        .keys()
        .find(|k| !EXPERIMENT_FIELDS.contains(&k.as_str()))
    {
        return Err(ApiError::invalid(key.clone(), "unknown field"));
    }
    let variants = fields.get("variants").and_then(|v| v.as_array());
    for (i, variant) in variants.into_iter().flatten().enumerate() {
        let keys = variant.as_object().into_iter().flat_map(|v| v.keys());
        if let Some(key) = keys
            .into_iter()
            .find(|k| !VARIANT_FIELDS.contains(&k.as_str()))
        {
            return Err(ApiError::invalid(
                format!("variants[{i}].{key}"),
                "unknown field",
            ));
        }
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let field = e.path().to_string();
        ApiError::invalid(field, e.into_inner().to_string())
    })
}

/// Stops an experiment now: its shoppers get the default lists from the next experiment
/// refresh on, and its report keeps counting purchases for one purchase window.
#[utoipa::path(post, path = "/v1/experiments/{experiment_id}/stop", tag = "measurement",
    security(("bearerAuth" = [])),
    params(("experiment_id" = String, Path, description = "The experiment", pattern = "^[A-Za-z0-9_.:-]{1,64}$")),
    responses(
        (status = 200, description = "The stopped experiment", body = Experiment),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ))]
pub(super) async fn stop_experiment(
    State(service): State<AppState>,
    caller: Caller,
    experiment_id: Id,
) -> Result<Response, ApiError> {
    permit(&caller, Action::Admin)?;
    let id = path_id(experiment_id, "experiment_id")?;
    Ok(Json(service.stop_experiment(&id, Utc::now()).await?).into_response())
}

/// Per-variant estimates with intervals, the primary metric and guardrails against the
/// first variant (the control), the sample-ratio check and the minimum detectable effect.
#[utoipa::path(get, path = "/v1/experiments/{experiment_id}/report", tag = "measurement",
    security(("bearerAuth" = [])),
    params(("experiment_id" = String, Path, description = "The experiment", pattern = "^[A-Za-z0-9_.:-]{1,64}$")),
    responses(
        (status = 200, description = "The report", body = ExperimentReport),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ))]
pub(super) async fn experiment_report(
    State(service): State<AppState>,
    caller: Caller,
    experiment_id: Id,
) -> Result<Response, ApiError> {
    permit(&caller, Action::Admin)?;
    let id = path_id(experiment_id, "experiment_id")?;
    Ok(Json(service.experiment_report(&id, Utc::now()).await?).into_response())
}
