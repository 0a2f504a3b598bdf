//! The receiving clinic's role through the real server: its own site's visits, its
//! daily confirmation or dispute of each visit (受援单位日常考核), and its site's
//! monthly report; another clinic's visits out of reach.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chrono::{DateTime, TimeZone, Utc};
use mobile_api::client::Client;
use mobile_api::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

/// Local time in Asia/Shanghai on 2026-03-`day`.
pub fn local(day: u32, h: u32, m: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(2026, 3, day, h, m, 0)
        .single()
        .expect("valid")
        .with_timezone(&Utc)
}

/// The world, a kiosk at its site, and a second clinic (in another county) with its
/// own administrator.
pub struct Clinic {
    pub app: TestApp,
    pub world: World,
    pub kiosk: Client,
    pub other_clinic_admin: Person,
}

impl Clinic {
    pub async fn open() -> Clinic {
        let app = TestApp::builder()
            .at(local(2, 9, 0))
            .config(|c| c.access_token_ttl = std::time::Duration::from_secs(30 * 24 * 3600))
            .spawn()
            .await;
        let world = app.world().await;
        let kiosk = app.client(&world.kiosk.token);
        let other_clinic_admin = app
            .person(Role::ClinicAdmin, Some(world.other_site.id), None)
            .await;
        Clinic {
            app,
            world,
            kiosk,
            other_clinic_admin,
        }
    }

    /// The physician scans the site's kiosk (`check-in` or `check-out`); the answer.
    pub async fn scan(&self, action: &str) -> Value {
        let payload = self.kiosk.kiosk_code().await.expect("kiosk code").payload;
        let body = json!({
            "client_event_id": Uuid::new_v4(),
            "qr_payload": payload,
            "device_id": "phone-A",
            "location": {"lat": jitter(SITE_LAT + 0.0002), "lon": jitter_lon(SITE_LON),
                         "accuracy_m": 12.0, "crs": "wgs84", "is_mock": false},
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

    /// A clean visit on `day`, 08:30 to 16:30; its id.
    pub async fn visit(&self, day: u32) -> Uuid {
        self.app.clock.set(local(day, 8, 30));
        let answer = self.scan("check-in").await;
        assert_eq!(answer["verdict"], "accepted", "{answer}");
        self.app.clock.set(local(day, 16, 30));
        self.scan("check-out").await;
        serde_json::from_value(answer["visit_id"].clone()).expect("visit id")
    }

    pub async fn confirm(&self, by: &Client, visit: Uuid, body: Value) -> (StatusCode, Value) {
        self.app
            .send(
                by,
                Method::POST,
                &format!("/api/v1/visits/{visit}/clinic-confirmation"),
                Some(body),
            )
            .await
    }

    pub fn clinic(&self) -> &Client {
        &self.world.clinic_admin.client
    }
}

#[tokio::test]
async fn a_clinic_confirms_a_day_and_the_confirmation_shows_on_the_visit() {
    let c = Clinic::open().await;
    let visit = c.visit(2).await;

    // The clinic lists its own site's visits (today's: from = to = the day).
    let list = c
        .clinic()
        .visits("from=2026-03-02&to=2026-03-02")
        .await
        .expect("own visits");
    assert_eq!(list.items.len(), 1);
    assert_eq!(list.items[0].id, visit);
    assert!(list.items[0].clinic_confirmation.is_none());

    // A supervisor may not confirm for the clinic; a bad verdict names the field.
    assert_problem(
        c.confirm(
            &c.world.supervisor.client,
            visit,
            json!({"verdict": "confirmed"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_problem(
        c.confirm(c.clinic(), visit, json!({"verdict": "maybe"}))
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );

    let (status, body) = c
        .confirm(
            c.clinic(),
            visit,
            json!({"verdict": "confirmed", "reason": "全天在岗"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["verdict"], "confirmed");
    assert_eq!(body["reason"], "全天在岗");

    // Once only: the first word stands.
    assert_problem(
        c.confirm(
            c.clinic(),
            visit,
            json!({"verdict": "disputed", "reason": "改主意"}),
        )
        .await,
        StatusCode::CONFLICT,
        "already_confirmed",
    );

    // Shown next to the visit: in the clinic's and the supervisor's list and detail.
    for client in [c.clinic(), &c.world.supervisor.client] {
        let detail = client.visit(visit).await.expect("detail");
        let shown = detail.visit.clinic_confirmation.expect("confirmation");
        assert_eq!(shown.verdict, ClinicVerdict::Confirmed);
        assert_eq!(shown.confirmed_by, c.world.clinic_admin.user.id);
        let listed = client.visits("").await.expect("list").items;
        let row = listed.iter().find(|v| v.id == visit).expect("listed");
        assert_eq!(
            row.clinic_confirmation.as_ref().map(|x| x.verdict),
            Some(ClinicVerdict::Confirmed)
        );
    }
    // No anomaly for a confirmation; the visit stays credited.
    let anomalies = c
        .world
        .supervisor
        .client
        .anomalies("")
        .await
        .expect("anomalies");
    assert!(anomalies.items.is_empty(), "{:?}", anomalies.items);

    // Audited.
    let (status, entries) = c
        .app
        .send(
            &c.app.admin,
            Method::GET,
            "/api/v1/audit?action=clinic_confirmation.create",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{entries}");
    assert!(
        entries
            .to_string()
            .contains(&body["id"].as_str().expect("id").to_owned())
    );
}

#[tokio::test]
async fn a_dispute_raises_an_anomaly_for_the_supervisor_and_holds_the_credit() {
    let c = Clinic::open().await;
    let visit = c.visit(2).await;

    assert_problem(
        c.confirm(c.clinic(), visit, json!({"verdict": "disputed"}))
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    let (status, body) = c
        .confirm(
            c.clinic(),
            visit,
            json!({"verdict": "disputed", "reason": "当日未见到该医师"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let anomaly_id = body["anomaly_id"]
        .as_str()
        .expect("anomaly raised")
        .to_owned();

    let listed = c
        .world
        .supervisor
        .client
        .anomalies("kind=clinic_disputed")
        .await
        .expect("anomalies")
        .items;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let anomaly = &listed[0];
    assert_eq!(anomaly.id.to_string(), anomaly_id);
    assert_eq!(anomaly.visit_id, Some(visit));
    assert_eq!(anomaly.label_zh, "受援单位对考勤有异议");
    assert!(
        anomaly.summary_zh.contains("当日未见到该医师"),
        "{}",
        anomaly.summary_zh
    );
    // The other county's supervisor does not see it.
    let elsewhere = c
        .world
        .other_supervisor
        .client
        .anomalies("kind=clinic_disputed")
        .await
        .expect("anomalies");
    assert!(elsewhere.items.is_empty());

    // Until a supervisor reviews it, the visit is not credited.
    let detail = c
        .world
        .supervisor
        .client
        .visit(visit)
        .await
        .expect("detail");
    assert_eq!(detail.visit.credit_state, CreditState::Pending);
    assert_eq!(
        detail.visit.clinic_confirmation.map(|x| x.verdict),
        Some(ClinicVerdict::Disputed)
    );
}

#[tokio::test]
async fn another_clinics_visits_are_out_of_reach() {
    let c = Clinic::open().await;
    let visit = c.visit(2).await;
    let other = &c.other_clinic_admin.client;

    let err = other.visit(visit).await.unwrap_err();
    assert!(format!("{err:?}").contains("404"), "{err:?}");
    assert_problem(
        c.confirm(other, visit, json!({"verdict": "confirmed"}))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let theirs = other.visits("").await.expect("their list");
    assert!(theirs.items.is_empty());
    // Asking for the other site by id reads as unknown.
    let (status, _) = c
        .app
        .send(
            other,
            Method::GET,
            &format!("/api/v1/visits?site_id={}", c.world.site.id),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Nothing was recorded by the refused attempts.
    let detail = c.clinic().visit(visit).await.expect("own detail");
    assert!(detail.visit.clinic_confirmation.is_none());
}

#[tokio::test]
async fn the_clinics_monthly_report_covers_its_own_site_only() {
    let c = Clinic::open().await;
    c.visit(2).await;
    // A second clinic in the same county with its own physician: the county's report
    // has both, the clinic's only its own.
    let neighbour = c
        .app
        .organization(
            "桂林街道社区卫生服务中心",
            OrganizationKind::CommunityHealthCenter,
            &c.world.county,
            Some(circle(25.30, 117.42, 150.0)),
        )
        .await;
    let colleague = c
        .app
        .person(Role::Physician, Some(c.world.hospital.id), None)
        .await;
    c.app
        .admin
        .create_assignment(&CreateAssignment {
            physician_id: colleague.user.id,
            site_id: neighbour.id,
            program_id: c.world.program.id,
            mode: AssignmentMode::Circuit,
            start_date: "2026-01-01".parse().expect("date"),
            end_date: "2026-12-31".parse().expect("date"),
            window_start: "08:00".to_owned(),
            window_end: "17:30".to_owned(),
            eligibility_override: None,
        })
        .await
        .expect("assignment");

    let county = c
        .world
        .supervisor
        .client
        .monthly_report(&format!(
            "jurisdiction_code={}&month=2026-03",
            c.world.county
        ))
        .await
        .expect("county report");
    assert_eq!(county.rows.len(), 2);

    let own = c
        .clinic()
        .monthly_report("month=2026-03")
        .await
        .expect("clinic report");
    assert_eq!(own.rows.len(), 1, "{:?}", own.rows);
    assert_eq!(own.rows[0].site_id, c.world.site.id);
    assert_eq!(own.rows[0].credited_days, 1.0);
    assert_eq!(own.header.organization, "溪南镇卫生院");

    // Another jurisdiction is out of reach.
    let err = c
        .clinic()
        .monthly_report(&format!(
            "jurisdiction_code={}&month=2026-03",
            c.world.other_county
        ))
        .await
        .unwrap_err();
    assert!(format!("{err:?}").contains("404"), "{err:?}");

    // The XLSX as filed: the title, the site as 填报单位, one physician.
    let response = c
        .clinic()
        .request(
            Method::GET,
            "/api/v1/reports/monthly?month=2026-03&format=xlsx",
        )
        .send()
        .await
        .expect("xlsx");
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.bytes().await.expect("bytes");
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("xlsx");
    let name = book.sheet_names().first().cloned().expect("a sheet");
    let range = book.worksheet_range(&name).expect("sheet");
    let text: Vec<String> = range
        .rows()
        .flat_map(|row| row.iter())
        .filter_map(|cell| match cell {
            Data::String(s) => Some(s.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(text[0], "对口支援工作量月报表");
    assert!(text.iter().any(|t| t.contains("溪南镇卫生院")), "{text:?}");
    assert!(!text.iter().any(|t| t.contains("桂林街道")), "{text:?}");
    assert!(text.iter().any(|t| t == "合计"), "{text:?}");
}

impl Clinic {
    async fn appeal(&self, by: &Client, visit: Uuid, note: &str) -> (StatusCode, Value) {
        self.app
            .send(
                by,
                Method::POST,
                &format!("/api/v1/me/visits/{visit}/appeals"),
                Some(json!({ "note": note })),
            )
            .await
    }

    async fn decide(&self, by: &Client, appeal: &str, body: Value) -> (StatusCode, Value) {
        self.app
            .send(
                by,
                Method::POST,
                &format!("/api/v1/appeals/{appeal}/decision"),
                Some(body),
            )
            .await
    }
}

#[tokio::test]
async fn an_appeal_is_decided_and_the_physician_reads_the_decision() {
    let c = Clinic::open().await;
    let visit = c.visit(2).await;
    let physician = &c.world.physician.client;

    assert_problem(
        c.appeal(physician, visit, "  ").await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    let (status, filed) = c.appeal(physician, visit, "当天网络故障，签退晚了").await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    assert_eq!(filed["status"], "pending");
    assert_eq!(filed["visit_id"], visit.to_string());
    let id = filed["id"].as_str().expect("id").to_owned();
    assert_problem(
        c.appeal(physician, visit, "再次申诉").await,
        StatusCode::CONFLICT,
        "appeal_pending",
    );
    // Someone else's visit reads as unknown.
    let colleague = c
        .app
        .person(Role::Physician, Some(c.world.hospital.id), None)
        .await;
    assert_problem(
        c.appeal(&colleague.client, visit, "不是我的").await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    // The supervisor's queue has it; the other county's does not and may not decide it.
    let (status, queue) = c
        .app
        .send(
            &c.world.supervisor.client,
            Method::GET,
            "/api/v1/appeals?status=pending",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    assert_eq!(queue["items"].as_array().map(Vec::len), Some(1), "{queue}");
    assert_eq!(queue["items"][0]["id"], id.as_str());
    assert_eq!(queue["items"][0]["site_name"], "溪南镇卫生院");
    let (_, elsewhere) = c
        .app
        .send(
            &c.world.other_supervisor.client,
            Method::GET,
            "/api/v1/appeals",
            None,
        )
        .await;
    assert_eq!(elsewhere["items"], json!([]));
    assert_problem(
        c.decide(
            &c.world.other_supervisor.client,
            &id,
            json!({"decision": "upheld", "note": "同意"}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_problem(
        c.decide(
            &c.world.supervisor.client,
            &id,
            json!({"decision": "rejected", "note": ""}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );

    let (status, decided) = c
        .decide(
            &c.world.supervisor.client,
            &id,
            json!({"decision": "rejected", "note": "签退记录与核查一致，不予支持"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(decided["status"], "rejected");
    assert_problem(
        c.decide(
            &c.world.supervisor.client,
            &id,
            json!({"decision": "upheld", "note": "改判"}),
        )
        .await,
        StatusCode::CONFLICT,
        "already_decided",
    );

    // The physician sees the status and the note.
    let (status, mine) = c
        .app
        .send(
            physician,
            Method::GET,
            &format!("/api/v1/me/visits/{visit}/appeals"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(mine["items"][0]["status"], "rejected");
    assert_eq!(
        mine["items"][0]["decision_note"],
        "签退记录与核查一致，不予支持"
    );
    // Now decided, a new appeal may be filed.
    assert_eq!(
        c.appeal(physician, visit, "补充材料").await.0,
        StatusCode::CREATED
    );

    // Both steps are in the audit chain.
    let (_, entries) = c
        .app
        .send(
            &c.app.admin,
            Method::GET,
            &format!("/api/v1/audit?object_type=appeal&object_id={id}"),
            None,
        )
        .await;
    let actions: Vec<&str> = entries["items"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(actions, ["appeal.create", "appeal.decide"]);
    let (_, verified) = c
        .app
        .send(
            &c.app.admin,
            Method::GET,
            "/api/v1/audit/verification",
            None,
        )
        .await;
    assert_eq!(verified["intact"], true, "{verified}");
}

#[tokio::test]
async fn the_evidence_pack_carries_attempts_anomalies_confirmation_and_prints() {
    let c = Clinic::open().await;
    // A refused attempt from far away, then a mocked check-in and a check-out.
    c.app.clock.set(local(2, 8, 20));
    let payload = c.kiosk.kiosk_code().await.expect("code").payload;
    let (status, refused) = c
        .app
        .send(
            &c.world.physician.client,
            Method::POST,
            "/api/v1/attendance/check-in",
            Some(json!({
                "client_event_id": Uuid::new_v4(), "qr_payload": payload, "device_id": "phone-A",
                "location": {"lat": SITE_LAT + 0.05, "lon": SITE_LON, "accuracy_m": 10.0,
                             "crs": "wgs84", "is_mock": false}})),
        )
        .await;
    assert!(status.is_client_error(), "{status} {refused}");
    c.app.clock.set(local(2, 8, 30));
    let payload = c.kiosk.kiosk_code().await.expect("code").payload;
    let (status, answer) = c
        .app
        .send(
            &c.world.physician.client,
            Method::POST,
            "/api/v1/attendance/check-in",
            Some(json!({
                "client_event_id": Uuid::new_v4(), "qr_payload": payload, "device_id": "phone-A",
                "location": {"lat": jitter(SITE_LAT), "lon": jitter_lon(SITE_LON), "accuracy_m": 12.0,
                             "crs": "wgs84", "is_mock": true}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let visit: Uuid = serde_json::from_value(answer["visit_id"].clone()).expect("visit");
    c.app.clock.set(local(2, 16, 30));
    c.scan("check-out").await;
    let (status, _) = c
        .confirm(
            c.clinic(),
            visit,
            json!({"verdict": "confirmed", "reason": "全天在岗 <b>"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        c.appeal(&c.world.physician.client, visit, "定位软件误报")
            .await
            .0,
        StatusCode::CREATED
    );

    let (status, pack) = c
        .app
        .send(
            &c.world.supervisor.client,
            Method::GET,
            &format!("/api/v1/visits/{visit}/evidence"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{pack}");
    let attempts = pack["attempts"].as_array().expect("attempts");
    let shape: Vec<(String, String)> = attempts
        .iter()
        .map(|a| {
            (
                a["action"].as_str().unwrap_or("").to_owned(),
                a["verdict"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            ("check_in".to_owned(), "refused".to_owned()),
            ("check_in".to_owned(), "flagged".to_owned()),
            ("check_out".to_owned(), "accepted".to_owned()),
        ]
    );
    assert_eq!(attempts[1]["is_mock"], true);
    assert_eq!(attempts[1]["device_id"], "phone-A");
    assert_eq!(attempts[1]["crs"], "wgs84");
    assert_eq!(attempts[1]["geofence_version"], 1);
    assert!(attempts[1]["code_step"].is_i64(), "{}", attempts[1]);
    let kinds: Vec<&str> = pack["detail"]["anomalies"]
        .as_array()
        .expect("anomalies")
        .iter()
        .filter_map(|a| a["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["mock_location"]);
    assert_eq!(pack["clinic_confirmation"]["verdict"], "confirmed");
    assert_eq!(pack["appeals"][0]["note"], "定位软件误报");

    // Another county's supervisor and another clinic: out of reach. The site's own
    // clinic may read it.
    for other in [
        &c.world.other_supervisor.client,
        &c.other_clinic_admin.client,
    ] {
        let (status, _) = c
            .app
            .send(
                other,
                Method::GET,
                &format!("/api/v1/visits/{visit}/evidence"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, _) = c
        .app
        .send(
            c.clinic(),
            Method::GET,
            &format!("/api/v1/visits/{visit}/evidence"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // The printable page: HTML, the facts in words, what was typed escaped.
    let response = c
        .world
        .supervisor
        .client
        .request(
            Method::GET,
            &format!("/api/v1/visits/{visit}/evidence?format=html"),
        )
        .send()
        .await
        .expect("html");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/html")
    );
    let html = response.text().await.expect("text");
    for expected in [
        "下基层服务证据包",
        "受援单位已确认",
        "模拟定位",
        "定位软件误报",
        "溪南镇卫生院",
        "拒绝",
    ] {
        assert!(html.contains(expected), "{expected} missing");
    }
    assert!(html.contains("全天在岗 &lt;b&gt;") && !html.contains("<b>"));
    let (status, _) = c
        .app
        .send(
            &c.world.supervisor.client,
            Method::GET,
            &format!("/api/v1/visits/{visit}/evidence?format=pdf"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// The smallest JPEG-looking bytes: the magic number and some payload.
fn jpeg(len: usize) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.resize(len, 0x42);
    bytes
}

impl Clinic {
    async fn put_photo(
        &self,
        by: &Client,
        event: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let response = by
            .request(
                Method::PUT,
                &format!("/api/v1/attendance/events/{event}/photo"),
            )
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("answer");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

#[tokio::test]
async fn a_scan_photo_is_stored_with_its_hash_and_bad_uploads_are_refused() {
    let c = Clinic::open().await;
    // The programme asks for a photo; the physician's assignments say so.
    let (status, program) = c
        .app
        .send(
            &c.app.admin,
            Method::PATCH,
            &format!("/api/v1/programs/{}", c.world.program.id),
            Some(json!({"scan_photo": "required"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{program}");
    assert_eq!(program["scan_photo"], "required");
    let (_, mine) = c
        .app
        .send(
            &c.world.physician.client,
            Method::GET,
            "/api/v1/me/assignments",
            None,
        )
        .await;
    assert_eq!(mine[0]["scan_photo"], "required", "{mine}");
    assert_problem(
        c.app
            .send(
                &c.app.admin,
                Method::PATCH,
                &format!("/api/v1/programs/{}", c.world.program.id),
                Some(json!({"scan_photo": "always"})),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );

    c.app.clock.set(local(2, 8, 30));
    let answer = c.scan("check-in").await;
    let event = answer["event_id"].as_str().expect("event id").to_owned();
    let visit: Uuid = serde_json::from_value(answer["visit_id"].clone()).expect("visit");
    let physician = &c.world.physician.client;

    // Not an image, a declared type the bytes contradict, too large, someone else's.
    assert_problem(
        c.put_photo(physician, &event, "image/jpeg", b"<svg></svg>".to_vec())
            .await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    assert_problem(
        c.put_photo(physician, &event, "image/png", jpeg(100)).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    assert_problem(
        c.put_photo(physician, &event, "image/jpeg", jpeg(1024 * 1024 + 1))
            .await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
    let colleague = c
        .app
        .person(Role::Physician, Some(c.world.hospital.id), None)
        .await;
    assert_problem(
        c.put_photo(&colleague.client, &event, "image/jpeg", jpeg(100))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    // A good one: 201 with its hash, once.
    let bytes = jpeg(2048);
    let expected = {
        use sha2::{Digest, Sha256};
        Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let (status, stored) = c
        .put_photo(physician, &event, "image/jpeg", bytes.clone())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    assert_eq!(stored["sha256"], expected.as_str());
    assert_eq!(stored["bytes"], 2048);
    assert_problem(
        c.put_photo(physician, &event, "image/jpeg", bytes).await,
        StatusCode::CONFLICT,
        "photo_exists",
    );

    // Too late: the check-out's photo 31 minutes after it.
    c.app.clock.set(local(2, 16, 30));
    let out = c.scan("check-out").await;
    c.app.clock.set(local(2, 17, 1));
    assert_problem(
        c.put_photo(
            physician,
            out["event_id"].as_str().expect("event"),
            "image/jpeg",
            jpeg(100),
        )
        .await,
        StatusCode::CONFLICT,
        "photo_too_late",
    );

    // In the evidence pack by hash, and the hash in the audit chain.
    let (_, pack) = c
        .app
        .send(
            &c.world.supervisor.client,
            Method::GET,
            &format!("/api/v1/visits/{visit}/evidence"),
            None,
        )
        .await;
    assert_eq!(pack["photos"][0]["sha256"], expected.as_str(), "{pack}");
    let (_, entries) = c
        .app
        .send(
            &c.app.admin,
            Method::GET,
            &format!("/api/v1/audit?object_type=scan_photo&object_id={event}"),
            None,
        )
        .await;
    assert!(
        entries["items"][0]["after"].to_string().contains(&expected),
        "{entries}"
    );
    let (_, verified) = c
        .app
        .send(
            &c.app.admin,
            Method::GET,
            "/api/v1/audit/verification",
            None,
        )
        .await;
    assert_eq!(verified["intact"], true, "{verified}");
}
