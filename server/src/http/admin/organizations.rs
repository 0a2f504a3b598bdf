//! `/api/v1/organizations`: hospitals and receiving sites with their geofences.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use mobile_api::page::PageQuery;
use mobile_api::{
    CreateOrganization, Organization as OrganizationBody, Page, Problem, UpdateOrganization,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::invalid;
use super::jurisdictions::reachable_jurisdiction;
use crate::domain::access::{Actor, Placement, Role, Scope};
use crate::domain::fence_size::FenceLimits;
use crate::domain::geofence::Geofence;
use crate::domain::kiosk_code::SiteSecret;
use crate::domain::organization::{
    DEFAULT_TIMEZONE, Organization, VersionedGeofence, check_accuracy_limit, parse_name,
    parse_timezone,
};
use crate::error::{ApiError, ApiResult};
use crate::http::PageRequest;
use crate::http::extract::{AppJson, AppPath, AppQuery};
use crate::service::audit::{self, Change};
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::organizations::{NewOrganization, OrganizationChanges};

/// Geofences of up to 10,000 vertices do not fit the general 64 KiB limit (about 40
/// bytes a vertex in GeoJSON), so organization bodies may be larger.
pub const ORGANIZATION_BODY_LIMIT_BYTES: usize = 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_organization, list_organizations))
        .routes(routes!(get_organization, update_organization))
        .layer(DefaultBodyLimit::max(ORGANIZATION_BODY_LIMIT_BYTES))
}

pub(crate) fn to_body(org: Organization) -> OrganizationBody {
    OrganizationBody {
        id: org.id,
        name: org.name,
        kind: org.kind,
        jurisdiction_code: org.jurisdiction_code.to_string(),
        timezone: org.timezone.name().to_owned(),
        geofence_version: org.geofence.as_ref().map(|g| g.version),
        geofence: org.geofence.map(|g| g.fence.to_stored_json()),
        max_accuracy_m: org.max_accuracy_m,
        created_at: org.created_at,
    }
}

pub(crate) fn placement(org: &Organization) -> Placement<'_> {
    Placement {
        jurisdiction: &org.jurisdiction_path,
        organization_id: Some(org.id),
    }
}

/// An organization the caller can reach, or 404.
pub(crate) async fn reachable_organization(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> ApiResult<Organization> {
    let org = state
        .store
        .organization(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    actor.check_reach(placement(&org))?;
    Ok(org)
}

/// A fence as an administrator sets it: well formed, and no larger than the
/// configured limits (fences already stored are read back whatever their size).
fn parse_geofence(value: &serde_json::Value, limits: &FenceLimits) -> ApiResult<Geofence> {
    Geofence::parse(value)
        .and_then(|fence| limits.check(&fence).map(|()| fence))
        .map_err(|e| ApiError::InvalidGeofence(format!("geofence: {e}")))
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
    actor.require(&[Role::Admin, Role::Supervisor])?;
    let name = parse_name(&body.name).map_err(invalid)?;
    let timezone = match &body.timezone {
        Some(tz) => parse_timezone(tz).map_err(invalid)?,
        None => DEFAULT_TIMEZONE,
    };
    let max_accuracy_m = body
        .max_accuracy_m
        .map(check_accuracy_limit)
        .transpose()
        .map_err(invalid)?;
    let geofence = body
        .geofence
        .as_ref()
        .map(|fence| parse_geofence(fence, &state.config.fence_limits))
        .transpose()?;
    let jurisdiction = reachable_jurisdiction(&state, &actor, &body.jurisdiction_code).await?;
    let secret = SiteSecret::generate().map_err(ApiError::internal)?;
    let id = Uuid::new_v4();
    let new = NewOrganization {
        id,
        name: &name,
        kind: body.kind,
        jurisdiction_code: &jurisdiction.code,
        timezone,
        max_accuracy_m,
        geofence: geofence.as_ref(),
        kiosk_secret: &secret,
        created_by: actor.user_id,
    };
    let now = crate::store::as_stored(state.now());
    // What the new row will read back as: the entry is appended with the insert.
    let body = to_body(Organization {
        id,
        name: name.clone(),
        kind: body.kind,
        jurisdiction_code: jurisdiction.code.clone(),
        jurisdiction_path: jurisdiction.path.clone(),
        timezone,
        max_accuracy_m,
        geofence: geofence
            .clone()
            .map(|fence| VersionedGeofence { version: 1, fence }),
        created_at: now,
    });
    let audit = audit::audited(
        &state,
        &actor,
        Change {
            action: "organization.create",
            object_type: "organization",
            object_id: id.to_string(),
            before: None,
            after: Some(&body),
        },
    )?;
    state.store.insert_organization(&new, now, audit).await?;
    crate::service::sites::invalidate(&state);
    Ok((StatusCode::CREATED, AppJson(body)))
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
    actor.require(&[
        Role::Admin,
        Role::Supervisor,
        Role::HospitalAdmin,
        Role::ClinicAdmin,
    ])?;
    let page = PageRequest::try_from(query)?;
    let (within, only) = match &actor.scope {
        Scope::Everything => (None, None),
        Scope::Jurisdiction(path) => (Some(path), None),
        Scope::Organization(id) => (None, Some(*id)),
        Scope::Own => return Err(ApiError::Forbidden),
    };
    let after = page
        .after
        .as_deref()
        .map(Uuid::parse_str)
        .transpose()
        .map_err(|_| ApiError::invalid("cursor: not a cursor this server issued"))?;
    let rows = state
        .store
        .list_organizations(within, only, after, page.fetch())
        .await?;
    let items: Vec<OrganizationBody> = rows.into_iter().map(to_body).collect();
    Ok(AppJson(page.page(items, |o| o.id.to_string())))
}

#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "administration",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = OrganizationBody), (status = 400, description = "`invalid_request`: a malformed path or query parameter", body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_organization(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<OrganizationBody>> {
    actor.require(&[
        Role::Admin,
        Role::Supervisor,
        Role::HospitalAdmin,
        Role::ClinicAdmin,
    ])?;
    let org = reachable_organization(&state, &actor, id).await?;
    Ok(AppJson(to_body(org)))
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
    actor.require(&[Role::Admin, Role::Supervisor])?;
    reachable_organization(&state, &actor, id).await?;
    let name = body
        .name
        .as_deref()
        .map(parse_name)
        .transpose()
        .map_err(invalid)?;
    let timezone = body
        .timezone
        .as_deref()
        .map(parse_timezone)
        .transpose()
        .map_err(invalid)?;
    let max_accuracy_m = body
        .max_accuracy_m
        .map(check_accuracy_limit)
        .transpose()
        .map_err(invalid)?;
    let geofence = body
        .geofence
        .as_ref()
        .map(|fence| parse_geofence(fence, &state.config.fence_limits))
        .transpose()?;
    let changes = OrganizationChanges {
        name: name.as_deref(),
        timezone,
        max_accuracy_m,
        geofence: geofence.as_ref(),
    };
    // `before` and `after` are described inside the store's transaction.
    let audit = audit::audited::<()>(
        &state,
        &actor,
        Change {
            action: "organization.update",
            object_type: "organization",
            object_id: id.to_string(),
            before: None,
            after: None,
        },
    )?;
    let describe = |org: &Organization| {
        serde_json::to_string(&to_body(org.clone())).map_err(|e| StoreError::Corrupt(e.to_string()))
    };
    let after = state
        .store
        .update_organization(id, &changes, state.now(), actor.user_id, audit, describe)
        .await?;
    crate::service::sites::invalidate(&state);
    Ok(AppJson(to_body(after)))
}
