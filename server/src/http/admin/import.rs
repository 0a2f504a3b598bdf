//! `POST /api/v1/assignments/import`: a personnel table (支援人员安排情况表) as CSV or
//! XLSX becomes physicians and assignments, all or nothing.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use mobile_api::{
    CSV_CONTENT_TYPE, ImportAssignmentsQuery, ImportIssue, ImportPreview, ImportResult, Problem,
    XLSX_CONTENT_TYPE,
};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::access::Actor;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{AppJson, AppQuery};
use crate::import::TableFormat;
use crate::service::import::{self, ImportOutcome, ImportRequest};
use crate::state::AppState;

/// A county's personnel table is a few hundred rows; 2 MiB leaves room for XLSX
/// styling without letting anyone upload a large archive.
pub const IMPORT_BODY_LIMIT_BYTES: usize = 2 * 1024 * 1024;

/// Names the item of `extra.errors` in the document: no path refers to it directly.
#[derive(OpenApi)]
#[openapi(components(schemas(ImportIssue)))]
struct ImportDoc;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ImportDoc::openapi())
        .routes(routes!(import_assignments))
        .routes(routes!(preview_import))
        .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT_BYTES))
}

/// Imports a personnel table (支援人员安排情况表, seed 000 附件1, seed 004 附件1/2) as the
/// raw request body: CSV (UTF-8 with or without BOM, UTF-16 with BOM, or GB18030;
/// comma- or tab-separated) or XLSX (first worksheet), at most 2 MiB. An XLSX is
/// measured before it is read: more than 500 parts, parts that unpack to more than
/// 20 MiB, more than 200,000 shared strings or cells, or a sheet declaring more than
/// 10,000 rows or 1,024 columns answer 400 `invalid_import` naming the limit.
///
/// The header may sit below title lines; columns are found by name: hospital
/// (支援医院 / 牵头医院名称 / 派出医院), name (姓名), gender (性别, optional), specialty
/// (专业 / 科室, optional), title (职称, optional), phone (电话 / 联系电话 / 手机) and
/// site (受援单位 / 拟下派乡镇卫生院 / 下派乡镇卫生院 / 派驻单位). A blank hospital or
/// site cell repeats the row above (merged cells). A site is the receiving organization
/// in the program's jurisdiction with exactly that name, or else the only one whose name
/// contains it; the same for hospitals.
///
/// Every row is checked first; if any is bad, nothing is written and the answer is 400
/// `invalid_import` with `extra.errors: [{row, column, reason}]` (rows numbered as the
/// spreadsheet shows them). Otherwise missing physicians are created (their initial
/// passwords are in this answer only) and one assignment per row, unless the same
/// physician, site, program and dates is already assigned. The same file with the same
/// parameters again (the file name aside) answers 200 with the first outcome and
/// `replayed: true`.
/// Hospital administrators import rows of their own hospital only.
#[utoipa::path(post, path = "/api/v1/assignments/import", tag = "administration",
    params(ImportAssignmentsQuery),
    request_body(description = "The personnel table, as the raw body",
        content((String = "text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Imported", body = ImportResult),
        (status = 200, description = "Imported before: the first outcome, `replayed: true`, without initial passwords", body = ImportResult),
        (status = 400, description = "`invalid_import` (bad rows, listed in `extra.errors`; unreadable file) or `invalid_request` (parameters)", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such program", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_exists`: a phone of the table was registered while importing", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither CSV nor XLSX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn import_assignments(
    State(state): State<AppState>,
    actor: Actor,
    query: Result<AppQuery<ImportAssignmentsQuery>, ApiError>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, AppJson<ImportResult>)> {
    // The role first: a caller without it hears 403 whatever the request says.
    import::may_import(&actor)?;
    let request = read_request(query, &headers, body, false)?;
    match import::import_personnel(&state, &actor, request).await? {
        ImportOutcome::Created(result) => Ok((StatusCode::CREATED, AppJson(result))),
        ImportOutcome::Replayed(result) => Ok((StatusCode::OK, AppJson(result))),
        ImportOutcome::Preview(_) => Err(ApiError::internal("an import answered a preview")),
    }
}

/// The upload as the service takes it: the query, the table's format from
/// `Content-Type`, and its bytes.
fn read_request(
    query: Result<AppQuery<ImportAssignmentsQuery>, ApiError>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    dry_run: bool,
) -> ApiResult<ImportRequest> {
    let AppQuery(query) = query?;
    let format = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(TableFormat::from_content_type)
        .ok_or_else(|| {
            ApiError::UnsupportedMediaType(format!(
                "expected `Content-Type: {CSV_CONTENT_TYPE}` or `{XLSX_CONTENT_TYPE}`"
            ))
        })?;
    let table = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::invalid(rejection.body_text())
        }
    })?;
    Ok(ImportRequest {
        query,
        format,
        table: table.to_vec(),
        dry_run,
    })
}

/// The same upload as `POST /assignments/import`, checked and described, nothing
/// written: every bad row and column (200 with `ok: false`), or the physicians it would
/// create and the assignments it would make. Use it to show a preview before importing.
#[utoipa::path(post, path = "/api/v1/assignments/import/preview", tag = "administration",
    params(ImportAssignmentsQuery),
    request_body(description = "The personnel table, as the raw body",
        content((String = "text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What the import would do; `ok: false` with `errors` when rows are bad", body = ImportPreview),
        (status = 400, description = "`invalid_import` (an unreadable file, no personnel rows) or `invalid_request` (parameters)", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such program", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither CSV nor XLSX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn preview_import(
    State(state): State<AppState>,
    actor: Actor,
    query: Result<AppQuery<ImportAssignmentsQuery>, ApiError>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<AppJson<ImportPreview>> {
    import::may_import(&actor)?;
    let request = read_request(query, &headers, body, true)?;
    match import::import_personnel(&state, &actor, request).await? {
        ImportOutcome::Preview(preview) => Ok(AppJson(preview)),
        _ => Err(ApiError::internal("a preview wrote an import")),
    }
}
