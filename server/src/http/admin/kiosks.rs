//! Kiosk enrolment and revocation: a long-lived token for one site's wall screen.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use mobile_api::{
    EnrollKiosk, KioskEnrolment, KioskLink, KioskList, KioskStatus, Problem, UpdateKiosk,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::domain::access::Actor;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{AppJson, AppPath};
use crate::service::admin::kiosks;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(enroll_kiosk, list_kiosks))
        .routes(routes!(link_qr))
        .routes(routes!(revoke_kiosk, pin_kiosk))
}

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
    // The role first: a caller without it hears 403 whatever the body says.
    kiosks::may_manage(&actor)?;
    // No body, or JSON `null` (the document's `EnrollKiosk | null`): the defaults. An
    // array is no object, though serde would read the struct from one.
    let request: EnrollKiosk = if body.iter().all(u8::is_ascii_whitespace) {
        EnrollKiosk::default()
    } else if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(ApiError::invalid("body: expected a JSON object or null"));
    } else {
        serde_json::from_slice::<Option<EnrollKiosk>>(&body)
            .map_err(|e| ApiError::invalid(e.to_string()))?
            .unwrap_or_default()
    };
    let enrolment = kiosks::enroll(&state, &actor, site_id, request).await?;
    Ok((StatusCode::CREATED, AppJson(enrolment)))
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
    kiosks::revoke(&state, &actor, kiosk_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Pins a kiosk to its network (`{"pinned_network": "current"}`, a network, or `null`
/// to unpin): a pinned kiosk fetching its code from another network gets 403
/// `kiosk_network_not_allowed`.
#[utoipa::path(patch, path = "/api/v1/kiosks/{kiosk_id}", tag = "administration",
    params(("kiosk_id" = Uuid, Path)), request_body = UpdateKiosk, security(("bearer" = [])),
    responses(
        (status = 200, body = KioskStatus),
        (status = 400, description = "`invalid_request`: `pinned_network` is not a network, or the kiosk was never seen", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn pin_kiosk(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(kiosk_id): AppPath<Uuid>,
    AppJson(body): AppJson<UpdateKiosk>,
) -> ApiResult<AppJson<KioskStatus>> {
    Ok(AppJson(kiosks::pin(&state, &actor, kiosk_id, body).await?))
}

/// The site's kiosks, oldest first, each with when it last fetched its code (recorded
/// at most once a minute) and whether it was revoked.
#[utoipa::path(get, path = "/api/v1/organizations/{id}/kiosks", tag = "administration",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 200, body = KioskList), (status = 400, description = "`invalid_request`: a malformed path parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_kiosks(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(site_id): AppPath<Uuid>,
) -> ApiResult<AppJson<KioskList>> {
    Ok(AppJson(kiosks::list(&state, &actor, site_id).await?))
}

/// Draws a kiosk page link (`…/kiosk#token=…`) as a QR code, so the wall screen can be
/// opened by scanning it. The server keeps nothing.
#[utoipa::path(post, path = "/api/v1/kiosks/link-qr", tag = "administration",
    request_body = KioskLink, security(("bearer" = [])),
    responses(
        (status = 200, description = "The link as a QR code", body = String, content_type = "image/svg+xml"),
        (status = 400, description = "`invalid_request`: not a kiosk link", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn link_qr(
    actor: Actor,
    AppJson(body): AppJson<KioskLink>,
) -> ApiResult<axum::response::Response> {
    let svg = kiosks::link_qr(&actor, &body.link)?;
    Ok(([(CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}
