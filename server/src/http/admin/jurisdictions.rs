//! `/api/v1/jurisdictions`: the administrative tree.

use axum::extract::State;
use axum::http::StatusCode;
use mobile_api::page::PageQuery;
use mobile_api::{CreateJurisdiction, Jurisdiction as JurisdictionBody, Page, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::access::Actor;
use crate::error::ApiResult;
use crate::http::extract::{AppJson, AppPath, AppQuery};
use crate::service::admin::jurisdictions;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_jurisdiction, list_jurisdictions))
        .routes(routes!(get_jurisdiction))
}

/// Adds a province (admin only), city or county under a parent the caller can see.
#[utoipa::path(post, path = "/api/v1/jurisdictions", tag = "administration",
    request_body = CreateJurisdiction, security(("bearer" = [])),
    responses(
        (status = 201, body = JurisdictionBody),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "parent not found or outside the caller's jurisdiction", body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_jurisdiction(
    State(state): State<AppState>,
    actor: Actor,
    AppJson(body): AppJson<CreateJurisdiction>,
) -> ApiResult<(StatusCode, AppJson<JurisdictionBody>)> {
    let created = jurisdictions::create(&state, &actor, body).await?;
    Ok((StatusCode::CREATED, AppJson(created)))
}

/// The jurisdictions the caller can see, ordered by code.
#[utoipa::path(get, path = "/api/v1/jurisdictions", tag = "administration",
    params(PageQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<JurisdictionBody>), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list_jurisdictions(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<PageQuery>,
) -> ApiResult<AppJson<Page<JurisdictionBody>>> {
    Ok(AppJson(jurisdictions::list(&state, &actor, query).await?))
}

#[utoipa::path(get, path = "/api/v1/jurisdictions/{code}", tag = "administration",
    params(("code" = String, Path, pattern = "^\\s*[0-9]{6}\\s*$", description = "6-digit administrative code")),
    security(("bearer" = [])),
    responses((status = 200, body = JurisdictionBody), (status = 400, description = "`invalid_request`: a malformed path or query parameter", body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_jurisdiction(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(code): AppPath<String>,
) -> ApiResult<AppJson<JurisdictionBody>> {
    Ok(AppJson(jurisdictions::get(&state, &actor, &code).await?))
}
