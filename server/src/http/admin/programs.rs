//! `/api/v1/programs`: a circular's thresholds and requirements.

use axum::extract::State;
use axum::http::StatusCode;
use mobile_api::page::PageQuery;
use mobile_api::{
    CreateProgram, Page, Problem, Program as ProgramBody, ProgramTemplate as TemplateBody,
    UpdateProgram,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::domain::access::Actor;
use crate::error::ApiResult;
use crate::http::extract::{AppJson, AppPath, AppQuery};
use crate::service::admin::programs;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_program, list_programs))
        .routes(routes!(get_program, update_program))
        .routes(routes!(program_templates))
        .routes(routes!(site_team))
}

/// Creates a program for a jurisdiction the caller can see.
#[utoipa::path(post, path = "/api/v1/programs", tag = "administration",
    request_body = CreateProgram, security(("bearer" = [])),
    responses(
        (status = 201, body = ProgramBody),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_program(
    State(state): State<AppState>,
    actor: Actor,
    AppJson(body): AppJson<CreateProgram>,
) -> ApiResult<(StatusCode, AppJson<ProgramBody>)> {
    let created = programs::create(&state, &actor, body).await?;
    Ok((StatusCode::CREATED, AppJson(created)))
}

#[utoipa::path(get, path = "/api/v1/programs/{id}", tag = "administration",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = ProgramBody), (status = 400, description = "`invalid_request`: a malformed path or query parameter", body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_program(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<ProgramBody>> {
    Ok(AppJson(programs::get(&state, &actor, id).await?))
}

/// The five seed circulars as ready programs. Post one to `/api/v1/programs`
/// with your own jurisdiction to use it.
#[utoipa::path(get, path = "/api/v1/program-templates", tag = "administration",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<TemplateBody>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn program_templates(actor: Actor) -> ApiResult<AppJson<Vec<TemplateBody>>> {
    Ok(AppJson(programs::templates(&actor)?))
}

/// The programs the caller can see (an admin's all, a supervisor's their
/// jurisdiction's and below, a hospital administrator's those governing its hospital,
/// to import its personnel table under), each requirement also in words.
#[utoipa::path(get, path = "/api/v1/programs", tag = "administration",
    params(PageQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<ProgramBody>), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list_programs(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<PageQuery>,
) -> ApiResult<AppJson<Page<ProgramBody>>> {
    Ok(AppJson(programs::list(&state, &actor, query).await?))
}

/// Changes the minutes that credit a half-day and a day. Credit is computed when read:
/// the program's visits count by the new minutes from now on.
#[utoipa::path(patch, path = "/api/v1/programs/{id}", tag = "administration",
    params(("id" = Uuid, Path)), request_body = UpdateProgram, security(("bearer" = [])),
    responses(
        (status = 200, body = ProgramBody),
        (status = 400, description = "`invalid_request` naming `half_day_minutes` or `full_day_minutes`", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`program_changed`: changed meanwhile", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_program(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<UpdateProgram>,
) -> ApiResult<AppJson<ProgramBody>> {
    Ok(AppJson(programs::update(&state, &actor, id, body).await?))
}

/// `?date=YYYY-MM-DD` (default today).
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TeamQuery {
    /// The day (`YYYY-MM-DD`); default today. Blank: the default.
    #[serde(default, deserialize_with = "crate::http::extract::blank_as_none")]
    #[param(value_type = Option<String>, format = Date)]
    date: Option<chrono::NaiveDate>,
}

/// Who is posted to a site under a programme on a date, and the team rules they break
/// (中站 "不少于三人…其中不少于2名中级以上"; 福建 巡诊团队的类别). A single new
/// assignment is judged only against the person rules; the team is judged here and on
/// an import.
#[utoipa::path(get, path = "/api/v1/programs/{id}/sites/{site_id}/team", tag = "administration",
    params(("id" = Uuid, Path), ("site_id" = Uuid, Path), TeamQuery), security(("bearer" = [])),
    responses(
        (status = 200, body = mobile_api::SiteTeam),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn site_team(
    State(state): State<AppState>,
    actor: Actor,
    AppPath((id, site_id)): AppPath<(Uuid, Uuid)>,
    AppQuery(query): AppQuery<TeamQuery>,
) -> ApiResult<AppJson<mobile_api::SiteTeam>> {
    Ok(AppJson(
        programs::site_team(&state, &actor, id, site_id, query.date).await?,
    ))
}
