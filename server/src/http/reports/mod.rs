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
    AssessmentReport, ComplianceReport, CountyFacts, CountyStatistics, CoverageReport,
    MonthlyReport, Page, PhysicianListItem, Problem, ServiceRecord, SetCountyFacts,
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
use crate::service::reports::{self, FormContact, ReportScope};
use crate::service::{coverage, physicians};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(monthly))
        .routes(routes!(compliance))
        .routes(routes!(assessment))
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
    #[param(value_type = Option<String>, pattern = "^\\s*([0-9]{6})?\\s*$", example = "350881")]
    jurisdiction_code: Option<String>,
    /// The month, `YYYY-MM`.
    #[param(value_type = String, pattern = "^\\s*[0-9]{4}-(0[1-9]|1[0-2])\\s*$", example = "2026-03")]
    month: Option<String>,
    /// `json`, `csv` or `xlsx`; overrides `Accept`.
    #[param(value_type = Option<String>, pattern = "^\\s*(json|csv|xlsx)?\\s*$", example = "csv")]
    format: Option<String>,
    /// 填报人 in the form's header block (at most 50 characters); default the
    /// caller's own name.
    #[param(value_type = Option<String>, pattern = "^\\s*[^\\x00-\\x1f\\x7f-\\x9f]{0,50}\\s*$", example = "陈燕平")]
    filled_by: Option<String>,
    /// 联系电话 in the form's header block (at most 50 characters); default the
    /// caller's own phone.
    #[param(value_type = Option<String>, pattern = "^\\s*[^\\x00-\\x1f\\x7f-\\x9f]{0,50}\\s*$", example = "0597-7531234")]
    contact_phone: Option<String>,
}

/// `?jurisdiction_code=&period=&format=` of the coverage report (`month=` also
/// taken, as before).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CoverageQuery {
    /// As for the monthly report.
    #[param(value_type = Option<String>, pattern = "^\\s*([0-9]{6})?\\s*$", example = "350881")]
    jurisdiction_code: Option<String>,
    /// The period: `YYYY-MM`, a quarter `YYYY-Qn` or a half year `YYYY-Hn`.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]{4}-(0[1-9]|1[0-2]|[Qq][1-4]|[Hh][12])\\s*$", example = "2026-Q3")]
    period: Option<String>,
    /// The month, `YYYY-MM` (the older spelling of `period`).
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]{4}-(0[1-9]|1[0-2])\\s*$", example = "2026-03")]
    month: Option<String>,
    /// `json`, `csv` or `xlsx`; overrides `Accept`.
    #[param(value_type = Option<String>, pattern = "^\\s*(json|csv|xlsx)?\\s*$", example = "xlsx")]
    format: Option<String>,
}

/// `YYYY-MM` with a month 01 to 12: what the `month` parameter's pattern states.
fn is_month(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 7
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && matches!(
            std::str::from_utf8(&b[5..])
                .ok()
                .and_then(|m| m.parse::<u8>().ok()),
            Some(1..=12)
        )
        && b[5..].iter().all(u8::is_ascii_digit)
}

/// `?jurisdiction_code=&period=&format=` of the compliance report.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComplianceQuery {
    /// As for the monthly report.
    #[param(value_type = Option<String>, pattern = "^\\s*([0-9]{6})?\\s*$", example = "350881")]
    jurisdiction_code: Option<String>,
    /// The period judged: a month `YYYY-MM`, a quarter `YYYY-Qn` (`2026-Q3`) or a
    /// half year `YYYY-Hn` (`2026-H2`).
    #[param(value_type = String, pattern = "^\\s*[0-9]{4}-(0[1-9]|1[0-2]|[Qq][1-4]|[Hh][12])\\s*$", example = "2026-Q3")]
    period: Option<String>,
    /// `json`, `csv` or `xlsx`; overrides `Accept`.
    #[param(value_type = Option<String>, pattern = "^\\s*(json|csv|xlsx)?\\s*$", example = "xlsx")]
    format: Option<String>,
}

/// `?jurisdiction_code=&year=&format=` of the county statistics.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CountyQuery {
    /// As for the monthly report; a city gives one row per county below it.
    #[param(value_type = Option<String>, pattern = "^\\s*([0-9]{6})?\\s*$", example = "350800")]
    jurisdiction_code: Option<String>,
    /// The year, `YYYY`.
    #[param(value_type = String, pattern = "^\\s*(20[0-9]{2}|2100)\\s*$", example = "2026")]
    year: Option<String>,
    /// `json`, `csv` or `xlsx`; overrides `Accept`.
    #[param(value_type = Option<String>, pattern = "^\\s*(json|csv|xlsx)?\\s*$", example = "xlsx")]
    format: Option<String>,
    /// 联系人 in the form's header block (at most 50 characters); default the
    /// caller's own name.
    #[param(value_type = Option<String>, pattern = "^\\s*[^\\x00-\\x1f\\x7f-\\x9f]{0,50}\\s*$", example = "杨颖虹")]
    filled_by: Option<String>,
    /// 联系电话 in the form's header block; default the caller's own phone.
    #[param(value_type = Option<String>, pattern = "^\\s*[^\\x00-\\x1f\\x7f-\\x9f]{0,50}\\s*$", example = "0595-22501234")]
    contact_phone: Option<String>,
}

/// `?format=` of the service record.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// `json`, `csv` or `xlsx`; overrides `Accept`.
    #[param(value_type = Option<String>, pattern = "^\\s*(json|csv|xlsx)?\\s*$", example = "xlsx")]
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
///
/// The form as filed: `header` (填报单位, 填报人, 联系电话, 填报日期, 所属期;
/// 填报人 and 联系电话 from `filled_by` / `contact_phone`, else the caller's own
/// name and phone), `hospital_subtotals` (小计 per 派出单位), `site_subtotals`
/// (小计 per 受援单位) and `totals` (合计). The CSV and XLSX start with the title
/// and the header block, number the rows (序号), group them by hospital with
/// each group's 小计, then the 合计 and, under 按受援单位小计, one line per clinic.
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
    let scope =
        reports::resolve_monthly_scope(&state, &actor, given(&query.jurisdiction_code)).await?;
    let format = ReportFormat::negotiate(query.format.as_deref(), &headers)?;
    let month = required("month", &query.month, "YYYY-MM")?;
    let contact = FormContact {
        filled_by: query.filled_by,
        contact_phone: query.contact_phone,
    };
    let report = reports::monthly_form(&state, &actor, &scope, month, &contact).await?;
    let stem = stem("monthly", &scope, &report.month);
    format::respond(format, report, tables::monthly, &stem)
}

/// Compliance with each requirement of each assignment overlapping the period (a
/// month `2026-11`, a quarter `2026-Q3` or a half year `2026-H2`): `required`,
/// `credited` and `status` (`met`, `on_track`, `at_risk`, `missed`) as of today in
/// the site's time zone. A requirement is judged in each of its own periods inside
/// the report's (every week; every month of a quarter or half year; each quarter
/// of a half year), cut at the report's edges, the row summing them (detail in
/// `periods`, the status the worst); longer ones (the year, the whole assignment)
/// are judged in the period containing today clamped into the report's. `totals`
/// counts the rows by status (合计). The CSV and XLSX list each requirement
/// (序号) with one detail line per period under it, and the 合计. Scoped as the
/// monthly report.
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

/// `?jurisdiction_code=&period=&format=&filled_by=&contact_phone=` of the 考核统计表.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssessmentQuery {
    /// As for the monthly report.
    #[param(value_type = Option<String>, pattern = "^\\s*([0-9]{6})?\\s*$", example = "350881")]
    jurisdiction_code: Option<String>,
    /// A quarter `YYYY-Qn`, a half year `YYYY-Hn` or a month `YYYY-MM`.
    #[param(value_type = String, pattern = "^\\s*[0-9]{4}-(0[1-9]|1[0-2]|[Qq][1-4]|[Hh][12])\\s*$", example = "2026-Q3")]
    period: Option<String>,
    /// `json`, `csv` or `xlsx`; overrides `Accept`.
    #[param(value_type = Option<String>, pattern = "^\\s*(json|csv|xlsx)?\\s*$", example = "xlsx")]
    format: Option<String>,
    /// 填报人 (at most 50 characters); default the caller's own name.
    #[param(value_type = Option<String>, pattern = "^\\s*[^\\x00-\\x1f\\x7f-\\x9f]{0,50}\\s*$", example = "陈燕平")]
    filled_by: Option<String>,
    /// 联系电话; default the caller's own phone.
    #[param(value_type = Option<String>, pattern = "^\\s*[^\\x00-\\x1f\\x7f-\\x9f]{0,50}\\s*$", example = "0391-3501234")]
    contact_phone: Option<String>,
}

/// 对口支援工作考核统计表 (中站: "每季度填写…并报主管卫生健康行政部门", "每半年组织1次
/// 工作评估"): one row per supporting hospital (支援医院) and receiving clinic
/// (受援单位) with the period's physicians, credited days, visits and main
/// activities (the monthly report's rows added up) and its requirements counted
/// by status with the share met (the compliance report's rows over the same
/// period, judged month by month and week by week inside it), the form's header
/// block as for the monthly report, and a 合计. CSV and XLSX as the monthly form.
/// Scoped as the monthly report.
#[utoipa::path(get, path = "/api/v1/reports/assessment", tag = "reports",
    params(AssessmentQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "The form", content(
            (AssessmentReport = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, description = "`invalid_request` naming the parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown jurisdiction, or outside the caller's", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn assessment(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<AssessmentQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let scope = reports::resolve_scope(&state, &actor, given(&query.jurisdiction_code)).await?;
    let format = ReportFormat::negotiate(query.format.as_deref(), &headers)?;
    let period = required("period", &query.period, "YYYY-Qn, YYYY-Hn or YYYY-MM")?;
    let contact = FormContact {
        filled_by: query.filled_by,
        contact_phone: query.contact_phone,
    };
    let report = reports::assessment_report(&state, &actor, &scope, period, &contact).await?;
    let stem = stem("assessment", &scope, &report.period);
    format::respond(format, report, tables::assessment, &stem)
}

/// Coverage (全覆盖): every receiving clinic (乡镇卫生院, 社区卫生服务中心, 村卫生室)
/// of the jurisdiction with its credited days, qualifying visits and distinct
/// physicians in the period (`period=` a month, `YYYY-Qn` or `YYYY-Hn`; `month=`
/// as before), the clinics that got nobody included (`covered: false`), and the
/// centre of its fence for the map; `covered_share` and the `total_*` figures
/// are the 合计. The figures add up the monthly report's rows for each site. The
/// CSV and XLSX end with the 合计 row, its last cell the share covered. Scoped as
/// the monthly report (a hospital admin sees only their own physicians' service).
#[utoipa::path(get, path = "/api/v1/reports/coverage", tag = "reports",
    params(CoverageQuery), security(("bearer" = [])),
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
    AppQuery(query): AppQuery<CoverageQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let scope = reports::resolve_scope(&state, &actor, given(&query.jurisdiction_code)).await?;
    let format = ReportFormat::negotiate(query.format.as_deref(), &headers)?;
    let (field, period) = match (given(&query.period), given(&query.month)) {
        // `month` beside `period` is not read, but is refused when it is no month, as
        // the document says.
        (Some(_), Some(month)) if !is_month(month) => {
            return Err(ApiError::invalid("month: must be YYYY-MM"));
        }
        (Some(period), _) => ("period", period),
        (None, Some(month)) => ("month", month),
        (None, None) => {
            return Err(ApiError::invalid(
                "period: required (YYYY-MM, YYYY-Qn or YYYY-Hn)",
            ));
        }
    };
    let report = coverage::coverage_report(&state, &scope, field, period).await?;
    let stem = stem("coverage", &scope, &report.month);
    format::respond(format, report, tables::coverage, &stem)
}

/// 设区市县域巡回医疗和派驻服务工作量统计表 (seed 003 附件): one row per county of
/// the jurisdiction with the form's 18 columns. Derived columns come from credited
/// service and logged activities (see the field descriptions); 配备巡诊车辆,
/// 搭建远程医疗协作网村数 and the three 帮扶 counts are the facts recorded with
/// `PUT /api/v1/reports/county-statistics/facts` (`null`, or an empty cell, until
/// recorded). CSV and XLSX start with the title and the form's 填报单位, 联系人
/// (`filled_by`, else the caller's name) and 联系电话 (`contact_phone`, else the
/// caller's phone) lines, and end with a 合计 row; the XLSX merges the three
/// groups over their columns. Scoped as the monthly report.
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
    let contact = FormContact {
        filled_by: query.filled_by,
        contact_phone: query.contact_phone,
    };
    let report = reports::county_statistics_form(&state, &actor, &scope, year, &contact).await?;
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
    #[param(value_type = Option<String>, pattern = "^\\s*[^\\x00-\\x1f\\x7f-\\x9f]{0,50}\\s*$", example = "林")]
    q: Option<String>,
    /// Page size, 1 to 500; default 50.
    #[param(minimum = 1, maximum = 500)]
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
