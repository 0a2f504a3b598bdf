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
