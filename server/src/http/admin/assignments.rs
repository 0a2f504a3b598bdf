//! `/api/v1/assignments`: one row of 支援人员安排情况表.

use axum::extract::State;
use axum::http::StatusCode;
use mobile_api::{Assignment as AssignmentBody, CreateAssignment, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::domain::access::Actor;
use crate::error::ApiResult;
use crate::http::extract::{AppJson, AppPath};
use crate::service::admin::assignments;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_assignment))
        .routes(routes!(get_assignment))
}

/// Assigns a physician to a receiving site under a program. Supervisors assign the
/// physicians of hospitals in their jurisdiction to sites in their jurisdiction;
/// hospital administrators assign their own physicians. A physician out of reach reads
/// as 404, like one that does not exist.
#[utoipa::path(post, path = "/api/v1/assignments", tag = "administration",
    request_body = CreateAssignment, security(("bearer" = [])),
    responses(
        (status = 201, body = AssignmentBody),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_assignment(
    State(state): State<AppState>,
    actor: Actor,
    AppJson(body): AppJson<CreateAssignment>,
) -> ApiResult<(StatusCode, AppJson<AssignmentBody>)> {
    let created = assignments::create(&state, &actor, body).await?;
    Ok((StatusCode::CREATED, AppJson(created)))
}

/// An assignment: for its physician, the site's administrators and supervisors, and the
/// physician's hospital.
#[utoipa::path(get, path = "/api/v1/assignments/{id}", tag = "administration",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = AssignmentBody), (status = 400, description = "`invalid_request`: a malformed path or query parameter", body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_assignment(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<AssignmentBody>> {
    Ok(AppJson(assignments::get(&state, &actor, id).await?))
}
