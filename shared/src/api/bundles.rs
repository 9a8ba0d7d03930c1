//! `GET /v1/customers/{customer_id}/bundles`: frames with the lenses made for them, priced
//! ([`Framewise::bundles`]). Lens packages carry thickness in the shopper's frames, from which
//! the prescription could be estimated, so like lens advice the answer is the shopper's data:
//! owner or service token, and only the client's own cache may keep it.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::Utc;

use super::error::{ApiError, BadRequest, Forbidden, NotFound, Unauthorized, Unavailable};
use super::http_cache::{cached_json, CachePolicy, NotModified};
use super::identity::customer_path;
use super::routes::{limit, query, Id, Params};
use crate::auth::{Caller, CustomerAccess};
use crate::service::{BundleQuery, CustomerBundles, Framewise};

type AppState = Arc<Framewise>;

/// The bundles route, merged into the main router.
pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/customers/{customer_id}/bundles", get(customer_bundles))
}

/// Complete bundles: each frame's SKU in the size that fits, the lens package the lens
/// advice chooses for that frame (index, design, coatings) with its reason, the bundle
/// price, and the lenses one index step up (thinner) and down (cheaper).
///
/// With `style_id`, one bundle for that frame (a product page); without it, bundles of the
/// shopper's list ranked by expected value (relevance x fit x price match), not by price.
/// A shopper without a prescription gets frame-only bundles (`with_lenses: false`). A lens
/// option the price list does not price makes the lens price unavailable, never guessed.
///
/// 404 for an unknown shopper or style.
#[utoipa::path(get, path = "/v1/customers/{customer_id}/bundles", tag = "recommendations",
    security(("bearerAuth" = [])),
    params(
        ("customer_id" = String, Path, description = "The shopper", pattern = "^[A-Za-z0-9_.:-]{1,128}$"),
        ("style_id" = Option<String>, Query, description = "One frame's bundle (a product page)", pattern = "^[A-Za-z0-9_.:-]{1,128}$"),
        ("limit" = Option<u32>, Query, description = "Most bundles (default 12, most 100)", minimum = 1, maximum = 100),
    ),
    responses(
        (status = 200, description = "The bundles, highest expected value first", body = CustomerBundles),
        (status = 304, response = NotModified),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ))]
pub(super) async fn customer_bundles(
    State(service): State<AppState>,
    caller: Caller,
    customer_id: Id,
    params: Params,
) -> Result<Response, ApiError> {
    let customer_id = customer_path(&caller, customer_id, CustomerAccess::Shopping)?;
    let params = query(params)?;
    let query = BundleQuery {
        style_id: params.get("style_id").filter(|s| !s.is_empty()).cloned(),
        limit: limit(&params)?,
    };
    let bundles = service.bundles(&customer_id, query, Utc::now()).await?;
    cached_json(CachePolicy::ShopperList, &bundles)
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use serde_json::Value;
    use tower::ServiceExt;

    use crate::adapters::memory_stores;
    use crate::auth::{Caller, Principal};
    use crate::demo::{self, DemoConfig};
    use crate::service::{Framewise, ServiceConfig};

    async fn call(app: &axum::Router, uri: &str, caller: Option<Caller>) -> (StatusCode, Value) {
        let mut request = Request::get(uri).body(Body::empty()).expect("request");
        if let Some(caller) = caller {
            request.extensions_mut().insert(caller);
        }
        let response = app.clone().oneshot(request).await.expect("answer");
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    fn shopper(id: &str) -> Caller {
        let config = crate::auth::AuthConfig::default();
        Caller::Authenticated(Principal::new(
            Some(id.to_string()),
            Default::default(),
            &config,
        ))
    }

    #[tokio::test]
    async fn when_owner_asks_should_answer_bundles_and_refuse_strangers() {
        let data = demo::generate(&DemoConfig {
            customers: 12,
            ..DemoConfig::small()
        });
        let service = Framewise::open(memory_stores(), ServiceConfig::default())
            .await
            .expect("service");
        service.import_styles(&data.styles).await.expect("styles");
        service
            .import_customers(&data.customers)
            .await
            .expect("customers");
        service
            .import_lens_prices(&demo::demo_lens_prices())
            .await
            .expect("prices");
        let strong = data
            .customers
            .iter()
            .find(|c| {
                c.prescription
                    .as_ref()
                    .is_some_and(|rx| rx.max_meridian_power() >= 6.0)
            })
            .expect("a strong prescription among the storefront shoppers")
            .id
            .clone();
        let app = crate::api::router(std::sync::Arc::new(service));
        let uri = format!("/v1/customers/{strong}/bundles?limit=3");

        let (status, body) = call(&app, &uri, Some(shopper(&strong))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["with_lenses"], Value::Bool(true));
        let bundles = body["bundles"].as_array().expect("bundles");
        assert!(!bundles.is_empty() && bundles.len() <= 3, "{body}");
        let first = &bundles[0];
        assert!(
            first["lens"]["index"].as_f64().is_some_and(|i| i >= 1.6),
            "{first}"
        );
        assert!(first["price"]["total_cents"].as_u64().is_some(), "{first}");
        assert!(first["alternatives"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["step"] == "up" || x["step"] == "down")));
        // Never the prescription itself in the answer.
        let text = body.to_string();
        assert!(
            !text.contains("\"sph\"") && !text.contains("-6.0"),
            "{body}"
        );

        let (status, body) = call(&app, &uri, Some(shopper("cu-99999"))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        let (status, _) = call(&app, &uri, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let bad = format!("/v1/customers/{strong}/bundles?limit=zero");
        let (status, body) = call(&app, &bad, Some(shopper(&strong))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"]["field"], Value::String("limit".to_string()));
        let unknown = format!("/v1/customers/{strong}/bundles?style_id=nope");
        let (status, _) = call(&app, &unknown, Some(shopper(&strong))).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}
