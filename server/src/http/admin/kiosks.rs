//! Kiosk enrolment and revocation: a long-lived token for one site's wall screen.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use mobile_api::{EnrollKiosk, KioskEnrolment, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::organizations::reachable_organization;
use crate::auth::jwt::{Audience, Claims, ISSUER};
use crate::domain::access::{Actor, Role};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{AppJson, AppPath};
use crate::service::audit::{self, Change};
use crate::state::AppState;

/// Kiosk tokens last five years; revocation, not expiry, is how they end.
const KIOSK_TOKEN_DAYS: i64 = 5 * 365;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(enroll_kiosk))
        .routes(routes!(revoke_kiosk))
}

const KIOSK_ROLES: [Role; 3] = [Role::Admin, Role::Supervisor, Role::ClinicAdmin];

/// Enrols a wall screen for a site. The body (`{label?}`) may be empty.
#[utoipa::path(post, path = "/api/v1/organizations/{id}/kiosks", tag = "administration",
    params(("id" = Uuid, Path)), request_body(content = Option<EnrollKiosk>), security(("bearer" = [])),
    responses(
        (status = 201, body = KioskEnrolment), (status = 400, description = "`invalid_request`: a malformed path or query parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn enroll_kiosk(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(site_id): AppPath<Uuid>,
    body: Bytes,
) -> ApiResult<(StatusCode, AppJson<KioskEnrolment>)> {
    actor.require(&KIOSK_ROLES)?;
    let request: EnrollKiosk = if body.iter().all(u8::is_ascii_whitespace) {
        EnrollKiosk::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::invalid(e.to_string()))?
    };
    let label = request
        .label
        .map(|l| crate::domain::organization::parse_name(&l))
        .transpose()
        .map_err(|_| ApiError::invalid("label: must be 1 to 200 characters"))?;
    let site = reachable_organization(&state, &actor, site_id).await?;
    let now = state.now();
    let kiosk_id = Uuid::new_v4();
    let enrolled = serde_json::json!({ "kiosk_id": kiosk_id, "site_id": site.id, "label": label });
    let audit = audit::audited(
        &state,
        &actor,
        Change {
            action: "kiosk.enroll",
            object_type: "kiosk",
            object_id: kiosk_id.to_string(),
            before: None,
            after: Some(&enrolled),
        },
    )?;
    state
        .store
        .insert_kiosk(
            kiosk_id,
            site.id,
            label.as_deref(),
            actor.user_id,
            now,
            audit,
        )
        .await?;
    let claims = Claims {
        sub: kiosk_id,
        role: Role::Kiosk,
        iss: ISSUER.to_owned(),
        aud: Audience::Kiosk.as_str().to_owned(),
        iat: now.timestamp(),
        exp: (now + chrono::Duration::days(KIOSK_TOKEN_DAYS)).timestamp(),
        jti: Uuid::new_v4(),
        ver: 0,
        org: None,
        jur: None,
        site: Some(site.id),
    };
    let token = state.keys.jwt.sign(&claims).map_err(ApiError::internal)?;
    Ok((
        StatusCode::CREATED,
        AppJson(KioskEnrolment {
            kiosk_id,
            token,
            site_id: site.id,
        }),
    ))
}

/// Revokes a kiosk: its token stops working at once.
#[utoipa::path(delete, path = "/api/v1/kiosks/{kiosk_id}", tag = "administration",
    params(("kiosk_id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 204, description = "Revoked"), (status = 400, description = "`invalid_request`: a malformed path or query parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn revoke_kiosk(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(kiosk_id): AppPath<Uuid>,
) -> ApiResult<StatusCode> {
    actor.require(&KIOSK_ROLES)?;
    let kiosk = state
        .store
        .kiosk(kiosk_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    reachable_organization(&state, &actor, kiosk.site_id).await?;
    let revoked = serde_json::json!({ "kiosk_id": kiosk.id, "site_id": kiosk.site_id, "revoked": kiosk.revoked });
    let audit = audit::audited(
        &state,
        &actor,
        Change {
            action: "kiosk.revoke",
            object_type: "kiosk",
            object_id: kiosk_id.to_string(),
            before: Some(&revoked),
            after: None,
        },
    )?;
    state
        .store
        .revoke_kiosk(kiosk_id, state.now(), audit)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
