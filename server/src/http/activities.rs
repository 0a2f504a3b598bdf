//! `/api/v1/visits/{id}/activities`: workload logged on a visit (门诊人次, 查房, 带教 ...).

use std::collections::HashSet;

use axum::extract::State;
use axum::http::StatusCode;
use mobile_api::{Activity, ActivityKind as WireKind, LogActivity, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::{AppJson, AppPath};
use crate::domain::access::{Actor, Placement, Role, Scope};
use crate::domain::activity::{self, ActivityRecord};
use crate::domain::requirements::ActivityKind;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::attendance::VisitRecord;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(log_activity, list_activities))
}

/// The wire and domain vocabularies are the same snake_case words.
fn to_domain(kind: WireKind) -> ApiResult<ActivityKind> {
    serde_json::to_value(kind)
        .and_then(serde_json::from_value)
        .map_err(ApiError::internal)
}

fn to_wire(kind: ActivityKind) -> ApiResult<WireKind> {
    serde_json::to_value(kind)
        .and_then(serde_json::from_value)
        .map_err(ApiError::internal)
}

fn to_body(record: ActivityRecord, current: bool) -> ApiResult<Activity> {
    Ok(Activity {
        id: record.id,
        visit_id: record.visit_id,
        physician_id: record.physician_id,
        kind: to_wire(record.kind)?,
        count: record.count,
        note: record.note,
        supersedes_id: record.supersedes_id,
        recorded_at: record.recorded_at,
        current,
    })
}

/// The visit, when the caller may see it: its physician, or a supervisor or
/// admin whose jurisdiction holds its site. Anything else reads as not found.
async fn visible_visit(state: &AppState, actor: &Actor, id: Uuid) -> ApiResult<VisitRecord> {
    let visit = state.store.visit(id).await?.ok_or(ApiError::NotFound)?;
    match &actor.scope {
        Scope::Own if visit.physician_id == actor.user_id => Ok(visit),
        Scope::Own | Scope::Organization(_) => Err(ApiError::NotFound),
        Scope::Everything | Scope::Jurisdiction(_) => {
            let site = state
                .store
                .organization(visit.site_id)
                .await?
                .ok_or(ApiError::NotFound)?;
            actor.check_reach(Placement {
                jurisdiction: &site.jurisdiction_path,
                organization_id: Some(site.id),
            })?;
            Ok(visit)
        }
    }
}

/// Logs work on one of the caller's own visits, until the end of the day after
/// the visit's local date (site time zone). Logging a kind again amends it: a
/// new record that supersedes the earlier one; nothing is edited in place.
#[utoipa::path(post, path = "/api/v1/visits/{id}/activities", tag = "attendance",
    params(("id" = Uuid, Path, description = "The visit")),
    request_body = LogActivity, security(("bearer" = [])),
    responses(
        (status = 201, body = Activity),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such visit of the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`activity_deadline_passed`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn log_activity(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<LogActivity>,
) -> ApiResult<(StatusCode, AppJson<Activity>)> {
    actor.require(&[Role::Physician])?;
    let visit = visible_visit(&state, &actor, id).await?;
    let site = state
        .store
        .organization(visit.site_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let now = state.now();
    let note = activity::validate(
        body.count,
        body.note.as_deref(),
        visit.local_date,
        site.timezone,
        now,
    )?;
    let record = ActivityRecord {
        id: Uuid::new_v4(),
        visit_id: visit.id,
        physician_id: actor.user_id,
        kind: to_domain(body.kind)?,
        count: body.count,
        note,
        supersedes_id: None,
        recorded_at: now,
    };
    let stored = state.store.insert_activity(&record).await?;
    tracing::info!(visit_id = %visit.id, kind = stored.kind.as_str(), count = stored.count,
        amends = ?stored.supersedes_id, "activity logged");
    Ok((StatusCode::CREATED, AppJson(to_body(stored, true)?)))
}

/// Every activity record of a visit, amendments included, oldest first; `current`
/// marks the records reports count.
#[utoipa::path(get, path = "/api/v1/visits/{id}/activities", tag = "attendance",
    params(("id" = Uuid, Path, description = "The visit")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<Activity>), (status = 400, description = "`invalid_request`: a malformed path or query parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_activities(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<Vec<Activity>>> {
    actor.require(&[Role::Physician, Role::Supervisor, Role::Admin])?;
    let visit = visible_visit(&state, &actor, id).await?;
    let records = state.store.activities_of_visit(visit.id).await?;
    let superseded: HashSet<Uuid> = records.iter().filter_map(|r| r.supersedes_id).collect();
    let items = records
        .into_iter()
        .map(|r| {
            let current = !superseded.contains(&r.id);
            to_body(r, current)
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(AppJson(items))
}
