//! Check-in and check-out through the real server: every refusal code, idempotent
//! retries (also across a restart), offline uploads, visits and credit.

use chrono::{DateTime, Duration, TimeZone, Utc};
use mobile_api::client::Client;
use mobile_api::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;
use xiaxiang_server::domain::clock::Clock;

use crate::helpers::*;

/// Local time in Asia/Shanghai on 2026-03-`day`.
pub(crate) fn local(day: u32, h: u32, m: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(2026, 3, day, h, m, 0)
        .single()
        .expect("valid")
        .with_timezone(&Utc)
}

/// A clinic's front desk: a server, its world and the site's kiosk.
pub(crate) struct Desk {
    pub(crate) app: TestApp,
    pub(crate) world: World,
    pub(crate) kiosk: Client,
}

impl Desk {
    pub(crate) async fn open() -> Desk {
        Desk::open_with(|_| {}).await
    }

    /// A desk on a server whose configuration `tweak` adjusts.
    pub(crate) async fn open_with(
        tweak: impl FnOnce(&mut xiaxiang_server::Config) + 'static,
    ) -> Desk {
        // Tokens outlive the hours these tests move the clock by.
        let app = TestApp::builder()
            .at(local(2, 9, 0))
            .config(|c| c.access_token_ttl = std::time::Duration::from_secs(30 * 24 * 3600))
            .config(tweak)
            .spawn()
            .await;
        let world = app.world().await;
        let kiosk = app.client(&world.kiosk.token);
        Desk { app, world, kiosk }
    }

    /// The payload the site's screen shows now.
    pub(crate) async fn code(&self) -> String {
        self.kiosk.kiosk_code().await.expect("kiosk code").payload
    }

    /// Moves the site's fence 5 km north (its second version).
    async fn move_fence_away(&self) {
        let moved = self
            .app
            .admin
            .update_organization(
                self.world.site.id,
                &UpdateOrganization {
                    geofence: Some(circle(SITE_LAT + 0.045, SITE_LON, 150.0)),
                    ..Default::default()
                },
            )
            .await
            .expect("patch");
        assert_eq!(moved.geofence_version, Some(2));
    }

    pub(crate) fn request(&self, payload: &str) -> Value {
        json!({
            "client_event_id": Uuid::new_v4(),
            "qr_payload": payload,
            "device_id": "phone-A",
            "location": {"lat": jitter(SITE_LAT + 0.0002), "lon": jitter_lon(SITE_LON), "accuracy_m": 12.0, "crs": "wgs84", "is_mock": false},
        })
    }

    pub(crate) async fn post(
        &self,
        client: &Client,
        action: &str,
        body: &Value,
    ) -> (StatusCode, Value) {
        self.app
            .send(
                client,
                Method::POST,
                &format!("/api/v1/attendance/{action}"),
                Some(body.clone()),
            )
            .await
    }

    pub(crate) async fn check_in(&self, body: &Value) -> (StatusCode, Value) {
        self.post(&self.world.physician.client, "check-in", body)
            .await
    }

    pub(crate) async fn check_out(&self, body: &Value) -> (StatusCode, Value) {
        self.post(&self.world.physician.client, "check-out", body)
            .await
    }

    pub(crate) async fn next_code(&self) -> String {
        self.app.clock.advance(Duration::seconds(31));
        self.code().await
    }

    pub(crate) async fn visits(&self) -> Vec<mobile_api::Visit> {
        self.world
            .physician
            .client
            .my_visits(Some("2026-02-01"), Some("2026-03-31"))
            .await
            .expect("visits")
            .items
    }
}

pub(crate) fn refused(result: (StatusCode, Value), code: &str) -> Value {
    assert_problem(result, StatusCode::UNPROCESSABLE_ENTITY, code)
}

pub(crate) fn accepted(result: (StatusCode, Value)) -> Value {
    let (status, body) = result;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

#[tokio::test]
async fn a_check_in_and_check_out_six_hours_apart_credit_a_full_day() {
    let desk = Desk::open().await;
    let body = accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    assert_eq!(body["verdict"], "accepted");
    assert_eq!(body["reasons"], json!([]));
    let visit_id = body["visit_id"].clone();
    assert!(
        body["distance_to_fence_m"]
            .as_f64()
            .is_some_and(|d| d == 0.0)
    );

    desk.app
        .clock
        .advance(Duration::hours(6) + Duration::minutes(5));
    let out = accepted(desk.check_out(&desk.request(&desk.code().await)).await);
    assert_eq!(out["visit_id"], visit_id);

    let visits = desk.visits().await;
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].status, VisitStatus::Closed);
    assert_eq!(visits[0].credit_state, CreditState::Creditable);
    assert_eq!(visits[0].minutes, Some(365));
    assert_eq!(visits[0].local_date.to_string(), "2026-03-02");

    let summary = desk
        .world
        .physician
        .client
        .my_summary("2026-03")
        .await
        .expect("summary");
    let assignment = &summary.assignments[0];
    assert_eq!(assignment.credited_days, 1.0);
    assert_eq!(assignment.credited_half_days, 2);
    assert_eq!(assignment.requirements[0].status, Progress::Met);
    // The phone's calendar: the one day, credited in full.
    let days: Vec<(String, DayStanding)> = assignment
        .days
        .iter()
        .map(|d| (d.date.to_string(), d.standing))
        .collect();
    assert_eq!(days, vec![("2026-03-02".to_owned(), DayStanding::Full)]);
}

#[tokio::test]
async fn a_short_visit_credits_nothing_and_the_requirement_is_not_met() {
    let desk = Desk::open().await;
    accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    desk.app.clock.advance(Duration::hours(2));
    accepted(desk.check_out(&desk.request(&desk.code().await)).await);
    let summary = desk
        .world
        .physician
        .client
        .my_summary("2026-03")
        .await
        .expect("summary");
    assert_eq!(summary.assignments[0].credited_days, 0.0);
    assert_ne!(summary.assignments[0].requirements[0].status, Progress::Met);
    let bad = desk
        .app
        .send(
            &desk.world.physician.client,
            Method::GET,
            "/api/v1/me/summary?month=2026-13",
            None,
        )
        .await;
    assert_problem(bad, StatusCode::BAD_REQUEST, "invalid_request");
}

#[tokio::test]
async fn a_forged_or_tampered_code_is_refused_as_code_invalid_and_stored() {
    let desk = Desk::open().await;
    refused(
        desk.check_in(&desk.request("not a kiosk code")).await,
        "code_invalid",
    );
    let genuine = desk.code().await;
    let mut tampered = genuine.clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ascii");
    refused(
        desk.check_in(&desk.request(&tampered)).await,
        "code_invalid",
    );
    // Refusals open nothing; the genuine code still works.
    assert!(desk.visits().await.is_empty());
    accepted(desk.check_in(&desk.request(&genuine)).await);
}

#[tokio::test]
async fn a_code_two_steps_old_is_expired() {
    let desk = Desk::open().await;
    let payload = desk.code().await;
    // Two periods and the live scan's grace for the network.
    let period = i64::from(desk.app.config.qr_period_seconds);
    desk.app.clock.advance(Duration::seconds(2 * period + 11));
    refused(desk.check_in(&desk.request(&payload)).await, "code_expired");
}

#[tokio::test]
async fn the_previous_code_is_still_accepted() {
    let desk = Desk::open().await;
    let payload = desk.code().await;
    desk.app.clock.advance(Duration::seconds(
        i64::from(desk.app.config.qr_period_seconds) + 1,
    ));
    accepted(desk.check_in(&desk.request(&payload)).await);
}

#[tokio::test]
async fn a_code_is_used_once_per_physician_but_by_many_physicians() {
    let desk = Desk::open().await;
    let colleague = desk
        .app
        .person(Role::Physician, Some(desk.world.hospital.id), None)
        .await;
    desk.app
        .admin
        .create_assignment(&CreateAssignment {
            physician_id: colleague.user.id,
            site_id: desk.world.site.id,
            program_id: desk.world.program.id,
            mode: AssignmentMode::Dispatch,
            start_date: "2026-03-01".parse().expect("date"),
            end_date: "2026-03-31".parse().expect("date"),
            window_start: "08:00".into(),
            window_end: "17:30".into(),
            eligibility_override: None,
        })
        .await
        .expect("assignment");
    let payload = desk.code().await;
    accepted(desk.check_in(&desk.request(&payload)).await);
    accepted(
        desk.post(&colleague.client, "check-in", &desk.request(&payload))
            .await,
    );
    refused(desk.check_out(&desk.request(&payload)).await, "code_reused");
}

#[tokio::test]
async fn checking_out_with_another_sites_code_is_wrong_site() {
    let desk = Desk::open().await;
    accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    let other = desk
        .app
        .admin
        .enroll_kiosk(desk.world.other_site.id, &EnrollKiosk::default())
        .await
        .expect("kiosk");
    desk.app.clock.advance(Duration::hours(1));
    let other_code = desk
        .app
        .client(&other.token)
        .kiosk_code()
        .await
        .expect("code")
        .payload;
    refused(
        desk.check_out(&desk.request(&other_code)).await,
        "wrong_site",
    );
}

#[tokio::test]
async fn a_site_without_an_assignment_is_no_assignment() {
    let desk = Desk::open().await;
    let other = desk
        .app
        .admin
        .enroll_kiosk(desk.world.other_site.id, &EnrollKiosk::default())
        .await
        .expect("kiosk");
    let code = desk
        .app
        .client(&other.token)
        .kiosk_code()
        .await
        .expect("code")
        .payload;
    let mut body = desk.request(&code);
    body["location"]["lat"] = json!(24.90);
    body["location"]["lon"] = json!(118.62);
    refused(desk.check_in(&body).await, "no_assignment");
}

#[tokio::test]
async fn far_outside_the_daily_window_is_refused_and_the_edge_is_flagged() {
    let desk = Desk::open().await;
    desk.app.clock.set(local(2, 6, 0));
    refused(
        desk.check_in(&desk.request(&desk.code().await)).await,
        "outside_window",
    );
    // Beyond the quiet quarter hour, within the grace.
    desk.app.clock.set(local(2, 7, 35));
    let body = accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    assert_eq!(body["verdict"], "flagged");
    assert_eq!(body["reasons"], json!(["outside_window_edge"]));
}

#[tokio::test]
async fn a_fix_outside_the_fence_is_refused_with_the_distance() {
    let desk = Desk::open().await;
    let mut body = desk.request(&desk.code().await);
    body["location"]["lat"] = json!(SITE_LAT + 0.009); // ~1 km north of a 150 m circle
    let problem = refused(desk.check_in(&body).await, "outside_geofence");
    let distance = problem["extra"]["distance_m"].as_f64().expect("distance");
    assert!((800.0..900.0).contains(&distance), "{distance}");
    assert!(
        problem["detail"].as_str().unwrap_or("").contains(" m "),
        "{problem}"
    );
}

#[tokio::test]
async fn the_reported_accuracy_widens_the_fence_up_to_a_cap() {
    let desk = Desk::open().await;
    let mut body = desk.request(&desk.code().await);
    body["location"]["lat"] = json!(SITE_LAT + 0.0016); // ~178 m from centre: ~28 m outside
    body["location"]["accuracy_m"] = json!(40.0);
    accepted(desk.check_in(&body).await);
}

#[tokio::test]
async fn a_fix_with_poor_accuracy_is_refused() {
    let desk = Desk::open().await;
    let mut body = desk.request(&desk.code().await);
    body["location"]["accuracy_m"] = json!(150.0);
    refused(desk.check_in(&body).await, "poor_accuracy");
}

#[tokio::test]
async fn gcj02_coordinates_are_converted_before_the_fence_test() {
    let desk = Desk::open().await;
    // The site's centre as AMap would report it: shifted by the GCJ-02 offset.
    let gcj = xiaxiang_server::domain::coords::wgs84_to_gcj02(
        xiaxiang_server::domain::coords::LatLon::new(SITE_LAT, SITE_LON),
    );
    let mut as_gcj = desk.request(&desk.code().await);
    as_gcj["location"]["lat"] = json!(gcj.lat);
    as_gcj["location"]["lon"] = json!(gcj.lon);
    as_gcj["location"]["crs"] = json!("gcj02");
    let mut as_wgs = as_gcj.clone();
    as_wgs["client_event_id"] = json!(Uuid::new_v4());
    as_wgs["location"]["crs"] = json!("wgs84");
    refused(desk.check_in(&as_wgs).await, "outside_geofence");
    accepted(desk.check_in(&as_gcj).await);
}

#[tokio::test]
async fn check_out_without_a_visit_is_no_open_visit() {
    let desk = Desk::open().await;
    refused(
        desk.check_out(&desk.request(&desk.code().await)).await,
        "no_open_visit",
    );
}

#[tokio::test]
async fn a_second_check_in_is_already_checked_in() {
    let desk = Desk::open().await;
    accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    refused(
        desk.check_in(&desk.request(&desk.next_code().await)).await,
        "already_checked_in",
    );
}

/// Attempts of one physician that arrive together (on SQLite, one group commit) are
/// judged one after another: one check-in opens the visit and the others are refused,
/// and copies of one attempt sent at once all get that attempt's answer.
#[tokio::test]
async fn attempts_arriving_together_are_judged_one_after_another() {
    let desk = Desk::open().await;
    let code = desk.code().await;
    let physician = desk.world.physician.client.clone();
    let send_all = |bodies: Vec<AttendanceRequest>| {
        let mut set = tokio::task::JoinSet::new();
        for body in bodies {
            let client = physician.clone();
            set.spawn(async move { client.check_in(&body).await });
        }
        set.join_all()
    };
    let distinct: Vec<AttendanceRequest> = (0..8)
        .map(|_| serde_json::from_value(desk.request(&code)).expect("request"))
        .collect();
    let answers = send_all(distinct).await;
    let opened: Vec<&AttendanceResponse> = answers.iter().filter_map(|a| a.as_ref().ok()).collect();
    assert_eq!(opened.len(), 1, "{answers:?}");
    for refusal in answers.iter().filter_map(|a| a.as_ref().err()) {
        assert_eq!(refusal.status(), Some(StatusCode::UNPROCESSABLE_ENTITY));
        assert!(
            matches!(refusal.code(), Some("code_reused" | "already_checked_in")),
            "{refusal}"
        );
    }

    let code = desk.next_code().await;
    accepted(desk.check_out(&desk.request(&code)).await);
    let code = desk.next_code().await;
    let copy: AttendanceRequest = serde_json::from_value(desk.request(&code)).expect("request");
    let answers = send_all(vec![copy; 8]).await;
    let first = answers[0].as_ref().expect("accepted");
    for answer in &answers {
        assert_eq!(answer.as_ref().expect("accepted").event_id, first.event_id);
    }
    assert_eq!(desk.visits().await.len(), 2);
}

#[tokio::test]
async fn a_retry_returns_the_first_answer_and_stores_nothing_new_even_after_a_restart() {
    let mut desk = Desk::open().await;
    let body = desk.request(&desk.code().await);
    let first = accepted(desk.check_in(&body).await);
    let again = accepted(desk.check_in(&body).await);
    assert_eq!(first, again);
    desk.app.restart().await;
    desk.world.physician.client = desk
        .app
        .client(desk.world.physician.client.token().expect("token"));
    desk.app.clock.advance(Duration::minutes(10));
    let after_restart = accepted(desk.check_in(&body).await);
    assert_eq!(first, after_restart);
    assert_eq!(desk.visits().await.len(), 1);
}

/// The answer's bytes, as the phone receives them.
async fn check_in_bytes(desk: &Desk, body: &Value) -> (StatusCode, String) {
    let response = desk
        .world
        .physician
        .client
        .request(Method::POST, "/api/v1/attendance/check-in")
        .json(body)
        .send()
        .await
        .expect("server answers");
    let status = response.status();
    (status, response.text().await.expect("body"))
}

/// The phone shows what the supervisor will read: each anomaly the scan raised, in the
/// sentence the anomaly list gives it (one owner, `domain/anomaly_text.rs`), written
/// into the stored answer so that a retry, also after a restart, gets the same bytes.
#[tokio::test]
async fn a_flagged_scan_answers_each_anomaly_in_the_supervisors_sentence_and_a_retry_the_same_bytes()
 {
    let mut desk = Desk::open().await;
    let mut body = desk.request(&desk.code().await);
    body["location"]["is_mock"] = json!(true);
    let (status, first) = check_in_bytes(&desk, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let answer: AttendanceResponse = serde_json::from_str(&first).expect("an answer");
    assert_eq!(answer.verdict, Verdict::Flagged);
    assert_eq!(answer.reasons, ["mock_location"]);
    assert_eq!(
        answer.anomaly_summaries,
        [AnomalySummary {
            kind: "mock_location".into(),
            label_zh: "模拟定位".into(),
            label_en: "Mock location reported".into(),
            summary_zh: "手机报告此次定位为模拟（虚拟）定位。".into(),
            summary_en: "The phone reported this fix as a mock location.".into(),
        }]
    );

    // The supervisor's list says the same of the stored anomaly.
    let path = format!(
        "/api/v1/anomalies?physician_id={}",
        desk.world.physician.user.id
    );
    let (status, list) = desk
        .app
        .send(&desk.world.supervisor.client, Method::GET, &path, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(
        items[0]["summary_zh"],
        answer.anomaly_summaries[0].summary_zh
    );
    assert_eq!(
        items[0]["summary_en"],
        answer.anomaly_summaries[0].summary_en
    );
    assert_eq!(items[0]["label_zh"], answer.anomaly_summaries[0].label_zh);

    // A retry is answered the stored bytes, from the cache and then from the database.
    assert_eq!(
        check_in_bytes(&desk, &body).await,
        (StatusCode::CREATED, first.clone())
    );
    desk.app.restart().await;
    desk.world.physician.client = desk
        .app
        .client(desk.world.physician.client.token().expect("token"));
    desk.kiosk = desk.app.client(&desk.world.kiosk.token);
    desk.app.clock.advance(Duration::minutes(12));
    assert_eq!(
        check_in_bytes(&desk, &body).await,
        (StatusCode::CREATED, first)
    );

    // A sentence with the figures: out 12 minutes after checking in.
    let out = accepted(desk.check_out(&desk.request(&desk.code().await)).await);
    assert_eq!(out["reasons"], json!(["short_visit"]));
    assert_eq!(
        out["anomaly_summaries"][0]["summary_zh"],
        "签到后12分钟即签退，少于规定的30分钟。"
    );
    assert_eq!(
        out["anomaly_summaries"][0]["summary_en"],
        "Checked out 12 minutes after checking in, less than the required 30 minutes."
    );

    // The physician's own visit list gives the visit's anomalies in the same sentences,
    // oldest first; the kinds stay as they were.
    let visits = desk
        .world
        .physician
        .client
        .my_visits(None, None)
        .await
        .expect("my visits");
    let visit = visits
        .items
        .iter()
        .find(|v| v.id == answer.visit_id)
        .expect("the visit");
    assert_eq!(visit.anomalies.len(), 2, "{visit:?}");
    let said: Vec<(&str, &str)> = visit
        .anomaly_summaries
        .iter()
        .map(|s| (s.kind.as_str(), s.summary_zh.as_str()))
        .collect();
    assert_eq!(
        said,
        [
            ("mock_location", "手机报告此次定位为模拟（虚拟）定位。"),
            ("short_visit", "签到后12分钟即签退，少于规定的30分钟。"),
        ]
    );
}

#[tokio::test]
async fn a_clean_scan_answers_no_anomaly_summaries() {
    let desk = Desk::open().await;
    let answer = accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    assert_eq!(answer["verdict"], "accepted");
    assert_eq!(answer["anomaly_summaries"], json!([]));
}

#[tokio::test]
async fn a_refused_attempt_is_stored_and_its_retry_answers_the_same_refusal() {
    let desk = Desk::open().await;
    let mut body = desk.request(&desk.code().await);
    body["location"]["accuracy_m"] = json!(500.0);
    let first = refused(desk.check_in(&body).await, "poor_accuracy");
    // Same client_event_id, now with a good fix: still the first answer.
    body["location"]["accuracy_m"] = json!(5.0);
    let second = refused(desk.check_in(&body).await, "poor_accuracy");
    assert_eq!(first, second);
}

#[tokio::test]
async fn an_offline_scan_keeps_its_time_and_is_flagged_late_sync() {
    let desk = Desk::open().await;
    let scanned_at = desk.app.clock.now();
    let payload = desk.code().await;
    desk.app.clock.advance(Duration::hours(2));
    let mut body = desk.request(&payload);
    body["scanned_at"] = json!(scanned_at);
    body["offline"] = json!(true);
    let answer = accepted(desk.check_in(&body).await);
    assert_eq!(answer["verdict"], "flagged");
    assert_eq!(answer["reasons"], json!(["late_sync"]));
    let visits = desk.visits().await;
    assert_eq!(visits[0].checked_in_at, scanned_at);
    assert_eq!(visits[0].anomalies, vec!["late_sync".to_owned()]);
}

/// A photographed code relayed to a physician away from the clinic and sent 12 s after
/// it expired, claiming the scan happened while it was fresh.
#[tokio::test]
async fn a_live_scan_back_dated_past_its_codes_validity_is_refused_code_expired() {
    let desk = Desk::open().await;
    let scanned_at = desk.app.clock.now();
    let payload = desk.code().await;
    let period = Duration::seconds(i64::from(desk.app.config.qr_period_seconds));
    // A code is fresh in its own step and the next: gone two periods after its step began.
    let step_start = DateTime::from_timestamp(
        scanned_at.timestamp() - scanned_at.timestamp().rem_euclid(period.num_seconds()),
        0,
    )
    .expect("instant");
    desk.app
        .clock
        .set(step_start + period * 2 + Duration::seconds(12));
    let mut relayed = desk.request(&payload);
    relayed["scanned_at"] = json!(scanned_at);
    refused(desk.check_in(&relayed).await, "code_expired");
    assert!(desk.visits().await.is_empty(), "nothing opened");

    // The same scan kept in the phone's offline queue is judged when it was scanned.
    let mut queued = desk.request(&payload);
    queued["scanned_at"] = json!(scanned_at);
    queued["offline"] = json!(true);
    let answer = accepted(desk.check_in(&queued).await);
    assert_eq!(answer["verdict"], "accepted", "{answer}");
    let visits = desk.visits().await;
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].checked_in_at, scanned_at);
}

#[tokio::test]
async fn an_offline_scan_older_than_72_hours_is_refused() {
    let desk = Desk::open().await;
    let scanned_at = desk.app.clock.now();
    let payload = desk.code().await;
    desk.app.clock.advance(Duration::hours(73));
    let mut body = desk.request(&payload);
    body["scanned_at"] = json!(scanned_at);
    body["offline"] = json!(true);
    refused(desk.check_in(&body).await, "code_expired");
    let mut future = desk.request(&desk.code().await);
    future["scanned_at"] = json!(desk.app.clock.now() + Duration::hours(1));
    assert_problem(
        desk.check_in(&future).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
}

#[tokio::test]
async fn an_offline_scan_is_judged_against_the_fence_in_force_when_it_was_scanned() {
    let desk = Desk::open().await;
    let scanned_at = desk.app.clock.now();
    let payload = desk.code().await;
    desk.app.clock.advance(Duration::minutes(10));
    // The fence moves 5 km away after the scan.
    desk.move_fence_away().await;
    desk.app.clock.advance(Duration::minutes(50));
    let mut offline = desk.request(&payload);
    offline["scanned_at"] = json!(scanned_at);
    offline["offline"] = json!(true);
    accepted(desk.check_in(&offline).await);
    // A live scan at the old place is judged against the new fence.
    refused(
        desk.check_out(&desk.request(&desk.code().await)).await,
        "outside_geofence",
    );
}

#[tokio::test]
async fn a_mock_location_or_a_new_device_is_accepted_but_flagged_and_credit_waits() {
    let desk = Desk::open().await;
    accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    desk.app.clock.advance(Duration::hours(7));
    accepted(desk.check_out(&desk.request(&desk.code().await)).await);

    desk.app.clock.set(local(3, 9, 0));
    let mut other_phone = desk.request(&desk.code().await);
    other_phone["device_id"] = json!("phone-B");
    other_phone["location"]["is_mock"] = json!(true);
    let answer = accepted(desk.check_in(&other_phone).await);
    assert_eq!(answer["verdict"], "flagged");
    assert_eq!(answer["reasons"], json!(["new_device", "mock_location"]));
    desk.app.clock.advance(Duration::hours(7));
    accepted(desk.check_out(&desk.request(&desk.code().await)).await);

    let visits = desk.visits().await;
    let flagged = visits
        .iter()
        .find(|v| v.local_date.to_string() == "2026-03-03")
        .expect("day 2");
    assert_eq!(flagged.credit_state, CreditState::Pending);
    let summary = desk
        .world
        .physician
        .client
        .my_summary("2026-03")
        .await
        .expect("summary");
    assert_eq!(
        summary.assignments[0].credited_days, 1.0,
        "only the honest day counts"
    );
    assert_eq!(summary.assignments[0].pending_visits, 1);
    // The calendar marks the flagged day as awaiting review, not as credited.
    let day2 = summary.assignments[0]
        .days
        .iter()
        .find(|d| d.date.to_string() == "2026-03-03")
        .expect("day 2 on the calendar");
    assert_eq!(day2.standing, DayStanding::Pending);
}

#[tokio::test]
async fn a_visit_left_open_closes_at_the_end_of_the_day_without_credit() {
    let desk = Desk::open().await;
    accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    desk.app.clock.set(local(3, 9, 0));
    // The next day's check-in finds yesterday's visit closed by the end of its day.
    accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    let visits = desk.visits().await;
    let first = visits
        .iter()
        .find(|v| v.local_date.to_string() == "2026-03-02")
        .expect("day 1");
    assert_eq!(first.status, VisitStatus::AutoClosed);
    assert_eq!(first.credit_state, CreditState::Denied);
    assert_eq!(first.anomalies, vec!["missing_checkout".to_owned()]);
}

#[tokio::test]
async fn a_printed_daily_code_works_for_check_in_and_check_out_once_each() {
    let desk = Desk::open().await;
    let sheet = desk
        .world
        .clinic_admin
        .client
        .daily_codes(desk.world.site.id, "2026-03-02", 1)
        .await
        .expect("sheet");
    let daily = &sheet.codes[0].payload;
    accepted(desk.check_in(&desk.request(daily)).await);
    desk.app.clock.advance(Duration::hours(4));
    accepted(desk.check_out(&desk.request(daily)).await);
    desk.app.clock.advance(Duration::minutes(10));
    refused(desk.check_in(&desk.request(daily)).await, "code_reused");
}

#[tokio::test]
async fn only_physicians_check_in_and_a_bad_body_names_the_field() {
    let desk = Desk::open().await;
    let body = desk.request(&desk.code().await);
    let (status, _) = desk
        .post(&desk.world.supervisor.client, "check-in", &body)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = desk.post(&desk.app.anonymous, "check-in", &body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let mut bad = body.clone();
    bad["location"]["lat"] = json!(123.0);
    let problem = assert_problem(
        desk.check_in(&bad).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or("")
            .contains("location.lat")
    );
    let mut bad = body.clone();
    bad["location"]["crs"] = json!("epsg3857");
    let problem = assert_problem(
        desk.check_in(&bad).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert!(
        problem["detail"].as_str().unwrap_or("").contains("crs"),
        "{problem}"
    );
    let mut bad = body;
    bad["client_event_id"] = json!("not-a-uuid");
    assert_problem(
        desk.check_in(&bad).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
}

#[tokio::test]
async fn my_assignments_lists_the_site_and_program() {
    let desk = Desk::open().await;
    let mine = desk
        .world
        .physician
        .client
        .my_assignments()
        .await
        .expect("assignments");
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].site_name, "溪南镇卫生院");
    assert_eq!(mine[0].program_name, "漳平市医师下基层");
    assert_eq!(mine[0].window_start, "08:00");
    assert_eq!(mine[0].timezone, "Asia/Shanghai");
}

#[tokio::test]
async fn my_assignments_carry_the_sites_fence_in_wgs84_for_the_phone_map() {
    let desk = Desk::open().await;
    let mine = desk
        .world
        .physician
        .client
        .my_assignments()
        .await
        .expect("assignments");
    let fence = mine[0].fence.as_ref().expect("the site has a fence");
    // The fence the site's administrators see, in the same shape.
    assert_eq!(Some(fence), desk.world.site.geofence.as_ref());
    assert_eq!(fence["crs"], "wgs84", "{fence}");
    assert!(
        fence["type"] == "circle" || fence["type"] == "polygon",
        "{fence}"
    );
}

/// Issue 24: the site is kept in memory after the check-in reads it (SQLite); a fence
/// moved after that judges the very next scan, by the same process or another: the
/// write finds the facts changed and the scan is judged again on the new fence.
#[tokio::test]
async fn a_fence_moved_after_the_site_was_kept_in_memory_judges_the_next_scan() {
    let desk = Desk::open().await;
    accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    desk.app.clock.advance(Duration::hours(7));
    desk.move_fence_away().await;
    let request = desk.request(&desk.code().await);
    let answer = refused(desk.check_out(&request).await, "outside_geofence");
    // A retry answers the stored refusal: one attempt stored, not one per judgement.
    assert_eq!(
        refused(desk.check_out(&request).await, "outside_geofence"),
        answer
    );
    let mut there = desk.request(&desk.code().await);
    there["location"]["lat"] = json!(SITE_LAT + 0.045);
    there["location"]["lon"] = json!(SITE_LON);
    accepted(desk.check_out(&there).await);
}
