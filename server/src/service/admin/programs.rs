//! Programmes: a circular's thresholds and requirements, and the seed circulars as
//! templates.

use chrono::{DateTime, Utc};
use mobile_api::page::PageQuery;
use mobile_api::{
    CreateProgram, Page, Program as ProgramBody, ProgramTemplate as TemplateBody,
    Requirement as RequirementBody, UpdateProgram,
};
use uuid::Uuid;

use super::invalid;
use super::jurisdictions::reachable_jurisdiction;
use crate::domain::access::{Actor, Role};
use crate::domain::crediting::Thresholds;
use crate::domain::eligibility;
use crate::domain::organization::{DEFAULT_TIMEZONE, parse_name};
use crate::domain::program::Program;
use crate::domain::requirements::{self, ProgramTemplate, Requirement, RequirementSpec};
use crate::domain::window::local_date;
use crate::error::{ApiError, ApiResult};
use crate::service::audit::{self, Change};
use crate::state::AppState;
use crate::store::programs::ProgramSettingsChange;

/// A requirement as the wire shows it (in programmes, reports, progress and the
/// scheduler's notices). The wire form and the domain's spec are the same JSON;
/// convert through it.
pub fn requirement_to_body(requirement: &Requirement) -> RequirementBody {
    serde_json::to_value(requirement.to_spec())
        .and_then(serde_json::from_value)
        .unwrap_or(RequirementBody {
            period: mobile_api::RequirementPeriod::Assignment,
            min_days: None,
            min_half_days: None,
            min_visits: None,
            min_days_served: None,
            min_working_days: None,
            min_activity_count: None,
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

pub fn to_body(program: Program) -> ProgramBody {
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
        requirements_zh: program
            .requirements
            .iter()
            .map(Requirement::describe_zh)
            .collect(),
        eligibility_zh: eligibility::describe_zh(&program.eligibility),
        eligibility: program.eligibility,
        created_at: program.created_at,
        scan_photo: program.scan_photo,
    }
}

/// Creates a program for a jurisdiction the caller can see.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    request: CreateProgram,
) -> ApiResult<ProgramBody> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    let name = parse_name(&request.name).map_err(invalid)?;
    let thresholds = Thresholds::from_optional(request.half_day_minutes, request.full_day_minutes)
        .map_err(invalid)?;
    if request.requirements.len() > 20 {
        return Err(ApiError::invalid("requirements: at most 20"));
    }
    let requirements = request
        .requirements
        .iter()
        .enumerate()
        .map(|(i, r)| requirement_from_body(i, r))
        .collect::<ApiResult<Vec<_>>>()?;
    eligibility::check_rules(&request.eligibility).map_err(invalid)?;
    let jurisdiction = reachable_jurisdiction(state, actor, &request.jurisdiction_code).await?;
    let program = Program {
        id: Uuid::new_v4(),
        name,
        jurisdiction_code: jurisdiction.code,
        thresholds,
        requirements,
        eligibility: request.eligibility,
        created_at: state.now(),
        scan_photo: mobile_api::ScanPhotoMode::Off,
    };
    record_created(state, actor, &program, state.now()).await
}

/// Writes a checked program, stored as created at `now`, with its `program.create`
/// entry by `actor`.
pub async fn record_created(
    state: &AppState,
    actor: &Actor,
    program: &Program,
    now: DateTime<Utc>,
) -> ApiResult<ProgramBody> {
    let body = to_body(program.clone());
    let audit = audit::audited(
        state,
        actor,
        Change {
            action: "program.create",
            object_type: "program",
            object_id: body.id.to_string(),
            before: None,
            after: Some(&body),
        },
    )?;
    state.store.insert_program(program, now, audit).await?;
    Ok(body)
}

/// A program the caller can see.
pub async fn get(state: &AppState, actor: &Actor, id: Uuid) -> ApiResult<ProgramBody> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    match state.store.program(id).await? {
        Some((program, path)) if actor.reaches_jurisdiction(&path) => Ok(to_body(program)),
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
        eligibility: template.eligibility,
    }
}

/// The five seed circulars as ready programs.
pub fn templates(actor: &Actor) -> ApiResult<Vec<TemplateBody>> {
    actor.require(&[Role::Admin, Role::Supervisor, Role::HospitalAdmin])?;
    Ok(requirements::templates()
        .into_iter()
        .map(template_to_body)
        .collect())
}

/// The programs the caller can see: an admin's all, a supervisor's those of their
/// jurisdiction and below, a hospital administrator's those governing its hospital
/// (its area and the areas above), which its personnel-table import names.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    query: PageQuery,
) -> ApiResult<Page<ProgramBody>> {
    actor.require(&[Role::Admin, Role::Supervisor, Role::HospitalAdmin])?;
    let page = crate::service::page::PageRequest::try_from(query)?;
    let after = page
        .after
        .as_deref()
        .map(Uuid::parse_str)
        .transpose()
        .map_err(|_| ApiError::invalid("cursor: not a cursor this server issued"))?;
    let rows = match &actor.scope {
        crate::domain::access::Scope::Everything => {
            state.store.list_programs(None, after, page.fetch()).await?
        }
        crate::domain::access::Scope::Jurisdiction(path) => {
            state
                .store
                .list_programs(Some(path), after, page.fetch())
                .await?
        }
        crate::domain::access::Scope::Organization(id) => {
            let hospital = super::organizations::reachable_organization(state, actor, *id).await?;
            state
                .store
                .list_programs_covering(&hospital.jurisdiction_path, after, page.fetch())
                .await?
        }
        crate::domain::access::Scope::Own => return Err(ApiError::Forbidden),
    };
    let items: Vec<ProgramBody> = rows.into_iter().map(|(p, _)| to_body(p)).collect();
    Ok(page.page(items, |p| p.id.to_string()))
}

/// Changes the minutes that credit a half-day and a day, whether a photo is
/// asked for at scan time (`scan_photo`) and who may be sent (`eligibility`; the
/// members given). Credit is
/// computed when read, so every visit of the program counts by the new minutes from
/// now on; audited as `program.update` with the minutes before and after.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    request: UpdateProgram,
) -> ApiResult<ProgramBody> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    let program = match state.store.program(id).await? {
        Some((program, path)) if actor.reaches_jurisdiction(&path) => program,
        _ => return Err(ApiError::NotFound),
    };
    let old = program.thresholds;
    let new = Thresholds::new(
        request.half_day_minutes.unwrap_or(old.half_day_minutes),
        request.full_day_minutes.unwrap_or(old.full_day_minutes),
    )
    .map_err(invalid)?;
    let scan_photo = request.scan_photo.unwrap_or(program.scan_photo);
    if let Some(rules) = &request.eligibility {
        eligibility::check_rules(rules).map_err(invalid)?;
    }
    let rules = request
        .eligibility
        .unwrap_or_else(|| program.eligibility.clone());
    let unchanged = new == old && scan_photo == program.scan_photo && rules == program.eligibility;
    let mut after = program.clone();
    after.thresholds = new;
    after.scan_photo = scan_photo;
    after.eligibility = rules.clone();
    let before_body = to_body(program);
    let after_body = to_body(after);
    if unchanged {
        return Ok(after_body);
    }
    let audit = audit::audited(
        state,
        actor,
        Change {
            action: "program.update",
            object_type: "program",
            object_id: id.to_string(),
            before: Some(&before_body),
            after: Some(&after_body),
        },
    )?;
    if !state
        .store
        .update_program_thresholds(
            id,
            old,
            ProgramSettingsChange {
                thresholds: new,
                scan_photo,
                eligibility: &rules,
                at: state.now(),
            },
            audit,
        )
        .await?
    {
        return Err(ApiError::Conflict {
            code: "program_changed",
            detail: "the programme changed meanwhile: reload it and try again".into(),
        });
    }
    Ok(after_body)
}

/// The physicians posted to `site_id` under programme `id` on `date` (today when
/// absent), and the team rules they break. For admins and supervisors who see both.
pub async fn site_team(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    site_id: Uuid,
    date: Option<chrono::NaiveDate>,
) -> ApiResult<mobile_api::SiteTeam> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    let program = match state.store.program(id).await? {
        Some((program, path)) if actor.reaches_jurisdiction(&path) => program,
        _ => return Err(ApiError::NotFound),
    };
    super::organizations::reachable_organization(state, actor, site_id).await?;
    let today = local_date(state.now(), DEFAULT_TIMEZONE);
    let date = date.unwrap_or(today);
    let team = state.store.site_team(site_id, program.id, date).await?;
    let candidates: Vec<_> = team.iter().map(eligibility::candidate).collect();
    let members = team
        .iter()
        .zip(&candidates)
        .map(|(user, c)| mobile_api::TeamMember {
            physician_id: user.id,
            name: user.name.clone(),
            title: user.title.clone(),
            rank: user
                .title
                .as_deref()
                .and_then(eligibility::standing)
                .map(|s| s.rank),
            discipline: eligibility::discipline_of(c),
            years_of_service: user
                .practice_since_year
                .map(|y| eligibility::years_of_service(y, today)),
        })
        .collect();
    Ok(mobile_api::SiteTeam {
        program_id: program.id,
        site_id,
        date,
        members,
        violations: eligibility::judge_team(&program.eligibility, &candidates),
        rules_zh: eligibility::describe_zh(&program.eligibility),
    })
}
