//! `/api/v1/jurisdictions`: the administrative tree.

use axum::extract::State;
use axum::http::StatusCode;
use mobile_api::page::PageQuery;
use mobile_api::{CreateJurisdiction, Jurisdiction as JurisdictionBody, Page, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::invalid;
use crate::domain::access::{Actor, Role, Scope};
use crate::domain::jurisdiction::{
    Jurisdiction, JurisdictionCode, JurisdictionPath, check_nesting,
};
use crate::domain::organization::parse_name;
use crate::error::{ApiError, ApiResult};
use crate::http::PageRequest;
use crate::http::extract::{AppJson, AppPath, AppQuery};
use crate::service::audit::{self, Change};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_jurisdiction, list_jurisdictions))
        .routes(routes!(get_jurisdiction))
}

pub(crate) fn to_body(j: Jurisdiction) -> JurisdictionBody {
    JurisdictionBody {
        code: j.code.to_string(),
        name: j.name,
        level: j.level,
        parent_code: j.parent_code.map(|c| c.to_string()),
    }
}

/// A jurisdiction the caller can see, or 404.
pub(crate) async fn reachable_jurisdiction(
    state: &AppState,
    actor: &Actor,
    code: &str,
) -> ApiResult<Jurisdiction> {
    let code = JurisdictionCode::parse(code).map_err(invalid)?;
    match state.store.jurisdiction(&code).await? {
        Some(j) if actor.reaches_jurisdiction(&j.path) => Ok(j),
        _ => Err(ApiError::NotFound),
    }
}

/// Adds a province (admin only), city or county under a parent the caller can see.
#[utoipa::path(post, path = "/api/v1/jurisdictions", tag = "administration",
    request_body = CreateJurisdiction, security(("bearer" = [])),
    responses(
        (status = 201, body = JurisdictionBody),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "parent not found or outside the caller's jurisdiction", body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_jurisdiction(
    State(state): State<AppState>,
    actor: Actor,
    AppJson(body): AppJson<CreateJurisdiction>,
) -> ApiResult<(StatusCode, AppJson<JurisdictionBody>)> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    let code = JurisdictionCode::parse(&body.code).map_err(invalid)?;
    let name = parse_name(&body.name).map_err(invalid)?;
    let parent = match &body.parent_code {
        Some(parent_code) => Some(reachable_jurisdiction(&state, &actor, parent_code).await?),
        None if actor.role != Role::Admin => return Err(ApiError::Forbidden),
        None => None,
    };
    check_nesting(body.level, parent.as_ref().map(|p| p.level)).map_err(invalid)?;
    let path = match &parent {
        Some(p) => p.path.child(&code),
        None => JurisdictionPath::root(&code),
    };
    let jurisdiction = Jurisdiction {
        code,
        name,
        level: body.level,
        parent_code: parent.map(|p| p.code),
        path,
    };
    let body = to_body(jurisdiction.clone());
    let audit = audit::audited(
        &state,
        &actor,
        Change {
            action: "jurisdiction.create",
            object_type: "jurisdiction",
            object_id: body.code.clone(),
            before: None,
            after: Some(&body),
        },
    )?;
    state
        .store
        .insert_jurisdiction(&jurisdiction, state.now(), audit)
        .await?;
    Ok((StatusCode::CREATED, AppJson(body)))
}

/// The jurisdictions the caller can see, ordered by code.
#[utoipa::path(get, path = "/api/v1/jurisdictions", tag = "administration",
    params(PageQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<JurisdictionBody>), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list_jurisdictions(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<PageQuery>,
) -> ApiResult<AppJson<Page<JurisdictionBody>>> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    let page = PageRequest::try_from(query)?;
    let within = match &actor.scope {
        Scope::Jurisdiction(path) => Some(path),
        _ => None,
    };
    let rows = state
        .store
        .list_jurisdictions(within, page.after.as_deref(), page.fetch())
        .await?;
    let items: Vec<JurisdictionBody> = rows.into_iter().map(to_body).collect();
    Ok(AppJson(page.page(items, |j| j.code.clone())))
}

#[utoipa::path(get, path = "/api/v1/jurisdictions/{code}", tag = "administration",
    params(("code" = String, Path, description = "6-digit administrative code")),
    security(("bearer" = [])),
    responses((status = 200, body = JurisdictionBody), (status = 400, description = "`invalid_request`: a malformed path or query parameter", body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_jurisdiction(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(code): AppPath<String>,
) -> ApiResult<AppJson<JurisdictionBody>> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    let jurisdiction = reachable_jurisdiction(&state, &actor, &code).await?;
    Ok(AppJson(to_body(jurisdiction)))
}
