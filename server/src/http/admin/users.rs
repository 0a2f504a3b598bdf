//! `/api/v1/users`: people of every role but kiosks.

use axum::extract::State;
use axum::http::StatusCode;
use mobile_api::page::PageQuery;
use mobile_api::{CreateUser, Page, PasswordReset, Problem, Role, UpdateUser, User as UserBody};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::domain::access::Actor;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{AppJson, AppPath, AppQuery, given};
use crate::service::admin::users;
use crate::service::page::PageRequest;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_user, list_users))
        .routes(routes!(get_user, update_user))
        .routes(routes!(reset_password))
}

/// Creates a user. The phone is the login name and must be unique.
#[utoipa::path(post, path = "/api/v1/users", tag = "administration",
    request_body = CreateUser, security(("bearer" = [])),
    responses(
        (status = 201, body = UserBody),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_exists`: phone taken", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_user(
    State(state): State<AppState>,
    actor: Actor,
    AppJson(body): AppJson<CreateUser>,
) -> ApiResult<(StatusCode, AppJson<UserBody>)> {
    let created = users::create(&state, &actor, body).await?;
    Ok((StatusCode::CREATED, AppJson(created)))
}

/// A user: anyone may read themselves; administrators read the users they reach.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "administration",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = UserBody), (status = 400, description = "`invalid_request`: a malformed path or query parameter", body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_user(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<UserBody>> {
    Ok(AppJson(users::get(&state, &actor, id).await?))
}

/// Edits a person, or switches their account off or on again.
///
/// `active: false` ends every session of the user at once: refresh tokens are revoked
/// and access tokens refused from their next request; login answers as for a wrong
/// password. Their visits, credit and reports stay. `active: true` lets them log in
/// again. Admins manage anyone; supervisors anyone but admins within their
/// jurisdiction; hospital administrators the physicians of their hospital. A user
/// outside the caller's reach reads as 404, a role the caller may not manage as 403.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "administration",
    params(("id" = Uuid, Path)), request_body = UpdateUser, security(("bearer" = [])),
    responses(
        (status = 200, body = UserBody),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_user(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<UpdateUser>,
) -> ApiResult<AppJson<UserBody>> {
    Ok(AppJson(users::update(&state, &actor, id, body).await?))
}

/// `?q=&role=&organization_id=&active=&limit=&cursor=` of the user list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Part of the name or of the phone number; at most 50 characters (trimmed), no
    /// control characters.
    #[param(value_type = Option<String>, pattern = "^\\s*[^\\x00-\\x1f\\x7f-\\x9f]{0,50}\\s*$", example = "林")]
    q: Option<String>,
    /// `admin`, `supervisor`, `hospital_admin`, `clinic_admin` or `physician`.
    #[param(value_type = Option<String>, pattern = "^\\s*(admin|supervisor|hospital_admin|clinic_admin|physician)?\\s*$", example = "physician")]
    role: Option<String>,
    #[param(value_type = Option<Uuid>)]
    organization_id: Option<String>,
    /// `true`: only active accounts; `false`: only deactivated ones.
    #[param(value_type = Option<bool>)]
    active: Option<String>,
    /// Page size, 1 to 500; default 50.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// Opaque; the `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// The people the caller reaches, by name: an admin's everyone, a supervisor's those
/// placed in their jurisdiction, a hospital or clinic administrator's their own
/// organization's. Kiosks are not people and are never listed.
#[utoipa::path(get, path = "/api/v1/users", tag = "administration",
    params(UserQuery), security(("bearer" = [])),
    responses(
        (status = 200, body = Page<UserBody>),
        (status = 400, description = "`invalid_request` naming the parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_users(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<UserQuery>,
) -> ApiResult<AppJson<Page<UserBody>>> {
    let role = given(&query.role)
        .map(|r| {
            Role::parse(r)
                .filter(|r| *r != Role::Kiosk)
                .ok_or_else(|| ApiError::invalid(format!("role: {r:?} is not a role of people")))
        })
        .transpose()?;
    let organization_id = given(&query.organization_id)
        .map(|id| Uuid::parse_str(id).map_err(|_| ApiError::invalid("organization_id: not a UUID")))
        .transpose()?;
    let active = match given(&query.active) {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => return Err(ApiError::invalid("active: must be true or false")),
    };
    let page = PageRequest::try_from(PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    })?;
    let filter = users::UserFilter {
        q: query.q,
        role,
        organization_id,
        active,
    };
    Ok(AppJson(users::list(&state, &actor, filter, page).await?))
}

/// Gives the user a one-time password, shown once in this answer. They must change it
/// at their next login (the login answers `must_change_password: true`), and every
/// session they had ends now. Audited as `user.password_reset` (without the password).
#[utoipa::path(post, path = "/api/v1/users/{id}/password-reset", tag = "administration",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 200, body = PasswordReset),
        (status = 400, description = "`invalid_request`: your own account", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn reset_password(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<PasswordReset>> {
    Ok(AppJson(users::reset_password(&state, &actor, id).await?))
}
