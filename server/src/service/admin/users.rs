//! People of every role but kiosks: creating them, reading them, editing them and
//! switching their accounts off or on.

use mobile_api::{ChangePassword, CreateUser, Page, PasswordReset, UpdateUser, User as UserBody};
use uuid::Uuid;

use super::invalid;
use super::jurisdictions::reachable_jurisdiction;
use super::organizations::reachable_organization;
use crate::auth::password;
use crate::domain::access::{Actor, Placement, Role, Scope};
use crate::domain::eligibility::check_practice_year;
use crate::domain::organization::{DEFAULT_TIMEZONE, parse_name};
use crate::domain::user::{Phone, User, check_password_policy, check_role_placement};
use crate::domain::window::local_date;
use crate::error::{ApiError, ApiResult};
use crate::service::audit::{self, Change};
use crate::service::page::PageRequest;
use crate::service::sessions;
use crate::state::AppState;
use crate::store::users::UserSearch;

/// Today in the default time zone (the years of service are counted in whole years).
fn local_today(state: &AppState) -> chrono::NaiveDate {
    local_date(state.now(), DEFAULT_TIMEZONE)
}

pub fn to_body(user: User) -> UserBody {
    let active = user.is_active();
    UserBody {
        id: user.id,
        role: user.role,
        name: user.name,
        phone: user.phone.as_str().to_owned(),
        organization_id: user.organization_id,
        jurisdiction_code: user.jurisdiction_code.map(|c| c.to_string()),
        title: user.title,
        specialty: user.specialty,
        gender: user.gender,
        practice_since_year: user.practice_since_year,
        discipline: user.discipline,
        created_at: user.created_at,
        active,
        deactivated_at: user.deactivated_at,
    }
}

/// Which roles a caller may create, edit and deactivate (within their reach): admins
/// anything; supervisors anything below admin; hospital administrators physicians of
/// their own hospital.
fn may_manage(actor: &Actor, role: Role) -> bool {
    match actor.role {
        Role::Admin => true,
        Role::Supervisor => role != Role::Admin,
        Role::HospitalAdmin => role == Role::Physician,
        _ => false,
    }
}

/// A title or specialty: one line of at most 100 characters; blank is none.
fn optional_text(value: Option<String>, field: &str) -> ApiResult<Option<String>> {
    Ok(crate::domain::text::optional_line(
        field,
        value.as_deref(),
        100,
    )?)
}

/// Creates a user. The phone is the login name and must be unique.
pub async fn create(state: &AppState, actor: &Actor, request: CreateUser) -> ApiResult<UserBody> {
    actor.require(&[Role::Admin, Role::Supervisor, Role::HospitalAdmin])?;
    if !may_manage(actor, request.role) {
        return Err(ApiError::Forbidden);
    }
    let name = parse_name(&request.name).map_err(invalid)?;
    let phone = Phone::parse(&request.phone).map_err(invalid)?;
    check_password_policy(&request.password).map_err(invalid)?;
    // A hospital administrator's physicians belong to that hospital.
    let organization_id = match (&actor.scope, request.organization_id) {
        (Scope::Organization(own), None) => Some(*own),
        (_, given) => given,
    };
    let jurisdiction = match &request.jurisdiction_code {
        Some(code) => Some(reachable_jurisdiction(state, actor, code).await?),
        None => None,
    };
    check_role_placement(
        request.role,
        organization_id,
        jurisdiction.as_ref().map(|j| &j.code),
    )
    .map_err(invalid)?;
    if let Some(org_id) = organization_id {
        reachable_organization(state, actor, org_id).await?;
    }
    if jurisdiction.is_none() && organization_id.is_none() && actor.role != Role::Admin {
        return Err(ApiError::Forbidden);
    }
    let user = User {
        id: Uuid::new_v4(),
        role: request.role,
        name,
        phone,
        organization_id,
        jurisdiction_code: jurisdiction.map(|j| j.code),
        title: optional_text(request.title, "title")?,
        specialty: optional_text(request.specialty, "specialty")?,
        gender: request.gender,
        practice_since_year: request
            .practice_since_year
            .map(|y| check_practice_year(y, local_today(state)))
            .transpose()
            .map_err(invalid)?,
        discipline: request.discipline,
        created_at: state.now(),
        deactivated_at: None,
    };
    let hash = password::hash(request.password, state.config.password_cost)
        .await
        .map_err(ApiError::internal)?;
    // The administrator typed the initial password and so knows it: the user sets
    // their own before anything else (enforced per request in `sessions::admit`).
    record_created(state, actor, &user, &hash, true).await
}

/// Writes a checked user whose password hashes to `password_hash`, with its
/// `user.create` entry by `actor`. A phone already taken is `already_exists`. With
/// `must_change_password`, the user's requests are refused until they set their own.
pub async fn record_created(
    state: &AppState,
    actor: &Actor,
    user: &User,
    password_hash: &str,
    must_change_password: bool,
) -> ApiResult<UserBody> {
    let body = to_body(user.clone());
    let audit = audit::audited(
        state,
        actor,
        Change {
            action: "user.create",
            object_type: "user",
            object_id: body.id.to_string(),
            before: None,
            after: Some(&body),
        },
    )?;
    state
        .store
        .insert_user(user, password_hash, must_change_password, audit)
        .await?;
    Ok(body)
}

/// A user: anyone may read themselves; administrators read the users they reach.
pub async fn get(state: &AppState, actor: &Actor, id: Uuid) -> ApiResult<UserBody> {
    let user = if actor.user_id == id {
        state.store.user(id).await?.ok_or(ApiError::NotFound)?
    } else {
        actor.require(&[
            Role::Admin,
            Role::Supervisor,
            Role::HospitalAdmin,
            Role::ClinicAdmin,
        ])?;
        reachable_user(state, actor, id).await?
    };
    Ok(to_body(user))
}

/// A user inside the caller's scope, or 404: their existence is not revealed.
async fn reachable_user(state: &AppState, actor: &Actor, id: Uuid) -> ApiResult<User> {
    let (user, placement) = state
        .store
        .user_with_placement(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let reached = match &placement {
        Some(path) => actor.reaches(Placement {
            jurisdiction: path,
            organization_id: user.organization_id,
        }),
        None => actor.scope == Scope::Everything,
    };
    if reached {
        Ok(user)
    } else {
        Err(ApiError::NotFound)
    }
}

/// Edits a person, or switches their account off or on again.
///
/// `active: false` ends every session of the user at once (see [`sessions::forget`]);
/// `active: true` lets them log in again. Admins manage anyone; supervisors anyone but
/// admins within their jurisdiction; hospital administrators the physicians of their
/// hospital. A user outside the caller's reach reads as 404, a role the caller may not
/// manage as 403.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    request: UpdateUser,
) -> ApiResult<UserBody> {
    actor.require(&[Role::Admin, Role::Supervisor, Role::HospitalAdmin])?;
    let user = reachable_user(state, actor, id).await?;
    if !may_manage(actor, user.role) {
        return Err(ApiError::Forbidden);
    }
    if request.active == Some(false) && id == actor.user_id {
        // Nobody locks themselves out; another administrator can do it.
        return Err(ApiError::invalid(
            "active: you cannot deactivate your own account",
        ));
    }
    let before = to_body(user.clone());
    let now = state.now();
    let mut after = user;
    if let Some(name) = &request.name {
        after.name = parse_name(name).map_err(invalid)?;
    }
    if let Some(title) = request.title {
        after.title = optional_text(Some(title), "title")?;
    }
    if let Some(specialty) = request.specialty {
        after.specialty = optional_text(Some(specialty), "specialty")?;
    }
    if let Some(gender) = request.gender {
        after.gender = Some(gender);
    }
    match request.practice_since_year {
        Some(0) => after.practice_since_year = None,
        Some(year) => {
            after.practice_since_year =
                Some(check_practice_year(year, local_today(state)).map_err(invalid)?);
        }
        None => {}
    }
    if let Some(discipline) = request.discipline {
        after.discipline = Some(discipline);
    }
    if let Some(org_id) = request.organization_id {
        reachable_organization(state, actor, org_id).await?;
        after.organization_id = Some(org_id);
        check_role_placement(
            after.role,
            after.organization_id,
            after.jurisdiction_code.as_ref(),
        )
        .map_err(invalid)?;
    }
    match request.active {
        Some(false) if after.is_active() => after.deactivated_at = Some(now),
        Some(true) => after.deactivated_at = None,
        _ => {}
    }
    let after_body = to_body(after.clone());
    let audit = audit::audited(
        state,
        actor,
        Change {
            action: "user.update",
            object_type: "user",
            object_id: id.to_string(),
            before: Some(&before),
            after: Some(&after_body),
        },
    )?;
    if !state.store.update_user(&after, now, audit).await? {
        return Err(ApiError::NotFound);
    }
    sessions::forget(state, id).await;
    Ok(after_body)
}

/// `GET /users` filters, as the handler parsed them.
#[derive(Debug, Default)]
pub struct UserFilter {
    pub q: Option<String>,
    pub role: Option<Role>,
    pub organization_id: Option<Uuid>,
    pub active: Option<bool>,
}

/// The users `actor` reaches, by name then id: an admin's everyone (kiosks aside); a
/// supervisor's those placed in their jurisdiction; a hospital or clinic
/// administrator's their organization's people.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    filter: UserFilter,
    page: PageRequest,
) -> ApiResult<Page<UserBody>> {
    actor.require(&[
        Role::Admin,
        Role::Supervisor,
        Role::HospitalAdmin,
        Role::ClinicAdmin,
    ])?;
    let (within, own_organization) = match &actor.scope {
        Scope::Everything => (None, None),
        Scope::Jurisdiction(path) => (Some(path), None),
        Scope::Organization(id) => (None, Some(*id)),
        Scope::Own => return Err(ApiError::Forbidden),
    };
    let text = filter
        .q
        .map(|q| q.trim().to_owned())
        .filter(|q| !q.is_empty());
    if text
        .as_deref()
        .is_some_and(|q| q.chars().count() > 50 || q.chars().any(char::is_control))
    {
        return Err(ApiError::invalid(
            "q: at most 50 characters, no control characters",
        ));
    }
    let organization_id = match (own_organization, filter.organization_id) {
        (Some(own), Some(asked)) if own != asked => {
            return Ok(page.page(Vec::new(), |_: &UserBody| String::new()));
        }
        (Some(own), _) => Some(own),
        (None, asked) => asked,
    };
    let after = page
        .after
        .as_deref()
        .map(|key| {
            key.split_once('|')
                .and_then(|(id, name)| Some((name.to_owned(), Uuid::parse_str(id).ok()?)))
                .ok_or_else(|| ApiError::invalid("cursor: not a cursor this server issued"))
        })
        .transpose()?;
    let search = UserSearch {
        within,
        organization_id,
        role: filter.role,
        text,
        active: filter.active,
        after,
    };
    let rows = state.store.list_users(&search, page.fetch()).await?;
    let items = rows.into_iter().map(to_body).collect();
    Ok(page.page(items, |u: &UserBody| format!("{}|{}", u.id, u.name)))
}

/// Gives `id` a one-time password, shown once in the answer: the user must change it
/// at the next login, and every session they had ends. Audited (`user.password_reset`,
/// without the password). The roles and reach are those of [`update`]; one's own
/// password is changed with [`change_password`] instead.
pub async fn reset_password(state: &AppState, actor: &Actor, id: Uuid) -> ApiResult<PasswordReset> {
    actor.require(&[Role::Admin, Role::Supervisor, Role::HospitalAdmin])?;
    let user = reachable_user(state, actor, id).await?;
    if !may_manage(actor, user.role) {
        return Err(ApiError::Forbidden);
    }
    if id == actor.user_id {
        return Err(ApiError::invalid(
            "id: change your own password with POST /auth/password",
        ));
    }
    let one_time = crate::service::import::initial_password()?;
    let hash = password::hash(one_time.clone(), state.config.password_cost)
        .await
        .map_err(ApiError::internal)?;
    let reset = serde_json::json!({ "must_change_password": true, "sessions_ended": true });
    let audit = audit::audited(
        state,
        actor,
        Change {
            action: "user.password_reset",
            object_type: "user",
            object_id: id.to_string(),
            before: None,
            after: Some(&reset),
        },
    )?;
    if !state
        .store
        .reset_password(id, &hash, state.now(), audit)
        .await?
    {
        return Err(ApiError::NotFound);
    }
    sessions::forget(state, id).await;
    Ok(PasswordReset {
        user_id: id,
        one_time_password: one_time,
    })
}

/// The signed-in user sets their own password, proving the current one (after a reset,
/// the one-time password). Clears the one-time flag; audited (`user.password_change`).
pub async fn change_password(
    state: &AppState,
    actor: &Actor,
    request: ChangePassword,
) -> ApiResult<()> {
    if actor.role == Role::Kiosk {
        return Err(ApiError::Forbidden);
    }
    check_password_policy(&request.new_password)
        .map_err(|e| ApiError::invalid(format!("new_password: {}", strip_field(&e.to_string()))))?;
    if request.new_password == request.current_password {
        return Err(ApiError::invalid(
            "new_password: must differ from the current password",
        ));
    }
    let credentials = state
        .store
        .credentials_by_id(actor.user_id)
        .await?
        .ok_or(ApiError::InvalidToken)?;
    let checked = state
        .keys
        .passwords
        .check(
            request.current_password,
            Some(credentials.password_hash.clone()),
        )
        .await;
    if !matches!(checked, password::Checked::Matched { .. }) {
        return Err(ApiError::invalid(
            "current_password: is not your current password",
        ));
    }
    let hash = password::hash(request.new_password, state.config.password_cost)
        .await
        .map_err(ApiError::internal)?;
    let changed = serde_json::json!({ "must_change_password": false });
    let audit = audit::audited(
        state,
        actor,
        Change {
            action: "user.password_change",
            object_type: "user",
            object_id: actor.user_id.to_string(),
            before: None,
            after: Some(&changed),
        },
    )?;
    if !state
        .store
        .change_password(actor.user_id, &credentials.password_hash, &hash, audit)
        .await?
    {
        // Changed by someone else between the check and the write: try again.
        return Err(ApiError::invalid(
            "current_password: is not your current password",
        ));
    }
    // The cached session state still says a change is required.
    sessions::forget(state, actor.user_id).await;
    Ok(())
}

/// A domain error's words without its own `field: ` prefix.
fn strip_field(text: &str) -> &str {
    text.split_once(": ").map_or(text, |(_, rest)| rest)
}

/// Whether `user_id` must set their own password before anything else (answered with
/// every new token pair).
pub async fn password_change_required(state: &AppState, user_id: Uuid) -> ApiResult<bool> {
    Ok(state.store.password_change_required(user_id).await?)
}
