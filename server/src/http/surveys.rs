//! `/api/v1/survey-rounds`: satisfaction survey rounds (满意度测评; 漳平 "抽取80个受益群众
//! 进行电话满意度测评"): rounds, registering the people served, the seeded draw, the call
//! sheet and calls, closing, and the report. See docs/surveys.md.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use mobile_api::{
    CreateSurveyRound, Problem, RecordSurveyCall, RegisterSurveyPeople, SurveyCallSheet,
    SurveyDraw, SurveyPeopleList, SurveyPerson, SurveyPhysicianList, SurveyReport, SurveyRound,
    SurveyRoundList,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::{AppJson, AppPath, AppQuery, blank_as_none, given};
use super::reports::format::{self, ReportFormat};
use crate::domain::access::Actor;
use crate::error::{ApiError, ApiResult};
use crate::import::TableFormat;
use crate::render::survey_tables;
use crate::service::surveys;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_round, list_rounds))
        .routes(routes!(get_round))
        .routes(routes!(draw))
        .routes(routes!(call_sheet))
        .routes(routes!(record_call))
        .routes(routes!(close_round))
        .routes(routes!(report))
        .routes(routes!(physicians))
        .routes(routes!(template))
        .merge(
            // A registration of up to 1000 people is larger than the default 64 KiB.
            OpenApiRouter::new()
                .routes(routes!(register_people, list_people))
                .routes(routes!(upload_people))
                .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT_BYTES)),
        )
}

/// The largest registration accepted, as a sheet (XLSX packages are larger than their
/// text) or as JSON (up to 1000 people).
pub const UPLOAD_BODY_LIMIT_BYTES: usize = 2 * 1024 * 1024;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The site the people were served at; a clinic administrator's own by default.
    #[param(value_type = Option<String>, format = Uuid)]
    #[serde(default, deserialize_with = "blank_as_none")]
    site_id: Option<Uuid>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TemplateQuery {
    /// `xlsx` (default) or `csv` (`json`: the column names).
    #[param(value_type = Option<String>, pattern = "^\\s*(json|csv|xlsx)?\\s*$", example = "xlsx")]
    format: Option<String>,
}

/// Registers the people of a sheet (受益群众登记表: 姓名, 联系电话, 服务日期, 派驻医师 by
/// name), as the raw body: CSV (UTF-8, UTF-16 with BOM or GB18030) or XLSX, at most
/// 2 MiB, title lines above the header allowed. Bad rows answer 400 `invalid_import`
/// with `extra.errors: [{row, column, reason}]`; otherwise as the JSON registration,
/// errors naming the spreadsheet row.
#[utoipa::path(post, path = "/api/v1/survey-rounds/{id}/people/upload", tag = "surveys",
    params(("id" = Uuid, Path), UploadQuery),
    request_body(description = "The registration sheet, as the raw body",
        content((String = "text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The people registered, masked", body = SurveyPeopleList),
        (status = 400, description = "`invalid_import` (bad rows in `extra.errors`, an unreadable file) or `invalid_request`", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`duplicate_phone`, `round_not_open`", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither CSV nor XLSX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn upload_people(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
    AppQuery(query): AppQuery<UploadQuery>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, AppJson<SurveyPeopleList>)> {
    let format = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(TableFormat::from_content_type)
        .ok_or_else(|| {
            ApiError::UnsupportedMediaType(
                "expected `Content-Type: text/csv` or the XLSX type".into(),
            )
        })?;
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::invalid(rejection.body_text())
        }
    })?;
    let list = surveys::upload(&state, &actor, id, query.site_id, format, &bytes).await?;
    Ok((StatusCode::CREATED, AppJson(list)))
}

/// The physicians a registration may name: those assigned at a receiving site of the
/// round's jurisdiction (a clinic administrator's own site) during its period.
#[utoipa::path(get, path = "/api/v1/survey-rounds/{id}/physicians", tag = "surveys",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 200, body = SurveyPhysicianList),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn physicians(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<SurveyPhysicianList>> {
    Ok(AppJson(surveys::physicians(&state, &actor, id).await?))
}

/// The empty registration sheet (受益群众登记表) with the columns the upload reads.
#[utoipa::path(get, path = "/api/v1/survey-rounds/people-template", tag = "surveys",
    params(TemplateQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "The sheet", content(
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "text/csv"),
            (Vec<String> = "application/json"),
        )),
        (status = 400, description = "`invalid_request`: a bad format", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn template(
    _actor: Actor,
    AppQuery(query): AppQuery<TemplateQuery>,
) -> ApiResult<Response> {
    let format = ReportFormat::negotiate(
        Some(given(&query.format).unwrap_or("xlsx")),
        &HeaderMap::new(),
    )?;
    let headers = surveys::template_headers();
    format::respond(
        format,
        headers,
        |h| survey_tables::template(h.clone()),
        "survey-people-template",
    )
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoundQuery {
    /// A jurisdiction in the caller's scope; default the supervisor's own (admins: all).
    #[param(value_type = Option<String>, pattern = "^\\s*([0-9]{6})?\\s*$", example = "350881")]
    jurisdiction_code: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DrawQuery {
    /// A seed (decimal, below 2^64): draws an open round with it, or repeats the draw
    /// of a drawn round for an audit.
    #[param(value_type = Option<String>, format = "decimal-u64", example = "7310021")]
    seed: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `json` (default), `csv` or `xlsx`.
    #[param(value_type = Option<String>, pattern = "^\\s*(json|csv|xlsx)?\\s*$", example = "xlsx")]
    format: Option<String>,
}

/// Creates a survey round for a period (`YYYY-MM`, `YYYY-Qn`, `YYYY`, or `from`/`to`)
/// and a jurisdiction (optionally one programme), drawing `sample_size` people (80 by
/// default). Supervisors within their jurisdiction, admins; audited
/// (`survey.create_round`).
#[utoipa::path(post, path = "/api/v1/survey-rounds", tag = "surveys",
    request_body = CreateSurveyRound, security(("bearer" = [])),
    responses(
        (status = 201, body = SurveyRound),
        (status = 400, description = "`invalid_request` naming the field", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Jurisdiction unknown or outside the caller's", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_round(
    State(state): State<AppState>,
    actor: Actor,
    AppJson(body): AppJson<CreateSurveyRound>,
) -> ApiResult<(StatusCode, AppJson<SurveyRound>)> {
    let round = surveys::create(&state, &actor, &body).await?;
    Ok((StatusCode::CREATED, AppJson(round)))
}

/// Survey rounds, newest period first: a supervisor's jurisdiction and below, every
/// round for an admin, the rounds covering its own site for a clinic administrator.
#[utoipa::path(get, path = "/api/v1/survey-rounds", tag = "surveys",
    params(RoundQuery), security(("bearer" = [])),
    responses(
        (status = 200, body = SurveyRoundList),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_rounds(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<RoundQuery>,
) -> ApiResult<AppJson<SurveyRoundList>> {
    let code = given(&query.jurisdiction_code);
    Ok(AppJson(surveys::list(&state, &actor, code).await?))
}

/// One round with its counts (registered, drawn, called) and its seed once drawn.
#[utoipa::path(get, path = "/api/v1/survey-rounds/{id}", tag = "surveys",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 200, body = SurveyRound),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_round(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<SurveyRound>> {
    Ok(AppJson(surveys::get(&state, &actor, id).await?))
}

/// Registers people served (1 to 1000, all or none) in an open round: name, phone
/// (mainland mobile or landline), service date within the period, site (a clinic
/// administrator's own by default) and the physician, who must hold an assignment at
/// that site covering the date. Names and phones are sealed at rest and answered
/// masked (`张*`, `138****1234`). Audited (`survey.register`, masked).
#[utoipa::path(post, path = "/api/v1/survey-rounds/{id}/people", tag = "surveys",
    params(("id" = Uuid, Path)), request_body = RegisterSurveyPeople, security(("bearer" = [])),
    responses(
        (status = 201, description = "The people registered, masked", body = SurveyPeopleList),
        (status = 400, description = "`invalid_request` naming the row and field (`people[2].phone`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`duplicate_phone` (the number is already in the round), `round_not_open`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn register_people(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<RegisterSurveyPeople>,
) -> ApiResult<(StatusCode, AppJson<SurveyPeopleList>)> {
    let list = surveys::register(&state, &actor, id, &body).await?;
    Ok((StatusCode::CREATED, AppJson(list)))
}

/// The round's people, masked, drawn ones first in draw order; a clinic administrator
/// sees its own site's registrations only.
#[utoipa::path(get, path = "/api/v1/survey-rounds/{id}/people", tag = "surveys",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 200, body = SurveyPeopleList),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_people(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<SurveyPeopleList>> {
    Ok(AppJson(surveys::people(&state, &actor, id).await?))
}

/// Draws the sample: a simple random sample of `sample_size` of the people registered
/// (all when fewer), from `seed` or a generated one, recorded in the round and its
/// audit entry (`survey.draw`, with the candidates). On a drawn round, `seed=` repeats
/// the draw without changing anything and says whether it matches the recorded one.
#[utoipa::path(post, path = "/api/v1/survey-rounds/{id}/draw", tag = "surveys",
    params(("id" = Uuid, Path), DrawQuery), security(("bearer" = [])),
    responses(
        (status = 200, body = SurveyDraw),
        (status = 400, description = "`invalid_request`: a bad seed", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_drawn` (no seed given), `nothing_to_draw`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn draw(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
    AppQuery(query): AppQuery<DrawQuery>,
) -> ApiResult<AppJson<SurveyDraw>> {
    Ok(AppJson(
        surveys::draw(&state, &actor, id, given(&query.seed)).await?,
    ))
}

/// The call sheet (surveyors: supervisors in reach and admins): the drawn people with
/// their names and phones revealed, until erased. Each sheet served is an audit entry
/// (`survey.reveal`) naming whose numbers were shown.
#[utoipa::path(get, path = "/api/v1/survey-rounds/{id}/calls", tag = "surveys",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 200, body = SurveyCallSheet),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`round_not_drawn`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn call_sheet(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<SurveyCallSheet>> {
    Ok(AppJson(surveys::call_sheet(&state, &actor, id).await?))
}

/// Records a call to a drawn person: reached or not, the rating (满意 / 基本满意 /
/// 不满意) when reached, a note. Every attempt is kept; the person shows the latest.
/// Audited (`survey.call`).
#[utoipa::path(post, path = "/api/v1/survey-rounds/{id}/calls/{person_id}", tag = "surveys",
    params(("id" = Uuid, Path), ("person_id" = Uuid, Path)), request_body = RecordSurveyCall,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The person with the latest outcome, masked", body = SurveyPerson),
        (status = 400, description = "`invalid_request` naming the field", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`not_drawn`, `round_not_drawn` (open or closed)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn record_call(
    State(state): State<AppState>,
    actor: Actor,
    AppPath((id, person_id)): AppPath<(Uuid, Uuid)>,
    AppJson(body): AppJson<RecordSurveyCall>,
) -> ApiResult<(StatusCode, AppJson<SurveyPerson>)> {
    let person = surveys::record_call(&state, &actor, id, person_id, &body).await?;
    Ok((StatusCode::CREATED, AppJson(person)))
}

/// Closes the round; its names and phones are erased `CHECKIN_SURVEY_RETENTION_DAYS`
/// later (90 by default; at once with 0) by the scheduler. Audited (`survey.close`).
#[utoipa::path(post, path = "/api/v1/survey-rounds/{id}/close", tag = "surveys",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 200, body = SurveyRound),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`round_closed`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn close_round(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<SurveyRound>> {
    Ok(AppJson(surveys::close(&state, &actor, id).await?))
}

/// 满意度测评结果统计表: per physician at each site, per site and in total, the people
/// drawn, called, reached, and the latest rating of each; the rate is (满意 + 基本满意)
/// ÷ reached. JSON, or CSV / XLSX (`format=`), titled with the jurisdiction and period,
/// with 小计 and 合计 rows; no name or phone of a person served.
#[utoipa::path(get, path = "/api/v1/survey-rounds/{id}/report", tag = "surveys",
    params(("id" = Uuid, Path), ReportQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "The report", content(
            (SurveyReport = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, description = "`invalid_request`: a bad format", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn report(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
    AppQuery(query): AppQuery<ReportQuery>,
) -> ApiResult<Response> {
    let format = ReportFormat::negotiate(query.format.as_deref(), &HeaderMap::new())?;
    let body = surveys::report(&state, &actor, id).await?;
    let stem = format!("survey-{}-{}", body.round.jurisdiction_code, id.simple());
    format::respond(format, body, survey_tables::report, &stem)
}
