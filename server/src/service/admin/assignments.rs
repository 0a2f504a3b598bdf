//! Assignments: one row of 支援人员安排情况表, a physician sent to a receiving site under
//! a programme.

use mobile_api::{Assignment as AssignmentBody, CreateAssignment};
use uuid::Uuid;

use super::invalid;
use super::organizations::{placement, reachable_organization};
use crate::domain::access::{Actor, Role, Scope};
use crate::domain::assignment::{Assignment, check_dates};
use crate::domain::jurisdiction::JurisdictionPath;
use crate::domain::user::User;
use crate::domain::window::DailyWindow;
use crate::error::{ApiError, ApiResult};
use crate::service::audit::{self, Change};
use crate::state::AppState;

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
    record_created(state, actor, &assignment).await
}

/// Writes a checked assignment with its `assignment.create` entry by `actor`.
pub async fn record_created(
    state: &AppState,
    actor: &Actor,
    assignment: &Assignment,
) -> ApiResult<AssignmentBody> {
    let body = to_body(assignment.clone());
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
    state.store.insert_assignment(assignment, audit).await?;
    Ok(body)
}

/// An assignment: for its physician, the site's administrators and supervisors, and the
/// physician's hospital.
pub async fn get(state: &AppState, actor: &Actor, id: Uuid) -> ApiResult<AssignmentBody> {
    actor.require(&[
        Role::Admin,
        Role::Supervisor,
        Role::HospitalAdmin,
        Role::ClinicAdmin,
        Role::Physician,
    ])?;
    let assignment = state
        .store
        .assignment(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let visible = match &actor.scope {
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
    };
    if !visible {
        return Err(ApiError::NotFound);
    }
    Ok(to_body(assignment))
}
