//! A physician's appeal (申诉) on one of their visits, the supervisors' queue and
//! decision, and a visit's evidence pack (证据包): everything a dispute is settled on.

use mobile_api::{Appeal, AppealDecision, AppealStatus, CreateAppeal, VisitEvidence};
use uuid::Uuid;

use crate::domain::access::{Actor, Placement, Role, Scope};
use crate::domain::crediting::{close_of_local_day, start_of_local_day};
use crate::domain::jurisdiction::JurisdictionPath;
use crate::error::{ApiError, ApiResult};
use crate::service::audit::{self, Change};
use crate::service::{clinic, visit_review};
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::appeals::AppealRecord;

/// The longest appeal note or decision note.
pub const MAX_NOTE_CHARS: usize = 2000;
/// The most appeals one queue page lists.
pub const MAX_LIST: u32 = 500;

/// A note as kept: trimmed, 1 to [`MAX_NOTE_CHARS`] characters, no control
/// characters but newlines.
fn note_of(field: &str, raw: &str) -> ApiResult<String> {
    Ok(crate::domain::text::text(field, raw, MAX_NOTE_CHARS)?)
}

pub fn to_wire(r: AppealRecord) -> Appeal {
    Appeal {
        id: r.id,
        visit_id: r.visit_id,
        status: r.status,
        note: r.note,
        created_at: r.created_at,
        decision_note: r.decision_note,
        decided_at: r.decided_at,
        decided_by: r.decided_by,
        decided_by_name: r.decided_by_name,
        physician_id: r.physician_id,
        physician_name: r.physician_name,
        site_id: r.site_id,
        site_name: r.site_name,
        local_date: r.local_date,
    }
}

/// A visit of the calling physician (404 for anyone else's).
async fn my_visit(
    state: &AppState,
    actor: &Actor,
    visit_id: Uuid,
) -> ApiResult<crate::store::attendance::VisitRecord> {
    actor.require(&[Role::Physician])?;
    let visit = state
        .store
        .visit(visit_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if visit.physician_id != actor.user_id {
        return Err(ApiError::NotFound);
    }
    Ok(visit)
}

/// The physician appeals one of their visits. One pending appeal per visit at a time
/// (409 `appeal_pending`); audited (`appeal.create`).
pub async fn create(
    state: &AppState,
    actor: &Actor,
    visit_id: Uuid,
    body: &CreateAppeal,
) -> ApiResult<Appeal> {
    let visit = my_visit(state, actor, visit_id).await?;
    let note = note_of("note", &body.note)?;
    let existing = state.store.appeals_of_visit(visit_id).await?;
    if existing.iter().any(|a| a.status == AppealStatus::Pending) {
        return Err(ApiError::Conflict {
            code: "appeal_pending",
            detail: "an appeal on this visit awaits its decision".into(),
        });
    }
    let record = AppealRecord {
        id: Uuid::new_v4(),
        visit_id,
        physician_id: actor.user_id,
        site_id: visit.site_id,
        note,
        status: AppealStatus::Pending,
        created_at: state.now(),
        decided_by: None,
        decided_at: None,
        decision_note: None,
        physician_name: None,
        site_name: None,
        decided_by_name: None,
        local_date: Some(visit.local_date),
        jurisdiction_path: None,
    };
    let wire = to_wire(record.clone());
    let provenance = audit::audited(
        state,
        actor,
        Change {
            action: "appeal.create",
            object_type: "appeal",
            object_id: record.id.to_string(),
            before: None,
            after: Some(&wire),
        },
    )?;
    state.store.insert_appeal(&record, provenance).await?;
    let stored = state
        .store
        .appeal(record.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(to_wire(stored))
}

/// The physician's appeals on one of their visits, oldest first.
pub async fn mine(state: &AppState, actor: &Actor, visit_id: Uuid) -> ApiResult<Vec<Appeal>> {
    my_visit(state, actor, visit_id).await?;
    Ok(state
        .store
        .appeals_of_visit(visit_id)
        .await?
        .into_iter()
        .map(to_wire)
        .collect())
}

/// The subtree a supervisor's queue covers (`None`: an admin's, everything).
fn reach(actor: &Actor) -> ApiResult<Option<&JurisdictionPath>> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    match &actor.scope {
        Scope::Everything => Ok(None),
        Scope::Jurisdiction(path) => Ok(Some(path)),
        _ => Err(ApiError::Forbidden),
    }
}

/// The supervisors' queue: appeals at sites in reach, of `status` when given,
/// oldest first, at most `limit` (1 to [`MAX_LIST`]).
pub async fn queue(
    state: &AppState,
    actor: &Actor,
    status: Option<AppealStatus>,
    limit: u32,
) -> ApiResult<Vec<Appeal>> {
    let within = reach(actor)?;
    if !(1..=MAX_LIST).contains(&limit) {
        return Err(ApiError::invalid(format!(
            "limit: must be between 1 and {MAX_LIST}"
        )));
    }
    Ok(state
        .store
        .list_appeals(within, status, limit)
        .await?
        .into_iter()
        .map(to_wire)
        .collect())
}

/// A supervisor in reach (or an admin) decides a pending appeal, once (409
/// `already_decided`), with a note the physician reads; audited (`appeal.decide`).
/// The decision is a record: the visit's credit still follows its anomalies'
/// reviews (an upheld appeal is the supervisor's reason to dismiss them).
pub async fn decide(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    body: &AppealDecision,
) -> ApiResult<Appeal> {
    let within = reach(actor)?;
    let before = state.store.appeal(id).await?.ok_or(ApiError::NotFound)?;
    if let Some(root) = within {
        let path = before
            .jurisdiction_path
            .clone()
            .map(JurisdictionPath::from_stored)
            .ok_or(ApiError::NotFound)?;
        if !root.contains(&path) {
            return Err(ApiError::NotFound);
        }
    }
    if body.decision == AppealStatus::Pending {
        return Err(ApiError::invalid("decision: expected upheld or rejected"));
    }
    let note = note_of("note", &body.note)?;
    let already = || ApiError::Conflict {
        code: "already_decided",
        detail: "the appeal was already decided".into(),
    };
    if before.status != AppealStatus::Pending {
        return Err(already());
    }
    let now = state.now();
    let after = Appeal {
        status: body.decision,
        decision_note: Some(note.clone()),
        decided_at: Some(now),
        decided_by: Some(actor.user_id),
        ..to_wire(before.clone())
    };
    let provenance = audit::audited(
        state,
        actor,
        Change {
            action: "appeal.decide",
            object_type: "appeal",
            object_id: id.to_string(),
            before: Some(&to_wire(before)),
            after: Some(&after),
        },
    )?;
    state
        .store
        .decide_appeal(id, body.decision, actor.user_id, now, &note, provenance)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => already(),
            other => other.into(),
        })?;
    let stored = state.store.appeal(id).await?.ok_or(ApiError::NotFound)?;
    Ok(to_wire(stored))
}

/// A visit's evidence pack, for those who may open the visit (a supervisor in
/// reach, an admin, the site's clinic administrator; 404 otherwise): the visit in
/// full, every attempt behind it (its scans and the physician's refused attempts at
/// the site that day), the clinic's confirmation, the appeals and the photos.
pub async fn evidence(state: &AppState, actor: &Actor, visit_id: Uuid) -> ApiResult<VisitEvidence> {
    let detail = visit_review::detail(state, actor, visit_id).await?;
    let site = state
        .store
        .organization(detail.site.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    actor.check_reach(Placement {
        jurisdiction: &site.jurisdiction_path,
        organization_id: Some(site.id),
    })?;
    let day = detail.visit.local_date;
    let attempts = state
        .store
        .evidence_attempts(
            visit_id,
            detail.visit.physician_id,
            site.id,
            start_of_local_day(day, site.timezone),
            close_of_local_day(day, site.timezone),
        )
        .await?;
    let appeals = state
        .store
        .appeals_of_visit(visit_id)
        .await?
        .into_iter()
        .map(to_wire)
        .collect();
    let mut confirmation = state.store.clinic_confirmations_of(&[visit_id]).await?;
    Ok(VisitEvidence {
        generated_at: state.now(),
        clinic_confirmation: confirmation.pop().map(clinic::to_wire),
        detail,
        attempts,
        appeals,
        photos: state.store.photos_of_visit(visit_id).await?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_trimmed_required_and_bounded() {
        assert_eq!(note_of("note", "  漏签  ").expect("ok"), "漏签");
        assert!(note_of("note", "   ").is_err());
        assert!(note_of("note", &"长".repeat(MAX_NOTE_CHARS + 1)).is_err());
        assert!(note_of("note", &"长".repeat(MAX_NOTE_CHARS)).is_ok());
        assert!(note_of("note", "a\u{0}b").is_err());
    }
}
