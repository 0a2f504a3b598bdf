//! Inspections after the fact: the filtered list (and its download), one inspection
//! with its photos, the follow-up (整改) of its findings, and its photos, each stored
//! with its SHA-256 in the audit chain.

use chrono::{DateTime, Utc};
use mobile_api::{Inspection, InspectionFollowUp, InspectionPhoto, RecordFollowUp};
use serde_json::json;
use uuid::Uuid;

use crate::domain::access::{Actor, Placement, Role};
use crate::domain::inspection_evidence::{self, image_type, sha256_hex};
use crate::error::{ApiError, ApiResult};
use crate::service::audit::{self, Change};
use crate::service::reports;
use crate::state::AppState;
use crate::store::inspection_records::{InspectionFilter, NewInspectionPhoto, StoredInspection};

/// Most rows one download holds; a larger selection is cut and says so.
pub const EXPORT_LIMIT: u32 = 20_000;

/// The list's filters as the request gave them.
#[derive(Debug, Clone, Default)]
pub struct InspectionQuery {
    /// A jurisdiction in the caller's scope (a county's code for its inspections).
    pub jurisdiction_code: Option<String>,
    pub filter: InspectionFilter,
}

/// One page of the list and how many match in all.
#[derive(Debug, Clone)]
pub struct InspectionList {
    pub items: Vec<Inspection>,
    pub total: u64,
}

/// The filter confined to the caller's reach (supervisors their subtree, admins all).
async fn scoped(
    state: &AppState,
    actor: &Actor,
    query: &InspectionQuery,
) -> ApiResult<InspectionFilter> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    let mut filter = query.filter.clone();
    let scope = reports::resolve_scope(state, actor, query.jurisdiction_code.as_deref()).await?;
    filter.within = scope.jurisdiction.map(|j| j.path);
    Ok(filter)
}

/// Inspections matching `query`, newest first, after the cursor.
pub async fn search(
    state: &AppState,
    actor: &Actor,
    query: &InspectionQuery,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: u32,
) -> ApiResult<InspectionList> {
    let filter = scoped(state, actor, query).await?;
    let found = state
        .store
        .search_inspections(&filter, after, limit)
        .await?;
    let total = state.store.count_inspections(&filter).await?;
    Ok(InspectionList {
        items: describe(state, found).await?,
        total,
    })
}

/// The whole filtered list for a download (at most [`EXPORT_LIMIT`]) and whether more
/// matched.
pub async fn export(
    state: &AppState,
    actor: &Actor,
    query: &InspectionQuery,
) -> ApiResult<(Vec<Inspection>, bool)> {
    let filter = scoped(state, actor, query).await?;
    let mut found = state
        .store
        .search_inspections(&filter, None, EXPORT_LIMIT + 1)
        .await?;
    let cut = found.len() > EXPORT_LIMIT as usize;
    found.truncate(EXPORT_LIMIT as usize);
    Ok((describe(state, found).await?, cut))
}

/// Stored inspections as the API shows them, the physicians named.
async fn describe(state: &AppState, found: Vec<StoredInspection>) -> ApiResult<Vec<Inspection>> {
    let mut people: Vec<Uuid> = found
        .iter()
        .flat_map(|f| {
            f.record
                .present_physician_ids
                .iter()
                .chain(&f.record.absent_physician_ids)
                .copied()
        })
        .collect();
    people.sort_unstable();
    people.dedup();
    let names = state.store.names_of(&people, &[]).await?;
    let name = |id: &Uuid| {
        names
            .people
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    };
    Ok(found
        .into_iter()
        .map(|f| {
            let r = f.record;
            Inspection {
                present_physician_names: r.present_physician_ids.iter().map(name).collect(),
                absent_physician_names: r.absent_physician_ids.iter().map(name).collect(),
                id: r.id,
                site_id: r.site_id,
                kind: r.kind,
                observed_at: r.observed_at,
                inspector_id: r.inspector_id,
                present_physician_ids: r.present_physician_ids,
                absent_physician_ids: r.absent_physician_ids,
                note: r.note,
                created_at: r.created_at,
                raised: Vec::new(),
                inspector_fix: r.fix,
                fix_distance_to_fence_m: r.fix_distance_m,
                follow_up: f.follow_up,
                photos: Vec::new(),
                site_name: f.site_name,
                jurisdiction_code: f.jurisdiction_code,
                inspector_name: f.inspector_name,
                photo_count: f.photo_count,
            }
        })
        .collect())
}

/// An inspection the caller reaches (its site within their jurisdiction), or 404.
async fn reachable(state: &AppState, actor: &Actor, id: Uuid) -> ApiResult<StoredInspection> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    let found = state
        .store
        .inspection(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    actor.check_reach(Placement {
        jurisdiction: &found.jurisdiction_path,
        organization_id: Some(found.record.site_id),
    })?;
    Ok(found)
}

/// One inspection in full, with its photos' metadata and the anomalies it raised.
pub async fn detail(state: &AppState, actor: &Actor, id: Uuid) -> ApiResult<Inspection> {
    let found = reachable(state, actor, id).await?;
    let mut inspection = describe(state, vec![found])
        .await?
        .pop()
        .ok_or(ApiError::NotFound)?;
    inspection.photos = state.store.inspection_photos(id).await?;
    inspection.photo_count = u32::try_from(inspection.photos.len()).unwrap_or(u32::MAX);
    Ok(inspection)
}

/// Records what was done about an inspection's findings (replacing the last record;
/// the audit chain keeps each with its before and after).
pub async fn record_follow_up(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    body: &RecordFollowUp,
) -> ApiResult<Inspection> {
    inspection_evidence::validate_follow_up(&body.action, &body.note)
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    let found = reachable(state, actor, id).await?;
    let follow_up = InspectionFollowUp {
        action: body.action.trim().to_owned(),
        status: body.status,
        note: body.note.clone(),
        recorded_at: state.now(),
        recorded_by: actor.user_id,
    };
    let audit = audit::audited(
        state,
        actor,
        Change {
            action: "inspection.follow_up",
            object_type: "inspection",
            object_id: id.to_string(),
            before: found.follow_up.as_ref(),
            after: Some(&follow_up),
        },
    )?;
    state.store.record_follow_up(id, &follow_up, audit).await?;
    detail(state, actor, id).await
}

/// Stores a photo of an inspection: an image by its first bytes (JPEG, PNG, WebP),
/// at most the configured size; its SHA-256 goes into the audit entry.
pub async fn add_photo(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    data: Vec<u8>,
) -> ApiResult<InspectionPhoto> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    if data.len() > state.config.inspection_photo_max_bytes {
        return Err(ApiError::PayloadTooLarge);
    }
    let content_type = image_type(&data).ok_or_else(|| {
        ApiError::UnsupportedMediaType("expected a JPEG, PNG or WebP image".into())
    })?;
    reachable(state, actor, id).await?;
    let meta = InspectionPhoto {
        id: Uuid::new_v4(),
        inspection_id: id,
        content_type: content_type.to_owned(),
        bytes: data.len() as u64,
        sha256: sha256_hex(&data),
        uploaded_by: actor.user_id,
        uploaded_at: state.now(),
    };
    let audit = audit::audited(
        state,
        actor,
        Change {
            action: "inspection.photo",
            object_type: "inspection_photo",
            object_id: meta.id.to_string(),
            before: None,
            after: Some(&json!({
                "inspection_id": meta.inspection_id,
                "content_type": meta.content_type,
                "bytes": meta.bytes,
                "sha256": meta.sha256,
            })),
        },
    )?;
    state
        .store
        .insert_inspection_photo(
            &NewInspectionPhoto {
                meta: meta.clone(),
                data,
            },
            audit,
        )
        .await?;
    tracing::info!(inspection_id = %id, photo_id = %meta.id, bytes = meta.bytes, "inspection photo stored");
    Ok(meta)
}

/// One photo with its bytes, for a caller who reaches the inspection.
pub async fn photo(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    photo_id: Uuid,
) -> ApiResult<(InspectionPhoto, Vec<u8>)> {
    reachable(state, actor, id).await?;
    state
        .store
        .inspection_photo(id, photo_id)
        .await?
        .ok_or(ApiError::NotFound)
}
