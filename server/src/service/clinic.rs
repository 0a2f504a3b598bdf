//! The receiving clinic's daily word on the visits at its site (受援单位日常考核): a
//! clinic administrator confirms or disputes each visit once; a dispute raises a
//! `clinic_disputed` anomaly for the supervisors, a confirmation is shown next to the
//! visit and counts as evidence in the review.

use std::collections::HashMap;

use mobile_api::{ClinicConfirmation, ClinicConfirmationRequest, ClinicVerdict, Visit};
use serde_json::json;
use uuid::Uuid;

use crate::domain::access::{Actor, Role, Scope};
use crate::domain::anomaly::AnomalyKind;
use crate::domain::text;
use crate::error::{ApiError, ApiResult};
use crate::service::audit::{self, Change};
use crate::state::AppState;
use crate::store::attendance::VisitRecord;
use crate::store::clinic::ConfirmationRecord;
use crate::store::supervision::NewAnomaly;

/// The longest reason a clinic may give.
pub const MAX_REASON_CHARS: usize = 500;

/// The site a clinic administrator speaks for; any other role may not confirm (403).
pub fn own_site(actor: &Actor) -> ApiResult<Uuid> {
    actor.require(&[Role::ClinicAdmin])?;
    match actor.scope {
        Scope::Organization(id) => Ok(id),
        _ => Err(ApiError::Forbidden),
    }
}

/// A visit at the clinic administrator's own site; 404 for any other.
async fn own_visit(state: &AppState, actor: &Actor, visit_id: Uuid) -> ApiResult<VisitRecord> {
    let site = own_site(actor)?;
    let visit = state
        .store
        .visit(visit_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if visit.site_id != site {
        return Err(ApiError::NotFound);
    }
    Ok(visit)
}

/// The reason as kept: a [`text::note`] of at most [`MAX_REASON_CHARS`], required
/// for a dispute.
fn reason_of(body: &ClinicConfirmationRequest) -> ApiResult<String> {
    let reason = text::note("reason", body.reason.as_deref(), MAX_REASON_CHARS)?;
    if body.verdict == ClinicVerdict::Disputed && reason.is_none() {
        return Err(ApiError::invalid("reason: required for a dispute"));
    }
    Ok(reason.unwrap_or_default())
}

pub fn to_wire(r: ConfirmationRecord) -> ClinicConfirmation {
    ClinicConfirmation {
        id: r.id,
        visit_id: r.visit_id,
        site_id: r.site_id,
        verdict: r.verdict,
        reason: r.reason,
        confirmed_by: r.confirmed_by,
        confirmed_by_name: r.confirmed_by_name,
        confirmed_at: r.confirmed_at,
        anomaly_id: r.anomaly_id,
    }
}

/// Records the clinic's confirmation or dispute of one visit at its site, once
/// (409 `already_confirmed` after that). A dispute raises `clinic_disputed` on the
/// visit in the same transaction; both are audited (`clinic_confirmation.create`).
pub async fn confirm(
    state: &AppState,
    actor: &Actor,
    visit_id: Uuid,
    body: &ClinicConfirmationRequest,
) -> ApiResult<ClinicConfirmation> {
    let visit = own_visit(state, actor, visit_id).await?;
    let reason = reason_of(body)?;
    if !state
        .store
        .clinic_confirmations_of(&[visit_id])
        .await?
        .is_empty()
    {
        return Err(already_confirmed());
    }
    let me = state.store.user(actor.user_id).await?;
    let now = state.now();
    let id = Uuid::new_v4();
    let raised = (body.verdict == ClinicVerdict::Disputed).then(|| NewAnomaly {
        id: Uuid::new_v4(),
        kind: AnomalyKind::ClinicDisputed,
        physician_id: visit.physician_id,
        site_id: Some(visit.site_id),
        visit_id: Some(visit.id),
        event_ids: Vec::new(),
        detected_at: now,
        detail: json!({
            "local_date": visit.local_date.to_string(),
            "reason": reason,
            "disputed_by_name": me.as_ref().map(|u| u.name.clone()).unwrap_or_default(),
            "confirmation_id": id,
        }),
    });
    let record = ConfirmationRecord {
        id,
        visit_id,
        site_id: visit.site_id,
        verdict: body.verdict,
        reason,
        confirmed_by: actor.user_id,
        confirmed_by_name: me.map(|u| u.name),
        confirmed_at: now,
        anomaly_id: raised.as_ref().map(|a| a.id),
    };
    let wire = to_wire(record.clone());
    let provenance = audit::audited(
        state,
        actor,
        Change {
            action: "clinic_confirmation.create",
            object_type: "clinic_confirmation",
            object_id: id.to_string(),
            before: None,
            after: Some(&wire),
        },
    )?;
    state
        .store
        .insert_clinic_confirmation(&record, raised.as_ref(), provenance)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::Conflict(_) => already_confirmed(),
            other => other.into(),
        })?;
    Ok(wire)
}

fn already_confirmed() -> ApiError {
    ApiError::Conflict {
        code: "already_confirmed",
        detail: "the clinic has already confirmed or disputed this visit".into(),
    }
}

/// Sets each visit's `clinic_confirmation` from the store (one query).
pub async fn attach(state: &AppState, visits: &mut [Visit]) -> ApiResult<()> {
    let ids: Vec<Uuid> = visits.iter().map(|v| v.id).collect();
    let mut by_visit: HashMap<Uuid, ClinicConfirmation> = state
        .store
        .clinic_confirmations_of(&ids)
        .await?
        .into_iter()
        .map(|r| (r.visit_id, to_wire(r)))
        .collect();
    for visit in visits {
        visit.clinic_confirmation = by_visit.remove(&visit.id);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(verdict: ClinicVerdict, reason: Option<&str>) -> ClinicConfirmationRequest {
        ClinicConfirmationRequest {
            verdict,
            reason: reason.map(str::to_owned),
        }
    }

    #[test]
    fn a_dispute_needs_a_reason_and_a_confirmation_does_not() {
        assert!(reason_of(&body(ClinicVerdict::Disputed, None)).is_err());
        assert!(reason_of(&body(ClinicVerdict::Disputed, Some("  "))).is_err());
        assert_eq!(
            reason_of(&body(ClinicVerdict::Disputed, Some(" 未见到 "))).expect("ok"),
            "未见到"
        );
        assert_eq!(
            reason_of(&body(ClinicVerdict::Confirmed, None)).expect("ok"),
            ""
        );
        let long = "长".repeat(MAX_REASON_CHARS + 1);
        assert!(reason_of(&body(ClinicVerdict::Confirmed, Some(&long))).is_err());
    }
}
