//! HTTP: one router per resource, merged here with the OpenAPI document they describe.

pub mod activities;
pub mod admin;
pub mod appeals;
pub mod attendance;
pub mod audit;
pub mod auth;
pub mod clinic;
pub mod complaints;
pub mod console;
pub mod console_assets;
pub mod dashboard;
pub mod device_moves;
pub mod extract;
pub mod filings;
pub mod forwarded;
pub(crate) mod inline_page;
pub mod inspection_plans;
pub mod inspections;
pub mod kiosk;
pub mod limits;
pub mod metrics;
pub mod mobile;
pub mod openapi;
pub mod photo_reviews;
pub mod photos;
pub mod promotion;
pub mod reports;
pub mod service;
pub mod sites;
pub mod supervision;
pub mod surveys;
pub mod ui_config;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Xiaxiang",
        description = "Geofenced check-in for physician outreach (医师下基层 / 对口支援). \
                       Errors are application/problem+json with a stable `code`.",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    components(schemas(mobile_api::Problem)),
    tags(
        (name = "service", description = "Health, readiness, this document"),
        (name = "auth", description = "Login, refresh, logout"),
        (name = "administration", description = "Jurisdictions, organizations, users, programs, assignments, kiosks"),
        (name = "attendance", description = "Check-in, check-out, a physician's own visits and progress"),
        (name = "kiosk", description = "Rotating codes for a clinic's wall screen; printable daily codes"),
        (name = "supervision", description = "Anomaly review and visit listings for supervisors and admins, scoped to their jurisdiction"),
        (name = "reports", description = "Monthly workload, compliance, county statistics and service records as JSON, CSV or XLSX"),
        (name = "filings", description = "The reporting calendar (报表报送) and reports filed, reviewed and amended with a frozen copy"),
        (name = "surveys", description = "Satisfaction survey rounds (满意度测评): people served, the seeded draw, calls and the report"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Every documented route, with the document built from them.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(service::router())
        .merge(auth::router())
        .merge(admin::router())
        .merge(activities::router())
        .merge(attendance::router())
        .merge(audit::router())
        .merge(inspections::router())
        .merge(inspection_plans::router())
        .merge(kiosk::router())
        .merge(metrics::router())
        .merge(reports::router())
        .merge(filings::router())
        .merge(dashboard::router())
        .merge(device_moves::router())
        .merge(supervision::router())
        .merge(sites::router())
        .merge(ui_config::router())
        .merge(clinic::router())
        .merge(appeals::router())
        .merge(photos::router())
        .merge(complaints::router())
        .merge(promotion::router())
        .merge(surveys::router())
        .merge(photo_reviews::router())
        // A page for the wall screen, not part of the API document.
        .route("/kiosk", axum::routing::get(kiosk::page))
        // The supervisor console page and its one private helper; not in the API document either.
        .merge(console::router())
        // The physician's mobile page at /m/ and its vendored QR decoder; not in the API document.
        .merge(mobile::router())
}

/// The OpenAPI document as served at `/api/v1/openapi.json`.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    api_router_and_document().1
}

/// The routes and their finished document: what the routes declare, plus the answers
/// every operation of a kind can give ([`openapi::CommonResponses`]).
pub fn api_router_and_document() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut document) = api_router().split_for_parts();
    openapi::CommonResponses.modify(&mut document);
    (router, document)
}

/// Paging lives in `service::page` so that use cases validate it too; the handlers
/// name it from here.
pub use crate::service::page::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageRequest};
