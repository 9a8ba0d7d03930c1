//! The OpenAPI 3.1 document of the API, served at `GET /openapi.json`. It is assembled from
//! the handlers' `#[utoipa::path]` annotations (path, parameters, body, every status with its
//! schema, bearer security on token routes) and the `ToSchema` derives of the types they
//! answer with, so it changes with the code. `api/tests/openapi.rs` checks it against
//! [`super::ROUTES`] and validates real answers against it.
//!
//! A new route: `#[utoipa::path(...)]` on its handler (with `security(("bearerAuth" = []))`
//! when it is a token route), the handler in `paths(...)` below, the route in `ROUTES`.

use std::sync::LazyLock;

use axum::response::{IntoResponse, Response};
use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::compact::View;
use super::error::{
    BadRequest, ErrorBody, Forbidden, InvalidToken, NotFound, PayloadTooLarge, Unauthorized,
    Unavailable, UnsupportedMediaType,
};
use super::http_cache::{CacheHeaders, NotModified};
use super::images::PictureCacheHeader;
use super::similar_by::SimilarBy;
use super::{
    bundles, catalog_admin, content, images, measurement, offers, offline, profile, routes,
    signals, taste, why,
};
use crate::optics::lens::LensUse;

/// The security scheme token routes require (`security(("bearerAuth" = []))`).
pub const BEARER_AUTH: &str = "bearerAuth";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Framewise",
        description = "Eyewear recommendations: shopper lists, catalogue reads, interaction \
            signals, profiles and lens advice.\n\n\
            Customer routes need `Authorization: Bearer <JWT>` (`bearerAuth`): the shopper's own \
            token or the shop's backend (scope `framewise/service`). Public routes need none, \
            but a token that is sent and does not verify is refused with 401 everywhere.\n\n\
            Every error is `application/json` of the one `ErrorBody` shape. A path that is not \
            listed here answers 404 `not_found`; another method on a listed path answers 405 \
            `method_not_allowed`."
    ),
    paths(
        routes::health,
        routes::liveness,
        openapi_json,
        routes::recommendations,
        routes::session_recommendations,
        routes::product,
        catalog_admin::patch_product,
        routes::similar,
        routes::also_bought,
        images::product_image_svg,
        images::product_image_png,
        routes::trending,
        signals::signals,
        signals::session_signals,
        profile::put_profile,
        profile::get_profile,
        profile::delete_profile,
        profile::lens_recommendation,
        profile::erase_customer,
        profile::export_customer,
        offline::offline_bundle,
        why::why,
        content::content_page,
        taste::customer_taste,
        bundles::customer_bundles,
        offers::customer_offers,
        measurement::metrics,
        measurement::list_experiments,
        measurement::create_experiment,
        measurement::stop_experiment,
        measurement::experiment_report,
    ),
    // utoipa collects the schemas of bodies, not of parameters: a type only a query
    // parameter names (`use`) is listed here, as is the error body the responses name.
    components(
        schemas(ErrorBody, LensUse, View, SimilarBy),
        responses(
            NotModified,
            BadRequest,
            Unauthorized,
            InvalidToken,
            Forbidden,
            NotFound,
            PayloadTooLarge,
            UnsupportedMediaType,
            Unavailable
        )
    ),
    modifiers(&BearerAuthScheme, &CacheHeaders, &PictureCacheHeader),
    tags(
        (name = "recommendations", description = "Shopper and session lists"),
        (name = "catalogue", description = "Products, similar, also-bought and trending frames"),
        (name = "signals", description = "Interaction signals, queued durably before the 202"),
        (name = "profiles", description = "Face, colouring, preferences, prescription and lens advice"),
        (name = "measurement", description = "Online metrics and A/B experiments (admin)"),
        (name = "service", description = "Health and this document"),
    )
)]
pub struct ApiDoc;

/// Declares the `bearerAuth` scheme the token routes name.
struct BearerAuthScheme;

impl Modify for BearerAuthScheme {
    fn modify(&self, document: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(
                "A JWT of the shop's identity provider (or `framewise token` locally); the \
                 customer claim names the shopper, scopes grant service or admin access",
            ))
            .build();
        document
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(BEARER_AUTH, SecurityScheme::Http(scheme));
    }
}

/// Built once: the document only changes with the code.
static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(ApiDoc::openapi);

/// The OpenAPI 3.1 document of the API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    DOCUMENT.clone()
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "service",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document of this API", body = Object),
        (status = 401, response = InvalidToken),
    ))]
pub(super) async fn openapi_json() -> Response {
    Json(&*DOCUMENT).into_response()
}
