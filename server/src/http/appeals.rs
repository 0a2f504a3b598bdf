//! Appeals (申诉) on visits and a visit's evidence pack (证据包) as JSON or one
//! printable HTML page.

use std::fmt::Write as _;

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use mobile_api::{
    Appeal, AppealDecision, AppealStatus, ClinicVerdict, CreateAppeal, Page, Problem, VisitEvidence,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::{AppJson, AppPath, AppQuery, given};
use super::supervision::one_of;
use crate::domain::access::Actor;
use crate::error::{ApiError, ApiResult};
use crate::service::appeals;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_appeal, my_appeals))
        .routes(routes!(appeal_queue))
        .routes(routes!(decide_appeal))
        .routes(routes!(visit_evidence))
}

/// The physician appeals one of their own visits with a note (1 to 2000
/// characters). One pending appeal per visit; audited.
#[utoipa::path(post, path = "/api/v1/me/visits/{visit_id}/appeals", tag = "attendance",
    params(("visit_id" = Uuid, Path)), request_body = CreateAppeal, security(("bearer" = [])),
    responses(
        (status = 201, description = "Filed, `pending`", body = Appeal),
        (status = 400, description = "`invalid_request` naming `note`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a physician", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or someone else's visit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`appeal_pending`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_appeal(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(visit_id): AppPath<Uuid>,
    AppJson(body): AppJson<CreateAppeal>,
) -> ApiResult<(StatusCode, AppJson<Appeal>)> {
    let appeal = appeals::create(&state, &actor, visit_id, &body).await?;
    Ok((StatusCode::CREATED, AppJson(appeal)))
}

/// The physician's appeals on one of their visits, oldest first, with `status`
/// (`pending`, `upheld`, `rejected`) and the supervisor's `decision_note`.
#[utoipa::path(get, path = "/api/v1/me/visits/{visit_id}/appeals", tag = "attendance",
    params(("visit_id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 200, body = Page<Appeal>),
        (status = 400, description = "`invalid_request` naming the path parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or someone else's visit", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn my_appeals(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(visit_id): AppPath<Uuid>,
) -> ApiResult<AppJson<Page<Appeal>>> {
    let items = appeals::mine(&state, &actor, visit_id).await?;
    Ok(AppJson(Page {
        items,
        next_cursor: None,
    }))
}

/// `?status=&limit=` of the appeal queue.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AppealQuery {
    /// `pending`, `upheld` or `rejected`; all when absent.
    #[param(value_type = Option<String>, pattern = "^\\s*(pending|upheld|rejected)?\\s*$", example = "pending")]
    status: Option<String>,
    /// At most this many, 1 to 500; default 500.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

/// The supervisors' queue: appeals at sites in the caller's jurisdiction (an admin:
/// all), oldest first, with the physician, site and date.
#[utoipa::path(get, path = "/api/v1/appeals", tag = "supervision",
    params(AppealQuery), security(("bearer" = [])),
    responses(
        (status = 200, body = Page<Appeal>),
        (status = 400, description = "`invalid_request` naming the parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn appeal_queue(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<AppealQuery>,
) -> ApiResult<AppJson<Page<Appeal>>> {
    let status = match one_of("status", &query.status, &["pending", "upheld", "rejected"])? {
        Some("pending") => Some(AppealStatus::Pending),
        Some("upheld") => Some(AppealStatus::Upheld),
        Some(_) => Some(AppealStatus::Rejected),
        None => None,
    };
    let limit = query.limit.unwrap_or(appeals::MAX_LIST);
    let items = appeals::queue(&state, &actor, status, limit).await?;
    Ok(AppJson(Page {
        items,
        next_cursor: None,
    }))
}

/// A supervisor within reach (or an admin) decides a pending appeal: `upheld` or
/// `rejected`, with a note the physician reads. Once; audited with before and after.
#[utoipa::path(post, path = "/api/v1/appeals/{id}/decision", tag = "supervision",
    params(("id" = Uuid, Path)), request_body = AppealDecision, security(("bearer" = [])),
    responses(
        (status = 200, description = "The appeal as decided", body = Appeal),
        (status = 400, description = "`invalid_request` naming the field", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or outside the caller's jurisdiction", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_decided`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn decide_appeal(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<AppealDecision>,
) -> ApiResult<AppJson<Appeal>> {
    Ok(AppJson(appeals::decide(&state, &actor, id, &body).await?))
}

/// `?format=` of the evidence pack.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EvidenceQuery {
    /// `json` (default) or `html` (one printable page).
    #[param(value_type = Option<String>, pattern = "^\\s*(json|html)?\\s*$", example = "html")]
    format: Option<String>,
}

/// A visit's evidence pack (证据包): the visit in full (fixes, fence version,
/// anomalies with their reviews and notes, activities, credit), every attempt
/// behind it (fix, accuracy, declared CRS, device, fence version, the code's kind
/// and step, verdict), the receiving clinic's confirmation, the appeals and the scan
/// photos by hash. `format=html` gives one printable page. Supervisors in reach,
/// admins and the site's clinic administrator; 404 otherwise.
#[utoipa::path(get, path = "/api/v1/visits/{id}/evidence", tag = "supervision",
    params(("id" = Uuid, Path), EvidenceQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "The evidence pack", content(
            (VisitEvidence = "application/json"),
            (String = "text/html"),
        )),
        (status = 400, description = "`invalid_request` naming `format`", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or outside the caller's reach", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn visit_evidence(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
    AppQuery(query): AppQuery<EvidenceQuery>,
) -> ApiResult<Response> {
    let html = match given(&query.format) {
        None | Some("json") => false,
        Some("html") => true,
        Some(_) => return Err(ApiError::invalid("format: expected json or html")),
    };
    let pack = appeals::evidence(&state, &actor, id).await?;
    if !html {
        return Ok(AppJson(pack).into_response());
    }
    let tz: Tz = state
        .store
        .organization(pack.detail.site.id)
        .await?
        .map_or(crate::domain::organization::DEFAULT_TIMEZONE, |o| {
            o.timezone
        });
    let page = evidence_html(&pack, tz);
    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    Ok((headers, page).into_response())
}

/// Escapes text for HTML element content and quoted attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

fn at(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string()
}

fn opt_at(t: Option<DateTime<Utc>>, tz: Tz) -> String {
    t.map_or_else(|| "—".to_owned(), |t| at(t, tz))
}

fn verdict_zh(verdict: &str) -> &str {
    match verdict {
        "accepted" => "通过",
        "flagged" => "通过（有异常）",
        "refused" => "拒绝",
        other => other,
    }
}

fn action_zh(action: &str) -> &str {
    match action {
        "check_in" => "签到",
        "check_out" => "签退",
        "presence" => "在岗抽查",
        other => other,
    }
}

fn appeal_zh(status: AppealStatus) -> &'static str {
    match status {
        AppealStatus::Pending => "待处理",
        AppealStatus::Upheld => "申诉成立",
        AppealStatus::Rejected => "申诉驳回",
    }
}

/// The evidence pack as one printable page (A4, Chinese), every value escaped.
pub fn evidence_html(pack: &VisitEvidence, tz: Tz) -> String {
    let d = &pack.detail;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>下基层服务证据包 {date} {name}</title>\
         <style>body{{font-family:sans-serif;font-size:12px;margin:16px}}h1{{font-size:18px;text-align:center}}\
         h2{{font-size:14px;margin-top:16px;border-bottom:1px solid #999}}table{{border-collapse:collapse;width:100%}}\
         th,td{{border:1px solid #999;padding:3px 5px;text-align:left;vertical-align:top}}th{{background:#eee}}\
         .muted{{color:#666}}@page{{size:A4;margin:12mm}}</style></head><body>\
         <h1>下基层服务证据包</h1>",
        date = esc(&d.visit.local_date.to_string()),
        name = esc(&d.physician.name),
    );
    let _ = write!(
        h,
        "<table id=\"visit\"><tr><th>医师</th><td>{}</td><th>派出单位</th><td>{}</td></tr>\
         <tr><th>受援单位</th><td>{}</td><th>服务日期</th><td>{}</td></tr>\
         <tr><th>签到</th><td>{}</td><th>签退</th><td>{}</td></tr>\
         <tr><th>计入情况</th><td colspan=\"3\">{}</td></tr></table>",
        esc(&d.physician.name),
        esc(d.physician.hospital_name.as_deref().unwrap_or("—")),
        esc(&d.site.name),
        esc(&d.visit.local_date.to_string()),
        at(d.visit.checked_in_at, tz),
        opt_at(d.visit.checked_out_at, tz),
        esc(&d.credit.reason_zh),
    );

    h.push_str("<h2>受援单位确认</h2>");
    match &pack.clinic_confirmation {
        Some(c) => {
            let verdict = match c.verdict {
                ClinicVerdict::Confirmed => "受援单位已确认",
                ClinicVerdict::Disputed => "受援单位有异议",
            };
            let _ = write!(
                h,
                "<p id=\"confirmation\"><strong>{verdict}</strong>　{}　{}　{}</p>",
                esc(c.confirmed_by_name.as_deref().unwrap_or("")),
                at(c.confirmed_at, tz),
                esc(&c.reason),
            );
        }
        None => h.push_str("<p id=\"confirmation\" class=\"muted\">受援单位尚未确认</p>"),
    }

    let _ = write!(
        h,
        "<h2>扫码记录（共{}次）</h2><table id=\"attempts\"><tr><th>动作</th><th>结果</th><th>扫码时间</th>\
         <th>接收时间</th><th>定位（WGS-84）</th><th>上报坐标/坐标系</th><th>精度</th><th>模拟定位</th>\
         <th>定位时间</th><th>设备</th><th>签到码</th><th>围栏版本/距离</th><th>原因</th></tr>",
        pack.attempts.len()
    );
    for a in &pack.attempts {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.6}, {:.6}</td><td>{:.6}, {:.6} {}</td>\
             <td>{:.1} 米</td><td>{}</td><td>{}</td><td>{}</td><td>{} {}</td><td>{} / {}</td><td>{}</td></tr>",
            action_zh(&a.action),
            verdict_zh(&a.verdict),
            at(a.scanned_at, tz),
            at(a.received_at, tz),
            a.lat,
            a.lon,
            a.reported_lat,
            a.reported_lon,
            esc(&a.crs),
            a.accuracy_m,
            if a.is_mock { "是" } else { "否" },
            opt_at(a.fix_time, tz),
            esc(&a.device_id),
            esc(a.code_kind.as_deref().unwrap_or("—")),
            a.code_step
                .map_or_else(|| "—".to_owned(), |s| s.to_string()),
            a.geofence_version
                .map_or_else(|| "—".to_owned(), |v| format!("v{v}")),
            a.distance_to_fence_m
                .map_or_else(|| "—".to_owned(), |m| format!("{m:.0} 米")),
            esc(&a
                .refusal_code
                .iter()
                .chain(a.reasons.iter())
                .cloned()
                .collect::<Vec<_>>()
                .join("、")),
        );
    }
    h.push_str("</table>");

    let _ = write!(h, "<h2>异常与审核（共{}条）</h2>", d.anomalies.len());
    if d.anomalies.is_empty() {
        h.push_str("<p class=\"muted\">无异常</p>");
    } else {
        h.push_str("<table id=\"anomalies\"><tr><th>异常</th><th>说明</th><th>发现时间</th><th>审核</th></tr>");
        for a in &d.anomalies {
            let review = a.review.as_ref().map_or_else(
                || "待审核".to_owned(),
                |r| {
                    format!(
                        "{}　{}：{}",
                        if a.status == "dismissed" {
                            "排除"
                        } else {
                            "确认"
                        },
                        at(r.reviewed_at, tz),
                        r.note
                    )
                },
            );
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&a.label_zh),
                esc(&a.summary_zh),
                at(a.detected_at, tz),
                esc(&review),
            );
        }
        h.push_str("</table>");
    }

    let _ = write!(h, "<h2>申诉（共{}条）</h2>", pack.appeals.len());
    if pack.appeals.is_empty() {
        h.push_str("<p class=\"muted\">无申诉</p>");
    } else {
        h.push_str("<table id=\"appeals\"><tr><th>提交时间</th><th>申诉理由</th><th>处理结果</th><th>处理意见</th></tr>");
        for a in &pack.appeals {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                at(a.created_at, tz),
                esc(&a.note),
                appeal_zh(a.status),
                esc(a.decision_note.as_deref().unwrap_or("—")),
            );
        }
        h.push_str("</table>");
    }

    let _ = write!(h, "<h2>扫码照片（共{}张）</h2>", pack.photos.len());
    if pack.photos.is_empty() {
        h.push_str("<p class=\"muted\">无照片</p>");
    } else {
        h.push_str("<table id=\"photos\"><tr><th>上传时间</th><th>类型</th><th>大小</th><th>SHA-256</th></tr>");
        for p in &pack.photos {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{} 字节</td><td><code>{}</code></td></tr>",
                at(p.uploaded_at, tz),
                esc(&p.content_type),
                p.bytes,
                esc(&p.sha256),
            );
        }
        h.push_str("</table>");
    }
    let _ = write!(
        h,
        "<p class=\"muted\">生成时间：{}　服务记录编号：{}</p>\
         <p>核查人（签字）：＿＿＿＿＿＿　　日期：＿＿＿＿＿＿</p></body></html>",
        at(pack.generated_at, tz),
        d.visit.id,
    );
    h
}
