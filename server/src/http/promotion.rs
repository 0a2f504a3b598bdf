//! The 考核登记表 (promotion form) as JSON, a printable page or a workbook; the
//! signers' opinions; service elsewhere; the public notice of a hospital's candidates.

use axum::extract::State;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use mobile_api::{
    CreateExternalService, ExternalService, OpinionSigner, Page, Problem, PromotionForm,
    PromotionNotice, PromotionOpinion, PutOpinion,
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
use crate::render::{promotion_form, xlsx};
use crate::service::promotion;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(promotion_form_of))
        .routes(routes!(my_promotion_form))
        .routes(routes!(put_opinion))
        .routes(routes!(record_external_service, external_services))
        .routes(routes!(promotion_notices))
}

/// `?format=` of the form and the notice.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormQuery {
    /// `json` (default), `html` (print-ready A4 page) or `xlsx`.
    #[param(value_type = Option<String>, pattern = "^\\s*(json|html|xlsx)?\\s*$", example = "html")]
    format: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rendering {
    Json,
    Html,
    Xlsx,
}

fn rendering(format: &Option<String>) -> ApiResult<Rendering> {
    match given(format).map(str::to_ascii_lowercase).as_deref() {
        None | Some("json") => Ok(Rendering::Json),
        Some("html") => Ok(Rendering::Html),
        Some("xlsx") => Ok(Rendering::Xlsx),
        Some(_) => Err(ApiError::invalid("format: expected json, html or xlsx")),
    }
}

fn html(page: String) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    (headers, page).into_response()
}

fn workbook(bytes: Vec<u8>, stem: &str) -> ApiResult<Response> {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(XLSX_TYPE));
    headers.insert(
        CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{stem}.xlsx\""))
            .map_err(ApiError::internal)?,
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok((headers, bytes).into_response())
}

fn render_form(form: PromotionForm, how: Rendering) -> ApiResult<Response> {
    match how {
        Rendering::Json => Ok(AppJson(form).into_response()),
        Rendering::Html => Ok(html(promotion_form::form_html(&form))),
        Rendering::Xlsx => workbook(
            promotion_form::form_xlsx(&form).map_err(ApiError::internal)?,
            &format!("promotion-form-{}", form.physician.id),
        ),
    }
}

/// 对口支援工作医师考核登记表: personal details, postings, cumulative credited days and
/// the longest continuous span, each programme's year, service elsewhere, the verdict
/// against 中站's "累计服务不少于1年" (and 6 months continuous where a programme asks),
/// confirmed fraud with its 3-year bar, workload, the five assessment items, the
/// opinions with signature and seal lines. Admins, the physician's hospital
/// administrator, supervisors of the hospital's jurisdiction, the administrator of a
/// clinic the physician served; 404 otherwise.
#[utoipa::path(get, path = "/api/v1/physicians/{id}/promotion-form", tag = "reports",
    params(("id" = Uuid, Path), FormQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "The form", content(
            (PromotionForm = "application/json"),
            (String = "text/html"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, description = "`invalid_request` naming `format`", body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, not a physician, or outside the caller's reach", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn promotion_form_of(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
    AppQuery(query): AppQuery<FormQuery>,
) -> ApiResult<Response> {
    let how = rendering(&query.format)?;
    render_form(promotion::form(&state, &actor, id).await?, how)
}

/// The calling physician's own 考核登记表.
#[utoipa::path(get, path = "/api/v1/me/promotion-form", tag = "attendance",
    params(FormQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "The form", content(
            (PromotionForm = "application/json"),
            (String = "text/html"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, description = "`invalid_request` naming `format`", body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn my_promotion_form(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<FormQuery>,
) -> ApiResult<Response> {
    let how = rendering(&query.format)?;
    actor.require(&[crate::domain::access::Role::Physician])?;
    render_form(promotion::form(&state, &actor, actor.user_id).await?, how)
}

/// Signs an opinion on the form: `clinic` (a clinic administrator of a site the
/// physician served), `hospital` (their hospital's administrator), `bureau` (a
/// supervisor of the hospital's jurisdiction, or an admin). Replaces that signer's
/// last opinion; audited.
#[utoipa::path(put, path = "/api/v1/physicians/{id}/promotion-form/opinions/{signer}", tag = "reports",
    params(("id" = Uuid, Path), ("signer" = OpinionSigner, Path)), request_body = PutOpinion,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The opinion as signed", body = PromotionOpinion),
        (status = 400, description = "`invalid_request` naming the field or `signer`", body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the signer's role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or outside the caller's reach", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn put_opinion(
    State(state): State<AppState>,
    actor: Actor,
    AppPath((id, signer)): AppPath<(Uuid, String)>,
    AppJson(body): AppJson<PutOpinion>,
) -> ApiResult<AppJson<PromotionOpinion>> {
    let signer = OpinionSigner::parse(&signer)
        .ok_or_else(|| ApiError::invalid("signer: expected clinic, hospital or bureau"))?;
    Ok(AppJson(
        promotion::put_opinion(&state, &actor, id, signer, &body).await?,
    ))
}

/// Records service elsewhere that counts (援外, 援疆, 援藏, other government-organised
/// support) with dates, place and the evidence document's number: admins and the
/// physician's hospital administrator. Audited.
#[utoipa::path(post, path = "/api/v1/physicians/{id}/external-service", tag = "reports",
    params(("id" = Uuid, Path)), request_body = CreateExternalService, security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded", body = ExternalService),
        (status = 400, description = "`invalid_request` naming the field", body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's hospital's physician", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn record_external_service(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<CreateExternalService>,
) -> ApiResult<(StatusCode, AppJson<ExternalService>)> {
    let recorded = promotion::record_external_service(&state, &actor, id, &body).await?;
    Ok((StatusCode::CREATED, AppJson(recorded)))
}

/// The physician's service elsewhere, oldest first, for those who read the form.
#[utoipa::path(get, path = "/api/v1/physicians/{id}/external-service", tag = "reports",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 200, body = Page<ExternalService>),
        (status = 400, description = "`invalid_request` naming the path parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or outside the caller's reach", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn external_services(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<Page<ExternalService>>> {
    let items = promotion::external_services(&state, &actor, id).await?;
    Ok(AppJson(Page {
        items,
        next_cursor: None,
    }))
}

/// `?hospital_id=&format=&contact=` of the public notice.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NoticeQuery {
    #[param(value_type = Uuid)]
    hospital_id: Option<String>,
    /// `json` (default), `html` (to post) or `xlsx`.
    #[param(value_type = Option<String>, pattern = "^\\s*(json|html|xlsx)?\\s*$")]
    format: Option<String>,
    /// Where objections go (联系人及电话), up to 200 characters; default: the
    /// hospital's personnel office.
    contact: Option<String>,
}

/// 晋升前信息公示: a hospital's physicians with service to count (credited days or
/// service elsewhere), each with cumulative days, years, longest span, verdict and
/// fraud bar, and the 公示期 (five working days from today). The hospital's
/// administrator, supervisors of its jurisdiction, admins; 404 otherwise.
#[utoipa::path(get, path = "/api/v1/promotion-notices", tag = "reports",
    params(NoticeQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "The notice", content(
            (PromotionNotice = "application/json"),
            (String = "text/html"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, description = "`invalid_request` naming the parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown hospital, or outside the caller's reach", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn promotion_notices(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<NoticeQuery>,
) -> ApiResult<Response> {
    let how = rendering(&query.format)?;
    let hospital_id = super::supervision::uuid_param("hospital_id", &query.hospital_id)?
        .ok_or_else(|| ApiError::invalid("hospital_id: required"))?;
    let notice = promotion::notice(&state, &actor, hospital_id, query.contact.as_deref()).await?;
    match how {
        Rendering::Json => Ok(AppJson(notice).into_response()),
        Rendering::Html => Ok(html(promotion_form::notice_html(&notice))),
        Rendering::Xlsx => workbook(
            xlsx::to_xlsx(&promotion_form::notice_table(&notice)).map_err(ApiError::internal)?,
            &format!("promotion-notice-{hospital_id}"),
        ),
    }
}
