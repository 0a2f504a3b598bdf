//! Supervision through the real server: anomalies listed within the supervisor's
//! jurisdiction, filtered and paged; one review each, the visit's credit following it;
//! the supervisors' visit listing.

use chrono::{DateTime, TimeZone, Utc};
use mobile_api::client::Client;
use mobile_api::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

/// Local time in Asia/Shanghai on 2026-03-`day`.
fn local(day: u32, h: u32, m: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(2026, 3, day, h, m, 0)
        .single()
        .expect("valid")
        .with_timezone(&Utc)
}

/// A site with a kiosk and a physician who scans its codes.
struct Desk {
    app: TestApp,
    world: World,
    kiosk: Client,
}

impl Desk {
    async fn open() -> Desk {
        // Tokens outlive the days these tests move the clock by.
        let app = TestApp::builder()
            .at(local(2, 9, 0))
            .config(|c| c.access_token_ttl = std::time::Duration::from_secs(30 * 24 * 3600))
            .spawn()
            .await;
        let world = app.world().await;
        let kiosk = app.client(&world.kiosk.token);
        Desk { app, world, kiosk }
    }

    async fn scan(&self, action: &str, device_id: &str, is_mock: bool) -> Value {
        let payload = self.kiosk.kiosk_code().await.expect("kiosk code").payload;
        let body = json!({
            "client_event_id": Uuid::new_v4(),
            "qr_payload": payload,
            "device_id": device_id,
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

    /// A check-in from the physician's own phone, with the mock flag as given.
    async fn check_in(&self, is_mock: bool) -> Value {
        self.scan("check-in", "phone-A", is_mock).await
    }

    async fn check_out(&self) -> Value {
        self.scan("check-out", "phone-A", false).await
    }

    /// Checks in with a mocked fix at 09:00 on `day` and out at 16:00: a seven-hour
    /// visit held back by one `mock_location`.
    async fn mocked_visit(&self, day: u32) -> Uuid {
        self.app.clock.set(local(day, 9, 0));
        let answer = self.check_in(true).await;
        assert_eq!(answer["verdict"], "flagged");
        assert_eq!(answer["reasons"], json!(["mock_location"]));
        self.app.clock.set(local(day, 16, 0));
        self.check_out().await;
        serde_json::from_value(answer["visit_id"].clone()).expect("visit id")
    }

    fn supervisor(&self) -> &Client {
        &self.world.supervisor.client
    }

    async fn anomalies(&self, client: &Client, query: &str) -> Vec<Anomaly> {
        client.anomalies(query).await.expect("anomalies").items
    }

    async fn only_anomaly(&self) -> Anomaly {
        let mut items = self.anomalies(self.supervisor(), "").await;
        assert_eq!(items.len(), 1, "{items:?}");
        items.remove(0)
    }

    async fn my_visit(&self, id: Uuid) -> Visit {
        self.world
            .physician
            .client
            .my_visits(Some("2026-03-01"), Some("2026-03-31"))
            .await
            .expect("my visits")
            .items
            .into_iter()
            .find(|v| v.id == id)
            .expect("the visit")
    }

    async fn credited_days(&self) -> (f64, u32) {
        let summary = self
            .world
            .physician
            .client
            .my_summary("2026-03")
            .await
            .expect("summary");
        let a = &summary.assignments[0];
        (a.credited_days, a.pending_visits)
    }

    async fn get(&self, client: &Client, path: &str) -> (StatusCode, Value) {
        self.app.send(client, Method::GET, path, None).await
    }

    async fn review(&self, client: &Client, id: Uuid, body: Value) -> (StatusCode, Value) {
        self.app
            .send(
                client,
                Method::POST,
                &format!("/api/v1/anomalies/{id}/review"),
                Some(body),
            )
            .await
    }
}

fn dismiss(note: &str) -> ReviewRequest {
    ReviewRequest {
        decision: ReviewDecision::Dismiss,
        note: note.to_owned(),
    }
}

/// Asserts a 400 `invalid_request` whose detail starts with the parameter's name.
fn names_parameter(result: (StatusCode, Value), parameter: &str) {
    let body = assert_problem(result, StatusCode::BAD_REQUEST, "invalid_request");
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.starts_with(&format!("{parameter}:")),
        "{parameter}: {detail}"
    );
}

#[tokio::test]
async fn a_mocked_check_in_raises_an_open_anomaly_seen_only_within_the_jurisdiction() {
    let desk = Desk::open().await;
    let answer = desk.check_in(true).await;
    assert_eq!(answer["verdict"], "flagged");

    let anomaly = desk.only_anomaly().await;
    assert_eq!(anomaly.kind, "mock_location");
    assert_eq!(anomaly.severity, "high");
    assert_eq!(anomaly.status, "open");
    assert_eq!(anomaly.physician_id, Some(desk.world.physician.user.id));
    assert_eq!(anomaly.site_id, Some(desk.world.site.id));
    assert_eq!(
        anomaly.visit_id.map(|v| v.to_string()).as_deref(),
        answer["visit_id"].as_str()
    );
    assert_eq!(
        anomaly
            .event_ids
            .iter()
            .map(Uuid::to_string)
            .collect::<Vec<_>>(),
        vec![answer["event_id"].as_str().expect("event id").to_owned()]
    );
    assert_eq!(anomaly.detected_at, local(2, 9, 0));
    assert_eq!(anomaly.detail["device_id"], "phone-A");
    assert_eq!(anomaly.detail["label_zh"], "模拟定位");
    assert_eq!(anomaly.detail["label_en"], "Mock location reported");
    assert_eq!(
        anomaly.detail["summary"],
        "The phone reported this fix as a mock location."
    );
    assert_eq!(anomaly.detail["summary_zh"], anomaly.summary_zh.as_str());
    assert!(anomaly.review.is_none());

    // The admin sees everything; the supervisor of another city sees nothing.
    assert_eq!(desk.anomalies(&desk.app.admin, "").await, vec![anomaly]);
    assert!(
        desk.anomalies(&desk.world.other_supervisor.client, "")
            .await
            .is_empty()
    );
    for person in [
        &desk.world.physician,
        &desk.world.clinic_admin,
        &desk.world.hospital_admin,
    ] {
        assert_problem(
            desk.get(&person.client, "/api/v1/anomalies").await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    let (status, _) = desk.get(&desk.app.anonymous, "/api/v1/anomalies").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn anomalies_filter_by_status_kind_physician_site_and_date() {
    let desk = Desk::open().await;
    desk.mocked_visit(2).await;
    // Day two from a new phone with a mocked fix: two anomalies on one event.
    desk.app.clock.set(local(3, 9, 0));
    let answer = desk.scan("check-in", "phone-B", true).await;
    assert_eq!(answer["reasons"], json!(["new_device", "mock_location"]));

    let count = |query: &'static str| {
        let desk = &desk;
        async move { desk.anomalies(desk.supervisor(), query).await.len() }
    };
    assert_eq!(count("").await, 3);
    assert_eq!(count("status=open").await, 3);
    assert_eq!(count("status=dismissed").await, 0);
    assert_eq!(count("kind=mock_location").await, 2);
    assert_eq!(count("kind=new_device&status=open").await, 1);
    assert_eq!(count("kind=missing_checkout").await, 0);
    assert_eq!(count("from=2026-03-03").await, 2);
    assert_eq!(count("to=2026-03-02").await, 1);
    assert_eq!(
        count("from=2026-03-03&to=2026-03-03&kind=mock_location").await,
        1
    );
    assert_eq!(count("from=2026-03-04").await, 0);
    assert_eq!(count("status=&kind=").await, 3, "empty values mean any");

    let physician = desk.world.physician.user.id;
    let query = format!("physician_id={physician}");
    assert_eq!(desk.anomalies(desk.supervisor(), &query).await.len(), 3);
    let query = format!("physician_id={}", Uuid::new_v4());
    assert!(desk.anomalies(desk.supervisor(), &query).await.is_empty());
    let query = format!("site_id={}", desk.world.site.id);
    assert_eq!(desk.anomalies(desk.supervisor(), &query).await.len(), 3);
    let query = format!("site_id={}", desk.world.other_site.id);
    assert!(desk.anomalies(&desk.app.admin, &query).await.is_empty());

    let newest = desk.anomalies(desk.supervisor(), "").await;
    assert!(
        newest
            .windows(2)
            .all(|w| w[0].detected_at >= w[1].detected_at)
    );
    assert_eq!(newest[2].detected_at, local(2, 9, 0));

    for (query, parameter) in [
        ("status=closed", "status"),
        ("kind=nonsense", "kind"),
        ("from=2026-13-01", "from"),
        ("to=yesterday", "to"),
        ("from=2026-03-05&to=2026-03-01", "from"),
        ("site_id=7", "site_id"),
        ("physician_id=someone", "physician_id"),
        ("cursor=bm90LW91cnM", "cursor"),
        ("limit=0", "limit"),
    ] {
        let result = desk
            .get(desk.supervisor(), &format!("/api/v1/anomalies?{query}"))
            .await;
        names_parameter(result, parameter);
    }
}

#[tokio::test]
async fn anomalies_page_through_ties_without_losing_or_repeating_any() {
    let desk = Desk::open().await;
    desk.mocked_visit(2).await;
    desk.app.clock.set(local(3, 9, 0));
    // Two anomalies detected at the same instant: the cursor must tell them apart.
    desk.scan("check-in", "phone-B", true).await;
    desk.app.clock.set(local(3, 16, 0));
    desk.scan("check-out", "phone-A", true).await;

    let all = desk.anomalies(desk.supervisor(), "").await;
    assert_eq!(all.len(), 4);
    for limit in [1, 2, 3] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let query = match &cursor {
                Some(c) => format!("limit={limit}&cursor={c}"),
                None => format!("limit={limit}"),
            };
            let page = desk.supervisor().anomalies(&query).await.expect("page");
            assert!(page.items.len() <= limit);
            seen.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, all, "limit {limit}");
    }
}

#[tokio::test]
async fn dismissing_the_only_anomaly_credits_the_visit_at_once() {
    let desk = Desk::open().await;
    let visit = desk.mocked_visit(2).await;
    assert_eq!(
        desk.my_visit(visit).await.credit_state,
        CreditState::Pending
    );
    assert_eq!(desk.credited_days().await, (0.0, 1));

    let anomaly = desk.only_anomaly().await;
    desk.app.clock.set(local(4, 10, 0));
    let reviewed = desk
        .supervisor()
        .review_anomaly(anomaly.id, &dismiss("  GPS 测试应用残留，已核实本人在岗  "))
        .await
        .expect("review");
    assert_eq!(reviewed.status, "dismissed");
    assert_eq!(reviewed.id, anomaly.id);
    let review = reviewed.review.clone().expect("review recorded");
    assert_eq!(review.decision, ReviewDecision::Dismiss);
    assert_eq!(review.note, "GPS 测试应用残留，已核实本人在岗");
    assert_eq!(review.reviewer_id, desk.world.supervisor.user.id);
    assert_eq!(review.reviewed_at, local(4, 10, 0));

    let mine = desk.my_visit(visit).await;
    assert_eq!(mine.credit_state, CreditState::Creditable);
    assert_eq!(mine.anomalies, vec!["mock_location".to_owned()]);
    assert_eq!(desk.credited_days().await, (1.0, 0));

    assert_eq!(
        desk.anomalies(desk.supervisor(), "status=open").await,
        vec![]
    );
    assert_eq!(
        desk.anomalies(desk.supervisor(), "status=dismissed").await,
        vec![reviewed]
    );

    // One review per anomaly, whoever asks second and whatever they decide.
    let again = desk
        .review(
            desk.supervisor(),
            anomaly.id,
            json!({"decision": "confirm", "note": "再次核查"}),
        )
        .await;
    assert_problem(again, StatusCode::CONFLICT, "already_reviewed");
    let by_admin = desk
        .review(
            &desk.app.admin,
            anomaly.id,
            json!({"decision": "dismiss", "note": "again"}),
        )
        .await;
    assert_problem(by_admin, StatusCode::CONFLICT, "already_reviewed");
    assert_eq!(
        desk.my_visit(visit).await.credit_state,
        CreditState::Creditable
    );
}

#[tokio::test]
async fn of_two_reviews_at_once_exactly_one_is_recorded() {
    let desk = Desk::open().await;
    let visit = desk.mocked_visit(2).await;
    let anomaly = desk.only_anomaly().await;
    let confirm = ReviewRequest {
        decision: ReviewDecision::Confirm,
        note: "confirmed".into(),
    };
    let dismissal = dismiss("dismissed");
    let (a, b) = tokio::join!(
        desk.supervisor().review_anomaly(anomaly.id, &dismissal),
        desk.app.admin.review_anomaly(anomaly.id, &confirm),
    );
    let (winner, loser) = match (a, b) {
        (Ok(won), Err(lost)) | (Err(lost), Ok(won)) => (won, lost),
        other => panic!("expected one success and one conflict: {other:?}"),
    };
    assert_eq!(loser.status(), Some(StatusCode::CONFLICT));
    assert_eq!(loser.code(), Some("already_reviewed"));
    let stored = desk.only_anomaly().await;
    assert_eq!(stored, winner);
    let expected = match winner.status.as_str() {
        "dismissed" => CreditState::Creditable,
        _ => CreditState::Denied,
    };
    assert_eq!(desk.my_visit(visit).await.credit_state, expected);
}

#[tokio::test]
async fn confirming_an_anomaly_denies_the_visit() {
    let desk = Desk::open().await;
    let visit = desk.mocked_visit(2).await;
    let anomaly = desk.only_anomaly().await;
    let reviewed = desk
        .app
        .admin
        .review_anomaly(
            anomaly.id,
            &ReviewRequest {
                decision: ReviewDecision::Confirm,
                note: "模拟定位软件截图已取证".into(),
            },
        )
        .await
        .expect("review");
    assert_eq!(reviewed.status, "confirmed");
    assert_eq!(
        reviewed.review.map(|r| r.decision),
        Some(ReviewDecision::Confirm)
    );
    assert_eq!(desk.my_visit(visit).await.credit_state, CreditState::Denied);
    assert_eq!(desk.credited_days().await, (0.0, 0));
}

#[tokio::test]
async fn reviews_outside_the_jurisdiction_or_by_other_roles_or_without_a_note_are_refused() {
    let desk = Desk::open().await;
    desk.mocked_visit(2).await;
    let anomaly = desk.only_anomaly().await;
    let body = json!({"decision": "dismiss", "note": "ok"});

    let outside = desk
        .review(
            &desk.world.other_supervisor.client,
            anomaly.id,
            body.clone(),
        )
        .await;
    assert_problem(outside, StatusCode::NOT_FOUND, "not_found");
    let unknown = desk
        .review(desk.supervisor(), Uuid::new_v4(), body.clone())
        .await;
    assert_problem(unknown, StatusCode::NOT_FOUND, "not_found");
    for person in [&desk.world.physician, &desk.world.clinic_admin] {
        let result = desk.review(&person.client, anomaly.id, body.clone()).await;
        assert_problem(result, StatusCode::FORBIDDEN, "forbidden");
    }
    let blank = desk
        .review(
            desk.supervisor(),
            anomaly.id,
            json!({"decision": "dismiss", "note": "   "}),
        )
        .await;
    names_parameter(blank, "note");
    let maybe = desk
        .review(
            desk.supervisor(),
            anomaly.id,
            json!({"decision": "maybe", "note": "x"}),
        )
        .await;
    assert_problem(maybe, StatusCode::BAD_REQUEST, "invalid_request");

    // Nothing above was recorded.
    assert_eq!(desk.only_anomaly().await.status, "open");
}

#[tokio::test]
async fn dismissing_a_missing_checkout_grants_credit_up_to_the_end_of_the_window() {
    let desk = Desk::open().await;
    let first = desk.check_in(false).await;
    let visit: Uuid = serde_json::from_value(first["visit_id"].clone()).expect("id");
    // The next day's check-in finds yesterday's visit closed without a check-out.
    desk.app.clock.set(local(3, 9, 0));
    desk.check_in(false).await;

    let left_open = desk.my_visit(visit).await;
    assert_eq!(left_open.status, VisitStatus::AutoClosed);
    assert_eq!(left_open.credit_state, CreditState::Denied);
    assert_eq!(left_open.checked_out_at, None);

    let anomaly = desk.only_anomaly().await;
    assert_eq!(anomaly.kind, "missing_checkout");
    assert_eq!(anomaly.severity, "medium");
    assert_eq!(anomaly.visit_id, Some(visit));
    assert_eq!(anomaly.detail["label_zh"], "未签退");
    assert_eq!(
        anomaly.detail["summary"],
        "Checked in at 2026-03-02 09:00 and never checked out; \
         the visit was closed at 2026-03-03 00:00 without credit."
    );
    assert_eq!(desk.credited_days().await, (0.0, 0));

    desk.supervisor()
        .review_anomaly(anomaly.id, &dismiss("卫生院证实当天在岗至下班，忘记签退"))
        .await
        .expect("review");
    let granted = desk.my_visit(visit).await;
    assert_eq!(granted.status, VisitStatus::AutoClosed);
    assert_eq!(granted.credit_state, CreditState::Creditable);
    // The assignment's window is 08:00-17:30.
    assert_eq!(granted.checked_out_at, Some(local(2, 17, 30)));
    assert_eq!(granted.minutes, Some(8 * 60 + 30));
    assert_eq!(desk.credited_days().await, (1.0, 0));
}

#[tokio::test]
async fn the_visit_list_is_scoped_filtered_and_paged() {
    let desk = Desk::open().await;
    desk.check_in(false).await;
    desk.app.clock.set(local(2, 16, 0));
    desk.check_out().await;
    desk.app.clock.set(local(3, 9, 0));
    desk.check_in(false).await;
    desk.app.clock.set(local(4, 9, 0));
    desk.check_in(false).await;

    let visits = desk.supervisor().visits("").await.expect("visits").items;
    let days: Vec<String> = visits.iter().map(|v| v.local_date.to_string()).collect();
    assert_eq!(days, ["2026-03-04", "2026-03-03", "2026-03-02"]);
    let states: Vec<CreditState> = visits.iter().map(|v| v.credit_state).collect();
    assert_eq!(
        states,
        [
            CreditState::Open,
            CreditState::Denied,
            CreditState::Creditable
        ]
    );
    assert_eq!(visits[1].anomalies, vec!["missing_checkout".to_owned()]);
    assert_eq!(
        desk.app.admin.visits("").await.expect("visits").items,
        visits
    );
    assert!(
        desk.world
            .other_supervisor
            .client
            .visits("")
            .await
            .expect("visits")
            .items
            .is_empty()
    );
    for person in [&desk.world.physician, &desk.world.hospital_admin] {
        assert_problem(
            desk.get(&person.client, "/api/v1/visits").await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }

    let ids = |query: String| {
        let desk = &desk;
        async move {
            desk.supervisor()
                .visits(&query)
                .await
                .expect("visits")
                .items
                .into_iter()
                .map(|v| v.local_date.to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(ids("status=auto_closed".into()).await, ["2026-03-03"]);
    assert_eq!(ids("status=open".into()).await, ["2026-03-04"]);
    assert_eq!(
        ids("from=2026-03-02&to=2026-03-03".into()).await,
        ["2026-03-03", "2026-03-02"]
    );
    let physician = desk.world.physician.user.id;
    assert_eq!(ids(format!("physician_id={physician}")).await.len(), 3);
    assert_eq!(
        ids(format!("physician_id={}", Uuid::new_v4())).await.len(),
        0
    );
    assert_eq!(
        ids(format!("site_id={}", desk.world.site.id)).await.len(),
        3
    );
    assert_eq!(
        ids(format!("site_id={}", desk.world.other_site.id))
            .await
            .len(),
        0
    );

    let first = desk.supervisor().visits("limit=2").await.expect("page");
    assert_eq!(first.items, visits[..2]);
    let cursor = first.next_cursor.expect("more");
    let second = desk
        .supervisor()
        .visits(&format!("limit=2&cursor={cursor}"))
        .await
        .expect("page");
    assert_eq!(second.items, visits[2..]);
    assert!(second.next_cursor.is_none());

    for (query, parameter) in [
        ("status=pending", "status"),
        ("from=03/02/2026", "from"),
        ("site_id=x", "site_id"),
        ("cursor=bm9wZQ", "cursor"),
    ] {
        let result = desk
            .get(desk.supervisor(), &format!("/api/v1/visits?{query}"))
            .await;
        names_parameter(result, parameter);
    }
}
