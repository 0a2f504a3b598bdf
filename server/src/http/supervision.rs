//! `/api/v1/anomalies` and `/api/v1/visits`: what supervisors review, scoped to their
//! jurisdiction (admins see everything).

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use mobile_api::page::PageQuery;
use mobile_api::{Anomaly, Page, Problem, ReviewRequest, Visit, VisitDetail};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::PageRequest;
use super::extract::{AppJson, AppPath, AppQuery, given};
use super::reports::format::{self, ReportFormat};
use super::reports::tables;
use crate::domain::access::{Actor, Role, Scope};
use crate::domain::anomaly::AnomalyKind;
use crate::domain::crediting::{close_of_local_day, start_of_local_day};
use crate::domain::jurisdiction::JurisdictionPath;
use crate::domain::organization::DEFAULT_TIMEZONE;
use crate::domain::visit_credit::VisitCredit;
use crate::error::{ApiError, ApiResult};
use crate::service::{anomalies, visit_review};
use crate::state::AppState;
use crate::store::anomalies::AnomalyFilter;
use crate::store::visit_search::VisitSlice;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_anomalies))
        .routes(routes!(review_anomaly))
        .routes(routes!(list_visits))
        .routes(routes!(visit_detail))
}

/// `?status=&kind=&site_id=&physician_id=&from=&to=` of the anomaly list, parsed by
/// hand so that a bad value is a 400 naming it. Empty values mean "any".
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnomalyQuery {
    /// `open`, `confirmed` or `dismissed`.
    #[param(value_type = Option<String>, pattern = "^\\s*(open|confirmed|dismissed)?\\s*$", example = "open")]
    status: Option<String>,
    /// One anomaly kind, e.g. `mock_location` or `missing_checkout`.
    #[param(value_type = Option<AnomalyKindFilter>, inline, example = "mock_location")]
    kind: Option<String>,
    #[param(value_type = Option<String>, format = Uuid)]
    site_id: Option<String>,
    #[param(value_type = Option<String>, format = Uuid)]
    physician_id: Option<String>,
    /// First date (`YYYY-MM-DD`, Asia/Shanghai) of `detected_at`, inclusive.
    #[param(value_type = Option<String>, format = Date, example = "2026-03-01")]
    from: Option<String>,
    /// Last date (`YYYY-MM-DD`, Asia/Shanghai) of `detected_at`, inclusive.
    #[param(value_type = Option<String>, format = Date, example = "2026-03-31")]
    to: Option<String>,
    /// Page size, 1 to 500; default 50.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// Opaque; the `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// The `kind` filter's schema: one of [`AnomalyKind::ALL`] (blank: any kind), built
/// from that one list, so a kind appended there is in the document too.
pub struct AnomalyKindFilter;

impl utoipa::PartialSchema for AnomalyKindFilter {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let kinds: Vec<&str> = AnomalyKind::ALL.iter().map(|k| k.as_str()).collect();
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(format!("^\\s*({})?\\s*$", kinds.join("|"))))
            .into()
    }
}

impl utoipa::ToSchema for AnomalyKindFilter {}

/// `?jurisdiction_code=&site_id=&physician_id=&hospital_id=&from=&to=&status=&credit=&flagged=`
/// of the visit list, with cursor or offset paging and `format=` for an export.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VisitQuery {
    /// A jurisdiction in the caller's scope: visits at sites in it and below.
    #[param(value_type = Option<String>, pattern = "^\\s*([0-9]{6})?\\s*$", example = "350881")]
    jurisdiction_code: Option<String>,
    #[param(value_type = Option<String>, format = Uuid)]
    site_id: Option<String>,
    #[param(value_type = Option<String>, format = Uuid)]
    physician_id: Option<String>,
    /// The physician's organization (支援医院).
    #[param(value_type = Option<String>, format = Uuid)]
    hospital_id: Option<String>,
    /// First local date (`YYYY-MM-DD`, the site's time zone) of the visit, inclusive.
    #[param(value_type = Option<String>, format = Date, example = "2026-03-01")]
    from: Option<String>,
    /// Last local date of the visit, inclusive.
    #[param(value_type = Option<String>, format = Date, example = "2026-03-31")]
    to: Option<String>,
    /// The visit's `status`: `open`, `closed` or `auto_closed`.
    #[param(value_type = Option<String>, pattern = "^\\s*(open|closed|auto_closed)?\\s*$", example = "auto_closed")]
    status: Option<String>,
    /// What the visit is worth: `full`, `half`, `none` or `pending`.
    #[param(value_type = Option<String>, pattern = "^\\s*(full|half|none|pending)?\\s*$", example = "half")]
    credit: Option<String>,
    /// `true`: visits with at least one anomaly; `false`: visits with none.
    #[param(value_type = Option<bool>)]
    flagged: Option<String>,
    /// Page size, 1 to 500; default 50.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// Opaque; the `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Skip this many visits (page-number paging); not together with `cursor`.
    offset: Option<u64>,
    /// `json` (default), `csv` or `xlsx`: the whole filtered list as a download.
    #[param(value_type = Option<String>, pattern = "^\\s*(json|csv|xlsx)?\\s*$", example = "xlsx")]
    format: Option<String>,
}

/// A closed-vocabulary value, or a 400 naming the parameter and the choices.
pub(crate) fn one_of(
    name: &str,
    value: &Option<String>,
    allowed: &[&'static str],
) -> ApiResult<Option<&'static str>> {
    let Some(v) = given(value) else {
        return Ok(None);
    };
    allowed
        .iter()
        .copied()
        .find(|a| *a == v)
        .map(Some)
        .ok_or_else(|| ApiError::invalid(format!("{name}: expected one of {}", allowed.join(", "))))
}

pub(crate) fn uuid_param(name: &str, value: &Option<String>) -> ApiResult<Option<Uuid>> {
    given(value)
        .map(|v| {
            Uuid::parse_str(v).map_err(|_| ApiError::invalid(format!("{name}: expected a UUID")))
        })
        .transpose()
}

pub(crate) fn date_param(name: &str, value: &Option<String>) -> ApiResult<Option<NaiveDate>> {
    given(value)
        .map(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .ok()
                .filter(|_| v.len() == 10)
                .ok_or_else(|| ApiError::invalid(format!("{name}: expected a date YYYY-MM-DD")))
        })
        .transpose()
}

pub(crate) fn date_range(
    from: &Option<String>,
    to: &Option<String>,
) -> ApiResult<(Option<NaiveDate>, Option<NaiveDate>)> {
    let from = date_param("from", from)?;
    let to = date_param("to", to)?;
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(ApiError::invalid("from: must not be after to"));
    }
    Ok((from, to))
}

/// The jurisdiction a list is confined to: `None` for admins (everything).
fn list_scope(actor: &Actor) -> ApiResult<Option<&JurisdictionPath>> {
    match &actor.scope {
        Scope::Everything => Ok(None),
        Scope::Jurisdiction(path) => Ok(Some(path)),
        Scope::Organization(_) | Scope::Own => Err(ApiError::Forbidden),
    }
}

/// A list cursor: the sort instant (Unix ms) and the id of the last item.
pub(crate) fn cursor_key(at: DateTime<Utc>, id: Uuid) -> String {
    format!("{}:{id}", at.timestamp_millis())
}

pub(crate) fn parse_cursor(after: Option<&str>) -> ApiResult<Option<(DateTime<Utc>, Uuid)>> {
    // An empty cursor is the first page, as an empty filter is no filter.
    let Some(text) = after.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let bad = || ApiError::invalid("cursor: not a cursor this server issued");
    let (ms, id) = text.split_once(':').ok_or_else(bad)?;
    let at = ms
        .parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_millis)
        .ok_or_else(bad)?;
    let id = Uuid::parse_str(id).map_err(|_| bad())?;
    Ok(Some((at, id)))
}

/// Anomalies, newest first. A supervisor sees those at sites in their jurisdiction
/// and below; an admin sees all. `from`/`to` are dates in Asia/Shanghai compared
/// with `detected_at`. `detail` carries the facts recorded when the anomaly was
/// raised plus `label_zh`, `label_en`, `summary` and `summary_zh`; the same texts,
/// the facts as labelled fields and the physician's and site's names are also
/// top-level fields (`summary_zh`, `summary_en`, `facts`, ...).
#[utoipa::path(get, path = "/api/v1/anomalies", tag = "supervision",
    params(AnomalyQuery), security(("bearer" = [])),
    responses(
        (status = 200, body = Page<Anomaly>),
        (status = 400, description = "`invalid_request` naming the parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_anomalies(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<AnomalyQuery>,
) -> ApiResult<AppJson<Page<Anomaly>>> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    let within = list_scope(&actor)?;
    let status = one_of("status", &query.status, &["open", "confirmed", "dismissed"])?;
    let kind = given(&query.kind)
        .map(|k| {
            AnomalyKind::parse(k)
                .map(AnomalyKind::as_str)
                .ok_or_else(|| ApiError::invalid(format!("kind: unknown anomaly kind {k:?}")))
        })
        .transpose()?;
    let site_id = uuid_param("site_id", &query.site_id)?;
    let physician_id = uuid_param("physician_id", &query.physician_id)?;
    let (from, to) = date_range(&query.from, &query.to)?;
    let page = PageRequest::try_from(PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    })?;
    let filter = AnomalyFilter {
        within,
        status,
        kind,
        site_id,
        physician_id,
        detected_from: from.map(|d| start_of_local_day(d, DEFAULT_TIMEZONE)),
        detected_before: to.map(|d| close_of_local_day(d, DEFAULT_TIMEZONE)),
        after: parse_cursor(page.after.as_deref())?,
    };
    let items = anomalies::list(&state, &filter, page.fetch()).await?;
    Ok(AppJson(
        page.page(items, |a| cursor_key(a.detected_at, a.id)),
    ))
}

/// Confirms or dismisses an anomaly, once. The visit's credit follows at once:
/// dismissing its last open anomaly makes it creditable, confirming one denies it,
/// and dismissing a `missing_checkout` grants credit up to the end of the
/// assignment's daily window. The note (why) is required and kept.
#[utoipa::path(post, path = "/api/v1/anomalies/{id}/review", tag = "supervision",
    params(("id" = Uuid, Path)), request_body = ReviewRequest, security(("bearer" = [])),
    responses(
        (status = 200, description = "The anomaly as reviewed", body = Anomaly),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or outside the caller's jurisdiction", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_reviewed`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn review_anomaly(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<ReviewRequest>,
) -> ApiResult<AppJson<Anomaly>> {
    Ok(AppJson(anomalies::review(&state, &actor, id, &body).await?))
}

pub(crate) fn bool_param(name: &str, value: &Option<String>) -> ApiResult<Option<bool>> {
    match given(value) {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(ApiError::invalid(format!("{name}: expected true or false"))),
    }
}

fn visit_filters(state_query: &VisitQuery) -> ApiResult<visit_review::VisitQuery> {
    let q = state_query;
    let (from, to) = date_range(&q.from, &q.to)?;
    let credit = given(&q.credit)
        .map(|c| {
            VisitCredit::parse(c).ok_or_else(|| {
                ApiError::invalid("credit: expected one of full, half, none, pending")
            })
        })
        .transpose()?;
    Ok(visit_review::VisitQuery {
        jurisdiction_code: given(&q.jurisdiction_code).map(str::to_owned),
        site_id: uuid_param("site_id", &q.site_id)?,
        physician_id: uuid_param("physician_id", &q.physician_id)?,
        hospital_id: uuid_param("hospital_id", &q.hospital_id)?,
        status: one_of("status", &q.status, &["open", "closed", "auto_closed"])?,
        from,
        to,
        credit,
        flagged: bool_param("flagged", &q.flagged)?,
    })
}

/// Visits, newest check-in first, with their credit state, worth (`credit`),
/// names and anomaly kinds. A supervisor sees visits at sites in their
/// jurisdiction and below (`jurisdiction_code` narrows it; another jurisdiction is
/// 404); an admin sees all. `from`/`to` bound the visit's local date. The header
/// `X-Total-Count` gives how many visits match. With `format=csv|xlsx` the whole
/// filtered list (at most 20,000 visits; `X-Truncated: true` when cut) downloads
/// with Chinese column headers.
#[utoipa::path(get, path = "/api/v1/visits", tag = "supervision",
    params(VisitQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of visits; `X-Total-Count` has the number matching", content(
            (Page<Visit> = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ), headers(("X-Total-Count" = u64, description = "Visits matching the filters"))),
        (status = 400, description = "`invalid_request` naming the parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`jurisdiction_code` unknown or outside the caller's", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_visits(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<VisitQuery>,
) -> ApiResult<Response> {
    // A clinic administrator: its own site's visits (visit_review::search).
    actor.require(&[Role::Admin, Role::Supervisor, Role::ClinicAdmin])?;
    let filters = visit_filters(&query)?;
    let format = ReportFormat::negotiate(query.format.as_deref(), &HeaderMap::new())?;
    if format != ReportFormat::Json {
        let (items, cut) = visit_review::export(&state, &actor, &filters).await?;
        let stem = format!("visits-{}", state.now().format("%Y%m%d"));
        let mut response = format::respond(format, items, |v| tables::visits(v), &stem)?;
        if cut {
            response
                .headers_mut()
                .insert("x-truncated", HeaderValue::from_static("true"));
        }
        return Ok(response);
    }
    if query.offset.is_some() && given(&query.cursor).is_some() {
        return Err(ApiError::invalid("offset: not together with cursor"));
    }
    let page = PageRequest::try_from(PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    })?;
    let slice = VisitSlice {
        after: parse_cursor(page.after.as_deref())?,
        offset: query.offset.unwrap_or(0),
        limit: page.fetch(),
    };
    let list = visit_review::search(&state, &actor, &filters, slice).await?;
    let body = page.page(list.items, |v| cursor_key(v.checked_in_at, v.id));
    let mut response = AppJson(body).into_response();
    response
        .headers_mut()
        .insert("x-total-count", HeaderValue::from(list.total));
    Ok(response)
}

/// One visit in full: site and physician names, the check-in and check-out fixes
/// (WGS-84, accuracy, declared CRS) against the fence version the check-in was
/// judged by, its anomalies with their reviews, the work logged, and its worth with
/// the reason in words. Supervisors within reach and admins; 404 otherwise.
#[utoipa::path(get, path = "/api/v1/visits/{id}", tag = "supervision",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 200, body = VisitDetail),
        (status = 400, description = "`invalid_request`: `id` is not a UUID", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or outside the caller's jurisdiction", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn visit_detail(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<VisitDetail>> {
    Ok(AppJson(visit_review::detail(&state, &actor, id).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_forgeries_are_refused() {
        let at = DateTime::from_timestamp_millis(1_772_413_200_123).expect("instant");
        let id = Uuid::new_v4();
        assert_eq!(
            parse_cursor(Some(&cursor_key(at, id))).expect("ours"),
            Some((at, id))
        );
        assert!(parse_cursor(None).expect("none").is_none());
        // An empty cursor is the first page, as an empty filter is no filter.
        assert!(parse_cursor(Some("")).expect("empty").is_none());
        assert!(parse_cursor(Some(" ")).expect("blank").is_none());
        for forged in [
            "12",
            "x:y",
            "12:not-a-uuid",
            "99999999999999999999:00000000-0000-0000-0000-000000000000",
        ] {
            assert!(parse_cursor(Some(forged)).is_err(), "{forged}");
        }
    }

    #[test]
    fn filters_name_the_bad_parameter() {
        let err = |r: ApiError| r.to_string();
        assert!(
            err(one_of("status", &Some("closed".into()), &["open"]).unwrap_err())
                .starts_with("status:")
        );
        assert_eq!(
            one_of("status", &Some("open".into()), &["open", "dismissed"]).expect("valid"),
            Some("open")
        );
        assert_eq!(
            one_of("status", &Some(String::new()), &["open"]).expect("empty"),
            None
        );
        assert!(err(uuid_param("site_id", &Some("7".into())).unwrap_err()).starts_with("site_id:"));
        assert!(err(date_param("to", &Some("2026-3-1".into())).unwrap_err()).starts_with("to:"));
        assert!(
            err(date_range(&Some("2026-03-02".into()), &Some("2026-03-01".into())).unwrap_err())
                .starts_with("from:")
        );
    }
}
