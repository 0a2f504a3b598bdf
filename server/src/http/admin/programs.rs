//! `/api/v1/programs`: a circular's thresholds and requirements.

use axum::extract::State;
use axum::http::StatusCode;
use mobile_api::{
    CreateProgram, Problem, Program as ProgramBody, ProgramTemplate as TemplateBody,
    Requirement as RequirementBody,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::invalid;
use super::jurisdictions::reachable_jurisdiction;
use crate::domain::access::{Actor, Role};
use crate::domain::crediting::Thresholds;
use crate::domain::organization::parse_name;
use crate::domain::program::Program;
use crate::domain::requirements::{self, ProgramTemplate, Requirement, RequirementSpec};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{AppJson, AppPath};
use crate::service::audit::{self, Change};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_program))
        .routes(routes!(get_program))
        .routes(routes!(program_templates))
}

/// The wire form and the domain's spec are the same JSON; convert through it.
pub(crate) fn requirement_to_body(requirement: &Requirement) -> RequirementBody {
    serde_json::to_value(requirement.to_spec())
        .and_then(serde_json::from_value)
        .unwrap_or(RequirementBody {
            period: mobile_api::RequirementPeriod::Assignment,
            min_days: None,
            min_half_days: None,
            min_visits: None,
            activity: None,
            min_consecutive_months: None,
        })
}

fn requirement_from_body(index: usize, body: &RequirementBody) -> ApiResult<Requirement> {
    let field = |e: &dyn std::fmt::Display| ApiError::invalid(format!("requirements[{index}].{e}"));
    let spec: RequirementSpec = serde_json::to_value(body)
        .and_then(serde_json::from_value)
        .map_err(|e| field(&e))?;
    Requirement::from_spec(spec).map_err(|e| field(&e))
}

pub(crate) fn to_body(program: Program) -> ProgramBody {
    ProgramBody {
        id: program.id,
        name: program.name,
        jurisdiction_code: program.jurisdiction_code.to_string(),
        half_day_minutes: program.thresholds.half_day_minutes,
        full_day_minutes: program.thresholds.full_day_minutes,
        requirements: program
            .requirements
            .iter()
            .map(requirement_to_body)
            .collect(),
        created_at: program.created_at,
    }
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
    actor.require(&[Role::Admin, Role::Supervisor])?;
    let name = parse_name(&body.name).map_err(invalid)?;
    let thresholds =
        Thresholds::from_optional(body.half_day_minutes, body.full_day_minutes).map_err(invalid)?;
    if body.requirements.len() > 20 {
        return Err(ApiError::invalid("requirements: at most 20"));
    }
    let requirements = body
        .requirements
        .iter()
        .enumerate()
        .map(|(i, r)| requirement_from_body(i, r))
        .collect::<ApiResult<Vec<_>>>()?;
    let jurisdiction = reachable_jurisdiction(&state, &actor, &body.jurisdiction_code).await?;
    let program = Program {
        id: Uuid::new_v4(),
        name,
        jurisdiction_code: jurisdiction.code,
        thresholds,
        requirements,
        created_at: state.now(),
    };
    let body = to_body(program.clone());
    let audit = audit::audited(
        &state,
        &actor,
        Change {
            action: "program.create",
            object_type: "program",
            object_id: body.id.to_string(),
            before: None,
            after: Some(&body),
        },
    )?;
    state
        .store
        .insert_program(&program, state.now(), audit)
        .await?;
    Ok((StatusCode::CREATED, AppJson(body)))
}

#[utoipa::path(get, path = "/api/v1/programs/{id}", tag = "administration",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = ProgramBody), (status = 400, description = "`invalid_request`: a malformed path or query parameter", body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_program(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<ProgramBody>> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    match state.store.program(id).await? {
        Some((program, path)) if actor.reaches_jurisdiction(&path) => Ok(AppJson(to_body(program))),
        _ => Err(ApiError::NotFound),
    }
}

/// A template as the wire shows it; its specs are valid by construction (a unit
/// test builds every template), so a spec that would not convert is skipped
/// rather than answered half-formed.
fn template_to_body(template: ProgramTemplate) -> TemplateBody {
    let requirements: Vec<Requirement> = template
        .requirements
        .into_iter()
        .filter_map(|spec| Requirement::from_spec(spec).ok())
        .collect();
    TemplateBody {
        key: template.key.to_owned(),
        name: template.name.to_owned(),
        source_seed: template.source_seed.to_owned(),
        jurisdiction_code: template.jurisdiction_code.to_owned(),
        basis: template.basis.to_owned(),
        half_day_minutes: template.half_day_minutes,
        full_day_minutes: template.full_day_minutes,
        requirements_zh: requirements.iter().map(Requirement::describe_zh).collect(),
        requirements: requirements.iter().map(requirement_to_body).collect(),
    }
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
    actor.require(&[Role::Admin, Role::Supervisor, Role::HospitalAdmin])?;
    Ok(AppJson(
        requirements::templates()
            .into_iter()
            .map(template_to_body)
            .collect(),
    ))
}
