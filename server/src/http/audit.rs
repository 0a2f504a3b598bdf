//! `GET /api/v1/audit`: the audit chain, for administrators.

use axum::extract::State;
use mobile_api::{AuditRecord, Page, Problem};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{AppJson, AppQuery};
use super::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::domain::access::{Actor, Role};
use crate::domain::audit::AuditEntry;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    pub limit: Option<u32>,
    /// Opaque; the `next_cursor` of the previous page.
    pub cursor: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
}

fn parse_json(text: Option<String>) -> Option<serde_json::Value> {
    text.and_then(|t| serde_json::from_str(&t).ok())
}

fn to_record(e: AuditEntry) -> AuditRecord {
    AuditRecord {
        seq: e.seq,
        id: e.id,
        at: e.at,
        actor_id: e.actor_id,
        actor_role: e.actor_role,
        action: e.action,
        object_type: e.object_type,
        object_id: e.object_id,
        before: parse_json(e.before),
        after: parse_json(e.after),
        prev_hash: e.prev_hash,
        hash: e.hash,
    }
}

/// Audit entries in chain order, optionally of one object. Admins only.
#[utoipa::path(get, path = "/api/v1/audit", tag = "administration",
    params(AuditQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<AuditRecord>), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list_audit(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<AuditQuery>,
) -> ApiResult<AppJson<Page<AuditRecord>>> {
    actor.require(&[Role::Admin])?;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&limit) {
        return Err(ApiError::invalid(format!(
            "limit: must be between 1 and {MAX_PAGE_SIZE}"
        )));
    }
    let after_seq = match &query.cursor {
        Some(cursor) => cursor
            .parse::<i64>()
            .map_err(|_| ApiError::invalid("cursor: not a cursor this server issued"))?,
        None => 0,
    };
    let object = match (&query.object_type, &query.object_id) {
        (Some(t), Some(id)) => Some((t.as_str(), id.as_str())),
        (Some(t), None) => Some((t.as_str(), "")),
        (None, Some(id)) => Some(("", id.as_str())),
        (None, None) => None,
    };
    let entries = state
        .store
        .audit_entries(after_seq, limit + 1, object)
        .await?;
    let more = entries.len() > limit as usize;
    let items: Vec<AuditRecord> = entries
        .into_iter()
        .take(limit as usize)
        .map(to_record)
        .collect();
    let next_cursor = if more {
        items.last().map(|r| r.seq.to_string())
    } else {
        None
    };
    Ok(AppJson(Page { items, next_cursor }))
}
