//! `/api/v1/reports/*` and `/api/v1/physicians/{id}/service-record`: the reports
//! bureaus file, as JSON, CSV or XLSX. Scoping and the figures live in
//! [`crate::service::reports`]; this module parses the request and picks the format.
//! `/api/v1/physicians` finds whose service record to open.

pub mod format;
/// The report tables moved to [`crate::render::tables`] so a filing's frozen file is
/// rendered by the service layer; the name stays for the handlers.
pub use crate::render::tables;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use mobile_api::page::PageQuery;
use mobile_api::{
    ComplianceReport, CountyFacts, CountyStatistics, CoverageReport, MonthlyReport, Page,
    PhysicianListItem, Problem, ServiceRecord, SetCountyFacts,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use self::format::ReportFormat;
use super::PageRequest;
use super::extract::{AppJson, AppPath, AppQuery, given};
use crate::domain::access::Actor;
use crate::error::{ApiError, ApiResult};
use crate::service::reports::{self, ReportScope};
use crate::service::{coverage, physicians};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(monthly))
        .routes(routes!(compliance))
        .routes(routes!(coverage))
        .routes(routes!(county_statistics))
        .routes(routes!(set_county_facts))
        .routes(routes!(service_record))
        .routes(routes!(list_physicians))
}

/// `?jurisdiction_code=&month=&format=` of the monthly report.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthlyQuery {
    /// A jurisdiction in the caller's scope. Supervisors default to their own;
    /// admins and hospital admins to every site they see.
    #[param(value_type = Option<String>, example = "350881")]
    jurisdiction_code: Option<String>,
    /// The month, `YYYY-MM`.
    #[param(value_type = String, example = "2026-03")]
    month: Option<String>,
    /// `json`, `csv` or `xlsx`; overrides `Accept`.
    #[param(value_type = Option<String>, example = "csv")]
    format: Option<String>,
}

/// `?jurisdiction_code=&period=&format=` of the compliance report.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComplianceQuery {
    /// As for the monthly report.
    #[param(value_type = Option<String>, example = "350881")]
    jurisdiction_code: Option<String>,
    /// The month judged, `YYYY-MM`.
    #[param(value_type = String, example = "2026-03")]
    period: Option<String>,
    /// `json`, `csv` or `xlsx`; overrides `Accept`.
    #[param(value_type = Option<String>, example = "xlsx")]
    format: Option<String>,
}

/// `?jurisdiction_code=&year=&format=` of the county statistics.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CountyQuery {
    /// As for the monthly report; a city gives one row per county below it.
    #[param(value_type = Option<String>, example = "350800")]
    jurisdiction_code: Option<String>,
    /// The year, `YYYY`.
    #[param(value_type = String, example = "2026")]
    year: Option<String>,
    /// `json`, `csv` or `xlsx`; overrides `Accept`.
    #[param(value_type = Option<String>, example = "xlsx")]
    format: Option<String>,
}

/// `?format=` of the service record.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// `json`, `csv` or `xlsx`; overrides `Accept`.
    #[param(value_type = Option<String>, example = "xlsx")]
    format: Option<String>,
}

fn required<'a>(name: &str, value: &'a Option<String>, shape: &str) -> ApiResult<&'a str> {
    given(value).ok_or_else(|| ApiError::invalid(format!("{name}: required ({shape})")))
}

/// The ASCII stem of a download's file name.
fn stem(kind: &str, scope: &ReportScope, period: &str) -> String {
    let code = scope
        .jurisdiction
        .as_ref()
        .map_or_else(|| "all".to_owned(), |j| j.code.to_string());
    format!("{kind}-{code}-{period}")
}

/// 对口支援工作量月报表 (seed 000 附件2): one row per physician and receiving site
/// with an assignment in the month: credited days and half-days, qualifying and
/// pending visits, and the month's activity totals (the newest record of each visit
/// and kind, on creditable visits). Supervisors see their jurisdiction and below
/// (another jurisdiction is 404), admins any (every site without
/// `jurisdiction_code`), hospital admins only their own physicians. JSON, or CSV
/// (UTF-8 with BOM, CRLF) / XLSX by `Accept` or `?format=`.
#[utoipa::path(get, path = "/api/v1/reports/monthly", tag = "reports",
    params(MonthlyQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "The report", content(
            (MonthlyReport = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, description = "`invalid_request` naming the parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown jurisdiction, or outside the caller's", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn monthly(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<MonthlyQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let scope = reports::resolve_scope(&state, &actor, given(&query.jurisdiction_code)).await?;
    let format = ReportFormat::negotiate(query.format.as_deref(), &headers)?;
    let month = required("month", &query.month, "YYYY-MM")?;
    let report = reports::monthly_report(&state, &scope, month).await?;
    let stem = stem("monthly", &scope, &report.month);
    format::respond(format, report, tables::monthly, &stem)
}

/// Compliance with each requirement of each assignment overlapping the month:
/// `required`, `credited` and `status` (`met`, `on_track`, `at_risk`, `missed`) as of
/// today in the site's time zone. Weekly requirements sum every week overlapping the
/// month (detail in `periods`, the status the worst week's); longer ones are judged
/// in the period containing today clamped into the month. Scoped as the monthly report.
#[utoipa::path(get, path = "/api/v1/reports/compliance", tag = "reports",
    params(ComplianceQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "The report", content(
            (ComplianceReport = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, description = "`invalid_request` naming the parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown jurisdiction, or outside the caller's", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn compliance(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<ComplianceQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let scope = reports::resolve_scope(&state, &actor, given(&query.jurisdiction_code)).await?;
    let format = ReportFormat::negotiate(query.format.as_deref(), &headers)?;
    let period = required("period", &query.period, "YYYY-MM")?;
    let report = reports::compliance_report(&state, &scope, period).await?;
    let stem = stem("compliance", &scope, &report.period);
    format::respond(format, report, tables::compliance, &stem)
}

/// Coverage (全覆盖): every receiving clinic (乡镇卫生院, 社区卫生服务中心, 村卫生室)
/// of the jurisdiction with its credited days, qualifying visits and distinct
/// physicians in the month, the clinics that got nobody included (`covered: false`),
/// and the centre of its fence for the map. The figures add up the monthly report's
/// rows for each site. Scoped as the monthly report (a hospital admin sees only
/// their own physicians' service).
#[utoipa::path(get, path = "/api/v1/reports/coverage", tag = "reports",
    params(MonthlyQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "The report", content(
            (CoverageReport = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, description = "`invalid_request` naming the parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown jurisdiction, or outside the caller's", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn coverage(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<MonthlyQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let scope = reports::resolve_scope(&state, &actor, given(&query.jurisdiction_code)).await?;
    let format = ReportFormat::negotiate(query.format.as_deref(), &headers)?;
    let month = required("month", &query.month, "YYYY-MM")?;
    let report = coverage::coverage_report(&state, &scope, month).await?;
    let stem = stem("coverage", &scope, &report.month);
    format::respond(format, report, tables::coverage, &stem)
}

/// 设区市县域巡回医疗和派驻服务工作量统计表 (seed 003 附件): one row per county of
/// the jurisdiction with the form's 18 columns. Derived columns come from credited
/// service and logged activities (see the field descriptions); 配备巡诊车辆,
/// 搭建远程医疗协作网村数 and the three 帮扶 counts are the facts recorded with
/// `PUT /api/v1/reports/county-statistics/facts` (`null`, or an empty cell, until
/// recorded). CSV and XLSX end with a 合计 row; the XLSX merges the three groups
/// over their columns. Scoped as the monthly report.
#[utoipa::path(get, path = "/api/v1/reports/county-statistics", tag = "reports",
    params(CountyQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "The table", content(
            (CountyStatistics = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, description = "`invalid_request` naming the parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown jurisdiction, or outside the caller's", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn county_statistics(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<CountyQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let scope = reports::resolve_scope(&state, &actor, given(&query.jurisdiction_code)).await?;
    let format = ReportFormat::negotiate(query.format.as_deref(), &headers)?;
    let year = required("year", &query.year, "YYYY")?;
    let year: i32 = year
        .parse()
        .ok()
        .filter(|_| year.len() == 4)
        .ok_or_else(|| ApiError::invalid("year: expected YYYY"))?;
    let report = reports::county_statistics(&state, &scope, year).await?;
    let stem = stem("county-statistics", &scope, &report.year.to_string());
    format::respond(format, report, tables::county, &stem)
}

/// Records the county table's columns that attendance data cannot know, for one
/// county and year: every call replaces all five (`null` = not recorded). Admins,
/// and supervisors of that county or above; audit-logged with the previous values.
#[utoipa::path(put, path = "/api/v1/reports/county-statistics/facts", tag = "reports",
    request_body = SetCountyFacts, security(("bearer" = [])),
    responses(
        (status = 200, description = "The facts as recorded", body = CountyFacts),
        (status = 400, description = "`invalid_request`: not a county, a year or figure out of range", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown county, or outside the caller's jurisdiction", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn set_county_facts(
    State(state): State<AppState>,
    actor: Actor,
    AppJson(body): AppJson<SetCountyFacts>,
) -> ApiResult<AppJson<CountyFacts>> {
    Ok(AppJson(
        reports::set_county_facts(&state, &actor, body).await?,
    ))
}

/// 对口支援工作医师考核登记表, for title promotion: the physician, every posting
/// with its credited days, the cumulative credited days, and the longest span of
/// consecutive months with credit at one site (also in calendar days). For admins,
/// supervisors whose jurisdiction holds any of the physician's sites, the
/// physician's own hospital admin, and the physician; anyone else of those roles
/// gets 404. JSON, CSV or XLSX as the other reports.
#[utoipa::path(get, path = "/api/v1/physicians/{id}/service-record", tag = "reports",
    params(("id" = Uuid, Path), FormatQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "The record", content(
            (ServiceRecord = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, description = "`invalid_request`: an unknown `format`", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such physician, or not the caller's to see", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn service_record(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
    AppQuery(query): AppQuery<FormatQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let record = reports::service_record(&state, &actor, id).await?;
    let format = ReportFormat::negotiate(query.format.as_deref(), &headers)?;
    format::respond(
        format,
        record,
        tables::service_record,
        &format!("service-record-{id}"),
    )
}

/// `?q=&limit=&cursor=` of the physician list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PhysicianQuery {
    /// Part of the name (`志远`), the whole phone number, or its last four digits (尾号).
    /// At most 50 characters.
    #[param(value_type = Option<String>, example = "林")]
    q: Option<String>,
    /// Page size, 1 to 500; default 50.
    limit: Option<u32>,
    /// Opaque; the `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// The physicians whose service record (考核登记表) the caller may open, by name
/// (then id), for a picker: an admin's every physician; a supervisor's those employed
/// in their jurisdiction or posted to a site in it; a hospital administrator's their
/// own hospital's. `q` narrows by part of the name, the whole phone number or its last
/// four digits; answers show the phone masked. Switched-off accounts are listed with
/// `active: false`.
#[utoipa::path(get, path = "/api/v1/physicians", tag = "reports",
    params(PhysicianQuery), security(("bearer" = [])),
    responses(
        (status = 200, body = Page<PhysicianListItem>),
        (status = 400, description = "`invalid_request`: `q`, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_physicians(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<PhysicianQuery>,
) -> ApiResult<AppJson<Page<PhysicianListItem>>> {
    let page = PageRequest::try_from(PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    })?;
    Ok(AppJson(
        physicians::list(&state, &actor, query.q.as_deref(), page).await?,
    ))
}
