//! The administrative tree: provinces, cities and counties.

use chrono::{DateTime, Utc};
use mobile_api::page::PageQuery;
use mobile_api::{CreateJurisdiction, Jurisdiction as JurisdictionBody, Page};

use super::invalid;
use crate::domain::access::{Actor, Role, Scope};
use crate::domain::jurisdiction::{
    Jurisdiction, JurisdictionCode, JurisdictionPath, check_nesting,
};
use crate::domain::organization::parse_name;
use crate::error::{ApiError, ApiResult};
use crate::service::audit::{self, Change};
use crate::service::page::PageRequest;
use crate::state::AppState;

pub fn to_body(j: Jurisdiction) -> JurisdictionBody {
    JurisdictionBody {
        code: j.code.to_string(),
        name: j.name,
        level: j.level,
        parent_code: j.parent_code.map(|c| c.to_string()),
    }
}

/// A jurisdiction the caller can see, or 404.
pub async fn reachable_jurisdiction(
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
pub async fn create(
    state: &AppState,
    actor: &Actor,
    request: CreateJurisdiction,
) -> ApiResult<JurisdictionBody> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    let code = JurisdictionCode::parse(&request.code).map_err(invalid)?;
    let name = parse_name(&request.name).map_err(invalid)?;
    // A blank `parent_code` is none, as the document admits it.
    let parent = match request.parent_code.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(parent_code) => Some(reachable_jurisdiction(state, actor, parent_code).await?),
    };
    let parent = match parent {
        Some(parent) => Some(parent),
        None if actor.role != Role::Admin => return Err(ApiError::Forbidden),
        None => None,
    };
    check_nesting(request.level, parent.as_ref().map(|p| p.level)).map_err(invalid)?;
    let path = match &parent {
        Some(p) => p.path.child(&code),
        None => JurisdictionPath::root(&code),
    };
    let jurisdiction = Jurisdiction {
        code,
        name,
        level: request.level,
        parent_code: parent.map(|p| p.code),
        path,
    };
    record_created(state, actor, &jurisdiction, state.now()).await
}

/// Writes a checked jurisdiction, created at `now`, with its `jurisdiction.create`
/// entry by `actor`.
pub async fn record_created(
    state: &AppState,
    actor: &Actor,
    jurisdiction: &Jurisdiction,
    now: DateTime<Utc>,
) -> ApiResult<JurisdictionBody> {
    let body = to_body(jurisdiction.clone());
    let audit = audit::audited(
        state,
        actor,
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
        .insert_jurisdiction(jurisdiction, now, audit)
        .await?;
    Ok(body)
}

/// The jurisdictions the caller can see, ordered by code.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    query: PageQuery,
) -> ApiResult<Page<JurisdictionBody>> {
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
    Ok(page.page(items, |j| j.code.clone()))
}

/// One jurisdiction the caller can see.
pub async fn get(state: &AppState, actor: &Actor, code: &str) -> ApiResult<JurisdictionBody> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    let jurisdiction = reachable_jurisdiction(state, actor, code).await?;
    Ok(to_body(jurisdiction))
}
