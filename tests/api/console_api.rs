//! The server half of the supervisor console (issue #17, `docs/console-api.md`):
//! anomalies in plain words, the filtered visit list with its total and export, one
//! visit in full, the coverage report with the clinics nobody served, the dashboard
//! whose every figure equals the list behind it, and the public map settings.

use std::time::Duration as StdDuration;

use chrono::{DateTime, TimeZone, Utc};
use mobile_api::client::Client;
use mobile_api::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;
use xiaxiang_server::config::{MapTiles, TileCrs as ConfigTileCrs};

use crate::helpers::*;

/// Local time in Asia/Shanghai on 2026-03-`day`.
fn local(day: u32, h: u32, m: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(2026, 3, day, h, m, 0)
        .single()
        .expect("valid")
        .with_timezone(&Utc)
}

/// A bureau with one physician serving at the world's township health center.
struct Bureau {
    app: TestApp,
    world: World,
    kiosk: Client,
}

impl Bureau {
    async fn open() -> Bureau {
        Bureau::open_at(local(2, 8, 0)).await
    }

    async fn open_at(start: DateTime<Utc>) -> Bureau {
        let app = TestApp::builder()
            .at(start)
            .config(|c| {
                c.access_token_ttl = StdDuration::from_secs(60 * 24 * 3600);
                c.scheduler_interval = StdDuration::ZERO;
            })
            .spawn()
            .await;
        let world = app.world().await;
        let kiosk = app.client(&world.kiosk.token);
        Bureau { app, world, kiosk }
    }

    fn supervisor(&self) -> &Client {
        &self.world.supervisor.client
    }

    async fn scan(&self, action: &str, at: DateTime<Utc>, is_mock: bool) -> Value {
        self.app.clock.set(at);
        let payload = self.kiosk.kiosk_code().await.expect("kiosk code").payload;
        let body = json!({
            "client_event_id": Uuid::new_v4(),
            "qr_payload": payload,
            "device_id": "phone-A",
            "location": {"lat": jitter(SITE_LAT + 0.0002), "lon": jitter_lon(SITE_LON), "accuracy_m": 12.0,
                         "crs": "wgs84", "is_mock": is_mock},
        });
        let (status, answer) = self
            .app
            .send(
                &self.world.physician.client,
                Method::POST,
                &format!("/api/v1/attendance/{action}"),
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        answer
    }

    /// A visit on March `day` from `from` to `to` (`(hour, minute)`); returns its id.
    async fn visit(&self, day: u32, from: (u32, u32), to: (u32, u32), is_mock: bool) -> Uuid {
        let answer = self
            .scan("check-in", local(day, from.0, from.1), is_mock)
            .await;
        self.scan("check-out", local(day, to.0, to.1), false).await;
        serde_json::from_value(answer["visit_id"].clone()).expect("visit id")
    }

    /// Four visits, one of each worth: 2nd full day (7 h), 3rd half day (3.5 h),
    /// 4th mocked (pending review), 5th twelve minutes (none, `short_visit` open).
    async fn month_of_visits(&self) -> [Uuid; 4] {
        [
            self.visit(2, (9, 0), (16, 0), false).await,
            self.visit(3, (9, 0), (12, 30), false).await,
            self.visit(4, (9, 0), (16, 0), true).await,
            self.visit(5, (9, 0), (9, 12), false).await,
        ]
    }

    /// `GET path` with the client's token: status, headers and body text.
    async fn raw(
        &self,
        client: &Client,
        path: &str,
    ) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
        let response = client
            .request(Method::GET, path)
            .send()
            .await
            .expect("server answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body").to_vec();
        (status, headers, bytes)
    }

    /// The visit list's page and its `X-Total-Count`.
    async fn visits(&self, query: &str) -> (Vec<Visit>, u64) {
        let (status, headers, body) = self
            .raw(self.supervisor(), &format!("/api/v1/visits?{query}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        let total = headers
            .get("x-total-count")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .expect("X-Total-Count");
        let page: Page<Visit> = serde_json::from_slice(&body).expect("a page of visits");
        (page.items, total)
    }
}

/// True when a text shows what only a program should read: a snake_case key, a
/// UUID or JSON punctuation.
fn looks_raw(text: &str) -> bool {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .any(|w| {
            (w.contains('_') && w.chars().any(|c| c.is_ascii_lowercase()))
                || Uuid::parse_str(w).is_ok()
        })
        || text.contains(['{', '}', '[', ']', '"'])
}

#[tokio::test]
async fn the_anomaly_list_says_each_anomaly_in_plain_words_with_labelled_facts_and_names() {
    let bureau = Bureau::open().await;
    bureau.visit(5, (9, 0), (9, 12), false).await;

    let items = bureau
        .supervisor()
        .anomalies("kind=short_visit")
        .await
        .expect("anomalies")
        .items;
    assert_eq!(items.len(), 1, "{items:?}");
    let anomaly = &items[0];
    assert_eq!(anomaly.label_zh, "在岗时间过短");
    assert_eq!(anomaly.summary_zh, "签到后12分钟即签退，少于规定的30分钟。");
    assert_eq!(
        anomaly.summary_en,
        "Checked out 12 minutes after checking in, less than the required 30 minutes."
    );
    assert_eq!(anomaly.detail["summary_zh"], anomaly.summary_zh.as_str());
    assert_eq!(anomaly.site_name.as_deref(), Some("溪南镇卫生院"));
    assert_eq!(
        anomaly.physician_name.as_deref(),
        Some(bureau.world.physician.user.name.as_str())
    );
    let fact = |key: &str| anomaly.facts.iter().find(|f| f.key == key);
    assert_eq!(
        fact("minutes").map(|f| f.value_text.as_str()),
        Some("12分钟")
    );
    assert_eq!(
        fact("min_minutes").map(|f| (f.label_zh.as_str(), f.value_text.as_str())),
        Some(("规定最短时长", "30分钟"))
    );
    for text in [&anomaly.summary_zh, &anomaly.summary_en]
        .into_iter()
        .chain(anomaly.facts.iter().map(|f| &f.value_text))
    {
        assert!(!looks_raw(text), "{text}");
    }

    // A missing check-out reads with local times and calls the visit a service.
    bureau.scan("check-in", local(6, 9, 0), false).await;
    bureau.scan("check-in", local(7, 9, 0), false).await;
    let missing = bureau
        .supervisor()
        .anomalies("kind=missing_checkout")
        .await
        .expect("anomalies")
        .items;
    assert_eq!(
        missing[0].summary_zh,
        "2026-03-06 09:00签到后未签退，该次服务已于2026-03-07 00:00自动结束，暂不计入。"
    );
    assert!(!missing[0].summary_zh.contains("就诊"));
}

#[tokio::test]
async fn the_visit_list_filters_by_worth_flag_hospital_and_jurisdiction_and_counts_the_matches() {
    let bureau = Bureau::open().await;
    let [full, half, mocked, short] = bureau.month_of_visits().await;

    let (all, total) = bureau.visits("").await;
    assert_eq!(total, 4);
    assert_eq!(all.len(), 4);
    let worth = |id: Uuid| all.iter().find(|v| v.id == id).and_then(|v| v.credit);
    assert_eq!(worth(full), Some(VisitCredit::Full));
    assert_eq!(worth(half), Some(VisitCredit::Half));
    assert_eq!(worth(mocked), Some(VisitCredit::Pending));
    assert_eq!(
        worth(short),
        Some(VisitCredit::Pending),
        "short_visit awaits review"
    );
    assert!(
        all.iter()
            .all(|v| v.site_name.as_deref() == Some("溪南镇卫生院"))
    );
    assert!(
        all.iter()
            .all(|v| v.hospital_name.as_deref() == Some("漳平市医院"))
    );

    // Each filter gives exactly the visits the list shows with that worth.
    for (credit, expected) in [
        ("full", vec![full]),
        ("half", vec![half]),
        ("pending", vec![short, mocked]),
        ("none", vec![]),
    ] {
        let (items, total) = bureau.visits(&format!("credit={credit}")).await;
        assert_eq!(
            items.iter().map(|v| v.id).collect::<Vec<_>>(),
            expected,
            "{credit}"
        );
        assert_eq!(total, expected.len() as u64, "{credit}");
    }
    // Confirming the short visit's anomaly makes it worth nothing.
    let short_anomaly = bureau
        .supervisor()
        .anomalies("kind=short_visit")
        .await
        .expect("anomalies")
        .items
        .remove(0);
    bureau
        .supervisor()
        .review_anomaly(
            short_anomaly.id,
            &ReviewRequest {
                decision: ReviewDecision::Confirm,
                note: "只待了十二分钟".into(),
            },
        )
        .await
        .expect("review");
    let (none, _) = bureau.visits("credit=none").await;
    assert_eq!(none.iter().map(|v| v.id).collect::<Vec<_>>(), vec![short]);

    let (flagged, total) = bureau.visits("flagged=true").await;
    assert_eq!(total, 2);
    assert_eq!(
        flagged.iter().map(|v| v.id).collect::<Vec<_>>(),
        vec![short, mocked]
    );
    let (_, clean) = bureau.visits("flagged=false").await;
    assert_eq!(clean, 2);

    let hospital = bureau.world.hospital.id;
    assert_eq!(bureau.visits(&format!("hospital_id={hospital}")).await.1, 4);
    assert_eq!(
        bureau
            .visits(&format!("hospital_id={}", Uuid::new_v4()))
            .await
            .1,
        0
    );
    let county = &bureau.world.county;
    assert_eq!(
        bureau
            .visits(&format!("jurisdiction_code={county}"))
            .await
            .1,
        4
    );
    assert_eq!(bureau.visits("from=2026-03-03&to=2026-03-04").await.1, 2);

    // Page-number paging: the total stays, the slice moves.
    let (second_page, total) = bureau.visits("limit=3&offset=3").await;
    assert_eq!(total, 4);
    assert_eq!(
        second_page.iter().map(|v| v.id).collect::<Vec<_>>(),
        vec![full]
    );

    // Another city's jurisdiction is not the supervisor's: 404, as for reports.
    let other = &bureau.world.other_county;
    let (status, _, _) = bureau
        .raw(
            bureau.supervisor(),
            &format!("/api/v1/visits?jurisdiction_code={other}"),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for bad in ["credit=creditable", "flagged=yes", "hospital_id=7"] {
        let (status, _, body) = bureau
            .raw(bureau.supervisor(), &format!("/api/v1/visits?{bad}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        let problem: Value = serde_json::from_slice(&body).expect("problem");
        let name = bad.split('=').next().unwrap_or_default();
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|d| d.starts_with(name)),
            "{problem}"
        );
    }
}

#[tokio::test]
async fn the_filtered_visit_list_downloads_as_csv_and_xlsx_with_chinese_headers() {
    let bureau = Bureau::open().await;
    bureau.month_of_visits().await;
    let (status, headers, body) = bureau
        .raw(bureau.supervisor(), "/api/v1/visits?credit=full&format=csv")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/csv"))
    );
    let text = String::from_utf8(body).expect("utf-8");
    assert!(
        text.contains("日期,医师,派出单位,服务单位,签到时间,签退时间"),
        "{text}"
    );
    assert!(text.contains("2026-03-02"), "{text}");
    assert!(text.contains("计1天"), "{text}");
    assert!(
        !text.contains("2026-03-03"),
        "only the filtered visit: {text}"
    );

    let (status, headers, body) = bureau
        .raw(bureau.supervisor(), "/api/v1/visits?format=xlsx")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some(mobile_api::client_reports::XLSX)
    );
    assert!(body.starts_with(b"PK"), "an XLSX is a zip");
}

#[tokio::test]
async fn a_visit_in_full_shows_its_fixes_fence_anomalies_activities_and_why_it_counts() {
    let bureau = Bureau::open().await;
    let full = bureau.visit(2, (9, 0), (16, 0), false).await;
    // Work is logged by the end of the next day.
    bureau
        .world
        .physician
        .client
        .log_activity(
            full,
            &LogActivity {
                kind: ActivityKind::Outpatient,
                count: 23,
                note: None,
            },
        )
        .await
        .expect("activity");
    let mocked = bureau.visit(4, (9, 0), (16, 0), true).await;

    let detail = bureau.supervisor().visit(full).await.expect("visit");
    assert_eq!(detail.visit.id, full);
    assert_eq!(detail.site.name, "溪南镇卫生院");
    assert_eq!(detail.site.jurisdiction_name, "漳平市");
    assert_eq!(
        detail.physician.hospital_name.as_deref(),
        Some("漳平市医院")
    );
    let check_in = detail.check_in.as_ref().expect("check-in fix");
    assert!((check_in.lat - (SITE_LAT + 0.0002)).abs() < 1e-3);
    assert_eq!(check_in.crs, "wgs84");
    assert_eq!(check_in.accuracy_m, 12.0);
    assert!(detail.check_out.is_some());
    let fence = detail.fence.as_ref().expect("fence in force");
    assert_eq!(fence.version, 1);
    assert_eq!(fence.geometry["type"], "circle");
    assert_eq!(detail.activities.len(), 1);
    assert_eq!(detail.activities[0].kind_zh, "门诊");
    assert_eq!(detail.activities[0].count, 23);
    assert_eq!(detail.credit.credit, VisitCredit::Full);
    assert_eq!(detail.credit.minutes, Some(420));
    assert_eq!(
        detail.credit.reason_zh,
        "在岗420分钟，达到全天标准（360分钟），计1天。"
    );
    assert_eq!(detail.credit.window_end, "17:30");

    let pending = bureau.supervisor().visit(mocked).await.expect("visit");
    assert_eq!(pending.credit.credit, VisitCredit::Pending);
    assert_eq!(pending.anomalies.len(), 1);
    assert_eq!(pending.anomalies[0].kind, "mock_location");
    assert!(!pending.anomalies[0].summary_zh.is_empty());

    // Outside the supervisor's jurisdiction the visit does not exist.
    let (status, _) = bureau
        .app
        .send(
            &bureau.world.other_supervisor.client,
            Method::GET,
            &format!("/api/v1/visits/{full}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = bureau
        .app
        .send(
            &bureau.world.physician.client,
            Method::GET,
            &format!("/api/v1/visits/{full}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn coverage_lists_every_receiving_clinic_of_the_scope_including_those_nobody_served() {
    let bureau = Bureau::open().await;
    let village = bureau
        .app
        .organization(
            "上坂村卫生室",
            OrganizationKind::VillageClinic,
            &bureau.world.county,
            Some(circle(25.30, 117.42, 100.0)),
        )
        .await;
    bureau.visit(2, (9, 0), (16, 0), false).await;
    bureau.visit(3, (9, 0), (12, 30), false).await;

    let report = bureau
        .supervisor()
        .coverage_report("month=2026-03")
        .await
        .expect("coverage");
    assert_eq!(report.jurisdiction_code.as_deref(), Some("350800"));
    let ids: Vec<Uuid> = report.rows.iter().map(|r| r.site_id).collect();
    assert_eq!(
        ids.len(),
        2,
        "the township and the village, not the hospital nor Quanzhou"
    );
    assert_eq!((report.clinics, report.covered), (2, 1));
    let row = |id: Uuid| report.rows.iter().find(|r| r.site_id == id).expect("row");
    let served = row(bureau.world.site.id);
    assert!(served.covered);
    assert_eq!(served.credited_days, 1.5);
    assert_eq!(served.visits, 2);
    assert_eq!(served.physicians, 1);
    assert_eq!(served.kind_zh, "乡镇卫生院");
    assert_eq!(served.jurisdiction_name, "漳平市");
    assert!((served.lat.expect("lat") - SITE_LAT).abs() < 1e-6);
    assert!((served.lon.expect("lon") - SITE_LON).abs() < 1e-6);
    let nobody = row(village.id);
    assert!(!nobody.covered);
    assert_eq!(
        (nobody.credited_days, nobody.visits, nobody.physicians),
        (0.0, 0, 0)
    );
    assert_eq!(nobody.kind_zh, "村卫生室");

    // The figures are the monthly report's, added up per site.
    let monthly = bureau
        .supervisor()
        .monthly_report("month=2026-03")
        .await
        .expect("monthly");
    let monthly_days: f64 = monthly
        .rows
        .iter()
        .filter(|r| r.site_id == bureau.world.site.id)
        .map(|r| r.credited_days)
        .sum();
    assert_eq!(served.credited_days, monthly_days);

    let (status, headers, body) = bureau
        .raw(
            bureau.supervisor(),
            "/api/v1/reports/coverage?month=2026-03&format=csv",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers
            .get("content-disposition")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("coverage-350800-2026-03.csv"))
    );
    let text = String::from_utf8(body).expect("utf-8");
    assert!(text.contains("是否覆盖"), "{text}");
    assert!(text.contains("上坂村卫生室,村卫生室,0,0,0,否"), "{text}");

    // Another city's supervisor sees their own clinic, uncovered.
    let theirs = bureau
        .world
        .other_supervisor
        .client
        .coverage_report("month=2026-03")
        .await
        .expect("coverage");
    assert_eq!(theirs.rows.len(), 1);
    assert_eq!(theirs.rows[0].site_id, bureau.world.other_site.id);
    assert!(!theirs.rows[0].covered);
}

#[tokio::test]
async fn every_dashboard_figure_equals_the_list_or_report_it_links_to() {
    // February: one full day; March: the four visits of every worth.
    let feb = chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(2026, 2, 10, 9, 0, 0)
        .single()
        .expect("valid")
        .with_timezone(&Utc);
    let bureau = Bureau::open_at(feb - chrono::Duration::hours(1)).await;
    bureau.scan("check-in", feb, false).await;
    bureau
        .scan("check-out", feb + chrono::Duration::hours(7), false)
        .await;
    bureau.month_of_visits().await;
    bureau.app.clock.set(local(12, 12, 0));

    let board = bureau
        .supervisor()
        .dashboard("month=2026-03")
        .await
        .expect("dashboard");
    assert_eq!(board.month, "2026-03");
    assert_eq!(board.previous_month, "2026-02");

    let monthly = bureau
        .supervisor()
        .monthly_report("month=2026-03")
        .await
        .expect("monthly");
    let days: f64 = monthly.rows.iter().map(|r| r.credited_days).sum();
    let visits: u32 = monthly.rows.iter().map(|r| r.qualifying_visits).sum();
    assert_eq!(board.this_month.credited_days, days);
    assert_eq!(board.this_month.visits, visits);
    assert_eq!(board.this_month.physicians, 1);
    let february = bureau
        .supervisor()
        .monthly_report("month=2026-02")
        .await
        .expect("monthly");
    assert_eq!(
        board.last_month.credited_days,
        february.rows.iter().map(|r| r.credited_days).sum::<f64>()
    );
    assert_eq!(board.last_month.credited_days, 1.0);

    let listed = |query: &str| {
        let client = bureau.supervisor().clone();
        let query = query.to_owned();
        async move {
            client
                .anomalies(&format!("{query}&limit=500"))
                .await
                .expect("anomalies")
                .items
        }
    };
    let march = listed("from=2026-03-01&to=2026-03-31").await;
    assert_eq!(board.this_month.anomalies as usize, march.len());
    assert_eq!(march.len(), 2, "mock_location and short_visit");
    assert_eq!(
        board.last_month.anomalies as usize,
        listed("from=2026-02-01&to=2026-02-28").await.len()
    );
    let by_day: u32 = board.anomalies_by_day.iter().map(|c| c.count).sum();
    assert_eq!(
        by_day,
        board.this_month.anomalies + board.last_month.anomalies
    );
    let mocked_day = board
        .anomalies_by_day
        .iter()
        .find(|c| c.kind == "mock_location")
        .expect("the mocked day");
    assert_eq!(mocked_day.date.to_string(), "2026-03-04");
    assert_eq!(mocked_day.kind_zh, "模拟定位");

    let open = listed("status=open").await;
    assert_eq!(board.open_reviews.total as usize, open.len());
    // Detected on the 4th and 5th, seen on the 12th: both waited over a week.
    assert_eq!(board.open_reviews.over_7_days, 2);
    assert_eq!(board.open_reviews.under_1_day, 0);

    let coverage = bureau
        .supervisor()
        .coverage_report("month=2026-03")
        .await
        .expect("coverage");
    assert_eq!(board.coverage.clinics, coverage.clinics);
    assert_eq!(board.coverage.covered, coverage.covered);

    let compliance = bureau
        .supervisor()
        .compliance_report("period=2026-03")
        .await
        .expect("compliance");
    assert_eq!(board.compliance.len(), 1);
    let county = &board.compliance[0];
    assert_eq!(county.jurisdiction_code, "350881");
    assert_eq!(county.jurisdiction_name, "漳平市");
    assert_eq!(
        (county.met + county.on_track + county.at_risk + county.missed) as usize,
        compliance.rows.len()
    );
    let met = compliance
        .rows
        .iter()
        .filter(|r| r.status == Progress::Met)
        .count();
    assert_eq!(county.met as usize, met);

    // Another city's jurisdiction is not this supervisor's.
    let (status, _) = bureau
        .app
        .send(
            bureau.supervisor(),
            Method::GET,
            "/api/v1/dashboard?month=2026-03&jurisdiction_code=350503",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_console_reads_its_map_settings_without_logging_in() {
    let plain = TestApp::spawn().await;
    let settings = plain.anonymous.ui_config().await.expect("ui config");
    assert_eq!(settings.map.tile_url, None);
    assert_eq!(settings.map.tile_crs, TileCrs::Wgs84);

    let template = "https://webrd01.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}&style=8";
    let amap = TestApp::builder()
        .config(move |c| {
            c.map = MapTiles {
                tile_url: Some(template.to_owned()),
                tile_crs: ConfigTileCrs::Gcj02,
                attribution: Some("高德地图".to_owned()),
            }
        })
        .spawn()
        .await;
    let settings = amap.anonymous.ui_config().await.expect("ui config");
    assert_eq!(settings.map.tile_url.as_deref(), Some(template));
    assert_eq!(settings.map.tile_crs, TileCrs::Gcj02);
    assert_eq!(settings.map.attribution.as_deref(), Some("高德地图"));
}

/// A physician the admin creates with a name, at `hospital`.
async fn named_physician(app: &TestApp, name: &str, hospital: Uuid) -> User {
    app.admin
        .create_user(&CreateUser {
            role: Role::Physician,
            name: name.to_owned(),
            phone: unique_phone(),
            password: PASSWORD.to_owned(),
            organization_id: Some(hospital),
            jurisdiction_code: None,
            title: Some("主治医师".to_owned()),
            specialty: None,
            gender: None,
            discipline: None,
            practice_since_year: None,
        })
        .await
        .expect("physician")
}

/// `GET /api/v1/physicians?…` as `client`: the ids found, and the body.
async fn physicians(app: &TestApp, client: &Client, query: &str) -> (Vec<Uuid>, Value) {
    let (status, body) = app
        .send(
            client,
            Method::GET,
            &format!("/api/v1/physicians{query}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    let ids = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| p["id"].as_str().and_then(|id| id.parse().ok()).expect("id"))
        .collect();
    (ids, body)
}

/// The service record's picker: the physicians whose 考核登记表 the caller may open
/// (every one listed opens; none other is listed), found by part of the name, the
/// whole phone or its last four digits, the phone shown masked, page by page.
#[tokio::test]
async fn the_physician_picker_lists_exactly_whose_service_record_the_caller_may_open() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    // 泉州's hospital: one physician posted to 漳平's site, one who never served there.
    let far_hospital = app
        .organization(
            "泉州市第一医院",
            OrganizationKind::Hospital,
            &world.other_county,
            None,
        )
        .await;
    let visiting = named_physician(&app, "黄建国", far_hospital.id).await;
    let stranger = named_physician(&app, "黄建华", far_hospital.id).await;
    app.admin
        .create_assignment(&CreateAssignment {
            physician_id: visiting.id,
            site_id: world.site.id,
            program_id: world.program.id,
            mode: AssignmentMode::Circuit,
            start_date: "2026-01-01".parse().expect("date"),
            end_date: "2026-12-31".parse().expect("date"),
            window_start: "08:00".to_owned(),
            window_end: "17:30".to_owned(),
            eligibility_override: None,
        })
        .await
        .expect("assignment");

    // 龙岩's supervisor: their own hospital's physician and the visitor.
    let supervisor = &world.supervisor.client;
    let (ids, body) = physicians(&app, supervisor, "").await;
    assert_eq!(ids.len(), 2, "{body}");
    assert!(ids.contains(&world.physician.user.id) && ids.contains(&visiting.id));
    for id in &ids {
        let (status, record) = app
            .send(
                supervisor,
                Method::GET,
                &format!("/api/v1/physicians/{id}/service-record"),
                None,
            )
            .await;
        assert_eq!(
            status,
            StatusCode::OK,
            "a listed physician's record opens: {record}"
        );
    }
    let (status, _) = app
        .send(
            supervisor,
            Method::GET,
            &format!("/api/v1/physicians/{}/service-record", stranger.id),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the unlisted one's does not");

    // By part of the name, the whole phone, its last four digits; never its middle.
    assert_eq!(
        physicians(&app, supervisor, "?q=%E9%BB%84").await.0,
        [visiting.id]
    );
    let visitor = body["items"]
        .as_array()
        .and_then(|items| items.iter().find(|p| p["id"] == visiting.id.to_string()))
        .expect("the visitor")
        .clone();
    let phone = visiting.phone.clone();
    assert_eq!(
        visitor["phone_masked"],
        format!("{}****{}", &phone[..3], &phone[7..])
    );
    assert_eq!(visitor["hospital_name"], "泉州市第一医院");
    assert_eq!(visitor["title"], "主治医师");
    assert_eq!(visitor["active"], true);
    assert!(!body.to_string().contains(&phone), "no whole number shown");
    assert_eq!(
        physicians(&app, supervisor, &format!("?q={phone}")).await.0,
        [visiting.id]
    );
    assert!(
        physicians(&app, supervisor, &format!("?q={}", &phone[7..]))
            .await
            .0
            .contains(&visiting.id)
    );
    assert_eq!(
        physicians(&app, supervisor, &format!("?q={}", &phone[3..9]))
            .await
            .0,
        Vec::<Uuid>::new()
    );
    // A LIKE wildcard is a plain character.
    assert_eq!(
        physicians(&app, supervisor, "?q=%25").await.0,
        Vec::<Uuid>::new()
    );

    // Page by page: the same two, each once.
    let (first, page) = physicians(&app, supervisor, "?limit=1").await;
    let cursor = page["next_cursor"].as_str().expect("a second page");
    let (second, last) = physicians(&app, supervisor, &format!("?limit=1&cursor={cursor}")).await;
    assert_eq!([first, second].concat(), ids);
    assert!(last["next_cursor"].is_null());

    // 泉州's supervisor: the two it employs, not 漳平's physician.
    let (theirs, _) = physicians(&app, &world.other_supervisor.client, "").await;
    assert_eq!(theirs.len(), 2);
    assert!(theirs.contains(&visiting.id) && theirs.contains(&stranger.id));
    // A hospital's administrator: their own physicians only.
    let (own, _) = physicians(&app, &world.hospital_admin.client, "").await;
    assert_eq!(own, [world.physician.user.id]);
    // The admin: all three.
    assert_eq!(physicians(&app, &app.admin, "").await.0.len(), 3);

    for client in [&world.physician.client, &world.clinic_admin.client] {
        let (status, _) = app
            .send(client, Method::GET, "/api/v1/physicians", None)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let long = "%E6%9E%97".repeat(51);
    assert_problem(
        app.send(
            supervisor,
            Method::GET,
            &format!("/api/v1/physicians?q={long}"),
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
}
