//! Complaints (患者投诉, 光山 "群众满意度评价…患者投诉") recorded against a physician
//! and the site they served, their handling, and the lists and exports by scope:
//! supervisors within their jurisdiction, admins everything, a hospital's
//! administrator its own staff (read only), a clinic's administrator its own site
//! (and may record against it).

use chrono::NaiveDate;
use mobile_api::{Complaint, ComplaintHandling, ComplaintStatus, CreateComplaint, Substantiated};
use uuid::Uuid;

use crate::domain::access::{Actor, Role, Scope};
use crate::domain::jurisdiction::JurisdictionPath;
use crate::domain::window::local_date;
use crate::error::{ApiError, ApiResult};
use crate::service::audit::{self, Change};
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::complaints::{ComplaintFilter, ComplaintRecord};

/// The longest complaint content or handling note.
pub const MAX_TEXT_CHARS: usize = 2000;
/// The longest complainant name.
pub const MAX_NAME_CHARS: usize = 50;
/// The most complaints one list answers.
pub const MAX_LIST: u32 = 500;

/// Text as kept: trimmed, 1 to `max` characters, no control characters but newlines.
pub fn text_of(field: &str, raw: &str, max: usize) -> ApiResult<String> {
    Ok(crate::domain::text::text(field, raw, max)?)
}

pub fn to_wire(r: ComplaintRecord) -> Complaint {
    Complaint {
        id: r.id,
        physician_id: r.physician_id,
        physician_name: r.physician_name,
        hospital_name: r.hospital_name,
        site_id: r.site_id,
        site_name: r.site_name,
        received_on: r.received_on,
        channel: r.channel,
        channel_zh: r.channel.label_zh().to_owned(),
        complainant: r.complainant,
        content: r.content,
        status: r.status,
        status_zh: r.status.label_zh().to_owned(),
        substantiated: r.substantiated,
        substantiated_zh: r.substantiated.label_zh().to_owned(),
        handling_note: r.handling_note,
        recorded_by: r.recorded_by,
        recorded_by_name: r.recorded_by_name,
        recorded_at: r.recorded_at,
        handled_by: r.handled_by,
        handled_by_name: r.handled_by_name,
        handled_at: r.handled_at,
    }
}

/// Whether `actor` may read `c`.
fn reads(actor: &Actor, c: &ComplaintRecord) -> bool {
    match (&actor.scope, actor.role) {
        (Scope::Everything, _) => true,
        (Scope::Jurisdiction(root), Role::Supervisor) => {
            root.contains(&JurisdictionPath::from_stored(c.site_path.clone()))
        }
        (Scope::Organization(org), Role::HospitalAdmin) => c.hospital_id == Some(*org),
        (Scope::Organization(org), Role::ClinicAdmin) => c.site_id == *org,
        _ => false,
    }
}

/// The subtree a supervisor or admin handles complaints in (`None`: everything).
fn handler_reach(actor: &Actor) -> ApiResult<Option<&JurisdictionPath>> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    match &actor.scope {
        Scope::Everything => Ok(None),
        Scope::Jurisdiction(path) => Ok(Some(path)),
        _ => Err(ApiError::Forbidden),
    }
}

/// Records a complaint: an admin anywhere, a supervisor at a site in reach, a
/// clinic administrator at its own site (others' sites are 404). The physician
/// must be a physician; the date not after today at the site. Audited
/// (`complaint.create`).
pub async fn create(
    state: &AppState,
    actor: &Actor,
    body: &CreateComplaint,
) -> ApiResult<Complaint> {
    actor.require(&[Role::Admin, Role::Supervisor, Role::ClinicAdmin])?;
    let site = state
        .store
        .organization(body.site_id)
        .await?
        .ok_or_else(|| ApiError::invalid("site_id: no such site"))?;
    let reach = match (&actor.scope, actor.role) {
        (Scope::Everything, _) => true,
        (Scope::Jurisdiction(root), Role::Supervisor) => root.contains(&site.jurisdiction_path),
        (Scope::Organization(org), Role::ClinicAdmin) => *org == site.id,
        _ => false,
    };
    if !reach {
        return Err(ApiError::NotFound);
    }
    let physician = state
        .store
        .user(body.physician_id)
        .await?
        .filter(|u| u.role == Role::Physician)
        .ok_or_else(|| ApiError::invalid("physician_id: no such physician"))?;
    let today = local_date(state.now(), site.timezone);
    if body.received_on > today {
        return Err(ApiError::invalid("received_on: after today"));
    }
    if body.received_on < NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN) {
        return Err(ApiError::invalid("received_on: before 2000"));
    }
    let content = text_of("content", &body.content, MAX_TEXT_CHARS)?;
    let complainant = match body.complainant.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(name) => Some(text_of("complainant", name, MAX_NAME_CHARS)?),
    };
    let record = ComplaintRecord {
        id: Uuid::new_v4(),
        physician_id: physician.id,
        site_id: site.id,
        received_on: body.received_on,
        channel: body.channel,
        complainant,
        content,
        status: ComplaintStatus::Received,
        substantiated: Substantiated::Undetermined,
        handling_note: None,
        recorded_by: actor.user_id,
        recorded_at: state.now(),
        handled_by: None,
        handled_at: None,
        physician_name: physician.name.clone(),
        hospital_id: physician.organization_id,
        hospital_name: None,
        site_name: site.name.clone(),
        recorded_by_name: None,
        handled_by_name: None,
        site_path: site.jurisdiction_path.as_str().to_owned(),
    };
    let wire = to_wire(record.clone());
    let provenance = audit::audited(
        state,
        actor,
        Change {
            action: "complaint.create",
            object_type: "complaint",
            object_id: record.id.to_string(),
            before: None,
            after: Some(&wire),
        },
    )?;
    state.store.insert_complaint(&record, provenance).await?;
    get(state, actor, record.id).await
}

/// One complaint, for those who may read it (404 otherwise).
pub async fn get(state: &AppState, actor: &Actor, id: Uuid) -> ApiResult<Complaint> {
    actor.require(&[
        Role::Admin,
        Role::Supervisor,
        Role::HospitalAdmin,
        Role::ClinicAdmin,
    ])?;
    let record = state
        .store
        .complaint(id)
        .await?
        .filter(|c| reads(actor, c))
        .ok_or(ApiError::NotFound)?;
    Ok(to_wire(record))
}

/// The list's filters.
#[derive(Debug, Clone, Default)]
pub struct ComplaintQuery {
    pub status: Option<ComplaintStatus>,
    pub physician_id: Option<Uuid>,
    pub site_id: Option<Uuid>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub limit: u32,
}

/// The complaints the caller may read matching `query`, newest received first.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    query: &ComplaintQuery,
) -> ApiResult<Vec<Complaint>> {
    actor.require(&[
        Role::Admin,
        Role::Supervisor,
        Role::HospitalAdmin,
        Role::ClinicAdmin,
    ])?;
    if !(1..=MAX_LIST).contains(&query.limit) {
        return Err(ApiError::invalid(format!(
            "limit: must be between 1 and {MAX_LIST}"
        )));
    }
    if let (Some(from), Some(to)) = (query.from, query.to)
        && from > to
    {
        return Err(ApiError::invalid("from: after to"));
    }
    let mut filter = ComplaintFilter {
        status: query.status,
        physician_id: query.physician_id,
        site_id: query.site_id,
        from: query.from,
        to: query.to,
        ..ComplaintFilter::default()
    };
    match (&actor.scope, actor.role) {
        (Scope::Everything, _) => {}
        (Scope::Jurisdiction(root), Role::Supervisor) => filter.within = Some(root),
        (Scope::Organization(org), Role::HospitalAdmin) => filter.hospital_id = Some(*org),
        (Scope::Organization(org), Role::ClinicAdmin) => {
            if query.site_id.is_some_and(|s| s != *org) {
                return Ok(Vec::new());
            }
            filter.site_id = Some(*org);
        }
        _ => return Err(ApiError::Forbidden),
    }
    Ok(state
        .store
        .list_complaints(&filter, query.limit)
        .await?
        .into_iter()
        .map(to_wire)
        .collect())
}

/// Every complaint against `physician_id`, for the promotion form (the caller has
/// checked scope).
pub async fn of_physician(state: &AppState, physician_id: Uuid) -> ApiResult<Vec<Complaint>> {
    let filter = ComplaintFilter {
        physician_id: Some(physician_id),
        ..ComplaintFilter::default()
    };
    Ok(state
        .store
        .list_complaints(&filter, MAX_LIST)
        .await?
        .into_iter()
        .map(to_wire)
        .collect())
}

/// A supervisor in reach (or an admin) records the handling: `handling` or
/// `closed`, whether it was substantiated, and a note. A closed complaint is
/// final (409 `complaint_closed`). Audited (`complaint.handle`) with before and after.
pub async fn handle(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    body: &ComplaintHandling,
) -> ApiResult<Complaint> {
    let within = handler_reach(actor)?;
    let before = state
        .store
        .complaint(id)
        .await?
        .filter(|c| {
            within.is_none_or(|root| {
                root.contains(&JurisdictionPath::from_stored(c.site_path.clone()))
            })
        })
        .ok_or(ApiError::NotFound)?;
    if body.status == ComplaintStatus::Received {
        return Err(ApiError::invalid("status: expected handling or closed"));
    }
    let note = text_of("handling_note", &body.handling_note, MAX_TEXT_CHARS)?;
    let closed = || ApiError::Conflict {
        code: "complaint_closed",
        detail: "the complaint is closed; its handling is final".into(),
    };
    if before.status == ComplaintStatus::Closed {
        return Err(closed());
    }
    let now = state.now();
    let after = Complaint {
        status: body.status,
        status_zh: body.status.label_zh().to_owned(),
        substantiated: body.substantiated,
        substantiated_zh: body.substantiated.label_zh().to_owned(),
        handling_note: Some(note.clone()),
        handled_by: Some(actor.user_id),
        handled_at: Some(now),
        ..to_wire(before.clone())
    };
    let provenance = audit::audited(
        state,
        actor,
        Change {
            action: "complaint.handle",
            object_type: "complaint",
            object_id: id.to_string(),
            before: Some(&to_wire(before)),
            after: Some(&after),
        },
    )?;
    state
        .store
        .handle_complaint(
            id,
            body.status,
            body.substantiated,
            &note,
            actor.user_id,
            now,
            provenance,
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => closed(),
            other => other.into(),
        })?;
    get(state, actor, id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_trimmed_required_and_bounded() {
        assert_eq!(text_of("content", "  态度差 ", 10).expect("ok"), "态度差");
        assert!(text_of("content", "  ", 10).is_err());
        assert!(text_of("content", &"长".repeat(11), 10).is_err());
        assert!(text_of("content", "a\u{7}b", 10).is_err());
    }
}
