//! Assignments: one row of 支援人员安排情况表, a physician sent to a receiving site under
//! a programme.

use std::collections::HashMap;

use chrono::NaiveDate;
use mobile_api::{
    Assignment as AssignmentBody, AssignmentHistory, AssignmentListItem, AssignmentTermsVersion,
    AssignmentTransfer, ChangeAssignment, CreateAssignment, EligibilityOverride, EndAssignment,
    OrganizationKind, Page, TransferAssignment,
};
use uuid::Uuid;

use super::invalid;
use super::organizations::{placement, reachable_organization};
use crate::domain::access::{Actor, Role, Scope};
use crate::domain::assignment::{Assignment, check_dates};
use crate::domain::assignment_terms::{
    FROM_THE_BEGINNING, LifecycleError, TermsAction, TermsChange, TermsMeta, parse_reason,
    plan_change, plan_end, plan_transfer,
};
use crate::domain::eligibility::{self, Admission, candidate};
use crate::domain::jurisdiction::JurisdictionPath;
use crate::domain::organization::DEFAULT_TIMEZONE;
use crate::domain::user::User;
use crate::domain::window::{DailyWindow, local_date};
use crate::error::{ApiError, ApiResult};
use crate::service::audit::{self, Change};
use crate::service::page::PageRequest;
use crate::state::AppState;
use crate::store::assignments::{AssignmentListFilter, TermsUpdate, TermsWrite};
use crate::store::eligibility::OverrideRecord;

/// An assignment with its current terms' version.
pub fn to_body_at(a: Assignment, meta: &TermsMeta) -> AssignmentBody {
    AssignmentBody {
        terms_version: meta.version,
        terms_from: (meta.effective_from != FROM_THE_BEGINNING).then_some(meta.effective_from),
        transfer_id: meta.transfer_id,
        ..to_body(a)
    }
}

pub fn to_body(a: Assignment) -> AssignmentBody {
    AssignmentBody {
        id: a.id,
        physician_id: a.physician_id,
        site_id: a.site_id,
        program_id: a.program_id,
        mode: a.mode,
        start_date: a.start_date,
        end_date: a.end_date,
        window_start: a.window.start_hhmm(),
        window_end: a.window.end_hhmm(),
        created_at: a.created_at,
        terms_version: 1,
        terms_from: None,
        transfer_id: None,
        eligibility_override: None,
    }
}

/// Whose physicians `actor` may send out: an admin anyone's; a hospital administrator
/// their own hospital's; a supervisor those employed by hospitals in their jurisdiction
/// (`employer` is the jurisdiction the physician's hospital sits in). A supervisor
/// cannot pull another county's physician into their own, which would also open that
/// physician's other postings to them.
fn may_assign(actor: &Actor, physician: &User, employer: Option<&JurisdictionPath>) -> bool {
    match &actor.scope {
        Scope::Everything => true,
        Scope::Organization(own) => physician.organization_id == Some(*own),
        Scope::Jurisdiction(root) => employer.is_some_and(|path| root.contains(path)),
        Scope::Own => false,
    }
}

/// Assigns a physician to a receiving site under a program. Supervisors assign the
/// physicians of hospitals in their jurisdiction to sites in their jurisdiction;
/// hospital administrators assign their own physicians. A physician out of reach reads
/// as 404, like one that does not exist.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    request: CreateAssignment,
) -> ApiResult<AssignmentBody> {
    actor.require(&[Role::Admin, Role::Supervisor, Role::HospitalAdmin])?;
    check_dates(request.start_date, request.end_date).map_err(invalid)?;
    let window = DailyWindow::parse(&request.window_start, &request.window_end).map_err(invalid)?;

    let (physician, employer) = state
        .store
        .user_with_placement(request.physician_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !may_assign(actor, &physician, employer.as_ref()) {
        return Err(ApiError::NotFound);
    }
    if physician.role != Role::Physician {
        return Err(ApiError::invalid(
            "physician_id: this user is not a physician",
        ));
    }
    if !physician.is_active() {
        return Err(ApiError::invalid(
            "physician_id: this physician's account is deactivated",
        ));
    }
    let site = match actor.scope {
        // A hospital sends its physicians to sites it does not administer.
        Scope::Organization(_) => state
            .store
            .organization(request.site_id)
            .await?
            .ok_or(ApiError::NotFound)?,
        _ => reachable_organization(state, actor, request.site_id).await?,
    };
    let (program, program_path) = state
        .store
        .program(request.program_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !program_path.contains(placement(&site).jurisdiction) {
        return Err(ApiError::invalid(
            "program_id: the program does not cover the site's jurisdiction",
        ));
    }
    // The person rules only: team rules are judged where the whole team is in view
    // (an import, a site's team page); see `domain::eligibility`.
    let today = local_date(state.now(), DEFAULT_TIMEZONE);
    let broken = eligibility::judge_person(&program.eligibility, &candidate(&physician), today);
    let admission = eligibility::admit(
        broken,
        request.eligibility_override.as_deref(),
        actor.role == Role::Admin,
    )?;
    let assignment = Assignment {
        id: Uuid::new_v4(),
        physician_id: physician.id,
        site_id: site.id,
        program_id: program.id,
        mode: request.mode,
        start_date: request.start_date,
        end_date: request.end_date,
        window,
        created_at: state.now(),
    };
    let overridden = match admission {
        Admission::Eligible => None,
        Admission::Overridden { reason, rules } => Some(OverrideRecord {
            reason,
            rules,
            overridden_by: actor.user_id,
            created_at: assignment.created_at,
        }),
    };
    record_created_with(state, actor, &assignment, overridden.as_ref()).await
}

/// An override as the wire shows it.
pub fn override_body(record: &OverrideRecord) -> EligibilityOverride {
    EligibilityOverride {
        reason: record.reason.clone(),
        rules: record.rules.clone(),
    }
}

/// Writes a checked assignment with its `assignment.create` entry by `actor`.
pub async fn record_created(
    state: &AppState,
    actor: &Actor,
    assignment: &Assignment,
) -> ApiResult<AssignmentBody> {
    record_created_with(state, actor, assignment, None).await
}

/// Writes a checked assignment with its `assignment.create` entry by `actor`; an
/// override of the programme's rules is stored with it and shown in the entry.
pub async fn record_created_with(
    state: &AppState,
    actor: &Actor,
    assignment: &Assignment,
    eligibility_override: Option<&OverrideRecord>,
) -> ApiResult<AssignmentBody> {
    let meta = TermsMeta::created(
        assignment.created_at,
        Some(actor.user_id),
        TermsAction::Create,
        None,
    );
    let body = AssignmentBody {
        eligibility_override: eligibility_override.map(override_body),
        ..to_body_at(assignment.clone(), &meta)
    };
    let audit = audit::audited(
        state,
        actor,
        Change {
            action: "assignment.create",
            object_type: "assignment",
            object_id: body.id.to_string(),
            before: None,
            after: Some(&body),
        },
    )?;
    state
        .store
        .insert_assignment(assignment, &meta, eligibility_override, audit)
        .await?;
    Ok(body)
}

/// The assignment `id` with its terms' metadata, for those who may see it (its
/// physician, the site's administrators and supervisors, the physician's hospital);
/// 404 for anyone else, as for no such assignment.
async fn visible_assignment(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> ApiResult<(Assignment, TermsMeta)> {
    actor.require(&[
        Role::Admin,
        Role::Supervisor,
        Role::HospitalAdmin,
        Role::ClinicAdmin,
        Role::Physician,
    ])?;
    let (assignment, meta) = state
        .store
        .assignment_with_terms(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !visible_to(state, actor, &assignment).await? {
        return Err(ApiError::NotFound);
    }
    Ok((assignment, meta))
}

/// An assignment: for its physician, the site's administrators and supervisors, and the
/// physician's hospital.
pub async fn get(state: &AppState, actor: &Actor, id: Uuid) -> ApiResult<AssignmentBody> {
    let (assignment, meta) = visible_assignment(state, actor, id).await?;
    let overrides = state.store.eligibility_overrides(&[id]).await?;
    Ok(AssignmentBody {
        eligibility_override: overrides.get(&id).map(override_body),
        ..to_body_at(assignment, &meta)
    })
}

/// Whether `actor` may see `assignment`: its physician, the site's administrators and
/// supervisors, and the physician's hospital.
async fn visible_to(state: &AppState, actor: &Actor, assignment: &Assignment) -> ApiResult<bool> {
    Ok(match &actor.scope {
        Scope::Everything => true,
        Scope::Own => assignment.physician_id == actor.user_id,
        Scope::Organization(own) if *own == assignment.site_id => true,
        Scope::Organization(own) => state
            .store
            .user(assignment.physician_id)
            .await?
            .is_some_and(|p| p.organization_id == Some(*own)),
        Scope::Jurisdiction(_) => {
            let site = state.store.organization(assignment.site_id).await?;
            site.is_some_and(|site| actor.reaches(placement(&site)))
        }
    })
}

/// Whether `actor` may change `assignment`: an admin any; a supervisor one at a site in
/// their jurisdiction; a hospital administrator their own physicians'.
async fn may_change(state: &AppState, actor: &Actor, assignment: &Assignment) -> ApiResult<bool> {
    Ok(match &actor.scope {
        Scope::Everything => true,
        Scope::Jurisdiction(_) => {
            let site = state.store.organization(assignment.site_id).await?;
            site.is_some_and(|site| actor.reaches(placement(&site)))
        }
        Scope::Organization(own) => state
            .store
            .user(assignment.physician_id)
            .await?
            .is_some_and(|p| p.organization_id == Some(*own)),
        Scope::Own => false,
    })
}

/// A lifecycle refusal as a problem: 400 for a malformed request, 409 when it conflicts
/// with what is recorded, 422 when refused on its merits.
fn refused(error: LifecycleError) -> ApiError {
    match error {
        LifecycleError::Dates(_) | LifecycleError::NoReason | LifecycleError::NoChange => {
            invalid(error)
        }
        LifecycleError::BeforeLatest { .. } | LifecycleError::RejudgesVisit { .. } => {
            ApiError::Conflict {
                code: error.code(),
                detail: error.to_string(),
            }
        }
        LifecycleError::NotEarlier { .. } | LifecycleError::TransferOutsideDates { .. } => {
            ApiError::Refused {
                code: error.code(),
                detail: error.to_string(),
                extra: None,
            }
        }
    }
}

fn written(outcome: TermsWrite, effective_from: NaiveDate) -> ApiResult<()> {
    match outcome {
        TermsWrite::Written => Ok(()),
        TermsWrite::Changed => Err(ApiError::Conflict {
            code: "assignment_changed",
            detail: "the assignment was changed meanwhile; read it again and retry".into(),
        }),
        TermsWrite::Visited(last) => Err(refused(LifecycleError::RejudgesVisit {
            last_visit: last,
            earliest: last.succ_opt().unwrap_or(effective_from),
        })),
    }
}

/// The assignment to change, its current terms and the last date a visit was judged
/// under it, or 404 when out of the caller's reach.
async fn for_change(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> ApiResult<(Assignment, TermsMeta, Option<NaiveDate>)> {
    actor.require(&[Role::Admin, Role::Supervisor, Role::HospitalAdmin])?;
    let (assignment, meta) = state
        .store
        .assignment_with_terms(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !may_change(state, actor, &assignment).await? {
        return Err(ApiError::NotFound);
    }
    let last_visit = state
        .store
        .last_visit_under(assignment.physician_id, assignment.id)
        .await?;
    Ok((assignment, meta, last_visit))
}

/// Writes `next` as the terms in force from `effective_from`, audited as `action`.
async fn record_change(
    state: &AppState,
    actor: &Actor,
    before: (&Assignment, &TermsMeta),
    next: Assignment,
    next_meta: TermsMeta,
    action: &str,
    eligibility: Rejudged,
) -> ApiResult<AssignmentBody> {
    let body = AssignmentBody {
        eligibility_override: eligibility.standing().map(override_body),
        ..to_body_at(next.clone(), &next_meta)
    };
    let before_body = AssignmentBody {
        eligibility_override: eligibility.existing.as_ref().map(override_body),
        ..to_body_at(before.0.clone(), before.1)
    };
    let audit = audit::audited(
        state,
        actor,
        Change {
            action,
            object_type: "assignment",
            object_id: next.id.to_string(),
            before: Some(&before_body),
            after: Some(&body),
        },
    )?;
    let update = TermsUpdate {
        expected_version: before.1.version,
        next: &next,
        meta: &next_meta,
    };
    let outcome = state
        .store
        .change_assignment_terms(&update, eligibility.new.as_ref(), audit)
        .await?;
    written(outcome, next_meta.effective_from)?;
    Ok(body)
}

fn next_meta(
    state: &AppState,
    actor: &Actor,
    current: &TermsMeta,
    effective_from: NaiveDate,
    action: TermsAction,
    reason: String,
) -> TermsMeta {
    TermsMeta {
        version: current.version + 1,
        effective_from,
        action,
        reason: Some(reason),
        changed_by: Some(actor.user_id),
        changed_at: state.now(),
        transfer_id: None,
    }
}

/// `PATCH /api/v1/assignments/{id}`: new dates, window or mode from `effective_from`.
pub async fn change(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    request: ChangeAssignment,
) -> ApiResult<AssignmentBody> {
    let reason = parse_reason(&request.reason).map_err(refused)?;
    let window = match (&request.window_start, &request.window_end) {
        (None, None) => None,
        (Some(start), Some(end)) => Some(DailyWindow::parse(start, end).map_err(invalid)?),
        _ => {
            return Err(ApiError::invalid(
                "window_start: give window_start and window_end together",
            ));
        }
    };
    let (current, meta, last_visit) = for_change(state, actor, id).await?;
    let eligibility = rejudge(
        state,
        actor,
        &current,
        None,
        request.eligibility_override.as_deref(),
    )
    .await?;
    let change = TermsChange {
        mode: request.mode,
        start_date: request.start_date,
        end_date: request.end_date,
        window,
    };
    let next = plan_change(
        &current,
        meta.effective_from,
        last_visit,
        request.effective_from,
        &change,
    )
    .map_err(refused)?;
    let next_meta = next_meta(
        state,
        actor,
        &meta,
        request.effective_from,
        TermsAction::Change,
        reason,
    );
    record_change(
        state,
        actor,
        (&current, &meta),
        next,
        next_meta,
        "assignment.update",
        eligibility,
    )
    .await
}

/// `POST /api/v1/assignments/{id}/end`: ends the assignment early, on `end_date`.
pub async fn end(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    request: EndAssignment,
) -> ApiResult<AssignmentBody> {
    let reason = parse_reason(&request.reason).map_err(refused)?;
    let (current, meta, last_visit) = for_change(state, actor, id).await?;
    // Ending early is not judged again: it sends nobody anywhere.
    let eligibility = Rejudged {
        existing: state
            .store
            .eligibility_overrides(&[current.id])
            .await?
            .remove(&current.id),
        new: None,
    };
    let (next, effective_from) =
        plan_end(&current, meta.effective_from, last_visit, request.end_date).map_err(refused)?;
    let next_meta = next_meta(
        state,
        actor,
        &meta,
        effective_from,
        TermsAction::End,
        reason,
    );
    record_change(
        state,
        actor,
        (&current, &meta),
        next,
        next_meta,
        "assignment.end",
        eligibility,
    )
    .await
}

/// A changed posting judged again: the override recorded before (if any) and the one
/// made now (if the change needed one).
struct Rejudged {
    existing: Option<OverrideRecord>,
    new: Option<OverrideRecord>,
}

impl Rejudged {
    /// The override that admits the posting after the change.
    fn standing(&self) -> Option<&OverrideRecord> {
        self.new.as_ref().or(self.existing.as_ref())
    }
}

/// Judges a posting being changed or transferred again, as creation and import judge a
/// new one: the programme's person rules as they stand today (the rules or the
/// person's title may have changed since), and, when the physician leaves the site
/// from `leaving_on` (a transfer), the team rules the site's team under the programme
/// would newly break without them (a team already short is not blamed on the mover).
/// Rules an earlier override admitted stay admitted; anything else broken is refused
/// `not_eligible` unless an administrator gives a written `reason`.
async fn rejudge(
    state: &AppState,
    actor: &Actor,
    current: &Assignment,
    leaving_on: Option<NaiveDate>,
    reason: Option<&str>,
) -> ApiResult<Rejudged> {
    let existing = state
        .store
        .eligibility_overrides(&[current.id])
        .await?
        .remove(&current.id);
    let (program, _) = state
        .store
        .program(current.program_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let physician = state
        .store
        .user(current.physician_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let today = local_date(state.now(), DEFAULT_TIMEZONE);
    let admitted = |rule: &str| {
        existing
            .as_ref()
            .is_some_and(|o| o.rules.iter().any(|r| r.rule == rule))
    };
    let mut broken: Vec<_> =
        eligibility::judge_person(&program.eligibility, &candidate(&physician), today)
            .into_iter()
            .filter(|v| !admitted(&v.rule))
            .collect();
    if let Some(date) = leaving_on {
        let team = state
            .store
            .site_team(current.site_id, current.program_id, date)
            .await?;
        if team.iter().any(|u| u.id == physician.id) {
            let with: Vec<_> = team.iter().map(candidate).collect();
            let without: Vec<_> = team
                .iter()
                .filter(|u| u.id != physician.id)
                .map(candidate)
                .collect();
            let was = eligibility::judge_team(&program.eligibility, &with);
            let site = state
                .store
                .organization(current.site_id)
                .await?
                .map(|o| o.name)
                .unwrap_or_default();
            for mut v in eligibility::judge_team(&program.eligibility, &without) {
                if !was.iter().any(|w| w.rule == v.rule) {
                    v.detail_zh = format!("{}调出后{site}的团队：{}", physician.name, v.detail_zh);
                    broken.push(v);
                }
            }
        }
    }
    let new = match eligibility::admit(broken, reason, actor.role == Role::Admin)? {
        Admission::Eligible => None,
        // Still admitted on the earlier reason too: both are kept, as are its rules.
        Admission::Overridden { reason, rules } => Some(match &existing {
            Some(before) => OverrideRecord {
                reason: format!("{}；{reason}", before.reason),
                rules: before.rules.iter().cloned().chain(rules).collect(),
                overridden_by: actor.user_id,
                created_at: state.now(),
            },
            None => OverrideRecord {
                reason,
                rules,
                overridden_by: actor.user_id,
                created_at: state.now(),
            },
        }),
    };
    Ok(Rejudged { existing, new })
}

/// Receiving sites: where physicians are sent to serve.
fn is_receiving(kind: OrganizationKind) -> bool {
    matches!(
        kind,
        OrganizationKind::TownshipHealthCenter
            | OrganizationKind::CommunityHealthCenter
            | OrganizationKind::VillageClinic
    )
}

/// `POST /api/v1/assignments/{id}/transfer`: moves the physician to another receiving
/// site from `effective_from`: the assignment ends the day before and a new one, under
/// the same programme, mode, window and end date, starts at the new site.
pub async fn transfer(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    request: TransferAssignment,
) -> ApiResult<AssignmentTransfer> {
    let reason = parse_reason(&request.reason).map_err(refused)?;
    let (current, meta, last_visit) = for_change(state, actor, id).await?;
    if request.site_id == current.site_id {
        return Err(ApiError::invalid(
            "site_id: the assignment is already at this site",
        ));
    }
    let site = match actor.scope {
        // A hospital sends its physicians to sites it does not administer.
        Scope::Organization(_) => state
            .store
            .organization(request.site_id)
            .await?
            .ok_or(ApiError::NotFound)?,
        _ => reachable_organization(state, actor, request.site_id).await?,
    };
    if !is_receiving(site.kind) {
        return Err(ApiError::Refused {
            code: "not_a_receiving_site",
            detail: format!(
                "site_id: {} is not a receiving clinic (乡镇卫生院, 社区卫生服务中心 or 村卫生室)",
                site.name
            ),
            extra: None,
        });
    }
    let (_, program_path) = state
        .store
        .program(current.program_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !program_path.contains(placement(&site).jurisdiction) {
        return Err(ApiError::Refused {
            code: "site_outside_program",
            detail: format!(
                "site_id: the assignment's programme does not cover {}'s jurisdiction",
                site.name
            ),
            extra: None,
        });
    }
    let eligibility = rejudge(
        state,
        actor,
        &current,
        Some(request.effective_from),
        request.eligibility_override.as_deref(),
    )
    .await?;
    let now = state.now();
    let (ended, moved) = plan_transfer(
        &current,
        meta.effective_from,
        last_visit,
        request.effective_from,
        site.id,
        Uuid::new_v4(),
        now,
    )
    .map_err(refused)?;
    let ended_meta = TermsMeta {
        transfer_id: Some(moved.id),
        ..next_meta(
            state,
            actor,
            &meta,
            request.effective_from,
            TermsAction::Transfer,
            reason.clone(),
        )
    };
    let moved_meta = TermsMeta {
        transfer_id: Some(current.id),
        ..TermsMeta::created(
            now,
            Some(actor.user_id),
            TermsAction::Transfer,
            Some(reason),
        )
    };
    // The new posting is admitted by the new override, or carries the old one.
    let moved_override = eligibility.standing().cloned();
    let existing = eligibility.existing.as_ref().map(override_body);
    let before_body = AssignmentBody {
        eligibility_override: existing.clone(),
        ..to_body_at(current.clone(), &meta)
    };
    let ended_body = AssignmentBody {
        eligibility_override: existing,
        ..to_body_at(ended.clone(), &ended_meta)
    };
    let moved_body = AssignmentBody {
        eligibility_override: moved_override.as_ref().map(override_body),
        ..to_body_at(moved.clone(), &moved_meta)
    };
    let ended_audit = audit::audited(
        state,
        actor,
        Change {
            action: "assignment.transfer",
            object_type: "assignment",
            object_id: current.id.to_string(),
            before: Some(&before_body),
            after: Some(&ended_body),
        },
    )?;
    let moved_audit = audit::audited(
        state,
        actor,
        Change {
            action: "assignment.create",
            object_type: "assignment",
            object_id: moved.id.to_string(),
            before: None,
            after: Some(&moved_body),
        },
    )?;
    let update = TermsUpdate {
        expected_version: meta.version,
        next: &ended,
        meta: &ended_meta,
    };
    let outcome = state
        .store
        .transfer_assignment(
            &update,
            ended_audit,
            &moved,
            &moved_meta,
            moved_override.as_ref(),
            moved_audit,
        )
        .await?;
    written(outcome, request.effective_from)?;
    Ok(AssignmentTransfer {
        ended: ended_body,
        assignment: moved_body,
    })
}

/// `GET /api/v1/assignments/{id}/history`: every version of the terms, oldest first.
pub async fn history(state: &AppState, actor: &Actor, id: Uuid) -> ApiResult<AssignmentHistory> {
    let (assignment, meta) = visible_assignment(state, actor, id).await?;
    let replaced = state.store.replaced_terms(id).await?;
    let mut names: HashMap<Uuid, String> = HashMap::new();
    let by: Vec<Uuid> = replaced
        .iter()
        .map(|v| &v.meta)
        .chain(std::iter::once(&meta))
        .filter_map(|m| m.changed_by)
        .collect();
    for user in by {
        if let std::collections::hash_map::Entry::Vacant(slot) = names.entry(user)
            && let Some(found) = state.store.user(user).await?
        {
            slot.insert(found.name);
        }
    }
    let from = |m: &TermsMeta| (m.effective_from != FROM_THE_BEGINNING).then_some(m.effective_from);
    let mut versions: Vec<AssignmentTermsVersion> = replaced
        .into_iter()
        .map(|v| AssignmentTermsVersion {
            version: v.meta.version,
            action: v.meta.action.as_str().to_owned(),
            effective_from: from(&v.meta),
            effective_to: Some(v.effective_to),
            mode: v.mode,
            start_date: v.start_date,
            end_date: v.end_date,
            window_start: v.window.start_hhmm(),
            window_end: v.window.end_hhmm(),
            reason: v.meta.reason.clone(),
            changed_by: v.meta.changed_by,
            changed_by_name: v.meta.changed_by.and_then(|u| names.get(&u).cloned()),
            changed_at: v.meta.changed_at,
            transfer_id: v.meta.transfer_id,
        })
        .collect();
    versions.push(AssignmentTermsVersion {
        version: meta.version,
        action: meta.action.as_str().to_owned(),
        effective_from: from(&meta),
        effective_to: None,
        mode: assignment.mode,
        start_date: assignment.start_date,
        end_date: assignment.end_date,
        window_start: assignment.window.start_hhmm(),
        window_end: assignment.window.end_hhmm(),
        reason: meta.reason.clone(),
        changed_by: meta.changed_by,
        changed_by_name: meta.changed_by.and_then(|u| names.get(&u).cloned()),
        changed_at: meta.changed_at,
        transfer_id: meta.transfer_id,
    });
    Ok(AssignmentHistory {
        assignment_id: id,
        versions,
    })
}

/// The list's filters as the request gives them (already parsed).
#[derive(Debug, Clone, Default)]
pub struct ListRequest {
    pub physician_id: Option<Uuid>,
    pub site_id: Option<Uuid>,
    pub hospital_id: Option<Uuid>,
    pub program_id: Option<Uuid>,
    pub jurisdiction_code: Option<String>,
    pub active_on: Option<NaiveDate>,
    /// `upcoming`, `active` or `ended`.
    pub status: Option<&'static str>,
}

/// Today in the default time zone: what `status` is judged on.
fn today(state: &AppState) -> NaiveDate {
    local_date(state.now(), DEFAULT_TIMEZONE)
}

fn status_on(a: &Assignment, today: NaiveDate) -> &'static str {
    if a.start_date > today {
        "upcoming"
    } else if a.end_date < today {
        "ended"
    } else {
        "active"
    }
}

/// The scoped filter of a list or an export: a supervisor sees assignments at sites in
/// their jurisdiction, a hospital or clinic administrator their staff's and their
/// site's, a physician their own.
async fn scoped_filter(
    state: &AppState,
    actor: &Actor,
    request: &ListRequest,
) -> ApiResult<AssignmentListFilter> {
    actor.require(&[
        Role::Admin,
        Role::Supervisor,
        Role::HospitalAdmin,
        Role::ClinicAdmin,
        Role::Physician,
    ])?;
    let jurisdiction = match request.jurisdiction_code.as_deref() {
        None => None,
        Some(code) => {
            let code =
                crate::domain::jurisdiction::JurisdictionCode::parse(code).map_err(invalid)?;
            let found = state
                .store
                .jurisdiction(&code)
                .await?
                .ok_or(ApiError::NotFound)?;
            if matches!(actor.scope, Scope::Jurisdiction(_))
                && !actor.reaches_jurisdiction(&found.path)
            {
                return Err(ApiError::NotFound);
            }
            Some(found.path)
        }
    };
    let mut filter = AssignmentListFilter {
        physician_id: request.physician_id,
        site_id: request.site_id,
        hospital_id: request.hospital_id,
        program_id: request.program_id,
        jurisdiction,
        active_on: request.active_on,
        status: request.status,
        today: today(state),
        ..AssignmentListFilter::default()
    };
    match &actor.scope {
        Scope::Everything => {}
        Scope::Jurisdiction(root) => filter.within = Some(root.clone()),
        Scope::Organization(own) => filter.organization = Some(*own),
        Scope::Own => {
            if request.physician_id.is_some_and(|p| p != actor.user_id) {
                return Ok(AssignmentListFilter {
                    physician_id: Some(Uuid::nil()),
                    ..filter
                });
            }
            filter.physician_id = Some(actor.user_id);
        }
    }
    Ok(filter)
}

/// `GET /api/v1/assignments`: the assignments in the caller's scope, by id.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    request: &ListRequest,
    page: PageRequest,
) -> ApiResult<Page<AssignmentListItem>> {
    let mut filter = scoped_filter(state, actor, request).await?;
    filter.after = page
        .after
        .as_deref()
        .map(Uuid::parse_str)
        .transpose()
        .map_err(|_| ApiError::invalid("cursor: not a cursor this server issued"))?;
    filter.limit = page.fetch();
    let today = filter.today;
    let rows = state.store.list_assignments(&filter).await?;
    let items = rows
        .into_iter()
        .map(|row| AssignmentListItem {
            status: status_on(&row.assignment, today).to_owned(),
            assignment: AssignmentBody {
                // The reason only: the rules it overrode are on GET /assignments/{id}.
                eligibility_override: row.eligibility_override.map(|reason| EligibilityOverride {
                    reason,
                    rules: Vec::new(),
                }),
                ..to_body_at(row.assignment, &row.meta)
            },
            physician_name: row.physician_name,
            physician_phone: row.physician_phone,
            hospital_id: row.hospital_id,
            hospital_name: row.hospital_name,
            site_name: row.site_name,
            jurisdiction_code: row.jurisdiction_code,
            jurisdiction_name: row.jurisdiction_name,
            program_name: row.program_name,
        })
        .collect();
    Ok(page.page(items, |item| item.assignment.id.to_string()))
}

/// The personnel table (附件1 支援人员安排情况表) of the assignments a list with the
/// same filters shows, in the import's own columns, ordered by hospital, site and name.
pub struct PersonnelTable {
    pub rows: Vec<crate::store::assignments::ListedAssignment>,
    /// The day it was drawn up (Asia/Shanghai).
    pub drawn_up: NaiveDate,
}

/// The rows of the personnel table for `request` in the caller's scope: at most as
/// many as one import takes, so that what is exported can be imported again.
pub async fn personnel_table(
    state: &AppState,
    actor: &Actor,
    request: &ListRequest,
) -> ApiResult<PersonnelTable> {
    use crate::domain::personnel::MAX_PERSONNEL_ROWS;
    let mut filter = scoped_filter(state, actor, request).await?;
    let most = u32::try_from(MAX_PERSONNEL_ROWS).unwrap_or(u32::MAX);
    filter.limit = most.saturating_add(1);
    let mut rows = state.store.list_assignments(&filter).await?;
    if rows.len() > MAX_PERSONNEL_ROWS {
        return Err(ApiError::Refused {
            code: "too_many_rows",
            detail: format!(
                "more than {MAX_PERSONNEL_ROWS} assignments (what one import takes); filter by programme, hospital or site"
            ),
            extra: None,
        });
    }
    rows.sort_by(|a, b| {
        (
            &a.hospital_name,
            &a.site_name,
            &a.physician_name,
            a.assignment.start_date,
        )
            .cmp(&(
                &b.hospital_name,
                &b.site_name,
                &b.physician_name,
                b.assignment.start_date,
            ))
    });
    Ok(PersonnelTable {
        rows,
        drawn_up: filter.today,
    })
}
