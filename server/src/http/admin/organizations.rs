//! `/api/v1/organizations`: hospitals and receiving sites with their geofences.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use mobile_api::page::PageQuery;
use mobile_api::{
    CreateOrganization, GeofenceHistory, Organization as OrganizationBody, Page, Problem,
    UpdateOrganization,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::domain::access::Actor;
use crate::error::ApiResult;
use crate::http::extract::{AppJson, AppPath, AppQuery};
use crate::service::admin::organizations;
use crate::state::AppState;

/// Geofences of up to 10,000 vertices do not fit the general 64 KiB limit (about 40
/// bytes a vertex in GeoJSON), so organization bodies may be larger.
pub const ORGANIZATION_BODY_LIMIT_BYTES: usize = 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_organization, list_organizations))
        .routes(routes!(get_organization, update_organization))
        .routes(routes!(geofence_history))
        .layer(DefaultBodyLimit::max(ORGANIZATION_BODY_LIMIT_BYTES))
}

/// Creates an organization in a jurisdiction the caller can see. The geofence may be
/// given in `wgs84`, `gcj02` or `bd09`; it is stored in WGS-84.
#[utoipa::path(post, path = "/api/v1/organizations", tag = "administration",
    request_body = CreateOrganization, security(("bearer" = [])),
    responses(
        (status = 201, body = OrganizationBody),
        (status = 400, description = "`invalid_request` or `invalid_geofence`", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_organization(
    State(state): State<AppState>,
    actor: Actor,
    AppJson(body): AppJson<CreateOrganization>,
) -> ApiResult<(StatusCode, AppJson<OrganizationBody>)> {
    let created = organizations::create(&state, &actor, body).await?;
    Ok((StatusCode::CREATED, AppJson(created)))
}

/// The organizations the caller can see.
#[utoipa::path(get, path = "/api/v1/organizations", tag = "administration",
    params(PageQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<OrganizationBody>), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list_organizations(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<PageQuery>,
) -> ApiResult<AppJson<Page<OrganizationBody>>> {
    Ok(AppJson(organizations::list(&state, &actor, query).await?))
}

#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "administration",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = OrganizationBody), (status = 400, description = "`invalid_request`: a malformed path or query parameter", body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_organization(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<OrganizationBody>> {
    Ok(AppJson(organizations::get(&state, &actor, id).await?))
}

/// Changes the members given. A new geofence becomes the next version; events already
/// judged keep the version they were judged against.
#[utoipa::path(patch, path = "/api/v1/organizations/{id}", tag = "administration",
    params(("id" = Uuid, Path)), request_body = UpdateOrganization, security(("bearer" = [])),
    responses(
        (status = 200, body = OrganizationBody),
        (status = 400, description = "`invalid_request` or `invalid_geofence`", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_organization(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<UpdateOrganization>,
) -> ApiResult<AppJson<OrganizationBody>> {
    Ok(AppJson(
        organizations::update(&state, &actor, id, body).await?,
    ))
}

/// Every version of the site's fence, oldest first, with the attempts and visits judged
/// against each one (the newest 20 visits of each listed).
#[utoipa::path(get, path = "/api/v1/organizations/{id}/geofence-versions", tag = "administration",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = GeofenceHistory), (status = 400, description = "`invalid_request`: a malformed path parameter", body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn geofence_history(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<GeofenceHistory>> {
    Ok(AppJson(
        organizations::geofence_history(&state, &actor, id).await?,
    ))
}
