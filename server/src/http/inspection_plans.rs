//! `/api/v1/inspection-plans`: drawing the sites of a county to inspect in a quarter or
//! a year (光山 每季度督查, 中站 年度督查考核), and following which were inspected.

use axum::extract::State;
use axum::http::StatusCode;
use mobile_api::{CreateInspectionPlan, InspectionPlan, InspectionPlanList, Problem};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{AppJson, AppQuery, given};
use crate::domain::access::Actor;
use crate::error::ApiResult;
use crate::service::inspection_plans;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_plan, list_plans))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanQuery {
    /// A jurisdiction in the caller's scope; default the supervisor's own.
    #[param(value_type = Option<String>, pattern = "^\\s*([0-9]{6})?\\s*$", example = "411522")]
    jurisdiction_code: Option<String>,
    /// Default: this year (Asia/Shanghai).
    year: Option<i32>,
}

/// Draws `sites` receiving sites (township and community centres, village clinics) of
/// the jurisdiction and below for a period (`YYYY-Qn` or `YYYY`), at random, each
/// weighted 1 plus its open anomalies (up to 9), without replacement. The seed is
/// generated unless given, recorded with the candidates in the plan and its audit
/// entry (`inspection_plan.create`), and answered: the same seed with the same
/// candidates draws the same sites. 400 `invalid_request` naming the field; 404 for a
/// jurisdiction outside the caller's.
#[utoipa::path(post, path = "/api/v1/inspection-plans", tag = "supervision",
    request_body = CreateInspectionPlan, security(("bearer" = [])),
    responses(
        (status = 201, body = InspectionPlan),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_plan(
    State(state): State<AppState>,
    actor: Actor,
    AppJson(body): AppJson<CreateInspectionPlan>,
) -> ApiResult<(StatusCode, AppJson<InspectionPlan>)> {
    let plan = inspection_plans::create(&state, &actor, &body).await?;
    Ok((StatusCode::CREATED, AppJson(plan)))
}

/// The year's plans in the jurisdiction and below, each drawn site marked inspected when
/// an inspection at it was observed within the plan's period; and for each quarter and
/// the year, how many plans, sites and inspected sites.
#[utoipa::path(get, path = "/api/v1/inspection-plans", tag = "supervision",
    params(PlanQuery), security(("bearer" = [])),
    responses(
        (status = 200, body = InspectionPlanList),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_plans(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<PlanQuery>,
) -> ApiResult<AppJson<InspectionPlanList>> {
    let code = given(&query.jurisdiction_code);
    Ok(AppJson(
        inspection_plans::list(&state, &actor, code, query.year).await?,
    ))
}
