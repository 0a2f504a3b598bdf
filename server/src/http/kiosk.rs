//! Kiosk endpoints: the rotating code a clinic's wall screen shows, its page, and printable daily codes.

use std::fmt::Write as _;
use std::sync::OnceLock;

use axum::extract::State;
use axum::http::header::{
    ACCEPT, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, VARY,
    X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, Utc, Weekday};
use chrono_tz::Tz;
use mobile_api::{CodeKind, DailyCode, DailyCodeSheet, KioskCode, Problem};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::cache::keys::{self, KioskCodeEntry};
use crate::domain::access::{Actor, Role};
use crate::domain::kiosk_code::{self, IssuedCode, SiteSecret};
use crate::domain::organization::Organization;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{AppJson, AppPath, AppQuery, KioskCaller, PublicUrl};
use crate::http::inline_page::{inline_block, sha256_source};
use crate::qr;
use crate::service::admin::organizations::reachable_organization;
use crate::state::AppState;

/// The wall-screen page: static, self-contained, and given its token in the URL fragment.
const KIOSK_PAGE: &str = include_str!("kiosk_page.html");

/// The rotating step the code belongs to; changes when the screen must change.
const X_CODE_STEP: HeaderName = HeaderName::from_static("x-code-step");
/// When the screen must show the next code (RFC 3339, UTC).
const X_CODE_VALID_UNTIL: HeaderName = HeaderName::from_static("x-code-valid-until");
/// The server's clock when it answered, so a screen with a wrong clock still counts down right.
const X_SERVER_TIME: HeaderName = HeaderName::from_static("x-server-time");
/// The site's IANA time zone, so the screen shows the site's date rather than its own.
const X_SITE_TIMEZONE: HeaderName = HeaderName::from_static("x-site-timezone");

const DEFAULT_DAYS: u32 = 7;
/// A month of printed codes at most: a lost sheet should not stay useful for long.
const MAX_DAYS: u32 = 31;
const DAILY_CODE_ROLES: [Role; 3] = [Role::Admin, Role::Supervisor, Role::ClinicAdmin];

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(kiosk_code))
        .routes(routes!(kiosk_code_svg))
        .routes(routes!(daily_codes))
}

/// `GET /kiosk`: the wall-screen page. Kept out of the OpenAPI document: it is a page, not an API.
pub async fn page() -> Response {
    let headers = [
        (
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        ),
        (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (CONTENT_SECURITY_POLICY, page_policy().clone()),
        (REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        (X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
    ];
    (headers, KIOSK_PAGE).into_response()
}

/// The page's policy: its one inline script and style pinned by hash (an injected
/// `<script>` never runs), the QR through a blob: URL, and fetches to this server only.
fn page_policy() -> &'static HeaderValue {
    static CSP: OnceLock<HeaderValue> = OnceLock::new();
    CSP.get_or_init(|| {
        let script = inline_block(KIOSK_PAGE, "script").map_or_else(String::new, sha256_source);
        let style = inline_block(KIOSK_PAGE, "style").map_or_else(String::new, sha256_source);
        let policy = format!(
            "default-src 'none'; script-src {script}; style-src {style}; img-src blob: data:; \
             connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        );
        // ASCII by construction (keywords and base64).
        HeaderValue::from_str(&policy)
            .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
    })
}

/// The current rotating code of the calling kiosk's site.
///
/// Also answers `X-Server-Time` and `X-Site-Timezone` so the screen can count down and
/// show the site's date even when its own clock is wrong.
#[utoipa::path(get, path = "/api/v1/kiosk/code", tag = "kiosk", security(("bearer" = [])),
    responses(
        (status = 200, body = KioskCode, headers(
            ("X-Server-Time" = String, description = "The server's clock (RFC 3339)"),
            ("X-Site-Timezone" = String, description = "The site's IANA time zone"),
        )),
        (status = 401, description = "Missing, invalid or revoked kiosk token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A person's token, not a kiosk's", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn kiosk_code(
    State(state): State<AppState>,
    caller: KioskCaller,
    PublicUrl(public_url): PublicUrl,
) -> ApiResult<Response> {
    let (mut code, timezone) = current_code(&state, caller).await?;
    code.url = kiosk_code::code_url(&public_url, &code.payload);
    let headers = code_headers(&state, &code, timezone)?;
    Ok((headers, AppJson(code)).into_response())
}

/// The same code as [`kiosk_code`], drawn as a QR code of its `url`
/// (`<public url>/m/#c=<payload>`), which any phone camera opens.
#[utoipa::path(get, path = "/api/v1/kiosk/code.svg", tag = "kiosk", security(("bearer" = [])),
    responses(
        (status = 200, description = "The current code's `url` (the phone page with the payload in its fragment) as a QR code", body = String, content_type = "image/svg+xml", headers(
            ("X-Code-Step" = i64, description = "The code's step"),
            ("X-Code-Valid-Until" = String, description = "When the screen must show the next code (RFC 3339)"),
            ("X-Server-Time" = String, description = "The server's clock (RFC 3339)"),
            ("X-Site-Timezone" = String, description = "The site's IANA time zone"),
        )),
        (status = 401, description = "Missing, invalid or revoked kiosk token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A person's token, not a kiosk's", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn kiosk_code_svg(
    State(state): State<AppState>,
    caller: KioskCaller,
    PublicUrl(public_url): PublicUrl,
) -> ApiResult<Response> {
    let (code, timezone) = current_code(&state, caller).await?;
    let url = kiosk_code::code_url(&public_url, &code.payload);
    let svg = qr::svg(&url).map_err(ApiError::internal)?;
    let mut headers = code_headers(&state, &code, timezone)?;
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"));
    Ok((headers, svg).into_response())
}

/// `?from=&days=` of the daily codes, parsed by hand so that a bad value is a 400 naming it.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DailyCodesQuery {
    /// First local date (`YYYY-MM-DD`); default today at the site.
    #[param(value_type = Option<String>, format = Date, example = "2026-03-02")]
    from: Option<String>,
    /// How many consecutive days, 1 to 31; default 7.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 31)]
    days: Option<String>,
}

/// Printable daily codes (`kind: "daily"`) for a site without a screen: one per local
/// date, each valid on that date only, each QR carrying its `url` (the phone page). JSON by default; a page to print (one A4 card per
/// day) when the `Accept` header prefers `text/html`.
#[utoipa::path(get, path = "/api/v1/organizations/{id}/daily-codes", tag = "kiosk",
    params(("id" = Uuid, Path), DailyCodesQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "The codes, as JSON or as a printable page", content(
            (DailyCodeSheet = "application/json"),
            (String = "text/html"),
        )),
        (status = 400, description = "`invalid_request`: `from` or `days` out of range", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn daily_codes(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(site_id): AppPath<Uuid>,
    AppQuery(query): AppQuery<DailyCodesQuery>,
    PublicUrl(public_url): PublicUrl,
    request_headers: HeaderMap,
) -> ApiResult<Response> {
    actor.require(&DAILY_CODE_ROLES)?;
    let site = reachable_organization(&state, &actor, site_id).await?;
    let days = parse_days(query.days.as_deref())?;
    // A blank `from` is no `from`, as for every optional query filter with a format.
    let from = match super::extract::given(&query.from) {
        Some(raw) => parse_from(raw)?,
        None => state.now().with_timezone(&site.timezone).date_naive(),
    };
    // Check the whole range first: the last date must exist too.
    if from
        .checked_add_days(chrono::Days::new(u64::from(days)))
        .is_none()
    {
        return Err(ApiError::invalid("from: too far in the future"));
    }
    let secret = site_secret(&state, site.id).await?;
    let codes: Vec<DailyCode> = from
        .iter_days()
        .take(days as usize)
        .map(|date| {
            let issued = kiosk_code::issue_daily(site.id, &secret, date, site.timezone);
            DailyCode {
                date,
                url: kiosk_code::code_url(&public_url, &issued.payload),
                payload: issued.payload,
                kind: CodeKind::Daily,
                valid_until: issued.valid_until,
            }
        })
        .collect();
    let sheet = DailyCodeSheet {
        site_id: site.id,
        site_name: site.name.clone(),
        codes,
    };
    let mut headers = HeaderMap::new();
    // Future days' codes are as good as a key: keep them out of every cache.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(VARY, HeaderValue::from_static("Accept"));
    if prefers_html(&request_headers) {
        let page = daily_sheet_html(&sheet, &site)?;
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        headers.insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
        );
        Ok((headers, page).into_response())
    } else {
        Ok((headers, AppJson(sheet)).into_response())
    }
}

/// The kiosk's site's current rotating code, with the site's time zone.
///
/// Cached per (site, period, step) until the step ends, so every kiosk of a site, on
/// any process sharing Redis, reads the site's secret and name once per step; the
/// check-in path recognises this exact payload from the same entry. A site renamed
/// or moved to another time zone shows so from the next step.
async fn current_code(state: &AppState, caller: KioskCaller) -> ApiResult<(KioskCode, Tz)> {
    let contact = crate::service::admin::kiosks::Contact {
        kiosk_id: caller.kiosk_id,
        site_id: caller.site_id,
        ip: caller.ip,
        pinned_network: caller.pinned_network.as_deref(),
        label: caller.label.as_deref(),
    };
    crate::service::admin::kiosks::record_contact(state, &contact).await?;
    let period = state.config.qr_period_seconds.max(1);
    let now = state.now();
    let key = keys::kiosk_code(
        caller.site_id,
        period,
        kiosk_code::rotating_step(now, period),
    );
    if let Some(cached) = state.cache.get(&key).await
        && let Ok(KioskCodeEntry { code, timezone }) =
            serde_json::from_str::<KioskCodeEntry>(&cached)
        && let Ok(tz) = timezone.parse::<Tz>()
    {
        return Ok((code, tz));
    }
    let site = state
        .store
        .organization(caller.site_id)
        .await?
        // A kiosk token names a site that was there when it was issued; nothing deletes sites.
        .ok_or_else(|| ApiError::internal(format!("kiosk site {} is missing", caller.site_id)))?;
    let secret = site_secret(state, site.id).await?;
    let IssuedCode {
        payload,
        step,
        valid_until,
        ..
    } = kiosk_code::issue_rotating(site.id, &secret, now, period);
    let code = KioskCode {
        payload,
        kind: CodeKind::Rotating,
        step,
        valid_until,
        site_id: site.id,
        site_name: site.name,
        period_seconds: period,
        // Per request: phones may reach the server by several addresses.
        url: String::new(),
    };
    let cached = KioskCodeEntry {
        code,
        timezone: site.timezone.name().to_owned(),
    };
    if let Ok(text) = serde_json::to_string(&cached)
        && let Ok(ttl) = (valid_until - now).to_std()
        && !ttl.is_zero()
    {
        state.cache.set(&key, &text, ttl).await;
    }
    Ok((cached.code, site.timezone))
}

async fn site_secret(state: &AppState, site_id: Uuid) -> ApiResult<SiteSecret> {
    state
        .store
        .kiosk_secret(site_id)
        .await?
        .ok_or_else(|| ApiError::internal(format!("no kiosk secret for site {site_id}")))
}

fn code_headers(state: &AppState, code: &KioskCode, timezone: Tz) -> ApiResult<HeaderMap> {
    let mut headers = HeaderMap::new();
    // A code must never be served from a cache after it has changed.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(X_CODE_STEP, HeaderValue::from(code.step));
    headers.insert(
        X_CODE_VALID_UNTIL,
        header_value(&rfc3339(code.valid_until))?,
    );
    headers.insert(X_SERVER_TIME, header_value(&rfc3339(state.now()))?);
    headers.insert(X_SITE_TIMEZONE, header_value(timezone.name())?);
    Ok(headers)
}

fn rfc3339(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn header_value(text: &str) -> ApiResult<HeaderValue> {
    HeaderValue::from_str(text).map_err(ApiError::internal)
}

fn parse_days(raw: Option<&str>) -> ApiResult<u32> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_DAYS);
    };
    raw.trim()
        .parse::<u32>()
        .ok()
        .filter(|days| (1..=MAX_DAYS).contains(days))
        .ok_or_else(|| {
            ApiError::invalid(format!("days: must be an integer between 1 and {MAX_DAYS}"))
        })
}

fn parse_from(raw: &str) -> ApiResult<NaiveDate> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::invalid("from: must be a date as YYYY-MM-DD"))
}

/// True when the `Accept` header ranks `text/html` above `application/json`.
///
/// Ties (no header, `*/*`) go to JSON, the API's default. The most specific matching
/// range decides each type's weight, as RFC 9110 says.
fn prefers_html(headers: &HeaderMap) -> bool {
    let ranges: Vec<(String, f32)> = headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(media_range)
        .collect();
    weight(&ranges, "text", "html") > weight(&ranges, "application", "json")
}

/// `type/subtype;q=0.8` -> (`type/subtype` lower-cased, 0.8). A malformed weight counts as 0.
fn media_range(text: &str) -> Option<(String, f32)> {
    let mut parts = text.split(';');
    let range = parts.next()?.trim().to_ascii_lowercase();
    if !range.contains('/') {
        return None;
    }
    let mut q = 1.0;
    for param in parts {
        if let Some((name, value)) = param.split_once('=')
            && name.trim().eq_ignore_ascii_case("q")
        {
            q = value
                .trim()
                .parse::<f32>()
                .ok()
                .filter(|q| (0.0..=1.0).contains(q))
                .unwrap_or(0.0);
        }
    }
    Some((range, q))
}

fn weight(ranges: &[(String, f32)], kind: &str, subtype: &str) -> f32 {
    let exact = format!("{kind}/{subtype}");
    let family = format!("{kind}/*");
    [exact.as_str(), family.as_str(), "*/*"]
        .iter()
        .find_map(|wanted| {
            ranges
                .iter()
                .filter(|(range, _)| range == wanted)
                .map(|(_, q)| *q)
                .reduce(f32::max)
        })
        .unwrap_or(0.0)
}

/// Escapes text for HTML element content and quoted attribute values.
fn escape_html(text: &str) -> String {
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

fn weekday_zh(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "星期一",
        Weekday::Tue => "星期二",
        Weekday::Wed => "星期三",
        Weekday::Thu => "星期四",
        Weekday::Fri => "星期五",
        Weekday::Sat => "星期六",
        Weekday::Sun => "星期日",
    }
}

const SHEET_STYLE: &str = r#"
@page { size: A4 portrait; margin: 12mm; }
* { box-sizing: border-box; }
body { margin: 0; background: #eef1f0; color: #111;
  font-family: "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC",
    "Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif; }
.note { max-width: 186mm; margin: 8mm auto 0; font-size: 11pt; color: #444; }
.card { width: 186mm; min-height: 260mm; margin: 8mm auto; padding: 14mm 12mm;
  background: #fff; border: 1px solid #ccc; display: flex; flex-direction: column;
  align-items: center; text-align: center; break-inside: avoid; page-break-inside: avoid; }
.card h1 { font-size: 26pt; margin: 0 0 2mm; }
.kind { font-size: 12pt; color: #555; margin: 0 0 8mm; }
.date { font-size: 30pt; font-weight: bold; margin: 0; }
.date-en { font-size: 13pt; color: #333; margin: 1mm 0 6mm; }
.qr { width: 140mm; height: 140mm; }
.qr svg { width: 100%; height: 100%; display: block; }
.valid { font-size: 20pt; font-weight: bold; margin: 6mm 0 2mm; }
.small { font-size: 10pt; color: #555; margin: 1mm 0; }
@media print {
  body { background: #fff; }
  .note { display: none; }
  .card { margin: 0 auto; border: none; min-height: 0; break-after: page; page-break-after: always; }
  .card:last-of-type { break-after: auto; page-break-after: auto; }
}
"#;

/// One A4 card per day: site, date, a large QR and its validity.
fn daily_sheet_html(sheet: &DailyCodeSheet, site: &Organization) -> ApiResult<String> {
    let site_name = escape_html(&sheet.site_name);
    let zone = escape_html(site.timezone.name());
    let span = match (sheet.codes.first(), sheet.codes.last()) {
        (Some(first), Some(last)) => format!("{} – {}", first.date, last.date),
        _ => String::new(),
    };
    let mut out = String::with_capacity(4096 + sheet.codes.len() * 8192);
    // `write!` into a String cannot fail; the results are ignored on purpose.
    let _ = write!(
        out,
        concat!(
            "<!doctype html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
            "<title>{site} 每日签到码 / daily check-in codes {span}</title>\n",
            "<style>{style}</style>\n</head>\n<body>\n",
            "<p class=\"note\">用浏览器打印本页，每天一张（A4）。请妥善保管，勿拍照外传。<br>",
            "<small>Print this page from your browser: one A4 card per day. Keep the sheets at the clinic; ",
            "anyone holding a card can check in on its date.</small></p>\n",
        ),
        site = site_name,
        span = escape_html(&span),
        style = SHEET_STYLE,
    );
    for code in &sheet.codes {
        let svg = qr::svg(&code.url).map_err(ApiError::internal)?;
        let local_end = code.valid_until.with_timezone(&site.timezone);
        let _ = write!(
            out,
            concat!(
                "<section class=\"card\">\n",
                "<h1>{site}</h1>\n",
                "<p class=\"kind\">医师下基层 每日签到码 · daily check-in code</p>\n",
                "<p class=\"date\">{y}年{m}月{d}日 {weekday_zh}</p>\n",
                "<p class=\"date-en\">{iso} ({weekday_en})</p>\n",
                "<div class=\"qr\">{svg}</div>\n",
                "<p class=\"valid\">仅限当日有效 / valid on this date only</p>\n",
                "<p class=\"small\">到岗、离岗时各扫一次 · scan on arrival and on leaving</p>\n",
                "<p class=\"small\">有效至 / valid until {end} ({zone})</p>\n",
                "</section>\n",
            ),
            site = site_name,
            y = code.date.year(),
            m = code.date.month(),
            d = code.date.day(),
            weekday_zh = weekday_zh(code.date.weekday()),
            iso = escape_html(&code.date.to_string()),
            weekday_en = code.date.weekday(),
            svg = svg,
            end = escape_html(&local_end.format("%Y-%m-%d %H:%M").to_string()),
            zone = zone,
        );
    }
    out.push_str("</body>\n</html>\n");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_str(value).expect("header"));
        headers
    }

    #[test]
    fn a_browser_gets_html_and_an_api_client_json() {
        let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert!(prefers_html(&accept(browser)));
        assert!(prefers_html(&accept("text/html")));
        assert!(prefers_html(&accept("TEXT/HTML; charset=utf-8")));
        assert!(!prefers_html(&HeaderMap::new()));
        assert!(!prefers_html(&accept("*/*")));
        assert!(!prefers_html(&accept("application/json")));
        assert!(!prefers_html(&accept("application/json, text/html;q=0.5")));
        assert!(!prefers_html(&accept("text/html;q=0, */*")));
        assert!(!prefers_html(&accept("text/html;q=bogus")));
    }

    #[test]
    fn the_page_policy_pins_its_inline_script_and_style() {
        let policy = page_policy().to_str().expect("ascii").to_owned();
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        let script = inline_block(KIOSK_PAGE, "script").expect("script");
        assert!(policy.contains(&format!("script-src {};", sha256_source(script))));
        let style = inline_block(KIOSK_PAGE, "style").expect("style");
        assert!(policy.contains(&format!("style-src {};", sha256_source(style))));
        assert!(!KIOSK_PAGE.contains("innerHTML"), "text goes in as text");
        assert_eq!(KIOSK_PAGE.matches("<script>").count(), 1);
        assert_eq!(KIOSK_PAGE.matches("<style>").count(), 1);
    }

    #[test]
    fn html_special_characters_are_escaped() {
        assert_eq!(
            escape_html(r#"<a href="x">&'卫生院'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;卫生院&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn days_default_to_a_week_and_stay_within_a_month() {
        assert_eq!(parse_days(None).ok(), Some(DEFAULT_DAYS));
        assert_eq!(parse_days(Some("1")).ok(), Some(1));
        assert_eq!(parse_days(Some("31")).ok(), Some(31));
        for bad in ["0", "32", "-1", "", "seven", "1.5"] {
            assert!(parse_days(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn from_must_be_an_iso_date() {
        assert_eq!(
            parse_from("2026-03-02").ok(),
            NaiveDate::from_ymd_opt(2026, 3, 2)
        );
        for bad in ["2026-13-01", "2026-02-30", "02/03/2026", "", "today"] {
            assert!(parse_from(bad).is_err(), "{bad}");
        }
    }
}
