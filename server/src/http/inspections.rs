//! `/api/v1/inspections`, `/api/v1/presence-checks` and `/api/v1/attendance/presence`:
//! supervisors' inspections (暗访 / 现场核查) cross-checked against attendance, and
//! presence spot-checks (在岗抽查) a physician answers by scanning the kiosk again.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use mobile_api::{
    AttendanceRequest, AttendanceResponse, CreateInspection, CreatePresenceCheck, Inspection,
    PresenceCheck, Problem,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::attendance::replay;
use super::extract::{AppJson, ClientIp};
use crate::domain::access::{Actor, Role};
use crate::error::ApiResult;
use crate::service::{attendance, inspections};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_inspection))
        .routes(routes!(create_presence_check))
        .routes(routes!(answer_presence))
}

/// Records an inspection and cross-checks it against attendance at `observed_at`:
/// each absent physician with a visit at the site open at that instant raises
/// `inspection_absent` (on that visit, whose credit then waits for review); each
/// present physician without one raises `inspection_unrecorded` (on their open visit
/// at another site, if any). An absent physician recorded at another site raises
/// nothing. The answer lists the anomalies raised.
///
/// 400 `invalid_request` for a physician listed twice or in both lists, an id that is
/// not a physician, or `observed_at` in the future or over a year ago; 404 when the
/// site is outside the caller's jurisdiction.
#[utoipa::path(post, path = "/api/v1/inspections", tag = "supervision",
    request_body = CreateInspection, security(("bearer" = [])),
    responses(
        (status = 201, body = Inspection),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_inspection(
    State(state): State<AppState>,
    actor: Actor,
    AppJson(body): AppJson<CreateInspection>,
) -> ApiResult<(StatusCode, AppJson<Inspection>)> {
    let inspection = inspections::create_inspection(&state, &actor, body).await?;
    Ok((StatusCode::CREATED, AppJson(inspection)))
}

/// Asks a physician to prove presence: within `respond_within_minutes` (1 to 240) they
/// must scan the site's current rotating code through `POST /api/v1/attendance/presence`,
/// or the scheduler raises `presence_check_missed` once the deadline passed (also when
/// it passed while no server ran). The scan needs an open visit at the site: checking
/// out does not answer a check.
///
/// The site is `site_id` when given, else the site of the physician's open visit, else
/// the one site of their assignments covering today; only sites in the caller's
/// jurisdiction count. 404 when the physician is unknown or has no open visit or
/// assignment in the caller's jurisdiction (or `site_id` is not one of them); 422
/// `no_assignment` when none of them covers today; 400 `invalid_request` when several
/// sites are possible and `site_id` is missing.
#[utoipa::path(post, path = "/api/v1/presence-checks", tag = "supervision",
    request_body = CreatePresenceCheck, security(("bearer" = [])),
    responses(
        (status = 201, body = PresenceCheck),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`no_assignment`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_presence_check(
    State(state): State<AppState>,
    actor: Actor,
    AppJson(body): AppJson<CreatePresenceCheck>,
) -> ApiResult<(StatusCode, AppJson<PresenceCheck>)> {
    let check = inspections::create_presence_check(&state, &actor, &body).await?;
    Ok((StatusCode::CREATED, AppJson(check)))
}

/// Answers the physician's pending presence checks: a scan, as for check-in, of the
/// rotating code on the screen of the site of the open visit, inside its fence. 201 as
/// for check-in (`visit_id` is the open visit, which stays open; every pending check of
/// that site whose window contains the scan is answered). Refused (422) with the
/// check-out codes (`code_invalid`, `code_expired`, `code_reused`, `wrong_site`,
/// `outside_geofence`, `poor_accuracy`, `no_open_visit`), plus
/// `rotating_code_required` for a printed daily code and `no_presence_check` when no
/// pending check can be answered (none asked, or its deadline passed). Stored and
/// replayed by `client_event_id` like every attempt.
#[utoipa::path(post, path = "/api/v1/attendance/presence", tag = "supervision",
    request_body = AttendanceRequest, security(("bearer" = [])),
    responses(
        (status = 201, body = AttendanceResponse),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "refused: see the codes above", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn answer_presence(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    actor: Actor,
    AppJson(body): AppJson<AttendanceRequest>,
) -> ApiResult<Response> {
    actor.require(&[Role::Physician])?;
    super::limits::attendance(&state, ip, actor.user_id).await?;
    let answer = attendance::answer_presence(&state, actor.user_id, &body).await?;
    super::attendance::record_verdict(&state, "presence", &answer);
    Ok(replay(answer.response))
}
