//! `/api/v1/attendance` and `/api/v1/me`: a physician's scans and their own service record.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDate};
use mobile_api::problem::PROBLEM_JSON;
use mobile_api::{
    AttendanceRequest, AttendanceResponse, DeviceBinding, DeviceStatus, MonthSummary, MoveDevice,
    MyAssignment, Page, Problem, Visit,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{AppJson, AppQuery, ClientIp, blank_as_none};
use super::limits;
use crate::domain::access::{Actor, Role};
use crate::domain::attendance::Action;
use crate::domain::window::local_date;
use crate::error::{ApiError, ApiResult};
use crate::service::attendance::Answer;
use crate::service::{attendance, devices, visits};
use crate::state::AppState;
use crate::store::attendance::StoredResponse;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(check_in))
        .routes(routes!(check_out))
        .routes(routes!(my_assignments))
        .routes(routes!(my_visits))
        .routes(routes!(my_summary))
        .routes(routes!(move_device, my_device))
}

/// The physician's bound phone, and from when a self-service move
/// (`POST /api/v1/me/device-move-requests` with `self_service: true`) is granted at once.
#[utoipa::path(get, path = "/api/v1/me/device", tag = "attendance",
    security(("bearer" = [])),
    responses((status = 200, body = DeviceStatus),
        (status = 403, description = "not a physician", body = Problem, content_type = "application/problem+json")))]
pub async fn my_device(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<AppJson<DeviceStatus>> {
    Ok(AppJson(devices::device_status(&state, &actor).await?))
}

/// Moves the physician's device binding to a new phone: the same self-service move as
/// `POST /api/v1/me/device-move-requests` with `self_service`, under the same limit
/// (once per `CHECKIN_DEVICE_SELF_MOVE_DAYS` through either path) and audit; scans
/// from it then raise no `new_device`.
#[utoipa::path(put, path = "/api/v1/me/device", tag = "attendance",
    request_body = MoveDevice, security(("bearer" = [])),
    responses((status = 200, body = DeviceBinding),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not a physician", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`device_move_too_soon`, `device_move_pending` or `device_bound_elsewhere`", body = Problem, content_type = "application/problem+json")))]
pub async fn move_device(
    State(state): State<AppState>,
    actor: Actor,
    AppJson(request): AppJson<MoveDevice>,
) -> ApiResult<AppJson<DeviceBinding>> {
    Ok(AppJson(
        devices::move_device(&state, &actor, &request).await?,
    ))
}

/// Answers a stored response as it was first given.
pub(crate) fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let content_type = if status.is_success() {
        "application/json"
    } else {
        PROBLEM_JSON
    };
    let mut response = (status, stored.body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Records the verdict of an attendance answer (`action`: `check_in`, `check_out` or
/// `presence`) in the metrics. Replayed answers count again.
pub(crate) fn record_verdict(state: &AppState, action: &str, answer: &Answer) {
    if let Some(v) = &answer.verdict {
        state.metrics.record_verdict(action, &v.verdict, &v.reasons);
    }
}

async fn attend(
    state: &AppState,
    actor: &Actor,
    ip: ClientIp,
    action: Action,
    body: &AttendanceRequest,
) -> ApiResult<Response> {
    actor.require(&[Role::Physician])?;
    limits::attendance(state, ip.0, actor.user_id).await?;
    let answer = attendance::attend_from(state, actor.user_id, action, body, ip.0).await?;
    let label = match action {
        Action::CheckIn => "check_in",
        Action::CheckOut => "check_out",
        Action::Presence => "presence",
    };
    record_verdict(state, label, &answer);
    Ok(replay(answer.response))
}

/// Scans the site's kiosk code on arrival. Accepted (201, `verdict` `accepted` or
/// `flagged` with the anomaly kinds in `reasons`) or refused (422 with one of
/// `code_invalid`, `code_expired`, `code_reused`, `no_assignment`, `outside_window`,
/// `outside_geofence`, `poor_accuracy`, `already_checked_in`). Every attempt is stored;
/// a retry with the same `client_event_id` answers the first answer.
#[utoipa::path(post, path = "/api/v1/attendance/check-in", tag = "attendance",
    request_body = AttendanceRequest, security(("bearer" = [])),
    responses(
        (status = 201, body = AttendanceResponse),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "refused: see the codes above", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`, with `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn check_in(
    State(state): State<AppState>,
    ip: ClientIp,
    actor: Actor,
    AppJson(body): AppJson<AttendanceRequest>,
) -> ApiResult<Response> {
    attend(&state, &actor, ip, Action::CheckIn, &body).await
}

/// Scans the site's kiosk code on leaving; closes the open visit. Refusals as for
/// check-in, plus `no_open_visit` and `wrong_site`.
#[utoipa::path(post, path = "/api/v1/attendance/check-out", tag = "attendance",
    request_body = AttendanceRequest, security(("bearer" = [])),
    responses(
        (status = 201, body = AttendanceResponse),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "refused", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`, with `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn check_out(
    State(state): State<AppState>,
    ip: ClientIp,
    actor: Actor,
    AppJson(body): AppJson<AttendanceRequest>,
) -> ApiResult<Response> {
    attend(&state, &actor, ip, Action::CheckOut, &body).await
}

#[utoipa::path(get, path = "/api/v1/me/assignments", tag = "attendance",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<MyAssignment>), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn my_assignments(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<AppJson<Vec<MyAssignment>>> {
    actor.require(&[Role::Physician])?;
    Ok(AppJson(visits::assignments(&state, actor.user_id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VisitRange {
    /// First local date, default 31 days before `to`.
    #[serde(default, deserialize_with = "blank_as_none")]
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// Last local date, default today (Asia/Shanghai).
    #[serde(default, deserialize_with = "blank_as_none")]
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
}

/// The physician's visits, newest first, with their credit state and anomalies.
#[utoipa::path(get, path = "/api/v1/me/visits", tag = "attendance",
    params(VisitRange), security(("bearer" = [])),
    responses((status = 200, body = Page<Visit>), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, description = "not a physician", body = Problem, content_type = "application/problem+json")))]
pub async fn my_visits(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(range): AppQuery<VisitRange>,
) -> ApiResult<AppJson<Page<Visit>>> {
    actor.require(&[Role::Physician])?;
    let to = range
        .to
        .unwrap_or_else(|| local_date(state.now(), crate::domain::organization::DEFAULT_TIMEZONE));
    let from = range.from.unwrap_or(to - Duration::days(31));
    if from > to || (to - from).num_days() > 366 {
        return Err(ApiError::invalid(
            "from: must be before to and at most a year earlier",
        ));
    }
    let items = visits::visits(&state, actor.user_id, from, to).await?;
    Ok(AppJson(Page {
        items,
        next_cursor: None,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthQuery {
    /// `YYYY-MM`.
    #[param(pattern = "^[0-9]{4}-(0[1-9]|1[0-2])$", example = "2026-03")]
    pub month: String,
}

/// Credited days and half-days per assignment in the month, and each requirement's
/// progress (`met`, `on_track`, `at_risk`, `missed`).
#[utoipa::path(get, path = "/api/v1/me/summary", tag = "attendance",
    params(MonthQuery), security(("bearer" = [])),
    responses((status = 200, body = MonthSummary), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn my_summary(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<MonthQuery>,
) -> ApiResult<AppJson<MonthSummary>> {
    actor.require(&[Role::Physician])?;
    Ok(AppJson(
        visits::month_summary(&state, actor.user_id, &query.month).await?,
    ))
}
