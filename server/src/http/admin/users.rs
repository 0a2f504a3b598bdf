//! `/api/v1/users`: people of every role but kiosks.

use axum::extract::State;
use axum::http::StatusCode;
use mobile_api::{CreateUser, Problem, UpdateUser, User as UserBody};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::domain::access::Actor;
use crate::error::ApiResult;
use crate::http::extract::{AppJson, AppPath};
use crate::service::admin::users;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_user))
        .routes(routes!(get_user, update_user))
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
