//! `/metrics`: route counters and latency histograms, attendance verdicts by reason,
//! anomaly gauges by kind, pool gauges, and the optional scrape token.

use reqwest::StatusCode;
use serde_json::json;

use crate::checkin::{Desk, accepted, refused};
use crate::helpers::*;

/// The quick reads a first check-in may make (SQLite; see BENCHMARKS.md, issue 24):
/// the physician's session state (when the cache does not hold it; a pool read until
/// 2026-12-07, so the same statements as the 9 counted before), the open visit, the
/// site, the assignments there, the device bindings, the site's kiosk networks, and
/// the detectors' four reads of past scans.
const CHECK_IN_READS: i64 = 10;
/// The quick reads the check-out after it may make: as the check-in, without the site
/// and the assignments, which come from memory (9 when they were read), and without the
/// session state, which the check-in left in the cache.
const CHECK_OUT_READS: i64 = 7;

/// The scrape's text, checked to be the Prometheus text format.
async fn scrape(app: &TestApp, token: Option<&str>) -> (StatusCode, String, String) {
    let mut request = reqwest::Client::new().get(format!("{}/metrics", app.address));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("answers");
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, content_type, response.text().await.expect("text"))
}

fn assert_has(text: &str, line: &str) {
    assert!(
        text.lines().any(|l| l.starts_with(line)),
        "no line starting {line:?} in:\n{text}"
    );
}

#[tokio::test]
async fn a_scrape_shows_routes_verdicts_anomalies_and_the_pool() {
    let desk = Desk::open().await;

    let mut mocked = desk.request(&desk.code().await);
    mocked["location"]["is_mock"] = json!(true);
    let answer = accepted(desk.check_in(&mocked).await);
    assert_eq!(answer["verdict"], "flagged");
    let reasons: Vec<String> = serde_json::from_value(answer["reasons"].clone()).expect("reasons");
    assert!(reasons.contains(&"mock_location".to_owned()), "{answer}");
    refused(
        desk.check_in(&desk.request("not a kiosk code")).await,
        "code_invalid",
    );

    let (status, content_type, text) = scrape(&desk.app, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    // Requests per matched route pattern, method and status, with latency buckets.
    let check_in = r#"route="/api/v1/attendance/check-in""#;
    assert_has(
        &text,
        &format!(r#"xiaxiang_http_requests_total{{method="POST",{check_in},status="201"}} 1"#),
    );
    assert_has(
        &text,
        &format!(r#"xiaxiang_http_requests_total{{method="POST",{check_in},status="422"}} 1"#),
    );
    assert_has(
        &text,
        &format!(
            r#"xiaxiang_http_request_duration_seconds_bucket{{method="POST",{check_in},le="+Inf"}} 2"#
        ),
    );
    assert_has(
        &text,
        &format!(r#"xiaxiang_http_request_duration_seconds_count{{method="POST",{check_in}}} 2"#),
    );
    assert_has(
        &text,
        "# TYPE xiaxiang_http_request_duration_seconds histogram",
    );
    assert_has(
        &text,
        r#"xiaxiang_http_requests_total{method="GET",route="/api/v1/kiosk/code",status="200"}"#,
    );
    // Path parameters never become label values.
    assert!(!text.contains(&desk.world.site.id.to_string()));
    // Verdicts by reason.
    for reason in &reasons {
        assert_has(
            &text,
            &format!(
                r#"xiaxiang_attendance_verdicts_total{{action="check_in",reason="{reason}",verdict="flagged"}} 1"#
            ),
        );
    }
    assert_has(
        &text,
        r#"xiaxiang_attendance_verdicts_total{action="check_in",reason="code_invalid",verdict="refused"} 1"#,
    );
    // Anomalies stored, by kind and status; the pool.
    assert_has(
        &text,
        r#"xiaxiang_anomalies{kind="mock_location",status="open"} 1"#,
    );
    assert_has(&text, r#"xiaxiang_db_pool_connections{state="max"} 5"#);
    assert_has(&text, r#"xiaxiang_db_pool_connections{state="open"}"#);
    assert_has(&text, r#"xiaxiang_db_pool_connections{state="idle"}"#);
    // This scrape is in flight while it renders.
    assert_has(&text, "xiaxiang_http_requests_in_flight 1");

    // A request to no route is counted under one label, not its path.
    let (status, _) = desk
        .app
        .send(
            &desk.app.anonymous,
            reqwest::Method::GET,
            "/no/such/path",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, _, text) = scrape(&desk.app, None).await;
    assert_has(
        &text,
        r#"xiaxiang_http_requests_total{method="GET",route="<unmatched>",status="404"} 1"#,
    );
    assert!(!text.contains("/no/such/path"));
}

#[tokio::test]
async fn with_a_metrics_token_the_scrape_wants_it() {
    let app = TestApp::builder()
        .config(|c| c.metrics_token = Some("scrape-token-for-tests".into()))
        .spawn()
        .await;
    let (status, content_type, body) = scrape(&app, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        content_type.starts_with("application/problem+json"),
        "{content_type}"
    );
    assert!(body.contains("\"unauthorized\""), "{body}");
    let (status, _, _) = scrape(&app, Some("another-token")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // An admin's JWT is no substitute for the scrape token.
    let admin = app.admin.token().expect("token").to_owned();
    let (status, _, _) = scrape(&app, Some(&admin)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, text) = scrape(&app, Some("scrape-token-for-tests")).await;
    assert_eq!(status, StatusCode::OK);
    assert_has(&text, "xiaxiang_http_requests_total");
}

/// The statements the SQLite quick readers ran so far.
async fn quick_reads(app: &TestApp) -> Option<i64> {
    let (_, _, text) = scrape(app, None).await;
    text.lines()
        .find_map(|l| l.strip_prefix("xiaxiang_store_quick_reads "))
        .map(|n| n.trim().parse().expect("a count"))
}

/// Issue 24: the reads a check-in and a check-out make on SQLite, counted. The site
/// and the physician's assignments there are kept in memory once read (see
/// `store::facts`), so the check-out reads neither; a change that adds a read to the
/// path fails here.
#[tokio::test]
async fn a_check_in_and_a_check_out_make_no_more_reads_than_counted() {
    let desk = Desk::open().await;
    if !desk.app.config.database_url.starts_with("sqlite") {
        return; // PostgreSQL: every fact is read through the pool, nothing kept.
    }
    let code = desk.code().await;
    let before = quick_reads(&desk.app).await.expect("a count");
    accepted(desk.check_in(&desk.request(&code)).await);
    let checked_in = quick_reads(&desk.app).await.expect("a count");
    desk.app
        .clock
        .advance(chrono::Duration::hours(6) + chrono::Duration::minutes(5));
    let code = desk.code().await;
    let ready = quick_reads(&desk.app).await.expect("a count");
    accepted(desk.check_out(&desk.request(&code)).await);
    let checked_out = quick_reads(&desk.app).await.expect("a count");
    let (check_in, check_out) = (checked_in - before, checked_out - ready);
    eprintln!("quick reads: check-in {check_in}, check-out {check_out}");
    assert!(check_in <= CHECK_IN_READS, "check-in: {check_in} reads");
    assert!(check_out <= CHECK_OUT_READS, "check-out: {check_out} reads");
}
