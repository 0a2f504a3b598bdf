//! `/api/v1/anomalies` and `/api/v1/visits`: what supervisors review, scoped to their
//! jurisdiction (admins see everything).

use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use mobile_api::page::PageQuery;
use mobile_api::{Anomaly, AnomalyReview, Page, Problem, ReviewRequest, Visit};
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::PageRequest;
use super::extract::{AppJson, AppPath, AppQuery};
use crate::domain::access::{Actor, Placement, Role, Scope};
use crate::domain::anomaly::AnomalyKind;
use crate::domain::crediting::{close_of_local_day, start_of_local_day};
use crate::domain::jurisdiction::JurisdictionPath;
use crate::domain::organization::DEFAULT_TIMEZONE;
use crate::error::{ApiError, ApiResult};
use crate::service::audit::{self, Change};
use crate::service::visits;
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::anomalies::{AnomalyFilter, AnomalyRecord, ReviewRecord, VisitFilter};

/// The longest review note kept, in characters.
const MAX_NOTE_CHARS: usize = 2000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_anomalies))
        .routes(routes!(review_anomaly))
        .routes(routes!(list_visits))
}

/// `?status=&kind=&site_id=&physician_id=&from=&to=` of the anomaly list, parsed by
/// hand so that a bad value is a 400 naming it. Empty values mean "any".
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnomalyQuery {
    /// `open`, `confirmed` or `dismissed`.
    #[param(value_type = Option<String>, example = "open")]
    status: Option<String>,
    /// One anomaly kind, e.g. `mock_location` or `missing_checkout`.
    #[param(value_type = Option<String>, example = "mock_location")]
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
    limit: Option<u32>,
    /// Opaque; the `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// `?site_id=&physician_id=&from=&to=&status=` of the visit list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VisitQuery {
    #[param(value_type = Option<String>, format = Uuid)]
    site_id: Option<String>,
    #[param(value_type = Option<String>, format = Uuid)]
    physician_id: Option<String>,
    /// First local date (`YYYY-MM-DD`, the site's time zone) of the visit, inclusive.
    #[param(value_type = Option<String>, format = Date, example = "2026-03-01")]
    from: Option<String>,
    /// Last local date of the visit, inclusive.
    #[param(value_type = Option<String>, format = Date, example = "2026-03-31")]
    to: Option<String>,
    /// The visit's `status`: `open`, `closed` or `auto_closed`.
    #[param(value_type = Option<String>, example = "auto_closed")]
    status: Option<String>,
    /// Page size, 1 to 500; default 50.
    limit: Option<u32>,
    /// Opaque; the `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// A query value, with an empty one read as absent.
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// A closed-vocabulary value, or a 400 naming the parameter and the choices.
fn one_of(
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

fn uuid_param(name: &str, value: &Option<String>) -> ApiResult<Option<Uuid>> {
    given(value)
        .map(|v| {
            Uuid::parse_str(v).map_err(|_| ApiError::invalid(format!("{name}: expected a UUID")))
        })
        .transpose()
}

fn date_param(name: &str, value: &Option<String>) -> ApiResult<Option<NaiveDate>> {
    given(value)
        .map(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .ok()
                .filter(|_| v.len() == 10)
                .ok_or_else(|| ApiError::invalid(format!("{name}: expected a date YYYY-MM-DD")))
        })
        .transpose()
}

fn date_range(
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
fn cursor_key(at: DateTime<Utc>, id: Uuid) -> String {
    format!("{}:{id}", at.timestamp_millis())
}

fn parse_cursor(after: Option<&str>) -> ApiResult<Option<(DateTime<Utc>, Uuid)>> {
    let Some(text) = after else {
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

/// An instant in a stored detail (RFC 3339), shown in Asia/Shanghai wall-clock time.
fn local_instant(value: &Value) -> Option<String> {
    let at: DateTime<Utc> = value.as_str()?.parse().ok()?;
    Some(
        at.with_timezone(&DEFAULT_TIMEZONE)
            .format("%Y-%m-%d %H:%M %:z")
            .to_string(),
    )
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// One sentence in English and in Chinese for the kinds whose detail we know; `None`
/// when the detail lacks what the sentence needs.
fn specific_summary(kind: AnomalyKind, detail: &Map<String, Value>) -> Option<(String, String)> {
    let field = |name: &str| detail.get(name).and_then(text);
    let instant = |name: &str| detail.get(name).and_then(local_instant);
    match kind {
        AnomalyKind::NewDevice => {
            let (device, bound) = (field("device_id")?, field("bound_device_id")?);
            Some((
                format!("Checked in from device {device}; the bound device is {bound}."),
                format!("使用设备 {device} 签到，已绑定设备为 {bound}。"),
            ))
        }
        AnomalyKind::MockLocation => {
            let device = field("device_id")?;
            Some((
                format!("The phone ({device}) reported a mock location."),
                format!("手机（{device}）报告使用了模拟定位。"),
            ))
        }
        AnomalyKind::LateSync => {
            let (scanned, delay) = (instant("scanned_at")?, field("delay_minutes")?);
            Some((
                format!("Scanned offline at {scanned}, uploaded {delay} minutes later."),
                format!("离线扫码于 {scanned}，{delay} 分钟后才上传。"),
            ))
        }
        AnomalyKind::OutsideWindowEdge => {
            let (minutes, window) = (field("minutes_outside")?, field("window")?);
            Some((
                format!("Scanned {minutes} minutes outside the daily window {window}."),
                format!("扫码时间超出规定时段 {window} {minutes} 分钟。"),
            ))
        }
        AnomalyKind::MissingCheckout => {
            let (date, checked_in) = (field("local_date")?, instant("checked_in_at")?);
            let closed = instant("closed_at")?;
            Some((
                format!(
                    "Checked in at {checked_in} on {date} and never checked out; \
                     the visit was closed at {closed}."
                ),
                format!("{date} 于 {checked_in} 签到后未签退，就诊记录于 {closed} 自动关闭。"),
            ))
        }
        _ => None,
    }
}

/// The kind's labels and summaries added to the stored detail.
fn enrich_detail(kind: &str, stored: Value) -> Value {
    let mut detail = match stored {
        Value::Object(map) => map,
        Value::Null => Map::new(),
        other => Map::from_iter([("value".to_owned(), other)]),
    };
    let known = AnomalyKind::parse(kind);
    let label_zh = known.map_or_else(|| kind.to_owned(), |k| k.label_zh().to_owned());
    let label_en = known.map_or_else(|| kind.to_owned(), |k| k.label_en().to_owned());
    let (summary, summary_zh) = known
        .and_then(|k| specific_summary(k, &detail))
        .unwrap_or_else(|| {
            // Unknown shapes: the label and the detail's plain facts, sorted by name.
            let mut facts: Vec<(&String, String)> = detail
                .iter()
                .filter_map(|(k, v)| local_instant(v).or_else(|| text(v)).map(|shown| (k, shown)))
                .collect();
            facts.sort();
            let list = facts
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ");
            if list.is_empty() {
                (format!("{label_en}."), format!("{label_zh}。"))
            } else {
                (
                    format!("{label_en}: {list}."),
                    format!("{label_zh}：{list}。"),
                )
            }
        });
    detail.insert("label_zh".into(), Value::String(label_zh));
    detail.insert("label_en".into(), Value::String(label_en));
    detail.insert("summary".into(), Value::String(summary));
    detail.insert("summary_zh".into(), Value::String(summary_zh));
    Value::Object(detail)
}

fn to_wire(a: AnomalyRecord) -> Anomaly {
    Anomaly {
        id: a.id,
        detail: enrich_detail(&a.kind, a.detail),
        kind: a.kind,
        severity: a.severity,
        status: a.status,
        physician_id: a.physician_id,
        site_id: a.site_id,
        visit_id: a.visit_id,
        event_ids: a.event_ids,
        detected_at: a.detected_at,
        review: a.review.map(|r| AnomalyReview {
            decision: r.decision,
            note: r.note,
            reviewer_id: r.reviewer_id,
            reviewed_at: r.reviewed_at,
        }),
    }
}

/// Anomalies, newest first. A supervisor sees those at sites in their jurisdiction
/// and below; an admin sees all. `from`/`to` are dates in Asia/Shanghai compared
/// with `detected_at`. `detail` carries the facts recorded when the anomaly was
/// raised plus `label_zh`, `label_en`, `summary` and `summary_zh`.
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
    let rows = state.store.list_anomalies(&filter, page.fetch()).await?;
    let items: Vec<Anomaly> = rows.into_iter().map(to_wire).collect();
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
    actor.require(&[Role::Admin, Role::Supervisor])?;
    let (anomaly, site_path) = state.store.anomaly(id).await?.ok_or(ApiError::NotFound)?;
    if actor.scope != Scope::Everything {
        // An anomaly without a site belongs to no jurisdiction: admins only.
        let path = site_path.ok_or(ApiError::NotFound)?;
        actor.check_reach(Placement {
            jurisdiction: &path,
            organization_id: None,
        })?;
    }
    let note = body.note.trim();
    if note.is_empty() {
        return Err(ApiError::invalid("note: must say why (not blank)"));
    }
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(ApiError::invalid(format!(
            "note: at most {MAX_NOTE_CHARS} characters"
        )));
    }
    // The review only moves an open anomaly (the store refuses a second one), so the
    // anomaly as reviewed is known before the write and recorded with it.
    let now = crate::store::as_stored(state.now());
    let after = to_wire(AnomalyRecord {
        status: body.decision.resulting_status().to_owned(),
        review: Some(ReviewRecord {
            decision: body.decision,
            note: note.to_owned(),
            reviewer_id: actor.user_id,
            reviewed_at: now,
        }),
        ..anomaly
    });
    let audit = audit::audited(
        &state,
        &actor,
        Change {
            action: "anomaly.review",
            object_type: "anomaly",
            object_id: id.to_string(),
            before: None,
            after: Some(&after),
        },
    )?;
    state
        .store
        .review_anomaly(id, body.decision, note, actor.user_id, now, audit)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(detail) => ApiError::Conflict {
                code: "already_reviewed",
                detail,
            },
            other => other.into(),
        })?;
    Ok(AppJson(after))
}

/// Visits, newest check-in first, with their credit state and anomaly kinds. A
/// supervisor sees visits at sites in their jurisdiction and below; an admin sees
/// all. `from`/`to` bound the visit's local date; `status` is the visit's status.
#[utoipa::path(get, path = "/api/v1/visits", tag = "supervision",
    params(VisitQuery), security(("bearer" = [])),
    responses(
        (status = 200, body = Page<Visit>),
        (status = 400, description = "`invalid_request` naming the parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_visits(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<VisitQuery>,
) -> ApiResult<AppJson<Page<Visit>>> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    let within = list_scope(&actor)?;
    let status = one_of("status", &query.status, &["open", "closed", "auto_closed"])?;
    let site_id = uuid_param("site_id", &query.site_id)?;
    let physician_id = uuid_param("physician_id", &query.physician_id)?;
    let (from, to) = date_range(&query.from, &query.to)?;
    let page = PageRequest::try_from(PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    })?;
    let filter = VisitFilter {
        within,
        site_id,
        physician_id,
        status,
        from,
        to,
        after: parse_cursor(page.after.as_deref())?,
    };
    let records = state.store.list_visits(&filter, page.fetch()).await?;
    let ids: Vec<Uuid> = records.iter().map(|v| v.id).collect();
    let anomalies = state.store.anomalies_of_visits(&ids).await?;
    let items = visits::describe(&state, &records, &anomalies).await?;
    Ok(AppJson(
        page.page(items, |v| cursor_key(v.checked_in_at, v.id)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cursors_round_trip_and_forgeries_are_refused() {
        let at = DateTime::from_timestamp_millis(1_772_413_200_123).expect("instant");
        let id = Uuid::new_v4();
        assert_eq!(
            parse_cursor(Some(&cursor_key(at, id))).expect("ours"),
            Some((at, id))
        );
        assert!(parse_cursor(None).expect("none").is_none());
        for forged in [
            "",
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

    #[test]
    fn detail_gains_labels_and_a_summary_in_both_languages() {
        let detail = enrich_detail("mock_location", json!({"device_id": "phone-B"}));
        assert_eq!(detail["device_id"], "phone-B");
        assert_eq!(detail["label_zh"], "模拟定位");
        assert_eq!(detail["label_en"], "Mock location reported");
        assert_eq!(
            detail["summary"],
            "The phone (phone-B) reported a mock location."
        );
        assert!(
            detail["summary_zh"]
                .as_str()
                .is_some_and(|s| s.contains("phone-B"))
        );

        let missing = enrich_detail(
            "missing_checkout",
            json!({"checked_in_at": "2026-03-02T01:00:00Z", "closed_at": "2026-03-02T16:00:00Z", "local_date": "2026-03-02"}),
        );
        assert_eq!(
            missing["summary"],
            "Checked in at 2026-03-02 09:00 +08:00 on 2026-03-02 and never checked out; \
             the visit was closed at 2026-03-03 00:00 +08:00."
        );
    }

    #[test]
    fn unknown_kinds_and_shapes_still_read() {
        let detail = enrich_detail("impossible_travel", json!({"speed_kmh": 320, "from": "A"}));
        assert_eq!(
            detail["summary"],
            "Impossible travel speed: from A, speed_kmh 320."
        );
        let future = enrich_detail("something_new", Value::Null);
        assert_eq!(future["label_en"], "something_new");
        assert_eq!(future["summary"], "something_new.");
    }
}
