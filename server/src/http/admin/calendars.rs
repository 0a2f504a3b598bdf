//! `/api/v1/holiday-calendars`: the yearly holiday schedules (节假日安排) that working
//! days (工作日) are judged on.

use axum::extract::State;
use mobile_api::{HolidayCalendar, Problem, SetHolidayCalendar};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::access::Actor;
use crate::error::ApiResult;
use crate::http::extract::{AppJson, AppPath};
use crate::service::admin::calendars;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_holiday_calendars))
        .routes(routes!(set_holiday_calendar))
}

/// Every year's schedule loaded, oldest first. A year without one counts Monday to
/// Friday as working days.
#[utoipa::path(get, path = "/api/v1/holiday-calendars", tag = "administration",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<HolidayCalendar>), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list_holiday_calendars(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<AppJson<Vec<HolidayCalendar>>> {
    Ok(AppJson(calendars::list(&state, &actor).await?))
}

/// Loads (or replaces) a year's schedule (admin): the holidays and the weekend days
/// worked (调休), as the State Council publishes them.
#[utoipa::path(put, path = "/api/v1/holiday-calendars/{year}", tag = "administration",
    params(("year" = i32, Path, minimum = 2000, maximum = 2100)), request_body = SetHolidayCalendar, security(("bearer" = [])),
    responses(
        (status = 200, body = HolidayCalendar),
        (status = 400, description = "`invalid_request` naming the date that is wrong", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn set_holiday_calendar(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(year): AppPath<i32>,
    AppJson(body): AppJson<SetHolidayCalendar>,
) -> ApiResult<AppJson<HolidayCalendar>> {
    Ok(AppJson(calendars::set(&state, &actor, year, body).await?))
}
