//! Kiosk: the rotating code on a clinic's wall screen, its QR picture and page, and
//! printable daily codes.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use mobile_api::{CodeKind, DailyCodeSheet, OrganizationKind};
use reqwest::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use xiaxiang_server::domain::clock::Clock;

use crate::helpers::*;

const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

fn period(app: &TestApp) -> i64 {
    i64::from(app.config.qr_period_seconds)
}

#[tokio::test]
async fn kiosk_code_is_a_short_ascii_rotating_payload_for_the_kiosk_site() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let kiosk = app.client(&world.kiosk.token);

    let code = kiosk.kiosk_code().await.expect("kiosk code");

    assert!(code.payload.is_ascii(), "{}", code.payload);
    assert!(code.payload.len() <= 120, "{}", code.payload.len());
    assert_eq!(code.kind, CodeKind::Rotating);
    assert_eq!(code.site_id, world.site.id);
    assert_eq!(code.site_name, world.site.name);
    assert_eq!(code.period_seconds, app.config.qr_period_seconds);
    let now = app.clock.now();
    assert!(code.valid_until > now, "{} <= {now}", code.valid_until);
    assert!(code.valid_until <= now + Duration::seconds(period(&app)));
}

#[tokio::test]
async fn code_step_changes_after_the_period_elapses_and_valid_until_moves() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let kiosk = app.client(&world.kiosk.token);

    let first = kiosk.kiosk_code().await.expect("first code");
    app.clock.advance(Duration::seconds(1));
    let same_step = kiosk.kiosk_code().await.expect("same step");
    assert_eq!(
        same_step, first,
        "within one period the code does not change"
    );

    app.clock.advance(Duration::seconds(period(&app)));
    let next = kiosk.kiosk_code().await.expect("next code");

    assert_eq!(next.step, first.step + 1);
    assert_eq!(
        next.valid_until,
        first.valid_until + Duration::seconds(period(&app))
    );
    assert_ne!(next.payload, first.payload);
}

#[tokio::test]
async fn served_svg_decodes_to_the_phone_page_link_with_the_json_payload() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let kiosk = app.client(&world.kiosk.token);

    let code = kiosk.kiosk_code().await.expect("code");
    let svg = kiosk.kiosk_code_svg().await.expect("svg");
    assert_eq!(
        qr_test::decode_svg(&svg),
        format!("{}/m/#c={}", app.address, code.payload)
    );
    assert_eq!(qr_test::decode_svg(&svg), code.url);

    let response = kiosk
        .request(Method::GET, "/api/v1/kiosk/code.svg")
        .send()
        .await
        .expect("server answers");
    assert_eq!(response.status(), StatusCode::OK);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .unwrap_or_default()
    };
    assert_eq!(header(CONTENT_TYPE.as_str()), "image/svg+xml");
    assert_eq!(header(CACHE_CONTROL.as_str()), "no-store");
    assert_eq!(header("x-code-step"), code.step.to_string());
    let valid_until: DateTime<Utc> = header("x-code-valid-until").parse().expect("RFC 3339");
    assert_eq!(valid_until, code.valid_until);
    assert_eq!(header("x-site-timezone"), "Asia/Shanghai");
}

#[tokio::test]
async fn revoked_kiosk_gets_401() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let kiosk = app.client(&world.kiosk.token);
    kiosk.kiosk_code().await.expect("works before revocation");

    app.admin
        .revoke_kiosk(world.kiosk.kiosk_id)
        .await
        .expect("revoke");

    let error = kiosk.kiosk_code().await.expect_err("revoked");
    assert_eq!(error.status(), Some(StatusCode::UNAUTHORIZED), "{error}");
    let error = kiosk.kiosk_code_svg().await.expect_err("revoked");
    assert_eq!(error.status(), Some(StatusCode::UNAUTHORIZED), "{error}");
}

#[tokio::test]
async fn physician_token_on_kiosk_code_is_forbidden() {
    let app = TestApp::spawn().await;
    let world = app.world().await;

    for path in ["/api/v1/kiosk/code", "/api/v1/kiosk/code.svg"] {
        let result = app
            .send(&world.physician.client, Method::GET, path, None)
            .await;
        assert_problem(result, StatusCode::FORBIDDEN, "forbidden");
    }
}

#[tokio::test]
async fn kiosk_code_without_token_is_unauthorized() {
    let app = TestApp::spawn().await;

    for path in ["/api/v1/kiosk/code", "/api/v1/kiosk/code.svg"] {
        let (status, body) = app.send(&app.anonymous, Method::GET, path, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}: {body}");
    }
}

#[tokio::test]
async fn daily_codes_json_has_n_daily_codes_on_consecutive_dates() {
    let app = TestApp::spawn().await;
    let world = app.world().await;

    let sheet = world
        .clinic_admin
        .client
        .daily_codes(world.site.id, "2026-03-02", 5)
        .await
        .expect("daily codes");

    assert_eq!(sheet.site_id, world.site.id);
    assert_eq!(sheet.site_name, world.site.name);
    assert_eq!(sheet.codes.len(), 5);
    let first = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
    for (code, date) in sheet.codes.iter().zip(first.iter_days()) {
        assert_eq!(code.kind, CodeKind::Daily);
        assert_eq!(code.date, date);
        assert!(code.payload.is_ascii() && code.payload.len() <= 120);
        // Valid until the next local midnight in Shanghai (UTC+8).
        let next_midnight = date.and_hms_opt(16, 0, 0).expect("time").and_utc();
        assert_eq!(code.valid_until, next_midnight);
    }
    let mut payloads: Vec<&str> = sheet.codes.iter().map(|c| c.payload.as_str()).collect();
    payloads.sort_unstable();
    payloads.dedup();
    assert_eq!(payloads.len(), 5, "one distinct code per day");
}

#[tokio::test]
async fn daily_codes_default_to_seven_days_from_today_in_the_site_zone() {
    // 17:00 UTC on the 2nd is already 01:00 on the 3rd in Shanghai.
    let start = Utc
        .with_ymd_and_hms(2026, 3, 2, 17, 0, 0)
        .single()
        .expect("instant");
    let app = TestApp::builder().at(start).spawn().await;
    let world = app.world().await;

    let path = format!("/api/v1/organizations/{}/daily-codes", world.site.id);
    let (status, body) = app
        .send(&world.supervisor.client, Method::GET, &path, None)
        .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    let sheet: DailyCodeSheet = serde_json::from_value(body).expect("a code sheet");
    assert_eq!(sheet.codes.len(), 7);
    assert_eq!(
        sheet.codes.first().map(|c| c.date),
        NaiveDate::from_ymd_opt(2026, 3, 3)
    );
}

#[tokio::test]
async fn daily_codes_html_is_printable_with_one_qr_per_day() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let days = 3;
    let sheet = app
        .admin
        .daily_codes(world.site.id, "2026-03-02", days)
        .await
        .expect("json");

    let path = format!(
        "/api/v1/organizations/{}/daily-codes?from=2026-03-02&days={days}",
        world.site.id
    );
    let response = app
        .admin
        .request(Method::GET, &path)
        .header(ACCEPT, BROWSER_ACCEPT)
        .send()
        .await
        .expect("server answers");

    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let html = response.text().await.expect("body");
    assert!(html.contains(&world.site.name));
    assert!(html.contains("仅限当日有效"));
    assert!(html.contains("@media print"));
    assert_eq!(html.matches("<svg").count(), days as usize);
    // Each card's QR is that day's code, as a link to the phone page.
    let svgs: Vec<&str> = html
        .split("<svg")
        .skip(1)
        .map(|rest| {
            let end = rest.find("</svg>").expect("svg closes") + "</svg>".len();
            &rest[..end]
        })
        .collect();
    for (svg, code) in svgs.iter().zip(&sheet.codes) {
        assert_eq!(
            qr_test::decode_svg(&format!("<svg{svg}")),
            format!("{}/m/#c={}", app.address, code.payload)
        );
        assert_eq!(code.url, format!("{}/m/#c={}", app.address, code.payload));
    }
}

#[tokio::test]
async fn daily_codes_html_escapes_the_site_name() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let site = app
        .organization(
            "<b>\"村\" & 'clinic'</b>",
            OrganizationKind::VillageClinic,
            &world.county,
            None,
        )
        .await;

    let path = format!("/api/v1/organizations/{}/daily-codes?days=1", site.id);
    let html = app
        .admin
        .request(Method::GET, &path)
        .header(ACCEPT, "text/html")
        .send()
        .await
        .expect("server answers")
        .text()
        .await
        .expect("body");

    assert!(!html.contains("<b>"), "{html}");
    assert!(
        html.contains("&lt;b&gt;&quot;村&quot; &amp; &#39;clinic&#39;&lt;/b&gt;"),
        "{html}"
    );
}

#[tokio::test]
async fn daily_codes_are_for_admins_supervisors_and_the_clinic_admin() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let path = format!("/api/v1/organizations/{}/daily-codes?days=1", world.site.id);

    for client in [
        &app.admin,
        &world.supervisor.client,
        &world.clinic_admin.client,
    ] {
        let (status, body) = app.send(client, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let kiosk = app.client(&world.kiosk.token);
    assert_problem(
        app.send(&kiosk, Method::GET, &path, None).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
}

#[tokio::test]
async fn daily_codes_by_the_other_supervisor_are_not_found() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let path = format!("/api/v1/organizations/{}/daily-codes", world.site.id);

    let result = app
        .send(&world.other_supervisor.client, Method::GET, &path, None)
        .await;

    assert_problem(result, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn daily_codes_by_the_physician_are_forbidden() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let path = format!("/api/v1/organizations/{}/daily-codes", world.site.id);

    let result = app
        .send(&world.physician.client, Method::GET, &path, None)
        .await;

    assert_problem(result, StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn daily_codes_out_of_range_parameters_are_invalid_requests_naming_them() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let base = format!("/api/v1/organizations/{}/daily-codes", world.site.id);

    for (query, parameter) in [
        ("days=0", "days"),
        ("days=40", "days"),
        ("days=seven", "days"),
        ("from=2026-02-30", "from"),
        ("from=03/02/2026&days=2", "from"),
    ] {
        let result = app
            .send(&app.admin, Method::GET, &format!("{base}?{query}"), None)
            .await;
        let body = assert_problem(result, StatusCode::BAD_REQUEST, "invalid_request");
        let detail = body["detail"].as_str().unwrap_or_default();
        assert!(detail.starts_with(parameter), "{query}: {detail}");
    }
}

#[tokio::test]
async fn kiosk_page_is_html_with_a_countdown_that_fetches_the_code() {
    let app = TestApp::spawn().await;

    let response = app
        .anonymous
        .request(Method::GET, "/kiosk")
        .send()
        .await
        .expect("server answers");

    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let html = response.text().await.expect("body");
    assert!(html.contains(r#"id="countdown""#));
    assert!(html.contains("'/api/v1/kiosk/code'"));
    assert!(html.contains("'/api/v1/kiosk/code.svg'"));
    assert!(html.contains("localStorage"));
    assert!(html.contains("kiosk revoked or token invalid"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "nothing external"
    );
}

/// Reads back the SVGs `xiaxiang_server::qr::svg` draws (a background `rect` and one
/// `path` of `M{x} {y}h{n}v1h-{n}z` runs) and decodes them with rqrr, as a phone would.
/// Copied from the server's own unit test: anything else in the SVG fails the test.
pub(crate) mod qr_test {
    /// Pixels per module when rasterising.
    const SCALE: usize = 4;

    struct Raster {
        size: usize,
        dark: Vec<bool>,
    }

    fn attr<'a>(tag: &'a str, name: &str) -> &'a str {
        let key = format!(" {name}=\"");
        let start = tag
            .find(&key)
            .unwrap_or_else(|| panic!("no {name} in {tag}"))
            + key.len();
        let len = tag[start..].find('"').expect("attribute closes");
        &tag[start..start + len]
    }

    fn number(text: &str) -> (i64, &str) {
        let end = text
            .find(|c: char| !(c.is_ascii_digit() || c == '-'))
            .unwrap_or(text.len());
        let value = text[..end].parse().expect("a number");
        (value, &text[end..])
    }

    fn rasterise_modules(svg: &str) -> Raster {
        assert!(svg.starts_with("<svg "), "{svg}");
        assert!(svg.ends_with("</svg>"), "{svg}");
        let open = &svg[..svg.find('>').expect("svg tag closes")];
        let view_box: Vec<usize> = attr(open, "viewBox")
            .split(' ')
            .map(|n| n.parse().expect("viewBox number"))
            .collect();
        assert_eq!(view_box.len(), 4);
        assert_eq!(view_box[..2], [0, 0]);
        assert_eq!(view_box[2], view_box[3], "square");
        let size = view_box[2];

        let rect_start = svg.find("<rect ").expect("background rect");
        let rect = &svg[rect_start..rect_start + svg[rect_start..].find("/>").expect("rect")];
        assert_eq!(attr(rect, "fill"), "#ffffff");
        assert_eq!(attr(rect, "width"), size.to_string());
        assert_eq!(attr(rect, "height"), size.to_string());
        assert_eq!(svg.matches("<rect ").count(), 1);

        let path_start = svg.find("<path ").expect("module path");
        let path = &svg[path_start..path_start + svg[path_start..].find("/>").expect("path")];
        assert_eq!(attr(path, "fill"), "#000000");
        assert_eq!(svg.matches("<path ").count(), 1);
        assert!(rect_start < path_start, "background is painted first");

        let mut dark = vec![false; size * size];
        let mut d = attr(path, "d");
        while !d.is_empty() {
            let rest = d.strip_prefix('M').expect("subpath starts with M");
            let (x, rest) = number(rest);
            let rest = rest.strip_prefix(' ').expect("space between x and y");
            let (y, rest) = number(rest);
            let rest = rest.strip_prefix('h').expect("h");
            let (run, rest) = number(rest);
            let rest = rest.strip_prefix("v1h").expect("v1h");
            let (back, rest) = number(rest);
            d = rest.strip_prefix('z').expect("z");
            assert!(run > 0 && back == -run, "closed run");
            let (x, y, run) = (x as usize, y as usize, run as usize);
            assert!(y < size && x + run <= size, "inside the viewBox");
            for cell in &mut dark[y * size + x..y * size + x + run] {
                *cell = true;
            }
        }
        Raster { size, dark }
    }

    /// Decodes an SVG the way a phone would see it: as greyscale pixels.
    pub fn decode_svg(svg: &str) -> String {
        let raster = rasterise_modules(svg);
        let side = raster.size * SCALE;
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
            if raster.dark[(y / SCALE) * raster.size + x / SCALE] {
                0
            } else {
                255
            }
        });
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "exactly one QR code found");
        let (_meta, content) = grids[0].decode().expect("QR decodes");
        content
    }
}
