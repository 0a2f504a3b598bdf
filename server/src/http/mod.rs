//! HTTP: one router per resource, merged here with the OpenAPI document they describe.

pub mod activities;
pub mod admin;
pub mod attendance;
pub mod audit;
pub mod auth;
pub mod console;
pub mod console_assets;
pub mod dashboard;
pub mod extract;
pub mod forwarded;
pub(crate) mod inline_page;
pub mod inspections;
pub mod kiosk;
pub mod limits;
pub mod metrics;
pub mod mobile;
pub mod reports;
pub mod service;
pub mod sites;
pub mod supervision;
pub mod ui_config;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mobile_api::Page;
use mobile_api::page::PageQuery;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::error::ApiError;
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
        .merge(kiosk::router())
        .merge(metrics::router())
        .merge(reports::router())
        .merge(dashboard::router())
        .merge(supervision::router())
        .merge(sites::router())
        .merge(ui_config::router())
        // A page for the wall screen, not part of the API document.
        .route("/kiosk", axum::routing::get(kiosk::page))
        // The supervisor console page and its one private helper; not in the API document either.
        .merge(console::router())
        // The physician's mobile page at /m/ and its vendored QR decoder; not in the API document.
        .merge(mobile::router())
}

/// The OpenAPI document as served at `/api/v1/openapi.json`.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    api_router().into_openapi()
}

/// Validated `?limit=&cursor=`.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub limit: u32,
    /// The key of the last item of the previous page.
    pub after: Option<String>,
}

pub const DEFAULT_PAGE_SIZE: u32 = 50;
pub const MAX_PAGE_SIZE: u32 = 500;

impl TryFrom<PageQuery> for PageRequest {
    type Error = ApiError;

    fn try_from(query: PageQuery) -> Result<Self, ApiError> {
        let limit = query.limit.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=MAX_PAGE_SIZE).contains(&limit) {
            return Err(ApiError::invalid(format!(
                "limit: must be between 1 and {MAX_PAGE_SIZE}"
            )));
        }
        let after = query
            .cursor
            .map(|c| {
                URL_SAFE_NO_PAD
                    .decode(c.as_bytes())
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .ok_or_else(|| ApiError::invalid("cursor: not a cursor this server issued"))
            })
            .transpose()?;
        Ok(PageRequest { limit, after })
    }
}

impl PageRequest {
    /// How many rows to fetch: one more than the page, to know whether another follows.
    pub fn fetch(&self) -> u32 {
        self.limit + 1
    }

    /// Cuts the fetched rows to a page and makes the cursor from the last key.
    pub fn page<T>(&self, mut items: Vec<T>, key: impl Fn(&T) -> String) -> Page<T> {
        let more = items.len() > self.limit as usize;
        items.truncate(self.limit as usize);
        let next_cursor = if more {
            items.last().map(|last| URL_SAFE_NO_PAD.encode(key(last)))
        } else {
            None
        };
        Page { items, next_cursor }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_is_bounded() {
        let too_big = PageQuery {
            limit: Some(501),
            cursor: None,
        };
        assert!(PageRequest::try_from(too_big).is_err());
        let zero = PageQuery {
            limit: Some(0),
            cursor: None,
        };
        assert!(PageRequest::try_from(zero).is_err());
        let default = PageRequest::try_from(PageQuery::default()).expect("valid");
        assert_eq!(default.limit, DEFAULT_PAGE_SIZE);
    }

    #[test]
    fn a_full_page_carries_a_cursor_to_the_next() {
        let request = PageRequest {
            limit: 2,
            after: None,
        };
        let page = request.page(vec!["a", "b", "c"], |s| s.to_string());
        assert_eq!(page.items, vec!["a", "b"]);
        let cursor = page.next_cursor.expect("more follow");
        let next = PageRequest::try_from(PageQuery {
            limit: Some(2),
            cursor: Some(cursor),
        })
        .expect("our own cursor");
        assert_eq!(next.after.as_deref(), Some("b"));
        let last = request.page(vec!["c"], |s| s.to_string());
        assert!(last.next_cursor.is_none());
    }

    #[test]
    fn a_forged_cursor_is_a_bad_request() {
        let forged = PageQuery {
            limit: None,
            cursor: Some("%%%".into()),
        };
        assert!(PageRequest::try_from(forged).is_err());
    }
}
