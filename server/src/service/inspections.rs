//! Supervisors' inspections (暗访 / 现场核查), cross-checked against attendance, and
//! the presence spot-checks (在岗抽查) they ask of a physician; the physician's answer
//! is a scan, judged by [`super::attendance::answer_presence`].

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use mobile_api::{
    CreateInspection, CreatePresenceCheck, Inspection, PresenceCheck, PresenceCheckStatus,
    RaisedAnomaly,
};
use uuid::Uuid;

use crate::cache::keys;
use crate::domain::access::{Actor, Role};
use crate::domain::coords::LatLon;
use crate::domain::crediting::close_of_local_day;
use crate::domain::inspection::{self, Observation, VisitSpan};
use crate::domain::inspection_evidence;
use crate::domain::organization::Organization;
use crate::domain::window::{covers_date, local_date};
use crate::error::{ApiError, ApiResult};
use crate::service::admin::organizations::{placement, reachable_organization};
use crate::service::audit::{self, Change};
use crate::state::AppState;
use crate::store::supervision::{InspectionRecord, NewAnomaly, PresenceCheckRecord};

/// How far ahead of the server's clock an inspector's `observed_at` may be.
const CLOCK_SKEW: Duration = Duration::minutes(5);
/// How long after the fact an inspection may still be recorded.
const MAX_INSPECTION_AGE: Duration = Duration::days(366);
/// The longest a presence check may give the physician, in minutes.
pub const MAX_RESPOND_WITHIN_MINUTES: u32 = 240;

/// Records an inspection and cross-checks it against attendance at `observed_at`
/// ([`inspection::cross_check`]); answers it with the anomalies raised, all stored
/// together with the audit entry.
pub async fn create_inspection(
    state: &AppState,
    actor: &Actor,
    body: CreateInspection,
) -> ApiResult<Inspection> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    let now = state.now();
    inspection::validate(
        &body.present_physician_ids,
        &body.absent_physician_ids,
        &body.note,
    )
    .map_err(|e| ApiError::invalid(e.to_string()))?;
    if body.observed_at > now + CLOCK_SKEW {
        return Err(ApiError::invalid("observed_at: in the future"));
    }
    if body.observed_at < now - MAX_INSPECTION_AGE {
        return Err(ApiError::invalid("observed_at: more than a year ago"));
    }
    if let Some(fix) = &body.inspector_fix {
        inspection_evidence::validate_fix(fix.lat, fix.lon, fix.accuracy_m, fix.fix_time, now)
            .map_err(|e| ApiError::invalid(e.to_string()))?;
    }
    let site = reachable_organization(state, actor, body.site_id).await?;
    // How far outside the fence the inspector stood, to the decimetre.
    let fix_distance_m = body.inspector_fix.as_ref().and_then(|fix| {
        site.geofence.as_ref().map(|g| {
            (g.fence.distance_outside_m(LatLon::new(fix.lat, fix.lon)) * 10.0).round() / 10.0
        })
    });

    let named = [
        ("present_physician_ids", &body.present_physician_ids),
        ("absent_physician_ids", &body.absent_physician_ids),
    ];
    let mut visits: HashMap<Uuid, Vec<VisitSpan>> = HashMap::new();
    for (field, ids) in named {
        for id in ids {
            let is_physician = state
                .store
                .user(*id)
                .await?
                .is_some_and(|u| u.role == Role::Physician);
            if !is_physician {
                return Err(ApiError::invalid(format!(
                    "{field}: {id} is not a physician"
                )));
            }
            visits.insert(*id, visit_spans(state, *id, body.observed_at).await?);
        }
    }

    let observation = Observation {
        site_id: site.id,
        observed_at: body.observed_at,
        present: &body.present_physician_ids,
        absent: &body.absent_physician_ids,
    };
    let inspection_id = Uuid::new_v4();
    let anomalies: Vec<NewAnomaly> = inspection::cross_check(&observation, &visits)
        .into_iter()
        .map(|d| {
            let mut detail = d.detail;
            detail["inspection_id"] = serde_json::json!(inspection_id);
            detail["inspection_kind"] = serde_json::json!(body.kind.as_str());
            NewAnomaly {
                id: Uuid::new_v4(),
                kind: d.kind,
                physician_id: d.physician_id,
                site_id: Some(site.id),
                visit_id: d.visit_id,
                event_ids: Vec::new(),
                detected_at: now,
                detail,
            }
        })
        .collect();
    let record = InspectionRecord {
        id: inspection_id,
        site_id: site.id,
        kind: body.kind,
        observed_at: body.observed_at,
        inspector_id: actor.user_id,
        present_physician_ids: body.present_physician_ids,
        absent_physician_ids: body.absent_physician_ids,
        note: body.note,
        created_at: now,
        fix: body.inspector_fix,
        fix_distance_m,
    };
    let raised = anomalies
        .iter()
        .map(|a| RaisedAnomaly {
            anomaly_id: a.id,
            physician_id: a.physician_id,
            kind: a.kind.as_str().to_owned(),
            visit_id: a.visit_id,
        })
        .collect();
    let inspection = Inspection {
        id: record.id,
        site_id: record.site_id,
        kind: record.kind,
        observed_at: record.observed_at,
        inspector_id: record.inspector_id,
        present_physician_ids: record.present_physician_ids.clone(),
        absent_physician_ids: record.absent_physician_ids.clone(),
        note: record.note.clone(),
        created_at: record.created_at,
        raised,
        inspector_fix: record.fix.clone(),
        fix_distance_to_fence_m: record.fix_distance_m,
        follow_up: None,
        photos: Vec::new(),
        site_name: site.name.clone(),
        jurisdiction_code: site.jurisdiction_code.to_string(),
        inspector_name: state
            .store
            .user(actor.user_id)
            .await?
            .map(|u| u.name)
            .unwrap_or_default(),
        present_physician_names: Vec::new(),
        absent_physician_names: Vec::new(),
        photo_count: 0,
    };
    let audit = audit::audited(
        state,
        actor,
        Change {
            action: "inspection.create",
            object_type: "inspection",
            object_id: inspection.id.to_string(),
            before: None,
            after: Some(&inspection),
        },
    )?;
    state
        .store
        .insert_inspection(&record, &anomalies, audit)
        .await?;
    tracing::info!(
        inspection_id = %record.id,
        site_id = %record.site_id,
        raised = anomalies.len(),
        "inspection recorded"
    );
    Ok(inspection)
}

/// A physician's visits around `at`, each ending at its check-out or, without one, at
/// the end of its local day (when it is closed, or would be, without credit).
async fn visit_spans(
    state: &AppState,
    physician_id: Uuid,
    at: DateTime<Utc>,
) -> ApiResult<Vec<VisitSpan>> {
    Ok(state
        .store
        .visits_near(physician_id, at)
        .await?
        .into_iter()
        .map(|v| {
            let end_of_day = v
                .timezone
                .parse::<chrono_tz::Tz>()
                .ok()
                .map(|tz| close_of_local_day(v.local_date, tz));
            VisitSpan {
                id: v.id,
                site_id: v.site_id,
                checked_in_at: v.checked_in_at,
                ended_at: v.checked_out_at.or(v.auto_closed_at).or(end_of_day),
            }
        })
        .collect())
}

fn presence_body(check: PresenceCheckRecord) -> PresenceCheck {
    PresenceCheck {
        id: check.id,
        physician_id: check.physician_id,
        site_id: check.site_id,
        visit_id: check.visit_id,
        requested_by: check.requested_by,
        requested_at: check.requested_at,
        deadline_at: check.deadline_at,
        status: check.status,
        answered_event_id: check.answered_event_id,
        resolved_at: check.resolved_at,
    }
}

/// Asks a physician to prove presence within `respond_within_minutes`, at the site
/// named or else the one their open visit or today's assignments point to (only sites
/// within the caller's reach count); answers the pending check, stored with its audit
/// entry, its deadline put in the shared schedule.
pub async fn create_presence_check(
    state: &AppState,
    actor: &Actor,
    body: &CreatePresenceCheck,
) -> ApiResult<PresenceCheck> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    if !(1..=MAX_RESPOND_WITHIN_MINUTES).contains(&body.respond_within_minutes) {
        return Err(ApiError::invalid(format!(
            "respond_within_minutes: must be between 1 and {MAX_RESPOND_WITHIN_MINUTES}"
        )));
    }
    let now = state.now();
    let physician = state
        .store
        .user(body.physician_id)
        .await?
        .filter(|u| u.role == Role::Physician)
        .ok_or(ApiError::NotFound)?;

    // Every site the physician may be asked to be at, with whether today is a day
    // they are expected there.
    let mut candidates: Vec<(Organization, bool)> = Vec::new();
    let mut consider = |site: Organization, today_due: bool| {
        if !actor.reaches(placement(&site)) {
            return;
        }
        match candidates.iter_mut().find(|(s, _)| s.id == site.id) {
            Some((_, due)) => *due |= today_due,
            None => candidates.push((site, today_due)),
        }
    };
    let open = match state.store.open_visit(physician.id).await? {
        Some(visit) => match state.store.organization(visit.site_id).await? {
            Some(site) if close_of_local_day(visit.local_date, site.timezone) > now => {
                consider(site, true);
                Some(visit)
            }
            _ => None,
        },
        None => None,
    };
    for assignment in state.store.assignments_of(physician.id).await? {
        if let Some(site) = state.store.organization(assignment.site_id).await? {
            let today = local_date(now, site.timezone);
            consider(site, covers_date(assignment.date_range(), today));
        }
    }
    let in_scope_open = open
        .as_ref()
        .filter(|v| candidates.iter().any(|(s, _)| s.id == v.site_id));
    let (site_id, expected_today) = match body.site_id {
        Some(id) => candidates
            .iter()
            .find(|(s, _)| s.id == id)
            .map(|(s, due)| (s.id, *due))
            .ok_or(ApiError::NotFound)?,
        None => match in_scope_open {
            Some(visit) => (visit.site_id, true),
            None => {
                if candidates.is_empty() {
                    return Err(ApiError::NotFound);
                }
                let due: Vec<Uuid> = candidates
                    .iter()
                    .filter(|(_, due)| *due)
                    .map(|(s, _)| s.id)
                    .collect();
                match due.as_slice() {
                    [] => (candidates[0].0.id, false),
                    [only] => (*only, true),
                    _ => {
                        return Err(ApiError::invalid(
                            "site_id: the physician is expected at several sites today; name one",
                        ));
                    }
                }
            }
        },
    };
    if !expected_today {
        return Err(ApiError::Refused {
            code: "no_assignment",
            detail: "the physician has no assignment at this site covering today".into(),
            extra: None,
        });
    }
    let check = PresenceCheckRecord {
        id: Uuid::new_v4(),
        physician_id: physician.id,
        site_id: Some(site_id),
        visit_id: in_scope_open.filter(|v| v.site_id == site_id).map(|v| v.id),
        requested_by: actor.user_id,
        requested_at: now,
        deadline_at: now + Duration::minutes(i64::from(body.respond_within_minutes)),
        status: PresenceCheckStatus::Pending,
        answered_event_id: None,
        resolved_at: None,
    };
    let body = presence_body(check.clone());
    let audit = audit::audited(
        state,
        actor,
        Change {
            action: "presence_check.create",
            object_type: "presence_check",
            object_id: body.id.to_string(),
            before: None,
            after: Some(&body),
        },
    )?;
    state.store.insert_presence_check(&check, audit).await?;
    note_presence_deadline(state, &check).await;
    tracing::info!(
        presence_check_id = %check.id,
        physician_id = %check.physician_id,
        deadline_at = %check.deadline_at,
        "presence check requested"
    );
    Ok(body)
}

/// Puts a new presence check's deadline in the shared schedule, so that some process's
/// timer expires it without a database sweep (see [`crate::scheduler`]).
pub async fn note_presence_deadline(state: &AppState, check: &PresenceCheckRecord) {
    state
        .cache
        .schedule(
            keys::PRESENCE_DEADLINES,
            &check.id.to_string(),
            check.deadline_at.timestamp_millis(),
        )
        .await;
}
