//! `GET /api/v1/dashboard`: the supervisor's landing view of one month.

use axum::extract::State;
use mobile_api::{Dashboard, Problem};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{AppJson, AppQuery};
use crate::domain::access::Actor;
use crate::error::{ApiError, ApiResult};
use crate::service::dashboard;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_dashboard))
}

/// `?jurisdiction_code=&month=`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DashboardQuery {
    /// A jurisdiction in the caller's scope; a supervisor's own by default, all for
    /// an admin.
    #[param(value_type = Option<String>, pattern = "^\\s*([0-9]{6})?\\s*$", example = "350800")]
    jurisdiction_code: Option<String>,
    /// The month, `YYYY-MM`.
    #[param(value_type = String, pattern = "^\\s*[0-9]{4}-(0[1-9]|1[0-2])\\s*$", example = "2026-03")]
    month: Option<String>,
}

/// One month of the scope at a glance: the compliance report counted by status per
/// child jurisdiction, anomalies per day and kind over this month and the previous
/// one, open anomalies by age, coverage of the receiving clinics, and this month
/// against the last (credited days, qualifying visits, physicians, anomalies). Each
/// figure equals what the list or report it summarises gives for the same filters.
#[utoipa::path(get, path = "/api/v1/dashboard", tag = "reports",
    params(DashboardQuery), security(("bearer" = [])),
    responses(
        (status = 200, body = Dashboard),
        (status = 400, description = "`invalid_request` naming the parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown jurisdiction, or outside the caller's", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_dashboard(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<DashboardQuery>,
) -> ApiResult<AppJson<Dashboard>> {
    let code = query
        .jurisdiction_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let month = query
        .month
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .ok_or_else(|| ApiError::invalid("month: required (YYYY-MM)"))?;
    Ok(AppJson(
        dashboard::dashboard(&state, &actor, code, month).await?,
    ))
}
