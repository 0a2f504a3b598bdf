//! `/api/v1/auth`: login with phone and password, single-use refresh, logout.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::Duration;
use mobile_api::{
    ChangePassword, LoginRequest, LogoutRequest, Problem, RefreshRequest, TokenResponse,
    UserSummary,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::{AppJson, ClientIp, PasswordSetter, PresentedUser};
use super::limits;
use crate::auth::jwt::{Audience, Claims, ISSUER};
use crate::auth::refresh;
use crate::domain::user::User;
use crate::error::{ApiError, ApiResult};
use crate::service::admin::users;
use crate::service::login;
use crate::service::sessions;
use crate::state::AppState;
use crate::store::tokens::Rotation;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(refresh_tokens))
        .routes(routes!(logout))
        .routes(routes!(change_password))
}

/// The signed-in user sets their own password, giving the current one (after an
/// administrator's reset, the one-time password). Clears `must_change_password`: the
/// one call (with refresh and logout) answered while it is set; every other answers
/// 403 `password_change_required`.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth",
    request_body = ChangePassword, security(("bearer" = [])),
    responses(
        (status = 204, description = "Changed"),
        (status = 400, description = "`invalid_request`: `current_password` wrong, or `new_password` too weak or unchanged", body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A kiosk", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn change_password(
    State(state): State<AppState>,
    PasswordSetter(actor): PasswordSetter,
    AppJson(body): AppJson<ChangePassword>,
) -> ApiResult<StatusCode> {
    users::change_password(&state, &actor, body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Exchanges phone and password for an access token and a refresh token.
///
/// Wrong phone and wrong password answer alike. After repeated failures for a phone
/// or from an address, or too many attempts of any outcome from an address within a
/// minute, 429 `too_many_attempts` with `Retry-After`.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`invalid_credentials`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_attempts`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    AppJson(body): AppJson<LoginRequest>,
) -> ApiResult<AppJson<TokenResponse>> {
    let client = limits::address_block(&state, ip);
    limits::login(&state, client.as_ref()).await?;
    let user = login::log_in(&state, client, &body.phone, body.password).await?;
    let response = issue_tokens(&state, &user, None).await?;
    tracing::info!(user_id = %user.id, role = user.role.as_str(), "login");
    Ok(AppJson(response))
}

/// Trades a refresh token for a new pair. Each refresh token works once; presenting a
/// spent one revokes every token of that login.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "`invalid_token`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn refresh_tokens(
    State(state): State<AppState>,
    AppJson(body): AppJson<RefreshRequest>,
) -> ApiResult<AppJson<TokenResponse>> {
    let (user_id, refresh_token) = {
        let (new_token, new_hash) = refresh::generate().map_err(ApiError::internal)?;
        let now = state.now();
        let expires = now + refresh_ttl(&state);
        let old_hash = refresh::digest(&body.refresh_token);
        match state
            .store
            .rotate_refresh_token(&old_hash, &new_hash, now, expires)
            .await?
        {
            Rotation::Rotated { user_id } => (user_id, new_token),
            Rotation::Replayed => {
                tracing::warn!("refresh token replayed; family revoked");
                return Err(ApiError::InvalidToken);
            }
            Rotation::Invalid => return Err(ApiError::InvalidToken),
        }
    };
    let user = state
        .store
        .user(user_id)
        .await?
        .filter(User::is_active)
        .ok_or(ApiError::InvalidToken)?;
    Ok(AppJson(
        issue_tokens(&state, &user, Some(refresh_token)).await?,
    ))
}

/// Revokes the refresh token and every token of the same login, and ends the user's
/// access tokens: the one sent along (if any) and every other issued so far are refused
/// from the next request (other logins get new ones with their refresh tokens). Always 204.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    request_body = LogoutRequest,
    responses((status = 204, description = "Logged out")))]
pub async fn logout(
    State(state): State<AppState>,
    PresentedUser(presented_by): PresentedUser,
    AppJson(body): AppJson<LogoutRequest>,
) -> ApiResult<StatusCode> {
    let hash = refresh::digest(&body.refresh_token);
    sessions::log_out(&state, &hash, presented_by, state.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn refresh_ttl(state: &AppState) -> Duration {
    Duration::from_std(state.config.refresh_token_ttl).unwrap_or(Duration::days(30))
}

/// A fresh access token for `user`, and a refresh token: `rotated` when the store already
/// holds it (refresh), otherwise a new family is started (login).
async fn issue_tokens(
    state: &AppState,
    user: &User,
    rotated: Option<String>,
) -> ApiResult<TokenResponse> {
    // An account deactivated since its password was checked (or its refresh token
    // spent) gets no new access token.
    let version = sessions::version_for_new_tokens(state, user.id)
        .await?
        .ok_or(ApiError::InvalidToken)?;
    let now = state.now();
    let ttl = state.config.access_token_ttl.as_secs();
    let claims = Claims {
        sub: user.id,
        role: user.role,
        iss: ISSUER.to_owned(),
        aud: Audience::Api.as_str().to_owned(),
        iat: now.timestamp(),
        exp: now.timestamp() + i64::try_from(ttl).unwrap_or(900),
        jti: Uuid::new_v4(),
        ver: version,
        org: user.organization_id,
        jur: user
            .jurisdiction_code
            .as_ref()
            .map(|c| c.as_str().to_owned()),
        site: None,
    };
    let access_token = state.keys.jwt.sign(&claims).map_err(ApiError::internal)?;
    let refresh_token = match rotated {
        Some(token) => token,
        None => {
            let (token, hash) = refresh::generate().map_err(ApiError::internal)?;
            state
                .store
                .insert_refresh_token(&hash, user.id, now, now + refresh_ttl(state))
                .await?;
            token
        }
    };
    let must_change_password = users::password_change_required(state, user.id).await?;
    Ok(TokenResponse {
        must_change_password,
        access_token,
        refresh_token,
        expires_in: ttl,
        token_type: "Bearer".to_owned(),
        user: UserSummary {
            id: user.id,
            role: user.role,
            name: user.name.clone(),
        },
    })
}
