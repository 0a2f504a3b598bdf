//! `/api/v1/filing-calendar*` and `/api/v1/filings*`: the reporting calendar (报表报送
//! 日历) and reports filed for review. Rules and scope live in
//! [`crate::service::filings`].

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use mobile_api::{
    CreateFiling, CreateFilingObligation, Filing, FilingCalendar, FilingObligation, FilingTemplate,
    Problem, ReviewFiling, UpdateFiling, UpdateFilingObligation,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::{AppJson, AppPath, AppQuery, given};
use super::reports::format::XLSX_TYPE;
use crate::domain::access::Actor;
use crate::error::{ApiError, ApiResult};
use crate::service::filings::{self, FilingQuery};
use crate::state::AppState;

/// The header carrying a frozen file's SHA-256 (lower-case hex).
pub const SHA256_HEADER: &str = "x-content-sha256";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(calendar))
        .routes(routes!(templates))
        .routes(routes!(list_obligations, create_obligation))
        .routes(routes!(update_obligation))
        .routes(routes!(list_filings, create_filing))
        .routes(routes!(get_filing, update_filing))
        .routes(routes!(submit_filing))
        .routes(routes!(accept_filing))
        .routes(routes!(return_filing))
        .routes(routes!(amend_filing))
        .routes(routes!(filing_file))
}

/// `?jurisdiction_code=&from=&to=` of the calendar.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CalendarQuery {
    /// A jurisdiction in the caller's reach (and everything below it); default the
    /// caller's whole reach.
    #[param(value_type = Option<String>, pattern = "^\\s*([0-9]{6})?\\s*$", example = "350881")]
    jurisdiction_code: Option<String>,
    /// First day, `YYYY-MM-DD`; default the start of the previous quarter.
    #[param(value_type = Option<String>, format = Date, example = "2026-10-01")]
    from: Option<String>,
    /// Last day, `YYYY-MM-DD`; default the end of next month. At most three years
    /// after `from`.
    #[param(value_type = Option<String>, format = Date, example = "2026-12-31")]
    to: Option<String>,
}

/// What is due (应报): for every active duty of the jurisdictions in scope, each
/// period overlapping `[from, to]` with its report, who files (the level and the
/// jurisdiction), to whom, the due date, and its state on today's local date
/// (Asia/Shanghai): `not_due` (the period has not ended), `due`, `late` (with
/// `days_late`), `filed_on_time` or `filed_late` (by the first submission that
/// was not returned). Admins and supervisors (within their jurisdiction).
#[utoipa::path(get, path = "/api/v1/filing-calendar", tag = "filings",
    params(CalendarQuery), security(("bearer" = [])),
    responses(
        (status = 200, body = FilingCalendar),
        (status = 400, description = "`invalid_request` naming the parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown jurisdiction, or outside the caller's", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn calendar(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<CalendarQuery>,
) -> ApiResult<AppJson<FilingCalendar>> {
    Ok(AppJson(
        filings::calendar(
            &state,
            &actor,
            given(&query.jurisdiction_code),
            given(&query.from),
            given(&query.to),
        )
        .await?,
    ))
}

/// The circulars' reporting duties (漳平 monthly by the 2nd, 丰泽 by the 1st from
/// the receiving clinics, the annual summary by 15 December, 中站 quarterly and
/// half-yearly), from which obligations are created.
#[utoipa::path(get, path = "/api/v1/filing-calendar/templates", tag = "filings",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<FilingTemplate>)))]
pub async fn templates(_actor: Actor) -> AppJson<Vec<FilingTemplate>> {
    AppJson(filings::templates())
}

/// `?jurisdiction_code=` of the obligation list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ObligationQuery {
    #[param(value_type = Option<String>, pattern = "^\\s*([0-9]{6})?\\s*$", example = "350881")]
    jurisdiction_code: Option<String>,
}

/// The duties of the jurisdictions in scope, active or not.
#[utoipa::path(get, path = "/api/v1/filing-calendar/obligations", tag = "filings",
    params(ObligationQuery), security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<FilingObligation>),
        (status = 400, description = "`invalid_request` naming the parameter or path", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_obligations(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<ObligationQuery>,
) -> ApiResult<AppJson<Vec<FilingObligation>>> {
    Ok(AppJson(
        filings::list_obligations(&state, &actor, given(&query.jurisdiction_code)).await?,
    ))
}

/// Gives a jurisdiction (optionally for one programme) a duty from a template; its
/// due rule, recipient and name may differ from the template's. An admin, or a
/// supervisor above the jurisdiction (its own level is 403). Audit-logged.
#[utoipa::path(post, path = "/api/v1/filing-calendar/obligations", tag = "filings",
    request_body = CreateFilingObligation, security(("bearer" = [])),
    responses(
        (status = 201, body = FilingObligation),
        (status = 400, description = "`invalid_request` naming the field", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_obligation(
    State(state): State<AppState>,
    actor: Actor,
    AppJson(body): AppJson<CreateFilingObligation>,
) -> ApiResult<(StatusCode, AppJson<FilingObligation>)> {
    Ok((
        StatusCode::CREATED,
        AppJson(filings::create_obligation(&state, &actor, body).await?),
    ))
}

/// Edits a duty (name, recipient, due rule, first period, active); the level above
/// only, as for creating it. Audit-logged.
#[utoipa::path(patch, path = "/api/v1/filing-calendar/obligations/{id}", tag = "filings",
    params(("id" = Uuid, Path)), request_body = UpdateFilingObligation, security(("bearer" = [])),
    responses(
        (status = 200, body = FilingObligation),
        (status = 400, description = "`invalid_request` naming the field", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_obligation(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<UpdateFilingObligation>,
) -> ApiResult<AppJson<FilingObligation>> {
    Ok(AppJson(
        filings::update_obligation(&state, &actor, id, body).await?,
    ))
}

/// `?jurisdiction_code=&report_kind=&period=&status=&to_review=` of the filing list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FilingListQuery {
    /// This jurisdiction and below; default the caller's reach.
    #[param(value_type = Option<String>, pattern = "^\\s*([0-9]{6})?\\s*$", example = "350881")]
    jurisdiction_code: Option<String>,
    /// `monthly`, `compliance` or `county_statistics`.
    #[param(value_type = Option<String>, pattern = "^\\s*(monthly|compliance|county_statistics)?\\s*$", example = "monthly")]
    report_kind: Option<String>,
    #[param(value_type = Option<String>, pattern = "^\\s*((20[0-9]{2}|2100)(-(0[1-9]|1[0-2]|Q[1-4]|H[12]))?)?\\s*$", example = "2026-11")]
    period: Option<String>,
    /// `draft`, `submitted`, `accepted`, `returned` or `superseded`.
    #[param(value_type = Option<String>, pattern = "^\\s*(draft|submitted|accepted|returned|superseded)?\\s*$", example = "submitted")]
    status: Option<String>,
    /// `true`: only submitted filings the caller may accept or return (the level
    /// above's review queue).
    #[param(value_type = Option<bool>)]
    to_review: Option<bool>,
}

/// Filings in scope, every version, by jurisdiction, period (newest first), report
/// and version (newest first); without the frozen figures.
#[utoipa::path(get, path = "/api/v1/filings", tag = "filings",
    params(FilingListQuery), security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<Filing>),
        (status = 400, description = "`invalid_request` naming the parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_filings(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<FilingListQuery>,
) -> ApiResult<AppJson<Vec<Filing>>> {
    let filter = FilingQuery {
        jurisdiction_code: given(&query.jurisdiction_code),
        report_kind: given(&query.report_kind),
        period: given(&query.period),
        status: given(&query.status),
        to_review: query.to_review.unwrap_or(false),
    };
    Ok(AppJson(
        filings::list_filings(&state, &actor, filter).await?,
    ))
}

/// Starts filing one report for one period and jurisdiction: a draft (version 1),
/// optionally with its narrative. The period names the report's period: `2026-11`
/// for the monthly and compliance reports, `2026-Q3` / `2026-H2` for compliance,
/// `2026` for the county table. 409 `filing_exists` when the period was filed.
#[utoipa::path(post, path = "/api/v1/filings", tag = "filings",
    request_body = CreateFiling, security(("bearer" = [])),
    responses(
        (status = 201, body = Filing),
        (status = 400, description = "`invalid_request` naming the field", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`filing_exists`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_filing(
    State(state): State<AppState>,
    actor: Actor,
    AppJson(body): AppJson<CreateFiling>,
) -> ApiResult<(StatusCode, AppJson<Filing>)> {
    Ok((
        StatusCode::CREATED,
        AppJson(filings::create_filing(&state, &actor, body).await?),
    ))
}

/// One filing with the figures frozen at submission.
#[utoipa::path(get, path = "/api/v1/filings/{id}", tag = "filings",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 200, body = Filing),
        (status = 400, description = "`invalid_request` naming the parameter or path", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing, or outside the caller's jurisdiction", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_filing(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<Filing>> {
    Ok(AppJson(filings::get_filing(&state, &actor, id).await?))
}

/// Changes the narrative (完成情况, 存在问题, 下一步工作计划和建议) of a draft or a
/// returned filing. 409 `filing_not_editable` once submitted.
#[utoipa::path(patch, path = "/api/v1/filings/{id}", tag = "filings",
    params(("id" = Uuid, Path)), request_body = UpdateFiling, security(("bearer" = [])),
    responses(
        (status = 200, body = Filing),
        (status = 400, description = "`invalid_request` naming the field", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`filing_not_editable`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_filing(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<UpdateFiling>,
) -> ApiResult<AppJson<Filing>> {
    Ok(AppJson(
        filings::update_filing(&state, &actor, id, body).await?,
    ))
}

/// Submits a draft or a corrected returned filing: the three narrative parts are
/// required; the report is rendered now (the XLSX of the report endpoint) and frozen
/// with its SHA-256 and figures, which later data never changes. An amendment's
/// submission supersedes the version it replaces.
#[utoipa::path(post, path = "/api/v1/filings/{id}/submit", tag = "filings",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 200, body = Filing),
        (status = 400, description = "`invalid_request`: a narrative part missing, or a period the report does not take", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`filing_not_editable`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn submit_filing(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<Filing>> {
    Ok(AppJson(filings::submit_filing(&state, &actor, id).await?))
}

/// Accepts a submitted filing: the level above only (an admin, or a supervisor of a
/// jurisdiction above the filer's; the filer's own level is 403).
#[utoipa::path(post, path = "/api/v1/filings/{id}/accept", tag = "filings",
    params(("id" = Uuid, Path)), request_body = ReviewFiling, security(("bearer" = [])),
    responses(
        (status = 200, body = Filing),
        (status = 400, description = "`invalid_request` naming the parameter or path", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`filing_not_submitted`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn accept_filing(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<ReviewFiling>,
) -> ApiResult<AppJson<Filing>> {
    Ok(AppJson(
        filings::review_filing(&state, &actor, id, true, body).await?,
    ))
}

/// Returns a submitted filing with a note saying what to correct (退回); the filer
/// edits and submits it again. The level above only.
#[utoipa::path(post, path = "/api/v1/filings/{id}/return", tag = "filings",
    params(("id" = Uuid, Path)), request_body = ReviewFiling, security(("bearer" = [])),
    responses(
        (status = 200, body = Filing),
        (status = 400, description = "`invalid_request`: `note` missing", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`filing_not_submitted`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn return_filing(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<ReviewFiling>,
) -> ApiResult<AppJson<Filing>> {
    Ok(AppJson(
        filings::review_filing(&state, &actor, id, false, body).await?,
    ))
}

/// Starts an amendment (更正) of the newest submitted or accepted version: a draft
/// of the next version naming it in `replaces_id`, its narrative copied. The
/// replaced version keeps its frozen file.
#[utoipa::path(post, path = "/api/v1/filings/{id}/amend", tag = "filings",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 201, body = Filing),
        (status = 400, description = "`invalid_request` naming the parameter or path", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`filing_not_amendable`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn amend_filing(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<(StatusCode, AppJson<Filing>)> {
    Ok((
        StatusCode::CREATED,
        AppJson(filings::amend_filing(&state, &actor, id).await?),
    ))
}

/// The frozen XLSX of a submitted filing, byte for byte as submitted, with its
/// SHA-256 in `X-Content-SHA256`. 404 while a draft.
#[utoipa::path(get, path = "/api/v1/filings/{id}/file", tag = "filings",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 200, description = "The frozen file", content(
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ), headers(("X-Content-SHA256" = String, description = "Lower-case hex SHA-256 of the body"))),
        (status = 400, description = "`invalid_request` naming the parameter or path", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn filing_file(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<Response> {
    let file = filings::filing_file(&state, &actor, id).await?;
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(XLSX_TYPE));
    let disposition = format!("attachment; filename=\"{}\"", file.file_name);
    headers.insert(
        CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).map_err(ApiError::internal)?,
    );
    headers.insert(
        HeaderName::from_static(SHA256_HEADER),
        HeaderValue::from_str(&file.sha256).map_err(ApiError::internal)?,
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok((headers, file.bytes).into_response())
}
