//! Profile and lens-advice routes (optics). The profile and lens advice go to the shopper
//! or the shop's backend; the prescription itself (`?include=prescription`) only to its
//! owner. Lens advice carries edge thickness, decentration and index, from which the
//! prescription can be recomputed, so it is treated as the shopper's data too.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use chrono::Utc;

use super::error::{
    ApiError, BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthorized, Unavailable,
    UnsupportedMediaType,
};
use super::identity::{customer_path, permit};
use super::json_body::read_json_body;
use super::profile_body::{parse_profile, ProfileBody, ProfileView};
use super::routes::{query, Id, Params};
use crate::auth::{Action, Caller, CustomerAccess};
use crate::optics::lens::{LensDesign, LensRecommendation, LensRequest, LensUse};
use crate::service::{CustomerExport, ErasureReport, Framewise};

type AppState = Arc<Framewise>;

/// Largest profile body accepted.
pub const MAX_PROFILE_BODY_BYTES: usize = 64 * 1024;

/// The optics routes, merged into the main router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/customers/{customer_id}/profile",
            get(get_profile).put(put_profile).delete(delete_profile),
        )
        .route(
            "/v1/customers/{customer_id}/lens-recommendation",
            get(lens_recommendation),
        )
        .route("/v1/customers/{customer_id}", delete(erase_customer))
        .route("/v1/customers/{customer_id}/export", get(export_customer))
}

/// Replaces the shopper's profile and recomputes their list.
///
/// Every field is optional (absent or null clears it); the prescription is accepted as JSON
/// or in written notation, stored encrypted and redacted from the answer.
#[utoipa::path(put, path = "/v1/customers/{customer_id}/profile", tag = "profiles",
    security(("bearerAuth" = [])),
    params(("customer_id" = String, Path, description = "The shopper", pattern = "^[A-Za-z0-9_.:-]{1,128}$")),
    request_body = ProfileBody,
    responses(
        (status = 200, description = "The stored profile, prescription redacted", body = ProfileView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 503, response = Unavailable),
    ))]
pub(super) async fn put_profile(
    State(service): State<AppState>,
    caller: Caller,
    customer_id: Id,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let customer_id = customer_path(&caller, customer_id, CustomerAccess::Shopping)?;
    let bytes = read_json_body(&headers, body, MAX_PROFILE_BODY_BYTES, "a profile").await?;
    let customer = parse_profile(&customer_id, &bytes)?;
    let customer = service.put_profile(customer, Utc::now()).await?;
    Ok(Json(ProfileView::new(customer, false)).into_response())
}

/// The shopper's profile; the prescription only with `?include=prescription`, and only to
/// its owner.
#[utoipa::path(get, path = "/v1/customers/{customer_id}/profile", tag = "profiles",
    security(("bearerAuth" = [])),
    params(
        ("customer_id" = String, Path, description = "The shopper", pattern = "^[A-Za-z0-9_.:-]{1,128}$"),
        ("include" = Option<String>, Query, description = "`prescription` to include it (owner only)", pattern = "^(prescription)?$"),
    ),
    responses(
        (status = 200, description = "The profile", body = ProfileView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ))]
pub(super) async fn get_profile(
    State(service): State<AppState>,
    caller: Caller,
    customer_id: Id,
    params: Params,
) -> Result<Response, ApiError> {
    let customer_id = customer_path(&caller, customer_id, CustomerAccess::Shopping)?;
    let params = query(params)?;
    let include = match params.get("include").map(String::as_str) {
        None | Some("") => false,
        Some("prescription") => true,
        Some(_) => {
            return Err(ApiError::invalid(
                "include",
                "only 'prescription' is supported",
            ))
        }
    };
    if include {
        permit(
            &caller,
            Action::Customer(&customer_id, CustomerAccess::Prescription),
        )
        .map_err(|e| e.with_field("include"))?;
    }
    let customer = service.get_profile(&customer_id).await?;
    Ok(Json(ProfileView::new(customer, include)).into_response())
}

/// Deletes the shopper's profile and the prescription in it.
#[utoipa::path(delete, path = "/v1/customers/{customer_id}/profile", tag = "profiles",
    security(("bearerAuth" = [])),
    params(("customer_id" = String, Path, description = "The shopper", pattern = "^[A-Za-z0-9_.:-]{1,128}$")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ))]
pub(super) async fn delete_profile(
    State(service): State<AppState>,
    caller: Caller,
    customer_id: Id,
) -> Result<Response, ApiError> {
    let customer_id = customer_path(&caller, customer_id, CustomerAccess::Shopping)?;
    service.delete_profile(&customer_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Privacy-law erasure: everything stored about the shopper goes (profile, prescription,
/// history, lists, per-shopper aggregates; anonymous counts stay), and late signals or
/// lists of that shopper are refused for a while (see docs/dynamodb.md "Erasure").
/// Idempotent: erasing again reports zeros. The shopper or an admin only.
#[utoipa::path(delete, path = "/v1/customers/{customer_id}", tag = "profiles",
    security(("bearerAuth" = [])),
    params(("customer_id" = String, Path, description = "The shopper", pattern = "^[A-Za-z0-9_.:-]{1,128}$")),
    responses(
        (status = 200, description = "What was deleted (zeros when nothing was stored)", body = ErasureReport),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ))]
pub(super) async fn erase_customer(
    State(service): State<AppState>,
    caller: Caller,
    customer_id: Id,
) -> Result<Response, ApiError> {
    let customer_id = customer_path(&caller, customer_id, CustomerAccess::Privacy)?;
    let report = service.erase_customer(&customer_id).await?;
    tracing::info!(
        caller = %caller.describe(),
        deleted = report.deleted.total(),
        "shopper data erased"
    );
    Ok(Json(report).into_response())
}

/// Privacy-law data access: everything stored about the shopper in one JSON document,
/// the prescription in clear. The shopper or an admin only.
#[utoipa::path(get, path = "/v1/customers/{customer_id}/export", tag = "profiles",
    security(("bearerAuth" = [])),
    params(("customer_id" = String, Path, description = "The shopper", pattern = "^[A-Za-z0-9_.:-]{1,128}$")),
    responses(
        (status = 200, description = "Everything stored about the shopper", body = CustomerExport),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ))]
pub(super) async fn export_customer(
    State(service): State<AppState>,
    caller: Caller,
    customer_id: Id,
) -> Result<Response, ApiError> {
    let customer_id = customer_path(&caller, customer_id, CustomerAccess::Privacy)?;
    let export = service.export_customer(&customer_id, Utc::now()).await?;
    Ok(Json(export).into_response())
}

/// Lens advice for the shopper's prescription: index and material, design and coatings,
/// each with a reason, and with `style_id` the edge thickness in that frame's best size.
///
/// 404 when the shopper, their prescription or the style is unknown.
#[utoipa::path(get, path = "/v1/customers/{customer_id}/lens-recommendation", tag = "profiles",
    security(("bearerAuth" = [])),
    params(
        ("customer_id" = String, Path, description = "The shopper", pattern = "^[A-Za-z0-9_.:-]{1,128}$"),
        ("style_id" = Option<String>, Query, description = "Check the lens in this frame", pattern = "^[A-Za-z0-9_.:-]{1,128}$"),
        ("design" = Option<LensDesign>, Query, description = "Overrides the design chosen from the prescription and uses"),
        ("use" = Option<Vec<LensUse>>, Query, description = "How the glasses will be used, comma-separated", style = Form, explode = false),
        ("child" = Option<bool>, Query, description = "A child wears them (impact-resistant lenses)"),
    ),
    responses(
        (status = 200, description = "The lens advice", body = LensRecommendation),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ))]
pub(super) async fn lens_recommendation(
    State(service): State<AppState>,
    caller: Caller,
    customer_id: Id,
    params: Params,
) -> Result<Response, ApiError> {
    let customer_id = customer_path(&caller, customer_id, CustomerAccess::Shopping)?;
    let params = query(params)?;
    let design = match params.get("design").filter(|d| !d.is_empty()) {
        None => None,
        Some(d) => Some(
            serde_json::from_value::<LensDesign>(serde_json::Value::String(d.clone())).map_err(
                |_| {
                    ApiError::invalid(
                        "design",
                        "must be one of single_vision, progressive, office, bifocal, reader",
                    )
                },
            )?,
        ),
    };
    let mut uses = Vec::new();
    for u in params
        .get("use")
        .map(|u| u.split(',').filter(|x| !x.is_empty()).collect::<Vec<_>>())
        .unwrap_or_default()
    {
        uses.push(
            serde_json::from_value::<LensUse>(serde_json::Value::String(u.to_string())).map_err(
                |_| {
                    ApiError::invalid(
                        "use",
                        "each must be one of everyday, desk, near_only, driving, night_driving, outdoor, water, snow, sport",
                    )
                },
            )?,
        );
    }
    let child = match params.get("child").map(String::as_str) {
        None | Some("") | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(ApiError::invalid("child", "must be true or false")),
    };
    let style_id = params.get("style_id").filter(|s| !s.is_empty());
    let request = LensRequest {
        design,
        uses,
        child,
    };
    let advice = service
        .lens_recommendation(&customer_id, style_id.map(String::as_str), &request)
        .await?;
    Ok(Json(advice).into_response())
}

#[cfg(test)]
mod tests {
    use axum::http::{Method, Request};
    use http_body_util::BodyExt;
    use serde_json::{json, Value};
    use tower::ServiceExt;

    use super::*;
    use crate::adapters::memory_stores;
    use crate::demo::{self, DemoConfig};
    use crate::service::ServiceConfig;

    async fn service() -> Arc<Framewise> {
        let data = demo::generate(&DemoConfig {
            customers: 5,
            ..DemoConfig::small()
        });
        let service = Framewise::open(memory_stores(), ServiceConfig::default())
            .await
            .unwrap();
        service.import_styles(&data.styles).await.unwrap();
        Arc::new(service)
    }

    async fn call(
        service: &Arc<Framewise>,
        method: Method,
        uri: &str,
        body: &str,
    ) -> (StatusCode, Value) {
        // The owner of the path's customer id calls (access rules: api/tests.rs).
        let owner = uri.split('/').nth(3).map(str::to_string);
        let caller = Caller::Authenticated(crate::auth::Principal::new(
            owner,
            Default::default(),
            &crate::auth::AuthConfig::default(),
        ));
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json")
            .extension(caller)
            .body(Body::from(body.to_string()))
            .unwrap();
        let response = crate::api::router(service.clone())
            .oneshot(request)
            .await
            .unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    const PROFILE: &str = r#"{"face_shape":"round","undertone":"warm","colour_season":"autumn",
        "prescription":{"od":{"sph":-2.25,"cyl":-0.75,"axis":180,"add":2.0},
                        "os":{"sph":-2.0,"cyl":-0.5,"axis":170,"add":2.0},"pd":63}}"#;

    #[tokio::test]
    async fn when_profile_put_should_redact_prescription_unless_included() {
        let s = service().await;
        let (status, body) = call(&s, Method::PUT, "/v1/customers/c1/profile", PROFILE).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["prescription_on_file"], json!(true));
        assert!(body.get("prescription").is_none());
        let (status, body) = call(&s, Method::GET, "/v1/customers/c1/profile", "").await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.get("prescription").is_none(), "{body}");
        assert!(!body.to_string().contains("-2.25"));
        let (_, body) = call(
            &s,
            Method::GET,
            "/v1/customers/c1/profile?include=prescription",
            "",
        )
        .await;
        assert_eq!(body["prescription"]["od"]["sph"], json!(-2.25));
        // The list was recomputed and carries lens advice on its items.
        let (status, body) = call(
            &s,
            Method::GET,
            "/v1/customers/c1/recommendations?limit=3",
            "",
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["source"], json!("precomputed"));
        let items = body["items"].as_array().unwrap();
        assert!(!items.is_empty());
        assert!(
            items
                .iter()
                .all(|i| i["lens"]["design"] == json!("progressive")),
            "{body}"
        );
        let (status, _) = call(&s, Method::DELETE, "/v1/customers/c1/profile", "").await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = call(&s, Method::GET, "/v1/customers/c1/profile", "").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn when_any_profile_field_is_bad_should_answer_400_naming_it() {
        let s = service().await;
        let cases = [
            (r#"{"age_band":"ancient"}"#, "age_band"),
            (r#"{"face_shape":"pear"}"#, "face_shape"),
            (
                r#"{"face_measurements":{"face_width":500,"face_length":190}}"#,
                "face_measurements.face_width",
            ),
            (
                r#"{"face_measurements":{"face_width":140}}"#,
                "face_measurements",
            ),
            (r#"{"undertone":"green"}"#, "undertone"),
            (r#"{"colour_season":"monsoon"}"#, "colour_season"),
            (
                r#"{"preferences":{"max_price_cents":-5}}"#,
                "preferences.max_price_cents",
            ),
            (
                r#"{"prescription":"OD -2.13 OS -2.00 PD 63"}"#,
                "prescription.od.sph",
            ),
            (
                r#"{"prescription":"OD -2.00 -1.00 OS -2.00 PD 63"}"#,
                "prescription.od.axis",
            ),
            (
                r#"{"prescription":"OD -2.00 OS -2.00 x 90 PD 63"}"#,
                "prescription.os.axis",
            ),
            (
                r#"{"prescription":"OD -2.00 add 5 OS -2.00 PD 63"}"#,
                "prescription.od.add",
            ),
            (
                r#"{"prescription":"OD -2.00 OS -2.00 PD 120"}"#,
                "prescription.pd",
            ),
            (
                r#"{"prescription":{"od":{"sph":-1,"cyl":-7,"axis":90},"os":{"sph":-1},"pd":63}}"#,
                "prescription.od.cyl",
            ),
            (
                r#"{"prescription":{"od":{"sph":-1,"prism":{"amount":20,"base":"IN"}},"os":{"sph":-1},"pd":63}}"#,
                "prescription.od.prism.amount",
            ),
            (
                r#"{"prescription":{"od":{"sph":-1},"os":{"sph":-1},"pd":63,"fitting_height":80}}"#,
                "prescription.fitting_height",
            ),
            (r#"{"shoe_size":42}"#, "shoe_size"),
            ("not json", "body"),
        ];
        for (body, field) in cases {
            let (status, answer) = call(&s, Method::PUT, "/v1/customers/c2/profile", body).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
            let fields: Vec<&str> = answer["error"]["details"]
                .as_array()
                .map(|d| d.iter().filter_map(|f| f["field"].as_str()).collect())
                .unwrap_or_default();
            assert!(
                fields.contains(&field),
                "{body}: expected {field} in {answer}"
            );
        }
        let (status, _) = call(
            &s,
            Method::GET,
            "/v1/customers/c2/profile?include=everything",
            "",
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn when_lens_advice_requested_should_check_the_frame_and_validate_params() {
        let s = service().await;
        call(&s, Method::PUT, "/v1/customers/c3/profile", PROFILE).await;
        let style = s
            .engine()
            .styles()
            .find(|st| st.is_available())
            .unwrap()
            .id
            .clone();
        let (status, body) = call(
            &s,
            Method::GET,
            &format!("/v1/customers/c3/lens-recommendation?style_id={style}&use=driving"),
            "",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["design"], json!("progressive"));
        assert!(body["frame"]["thickness"]["edge"].as_f64().unwrap() > 0.0);
        assert!(body["treatments"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["reason"].is_string()));
        for (query, field) in [
            ("design=trifocal", "design"),
            ("use=skydiving", "use"),
            ("child=maybe", "child"),
            ("style_id=bad%20id", "style_id"),
        ] {
            let (status, body) = call(
                &s,
                Method::GET,
                &format!("/v1/customers/c3/lens-recommendation?{query}"),
                "",
            )
            .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
            assert_eq!(body["error"]["field"], json!(field), "{body}");
        }
        let (status, _) = call(
            &s,
            Method::GET,
            "/v1/customers/c3/lens-recommendation?style_id=nope",
            "",
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        call(
            &s,
            Method::PUT,
            "/v1/customers/c4/profile",
            r#"{"undertone":"cool"}"#,
        )
        .await;
        let (status, _) = call(&s, Method::GET, "/v1/customers/c4/lens-recommendation", "").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "no prescription on file");
    }
}
