//! Complaints (患者投诉): record, list (JSON, or the register as CSV/XLSX), read one,
//! record the handling.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::NaiveDate;
use mobile_api::{Complaint, ComplaintHandling, ComplaintStatus, CreateComplaint, Page, Problem};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::{AppJson, AppPath, AppQuery, given};
use super::reports::format::{ReportFormat, respond};
use super::supervision::{one_of, uuid_param};
use crate::domain::access::Actor;
use crate::error::{ApiError, ApiResult};
use crate::render::promotion_tables;
use crate::service::complaints::{self, ComplaintQuery};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_complaint, list_complaints))
        .routes(routes!(get_complaint))
        .routes(routes!(handle_complaint))
}

/// Records a complaint against a physician at a site: admins anywhere, supervisors
/// at sites in their jurisdiction, a clinic administrator at its own site. Starts
/// `received`, `undetermined`. Audited.
#[utoipa::path(post, path = "/api/v1/complaints", tag = "supervision",
    request_body = CreateComplaint, security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded", body = Complaint),
        (status = 400, description = "`invalid_request` naming the field", body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The site is outside the caller's reach", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_complaint(
    State(state): State<AppState>,
    actor: Actor,
    AppJson(body): AppJson<CreateComplaint>,
) -> ApiResult<(StatusCode, AppJson<Complaint>)> {
    let complaint = complaints::create(&state, &actor, &body).await?;
    Ok((StatusCode::CREATED, AppJson(complaint)))
}

/// `?status=&physician_id=&site_id=&from=&to=&limit=&format=` of the complaint list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComplaintListQuery {
    /// `received`, `handling` or `closed`.
    #[param(value_type = Option<String>, pattern = "^\\s*(received|handling|closed)?\\s*$")]
    status: Option<String>,
    #[param(value_type = Option<Uuid>)]
    physician_id: Option<String>,
    #[param(value_type = Option<Uuid>)]
    site_id: Option<String>,
    /// First received date, `YYYY-MM-DD`.
    #[param(value_type = Option<String>, format = Date, example = "2026-03-01")]
    from: Option<String>,
    /// Last received date, inclusive.
    #[param(value_type = Option<String>, format = Date, example = "2026-03-31")]
    to: Option<String>,
    /// 1 to 500, default 500.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// `json` (default), `csv` or `xlsx`: the register (投诉登记表) with its title and totals.
    #[param(value_type = Option<String>, pattern = "^\\s*(json|csv|xlsx)?\\s*$")]
    format: Option<String>,
}

fn date_param(name: &str, value: &Option<String>) -> ApiResult<Option<NaiveDate>> {
    given(value)
        .map(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map_err(|_| ApiError::invalid(format!("{name}: expected YYYY-MM-DD")))
        })
        .transpose()
}

/// The complaints the caller may read (supervisors: sites in their jurisdiction;
/// hospital administrators: their staff; clinic administrators: their site),
/// newest received first; `format=csv|xlsx` (or `Accept`) gives the register.
#[utoipa::path(get, path = "/api/v1/complaints", tag = "supervision",
    params(ComplaintListQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "The complaints", content(
            (Page<Complaint> = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, description = "`invalid_request` naming the parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_complaints(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    AppQuery(query): AppQuery<ComplaintListQuery>,
) -> ApiResult<Response> {
    let format = ReportFormat::negotiate(query.format.as_deref(), &headers)?;
    let status = one_of("status", &query.status, &["received", "handling", "closed"])?
        .and_then(ComplaintStatus::parse);
    let filter = ComplaintQuery {
        status,
        physician_id: uuid_param("physician_id", &query.physician_id)?,
        site_id: uuid_param("site_id", &query.site_id)?,
        from: date_param("from", &query.from)?,
        to: date_param("to", &query.to)?,
        limit: query.limit.unwrap_or(complaints::MAX_LIST),
    };
    let items = complaints::list(&state, &actor, &filter).await?;
    let range = format!(
        "{}至{}",
        filter
            .from
            .map_or_else(|| "不限".to_owned(), |d| d.to_string()),
        filter
            .to
            .map_or_else(|| "不限".to_owned(), |d| d.to_string())
    );
    respond(
        format,
        Page {
            items,
            next_cursor: None,
        },
        |page| promotion_tables::complaints(&page.items, "本人可见范围", &range),
        "complaints",
    )
}

/// One complaint, for those who may read it.
#[utoipa::path(get, path = "/api/v1/complaints/{id}", tag = "supervision",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 200, body = Complaint),
        (status = 400, description = "`invalid_request` naming the path parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or outside the caller's reach", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_complaint(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<Complaint>> {
    Ok(AppJson(complaints::get(&state, &actor, id).await?))
}

/// A supervisor in reach (or an admin) records the handling: `handling` or
/// `closed`, `substantiated` (`yes`, `no`, `undetermined`) and a note. A closed
/// complaint is final. Audited with before and after.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/handling", tag = "supervision",
    params(("id" = Uuid, Path)), request_body = ComplaintHandling, security(("bearer" = [])),
    responses(
        (status = 200, description = "The complaint as handled", body = Complaint),
        (status = 400, description = "`invalid_request` naming the field", body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or outside the caller's jurisdiction", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`complaint_closed`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn handle_complaint(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<ComplaintHandling>,
) -> ApiResult<AppJson<Complaint>> {
    Ok(AppJson(
        complaints::handle(&state, &actor, id, &body).await?,
    ))
}
