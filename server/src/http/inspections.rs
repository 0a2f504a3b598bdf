//! `/api/v1/inspections`, `/api/v1/presence-checks` and `/api/v1/attendance/presence`:
//! supervisors' inspections (暗访 / 现场核查) cross-checked against attendance, and
//! presence spot-checks (在岗抽查) a physician answers by scanning the kiosk again.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use mobile_api::page::PageQuery;
use mobile_api::{
    AttendanceRequest, AttendanceResponse, CreateInspection, CreatePresenceCheck, Inspection,
    InspectionKind, InspectionPhoto, Page, PresenceCheck, Problem, RecordFollowUp,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::PageRequest;
use super::attendance::replay;
use super::extract::{AppJson, AppPath, AppQuery, ClientIp, given};
use super::reports::format::{self, ReportFormat};
use super::supervision::{bool_param, cursor_key, date_range, one_of, parse_cursor, uuid_param};
use crate::config::INSPECTION_PHOTO_HARD_MAX_BYTES;
use crate::domain::access::{Actor, Role};
use crate::domain::crediting::{close_of_local_day, start_of_local_day};
use crate::domain::organization::DEFAULT_TIMEZONE;
use crate::error::{ApiError, ApiResult};
use crate::render::inspection_tables;
use crate::service::inspection_records::{self, InspectionQuery as Filters};
use crate::service::{attendance, inspections};
use crate::state::AppState;
use crate::store::inspection_records::InspectionFilter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_inspection, list_inspections))
        .routes(routes!(inspection_detail))
        .routes(routes!(record_follow_up))
        .routes(routes!(photo))
        .routes(routes!(create_presence_check))
        .routes(routes!(answer_presence))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(add_photo))
                .layer(DefaultBodyLimit::max(INSPECTION_PHOTO_HARD_MAX_BYTES)),
        )
}

/// `?jurisdiction_code=&site_id=&inspector_id=&kind=&from=&to=&with_missing=` of the
/// inspection list, with cursor paging and `format=` for a download.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InspectionQuery {
    /// A jurisdiction in the caller's scope, e.g. a county's 6-digit code: inspections
    /// at sites in it and below. Default: the supervisor's own jurisdiction.
    #[param(value_type = Option<String>, pattern = "^\\s*([0-9]{6})?\\s*$", example = "350881")]
    jurisdiction_code: Option<String>,
    #[param(value_type = Option<String>, format = Uuid)]
    site_id: Option<String>,
    /// The supervisor who recorded it.
    #[param(value_type = Option<String>, format = Uuid)]
    inspector_id: Option<String>,
    /// `unannounced` (暗访) or `onsite` (现场核查).
    #[param(value_type = Option<String>, pattern = "^\\s*(unannounced|onsite)?\\s*$", example = "unannounced")]
    kind: Option<String>,
    /// First date (`YYYY-MM-DD`, Asia/Shanghai) of `observed_at`, inclusive.
    #[param(value_type = Option<String>, format = Date, example = "2026-03-01")]
    from: Option<String>,
    /// Last date of `observed_at`, inclusive.
    #[param(value_type = Option<String>, format = Date, example = "2026-03-31")]
    to: Option<String>,
    /// `true`: only inspections that found a physician missing; `false`: none missing.
    #[param(value_type = Option<bool>)]
    with_missing: Option<String>,
    /// Page size, 1 to 500; default 50.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// Opaque; the `next_cursor` of the previous page.
    cursor: Option<String>,
    /// `json` (default), `csv` or `xlsx`: the whole filtered list as a form to file.
    #[param(value_type = Option<String>, pattern = "^\\s*(json|csv|xlsx)?\\s*$", example = "xlsx")]
    format: Option<String>,
}

fn filters(q: &InspectionQuery) -> ApiResult<(Filters, String)> {
    let (from, to) = date_range(&q.from, &q.to)?;
    let kind = one_of("kind", &q.kind, &["unannounced", "onsite"])?.map(|k| {
        if k == "onsite" {
            InspectionKind::Onsite
        } else {
            InspectionKind::Unannounced
        }
    });
    let code = given(&q.jurisdiction_code).map(str::to_owned);
    let scope = format!(
        "{}　{} 至 {}",
        code.as_deref().unwrap_or("全部"),
        from.map_or_else(|| "…".to_owned(), |d| d.to_string()),
        to.map_or_else(|| "…".to_owned(), |d| d.to_string()),
    );
    Ok((
        Filters {
            jurisdiction_code: code,
            filter: InspectionFilter {
                within: None,
                site_id: uuid_param("site_id", &q.site_id)?,
                inspector_id: uuid_param("inspector_id", &q.inspector_id)?,
                kind,
                from: from.map(|d| start_of_local_day(d, DEFAULT_TIMEZONE)),
                until: to.map(|d| close_of_local_day(d, DEFAULT_TIMEZONE)),
                with_missing: bool_param("with_missing", &q.with_missing)?,
            },
        },
        scope,
    ))
}

/// Inspections, newest first, with who was found and who was missing (by name), the
/// inspector's fix and its distance from the fence, the number of photos and the
/// follow-up. Supervisors see inspections at sites in their jurisdiction and below
/// (`jurisdiction_code` narrows it; another jurisdiction is 404); admins all.
/// `X-Total-Count` gives how many match. With `format=csv|xlsx` the whole filtered
/// list (at most 20,000; `X-Truncated: true` when cut) downloads as 督查记录登记表,
/// titled, with a totals row.
#[utoipa::path(get, path = "/api/v1/inspections", tag = "supervision",
    params(InspectionQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of inspections; `X-Total-Count` has the number matching", content(
            (Page<Inspection> = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ), headers(("X-Total-Count" = u64, description = "Inspections matching the filters"))),
        (status = 400, description = "`invalid_request` naming the parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`jurisdiction_code` unknown or outside the caller's", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_inspections(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<InspectionQuery>,
) -> ApiResult<Response> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    let (filters, scope) = filters(&query)?;
    let format = ReportFormat::negotiate(query.format.as_deref(), &HeaderMap::new())?;
    if format != ReportFormat::Json {
        let (items, cut) = inspection_records::export(&state, &actor, &filters).await?;
        let stem = format!("inspections-{}", state.now().format("%Y%m%d"));
        let mut response = format::respond(
            format,
            items,
            |items| inspection_tables::inspections(items, &scope),
            &stem,
        )?;
        if cut {
            response
                .headers_mut()
                .insert("x-truncated", HeaderValue::from_static("true"));
        }
        return Ok(response);
    }
    let page = PageRequest::try_from(PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    })?;
    let after = parse_cursor(page.after.as_deref())?;
    let list = inspection_records::search(&state, &actor, &filters, after, page.fetch()).await?;
    let body = page.page(list.items, |i| cursor_key(i.observed_at, i.id));
    let mut response = AppJson(body).into_response();
    response
        .headers_mut()
        .insert("x-total-count", HeaderValue::from(list.total));
    Ok(response)
}

/// One inspection in full: names, the inspector's fix and its distance from the fence,
/// the photos (metadata with SHA-256) and the follow-up. 404 outside the caller's reach.
#[utoipa::path(get, path = "/api/v1/inspections/{id}", tag = "supervision",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 200, body = Inspection),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn inspection_detail(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<Inspection>> {
    Ok(AppJson(
        inspection_records::detail(&state, &actor, id).await?,
    ))
}

/// Records the follow-up (整改) of an inspection's findings: the action taken, whether
/// it is still `open` or `closed`, and a note. A later record replaces it; each is kept
/// in the audit chain with the one before. Answers the inspection.
#[utoipa::path(post, path = "/api/v1/inspections/{id}/follow-up", tag = "supervision",
    params(("id" = Uuid, Path)), request_body = RecordFollowUp, security(("bearer" = [])),
    responses(
        (status = 200, body = Inspection),
        (status = 400, description = "`invalid_request` naming the field", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn record_follow_up(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<RecordFollowUp>,
) -> ApiResult<AppJson<Inspection>> {
    Ok(AppJson(
        inspection_records::record_follow_up(&state, &actor, id, &body).await?,
    ))
}

/// Adds a photo to an inspection: the raw image as the body. JPEG, PNG or WebP, told
/// by the file's first bytes (anything else 415 `unsupported_media_type`), at most
/// `CHECKIN_INSPECTION_PHOTO_MAX_BYTES` (default 5 MiB; 413 `payload_too_large`).
/// The photo is stored with its SHA-256, which the audit entry of the upload records
/// (`inspection.photo`), so a photo shown later can be checked against the chain.
#[utoipa::path(post, path = "/api/v1/inspections/{id}/photos", tag = "supervision",
    params(("id" = Uuid, Path)),
    request_body(description = "The image, as the raw body",
        content(("image/jpeg"), ("image/png"), ("image/webp"))),
    security(("bearer" = [])),
    responses(
        (status = 201, body = InspectionPhoto),
        (status = 400, description = "`invalid_request` naming the path parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: not a JPEG, PNG or WebP", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn add_photo(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, AppJson<InspectionPhoto>)> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::invalid(rejection.body_text())
        }
    })?;
    let photo = inspection_records::add_photo(&state, &actor, id, bytes.to_vec()).await?;
    Ok((StatusCode::CREATED, AppJson(photo)))
}

/// One photo of an inspection, as uploaded, with `X-Content-SHA256` (the hash the audit
/// chain recorded).
#[utoipa::path(get, path = "/api/v1/inspections/{id}/photos/{photo_id}", tag = "supervision",
    params(("id" = Uuid, Path), ("photo_id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 200, description = "The image", content(("image/jpeg"), ("image/png"), ("image/webp")),
            headers(("X-Content-SHA256" = String, description = "Hex SHA-256 of the body"))),
        (status = 400, description = "`invalid_request` naming the path parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn photo(
    State(state): State<AppState>,
    actor: Actor,
    AppPath((id, photo_id)): AppPath<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    let (meta, data) = inspection_records::photo(&state, &actor, id, photo_id).await?;
    super::photos::stored_image(&meta.content_type, &meta.sha256, data)
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
