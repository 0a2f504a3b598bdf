//! Moving a physician's device binding by request: the physician asks, a hospital
//! administrator or supervisor decides (#22 point 6).

use axum::extract::State;
use axum::http::StatusCode;
use mobile_api::{
    DeviceMoveDecision, DeviceMoveRequest, DeviceMoveRequestList, Problem, RequestDeviceMove,
};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::domain::access::Actor;
use crate::error::ApiResult;
use crate::http::extract::{AppJson, AppPath, AppQuery};
use crate::service::devices;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(request_move, my_requests))
        .routes(routes!(requests_in_reach))
        .routes(routes!(decide))
}

/// Asks to move the physician's binding to a new phone; a hospital administrator of
/// their hospital or a supervisor decides. With `self_service: true` the move is granted
/// at once (`approved`) when the physician made no self-service move within
/// `CHECKIN_DEVICE_SELF_MOVE_DAYS`, else it waits as a request (`pending`). After the
/// move the new phone raises nothing.
#[utoipa::path(post, path = "/api/v1/me/device-move-requests", tag = "attendance",
    request_body = RequestDeviceMove, security(("bearer" = [])),
    responses((status = 201, body = DeviceMoveRequest),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not a physician", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`device_move_pending`, `device_bound_elsewhere` or `device_already_bound`", body = Problem, content_type = "application/problem+json")))]
pub async fn request_move(
    State(state): State<AppState>,
    actor: Actor,
    AppJson(request): AppJson<RequestDeviceMove>,
) -> ApiResult<(StatusCode, AppJson<DeviceMoveRequest>)> {
    let created = devices::request_move(&state, &actor, &request).await?;
    Ok((StatusCode::CREATED, AppJson(created)))
}

/// The physician's own device move requests, newest first, with their decisions.
#[utoipa::path(get, path = "/api/v1/me/device-move-requests", tag = "attendance",
    security(("bearer" = [])),
    responses((status = 200, body = DeviceMoveRequestList),
        (status = 403, description = "not a physician", body = Problem, content_type = "application/problem+json")))]
pub async fn my_requests(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<AppJson<DeviceMoveRequestList>> {
    Ok(AppJson(devices::my_requests(&state, &actor).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestsQuery {
    /// `pending` (default), `approved`, `rejected` or `all`.
    #[param(pattern = "^\\s*(pending|approved|rejected|all)?\\s*$")]
    pub status: Option<String>,
}

/// Device move requests the caller may decide (a hospital administrator: their
/// hospital's physicians; a supervisor: within their jurisdiction), newest first.
#[utoipa::path(get, path = "/api/v1/device-move-requests", tag = "supervision",
    params(RequestsQuery), security(("bearer" = [])),
    responses((status = 200, body = DeviceMoveRequestList),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn requests_in_reach(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<RequestsQuery>,
) -> ApiResult<AppJson<DeviceMoveRequestList>> {
    Ok(AppJson(
        devices::requests_in_reach(&state, &actor, query.status.as_deref()).await?,
    ))
}

/// Approves (the physician is bound to the new phone at once) or rejects a pending
/// request; audited.
#[utoipa::path(post, path = "/api/v1/device-move-requests/{id}/decision", tag = "supervision",
    params(("id" = Uuid, Path)), request_body = DeviceMoveDecision, security(("bearer" = [])),
    responses((status = 200, body = DeviceMoveRequest),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such request within reach", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`device_move_decided` or `device_bound_elsewhere`", body = Problem, content_type = "application/problem+json")))]
pub async fn decide(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
    AppJson(decision): AppJson<DeviceMoveDecision>,
) -> ApiResult<AppJson<DeviceMoveRequest>> {
    Ok(AppJson(
        devices::decide(&state, &actor, id, &decision).await?,
    ))
}
