//! Filing (报表报送) through the real server: the reporting calendar from a circular's
//! template with a manual clock, a monthly report filed and frozen while the data
//! moves on, accepted by the level above, returned and resubmitted, amended as a new
//! version, and kept out of another city's reach.

use std::io::Cursor;
use std::time::Duration as StdDuration;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chrono::{DateTime, TimeZone, Utc};
use mobile_api::Role;
use mobile_api::client::Client;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use xiaxiang_server::App;
use xiaxiang_server::scheduler::run_once;
use xiaxiang_server::service::audit::verify;
use xiaxiang_server::store::Store;

use crate::helpers::*;

/// A wall-clock instant in Asia/Shanghai in 2026.
fn at(month: u32, day: u32, h: u32, m: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(2026, month, day, h, m, 0)
        .single()
        .expect("valid")
        .with_timezone(&Utc)
}

/// The test world with a county supervisor (漳平市, who files) under the city
/// supervisor (龙岩市, the level above), and the clock the test moves.
struct Bureau {
    app: TestApp,
    world: World,
    county: Person,
    kiosk: Client,
}

impl Bureau {
    async fn open(start: DateTime<Utc>) -> Bureau {
        let app = TestApp::builder()
            .at(start)
            .config(|c| {
                c.access_token_ttl = StdDuration::from_secs(400 * 24 * 3600);
                c.scheduler_interval = StdDuration::ZERO;
            })
            .spawn()
            .await;
        let world = app.world().await;
        let county = app
            .person(Role::Supervisor, None, Some(&world.county))
            .await;
        let kiosk = app.client(&world.kiosk.token);
        Bureau {
            app,
            world,
            county,
            kiosk,
        }
    }

    async fn scan(&self, action: &str) {
        let payload = self.kiosk.kiosk_code().await.expect("code").payload;
        let body = json!({
            "client_event_id": Uuid::new_v4(),
            "qr_payload": payload,
            "device_id": "phone-filing",
            "location": {"lat": jitter(SITE_LAT + 0.0002), "lon": SITE_LON, "accuracy_m": 12.0,
                         "crs": "wgs84", "is_mock": false},
        });
        let path = format!("/api/v1/attendance/{action}");
        let (status, body) = self
            .app
            .send(
                &self.world.physician.client,
                Method::POST,
                &path,
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{action}: {body}");
    }

    /// A half-day visit at the township centre.
    async fn visit(&self, from: DateTime<Utc>, to: DateTime<Utc>) {
        self.app.clock.set(from);
        self.scan("check-in").await;
        self.app.clock.set(to);
        self.scan("check-out").await;
    }

    async fn send(
        &self,
        who: &Client,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.app.send(who, method, path, body).await
    }

    async fn ok(&self, who: &Client, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, body) = self.send(who, method, path, body).await;
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    /// A draft of November's monthly report by the county, with its narrative.
    async fn draft_november(&self) -> Value {
        let (status, draft) = self
            .send(
                &self.county.client,
                Method::POST,
                "/api/v1/filings",
                Some(json!({"report_kind": "monthly", "period": "2026-11"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{draft}");
        assert_eq!(draft["status"], "draft");
        assert_eq!(draft["version"], 1);
        assert_eq!(draft["jurisdiction_code"], self.world.county);
        let id = draft["id"].as_str().expect("id");
        self.ok(
            &self.county.client,
            Method::PATCH,
            &format!("/api/v1/filings/{id}"),
            Some(json!({
                "achievements": "11月派驻医师按要求到岗。",
                "problems": "个别乡镇网络信号差。",
                "next_steps": "12月继续巡诊并加强带教。",
            })),
        )
        .await
    }

    /// The frozen file: bytes and the hash header.
    async fn file(&self, who: &Client, id: &str) -> (Vec<u8>, String) {
        let response = who
            .request(Method::GET, &format!("/api/v1/filings/{id}/file"))
            .send()
            .await
            .expect("answer");
        assert_eq!(response.status(), StatusCode::OK);
        let hash = response
            .headers()
            .get("x-content-sha256")
            .and_then(|v| v.to_str().ok())
            .expect("hash header")
            .to_owned();
        let bytes = response.bytes().await.expect("body").to_vec();
        (bytes, hash)
    }

    /// The county's calendar for October and November: (period, due date, state, days late).
    /// Drafts, submits and downloads the county's filing of `kind` for `period`: the
    /// submitted filing and its frozen sheet's rows, the file's hash checked.
    async fn submit_and_open(&self, kind: &str, period: &str) -> (Value, Vec<Vec<String>>) {
        let (status, draft) = self
            .send(
                &self.county.client,
                Method::POST,
                "/api/v1/filings",
                Some(
                    json!({"report_kind": kind, "period": period, "achievements": "完成",
                            "problems": "无", "next_steps": "继续"}),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{draft}");
        let id = draft["id"].as_str().expect("id");
        let filed = self
            .ok(
                &self.county.client,
                Method::POST,
                &format!("/api/v1/filings/{id}/submit"),
                None,
            )
            .await;
        let (bytes, hash) = self.file(&self.county.client, id).await;
        assert_eq!(hash, hex_sha256(&bytes));
        (filed, sheet(&bytes))
    }

    async fn calendar(&self) -> Vec<(String, String, String, i64)> {
        let body = self
            .ok(
                &self.county.client,
                Method::GET,
                "/api/v1/filing-calendar?from=2026-10-01&to=2026-11-30",
                None,
            )
            .await;
        body["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .map(|e| {
                (
                    e["period"].as_str().unwrap_or_default().to_owned(),
                    e["due_date"].as_str().unwrap_or_default().to_owned(),
                    e["state"].as_str().unwrap_or_default().to_owned(),
                    e["days_late"].as_i64().unwrap_or(-1),
                )
            })
            .collect()
    }

    /// One scheduler tick in a second process on the same database and clock.
    async fn tick(&self) -> usize {
        let peer = App::build(self.app.config.clone(), self.app.clock.clone())
            .await
            .expect("second process builds");
        run_once(peer.state()).await.expect("tick").filing_anomalies
    }

    /// The anomalies of `kind` a supervisor's list shows.
    async fn anomalies(&self, who: &Client, kind: &str) -> Vec<Value> {
        let body = self
            .ok(
                who,
                Method::GET,
                &format!("/api/v1/anomalies?kind={kind}&status=open"),
                None,
            )
            .await;
        body["items"].as_array().cloned().unwrap_or_default()
    }

    async fn live_monthly(&self) -> Value {
        self.ok(
            &self.county.client,
            Method::GET,
            "/api/v1/reports/monthly?month=2026-11",
            None,
        )
        .await
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The credited half-days of the only row of a monthly report's JSON.
fn half_days(report: &Value) -> u64 {
    let rows = report["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 1, "{report}");
    rows[0]["credited_half_days"].as_u64().expect("half days")
}

/// The sheet's cells as text, row by row.
fn sheet(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("xlsx");
    let name = book.sheet_names().first().cloned().expect("a sheet");
    let range = book.worksheet_range(&name).expect("sheet");
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::String(s) => s.clone(),
                    Data::Float(f) => f.to_string(),
                    Data::Int(i) => i.to_string(),
                    _ => String::new(),
                })
                .collect()
        })
        .collect()
}

/// The column of `header` in the sheet's header row, and the row of `name`.
fn figure(rows: &[Vec<String>], name: &str, header: &str) -> String {
    let head = rows
        .iter()
        .find(|r| r.iter().any(|c| c == header))
        .unwrap_or_else(|| panic!("no header {header}: {rows:?}"));
    let col = head.iter().position(|c| c == header).expect("column");
    let row = rows
        .iter()
        .find(|r| r.iter().any(|c| c == name))
        .unwrap_or_else(|| panic!("no row for {name}: {rows:?}"));
    row[col].clone()
}

#[tokio::test]
async fn a_filed_report_stays_frozen_while_the_data_moves_and_an_amendment_replaces_it() {
    let b = Bureau::open(at(11, 2, 8, 0)).await;
    b.visit(at(11, 10, 8, 30), at(11, 10, 12, 0)).await;
    b.app.clock.set(at(11, 30, 18, 0));
    let draft = b.draft_november().await;
    let id = draft["id"].as_str().expect("id").to_owned();

    let filed = b
        .ok(
            &b.county.client,
            Method::POST,
            &format!("/api/v1/filings/{id}/submit"),
            None,
        )
        .await;
    assert_eq!(filed["status"], "submitted");
    assert_eq!(filed["submitted_by"], json!(b.county.user.id));
    assert_eq!(half_days(&filed["figures"]), 1);
    let (bytes, hash) = b.file(&b.county.client, &id).await;
    assert_eq!(hash, hex_sha256(&bytes));
    assert_eq!(filed["file_sha256"], json!(hash));
    assert_eq!(filed["file_size"], json!(bytes.len()));
    let name = &b.world.physician.user.name;
    assert_eq!(figure(&sheet(&bytes), name, "服务半天数(个)"), "1");

    // The data moves on: a second visit in November changes the live report only.
    b.visit(at(11, 30, 8, 30), at(11, 30, 12, 0)).await;
    b.app.clock.set(at(12, 1, 9, 0));
    assert_eq!(half_days(&b.live_monthly().await), 2);
    let (again, again_hash) = b.file(&b.county.client, &id).await;
    assert_eq!(again, bytes, "the filed file's bytes do not change");
    assert_eq!(again_hash, hash);
    let read = b
        .ok(
            &b.county.client,
            Method::GET,
            &format!("/api/v1/filings/{id}"),
            None,
        )
        .await;
    assert_eq!(half_days(&read["figures"]), 1);
    assert_eq!(read["file_sha256"], json!(hash));

    // The filer cannot accept its own report; the level above does.
    let own = b
        .send(
            &b.county.client,
            Method::POST,
            &format!("/api/v1/filings/{id}/accept"),
            Some(json!({})),
        )
        .await;
    assert_problem(own, StatusCode::FORBIDDEN, "forbidden");
    let queue = b
        .ok(
            &b.world.supervisor.client,
            Method::GET,
            "/api/v1/filings?to_review=true",
            None,
        )
        .await;
    assert_eq!(queue.as_array().map(Vec::len), Some(1), "{queue}");
    let accepted = b
        .ok(
            &b.world.supervisor.client,
            Method::POST,
            &format!("/api/v1/filings/{id}/accept"),
            Some(json!({"note": "已阅"})),
        )
        .await;
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(accepted["reviewed_by"], json!(b.world.supervisor.user.id));

    // A second first filing of the period is refused: amend instead.
    let twice = b
        .send(
            &b.county.client,
            Method::POST,
            "/api/v1/filings",
            Some(json!({"report_kind": "monthly", "period": "2026-11"})),
        )
        .await;
    assert_problem(twice, StatusCode::CONFLICT, "filing_exists");

    let (status, amendment) = b
        .send(
            &b.county.client,
            Method::POST,
            &format!("/api/v1/filings/{id}/amend"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{amendment}");
    assert_eq!(amendment["version"], 2);
    assert_eq!(amendment["replaces_id"], json!(id));
    assert_eq!(amendment["status"], "draft");
    assert_eq!(amendment["achievements"], draft["achievements"]);
    let v2 = amendment["id"].as_str().expect("id").to_owned();
    // Only the newest version may be amended.
    let stale = b
        .send(
            &b.county.client,
            Method::POST,
            &format!("/api/v1/filings/{id}/amend"),
            None,
        )
        .await;
    assert_problem(stale, StatusCode::CONFLICT, "filing_not_amendable");
    let filed2 = b
        .ok(
            &b.county.client,
            Method::POST,
            &format!("/api/v1/filings/{v2}/submit"),
            None,
        )
        .await;
    assert_eq!(half_days(&filed2["figures"]), 2);
    assert_ne!(filed2["file_sha256"], json!(hash));
    let (bytes2, hash2) = b.file(&b.county.client, &v2).await;
    assert_eq!(hash2, hex_sha256(&bytes2));
    assert_eq!(figure(&sheet(&bytes2), name, "服务半天数(个)"), "2");

    // The replaced version is superseded and keeps its frozen file.
    let v1 = b
        .ok(
            &b.county.client,
            Method::GET,
            &format!("/api/v1/filings/{id}"),
            None,
        )
        .await;
    assert_eq!(v1["status"], "superseded");
    assert_eq!(b.file(&b.county.client, &id).await, (bytes, hash));
    let versions = b
        .ok(
            &b.county.client,
            Method::GET,
            "/api/v1/filings?report_kind=monthly&period=2026-11",
            None,
        )
        .await;
    let listed: Vec<u64> = versions
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|f| f["version"].as_u64())
        .collect();
    assert_eq!(listed, [2, 1]);

    // Every write is in the audit chain.
    let store = Store::connect(&b.app.db.url(), 2).await.expect("connects");
    let report = verify(&store).await.expect("verify");
    assert!(report.is_intact(), "{report:?}");
}

#[tokio::test]
async fn a_returned_filing_is_corrected_and_submitted_again() {
    let b = Bureau::open(at(11, 2, 8, 0)).await;
    b.app.clock.set(at(12, 1, 9, 0));
    let draft = b.draft_november().await;
    let id = draft["id"].as_str().expect("id").to_owned();
    // A submission needs all three parts of the narrative.
    b.ok(
        &b.county.client,
        Method::PATCH,
        &format!("/api/v1/filings/{id}"),
        Some(json!({"problems": "  "})),
    )
    .await;
    let incomplete = b
        .send(
            &b.county.client,
            Method::POST,
            &format!("/api/v1/filings/{id}/submit"),
            None,
        )
        .await;
    let problem = assert_problem(incomplete, StatusCode::BAD_REQUEST, "invalid_request");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .starts_with("problems"),
        "{problem}"
    );
    b.ok(
        &b.county.client,
        Method::PATCH,
        &format!("/api/v1/filings/{id}"),
        Some(json!({"problems": "无"})),
    )
    .await;
    b.ok(
        &b.county.client,
        Method::POST,
        &format!("/api/v1/filings/{id}/submit"),
        None,
    )
    .await;
    // A submitted filing's narrative is fixed.
    let late_edit = b
        .send(
            &b.county.client,
            Method::PATCH,
            &format!("/api/v1/filings/{id}"),
            Some(json!({"problems": "改"})),
        )
        .await;
    assert_problem(late_edit, StatusCode::CONFLICT, "filing_not_editable");

    let path = format!("/api/v1/filings/{id}/return");
    let silent = b
        .send(
            &b.world.supervisor.client,
            Method::POST,
            &path,
            Some(json!({})),
        )
        .await;
    assert_problem(silent, StatusCode::BAD_REQUEST, "invalid_request");
    let returned = b
        .ok(
            &b.world.supervisor.client,
            Method::POST,
            &path,
            Some(json!({"note": "请补充存在问题的具体乡镇。"})),
        )
        .await;
    assert_eq!(returned["status"], "returned");
    assert_eq!(returned["review_note"], "请补充存在问题的具体乡镇。");
    let again = b
        .send(
            &b.world.supervisor.client,
            Method::POST,
            &path,
            Some(json!({"note": "x"})),
        )
        .await;
    assert_problem(again, StatusCode::CONFLICT, "filing_not_submitted");

    b.app.clock.set(at(12, 2, 10, 0));
    b.ok(
        &b.county.client,
        Method::PATCH,
        &format!("/api/v1/filings/{id}"),
        Some(json!({"problems": "溪南镇网络信号差，已协调。"})),
    )
    .await;
    let resubmitted = b
        .ok(
            &b.county.client,
            Method::POST,
            &format!("/api/v1/filings/{id}/submit"),
            None,
        )
        .await;
    assert_eq!(resubmitted["status"], "submitted");
    assert_eq!(resubmitted["version"], 1);
    assert_eq!(resubmitted["submitted_at"], json!(at(12, 2, 10, 0)));
    let accepted = b
        .ok(
            &b.app.admin,
            Method::POST,
            &format!("/api/v1/filings/{id}/accept"),
            Some(json!({})),
        )
        .await;
    assert_eq!(accepted["status"], "accepted");
}

#[tokio::test]
async fn the_calendar_shows_what_is_due_and_how_late() {
    let b = Bureau::open(at(10, 1, 8, 0)).await;
    // The filer does not set its own duty; the level above (here the admin) does.
    let own = b
        .send(
            &b.county.client,
            Method::POST,
            "/api/v1/filing-calendar/obligations",
            Some(json!({"template": "zhangping_monthly", "jurisdiction_code": b.world.county})),
        )
        .await;
    assert_problem(own, StatusCode::FORBIDDEN, "forbidden");
    let (status, obligation) = b
        .send(
            &b.app.admin,
            Method::POST,
            "/api/v1/filing-calendar/obligations",
            Some(
                json!({"template": "zhangping_monthly", "jurisdiction_code": b.world.county,
                        "starts_on": "2026-10-01"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{obligation}");
    assert_eq!(obligation["due_day"], 2);
    assert_eq!(obligation["due_months_after"], 1);
    assert_eq!(obligation["report_kind"], "monthly");
    // A bad due day is refused, naming the field, and changes nothing.
    let bad = b
        .send(
            &b.app.admin,
            Method::PATCH,
            &format!(
                "/api/v1/filing-calendar/obligations/{}",
                obligation["id"].as_str().expect("id")
            ),
            Some(json!({"due_day": 32})),
        )
        .await;
    let problem = assert_problem(bad, StatusCode::BAD_REQUEST, "invalid_request");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .starts_with("due_day")
    );

    let row = |p: &str, d: &str, s: &str, n: i64| (p.to_owned(), d.to_owned(), s.to_owned(), n);

    b.app.clock.set(at(10, 20, 9, 0));
    assert_eq!(
        b.calendar().await,
        [
            row("2026-10", "2026-11-02", "not_due", 0),
            row("2026-11", "2026-12-02", "not_due", 0)
        ]
    );
    b.app.clock.set(at(11, 2, 23, 0));
    assert_eq!(
        b.calendar().await[0],
        row("2026-10", "2026-11-02", "due", 0)
    );
    b.app.clock.set(at(12, 5, 9, 0));
    assert_eq!(
        b.calendar().await,
        [
            row("2026-10", "2026-11-02", "late", 33),
            row("2026-11", "2026-12-02", "late", 3)
        ]
    );
    // October filed on 5 December: filed late by 33 days; November still late.
    let (status, draft) = b
        .send(
            &b.county.client,
            Method::POST,
            "/api/v1/filings",
            Some(
                json!({"report_kind": "monthly", "period": "2026-10", "achievements": "完成",
                        "problems": "无", "next_steps": "继续"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let id = draft["id"].as_str().expect("id");
    b.ok(
        &b.county.client,
        Method::POST,
        &format!("/api/v1/filings/{id}/submit"),
        None,
    )
    .await;
    assert_eq!(
        b.calendar().await,
        [
            row("2026-10", "2026-11-02", "filed_late", 33),
            row("2026-11", "2026-12-02", "late", 3)
        ]
    );
}

#[tokio::test]
async fn another_citys_supervisor_sees_neither_the_filings_nor_the_calendar() {
    let b = Bureau::open(at(11, 2, 8, 0)).await;
    b.app.clock.set(at(12, 1, 9, 0));
    let draft = b.draft_november().await;
    let id = draft["id"].as_str().expect("id").to_owned();
    b.ok(
        &b.county.client,
        Method::POST,
        &format!("/api/v1/filings/{id}/submit"),
        None,
    )
    .await;
    let other = &b.world.other_supervisor.client;
    for (method, path) in [
        (Method::GET, format!("/api/v1/filings/{id}")),
        (Method::GET, format!("/api/v1/filings/{id}/file")),
        (Method::POST, format!("/api/v1/filings/{id}/amend")),
        (
            Method::GET,
            format!("/api/v1/filings?jurisdiction_code={}", b.world.county),
        ),
        (
            Method::GET,
            format!(
                "/api/v1/filing-calendar?jurisdiction_code={}",
                b.world.county
            ),
        ),
    ] {
        let answer = b.send(other, method, &path, None).await;
        assert_problem(answer, StatusCode::NOT_FOUND, "not_found");
    }
    let accept = b
        .send(
            other,
            Method::POST,
            &format!("/api/v1/filings/{id}/accept"),
            Some(json!({})),
        )
        .await;
    assert_problem(accept, StatusCode::NOT_FOUND, "not_found");
    let theirs = b.ok(other, Method::GET, "/api/v1/filings", None).await;
    assert_eq!(theirs, json!([]));
    // A hospital administrator files nothing and sees no filing.
    let hospital = b
        .send(
            &b.world.hospital_admin.client,
            Method::GET,
            "/api/v1/filings",
            None,
        )
        .await;
    assert_problem(hospital, StatusCode::FORBIDDEN, "forbidden");
    // The county's own list and the city's hold it.
    for who in [&b.county.client, &b.world.supervisor.client] {
        let list = b.ok(who, Method::GET, "/api/v1/filings", None).await;
        assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    }
}

#[tokio::test]
async fn reports_overdue_and_filed_late_raise_anomalies_for_the_level_above_once() {
    let b = Bureau::open(at(10, 1, 8, 0)).await;
    b.ok(
        &b.app.admin,
        Method::POST,
        "/api/v1/filing-calendar/obligations",
        Some(
            json!({"template": "zhangping_monthly", "jurisdiction_code": b.world.county,
                    "starts_on": "2026-10-01"}),
        ),
    )
    .await;
    // On its due date October's report is not overdue yet.
    b.app.clock.set(at(11, 2, 23, 0));
    assert_eq!(b.tick().await, 0);
    b.app.clock.set(at(11, 3, 9, 0));
    assert_eq!(b.tick().await, 1);
    assert_eq!(b.tick().await, 0, "raised once");
    let city = &b.world.supervisor.client;
    let missing = b.anomalies(city, "filing_missing").await;
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert_eq!(missing[0]["physician_id"], Value::Null);
    assert_eq!(
        missing[0]["summary_zh"],
        "漳平市应于2026-11-02前报送2026-10期对口支援工作量月报表，已逾期1天未报送。"
    );
    assert_eq!(missing[0]["label_zh"], "报表逾期未报");
    // The filer's own level does not review its own lateness; another city sees nothing.
    assert!(
        b.anomalies(&b.county.client, "filing_missing")
            .await
            .is_empty()
    );
    assert!(
        b.anomalies(&b.world.other_supervisor.client, "filing_missing")
            .await
            .is_empty()
    );

    // October is filed on 5 November, three days late.
    b.app.clock.set(at(11, 5, 10, 0));
    let (status, draft) = b
        .send(
            &b.county.client,
            Method::POST,
            "/api/v1/filings",
            Some(
                json!({"report_kind": "monthly", "period": "2026-10", "achievements": "完成",
                        "problems": "无", "next_steps": "继续"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let id = draft["id"].as_str().expect("id");
    b.ok(
        &b.county.client,
        Method::POST,
        &format!("/api/v1/filings/{id}/submit"),
        None,
    )
    .await;
    assert_eq!(b.tick().await, 1);
    assert_eq!(b.tick().await, 0, "raised once");
    let late = b.anomalies(city, "filing_late").await;
    assert_eq!(late.len(), 1, "{late:?}");
    assert_eq!(
        late[0]["summary_zh"],
        "漳平市于2026-11-05 10:00报送2026-10期对口支援工作量月报表，晚于截止日期2026-11-02共3天。"
    );
    assert_eq!(late[0]["detail"]["filing_id"], json!(id));
    // The level above reviews it like any anomaly.
    let reviewed = b
        .ok(
            city,
            Method::POST,
            &format!(
                "/api/v1/anomalies/{}/review",
                late[0]["id"].as_str().expect("id")
            ),
            Some(json!({"decision": "confirm", "note": "已约谈"})),
        )
        .await;
    assert_eq!(reviewed["status"], "confirmed");
    // November is on time: nothing more by 2 December.
    b.app.clock.set(at(12, 2, 9, 0));
    let (_, november) = b
        .send(
            &b.county.client,
            Method::POST,
            "/api/v1/filings",
            Some(
                json!({"report_kind": "monthly", "period": "2026-11", "achievements": "完成",
                        "problems": "无", "next_steps": "继续"}),
            ),
        )
        .await;
    let id = november["id"].as_str().expect("id");
    b.ok(
        &b.county.client,
        Method::POST,
        &format!("/api/v1/filings/{id}/submit"),
        None,
    )
    .await;
    b.app.clock.set(at(12, 10, 9, 0));
    assert_eq!(b.tick().await, 0);
}

#[tokio::test]
async fn quarterly_half_yearly_and_annual_duties_fall_due_as_their_circulars_say() {
    let b = Bureau::open(at(12, 16, 9, 0)).await;
    for template in [
        "zhongzhan_quarterly",
        "zhongzhan_half_year",
        "annual_summary",
    ] {
        let (status, body) = b
            .send(
                &b.app.admin,
                Method::POST,
                "/api/v1/filing-calendar/obligations",
                Some(
                    json!({"template": template, "jurisdiction_code": b.world.county,
                            "starts_on": "2026-01-01"}),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{template}: {body}");
    }
    let body = b
        .ok(
            &b.county.client,
            Method::GET,
            "/api/v1/filing-calendar?from=2026-07-01&to=2026-12-31",
            None,
        )
        .await;
    let entries: Vec<(String, String, String, String)> = body["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            let text = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
            (
                text("report_kind"),
                text("period"),
                text("due_date"),
                text("state"),
            )
        })
        .collect();
    let entry = |k: &str, p: &str, d: &str, s: &str| {
        (k.to_owned(), p.to_owned(), d.to_owned(), s.to_owned())
    };
    assert_eq!(
        entries,
        [
            entry("compliance", "2026-Q3", "2026-10-10", "late"),
            entry("county_statistics", "2026", "2026-12-15", "late"),
            entry("compliance", "2026-Q4", "2027-01-10", "not_due"),
            entry("compliance", "2026-H2", "2027-01-15", "not_due"),
        ]
    );
    // A period the report does not take is refused, naming the field.
    let wrong = b
        .send(
            &b.county.client,
            Method::POST,
            "/api/v1/filings",
            Some(json!({"report_kind": "monthly", "period": "2026-Q3"})),
        )
        .await;
    let problem = assert_problem(wrong, StatusCode::BAD_REQUEST, "invalid_request");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .starts_with("period")
    );
    // The annual table is filed for its year and frozen like the others.
    let (filed, rows) = b.submit_and_open("county_statistics", "2026").await;
    assert_eq!(filed["figures"]["year"], 2026);
    assert!(
        rows.iter().flatten().any(|c| c == "合计"),
        "the county table's total row: {rows:?}"
    );
    // The quarterly 考核 (中站 "每季度填写") is the compliance report over the quarter,
    // frozen with each month judged under its requirement.
    let (filed, rows) = b.submit_and_open("compliance", "2026-Q3").await;
    assert_eq!(filed["status"], "submitted", "{filed}");
    assert!(
        rows.iter()
            .flatten()
            .any(|c| c.contains("所属期：2026年第三季度")),
        "the quarter named in the frozen file: {rows:?}"
    );
    for month in ["其中2026年7月", "其中2026年8月", "其中2026年9月"] {
        assert!(
            rows.iter().flatten().any(|c| c.ends_with(month)),
            "{month} judged under its requirement: {rows:?}"
        );
    }
}

#[tokio::test]
async fn a_clinic_files_its_sites_month_and_the_county_accepts_it_beside_its_own() {
    let b = Bureau::open(at(11, 2, 8, 0)).await;
    b.visit(at(11, 10, 8, 30), at(11, 10, 12, 0)).await;
    b.app.clock.set(at(12, 1, 9, 0));
    let clinic = &b.world.clinic_admin.client;

    // The clinic drafts its site's November report: in the site's county, its site named.
    let (status, draft) = b
        .send(
            clinic,
            Method::POST,
            "/api/v1/filings",
            Some(json!({"report_kind": "monthly", "period": "2026-11",
                        "achievements": "派驻医师按时到岗。", "problems": "无",
                        "next_steps": "继续带教。"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    assert_eq!(draft["site_id"], json!(b.world.site.id));
    assert_eq!(draft["site_name"], "溪南镇卫生院");
    assert_eq!(draft["jurisdiction_code"], b.world.county);
    let id = draft["id"].as_str().expect("id").to_owned();

    // A site files its monthly report only, and only once per month.
    let (status, body) = b
        .send(
            clinic,
            Method::POST,
            "/api/v1/filings",
            Some(json!({"report_kind": "compliance", "period": "2026-Q4"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = b
        .send(
            clinic,
            Method::POST,
            "/api/v1/filings",
            Some(json!({"report_kind": "monthly", "period": "2026-11"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "filing_exists");

    // The county's own November filing is another filing: no clash.
    let county_draft = b.draft_november().await;
    assert_eq!(county_draft["site_id"], Value::Null);

    // The county supervisor sees the site's draft but does not submit it for the clinic.
    let (status, _) = b
        .send(
            &b.county.client,
            Method::POST,
            &format!("/api/v1/filings/{id}/submit"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The clinic submits: the frozen file is its site's monthly report form.
    let filed = b
        .ok(
            clinic,
            Method::POST,
            &format!("/api/v1/filings/{id}/submit"),
            None,
        )
        .await;
    assert_eq!(filed["status"], "submitted");
    let (bytes, hash) = b.file(clinic, &id).await;
    assert_eq!(hash, hex_sha256(&bytes));
    let rows = sheet(&bytes);
    assert!(
        rows.iter().flatten().any(|c| c.contains("溪南镇卫生院")),
        "{rows:?}"
    );
    assert_eq!(filed["figures"]["rows"].as_array().map(Vec::len), Some(1));

    // Another clinic (another site) neither sees nor touches it, and its list is its own.
    let other = b
        .app
        .person(Role::ClinicAdmin, Some(b.world.other_site.id), None)
        .await;
    for (method, path) in [
        (Method::GET, format!("/api/v1/filings/{id}")),
        (Method::GET, format!("/api/v1/filings/{id}/file")),
        (Method::POST, format!("/api/v1/filings/{id}/submit")),
        (Method::POST, format!("/api/v1/filings/{id}/amend")),
    ] {
        let (status, body) = b.send(&other.client, method, &path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
    }
    let (status, body) = b
        .send(
            &other.client,
            Method::POST,
            "/api/v1/filings",
            Some(json!({"report_kind": "monthly", "period": "2026-11",
                        "site_id": b.world.site.id})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let theirs = b
        .ok(&other.client, Method::GET, "/api/v1/filings", None)
        .await;
    assert_eq!(theirs, json!([]));
    // The clinic's own list: its site's filing only (not the county's).
    let mine = b.ok(clinic, Method::GET, "/api/v1/filings", None).await;
    let ids: Vec<&str> = mine
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|f| f["id"].as_str())
        .collect();
    assert_eq!(ids, vec![id.as_str()]);
    // The county's own filing is out of the clinic's reach.
    let county_id = county_draft["id"].as_str().expect("id");
    let (status, _) = b
        .send(
            clinic,
            Method::GET,
            &format!("/api/v1/filings/{county_id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The county's queue shows the site's filing with the site's name; it accepts it.
    let queue = b
        .ok(
            &b.county.client,
            Method::GET,
            "/api/v1/filings?to_review=true",
            None,
        )
        .await;
    let waiting = queue
        .as_array()
        .expect("queue")
        .iter()
        .find(|f| f["id"] == id.as_str())
        .unwrap_or_else(|| panic!("not in the queue: {queue}"));
    assert_eq!(waiting["site_name"], "溪南镇卫生院");
    // The clinic does not review its own filing.
    let (status, _) = b
        .send(
            clinic,
            Method::POST,
            &format!("/api/v1/filings/{id}/accept"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let accepted = b
        .ok(
            &b.county.client,
            Method::POST,
            &format!("/api/v1/filings/{id}/accept"),
            Some(json!({"note": "收到"})),
        )
        .await;
    assert_eq!(accepted["status"], "accepted");
    let seen = b
        .ok(clinic, Method::GET, &format!("/api/v1/filings/{id}"), None)
        .await;
    assert_eq!(seen["status"], "accepted");

    // Every write is in the audit chain.
    let store = Store::connect(&b.app.db.url(), 2).await.expect("connects");
    let report = verify(&store).await.expect("verify");
    assert!(report.is_intact(), "{report:?}");
}
