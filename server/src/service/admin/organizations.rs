//! Hospitals and receiving sites with their geofences.

use chrono::{DateTime, Utc};
use mobile_api::page::PageQuery;
use mobile_api::{
    CreateOrganization, GeofenceHistory, GeofenceVersion, JudgedVisit,
    Organization as OrganizationBody, Page, UpdateOrganization,
};
use uuid::Uuid;

use super::invalid;
use super::jurisdictions::reachable_jurisdiction;
use crate::domain::access::{Actor, Placement, Role, Scope};
use crate::domain::fence_size::FenceLimits;
use crate::domain::geofence::Geofence;
use crate::domain::jurisdiction::JurisdictionPath;
use crate::domain::kiosk_code::SiteSecret;
use crate::domain::organization::{
    DEFAULT_TIMEZONE, DailyCodePolicy, Organization, VersionedGeofence, check_accuracy_limit,
    parse_name, parse_timezone,
};
use crate::error::{ApiError, ApiResult};
use crate::service::audit::{self, Change};
use crate::service::page::PageRequest;
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::organizations::{NewOrganization, OrganizationChanges};

pub fn to_body(org: Organization) -> OrganizationBody {
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
        daily_code_policy: org.daily_code_policy.as_str().to_owned(),
    }
}

pub fn placement(org: &Organization) -> Placement<'_> {
    Placement {
        jurisdiction: &org.jurisdiction_path,
        organization_id: Some(org.id),
    }
}

/// An organization the caller can reach, or 404.
pub async fn reachable_organization(
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
pub async fn create(
    state: &AppState,
    actor: &Actor,
    request: CreateOrganization,
) -> ApiResult<OrganizationBody> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    let name = parse_name(&request.name).map_err(invalid)?;
    let timezone = match &request.timezone {
        Some(tz) => parse_timezone(tz).map_err(invalid)?,
        None => DEFAULT_TIMEZONE,
    };
    let max_accuracy_m = request
        .max_accuracy_m
        .map(check_accuracy_limit)
        .transpose()
        .map_err(invalid)?;
    let geofence = request
        .geofence
        .as_ref()
        .map(|fence| parse_geofence(fence, &state.config.fence_limits))
        .transpose()?;
    let jurisdiction = reachable_jurisdiction(state, actor, &request.jurisdiction_code).await?;
    let secret = SiteSecret::generate().map_err(ApiError::internal)?;
    let new = NewOrganization {
        id: Uuid::new_v4(),
        name: &name,
        kind: request.kind,
        jurisdiction_code: &jurisdiction.code,
        timezone,
        max_accuracy_m,
        geofence: geofence.as_ref(),
        kiosk_secret: &secret,
        created_by: actor.user_id,
    };
    let now = crate::store::as_stored(state.now());
    let body = record_created(state, actor, &new, &jurisdiction.path, now).await?;
    crate::service::sites::invalidate(state);
    Ok(body)
}

/// Writes a checked organization in the jurisdiction at `jurisdiction_path`, created at
/// `now`, with its `organization.create` entry by `actor`. The entry describes the
/// organization as the new row will read back: its fence, if any, as version 1.
pub async fn record_created(
    state: &AppState,
    actor: &Actor,
    new: &NewOrganization<'_>,
    jurisdiction_path: &JurisdictionPath,
    now: DateTime<Utc>,
) -> ApiResult<OrganizationBody> {
    let body = to_body(Organization {
        id: new.id,
        name: new.name.to_owned(),
        kind: new.kind,
        jurisdiction_code: new.jurisdiction_code.clone(),
        jurisdiction_path: jurisdiction_path.clone(),
        timezone: new.timezone,
        max_accuracy_m: new.max_accuracy_m,
        geofence: new
            .geofence
            .cloned()
            .map(|fence| VersionedGeofence { version: 1, fence }),
        created_at: now,
        daily_code_policy: DailyCodePolicy::default(),
    });
    let audit = audit::audited(
        state,
        actor,
        Change {
            action: "organization.create",
            object_type: "organization",
            object_id: new.id.to_string(),
            before: None,
            after: Some(&body),
        },
    )?;
    state.store.insert_organization(new, now, audit).await?;
    Ok(body)
}

/// The organizations the caller can see.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    query: PageQuery,
) -> ApiResult<Page<OrganizationBody>> {
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
    Ok(page.page(items, |o| o.id.to_string()))
}

/// One organization the caller can reach.
pub async fn get(state: &AppState, actor: &Actor, id: Uuid) -> ApiResult<OrganizationBody> {
    actor.require(&[
        Role::Admin,
        Role::Supervisor,
        Role::HospitalAdmin,
        Role::ClinicAdmin,
    ])?;
    let org = reachable_organization(state, actor, id).await?;
    Ok(to_body(org))
}

/// Changes the members given. A new geofence becomes the next version; events already
/// judged keep the version they were judged against.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    request: UpdateOrganization,
) -> ApiResult<OrganizationBody> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    reachable_organization(state, actor, id).await?;
    let name = request
        .name
        .as_deref()
        .map(parse_name)
        .transpose()
        .map_err(invalid)?;
    let timezone = request
        .timezone
        .as_deref()
        .map(parse_timezone)
        .transpose()
        .map_err(invalid)?;
    let max_accuracy_m = request
        .max_accuracy_m
        .map(check_accuracy_limit)
        .transpose()
        .map_err(invalid)?;
    let geofence = request
        .geofence
        .as_ref()
        .map(|fence| parse_geofence(fence, &state.config.fence_limits))
        .transpose()?;
    let daily_code_policy = request
        .daily_code_policy
        .as_deref()
        .map(|p| {
            DailyCodePolicy::parse(p.trim()).ok_or_else(|| {
                ApiError::invalid("daily_code_policy: must be \"flag\" or \"refuse\"")
            })
        })
        .transpose()?;
    let changes = OrganizationChanges {
        name: name.as_deref(),
        timezone,
        max_accuracy_m,
        geofence: geofence.as_ref(),
        daily_code_policy,
    };
    // `before` and `after` are described inside the store's transaction.
    let audit = audit::audited::<()>(
        state,
        actor,
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
    crate::service::sites::invalidate(state);
    Ok(to_body(after))
}

/// Visits listed under each fence version on the site's page.
const RECENT_VISITS_PER_VERSION: u32 = 20;

/// Every version of a site's fence, oldest first, with the attempts and visits judged
/// against each (the same readers as `get`).
pub async fn geofence_history(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> ApiResult<GeofenceHistory> {
    actor.require(&[
        Role::Admin,
        Role::Supervisor,
        Role::HospitalAdmin,
        Role::ClinicAdmin,
    ])?;
    let org = reachable_organization(state, actor, id).await?;
    let entries = state
        .store
        .geofence_history(org.id, RECENT_VISITS_PER_VERSION)
        .await?;
    Ok(GeofenceHistory {
        site_id: org.id,
        current_version: org.geofence.as_ref().map(|g| g.version),
        items: entries
            .into_iter()
            .map(|e| GeofenceVersion {
                version: e.version,
                geofence: e.fence.to_stored_json(),
                created_at: e.created_at,
                created_by: e.created_by,
                attempts: e.attempts,
                refused: e.refused,
                visits: e.visits,
                first_judged_at: e.first_judged_at,
                last_judged_at: e.last_judged_at,
                recent_visits: e
                    .recent_visits
                    .into_iter()
                    .map(|v| JudgedVisit {
                        visit_id: v.visit_id,
                        physician_id: v.physician_id,
                        local_date: v.local_date,
                        checked_in_at: v.checked_in_at,
                    })
                    .collect(),
            })
            .collect(),
    })
}
