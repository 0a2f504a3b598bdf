//! `GET /api/v1/audit`: the audit chain, for administrators, filtered by who, what and
//! when; `GET /api/v1/audit/verification`: the chain checked as `server audit verify`
//! checks it.

use axum::extract::State;
use chrono::{DateTime, Utc};
use mobile_api::{AuditRecord, AuditVerification, Page, Problem};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::{AppJson, AppQuery, given};
use super::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::domain::access::Actor;
use crate::error::{ApiError, ApiResult};
use crate::service::audit;
use crate::state::AppState;
use crate::store::audit::AuditFilter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_audit))
        .routes(routes!(verify_audit))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Page size, 1 to 500; default 50.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// Opaque; the `next_cursor` of the previous page.
    pub cursor: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    /// Who: the acting user's id.
    #[param(value_type = Option<Uuid>)]
    pub actor_id: Option<String>,
    /// What: the action, e.g. `organization.update`, `user.password_reset`.
    pub action: Option<String>,
    /// When: entries at or after this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime, example = "2026-12-01T00:00:00+08:00")]
    pub from: Option<String>,
    /// Entries before this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<String>,
    /// `asc` (chain order, the default) or `desc` (newest first).
    #[param(pattern = "^\\s*(asc|desc)?\\s*$")]
    pub order: Option<String>,
}

fn instant(value: &Option<String>, field: &str) -> ApiResult<Option<DateTime<Utc>>> {
    given(value)
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| ApiError::invalid(format!("{field}: not an RFC 3339 instant")))
        })
        .transpose()
}

/// Audit entries, optionally of one object, one actor, one action or a time range, in
/// chain order or newest first. Admins only.
#[utoipa::path(get, path = "/api/v1/audit", tag = "administration",
    params(AuditQuery), security(("bearer" = [])),
    responses(
        (status = 200, body = Page<AuditRecord>),
        (status = 400, description = "`invalid_request` naming the parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_audit(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<AuditQuery>,
) -> ApiResult<AppJson<Page<AuditRecord>>> {
    let limit = query.limit.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&limit) {
        return Err(ApiError::invalid(format!(
            "limit: must be between 1 and {MAX_PAGE_SIZE}"
        )));
    }
    let cursor = given(&query.cursor)
        .map(|c| {
            c.parse::<i64>()
                .map_err(|_| ApiError::invalid("cursor: not a cursor this server issued"))
        })
        .transpose()?;
    let newest_first = match given(&query.order) {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(ApiError::invalid("order: must be asc or desc")),
    };
    let filter = AuditFilter {
        object_type: given(&query.object_type).map(str::to_owned),
        object_id: given(&query.object_id).map(str::to_owned),
        actor_id: given(&query.actor_id)
            .map(|id| Uuid::parse_str(id).map_err(|_| ApiError::invalid("actor_id: not a UUID")))
            .transpose()?,
        action: given(&query.action).map(str::to_owned),
        from: instant(&query.from, "from")?,
        to: instant(&query.to, "to")?,
    };
    Ok(AppJson(
        audit::search(&state, &actor, filter, cursor, newest_first, limit).await?,
    ))
}

/// Walks the whole chain from its first entry and checks every audited row against
/// it, as `server audit verify` does. Admins only; takes as long as the chain is long.
#[utoipa::path(get, path = "/api/v1/audit/verification", tag = "administration",
    security(("bearer" = [])),
    responses(
        (status = 200, body = AuditVerification),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn verify_audit(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<AppJson<AuditVerification>> {
    Ok(AppJson(audit::verification(&state, &actor).await?))
}
