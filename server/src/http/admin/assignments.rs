//! `/api/v1/assignments`: one row of 支援人员安排情况表.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use mobile_api::page::PageQuery;
use mobile_api::{
    Assignment as AssignmentBody, AssignmentHistory, AssignmentListItem, AssignmentTransfer,
    ChangeAssignment, CreateAssignment, EndAssignment, Page, Problem, TransferAssignment,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::domain::access::Actor;
use crate::domain::personnel::Column as PersonnelColumn;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{AppJson, AppPath, AppQuery, given};
use crate::http::reports::format::{self, ReportFormat};
use crate::http::supervision::{date_param, one_of, uuid_param};
use crate::render::{Cell, Column, Table};
use crate::service::admin::assignments::{self, ListRequest};
use crate::service::page::PageRequest;
use crate::state::AppState;
use crate::store::assignments::ListedAssignment;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_assignment, list_assignments))
        .routes(routes!(get_assignment, change_assignment))
        .routes(routes!(end_assignment))
        .routes(routes!(transfer_assignment))
        .routes(routes!(assignment_history))
        .routes(routes!(personnel_table))
}

/// `?physician_id=&site_id=&hospital_id=&program_id=&jurisdiction_code=&active_on=&status=`
/// of the assignment list. Empty values mean "any".
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssignmentQuery {
    #[param(value_type = Option<String>, format = Uuid)]
    physician_id: Option<String>,
    /// The receiving site (受援单位).
    #[param(value_type = Option<String>, format = Uuid)]
    site_id: Option<String>,
    /// The physician's organization (支援医院).
    #[param(value_type = Option<String>, format = Uuid)]
    hospital_id: Option<String>,
    #[param(value_type = Option<String>, format = Uuid)]
    program_id: Option<String>,
    /// Sites in this jurisdiction and below.
    #[param(value_type = Option<String>, pattern = "^\\s*([0-9]{6})?\\s*$", example = "350881")]
    jurisdiction_code: Option<String>,
    /// Assignments whose dates include this day.
    #[param(value_type = Option<String>, format = Date, example = "2026-03-01")]
    active_on: Option<String>,
    /// `upcoming`, `active` or `ended` today (Asia/Shanghai).
    #[param(value_type = Option<String>, pattern = "^\\s*(upcoming|active|ended)?\\s*$", example = "active")]
    status: Option<String>,
    /// Page size, 1 to 500; default 50.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// Opaque; the `next_cursor` of the previous page.
    cursor: Option<String>,
}

impl AssignmentQuery {
    fn filters(&self) -> ApiResult<ListRequest> {
        Ok(ListRequest {
            physician_id: uuid_param("physician_id", &self.physician_id)?,
            site_id: uuid_param("site_id", &self.site_id)?,
            hospital_id: uuid_param("hospital_id", &self.hospital_id)?,
            program_id: uuid_param("program_id", &self.program_id)?,
            jurisdiction_code: given(&self.jurisdiction_code).map(str::to_owned),
            active_on: date_param("active_on", &self.active_on)?,
            status: one_of("status", &self.status, &["upcoming", "active", "ended"])?,
        })
    }
}

/// The assignments in the caller's scope, by id: a supervisor's at sites in their
/// jurisdiction, a hospital's of its physicians, a clinic's at the clinic, a
/// physician's own; with the names a list shows and today's `status`.
#[utoipa::path(get, path = "/api/v1/assignments", tag = "administration",
    params(AssignmentQuery), security(("bearer" = [])),
    responses(
        (status = 200, body = Page<AssignmentListItem>),
        (status = 400, description = "`invalid_request` naming the parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "A jurisdiction out of reach", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_assignments(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<AssignmentQuery>,
) -> ApiResult<AppJson<Page<AssignmentListItem>>> {
    let filters = query.filters()?;
    let page = PageRequest::try_from(PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    })?;
    Ok(AppJson(
        assignments::list(&state, &actor, &filters, page).await?,
    ))
}

/// Changes dates, daily window or mode from `effective_from` on, with a reason. Dates
/// before it keep the terms in force then, so visits already judged stay as judged;
/// a change taking effect on or before a visit's date is refused.
#[utoipa::path(patch, path = "/api/v1/assignments/{id}", tag = "administration",
    params(("id" = Uuid, Path)), request_body = ChangeAssignment, security(("bearer" = [])),
    responses(
        (status = 200, body = AssignmentBody),
        (status = 400, description = "`invalid_request` naming the field (end before start, no reason, nothing to change)", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`change_rejudges_visits`, `terms_history_conflict` or `assignment_changed`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn change_assignment(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<ChangeAssignment>,
) -> ApiResult<AppJson<AssignmentBody>> {
    Ok(AppJson(
        assignments::change(&state, &actor, id, body).await?,
    ))
}

/// Ends the assignment early (提前结束): `end_date` is the last day served.
#[utoipa::path(post, path = "/api/v1/assignments/{id}/end", tag = "administration",
    params(("id" = Uuid, Path)), request_body = EndAssignment, security(("bearer" = [])),
    responses(
        (status = 200, body = AssignmentBody),
        (status = 400, description = "`invalid_request`: end before start, no reason", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`change_rejudges_visits`: a visit after `end_date`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`not_an_early_end`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn end_assignment(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<EndAssignment>,
) -> ApiResult<AppJson<AssignmentBody>> {
    Ok(AppJson(assignments::end(&state, &actor, id, body).await?))
}

/// Transfers the physician to another receiving site (调动) from `effective_from`: the
/// assignment ends the day before, and a new one (same programme, mode, window, end
/// date) starts at the new site. Both name each other in `transfer_id`.
#[utoipa::path(post, path = "/api/v1/assignments/{id}/transfer", tag = "administration",
    params(("id" = Uuid, Path)), request_body = TransferAssignment, security(("bearer" = [])),
    responses(
        (status = 201, body = AssignmentTransfer),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The assignment or the site out of reach", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`change_rejudges_visits`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`not_a_receiving_site`, `site_outside_program` or `transfer_outside_dates`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn transfer_assignment(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<TransferAssignment>,
) -> ApiResult<(StatusCode, AppJson<AssignmentTransfer>)> {
    let moved = assignments::transfer(&state, &actor, id, body).await?;
    Ok((StatusCode::CREATED, AppJson(moved)))
}

/// Every version of the assignment's terms, oldest first: who, when, why, from which
/// date and until which, and the terms.
#[utoipa::path(get, path = "/api/v1/assignments/{id}/history", tag = "administration",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 200, body = AssignmentHistory),
        (status = 400, description = "`invalid_request`: a malformed path parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn assignment_history(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<AssignmentHistory>> {
    Ok(AppJson(assignments::history(&state, &actor, id).await?))
}

/// Assigns a physician to a receiving site under a program. Supervisors assign the
/// physicians of hospitals in their jurisdiction to sites in their jurisdiction;
/// hospital administrators assign their own physicians. A physician out of reach reads
/// as 404, like one that does not exist.
#[utoipa::path(post, path = "/api/v1/assignments", tag = "administration",
    request_body = CreateAssignment, security(("bearer" = [])),
    responses(
        (status = 201, body = AssignmentBody),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_assignment(
    State(state): State<AppState>,
    actor: Actor,
    AppJson(body): AppJson<CreateAssignment>,
) -> ApiResult<(StatusCode, AppJson<AssignmentBody>)> {
    let created = assignments::create(&state, &actor, body).await?;
    Ok((StatusCode::CREATED, AppJson(created)))
}

/// An assignment: for its physician, the site's administrators and supervisors, and the
/// physician's hospital.
#[utoipa::path(get, path = "/api/v1/assignments/{id}", tag = "administration",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = AssignmentBody), (status = 400, description = "`invalid_request`: a malformed path or query parameter", body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_assignment(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<AssignmentBody>> {
    Ok(AppJson(assignments::get(&state, &actor, id).await?))
}

/// The filters of the assignment list, for the personnel table, and `format=`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PersonnelTableQuery {
    #[param(value_type = Option<String>, format = Uuid)]
    physician_id: Option<String>,
    #[param(value_type = Option<String>, format = Uuid)]
    site_id: Option<String>,
    #[param(value_type = Option<String>, format = Uuid)]
    hospital_id: Option<String>,
    /// One programme: the table then imports again under that programme.
    #[param(value_type = Option<String>, format = Uuid)]
    program_id: Option<String>,
    #[param(value_type = Option<String>, pattern = "^\\s*([0-9]{6})?\\s*$", example = "350881")]
    jurisdiction_code: Option<String>,
    #[param(value_type = Option<String>, format = Date, example = "2026-03-01")]
    active_on: Option<String>,
    /// `upcoming`, `active` or `ended`.
    #[param(value_type = Option<String>, pattern = "^\\s*(upcoming|active|ended)?\\s*$", example = "active")]
    status: Option<String>,
    /// `xlsx` (default) or `csv`.
    #[param(value_type = Option<String>, pattern = "^\\s*(csv|xlsx)?\\s*$", example = "xlsx")]
    format: Option<String>,
}

impl PersonnelTableQuery {
    fn filters(&self) -> ApiResult<ListRequest> {
        AssignmentQuery {
            physician_id: self.physician_id.clone(),
            site_id: self.site_id.clone(),
            hospital_id: self.hospital_id.clone(),
            program_id: self.program_id.clone(),
            jurisdiction_code: self.jurisdiction_code.clone(),
            active_on: self.active_on.clone(),
            status: self.status.clone(),
            limit: None,
            cursor: None,
        }
        .filters()
    }
}

fn mode_zh(mode: mobile_api::AssignmentMode) -> &'static str {
    match mode {
        mobile_api::AssignmentMode::Circuit => "巡诊",
        mobile_api::AssignmentMode::Dispatch => "派驻",
    }
}

/// 附件1 支援人员安排情况表: the import's columns under the labels it reads first,
/// then the terms the import takes from its request (mode, dates, window), which it
/// ignores when the table comes back.
fn personnel_sheet(rows: &[ListedAssignment], drawn_up: chrono::NaiveDate) -> Table {
    let text = |v: &Option<String>| Cell::from(v.clone().unwrap_or_default());
    let numbered: Vec<(u32, &ListedAssignment)> = (1u32..).zip(rows.iter()).collect();
    let label = |c: PersonnelColumn| c.label().to_owned();
    let columns: Vec<Column<(u32, &ListedAssignment)>> = vec![
        Column::new("序号", |(n, _): &(u32, &ListedAssignment)| Cell::from(*n)),
        Column::new(
            label(PersonnelColumn::Hospital),
            move |(_, r): &(u32, &ListedAssignment)| text(&r.hospital_name),
        ),
        Column::new(
            label(PersonnelColumn::Name),
            |(_, r): &(u32, &ListedAssignment)| Cell::from(r.physician_name.clone()),
        ),
        Column::new(
            label(PersonnelColumn::Gender),
            |(_, r): &(u32, &ListedAssignment)| {
                Cell::from(match r.physician_gender {
                    Some(mobile_api::Gender::Male) => "男",
                    Some(mobile_api::Gender::Female) => "女",
                    None => "",
                })
            },
        ),
        Column::new(
            label(PersonnelColumn::Specialty),
            move |(_, r): &(u32, &ListedAssignment)| text(&r.physician_specialty),
        ),
        Column::new(
            label(PersonnelColumn::Title),
            move |(_, r): &(u32, &ListedAssignment)| text(&r.physician_title),
        ),
        Column::new(
            label(PersonnelColumn::Phone),
            |(_, r): &(u32, &ListedAssignment)| Cell::from(r.physician_phone.clone()),
        ),
        Column::new(
            label(PersonnelColumn::Site),
            |(_, r): &(u32, &ListedAssignment)| Cell::from(r.site_name.clone()),
        ),
        Column::new("支援方式", |(_, r): &(u32, &ListedAssignment)| {
            Cell::from(mode_zh(r.assignment.mode))
        }),
        Column::new("开始日期", |(_, r): &(u32, &ListedAssignment)| {
            Cell::from(r.assignment.start_date.to_string())
        }),
        Column::new("结束日期", |(_, r): &(u32, &ListedAssignment)| {
            Cell::from(r.assignment.end_date.to_string())
        }),
        Column::new("每日时段", |(_, r): &(u32, &ListedAssignment)| {
            Cell::from(format!(
                "{}-{}",
                r.assignment.window.start_hhmm(),
                r.assignment.window.end_hhmm()
            ))
        }),
        Column::new(
            label(PersonnelColumn::PracticeSince),
            |(_, r): &(u32, &ListedAssignment)| match r.physician_practice_since_year {
                Some(year) => Cell::from(year.to_string()),
                None => Cell::Empty,
            },
        ),
        Column::new(
            label(PersonnelColumn::Discipline),
            |(_, r): &(u32, &ListedAssignment)| match r.physician_discipline {
                Some(d) => Cell::from(crate::domain::eligibility::discipline_zh(d)),
                None => Cell::Empty,
            },
        ),
        Column::new("备注", |(_, r): &(u32, &ListedAssignment)| {
            match &r.eligibility_override {
                Some(reason) => Cell::from(format!("破格派出：{reason}")),
                None => Cell::Empty,
            }
        }),
    ];
    let physicians: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| r.physician_phone.as_str()).collect();
    Table::from_columns(
        "支援人员安排情况表",
        format!(
            "填报日期：{drawn_up}　共 {} 人、{} 条安排",
            physicians.len(),
            rows.len()
        ),
        "支援人员安排情况表",
        &columns,
        &numbered,
    )
}

/// The personnel table (附件1 支援人员安排情况表) of the assignments the list with the
/// same filters shows, in the layout `POST /api/v1/assignments/import` reads: exported
/// and imported again (under the same programme and terms) it gives the same
/// physicians and assignments ("有变动的，应及时重新报送").
#[utoipa::path(get, path = "/api/v1/assignments/personnel-table", tag = "administration",
    params(PersonnelTableQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "The table", content(
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "text/csv"),
        )),
        (status = 400, description = "`invalid_request` naming the parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown jurisdiction, site or hospital, or outside the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`too_many_rows`: more than one import takes", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn personnel_table(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<PersonnelTableQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let filters = query.filters()?;
    // A download by default: the table is what this endpoint is for.
    let format = match given(&query.format) {
        None => ReportFormat::Xlsx,
        Some(raw) => match ReportFormat::negotiate(Some(raw), &headers)? {
            ReportFormat::Json => {
                return Err(ApiError::invalid(
                    "format: expected xlsx or csv (the list is GET /api/v1/assignments)",
                ));
            }
            spreadsheet => spreadsheet,
        },
    };
    let table = assignments::personnel_table(&state, &actor, &filters).await?;
    let stem = format!("personnel-table-{}", table.drawn_up);
    format::respond(
        format,
        (),
        |_| personnel_sheet(&table.rows, table.drawn_up),
        &stem,
    )
}
